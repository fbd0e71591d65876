/*
 * agents.c - many concurrent writers against one ledger.
 *
 * usage: agents -a AGENTS (-d SECONDS | -n WRITES) [-r RATE | -i INTERVAL] [-f]
 *               [-s SEED] [-l LABELPREFIX] -b BEADLIST -o OUTPREFIX -- CMD ARGS...
 *
 * Forks AGENTS processes that all start at the same instant and, for
 * SECONDS (or until WRITES writes were made between them, each agent
 * making its share), each run CMD over and over (fork/exec, no shell).
 * With both, whichever comes first ends the run.  In every argument
 * "{bead}" becomes a bead id from BEADLIST (one per line; a random one per
 * write, or with -f always line agent % count) and "{label}" a label
 * unique to this write, "<LABELPREFIX><agent>-<seq>" (prefix "a" by
 * default: give each run on one ledger its own).  RATE is writes per
 * second per agent, INTERVAL seconds between one agent's writes (-i 0.2 is
 * -r 5): 0 (the default) runs flat out; otherwise writes are scheduled at
 * fixed intervals (agents evenly out of phase) and one that is due while
 * the agent's previous write still runs starts as soon as it ends (it is
 * counted as late).  Latency is measured per write from fork to waitpid.
 *
 * Each agent records "status latency_ns late bead label" lines in
 * OUTPREFIX.<agent>; the parent merges them, removes them, and prints
 *
 *   writes ok_writes failed_writes writes_per_sec p50_ms p99_ms max_ms
 *   late_writes seconds
 *
 * (one line) where writes_per_sec counts successful writes over the wall
 * time from the common start to the last agent's exit (seconds), and the
 * percentiles and the maximum cover every write.  "bead label" of every write that exited 0 goes to
 * OUTPREFIX.ok and of every other write to OUTPREFIX.failed, so a script
 * can check that every reported success is in the ledger.  CMD's stderr
 * is appended to OUTPREFIX.err, its stdout discarded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "base/banned.h"

#define MAX_PATH 4096

static char **beads;
static size_t nbeads;

/* arg with every "{bead}" and "{label}" replaced; a new string. */
static char *fill(const char *arg, const char *bead, const char *label)
{
	size_t cap = strlen(arg) + 1, n = 0;
	char *out;

	for (const char *p = arg; (p = strchr(p, '{')); p++)
		cap += strlen(bead) + strlen(label);
	out = xrealloc(NULL, cap);
	while (*arg) {
		if (!strncmp(arg, "{bead}", 6)) {
			n += (size_t)snprintf(out + n, cap - n, "%s", bead);
			arg += 6;
		} else if (!strncmp(arg, "{label}", 7)) {
			n += (size_t)snprintf(out + n, cap - n, "%s", label);
			arg += 7;
		} else {
			out[n++] = *arg++;
		}
	}
	out[n] = '\0';
	return out;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000), (long)(t % 1000000000) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

struct plan {
	int agents;
	long writes; /* all agents together; 0: no limit */
	double seconds, rate;
	const char *label_prefix;
	int fixed;
	uint64_t seed;
	const char *prefix;
	char **cmd;
	int nargs;
	int64_t start;
};

