/*
 * witness.c - one patrol of a rig's polecats (witness.h): liveness from
 * tmux and the run files, recovery through the ledger only when there is
 * something to recover.
 */
#include "flow/witness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/lock.h"
#include "base/options.h"
#include "base/proc.h"
#include "store/bead.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "store/repo.h"
#include "town/agent.h"
#include "town/estop.h"
#include "town/heartbeat.h"
#include "town/nudge.h"
#include "town/runtime.h"
#include "town/session.h"
#include "town/town.h"
#include "town/worker.h"
#include "flow/done.h"
#include "flow/escalation.h"
#include "flow/molecule.h"
#include "flow/mq.h"
#include "flow/sling.h"
#include "base/banned.h"

struct patrol {
	struct gt_ctx *ctx;
	const struct gt_town *t;
	struct gt_rig rig;
	int64_t stall, window, spawn; /* seconds */
	long max_restarts;
	struct gt_buf sessions; /* gt_session_list() */
	cJSON *log;
	int64_t now;
};

static cJSON *entry(struct patrol *p, const char *agent, const char *bead, const char *action,
		    const char *reason)
{
	cJSON *e = cJSON_CreateObject();

	gt_json_set_str(e, "rig", p->rig.name);
	gt_json_set_str(e, "agent", agent);
	if (bead)
		gt_json_set_str(e, "bead", bead);
	gt_json_set_str(e, "action", action);
	if (reason)
		gt_json_set_str(e, "reason", reason);
	cJSON_AddItemToArray(p->log, e);
	return e;
}

static int setting(int64_t *secs, struct patrol *p, const char *key, const char *dflt)
{
	char *v = gt_rig_setting(p->ctx, p->rig.name, key, dflt);
	struct gt_buf what = GT_BUF_INIT;
	int64_t ms = 0;
	int rc;

	gt_buf_printf(&what, "rig.%s", key);
	rc = gt_duration_parse(&ms, v, what.ptr);
	*secs = ms / 1000 > 0 ? ms / 1000 : (ms > 0);
	free(v);
	gt_buf_release(&what);
	return rc;
}

static int load_settings(struct patrol *p)
{
	char *mr = gt_rig_setting(p->ctx, p->rig.name, "max-restarts", "3");
	char *end;
	int rc = 0;

	p->max_restarts = strtol(mr, &end, 10);
	if (*end || p->max_restarts < 0)
		rc = gt_error_set(GT_EINVALID, "rig.max-restarts: '%s' is not a number", mr);
	free(mr);
	if (rc == 0)
		rc = setting(&p->stall, p, "stall-after", "15m");
	if (rc == 0)
		rc = setting(&p->window, p, "restart-window", "1h");
	if (rc == 0)
		rc = setting(&p->spawn, p, "spawn-timeout", "2m");
	return rc;
}

