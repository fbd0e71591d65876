/*
 * estop.h - stopping a town or a rig without losing anything: the e-stop
 * (gt-estop(1), gt-thaw(1)) and parking a rig (gt-rig-park(1)).
 *
 * The e-stop is the file `estop.json` in the ledger: {"town": STOP or
 * absent, "rigs": {RIG: STOP}} with STOP = {by, at, reason}.  While it is
 * in force for a rig (or the whole town) no bead is slung there, the
 * refinery takes no request there, the witness leaves it alone, and its
 * workers' sessions are stopped, each workspace snapshotted first
 * (snapshot.h); hooks and workspaces stay as they were.  Thawing starts
 * the sessions of the workers still hooked again.  (Freezing the
 * processes with SIGSTOP does not hold: tmux resumes a pane whose program
 * stops.)  A parked rig (`parked` = STOP in its rig record) takes no new
 * work and is not refined or fed, but its running workers go on.
 */
#ifndef GT_ESTOP_H
#define GT_ESTOP_H

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "store/ops.h"
#include "town/town.h"

/* Put the e-stop in force (on) or lift it (!on) for rig (NULL: the whole
 * town), with reason, and stop (or start again) the sessions it covers.
 * *sessions (if given) gets the names of the sessions stopped or started;
 * *changed whether the ledger changed (it was not in force already). */
int gt_estop(cJSON **sessions, int *changed, struct gt_ctx *ctx, const struct gt_town *t,
	     const char *rig, const char *reason, int on);

/* Park (on) or unpark a rig. */
int gt_rig_park(int *changed, struct gt_ctx *ctx, const char *rig, const char *reason, int on);

/* Whether rig takes no new work now: 1 when an e-stop covers it (*why
 * says whose and why) or 2 when it is parked; 0 otherwise.  estopped_only:
 * ask about the e-stop alone. */
int gt_rig_paused(struct gt_ctx *ctx, const char *rig, int estopped_only, struct gt_buf *why);

/* The e-stop as it is: {town, rigs} (see above), and parked: [rig...]. */
int gt_estop_state(cJSON **out, struct gt_ctx *ctx);

#endif
