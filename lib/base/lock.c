/*
 * lock.c - flock()-based writer lock.
 */
#include "base/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/proc.h"
#include "base/banned.h"

long gt_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void on_alarm(int sig)
{
	(void)sig; /* only to interrupt flock() */
}

/* A blocking flock() (the kernel queues waiters: first come, first
 * served) that gives up after ms: an interval timer interrupts it.
 * 0, or -1 with errno (EINTR: the time ran out). */
static int flock_within(int f, long ms)
{
	struct sigaction sa, old;
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } }, off = { 0 }, old_it;
	int r, e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: flock() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, &old_it);
	r = flock(f, LOCK_EX);
	e = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (old_it.it_value.tv_sec || old_it.it_value.tv_usec)
		setitimer(ITIMER_REAL, &old_it, NULL);
	errno = e;
	return r;
}

/* "pid N (what, since T)" from the lock file, and whether that process
 * is stopped or gone. */
static void describe_holder(struct gt_buf *out, int f)
{
	char buf[256], state;
	ssize_t n = pread(f, buf, sizeof(buf) - 1, 0);
	long pid;

	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	for (size_t k = strlen(buf); k && buf[k - 1] == ' ';) /* the padding */
		buf[--k] = '\0';
	if ((pid = strtol(buf, NULL, 10)) <= 0)
		return;
	gt_buf_printf(out, " by pid %s", buf);
	state = gt_proc_state(pid);
	if (!state)
		gt_buf_adds(out, ", which is gone");
	else if (state == 'T' || state == 't')
		gt_buf_adds(out, ", which is stopped (SIGSTOP?)");
}

/* bytes of a holder's note, its newline included */
#define NOTE_LEN 160

/* who holds it, for the message of a writer that waits too long: one line
 * padded to a fixed length, written over the note of a holder before
 * (truncating first costs the file system a journal entry, on every
 * write) */
void gt_lock_note(int f, const char *who)
{
	char line[NOTE_LEN + 1], when[32];
	time_t now;
	struct tm tm;
	int len;

	if (!who)
		return;
	now = time(NULL);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	len = snprintf(line, sizeof(line), "%ld (%s, since %s)", (long)getpid(), who, when);
	if (len < 0)
		return;
	if (len > NOTE_LEN - 1)
		len = NOTE_LEN - 1;
	memset(line + len, ' ', (size_t)(NOTE_LEN - 1 - len));
	line[NOTE_LEN - 1] = '\n';
	if (pwrite(f, line, NOTE_LEN, 0) < 0) {
		/* only a message is lost */
	}
}

static int open_lock(const char *path)
{
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);

	if (f < 0 && errno == ENOENT && gt_mkdir_parents(path) == 0)
		f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (f < 0)
		return gt_error_errno(GT_EFAIL, "cannot open lock '%s'", path);
	return f;
}

int gt_lock_try_as(int *fd, const char *path, const char *who)
{
	int f = open_lock(path);

	*fd = -1;
	if (f < 0)
		return f;
	if (flock(f, LOCK_EX | LOCK_NB) < 0) {
		int busy = errno == EWOULDBLOCK;

		close(f);
		return busy ? 1 : gt_error_errno(GT_EFAIL, "cannot lock '%s'", path);
	}
	gt_lock_note(f, who);
	*fd = f;
	return 0;
}

int gt_lock_acquire_as(int *fd, const char *path, long timeout_ms, const char *who)
{
	long deadline;
	int f;

	*fd = -1;
	if ((f = open_lock(path)) < 0)
		return f;
	if (flock(f, LOCK_EX | LOCK_NB) == 0)
		goto locked;
	if (errno != EWOULDBLOCK) {
		close(f);
		return gt_error_errno(GT_EFAIL, "cannot lock '%s'", path);
	}
	deadline = timeout_ms < 0 ? -1 : gt_mono_ms() + timeout_ms;
	for (;;) {
		long left = deadline < 0 ? 0 : deadline - gt_mono_ms();

		if (deadline >= 0 && left <= 0) {
			struct gt_buf holder = GT_BUF_INIT;

			describe_holder(&holder, f);
			close(f);
			gt_error_set(GT_ETEMP, "lock '%s' is held%s", path,
				     holder.len ? holder.ptr : " by another writer");
			gt_error_hint("another gt command holds it; try again (or end that one)");
			gt_buf_release(&holder);
			return GT_ETEMP;
		}
		if ((deadline < 0 ? flock(f, LOCK_EX) : flock_within(f, left)) == 0)
			goto locked;
		if (errno != EINTR) {
			close(f);
			return gt_error_errno(GT_EFAIL, "cannot lock '%s'", path);
		}
	}
locked:
	gt_lock_note(f, who);
	*fd = f;
	return 0;
}

int gt_lock_acquire(int *fd, const char *path, long timeout_ms)
{
	return gt_lock_acquire_as(fd, path, timeout_ms, NULL);
}

void gt_lock_release(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}
