/*
 * gt-session-stop - stop agents' sessions.  The hook and the workspace
 * stay: gt-session-start resumes the work.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-session-stop AGENT...",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_buf s = GT_BUF_INIT;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "stop agents' sessions (hooks and workspaces stay)";
	cli.opts = opts;
	if (!(nargs = gt_cli_parse(&cli, argc, argv)))
		gt_cli_usage_error(&cli, "an agent is required");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	for (int i = 1; i <= nargs && rc == 0; i++) {
		struct gt_address a;
		cJSON *agent = NULL;

		if ((rc = gt_address_parse(&a, argv[i])) < 0)
			break;
		gt_session_name(&s, argv[i]);
		/* the run ends with its whole process tree (gt-run(1)); the
		 * workspace is kept as a snapshot first */
		if (gt_agent_read(&agent, ctx.lg, argv[i]) < 0) {
			gt_error_clear();
			agent = cJSON_CreateObject();
			gt_json_set_str(agent, "address", argv[i]);
		}
		rc = gt_worker_stop(NULL, &ctx, &t, agent, "gt-session-stop");
		cJSON_Delete(agent);
		agent = NULL;
		if (rc == GT_ENO)
			rc = gt_error_set(GT_ENOTFOUND, "no session for '%s'", argv[i]);
		if (rc == 0 && !cli.quiet) {
			printf("%s", s.ptr);
			gt_cli_eor(&cli);
		}
	}
out:
	gt_buf_release(&s);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
