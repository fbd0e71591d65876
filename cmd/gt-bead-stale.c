/*
 * gt-bead-stale - open and in-progress beads nobody has touched for N
 * days, oldest first (Beads' stale).  Answered from the query index,
 * which holds each bead's updated_at; only the beads shown are read.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-stale [options]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_list_filter f = { 0 };
	struct gt_strlist st = { 0 }, ty = { 0 }, as = { 0 };
	struct gt_buf k1 = GT_BUF_INIT, k2 = GT_BUF_INIT, k3 = GT_BUF_INIT;
	const char **ids = NULL;
	const git_oid **blobs = NULL;
	uint32_t *v = NULL;
	size_t n = 0, found = 0, shown = 0;
	long days = 30, limit = 50;
	int64_t cutoff;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_INT(0, "days", &days, "N", "not updated for N days (default 30)"),
		GT_OPT_LIST('s', "status", &st, "STATUS",
			    "only these statuses (default open, in_progress)"),
		GT_OPT_LIST('t', "type", &ty, "TYPE", "only these types"),
		GT_OPT_LIST('a', "assignee", &as, "WHO", "only these assignees"),
		GT_OPT_INT('n', "limit", &limit, "N", "at most N beads (default 50, 0: all)"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list open beads nobody has updated for a while";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs)
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	if (days < 0 || days > 100000)
		gt_cli_usage_error(&cli, "--days must be 0 to 100000");
	if (limit < 0)
		gt_cli_usage_error(&cli, "--limit must be 0 or more");
	f.priority_max = 4;
	gt_cli_split_list(&f.statuses, &st, &k1);
	gt_cli_split_list(&f.types, &ty, &k2);
	gt_cli_split_list(&f.assignees, &as, &k3);
	if (!f.statuses.n) {
		gt_strlist_push(&f.statuses, "open");
		gt_strlist_push(&f.statuses, "in_progress");
	}
	/* oldest first: "updated" sorts the most recent first */
	f.sort = "updated";
	f.reverse = 1;
	cutoff = gt_time_now_ns() / 1000000000LL - (int64_t)days * 86400;
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	gt_cli_check_vocab(&cli, &ctx, &f.statuses, &f.types);
	if ((rc = gt_index_open(&idx, ctx.lg, NULL)) < 0 || (rc = gt_list(&v, &n, idx, &f)) < 0)
		goto out;
	ids = gt_calloc(n ? n : 1, sizeof(*ids));
	blobs = gt_calloc(n ? n : 1, sizeof(*blobs));
	for (size_t i = 0; i < n; i++) {
		if ((int64_t)idx->recs[v[i]].updated >= cutoff)
			continue;
		found++;
		if (limit && shown == (size_t)limit)
			continue;
		ids[shown] = gt_index_id(idx, v[i]);
		blobs[shown++] = gt_index_oid(idx, v[i]);
	}
	rc = gt_cli_print_ids(&cli, ctx.lg, ids, blobs, shown, NULL);
	if (rc == 0 && shown < found)
		gt_cli_warn(&cli, "showing %zu of %zu; -n 0 shows all", shown, found);
out:
	free(ids);
	free(blobs);
	free(v);
	gt_list_filter_release(&f);
	gt_strlist_release(&st);
	gt_strlist_release(&ty);
	gt_strlist_release(&as);
	gt_buf_release(&k1);
	gt_buf_release(&k2);
	gt_buf_release(&k3);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
