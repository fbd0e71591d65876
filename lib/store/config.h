/*
 * config.h - layered configuration in git-config syntax, read with libgit2.
 *
 * Layers, later ones win (DESIGN.md "Configuration"):
 *   1. built-in defaults (the caller's fallback value)
 *   2. ~/.config/gt/config ($XDG_CONFIG_HOME/gt/config)
 *   3. the town config kept in the ledger (file `config` in the ledger
 *      tree: shared and versioned)
 *   4. <git-common-dir>/gt/config (this machine)
 *   5. GT_<SECTION>_<KEY> environment variables ("bead.prefix" is
 *      GT_BEAD_PREFIX; dots and dashes become underscores)
 *   6. command-line flags (applied by the command)
 *
 * Beads' own settings imported from a bd database (issue_prefix,
 * types.custom, kv.memory.*) do not fit git-config names; they live as a
 * JSON object in the ledger file `beads-config.json` and are read by
 * gt_config_beads_get().
 */
#ifndef GT_CONFIG_H
#define GT_CONFIG_H

#include <git2.h>
#include <stdint.h>

#include "store/bead.h"
#include "store/ledger.h"

struct gt_config;

/* Load every layer for the ledger at tree (tip when NULL). */
int gt_config_load(struct gt_config **out, struct gt_ledger *lg, git_tree *tree);
void gt_config_free(struct gt_config *c);

/* The value of key (e.g. "bead.prefix") or NULL; caller frees. */
char *gt_config_get(struct gt_config *c, const char *key);
long gt_config_get_long(struct gt_config *c, const char *key, long dflt);
/* A duration (N, Nms, Ns, Nm, Nh, Nd) in *ms, dflt_ms when unset.
 * GT_EINVALID naming key when it is not one (*ms is dflt_ms then). */
int gt_config_get_duration(struct gt_config *c, const char *key, int64_t dflt_ms, int64_t *ms);
int gt_config_get_bool(struct gt_config *c, const char *key, int dflt);
/* A Beads setting from beads-config.json, or NULL; caller frees. */
char *gt_config_beads_get(struct gt_config *c, const char *key);

/* Set key in the town config inside a transaction (value NULL removes). */
int gt_config_town_set(struct gt_txn *tx, const char *key, const char *value);
/* Set key in the machine-local config <git-common-dir>/gt/config. */
int gt_config_local_set(struct gt_repo *repo, const char *key, const char *value);
/* Set key in the user's ~/.config/gt/config ($XDG_CONFIG_HOME/gt/config). */
int gt_config_user_set(const char *key, const char *value);

/* Every (key, value, layer) visible, for gt-config --list; cb returns
 * non-zero to stop. */
typedef int (*gt_config_cb)(const char *key, const char *value, const char *layer, void *payload);
int gt_config_foreach(struct gt_config *c, gt_config_cb cb, void *payload);

/* The bead vocabularies (custom statuses and types) from both places. */
void gt_config_vocab(struct gt_vocab *v, struct gt_config *c);
/* The default bead prefix: bead.prefix, else Beads' issue_prefix, else
 * NULL. Caller frees. */
char *gt_config_prefix(struct gt_config *c);

/* Check that key is a valid git-config name "section[.sub].name". */
int gt_config_key_check(const char *key);

#endif
