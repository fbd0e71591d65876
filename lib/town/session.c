/*
 * session.c - tmux sessions: start, stop, list, capture, type.
 */
#include "town/session.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/options.h"
#include "base/proc.h"
#include "base/banned.h"

void gt_session_name(struct gt_buf *out, const char *address)
{
	gt_buf_reset(out);
	gt_buf_adds(out, "gt-");
	for (const char *p = address; *p; p++) {
		if (!strncmp(p, "/polecats/", 10)) {
			gt_buf_addch(out, '-');
			p += 9;
		} else if (*p == '/') {
			gt_buf_addch(out, '-');
		} else if (*p == '.' || *p == ':') {
			gt_buf_addch(out, '_'); /* tmux separators */
		} else {
			gt_buf_addch(out, *p);
		}
	}
}

static int tmuxv(struct gt_buf *out, const char *socket, const char *const *args)
{
	const char *const pre[] = { "tmux", "-L", socket, NULL };

	/* a tmux server this starts must not carry the caller's run tag,
	 * or ending the caller's run would end the server (runner.h) */
	unsetenv("GT_RUN_ID");
	return gt_run_tool(out, NULL, pre, args);
}

int gt_tmux(struct gt_buf *out, const char *socket, ...)
{
	const char *argv[64];
	va_list ap;

	va_start(ap, socket);
	gt_args_collect(argv, 64, ap);
	va_end(ap);
	return tmuxv(out, socket, argv);
}

static void target(struct gt_buf *t, const char *name, int pane)
{
	gt_buf_reset(t);
	gt_buf_printf(t, "=%s%s", name, pane ? ":" : "");
}

int gt_session_has(const char *socket, const char *name)
{
	struct gt_buf t = GT_BUF_INIT;
	const char *args[] = { "has-session", "-t", NULL, NULL };
	int rc;

	target(&t, name, 0);
	args[2] = t.ptr;
	rc = tmuxv(NULL, socket, args);
	gt_buf_release(&t);
	if (rc < 0) {
		gt_error_clear();
		return GT_ENO;
	}
	return 0;
}

static int start(const char *verb, const char *socket, const char *name, const char *cwd,
		 const char *const *env, const char *const *argv)
{
	struct gt_strlist a = { 0 };
	struct gt_buf t = GT_BUF_INIT;
	int rc;

	gt_strlist_push(&a, verb);
	if (!strcmp(verb, "new-session")) {
		gt_strlist_push(&a, "-d");
		gt_strlist_push(&a, "-s");
		gt_strlist_push(&a, name);
		gt_strlist_push(&a, "-x");
		gt_strlist_push(&a, "200");
		gt_strlist_push(&a, "-y");
		gt_strlist_push(&a, "50");
	} else {
		target(&t, name, 1);
		gt_strlist_push(&a, "-k");
		gt_strlist_push(&a, "-t");
		gt_strlist_push(&a, t.ptr);
	}
	if (cwd) {
		gt_strlist_push(&a, "-c");
		gt_strlist_push(&a, cwd);
	}
	for (size_t i = 0; env && env[i]; i++) {
		gt_strlist_push(&a, "-e");
		gt_strlist_push(&a, env[i]);
	}
	gt_strlist_push(&a, "--");
	for (size_t i = 0; argv[i]; i++)
		gt_strlist_push(&a, argv[i]);
	gt_strlist_push(&a, NULL);
	rc = tmuxv(NULL, socket, a.v);
	gt_strlist_release(&a);
	gt_buf_release(&t);
	return rc;
}

int gt_session_start(const char *socket, const char *name, const char *cwd, const char *const *env,
		     const char *const *argv)
{
	/* tmux refuses a name in use; asked only then, one tmux run for a
	 * start (many slings start sessions at once) */
	int rc = start("new-session", socket, name, cwd, env, argv);

	if (rc < 0 && gt_session_has(socket, name) == 0)
		return gt_error_set(GT_ECONFLICT, "session '%s' is already running", name);
	return rc;
}

int gt_session_respawn(const char *socket, const char *name, const char *cwd,
		       const char *const *env, const char *const *argv)
{
	if (gt_session_has(socket, name) != 0)
		return gt_error_set(GT_ENOTFOUND, "session '%s' is not running", name);
	return start("respawn-pane", socket, name, cwd, env, argv);
}

