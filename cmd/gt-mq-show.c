/*
 * gt-mq-show - one merge request: its queue state, score and metadata.
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mq-show [--json] MR",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_buf id = GT_BUF_INIT;
	struct gt_index *idx = NULL;
	int rc, nargs;
	cJSON *all = NULL, *it, *found = NULL;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show a merge request";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) != 1)
		gt_cli_usage_error(&cli, "one merge request is required");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 ||
	    (rc = gt_cli_resolve(&ctx, &idx, argv[1], &id)) < 0 ||
	    (rc = gt_mq_list(&all, &ctx, NULL, 1)) < 0)
		goto out;
	cJSON_ArrayForEach (it, all)
		if (!strcmp(gt_bead_id(it), id.ptr))
			found = it;
	if (!found) {
		rc = gt_error_set(GT_EINVALID, "'%s' is not a merge request", id.ptr);
		goto out;
	}
	if (cli.json) {
		gt_cli_print_json(&cli, found);
	} else {
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(found, "metadata"), *f;
		const char *keys[] = { "source_bead", "branch",	       "commit",	"target",
				       "worker",      "merged_commit", "conflict_bead", "refused" };

		printf("%s\t%s\t%s\n", gt_bead_id(found), gt_json_str(found, "queue"),
		       gt_json_str(found, "title") ? gt_json_str(found, "title") : "");
		printf("score: %.1f\npriority: P%d\nstatus: %s\n",
		       cJSON_GetObjectItemCaseSensitive(found, "score")->valuedouble,
		       gt_bead_priority(found), gt_bead_status(found));
		for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
			if (gt_json_str(md, keys[i]))
				printf("%s: %s\n", keys[i], gt_json_str(md, keys[i]));
		if ((f = cJSON_GetObjectItemCaseSensitive(md, "failure")) && cJSON_IsObject(f))
			printf("failed gate: %s (%s)\n%s\n", gt_json_str(f, "gate"),
			       gt_json_str(f, "command"),
			       gt_json_str(f, "output") ? gt_json_str(f, "output") : "");
		if (gt_json_str(found, "close_reason"))
			printf("closed: %s\n", gt_json_str(found, "close_reason"));
	}
out:
	cJSON_Delete(all);
	gt_buf_release(&id);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
