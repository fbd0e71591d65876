/*
 * proc.h - running other programs without a shell.
 *
 * Arguments go straight to execvp(), so ids, titles and branch names from
 * agents can never be interpreted by a shell.
 */
#ifndef GT_PROC_H
#define GT_PROC_H

#include <stdarg.h>
#include <stddef.h>

#include "base/buf.h"

struct gt_proc_opts {
	const char *cwd;	 /* run there (NULL: here) */
	const char *const *env;	 /* extra NAME=VALUE entries (NULL-terminated) */
	const struct gt_buf *in; /* fed to stdin (NULL: /dev/null) */
	struct gt_buf *out;	 /* capture stdout (NULL: inherit) */
	struct gt_buf *err;	 /* capture stderr (NULL: inherit) */
	int quiet;		 /* discard stdout and stderr not captured */
};

/* Run argv[0] with argv and wait.  Returns 0 when it exited 0, GT_EFAIL
 * with a message naming the program and its status otherwise; *status
 * (if given) receives the exit status (or 128+signal). */
int gt_run(const char *const *argv, const struct gt_proc_opts *o, int *status);

/* Start argv[0] with argv in a session of its own (so a terminal's
 * Ctrl-C meant for the caller never reaches it), stdin, stdout and
 * stderr on /dev/null, and return without waiting for it: *pid is the
 * child, for gt_proc_reap().  GT_EFAIL when it cannot be started, a
 * program not found included (the child reports a failed exec through
 * a close-on-exec pipe, so success means the program is running). */
int gt_spawn(long *pid, const char *const *argv);

/* Whether child pid has ended, without waiting: 1 when it has (reaped;
 * its exit status, or 128+signal, in *status), 0 while it runs, GT_EFAIL
 * when pid is not a child of this process. */
int gt_proc_reap(long pid, int *status);

/* In a child between fork() and exec(): close every descriptor from
 * from on, but keep (-1: none).  Only system calls (close_range(2), or
 * close(2) up to 1024 where the kernel has no close_range). */
void gt_close_fds_from(int from, int keep);

/* The directory of the running program ("" when unknown); caller frees. */
char *gt_self_bindir(void);

/* Run a tool: the words of pre (e.g. {"tmux", "-L", socket}) followed by
 * args, both NULL-terminated, in cwd (NULL: here).  stdout goes to out
 * (if given; trailing newlines trimmed), stderr is kept for the message:
 * on failure GT_EFAIL with "<tool> <args[0]> failed: <the last line of
 * stderr that is not a hint>", or "cannot enter" when cwd is missing. */
int gt_run_tool(struct gt_buf *out, const char *cwd, const char *const *pre,
		const char *const *args);

/* The same with extra NAME=VALUE entries in the environment (NULL-
 * terminated, may be NULL). */
int gt_run_tool_env(struct gt_buf *out, const char *cwd, const char *const *env,
		    const char *const *pre, const char *const *args);

/* The line of captured stderr that says what went wrong: the last one
 * that is not a "hint:" (git ends many failures with hints that only
 * suggest a next step).  Trims err; the line points into it. */
const char *gt_proc_telling_line(struct gt_buf *err);

/* Collect a NULL-terminated variable argument list into argv (which holds
 * cap entries, the last for the terminating NULL). */
void gt_args_collect(const char **argv, size_t cap, va_list ap);

/* The state letter of process pid in /proc (R, S, D, T, t, Z, X, ...),
 * '?' when it exists but /proc cannot tell, 0 when there is none. */
char gt_proc_state(long pid);

/* Whether a live process of session sid (the pane's program leads one)
 * has one of names (comma-separated, as in /proc/PID/comm, at most 15
 * bytes each): 1 yes, 0 no, -1 when /proc cannot tell. */
int gt_proc_in_session(long sid, const char *names);

/* Send sig to every process whose environment holds the entry tag
 * ("NAME=VALUE", matched whole), except the caller: how a run's whole
 * tree is ended, daemons that left the process group included.  Returns
 * how many were signalled. */
int gt_proc_kill_tagged(const char *tag, int sig);

/* Whether a process with pid is alive (not a zombie). */
int gt_proc_alive(long pid);

#endif
