/*
 * gt-session-start - start an agent's session (its runtime, in its
 * workspace, on the town's tmux server).  A stopped or killed worker
 * resumes this way: its hook and workspace are where they were.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-session-start [--restart] AGENT...",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_buf s = GT_BUF_INIT;
	int rc, nargs, restart = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "restart", &restart, "replace a running session's program"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "start agents' sessions";
	cli.opts = opts;
	if (!(nargs = gt_cli_parse(&cli, argc, argv)))
		gt_cli_usage_error(&cli, "an agent is required");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	for (int i = 1; i <= nargs && rc == 0; i++) {
		cJSON *a = NULL;

		if ((rc = gt_agent_read(&a, ctx.lg, argv[i])) < 0)
			break;
		if (!gt_json_str(a, "workspace")) {
			rc = gt_error_set(GT_EUSAGE, "agent '%s' has no workspace", argv[i]);
		} else {
			rc = gt_worker_start(&ctx, &t, a, restart && gt_worker_alive(&t, a) == 0);
		}
		if (rc == 0 && !cli.quiet) {
			gt_session_name(&s, argv[i]);
			printf("%s", s.ptr);
			gt_cli_eor(&cli);
		}
		cJSON_Delete(a);
	}
out:
	gt_buf_release(&s);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
