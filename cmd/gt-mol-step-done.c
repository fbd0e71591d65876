/*
 * gt-mol-step-done - mark a step of a molecule finished (by its id in the
 * formula or its bead's id) and show what comes next.  Without --mol, the
 * molecule on the calling agent's hook.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mol-step-done [--mol MOLECULE|BEAD] [--force] [-m REASON] [--json] [-q] STEP",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT;
	const char *mol = NULL, *reason = NULL;
	cJSON *st = NULL;
	int rc, force = 0, changed = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "mol", &mol, "MOLECULE",
			      "the molecule, or a bead it is on (default: the one on your hook)"),
		GT_OPT_FLAG('f', "force", &force, "finish it even though steps it needs are not"),
		GT_OPT_STRING('m', "message", &reason, "REASON",
			      "what was done (kept with the step)"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "mark a molecule's step finished";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli, "one step is required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if ((rc = gt_cli_molecule(&ctx, &idx, mol, &id)) < 0 ||
	    (rc = gt_mol_step_done(&st, &ctx, id.ptr, argv[1], reason, force, &changed)) < 0)
		goto out;
	if (!changed && !cli.quiet)
		gt_cli_warn(&cli, "step '%s' was done already", argv[1]);
	if (cli.quiet && !cli.json) {
		/* nothing more */
	} else if (!cli.json && gt_json_str(st, "current")) {
		const char *cur = gt_json_str(st, "current");
		const cJSON *s;

		cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(st, "steps"))
			if (!strcmp(gt_json_str(s, "id"), cur))
				printf("next: %s\t%s\n", cur, gt_json_str(s, "title"));
	} else if (!cli.json && gt_json_bool(st, "complete")) {
		printf("every step of %s is done%s\n", id.ptr,
		       gt_json_str(st, "work") ? ": finish with gt-done" : "");
	} else if (!cli.json) {
		gt_cli_print_molecule(&cli, st);
	} else {
		gt_cli_print_json(&cli, st);
	}
out:
	cJSON_Delete(st);
	gt_buf_release(&id);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
