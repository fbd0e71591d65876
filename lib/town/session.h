/*
 * session.h - tmux sessions on the town's private server.
 *
 * Every town has its own tmux server (`tmux -L <socket>`, see town.h), so
 * towns never see each other's sessions or the user's.  Sessions are
 * named after their agent (gt_session_name()).  Commands run in a session
 * are given to tmux as an argument vector, which tmux executes directly:
 * no shell ever sees a title, an id or an argument.  Targets use tmux's
 * exact-match form (`=name`), so "gt-x-jade" never matches "gt-x-jadeite".
 */
#ifndef GT_SESSION_H
#define GT_SESSION_H

#include "base/buf.h"

/* The session name for an agent address: mayor -> gt-mayor,
 * rig/polecats/jade -> gt-rig-jade, rig/crew/ann -> gt-rig-crew-ann,
 * rig/witness -> gt-rig-witness. */
void gt_session_name(struct gt_buf *out, const char *address);

/* Run tmux -L socket with the NULL-terminated arguments; stdout to out
 * (trimmed).  GT_EFAIL with tmux's message on failure. */
int gt_tmux(struct gt_buf *out, const char *socket, ...) __attribute__((sentinel));

/* 0 when the session exists, GT_ENO when not (no server counts as not). */
int gt_session_has(const char *socket, const char *name);

/* Start a detached session running argv in cwd with env (NAME=VALUE
 * entries, NULL-terminated).  GT_ECONFLICT if it exists already. */
int gt_session_start(const char *socket, const char *name, const char *cwd, const char *const *env,
		     const char *const *argv);
/* Replace the program of a running session's pane (handoff): the old
 * process is killed, argv starts in its place with env. */
int gt_session_respawn(const char *socket, const char *name, const char *cwd,
		       const char *const *env, const char *const *argv);
/* Kill the session; GT_ENO when there was none. */
int gt_session_kill(const char *socket, const char *name);

/* The last `lines` lines of the pane (the visible screen and history). */
int gt_session_capture(struct gt_buf *out, const char *socket, const char *name, int lines);
/* The same with the escape sequences of colours and attributes kept. */
int gt_session_capture_styled(struct gt_buf *out, const char *socket, const char *name, int lines);

/* Type text literally into the pane, then press Enter as its own key. */
int gt_session_type(const char *socket, const char *name, const char *text, int enter);

/* One line per session: name, pid of the pane's process, creation time
 * (seconds), attached count, the pane's current command; tab-separated. */
int gt_session_list(struct gt_buf *out, const char *socket);

/* Whether name is a session of a gt_session_list() answer (its first
 * field on some line, matched whole). */
int gt_session_listed(const char *list, const char *name);

/* The pane's process id and current command. */
int gt_session_pane(const char *socket, const char *name, long *pid, struct gt_buf *command);

#endif
