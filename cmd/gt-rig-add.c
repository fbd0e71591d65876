/*
 * gt-rig-add - bring a project repository under management: a bare clone
 * inside the town, its default branch, its bead id prefix.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-rig-add [--prefix PREFIX] [--branch BRANCH] NAME URL|PATH",
	NULL,
};

struct add {
	const char *name, *url, *prefix, *branch;
	struct gt_txn *tx;
	int rc;
};

/* one prefix per rig: an id must say which rig it belongs to */
static int check_prefix(const char *file, void *p)
{
	struct add *a = p;
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	cJSON *rig = NULL;

	gt_buf_printf(&path, "rigs/%s", file);
	if (gt_txn_file_get(a->tx, path.ptr, &data) == 0 &&
	    gt_json_parse(&rig, data.ptr, data.len, path.ptr, 1) == 0) {
		const char *pf = gt_json_str(rig, "prefix");

		if (pf && !strcmp(pf, a->prefix)) {
			a->rc = gt_error_set(GT_ECONFLICT, "prefix '%s' is used by rig '%s'",
					     a->prefix, gt_json_str(rig, "name"));
			gt_error_hint("choose another with --prefix");
		}
	}
	cJSON_Delete(rig);
	gt_buf_release(&path);
	gt_buf_release(&data);
	return a->rc;
}

static int add_fn(struct gt_txn *tx, void *p)
{
	struct add *a = p;
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	cJSON *rig;
	int rc;

	gt_rig_path(&path, a->name);
	if (gt_txn_file_get(tx, path.ptr, &data) == 0) {
		rc = gt_error_set(GT_ECONFLICT, "rig '%s' exists", a->name);
		goto out;
	}
	gt_error_clear();
	a->tx = tx;
	a->rc = 0;
	gt_txn_list_dir(tx, "rigs", check_prefix, a);
	if ((rc = a->rc) < 0)
		goto out;
	rig = cJSON_CreateObject();
	gt_json_set_str(rig, "name", a->name);
	gt_json_set_str(rig, "url", a->url);
	gt_json_set_str(rig, "prefix", a->prefix);
	gt_json_set_str(rig, "default_branch", a->branch);
	gt_json_set_str(rig, "created_at", gt_txn_now(tx));
	gt_json_set_str(rig, "created_by", gt_txn_actor(tx));
	gt_buf_reset(&data);
	gt_json_write(&data, rig);
	gt_buf_addch(&data, '\n');
	cJSON_Delete(rig);
	rc = gt_txn_file_put(tx, path.ptr, data.ptr, data.len);
	gt_txn_summary(tx, "add rig %s (%s)", a->name, a->prefix);
	gt_txn_trailer(tx, "Gt-Rig", "%s", a->name);
out:
	gt_buf_release(&path);
	gt_buf_release(&data);
	return rc;
}

/* Keep the town repository's `git status` quiet about the rig folder
 * (best effort: a town works without it). */
static void exclude_in_town(struct gt_ctx *ctx, const char *name)
{
	struct gt_buf path = GT_BUF_INIT, line = GT_BUF_INIT;
	struct gt_strlist pats = { 0 };

	if (!ctx->lg->repo->workdir)
		return;
	gt_buf_printf(&path, "%s/info/exclude", ctx->lg->repo->common_dir);
	gt_buf_printf(&line, "/%s/", name);
	gt_strlist_push(&pats, line.ptr);
	if (gt_exclude_add(path.ptr, &pats) < 0)
		gt_error_clear();
	gt_strlist_release(&pats);
	gt_buf_release(&path);
	gt_buf_release(&line);
}

static int clone_rig(const char *url, const char *dir, const char *repo, const char *want,
		     struct gt_buf *branch)
{
	int rc = gt_git(NULL, NULL, "clone", "--bare", "--quiet", "--", url, repo, NULL);
	struct gt_buf ref = GT_BUF_INIT;

