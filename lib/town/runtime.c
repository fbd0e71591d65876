/*
 * runtime.c - the preset table and runtimes from configuration.
 *
 * Where the flags come from (checked 2026-11 against `--help` of the npm
 * packages: @anthropic-ai/claude-code, @openai/codex, @google/gemini-cli,
 * @github/copilot, opencode-ai, @sourcegraph/amp, pi-coding-agent):
 *   claude   --dangerously-skip-permissions; prompt is the positional
 *            [prompt]; --settings FILE carries our SessionStart hook
 *   codex    --dangerously-bypass-approvals-and-sandbox; [PROMPT]
 *   gemini   --approval-mode yolo, --skip-trust (no folder-trust dialog);
 *            -i/--prompt-interactive TEXT (-p would be headless)
 *   copilot  --allow-all; -i/--interactive TEXT (-p would exit)
 *   opencode --auto (approve permissions); --prompt TEXT, which the TUI
 *            submits
 *   amp      --dangerously-allow-all (accepted, hidden in help), --no-ide;
 *            the first prompt is typed in
 *   pi       positional message
 *   kimi     -y/--yolo (read from the package's source: it needs node 22)
 * cursor-agent (-f), aider (--yes-always) and goose (session) do not
 * install here; their flags follow their documentation.  Where a CLI takes
 * no interactive prompt argument (amp, aider, goose, kimi) the first
 * prompt is typed into the pane once it is ready.  Claude Code refuses
 * --dangerously-skip-permissions as root unless IS_SANDBOX=1 is set.
 */
#include "town/runtime.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/options.h"
#include "store/config.h"
#include "store/ops.h"
#include "base/banned.h"

struct preset {
	const char *name;
	const char *command;
	enum gt_prompt_mode prompt;
	const char *prompt_flag;
	const char *ready;
	long delay_ms;
	const char *process;
	enum gt_hook_kind hook;
};

static const struct preset presets[] = {
	{ "claude", "claude --dangerously-skip-permissions", GT_PROMPT_ARG, NULL, "\xe2\x9d\xaf ",
	  10000, "claude,node", GT_HOOK_CLAUDE },
	{ "codex", "codex --dangerously-bypass-approvals-and-sandbox", GT_PROMPT_ARG, NULL,
	  "\xe2\x80\xba ", 3000, "codex,node", GT_HOOK_NONE },
	{ "gemini", "gemini --approval-mode yolo --skip-trust", GT_PROMPT_FLAG, "-i", NULL, 5000,
	  "gemini,node", GT_HOOK_NONE },
	{ "copilot", "copilot --allow-all", GT_PROMPT_FLAG, "-i", NULL, 5000, "copilot,node",
	  GT_HOOK_NONE },
	{ "cursor", "cursor-agent -f", GT_PROMPT_ARG, NULL, NULL, 5000, "cursor-agent,agent",
	  GT_HOOK_NONE },
	{ "opencode", "opencode --auto", GT_PROMPT_FLAG, "--prompt", NULL, 8000,
	  "opencode,node,bun", GT_HOOK_NONE },
	{ "amp", "amp --dangerously-allow-all --no-ide", GT_PROMPT_NUDGE, NULL, NULL, 5000,
	  "amp,node", GT_HOOK_NONE },
	{ "aider", "aider --yes-always", GT_PROMPT_NUDGE, NULL, "> ", 5000, "aider,python,python3",
	  GT_HOOK_NONE },
	{ "goose", "goose session", GT_PROMPT_NUDGE, NULL, NULL, 5000, "goose", GT_HOOK_NONE },
	{ "pi", "pi", GT_PROMPT_ARG, NULL, NULL, 8000, "pi,node", GT_HOOK_NONE },
	{ "kimi", "kimi --yolo", GT_PROMPT_NUDGE, NULL, NULL, 5000, "kimi,python,python3",
	  GT_HOOK_NONE },
	{ "scripted", "gt-scripted-agent", GT_PROMPT_NONE, NULL, NULL, 0, "gt-scripted-age,sh",
	  GT_HOOK_NONE },
	{ NULL, NULL, 0, NULL, NULL, 0, NULL, 0 },
};

const char *const gt_runtime_presets[] = {
	"claude", "codex", "gemini", "copilot", "cursor",   "opencode", "amp",
	"aider",  "goose", "pi",     "kimi",	"scripted", NULL,
};

int gt_split_words(struct gt_strlist *out, const char *line)
{
	struct gt_buf w = GT_BUF_INIT;
	const char *p = line;
	int rc = 0;

	while (*p) {
		int in_word = 0;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		gt_buf_reset(&w);
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			in_word = 1;
			if (*p == '\'' || *p == '"') {
				char q = *p++;

				while (*p && *p != q) {
					if (q == '"' && *p == '\\' && p[1])
						p++;
					gt_buf_addch(&w, *p++);
				}
				if (!*p) {
					rc = gt_error_set(GT_EINVALID, "unclosed quote in '%s'",
							  line);
					goto out;
				}
				p++;
			} else {
				gt_buf_addch(&w, *p++);
			}
		}
		if (in_word)
			gt_strlist_push_dup(out, gt_buf_cstr(&w));
	}
out:
	gt_buf_release(&w);
	return rc;
}

