/*
 * gt-bead-count - how many beads, grouped by status, type, assignee,
 * label or priority (Beads' count and stats).  Every grouping key is in
 * the query index, so no bead is read: counting a large ledger costs one
 * pass over fixed-size records.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-count [options]",
	NULL,
};

static const char *const keys[] = { "status", "type", "assignee", "label", "priority", NULL };

struct group {
	const char *key; /* borrowed from the index; "" for none */
	size_t n;
	int order; /* --by priority: the priority; else 0 */
};

struct counts {
	struct gt_map seen; /* key -> position + 1 */
	struct group *v;
	size_t n, alloc;
};

static void bump(struct counts *c, const char *key, int order)
{
	uintptr_t at = (uintptr_t)gt_map_get(&c->seen, key);

	if (!at) {
		GT_ALLOC_GROW(c->v, c->n + 1, c->alloc);
		c->v[c->n].key = key;
		c->v[c->n].n = 0;
		c->v[c->n].order = order;
		at = ++c->n;
		gt_map_put(&c->seen, key, (void *)at);
	}
	c->v[at - 1].n++;
}

/* priorities in order, anything else by count (largest first), then key;
 * the beads without (assignee, label) last */
static int group_cmp(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (!*x->key != !*y->key)
		return *x->key ? -1 : 1; /* none last */
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void count_one(struct counts *c, const struct gt_index *idx, const struct gt_irec *r,
		      int key)
{
	static char prio[256][8];

	switch (key) {
	case 0: bump(c, gt_index_vocab(idx, r->status), 0); break;
	case 1: bump(c, gt_index_vocab(idx, r->type), 0); break;
	case 2: bump(c, r->assignee ? gt_index_str(idx, r->assignee) : "", 0); break;
	case 3:
		/* a bead counts once under each of its labels */
		for (uint32_t l = 0; l < r->nlabels; l++)
			bump(c, gt_index_str(idx, idx->labels[r->labels + l]), 0);
		if (!r->nlabels)
			bump(c, "", 0);
		break;
	default: {
		char *name = prio[(uint8_t)r->priority];

		if (!*name)
			snprintf(name, sizeof(prio[0]), "P%d", r->priority);
		bump(c, name, r->priority);
	}
	}
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_list_filter f = { 0 };
	struct gt_strlist st = { 0 }, ty = { 0 }, as = { 0 }, la = { 0 };
	struct gt_buf k1 = GT_BUF_INIT, k2 = GT_BUF_INIT, k3 = GT_BUF_INIT, k4 = GT_BUF_INIT;
	struct gt_buf out = GT_BUF_INIT;
	struct counts c = { GT_MAP_INIT, NULL, 0, 0 };
	const char *by = "status";
	uint32_t *v = NULL;
	size_t n = 0;
	int rc, nargs, key, total_only = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "by", &by, "KEY",
			      "group by status (default), type, assignee, label or priority"),
		GT_OPT_FLAG(0, "total", &total_only, "print only the number of beads"),
		GT_OPT_LIST('s', "status", &st, "STATUS",
			    "only these statuses (\"all\": every one)"),
		GT_OPT_LIST('t', "type", &ty, "TYPE", "only these types"),
		GT_OPT_LIST('a', "assignee", &as, "WHO", "only these assignees"),
		GT_OPT_FLAG(0, "no-assignee", &f.no_assignee, "only unassigned beads"),
		GT_OPT_LIST('l', "label", &la, "LABEL", "having every one of these labels"),
		GT_OPT_FLAG(0, "all", &f.all, "include closed beads"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "count beads by status, type, assignee, label or priority";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs)
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	for (key = 0; keys[key] && strcmp(keys[key], by); key++)
		;
	if (!keys[key])
		gt_cli_usage_error(
			&cli, "unknown --by '%s' (status, type, assignee, label, priority)", by);
	f.priority_max = 4;
	f.sort = "id"; /* the order does not matter; ids are cheap to compare */
	gt_cli_split_list(&f.statuses, &st, &k1);
	gt_cli_split_list(&f.types, &ty, &k2);
	gt_cli_split_list(&f.assignees, &as, &k3);
	gt_cli_split_list(&f.labels, &la, &k4);
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	gt_cli_check_vocab(&cli, &ctx, &f.statuses, &f.types);
	if ((rc = gt_index_open(&idx, ctx.lg, NULL)) < 0 || (rc = gt_list(&v, &n, idx, &f)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		count_one(&c, idx, &idx->recs[v[i]], key);
	qsort(c.v, c.n, sizeof(*c.v), group_cmp);
	if (total_only) {
		printf("%zu\n", n);
	} else if (cli.json) {
		gt_buf_adds(&out, "{\"by\":");
		gt_json_write_string(&out, by);
		gt_buf_printf(&out, ",\"total\":%zu,\"counts\":{", n);
		for (size_t i = 0; i < c.n; i++) {
			gt_buf_adds(&out, i ? "," : "");
			gt_json_write_string(&out, c.v[i].key);
			gt_buf_printf(&out, ":%zu", c.v[i].n);
		}
		gt_buf_adds(&out, "}}\n");
		fputs(out.ptr, stdout);
	} else {
		struct gt_table t;
		char num[32];

		gt_table_init(&t, 2);
		for (size_t i = 0; i < c.n; i++) {
			snprintf(num, sizeof(num), "%zu", c.v[i].n);
			gt_table_add(&t, c.v[i].key);
			gt_table_add(&t, num);
		}
		gt_table_render(&t, &out, isatty(1));
		fputs(gt_buf_cstr(&out), stdout);
		gt_table_release(&t);
	}
out:
	free(v);
	free(c.v);
	gt_map_release(&c.seen);
	gt_buf_release(&out);
	gt_list_filter_release(&f);
	gt_strlist_release(&st);
	gt_strlist_release(&ty);
	gt_strlist_release(&as);
	gt_strlist_release(&la);
	gt_buf_release(&k1);
	gt_buf_release(&k2);
	gt_buf_release(&k3);
	gt_buf_release(&k4);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
