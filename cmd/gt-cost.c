/*
 * gt-cost - what agent runs cost: tokens in and out, cache, dollars where
 * the runtime reports them, time and turns, summed from the run records
 * on beads (and agents) for a bead, a convoy, an agent, a rig or the town.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-cost [--since WHEN] [--json] [BEAD | CONVOY | AGENT | RIG]",
	NULL,
};

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void line(const char *label, const cJSON *u)
{
	printf("%-24s %5.0f run%s %7.0f turn%s %10.0f in %9.0f out %10.0f cached", label,
	       num(u, "runs"), num(u, "runs") == 1 ? " " : "s", num(u, "turns"),
	       num(u, "turns") == 1 ? " " : "s", num(u, "tokens_in"), num(u, "tokens_out"),
	       num(u, "cache_read"));
	if (cJSON_GetObjectItemCaseSensitive(u, "cost_usd"))
		printf("  $%.4f", num(u, "cost_usd"));
	printf("  %.0fs\n", num(u, "duration_ms") / 1000);
}

/* WHEN: a timestamp or date, or a duration meaning that long ago. */
static void since_arg(struct gt_cli *cli, struct gt_buf *out, const char *when)
{
	int64_t ns, ms;
	char ts[64];

	if (gt_time_parse(when, &ns) == 0) {
		gt_buf_adds(out, when);
		return;
	}
	gt_error_clear();
	ms = gt_cli_duration(cli, "--since", when, 0);
	gt_time_seconds(ts, sizeof(ts), (int64_t)time(NULL) - ms / 1000);
	gt_buf_adds(out, ts);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT, since = GT_BUF_INIT;
	const char *when = NULL, *scope = "town", *arg;
	cJSON *sum = NULL, *it;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "since", &when, "WHEN",
			      "only runs ended since WHEN (a date, a time, or a duration: 7d)"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show what agent runs cost, per bead, convoy, agent, rig or town";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one bead, convoy, agent or rig at most");
	if (when)
		since_arg(&cli, &since, when);
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if (nargs) {
		struct gt_rig rig = { 0 };
		struct gt_address a;

		arg = argv[1];
		if (strchr(arg, '/') || !strcmp(arg, "mayor") || !strcmp(arg, "deacon")) {
			if ((rc = gt_address_parse(&a, arg)) < 0)
				goto out;
			scope = "agent";
			gt_buf_adds(&id, arg);
		} else if (gt_rig_load(&rig, &ctx, &t, arg) == 0) {
			scope = "rig";
			gt_buf_adds(&id, arg);
		} else {
			cJSON *b = NULL;

			gt_error_clear();
			if ((rc = gt_cli_resolve(&ctx, &idx, arg, &id)) < 0)
				goto out;
			scope = "bead";
			if (gt_ledger_read_bead(&b, ctx.lg, NULL, id.ptr) == 0 &&
			    !strcmp(gt_bead_type(b), "convoy"))
				scope = "convoy";
			gt_error_clear();
			cJSON_Delete(b);
		}
		gt_rig_release(&rig);
	}
	if ((rc = gt_usage_sum(&sum, &ctx, scope, id.len ? id.ptr : NULL,
			       since.len ? since.ptr : NULL)) < 0)
		goto out;
	if (cli.json) {
		gt_cli_print_json(&cli, sum);
		goto out;
	}
	{
		struct gt_buf label = GT_BUF_INIT;

		gt_buf_printf(&label, "%s%s%s", scope, id.len ? " " : "", id.len ? id.ptr : "");
		line(label.ptr, sum);
		gt_buf_release(&label);
	}
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(sum, "by_runtime")) {
		struct gt_buf label = GT_BUF_INIT;

		gt_buf_printf(&label, "  runtime %s", it->string);
		line(label.ptr, it);
		gt_buf_release(&label);
	}
	if (strcmp(scope, "bead"))
		cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(sum, "beads")) {
			struct gt_buf label = GT_BUF_INIT;

			gt_buf_printf(&label, "  %s", gt_json_str(it, "id"));
			line(label.ptr, it);
			gt_buf_release(&label);
		}
out:
	cJSON_Delete(sum);
	gt_buf_release(&id);
	gt_buf_release(&since);
	gt_town_release(&t);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
