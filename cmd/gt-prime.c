/*
 * gt-prime - what an agent sees first: who it is, what is on its hook,
 * its mail, and what to do, ending with gt-done.  With --hook it is run
 * by an agent runtime's session-start hook and reads the JSON the runtime
 * sends on stdin (Claude Code: session_id, source, cwd, ...).  A failure
 * is an error (non-zero exit), never "no work".
 */
#include <string.h>

#include "cli.h"
#include "base/banned.h"

static const char *const usage[] = {
	"gt-prime [--json] [--hook]",
	NULL,
};

static void section(const char *title)
{
	printf("\n== %s\n", title);
}

static void field(const cJSON *b, const char *key, const char *label)
{
	const char *v = gt_json_str(b, key);

	if (v && *v)
		printf("\n%s:\n%s\n", label, v);
}

/* The molecule as a checklist, then its current step in full. */
static void print_molecule(const cJSON *m)
{
	const cJSON *s, *cur = NULL;
	const char *cid = gt_json_str(m, "current");
	int64_t done = 0, total = 0;
	int n = 0;

	gt_json_int(m, "done", &done);
	gt_json_int(m, "total", &total);
	printf("\n== Your molecule: %s (%s), %lld of %lld steps done\n", gt_json_str(m, "id"),
	       gt_json_str(m, "formula"), (long long)done, (long long)total);
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(m, "steps")) {
		const char *st = gt_json_str(s, "state");

		printf("[%s] %d. %s: %s%s\n", !strcmp(st, "done") ? "x" : " ", ++n,
		       gt_json_str(s, "id"), gt_json_str(s, "title"),
		       !strcmp(st, "current") ? "   <- you are here" : "");
		if (cid && !strcmp(gt_json_str(s, "id"), cid))
			cur = s;
	}
	if (!cur)
		return;
	printf("\n== Current step: %s: %s\n", cid, gt_json_str(cur, "title"));
	field(cur, "description", "What to do");
	field(cur, "acceptance", "Done when");
	printf("\nWhen this step is done, run: gt-mol-step-done %s\n", cid);
}

static double json_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* The mayor sees the town as it is: rigs, convoys, escalations, who
 * works on what. */
static void add_town(cJSON *p, struct gt_ctx *ctx, struct gt_town *t)
{
	const char *keep[] = { "rigs", "convoys", "escalations", "estop" };
	cJSON *st = NULL, *town, *a, *working;

	if (gt_town_status(&st, ctx, t) < 0) {
		gt_error_clear();
		return;
	}
	town = cJSON_AddObjectToObject(p, "town");
	for (size_t i = 0; i < sizeof(keep) / sizeof(*keep); i++) {
		cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(st, keep[i]);

		if (v)
			cJSON_AddItemToObject(town, keep[i], v);
	}
	working = cJSON_AddArrayToObject(town, "working");
	cJSON_ArrayForEach (a, cJSON_GetObjectItemCaseSensitive(st, "agents"))
		if (gt_json_str(a, "hook") && *gt_json_str(a, "hook")) {
			cJSON *w = cJSON_CreateObject();

			gt_json_set_str(w, "agent", gt_json_str(a, "address"));
			gt_json_set_str(w, "bead", gt_json_str(a, "hook"));
			cJSON_AddItemToArray(working, w);
		}
	cJSON_Delete(st);
}

static void print_town(const cJSON *town)
{
	const cJSON *it;

	section("The town now");
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(town, "rigs"))
		printf("rig %s (prefix %s): %.0f agents, %.0f working\n", gt_json_str(it, "name"),
		       gt_json_str(it, "prefix"), json_num(it, "agents"), json_num(it, "working"));
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(town, "working"))
		printf("%s works on %s\n", gt_json_str(it, "agent"), gt_json_str(it, "bead"));
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(town, "convoys"))
		printf("convoy %s %.0f/%.0f: %s\n", gt_json_str(it, "id"), json_num(it, "done"),
		       json_num(it, "total"), gt_json_str(it, "title"));
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(town, "escalations"))
		printf("escalation %s [%s]: %s\n", gt_json_str(it, "id"),
		       gt_json_str(it, "severity"), gt_json_str(it, "title"));
}

