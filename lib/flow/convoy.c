/*
 * convoy.c - convoys: batches of beads tracked to the end, landed once,
 * and fed to workers as their dependencies clear.  See convoy.h.
 */
#include "flow/convoy.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/graph.h"
#include "store/index.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "store/query.h"
#include "town/agent.h"
#include "town/estop.h"
#include "town/town.h"
#include "flow/mail.h"
#include "flow/sling.h"
#include "base/banned.h"

#define CONVOY_PREFIX "hq-cv"

/* The id a tracks edge points at ("external:<p>:<id>" unwrapped). */
static const char *edge_target(const cJSON *dep)
{
	const char *to = gt_json_str(dep, "depends_on_id");

	if (to && !strncmp(to, "external:", 9)) {
		const char *c = strchr(to + 9, ':');

		if (c)
			to = c + 1;
	}
	return to;
}

/* The beads a convoy tracks, in edge order (borrowed from conv). */
static void tracked(struct gt_strlist *out, const cJSON *conv)
{
	const cJSON *d;

	cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(conv, "dependencies")) {
		const char *type = gt_json_str(d, "type"), *to = edge_target(d);

		if (type && !strcmp(type, "tracks") && to && !gt_strlist_has(out, to))
			gt_strlist_push(out, to);
	}
}

static int is_done(const char *status)
{
	return !strcmp(status, "closed") || !strcmp(status, "tombstone");
}

/* Convoy beads at the tip: open ones, or all. */
static int read_convoys(cJSON **out, struct gt_ctx *ctx, int all, const char *only)
{
	struct gt_list_filter f;
	int rc;

	*out = cJSON_CreateArray();
	gt_list_filter_init(&f);
	gt_strlist_push(&f.types, "convoy");
	gt_strlist_push(&f.statuses, all ? "all" : "open");
	if (only)
		gt_strlist_push(&f.ids, only);
	f.sort = "oldest";
	rc = gt_list_beads(*out, ctx->lg, &f, NULL, NULL);
	gt_list_filter_release(&f);
	return rc;
}

static int resolve_all(struct gt_strlist *out, struct gt_ctx *ctx, const char *const *in, size_t n)
{
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++)
		if ((rc = gt_resolve_id(&id, ctx->lg, ctx->prefix, &idx, in[i])) == 0 &&
		    !gt_strlist_has(out, id.ptr))
			gt_strlist_push_dup(out, id.ptr);
	gt_buf_release(&id);
	gt_index_free(idx);
	return rc;
}

static cJSON *rigs_or_none(struct gt_ctx *ctx)
{
	cJSON *rigs = NULL;

	if (gt_rig_list(&rigs, ctx) < 0) {
		gt_error_clear();
		return cJSON_CreateArray();
	}
	return rigs;
}

/* ---- create, add ---- */

struct create {
	struct gt_ctx *ctx;
	const char *name, *convoy;
	const struct gt_strlist *beads, *notify;
	struct gt_buf *id;
	int changed;
};

static int track_fn(struct gt_txn *tx, struct create *c, const char *convoy)
{
	int rc = 0, ch;

	for (size_t i = 0; i < c->beads->n && !rc; i++) {
		rc = gt_op_dep_add(tx, c->ctx, convoy, c->beads->v[i], "tracks", &ch);
		c->changed |= ch;
	}
	return rc;
}

