/*
 * gt-bead-dep - dependencies between beads: add, rm, list, tree.
 *
 * "gt-bead-dep add A B" means A depends on B (B blocks A), as in Beads.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-dep add [-t TYPE] ID DEPENDS-ON",
	"gt-bead-dep rm ID DEPENDS-ON",
	"gt-bead-dep list [--up] [-t TYPE] ID",
	"gt-bead-dep tree [--up | --both] [--max-depth N] ID",
	"gt-bead-dep add|rm --stdin [--keep-going]",
	NULL,
};

struct dep {
	int add;
	const char *type;
	const char *target;
	struct gt_index **idx;
};

static int one(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const struct gt_record *rec,
	       void *p)
{
	struct dep *d = p;
	const char *target = d->target, *type = d->type;
	int changed;

	if (rec->json) {
		target = gt_json_str(rec->json, "depends_on_id");
		if (gt_json_str(rec->json, "type"))
			type = gt_json_str(rec->json, "type");
	}
	if (!target)
		return gt_error_set(GT_EINVALID, "stdin: line %ld: no \"depends_on_id\"",
				    rec->line);
	return d->add ? gt_op_dep_add(tx, ctx, id, target, type, &changed)
		      : gt_op_dep_rm(tx, ctx, id, target, &changed);
}

/* "ID TARGET [TYPE]" text lines become JSON records */
static int text_to_json(struct gt_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct gt_record *r = &b->v[i];
		char *s, *t1, *t2;

		if (r->json)
			continue;
		s = gt_strdup(r->text);
		t1 = strchr(s, ' ');
		if (!t1) {
			free(s);
			return gt_error_set(GT_EINVALID,
					    "stdin: line %ld: expected \"ID DEPENDS-ON [TYPE]\"",
					    r->line);
		}
		*t1++ = '\0';
		while (*t1 == ' ')
			t1++;
		t2 = strchr(t1, ' ');
		if (t2) {
			*t2++ = '\0';
			while (*t2 == ' ')
				t2++;
		}
		r->json = cJSON_CreateObject();
		cJSON_AddStringToObject(r->json, "id", s);
		cJSON_AddStringToObject(r->json, "depends_on_id", t1);
		if (t2 && *t2)
			cJSON_AddStringToObject(r->json, "type", t2);
		r->text = NULL;
		free(s);
	}
	return 0;
}

static void print_related(struct gt_cli *cli, struct gt_ledger *lg, const char *id,
			  const char *type, struct gt_table *t)
{
	cJSON *b = NULL;

	if (gt_ledger_read_bead(&b, lg, NULL, id) < 0) {
		gt_error_clear();
		b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "id", id);
		cJSON_AddStringToObject(b, "status",
					strncmp(id, "external:", 9) ? "missing" : "external");
	}
	if (cli->json) {
		struct gt_buf o = GT_BUF_INIT;

		gt_bead_canonicalize(b);
		cJSON_AddStringToObject(b, "dependency_type", type);
		gt_json_write(&o, b);
		fputs(o.ptr, stdout);
		gt_cli_eor(cli);
		gt_buf_release(&o);
	} else {
		gt_table_add(t, type);
		gt_table_add(t, id);
		gt_table_add(t, gt_bead_status(b));
		gt_table_add(t, gt_json_str(b, "title"));
	}
	cJSON_Delete(b);
}

static int list(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_index **idx, const char *id,
		int up, const char *type)
{
	struct gt_table t;
	struct gt_buf out = GT_BUF_INIT;
	int rc = 0;

	gt_table_init(&t, 4);
	if (!up) {
		cJSON *b, *d;

		if ((rc = gt_ledger_read_bead(&b, ctx->lg, NULL, id)) < 0)
			return rc;
		cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(b, "dependencies")) {
			const char *ty = gt_json_str(d, "type"),
				   *to = gt_json_str(d, "depends_on_id");

			if (to && ty && (!type || !strcmp(type, ty)))
				print_related(cli, ctx->lg, to, ty, &t);
		}
		cJSON_Delete(b);
	} else {
		uint32_t target;

		if ((rc = gt_index_open(idx, ctx->lg, NULL)) < 0)
			return rc;
		target = gt_index_find(*idx, id);
		for (uint32_t r = 0; r < (*idx)->nrecs && target != GT_IREF_NONE; r++) {
			const struct gt_irec *rec = &(*idx)->recs[r];

			for (uint32_t k = 0; k < rec->nedges; k++) {
				const struct gt_iedge *e = &(*idx)->edges[rec->edges + k];
				const char *ty = gt_index_vocab(*idx, e->type);

				if (gt_index_ref(*idx, e->target) == target &&
				    (!type || !strcmp(type, ty)))
					print_related(cli, ctx->lg, gt_index_id(*idx, r), ty, &t);
			}
		}
	}
	if (!cli->json) {
		gt_table_render(&t, &out, isatty(1));
		fputs(gt_buf_cstr(&out), stdout);
	}
	gt_table_release(&t);
	gt_buf_release(&out);
	return rc;
}

/* ---- tree ---- */

