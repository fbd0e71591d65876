/*
 * jscan.c - pull scanner for JSON (see jscan.h).
 */
#include "base/jscan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/banned.h"

void gt_jscan_init(struct gt_jscan *s, const char *data, size_t len)
{
	s->p = data;
	s->end = data + len;
	s->err = 0;
}

static void ws(struct gt_jscan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r'))
		s->p++;
}

static int expect(struct gt_jscan *s, char c)
{
	ws(s);
	if (s->p >= s->end || *s->p != c) {
		s->err = 1;
		return -1;
	}
	s->p++;
	return 0;
}

int gt_jscan_enter_object(struct gt_jscan *s)
{
	return expect(s, '{');
}

int gt_jscan_enter_array(struct gt_jscan *s)
{
	return expect(s, '[');
}

int gt_jscan_peek(struct gt_jscan *s)
{
	ws(s);
	return s->p < s->end ? *s->p : 0;
}

/* after a value: consume ',' or leave the closer */
static void after_value(struct gt_jscan *s)
{
	ws(s);
	if (s->p < s->end && *s->p == ',')
		s->p++;
}

/* skip a string starting at the opening quote */
static void skip_string(struct gt_jscan *s)
{
	s->p++;
	while (s->p < s->end) {
		const char *q = memchr(s->p, '"', (size_t)(s->end - s->p));
		const char *b;
		size_t nbs = 0;

		if (!q)
			break;
		/* count backslashes before the quote */
		for (b = q; b > s->p && b[-1] == '\\'; b--)
			nbs++;
		s->p = q + 1;
		if (!(nbs & 1))
			return;
	}
	s->err = 1;
	s->p = s->end;
}

void gt_jscan_skip(struct gt_jscan *s)
{
	int depth = 0;

	ws(s);
	do {
		if (s->p >= s->end) {
			s->err = 1;
			return;
		}
		switch (*s->p) {
		case '"': skip_string(s); break;
		case '{':
		case '[':
			depth++;
			s->p++;
			break;
		case '}':
		case ']':
			depth--;
			s->p++;
			break;
		default:
			while (s->p < s->end && *s->p != ',' && *s->p != '}' && *s->p != ']' &&
			       *s->p != '"' && *s->p != '{' && *s->p != '[')
				s->p++;
			if (depth && s->p < s->end && *s->p == ',')
				s->p++;
			continue;
		}
		ws(s);
		if (depth && s->p < s->end && *s->p == ',')
			s->p++;
	} while (depth > 0 && !s->err);
	after_value(s);
}

int gt_jscan_next_member(struct gt_jscan *s, const char **key, size_t *klen)
{
	const char *start;

	ws(s);
	if (s->p >= s->end) {
		s->err = 1;
		return -1;
	}
	if (*s->p == '}') {
		s->p++;
		after_value(s);
		return 0;
	}
	if (*s->p != '"') {
		s->err = 1;
		return -1;
	}
	start = s->p + 1;
	skip_string(s);
	if (s->err)
		return -1;
	*key = start;
	*klen = (size_t)(s->p - 1 - start);
	return expect(s, ':') < 0 ? -1 : 1;
}

int gt_jscan_next_element(struct gt_jscan *s)
{
	ws(s);
	if (s->p >= s->end) {
		s->err = 1;
		return -1;
	}
	if (*s->p == ']') {
		s->p++;
		after_value(s);
		return 0;
	}
	return 1;
}

static unsigned read_u4(const char *p)
{
	int a = gt_hex_digit(p[0]), b = gt_hex_digit(p[1]), c = gt_hex_digit(p[2]),
	    d = gt_hex_digit(p[3]);

	if (a < 0 || b < 0 || c < 0 || d < 0)
		return 0xfffd;
	return (unsigned)(a << 12 | b << 8 | c << 4 | d);
}

