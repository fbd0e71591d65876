/*
 * worker.c - a worker's session (environment, start, liveness, nudges),
 * the calling agent's own identity, and polecat removal.  Sling lives in
 * flow/sling.c; gt-done and gt-prime in flow/done.c.
 */
#include "town/worker.h"

#include <errno.h>
#include <signal.h>
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
#include "base/proc.h"
#include "store/bead.h"
#include "store/id.h"
#include "store/ledger.h"
#include "store/repo.h"
#include "town/agent.h"
#include "town/heartbeat.h"
#include "town/nudge.h"
#include "town/runstate.h"
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
	gt_agent_key(&b, address);
	gt_buf_printf(&b, "@%s.gt.invalid", t->name);
	envf(env, "GIT_AUTHOR_EMAIL", b.ptr);
	envf(env, "GIT_COMMITTER_EMAIL", b.ptr);
	gt_buf_reset(&b);
	/* the tmux server keeps the environment of whoever started it: pass
	 * what the session needs explicitly */
	/* gt's programs first, once */
	if (t->bindir && *t->bindir)
		gt_buf_adds(&b, t->bindir);
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		if (n && !(t->bindir && strlen(t->bindir) == n && !strncmp(p, t->bindir, n))) {
			if (b.len)
				gt_buf_addch(&b, ':');
			gt_buf_add(&b, p, n);
		}
		p += n;
		p += *p == ':';
	}
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
 * compaction (SessionStart's "compact" source, and PreCompact), queued
 * nudges on every prompt. */
static int claude_settings(struct gt_buf *path, struct gt_ctx *ctx, const struct gt_town *t)
{
	struct gt_buf data = GT_BUF_INIT, prime = GT_BUF_INIT, drain = GT_BUF_INIT;
	struct gt_buf q = GT_BUF_INIT;
	cJSON *o, *hooks;
	int rc = gt_repo_runtime_path(path, ctx->lg->repo, "claude-settings.json", 1);
	static const struct {
		const char *event, *matcher;
		int drain;
	} set[] = {
		{ "SessionStart", NULL, 0 },
		{ "SessionStart", "compact", 0 },
		{ "PreCompact", NULL, 0 },
		{ "UserPromptSubmit", NULL, 1 },
	};

	if (rc < 0)
		return rc;
	gt_buf_printf(&prime, "%s/gt-prime", t->bindir);
	gt_shell_quote(&q, prime.ptr);
	gt_buf_reset(&prime);
	gt_buf_printf(&prime, "%s --hook", q.ptr);
	gt_buf_reset(&q);
	gt_buf_printf(&drain, "%s/gt-nudge", t->bindir);
	gt_shell_quote(&q, drain.ptr);
	gt_buf_reset(&drain);
	gt_buf_printf(&drain, "%s --drain", q.ptr);
	o = cJSON_CreateObject();
	hooks = cJSON_AddObjectToObject(o, "hooks");
	for (size_t i = 0; i < sizeof(set) / sizeof(*set); i++) {
		cJSON *list = cJSON_GetObjectItemCaseSensitive(hooks, set[i].event);
		cJSON *m = cJSON_CreateObject(), *hl, *h = cJSON_CreateObject();

		if (!list)
			list = cJSON_AddArrayToObject(hooks, set[i].event);
		if (set[i].matcher)
			gt_json_set_str(m, "matcher", set[i].matcher);
		hl = cJSON_AddArrayToObject(m, "hooks");
		gt_json_set_str(h, "type", "command");
		gt_json_set_str(h, "command", set[i].drain ? drain.ptr : prime.ptr);
		cJSON_AddItemToArray(hl, h);
		cJSON_AddItemToArray(list, m);
	}
	gt_json_write(&data, o);
	gt_buf_addch(&data, '\n');
	rc = gt_write_file_atomic(path->ptr, data.ptr, data.len);
	cJSON_Delete(o);
	gt_buf_release(&data);
	gt_buf_release(&prime);
	gt_buf_release(&drain);
	gt_buf_release(&q);
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

void gt_worker_first_prompt(struct gt_buf *out, const cJSON *agent)
{
	/* the first prompt carries no text from beads or arguments: the
	 * agent reads those through gt-prime, so nothing a stranger wrote
	 * ever reaches a command line */
	gt_buf_printf(out,
		      "You are %s, a gt %s. Run gt-prime now and do what it says; "
		      "when the work is finished, run gt-done.",
		      gt_json_str(agent, "address"), gt_json_str(agent, "role"));
}

int gt_worker_argv(struct gt_strlist *argv, struct gt_ctx *ctx, const struct gt_town *t,
		   const cJSON *agent, const struct gt_runtime *rt, const char *resume,
		   const char *prompt)
{
	struct gt_buf settings = GT_BUF_INIT;
	int rc = 0;

	if (rt->hook == GT_HOOK_CLAUDE && (rc = claude_settings(&settings, ctx, t)) < 0)
		goto out;
	gt_runtime_argv(argv, rt, settings.len ? settings.ptr : NULL, resume,
			rt->prompt == GT_PROMPT_NUDGE ? NULL : prompt);
out:
	gt_buf_release(&settings);
	return rc;
}

/* ---- the environment a run is given ---- */

extern char **environ;

/* The variables any runtime of the agent's chain passes (its own, then
 * the rig's rig.agent), from this process's environment: written to a
 * 0600 file gt-run reads once, never onto a command line.  gt-run gives
 * each runtime only the ones it passes (with its env-file, set-env and
 * root-env), so a fallback has its keys and no runtime sees another's. */
static int pass_env(struct gt_ctx *ctx, const cJSON *agent, const struct gt_runtime *first,
		    const char *run)
{
	struct gt_strlist env = { 0 }, chain = { 0 };
	struct gt_runtime *rts;
	size_t nrt = 0;
	char *spec = gt_rig_setting(ctx, gt_json_str(agent, "rig"), "agent", "claude");
	int rc;

	gt_runtime_chain(&chain, spec);
	free(spec);
	rts = gt_calloc(chain.n + 1, sizeof(*rts));
	for (size_t i = 0; i < chain.n; i++) {
		if (!strcmp(chain.v[i], first->name))
			continue;
		if (gt_runtime_load(&rts[nrt], ctx, gt_json_str(agent, "rig"), chain.v[i]) == 0)
			nrt++;
		gt_error_clear();
	}
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		struct gt_buf name = GT_BUF_INIT;
		int pass;

		if (!eq)
			continue;
		gt_buf_add(&name, *e, (size_t)(eq - *e));
		pass = gt_runtime_passes(first, name.ptr);
		for (size_t i = 0; !pass && i < nrt; i++)
			pass = gt_runtime_passes(&rts[i], name.ptr);
		if (pass)
			gt_strlist_push_dup(&env, *e);
		gt_buf_release(&name);
	}
	rc = gt_runenv_write(ctx->lg->repo, run, &env);
	gt_strlist_release_wiped(&env);
	for (size_t i = 0; i < nrt; i++)
		gt_runtime_release(&rts[i]);
	free(rts);
	gt_strlist_release_owned(&chain);
	return rc;
}

/* ---- trust: what an interactive CLI would ask about a new folder ---- */

/* Claude Code keeps accepted dialogs in ~/.claude.json (CLAUDE_CONFIG_DIR
 * moves it): onboarding, the bypass-permissions warning and, per exact
 * directory, folder trust.  Written under a lock, atomically, keeping
 * every other key. */
static int trust_claude(const char *ws)
{
	const char *dir = getenv("CLAUDE_CONFIG_DIR"), *home = getenv("HOME");
	struct gt_buf path = GT_BUF_INIT, lockp = GT_BUF_INIT, d = GT_BUF_INIT;
	int lk;
	cJSON *o = NULL, *projects, *pr;
	int rc;

	if (dir && *dir)
		gt_buf_printf(&path, "%s/.claude.json", dir);
	else if (home && *home)
		gt_buf_printf(&path, "%s/.claude.json", home);
	else
		return 0;
	gt_buf_printf(&lockp, "%s.gt-lock", path.ptr);
	if ((rc = gt_lock_acquire(&lk, lockp.ptr, 10000)) < 0)
		goto out;
	if (gt_read_file(&d, path.ptr) == 0)
		o = cJSON_Parse(d.ptr);
	gt_error_clear();
	if (!o && d.len) {
		rc = gt_error_set(GT_EINVALID, "'%s' does not parse: not touching it", path.ptr);
		gt_lock_release(lk);
		goto out;
	}
	if (!o)
		o = cJSON_CreateObject();
	if (!cJSON_GetObjectItemCaseSensitive(o, "hasCompletedOnboarding"))
		cJSON_AddTrueToObject(o, "hasCompletedOnboarding");
	if (!cJSON_GetObjectItemCaseSensitive(o, "bypassPermissionsModeAccepted"))
		cJSON_AddTrueToObject(o, "bypassPermissionsModeAccepted");
	if (!cJSON_IsObject(projects = cJSON_GetObjectItemCaseSensitive(o, "projects"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, "projects");
		projects = cJSON_AddObjectToObject(o, "projects");
	}
	if (!cJSON_IsObject(pr = cJSON_GetObjectItemCaseSensitive(projects, ws))) {
		cJSON_DeleteItemFromObjectCaseSensitive(projects, ws);
		pr = cJSON_AddObjectToObject(projects, ws);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(pr, "hasTrustDialogAccepted");
	cJSON_AddTrueToObject(pr, "hasTrustDialogAccepted");
	gt_buf_reset(&d);
	{
		char *text = cJSON_PrintUnformatted(o);

		gt_buf_adds(&d, text);
		free(text);
	}
	rc = gt_write_file_atomic(path.ptr, d.ptr, d.len);
	gt_lock_release(lk);
out:
	cJSON_Delete(o);
	gt_buf_release(&path);
	gt_buf_release(&lockp);
	gt_buf_release(&d);
	return rc;
}

/* Codex keeps folder trust per exact path in $CODEX_HOME/config.toml
 * (~/.codex): a [projects."<dir>"] table with trust_level = "trusted". */
static int trust_codex(const char *ws)
{
	const char *dir = getenv("CODEX_HOME"), *home = getenv("HOME");
	struct gt_buf path = GT_BUF_INIT, lockp = GT_BUF_INIT, d = GT_BUF_INIT;
	struct gt_buf key = GT_BUF_INIT;
	int lk;
	int rc;

	for (const char *p = ws; *p; p++)
		if (*p == '"' || *p == '\\' || *p == '\n' || (unsigned char)*p < 0x20)
			return gt_error_set(GT_EINVALID, "cannot write '%s' into a TOML key", ws);
	if (dir && *dir)
		gt_buf_adds(&path, dir);
	else if (home && *home)
		gt_buf_printf(&path, "%s/.codex", home);
	else
		return 0;
	if ((rc = gt_mkdir_parents(path.ptr)) < 0)
		goto out;
	gt_buf_adds(&path, "/config.toml");
	gt_buf_printf(&lockp, "%s.gt-lock", path.ptr);
	gt_buf_printf(&key, "[projects.\"%s\"]", ws);
	if ((rc = gt_lock_acquire(&lk, lockp.ptr, 10000)) < 0)
		goto out;
	if (gt_read_file(&d, path.ptr) < 0)
		gt_error_clear();
	if (!d.ptr || !strstr(d.ptr, key.ptr)) {
		if (d.len && d.ptr[d.len - 1] != '\n')
			gt_buf_addch(&d, '\n');
		gt_buf_printf(&d, "\n%s\ntrust_level = \"trusted\"\n", key.ptr);
		rc = gt_write_file_atomic(path.ptr, d.ptr, d.len);
	}
	gt_lock_release(lk);
out:
	gt_buf_release(&path);
	gt_buf_release(&lockp);
	gt_buf_release(&d);
	gt_buf_release(&key);
	return rc;
}

/* ---- starting ---- */

/* Whether the run is still up: once gt-run has said who it is, its pid
 * tells (a signal 0, no process started: many starts may be checked at
 * once), before that the session does. */
static int run_alive(const struct gt_town *t, const char *session, const cJSON *st, const char *run)
{
	const char *srun = gt_json_str(st, "run");
	const cJSON *pid = cJSON_GetObjectItemCaseSensitive(st, "pid");

	if (srun && !strcmp(srun, run) && cJSON_IsNumber(pid) && pid->valuedouble > 1)
		return kill((pid_t)pid->valuedouble, 0) == 0 || errno == EPERM;
	return gt_session_has(t->socket, session) == 0;
}

/* The run's start, checked: gt-run says it runs and the runtime stays
 * alive for start_check_ms without sitting on a known dialog.  GT_EFAIL
 * with what the screen said otherwise. */
static int start_check(struct gt_ctx *ctx, const struct gt_town *t, const char *session,
		       const char *run, const struct gt_runtime *rt, long wait_ms)
{
	long waited = 0, step = 100;
	int gone = 0;
	struct gt_buf screen = GT_BUF_INIT;
	const struct gt_runtime_dialog *dlg;
	cJSON *st = NULL;
	int rc = 0;

	for (;;) {
		const char *status, *srun;

		cJSON_Delete(st);
		st = NULL;
		if (gt_runstate_read(&st, ctx->lg->repo, session) < 0)
			gt_error_clear();
		status = gt_json_str(st, "status");
		srun = gt_json_str(st, "run");
		if (status && srun && !strcmp(srun, run) && !strcmp(status, "exited")) {
			const char *how = gt_json_str(st, "outcome");

			/* done (gt-done ran) or stopped is a start that worked */
			if (how && (!strcmp(how, "done") || !strcmp(how, "stopped") ||
				    !strcmp(how, "exited")))
				break;
			rc = GT_EFAIL;
			break;
		}
		if (!run_alive(t, session, st, run)) {
			/* its last word may land just after: read it again
			 * twice before calling it gone without a word */
			if (gone++ >= 2) {
				rc = GT_EFAIL;
				break;
			}
			gt_sleep_ms(step);
			continue;
		}
		if (waited >= wait_ms && status && srun && !strcmp(srun, run))
			break;
		if (waited >= wait_ms + 30000) {
			rc = gt_error_set(GT_EFAIL, "%s did not start: gt-run never reported",
					  session);
			break;
		}
		gt_sleep_ms(step);
		waited += step;
	}
	if (gt_json_str(st, "screen"))
		gt_buf_adds(&screen, gt_json_str(st, "screen")); /* gt-run kept it */
	else if (gt_session_capture(&screen, t->socket, session, 40) < 0)
		gt_error_clear();
	if (rc == GT_EFAIL && !gt_error_last()[0]) {
		const char *msg = gt_json_str(st, "message");

		gt_error_set(GT_EFAIL, "%s (%s) exited at start%s%s", session, rt->name,
			     msg ? ": " : "", msg ? msg : "");
	} else if (rc == 0 && rt->proto == GT_PROTO_TTY &&
		   (dlg = gt_runtime_dialog(rt, screen.ptr))) {
		rc = gt_error_set(GT_EFAIL, "%s (%s) is waiting on a dialog (%s)", session,
				  rt->name, dlg->name);
	}
	if (rc < 0 && screen.len) {
		/* the last lines of the screen, as they were */
		size_t n = 0, cut = 0;

		for (size_t i = screen.len; i-- > 0;)
			if (screen.ptr[i] == '\n' && ++n == 12) {
				cut = i + 1;
				break;
			}
		gt_error_hint("the screen said:\n%s", screen.ptr + cut);
	}
	cJSON_Delete(st);
	gt_buf_release(&screen);
	return rc;
}

int gt_worker_start(struct gt_ctx *ctx, const struct gt_town *t, const cJSON *agent, int respawn)
{
	return gt_worker_start_notify(ctx, t, agent, respawn, NULL, NULL);
}

int gt_worker_start_notify(struct gt_ctx *ctx, const struct gt_town *t, const cJSON *agent,
			   int respawn, void (*started)(void *), void *arg)
{
	const char *address = gt_json_str(agent, "address");
	const char *rtname = gt_json_str(agent, "runtime");
	const char *ws = gt_json_str(agent, "workspace");
	struct gt_runtime rt;
	struct gt_strlist env = { 0 }, argv = { 0 };
	struct gt_buf session = GT_BUF_INIT, run = GT_BUF_INIT, prog = GT_BUF_INIT;
	struct gt_buf prompt = GT_BUF_INIT, tag = GT_BUF_INIT;
	int rc;

	if ((rc = gt_runtime_load(&rt, ctx, gt_json_str(agent, "rig"),
				  rtname ? rtname : "claude")) < 0)
		return rc;
	gt_session_name(&session, address);
	gt_run_id_new(&run, address);
	gt_worker_env(&env, ctx, t, agent);
	gt_buf_printf(&tag, "GT_RUN_ID=%s", run.ptr);
	gt_strlist_push(&env, gt_buf_detach(&tag));
	gt_strlist_push(&env, NULL);
	env.n--;
	if ((rc = pass_env(ctx, agent, &rt, run.ptr)) < 0)
		goto out;
	if (rt.proto == GT_PROTO_TTY && rt.trust && ws) {
		if (!strcmp(rt.trust, "claude"))
			rc = trust_claude(ws);
		else if (!strcmp(rt.trust, "codex"))
			rc = trust_codex(ws);
		if (rc < 0)
			goto out;
	}
	gt_runstate_remove(ctx->lg->repo, session.ptr);
	if (t->bindir && *t->bindir)
		gt_buf_printf(&prog, "%s/gt-run", t->bindir);
	else
		gt_buf_adds(&prog, "gt-run");
	gt_strlist_push(&argv, prog.ptr);
	gt_strlist_push(&argv, "--run");
	gt_strlist_push(&argv, run.ptr);
	gt_strlist_push(&argv, NULL);
	if (respawn)
		rc = gt_session_respawn(t->socket, session.ptr, ws, (const char *const *)env.v,
					(const char *const *)argv.v);
	else
		rc = gt_session_start(t->socket, session.ptr, ws, (const char *const *)env.v,
				      (const char *const *)argv.v);
	if (rc < 0) {
		struct gt_strlist gone = { 0 };
		struct gt_error_saved e;

		/* the file was only for the run that never began */
		gt_error_save(&e);
		gt_runenv_take(&gone, ctx->lg->repo, run.ptr);
		gt_strlist_release_wiped(&gone);
		gt_error_restore(&e);
		goto out;
	}
	if (started)
		started(arg);
	if (rt.start_check_ms > 0 &&
	    (rc = start_check(ctx, t, session.ptr, run.ptr, &rt, rt.start_check_ms)) < 0)
		goto out;
	if (rt.proto == GT_PROTO_TTY && rt.prompt == GT_PROMPT_NUDGE) {
		gt_worker_first_prompt(&prompt, agent);
		/* after the wait, a runtime that already failed is not typed to */
		if ((rc = wait_ready(t, session.ptr, &rt)) == 0 &&
		    (rc = start_check(ctx, t, session.ptr, run.ptr, &rt, 0)) == 0)
			rc = gt_session_type(t->socket, session.ptr, prompt.ptr, 1);
	}
out:
	gt_runtime_release(&rt);
	gt_strlist_release_owned(&env);
	gt_strlist_release(&argv);
	gt_buf_release(&session);
	gt_buf_release(&run);
	gt_buf_release(&prog);
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
	if (rtname && (rc = gt_runtime_load(&rt, ctx, gt_json_str(agent, "rig"), rtname)) < 0)
		goto out;
	have_rt = rtname != NULL;
	/* gt-run drains the queue into a structured agent's input stream
	 * between turns: queued there is delivered, never typed */
	if (have_rt && rt.proto != GT_PROTO_TTY)
		mode = GT_NUDGE_QUEUE;
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

/* End the run in session: gt-run is asked to stop (it ends its agent's
 * tree and records the run), then whatever still carries the run's tag
 * is killed.  Nothing when no run is known. */
static void end_run(struct gt_ctx *ctx, const char *session)
{
	cJSON *st = NULL;
	int64_t pid = 0;
	const char *run;

	if (gt_runstate_read(&st, ctx->lg->repo, session) < 0) {
		gt_error_clear();
		return;
	}
	run = gt_json_str(st, "run");
	if (gt_json_int(st, "pid", &pid) == 0 && pid > 1 && gt_proc_alive((long)pid)) {
		kill((pid_t)pid, SIGTERM);
		for (int i = 0; i < 100 && gt_proc_alive((long)pid); i++)
			gt_sleep_ms(50);
	}
	gt_error_clear();
	if (run) {
		struct gt_buf tag = GT_BUF_INIT;

		gt_buf_printf(&tag, "GT_RUN_ID=%s", run);
		gt_proc_kill_tagged(tag.ptr, SIGKILL);
		gt_buf_release(&tag);
	}
	cJSON_Delete(st);
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
		end_run(ctx, s.ptr);
		rc = gt_session_kill(t->socket, s.ptr);
		if (rc == GT_ENO) /* the run's end closed it */
			rc = 0;
	}
	end_run(ctx, s.ptr);
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
		end_run(ctx, session.ptr);
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
