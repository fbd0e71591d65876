/*
 * ansi.c - SGR escapes to HTML spans (ansi.h).  A small state machine:
 * the current attributes live in one struct; whenever a sequence changes
 * them, the open span (if any) is closed and one for the new state opened
 * before the next visible character.
 */
#include <string.h>

#include "base/ansi.h"
#include "base/banned.h"

struct sgr {
	int bold, dim, italic, under, rev;
	long fg, bg; /* -1 default, 0..15 palette, 16..255 xterm, or 0x1000000|rgb */
};

#define RGB_FLAG 0x1000000L

static void rgb_of(long c, int *r, int *g, int *b)
{
	if (c & RGB_FLAG) {
		*r = (int)((c >> 16) & 255), *g = (int)((c >> 8) & 255), *b = (int)(c & 255);
	} else if (c >= 232) { /* the grey ramp */
		*r = *g = *b = (int)(8 + (c - 232) * 10);
	} else { /* the 6x6x6 cube */
		static const int lv[] = { 0, 95, 135, 175, 215, 255 };

		c -= 16;
		*r = lv[c / 36], *g = lv[(c / 6) % 6], *b = lv[c % 6];
	}
}

static int is_plain(const struct sgr *s)
{
	return !s->bold && !s->dim && !s->italic && !s->under && !s->rev && s->fg < 0 && s->bg < 0;
}

static void open_span(struct gt_buf *out, const struct sgr *s)
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
	if (s->under)
		gt_buf_adds(out, " a-u");
	if (s->rev)
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

/* An extended colour after 38 or 48: "5;N" or "2;R;G;B".  Returns how
 * many parameters it used; *c is left alone when they are bad. */
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
			*c = RGB_FLAG | p[1] << 16 | p[2] << 8 | p[3];
		return 4;
	}
	return n;
}

static void apply(struct sgr *s, const long *p, int n)
{
	static const struct sgr plain = { 0, 0, 0, 0, 0, -1, -1 };

	if (!n) {
		*s = plain;
		return;
	}
	for (int i = 0; i < n; i++) {
		long v = p[i];

		if (v == 0)
			*s = plain;
		else if (v == 1)
			s->bold = 1;
		else if (v == 2)
			s->dim = 1;
		else if (v == 3)
			s->italic = 1;
		else if (v == 4)
			s->under = 1;
		else if (v == 7)
			s->rev = 1;
		else if (v == 22)
			s->bold = s->dim = 0;
		else if (v == 23)
			s->italic = 0;
		else if (v == 24)
			s->under = 0;
		else if (v == 27)
			s->rev = 0;
		else if (v >= 30 && v <= 37)
			s->fg = v - 30;
		else if (v == 38)
			i += extended(p + i + 1, n - i - 1, &s->fg);
		else if (v == 39)
			s->fg = -1;
		else if (v >= 40 && v <= 47)
			s->bg = v - 40;
		else if (v == 48)
			i += extended(p + i + 1, n - i - 1, &s->bg);
		else if (v == 49)
			s->bg = -1;
		else if (v >= 90 && v <= 97)
			s->fg = v - 90 + 8;
		else if (v >= 100 && v <= 107)
			s->bg = v - 100 + 8;
	}
}

void gt_ansi_html(struct gt_buf *out, const char *s, size_t n)
{
	struct sgr cur = { 0, 0, 0, 0, 0, -1, -1 }, shown = cur;
	int open = 0;
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0x1b) {
			size_t j = i + 1;

			if (j < n && s[j] == '[') { /* CSI: parameters, intermediates, final */
				long p[32];
				int np = 0, bad = 0;
				long v = -1;

				for (j++; j < n && (unsigned char)s[j] >= 0x30 &&
					  (unsigned char)s[j] <= 0x3f;
				     j++) {
					char d = s[j];

					if (d >= '0' && d <= '9') {
						v = (v < 0 ? 0 : v) * 10 + (d - '0');
						if (v > 100000)
							v = 100000;
					} else if (d == ';' || d == ':') {
						if (np < 32)
							p[np++] = v < 0 ? 0 : v;
						v = -1;
					} else {
						bad = 1; /* private modes: ? > = < */
					}
				}
				if (v >= 0 && np < 32)
					p[np++] = v;
				while (j < n && (unsigned char)s[j] >= 0x20 &&
				       (unsigned char)s[j] <= 0x2f)
					j++;
				if (j < n && s[j] == 'm' && !bad)
					apply(&cur, p, np);
				i = j < n ? j + 1 : n;
			} else if (j < n && s[j] == ']') { /* OSC: up to BEL or ESC \ */
				for (j++; j < n && s[j] != '\a' && s[j] != 0x1b; j++)
					;
				if (j < n && s[j] == 0x1b && j + 1 < n && s[j + 1] == '\\')
					j++;
				i = j < n ? j + 1 : n;
			} else {
				i = j < n ? j + 1 : n; /* ESC and one character */
			}
			continue;
		}
		if (c < 0x20 && c != '\n' && c != '\t') {
			i++;
			continue;
		}
		if (c == 0x7f) {
			i++;
			continue;
		}
		if (memcmp(&cur, &shown, sizeof(cur))) {
			if (open)
				gt_buf_adds(out, "</span>");
			open = !is_plain(&cur);
			if (open)
				open_span(out, &cur);
			shown = cur;
		}
		switch (c) {
		case '&': gt_buf_adds(out, "&amp;"); break;
		case '<': gt_buf_adds(out, "&lt;"); break;
		case '>': gt_buf_adds(out, "&gt;"); break;
		case '"': gt_buf_adds(out, "&quot;"); break;
		case '\'': gt_buf_adds(out, "&#39;"); break;
		default: gt_buf_addch(out, c);
		}
		i++;
	}
	if (open)
		gt_buf_adds(out, "</span>");
}
