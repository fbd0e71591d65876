/*
 * gt-convoy-check - land convoys whose beads are all closed (once: their
 * watchers get one mail), then feed the others their ready work.
 */
#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-convoy-check [--no-feed] [--json] [CONVOY]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	int rc, nargs, no_feed = 0;
	cJSON *landed = NULL, *fed = NULL, *it;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "no-feed", &no_feed, "only land; sling nothing"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "land finished convoys and feed the rest";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one convoy at most");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 ||
	    (rc = gt_convoy_check(&landed, &ctx, nargs ? argv[1] : NULL)) < 0)
		goto out;
	cJSON_ArrayForEach (it, landed) {
		if (cli.json) {
			cJSON *o = cJSON_CreateObject();

			gt_json_set_str(o, "convoy", it->valuestring);
			gt_json_set_str(o, "outcome", "landed");
			gt_cli_print_json(&cli, o);
			cJSON_Delete(o);
		} else if (!cli.quiet) {
			printf("landed\t%s", it->valuestring);
			gt_cli_eor(&cli);
		}
	}
	if (no_feed || (rc = gt_convoy_feed(&fed, &ctx, &t, nargs ? argv[1] : NULL)) < 0)
		goto out;
	cJSON_ArrayForEach (it, fed) {
		if (cli.json) {
			gt_json_set_str(it, "outcome",
					gt_json_str(it, "error") ? "error" : "slung");
			gt_cli_print_json(&cli, it);
		} else if (!cli.quiet) {
			if (gt_json_str(it, "error"))
				printf("error\t%s\t%s", gt_json_str(it, "bead"),
				       gt_json_str(it, "error"));
			else
				printf("slung\t%s\t%s", gt_json_str(it, "bead"),
				       gt_json_str(it, "agent"));
			gt_cli_eor(&cli);
		}
	}
out:
	cJSON_Delete(landed);
	cJSON_Delete(fed);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
