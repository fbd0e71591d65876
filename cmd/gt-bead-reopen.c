/*
 * gt-bead-reopen - reopen closed beads.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-reopen [-r REASON] ID...",
	"gt-bead-reopen [-r REASON] --stdin [--keep-going]",
	NULL,
};

static int one(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const struct gt_record *rec,
	       void *p)
{
	const char *reason = p;
	int changed;

	if (rec->json && gt_json_str(rec->json, "reason"))
		reason = gt_json_str(rec->json, "reason");
	return gt_op_reopen(tx, ctx, id, reason, &changed);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	const char *reason = NULL;
	int keep_going = 0, rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING('r', "reason", &reason, "TEXT", "why (recorded in the bead's log)"),
		GT_OPT_STDIN(&cli),
		GT_OPT_FLAG(0, "keep-going", &keep_going,
			    "with --stdin: commit the records that succeed"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "reopen closed beads";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (!nargs && !cli.use_stdin)
		gt_cli_usage_error(&cli, "an id is required");
	if ((rc = gt_cli_open(&cli, &ctx)) == 0)
		rc = gt_cli_run_ids(&cli, &ctx, &idx, nargs, argv + 1, "gt-bead-reopen", one,
				    (void *)reason, keep_going);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