static int create_fn(struct gt_txn *tx, void *p)
{
	struct create *c = p;
	struct gt_bead_spec spec;
	struct gt_buf desc = GT_BUF_INIT;
	cJSON *notify;
	int rc;

	gt_txn_summary(tx, "convoy %s", c->name);
	gt_bead_spec_init(&spec);
	gt_buf_printf(&desc, "Convoy tracking %zu bead%s", c->beads->n,
		      c->beads->n == 1 ? "" : "s");
	spec.title = c->name;
	spec.description = desc.ptr;
	spec.type = "convoy";
	spec.prefix = CONVOY_PREFIX;
	spec.metadata = cJSON_CreateObject();
	gt_json_set_str(spec.metadata, "owner", gt_agent_actor(c->ctx));
	notify = cJSON_AddArrayToObject(spec.metadata, "notify");
	for (size_t i = 0; i < c->notify->n; i++)
		cJSON_AddItemToArray(notify, cJSON_CreateString(c->notify->v[i]));
	gt_buf_reset(c->id);
	rc = gt_op_add(tx, c->ctx, &spec, c->id);
	gt_bead_spec_release(&spec);
	gt_buf_release(&desc);
	if (rc == 0)
		rc = track_fn(tx, c, c->id->ptr);
	return rc;
}

int gt_convoy_create(struct gt_buf *id_out, struct gt_ctx *ctx, const char *name,
		     const char *const *beads, size_t nbeads, const char *const *notify,
		     size_t nnotify)
{
	struct gt_strlist ids = { 0 }, nt = { 0 }, check = { 0 };
	struct create c = { .ctx = ctx, .name = name, .beads = &ids, .notify = &nt, .id = id_out };
	struct gt_txn_opts o = { .command = "gt-convoy-create" };
	int rc;

	if (!name || !*name)
		return gt_error_set(GT_EUSAGE, "a convoy needs a name");
	rc = resolve_all(&ids, ctx, beads, nbeads);
	for (size_t i = 0; i < nnotify && rc == 0; i++) {
		/* watchers are checked now, expanded when it lands */
		if ((rc = gt_mail_resolve(&check, ctx, notify[i])) == 0 &&
		    !gt_strlist_has(&nt, notify[i]))
			gt_strlist_push_dup(&nt, notify[i]);
	}
	if (rc == 0)
		rc = gt_ledger_transact(ctx->lg, &o, create_fn, &c);
	gt_strlist_release_owned(&ids);
	gt_strlist_release_owned(&nt);
	gt_strlist_release_owned(&check);
	return rc;
}

static int add_fn(struct gt_txn *tx, void *p)
{
	struct create *c = p;
	cJSON *conv = NULL;
	int rc, ch;

	c->changed = 0;
	if ((rc = gt_txn_bead_get(tx, c->convoy, &conv)) < 0)
		return rc;
	if (strcmp(gt_bead_type(conv), "convoy"))
		return gt_error_set(GT_EINVALID, "'%s' is a %s, not a convoy", c->convoy,
				    gt_bead_type(conv));
	if (!strcmp(gt_bead_status(conv), "closed")) {
		struct gt_strlist have = { 0 };
		int fresh = 0;

		/* only beads it does not track yet reopen a landed convoy */
		tracked(&have, conv);
		for (size_t i = 0; i < c->beads->n; i++)
			fresh |= !gt_strlist_has(&have, c->beads->v[i]);
		gt_strlist_release(&have);
		if (!fresh)
			return 0;
		if ((rc = gt_op_reopen(tx, c->ctx, c->convoy, "more beads to track", &ch)) < 0)
			return rc;
		c->changed = 1;
	}
	return track_fn(tx, c, c->convoy);
}

int gt_convoy_add(struct gt_ctx *ctx, const char *convoy, const char *const *beads, size_t n,
		  int *changed)
{
	struct gt_strlist ids = { 0 }, none = { 0 };
	struct gt_buf cid = GT_BUF_INIT;
	struct create c = { .ctx = ctx, .beads = &ids, .notify = &none };
	struct gt_txn_opts o = { .command = "gt-convoy-add" };
	int rc = resolve_all(&ids, ctx, &convoy, 1);

	if (rc == 0) {
		gt_buf_adds(&cid, ids.v[0]);
		gt_strlist_release_owned(&ids);
		memset(&ids, 0, sizeof(ids));
		c.convoy = cid.ptr;
		rc = resolve_all(&ids, ctx, beads, n);
	}
	if (rc == 0)
		rc = gt_ledger_transact(ctx->lg, &o, add_fn, &c);
	if (changed)
		*changed = c.changed;
	gt_strlist_release_owned(&ids);
	gt_buf_release(&cid);
	return rc;
}