/* The pane's pid of session name in the listing, or 0 when not listed. */
static long session_pid(const struct patrol *p, const char *name)
{
	size_t n = strlen(name);

	for (const char *line = p->sessions.ptr; line && *line;) {
		if (!strncmp(line, name, n) && line[n] == '\t')
			return strtol(line + n + 1, NULL, 10);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return 0;
}

/* Whether pid is a live process (not a zombie). */
static int process_alive(long pid)
{
	char state = gt_proc_state(pid);

	return state && state != 'Z' && state != 'X';
}

/* The runtime's own program still runs in the pane (a wrapper shell can
 * outlive it): by the process names the runtime declares, when it does. */
static int runtime_alive(struct patrol *p, const cJSON *agent, long pid)
{
	struct gt_runtime rt;
	const char *name = gt_json_str(agent, "runtime");
	int alive = 1;

	if (!name || gt_runtime_load(&rt, p->ctx, gt_json_str(agent, "rig"), name) < 0) {
		gt_error_clear();
		return 1;
	}
	if (rt.proto != GT_PROTO_TTY)
		alive = gt_proc_in_session(pid, "gt-run") != 0; /* it watches its child */
	else if (rt.process && *rt.process)
		alive = gt_proc_in_session(pid, rt.process) != 0;
	gt_runtime_release(&rt);
	return alive;
}

/* Keep the workspace's state before anything stops its session; the
 * ref (or NULL) goes into the log entry. */
static void keep_work(struct patrol *p, const cJSON *agent, const char *reason, cJSON *e)
{
	struct gt_buf ref = GT_BUF_INIT;

	if (gt_worker_snapshot(&ref, p->ctx, p->t, agent, reason) == 0)
		gt_json_set_str(e, "snapshot", ref.ptr);
	gt_error_clear();
	gt_buf_release(&ref);
}
static int txn(struct gt_ctx *ctx, gt_txn_fn fn, void *payload)
{
	struct gt_txn_opts o = { .command = "gt-witness" };

	return gt_ledger_transact(ctx->lg, &o, fn, payload);
}

/* ---- transactions ---- */

struct change {
	struct gt_ctx *ctx;
	const char *address, *bead, *reason;
	int64_t attempts;
	int changed;
};

/* Clear the agent's hook when it still holds bead; the agent goes idle. */
static int unhook_agent(struct gt_txn *tx, struct change *c)
{
	cJSON *agent = NULL;
	const char *hook;
	int rc = gt_txn_agent_get(tx, c->address, &agent);

	if (rc < 0)
		return rc;
	hook = gt_json_str(agent, "hook");
	if (hook && !strcmp(hook, c->bead)) {
		gt_json_del(agent, "hook");
		gt_json_set_str(agent, "state", "idle");
		rc = gt_txn_agent_put(tx, agent);
		c->changed = 1;
	}
	cJSON_Delete(agent);
	return rc;
}

static int unhook_fn(struct gt_txn *tx, void *p)
{
	struct change *c = p;

	gt_txn_summary(tx, "unhook %s from %s: %s", c->bead, c->address, c->reason);
	gt_txn_trailer(tx, "Gt-Agent", "%s", c->address);
	gt_txn_trailer(tx, "Gt-Bead", "%s", c->bead);
	return unhook_agent(tx, c);
}

/* Give the bead back to ready work with the attempts recorded. */
static int release_fn(struct gt_txn *tx, void *p)
{
	struct change *c = p;
	struct gt_bead_spec spec;
	struct gt_buf note = GT_BUF_INIT;
	cJSON *bead = NULL; /* the transaction's */
	int64_t before = 0;
	int rc, changed;

	gt_txn_summary(tx, "release %s from %s: %s", c->bead, c->address, c->reason);
	gt_txn_trailer(tx, "Gt-Agent", "%s", c->address);
	gt_txn_trailer(tx, "Gt-Bead", "%s", c->bead);
	if ((rc = unhook_agent(tx, c)) < 0)
		return rc;
	rc = gt_txn_bead_get(tx, c->bead, &bead);
	if (rc == GT_ENOTFOUND) {
		gt_error_clear();
		return 0;
	}
	if (rc < 0 || !strcmp(gt_bead_status(bead), "closed") ||
	    !strcmp(gt_bead_status(bead), "tombstone"))
		goto out;
	gt_json_int(cJSON_GetObjectItemCaseSensitive(bead, "metadata"), "attempts", &before);
	gt_bead_spec_init(&spec);
	spec.metadata = cJSON_CreateObject();
	gt_json_set_int(spec.metadata, "attempts", before + c->attempts);
	gt_json_set_str(spec.metadata, "released_at", gt_txn_now(tx));
	gt_json_set_str(spec.metadata, "released_from", c->address);
	gt_json_set_str(spec.metadata, "release_reason", c->reason);
	{
		const char *as = gt_json_str(bead, "assignee");

		if (!as || !strcmp(as, c->address)) {
			spec.status = "open";
			spec.assignee = "";
		}
	}
	rc = gt_op_update(tx, c->ctx, c->bead, &spec, &changed);
	gt_bead_spec_release(&spec);
	gt_buf_printf(&note,
		      "Released by the witness after %lld attempt(s) by %s: %s. The workspace "
		      "was kept (gt-snapshot-list %s).",
		      (long long)c->attempts, c->address, c->reason, c->address);
	if (rc == 0)
		rc = gt_op_comment(tx, c->ctx, c->bead, note.ptr, NULL, NULL);
out:
	gt_buf_release(&note);
	return rc;
}

int gt_witness_release(struct gt_ctx *ctx, const char *address, const char *bead,
		       const char *reason, int64_t attempts)
{
	struct change c = { ctx, address, bead, reason, attempts, 0 };

	return txn(ctx, release_fn, &c);
}

/* ---- the ladder ---- */

static int64_t restarts_in_window(struct patrol *p, cJSON *hb)
{
	cJSON *r = cJSON_GetObjectItemCaseSensitive(hb, "restarts"), *it, *keep;
	int64_t n = 0;

	keep = cJSON_CreateArray();
	cJSON_ArrayForEach (it, r)
		if (cJSON_IsNumber(it) && (int64_t)it->valuedouble > p->now - p->window) {
			cJSON_AddItemToArray(keep, cJSON_CreateNumber(it->valuedouble));
			n++;
		}
	gt_json_set(hb, "restarts", keep);
	return n;
}

static void give_up(struct patrol *p, const cJSON *agent, cJSON *hb, const char *bead,
		    const char *reason, int64_t attempts, const char *session)
{
	const char *address = gt_json_str(agent, "address");
	struct change c = { p->ctx, address, bead, reason, attempts, 0 };
	struct gt_escalation esc = { "high", NULL, bead, NULL, NULL };
	struct gt_buf key = GT_BUF_INIT, title = GT_BUF_INIT, body = GT_BUF_INIT, id = GT_BUF_INIT;
	cJSON *e = entry(p, address, bead, "released", reason);
	int is_new = 0;

	gt_json_set_int(e, "attempts", attempts);
	keep_work(p, agent, reason, e);
	gt_session_kill(p->t->socket, session);
	gt_error_clear();
	if (txn(p->ctx, release_fn, &c) < 0) {
		gt_json_set_str(e, "error", gt_error_last());
		gt_error_clear();
	}
	gt_buf_printf(&key, "witness:%s:%s", address, bead);
	gt_buf_printf(&title, "%s gave up on %s after %lld attempts: %s", address, bead,
		      (long long)attempts, reason);
	gt_buf_printf(&body,
		      "The witness restarted %s %lld time(s) within %llds and stopped there. "
		      "%s is back in ready work (metadata.attempts). The workspace's state is "
		      "kept: gt-snapshot-list %s.",
		      address, (long long)attempts, (long long)p->window, bead, address);
	esc.key = key.ptr;
	esc.title = title.ptr;
	esc.body = body.ptr;
	if (gt_escalate(&id, &is_new, p->ctx, p->t, &esc) == 0) {
		cJSON *x = entry(p, address, bead, "escalated", reason);

		gt_json_set_str(x, "escalation", id.ptr);
		gt_json_set_bool(x, "new", is_new);
	} else {
		gt_error_clear();
	}
	gt_json_set(hb, "restarts", cJSON_CreateArray());
	gt_json_del(hb, "nudged_at");
	gt_buf_release(&key);
	gt_buf_release(&title);
	gt_buf_release(&body);
	gt_buf_release(&id);
}

static void restart(struct patrol *p, const cJSON *agent, cJSON *hb, const char *bead,
		    const char *reason, int live, const char *session)
{
	const char *address = gt_json_str(agent, "address");
	int64_t n = restarts_in_window(p, hb);
	struct gt_buf note = GT_BUF_INIT;
	cJSON *e;

	if (n >= p->max_restarts) {
		give_up(p, agent, hb, bead, reason, n + 1, session);
		return;
	}
	e = entry(p, address, bead, "restarted", reason);
	gt_json_set_int(e, "attempt", n + 1);
	keep_work(p, agent, reason, e);
	gt_buf_printf(&note,
		      "The witness restarted your session (%s). Your workspace is as you left "
		      "it; see what is done there (git status, git log) and carry on from the "
		      "step you were on, then run gt-done.",
		      reason);
	if (gt_handoff_note(p->ctx, address, note.ptr) < 0 ||
	    gt_worker_start(p->ctx, p->t, agent, live) < 0) {
		gt_json_set_str(e, "error", gt_error_last());
		gt_error_clear();
	}
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(hb, "restarts"),
			     cJSON_CreateNumber((double)p->now));
	gt_json_set_int(hb, "changed_at", p->now);
	gt_json_del(hb, "nudged_at");
	gt_json_del(hb, "settle");
	gt_json_del(hb, "screen");
	gt_buf_release(&note);
}

