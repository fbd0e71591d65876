/*
 * gt-session-attach - attach the terminal to an agent's session (tmux
 * attach on the town's server; detach with the tmux prefix key, then d).
 */
#include <unistd.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-session-attach AGENT",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_buf s = GT_BUF_INIT, target = GT_BUF_INIT;
	struct gt_address a;
	int rc;
	const struct gt_option opts[] = {
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "attach to an agent's session";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli, "an agent is required");
	if ((rc = gt_address_parse(&a, argv[1])) < 0 || (rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	gt_session_name(&s, argv[1]);
	if (gt_session_has(t.socket, s.ptr) != 0) {
		rc = gt_error_set(GT_ENOTFOUND, "no session for '%s'", argv[1]);
		gt_error_hint("gt-session-start %s starts it", argv[1]);
		goto out;
	}
	if (!isatty(0)) {
		rc = gt_error_set(GT_EUSAGE, "attaching needs a terminal");
		gt_error_hint("gt-peek %s shows the screen without one", argv[1]);
		goto out;
	}
	gt_buf_printf(&target, "=%s", s.ptr);
	execlp("tmux", "tmux", "-L", t.socket, "attach-session", "-t", target.ptr, (char *)NULL);
	rc = gt_error_errno(GT_EFAIL, "cannot run tmux");
out:
	gt_buf_release(&s);
	gt_buf_release(&target);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
