/*
 * depgraph.c - the graphs gt-graph draws (depgraph.h).
 *
 * Beads, epics and convoys are walked in the query index (edges both
 * ways, no bead parsed), breadth first so the nearest beads are the ones
 * kept when the walk reaches max_nodes; only the beads kept are then read
 * for their titles.  Molecules come from gt_mol_status().
 */
#include "flow/depgraph.h"

#include <stdlib.h>
#include <string.h>

#include "base/dot.h"
#include "base/error.h"
#include "base/json.h"
#include "base/map.h"
#include "base/sort.h"
#include "flow/molecule.h"
#include "store/bead.h"
#include "store/ledger.h"
#include "base/banned.h"

struct node {
	char *id;
	uint32_t rec; /* GT_IREF_NONE: not in the ledger */
};

struct walk {
	const struct gt_index *idx;
	struct node *v;
	size_t n, alloc, max;
	struct gt_map seen; /* id -> node index + 1 */
	int truncated;
};

/* The node of id, added when new and there is room: its index, or -1. */
static long add(struct walk *w, uint32_t rec, const char *id)
{
	void *got = gt_map_get(&w->seen, id);

	if (got)
		return (long)(uintptr_t)got - 1;
	if (w->n >= w->max) {
		w->truncated = 1;
		return -1;
	}
	GT_ALLOC_GROW(w->v, w->n + 1, w->alloc);
	w->v[w->n].id = gt_strdup(id);
	w->v[w->n].rec = rec;
	gt_map_put(&w->seen, w->v[w->n].id, (void *)(uintptr_t)(w->n + 1));
	return (long)w->n++;
}

/* Which edges a walk follows. */
enum { ANY, ONLY_PARENT, NOT_PARENT, ONLY_TRACKS };

static int edge_ok(const struct gt_index *idx, const struct gt_iedge *e, int which)
{
	const char *t = gt_index_vocab(idx, e->type);

	switch (which) {
	case ONLY_PARENT: return !strcmp(t, "parent-child");
	case NOT_PARENT: return strcmp(t, "parent-child") != 0;
	case ONLY_TRACKS: return !strcmp(t, "tracks");
	}
	return 1;
}

struct step {
	uint32_t rec;
	int depth;
};

struct queue {
	struct step *v;
	size_t n, alloc;
	struct gt_map seen; /* this walk's: id -> 1 */
};

static void enqueue(struct queue *q, struct walk *w, uint32_t rec, const char *id, int depth)
{
	if (gt_map_get(&q->seen, id) || add(w, rec, id) < 0)
		return;
	/* the key lives in the walk's node, which outlives the queue */
	gt_map_put(&q->seen, w->v[(uintptr_t)gt_map_get(&w->seen, id) - 1].id, (void *)1);
	if (rec == GT_IREF_NONE)
		return;
	GT_ALLOC_GROW(q->v, q->n + 1, q->alloc);
	q->v[q->n++] = (struct step){ rec, depth };
}

struct dependents {
	const struct gt_index *idx;
	uint32_t rec;
	int which;
	uint32_t *v;
	size_t n, alloc;
};

static int collect_dependent(uint32_t src, void *arg)
{
	struct dependents *d = arg;
	const struct gt_irec *r = &d->idx->recs[src];

	for (uint32_t k = 0; k < r->nedges; k++) {
		const struct gt_iedge *e = &d->idx->edges[r->edges + k];

		/* a bead with two edges to rec comes twice: enqueue() keeps one */
		if (gt_index_ref(d->idx, e->target) == d->rec && edge_ok(d->idx, e, d->which)) {
			GT_ALLOC_GROW(d->v, d->n + 1, d->alloc);
			d->v[d->n++] = src;
			return 0;
		}
	}
	return 0;
}

struct by_id {
	const struct gt_index *idx;
	const uint32_t *v;
};

static int id_less(uint32_t a, uint32_t b, void *p)
{
	const struct by_id *c = p;

	return strcmp(gt_index_id(c->idx, c->v[a]), gt_index_id(c->idx, c->v[b])) < 0;
}

/* Breadth first from root: along its edges (up: what it depends on) or
 * against them (down: what depends on it), depth steps at most (< 0: no
 * limit), following the edges which allows. */
