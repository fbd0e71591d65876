/*
 * gt-convoy-create - a convoy tracking a batch of beads.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-convoy-create [--notify ADDR]... NAME [BEAD...]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_strlist notify = { 0 };
	struct gt_buf id = GT_BUF_INIT;
	int rc, nargs;
	cJSON *st = NULL;
	const struct gt_option opts[] = {
		GT_OPT_LIST(0, "notify", &notify, "ADDR", "mail ADDR when it lands (repeatable)"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "create a convoy";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) < 1)
		gt_cli_usage_error(&cli, "a name is required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if ((rc = gt_convoy_create(&id, &ctx, argv[1], (const char *const *)argv + 2,
				   (size_t)nargs - 1, notify.v, notify.n)) < 0)
		goto out;
	if (cli.json) {
		if ((rc = gt_ledger_refresh(ctx.lg)) == 0 &&
		    (rc = gt_convoy_status(&st, &ctx, id.ptr)) == 0)
			gt_cli_print_json(&cli, st);
	} else if (!cli.quiet) {
		printf("%s", id.ptr);
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(st);
	gt_strlist_release(&notify);
	gt_buf_release(&id);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
