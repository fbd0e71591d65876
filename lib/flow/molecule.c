/*
 * molecule.c - molecules: pour a cooked formula onto work, follow its
 * steps, squash or burn it.  See molecule.h for where the state lives.
 */
#include "flow/molecule.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "town/worker.h"
#include "base/banned.h"

void gt_mol_bead_vars(cJSON *vars, const cJSON *bead)
{
	if (!gt_json_str(vars, "issue"))
		gt_json_set_str(vars, "issue", gt_bead_id(bead));
	if (!gt_json_str(vars, "title") && gt_json_str(bead, "title"))
		gt_json_set_str(vars, "title", gt_json_str(bead, "title"));
}

int gt_mol_is_wisp(const char *id)
{
	return id && strstr(id, "-wisp-") != NULL;
}

/* The store an id lives in: the ledger, or the wisps beside it (*owned
 * then, to free). */
static int store_for(struct gt_ledger **lg, struct gt_ledger **owned, struct gt_ctx *ctx,
		     const char *id)
{
	*owned = NULL;
	*lg = ctx->lg;
	if (!gt_mol_is_wisp(id))
		return 0;
	if (gt_ledger_open_wisps(owned, ctx->lg) < 0)
		return GT_EFAIL;
	*lg = *owned;
	return 0;
}

static cJSON *meta(const cJSON *b)
{
	return cJSON_GetObjectItemCaseSensitive(b, "metadata");
}

static cJSON *mol_steps(const cJSON *root)
{
	return cJSON_GetObjectItemCaseSensitive(meta(root), "steps");
}

static int is_molecule(const cJSON *b)
{
	return b && !strcmp(gt_bead_type(b), "molecule") && cJSON_IsArray(mol_steps(b));
}

static int not_molecule(const char *id)
{
	return gt_error_set(GT_ENOTFOUND, "'%s' is not a molecule", id);
}

/* The prefix of a bead id: everything before its last '-' (of the part
 * before any child suffix), less a molecule's "-mol" or "-wisp". */
static void id_prefix(struct gt_buf *out, const char *id)
{
	const char *dot = strchr(id, '.'), *end = dot ? dot : id + strlen(id), *dash = NULL;

	size_t start = out->len;

	for (const char *c = id; c < end; c++)
		if (*c == '-')
			dash = c;
	gt_buf_add(out, id, dash ? (size_t)(dash - id) : (size_t)(end - id));
	/* a molecule's own id: the prefix it was made from */
	if (out->len - start > 5 && !strcmp(out->ptr + out->len - 5, "-wisp"))
		gt_buf_truncate(out, out->len - 5);
	else if (out->len - start > 4 && !strcmp(out->ptr + out->len - 4, "-mol"))
		gt_buf_truncate(out, out->len - 4);
}

static const cJSON *find_step(const cJSON *steps, const char *id);

/* ---- pour ---- */

static const char *str_or(const cJSON *o, const char *key, const char *dflt)
{
	const char *s = gt_json_str(o, key);

	return s ? s : dflt;
}

/* The root's metadata: the cooked dag minus what is not state. */
static cJSON *root_meta(const cJSON *dag, const char *work, int materialize)
{
	cJSON *m = cJSON_CreateObject(), *steps = cJSON_CreateArray();
	const cJSON *s;

	gt_json_set_str(m, "formula", str_or(dag, "formula", ""));
	gt_json_set(m, "version",
		    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(dag, "version"), 1));
	gt_json_set_str(m, "type", str_or(dag, "type", "workflow"));
	gt_json_set_str(m, "source", str_or(dag, "source", ""));
	gt_json_set_bool(m, "pour", materialize);
	gt_json_set(m, "vars", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(dag, "vars"), 1));
	if (work)
		gt_json_set_str(m, "work", work);
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(dag, "steps")) {
		cJSON *x = cJSON_CreateObject();
		static const char *const keep[] = { "id",	  "title", "description",
						    "acceptance", "needs", "kind" };

		for (size_t i = 0; i < sizeof(keep) / sizeof(*keep); i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, keep[i]);

			if (v)
				cJSON_AddItemToObject(x, keep[i], cJSON_Duplicate(v, 1));
		}
		cJSON_AddItemToArray(steps, x);
	}
	cJSON_AddItemToObject(m, "steps", steps);
	return m;
}

/* The open molecule a bead already has, if any (borrowed from b). */
static const char *open_molecule(struct gt_txn *tx, const cJSON *b)
{
	const char *mid = gt_json_str(meta(b), "molecule");
	cJSON *root = NULL;

	if (!mid || gt_mol_is_wisp(mid))
		return mid; /* a wisp's store is not this transaction's */
	if (gt_txn_bead_get(tx, mid, &root) < 0) {
		gt_error_clear();
		return NULL;
	}
	return strcmp(gt_bead_status(root), "closed") && strcmp(gt_bead_status(root), "tombstone")
		       ? mid
		       : NULL;
}

