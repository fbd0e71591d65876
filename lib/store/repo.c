/*
 * repo.c - ledger repository discovery and libgit2 initialisation.
 */
#include "store/repo.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/banned.h"

static int want_tls;

#ifdef GT_WRAP_MBEDTLS
/*
 * Debian's libgit2 1.5.1 (mbedTLS) parses the whole system CA bundle inside
 * git_libgit2_init(), ~4.5 ms on every process start.  When libgit2 is linked
 * statically the Makefile wraps that one initialiser (ld --wrap) so it runs
 * only for commands that asked for TLS.  The ledger never talks HTTPS
 * through libgit2 (network operations go through the git CLI), so nothing
 * else is affected.
 */
int __real_git_mbedtls_stream_global_init(void);
int __wrap_git_mbedtls_stream_global_init(void);
int __wrap_git_mbedtls_stream_global_init(void)
{
	return want_tls ? __real_git_mbedtls_stream_global_init() : 0;
}
#endif

void gt_git_want_tls(void)
{
	want_tls = 1;
}

int gt_git_init(void)
{
	if (git_libgit2_init() < 0)
		return gt_error_git(GT_EFAIL, "cannot initialise libgit2");
	/*
	 * A shard tree is ~20 KB at 100k beads, over libgit2's 4 KB default
	 * tree-cache limit, so without this every bead read re-reads (and
	 * re-inflates) its shard.  And like git, trust object ids on read:
	 * hashing every object read doubles read costs; gt-maintain and
	 * git fsck are where objects get verified.
	 */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)1 << 20);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	return 0;
}

int gt_repo_fanout(const struct gt_repo *r)
{
	struct gt_buf p = GT_BUF_INIT;

	for (int i = 0; i < 256; i++) {
		gt_buf_reset(&p);
		gt_buf_printf(&p, "%s/objects/%02x", r->common_dir, i);
		if (mkdir(p.ptr, 0777) < 0 && errno != EEXIST) {
			int rc = gt_error_errno(GT_EFAIL, "cannot create '%s'", p.ptr);

			gt_buf_release(&p);
			return rc;
		}
	}
	gt_buf_release(&p);
	return 0;
}

void gt_git_shutdown(void)
{
	git_libgit2_shutdown();
}

static char *strip_slash(const char *p)
{
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		n--;
	return gt_strndup(p, n);
}

static int fill(struct gt_repo **out, git_repository *git)
{
	struct gt_repo *r = gt_calloc(1, sizeof(*r));
	const char *wd = git_repository_workdir(git);
	struct gt_buf b = GT_BUF_INIT;

	r->git = git;
	r->common_dir = strip_slash(git_repository_commondir(git));
	r->workdir = wd ? strip_slash(wd) : NULL;
	gt_buf_printf(&b, "%s/gt", r->common_dir);
	r->runtime_dir = gt_buf_detach(&b);
	*out = r;
	return 0;
}

int gt_repo_open_at(struct gt_repo **out, const char *path)
{
	git_repository *git;

	*out = NULL;
	if (git_repository_open_ext(&git, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		struct stat st;

		if (stat(path, &st) < 0)
			return gt_error_set(GT_ENOTFOUND, "ledger '%s' does not exist", path);
		return gt_error_git(GT_ENOTFOUND, "'%s' is not a git repository", path);
	}
	return fill(out, git);
}

int gt_repo_open_search(struct gt_repo **out, const char *path)
{
	git_repository *git;

	*out = NULL;
	if (git_repository_open_ext(&git, path, 0, NULL) < 0)
		return gt_error_git(GT_ENOTFOUND, "'%s' is not in a git repository", path);
	return fill(out, git);
}

/* The value of gt.ledger in the repository's own config, if any, resolved
 * against its working directory (or git directory when bare). */
static char *configured_ledger(git_repository *git)
{
	git_config *cfg = NULL;
	git_buf val = { 0 };
	char *res = NULL;

	if (git_repository_config_snapshot(&cfg, git) < 0)
		return NULL;
	if (git_config_get_string_buf(&val, cfg, "gt.ledger") == 0 && val.size) {
		struct gt_buf b = GT_BUF_INIT;
		const char *base = git_repository_workdir(git);

		if (val.ptr[0] == '/' || val.ptr[0] == '~') {
			if (val.ptr[0] == '~' && getenv("HOME"))
				gt_buf_printf(&b, "%s%s", getenv("HOME"), val.ptr + 1);
			else
				gt_buf_adds(&b, val.ptr);
		} else {
			if (!base)
				base = git_repository_path(git);
			gt_buf_printf(&b, "%s%s", base, val.ptr);
		}
		res = gt_buf_detach(&b);
	}
	git_buf_dispose(&val);
	git_config_free(cfg);
	return res;
}

int gt_repo_open(struct gt_repo **out, const char *gt_dir)
{
	git_repository *git;
	char *ledger;
	int rc;

	*out = NULL;
	if (!gt_dir || !*gt_dir)
		gt_dir = getenv("GT_DIR");
	if (gt_dir && *gt_dir)
		return gt_repo_open_at(out, gt_dir);
	if (git_repository_open_ext(&git, ".", 0, NULL) < 0) {
		gt_error_set(GT_ENOTFOUND, "not in a git repository and no ledger given");
		gt_error_hint("run gt-init, or pass --gt-dir DIR or set GT_DIR");
		return GT_ENOTFOUND;
	}
	ledger = configured_ledger(git);
	if (!ledger)
		return fill(out, git);
	git_repository_free(git);
	rc = gt_repo_open_at(out, ledger);
	free(ledger);
	return rc;
}

void gt_repo_free(struct gt_repo *r)
{
	if (!r)
		return;
	git_repository_free(r->git);
	free(r->common_dir);
	free(r->workdir);
	free(r->runtime_dir);
	free(r);
}

int gt_repo_runtime_path(struct gt_buf *out, const struct gt_repo *r, const char *name, int mkdirs)
{
	gt_buf_reset(out);
	gt_buf_printf(out, "%s/%s", r->runtime_dir, name);
	if (mkdirs)
		return gt_mkdir_parents(out->ptr);
	return 0;
}
