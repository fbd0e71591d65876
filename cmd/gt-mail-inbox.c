/*
 * gt-mail-inbox - list an agent's (or your) unread and unacked mail.
 * Exit 1 when there is none.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mail-inbox [--all] [--unread] [--json] [ADDR]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_buf me = GT_BUF_INIT;
	int rc, nargs, all = 0, unread = 0, shown = 0;
	cJSON *r = NULL, *it;
	const struct gt_option opts[] = {
		GT_OPT_FLAG('a', "all", &all, "acked mail too"),
		GT_OPT_FLAG('u', "unread", &unread, "only mail not read yet"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list mail";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one address at most");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if ((rc = gt_mail_me(&me, &ctx, nargs ? argv[1] : NULL)) < 0 ||
	    (rc = gt_mail_inbox(&r, &ctx, me.ptr, all)) < 0)
		goto out;
	cJSON_ArrayForEach (it, r) {
		if (unread &&
		    gt_json_str(cJSON_GetObjectItemCaseSensitive(it, "metadata"), "read_at"))
			continue;
		gt_cli_print_message(&cli, it, 0);
		shown++;
	}
	if (!shown)
		rc = GT_ENO;
out:
	cJSON_Delete(r);
	gt_buf_release(&me);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