static int attach_to(struct gt_txn *tx, struct gt_ctx *ctx, const char *bead, const char *id)
{
	struct gt_bead_spec spec;
	int rc, changed;

	gt_bead_spec_init(&spec);
	spec.metadata = cJSON_CreateObject();
	if (id)
		gt_json_set_str(spec.metadata, "molecule", id);
	else
		cJSON_AddNullToObject(spec.metadata, "molecule");
	rc = gt_op_update(tx, ctx, bead, &spec, &changed);
	gt_bead_spec_release(&spec);
	return rc;
}

/* If bead (in tx's store) is worked with molecule from, link it to to
 * instead (NULL: to none). */
static int relink(struct gt_txn *tx, struct gt_ctx *ctx, const char *bead, const char *from,
		  const char *to)
{
	cJSON *w = NULL;
	const char *mid;

	if (gt_txn_bead_get(tx, bead, &w) < 0) {
		gt_error_clear(); /* gone: nothing links to from */
		return 0;
	}
	mid = gt_json_str(meta(w), "molecule");
	return mid && !strcmp(mid, from) ? attach_to(tx, ctx, bead, to) : 0;
}

struct pour {
	struct gt_ctx *ctx;
	const cJSON *dag;
	const struct gt_mol_spec *m;
	struct gt_buf *id;
	int attach;		/* set work's metadata.molecule in this transaction */
	const char *work_title; /* a wisp's: the work is in the other store */
};

static int pour_fn(struct gt_txn *tx, void *p)
{
	struct pour *po = p;
	const struct gt_mol_spec *m = po->m;
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(po->dag, "steps"), *s;
	const char *type = str_or(po->dag, "type", "workflow");
	int materialize = gt_json_bool(po->dag, "pour") || !strcmp(type, "convoy");
	struct gt_buf prefix = GT_BUF_INIT, title = GT_BUF_INIT;
	struct gt_bead_spec spec;
	cJSON *work = NULL, *root = NULL, *rs, *mine;
	const char *assignee = m->assignee;
	int rc = 0;

	gt_buf_reset(po->id);
	if (po->attach) {
		const char *have;

		if ((rc = gt_txn_bead_get(tx, m->on, &work)) < 0)
			return rc;
		if ((have = open_molecule(tx, work)) && m->reuse) {
			gt_buf_adds(po->id, have);
			return 1;
		}
		if (have) {
			rc = gt_error_set(GT_ECONFLICT, "bead '%s' already has molecule '%s'",
					  m->on, have);
			gt_error_hint("squash or burn it first (gt-mol-squash, gt-mol-burn)");
			return rc;
		}
		if (!assignee)
			assignee = gt_json_str(work, "assignee");
	}
	if (m->on)
		id_prefix(&prefix, m->on);
	else
		gt_buf_adds(&prefix, m->prefix	       ? m->prefix
				     : po->ctx->prefix ? po->ctx->prefix
						       : "gt");
	gt_buf_adds(&prefix, m->wisp ? "-wisp" : "-mol");
	gt_buf_printf(&title, "%s", str_or(po->dag, "formula", "molecule"));
	if (work && gt_json_str(work, "title"))
		gt_buf_printf(&title, ": %s", gt_json_str(work, "title"));
	else if (po->work_title)
		gt_buf_printf(&title, ": %s", po->work_title);

	gt_bead_spec_init(&spec);
	spec.prefix = prefix.ptr;
	spec.title = title.ptr;
	spec.description = str_or(po->dag, "description", "");
	spec.type = "molecule";
	spec.assignee = assignee;
	spec.ephemeral = m->wisp ? 1 : -1;
	spec.metadata = root_meta(po->dag, m->on, materialize);
	rc = gt_op_add(tx, po->ctx, &spec, po->id);
	gt_bead_spec_release(&spec);
	if (rc < 0)
		goto out;
	if (materialize) {
		/* the steps' beads, <root>.<n> in order; the dag lists every step
		 * after the steps it needs, so their beads exist already */
		if ((rc = gt_txn_bead_get(tx, po->id->ptr, &root)) < 0)
			goto out;
		rs = mol_steps(root);
		mine = rs->child; /* the root's copy of the step s */
		cJSON_ArrayForEach (s, steps) {
			struct gt_buf sid = GT_BUF_INIT;
			const char *stype = gt_json_str(s, "type");
			cJSON *sm = cJSON_CreateObject(), *n;
			const cJSON *l;

			gt_bead_spec_init(&spec);
			spec.parent = po->id->ptr;
			spec.title = str_or(s, "title", gt_json_str(s, "id"));
			spec.description = gt_json_str(s, "description");
			spec.acceptance = gt_json_str(s, "acceptance");
			spec.type = stype && gt_type_known(&po->ctx->vocab, stype) ? stype : "task";
			spec.assignee = assignee;
			spec.ephemeral = m->wisp ? 1 : -1;
			cJSON_ArrayForEach (l, cJSON_GetObjectItemCaseSensitive(s, "labels"))
				if (cJSON_IsString(l))
					gt_strlist_push(&spec.labels, l->valuestring);
			if (!strcmp(str_or(s, "kind", "step"), "leg"))
				gt_strlist_push(&spec.labels, "leg");
			/* not "molecule": that names the molecule a bead is worked with */
			gt_json_set_str(sm, "step_of", po->id->ptr);
			gt_json_set_str(sm, "step", gt_json_str(s, "id"));
			spec.metadata = sm;
			/* a bare id is a blocks edge; the ids live in the staged root */
			cJSON_ArrayForEach (n, cJSON_GetObjectItemCaseSensitive(s, "needs")) {
				const cJSON *o =
					cJSON_IsString(n) ? find_step(rs, n->valuestring) : NULL;

				if (o && gt_json_str(o, "bead"))
					gt_strlist_push(&spec.deps, gt_json_str(o, "bead"));
			}
			rc = gt_op_add(tx, po->ctx, &spec, &sid);
			gt_bead_spec_release(&spec);
			if (rc == 0)
				gt_json_set_str(mine, "bead", sid.ptr);
			gt_buf_release(&sid);
			if (rc < 0)
				goto out;
			mine = mine->next;
		}
		/* the root is staged: the step's bead ids go into it */
		if ((rc = gt_txn_bead_put(tx, po->id->ptr)) < 0)
			goto out;
	}
	if (po->attach)
		rc = attach_to(tx, po->ctx, m->on, po->id->ptr);
	gt_txn_summary(tx, "pour %s as %s%s%s", str_or(po->dag, "formula", "?"), po->id->ptr,
		       m->on ? " on " : "", m->on ? m->on : "");
	gt_txn_trailer(tx, "Gt-Molecule", "%s", po->id->ptr);
out:
	gt_buf_release(&prefix);
	gt_buf_release(&title);
	return rc;
}