int gt_session_kill(const char *socket, const char *name)
{
	struct gt_buf t = GT_BUF_INIT;
	int rc;

	if (gt_session_has(socket, name) != 0)
		return GT_ENO;
	target(&t, name, 0);
	rc = gt_tmux(NULL, socket, "kill-session", "-t", t.ptr, NULL);
	gt_buf_release(&t);
	return rc;
}

static int capture(struct gt_buf *out, const char *socket, const char *name, int lines, int styled)
{
	struct gt_buf t = GT_BUF_INIT, start_at = GT_BUF_INIT;
	int rc;

	target(&t, name, 1);
	gt_buf_printf(&start_at, "-%d", lines > 0 ? lines : 50);
	/* -e: the escape sequences of the text's colours and attributes */
	if (styled)
		rc = gt_tmux(out, socket, "capture-pane", "-p", "-e", "-J", "-t", t.ptr, "-S",
			     start_at.ptr, NULL);
	else
		rc = gt_tmux(out, socket, "capture-pane", "-p", "-J", "-t", t.ptr, "-S",
			     start_at.ptr, NULL);
	if (rc == 0 && lines > 0) {
		/* the pane is padded with empty lines below the cursor; drop
		 * them, then keep the last `lines` lines */
		size_t n = 0, cut = 0;

		for (size_t i = out->len; i-- > 0;) {
			if (out->ptr[i] == '\n' && ++n == (size_t)lines) {
				cut = i + 1;
				break;
			}
		}
		if (cut) {
			memmove(out->ptr, out->ptr + cut, out->len - cut + 1);
			out->len -= cut;
		}
	}
	gt_buf_release(&t);
	gt_buf_release(&start_at);
	return rc;
}

int gt_session_capture(struct gt_buf *out, const char *socket, const char *name, int lines)
{
	return capture(out, socket, name, lines, 0);
}

int gt_session_capture_styled(struct gt_buf *out, const char *socket, const char *name, int lines)
{
	return capture(out, socket, name, lines, 1);
}

int gt_session_type(const char *socket, const char *name, const char *text, int enter)
{
	struct gt_buf t = GT_BUF_INIT;
	int rc = 0;

	target(&t, name, 1);
	/* -l: literal, so "Enter" or "C-c" inside the text are just words */
	if (*text)
		rc = gt_tmux(NULL, socket, "send-keys", "-t", t.ptr, "-l", "--", text, NULL);
	if (rc == 0 && enter)
		rc = gt_tmux(NULL, socket, "send-keys", "-t", t.ptr, "Enter", NULL);
	gt_buf_release(&t);
	return rc;
}

int gt_session_list(struct gt_buf *out, const char *socket)
{
	int rc = gt_tmux(out, socket, "list-sessions", "-F",
			 "#{session_name}|#{pane_pid}|#{session_created}|#{session_attached}|"
			 "#{pane_current_command}",
			 NULL);

	/* tmux turns tabs into '_' in a C locale: fields are split at '|'
	 * (never in a session name) and turned into tabs here, the command
	 * last since it could hold anything */
	for (size_t i = 0, f = 0; rc == 0 && i < out->len; i++) {
		if (out->ptr[i] == '\n')
			f = 0;
		else if (out->ptr[i] == '|' && f < 4 && ++f)
			out->ptr[i] = '\t';
	}
	if (rc < 0) {
		/* no server running means no sessions */
		gt_buf_reset(out);
		gt_error_clear();
		rc = 0;
	}
	return rc;
}

int gt_session_listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *line = list; line && *line;) {
		if (!strncmp(line, name, n) && (line[n] == '\t' || line[n] == '\n' || !line[n]))
			return 1;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}

int gt_session_pane(const char *socket, const char *name, long *pid, struct gt_buf *command)
{
	struct gt_buf t = GT_BUF_INIT, out = GT_BUF_INIT;
	int rc;

	target(&t, name, 1);
	rc = gt_tmux(&out, socket, "display-message", "-p", "-t", t.ptr,
		     "#{pane_pid}|#{pane_current_command}", NULL);
	if (rc == 0) {
		char *tab = strchr(out.ptr, '|');

		*pid = strtol(out.ptr, NULL, 10);
		if (command) {
			gt_buf_reset(command);
			gt_buf_adds(command, tab ? tab + 1 : "");
		}
	}
	gt_buf_release(&t);
	gt_buf_release(&out);
	return rc;
}