/* One agent: writes until the deadline, then exits. */
static void agent(const struct plan *p, int me, int devnull, int errfd)
{
	char path[MAX_PATH], label[96];
	int64_t deadline = p->seconds > 0 ? p->start + (int64_t)(p->seconds * 1e9) : INT64_MAX;
	int64_t phase = 0, interval = 0;
	long quota = -1; /* no limit */
	char **argv = xrealloc(NULL, (size_t)(p->nargs + 1) * sizeof(*argv));
	FILE *out;

	snprintf(path, sizeof(path), "%s.%d", p->prefix, me);
	out = fopen(path, "w");
	if (!out) {
		perror(path);
		_exit(2);
	}
	bench_rng = p->seed ^ ((uint64_t)(me + 1) * 0xd1b54a32d192ed03ULL);
	if (p->writes)
		quota = p->writes / p->agents + (me < p->writes % p->agents);
	if (p->rate > 0) {
		interval = (int64_t)(1e9 / p->rate);
		phase = interval * me / p->agents;
	}
	sleep_until(p->start + phase);
	for (long seq = 0;; seq++) {
		const char *bead = beads[p->fixed ? (size_t)me % nbeads : rnd() % nbeads];
		int64_t t0, t1;
		int status, late = 0;
		pid_t pid;

		if (quota >= 0 && seq >= quota)
			break;
		if (interval) {
			int64_t due = p->start + phase + seq * interval;

			if (due >= deadline)
				break;
			/* a millisecond of scheduling noise is not late */
			if (now_ns() < due)
				sleep_until(due);
			else
				late = now_ns() > due + 1000000;
		} else if (now_ns() >= deadline) {
			break;
		}
		snprintf(label, sizeof(label), "%s%d-%ld", p->label_prefix, me, seq);
		for (int a = 0; a < p->nargs; a++)
			argv[a] = fill(p->cmd[a], bead, label);
		argv[p->nargs] = NULL;

		t0 = now_ns();
		pid = fork();
		if (pid < 0) {
			perror("agents: fork");
			_exit(2);
		}
		if (pid == 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(errfd, 2);
			execvp(argv[0], argv);
			fprintf(stderr, "agents: cannot run %s: %s\n", argv[0], strerror(errno));
			_exit(127);
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				_exit(2);
		t1 = now_ns();
		fprintf(out, "%d %lld %d %s %s\n",
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			(long long)(t1 - t0), late, bead, label);
		for (int a = 0; a < p->nargs; a++)
			free(argv[a]);
	}
	free(argv);
	if (fclose(out))
		_exit(2);
	_exit(0);
}

static FILE *open_out(const char *prefix, const char *suffix)
{
	char path[MAX_PATH];
	FILE *f;

	snprintf(path, sizeof(path), "%s.%s", prefix, suffix);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	return f;
}

int main(int argc, char **argv)
{
	struct plan p = { .agents = 0, .seconds = 0, .seed = 1, .label_prefix = "a" };
	const char *list = NULL;
	char path[MAX_PATH];
	int opt, devnull, errfd, nfail_by_status[256] = { 0 };
	int64_t *lat = NULL, end;
	size_t nlat = 0, alloc = 0, ok = 0, nlate = 0;
	double interval = 0;
	FILE *okf, *failf;

	bench_prog = "agents";
	while ((opt = getopt(argc, argv, "+a:d:n:r:i:fs:l:b:o:")) != -1) {
		switch (opt) {
		case 'a': p.agents = (int)parse_num(optarg, "agent count", 1, 1); break;
		case 'd': p.seconds = parse_num(optarg, "duration", 0.001, 0); break;
		case 'n': p.writes = (long)parse_num(optarg, "write count", 1, 1); break;
		case 'r': p.rate = parse_num(optarg, "rate", 0, 0); break;
		case 'i': interval = parse_num(optarg, "interval", 0, 0); break;
		case 'l': p.label_prefix = optarg; break;
		case 'f': p.fixed = 1; break;
		case 's': p.seed = (uint64_t)parse_num(optarg, "seed", 0, 0); break;
		case 'b': list = optarg; break;
		case 'o': p.prefix = optarg; break;
		default: goto usage;
		}
	}
	if (!p.agents || (!p.seconds && !p.writes) || !list || !p.prefix || optind >= argc)
		goto usage;
	if (interval > 0)
		p.rate = 1.0 / interval;
	if (strlen(p.label_prefix) > 32 || strpbrk(p.label_prefix, " \t\n"))
		die("bad label prefix (at most 32 characters, no blanks)");
	p.cmd = argv + optind;
	p.nargs = argc - optind;
	beads = read_lines(list, &nbeads, "bead list");

	devnull = open("/dev/null", O_RDWR);
	snprintf(path, sizeof(path), "%s.err", p.prefix);
	errfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0666);
	if (devnull < 0 || errfd < 0)
		die("cannot open /dev/null or the .err file");
	fflush(stdout);
	/* every agent forked by then, even 128 of them on a busy machine */
	p.start = now_ns() + (200 + 2 * (int64_t)p.agents) * 1000000LL;
	for (int i = 0; i < p.agents; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork failed");
		if (pid == 0)
			agent(&p, i, devnull, errfd);
	}
	for (int i = 0; i < p.agents; i++) {
		int status;

		if (wait(&status) < 0)
			die("wait failed");
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fprintf(stderr, "agents: an agent failed (status %d)\n", status);
	}
	end = now_ns();

	okf = open_out(p.prefix, "ok");
	failf = open_out(p.prefix, "failed");
	for (int i = 0; i < p.agents; i++) {
		char bead[512], label[96];
		long long ns;
		int st, late;
		FILE *f;

		snprintf(path, sizeof(path), "%s.%d", p.prefix, i);
		f = fopen(path, "r");
		if (!f) {
			perror(path);
			continue;
		}
		while (fscanf(f, "%d %lld %d %511s %95s", &st, &ns, &late, bead, label) == 5) {
			if (nlat == alloc) {
				alloc = alloc ? 2 * alloc : 1024;
				lat = xrealloc(lat, alloc * sizeof(*lat));
			}
			lat[nlat++] = ns;
			nlate += late != 0;
			if (st == 0) {
				ok++;
				fprintf(okf, "%s %s\n", bead, label);
			} else {
				nfail_by_status[st & 255]++;
				fprintf(failf, "%s %s\n", bead, label);
			}
		}
		fclose(f);
		unlink(path);
	}
	if (fclose(okf) || fclose(failf))
		die("cannot write the .ok or .failed file");
	for (int s = 0; s < 256; s++)
		if (nfail_by_status[s])
			fprintf(stderr, "agents: %d writes exited with status %d\n",
				nfail_by_status[s], s);

	if (nlat)
		qsort(lat, nlat, sizeof(*lat), cmp_i64);
	printf("%zu %zu %zu %.1f %.2f %.2f %.2f %zu %.2f\n", nlat, ok, nlat - ok,
	       (double)ok * 1e9 / (double)(end - p.start), pct_ms(lat, nlat, 50),
	       pct_ms(lat, nlat, 99), nlat ? (double)lat[nlat - 1] / 1e6 : 0.0, nlate,
	       (double)(end - p.start) / 1e9);
	free(lat);
	for (size_t k = 0; k < nbeads; k++)
		free(beads[k]);
	free(beads);
	return fflush(stdout) || ferror(stdout) ? 2 : 0;

usage:
	fputs("usage: agents -a AGENTS (-d SECONDS | -n WRITES) [-r RATE | -i INTERVAL] [-f] "
	      "[-s SEED] [-l LABELPREFIX] -b BEADLIST -o OUTPREFIX -- CMD ARGS...\n",
	      stderr);
	return 2;
}
