/*
 * gt-estop - e-stop: no new work, no merges, sessions stopped (hooks and
 * workspaces kept).  gt-thaw is the same program built with THAW: it
 * lifts the e-stop and starts the hooked workers' sessions again.
 */
#include "cli.h"
#include "base/banned.h"

#ifdef THAW
#define ON	0
#define VERB	"thaw"
#define DONE	"started"
#define SUMMARY "lift an e-stop: start the sessions again, take work again"
static const char *const usage[] = {
	"gt-thaw [--json] [RIG]",
	NULL,
};
#else
#define ON	1
#define VERB	"estop"
#define DONE	"stopped"
#define SUMMARY "e-stop: no new work, no merges, sessions stopped (hooks and workspaces kept)"
static const char *const usage[] = {
	"gt-estop [-m REASON] [--json] [RIG]",
	NULL,
};
#endif

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	const char *reason = NULL, *rig = NULL;
	cJSON *sessions = NULL, *it;
	int rc, nargs, changed = 0;
	const struct gt_option opts[] = {
#if ON
		GT_OPT_STRING('m', "message", &reason, "REASON", "why (shown to whoever meets it)"),
#endif
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = SUMMARY;
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one rig at most (none: the whole town)");
	if (nargs)
		rig = argv[1];
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 ||
	    (rc = gt_estop(&sessions, &changed, &ctx, &t, rig, reason, ON)) < 0)
		goto out;
	if (cli.json) {
		cJSON *o = cJSON_CreateObject();

		gt_json_set_str(o, "scope", rig ? rig : "town");
		gt_json_set_bool(o, "changed", changed);
		gt_json_set(o, DONE, sessions);
		sessions = NULL;
		gt_cli_print_json(&cli, o);
		cJSON_Delete(o);
	} else if (!cli.quiet) {
		printf("%s\t%s\t%d session%s " DONE, rig ? rig : "town",
		       changed ? VERB : VERB " already", cJSON_GetArraySize(sessions),
		       cJSON_GetArraySize(sessions) == 1 ? "" : "s");
		gt_cli_eor(&cli);
		cJSON_ArrayForEach (it, sessions) {
			printf("%s", it->valuestring);
			gt_cli_eor(&cli);
		}
	}
out:
	cJSON_Delete(sessions);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
