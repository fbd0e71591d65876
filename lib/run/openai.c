/*
 * openai.c - the agent loop over an OpenAI-compatible chat-completions API.
 *
 * The conversation is a cJSON array of messages sent whole with every
 * request (the API is stateless).  An answer, streamed or not, is gathered
 * into struct answer: text, and tool calls that a stream delivers in pieces
 * keyed by index (the argument strings are joined).  Tools run here, in the
 * workspace, with gt_run() and never a shell; their results go back as
 * "tool" messages and the loop asks again.
 *
 * Confinement is by path: every path a file tool takes is resolved (the
 * deepest existing ancestor through realpath(), then the rest) and must land
 * inside the workspace.  Writing under .git is refused as well: a hook or
 * .git/config (core.fsmonitor, aliases) would run commands past the shell
 * tool's allow list.  Commands the allow list lets through are the
 * configuration's responsibility ("make" runs whatever the Makefile says).
 */
#include "run/openai.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/http.h"
#include "base/json.h"
#include "base/options.h"
#include "base/proc.h"
#include "base/banned.h"

#define OUTPUT_MAX	 (16 * 1024)  /* command output given back to the model */
#define READ_MAX	 (128 * 1024) /* read_file */
#define LIST_MAX	 2000	      /* list_files entries */
#define BACKOFF_FIRST_MS 1000L
#define BACKOFF_CAP_MS	 30000L

struct gt_oai {
	char *url, *model, *api_key, *ws;
	struct gt_strlist tools_allow, shell_allow, env, headers;
	int all_tools, stream, max_retries, max_requests;
	long timeout_ms, connect_timeout_ms, max_wait_ms;
	cJSON *messages, *tools;
	struct gt_oai_usage usage;
	unsigned long call_seq; /* for tool calls that came without an id */
};

/* --- small helpers --- */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Replace every copy of the key in b by "[redacted]". */
static void redact(const struct gt_oai *s, struct gt_buf *b)
{
	size_t kl = s->api_key ? strlen(s->api_key) : 0;
	struct gt_buf out = GT_BUF_INIT;
	const char *p, *hit;

	if (kl < 4 || !b->len || !strstr(b->ptr, s->api_key))
		return;
	for (p = b->ptr; (hit = strstr(p, s->api_key)); p = hit + kl) {
		gt_buf_add(&out, p, (size_t)(hit - p));
		gt_buf_adds(&out, "[redacted]");
	}
	gt_buf_adds(&out, p);
	gt_buf_release(b);
	*b = out;
}

/* Append data[0..len) with invalid UTF-8 and NUL bytes replaced by U+FFFD
 * (the server must get valid JSON strings, and cJSON stops at a NUL). */
static void add_clean(struct gt_buf *out, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data, *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n = c < 0x80		? 1
			   : (c & 0xE0) == 0xC0 ? 2
			   : (c & 0xF0) == 0xE0 ? 3
			   : (c & 0xF8) == 0xF0 ? 4
						: 0;
		unsigned long cp;
		size_t i;

		if (c && n == 1) {
			gt_buf_addch(out, (int)c);
			p++;
			continue;
		}
		if (!n || (size_t)(end - p) < n)
			goto bad;
		cp = c & (0x7F >> n);
		for (i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i] & 0x3F);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		gt_buf_add(out, p, n);
		p += n;
		continue;
	bad:
		gt_buf_adds(out, "\xEF\xBF\xBD");
		p++;
	}
}

/* The text of a tool result, cut to max bytes (its head and its tail:
 * the end of a build log is where the error is). */
static void add_capped(struct gt_buf *out, const char *data, size_t len, size_t max)
{
	size_t half = max / 2;

	if (len <= max) {
		add_clean(out, data, len);
		return;
	}
	add_clean(out, data, half);
	gt_buf_printf(out, "\n[... %zu bytes cut ...]\n", len - 2 * half);
	add_clean(out, data + len - half, half);
}

/* What the commands the tools run see of a variable (the last entry
 * wins, as it does in the child). */
static const char *env_get(const struct gt_oai *s, const char *name)
{
	size_t n = strlen(name);
	const char *val = NULL;
	int set = 0;

	for (size_t i = 0; i < s->env.n && s->env.v[i]; i++)
		if (!strncmp(s->env.v[i], name, n) && (!s->env.v[i][n] || s->env.v[i][n] == '=')) {
			set = 1;
			val = s->env.v[i][n] ? s->env.v[i] + n + 1 : NULL;
		}
	return set ? val : getenv(name);
}

static void copy_list(struct gt_strlist *l, const char *const *v)
{
	for (size_t i = 0; v && v[i]; i++)
		gt_strlist_push_dup(l, v[i]);
	gt_strlist_push(l, NULL);
}

/* --- words and the allow list --- */

static int refuse_char(char c)
{
	if (c == '\n' || c == '\r')
		return gt_error_set(
			GT_EINVALID,
			"a line break outside quotes needs a shell: run one command per call");
	if (c == '*' || c == '?')
		return gt_error_set(
			GT_EINVALID,
			"'%c' would need a shell to expand: name the files, or quote it", c);
	return gt_error_set(GT_EINVALID,
			    "'%c' needs a shell, and commands run without one: run one command, "
			    "without pipes, redirections, substitutions or variables",
			    c);
}

int gt_oai_split_words(struct gt_strlist *out, const char *line)
{
	struct gt_buf w = GT_BUF_INIT;
	const char *p = line;
	int in_word = 0, rc = 0;

	for (;;) {
		char c = *p;

		if (!c || c == ' ' || c == '\t') {
			if (in_word)
				gt_strlist_push_dup(out, gt_buf_cstr(&w));
			gt_buf_reset(&w);
			in_word = 0;
			if (!c)
				break;
			p++;
			continue;
		}
		if (c == '#' && !in_word) {
			rc = gt_error_set(GT_EINVALID, "'#' needs a shell: quote it");
			break;
		}
		in_word = 1;
		if (c == '\'') {
			const char *q = strchr(p + 1, '\'');

			if (!q) {
				rc = gt_error_set(GT_EINVALID, "unclosed ' quote");
				break;
			}
			gt_buf_add(&w, p + 1, (size_t)(q - p - 1));
			p = q + 1;
		} else if (c == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1] && strchr("\"\\$`\n", p[1])) {
					if (p[1] != '\n')
						gt_buf_addch(&w, p[1]);
					p++;
				} else if (*p == '$' || *p == '`') {
					rc = gt_error_set(
						GT_EINVALID,
						"'%c' inside \"...\" needs a shell to expand: "
						"use '...' for literal text",
						*p);
					goto out;
				} else {
					gt_buf_addch(&w, *p);
				}
			}
			if (!*p) {
				rc = gt_error_set(GT_EINVALID, "unclosed \" quote");
				break;
			}
			p++;
		} else if (c == '\\') {
			if (!p[1]) {
				rc = gt_error_set(GT_EINVALID, "a backslash ends the command");
				break;
			}
			if (p[1] != '\n')
				gt_buf_addch(&w, p[1]);
			p += 2;
		} else if (strchr(";|&><`$()\n\r*?", c)) {
			rc = refuse_char(c);
			break;
		} else {
			gt_buf_addch(&w, c);
			p++;
		}
	}
