/*
 * query.c - partial ids and list filters over the index.
 */
#include "store/query.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/map.h"
#include "base/options.h"
#include "store/graph.h"
#include "store/id.h"
#include "store/index.h"
#include "store/ledger.h"
#include "base/banned.h"

int gt_ledger_has_bead(struct gt_ledger *lg, const char *id)
{
	git_oid blob;
	int found;

	if (!lg->tree || gt_id_check(id) < 0) {
		gt_error_clear();
		return 0;
	}
	/* wherever the ledger's layout puts it (one shard level or two) */
	found = gt_ledger_bead_entry(&blob, lg, NULL, id) == 0;
	gt_error_clear();
	git_error_clear();
	return found;
}

int gt_resolve_id(struct gt_buf *out, struct gt_ledger *lg, const char *prefix,
		  struct gt_index **idxp, const char *input)
{
	struct gt_buf cand = GT_BUF_INIT, withp = GT_BUF_INIT;
	size_t il = strlen(input), nc = 0;
	const char *first = NULL;
	int rc;

	gt_buf_reset(out);
	if (!il)
		return gt_error_set(GT_EUSAGE, "empty bead id");
	if (gt_ledger_has_bead(lg, input)) {
		gt_buf_adds(out, input);
		return 0;
	}
	if (prefix && !strchr(input, '-')) {
		gt_buf_printf(&withp, "%s-%s", prefix, input);
		if (gt_ledger_has_bead(lg, withp.ptr)) {
			gt_buf_adds(out, withp.ptr);
			gt_buf_release(&withp);
			return 0;
		}
	}
	if (!*idxp && (rc = gt_index_open(idxp, lg, NULL)) < 0) {
		gt_buf_release(&withp);
		return rc;
	}
	/* the same two in the index, which knows every layout of the tree */
	if (gt_index_find(*idxp, input) != GT_IREF_NONE ||
	    (withp.len && gt_index_find(*idxp, withp.ptr) != GT_IREF_NONE)) {
		gt_buf_adds(out, gt_index_find(*idxp, input) != GT_IREF_NONE ? input : withp.ptr);
		gt_buf_release(&withp);
		return 0;
	}
	gt_buf_release(&withp);
	for (uint32_t r = 0; r < (*idxp)->nrecs; r++) {
		const char *id = gt_index_id(*idxp, r), *dash = strchr(id, '-');
		const char *last = strrchr(id, '-');

		/* the whole id, the id past its prefix, or (for typed ids:
		 * hq-cv-5ag, hq-mol-j8s) the hash past the last dash */
		if (strncmp(id, input, il) && !(dash && !strncmp(dash + 1, input, il)) &&
		    !(last && last != dash && !strchr(input, '-') && !strncmp(last + 1, input, il)))
			continue;
		if (nc < 10)
			gt_buf_printf(&cand, "%s%s", nc ? ", " : "", id);
		if (!nc)
			first = id;
		nc++;
	}
	if (nc == 1) {
		gt_buf_adds(out, first);
		rc = 0;
	} else if (!nc) {
		rc = gt_error_set(GT_ENOTFOUND, "bead '%s' not found", input);
	} else {
		gt_error_set(GT_EAMBIGUOUS, "'%s' is ambiguous: %s%s", input, cand.ptr,
			     nc > 10 ? ", ..." : "");
		gt_error_hint("give more of the id");
		rc = GT_EAMBIGUOUS;
	}
	gt_buf_release(&cand);
	return rc;
}

void gt_list_filter_init(struct gt_list_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->priority_min = 0;
	f->priority_max = 4;
}

void gt_list_filter_release(struct gt_list_filter *f)
{
	gt_strlist_release(&f->statuses);
	gt_strlist_release(&f->types);
	gt_strlist_release(&f->assignees);
	gt_strlist_release(&f->labels);
	gt_strlist_release(&f->labels_any);
	gt_strlist_release(&f->ids);
}

static int direct_child(const struct gt_index *idx, const struct gt_irec *r, uint32_t parent,
			uint16_t pc)
{
	for (uint32_t k = 0; k < r->nedges; k++) {
		const struct gt_iedge *e = &idx->edges[r->edges + k];

		if (e->type == pc && gt_index_ref(idx, e->target) == parent)
			return 1;
	}
	return 0;
}

/* Whether a record of this status is listed. */
static int status_listed(const struct gt_list_filter *f, int all, const char *status)
{
	if (f->statuses.n && !all)
		return gt_strlist_has(&f->statuses, status);
	if (!all)
		return strcmp(status, "closed") && strcmp(status, "tombstone");
	/* deletions only when asked for by name */
	return strcmp(status, "tombstone") || gt_strlist_has(&f->statuses, "tombstone");
}