/* ---- status, list ---- */

static cJSON *describe(struct gt_ctx *ctx, const cJSON *rigs, const cJSON *conv)
{
	struct gt_strlist ids = { 0 };
	cJSON *o = cJSON_CreateObject(), *arr;
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(conv, "metadata");
	int done = 0;

	tracked(&ids, conv);
	gt_json_set_str(o, "id", gt_bead_id(conv));
	gt_json_set_str(o, "title", gt_json_str(conv, "title") ? gt_json_str(conv, "title") : "");
	gt_json_set_str(o, "status", gt_bead_status(conv));
	arr = cJSON_CreateArray();
	for (size_t i = 0; i < ids.n; i++) {
		cJSON *b = NULL, *e = cJSON_CreateObject();
		const char *rig = gt_rig_named(rigs, ids.v[i]);

		gt_json_set_str(e, "id", ids.v[i]);
		if (gt_ledger_read_bead(&b, ctx->lg, NULL, ids.v[i]) == 0) {
			gt_json_set_str(e, "title", gt_json_str(b, "title"));
			gt_json_set_str(e, "status", gt_bead_status(b));
			gt_json_set_int(e, "priority", gt_bead_priority(b));
			if (gt_json_str(b, "assignee"))
				gt_json_set_str(e, "assignee", gt_json_str(b, "assignee"));
			done += is_done(gt_bead_status(b));
		} else {
			gt_error_clear();
			gt_json_set_str(e, "status", "missing");
		}
		if (rig)
			gt_json_set_str(e, "rig", rig);
		cJSON_Delete(b);
		cJSON_AddItemToArray(arr, e);
	}
	gt_json_set_int(o, "done", done);
	gt_json_set_int(o, "total", (int64_t)ids.n);
	cJSON_AddItemToObject(o, "beads", arr);
	if (cJSON_GetObjectItemCaseSensitive(md, "notify"))
		cJSON_AddItemToObject(
			o, "notify",
			cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(md, "notify"), 1));
	if (gt_json_str(conv, "created_at"))
		gt_json_set_str(o, "created_at", gt_json_str(conv, "created_at"));
	if (gt_json_str(conv, "closed_at"))
		gt_json_set_str(o, "closed_at", gt_json_str(conv, "closed_at"));
	gt_strlist_release(&ids);
	return o;
}

int gt_convoy_status(cJSON **out, struct gt_ctx *ctx, const char *convoy)
{
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT;
	cJSON *conv = NULL;
	int rc;

	*out = NULL;
	if ((rc = gt_resolve_id(&id, ctx->lg, ctx->prefix, &idx, convoy)) == 0 &&
	    (rc = gt_ledger_read_bead(&conv, ctx->lg, NULL, id.ptr)) == 0) {
		if (strcmp(gt_bead_type(conv), "convoy"))
			rc = gt_error_set(GT_EINVALID, "'%s' is a %s, not a convoy", id.ptr,
					  gt_bead_type(conv));
		else {
			cJSON *rigs = rigs_or_none(ctx);

			*out = describe(ctx, rigs, conv);
			cJSON_Delete(rigs);
		}
	}
	cJSON_Delete(conv);
	gt_index_free(idx);
	gt_buf_release(&id);
	return rc;
}

int gt_convoy_list(cJSON **out, struct gt_ctx *ctx, int all)
{
	cJSON *convs = NULL, *c, *rigs = rigs_or_none(ctx);
	int rc = read_convoys(&convs, ctx, all, NULL);

	*out = cJSON_CreateArray();
	cJSON_ArrayForEach (c, convs)
		cJSON_AddItemToArray(*out, describe(ctx, rigs, c));
	cJSON_Delete(convs);
	cJSON_Delete(rigs);
	return rc;
}

