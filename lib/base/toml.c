/*
 * toml.c - TOML 1.0 documents into a tree of struct gt_toml.
 *
 * One pass of recursive descent over a NUL-terminated copy of the input.
 * The input is checked for UTF-8 and NUL bytes first, so NUL marks the end
 * (lookahead never needs a length check) and every byte >= 0x80 starts a
 * valid sequence (only ASCII needs looking at).
 *
 * The rules about which tables may be defined or added to where are kept
 * with a few flags per node, recording how each table or array came to be:
 *
 *   F_HEADER   made by a [header]: named by it, or on its way (a and a.b
 *              for [a.b.c]); dotted keys cannot add to it
 *   F_DEFINED  named by a [header] or [[header]]: cannot be named again
 *              (a table with only F_HEADER is implicit: [a] may define it)
 *   F_DOTTED   made by a dotted key (a.b = 1 makes a): dotted keys may add
 *              to it, a header may define tables below it but not it
 *   F_FROZEN   an inline table or an array value: nothing may be added
 *   F_AOT      an array made by [[header]]: [[header]] appends to it, and
 *              a header passing through it goes into its last element
 *
 * Every node, key, string and array of a document is carved from chunks
 * the root owns (an arena): building a tree costs a few mallocs, freeing it
 * a few frees, and a failed parse just drops the chunks.  Positions are
 * counted from the last position asked for, so asking in document order
 * costs linear time overall.
 */
#include "base/toml.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/banned.h"

/* Nesting (tables in tables, arrays in arrays) is bounded so that the
 * recursion of the parser and of gt_toml_to_json() is. */
#define MAX_DEPTH 256
/* Tables with more members than this get a hash index. */
#define INDEX_MIN 16

enum {
	F_HEADER = 1,
	F_DEFINED = 2,
	F_DOTTED = 4,
	F_FROZEN = 8,
	F_AOT = 16,
};

/* Arena chunks: the first sized for the input, each next one twice the
 * size, up to CHUNK_MAX (a bigger request gets a chunk of its own size). */
#define CHUNK_MIN 4096
#define CHUNK_MAX (1 << 20)
#define ALIGN	  alignof(max_align_t)
#define ROUND(n)  (((n) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

struct chunk {
	struct chunk *next;
	size_t size, used;
};

struct key_part {
	size_t off, len; /* the decoded part, in parser.keys */
	const char *at;	 /* where it starts in the input */
};

struct parser {
	const char *start, *end; /* the copy of the input (after a BOM) */
	const char *p;		 /* the next byte */
	const char *what;
	struct gt_toml *root, *cur; /* cur: the table key/value pairs go to */
	const char *pos_at;	    /* where position() last counted to */
	int pos_line, pos_col;
	struct gt_buf keys; /* the parts of the key being read, decoded */
	struct key_part *parts;
	size_t nparts, parts_alloc;
	struct gt_buf name; /* a key for a message */
	struct gt_buf num;  /* a number without its underscores */
	struct gt_buf str;  /* a string being decoded */
	struct chunk *chunks;
	size_t chunk_size; /* of the next chunk */
};

static void *arena_alloc(struct parser *P, size_t n)
{
	struct chunk *c = P->chunks;
	char *p;

	n = ROUND(n);
	if (!c || c->size - c->used < n) {
		size_t size = P->chunk_size > n ? P->chunk_size : n;

		c = gt_malloc(ROUND(sizeof(*c)) + size);
		c->size = size;
		c->used = 0;
		c->next = P->chunks;
		P->chunks = c;
		if (P->chunk_size < CHUNK_MAX)
			P->chunk_size *= 2;
	}
	p = (char *)c + ROUND(sizeof(*c)) + c->used;
	c->used += n;
	return p;
}

static void *arena_calloc(struct parser *P, size_t n)
{
	return memset(arena_alloc(P, n), 0, n);
}

