/*
 * gt-dashboard - the town in a web page: agents with their live panes,
 * convoys, the merge queue, escalations, the e-stop and the feed as it
 * happens, served on 127.0.0.1 (libmicrohttpd, lib/base/httpd.h).
 *
 * The page is static files shipped with gt (web/); its API is the --json
 * the commands print: GET endpoints run a fixed gt-* command with --json
 * (argv, never a shell; request values are validated ids and addresses)
 * and relay its stdout byte for byte.  Live updates go out as server-sent
 * events from the main thread (flow/dashboard.h): it looks at
 * refs/gt/ledger's tip every 250 ms and, while a page is watching, sends
 * the new feed events (as gt-feed --follow), the town (as gt-status) when
 * it changed, and each running agent's pane when it changed, as HTML.  The only actions are a nudge and an
 * escalation's ack, by POST with the per-server CSRF secret.  Variables
 * that look like secrets are taken out of the environment at start (no
 * child sees them) and their values are redacted from every answer.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "base/httpd.h"
#include "flow/dashboard.h"
#include "base/banned.h"

extern char **environ;

static const char *const usage[] = {
	"gt-dashboard [--port N] [--open] [--listen ADDR]",
	NULL,
};

#define PANE_LINES  "-80"
#define MAX_SECRETS 64

static struct {
	struct gt_buf web, bindir, gt_dir, csrf;
	const char *actor;
	const char *const *secrets;
	struct gt_httpd *h;
} app = { GT_BUF_INIT, GT_BUF_INIT, GT_BUF_INIT, GT_BUF_INIT, NULL, NULL, NULL };

static volatile sig_atomic_t stop;

/* ---- set-up ---- */

static int is_dir(const char *p)
{
	return access(p, R_OK | X_OK) == 0;
}

/* The shipped web files: installed beside the programs, the source tree,
 * else the install prefix (as runtimes and formulas are found). */
static void find_web(struct gt_buf *out, const char *bindir)
{
	static const char *const tries[] = { "/../share/gt/web", "/../web" };

	for (size_t i = 0; bindir && *bindir && i < 2; i++) {
		gt_buf_reset(out);
		gt_buf_printf(out, "%s%s", bindir, tries[i]);
		if (is_dir(out->ptr))
			return;
	}
	gt_buf_reset(out);
	gt_buf_adds(out, GT_DATADIR "/web");
}

static int random_hex(struct gt_buf *out, size_t bytes)
{
	unsigned char b[32];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || bytes > sizeof(b) || read(fd, b, bytes) != (ssize_t)bytes) {
		if (fd >= 0)
			close(fd);
		return gt_error_set(GT_EFAIL, "cannot read /dev/urandom");
	}
	close(fd);
	for (size_t i = 0; i < bytes; i++)
		gt_buf_printf(out, "%02x", b[i]);
	return 0;
}

/* Whether a variable's name says it holds a secret. */
static int secret_name(const char *name, size_t n)
{
	static const char *const words[] = { "KEY",    "TOKEN", "SECRET",     "PASSWORD",
					     "PASSWD", "AUTH",	"CREDENTIAL", "COOKIE" };
	/* paths, not secrets, that a browser (--open) or git may need */
	static const char *const paths[] = { "XAUTHORITY", "SSH_AUTH_SOCK" };
	char up[128];

	if (n >= sizeof(up))
		return 1;
	for (size_t i = 0; i < n; i++)
		up[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
	up[n] = 0;
	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
		if (!strcmp(up, paths[i]))
			return 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (strstr(up, words[i]))
			return 1;
	return 0;
}

/* Take the secrets out of the environment, keeping their values (of 6
 * bytes or more) in secrets[] to redact. */
static void take_secrets(char **secrets, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; environ[i];) {
		const char *e = environ[i], *eq = strchr(e, '=');
		char *name;

		if (!eq || !secret_name(e, (size_t)(eq - e))) {
			i++;
			continue;
		}
		if (strlen(eq + 1) >= 6 && n < cap - 1)
			secrets[n++] = gt_strdup(eq + 1);
		name = gt_strndup(e, (size_t)(eq - e));
		unsetenv(name); /* environ shifts down: look at i again */
		free(name);
	}
	secrets[n] = NULL;
}