int gt_convoy_of(cJSON **out, struct gt_ctx *ctx, const char *bead)
{
	cJSON *convs = NULL, *c;
	int rc = read_convoys(&convs, ctx, 0, NULL);

	*out = cJSON_CreateArray();
	cJSON_ArrayForEach (c, convs) {
		struct gt_strlist ids = { 0 };

		tracked(&ids, c);
		if (gt_strlist_has(&ids, bead))
			cJSON_AddItemToArray(*out, cJSON_CreateString(gt_bead_id(c)));
		gt_strlist_release(&ids);
	}
	cJSON_Delete(convs);
	return rc;
}

int gt_convoy_ages(cJSON **out, struct gt_ctx *ctx)
{
	cJSON *convs = NULL, *c;
	int rc = read_convoys(&convs, ctx, 0, NULL);

	*out = cJSON_CreateObject();
	cJSON_ArrayForEach (c, convs) {
		const char *made = gt_json_str(c, "created_at");
		struct gt_strlist ids = { 0 };

		tracked(&ids, c);
		for (size_t i = 0; made && i < ids.n; i++) {
			const char *have = gt_json_str(*out, ids.v[i]);

			if (!have || gt_time_cmp(made, have) < 0)
				gt_json_set_str(*out, ids.v[i], made);
		}
		gt_strlist_release(&ids);
	}
	cJSON_Delete(convs);
	return rc;
}

/* ---- landing ---- */

struct land {
	struct gt_ctx *ctx;
	const struct gt_strlist *ids;
	int force;
	const char *reason;
	cJSON *landed;
};

static int land_one(struct gt_txn *tx, struct land *l, const char *id)
{
	struct gt_strlist ids = { 0 }, to = { 0 };
	struct gt_buf subj = GT_BUF_INIT, body = GT_BUF_INIT, reason = GT_BUF_INIT;
	cJSON *conv = NULL, *w;
	size_t open = 0;
	int rc, ch;

	if ((rc = gt_txn_bead_get(tx, id, &conv)) < 0)
		return rc;
	if (strcmp(gt_bead_type(conv), "convoy"))
		return gt_error_set(GT_EINVALID, "'%s' is a %s, not a convoy", id,
				    gt_bead_type(conv));
	if (strcmp(gt_bead_status(conv), "open"))
		return 0; /* landed already: once only */
	tracked(&ids, conv);
	for (size_t i = 0; i < ids.n && rc == 0; i++) {
		cJSON *b = NULL;

		if (gt_txn_bead_get(tx, ids.v[i], &b) == 0)
			open += !is_done(gt_bead_status(b));
		gt_error_clear();
	}
	if (!ids.n && !l->force) {
		/* nothing tracked is not "all done" */
		if (l->reason)
			rc = gt_error_set(GT_ECONFLICT, "convoy '%s' tracks nothing", id);
		goto out;
	}
	if (open && !l->force) {
		if (l->reason) /* an explicit land reports why not */
			rc = gt_error_set(GT_ECONFLICT, "convoy '%s' still has %zu open bead%s", id,
					  open, open == 1 ? "" : "s");
		goto out;
	}
	if (l->reason)
		gt_buf_adds(&reason, l->reason);
	else
		gt_buf_printf(&reason, "All %zu tracked bead%s closed", ids.n,
			      ids.n == 1 ? "" : "s");
	gt_txn_summary(tx, "land convoy %s", id);
	if ((rc = gt_op_close(tx, l->ctx, id, reason.ptr, &ch)) < 0)
		goto out;
	cJSON_ArrayForEach (w,
			    cJSON_GetObjectItemCaseSensitive(
				    cJSON_GetObjectItemCaseSensitive(conv, "metadata"), "notify")) {
		if (cJSON_IsString(w) && gt_mail_resolve(&to, l->ctx, w->valuestring) < 0)
			gt_error_clear(); /* a watcher that went away */
	}
	{
		/* the mayor, when the town has one, hears of every landing */
		cJSON *mayor = NULL;

		if (gt_txn_agent_get(tx, "mayor", &mayor) == 0 && !gt_strlist_has(&to, "mayor"))
			gt_strlist_push_dup(&to, "mayor");
		gt_error_clear();
		cJSON_Delete(mayor);
	}
	gt_buf_printf(&subj, "Convoy landed: %s",
		      gt_json_str(conv, "title") ? gt_json_str(conv, "title") : id);
	gt_buf_printf(&body, "Convoy %s has landed: %s.\n", id, reason.ptr);
	for (size_t i = 0; i < to.n && rc == 0; i++)
		rc = gt_op_mail(tx, l->ctx, to.v[i], subj.ptr, body.ptr, NULL);
	if (rc == 0)
		cJSON_AddItemToArray(l->landed, cJSON_CreateString(id));
out:
	gt_strlist_release(&ids);
	gt_strlist_release_owned(&to);
	gt_buf_release(&subj);
	gt_buf_release(&body);
	gt_buf_release(&reason);
	return rc;
}