/* A NUL-terminated copy of s[0..n). */
static char *arena_strndup(struct parser *P, const char *s, size_t n)
{
	char *p = arena_alloc(P, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void arena_free(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;

		free(c);
		c = next;
	}
}

static void position(struct parser *P, const char *at, int *line, int *col)
{
	const char *q;

	if (!P->pos_at || at < P->pos_at) {
		P->pos_at = P->start;
		P->pos_line = P->pos_col = 1;
	}
	for (q = P->pos_at; q < at; q++) {
		if (*q == '\n') {
			P->pos_line++;
			P->pos_col = 1;
		} else if (((unsigned char)*q & 0xc0) != 0x80) {
			P->pos_col++;
		}
	}
	P->pos_at = at;
	*line = P->pos_line;
	*col = P->pos_col;
}

__attribute__((format(printf, 3, 4))) static int fail(struct parser *P, const char *at,
						      const char *fmt, ...)
{
	struct gt_buf why = GT_BUF_INIT;
	int line, col;
	va_list ap;

	position(P, at, &line, &col);
	va_start(ap, fmt);
	gt_buf_vprintf(&why, fmt, ap);
	va_end(ap);
	gt_error_set(GT_EINVALID, "%s: line %d, column %d: %s", P->what, line, col,
		     gt_buf_cstr(&why));
	gt_buf_release(&why);
	return GT_EINVALID;
}

/* The first n parts of the key just read, joined with dots. */
static const char *key_name(struct parser *P, size_t n)
{
	gt_buf_reset(&P->name);
	for (size_t i = 0; i < n; i++) {
		if (i)
			gt_buf_addch(&P->name, '.');
		gt_buf_add(&P->name, P->keys.ptr + P->parts[i].off, P->parts[i].len);
	}
	return gt_buf_cstr(&P->name);
}

/* --- the tree --- */

static size_t hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return (size_t)h;
}

static void index_add(struct gt_toml *t, size_t i)
{
	size_t mask = t->index_cap - 1;
	size_t h = hash(t->kids[i]->key, t->kids[i]->keylen) & mask;

	while (t->index[h])
		h = (h + 1) & mask;
	t->index[h] = i + 1;
}

static void index_build(struct parser *P, struct gt_toml *t)
{
	t->index_cap = 64;
	while (t->index_cap < t->nkids * 2)
		t->index_cap *= 2;
	t->index = arena_calloc(P, t->index_cap * sizeof(*t->index));
	for (size_t i = 0; i < t->nkids; i++)
		index_add(t, i);
}

static struct gt_toml *lookup(const struct gt_toml *t, const char *key, size_t len)
{
	struct gt_toml *kid;

	if (t->index) {
		size_t mask = t->index_cap - 1, h = hash(key, len) & mask;

		for (; t->index[h]; h = (h + 1) & mask) {
			kid = t->kids[t->index[h] - 1];
			if (kid->keylen == len && !memcmp(kid->key, key, len))
				return kid;
		}
		return NULL;
	}
	for (size_t i = 0; i < t->nkids; i++) {
		kid = t->kids[i];
		if (kid->keylen == len && !memcmp(kid->key, key, len))
			return kid;
	}
	return NULL;
}

static struct gt_toml *lookup_part(struct parser *P, const struct gt_toml *t, size_t i)
{
	return lookup(t, P->keys.ptr + P->parts[i].off, P->parts[i].len);
}

static void add_kid(struct parser *P, struct gt_toml *t, struct gt_toml *kid)
{
	if (t->nkids == t->alloc) {
		/* the old array stays in the arena: at most as much again */
		size_t alloc = t->alloc ? t->alloc * 2 : 4;
		struct gt_toml **kids = arena_alloc(P, alloc * sizeof(*kids));

		if (t->nkids)
			memcpy(kids, t->kids, t->nkids * sizeof(*kids));
		t->kids = kids;
		t->alloc = alloc;
	}
	t->kids[t->nkids++] = kid;
	if (t->type != GT_TOML_TABLE)
		return;
	if (t->index && t->nkids * 2 <= t->index_cap)
		index_add(t, t->nkids - 1);
	else if (t->nkids > INDEX_MIN)
		index_build(P, t);
}

static struct gt_toml *node_new(struct parser *P, enum gt_toml_type type, const char *at, int depth)
{
	struct gt_toml *v = arena_calloc(P, sizeof(*v));

	v->type = type;
	v->depth = depth;
	position(P, at, &v->line, &v->column);
	return v;
}

static void set_key(struct parser *P, struct gt_toml *v, size_t part)
{
	v->keylen = P->parts[part].len;
	v->key = arena_strndup(P, P->keys.ptr + P->parts[part].off, v->keylen);
}

/* A new member of parent named by key part `part`. */
static int new_kid(struct parser *P, struct gt_toml **out, struct gt_toml *parent,
		   enum gt_toml_type type, size_t part, const char *at, unsigned flags)
{
	struct gt_toml *v;

