/*
 * gt-mol-burn - discard a molecule and its steps, keeping nothing but the
 * ledger's history; the bead it was on loses the link.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mol-burn [-q] MOLECULE|BEAD",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT;
	int rc;
	const struct gt_option opts[] = {
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "discard a molecule without a digest";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli, "one molecule or bead is required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if ((rc = gt_cli_molecule(&ctx, &idx, argv[1], &id)) < 0 ||
	    (rc = gt_mol_burn(&ctx, id.ptr)) < 0)
		goto out;
	if (!cli.quiet) {
		printf("%s", id.ptr);
		gt_cli_eor(&cli);
	}
out:
	gt_buf_release(&id);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
