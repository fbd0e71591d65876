/*
 * runtime.c - runtimes from TOML files and configuration.
 *
 * The shipped files (runtimes/ in the source tree) say where each CLI's
 * flags were checked.  A file is read whole and turned into JSON first
 * (gt_toml_to_json()), so the schema check below reads plain values;
 * configuration is then laid over the chosen mode.
 */
#include "town/runtime.h"

#include <dirent.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/options.h"
#include "base/toml.h"
#include "store/bead.h"
#include "store/config.h"
#include "store/ops.h"
#include "town/town.h"
#include "base/banned.h"

#ifndef GT_DATADIR
#define GT_DATADIR "/usr/local/share/gt"
#endif

static const char *const proto_names[] = { "tty", "claude", "codex", "acp", "pi", "openai" };

const char *gt_proto_name(enum gt_proto p)
{
	return (size_t)p < sizeof(proto_names) / sizeof(*proto_names) ? proto_names[p] : "?";
}

static int is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The shipped directory: beside the programs when installed, the source
 * tree when run from it, else the install prefix. */
static void shipped_dir(struct gt_buf *out, const char *bindir)
{
	gt_buf_reset(out);
	if (bindir && *bindir) {
		gt_buf_printf(out, "%s/../share/gt/runtimes", bindir);
		if (is_dir(out->ptr))
			return;
		gt_buf_reset(out);
		gt_buf_printf(out, "%s/../runtimes", bindir);
		if (is_dir(out->ptr))
			return;
		gt_buf_reset(out);
	}
	gt_buf_adds(out, GT_DATADIR "/runtimes");
}

static int name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (i && (c == '.' || c == '_' || c == '-'))))
			return 0;
	}
	return 1;
}

void gt_runtime_names(struct gt_strlist *out, const char *town_root, const char *bindir)
{
	struct gt_buf d = GT_BUF_INIT;
	struct dirent **list = NULL;
	int n;

	shipped_dir(&d, bindir);
	n = scandir(d.ptr, &list, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(list[i]->d_name);

		if (len > 5 && !strcmp(list[i]->d_name + len - 5, ".toml")) {
			list[i]->d_name[len - 5] = '\0';
			if (name_ok(list[i]->d_name))
				gt_strlist_push_dup(out, list[i]->d_name);
		}
		free(list[i]);
	}
	free(list);
	gt_buf_release(&d);
	(void)town_root;
}

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

static int parse_prompt(struct gt_runtime *rt, const char *prompt, const char *where)
{
	if (!strcmp(prompt, "arg"))
		rt->prompt = GT_PROMPT_ARG;
	else if (!strcmp(prompt, "nudge"))
		rt->prompt = GT_PROMPT_NUDGE;
	else if (!strcmp(prompt, "none"))
		rt->prompt = GT_PROMPT_NONE;
	else if (!strncmp(prompt, "flag:", 5) && prompt[5]) {
		rt->prompt = GT_PROMPT_FLAG;
		set_str(&rt->prompt_flag, prompt + 5);
	} else
		return gt_error_set(GT_EINVALID, "%s: prompt is '%s' (arg, flag:FLAG, nudge, none)",
				    where, prompt);
	return 0;
}

/* A list of strings (or one string) into out; GT_EINVALID otherwise. */
static int str_list(struct gt_strlist *out, const cJSON *v, const char *where, const char *key)
{
	const cJSON *e;

	if (!v)
		return 0;
	if (cJSON_IsString(v)) {
		gt_strlist_push_dup(out, v->valuestring);
		return 0;
	}
	if (!cJSON_IsArray(v))
		return gt_error_set(GT_EINVALID, "%s: %s must be a list of strings", where, key);
	cJSON_ArrayForEach (e, v) {
		if (!cJSON_IsString(e))
			return gt_error_set(GT_EINVALID, "%s: %s must be a list of strings", where,
					    key);
		gt_strlist_push_dup(out, e->valuestring);
	}
	return 0;
}

static int get_str(char **dst, const cJSON *o, const char *key, const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return 0;
	if (!cJSON_IsString(v))
		return gt_error_set(GT_EINVALID, "%s: %s must be a string", where, key);
	set_str(dst, v->valuestring);
	return 0;
}

