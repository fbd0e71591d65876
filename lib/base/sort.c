/*
 * sort.c - sorting large arrays by index (sort.h).
 */
#include "base/sort.h"

#include <stdlib.h>

#include "base/buf.h"
#include "base/banned.h"

uint32_t *gt_sort_index(size_t n, int (*less)(uint32_t a, uint32_t b, void *ctx), void *ctx)
{
	uint32_t *x = gt_malloc((n ? n : 1) * sizeof(*x)), *y = gt_malloc((n ? n : 1) * sizeof(*y));

	for (size_t i = 0; i < n; i++)
		x[i] = (uint32_t)i;
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				y[k++] = less(x[j], x[i], ctx) ? x[j++] : x[i++];
			while (i < mid)
				y[k++] = x[i++];
			while (j < hi)
				y[k++] = x[j++];
		}
		{
			uint32_t *t = x;

			x = y;
			y = t;
		}
	}
	free(y);
	return x;
}