/* A live, hooked worker: has it made progress? */
/* The molecule step the worker is on, kept with what the witness knows
 * (read again only when the worker shows progress). */
static void note_step(struct patrol *p, cJSON *hb, const char *bead)
{
	cJSON *b = NULL, *st = NULL;
	const char *mol;

	if (gt_ledger_read_bead(&b, p->ctx->lg, NULL, bead) == 0 &&
	    (mol = gt_json_str(cJSON_GetObjectItemCaseSensitive(b, "metadata"), "molecule")) &&
	    gt_mol_status(&st, p->ctx, mol) == 0 && gt_json_str(st, "current"))
		gt_json_set_str(hb, "step", gt_json_str(st, "current"));
	else
		gt_json_del(hb, "step");
	gt_error_clear();
	cJSON_Delete(b);
	cJSON_Delete(st);
}

static void sample(struct patrol *p, const cJSON *agent, cJSON *hb, const char *bead,
		   const char *session)
{
	const char *address = gt_json_str(agent, "address");
	struct gt_buf screen = GT_BUF_INIT;
	cJSON *cmd = gt_heartbeat_last_command(p->ctx->lg->repo, address);
	int64_t changed = 0, nudged = 0, cmd_at = 0;
	char hash[17];

	if (gt_session_capture(&screen, p->t->socket, session, 60) < 0) {
		gt_error_clear();
		goto out;
	}
	gt_heartbeat_hash(hash, screen.ptr ? screen.ptr : "", screen.len);
	if (gt_json_int(hb, "changed_at", &changed) < 0) {
		/* first sight: start the clock now */
		gt_json_set_str(hb, "screen", hash);
		gt_json_set_int(hb, "changed_at", p->now);
		note_step(p, hb, bead);
		goto out;
	}
	gt_json_int(hb, "nudged_at", &nudged);
	if (!gt_json_str(hb, "screen") || strcmp(gt_json_str(hb, "screen"), hash)) {
		gt_json_set_str(hb, "screen", hash);
		if (gt_json_bool(hb, "settle")) {
			/* the echo of our own nudge is not progress */
			gt_json_del(hb, "settle");
		} else {
			changed = p->now;
			gt_json_set_int(hb, "changed_at", changed);
			gt_json_del(hb, "nudged_at");
			nudged = 0;
			note_step(p, hb, bead);
		}
	}
	if (cmd && gt_json_int(cmd, "at", &cmd_at) == 0 && cmd_at > changed) {
		changed = cmd_at;
		gt_json_set_int(hb, "changed_at", changed);
		gt_json_del(hb, "nudged_at");
		nudged = 0;
		note_step(p, hb, bead);
	}
	if (p->now - changed < p->stall)
		goto out;
	if (!nudged) {
		struct gt_buf text = GT_BUF_INIT, why = GT_BUF_INIT;
		cJSON *e;

		gt_buf_printf(&why, "no progress for %llds", (long long)(p->now - changed));
		gt_buf_printf(&text,
			      "gt witness: you seem stuck (%s). If you are waiting for "
			      "something, say what; otherwise carry on with your hook "
			      "(gt-prime shows it) and run gt-done when it is finished.",
			      why.ptr);
		e = entry(p, address, bead, "nudged", why.ptr);
		if (gt_worker_nudge(p->ctx, p->t, address, text.ptr, GT_NUDGE_IMMEDIATE, 0, NULL) <
		    0) {
			gt_json_set_str(e, "error", gt_error_last());
			gt_error_clear();
		}
		gt_json_set_int(hb, "nudged_at", p->now);
		gt_json_set_bool(hb, "settle", 1);
		gt_buf_release(&text);
		gt_buf_release(&why);
	} else if (p->now - nudged >= p->stall) {
		struct gt_buf why = GT_BUF_INIT;

		gt_buf_printf(&why, "no progress for %llds, nudged %llds ago",
			      (long long)(p->now - changed), (long long)(p->now - nudged));
		restart(p, agent, hb, bead, why.ptr, 1, session);
		gt_buf_release(&why);
	}
out:
	cJSON_Delete(cmd);
	gt_buf_release(&screen);
}

