/*
 * gt-up - start the town's deacon in the background (one per town), or
 * print a systemd user unit that keeps it running.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-up [--interval DURATION] [--print-systemd]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	const char *interval = NULL;
	int rc = 0, systemd = 0, started = 0;
	long pid = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "interval", &interval, "DURATION",
			      "patrol every DURATION (default 30s)"),
		GT_OPT_FLAG(0, "print-systemd", &systemd,
			    "print a systemd user unit for the deacon instead"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "start the town's deacon";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	if (interval)
		gt_cli_duration(&cli, "--interval", interval, 10);
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if (systemd) {
		printf("# gt deacon of the town %s: save as\n"
		       "# ~/.config/systemd/user/gt-deacon-%s.service, then\n"
		       "# systemctl --user enable --now gt-deacon-%s\n"
		       "[Unit]\nDescription=gt deacon of the town %s\n\n"
		       "[Service]\nExecStart=%s/gt-deacon --watch --interval %s --gt-dir %s\n"
		       "Environment=PATH=%s:/usr/local/bin:/usr/bin:/bin\n"
		       "Restart=always\nRestartSec=5\n\n[Install]\nWantedBy=default.target\n",
		       t.name, t.name, t.name, t.name, t.bindir, interval ? interval : "30s",
		       ctx.lg->repo->common_dir, t.bindir);
		goto out;
	}
	{
		const char *extra[] = { interval ? "--interval" : NULL, interval, NULL };

		if ((rc = gt_deacon_start(&pid, &started, &ctx, &t, extra)) < 0)
			goto out;
	}
	if (!cli.quiet) {
		printf("%ld\t%s", pid, started ? "started" : "running already");
		gt_cli_eor(&cli);
	}
out:
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