static int list_match(const struct gt_list_cursor *c, uint32_t r)
{
	const struct gt_index *idx = c->idx;
	const struct gt_list_filter *f = c->f;
	const struct gt_irec *rec = &idx->recs[r];

	if (!status_listed(f, c->all, gt_index_vocab(idx, rec->status)))
		return 0;
	if (f->types.n && !gt_strlist_has(&f->types, gt_index_vocab(idx, rec->type)))
		return 0;
	if (f->no_assignee && rec->assignee)
		return 0;
	if (f->assignees.n && !gt_strlist_has(&f->assignees, gt_index_str(idx, rec->assignee)))
		return 0;
	if (rec->priority < f->priority_min || rec->priority > f->priority_max)
		return 0;
	if (f->ids.n && !gt_strlist_has(&f->ids, gt_index_str(idx, rec->id)))
		return 0;
	return gt_labels_match(idx, rec, &f->labels, &f->labels_any) &&
	       (c->parent == GT_IREF_NONE || direct_child(idx, rec, c->parent, c->pc));
}

/* every match, in record order */
static uint32_t *all_matches(const struct gt_list_cursor *c, size_t *n)
{
	uint32_t *v = gt_malloc((c->idx->nrecs ? c->idx->nrecs : 1) * sizeof(*v));
	size_t cnt = 0;

	for (uint32_t r = 0; r < c->idx->nrecs; r++)
		if (list_match(c, r))
			v[cnt++] = r;
	*n = cnt;
	return v;
}

int gt_list_open(struct gt_list_cursor *c, const struct gt_index *idx,
		 const struct gt_list_filter *f, size_t want)
{
	const char *key = f->sort ? f->sort : "priority";
	uint32_t none;
	size_t sorted;
	int rc;

	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->f = f;
	c->total = SIZE_MAX;
	c->pc = gt_index_vocab_find(idx, "parent-child");
	c->all = f->all || gt_strlist_has(&f->statuses, "all");
	c->parent = GT_IREF_NONE;
	if (f->parent && (c->parent = gt_index_find(idx, f->parent)) == GT_IREF_NONE)
		return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", f->parent);
	if ((rc = gt_sort_records_top(&sorted, &none, 0, 0, idx, key, f->reverse)) < 0)
		return rc; /* an unknown key */
	if (!strcmp(key, "priority")) {
		c->walk = 1;
		gt_index_order_init(&c->it, idx, GT_ORDER_PRIORITY, f->reverse);
		gt_index_order_seek(&c->it, f->priority_min);
		return 0;
	}
	c->v = all_matches(c, &c->n);
	c->total = c->n;
	return gt_sort_records_top(&c->sorted, c->v, c->n, want, idx, key, f->reverse);
}

uint32_t gt_list_next(struct gt_list_cursor *c)
{
	uint32_t r;

	if (c->walk) {
		while (!c->at && (r = gt_index_order_next(&c->it)) != GT_IREF_NONE) {
			int p = c->idx->recs[r].priority;

			/* in priority order: past the priorities asked for, done */
			if (c->f->reverse ? p < c->f->priority_min : p > c->f->priority_max)
				break;
			if (list_match(c, r))
				return r;
		}
		c->at = 1;
		return GT_IREF_NONE;
	}
	if (c->at >= c->n)
		return GT_IREF_NONE;
	if (c->at == c->sorted) { /* past what was put in order: the rest */
		gt_sort_records(c->v + c->at, c->n - c->at, c->idx,
				c->f->sort ? c->f->sort : "priority", c->f->reverse);
		c->sorted = c->n;
	}
	return c->v[c->at++];
}

size_t gt_list_total(struct gt_list_cursor *c)
{
	const struct gt_list_filter *f = c->f;
	const struct gt_index *idx = c->idx;
	size_t n = 0;

	if (c->total != SIZE_MAX)
		return c->total;
	if (f->no_assignee || f->assignees.n || f->ids.n || f->labels.n || f->labels_any.n ||
	    c->parent != GT_IREF_NONE) {
		for (uint32_t r = 0; r < idx->nrecs; r++)
			n += (size_t)list_match(c, r);
	} else {
		for (uint32_t k = 0; k < idx->ncounts; k++) {
			const struct gt_icount *ct = &idx->counts[k];

			if (status_listed(f, c->all, gt_index_vocab(idx, ct->status)) &&
			    (!f->types.n ||
			     gt_strlist_has(&f->types, gt_index_vocab(idx, ct->type))) &&
			    ct->priority >= f->priority_min && ct->priority <= f->priority_max)
				n += ct->n;
		}
	}
	c->total = n;
	return n;
}

void gt_list_close(struct gt_list_cursor *c)
{
	free(c->v);
	c->v = NULL;
}

