/*
 * gt-convoy-add - track more beads in a convoy.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-convoy-add CONVOY BEAD...",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "add beads to a convoy";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) < 2)
		gt_cli_usage_error(&cli, "a convoy and at least one bead are required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	rc = gt_convoy_add(&ctx, argv[1], (const char *const *)argv + 2, (size_t)nargs - 1, NULL);
out:
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
