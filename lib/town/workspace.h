/*
 * workspace.h - a worker's workspace, and running git there.
 *
 * Strategies (rig setting `workspace`):
 *   worktree   (default) a linked worktree of the rig's bare clone, on a new
 *              branch polecat/<name>/<bead-id> from origin/<default branch>
 *   clone      `git clone --reference <bare> --dissociate <url>`: a full,
 *              independent repository on the same branch
 *   directory  an empty directory; the rig's setup command fills it
 * Then the files in the rig's overlay folder are copied in and the rig's
 * setup command runs there (sh -c, as town configuration is trusted).
 *
 * git runs as a program with an argument vector, never through a shell:
 * branch names and ids are validated and passed as single arguments.
 */
#ifndef GT_WORKSPACE_H
#define GT_WORKSPACE_H

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/options.h"

/* Run git with the NULL-terminated arguments in cwd.  stdout goes to out
 * (if given, trailing newlines trimmed); on failure the message carries
 * git's last line of stderr.  Returns 0 or GT_EFAIL. */
int gt_git(struct gt_buf *out, const char *cwd, ...) __attribute__((sentinel));
/* The same with an argument vector (argv[0] is the first git argument). */
int gt_gitv(struct gt_buf *out, const char *cwd, const char *const *argv);

/* Check a git branch name (the rules of git check-ref-format --branch). */
int gt_branch_check(const char *branch);

struct gt_ws_spec {
	const char *strategy;	/* worktree, clone, directory */
	const char *repo;	/* the rig's bare clone */
	const char *url;	/* the rig's upstream (clone strategy) */
	const char *path;	/* where the workspace goes */
	const char *branch;	/* new branch (worktree, clone) */
	const char *base;	/* start point, e.g. origin/main */
	const char *overlay;	/* folder whose files are copied in (may not exist) */
	const char *setup;	/* shell command run inside (NULL: none) */
	const char *const *env; /* NAME=VALUE for the setup command */
};

/* Create the workspace; on failure nothing is left behind.  base_out (if
 * given) receives the commit the branch starts from. */
int gt_ws_create(const struct gt_ws_spec *s, struct gt_buf *base_out);

/* Point an existing, clean worktree or clone at a new branch from base
 * (reusing an idle polecat). */
int gt_ws_switch(const char *path, const char *branch, const char *base);

/* What removing the workspace would lose: uncommitted changes (git status
 * lines) and commits not on any remote-tracking ref.  Empty when
 * nothing. */
int gt_ws_unsaved(struct gt_buf *out, const char *path, const char *strategy);

/* Remove the workspace (and for worktrees the linked worktree entry and
 * the branch when it is fully pushed).  Without force, refuses with
 * GT_ECONFLICT when gt_ws_unsaved() finds anything; with force,
 * discarded receives that list. */
int gt_ws_remove(const struct gt_ws_spec *s, int force, struct gt_buf *discarded);

/* Append each pattern to the git exclude file at path (created if
 * missing) unless a line says exactly that already. */
int gt_exclude_add(const char *path, const struct gt_strlist *patterns);

/* rm -rf path (no error when it does not exist). */
int gt_rm_rf(const char *path);

/* Fetch origin into the bare clone (so origin/<branch> is current). */
int gt_ws_fetch(const char *repo);

/* The lock of a rig's bare clone, <repo>/gt-workspace.lock: git cannot
 * run two fetches in one repository at once, nor two commands that read
 * or change its list of worktrees (worktree add, remove, prune; branch -D
 * and checkout of a branch look at every worktree), as one may read the
 * other's half-written entry.  gt_ws_create(), gt_ws_remove() and
 * gt_ws_fetch() take it themselves, only around those commands (a
 * checkout's files, the overlay and the setup command run without it), so
 * a caller must not hold it when calling them; callers take it around
 * such commands of their own. */
int gt_ws_lock(int *fd, const char *repo);
void gt_ws_unlock(int fd);

/* Files of the overlay folder, relative to it (a JSON array of strings,
 * empty when there is no folder), for exclusion lists. */
int gt_ws_overlay_files(cJSON **out, const char *overlay);

/* Copy the overlay folder's files into path (modes kept). */
int gt_ws_overlay_copy(const char *overlay, const char *path);

#endif
