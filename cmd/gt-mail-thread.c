/*
 * gt-mail-thread - every message of a conversation, oldest first.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mail-thread [--json] ID",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	int rc, nargs;
	cJSON *r = NULL, *it;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show a conversation";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) != 1)
		gt_cli_usage_error(&cli, "one message id is required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if ((rc = gt_mail_thread(&r, &ctx, argv[1])) < 0)
		goto out;
	cJSON_ArrayForEach (it, r)
		gt_cli_print_message(&cli, it, 1);
out:
	cJSON_Delete(r);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
