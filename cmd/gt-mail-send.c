/*
 * gt-mail-send - send mail to agents, roles, a rig's workers or a list.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mail-send [-s SUBJECT] [-m BODY | --stdin] [--wisp | --durable] [-p N] [--no-nudge]"
	" [--json] ADDR...",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_mail_opts o = { .ephemeral = -1, .priority = -1 };
	struct gt_buf body = GT_BUF_INIT;
	const char *prio = NULL;
	int rc, nargs, wisp = 0, durable = 0;
	cJSON *r = NULL;
	const struct gt_option opts[] = {
		GT_OPT_STRING('s', "subject", &o.subject, "SUBJECT", "the subject (required)"),
		GT_OPT_STRING('m', "message", &o.body, "BODY", "the body"),
		GT_OPT_FLAG(0, "stdin", &cli.use_stdin, "read the body from stdin"),
		GT_OPT_FLAG(0, "wisp", &wisp, "ephemeral, whatever the subject"),
		GT_OPT_FLAG(0, "durable", &durable,
			    "kept in the ledger's history even with a protocol subject"),
		GT_OPT_STRING('p', "priority", &prio, "N", "0 (urgent) to 4 (default 2)"),
		GT_OPT_FLAG(0, "no-nudge", &o.no_nudge, "do not tell live recipients"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "send mail";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (!nargs)
		gt_cli_usage_error(&cli, "an address is required");
	if (!o.subject || !*o.subject)
		gt_cli_usage_error(&cli, "a subject is required (-s)");
	if (o.body && cli.use_stdin)
		gt_cli_usage_error(&cli, "-m and --stdin do not go together");
	if (wisp && durable)
		gt_cli_usage_error(&cli, "--wisp and --durable do not go together");
	if (wisp || durable)
		o.ephemeral = wisp;
	if (prio) {
		if (gt_priority_parse(prio, &o.priority) < 0)
			gt_cli_usage_error(&cli, "bad priority '%s'", prio);
	}
	if (cli.use_stdin) {
		if ((rc = gt_cli_read_stdin(&body)) < 0)
			goto out;
		o.body = gt_buf_cstr(&body);
	}
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if ((rc = gt_mail_send(&r, &ctx, &t, (const char *const *)argv + 1, (size_t)nargs, &o)) < 0)
		goto out;
	gt_cli_print_sent(&cli, r);
out:
	cJSON_Delete(r);
	gt_buf_release(&body);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
