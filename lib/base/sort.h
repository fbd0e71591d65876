/*
 * sort.h - sorting large arrays by index.
 */
#ifndef GT_SORT_H
#define GT_SORT_H

#include <stddef.h>
#include <stdint.h>

/* The indices 0..n-1 ordered by less(a, b, ctx) ("a sorts before b"): a
 * stable bottom-up merge sort of 4-byte indices, so records of any size
 * are never copied.  The caller frees the array. */
uint32_t *gt_sort_index(size_t n, int (*less)(uint32_t a, uint32_t b, void *ctx), void *ctx);

#endif
