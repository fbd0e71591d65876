/*
 * gt-hook-detach - clear an agent's hook; the bead goes back to open (or
 * --status) and loses its assignee.  No hook: nothing to do.
 */
#include <stdlib.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-hook-detach [--status STATUS] [AGENT]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_buf bead = GT_BUF_INIT;
	const char *status = NULL;
	struct gt_buf address = GT_BUF_INIT;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING('s', "status", &status, "STATUS",
			      "status the bead goes back to (default open)"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "clear an agent's hook";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one agent at most");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if ((rc = gt_worker_address(&address, &ctx, nargs ? argv[1] : NULL)) < 0)
		goto out;
	if ((rc = gt_hook_detach(&ctx, "gt-hook-detach", address.ptr, status, &bead)) == 0 &&
	    bead.len && !cli.quiet) {
		printf("%s", bead.ptr);
		gt_cli_eor(&cli);
	}
out:
	gt_buf_release(&address);
	gt_buf_release(&bead);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