int gt_mol_pour_txn(struct gt_txn *tx, struct gt_ctx *ctx, const cJSON *dag,
		    const struct gt_mol_spec *m, struct gt_buf *id_out)
{
	struct pour po = { ctx, dag, m, id_out, m->on != NULL, NULL };

	return pour_fn(tx, &po);
}

static int link_fn(struct gt_txn *tx, void *p)
{
	struct pour *po = p;
	cJSON *work = NULL;
	const char *have;
	int rc;

	if ((rc = gt_txn_bead_get(tx, po->m->on, &work)) < 0)
		return rc;
	have = gt_json_str(meta(work), "molecule");
	if (have && strcmp(have, po->id->ptr) && open_molecule(tx, work))
		return gt_error_set(GT_ECONFLICT, "bead '%s' already has molecule '%s'", po->m->on,
				    have);
	gt_txn_summary(tx, "attach wisp %s to %s", po->id->ptr, po->m->on);
	return attach_to(tx, po->ctx, po->m->on, po->id->ptr);
}

struct unpour {
	struct gt_ctx *ctx;
	const char *id;
};

static int unpour_fn(struct gt_txn *tx, void *p)
{
	struct unpour *u = p;

	return gt_mol_unpour_txn(tx, u->ctx, u->id);
}

int gt_mol_pour(struct gt_buf *id_out, struct gt_ctx *ctx, const cJSON *dag,
		const struct gt_mol_spec *m)
{
	struct gt_txn_opts o = { .command = m->wisp ? "gt-mol-wisp" : "gt-mol-pour" };
	struct pour po = { ctx, dag, m, id_out, m->on && !m->wisp, NULL };
	struct gt_ledger *w = NULL;
	struct gt_mol_spec wm = *m;
	cJSON *work = NULL;
	int rc;

	if (!m->wisp)
		return gt_ledger_transact(ctx->lg, &o, pour_fn, &po);
	/* a wisp on a ledger bead: check the bead, write the wisp, then link */
	if (m->on) {
		if ((rc = gt_ledger_read_bead(&work, ctx->lg, NULL, m->on)) < 0)
			return rc;
		if (!wm.assignee)
			wm.assignee = gt_json_str(work, "assignee");
		po.work_title = gt_json_str(work, "title");
	}
	po.m = &wm;
	if ((rc = gt_ledger_open_wisps(&w, ctx->lg)) == 0)
		rc = gt_ledger_transact(w, &o, pour_fn, &po);
	if (rc == 0 && m->on && (rc = gt_ledger_transact(ctx->lg, &o, link_fn, &po)) < 0) {
		struct gt_error_saved e;

		gt_error_save(&e);
		gt_ledger_transact(w, &o, unpour_fn, &(struct unpour){ ctx, id_out->ptr });
		gt_error_restore(&e);
	}
	gt_ledger_free(w);
	cJSON_Delete(work);
	return rc;
}

