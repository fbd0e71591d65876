/*
 * runner.c - gt-run: one agent run from start to its record (runner.h).
 *
 * The loop is a poll() over the child's stdout and stderr (and the pane,
 * where a person attached can type a line to the agent), waking every
 * half second to look at the nudge queue, the end of a turn and the
 * child's exit.  Signals only set a flag; everything else happens in the
 * loop, so the run's record is written whatever ends it.
 */
#include "run/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/options.h"
#include "base/proc.h"
#include "store/bead.h"
#include "store/config.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "store/query.h"
#include "town/agent.h"
#include "town/nudge.h"
#include "town/runstate.h"
#include "town/runtime.h"
#include "town/session.h"
#include "town/town.h"
#include "town/worker.h"
#include "flow/done.h"
#include "flow/escalation.h"
#include "flow/usage.h"
#include "flow/witness.h"
#include "run/io.h"
#include "run/openai.h"
#include "run/proto.h"
#include "base/banned.h"

extern char **environ;

static volatile sig_atomic_t stop_sig;

static void on_signal(int sig)
{
	stop_sig = sig;
}

static void gtsay(struct gt_runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gtsay(struct gt_runner *r, const char *fmt, ...)
{
	struct gt_buf b = GT_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	gt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	gt_runner_show(r, "gt", b.ptr);
	gt_runner_log(r, "gt", b.ptr);
	gt_buf_release(&b);
}

/* ---- state ---- */

static void state(struct gt_runner *r, const char *status, const char *message)
{
	cJSON *st, *u, *cur = NULL;
	char now[64];

	/* a newer run of the session owns the file (a respawn replaced us) */
	if (gt_runstate_read(&cur, r->ctx->lg->repo, r->session) == 0 && gt_json_str(cur, "run") &&
	    strcmp(gt_json_str(cur, "run"), r->run)) {
		const cJSON *sm = cJSON_GetObjectItemCaseSensitive(cur, "started_ms");

		if (cJSON_IsNumber(sm) && (int64_t)sm->valuedouble >= r->started_ms) {
			cJSON_Delete(cur);
			return;
		}
	}
	gt_error_clear();
	cJSON_Delete(cur);
	st = cJSON_CreateObject();
	u = cJSON_CreateObject();

	gt_time_now(now, sizeof(now));
	gt_json_set_str(st, "run", r->run);
	gt_json_set_str(st, "agent", r->address);
	if (r->bead)
		gt_json_set_str(st, "bead", r->bead);
	gt_json_set_str(st, "runtime", r->rt.name ? r->rt.name : "?");
	if (r->rt.mode)
		gt_json_set_str(st, "mode", r->rt.mode);
	gt_json_set_str(st, "protocol", gt_proto_name(r->rt.proto));
	gt_json_set_int(st, "pid", getpid());
	if (r->child > 0)
		gt_json_set_int(st, "child", r->child);
	gt_json_set_str(st, "status", status);
	if (r->outcome)
		gt_json_set_str(st, "outcome", r->outcome);
	if (r->screen)
		gt_json_set_str(st, "screen", r->screen);
	if (message)
		gt_json_set_str(st, "message", message);
	cJSON_AddNumberToObject(st, "started_ms", (double)r->started_ms);
	gt_json_set_str(st, "updated_at", now);
	if (r->cli_session)
		gt_json_set_str(st, "session", r->cli_session);
	gt_usage_to_json(u, &r->usage);
	cJSON_AddItemToObject(st, "usage", u);
	if (gt_runstate_write(r->ctx->lg->repo, r->session, st) < 0)
		gt_error_clear();
	cJSON_Delete(st);
}

/* End the child's whole tree: its group, then anything still carrying the
 * run's tag (daemons that left the group). */
static void kill_tree(struct gt_runner *r)
{
	struct gt_buf tag = GT_BUF_INIT;

	gt_runner_close(&r->in);
	if (r->child > 0) {
		int st;

		kill(-r->child, SIGTERM);
		for (int i = 0; i < 60; i++) {
			if (waitpid(r->child, &st, WNOHANG) == r->child) {
				r->child = 0;
				break;
			}
			gt_sleep_ms(50);
		}
		if (r->child > 0) {
			kill(-r->child, SIGKILL);
			waitpid(r->child, &st, 0);
			r->child = 0;
		}
	}
	gt_buf_printf(&tag, "GT_RUN_ID=%s", r->run);
	gt_proc_kill_tagged(tag.ptr, SIGKILL);
	gt_buf_release(&tag);
	gt_runner_close(&r->out);
	gt_runner_close(&r->err);
}

/* ---- the agent's environment ---- */

/* What the agent is given: gt's own variables and the basics of a login
 * (from gt-run's environment, which gt-session gave it explicitly), then
 * what the runtime passes (the run's env file), then the run's tag.
 * Nothing else the tmux server happens to hold. */
static const char *const keep_vars[] = { "PATH",      "HOME",	     "LANG",	 "LANGUAGE",
					 "TERM",      "COLORTERM",   "USER",	 "LOGNAME",
					 "SHELL",     "TMPDIR",	     "TZ",	 "TMUX",
					 "TMUX_PANE", "TMUX_TMPDIR", "NO_COLOR", NULL };

static int keep_var(const char *entry)
{
	size_t n = strcspn(entry, "=");

	if (!strncmp(entry, "GT_", 3) || !strncmp(entry, "LC_", 3) ||
	    !strncmp(entry, "GIT_AUTHOR_", 11) || !strncmp(entry, "GIT_COMMITTER_", 14))
		return 1;
	for (size_t i = 0; keep_vars[i]; i++)
		if (strlen(keep_vars[i]) == n && !strncmp(entry, keep_vars[i], n))
			return 1;
	return 0;
}

static void set_env(struct gt_strlist *env, const char *entry)
{
	size_t n = strcspn(entry, "=");

	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], entry, n) && env->v[i][n] == '=') {
			free((char *)env->v[i]);
			env->v[i] = gt_strdup(entry);
			return;
		}
	gt_strlist_push_dup(env, entry);
}

