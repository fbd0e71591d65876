/*
 * timeit.c - wall-clock latency of a command, run many times.
 *
 * usage: timeit [-n RUNS] [-w WARMUP] [-l LISTFILE] [-x STATUS] [-q] -- CMD ARGS...
 *
 * Runs CMD directly with fork/exec (no shell, so the figures hold the
 * command's own cost, not sh's) WARMUP times unmeasured, then RUNS times
 * measured from just before fork() to the return of waitpid().  With -l,
 * each run (warm-up runs too) takes the next line of LISTFILE, cycling,
 * and every "{}" in an argument becomes that line, every "{1}".."{9}" its
 * first..ninth TAB-separated field.  Prints one line:
 *
 *   p50_ms p90_ms p99_ms mean_ms min_ms max_ms runs failures max_rss_kb
 *
 * Percentiles are nearest-rank.  max_rss_kb is the largest peak resident
 * set of a measured run (wait4's ru_maxrss: the child's own or that of the
 * largest descendant it waited for, so a script's biggest command counts).
 * A measured run whose exit status is not STATUS (default 0), or that
 * dies of a signal, is reported on stderr (the first few) and counted in
 * the failures field; it is still timed.  The child's stdin is /dev/null;
 * with -q its stdout and stderr are too.  This is a benchmark, not a
 * test: timeit exits 0 whatever the figures are.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "base/banned.h"

#define MAX_REPORTED 5

static char **lines;
static size_t nlines;

/* The k-th (1-based) TAB-separated field of line: start and length. */
static void field(const char *line, int k, const char **start, size_t *len)
{
	const char *s = line;

	for (; k > 1 && s; k--) {
		s = strchr(s, '\t');
		if (s)
			s++;
	}
	if (!s) {
		*start = "";
		*len = 0;
		return;
	}
	*start = s;
	*len = strcspn(s, "\t");
}

/* arg with its placeholders filled from line; a new string. */
static char *substitute(const char *arg, const char *line)
{
	size_t cap = strlen(arg) + strlen(line) + 16, n = 0;
	char *out = xrealloc(NULL, cap);

	while (*arg) {
		const char *s = NULL;
		size_t len = 0, skip = 1;

		if (arg[0] == '{' && arg[1] == '}') {
			s = line;
			len = strlen(line);
			skip = 2;
		} else if (arg[0] == '{' && arg[1] >= '1' && arg[1] <= '9' && arg[2] == '}') {
			field(line, arg[1] - '0', &s, &len);
			skip = 3;
		} else {
			s = arg;
			len = 1;
		}
		if (n + len + 1 > cap) {
			cap = 2 * (n + len + 1);
			out = xrealloc(out, cap);
		}
		memcpy(out + n, s, len);
		n += len;
		arg += skip;
	}
	out[n] = '\0';
	return out;
}

/* Runs argv once; returns its wait status and stores the latency and the
 * peak resident set (KB). */
static int run(char **argv, int devnull, int errfd, int quiet, int64_t *ns, long *rss_kb)
{
	int64_t t0 = now_ns();
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("timeit: fork");
		exit(2);
	}
	if (pid == 0) {
		dup2(devnull, 0);
		if (quiet) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execvp(argv[0], argv);
		if (errfd >= 0)
			dprintf(errfd, "timeit: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("timeit: wait4");
			exit(2);
		}
	*ns = now_ns() - t0;
	*rss_kb = ru.ru_maxrss;
	return status;
}

int main(int argc, char **argv)
{
	long runs = 100, warmup = 3, expected = 0;
	int quiet = 0, opt, devnull, errfd, nargs, failures = 0;
	const char *list = NULL;
	size_t cursor = 0;
	int64_t *ns, sum = 0;
	long max_rss = 0;
	char **cmd;

	bench_prog = "timeit";
	while ((opt = getopt(argc, argv, "+n:w:l:x:q")) != -1) {
		switch (opt) {
		case 'n': runs = (long)parse_num(optarg, "run count", 1, 1); break;
		case 'w': warmup = (long)parse_num(optarg, "warm-up count", 0, 1); break;
		case 'l': list = optarg; break;
		case 'x': expected = (long)parse_num(optarg, "exit status", 0, 1); break;
		case 'q': quiet = 1; break;
		default:
			fputs("usage: timeit [-n RUNS] [-w WARMUP] [-l LISTFILE] "
			      "[-x STATUS] [-q] -- CMD ARGS...\n",
			      stderr);
			return 2;
		}
	}
	if (optind >= argc)
		die("no command given");
	if (list)
		lines = read_lines(list, &nlines, "list file");
	devnull = open("/dev/null", O_RDWR);
	if (devnull < 0)
		die("cannot open /dev/null");
	/* our stderr, for exec failures even when the child's is /dev/null */
	errfd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (errfd < 0)
		errfd = 2;

	nargs = argc - optind;
	cmd = xrealloc(NULL, (size_t)(nargs + 1) * sizeof(*cmd));
	ns = xrealloc(NULL, (size_t)runs * sizeof(*ns));
	for (long r = -warmup; r < runs; r++) {
		const char *line = list ? lines[cursor++ % nlines] : NULL;
		int64_t t;
		long rss = 0;
		int status;

		for (int a = 0; a < nargs; a++)
			cmd[a] = line ? substitute(argv[optind + a], line) : argv[optind + a];
		cmd[nargs] = NULL;
		status = run(cmd, devnull, failures < MAX_REPORTED ? errfd : -1, quiet, &t, &rss);
		if (r >= 0) {
			ns[r] = t;
			sum += t;
			if (rss > max_rss)
				max_rss = rss;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != expected) {
				if (++failures <= MAX_REPORTED) {
					fprintf(stderr, "timeit: run %ld: ", r + 1);
					if (WIFEXITED(status))
						fprintf(stderr, "exit %d", WEXITSTATUS(status));
					else
						fprintf(stderr, "signal %d", WTERMSIG(status));
					for (int a = 0; a < nargs; a++)
						fprintf(stderr, " %s", cmd[a]);
					fputc('\n', stderr);
				}
			}
		}
		if (line)
			for (int a = 0; a < nargs; a++)
				free(cmd[a]);
	}
	if (failures > MAX_REPORTED)
		fprintf(stderr, "timeit: %d runs failed in all\n", failures);

	qsort(ns, (size_t)runs, sizeof(*ns), cmp_i64);
	printf("%.2f %.2f %.2f %.2f %.2f %.2f %ld %d %ld\n", pct_ms(ns, (size_t)runs, 50),
	       pct_ms(ns, (size_t)runs, 90), pct_ms(ns, (size_t)runs, 99),
	       (double)sum / (double)runs / 1e6, (double)ns[0] / 1e6, (double)ns[runs - 1] / 1e6,
	       runs, failures, max_rss);
	free(ns);
	free(cmd);
	for (size_t k = 0; k < nlines; k++)
		free(lines[k]);
	free(lines);
	if (fflush(stdout) || ferror(stdout))
		return 2;
	return 0;
}
