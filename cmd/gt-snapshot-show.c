/*
 * gt-snapshot-show - what a snapshot holds: its commit, why it was taken,
 * and the files it changed from the workspace's HEAD.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-snapshot-show [--json] SNAPSHOT",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_rig rig = { 0 };
	struct gt_buf agent = GT_BUF_INIT, out = GT_BUF_INIT;
	cJSON *list = NULL, *s, *found = NULL;
	long n = 0;
	int rc = 0;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show what a snapshot of a workspace holds";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv) != 1)
		gt_cli_usage_error(&cli,
				   "one snapshot is required (AGENT/N, see gt-snapshot-list)");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 ||
	    (rc = gt_cli_snapshot(&ctx, &t, argv[1], &rig, &agent, &n)) < 0)
		goto out;
	if ((rc = gt_snapshot_list(&list, rig.repo, agent.ptr)) < 0)
		goto out;
	cJSON_ArrayForEach (s, list) {
		int64_t k = 0;

		gt_json_int(s, "n", &k);
		if (k == n)
			found = s;
	}
	if (!found) {
		rc = gt_error_set(GT_ENOTFOUND, "no snapshot '%s'", argv[1]);
		gt_error_hint("gt-snapshot-list shows them");
		goto out;
	}
	gt_json_set_str(found, "rig", rig.name);
	if (gt_json_str(found, "parent"))
		rc = gt_git(&out, rig.repo, "diff", "--stat", gt_json_str(found, "parent"),
			    gt_json_str(found, "commit"), NULL);
	else
		rc = gt_git(&out, rig.repo, "show", "--stat",
			    "--format=", gt_json_str(found, "commit"), NULL);
	if (rc < 0)
		goto out;
	if (cli.json) {
		gt_json_set_str(found, "stat", out.ptr);
		gt_cli_print_json(&cli, found);
	} else {
		printf("snapshot  %s/%ld\nref       %s\ncommit    %s\nparent    %s\ncreated   %s\n"
		       "reason    %s\n\n%s\n",
		       agent.ptr, n, gt_json_str(found, "ref"), gt_json_str(found, "commit"),
		       gt_json_str(found, "parent") ? gt_json_str(found, "parent") : "(none)",
		       gt_json_str(found, "created_at"), gt_json_str(found, "reason"),
		       out.len ? out.ptr : "(no changes from its parent)");
	}
out:
	cJSON_Delete(list);
	gt_buf_release(&agent);
	gt_buf_release(&out);
	gt_rig_release(&rig);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
