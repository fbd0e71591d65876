/*
 * gt-deacon - the town's patrol: witnesses, the refinery when the queue
 * has work, convoys, housekeeping and escalations.  One per town (a
 * lock); gt-up starts it in the background.  Deterministic: no model
 * calls, and nothing written when there is nothing to do.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-deacon [--once | --watch [--interval DURATION]] [--json]",
	NULL,
};

static volatile sig_atomic_t stop;

static void print_entry(struct gt_cli *cli, const cJSON *e)
{
	const char *keys[] = {
		"agent", "bead", "what", "reason", "snapshot", "error", "escalation"
	};

	if (cli->json) {
		gt_cli_print_json(cli, e);
		return;
	}
	printf("%s\t%s", gt_json_str(e, "patrol"), gt_json_str(e, "action"));
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (gt_json_str(e, keys[i]))
			printf("\t%s=%s", keys[i], gt_json_str(e, keys[i]));
	gt_cli_eor(cli);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_deacon d = { 0 };
	const char *interval_s = "30s";
	int64_t interval = 0;
	int rc = 0, once = 0, watch = 0, fd = -1;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "once", &once, "one patrol, then exit (default)"),
		GT_OPT_FLAG(0, "watch", &watch, "patrol again every interval until stopped"),
		GT_OPT_STRING(0, "interval", &interval_s, "DURATION",
			      "--watch: patrol every DURATION (default 30s)"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "patrol the town: witnesses, refinery, convoys, escalations";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	if (once && watch)
		gt_cli_usage_error(&cli, "--once and --watch do not go together");
	interval = gt_cli_duration(&cli, "--interval", interval_s, 10);
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 || (rc = gt_deacon_lock(&fd, &ctx)) < 0)
		goto out;
	/* the witnesses act as <rig>/witness; everything else as the deacon */
	if (!cli.actor) {
		gt_ledger_set_actor(ctx.lg, "deacon");
		d.own_actor = 1;
	}
	gt_cli_stop_on_signals(&stop);
	do {
		cJSON *log = NULL, *e;

		rc = gt_deacon_patrol(&log, &ctx, &t, &d);
		cJSON_ArrayForEach (e, log)
			print_entry(&cli, e);
		cJSON_Delete(log);
		fflush(stdout);
		if (watch && rc < 0 && !stop) {
			/* a bad patrol is reported and the next one tried */
			gt_cli_warn(&cli, "patrol failed: %s", gt_error_last());
			gt_error_clear();
			rc = 0;
		}
		if (watch && !stop)
			gt_cli_nap((long)interval, &stop);
	} while (watch && !stop);
out:
	gt_deacon_unlock(fd, &ctx);
	gt_deacon_release(&d);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
