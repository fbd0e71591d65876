/*
 * json.c - strict parsing front door for cJSON and the canonical writer.
 */
#include "base/json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/banned.h"

int gt_utf8_check(const char *buf, size_t len, size_t *bad_off)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		unsigned min, cp;

		if (c < 0x80) {
			if (!c)
				goto bad;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			min = 0x80;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			min = 0x800;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			min = 0x10000;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		if (i + n >= len)
			goto bad;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += n + 1;
	}
	return 0;
bad:
	if (bad_off)
		*bad_off = i;
	return GT_EINVALID;
}

static void position(const char *buf, size_t off, long first_line, long *line, long *col)
{
	long l = first_line, c = 1;

	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static int fail_at(const char *buf, size_t off, const char *what, long first_line, const char *why)
{
	long line, col;

	position(buf, off, first_line, &line, &col);
	return gt_error_set(GT_EINVALID, "%s: line %ld, column %ld: %s", what, line, col, why);
}

/* cJSON turns \u0000 into an early string end: refuse it up front. */
static const char *find_escaped_nul(const char *buf, size_t len)
{
	for (size_t i = 0; i + 6 <= len; i++) {
		if (buf[i] != '\\')
			continue;
		if (buf[i + 1] == 'u' && buf[i + 2] == '0' && buf[i + 3] == '0' &&
		    buf[i + 4] == '0' && buf[i + 5] == '0')
			return buf + i;
		i++; /* skip the escaped character */
	}
	return NULL;
}

static int has_infinity(const cJSON *v)
{
	for (; v; v = v->next) {
		if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
			return 1;
		if (v->child && has_infinity(v->child))
			return 1;
	}
	return 0;
}

/* Offset of the first number in buf that does not fit a double (the
 * tree says there is one), or len. */
static size_t find_infinity(const char *buf, size_t len)
{
	struct gt_buf num = GT_BUF_INIT;
	size_t i = 0, at = len;

	while (i < len && at == len) {
		size_t j = i;

		if (buf[i] == '"') {
			for (j = i + 1; j < len && buf[j] != '"'; j++)
				if (buf[j] == '\\')
					j++;
			i = j + 1;
			continue;
		}
		if (buf[i] != '-' && (buf[i] < '0' || buf[i] > '9')) {
			i++;
			continue;
		}
		while (j < len && strchr("+-.eE0123456789", buf[j]))
			j++;
		gt_buf_reset(&num);
		gt_buf_add(&num, buf + i, j - i);
		if (!isfinite(strtod(num.ptr, NULL)))
			at = i;
		i = j;
	}
	gt_buf_release(&num);
	return at;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* What cJSON lets through and JSON does not: whitespace other than the
 * four (control bytes), raw control characters and bad escapes in
 * strings, numbers outside JSON's grammar (-.5, 01, 1., 1.e5).  0, or -1
 * with *at the offset and *why the reason. */
static int lex_check(const char *buf, size_t len, size_t *at, const char **why)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '"') {
			for (i++; i < len && buf[i] != '"'; i++) {
				if ((unsigned char)buf[i] < 0x20) {
					*why = "control character in a string";
					break;
				}
				if (buf[i] != '\\')
					continue;
				if (++i >= len)
					break;
				if (buf[i] == 'u') {
					if (i + 4 >= len || !is_hex(buf[i + 1]) ||
					    !is_hex(buf[i + 2]) || !is_hex(buf[i + 3]) ||
					    !is_hex(buf[i + 4])) {
						*why = "bad \\u escape";
						break;
					}
					i += 4;
				} else if (!strchr("\"\\/bfnrt", buf[i])) {
					*why = "bad escape";
					break;
				}
			}
			if (i < len && buf[i] != '"') {
				*at = i;
				return -1;
			}
			i++;
		} else if (c == '-' || is_digit((char)c)) {
			size_t j = i + (c == '-');

			*why = "malformed number";
			if (j >= len || !is_digit(buf[j]))
				return (void)(*at = i), -1;
			if (buf[j] == '0' && j + 1 < len && is_digit(buf[j + 1]))
				return (void)(*at = i), -1; /* a leading zero */
			while (j < len && is_digit(buf[j]))
				j++;
			if (j < len && buf[j] == '.') {
				if (++j >= len || !is_digit(buf[j]))
					return (void)(*at = i), -1;
				while (j < len && is_digit(buf[j]))
					j++;
			}
			if (j < len && (buf[j] == 'e' || buf[j] == 'E')) {
				if (++j < len && (buf[j] == '+' || buf[j] == '-'))
					j++;
				if (j >= len || !is_digit(buf[j]))
					return (void)(*at = i), -1;
				while (j < len && is_digit(buf[j]))
					j++;
			}
			i = j;
		} else if (c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			*at = i;
			*why = "control character";
			return -1;
		} else {
			i++;
		}
	}
	return 0;
}

