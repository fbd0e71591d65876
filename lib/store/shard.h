/*
 * shard.h - the layout of beads/: shards that grow with the ledger.
 *
 * A bead's file is beads/<xx>/<id>.json, xx the first byte (two hex
 * digits) of the SHA-256 of its root id.  When a shard grows past a
 * threshold (gt_shard_split_at(), 1024 files) the write that takes it past
 * rewrites it, in the same commit, as 256 subtrees named by the next byte
 * of the same hash: beads/<xx>/<yy>/<id>.json.  A shard is one or the
 * other, never both; split shards are never merged back.  So a write
 * rewrites three small trees at a million beads, where one level would
 * rewrite a ~170 KB shard, and a ledger of the old layout keeps working:
 * its shards split one by one as writes reach them.
 *
 * Everything above the trees (staging, conflict checks, trailers, read
 * sets) speaks of the one-level path, the *logical* path; the physical
 * path is found here: when a tree is read (gt_shard_entry_bypath()) and
 * when one is built (gt_shard_apply()).
 */
#ifndef GT_SHARD_H
#define GT_SHARD_H

#include <git2.h>
#include <stddef.h>

struct gt_objbuf;
struct gt_tree_upd;

/* Files in a one-level shard past which a write splits it: 1024, or
 * $GT_SHARD_SPLIT (0: never split; for tests and comparisons). */
size_t gt_shard_split_at(void);

/* Whether a shard tree is split into subtrees. */
int gt_shard_is_split(const git_tree *shard);

/* The subtree a bead file (<id>.json) goes to in a split shard: two hex
 * digits (out holds 3 bytes).  GT_EINVALID when name is not <id>.json. */
int gt_shard_leaf(char out[3], const char *name);

/* git_tree_entry_bypath() for a logical path: a bead file in a split
 * shard is found in its subtree.  The same return codes (GIT_ENOTFOUND). */
int gt_shard_entry_bypath(git_tree_entry **out, const git_tree *root, const char *path);

/* The file name in a shard tree, split or not: git_tree_entry_bypath()'s
 * return codes (GIT_ENOTFOUND), or GT_EINVALID for a split shard and a
 * name that is not <id>.json; *out is the caller's to free. */
int gt_shard_entry(git_tree_entry **out, const git_tree *shard, const char *name);

/* Whether a shard tree (split or not) holds the file name. */
int gt_shard_has(const git_tree *shard, const char *name);

/* Call cb with the name of each file of a shard tree, split or not (a
 * split shard's in subtree order).  Stops at and returns cb's nonzero. */
int gt_shard_each(git_repository *git, const git_tree *shard,
		  int (*cb)(const char *name, void *payload), void *payload);

/* gt_tree_apply() for updates at logical paths (sorted, tree.h): bead
 * files in split shards go to their subtrees, and a one-level shard that
 * would pass the threshold is rebuilt split.  Other paths as they are. */
int gt_shard_apply(git_repository *git, struct gt_objbuf *ob, const git_tree *base,
		   const struct gt_tree_upd *u, size_t n, git_oid *out);

#endif
