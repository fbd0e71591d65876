/*
 * gt-feed - what happened in the town, newest last, from the ledger's
 * history; --follow keeps printing as it happens.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-feed [--follow] [-n N] [--since TIME] [--rig RIG] [--agent ADDR] [--bead ID] [--json]",
	NULL,
};

static void print_events(struct gt_cli *cli, const cJSON *ev)
{
	const cJSON *e;

	cJSON_ArrayForEach (e, ev) {
		if (cli->json) {
			gt_cli_print_json(cli, e);
			continue;
		}
		printf("%s  %s  %s%s%s", gt_json_str(e, "time"), gt_json_str(e, "actor"),
		       gt_json_str(e, "command") ? gt_json_str(e, "command") : "",
		       gt_json_str(e, "command") ? ": " : "", gt_json_str(e, "summary"));
		gt_cli_eor(cli);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_feed_filter f = { 0 };
	struct gt_rig rig = { 0 };
	struct gt_town t = { 0 };
	const char *since = NULL;
	long limit = 50, interval = 500;
	int rc, nargs, follow = 0;
	cJSON *ev = NULL;
	git_oid seen;
	const struct gt_option opts[] = {
		GT_OPT_FLAG('f', "follow", &follow, "keep printing new events until interrupted"),
		GT_OPT_INT('n', "lines", &limit, "N", "the last N events (default 50; 0: all)"),
		GT_OPT_STRING(0, "since", &since, "TIME",
			      "events from TIME on (RFC 3339 or a date)"),
		GT_OPT_STRING(0, "rig", &f.rig, "RIG", "only events of rig RIG"),
		GT_OPT_STRING(0, "agent", &f.agent, "ADDR", "only events by or about agent ADDR"),
		GT_OPT_STRING(0, "bead", &f.bead, "ID", "only events about bead ID"),
		GT_OPT_INT(0, "interval", &interval, "MS", "--follow: look every MS (default 500)"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show what happened in the town";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 0)
		gt_cli_usage_error(&cli, "no arguments expected");
	if (limit < 0 || interval < 10)
		gt_cli_usage_error(&cli, "bad %s", limit < 0 ? "-n" : "--interval");
	if (since && gt_time_parse(since, &f.since_ns) < 0)
		gt_cli_usage_error(&cli, "bad time '%s'", since);
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if (f.rig) {
		if ((rc = gt_rig_load(&rig, &ctx, &t, f.rig)) < 0)
			goto out;
		f.rig_prefix = rig.prefix;
	}
	if ((rc = gt_feed_read(&ev, ctx.lg, NULL, &f, limit)) < 0)
		goto out;
	print_events(&cli, ev);
	git_oid_cpy(&seen, &ctx.lg->tip);
	while (follow) {
		gt_sleep_ms(interval);
		if ((rc = gt_ledger_refresh(ctx.lg)) < 0)
			break;
		if (!git_oid_cmp(&seen, &ctx.lg->tip))
			continue;
		cJSON_Delete(ev);
		if ((rc = gt_feed_read(&ev, ctx.lg, &seen, &f, 0)) < 0)
			break;
		print_events(&cli, ev);
		git_oid_cpy(&seen, &ctx.lg->tip);
	}
out:
	cJSON_Delete(ev);
	gt_rig_release(&rig);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
