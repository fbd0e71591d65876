/*
 * flow.h - how finished work flows back: convoys, the merge queue and the
 * refinery.
 *
 * Convoys.  A convoy is a bead of type convoy (id prefix hq-cv) that
 * depends on each bead it tracks with an edge of type `tracks` (which
 * never blocks), so one convoy tracks beads of any rig.  metadata.notify
 * lists the addresses mailed when it lands; metadata.owner who made it.
 * It lands (closes) when every tracked bead is closed: the check runs in
 * one transaction, so concurrent checks land it exactly once and its
 * watchers get one mail each.  Feeding slings the convoy's ready tracked
 * beads (dependencies respected, priority then id) to the rig their id
 * prefix names, while that rig has fewer busy polecats than its setting
 * max-workers (default 3).
 *
 * Merge requests are the beads gt-done files (type merge-request,
 * metadata branch commit target source_bead rig worker).  The queue orders
 * the open ones by score, higher first:
 *   1000 + 100 * (4 - priority) + 10 * hours since the oldest open convoy
 *   tracking the source bead was made + 1 * hours the request has waited
 *   - min(50 * retries, 300)
 * so priority leads, old convoys and old requests climb, and a request
 * that failed waits behind fresh ones without starving.
 *
 * The refinery (refinery.c) takes the next ready request of a rig and
 * merges it: see gt-refinery(1).  Its progress is metadata.refinery on the
 * request (step, merged commit), written before each irreversible git
 * step, so a run that dies anywhere resumes without merging twice.
 */
#ifndef GT_FLOW_H
#define GT_FLOW_H

#include <cjson/cJSON.h>

#include "ops.h"
#include "town.h"

/* ---- convoys ---- */

/* Create a convoy tracking beads (ids as typed are resolved); notify:
 * addresses to mail on landing (validated).  *id_out gets its id. */
int gt_convoy_create(struct gt_buf *id_out, struct gt_ctx *ctx, const char *name,
		     const char *const *beads, size_t nbeads, const char *const *notify,
		     size_t nnotify);
/* Track more beads (a landed convoy opens again). */
int gt_convoy_add(struct gt_ctx *ctx, const char *convoy, const char *const *beads, size_t n,
		  int *changed);
/* A convoy and its tracked beads: {id,title,status,done,total,beads:[{id,
 * title,status,assignee,rig}],notify}. */
int gt_convoy_status(cJSON **out, struct gt_ctx *ctx, const char *convoy);
/* Convoys (open only unless all), each as gt_convoy_status() gives. */
int gt_convoy_list(cJSON **out, struct gt_ctx *ctx, int all);
/* Ids of the open convoys that track bead (a JSON array). */
int gt_convoy_of(cJSON **out, struct gt_ctx *ctx, const char *bead);
/* For each bead an open convoy tracks, when the oldest such convoy was
 * made: a JSON object bead id -> created_at (the queue's convoy age). */
int gt_convoy_ages(cJSON **out, struct gt_ctx *ctx);
/* Land every open convoy (or just convoy) whose tracked beads are all
 * closed, mailing its watchers.  *landed: ids landed now (JSON array). */
int gt_convoy_check(cJSON **landed, struct gt_ctx *ctx, const char *convoy);
/* Land convoy now; refused while tracked beads are open unless force. */
int gt_convoy_land(struct gt_ctx *ctx, const char *convoy, int force, int *changed);
/* Open convoys with ready tracked work nobody is on, or with nothing
 * tracked: [{id,title,tracked,ready:[ids]}]. */
int gt_convoy_stranded(cJSON **out, struct gt_ctx *ctx);
/* Sling ready tracked beads of open convoys (or just convoy) within each
 * rig's max_workers.  *slung: [{bead,agent,convoy}] (caller frees). */
int gt_convoy_feed(cJSON **slung, struct gt_ctx *ctx, const struct gt_town *t, const char *convoy);
/* The rig whose prefix the bead id has (NULL when none; caller frees). */
char *gt_rig_of_bead(struct gt_ctx *ctx, const char *bead);

/* ---- the merge queue ---- */

/* Merge requests of rig (every rig when NULL), open ones only unless all,
 * ordered as above; each gets "score" and "queue" (ready, blocked, active,
 * failed, merged, closed). */
int gt_mq_list(cJSON **out, struct gt_ctx *ctx, const char *rig, int all);
/* The next ready request of rig, or GT_ENO when none. */
int gt_mq_next(cJSON **out, struct gt_ctx *ctx, const char *rig);
/* Close a request as rejected (reason required); its source bead goes back
 * to open and unassigned, with a comment; the worker is mailed. */
int gt_mq_reject(struct gt_ctx *ctx, const struct gt_town *t, const char *mr, const char *reason);
/* Put a failed or refused request back in the queue. */
int gt_mq_retry(struct gt_ctx *ctx, const char *mr, int *changed);

/* ---- the refinery ---- */

struct gt_refinery_opts {
	const char *rig;
	int max;     /* stop after this many requests (0: until empty) */
	int no_feed; /* do not feed convoys after a merge */
};
/* Process ready requests of the rig until none is left (or max).  Each
 * outcome is appended to *log: {mr,outcome,commit,...} where outcome is
 * merged, conflict, failed, refused or deferred. */
int gt_refinery_run(cJSON **log, struct gt_ctx *ctx, const struct gt_town *t,
		    const struct gt_refinery_opts *o);

#endif
