/*
 * runtime.h - agent runtime presets: how to start each agent CLI in a
 * session, how its first prompt reaches it, how to tell that it is ready
 * and alive, and how it is made to run gt-prime when it starts.
 *
 * Presets: claude codex gemini copilot cursor opencode amp aider goose pi
 * kimi, and `scripted` (gt's own offline agent, gt-scripted-agent(1)).
 * Configuration adds or overrides runtimes, git-config style:
 *   runtime.<name>.command   the command line (words, "quotes" allowed)
 *   runtime.<name>.prompt    arg | flag:<FLAG> | nudge | none
 *   runtime.<name>.ready     text a pane line starts with when idle
 *   runtime.<name>.process   process name(s), comma-separated (recorded for monitors)
 * The flags each preset passes were checked against the CLI's own --help
 * where the CLI installs from npm (see runtime.c).
 */
#ifndef GT_RUNTIME_H
#define GT_RUNTIME_H

#include "base/buf.h"
#include "store/ops.h"

enum gt_prompt_mode {
	GT_PROMPT_ARG,	 /* last positional argument */
	GT_PROMPT_FLAG,	 /* prompt_flag then the text */
	GT_PROMPT_NUDGE, /* typed into the pane once it is ready */
	GT_PROMPT_NONE,	 /* the agent reads gt-prime itself */
};

enum gt_hook_kind {
	GT_HOOK_NONE,
	GT_HOOK_CLAUDE, /* --settings FILE with a SessionStart hook */
};

struct gt_runtime {
	char *name;
	struct gt_strlist argv; /* program and flags (owned strings) */
	enum gt_prompt_mode prompt;
	char *prompt_flag;
	char *ready;	     /* pane line prefix when idle, or NULL */
	long ready_delay_ms; /* without `ready`: assume ready after this */
	char *process;	     /* process names (comma-separated), kept for monitors */
	enum gt_hook_kind hook;
	int builtin;
};

/* Names of the built-in presets, NULL-terminated. */
extern const char *const gt_runtime_presets[];

/* Load runtime name: the preset, with configuration layered over it, or a
 * runtime defined only in configuration.  GT_ENOTFOUND otherwise. */
int gt_runtime_load(struct gt_runtime *rt, struct gt_ctx *ctx, const char *name);
void gt_runtime_release(struct gt_runtime *rt);

/* Split a command line into words (whitespace separates; '...' and
 * "..." group; backslash escapes in double quotes).  No expansion of any
 * kind.  The words are appended as owned copies.  GT_EINVALID on an
 * unclosed quote. */
int gt_split_words(struct gt_strlist *out, const char *line);

/* The argument vector to start rt: its argv, the settings for its hook
 * (settings_file, for GT_HOOK_CLAUDE), then the prompt as its mode says.
 * The strings are owned by out (gt_strlist_release_owned()). */
void gt_runtime_argv(struct gt_strlist *out, const struct gt_runtime *rt, const char *settings_file,
		     const char *prompt);

/* Whether the pane text shows the runtime idle: a line starting with its
 * ready prefix (non-breaking spaces count as spaces) among the last
 * lines, and no "esc to interrupt".  Without a prefix: GT_ENO. */
int gt_runtime_idle(const struct gt_runtime *rt, const char *pane);

#endif
