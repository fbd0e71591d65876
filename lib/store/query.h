/*
 * query.h - finding beads: partial ids and list filters.
 */
#ifndef GT_QUERY_H
#define GT_QUERY_H

#include <cjson/cJSON.h>

#include "base/options.h"
#include "store/graph.h"
#include "store/index.h"
#include "store/ledger.h"

/* Resolve what a person typed to one bead id: the exact id, the id with
 * the default prefix added ("a1b2" -> "gt-a1b2"), or the one id that
 * starts with it (with or without its prefix).  GT_ENOTFOUND when nothing
 * matches; GT_EAMBIGUOUS listing the candidates when several do.  *idxp
 * caches the index across calls (loaded only when needed; free it). */
int gt_resolve_id(struct gt_buf *out, struct gt_ledger *lg, const char *prefix,
		  struct gt_index **idxp, const char *input);

/* Whether a bead with exactly this id is in the ledger tip. */
int gt_ledger_has_bead(struct gt_ledger *lg, const char *id);

struct gt_list_filter {
	struct gt_strlist statuses; /* any of; "all" for every status */
	struct gt_strlist types;
	struct gt_strlist assignees;
	struct gt_strlist labels; /* all of */
	struct gt_strlist labels_any;
	struct gt_strlist ids;
	int priority_min, priority_max;
	const char *parent; /* direct children of */
	int no_assignee, all;
	const char *sort; /* default priority */
	int reverse;
	long limit; /* 0: all */
};

void gt_list_filter_init(struct gt_list_filter *f);
void gt_list_filter_release(struct gt_list_filter *f);
/* Records matching f, sorted (no limit applied: text filters that need
 * the blobs come after).  *out is malloc'd. */
int gt_list(uint32_t **out, size_t *n, const struct gt_index *idx, const struct gt_list_filter *f);

/*
 * The records matching f one at a time, in f's order, finding no more of
 * them than asked for: in priority order (the default) the index's order
 * is walked and filtered as it goes; in another order every match is
 * found and only the first `want` put in order (0: all), the rest when
 * asked for.  The filter and index must outlive the cursor.
 */
struct gt_list_cursor {
	const struct gt_index *idx;
	const struct gt_list_filter *f;
	uint32_t parent; /* --parent, as a record */
	uint16_t pc;	 /* vocabulary index of parent-child */
	int all;
	int walk; /* walking the index's order (it), else v */
	struct gt_iorder it;
	uint32_t *v;
	size_t n, sorted, at; /* walking: at is 1 once the walk is over */
	size_t total;	      /* matches in all, once counted (SIZE_MAX: not yet) */
};

/* GT_EUSAGE for an unknown sort, GT_ENOTFOUND for an unknown parent. */
int gt_list_open(struct gt_list_cursor *c, const struct gt_index *idx,
		 const struct gt_list_filter *f, size_t want);
/* The next match, or GT_IREF_NONE after the last. */
uint32_t gt_list_next(struct gt_list_cursor *c);
/* How many records match f in all (counted from the index's counts when
 * the filter is on statuses, types and priorities only). */
size_t gt_list_total(struct gt_list_cursor *c);
void gt_list_close(struct gt_list_cursor *c);

/* The beads matching f at the ledger tip, read and in f's order, that
 * pred accepts (all when pred is NULL), appended to the JSON array out. */
int gt_list_beads(cJSON *out, struct gt_ledger *lg, const struct gt_list_filter *f,
		  int (*pred)(const cJSON *bead, const void *arg), const void *arg);
/* Case-insensitive (ASCII) substring test. */
int gt_contains_ci(const char *hay, const char *needle);

/* A pair of texts found similar by gt_similar_pairs(): indexes a < b. */
struct gt_similar {
	size_t a, b;
	double score;
};

/* Every pair of the n texts whose word sets have a Jaccard similarity
 * (words both hold / words either holds) of at least t, in no particular
 * order: *nout pairs in *out, malloc'd (NULL when none).  Words are runs
 * of ASCII letters and digits and bytes >= 0x80 (UTF-8), compared
 * ignoring ASCII case; texts without any word pair only with a text equal
 * to them, ignoring ASCII case (score 1).  Candidates come from a prefix filter
 * over the rarest words (All-Pairs), not from every pair.  GT_EUSAGE
 * when t is not above 0 and at most 1. */
int gt_similar_pairs(struct gt_similar **out, size_t *nout, const char *const *texts, size_t n,
		     double t);

#endif
