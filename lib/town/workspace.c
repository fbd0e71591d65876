/*
 * workspace.c - creating, checking and removing workers' workspaces.
 */
#define _XOPEN_SOURCE 700
#include "town/workspace.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/lock.h"
#include "base/options.h"
#include "base/proc.h"
#include "store/repo.h"
#include "base/banned.h"

int gt_gitv(struct gt_buf *out, const char *cwd, const char *const *argv)
{
	static const char *const git[] = { "git", NULL };

	return gt_run_tool(out, cwd, git, argv);
}

int gt_git(struct gt_buf *out, const char *cwd, ...)
{
	const char *argv[32];
	va_list ap;

	va_start(ap, cwd);
	gt_args_collect(argv, 32, ap);
	va_end(ap);
	return gt_gitv(out, cwd, argv);
}

int gt_branch_check(const char *branch)
{
	size_t n = branch ? strlen(branch) : 0;

	if (!n || n > 200)
		return gt_error_set(GT_EINVALID, "bad branch name '%s'", branch ? branch : "");
	if (branch[0] == '-' || branch[0] == '/' || branch[n - 1] == '/' || branch[n - 1] == '.' ||
	    strstr(branch, "..") || strstr(branch, "//") || strstr(branch, "@{") ||
	    strstr(branch, "/.") || branch[0] == '.' ||
	    (n >= 5 && !strcmp(branch + n - 5, ".lock")))
		return gt_error_set(GT_EINVALID, "bad branch name '%s'", branch);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)branch[i];

		if (c <= ' ' || c == 0x7f || strchr("~^:?*[\\", c))
			return gt_error_set(GT_EINVALID, "bad branch name '%s'", branch);
	}
	return 0;
}

/* ---- overlay ---- */

struct ov {
	const char *root;
	size_t rlen;
	const char *dst;
	cJSON *list;
	int rc;
};

static struct ov *ov_cur; /* nftw has no payload argument */

static int copy_file(const char *src, const char *dst, mode_t mode)
{
	struct gt_buf data = GT_BUF_INIT;
	char tmp[65536];
	int fd = open(src, O_RDONLY | O_CLOEXEC), rc = 0;
	ssize_t r;

	if (fd < 0)
		return gt_error_errno(GT_EFAIL, "cannot read '%s'", src);
	while ((r = read(fd, tmp, sizeof(tmp))) > 0)
		gt_buf_add(&data, tmp, (size_t)r);
	if (r < 0)
		rc = gt_error_errno(GT_EFAIL, "cannot read '%s'", src);
	close(fd);
	if (rc == 0 && (rc = gt_mkdir_parents(dst)) == 0 &&
	    (rc = gt_write_file_atomic(dst, data.ptr, data.len)) == 0 &&
	    chmod(dst, mode & 07777) < 0)
		rc = gt_error_errno(GT_EFAIL, "cannot set the mode of '%s'", dst);
	gt_buf_release(&data);
	return rc;
}

static int ov_visit(const char *path, const struct stat *st, int type, struct FTW *f)
{
	struct ov *o = ov_cur;
	const char *rel = path + o->rlen;
	struct gt_buf dst = GT_BUF_INIT;

	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	while (*rel == '/')
		rel++;
	if (o->list)
		cJSON_AddItemToArray(o->list, cJSON_CreateString(rel));
	if (o->dst) {
		gt_buf_printf(&dst, "%s/%s", o->dst, rel);
		o->rc = copy_file(path, dst.ptr, st->st_mode);
	}
	gt_buf_release(&dst);
	return o->rc < 0;
}

