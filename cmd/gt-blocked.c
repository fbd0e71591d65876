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

/* What blocks a bead: the table's last column ... */
static void blockers_column(struct gt_buf *col, uint32_t rec, void *ctx)
{
	struct gt_strlist by = { 0 };

	gt_blocked_by(&by, ctx, rec);
	for (size_t k = 0; k < by.n; k++)
		gt_buf_printf(col, "%s%s", k ? "," : "", by.v[k]);
	gt_strlist_release(&by);
}

/* ... and in JSON, Beads' BlockedIssue: the issue, then the blockers. */
static void blockers_json(cJSON *b, uint32_t rec, void *ctx)
{
	struct gt_strlist by = { 0 };
	cJSON *a = cJSON_CreateArray();

	gt_blocked_by(&by, ctx, rec);
	for (size_t k = 0; k < by.n; k++)
		cJSON_AddItemToArray(a, cJSON_CreateString(by.v[k]));
	cJSON_AddNumberToObject(b, "blocked_by_count", (double)by.n);
	cJSON_AddItemToObject(b, "blocked_by", a);
	gt_strlist_release(&by);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_graph g = { 0 };
	struct gt_buf parent = GT_BUF_INIT;
	const char *parent_in = NULL;
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
	if ((!idx && (rc = gt_index_open(&idx, ctx.lg, NULL)) < 0) ||
	    (rc = gt_graph_compute(&g, idx)) < 0 ||
	    (rc = gt_blocked(&v, &n, &g, parent_in ? parent.ptr : NULL, limit)) < 0)
		goto out;
	{
		const struct gt_cli_bead_extra blockers = { blockers_column, blockers_json, &g };

		rc = gt_cli_print_beads(&cli, ctx.lg, g.idx, v, n, NULL, &blockers);
	}
out:
	free(v);
	gt_graph_release(&g);
	gt_buf_release(&parent);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
