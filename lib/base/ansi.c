/*
 * ansi.c - terminal text as styled runs (ansi.h).
 */
#include "base/ansi.h"

#include <string.h>

#include "base/banned.h"

/* The nearest basic colour of a 256-colour index: the 16 system colours
 * fold onto their base, the 6x6x6 cube and the grey ramp take each
 * channel as on or off. */
static int fold256(long n)
{
	if (n < 16)
		return (int)(n % 8);
	if (n < 232) {
		long c = n - 16, r = c / 36, g = c / 6 % 6, b = c % 6;

		return (r >= 3) | (g >= 3) << 1 | (b >= 3) << 2;
	}
	return n >= 244 ? 7 : 0;
}

static int fold_rgb(long r, long g, long b)
{
	return (r >= 128) | (g >= 128) << 1 | (b >= 128) << 2;
}

/* An extended colour (38/48 ;5;n or ;2;r;g;b) starting at p[i]; returns
 * how many parameters it used after the 38 or 48. */
static int extended(const long *p, int n, int i, int *colour)
{
	if (i + 1 < n && p[i + 1] == 5) {
		if (i + 2 < n)
			*colour = fold256(p[i + 2]);
		return 2;
	}
	if (i + 1 < n && p[i + 1] == 2) {
		if (i + 4 < n)
			*colour = fold_rgb(p[i + 2], p[i + 3], p[i + 4]);
		return 4;
	}
	return 0;
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
		else if (v == 4)
			st->underline = 1;
		else if (v == 7)
			st->reverse = 1;
		else if (v == 22)
			st->bold = 0;
		else if (v == 24)
			st->underline = 0;
		else if (v == 27)
			st->reverse = 0;
		else if (v >= 30 && v <= 37)
			st->fg = (int)(v - 30);
		else if (v == 39)
			st->fg = -1;
		else if (v >= 40 && v <= 47)
			st->bg = (int)(v - 40);
		else if (v == 49)
			st->bg = -1;
		else if (v >= 90 && v <= 97)
			st->fg = (int)(v - 90);
		else if (v >= 100 && v <= 107)
			st->bg = (int)(v - 100);
		else if (v == 38)
			i += extended(p, n, i, &st->fg);
		else if (v == 48)
			i += extended(p, n, i, &st->bg);
	}
}

/* Skip the escape sequence at s (s[0] is ESC), applying an SGR to st;
 * returns where the text goes on. */
static const char *escape(const char *s, struct gt_ansi_style *st)
{
	long p[32];
	int n = 0;

	s++;
	if (*s == '[') {
		/* CSI: parameters, intermediates, one final byte */
		s++;
		p[0] = 0;
		while (*s >= 0x30 && *s <= 0x3f) {
			if (*s >= '0' && *s <= '9') {
				if (n == 0)
					n = 1;
				if (n <= 32 && p[n - 1] < 100000)
					p[n - 1] = p[n - 1] * 10 + (*s - '0');
			} else if (*s == ';' || *s == ':') {
				if (n == 0)
					n = 1;
				if (n < 32)
					p[n++] = 0;
				else
					n = 33;
			}
			s++;
		}
		while (*s >= 0x20 && *s <= 0x2f)
			s++;
		if (*s == 'm' && n <= 32)
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
			*text = c == '\n' ? "\n" : " ";
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

void gt_ansi_strip(struct gt_buf *out, const char *s)
{
	struct gt_ansi_style st = GT_ANSI_STYLE_INIT;
	const char *text;
	size_t len;

	while (gt_ansi_next(&s, &st, &text, &len))
		gt_buf_add(out, text, len);
}