/* ---- one agent ---- */

static void stop_session(struct patrol *p, const cJSON *agent, const char *session,
			 const char *bead, const char *action, const char *reason)
{
	cJSON *e = entry(p, gt_json_str(agent, "address"), bead, action, reason);
	struct gt_buf ref = GT_BUF_INIT;

	if (gt_worker_stop(&ref, p->ctx, p->t, agent, reason) == 0 && ref.len)
		gt_json_set_str(e, "snapshot", ref.ptr);
	gt_error_clear();
	gt_json_set_str(e, "session", session);
	gt_buf_release(&ref);
}

/* Stop an idle polecat's session, after reading its record again: a sling
 * may have hooked it since the patrol began. */
static void stop_idle(struct patrol *p, const cJSON *agent, const char *session)
{
	cJSON *now = NULL;
	const char *hook, *st;

	if (gt_ledger_refresh(p->ctx->lg) < 0 ||
	    gt_agent_read(&now, p->ctx->lg, gt_json_str(agent, "address")) < 0) {
		gt_error_clear();
		return;
	}
	hook = gt_json_str(now, "hook");
	st = gt_json_str(now, "state");
	if ((!hook || !*hook) && st && strcmp(st, "spawning") && strcmp(st, "working"))
		stop_session(p, now, session, NULL, "stopped", "the session has no hook");
	cJSON_Delete(now);
}

