/*
 * t-openai.c - the pieces of the agent loop that need no server: path
 * confinement (.., absolute paths, symbolic links out and to nowhere), the
 * shell-less word splitter and the allow list, the server-sent-events
 * parser fed in every possible split, Retry-After values, and the checks
 * gt_oai_new() makes.  The loop itself runs against a fake server in the
 * shell tests.
 */
#include <stdlib.h>
#include <unistd.h>

#include "gt.h"
#include "base/http.h"
#include "run/openai.h"
#include "tap.h"

static char ws[4096];

static void confined(const char *path, const char *want_rel)
{
	struct gt_buf abs = GT_BUF_INIT, rel = GT_BUF_INIT;
	int rc = gt_oai_confine(&abs, &rel, ws, path);

	ok(rc == 0, "confine '%s': inside", path);
	if (rc)
		printf("# %s\n", gt_error_last());
	is_str(rel.ptr, want_rel, "confine '%s': relative path", path);
	ok(abs.ptr && !strncmp(abs.ptr, ws, strlen(ws)), "confine '%s': absolute path", path);
	gt_buf_release(&abs);
	gt_buf_release(&rel);
}

static void refused(const char *path, const char *why)
{
	struct gt_buf abs = GT_BUF_INIT;
	int rc = gt_oai_confine(&abs, NULL, ws, path);

	ok(rc == GT_EINVALID && strstr(gt_error_last(), why), "confine '%s': refused (%s)", path,
	   why);
	if (rc != GT_EINVALID)
		printf("# got %d [%s] %s\n", rc, gt_buf_cstr(&abs), gt_error_last());
	gt_buf_release(&abs);
}

static void run(const char *const *argv)
{
	if (gt_run(argv, NULL, NULL) < 0)
		printf("# %s\n", gt_error_last());
}

static void confinement(void)
{
	char dir[] = "/tmp/t-openai.XXXXXX", *real;
	struct gt_buf p = GT_BUF_INIT, q = GT_BUF_INIT;

	if (!mkdtemp(dir) || !(real = realpath(dir, NULL))) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(ws, sizeof(ws), "%s/ws", real);
	free(real);
	gt_buf_printf(&p, "%s/a/b", ws);
	gt_mkdir_parents(p.ptr);
	gt_buf_reset(&p);
	gt_buf_printf(&p, "%s/a/f", ws);
	gt_write_file_atomic(p.ptr, "x\n", 2);
	gt_buf_reset(&p);
	gt_buf_printf(&p, "%s/out", ws);
	ok(!symlink("/etc", p.ptr), "symlink out -> /etc");
	gt_buf_reset(&p);
	gt_buf_printf(&p, "%s/dangling", ws);
	ok(!symlink("/nonexistent-t-openai/x", p.ptr), "symlink dangling");
	gt_buf_reset(&p);
	gt_buf_printf(&p, "%s/in", ws);
	ok(!symlink("a", p.ptr), "symlink in -> a");
	gt_buf_reset(&p);
	gt_buf_printf(&p, "%s/a/up", ws);
	ok(!symlink("../..", p.ptr), "symlink a/up -> ../..");
	gt_buf_reset(&p);
	gt_buf_printf(&p, "%s2", ws); /* a sibling whose name starts like ws */
	gt_buf_printf(&q, "%s/f", p.ptr);
	gt_mkdir_parents(q.ptr);
	gt_write_file_atomic(q.ptr, "y\n", 2);

	confined("a/f", "a/f");
	confined("", ".");
	confined(".", ".");
	confined("./a/./f", "a/f");
	confined("a/b/", "a/b");
	confined("new/dir/file.c", "new/dir/file.c");
	confined("a/new/./deeper", "a/new/deeper");
	confined("in/f", "a/f");
	confined("in/newfile", "a/newfile");
	gt_buf_reset(&p);
	gt_buf_printf(&p, "%s/a/f", ws);
	confined(p.ptr, "a/f");
	confined(ws, ".");

	refused("..", "\"..\" is not allowed");
	refused("../x", "\"..\" is not allowed");
	refused("a/../a/f", "\"..\" is not allowed");
	refused("a/b/../../..", "\"..\" is not allowed");
	refused("/etc/passwd", "outside the workspace");
	refused("/", "outside the workspace");
	refused("/nonexistent-t-openai/x", "outside the workspace");
	refused("out", "outside the workspace");
	refused("out/passwd", "outside the workspace");
	refused("out/newfile", "outside the workspace");
	refused("dangling", "symbolic link to nowhere");
	refused("dangling/x/y", "symbolic link to nowhere");
	refused("a/up", "outside the workspace");
	refused("a/up/ws2-not-there", "outside the workspace");
	refused(q.ptr, "outside the workspace");

	{
		const char *rm[] = { "rm", "-rf", dir, NULL };

		run(rm);
	}
	gt_buf_release(&p);
	gt_buf_release(&q);
}

