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
 * Edges point at their target as (shard << 24 | position): positions in
 * unchanged shards stay valid across rebuilds.
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

struct gt_irec {
	uint32_t id;	   /* string offset */
	uint32_t assignee; /* string offset; 0 = none */
	uint32_t edges;	   /* first edge */
	uint32_t labels;   /* first label */
	uint16_t nedges, nlabels;
	uint16_t status, type; /* vocabulary indexes */
	int8_t priority;
	uint8_t flags;
	uint16_t reserved;
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

struct file_hdr;
struct gt_ipatch;

struct gt_index {
	char *mem; /* the file, mapped (NULL for an index just built) */
	size_t len;
	int mapped;
	struct file_hdr *hdr;
	void *owned[6];		 /* arrays of an index just built */
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

#endif
