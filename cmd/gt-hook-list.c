/*
 * gt-hook-list - every agent with something on its hook.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-hook-list [--rig RIG] [--json]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	const char *rig = NULL;
	cJSON *agents = NULL, *a;
	int rc;
	const struct gt_option opts[] = {
		GT_OPT_STRING(0, "rig", &rig, "RIG", "only the agents of RIG"),
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list the hooks of all agents";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "no arguments expected");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 || (rc = gt_agent_list(&agents, ctx.lg, rig)) < 0)
		goto out;
	cJSON_ArrayForEach (a, agents) {
		const char *hook = gt_json_str(a, "hook");

		if (!hook || !*hook)
			continue;
		if (cli.json) {
			cJSON *o = cJSON_CreateObject();

			gt_json_set_str(o, "agent", gt_json_str(a, "address"));
			gt_json_set_str(o, "bead", hook);
			gt_json_set_str(o, "state", gt_json_str(a, "state"));
			gt_cli_print_json(&cli, o);
			cJSON_Delete(o);
		} else {
			printf("%s\t%s\t%s", hook, gt_json_str(a, "address"),
			       gt_json_str(a, "state"));
			gt_cli_eor(&cli);
		}
	}
out:
	cJSON_Delete(agents);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
