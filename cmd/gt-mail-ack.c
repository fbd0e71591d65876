/*
 * gt-mail-ack - done with these messages: close them (an acked wisp is
 * removed).
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mail-ack [--all] [ID...]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_buf me = GT_BUF_INIT;
	int rc = 0, nargs, all = 0;
	cJSON *inbox = NULL, *it;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "all", &all, "every open message in your inbox"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "acknowledge mail";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (!nargs == !all)
		gt_cli_usage_error(&cli, "message ids, or --all");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if (all) {
		if ((rc = gt_mail_me(&me, &ctx, NULL)) < 0 ||
		    (rc = gt_mail_inbox(&inbox, &ctx, me.ptr, 0)) < 0)
			goto out;
		cJSON_ArrayForEach (it, inbox) {
			if ((rc = gt_mail_mark(&ctx, it, 1, NULL)) < 0)
				goto out;
			if (!cli.quiet) {
				printf("%s", gt_bead_id(it));
				gt_cli_eor(&cli);
			}
		}
	}
	for (int i = 1; i <= nargs && rc == 0; i++) {
		cJSON *m = NULL;
		int wisp;

		if ((rc = gt_mail_get(&m, &wisp, &ctx, argv[i])) == 0)
			rc = gt_mail_mark(&ctx, m, 1, NULL);
		cJSON_Delete(m);
		if (rc == 0 && !cli.quiet) {
			printf("%s", argv[i]);
			gt_cli_eor(&cli);
		}
	}
out:
	cJSON_Delete(inbox);
	gt_buf_release(&me);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
