/*
 * gt-mol-pour - instantiate a formula as a molecule, on a bead or on its
 * own: cook it (variables from --var, plus issue and title of the bead)
 * and write the root (and, for pour = true and convoy formulas, a bead
 * per step) in one transaction.  gt-mol-wisp is the same program built
 * with WISP: the molecule goes to the ephemeral store.
 */
#include <stdlib.h>

#include "cli.h"
#include "base/banned.h"

#ifndef WISP
#define WISP 0
#define NAME "gt-mol-pour"
#else
#define NAME "gt-mol-wisp"
#endif

static const char *const usage[] = {
	NAME " [--on BEAD] [--var NAME=VALUE]... [--rig RIG] [--prefix PREFIX] [--json] FORMULA",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_index *idx = NULL;
	struct gt_formula_path path = { 0 };
	struct gt_formula *f = NULL;
	struct gt_strlist varargs = { 0 };
	struct gt_buf on = GT_BUF_INIT, id = GT_BUF_INIT;
	struct gt_mol_spec m = { .wisp = WISP };
	const char *onarg = NULL, *rig = NULL;
	char *bead_rig = NULL;
	cJSON *vars = NULL, *dag = NULL, *bead = NULL, *st = NULL;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "on", &onarg, "BEAD", "attach the molecule to BEAD"),
		GT_OPT_LIST(0, "var", &varargs, "NAME=VALUE", "set a variable (repeatable)"),
		GT_OPT_STRING(0, "rig", &rig, "RIG",
			      "look in RIG's formulas first (default: the bead's rig, $GT_RIG)"),
		GT_OPT_STRING(0, "prefix", &m.prefix, "PREFIX",
			      "id prefix of a molecule on its own (default: the ledger's)"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = WISP ? "instantiate a formula as an ephemeral molecule (a wisp)"
			   : "instantiate a formula as a molecule, on a bead or on its own";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) != 1)
		gt_cli_usage_error(&cli, "one formula is required");
	if ((rc = gt_formula_vars_parse(&vars, &varargs)) < 0 ||
	    (rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if (onarg) {
		if ((rc = gt_cli_resolve(&ctx, &idx, onarg, &on)) < 0 ||
		    (rc = gt_ledger_read_bead(&bead, ctx.lg, NULL, on.ptr)) < 0)
			goto out;
		gt_mol_bead_vars(vars, bead);
		m.on = on.ptr;
		if (!rig)
			rig = bead_rig = gt_rig_of_bead(&ctx, on.ptr);
	}
	if (!rig && getenv("GT_RIG") && *getenv("GT_RIG"))
		rig = getenv("GT_RIG");
	if (rig && (rc = gt_name_check("rig", rig)) < 0)
		goto out;
	gt_formula_path_init(&path, t.root, rig, t.bindir);
	if ((rc = gt_formula_load(&f, &path, argv[1])) < 0 ||
	    (rc = gt_formula_cook(&dag, f, vars, 0)) < 0 ||
	    (rc = gt_mol_pour(&id, &ctx, dag, &m)) < 0)
		goto out;
	if (cli.json) {
		if ((rc = gt_ledger_refresh(ctx.lg)) == 0 &&
		    (rc = gt_mol_status(&st, &ctx, id.ptr)) == 0)
			gt_cli_print_json(&cli, st);
	} else {
		printf("%s", id.ptr);
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(st);
	cJSON_Delete(dag);
	cJSON_Delete(vars);
	cJSON_Delete(bead);
	free(bead_rig);
	gt_buf_release(&on);
	gt_buf_release(&id);
	gt_strlist_release(&varargs);
	gt_formula_free(f);
	gt_formula_path_release(&path);
	gt_town_release(&t);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
