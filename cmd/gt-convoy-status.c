/*
 * gt-convoy-status - how far a convoy is: done/total, each bead's state
 * and worker.  Without an id, every open convoy.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-convoy-status [--json] [CONVOY...]",
	NULL,
};

static void show(struct gt_cli *cli, const cJSON *c)
{
	const cJSON *b;

	if (cli->json) {
		gt_cli_print_json(cli, c);
		return;
	}
	printf("%s\t%s\t%d/%d\t%s\n", gt_json_str(c, "id"), gt_json_str(c, "status"),
	       (int)cJSON_GetObjectItemCaseSensitive(c, "done")->valuedouble,
	       (int)cJSON_GetObjectItemCaseSensitive(c, "total")->valuedouble,
	       gt_json_str(c, "title"));
	cJSON_ArrayForEach (b, cJSON_GetObjectItemCaseSensitive(c, "beads"))
		printf("  %s\t%s\t%s\t%s\n", gt_json_str(b, "id"), gt_json_str(b, "status"),
		       gt_json_str(b, "assignee") ? gt_json_str(b, "assignee") : "-",
		       gt_json_str(b, "title") ? gt_json_str(b, "title") : "");
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	int rc = 0, nargs;
	cJSON *r = NULL, *it;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show a convoy's progress";
	cli.opts = opts;
	nargs = gt_cli_parse(&cli, argc, argv);
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if (!nargs) {
		if ((rc = gt_convoy_list(&r, &ctx, 0)) == 0)
			cJSON_ArrayForEach (it, r)
				show(&cli, it);
	}
	for (int i = 1; i <= nargs && rc == 0; i++) {
		cJSON_Delete(r);
		r = NULL;
		if ((rc = gt_convoy_status(&r, &ctx, argv[i])) == 0)
			show(&cli, r);
	}
out:
	cJSON_Delete(r);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
