/*
 * ansi.c - terminal text as styled runs, stripped, or as HTML (ansi.h).
 */
#include "base/ansi.h"

#include <string.h>

#include "base/banned.h"

/* An extended colour after 38 or 48 at p[0..n): "5;N" or "2;R;G;B".
 * Returns how many parameters it used; *c is left alone when they are
 * out of range. */
static int extended(const long *p, int n, long *c)
{
	if (n >= 2 && p[0] == 5) {
		if (p[1] >= 0 && p[1] <= 255)
			*c = p[1];
		return 2;
	}
	if (n >= 4 && p[0] == 2) {
		if (p[1] >= 0 && p[1] <= 255 && p[2] >= 0 && p[2] <= 255 && p[3] >= 0 &&
		    p[3] <= 255)
			*c = GT_ANSI_RGB | p[1] << 16 | p[2] << 8 | p[3];
		return 4;
	}
	return n;
}

static void sgr(struct gt_ansi_style *st, const long *p, int n)
{
	static const struct gt_ansi_style plain = GT_ANSI_STYLE_INIT;

	if (n == 0) {
		*st = plain;
		return;
	}
	for (int i = 0; i < n; i++) {
		long v = p[i];

		if (v == 0)
			*st = plain;
		else if (v == 1)
			st->bold = 1;
		else if (v == 2)
			st->dim = 1;
		else if (v == 3)
			st->italic = 1;
		else if (v == 4)
			st->underline = 1;
		else if (v == 7)
			st->reverse = 1;
		else if (v == 22)
			st->bold = st->dim = 0;
		else if (v == 23)
			st->italic = 0;
		else if (v == 24)
			st->underline = 0;
		else if (v == 27)
			st->reverse = 0;
		else if (v >= 30 && v <= 37)
			st->fg = v - 30;
		else if (v == 38)
			i += extended(p + i + 1, n - i - 1, &st->fg);
		else if (v == 39)
			st->fg = -1;
		else if (v >= 40 && v <= 47)
			st->bg = v - 40;
		else if (v == 48)
			i += extended(p + i + 1, n - i - 1, &st->bg);
		else if (v == 49)
			st->bg = -1;
		else if (v >= 90 && v <= 97)
			st->fg = v - 90 + 8;
		else if (v >= 100 && v <= 107)
			st->bg = v - 100 + 8;
	}
}

/* Skip the escape sequence at s (s[0] is ESC), applying an SGR to st;
 * returns where the text goes on. */
static const char *escape(const char *s, struct gt_ansi_style *st)
{
	s++;
	if (*s == '[') {
		/* CSI: parameters, intermediates, one final byte */
		long p[32], v = -1;
		int n = 0, private = 0;

		for (s++; *s >= 0x30 && *s <= 0x3f; s++) {
			if (*s >= '0' && *s <= '9') {
				v = (v < 0 ? 0 : v) * 10 + (*s - '0');
				if (v > 100000)
					v = 100000;
			} else if (*s == ';' || *s == ':') {
				if (n < 32)
					p[n++] = v < 0 ? 0 : v;
				v = -1;
			} else {
				private = 1; /* ? > = < */
			}
		}
		if (v >= 0 && n < 32)
			p[n++] = v;
		while (*s >= 0x20 && *s <= 0x2f)
			s++;
		if (*s == 'm' && !private)
			sgr(st, p, n);
		return *s ? s + 1 : s;
	}
	if (*s == ']' || *s == 'P' || *s == '_' || *s == '^') {
		/* OSC and other strings: up to BEL or ESC \ */
		while (*s && *s != '\a' && !(*s == '\033' && s[1] == '\\'))
			s++;
		return *s == '\a' ? s + 1 : *s ? s + 2 : s;
	}
	while (*s >= 0x20 && *s <= 0x2f) /* ESC ( B and the like */
		s++;
	return *s ? s + 1 : s;
}

int gt_ansi_next(const char **s, struct gt_ansi_style *st, const char **text, size_t *len)
{
	const char *p = *s;

	for (;;) {
		unsigned char c = (unsigned char)*p;

		if (!c) {
			*s = p;
			return 0;
		}
		if (c == '\033') {
			p = escape(p, st);
			continue;
		}
		if (c == '\n' || c == '\t') {
			*text = p;
			*len = 1;
			*s = p + 1;
			return 1;
		}
		if (c < 0x20 || c == 0x7f) {
			p++;
			continue;
		}
		break;
	}
	*text = p;
	while ((unsigned char)*p >= 0x20 && *p != 0x7f)
		p++;
	*len = (size_t)(p - *text);
	*s = p;
	return 1;
}

