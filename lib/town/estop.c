/*
 * estop.c - the e-stop and parked rigs (estop.h).
 */
#include "town/estop.h"

#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "town/agent.h"
#include "town/session.h"
#include "town/town.h"
#include "town/worker.h"
#include "base/banned.h"

#define ESTOP_FILE "estop.json"

static int parse_or_empty(cJSON **out, int rc, const struct gt_buf *data, const char *path)
{
	*out = NULL;
	if (rc == GT_ENOTFOUND) {
		gt_error_clear();
		*out = cJSON_CreateObject();
		return 0;
	}
	if (rc < 0)
		return rc;
	if ((rc = gt_json_parse(out, data->ptr, data->len, path, 1)) == 0 &&
	    !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		rc = gt_error_set(GT_EINVALID, "%s: not a JSON object", path);
	}
	return rc;
}

static cJSON *stop_record(struct gt_txn *tx, const char *reason)
{
	cJSON *s = cJSON_CreateObject();

	gt_json_set_str(s, "by", gt_txn_actor(tx));
	gt_json_set_str(s, "at", gt_txn_now(tx));
	gt_json_set_str(s, "reason", reason && *reason ? reason : "");
	return s;
}

static int put_json(struct gt_txn *tx, const char *path, const cJSON *v)
{
	struct gt_buf data = GT_BUF_INIT;
	int rc;

	gt_json_write(&data, v);
	gt_buf_addch(&data, '\n');
	rc = gt_txn_file_put(tx, path, data.ptr, data.len);
	gt_buf_release(&data);
	return rc;
}

struct change {
	const char *rig, *reason;
	int on, changed;
};

static int rig_exists(struct gt_txn *tx, const char *rig)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	int rc;

	gt_rig_path(&path, rig);
	rc = gt_txn_file_get(tx, path.ptr, &data);
	if (rc == GT_ENOTFOUND) {
		gt_error_clear();
		rc = gt_error_set(GT_ENOTFOUND, "rig '%s' not found", rig);
		gt_error_hint("gt-rig-list shows the rigs");
	}
	gt_buf_release(&path);
	gt_buf_release(&data);
	return rc;
}

static int estop_fn(struct gt_txn *tx, void *p)
{
	struct change *c = p;
	struct gt_buf data = GT_BUF_INIT;
	cJSON *st = NULL, *rigs, *holder;
	const char *key;
	int rc;

	c->changed = 0;
	if (c->rig && (rc = rig_exists(tx, c->rig)) < 0)
		return rc;
	rc = parse_or_empty(&st, gt_txn_file_get(tx, ESTOP_FILE, &data), &data, ESTOP_FILE);
	gt_buf_release(&data);
	if (rc < 0)
		return rc;
	if (c->rig) {
		if (!cJSON_IsObject(rigs = cJSON_GetObjectItemCaseSensitive(st, "rigs")))
			gt_json_set(st, "rigs", rigs = cJSON_CreateObject());
		holder = rigs;
		key = c->rig;
	} else {
		holder = st;
		key = "town";
	}
	if (c->on && !cJSON_GetObjectItemCaseSensitive(holder, key)) {
		gt_json_set(holder, key, stop_record(tx, c->reason));
		c->changed = 1;
	} else if (!c->on && cJSON_GetObjectItemCaseSensitive(holder, key)) {
		gt_json_del(holder, key);
		c->changed = 1;
	}
	if (c->changed) {
		gt_txn_summary(tx, "%s %s%s%s", c->on ? "e-stop" : "thaw",
			       c->rig ? c->rig : "the town",
			       c->on && c->reason && *c->reason ? ": " : "",
			       c->on && c->reason ? c->reason : "");
		rc = put_json(tx, ESTOP_FILE, st);
	}
	cJSON_Delete(st);
	return rc;
}

int gt_estop_state(cJSON **out, struct gt_ctx *ctx)
{
	struct gt_buf data = GT_BUF_INIT;
	cJSON *rigs = NULL, *it, *parked;
	int rc = parse_or_empty(out, gt_ledger_read_file(&data, NULL, ctx->lg, NULL, ESTOP_FILE),
				&data, ESTOP_FILE);

	gt_buf_release(&data);
	if (rc < 0 || (rc = gt_rig_list(&rigs, ctx)) < 0)
		return rc;
	parked = cJSON_AddArrayToObject(*out, "parked");
	cJSON_ArrayForEach (it, rigs)
		if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(it, "parked")))
			cJSON_AddItemToArray(parked, cJSON_CreateString(gt_json_str(it, "name")));
	cJSON_Delete(rigs);
	return 0;
}

static void say_stop(struct gt_buf *why, const char *what, const cJSON *s)
{
	const char *reason = gt_json_str(s, "reason");

	if (!why)
		return;
	gt_buf_reset(why);
	gt_buf_printf(why, "%s (by %s at %s%s%s)", what,
		      gt_json_str(s, "by") ? gt_json_str(s, "by") : "?",
		      gt_json_str(s, "at") ? gt_json_str(s, "at") : "?",
		      reason && *reason ? ": " : "", reason ? reason : "");
}

