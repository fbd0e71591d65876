/*
 * refinery.h - the deterministic merge-queue processor.
 *
 * The refinery takes the next ready request of a rig and
 * merges it: see gt-refinery(1).  Its progress is metadata.refinery on the
 * request (step, merged commit), written before each irreversible git
 * step, so a run that dies anywhere resumes without merging twice.
 */
#ifndef GT_REFINERY_H
#define GT_REFINERY_H

#include <cjson/cJSON.h>

#include "base/progress.h"
#include "store/ops.h"
#include "town/town.h"

struct gt_refinery_opts {
	const char *rig;
	int max;     /* stop after this many requests (0: until empty) */
	int no_feed; /* do not feed convoys after a merge */
	/* told after each request taken off the queue: how many so far (the
	 * total is not known: more may come); NULL: no one */
	const struct gt_progress *progress;
};
/* Process ready requests of the rig until none is left (or max).  Each
 * outcome is appended to *log: {mr,outcome,commit,...} where outcome is
 * merged, conflict, failed, refused or deferred. */
int gt_refinery_run(cJSON **log, struct gt_ctx *ctx, const struct gt_town *t,
		    const struct gt_refinery_opts *o);

#endif
