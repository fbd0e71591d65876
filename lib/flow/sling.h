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
};

/* Sling one bead; *result describes what happened (or, with dry_run,
 * the plan).  Caller frees *result.  A rig at capacity (rig.max-workers
 * per rig, town.max-workers for the whole town, each when set) takes no
 * new worker: the bead is queued instead (label `queued`,
 * metadata.queued = {rig, at, by, runtime, args, formula}) and *result's
 * action is "queued". */
int gt_sling(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t, const char *bead,
	     const struct gt_sling_opts *o);

/* Sling queued beads, highest priority first, to rigs that have room
 * now.  *slung: [{bead, rig, agent}] or {bead, rig, error} (caller
 * frees). */
int gt_sling_dispatch(cJSON **slung, struct gt_ctx *ctx, const struct gt_town *t);

#endif
