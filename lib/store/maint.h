/*
 * maint.h - automatic maintenance, the way git's gc --auto works: a writer
 * that just committed asks whether the repository needs housekeeping, and
 * if so starts it in the background (one at a time), never waiting for it.
 *
 * Two jobs, both safe while others write and if killed at any point:
 *
 *   roll-up  the small packs writers leave (one per commit) are copied
 *            into one, in the process (packroll.h); with loose objects
 *            there, git repack -d --geometric=2 --keep-pack=<main pack>
 *            instead, which packs them too.  Reachability is not looked
 *            at: every object of a rolled-up pack or loose file lands in
 *            the new pack, so objects a writer has written but not yet
 *            referenced survive.  The main pack (the largest that is not
 *            cruft) is left alone, so a roll-up costs what was written
 *            since, not the repository (git repack's own start-up does
 *            grow with it: 0.8 s at a million beads, hence the packs
 *            copied in the process).
 *   full     git repack -d --cruft --cruft-expiration=<grace>: reachable
 *            objects into one new main pack, unreachable ones (replaced
 *            wisps, objects of writers that have not updated their ref
 *            yet) into a cruft pack that keeps each object's age; only
 *            unreachable objects older than the grace period (an hour)
 *            are dropped.  Runs instead of a roll-up once the other packs
 *            together reach the main pack's size, so the repository stays
 *            within about twice its packed size plus its young garbage.
 *
 * git writes every pack under a temporary name and renames it into place
 * before it deletes the packs it replaces, so a repack killed at any point
 * leaves at worst duplicate objects and temporary files (which gt-maintain
 * removes after an hour).
 *
 * What is due is decided from a cheap look (gt_maint_census()): the loose
 * objects are estimated from one of the 256 fan-out directories as git
 * does, the packs are counted in objects/pack/ and compared with the
 * number the last maintenance left.  Settings come from
 * the git config of the ledger repository itself (not the town config in
 * the ledger tree: the writer asks after every commit, and reading the
 * tree is the ledger's business, above this module), and the environment:
 *
 *   GT_AUTO_MAINTAIN     0/false/no/off: never start; 1/true/yes/on:
 *                        start whatever gt.autoMaintain says
 *   gt.autoMaintain      bool, default true
 *   gt.autoLoose         estimated loose objects that start a roll-up
 *                        (default 1000; 0: never for loose objects)
 *   gt.autoPacks         packs made since the last maintenance began that
 *                        start a roll-up (default 20; 0: never)
 *   gt.autoFullPercent   a due roll-up becomes a full repack once the
 *                        other packs reach this share of the main pack's
 *                        size (default 100)
 *   gt.pruneExpire       grace period of unreachable objects, a duration
 *                        (N, Ns, Nm, Nh, Nd; default 1h, at least 1m)
 *
 * Runtime files, in the repository's runtime directory (<git-dir>/gt/):
 *   maintain.lock    flock()ed by the one maintenance running; it holds
 *                    "<pid> (<who>, since <time>)"
 *   maintain.stamp   the number of packs the last maintenance left (more
 *                    are new ones)
 *   maintain.failed  present when the last one failed or did not bring the
 *                    loose objects down: writers start none for a minute
 *   maintain.log     the output of the background runs (their --json
 *                    reports, or errors), started afresh past 256 KiB
 */
#ifndef GT_MAINT_H
#define GT_MAINT_H

#include <stdint.h>

#include "store/repo.h"

#define GT_MAINT_LOCK_FD_ENV "GT_MAINTAIN_LOCK_FD"

struct gt_maint_conf {
	int enabled;
	long loose;	   /* gt.autoLoose */
	long packs;	   /* gt.autoPacks */
	long full_percent; /* gt.autoFullPercent */
	int64_t grace_ms;  /* gt.pruneExpire */
	/* not a setting but the caller's: 1 when a person watches stderr,
	 * so git may show its progress there (gt-maintain on a terminal);
	 * 0 (what the load gives): git runs with -q */
	int progress;
};

