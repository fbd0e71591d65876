/*
 * proc.h - running other programs without a shell.
 *
 * Arguments go straight to execvp(), so ids, titles and branch names from
 * agents can never be interpreted by a shell.
 */
#ifndef GT_PROC_H
#define GT_PROC_H

#include "buf.h"

struct gt_proc_opts {
	const char *cwd;	/* run there (NULL: here) */
	const char *const *env; /* extra NAME=VALUE entries (NULL-terminated) */
	struct gt_buf *out;	/* capture stdout (NULL: inherit) */
	struct gt_buf *err;	/* capture stderr (NULL: inherit) */
	int quiet;		/* discard stdout and stderr not captured */
};

/* Run argv[0] with argv and wait.  Returns 0 when it exited 0, GT_EFAIL
 * with a message naming the program and its status otherwise; *status
 * (if given) receives the exit status (or 128+signal). */
int gt_run(const char *const *argv, const struct gt_proc_opts *o, int *status);

#endif
