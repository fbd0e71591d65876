/*
 * gt-done - hand the work on the hook back: commit leftovers, push and
 * verify the branch, file the merge request, clear the hook, go idle.
 * Interrupted, it resumes where it stopped when run again.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-done [--status COMPLETED|ESCALATED|DEFERRED] [-m NOTES] [--json] [AGENT]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_done_opts o = { 0 };
	struct gt_buf address = GT_BUF_INIT;
	cJSON *r = NULL;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING('s', "status", &o.status, "STATUS",
			      "COMPLETED (default), ESCALATED (stuck: ask for help) or DEFERRED "
			      "(give the bead back)"),
		GT_OPT_STRING('m', "message", &o.notes, "NOTES", "a note for the bead"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "hand back the work on the hook";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one agent at most");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	if ((rc = gt_worker_address(&address, &ctx, nargs ? argv[1] : NULL)) < 0 ||
	    (rc = gt_done(&r, &ctx, &t, address.ptr, &o)) < 0)
		goto out;
	if (cli.json) {
		gt_cli_print_json(&cli, r);
	} else if (!cli.quiet) {
		const char *mr = gt_json_str(r, "merge_request");

		printf("%s", mr ? mr : gt_json_str(r, "bead"));
		gt_cli_eor(&cli);
	}
out:
	gt_buf_release(&address);
	cJSON_Delete(r);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
