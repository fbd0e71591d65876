/*
 * gt-config - read and write gt's layered configuration (git-config
 * syntax): the town config kept in the ledger (shared, versioned), this
 * machine's, and the user's.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-config KEY",
	"gt-config [--local | --user] KEY VALUE",
	"gt-config [--local | --user] --unset KEY",
	"gt-config --list [--show-origin] [--json]",
	NULL,
};

struct set {
	const char *key, *value;
};

static int town_set(struct gt_txn *tx, void *p)
{
	struct set *s = p;
	int rc = gt_config_town_set(tx, s->key, s->value);

	if (!rc)
		gt_txn_summary(tx, "%s %s", s->value ? "set" : "unset", s->key);
	return rc;
}

struct list {
	struct gt_cli *cli;
	int origin;
};

static int list_one(const char *key, const char *value, const char *layer, void *p)
{
	struct list *l = p;

	if (l->cli->json) {
		struct gt_buf j = GT_BUF_INIT;

		gt_buf_adds(&j, "{\"key\":");
		gt_json_write_string(&j, key);
		gt_buf_adds(&j, ",\"value\":");
		gt_json_write_string(&j, value ? value : "");
		gt_buf_adds(&j, ",\"layer\":");
		gt_json_write_string(&j, layer);
		gt_buf_addch(&j, '}');
		fputs(j.ptr, stdout);
		gt_buf_release(&j);
	} else if (l->origin) {
		printf("%s\t%s=%s", layer, key, value ? value : "");
	} else {
		printf("%s=%s", key, value ? value : "");
	}
	gt_cli_eor(l->cli);
	return 0;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	int local = 0, user = 0, unset = 0, do_list = 0, origin = 0, rc = 0, nargs;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "local", &local, "this machine's config (<git-dir>/gt/config)"),
		GT_OPT_FLAG(0, "user", &user, "the user's config (~/.config/gt/config)"),
		GT_OPT_FLAG(0, "unset", &unset, "remove KEY"),
		GT_OPT_FLAG('l', "list", &do_list, "list every key"),
		GT_OPT_FLAG(0, "show-origin", &origin,
			    "with --list: each key's layer (user, town, machine)"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "get and set configuration";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (local + user > 1)
		gt_cli_usage_error(&cli, "give at most one of --local and --user");
	if (do_list ? nargs != 0 : unset ? nargs != 1 : (nargs < 1 || nargs > 2))
		gt_cli_usage_error(&cli, "wrong number of arguments");
	if (!do_list && gt_config_key_check(argv[1]) < 0)
		gt_cli_usage_error(&cli, "%s", gt_error_last());
	if (user && (nargs == 2 || unset)) {
		if ((rc = gt_git_init()) == 0) {
			rc = gt_config_user_set(argv[1], unset ? NULL : argv[2]);
			gt_git_shutdown();
		}
		return gt_cli_finish(&cli, rc);
	}
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 || (rc = gt_ctx_config(&ctx)) < 0)
		goto out;
	if (do_list) {
		struct list l = { &cli, origin };

		rc = gt_config_foreach(ctx.cfg, list_one, &l);
	} else if (nargs == 1 && !unset) {
		char *v = gt_config_get(ctx.cfg, argv[1]);

		if (!v) {
			rc = GT_ENO; /* not set: exit 1, like git config */
		} else if (cli.json) {
			list_one(argv[1], v, "merged", &(struct list){ &cli, 0 });
		} else {
			fputs(v, stdout);
			gt_cli_eor(&cli);
		}
		free(v);
	} else if (local) {
		rc = gt_config_local_set(ctx.lg->repo, argv[1], unset ? NULL : argv[2]);
	} else {
		struct set s = { argv[1], unset ? NULL : argv[2] };
		struct gt_txn_opts to = { .command = "gt-config" };

		rc = gt_ledger_transact(ctx.lg, &to, town_set, &s);
	}
out:
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
