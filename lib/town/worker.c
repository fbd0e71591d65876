/*
 * worker.c - a worker's session (environment, start, liveness, nudges),
 * the calling agent's own identity, and polecat removal.  Sling lives in
 * flow/sling.c; gt-done and gt-prime in flow/done.c.
 */
#include "town/worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/lock.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/id.h"
#include "store/ledger.h"
#include "store/repo.h"
#include "town/agent.h"
#include "town/heartbeat.h"
#include "town/nudge.h"
#include "town/runtime.h"
#include "town/session.h"
#include "town/snapshot.h"
#include "town/town.h"
#include "town/workspace.h"
#include "base/banned.h"

void gt_shell_quote(struct gt_buf *out, const char *s)
{
	gt_buf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			gt_buf_adds(out, "'\\''");
		else
			gt_buf_addch(out, *s);
	}
	gt_buf_addch(out, '\'');
}

static void envf(struct gt_strlist *env, const char *name, const char *value)
{
	struct gt_buf b = GT_BUF_INIT;

	if (!value)
		return;
	gt_buf_printf(&b, "%s=%s", name, value);
	gt_strlist_push(env, gt_buf_detach(&b));
}

void gt_worker_env(struct gt_strlist *env, struct gt_ctx *ctx, const struct gt_town *t,
		   const cJSON *agent)
{
	const char *address = gt_json_str(agent, "address");
	struct gt_buf b = GT_BUF_INIT, session = GT_BUF_INIT;
	const char *path = getenv("PATH");

	envf(env, "GT_DIR", ctx->lg->repo->common_dir);
	envf(env, "GT_AGENT", address);
	envf(env, "GT_ROLE", gt_json_str(agent, "role"));
	envf(env, "GT_RIG", gt_json_str(agent, "rig"));
	envf(env, "GT_BEAD", gt_json_str(agent, "hook"));
	gt_session_name(&session, address);
	envf(env, "GT_SESSION", session.ptr);
	envf(env, "GT_TOWN_ROOT", t->root);
	envf(env, "GT_RUNTIME", gt_json_str(agent, "runtime"));
	/* commits are attributed to the agent */
	envf(env, "GIT_AUTHOR_NAME", address);
	envf(env, "GIT_COMMITTER_NAME", address);
	for (const char *p = address; *p; p++)
		gt_buf_addch(&b, *p == '/' ? '.' : *p);
	gt_buf_printf(&b, "@%s.gt.invalid", t->name);
	envf(env, "GIT_AUTHOR_EMAIL", b.ptr);
	envf(env, "GIT_COMMITTER_EMAIL", b.ptr);
	gt_buf_reset(&b);
	/* the tmux server keeps the environment of whoever started it: pass
	 * what the session needs explicitly */
	if (t->bindir && *t->bindir)
		gt_buf_printf(&b, "%s:%s", t->bindir, path ? path : "/usr/bin:/bin");
	else
		gt_buf_adds(&b, path ? path : "/usr/bin:/bin");
	envf(env, "PATH", b.ptr);
	envf(env, "HOME", getenv("HOME"));
	envf(env, "TMUX_TMPDIR", getenv("TMUX_TMPDIR"));
	envf(env, "LANG", getenv("LANG"));
	gt_strlist_push(env, NULL);
	env->n--; /* NULL-terminated, not counted */
	gt_buf_release(&b);
	gt_buf_release(&session);
}

/* Claude Code's settings for our hooks: prime at start and after a
 * compaction, queued nudges on every prompt. */
