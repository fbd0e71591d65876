/*
 * gt-agent-add - add a crew member: a long-lived worker with a stable
 * name and its own workspace (a worktree of the rig on crew/<name>).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-agent-add [--agent PRESET] [--no-workspace] RIG/crew/NAME",
	NULL,
};

struct add {
	const char *address, *runtime, *workspace, *branch, *base;
	struct gt_address a;
};

static int add_fn(struct gt_txn *tx, void *p)
{
	struct add *d = p;
	cJSON *agent = NULL;
	int rc;

	if (gt_txn_agent_get(tx, d->address, &agent) == 0) {
		cJSON_Delete(agent);
		return gt_error_set(GT_ECONFLICT, "agent '%s' exists", d->address);
	}
	gt_error_clear();
	agent = gt_agent_new(&d->a, gt_txn_now(tx));
	if (d->runtime)
		gt_json_set_str(agent, "runtime", d->runtime);
	if (d->workspace) {
		gt_json_set_str(agent, "workspace", d->workspace);
		gt_json_set_str(agent, "strategy", "worktree");
		gt_json_set_str(agent, "branch", d->branch);
		gt_json_set_str(agent, "base", d->base);
	}
	rc = gt_txn_agent_put(tx, agent);
	gt_txn_summary(tx, "add agent %s", d->address);
	gt_txn_trailer(tx, "Gt-Agent", "%s", d->address);
	cJSON_Delete(agent);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_rig rig = { 0 };
	struct add d = { 0 };
	struct gt_buf ws = GT_BUF_INIT, branch = GT_BUF_INIT, base = GT_BUF_INIT,
		      start = GT_BUF_INIT;
	struct gt_txn_opts to = { .command = "gt-agent-add" };
	int rc, no_ws = 0, made = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "agent", &d.runtime, "PRESET",
			      "agent runtime (default: the rig's)"),
		GT_OPT_FLAG(0, "no-workspace", &no_ws, "no worktree of its own"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "add a crew member (a long-lived worker)";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli, "an address RIG/crew/NAME is required");
	d.address = argv[1];
	if ((rc = gt_address_parse(&d.a, d.address)) < 0)
		goto out;
	if (d.a.role != GT_ROLE_CREW) {
		rc = gt_error_set(GT_EUSAGE, "'%s' is not a crew address (RIG/crew/NAME)",
				  d.address);
		gt_error_hint("polecats are made by gt-sling");
		goto out;
	}
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 ||
	    (rc = gt_rig_load(&rig, &ctx, &t, d.a.rig)) < 0)
		goto out;
	if (!d.runtime) {
		char *r = gt_rig_setting(&ctx, rig.name, "agent", "claude");
		struct gt_strlist chain = { 0 };

		gt_runtime_chain(&chain, r);
		gt_buf_adds(&start, chain.n ? chain.v[0] : "claude");
		gt_strlist_release_owned(&chain);
		free(r);
		d.runtime = start.ptr;
	}
	if (!no_ws) {
		struct gt_ws_spec w = { 0 };
		struct gt_buf ov = GT_BUF_INIT;

		gt_buf_printf(&ws, "%s/crew/%s", rig.dir, d.a.name);
		gt_buf_printf(&branch, "crew/%s", d.a.name);
		gt_buf_printf(&ov, "origin/%s", rig.default_branch);
		w.repo = rig.repo;
		w.path = ws.ptr;
		w.branch = branch.ptr;
		w.base = ov.ptr;
		if ((rc = gt_ws_fetch(rig.repo)) == 0)
			rc = gt_ws_create(&w, &base);
		gt_buf_release(&ov);
		if (rc < 0)
			goto out;
		made = 1;
		d.workspace = ws.ptr;
		d.branch = branch.ptr;
		d.base = base.ptr;
	}
	if ((rc = gt_ledger_transact(ctx.lg, &to, add_fn, &d)) < 0)
		goto out;
	made = 0;
	if (cli.json) {
		cJSON *a = NULL;

		if ((rc = gt_ledger_refresh(ctx.lg)) == 0 &&
		    (rc = gt_agent_read(&a, ctx.lg, d.address)) == 0)
			gt_cli_print_json(&cli, a);
		cJSON_Delete(a);
	} else if (!cli.quiet) {
		printf("%s", d.address);
		gt_cli_eor(&cli);
	}
out:
	if (made) {
		struct gt_ws_spec w = { "worktree", rig.repo, NULL, ws.ptr, branch.ptr,
					NULL,	    NULL,     NULL, NULL };
		struct gt_error_saved e;

		gt_error_save(&e);
		gt_ws_remove(&w, 1, NULL);
		gt_error_restore(&e);
	}
	gt_buf_release(&ws);
	gt_buf_release(&branch);
	gt_buf_release(&base);
	gt_buf_release(&start);
	gt_rig_release(&rig);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
