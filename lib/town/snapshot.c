/*
 * snapshot.c - workspace snapshots under refs/gt/snapshots/ (snapshot.h),
 * made with git itself through a temporary index, so the workspace's own
 * index and files are never touched.
 */
#include "town/snapshot.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/proc.h"
#include "store/bead.h"
#include "town/workspace.h"
#include "base/banned.h"

#define SNAP_PREFIX "refs/gt/snapshots/"

/* git in cwd with extra environment; stdout trimmed into out */
static int git_env(struct gt_buf *out, const char *cwd, const char *const *env,
		   const char *const *args)
{
	static const char *const git[] = { "git", NULL };

	return gt_run_tool_env(out, cwd, env, git, args);
}

static int same_dir(const char *a, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

/* The next free number under refs/gt/snapshots/<address>/ in repo; the
 * newest snapshot's "<tree> <parent>" goes into last. */
static long next_number(const char *repo, const char *address, struct gt_buf *last)
{
	struct gt_buf out = GT_BUF_INIT, pat = GT_BUF_INIT;
	long max = 0;

	gt_buf_reset(last);
	gt_buf_printf(&pat, SNAP_PREFIX "%s/", address);
	if (gt_git(&out, repo, "for-each-ref", "--format=%(refname) %(tree) %(parent)", pat.ptr,
		   NULL) == 0) {
		for (char *line = out.ptr; line && *line;) {
			char *nl = strchr(line, '\n'), *sp;
			const char *num = line + pat.len;
			long n = strtol(num, &sp, 10);

			if (nl)
				*nl = '\0';
			/* only direct children: agent/1, not agent/x/1 */
			if (*sp == ' ' && n > max) {
				max = n;
				gt_buf_reset(last);
				gt_buf_adds(last, sp + 1);
			}
			line = nl ? nl + 1 : NULL;
		}
	}
	gt_error_clear();
	gt_buf_release(&out);
	gt_buf_release(&pat);
	return max + 1;
}

int gt_snapshot_take(struct gt_buf *ref_out, const char *repo, const char *ws, const char *address,
		     const char *reason)
{
	struct gt_buf gitdir = GT_BUF_INIT, common = GT_BUF_INIT, head = GT_BUF_INIT;
	struct gt_buf index = GT_BUF_INIT, ienv = GT_BUF_INIT, tree = GT_BUF_INIT;
	struct gt_buf commit = GT_BUF_INIT, msg = GT_BUF_INIT, ref = GT_BUF_INIT;
	struct gt_buf who = GT_BUF_INIT, email = GT_BUF_INIT, last = GT_BUF_INIT;
	struct gt_buf same = GT_BUF_INIT;
	const char *env[6];
	int rc, shared;

	if (gt_git(&gitdir, ws, "rev-parse", "--absolute-git-dir", NULL) < 0 ||
	    gt_git(&common, ws, "rev-parse", "--path-format=absolute", "--git-common-dir", NULL) <
		    0) {
		rc = gt_error_set(GT_ENO, "'%s' is not a git workspace: nothing to snapshot", ws);
		goto out;
	}
	gt_git(&head, ws, "rev-parse", "-q", "--verify", "HEAD^{commit}", NULL);
	gt_error_clear();
	gt_buf_printf(&index, "%s/gt-snapshot.%ld.index", gitdir.ptr, (long)getpid());
	gt_buf_printf(&ienv, "GIT_INDEX_FILE=%s", index.ptr);
	gt_buf_printf(&who, "GIT_AUTHOR_NAME=%s", address);
	gt_buf_adds(&email, "GIT_AUTHOR_EMAIL=gt-snapshot@gt.invalid");
	env[0] = ienv.ptr;
	env[1] = who.ptr;
	env[2] = email.ptr;
	env[3] = "GIT_COMMITTER_NAME=gt";
	env[4] = "GIT_COMMITTER_EMAIL=gt-snapshot@gt.invalid";
	env[5] = NULL;
	{
		const char *rt[] = { "read-tree", head.len ? head.ptr : "--empty", NULL };
		const char *add[] = { "add", "-A", "--", ":/", NULL };
		const char *wt[] = { "write-tree", NULL };

		if ((rc = git_env(NULL, ws, env, rt)) < 0 ||
		    (rc = git_env(NULL, ws, env, add)) < 0 ||
		    (rc = git_env(&tree, ws, env, wt)) < 0)
			goto out;
	}
	gt_buf_printf(&msg, "gt snapshot of %s: %s", address, reason && *reason ? reason : "kept");
	{
		const char *ct[] = { "commit-tree",	     tree.ptr, "-m", msg.ptr,
				     head.len ? "-p" : NULL, head.ptr, NULL };

		if ((rc = git_env(&commit, ws, env, ct)) < 0)
			goto out;
	}
	shared = same_dir(common.ptr, repo);
	for (int tries = 0; tries < 8; tries++) {
		long n = next_number(repo, address, &last);

		gt_buf_reset(&ref);
		gt_buf_reset(&same);
		gt_buf_printf(&same, "%s %s", tree.ptr, head.ptr);
		if (n > 1 && !strcmp(same.ptr, last.ptr)) {
			/* nothing changed since the newest snapshot: it is this one */
			gt_buf_printf(&ref, SNAP_PREFIX "%s/%ld", address, n - 1);
			rc = 0;
			break;
		}
		gt_buf_printf(&ref, SNAP_PREFIX "%s/%ld", address, n);
		if (shared) {
			/* the empty old value: create, never overwrite */
			rc = gt_git(NULL, repo, "update-ref", ref.ptr, commit.ptr, "", NULL);
		} else {
			struct gt_buf spec = GT_BUF_INIT;

			gt_buf_printf(&spec, "%s:%s", commit.ptr, ref.ptr);
			rc = gt_git(NULL, ws, "push", "-q", repo, spec.ptr, NULL);
			gt_buf_release(&spec);
		}
		if (rc == 0)
			break;
	}
	if (rc == 0 && ref_out) {
		gt_buf_reset(ref_out);
		gt_buf_adds(ref_out, ref.ptr);
	}
out:
	if (index.len)
		unlink(index.ptr);
	gt_buf_release(&gitdir);
	gt_buf_release(&common);
	gt_buf_release(&head);
	gt_buf_release(&index);
	gt_buf_release(&ienv);
	gt_buf_release(&tree);
	gt_buf_release(&commit);
	gt_buf_release(&msg);
	gt_buf_release(&ref);
	gt_buf_release(&who);
	gt_buf_release(&email);
	gt_buf_release(&last);
	gt_buf_release(&same);
	return rc;
}

static int by_agent_n(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int64_t nx = 0, ny = 0;
	int c = strcmp(gt_json_str(x, "agent"), gt_json_str(y, "agent"));

	gt_json_int(x, "n", &nx);
	gt_json_int(y, "n", &ny);
	return c ? c : (nx > ny) - (nx < ny);
}

int gt_snapshot_list(cJSON **out, const char *repo, const char *address)
{
	struct gt_buf lines = GT_BUF_INIT, pat = GT_BUF_INIT;
	cJSON **v = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*out = cJSON_CreateArray();
	gt_buf_adds(&pat, SNAP_PREFIX);
	if (address)
		gt_buf_printf(&pat, "%s/", address);
	rc = gt_git(&lines, repo, "for-each-ref",
		    "--format=%(refname)%09%(objectname)%09%(parent)%09%(creatordate:unix)%09%("
		    "contents:subject)",
		    pat.ptr, NULL);
	for (char *line = rc == 0 ? lines.ptr : NULL; line && *line;) {
		char *nl = strchr(line, '\n'), *f[5] = { line };
		int k = 1;
		cJSON *s;

		if (nl)
			*nl = '\0';
		for (char *p = line; *p && k < 5; p++)
			if (*p == '\t') {
				*p = '\0';
				f[k++] = p + 1;
			}
		line = nl ? nl + 1 : NULL;
		if (k < 5)
			continue;
		{
			const char *rest = f[0] + strlen(SNAP_PREFIX), *slash = strrchr(rest, '/');
			const char *why = strstr(f[4], ": ");
			char when[40];
			struct gt_buf agent = GT_BUF_INIT;

			if (!slash)
				continue;
			gt_buf_add(&agent, rest, (size_t)(slash - rest));
			s = cJSON_CreateObject();
			gt_json_set_str(s, "ref", f[0]);
			gt_json_set_str(s, "agent", agent.ptr);
			gt_json_set_int(s, "n", strtol(slash + 1, NULL, 10));
			gt_json_set_str(s, "commit", f[1]);
			if (*f[2])
				gt_json_set_str(s, "parent", f[2]);
			gt_time_seconds(when, sizeof(when), strtoll(f[3], NULL, 10));
			gt_json_set_str(s, "created_at", when);
			gt_json_set_str(s, "reason", why ? why + 2 : f[4]);
			gt_buf_release(&agent);
		}
		GT_ALLOC_GROW(v, n + 1, alloc);
		v[n++] = s;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_agent_n);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(*out, v[i]);
	free(v);
	gt_buf_release(&lines);
	gt_buf_release(&pat);
	return rc;
}

int gt_snapshot_restore(const char *repo, const char *ref, const char *ws)
{
	struct gt_buf full = GT_BUF_INIT, commit = GT_BUF_INIT, common = GT_BUF_INIT;
	struct gt_buf spec = GT_BUF_INIT;
	int rc;

	if (!strncmp(ref, "refs/", 5))
		gt_buf_adds(&full, ref);
	else
		gt_buf_printf(&full, SNAP_PREFIX "%s", ref);
	gt_buf_printf(&spec, "%s^{commit}", full.ptr);
	if (gt_git(&commit, repo, "rev-parse", "-q", "--verify", spec.ptr, NULL) < 0 ||
	    !commit.len) {
		gt_error_clear();
		rc = gt_error_set(GT_ENOTFOUND, "no snapshot '%s'", ref);
		gt_error_hint("gt-snapshot-list shows them");
		goto out;
	}
	if ((rc = gt_git(&common, ws, "rev-parse", "--path-format=absolute", "--git-common-dir",
			 NULL)) < 0)
		goto out;
	if (!same_dir(common.ptr, repo) &&
	    (rc = gt_git(NULL, ws, "fetch", "-q", repo, full.ptr, NULL)) < 0)
		goto out;
	rc = gt_git(NULL, ws, "restore", "--source", commit.ptr, "--worktree", "--", ":/", NULL);
out:
	gt_buf_release(&full);
	gt_buf_release(&commit);
	gt_buf_release(&common);
	gt_buf_release(&spec);
	return rc;
}

int gt_snapshot_prune(cJSON **pruned, const char *repo, int64_t ttl_secs, int dry)
{
	cJSON *all = NULL, *it;
	int64_t now = gt_time_now_ns() / 1000000000;
	int rc;

	*pruned = cJSON_CreateArray();
	if ((rc = gt_snapshot_list(&all, repo, NULL)) < 0)
		return rc;
	cJSON_ArrayForEach (it, all) {
		const char *ref = gt_json_str(it, "ref"), *parent = gt_json_str(it, "parent");
		const char *at = gt_json_str(it, "created_at");
		struct gt_buf t1 = GT_BUF_INIT, t2 = GT_BUF_INIT, on = GT_BUF_INIT,
			      spec = GT_BUF_INIT;
		int64_t ns = 0;
		const char *why = NULL;

		if (at && gt_time_parse(at, &ns) == 0 && now - ns / 1000000000 > ttl_secs) {
			why = "expired";
		} else if (parent) {
			/* nothing beyond its parent, and the parent is on origin:
			 * the snapshot keeps nothing that is not kept elsewhere */
			gt_buf_printf(&spec, "%s^{tree}", ref);
			if (gt_git(&t1, repo, "rev-parse", spec.ptr, NULL) == 0) {
				gt_buf_reset(&spec);
				gt_buf_printf(&spec, "%s^{tree}", parent);
				if (gt_git(&t2, repo, "rev-parse", spec.ptr, NULL) == 0 &&
				    !strcmp(t1.ptr, t2.ptr) &&
				    gt_git(&on, repo, "branch", "-r", "--contains", parent, NULL) ==
					    0 &&
				    on.len)
					why = "merged";
			}
			gt_error_clear();
		}
		if (why) {
			cJSON *p = cJSON_CreateObject();

			gt_json_set_str(p, "ref", ref);
			gt_json_set_str(p, "why", why);
			if (!dry && gt_git(NULL, repo, "update-ref", "-d", ref, NULL) < 0) {
				gt_json_set_str(p, "error", gt_error_last());
				gt_error_clear();
			}
			cJSON_AddItemToArray(*pruned, p);
		}
		gt_buf_release(&t1);
		gt_buf_release(&t2);
		gt_buf_release(&on);
		gt_buf_release(&spec);
	}
	cJSON_Delete(all);
	return 0;
}
