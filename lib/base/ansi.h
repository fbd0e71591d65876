/*
 * ansi.h - the colours and attributes in terminal text (a tmux pane
 * captured with capture-pane -e): runs of plain text with a style, the
 * text stripped, or HTML a page can show as it is.
 *
 * Only SGR sequences (ESC [ ... m) carry style; every other escape
 * sequence (cursor moves, modes, OSC titles, charset switches) is
 * dropped, and so is every control character but newline and tab.
 */
#ifndef GT_ANSI_H
#define GT_ANSI_H

#include <stddef.h>

#include "base/buf.h"

/* a 24-bit colour: GT_ANSI_RGB | 0xrrggbb */
#define GT_ANSI_RGB 0x1000000L

struct gt_ansi_style {
	/* -1 the default, 0-15 the palette (8-15 the bright ones), 16-255
	 * xterm's 256 colours, or GT_ANSI_RGB | 0xrrggbb */
	long fg, bg;
	unsigned bold : 1, dim : 1, italic : 1, underline : 1, reverse : 1;
};

#define GT_ANSI_STYLE_INIT            \
	{                             \
		-1, -1, 0, 0, 0, 0, 0 \
	}

/* The next run of text at *s (NUL-terminated): escape sequences before it
 * are applied to st (SGR) or skipped; *text and *len get the run (a
 * pointer into s), which holds no control character and ends before the
 * next escape, control character, tab or newline; a newline and a tab are
 * runs of their own ("\n" or "\t", length 1).  *s moves past the run.
 * Returns 0 at the end of the string, 1 otherwise. */
int gt_ansi_next(const char **s, struct gt_ansi_style *st, const char **text, size_t *len);

/* The nearest of the eight basic colours (0-7: black red green yellow
 * blue magenta cyan white) to a style's colour, which is all a curses
 * screen is sure to have; -1 (the default) stays -1. */
int gt_ansi_basic(long colour);

/* Append s without its escape sequences and control characters (tabs as
 * spaces, newlines kept) to out. */
void gt_ansi_strip(struct gt_buf *out, const char *s);

/* Append s to out as HTML: the characters & < > " ' escaped, styles as
 * <span class="..."> with classes a-b (bold), a-d (dim), a-i (italic),
 * a-u (underline), a-r (reverse), f0..f15 and g0..g15 (the palette,
 * foreground and background), and an inline style for 256-colour and
 * 24-bit values.  Spans are always closed at the end, so the result is
 * well-formed whatever the input. */
void gt_ansi_html(struct gt_buf *out, const char *s);

#endif
