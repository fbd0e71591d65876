/*
 * gt-bead-delete - delete beads as tombstones: Beads' inline deletion
 * record, which export and sync carry to other copies of the ledger.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-delete [-r REASON] ID...",
	"gt-bead-delete [-r REASON] --stdin [--keep-going]",
	NULL,
};

struct del {
	const char *reason;
	struct gt_index **idx;
};

static int one(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const struct gt_record *rec,
	       void *p)
{
	struct del *d = p;
	struct gt_strlist dependents = { 0 };
	const char *reason = d->reason;
	uint32_t target;
	int changed, rc;

	if (rec->json && gt_json_str(rec->json, "reason"))
		reason = gt_json_str(rec->json, "reason");
	/* beads whose edges point here lose those edges */
	if (!*d->idx && (rc = gt_index_open(d->idx, ctx->lg, NULL)) < 0)
		return rc;
	target = gt_index_find(*d->idx, id);
	if (target != GT_IREF_NONE) {
		const struct gt_index *idx = *d->idx;

		for (uint32_t e = 0, r = 0; r < idx->nrecs; r++) {
			const struct gt_irec *rr = &idx->recs[r];

			for (e = 0; e < rr->nedges; e++)
				if (gt_index_ref(idx, idx->edges[rr->edges + e].target) == target) {
					gt_strlist_push(&dependents, gt_index_id(idx, r));
					break;
				}
		}
	}
	rc = gt_op_delete(tx, ctx, id, reason, &dependents, &changed);
	gt_strlist_release(&dependents);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct del d = { NULL, &idx };
	int keep_going = 0, rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING('r', "reason", &d.reason, "TEXT", "why it was deleted"),
		GT_OPT_STDIN(&cli),
		GT_OPT_FLAG(0, "keep-going", &keep_going,
			    "with --stdin: commit the records that succeed"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "delete beads (as tombstones that sync carries)";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (!nargs && !cli.use_stdin)
		gt_cli_usage_error(&cli, "an id is required");
	if ((rc = gt_cli_open(&cli, &ctx)) == 0)
		rc = gt_cli_run_ids(&cli, &ctx, &idx, nargs, argv + 1, "gt-bead-delete", one, &d,
				    keep_going);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
