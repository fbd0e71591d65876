/*
 * snapshot.h - never lose work: the whole state of a worker's workspace
 * (commits, uncommitted changes and untracked files, not ignored ones)
 * kept as a commit under refs/gt/snapshots/<agent>/<n> in the rig's
 * repository before anything removes the workspace or kills its session.
 *
 * A snapshot is a commit whose tree is the worktree as it was and whose
 * parent is the workspace's HEAD, so its history holds the branch's
 * commits too.  Taking one touches neither the workspace's index, nor its
 * HEAD, nor its files.  The ref lives in the rig's bare repository
 * (<rig>/.repo.git), which outlives the workspace.
 */
#ifndef GT_SNAPSHOT_H
#define GT_SNAPSHOT_H

#include <cjson/cJSON.h>

#include <stdint.h>

#include "base/buf.h"

/* Snapshot the workspace ws of agent address into repo (the rig's bare
 * repository); reason goes in the commit message.  ref_out (if given)
 * gets the ref: a new one, or the newest one when nothing changed since.  GT_ENO when ws is not a git workspace (nothing can
 * be kept), GT_EFAIL when git fails. */
int gt_snapshot_take(struct gt_buf *ref_out, const char *repo, const char *ws, const char *address,
		     const char *reason);

/* Snapshots in repo, of address (every agent when NULL), oldest first:
 * [{ref, agent, n, commit, parent, created_at, reason}]. */
int gt_snapshot_list(cJSON **out, const char *repo, const char *address);

/* Put the files of snapshot ref (a ref or a commit of repo) back into the
 * workspace ws: changed and untracked files as they were; the index and
 * HEAD are left alone.  GT_ENOTFOUND when there is no such snapshot. */
int gt_snapshot_restore(const char *repo, const char *ref, const char *ws);

/* Prune the snapshots of repo that keep nothing any more: older than
 * ttl_secs ("expired"), or no different from their parent commit while
 * that commit is on origin ("merged").  *pruned: [{ref, why}] (with dry,
 * what would go; nothing is deleted). */
int gt_snapshot_prune(cJSON **pruned, const char *repo, int64_t ttl_secs, int dry);
/* How long snapshots are kept unless snapshot.ttl says otherwise. */
#define GT_SNAPSHOT_TTL_MS (30LL * 86400 * 1000)

#endif