static char *cfg(struct gt_ctx *ctx, const char *name, const char *key)
{
	struct gt_buf k = GT_BUF_INIT;
	char *v = NULL;

	gt_buf_printf(&k, "runtime.%s.%s", name, key);
	if (gt_ctx_config(ctx) == 0)
		v = gt_config_get(ctx->cfg, k.ptr);
	gt_buf_release(&k);
	return v;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? gt_strdup(v) : NULL;
}

int gt_runtime_load(struct gt_runtime *rt, struct gt_ctx *ctx, const char *name)
{
	const struct preset *p = NULL;
	char *command, *prompt, *ready, *process;
	int rc = 0;

	memset(rt, 0, sizeof(*rt));
	for (size_t i = 0; presets[i].name; i++)
		if (!strcmp(presets[i].name, name))
			p = &presets[i];
	command = cfg(ctx, name, "command");
	if (!p && !command) {
		gt_error_set(GT_ENOTFOUND, "unknown agent runtime '%s'", name);
		gt_error_hint(
			"presets: claude codex gemini copilot cursor opencode amp aider goose "
			"pi kimi scripted; define others with runtime.%s.command",
			name);
		return GT_ENOTFOUND;
	}
	rt->name = gt_strdup(name);
	if (p) {
		rt->builtin = 1;
		rt->prompt = p->prompt;
		set_str(&rt->prompt_flag, p->prompt_flag);
		set_str(&rt->ready, p->ready);
		rt->ready_delay_ms = p->delay_ms;
		set_str(&rt->process, p->process);
		rt->hook = p->hook;
	} else {
		rt->prompt = GT_PROMPT_NUDGE;
		rt->ready_delay_ms = 3000;
	}
	rc = gt_split_words(&rt->argv, command ? command : p->command);
	if (rc == 0 && !rt->argv.n)
		rc = gt_error_set(GT_EINVALID, "runtime.%s.command is empty", name);
	if (rc == 0 && (prompt = cfg(ctx, name, "prompt"))) {
		if (!strcmp(prompt, "arg"))
			rt->prompt = GT_PROMPT_ARG;
		else if (!strcmp(prompt, "nudge"))
			rt->prompt = GT_PROMPT_NUDGE;
		else if (!strcmp(prompt, "none"))
			rt->prompt = GT_PROMPT_NONE;
		else if (!strncmp(prompt, "flag:", 5) && prompt[5]) {
			rt->prompt = GT_PROMPT_FLAG;
			set_str(&rt->prompt_flag, prompt + 5);
		} else {
			rc = gt_error_set(GT_EINVALID,
					  "runtime.%s.prompt is '%s' (arg, flag:FLAG, nudge, none)",
					  name, prompt);
		}
		free(prompt);
	}
	if ((ready = cfg(ctx, name, "ready"))) {
		set_str(&rt->ready, ready);
		free(ready);
	}
	if ((process = cfg(ctx, name, "process"))) {
		set_str(&rt->process, process);
		free(process);
	}
	free(command);
	if (rc < 0)
		gt_runtime_release(rt);
	return rc;
}

void gt_runtime_release(struct gt_runtime *rt)
{
	free(rt->name);
	gt_strlist_release_owned(&rt->argv);
	free(rt->prompt_flag);
	free(rt->ready);
	free(rt->process);
	memset(rt, 0, sizeof(*rt));
}

void gt_runtime_argv(struct gt_strlist *out, const struct gt_runtime *rt, const char *settings_file,
		     const char *prompt)
{
	for (size_t i = 0; i < rt->argv.n; i++)
		gt_strlist_push_dup(out, rt->argv.v[i]);
	if (rt->hook == GT_HOOK_CLAUDE && settings_file) {
		gt_strlist_push_dup(out, "--settings");
		gt_strlist_push_dup(out, settings_file);
	}
	if (prompt && rt->prompt == GT_PROMPT_FLAG) {
		gt_strlist_push_dup(out, rt->prompt_flag);
		gt_strlist_push_dup(out, prompt);
	} else if (prompt && rt->prompt == GT_PROMPT_ARG) {
		gt_strlist_push_dup(out, prompt);
	}
}

int gt_runtime_idle(const struct gt_runtime *rt, const char *pane)
{
	const char *line = pane;
	size_t plen;
	int idle = 0;

	if (!rt->ready || !*rt->ready)
		return GT_ENO;
	plen = strlen(rt->ready);
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		struct gt_buf norm = GT_BUF_INIT;

		/* NBSP (U+00A0) as a space: some TUIs pad their prompt with it */
		for (size_t i = 0; i < n; i++) {
			if ((unsigned char)line[i] == 0xc2 && i + 1 < n &&
			    (unsigned char)line[i + 1] == 0xa0) {
				gt_buf_addch(&norm, ' ');
				i++;
			} else {
				gt_buf_addch(&norm, line[i]);
			}
		}
		if (strstr(gt_buf_cstr(&norm), "esc to interrupt"))
			idle = -1;
		else if (idle >= 0 && norm.len >= plen && !memcmp(norm.ptr, rt->ready, plen))
			idle = 1;
		gt_buf_release(&norm);
		line = nl ? nl + 1 : NULL;
	}
	return idle > 0 ? 0 : GT_ENO;
}