	if (parent->depth >= MAX_DEPTH)
		return fail(P, at, "tables nested too deeply");
	v = node_new(P, type, at, parent->depth + 1);
	v->flags = flags;
	set_key(P, v, part);
	add_kid(P, parent, v);
	*out = v;
	return 0;
}

void gt_toml_free(struct gt_toml *t)
{
	if (t)
		arena_free(t->arena);
}

/* --- lexical bits --- */

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' ||
	       c == '-';
}

static void skip_ws(struct parser *P)
{
	while (*P->p == ' ' || *P->p == '\t')
		P->p++;
}

static int is_eol(const char *p)
{
	return !*p || *p == '\n' || (*p == '\r' && p[1] == '\n');
}

/* At '#': up to (not over) the end of the line. */
static int comment(struct parser *P)
{
	const unsigned char *p = (const unsigned char *)P->p + 1;

	for (; !is_eol((const char *)p); p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return fail(P, (const char *)p, "control character U+%04X in comment", *p);
	}
	P->p = (const char *)p;
	return 0;
}

/* Whitespace, newlines and comments, as arrays allow between values. */
static int skip_space(struct parser *P)
{
	int rc;

	for (;;) {
		char c = *P->p;

		if (c == ' ' || c == '\t' || c == '\n') {
			P->p++;
		} else if (c == '\r') {
			if (P->p[1] != '\n')
				return fail(P, P->p, "carriage return without line feed");
			P->p += 2;
		} else if (c == '#') {
			rc = comment(P);
			if (rc)
				return rc;
		} else {
			return 0;
		}
	}
}

/* After a key/value pair or a header: an optional comment, then the end of
 * the line. */
static int end_line(struct parser *P, const char *after)
{
	int rc;

	skip_ws(P);
	if (*P->p == '#') {
		rc = comment(P);
		if (rc)
			return rc;
	}
	if (!*P->p)
		return 0;
	if (*P->p == '\n') {
		P->p++;
		return 0;
	}
	if (*P->p == '\r' && P->p[1] == '\n') {
		P->p += 2;
		return 0;
	}
	if (*P->p == '\r')
		return fail(P, P->p, "carriage return without line feed");
	return fail(P, P->p, "expected newline after %s", after);
}

/* --- strings --- */

static size_t utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* At a backslash in a basic string: decode the escape into out and move
 * *pp past it.  In a multi-line string a backslash ending a line trims the
 * whitespace and newlines after it. */
