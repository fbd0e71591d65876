/*
 * error.h - error codes and the last-error message (libgit2's habit).
 *
 * Every lib function returns 0 (or a count) on success and a negative GT_E*
 * code on failure, after recording a message with gt_error_set().  Only cmd/
 * decides what to print and which exit status to use; gt_error_exit_code()
 * maps a code to the exit codes listed in gt(7).
 */
#ifndef GT_ERROR_H
#define GT_ERROR_H

#include <stdarg.h>

enum {
	GT_OK = 0,
	GT_ENO = -1,	    /* "no" / empty answer from a predicate (exit 1) */
	GT_EUSAGE = -2,	    /* bad arguments (exit 2) */
	GT_ENOTFOUND = -3,  /* id, agent, rig or ref not found (exit 3) */
	GT_ECONFLICT = -4,  /* lost race, already claimed, exists, diverged (exit 4) */
	GT_EINVALID = -5,   /* invalid input data (exit 5) */
	GT_ETEMP = -6,	    /* lock busy, timeout: retrying may work (exit 6) */
	GT_EFAIL = -7,	    /* I/O, libgit2, child process failure (exit 7) */
	GT_EAMBIGUOUS = -8, /* ambiguous partial id: reported as usage (exit 2) */
};

/* Record the message for the current failure; returns code, so callers can
 * write `return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);`. */
int gt_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int gt_error_setv(int code, const char *fmt, va_list ap);

/* Like gt_error_set() but appends ": <libgit2's last error>" when there is
 * one; the code is mapped from the libgit2 error class when code is 0. */
int gt_error_git(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like gt_error_set() but appends ": strerror(errno)". */
int gt_error_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Attach a hint (one line saying what to run next); shown by cmd/ after the
 * error.  Cleared by the next gt_error_set(). */
void gt_error_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The message and hint for the last failure ("" when none).  The strings
 * are owned by the library and valid until the next error is recorded. */
const char *gt_error_last(void);
const char *gt_error_last_hint(void);
int gt_error_last_code(void);

/* Keep the current error (message, hint, code) across clean-up that may
 * record errors of its own, then put it back: the caller reports the
 * failure that started the clean-up. */
struct gt_error_saved {
	int code;
	char *msg, *hint;
};
void gt_error_save(struct gt_error_saved *s);
/* Restore and free what gt_error_save() kept; returns its code. */
int gt_error_restore(struct gt_error_saved *s);

/* Clear the recorded error. */
void gt_error_clear(void);

/* Map a GT_E* code (or 0) to the process exit status of gt(7). */
int gt_error_exit_code(int code);

#endif
