/*
 * gt-rig-list - the rigs of the town.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-rig-list [--json]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	cJSON *rigs = NULL, *r;
	int rc;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list the rigs";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "no arguments expected");
	if ((rc = gt_cli_open(&cli, &ctx)) == 0 && (rc = gt_rig_list(&rigs, &ctx)) == 0) {
		cJSON_ArrayForEach (r, rigs) {
			if (cli.json) {
				gt_cli_print_json(&cli, r);
				continue;
			}
			printf("%s\t%s\t%s\t%s", gt_json_str(r, "name"), gt_json_str(r, "prefix"),
			       gt_json_str(r, "default_branch"), gt_json_str(r, "url"));
			gt_cli_eor(&cli);
		}
	}
	cJSON_Delete(rigs);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