static int patrol_agent(struct patrol *p, const cJSON *agent)
{
	const char *address = gt_json_str(agent, "address");
	const char *st = gt_json_str(agent, "state"), *hook = gt_json_str(agent, "hook");
	struct gt_buf session = GT_BUF_INIT, before = GT_BUF_INIT, after = GT_BUF_INIT;
	cJSON *hb = gt_heartbeat_read(p->ctx->lg->repo, address), *bead = NULL;
	long pid;
	int rc = 0;

	gt_session_name(&session, address);
	pid = session_pid(p, session.ptr);
	gt_json_write(&before, hb);
	if (!st)
		st = "idle";
	if (!strcmp(st, "spawning")) {
		const char *up = gt_json_str(agent, "updated_at");
		int64_t ns = 0;

		if (up && gt_time_parse(up, &ns) == 0 && p->now - ns / 1000000000 >= p->spawn) {
			const char *outcome = NULL;

			rc = gt_agent_unspawn(&outcome, p->ctx, address, up);
			if (rc == 0 && outcome)
				gt_json_set_str(entry(p, address, hook, "spawn-cleaned",
						      "a sling died while it was spawning"),
						"outcome", outcome);
		}
		goto out;
	}
	if (!hook || !*hook) {
		if (pid)
			stop_idle(p, agent, session.ptr);
		/* nothing to watch: forget what was known */
		cJSON_Delete(hb);
		hb = cJSON_CreateObject();
		goto out;
	}
	if (strcmp(st, "working") && strcmp(st, "done"))
		goto out; /* stuck (escalated by gt-done): a person's now */
	if (gt_json_str(hb, "bead") && strcmp(gt_json_str(hb, "bead"), hook)) {
		/* new work on the hook: restarts count per bead, from nothing */
		cJSON_Delete(hb);
		hb = cJSON_CreateObject();
	}
	gt_json_set_str(hb, "bead", hook);
	rc = gt_ledger_read_bead(&bead, p->ctx->lg, NULL, hook);
	if (rc == GT_ENOTFOUND || (rc == 0 && (!strcmp(gt_bead_status(bead), "closed") ||
					       !strcmp(gt_bead_status(bead), "tombstone")))) {
		struct change c = { p->ctx, address, hook, "the bead is closed", 0, 0 };

		gt_error_clear();
		if (pid)
			stop_session(p, agent, session.ptr, hook, "stopped", c.reason);
		if ((rc = txn(p->ctx, unhook_fn, &c)) == 0 && c.changed)
			entry(p, address, hook, "unhooked", c.reason);
		cJSON_Delete(hb);
		hb = cJSON_CreateObject();
		goto out;
	}
	if (rc < 0)
		goto out;
	if (pid && process_alive(pid) && !runtime_alive(p, agent, pid)) {
		if (!cJSON_GetObjectItemCaseSensitive(hb, "restarts"))
			gt_json_set(hb, "restarts", cJSON_CreateArray());
		restart(p, agent, hb, hook, "the agent's program is gone (its pane lives on)", 1,
			session.ptr);
	} else if (!pid || !process_alive(pid)) {
		if (!cJSON_GetObjectItemCaseSensitive(hb, "restarts"))
			gt_json_set(hb, "restarts", cJSON_CreateArray());
		restart(p, agent, hb, hook,
			pid ? "the agent's process is gone" : "the session is gone", pid != 0,
			session.ptr);
	} else {
		if (!cJSON_GetObjectItemCaseSensitive(hb, "restarts"))
			gt_json_set(hb, "restarts", cJSON_CreateArray());
		gt_json_set_int(hb, "pid", pid);
		sample(p, agent, hb, hook, session.ptr);
	}
out:
	gt_json_write(&after, hb);
	/* write only what changed: an idle town writes nothing at all */
	if (strcmp(before.ptr, after.ptr)) {
		if (cJSON_GetArraySize(hb))
			gt_heartbeat_write(p->ctx->lg->repo, address, hb);
		else
			gt_heartbeat_remove(p->ctx->lg->repo, address);
	}
	gt_error_clear();
	cJSON_Delete(hb);
	cJSON_Delete(bead);
	gt_buf_release(&session);
	gt_buf_release(&before);
	gt_buf_release(&after);
	return rc < 0 ? rc : 0;
}