static int land_fn(struct gt_txn *tx, void *p)
{
	struct land *l = p;
	int rc = 0;

	cJSON_Delete(l->landed);
	l->landed = cJSON_CreateArray();
	for (size_t i = 0; i < l->ids->n && rc == 0; i++)
		rc = land_one(tx, l, l->ids->v[i]);
	return rc;
}

int gt_convoy_check(cJSON **landed, struct gt_ctx *ctx, const char *convoy)
{
	struct gt_strlist ids = { 0 };
	struct land l = { .ctx = ctx, .ids = &ids };
	struct gt_txn_opts o = { .command = "gt-convoy-check" };
	cJSON *convs = NULL, *c;
	int rc;

	*landed = NULL;
	if (convoy)
		rc = resolve_all(&ids, ctx, &convoy, 1);
	else if ((rc = read_convoys(&convs, ctx, 0, NULL)) == 0)
		cJSON_ArrayForEach (c, convs)
			gt_strlist_push_dup(&ids, gt_bead_id(c));
	if (rc == 0 && ids.n)
		rc = gt_ledger_transact(ctx->lg, &o, land_fn, &l);
	if (rc == 0)
		*landed = l.landed ? l.landed : cJSON_CreateArray();
	else
		cJSON_Delete(l.landed);
	cJSON_Delete(convs);
	gt_strlist_release_owned(&ids);
	return rc;
}

int gt_convoy_land(struct gt_ctx *ctx, const char *convoy, int force, int *changed)
{
	struct gt_strlist ids = { 0 };
	struct gt_buf reason = GT_BUF_INIT;
	struct land l = { .ctx = ctx, .ids = &ids, .force = force };
	struct gt_txn_opts o = { .command = "gt-convoy-land" };
	int rc = resolve_all(&ids, ctx, &convoy, 1);

	gt_buf_printf(&reason, "Landed by %s%s", gt_ledger_actor(ctx->lg),
		      force ? " (forced)" : "");
	l.reason = reason.ptr;
	if (rc == 0)
		rc = gt_ledger_transact(ctx->lg, &o, land_fn, &l);
	if (changed)
		*changed = rc == 0 && cJSON_GetArraySize(l.landed) > 0;
	cJSON_Delete(l.landed);
	gt_strlist_release_owned(&ids);
	gt_buf_release(&reason);
	return rc;
}

/* ---- ready work: stranded and feeding ---- */