out:
	gt_buf_release(&w);
	return rc;
}

int gt_oai_shell_allowed(const char *const *allow, const char *const *words, size_t n)
{
	for (size_t a = 0; allow && allow[a]; a++) {
		struct gt_strlist pw = { 0 };
		int match = 1;
		size_t k;

		for (const char *p = allow[a]; *p;) {
			size_t len = strcspn(p, " \t");

			if (len)
				gt_strlist_push(&pw, gt_strndup(p, len));
			p += len;
			p += strspn(p, " \t");
		}
		k = pw.n;
		if (!k || n < k)
			match = 0;
		for (size_t i = 0; match && i < k; i++) {
			const char *want = pw.v[i];
			size_t wl = strlen(want);
			int pattern = i == k - 1 && (want[wl - 1] == '-' || want[wl - 1] == '*');

			if (!pattern)
				match = !strcmp(words[i], want);
			else
				match = !strncmp(words[i], want,
						 want[wl - 1] == '*' ? wl - 1 : wl) &&
					/* a prefix names programs on the PATH, not files */
					(i || !strchr(words[0], '/'));
		}
		for (size_t i = 0; i < pw.n; i++)
			free((char *)pw.v[i]);
		gt_strlist_release(&pw);
		if (match)
			return 1;
	}
	return 0;
}

/* --- confinement --- */

static int has_component(const char *path, const char *name, int nocase)
{
	size_t nl = strlen(name);

	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");

		if (len == nl && (nocase ? !strncasecmp(p, name, nl) : !strncmp(p, name, nl)))
			return 1;
		p += len;
		p += strspn(p, "/");
	}
	return 0;
}

int gt_oai_confine(struct gt_buf *abs, struct gt_buf *rel, const char *ws, const char *path)
{
	struct gt_buf full = GT_BUF_INIT, rest = GT_BUF_INIT, res = GT_BUF_INIT;
	size_t wl = strlen(ws);
	char *real = NULL;
	int rc = 0;

	if (!path || !*path)
		path = ".";
	if (has_component(path, "..", 0))
		return gt_error_set(GT_EINVALID, "'%s': \"..\" is not allowed in paths", path);
	if (path[0] == '/')
		gt_buf_adds(&full, path);
	else
		gt_buf_printf(&full, "%s/%s", ws, path);
	while (!(real = realpath(full.ptr, NULL))) {
		struct stat st;
		char *slash;

		if (errno != ENOENT && errno != ENOTDIR) {
			rc = gt_error_errno(GT_EINVALID, "'%s'", path);
			goto out;
		}
		if (errno == ENOENT && !lstat(full.ptr, &st) && S_ISLNK(st.st_mode)) {
			rc = gt_error_set(GT_EINVALID, "'%s' is a symbolic link to nowhere", path);
			goto out;
		}
		while (full.len > 1 && full.ptr[full.len - 1] == '/')
			gt_buf_truncate(&full, full.len - 1);
		slash = strrchr(full.ptr, '/');
		if (!slash || slash == full.ptr) {
			rc = gt_error_set(GT_EINVALID, "'%s' is outside the workspace", path);
			goto out;
		}
		/* move the last component to the front of rest ("." dropped) */
		if (strcmp(slash, "/.")) {
			struct gt_buf t = GT_BUF_INIT;

			gt_buf_adds(&t, slash);
			gt_buf_add(&t, rest.ptr, rest.len);
			gt_buf_release(&rest);
			rest = t;
		}
		gt_buf_truncate(&full, (size_t)(slash - full.ptr));
	}
	gt_buf_adds(&res, real);
	if (res.len == 1 && rest.len) /* "/" */
		gt_buf_reset(&res);
	gt_buf_add(&res, rest.ptr, rest.len);
	if (!(wl == 1 && ws[0] == '/') &&
	    (strncmp(res.ptr, ws, wl) || (res.ptr[wl] && res.ptr[wl] != '/'))) {
		rc = gt_error_set(GT_EINVALID, "'%s' is outside the workspace", path);
		goto out;
	}
	if (abs) {
		gt_buf_reset(abs);
		gt_buf_add(abs, res.ptr, res.len);
	}
	if (rel) {
		const char *r = res.ptr + (wl == 1 ? 0 : wl);

		while (*r == '/')
			r++;
		gt_buf_reset(rel);
		gt_buf_adds(rel, *r ? r : ".");
	}
out:
	free(real);
	gt_buf_release(&full);
	gt_buf_release(&rest);
	gt_buf_release(&res);
	return rc;
}

/* --- tools --- */

/* A tool appends its result to out and returns 0, or returns a negative
 * code with the reason in gt_error_last() (given to the model as
 * "error: ..."). */
typedef int (*tool_fn)(struct gt_oai *s, const cJSON *args, struct gt_buf *out);

static int arg_str(const char **out, const cJSON *args, const char *key, int required)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);

	*out = NULL;
	if (!v || cJSON_IsNull(v)) {
		if (required)
			return gt_error_set(GT_EUSAGE, "missing argument '%s'", key);
		return 0;
	}
	if (!cJSON_IsString(v))
		return gt_error_set(GT_EUSAGE, "argument '%s' must be a string", key);
	*out = v->valuestring;
	return 0;
}

/* Run argv in the workspace; out gets the output (stdout and stderr as
 * they came, capped) and the exit status.  Always 0: a command that fails
 * is news for the model, not a failure of the tool. */
