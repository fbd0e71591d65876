/*
 * depgraph.h - beads, epics, convoys and molecules as graphs (gt-graph).
 *
 * A graph is one JSON object, the same that `gt-graph --json` prints and
 * that DOT is drawn from:
 *
 *   {id, kind, title, depth, truncated,
 *    nodes: [{id, title, status, type, assignee, current, root}],
 *    edges: [{from, to, type}]}
 *
 * kind says what id is and so what the graph holds:
 *  - bead: its neighbourhood: what it depends on (blockers, its parent,
 *    related beads), transitively, and what depends on it (what it
 *    blocks, its children, convoys tracking it), each up to depth steps;
 *  - epic: its children (their children too, depth levels) and what is
 *    around them one step out: their blockers and what they block;
 *  - convoy: the beads it tracks;
 *  - molecule: its steps (gt_mol_status()), edges of type needs.
 * Between the beads found, every edge of the ledger is given.  An edge
 * {from, to, type} is a dependency as the ledger keeps it: from depends on
 * to (from is blocked by to, from is a child of to, from tracks to).  A
 * target that is not in the ledger is a node of status missing (or
 * external, for external: ids).  current is true for the work going on:
 * status in_progress or hooked (the current step of a molecule).  A
 * molecule's steps have the status closed (done), in_progress (current),
 * open (ready) or blocked, and their step state under "state"; a step's
 * id is its bead's when it has one, else the step's own id.
 *
 * Nodes come root first, then in the order they were found; edges by
 * their from node.  The walk stops at max_nodes beads (truncated: true),
 * so a graph stays drawable whatever the size of the ledger.
 */
#ifndef GT_DEPGRAPH_H
#define GT_DEPGRAPH_H

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "store/index.h"
#include "store/ops.h"

#define GT_DEPGRAPH_DEPTH     3
#define GT_DEPGRAPH_MAX_NODES 200

struct gt_depgraph_opts {
	int depth;	  /* steps out from the root (0: the root alone); < 0: no limit */
	long max_nodes;	  /* 0: GT_DEPGRAPH_MAX_NODES */
	const char *kind; /* force a kind ("bead" draws an epic's neighbourhood); NULL: by type */
};

/* The graph of the bead, epic, convoy or molecule id (exact; molecules
 * may be wisps); o NULL: GT_DEPGRAPH_DEPTH and GT_DEPGRAPH_MAX_NODES.  *idx is the query index, opened when NULL (the caller
 * frees it).  GT_ENOTFOUND when there is no such bead, GT_EUSAGE for an
 * unknown kind.  *out is the caller's. */
int gt_depgraph_build(cJSON **out, struct gt_ctx *ctx, struct gt_index **idx, const char *id,
		      const struct gt_depgraph_opts *o);

/* Append g as Graphviz DOT: a node per bead labelled with its id and
 * title and filled by status, the current work outlined in red, the root
 * with a double border, an arrow from each dependency to what depends on
 * it, and a legend cluster of the statuses shown.  Every string is quoted
 * with gt_dot_quote(). */
void gt_depgraph_dot(struct gt_buf *out, const cJSON *g);

#endif