int gt_mol_unpour_txn(struct gt_txn *tx, struct gt_ctx *ctx, const char *id)
{
	cJSON *root = NULL, *s;
	struct gt_strlist beads = { 0 };
	const char *work;
	int rc;

	if ((rc = gt_txn_bead_get(tx, id, &root)) < 0)
		return rc;
	cJSON_ArrayForEach (s, mol_steps(root))
		if (gt_json_str(s, "bead"))
			gt_strlist_push_dup(&beads, gt_json_str(s, "bead"));
	/* a bead in the same store loses its link (a wisp's ledger bead is
	 * its caller's to unlink) */
	work = gt_json_str(meta(root), "work");
	if (work && !gt_mol_is_wisp(id) == !gt_mol_is_wisp(work))
		rc = relink(tx, ctx, work, id, NULL);
	for (size_t i = 0; i < beads.n && rc >= 0; i++)
		if (gt_txn_bead_exists(tx, beads.v[i]))
			rc = gt_txn_bead_purge(tx, beads.v[i]);
	if (rc >= 0)
		rc = gt_txn_bead_purge(tx, id);
	gt_txn_summary(tx, "discard molecule %s", id);
	gt_strlist_release_owned(&beads);
	return rc < 0 ? rc : 0;
}

/* ---- state ---- */

/* Read a bead of a molecule's store, in a transaction or at the tip. */
struct reader {
	struct gt_txn *tx;
	struct gt_ledger *lg;
};

static int read_bead(const struct reader *r, const char *id, cJSON **out)
{
	cJSON *b = NULL;
	int rc;

	if (!r->tx)
		return gt_ledger_read_bead(out, r->lg, NULL, id);
	if ((rc = gt_txn_bead_get(r->tx, id, &b)) < 0)
		return rc;
	*out = cJSON_Duplicate(b, 1);
	return 0;
}

static int step_done(const cJSON *s)
{
	return gt_json_str(s, "closed_at") != NULL;
}

/* A copy of the root's steps, poured ones filled in from their beads
 * (closed_at, closed_by, close_reason, status). */
static int steps_now(cJSON **out, const struct reader *r, const cJSON *root)
{
	cJSON *steps = cJSON_Duplicate(mol_steps(root), 1), *s;
	int rc = 0;

	cJSON_ArrayForEach (s, steps) {
		const char *bid = gt_json_str(s, "bead");
		cJSON *b = NULL;

		if (!bid)
			continue;
		if ((rc = read_bead(r, bid, &b)) < 0) {
			if (rc != GT_ENOTFOUND)
				break;
			gt_error_clear(); /* squashed away: its digest entry stands */
			rc = 0;
			continue;
		}
		if (!strcmp(gt_bead_status(b), "closed")) {
			gt_json_set_str(s, "closed_at",
					str_or(b, "closed_at", str_or(b, "updated_at", "")));
			if (gt_json_str(b, "assignee"))
				gt_json_set_str(s, "closed_by", gt_json_str(b, "assignee"));
			if (gt_json_str(b, "close_reason"))
				gt_json_set_str(s, "close_reason", gt_json_str(b, "close_reason"));
		} else {
			gt_json_del(s, "closed_at");
		}
		gt_json_set_str(s, "status", gt_bead_status(b));
		cJSON_Delete(b);
	}
	if (rc < 0) {
		cJSON_Delete(steps);
		return rc;
	}
	*out = steps;
	return 0;
}

static const cJSON *find_step(const cJSON *steps, const char *id)
{
	const cJSON *s;

	cJSON_ArrayForEach (s, steps) {
		const char *sid = gt_json_str(s, "id"), *bid = gt_json_str(s, "bead");

		if ((sid && !strcmp(sid, id)) || (bid && !strcmp(bid, id)))
			return s;
	}
	return NULL;
}

/* The needs of s that are not finished, as "a, b" (empty: ready). */
static void waiting_for(struct gt_buf *out, const cJSON *steps, const cJSON *s)
{
	const cJSON *n;

	cJSON_ArrayForEach (n, cJSON_GetObjectItemCaseSensitive(s, "needs")) {
		const cJSON *o = cJSON_IsString(n) ? find_step(steps, n->valuestring) : NULL;

		if (o && !step_done(o))
			gt_buf_printf(out, "%s%s", out->len ? ", " : "", n->valuestring);
	}
}

/* Mark each step done, current, ready or blocked; returns the status
 * object around them (takes steps). */