static int get_ms(long *dst, const cJSON *o, const char *key, const char *where)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0)
		return gt_error_set(GT_EINVALID, "%s: %s must be a number of milliseconds", where,
				    key);
	*dst = (long)v->valuedouble;
	return 0;
}

static const char *const top_keys[] = { "description", "mode",	"process", "env", "root-env",
					"set-env",     "usage", "modes",   NULL };
static const char *const mode_keys[] = { "protocol", "command",	 "settings",	   "resume",
					 "prompt",   "ready",	 "ready-delay-ms", "start-check-ms",
					 "trust",    "dialogs",	 "base-url",	   "model",
					 "key-env",  "key-file", "tools",	   "shell-allow",
					 "process",  "env",	 "resume-command", NULL };

static int known(const cJSON *o, const char *const *keys, const char *where)
{
	const cJSON *k;

	cJSON_ArrayForEach (k, o) {
		size_t i;

		for (i = 0; keys[i] && strcmp(keys[i], k->string); i++)
			;
		if (!keys[i])
			return gt_error_set(GT_EINVALID, "%s: unknown key '%s'", where, k->string);
	}
	return 0;
}

static int read_mode(struct gt_runtime *rt, const cJSON *m, const char *where)
{
	const cJSON *v;
	char *s = NULL;
	int rc;

	if ((rc = known(m, mode_keys, where)) < 0)
		return rc;
	if ((rc = get_str(&s, m, "protocol", where)) < 0)
		return rc;
	if (s) {
		size_t i;

		for (i = 0; i < sizeof(proto_names) / sizeof(*proto_names); i++)
			if (!strcmp(proto_names[i], s))
				break;
		if (i == sizeof(proto_names) / sizeof(*proto_names)) {
			rc = gt_error_set(GT_EINVALID,
					  "%s: protocol '%s' (tty, claude, codex, acp, pi, openai)",
					  where, s);
			free(s);
			return rc;
		}
		rt->proto = (enum gt_proto)i;
		free(s);
		s = NULL;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(m, "command"))) {
		gt_strlist_release_owned(&rt->argv);
		memset(&rt->argv, 0, sizeof(rt->argv));
		if ((rc = str_list(&rt->argv, v, where, "command")) < 0)
			return rc;
	}
	if ((rc = get_str(&s, m, "settings", where)) < 0)
		return rc;
	if (s) {
		if (!strcmp(s, "claude"))
			rt->hook = GT_HOOK_CLAUDE;
		else if (strcmp(s, "none")) {
			rc = gt_error_set(GT_EINVALID, "%s: settings '%s' (claude, none)", where,
					  s);
			free(s);
			return rc;
		}
		free(s);
		s = NULL;
	}
	if ((rc = str_list(&rt->resume, cJSON_GetObjectItemCaseSensitive(m, "resume"), where,
			   "resume")) < 0 ||
	    (rc = str_list(&rt->resume_cmd, cJSON_GetObjectItemCaseSensitive(m, "resume-command"),
			   where, "resume-command")) < 0 ||
	    (rc = str_list(&rt->tools, cJSON_GetObjectItemCaseSensitive(m, "tools"), where,
			   "tools")) < 0 ||
	    (rc = str_list(&rt->shell_allow, cJSON_GetObjectItemCaseSensitive(m, "shell-allow"),
			   where, "shell-allow")) < 0 ||
	    (rc = str_list(&rt->env, cJSON_GetObjectItemCaseSensitive(m, "env"), where, "env")) < 0)
		return rc;
	if ((rc = get_str(&s, m, "prompt", where)) < 0)
		return rc;
	if (s) {
		rc = parse_prompt(rt, s, where);
		free(s);
		if (rc < 0)
			return rc;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(m, "process"))) {
		struct gt_strlist l = { 0 };
		struct gt_buf b = GT_BUF_INIT;

		rc = str_list(&l, v, where, "process");
		for (size_t i = 0; i < l.n; i++)
			gt_buf_printf(&b, "%s%s", i ? "," : "", l.v[i]);
		set_str(&rt->process, b.ptr);
		gt_strlist_release_owned(&l);
		gt_buf_release(&b);
		if (rc < 0)
			return rc;
	}
	if ((rc = get_str(&rt->ready, m, "ready", where)) < 0 ||
	    (rc = get_ms(&rt->ready_delay_ms, m, "ready-delay-ms", where)) < 0 ||
	    (rc = get_ms(&rt->start_check_ms, m, "start-check-ms", where)) < 0 ||
	    (rc = get_str(&rt->trust, m, "trust", where)) < 0 ||
	    (rc = get_str(&rt->base_url, m, "base-url", where)) < 0 ||
	    (rc = get_str(&rt->model, m, "model", where)) < 0 ||
	    (rc = get_str(&rt->key_env, m, "key-env", where)) < 0 ||
	    (rc = get_str(&rt->key_file, m, "key-file", where)) < 0)
		return rc;
	if ((v = cJSON_GetObjectItemCaseSensitive(m, "dialogs"))) {
		const cJSON *d;

		if (!cJSON_IsArray(v))
			return gt_error_set(GT_EINVALID, "%s: dialogs must be a list of tables",
					    where);
		cJSON_ArrayForEach (d, v) {
			const char *n = gt_json_str(d, "name"), *t = gt_json_str(d, "text");

			if (!t || !*t)
				return gt_error_set(GT_EINVALID, "%s: a dialog needs a text",
						    where);
			rt->dialogs =
				gt_realloc(rt->dialogs, (rt->ndialogs + 1) * sizeof(*rt->dialogs));
			rt->dialogs[rt->ndialogs].name = gt_strdup(n ? n : "dialog");
			rt->dialogs[rt->ndialogs++].text = gt_strdup(t);
		}
	}
	return 0;
}