int gt_list(uint32_t **out, size_t *n, const struct gt_index *idx, const struct gt_list_filter *f)
{
	struct gt_list_cursor c;
	int rc;

	*out = NULL;
	*n = 0;
	memset(&c, 0, sizeof(c));
	c.idx = idx;
	c.f = f;
	c.pc = gt_index_vocab_find(idx, "parent-child");
	c.all = f->all || gt_strlist_has(&f->statuses, "all");
	c.parent = GT_IREF_NONE;
	if (f->parent && (c.parent = gt_index_find(idx, f->parent)) == GT_IREF_NONE)
		return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", f->parent);
	c.v = all_matches(&c, &c.n);
	if ((rc = gt_sort_records(c.v, c.n, idx, f->sort ? f->sort : "priority", f->reverse)) < 0) {
		free(c.v);
		return rc;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

int gt_contains_ci(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);

	if (!nl)
		return 1;
	for (; *hay; hay++) {
		size_t i = 0;

		while (i < nl && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == nl)
			return 1;
	}
	return 0;
}

int gt_list_beads(cJSON *out, struct gt_ledger *lg, const struct gt_list_filter *f,
		  int (*pred)(const cJSON *bead, const void *arg), const void *arg)
{
	struct gt_index *idx = NULL;
	uint32_t *v = NULL;
	size_t n = 0;
	int rc = gt_index_open(&idx, lg, NULL);

	if (rc == 0)
		rc = gt_list(&v, &n, idx, f);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		cJSON *b = NULL;

		rc = gt_ledger_read_bead_blob(&b, lg, gt_index_oid(idx, v[i]),
					      gt_index_id(idx, v[i]));
		if (rc == GT_EINVALID) {
			/* one bad record never hides the others */
			gt_ledger_note_bad(lg, gt_error_last());
			gt_error_clear();
			rc = 0;
			continue;
		}
		if (rc == 0 && (!pred || pred(b, arg)))
			cJSON_AddItemToArray(out, b);
		else
			cJSON_Delete(b);
	}
	free(v);
	gt_index_free(idx);
	return rc;
}

/* ---- similar texts (gt_similar_pairs) ----
 *
 * Comparing every pair is quadratic; this is the All-Pairs prefix filter
 * instead.  Words are ranked rarest first across all texts and each set
 * is sorted by rank.  Two sets with similarity >= t share at least
 * ceil(t * max(|x|, |y|)) words, so they share one among the first
 * |x| - ceil(t * |x|) + 1 words of each: only those "prefix" words are
 * indexed, and sets are visited smallest first so that a candidate is
 * also dropped by size (|y| >= t * |x|).  Rare words make short posting
 * lists: ten thousand titles take milliseconds.
 */

#define SIM_EPS 1e-9

struct sim_set {
	uint32_t *w; /* word ids, then ranks in ascending order */
	size_t n;
};

struct sim_key {
	uint64_t k;
	uint32_t i;
};

struct sim_list {
	uint32_t *v;
	size_t n, alloc;
};

static int sim_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80;
}

