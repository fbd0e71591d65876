/*
 * tap.h - the smallest TAP producer for C unit tests.
 */
#ifndef GT_TAP_H
#define GT_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                   \
	do {                                                                            \
		int pass_ = (cond) ? 1 : 0; /* evaluated once */                        \
		tap_n++;                                                                \
		if (pass_) {                                                            \
			printf("ok %d - ", tap_n);                                      \
		} else {                                                                \
			tap_failed++;                                                   \
			printf("not ok %d - ", tap_n);                                  \
		}                                                                       \
		printf(__VA_ARGS__);                                                    \
		printf("\n");                                                           \
		if (!pass_)                                                             \
			printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	} while (0)

#define is_str(got, want, ...)                                                  \
	do {                                                                    \
		const char *g_ = (got), *w_ = (want);                           \
		int same_ = g_ && w_ && !strcmp(g_, w_);                        \
		ok(same_, __VA_ARGS__);                                         \
		if (!same_)                                                     \
			printf("#   got [%s], want [%s]\n", g_ ? g_ : "(null)", \
			       w_ ? w_ : "(null)");                             \
	} while (0)

static int tap_done(void)
{
	printf("# %d passed, %d failed\n", tap_n - tap_failed, tap_failed);
	return tap_failed != 0;
}

#endif
