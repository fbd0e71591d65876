/*
 * gt-refinery - merge the queue: rebase, gates, fast-forward, verify,
 * close, delete the branch.  Deterministic: no model calls.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-refinery [--once | --watch [--interval MS]] [--max N] [--no-feed] [--json | -q] "
	"[RIG...]",
	NULL,
};

static volatile sig_atomic_t stop;

static void print_entry(struct gt_cli *cli, const cJSON *e)
{
	const char *keys[] = { "merge_request", "convoy", "bead",   "commit", "filed",
			       "agent",		"gate",	  "reason", "error" };

	if (cli->json) {
		gt_cli_print_json(cli, e);
		return;
	}
	if (cli->quiet) /* the exit status and errors say enough */
		return;
	printf("%s", gt_json_str(e, "outcome"));
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (gt_json_str(e, keys[i]))
			printf("\t%s%s%s", strcmp(keys[i], "merge_request") ? keys[i] : "",
			       strcmp(keys[i], "merge_request") ? "=" : "",
			       gt_json_str(e, keys[i]));
	gt_cli_eor(cli);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_strlist rigs = { 0 };
	long interval = 2000, max = 0;
	int rc = 0, nargs, once = 0, watch = 0, no_feed = 0, own_actor;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "once", &once,
			    "work the queue until it is empty, then exit (default)"),
		GT_OPT_FLAG(0, "watch", &watch, "keep watching the queue until interrupted"),
		GT_OPT_INT(0, "interval", &interval, "MS", "--watch: look every MS (default 2000)"),
		GT_OPT_INT(0, "max", &max, "N", "stop after N merge requests per rig"),
		GT_OPT_FLAG(0, "no-feed", &no_feed, "do not sling convoy work after merges"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "merge the merge queue";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (once && watch)
		gt_cli_usage_error(&cli, "--once and --watch do not go together");
	if (interval < 10 || max < 0)
		gt_cli_usage_error(&cli, "bad %s", max < 0 ? "--max" : "--interval");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if ((rc = gt_cli_rigs(&ctx, nargs, argv, &rigs)) < 0)
		goto out;
	/* it acts, commits and mails as <rig>/refinery unless told otherwise */
	own_actor = !cli.actor && !(getenv("GT_AGENT") && *getenv("GT_AGENT"));
	gt_cli_stop_on_signals(&stop);
	do {
		for (size_t i = 0; i < rigs.n && rc == 0 && !stop; i++) {
			struct gt_refinery_opts o = { rigs.v[i], (int)max, no_feed, NULL };
			struct gt_cli_progress line;
			struct gt_progress prog;
			struct gt_buf what = GT_BUF_INIT;
			cJSON *log = NULL, *e;

			if (own_actor)
				gt_rig_act_as(&ctx, rigs.v[i], "refinery");
			gt_buf_printf(&what, "merging %s", rigs.v[i]);
			prog = gt_cli_progress_start(&line, &cli, what.ptr, "requests");
			o.progress = &prog;
			rc = gt_refinery_run(&log, &ctx, &t, &o);
			gt_cli_progress_end(&line);
			gt_buf_release(&what);
			cJSON_ArrayForEach (e, log)
				print_entry(&cli, e);
			cJSON_Delete(log);
			fflush(stdout);
		}
		if (watch && rc == 0 && !stop)
			gt_cli_nap(interval, &stop);
	} while (watch && rc == 0 && !stop);
out:
	gt_strlist_release_owned(&rigs);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
