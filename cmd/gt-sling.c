/*
 * gt-sling - put beads on hooks and start the workers: a rig (an idle
 * polecat is reused, else one is spawned; one worker per bead, several
 * provisioned at once), an agent address, or, with no target, the
 * calling agent itself.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-sling [--agent PRESET] [--args TEXT] [--force] [--dry-run] [--no-start] [--no-convoy] "
	"[--formula NAME | --no-formula] [--var NAME=VALUE]... [-j N] BEAD... [TARGET]",
	"gt-sling [options] --stdin [TARGET]",
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

/* The beads id stands for: an epic its ready descendants, a convoy its
 * ready tracked beads, anything else itself.  An epic's batch gets the
 * epic's name. */
static int expand(struct gt_ctx *ctx, struct gt_index **idx, const char *id, struct gt_strlist *out,
		  struct gt_buf *name)
{
	cJSON *b = NULL, *st = NULL;
	const char *type;
	struct gt_graph g = { 0 };
	struct gt_ready_opts ro;
	uint32_t *v = NULL;
	size_t n = 0;
	int rc;

	if ((rc = gt_ledger_read_bead(&b, ctx->lg, NULL, id)) < 0)
		return rc;
	type = gt_bead_type(b);
	if (strcmp(type, "epic") && strcmp(type, "convoy")) {
		if (!gt_strlist_has(out, id))
			gt_strlist_push_dup(out, id);
		cJSON_Delete(b);
		return 0;
	}
	if (!*idx && (rc = gt_index_open(idx, ctx->lg, NULL)) < 0)
		goto done;
	gt_ready_opts_init(&ro);
	if (!strcmp(type, "epic")) {
		ro.parent = id;
		if (!name->len)
			gt_buf_printf(name, "Epic: %s",
				      gt_json_str(b, "title") ? gt_json_str(b, "title") : id);
	} else if ((rc = gt_convoy_status(&st, ctx, id)) < 0) {
		goto done;
	}
	if ((rc = gt_graph_compute(&g, *idx)) < 0 || (rc = gt_ready(&v, &n, &g, &ro)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		const char *rid = gt_index_id(*idx, v[i]);
		int take = 1;

		if (st) {
			const cJSON *e;

			take = 0;
			cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(st, "beads"))
				take |= gt_json_str(e, "id") && !strcmp(gt_json_str(e, "id"), rid);
		}
		if (take && !gt_strlist_has(out, rid))
			gt_strlist_push_dup(out, rid);
	}
done:
	free(v);
	gt_graph_release(&g);
	cJSON_Delete(st);
	cJSON_Delete(b);
	return rc;
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
	struct gt_strlist asked = { 0 }, beads = { 0 };
	struct gt_buf batch_name = GT_BUF_INIT;
	struct gt_cli_progress line = { 0 };
	struct gt_progress prog;
	cJSON **results = NULL, **slung_res = NULL;
	const char **slung = NULL;
	size_t nslung = 0;
	int rc, nargs, nbeads, no_convoy = 0, from_stdin = 0;
	long jobs = -1; /* GT_OPT_INT writes a long */
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
		GT_OPT_FLAG(0, "stdin", &from_stdin,
			    "read bead ids from stdin (one convoy for the batch)"),
		GT_OPT_INT('j', "jobs", &jobs, "N",
			   "workers provisioned at once (default: sling.jobs, else 2 per CPU)"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "sling beads onto agents' hooks and start them";
	cli.opts = opts;
	o.vars = &vars;
	if (!(nargs = gt_cli_parse(&cli, argc, argv)) && !from_stdin)
		gt_cli_usage_error(&cli, "a bead is required");
	if (jobs == 0 || jobs < -1)
		gt_cli_usage_error(&cli, "--jobs must be 1 or more");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if (from_stdin) {
		struct gt_buf in = GT_BUF_INIT;

		if (nargs > 1)
			gt_cli_usage_error(&cli, "with --stdin, only a target may follow");
		if (nargs == 1 && !is_target(&ctx, &t, argv[1])) {
			rc = no_target(&ctx, argv[1]);
			goto out;
		}
		o.target = nargs ? argv[1] : NULL;
		if ((rc = gt_cli_read_stdin(&in)) < 0)
			goto out;
		for (char *p = in.ptr ? in.ptr : ""; *p;) {
			size_t n = strcspn(p, " \t\r\n");

			if (n) {
				char c = p[n];

				p[n] = '\0';
				gt_strlist_push_dup(&asked, p);
				p[n] = c;
			}
			p += n;
			p += strspn(p, " \t\r\n");
		}
		gt_buf_release(&in);
		if (!asked.n)
			gt_cli_usage_error(&cli, "no bead ids on stdin");
	} else {
		nbeads = nargs;
		if (nargs > 1 && is_target(&ctx, &t, argv[nargs])) {
			o.target = argv[nargs];
			nbeads--;
		} else if (nargs > 1 && gt_cli_resolve(&ctx, &idx, argv[nargs], &id) < 0) {
			/* neither a target nor a bead: most likely a mistyped rig */
			rc = no_target(&ctx, argv[nargs]);
			goto out;
		}
		for (int i = 1; i <= nbeads; i++)
			gt_strlist_push_dup(&asked, argv[i]);
	}
	/* epics and convoys stand for their ready work */
	for (size_t i = 0; i < asked.n && rc == 0; i++) {
		if ((rc = gt_cli_resolve(&ctx, &idx, asked.v[i], &id)) < 0)
			break;
		rc = expand(&ctx, &idx, id.ptr, &beads, &batch_name);
	}
	if (rc < 0)
		goto out;
	if (!beads.n) {
		rc = gt_error_set(GT_ENOTFOUND, "nothing ready to sling in %s", asked.v[0]);
		goto out;
	}
	if (beads.n > 1 && (!o.target || strchr(o.target, '/') || !strcmp(o.target, "mayor") ||
			    !strcmp(o.target, "deacon"))) {
		rc = gt_error_set(GT_EUSAGE,
				  "an agent holds one hook: sling several beads to a rig");
		goto out;
	}
	/* each bead is slung or undone on its own; the first failure (in
	 * input order) decides the exit status */
	results = gt_calloc(beads.n, sizeof(*results));
	slung = gt_calloc(beads.n, sizeof(*slung));
	slung_res = gt_calloc(beads.n, sizeof(*slung_res));
	if (beads.n > 1) {
		prog = gt_cli_progress_start(&line, &cli, "slinging", "beads");
		o.progress = &prog;
	}
	rc = gt_sling_batch(results, &ctx, &t, (const char *const *)beads.v, beads.n, &o,
			    jobs > 0 ? jobs : 0);
	gt_cli_progress_end(&line);
	for (size_t i = 0; i < beads.n; i++) {
		if (!strcmp(gt_json_str(results[i], "action"), "error"))
			continue;
		slung[nslung] = beads.v[i];
		slung_res[nslung++] = results[i];
		if (!strcmp(gt_json_str(results[i], "action"), "queued") &&
		    !gt_deacon_running(&ctx))
			gt_cli_warn(&cli,
				    "%s is queued: %s is at capacity, and no deacon runs to "
				    "dispatch it when a slot frees (gt-up starts one)",
				    beads.v[i], gt_json_str(results[i], "rig"));
	}
	/* one convoy for the batch: what was slung stays slung */
	if (nslung && !o.dry_run && !no_convoy) {
		struct gt_error_saved e;

		gt_error_save(&e);
		gt_convoy_auto(&ctx, batch_name.len ? batch_name.ptr : NULL, slung, nslung,
			       slung_res);
		gt_error_restore(&e);
	}
	for (size_t i = 0; i < beads.n; i++) {
		cJSON *r = results[i];
		int failed = !strcmp(gt_json_str(r, "action"), "error");

		if (failed) {
			fflush(stdout);
			fprintf(stderr, "%s: error: %s\n", cli.name, gt_json_str(r, "error"));
			if (gt_json_str(r, "hint"))
				fprintf(stderr, "hint: %s\n", gt_json_str(r, "hint"));
		}
		/* a failure has its place in a batch's output; alone, only
		 * the error is said, as before */
		if (failed && beads.n == 1)
			continue;
		if (cli.json || o.dry_run) {
			gt_cli_print_json(&cli, r);
		} else if (!cli.quiet) {
			printf("%s\t%s\t%s", gt_json_str(r, "bead"), gt_json_str(r, "agent"),
			       gt_json_str(r, "action"));
			gt_cli_eor(&cli);
		}
	}
	cli.reported = rc < 0;
out:
	for (size_t i = 0; results && i < beads.n; i++)
		cJSON_Delete(results[i]);
	free(results);
	free(slung);
	free(slung_res);
	gt_strlist_release_owned(&asked);
	gt_strlist_release_owned(&beads);
	gt_buf_release(&batch_name);
	gt_strlist_release(&vars);
	gt_buf_release(&id);
	gt_town_release(&t);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