	if (rc == 0)
		rc = gt_git(NULL, repo, "config", "remote.origin.fetch",
			    "+refs/heads/*:refs/remotes/origin/*", NULL);
	if (rc == 0)
		rc = gt_ws_fetch(repo);
	if (rc == 0 && want) {
		gt_buf_reset(branch);
		gt_buf_adds(branch, want);
	} else if (rc == 0 && gt_git(branch, repo, "symbolic-ref", "--short", "HEAD", NULL) < 0) {
		gt_buf_reset(branch);
		gt_buf_adds(branch, "main");
	}
	if (rc == 0 && (rc = gt_branch_check(branch->ptr)) == 0) {
		gt_buf_printf(&ref, "refs/remotes/origin/%s", branch->ptr);
		if (gt_git(NULL, repo, "rev-parse", "--verify", "--quiet", ref.ptr, NULL) < 0) {
			rc = gt_error_set(GT_ENOTFOUND, "'%s' has no branch '%s'%s", url,
					  branch->ptr, want ? "" : " (is it empty?)");
			gt_error_hint("name the default branch with --branch");
		}
	}
	gt_buf_release(&ref);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct add a = { 0 };
	struct gt_buf prefix = GT_BUF_INIT, dir = GT_BUF_INIT, repo = GT_BUF_INIT;
	struct gt_buf branch = GT_BUF_INIT;
	struct gt_txn_opts to = { .command = "gt-rig-add" };
	char url[PATH_MAX];
	struct stat st;
	int rc, nargs, made = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "prefix", &a.prefix, "PREFIX",
			      "bead id prefix (default: derived from NAME)"),
		GT_OPT_STRING(0, "branch", &a.branch, "BRANCH",
			      "default branch (default: the remote's HEAD)"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "add a rig: a project repository cloned into the town";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs != 2)
		gt_cli_usage_error(&cli, "a name and a URL or path are required");
	a.name = argv[1];
	/* a local path becomes absolute, so workspaces anywhere reach it */
	if (stat(argv[2], &st) == 0 && realpath(argv[2], url))
		a.url = url;
	else
		a.url = argv[2];
	if ((rc = gt_name_check("rig", a.name)) < 0)
		goto out;
	if (gt_name_reserved(a.name)) {
		rc = gt_error_set(GT_EINVALID, "'%s' is a reserved name", a.name);
		goto out;
	}
	if (!a.prefix) {
		gt_rig_prefix_derive(&prefix, a.name);
		a.prefix = prefix.ptr;
	}
	if ((rc = gt_prefix_check(a.prefix)) < 0 || (rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	gt_buf_printf(&dir, "%s/%s", t.root, a.name);
	gt_buf_printf(&repo, "%s/.repo.git", dir.ptr);
	{
		struct gt_rig existing;

		if (gt_rig_load(&existing, &ctx, &t, a.name) == 0) {
			gt_rig_release(&existing);
			rc = gt_error_set(GT_ECONFLICT, "rig '%s' exists", a.name);
			goto out;
		}
		gt_error_clear();
	}
	if (stat(dir.ptr, &st) == 0) {
		rc = gt_error_set(GT_ECONFLICT, "'%s' exists already", dir.ptr);
		gt_error_hint("move it away or pick another rig name");
		goto out;
	}
	made = 1;
	if ((rc = clone_rig(a.url, dir.ptr, repo.ptr, a.branch, &branch)) < 0)
		goto out;
	/* every workspace of the rig finds the town's ledger (repo.h) */
	if ((rc = gt_git(NULL, repo.ptr, "config", "gt.ledger", ctx.lg->repo->common_dir, NULL)) <
	    0)
		goto out;
	a.branch = branch.ptr;
	if ((rc = gt_ledger_transact(ctx.lg, &to, add_fn, &a)) < 0)
		goto out;
	made = 0;
	exclude_in_town(&ctx, a.name);
	if (cli.json) {
		cJSON *o = cJSON_CreateObject();

		gt_json_set_str(o, "name", a.name);
		gt_json_set_str(o, "url", a.url);
		gt_json_set_str(o, "prefix", a.prefix);
		gt_json_set_str(o, "default_branch", a.branch);
		gt_json_set_str(o, "path", dir.ptr);
		gt_cli_print_json(&cli, o);
		cJSON_Delete(o);
	} else if (!cli.quiet) {
		printf("%s", a.name);
		gt_cli_eor(&cli);
	}
out:
	if (made && rc < 0) {
		struct gt_error_saved e;

		gt_error_save(&e);
		gt_rm_rf(dir.ptr); /* nothing half made stays behind */
		gt_error_restore(&e);
	}
	gt_buf_release(&prefix);
	gt_buf_release(&dir);
	gt_buf_release(&repo);
	gt_buf_release(&branch);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
