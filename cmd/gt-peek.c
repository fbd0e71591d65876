/*
 * gt-peek - the last lines of an agent's session screen.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-peek AGENT [LINES]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_buf s = GT_BUF_INIT, out = GT_BUF_INIT;
	struct gt_address a;
	long lines = 30;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show the end of an agent's session screen";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs < 1 || nargs > 2)
		gt_cli_usage_error(&cli, "an agent is required");
	if (nargs == 2 && gt_parse_long(argv[2], 1, 100000, &lines) < 0)
		gt_cli_usage_error(&cli, "LINES must be a number from 1 to 100000");
	if ((rc = gt_address_parse(&a, argv[1])) < 0 || (rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	gt_session_name(&s, argv[1]);
	if (gt_session_has(t.socket, s.ptr) != 0) {
		rc = gt_error_set(GT_ENOTFOUND, "no session for '%s'", argv[1]);
		goto out;
	}
	if ((rc = gt_session_capture(&out, t.socket, s.ptr, (int)lines)) == 0 && out.len)
		printf("%s\n", out.ptr);
out:
	gt_buf_release(&s);
	gt_buf_release(&out);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
