/*
 * graph.c - ready/blocked over the index (rules in graph.h).
 */
#include "store/graph.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/index.h"
#include "base/banned.h"

static struct gt_graph_vids vocab_ids(const struct gt_index *idx)
{
	struct gt_graph_vids v = {
		gt_index_vocab_find(idx, "blocks"),
		gt_index_vocab_find(idx, "conditional-blocks"),
		gt_index_vocab_find(idx, "waits-for"),
		gt_index_vocab_find(idx, "parent-child"),
	};

	return v;
}

uint8_t gt_graph_class(const struct gt_graph *g, uint32_t rec)
{
	return g->cls[g->idx->recs[rec].status];
}

static int blocking_target(const struct gt_graph *g, uint32_t t)
{
	return t != GT_IREF_NONE &&
	       !(gt_graph_class(g, t) & (GT_CLS_CLOSED | GT_CLS_TOMBSTONE | GT_CLS_PINNED));
}

/* waits-for on edge e: blocked while the spawner's children are pending */
static int waits_blocks(const struct gt_graph *g, const struct gt_iedge *e)
{
	uint32_t s = e->spawner ? gt_index_find(g->idx, gt_index_str(g->idx, e->spawner))
				: gt_index_ref(g->idx, e->target);

	if (s == GT_IREF_NONE || !g->pending || !g->pending[s])
		return 0;
	return !(e->gate == 1 && g->done[s] > 0);
}

/* Whether edge e blocks its bead by itself (not through a parent). */
static int edge_blocks(const struct gt_graph *g, const struct gt_iedge *e)
{
	const struct gt_graph_vids *v = &g->v;

	if (e->type == v->blocks || e->type == v->cond)
		return blocking_target(g, gt_index_ref(g->idx, e->target));
	return e->type == v->waits && waits_blocks(g, e);
}

static int direct_block(const struct gt_graph *g, uint32_t r)
{
	const struct gt_irec *rec = &g->idx->recs[r];

	for (uint32_t k = 0; k < rec->nedges; k++)
		if (edge_blocks(g, &g->idx->edges[rec->edges + k]))
			return 1;
	return 0;
}

/*
 * Whether r is blocked, worked out on first need and remembered: a query
 * for ready work only ever looks at open beads and their ancestors.
 *
 * The rule, loops included: r is blocked when r or any bead reachable from
 * it over parent-child edges (its parent, the parent's parent, ...) is
 * blocked by its own edges.  So the answer never depends on which bead is
 * asked about first, and a parent-child loop blocks nothing by itself.
 * (Edges that block directly need no such care: a bead that blocks on
 * itself, or on a bead that blocks on it, waits for an open bead like any
 * other, and stays blocked until one of the loop is closed.)
 *
 * A depth-first walk up the parents, on its own stack so that no chain is
 * too long.  A blocked bead found blocks every bead on the stack (each one
 * reaches it) and every bead left pending (each reaches one on the stack).
 * A bead found not blocked is pending when its walk met a bead still on
 * the stack below it: the answer leans on one not known yet.  It is
 * settled, with the pending beads above it, once the walk has left every
 * bead it met.  state: 0 unknown, 1 on the stack, 2 not blocked,
 * 3 blocked, 4 pending.
 */
struct frame {
	uint32_t r, k; /* the bead, its next edge */
	size_t low;    /* lowest stack position met (SIZE_MAX: none) */
	size_t mark;   /* pending beads before this one's walk */
};

struct walk {
	struct frame *st, st0[16];
	size_t n, alloc;
	uint32_t *pending, pending0[16];
	size_t npending, apending;
};

/* grow an array that starts out in the walk itself */
static void *grow(void *arr, const void *inner, size_t *alloc, size_t size)
{
	size_t na = *alloc * 2;
	void *bigger;

	if (arr != inner)
		bigger = gt_realloc(arr, na * size);
	else
		bigger = memcpy(gt_malloc(na * size), inner, *alloc * size);
	*alloc = na;
	return bigger;
}

static int walk_push(struct gt_graph *g, struct walk *w, uint32_t r)
{
	if (w->n == w->alloc)
		w->st = grow(w->st, w->st0, &w->alloc, sizeof(*w->st));
	w->st[w->n++] = (struct frame){ r, 0, SIZE_MAX, w->npending };
	g->state[r] = 1;
	return direct_block(g, r);
}

