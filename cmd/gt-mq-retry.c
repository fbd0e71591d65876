/*
 * gt-mq-retry - put a failed or refused merge request back in the queue.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mq-retry MR...",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_buf id = GT_BUF_INIT;
	struct gt_index *idx = NULL;
	int rc = 0, nargs;
	const struct gt_option opts[] = {
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "retry a merge request";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) < 1)
		gt_cli_usage_error(&cli, "a merge request is required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	for (int i = 1; i <= nargs && rc == 0; i++) {
		if ((rc = gt_cli_resolve(&ctx, &idx, argv[i], &id)) == 0 &&
		    (rc = gt_mq_retry(&ctx, id.ptr, NULL)) == 0 && !cli.quiet) {
			printf("%s", id.ptr);
			gt_cli_eor(&cli);
		}
	}
out:
	gt_buf_release(&id);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
