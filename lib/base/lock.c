/*
 * lock.c - flock()-based writer lock.
 */
#include "base/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/file.h"
#include "base/banned.h"

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int gt_lock_acquire(int *fd, const char *path, long timeout_ms)
{
	long deadline;
	int f;

	*fd = -1;
	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (f < 0 && errno == ENOENT && gt_mkdir_parents(path) == 0)
		f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (f < 0)
		return gt_error_errno(GT_EFAIL, "cannot open lock '%s'", path);
	if (flock(f, LOCK_EX | LOCK_NB) == 0)
		goto locked;
	if (errno != EWOULDBLOCK) {
		close(f);
		return gt_error_errno(GT_EFAIL, "cannot lock '%s'", path);
	}
	if (timeout_ms < 0) {
		while (flock(f, LOCK_EX) < 0) {
			if (errno != EINTR) {
				close(f);
				return gt_error_errno(GT_EFAIL, "cannot lock '%s'", path);
			}
		}
		goto locked;
	}
	deadline = now_ms() + timeout_ms;
	for (;;) {
		struct timespec ts = { 0, 2 * 1000 * 1000 };

		if (flock(f, LOCK_EX | LOCK_NB) == 0)
			goto locked;
		if (now_ms() >= deadline) {
			close(f);
			gt_error_set(GT_ETEMP, "lock '%s' is busy", path);
			gt_error_hint("another gt writer holds it; try again");
			return GT_ETEMP;
		}
		nanosleep(&ts, NULL);
	}
locked:
	*fd = f;
	return 0;
}

void gt_lock_release(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}
