/*
 * gt-nudge - type text into an agent's live session: immediately, when it
 * is idle (the default; queued if it does not become idle), or queued for
 * its next turn.  --drain prints and clears the caller's queue (for a
 * runtime's prompt hook).
 */
#include <stdlib.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-nudge [--mode immediate|wait-idle|queue] [--timeout MS] AGENT TEXT",
	"gt-nudge --drain [--json] [AGENT]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_buf s = GT_BUF_INIT;
	const char *mode_s = "wait-idle";
	enum gt_nudge_mode mode;
	long timeout = 15000;
	cJSON *q = NULL, *it;
	int rc, nargs, drain = 0, queued = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "mode", &mode_s, "MODE",
			      "immediate, wait-idle (default) or queue"),
		GT_OPT_INT(0, "timeout", &timeout, "MS",
			   "wait-idle: queue after MS (default 15000)"),
		GT_OPT_FLAG(0, "drain", &drain, "print and clear the queued nudges"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "type text into an agent's session";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if ((drain && nargs > 1) || (!drain && nargs != 2))
		gt_cli_usage_error(&cli,
				   drain ? "one agent at most" : "an agent and text are required");
	if ((rc = gt_nudge_mode_parse(&mode, mode_s)) < 0 || timeout < 0)
		gt_cli_usage_error(&cli, "%s", timeout < 0 ? "bad --timeout" : gt_error_last());
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if (drain) {
		struct gt_buf addr = GT_BUF_INIT;

		rc = gt_worker_address(&addr, &ctx, nargs ? argv[1] : NULL);
		gt_session_name(&s, addr.ptr);
		gt_buf_release(&addr);
		if (rc < 0)
			goto out;
		if ((rc = gt_nudge_drain(&q, ctx.lg->repo, s.ptr)) < 0)
			goto out;
		cJSON_ArrayForEach (it, q) {
			if (cli.json)
				gt_cli_print_json(&cli, it);
			else
				printf("[from %s] %s\n", gt_json_str(it, "from"),
				       gt_json_str(it, "text"));
		}
		goto out;
	}
	rc = gt_worker_nudge(&ctx, &t, argv[1], argv[2], mode, timeout, &queued);
	if (rc == 0 && !cli.quiet) {
		printf("%s\t%s", argv[1], queued ? "queued" : "typed");
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(q);
	gt_buf_release(&s);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
