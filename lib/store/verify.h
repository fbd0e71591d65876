/*
 * verify.h - checking a ledger tree, and housekeeping.
 */
#ifndef GT_VERIFY_H
#define GT_VERIFY_H

#include "store/ledger.h"
#include "store/ops.h"

/* Check every record of the tip: paths and shards, ids, JSON, canonical
 * form, field kinds and vocabularies; the config files.  problem() is
 * called with a message for each problem found.  Returns the number of
 * beads checked, or a GT_E* code when the tree cannot be read. */
typedef void (*gt_verify_cb)(const char *msg, void *payload);
long gt_ledger_verify(struct gt_ctx *ctx, gt_verify_cb problem, void *payload, size_t *nproblems);

/* Number of loose objects in the repository. */
long gt_count_loose(const struct gt_repo *repo);
/* Number of pack files. */
long gt_count_packs(const struct gt_repo *repo);

#endif
