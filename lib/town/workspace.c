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

int gt_ws_create(const struct gt_ws_spec *s, struct gt_buf *base_out)
{
	const char *strategy = s->strategy ? s->strategy : "worktree";
	struct stat st;
	int rc, made_worktree = 0;

	if (stat(s->path, &st) == 0)
		return gt_error_set(GT_ECONFLICT, "workspace '%s' already exists", s->path);
	if ((rc = gt_mkdir_parents(s->path)) < 0)
		return rc;
	if (!strcmp(strategy, "worktree")) {
		if ((rc = gt_branch_check(s->branch)) < 0)
			return rc;
		rc = gt_git(NULL, s->repo, "worktree", "add", "--quiet", "--no-track", "-b",
			    s->branch, "--", s->path, s->base, NULL);
		made_worktree = rc == 0;
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
		if (made_worktree) {
			gt_git(NULL, s->repo, "worktree", "remove", "--force", "--", s->path, NULL);
			gt_git(NULL, s->repo, "branch", "-D", "--", s->branch, NULL);
		}
		gt_rm_rf(s->path);
		gt_git(NULL, s->repo, "worktree", "prune", NULL);
		gt_error_restore(&e);
	}
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
		gt_git(NULL, s->repo, "worktree", "remove", "--force", "--", s->path, NULL);
		if ((rc = gt_rm_rf(s->path)) == 0)
			gt_git(NULL, s->repo, "worktree", "prune", NULL);
		/* the branch is kept on the remote; the local copy goes */
		if (rc == 0 && s->branch && gt_branch_check(s->branch) == 0)
			gt_git(NULL, s->repo, "branch", "-D", "--", s->branch, NULL);
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
	return gt_git(NULL, repo, "fetch", "--quiet", "--prune", "origin", NULL);
}
