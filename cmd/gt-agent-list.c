/*
 * gt-agent-list - the agents of the town (or of one rig), with their
 * state, hook and whether their session is running.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-agent-list [--rig RIG] [--role ROLE] [--json]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_buf sessions = GT_BUF_INIT, name = GT_BUF_INIT;
	const char *rig = NULL, *role = NULL;
	cJSON *agents = NULL, *a;
	int rc;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "rig", &rig, "RIG", "only the agents of RIG"),
		GT_OPT_STRING(0, "role", &role, "ROLE", "only polecat, crew, witness, ..."),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list agents with their state and hook";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "no arguments expected");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 ||
	    (rc = gt_agent_list(&agents, ctx.lg, rig)) < 0 ||
	    (rc = gt_session_list(&sessions, t.socket)) < 0)
		goto out;
	cJSON_ArrayForEach (a, agents) {
		const char *r = gt_json_str(a, "role"), *hook = gt_json_str(a, "hook");
		int live;

		if (role && (!r || strcmp(r, role)))
			continue;
		gt_session_name(&name, gt_json_str(a, "address"));
		live = gt_session_listed(gt_buf_cstr(&sessions), name.ptr);
		if (cli.json) {
			cJSON *o = cJSON_Duplicate(a, 1);

			gt_json_set_bool(o, "session_running", live);
			gt_cli_print_json(&cli, o);
			cJSON_Delete(o);
			continue;
		}
		printf("%s\t%s\t%s\t%s\t%s", gt_json_str(a, "address"), gt_json_str(a, "state"),
		       hook ? hook : "-",
		       gt_json_str(a, "runtime") ? gt_json_str(a, "runtime") : "-",
		       live ? "running" : "stopped");
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(agents);
	gt_buf_release(&sessions);
	gt_buf_release(&name);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
