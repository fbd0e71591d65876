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

#endif
