/*
 * gt-blocked - beads that cannot start, with what blocks them.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-blocked [--parent ID] [-n N] [--json]",
	NULL,
};

/* One blocked bead: a JSON line (Beads' BlockedIssue: the issue, then the
 * blockers), an id (-z), or a table row with the blockers last. */
static void emit(struct gt_cli *cli, const struct gt_table_widths *w, cJSON *b,
		 const struct gt_strlist *by)
{
	struct gt_buf line = GT_BUF_INIT, col = GT_BUF_INIT;

	if (cli->json) {
		cJSON *a = cJSON_CreateArray();

		gt_bead_canonicalize(b);
		for (size_t k = 0; k < by->n; k++)
			cJSON_AddItemToArray(a, cJSON_CreateString(by->v[k]));
		cJSON_AddNumberToObject(b, "blocked_by_count", (double)by->n);
		cJSON_AddItemToObject(b, "blocked_by", a);
		gt_json_write(&line, b);
		fwrite(line.ptr, 1, line.len, stdout);
		gt_cli_eor(cli);
	} else if (cli->nul) {
		fputs(gt_bead_id(b), stdout);
		gt_cli_eor(cli);
	} else {
		for (size_t k = 0; k < by->n; k++)
			gt_buf_printf(&col, "%s%s", k ? "," : "", by->v[k]);
		gt_table_row_bead(&line, b, gt_buf_cstr(&col), w);
		fwrite(line.ptr, 1, line.len, stdout);
	}
	gt_buf_release(&line);
	gt_buf_release(&col);
}

/* Print the beads as they are read, none kept (see gt-ready.c). */
static int print_blocked(struct gt_cli *cli, struct gt_ledger *lg, struct gt_graph *g,
			 const uint32_t *v, size_t n)
{
	const struct gt_index *idx = g->idx;
	struct gt_table_widths w = { { 0 } };
	struct gt_error_saved err = { 0, NULL, NULL };
	int aligned = !cli->json && !cli->nul && isatty(1), rc = 0;
	size_t stop = n;

	for (int pass = !aligned; pass < 2; pass++) {
		for (size_t i = 0; i < stop; i++) {
			struct gt_strlist by = { 0 };
			struct gt_buf col = GT_BUF_INIT;
			cJSON *b;

			rc = gt_ledger_read_bead_blob(&b, lg, gt_index_oid(idx, v[i]),
						      gt_index_id(idx, v[i]));
			if (rc == GT_EINVALID) {
				gt_ledger_note_bad(lg, gt_error_last());
				gt_error_clear();
				rc = 0;
				continue;
			}
			if (rc < 0) { /* what was read before it is still shown */
				stop = i;
				gt_error_save(&err);
				break;
			}
			gt_blocked_by(&by, g, v[i]);
			if (pass) {
				emit(cli, aligned ? &w : NULL, b, &by);
			} else {
				for (size_t k = 0; k < by.n; k++)
					gt_buf_printf(&col, "%s%s", k ? "," : "", by.v[k]);
				gt_table_measure_bead(&w, b, gt_buf_cstr(&col));
			}
			gt_strlist_release(&by);
			gt_buf_release(&col);
			cJSON_Delete(b);
		}
	}
	return err.code ? gt_error_restore(&err) : 0;
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
	rc = print_blocked(&cli, ctx.lg, &g, v, n);
out:
	free(v);
	gt_graph_release(&g);
	gt_buf_release(&parent);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
