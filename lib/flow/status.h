/*
 * status.h - the town on one screen (gt-status(1)): the same records the
 * other commands print, gathered in one read of the ledger tip and the
 * run files.
 */
#ifndef GT_STATUS_H
#define GT_STATUS_H

#include <cjson/cJSON.h>

#include "store/ops.h"
#include "town/town.h"

/* {town, root, deacon: {running, pid}, rigs: [{name, prefix, agents,
 * working}], agents: [{address, rig, role, state, hook, session_running,
 * last_activity, last_command, restarts, molecule, step}], estop: {town,
 * rigs, parked} (estop.h), merge_queue:
 * [gt_mq_list() records], convoys: [{id, title, done, total}],
 * escalations: [{id, severity, title, bead, count}]}. */
int gt_town_status(cJSON **out, struct gt_ctx *ctx, const struct gt_town *t);

#endif