static int ov_walk(struct ov *o)
{
	struct stat st;

	if (!o->root || stat(o->root, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	ov_cur = o;
	if (nftw(o->root, ov_visit, 16, FTW_PHYS) < 0 && o->rc == 0)
		o->rc = gt_error_errno(GT_EFAIL, "cannot read the overlay '%s'", o->root);
	ov_cur = NULL;
	return o->rc;
}

int gt_ws_overlay_files(cJSON **out, const char *overlay)
{
	struct ov o = { overlay, overlay ? strlen(overlay) : 0, NULL, cJSON_CreateArray(), 0 };

	*out = o.list;
	return ov_walk(&o);
}

int gt_ws_overlay_copy(const char *overlay, const char *path)
{
	struct ov o = { overlay, overlay ? strlen(overlay) : 0, path, NULL, 0 };

	return ov_walk(&o);
}

/* ---- create, switch, remove ---- */

static int rm_rf_cb(const char *path, const struct stat *st, int type, struct FTW *f)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int gt_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : gt_error_errno(GT_EFAIL, "cannot remove '%s'", path);
	if (nftw(path, rm_rf_cb, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return gt_error_errno(GT_EFAIL, "cannot remove '%s'", path);
	return 0;
}

int gt_exclude_add(const char *path, const struct gt_strlist *patterns)
{
	struct gt_buf have = GT_BUF_INIT, add = GT_BUF_INIT, want = GT_BUF_INIT;
	FILE *fp;
	int rc = 0, missing_nl;

	/* have starts with a newline, so "\n<pattern>\n" finds whole lines */
	gt_buf_addch(&have, '\n');
	if (gt_read_file(&have, path) < 0)
		gt_error_clear(); /* none yet */
	missing_nl = have.ptr[have.len - 1] != '\n';
	if (missing_nl)
		gt_buf_addch(&have, '\n');
	for (size_t i = 0; i < patterns->n; i++) {
		gt_buf_reset(&want);
		gt_buf_printf(&want, "\n%s\n", patterns->v[i]);
		if (!strstr(have.ptr, want.ptr) && !strstr(gt_buf_cstr(&add), want.ptr + 1))
			gt_buf_adds(&add, want.ptr + 1);
	}
	if (add.len && (rc = gt_mkdir_parents(path)) == 0) {
		if (!(fp = fopen(path, "a"))) {
			rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", path);
		} else {
			/* a last line without its newline must not swallow ours */
			int bad =
				(missing_nl && fputc('\n', fp) == EOF) || fputs(add.ptr, fp) == EOF;

			if (fclose(fp) != 0 || bad)
				rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", path);
		}
	}
	gt_buf_release(&have);
	gt_buf_release(&add);
	gt_buf_release(&want);
	return rc;
}

/* Overlay files are the rig's, not the work's: git is told to ignore them
 * (info/exclude, which a rig's worktrees share), so they are never
 * committed nor counted as unsaved work. */
static int exclude_overlay(const struct gt_ws_spec *s)
{
	struct gt_buf path = GT_BUF_INIT;
	struct gt_strlist pats = { 0 };
	cJSON *files = NULL, *f;
	int rc = gt_ws_overlay_files(&files, s->overlay);

	if (rc < 0 || !cJSON_GetArraySize(files))
		goto out;
	if ((rc = gt_git(&path, s->path, "rev-parse", "--path-format=absolute", "--git-path",
			 "info/exclude", NULL)) < 0)
		goto out;
	cJSON_ArrayForEach (f, files) {
		struct gt_buf p = GT_BUF_INIT;

		gt_buf_printf(&p, "/%s", f->valuestring);
		gt_strlist_push(&pats, gt_buf_detach(&p));
	}
	rc = gt_exclude_add(path.ptr, &pats);
out:
	gt_strlist_release_owned(&pats);
	cJSON_Delete(files);
	gt_buf_release(&path);
	return rc;
}

static int run_setup(const struct gt_ws_spec *s)
{
	const char *argv[] = { "sh", "-c", s->setup, NULL };
	struct gt_buf err = GT_BUF_INIT;
	struct gt_proc_opts o = { .cwd = s->path, .env = s->env, .err = &err };
	int rc, st = 0;

	if (!s->setup || !*s->setup)
		return 0;
	rc = gt_run(argv, &o, &st);
	if (rc < 0)
		rc = gt_error_set(GT_EFAIL, "setup command failed with status %d: %s", st,
				  gt_proc_telling_line(&err));
	gt_buf_release(&err);
	return rc;
}

int gt_ws_lock(int *fd, const char *repo)
{
	struct gt_buf p = GT_BUF_INIT;
	int rc;

	*fd = -1;
	gt_buf_printf(&p, "%s/gt-workspace.lock", repo);
	rc = gt_lock_acquire(fd, p.ptr, -1);
	gt_buf_release(&p);
	return rc;
}

void gt_ws_unlock(int fd)
{
	if (fd >= 0)
		gt_lock_release(fd);
}

/* What add_worktree() made, for undoing it. */
struct made {
	struct gt_buf branch; /* refs/heads/<branch>, once created */
	struct gt_buf entry;  /* <common dir>/worktrees/<id>, once created */
};

/* Write the line a b to dir/name, a new file; whole (by a rename) when
 * atomic, as git may read it meanwhile. */
static int write_line(const char *dir, const char *name, const char *a, const char *b, int atomic)
{
	struct gt_buf p = GT_BUF_INIT, d = GT_BUF_INIT;
	int rc = 0, fd;

	gt_buf_printf(&p, "%s/%s", dir, name);
	gt_buf_printf(&d, "%s%s\n", a, b);
	if (atomic) {
		rc = gt_write_file_atomic(p.ptr, d.ptr, d.len);
	} else if ((fd = open(p.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", p.ptr);
	} else {
		int bad = gt_write_all(fd, d.ptr, d.len) < 0;

		if (close(fd) < 0 || bad)
			rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", p.ptr);
	}
	gt_buf_release(&p);
	gt_buf_release(&d);
	return rc;
}

/*
 * A linked worktree of the bare clone on a new branch, made as git
 * worktree add makes it (gitrepository-layout(5): the entry
 * worktrees/<id>/ holding gitdir, commondir and HEAD, the workspace's
 * .git file naming the entry), the files then checked out by git reset,
 * which is what git worktree add runs too.  git worktree add reads every
 * other entry of the repository and can read one another run is half-way
 * through writing (and die), so runs of it cannot overlap; this can, and
 * takes no lock: the branch is created only if it does not exist (one
 * git update-ref), the entry's id is claimed by mkdir, the entry is
 * marked locked while it is written (git worktree prune leaves it
 * alone), and gitdir, written whole (a rename), comes last: until it is
 * there git passes the entry over, so the files before it are never read
 * half written.
 */
static int add_worktree(const struct gt_ws_spec *s, struct made *m)
{
	struct gt_buf common = GT_BUF_INIT, id = GT_BUF_INIT, p = GT_BUF_INIT;
	const char *base = strrchr(s->path, '/') ? strrchr(s->path, '/') + 1 : s->path;
	char *real = NULL, *real_id = NULL;
	struct stat st;
	int rc;

	gt_buf_printf(&m->branch, "refs/heads/%s", s->branch);
	if ((rc = gt_git(NULL, s->repo, "update-ref", m->branch.ptr, s->base, "", NULL)) < 0) {
		gt_buf_reset(&m->branch);
		goto out;
	}
	/* a bare clone is its own common directory */
	gt_buf_printf(&common, "%s/.git", s->repo);
	if (stat(common.ptr, &st) < 0 || !S_ISDIR(st.st_mode)) {
		gt_buf_reset(&common);
		gt_buf_adds(&common, s->repo);
	}
	gt_buf_printf(&p, "%s/worktrees", common.ptr);
	if (mkdir(p.ptr, 0777) < 0 && errno != EEXIST) {
		rc = gt_error_errno(GT_EFAIL, "cannot create '%s'", p.ptr);
		goto out;
	}
	/* the id is the folder's name, numbered when taken (as git does) */
	for (int n = 0;; n++) {
		gt_buf_reset(&id);
		gt_buf_printf(&id, "%s/%s", p.ptr, base);
		if (n)
			gt_buf_printf(&id, "%d", n);
		if (mkdir(id.ptr, 0777) == 0)
			break;
		if (errno != EEXIST || n >= 1000) {
			rc = gt_error_errno(GT_EFAIL, "cannot create '%s'", id.ptr);
			goto out;
		}
	}
	gt_buf_adds(&m->entry, id.ptr);
	if (mkdir(s->path, 0777) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot create '%s'", s->path);
		goto out;
	}
	/* both files name the other by its real path, as git's do */
	if (!(real = realpath(s->path, NULL)) || !(real_id = realpath(id.ptr, NULL))) {
		rc = gt_error_errno(GT_EFAIL, "cannot resolve '%s'", s->path);
		goto out;
	}
	if ((rc = write_line(id.ptr, "locked", "initializing", "", 0)) < 0 ||
	    (rc = write_line(id.ptr, "commondir", "../..", "", 0)) < 0 ||
	    (rc = write_line(id.ptr, "HEAD", "ref: ", m->branch.ptr, 0)) < 0 ||
	    (rc = write_line(s->path, ".git", "gitdir: ", real_id, 0)) < 0 ||
	    (rc = write_line(id.ptr, "gitdir", real, "/.git", 1)) < 0)
		goto out;
	gt_buf_reset(&p);
	gt_buf_printf(&p, "%s/locked", id.ptr);
	if (unlink(p.ptr) < 0)
		rc = gt_error_errno(GT_EFAIL, "cannot unlock '%s'", id.ptr);
out:
	free(real);
	free(real_id);
	gt_buf_release(&common);
	gt_buf_release(&id);
	gt_buf_release(&p);
	return rc;
}

/* Remove what a failed gt_ws_create() made. */
static void create_undo(const struct gt_ws_spec *s, struct made *m)
{
	gt_rm_rf(s->path);
	if (m->entry.len)
		gt_rm_rf(m->entry.ptr);
	if (m->branch.len)
		gt_git(NULL, s->repo, "update-ref", "-d", m->branch.ptr, NULL);
}

int gt_ws_create(const struct gt_ws_spec *s, struct gt_buf *base_out)
{
	const char *strategy = s->strategy ? s->strategy : "worktree";
	struct made m = { GT_BUF_INIT, GT_BUF_INIT };
	struct stat st;
	int rc;

	if (stat(s->path, &st) == 0)
		return gt_error_set(GT_ECONFLICT, "workspace '%s' already exists", s->path);
	if ((rc = gt_mkdir_parents(s->path)) < 0)
		return rc;
	if (!strcmp(strategy, "worktree")) {
		if ((rc = gt_branch_check(s->branch)) < 0)
			return rc;
		if ((rc = add_worktree(s, &m)) == 0)
			rc = gt_git(NULL, s->path, "reset", "--hard", "--quiet",
				    "--no-recurse-submodules", NULL);
	} else if (!strcmp(strategy, "clone")) {
		if ((rc = gt_branch_check(s->branch)) < 0)
			return rc;
		rc = gt_git(NULL, NULL, "clone", "--quiet", "--reference", s->repo, "--dissociate",
			    "--", s->url, s->path, NULL);
		if (rc == 0)
			rc = gt_git(NULL, s->path, "checkout", "--quiet", "-b", s->branch, s->base,
				    NULL);
	} else if (!strcmp(strategy, "directory")) {
		if (mkdir(s->path, 0777) < 0)
			rc = gt_error_errno(GT_EFAIL, "cannot create '%s'", s->path);
	} else {
		return gt_error_set(GT_EINVALID,
				    "unknown workspace strategy '%s' (worktree, clone, directory)",
				    strategy);
	}
	if (rc == 0)
		rc = gt_ws_overlay_copy(s->overlay, s->path);
	if (rc == 0 && strcmp(strategy, "directory"))
		rc = exclude_overlay(s);
	if (rc == 0)
		rc = run_setup(s);
	if (rc == 0 && base_out && strcmp(strategy, "directory"))
		rc = gt_git(base_out, s->path, "rev-parse", "HEAD", NULL);
	if (rc < 0) {
		/* leave nothing behind: the error above is what the caller sees */
		struct gt_error_saved e;

		gt_error_save(&e);
		create_undo(s, &m);
		gt_error_restore(&e);
	}
	gt_buf_release(&m.branch);
	gt_buf_release(&m.entry);
	return rc;
}

int gt_ws_switch(const char *path, const char *branch, const char *base)
{
	int rc = gt_branch_check(branch);

	if (rc == 0)
		rc = gt_git(NULL, path, "checkout", "--quiet", "-B", branch, base, NULL);
	return rc;
}

int gt_ws_unsaved(struct gt_buf *out, const char *path, const char *strategy)
{
	struct gt_buf b = GT_BUF_INIT;
	struct stat st;
	int rc;

	gt_buf_reset(out);
	if (stat(path, &st) < 0 || (strategy && !strcmp(strategy, "directory")))
		return 0;
	rc = gt_git(&b, path, "status", "--porcelain", "--untracked-files=all", NULL);
	if (rc == 0 && b.len) {
		gt_buf_adds(out, "uncommitted changes:\n");
		gt_buf_add(out, b.ptr, b.len);
		gt_buf_addch(out, '\n');
	}
	if (rc == 0)
		rc = gt_git(&b, path, "log", "--oneline", "HEAD", "--not", "--remotes=origin",
			    NULL);
	if (rc == 0 && b.len) {
		gt_buf_adds(out, "commits not pushed:\n");
		gt_buf_add(out, b.ptr, b.len);
		gt_buf_addch(out, '\n');
	}
	gt_buf_release(&b);
	return rc;
}

int gt_ws_remove(const struct gt_ws_spec *s, int force, struct gt_buf *discarded)
{
	const char *strategy = s->strategy ? s->strategy : "worktree";
	struct gt_buf lost = GT_BUF_INIT;
	int rc = gt_ws_unsaved(&lost, s->path, strategy);

	if (rc < 0 && !force)
		goto out;
	if (lost.len && !force) {
		rc = gt_error_set(GT_ECONFLICT,
				  "workspace '%s' holds work that is not pushed:\n%.*s", s->path,
				  (int)lost.len - 1, lost.ptr);
		gt_error_hint("push or finish it (gt-done), or pass --force to discard it");
		goto out;
	}
	if (discarded) {
		gt_buf_reset(discarded);
		gt_buf_add(discarded, lost.ptr, lost.len);
	}
	rc = 0;
	if (!strcmp(strategy, "worktree") && s->repo) {
		int lk;

		if ((rc = gt_ws_lock(&lk, s->repo)) < 0)
			goto out;
		gt_git(NULL, s->repo, "worktree", "remove", "--force", "--", s->path, NULL);
		if ((rc = gt_rm_rf(s->path)) == 0)
			gt_git(NULL, s->repo, "worktree", "prune", NULL);
		/* the branch is kept on the remote; the local copy goes */
		if (rc == 0 && s->branch && gt_branch_check(s->branch) == 0)
			gt_git(NULL, s->repo, "branch", "-D", "--", s->branch, NULL);
		gt_ws_unlock(lk);
	} else {
		rc = gt_rm_rf(s->path);
	}
	if (rc == 0)
		gt_error_clear(); /* the cleanup steps above may fail harmlessly */
out:
	gt_buf_release(&lost);
	return rc;
}

int gt_ws_fetch(const char *repo)
{
	int lk, rc = gt_ws_lock(&lk, repo);

	if (rc == 0)
		rc = gt_git(NULL, repo, "fetch", "--quiet", "--prune", "origin", NULL);
	gt_ws_unlock(lk);
	return rc;
}
