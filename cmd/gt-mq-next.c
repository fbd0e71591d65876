/*
 * gt-mq-next - the merge request the refinery would take next.
 * Exit 1 when none is ready.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-mq-next [--json] [RIG]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	int rc, nargs;
	cJSON *r = NULL;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show the next merge request";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one rig at most");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0)
		goto out;
	if ((rc = gt_mq_next(&r, &ctx, nargs ? argv[1] : NULL)) < 0)
		goto out;
	if (cli.json) {
		gt_cli_print_json(&cli, r);
	} else {
		printf("%s", gt_bead_id(r));
		gt_cli_eor(&cli);
	}
out:
	cJSON_Delete(r);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
