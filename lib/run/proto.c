/*
 * proto.c - the structured protocols gt-run speaks with agent CLIs.
 *
 * Field names were read off the CLIs themselves, run against a fake
 * provider (tests/fake/samples/, tests/fake/README.md):
 *   claude  `claude -p --input-format stream-json --output-format
 *           stream-json --verbose`: user turns are JSON lines on stdin;
 *           events system(init: session_id; compact_boundary; api_retry:
 *           error_status, retry_delay_ms), assistant (text, tool_use),
 *           user (tool_result), result (usage of the turn, total_cost_usd
 *           of the process so far, is_error, api_error_status).
 *   codex   `codex exec --json PROMPT`, one process per turn, later turns
 *           `exec ... resume THREAD PROMPT`: thread.started (thread_id),
 *           item.completed (agent_message, command_execution, file_change),
 *           turn.completed (usage: input_tokens with cached_input_tokens
 *           inside, output_tokens), turn.failed (error.message), error.
 *   acp     JSON-RPC 2.0 lines: initialize, session/new, session/prompt
 *           (-> stopReason), session/update notifications, and the
 *           agent's session/request_permission, answered with the most
 *           lasting "allow" option offered.  Usage: result.usage when
 *           the agent sends it, else Gemini's _meta.quota.token_count.
 *   pi      `pi --mode rpc`: {"type":"prompt","message":...} in; events
 *           message_end (assistant usage: input, output, cacheRead,
 *           cacheWrite, cost.total), tool_execution_start/end, agent_end.
 * Token counts are kept as "input not read from cache" (tokens_in),
 * cache reads and writes, and output, whatever each CLI calls them.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/options.h"
#include "town/runtime.h"
#include "town/worker.h"
#include "run/io.h"
#include "run/proto.h"
#include "base/banned.h"

static int64_t num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static const cJSON *obj(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* Write o to the agent as one line, and free it. */
static int send_json(struct gt_runner *r, cJSON *o)
{
	struct gt_buf b = GT_BUF_INIT;
	int rc;

	gt_json_write(&b, o);
	rc = gt_runner_write(r, b.ptr);
	cJSON_Delete(o);
	gt_buf_release(&b);
	return rc;
}

/* The tool call as a person reads it: a command, else name + input. */
static void show_call(struct gt_runner *r, const char *name, const cJSON *input)
{
	const char *cmd = gt_json_str(input, "command");
	struct gt_buf b = GT_BUF_INIT;

	if (cmd && cJSON_IsString(obj(input, "command")))
		gt_buf_adds(&b, cmd);
	else {
		gt_buf_printf(&b, "%s ", name ? name : "tool");
		if (input)
			gt_json_write(&b, input);
	}
	gt_runner_show(r, "tool", b.ptr);
	gt_buf_release(&b);
}

static int structured_argv(struct gt_runner *r, struct gt_strlist *argv, const char *prompt)
{
	int rc = gt_worker_argv(argv, r->ctx, r->t, r->agent, &r->rt, r->cli_session, prompt);

	gt_strlist_push(argv, NULL);
	argv->n--;
	return rc;
}

static int spawn(struct gt_runner *r, const char *prompt)
{
	struct gt_strlist argv = { 0 };
	int rc = structured_argv(r, &argv, prompt);

	if (rc == 0)
		rc = gt_runner_spawn(r, (const char *const *)argv.v);
	gt_strlist_release_owned(&argv);
	return rc;
}

static int no_more(struct gt_runner *r, int status)
{
	(void)r;
	(void)status;
	return 0;
}

/* ---- Claude Code, stream-json ---- */

struct claude {
	double cost; /* total_cost_usd of this process so far */
};

static int claude_send(struct gt_runner *r, const char *text)
{
	cJSON *o = cJSON_CreateObject(), *m = cJSON_AddObjectToObject(o, "message");
	cJSON *content = cJSON_AddArrayToObject(m, "content"), *t = cJSON_CreateObject();

	gt_json_set_str(o, "type", "user");
	gt_json_set_str(m, "role", "user");
	gt_json_set_str(t, "type", "text");
	gt_json_set_str(t, "text", text);
	cJSON_AddItemToArray(content, t);
	return send_json(r, o);
}

