/*
 * gt-run - the parent of one agent run, in the agent's session (started
 * by gt-sling, gt-session-start, gt-handoff and the monitors; a person
 * rarely runs it).  See run/runner.h.
 */
#include "cli.h"
#include "run/runner.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-run --run ID",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	const char *run = NULL;
	int rc, status = 1;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "run", &run, "ID", "the run to drive (its id)"),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "drive one agent run: start the agent, speak its protocol, record it";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) > 0)
		gt_cli_usage_error(&cli, "no arguments");
	if (!run)
		gt_cli_usage_error(&cli, "--run ID is required");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) == 0)
		rc = gt_runner_main(&status, &ctx, &t, run);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	if (rc < 0)
		return gt_cli_finish(&cli, rc);
	return status;
}