int gt_json_parse(cJSON **out, const char *buf, size_t len, const char *what, long first_line)
{
	const char *end = NULL, *nul;
	size_t bad;
	cJSON *v;

	*out = NULL;
	if (gt_utf8_check(buf, len, &bad) < 0)
		return fail_at(buf, bad, what, first_line, buf[bad] ? "invalid UTF-8" : "NUL byte");
	nul = find_escaped_nul(buf, len);
	if (nul)
		return fail_at(buf, (size_t)(nul - buf), what, first_line,
			       "\\u0000 is not allowed in strings");
	{
		const char *why = NULL;

		if (lex_check(buf, len, &bad, &why) < 0)
			return fail_at(buf, bad, what, first_line, why);
	}
	v = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (!v) {
		size_t off = end ? (size_t)(end - buf) : 0;

		if (!end)
			off = len;
		if (off > len)
			off = len;
		return fail_at(buf, off, what, first_line,
			       off >= len ? "unexpected end of JSON" : "malformed JSON");
	}
	if (end) {
		size_t off = (size_t)(end - buf);

		while (off < len && (buf[off] == ' ' || buf[off] == '\t' || buf[off] == '\n' ||
				     buf[off] == '\r'))
			off++;
		if (off < len) {
			cJSON_Delete(v);
			return fail_at(buf, off, what, first_line,
				       "unexpected data after the JSON value");
		}
	}
	if (has_infinity(v)) {
		cJSON_Delete(v);
		return fail_at(buf, find_infinity(buf, len), what, first_line,
			       "number out of range");
	}
	*out = v;
	return 0;
}

static const char hex[] = "0123456789abcdef";

void gt_json_write_string(struct gt_buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	gt_buf_grow(out, strlen(s) + 2);
	gt_buf_addch(out, '"');
	for (; *p; p++) {
		unsigned c = *p;
		const char *esc = NULL;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' &&
		    c != 0xe2)
			continue;
		if (c == 0xe2) {
			/* U+2028 and U+2029 are E2 80 A8 / E2 80 A9 */
			if (p[1] != 0x80 || (p[2] != 0xa8 && p[2] != 0xa9))
				continue;
			gt_buf_add(out, run, (size_t)(p - run));
			gt_buf_adds(out, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
			p += 2;
			run = p + 1;
			continue;
		}
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			u[0] = '\\';
			u[1] = 'u';
			u[2] = '0';
			u[3] = '0';
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		gt_buf_add(out, run, (size_t)(p - run));
		gt_buf_adds(out, esc);
		run = p + 1;
	}
	gt_buf_add(out, run, (size_t)(p - run));
	gt_buf_addch(out, '"');
}

void gt_json_write_number(struct gt_buf *out, double d)
{
	char tmp[64];

	if (!isfinite(d)) {
		gt_buf_adds(out, "null");
		return;
	}
	if (d == floor(d) && fabs(d) < 1e21) {
		snprintf(tmp, sizeof(tmp), "%.0f", d);
		if (!strcmp(tmp, "-0"))
			snprintf(tmp, sizeof(tmp), "0");
		gt_buf_adds(out, tmp);
		return;
	}
	/* shortest representation that reads back to the same double */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	gt_buf_adds(out, tmp);
}

/* gt_json_write(), leaving arrays and objects unfinished once out holds
 * more than end bytes */