int gt_rig_paused(struct gt_ctx *ctx, const char *rig, int estopped_only, struct gt_buf *why)
{
	struct gt_buf data = GT_BUF_INIT, what = GT_BUF_INIT;
	cJSON *st = NULL, *s;
	int rc = parse_or_empty(&st, gt_ledger_read_file(&data, NULL, ctx->lg, NULL, ESTOP_FILE),
				&data, ESTOP_FILE),
	    paused = 0;

	gt_error_clear(); /* a broken file pauses nothing (gt-maintain reports it) */
	if (rc == 0 && (s = cJSON_GetObjectItemCaseSensitive(st, "town"))) {
		say_stop(why, "the town's e-stop is in force", s);
		paused = 1;
	} else if (rc == 0 && (s = cJSON_GetObjectItemCaseSensitive(
				       cJSON_GetObjectItemCaseSensitive(st, "rigs"), rig))) {
		gt_buf_printf(&what, "the e-stop of rig '%s' is in force", rig);
		say_stop(why, what.ptr, s);
		paused = 1;
	}
	cJSON_Delete(st);
	if (!paused && !estopped_only) {
		struct gt_buf path = GT_BUF_INIT;
		cJSON *r = NULL;

		gt_rig_path(&path, rig);
		gt_buf_reset(&data);
		if (gt_ledger_read_file(&data, NULL, ctx->lg, NULL, path.ptr) == 0 &&
		    gt_record_parse(&r, &data, path.ptr) == 0 &&
		    (s = cJSON_GetObjectItemCaseSensitive(r, "parked"))) {
			gt_buf_reset(&what);
			gt_buf_printf(&what, "rig '%s' is parked", rig);
			say_stop(why, what.ptr, s);
			paused = 2;
		}
		gt_error_clear();
		cJSON_Delete(r);
		gt_buf_release(&path);
	}
	gt_buf_release(&data);
	gt_buf_release(&what);
	return paused;
}

/* Start a hooked worker's session again, telling it why it stopped. */
static int resume_session(const struct gt_town *t, struct gt_ctx *ctx, const cJSON *agent,
			  const char *session)
{
	const char *hook = gt_json_str(agent, "hook"), *st = gt_json_str(agent, "state");

	if (!hook || !*hook || !st || strcmp(st, "working") ||
	    gt_session_has(t->socket, session) == 0) {
		gt_error_clear();
		return 0;
	}
	gt_error_clear();
	if (gt_worker_start(ctx, t, agent, 0) < 0) {
		gt_error_clear();
		return 0;
	}
	return 1;
}

int gt_estop(cJSON **sessions, int *changed, struct gt_ctx *ctx, const struct gt_town *t,
	     const char *rig, const char *reason, int on)
{
	struct change c = { rig, reason, on, 0 };
	struct gt_txn_opts o = { .command = on ? "gt-estop" : "gt-thaw" };
	struct gt_buf why = GT_BUF_INIT;
	cJSON *agents = NULL, *it;
	int rc;

	if (sessions)
		*sessions = cJSON_CreateArray();
	if (rig && (rc = gt_name_check("rig", rig)) < 0)
		return rc;
	if ((rc = gt_ledger_transact(ctx->lg, &o, estop_fn, &c)) < 0 ||
	    (rc = gt_ledger_refresh(ctx->lg)) < 0 ||
	    (rc = gt_agent_list(&agents, ctx->lg, rig)) < 0)
		return rc;
	if (changed)
		*changed = c.changed;
	gt_buf_printf(&why, "e-stop%s%s", reason && *reason ? ": " : "", reason ? reason : "");
	cJSON_ArrayForEach (it, agents) {
		const char *r = gt_json_str(it, "rig");
		struct gt_buf s = GT_BUF_INIT;
		int done;

		/* thawing one rig leaves what the town's e-stop still covers,
		 * and thawing the town leaves rigs stopped on their own */
		if (!on && gt_rig_paused(ctx, r ? r : "", 1, NULL)) {
			gt_error_clear();
			continue;
		}
		gt_session_name(&s, gt_json_str(it, "address"));
		done = on ? gt_worker_stop(NULL, ctx, t, it, why.ptr) == 0
			  : resume_session(t, ctx, it, s.ptr);
		gt_error_clear();
		if (done && sessions)
			cJSON_AddItemToArray(*sessions, cJSON_CreateString(s.ptr));
		gt_buf_release(&s);
	}
	cJSON_Delete(agents);
	gt_buf_release(&why);
	return 0;
}

static int park_fn(struct gt_txn *tx, void *p)
{
	struct change *c = p;
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	cJSON *r = NULL;
	int rc;

	c->changed = 0;
	gt_rig_path(&path, c->rig);
	if ((rc = rig_exists(tx, c->rig)) < 0 || (rc = gt_txn_file_get(tx, path.ptr, &data)) < 0 ||
	    (rc = gt_record_parse(&r, &data, path.ptr)) < 0)
		goto out;
	if (c->on && !cJSON_GetObjectItemCaseSensitive(r, "parked")) {
		gt_json_set(r, "parked", stop_record(tx, c->reason));
		c->changed = 1;
	} else if (!c->on && cJSON_GetObjectItemCaseSensitive(r, "parked")) {
		gt_json_del(r, "parked");
		c->changed = 1;
	}
	if (c->changed) {
		gt_txn_summary(tx, "%s rig %s", c->on ? "park" : "unpark", c->rig);
		rc = put_json(tx, path.ptr, r);
	}
out:
	cJSON_Delete(r);
	gt_buf_release(&path);
	gt_buf_release(&data);
	return rc;
}

int gt_rig_park(int *changed, struct gt_ctx *ctx, const char *rig, const char *reason, int on)
{
	struct change c = { rig, reason, on, 0 };
	struct gt_txn_opts o = { .command = on ? "gt-rig-park" : "gt-rig-unpark" };
	int rc;

	if ((rc = gt_name_check("rig", rig)) < 0 ||
	    (rc = gt_ledger_transact(ctx->lg, &o, park_fn, &c)) < 0)
		return rc;
	if (changed)
		*changed = c.changed;
	return 0;
}