/* Read the settings above (bad values fall back to the defaults). */
void gt_maint_conf_load(struct gt_maint_conf *c, const struct gt_repo *r);

struct gt_maint_census {
	long loose; /* estimated from objects/17, as git's gc --auto does */
	long packs; /* every .pack */
	long fresh; /* packs made since the last maintenance (more than
		     * the number it left, in maintain.stamp) */
	/* with detail only: */
	long cruft;	      /* cruft packs (.mtimes beside them) */
	uint64_t main_bytes;  /* the main pack: largest, not cruft, not kept */
	uint64_t other_bytes; /* the other packs that are neither */
	uint64_t cruft_bytes; /* cruft packs */
	uint64_t kept_bytes;  /* packs with a .keep (left alone) */
	char main_pack[64];   /* "pack-<hex>.pack", empty when none */
};

/* Look at objects/: cheap without detail (a readdir of objects/17 and of
 * objects/pack, and maintain.stamp read), one stat() per pack with.
 * Never fails: what cannot be read counts as absent. */
void gt_maint_census(struct gt_maint_census *c, const struct gt_repo *r, int detail);

enum gt_maint_job { GT_MAINT_NONE, GT_MAINT_ROLLUP, GT_MAINT_FULL };

/* What is due: a roll-up past either threshold, made a full repack when
 * the other packs have grown to full_percent of the main pack (or there
 * is no main pack yet); the kind needs a census with detail. */
enum gt_maint_job gt_maint_due(const struct gt_maint_census *c, const struct gt_maint_conf *conf);
const char *gt_maint_job_name(enum gt_maint_job job);

/* Take the maintenance lock.  An inherited lock (the descriptor named by
 * $GT_MAINTAIN_LOCK_FD, how gt_maint_auto() hands it to the process it
 * starts) is adopted.  wait_ms 0: GT_ETEMP at once when another holds it;
 * < 0: wait for ever.  The descriptor is inherited by the programs the
 * holder runs (git repack and its pack-objects), so a holder killed
 * mid-way keeps the lock until they are done too. */
int gt_maint_lock(int *fd, const struct gt_repo *r, long wait_ms, const char *who);
void gt_maint_unlock(int fd);

struct gt_maint_report {
	enum gt_maint_job job;		/* what ran */
	long loose_before, loose_after; /* counted, not estimated */
	long packs_before, packs_after;
	uint64_t bytes_before, bytes_after; /* packs plus loose objects */
	double seconds, cpu_seconds;	    /* the run's, git's CPU included */
};

/* Run job (the caller holds the lock): git repack as described at the
 * top (with conf->progress, without -q, what it prints on stdout sent
 * to stderr), then recreate the fan-out directories git's prune-packed empties,
 * and note the number of packs left (maintain.stamp).  maintain.failed is
 * removed on success and created on failure (GT_EFAIL naming git's exit
 * status), and when a job due for loose objects left as many as before. */
int gt_maint_run(struct gt_maint_report *rep, const struct gt_repo *r, enum gt_maint_job job,
		 const struct gt_maint_conf *conf);

/* Note that maintenance left packs packs (maintain.stamp). */
void gt_maint_stamp(const struct gt_repo *r, long packs);

/* Bytes in packs and loose objects, and the exact loose and pack counts
 * (a full scan: for reports, not for every write). */
void gt_maint_measure(const struct gt_repo *r, long *loose, long *packs, uint64_t *bytes);

/* Called after a successful ledger commit.  Cheap when nothing is due.
 * When something is due, no maintenance is running and none failed in
 * the last minute, starts "gt-maintain --auto" (beside the running
 * program, else on PATH) detached in its own session, niced, with the
 * lock handed over and its output in maintain.log, and returns at once.
 * Never reports an error: maintenance is the next writer's to retry. */
void gt_maint_auto(const struct gt_repo *r);

#endif
