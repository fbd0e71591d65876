/*
 * gt-mail-reply - answer a message: to its sender, in its thread.
 */
#include <string.h>

#include "cli.h"
#include "../lib/banned.h"

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
	struct gt_buf body = GT_BUF_INIT, subj = GT_BUF_INIT;
	const char *to;
	int rc, nargs, wisp = 0;
	cJSON *orig = NULL, *r = NULL, *it;
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
	if ((rc = gt_mail_get(&orig, &wisp, &ctx, argv[1])) < 0)
		goto out;
	to = gt_json_str(orig, "sender");
	if (!to || !*to) {
		rc = gt_error_set(GT_EINVALID, "message '%s' has no sender to reply to", argv[1]);
		goto out;
	}
	if (!o.subject) {
		const char *s = gt_json_str(orig, "title") ? gt_json_str(orig, "title") : "";

		gt_buf_printf(&subj, "%s%s", strncmp(s, "Re: ", 4) ? "Re: " : "", s);
		o.subject = subj.ptr;
	}
	o.reply_to = gt_bead_id(orig);
	if ((rc = gt_mail_send(&r, &ctx, &t, &to, 1, &o)) < 0)
		goto out;
	cJSON_ArrayForEach (it, r) {
		if (cli.json) {
			gt_cli_print_json(&cli, it);
		} else if (!cli.quiet) {
			printf("%s\t%s", gt_bead_id(it), gt_json_str(it, "assignee"));
			gt_cli_eor(&cli);
		}
	}
out:
	cJSON_Delete(orig);
	cJSON_Delete(r);
	gt_buf_release(&body);
	gt_buf_release(&subj);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
