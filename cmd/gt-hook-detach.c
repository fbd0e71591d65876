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

struct detach {
	struct gt_ctx *ctx;
	const char *agent, *status;
	int changed;
	struct gt_buf bead;
};

static int detach_fn(struct gt_txn *tx, void *p)
{
	struct detach *d = p;

	return gt_op_hook_detach(tx, d->ctx, d->agent, d->status, &d->changed, &d->bead);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct detach d = { .ctx = &ctx };
	struct gt_txn_opts to = { .command = "gt-hook-detach" };
	struct gt_buf address = GT_BUF_INIT;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING('s', "status", &d.status, "STATUS",
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
	d.agent = address.ptr;
	if ((rc = gt_ledger_transact(ctx.lg, &to, detach_fn, &d)) == 0 && d.bead.len &&
	    !cli.quiet) {
		printf("%s", d.bead.ptr);
		gt_cli_eor(&cli);
	}
out:
	gt_buf_release(&address);
	gt_buf_release(&d.bead);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
