/*
 * buf.h - growable byte buffer, always NUL-terminated.
 *
 * struct gt_buf b = GT_BUF_INIT; ...; gt_buf_release(&b);
 * Allocation failure aborts the process: out of memory is not an error a
 * caller can recover from, and checking every append would bury the logic.
 */
#ifndef GT_BUF_H
#define GT_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct gt_buf {
	char *ptr;
	size_t len;
	size_t alloc;
};

#define GT_BUF_INIT        \
	{                  \
		NULL, 0, 0 \
	}

void gt_buf_init(struct gt_buf *b, size_t hint);
void gt_buf_release(struct gt_buf *b);
/* Take ownership of the bytes (never NULL); b is reset to empty. */
char *gt_buf_detach(struct gt_buf *b);
void gt_buf_grow(struct gt_buf *b, size_t extra);
void gt_buf_reset(struct gt_buf *b);
void gt_buf_truncate(struct gt_buf *b, size_t len);
void gt_buf_add(struct gt_buf *b, const void *data, size_t len);
void gt_buf_adds(struct gt_buf *b, const char *s);
void gt_buf_addch(struct gt_buf *b, int c);
void gt_buf_printf(struct gt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gt_buf_vprintf(struct gt_buf *b, const char *fmt, va_list ap);
/* Append code point cp (at most U+10FFFF) in UTF-8. */
void gt_buf_add_utf8(struct gt_buf *b, unsigned long cp);
/* The value of a hexadecimal digit, -1 for anything else. */
int gt_hex_digit(int c);
/* The contents, "" when empty (never NULL). */
const char *gt_buf_cstr(const struct gt_buf *b);

/* Checked allocation helpers (abort on failure, like gt_buf). */
void *gt_malloc(size_t n);
void *gt_calloc(size_t n, size_t size);
void *gt_realloc(void *p, size_t n);
char *gt_strdup(const char *s);
char *gt_strndup(const char *s, size_t n);
/* Grow an array so that it holds at least `need` elements. */
#define GT_ALLOC_GROW(arr, need, alloc)                                  \
	do {                                                             \
		if ((size_t)(need) > (alloc)) {                          \
			size_t na_ = (alloc) ? (alloc)*2 : 16;           \
			if (na_ < (size_t)(need))                        \
				na_ = (need);                            \
			(arr) = gt_realloc((arr), na_ * sizeof(*(arr))); \
			(alloc) = na_;                                   \
		}                                                        \
	} while (0)

#endif
