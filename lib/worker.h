/*
 * worker.h - a worker's life: sling, session start, prime, done.
 *
 * Sling, in this order (DESIGN.md, "the startup contract"):
 *   1. allocate: one transaction picks an idle polecat of the rig or a free
 *      pool name and writes its record (state spawning);
 *   2. workspace: create it (or point the idle polecat's at a new branch);
 *   3. hook: one transaction hooks the bead on the agent (durable);
 *   4. session: start the runtime in tmux.
 * A failure at any step undoes the earlier ones, newest first, and leaves
 * the bead exactly as it was (status and assignee).
 *
 * Done, step by step, each recorded in the agent's metadata.done so a
 * second run resumes: safety-net commit, refuse COMPLETED without commits,
 * push and verify, then one transaction that writes the merge-request bead
 * (keyed by branch and commit: no duplicates; an older one of the same
 * bead is superseded), clears the hook and sets the agent idle.
 */
#ifndef GT_WORKER_H
#define GT_WORKER_H

#include <cjson/cJSON.h>

#include "agent.h"
#include "index.h"
#include "nudge.h"
#include "ops.h"
#include "town.h"

/* The environment of an agent's session: GT_DIR GT_AGENT GT_ROLE GT_RIG
 * GT_BEAD GT_SESSION GT_TOWN_ROOT GT_RUNTIME, git author and committer
 * identity, PATH with gt's programs first, HOME, TMUX_TMPDIR.  Owned
 * strings (gt_strlist_release_owned()), NULL-terminated. */
void gt_worker_env(struct gt_strlist *env, struct gt_ctx *ctx, const struct gt_town *t,
		   const cJSON *agent);

/* Start the agent's session (respawn: replace the program of the running
 * one).  Installs the runtime's start hook, delivers the first prompt. */
int gt_worker_start(struct gt_ctx *ctx, const struct gt_town *t, const cJSON *agent, int respawn);

/* Whether the agent's session is running: 0 yes, GT_ENO no. */
int gt_worker_alive(const struct gt_town *t, const cJSON *agent);

struct gt_sling_opts {
	const char *target;  /* rig, agent address, or NULL for self */
	const char *runtime; /* --agent */
	const char *args;    /* --args */
	int force, dry_run, no_start;
	int no_convoy; /* do not make a convoy for work that has none */
	/* the molecule: formula (default: the rig's `formula` setting, else
	 * mol-polecat-work; "none" for none), unless no_formula; vars are
	 * NAME=VALUE strings added to the ones sling knows */
	const char *formula;
	int no_formula;
	const struct gt_strlist *vars;
};

/* Sling one bead; *result describes what happened (or, with dry_run,
 * the plan).  Caller frees *result. */
int gt_sling(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t, const char *bead,
	     const struct gt_sling_opts *o);

/* Remove a polecat: its session, workspace (refused when it holds unsaved
 * work unless force; discarded says what was lost) and record, which puts
 * its name back in the pool.  A hooked bead goes back to open. */
int gt_polecat_remove(struct gt_ctx *ctx, const struct gt_town *t, const char *address, int force,
		      struct gt_buf *discarded);

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

/* What gt-prime shows, as one JSON object: agent, bead (or null), args,
 * handoff notes, unread mail, queued nudges, procedure. */
int gt_prime(cJSON **out, struct gt_ctx *ctx, const struct gt_town *t, const cJSON *agent);

struct gt_done_opts {
	const char *status; /* COMPLETED (default), ESCALATED, DEFERRED */
	const char *notes;  /* -m */
};

int gt_done(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t, const char *address,
	    const struct gt_done_opts *o);

/* Write handoff notes to the agent's record (delivered by gt-prime). */
int gt_handoff_note(struct gt_ctx *ctx, const char *address, const char *notes);

/* Quote s for a POSIX shell ('...'). */
void gt_shell_quote(struct gt_buf *out, const char *s);

#endif
