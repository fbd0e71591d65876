/*
 * ansi.h - the colours and attributes in terminal text (tmux's
 * capture-pane -e), as runs of plain text with a style, or stripped.
 *
 * Only SGR sequences (ESC [ ... m) carry style; every other escape
 * sequence (cursor moves, OSC titles, charset switches) is dropped, and
 * so are control characters, but for a tab, which becomes one space.
 * Colours are folded onto the eight basic ones (the 16 bright ones,
 * 256-colour indexes and 24-bit colours alike), which is all a curses
 * screen is sure to have.
 */
#ifndef GT_ANSI_H
#define GT_ANSI_H

#include <stddef.h>

#include "base/buf.h"

struct gt_ansi_style {
	int fg, bg; /* 0-7 (black red green yellow blue magenta cyan white), -1: default */
	unsigned bold : 1, underline : 1, reverse : 1;
};

#define GT_ANSI_STYLE_INIT      \
	{                       \
		-1, -1, 0, 0, 0 \
	}

/* The next run of text at *s: escape sequences before it are applied to
 * st (SGR) or skipped, *text and *len get the run (a pointer into s, or
 * to a static " " for a tab), which holds no control character and ends
 * before the next escape, control character or newline; a newline is a
 * run of its own ("\n", length 1).  *s moves past the run.  Returns 0 at
 * the end of the string, 1 otherwise. */
int gt_ansi_next(const char **s, struct gt_ansi_style *st, const char **text, size_t *len);

/* Append s without its escape sequences and control characters (tabs as
 * spaces, newlines kept) to out. */
void gt_ansi_strip(struct gt_buf *out, const char *s);

#endif
