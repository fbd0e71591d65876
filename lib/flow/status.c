/*
 * status.c - the town's state in one object (status.h).
 */
#include "flow/status.h"

#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "store/bead.h"
#include "store/ledger.h"
#include "town/agent.h"
#include "town/estop.h"
#include "town/heartbeat.h"
#include "town/runstate.h"
#include "town/session.h"
#include "flow/convoy.h"
#include "flow/deacon.h"
#include "flow/escalation.h"
#include "flow/molecule.h"
#include "flow/mq.h"
#include "flow/usage.h"
#include "base/banned.h"

/* What the run files and the molecule say of one agent. */
static void agent_view(cJSON *o, struct gt_ctx *ctx, const cJSON *a, const char *sessions)
{
	const char *address = gt_json_str(a, "address"), *hook = gt_json_str(a, "hook");
	struct gt_buf s = GT_BUF_INIT;
	cJSON *hb = gt_heartbeat_read(ctx->lg->repo, address);
	cJSON *cmd = gt_heartbeat_last_command(ctx->lg->repo, address);
	int64_t changed = 0, at = 0, last;

	gt_session_name(&s, address);
	gt_json_set_bool(o, "session_running", gt_session_listed(sessions, s.ptr));
	gt_json_int(hb, "changed_at", &changed);
	gt_json_int(cmd, "at", &at);
	last = changed > at ? changed : at;
	if (last) {
		char when[40];

		gt_time_seconds(when, sizeof(when), last);
		gt_json_set_str(o, "last_activity", when);
	}
	if (gt_json_str(cmd, "command"))
		gt_json_set_str(o, "last_command", gt_json_str(cmd, "command"));
	gt_json_set_int(o, "restarts",
			cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(hb, "restarts")));
	{
		/* what gt-run says of the run: runtime, state, usage so far */
		cJSON *st = NULL;

		if (gt_runstate_read(&st, ctx->lg->repo, s.ptr) == 0) {
			cJSON *run = cJSON_CreateObject();
			const char *keys[] = { "run",	   "runtime", "mode",
					       "protocol", "status",  "message" };

			for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
				if (gt_json_str(st, keys[i]))
					gt_json_set_str(run, keys[i], gt_json_str(st, keys[i]));
			if (cJSON_GetObjectItemCaseSensitive(st, "usage"))
				cJSON_AddItemToObject(
					run, "usage",
					cJSON_Duplicate(
						cJSON_GetObjectItemCaseSensitive(st, "usage"), 1));
			cJSON_AddItemToObject(o, "run", run);
		}
		gt_error_clear();
		cJSON_Delete(st);
	}
	if (hook && *hook) {
		cJSON *bead = NULL, *st = NULL;
		const char *mol = NULL;

		if (gt_ledger_read_bead(&bead, ctx->lg, NULL, hook) == 0)
			mol = gt_json_str(cJSON_GetObjectItemCaseSensitive(bead, "metadata"),
					  "molecule");
		if (mol && gt_mol_status(&st, ctx, mol) == 0) {
			gt_json_set_str(o, "molecule", mol);
			if (gt_json_str(st, "current"))
				gt_json_set_str(o, "step", gt_json_str(st, "current"));
		}
		gt_error_clear();
		cJSON_Delete(bead);
		cJSON_Delete(st);
	}
	cJSON_Delete(hb);
	cJSON_Delete(cmd);
	gt_buf_release(&s);
}

