/*
 * gt-rig-park - park a rig: no new work, no merges, its workers finish.
 * gt-rig-unpark is the same program built with UNPARK.
 */
#include "cli.h"
#include "base/banned.h"

#ifdef UNPARK
#define ON	0
#define DONE	"unparked"
#define SUMMARY "unpark a rig: it takes work again"
static const char *const usage[] = {
	"gt-rig-unpark RIG",
	NULL,
};
#else
#define ON	1
#define DONE	"parked"
#define SUMMARY "park a rig: no new work, no merges, its workers finish"
static const char *const usage[] = {
	"gt-rig-park [-m REASON] RIG",
	NULL,
};
#endif

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	const char *reason = NULL;
	int rc, changed = 0;
	const struct gt_option opts[] = {
#if ON
		GT_OPT_STRING('m', "message", &reason, "REASON", "why"),
#endif
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = SUMMARY;
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli, "one rig is required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 ||
	    (rc = gt_rig_park(&changed, &ctx, argv[1], reason, ON)) < 0)
		goto out;
	if (!cli.quiet) {
		printf("%s\t%s", argv[1], changed ? DONE : DONE " already");
		gt_cli_eor(&cli);
	}
out:
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
