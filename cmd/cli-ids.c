/*
 * cli-ids.c - beads and molecules named on the command line (partial ids
 * resolved), bead fields given as options, and running one operation over
 * the ids of the arguments and --stdin as one transaction (cli.h).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int gt_cli_molecule(struct gt_ctx *ctx, struct gt_index **idx, const char *arg, struct gt_buf *id)
{
	struct gt_buf full = GT_BUF_INIT;
	int rc = 0;

	/* wisps are not in the ledger's index: their ids are taken whole */
	if (arg && gt_mol_is_wisp(arg))
		gt_buf_adds(&full, arg);
	else if (arg)
		rc = gt_cli_resolve(ctx, idx, arg, &full);
	if (rc == 0)
		rc = gt_mol_resolve(id, ctx, arg ? full.ptr : NULL);
	gt_buf_release(&full);
	return rc;
}

/* The ephemeral store (refs/gt/wisps), opened when first needed and
 * closed by gt_cli_close(). */
static struct gt_ledger *wisps;

static struct gt_ledger *wisps_of(struct gt_ctx *ctx)
{
	if (!wisps && gt_ledger_open_wisps(&wisps, ctx->lg) < 0) {
		gt_error_clear();
		wisps = NULL;
	}
	return wisps && wisps->has_tip ? wisps : NULL;
}

void gt_cli_wisps_close(void)
{
	gt_ledger_free(wisps);
	wisps = NULL;
}

/* Whether input names id whole: the id, the id past its prefix, or the
 * hash past its last dash (hq-wisp-5ag, hq-cv-5ag). */
static int names_whole(const char *id, const char *input)
{
	const char *dash = strchr(id, '-'), *last = strrchr(id, '-');

	return !strcmp(id, input) || (dash && !strcmp(dash + 1, input)) ||
	       (last && !strcmp(last + 1, input));
}

/* An id of the wisps: exact, or the one id that starts with input (or
 * whose part after the prefix or its last dash does); with whole_only,
 * only an id that input names whole.  GT_ENOTFOUND / GT_EINVALID. */
static int wisp_resolve(struct gt_ctx *ctx, const char *input, int whole_only, struct gt_buf *out)
{
	struct gt_ledger *w = wisps_of(ctx);
	cJSON *all = NULL, *it, *b = NULL;
	const char *match = NULL;
	int n = 0, rc;

	if (!w)
		return GT_ENOTFOUND;
	if (gt_ledger_read_bead(&b, w, NULL, input) == 0) {
		cJSON_Delete(b);
		gt_buf_reset(out);
		gt_buf_adds(out, input);
		return 0;
	}
	gt_error_clear();
	if ((rc = gt_ledger_read_records(&all, w, "beads", NULL)) < 0)
		return rc;
	cJSON_ArrayForEach (it, all) {
		const char *id = gt_bead_id(it), *dash = strchr(id, '-'), *last = strrchr(id, '-');
		size_t il = strlen(input);

		if (whole_only
			    ? names_whole(id, input)
			    : !strncmp(id, input, il) || (dash && !strncmp(dash + 1, input, il)) ||
				      (last && !strncmp(last + 1, input, il))) {
			match = id;
			n++;
		}
	}
	if (n == 1) {
		gt_buf_reset(out);
		gt_buf_adds(out, match);
	}
	rc = n == 1 ? 0
	     : n    ? gt_error_set(GT_EINVALID, "'%s' matches %d wisps", input, n)
		    : GT_ENOTFOUND;
	cJSON_Delete(all);
	return rc;
}

struct gt_ledger *gt_cli_wisp(struct gt_ctx *ctx, const char *id)
{
	struct gt_ledger *w;
	cJSON *b = NULL;

	if (gt_ledger_has_bead(ctx->lg, id) || !(w = wisps_of(ctx)))
		return NULL;
	if (gt_ledger_read_bead(&b, w, NULL, id) < 0) {
		gt_error_clear();
		return NULL;
	}
	cJSON_Delete(b);
	return w;
}

int gt_cli_resolve(struct gt_ctx *ctx, struct gt_index **idx, const char *input, struct gt_buf *out)
{
	struct gt_error_saved e;
	int rc;

	/* the exact id is the common case: no configuration needed for it */
	if (gt_ledger_has_bead(ctx->lg, input)) {
		gt_buf_reset(out);
		gt_buf_adds(out, input);
		return 0;
	}
	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	rc = gt_resolve_id(out, ctx->lg, ctx->prefix, idx, input);
	if (rc == 0 && !names_whole(out->ptr, input)) {
		/* only the start of a ledger id: a wisp it names whole wins
		 * (hq-wisp-5ag for "5ag" over hq-5ag2), as an exact name would */
		struct gt_buf w = GT_BUF_INIT;

		if (wisp_resolve(ctx, input, 1, &w) == 0) {
			gt_buf_reset(out);
			gt_buf_adds(out, w.ptr);
		}
		gt_error_clear();
		gt_buf_release(&w);
		return 0;
	}
	if (rc != GT_ENOTFOUND)
		return rc;
	/* not in the ledger: perhaps a wisp (ephemeral mail, a wisp molecule) */
	gt_error_save(&e);
	if (wisp_resolve(ctx, input, 0, out) == 0)
		rc = 0;
	else if (gt_error_last()[0] && strstr(gt_error_last(), "wisps"))
		rc = GT_EINVALID;
	else
		gt_error_restore(&e); /* frees what it kept */
	free(e.msg);
	free(e.hint);
	return rc;
}

