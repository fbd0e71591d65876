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

uint8_t gt_graph_class(const struct gt_graph *g, uint32_t rec)
{
	return gt_index_class(g->idx, rec);
}

int gt_graph_blocked(struct gt_graph *g, uint32_t r)
{
	return gt_index_blocked(g->idx, r);
}

int gt_graph_compute(struct gt_graph *g, const struct gt_index *idx)
{
	memset(g, 0, sizeof(*g));
	g->idx = idx;
	g->parent = gt_index_vocab_find(idx, "parent-child");
	g->internal = gt_calloc(idx->nvocab ? idx->nvocab : 1, 1);
	for (uint32_t i = 0; i < idx->nvocab; i++)
		g->internal[i] = (uint8_t)gt_type_internal(gt_index_vocab(idx, (uint16_t)i));
	return 0;
}

void gt_graph_release(struct gt_graph *g)
{
	free(g->internal);
	memset(g, 0, sizeof(*g));
}

int gt_graph_descends(const struct gt_graph *g, uint32_t rec, uint32_t anc)
{
	uint16_t parent = g->parent;
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

int gt_sort_records_top(size_t *sorted, uint32_t *v, size_t n, size_t k, const struct gt_index *idx,
			const char *key, int reverse)
{
	int rc = pick_key(key ? key : "priority");

	if (rc < 0)
		return rc;
	sort_idx = idx;
	sort_reverse = reverse;
	*sorted = top_k(v, n, k);
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

struct ready_q {
	struct gt_graph *g;
	const struct gt_ready_opts *o;
	const char *patterns;
	uint32_t anc;
	int64_t now;
};

/* Whether record r is ready work that the options ask for. */
static int ready_one(const struct ready_q *q, uint32_t r)
{
	const struct gt_index *idx = q->g->idx;
	const struct gt_ready_opts *o = q->o;
	const struct gt_irec *rec = &idx->recs[r];
	int ok;

	if (gt_index_class(idx, r) != GT_CLS_OPEN ||
	    (rec->flags & (GT_IF_PINNED | GT_IF_EPHEMERAL)) || gt_index_blocked(idx, r))
		return 0;
	/* molecule steps (and wisps) are left out of plain ready work, as
	 * Beads does; asking for a bead's descendants (--parent) lists them,
	 * so a poured molecule's ready steps can be found, claimed and
	 * slung (gt-ready(1), "MOLECULE STEPS") */
	if (o->types.n)
		ok = gt_strlist_has(&o->types, gt_index_vocab(idx, rec->type));
	else
		ok = !q->g->internal[rec->type] &&
		     (q->anc != GT_IREF_NONE ||
		      !id_excluded(gt_index_str(idx, rec->id), q->patterns));
	if (!ok || (!o->include_deferred && deferred(q->g, r, q->now, q->g->parent)))
		return 0;
	if (o->priority >= 0 && rec->priority != o->priority)
		return 0;
	if (o->unassigned ? rec->assignee != 0
			  : (o->assignees.n &&
			     !gt_strlist_has(&o->assignees, gt_index_str(idx, rec->assignee))))
		return 0;
	return gt_labels_match(idx, rec, &o->labels, &o->labels_any) &&
	       (q->anc == GT_IREF_NONE || gt_graph_descends(q->g, r, q->anc));
}

/* ---- the records under one (--parent) ---- */

struct below {
	const struct gt_index *idx;
	uint16_t parent;
	uint32_t x;    /* the record whose children are being found */
	uint8_t *seen; /* a bit per record */
	uint32_t *v;   /* found so far, x's among them */
	size_t n, alloc;
};

static int below_one(uint32_t src, void *arg)
{
	struct below *b = arg;
	const struct gt_irec *r = &b->idx->recs[src];

	if (b->seen[src >> 3] & (1u << (src & 7)))
		return 0;
	for (uint32_t k = 0; k < r->nedges; k++) {
		const struct gt_iedge *e = &b->idx->edges[r->edges + k];

		if (e->type == b->parent && gt_index_ref(b->idx, e->target) == b->x) {
			b->seen[src >> 3] |= (uint8_t)(1u << (src & 7));
			GT_ALLOC_GROW(b->v, b->n + 1, b->alloc);
			b->v[b->n++] = src;
			return 0;
		}
	}
	return 0;
}

/* Every record below anc through parent-child edges (children, theirs,
 * ...), each once, in no order: found through the index's dependents, so
 * a question about one epic or molecule costs what it holds.  It may hold
 * a few more than gt_graph_descends() accepts (that follows first parents
 * only): callers check each. */
static uint32_t *below(const struct gt_graph *g, uint32_t anc, size_t *n)
{
	struct below b;

	memset(&b, 0, sizeof(b));
	b.idx = g->idx;
	b.parent = g->parent;
	b.seen = gt_calloc(g->idx->nrecs / 8 + 1, 1);
	b.seen[anc >> 3] |= (uint8_t)(1u << (anc & 7));
	b.x = anc;
	if (g->parent != 0xffff)
		gt_index_each_dependent(g->idx, anc, below_one, &b);
	for (size_t i = 0; i < b.n; i++) {
		b.x = b.v[i];
		gt_index_each_dependent(g->idx, b.x, below_one, &b);
	}
	free(b.seen);
	*n = b.n;
	return b.v ? b.v : gt_malloc(sizeof(*b.v));
}

/* whether r was created at or after cut */
static int is_recent(const struct gt_irec *r, const struct gt_time *cut)
{
	return r->created != cut->sec ? r->created > cut->sec : (int64_t)r->created_ns >= cut->nsec;
}

/*
 * Ready work walks the index's orders and stops at the limit.  priority
 * and oldest are orders of the index.  hybrid puts the beads created in
 * the last 48 hours first, by priority (then oldest), and then the rest
 * oldest first: the recent ones are the end of the oldest order, read
 * backwards and sorted; the rest its beginning, read forwards.
 */
int gt_ready(uint32_t **out, size_t *n, struct gt_graph *g, const struct gt_ready_opts *o)
{
	const struct gt_index *idx = g->idx;
	struct gt_time now = now_of(o->now), cut;
	size_t limit = o->limit > 0 ? (size_t)o->limit : SIZE_MAX, cnt = 0, alloc = 0;
	struct ready_q q;
	struct gt_iorder it;
	uint32_t *v = NULL, r;
	int hybrid = o->sort && !strcmp(o->sort, "hybrid");
	int order = o->sort && strcmp(o->sort, "priority") ? GT_ORDER_OLDEST : GT_ORDER_PRIORITY;

	*out = NULL;
	*n = 0;
	if (o->sort && strcmp(o->sort, "priority") && strcmp(o->sort, "oldest") && !hybrid)
		return gt_error_set(GT_EUSAGE, "unknown sort '%s' (use priority, oldest or hybrid)",
				    o->sort);
	q.g = g;
	q.o = o;
	q.patterns = o->exclude_patterns ? o->exclude_patterns : "-mol-,-wisp-";
	q.now = now.sec;
	q.anc = GT_IREF_NONE;
	cut = now;
	cut.sec -= 48 * 3600;
	hybrid_cut = cut;
	if (o->parent) {
		size_t nb, sorted;
		uint32_t *b;

		q.anc = gt_index_find(idx, o->parent);
		if (q.anc == GT_IREF_NONE)
			return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", o->parent);
		/* the beads under it, those ready, sorted */
		b = below(g, q.anc, &nb);
		for (size_t i = 0; i < nb; i++)
			if (ready_one(&q, b[i]))
				b[cnt++] = b[i];
		gt_sort_records_top(&sorted, b, cnt, limit == SIZE_MAX ? 0 : limit, idx,
				    hybrid		       ? "hybrid"
				    : order == GT_ORDER_OLDEST ? "oldest"
							       : "priority",
				    0);
		*out = b;
		*n = sorted < cnt ? sorted : cnt;
		return 0;
	}
	if (hybrid) {
		size_t sorted;

		gt_index_order_init(&it, idx, GT_ORDER_OLDEST, 1);
		while ((r = gt_index_order_next(&it)) != GT_IREF_NONE &&
		       is_recent(&idx->recs[r], &cut)) {
			if (!ready_one(&q, r))
				continue;
			GT_ALLOC_GROW(v, cnt + 1, alloc);
			v[cnt++] = r;
		}
		gt_sort_records_top(&sorted, v, cnt, limit == SIZE_MAX ? 0 : limit, idx, "hybrid",
				    0);
		cnt = sorted < cnt ? sorted : cnt;
	}
	gt_index_order_init(&it, idx, order, 0);
	if (order == GT_ORDER_PRIORITY && o->priority >= 0)
		gt_index_order_seek(&it, o->priority);
	while (cnt < limit && (r = gt_index_order_next(&it)) != GT_IREF_NONE) {
		if (hybrid && is_recent(&idx->recs[r], &cut))
			break;
		if (order == GT_ORDER_PRIORITY && o->priority >= 0 &&
		    idx->recs[r].priority > o->priority)
			break;
		if (!ready_one(&q, r))
			continue;
		GT_ALLOC_GROW(v, cnt + 1, alloc);
		v[cnt++] = r;
	}
	*out = v ? v : gt_malloc(sizeof(*v));
	*n = cnt;
	return 0;
}

int gt_blocked(uint32_t **out, size_t *n, struct gt_graph *g, const char *parent, long limit)
{
	const struct gt_index *idx = g->idx;
	uint32_t anc = GT_IREF_NONE, *v = NULL, r;
	size_t cnt = 0, alloc = 0, max = limit > 0 ? (size_t)limit : SIZE_MAX;
	struct gt_iorder it;

	*out = NULL;
	*n = 0;
	if (parent) {
		size_t nb, sorted;
		uint32_t *b;

		anc = gt_index_find(idx, parent);
		if (anc == GT_IREF_NONE)
			return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", parent);
		b = below(g, anc, &nb);
		for (size_t i = 0; i < nb; i++)
			if (gt_index_blocked(idx, b[i]) &&
			    !(gt_index_class(idx, b[i]) &
			      (GT_CLS_CLOSED | GT_CLS_TOMBSTONE | GT_CLS_PINNED)) &&
			    gt_graph_descends(g, b[i], anc))
				b[cnt++] = b[i];
		gt_sort_records_top(&sorted, b, cnt, max == SIZE_MAX ? 0 : max, idx, "priority", 0);
		*out = b;
		*n = sorted < cnt ? sorted : cnt;
		return 0;
	}
	gt_index_order_init(&it, idx, GT_ORDER_PRIORITY, 0);
	while (cnt < max && (r = gt_index_order_next(&it)) != GT_IREF_NONE) {
		if (!gt_index_blocked(idx, r) ||
		    (gt_index_class(idx, r) & (GT_CLS_CLOSED | GT_CLS_TOMBSTONE | GT_CLS_PINNED)))
			continue;
		GT_ALLOC_GROW(v, cnt + 1, alloc);
		v[cnt++] = r;
	}
	*out = v ? v : gt_malloc(sizeof(*v));
	*n = cnt;
	return 0;
}

void gt_blocked_by(struct gt_strlist *out, struct gt_graph *g, uint32_t r)
{
	const struct gt_irec *rec = &g->idx->recs[r];

	for (uint32_t k = 0; k < rec->nedges; k++) {
		const struct gt_iedge *e = &g->idx->edges[rec->edges + k];

		if (gt_index_edge_blocks(g->idx, e))
			gt_strlist_push(out, gt_index_str(g->idx, e->target_id));
	}
	if (out->n)
		return;
	for (uint32_t k = 0; k < rec->nedges; k++) {
		const struct gt_iedge *e = &g->idx->edges[rec->edges + k];
		uint32_t p = gt_index_ref(g->idx, e->target);

		if (e->type == g->parent && p != GT_IREF_NONE && gt_index_blocked(g->idx, p))
			gt_strlist_push(out, gt_index_str(g->idx, e->target_id));
	}
}
