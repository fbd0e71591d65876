/*
 * buf.c - growable byte buffer and checked allocation.
 */
#include "base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static char empty[1];

void *gt_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		abort();
	return p;
}

void *gt_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		abort();
	return p;
}

void *gt_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *gt_strdup(const char *s)
{
	return gt_strndup(s, strlen(s));
}

char *gt_strndup(const char *s, size_t n)
{
	char *p = gt_malloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void gt_buf_init(struct gt_buf *b, size_t hint)
{
	b->ptr = NULL;
	b->len = b->alloc = 0;
	if (hint)
		gt_buf_grow(b, hint);
}

void gt_buf_release(struct gt_buf *b)
{
	if (b->alloc)
		free(b->ptr);
	b->ptr = NULL;
	b->len = b->alloc = 0;
}

char *gt_buf_detach(struct gt_buf *b)
{
	char *p;

	if (!b->alloc)
		return gt_strdup("");
	p = b->ptr;
	b->ptr = NULL;
	b->len = b->alloc = 0;
	return p;
}

void gt_buf_grow(struct gt_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->alloc)
		return;
	if (need < b->alloc * 2)
		need = b->alloc * 2;
	if (need < 64)
		need = 64;
	b->ptr = gt_realloc(b->alloc ? b->ptr : NULL, need);
	if (!b->alloc)
		b->ptr[0] = '\0';
	b->alloc = need;
}

void gt_buf_reset(struct gt_buf *b)
{
	gt_buf_truncate(b, 0);
}

void gt_buf_truncate(struct gt_buf *b, size_t len)
{
	if (!b->alloc || len > b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

void gt_buf_add(struct gt_buf *b, const void *data, size_t len)
{
	gt_buf_grow(b, len);
	if (len) /* data may be NULL then: memcpy() must not see it */
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void gt_buf_adds(struct gt_buf *b, const char *s)
{
	gt_buf_add(b, s, strlen(s));
}

void gt_buf_addch(struct gt_buf *b, int c)
{
	gt_buf_grow(b, 1);
	b->ptr[b->len++] = (char)c;
	b->ptr[b->len] = '\0';
}

void gt_buf_vprintf(struct gt_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	gt_buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->alloc - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= b->alloc - b->len) {
		gt_buf_grow(b, (size_t)n);
		vsnprintf(b->ptr + b->len, b->alloc - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void gt_buf_printf(struct gt_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gt_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *gt_buf_cstr(const struct gt_buf *b)
{
	return b->alloc ? b->ptr : empty;
}

void gt_buf_add_utf8(struct gt_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	gt_buf_add(b, u, n);
}

int gt_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
