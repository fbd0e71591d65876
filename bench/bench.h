/*
 * bench.h - the helpers the benchmark drivers share (header only: each
 * driver is one file).  Set bench_prog before anything can fail.
 */
#ifndef GT_BENCH_H
#define GT_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *bench_prog = "bench";

static inline void die(const char *msg)
{
	fprintf(stderr, "%s: %s\n", bench_prog, msg);
	exit(2);
}

static inline void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

static inline char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("out of memory");
	return d;
}

/* The non-empty lines of path, without their newlines; exits 2 when the
 * file cannot be read or has none ("the <what> is empty"). */
static inline char **read_lines(const char *path, size_t *n, const char *what)
{
	FILE *f = fopen(path, "r");
	char **v = NULL, *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t len;

	*n = 0;
	if (!f) {
		perror(path);
		exit(2);
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len)
			continue;
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			v = xrealloc(v, alloc * sizeof(*v));
		}
		v[(*n)++] = xstrdup(line);
	}
	free(line);
	fclose(f);
	if (!*n) {
		fprintf(stderr, "%s: the %s is empty\n", bench_prog, what);
		exit(2);
	}
	return v;
}

/* A number from the command line, at least min (whole: an integer);
 * exits 2 naming what it was for otherwise. */
static inline double parse_num(const char *s, const char *what, double min, int whole)
{
	char *end;
	double v;

	errno = 0;
	v = whole ? (double)strtoll(s, &end, 10) : strtod(s, &end);
	if (errno || end == s || *end || v < min) {
		fprintf(stderr, "%s: bad %s '%s'\n", bench_prog, what, s);
		exit(2);
	}
	return v;
}

/* splitmix64: tiny, fast and good enough for synthetic data and for
 * picking beads; seed it through bench_rng. */
static uint64_t bench_rng;

static inline uint64_t rnd(void)
{
	uint64_t z = (bench_rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile p of n sorted nanosecond figures, in ms. */
static inline double pct_ms(const int64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);

	if (n == 0)
		return 0;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)sorted[rank - 1] / 1e6;
}

#endif