struct node {
	uint32_t rec; /* GT_IREF_NONE for a missing/external target */
	const char *id;
	const char *type; /* edge type from the parent node */
	int depth;
	size_t parent; /* node index of the parent, (size_t)-1 for the root */
	int truncated;
};

struct tree {
	struct node *v;
	size_t n, alloc;
	struct gt_map seen;
	uint32_t **up; /* reverse adjacency: dependents' edge indexes */
	uint32_t *nup;
};

static void push(struct tree *t, uint32_t rec, const char *id, const char *type, int depth,
		 size_t parent)
{
	GT_ALLOC_GROW(t->v, t->n + 1, t->alloc);
	t->v[t->n++] = (struct node){ rec, id, type, depth, parent, 0 };
	gt_map_put(&t->seen, id, (void *)1);
}

static void build_up(struct tree *t, const struct gt_index *idx)
{
	t->nup = gt_calloc(idx->nrecs + 1, sizeof(*t->nup));
	t->up = gt_calloc(idx->nrecs + 1, sizeof(*t->up));
	for (int pass = 0; pass < 2; pass++) {
		if (pass) {
			for (uint32_t r = 0; r < idx->nrecs; r++) {
				/* pairs: the edge, then the record that owns it */
				t->up[r] = gt_malloc((t->nup[r] ? t->nup[r] : 1) * 2 *
						     sizeof(uint32_t));
				t->nup[r] = 0;
			}
		}
		for (uint32_t r = 0; r < idx->nrecs; r++) {
			const struct gt_irec *rec = &idx->recs[r];

			for (uint32_t k = 0; k < rec->nedges; k++) {
				uint32_t to = gt_index_ref(idx, idx->edges[rec->edges + k].target);

				if (to == GT_IREF_NONE)
					continue;
				if (pass) {
					t->up[to][2 * t->nup[to]] = rec->edges + k;
					t->up[to][2 * t->nup[to] + 1] = r;
				}
				t->nup[to]++;
			}
		}
	}
}

static void bfs(struct tree *t, const struct gt_index *idx, int down, int up, int max)
{
	for (size_t i = 0; i < t->n; i++) {
		struct node *nd = &t->v[i];
		const struct gt_irec *rec;

		if (nd->rec == GT_IREF_NONE)
			continue;
		rec = &idx->recs[nd->rec];
		if (nd->depth >= max) {
			nd->truncated = rec->nedges || (t->nup && t->nup[nd->rec]);
			continue;
		}
		for (uint32_t k = 0; down && k < rec->nedges; k++) {
			const struct gt_iedge *e = &idx->edges[rec->edges + k];
			const char *tid = gt_index_str(idx, e->target_id);

			if (!gt_map_get(&t->seen, tid))
				push(t, gt_index_ref(idx, e->target), tid,
				     gt_index_vocab(idx, e->type), t->v[i].depth + 1, i);
		}
		for (uint32_t k = 0; up && k < t->nup[t->v[i].rec]; k++) {
			uint32_t e = t->up[t->v[i].rec][2 * k];
			uint32_t owner = t->up[t->v[i].rec][2 * k + 1];
			const char *oid = gt_index_id(idx, owner);

			if (!gt_map_get(&t->seen, oid))
				push(t, owner, oid, gt_index_vocab(idx, idx->edges[e].type),
				     t->v[i].depth + 1, i);
		}
	}
}

static void render(struct gt_cli *cli, struct gt_ctx *ctx, struct tree *t,
		   const struct gt_index *idx, size_t i, struct gt_buf *prefix, int last)
{
	struct node *nd = &t->v[i];
	cJSON *b = NULL;
	size_t mark = prefix->len, nkids = 0, seen = 0;

	if (nd->rec != GT_IREF_NONE && gt_ledger_read_bead(&b, ctx->lg, NULL, nd->id) < 0)
		gt_error_clear();
	if (cli->json) {
		struct gt_buf o = GT_BUF_INIT;

		if (!b) {
			b = cJSON_CreateObject();
			cJSON_AddStringToObject(b, "id", nd->id);
			cJSON_AddStringToObject(b, "status",
						strncmp(nd->id, "external:", 9) ? "missing"
										: "external");
		}
		gt_bead_canonicalize(b);
		cJSON_AddNumberToObject(b, "depth", nd->depth);
		if (nd->parent != (size_t)-1) {
			cJSON_AddStringToObject(b, "parent_id", t->v[nd->parent].id);
			cJSON_AddStringToObject(b, "dependency_type", nd->type);
		}
		cJSON_AddBoolToObject(b, "truncated", nd->truncated);
		gt_json_write(&o, b);
		fputs(o.ptr, stdout);
		gt_cli_eor(cli);
		gt_buf_release(&o);
	} else {
		fputs(gt_buf_cstr(prefix), stdout);
		if (nd->parent != (size_t)-1)
			fputs(last ? "└── " : "├── ", stdout);
		printf("%s", nd->id);
		if (b) {
			struct gt_buf title = GT_BUF_INIT;

			gt_format_oneline(&title, gt_json_str(b, "title"));
			printf(": %s [P%d] (%s)", gt_buf_cstr(&title), gt_bead_priority(b),
			       gt_bead_status(b));
			gt_buf_release(&title);
		} else {
			printf(" (%s)", strncmp(nd->id, "external:", 9) ? "missing" : "external");
		}
		if (nd->parent != (size_t)-1)
			printf(" <%s>", nd->type);
		printf("%s\n", nd->truncated ? " ..." : "");
	}
	cJSON_Delete(b);
	for (size_t k = i + 1; k < t->n; k++)
		nkids += t->v[k].parent == i;
	if (nd->parent != (size_t)-1)
		gt_buf_adds(prefix, last ? "    " : "│   ");
	for (size_t k = i + 1; k < t->n; k++)
		if (t->v[k].parent == i)
			render(cli, ctx, t, idx, k, prefix, ++seen == nkids);
	gt_buf_truncate(prefix, mark);
}