/* the top of the stack has no blocked parent */
static void walk_pop(struct gt_graph *g, struct walk *w)
{
	struct frame *f = &w->st[--w->n];

	if (f->low >= w->n) { /* met nothing below it: settled */
		g->state[f->r] = 2;
		for (size_t i = f->mark; i < w->npending; i++)
			g->state[w->pending[i]] = 2;
		w->npending = f->mark;
		return;
	}
	g->state[f->r] = 4;
	if (w->npending == w->apending)
		w->pending = grow(w->pending, w->pending0, &w->apending, sizeof(*w->pending));
	w->pending[w->npending++] = f->r;
	if (f->low < w->st[w->n - 1].low)
		w->st[w->n - 1].low = f->low;
}

static int walk_blocked(struct gt_graph *g, uint32_t r)
{
	const struct gt_index *idx = g->idx;
	struct walk w;
	int res;

	w.st = w.st0;
	w.alloc = sizeof(w.st0) / sizeof(w.st0[0]);
	w.pending = w.pending0;
	w.apending = sizeof(w.pending0) / sizeof(w.pending0[0]);
	w.n = w.npending = 0;
	res = walk_push(g, &w, r);
	while (w.n && !res) {
		struct frame *f = &w.st[w.n - 1];
		const struct gt_irec *rec = &idx->recs[f->r];
		uint32_t p = GT_IREF_NONE;

		while (p == GT_IREF_NONE && f->k < rec->nedges) {
			const struct gt_iedge *e = &idx->edges[rec->edges + f->k++];

			if (e->type != g->v.parent ||
			    (p = gt_index_ref(idx, e->target)) == GT_IREF_NONE)
				continue;
			if (g->state[p] == 1) { /* a loop back down the stack */
				for (size_t i = 0; i < w.n; i++)
					if (i < f->low && w.st[i].r == p)
						f->low = i;
			} else if (g->state[p] == 4) { /* leans on the stack: say the bottom */
				f->low = 0;
			}
			if (g->state[p] == 1 || g->state[p] == 2 || g->state[p] == 4)
				p = GT_IREF_NONE;
		}
		if (p == GT_IREF_NONE)
			walk_pop(g, &w);
		else if (g->state[p] == 3)
			res = 1;
		else
			res = walk_push(g, &w, p);
	}
	for (size_t i = 0; res && i < w.n; i++)
		g->state[w.st[i].r] = 3;
	for (size_t i = 0; res && i < w.npending; i++)
		g->state[w.pending[i]] = 3;
	if (w.st != w.st0)
		free(w.st);
	if (w.pending != w.pending0)
		free(w.pending);
	return res;
}

int gt_graph_blocked(struct gt_graph *g, uint32_t r)
{
	if (g->state[r] == 2 || g->state[r] == 3)
		return g->state[r] == 3;
	return walk_blocked(g, r);
}

int gt_graph_compute(struct gt_graph *g, const struct gt_index *idx)
{
	struct gt_graph_vids v = vocab_ids(idx);
	uint32_t n = idx->nrecs;

	memset(g, 0, sizeof(*g));
	g->idx = idx;
	g->v = v;
	g->cls = gt_calloc(idx->nvocab ? idx->nvocab : 1, 1);
	g->internal = gt_calloc(idx->nvocab ? idx->nvocab : 1, 1);
	for (uint32_t i = 0; i < idx->nvocab; i++) {
		const char *s = gt_index_vocab(idx, (uint16_t)i);

		g->internal[i] = (uint8_t)gt_type_internal(s);
		g->cls[i] = !strcmp(s, "open")	      ? GT_CLS_OPEN
			    : !strcmp(s, "closed")    ? GT_CLS_CLOSED
			    : !strcmp(s, "tombstone") ? GT_CLS_TOMBSTONE
			    : !strcmp(s, "pinned")    ? GT_CLS_PINNED
						      : GT_CLS_OTHER;
	}
	g->state = gt_calloc(n ? n : 1, 1);
	/* children per parent, for waits-for gates (only if any exist) */
	if (v.waits != 0xffff && v.parent != 0xffff) {
		g->pending = gt_calloc(n ? n : 1, sizeof(uint32_t));
		g->done = gt_calloc(n ? n : 1, sizeof(uint32_t));
		for (uint32_t r = 0; r < n; r++) {
			const struct gt_irec *rec = &idx->recs[r];
			uint8_t c = gt_graph_class(g, r);

			for (uint32_t k = 0; k < rec->nedges; k++) {
				const struct gt_iedge *e = &idx->edges[rec->edges + k];
				uint32_t p;

				if (e->type != v.parent)
					continue;
				p = gt_index_ref(idx, e->target);
				if (p == GT_IREF_NONE)
					continue;
				if (c & (GT_CLS_CLOSED | GT_CLS_TOMBSTONE))
					g->done[p]++;
				else if (!(c & GT_CLS_PINNED))
					g->pending[p]++;
			}
		}
	}
	return 0;
}

