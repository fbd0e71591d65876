/*
 * deacon.h - the town's patrol (gt-deacon(1)), and keeping one deacon
 * running (gt-up(1), gt-down(1)).
 *
 * One patrol: the witness of every rig (witness.h); for each rig with a
 * ready merge request (or one a run left unfinished, which the refinery
 * recovers), the refinery, run as a child process
 * (`gt-refinery --once RIG`) so that a crash in it never takes the
 * deacon down: a child that dies or fails is tried again after a backoff
 * that doubles (5s, 10s, ... 10m), and after three failures in a row an
 * escalation is raised; when the ledger changed since the last patrol,
 * convoy checks (landing) and feeding, beads queued at capacity
 * (gt_sling_dispatch()), and `gt-maintain --no-verify`
 * when more than maintain.loose-threshold loose objects piled up;
 * escalations due again (escalation.h); once an hour, wisp messages
 * older than wisp.ttl (default 7d) are removed and snapshots that keep
 * nothing any more are pruned (snapshot.ttl, default 30d).  A patrol that finds nothing to
 * do changes nothing.
 *
 * One deacon per town: a running deacon holds the lock
 * <git-common-dir>/gt/run/deacon.lock and writes its pid to
 * run/deacon.pid; the kernel drops the lock when it dies, however it
 * dies, so gt-up can always tell whether one runs.
 */
#ifndef GT_DEACON_H
#define GT_DEACON_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "store/ops.h"
#include "town/town.h"

/* What a deacon remembers between patrols. */
struct gt_deacon {
	char tip[41];	    /* the ledger tip the last patrol saw ("" before) */
	int own_actor;	    /* act as <rig>/witness in witness patrols, else deacon */
	int64_t expired_at; /* when wisps were last expired (seconds) */
	struct gt_deacon_child {
		char *rig;
		int failures;
		int64_t next_try; /* seconds */
		int escalated;
	} * children;
	size_t nchildren, achildren;
};

void gt_deacon_release(struct gt_deacon *d);

/* One patrol; each action is appended to *log (caller frees). */
int gt_deacon_patrol(cJSON **log, struct gt_ctx *ctx, const struct gt_town *t, struct gt_deacon *d);

/* Become the town's deacon: take the lock and write the pid file.  *fd
 * holds the lock (keep it open).  GT_ECONFLICT naming the pid when
 * another deacon runs. */
int gt_deacon_lock(int *fd, struct gt_ctx *ctx);

/* Give the deacon's lock back, its pid file removed first. */
void gt_deacon_unlock(int fd, struct gt_ctx *ctx);

/* The pid of the running deacon, 0 when none runs, -1 when one holds the
 * lock but its pid is not known yet. */
long gt_deacon_running(struct gt_ctx *ctx);

/* Start `gt-deacon --watch` detached (its own session, output appended to
 * run/deacon.log) and wait until it holds the lock.  extra: more
 * arguments for it (NULL-terminated, may be NULL).  *pid gets its pid;
 * when one already runs, that one's pid and *started 0. */
int gt_deacon_start(long *pid, int *started, struct gt_ctx *ctx, const struct gt_town *t,
		    const char *const *extra);

/* Stop the running deacon (SIGTERM to its process group, SIGKILL after
 * grace_ms) and wait until the lock is free.  *pid gets the one stopped,
 * 0 when none ran. */
int gt_deacon_stop(long *pid, struct gt_ctx *ctx, long grace_ms);

#endif