static void write_upto(struct gt_buf *out, const cJSON *v, size_t end)
{
	const cJSON *c;
	int first = 1;

	if (!v) {
		gt_buf_adds(out, "null");
		return;
	}
	switch (v->type & 0xff) {
	case cJSON_False: gt_buf_adds(out, "false"); break;
	case cJSON_True: gt_buf_adds(out, "true"); break;
	case cJSON_NULL: gt_buf_adds(out, "null"); break;
	case cJSON_Number: gt_json_write_number(out, v->valuedouble); break;
	case cJSON_String: gt_json_write_string(out, v->valuestring ? v->valuestring : ""); break;
	case cJSON_Raw: gt_buf_adds(out, v->valuestring ? v->valuestring : "null"); break;
	case cJSON_Array:
		gt_buf_addch(out, '[');
		for (c = v->child; c; c = c->next) {
			if (out->len > end)
				return;
			if (!first)
				gt_buf_addch(out, ',');
			first = 0;
			write_upto(out, c, end);
		}
		gt_buf_addch(out, ']');
		break;
	case cJSON_Object:
		gt_buf_addch(out, '{');
		for (c = v->child; c; c = c->next) {
			if (out->len > end)
				return;
			if (!first)
				gt_buf_addch(out, ',');
			first = 0;
			gt_json_write_string(out, c->string ? c->string : "");
			gt_buf_addch(out, ':');
			write_upto(out, c, end);
		}
		gt_buf_addch(out, '}');
		break;
	default: gt_buf_adds(out, "null");
	}
}

void gt_json_write(struct gt_buf *out, const cJSON *v)
{
	write_upto(out, v, SIZE_MAX);
}

void gt_json_write_prefix(struct gt_buf *out, const cJSON *v, size_t n)
{
	write_upto(out, v, out->len + n);
}

static int cmp_member(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

void gt_json_write_sorted(struct gt_buf *out, const cJSON *obj)
{
	const cJSON **v, *c;
	size_t n = 0;

	if (!cJSON_IsObject(obj)) {
		gt_json_write(out, obj);
		return;
	}
	v = gt_calloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof(*v));
	cJSON_ArrayForEach (c, obj)
		v[n++] = c;
	qsort(v, n, sizeof(*v), cmp_member);
	gt_buf_addch(out, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			gt_buf_addch(out, ',');
		gt_json_write_string(out, v[i]->string ? v[i]->string : "");
		gt_buf_addch(out, ':');
		gt_json_write(out, v[i]);
	}
	gt_buf_addch(out, '}');
	free(v);
}

const char *gt_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* whether d (finite, whole) fits int64: -2^63 <= d < 2^63, both exact
 * doubles */
static int fits_int64(double d)
{
	return d >= -9223372036854775808.0 && d < 9223372036854775808.0;
}

int gt_json_int(const cJSON *obj, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	double d;

	if (!cJSON_IsNumber(v))
		return GT_ENOTFOUND;
	d = trunc(v->valuedouble);
	if (!fits_int64(d)) /* also NaN */
		return GT_EINVALID;
	*out = (int64_t)d;
	return 0;
}

int gt_json_to_int(const cJSON *v, int64_t *out)
{
	if (!cJSON_IsNumber(v) || !fits_int64(v->valuedouble) ||
	    v->valuedouble != floor(v->valuedouble))
		return GT_EINVALID;
	*out = (int64_t)v->valuedouble;
	return 0;
}

int gt_json_bool(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsTrue(v))
		return 1;
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsString(v))
		return !strcmp(v->valuestring, "1") || !strcmp(v->valuestring, "true");
	return 0;
}

void gt_json_set(cJSON *obj, const char *key, cJSON *val)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, val);
	else
		cJSON_AddItemToObject(obj, key, val);
}

void gt_json_set_str(cJSON *obj, const char *key, const char *val)
{
	gt_json_set(obj, key, cJSON_CreateString(val));
}

void gt_json_set_int(cJSON *obj, const char *key, int64_t val)
{
	gt_json_set(obj, key, cJSON_CreateNumber((double)val));
}

void gt_json_set_bool(cJSON *obj, const char *key, int val)
{
	gt_json_set(obj, key, cJSON_CreateBool(val));
}