/* ---- failed merge requests ---- */

struct mark {
	struct gt_ctx *ctx;
	const char *mr, *key;
	int64_t retries;
};

static int mark_fn(struct gt_txn *tx, void *p)
{
	struct mark *m = p;
	struct gt_bead_spec spec;
	int rc, changed;

	gt_bead_spec_init(&spec);
	spec.metadata = cJSON_CreateObject();
	gt_json_set_int(spec.metadata, m->key, m->retries);
	gt_txn_summary(tx, "%s %s", strcmp(m->key, "fix_requested") ? "escalate" : "send back",
		       m->mr);
	rc = gt_op_update(tx, m->ctx, m->mr, &spec, &changed);
	gt_bead_spec_release(&spec);
	return rc;
}

/* A request whose gates failed on its branch leaves its bead in_progress
 * with nobody on it: the bead goes back on its worker's hook with what
 * failed (once per failure), or, when that worker is gone or busy, or it
 * failed too often, a person hears of it. */
static void failed_requests(struct patrol *p)
{
	/* they come only through the ledger: a process that patrols again
	 * (--watch, the deacon) looks again only when the ledger moved */
	static struct {
		char rig[48], tip[GIT_OID_HEXSZ + 1];
	} seen[32];
	char tip[GIT_OID_HEXSZ + 1] = "";
	size_t slot = 0;
	cJSON *mq = NULL, *it;

	if (p->ctx->lg->has_tip)
		git_oid_tostr(tip, sizeof(tip), &p->ctx->lg->tip);
	while (slot < 31 && seen[slot].rig[0] && strcmp(seen[slot].rig, p->rig.name))
		slot++;
	if (!strcmp(seen[slot].rig, p->rig.name) && !strcmp(seen[slot].tip, tip))
		return;
	snprintf(seen[slot].rig, sizeof(seen[slot].rig), "%s", p->rig.name);
	memcpy(seen[slot].tip, tip, sizeof(tip));
	if (gt_mq_list(&mq, p->ctx, p->rig.name, 0) < 0) {
		gt_error_clear();
		return;
	}
	cJSON_ArrayForEach (it, mq) {
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(md, "failure");
		const char *src = gt_json_str(md, "source_bead"),
			   *worker = gt_json_str(md, "worker");
		const char *q = gt_json_str(it, "queue"), *by = gt_json_str(f, "caused_by");
		int64_t retries = 0, sent = -1, escalated = -1;
		cJSON *bead = NULL, *agent = NULL, *res = NULL, *e;
		struct gt_buf args = GT_BUF_INIT, key = GT_BUF_INIT, title = GT_BUF_INIT,
			      id = GT_BUF_INIT;
		int free_worker, sent_now = 0;

		gt_json_int(md, "retries", &retries);
		gt_json_int(md, "fix_requested", &sent);
		gt_json_int(md, "fix_escalated", &escalated);
		/* once per failure each: sent back, then (if it came back
		 * unfixed) escalated */
		if (!q || strcmp(q, "failed") || !f || (by && !strcmp(by, "target")) || !src ||
		    escalated == retries)
			continue;
		if (gt_ledger_read_bead(&bead, p->ctx->lg, NULL, src) < 0 ||
		    strcmp(gt_bead_status(bead), "in_progress")) {
			gt_error_clear();
			cJSON_Delete(bead);
			continue; /* closed, or someone has it again */
		}
		free_worker = worker && gt_agent_read(&agent, p->ctx->lg, worker) == 0 &&
			      !gt_json_str(agent, "hook") && gt_json_str(agent, "state") &&
			      !strcmp(gt_json_str(agent, "state"), "idle");
		gt_error_clear();
		if (sent == retries && !free_worker) {
			/* sent back, and its worker is still on it */
			cJSON_Delete(bead);
			cJSON_Delete(agent);
			continue;
		}
		if (free_worker && sent != retries && retries <= p->max_restarts) {
			struct gt_sling_opts so = { 0 };

			gt_buf_printf(&args,
				      "Merge request %s failed the %s gate (%s). Fix it on your "
				      "branch, commit, and run gt-done again.",
				      gt_bead_id(it), gt_json_str(f, "gate"),
				      gt_json_str(f, "command"));
			so.target = worker;
			so.args = args.ptr;
			so.force = 1; /* it is in_progress for that same worker */
			sent_now = 1;
			e = entry(p, worker, src, "sent-back", args.ptr);
			gt_json_set_str(e, "merge_request", gt_bead_id(it));
			if (gt_sling(&res, p->ctx, p->t, src, &so) < 0) {
				gt_json_set_str(e, "error", gt_error_last());
				gt_error_clear();
			}
		} else {
			struct gt_escalation esc = { "medium", NULL, src, NULL, NULL };

			gt_buf_printf(&key, "mr:%s", gt_bead_id(it));
			gt_buf_printf(&title, "merge request %s of %s failed the %s gate%s",
				      gt_bead_id(it), src, gt_json_str(f, "gate"),
				      sent == retries ? " and came back unfixed"
				      : free_worker   ? " too often"
						      : " and its worker is gone or busy");
			esc.key = key.ptr;
			esc.title = title.ptr;
			if (gt_escalate(&id, NULL, p->ctx, p->t, &esc) == 0)
				gt_json_set_str(entry(p, worker ? worker : "-", src, "escalated",
						      title.ptr),
						"escalation", id.ptr);
			gt_error_clear();
		}
		{
			struct mark m = { p->ctx, gt_bead_id(it),
					  sent_now ? "fix_requested" : "fix_escalated", retries };

			if (txn(p->ctx, mark_fn, &m) < 0)
				gt_error_clear();
		}
		cJSON_Delete(bead);
		cJSON_Delete(agent);
		cJSON_Delete(res);
		gt_buf_release(&args);
		gt_buf_release(&key);
		gt_buf_release(&title);
		gt_buf_release(&id);
	}
	cJSON_Delete(mq);
}