/* The environment of the current runtime's agent, made afresh for each
 * attempt: a fallback runtime gets its own variables, never the others'. */
static void build_env(struct gt_runner *r, const struct gt_strlist *passed)
{
	struct gt_buf b = GT_BUF_INIT;

	gt_strlist_release_wiped(&r->env);
	memset(&r->env, 0, sizeof(r->env));
	for (char **e = environ; e && *e; e++)
		if (keep_var(*e))
			set_env(&r->env, *e);
	for (size_t i = 0; i < passed->n; i++) {
		gt_buf_reset(&b);
		gt_buf_add(&b, passed->v[i], strcspn(passed->v[i], "="));
		if (gt_runtime_passes(&r->rt, b.ptr))
			set_env(&r->env, passed->v[i]);
	}
	if (r->rt.env_file) {
		/* runtime.NAME.env-file: how a restart by a monitor gets keys */
		struct gt_buf d = GT_BUF_INIT;

		if (gt_read_file(&d, r->rt.env_file) == 0) {
			for (char *line = d.ptr, *nl; line && *line; line = nl ? nl + 1 : NULL) {
				nl = strchr(line, '\n');
				if (nl)
					*nl = '\0';
				while (*line == ' ' || *line == '\t')
					line++;
				if (!strncmp(line, "export ", 7))
					line += 7;
				if (*line && *line != '#' && strchr(line, '=') != NULL &&
				    strchr(line, '=') != line)
					set_env(&r->env, line);
			}
			memset(d.ptr, 0, d.len);
		} else {
			gtsay(r, "cannot read runtime.%s.env-file: %s", r->rt.name,
			      gt_error_last());
			gt_error_clear();
		}
		gt_buf_release(&d);
	}
	for (size_t i = 0; i < r->rt.set_env.n; i++)
		set_env(&r->env, r->rt.set_env.v[i]);
	if (geteuid() == 0)
		for (size_t i = 0; i < r->rt.root_env.n; i++)
			set_env(&r->env, r->rt.root_env.v[i]);
	gt_buf_reset(&b);
	gt_buf_printf(&b, "GT_RUN_ID=%s", r->run);
	set_env(&r->env, b.ptr);
	gt_strlist_push(&r->env, NULL);
	r->env.n--;
	gt_buf_release(&b);
}

/* ---- the ledger's view ---- */

/* Whether the agent still holds the bead it started with: 1 yes, 0 no
 * (gt-done ran, or it was taken away), -1 when the ledger cannot tell. */
static int still_hooked(struct gt_runner *r)
{
	cJSON *a = NULL;
	const char *hook;
	int held;

	if (!r->bead)
		return 1;
	if (gt_ledger_refresh(r->ctx->lg) < 0 || gt_agent_read(&a, r->ctx->lg, r->address) < 0) {
		gt_error_clear();
		return -1;
	}
	hook = gt_json_str(a, "hook");
	held = hook && !strcmp(hook, r->bead);
	cJSON_Delete(a);
	return held;
}

/* Queued nudges as one text (NULL when none). */
static char *take_nudges(struct gt_runner *r)
{
	cJSON *arr = NULL, *it;
	struct gt_buf b = GT_BUF_INIT;

	if (gt_nudge_drain(&arr, r->ctx->lg->repo, r->session) < 0) {
		gt_error_clear();
		return NULL;
	}
	cJSON_ArrayForEach (it, arr) {
		const char *from = gt_json_str(it, "from"), *text = gt_json_str(it, "text");

		if (text)
			gt_buf_printf(&b, "%s[nudge from %s] %s", b.len ? "\n" : "",
				      from ? from : "someone", text);
	}
	cJSON_Delete(arr);
	return b.len ? gt_buf_detach(&b) : (gt_buf_release(&b), NULL);
}

/* gt-prime's text, for a re-prime after compaction. */
static char *prime_text(struct gt_runner *r)
{
	struct gt_buf out = GT_BUF_INIT, prog = GT_BUF_INIT;
	const char *argv[] = { NULL, NULL };
	struct gt_proc_opts o = { 0 };

	o.cwd = r->workspace;
	o.env = (const char *const *)r->env.v;
	o.out = &out;
	o.quiet = 1;
	gt_buf_printf(&prog, "%s/gt-prime", r->t->bindir && *r->t->bindir ? r->t->bindir : ".");
	argv[0] = prog.ptr;
	if (gt_run(argv, &o, NULL) < 0) {
		gt_error_clear();
		gt_buf_reset(&out);
		gt_buf_adds(&out, "Run gt-prime now to see your work again.");
	}
	gt_buf_release(&prog);
	return gt_buf_detach(&out);
}

