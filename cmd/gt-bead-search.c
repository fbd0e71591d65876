/*
 * gt-bead-search - find beads by text (Beads' search): a case-insensitive
 * substring of the title, description, design, acceptance criteria or
 * notes, title matches first.  The index narrows by status and type; the
 * text needs the beads themselves, so each candidate is read once.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-search [options] TEXT",
	NULL,
};

/* 0: the title matches; 1: another text field does; -1: none */
static int match_rank(const cJSON *b, const char *text)
{
	static const char *const fields[] = { "description", "design", "acceptance_criteria",
					      "notes", NULL };
	const char *title = gt_json_str(b, "title");

	if (title && gt_contains_ci(title, text))
		return 0;
	for (int i = 0; fields[i]; i++) {
		const char *s = gt_json_str(b, fields[i]);

		if (s && gt_contains_ci(s, text))
			return 1;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_list_filter f = { 0 };
	struct gt_strlist st = { 0 }, ty = { 0 };
	struct gt_buf k1 = GT_BUF_INIT, k2 = GT_BUF_INIT;
	/* matches by rank: title then other fields, each not closed then closed */
	uint32_t *bucket[4] = { NULL };
	size_t nb[4] = { 0 };
	const char **ids = NULL;
	const git_oid **blobs = NULL;
	const char *text;
	uint32_t *v = NULL;
	size_t n = 0, found = 0, shown = 0;
	long limit = 50;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_LIST('s', "status", &st, "STATUS",
			    "only these statuses (default: all but deleted)"),
		GT_OPT_LIST('t', "type", &ty, "TYPE", "only these types"),
		GT_OPT_INT('n', "limit", &limit, "N", "at most N beads (default 50, 0: all)"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "search beads' titles, descriptions and notes";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs != 1)
		gt_cli_usage_error(&cli, nargs ? "one TEXT only (quote it)" : "TEXT is required");
	text = argv[1];
	if (!*text)
		gt_cli_usage_error(&cli, "TEXT is empty");
	if (limit < 0)
		gt_cli_usage_error(&cli, "--limit must be 0 or more");
	f.priority_max = 4;
	gt_cli_split_list(&f.statuses, &st, &k1);
	gt_cli_split_list(&f.types, &ty, &k2);
	f.all = !f.statuses.n; /* closed work is worth finding too */
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	gt_cli_check_vocab(&cli, &ctx, &f.statuses, &f.types);
	if ((rc = gt_index_open(&idx, ctx.lg, NULL)) < 0 || (rc = gt_list(&v, &n, idx, &f)) < 0)
		goto out;
	for (int i = 0; i < 4; i++)
		bucket[i] = gt_malloc((n ? n : 1) * sizeof(*bucket[i]));
	for (size_t i = 0; i < n; i++) {
		const char *status = gt_index_vocab(idx, idx->recs[v[i]].status);
		cJSON *b;
		int rank;

		if ((rc = gt_ledger_read_bead_blob(&b, ctx.lg, gt_index_oid(idx, v[i]),
						   gt_index_id(idx, v[i]))) < 0)
			goto out;
		rank = match_rank(b, text);
		cJSON_Delete(b);
		if (rank < 0)
			continue;
		rank = rank * 2 + !strcmp(status, "closed");
		bucket[rank][nb[rank]++] = v[i];
		found++;
	}
	ids = gt_calloc(found ? found : 1, sizeof(*ids));
	blobs = gt_calloc(found ? found : 1, sizeof(*blobs));
	for (int r = 0; r < 4; r++)
		for (size_t i = 0; i < nb[r] && (!limit || shown < (size_t)limit); i++) {
			ids[shown] = gt_index_id(idx, bucket[r][i]);
			blobs[shown++] = gt_index_oid(idx, bucket[r][i]);
		}
	rc = gt_cli_print_ids(&cli, ctx.lg, ids, blobs, shown, NULL);
	if (rc == 0 && shown < found)
		gt_cli_warn(&cli, "showing %zu of %zu; -n 0 shows all", shown, found);
out:
	for (int i = 0; i < 4; i++)
		free(bucket[i]);
	free(ids);
	free(blobs);
	free(v);
	gt_list_filter_release(&f);
	gt_strlist_release(&st);
	gt_strlist_release(&ty);
	gt_buf_release(&k1);
	gt_buf_release(&k2);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