static int escape(struct parser *P, const char **pp, struct gt_buf *out, int multi)
{
	const char *p = *pp, *q;
	unsigned char c = (unsigned char)p[1];
	uint32_t cp = 0;
	int n;

	switch (c) {
	case 'b': gt_buf_addch(out, '\b'); break;
	case 't': gt_buf_addch(out, '\t'); break;
	case 'n': gt_buf_addch(out, '\n'); break;
	case 'f': gt_buf_addch(out, '\f'); break;
	case 'r': gt_buf_addch(out, '\r'); break;
	case '"': gt_buf_addch(out, '"'); break;
	case '\\': gt_buf_addch(out, '\\'); break;
	case 'u':
	case 'U':
		n = c == 'u' ? 4 : 8;
		for (int k = 0; k < n; k++) {
			int h = gt_hex_digit(p[2 + k]);

			if (h < 0)
				return fail(P, p, "invalid escape '\\%c': expected %d hex digits",
					    c, n);
			cp = cp << 4 | (uint32_t)h;
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return fail(P, p, "invalid escape '\\%c%.*s': not a unicode scalar value",
				    c, n, p + 2);
		gt_buf_add_utf8(out, cp);
		*pp = p + 2 + n;
		return 0;
	default:
		q = p + 1;
		while (multi && (*q == ' ' || *q == '\t'))
			q++;
		if (multi && (*q == '\n' || (*q == '\r' && q[1] == '\n'))) {
			for (;;) {
				if (*q == ' ' || *q == '\t' || *q == '\n')
					q++;
				else if (*q == '\r' && q[1] == '\n')
					q += 2;
				else
					break;
			}
			*pp = q;
			return 0;
		}
		if (!c)
			return fail(P, p + 1, "unterminated string");
		if (c < 0x20 || c == 0x7f)
			return fail(P, p, "invalid escape: backslash before U+%04X", c);
		return fail(P, p, "invalid escape '\\%.*s'", (int)utf8_len(c), p + 1);
	}
	*pp = p + 2;
	return 0;
}

/* At the opening quote of any of the four kinds of string: decode it into
 * out and move past it. */
static int scan_string(struct parser *P, struct gt_buf *out)
{
	const char *at = P->p, *p;
	char quote = *at;
	int multi = at[1] == quote && at[2] == quote, basic = quote == '"', rc;

	p = at + (multi ? 3 : 1);
	if (multi && *p == '\n')
		p++;
	else if (multi && p[0] == '\r' && p[1] == '\n')
		p += 2;
	for (;;) {
		const char *run = p;
		unsigned char c;
		size_t n;

		while (c = (unsigned char)*p,
		       (c >= 0x20 || c == '\t') && c != 0x7f && c != quote && !(basic && c == '\\'))
			p++;
		gt_buf_add(out, run, (size_t)(p - run));
		if (c == (unsigned char)quote) {
			if (!multi) {
				P->p = p + 1;
				return 0;
			}
			/* up to two quotes may sit just inside the closing three */
			for (n = 1; p[n] == quote; n++)
				;
			if (n < 3) {
				gt_buf_add(out, p, n);
				p += n;
				continue;
			}
			if (n > 5)
				return fail(P, p + 5, "too many quotes at the end of a string");
			gt_buf_add(out, p, n - 3);
			P->p = p + n;
			return 0;
		}
		if (c == '\\') {
			rc = escape(P, &p, out, multi);
			if (rc)
				return rc;
		} else if (multi && c == '\n') {
			gt_buf_addch(out, '\n');
			p++;
		} else if (multi && c == '\r' && p[1] == '\n') {
			gt_buf_addch(out, '\n');
			p += 2;
		} else if (is_eol(p)) {
			return fail(P, at, "unterminated string");
		} else {
			return fail(P, p, "control character U+%04X in string", c);
		}
	}
}

/* --- keys --- */

/* A key: simple keys joined by dots, into P->keys and P->parts. */
static int parse_key(struct parser *P)
{
	int rc;

	gt_buf_reset(&P->keys);
	P->nparts = 0;
	for (;;) {
		struct key_part *kp;
		const char *at;

		skip_ws(P);
		at = P->p;
		GT_ALLOC_GROW(P->parts, P->nparts + 1, P->parts_alloc);
		kp = &P->parts[P->nparts++];
		kp->at = at;
		kp->off = P->keys.len;
		if (*at == '"' || *at == '\'') {
			if (at[1] == *at && at[2] == *at)
				return fail(P, at, "a multi-line string cannot be a key");
			rc = scan_string(P, &P->keys);
			if (rc)
				return rc;
		} else if (is_bare(*at)) {
			while (is_bare(*P->p))
				P->p++;
			gt_buf_add(&P->keys, at, (size_t)(P->p - at));
		} else if (is_eol(at) || *at == '#' || *at == '=' || *at == '.' || *at == ']') {
			return fail(P, at, "expected a key");
		} else {
			return fail(P, at, "invalid character '%.*s' in key",
				    (int)utf8_len((unsigned char)*at), at);
		}
		kp->len = P->keys.len - kp->off;
		skip_ws(P);
		if (*P->p != '.')
			return 0;
		P->p++;
	}
}

static const char *article(const char *word)
{
	return strchr("aeiou", word[0]) ? "an" : "a";
}

/* The first n parts of the key name kid, which cannot be gone through. */
static int cannot_extend(struct parser *P, const char *at, size_t n, const struct gt_toml *kid)
{
	const char *name = key_name(P, n), *type = gt_toml_type_name(kid->type);

	if (kid->type == GT_TOML_TABLE && (kid->flags & F_FROZEN))
		return fail(P, at, "cannot add to inline table '%s'", name);
	if (kid->type == GT_TOML_TABLE)
		return fail(P, at, "cannot add to table '%s' with dotted keys: it has a [header]",
			    name);
	if (kid->type == GT_TOML_ARRAY && (kid->flags & F_AOT))
		return fail(P, at, "cannot add to array of tables '%s' with dotted keys", name);
	if (kid->type == GT_TOML_ARRAY)
		return fail(P, at, "cannot add to array '%s'", name);
	return fail(P, at, "key '%s' is already %s %s", name, article(type), type);
}

/* --- values --- */

static int parse_value(struct parser *P, struct gt_toml **out, int depth);

static int parse_keyval(struct parser *P, struct gt_toml *table)
{
	const char *at = P->p;
	struct gt_toml *t = table, *kid, *v;
	size_t last, keylen;
	char *key;
	int rc;

	rc = parse_key(P);
	if (rc)
		return rc;
	if (*P->p != '=')
		return fail(P, P->p, "expected '=' after key");
	P->p++;
	last = P->nparts - 1;
	for (size_t i = 0; i < last; i++) {
		kid = lookup_part(P, t, i);
		if (!kid)
			rc = new_kid(P, &kid, t, GT_TOML_TABLE, i, P->parts[i].at, F_DOTTED);
		else if (kid->type != GT_TOML_TABLE ||
			 (kid->flags & (F_DOTTED | F_FROZEN)) != F_DOTTED)
			rc = cannot_extend(P, at, i + 1, kid);
		if (rc)
			return rc;
		t = kid;
	}
	if (lookup_part(P, t, last))
		return fail(P, at, "duplicate key '%s'", key_name(P, P->nparts));
	if (t->depth >= MAX_DEPTH)
		return fail(P, at, "tables nested too deeply");
	/* the value may hold keys of its own: take this one out first */
	keylen = P->parts[last].len;
	key = arena_strndup(P, P->keys.ptr + P->parts[last].off, keylen);
	skip_ws(P);
	rc = parse_value(P, &v, t->depth + 1);
	if (rc)
		return rc;
	v->key = key;
	v->keylen = keylen;
	add_kid(P, t, v);
	return 0;
}

static int array_value(struct parser *P, struct gt_toml **out, int depth)
{
	const char *at = P->p;
	struct gt_toml *a = node_new(P, GT_TOML_ARRAY, at, depth), *v;
	int rc;

	a->flags = F_FROZEN;
	P->p++;
	for (;;) {
		rc = skip_space(P);
		if (rc)
			goto fail;
		if (*P->p == ']')
			break;
		if (!*P->p) {
			rc = fail(P, at, "unterminated array");
			goto fail;
		}
		rc = parse_value(P, &v, depth + 1);
		if (rc)
			goto fail;
		add_kid(P, a, v);
		rc = skip_space(P);
		if (rc)
			goto fail;
		if (*P->p == ']')
			break;
		if (*P->p != ',') {
			rc = *P->p ? fail(P, P->p, "expected ',' or ']' in array")
				   : fail(P, at, "unterminated array");
			goto fail;
		}
		P->p++;
	}
	P->p++;
	*out = a;
	return 0;
fail:
	return rc; /* what was built stays in the arena until it goes */
}

static int inline_table(struct parser *P, struct gt_toml **out, int depth)
{
	const char *at = P->p;
	struct gt_toml *t = node_new(P, GT_TOML_TABLE, at, depth);
	int rc;

	t->flags = F_FROZEN;
	P->p++;
	skip_ws(P);
	if (*P->p != '}') {
		for (;;) {
			skip_ws(P);
			if (!*P->p) {
				rc = fail(P, at, "unterminated inline table");
				goto fail;
			}
			if (is_eol(P->p) || *P->p == '\r' || *P->p == '#') {
				rc = fail(P, P->p, "newline in inline table");
				goto fail;
			}
			rc = parse_keyval(P, t);
			if (rc)
				goto fail;
			skip_ws(P);
			if (*P->p == '}')
				break;
			if (*P->p != ',') {
				if (!*P->p)
					rc = fail(P, at, "unterminated inline table");
				else if (is_eol(P->p) || *P->p == '\r' || *P->p == '#')
					rc = fail(P, P->p, "newline in inline table");
				else
					rc = fail(P, P->p, "expected ',' or '}' in inline table");
				goto fail;
			}
			P->p++;
			skip_ws(P);
			if (*P->p == '}') {
				rc = fail(P, P->p, "trailing comma in inline table");
				goto fail;
			}
		}
	}
	P->p++;
	*out = t;
	return 0;
fail:
	return rc;
}

static int is_base_digit(int c, int base)
{
	switch (base) {
	case 2: return c == '0' || c == '1';
	case 8: return c >= '0' && c <= '7';
	case 16: return gt_hex_digit(c) >= 0;
	default: return is_digit(c);
	}
}

/* Digits with single underscores between them, from q up to at most e:
 * where they end, or NULL when there are none or an underscore is out of
 * place. */
static const char *digits(const char *q, const char *e, int base)
{
	if (q >= e || !is_base_digit(*q, base))
		return NULL;
	for (q++; q < e;) {
		if (*q == '_') {
			if (q + 1 >= e || !is_base_digit(q[1], base))
				return NULL;
			q += 2;
		} else if (is_base_digit(*q, base)) {
			q++;
		} else {
			break;
		}
	}
	return q;
}

/* The value of the digits in s..e, skipping underscores; GT_EINVALID when
 * it is over limit. */
static int accumulate(uint64_t *out, const char *s, const char *e, int base, uint64_t limit)
{
	uint64_t u = 0;

	for (; s < e; s++) {
		uint64_t d;

		if (*s == '_')
			continue;
		d = (uint64_t)gt_hex_digit(*s);
		if (u > (limit - d) / (uint64_t)base)
			return GT_EINVALID;
		u = u * (uint64_t)base + d;
	}
	*out = u;
	return 0;
}

static int number_value(struct parser *P, struct gt_toml **out, int depth)
{
	const char *at = P->p, *e = at, *s = at, *q;
	int neg = 0, sign = 0, is_float = 0, len;
	struct gt_toml *v;
	uint64_t u;

	while (is_bare(*e) || *e == '.' || *e == '+')
		e++;
	len = (int)(e - at);
	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		sign = 1;
		s++;
	}
	if (e - s == 3 && (!memcmp(s, "inf", 3) || !memcmp(s, "nan", 3))) {
		v = node_new(P, GT_TOML_FLOAT, at, depth);
		v->f = *s == 'i' ? HUGE_VAL : NAN;
		if (neg)
			v->f = -v->f;
		P->p = e;
		*out = v;
		return 0;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;

		if (sign)
			return fail(P, at,
				    "invalid number '%.*s': a sign is only allowed on decimals",
				    len, at);
		if (digits(s + 2, e, base) != e)
			return fail(P, at, "invalid number '%.*s'", len, at);
		if (accumulate(&u, s + 2, e, base, INT64_MAX) < 0)
			return fail(P, at, "integer '%.*s' out of range", len, at);
		v = node_new(P, GT_TOML_INTEGER, at, depth);
		v->i = (int64_t)u;
		P->p = e;
		*out = v;
		return 0;
	}
	q = digits(s, e, 10);
	if (q && *s == '0' && q - s > 1)
		return fail(P, at, "invalid number '%.*s': leading zeros are not allowed", len, at);
	if (q && q < e && *q == '.') {
		q = digits(q + 1, e, 10);
		is_float = 1;
	}
	if (q && q < e && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < e && (*q == '+' || *q == '-'))
			q++;
		q = digits(q, e, 10);
		is_float = 1;
	}
	if (q != e)
		return fail(P, at, "invalid %s '%.*s'",
			    is_digit(*s) || *s == '.' ? "number" : "value", len, at);
	if (is_float) {
		double d;

		gt_buf_reset(&P->num);
		for (q = at; q < e; q++)
			if (*q != '_')
				gt_buf_addch(&P->num, *q);
		errno = 0;
		d = strtod(P->num.ptr, NULL);
		if (errno == ERANGE && isinf(d))
			return fail(P, at, "float '%.*s' out of range", len, at);
		v = node_new(P, GT_TOML_FLOAT, at, depth);
		v->f = d;
	} else {
		if (accumulate(&u, s, e, 10, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX) < 0)
			return fail(P, at, "integer '%.*s' out of range", len, at);
		v = node_new(P, GT_TOML_INTEGER, at, depth);
		v->i = neg ? (int64_t)(0 - u) : (int64_t)u;
	}
	P->p = e;
	*out = v;
	return 0;
}

