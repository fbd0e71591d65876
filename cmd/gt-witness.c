/*
 * gt-witness - patrol the rigs' polecats: dead, hung and crash-looping
 * workers are nudged, restarted or released with an escalation; closed
 * beads on hooks and sessions without hooks are cleaned up.
 * Deterministic: no model calls.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-witness [--once | --watch [--interval DURATION]] [--json] [RIG...]",
	NULL,
};

static volatile sig_atomic_t stop;

static void print_entry(struct gt_cli *cli, const cJSON *e)
{
	const char *keys[] = { "bead", "reason", "snapshot", "escalation", "outcome", "error" };

	if (cli->json) {
		gt_cli_print_json(cli, e);
		return;
	}
	printf("%s\t%s", gt_json_str(e, "action"), gt_json_str(e, "agent"));
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
	struct gt_strlist rigs = { 0 };
	const char *interval_s = "30s";
	int64_t interval = 0;
	int rc = 0, nargs, once = 0, watch = 0, own_actor;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "once", &once, "one patrol of each rig, then exit (default)"),
		GT_OPT_FLAG(0, "watch", &watch, "patrol again every interval until interrupted"),
		GT_OPT_STRING(0, "interval", &interval_s, "DURATION",
			      "--watch: patrol every DURATION (default 30s)"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "patrol the rigs' workers and recover the stuck ones";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (once && watch)
		gt_cli_usage_error(&cli, "--once and --watch do not go together");
	interval = gt_cli_duration(&cli, "--interval", interval_s, 10);
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if ((rc = gt_cli_rigs(&ctx, nargs, argv, &rigs)) < 0)
		goto out;
	own_actor = !cli.actor && !(getenv("GT_AGENT") && *getenv("GT_AGENT"));
	gt_cli_stop_on_signals(&stop);
	do {
		for (size_t i = 0; i < rigs.n && rc == 0 && !stop; i++) {
			cJSON *log = NULL, *e;

			/* it acts as <rig>/witness unless told otherwise */
			if (own_actor)
				gt_rig_act_as(&ctx, rigs.v[i], "witness");
			rc = gt_witness_patrol(&log, &ctx, &t, rigs.v[i]);
			cJSON_ArrayForEach (e, log)
				print_entry(&cli, e);
			cJSON_Delete(log);
			fflush(stdout);
		}
		if (watch && rc == 0 && !stop)
			gt_cli_nap((long)interval, &stop);
	} while (watch && rc == 0 && !stop);
out:
	gt_strlist_release_owned(&rigs);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
