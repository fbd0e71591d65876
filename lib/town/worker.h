/*
 * worker.h - a worker's session: its environment, starting it, whether it
 * is alive, nudging it, who the calling agent is, and removing a polecat.
 * Putting work on a worker is flow/sling.h; ending it flow/done.h.
 */
#ifndef GT_WORKER_H
#define GT_WORKER_H

#include <cjson/cJSON.h>

#include "store/index.h"
#include "store/ops.h"
#include "town/agent.h"
#include "town/nudge.h"
#include "town/runtime.h"
#include "town/town.h"

/* The environment of an agent's session: GT_DIR GT_AGENT GT_ROLE GT_RIG
 * GT_BEAD GT_SESSION GT_TOWN_ROOT GT_RUNTIME, git author and committer
 * identity, PATH with gt's programs first, HOME, TMUX_TMPDIR.  Owned
 * strings (gt_strlist_release_owned()), NULL-terminated. */
void gt_worker_env(struct gt_strlist *env, struct gt_ctx *ctx, const struct gt_town *t,
		   const cJSON *agent);

/* Start the agent's session (respawn: replace the program of the running
 * one): gt-run(1) in the pane, given gt's variables on its command line
 * and the runtime's own (secrets) in a 0600 file; interactive runtimes
 * get their workspace pre-trusted.  The start is checked: when the
 * runtime does not stay up for its start-check time, or sits on a known
 * dialog, GT_EFAIL says what the screen showed (the session is left for
 * the caller to remove). */
int gt_worker_start(struct gt_ctx *ctx, const struct gt_town *t, const cJSON *agent, int respawn);
/* The same, calling started(arg) once the session runs, before the start
 * check waits: a caller starting many workers starts the next meanwhile. */
int gt_worker_start_notify(struct gt_ctx *ctx, const struct gt_town *t, const cJSON *agent,
			   int respawn, void (*started)(void *), void *arg);

/* The first prompt every agent gets (no text from beads in it). */
void gt_worker_first_prompt(struct gt_buf *out, const cJSON *agent);
/* The command that runs rt for agent (gt-run(1) calls it): rt's words,
 * its hook settings (written now), resume words for session resume (may
 * be NULL), the prompt as rt takes it.  Strings owned by argv. */
int gt_worker_argv(struct gt_strlist *argv, struct gt_ctx *ctx, const struct gt_town *t,
		   const cJSON *agent, const struct gt_runtime *rt, const char *resume,
		   const char *prompt);

/* Whether the agent's session is running: 0 yes, GT_ENO no. */
int gt_worker_alive(const struct gt_town *t, const cJSON *agent);

/* Remove a polecat: its session, workspace and record, which puts its
 * name back in the pool.  Without force it is refused (GT_ECONFLICT) when
 * the workspace holds unsaved work, the session is live or a bead is on
 * the hook; with force a hooked bead goes back to open and discarded says
 * what unsaved work went.  Either way the workspace's whole state is
 * first kept as a snapshot (snapshot.h), whose ref goes into snapshot (if
 * given). */
int gt_polecat_remove(struct gt_ctx *ctx, const struct gt_town *t, const char *address, int force,
		      struct gt_buf *discarded, struct gt_buf *snapshot);

/* The record in agents (a JSON array of agent records) whose session is
 * named session, or NULL. */
const cJSON *gt_worker_of_session(const cJSON *agents, const char *session);

/* Keep the whole state of agent's workspace as a snapshot (snapshot.h)
 * in its rig's repository, with reason; ref_out (may be NULL) gets the
 * ref.  GT_ENO when it has no workspace to keep. */
int gt_worker_snapshot(struct gt_buf *ref_out, struct gt_ctx *ctx, const struct gt_town *t,
		       const cJSON *agent, const char *reason);
/* Stop agent's session, its workspace kept first (gt_worker_snapshot();
 * ref_out is left empty when there was nothing to keep).  GT_ENO when no
 * session ran. */
int gt_worker_stop(struct gt_buf *ref_out, struct gt_ctx *ctx, const struct gt_town *t,
		   const cJSON *agent, const char *reason);

/* Nudge an agent (gt-nudge(1)) as the actor; *queued (if given) tells
 * whether it was queued instead of typed. */
int gt_worker_nudge(struct gt_ctx *ctx, const struct gt_town *t, const char *address,
		    const char *text, enum gt_nudge_mode mode, long timeout_ms, int *queued);
/* The agent running this command: $GT_AGENT, else the one whose
 * workspace contains cwd (hook_cwd: the cwd a runtime hook reported). */
int gt_worker_self(cJSON **agent, struct gt_ctx *ctx, const char *hook_cwd);

/* The agent a command is about: address's record when given, else the
 * caller's (gt_worker_self()).  Caller frees *agent. */
int gt_worker_agent(cJSON **agent, struct gt_ctx *ctx, const char *address);
/* Only its address: address itself when given (not read), else the
 * caller's.  out is reset first. */
int gt_worker_address(struct gt_buf *out, struct gt_ctx *ctx, const char *address);

/* Quote s for a POSIX shell ('...'). */
void gt_shell_quote(struct gt_buf *out, const char *s);

#endif