void gt_graph_release(struct gt_graph *g)
{
	free(g->cls);
	free(g->internal);
	free(g->state);
	free(g->pending);
	free(g->done);
	memset(g, 0, sizeof(*g));
}

int gt_graph_descends(const struct gt_graph *g, uint32_t rec, uint32_t anc)
{
	uint16_t parent = g->v.parent;
	uint32_t cur = rec;

	/* follow first parents; hierarchies are shallow */
	for (int depth = 0; depth < 100; depth++) {
		const struct gt_irec *r = &g->idx->recs[cur];
		uint32_t next = GT_IREF_NONE;

		for (uint32_t k = 0; k < r->nedges; k++) {
			const struct gt_iedge *e = &g->idx->edges[r->edges + k];
			uint32_t p;

			if (e->type != parent)
				continue;
			p = gt_index_ref(g->idx, e->target);
			if (p == anc)
				return 1;
			if (next == GT_IREF_NONE)
				next = p;
		}
		if (next == GT_IREF_NONE)
			return 0;
		cur = next;
	}
	return 0;
}

/* ---- sorting ---- */

static const struct gt_index *sort_idx;
static int sort_reverse;
static int (*sort_key)(const struct gt_irec *, const struct gt_irec *);
static struct gt_time hybrid_cut;

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

/* creation times: seconds, then the nanoseconds after them */
static int cmp_created(const struct gt_irec *a, const struct gt_irec *b)
{
	int c = cmp_i64(a->created, b->created);

	return c ? c : cmp_i64(a->created_ns, b->created_ns);
}

/* whether r was created at or after the hybrid sort's cut */
static int recent(const struct gt_irec *r)
{
	return r->created != hybrid_cut.sec ? r->created > hybrid_cut.sec
					    : (int64_t)r->created_ns >= hybrid_cut.nsec;
}

static int by_priority(const struct gt_irec *a, const struct gt_irec *b)
{
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return -cmp_created(a, b); /* newest first */
}

static int by_oldest(const struct gt_irec *a, const struct gt_irec *b)
{
	return cmp_created(a, b);
}

static int by_hybrid(const struct gt_irec *a, const struct gt_irec *b)
{
	int pa = recent(a) ? a->priority : 999;
	int pb = recent(b) ? b->priority : 999;

	if (pa != pb)
		return pa < pb ? -1 : 1;
	return cmp_created(a, b);
}

static int by_created(const struct gt_irec *a, const struct gt_irec *b)
{
	return -cmp_created(a, b);
}

static int by_updated(const struct gt_irec *a, const struct gt_irec *b)
{
	return -cmp_i64(a->updated, b->updated); /* seconds; ties: id */
}

static int by_id(const struct gt_irec *a, const struct gt_irec *b)
{
	return 0;
}

static int by_status(const struct gt_irec *a, const struct gt_irec *b)
{
	return strcmp(gt_index_vocab(sort_idx, a->status), gt_index_vocab(sort_idx, b->status));
}

static int by_type(const struct gt_irec *a, const struct gt_irec *b)
{
	return strcmp(gt_index_vocab(sort_idx, a->type), gt_index_vocab(sort_idx, b->type));
}

static int by_assignee(const struct gt_irec *a, const struct gt_irec *b)
{
	return strcmp(gt_index_str(sort_idx, a->assignee), gt_index_str(sort_idx, b->assignee));
}

static int cmp_recs(const void *pa, const void *pb)
{
	const struct gt_irec *a = &sort_idx->recs[*(const uint32_t *)pa];
	const struct gt_irec *b = &sort_idx->recs[*(const uint32_t *)pb];
	int c = sort_key(a, b);

	if (!c)
		c = strcmp(gt_index_str(sort_idx, a->id), gt_index_str(sort_idx, b->id));
	return sort_reverse ? -c : c;
}

/* Leave the k first of v[0..n) (by cmp_recs) sorted in v[0..k), in
 * O(n log k): a max-heap of the k best so far.  Returns how many. */
