/*
 * gt-status - the town on one screen: rigs, agents (state, hook, step,
 * last activity, restarts), the merge queue, convoys, escalations and the
 * deacon.
 */
#include <signal.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-status [--json] [--watch [--interval DURATION]]",
	NULL,
};

static volatile sig_atomic_t stop;

static const char *str(const cJSON *o, const char *key)
{
	const char *s = gt_json_str(o, key);

	return s && *s ? s : "-";
}

static void show(const cJSON *st)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(st, "deacon"), *it;
	int64_t pid = 0;

	gt_json_int(d, "pid", &pid);
	printf("town %s (%s)\n", str(st, "town"), str(st, "root"));
	if (gt_json_bool(d, "running"))
		printf("deacon running (pid %lld)\n", (long long)pid);
	else
		printf("deacon not running (gt-up starts it)\n");
	{
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(st, "estop"), *r;

		if (cJSON_GetObjectItemCaseSensitive(e, "town"))
			printf("E-STOP in force for the whole town (%s)\n",
			       str(cJSON_GetObjectItemCaseSensitive(e, "town"), "reason"));
		cJSON_ArrayForEach (r, cJSON_GetObjectItemCaseSensitive(e, "rigs"))
			printf("E-STOP in force for rig %s (%s)\n", r->string, str(r, "reason"));
		cJSON_ArrayForEach (r, cJSON_GetObjectItemCaseSensitive(e, "parked"))
			printf("rig %s is parked\n", r->valuestring);
	}
	printf("\nRIGS\n");
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(st, "rigs")) {
		int64_t n = 0, w = 0;

		gt_json_int(it, "agents", &n);
		gt_json_int(it, "working", &w);
		printf("  %s\t%s\t%lld agents, %lld working\n", str(it, "name"), str(it, "prefix"),
		       (long long)n, (long long)w);
	}
	printf("\nAGENTS\n");
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(st, "agents")) {
		int64_t r = 0;
		const cJSON *run;

		gt_json_int(it, "restarts", &r);
		printf("  %s\t%s\t%s\t%s\t%s\t%s\t%s", str(it, "address"), str(it, "state"),
		       str(it, "hook"), str(it, "step"),
		       gt_json_bool(it, "session_running") ? "running" : "stopped",
		       str(it, "last_activity"), str(it, "last_command"));
		if (r)
			printf("\t%lld restart%s", (long long)r, r == 1 ? "" : "s");
		run = cJSON_GetObjectItemCaseSensitive(it, "run");
		if (run) {
			const cJSON *u = cJSON_GetObjectItemCaseSensitive(run, "usage");
			int64_t in = 0, out = 0;

			gt_json_int(u, "tokens_in", &in);
			gt_json_int(u, "tokens_out", &out);
			printf("\t%s %s: %s, %lld in/%lld out", str(run, "runtime"),
			       str(run, "mode"), str(run, "status"), (long long)in, (long long)out);
			if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(u, "cost_usd")))
				printf(" $%.4f", cJSON_GetObjectItemCaseSensitive(u, "cost_usd")
							 ->valuedouble);
		}
		printf("\n");
	}
	printf("\nMERGE QUEUE\n");
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(st, "merge_queue"))
		printf("  %s\t%s\t%s\t%s\n", str(it, "id"), str(it, "queue"),
		       str(cJSON_GetObjectItemCaseSensitive(it, "metadata"), "rig"),
		       str(it, "title"));
	printf("\nCONVOYS\n");
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(st, "convoys")) {
		int64_t done = 0, total = 0;

		gt_json_int(it, "done", &done);
		gt_json_int(it, "total", &total);
		const cJSON *cost = cJSON_GetObjectItemCaseSensitive(it, "cost");
		int64_t in = 0, out = 0;

		gt_json_int(cost, "tokens_in", &in);
		gt_json_int(cost, "tokens_out", &out);
		printf("  %s\t%lld/%lld\t%s", str(it, "id"), (long long)done, (long long)total,
		       str(it, "title"));
		if (in || out)
			printf("\t%lld in/%lld out", (long long)in, (long long)out);
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(cost, "cost_usd")))
			printf(" $%.4f",
			       cJSON_GetObjectItemCaseSensitive(cost, "cost_usd")->valuedouble);
		printf("\n");
	}
	printf("\nESCALATIONS\n");
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(st, "escalations")) {
		int64_t count = 1;

		gt_json_int(it, "count", &count);
		printf("  %s\t%s\t%lldx\t%s\n", str(it, "id"), str(it, "severity"),
		       (long long)count, str(it, "title"));
	}
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	const char *interval_s = "2s";
	int64_t interval = 0;
	int rc = 0, watch = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "watch", &watch, "show it again every interval until interrupted"),
		GT_OPT_STRING(0, "interval", &interval_s, "DURATION",
			      "--watch: every DURATION (default 2s)"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show the town: rigs, agents, merge queue, convoys, escalations";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	interval = gt_cli_duration(&cli, "--interval", interval_s, 10);
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	gt_cli_stop_on_signals(&stop);
	do {
		cJSON *st = NULL;

		if ((rc = gt_town_status(&st, &ctx, &t)) < 0)
			break;
		if (cli.json) {
			gt_cli_print_json(&cli, st);
		} else {
			/* a terminal gets a fresh screen each time */
			if (watch && gt_cli_color())
				printf("\033[H\033[2J");
			show(st);
		}
		cJSON_Delete(st);
		fflush(stdout);
		if (watch && !stop)
			gt_cli_nap((long)interval, &stop);
	} while (watch && !stop);
out:
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
