/*
 * convoy.h - batches of work that land together.
 *
 * A convoy is a bead of type convoy (id prefix hq-cv) that
 * depends on each bead it tracks with an edge of type `tracks` (which
 * never blocks), so one convoy tracks beads of any rig.  metadata.notify
 * lists the addresses mailed when it lands; metadata.owner who made it.
 * It lands (closes) when every tracked bead is closed: the check runs in
 * one transaction, so concurrent checks land it exactly once and its
 * watchers get one mail each.  Feeding slings the convoy's ready tracked
 * beads (dependencies respected, priority then id) to the rig their id
 * prefix names, while that rig has fewer busy polecats than its setting
 * max-workers (default 3).
 */
#ifndef GT_CONVOY_H
#define GT_CONVOY_H

#include <cjson/cJSON.h>

#include "store/ops.h"
#include "town/town.h"

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
/* Work slung on its own gets a convoy of its own, so every piece of work
 * lands somewhere: after gt_sling() of beads (n of them, results[i] the
 * sling's result for beads[i]), those no open convoy tracks go into one
 * new convoy, named name (NULL: "Work: TITLE" for one bead, "Batch of N
 * beads" for more); each result's "convoy" gets the id of a convoy
 * tracking its bead.  Best effort: the slings have happened. */
void gt_convoy_auto(struct gt_ctx *ctx, const char *name, const char *const *beads, size_t n,
		    cJSON *const *results);

#endif
