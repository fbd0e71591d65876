/*
 * gt-epic-status - how far each open epic is: its direct children, how
 * many are closed, and whether it is eligible for closing (every child
 * closed), as Beads' `bd epic status`; --close-eligible closes those, in
 * one transaction, as `bd epic close-eligible` does.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-epic-status [--eligible] [--close-eligible [--dry-run]] [--json] [EPIC...]",
	NULL,
};

static int is_closed(const cJSON *b)
{
	const char *st = gt_bead_status(b);

	return !strcmp(st, "closed") || !strcmp(st, "tombstone");
}

/* {id, title, status, total, closed, eligible, children: [{id, status, title}]} */
static int epic_view(cJSON **out, struct gt_ctx *ctx, const cJSON *epic)
{
	struct gt_list_filter f;
	cJSON *kids = cJSON_CreateArray(), *k, *arr;
	int64_t closed = 0, total = 0;
	int rc;

	gt_list_filter_init(&f);
	f.all = 1;
	gt_strlist_push(&f.statuses, "all");
	f.parent = gt_bead_id(epic);
	rc = gt_list_beads(kids, ctx->lg, &f, NULL, NULL);
	gt_list_filter_release(&f);
	if (rc < 0) {
		cJSON_Delete(kids);
		return rc;
	}
	*out = cJSON_CreateObject();
	gt_json_set_str(*out, "id", gt_bead_id(epic));
	gt_json_set_str(*out, "title",
			gt_json_str(epic, "title") ? gt_json_str(epic, "title") : "");
	gt_json_set_str(*out, "status", gt_bead_status(epic));
	arr = cJSON_CreateArray();
	cJSON_ArrayForEach (k, kids) {
		cJSON *e = cJSON_CreateObject();

		if (!strcmp(gt_bead_status(k), "tombstone")) {
			cJSON_Delete(e);
			continue;
		}
		total++;
		closed += is_closed(k);
		gt_json_set_str(e, "id", gt_bead_id(k));
		gt_json_set_str(e, "status", gt_bead_status(k));
		gt_json_set_str(e, "title", gt_json_str(k, "title") ? gt_json_str(k, "title") : "");
		cJSON_AddItemToArray(arr, e);
	}
	gt_json_set_int(*out, "total", total);
	gt_json_set_int(*out, "closed", closed);
	gt_json_set_bool(*out, "eligible", total > 0 && closed == total && !is_closed(epic));
	cJSON_AddItemToObject(*out, "children", arr);
	cJSON_Delete(kids);
	return 0;
}

struct closing {
	struct gt_ctx *ctx;
	const struct gt_strlist *ids;
};

static int close_fn(struct gt_txn *tx, void *p)
{
	struct closing *c = p;
	int rc = 0, changed;

	gt_txn_summary(tx, "close %zu eligible epic%s", c->ids->n, c->ids->n == 1 ? "" : "s");
	for (size_t i = 0; i < c->ids->n && rc == 0; i++)
		rc = gt_op_close(tx, c->ctx, c->ids->v[i], "All children closed", &changed);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_strlist eligible = { 0 };
	struct gt_buf id = GT_BUF_INIT;
	cJSON *epics = cJSON_CreateArray(), *e;
	int rc = 0, nargs, only = 0, close = 0, dry = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "eligible", &only, "only epics whose children are all closed"),
		GT_OPT_FLAG(0, "close-eligible", &close,
			    "close the epics whose children are all closed"),
		GT_OPT_FLAG('n', "dry-run", &dry,
			    "with --close-eligible: say which, close nothing"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show how far epics are; close those whose children are all closed";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (dry && !close)
		gt_cli_usage_error(&cli, "--dry-run goes with --close-eligible");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if (nargs) {
		for (int i = 1; i <= nargs && rc == 0; i++) {
			cJSON *b = NULL;

			if ((rc = gt_cli_resolve(&ctx, &idx, argv[i], &id)) < 0 ||
			    (rc = gt_ledger_read_bead(&b, ctx.lg, NULL, id.ptr)) < 0)
				break;
			cJSON_AddItemToArray(epics, b);
		}
	} else {
		struct gt_list_filter f;

		gt_list_filter_init(&f);
		gt_strlist_push(&f.types, "epic");
		rc = gt_list_beads(epics, ctx.lg, &f, NULL, NULL);
		gt_list_filter_release(&f);
	}
	cJSON_ArrayForEach (e, epics) {
		cJSON *v = NULL;

		if (rc < 0 || (rc = epic_view(&v, &ctx, e)) < 0)
			break;
		if (gt_json_bool(v, "eligible"))
			gt_strlist_push_dup(&eligible, gt_json_str(v, "id"));
		if ((only || close) && !gt_json_bool(v, "eligible")) {
			cJSON_Delete(v);
			continue;
		}
		if (cli.json) {
			if (close)
				gt_json_set_str(v, "action", dry ? "would-close" : "closed");
			gt_cli_print_json(&cli, v);
		} else {
			printf("%s\t%lld/%lld\t%s%s\t%s\n", gt_json_str(v, "id"),
			       (long long)cJSON_GetObjectItemCaseSensitive(v, "closed")
				       ->valuedouble,
			       (long long)cJSON_GetObjectItemCaseSensitive(v, "total")->valuedouble,
			       gt_json_str(v, "status"),
			       gt_json_bool(v, "eligible")
				       ? (close ? (dry ? " (would close)" : " -> closed")
						: " (eligible)")
				       : "",
			       gt_json_str(v, "title"));
		}
		cJSON_Delete(v);
	}
	if (rc == 0 && close && !dry && eligible.n) {
		struct closing c = { &ctx, &eligible };
		struct gt_txn_opts o = { .command = "gt-epic-status" };

		rc = gt_ledger_transact(ctx.lg, &o, close_fn, &c);
	}
out:
	cJSON_Delete(epics);
	gt_strlist_release_owned(&eligible);
	gt_buf_release(&id);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
