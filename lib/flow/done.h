/*
 * done.h - a worker's turn from the inside: what it sees first (prime),
 * how it ends (done), and notes for the session after it (handoff).
 *
 * Done, step by step, each recorded in the agent's metadata.done so a
 * second run resumes: safety-net commit, refuse COMPLETED without commits,
 * push and verify, then one transaction that writes the merge-request bead
 * (keyed by branch and commit: no duplicates; an older one of the same
 * bead is superseded), clears the hook and sets the agent idle.
 */
#ifndef GT_DONE_H
#define GT_DONE_H

#include <cjson/cJSON.h>

#include "store/ops.h"
#include "town/town.h"

/* What gt-prime shows, as one JSON object: agent, bead (or null), args,
 * handoff notes, unread mail, queued nudges, procedure. */
int gt_prime(cJSON **out, struct gt_ctx *ctx, const struct gt_town *t, const cJSON *agent);

struct gt_done_opts {
	const char *status; /* COMPLETED (default), ESCALATED, DEFERRED */
	const char *notes;  /* -m */
};

int gt_done(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t, const char *address,
	    const struct gt_done_opts *o);

/* Write handoff notes to the agent's record (delivered by gt-prime). */
int gt_handoff_note(struct gt_ctx *ctx, const char *address, const char *notes);

#endif
