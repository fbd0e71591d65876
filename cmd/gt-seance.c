/*
 * gt-seance - what the previous sessions of an agent did: each run's
 * runtime, how it ended, its usage and its summary (the last things the
 * agent said), with the handoff notes left for the next session.  A new
 * session of the same agent is primed with the latest (gt-prime).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-seance [-n N] [--transcript] [--json] [AGENT]",
	NULL,
};

static void show(struct gt_cli *cli, cJSON *run, int transcript)
{
	const cJSON *rec = cJSON_GetObjectItemCaseSensitive(run, "record");

	if (cli->json) {
		gt_cli_print_json(cli, run);
		return;
	}
	printf("run %s", gt_json_str(run, "run"));
	if (rec)
		printf("  %s %s  %s  %s..%s", gt_json_str(rec, "runtime"),
		       gt_json_str(rec, "mode") ? gt_json_str(rec, "mode") : "",
		       gt_json_str(rec, "exit"), gt_json_str(rec, "started_at"),
		       gt_json_str(rec, "ended_at"));
	else
		printf("  (still running, or ended without a record)");
	printf("\n");
	if (gt_json_str(run, "summary"))
		printf("%s", gt_json_str(run, "summary"));
	if (transcript && gt_json_str(run, "transcript")) {
		struct gt_buf t = GT_BUF_INIT;

		if (gt_read_file(&t, gt_json_str(run, "transcript")) == 0 && t.len)
			printf("--- transcript\n%s", t.ptr);
		gt_error_clear();
		gt_buf_release(&t);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_strlist runs = { 0 };
	struct gt_buf address = GT_BUF_INIT;
	const char *n_arg = NULL;
	cJSON *agent = NULL;
	long n = 1;
	int rc, nargs, transcript = 0;
	const struct gt_option opts[] = {
		GT_OPT_STRING('n', NULL, &n_arg, "N", "the last N runs (default 1)"),
		GT_OPT_FLAG(0, "transcript", &transcript, "print each run's whole transcript"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "show what an agent's previous sessions did";
	cli.opts = opts;
	if ((nargs = gt_cli_parse(&cli, argc, argv)) > 1)
		gt_cli_usage_error(&cli, "one agent at most");
	if (n_arg && gt_parse_long(n_arg, 1, 100000, &n) < 0)
		gt_cli_usage_error(&cli, "-n takes a positive number");
	if ((rc = gt_cli_open(&cli, &ctx)) < 0 ||
	    (rc = gt_worker_address(&address, &ctx, nargs ? argv[1] : NULL)) < 0 ||
	    (rc = gt_run_list(&runs, ctx.lg->repo, address.ptr)) < 0)
		goto out;
	if (!runs.n) {
		rc = gt_error_set(GT_ENOTFOUND, "no run of %s is known here", address.ptr);
		goto out;
	}
	for (size_t i = runs.n > (size_t)n ? runs.n - (size_t)n : 0; i < runs.n; i++) {
		cJSON *run = NULL;

		if (gt_run_read(&run, ctx.lg->repo, runs.v[i]) == 0)
			show(&cli, run, transcript);
		gt_error_clear();
		cJSON_Delete(run);
	}
	if (!cli.json && gt_agent_read(&agent, ctx.lg, address.ptr) == 0) {
		const cJSON *h = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(agent, "metadata"), "handoff");

		if (gt_json_str(h, "notes"))
			printf("handoff notes for the next session:\n%s\n",
			       gt_json_str(h, "notes"));
	}
	gt_error_clear();
out:
	cJSON_Delete(agent);
	gt_strlist_release_owned(&runs);
	gt_buf_release(&address);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
