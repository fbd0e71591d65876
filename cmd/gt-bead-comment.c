/*
 * gt-bead-comment - add and list comments on a bead.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-comment add [--author WHO] ID TEXT...",
	"gt-bead-comment add [--author WHO] ID -F FILE",
	"gt-bead-comment list [--json] ID",
	NULL,
};

struct com {
	struct gt_buf text;
	const char *author;
	struct gt_buf out;
};

static int one(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const struct gt_record *rec,
	       void *p)
{
	struct com *c = p;
	cJSON *cm = NULL;
	int rc = gt_op_comment(tx, ctx, id, c->text.ptr, c->author, &cm);

	if (!rc) {
		gt_buf_reset(&c->out);
		gt_json_write(&c->out, cm);
	}
	return rc;
}

static void print_comment(struct gt_cli *cli, const cJSON *c)
{
	struct gt_buf b = GT_BUF_INIT;

	if (cli->json) {
		gt_json_write(&b, c);
		fputs(b.ptr, stdout);
		gt_cli_eor(cli);
	} else {
		int64_t n = 0;

		gt_json_int(c, "id", &n);
		printf("#%lld %s %s\n", (long long)n,
		       gt_json_str(c, "created_at") ? gt_json_str(c, "created_at") : "",
		       gt_json_str(c, "author") ? gt_json_str(c, "author") : "");
		for (const char *t = gt_json_str(c, "text"); t && *t;) {
			const char *nl = strchr(t, '\n');
			size_t len = nl ? (size_t)(nl - t) : strlen(t);

			printf("    %.*s\n", (int)len, t);
			t += len + (nl ? 1 : 0);
		}
	}
	gt_buf_release(&b);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct com c = { GT_BUF_INIT, NULL, GT_BUF_INIT };
	struct gt_buf id = GT_BUF_INIT;
	const char *file = NULL;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "author", &c.author, "WHO", "author (default: the actor)"),
		GT_OPT_STRING('F', "file", &file, "FILE", "read the text from FILE (- for stdin)"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "add and list comments";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs < 2)
		gt_cli_usage_error(&cli, "a verb and an id are required");
	if (!strcmp(argv[1], "add")) {
		if (file && nargs > 2)
			gt_cli_usage_error(&cli, "give the text or -F, not both");
		if (!file && nargs < 3)
			gt_cli_usage_error(&cli, "the comment text is required");
		for (int i = 3; i <= nargs; i++)
			gt_buf_printf(&c.text, "%s%s", i > 3 ? " " : "", argv[i]);
	} else if (!strcmp(argv[1], "list")) {
		if (nargs != 2)
			gt_cli_usage_error(&cli, "list takes one id");
	} else {
		gt_cli_usage_error(&cli, "unknown verb '%s'", argv[1]);
	}
	if (file && (rc = gt_cli_read_text(&c.text, file)) < 0)
		goto out;
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if ((rc = gt_cli_resolve(&ctx, &idx, argv[2], &id)) < 0)
		goto out;
	if (!strcmp(argv[1], "add")) {
		char *args[1] = { id.ptr };
		int want_json = cli.json, quiet = cli.quiet;

		/* run quietly; the new comment is printed below */
		cli.quiet = 1;
		cli.json = 0;
		rc = gt_cli_run_ids(&cli, &ctx, &idx, 1, args, "gt-bead-comment", one, &c, 0);
		cli.json = want_json;
		if (!rc && !quiet) {
			if (cli.json) {
				fputs(c.out.ptr, stdout);
				gt_cli_eor(&cli);
			} else {
				cJSON *cm = cJSON_Parse(c.out.ptr);
				int64_t n = 0;

				gt_json_int(cm, "id", &n);
				printf("%lld\n", (long long)n);
				cJSON_Delete(cm);
			}
		}
	} else {
		cJSON *b = NULL, *cm;

		if ((rc = gt_ledger_read_bead(&b, ctx.lg, NULL, id.ptr)) == 0)
			cJSON_ArrayForEach (cm, cJSON_GetObjectItemCaseSensitive(b, "comments"))
				print_comment(&cli, cm);
		cJSON_Delete(b);
	}
out:
	gt_buf_release(&c.text);
	gt_buf_release(&c.out);
	gt_buf_release(&id);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
