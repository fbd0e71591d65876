/*
 * gt-mail-reply - answer a message: to its sender, in its thread.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mail-reply [-s SUBJECT] (-m BODY | --stdin) [--json] ID",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_mail_opts o = { .ephemeral = -1, .priority = -1 };
	struct gt_buf body = GT_BUF_INIT;
	int rc, nargs;
	cJSON *r = NULL;
	const struct gt_option opts[] = {
		GT_OPT_STRING('s', "subject", &o.subject, "SUBJECT",
			      "the subject (default: Re: and the original's)"),
		GT_OPT_STRING('m', "message", &o.body, "BODY", "the body"),
		GT_OPT_FLAG(0, "stdin", &cli.use_stdin, "read the body from stdin"),
		GT_OPT_FLAG(0, "no-nudge", &o.no_nudge, "do not tell a live recipient"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "reply to mail";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) != 1)
		gt_cli_usage_error(&cli, "one message id is required");
	if (!o.body == !cli.use_stdin)
		gt_cli_usage_error(&cli, "a body is required: -m BODY or --stdin");
	if (cli.use_stdin) {
		if ((rc = gt_cli_read_stdin(&body)) < 0)
			goto out;
		o.body = gt_buf_cstr(&body);
	}
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if ((rc = gt_mail_reply(&r, &ctx, &t, argv[1], &o)) < 0)
		goto out;
	gt_cli_print_sent(&cli, r);
out:
	cJSON_Delete(r);
	gt_buf_release(&body);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