static cJSON *state_json(const cJSON *root, cJSON *steps)
{
	cJSON *o = cJSON_CreateObject(), *s;
	const cJSON *m = meta(root);
	cJSON *cur = NULL;
	const char *current = NULL;
	int done = 0, total = 0;

	cJSON_ArrayForEach (s, steps) {
		struct gt_buf w = GT_BUF_INIT;

		total++;
		if (step_done(s)) {
			done++;
			gt_json_set_str(s, "state", "done");
			continue;
		}
		waiting_for(&w, steps, s);
		if (w.len) {
			gt_json_set_str(s, "state", "blocked");
			gt_json_set_str(s, "waiting_for", w.ptr);
		} else {
			gt_json_set_str(s, "state", "ready");
		}
		gt_buf_release(&w);
	}
	/* the current step: one already claimed, else the first ready one
	 * (a closed molecule has none) */
	cJSON_ArrayForEach (s, steps) {
		if (!strcmp(gt_bead_status(root), "closed"))
			break;
		if (strcmp(gt_json_str(s, "state"), "ready"))
			continue;
		if (!strcmp(str_or(s, "status", ""), "in_progress")) {
			cur = s;
			break;
		}
		if (!cur)
			cur = s;
	}
	if (cur) {
		gt_json_set_str(cur, "state", "current");
		current = gt_json_str(cur, "id");
	}
	gt_json_set_str(o, "id", gt_bead_id(root));
	gt_json_set_str(o, "title", str_or(root, "title", ""));
	gt_json_set_str(o, "formula", str_or(m, "formula", ""));
	if (cJSON_GetObjectItemCaseSensitive(m, "version"))
		gt_json_set(o, "version",
			    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "version"), 1));
	gt_json_set_str(o, "type", str_or(m, "type", "workflow"));
	if (gt_json_str(m, "work"))
		gt_json_set_str(o, "work", gt_json_str(m, "work"));
	else
		cJSON_AddNullToObject(o, "work");
	gt_json_set_bool(o, "wisp", gt_mol_is_wisp(gt_bead_id(root)));
	gt_json_set_str(o, "status", gt_bead_status(root));
	gt_json_set_bool(o, "pour", gt_json_bool(m, "pour"));
	if (gt_json_str(root, "description") && *gt_json_str(root, "description"))
		gt_json_set_str(o, "description", gt_json_str(root, "description"));
	gt_json_set(o, "vars", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "vars"), 1));
	gt_json_set_int(o, "total", total);
	gt_json_set_int(o, "done", done);
	gt_json_set_bool(o, "complete", done == total);
	if (current)
		gt_json_set_str(o, "current", current);
	else
		cJSON_AddNullToObject(o, "current");
	if (cJSON_GetObjectItemCaseSensitive(m, "digest"))
		gt_json_set(o, "digest",
			    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "digest"), 1));
	cJSON_AddItemToObject(o, "steps", steps);
	return o;
}

int gt_mol_status(cJSON **out, struct gt_ctx *ctx, const char *id)
{
	struct gt_ledger *lg, *owned;
	struct reader r = { 0 };
	cJSON *root = NULL, *steps = NULL;
	int rc;

	*out = NULL;
	if ((rc = store_for(&lg, &owned, ctx, id)) < 0)
		return rc;
	r.lg = lg;
	if ((rc = gt_ledger_read_bead(&root, lg, NULL, id)) == 0 && !is_molecule(root))
		rc = not_molecule(id);
	if (rc == 0 && (rc = steps_now(&steps, &r, root)) == 0)
		*out = state_json(root, steps);
	cJSON_Delete(root);
	gt_ledger_free(owned);
	return rc;
}

/* ---- which molecule ---- */

static int molecule_of_bead(struct gt_buf *out, struct gt_ctx *ctx, const char *id)
{
	struct gt_ledger *lg, *owned;
	cJSON *b = NULL;
	const char *mid;
	int rc;

	if ((rc = store_for(&lg, &owned, ctx, id)) < 0)
		return rc;
	rc = gt_ledger_read_bead(&b, lg, NULL, id);
	gt_ledger_free(owned);
	if (rc < 0)
		return rc;
	if (is_molecule(b))
		mid = id;
	else if (!(mid = gt_json_str(meta(b), "molecule")) &&
		 !(mid = gt_json_str(meta(b), "step_of")))
		rc = gt_error_set(GT_ENOTFOUND, "bead '%s' has no molecule", id);
	if (rc == 0) {
		gt_buf_reset(out);
		gt_buf_adds(out, mid);
	}
	cJSON_Delete(b);
	return rc;
}

int gt_mol_resolve(struct gt_buf *out, struct gt_ctx *ctx, const char *arg)
{
	cJSON *agent = NULL;
	const char *hook;
	int rc;

	if (arg)
		return molecule_of_bead(out, ctx, arg);
	if ((rc = gt_worker_self(&agent, ctx, NULL)) < 0) {
		gt_error_hint("name the molecule or its bead");
		return rc;
	}
	hook = gt_json_str(agent, "hook");
	if (!hook || !*hook)
		rc = gt_error_set(GT_ENOTFOUND, "nothing is on the hook of '%s'",
				  str_or(agent, "address", "?"));
	else
		rc = molecule_of_bead(out, ctx, hook);
	cJSON_Delete(agent);
	return rc;
}

/* ---- finishing a step ---- */

struct stepdone {
	struct gt_ctx *ctx;
	const char *id, *step, *reason;
	int force, changed;
};