/* ---- the API ---- */

static int status_of(int code)
{
	switch (code) {
	case 2: return 400;
	case 3: return 404;
	case 4: return 409;
	case 5: return 422;
	case 6: return 503;
	default: return 500;
	}
}

/* Run bin/gt-<name> with args (and the ledger) and relay what it printed:
 * stdout with type when it exited 0, else its message as a JSON error. */
static void relay(struct gt_httpd_req *r, const char *name, const char *type,
		  const char *const *args)
{
	const char *argv[24];
	struct gt_buf prog = GT_BUF_INIT, out = GT_BUF_INIT, err = GT_BUF_INIT;
	struct gt_proc_opts o = { .out = &out, .err = &err };
	size_t n = 0;
	int st = 0;

	gt_buf_printf(&prog, "%s/gt-%s", app.bindir.ptr, name);
	if (access(prog.ptr, X_OK)) {
		gt_buf_reset(&err);
		gt_buf_printf(&err, "gt-%s is not installed", name);
		gt_httpd_reply_error(r, 501, err.ptr);
		goto out;
	}
	argv[n++] = prog.ptr;
	argv[n++] = "--gt-dir";
	argv[n++] = app.gt_dir.ptr;
	if (app.actor) {
		argv[n++] = "--actor";
		argv[n++] = app.actor;
	}
	while (*args && n < 23)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (gt_run(argv, &o, &st) == 0) {
		gt_httpd_reply(r, 200, type, out.ptr, out.len);
	} else {
		const char *line = gt_proc_telling_line(&err);

		gt_httpd_reply_error(r, status_of(st), *line ? line : gt_error_last());
	}
out:
	gt_buf_release(&prog);
	gt_buf_release(&out);
	gt_buf_release(&err);
}

/* A value from a request that may become an argument: printable, no
 * leading '-', at most max bytes; an id or an address besides. */
static int arg_ok(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > max || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int id_ok(const char *s)
{
	return arg_ok(s, 200) && gt_id_check(s) == 0;
}

static int agent_ok(const char *s)
{
	struct gt_address a;

	return arg_ok(s, 200) && gt_address_parse(&a, s) == 0;
}

static const char *socket_name; /* the town's tmux socket */

static void serve_file(struct gt_httpd_req *r, const char *name)
{
	static const char *const types[][2] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
	};
	struct gt_buf path = GT_BUF_INIT, body = GT_BUF_INIT;
	const char *type = NULL, *dot = strrchr(name, '.');

	/* one plain file name of the web folder: no '/', no leading dot */
	if (!*name || name[0] == '.' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(name)) {
		gt_httpd_reply_error(r, 404, "not found");
		return;
	}
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(*types); i++)
		if (!strcmp(dot, types[i][0]))
			type = types[i][1];
	gt_buf_printf(&path, "%s/%s", app.web.ptr, name);
	if (!type || gt_read_file(&body, path.ptr) < 0) {
		gt_httpd_reply_error(r, 404, "not found");
	} else if (!strcmp(name, "index.html")) {
		/* the page learns the CSRF secret from its HTML */
		char *at = strstr(body.ptr, "{{CSRF}}");
		struct gt_buf page = GT_BUF_INIT;

		if (at) {
			gt_buf_add(&page, body.ptr, (size_t)(at - body.ptr));
			gt_buf_adds(&page, app.csrf.ptr);
			gt_buf_adds(&page, at + 8);
		}
		gt_httpd_reply_static(r, type, at ? page.ptr : body.ptr, at ? page.len : body.len);
		gt_buf_release(&page);
	} else {
		gt_httpd_reply_static(r, type, body.ptr, body.len);
	}
	gt_buf_release(&path);
	gt_buf_release(&body);
}

