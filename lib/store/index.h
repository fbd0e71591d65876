/*
 * index.h - the query index: a compact binary snapshot of what ready,
 * blocked, list and id lookup need, so reads never parse every bead.
 *
 * It lives in <git-common-dir>/gt/index/beads.idx and is keyed by tree
 * ids: the id of the ledger's beads/ tree and of each of its 256 shard
 * trees.  gt_index_open() compares those with the ledger tip and rebuilds
 * only the shards whose tree changed, and inside them only the entries
 * whose blob changed (a diff of the old and new shard trees).  Because it
 * is derived entirely from tree ids it can never be stale, and deleting it
 * at any time only costs one full rebuild.
 *
 * Records are ordered by shard, then by file name (git's tree order), so a
 * bead is found by hashing its root id to a shard and binary searching.
 * A shard holds either the bead files themselves or (a very large ledger)
 * 256 subtrees named by the next byte of the same hash; either way its
 * records are kept sorted by file name.  Edges point at their target as
 * (shard << 24 | position): positions in unchanged shards stay valid
 * across rebuilds.
 *
 * Besides the records the index keeps what queries would otherwise work
 * out from all of them (index.c says how each is kept up to date):
 *  - per record, whether it is blocked (graph.h has the rules), by its own
 *    edges (GT_ID_DIRECT) and in all (GT_ID_BLOCKED);
 *  - every record in two orders, priority and oldest (gt_index_order), so
 *    a query with a limit reads the first few in order and stops;
 *  - the dependents of each record (who has an edge to it), so a change
 *    re-derives only the records it can affect;
 *  - how many records hold each (status, type, priority), so a list knows
 *    its length without walking it.
 */
#ifndef GT_INDEX_H
#define GT_INDEX_H

#include <git2.h>
#include <pthread.h>
#include <stdint.h>

#include "store/ledger.h"

#define GT_IREF_NONE 0xffffffffu

enum {
	GT_IF_PINNED = 1,
	GT_IF_EPHEMERAL = 2,
	GT_IF_TEMPLATE = 4,
};

/* derived bits of a record (gt_irec.derived) */
enum {
	GT_ID_DIRECT = 1,     /* blocked by its own edges */
	GT_ID_BLOCKED = 2,    /* blocked, by its own edges or through a parent */
	GT_ID_FRESH = 0x40,   /* while building: parsed by this build */
	GT_ID_PATCHED = 0x80, /* in memory: replaced by the patch */
};

/* status classes (per vocabulary entry) */
enum {
	GT_CLS_OPEN = 1,
	GT_CLS_CLOSED = 2, /* closed */
	GT_CLS_TOMBSTONE = 4,
	GT_CLS_PINNED = 8,
	GT_CLS_OTHER = 16, /* in_progress, hooked, blocked, deferred, custom */
};

struct gt_irec {
	uint32_t id;	   /* string offset */
	uint32_t assignee; /* string offset; 0 = none */
	uint32_t edges;	   /* first edge */
	uint32_t labels;   /* first label */
	uint16_t nedges, nlabels;
	uint16_t status, type; /* vocabulary indexes */
	int8_t priority;
	uint8_t flags;
	uint16_t derived; /* GT_ID_* */
	/* times as seconds since the epoch, which hold years 0..9999 (ns in
	 * an int64 would end in 2262); 0 = none or unparseable */
	uint32_t created_ns; /* created: the nanoseconds after its second, so
				ties in a batch stay ordered */
	int64_t created;
	int64_t updated;
	int64_t defer_until; /* rounded up: deferred while now < defer_until */
};

struct gt_iedge {
	uint32_t target;    /* (shard << 24 | position) or GT_IREF_NONE */
	uint32_t target_id; /* string offset of the target id */
	uint32_t spawner;   /* waits-for: string offset of spawner_id, 0 none */
	uint16_t type;	    /* vocabulary index */
	uint16_t gate;	    /* waits-for: 0 all-children, 1 any-children */
};

/* How many records hold one (status, type, priority). */
struct gt_icount {
	uint16_t status, type;
	int32_t priority;
	uint32_t n;
};

/* An edge of a record the patch replaced: its target (or a waits-for
 * edge's spawner) and the record it belongs to, sorted by key. */
struct gt_ipair {
	uint32_t key, src;
};

struct file_hdr;
struct gt_ipatch;

