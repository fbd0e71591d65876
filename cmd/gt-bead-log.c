/*
 * gt-bead-log - a bead's history from the ledger's commit log: who changed
 * what, when (and, for imported beads, the Beads events from before).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-log [--json] [-n N] ID",
	NULL,
};

/* a short rendering of a value for the human log */
static void brief(struct gt_buf *out, const cJSON *v)
{
	struct gt_buf b = GT_BUF_INIT;

	if (!v || cJSON_IsNull(v)) {
		gt_buf_adds(out, "(none)");
		return;
	}
	if (cJSON_IsString(v))
		gt_format_oneline(&b, v->valuestring);
	else
		gt_json_write(&b, v);
	if (b.len > 60) {
		gt_buf_truncate(&b, 57);
		gt_buf_adds(&b, "...");
	}
	gt_buf_adds(out, gt_buf_cstr(&b));
	gt_buf_release(&b);
}

/* The id of the blob at path in tree (all zero when there is none). */
static void blob_at(const git_tree *tree, const char *path, git_oid *blob_id)
{
	git_tree_entry *e;

	memset(blob_id, 0, sizeof(*blob_id));
	if (tree && git_tree_entry_bypath(&e, tree, path) == 0) {
		git_oid_cpy(blob_id, git_tree_entry_id(e));
		git_tree_entry_free(e);
	}
}

/* The bead in blob id, or NULL when there is none or it does not parse. */
static cJSON *bead_in(git_repository *git, const git_oid *id)
{
	git_blob *blob;
	cJSON *b = NULL;

	if (!git_oid_is_zero(id) && git_blob_lookup(&blob, git, id) == 0) {
		b = cJSON_ParseWithLength(git_blob_rawcontent(blob),
					  (size_t)git_blob_rawsize(blob));
		git_blob_free(blob);
	}
	return b;
}

/* field-by-field changes from old to new */
static cJSON *changes(const cJSON *old, const cJSON *new)
{
	cJSON *ch = cJSON_CreateObject();
	const cJSON *c;

	cJSON_ArrayForEach (c, new) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(old, c->string);
		cJSON *pair;

		if (!strcmp(c->string, "updated_at") || (o && gt_json_equal(o, c)))
			continue;
		pair = cJSON_CreateObject();
		cJSON_AddItemToObject(pair, "old", o ? cJSON_Duplicate(o, 1) : cJSON_CreateNull());
		cJSON_AddItemToObject(pair, "new", cJSON_Duplicate(c, 1));
		cJSON_AddItemToObject(ch, c->string, pair);
	}
	cJSON_ArrayForEach (c, old) {
		cJSON *pair;

		if (cJSON_GetObjectItemCaseSensitive(new, c->string))
			continue;
		pair = cJSON_CreateObject();
		cJSON_AddItemToObject(pair, "old", cJSON_Duplicate(c, 1));
		cJSON_AddItemToObject(pair, "new", cJSON_CreateNull());
		cJSON_AddItemToObject(ch, c->string, pair);
	}
	return ch;
}

static void print_entry(struct gt_cli *cli, cJSON *entry)
{
	struct gt_buf b = GT_BUF_INIT;
	const cJSON *c;

	if (cli->json) {
		gt_json_write(&b, entry);
		fputs(b.ptr, stdout);
		gt_cli_eor(cli);
		gt_buf_release(&b);
		return;
	}
	printf("%s  %s  ", gt_json_str(entry, "time"), gt_json_str(entry, "author"));
	gt_format_oneline(&b, gt_json_str(entry, "subject"));
	printf("%s", b.ptr);
	if (gt_json_str(entry, "commit"))
		printf("  (%.12s)", gt_json_str(entry, "commit"));
	putchar('\n');
	cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(entry, "changes")) {
		gt_buf_reset(&b);
		gt_buf_printf(&b, "    %s: ", c->string);
		brief(&b, cJSON_GetObjectItemCaseSensitive(c, "old"));
		gt_buf_adds(&b, " -> ");
		brief(&b, cJSON_GetObjectItemCaseSensitive(c, "new"));
		puts(b.ptr);
	}
	gt_buf_release(&b);
}

/* events Beads recorded before the import, oldest first */
static void beads_events(struct gt_ledger *lg, const char *id, cJSON *out)
{
	struct gt_buf data = GT_BUF_INIT, needle = GT_BUF_INIT;
	const char *p;

	if (gt_ledger_read_file(&data, NULL, lg, NULL, "beads-events.jsonl") < 0) {
		gt_error_clear();
		return;
	}
	gt_buf_adds(&needle, "\"issue_id\":");
	gt_json_write_string(&needle, id);
	for (char *line = data.ptr; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (nl)
			*nl = '\0';
		p = line;
		if (strstr(p, needle.ptr)) {
			cJSON *ev = cJSON_ParseWithLength(p, len), *e = cJSON_CreateObject();
			const char *type = gt_json_str(ev, "event_type");
			struct gt_buf subj = GT_BUF_INIT;

			gt_buf_printf(&subj, "bd: %s", type ? type : "event");
			cJSON_AddStringToObject(e, "source", "beads");
			cJSON_AddStringToObject(
				e, "time",
				gt_json_str(ev, "created_at") ? gt_json_str(ev, "created_at") : "");
			cJSON_AddStringToObject(e, "author",
						gt_json_str(ev, "actor") ? gt_json_str(ev, "actor")
									 : "");
			cJSON_AddStringToObject(e, "subject", subj.ptr);
			if (gt_json_str(ev, "new_value")) {
				cJSON *nv = cJSON_Parse(gt_json_str(ev, "new_value")), *ch;

				if (cJSON_IsObject(nv)) {
					const cJSON *c;

					ch = cJSON_CreateObject();
					cJSON_ArrayForEach (c, nv) {
						cJSON *pair = cJSON_CreateObject();

						cJSON_AddItemToObject(pair, "old",
								      cJSON_CreateNull());
						cJSON_AddItemToObject(pair, "new",
								      cJSON_Duplicate(c, 1));
						cJSON_AddItemToObject(ch, c->string, pair);
					}
					cJSON_AddItemToObject(e, "changes", ch);
				}
				cJSON_Delete(nv);
			}
			cJSON_AddItemToArray(out, e);
			cJSON_Delete(ev);
			gt_buf_release(&subj);
		}
		line = nl ? nl + 1 : NULL;
	}
	gt_buf_release(&data);
	gt_buf_release(&needle);
}