/* Ready, unassigned beads at the tip, as a set of ids. */
static int ready_set(struct gt_strlist *out, struct gt_ctx *ctx)
{
	struct gt_index *idx = NULL;
	struct gt_graph g;
	struct gt_ready_opts ro;
	uint32_t *v = NULL;
	size_t n = 0;
	int rc, have_g = 0;

	gt_ready_opts_init(&ro);
	ro.unassigned = 1;
	/* a change computed from the index depends on every bead */
	gt_ledger_note_read(ctx->lg, "beads");
	rc = gt_index_open(&idx, ctx->lg, NULL);
	if (rc == 0 && (rc = gt_graph_compute(&g, idx)) == 0) {
		have_g = 1;
		rc = gt_ready(&v, &n, &g, &ro);
	}
	for (size_t i = 0; rc == 0 && i < n; i++)
		gt_strlist_push_dup(out, gt_index_id(idx, v[i]));
	free(v);
	if (have_g)
		gt_graph_release(&g);
	gt_index_free(idx);
	return rc;
}

int gt_convoy_stranded(cJSON **out, struct gt_ctx *ctx)
{
	struct gt_strlist ready = { 0 };
	cJSON *convs = NULL, *c;
	int rc = ready_set(&ready, ctx);

	*out = cJSON_CreateArray();
	if (rc == 0)
		rc = read_convoys(&convs, ctx, 0, NULL);
	cJSON_ArrayForEach (c, convs) {
		struct gt_strlist ids = { 0 };
		cJSON *o, *r = cJSON_CreateArray();

		tracked(&ids, c);
		for (size_t i = 0; i < ids.n; i++)
			if (gt_strlist_has(&ready, ids.v[i]))
				cJSON_AddItemToArray(r, cJSON_CreateString(ids.v[i]));
		if (ids.n && !cJSON_GetArraySize(r)) {
			cJSON_Delete(r);
		} else {
			o = cJSON_CreateObject();
			gt_json_set_str(o, "id", gt_bead_id(c));
			gt_json_set_str(o, "title", gt_json_str(c, "title"));
			gt_json_set_int(o, "tracked", (int64_t)ids.n);
			cJSON_AddItemToObject(o, "ready", r);
			cJSON_AddItemToArray(*out, o);
		}
		gt_strlist_release(&ids);
	}
	cJSON_Delete(convs);
	gt_strlist_release_owned(&ready);
	return rc;
}

struct cand {
	const char *id;
	int priority;
	const char *convoy;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority - y->priority;
	return strcmp(x->id, y->id);
}