static void walk(struct walk *w, uint32_t root, int down, int depth, int which)
{
	const struct gt_index *idx = w->idx;
	struct queue q = { 0 };

	enqueue(&q, w, root, gt_index_id(idx, root), 0);
	for (size_t i = 0; i < q.n; i++) {
		struct step s = q.v[i];
		const struct gt_irec *r = &idx->recs[s.rec];

		/* full: what is left to walk adds no bead (emit_walk() still
		 * draws every edge among the ones found) */
		if (w->n >= w->max)
			break;
		if (depth >= 0 && s.depth >= depth)
			continue;
		if (!down) {
			for (uint32_t k = 0; k < r->nedges; k++) {
				const struct gt_iedge *e = &idx->edges[r->edges + k];

				if (edge_ok(idx, e, which))
					enqueue(&q, w, gt_index_ref(idx, e->target),
						gt_index_str(idx, e->target_id), s.depth + 1);
			}
		} else {
			struct dependents d = { idx, s.rec, which, NULL, 0, 0 };
			struct by_id c;
			uint32_t *order;

			gt_index_each_dependent(idx, s.rec, collect_dependent, &d);
			/* in id order, so a truncated graph is the same each time */
			c = (struct by_id){ idx, d.v };
			order = gt_sort_index(d.n, id_less, &c);
			for (size_t k = 0; k < d.n; k++)
				enqueue(&q, w, d.v[order[k]], gt_index_id(idx, d.v[order[k]]),
					s.depth + 1);
			free(order);
			free(d.v);
		}
	}
	free(q.v);
	gt_map_release(&q.seen);
}

static int is_current(const char *status)
{
	return !strcmp(status, "in_progress") || !strcmp(status, "hooked");
}

static cJSON *node_json(const char *id, const char *title, const char *status, const char *type,
			const char *assignee, int current, int root)
{
	cJSON *n = cJSON_CreateObject();

	gt_json_set_str(n, "id", id);
	gt_json_set_str(n, "title", title ? title : "");
	gt_json_set_str(n, "status", status);
	gt_json_set_str(n, "type", type);
	gt_json_set(n, "assignee",
		    assignee && *assignee ? cJSON_CreateString(assignee) : cJSON_CreateNull());
	gt_json_set_bool(n, "current", current);
	gt_json_set_bool(n, "root", root);
	return n;
}

static cJSON *edge_json(const char *from, const char *to, const char *type)
{
	cJSON *e = cJSON_CreateObject();

	gt_json_set_str(e, "from", from);
	gt_json_set_str(e, "to", to);
	gt_json_set_str(e, "type", type);
	return e;
}

/* The nodes (read from the ledger for their titles) and the edges among
 * them, into g. */
static int emit_walk(cJSON *g, struct gt_ctx *ctx, struct walk *w)
{
	const struct gt_index *idx = w->idx;
	cJSON *nodes = cJSON_CreateArray(), *edges = cJSON_CreateArray();
	int rc = 0;

	gt_json_set(g, "nodes", nodes);
	gt_json_set(g, "edges", edges);
	for (size_t i = 0; i < w->n && rc == 0; i++) {
		struct node *nd = &w->v[i];
		cJSON *b = NULL;

		if (nd->rec == GT_IREF_NONE) {
			cJSON_AddItemToArray(
				nodes,
				node_json(nd->id, "",
					  strncmp(nd->id, "external:", 9) ? "missing" : "external",
					  "", NULL, 0, i == 0));
			continue;
		}
		if ((rc = gt_ledger_read_bead_blob(&b, ctx->lg, gt_index_oid(idx, nd->rec),
						   nd->id)) < 0)
			break;
		cJSON_AddItemToArray(nodes,
				     node_json(nd->id, gt_json_str(b, "title"), gt_bead_status(b),
					       gt_bead_type(b), gt_json_str(b, "assignee"),
					       is_current(gt_bead_status(b)), i == 0));
		if (i == 0)
			gt_json_set_str(g, "title",
					gt_json_str(b, "title") ? gt_json_str(b, "title") : "");
		cJSON_Delete(b);
	}
	for (size_t i = 0; i < w->n && rc == 0; i++) {
		const struct gt_irec *r;

		if (w->v[i].rec == GT_IREF_NONE)
			continue;
		r = &idx->recs[w->v[i].rec];
		for (uint32_t k = 0; k < r->nedges; k++) {
			const struct gt_iedge *e = &idx->edges[r->edges + k];
			const char *to = gt_index_str(idx, e->target_id);

			if (gt_map_get(&w->seen, to))
				cJSON_AddItemToArray(
					edges,
					edge_json(w->v[i].id, to, gt_index_vocab(idx, e->type)));
		}
	}
	return rc;
}

