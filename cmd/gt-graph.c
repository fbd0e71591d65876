/*
 * gt-graph - a bead, an epic, a convoy or a molecule as a graph: a line
 * per bead (default), Graphviz DOT (--dot), SVG drawn by dot(1) (--svg)
 * or one JSON object (--json) for pages that draw it themselves.  What
 * the graph holds is lib/flow/depgraph.h's business; this only prints.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-graph [--dot | --svg | --json] [--depth N] [--max-nodes N] [--kind KIND] ID",
	NULL,
};

/* id, status, type, title and what the bead depends on, one bead a line
 * (the root first), titles on one line. */
static void print_lines(struct gt_cli *cli, const cJSON *g)
{
	const cJSON *n, *e;
	struct gt_buf line = GT_BUF_INIT;

	cJSON_ArrayForEach (n, cJSON_GetObjectItemCaseSensitive(g, "nodes")) {
		const char *id = gt_json_str(n, "id"), *type = gt_json_str(n, "type");
		int first = 1;

		gt_buf_reset(&line);
		gt_format_oneline(&line, id);
		gt_buf_printf(&line, "\t%s\t%s\t", gt_json_str(n, "status"),
			      type && *type ? type : "-");
		gt_format_oneline(&line, gt_json_str(n, "title"));
		cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(g, "edges")) {
			if (strcmp(gt_json_str(e, "from"), id))
				continue;
			gt_buf_adds(&line, first ? "\t-> " : ", ");
			gt_format_oneline(&line, gt_json_str(e, "to"));
			if (strcmp(gt_json_str(e, "type"), "blocks") &&
			    strcmp(gt_json_str(e, "type"), "needs"))
				gt_buf_printf(&line, " (%s)", gt_json_str(e, "type"));
			first = 0;
		}
		fputs(line.ptr, stdout);
		gt_cli_eor(cli);
	}
	gt_buf_release(&line);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_depgraph_opts o = { 0 };
	struct gt_buf id = GT_BUF_INIT, dot = GT_BUF_INIT, svg = GT_BUF_INIT;
	cJSON *g = NULL;
	int rc, dot_out = 0, svg_out = 0;
	long depth = GT_DEPGRAPH_DEPTH, max_nodes = GT_DEPGRAPH_MAX_NODES; /* longs */
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "dot", &dot_out, "print Graphviz DOT"),
		GT_OPT_FLAG(0, "svg", &svg_out, "print SVG (runs Graphviz's dot)"),
		GT_OPT_INT(0, "depth", &depth, "N",
			   "steps out from ID (default 3; 0: ID alone; -1: no limit)"),
		GT_OPT_INT(0, "max-nodes", &max_nodes, "N", "at most N beads (default 200)"),
		GT_OPT_STRING(0, "kind", &o.kind, "KIND",
			      "draw ID as a bead, epic, convoy or molecule (default: by its type)"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "draw a bead's, epic's, convoy's or molecule's graph";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli, "exactly one id is required");
	if (dot_out + svg_out + cli.json > 1)
		gt_cli_usage_error(&cli, "--dot, --svg and --json go one at a time");
	if (depth < -1 || depth > 1000000)
		gt_cli_usage_error(&cli, "--depth takes -1 (no limit) or a number of steps");
	if (max_nodes < 1)
		gt_cli_usage_error(&cli, "--max-nodes takes a number of beads");
	o.depth = (int)depth;
	o.max_nodes = max_nodes;
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 ||
	    (rc = gt_cli_resolve(&ctx, &idx, argv[1], &id)) < 0 ||
	    (rc = gt_depgraph_build(&g, &ctx, &idx, id.ptr, &o)) < 0)
		goto out;
	if (gt_json_bool(g, "truncated") && !cli.quiet)
		gt_cli_warn(&cli, "the graph of '%s' stops at %ld nodes (--max-nodes)", id.ptr,
			    (long)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(g, "nodes")));
	if (cli.json) {
		gt_cli_print_json(&cli, g);
	} else if (dot_out || svg_out) {
		gt_depgraph_dot(&dot, g);
		if (dot_out)
			fputs(dot.ptr, stdout);
		else if ((rc = gt_dot_render(&svg, &dot, "svg")) == 0)
			fwrite(svg.ptr, 1, svg.len, stdout);
	} else {
		print_lines(&cli, g);
	}
out:
	cJSON_Delete(g);
	gt_buf_release(&id);
	gt_buf_release(&dot);
	gt_buf_release(&svg);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
