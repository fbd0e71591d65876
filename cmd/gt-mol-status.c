/*
 * gt-mol-status - where a molecule stands: each step done, current,
 * ready or blocked.  Without an argument, the molecule on the calling
 * agent's hook.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mol-status [--json] [MOLECULE|BEAD]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT;
	cJSON *st = NULL;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show a molecule's steps: done, current, ready, blocked";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "at most one molecule or bead");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if ((rc = gt_cli_molecule(&ctx, &idx, nargs ? argv[1] : NULL, &id)) < 0 ||
	    (rc = gt_mol_status(&st, &ctx, id.ptr)) < 0)
		goto out;
	gt_cli_print_molecule(&cli, st);
out:
	cJSON_Delete(st);
	gt_buf_release(&id);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