/* A table of NAME = "VALUE" into NAME=VALUE entries. */
static int env_table(struct gt_strlist *out, const cJSON *o, const char *key, const char *path)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *e;

	if (!v)
		return 0;
	if (!cJSON_IsObject(v))
		return gt_error_set(GT_EINVALID, "%s: %s must be a table", path, key);
	cJSON_ArrayForEach (e, v) {
		struct gt_buf b = GT_BUF_INIT;

		if (!cJSON_IsString(e))
			return gt_error_set(GT_EINVALID, "%s: %s.%s must be a string", path, key,
					    e->string);
		gt_buf_printf(&b, "%s=%s", e->string, e->valuestring);
		gt_strlist_push(out, gt_buf_detach(&b));
	}
	return 0;
}

/* Read the file's top level and the mode (mode_name, else its default). */
static int read_file(struct gt_runtime *rt, const char *path, const char *mode_name)
{
	struct gt_toml *doc = NULL;
	cJSON *o = NULL;
	const cJSON *modes, *m, *v;
	char *dflt = NULL;
	int rc;

	if ((rc = gt_toml_parse_file(&doc, path)) < 0)
		return rc;
	o = gt_toml_to_json(doc);
	gt_toml_free(doc);
	if ((rc = known(o, top_keys, path)) < 0 ||
	    (rc = get_str(&rt->description, o, "description", path)) < 0 ||
	    (rc = get_str(&dflt, o, "mode", path)) < 0 ||
	    (rc = str_list(&rt->env, cJSON_GetObjectItemCaseSensitive(o, "env"), path, "env")) < 0)
		goto out;
	if ((rc = env_table(&rt->root_env, o, "root-env", path)) < 0 ||
	    (rc = env_table(&rt->set_env, o, "set-env", path)) < 0)
		goto out;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "process"))) {
		cJSON *tmp = cJSON_CreateObject();

		cJSON_AddItemReferenceToObject(tmp, "process", (cJSON *)v);
		rc = read_mode(rt, tmp, path);
		cJSON_Delete(tmp);
		if (rc < 0)
			goto out;
	}
	if (!mode_name)
		mode_name = dflt;
	modes = cJSON_GetObjectItemCaseSensitive(o, "modes");
	if (!mode_name || !cJSON_IsObject(modes)) {
		rc = gt_error_set(GT_EINVALID, "%s: needs mode = \"...\" and a [modes.NAME] table",
				  path);
		goto out;
	}
	if (!(m = cJSON_GetObjectItemCaseSensitive(modes, mode_name)) || !cJSON_IsObject(m)) {
		struct gt_buf names = GT_BUF_INIT;
		const cJSON *k;

		cJSON_ArrayForEach (k, modes)
			gt_buf_printf(&names, "%s%s", names.len ? ", " : "", k->string);
		rc = gt_error_set(GT_EINVALID, "runtime %s has no mode '%s' (%s)", rt->name,
				  mode_name, names.ptr ? names.ptr : "none");
		gt_buf_release(&names);
		goto out;
	}
	set_str(&rt->mode, mode_name);
	{
		struct gt_buf where = GT_BUF_INIT;

		gt_buf_printf(&where, "%s [modes.%s]", path, mode_name);
		rc = read_mode(rt, m, where.ptr);
		gt_buf_release(&where);
	}
	if (rc == 0 && !rt->argv.n && rt->proto != GT_PROTO_OPENAI)
		rc = gt_error_set(GT_EINVALID, "%s [modes.%s]: needs a command", path, mode_name);