int gt_cli_fields_apply(struct gt_cli_fields *f, struct gt_bead_spec *s)
{
	int rc, p;

	if (f->description && f->description_file)
		return gt_error_set(GT_EUSAGE, "use either --description or --description-file");
	if (f->description_file && f->file_read) {
		s->description = gt_buf_cstr(&f->file_text);
	} else if (f->description_file) {
		f->file_read = 1;
		if ((rc = gt_cli_read_text(&f->file_text, f->description_file)) < 0)
			return rc;
		s->description = gt_buf_cstr(&f->file_text);
	} else if (f->description) {
		s->description = f->description;
	}
	if (f->design)
		s->design = f->design;
	if (f->acceptance)
		s->acceptance = f->acceptance;
	if (f->notes)
		s->notes = f->notes;
	if (f->type)
		s->type = f->type;
	if (f->assignee)
		s->assignee = f->assignee;
	if (f->owner)
		s->owner = f->owner;
	if (f->status)
		s->status = f->status;
	if (f->defer_until)
		s->defer_until = f->defer_until;
	if (f->due)
		s->due_at = f->due;
	if (f->external_ref)
		s->external_ref = f->external_ref;
	if (f->ephemeral)
		s->ephemeral = 1;
	if (f->priority) {
		if ((rc = gt_priority_parse(f->priority, &p)) < 0)
			return GT_EUSAGE;
		s->priority = p;
	}
	for (size_t i = 0; i < f->labels.n; i++)
		gt_strlist_push(&s->labels, f->labels.v[i]);
	if (!f->deps_done) { /* --deps a,b,c as well as repeated --deps */
		gt_cli_split_list(&f->deps_split, &f->deps, &f->deps_keep);
		f->deps_done = 1;
	}
	for (size_t i = 0; i < f->deps_split.n; i++)
		gt_strlist_push(&s->deps, f->deps_split.v[i]);
	if (f->metadata) {
		cJSON *m;

		if ((rc = gt_json_parse(&m, f->metadata, strlen(f->metadata), "--metadata", 1)) < 0)
			return rc;
		if (!cJSON_IsObject(m)) {
			cJSON_Delete(m);
			return gt_error_set(GT_EINVALID, "--metadata must be a JSON object");
		}
		cJSON_Delete(s->metadata);
		s->metadata = m;
	}
	return 0;
}

void gt_cli_fields_release(struct gt_cli_fields *f)
{
	gt_strlist_release(&f->labels);
	gt_strlist_release(&f->deps);
	gt_strlist_release(&f->deps_split);
	gt_buf_release(&f->deps_keep);
	gt_buf_release(&f->file_text);
}

struct run_ids {
	struct gt_cli *cli;
	struct gt_ctx *ctx;
	gt_cli_id_op op;
	void *arg;
};

static int run_id(struct gt_txn *tx, struct gt_record *rec, void *p)
{
	struct run_ids *r = p;
	const char *id = rec->text;
	int rc;

	if (rec->json && !(id = gt_json_str(rec->json, "id")))
		return gt_error_set(GT_EINVALID, "record has no \"id\"");
	if ((rc = r->op(tx, r->ctx, id, rec, r->arg)) < 0)
		return rc;
	if (r->cli->json) {
		cJSON *b;

		if (gt_txn_bead_get(tx, id, &b) == 0)
			gt_bead_serialize(&rec->out, b);
	} else {
		gt_buf_adds(&rec->out, id);
	}
	return 0;
}

int gt_cli_run_ids(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_index **idx, int nargs,
		   char **args, const char *command, gt_cli_id_op op, void *arg, int keep_going)
{
	struct gt_batch batch = { 0 };
	int rc;

	if (cli->use_stdin && (rc = gt_cli_read_batch(&batch)) < 0) {
		gt_batch_release(&batch);
		return rc;
	}
	return gt_cli_run_batch(cli, ctx, idx, nargs, args, &batch, command, op, arg, keep_going);
}

