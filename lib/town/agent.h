/*
 * agent.h - agent records, the polecat name pool, and the hook.
 *
 * An agent record is `agents/<address>.json` in the ledger, where the
 * address is `mayor`, `deacon`, `<rig>/witness`, `<rig>/refinery`,
 * `<rig>/polecats/<name>` or `<rig>/crew/<name>`.  Fields, in this order:
 *
 *   address role rig name runtime state hook workspace strategy branch base
 *   session args created_at updated_at metadata
 *
 * state is one of spawning, working, idle, done, stuck.  metadata holds
 * typed progress (the steps gt-done has finished, handoff notes).
 *
 * The hook (DESIGN.md): the bead's status is `hooked` and its assignee the
 * agent's address, and the agent's `hook` names the bead, written in one
 * transaction.  An agent holds at most one hook.
 */
#ifndef GT_AGENT_H
#define GT_AGENT_H

#include <cjson/cJSON.h>

#include "store/ledger.h"
#include "store/ops.h"

enum gt_role {
	GT_ROLE_MAYOR,
	GT_ROLE_DEACON,
	GT_ROLE_WITNESS,
	GT_ROLE_REFINERY,
	GT_ROLE_POLECAT,
	GT_ROLE_CREW,
};

struct gt_address {
	enum gt_role role;
	char rig[48];
	char name[48];
};

/* Parse and validate an address.  GT_EINVALID with a message otherwise. */
int gt_address_parse(struct gt_address *a, const char *address);
const char *gt_role_name(enum gt_role role);
/* "<rig>/polecats/<name>" and friends into out (reset first). */
void gt_address_format(struct gt_buf *out, const struct gt_address *a);
/* An address as one file-name word: '/' becomes '.' (app.polecats.jade),
 * appended to out.  Run files and run ids are named by it. */
void gt_agent_key(struct gt_buf *out, const char *address);
/* Ledger path of an agent record: "agents/<address>.json". */
void gt_agent_path(struct gt_buf *out, const char *address);

/* A new agent record (caller owns it). */
cJSON *gt_agent_new(const struct gt_address *a, const char *now);

/* Read an agent inside a transaction: *out is a copy the caller frees.
 * GT_ENOTFOUND with a message naming the address when there is none. */
int gt_txn_agent_get(struct gt_txn *tx, const char *address, cJSON **out);
/* Write an agent record (sets updated_at; does not take ownership). */
int gt_txn_agent_put(struct gt_txn *tx, cJSON *agent);
int gt_txn_agent_remove(struct gt_txn *tx, const char *address);

/* Read an agent at the ledger tip (caller frees). */
int gt_agent_read(cJSON **out, struct gt_ledger *lg, const char *address);
/* Every agent at the tip, sorted by address; rig filters when non-NULL. */
int gt_agent_list(cJSON **out, struct gt_ledger *lg, const char *rig);

/* The agent whose workspace contains path (e.g. the current directory),
 * or GT_ENOTFOUND. *out is the record (caller frees). */
int gt_agent_find_by_path(cJSON **out, struct gt_ledger *lg, const char *path);

/* The address of whoever is acting ($GT_AGENT or --actor), when it is an
 * agent's; else "overseer" (a person).  Mail's sender, a convoy's owner. */
const char *gt_agent_actor(struct gt_ctx *ctx);

/* How many polecats of rig (every rig when NULL) are busy: a bead on
 * the hook, or still spawning. */
int gt_agent_busy(long *n, struct gt_ledger *lg, const char *rig);

/* A record left `spawning` by a sling that died, if it is still as the
 * caller saw it (updated_at): hooked, it becomes working; otherwise idle
 * when its workspace exists, else it goes.  *outcome:
 * "working", "idle", "removed", or NULL when it had changed meanwhile. */
int gt_agent_unspawn(const char **outcome, struct gt_ctx *ctx, const char *address,
		     const char *updated_at);

/* ---- the name pool ---- */

/* The built-in pool (NULL-terminated, at least 50 names). */
extern const char *const gt_pool_names[];

/* Pick a free polecat name for rig inside tx: the first name of the pool
 * (custom: comma-separated names from rig.<rig>.names, or NULL) with no
 * agent record under agents/<rig>/polecats/, else "polecat-<n>".  Since
 * the caller creates the record in the same transaction, two slings never
 * get one name.  dir (may be NULL): the directory the rig's polecats'
 * workspaces go in; a name with something already there is skipped. */
int gt_pool_allocate(struct gt_buf *out, struct gt_txn *tx, const char *rig, const char *custom,
		     const char *dir);

/* ---- the hook ---- */

struct gt_hook_result {
	int changed;
	char prev_holder[160]; /* with force: the agent it was taken from */
	char prev_status[32];  /* the bead's status before */
	char prev_assignee[160];
};

/* Whether bead is hooked or in progress for someone other than address
 * (anyone, when address is NULL). */
int gt_bead_held_elsewhere(const cJSON *bead, const char *address);

/* Put bead on agent's hook (see the top of this file).  Refuses a closed
 * bead (unless force), an agent holding another hook, and a bead held by
 * another agent unless force, in which case that agent's hook is cleared
 * and it is mailed.  Attaching the same bead again is a no-op. */
int gt_op_hook_attach(struct gt_txn *tx, struct gt_ctx *ctx, const char *address, const char *bead,
		      int force, struct gt_hook_result *res);
/* Clear agent's hook; the bead goes back to status (default "open") and
 * loses its assignee when it was hooked by this agent.  No hook: no-op.
 * bead_out (if given) receives the bead id that was on the hook. */
int gt_op_hook_detach(struct gt_txn *tx, struct gt_ctx *ctx, const char *address,
		      const char *status, int *changed, struct gt_buf *bead_out);
/* The same in a transaction of its own, made by command (its commit's
 * first word). */
int gt_hook_detach(struct gt_ctx *ctx, const char *command, const char *address, const char *status,
		   struct gt_buf *bead_out);

/* Durable mail: a bead of type message to address from the actor. */
int gt_op_mail(struct gt_txn *tx, struct gt_ctx *ctx, const char *to, const char *subject,
	       const char *body, struct gt_buf *id_out);

#endif