static int stepdone_fn(struct gt_txn *tx, void *p)
{
	struct stepdone *d = p;
	struct reader r = { tx, NULL };
	struct gt_buf w = GT_BUF_INIT;
	cJSON *root = NULL, *steps = NULL, *mine;
	const cJSON *s;
	int rc;

	d->changed = 0;
	if ((rc = gt_txn_bead_get(tx, d->id, &root)) < 0)
		return rc;
	if (!is_molecule(root))
		return not_molecule(d->id);
	if (!strcmp(gt_bead_status(root), "closed"))
		return gt_error_set(GT_ECONFLICT, "molecule '%s' is closed", d->id);
	if ((rc = steps_now(&steps, &r, root)) < 0)
		return rc;
	if (!(s = find_step(steps, d->step))) {
		rc = gt_error_set(GT_ENOTFOUND, "molecule '%s' has no step '%s'", d->id, d->step);
		gt_error_hint("gt-mol-status %s lists its steps", d->id);
		goto out;
	}
	if (step_done(s))
		goto out; /* already: nothing to do */
	waiting_for(&w, steps, s);
	if (w.len && !d->force) {
		rc = gt_error_set(GT_ECONFLICT, "step '%s' waits for %s", gt_json_str(s, "id"),
				  w.ptr);
		gt_error_hint("finish those first, or pass --force");
		goto out;
	}
	if (gt_json_str(s, "bead")) {
		rc = gt_op_close(tx, d->ctx, gt_json_str(s, "bead"),
				 d->reason ? d->reason : "step done", &d->changed);
	} else {
		mine = (cJSON *)find_step(mol_steps(root), gt_json_str(s, "id"));
		gt_json_set_str(mine, "closed_at", gt_txn_now(tx));
		gt_json_set_str(mine, "closed_by", gt_txn_actor(tx));
		if (d->reason)
			gt_json_set_str(mine, "close_reason", d->reason);
		d->changed = 1;
	}
	if (rc == 0 && !strcmp(gt_bead_status(root), "open"))
		gt_json_set_str(root, "status", "in_progress");
	if (rc == 0) {
		gt_json_set_str(root, "updated_at", gt_txn_now(tx));
		rc = gt_txn_bead_put(tx, d->id);
		gt_txn_summary(tx, "step %s of %s done", gt_json_str(s, "id"), d->id);
		gt_txn_trailer(tx, "Gt-Molecule", "%s", d->id);
	}
out:
	gt_buf_release(&w);
	cJSON_Delete(steps);
	return rc;
}

int gt_mol_step_done(cJSON **out, struct gt_ctx *ctx, const char *id, const char *step,
		     const char *reason, int force, int *changed)
{
	struct stepdone d = { ctx, id, step, reason, force, 0 };
	struct gt_txn_opts o = { .command = "gt-mol-step-done" };
	struct gt_ledger *lg, *owned;
	int rc;

	*out = NULL;
	if ((rc = store_for(&lg, &owned, ctx, id)) < 0)
		return rc;
	rc = gt_ledger_transact(lg, &o, stepdone_fn, &d);
	gt_ledger_free(owned);
	if (changed)
		*changed = d.changed;
	if (rc == 0 && (rc = gt_ledger_refresh(ctx->lg)) == 0)
		rc = gt_mol_status(out, ctx, id);
	return rc;
}

/* ---- squash, burn, close ---- */

/* The digest of steps now (steps from steps_now()): the root keeps them
 * with their closing facts, the beads they had go. */
static cJSON *digest_steps(const cJSON *steps, int *done, int *total)
{
	cJSON *out = cJSON_Duplicate(steps, 1), *s;

	*done = *total = 0;
	cJSON_ArrayForEach (s, out) {
		(*total)++;
		*done += step_done(s);
		gt_json_del(s, "bead");
		gt_json_del(s, "status");
	}
	return out;
}

static cJSON *digest_json(struct gt_txn *tx, const char *summary, int done, int total)
{
	cJSON *d = cJSON_CreateObject();

	gt_json_set_str(d, "squashed_at", gt_txn_now(tx));
	gt_json_set_str(d, "squashed_by", gt_txn_actor(tx));
	gt_json_set_int(d, "done", done);
	gt_json_set_int(d, "total", total);
	if (summary)
		gt_json_set_str(d, "summary", summary);
	return d;
}

struct squash {
	struct gt_ctx *ctx;
	const char *id, *summary;
	/* a wisp's: its root and steps, read before */
	const cJSON *wroot, *wsteps;
	struct gt_buf *digest_id;
};

static int close_root(struct gt_txn *tx, cJSON *root, const char *reason)
{
	gt_json_set_str(root, "status", "closed");
	gt_json_set_str(root, "closed_at", gt_txn_now(tx));
	gt_json_set_str(root, "close_reason", reason);
	gt_json_set_str(root, "updated_at", gt_txn_now(tx));
	return gt_txn_bead_put(tx, gt_bead_id(root));
}

