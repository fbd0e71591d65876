/*
 * gt-rig-show - one rig: its record, settings and workers.
 */
#include <stdlib.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-rig-show [--json] NAME",
	NULL,
};

static const char *const settings[] = {
	"workspace", "agent", "setup", "build", "lint", "test", "names", NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_rig rig = { 0 };
	cJSON *o = NULL, *agents = NULL, *s, *a;
	int rc;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show a rig, its settings and its agents";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli, "a rig name is required");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 ||
	    (rc = gt_rig_load(&rig, &ctx, &t, argv[1])) < 0 ||
	    (rc = gt_agent_list(&agents, ctx.lg, rig.name)) < 0)
		goto out;
	o = cJSON_Duplicate(rig.json, 1);
	gt_json_set_str(o, "default_branch", rig.default_branch);
	gt_json_set_str(o, "path", rig.dir);
	gt_json_set_str(o, "repo", rig.repo);
	s = cJSON_AddObjectToObject(o, "settings");
	for (size_t i = 0; settings[i]; i++) {
		char *v = gt_rig_setting(&ctx, rig.name, settings[i], NULL);

		if (v)
			gt_json_set_str(s, settings[i], v);
		free(v);
	}
	a = cJSON_AddArrayToObject(o, "agents");
	for (cJSON *it = agents->child; it; it = it->next)
		cJSON_AddItemToArray(a, cJSON_CreateString(gt_json_str(it, "address")));
	if (cli.json) {
		gt_cli_print_json(&cli, o);
		goto out;
	}
	printf("rig:            %s\nprefix:         %s\nurl:            %s\ndefault branch: %s\n"
	       "path:           %s\n",
	       rig.name, rig.prefix ? rig.prefix : "", rig.url ? rig.url : "", rig.default_branch,
	       rig.dir);
	for (cJSON *it = s->child; it; it = it->next)
		printf("%-15s %s\n", it->string, it->valuestring);
	for (cJSON *it = agents->child; it; it = it->next)
		printf("agent:          %s (%s%s%s)\n", gt_json_str(it, "address"),
		       gt_json_str(it, "state"), gt_json_str(it, "hook") ? ", hook " : "",
		       gt_json_str(it, "hook") ? gt_json_str(it, "hook") : "");
out:
	cJSON_Delete(o);
	cJSON_Delete(agents);
	gt_rig_release(&rig);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
