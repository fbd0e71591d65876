/*
 * proto.h - the structured protocols gt-run speaks (proto.c): Claude's
 * stream-json, Codex's exec --json, ACP, pi's RPC.
 */
#ifndef GT_RUN_PROTO_H
#define GT_RUN_PROTO_H

#include "town/runtime.h"
#include "run/io.h"

/* The protocol's operations; NULL for tty and openai (the runner's own). */
const struct gt_proto_ops *gt_proto_ops(enum gt_proto p);

/* Free r->ps, the state of the protocol r->ops that made it, and set it
 * NULL: before an attempt starts another protocol (a fallback runtime)
 * and when the run is over.  Each protocol's state is its own type. */
void gt_proto_release(struct gt_runner *r);

#endif
