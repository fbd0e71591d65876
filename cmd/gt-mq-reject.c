/*
 * gt-mq-reject - take a merge request out of the queue for good.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mq-reject -r REASON MR",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_buf id = GT_BUF_INIT;
	struct gt_index *idx = NULL;
	const char *reason = NULL;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING('r', "reason", &reason, "REASON", "why (required)"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "reject a merge request";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) != 1)
		gt_cli_usage_error(&cli, "one merge request is required");
	if (!reason || !*reason)
		gt_cli_usage_error(&cli, "a reason is required (-r)");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 ||
	    (rc = gt_cli_resolve(&ctx, &idx, argv[1], &id)) < 0 ||
	    (rc = gt_mq_reject(&ctx, &t, id.ptr, reason)) < 0)
		goto out;
	if (!cli.quiet) {
		printf("%s", id.ptr);
		gt_cli_eor(&cli);
	}
out:
	gt_buf_release(&id);
	gt_town_release(&t);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
