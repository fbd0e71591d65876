/*
 * gt-polecat-remove - remove polecats: session, workspace, record.  The
 * name goes back to the rig's pool.  Refuses a polecat whose workspace
 * holds uncommitted or unpushed work unless --force, which says what was
 * discarded.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-polecat-remove [--force] AGENT...",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_buf lost = GT_BUF_INIT, snap = GT_BUF_INIT;
	int rc, nargs, force = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG('f', "force", &force, "discard unsaved work"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "remove polecats and free their names";
	cli.opts = opts;
	if (!(nargs = gt_cli_parse(&cli, argc, argv)))
		gt_cli_usage_error(&cli, "a polecat address is required");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	for (int i = 1; i <= nargs && rc == 0; i++) {
		gt_buf_reset(&snap);
		if ((rc = gt_polecat_remove(&ctx, &t, argv[i], force, &lost, &snap)) < 0 ||
		    (rc = gt_ledger_refresh(ctx.lg)) < 0)
			break;
		if (lost.len)
			fprintf(stderr, "gt-polecat-remove: %s: discarded:\n%s%s%s%s", argv[i],
				lost.ptr, snap.len ? "it is kept in the snapshot " : "",
				snap.len ? snap.ptr + strlen("refs/gt/snapshots/") : "",
				snap.len ? " (gt-snapshot-restore)\n" : "");
		if (!cli.quiet) {
			printf("%s", argv[i]);
			gt_cli_eor(&cli);
		}
	}
out:
	gt_buf_release(&lost);
	gt_buf_release(&snap);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