static int claude_settings(struct gt_buf *path, struct gt_ctx *ctx, const struct gt_town *t)
{
	struct gt_buf data = GT_BUF_INIT, prime = GT_BUF_INIT, drain = GT_BUF_INIT;
	cJSON *o, *hooks;
	int rc = gt_repo_runtime_path(path, ctx->lg->repo, "claude-settings.json", 1);

	if (rc < 0)
		return rc;
	gt_buf_printf(&prime, "%s/gt-prime", t->bindir);
	gt_buf_printf(&drain, "%s/gt-nudge", t->bindir);
	{
		struct gt_buf q = GT_BUF_INIT;

		gt_shell_quote(&q, prime.ptr);
		gt_buf_reset(&prime);
		gt_buf_printf(&prime, "%s --hook", q.ptr);
		gt_buf_reset(&q);
		gt_shell_quote(&q, drain.ptr);
		gt_buf_reset(&drain);
		gt_buf_printf(&drain, "%s --drain", q.ptr);
		gt_buf_release(&q);
	}
	o = cJSON_CreateObject();
	hooks = cJSON_AddObjectToObject(o, "hooks");
	{
		const char *events[] = { "SessionStart", "PreCompact", "UserPromptSubmit" };

		for (size_t i = 0; i < 3; i++) {
			cJSON *list = cJSON_AddArrayToObject(hooks, events[i]);
			cJSON *m = cJSON_CreateObject(), *hl = cJSON_AddArrayToObject(m, "hooks");
			cJSON *h = cJSON_CreateObject();

			gt_json_set_str(h, "type", "command");
			gt_json_set_str(h, "command", i < 2 ? prime.ptr : drain.ptr);
			cJSON_AddItemToArray(hl, h);
			cJSON_AddItemToArray(list, m);
		}
	}
	gt_json_write(&data, o);
	gt_buf_addch(&data, '\n');
	rc = gt_write_file_atomic(path->ptr, data.ptr, data.len);
	cJSON_Delete(o);
	gt_buf_release(&data);
	gt_buf_release(&prime);
	gt_buf_release(&drain);
	return rc;
}

/* Before typing the first prompt: wait for the runtime's ready prompt (or
 * its start-up delay when it shows none); type anyway once three delays
 * have passed. */
static int wait_ready(const struct gt_town *t, const char *session, const struct gt_runtime *rt)
{
	long limit = rt->ready_delay_ms > 0 ? rt->ready_delay_ms : 1000;
	int rc;

	if (!rt->ready) {
		gt_sleep_ms(limit);
		return 0;
	}
	rc = gt_session_wait_idle(t->socket, session, rt, limit * 3, 10);
	return rc == GT_ENO ? 0 : rc;
}

int gt_worker_start(struct gt_ctx *ctx, const struct gt_town *t, const cJSON *agent, int respawn)
{
	const char *address = gt_json_str(agent, "address");
	const char *rtname = gt_json_str(agent, "runtime");
	const char *ws = gt_json_str(agent, "workspace");
	struct gt_runtime rt;
	struct gt_strlist env = { 0 }, argv = { 0 };
	struct gt_buf session = GT_BUF_INIT, settings = GT_BUF_INIT, prompt = GT_BUF_INIT;
	int rc;

	if ((rc = gt_runtime_load(&rt, ctx, rtname ? rtname : "claude")) < 0)
		return rc;
	gt_session_name(&session, address);
	gt_worker_env(&env, ctx, t, agent);
	/* the first prompt carries no text from beads or arguments: the
	 * agent reads those through gt-prime, so nothing a stranger wrote
	 * ever reaches a command line */
	gt_buf_printf(&prompt,
		      "You are %s, a gt %s. Run gt-prime now and do what it says; "
		      "when the work is finished, run gt-done.",
		      address, gt_json_str(agent, "role"));
	if (rt.hook == GT_HOOK_CLAUDE && (rc = claude_settings(&settings, ctx, t)) < 0)
		goto out;
	gt_runtime_argv(&argv, &rt, settings.len ? settings.ptr : NULL,
			rt.prompt == GT_PROMPT_NUDGE ? NULL : prompt.ptr);
	gt_strlist_push(&argv, NULL);
	if (respawn)
		rc = gt_session_respawn(t->socket, session.ptr, ws, env.v, argv.v);
	else
		rc = gt_session_start(t->socket, session.ptr, ws, env.v, argv.v);
	if (rc == 0 && rt.prompt == GT_PROMPT_NUDGE) {
		if ((rc = wait_ready(t, session.ptr, &rt)) == 0)
			rc = gt_session_type(t->socket, session.ptr, prompt.ptr, 1);
	}
out:
	gt_runtime_release(&rt);
	gt_strlist_release_owned(&env);
	gt_strlist_release_owned(&argv);
	gt_buf_release(&session);
	gt_buf_release(&settings);
	gt_buf_release(&prompt);
	return rc;
}