out:
	free(dflt);
	cJSON_Delete(o);
	return rc;
}

/* The first NAME.toml of the search path into file; GT_ENOTFOUND. */
static int find_file(struct gt_buf *file, struct gt_ctx *ctx, const char *rig, const char *name)
{
	struct gt_town t;
	struct gt_buf dir = GT_BUF_INIT;
	int rc = GT_ENOTFOUND;

	if (gt_town_open(&t, ctx) < 0) {
		gt_error_clear();
		memset(&t, 0, sizeof(t));
	}
	for (int i = 0; i < 3 && rc == GT_ENOTFOUND; i++) {
		gt_buf_reset(&dir);
		if (i == 0 && t.root && rig)
			gt_buf_printf(&dir, "%s/%s/runtimes", t.root, rig);
		else if (i == 1 && t.root)
			gt_buf_printf(&dir, "%s/runtimes", t.root);
		else if (i == 2)
			shipped_dir(&dir, t.bindir);
		if (!dir.len)
			continue;
		gt_buf_reset(file);
		gt_buf_printf(file, "%s/%s.toml", dir.ptr, name);
		if (access(file->ptr, F_OK) == 0)
			rc = i == 2 ? 1 : 0;
	}
	gt_buf_release(&dir);
	if (t.root)
		gt_town_release(&t);
	return rc;
}