/* Sessions named like a worker of this rig that no agent record owns. */
static void stop_strays(struct patrol *p, const cJSON *all_agents, const cJSON *rigs)
{
	struct gt_buf mine = GT_BUF_INIT, name = GT_BUF_INIT;

	gt_buf_printf(&mine, "gt-%s-", p->rig.name);
	for (const char *line = p->sessions.ptr; line && *line;) {
		const char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
		const cJSON *it;
		int owned = 0;

		gt_buf_reset(&name);
		gt_buf_add(&name, line, tab ? (size_t)(tab - line) : strlen(line));
		line = nl ? nl + 1 : NULL;
		if (strncmp(name.ptr, mine.ptr, mine.len))
			continue;
		owned = gt_worker_of_session(all_agents, name.ptr) != NULL;
		/* another rig whose name starts like this one's ("app-web") */
		cJSON_ArrayForEach (it, rigs) {
			const char *other = gt_json_str(it, "name");
			size_t n = other ? strlen(other) : 0;

			if (other && n > strlen(p->rig.name) && !strncmp(name.ptr + 3, other, n) &&
			    name.ptr[3 + n] == '-')
				owned = 1;
		}
		if (owned)
			continue;
		{
			cJSON *e = entry(p, name.ptr + mine.len, NULL, "stopped",
					 "a session without an agent record");

			gt_json_set_str(e, "session", name.ptr);
			if (gt_session_kill(p->t->socket, name.ptr) < 0)
				gt_error_clear();
		}
	}
	gt_buf_release(&mine);
	gt_buf_release(&name);
}