static int run_cmd(struct gt_oai *s, const char *const *argv, struct gt_buf *out)
{
	struct gt_buf cap = GT_BUF_INIT;
	struct gt_proc_opts o = { 0 };
	int st = 0, rc;

	o.cwd = s->ws;
	o.env = s->env.v;
	o.out = &cap;
	o.err = &cap;
	rc = gt_run(argv, &o, &st);
	redact(s, &cap);
	add_capped(out, cap.ptr ? cap.ptr : "", cap.len, OUTPUT_MAX);
	if (out->len && out->ptr[out->len - 1] != '\n')
		gt_buf_addch(out, '\n');
	if (st == 127 && !cap.len)
		gt_buf_printf(out, "[cannot run '%s': not found]\n", argv[0]);
	gt_buf_printf(out, "[exit status %d]", st);
	gt_buf_release(&cap);
	(void)rc; /* the output says how it went: not an error of the tool */
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int t_list_files(struct gt_oai *s, const cJSON *args, struct gt_buf *out)
{
	struct gt_buf abs = GT_BUF_INIT, rel = GT_BUF_INIT;
	struct gt_strlist names = { 0 };
	const char *path;
	struct dirent *e;
	DIR *d = NULL;
	int rc;

	if ((rc = arg_str(&path, args, "path", 0)) ||
	    (rc = gt_oai_confine(&abs, &rel, s->ws, path)))
		goto out;
	if (!(d = opendir(abs.ptr))) {
		rc = gt_error_errno(GT_EFAIL, "cannot list '%s'", rel.ptr);
		goto out;
	}
	while ((e = readdir(d))) {
		struct stat st;
		struct gt_buf n = GT_BUF_INIT;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		gt_buf_adds(&n, e->d_name);
		if (!fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			gt_buf_adds(&n, S_ISDIR(st.st_mode) ? "/" : S_ISLNK(st.st_mode) ? "@" : "");
		gt_strlist_push(&names, gt_buf_detach(&n));
	}
	qsort(names.v, names.n, sizeof(*names.v), cmp_str);
	for (size_t i = 0; i < names.n && i < LIST_MAX; i++) {
		add_clean(out, names.v[i], strlen(names.v[i]));
		gt_buf_addch(out, '\n');
	}
	if (names.n > LIST_MAX)
		gt_buf_printf(out, "[... %zu more]\n", names.n - LIST_MAX);
	if (!names.n)
		gt_buf_printf(out, "(%s is empty)\n", rel.ptr);
out:
	if (d)
		closedir(d);
	for (size_t i = 0; i < names.n; i++)
		free((char *)names.v[i]);
	gt_strlist_release(&names);
	gt_buf_release(&abs);
	gt_buf_release(&rel);
	return rc;
}

static int opt_line(long *out, const cJSON *args, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(args, key);

	*out = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1e9)
		return gt_error_set(GT_EUSAGE, "argument '%s' must be a line count", key);
	*out = (long)v->valuedouble;
	return 0;
}

static int t_read_file(struct gt_oai *s, const cJSON *args, struct gt_buf *out)
{
	struct gt_buf abs = GT_BUF_INIT, rel = GT_BUF_INIT, data = GT_BUF_INIT;
	const char *path, *p, *end;
	long offset, limit;
	struct stat st;
	int rc;

	if ((rc = arg_str(&path, args, "path", 1)) || (rc = opt_line(&offset, args, "offset")) ||
	    (rc = opt_line(&limit, args, "limit")) ||
	    (rc = gt_oai_confine(&abs, &rel, s->ws, path)))
		goto out;
	if (stat(abs.ptr, &st) < 0) {
		rc = gt_error_errno(GT_ENOTFOUND, "cannot read '%s'", rel.ptr);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = gt_error_set(GT_EINVALID, "'%s' is not a file%s", rel.ptr,
				  S_ISDIR(st.st_mode) ? " (list_files lists directories)" : "");
		goto out;
	}
	if ((rc = gt_read_file(&data, abs.ptr)) < 0)
		goto out;
	if (memchr(data.ptr ? data.ptr : "", '\0', data.len < 8192 ? data.len : 8192)) {
		gt_buf_printf(out, "(binary file, %zu bytes)", data.len);
		goto out;
	}
	p = gt_buf_cstr(&data);
	end = p + data.len;
	for (long l = 1; l < offset && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		p = nl ? nl + 1 : end;
	}
	if (limit > 0) {
		const char *q = p;

		for (long l = 0; l < limit && q < end; l++) {
			const char *nl = memchr(q, '\n', (size_t)(end - q));

			q = nl ? nl + 1 : end;
		}
		end = q;
	}
	redact(s, &data); /* lengths change only if the key is there: rare, fine */
	if ((size_t)(end - p) > READ_MAX) {
		add_clean(out, p, READ_MAX);
		gt_buf_printf(out, "\n[... cut at %d KiB of %zu bytes: use offset and limit]",
			      READ_MAX / 1024, (size_t)(end - p));
	} else {
		add_clean(out, p, (size_t)(end - p));
	}
out:
	gt_buf_release(&abs);
	gt_buf_release(&rel);
	gt_buf_release(&data);
	return rc;
}

static int t_search(struct gt_oai *s, const cJSON *args, struct gt_buf *out)
{
	struct gt_buf rel = GT_BUF_INIT, res = GT_BUF_INIT;
	const char *pattern, *path;
	int rc;

	if ((rc = arg_str(&pattern, args, "pattern", 1)) ||
	    (rc = arg_str(&path, args, "path", 0)) ||
	    (rc = gt_oai_confine(NULL, &rel, s->ws, path)))
		goto out;
	if (!*pattern) {
		rc = gt_error_set(GT_EUSAGE, "the pattern is empty");
		goto out;
	}
	for (int no_index = 0; no_index < 2; no_index++) {
		const char *argv[] = { "git", "grep",  "-n", "-I",    "-F", "--untracked",
				       "-e",  pattern, "--", rel.ptr, NULL };
		struct gt_buf cap = GT_BUF_INIT;
		struct gt_proc_opts o = { 0 };
		int st = 0;

		if (no_index)
			argv[5] = "--no-index";
		o.cwd = s->ws;
		o.env = s->env.v;
		o.out = &cap;
		o.err = &cap;
		gt_run(argv, &o, &st);
		redact(s, &cap);
		gt_buf_reset(&res);
		if (st == 1 && !cap.len)
			gt_buf_adds(&res, "no matches");
		else
			add_capped(&res, gt_buf_cstr(&cap), cap.len, OUTPUT_MAX);
		gt_buf_release(&cap);
		if (st != 128 || no_index) {
			if (st > 1)
				rc = gt_error_set(GT_EFAIL, "git grep failed (status %d): %s", st,
						  res.ptr);
			break;
		}
	}
	if (!rc)
		gt_buf_add(out, res.ptr, res.len);
out:
	gt_buf_release(&rel);
	gt_buf_release(&res);
	return rc;
}

static int refuse_git_dir(const char *rel)
{
	if (has_component(rel, ".git", 1))
		return gt_error_set(GT_EINVALID, "'%s': files under .git are not for writing", rel);
	return 0;
}

static int t_write_file(struct gt_oai *s, const cJSON *args, struct gt_buf *out)
{
	struct gt_buf abs = GT_BUF_INIT, rel = GT_BUF_INIT, tmp = GT_BUF_INIT;
	const char *path, *content;
	struct iovec v;
	struct stat st;
	int rc, existed;

	if ((rc = arg_str(&path, args, "path", 1)) ||
	    (rc = arg_str(&content, args, "content", 1)) ||
	    (rc = gt_oai_confine(&abs, &rel, s->ws, path)) || (rc = refuse_git_dir(rel.ptr)))
		goto out;
	existed = !stat(abs.ptr, &st);
	if (existed && !S_ISREG(st.st_mode)) {
		rc = gt_error_set(GT_EINVALID, "'%s' exists and is not a file", rel.ptr);
		goto out;
	}
	v.iov_base = (void *)content;
	v.iov_len = strlen(content);
	if ((rc = gt_write_temp(&tmp, abs.ptr, &v, 1)) < 0)
		goto out;
	if ((existed && chmod(tmp.ptr, st.st_mode & 07777) < 0) || rename(tmp.ptr, abs.ptr) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", rel.ptr);
		unlink(tmp.ptr);
		goto out;
	}
	gt_buf_printf(out, "wrote %zu bytes to %s", strlen(content), rel.ptr);
out:
	gt_buf_release(&abs);
	gt_buf_release(&rel);
	gt_buf_release(&tmp);
	return rc;
}

static int t_apply_patch(struct gt_oai *s, const cJSON *args, struct gt_buf *out)
{
	const char *patch, *tmpdir = getenv("TMPDIR");
	struct gt_buf file = GT_BUF_INIT;
	size_t len;
	int rc, fd;

	if ((rc = arg_str(&patch, args, "patch", 1)))
		return rc;
	len = strlen(patch);
	if (!len)
		return gt_error_set(GT_EUSAGE, "the patch is empty");
	gt_buf_printf(&file, "%s/gt-patch-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if ((fd = mkstemp(file.ptr)) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot make a temporary file");
		goto out;
	}
	if (gt_write_all(fd, patch, len) < 0 ||
	    (patch[len - 1] != '\n' && gt_write_all(fd, "\n", 1) < 0)) {
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", file.ptr);
		close(fd);
		goto out;
	}
	close(fd);
	{
		/* git apply refuses paths with "..", under .git and beyond
		 * symbolic links; --recount forgives hunk counts models get
		 * wrong */
		const char *argv[] = {
			"git", "apply",	 "--verbose", "--recount", "--whitespace=nowarn",
			"--",  file.ptr, NULL
		};

		rc = run_cmd(s, argv, out);
	}
out:
	if (file.len)
		unlink(file.ptr);
	gt_buf_release(&file);
	return rc < 0 ? rc : 0;
}