static void post(struct gt_httpd_req *r, const char *path)
{
	size_t len;
	const char *body = gt_httpd_body(r, &len);
	cJSON *j = cJSON_ParseWithLength(body, len);
	const char *a = gt_json_str(j, "agent"), *text = gt_json_str(j, "text");
	const char *id = gt_json_str(j, "id"), *note = gt_json_str(j, "note");

	if (!cJSON_IsObject(j)) {
		gt_httpd_reply_error(r, 400, "the body must be a JSON object");
	} else if (!strcmp(path, "/api/nudge")) {
		if (!agent_ok(a) || !text || !arg_ok(text[0] == '-' ? text + 1 : text, 4000)) {
			gt_httpd_reply_error(r, 400, "an agent address and text are required");
		} else {
			const char *args[] = { "--mode", "wait-idle", "--timeout", "5000",
					       "--",	 a,	      text,	   NULL };

			relay(r, "nudge", "text/plain; charset=utf-8", args);
		}
	} else if (!strcmp(path, "/api/ack")) {
		if (!id_ok(id) || (note && !arg_ok(note[0] == '-' ? note + 1 : note, 4000))) {
			gt_httpd_reply_error(r, 400, "an escalation id is required");
		} else {
			const char *args[] = { "-m", note ? note : "acknowledged in gt-dashboard",
					       "--", id, NULL };

			relay(r, "escalation-ack", "text/plain; charset=utf-8", args);
		}
	} else {
		gt_httpd_reply_error(r, 404, "no such action (there are /api/nudge and /api/ack)");
	}
	cJSON_Delete(j);
}

static void handle(void *ud, struct gt_httpd_req *r)
{
	const char *path = gt_httpd_path(r), *id = gt_httpd_query(r, "id");
	const char *json = "application/json", *jsonl = "application/x-ndjson";

	if (!strcmp(gt_httpd_method(r), "POST")) {
		post(r, path);
	} else if (!strcmp(path, "/api/events")) {
		gt_httpd_reply_events(r);
	} else if (!strcmp(path, "/api/status")) {
		const char *args[] = { "--json", NULL };

		relay(r, "status", json, args);
	} else if (!strcmp(path, "/api/feed")) {
		const char *n = gt_httpd_query(r, "n");
		long v = 100;

		if (n && gt_parse_long(n, 1, 10000, &v) < 0) {
			gt_httpd_reply_error(r, 400, "n must be a number from 1 to 10000");
		} else {
			char num[24];
			const char *args[] = { "--json", "-n", num, NULL };

			snprintf(num, sizeof(num), "%ld", v);
			relay(r, "feed", jsonl, args);
		}
	} else if (!strcmp(path, "/api/convoys")) {
		const char *args[] = { "--all", "--json", NULL };

		relay(r, "convoy-list", jsonl, args);
	} else if (!strcmp(path, "/api/cost")) {
		const char *one[] = { "--json", "--", id, NULL }, *all[] = { "--json", NULL };

		if (id && !id_ok(id))
			gt_httpd_reply_error(r, 400, "bad id");
		else
			relay(r, "cost", jsonl, id ? one : all);
	} else if (!strcmp(path, "/api/convoy") || !strcmp(path, "/api/graph") ||
		   !strcmp(path, "/api/graph.json")) {
		const char *convoy[] = { "--json", "--", id, NULL };
		const char *svg[] = { "--svg", "--", id, NULL };

		if (!id_ok(id))
			gt_httpd_reply_error(r, 400, "a bead id is required (?id=)");
		else if (!strcmp(path, "/api/convoy"))
			relay(r, "convoy-status", json, convoy);
		else if (!strcmp(path, "/api/graph"))
			relay(r, "graph", "image/svg+xml", svg);
		else
			relay(r, "graph", json, convoy);
	} else if (!strcmp(path, "/api/pane")) {
		const char *a = gt_httpd_query(r, "agent");
		char *p = agent_ok(a) ? gt_dash_pane(socket_name, a, app.secrets) : NULL;

		if (p)
			gt_httpd_reply(r, 200, json, p, strlen(p));
		else
			gt_httpd_reply_error(r, agent_ok(a) ? 404 : 400,
					     "no session for that agent");
		free(p);
	} else if (!strncmp(path, "/api/", 5)) {
		gt_httpd_reply_error(r, 404, "no such endpoint");
	} else {
		serve_file(r, !strcmp(path, "/") ? "index.html" : path + 1);
	}
}

/* Warn once xdg-open (*opener, started by --open) has failed. */
static void opened(struct gt_cli *cli, long *opener, const char *url)
{
	int st = 0, rc;

	if (!*opener || !(rc = gt_proc_reap(*opener, &st)))
		return;
	if (rc > 0 && st)
		gt_cli_warn(
			cli,
			"cannot open a browser ('xdg-open' failed with status %d); the page is %s",
			st, url);
	gt_error_clear();
	*opener = 0;
}

