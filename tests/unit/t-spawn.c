/*
 * t-spawn.c - gt_spawn() and gt_proc_reap() (base/proc.h), how
 * gt-dashboard --open starts xdg-open without waiting for it: a program
 * not found is an error at once, a started one runs in a session of its
 * own, and its end is seen without blocking.
 */
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "gt.h"
#include "tap.h"

/* Reap pid, looking every 10 ms until it has ended; its status. */
static int reaped(long pid)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int st = -1, rc;

	while ((rc = gt_proc_reap(pid, &st)) == 0)
		nanosleep(&ts, NULL);
	return rc == 1 ? st : -1;
}

int main(void)
{
	const char *missing[] = { "gt-no-such-program-t-spawn", NULL };
	const char *three[] = { "sh", "-c", "exit 3", NULL };
	/* field 6 of /proc/PID/stat is the session: its own pid */
	const char *own[] = { "sh", "-c",
			      "[ \"$(cut -d' ' -f6 /proc/$$/stat)\" = $$ ] && [ ! -t 0 ] && "
			      "read -r x; [ -z \"$x\" ]",
			      NULL };
	const char *sleeper[] = { "sleep", "1000", NULL };
	long pid = -1;
	int st = -1;

	ok(gt_spawn(&pid, missing) == GT_EFAIL && pid == 0, "a program not found: GT_EFAIL");
	ok(strstr(gt_error_last(), "cannot run 'gt-no-such-program-t-spawn'") != NULL,
	   "the message names it: %s", gt_error_last());
	gt_error_clear();

	ok(gt_spawn(&pid, three) == 0 && pid > 0, "sh started");
	ok(reaped(pid) == 3, "its exit status comes back");
	ok(gt_proc_reap(pid, &st) == GT_EFAIL, "reaped once only");
	gt_error_clear();

	ok(gt_spawn(&pid, own) == 0 && reaped(pid) == 0,
	   "it leads a session of its own, stdin on /dev/null");

	ok(gt_spawn(&pid, sleeper) == 0 && pid > 0, "sleep started");
	ok(gt_proc_reap(pid, &st) == 0, "running: not reaped, no waiting");
	kill((pid_t)pid, SIGTERM);
	ok(reaped(pid) == 128 + SIGTERM, "killed: 128 + the signal");
	return tap_done();
}