static int walk(struct gt_ledger *lg, const char *id, long max, cJSON *entries)
{
	struct gt_buf path = GT_BUF_INIT;
	git_revwalk *w;
	git_oid oid;
	long found = 0;
	int rc = 0;

	gt_bead_path(&path, id);
	if (git_revwalk_new(&w, lg->git) < 0)
		return gt_error_git(GT_EFAIL, "cannot walk the ledger history");
	git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	git_revwalk_simplify_first_parent(w);
	if (git_revwalk_push(w, &lg->tip) < 0) {
		git_revwalk_free(w);
		return gt_error_git(GT_EFAIL, "cannot walk the ledger history");
	}
	while (git_revwalk_next(&oid, w) == 0) {
		git_commit *c = NULL, *parent = NULL;
		git_tree *t = NULL, *pt = NULL;
		git_oid now_id, before_id;
		int born;

		if (git_commit_lookup(&c, lg->git, &oid) < 0 || git_commit_tree(&t, c) < 0) {
			rc = gt_error_git(GT_EFAIL, "cannot read commit %s", git_oid_tostr_s(&oid));
			git_commit_free(c);
			break;
		}
		if (git_commit_parentcount(c) && git_commit_parent(&parent, c, 0) == 0)
			git_commit_tree(&pt, parent);
		blob_at(t, path.ptr, &now_id);
		blob_at(pt, path.ptr, &before_id);
		if (git_oid_cmp(&now_id, &before_id)) { /* only then parse them */
			const git_signature *a = git_commit_author(c);
			cJSON *e = cJSON_CreateObject(), *now = bead_in(lg->git, &now_id),
			      *before = bead_in(lg->git, &before_id);
			char when[40];

			gt_time_seconds(when, sizeof(when), (int64_t)a->when.time);
			cJSON_AddStringToObject(e, "commit", git_oid_tostr_s(&oid));
			cJSON_AddStringToObject(e, "time", when);
			cJSON_AddStringToObject(e, "author", a->name);
			cJSON_AddStringToObject(e, "email", a->email);
			cJSON_AddStringToObject(e, "subject", git_commit_summary(c));
			if (git_commit_body(c))
				cJSON_AddStringToObject(e, "trailers", git_commit_body(c));
			cJSON_AddItemToObject(e, "changes", changes(before, now));
			cJSON_AddItemToArray(entries, e);
			cJSON_Delete(now);
			cJSON_Delete(before);
			found++;
		}
		/* the commit that created the bead ends its history */
		born = git_oid_is_zero(&before_id) && !git_oid_is_zero(&now_id);
		git_tree_free(pt);
		git_tree_free(t);
		git_commit_free(parent);
		git_commit_free(c);
		if (born || (max > 0 && found >= max))
			break;
	}
	git_revwalk_free(w);
	gt_buf_release(&path);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT;
	cJSON *entries = cJSON_CreateArray(), *old = cJSON_CreateArray(), *e;
	long max = 0;
	int rc, nargs, reverse = 0;
	const struct gt_option opts[] = {
		GT_OPT_INT('n', "max-count", &max, "N", "only the N newest changes"),
		GT_OPT_FLAG(0, "reverse", &reverse, "oldest first"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show a bead's history: who changed what, when";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs != 1)
		gt_cli_usage_error(&cli, "one id is required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 ||
	    (rc = gt_cli_resolve(&ctx, &idx, argv[1], &id)) < 0)
		goto out;
	if ((rc = walk(ctx.lg, id.ptr, max, entries)) < 0)
		goto out;
	if (!max || cJSON_GetArraySize(entries) < max) {
		/* Beads' own events are older than anything in the ledger */
		beads_events(ctx.lg, id.ptr, old);
		for (int i = cJSON_GetArraySize(old) - 1; i >= 0; i--) {
			if (max > 0 && cJSON_GetArraySize(entries) >= max)
				break;
			cJSON_AddItemToArray(entries, cJSON_DetachItemFromArray(old, i));
		}
	}
	if (reverse) {
		for (int i = cJSON_GetArraySize(entries) - 1; i >= 0; i--)
			print_entry(&cli, cJSON_GetArrayItem(entries, i));
	} else {
		cJSON_ArrayForEach (e, entries)
			print_entry(&cli, e);
	}
out:
	cJSON_Delete(entries);
	cJSON_Delete(old);
	gt_buf_release(&id);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
