/*
 * gt-blocked - beads that cannot start, with what blocks them.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-blocked [--parent ID] [-n N] [--json]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_graph g = { 0 };
	struct gt_buf parent = GT_BUF_INIT;
	const char *parent_in = NULL;
	const char **ids = NULL;
	const git_oid **blobs = NULL;
	char **cols = NULL;
	uint32_t *v = NULL;
	size_t n = 0;
	long limit = 0;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "parent", &parent_in, "ID", "only descendants of ID"),
		GT_OPT_INT('n', "limit", &limit, "N", "at most N beads (default: all)"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list blocked beads and their blockers";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs)
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	if (limit < 0)
		gt_cli_usage_error(&cli, "--limit must be 0 or more");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if (parent_in && (rc = gt_cli_resolve(&ctx, &idx, parent_in, &parent)) < 0)
		goto out;
	if ((rc = gt_index_open(&idx, ctx.lg, NULL)) < 0 || (rc = gt_graph_compute(&g, idx)) < 0 ||
	    (rc = gt_blocked(&v, &n, &g, parent_in ? parent.ptr : NULL)) < 0)
		goto out;
	if (limit && n > (size_t)limit)
		n = (size_t)limit;
	ids = gt_calloc(n ? n : 1, sizeof(*ids));
	blobs = gt_calloc(n ? n : 1, sizeof(*blobs));
	cols = gt_calloc(n ? n : 1, sizeof(*cols));
	for (size_t i = 0; i < n; i++) {
		struct gt_strlist by = { 0 };
		struct gt_buf j = GT_BUF_INIT;

		ids[i] = gt_index_id(idx, v[i]);
		blobs[i] = gt_index_oid(idx, v[i]);
		gt_blocked_by(&by, &g, v[i]);
		gt_buf_addch(&j, '[');
		for (size_t k = 0; k < by.n; k++) {
			if (k)
				gt_buf_addch(&j, ',');
			gt_json_write_string(&j, by.v[k]);
		}
		gt_buf_addch(&j, ']');
		cols[i] = gt_buf_detach(&j);
		gt_strlist_release(&by);
	}
	rc = gt_cli_print_ids(&cli, ctx.lg, ids, blobs, n, (const char *const *)cols);
out:
	for (size_t i = 0; cols && i < n; i++)
		free(cols[i]);
	free(cols);
	free(ids);
	free(blobs);
	free(v);
	gt_graph_release(&g);
	gt_buf_release(&parent);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
