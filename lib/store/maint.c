/*
 * maint.c - automatic maintenance (maint.h).
 *
 * The writer's side must cost next to nothing when nothing is due: after
 * every commit it reads an environment variable, a snapshot of the
 * repository's config (parsed by libgit2 already), the names in
 * objects/17 and objects/pack, and the stamp file: 13 system calls, about
 * 25 us on this machine, against ~2 ms for the commit.  Only when
 * something is due does it look further (the failure marker, the lock)
 * and fork.
 *
 * Handing the lock over: the writer takes maintain.lock with flock() and
 * forks twice; the grandchild (in its own session, so no terminal or
 * process group of the writer's reaches it) inherits the descriptor as fd
 * 3 and execs gt-maintain --auto, which adopts it ($GT_MAINTAIN_LOCK_FD).
 * flock() locks belong to the open file, not the process: the writer only
 * closes its copy (never LOCK_UN, which would release the grandchild's
 * too), and the lock is held until the last process holding the file
 * open (gt-maintain, git repack, git pack-objects) is gone.  So a writer
 * that finds the lock taken starts nothing: there is never a second
 * maintenance, nor a queue of them.  (gt-maintain --auto lets it go once
 * the repack is done, before its slower and separately locked update of
 * the history index.)
 */
#include "store/maint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/lock.h"
#include "base/options.h"
#include "base/proc.h"
#include "store/objbuf.h"
#include "store/packroll.h"
#include "base/banned.h"

extern char **environ;

#define DEFAULT_LOOSE	     1000
#define DEFAULT_PACKS	     20
#define DEFAULT_FULL_PERCENT 100
#define DEFAULT_GRACE_MS     (3600 * 1000L)
#define MIN_GRACE_MS	     (60 * 1000L)
#define FAILED_BACKOFF	     60 /* seconds */

/* ---- settings ---- */

/* GT_AUTO_MAINTAIN: 1 on, 0 off, -1 unset (or not a boolean word) */
static int env_switch(void)
{
	const char *v = getenv("GT_AUTO_MAINTAIN");

	if (!v || !*v)
		return -1;
	if (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
	    !strcasecmp(v, "off"))
		return 0;
	if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
	    !strcasecmp(v, "on"))
		return 1;
	return -1;
}

void gt_maint_conf_load(struct gt_maint_conf *c, const struct gt_repo *r)
{
	git_config *cfg = NULL;
	int env = env_switch();

	c->enabled = 1;
	c->loose = DEFAULT_LOOSE;
	c->packs = DEFAULT_PACKS;
	c->full_percent = DEFAULT_FULL_PERCENT;
	c->grace_ms = DEFAULT_GRACE_MS;
	c->progress = 0;
	if (r && r->git && git_repository_config_snapshot(&cfg, r->git) == 0) {
		const char *s;
		int b;
		int64_t v;

		if (git_config_get_bool(&b, cfg, "gt.autoMaintain") == 0)
			c->enabled = b;
		if (git_config_get_int64(&v, cfg, "gt.autoLoose") == 0 && v >= 0)
			c->loose = v > LONG_MAX ? LONG_MAX : (long)v;
		if (git_config_get_int64(&v, cfg, "gt.autoPacks") == 0 && v >= 0)
			c->packs = v > LONG_MAX ? LONG_MAX : (long)v;
		if (git_config_get_int64(&v, cfg, "gt.autoFullPercent") == 0 && v > 0 &&
		    v <= 1000000)
			c->full_percent = (long)v;
		if (git_config_get_string(&s, cfg, "gt.pruneExpire") == 0 &&
		    gt_duration_parse(&v, s, "gt.pruneExpire") == 0)
			c->grace_ms = v < MIN_GRACE_MS ? MIN_GRACE_MS : v;
		git_config_free(cfg);
	}
	git_error_clear();
	gt_error_clear();
	if (env >= 0)
		c->enabled = env;
}

/* ---- the cheap look ---- */

