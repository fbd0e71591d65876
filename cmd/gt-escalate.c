/*
 * gt-escalate - tell a person something needs them: an escalation with a
 * severity, mailed to the overseer, deduplicated by key.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-escalate [-s SEVERITY] [--key KEY] [--bead ID] [-m TEXT] [--json] TITLE",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_index *idx = NULL;
	struct gt_escalation e = { 0 };
	struct gt_buf id = GT_BUF_INIT, bead = GT_BUF_INIT;
	const char *bead_arg = NULL;
	int rc, is_new = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING('s', "severity", &e.severity, "SEVERITY",
			      "critical, high, medium (default) or low"),
		GT_OPT_STRING(0, "key", &e.key, "KEY",
			      "dedupe: an open escalation with this key is counted, not repeated"),
		GT_OPT_STRING(0, "bead", &bead_arg, "ID", "the bead it is about"),
		GT_OPT_STRING('m', "message", &e.body, "TEXT", "what a person should know"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "escalate to a person";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli, "one title is required");
	e.title = argv[1];
	if (e.severity && !gt_severity_check(e.severity, NULL))
		gt_cli_usage_error(&cli, "unknown severity '%s' (critical, high, medium or low)",
				   e.severity);
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if (bead_arg) {
		if ((rc = gt_cli_resolve(&ctx, &idx, bead_arg, &bead)) < 0)
			goto out;
		e.bead = bead.ptr;
	}
	if ((rc = gt_escalate(&id, &is_new, &ctx, &t, &e)) < 0)
		goto out;
	if (cli.json) {
		cJSON *b = NULL;

		if ((rc = gt_ledger_refresh(ctx.lg)) == 0 &&
		    (rc = gt_ledger_read_bead(&b, ctx.lg, NULL, id.ptr)) == 0) {
			gt_json_set_bool(b, "new", is_new);
			gt_cli_print_json(&cli, b);
		}
		cJSON_Delete(b);
	} else {
		printf("%s", id.ptr);
		gt_cli_eor(&cli);
	}
out:
	gt_buf_release(&id);
	gt_buf_release(&bead);
	gt_town_release(&t);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
