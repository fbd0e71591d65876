/*
 * runtime.h - agent runtimes as data: how to start each agent CLI, talk to
 * it, see that it is ready or stuck, and what it may see of the
 * environment (gt-runtime(5)).
 *
 * A runtime is a TOML file, NAME.toml, found first in
 * <town>/<rig>/runtimes/, then <town>/runtimes/, then the shipped ones
 * (<bindir>/../share/gt/runtimes, <bindir>/../runtimes, DATADIR/runtimes).
 * It names a default mode and describes each mode under [modes.MODE]:
 * the protocol gt speaks (tty: a terminal program in the pane; claude,
 * codex, acp, pi, openai: structured, gt-run(1) is the agent's parent),
 * the command, how the first prompt goes in, ready text, dialogs, trust.
 * Configuration is laid over the file, git-config style:
 *   runtime.<name>.mode        which [modes.X] to use
 *   runtime.<name>.command     the command line (words, "quotes" allowed)
 *   runtime.<name>.prompt      arg | flag:<FLAG> | nudge | none
 *   runtime.<name>.ready       text a pane line starts with when idle
 *   runtime.<name>.process     process names (comma-separated)
 *   runtime.<name>.env         more variable names (or NAME_* globs) to pass
 *   runtime.<name>.env-file    a file of NAME=VALUE lines given to the agent
 *   runtime.<name>.model, .base-url, .key-env, .key-file, .tools,
 *   .shell-allow              (openai)
 * A name with only runtime.<name>.command configured is a tty runtime.
 */
#ifndef GT_RUNTIME_H
#define GT_RUNTIME_H

#include "base/buf.h"
#include "base/options.h"
#include <stdint.h>

#include "store/ops.h"
#include "store/repo.h"

enum gt_prompt_mode {
	GT_PROMPT_ARG,	 /* last positional argument */
	GT_PROMPT_FLAG,	 /* prompt_flag then the text */
	GT_PROMPT_NUDGE, /* typed into the pane once it is ready */
	GT_PROMPT_NONE,	 /* the agent reads gt-prime itself */
};

enum gt_hook_kind {
	GT_HOOK_NONE,
	GT_HOOK_CLAUDE, /* --settings FILE with SessionStart/PreCompact hooks */
};

/* What gt speaks with the agent. */
enum gt_proto {
	GT_PROTO_TTY,	 /* a terminal program in the pane */
	GT_PROTO_CLAUDE, /* claude -p, stream-json both ways */
	GT_PROTO_CODEX,	 /* codex exec --json, one process per turn */
	GT_PROTO_ACP,	 /* Agent Client Protocol, JSON-RPC on stdio */
	GT_PROTO_PI,	 /* pi --mode rpc */
	GT_PROTO_OPENAI, /* gt's own loop over chat completions */
};

struct gt_runtime_dialog {
	char *name, *text;
};

struct gt_runtime {
	char *name;
	char *mode; /* the [modes.X] in use */
	char *file; /* the TOML file, or NULL when only configured */
	char *description;
	enum gt_proto proto;
	struct gt_strlist argv; /* program and flags (owned strings) */
	enum gt_prompt_mode prompt;
	char *prompt_flag;
	char *ready;	     /* pane line prefix when idle, or NULL */
	long ready_delay_ms; /* without `ready`: assume ready after this */
	long start_check_ms; /* alive this long after start, or the start failed */
	char *process;	     /* process names (comma-separated), for monitors */
	enum gt_hook_kind hook;
	char *trust;		      /* claude | codex: workspaces pre-trusted */
	struct gt_strlist env;	      /* variable names / NAME_* globs to pass */
	struct gt_strlist root_env;   /* NAME=VALUE given when running as root */
	struct gt_strlist set_env;    /* NAME=VALUE always given */
	struct gt_strlist resume;     /* words that continue session {session} */
	struct gt_strlist resume_cmd; /* or the whole command that does */
	char *env_file;		      /* NAME=VALUE lines for the agent */
	struct gt_runtime_dialog *dialogs;
	size_t ndialogs;
	/* openai */
	char *base_url, *model, *key_env, *key_file;
	struct gt_strlist tools, shell_allow;
	int builtin; /* read from a shipped file */
};

/* Names of the shipped runtimes (the files in the shipped directory),
 * sorted; owned strings. */
void gt_runtime_names(struct gt_strlist *out, const char *town_root, const char *bindir);

/* Load runtime name for rig (may be NULL): its file, with configuration
 * laid over it.  GT_ENOTFOUND for an unknown name, GT_EINVALID for a bad
 * file or setting (the message names which). */
int gt_runtime_load(struct gt_runtime *rt, struct gt_ctx *ctx, const char *rig, const char *name);
void gt_runtime_release(struct gt_runtime *rt);

/* "tty", "claude", "codex", "acp", "pi", "openai". */
const char *gt_proto_name(enum gt_proto p);

/* Split a command line into words (whitespace separates; '...' and
 * "..." group; backslash escapes in double quotes).  No expansion of any
 * kind.  The words are appended as owned copies.  GT_EINVALID on an
 * unclosed quote. */
int gt_split_words(struct gt_strlist *out, const char *line);

/* The argument vector to start rt: its argv, the settings for its hook
 * (settings_file, for GT_HOOK_CLAUDE), the resume words for session (when
 * given and the runtime has them), then the prompt as its mode says.
 * With resume-command and a session, that command replaces argv and the
 * resume words.  The strings are owned by out (gt_strlist_release_owned()). */
void gt_runtime_argv(struct gt_strlist *out, const struct gt_runtime *rt, const char *settings_file,
		     const char *session, const char *prompt);

/* Whether the pane text shows the runtime idle: a line starting with its
 * ready prefix (non-breaking spaces count as spaces) among the last
 * lines, and no "esc to interrupt".  Without a prefix: GT_ENO. */
int gt_runtime_idle(const struct gt_runtime *rt, const char *pane);

/* The known dialog the pane shows, or NULL. */
const struct gt_runtime_dialog *gt_runtime_dialog(const struct gt_runtime *rt, const char *pane);

/* Whether the variable name is one rt passes (env, a NAME_* glob). */
int gt_runtime_passes(const struct gt_runtime *rt, const char *name);

/* A fallback chain ("claude, codex, gemini": rig.agent) as names. */
void gt_runtime_chain(struct gt_strlist *out, const char *spec);

/* Throttle windows, kept in <git-common-dir>/gt/run/throttle/<name>
 * (run state, never the ledger): a rate-limited runtime is not used until
 * until_ms (milliseconds since the epoch). */
int gt_runtime_throttle(struct gt_repo *r, const char *name, int64_t until_ms, const char *reason);
/* When name's window ends (0 when it is not throttled now); reason (may
 * be NULL) gets why. */
int64_t gt_runtime_throttled(struct gt_repo *r, const char *name, struct gt_buf *reason);
/* The first runtime of chain not throttled, else the one free soonest. */
const char *gt_runtime_pick(struct gt_repo *r, const struct gt_strlist *chain);

#endif
