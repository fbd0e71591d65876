/*
 * gt-ready - work that can start now, by Beads' rules (see gt(7)).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-ready [options]",
	NULL,
};

/* One bead as the listing prints it: --format, a JSON line, an id (-z),
 * or a table row (w: padded to w, else tab separated). */

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_graph g = { 0 };
	struct gt_ready_opts o;
	struct gt_buf parent = GT_BUF_INIT,
		      keep[4] = { GT_BUF_INIT, GT_BUF_INIT, GT_BUF_INIT, GT_BUF_INIT };
	struct gt_strlist raw[4] = { { 0 } };
	const char *prio = NULL, *parent_in = NULL, *format = NULL;
	char *patterns = NULL;
	uint32_t *v = NULL;
	size_t n = 0;
	long limit = 100;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "sort", &o.sort, "POLICY",
			      "priority (default: priority, then newest), oldest, hybrid"),
		GT_OPT_INT('n', "limit", &limit, "N", "at most N beads (default 100, 0: all)"),
		GT_OPT_LIST('t', "type", &raw[0], "TYPE",
			    "only these types (internal types allowed then)"),
		GT_OPT_LIST('a', "assignee", &raw[1], "WHO", "only these assignees"),
		GT_OPT_FLAG(0, "unassigned", &o.unassigned, "only unassigned beads"),
		GT_OPT_LIST('l', "label", &raw[2], "LABEL", "having every one of these labels"),
		GT_OPT_LIST(0, "label-any", &raw[3], "LABEL",
			    "having at least one of these labels"),
		GT_OPT_STRING('p', "priority", &prio, "N", "only this priority"),
		GT_OPT_STRING(0, "parent", &parent_in, "ID", "only descendants of ID"),
		GT_OPT_FLAG(0, "include-deferred", &o.include_deferred,
			    "also beads deferred into the future"),
		GT_OPT_JSON(&cli),
		GT_OPT_FORMAT(&format),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	gt_ready_opts_init(&o);
	cli.summary = "list work that is ready to start";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs)
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	if (limit < 0)
		gt_cli_usage_error(&cli, "--limit must be 0 or more");
	if (format)
		gt_cli_format_check(&cli, format);
	o.limit = limit;
	gt_cli_split_list(&o.types, &raw[0], &keep[0]);
	gt_cli_split_list(&o.assignees, &raw[1], &keep[1]);
	gt_cli_split_list(&o.labels, &raw[2], &keep[2]);
	gt_cli_split_list(&o.labels_any, &raw[3], &keep[3]);
	if (prio && gt_priority_parse(prio, &o.priority) < 0)
		gt_cli_usage_error(&cli, "%s", gt_error_last());
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	gt_cli_check_vocab(&cli, &ctx, NULL, &o.types);
	if (parent_in) {
		if ((rc = gt_cli_resolve(&ctx, &idx, parent_in, &parent)) < 0)
			goto out;
		o.parent = parent.ptr;
	}
	/* the configured id patterns are read only when set in the environment
	 * or config; the index alone answers the common case */
	if ((rc = gt_ctx_config(&ctx)) < 0)
		goto out;
	patterns = gt_config_get(ctx.cfg, "ready.exclude-id-patterns");
	o.exclude_patterns = patterns;
	if ((!idx && (rc = gt_index_open(&idx, ctx.lg, NULL)) < 0) ||
	    (rc = gt_graph_compute(&g, idx)) < 0 || (rc = gt_ready(&v, &n, &g, &o)) < 0)
		goto out;
	rc = gt_cli_print_beads(&cli, ctx.lg, idx, v, n, format, NULL);
out:
	free(v);
	free(patterns);
	gt_graph_release(&g);
	gt_strlist_release(&o.types);
	gt_strlist_release(&o.assignees);
	gt_strlist_release(&o.labels);
	gt_strlist_release(&o.labels_any);
	gt_buf_release(&parent);
	for (int i = 0; i < 4; i++) {
		gt_strlist_release(&raw[i]);
		gt_buf_release(&keep[i]);
	}
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