static int squash_fn(struct gt_txn *tx, void *p)
{
	struct squash *q = p;
	struct reader r = { tx, NULL };
	struct gt_buf reason = GT_BUF_INIT;
	cJSON *root = NULL, *steps = NULL, *dsteps, *s;
	int rc, done, total;

	if ((rc = gt_txn_bead_get(tx, q->id, &root)) < 0)
		return rc;
	if (!is_molecule(root))
		return not_molecule(q->id);
	if (cJSON_GetObjectItemCaseSensitive(meta(root), "digest"))
		return gt_error_set(GT_ECONFLICT, "molecule '%s' is squashed already", q->id);
	if ((rc = steps_now(&steps, &r, root)) < 0)
		return rc;
	cJSON_ArrayForEach (s, steps)
		if (gt_json_str(s, "bead") && gt_txn_bead_exists(tx, gt_json_str(s, "bead")) &&
		    (rc = gt_txn_bead_purge(tx, gt_json_str(s, "bead"))) < 0)
			goto out;
	dsteps = digest_steps(steps, &done, &total);
	gt_json_set(meta(root), "steps", dsteps);
	gt_json_set(meta(root), "digest", digest_json(tx, q->summary, done, total));
	gt_buf_printf(&reason, "Squashed: %d/%d steps done", done, total);
	if (strcmp(gt_bead_status(root), "closed"))
		rc = close_root(tx, root, reason.ptr);
	else
		rc = gt_txn_bead_put(tx, q->id);
	gt_txn_summary(tx, "squash %s (%d/%d steps done)", q->id, done, total);
	gt_txn_trailer(tx, "Gt-Molecule", "%s", q->id);
out:
	cJSON_Delete(steps);
	gt_buf_release(&reason);
	return rc;
}

/* A wisp's digest: a new closed molecule in the ledger. */
static int digest_fn(struct gt_txn *tx, void *p)
{
	struct squash *q = p;
	const cJSON *m = meta(q->wroot);
	const char *work = gt_json_str(m, "work");
	struct gt_buf prefix = GT_BUF_INIT, title = GT_BUF_INIT, reason = GT_BUF_INIT;
	struct gt_bead_spec spec;
	cJSON *md = cJSON_Duplicate(m, 1);
	int rc, done, total, changed;

	gt_buf_reset(q->digest_id);
	gt_json_set(md, "steps", digest_steps(q->wsteps, &done, &total));
	gt_json_set(md, "digest", digest_json(tx, q->summary, done, total));
	gt_json_set_str(cJSON_GetObjectItemCaseSensitive(md, "digest"), "wisp", q->id);
	id_prefix(&prefix, q->id);
	gt_buf_adds(&prefix, "-mol");
	gt_buf_printf(&title, "Digest: %s", str_or(q->wroot, "title", q->id));
	gt_buf_printf(&reason, "Squashed from wisp %s: %d/%d steps done", q->id, done, total);
	gt_bead_spec_init(&spec);
	spec.prefix = prefix.ptr;
	spec.title = title.ptr;
	spec.description = gt_json_str(q->wroot, "description");
	spec.type = "molecule";
	spec.assignee = gt_json_str(q->wroot, "assignee");
	spec.metadata = md;
	rc = gt_op_add(tx, q->ctx, &spec, q->digest_id);
	gt_bead_spec_release(&spec);
	if (rc == 0)
		rc = gt_op_close(tx, q->ctx, q->digest_id->ptr, reason.ptr, &changed);
	if (rc == 0 && work)
		rc = relink(tx, q->ctx, work, q->id, q->digest_id->ptr);
	if (rc == 0)
		gt_txn_summary(tx, "squash wisp %s into %s", q->id, q->digest_id->ptr);
	gt_buf_release(&prefix);
	gt_buf_release(&title);
	gt_buf_release(&reason);
	return rc;
}

int gt_mol_squash(struct gt_buf *digest_id, struct gt_ctx *ctx, const char *id, const char *summary)
{
	struct gt_txn_opts o = { .command = "gt-mol-squash" };
	struct squash q = { ctx, id, summary, NULL, NULL, digest_id };
	struct gt_ledger *w = NULL;
	struct reader r = { 0 };
	cJSON *root = NULL, *steps = NULL;
	int rc;

	gt_buf_reset(digest_id);
	if (!gt_mol_is_wisp(id)) {
		if ((rc = gt_ledger_transact(ctx->lg, &o, squash_fn, &q)) == 0)
			gt_buf_adds(digest_id, id);
		return rc;
	}
	if ((rc = gt_ledger_open_wisps(&w, ctx->lg)) < 0)
		return rc;
	r.lg = w;
	if ((rc = gt_ledger_read_bead(&root, w, NULL, id)) == 0 && !is_molecule(root))
		rc = not_molecule(id);
	if (rc == 0 && (rc = steps_now(&steps, &r, root)) == 0) {
		q.wroot = root;
		q.wsteps = steps;
		rc = gt_ledger_transact(ctx->lg, &o, digest_fn, &q);
	}
	/* the digest is written: the wisp goes (a failure here leaves a wisp
	 * that burning removes) */
	if (rc == 0)
		rc = gt_ledger_transact(w, &o, unpour_fn, &(struct unpour){ ctx, id });
	cJSON_Delete(root);
	cJSON_Delete(steps);
	gt_ledger_free(w);
	return rc;
}