static void sift(uint32_t *h, size_t k, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < k && cmp_recs(&h[l], &h[m]) > 0)
			m = l;
		if (r < k && cmp_recs(&h[r], &h[m]) > 0)
			m = r;
		if (m == i)
			return;
		{
			uint32_t t = h[i];

			h[i] = h[m];
			h[m] = t;
		}
		i = m;
	}
}

static size_t top_k(uint32_t *v, size_t n, size_t k)
{
	if (!k || k >= n) {
		qsort(v, n, sizeof(*v), cmp_recs);
		return n;
	}
	for (size_t i = k / 2; i-- > 0;)
		sift(v, k, i);
	for (size_t i = k; i < n; i++) {
		if (cmp_recs(&v[i], &v[0]) < 0) {
			v[0] = v[i];
			sift(v, k, 0);
		}
	}
	qsort(v, k, sizeof(*v), cmp_recs);
	return k;
}

static int pick_key(const char *key)
{
	static const struct {
		const char *name;
		int (*fn)(const struct gt_irec *, const struct gt_irec *);
	} keys[] = {
		{ "priority", by_priority }, { "oldest", by_oldest },	{ "hybrid", by_hybrid },
		{ "created", by_created },   { "updated", by_updated }, { "id", by_id },
		{ "status", by_status },     { "type", by_type },	{ "assignee", by_assignee },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].name, key)) {
			sort_key = keys[i].fn;
			return 0;
		}
	return gt_error_set(GT_EUSAGE, "unknown sort '%s'", key);
}

int gt_sort_records(uint32_t *v, size_t n, const struct gt_index *idx, const char *key, int reverse)
{
	int rc = pick_key(key ? key : "priority");

	if (rc < 0)
		return rc;
	sort_idx = idx;
	sort_reverse = reverse;
	qsort(v, n, sizeof(*v), cmp_recs);
	return 0;
}

/* ---- ready / blocked ---- */

void gt_ready_opts_init(struct gt_ready_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->priority = -1;
	o->now = gt_time_now_ns();
}

static int has_label(const struct gt_index *idx, const struct gt_irec *r, const char *label)
{
	for (uint32_t l = 0; l < r->nlabels; l++)
		if (!strcmp(gt_index_str(idx, idx->labels[r->labels + l]), label))
			return 1;
	return 0;
}

int gt_labels_match(const struct gt_index *idx, const struct gt_irec *r,
		    const struct gt_strlist *all, const struct gt_strlist *any)
{
	int ok = 1;

	for (size_t i = 0; i < all->n && ok; i++)
		ok = has_label(idx, r, all->v[i]);
	if (ok && any->n) {
		ok = 0;
		for (size_t i = 0; i < any->n && !ok; i++)
			ok = has_label(idx, r, any->v[i]);
	}
	return ok;
}

static int id_excluded(const char *id, const char *patterns)
{
	const char *p = patterns;

	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len) {
			char pat[128];

			if (len >= sizeof(pat))
				len = sizeof(pat) - 1;
			memcpy(pat, p, len);
			pat[len] = '\0';
			if (strstr(id, pat))
				return 1;
		}
		p = e ? e + 1 : NULL;
	}
	return 0;
}

/* now: the whole seconds of o->now (the floor), so that a defer_until of
 * any year up to 9999 compares without multiplying it into nanoseconds */
static int deferred(const struct gt_graph *g, uint32_t r, int64_t now, uint16_t parent)
{
	const struct gt_irec *rec = &g->idx->recs[r];

	if (rec->defer_until > now)
		return 1;
	for (uint32_t k = 0; k < rec->nedges; k++) {
		const struct gt_iedge *e = &g->idx->edges[rec->edges + k];
		uint32_t p;

		if (e->type != parent)
			continue;
		p = gt_index_ref(g->idx, e->target);
		if (p != GT_IREF_NONE && g->idx->recs[p].defer_until > now)
			return 1;
	}
	return 0;
}

/* o->now (nanoseconds) as an instant */
static struct gt_time now_of(int64_t ns)
{
	struct gt_time t;

	t.sec = ns / 1000000000;
	t.nsec = (int32_t)(ns % 1000000000);
	if (t.nsec < 0) {
		t.sec--;
		t.nsec += 1000000000;
	}
	return t;
}