static int is_loose_name(const char *n)
{
	return strlen(n) == GIT_OID_HEXSZ - 2 && strspn(n, "0123456789abcdef") == GIT_OID_HEXSZ - 2;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* The same name with another suffix ("pack-x.pack" -> "pack-x.keep"). */
static void sibling(struct gt_buf *out, const char *pack, const char *suffix)
{
	gt_buf_reset(out);
	gt_buf_add(out, pack, strlen(pack) - strlen(".pack"));
	gt_buf_adds(out, suffix);
}

/* The packs of names (pack-* file names) a roll-up may take: with an
 * index, not main_pack, neither kept (.keep) nor cruft (.mtimes). */
static void rollup_candidates(struct gt_strlist *out, const struct gt_strlist *names,
			      const char *main_pack)
{
	struct gt_buf s = GT_BUF_INIT;

	for (size_t i = 0; i < names->n; i++) {
		const char *n = names->v[i];

		if (!has_suffix(n, ".pack") || !strcmp(n, main_pack))
			continue;
		sibling(&s, n, ".idx");
		if (!gt_strlist_has(names, s.ptr))
			continue;
		sibling(&s, n, ".keep");
		if (gt_strlist_has(names, s.ptr))
			continue;
		sibling(&s, n, ".mtimes");
		if (!gt_strlist_has(names, s.ptr))
			gt_strlist_push_dup(out, n);
	}
	gt_buf_release(&s);
}

/* Like git's gc --auto: objects/17 holds about 1/256 of them.  Their
 * names go to names when it is not NULL. */
static long estimate_loose(const char *common_dir, struct gt_strlist *names)
{
	struct gt_buf p = GT_BUF_INIT;
	struct dirent *e;
	long n = 0;
	DIR *d;

	gt_buf_printf(&p, "%s/objects/17", common_dir);
	if ((d = opendir(p.ptr))) {
		while ((e = readdir(d))) {
			if (!is_loose_name(e->d_name))
				continue;
			n++;
			if (names)
				gt_strlist_push_dup(names, e->d_name);
		}
		closedir(d);
	}
	gt_buf_release(&p);
	return n * 256;
}

/* The number of packs the last maintenance left (maintain.stamp). */
static long packs_left(const struct gt_repo *r)
{
	struct gt_buf p = GT_BUF_INIT;
	char buf[32];
	long n = 0;
	ssize_t len;
	int fd;

	gt_buf_printf(&p, "%s/maintain.stamp", r->runtime_dir);
	if ((fd = open(p.ptr, O_RDONLY | O_CLOEXEC)) >= 0) {
		if ((len = read(fd, buf, sizeof(buf) - 1)) > 0) {
			buf[len] = '\0';
			n = strtol(buf, NULL, 10);
		}
		close(fd);
	}
	gt_buf_release(&p);
	return n < 0 ? 0 : n;
}

/* Sizes and kinds of the packs (names: every pack-* in dir). */
static void pack_detail(struct gt_maint_census *c, const char *dir, const struct gt_strlist *names)
{
	struct gt_buf s = GT_BUF_INIT;
	uint64_t all = 0;
	struct stat st;

	for (size_t i = 0; i < names->n; i++) {
		const char *n = names->v[i];

		if (!has_suffix(n, ".pack"))
			continue;
		gt_buf_reset(&s);
		gt_buf_printf(&s, "%s/%s", dir, n);
		if (stat(s.ptr, &st) < 0)
			continue;
		sibling(&s, n, ".keep");
		if (gt_strlist_has(names, s.ptr)) {
			c->kept_bytes += (uint64_t)st.st_size;
			continue;
		}
		sibling(&s, n, ".mtimes");
		if (gt_strlist_has(names, s.ptr)) {
			c->cruft++;
			c->cruft_bytes += (uint64_t)st.st_size;
			continue;
		}
		all += (uint64_t)st.st_size;
		if ((uint64_t)st.st_size > c->main_bytes && strlen(n) < sizeof(c->main_pack)) {
			c->main_bytes = (uint64_t)st.st_size;
			memcpy(c->main_pack, n, strlen(n) + 1);
		}
	}
	c->other_bytes = all - c->main_bytes;
	gt_buf_release(&s);
}

/* The names of objects/pack/pack-* (packs, indexes, .mtimes, .keep). */
static void pack_names(struct gt_strlist *names, const char *dir, long *packs)
{
	struct dirent *e;
	DIR *d;

	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "pack-", 5))
			continue;
		*packs += has_suffix(e->d_name, ".pack");
		if (names)
			gt_strlist_push_dup(names, e->d_name);
	}
	closedir(d);
}

