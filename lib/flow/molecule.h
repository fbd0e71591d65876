/*
 * molecule.h - a formula instantiated on work: a molecule.
 *
 * A molecule is a bead of type molecule (the root), id <prefix>-mol-<hash>
 * in the ledger, or <prefix>-wisp-<hash> in the ephemeral store
 * (refs/gt/wisps) for a wisp.  Its metadata holds the cooked formula:
 * formula, version, type, source, pour, vars, work (the bead it is
 * attached to) and steps (the DAG: id, title, description, acceptance,
 * needs, kind).  The work bead names its molecule in metadata.molecule.
 *
 * Progress lives in one place.  Root-only molecules (the default) mark a
 * finished step in the root's steps[i] (closed_at, closed_by); poured ones
 * (formula pour = true, and every convoy formula, whose legs must be
 * slung apart) have a child bead per step, <root>.<n>, with blocks edges
 * for needs, and the step is finished when its bead is closed.  Either
 * way the state survives a crash: the first unfinished step whose needs
 * are all finished is the current one.
 */
#ifndef GT_MOLECULE_H
#define GT_MOLECULE_H

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "store/ledger.h"
#include "store/ops.h"

struct gt_mol_spec {
	const char *on;	      /* work bead, or NULL for a molecule of its own */
	const char *assignee; /* NULL: the work bead's */
	const char *prefix;   /* id prefix when not on a bead (NULL: ctx's) */
	int wisp;	      /* in refs/gt/wisps */
	int reuse;	      /* a bead with an open molecule keeps it (no error) */
};

/* Variables a molecule on bead gets unless given: issue (its id) and
 * title. */
void gt_mol_bead_vars(cJSON *vars, const cJSON *bead);

/* Whether an id names a wisp (lives in refs/gt/wisps). */
int gt_mol_is_wisp(const char *id);

/* Pour the cooked dag (gt_formula_cook()) as a new molecule; its id is
 * put in id_out.  Attaching to a bead that already has an open molecule
 * is GT_ECONFLICT. */
int gt_mol_pour(struct gt_buf *id_out, struct gt_ctx *ctx, const cJSON *dag,
		const struct gt_mol_spec *m);
/* The same inside a ledger transaction (gt-sling's hook); not for wisps.
 * Returns 1 (and the id) when m->reuse kept the bead's open molecule. */
int gt_mol_pour_txn(struct gt_txn *tx, struct gt_ctx *ctx, const cJSON *dag,
		    const struct gt_mol_spec *m, struct gt_buf *id_out);
/* Remove a molecule poured in tx's store, and the work bead's link to
 * it (undoing gt_mol_pour_txn() in a later transaction). */
int gt_mol_unpour_txn(struct gt_txn *tx, struct gt_ctx *ctx, const char *id);

/* The molecule an argument means: a molecule id; a bead with
 * metadata.molecule; a step bead of a poured molecule (metadata.step_of,
 * metadata.step); or, when arg is
 * NULL, the one on the calling agent's hook.  GT_ENOTFOUND. */
int gt_mol_resolve(struct gt_buf *out, struct gt_ctx *ctx, const char *arg);

/* The molecule's state: {id, title, formula, version, type, work, wisp,
 * status, pour, vars, total, done, complete, current (step id or null),
 * steps: [{id, title, kind, needs, state (done, current, ready, blocked),
 * bead, closed_at, closed_by, description, acceptance}]}. */
int gt_mol_status(cJSON **out, struct gt_ctx *ctx, const char *id);

/* Finish step (its id or its bead's id).  A step whose needs are not all
 * finished is GT_ECONFLICT unless force; a finished one is left as it is
 * (*changed 0).  *out is the state afterwards. */
int gt_mol_step_done(cJSON **out, struct gt_ctx *ctx, const char *id, const char *step,
		     const char *reason, int force, int *changed);

/* Squash: close the molecule and keep a digest (each step's state, when
 * and by whom it was finished, and summary if given) on a closed root;
 * step beads go.  A wisp's digest is written to the ledger as a new
 * closed molecule (put in digest_id) and the wisp goes. */
int gt_mol_squash(struct gt_buf *digest_id, struct gt_ctx *ctx, const char *id,
		  const char *summary);

/* Burn: discard the molecule and its steps, no digest; the work bead's
 * link goes. */
int gt_mol_burn(struct gt_ctx *ctx, const char *id);

/* gt-done: in tx (the ledger), close the molecule attached to bead with
 * reason, and any open step beads; *info (may be NULL) gets {id, done,
 * total, unfinished: [...]}.  A wisp is closed in its own store after tx
 * by gt_mol_close_wisp().  0 when the bead has no molecule. */
int gt_mol_close_txn(struct gt_txn *tx, struct gt_ctx *ctx, const char *bead, const char *reason,
		     cJSON **info);
int gt_mol_close_wisp(struct gt_ctx *ctx, const char *id, const char *reason);

/* Number every step of a status or dag's steps array with its tier
 * ("tier": the longest chain of needs below it, 0 for entry steps). */
void gt_mol_tiers(cJSON *steps);

#endif
