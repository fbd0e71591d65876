/*
 * format.h - output for people: tables and bead views, built in buffers
 * (the command decides where they go).
 *
 * Tables: columns separated by a tab when the output is not a terminal (so
 * `cut -f1` gives the id column), padded into aligned columns when it is.
 * The last column is never padded.
 */
#ifndef GT_FORMAT_H
#define GT_FORMAT_H

#include <cjson/cJSON.h>

#include "base/buf.h"

struct gt_table {
	char **cells;
	size_t ncols, n, alloc; /* n cells so far */
};

void gt_table_init(struct gt_table *t, size_t ncols);
/* Add one cell (copied); NULL or "" becomes "-". Control characters are
 * shown as spaces so one row stays one line. */
void gt_table_add(struct gt_table *t, const char *cell);
void gt_table_render(struct gt_table *t, struct gt_buf *out, int aligned);
void gt_table_release(struct gt_table *t);

/* Append the table row cells for a bead: id, priority, status, type,
 * assignee, title. */
void gt_table_add_bead(struct gt_table *t, const cJSON *bead);

/*
 * The same table one row at a time, kept nowhere, for listings of any
 * length: each row is appended as soon as its bead is read.  Rows of
 * tab-separated cells need nothing else; aligned rows need the widest
 * cell of each column first, so their beads are measured in a first pass
 * (gt_table_measure_bead) and printed in a second.  Rows and widths are
 * exactly gt_table_render()'s for the same beads.  extra: a last column
 * after the title (NULL: none), its cell text.
 */
struct gt_table_widths {
	size_t w[7];
};

void gt_table_measure_bead(struct gt_table_widths *w, const cJSON *bead, const char *extra);
/* w NULL: cells separated by tabs; else padded to w. */
void gt_table_row_bead(struct gt_buf *out, const cJSON *bead, const char *extra,
		       const struct gt_table_widths *w);

/* Append the multi-line human view of a bead (gt-bead-show). */
void gt_format_bead(struct gt_buf *out, const cJSON *bead, int color);

/* Append s with control characters replaced by spaces. */
void gt_format_oneline(struct gt_buf *out, const char *s);

#endif