void gt_json_del(cJSON *obj, const char *key)
{
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

void gt_json_array_insert(cJSON *arr, int i, cJSON *item)
{
	cJSON *at = arr->child;

	while (at && i-- > 0)
		at = at->next;
	if (!at) {
		cJSON_AddItemToArray(arr, item);
		return;
	}
	/* cJSON keeps child->prev pointing at the last element */
	item->next = at;
	item->prev = at->prev;
	if (at == arr->child) {
		arr->child = item;
	} else {
		item->prev->next = item;
	}
	at->prev = item;
}

int gt_json_equal(const cJSON *a, const cJSON *b)
{
	if (!a || !b)
		return a == b;
	return cJSON_Compare(a, b, 1);
}

/* ---- canonical text, checked without parsing ---- */

/* The length of the canonical string at p[0..n) (p[0] is '"'), or 0. */
static size_t canonical_string(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 1, bad;

	while (i < n && s[i] != '"') {
		unsigned c = s[i];

		if (c < 0x20 || c == '<' || c == '>' || c == '&')
			return 0;
		if (c == 0xe2 && i + 2 < n && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
			return 0; /* gt writes U+2028 and U+2029 escaped */
		if (c != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return 0;
		c = s[i + 1];
		if (strchr("\"\\nrtbf", (int)c) && c) {
			i += 2;
			continue;
		}
		if (c != 'u' || i + 5 >= n)
			return 0;
		{
			char u[5];
			unsigned v;

			memcpy(u, p + i + 2, 4);
			u[4] = '\0';
			for (int k = 0; k < 4; k++)
				if (!strchr(hex, u[k]) || !u[k])
					return 0; /* gt writes lower-case hex */
			v = (unsigned)strtoul(u, NULL, 16);
			/* only what gt escapes that way */
			if (!(v < 0x20 && v && !strchr("\n\r\t\b\f", (int)v)) && v != '<' &&
			    v != '>' && v != '&' && v != 0x2028 && v != 0x2029)
				return 0;
		}
		i += 6;
	}
	if (i >= n || gt_utf8_check(p + 1, i - 1, &bad) < 0)
		return 0;
	return i + 1;
}

/* The length of the canonical number at p[0..n), or 0. */
static size_t canonical_number(const char *p, size_t n)
{
	char tok[64];
	struct gt_buf b = GT_BUF_INIT;
	size_t k = 0, ok;
	double d;

	while (k < n && k < sizeof(tok) - 1 && strchr("0123456789+-.eE", p[k]) && p[k])
		k++;
	if (!k || k == sizeof(tok) - 1)
		return 0;
	memcpy(tok, p, k);
	tok[k] = '\0';
	d = strtod(tok, NULL);
	gt_json_write_number(&b, d);
	ok = b.len == k && !memcmp(b.ptr, tok, k) ? k : 0;
	gt_buf_release(&b);
	return ok;
}

/* Where an object's members go while its text is checked: NULL, or a
 * growing array (keys with an escape refuse the split). */
struct members {
	struct gt_json_member *v;
	size_t n, alloc;
};

static size_t canonical_value(const char *p, size_t n, int depth);

/* The length of the canonical array or object at p[0..n), or 0; an
 * object's members into *ms when ms is not NULL. */
static size_t canonical_container(const char *p, size_t n, int depth, struct members *ms)
{
	char close = p[0] == '[' ? ']' : '}';
	size_t i = 1, k;

	if (i < n && p[i] == close)
		return i + 1;
	for (;;) {
		struct gt_json_member *x = NULL;

		if (close == '}') {
			if (i >= n || p[i] != '"' || !(k = canonical_string(p + i, n - i)))
				return 0;
			if (ms) {
				if (memchr(p + i, '\\', k))
					return 0; /* keys with escapes are not split */
				GT_ALLOC_GROW(ms->v, ms->n + 1, ms->alloc);
				x = &ms->v[ms->n++];
				x->key = p + i + 1;
				x->klen = k - 2;
			}
			i += k;
			if (i >= n || p[i++] != ':')
				return 0;
		}
		if (!(k = canonical_value(p + i, n - i, depth + 1)))
			return 0;
		if (x) {
			x->val = p + i;
			x->vlen = k;
		}
		i += k;
		if (i >= n)
			return 0;
		if (p[i] == close)
			return i + 1;
		if (p[i++] != ',')
			return 0;
	}
}

static size_t canonical_value(const char *p, size_t n, int depth)
{
	if (!n || depth > 64)
		return 0;
	switch (p[0]) {
	case '"': return canonical_string(p, n);
	case 't': return n >= 4 && !memcmp(p, "true", 4) ? 4 : 0;
	case 'f': return n >= 5 && !memcmp(p, "false", 5) ? 5 : 0;
	case 'n': return n >= 4 && !memcmp(p, "null", 4) ? 4 : 0;
	case '[':
	case '{': return canonical_container(p, n, depth, NULL);
	default: return canonical_number(p, n);
	}
}

size_t gt_json_canonical_span(const char *p, size_t n)
{
	return canonical_value(p, n, 0);
}

int gt_json_canonical_object(struct gt_json_member **out, const char *p, size_t n)
{
	struct members ms = { 0 };

	*out = NULL;
	if (n && p[n - 1] == '\n')
		n--;
	if (!n || p[0] != '{' || canonical_container(p, n, 0, &ms) != n) {
		free(ms.v);
		return -1;
	}
	*out = ms.v;
	return (int)ms.n;
}
