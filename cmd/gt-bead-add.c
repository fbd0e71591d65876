/*
 * gt-bead-add - create beads; prints the new ids.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-bead-add [options] TITLE...",
	"gt-bead-add [options] --stdin [--keep-going]",
	NULL,
};

struct add {
	struct gt_cli *cli;
	struct gt_ctx *ctx;
	struct gt_cli_fields *fields;
	const char *id, *prefix, *parent;
};

static int add_one(struct gt_txn *tx, struct gt_record *rec, void *p)
{
	struct add *a = p;
	struct gt_bead_spec spec;
	struct gt_buf id = GT_BUF_INIT;
	int rc;

	gt_bead_spec_init(&spec);
	spec.id = a->id;
	spec.prefix = a->prefix;
	spec.parent = a->parent;
	rc = gt_cli_fields_apply(a->fields, &spec);
	if (!rc && rec && rec->json)
		rc = gt_bead_spec_from_json(&spec, rec->json);
	else if (!rc && rec)
		spec.title = rec->text;
	if (!rc)
		rc = gt_op_add(tx, a->ctx, &spec, &id);
	if (!rc && rec) {
		if (a->cli->json) {
			cJSON *b;

			gt_txn_bead_get(tx, id.ptr, &b);
			gt_bead_serialize(&rec->out, b);
		} else {
			gt_buf_adds(&rec->out, id.ptr);
		}
	}
	gt_buf_release(&id);
	gt_bead_spec_release(&spec);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_cli_fields fields = { 0 };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_batch batch = { 0 };
	struct gt_buf title = GT_BUF_INIT, parent = GT_BUF_INIT;
	struct add a = { &cli, &ctx, &fields, NULL, NULL, NULL };
	int keep_going = 0, rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_FIELDS(&fields),
		GT_OPT_STRING(0, "parent", &a.parent, "ID",
			      "make it a child of ID (id <parent>.<n>)"),
		GT_OPT_STRING(0, "id", &a.id, "ID", "use this id instead of a generated one"),
		GT_OPT_STRING(0, "prefix", &a.prefix, "PREFIX", "id prefix for this bead"),
		GT_OPT_STDIN(&cli),
		GT_OPT_FLAG(0, "keep-going", &keep_going,
			    "with --stdin: commit the records that succeed"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};
	struct gt_txn_opts to = { .command = "gt-bead-add" };

	cli.summary = "create a bead";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (cli.use_stdin && nargs)
		gt_cli_usage_error(&cli, "give a TITLE or --stdin, not both");
	if (!cli.use_stdin && !nargs)
		gt_cli_usage_error(&cli, "a title is required");
	if (cli.use_stdin && fields.description_file && !strcmp(fields.description_file, "-"))
		gt_cli_usage_error(&cli, "--description-file - cannot be used with --stdin");
	for (int i = 1; i <= nargs; i++)
		gt_buf_printf(&title, "%s%s", i > 1 ? " " : "", argv[i]);
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if (a.parent) {
		if ((rc = gt_cli_resolve(&ctx, &idx, a.parent, &parent)) < 0)
			goto out;
		a.parent = parent.ptr;
	}
	if (cli.use_stdin) {
		if ((rc = gt_cli_read_batch(&batch)) < 0)
			goto out;
		rc = gt_batch_transact(ctx.lg, &to, &batch, add_one, &a, keep_going);
		if (rc >= 0 || keep_going) {
			if (!cli.quiet || cli.json)
				gt_cli_print_batch(&cli, &batch);
		}
		if (rc < 0 && keep_going)
			gt_error_set(rc, "some records failed");
	} else {
		struct gt_record one = { 0 };

		one.text = title.ptr;
		rc = gt_batch_transact(ctx.lg, &to, &(struct gt_batch){ &one, 1, NULL }, add_one,
				       &a, 0);
		if (!rc && (!cli.quiet || cli.json)) {
			fwrite(one.out.ptr, 1, one.out.len, stdout);
			gt_cli_eor(&cli);
		}
		gt_buf_release(&one.out);
		free(one.error);
	}
out:
	gt_batch_release(&batch);
	gt_buf_release(&title);
	gt_buf_release(&parent);
	gt_cli_fields_release(&fields);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