void gt_maint_census(struct gt_maint_census *c, const struct gt_repo *r, int detail)
{
	struct gt_buf p = GT_BUF_INIT;
	struct gt_strlist names = { 0 };

	memset(c, 0, sizeof(*c));
	c->loose = estimate_loose(r->common_dir, NULL);
	gt_buf_printf(&p, "%s/objects/pack", r->common_dir);
	pack_names(detail ? &names : NULL, p.ptr, &c->packs);
	c->fresh = c->packs - packs_left(r);
	if (c->fresh < 0)
		c->fresh = 0;
	if (detail)
		pack_detail(c, p.ptr, &names);
	gt_strlist_release_owned(&names);
	gt_buf_release(&p);
}

/* How many packs a run of job left, from the names before and after it:
 * those it kept, and its own (the roll-up's, or the new main and cruft
 * packs).  The packs writers added meanwhile are new for the next
 * census, so they are not counted. */
static long packs_left_by(const struct gt_strlist *before, const struct gt_strlist *after,
			  enum gt_maint_job job)
{
	struct gt_buf s = GT_BUF_INIT;
	long left = 0, removed = 0;
	int new_cruft = 0;

	for (size_t i = 0; i < after->n; i++) {
		if (!has_suffix(after->v[i], ".pack"))
			continue;
		sibling(&s, after->v[i], ".mtimes");
		if (gt_strlist_has(before, after->v[i]))
			left++;
		else if (gt_strlist_has(after, s.ptr))
			new_cruft = 1;
	}
	for (size_t i = 0; i < before->n; i++)
		removed +=
			has_suffix(before->v[i], ".pack") && !gt_strlist_has(after, before->v[i]);
	gt_buf_release(&s);
	if (job == GT_MAINT_FULL)
		return left + 1 + new_cruft;
	return left + (removed > 0);
}

enum gt_maint_job gt_maint_due(const struct gt_maint_census *c, const struct gt_maint_conf *conf)
{
	int due = (conf->loose > 0 && c->loose > conf->loose) ||
		  (conf->packs > 0 && c->fresh >= conf->packs);

	if (!due)
		return GT_MAINT_NONE;
	/* everything else together as big as the main pack: time to fold
	 * it in, and to let expired garbage go */
	if (!c->main_bytes || c->other_bytes * 100 >= c->main_bytes * (uint64_t)conf->full_percent)
		return GT_MAINT_FULL;
	return GT_MAINT_ROLLUP;
}

const char *gt_maint_job_name(enum gt_maint_job job)
{
	return job == GT_MAINT_FULL ? "full" : job == GT_MAINT_ROLLUP ? "rollup" : "none";
}

/* ---- the lock ---- */

static void lock_path(struct gt_buf *out, const struct gt_repo *r)
{
	gt_buf_reset(out);
	gt_buf_printf(out, "%s/maintain.lock", r->runtime_dir);
}

/* The descriptor gt_maint_auto() handed over, if it is really the lock
 * file and really holds the lock (flock() on the description that holds
 * it succeeds at once; on another description it would not). */