static int datetime_value(struct parser *P, struct gt_toml **out, int depth)
{
	struct gt_toml_datetime dt;
	enum gt_toml_type type;
	const char *why;
	size_t used;

	if (gt_toml_scan_datetime(&dt, &type, P->p, (size_t)(P->end - P->p), &used, &why) < 0)
		return fail(P, P->p + used, "%s", why);
	*out = node_new(P, type, P->p, depth);
	(*out)->dt = dt;
	P->p += used;
	return 0;
}

static int parse_value(struct parser *P, struct gt_toml **out, int depth)
{
	const char *p = P->p;
	int rc;

	if (depth > MAX_DEPTH)
		return fail(P, p, "values nested too deeply");
	switch (*p) {
	case '"':
	case '\'':
		gt_buf_reset(&P->str);
		rc = scan_string(P, &P->str);
		if (rc)
			return rc;
		*out = node_new(P, GT_TOML_STRING, p, depth);
		(*out)->len = P->str.len;
		(*out)->str = arena_strndup(P, gt_buf_cstr(&P->str), P->str.len);
		return 0;
	case '[': return array_value(P, out, depth);
	case '{': return inline_table(P, out, depth);
	case 't':
	case 'f':
		if (strncmp(p, "true", 4) && strncmp(p, "false", 5))
			break;
		*out = node_new(P, GT_TOML_BOOL, p, depth);
		(*out)->b = *p == 't';
		P->p += (*out)->b ? 4 : 5;
		return 0;
	default:
		if (is_digit(p[0]) && is_digit(p[1]) &&
		    (p[2] == ':' || (is_digit(p[2]) && is_digit(p[3]) && p[4] == '-')))
			return datetime_value(P, out, depth);
		if (is_digit(*p) || *p == '+' || *p == '-' || *p == 'i' || *p == 'n')
			return number_value(P, out, depth);
	}
	if (is_eol(p) || *p == '#' || *p == ',' || *p == ']' || *p == '}')
		return fail(P, p, "expected a value");
	return fail(P, p, "invalid value");
}