static int build_walked(cJSON *g, struct gt_ctx *ctx, const struct gt_index *idx, uint32_t root,
			const char *kind, int depth, long max)
{
	struct walk w = { .idx = idx, .max = (size_t)max };
	int rc;

	add(&w, root, gt_index_id(idx, root));
	if (!strcmp(kind, "convoy")) {
		walk(&w, root, 0, 1, ONLY_TRACKS);
	} else if (!strcmp(kind, "epic")) {
		size_t inside;

		walk(&w, root, 1, depth, ONLY_PARENT);
		/* one step out of the epic and its children, either way */
		inside = w.n;
		for (size_t i = 0; i < inside; i++) {
			walk(&w, w.v[i].rec, 0, 1, NOT_PARENT);
			walk(&w, w.v[i].rec, 1, 1, NOT_PARENT);
		}
	} else {
		walk(&w, root, 0, depth, ANY);
		walk(&w, root, 1, depth, ANY);
	}
	gt_json_set_bool(g, "truncated", w.truncated);
	rc = emit_walk(g, ctx, &w);
	for (size_t i = 0; i < w.n; i++)
		free(w.v[i].id);
	free(w.v);
	gt_map_release(&w.seen);
	return rc;
}

/* ---- molecules ---- */

static const char *step_status(const char *state)
{
	if (!state)
		return "open";
	return !strcmp(state, "done")	   ? "closed"
	       : !strcmp(state, "current") ? "in_progress"
	       : !strcmp(state, "blocked") ? "blocked"
					   : "open";
}

static int build_molecule(cJSON *g, struct gt_ctx *ctx, const char *id, long max)
{
	cJSON *st = NULL, *nodes, *edges, *steps, *s, *need;
	struct gt_map step_ids = GT_MAP_INIT; /* step id -> its node id */
	long n = 0;
	int rc;

	if ((rc = gt_mol_status(&st, ctx, id)) < 0)
		return rc;
	gt_json_set_str(g, "title", gt_json_str(st, "title") ? gt_json_str(st, "title") : "");
	nodes = cJSON_CreateArray();
	edges = cJSON_CreateArray();
	gt_json_set(g, "nodes", nodes);
	gt_json_set(g, "edges", edges);
	steps = cJSON_GetObjectItemCaseSensitive(st, "steps");
	cJSON_ArrayForEach (s, steps) {
		const char *sid = gt_json_str(s, "id"), *bead = gt_json_str(s, "bead");
		const char *state = gt_json_str(s, "state");
		cJSON *nd;

		if (!sid)
			continue;
		if (n++ >= max) {
			gt_json_set_bool(g, "truncated", 1);
			break;
		}
		nd = node_json(bead ? bead : sid, gt_json_str(s, "title"), step_status(state),
			       gt_json_str(s, "kind") ? gt_json_str(s, "kind") : "step", NULL,
			       state && !strcmp(state, "current"), 0);
		gt_json_set_str(nd, "state", state ? state : "ready");
		gt_json_set_str(nd, "step", sid);
		cJSON_AddItemToArray(nodes, nd);
		gt_map_put(&step_ids, sid, (void *)gt_json_str(nd, "id"));
	}
	cJSON_ArrayForEach (s, steps) {
		const char *from =
			gt_map_get(&step_ids, gt_json_str(s, "id") ? gt_json_str(s, "id") : "");

		cJSON_ArrayForEach (need, cJSON_GetObjectItemCaseSensitive(s, "needs")) {
			const char *to = cJSON_IsString(need)
						 ? gt_map_get(&step_ids, need->valuestring)
						 : NULL;

			if (from && to)
				cJSON_AddItemToArray(edges, edge_json(from, to, "needs"));
		}
	}
	if (!cJSON_GetObjectItemCaseSensitive(g, "truncated"))
		gt_json_set_bool(g, "truncated", 0);
	gt_map_release(&step_ids);
	cJSON_Delete(st);
	return 0;
}

