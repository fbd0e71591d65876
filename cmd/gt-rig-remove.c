/*
 * gt-rig-remove - take a rig out of the town: its workers, their
 * workspaces and sessions, its clone and its record.  Refuses while any
 * worker holds a hook or work that is not pushed, unless --force.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-rig-remove [--force] NAME",
	NULL,
};

struct rm {
	struct gt_ctx *ctx;
	const char *name;
	cJSON *agents;
};

static int rm_fn(struct gt_txn *tx, void *p)
{
	struct rm *r = p;
	struct gt_buf path = GT_BUF_INIT;
	cJSON *a;
	int rc = 0;

	cJSON_ArrayForEach (a, r->agents) {
		const char *hook = gt_json_str(a, "hook");

		/* a bead left on a hook goes back to the pool of work */
		if (hook && *hook) {
			int changed;

			if ((rc = gt_op_hook_detach(tx, r->ctx, gt_json_str(a, "address"), "open",
						    &changed, NULL)) < 0)
				break;
		}
		if ((rc = gt_txn_agent_remove(tx, gt_json_str(a, "address"))) < 0)
			break;
	}
	gt_rig_path(&path, r->name);
	if (rc == 0)
		rc = gt_txn_file_remove(tx, path.ptr);
	gt_txn_summary(tx, "remove rig %s", r->name);
	gt_txn_trailer(tx, "Gt-Rig", "%s", r->name);
	gt_buf_release(&path);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_rig rig = { 0 };
	struct gt_buf lost = GT_BUF_INIT, all = GT_BUF_INIT, s = GT_BUF_INIT;
	struct gt_txn_opts to = { .command = "gt-rig-remove" };
	struct rm r = { 0 };
	cJSON *a;
	int rc, force = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG('f', "force", &force, "remove even with hooked or unpushed work"),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "remove a rig and its workers";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli, "a rig name is required");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 ||
	    (rc = gt_rig_load(&rig, &ctx, &t, argv[1])) < 0 ||
	    (rc = gt_agent_list(&r.agents, ctx.lg, rig.name)) < 0)
		goto out;
	r.name = rig.name;
	r.ctx = &ctx;
	cJSON_ArrayForEach (a, r.agents) {
		const char *ws = gt_json_str(a, "workspace"), *hook = gt_json_str(a, "hook");

		if (hook && *hook)
			gt_buf_printf(&all, "%s has %s on its hook\n", gt_json_str(a, "address"),
				      hook);
		if (ws && gt_ws_unsaved(&lost, ws, gt_json_str(a, "strategy")) == 0 && lost.len)
			gt_buf_printf(&all, "%s: %s", gt_json_str(a, "address"), lost.ptr);
		gt_error_clear();
	}
	if (all.len && !force) {
		rc = gt_error_set(GT_ECONFLICT, "rig '%s' has work in progress:\n%.*s", rig.name,
				  (int)all.len - 1, all.ptr);
		gt_error_hint("finish or remove the workers first, or pass --force to discard it");
		goto out;
	}
	if (all.len && !cli.quiet)
		fprintf(stderr, "gt-rig-remove: discarding:\n%s", all.ptr);
	cJSON_ArrayForEach (a, r.agents) {
		gt_session_name(&s, gt_json_str(a, "address"));
		gt_session_kill(t.socket, s.ptr);
	}
	gt_error_clear();
	if ((rc = gt_ledger_transact(ctx.lg, &to, rm_fn, &r)) < 0)
		goto out;
	/* worktrees live inside the rig folder: removing it removes them */
	rc = gt_rm_rf(rig.dir);
	if (rc == 0 && !cli.quiet) {
		printf("%s", rig.name);
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(r.agents);
	gt_buf_release(&lost);
	gt_buf_release(&all);
	gt_buf_release(&s);
	gt_rig_release(&rig);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