/* ---- one attempt with one runtime ---- */

enum outcome { RUN_DONE, RUN_STOPPED, RUN_EXITED, RUN_FAILED, RUN_RATE_LIMITED };

static const char *outcome_name(enum outcome o)
{
	static const char *const n[] = { "done", "stopped", "exited", "failed", "rate-limited" };

	return n[o];
}

static void read_lines(struct gt_runner *r, int *fd, struct gt_buf *buf, int is_err)
{
	char chunk[8192];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			gt_runner_close(fd);
		n = 0;
	}
	gt_buf_add(buf, chunk, (size_t)n);
	for (;;) {
		char *nl = memchr(buf->ptr ? buf->ptr : "", '\n', buf->len);
		size_t len;

		if (!nl && (*fd >= 0 || !buf->len))
			break;
		len = nl ? (size_t)(nl - buf->ptr) : buf->len;
		buf->ptr[len] = '\0';
		if (len) {
			if (is_err) {
				gt_runner_log(r, "stderr", buf->ptr);
				gt_buf_adds(&r->etail, buf->ptr);
				gt_buf_addch(&r->etail, '\n');
				if (r->etail.len > 2000) {
					size_t cut = r->etail.len - 1500;

					memmove(r->etail.ptr, r->etail.ptr + cut,
						r->etail.len - cut + 1);
					r->etail.len -= cut;
				}
			} else {
				gt_runner_log(r, "agent", buf->ptr);
				if (r->ops->line(r, buf->ptr) < 0)
					gt_error_clear();
			}
		}
		if (nl) {
			len++;
			memmove(buf->ptr, buf->ptr + len, buf->len - len + 1);
			buf->len -= len;
		} else {
			gt_buf_reset(buf);
		}
	}
}

/* A line a person typed in the pane (when attached) goes to the agent. */
static char *typed_line(void)
{
	char line[4096];
	ssize_t n = read(0, line, sizeof(line) - 1);

	if (n <= 0)
		return NULL;
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return *line ? gt_strdup(line) : NULL;
}

/* The structured loop until the run is over. */
static enum outcome run_structured(struct gt_runner *r, const char *prompt)
{
	int continuations = 0, tty = isatty(0);
	int64_t last_check = 0;
	char *typed = NULL;
	enum outcome out = RUN_EXITED;

	gt_proto_release(r); /* a fallback's protocol may not be the last one's */
	r->ops = gt_proto_ops(r->rt.proto);
	r->turn_active = 1;
	if (r->ops->start(r, prompt) < 0) {
		gt_runner_error(r, gt_error_last());
		gt_error_clear();
		return RUN_FAILED;
	}
	state(r, "running", NULL);
	for (;;) {
		struct pollfd p[3];
		int n = 0, status;

		if (stop_sig)
			return RUN_STOPPED;
		if (r->out >= 0)
			p[n++] = (struct pollfd){ r->out, POLLIN, 0 };
		if (r->err >= 0)
			p[n++] = (struct pollfd){ r->err, POLLIN, 0 };
		if (tty)
			p[n++] = (struct pollfd){ 0, POLLIN, 0 };
		if (poll(p, (nfds_t)n, 500) > 0) {
			for (int i = 0; i < n; i++) {
				if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
					continue;
				if (p[i].fd == r->out)
					read_lines(r, &r->out, &r->obuf, 0);
				else if (p[i].fd == r->err)
					read_lines(r, &r->err, &r->ebuf, 1);
				else if (p[i].fd == 0) {
					char *l = typed_line();

					if (l && typed) {
						free(typed);
					}
					if (l)
						typed = l;
					else if (p[i].revents & POLLHUP)
						tty = 0;
				}
			}
		}
		if (r->rate_limited)
			return RUN_RATE_LIMITED;
		/* the child's exit, once its output is read */
		if (r->child > 0 && r->out < 0 && r->err < 0 &&
		    waitpid(r->child, &status, WNOHANG) == r->child) {
			int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

			r->child = 0;
			gt_runner_close(&r->in);
			if (r->rate_limited)
				return RUN_RATE_LIMITED;
			if (!r->ops->exited(r, code)) {
				if (still_hooked(r) == 0)
					return RUN_DONE;
				if (code != 0 || r->failed) {
					if (!r->failed) {
						struct gt_buf m = GT_BUF_INIT;

						gt_buf_printf(&m, "%s exited with status %d%s%s",
							      r->rt.name, code,
							      r->etail.len ? ": " : "",
							      r->etail.len ? r->etail.ptr : "");
						gt_runner_error(r, m.ptr);
						gt_buf_release(&m);
					}
					return RUN_FAILED;
				}
				return RUN_EXITED;
			}
			r->turn_active = 0;
			if (!r->turn_ended && r->failed)
				return RUN_FAILED;
		}
		if (r->turn_ended && !(r->rt.proto == GT_PROTO_CODEX && r->child > 0)) {
			int held = still_hooked(r);

			r->turn_ended = 0;
			state(r, "idle", NULL);
			if (r->failed && !r->rate_limited && held != 0)
				return RUN_FAILED;
			r->failed = 0;
			if (held == 0 && !strcmp(r->role, "polecat"))
				return RUN_DONE;
			if (r->compacted) {
				char *pt = prime_text(r);
				struct gt_buf m = GT_BUF_INIT;

				r->compacted = 0;
				gt_buf_printf(&m,
					      "Your context was compacted. This is your work "
					      "again (gt-prime):\n%s",
					      pt);
				gtsay(r, "context compacted: primed again");
				r->turn_active = 1;
				if (r->ops->send(r, m.ptr) < 0)
					gt_error_clear();
				free(pt);
				gt_buf_release(&m);
				continue;
			}
			last_check = 0; /* look for nudges now */
			if (held > 0 && r->bead && !strcmp(r->role, "polecat") &&
			    continuations < 2) {
				char *nudges = take_nudges(r);
				struct gt_buf m = GT_BUF_INIT;

				continuations++;
				if (nudges)
					gt_buf_printf(&m, "%s\n", nudges);
				gt_buf_printf(&m,
					      "%s is still on your hook. Go on with it; when it "
					      "is finished, run gt-done.",
					      r->bead);
				gtsay(r, "turn ended with %s still hooked: told to go on", r->bead);
				r->turn_active = 1;
				if (r->ops->send(r, m.ptr) < 0)
					gt_error_clear();
				free(nudges);
				gt_buf_release(&m);
				continue;
			}
		}
		if (!r->turn_active && !(r->rt.proto == GT_PROTO_CODEX && r->child > 0) &&
		    (typed || gt_runner_now_ms() - last_check >= 1000)) {
			char *text = typed ? typed : take_nudges(r);

			typed = NULL;
			last_check = gt_runner_now_ms();
			if (text) {
				gtsay(r, "delivering: %.*s", (int)strcspn(text, "\n"), text);
				r->turn_active = 1;
				state(r, "running", NULL);
				if (r->ops->send(r, text) < 0) {
					gt_runner_error(r, gt_error_last());
					gt_error_clear();
					free(text);
					return RUN_FAILED;
				}
				free(text);
			}
		}
		if (r->child <= 0 && r->out < 0 && !r->turn_active &&
		    r->rt.proto != GT_PROTO_CODEX && r->rt.proto != GT_PROTO_OPENAI)
			return out;
	}
}

