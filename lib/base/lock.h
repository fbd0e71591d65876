/*
 * lock.h - the short writer lock in <git-common-dir>/gt/.
 *
 * Writers on one machine queue on a blocking flock() around their
 * read-modify-write instead of spinning on compare-and-swap failures; the
 * CAS on refs/gt/ledger stays underneath as the correctness check.  The
 * kernel drops the lock when a holder dies, so a SIGKILL never wedges it.
 */
#ifndef GT_LOCK_H
#define GT_LOCK_H

/* Take an exclusive lock on path (created if missing).  timeout_ms < 0
 * waits forever; otherwise GT_ETEMP after that long.  *fd receives the
 * descriptor to pass to gt_lock_release(). */
int gt_lock_acquire(int *fd, const char *path, long timeout_ms);
/* The same, writing "<pid> (<who>, since <time>)" into the lock file once
 * it is held, so that a writer that waits past timeout_ms says who holds
 * it (and whether that process is stopped or gone).  The wait is the
 * kernel's (which wakes its waiters together, to race for the lock),
 * bounded by a timer. */
int gt_lock_acquire_as(int *fd, const char *path, long timeout_ms, const char *who);
/* Take it only if it is free now: 0 with *fd set, 1 when another holds
 * it, or a GT_E* code. */
int gt_lock_try_as(int *fd, const char *path, const char *who);
/* Write who holds it into the lock file fd (who NULL: nothing), as
 * gt_lock_acquire_as() does: for one that took it with who NULL and
 * finds it has something to do under it after all. */
void gt_lock_note(int fd, const char *who);
void gt_lock_release(int fd);
/* Milliseconds on the monotonic clock, for the deadlines of waits. */
long gt_mono_ms(void);

#endif