int gt_worker_alive(const struct gt_town *t, const cJSON *agent)
{
	struct gt_buf s = GT_BUF_INIT;
	int rc;

	gt_session_name(&s, gt_json_str(agent, "address"));
	rc = gt_session_has(t->socket, s.ptr);
	gt_buf_release(&s);
	return rc;
}

int gt_worker_nudge(struct gt_ctx *ctx, const struct gt_town *t, const char *address,
		    const char *text, enum gt_nudge_mode mode, long timeout_ms, int *queued)
{
	struct gt_runtime rt = { 0 };
	struct gt_buf s = GT_BUF_INIT;
	const char *rtname;
	cJSON *agent = NULL;
	int rc, have_rt = 0, q = 0;

	if ((rc = gt_agent_read(&agent, ctx->lg, address)) < 0)
		return rc;
	rtname = gt_json_str(agent, "runtime");
	if (rtname && (rc = gt_runtime_load(&rt, ctx, rtname)) < 0)
		goto out;
	have_rt = rtname != NULL;
	gt_session_name(&s, address);
	rc = gt_nudge_send(ctx->lg->repo, t->socket, s.ptr, have_rt ? &rt : NULL,
			   gt_ledger_actor(ctx->lg), text, mode, timeout_ms, &q);
	if (queued)
		*queued = q;
out:
	if (have_rt)
		gt_runtime_release(&rt);
	gt_buf_release(&s);
	cJSON_Delete(agent);
	return rc;
}

int gt_worker_self(cJSON **agent, struct gt_ctx *ctx, const char *hook_cwd)
{
	const char *a = getenv("GT_AGENT");
	char cwd[4096];

	if (a && *a)
		return gt_agent_read(agent, ctx->lg, a);
	if (hook_cwd && *hook_cwd)
		return gt_agent_find_by_path(agent, ctx->lg, hook_cwd);
	if (!getcwd(cwd, sizeof(cwd)))
		return gt_error_errno(GT_EFAIL, "cannot find the current directory");
	return gt_agent_find_by_path(agent, ctx->lg, cwd);
}

int gt_worker_agent(cJSON **agent, struct gt_ctx *ctx, const char *address)
{
	return address ? gt_agent_read(agent, ctx->lg, address) : gt_worker_self(agent, ctx, NULL);
}

int gt_worker_address(struct gt_buf *out, struct gt_ctx *ctx, const char *address)
{
	cJSON *self = NULL;
	int rc = 0;

	gt_buf_reset(out);
	if (address)
		gt_buf_adds(out, address);
	else if ((rc = gt_worker_self(&self, ctx, NULL)) == 0)
		gt_buf_adds(out, gt_json_str(self, "address"));
	cJSON_Delete(self);
	return rc;
}

const cJSON *gt_worker_of_session(const cJSON *agents, const char *session)
{
	const cJSON *a;

	cJSON_ArrayForEach (a, agents) {
		struct gt_buf s = GT_BUF_INIT;
		int same;

		gt_session_name(&s, gt_json_str(a, "address"));
		same = !strcmp(s.ptr, session);
		gt_buf_release(&s);
		if (same)
			return a;
	}
	return NULL;
}

/* ---- keeping work ---- */

int gt_worker_snapshot(struct gt_buf *ref_out, struct gt_ctx *ctx, const struct gt_town *t,
		       const cJSON *agent, const char *reason)
{
	const char *ws = gt_json_str(agent, "workspace"), *r = gt_json_str(agent, "rig");
	struct gt_rig rig = { 0 };
	struct stat st;
	int rc;

	if (ref_out)
		gt_buf_reset(ref_out);
	if (!ws || !r || stat(ws, &st) < 0 || !S_ISDIR(st.st_mode))
		return gt_error_set(GT_ENO, "'%s' has no workspace to keep",
				    gt_json_str(agent, "address"));
	if ((rc = gt_rig_load(&rig, ctx, t, r)) == 0)
		rc = gt_snapshot_take(ref_out, rig.repo, ws, gt_json_str(agent, "address"), reason);
	gt_rig_release(&rig);
	return rc;
}

