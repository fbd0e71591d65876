/*
 * gt-bead-label - add, remove and list labels.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-label add ID LABEL...",
	"gt-bead-label rm ID LABEL...",
	"gt-bead-label list [ID]",
	"gt-bead-label add|rm --stdin [LABEL...]",
	NULL,
};

struct lab {
	int add;
	int nlabels;
	char **labels;
};

static int one(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const struct gt_record *rec,
	       void *p)
{
	struct lab *l = p;
	const cJSON *c;
	int changed, rc = 0;

	for (int i = 0; i < l->nlabels && !rc; i++)
		rc = gt_op_label(tx, ctx, id, l->labels[i], l->add, &changed);
	if (rec->json) {
		c = cJSON_GetObjectItemCaseSensitive(rec->json, "label");
		if (cJSON_IsString(c))
			rc = rc ? rc : gt_op_label(tx, ctx, id, c->valuestring, l->add, &changed);
		cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(rec->json, "labels"))
			if (!rc && cJSON_IsString(c))
				rc = gt_op_label(tx, ctx, id, c->valuestring, l->add, &changed);
	}
	return rc;
}

/* every label in use with its count, or one bead's labels */
static int list(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_index **idx, const char *input)
{
	struct gt_buf id = GT_BUF_INIT;
	struct gt_map counts = GT_MAP_INIT;
	struct gt_strlist names = { 0 };
	int rc;

	if (input) {
		cJSON *b = NULL, *c;

		rc = gt_cli_resolve(ctx, idx, input, &id);
		if (!rc)
			rc = gt_ledger_read_bead(&b, ctx->lg, NULL, id.ptr);
		cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(b, "labels")) {
			if (!cJSON_IsString(c))
				continue;
			if (cli->json) {
				struct gt_buf j = GT_BUF_INIT;

				gt_buf_adds(&j, "{\"label\":");
				gt_json_write_string(&j, c->valuestring);
				gt_buf_adds(&j, "}");
				fputs(j.ptr, stdout);
				gt_buf_release(&j);
			} else {
				fputs(c->valuestring, stdout);
			}
			gt_cli_eor(cli);
		}
		cJSON_Delete(b);
		gt_buf_release(&id);
		return rc;
	}
	if ((rc = gt_index_open(idx, ctx->lg, NULL)) < 0)
		return rc;
	for (uint32_t r = 0; r < (*idx)->nrecs; r++) {
		const struct gt_irec *rec = &(*idx)->recs[r];

		if (!strcmp(gt_index_vocab(*idx, rec->status), "tombstone"))
			continue;
		for (uint32_t k = 0; k < rec->nlabels; k++) {
			const char *l = gt_index_str(*idx, (*idx)->labels[rec->labels + k]);
			uintptr_t n = (uintptr_t)gt_map_get(&counts, l);

			if (!n)
				gt_strlist_push(&names, l);
			gt_map_put(&counts, l, (void *)(n + 1));
		}
	}
	for (size_t i = 0; i < names.n; i++)
		for (size_t j = i + 1; j < names.n; j++)
			if (strcmp(names.v[j], names.v[i]) < 0) {
				const char *t = names.v[i];

				names.v[i] = names.v[j];
				names.v[j] = t;
			}
	for (size_t i = 0; i < names.n; i++) {
		uintptr_t n = (uintptr_t)gt_map_get(&counts, names.v[i]);

		if (cli->json) {
			struct gt_buf j = GT_BUF_INIT;

			gt_buf_adds(&j, "{\"label\":");
			gt_json_write_string(&j, names.v[i]);
			gt_buf_printf(&j, ",\"count\":%lu}", (unsigned long)n);
			fputs(j.ptr, stdout);
			gt_buf_release(&j);
		} else {
			printf("%s\t%lu", names.v[i], (unsigned long)n);
		}
		gt_cli_eor(cli);
	}
	gt_strlist_release(&names);
	gt_map_release(&counts);
	return 0;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct lab l = { 0 };
	int keep_going = 0, rc, nargs;
	const char *verb;
	const struct gt_option opts[] = {
		GT_OPT_STDIN(&cli),
		GT_OPT_FLAG(0, "keep-going", &keep_going,
			    "with --stdin: commit the records that succeed"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "add, remove and list labels";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs < 1)
		gt_cli_usage_error(&cli, "a verb is required: add, rm or list");
	verb = argv[1];
	if (!strcmp(verb, "list")) {
		if (nargs > 2)
			gt_cli_usage_error(&cli, "list takes at most one id");
	} else if (!strcmp(verb, "add") || !strcmp(verb, "rm")) {
		l.add = !strcmp(verb, "add");
		/* ids come from stdin, or the first argument after the verb */
		if (cli.use_stdin) {
			l.labels = argv + 2;
			l.nlabels = nargs - 1;
		} else if (nargs < 3) {
			gt_cli_usage_error(&cli, "%s needs an id and a label", verb);
		} else {
			l.labels = argv + 3;
			l.nlabels = nargs - 2;
		}
	} else {
		gt_cli_usage_error(&cli, "unknown verb '%s'", verb);
	}
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if (!strcmp(verb, "list"))
		rc = list(&cli, &ctx, &idx, nargs > 1 ? argv[2] : NULL);
	else
		rc = gt_cli_run_ids(&cli, &ctx, &idx, cli.use_stdin ? 0 : 1, argv + 2,
				    "gt-bead-label", one, &l, keep_going);
out:
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