/* --- tables --- */

static int parse_header(struct parser *P)
{
	const char *at = P->p;
	int aot = at[1] == '[', rc = 0;
	struct gt_toml *t = P->root, *kid;
	size_t last;

	P->p += aot ? 2 : 1;
	rc = parse_key(P);
	if (rc)
		return rc;
	if (*P->p != ']' || (aot && P->p[1] != ']'))
		return fail(P, P->p,
			    aot ? "expected ']]' after table name"
				: "expected ']' after table name");
	P->p += aot ? 2 : 1;
	last = P->nparts - 1;
	for (size_t i = 0; i < last; i++) {
		kid = lookup_part(P, t, i);
		if (!kid)
			rc = new_kid(P, &kid, t, GT_TOML_TABLE, i, at, F_HEADER);
		else if (kid->type == GT_TOML_ARRAY && (kid->flags & F_AOT))
			kid = kid->kids[kid->nkids - 1];
		else if (kid->type != GT_TOML_TABLE || (kid->flags & F_FROZEN))
			rc = cannot_extend(P, at, i + 1, kid);
		if (rc)
			return rc;
		t = kid;
	}
	kid = lookup_part(P, t, last);
	if (!aot) {
		if (!kid) {
			rc = new_kid(P, &kid, t, GT_TOML_TABLE, last, at, F_HEADER | F_DEFINED);
			if (rc)
				return rc;
		} else if (kid->type == GT_TOML_TABLE && kid->flags == F_HEADER) {
			/* implicit until now */
			kid->flags |= F_DEFINED;
			position(P, at, &kid->line, &kid->column);
		} else if (kid->type == GT_TOML_TABLE && (kid->flags & F_DOTTED)) {
			return fail(P, at, "table '%s' is already defined by dotted keys",
				    key_name(P, P->nparts));
		} else if (kid->type == GT_TOML_TABLE && (kid->flags & F_FROZEN)) {
			return fail(P, at, "table '%s' is already defined as an inline table",
				    key_name(P, P->nparts));
		} else if (kid->type == GT_TOML_TABLE) {
			return fail(P, at, "duplicate table '%s'", key_name(P, P->nparts));
		} else if (kid->type == GT_TOML_ARRAY && (kid->flags & F_AOT)) {
			return fail(P, at, "'%s' is an array of tables, not a table",
				    key_name(P, P->nparts));
		} else {
			return fail(P, at, "duplicate key '%s'", key_name(P, P->nparts));
		}
		P->cur = kid;
		return 0;
	}
	if (!kid) {
		rc = new_kid(P, &kid, t, GT_TOML_ARRAY, last, at, F_AOT);
		if (rc)
			return rc;
	} else if (kid->type == GT_TOML_TABLE) {
		return fail(P, at, "'%s' is a table, not an array of tables",
			    key_name(P, P->nparts));
	} else if (kid->type != GT_TOML_ARRAY) {
		return fail(P, at, "duplicate key '%s'", key_name(P, P->nparts));
	} else if (!(kid->flags & F_AOT)) {
		return fail(P, at, "cannot append to array '%s': it is not an array of tables",
			    key_name(P, P->nparts));
	}
	if (kid->depth >= MAX_DEPTH)
		return fail(P, at, "tables nested too deeply");
	t = node_new(P, GT_TOML_TABLE, at, kid->depth + 1);
	t->flags = F_HEADER | F_DEFINED;
	add_kid(P, kid, t);
	P->cur = t;
	return 0;
}

