/*
 * gt-bead-update - change fields of beads; --claim takes one atomically.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-update [options] ID...",
	"gt-bead-update [options] --stdin [--keep-going]",
	NULL,
};

struct upd {
	struct gt_cli_fields *fields;
	const char *title, *reason;
	struct gt_strlist labels_rm;
	int claim;
};

static int update_one(struct gt_txn *tx, struct gt_ctx *ctx, const char *id,
		      const struct gt_record *rec, void *p)
{
	struct upd *u = p;
	struct gt_bead_spec spec;
	int rc, changed = 0;

	gt_bead_spec_init(&spec);
	spec.title = u->title;
	spec.close_reason = u->reason;
	for (size_t i = 0; i < u->labels_rm.n; i++)
		gt_strlist_push(&spec.labels_rm, u->labels_rm.v[i]);
	rc = gt_cli_fields_apply(u->fields, &spec);
	if (!rc && rec->json)
		rc = gt_bead_spec_from_json(&spec, rec->json);
	if (!rc && u->claim)
		rc = gt_op_claim(tx, ctx, id, &changed);
	if (!rc)
		rc = gt_op_update(tx, ctx, id, &spec, &changed);
	gt_bead_spec_release(&spec);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_cli_fields fields = { 0 };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct upd u = { &fields, NULL, NULL, { 0 }, 0 };
	int keep_going = 0, rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "title", &u.title, "TEXT", "new title"),
		GT_OPT_FIELDS(&fields),
		GT_OPT_LIST(0, "remove-label", &u.labels_rm, "LABEL", "remove a label"),
		GT_OPT_STRING(0, "reason", &u.reason, "TEXT",
			      "close reason (with --status closed)"),
		GT_OPT_FLAG(0, "claim", &u.claim,
			    "take the bead: assignee = you, status in_progress, if open and "
			    "unassigned"),
		GT_OPT_STDIN(&cli),
		GT_OPT_FLAG(0, "keep-going", &keep_going,
			    "with --stdin: commit the records that succeed"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "change beads, or claim one";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (!nargs && !cli.use_stdin)
		gt_cli_usage_error(&cli, "an id is required");
	if (cli.use_stdin && fields.description_file && !strcmp(fields.description_file, "-"))
		gt_cli_usage_error(&cli, "--description-file - cannot be used with --stdin");
	if ((rc = gt_cli_open(&cli, &ctx)) == 0)
		rc = gt_cli_run_ids(&cli, &ctx, &idx, nargs, argv + 1, "gt-bead-update", update_one,
				    &u, keep_going);
	gt_strlist_release(&u.labels_rm);
	gt_cli_fields_release(&fields);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
