/*
 * cli-format.c - --format TEMPLATE: beads printed through a small
 * Go-template-like text ("{{id}}\t{{title}}") for people who would
 * rather not reach for jq (cli.h).  One walker both checks a template
 * (before the ledger is opened, so a typo is a usage error) and renders
 * it, so the two can never disagree on what is a field.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

static const char *const fields[] = {
	"id", "title", "status", "priority", "type", "assignee", "labels", NULL,
};

static void field_value(struct gt_buf *out, const cJSON *b, int f)
{
	const char *s = NULL;
	const cJSON *l;
	size_t start = out->len;

	switch (f) {
	case 0: s = gt_bead_id(b); break;
	case 1: s = gt_json_str(b, "title"); break;
	case 2: s = gt_bead_status(b); break;
	case 3: gt_buf_printf(out, "%d", gt_bead_priority(b)); return;
	case 4: s = gt_bead_type(b); break;
	case 5: s = gt_json_str(b, "assignee"); break;
	default:
		cJSON_ArrayForEach (l, cJSON_GetObjectItemCaseSensitive(b, "labels"))
			if (cJSON_IsString(l)) {
				if (out->len > start)
					gt_buf_addch(out, ',');
				gt_format_oneline(out, l->valuestring);
			}
		return;
	}
	/* one record stays one line whatever a title holds */
	gt_format_oneline(out, s ? s : "");
}

/* Walk tmpl: append it rendered for b to out, or with b NULL only check
 * it.  Returns 0, or -1 with the offending text in *bad, *badlen. */
static int walk(struct gt_buf *out, const char *tmpl, const cJSON *b, const char **bad,
		size_t *badlen)
{
	for (const char *p = tmpl; *p;) {
		if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n' || p[1] == '\\')) {
			if (out)
				gt_buf_addch(out, p[1] == 't' ? '\t' : p[1] == 'n' ? '\n' : '\\');
			p += 2;
		} else if (p[0] == '{' && p[1] == '{') {
			const char *end = strstr(p + 2, "}}"), *n = p + 2, *e;
			int f;

			*bad = p;
			*badlen = end ? (size_t)(end + 2 - p) : strlen(p);
			if (!end)
				return -1;
			while (n < end && *n == ' ')
				n++;
			if (n < end && *n == '.') /* {{.id}}, as Go writes it */
				n++;
			for (e = end; e > n && e[-1] == ' ';)
				e--;
			for (f = 0; fields[f]; f++)
				if (strlen(fields[f]) == (size_t)(e - n) &&
				    !strncmp(fields[f], n, e - n))
					break;
			if (!fields[f])
				return -1;
			if (out)
				field_value(out, b, f);
			p = end + 2;
		} else {
			if (out)
				gt_buf_addch(out, *p);
			p++;
		}
	}
	return 0;
}

void gt_cli_format_check(struct gt_cli *cli, const char *tmpl)
{
	const char *bad;
	size_t badlen;

	if (cli->json)
		gt_cli_usage_error(cli, "--format and --json cannot be used together");
	if (walk(NULL, tmpl, NULL, &bad, &badlen) == 0)
		return;
	if (!strstr(bad, "}}"))
		gt_cli_usage_error(cli, "--format: '%s' has no closing '}}'", bad);
	gt_cli_usage_error(cli,
			   "--format: unknown field '%.*s'; known: {{id}} {{title}} {{status}} "
			   "{{priority}} {{type}} {{assignee}} {{labels}}",
			   (int)badlen, bad);
}

void gt_cli_format_bead(struct gt_buf *out, const char *tmpl, const cJSON *bead)
{
	const char *bad;
	size_t badlen;

	walk(out, tmpl, bead, &bad, &badlen);
}

void gt_cli_print_format(struct gt_cli *cli, const char *tmpl, const cJSON *bead)
{
	struct gt_buf b = GT_BUF_INIT;

	gt_cli_format_bead(&b, tmpl, bead);
	fwrite(b.ptr ? b.ptr : "", 1, b.len, stdout);
	gt_cli_eor(cli);
	gt_buf_release(&b);
}

int gt_cli_print_ids_format(struct gt_cli *cli, struct gt_ledger *lg, const char *tmpl,
			    const char *const *ids, const git_oid *const *blobs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cJSON *b;
		int rc = gt_ledger_read_bead_blob(&b, lg, blobs ? blobs[i] : NULL, ids[i]);

		if (rc < 0)
			return rc;
		gt_cli_print_format(cli, tmpl, b);
		cJSON_Delete(b);
	}
	return 0;
}

/* The table's extra last column for rec (empty without extra). */
static void extra_column(struct gt_buf *col, const struct gt_cli_bead_extra *extra, uint32_t rec)
{
	gt_buf_reset(col);
	if (extra)
		extra->column(col, rec, extra->ctx);
}

static void emit(struct gt_cli *cli, const char *format, const struct gt_table_widths *w, cJSON *b,
		 const struct gt_cli_bead_extra *extra, uint32_t rec)
{
	struct gt_buf line = GT_BUF_INIT, col = GT_BUF_INIT;

	if (format) {
		gt_cli_print_format(cli, format, b);
	} else if (cli->json) {
		gt_bead_canonicalize(b);
		if (extra)
			extra->json(b, rec, extra->ctx);
		gt_json_write(&line, b);
		fwrite(line.ptr, 1, line.len, stdout);
		gt_cli_eor(cli);
	} else if (cli->nul) {
		fputs(gt_bead_id(b), stdout);
		gt_cli_eor(cli);
	} else {
		extra_column(&col, extra, rec);
		gt_table_row_bead(&line, b, extra ? gt_buf_cstr(&col) : NULL, w);
		fwrite(line.ptr, 1, line.len, stdout);
	}
	gt_buf_release(&line);
	gt_buf_release(&col);
}

/* Print the beads as they are read, none kept: an aligned table (people
 * at a terminal) is measured in a first pass.  An unreadable bead is
 * left out and named once at the end (with --format it fails). */
int gt_cli_print_beads(struct gt_cli *cli, struct gt_ledger *lg, const struct gt_index *idx,
		       const uint32_t *v, size_t n, const char *format,
		       const struct gt_cli_bead_extra *extra)
{
	struct gt_table_widths w = { { 0 } };
	struct gt_error_saved err = { 0, NULL, NULL };
	struct gt_buf col = GT_BUF_INIT;
	int aligned = !format && !cli->json && !cli->nul && isatty(1), rc = 0;
	size_t stop = n;

	for (int pass = !aligned; pass < 2; pass++) {
		for (size_t i = 0; i < stop; i++) {
			cJSON *b;

			rc = gt_ledger_read_bead_blob(&b, lg, gt_index_oid(idx, v[i]),
						      gt_index_id(idx, v[i]));
			if (rc == GT_EINVALID && !format) {
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
			if (pass) {
				emit(cli, format, aligned ? &w : NULL, b, extra, v[i]);
			} else {
				extra_column(&col, extra, v[i]);
				gt_table_measure_bead(&w, b, extra ? gt_buf_cstr(&col) : NULL);
			}
			cJSON_Delete(b);
		}
	}
	gt_buf_release(&col);
	return err.code ? gt_error_restore(&err) : 0;
}