static int claude_start(struct gt_runner *r, const char *prompt)
{
	int rc;

	r->ps = gt_calloc(1, sizeof(struct claude));
	if ((rc = spawn(r, NULL)) < 0)
		return rc;
	return claude_send(r, prompt);
}

static void claude_blocks(struct gt_runner *r, const cJSON *content, int user)
{
	const cJSON *b;

	if (cJSON_IsString(content)) {
		gt_runner_show(r, user ? "result" : "agent", content->valuestring);
		return;
	}
	cJSON_ArrayForEach (b, content) {
		const char *type = gt_json_str(b, "type");

		if (!type)
			continue;
		if (!strcmp(type, "text"))
			gt_runner_show(r, user ? "result" : "agent", gt_json_str(b, "text"));
		else if (!strcmp(type, "tool_use"))
			show_call(r, gt_json_str(b, "name"), obj(b, "input"));
		else if (!strcmp(type, "tool_result"))
			claude_blocks(r, obj(b, "content"), 1);
	}
}

static int claude_line(struct gt_runner *r, const char *line)
{
	struct claude *c = r->ps;
	cJSON *o = cJSON_Parse(line);
	const char *type = gt_json_str(o, "type"), *sub = gt_json_str(o, "subtype");

	if (!type) {
		cJSON_Delete(o);
		return 0;
	}
	if (gt_json_str(o, "session_id"))
		gt_runner_set_session(r, gt_json_str(o, "session_id"));
	if (!strcmp(type, "system") && sub) {
		if (!strcmp(sub, "compact_boundary"))
			r->compacted = 1;
		else if (!strcmp(sub, "api_retry") && num(o, "error_status") == 429 &&
			 num(o, "attempt") >= 3) {
			/* Claude would go on retrying for minutes: another
			 * runtime of the chain can work meanwhile (its retry
			 * delay is a backoff step, not a reset time) */
			gt_runner_rate_limited(r, 0, "429 rate limit (Claude's retries)");
		}
	} else if (!strcmp(type, "rate_limit_event")) {
		/* a plan's limit: {rate_limit_info: {status, resetsAt}} */
		const cJSON *info = obj(o, "rate_limit_info") ? obj(o, "rate_limit_info") : o;
		const char *st = gt_json_str(info, "status");

		if (st && !strcmp(st, "rejected"))
			gt_runner_rate_limited(r, num(info, "resetsAt") * 1000,
					       "usage limit reached (Claude)");
	} else if (!strcmp(type, "assistant") || !strcmp(type, "user")) {
		claude_blocks(r, obj(obj(o, "message"), "content"), !strcmp(type, "user"));
	} else if (!strcmp(type, "result")) {
		const cJSON *u = obj(o, "usage"), *cost = obj(o, "total_cost_usd");
		const char *text = gt_json_str(o, "result");

		r->usage.tokens_in += num(u, "input_tokens");
		r->usage.tokens_out += num(u, "output_tokens");
		r->usage.cache_read += num(u, "cache_read_input_tokens");
		r->usage.cache_write += num(u, "cache_creation_input_tokens");
		if (cJSON_IsNumber(cost) && cost->valuedouble >= c->cost) {
			r->usage.cost_usd = (r->usage.cost_usd < 0 ? 0 : r->usage.cost_usd) +
					    cost->valuedouble - c->cost;
			c->cost = cost->valuedouble;
		}
		if (cJSON_IsTrue(obj(o, "is_error"))) {
			const char *et = gt_json_str(o, "api_error_type");

			if (num(o, "api_error_status") == 429 || (et && strstr(et, "rate_limit")) ||
			    gt_runner_is_rate_limit(text))
				gt_runner_rate_limited(r, 0, text ? text : "rate limited");
			else
				gt_runner_error(r, text ? text : "error");
		}
		gt_runner_turn_end(r);
	}
	cJSON_Delete(o);
	return 0;
}

/* ---- Codex, exec --json ---- */

