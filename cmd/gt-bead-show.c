/*
 * gt-bead-show - show beads (partial ids accepted).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-show [--json | --format TEMPLATE] ID...",
	"gt-bead-show [--json | --format TEMPLATE] --stdin",
	NULL,
};

static int show(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_index **idx, const char *input,
		int first, const char *format)
{
	struct gt_buf id = GT_BUF_INIT;
	cJSON *b = NULL;
	int rc = gt_cli_resolve(ctx, idx, input, &id);

	if (!rc) {
		struct gt_ledger *w = gt_cli_wisp(ctx, id.ptr);

		rc = gt_ledger_read_bead(&b, w ? w : ctx->lg, NULL, id.ptr);
	}
	if (!rc && format) {
		gt_cli_print_format(cli, format, b);
	} else if (!rc) {
		if (!cli->json && !first)
			putchar('\n');
		gt_cli_print_bead(cli, b);
	}
	cJSON_Delete(b);
	gt_buf_release(&id);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_batch batch = { 0 };
	const char *format = NULL;
	int rc, nargs, failed = 0, shown = 0;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_STRING(0, "format", &format, "TEMPLATE",
			      "print each bead as one line of TEMPLATE: {{id}}, {{title}}, ..."),
		GT_OPT_STDIN(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show beads";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (!nargs && !cli.use_stdin)
		gt_cli_usage_error(&cli, "an id is required");
	if (format)
		gt_cli_format_check(&cli, format);
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if (cli.use_stdin && (rc = gt_cli_read_batch(&batch)) < 0)
		goto out;
	/* every id is tried; the first failure decides the exit status */
	for (size_t i = 0; i < (size_t)nargs + batch.n; i++) {
		const char *in = i < (size_t)nargs ? argv[i + 1] : batch.v[i - nargs].text;
		int r;

		if (!in && batch.v[i - nargs].json)
			in = gt_json_str(batch.v[i - nargs].json, "id");
		if (!in) {
			r = gt_error_set(GT_EINVALID, "stdin: line %ld: no id",
					 batch.v[i - nargs].line);
		} else {
			r = show(&cli, &ctx, &idx, in, !shown, format);
		}
		if (r < 0) {
			if (!failed)
				failed = r;
			fflush(stdout);
			fprintf(stderr, "%s: error: %s\n", cli.name, gt_error_last());
		} else {
			shown++;
		}
	}
	rc = failed;
	cli.reported = failed != 0;
out:
	gt_batch_release(&batch);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