/* line as a test name: a line break would end the TAP line */
static const char *shown(const char *line)
{
	static char out[256];
	size_t n = 0;

	for (const char *p = line; *p && n + 3 < sizeof(out); p++) {
		if (*p == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return out;
}

static void words(const char *line, int n, const char *joined)
{
	struct gt_strlist w = { 0 };
	struct gt_buf j = GT_BUF_INIT;
	int rc = gt_oai_split_words(&w, line);

	for (size_t i = 0; i < w.n; i++)
		gt_buf_printf(&j, "%s[%s]", i ? " " : "", w.v[i]);
	ok(rc == 0 && (int)w.n == n, "split '%s': %d words", shown(line), n);
	if (rc)
		printf("# %s\n", gt_error_last());
	is_str(gt_buf_cstr(&j), joined, "split '%s': the words", shown(line));
	gt_strlist_release_owned(&w);
	gt_buf_release(&j);
}

static void no_words(const char *line, const char *why)
{
	struct gt_strlist w = { 0 };
	int rc = gt_oai_split_words(&w, line);

	ok(rc == GT_EINVALID && strstr(gt_error_last(), why), "split '%s': refused (%s)",
	   shown(line), why);
	if (rc != GT_EINVALID || !strstr(gt_error_last(), why))
		printf("# got %d: %s\n", rc, gt_error_last());
	gt_strlist_release_owned(&w);
}

static void splitting(void)
{
	words("git status", 2, "[git] [status]");
	words("  git\tcommit  -m \"fix the bug\"  ", 4, "[git] [commit] [-m] [fix the bug]");
	words("echo 'a b' c\\ d", 3, "[echo] [a b] [c d]");
	words("echo '$HOME; `x` | y'", 2, "[echo] [$HOME; `x` | y]");
	words("echo \"a\\\"b\" \"c\\\\d\" \"\\$x\"", 4, "[echo] [a\"b] [c\\d] [$x]");
	words("echo '' \"\"", 3, "[echo] [] []");
	words("echo a'b c'd", 2, "[echo] [ab cd]");
	words("git log --format=%H -n1", 4, "[git] [log] [--format=%H] [-n1]");
	words("gt-bead-show gt-x1 a#b", 3, "[gt-bead-show] [gt-x1] [a#b]");
	words("git commit -m 'line one\nline two'", 4, "[git] [commit] [-m] [line one\nline two]");
	words("echo \"a\\\nb\"", 2, "[echo] [ab]");
	words("", 0, "");
	words("   ", 0, "");

	no_words("git status; rm -rf /", "';' needs a shell");
	no_words("ls | wc -l", "'|' needs a shell");
	no_words("make test && git push", "'&' needs a shell");
	no_words("make test > log", "'>' needs a shell");
	no_words("sort < f", "'<' needs a shell");
	no_words("echo $HOME", "'$' needs a shell");
	no_words("echo `id`", "'`' needs a shell");
	no_words("echo $(id)", "'$' needs a shell");
	no_words("(cd x)", "'(' needs a shell");
	no_words("echo \"$HOME\"", "'$' inside \"...\"");
	no_words("echo \"`id`\"", "'`' inside \"...\"");
	no_words("ls *.c", "'*' would need a shell");
	no_words("ls a?", "'?' would need a shell");
	no_words("git add -A\ngit commit", "line break");
	no_words("git status # look", "'#' needs a shell");
	no_words("echo 'open", "unclosed ' quote");
	no_words("echo \"open", "unclosed \" quote");
	no_words("echo x\\", "backslash ends");
}

static int allowed(const char *const *allow, const char *line)
{
	struct gt_strlist w = { 0 };
	int yes = gt_oai_split_words(&w, line) == 0 && gt_oai_shell_allowed(allow, w.v, w.n);

	gt_strlist_release_owned(&w);
	return yes;
}

static void allow_list(void)
{
	static const char *const allow[] = { "git", "make test", "gt-", "cargo*", "./run", NULL };
	static const char *const empty[] = { NULL };

	ok(allowed(allow, "git status"), "allow: git status");
	ok(allowed(allow, "git"), "allow: git alone");
	ok(!allowed(allow, "gitk"), "allow: not gitk");
	ok(allowed(allow, "make test"), "allow: make test");
	ok(allowed(allow, "make test V=1"), "allow: make test V=1");
	ok(!allowed(allow, "make"), "allow: not make alone");
	ok(!allowed(allow, "make install"), "allow: not make install");
	ok(allowed(allow, "gt-prime"), "allow: gt-prime");
	ok(allowed(allow, "gt-bead-show gt-x1"), "allow: gt-bead-show");
	ok(!allowed(allow, "gt"), "allow: not gt (the prefix is gt-)");
	ok(!allowed(allow, "gt-x/../../bin/sh"), "allow: not a path after the gt- prefix");
	ok(allowed(allow, "cargo"), "allow: cargo* matches cargo");
	ok(allowed(allow, "cargo-clippy"), "allow: cargo* matches cargo-clippy");
	ok(allowed(allow, "./run -v"), "allow: ./run exactly");
	ok(!allowed(allow, "./runner"), "allow: not ./runner");
	ok(!allowed(allow, "rm -rf x"), "allow: not rm");
	ok(!allowed(allow, ""), "allow: not an empty command");
	ok(!allowed(NULL, "git status"), "allow: NULL list allows nothing");
	ok(!allowed(empty, "git status"), "allow: empty list allows nothing");
}

struct events {
	struct gt_buf got;
	int stop_at; /* return an error at this event (0: never) */
	int n;
};

static int on_ev(void *ud, const char *event, const char *data, size_t len)
{
	struct events *e = ud;

	e->n++;
	gt_buf_printf(&e->got, "<%s|", event);
	gt_buf_add(&e->got, data, len);
	gt_buf_adds(&e->got, ">");
	if (e->stop_at && e->n == e->stop_at)
		return gt_error_set(GT_EINVALID, "stop");
	return 0;
}

static const char sse_stream[] = "\xEF\xBB\xBF: a comment\r\n"
				 "data: {\"a\":1}\r\n"
				 "\r\n"
				 "event: x\n"
				 "id: 7\n"
				 "data: line1\n"
				 "data:line2\n"
				 "retry: 10\n"
				 "\n"
				 "data\r"
				 "\r"
				 "event: nothing\n"
				 "\n"
				 ": just a comment\n"
				 "\n"
				 "data:  two spaces\r\n"
				 "\r\n"
				 "data: [DONE]\n\n";
static const char sse_want[] = "<|{\"a\":1}><x|line1\nline2><|><| two spaces><|[DONE]>";

static void sse(void)
{
	size_t n = sizeof(sse_stream) - 1;
	int all_ok = 1;
	struct gt_sse p;
	struct events e = { GT_BUF_INIT, 0, 0 };

	/* every split into two chunks, then every three-way split near the
	 * CRLFs, then a byte at a time */
	for (size_t i = 0; i <= n; i++) {
		gt_buf_reset(&e.got);
		gt_sse_init(&p, on_ev, &e);
		gt_http_sse_feed(&p, sse_stream, i);
		gt_http_sse_feed(&p, sse_stream + i, n - i);
		gt_sse_finish(&p);
		gt_sse_release(&p);
		if (strcmp(gt_buf_cstr(&e.got), sse_want)) {
			all_ok = 0;
			printf("# split at %zu: %s\n", i, gt_buf_cstr(&e.got));
		}
	}
	ok(all_ok, "sse: the same events for every split into two chunks");
	all_ok = 1;
	for (size_t i = 0; i <= n; i++)
		for (size_t j = i; j <= n && j < i + 4; j++) {
			gt_buf_reset(&e.got);
			gt_sse_init(&p, on_ev, &e);
			gt_http_sse_feed(&p, sse_stream, i);
			gt_http_sse_feed(&p, sse_stream + i, j - i);
			gt_http_sse_feed(&p, sse_stream + j, n - j);
			gt_sse_finish(&p);
			gt_sse_release(&p);
			all_ok &= !strcmp(gt_buf_cstr(&e.got), sse_want);
		}
	ok(all_ok, "sse: the same events for three chunks");
	gt_buf_reset(&e.got);
	gt_sse_init(&p, on_ev, &e);
	for (size_t i = 0; i < n; i++)
		gt_http_sse_feed(&p, sse_stream + i, 1);
	gt_sse_finish(&p);
	gt_sse_release(&p);
	is_str(gt_buf_cstr(&e.got), sse_want, "sse: a byte at a time");

	/* the end of the stream without its blank line */
	gt_buf_reset(&e.got);
	gt_sse_init(&p, on_ev, &e);
	gt_http_sse_feed(&p, "data: a\n\ndata: tail", 19);
	is_str(gt_buf_cstr(&e.got), "<|a>", "sse: an event waits for its blank line");
	gt_sse_finish(&p);
	gt_sse_release(&p);
	is_str(gt_buf_cstr(&e.got), "<|a><|tail>", "sse: finish dispatches the unterminated event");

	/* the callback stops the parser */
	gt_buf_reset(&e.got);
	e.n = 0;
	e.stop_at = 2;
	gt_sse_init(&p, on_ev, &e);
	ok(gt_http_sse_feed(&p, "data: 1\n\ndata: 2\n\ndata: 3\n\n", 27) == GT_EINVALID,
	   "sse: the callback's error comes back");
	is_str(gt_buf_cstr(&e.got), "<|1><|2>", "sse: nothing after the error");
	gt_sse_release(&p);
	gt_buf_release(&e.got);
}

static void retry_after(void)
{
	const time_t when = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */

	ok(gt_http_retry_after_ms("120", when) == 120000, "retry-after: 120 s");
	ok(gt_http_retry_after_ms(" 3 \r\n", when) == 3000, "retry-after: blanks around");
	ok(gt_http_retry_after_ms("0", when) == 0, "retry-after: 0");
	ok(gt_http_retry_after_ms("1.5", when) == 1500, "retry-after: fractions");
	ok(gt_http_retry_after_ms("Wed, 21 Oct 2015 07:28:30 GMT", when) == 30000,
	   "retry-after: IMF-fixdate");
	ok(gt_http_retry_after_ms("Wednesday, 21-Oct-15 07:29:00 GMT", when) == 60000,
	   "retry-after: RFC 850 date");
	ok(gt_http_retry_after_ms("Wed Oct 21 07:28:05 2015", when) == 5000,
	   "retry-after: asctime date");
	ok(gt_http_retry_after_ms("Tue, 20 Oct 2015 07:28:00 GMT", when) == 0,
	   "retry-after: a date past is 0");
	ok(gt_http_retry_after_ms("soon", when) == -1, "retry-after: nonsense is -1");
	ok(gt_http_retry_after_ms("", when) == -1, "retry-after: empty is -1");
	ok(gt_http_retry_after_ms("-5", when) == -1, "retry-after: negative is -1");
	ok(gt_http_retry_after_ms("5s", when) == -1, "retry-after: units are -1");
	ok(gt_http_retry_after_ms(NULL, when) == -1, "retry-after: NULL is -1");
}

static void session(void)
{
	static const char *const tools[] = { "read_file", "shell", NULL };
	static const char *const bad_tools[] = { "read_file", "rm_rf", NULL };
	struct gt_oai_config c = { 0 };
	struct gt_oai *s = NULL;
	struct gt_buf m = GT_BUF_INIT;

	c.base_url = "http://127.0.0.1:1/v1";
	c.model = "m";
	c.workspace = "relative/dir";
	ok(gt_oai_new(&s, &c, NULL) == GT_EUSAGE && !s, "new: a relative workspace is refused");
	c.workspace = "/nonexistent-t-openai";
	ok(gt_oai_new(&s, &c, NULL) == GT_ENOTFOUND && !s, "new: a missing workspace");
	c.workspace = "/tmp";
	c.model = NULL;
	ok(gt_oai_new(&s, &c, NULL) == GT_EUSAGE && !s, "new: no model");
	c.model = "m";
	c.tools_allow = bad_tools;
	ok(gt_oai_new(&s, &c, NULL) == GT_EUSAGE && strstr(gt_error_last(), "rm_rf"),
	   "new: an unknown tool in tools_allow");
	c.tools_allow = tools;
	c.api_key = "sk-secret-t-openai";
	ok(gt_oai_new(&s, &c, "be brief") == 0 && s, "new: a session");
	gt_oai_messages(&m, s);
	is_str(m.ptr, "[{\"role\":\"system\",\"content\":\"be brief\"}]",
	       "new: the system prompt starts the conversation");
	ok(gt_oai_usage(s)->requests == 0, "new: no requests yet");
	gt_oai_free(s);
	gt_buf_release(&m);
}

/* A turn against a port nobody listens on ends in an error that names the
 * server (never the key), without retries when none are configured. */
static void unreachable(void)
{
	struct gt_oai_config c = { 0 };
	struct gt_oai_result res = GT_OAI_RESULT_INIT;
	struct gt_oai *s = NULL;
	int rc;

	c.base_url = "http://127.0.0.1:9/v1/";
	c.model = "m";
	c.workspace = "/tmp";
	c.api_key = "sk-secret-t-openai";
	c.connect_timeout_ms = 2000;
	if (gt_oai_new(&s, &c, NULL) < 0) {
		ok(0, "new: %s", gt_error_last());
		return;
	}
	rc = gt_oai_turn(s, "hello", NULL, NULL, NULL, &res);
	ok(rc == GT_ETEMP && res.end == GT_OAI_ERROR, "unreachable: GT_ETEMP, GT_OAI_ERROR");
	ok(strstr(res.message.ptr, "http://127.0.0.1:9/v1/chat/completions") != NULL,
	   "unreachable: the message names the URL");
	ok(!strstr(res.message.ptr, "sk-secret"), "unreachable: and not the key");
	printf("# %s\n", res.message.ptr);
	gt_oai_result_release(&res);
	gt_oai_free(s);
}

int main(void)
{
	confinement();
	splitting();
	allow_list();
	sse();
	retry_after();
	session();
	unreachable();
	gt_http_shutdown();
	return tap_done();
}