struct codex {
	int turn_done, turn_failed;
	/* the thread's usage so far: Codex reports running totals */
	int64_t in, cached, cache_write, out;
};

static int codex_start(struct gt_runner *r, const char *prompt)
{
	struct codex *c = r->ps;
	int rc;

	if (!c)
		r->ps = c = gt_calloc(1, sizeof(*c));
	c->turn_done = c->turn_failed = 0;
	if ((rc = spawn(r, prompt)) == 0)
		gt_runner_close(&r->in); /* it reads stdin to its end otherwise */
	return rc;
}

/* The part of a running total not counted yet. */
static int64_t delta(int64_t *seen, int64_t total)
{
	int64_t d = total > *seen ? total - *seen : 0;

	if (total > *seen)
		*seen = total;
	return d;
}

static int codex_line(struct gt_runner *r, const char *line)
{
	struct codex *c = r->ps;
	cJSON *o = cJSON_Parse(line);
	const char *type = gt_json_str(o, "type");
	const cJSON *item = obj(o, "item");
	const char *it = gt_json_str(item, "type");

	if (!type) {
		cJSON_Delete(o);
		return 0;
	}
	if (!strcmp(type, "thread.started"))
		gt_runner_set_session(r, gt_json_str(o, "thread_id"));
	else if (!strcmp(type, "item.completed") && it) {
		if (!strcmp(it, "agent_message"))
			gt_runner_show(r, "agent", gt_json_str(item, "text"));
		else if (!strcmp(it, "command_execution")) {
			gt_runner_show(r, "tool", gt_json_str(item, "command"));
			gt_runner_show(r, "result", gt_json_str(item, "aggregated_output"));
		} else if (!strcmp(it, "file_change")) {
			gt_runner_show(r, "tool", "(file change)");
		} else if (!strcmp(it, "error")) {
			gt_runner_show(r, "gt", gt_json_str(item, "message"));
		}
	} else if (!strcmp(type, "turn.completed")) {
		const cJSON *u = obj(o, "usage");
		int64_t in = delta(&c->in, num(u, "input_tokens"));
		int64_t cached = delta(&c->cached, num(u, "cached_input_tokens"));

		r->usage.tokens_in += in > cached ? in - cached : 0;
		r->usage.cache_read += cached;
		r->usage.cache_write += delta(&c->cache_write, num(u, "cache_write_input_tokens"));
		r->usage.tokens_out += delta(&c->out, num(u, "output_tokens"));
		c->turn_done = 1;
		gt_runner_turn_end(r);
	} else if (!strcmp(type, "turn.failed") || !strcmp(type, "error")) {
		const char *msg = gt_json_str(obj(o, "error"), "message");

		if (!msg)
			msg = gt_json_str(o, "message");
		if (!strcmp(type, "error")) {
			/* "Reconnecting... n/5": Codex retries by itself */
			gt_runner_show(r, "gt", msg);
		} else {
			c->turn_failed = 1;
			if (gt_runner_is_rate_limit(msg))
				gt_runner_rate_limited(r, 0, msg);
			else
				gt_runner_error(r, msg ? msg : "turn failed");
			gt_runner_turn_end(r);
		}
	}
	cJSON_Delete(o);
	return 0;
}

static int codex_exited(struct gt_runner *r, int status)
{
	struct codex *c = r->ps;

	/* a turn's process ends after its turn: the run goes on (resumed
	 * with the thread id) unless it failed */
	return c && c->turn_done && !c->turn_failed && status == 0;
}

/* ---- ACP ---- */

struct acp {
	long next_id, prompt_id;
	char *session;	     /* the ACP session */
	char *pending;	     /* a prompt waiting for the session */
	struct gt_buf chunk; /* message text not shown yet */
	double cost;	     /* the session's cost so far (usage_update) */
};

static int acp_request(struct gt_runner *r, long id, const char *method, cJSON *params)
{
	cJSON *o = cJSON_CreateObject();

	gt_json_set_str(o, "jsonrpc", "2.0");
	cJSON_AddNumberToObject(o, "id", (double)id);
	gt_json_set_str(o, "method", method);
	cJSON_AddItemToObject(o, "params", params);
	return send_json(r, o);
}