static void print_human(const cJSON *p)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(p, "agent");
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(p, "bead");
	const cJSON *mail = cJSON_GetObjectItemCaseSensitive(p, "mail");
	const cJSON *nudges = cJSON_GetObjectItemCaseSensitive(p, "nudges");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(p, "handoff");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(p, "molecule");
	const cJSON *it, *prev, *cost;
	int n = 0;

	printf("You are %s, a gt %s", gt_json_str(a, "address"), gt_json_str(a, "role"));
	if (gt_json_str(a, "rig"))
		printf(" of rig %s", gt_json_str(a, "rig"));
	printf(".\n");
	if (gt_json_str(a, "workspace"))
		printf("Workspace: %s\n", gt_json_str(a, "workspace"));
	if (gt_json_str(a, "branch"))
		printf("Branch:    %s\n", gt_json_str(a, "branch"));
	if (cJSON_IsObject(b)) {
		section("Your hook");
		printf("%s  [%s, P%d, %s]\n%s\n", gt_bead_id(b), gt_bead_type(b),
		       gt_bead_priority(b), gt_bead_status(b),
		       gt_json_str(b, "title") ? gt_json_str(b, "title") : "");
		field(b, "description", "Description");
		field(b, "design", "Design");
		field(b, "acceptance_criteria", "Acceptance criteria");
		field(b, "notes", "Notes");
	} else {
		section("Your hook is empty");
	}
	if (cJSON_IsObject(m) && strcmp(gt_json_str(m, "status"), "closed"))
		print_molecule(m);
	if (gt_json_str(p, "args")) {
		section("Instructions given with the work");
		printf("%s\n", gt_json_str(p, "args"));
	}
	if (h) {
		section("Handoff notes from your previous session");
		printf("%s\n", gt_json_str(h, "notes") ? gt_json_str(h, "notes") : "");
	}
	if ((prev = cJSON_GetObjectItemCaseSensitive(p, "previous")) &&
	    gt_json_str(prev, "summary")) {
		section("What your previous session did (gt-seance)");
		printf("%s", gt_json_str(prev, "summary"));
	}
	if ((cost = cJSON_GetObjectItemCaseSensitive(p, "cost")) && json_num(cost, "runs") > 0) {
		section("Spent on this work so far");
		printf("%.0f run(s), %.0f tokens in, %.0f out, %.0f cached", json_num(cost, "runs"),
		       json_num(cost, "tokens_in"), json_num(cost, "tokens_out"),
		       json_num(cost, "cache_read"));
		if (cJSON_GetObjectItemCaseSensitive(cost, "cost_usd"))
			printf(", $%.4f", json_num(cost, "cost_usd"));
		printf("\n");
	}
	if (cJSON_GetArraySize(mail)) {
		section("Unread mail");
		cJSON_ArrayForEach (it, mail)
			printf("%s  from %s: %s\n", gt_json_str(it, "id"), gt_json_str(it, "from"),
			       gt_json_str(it, "subject"));
	}
	if (cJSON_GetArraySize(nudges)) {
		section("Messages while you were away");
		cJSON_ArrayForEach (it, nudges)
			printf("[from %s] %s\n", gt_json_str(it, "from"), gt_json_str(it, "text"));
	}
	if (cJSON_GetObjectItemCaseSensitive(p, "town"))
		print_town(cJSON_GetObjectItemCaseSensitive(p, "town"));
	section("What to do");
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(p, "procedure"))
		printf("%d. %s\n", ++n, it->valuestring);
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_buf in = GT_BUF_INIT;
	cJSON *hookin = NULL, *agent = NULL, *p = NULL;
	const char *cwd = NULL;
	int rc, hook = 0;
	const struct gt_option opts[] = {
		GT_OPT_FLAG(0, "hook", &hook,
			    "run from a runtime hook: read its JSON (session_id, cwd) on stdin"),
		GT_OPT_JSON(&cli),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "print the agent's identity, hook, mail and procedure";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "no arguments expected");
	if (hook) {
		if ((rc = gt_cli_read_stdin(&in)) < 0)
			goto out;
		if (in.len && (rc = gt_json_parse(&hookin, in.ptr, in.len, "stdin", 1)) < 0)
			goto out;
		cwd = gt_json_str(hookin, "cwd");
	}
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0 ||
	    (rc = gt_worker_self(&agent, &ctx, cwd)) < 0 ||
	    (rc = gt_prime(&p, &ctx, &t, agent)) < 0)
		goto out;
	if (gt_json_str(agent, "role") && !strcmp(gt_json_str(agent, "role"), "mayor"))
		add_town(p, &ctx, &t);
	if (hookin && gt_json_str(hookin, "session_id"))
		gt_json_set_str(p, "session_id", gt_json_str(hookin, "session_id"));
	if (hookin && gt_json_str(hookin, "source"))
		gt_json_set_str(p, "source", gt_json_str(hookin, "source"));
	if (cli.json)
		gt_cli_print_json(&cli, p);
	else
		print_human(p);
out:
	cJSON_Delete(hookin);
	cJSON_Delete(agent);
	cJSON_Delete(p);
	gt_buf_release(&in);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