static int parse_document(struct parser *P)
{
	int rc;

	for (;;) {
		const char *after = "value";

		skip_ws(P);
		if (!*P->p)
			return 0;
		if (*P->p == '[') {
			rc = parse_header(P);
			after = "table header";
		} else if (*P->p != '#' && *P->p != '\n' && *P->p != '\r') {
			rc = parse_keyval(P, P->cur);
		} else {
			rc = 0;
		}
		if (!rc)
			rc = end_line(P, after);
		if (rc)
			return rc;
	}
}

int gt_toml_parse(struct gt_toml **out, const char *buf, size_t len, const char *what)
{
	struct parser P = { 0 };
	char *copy;
	size_t bad;
	int rc;

	*out = NULL;
	P.what = what;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		buf += 3;
		len -= 3;
	}
	P.start = buf;
	if (gt_utf8_check(buf, len, &bad) < 0)
		return fail(&P, buf + bad, buf[bad] ? "invalid UTF-8" : "NUL byte");
	copy = gt_strndup(buf, len);
	P.start = P.p = copy;
	P.end = copy + len;
	P.pos_at = NULL;
	/* a first chunk big enough for a typical document of this size */
	P.chunk_size = CHUNK_MIN;
	while (P.chunk_size < CHUNK_MAX && P.chunk_size < len * 4)
		P.chunk_size *= 2;
	P.root = arena_calloc(&P, sizeof(*P.root));
	P.root->type = GT_TOML_TABLE;
	P.root->line = P.root->column = 1;
	P.root->flags = F_HEADER | F_DEFINED;
	P.cur = P.root;
	rc = parse_document(&P);
	if (rc) {
		arena_free(P.chunks);
	} else {
		P.root->arena = P.chunks;
		*out = P.root;
	}
	free(copy);
	free(P.parts);
	gt_buf_release(&P.keys);
	gt_buf_release(&P.name);
	gt_buf_release(&P.num);
	gt_buf_release(&P.str);
	return rc;
}