static int sim_key_cmp(const void *a, const void *b)
{
	const struct sim_key *x = a, *y = b;

	if (x->k != y->k)
		return x->k < y->k ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int sim_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double sim_jaccard(const struct sim_set *x, const struct sim_set *y)
{
	size_t i = 0, j = 0, inter = 0;

	while (i < x->n && j < y->n) {
		if (x->w[i] == y->w[j]) {
			inter++;
			i++;
			j++;
		} else if (x->w[i] < y->w[j]) {
			i++;
		} else {
			j++;
		}
	}
	return (double)inter / (double)(x->n + y->n - inter);
}

static void sim_add(struct gt_similar **out, size_t *n, size_t *alloc, size_t a, size_t b,
		    double score)
{
	GT_ALLOC_GROW(*out, *n + 1, *alloc);
	(*out)[*n].a = a < b ? a : b;
	(*out)[*n].b = a < b ? b : a;
	(*out)[(*n)++].score = score;
}

/* The words of each text as word ids (each once); freq counts the texts
 * holding each word.  Returns the number of distinct words. */
static size_t sim_words(struct sim_set *sets, const char *const *texts, size_t n, uint32_t **freq)
{
	struct gt_map ids = GT_MAP_INIT;
	struct gt_strlist names = { 0 };
	struct gt_buf word = GT_BUF_INIT;
	size_t falloc = 0, nw;

	for (size_t i = 0; i < n; i++) {
		for (const char *p = texts[i] ? texts[i] : ""; *p;) {
			uintptr_t id;
			size_t k;

			if (!sim_word_byte((unsigned char)*p)) {
				p++;
				continue;
			}
			gt_buf_reset(&word);
			for (; *p && sim_word_byte((unsigned char)*p); p++)
				gt_buf_addch(&word, *p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			if (!(id = (uintptr_t)gt_map_get(&ids, word.ptr))) {
				gt_strlist_push(&names, gt_strdup(word.ptr));
				id = names.n;
				gt_map_put(&ids, names.v[id - 1], (void *)id);
				GT_ALLOC_GROW(*freq, id, falloc);
				(*freq)[id - 1] = 0;
			}
			for (k = 0; k < sets[i].n && sets[i].w[k] != id - 1; k++)
				;
			if (k < sets[i].n)
				continue; /* a set: each word once */
			sets[i].w = gt_realloc(sets[i].w, (sets[i].n + 1) * sizeof(*sets[i].w));
			sets[i].w[sets[i].n++] = (uint32_t)(id - 1);
			(*freq)[id - 1]++;
		}
	}
	nw = names.n;
	for (size_t i = 0; i < names.n; i++)
		free((char *)names.v[i]);
	gt_strlist_release(&names);
	gt_map_release(&ids);
	gt_buf_release(&word);
	return nw;
}

int gt_similar_pairs(struct gt_similar **out, size_t *nout, const char *const *texts, size_t n,
		     double t)
{
	struct sim_set *sets;
	struct sim_key *keys, *order;
	struct sim_list *post;
	uint32_t *freq = NULL, *rank, *stamp;
	size_t nw, alloc = 0;

	*out = NULL;
	*nout = 0;
	if (!(t > 0 && t <= 1))
		return gt_error_set(GT_EUSAGE, "a similarity threshold is above 0 and at most 1");
	sets = gt_calloc(n ? n : 1, sizeof(*sets));
	nw = sim_words(sets, texts, n, &freq);
	keys = gt_malloc((nw ? nw : 1) * sizeof(*keys));
	rank = gt_malloc((nw ? nw : 1) * sizeof(*rank));
	for (size_t i = 0; i < nw; i++) {
		keys[i].k = freq[i];
		keys[i].i = (uint32_t)i;
	}
	qsort(keys, nw, sizeof(*keys), sim_key_cmp);
	for (size_t i = 0; i < nw; i++)
		rank[keys[i].i] = (uint32_t)i;
	order = gt_malloc((n ? n : 1) * sizeof(*order));
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sets[i].n; k++)
			sets[i].w[k] = rank[sets[i].w[k]];
		if (sets[i].n) /* a title without words has no array */
			qsort(sets[i].w, sets[i].n, sizeof(*sets[i].w), sim_u32_cmp);
		order[i].k = sets[i].n;
		order[i].i = (uint32_t)i;
	}
	qsort(order, n, sizeof(*order), sim_key_cmp);
	post = gt_calloc(nw ? nw : 1, sizeof(*post));
	stamp = gt_calloc(n ? n : 1, sizeof(*stamp));
	for (size_t o = 0; o < n; o++) {
		uint32_t x = order[o].i;
		size_t sx = sets[x].n, need = (size_t)ceil(t * (double)sx - SIM_EPS);
		size_t prefix = sx - need + 1;

		if (!sx)
			continue;
		for (size_t k = 0; k < prefix; k++) {
			const struct sim_list *pl = &post[sets[x].w[k]];

			for (size_t j = 0; j < pl->n; j++) {
				uint32_t y = pl->v[j];
				double s;

				if (stamp[y] == x + 1 || sets[y].n < need)
					continue;
				stamp[y] = x + 1;
				if ((s = sim_jaccard(&sets[x], &sets[y])) >= t - SIM_EPS)
					sim_add(out, nout, &alloc, x, y, s);
			}
		}
		for (size_t k = 0; k < prefix; k++) {
			struct sim_list *pl = &post[sets[x].w[k]];

			GT_ALLOC_GROW(pl->v, pl->n + 1, pl->alloc);
			pl->v[pl->n++] = x;
		}
	}
	/* texts without a word ("???") come first in order */
	for (size_t i = 0; i < n && !sets[order[i].i].n; i++)
		for (size_t j = i + 1; j < n && !sets[order[j].i].n; j++)
			if (!strcasecmp(texts[order[i].i] ? texts[order[i].i] : "",
					texts[order[j].i] ? texts[order[j].i] : ""))
				sim_add(out, nout, &alloc, order[i].i, order[j].i, 1.0);
	for (size_t i = 0; i < nw; i++)
		free(post[i].v);
	for (size_t i = 0; i < n; i++)
		free(sets[i].w);
	free(post);
	free(stamp);
	free(order);
	free(rank);
	free(keys);
	free(freq);
	free(sets);
	return 0;
}