int gt_witness_patrol(cJSON **log, struct gt_ctx *ctx, const struct gt_town *t, const char *rig)
{
	struct patrol p = { .ctx = ctx, .t = t, .now = gt_heartbeat_now() };
	struct gt_buf lockp = GT_BUF_INIT, name = GT_BUF_INIT;
	cJSON *agents = NULL, *all = NULL, *rigs = NULL, *it;
	int fd = -1, rc;

	*log = p.log = cJSON_CreateArray();
	if ((rc = gt_ctx_config(ctx)) < 0 || (rc = gt_rig_load(&p.rig, ctx, t, rig)) < 0)
		goto out;
	if ((rc = load_settings(&p)) < 0)
		goto out;
	if (gt_rig_paused(ctx, rig, 1, NULL) == 1)
		goto out; /* frozen on purpose: not stalled, not dead */
	gt_buf_printf(&name, "run/witness-%s.lock", rig);
	if ((rc = gt_repo_runtime_path(&lockp, ctx->lg->repo, name.ptr, 1)) < 0 ||
	    (rc = gt_lock_acquire(&fd, lockp.ptr, -1)) < 0)
		goto out;
	if ((rc = gt_ledger_refresh(ctx->lg)) < 0 ||
	    (rc = gt_session_list(&p.sessions, t->socket)) < 0 ||
	    (rc = gt_agent_list(&all, ctx->lg, NULL)) < 0 || (rc = gt_rig_list(&rigs, ctx)) < 0)
		goto out;
	p.now = gt_heartbeat_now();
	agents = cJSON_CreateArray();
	cJSON_ArrayForEach (it, all) {
		const char *r = gt_json_str(it, "rig"), *role = gt_json_str(it, "role");

		if (r && !strcmp(r, rig) && role && !strcmp(role, "polecat"))
			cJSON_AddItemToArray(agents, cJSON_Duplicate(it, 1));
	}
	cJSON_ArrayForEach (it, agents)
		if ((rc = patrol_agent(&p, it)) < 0)
			break;
	if (rc == 0)
		stop_strays(&p, all, rigs);
	if (rc == 0)
		failed_requests(&p);
out:
	if (fd >= 0)
		gt_lock_release(fd);
	cJSON_Delete(agents);
	cJSON_Delete(all);
	cJSON_Delete(rigs);
	gt_rig_release(&p.rig);
	gt_buf_release(&p.sessions);
	gt_buf_release(&lockp);
	gt_buf_release(&name);
	return rc;
}