static int t_shell(struct gt_oai *s, const cJSON *args, struct gt_buf *out)
{
	struct gt_strlist w = { 0 };
	const char *command;
	int rc;

	if ((rc = arg_str(&command, args, "command", 1)) || (rc = gt_oai_split_words(&w, command)))
		goto out;
	if (!w.n) {
		rc = gt_error_set(GT_EUSAGE, "the command is empty");
		goto out;
	}
	if (!gt_oai_shell_allowed(s->shell_allow.v, w.v, w.n)) {
		struct gt_buf list = GT_BUF_INIT;

		for (size_t i = 0; s->shell_allow.v[i]; i++)
			gt_buf_printf(&list, "%s'%s'", i ? ", " : "", s->shell_allow.v[i]);
		rc = gt_error_set(GT_EINVALID, "'%s' is not allowed here%s%s", w.v[0],
				  list.len ? "; commands may start with " : "; no commands are",
				  list.len ? list.ptr : " allowed");
		gt_buf_release(&list);
		goto out;
	}
	gt_strlist_push(&w, NULL);
	rc = run_cmd(s, w.v, out);
out:
	gt_strlist_release_owned(&w);
	return rc < 0 ? rc : 0;
}

static int t_prime(struct gt_oai *s, const cJSON *args, struct gt_buf *out)
{
	const char *argv[] = { "gt-prime", NULL };

	(void)args;

	run_cmd(s, argv, out);
	return 0;
}

static int t_done(struct gt_oai *s, const cJSON *args, struct gt_buf *out)
{
	const char *argv[8], *summary, *status;
	size_t n = 0;
	int rc;

	if ((rc = arg_str(&summary, args, "summary", 0)) ||
	    (rc = arg_str(&status, args, "status", 0)))
		return rc;
	argv[n++] = "gt-done";
	if (status && *status) {
		argv[n++] = "--status";
		argv[n++] = status;
	}
	if (summary && *summary) {
		argv[n++] = "-m";
		argv[n++] = summary;
	}
	argv[n] = NULL;
	run_cmd(s, argv, out);
	return 0;
}

static int t_bead_comment(struct gt_oai *s, const cJSON *args, struct gt_buf *out)
{
	const char *text, *bead = env_get(s, "GT_BEAD");
	int rc;

	if ((rc = arg_str(&text, args, "text", 1)))
		return rc;
	if (!*text)
		return gt_error_set(GT_EUSAGE, "the comment is empty");
	if (!bead || !*bead)
		return gt_error_set(GT_ENOTFOUND, "no bead is hooked (GT_BEAD is not set)");
	{
		const char *argv[] = { "gt-bead-comment", "add", "--", bead, text, NULL };

		run_cmd(s, argv, out);
	}
	return 0;
}

static int t_mail_send(struct gt_oai *s, const cJSON *args, struct gt_buf *out)
{
	const char *subject, *body;
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(args, "to"), *e;
	struct gt_strlist argv = { 0 };
	char *copy = NULL;
	int rc;

	if ((rc = arg_str(&subject, args, "subject", 1)) || (rc = arg_str(&body, args, "body", 1)))
		return rc;
	gt_strlist_push(&argv, "gt-mail-send");
	gt_strlist_push(&argv, "-s");
	gt_strlist_push(&argv, subject);
	gt_strlist_push(&argv, "-m");
	gt_strlist_push(&argv, body);
	gt_strlist_push(&argv, "--");
	if (cJSON_IsString(to)) {
		copy = gt_strdup(to->valuestring);
		for (char *p = copy; *p;) {
			size_t n = strcspn(p, " \t,");

			if (n)
				gt_strlist_push(&argv, p);
			p += n;
			if (*p)
				*p++ = '\0';
		}
	} else if (cJSON_IsArray(to)) {
		cJSON_ArrayForEach (e, to) {
			if (cJSON_IsString(e) && *e->valuestring)
				gt_strlist_push(&argv, e->valuestring);
		}
	}
	if (argv.n == 6) {
		rc = gt_error_set(GT_EUSAGE, "argument 'to' must name an address");
	} else {
		gt_strlist_push(&argv, NULL);
		run_cmd(s, argv.v, out);
	}
	free(copy);
	gt_strlist_release(&argv);
	return rc;
}

static const struct tool {
	const char *name, *desc, *params;
	tool_fn run;
} tools[] = {
	{ "list_files",
	  "List a directory of the workspace (directories end in /, symbolic links in @).",
	  "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\",\"description\":"
	  "\"directory relative to the workspace (default: the workspace itself)\"}}}",
	  t_list_files },
	{ "read_file",
	  "Read a text file of the workspace; offset (first line, from 1) and limit (lines) "
	  "read part of a big one.",
	  "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"},"
	  "\"offset\":{\"type\":\"integer\"},\"limit\":{\"type\":\"integer\"}},"
	  "\"required\":[\"path\"]}",
	  t_read_file },
	{ "search",
	  "Search the workspace's files for a fixed string (not a regular expression); "
	  "prints file:line:text.",
	  "{\"type\":\"object\",\"properties\":{\"pattern\":{\"type\":\"string\"},"
	  "\"path\":{\"type\":\"string\",\"description\":\"file or directory to search "
	  "(default: everything)\"}},\"required\":[\"pattern\"]}",
	  t_search },
	{ "write_file",
	  "Write a whole file of the workspace (replacing it if it exists; parent "
	  "directories are created).",
	  "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"},"
	  "\"content\":{\"type\":\"string\"}},\"required\":[\"path\",\"content\"]}",
	  t_write_file },
	{ "apply_patch",
	  "Apply a unified diff (as git diff prints it, paths relative to the workspace, "
	  "a/ and b/ prefixes) to the workspace's files.",
	  "{\"type\":\"object\",\"properties\":{\"patch\":{\"type\":\"string\"}},"
	  "\"required\":[\"patch\"]}",
	  t_apply_patch },
	{ "shell",
	  "Run one command in the workspace, without a shell: no pipes, redirections, "
	  "variables or globs; quote arguments with spaces. Only some commands are "
	  "allowed. Returns the output and exit status.",
	  "{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\"}},"
	  "\"required\":[\"command\"]}",
	  t_shell },
	{ "prime", "Show your role, your hooked work (bead) and what to do next (gt-prime).",
	  "{\"type\":\"object\",\"properties\":{}}", t_prime },
	{ "done",
	  "Say the hooked work is finished (gt-done): commit first. status COMPLETED "
	  "(default), ESCALATED (stuck: ask for help) or DEFERRED (give it back).",
	  "{\"type\":\"object\",\"properties\":{\"summary\":{\"type\":\"string\"},"
	  "\"status\":{\"type\":\"string\",\"enum\":[\"COMPLETED\",\"ESCALATED\","
	  "\"DEFERRED\"]}}}",
	  t_done },
	{ "bead_comment", "Add a comment to your hooked bead (progress, findings, questions).",
	  "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},"
	  "\"required\":[\"text\"]}",
	  t_bead_comment },
	{ "mail_send", "Send mail to another agent (an address such as mayor/ or rig/name).",
	  "{\"type\":\"object\",\"properties\":{\"to\":{\"type\":\"string\"},"
	  "\"subject\":{\"type\":\"string\"},\"body\":{\"type\":\"string\"}},"
	  "\"required\":[\"to\",\"subject\",\"body\"]}",
	  t_mail_send },
};

