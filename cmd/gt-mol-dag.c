/*
 * gt-mol-dag - draw a molecule's steps (or a formula's, cooked with
 * --partial) as a graph: a line per step with its tier (the longest chain
 * of needs below it), or Graphviz with --dot.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mol-dag [--dot] [--json] [--rig RIG] [--var NAME=VALUE]... [MOLECULE|BEAD|FORMULA]",
	NULL,
};

/* Every string goes through gt_dot_quote() (base/dot.h): step ids and
 * titles come from formulas and the beads they were poured on. */
static void print_dot(const char *name, const cJSON *steps)
{
	const cJSON *s, *n;
	struct gt_buf out = GT_BUF_INIT, label = GT_BUF_INIT;

	gt_buf_adds(&out, "digraph ");
	gt_dot_quote(&out, name);
	gt_buf_adds(&out, " {\n\trankdir=TB;\n\tnode [shape=box, style=\"rounded,filled\", "
			  "fillcolor=white, fontname=\"Helvetica\"];\n");
	cJSON_ArrayForEach (s, steps) {
		const char *st = gt_json_str(s, "state"), *color = "white";
		const char *kind = gt_json_str(s, "kind") ? gt_json_str(s, "kind") : "step";

		if (st)
			color = !strcmp(st, "done")	 ? "palegreen"
				: !strcmp(st, "current") ? "gold"
				: !strcmp(st, "ready")	 ? "lightblue"
							 : "white";
		gt_buf_reset(&label);
		gt_buf_printf(&label, "%s\n%s", gt_json_str(s, "id"), gt_json_str(s, "title"));
		gt_buf_addch(&out, '\t');
		gt_dot_quote(&out, gt_json_str(s, "id"));
		gt_buf_adds(&out, " [label=");
		gt_dot_quote(&out, label.ptr);
		gt_buf_printf(&out, ", fillcolor=%s%s];\n", color,
			      !strcmp(kind, "step") ? "" : ", shape=component");
	}
	cJSON_ArrayForEach (s, steps)
		cJSON_ArrayForEach (n, cJSON_GetObjectItemCaseSensitive(s, "needs")) {
			gt_buf_addch(&out, '\t');
			gt_dot_quote(&out, n->valuestring);
			gt_buf_adds(&out, " -> ");
			gt_dot_quote(&out, gt_json_str(s, "id"));
			gt_buf_adds(&out, ";\n");
		}
	gt_buf_adds(&out, "}\n");
	fputs(out.ptr, stdout);
	gt_buf_release(&out);
	gt_buf_release(&label);
}

static void print_lines(struct gt_cli *cli, const cJSON *steps)
{
	const cJSON *s, *n;

	cJSON_ArrayForEach (s, steps) {
		int64_t tier = 0;
		int first = 1;

		if (cli->json) {
			gt_cli_print_json(cli, s);
			continue;
		}
		gt_json_int(s, "tier", &tier);
		printf("%lld\t%s\t%s\t%s", (long long)tier, gt_json_str(s, "id"),
		       gt_json_str(s, "state") ? gt_json_str(s, "state") : "-",
		       gt_json_str(s, "title"));
		cJSON_ArrayForEach (n, cJSON_GetObjectItemCaseSensitive(s, "needs")) {
			printf("%s%s", first ? "\t<- " : ", ", n->valuestring);
			first = 0;
		}
		gt_cli_eor(cli);
	}
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_index *idx = NULL;
	struct gt_formula_path path = { 0 };
	struct gt_formula *f = NULL;
	struct gt_strlist varargs = { 0 };
	struct gt_buf id = GT_BUF_INIT;
	const char *rig = NULL, *arg;
	cJSON *vars = NULL, *g = NULL, *steps;
	int rc, nargs, dot = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "dot", &dot, "print Graphviz (dot -Tsvg draws it)"),
		GT_OPT_STRING(0, "rig", &rig, "RIG", "a formula: look in RIG's formulas first"),
		GT_OPT_LIST(0, "var", &varargs, "NAME=VALUE", "a formula: set a variable"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "draw a molecule's or a formula's steps as a graph";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "at most one molecule, bead or formula");
	arg = nargs ? argv[1] : NULL;
	if ((rc = gt_formula_vars_parse(&vars, &varargs)) < 0 ||
	    (rc = gt_cli_formula_path(&cli, &ctx, &t, rig, 0, &path)) < 0)
		goto out;
	/* a molecule (or the caller's) when there is a ledger, else a formula */
	rc = ctx.lg ? gt_cli_molecule(&ctx, &idx, arg, &id) : GT_ENOTFOUND;
	if (rc == 0) {
		rc = gt_mol_status(&g, &ctx, id.ptr);
	} else if (arg && (rc == GT_ENOTFOUND || rc == GT_EUSAGE)) {
		gt_error_clear();
		if ((rc = gt_formula_load(&f, &path, arg)) == 0)
			rc = gt_formula_cook(&g, f, vars, 1);
	}
	if (rc < 0)
		goto out;
	steps = cJSON_GetObjectItemCaseSensitive(g, "steps");
	gt_mol_tiers(steps);
	if (dot)
		print_dot(gt_json_str(g, "id") ? gt_json_str(g, "id") : gt_json_str(g, "formula"),
			  steps);
	else
		print_lines(&cli, steps);
out:
	cJSON_Delete(g);
	cJSON_Delete(vars);
	gt_strlist_release(&varargs);
	gt_buf_release(&id);
	gt_formula_free(f);
	gt_formula_path_release(&path);
	gt_town_release(&t);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
