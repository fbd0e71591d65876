/*
 * gt-bead-list - list beads with filters (answered from the query index;
 * text filters read the matching beads).  The matches come one at a time
 * in order (gt_list_open), only as many as are shown, and each bead is
 * printed as it is read: a list of a million beads holds their record
 * numbers, never the beads.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-list [options]",
	NULL,
};

static int text_match(const cJSON *b, const char *title, const char *text)
{
	static const char *const fields[] = { "title",	"description",	       "notes",
					      "design", "acceptance_criteria", NULL };

	if (title && !gt_contains_ci(gt_json_str(b, "title") ? gt_json_str(b, "title") : "", title))
		return 0;
	if (!text)
		return 1;
	for (int i = 0; fields[i]; i++) {
		const char *s = gt_json_str(b, fields[i]);

		if (s && gt_contains_ci(s, text))
			return 1;
	}
	return gt_contains_ci(gt_bead_id(b), text);
}

/* One bead as the listing prints it (see gt-ready.c). */

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_list_filter f = { 0 };
	struct gt_strlist st = { 0 }, ty = { 0 }, as = { 0 }, ids = { 0 }, la = { 0 }, lany = { 0 };
	struct gt_buf k1 = GT_BUF_INIT, k2 = GT_BUF_INIT, k3 = GT_BUF_INIT, k4 = GT_BUF_INIT;
	struct gt_buf k5 = GT_BUF_INIT, k6 = GT_BUF_INIT;
	const char *prio = NULL, *text = NULL, *title = NULL, *parent_in = NULL, *format = NULL;
	struct gt_buf parent = GT_BUF_INIT;
	long limit = 50, pmin = 0, pmax = 4;
	struct gt_list_cursor cur = { 0 };
	uint32_t *v = NULL, r;
	size_t shown = 0, alloc = 0;
	int rc, nargs, more = 0;
	const struct gt_option opts[] = {
		GT_OPT_LIST('s', "status", &st, "STATUS",
			    "only these statuses (\"all\": every one)"),
		GT_OPT_LIST('t', "type", &ty, "TYPE", "only these types"),
		GT_OPT_LIST('a', "assignee", &as, "WHO", "only these assignees"),
		GT_OPT_FLAG(0, "no-assignee", &f.no_assignee, "only unassigned beads"),
		GT_OPT_LIST('l', "label", &la, "LABEL", "having every one of these labels"),
		GT_OPT_LIST(0, "label-any", &lany, "LABEL", "having at least one of these labels"),
		GT_OPT_STRING('p', "priority", &prio, "N", "only this priority"),
		GT_OPT_INT(0, "priority-min", &pmin, "N", "priority at least N (0 is highest)"),
		GT_OPT_INT(0, "priority-max", &pmax, "N", "priority at most N"),
		GT_OPT_STRING(0, "parent", &parent_in, "ID", "direct children of ID"),
		GT_OPT_LIST(0, "id", &ids, "IDS", "only these ids"),
		GT_OPT_STRING(0, "title", &title, "TEXT", "title contains TEXT (any case)"),
		GT_OPT_STRING(0, "text", &text, "TEXT",
			      "id, title, description, design, acceptance or notes contain TEXT"),
		GT_OPT_FLAG(0, "all", &f.all, "include closed beads"),
		GT_OPT_STRING(0, "sort", &f.sort, "KEY",
			      "priority (default), created, updated, id, status, type, assignee"),
		GT_OPT_FLAG('r', "reverse", &f.reverse, "reverse the order"),
		GT_OPT_INT('n', "limit", &limit, "N", "at most N beads (default 50, 0: all)"),
		GT_OPT_JSON(&cli),
		GT_OPT_FORMAT(&format),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};
	cli.summary = "list beads";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs)
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	if (limit < 0)
		gt_cli_usage_error(&cli, "--limit must be 0 or more");
	if (format)
		gt_cli_format_check(&cli, format);
	if (prio) {
		int p;

		if (gt_priority_parse(prio, &p) < 0)
			gt_cli_usage_error(&cli, "%s", gt_error_last());
		pmin = pmax = p;
	}
	f.priority_min = (int)pmin;
	f.priority_max = (int)pmax;
	gt_cli_split_list(&f.statuses, &st, &k1);
	gt_cli_split_list(&f.types, &ty, &k2);
	gt_cli_split_list(&f.assignees, &as, &k3);
	gt_cli_split_list(&f.ids, &ids, &k4);
	gt_cli_split_list(&f.labels, &la, &k5);
	gt_cli_split_list(&f.labels_any, &lany, &k6);
	if (!limit) {
		/* all of a big ledger: its beads are read from all over the
		 * pack, so map the pack a little at a time instead of whole
		 * (it would all end up resident) */
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)4 << 20);
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)64 << 20);
	}
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	gt_cli_check_vocab(&cli, &ctx, &f.statuses, &f.types);
	if (parent_in) {
		if ((rc = gt_cli_resolve(&ctx, &idx, parent_in, &parent)) < 0)
			goto out;
		f.parent = parent.ptr;
	}
	if ((!idx && (rc = gt_index_open(&idx, ctx.lg, NULL)) < 0) ||
	    (rc = gt_list_open(&cur, idx, &f, (size_t)limit)) < 0)
		goto out;
	/* the records to show (text filters read each candidate), then
	 * whether the limit cut the list */
	while ((!limit || shown < (size_t)limit) && (r = gt_list_next(&cur)) != GT_IREF_NONE) {
		if (text || title) {
			cJSON *b;
			int match;

			if ((rc = gt_ledger_read_bead_blob(&b, ctx.lg, gt_index_oid(idx, r),
							   gt_index_id(idx, r))) < 0)
				goto out;
			match = text_match(b, title, text);
			cJSON_Delete(b);
			if (!match)
				continue;
		}
		GT_ALLOC_GROW(v, shown + 1, alloc);
		v[shown++] = r;
	}
	if (limit && shown == (size_t)limit)
		more = gt_list_next(&cur) != GT_IREF_NONE;
	rc = gt_cli_print_beads(&cli, ctx.lg, idx, v, shown, format, NULL);
	if (rc == 0 && more) {
		/* never cut the list without a word (bd says so too) */
		if (text || title)
			gt_cli_warn(&cli, "showing the first %zu; more may match (-n 0 shows all)",
				    shown);
		else
			gt_cli_warn(&cli, "showing %zu of %zu; -n 0 shows all", shown,
				    gt_list_total(&cur));
	}
out:
	gt_list_close(&cur);
	free(v);
	gt_list_filter_release(&f);
	gt_strlist_release(&st);
	gt_strlist_release(&ty);
	gt_strlist_release(&as);
	gt_strlist_release(&ids);
	gt_buf_release(&k1);
	gt_buf_release(&k2);
	gt_buf_release(&k3);
	gt_buf_release(&k4);
	gt_buf_release(&k5);
	gt_buf_release(&k6);
	gt_strlist_release(&la);
	gt_strlist_release(&lany);
	gt_buf_release(&parent);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
