/*
 * usage.h - what each agent run cost, recorded and summed.
 *
 * A run is one agent process (or one structured session) working for an
 * agent, from start to exit.  Its record goes on the bead it worked on, in
 * metadata.runs (a list, oldest first), in one transaction when the run
 * ends; a run with no bead (a mayor, an idle crew member) goes on the
 * agent's record, in runs.  The bead is where a person and `bd` look, the
 * record travels with the bead through export and sync, and no second
 * store is needed (gt-ledger(5)).  A record:
 *   {run, agent, runtime, mode, started_at, ended_at, duration_ms, turns,
 *    tokens_in, tokens_out, cache_read, cache_write, cost_usd (only when
 *    the runtime reports it), exit, session (the CLI's own, for resume)}
 */
#ifndef GT_USAGE_H
#define GT_USAGE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "store/ops.h"

struct gt_usage {
	int64_t tokens_in, tokens_out, cache_read, cache_write;
	double cost_usd; /* < 0: not reported */
	int64_t turns, duration_ms, runs;
};

void gt_usage_init(struct gt_usage *u);
/* Add b to a (a cost stays unknown only while every part is unknown). */
void gt_usage_add(struct gt_usage *a, const struct gt_usage *b);
/* The fields of a run record or a sum. */
void gt_usage_from_json(struct gt_usage *u, const cJSON *o);
/* Set u's fields on o (cost_usd only when known). */
void gt_usage_to_json(cJSON *o, const struct gt_usage *u);

/* Append the run record rec (copied) to bead's metadata.runs, or, when
 * bead is NULL or gone, to agent's record.  One transaction. */
int gt_usage_record(struct gt_ctx *ctx, const char *bead, const char *agent, const cJSON *rec);

/* The runs of a bead, a convoy (the beads it tracks), an agent or a rig
 * (the runs of its agents),
 * ended at or after since (RFC 3339, may be NULL), summed:
 *   {scope, id, runs, turns, tokens_in, tokens_out, cache_read,
 *    cache_write, cost_usd?, duration_ms, by_runtime: {NAME: {...}},
 *    beads: [{id, title, runs, tokens_in, ..}]}
 * scope is "bead", "convoy", "agent", "rig" or "town" (id NULL). */
int gt_usage_sum(cJSON **out, struct gt_ctx *ctx, const char *scope, const char *id,
		 const char *since);

#endif