static int acp_prompt(struct gt_runner *r, const char *text)
{
	struct acp *a = r->ps;
	cJSON *p, *arr, *t;

	if (!a->session) {
		free(a->pending);
		a->pending = gt_strdup(text);
		return 0;
	}
	p = cJSON_CreateObject();
	gt_json_set_str(p, "sessionId", a->session);
	arr = cJSON_AddArrayToObject(p, "prompt");
	t = cJSON_CreateObject();
	gt_json_set_str(t, "type", "text");
	gt_json_set_str(t, "text", text);
	cJSON_AddItemToArray(arr, t);
	a->prompt_id = ++a->next_id;
	return acp_request(r, a->prompt_id, "session/prompt", p);
}

static int acp_start(struct gt_runner *r, const char *prompt)
{
	struct acp *a = gt_calloc(1, sizeof(*a));
	cJSON *p, *caps, *fs;
	int rc;

	r->ps = a;
	a->pending = gt_strdup(prompt);
	if ((rc = spawn(r, NULL)) < 0)
		return rc;
	p = cJSON_CreateObject();
	cJSON_AddNumberToObject(p, "protocolVersion", 1);
	caps = cJSON_AddObjectToObject(p, "clientCapabilities");
	fs = cJSON_AddObjectToObject(caps, "fs");
	cJSON_AddFalseToObject(fs, "readTextFile");
	cJSON_AddFalseToObject(fs, "writeTextFile");
	cJSON_AddFalseToObject(caps, "terminal");
	a->next_id = 1;
	return acp_request(r, 1, "initialize", p);
}

static void acp_flush(struct gt_runner *r, struct acp *a)
{
	if (a->chunk.len) {
		gt_runner_show(r, "agent", a->chunk.ptr);
		gt_buf_reset(&a->chunk);
	}
}

/* The agent asks: permissions are granted (the runtime runs unattended
 * in its own worktree), anything else is not offered. */
static void acp_answer(struct gt_runner *r, const cJSON *o)
{
	const char *method = gt_json_str(o, "method");
	cJSON *resp = cJSON_CreateObject();

	gt_json_set_str(resp, "jsonrpc", "2.0");
	cJSON_AddItemToObject(resp, "id", cJSON_Duplicate(obj(o, "id"), 1));
	if (!strcmp(method, "session/request_permission")) {
		const cJSON *opt, *best = NULL;
		cJSON *res = cJSON_AddObjectToObject(resp, "result");
		cJSON *out = cJSON_AddObjectToObject(res, "outcome");

		cJSON_ArrayForEach (opt, obj(obj(o, "params"), "options")) {
			const char *kind = gt_json_str(opt, "kind");

			if (kind && !strcmp(kind, "allow_always"))
				best = opt;
			else if (kind && !strcmp(kind, "allow_once") && !best)
				best = opt;
		}
		if (best) {
			gt_json_set_str(out, "outcome", "selected");
			gt_json_set_str(out, "optionId", gt_json_str(best, "optionId"));
		} else {
			gt_json_set_str(out, "outcome", "cancelled");
		}
	} else {
		cJSON *err = cJSON_AddObjectToObject(resp, "error");

		cJSON_AddNumberToObject(err, "code", -32601);
		gt_json_set_str(err, "message", "method not offered by gt");
	}
	if (send_json(r, resp) < 0)
		gt_error_clear();
}

static void acp_usage(struct gt_runner *r, const cJSON *result)
{
	const cJSON *u = obj(result, "usage");

	if (u) {
		/* inputTokens leaves the cached ones out (opencode: input +
		 * cached read + output = totalTokens) */
		r->usage.tokens_in += num(u, "inputTokens") + num(u, "input_tokens");
		r->usage.cache_read += num(u, "cachedReadTokens") + num(u, "cached_read_tokens");
		r->usage.cache_write += num(u, "cachedWriteTokens");
		r->usage.tokens_out += num(u, "outputTokens") + num(u, "output_tokens");
		return;
	}
	u = obj(obj(obj(result, "_meta"), "quota"), "token_count");
	r->usage.tokens_in += num(u, "input_tokens");
	r->usage.tokens_out += num(u, "output_tokens");
}