static int adopt(const char *path)
{
	const char *v = getenv(GT_MAINT_LOCK_FD_ENV);
	struct stat a, b;
	long n;
	int ok;

	if (!v || !*v)
		return -1;
	ok = gt_parse_long(v, 3, INT_MAX, &n) == 0 && fstat((int)n, &a) == 0 &&
	     stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
	     flock((int)n, LOCK_EX | LOCK_NB) == 0;
	gt_error_clear();
	unsetenv(GT_MAINT_LOCK_FD_ENV); /* not for our children */
	return ok ? (int)n : -1;
}

int gt_maint_lock(int *fd, const struct gt_repo *r, long wait_ms, const char *who)
{
	struct gt_buf path = GT_BUF_INIT;
	int rc = 0;

	lock_path(&path, r);
	if ((*fd = adopt(path.ptr)) >= 0) {
		gt_lock_note(*fd, who ? who : "gt-maintain");
	} else {
		rc = gt_mkdir_parents(path.ptr);
		if (!rc)
			rc = gt_lock_acquire_as(fd, path.ptr, wait_ms, who ? who : "gt-maintain");
		if (rc == GT_ETEMP && !wait_ms)
			gt_error_set(GT_ETEMP, "another maintenance is running (it holds '%s')",
				     path.ptr);
	}
	/* kept open across exec: git repack holds it as long as it runs */
	if (!rc && fcntl(*fd, F_SETFD, 0) < 0)
		rc = gt_error_errno(GT_EFAIL, "cannot keep '%s' open", path.ptr);
	if (rc < 0 && *fd >= 0) {
		gt_lock_release(*fd);
		*fd = -1;
	}
	gt_buf_release(&path);
	return rc;
}

void gt_maint_unlock(int fd)
{
	gt_lock_release(fd);
}

/* ---- running ---- */

static void runtime_file(struct gt_buf *out, const struct gt_repo *r, const char *name)
{
	gt_buf_reset(out);
	gt_buf_printf(out, "%s/%s", r->runtime_dir, name);
}

void gt_maint_stamp(const struct gt_repo *r, long packs)
{
	struct gt_buf p = GT_BUF_INIT, line = GT_BUF_INIT;

	runtime_file(&p, r, "maintain.stamp");
	gt_buf_printf(&line, "%ld\n", packs);
	if (gt_mkdir_parents(p.ptr) == 0)
		gt_write_file_atomic(p.ptr, line.ptr, line.len);
	gt_error_clear();
	gt_buf_release(&p);
	gt_buf_release(&line);
}

static void mark_failed(const struct gt_repo *r, const char *msg)
{
	struct gt_buf p = GT_BUF_INIT;

	runtime_file(&p, r, "maintain.failed");
	if (msg) {
		struct gt_buf line = GT_BUF_INIT;

		gt_buf_printf(&line, "%s\n", msg);
		gt_write_file_atomic(p.ptr, line.ptr, line.len);
		gt_buf_release(&line);
	} else {
		unlink(p.ptr);
	}
	gt_buf_release(&p);
}

static uint64_t dir_bytes(const char *dir, int loose_only, long *count)
{
	struct gt_buf p = GT_BUF_INIT;
	struct dirent *e;
	uint64_t sum = 0;
	DIR *d = opendir(dir);
	struct stat st;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || (loose_only && !is_loose_name(e->d_name)))
			continue;
		gt_buf_reset(&p);
		gt_buf_printf(&p, "%s/%s", dir, e->d_name);
		if (lstat(p.ptr, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		sum += (uint64_t)st.st_size;
		if (count)
			*count += loose_only || has_suffix(e->d_name, ".pack");
	}
	closedir(d);
	gt_buf_release(&p);
	return sum;
}

void gt_maint_measure(const struct gt_repo *r, long *loose, long *packs, uint64_t *bytes)
{
	struct gt_buf p = GT_BUF_INIT;

	*loose = *packs = 0;
	gt_buf_printf(&p, "%s/objects/pack", r->common_dir);
	*bytes = dir_bytes(p.ptr, 0, packs);
	for (int i = 0; i < 256; i++) {
		gt_buf_reset(&p);
		gt_buf_printf(&p, "%s/objects/%02x", r->common_dir, i);
		*bytes += dir_bytes(p.ptr, 1, loose);
	}
	gt_buf_release(&p);
}

