/*
 * gt-bead-import - read Beads data of any shape into the ledger, in one
 * transaction (see gt-bead-import(1) for the shapes and merge rules).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-import [--policy POLICY] [--dry-run] [--json] FILE|DIR|-...",
	NULL,
};

struct imp {
	struct gt_ctx *ctx;
	struct gt_import *im;
	enum gt_import_policy policy;
	int dry_run;
	struct gt_import_stats st;
};

static int apply(struct gt_txn *tx, void *p)
{
	struct imp *a = p;
	int rc = gt_import_apply(tx, a->ctx, a->im, a->policy, &a->st);

	/* a dry run computes everything, then declines to commit */
	return rc < 0 ? rc : a->dry_run ? GT_ENO : 0;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct imp a = { &ctx, NULL, GT_IMPORT_NEWER, 0, { 0 } };
	struct gt_cli_progress line;
	struct gt_progress prog;
	const char *policy = "newer";
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "policy", &policy, "POLICY",
			      "when a bead exists: newer (default: the newer updated_at wins), "
			      "incoming, existing"),
		GT_OPT_FLAG('n', "dry-run", &a.dry_run, "report what would change; write nothing"),
		GT_OPT_STDIN(&cli),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};
	struct gt_txn_opts to = { .command = "gt-bead-import", .bulk = 1 };

	cli.summary = "import Beads JSONL, backups and deletion manifests";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (!nargs && !cli.use_stdin)
		gt_cli_usage_error(&cli, "give the files to import (- for stdin)");
	if (!strcmp(policy, "newer"))
		a.policy = GT_IMPORT_NEWER;
	else if (!strcmp(policy, "incoming"))
		a.policy = GT_IMPORT_INCOMING;
	else if (!strcmp(policy, "existing"))
		a.policy = GT_IMPORT_EXISTING;
	else
		gt_cli_usage_error(&cli, "unknown policy '%s'", policy);
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	for (int i = 1; i <= nargs && !rc; i++) {
		if (isatty(2) && !cli.quiet)
			fprintf(stderr, "reading %s...\n", argv[i]);
		rc = gt_import_add(&a.im, argv[i]);
	}
	if (!rc && cli.use_stdin)
		rc = gt_import_add(&a.im, "-");
	if (rc < 0)
		goto out;
	prog = gt_cli_progress_start(&line, &cli, "importing", "beads");
	gt_import_progress(a.im, &prog);
	rc = gt_ledger_transact(ctx.lg, &to, apply, &a);
	gt_cli_progress_end(&line);
	if (rc == GT_ENO && a.dry_run)
		rc = 0;
	if (rc < 0)
		goto out;
	if (cli.json) {
		printf("{\"records\":%zu,\"created\":%zu,\"updated\":%zu,\"unchanged\":%zu,"
		       "\"kept_existing\":%zu,\"kept_tombstone\":%zu,\"deleted\":%zu,"
		       "\"deletion_records\":%zu,\"rows_attached\":%zu,\"orphan_rows\":%zu,"
		       "\"config_keys\":%zu,\"events\":%zu,\"dry_run\":%s,\"commit\":\"%s\"}\n",
		       a.st.lines, a.st.created, a.st.updated, a.st.unchanged, a.st.kept_existing,
		       a.st.kept_tombstone, a.st.deleted, a.st.deletion_records, a.st.rows_attached,
		       a.st.orphan_rows, a.st.config_keys, a.st.events,
		       a.dry_run ? "true" : "false",
		       git_oid_is_zero(gt_ledger_last_commit(ctx.lg))
			       ? ""
			       : git_oid_tostr_s(gt_ledger_last_commit(ctx.lg)));
	} else if (!cli.quiet) {
		printf("%s%zu records: %zu new, %zu updated, %zu unchanged, %zu kept (newer here), "
		       "%zu kept deleted, %zu deleted\n",
		       a.dry_run ? "would import " : "imported ", a.st.lines, a.st.created,
		       a.st.updated, a.st.unchanged, a.st.kept_existing, a.st.kept_tombstone,
		       a.st.deleted);
		if (a.st.rows_attached || a.st.orphan_rows)
			printf("%zu rows joined to their beads, %zu rows for beads not found\n",
			       a.st.rows_attached, a.st.orphan_rows);
		if (a.st.config_keys || a.st.events)
			printf("%zu config keys, %zu events kept\n", a.st.config_keys, a.st.events);
	}
out:
	gt_import_free(a.im);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