static int tree(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_index **idx, const char *id,
		int up, int both, long max)
{
	struct tree t = { 0 };
	struct gt_buf prefix = GT_BUF_INIT;
	uint32_t root;
	int rc;

	if ((rc = gt_index_open(idx, ctx->lg, NULL)) < 0)
		return rc;
	root = gt_index_find(*idx, id);
	if (root == GT_IREF_NONE)
		return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);
	if (up || both)
		build_up(&t, *idx);
	push(&t, root, gt_index_id(*idx, root), "", 0, (size_t)-1);
	bfs(&t, *idx, !up || both, up || both, (int)max);
	render(cli, ctx, &t, *idx, 0, &prefix, 1);
	for (uint32_t r = 0; t.up && r < (*idx)->nrecs; r++)
		free(t.up[r]);
	free(t.up);
	free(t.nup);
	free(t.v);
	gt_map_release(&t.seen);
	gt_buf_release(&prefix);
	return 0;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT, target = GT_BUF_INIT;
	struct dep d = { 0, NULL, NULL, &idx };
	int keep_going = 0, up = 0, both = 0, rc, nargs;
	long max_depth = 50;
	const char *verb;
	const struct gt_option opts[] = {
		GT_OPT_STRING('t', "type", &d.type, "TYPE",
			      "blocks (default), parent-child, conditional-blocks, waits-for, "
			      "related, ..."),
		GT_OPT_FLAG(0, "up", &up, "list/tree: the beads that depend on ID"),
		GT_OPT_FLAG(0, "both", &both, "tree: both directions"),
		GT_OPT_INT(0, "max-depth", &max_depth, "N", "tree: stop at depth N (default 50)"),
		GT_OPT_STDIN(&cli),
		GT_OPT_FLAG(0, "keep-going", &keep_going,
			    "with --stdin: commit the records that succeed"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "add, remove, list and draw dependencies";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs < 1)
		gt_cli_usage_error(&cli, "a verb is required: add, rm, list or tree");
	verb = argv[1];
	d.add = !strcmp(verb, "add");
	if (d.add || !strcmp(verb, "rm")) {
		if (!cli.use_stdin && nargs != 3)
			gt_cli_usage_error(&cli, "%s needs ID and DEPENDS-ON", verb);
		if (cli.use_stdin && nargs != 1)
			gt_cli_usage_error(&cli, "with --stdin, give no ids");
	} else if (!strcmp(verb, "list") || !strcmp(verb, "tree")) {
		if (nargs != 2)
			gt_cli_usage_error(&cli, "%s takes one id", verb);
		if (max_depth < 0)
			gt_cli_usage_error(&cli, "--max-depth must be 0 or more");
	} else {
		gt_cli_usage_error(&cli, "unknown verb '%s'", verb);
	}
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if (!cli.use_stdin && (rc = gt_cli_resolve(&ctx, &idx, argv[2], &id)) < 0)
		goto out;
	if (!strcmp(verb, "list")) {
		rc = list(&cli, &ctx, &idx, id.ptr, up, d.type);
	} else if (!strcmp(verb, "tree")) {
		rc = tree(&cli, &ctx, &idx, id.ptr, up, both, max_depth);
	} else if (cli.use_stdin) {
		struct gt_batch b = { 0 };

		if ((rc = gt_cli_read_batch(&b)) == 0 && (rc = text_to_json(&b)) == 0)
			rc = gt_cli_run_batch(&cli, &ctx, &idx, 0, NULL, &b, "gt-bead-dep", one, &d,
					      keep_going);
		gt_batch_release(&b);
	} else {
		char *args[1] = { id.ptr };

		/* a target that is not a bead may be external:... */
		if (!strncmp(argv[3], "external:", 9))
			gt_buf_adds(&target, argv[3]);
		else if ((rc = gt_cli_resolve(&ctx, &idx, argv[3], &target)) < 0 && d.add)
			goto out;
		if (rc < 0) { /* rm of an edge to a bead that is gone */
			gt_error_clear();
			gt_buf_reset(&target);
			gt_buf_adds(&target, argv[3]);
		}
		d.target = target.ptr;
		rc = gt_cli_run_ids(&cli, &ctx, &idx, 1, args, "gt-bead-dep", one, &d, 0);
	}
out:
	gt_buf_release(&id);
	gt_buf_release(&target);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
