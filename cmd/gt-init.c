/*
 * gt-init - make a git repository a gt ledger (creating the repository if
 * needed).  Idempotent: an existing ledger is left as it is.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-init [--prefix PREFIX] [--bare] [DIR]",
	NULL,
};

struct init_args {
	const char *prefix;
};

static int create_ledger(struct gt_txn *tx, void *p)
{
	struct init_args *a = p;
	int rc;

	if (gt_txn_base(tx)) /* someone else created it meanwhile */
		return 0;
	if ((rc = gt_config_town_set(tx, "ledger.version", "1")) < 0 ||
	    (rc = gt_config_town_set(tx, "bead.prefix", a->prefix)) < 0)
		return rc;
	gt_txn_summary(tx, "create ledger with prefix '%s'", a->prefix);
	return 0;
}

static int set_prefix(struct gt_txn *tx, void *p)
{
	struct init_args *a = p;

	gt_txn_summary(tx, "set prefix '%s'", a->prefix);
	return gt_config_town_set(tx, "bead.prefix", a->prefix);
}

/* Beads takes the directory name; we keep what a prefix may hold. */
static char *prefix_from_dir(const char *path)
{
	char real[PATH_MAX];
	const char *base;
	struct gt_buf b = GT_BUF_INIT;

	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	if (*base == '.')
		base++;
	/* a bare town.git is the town */
	if (strlen(base) > 4 && !strcmp(base + strlen(base) - 4, ".git")) {
		static char trimmed[PATH_MAX];

		snprintf(trimmed, sizeof(trimmed), "%.*s", (int)(strlen(base) - 4), base);
		base = trimmed;
	}
	for (const char *s = base; *s && b.len < GT_PREFIX_MAX; s++) {
		unsigned char c = (unsigned char)tolower((unsigned char)*s);

		if (isalnum(c) || ((c == '-' || c == '_') && b.len))
			gt_buf_addch(&b, c);
	}
	while (b.len && (b.ptr[b.len - 1] == '-' || b.ptr[b.len - 1] == '_'))
		gt_buf_truncate(&b, b.len - 1);
	if (!b.len)
		gt_buf_adds(&b, "gt");
	return gt_buf_detach(&b);
}

static int open_or_create(struct gt_repo **out, const char *dir, int bare, int *created)
{
	git_repository *git;
	git_repository_init_options io;

	*created = 0;
	if (gt_repo_open_search(out, dir) == 0)
		return 0;
	gt_error_clear();
	git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	io.flags = GIT_REPOSITORY_INIT_MKPATH | (bare ? GIT_REPOSITORY_INIT_BARE : 0);
	io.initial_head = "main";
	if (git_repository_init_ext(&git, dir, &io) < 0)
		return gt_error_git(GT_EFAIL, "cannot create a repository in '%s'", dir);
	git_repository_free(git);
	*created = 1;
	return gt_repo_open_at(out, dir);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct init_args a = { 0 };
	int bare = 0, created, rc, was_ledger = 0;
	const char *dir;
	char *prefix = NULL, *existing = NULL;
	struct gt_ledger *lg = NULL;
	struct gt_repo *repo = NULL;
	struct gt_config *cfg = NULL;
	const struct gt_option opts[] = {
		GT_OPT_STRING('p', "prefix", &a.prefix, "PREFIX",
			      "bead id prefix (default: from the directory name)"),
		GT_OPT_FLAG(0, "bare", &bare, "create a bare repository"),
		GT_OPT_STRING(0, "actor", &cli.actor, "NAME", "act as NAME"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_END(),
	};

	cli.summary = "create a ledger in a git repository";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) > 1)
		gt_cli_usage_error(&cli, "too many arguments");
	dir = argc > 1 && argv[1] ? argv[1] : ".";
	if (a.prefix && gt_prefix_check(a.prefix) < 0)
		return gt_cli_finish(&cli, GT_EUSAGE);
	if ((rc = gt_git_init()) < 0)
		return gt_cli_finish(&cli, rc);
	rc = open_or_create(&repo, dir, bare, &created);
	if (!rc)
		rc = gt_ledger_open_repo(&lg, repo, cli.actor);
	if (rc < 0) {
		gt_repo_free(repo);
		goto out;
	}
	was_ledger = lg->has_tip;
	if (lg->has_tip) {
		if ((rc = gt_config_load(&cfg, lg, NULL)) < 0)
			goto out;
		existing = gt_config_prefix(cfg);
		if (a.prefix && existing && strcmp(a.prefix, existing)) {
			rc = gt_error_set(GT_ECONFLICT, "'%s' is already a ledger with prefix '%s'",
					  dir, existing);
			gt_error_hint("change it with: gt-config bead.prefix %s", a.prefix);
			goto out;
		}
		prefix = gt_strdup(existing ? existing : (a.prefix ? a.prefix : ""));
		if (!existing && a.prefix) {
			/* a ledger without a prefix gets the one asked for */
			struct gt_txn_opts to = { .command = "gt-init" };

			if ((rc = gt_ledger_transact(lg, &to, set_prefix, &a)) < 0)
				goto out;
		}
	} else {
		struct gt_txn_opts to = { .command = "gt-init", .allow_no_ledger = 1 };

		prefix = a.prefix ? gt_strdup(a.prefix)
				  : prefix_from_dir(repo->workdir ? repo->workdir
								  : repo->common_dir);
		a.prefix = prefix;
		if ((rc = gt_ledger_transact(lg, &to, create_ledger, &a)) < 0)
			goto out;
	}
	{
		const char *path = repo->workdir ? repo->workdir : repo->common_dir;

		if (cli.json) {
			struct gt_buf j = GT_BUF_INIT;

			gt_buf_adds(&j, "{\"path\":");
			gt_json_write_string(&j, path);
			gt_buf_adds(&j, ",\"prefix\":");
			gt_json_write_string(&j, prefix);
			gt_buf_printf(&j, ",\"created\":%s}", was_ledger ? "false" : "true");
			puts(j.ptr);
			gt_buf_release(&j);
		} else if (!cli.quiet) {
			printf("%s\n", path);
		}
	}
	(void)created;
out:
	free(prefix);
	free(existing);
	gt_config_free(cfg);
	gt_ledger_free(lg);
	gt_git_shutdown();
	return gt_cli_finish(&cli, rc);
}
