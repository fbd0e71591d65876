/*
 * gt-formula-cook - resolve a formula, substitute its variables, check
 * it, and print its step DAG as one JSON object: every step after the
 * steps it needs.  Errors name the file, the line and the step.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-formula-cook [--rig RIG] [--var NAME=VALUE]... [--partial] FORMULA",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_formula_path path;
	struct gt_formula *f = NULL;
	struct gt_strlist varargs = { 0 };
	const char *rig = NULL;
	cJSON *vars = NULL, *dag = NULL;
	int rc, partial = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "rig", &rig, "RIG",
			      "look in RIG's formulas first (default: $GT_RIG)"),
		GT_OPT_LIST(0, "var", &varargs, "NAME=VALUE", "set a variable (repeatable)"),
		GT_OPT_FLAG(0, "partial", &partial,
			    "leave variables without a value as {{NAME}} instead of failing"),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "resolve and check a formula, print its step DAG as JSON";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli, "one formula is required");
	if ((rc = gt_formula_vars_parse(&vars, &varargs)) < 0 ||
	    (rc = gt_cli_formula_path(&cli, &ctx, &t, rig, 0, &path)) < 0 ||
	    (rc = gt_formula_load(&f, &path, argv[1])) < 0 ||
	    (rc = gt_formula_cook(&dag, f, vars, partial)) < 0)
		goto out;
	gt_cli_print_json(&cli, dag);
out:
	cJSON_Delete(dag);
	cJSON_Delete(vars);
	gt_strlist_release(&varargs);
	gt_formula_free(f);
	gt_formula_path_release(&path);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