int gt_ansi_basic(long c)
{
	long r, g, b;

	if (c < 0)
		return -1;
	if (c < 16)
		return (int)(c % 8);
	if (c & GT_ANSI_RGB) {
		r = (c >> 16) & 255, g = (c >> 8) & 255, b = c & 255;
		return (r >= 128) | (g >= 128) << 1 | (b >= 128) << 2;
	}
	if (c < 232) { /* the 6x6x6 cube: each channel on or off */
		c -= 16;
		return (c / 36 >= 3) | (c / 6 % 6 >= 3) << 1 | (c % 6 >= 3) << 2;
	}
	return c >= 244 ? 7 : 0; /* the grey ramp */
}

void gt_ansi_strip(struct gt_buf *out, const char *s)
{
	struct gt_ansi_style st = GT_ANSI_STYLE_INIT;
	const char *text;
	size_t len;

	while (gt_ansi_next(&s, &st, &text, &len)) {
		if (*text == '\t')
			gt_buf_addch(out, ' ');
		else
			gt_buf_add(out, text, len);
	}
}

/* ---- HTML ---- */

static void rgb_of(long c, int *r, int *g, int *b)
{
	if (c & GT_ANSI_RGB) {
		*r = (int)((c >> 16) & 255), *g = (int)((c >> 8) & 255), *b = (int)(c & 255);
	} else if (c >= 232) { /* the grey ramp */
		*r = *g = *b = (int)(8 + (c - 232) * 10);
	} else { /* the 6x6x6 cube */
		static const int lv[] = { 0, 95, 135, 175, 215, 255 };

		c -= 16;
		*r = lv[c / 36], *g = lv[(c / 6) % 6], *b = lv[c % 6];
	}
}

static int is_plain(const struct gt_ansi_style *s)
{
	return !s->bold && !s->dim && !s->italic && !s->underline && !s->reverse && s->fg < 0 &&
	       s->bg < 0;
}

static int same(const struct gt_ansi_style *a, const struct gt_ansi_style *b)
{
	return a->fg == b->fg && a->bg == b->bg && a->bold == b->bold && a->dim == b->dim &&
	       a->italic == b->italic && a->underline == b->underline && a->reverse == b->reverse;
}

static void open_span(struct gt_buf *out, const struct gt_ansi_style *s)
{
	struct gt_buf style = GT_BUF_INIT;
	int r, g, b;

	gt_buf_adds(out, "<span class=\"a");
	if (s->bold)
		gt_buf_adds(out, " a-b");
	if (s->dim)
		gt_buf_adds(out, " a-d");
	if (s->italic)
		gt_buf_adds(out, " a-i");
	if (s->underline)
		gt_buf_adds(out, " a-u");
	if (s->reverse)
		gt_buf_adds(out, " a-r");
	if (s->fg >= 0 && s->fg < 16)
		gt_buf_printf(out, " f%ld", s->fg);
	if (s->bg >= 0 && s->bg < 16)
		gt_buf_printf(out, " g%ld", s->bg);
	gt_buf_addch(out, '"');
	if (s->fg >= 16) {
		rgb_of(s->fg, &r, &g, &b);
		gt_buf_printf(&style, "color:#%02x%02x%02x;", r, g, b);
	}
	if (s->bg >= 16) {
		rgb_of(s->bg, &r, &g, &b);
		gt_buf_printf(&style, "background:#%02x%02x%02x;", r, g, b);
	}
	if (style.len)
		gt_buf_printf(out, " style=\"%s\"", style.ptr);
	gt_buf_addch(out, '>');
	gt_buf_release(&style);
}

void gt_ansi_html(struct gt_buf *out, const char *s)
{
	struct gt_ansi_style cur = GT_ANSI_STYLE_INIT, shown = cur;
	const char *text;
	size_t len;
	int open = 0;

	while (gt_ansi_next(&s, &cur, &text, &len)) {
		if (!same(&cur, &shown)) {
			if (open)
				gt_buf_adds(out, "</span>");
			open = !is_plain(&cur);
			if (open)
				open_span(out, &cur);
			shown = cur;
		}
		for (size_t i = 0; i < len; i++) {
			switch (text[i]) {
			case '&': gt_buf_adds(out, "&amp;"); break;
			case '<': gt_buf_adds(out, "&lt;"); break;
			case '>': gt_buf_adds(out, "&gt;"); break;
			case '"': gt_buf_adds(out, "&quot;"); break;
			case '\'': gt_buf_adds(out, "&#39;"); break;
			default: gt_buf_addch(out, text[i]);
			}
		}
	}
	if (open)
		gt_buf_adds(out, "</span>");
}