static const struct tool *find_tool(const char *name)
{
	for (size_t i = 0; i < sizeof(tools) / sizeof(*tools); i++)
		if (!strcmp(tools[i].name, name))
			return &tools[i];
	return NULL;
}

static int tool_offered(const struct gt_oai *s, const char *name)
{
	if (s->all_tools)
		return 1;
	for (size_t i = 0; s->tools_allow.v[i]; i++)
		if (!strcmp(s->tools_allow.v[i], name))
			return 1;
	return 0;
}

/* --- the session --- */

static void add_message(struct gt_oai *s, const char *role, const char *content)
{
	cJSON *m = cJSON_CreateObject();
	struct gt_buf t = GT_BUF_INIT;

	add_clean(&t, content, strlen(content));
	cJSON_AddStringToObject(m, "role", role);
	cJSON_AddStringToObject(m, "content", gt_buf_cstr(&t));
	cJSON_AddItemToArray(s->messages, m);
	gt_buf_release(&t);
}

/* A user message; one right after another user message (a nudge after a
 * turn that failed, say) joins it, since some chat templates insist that
 * user and assistant alternate. */
static void add_user(struct gt_oai *s, const char *text)
{
	cJSON *last = cJSON_GetArrayItem(s->messages, cJSON_GetArraySize(s->messages) - 1);
	const char *role = last ? gt_json_str(last, "role") : NULL;
	const char *prev = last ? gt_json_str(last, "content") : NULL;

	if (role && !strcmp(role, "user") && prev) {
		struct gt_buf t = GT_BUF_INIT;

		gt_buf_printf(&t, "%s\n\n", prev);
		add_clean(&t, text, strlen(text));
		gt_json_set_str(last, "content", t.ptr);
		gt_buf_release(&t);
		return;
	}
	add_message(s, "user", text);
}

int gt_oai_new(struct gt_oai **out, const struct gt_oai_config *c, const char *system_prompt)
{
	struct gt_oai *s;
	struct gt_buf h = GT_BUF_INIT;
	char *ws;
	size_t bl;

	*out = NULL;
	if (!c->base_url || !*c->base_url)
		return gt_error_set(GT_EUSAGE, "no base URL for the model's server");
	if (!c->model || !*c->model)
		return gt_error_set(GT_EUSAGE, "no model named");
	if (!c->workspace || c->workspace[0] != '/')
		return gt_error_set(GT_EUSAGE, "the workspace must be an absolute directory");
	if (!(ws = realpath(c->workspace, NULL)))
		return gt_error_errno(GT_ENOTFOUND, "workspace '%s'", c->workspace);
	for (size_t i = 0; c->tools_allow && c->tools_allow[i]; i++)
		if (!find_tool(c->tools_allow[i])) {
			free(ws);
			return gt_error_set(GT_EUSAGE, "unknown tool '%s'", c->tools_allow[i]);
		}

	s = gt_calloc(1, sizeof(*s));
	s->ws = ws;
	bl = strlen(c->base_url);
	while (bl && c->base_url[bl - 1] == '/')
		bl--;
	gt_buf_add(&h, c->base_url, bl);
	gt_buf_adds(&h, "/chat/completions");
	s->url = gt_buf_detach(&h);
	s->model = gt_strdup(c->model);
	s->all_tools = !c->tools_allow;
	copy_list(&s->tools_allow, c->tools_allow);
	copy_list(&s->shell_allow, c->shell_allow);
	/* nothing may wait for a person: there is no terminal to answer on
	 * (the configuration's entries come after these and win) */
	gt_strlist_push_dup(&s->env, "GIT_EDITOR=true");
	gt_strlist_push_dup(&s->env, "GIT_TERMINAL_PROMPT=0");
	gt_strlist_push_dup(&s->env, "GIT_PAGER=cat");
	gt_strlist_push_dup(&s->env, "PAGER=cat");
	copy_list(&s->env, c->env);
	s->stream = c->stream ? 1 : 0;
	s->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 600000;
	s->connect_timeout_ms = c->connect_timeout_ms > 0 ? c->connect_timeout_ms : 30000;
	s->max_retries = c->max_retries > 0 ? c->max_retries : 0;
	s->max_wait_ms = c->max_wait_ms > 0 ? c->max_wait_ms : 120000;
	s->max_requests = c->max_requests > 0 ? c->max_requests : 100;

	if (c->api_key && *c->api_key) {
		s->api_key = gt_strdup(c->api_key);
		gt_buf_printf(&h, "Authorization: Bearer %s", c->api_key);
		gt_strlist_push(&s->headers, gt_buf_detach(&h));
	}
	gt_strlist_push_dup(&s->headers,
			    s->stream ? "Accept: text/event-stream" : "Accept: application/json");
	for (size_t i = 0; c->headers && c->headers[i]; i++)
		gt_strlist_push_dup(&s->headers, c->headers[i]);
	gt_strlist_push(&s->headers, NULL);

	s->messages = cJSON_CreateArray();
	if (system_prompt && *system_prompt)
		add_message(s, "system", system_prompt);
	s->tools = cJSON_CreateArray();
	for (size_t i = 0; i < sizeof(tools) / sizeof(*tools); i++) {
		cJSON *t, *f;

		if (!tool_offered(s, tools[i].name))
			continue;
		t = cJSON_CreateObject();
		cJSON_AddStringToObject(t, "type", "function");
		f = cJSON_AddObjectToObject(t, "function");
		cJSON_AddStringToObject(f, "name", tools[i].name);
		cJSON_AddStringToObject(f, "description", tools[i].desc);
		cJSON_AddItemToObject(f, "parameters", cJSON_Parse(tools[i].params));
		cJSON_AddItemToArray(s->tools, t);
	}
	*out = s;
	return 0;
}

