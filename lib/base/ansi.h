/*
 * ansi.h - terminal text (a tmux pane captured with its escapes) as HTML
 * that a page can show as it is: SGR colours and attributes become
 * <span> elements, everything else is escaped or dropped.
 */
#ifndef GT_ANSI_H
#define GT_ANSI_H

#include <stddef.h>

#include "base/buf.h"

/* Append s[0..n) to out as HTML: the characters & < > " ' escaped, SGR
 * sequences (ESC [ ... m) turned into <span class="..."> with classes
 * a-b (bold), a-d (dim), a-i (italic), a-u (underline), a-r (reverse),
 * f0..f15 and g0..g15 (the 16 colours, foreground and background), and
 * an inline style for 256-colour and true-colour values; every other
 * escape sequence (cursor moves, OSC titles) and control character but
 * newline and tab is dropped.  Spans are always closed at the end, so
 * the result is well-formed whatever the input. */
void gt_ansi_html(struct gt_buf *out, const char *s, size_t n);

#endif
