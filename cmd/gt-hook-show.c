/*
 * gt-hook-show - what is on an agent's hook (default: the caller's).
 * Exit 1 when the hook is empty, so scripts can test it.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-hook-show [--json] [AGENT]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	cJSON *a = NULL, *b = NULL;
	const char *hook;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show the bead on an agent's hook";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one agent at most");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	rc = gt_worker_agent(&a, &ctx, nargs ? argv[1] : NULL);
	if (rc < 0)
		goto out;
	hook = gt_json_str(a, "hook");
	if (!hook || !*hook) {
		if (!cli.quiet)
			fprintf(stderr, "%s has nothing on its hook\n", gt_json_str(a, "address"));
		rc = GT_ENO;
		goto out;
	}
	if ((rc = gt_ledger_read_bead(&b, ctx.lg, NULL, hook)) < 0)
		goto out;
	if (cli.json) {
		cJSON *o = cJSON_CreateObject();

		gt_json_set_str(o, "agent", gt_json_str(a, "address"));
		cJSON_AddItemToObject(o, "bead", b);
		b = NULL;
		gt_cli_print_json(&cli, o);
		cJSON_Delete(o);
	} else {
		printf("%s\t%s\t%s", hook, gt_bead_status(b),
		       gt_json_str(b, "title") ? gt_json_str(b, "title") : "");
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(a);
	cJSON_Delete(b);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
