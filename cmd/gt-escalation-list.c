/*
 * gt-escalation-list - what needs a person: open escalations, most severe
 * first.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-escalation-list [--all] [--json]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	cJSON *list = NULL, *it;
	int rc, all = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG('a', "all", &all, "acknowledged ones too"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list escalations";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "no arguments are taken");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 || (rc = gt_escalation_list(&list, &ctx, all)) < 0)
		goto out;
	cJSON_ArrayForEach (it, list) {
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
		int64_t count = 1;

		if (cli.json) {
			gt_cli_print_json(&cli, it);
			continue;
		}
		gt_json_int(md, "count", &count);
		printf("%s\t%s\t%s\t%lldx\t%s\t%s", gt_bead_id(it),
		       gt_json_str(md, "severity") ? gt_json_str(md, "severity") : "medium",
		       strcmp(gt_bead_status(it), "open") ? "acked" : "open", (long long)count,
		       gt_json_str(md, "bead") ? gt_json_str(md, "bead") : "-",
		       gt_json_str(it, "title") ? gt_json_str(it, "title") : "");
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(list);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
