/*
 * gt-convoy-create - a convoy tracking a batch of beads (with --from-epic,
 * the epic's children that are not closed, named after it).
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-convoy-create [--notify ADDR]... [--from-epic EPIC] [NAME] [BEAD...]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_strlist notify = { 0 };
	struct gt_buf id = GT_BUF_INIT;
	int rc, nargs;
	cJSON *st = NULL, *kids = NULL;
	const char *epic = NULL;
	struct gt_strlist beads = { 0 };
	struct gt_buf name = GT_BUF_INIT, eid = GT_BUF_INIT;
	struct gt_index *idx = NULL;
	const struct gt_option opts[] = {
		GT_OPT_LIST(0, "notify", &notify, "ADDR", "mail ADDR when it lands (repeatable)"),
		GT_OPT_STRING(0, "from-epic", &epic, "EPIC",
			      "track the epic's children that are not closed"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "create a convoy";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) < 1 && !epic)
		gt_cli_usage_error(&cli, "a name is required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	for (int i = 2; i <= nargs; i++)
		gt_strlist_push_dup(&beads, argv[i]);
	if (nargs)
		gt_buf_adds(&name, argv[1]);
	if (epic) {
		struct gt_list_filter f;
		cJSON *b = NULL, *k;

		if ((rc = gt_cli_resolve(&ctx, &idx, epic, &eid)) < 0 ||
		    (rc = gt_ledger_read_bead(&b, ctx.lg, NULL, eid.ptr)) < 0)
			goto out;
		if (!name.len)
			gt_buf_printf(&name, "Epic: %s",
				      gt_json_str(b, "title") ? gt_json_str(b, "title") : eid.ptr);
		cJSON_Delete(b);
		kids = cJSON_CreateArray();
		gt_list_filter_init(&f);
		f.parent = eid.ptr;
		rc = gt_list_beads(kids, ctx.lg, &f, NULL, NULL);
		gt_list_filter_release(&f);
		if (rc < 0)
			goto out;
		cJSON_ArrayForEach (k, kids)
			if (!gt_strlist_has(&beads, gt_bead_id(k)))
				gt_strlist_push_dup(&beads, gt_bead_id(k));
		if (!beads.n) {
			rc = gt_error_set(GT_ENOTFOUND, "epic %s has no open children", eid.ptr);
			goto out;
		}
	}
	if ((rc = gt_convoy_create(&id, &ctx, name.ptr, beads.v, beads.n, notify.v, notify.n)) < 0)
		goto out;
	if (cli.json) {
		if ((rc = gt_ledger_refresh(ctx.lg)) == 0 &&
		    (rc = gt_convoy_status(&st, &ctx, id.ptr)) == 0)
			gt_cli_print_json(&cli, st);
	} else if (!cli.quiet) {
		printf("%s", id.ptr);
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(st);
	cJSON_Delete(kids);
	gt_strlist_release_owned(&beads);
	gt_buf_release(&name);
	gt_buf_release(&eid);
	gt_strlist_release(&notify);
	gt_buf_release(&id);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