int main(int argc, char **argv)
{
	struct gt_cli cli = { .usage = usage };
	struct gt_ctx ctx = { 0 };
	struct gt_town t = { 0 };
	struct gt_httpd_opts ho = { 0 };
	struct gt_buf token = GT_BUF_INIT, url = GT_BUF_INIT;
	struct gt_dash_watch w = { 0 };
	char *secrets[MAX_SECRETS];
	const char *listen = NULL;
	long port = 7420, opener = 0;
	int rc = 0, open_it = 0;
	const struct gt_option opts[] = {
		GT_OPT_INT(0, "port", &port, "N",
			   "listen on port N (default 7420; 0: any free one)"),
		GT_OPT_FLAG(0, "open", &open_it, "open the page in a browser (xdg-open)"),
		GT_OPT_STRING(0, "listen", &listen, "ADDR",
			      "listen on ADDR instead of 127.0.0.1, with a token in the URL"),
		GT_OPT_LEDGER(&cli),
		GT_OPT_END(),
	};

	cli.summary = "serve a live web page of the town on 127.0.0.1";
	cli.opts = opts;
	if (gt_cli_parse(&cli, argc, argv))
		gt_cli_usage_error(&cli, "unexpected argument '%s'", argv[1]);
	if (port < 0 || port > 65535)
		gt_cli_usage_error(&cli, "bad --port %ld", port);
	take_secrets(secrets, MAX_SECRETS);
	if ((rc = gt_cli_town(&cli, &ctx, &t)) < 0)
		goto out;
	gt_buf_adds(&app.bindir, t.bindir && *t.bindir ? t.bindir : ".");
	gt_buf_adds(&app.gt_dir, git_repository_path(ctx.lg->git));
	find_web(&app.web, t.bindir);
	app.actor = cli.actor;
	socket_name = t.socket;
	if ((rc = random_hex(&app.csrf, 16)) < 0 || (listen && (rc = random_hex(&token, 16)) < 0))
		goto out;
	ho.addr = listen;
	ho.port = (int)port;
	ho.check_host = !listen;
	ho.token = listen ? token.ptr : NULL;
	ho.csrf = app.csrf.ptr;
	ho.secrets = app.secrets = (const char *const *)secrets;
	ho.handle = handle;
	gt_cli_stop_on_signals(&stop);
	if ((rc = gt_httpd_start(&app.h, &ho)) < 0)
		goto out;
	gt_buf_printf(&url, "http://%s%s%s:%d/",
		      !listen		    ? "127.0.0.1"
		      : strchr(listen, ':') ? "["
					    : "",
		      listen ? listen : "", listen && strchr(listen, ':') ? "]" : "",
		      gt_httpd_port(app.h));
	if (listen)
		gt_buf_printf(&url, "?token=%s", token.ptr);
	printf("%s\n", url.ptr);
	fflush(stdout);
	if (open_it) {
		/* not waited for: an xdg-open may return only when the
		 * browser it started is closed */
		const char *args[] = { "xdg-open", url.ptr, NULL };

		if (gt_spawn(&opener, args) < 0)
			gt_cli_warn(&cli, "cannot open a browser (%s); the page is %s",
				    gt_error_last(), url.ptr);
		gt_error_clear();
	}
	w.h = app.h;
	w.secrets = app.secrets;
	while (!stop) {
		gt_dash_watch_once(&w, &ctx, &t);
		opened(&cli, &opener, url.ptr);
		gt_cli_nap(GT_DASH_TICK_MS, &stop);
	}
out:
	gt_httpd_stop(app.h);
	gt_dash_watch_release(&w);
	for (size_t i = 0; secrets[i]; i++)
		free(secrets[i]);
	gt_buf_release(&token);
	gt_buf_release(&url);
	gt_buf_release(&app.web);
	gt_buf_release(&app.bindir);
	gt_buf_release(&app.gt_dir);
	gt_buf_release(&app.csrf);
	gt_town_release(&t);
	gt_cli_close(&ctx, NULL);
	return gt_cli_finish(&cli, rc);
}