int gt_cli_run_batch(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_index **idx, int nargs,
		     char **args, struct gt_batch *pre, const char *command, gt_cli_id_op op,
		     void *arg, int keep_going)
{
	struct gt_batch batch = *pre;
	struct gt_buf ids = GT_BUF_INIT;
	struct gt_txn_opts to = { .command = command };
	struct run_ids r = { cli, ctx, op, arg };
	int rc = 0;

	memset(pre, 0, sizeof(*pre));
	if (nargs) {
		struct gt_record *v = gt_calloc((size_t)nargs + batch.n, sizeof(*v));
		size_t off = 0;

		for (int i = 0; i < nargs && !rc; i++) {
			struct gt_buf id = GT_BUF_INIT;

			rc = gt_cli_resolve(ctx, idx, args[i], &id);
			gt_buf_add(&ids, gt_buf_cstr(&id), id.len + 1);
			gt_buf_release(&id);
		}
		if (rc < 0) {
			free(v);
			goto out;
		}
		for (int i = 0; i < nargs; i++) {
			v[i].text = ids.ptr + off;
			v[i].line = 0; /* from the command line, not stdin */
			off += strlen(ids.ptr + off) + 1;
		}
		if (batch.n)
			memcpy(v + nargs, batch.v, batch.n * sizeof(*v));
		free(batch.v);
		batch.v = v;
		batch.n += (size_t)nargs;
	}
	{
		/* ids of wisps change in their own store, never mixed with the
		 * ledger's in one transaction */
		struct gt_ledger *store = ctx->lg;
		size_t nw = 0;

		for (size_t i = 0; i < batch.n; i++)
			nw += batch.v[i].text && gt_cli_wisp(ctx, batch.v[i].text) != NULL;
		if (nw && nw < batch.n) {
			rc = gt_error_set(GT_EUSAGE, "wisps and ledger beads cannot change in one "
						     "transaction");
			goto out;
		}
		if (nw)
			store = gt_cli_wisp(ctx, batch.v[0].text);
		rc = gt_batch_transact(store, &to, &batch, run_id, &r, keep_going);
	}
	if ((rc >= 0 || keep_going) && (!cli->quiet || cli->json))
		gt_cli_print_batch(cli, &batch);
	if (rc < 0 && keep_going)
		gt_error_set(rc, "some records failed");
out:
	gt_batch_release(&batch);
	gt_buf_release(&ids);
	return rc;
}

/* "a,b" and repeated options both add to the list */
void gt_cli_split_list(struct gt_strlist *out, const struct gt_strlist *in, struct gt_buf *keep)
{
	for (size_t i = 0; i < in->n; i++) {
		for (const char *p = in->v[i]; *p;) {
			const char *e = strchr(p, ',');
			size_t len = e ? (size_t)(e - p) : strlen(p);

			if (len) {
				gt_buf_add(keep, p, len);
				gt_buf_addch(keep, '\0');
			}
			p += len + (e ? 1 : 0);
		}
	}
	/* pointers are taken after all appends (the buffer may move) */
	for (size_t off = 0; off < keep->len; off += strlen(keep->ptr + off) + 1)
		gt_strlist_push(out, keep->ptr + off);
}

int gt_cli_snapshot(struct gt_ctx *ctx, struct gt_town *t, const char *arg, struct gt_rig *rig,
		    struct gt_buf *agent, long *n)
{
	const char *s = arg, *slash;
	struct gt_address a;
	char *end;
	int rc;

	if (!strncmp(s, "refs/gt/snapshots/", 18))
		s += 18;
	slash = strrchr(s, '/');
	if (!slash || !slash[1] || (*n = strtol(slash + 1, &end, 10)) <= 0 || *end)
		return gt_error_set(GT_EUSAGE, "'%s' is not a snapshot (AGENT/N)", arg);
	gt_buf_reset(agent);
	gt_buf_add(agent, s, (size_t)(slash - s));
	if ((rc = gt_address_parse(&a, agent->ptr)) < 0)
		return rc;
	return gt_rig_load(rig, ctx, t, a.rig);
}

void gt_cli_check_vocab(struct gt_cli *cli, struct gt_ctx *ctx, const struct gt_strlist *statuses,
			const struct gt_strlist *types)
{
	struct gt_buf known = GT_BUF_INIT;

	if (gt_ctx_config(ctx) < 0)
		return; /* the command's own open says why */
	for (size_t i = 0; statuses && i < statuses->n; i++) {
		const char *s = statuses->v[i];

		if (!strcmp(s, "all") || gt_status_known(&ctx->vocab, s))
			continue;
		gt_vocab_names(&known, &ctx->vocab, 0);
		gt_cli_usage_error(cli, "unknown status '%s' (known: all, %s)", s, known.ptr);
	}
	for (size_t i = 0; types && i < types->n; i++) {
		const char *t = types->v[i];

		if (gt_type_known(&ctx->vocab, t) ||
		    gt_type_known(&ctx->vocab, gt_type_normalize(t)))
			continue;
		gt_vocab_names(&known, &ctx->vocab, 1);
		gt_cli_usage_error(cli, "unknown type '%s' (known: %s)", t, known.ptr);
	}
	gt_buf_release(&known);
}
