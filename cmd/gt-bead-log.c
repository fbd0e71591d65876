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
	if (cJSON_IsRaw(v) && v->valuestring[0] == '"') {
		/* a string as the ledger holds it (JSON text): shown as text */
		cJSON *s = cJSON_Parse(v->valuestring);

		gt_format_oneline(&b, cJSON_IsString(s) ? s->valuestring : v->valuestring);
		cJSON_Delete(s);
	} else if (cJSON_IsString(v)) {
		gt_format_oneline(&b, v->valuestring);
	} else {
		gt_json_write_prefix(&b, v, 61);
	}
	if (b.len > 60) {
		gt_buf_truncate(&b, 57);
		gt_buf_adds(&b, "...");
	}
	gt_buf_adds(out, gt_buf_cstr(&b));
	gt_buf_release(&b);
}

/* "time  author  subject  (commit)" */
static void header(const char *time, const char *author, const char *subject, const char *commit)
{
	struct gt_buf b = GT_BUF_INIT;

	printf("%s  %s  ", time, author);
	gt_format_oneline(&b, subject);
	printf("%s", b.ptr);
	if (commit)
		printf("  (%.12s)", commit);
	putchar('\n');
	gt_buf_release(&b);
}

static void print_entry(struct gt_cli *cli, cJSON *entry)
{
	struct gt_buf b = GT_BUF_INIT;
	const cJSON *c, *ops = cJSON_GetObjectItemCaseSensitive(entry, "operations");

	if (cli->json) {
		gt_json_write(&b, entry);
		fputs(b.ptr, stdout);
		gt_cli_eor(cli);
		gt_buf_release(&b);
		return;
	}
	header(gt_json_str(entry, "time"), gt_json_str(entry, "author"),
	       gt_json_str(entry, "subject"), gt_json_str(entry, "commit"));
	/* further operations of a group commit that changed the bead */
	for (int i = 1; i < cJSON_GetArraySize(ops); i++) {
		const cJSON *op = cJSON_GetArrayItem(ops, i);

		gt_buf_reset(&b);
		if (gt_json_str(op, "command"))
			gt_buf_printf(&b, "%s: ", gt_json_str(op, "command"));
		gt_buf_adds(&b, gt_json_str(op, "summary"));
		header(gt_json_str(entry, "time"), gt_json_str(op, "actor"), b.ptr,
		       gt_json_str(entry, "commit"));
	}
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

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT;
	cJSON *entries = cJSON_CreateArray(), *old = cJSON_CreateArray(), *e;
	struct gt_cli_progress line;
	struct gt_progress prog;
	long max = 0;
	int rc, nargs, reverse = 0;
	const struct gt_option opts[] = {
		GT_OPT_INT('n', "max-count", &max, "N", "only the N newest changes"),
		GT_OPT_FLAG(0, "reverse", &reverse, "oldest first"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_QUIET(&cli),
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
	/*
	 * The walk, and the history index when it catches up, read each
	 * commit's trees once (the walk only the bead's own shard again and
	 * again): caching them all makes libgit2 evict from a big cache all
	 * the time, a third of the run on a long history.  Answered from the
	 * index, the log reads a few objects, none of them twice.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	cJSON_Delete(entries);
	/* the index catching up: a few commits most of the time, the whole
	 * history the first time (~20 s at 100,000 commits): a line only
	 * when it takes a while */
	prog = gt_cli_progress_start_delayed(&line, &cli, "indexing history", "commits");
	rc = gt_feed_bead_log(&entries, ctx.lg, id.ptr, max, &prog);
	gt_cli_progress_end(&line);
	if (rc < 0)
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
