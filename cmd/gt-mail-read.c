/*
 * gt-mail-read - show messages and mark them read (when the reader is
 * their recipient: anyone else's reading leaves them unread).
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mail-read [--ack] [--peek] [--json] ID...",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	int rc = 0, nargs, ack = 0, peek = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "ack", &ack, "ack the messages too"),
		GT_OPT_FLAG(0, "peek", &peek, "leave them unread"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "read mail";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) < 1)
		gt_cli_usage_error(&cli, "a message id is required");
	if (ack && peek)
		gt_cli_usage_error(&cli, "--ack and --peek do not go together");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	for (int i = 1; i <= nargs && rc == 0; i++) {
		cJSON *m = NULL;
		int wisp;

		if ((rc = gt_mail_get(&m, &wisp, &ctx, argv[i])) < 0)
			break;
		gt_cli_print_message(&cli, m, 1);
		/* only the recipient's reading counts: anyone else only looks
		 * (an explicit --ack still acks) */
		if (ack || (!peek && gt_json_str(m, "assignee") &&
			    !strcmp(gt_json_str(m, "assignee"), gt_agent_actor(&ctx))))
			rc = gt_mail_mark(&ctx, m, ack, NULL);
		cJSON_Delete(m);
	}
out:
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
