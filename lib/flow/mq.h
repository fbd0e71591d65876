/*
 * mq.h - the merge queue: merge requests in the order the refinery takes them.
 *
 * Merge requests are the beads gt-done files (type merge-request,
 * metadata branch commit target source_bead rig worker).  The queue orders
 * the open ones by score, higher first:
 *   1000 + 100 * (4 - priority) + 10 * hours since the oldest open convoy
 *   tracking the source bead was made + 1 * hours the request has waited
 *   - min(50 * retries, 300)
 * so priority leads, old convoys and old requests climb, and a request
 * that failed waits behind fresh ones without starving.
 */
#ifndef GT_MQ_H
#define GT_MQ_H

#include <cjson/cJSON.h>

#include "store/ops.h"
#include "town/town.h"

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

#endif