int gt_town_status(cJSON **out, struct gt_ctx *ctx, const struct gt_town *t)
{
	cJSON *o = cJSON_CreateObject(), *rigs = NULL, *agents = NULL, *mq = NULL, *convoys = NULL;
	cJSON *esc = NULL, *it, *arr, *d;
	struct gt_buf sessions = GT_BUF_INIT;
	long pid;
	int rc;

	*out = NULL;
	if ((rc = gt_ctx_config(ctx)) < 0 || (rc = gt_ledger_refresh(ctx->lg)) < 0 ||
	    (rc = gt_rig_list(&rigs, ctx)) < 0 ||
	    (rc = gt_agent_list(&agents, ctx->lg, NULL)) < 0 ||
	    (rc = gt_mq_list(&mq, ctx, NULL, 0)) < 0 ||
	    (rc = gt_convoy_list(&convoys, ctx, 0)) < 0 ||
	    (rc = gt_escalation_list(&esc, ctx, 0)) < 0 ||
	    (rc = gt_session_list(&sessions, t->socket)) < 0)
		goto out;
	gt_json_set_str(o, "town", t->name);
	gt_json_set_str(o, "root", t->root);
	d = cJSON_AddObjectToObject(o, "deacon");
	pid = gt_deacon_running(ctx);
	gt_json_set_bool(d, "running", pid != 0);
	if (pid > 0)
		gt_json_set_int(d, "pid", pid);
	if (gt_estop_state(&d, ctx) == 0)
		gt_json_set(o, "estop", d);
	else
		gt_error_clear();
	arr = cJSON_AddArrayToObject(o, "rigs");
	cJSON_ArrayForEach (it, rigs) {
		const char *name = gt_json_str(it, "name");
		cJSON *r = cJSON_CreateObject(), *a;
		int64_t n = 0, working = 0;

		gt_json_set_str(r, "name", name);
		gt_json_set_str(r, "prefix", gt_json_str(it, "prefix"));
		cJSON_ArrayForEach (a, agents) {
			const char *ar = gt_json_str(a, "rig"), *hook = gt_json_str(a, "hook");

			if (!ar || strcmp(ar, name))
				continue;
			n++;
			working += hook && *hook;
		}
		gt_json_set_int(r, "agents", n);
		gt_json_set_int(r, "working", working);
		cJSON_AddItemToArray(arr, r);
	}
	arr = cJSON_AddArrayToObject(o, "agents");
	cJSON_ArrayForEach (it, agents) {
		cJSON *a = cJSON_CreateObject();
		const char *keys[] = { "address", "rig", "role", "state", "hook", "runtime" };

		for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
			if (gt_json_str(it, keys[i]))
				gt_json_set_str(a, keys[i], gt_json_str(it, keys[i]));
		agent_view(a, ctx, it, sessions.ptr ? sessions.ptr : "");
		cJSON_AddItemToArray(arr, a);
	}
	gt_json_set(o, "merge_queue", mq);
	mq = NULL;
	arr = cJSON_AddArrayToObject(o, "convoys");
	cJSON_ArrayForEach (it, convoys) {
		cJSON *c = cJSON_CreateObject();
		int64_t done = 0, total = 0;

		gt_json_int(it, "done", &done);
		gt_json_int(it, "total", &total);
		gt_json_set_str(c, "id", gt_json_str(it, "id"));
		gt_json_set_str(c, "title", gt_json_str(it, "title"));
		gt_json_set_int(c, "done", done);
		gt_json_set_int(c, "total", total);
		{
			cJSON *cost = NULL;

			if (gt_usage_sum(&cost, ctx, "convoy", gt_json_str(it, "id"), NULL) == 0) {
				gt_json_del(cost, "beads");
				gt_json_del(cost, "by_runtime");
				gt_json_del(cost, "scope");
				gt_json_del(cost, "id");
				cJSON_AddItemToObject(c, "cost", cost);
			}
			gt_error_clear();
		}
		cJSON_AddItemToArray(arr, c);
	}
	arr = cJSON_AddArrayToObject(o, "escalations");
	cJSON_ArrayForEach (it, esc) {
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
		cJSON *e = cJSON_CreateObject();
		int64_t count = 1;

		gt_json_int(md, "count", &count);
		gt_json_set_str(e, "id", gt_bead_id(it));
		gt_json_set_str(e, "severity",
				gt_json_str(md, "severity") ? gt_json_str(md, "severity")
							    : "medium");
		gt_json_set_str(e, "title", gt_json_str(it, "title"));
		if (gt_json_str(md, "bead"))
			gt_json_set_str(e, "bead", gt_json_str(md, "bead"));
		gt_json_set_int(e, "count", count);
		cJSON_AddItemToArray(arr, e);
	}
	*out = o;
	o = NULL;
out:
	cJSON_Delete(o);
	cJSON_Delete(rigs);
	cJSON_Delete(agents);
	cJSON_Delete(mq);
	cJSON_Delete(convoys);
	cJSON_Delete(esc);
	gt_buf_release(&sessions);
	return rc;
}
