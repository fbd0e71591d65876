/*
 * graph.h - ready and blocked work, answered from the query index.
 *
 * The rules are Beads' (DESIGN.md "Records"):
 *  - an edge `X blocks-on Y` (types blocks and conditional-blocks) blocks X
 *    while Y exists and is not closed (tombstoned and pinned beads do not
 *    block; a missing or external: target never blocks);
 *  - `waits-for` gates X on the children of a spawner (metadata spawner_id,
 *    else the target): with gate all-children X waits while any child is
 *    still pending, with any-children until one child is done;
 *  - blocking passes down parent-child edges: a child of a blocked bead is
 *    blocked, transitively;
 *  - related, discovered-from, tracks and every other type never block.
 * Ready = status open, not blocked, not pinned or ephemeral, not deferred
 * into the future (nor its parent), not an internal type (message, agent,
 * merge-request, molecule, gate, role, rig) unless asked for by type, and
 * no id containing -mol- or -wisp- (config ready.exclude-id-patterns).
 *
 * Whether a bead is blocked is kept in the index (index.h), worked out
 * when the index is built or patched; the rest depends on the question
 * (the time, the filters) and is checked here.  The index keeps every
 * bead in priority and in age order, so ready and blocked walk that order
 * and stop at the limit: their cost follows what they print, not the
 * ledger's size.
 */
#ifndef GT_GRAPH_H
#define GT_GRAPH_H

#include <stdint.h>

#include "base/options.h"
#include "store/index.h"

struct gt_graph {
	const struct gt_index *idx;
	uint8_t *internal; /* per vocabulary entry: an internal type */
	uint16_t parent;   /* vocabulary index of parent-child (0xffff: none) */
};

int gt_graph_compute(struct gt_graph *g, const struct gt_index *idx);
void gt_graph_release(struct gt_graph *g);
uint8_t gt_graph_class(const struct gt_graph *g, uint32_t rec);

struct gt_ready_opts {
	const char *sort;	 /* priority (default), oldest, hybrid */
	long limit;		 /* 0: all */
	struct gt_strlist types; /* only these types (internal ones allowed) */
	struct gt_strlist assignees;
	int unassigned;
	struct gt_strlist labels; /* all of */
	struct gt_strlist labels_any;
	int priority;	    /* -1: any */
	const char *parent; /* descendants of */
	int include_deferred;
	const char *exclude_patterns; /* comma list; NULL: "-mol-,-wisp-" */
	int64_t now;
};

void gt_ready_opts_init(struct gt_ready_opts *o);
/* Ready records in order, at most o->limit of them; *out is malloc'd.
 * GT_EUSAGE for a bad sort. */
int gt_ready(uint32_t **out, size_t *n, struct gt_graph *g, const struct gt_ready_opts *o);

/* Blocked records (not closed, tombstoned or pinned), by priority then
 * newest, at most limit of them (0: all).  For each, gt_blocked_by()
 * lists the blockers. */
int gt_blocked(uint32_t **out, size_t *n, struct gt_graph *g, const char *parent, long limit);
/* Ids that block rec directly (open blocks/conditional-blocks/waits-for
 * targets), or its blocked parents when blocked only through them. */
void gt_blocked_by(struct gt_strlist *out, struct gt_graph *g, uint32_t rec);
/* Whether rec is blocked. */
int gt_graph_blocked(struct gt_graph *g, uint32_t rec);

/* Whether rec descends from anc through parent-child edges. */
int gt_graph_descends(const struct gt_graph *g, uint32_t rec, uint32_t anc);

/* Whether record r has every label in all and, when any is not empty,
 * at least one in any. */
int gt_labels_match(const struct gt_index *idx, const struct gt_irec *r,
		    const struct gt_strlist *all, const struct gt_strlist *any);
/* Sort records by a list sort key: priority, created, updated, id,
 * status, type, assignee (reverse flips).  GT_EUSAGE for unknown keys. */
int gt_sort_records(uint32_t *v, size_t n, const struct gt_index *idx, const char *key,
		    int reverse);
/* The same, but only the k first (k > 0) are put in order, in v[0..k),
 * in O(n log k); what follows them comes after them, unsorted.
 * Returns how many are in order: k, or n when n <= k. */
int gt_sort_records_top(size_t *sorted, uint32_t *v, size_t n, size_t k, const struct gt_index *idx,
			const char *key, int reverse);

#endif
