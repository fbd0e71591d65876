/*
 * format.c - tables and bead views for people.
 */
#include "store/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "store/bead.h"
#include "base/banned.h"

void gt_table_init(struct gt_table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void gt_format_oneline(struct gt_buf *out, const char *s)
{
	for (; s && *s; s++)
		gt_buf_addch(out, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

void gt_table_add(struct gt_table *t, const char *cell)
{
	struct gt_buf b = GT_BUF_INIT;

	gt_format_oneline(&b, cell && *cell ? cell : "-");
	GT_ALLOC_GROW(t->cells, t->n + 1, t->alloc);
	t->cells[t->n++] = gt_buf_detach(&b);
}

/* display width of UTF-8 text: one column per code point (good enough) */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

void gt_table_render(struct gt_table *t, struct gt_buf *out, int aligned)
{
	size_t *w = calloc(t->ncols ? t->ncols : 1, sizeof(*w));

	if (!w)
		abort();
	for (size_t i = 0; i < t->n; i++) {
		size_t c = i % t->ncols, cw = width(t->cells[i]);

		if (cw > w[c])
			w[c] = cw;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t c = i % t->ncols;
		int last = c == t->ncols - 1;

		gt_buf_adds(out, t->cells[i]);
		if (last) {
			gt_buf_addch(out, '\n');
		} else if (aligned) {
			for (size_t k = width(t->cells[i]); k < w[c] + 2; k++)
				gt_buf_addch(out, ' ');
		} else {
			gt_buf_addch(out, '\t');
		}
	}
	free(w);
}

void gt_table_release(struct gt_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

void gt_table_add_bead(struct gt_table *t, const cJSON *b)
{
	char prio[8];

	snprintf(prio, sizeof(prio), "P%d", gt_bead_priority(b));
	gt_table_add(t, gt_bead_id(b));
	gt_table_add(t, prio);
	gt_table_add(t, gt_bead_status(b));
	gt_table_add(t, gt_bead_type(b));
	gt_table_add(t, gt_json_str(b, "assignee"));
	gt_table_add(t, gt_json_str(b, "title"));
}

/* the cells of a bead's row, as gt_table_add() makes them */
static size_t bead_cells(struct gt_buf cells[7], const cJSON *b, const char *extra)
{
	char prio[8];
	const char *raw[7];
	size_t n = extra ? 7 : 6;

	snprintf(prio, sizeof(prio), "P%d", gt_bead_priority(b));
	raw[0] = gt_bead_id(b);
	raw[1] = prio;
	raw[2] = gt_bead_status(b);
	raw[3] = gt_bead_type(b);
	raw[4] = gt_json_str(b, "assignee");
	raw[5] = gt_json_str(b, "title");
	raw[6] = extra;
	for (size_t c = 0; c < n; c++) {
		gt_buf_init(&cells[c], 0);
		gt_format_oneline(&cells[c], raw[c] && *raw[c] ? raw[c] : "-");
	}
	return n;
}

void gt_table_measure_bead(struct gt_table_widths *w, const cJSON *b, const char *extra)
{
	struct gt_buf cells[7];
	size_t n = bead_cells(cells, b, extra);

	for (size_t c = 0; c < n; c++) {
		size_t cw = width(gt_buf_cstr(&cells[c]));

		if (cw > w->w[c])
			w->w[c] = cw;
		gt_buf_release(&cells[c]);
	}
}

void gt_table_row_bead(struct gt_buf *out, const cJSON *b, const char *extra,
		       const struct gt_table_widths *w)
{
	struct gt_buf cells[7];
	size_t n = bead_cells(cells, b, extra);

	for (size_t c = 0; c < n; c++) {
		const char *cell = gt_buf_cstr(&cells[c]);

		gt_buf_adds(out, cell);
		if (c == n - 1)
			gt_buf_addch(out, '\n');
		else if (w)
			for (size_t k = width(cell); k < w->w[c] + 2; k++)
				gt_buf_addch(out, ' ');
		else
			gt_buf_addch(out, '\t');
		gt_buf_release(&cells[c]);
	}
}

static void section(struct gt_buf *out, const char *name, const char *text)
{
	if (!text || !*text)
		return;
	gt_buf_printf(out, "\n%s:\n", name);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		gt_buf_adds(out, "  ");
		gt_buf_add(out, p, n);
		gt_buf_addch(out, '\n');
		p += n + (nl ? 1 : 0);
	}
}

static void field(struct gt_buf *out, const char *label, const char *val)
{
	if (!val || !*val)
		return;
	gt_buf_printf(out, "%-10s ", label);
	gt_format_oneline(out, val);
	gt_buf_addch(out, '\n');
}

void gt_format_bead(struct gt_buf *out, const cJSON *b, int color)
{
	const cJSON *c, *labels = cJSON_GetObjectItemCaseSensitive(b, "labels");
	char line[64];
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";

	gt_buf_printf(out, "%s%s%s: ", bold, gt_bead_id(b), reset);
	gt_format_oneline(out, gt_json_str(b, "title"));
	gt_buf_addch(out, '\n');
	snprintf(line, sizeof(line), "P%d", gt_bead_priority(b));
	gt_buf_printf(out, "%-10s %s   priority %s   type %s\n", "status:", gt_bead_status(b), line,
		      gt_bead_type(b));
	field(out, "assignee:", gt_json_str(b, "assignee"));
	field(out, "owner:", gt_json_str(b, "owner"));
	if (gt_json_str(b, "created_at")) {
		gt_buf_printf(out, "%-10s %s", "created:", gt_json_str(b, "created_at"));
		if (gt_json_str(b, "created_by")) {
			gt_buf_adds(out, " by ");
			gt_format_oneline(out, gt_json_str(b, "created_by"));
		}
		gt_buf_addch(out, '\n');
	}
	field(out, "updated:", gt_json_str(b, "updated_at"));
	field(out, "closed:", gt_json_str(b, "closed_at"));
	field(out, "reason:", gt_json_str(b, "close_reason"));
	field(out, "deferred:", gt_json_str(b, "defer_until"));
	field(out, "due:", gt_json_str(b, "due_at"));
	field(out, "deleted:", gt_json_str(b, "deleted_at"));
	field(out, "ref:", gt_json_str(b, "external_ref"));
	if (cJSON_GetArraySize(labels)) {
		struct gt_buf l = GT_BUF_INIT;

		cJSON_ArrayForEach (c, labels)
			if (cJSON_IsString(c))
				gt_buf_printf(&l, "%s%s", l.len ? ", " : "", c->valuestring);
		field(out, "labels:", l.ptr);
		gt_buf_release(&l);
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "dependencies"))) {
		gt_buf_adds(out, "\ndepends on:\n");
		cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(b, "dependencies")) {
			gt_buf_adds(out, "  ");
			gt_format_oneline(out, gt_json_str(c, "type"));
			gt_buf_adds(out, " ");
			gt_format_oneline(out, gt_json_str(c, "depends_on_id"));
			gt_buf_addch(out, '\n');
		}
	}
	section(out, "description", gt_json_str(b, "description"));
	section(out, "design", gt_json_str(b, "design"));
	section(out, "acceptance", gt_json_str(b, "acceptance_criteria"));
	section(out, "notes", gt_json_str(b, "notes"));
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "comments"))) {
		gt_buf_adds(out, "\ncomments:\n");
		cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(b, "comments")) {
			struct gt_buf hdr = GT_BUF_INIT;

			gt_buf_printf(&hdr, "%s %s",
				      gt_json_str(c, "created_at") ? gt_json_str(c, "created_at")
								   : "",
				      gt_json_str(c, "author") ? gt_json_str(c, "author") : "");
			gt_buf_adds(out, "  ");
			gt_format_oneline(out, hdr.ptr);
			gt_buf_addch(out, '\n');
			for (const char *p = gt_json_str(c, "text"); p && *p;) {
				const char *nl = strchr(p, '\n');
				size_t n = nl ? (size_t)(nl - p) : strlen(p);

				gt_buf_adds(out, "    ");
				gt_buf_add(out, p, n);
				gt_buf_addch(out, '\n');
				p += n + (nl ? 1 : 0);
			}
			gt_buf_release(&hdr);
		}
	}
}
