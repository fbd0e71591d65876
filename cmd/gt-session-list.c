/*
 * gt-session-list - the sessions on the town's tmux server, with the
 * agent each belongs to.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-session-list [--json]",
	NULL,
};

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_buf list = GT_BUF_INIT, name = GT_BUF_INIT;
	cJSON *agents = NULL;
	int rc;
	const struct gt_option opts[] = {
		GT_OPT_JSON(&cli),
		GT_OPT_NUL(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "list the town's sessions";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "no arguments expected");
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 ||
	    (rc = gt_agent_list(&agents, ctx.lg, NULL)) < 0 ||
	    (rc = gt_session_list(&list, t.socket)) < 0)
		goto out;
	for (char *line = list.len ? list.ptr : NULL; line;) {
		char *nl = strchr(line, '\n'), *f[5] = { 0 };
		const char *agent = "";
		cJSON *a;
		int n = 0;

		if (nl)
			*nl = '\0';
		for (char *p = line; p && n < 5; n++) {
			f[n] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		cJSON_ArrayForEach (a, agents) {
			gt_session_name(&name, gt_json_str(a, "address"));
			if (!strcmp(name.ptr, f[0]))
				agent = gt_json_str(a, "address");
		}
		if (cli.json) {
			cJSON *o = cJSON_CreateObject();

			gt_json_set_str(o, "session", f[0]);
			gt_json_set_str(o, "agent", agent);
			gt_json_set_int(o, "pid", f[1] ? strtol(f[1], NULL, 10) : 0);
			gt_json_set_str(o, "command", f[4] ? f[4] : "");
			gt_json_set_int(o, "created", f[2] ? strtol(f[2], NULL, 10) : 0);
			gt_json_set_bool(o, "attached", f[3] && strcmp(f[3], "0"));
			gt_cli_print_json(&cli, o);
			cJSON_Delete(o);
		} else {
			printf("%s\t%s\t%s", f[0], *agent ? agent : "-", f[4] ? f[4] : "");
			gt_cli_eor(&cli);
		}
		line = nl ? nl + 1 : NULL;
	}
out:
	cJSON_Delete(agents);
	gt_buf_release(&list);
	gt_buf_release(&name);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
