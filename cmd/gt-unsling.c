/*
 * gt-unsling - take a bead back off a hook: the worker's session stops
 * (its workspace's whole state kept as a snapshot first, its commits
 * staying on its branch), the hook is cleared and the bead goes back to
 * open work with no assignee.  The opposite of gt-sling(1).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-unsling [--status STATUS] [--json] BEAD|AGENT...",
	NULL,
};

/* The agent holding bead on its hook. */
static int holder(struct gt_buf *out, struct gt_ctx *ctx, const char *bead)
{
	cJSON *agents = NULL, *a;
	int rc;

	if ((rc = gt_agent_list(&agents, ctx->lg, NULL)) < 0)
		return rc;
	rc = gt_error_set(GT_ENOTFOUND, "%s is on no agent's hook", bead);
	cJSON_ArrayForEach (a, agents)
		if (gt_json_str(a, "hook") && !strcmp(gt_json_str(a, "hook"), bead)) {
			gt_error_clear();
			gt_buf_adds(out, gt_json_str(a, "address"));
			rc = 0;
			break;
		}
	cJSON_Delete(agents);
	return rc;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_index *idx = NULL;
	struct gt_buf id = GT_BUF_INIT, address = GT_BUF_INIT, snap = GT_BUF_INIT;
	const char *status = NULL;
	int rc, nargs;
	const struct gt_option opts[] = {
		GT_OPT_STRING('s', "status", &status, "STATUS",
			      "status the bead goes back to (default open)"),
		GT_OPT_JSON(&cli),
		GT_OPT_QUIET(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "take beads back off their agents' hooks, stopping the workers";
	cli.opts = opts;
	if (!(nargs = gt_cli_parse(&cli, argc, argv)))
		gt_cli_usage_error(&cli, "a bead or an agent is required");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	for (int i = 1; i <= nargs && rc == 0; i++) {
		struct gt_buf bead = GT_BUF_INIT;
		cJSON *agent = NULL, *o;

		gt_buf_reset(&address);
		gt_buf_reset(&snap);
		if (strchr(argv[i], '/') || !strcmp(argv[i], "mayor")) {
			struct gt_address a;

			if ((rc = gt_address_parse(&a, argv[i])) < 0)
				break;
			gt_buf_adds(&address, argv[i]);
		} else if ((rc = gt_cli_resolve(&ctx, &idx, argv[i], &id)) < 0 ||
			   (rc = holder(&address, &ctx, id.ptr)) < 0) {
			break;
		}
		if ((rc = gt_agent_read(&agent, ctx.lg, address.ptr)) < 0)
			break;
		/* the work is kept before anything stops */
		if (gt_worker_stop(&snap, &ctx, &t, agent, "gt-unsling") < 0)
			gt_error_clear(); /* no session: nothing to stop */
		cJSON_Delete(agent);
		if ((rc = gt_ledger_refresh(ctx.lg)) < 0 ||
		    (rc = gt_hook_detach(&ctx, "gt-unsling", address.ptr, status, &bead)) < 0) {
			gt_buf_release(&bead);
			break;
		}
		if (!bead.len) {
			gt_buf_release(&bead);
			rc = gt_error_set(GT_ENOTFOUND, "%s has nothing on its hook", address.ptr);
			break;
		}
		o = cJSON_CreateObject();
		gt_json_set_str(o, "bead", bead.ptr);
		gt_json_set_str(o, "agent", address.ptr);
		gt_json_set_str(o, "status", status ? status : "open");
		if (snap.len)
			gt_json_set_str(o, "snapshot", snap.ptr);
		if (cli.json) {
			gt_cli_print_json(&cli, o);
		} else if (!cli.quiet) {
			printf("%s\t%s\t%s", bead.ptr, address.ptr, snap.len ? snap.ptr : "-");
			gt_cli_eor(&cli);
		}
		cJSON_Delete(o);
		gt_buf_release(&bead);
	}
out:
	gt_buf_release(&id);
	gt_buf_release(&address);
	gt_buf_release(&snap);
	gt_town_release(&t);
	gt_cli_close(&ctx, &idx);
	return gt_cli_finish(&cli, rc);
}