int gt_convoy_feed(cJSON **slung, struct gt_ctx *ctx, const struct gt_town *t, const char *convoy)
{
	struct gt_strlist ready = { 0 }, cid = { 0 };
	struct cand *cands = NULL;
	size_t ncand = 0, alloc = 0;
	cJSON *convs = NULL, *c, *rigs = NULL;
	int rc;

	*slung = cJSON_CreateArray();
	if ((rc = gt_ledger_refresh(ctx->lg)) < 0 || (rc = ready_set(&ready, ctx)) < 0)
		goto out;
	if (convoy && (rc = resolve_all(&cid, ctx, &convoy, 1)) < 0)
		goto out;
	if ((rc = read_convoys(&convs, ctx, 0, convoy ? cid.v[0] : NULL)) < 0)
		goto out;
	cJSON_ArrayForEach (c, convs) {
		struct gt_strlist ids = { 0 };

		tracked(&ids, c);
		for (size_t i = 0; i < ids.n; i++) {
			cJSON *b = NULL;
			int dup = 0;

			if (!gt_strlist_has(&ready, ids.v[i]))
				continue;
			for (size_t k = 0; k < ncand; k++)
				dup |= !strcmp(cands[k].id, ids.v[i]);
			if (dup)
				continue;
			if (ncand == alloc) {
				alloc = alloc ? 2 * alloc : 16;
				cands = gt_realloc(cands, alloc * sizeof(*cands));
			}
			cands[ncand].id = ids.v[i];
			cands[ncand].convoy = gt_bead_id(c);
			cands[ncand].priority = 2;
			if (gt_ledger_read_bead(&b, ctx->lg, NULL, ids.v[i]) == 0)
				cands[ncand].priority = gt_bead_priority(b);
			gt_error_clear();
			cJSON_Delete(b);
			ncand++;
		}
		/* the ids stay borrowed from convs until the end */
		gt_strlist_release(&ids);
	}
	if (ncand)
		qsort(cands, ncand, sizeof(*cands), cand_cmp);
	rigs = rigs_or_none(ctx);
	for (size_t i = 0; i < ncand; i++) {
		struct gt_sling_opts so = { 0 };
		const char *rig = gt_rig_named(rigs, cands[i].id);
		char *max_s;
		long busy = 0, max;
		cJSON *res = NULL, *e;
		int src;

		if (!rig || gt_rig_paused(ctx, rig, 0, NULL))
			continue; /* no rig to work it in, or it takes no new work */
		max_s = gt_rig_setting(ctx, rig, "max-workers", "3");
		max = strtol(max_s, NULL, 10);
		free(max_s);
		if ((rc = gt_ledger_refresh(ctx->lg)) < 0 ||
		    (rc = gt_agent_busy(&busy, ctx->lg, rig)) < 0)
			goto out;
		if (busy >= max)
			continue;
		so.target = rig;
		e = cJSON_CreateObject();
		gt_json_set_str(e, "bead", cands[i].id);
		gt_json_set_str(e, "convoy", cands[i].convoy);
		src = gt_sling(&res, ctx, t, cands[i].id, &so);
		if (src == 0 && !strcmp(gt_json_str(res, "action"), "queued")) {
			gt_json_set_bool(e, "queued", 1); /* the town is at its cap */
		} else if (src == 0) {
			gt_json_set_str(e, "agent", gt_json_str(res, "agent"));
		} else {
			gt_json_set_str(e, "error", gt_error_last());
			gt_error_clear();
		}
		cJSON_AddItemToArray(*slung, e);
		cJSON_Delete(res);
	}
out:
	cJSON_Delete(rigs);
	free(cands);
	cJSON_Delete(convs);
	gt_strlist_release_owned(&ready);
	gt_strlist_release_owned(&cid);
	return rc;
}

/* ---- work slung on its own ---- */

void gt_convoy_auto(struct gt_ctx *ctx, const char *name, const char *const *beads, size_t n,
		    cJSON *const *results)
{
	struct gt_strlist fresh = { 0 };
	struct gt_buf nm = GT_BUF_INIT, id = GT_BUF_INIT;
	size_t *which = gt_calloc(n ? n : 1, sizeof(*which));

	if (gt_ledger_refresh(ctx->lg) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		cJSON *of = NULL;

		if (gt_convoy_of(&of, ctx, beads[i]) == 0 && cJSON_GetArraySize(of))
			gt_json_set_str(results[i], "convoy", of->child->valuestring);
		else if (!gt_strlist_has(&fresh, beads[i])) {
			which[fresh.n] = i;
			gt_strlist_push(&fresh, beads[i]);
		}
		gt_error_clear();
		cJSON_Delete(of);
	}
	if (!fresh.n)
		goto out;
	if (name) {
		gt_buf_adds(&nm, name);
	} else if (fresh.n == 1) {
		cJSON *b = NULL;

		if (gt_ledger_read_bead(&b, ctx->lg, NULL, fresh.v[0]) == 0 &&
		    gt_json_str(b, "title"))
			gt_buf_printf(&nm, "Work: %s", gt_json_str(b, "title"));
		else
			gt_buf_printf(&nm, "Work: %s", fresh.v[0]);
		cJSON_Delete(b);
	} else {
		gt_buf_printf(&nm, "Batch of %zu beads", fresh.n);
	}
	if (gt_convoy_create(&id, ctx, nm.ptr, fresh.v, fresh.n, NULL, 0) == 0)
		for (size_t k = 0; k < fresh.n; k++)
			gt_json_set_str(results[which[k]], "convoy", id.ptr);
out:
	gt_error_clear();
	free(which);
	gt_strlist_release(&fresh);
	gt_buf_release(&nm);
	gt_buf_release(&id);
}
