/*
 * witness.h - the rig's monitor: a deterministic patrol over its polecats
 * that notices dead, hung and crash-looping workers and recovers them, or
 * gives up, releases the work and escalates (gt-witness(1)).
 *
 * For each polecat of the rig, one patrol:
 *   - a record stuck in `spawning` (a sling that died) longer than
 *     rig.spawn-timeout (default 2m) is cleaned up: hooked ones become
 *     working (and are resumed below), others idle, or go when they have
 *     no workspace;
 *   - a hooked bead that is closed (or gone) is unhooked and the session
 *     stopped: finished work is never redone;
 *   - a hooked worker whose session or runtime process is gone is
 *     restarted on the same hook, with handoff notes;
 *   - a live one is sampled: a change of its screen, or a gt command it
 *     ran, is progress.  After rig.stall-after (default 15m) without
 *     progress it is nudged; after as long again, restarted;
 *   - more than rig.max-restarts (default 3) restarts within
 *     rig.restart-window (default 1h): the session is stopped, the bead
 *     released to ready work with metadata.attempts, and an escalation
 *     raised (once: deduplicated by agent and bead);
 *   - a session with no hook behind it (an idle polecat whose agent stayed
 *     open after gt-done, or a session without a record) is stopped.
 * Before a session is stopped or restarted its workspace is snapshotted
 * (snapshot.h).  What the witness knows between patrols lives in the run
 * files (heartbeat.h); a patrol that finds nothing to do writes nothing.
 * Crew members are their people's and are left alone.
 */
#ifndef GT_WITNESS_H
#define GT_WITNESS_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "store/ops.h"
#include "town/town.h"

/* One patrol of rig.  Each action is appended to *log (caller frees):
 * {agent, bead, action, reason, ...} with action one of nudged,
 * restarted, released, escalated, unhooked, stopped, spawn-cleaned.  Only
 * one patrol of a rig runs at a time (a lock in the run directory). */
int gt_witness_patrol(cJSON **log, struct gt_ctx *ctx, const struct gt_town *t, const char *rig);

/* Give bead back to ready work from address (unhooked, status open,
 * metadata.attempts raised by attempts, a comment saying why). */
int gt_witness_release(struct gt_ctx *ctx, const char *address, const char *bead,
		       const char *reason, int64_t attempts);

#endif