int gt_ready(uint32_t **out, size_t *n, struct gt_graph *g, const struct gt_ready_opts *o)
{
	const struct gt_index *idx = g->idx;
	uint16_t parent_t = g->v.parent;
	const char *patterns = o->exclude_patterns ? o->exclude_patterns : "-mol-,-wisp-";
	struct gt_time now = now_of(o->now);
	uint32_t anc = GT_IREF_NONE, *v;
	size_t cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = pick_key(o->sort ? o->sort : "priority")) < 0 ||
	    (o->sort && strcmp(o->sort, "priority") && strcmp(o->sort, "oldest") &&
	     strcmp(o->sort, "hybrid")))
		return gt_error_set(GT_EUSAGE, "unknown sort '%s' (use priority, oldest or hybrid)",
				    o->sort);
	if (o->parent) {
		anc = gt_index_find(idx, o->parent);
		if (anc == GT_IREF_NONE)
			return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", o->parent);
	}
	v = gt_malloc((idx->nrecs ? idx->nrecs : 1) * sizeof(*v));
	for (uint32_t r = 0; r < idx->nrecs; r++) {
		const struct gt_irec *rec = &idx->recs[r];
		const char *type = gt_index_vocab(idx, rec->type);
		const char *id = gt_index_str(idx, rec->id);
		int ok = 1;

		if (gt_graph_class(g, r) != GT_CLS_OPEN ||
		    (rec->flags & (GT_IF_PINNED | GT_IF_EPHEMERAL)))
			continue;
		/* molecule steps (and wisps) are left out of plain ready work,
		 * as Beads does; asking for a bead's descendants (--parent)
		 * lists them, so a poured molecule's ready steps can be found,
		 * claimed and slung (gt-ready(1), "MOLECULE STEPS") */
		if (o->types.n)
			ok = gt_strlist_has(&o->types, type);
		else
			ok = !g->internal[rec->type] &&
			     (anc != GT_IREF_NONE || !id_excluded(id, patterns));
		if (!ok || (!o->include_deferred && deferred(g, r, now.sec, parent_t)))
			continue;
		if (o->priority >= 0 && rec->priority != o->priority)
			continue;
		if (o->unassigned
			    ? rec->assignee != 0
			    : (o->assignees.n &&
			       !gt_strlist_has(&o->assignees, gt_index_str(idx, rec->assignee))))
			continue;
		if (!gt_labels_match(idx, rec, &o->labels, &o->labels_any) ||
		    (anc != GT_IREF_NONE && !gt_graph_descends(g, r, anc)))
			continue;
		if (gt_graph_blocked(g, r)) /* last: the dearest test */
			continue;
		v[cnt++] = r;
	}
	sort_idx = idx;
	sort_reverse = 0;
	hybrid_cut = now;
	hybrid_cut.sec -= 48 * 3600;
	cnt = top_k(v, cnt, o->limit > 0 ? (size_t)o->limit : 0);
	*out = v;
	*n = cnt;
	return 0;
}

int gt_blocked(uint32_t **out, size_t *n, struct gt_graph *g, const char *parent)
{
	const struct gt_index *idx = g->idx;
	uint32_t anc = GT_IREF_NONE, *v;
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	if (parent) {
		anc = gt_index_find(idx, parent);
		if (anc == GT_IREF_NONE)
			return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", parent);
	}
	v = gt_malloc((idx->nrecs ? idx->nrecs : 1) * sizeof(*v));
	for (uint32_t r = 0; r < idx->nrecs; r++) {
		if (!gt_graph_blocked(g, r) ||
		    (gt_graph_class(g, r) & (GT_CLS_CLOSED | GT_CLS_TOMBSTONE | GT_CLS_PINNED)))
			continue;
		if (anc != GT_IREF_NONE && !gt_graph_descends(g, r, anc))
			continue;
		v[cnt++] = r;
	}
	gt_sort_records(v, cnt, idx, "priority", 0);
	*out = v;
	*n = cnt;
	return 0;
}

void gt_blocked_by(struct gt_strlist *out, struct gt_graph *g, uint32_t r)
{
	const struct gt_irec *rec = &g->idx->recs[r];

	for (uint32_t k = 0; k < rec->nedges; k++) {
		const struct gt_iedge *e = &g->idx->edges[rec->edges + k];

		if (edge_blocks(g, e))
			gt_strlist_push(out, gt_index_str(g->idx, e->target_id));
	}
	if (out->n)
		return;
	for (uint32_t k = 0; k < rec->nedges; k++) {
		const struct gt_iedge *e = &g->idx->edges[rec->edges + k];
		uint32_t p = gt_index_ref(g->idx, e->target);

		if (e->type == g->v.parent && p != GT_IREF_NONE && gt_graph_blocked(g, p))
			gt_strlist_push(out, gt_index_str(g->idx, e->target_id));
	}
}