int gt_depgraph_build(cJSON **out, struct gt_ctx *ctx, struct gt_index **idx, const char *id,
		      const struct gt_depgraph_opts *o)
{
	static const struct gt_depgraph_opts defaults = { GT_DEPGRAPH_DEPTH, 0, NULL };
	int depth, rc;
	long max;
	uint32_t root = GT_IREF_NONE;
	const char *kind;
	cJSON *g;

	*out = NULL;
	if (!o)
		o = &defaults;
	depth = o->depth;
	max = o->max_nodes > 0 ? o->max_nodes : GT_DEPGRAPH_MAX_NODES;
	if (o->kind && strcmp(o->kind, "bead") && strcmp(o->kind, "epic") &&
	    strcmp(o->kind, "convoy") && strcmp(o->kind, "molecule"))
		return gt_error_set(GT_EUSAGE, "unknown kind of graph '%s'", o->kind);
	if (!*idx && (rc = gt_index_open(idx, ctx->lg, NULL)) < 0)
		return rc;
	root = gt_index_find(*idx, id);
	if (root != GT_IREF_NONE) {
		kind = gt_index_vocab(*idx, (*idx)->recs[root].type);
		if (strcmp(kind, "epic") && strcmp(kind, "convoy") && strcmp(kind, "molecule"))
			kind = "bead";
	} else if (gt_mol_is_wisp(id)) {
		kind = "molecule"; /* in refs/gt/wisps, not the ledger */
	} else {
		return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);
	}
	if (o->kind) {
		if (!strcmp(o->kind, "molecule") != !strcmp(kind, "molecule"))
			return gt_error_set(GT_EUSAGE, "'%s' is not a %s", id,
					    !strcmp(o->kind, "molecule") ? "molecule"
									 : "ledger bead");
		kind = o->kind;
	}
	g = cJSON_CreateObject();
	gt_json_set_str(g, "id", id);
	gt_json_set_str(g, "kind", kind);
	gt_json_set_str(g, "title", "");
	gt_json_set_int(g, "depth", depth);
	if (!strcmp(kind, "molecule"))
		rc = build_molecule(g, ctx, id, max);
	else
		rc = build_walked(g, ctx, *idx, root, kind, depth, max);
	if (rc < 0) {
		cJSON_Delete(g);
		return rc;
	}
	*out = g;
	return 0;
}

/* ---- DOT ---- */

/* Status colours, in the legend's order; any other status is white. */
static const struct {
	const char *status, *color;
} colors[] = {
	{ "open", "lightblue" },    { "in_progress", "gold" },	 { "hooked", "orange" },
	{ "blocked", "lightpink" }, { "deferred", "lightgray" }, { "pinned", "plum" },
	{ "closed", "palegreen" },  { "tombstone", "gray" },	 { "missing", "white" },
	{ "external", "white" },
};

static const char *color_of(const char *status)
{
	for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
		if (!strcmp(colors[i].status, status))
			return colors[i].color;
	return "white";
}

static const char *str(const cJSON *o, const char *key)
{
	const char *s = gt_json_str(o, key);

	return s ? s : "";
}

static void dot_node(struct gt_buf *out, const cJSON *n)
{
	struct gt_buf label = GT_BUF_INIT;
	const char *status = str(n, "status");

	gt_buf_printf(&label, "%s%s%s", str(n, "id"), *str(n, "title") ? "\n" : "",
		      str(n, "title"));
	gt_buf_addch(out, '\t');
	gt_dot_quote(out, str(n, "id"));
	gt_buf_adds(out, " [label=");
	gt_dot_quote(out, label.ptr);
	gt_buf_adds(out, ", tooltip=");
	gt_buf_reset(&label);
	gt_buf_printf(&label, "%s%s%s%s%s%s", status, *str(n, "type") ? " (" : "", str(n, "type"),
		      *str(n, "type") ? ")" : "", gt_json_str(n, "assignee") ? ", " : "",
		      str(n, "assignee"));
	gt_dot_quote(out, label.ptr);
	gt_buf_printf(out, ", fillcolor=%s", color_of(status));
	if (!strcmp(status, "missing") || !strcmp(status, "external"))
		gt_buf_adds(out, ", style=\"rounded,dashed\"");
	if (gt_json_bool(n, "current"))
		gt_buf_adds(out, ", color=red, penwidth=3");
	if (gt_json_bool(n, "root"))
		gt_buf_adds(out, ", peripheries=2");
	gt_buf_adds(out, "];\n");
	gt_buf_release(&label);
}