/* ---- the HTTP runtime ---- */

struct oai_ud {
	struct gt_runner *r;
};

static void oai_emit(void *ud, const char *kind, const char *text)
{
	struct gt_runner *r = ((struct oai_ud *)ud)->r;

	gt_runner_log(r, kind, text);
	if (!strcmp(kind, "assistant"))
		gt_runner_show(r, "agent", text);
	else if (!strcmp(kind, "tool_call"))
		gt_runner_show(r, "tool", text);
	else if (!strcmp(kind, "tool_result"))
		gt_runner_show(r, "result", text);
	else if (!strcmp(kind, "retry"))
		gt_runner_show(r, "gt", text);
}

static char *oai_input(void *ud)
{
	struct gt_runner *r = ((struct oai_ud *)ud)->r;

	return stop_sig ? NULL : take_nudges(r);
}

static char *read_key(const struct gt_runtime *rt)
{
	if (rt->key_env && getenv(rt->key_env) && *getenv(rt->key_env))
		return gt_strdup(getenv(rt->key_env));
	if (rt->key_file) {
		struct gt_buf d = GT_BUF_INIT;

		if (gt_read_file(&d, rt->key_file) == 0) {
			d.len = strcspn(d.ptr, "\r\n");
			d.ptr[d.len] = '\0';
			return gt_buf_detach(&d);
		}
		gt_error_clear();
		gt_buf_release(&d);
	}
	return NULL;
}

static enum outcome run_openai(struct gt_runner *r, const char *prompt)
{
	struct gt_oai_config c = { 0 };
	struct gt_oai *s = NULL;
	struct gt_oai_result res = GT_OAI_RESULT_INIT;
	struct oai_ud ud = { r };
	struct gt_strlist tools = { 0 }, allow = { 0 }, tenv = { 0 };
	char *key = NULL, *text = NULL;
	enum outcome out = RUN_EXITED;
	struct gt_buf sys = GT_BUF_INIT;
	const struct gt_oai_usage *u;
	int continuations = 0;