int gt_jscan_string(struct gt_jscan *s, struct gt_buf *out)
{
	gt_buf_reset(out);
	ws(s);
	if (s->p >= s->end || *s->p != '"') {
		gt_jscan_skip(s);
		return -1;
	}
	s->p++;
	while (s->p < s->end && *s->p != '"') {
		const char *run = s->p;

		while (s->p < s->end && *s->p != '"' && *s->p != '\\')
			s->p++;
		gt_buf_add(out, run, (size_t)(s->p - run));
		if (s->p >= s->end || *s->p == '"')
			break;
		if (s->end - s->p < 2) {
			s->err = 1;
			return -1;
		}
		switch (s->p[1]) {
		case 'n': gt_buf_addch(out, '\n'); break;
		case 't': gt_buf_addch(out, '\t'); break;
		case 'r': gt_buf_addch(out, '\r'); break;
		case 'b': gt_buf_addch(out, '\b'); break;
		case 'f': gt_buf_addch(out, '\f'); break;
		case 'u': {
			unsigned cp;

			if (s->end - s->p < 6) {
				s->err = 1;
				return -1;
			}
			cp = read_u4(s->p + 2);
			s->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && s->end - s->p >= 8 && s->p[2] == '\\' &&
			    s->p[3] == 'u') {
				unsigned lo = read_u4(s->p + 4);

				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					s->p += 6;
				}
			}
			gt_buf_add_utf8(out, cp);
			break;
		}
		default: gt_buf_addch(out, s->p[1]);
		}
		s->p += 2;
	}
	if (s->p >= s->end) {
		s->err = 1;
		return -1;
	}
	s->p++;
	after_value(s);
	return 0;
}

/* A number with a fraction or an exponent, from start to end: its value
 * when that is a whole number inside int64.  strtod saturates huge
 * exponents (1e99999) instead of overflowing, and says so. */
static int whole_number(const char *start, const char *end, int64_t *out)
{
	struct gt_buf tmp = GT_BUF_INIT;
	double d;

	gt_buf_add(&tmp, start, (size_t)(end - start));
	errno = 0;
	d = strtod(tmp.ptr, NULL);
	gt_buf_release(&tmp);
	if (errno == ERANGE || !(d >= -9223372036854775808.0 && d < 9223372036854775808.0) ||
	    d != floor(d)) /* ERANGE: 1e-99999 is no whole number either */
		return -1;
	*out = (int64_t)d;
	return 0;
}

int gt_jscan_int(struct gt_jscan *s, int64_t *out)
{
	const char *start;
	uint64_t v = 0, lim = INT64_MAX;
	int neg = 0, any = 0, over = 0;

	ws(s);
	start = s->p;
	if (s->p < s->end && *s->p == '-') {
		neg = 1;
		lim = (uint64_t)INT64_MAX + 1;
		s->p++;
	}
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		unsigned d = (unsigned)(*s->p - '0');

		if (v > (lim - d) / 10)
			over = 1;
		else
			v = v * 10 + d;
		s->p++;
		any = 1;
	}
	if (!any) {
		s->p = start;
		gt_jscan_skip(s);
		return -1;
	}
	if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E')) {
		int64_t w;
		int rc;

		while (s->p < s->end &&
		       (*s->p == '.' || *s->p == 'e' || *s->p == 'E' || *s->p == '+' ||
			*s->p == '-' || (*s->p >= '0' && *s->p <= '9')))
			s->p++;
		rc = whole_number(start, s->p, &w);
		after_value(s);
		if (rc == 0)
			*out = w;
		return rc;
	}
	after_value(s);
	if (over)
		return -1;
	*out = !neg ? (int64_t)v : v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
	return 0;
}

int gt_jscan_bool(struct gt_jscan *s)
{
	ws(s);
	if (s->end - s->p >= 4 && !memcmp(s->p, "true", 4)) {
		s->p += 4;
		after_value(s);
		return 1;
	}
	if (s->end - s->p >= 5 && !memcmp(s->p, "false", 5)) {
		s->p += 5;
		after_value(s);
		return 0;
	}
	if (s->p < s->end && (*s->p == '0' || *s->p == '1')) {
		int64_t v;

		return gt_jscan_int(s, &v) == 0 ? v != 0 : -1;
	}
	gt_jscan_skip(s);
	return -1;
}