int gt_toml_parse_file(struct gt_toml **out, const char *path)
{
	struct gt_buf b = GT_BUF_INIT;
	int rc;

	*out = NULL;
	rc = gt_read_file(&b, path);
	if (!rc)
		rc = gt_toml_parse(out, gt_buf_cstr(&b), b.len, path);
	gt_buf_release(&b);
	return rc;
}

/* --- looking things up --- */

const struct gt_toml *gt_toml_get(const struct gt_toml *table, const char *key)
{
	if (!table || table->type != GT_TOML_TABLE || !key)
		return NULL;
	return lookup(table, key, strlen(key));
}

const char *gt_toml_str(const struct gt_toml *table, const char *key)
{
	const struct gt_toml *v = gt_toml_get(table, key);

	return v && v->type == GT_TOML_STRING ? v->str : NULL;
}

const char *gt_toml_type_name(enum gt_toml_type t)
{
	static const char *const names[] = {
		"table", "array",    "string",	       "integer",    "float",
		"bool",	 "datetime", "datetime-local", "date-local", "time-local",
	};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

cJSON *gt_toml_to_json(const struct gt_toml *v)
{
	struct gt_buf b = GT_BUF_INIT;
	cJSON *j;

	switch (v->type) {
	case GT_TOML_TABLE:
		j = cJSON_CreateObject();
		for (size_t i = 0; i < v->nkids; i++)
			cJSON_AddItemToObject(j, v->kids[i]->key, gt_toml_to_json(v->kids[i]));
		return j;
	case GT_TOML_ARRAY:
		j = cJSON_CreateArray();
		for (size_t i = 0; i < v->nkids; i++)
			cJSON_AddItemToArray(j, gt_toml_to_json(v->kids[i]));
		return j;
	case GT_TOML_STRING: return cJSON_CreateString(v->str);
	case GT_TOML_INTEGER: return cJSON_CreateNumber((double)v->i);
	case GT_TOML_FLOAT:
		if (isnan(v->f))
			return cJSON_CreateString("nan");
		if (isinf(v->f))
			return cJSON_CreateString(v->f < 0 ? "-inf" : "inf");
		return cJSON_CreateNumber(v->f);
	case GT_TOML_BOOL: return cJSON_CreateBool(v->b);
	default:
		gt_toml_datetime_format(&b, v);
		j = cJSON_CreateString(gt_buf_cstr(&b));
		gt_buf_release(&b);
		return j;
	}
}
