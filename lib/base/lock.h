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
void gt_lock_release(int fd);

#endif
