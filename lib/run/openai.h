/*
 * openai.h - gt's own agent loop for any OpenAI-compatible chat-completions
 * server (llama.cpp's server, vLLM, Ollama, OpenRouter, OpenAI).
 *
 * A session holds the conversation.  A turn sends it to the model, runs the
 * tools the model calls (files confined to one workspace, a shell without a
 * shell for allowed commands only, and gt's own prime, done, bead comments
 * and mail), sends the results back, and repeats until the model answers
 * without calling a tool.  Rate limits, server errors and dropped
 * connections are retried; a long rate limit ends the turn so the caller
 * can come back later (gt_oai_turn() with NULL text picks it up again).
 *
 * The API key goes only into the Authorization header: never into an error
 * message, an event, a command line or the environment of a tool, and any
 * tool output or server message that quotes it has it replaced by
 * "[redacted]".
 */
#ifndef GT_OPENAI_H
#define GT_OPENAI_H

#include "base/buf.h"
#include "base/options.h"

struct gt_oai;

struct gt_oai_config {
	const char *base_url;  /* http://127.0.0.1:8080/v1: POSTs go to .../chat/completions */
	const char *model;     /* required */
	const char *api_key;   /* NULL or "": no Authorization header */
	const char *workspace; /* absolute directory: every file tool is confined to it */
	const char *const *tools_allow; /* NULL-terminated tool names offered; NULL: all */
	/* NULL-terminated allowed command prefixes for the shell tool, each one
	 * or more words that the command's first words must equal ("git",
	 * "make test"); a last word ending in '-' or '*' matches any word
	 * starting with what comes before the '*' ("gt-", "cargo*").  NULL or
	 * empty: the shell tool refuses everything. */
	const char *const *shell_allow;
	/* NAME=VALUE added to the environment of the commands the tools run;
	 * a bare NAME removes the variable (glibc's putenv()): remove the one
	 * the API key came from, so no command can print it.  Added after
	 * GIT_EDITOR=true, GIT_TERMINAL_PROMPT=0, GIT_PAGER=cat, PAGER=cat
	 * (nothing may wait for a person), so they can override those. */
	const char *const *env;
	const char *const *headers; /* more "Name: value" request headers (OpenRouter's) */
	int stream;		    /* 1: "stream": true with stream_options.include_usage */
	long timeout_ms;	    /* per request; <= 0: 10 minutes */
	long connect_timeout_ms;    /* <= 0: 30 s */
	int max_retries;	    /* on 429, 5xx and dropped connections; < 0: 0 */
	long max_wait_ms;	    /* a longer Retry-After on a 429 ends the turn; <= 0: 2 min */
	int max_requests;	    /* per turn, guards endless tool loops; <= 0: 100 */
};

struct gt_oai_usage {
	long long tokens_in, tokens_out, cache_read;
	int requests; /* answered requests (retries of a failed one not counted) */
};

enum gt_oai_end {
	GT_OAI_END_TURN,     /* the model answered without calling a tool */
	GT_OAI_RATE_LIMITED, /* 429 with a long Retry-After, or still after the retries */
	GT_OAI_ERROR,	     /* other HTTP errors, unreadable answers, failures retried out */
	GT_OAI_MAX_REQUESTS, /* max_requests answered in this turn and still calling tools */
};

struct gt_oai_result {
	enum gt_oai_end end;
	long retry_after_ms;   /* for GT_OAI_RATE_LIMITED: how long the server asked to wait */
	struct gt_buf message; /* what went wrong ("" for GT_OAI_END_TURN) */
	char *text;	       /* GT_OAI_END_TURN: the model's last answer (malloc'd) */
};

#define GT_OAI_RESULT_INIT                            \
	{                                             \
		GT_OAI_END_TURN, 0, GT_BUF_INIT, NULL \
	}

void gt_oai_result_release(struct gt_oai_result *res);

/*
 * Events for the transcript and the screen, in order:
 *   "assistant"    the model's text (whole, once per answer that has any)
 *   "tool_call"    JSON {"id","name","arguments"} (arguments as the model sent
 *                  them: an object, or the raw string when it is not JSON)
 *   "tool_result"  the text given back to the model
 *   "retry"        why, and how long until the next try
 *   "usage"        JSON {"tokens_in","tokens_out","cache_read"} of one answer
 *                  and "total" (the session's running totals)
 */
typedef void (*gt_oai_emit_fn)(void *ud, const char *kind, const char *text);
/* Called before each request after the first of a turn: a malloc'd text
 * to add as a new user message (a nudge), or NULL. */
typedef char *(*gt_oai_input_fn)(void *ud);

/* A new session.  Checks the configuration (base_url, model, an existing
 * absolute workspace) and copies everything it needs from c; the system
 * prompt may be NULL.  0, or GT_EUSAGE / GT_ENOTFOUND naming the field. */
int gt_oai_new(struct gt_oai **out, const struct gt_oai_config *c, const char *system_prompt);

/* Run one turn: add user_text (NULL: add nothing, to pick up a turn that
 * ended rate-limited or failed) and talk until the turn ends; res (which
 * must be initialised) says how.  Returns 0 for GT_OAI_END_TURN; otherwise
 * a negative code with the message also in res->message: GT_ETEMP for a
 * rate limit or a server error / dropped connection retried out, GT_EFAIL
 * for other HTTP errors and GT_OAI_MAX_REQUESTS.  emit and input may be
 * NULL.  A tool that fails or is refused is reported to the model; it
 * never ends the turn. */
int gt_oai_turn(struct gt_oai *s, const char *user_text, gt_oai_emit_fn emit, gt_oai_input_fn input,
		void *ud, struct gt_oai_result *res);

/* The session's running totals. */
const struct gt_oai_usage *gt_oai_usage(const struct gt_oai *s);

/* The conversation so far as a JSON array of messages (canonical JSON),
 * appended to out: for saving a transcript or debugging. */
void gt_oai_messages(struct gt_buf *out, const struct gt_oai *s);

void gt_oai_free(struct gt_oai *s);

/*
 * Pieces the loop is made of, public for the tests.
 */

/* Split a command line into words without a shell: blanks separate words;
 * '...' is literal; "..." allows \" \\ \$ \` escapes; a backslash outside
 * quotes escapes the next byte.  Refuses (GT_EINVALID, message saying
 * which character) what only a shell would understand: ; | & > < ` $ ( )
 * outside quotes, $ and ` unescaped inside "...", and an unclosed quote.
 * Words are pushed as copies (free with gt_strlist_release_owned()). */
int gt_oai_split_words(struct gt_strlist *out, const char *line);

/* Whether words (n of them) start with one of the allowed prefixes (see
 * shell_allow): 1 or 0. */
int gt_oai_shell_allowed(const char *const *allow, const char *const *words, size_t n);

/* Resolve path (relative to ws, or absolute) inside the workspace ws (a
 * realpath()ed directory): the deepest existing ancestor is resolved with
 * realpath(), the rest appended.  Puts the absolute path in abs and the
 * path relative to ws in rel ("." for ws itself); either may be NULL.
 * GT_EINVALID for a ".." component, a path that resolves outside ws
 * (through a symbolic link too) or a dangling symbolic link. */
int gt_oai_confine(struct gt_buf *abs, struct gt_buf *rel, const char *ws, const char *path);

#endif
