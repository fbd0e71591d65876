/*
 * gt-sling - put beads on hooks and start the workers: a rig (an idle
 * polecat is reused, else one is spawned; one worker per bead), an agent
 * address, or, with no target, the calling agent itself.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-sling [--agent PRESET] [--args TEXT] [--force] [--dry-run] [--no-start] [--no-convoy] "
	"[--formula NAME | --no-formula] [--var NAME=VALUE]... BEAD... [TARGET]",
	NULL,
};

/* The last argument is a target when it names a rig or an agent. */
static int is_target(struct gt_ctx *ctx, struct gt_town *t, const char *s)
{
	struct gt_rig rig;
	struct gt_address a;

	if (strchr(s, '/') || !strcmp(s, "mayor") || !strcmp(s, "deacon"))
		return gt_address_parse(&a, s) == 0;
	if (gt_rig_load(&rig, ctx, t, s) == 0) {
		gt_rig_release(&rig);
		return 1;
	}
	gt_error_clear();
	return 0;
}

/* Edit distance of a and b (small strings; capped at 9). */
static int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	int row[64], prev, cur;

	if (la > 60 || lb > 60)
		return 9;
	for (j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (int)i;
		for (j = 1; j <= lb; j++) {
			int best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			cur = row[j];
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb] > 9 ? 9 : row[lb];
}

/* "no rig or agent named X", with the names close to it. */
static int no_target(struct gt_ctx *ctx, const char *name)
{
	cJSON *rigs = NULL, *agents = NULL, *it;
	struct gt_buf near = GT_BUF_INIT, all = GT_BUF_INIT;

	gt_error_clear();
	if (gt_rig_list(&rigs, ctx) == 0)
		cJSON_ArrayForEach (it, rigs) {
			const char *r = gt_json_str(it, "name");

			gt_buf_printf(&all, "%s%s", all.len ? ", " : "", r);
			if (distance(r, name) <= 2 || !strncmp(r, name, strlen(name)))
				gt_buf_printf(&near, "%s%s", near.len ? ", " : "", r);
		}
	if (gt_agent_list(&agents, ctx->lg, NULL) == 0)
		cJSON_ArrayForEach (it, agents) {
			const char *a = gt_json_str(it, "address");

			if (a && distance(a, name) <= 2)
				gt_buf_printf(&near, "%s%s", near.len ? ", " : "", a);
		}
	gt_error_set(GT_ENOTFOUND, "no rig or agent is named '%s' (and no bead has that id)", name);
	if (near.len)
		gt_error_hint("did you mean %s?", near.ptr);
	else
		gt_error_hint("rigs: %s", all.len ? all.ptr : "none (gt-rig-add makes one)");
	cJSON_Delete(rigs);
	cJSON_Delete(agents);
	gt_buf_release(&near);
	gt_buf_release(&all);
	return GT_ENOTFOUND;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_index *idx = NULL;
	struct gt_sling_opts o = { 0 };
	struct gt_buf id = GT_BUF_INIT;
	struct gt_strlist vars = { 0 };
	int rc, nargs, nbeads, no_convoy = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "agent", &o.runtime, "PRESET",
			      "agent runtime: claude, codex, gemini, ..., scripted"),
		GT_OPT_STRING(0, "args", &o.args, "TEXT", "instructions stored for the worker"),
		GT_OPT_FLAG('f', "force", &o.force,
			    "sling closed, deferred or elsewhere-hooked beads anyway"),
		GT_OPT_FLAG('n', "dry-run", &o.dry_run, "print the plan as JSON, change nothing"),
		GT_OPT_FLAG(0, "no-start", &o.no_start, "hook and prepare, but start no session"),
		GT_OPT_FLAG(0, "no-convoy", &no_convoy,
			    "do not make a convoy for work no convoy tracks"),
		GT_OPT_STRING(
			0, "formula", &o.formula, "NAME",
			"attach this formula's molecule (default: the rig's formula setting)"),
		GT_OPT_FLAG(0, "no-formula", &o.no_formula, "attach no molecule"),
		GT_OPT_LIST(0, "var", &vars, "NAME=VALUE",
			    "a variable for the formula (repeatable)"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "sling beads onto agents' hooks and start them";
	cli.opts = opts;
	o.vars = &vars;
	if (!(nargs = gt_cli_parse(&cli, argc, argv)))
		gt_cli_usage_error(&cli, "a bead is required");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	nbeads = nargs;
	if (nargs > 1 && is_target(&ctx, &t, argv[nargs])) {
		o.target = argv[nargs];
		nbeads--;
	} else if (nargs > 1 && gt_cli_resolve(&ctx, &idx, argv[nargs], &id) < 0) {
		/* neither a target nor a bead: most likely a mistyped rig */
		rc = no_target(&ctx, argv[nargs]);
		goto out;
	}
	if (nbeads > 1 && (!o.target || strchr(o.target, '/') || !strcmp(o.target, "mayor") ||
			   !strcmp(o.target, "deacon"))) {
		rc = gt_error_set(GT_EUSAGE,
				  "an agent holds one hook: sling several beads to a rig");
		goto out;
	}
	for (int i = 1; i <= nbeads && rc == 0; i++) {
		cJSON *r = NULL;

		if ((rc = gt_cli_resolve(&ctx, &idx, argv[i], &id)) < 0)
			break;
		rc = gt_sling(&r, &ctx, &t, id.ptr, &o);
		if (rc == 0 && !o.dry_run && !no_convoy)
			gt_convoy_auto(&ctx, id.ptr, r);
		if (rc == 0 && !strcmp(gt_json_str(r, "action"), "queued") &&
		    !gt_deacon_running(&ctx))
			gt_cli_warn(&cli,
				    "%s is queued: %s is at capacity, and no deacon runs to "
				    "dispatch it when a slot frees (gt-up starts one)",
				    id.ptr, gt_json_str(r, "rig"));
		if (rc == 0 && (cli.json || o.dry_run)) {
			gt_cli_print_json(&cli, r);
		} else if (rc == 0 && !cli.quiet) {
			printf("%s\t%s\t%s", gt_json_str(r, "bead"), gt_json_str(r, "agent"),
			       gt_json_str(r, "action"));
			gt_cli_eor(&cli);
		}
		cJSON_Delete(r);
		fflush(stdout);
		if (rc == 0)
			rc = gt_ledger_refresh(ctx.lg);
	}
out:
	gt_strlist_release(&vars);
	gt_buf_release(&id);
	gt_town_release(&t);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
