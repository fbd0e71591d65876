/*
 * repo.h - finding and opening the ledger repository, and libgit2 set-up.
 *
 * Discovery order (DESIGN.md): the --gt-dir option, else $GT_DIR, else git
 * config gt.ledger of the repository containing the current directory, else
 * that repository itself.  A linked worktree resolves to its common
 * directory, so every worktree of a rig sees the same ledger.
 */
#ifndef GT_REPO_H
#define GT_REPO_H

#include <git2.h>

#include "base/buf.h"

struct gt_repo {
	git_repository *git;
	char *common_dir;  /* absolute, no trailing slash */
	char *workdir;	   /* absolute, no trailing slash; NULL when bare */
	char *runtime_dir; /* <common_dir>/gt: caches, locks, heartbeats */
};

/* Initialise libgit2 (reference counted; pair with gt_git_shutdown()).
 * The system CA bundle is not loaded unless gt_git_want_tls() was called
 * first: commands that never speak HTTPS through libgit2 skip ~4 ms. */
int gt_git_init(void);
void gt_git_shutdown(void);
void gt_git_want_tls(void);

/* Open the ledger repository by the discovery rules above.  gt_dir is the
 * --gt-dir value or NULL.  Errors: GT_ENOTFOUND when no repository is found
 * (with a hint), GT_EFAIL when it cannot be opened. */
int gt_repo_open(struct gt_repo **out, const char *gt_dir);
/* Open exactly the repository at path (no search). */
int gt_repo_open_at(struct gt_repo **out, const char *path);
/* Open the repository containing path (walking up, as git does). */
int gt_repo_open_search(struct gt_repo **out, const char *path);
void gt_repo_free(struct gt_repo *r);

/* Path of name inside the runtime directory; creates the directory (and
 * name's parent directories) when mkdirs is set. */
int gt_repo_runtime_path(struct gt_buf *out, const struct gt_repo *r, const char *name, int mkdirs);

/* Create the 256 objects/xx directories up front.  Loose objects land in
 * them; on a fresh repository (after an import wrote only a pack) each
 * write would otherwise also create directories, which on ext4 roughly
 * doubles the cost of a small transaction. */
int gt_repo_fanout(const struct gt_repo *r);

#endif
