/*
 * packroll.h - roll small packs into one, in the process.
 *
 * Every ledger commit leaves a small pack; automatic maintenance rolls
 * them up.  git repack --geometric does it well but its cost grows with
 * the repository (0.05 s at 100k beads, 0.8 s at a million, however few
 * objects it rolls), so writers kept adding packs faster than it removed
 * them.  This rolls them at a cost that depends only on what it rolls:
 * the packs of single commits (at most SMALL_PACK objects) through
 * libgit2's pack builder, with deltas between them; bigger ones, which
 * earlier roll-ups made, copied as they are into the new pack, deltas
 * and all (gt_pack_concat()), so no delta is computed twice.
 *
 * Which packs: those beside the main pack (the largest), neither kept
 * (.keep) nor cruft (.mtimes), smallest first, as long as each next one
 * is at most twice what is rolled so far (at least two of them): the
 * packs left grow geometrically, so an object is rewritten a logarithmic
 * number of times.  The new pack and its index are flushed to disk (and
 * the directory) before the rolled packs are removed, index first (which
 * hides a pack from git and libgit2), so every object stays readable
 * throughout; a reader that listed a pack just removed finds the object
 * again when libgit2 rescans the directory.
 */
#ifndef GT_PACKROLL_H
#define GT_PACKROLL_H

#include <git2.h>

#include "base/options.h"

/* Roll the packs of objects/pack named in names (the pack-* file names
 * listed before; packs written since are left alone) other than
 * main_pack ("pack-<hex>.pack", "" for none).  *rolled: how many packs
 * went into the new one (0: fewer than two to roll, nothing done).
 * GT_EFAIL. */
int gt_pack_rollup(git_repository *git, const char *common_dir, const struct gt_strlist *names,
		   const char *main_pack, long *rolled);

#endif