int gt_runtime_load(struct gt_runtime *rt, struct gt_ctx *ctx, const char *rig, const char *name)
{
	struct gt_buf file = GT_BUF_INIT;
	char *command = NULL, *v;
	int rc = 0, found;

	memset(rt, 0, sizeof(*rt));
	if (!name_ok(name))
		return gt_error_set(GT_EUSAGE, "bad runtime name '%s'", name);
	rt->name = gt_strdup(name);
	rt->ready_delay_ms = 3000;
	rt->start_check_ms = 3000;
	found = find_file(&file, ctx, rig, name);
	command = cfg(ctx, name, "command");
	if (found == GT_ENOTFOUND && !command) {
		struct gt_strlist names = { 0 };
		struct gt_buf all = GT_BUF_INIT;
		struct gt_town t;

		if (gt_town_open(&t, ctx) == 0) {
			gt_runtime_names(&names, t.root, t.bindir);
			gt_town_release(&t);
		}
		gt_error_clear();
		for (size_t i = 0; i < names.n; i++)
			gt_buf_printf(&all, "%s%s", i ? " " : "", names.v[i]);
		gt_error_set(GT_ENOTFOUND, "unknown agent runtime '%s'", name);
		gt_error_hint("runtimes: %s; add one as runtimes/%s.toml (gt-runtime(5)) or with "
			      "runtime.%s.command",
			      all.ptr ? all.ptr : "(none found)", name, name);
		gt_strlist_release_owned(&names);
		gt_buf_release(&all);
		rc = GT_ENOTFOUND;
		goto out;
	}
	if (found != GT_ENOTFOUND) {
		char *mode = cfg(ctx, name, "mode");

		rt->builtin = found == 1;
		set_str(&rt->file, file.ptr);
		rc = read_file(rt, file.ptr, mode);
		free(mode);
		if (rc < 0)
			goto out;
	} else {
		/* only configured: nothing known of how it starts, so no
		 * start check unless runtime.NAME.start-check asks for one */
		set_str(&rt->mode, "interactive");
		rt->prompt = GT_PROMPT_NUDGE;
		rt->start_check_ms = 0;
	}
	if (command) {
		gt_strlist_release_owned(&rt->argv);
		memset(&rt->argv, 0, sizeof(rt->argv));
		rc = gt_split_words(&rt->argv, command);
		if (rc == 0 && !rt->argv.n)
			rc = gt_error_set(GT_EINVALID, "runtime.%s.command is empty", name);
		if (rc < 0)
			goto out;
	}
	if ((v = cfg(ctx, name, "prompt"))) {
		struct gt_buf w = GT_BUF_INIT;

		gt_buf_printf(&w, "runtime.%s", name);
		rc = parse_prompt(rt, v, w.ptr);
		gt_buf_release(&w);
		free(v);
		if (rc < 0)
			goto out;
	}
	{
		static const char *const strs[] = { "ready",	"process", "env-file", "model",
						    "base-url", "key-env", "key-file", NULL };
		char **dst[] = { &rt->ready,	&rt->process, &rt->env_file, &rt->model,
				 &rt->base_url, &rt->key_env, &rt->key_file };

		for (size_t i = 0; strs[i]; i++)
			if ((v = cfg(ctx, name, strs[i]))) {
				set_str(dst[i], v);
				free(v);
			}
	}
	{
		static const char *const lists[] = { "env", "tools", "shell-allow", NULL };
		struct gt_strlist *dst[] = { &rt->env, &rt->tools, &rt->shell_allow };

		for (size_t i = 0; lists[i]; i++) {
			if (!(v = cfg(ctx, name, lists[i])))
				continue;
			if (i > 0) { /* tools and shell-allow replace; env adds */
				gt_strlist_release_owned(dst[i]);
				memset(dst[i], 0, sizeof(*dst[i]));
			}
			for (char *p = v; *p;) {
				size_t n = strcspn(p, ", \t");

				if (n) {
					char c = p[n];

					p[n] = '\0';
					gt_strlist_push_dup(dst[i], p);
					p[n] = c;
				}
				p += n;
				p += strspn(p, ", \t");
			}
			free(v);
		}
	}
	if ((v = cfg(ctx, name, "start-check"))) {
		int64_t ms;

		free(v);
		struct gt_buf k = GT_BUF_INIT;

		gt_buf_printf(&k, "runtime.%s.start-check", name);
		rc = gt_config_get_duration(ctx->cfg, k.ptr, rt->start_check_ms, &ms);
		gt_buf_release(&k);
		if (rc < 0)
			goto out;
		rt->start_check_ms = (long)ms;
	}
	if (rt->proto == GT_PROTO_OPENAI && (!rt->base_url || !rt->model))
		rc = gt_error_set(GT_EINVALID, "runtime %s: set runtime.%s.base-url and .model",
				  name, name);
out:
	free(command);
	gt_buf_release(&file);
	if (rc < 0)
		gt_runtime_release(rt);
	return rc;
}

void gt_runtime_release(struct gt_runtime *rt)
{
	free(rt->name);
	free(rt->mode);
	free(rt->file);
	free(rt->description);
	gt_strlist_release_owned(&rt->argv);
	free(rt->prompt_flag);
	free(rt->ready);
	free(rt->process);
	free(rt->trust);
	gt_strlist_release_owned(&rt->env);
	gt_strlist_release_owned(&rt->root_env);
	gt_strlist_release_owned(&rt->resume);
	gt_strlist_release_owned(&rt->resume_cmd);
	gt_strlist_release_owned(&rt->set_env);
	free(rt->env_file);
	for (size_t i = 0; i < rt->ndialogs; i++) {
		free(rt->dialogs[i].name);
		free(rt->dialogs[i].text);
	}
	free(rt->dialogs);
	free(rt->base_url);
	free(rt->model);
	free(rt->key_env);
	free(rt->key_file);
	gt_strlist_release_owned(&rt->tools);
	gt_strlist_release_owned(&rt->shell_allow);
	memset(rt, 0, sizeof(*rt));
}

void gt_runtime_argv(struct gt_strlist *out, const struct gt_runtime *rt, const char *settings_file,
		     const char *session, const char *prompt)
{
	int whole = session && *session && rt->resume_cmd.n;
	const struct gt_strlist *words = whole ? &rt->resume_cmd : &rt->argv;

	for (size_t i = 0; i < words->n; i++)
		gt_strlist_push_dup(out, strcmp(words->v[i], "{session}") ? words->v[i] : session);
	if (rt->hook == GT_HOOK_CLAUDE && settings_file) {
		gt_strlist_push_dup(out, "--settings");
		gt_strlist_push_dup(out, settings_file);
	}
	if (session && *session && !whole) {
		for (size_t i = 0; i < rt->resume.n; i++) {
			const char *w = rt->resume.v[i];

			gt_strlist_push_dup(out, strcmp(w, "{session}") ? w : session);
		}
	}
	if (prompt && rt->prompt == GT_PROMPT_FLAG) {
		gt_strlist_push_dup(out, rt->prompt_flag);
		gt_strlist_push_dup(out, prompt);
	} else if (prompt && rt->prompt == GT_PROMPT_ARG) {
		gt_strlist_push_dup(out, prompt);
	}
}