struct burnw {
	struct gt_ctx *ctx;
	const char *id, *work;
};

static int burn_link_fn(struct gt_txn *tx, void *p)
{
	struct burnw *b = p;

	gt_txn_summary(tx, "detach burnt wisp %s from %s", b->id, b->work);
	return relink(tx, b->ctx, b->work, b->id, NULL);
}

int gt_mol_burn(struct gt_ctx *ctx, const char *id)
{
	struct gt_txn_opts o = { .command = "gt-mol-burn" };
	struct gt_ledger *lg, *owned;
	cJSON *root = NULL;
	char *work = NULL;
	int rc;

	if ((rc = store_for(&lg, &owned, ctx, id)) < 0)
		return rc;
	if ((rc = gt_ledger_read_bead(&root, lg, NULL, id)) == 0 && !is_molecule(root))
		rc = not_molecule(id);
	if (rc == 0 && gt_json_str(meta(root), "work"))
		work = gt_strdup(gt_json_str(meta(root), "work"));
	if (rc == 0)
		rc = gt_ledger_transact(lg, &o, unpour_fn, &(struct unpour){ ctx, id });
	if (rc == 0 && owned && work)
		rc = gt_ledger_transact(ctx->lg, &o, burn_link_fn,
					&(struct burnw){ ctx, id, work });
	cJSON_Delete(root);
	free(work);
	gt_ledger_free(owned);
	return rc;
}

int gt_mol_close_txn(struct gt_txn *tx, struct gt_ctx *ctx, const char *bead, const char *reason,
		     cJSON **info)
{
	struct reader r = { tx, NULL };
	cJSON *b = NULL, *root = NULL, *steps = NULL, *un, *s;
	const char *mid;
	int rc, done = 0, total = 0, changed;

	if (info)
		*info = NULL;
	if ((rc = gt_txn_bead_get(tx, bead, &b)) < 0)
		return rc;
	if (!(mid = gt_json_str(meta(b), "molecule")))
		return 0;
	if (gt_mol_is_wisp(mid)) {
		if (info) {
			*info = cJSON_CreateObject();
			gt_json_set_str(*info, "id", mid);
			gt_json_set_bool(*info, "wisp", 1);
		}
		return 0;
	}
	if (gt_txn_bead_get(tx, mid, &root) < 0 || !is_molecule(root)) {
		gt_error_clear(); /* burnt, or never there: nothing to close */
		return 0;
	}
	if (!strcmp(gt_bead_status(root), "closed"))
		return 0;
	if ((rc = steps_now(&steps, &r, root)) < 0)
		return rc;
	un = cJSON_CreateArray();
	cJSON_ArrayForEach (s, steps) {
		total++;
		if (step_done(s)) {
			done++;
			continue;
		}
		cJSON_AddItemToArray(un, cJSON_CreateString(str_or(s, "id", "?")));
		if (gt_json_str(s, "bead") &&
		    (rc = gt_op_close(tx, ctx, gt_json_str(s, "bead"), reason, &changed)) < 0)
			break;
	}
	if (rc == 0)
		rc = close_root(tx, root, reason);
	if (rc == 0 && info) {
		*info = cJSON_CreateObject();
		gt_json_set_str(*info, "id", mid);
		gt_json_set_int(*info, "done", done);
		gt_json_set_int(*info, "total", total);
		cJSON_AddItemToObject(*info, "unfinished", un);
		un = NULL;
	}
	cJSON_Delete(un);
	cJSON_Delete(steps);
	return rc;
}

int gt_mol_close_wisp(struct gt_ctx *ctx, const char *id, const char *reason)
{
	struct gt_buf digest = GT_BUF_INIT;
	int rc = gt_mol_squash(&digest, ctx, id, reason);

	gt_buf_release(&digest);
	return rc;
}

void gt_mol_tiers(cJSON *steps)
{
	cJSON *s;

	cJSON_ArrayForEach (s, steps) {
		const cJSON *n;
		int64_t tier = 0;

		cJSON_ArrayForEach (n, cJSON_GetObjectItemCaseSensitive(s, "needs")) {
			const cJSON *o =
				cJSON_IsString(n) ? find_step(steps, n->valuestring) : NULL;
			int64_t t;

			if (o && gt_json_int(o, "tier", &t) == 0 && t + 1 > tier)
				tier = t + 1;
		}
		gt_json_set_int(s, "tier", tier);
	}
}
