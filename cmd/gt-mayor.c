/*
 * gt-mayor - start the town's coordinating agent: the one a person tells
 * what to build.  It gets its own session in the town root, a role prompt
 * (gt-prime) that teaches gt's words and shows the town, and the notices
 * of landed convoys and escalations (as mail, nudged to it).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mayor [--agent RUNTIME] [--restart | --stop] [--json]",
	NULL,
};

struct make {
	const char *runtime, *root;
	int made;
};

/* The mayor's record: made once, its runtime changed when asked. */
static int make_fn(struct gt_txn *tx, void *p)
{
	struct make *m = p;
	struct gt_address a = { 0 };
	cJSON *agent = NULL;
	int rc;

	if (gt_txn_agent_get(tx, "mayor", &agent) == 0) {
		if (!m->runtime || (gt_json_str(agent, "runtime") &&
				    !strcmp(gt_json_str(agent, "runtime"), m->runtime))) {
			cJSON_Delete(agent);
			return 0;
		}
		gt_json_set_str(agent, "runtime", m->runtime);
		gt_txn_summary(tx, "mayor runs %s", m->runtime);
	} else {
		gt_error_clear();
		if ((rc = gt_address_parse(&a, "mayor")) < 0)
			return rc;
		agent = gt_agent_new(&a, gt_txn_now(tx));
		gt_json_set_str(agent, "runtime", m->runtime ? m->runtime : "claude");
		gt_json_set_str(agent, "workspace", m->root);
		gt_txn_summary(tx, "add agent mayor");
		m->made = 1;
	}
	gt_txn_trailer(tx, "Gt-Agent", "mayor");
	rc = gt_txn_agent_put(tx, agent);
	cJSON_Delete(agent);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct make m = { 0 };
	struct gt_txn_opts to = { .command = "gt-mayor" };
	cJSON *agent = NULL, *o = NULL;
	const char *what = "running";
	int rc, restart = 0, stop = 0, alive;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "agent", &m.runtime, "RUNTIME",
			      "the runtime (default: town.mayor-agent, else claude)"),
		GT_OPT_FLAG(0, "restart", &restart, "start a new session (the old one ends)"),
		GT_OPT_FLAG(0, "stop", &stop, "stop the mayor's session"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};
	char *dflt = NULL;

	cli.summary = "start the town's coordinating agent (the mayor)";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) > 0)
		gt_cli_usage_error(&cli, "no arguments");
	if (restart && stop)
		gt_cli_usage_error(&cli, "--restart and --stop do not go together");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if (!m.runtime && (dflt = gt_config_get(ctx.cfg, "town.mayor-agent")))
		m.runtime = dflt;
	m.root = t.root;
	if (!stop && m.runtime) {
		struct gt_runtime rt;

		if ((rc = gt_runtime_load(&rt, &ctx, NULL, m.runtime)) < 0)
			goto out;
		gt_runtime_release(&rt);
	}
	if ((rc = gt_ledger_transact(ctx.lg, &to, make_fn, &m)) < 0 ||
	    (rc = gt_agent_read(&agent, ctx.lg, "mayor")) < 0)
		goto out;
	alive = gt_worker_alive(&t, agent) == 0;
	if (stop) {
		what = "stopped";
		if (alive && (rc = gt_worker_stop(NULL, &ctx, &t, agent, "gt-mayor --stop")) < 0)
			goto out;
	} else if (!alive || restart) {
		what = alive ? "restarted" : "started";
		if ((rc = gt_worker_start(&ctx, &t, agent, alive)) < 0)
			goto out;
	}
	o = cJSON_CreateObject();
	gt_json_set_str(o, "agent", "mayor");
	gt_json_set_str(o, "runtime", gt_json_str(agent, "runtime"));
	gt_json_set_str(o, "session", "gt-mayor");
	gt_json_set_str(o, "state", what);
	if (cli.json)
		gt_cli_print_json(&cli, o);
	else if (!stop)
		printf("mayor %s (%s): gt-session-attach mayor to talk to it\n", what,
		       gt_json_str(agent, "runtime"));
	else
		printf("mayor %s\n", what);
out:
	free(dflt);
	cJSON_Delete(o);
	cJSON_Delete(agent);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
