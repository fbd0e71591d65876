/*
 * gt-agent-show - one agent's record (default: the agent running it).
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-agent-show [--json] [AGENT]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	cJSON *a = NULL;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show an agent's record";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one agent at most");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	rc = gt_worker_agent(&a, &ctx, nargs ? argv[1] : NULL);
	if (rc < 0)
		goto out;
	gt_json_set_bool(a, "session_running", gt_worker_alive(&t, a) == 0);
	if (cli.json) {
		gt_cli_print_json(&cli, a);
		goto out;
	}
	for (cJSON *it = a->child; it; it = it->next) {
		char *v = cJSON_IsString(it) ? NULL : cJSON_PrintUnformatted(it);

		printf("%-16s %s\n", it->string, v ? v : it->valuestring);
		cJSON_free(v);
	}
out:
	cJSON_Delete(a);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
