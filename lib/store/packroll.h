/*
 * packroll.h - roll small packs into one, in the process.
 *
 * Every ledger commit leaves a small pack; automatic maintenance rolls
 * them up.  git repack --geometric does it well but its cost grows with
 * the repository (0.05 s at 100k beads, 0.8 s at a million, however few
 * objects it rolls), so writers kept adding packs faster than it removed
 * them.  This rolls them at a cost that depends only on what it rolls:
 * the packs are copied as they are into one new pack (gt_pack_concat()),
 * no object inflated, compressed or delta-searched again (libgit2's pack
 * builder spent ~15 ms of delta search per commit at 100k beads, a third
 * of the CPU of 64 writers flat out).  Deltas come with the full repack
 * (maint.h), which git does with the deltas it finds already made; packs
 * that share an object are built again, each object once.
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

/* Roll up packs, the candidates in objects/pack ("pack-<hex>.pack" with
 * an index, listed before: packs written since are left alone) beside
 * the main pack, neither kept nor cruft (the caller, maint.c, tells
 * them apart).  Nothing is done with fewer than two to roll.
 * GT_EFAIL. */
int gt_pack_rollup(git_repository *git, const char *common_dir, const struct gt_strlist *packs);

#endif
