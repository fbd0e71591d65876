/*
 * gt-snapshot-list - the snapshots kept of workers' workspaces (before a
 * session was stopped or restarted, or a workspace removed), per rig.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-snapshot-list [--json] [RIG | AGENT]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_strlist rigs = { 0 };
	const char *agent = NULL;
	int rc = 0, nargs;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list the snapshots kept of workers' workspaces";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if (nargs > 1)
		gt_cli_usage_error(&cli, "one rig or agent at most");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if (nargs && strchr(argv[1], '/')) {
		struct gt_address a;

		if ((rc = gt_address_parse(&a, argv[1])) < 0)
			goto out;
		agent = argv[1];
		gt_strlist_push_dup(&rigs, a.rig);
	} else if ((rc = gt_cli_rigs(&ctx, nargs, argv, &rigs)) < 0) {
		goto out;
	}
	for (size_t i = 0; i < rigs.n && rc == 0; i++) {
		struct gt_rig rig = { 0 };
		cJSON *list = NULL, *s;

		if ((rc = gt_rig_load(&rig, &ctx, &t, rigs.v[i])) < 0)
			break;
		rc = gt_snapshot_list(&list, rig.repo, agent);
		cJSON_ArrayForEach (s, list) {
			gt_json_set_str(s, "rig", rig.name);
			int64_t n = 0;

			if (cli.json) {
				gt_cli_print_json(&cli, s);
				continue;
			}
			gt_json_int(s, "n", &n);
			printf("%s/%lld\t%s\t%.12s\t%s", gt_json_str(s, "agent"), (long long)n,
			       gt_json_str(s, "created_at"), gt_json_str(s, "commit"),
			       gt_json_str(s, "reason"));
			gt_cli_eor(&cli);
		}
		cJSON_Delete(list);
		gt_rig_release(&rig);
	}
out:
	gt_strlist_release_owned(&rigs);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
