/*
 * gt-handoff - restart the agent's session in place, on the same hook,
 * with notes for the new session (gt-prime shows them).  The notes are
 * written to the ledger first, so they survive even if the restart does
 * not happen.
 */
#include <stdlib.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-handoff [-m NOTES] [AGENT]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	cJSON *a = NULL;
	const char *notes = NULL;
	char *addr = NULL;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING('m', "message", &notes, "NOTES", "notes for the next session"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "restart the agent's session on the same hook, with notes";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one agent at most");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	rc = gt_worker_agent(&a, &ctx, nargs ? argv[1] : NULL);
	if (rc < 0 || (rc = gt_handoff_note(&ctx, gt_json_str(a, "address"), notes)) < 0)
		goto out;
	if (!cli.quiet) {
		printf("%s", gt_json_str(a, "address"));
		gt_cli_eor(&cli);
		fflush(stdout);
	}
	/* called from inside the session this replaces its own process:
	 * respawn-pane kills us too, after the notes are durable */
	addr = gt_strdup(gt_json_str(a, "address"));
	cJSON_Delete(a);
	a = NULL;
	if ((rc = gt_ledger_refresh(ctx.lg)) < 0 || (rc = gt_agent_read(&a, ctx.lg, addr)) < 0)
		goto out;
	rc = gt_worker_start(&ctx, &t, a, gt_worker_alive(&t, a) == 0);
out:
	free(addr);
	cJSON_Delete(a);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