void gt_oai_free(struct gt_oai *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->headers.n; i++)
		if (s->headers.v[i]) {
			/* the Authorization line holds the key */
			explicit_bzero((char *)s->headers.v[i], strlen(s->headers.v[i]));
			free((char *)s->headers.v[i]);
		}
	gt_strlist_release(&s->headers);
	if (s->api_key) {
		explicit_bzero(s->api_key, strlen(s->api_key));
		free(s->api_key);
	}
	gt_strlist_release_owned(&s->tools_allow);
	gt_strlist_release_owned(&s->shell_allow);
	gt_strlist_release_owned(&s->env);
	cJSON_Delete(s->messages);
	cJSON_Delete(s->tools);
	free(s->url);
	free(s->model);
	free(s->ws);
	free(s);
}

const struct gt_oai_usage *gt_oai_usage(const struct gt_oai *s)
{
	return &s->usage;
}

void gt_oai_messages(struct gt_buf *out, const struct gt_oai *s)
{
	gt_json_write(out, s->messages);
}

void gt_oai_result_release(struct gt_oai_result *res)
{
	gt_buf_release(&res->message);
	free(res->text);
	res->text = NULL;
	res->end = GT_OAI_END_TURN;
	res->retry_after_ms = 0;
}

/* --- one answer --- */

struct call {
	struct gt_buf id, name, args;
};

struct answer {
	struct gt_buf content;
	struct call *calls;
	size_t n, alloc;
	int finished;		   /* a finish_reason came */
	int done;		   /* data: [DONE] came */
	int has_usage;		   /* a usage object came */
	long long in, out, cached; /* from the last usage object */
	struct gt_buf error;	   /* an error object inside a 2xx answer */
	long error_code;	   /* its numeric code, 0 when none */
	struct gt_sse sse;
};

static void answer_reset(struct answer *a)
{
	gt_buf_reset(&a->content);
	for (size_t i = 0; i < a->n; i++) {
		gt_buf_release(&a->calls[i].id);
		gt_buf_release(&a->calls[i].name);
		gt_buf_release(&a->calls[i].args);
	}
	a->n = 0;
	a->finished = a->done = a->has_usage = 0;
	a->in = a->out = a->cached = 0;
	gt_buf_reset(&a->error);
	a->error_code = 0;
	gt_sse_release(&a->sse);
}

static void answer_release(struct answer *a)
{
	answer_reset(a);
	free(a->calls);
	gt_buf_release(&a->content);
	gt_buf_release(&a->error);
}

/* The tool call a piece belongs to: by "index" when it has one, else a
 * whole message's position, else by id (a new id starts a new call), else
 * the last one. */
static struct call *call_for(struct answer *a, const cJSON *tc, size_t pos, int whole)
{
	const cJSON *idx = cJSON_GetObjectItemCaseSensitive(tc, "index");
	const char *id = gt_json_str(tc, "id");
	size_t i;

	if (cJSON_IsNumber(idx) && idx->valuedouble >= 0 && idx->valuedouble < 1024) {
		i = (size_t)idx->valuedouble;
	} else if (whole) {
		i = pos;
	} else if (id && *id) {
		for (i = 0; i < a->n && strcmp(gt_buf_cstr(&a->calls[i].id), id); i++)
			;
	} else {
		i = a->n ? a->n - 1 : 0;
	}
	if (i >= a->n) {
		GT_ALLOC_GROW(a->calls, i + 1, a->alloc);
		memset(a->calls + a->n, 0, (i + 1 - a->n) * sizeof(*a->calls));
		a->n = i + 1;
	}
	return &a->calls[i];
}

static void add_usage(struct answer *a, const cJSON *u)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens_details");
	int64_t v;

	if (!cJSON_IsObject(u))
		return;
	a->has_usage = 1;
	a->in = !gt_json_int(u, "prompt_tokens", &v) ? v : 0;
	a->out = !gt_json_int(u, "completion_tokens", &v) ? v : 0;
	a->cached = cJSON_IsObject(d) && !gt_json_int(d, "cached_tokens", &v) ? v : 0;
}

/* Take in one chunk of a stream (msg_key "delta") or a whole answer
 * ("message"). */
static void take(struct answer *a, const cJSON *j, const char *msg_key)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(j, "choices");
	const cJSON *ch = cJSON_GetArrayItem(choices, 0), *m, *tcs, *tc, *fr;
	int whole = !strcmp(msg_key, "message");
	size_t pos = 0;

	if (err && !cJSON_IsNull(err)) {
		const cJSON *code =
			cJSON_IsObject(err) ? cJSON_GetObjectItemCaseSensitive(err, "code") : NULL;
		const char *msg = cJSON_IsString(err)		? err->valuestring
				  : gt_json_str(err, "message") ? gt_json_str(err, "message")
								: "unknown error";

		gt_buf_reset(&a->error);
		gt_buf_adds(&a->error, msg);
		if (cJSON_IsNumber(code))
			a->error_code = (long)code->valuedouble;
		else if (cJSON_IsString(code))
			a->error_code = strtol(code->valuestring, NULL, 10);
	}
	add_usage(a, cJSON_GetObjectItemCaseSensitive(j, "usage"));
	if (!cJSON_IsObject(ch))
		return;
	fr = cJSON_GetObjectItemCaseSensitive(ch, "finish_reason");
	if (cJSON_IsString(fr))
		a->finished = 1;
	m = cJSON_GetObjectItemCaseSensitive(ch, msg_key);
	if (!cJSON_IsObject(m))
		return;
	if (gt_json_str(m, "content"))
		gt_buf_adds(&a->content, gt_json_str(m, "content"));
	tcs = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
	cJSON_ArrayForEach (tc, tcs) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(tc, "function"), *args;
		struct call *c = call_for(a, tc, pos++, whole);
		const char *id = gt_json_str(tc, "id"), *name = gt_json_str(f, "name");

		if (id && *id) {
			gt_buf_reset(&c->id);
			gt_buf_adds(&c->id, id);
		}
		/* a name comes whole once, but be kind to servers that repeat it */
		if (name && *name && strcmp(gt_buf_cstr(&c->name), name))
			gt_buf_adds(&c->name, name);
		args = cJSON_GetObjectItemCaseSensitive(f, "arguments");
		if (cJSON_IsString(args)) {
			gt_buf_adds(&c->args, args->valuestring);
		} else if (cJSON_IsObject(args)) { /* some servers send an object */
			gt_buf_reset(&c->args);
			gt_json_write(&c->args, args);
		}
	}
}

static int on_event(void *ud, const char *event, const char *data, size_t len)
{
	struct answer *a = ud;
	cJSON *j;

	(void)event; /* chat completions name no events */

	if (!strcmp(data, "[DONE]")) {
		a->done = 1;
		return 0;
	}
	if (!(j = cJSON_ParseWithLength(data, len)))
		return gt_error_set(GT_EINVALID,
				    "the answer stream holds something not JSON: '%.80s'", data);
	take(a, j, "delta");
	cJSON_Delete(j);
	return 0;
}

static int on_data(void *ud, const char *data, size_t len)
{
	struct answer *a = ud;

	return gt_http_sse_feed(&a->sse, data, len);
}

