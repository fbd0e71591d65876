/*
 * gt-convoy-list - convoys, one line each: id, status, done/total, name.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-convoy-list [--all] [--json]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	int rc, nargs, all = 0;
	cJSON *r = NULL, *c;
	const struct gt_option opts[] = {
		GT_OPT_FLAG('a', "all", &all, "landed convoys too"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list convoys";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 0)
		gt_cli_usage_error(&cli, "no arguments expected");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 || (rc = gt_convoy_list(&r, &ctx, all)) < 0)
		goto out;
	cJSON_ArrayForEach (c, r) {
		if (cli.json) {
			gt_cli_print_json(&cli, c);
			continue;
		}
		printf("%s\t%s\t%d/%d\t%s", gt_json_str(c, "id"), gt_json_str(c, "status"),
		       (int)cJSON_GetObjectItemCaseSensitive(c, "done")->valuedouble,
		       (int)cJSON_GetObjectItemCaseSensitive(c, "total")->valuedouble,
		       gt_json_str(c, "title"));
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(r);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
