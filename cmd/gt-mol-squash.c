/*
 * gt-mol-squash - close a molecule and keep a digest of it: every step's
 * state and who finished it when, on the closed root; step beads go.  A
 * wisp's digest is a new closed molecule in the ledger, and the wisp
 * goes.  Prints the id of the digest.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mol-squash [-m TEXT] [MOLECULE|BEAD]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT, digest = GT_BUF_INIT;
	const char *summary = NULL;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING('m', "message", &summary, "TEXT",
			      "a summary of what the molecule achieved"),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "close a molecule, keeping a digest";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "at most one molecule or bead");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if ((rc = gt_cli_molecule(&ctx, &idx, nargs ? argv[1] : NULL, &id)) < 0 ||
	    (rc = gt_mol_squash(&digest, &ctx, id.ptr, summary)) < 0)
		goto out;
	printf("%s", digest.ptr);
	gt_cli_eor(&cli);
out:
	gt_buf_release(&id);
	gt_buf_release(&digest);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
