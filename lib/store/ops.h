/*
 * ops.h - bead operations as transaction steps.
 *
 * Each gt_op_* runs inside a gt_ledger_transact() apply function: it reads
 * what it needs through the transaction, checks its preconditions, changes
 * the beads, stages them and adds to the commit message.  Commands call
 * them once, or once per input record for a --stdin batch (one
 * transaction); later commands (sling, done, refinery) reuse them.
 *
 * Every change sets updated_at to the transaction's time; an operation
 * that would change nothing writes nothing (so repeating it is a no-op).
 */
#ifndef GT_OPS_H
#define GT_OPS_H

#include <cjson/cJSON.h>

#include "base/options.h"
#include "store/bead.h"
#include "store/config.h"
#include "store/ledger.h"

/* What every operation needs besides the transaction. */
struct gt_ctx {
	struct gt_ledger *lg;
	struct gt_config *cfg;
	struct gt_vocab vocab;
	char *prefix; /* default id prefix (may be NULL) */
};

/* Open the ledger.  Configuration and vocabularies are loaded by
 * gt_ctx_config(), which every operation below calls first. */
int gt_ctx_open(struct gt_ctx *ctx, const char *gt_dir, const char *actor);
int gt_ctx_config(struct gt_ctx *ctx);
void gt_ctx_close(struct gt_ctx *ctx);

/* Fields for creating or updating a bead.  NULL / -1 mean "not given". */
struct gt_bead_spec {
	const char *id;	    /* add: explicit id */
	const char *prefix; /* add: id prefix (default: ctx->prefix) */
	const char *parent; /* add: make a child <parent>.<n> */
	const char *title;
	const char *description;
	const char *design;
	const char *acceptance;
	const char *notes;
	const char *status;
	const char *type;
	const char *assignee;
	const char *owner;
	const char *external_ref;
	const char *defer_until; /* RFC 3339 or "" to clear */
	const char *due_at;
	const char *close_reason;    /* with status closed */
	int priority;		     /* -1: not given */
	int ephemeral, pinned;	     /* -1: not given */
	struct gt_strlist labels;    /* add labels */
	struct gt_strlist labels_rm; /* remove labels */
	struct gt_strlist deps;	     /* "[type:]id": this bead depends on id */
	cJSON *metadata;	     /* merged: keys set, null values delete */
	cJSON *extra;		     /* other fields from JSON input, set as given */
	cJSON *owned;		     /* strings the lists above borrow */
};

void gt_bead_spec_init(struct gt_bead_spec *s);
void gt_bead_spec_release(struct gt_bead_spec *s);
/* Fill a spec from a JSON object (Beads field names; "parent", "deps"
 * and "labels_rm" accepted too).  Borrowed strings point into obj. */
int gt_bead_spec_from_json(struct gt_bead_spec *s, const cJSON *obj);

/* Create a bead; the new id is appended to id_out. */
int gt_op_add(struct gt_txn *tx, struct gt_ctx *ctx, const struct gt_bead_spec *spec,
	      struct gt_buf *id_out);
/* Apply the given fields to bead id.  *changed tells whether it changed. */
int gt_op_update(struct gt_txn *tx, struct gt_ctx *ctx, const char *id,
		 const struct gt_bead_spec *spec, int *changed);
/* Claim: assignee = actor and status in_progress, if the bead is open and
 * unassigned; a no-op when the actor already holds it; GT_ECONFLICT naming
 * the holder otherwise. */
int gt_op_claim(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, int *changed);
int gt_op_close(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *reason,
		int *changed);
int gt_op_reopen(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *reason,
		 int *changed);
/* Turn a bead into a tombstone (Beads' inline deletion record, which sync
 * and export carry): status tombstone, deleted_at/by, delete_reason,
 * original_type; its own edges are dropped and so are edges of other beads
 * that point at it (dependents lists the ids to check). */
int gt_op_delete(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *reason,
		 const struct gt_strlist *dependents, int *changed);
int gt_op_label(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *label, int add,
		int *changed);
int gt_op_comment(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *text,
		  const char *author, cJSON **comment_out);

/* Dependencies: id depends on target with type (default "blocks").
 * One edge per (id, target) pair: the same type again is a no-op, another
 * type is GT_ECONFLICT.  Self edges and cycles over blocking and
 * parent-child edges are refused (GT_EINVALID). */
int gt_op_dep_add(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *target,
		  const char *type, int *changed);
int gt_op_dep_rm(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *target,
		 int *changed);

/* Parse "type:id" or "id" (type defaults to blocks). */
void gt_dep_spec_parse(const char *spec, const char **type, size_t *type_len, const char **target);

#endif