	/* the key: the variable the runtime names, passed like any other */
	for (size_t i = 0; r->rt.key_env && i < r->env.n; i++) {
		size_t n = strlen(r->rt.key_env);

		if (!strncmp(r->env.v[i], r->rt.key_env, n) && r->env.v[i][n] == '=')
			key = gt_strdup(r->env.v[i] + n + 1);
	}
	if (!key)
		key = read_key(&r->rt);
	{
		/* runtime.NAME.tools-ROLE narrows the tools for a role */
		struct gt_buf k = GT_BUF_INIT;
		char *v;

		gt_buf_printf(&k, "runtime.%s.tools-%s", r->rt.name, r->role);
		if ((v = gt_config_get(r->ctx->cfg, k.ptr))) {
			gt_strlist_release_owned(&r->rt.tools);
			memset(&r->rt.tools, 0, sizeof(r->rt.tools));
			gt_runtime_chain(&r->rt.tools, v);
			free(v);
		}
		gt_buf_release(&k);
	}
	for (size_t i = 0; i < r->rt.tools.n; i++)
		gt_strlist_push(&tools, r->rt.tools.v[i]);
	gt_strlist_push(&tools, NULL);
	for (size_t i = 0; i < r->rt.shell_allow.n; i++)
		gt_strlist_push(&allow, r->rt.shell_allow.v[i]);
	gt_strlist_push(&allow, NULL);
	c.base_url = r->rt.base_url;
	c.model = r->rt.model;
	c.api_key = key;
	c.workspace = r->workspace;
	c.tools_allow = r->rt.tools.n ? (const char *const *)tools.v : NULL;
	c.shell_allow = (const char *const *)allow.v;
	/* the tools' commands never see the key */
	for (size_t i = 0; i < r->env.n; i++) {
		size_t n = r->rt.key_env ? strlen(r->rt.key_env) : 0;

		if (!n || strncmp(r->env.v[i], r->rt.key_env, n) || r->env.v[i][n] != '=')
			gt_strlist_push(&tenv, r->env.v[i]);
	}
	if (r->rt.key_env)
		gt_strlist_push(&tenv, r->rt.key_env);
	gt_strlist_push(&tenv, NULL);
	c.env = (const char *const *)tenv.v;
	c.stream = 1;
	c.timeout_ms = 300000;
	c.max_retries = 4;
	c.max_wait_ms = 60000;
	c.max_requests = 60;
	gt_buf_printf(&sys,
		      "You are %s, a coding agent run by gt in the workspace %s. Use the "
		      "tools to read and change files and to run commands; use prime to see "
		      "your work and done when it is finished.",
		      r->address, r->workspace ? r->workspace : ".");
	if (gt_oai_new(&s, &c, sys.ptr) < 0) {
		gt_runner_error(r, gt_error_last());
		gt_error_clear();
		out = RUN_FAILED;
		goto end;
	}
	state(r, "running", NULL);
	text = gt_strdup(prompt);
	while (text && !stop_sig) {
		struct gt_usage before = r->usage;

		gt_oai_result_release(&res);
		r->turn_active = 1;
		if (gt_oai_turn(s, text, oai_emit, oai_input, &ud, &res) < 0)
			gt_error_clear(); /* res says what happened */
		free(text);
		text = NULL;
		u = gt_oai_usage(s);
		r->usage.tokens_in = u->tokens_in;
		r->usage.tokens_out = u->tokens_out;
		r->usage.cache_read = u->cache_read;
		r->usage.turns = before.turns;
		gt_runner_turn_end(r);
		r->turn_ended = 0;
		if (res.end == GT_OAI_RATE_LIMITED) {
			gt_runner_rate_limited(r,
					       res.retry_after_ms > 0
						       ? gt_runner_now_ms() + res.retry_after_ms
						       : 0,
					       res.message.len ? res.message.ptr : "rate limited");
			out = RUN_RATE_LIMITED;
			break;
		}
		if (res.end == GT_OAI_ERROR || res.end == GT_OAI_MAX_REQUESTS) {
			gt_runner_error(r, res.message.len ? res.message.ptr : "error");
			out = RUN_FAILED;
			break;
		}
		if (still_hooked(r) == 0 && !strcmp(r->role, "polecat")) {
			out = RUN_DONE;
			break;
		}
		state(r, "idle", NULL);
		if (r->bead && !strcmp(r->role, "polecat") && continuations++ < 2) {
			struct gt_buf m = GT_BUF_INIT;

			gt_buf_printf(&m,
				      "%s is still on your hook. Go on with it; when it is "
				      "finished, call done.",
				      r->bead);
			text = gt_buf_detach(&m);
			continue;
		}
		/* idle: wait for a nudge */
		while (!stop_sig && !(text = take_nudges(r)))
			gt_sleep_ms(500);
	}
	if (stop_sig)
		out = RUN_STOPPED;
end:
	free(text);
	if (key) {
		memset(key, 0, strlen(key));
		free(key);
	}
	gt_oai_result_release(&res);
	gt_buf_release(&sys);
	gt_strlist_release(&tools);
	gt_strlist_release(&allow);
	gt_strlist_release(&tenv);
	gt_oai_free(s);
	return out;
}

/* ---- interactive runtimes ---- */

static enum outcome run_tty(struct gt_runner *r, const char *prompt, int *code)
{
	struct gt_strlist argv = { 0 };
	pid_t pid;
	int status = 0, tty = isatty(0);
	int64_t t0 = gt_runner_now_ms();
	enum outcome out;

