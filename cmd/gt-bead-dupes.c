/*
 * gt-bead-dupes - pairs of open beads whose titles say the same thing
 * (Beads' duplicates): titles compared as sets of words by Jaccard
 * similarity, through gt_similar_pairs() (query.h), which finds the
 * candidates by their rarest words instead of trying every pair.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-dupes [options]",
	NULL,
};

static const struct gt_index *sort_idx;
static const uint32_t *sort_recs;

static const char *id_of(size_t item)
{
	return gt_index_id(sort_idx, sort_recs[item]);
}

/* the older bead first: the original, the other its likely duplicate */
static void orient(struct gt_similar *p)
{
	const struct gt_irec *x = &sort_idx->recs[sort_recs[p->a]];
	const struct gt_irec *y = &sort_idx->recs[sort_recs[p->b]];

	if (x->created > y->created ||
	    (x->created == y->created && strcmp(id_of(p->a), id_of(p->b)) > 0)) {
		size_t t = p->a;

		p->a = p->b;
		p->b = t;
	}
}

/* most similar first, then by the ids */
static int pair_cmp(const void *a, const void *b)
{
	const struct gt_similar *x = a, *y = b;
	int c;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	c = strcmp(id_of(x->a), id_of(y->a));
	return c ? c : strcmp(id_of(x->b), id_of(y->b));
}

static void print_pairs(struct gt_cli *cli, const struct gt_similar *p, size_t n,
			const char *const *titles)
{
	struct gt_buf out = GT_BUF_INIT, cell = GT_BUF_INIT;
	struct gt_table tab;

	gt_table_init(&tab, 4);
	for (size_t i = 0; i < n; i++) {
		if (cli->json) {
			gt_buf_reset(&out);
			gt_buf_adds(&out, "{\"id1\":");
			gt_json_write_string(&out, id_of(p[i].a));
			gt_buf_adds(&out, ",\"id2\":");
			gt_json_write_string(&out, id_of(p[i].b));
			gt_buf_adds(&out, ",\"score\":");
			gt_json_write_number(&out, round(p[i].score * 1000) / 1000);
			gt_buf_adds(&out, ",\"title1\":");
			gt_json_write_string(&out, titles[p[i].a]);
			gt_buf_adds(&out, ",\"title2\":");
			gt_json_write_string(&out, titles[p[i].b]);
			gt_buf_adds(&out, "}\n");
			fputs(out.ptr, stdout);
			continue;
		}
		gt_table_add(&tab, id_of(p[i].a));
		gt_table_add(&tab, id_of(p[i].b));
		gt_buf_reset(&cell);
		gt_buf_printf(&cell, "%.2f", p[i].score);
		gt_table_add(&tab, cell.ptr);
		gt_buf_reset(&cell);
		gt_buf_printf(&cell, "%s | %s", titles[p[i].a], titles[p[i].b]);
		gt_table_add(&tab, cell.ptr);
	}
	if (!cli->json) {
		gt_buf_reset(&out);
		gt_table_render(&tab, &out, isatty(1));
		fputs(gt_buf_cstr(&out), stdout);
	}
	gt_table_release(&tab);
	gt_buf_release(&out);
	gt_buf_release(&cell);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_list_filter f = { 0 };
	struct gt_strlist ty = { 0 };
	struct gt_buf k1 = GT_BUF_INIT;
	struct gt_similar *pairs = NULL;
	char **titles = NULL;
	uint32_t *recs = NULL, *v = NULL;
	const char *thr = "0.8";
	char *end;
	double t;
	size_t n = 0, nitems = 0, npairs = 0;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "threshold", &thr, "T",
			      "similarity from 0 (exclusive) to 1 (default 0.8)"),
		GT_OPT_LIST('t', "type", &ty, "TYPE",
			    "only these types (default: all but internal ones)"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list pairs of open beads with similar titles";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs)
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	t = strtod(thr, &end);
	if (end == thr || *end || !(t > 0 && t <= 1))
		gt_cli_usage_error(&cli, "--threshold must be a number above 0, at most 1");
	f.priority_max = 4;
	f.sort = "id";
	gt_cli_split_list(&f.types, &ty, &k1);
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	gt_cli_check_vocab(&cli, &ctx, NULL, &f.types);
	if ((rc = gt_index_open(&idx, ctx.lg, NULL)) < 0 || (rc = gt_list(&v, &n, idx, &f)) < 0)
		goto out;
	titles = gt_calloc(n ? n : 1, sizeof(*titles));
	recs = gt_calloc(n ? n : 1, sizeof(*recs));
	for (size_t i = 0; i < n; i++) {
		const char *title;
		cJSON *b;

		/* mail, agents, merge requests repeat their titles by design */
		if (!f.types.n && gt_type_internal(gt_index_vocab(idx, idx->recs[v[i]].type)))
			continue;
		if ((rc = gt_ledger_read_bead_blob(&b, ctx.lg, gt_index_oid(idx, v[i]),
						   gt_index_id(idx, v[i]))) < 0)
			goto out;
		title = gt_json_str(b, "title");
		titles[nitems] = gt_strdup(title ? title : "");
		recs[nitems++] = v[i];
		cJSON_Delete(b);
	}
	if ((rc = gt_similar_pairs(&pairs, &npairs, (const char *const *)titles, nitems, t)) < 0)
		goto out;
	sort_idx = idx;
	sort_recs = recs;
	for (size_t i = 0; i < npairs; i++)
		orient(&pairs[i]);
	if (npairs) /* pairs is NULL when there are none */
		qsort(pairs, npairs, sizeof(*pairs), pair_cmp);
	print_pairs(&cli, pairs, npairs, (const char *const *)titles);
out:
	for (size_t i = 0; i < nitems; i++)
		free(titles[i]);
	free(titles);
	free(recs);
	free(pairs);
	free(v);
	gt_list_filter_release(&f);
	gt_strlist_release(&ty);
	gt_buf_release(&k1);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
