/*
 * gt-down - stop the town's deacon (and the refinery it may be running).
 * Workers keep running: stopping them is gt-session-stop's.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-down [--grace DURATION]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	const char *grace_s = "10s";
	int64_t grace = 0;
	long pid = 0;
	int rc;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "grace", &grace_s, "DURATION",
			      "wait this long for it to finish its patrol, then kill it "
			      "(default 10s)"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "stop the town's deacon";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	grace = gt_cli_duration(&cli, "--grace", grace_s, 0);
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 ||
	    (rc = gt_deacon_stop(&pid, &ctx, (long)grace)) < 0)
		goto out;
	if (!cli.quiet) {
		if (pid)
			printf("%ld\tstopped", pid);
		else
			printf("-\tnot running");
		gt_cli_eor(&cli);
	}
out:
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