	*code = 0;
	if (gt_worker_argv(&argv, r->ctx, r->t, r->agent, &r->rt, r->cli_session, prompt) < 0) {
		gt_runner_error(r, gt_error_last());
		gt_error_clear();
		gt_strlist_release_owned(&argv);
		return RUN_FAILED;
	}
	gt_strlist_push(&argv, NULL);
	fflush(NULL);
	if ((pid = fork()) < 0) {
		gt_runner_error(r, strerror(errno));
		gt_strlist_release_owned(&argv);
		return RUN_FAILED;
	}
	if (pid == 0) {
		setpgid(0, 0);
		if (tty) {
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(0, getpid());
			signal(SIGTTOU, SIG_DFL);
		}
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		environ = (char **)r->env.v;
		execvp(argv.v[0], (char *const *)argv.v);
		fprintf(stderr, "gt-run: cannot run %s: %s\n", argv.v[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	if (tty) {
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(0, pid);
	}
	r->child = pid;
	state(r, "running", NULL);
	gt_strlist_release_owned(&argv);
	for (;;) {
		pid_t w = waitpid(pid, &status, 0);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			break;
		if (stop_sig) {
			kill_tree(r);
			return RUN_STOPPED;
		}
	}
	r->child = 0;
	if (tty)
		tcsetpgrp(0, getpgrp());
	*code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (still_hooked(r) == 0)
		out = RUN_DONE;
	else if (*code != 0)
		out = RUN_FAILED;
	else
		out = RUN_EXITED;
	if (*code != 0) {
		struct gt_buf m = GT_BUF_INIT;

		gt_buf_printf(&m, "%s exited with status %d after %.1fs", r->rt.name, *code,
			      (double)(gt_runner_now_ms() - t0) / 1000);
		if (out == RUN_FAILED)
			gt_runner_error(r, m.ptr);
		gt_buf_release(&m);
	}
	return out;
}

/* The last lines of our own pane, kept in the state: the session ends
 * with us, and whoever started the run wants to know what it said. */
static void own_screen(struct gt_runner *r)
{
	const char *pane = getenv("TMUX_PANE");
	const char *argv[] = { "tmux", "capture-pane", "-p", "-J", "-t", pane, "-S", "-30", NULL };
	struct gt_buf out = GT_BUF_INIT;
	struct gt_proc_opts o = { 0 };

	if (!pane || !*pane || !getenv("TMUX"))
		return;
	o.out = &out;
	o.quiet = 1;
	if (gt_run(argv, &o, NULL) == 0) {
		while (out.len && (out.ptr[out.len - 1] == '\n' || out.ptr[out.len - 1] == ' '))
			out.ptr[--out.len] = '\0';
		free(r->screen);
		r->screen = gt_buf_detach(&out);
	}
	gt_error_clear();
	gt_buf_release(&out);
}

/* ---- records ---- */

static void record(struct gt_runner *r, enum outcome o, int attempt, int64_t t0)
{
	cJSON *rec = cJSON_CreateObject();
	char start[64], end[64];
	struct gt_buf b = GT_BUF_INIT, path = GT_BUF_INIT;
	struct gt_usage u = r->usage;

	gt_time_seconds(start, sizeof(start), t0 / 1000);
	gt_time_seconds(end, sizeof(end), gt_runner_now_ms() / 1000);
	u.runs = 1;
	u.duration_ms = gt_runner_now_ms() - t0;
	gt_json_set_str(rec, "run", r->run);
	if (attempt > 1)
		gt_json_set_int(rec, "attempt", attempt);
	gt_json_set_str(rec, "agent", r->address);
	if (r->bead)
		gt_json_set_str(rec, "bead", r->bead);
	gt_json_set_str(rec, "runtime", r->rt.name);
	if (r->rt.mode)
		gt_json_set_str(rec, "mode", r->rt.mode);
	gt_json_set_str(rec, "started_at", start);
	gt_json_set_str(rec, "ended_at", end);
	gt_usage_to_json(rec, &u);
	gt_json_del(rec, "runs");
	gt_json_set_str(rec, "exit", outcome_name(o));
	if (r->error.len && o != RUN_DONE)
		gt_json_set_str(rec, "error", r->error.ptr);
	if (r->cli_session)
		gt_json_set_str(rec, "session", r->cli_session);
	if (gt_usage_record(r->ctx, r->bead, r->address, rec) < 0) {
		gtsay(r, "cannot record the run: %s", gt_error_last());
		gt_error_clear();
	}
	if (r->dir) {
		gt_json_write(&b, rec);
		gt_buf_addch(&b, '\n');
		gt_buf_printf(&path, "%s/record.json", r->dir);
		gt_write_file_atomic(path.ptr, b.ptr, b.len);
		gt_buf_reset(&path);
		gt_buf_printf(&path, "%s/summary.txt", r->dir);
		gt_buf_reset(&b);
		gt_buf_printf(&b, "run %s of %s (%s, %s): %s%s%s\n", r->run, r->address, r->rt.name,
			      r->rt.mode ? r->rt.mode : "?", outcome_name(o),
			      r->error.len ? ": " : "", r->error.len ? r->error.ptr : "");
		if (r->said.len)
			gt_buf_printf(&b, "what it said last:\n%s", r->said.ptr);
		gt_write_file_atomic(path.ptr, b.ptr, b.len);
		gt_error_clear();
	}
	{
		struct gt_buf m = GT_BUF_INIT;

		gt_buf_printf(&m, "run %s: %lld in, %lld out, %lld cached", outcome_name(o),
			      (long long)u.tokens_in, (long long)u.tokens_out,
			      (long long)u.cache_read);
		if (u.cost_usd >= 0)
			gt_buf_printf(&m, ", $%.4f", u.cost_usd);
		gt_buf_printf(&m, ", %lld turn(s), %.1fs", (long long)u.turns,
			      (double)u.duration_ms / 1000);
		gtsay(r, "%s", m.ptr);
		gt_buf_release(&m);
	}
	cJSON_Delete(rec);
	gt_buf_release(&b);
	gt_buf_release(&path);
}

/* Sleep until ms (epoch) or a signal; 0 when woken by a signal. */
static int sleep_until(int64_t until)
{
	while (!stop_sig && gt_runner_now_ms() < until) {
		int64_t left = until - gt_runner_now_ms();

		gt_sleep_ms(left > 500 ? 500 : left);
	}
	return !stop_sig;
}

static int64_t setting_ms(struct gt_runner *r, const char *key, const char *dflt)
{
	char *v = gt_rig_setting(r->ctx, r->rig, key, dflt);
	int64_t ms = 0;

	if (!v || gt_duration_parse(&ms, v, key) < 0) {
		gt_error_clear();
		gt_duration_parse(&ms, dflt, key);
	}
	free(v);
	return ms;
}

static int load_runtime(struct gt_runner *r, const char *name)
{
	gt_runtime_release(&r->rt);
	return gt_runtime_load(&r->rt, r->ctx, r->rig, name);
}

static void reset_attempt(struct gt_runner *r)
{
	kill_tree(r);
	gt_usage_init(&r->usage);
	r->usage.cost_usd = -1;
	r->turn_active = r->turn_ended = r->rate_limited = r->failed = r->compacted = 0;
	r->retry_at_ms = 0;
	gt_buf_reset(&r->error);
	gt_buf_reset(&r->etail);
	free(r->cli_session);
	r->cli_session = NULL;
}

int gt_runner_main(int *status, struct gt_ctx *ctx, struct gt_town *t, const char *run)
{
	struct gt_runner r = { 0 };
	struct gt_strlist passed = { 0 };
	struct gt_buf b = GT_BUF_INIT, prompt = GT_BUF_INIT;
	const char *address = getenv("GT_AGENT");
	int64_t max_attempts = 3;
	int rc = 0, attempt = 0, limited = 0, failures = 0;
	enum outcome o = RUN_EXITED;
	struct sigaction sa;
	char *resume = NULL;

	*status = 1;
	r.ctx = ctx;
	r.t = t;
	r.in = r.out = r.err = -1;
	r.run = gt_strdup(run);
	r.started_ms = gt_runner_now_ms();
	gt_usage_init(&r.usage);
	if (gt_runenv_take(&passed, ctx->lg->repo, run) < 0)
		gt_error_clear(); /* a run restarted by hand: nothing passed */
	if (!address || !*address) {
		rc = gt_error_set(GT_EUSAGE,
				  "GT_AGENT is not set: gt-run runs in an agent's session");
		goto out;
	}
	if ((rc = gt_agent_read(&r.agent, ctx->lg, address)) < 0)
		goto out;
	r.address = gt_strdup(address);
	r.role = gt_strdup(gt_json_str(r.agent, "role") ? gt_json_str(r.agent, "role") : "polecat");
	r.rig = gt_json_str(r.agent, "rig") ? gt_strdup(gt_json_str(r.agent, "rig")) : NULL;
	if (gt_json_str(r.agent, "hook") && *gt_json_str(r.agent, "hook"))
		r.bead = gt_strdup(gt_json_str(r.agent, "hook"));
	if (gt_json_str(r.agent, "workspace"))
		r.workspace = gt_strdup(gt_json_str(r.agent, "workspace"));
	gt_session_name(&b, address);
	r.session = gt_buf_detach(&b);
	if (gt_run_dir(&b, ctx->lg->repo, run, 1) == 0) {
		r.dir = gt_strdup(b.ptr);
		gt_buf_adds(&b, "/transcript.jsonl");
		r.transcript = fopen(b.ptr, "a");
	}
	gt_error_clear();
	{
		char *spec = gt_rig_setting(ctx, r.rig, "agent", "claude");
		const char *first = gt_json_str(r.agent, "runtime");

		gt_strlist_push_dup(&r.chain, first ? first : "claude");
		gt_runtime_chain(&r.chain, spec);
		free(spec);
		spec = gt_rig_setting(ctx, r.rig, "max-attempts", "3");
		max_attempts = strtol(spec ? spec : "3", NULL, 10);
		if (max_attempts < 1)
			max_attempts = 1;
		free(spec);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = load_runtime(&r, r.chain.v[0])) < 0)
		goto out;
	gt_worker_first_prompt(&prompt, r.agent);
	if (strcmp(r.role, "polecat") && r.rt.resume.n) {
		/* crew and mayor go on with their CLI's own conversation */
		cJSON *prev = NULL;
		const cJSON *rec;

		if (gt_run_previous(&prev, ctx->lg->repo, r.address, r.run) == 0 &&
		    (rec = cJSON_GetObjectItemCaseSensitive(prev, "record")) &&
		    gt_json_str(rec, "session") && gt_json_str(rec, "runtime") &&
		    !strcmp(gt_json_str(rec, "runtime"), r.rt.name))
			resume = gt_strdup(gt_json_str(rec, "session"));
		gt_error_clear();
		cJSON_Delete(prev);
	}
	for (;;) {
		int64_t t0 = gt_runner_now_ms();
		int code = 0;

		attempt++;
		reset_attempt(&r);
		build_env(&r, &passed);
		if (resume) {
			r.cli_session = resume;
			resume = NULL;
			gtsay(&r, "resuming %s session %s", r.rt.name, r.cli_session);
		}
		state(&r, "starting", NULL);
		gtsay(&r, "%s: %s (%s, %s mode)%s%s", r.address, r.rt.name,
		      gt_proto_name(r.rt.proto), r.rt.mode ? r.rt.mode : "?", r.bead ? " on " : "",
		      r.bead ? r.bead : "");
		if (r.rt.proto == GT_PROTO_TTY)
			o = run_tty(&r, prompt.ptr, &code);
		else if (r.rt.proto == GT_PROTO_OPENAI)
			o = run_openai(&r, prompt.ptr);
		else
			o = run_structured(&r, prompt.ptr);
		kill_tree(&r);
		if (o == RUN_FAILED && r.error.len)
			gtsay(&r, "%s failed: %s", r.rt.name, r.error.ptr);
		record(&r, o, attempt, t0);
		if (o == RUN_RATE_LIMITED && limited++ < 10) {
			int64_t until = r.retry_at_ms;
			const char *next;

			if (until <= gt_runner_now_ms())
				until = gt_runner_now_ms() +
					setting_ms(&r, "throttle", "60s") * (1 << (limited - 1));
			gt_runtime_throttle(ctx->lg->repo, r.rt.name, until, r.error.ptr);
			next = gt_runtime_pick(ctx->lg->repo, &r.chain);
			gt_buf_reset(&b);
			gt_buf_printf(&b, "%s", next);
			until = gt_runtime_throttled(ctx->lg->repo, b.ptr, NULL);
			if (until) {
				gtsay(&r,
				      "every runtime of the chain is rate-limited: waiting %llds",
				      (long long)((until - gt_runner_now_ms()) / 1000));
				state(&r, "throttled", r.error.ptr);
				if (!sleep_until(until))
					break;
			}
			gtsay(&r, "%s is rate-limited: going on with %s", r.rt.name, b.ptr);
			gt_buf_reset(&prompt);
			gt_worker_first_prompt(&prompt, r.agent);
			if (r.said.len)
				gt_buf_printf(
					&prompt,
					"\n\nA previous attempt (runtime %s) was cut off by a "
					"rate limit before the work was done. Its last "
					"words:\n%s",
					r.rt.name, r.said.ptr);
			if (load_runtime(&r, b.ptr) < 0)
				break;
			continue;
		}
		if (o != RUN_FAILED || !r.bead || strcmp(r.role, "polecat"))
			break;
		failures++;
		/* a crash at start is not retried: whoever started it is told */
		if (attempt == 1 && gt_runner_now_ms() - t0 < r.rt.start_check_ms + 2000)
			break;
		if (failures >= max_attempts) {
			struct gt_escalation e = { "high", NULL, r.bead, NULL, NULL };
			struct gt_buf key = GT_BUF_INIT, title = GT_BUF_INIT, id = GT_BUF_INIT;

			gt_buf_printf(&key, "run:%s:%s", r.address, r.bead);
			gt_buf_printf(&title, "%s failed %s %d times: %s", r.rt.name, r.bead,
				      attempt, r.error.ptr ? r.error.ptr : "error");
			e.key = key.ptr;
			e.title = title.ptr;
			e.body = r.etail.len ? r.etail.ptr : NULL;
			if (gt_witness_release(ctx, r.address, r.bead, r.error.ptr, failures) < 0 ||
			    gt_escalate(&id, NULL, ctx, t, &e) < 0) {
				gtsay(&r, "cannot escalate: %s", gt_error_last());
				gt_error_clear();
			} else {
				gtsay(&r,
				      "gave up after %d failed attempts: %s released, escalated as "
				      "%s",
				      failures, r.bead, id.ptr);
			}
			gt_buf_release(&key);
			gt_buf_release(&title);
			gt_buf_release(&id);
			break;
		}
		{
			int64_t wait = setting_ms(&r, "retry-backoff", "10s") << (failures - 1);

			if (wait > 300000)
				wait = 300000;
			gtsay(&r, "attempt %d of %lld failed: retrying in %llds", failures,
			      (long long)max_attempts, (long long)(wait / 1000));
			state(&r, "retrying", r.error.ptr);
			if (!sleep_until(gt_runner_now_ms() + wait))
				break;
		}
	}
	r.outcome = outcome_name(o);
	if (o == RUN_FAILED)
		own_screen(&r);
	state(&r, "exited", r.error.len ? r.error.ptr : outcome_name(o));
	*status = o == RUN_FAILED ? 1 : 0;
out:
	if (rc < 0) {
		fprintf(stderr, "gt-run: %s\n", gt_error_last());
		if (r.session) {
			r.rt.name = r.rt.name ? r.rt.name : gt_strdup("?");
			state(&r, "exited", gt_error_last());
		}
		*status = 2;
	}
	kill_tree(&r);
	if (r.transcript)
		fclose(r.transcript);
	gt_strlist_release_wiped(&passed);
	gt_strlist_release_wiped(&r.env);
	gt_strlist_release_owned(&r.chain);
	gt_runtime_release(&r.rt);
	gt_proto_release(&r);
	cJSON_Delete(r.agent);
	free(r.address);
	free(r.role);
	free(r.rig);
	free(r.bead);
	free(r.session);
	free(r.run);
	free(r.dir);
	free(r.workspace);
	free(r.cli_session);
	free(r.screen);
	gt_buf_release(&r.obuf);
	gt_buf_release(&r.ebuf);
	gt_buf_release(&r.etail);
	gt_buf_release(&r.error);
	gt_buf_release(&r.said);
	gt_buf_release(&b);
	gt_buf_release(&prompt);
	free(resume);
	return rc;
}
