/*
 * gt-doctor - named checks of the town's health, each saying what it
 * found and what --fix does; --fix does only what is safe and never
 * removes anything that may hold unsaved work.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-doctor [--fix] [--json]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	cJSON *checks = NULL, *c, *it;
	int rc, fix = 0, remaining = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "fix", &fix, "fix what is safe to fix"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "check the town's health, and fix what is safe";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 || (rc = gt_doctor(&checks, &ctx, &t, fix)) < 0)
		goto out;
	cJSON_ArrayForEach (c, checks) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(c, "found");
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(c, "fixed");
		int ok = gt_json_bool(c, "ok"),
		    left = cJSON_GetArraySize(f) - cJSON_GetArraySize(x);

		if (!ok && left > 0)
			remaining++;
		if (cli.json) {
			gt_cli_print_json(&cli, c);
			continue;
		}
		printf("%s\t%s",
		       ok	  ? "ok"
		       : left > 0 ? "PROBLEM"
				  : "fixed",
		       gt_json_str(c, "check"));
		if (!ok && gt_json_str(c, "fix") && !fix)
			printf("\t(--fix: %s)", gt_json_str(c, "fix"));
		printf("\n");
		cJSON_ArrayForEach (it, f)
			printf("  - %s\n", it->valuestring);
		cJSON_ArrayForEach (it, x)
			printf("  fixed: %s\n", it->valuestring);
	}
	/* like a predicate: 1 when something is still wrong */
	if (remaining)
		rc = GT_ENO;
out:
	cJSON_Delete(checks);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
