/*
 * gt-escalation-ack - a person has seen to it: acknowledge (close)
 * escalations.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-escalation-ack [-m NOTE] ESCALATION...",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT;
	const char *note = NULL;
	int rc = 0, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING('m', "message", &note, "NOTE", "what was done about it"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "acknowledge escalations";
	cli.opts = opts;
	if (!(nargs = gt_cli_parse(&cli, argc, argv)))
		gt_cli_usage_error(&cli, "an escalation is required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	for (int i = 1; i <= nargs && rc == 0; i++) {
		int changed = 0;

		if ((rc = gt_cli_resolve(&ctx, &idx, argv[i], &id)) < 0 ||
		    (rc = gt_escalation_ack(&ctx, id.ptr, note, &changed)) < 0)
			break;
		if (!cli.quiet) {
			printf("%s\t%s", id.ptr, changed ? "acked" : "acked already");
			gt_cli_eor(&cli);
		}
	}
out:
	gt_buf_release(&id);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