/* An arrow from what is depended on to what depends on it. */
static void dot_edge(struct gt_buf *out, const cJSON *e)
{
	const char *type = str(e, "type");

	gt_buf_addch(out, '\t');
	gt_dot_quote(out, str(e, "to"));
	gt_buf_adds(out, " -> ");
	gt_dot_quote(out, str(e, "from"));
	if (!strcmp(type, "blocks") || !strcmp(type, "needs")) {
		gt_buf_adds(out, ";\n");
		return;
	}
	gt_buf_adds(out, " [label=");
	gt_dot_quote(out, type);
	if (!strcmp(type, "parent-child"))
		gt_buf_adds(out, ", style=dashed");
	else if (!strcmp(type, "conditional-blocks") || !strcmp(type, "waits-for"))
		gt_buf_adds(out, ", style=bold");
	else
		gt_buf_adds(out, ", style=dotted, color=gray40");
	gt_buf_adds(out, "];\n");
}

static int shows(const cJSON *nodes, const char *status)
{
	const cJSON *n;

	cJSON_ArrayForEach (n, nodes)
		if (!strcmp(str(n, "status"), status))
			return 1;
	return 0;
}

/* The legend: one box per status shown (the known ones in order, then
 * the others as they come), and the outline of current work. */
static void dot_legend(struct gt_buf *out, const cJSON *nodes)
{
	struct gt_map done = GT_MAP_INIT;
	const cJSON *n;
	int current = 0;

	gt_buf_adds(out, "\tsubgraph cluster_legend {\n\t\tlabel=\"legend\";\n"
			 "\t\tstyle=dashed;\n\t\tfontsize=10;\n\t\tnode [fontsize=10];\n");
	for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++) {
		if (!shows(nodes, colors[i].status))
			continue;
		gt_map_put(&done, colors[i].status, (void *)1);
		gt_buf_printf(out, "\t\t\"legend: %s\" [label=\"%s\", fillcolor=%s%s];\n",
			      colors[i].status, colors[i].status, colors[i].color,
			      !strcmp(colors[i].status, "missing") ||
					      !strcmp(colors[i].status, "external")
				      ? ", style=\"rounded,dashed\""
				      : "");
	}
	cJSON_ArrayForEach (n, nodes) {
		const char *status = str(n, "status");
		struct gt_buf name = GT_BUF_INIT;

		current |= gt_json_bool(n, "current");
		if (gt_map_get(&done, status))
			continue;
		gt_map_put(&done, status, (void *)1);
		gt_buf_printf(&name, "legend: %s", status);
		gt_buf_adds(out, "\t\t");
		gt_dot_quote(out, name.ptr);
		gt_buf_adds(out, " [label=");
		gt_dot_quote(out, status);
		gt_buf_adds(out, ", fillcolor=white];\n");
		gt_buf_release(&name);
	}
	if (current)
		gt_buf_adds(out, "\t\t\"legend: current\" [label=\"current work\", "
				 "fillcolor=white, color=red, penwidth=3];\n");
	gt_buf_adds(out, "\t}\n");
	gt_map_release(&done);
}

void gt_depgraph_dot(struct gt_buf *out, const cJSON *g)
{
	const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(g, "nodes");
	const cJSON *n;
	struct gt_buf title = GT_BUF_INIT;

	gt_buf_printf(&title, "%s %s: %s%s", str(g, "kind"), str(g, "id"), str(g, "title"),
		      gt_json_bool(g, "truncated") ? " (truncated)" : "");
	gt_buf_adds(out, "digraph ");
	gt_dot_quote(out, str(g, "id"));
	gt_buf_adds(out, " {\n\tgraph [rankdir=TB, labelloc=t, fontname=\"Helvetica\", label=");
	gt_dot_quote(out, title.ptr);
	gt_buf_adds(out,
		    "];\n\tnode [shape=box, style=\"rounded,filled\", fillcolor=white, "
		    "fontname=\"Helvetica\"];\n\tedge [fontname=\"Helvetica\", fontsize=9];\n");
	cJSON_ArrayForEach (n, nodes)
		dot_node(out, n);
	cJSON_ArrayForEach (n, cJSON_GetObjectItemCaseSensitive(g, "edges"))
		dot_edge(out, n);
	dot_legend(out, nodes);
	gt_buf_adds(out, "}\n");
	gt_buf_release(&title);
}
