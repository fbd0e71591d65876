/*
 * sling.h - putting a bead on an agent's hook and starting it.
 *
 * Sling, in this order (DESIGN.md, "the startup contract"):
 *   1. allocate: one transaction picks an idle polecat of the rig or a free
 *      pool name and writes its record (state spawning);
 *   2. workspace: create it (or point the idle polecat's at a new branch);
 *   3. hook: one transaction hooks the bead on the agent (durable);
 *   4. session: start the runtime in tmux.
 * A failure at any step undoes the earlier ones, newest first, and leaves
 * the bead exactly as it was (status and assignee).
 */
#ifndef GT_SLING_H
#define GT_SLING_H

#include <cjson/cJSON.h>

#include "base/options.h"
#include "base/progress.h"
#include "store/ops.h"
#include "town/town.h"

struct gt_sling_opts {
	const char *target;  /* rig, agent address, or NULL for self */
	const char *runtime; /* --agent */
	const char *args;    /* --args */
	int force, dry_run, no_start;
	/* the molecule: formula (default: the rig's `formula` setting, else
	 * mol-polecat-work; "none" for none), unless no_formula; vars are
	 * NAME=VALUE strings added to the ones sling knows */
	const char *formula;
	int no_formula;
	const struct gt_strlist *vars;
	/* gt_sling_batch(): told of each bead whose sling has ended (NULL:
	 * no one) */
	const struct gt_progress *progress;
};

/* Sling one bead; *result describes what happened (or, with dry_run,
 * the plan).  Caller frees *result.  A rig at capacity (rig.max-workers
 * per rig, town.max-workers for the whole town, each when set) takes no
 * new worker: the bead is queued instead (label `queued`,
 * metadata.queued = {rig, at, by, runtime, args, formula}) and *result's
 * action is "queued". */
int gt_sling(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t, const char *bead,
	     const struct gt_sling_opts *o);

/* Sling n beads to o->target, each on its own: results[i] (caller
 * frees each) is beads[i]'s result as gt_sling() gives it, or, when its
 * sling failed and was undone, {bead, action "error", agent "", error,
 * hint (when there is one), exit (the exit status of gt(7))}.  Returns
 * 0, or the first failure's code (in input order, its message the last
 * error).
 *
 * To a rig, the beads are allocated here one by one in input order (so
 * names, reuse and capacity come out as slung one after another), the
 * upstream is fetched once, and up to jobs worker processes make the
 * workspaces, hook the beads and start the sessions at once; a worker
 * whose session runs and only waits for its start check takes no slot.
 * jobs <= 0: the configuration's sling.jobs, else two per processor, at
 * most GT_SLING_JOBS_MAX.  With 1, a dry run, an agent target or one
 * bead: in this process, one after the other. */
#define GT_SLING_JOBS_MAX 8
int gt_sling_batch(cJSON **results, struct gt_ctx *ctx, const struct gt_town *t,
		   const char *const *beads, size_t n, const struct gt_sling_opts *o, long jobs);

/* Sling queued beads, highest priority first, to rigs that have room
 * now.  *slung: [{bead, rig, agent}] or {bead, rig, error} (caller
 * frees). */
int gt_sling_dispatch(cJSON **slung, struct gt_ctx *ctx, const struct gt_town *t);

#endif
