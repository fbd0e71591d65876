/*
 * dot.h - Graphviz: writing DOT text safely and drawing it with dot(1).
 *
 * Titles and ids come from strangers (agents, imported trackers), so every
 * string that goes into DOT goes through gt_dot_quote(); nothing here ever
 * passes through a shell.
 */
#ifndef GT_DOT_H
#define GT_DOT_H

#include "base/buf.h"

/* Append s to out as a DOT quoted string ("..."), to be read as an
 * escString (a label, a tooltip): quotes and backslashes are escaped (so
 * Graphviz's \N, \G, \l ... never fire), a line break becomes \n, other
 * control characters are dropped, and bytes that are not UTF-8 become
 * '?' (Graphviz rejects them).  s NULL is "". */
void gt_dot_quote(struct gt_buf *out, const char *s);

/* Run `dot -T<format>` (svg, png, ...) on the DOT text dot and put what
 * it prints in out (reset first).  GT_EFAIL when dot is not installed
 * (with a hint naming the Debian package graphviz) or fails (its message
 * after ": "). */
int gt_dot_render(struct gt_buf *out, const struct gt_buf *dot, const char *format);

#endif