const struct gt_runtime_dialog *gt_runtime_dialog(const struct gt_runtime *rt, const char *pane)
{
	for (size_t i = 0; pane && i < rt->ndialogs; i++)
		if (strstr(pane, rt->dialogs[i].text))
			return &rt->dialogs[i];
	return NULL;
}

int gt_runtime_passes(const struct gt_runtime *rt, const char *name)
{
	if (rt->key_env && !strcmp(rt->key_env, name))
		return 1;
	for (size_t i = 0; i < rt->env.n; i++)
		if (!fnmatch(rt->env.v[i], name, 0))
			return 1;
	return 0;
}

void gt_runtime_chain(struct gt_strlist *out, const char *spec)
{
	const char *p = spec ? spec : "";

	while (*p) {
		size_t n;
		struct gt_buf w = GT_BUF_INIT;

		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n) {
			gt_buf_add(&w, p, n);
			if (!gt_strlist_has(out, w.ptr))
				gt_strlist_push(out, gt_buf_detach(&w));
		}
		gt_buf_release(&w);
		p += n;
	}
}

static void throttle_path(struct gt_buf *out, const char *name)
{
	gt_buf_printf(out, "run/throttle/%s.json", name);
}

int gt_runtime_throttle(struct gt_repo *r, const char *name, int64_t until_ms, const char *reason)
{
	struct gt_buf rel = GT_BUF_INIT, path = GT_BUF_INIT, data = GT_BUF_INIT;
	cJSON *o = cJSON_CreateObject();
	int rc;

	if (!name_ok(name))
		return gt_error_set(GT_EUSAGE, "bad runtime name '%s'", name);
	throttle_path(&rel, name);
	if ((rc = gt_repo_runtime_path(&path, r, rel.ptr, 1)) == 0) {
		cJSON_AddNumberToObject(o, "until_ms", (double)until_ms);
		gt_json_set_str(o, "reason", reason ? reason : "rate limited");
		gt_json_write(&data, o);
		gt_buf_addch(&data, '\n');
		rc = gt_write_file_atomic(path.ptr, data.ptr, data.len);
	}
	cJSON_Delete(o);
	gt_buf_release(&rel);
	gt_buf_release(&path);
	gt_buf_release(&data);
	return rc;
}

int64_t gt_runtime_throttled(struct gt_repo *r, const char *name, struct gt_buf *reason)
{
	struct gt_buf rel = GT_BUF_INIT, path = GT_BUF_INIT, data = GT_BUF_INIT;
	int64_t until = 0;

	if (!name_ok(name))
		return 0;
	throttle_path(&rel, name);
	if (gt_repo_runtime_path(&path, r, rel.ptr, 0) == 0 && gt_read_file(&data, path.ptr) == 0) {
		cJSON *o = cJSON_Parse(data.ptr);
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(o, "until_ms");

		if (cJSON_IsNumber(u) && (int64_t)u->valuedouble > gt_time_now_ns() / 1000000) {
			until = (int64_t)u->valuedouble;
			if (reason)
				gt_buf_adds(reason, gt_json_str(o, "reason")
							    ? gt_json_str(o, "reason")
							    : "rate limited");
		}
		cJSON_Delete(o);
	}
	gt_error_clear();
	gt_buf_release(&rel);
	gt_buf_release(&path);
	gt_buf_release(&data);
	return until;
}

const char *gt_runtime_pick(struct gt_repo *r, const struct gt_strlist *chain)
{
	const char *best = chain->n ? chain->v[0] : NULL;
	int64_t best_until = -1;

	for (size_t i = 0; i < chain->n; i++) {
		int64_t u = gt_runtime_throttled(r, chain->v[i], NULL);

		if (!u)
			return chain->v[i];
		if (best_until < 0 || u < best_until) {
			best_until = u;
			best = chain->v[i];
		}
	}
	return best;
}
