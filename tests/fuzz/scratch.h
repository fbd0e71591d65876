/*
 * scratch.h - a scratch ledger for the harnesses that need one (import,
 * config): a bare repository made on first use under $TMPDIR (one per
 * process, so parallel runs never share it) and removed at exit.  HOME
 * and XDG_CONFIG_HOME point inside it and GT_* variables are cleared, so
 * neither the user's configuration nor the caller's environment changes
 * what an input does.  Anything that fails here is the machine's fault,
 * not the input's: it aborts with a message.
 */
#ifndef GT_FUZZ_SCRATCH_H
#define GT_FUZZ_SCRATCH_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "store/config.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "store/repo.h"

extern char **environ;

static char *scratch_dir;
static struct gt_ctx scratch_ctx;
static struct gt_buf scratch_path = GT_BUF_INIT;

static void scratch_die(const char *what)
{
	fprintf(stderr, "fuzz: cannot make the scratch ledger: %s: %s\n", what, gt_error_last());
	abort();
}

/* rm -rf path (no symbolic links are followed) */
static void scratch_rm(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path))) {
		while ((e = readdir(d))) {
			struct gt_buf p = GT_BUF_INIT;

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			gt_buf_printf(&p, "%s/%s", path, e->d_name);
			scratch_rm(p.ptr);
			gt_buf_release(&p);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void scratch_cleanup(void)
{
	gt_ctx_close(&scratch_ctx);
	gt_git_shutdown();
	scratch_rm(scratch_dir);
	gt_buf_release(&scratch_path);
	free(scratch_dir);
	scratch_dir = NULL;
}

static int scratch_create(struct gt_txn *tx, void *payload)
{
	int rc;

	if ((rc = gt_config_town_set(tx, "ledger.version", "1")) < 0 ||
	    (rc = gt_config_town_set(tx, "bead.prefix", "fz")) < 0)
		return rc;
	gt_txn_summary(tx, "create ledger with prefix 'fz'");
	return 0;
}

/* unset every GT_* variable */
static void scratch_clear_env(void)
{
	for (;;) {
		char **e = environ, *eq;
		struct gt_buf name = GT_BUF_INIT;

		while (*e && strncmp(*e, "GT_", 3))
			e++;
		if (!*e)
			return;
		eq = strchr(*e, '=');
		gt_buf_add(&name, *e, eq ? (size_t)(eq - *e) : strlen(*e));
		unsetenv(name.ptr);
		gt_buf_release(&name);
	}
}

/* The scratch ledger (prefix "fz", actor "fuzz"), with its configuration
 * loaded. */
static struct gt_ctx *scratch_ledger(void)
{
	struct gt_txn_opts to = { .command = "fuzz", .allow_no_ledger = 1 };
	const char *tmp = getenv("TMPDIR");
	struct gt_buf p = GT_BUF_INIT;
	git_repository_init_options io;
	git_repository *git;
	struct gt_repo *repo;

	if (scratch_dir)
		return &scratch_ctx;
	gt_buf_printf(&p, "%s/gt-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(p.ptr))
		scratch_die(p.ptr);
	scratch_dir = gt_buf_detach(&p);
	atexit(scratch_cleanup);
	scratch_clear_env();
	gt_buf_printf(&p, "%s/xdg", scratch_dir);
	setenv("XDG_CONFIG_HOME", p.ptr, 1);
	setenv("HOME", scratch_dir, 1);
	if (gt_git_init() < 0)
		scratch_die("libgit2");
	gt_buf_reset(&p);
	gt_buf_printf(&p, "%s/ledger.git", scratch_dir);
	git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	io.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_BARE;
	if (git_repository_init_ext(&git, p.ptr, &io) < 0)
		scratch_die(p.ptr);
	git_repository_free(git);
	if (gt_repo_open_at(&repo, p.ptr) < 0)
		scratch_die(p.ptr);
	if (gt_ledger_open_repo(&scratch_ctx.lg, repo, "fuzz") < 0) {
		gt_repo_free(repo);
		scratch_die("open");
	}
	if (gt_ledger_transact(scratch_ctx.lg, &to, scratch_create, NULL) < 0)
		scratch_die("gt-init");
	if (gt_ctx_config(&scratch_ctx) < 0)
		scratch_die("config");
	gt_buf_release(&p);
	return &scratch_ctx;
}

/* Write data to a file under the scratch directory; returns its path
 * (static, overwritten by the next call). */
static const char *scratch_file(const char *name, const void *data, size_t len)
{
	FILE *f;

	gt_buf_reset(&scratch_path);
	gt_buf_printf(&scratch_path, "%s/%s", scratch_dir, name);
	f = fopen(scratch_path.ptr, "wb");
	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f))
		scratch_die(scratch_path.ptr);
	return scratch_path.ptr;
}

#endif