static int acp_line(struct gt_runner *r, const char *line)
{
	struct acp *a = r->ps;
	cJSON *o = cJSON_Parse(line);
	const cJSON *id = obj(o, "id");
	const char *method = gt_json_str(o, "method");

	if (!o)
		return 0;
	if (method && id) {
		acp_answer(r, o);
	} else if (method && !strcmp(method, "session/update")) {
		const cJSON *u = obj(obj(o, "params"), "update");
		const char *kind = gt_json_str(u, "sessionUpdate");

		if (kind && !strcmp(kind, "agent_message_chunk")) {
			gt_buf_adds(&a->chunk, gt_json_str(obj(u, "content"), "text")
						       ? gt_json_str(obj(u, "content"), "text")
						       : "");
		} else if (kind && !strcmp(kind, "tool_call")) {
			acp_flush(r, a);
			gt_runner_show(r, "tool", gt_json_str(u, "title"));
		} else if (kind && !strcmp(kind, "usage_update")) {
			const cJSON *cost = obj(obj(u, "cost"), "amount");

			/* the session's cost so far */
			if (cJSON_IsNumber(cost) && cost->valuedouble >= a->cost) {
				r->usage.cost_usd =
					(r->usage.cost_usd < 0 ? 0 : r->usage.cost_usd) +
					cost->valuedouble - a->cost;
				a->cost = cost->valuedouble;
			}
		} else if (kind && !strcmp(kind, "tool_call_update")) {
			const cJSON *c;

			cJSON_ArrayForEach (c, obj(u, "content"))
				gt_runner_show(r, "result", gt_json_str(obj(c, "content"), "text"));
		}
	} else if (cJSON_IsNumber(id)) {
		long n = (long)id->valuedouble;
		const cJSON *err = obj(o, "error"), *res = obj(o, "result");

		if (err) {
			const char *msg = gt_json_str(err, "message");
			struct gt_buf m = GT_BUF_INIT;

			gt_buf_printf(&m, "%s", msg ? msg : "error");
			if (obj(err, "data")) {
				gt_buf_addch(&m, ' ');
				gt_json_write(&m, obj(err, "data"));
			}
			if (gt_runner_is_rate_limit(m.ptr))
				gt_runner_rate_limited(r, 0, m.ptr);
			else
				gt_runner_error(r, m.ptr);
			gt_buf_release(&m);
			if (n == a->prompt_id || n <= 2)
				gt_runner_turn_end(r);
		} else if (n == 1) {
			cJSON *p = cJSON_CreateObject();

			gt_json_set_str(p, "cwd", r->workspace ? r->workspace : ".");
			cJSON_AddArrayToObject(p, "mcpServers");
			a->next_id = 2;
			acp_request(r, 2, "session/new", p);
		} else if (n == 2) {
			free(a->session);
			a->session = gt_strdup(gt_json_str(res, "sessionId"));
			gt_runner_set_session(r, a->session);
			if (a->pending) {
				char *p = a->pending;

				a->pending = NULL;
				acp_prompt(r, p);
				free(p);
			}
		} else if (n == a->prompt_id) {
			const char *stop = gt_json_str(res, "stopReason");

			acp_flush(r, a);
			acp_usage(r, res);
			if (stop && strcmp(stop, "end_turn") && strcmp(stop, "cancelled"))
				gt_runner_show(r, "gt", stop);
			gt_runner_turn_end(r);
		}
	}
	cJSON_Delete(o);
	return 0;
}

/* ---- pi, --mode rpc ---- */

static int pi_send(struct gt_runner *r, const char *text)
{
	cJSON *o = cJSON_CreateObject();

	gt_json_set_str(o, "type", "prompt");
	gt_json_set_str(o, "message", text);
	return send_json(r, o);
}

