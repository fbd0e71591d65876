/*
 * verify.h - checking a ledger tree, and housekeeping.
 */
#ifndef GT_VERIFY_H
#define GT_VERIFY_H

#include "base/options.h"
#include "base/progress.h"
#include "store/index.h"
#include "store/ledger.h"
#include "store/ops.h"

/* Check every record of the tip: paths and shards, ids, JSON, canonical
 * form, field kinds and vocabularies; the config files.  problem() is
 * called with a message for each problem found.  Returns the number of
 * beads checked, or a GT_E* code when the tree cannot be read. */
typedef void (*gt_verify_cb)(const char *msg, void *payload);
long gt_ledger_verify(struct gt_ctx *ctx, gt_verify_cb problem, void *payload, size_t *nproblems);
/* The same, telling progress (NULL: no one) of the shards of beads/
 * checked so far, of how many there are. */
long gt_ledger_verify_progress(struct gt_ctx *ctx, gt_verify_cb problem, void *payload,
			       size_t *nproblems, const struct gt_progress *progress);

/* Dependency loops among the beads of idx, over the edges that can hold a
 * bead back (blocks, conditional-blocks, waits-for, parent-child).  Beads
 * data can carry them (gt's own writes refuse them), and gt keeps them so
 * that a round trip stays exact; ready and blocked treat them as
 * gt-ready(1) says.  found() gets one message per bead that depends on
 * itself ("bead 'x' depends on itself (blocks)") and one per loop of
 * several beads, named by a shortest cycle through its smallest id
 * ("dependency cycle: a -> b -> a").  *self and *cycles count them. */
void gt_index_loops(const struct gt_index *idx, gt_verify_cb found, void *payload, size_t *self,
		    size_t *cycles);

/* Remove what writers killed mid-write left behind: temporary pack files
 * (objects/pack/tmp_*: git's and gt's tmp_pack_, tmp_idx_, ...; and
 * objects/pack/.tmp-*: the packs of a git repack not yet renamed) and
 * temporary loose objects (tmp_obj* in objects/ and objects/xx/: git's
 * tmp_obj_, libgit2's tmp_object_git2_) whose mtime is older than
 * max_age seconds.  A writer at work keeps its file's mtime fresh, so a
 * file that old is no one's.  Returns how many were removed; *failed
 * counts the stale ones that could not be. */
long gt_clean_tmp_objects(const struct gt_repo *repo, long max_age, long *failed);

/* Number of loose objects in the repository. */
long gt_count_loose(const struct gt_repo *repo);
/* Number of pack files. */
long gt_count_packs(const struct gt_repo *repo);

/* Move every bead file of the tip that does not parse as a JSON object
 * (or holds another id than its name) to quarantine/<its path>, in one
 * transaction: kept, never deleted, out of every command's way.  The
 * moved paths are appended to moved (owned strings). */
int gt_ledger_quarantine(struct gt_ctx *ctx, struct gt_strlist *moved);

#endif