/* Run git with our standard streams and every descriptor we hold (the
 * lock among them), and wait; with out_to_err, what git prints on
 * stdout goes to stderr (our stdout is the caller's report). */
static int run_git(const char *const *argv, int out_to_err)
{
	int st = 0;
	pid_t pid = fork();

	if (pid < 0)
		return gt_error_errno(GT_EFAIL, "cannot run git");
	if (pid == 0) {
		if (out_to_err)
			dup2(2, 1);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return gt_error_errno(GT_EFAIL, "cannot wait for git");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return gt_error_set(GT_EFAIL, "cannot run git (is it on PATH?)");
	if (WIFEXITED(st))
		return gt_error_set(GT_EFAIL, "git %s failed with exit status %d", argv[3],
				    WEXITSTATUS(st));
	return gt_error_set(GT_EFAIL, "git %s was killed by signal %d", argv[3], WTERMSIG(st));
}

static double cpu(const struct rusage *u)
{
	return (double)(u->ru_utime.tv_sec + u->ru_stime.tv_sec) +
	       (u->ru_utime.tv_usec + u->ru_stime.tv_usec) / 1e6;
}

int gt_maint_run(struct gt_maint_report *rep, const struct gt_repo *r, enum gt_maint_job job,
		 const struct gt_maint_conf *conf)
{
	struct timespec t0, t1;
	struct rusage self0, self1, kids0, kids1;
	struct gt_maint_census before;
	struct gt_buf keep = GT_BUF_INIT, expire = GT_BUF_INIT, dir = GT_BUF_INIT;
	struct gt_strlist names_before = { 0 }, names_after = { 0 }, sample = { 0 };
	const char *argv[12];
	long packs = 0;
	size_t n = 0;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rep->job = job;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	getrusage(RUSAGE_SELF, &self0);
	getrusage(RUSAGE_CHILDREN, &kids0);
	gt_maint_measure(r, &rep->loose_before, &rep->packs_before, &rep->bytes_before);
	if (job == GT_MAINT_NONE) {
		rep->loose_after = rep->loose_before;
		rep->packs_after = rep->packs_before;
		rep->bytes_after = rep->bytes_before;
		return 0;
	}
	gt_maint_census(&before, r, 1);
	estimate_loose(r->common_dir, &sample);
	argv[n++] = "git";
	argv[n++] = "-C";
	argv[n++] = r->common_dir;
	argv[n++] = "repack";
	argv[n++] = "-d";
	if (!conf->progress)
		argv[n++] = "-q";
	argv[n++] = "-n"; /* no update-server-info */
	if (job == GT_MAINT_FULL) {
		gt_buf_printf(&expire, "--cruft-expiration=%lld.seconds.ago",
			      (long long)(conf->grace_ms / 1000));
		argv[n++] = "--cruft";
		argv[n++] = expire.ptr;
	} else {
		argv[n++] = "--geometric=2";
		argv[n++] = "--no-write-bitmap-index";
		if (before.main_pack[0]) {
			gt_buf_printf(&keep, "--keep-pack=%s", before.main_pack);
			argv[n++] = keep.ptr;
		}
	}
	argv[n] = NULL;
	gt_buf_printf(&dir, "%s/objects/pack", r->common_dir);
	pack_names(&names_before, dir.ptr, &packs);
	if (job == GT_MAINT_ROLLUP && !rep->loose_before) {
		/* only packs to roll: in the process, at a cost that does not
		 * grow with the repository as git repack's does (packroll.h);
		 * loose objects are git repack's to pack */
		struct gt_strlist cands = { 0 };

		rollup_candidates(&cands, &names_before, before.main_pack);
		rc = gt_pack_rollup(r->git, r->common_dir, &cands);
		gt_strlist_release_owned(&cands);
	} else {
		rc = run_git(argv, conf->progress);
	}
	pack_names(&names_after, dir.ptr, &packs);
	/* loose objects the cruft pack did not take are expired garbage, or
	 * written since: git prune tells them apart by reachability and age */
	gt_buf_reset(&dir);
	gt_buf_printf(&dir, "%s/objects", r->common_dir);
	if (!rc && job == GT_MAINT_FULL && gt_loose_scan(dir.ptr, NULL, 0)) {
		const char *prune[] = { "git", "-C", r->common_dir, "prune", NULL, NULL, NULL };

		gt_buf_reset(&keep);
		gt_buf_printf(&keep, "--expire=%lld.seconds.ago",
			      (long long)(conf->grace_ms / 1000));
		prune[4] = keep.ptr;
		/* its progress is on by default where stderr is a terminal */
		prune[5] = conf->progress ? NULL : "--no-progress";
		rc = run_git(prune, conf->progress);
	}
	/* git's prune-packed removes the fan-out directories it empties;
	 * where loose objects are written, make them again at once (each
	 * would cost a writer a mkdir), else leave them gone: making and
	 * removing 256 directories every time costs more than the repack
	 * (and on ext4 without a journal, recently freed inodes slow down
	 * every file created after) */
	if (rep->loose_before && gt_repo_fanout(r) < 0 && !rc)
		rc = GT_EFAIL;
	if (!rc)
		gt_maint_stamp(r, packs_left_by(&names_before, &names_after, job));
	if (!rc && conf->loose > 0 && before.loose > conf->loose) {
		/* due for loose objects: the ones there before must be gone
		 * (writers may well have added others meanwhile) */
		struct gt_strlist now = { 0 };
		size_t kept = 0;

		estimate_loose(r->common_dir, &now);
		for (size_t i = 0; i < sample.n; i++)
			kept += gt_strlist_has(&now, sample.v[i]);
		if (sample.n && kept == sample.n)
			rc = gt_error_set(GT_EFAIL,
					  "git repack left the loose objects where they were");
		gt_strlist_release_owned(&now);
	}
	mark_failed(r, rc < 0 ? gt_error_last() : NULL);
	gt_maint_measure(r, &rep->loose_after, &rep->packs_after, &rep->bytes_after);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &self1);
	getrusage(RUSAGE_CHILDREN, &kids1);
	rep->seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	rep->cpu_seconds = cpu(&self1) - cpu(&self0) + cpu(&kids1) - cpu(&kids0);
	gt_strlist_release_owned(&names_before);
	gt_strlist_release_owned(&names_after);
	gt_strlist_release_owned(&sample);
	gt_buf_release(&dir);
	gt_buf_release(&keep);
	gt_buf_release(&expire);
	return rc;
}

