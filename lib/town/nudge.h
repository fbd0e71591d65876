/*
 * nudge.h - text typed into a live agent's session, now, when it is idle,
 * or queued for its next turn.
 *
 * Nudges are not stored in the ledger.  Typing takes a per-session lock
 * (<git-common-dir>/gt/locks/nudge-<session>), so two nudges never
 * interleave their keys.  Queued nudges are files under
 * <git-common-dir>/gt/nudges/<session>/, drained oldest first by gt-prime
 * and by `gt-nudge --drain` (which Claude Code's prompt hook runs).
 */
#ifndef GT_NUDGE_H
#define GT_NUDGE_H

#include <cjson/cJSON.h>

#include "store/repo.h"
#include "town/runtime.h"

enum gt_nudge_mode {
	GT_NUDGE_IMMEDIATE,
	GT_NUDGE_WAIT_IDLE, /* wait until the pane shows the agent idle, else queue */
	GT_NUDGE_QUEUE,
};

/* Watch the last `lines` lines of session's pane until they show rt idle
 * (gt_runtime_idle()) on two polls in a row, 200 ms apart, so a prompt
 * drawn mid-startup is not taken for idleness.  0 when idle, GT_ENO after
 * timeout_ms, or the error of a failed capture. */
int gt_session_wait_idle(const char *socket, const char *session, const struct gt_runtime *rt,
			 long timeout_ms, int lines);

/* Sleep ms milliseconds. */
void gt_sleep_ms(long ms);

/* Parse "immediate", "wait-idle" or "queue". */
int gt_nudge_mode_parse(enum gt_nudge_mode *out, const char *s);

int gt_nudge_enqueue(struct gt_repo *r, const char *session, const char *sender, const char *text);
/* Take every queued nudge of session (oldest first) as a JSON array of
 * {from, text, at}; the files are removed.  Empty array when none. */
int gt_nudge_drain(cJSON **out, struct gt_repo *r, const char *session);

/* Deliver text to session.  *queued tells whether it was queued instead
 * of typed (wait-idle falls back to the queue after timeout_ms). */
int gt_nudge_send(struct gt_repo *r, const char *socket, const char *session,
		  const struct gt_runtime *rt, const char *sender, const char *text,
		  enum gt_nudge_mode mode, long timeout_ms, int *queued);

#endif
