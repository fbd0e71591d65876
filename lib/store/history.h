/*
 * history.h - the history index: which commits changed which beads, so
 * that a bead's log reads only the commits that changed it instead of
 * walking the whole ledger history (gt-ledger(5), index/history.idx).
 *
 * For every commit reachable from the ledger tip the file lists the beads
 * whose blob it changed compared with its first parent (a root commit:
 * compared with nothing), as fixed records {8 bytes of SHA-256 of the
 * bead id, commit id, the bead's blob before and after}, a batch of
 * commits at a time, each batch closed by a marker naming the tip it
 * brings the file up to and a checksum chained over everything before
 * it.  Readers keep it fresh: when the ledger tip
 * has moved they walk only the new commits (under a lock of their own,
 * never the writers'), append their records and a marker.  A reader trusts
 * only what lies before the last marker whose checksum holds (the last
 * batch is checked; the whole file when a bead's records do not chain,
 * below), so a tail torn by a killed appender is ignored (and cut by the
 * next append), a damaged file is cut and rewritten from the damage, a
 * foreign one rebuilt, and so is one whose tip is no longer in the
 * ledger's history (rewritten).  Nothing here runs on the write
 * path.
 */
#ifndef GT_HISTORY_H
#define GT_HISTORY_H

#include <git2.h>
#include <stddef.h>

#include "base/progress.h"
#include "store/ledger.h"

/* A commit that may have changed a bead, and the bead's blob in its
 * first parent (old) and in it (now), zero when absent there; exact is 0
 * when the commit named the bead's key more than once (a change of
 * layout that moved the file, or two ids sharing their hash): then only
 * the commit is to be trusted, not the blobs. */
struct gt_history_hit {
	git_oid commit, old, now;
	int exact;
};

/* The commits that may have changed bead id (from the index brought up to
 * lg->tip first), as a new array the caller frees, newest first in the
 * sense that no commit comes after one of its ancestors.  Every commit
 * reachable from the tip that changed the bead's blob compared with its
 * first parent is there; a few others may be (two ids sharing their
 * 64-bit hash, a change of layout that moved files), so callers check
 * each.  *n may be 0 (*out is then NULL).  GT_ETEMP when another reader
 * holds the index lock too long, GT_EFAIL when the index cannot be read
 * or written (a read-only repository, a missing object): callers then
 * walk the history instead.
 *
 * Only the last batch is checked unless checked is set: the records of
 * one bead chain (each one's old blob is the now of the one before it),
 * so a caller that finds the chain broken (a record damaged or lost in
 * the middle of the file) asks again with checked set, which reads the
 * whole file through its check and cuts and rewrites it from the first
 * damage.
 *
 * Bringing the index up to date walks the commits it does not cover yet
 * (all of them the first time: ~20 s at 100,000 commits); progress (NULL:
 * no one) is told of each commit walked, with a total of 0 (not known),
 * and is not told at all when the index is up to date already. */
int gt_history_commits(struct gt_history_hit **out, size_t *n, struct gt_ledger *lg, const char *id,
		       int checked, const struct gt_progress *progress);

/* Bring the index up to lg->tip without reading it for any bead (tests,
 * benchmarks, maintenance), progress told as above.  *rebuilt (may be
 * NULL) is set when the file had to be written from nothing.  Errors as
 * above. */
int gt_history_refresh(struct gt_ledger *lg, int *rebuilt, const struct gt_progress *progress);
/* The same, unless another process holds the index's lock (bringing it
 * up to date itself): then 1 at once, nothing done; telling no one (it
 * runs in the background). */
int gt_history_refresh_unless_busy(struct gt_ledger *lg);

#endif