struct gt_index {
	char *mem; /* the mapping (NULL for an index just built) */
	size_t len;
	int mapped;
	struct file_hdr *hdr;
	void *owned[12];	 /* arrays of an index just built */
	struct gt_ipatch *patch; /* changes applied over the base file */
	pthread_t unlinker;	 /* removing the file this one replaced */
	int has_unlinker;
	git_oid beads_tree;
	git_oid shard_oid[256];
	uint32_t shard_start[257];
	struct gt_irec *recs;
	uint32_t nrecs;
	struct gt_iedge *edges;
	uint32_t nedges;
	uint32_t *labels;
	uint32_t nlabels;
	uint32_t *vocab; /* string offsets of interned small strings */
	uint32_t nvocab;
	const char *pool;
	uint32_t pool_len, pool_base;
	const git_oid *oids; /* blob id of each record */
	/* room in the mapping after each array, for a patch's additions */
	size_t cap_edges, cap_labels, cap_vocab, cap_pool;
	const uint32_t *by[2];	/* every record in each order (base file) */
	const uint32_t *pby[2]; /* the records the patch replaced, in order */
	uint32_t npby;
	const uint32_t *rev_start, *rev; /* dependents (base file) */
	uint32_t nrev;
	const struct gt_ipair *pairs; /* dependents through patched records */
	uint32_t npairs;
	const struct gt_icount *counts;
	uint32_t ncounts;
	uint8_t *cls; /* status class per vocabulary entry */
	uint32_t ncls;
	/* how the last open went, for benchmarks and gt-maintain */
	uint32_t stat_shards_rebuilt, stat_blobs_parsed;
};

/* Load the index for the ledger's tip (tree NULL) or a given ledger tree,
 * refreshing and saving it as needed.  Never fails because of a missing
 * or damaged index file: it is rebuilt. */
int gt_index_open(struct gt_index **out, struct gt_ledger *lg, git_tree *tree);
void gt_index_free(struct gt_index *idx);
void gt_index_release_mem(struct gt_index *idx);
/* Remove the index file (gt-maintain --rebuild-index). */
int gt_index_remove(struct gt_ledger *lg);
/* Remove leftovers of processes that died while replacing the index;
 * returns how many. */
int gt_index_clean(struct gt_ledger *lg);

static inline const char *gt_index_str(const struct gt_index *idx, uint32_t off)
{
	return idx->pool + off;
}
static inline const char *gt_index_id(const struct gt_index *idx, uint32_t i)
{
	return idx->pool + idx->recs[i].id;
}
static inline const char *gt_index_vocab(const struct gt_index *idx, uint16_t v)
{
	return idx->pool + idx->vocab[v];
}
/* Global record index of an edge target, or GT_IREF_NONE. */
static inline uint32_t gt_index_ref(const struct gt_index *idx, uint32_t ref)
{
	if (ref == GT_IREF_NONE)
		return GT_IREF_NONE;
	return idx->shard_start[ref >> 24] + (ref & 0xffffff);
}
/* The blob id of record i (check the id inside what you read: see index.c). */
static inline const git_oid *gt_index_oid(const struct gt_index *idx, uint32_t i)
{
	return &idx->oids[i];
}
/* Record index of an exact id, or GT_IREF_NONE. */
uint32_t gt_index_find(const struct gt_index *idx, const char *id);
/* Vocabulary index of s, or 0xffff when the index has never seen it. */
uint16_t gt_index_vocab_find(const struct gt_index *idx, const char *s);

/* The class (GT_CLS_*) of a status, and of record rec's status. */
uint8_t gt_index_status_class(const char *status);
static inline uint8_t gt_index_class(const struct gt_index *idx, uint32_t rec)
{
	return idx->cls[idx->recs[rec].status];
}
/* Whether rec is blocked (graph.h): by its own edges or a parent's. */
static inline int gt_index_blocked(const struct gt_index *idx, uint32_t rec)
{
	return (idx->recs[rec].derived & GT_ID_BLOCKED) != 0;
}
/* Whether edge e (of a record in idx) blocks its record by itself. */
int gt_index_edge_blocks(const struct gt_index *idx, const struct gt_iedge *e);

/* Call fn(src, arg) for each record src that has an edge to rec (or names
 * rec as a waits-for spawner): once per such edge, in no particular
 * order.  fn returns non-zero to stop; that value is returned. */
int gt_index_each_dependent(const struct gt_index *idx, uint32_t rec,
			    int (*fn)(uint32_t src, void *arg), void *arg);

/* ---- every record in an order ----
 *
 * GT_ORDER_PRIORITY: priority, then newest first, then id;
 * GT_ORDER_OLDEST: oldest first, then id.  Ties never remain: ids are
 * unique.  reverse walks the same order backwards. */
enum { GT_ORDER_PRIORITY, GT_ORDER_OLDEST };

struct gt_iorder {
	const struct gt_index *idx;
	int order, reverse;
	uint32_t i, j; /* next of the base list, of the patch's list */
	uint32_t run;  /* the base's records before run come first */
};

void gt_index_order_init(struct gt_iorder *it, const struct gt_index *idx, int order, int reverse);
/* The next record, or GT_IREF_NONE at the end. */
uint32_t gt_index_order_next(struct gt_iorder *it);
/* In the priority order walked forwards, skip the records of a priority
 * below p (a binary search). */
void gt_index_order_seek(struct gt_iorder *it, int p);
/* <0, 0, >0 as record a comes before, is, or comes after b in order. */
int gt_index_order_cmp(const struct gt_index *idx, int order, uint32_t a, uint32_t b);

#endif
