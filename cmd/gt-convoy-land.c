/*
 * gt-convoy-land - land a convoy now.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-convoy-land [--force] CONVOY",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	int rc, nargs, force = 0, changed = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG('f', "force", &force, "even with beads still open"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "land a convoy";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) != 1)
		gt_cli_usage_error(&cli, "one convoy is required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 ||
	    (rc = gt_convoy_land(&ctx, argv[1], force, &changed)) < 0)
		goto out;
	if (!cli.quiet) {
		printf("%s\t%s", argv[1], changed ? "landed" : "landed already");
		gt_cli_eor(&cli);
	}
out:
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
