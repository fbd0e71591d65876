/*
 * town.h - the town around a ledger: where it lives on disk, its tmux
 * socket, and its rigs.
 *
 * The town root is the ledger repository's work tree (or its git directory
 * when bare; git config / town config `town.root` overrides).  Each rig has
 * a directory <root>/<rig>/ holding the bare clone `.repo.git`, the
 * workers' workspaces `polecats/<name>` and `crew/<name>`, and an optional
 * `overlay/` folder whose files are copied into every new workspace.
 *
 * Rig records live in the ledger at `rigs/<name>.json` (name, url, prefix,
 * default_branch, created_at, created_by); a rig's settings (gates,
 * workspace strategy, agent) are configuration keys `rig.<name>.<key>`,
 * falling back to `rig.<key>` for every rig.
 */
#ifndef GT_TOWN_H
#define GT_TOWN_H

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "store/ops.h"

struct gt_town {
	char *root;   /* absolute, no trailing slash */
	char *name;   /* town.name, else the root's base name */
	char *socket; /* tmux -L name: gt-<name>, plus a hash of the root
			 unless town.name was set */
	char *bindir; /* where the running gt-* programs live */
};

/* Work out the town for an open context (loads its configuration). */
int gt_town_open(struct gt_town *t, struct gt_ctx *ctx);
void gt_town_release(struct gt_town *t);

/* Check a rig, agent or polecat name: 1..40 bytes of [a-z0-9_-], starting
 * with a letter or digit (it becomes a directory, a branch component and
 * a tmux session name).  what names the thing in the message. */
int gt_name_check(const char *what, const char *name);

/* Whether name is reserved for a role (mayor, deacon, witness, refinery,
 * crew, polecats, ...): never a polecat or rig name. */
int gt_name_reserved(const char *name);

/* ---- rigs ---- */

struct gt_rig {
	char *name, *url, *prefix, *default_branch;
	char *dir;  /* <root>/<name> */
	char *repo; /* <root>/<name>/.repo.git */
	cJSON *json;
};

/* Prefix for a rig name, as Gas Town derives it (see town.c). */
void gt_rig_prefix_derive(struct gt_buf *out, const char *name);

/* Load rig name from the ledger tip.  GT_ENOTFOUND with a hint when absent. */
int gt_rig_load(struct gt_rig *r, struct gt_ctx *ctx, const struct gt_town *t, const char *name);
void gt_rig_release(struct gt_rig *r);
/* Every rig record at the tip, sorted by name (a JSON array; caller frees). */
int gt_rig_list(cJSON **out, struct gt_ctx *ctx);
/* Ledger path of a rig record. */
void gt_rig_path(struct gt_buf *out, const char *name);

/* A rig setting: rig.<rig>.<key>, else rig.<key>, else dflt (may be NULL).
 * Caller frees. */
char *gt_rig_setting(struct gt_ctx *ctx, const char *rig, const char *key, const char *dflt);

/* The name of the rig in rigs (gt_rig_list()) whose prefix bead's id has
 * (the longest such prefix), or NULL. */
const char *gt_rig_named(const cJSON *rigs, const char *bead);
/* Act (author ledger changes, send mail) as <rig>/<role>, e.g. app/witness. */
void gt_rig_act_as(struct gt_ctx *ctx, const char *rig, const char *role);
/* The rig whose prefix the bead id has (NULL when none; caller frees). */
char *gt_rig_of_bead(struct gt_ctx *ctx, const char *bead);

#endif
