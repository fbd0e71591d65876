/*
 * gt-hook-attach - put a bead on an agent's hook: the bead becomes hooked
 * and assigned to the agent, and the agent names it, in one transaction.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-hook-attach [--force] AGENT BEAD",
	NULL,
};

struct attach {
	struct gt_ctx *ctx;
	const char *agent, *bead;
	int force;
	struct gt_hook_result res;
};

static int attach_fn(struct gt_txn *tx, void *p)
{
	struct attach *a = p;

	return gt_op_hook_attach(tx, a->ctx, a->agent, a->bead, a->force, &a->res);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT;
	struct attach a = { .ctx = &ctx };
	struct gt_txn_opts to = { .command = "gt-hook-attach" };
	int rc;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(
			'f', "force", &a.force,
			"take the bead from another agent (it is mailed), or hook a closed one"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "put a bead on an agent's hook";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 2)
		gt_cli_usage_error(&cli, "an agent and a bead are required");
	a.agent = argv[1];
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 ||
	    (rc = gt_cli_resolve(&ctx, &idx, argv[2], &id)) < 0)
		goto out;
	a.bead = id.ptr;
	if ((rc = gt_ledger_transact(ctx.lg, &to, attach_fn, &a)) < 0)
		goto out;
	if (a.res.prev_holder[0])
		gt_mail_hook_taken(&ctx, NULL, a.res.prev_holder, a.bead, a.agent);
	if (a.res.prev_holder[0] && !cli.quiet)
		fprintf(stderr, "gt-hook-attach: took %s from %s (mailed)\n", a.bead,
			a.res.prev_holder);
	if (cli.json) {
		cJSON *o = cJSON_CreateObject();

		gt_json_set_str(o, "agent", a.agent);
		gt_json_set_str(o, "bead", a.bead);
		gt_json_set_bool(o, "changed", a.res.changed);
		if (a.res.prev_holder[0])
			gt_json_set_str(o, "previous_holder", a.res.prev_holder);
		gt_cli_print_json(&cli, o);
		cJSON_Delete(o);
	} else if (!cli.quiet) {
		printf("%s", a.bead);
		gt_cli_eor(&cli);
	}
out:
	gt_buf_release(&id);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