/* The server's own words from an error body. */
static void server_message(struct gt_buf *out, const struct gt_buf *body)
{
	cJSON *j = body->len ? cJSON_ParseWithLength(body->ptr, body->len) : NULL;
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
	const char *msg = NULL;

	if (cJSON_IsString(err))
		msg = err->valuestring;
	else if (cJSON_IsObject(err))
		msg = gt_json_str(err, "message");
	if (!msg && j)
		msg = gt_json_str(j, "message") ? gt_json_str(j, "message")
						: gt_json_str(j, "detail");
	if (msg) {
		add_clean(out, msg, strlen(msg) > 2000 ? 2000 : strlen(msg));
	} else {
		size_t n = body->len > 300 ? 300 : body->len;

		add_clean(out, gt_buf_cstr(body), n);
		while (out->len && strchr(" \t\r\n", out->ptr[out->len - 1]))
			gt_buf_truncate(out, out->len - 1);
	}
	cJSON_Delete(j);
}

static void emit_ev(gt_oai_emit_fn emit, void *ud, const char *kind, const char *text)
{
	if (emit)
		emit(ud, kind, text);
}

enum verdict { V_OK, V_RETRY, V_FAIL };

/* Read what one request brought into a (when it answered) or into why
 * (when it did not); the verdict says what to do next. */
static enum verdict judge(struct gt_oai *s, struct answer *a, int rc, struct gt_http_resp *resp,
			  struct gt_buf *why)
{
	gt_buf_reset(why);
	if (rc < 0 && resp->streamed && a->done && !gt_sse_finish(&a->sse)) {
		rc = 0; /* dropped after the end of the answer: nothing lost */
	} else if (rc < 0) {
		gt_buf_adds(why, gt_error_last());
		return resp->transport_error ? V_RETRY : V_FAIL;
	}
	if (resp->status < 200 || resp->status > 299) {
		gt_buf_printf(why, "HTTP %ld from %s", resp->status, s->url);
		if (resp->body.len) {
			gt_buf_adds(why, ": ");
			server_message(why, &resp->body);
		}
		return resp->status == 429 || resp->status >= 500 || resp->status == 408 ? V_RETRY
											 : V_FAIL;
	}
	if (!resp->streamed) {
		const char *b = gt_buf_cstr(&resp->body);

		b += strspn(b, " \t\r\n");
		if (s->stream && (!strncmp(b, "data:", 5) || *b == ':')) {
			/* an event stream under another Content-Type */
			if ((rc = gt_http_sse_feed(&a->sse, resp->body.ptr, resp->body.len)) < 0) {
				gt_buf_adds(why, gt_error_last());
				return V_FAIL;
			}
			resp->streamed = 1;
		} else {
			cJSON *j = cJSON_ParseWithLength(resp->body.ptr ? resp->body.ptr : "",
							 resp->body.len);

			if (!j) {
				gt_buf_printf(why, "the answer from %s is not JSON: '", s->url);
				add_clean(why, gt_buf_cstr(&resp->body),
					  resp->body.len > 80 ? 80 : resp->body.len);
				gt_buf_adds(why, "'");
				return V_FAIL;
			}
			take(a, j, "message");
			cJSON_Delete(j);
			a->finished = 1;
		}
	}
	if (resp->streamed) {
		if ((rc = gt_sse_finish(&a->sse)) < 0) {
			gt_buf_adds(why, gt_error_last());
			return V_FAIL;
		}
		if (!a->error.len && !a->done && !a->finished) {
			gt_buf_printf(why, "the answer from %s stopped short", s->url);
			return V_RETRY;
		}
	}
	if (a->error.len) {
		gt_buf_printf(why, "error from %s: ", s->url);
		add_clean(why, a->error.ptr, a->error.len);
		if (a->error_code == 429)
			resp->status = 429;
		return a->error_code == 429 || a->error_code >= 500 ? V_RETRY : V_FAIL;
	}
	return V_OK;
}

static int end_turn(struct gt_oai_result *res, enum gt_oai_end end, int code, const char *msg)
{
	res->end = end;
	gt_buf_reset(&res->message);
	gt_buf_adds(&res->message, msg);
	return gt_error_set(code, "%s", msg);
}

static int ask(struct gt_oai *s, struct answer *a, gt_oai_emit_fn emit, void *ud,
	       struct gt_oai_result *res)
{
	struct gt_buf body = GT_BUF_INIT, why = GT_BUF_INIT;
	struct gt_http_resp resp = GT_HTTP_RESP_INIT;
	struct gt_http_req req = { 0 };
	cJSON *b = cJSON_CreateObject();
	int rc = 0;

	cJSON_AddStringToObject(b, "model", s->model);
	cJSON_AddItemReferenceToObject(b, "messages", s->messages);
	if (cJSON_GetArraySize(s->tools)) {
		cJSON_AddItemReferenceToObject(b, "tools", s->tools);
		cJSON_AddStringToObject(b, "tool_choice", "auto");
	}
	if (s->stream) {
		cJSON_AddBoolToObject(b, "stream", 1);
		cJSON_AddBoolToObject(cJSON_AddObjectToObject(b, "stream_options"), "include_usage",
				      1);
	}
	gt_json_write(&body, b);
	cJSON_Delete(b);

	req.url = s->url;
	req.headers = s->headers.v;
	req.body = body.ptr;
	req.timeout_ms = s->timeout_ms;
	req.connect_timeout_ms = s->connect_timeout_ms;
	if (s->stream) {
		req.on_data = on_data;
		req.ud = a;
	}
	for (int attempt = 0;; attempt++) {
		enum verdict v;
		long wait;

		answer_reset(a);
		gt_sse_init(&a->sse, on_event, a);
		rc = gt_http_post_json(&resp, &req);
		v = judge(s, a, rc, &resp, &why);
		redact(s, &why);
		if (v == V_OK) {
			rc = 0;
			break;
		}
		if (v == V_FAIL) {
			rc = end_turn(res, GT_OAI_ERROR, GT_EFAIL, why.ptr);
			break;
		}
		wait = resp.retry_after_ms >= 0 ? resp.retry_after_ms
						: BACKOFF_FIRST_MS << (attempt < 5 ? attempt : 5);
		if (resp.retry_after_ms < 0 && wait > BACKOFF_CAP_MS)
			wait = BACKOFF_CAP_MS;
		if (resp.status == 429 && (wait > s->max_wait_ms || attempt >= s->max_retries)) {
			res->retry_after_ms = wait;
			if (wait > s->max_wait_ms)
				gt_buf_printf(&why, " (asked to wait %ld ms)", wait);
			else if (attempt)
				gt_buf_printf(&why, " (after %d tries)", attempt + 1);
			rc = end_turn(res, GT_OAI_RATE_LIMITED, GT_ETEMP, why.ptr);
			break;
		}
		if (attempt >= s->max_retries) {
			if (attempt)
				gt_buf_printf(&why, " (after %d tries)", attempt + 1);
			rc = end_turn(res, GT_OAI_ERROR, GT_ETEMP, why.ptr);
			break;
		}
		if (wait > s->max_wait_ms)
			wait = s->max_wait_ms;
		if (emit) {
			struct gt_buf t = GT_BUF_INIT;

			gt_buf_printf(&t, "%s; retry %d of %d in %ld ms", why.ptr, attempt + 1,
				      s->max_retries, wait);
			emit(ud, "retry", t.ptr);
			gt_buf_release(&t);
		}
		sleep_ms(wait);
	}
	gt_http_resp_release(&resp);
	gt_buf_release(&body);
	gt_buf_release(&why);
	return rc;
}