/* ---- starting it from a writer ---- */

static int failed_recently(const struct gt_repo *r)
{
	struct gt_buf p = GT_BUF_INIT;
	struct stat st;
	int yes;

	runtime_file(&p, r, "maintain.failed");
	yes = stat(p.ptr, &st) == 0 && st.st_mtime > time(NULL) - FAILED_BACKOFF;
	gt_buf_release(&p);
	return yes;
}

/* gt-maintain beside the running program, else the first on PATH. */
static int find_program(struct gt_buf *out)
{
	char *self = gt_self_bindir();
	const char *path = getenv("PATH");
	int found = 0;

	if (*self) {
		gt_buf_reset(out);
		gt_buf_printf(out, "%s/gt-maintain", self);
		found = access(out->ptr, X_OK) == 0;
	}
	free(self);
	if (found)
		return 0;
	while (path && *path) {
		size_t len = strcspn(path, ":");

		gt_buf_reset(out);
		gt_buf_printf(out, "%.*s/gt-maintain", (int)len, path);
		if (len && out->ptr[0] == '/' && access(out->ptr, X_OK) == 0)
			return 0;
		path += len + (path[len] == ':');
	}
	return -1;
}

/* In the grandchild, between fork() and exec(): only system calls. */
static void exec_detached(int lockfd, int logfd, const char *prog, char *const *argv,
			  char *const *envp, const char *failed)
{
	static const int sigs[] = { SIGPIPE, SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGALRM };
	int devnull = open("/dev/null", O_RDWR);
	int fd = fcntl(lockfd, F_DUPFD, 10);
	sigset_t none;

	if (devnull < 0 || fd < 0)
		_exit(126);
	dup2(devnull, 0);
	dup2(logfd >= 0 ? logfd : devnull, 1);
	dup2(logfd >= 0 ? logfd : devnull, 2);
	dup2(fd, 3); /* GT_MAINTAIN_LOCK_FD=3, without FD_CLOEXEC */
	gt_close_fds_from(4, -1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	/* a background job: the writers come first */
	setpriority(PRIO_PROCESS, 0, 10);
	execve(prog, argv, envp);
	fd = open(failed, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd >= 0) {
		static const char msg[] = "cannot run gt-maintain\n";

		if (write(fd, msg, sizeof(msg) - 1) < 0) {
			/* the file's presence is what counts */
		}
		close(fd);
	}
	_exit(127);
}

static void start(const struct gt_repo *r)
{
	struct gt_buf lock = GT_BUF_INIT, log = GT_BUF_INIT, failed = GT_BUF_INIT;
	struct gt_buf prog = GT_BUF_INIT;
	char *argv[] = { NULL, "--auto", "--json", "--gt-dir", r->common_dir, NULL };
	char fdvar[] = GT_MAINT_LOCK_FD_ENV "=3";
	char **envp = NULL;
	size_t n = 0, k = 0;
	int fd, logfd = -1;
	struct stat st;
	pid_t pid;

	lock_path(&lock, r);
	runtime_file(&failed, r, "maintain.failed");
	runtime_file(&log, r, "maintain.log");
	if (find_program(&prog) < 0) {
		mark_failed(r, "gt-maintain is neither beside this program nor on PATH");
		goto out;
	}
	fd = open(lock.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0)
		goto out;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) { /* one is running */
		close(fd);
		goto out;
	}
	argv[0] = prog.ptr;
	while (environ && environ[n])
		n++;
	envp = gt_calloc(n + 2, sizeof(*envp));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], GT_MAINT_LOCK_FD_ENV "=", strlen(GT_MAINT_LOCK_FD_ENV) + 1))
			envp[k++] = environ[i];
	envp[k++] = fdvar;
	envp[k] = NULL;
	/* one JSON line per run; started afresh past 256 KiB */
	logfd = open(log.ptr, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (logfd >= 0 && fstat(logfd, &st) == 0 && st.st_size > 256 * 1024 &&
	    ftruncate(logfd, 0)) {
		/* a long log is no harm */
	}
	pid = fork();
	if (pid == 0) {
		pid_t grandchild;

		setsid();
		grandchild = fork();
		if (grandchild == 0)
			exec_detached(fd, logfd, prog.ptr, argv, envp, failed.ptr);
		_exit(grandchild < 0);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	/* close only: LOCK_UN would take the lock from the grandchild too */
	close(fd);
	if (logfd >= 0)
		close(logfd);
out:
	free(envp);
	gt_buf_release(&lock);
	gt_buf_release(&log);
	gt_buf_release(&failed);
	gt_buf_release(&prog);
}

void gt_maint_auto(const struct gt_repo *r)
{
	struct gt_maint_conf conf;
	struct gt_maint_census c;

	if (!r || !r->runtime_dir || env_switch() == 0)
		return;
	gt_maint_conf_load(&conf, r);
	if (!conf.enabled)
		return;
	gt_maint_census(&c, r, 0);
	if (gt_maint_due(&c, &conf) != GT_MAINT_NONE && !failed_recently(r))
		start(r);
	gt_error_clear();
}