static int pi_start(struct gt_runner *r, const char *prompt)
{
	int rc = spawn(r, NULL);
	cJSON *o;

	if (rc < 0 || (rc = pi_send(r, prompt)) < 0)
		return rc;
	/* pi names its session only when asked */
	o = cJSON_CreateObject();
	gt_json_set_str(o, "type", "get_state");
	return send_json(r, o);
}

static int pi_line(struct gt_runner *r, const char *line)
{
	cJSON *o = cJSON_Parse(line);
	const char *type = gt_json_str(o, "type");

	if (!type) {
		cJSON_Delete(o);
		return 0;
	}
	if (!strcmp(type, "response") && gt_json_str(o, "command") &&
	    !strcmp(gt_json_str(o, "command"), "get_state")) {
		gt_runner_set_session(r, gt_json_str(obj(o, "data"), "sessionId"));
	} else if (!strcmp(type, "response") && cJSON_IsFalse(obj(o, "success"))) {
		const char *msg = gt_json_str(o, "error");

		gt_runner_error(r, msg ? msg : "pi refused the command");
		gt_runner_turn_end(r);
	} else if (!strcmp(type, "message_end")) {
		const cJSON *m = obj(o, "message"), *c;
		const char *role = gt_json_str(m, "role");

		if (role && !strcmp(role, "assistant")) {
			const cJSON *u = obj(m, "usage"), *cost = obj(obj(u, "cost"), "total");
			const char *stop = gt_json_str(m, "stopReason");

			r->usage.tokens_in += num(u, "input");
			r->usage.tokens_out += num(u, "output");
			r->usage.cache_read += num(u, "cacheRead");
			r->usage.cache_write += num(u, "cacheWrite");
			if (cJSON_IsNumber(cost))
				r->usage.cost_usd =
					(r->usage.cost_usd < 0 ? 0 : r->usage.cost_usd) +
					cost->valuedouble;
			cJSON_ArrayForEach (c, obj(m, "content"))
				if (gt_json_str(c, "type") &&
				    !strcmp(gt_json_str(c, "type"), "text"))
					gt_runner_show(r, "agent", gt_json_str(c, "text"));
			if (stop && !strcmp(stop, "error")) {
				const char *msg = gt_json_str(m, "errorMessage");

				if (gt_runner_is_rate_limit(msg))
					gt_runner_rate_limited(r, 0, msg);
				else
					gt_runner_error(r, msg ? msg : "error");
			}
		}
	} else if (!strcmp(type, "tool_execution_start")) {
		show_call(r, gt_json_str(o, "toolName"), obj(o, "args"));
	} else if (!strcmp(type, "tool_execution_end")) {
		const cJSON *res = obj(o, "result"), *c;

		cJSON_ArrayForEach (c, obj(res, "content"))
			gt_runner_show(r, "result", gt_json_str(c, "text"));
	} else if (!strcmp(type, "agent_end")) {
		gt_runner_turn_end(r);
	} else if (!strcmp(type, "compaction_end") || !strcmp(type, "auto_compaction_end")) {
		r->compacted = 1;
	}
	cJSON_Delete(o);
	return 0;
}

/* ---- the table ---- */

static const struct gt_proto_ops claude_ops = { claude_start, claude_send, claude_line, no_more };
static const struct gt_proto_ops codex_ops = { codex_start, codex_start, codex_line, codex_exited };
static const struct gt_proto_ops acp_ops = { acp_start, acp_prompt, acp_line, no_more };
static const struct gt_proto_ops pi_ops = { pi_start, pi_send, pi_line, no_more };

void gt_proto_release(struct gt_runner *r)
{
	if (r->ps && r->ops == &acp_ops) {
		struct acp *a = r->ps;

		free(a->session);
		free(a->pending);
		gt_buf_release(&a->chunk);
	}
	free(r->ps);
	r->ps = NULL;
}

const struct gt_proto_ops *gt_proto_ops(enum gt_proto p)
{
	switch (p) {
	case GT_PROTO_CLAUDE: return &claude_ops;
	case GT_PROTO_CODEX: return &codex_ops;
	case GT_PROTO_ACP: return &acp_ops;
	case GT_PROTO_PI: return &pi_ops;
	default: return NULL;
	}
}
