/*
 * gt-snapshot-restore - put a snapshot's files back into a workspace: the
 * agent's own (when it still has one) or the one --to names.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-snapshot-restore [--to DIR] SNAPSHOT",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_rig rig = { 0 };
	struct gt_buf agent = GT_BUF_INIT, ref = GT_BUF_INIT;
	const char *to = NULL;
	cJSON *rec = NULL;
	long n = 0;
	int rc = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "to", &to, "DIR",
			      "restore into this workspace (default: the agent's own)"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "put a snapshot's files back into a workspace";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli,
				   "one snapshot is required (AGENT/N, see gt-snapshot-list)");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 ||
	    (rc = gt_cli_snapshot(&ctx, &t, argv[1], &rig, &agent, &n)) < 0)
		goto out;
	if (!to) {
		rc = gt_agent_read(&rec, ctx.lg, agent.ptr);
		if (rc == 0 && !(to = gt_json_str(rec, "workspace")))
			rc = gt_error_set(GT_ENOTFOUND, "'%s' has no workspace", agent.ptr);
		if (rc < 0) {
			gt_error_hint("name one with --to DIR");
			goto out;
		}
	}
	gt_buf_printf(&ref, "refs/gt/snapshots/%s/%ld", agent.ptr, n);
	if ((rc = gt_snapshot_restore(rig.repo, ref.ptr, to)) == 0 && !cli.quiet)
		printf("%s/%ld\t%s\n", agent.ptr, n, to);
out:
	cJSON_Delete(rec);
	gt_buf_release(&agent);
	gt_buf_release(&ref);
	gt_rig_release(&rig);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
