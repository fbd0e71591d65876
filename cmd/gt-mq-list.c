/*
 * gt-mq-list - the merge queue in the order the refinery takes it.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mq-list [--all] [--json] [RIG]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	int rc, nargs, all = 0;
	cJSON *r = NULL, *it;
	const struct gt_option opts[] = {
		GT_OPT_FLAG('a', "all", &all, "closed merge requests too"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list the merge queue";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one rig at most");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if ((rc = gt_mq_list(&r, &ctx, nargs ? argv[1] : NULL, all)) < 0)
		goto out;
	cJSON_ArrayForEach (it, r) {
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");

		if (cli.json) {
			gt_cli_print_json(&cli, it);
			continue;
		}
		printf("%s\t%s\t%.0f\tP%d\t%s\t%s\t%s", gt_bead_id(it), gt_json_str(it, "queue"),
		       cJSON_GetObjectItemCaseSensitive(it, "score")->valuedouble,
		       gt_bead_priority(it),
		       gt_json_str(md, "source_bead") ? gt_json_str(md, "source_bead") : "-",
		       gt_json_str(md, "branch") ? gt_json_str(md, "branch") : "-",
		       gt_json_str(md, "worker") ? gt_json_str(md, "worker") : "-");
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(r);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
