/*
 * doctor.h - named checks of a town's health (gt-doctor(1)), each saying
 * what it found and what --fix does about it.
 *
 * Checks, in order:
 *   ledger            the ledger verifies (gt-maintain's check); no fix
 *   config            configuration and rig settings parse; no fix
 *   runtimes          each runtime the rigs and agents use is on PATH; no fix
 *   upstreams         a local upstream that would refuse the refinery's
 *                     push (a non-bare repository with the target branch
 *                     checked out); no fix
 *   orphan-sessions   sessions named like a worker that no agent owns;
 *                     fix: stop them
 *   idle-sessions     polecat sessions with no hook behind them; fix: keep
 *                     the workspace as a snapshot, stop the session
 *   orphan-hooks      hooked, working polecats without a session (and no
 *                     e-stop); fix: start the session on the same hook
 *   stuck-spawning    records left `spawning` longer than
 *                     rig.spawn-timeout; fix: as the witness does
 *   orphan-workspaces folders under <rig>/polecats/ that no agent owns;
 *                     no fix (they may hold work: gt-snapshot-* or a person)
 *   orphan-branches   local polecat/... branches of a rig that no agent works
 *                     on; fix: delete those whose commits are all on origin
 *   snapshots         snapshots that keep nothing: older than snapshot.ttl
 *                     (default 30d), or no different from a commit that is
 *                     on origin; fix: prune them
 *   stale-requests    open merge requests whose bead is closed; no fix
 *   wisps             wisp messages past wisp.ttl; fix: expire them
 *   tmp-packs         leftover tmp_* files (interrupted pack writes) older
 *                     than an hour in the ledger's objects/pack; fix: remove
 * --fix does only what is safe: it never removes a workspace or anything
 * that may hold unsaved work.
 */
#ifndef GT_DOCTOR_H
#define GT_DOCTOR_H

#include <cjson/cJSON.h>

#include "store/ops.h"
#include "town/town.h"

/* Run every check (fixing what is safe when fix is set).  *out: one
 * object per check, in the order above: {check, ok, found: [strings],
 * fix: what --fix does (or null), fixed: [strings]}. */
int gt_doctor(cJSON **out, struct gt_ctx *ctx, const struct gt_town *t, int fix);

#endif
