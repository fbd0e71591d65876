/*
 * gt-convoy-stranded - open convoys with ready work nobody is on, or with
 * nothing tracked.  Exit 1 when there are none.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-convoy-stranded [--json]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	int rc, nargs;
	cJSON *r = NULL, *c, *b;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list convoys whose ready work nobody is on";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 0)
		gt_cli_usage_error(&cli, "no arguments expected");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 || (rc = gt_convoy_stranded(&r, &ctx)) < 0)
		goto out;
	cJSON_ArrayForEach (c, r) {
		if (cli.json) {
			gt_cli_print_json(&cli, c);
			continue;
		}
		printf("%s\t%s\t", gt_json_str(c, "id"),
		       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c, "ready")) ? "ready"
											: "empty");
		cJSON_ArrayForEach (b, cJSON_GetObjectItemCaseSensitive(c, "ready"))
			printf("%s%s", b->valuestring, b->next ? "," : "");
		printf("\t%s\n", gt_json_str(c, "title"));
	}
	if (!cJSON_GetArraySize(r))
		rc = GT_ENO;
out:
	cJSON_Delete(r);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
