/*
 * gt-formula-list - the formulas on the search path: the rig's, the
 * town's, then the ones shipped with gt (a nearer one shadows a farther
 * one of the same name).
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-formula-list [--rig RIG] [--all] [--json]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_formula_path path;
	const char *rig = NULL;
	cJSON *list = NULL, *it;
	int rc, all = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "rig", &rig, "RIG", "include RIG's formulas (default: $GT_RIG)"),
		GT_OPT_FLAG('a', "all", &all, "also list the formulas nearer ones shadow"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list the formulas on the search path";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "no arguments expected");
	if ((rc = gt_cli_formula_path(&cli, &ctx, &t, rig, 0, &path)) < 0 ||
	    (rc = gt_formula_list(&list, &path, all)) < 0)
		goto out;
	cJSON_ArrayForEach (it, list) {
		const char *desc = gt_json_str(it, "description");
		int64_t v = 0;

		if (cli.json) {
			gt_cli_print_json(&cli, it);
			continue;
		}
		gt_json_int(it, "version", &v);
		printf("%s\t%s\tv%lld\t%s%s\t", gt_json_str(it, "name"),
		       gt_json_str(it, "type") ? gt_json_str(it, "type") : "error", (long long)v,
		       gt_json_str(it, "origin"),
		       gt_json_bool(it, "shadowed") ? " (shadowed)" : "");
		if (gt_json_str(it, "error"))
			printf("%s", gt_json_str(it, "error"));
		else if (desc)
			printf("%.*s", (int)strcspn(desc, "\n"), desc);
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(list);
	gt_formula_path_release(&path);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