/* Count an answer's usage and tell. */
static void account(struct gt_oai *s, const struct answer *a, gt_oai_emit_fn emit, void *ud)
{
	struct gt_buf t = GT_BUF_INIT;

	s->usage.requests++;
	s->usage.tokens_in += a->in;
	s->usage.tokens_out += a->out;
	s->usage.cache_read += a->cached;
	if (!emit)
		return;
	gt_buf_printf(&t,
		      "{\"tokens_in\":%lld,\"tokens_out\":%lld,\"cache_read\":%lld,"
		      "\"total\":{\"tokens_in\":%lld,\"tokens_out\":%lld,\"cache_read\":%lld,"
		      "\"requests\":%d}}",
		      a->in, a->out, a->cached, s->usage.tokens_in, s->usage.tokens_out,
		      s->usage.cache_read, s->usage.requests);
	emit(ud, "usage", t.ptr);
	gt_buf_release(&t);
}

/* Put the answer into the conversation; parsed arguments of each call in
 * argv (NULL where they are not a JSON object). */
static void record_answer(struct gt_oai *s, struct answer *a, cJSON **argv)
{
	cJSON *m = cJSON_CreateObject(), *tcs;
	struct gt_buf t = GT_BUF_INIT;

	cJSON_AddStringToObject(m, "role", "assistant");
	add_clean(&t, gt_buf_cstr(&a->content), a->content.len);
	if (t.len || !a->n)
		cJSON_AddStringToObject(m, "content", gt_buf_cstr(&t));
	else
		cJSON_AddNullToObject(m, "content");
	if (a->n) {
		tcs = cJSON_AddArrayToObject(m, "tool_calls");
		for (size_t i = 0; i < a->n; i++) {
			struct call *c = &a->calls[i];
			cJSON *tc = cJSON_CreateObject(), *f;
			const char *raw = a->calls[i].args.len ? a->calls[i].args.ptr : "{}";

			if (!c->id.len)
				gt_buf_printf(&c->id, "call_%lu", ++s->call_seq);
			argv[i] = cJSON_ParseWithLength(raw, strlen(raw));
			if (argv[i] && !cJSON_IsObject(argv[i])) {
				cJSON_Delete(argv[i]);
				argv[i] = NULL;
			}
			cJSON_AddStringToObject(tc, "id", c->id.ptr);
			cJSON_AddStringToObject(tc, "type", "function");
			f = cJSON_AddObjectToObject(tc, "function");
			gt_buf_reset(&t);
			add_clean(&t, gt_buf_cstr(&c->name), c->name.len);
			cJSON_AddStringToObject(f, "name", gt_buf_cstr(&t));
			/* arguments that are not JSON would break some servers'
			 * templates on the next request: keep them out */
			gt_buf_reset(&t);
			if (argv[i])
				gt_json_write(&t, argv[i]);
			cJSON_AddStringToObject(f, "arguments", argv[i] ? t.ptr : "{}");
			cJSON_AddItemToArray(tcs, tc);
		}
	}
	cJSON_AddItemToArray(s->messages, m);
	gt_buf_release(&t);
}

static void run_call(struct gt_oai *s, struct call *c, const cJSON *args, gt_oai_emit_fn emit,
		     void *ud)
{
	const char *name = gt_buf_cstr(&c->name);
	const struct tool *t = find_tool(name);
	struct gt_buf out = GT_BUF_INIT, ev = GT_BUF_INIT;
	cJSON *m;
	int rc;

	if (emit) {
		cJSON *e = cJSON_CreateObject();
		struct gt_buf raw = GT_BUF_INIT;

		cJSON_AddStringToObject(e, "id", c->id.ptr);
		cJSON_AddStringToObject(e, "name", name);
		if (args) {
			cJSON_AddItemToObject(e, "arguments", cJSON_Duplicate(args, 1));
		} else {
			add_clean(&raw, gt_buf_cstr(&c->args), c->args.len);
			cJSON_AddStringToObject(e, "arguments", gt_buf_cstr(&raw));
		}
		gt_json_write(&ev, e);
		redact(s, &ev);
		emit(ud, "tool_call", ev.ptr);
		cJSON_Delete(e);
		gt_buf_release(&raw);
	}
	if (!t)
		rc = gt_error_set(GT_ENOTFOUND, "unknown tool '%s'", name);
	else if (!tool_offered(s, name))
		rc = gt_error_set(GT_EINVALID, "the tool '%s' is not allowed here", name);
	else if (!args)
		rc = gt_error_set(GT_EINVALID, "the arguments are not a JSON object: '%.200s'",
				  gt_buf_cstr(&c->args));
	else
		rc = t->run(s, args, &out);
	if (rc < 0) {
		gt_buf_reset(&out);
		gt_buf_adds(&out, "error: ");
		add_clean(&out, gt_error_last(), strlen(gt_error_last()));
	}
	redact(s, &out);
	emit_ev(emit, ud, "tool_result", gt_buf_cstr(&out));
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "tool");
	cJSON_AddStringToObject(m, "tool_call_id", c->id.ptr);
	cJSON_AddStringToObject(m, "content", gt_buf_cstr(&out));
	cJSON_AddItemToArray(s->messages, m);
	gt_buf_release(&out);
	gt_buf_release(&ev);
}

int gt_oai_turn(struct gt_oai *s, const char *user_text, gt_oai_emit_fn emit, gt_oai_input_fn input,
		void *ud, struct gt_oai_result *res)
{
	struct answer a = { 0 };
	int rc = 0;

	gt_oai_result_release(res);
	if (user_text)
		add_user(s, user_text);
	for (int n = 0;; n++) {
		cJSON **argv;

		if (n && input) {
			char *t = input(ud);

			if (t) {
				add_user(s, t);
				free(t);
			}
		}
		if (n >= s->max_requests) {
			struct gt_buf t = GT_BUF_INIT;

			gt_buf_printf(&t,
				      "the model still calls tools after %d requests in this turn",
				      n);
			rc = end_turn(res, GT_OAI_MAX_REQUESTS, GT_EFAIL, t.ptr);
			gt_buf_release(&t);
			break;
		}
		if ((rc = ask(s, &a, emit, ud, res)) < 0)
			break;
		account(s, &a, emit, ud);
		argv = gt_calloc(a.n ? a.n : 1, sizeof(*argv));
		record_answer(s, &a, argv);
		if (a.content.len) {
			struct gt_buf t = GT_BUF_INIT;

			add_clean(&t, a.content.ptr, a.content.len);
			redact(s, &t);
			emit_ev(emit, ud, "assistant", t.ptr);
			gt_buf_release(&t);
		}
		for (size_t i = 0; i < a.n; i++) {
			run_call(s, &a.calls[i], argv[i], emit, ud);
			cJSON_Delete(argv[i]);
		}
		free(argv);
		if (!a.n) {
			struct gt_buf t = GT_BUF_INIT;

			add_clean(&t, gt_buf_cstr(&a.content), a.content.len);
			redact(s, &t);
			res->text = gt_buf_detach(&t);
			res->end = GT_OAI_END_TURN;
			rc = 0;
			break;
		}
	}
	answer_release(&a);
	return rc;
}
