/*
 * error.c - the last-error message, kept per thread.
 */
#include "base/error.h"

#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/banned.h"

static _Thread_local char last_msg[4096];
static _Thread_local char last_hint[1024];
static _Thread_local int last_code;

int gt_error_setv(int code, const char *fmt, va_list ap)
{
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	last_hint[0] = '\0';
	last_code = code;
	return code;
}

int gt_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gt_error_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

static void append(const char *extra)
{
	size_t len = strlen(last_msg);

	if (!extra || !*extra || len >= sizeof(last_msg) - 3)
		return;
	snprintf(last_msg + len, sizeof(last_msg) - len, ": %s", extra);
}

int gt_error_git(int code, const char *fmt, ...)
{
	const git_error *ge = git_error_last();
	va_list ap;

	if (!code) {
		code = GT_EFAIL;
		if (ge && (ge->klass == GIT_ERROR_OS || ge->klass == GIT_ERROR_NET))
			code = GT_EFAIL;
	}
	va_start(ap, fmt);
	gt_error_setv(code, fmt, ap);
	va_end(ap);
	if (ge && ge->message) {
		char msg[1024];
		size_t n;

		snprintf(msg, sizeof(msg), "%s", ge->message);
		n = strlen(msg);
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
			msg[--n] = '\0';
		append(msg);
	}
	return code;
}

int gt_error_errno(int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	gt_error_setv(code, fmt, ap);
	va_end(ap);
	append(strerror(saved));
	errno = saved;
	return code;
}

void gt_error_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_hint, sizeof(last_hint), fmt, ap);
	va_end(ap);
}

const char *gt_error_last(void)
{
	return last_msg;
}

const char *gt_error_last_hint(void)
{
	return last_hint;
}

int gt_error_last_code(void)
{
	return last_code;
}

void gt_error_clear(void)
{
	last_msg[0] = '\0';
	last_hint[0] = '\0';
	last_code = 0;
}

int gt_error_exit_code(int code)
{
	switch (code) {
	case GT_OK: return 0;
	case GT_ENO: return 1;
	case GT_EUSAGE:
	case GT_EAMBIGUOUS: return 2;
	case GT_ENOTFOUND: return 3;
	case GT_ECONFLICT: return 4;
	case GT_EINVALID: return 5;
	case GT_ETEMP: return 6;
	default: return 7;
	}
}

void gt_error_save(struct gt_error_saved *s)
{
	s->code = last_code;
	s->msg = gt_strdup(last_msg);
	s->hint = gt_strdup(last_hint);
}

int gt_error_restore(struct gt_error_saved *s)
{
	gt_error_set(s->code, "%s", s->msg);
	if (*s->hint)
		gt_error_hint("%s", s->hint);
	free(s->msg);
	free(s->hint);
	s->msg = s->hint = NULL;
	return s->code;
}