int gt_worker_stop(struct gt_buf *ref_out, struct gt_ctx *ctx, const struct gt_town *t,
		   const cJSON *agent, const char *reason)
{
	struct gt_buf s = GT_BUF_INIT;
	int rc;

	if (ref_out)
		gt_buf_reset(ref_out);
	gt_session_name(&s, gt_json_str(agent, "address"));
	if ((rc = gt_session_has(t->socket, s.ptr)) == 0) {
		if (gt_worker_snapshot(ref_out, ctx, t, agent, reason) < 0)
			gt_error_clear(); /* nothing to keep, or git failed: stop anyway */
		rc = gt_session_kill(t->socket, s.ptr);
	}
	gt_buf_release(&s);
	return rc;
}

/* ---- removal ---- */

struct removal {
	struct gt_ctx *ctx;
	const char *address;
};

static int remove_fn(struct gt_txn *tx, void *p)
{
	struct removal *r = p;
	int changed, rc = gt_op_hook_detach(tx, r->ctx, r->address, "open", &changed, NULL);

	if (rc == 0)
		rc = gt_txn_agent_remove(tx, r->address);
	if (rc == 0)
		gt_heartbeat_remove(gt_txn_ledger(tx)->repo, r->address);
	gt_txn_summary(tx, "remove %s", r->address);
	gt_txn_trailer(tx, "Gt-Agent", "%s", r->address);
	return rc;
}

int gt_polecat_remove(struct gt_ctx *ctx, const struct gt_town *t, const char *address, int force,
		      struct gt_buf *discarded, struct gt_buf *snapshot)
{
	struct gt_address a;
	struct gt_rig rig = { 0 };
	struct removal r = { ctx, address };
	struct gt_txn_opts o = { .command = "gt-polecat-remove" };
	struct gt_buf session = GT_BUF_INIT;
	cJSON *agent = NULL;
	int rc;

	if ((rc = gt_address_parse(&a, address)) < 0)
		return rc;
	if (a.role != GT_ROLE_POLECAT)
		return gt_error_set(GT_EUSAGE, "'%s' is not a polecat", address);
	if ((rc = gt_agent_read(&agent, ctx->lg, address)) < 0)
		return rc;
	if ((rc = gt_rig_load(&rig, ctx, t, a.rig)) < 0)
		goto out;
	{
		const char *ws = gt_json_str(agent, "workspace");
		struct gt_ws_spec w = { gt_json_str(agent, "strategy"),
					rig.repo,
					rig.url,
					ws,
					gt_json_str(agent, "branch"),
					NULL,
					NULL,
					NULL,
					NULL };

		/* check before stopping anything: a refusal changes nothing */
		if (ws && !force) {
			struct gt_buf lost = GT_BUF_INIT;

			rc = gt_ws_unsaved(&lost, ws, w.strategy);
			if (rc == 0 && lost.len) {
				rc = gt_error_set(GT_ECONFLICT,
						  "'%s' holds work that is not pushed:\n%.*s",
						  address, (int)lost.len - 1, lost.ptr);
				gt_error_hint("finish it with gt-done, or pass --force to discard "
					      "it");
			}
			gt_buf_release(&lost);
			if (rc < 0)
				goto out;
		}
		gt_session_name(&session, address);
		if (!force && gt_session_has(t->socket, session.ptr) == 0) {
			rc = gt_error_set(GT_ECONFLICT, "'%s' has a live session", address);
			gt_error_hint("stop it with gt-session-stop, or pass --force");
			goto out;
		}
		if (!force && gt_json_str(agent, "hook") && *gt_json_str(agent, "hook")) {
			rc = gt_error_set(GT_ECONFLICT, "'%s' has %s on its hook", address,
					  gt_json_str(agent, "hook"));
			gt_error_hint("take it off with gt-hook-detach, or pass --force");
			goto out;
		}
		gt_error_clear();
		/* never lose work: the workspace's whole state is kept first */
		if (ws && gt_snapshot_take(snapshot, rig.repo, ws, address, "polecat removed") < 0)
			gt_error_clear();
		gt_session_kill(t->socket, session.ptr);
		gt_error_clear();
		if (ws && (rc = gt_ws_remove(&w, force, discarded)) < 0)
			goto out;
	}
	rc = gt_ledger_transact(ctx->lg, &o, remove_fn, &r);
out:
	cJSON_Delete(agent);
	gt_rig_release(&rig);
	gt_buf_release(&session);
	return rc;
}
