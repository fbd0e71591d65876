/*
 * progress.h - how long work tells its caller how far it is.
 *
 * lib/ never prints: a function that may run for a while (an import, a
 * batch of slings, a refinery run, verifying a ledger) takes an optional
 * struct gt_progress and calls it as it goes; the command decides what a
 * person sees (cmd/cli-progress.c: a line on a terminal, nothing else).
 */
#ifndef GT_PROGRESS_H
#define GT_PROGRESS_H

#include <stdint.h>

struct gt_progress {
	/* done units of total so far (total 0: not known); called often,
	 * so it must be cheap (the printer throttles itself) */
	void (*fn)(void *arg, uint64_t done, uint64_t total);
	void *arg;
};

/* Tell p (NULL, or one without fn, is fine: nothing happens). */
static inline void gt_progress_tell(const struct gt_progress *p, uint64_t done, uint64_t total)
{
	if (p && p->fn)
		p->fn(p->arg, done, total);
}

#endif
