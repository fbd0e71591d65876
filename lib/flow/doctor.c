/*
 * doctor.c - the town's health checks and their safe fixes (doctor.h).
 */
#include "flow/doctor.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/config.h"
#include "store/ledger.h"
#include "store/repo.h"
#include "store/verify.h"
#include "town/agent.h"
#include "town/estop.h"
#include "town/runtime.h"
#include "town/session.h"
#include "town/snapshot.h"
#include "town/town.h"
#include "town/worker.h"
#include "town/workspace.h"
#include "flow/mail.h"
#include "flow/mq.h"
#include "base/banned.h"

struct doc {
	struct gt_ctx *ctx;
	const struct gt_town *t;
	int fix;
	cJSON *out, *cur;
	cJSON *agents, *rigs;
	struct gt_buf sessions;
};

static void begin(struct doc *d, const char *check, const char *fix)
{
	d->cur = cJSON_CreateObject();
	gt_json_set_str(d->cur, "check", check);
	gt_json_set_bool(d->cur, "ok", 1);
	cJSON_AddArrayToObject(d->cur, "found");
	if (fix)
		gt_json_set_str(d->cur, "fix", fix);
	else
		cJSON_AddNullToObject(d->cur, "fix");
	cJSON_AddArrayToObject(d->cur, "fixed");
	cJSON_AddItemToArray(d->out, d->cur);
}

static void found(struct doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void found(struct doc *d, const char *fmt, ...)
{
	struct gt_buf b = GT_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	gt_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(d->cur, "found"),
			     cJSON_CreateString(b.ptr));
	gt_json_set_bool(d->cur, "ok", 0);
	gt_buf_release(&b);
}

static void fixed(struct doc *d, const char *what)
{
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(d->cur, "fixed"),
			     cJSON_CreateString(what));
}

static int is_polecat(const cJSON *a)
{
	const char *role = gt_json_str(a, "role");

	return role && !strcmp(role, "polecat");
}

static const char *hook_of(const cJSON *a)
{
	const char *h = gt_json_str(a, "hook");

	return h && *h ? h : NULL;
}

static const char *rig_repo(struct doc *d, const char *rig, struct gt_rig *r)
{
	memset(r, 0, sizeof(*r));
	if (!rig || gt_rig_load(r, d->ctx, d->t, rig) < 0) {
		gt_error_clear();
		return NULL;
	}
	return r->repo;
}

/* ---- the checks ---- */

static void ledger_problem(const char *msg, void *p)
{
	found(p, "%s", msg);
}

static void check_ledger(struct doc *d)
{
	size_t n = 0;

	begin(d, "ledger", NULL);
	if (gt_ledger_verify(d->ctx, ledger_problem, d, &n) < 0) {
		found(d, "%s", gt_error_last());
		gt_error_clear();
	}
}

static void check_config(struct doc *d)
{
	static const char *const durations[] = { "stall-after", "restart-window", "spawn-timeout" };
	static const char *const numbers[] = { "max-restarts", "max-workers" };
	const cJSON *r;

	begin(d, "config", NULL);
	cJSON_ArrayForEach (r, d->rigs) {
		const char *rig = gt_json_str(r, "name");

		for (size_t i = 0; i < sizeof(durations) / sizeof(*durations); i++) {
			char *v = gt_rig_setting(d->ctx, rig, durations[i], NULL);
			int64_t ms;

			if (v && gt_duration_parse(&ms, v, durations[i]) < 0) {
				found(d, "rig %s: %s", rig, gt_error_last());
				gt_error_clear();
			}
			free(v);
		}
		for (size_t i = 0; i < sizeof(numbers) / sizeof(*numbers); i++) {
			char *v = gt_rig_setting(d->ctx, rig, numbers[i], NULL), *end = NULL;

			if (v && (strtol(v, &end, 10) < 0 || *end || !*v))
				found(d, "rig %s: %s '%s' is not a number", rig, numbers[i], v);
			free(v);
		}
	}
}

static int on_path(const char *prog)
{
	const char *path = getenv("PATH");
	struct gt_buf p = GT_BUF_INIT;
	int ok = 0;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	for (const char *s = path ? path : "/usr/bin:/bin"; s && !ok;) {
		const char *e = strchr(s, ':');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		gt_buf_reset(&p);
		gt_buf_printf(&p, "%.*s/%s", (int)n, n ? s : ".", prog);
		ok = access(p.ptr, X_OK) == 0;
		s = e ? e + 1 : NULL;
	}
	gt_buf_release(&p);
	return ok;
}

static void check_runtimes(struct doc *d)
{
	struct gt_strlist names = { 0 };
	const cJSON *it;

	begin(d, "runtimes", NULL);
	cJSON_ArrayForEach (it, d->rigs) {
		char *chain = gt_rig_setting(d->ctx, gt_json_str(it, "name"), "agent", "claude");

		gt_runtime_chain(&names, chain);
		free(chain);
	}
	cJSON_ArrayForEach (it, d->agents)
		if (gt_json_str(it, "runtime"))
			gt_strlist_push_dup(&names, gt_json_str(it, "runtime"));
	for (size_t i = 0; i < names.n; i++) {
		struct gt_runtime rt;
		int seen = 0;

		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(names.v[i], names.v[j]);
		if (seen)
			continue;
		if (gt_runtime_load(&rt, d->ctx, NULL, names.v[i]) < 0) {
			found(d, "runtime '%s': %s", names.v[i], gt_error_last());
			gt_error_clear();
			continue;
		}
		if (rt.argv.n && !on_path(rt.argv.v[0]))
			found(d, "runtime '%s': '%s' is not on PATH", names.v[i], rt.argv.v[0]);
		gt_runtime_release(&rt);
	}
	gt_strlist_release_owned(&names);
}

/* A local upstream that would refuse the refinery's push: a repository
 * with a work tree whose checked-out branch is the target, and git's
 * default receive.denyCurrentBranch. */
static void check_upstreams(struct doc *d)
{
	const cJSON *r;

	begin(d, "upstreams", NULL);
	cJSON_ArrayForEach (r, d->rigs) {
		const char *url = gt_json_str(r, "url"), *rig = gt_json_str(r, "name");
		struct gt_buf bare = GT_BUF_INIT, head = GT_BUF_INIT, deny = GT_BUF_INIT;
		struct stat st;
		char *target = gt_rig_setting(d->ctx, rig, "default-branch",
					      gt_json_str(r, "default_branch"));

		if (url && !strstr(url, "://") && stat(url, &st) == 0 && S_ISDIR(st.st_mode) &&
		    gt_git(&bare, url, "rev-parse", "--is-bare-repository", NULL) == 0 &&
		    !strcmp(bare.ptr, "false") &&
		    gt_git(&head, url, "symbolic-ref", "--short", "HEAD", NULL) == 0 &&
		    !strcmp(head.ptr, target ? target : "main")) {
			gt_git(&deny, url, "config", "receive.denyCurrentBranch", NULL);
			if (strcmp(deny.ptr ? deny.ptr : "", "updateInstead") &&
			    strcmp(deny.ptr ? deny.ptr : "", "ignore") &&
			    strcmp(deny.ptr ? deny.ptr : "", "warn"))
				found(d,
				      "rig %s: its upstream %s has %s checked out and refuses "
				      "pushes "
				      "to it: make it bare, or run git -C %s config "
				      "receive.denyCurrentBranch updateInstead",
				      rig, url, head.ptr, url);
		}
		gt_error_clear();
		free(target);
		gt_buf_release(&bare);
		gt_buf_release(&head);
		gt_buf_release(&deny);
	}
}

static void check_sessions(struct doc *d)
{
	begin(d, "orphan-sessions", "stop them");
	for (const char *line = d->sessions.ptr; line && *line;) {
		const char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
		struct gt_buf name = GT_BUF_INIT;

		gt_buf_add(&name, line, tab ? (size_t)(tab - line) : strlen(line));
		line = nl ? nl + 1 : NULL;
		if (!strncmp(name.ptr, "gt-", 3) && !gt_worker_of_session(d->agents, name.ptr)) {
			found(d, "session %s has no agent record", name.ptr);
			if (d->fix && gt_session_kill(d->t->socket, name.ptr) == 0)
				fixed(d, name.ptr);
			gt_error_clear();
		}
		gt_buf_release(&name);
	}
}

static void check_idle_sessions(struct doc *d)
{
	const cJSON *a;

	begin(d, "idle-sessions", "keep the workspace as a snapshot, stop the session");
	cJSON_ArrayForEach (a, d->agents) {
		const char *addr = gt_json_str(a, "address"), *st = gt_json_str(a, "state");
		struct gt_buf s = GT_BUF_INIT;

		gt_session_name(&s, addr);
		if (is_polecat(a) && !hook_of(a) && st && strcmp(st, "spawning") &&
		    gt_session_listed(d->sessions.ptr ? d->sessions.ptr : "", s.ptr)) {
			found(d, "%s: session %s runs with nothing on the hook", addr, s.ptr);
			if (d->fix && gt_worker_stop(NULL, d->ctx, d->t, a, "gt-doctor --fix") == 0)
				fixed(d, s.ptr);
			gt_error_clear();
		}
		gt_buf_release(&s);
	}
}

static void check_orphan_hooks(struct doc *d)
{
	const cJSON *a;

	begin(d, "orphan-hooks", "start the session on the same hook");
	cJSON_ArrayForEach (a, d->agents) {
		const char *addr = gt_json_str(a, "address"), *st = gt_json_str(a, "state");
		struct gt_buf s = GT_BUF_INIT;

		gt_session_name(&s, addr);
		/* sessions an e-stop stopped are meant to be down */
		if (is_polecat(a) && hook_of(a) && st && !strcmp(st, "working") &&
		    !gt_session_listed(d->sessions.ptr ? d->sessions.ptr : "", s.ptr) &&
		    !gt_rig_paused(d->ctx, gt_json_str(a, "rig"), 1, NULL)) {
			found(d, "%s: %s is on the hook and no session runs", addr, hook_of(a));
			if (d->fix) {
				if (gt_worker_start(d->ctx, d->t, a, 0) == 0)
					fixed(d, addr);
				gt_error_clear();
			}
		}
		gt_buf_release(&s);
	}
}

static void check_spawning(struct doc *d)
{
	const cJSON *a;

	begin(d, "stuck-spawning", "clean them up as the witness does");
	cJSON_ArrayForEach (a, d->agents) {
		const char *addr = gt_json_str(a, "address"), *st = gt_json_str(a, "state");
		const char *up = gt_json_str(a, "updated_at");
		char *lim = gt_rig_setting(d->ctx, gt_json_str(a, "rig"), "spawn-timeout", "2m");
		int64_t ns = 0, ms = 120000;

		if (gt_duration_parse(&ms, lim, "spawn-timeout") < 0)
			gt_error_clear();
		free(lim);
		if (!st || strcmp(st, "spawning") || !up || gt_time_parse(up, &ns) < 0 ||
		    (gt_time_now_ns() - ns) / 1000000 < ms)
			continue;
		found(d, "%s: spawning since %s", addr, up);
		if (d->fix) {
			const char *outcome = NULL;

			if (gt_agent_unspawn(&outcome, d->ctx, addr, up) == 0 && outcome)
				fixed(d, addr);
			gt_error_clear();
		}
	}
}

static void check_workspaces(struct doc *d)
{
	const cJSON *r;

	begin(d, "orphan-workspaces", NULL);
	cJSON_ArrayForEach (r, d->rigs) {
		struct gt_buf dir = GT_BUF_INIT, addr = GT_BUF_INIT;
		DIR *dh;
		struct dirent *e;

		gt_buf_printf(&dir, "%s/%s/polecats", d->t->root, gt_json_str(r, "name"));
		if (!(dh = opendir(dir.ptr))) {
			gt_buf_release(&dir);
			continue;
		}
		while ((e = readdir(dh))) {
			const cJSON *a;
			int owned = 0;

			if (e->d_name[0] == '.')
				continue;
			gt_buf_reset(&addr);
			gt_buf_printf(&addr, "%s/polecats/%s", gt_json_str(r, "name"), e->d_name);
			cJSON_ArrayForEach (a, d->agents)
				owned |= !strcmp(gt_json_str(a, "address"), addr.ptr);
			if (!owned)
				found(d,
				      "%s/%s belongs to no agent (it may hold work: look before "
				      "you "
				      "remove it)",
				      dir.ptr, e->d_name);
		}
		closedir(dh);
		gt_buf_release(&dir);
		gt_buf_release(&addr);
	}
}

/* Local polecat branches in a rig's bare clone that no agent works on:
 * left by removals.  Fully on origin, they only clutter; with commits
 * nowhere else, they are work and stay. */
static void check_branches(struct doc *d)
{
	const cJSON *r;

	begin(d, "orphan-branches", "delete the ones whose commits are all on origin");
	cJSON_ArrayForEach (r, d->rigs) {
		struct gt_rig rig;
		const char *repo = rig_repo(d, gt_json_str(r, "name"), &rig);
		struct gt_buf out = GT_BUF_INIT, count = GT_BUF_INIT;

		if (repo && gt_git(&out, repo, "for-each-ref", "--format=%(refname:short)",
				   "refs/heads/polecat/", NULL) == 0) {
			for (char *line = out.ptr, *nl; line && *line; line = nl ? nl + 1 : NULL) {
				const cJSON *a;
				int used = 0;

				if ((nl = strchr(line, '\n')))
					*nl = '\0';
				cJSON_ArrayForEach (a, d->agents) {
					const char *b = gt_json_str(a, "branch");

					used |= b && !strcmp(b, line);
				}
				if (used)
					continue;
				gt_buf_reset(&count);
				if (gt_git(&count, repo, "rev-list", "--count", line, "--not",
					   "--remotes=origin", NULL) < 0) {
					gt_error_clear();
					continue;
				}
				found(d,
				      "%s: branch %s belongs to no agent (%s commit(s) not on "
				      "origin)",
				      rig.name, line, count.ptr);
				if (d->fix && !strcmp(count.ptr, "0") &&
				    gt_git(NULL, repo, "branch", "-D", "--", line, NULL) == 0)
					fixed(d, line);
				gt_error_clear();
			}
		}
		gt_error_clear();
		gt_rig_release(&rig);
		gt_buf_release(&out);
		gt_buf_release(&count);
	}
}

/* Snapshots that keep nothing any more (snapshot.h): older than
 * snapshot.ttl (default 30d), or merged. */
static void check_snapshots(struct doc *d)
{
	int64_t ttl;
	const cJSON *r;

	begin(d, "snapshots", "prune them");
	if (gt_config_get_duration(d->ctx->cfg, "snapshot.ttl", GT_SNAPSHOT_TTL_MS, &ttl) < 0) {
		found(d, "%s", gt_error_last());
		gt_error_clear();
		return;
	}
	cJSON_ArrayForEach (r, d->rigs) {
		struct gt_rig rig;
		const char *repo = rig_repo(d, gt_json_str(r, "name"), &rig);
		cJSON *old = NULL, *it;

		if (repo && gt_snapshot_prune(&old, repo, ttl / 1000, 1) == 0) {
			cJSON_ArrayForEach (it, old)
				found(d, "%s: %s (%s)", rig.name, gt_json_str(it, "ref"),
				      gt_json_str(it, "why"));
			if (d->fix && cJSON_GetArraySize(old)) {
				cJSON_Delete(old);
				old = NULL;
				if (gt_snapshot_prune(&old, repo, ttl / 1000, 0) == 0)
					cJSON_ArrayForEach (it, old)
						if (!gt_json_str(it, "error"))
							fixed(d, gt_json_str(it, "ref"));
			}
		}
		gt_error_clear();
		cJSON_Delete(old);
		gt_rig_release(&rig);
	}
}

static void check_requests(struct doc *d)
{
	cJSON *mq = NULL, *it;

	begin(d, "stale-requests", NULL);
	if (gt_mq_list(&mq, d->ctx, NULL, 0) < 0) {
		found(d, "%s", gt_error_last());
		gt_error_clear();
		return;
	}
	cJSON_ArrayForEach (it, mq) {
		const char *src = gt_json_str(cJSON_GetObjectItemCaseSensitive(it, "metadata"),
					      "source_bead");
		cJSON *b = NULL;

		if (src && gt_ledger_read_bead(&b, d->ctx->lg, NULL, src) == 0 &&
		    !strcmp(gt_bead_status(b), "closed"))
			found(d, "merge request %s is open but %s is closed (gt-mq-reject it)",
			      gt_bead_id(it), src);
		gt_error_clear();
		cJSON_Delete(b);
	}
	cJSON_Delete(mq);
}

static void check_wisps(struct doc *d)
{
	char *v = gt_config_get(d->ctx->cfg, "wisp.ttl"); /* as written, for the message */
	int64_t ttl;
	cJSON *old = NULL;

	begin(d, "wisps", "expire them");
	if (gt_config_get_duration(d->ctx->cfg, "wisp.ttl", GT_WISP_TTL_MS, &ttl) < 0) {
		found(d, "%s", gt_error_last());
		gt_error_clear();
	} else if (gt_mail_expire(&old, d->ctx, ttl / 1000, 1) == 0 && cJSON_GetArraySize(old)) {
		found(d, "%d wisp message(s) older than %s", cJSON_GetArraySize(old), v ? v : "7d");
		if (d->fix) {
			cJSON_Delete(old);
			old = NULL;
			if (gt_mail_expire(&old, d->ctx, ttl / 1000, 0) == 0)
				fixed(d, "expired");
		}
	}
	gt_error_clear();
	cJSON_Delete(old);
	free(v);
}

static void check_tmp_packs(struct doc *d)
{
	struct gt_buf dir = GT_BUF_INIT, p = GT_BUF_INIT;
	time_t now = time(NULL);
	DIR *dh;
	struct dirent *e;

	begin(d, "tmp-packs", "remove them");
	gt_buf_printf(&dir, "%s/objects/pack", d->ctx->lg->repo->common_dir);
	if ((dh = opendir(dir.ptr))) {
		while ((e = readdir(dh))) {
			struct stat st;

			if (strncmp(e->d_name, "tmp_", 4))
				continue;
			gt_buf_reset(&p);
			gt_buf_printf(&p, "%s/%s", dir.ptr, e->d_name);
			/* younger ones may belong to a writer at work */
			if (stat(p.ptr, &st) < 0 || now - st.st_mtime < 3600)
				continue;
			found(d, "%s", p.ptr);
			if (d->fix && unlink(p.ptr) == 0)
				fixed(d, p.ptr);
		}
		closedir(dh);
	}
	gt_buf_release(&dir);
	gt_buf_release(&p);
}

int gt_doctor(cJSON **out, struct gt_ctx *ctx, const struct gt_town *t, int fix)
{
	struct doc d = { .ctx = ctx, .t = t, .fix = fix };
	int rc;

	*out = NULL;
	if ((rc = gt_ctx_config(ctx)) < 0 || (rc = gt_ledger_refresh(ctx->lg)) < 0 ||
	    (rc = gt_rig_list(&d.rigs, ctx)) < 0 ||
	    (rc = gt_agent_list(&d.agents, ctx->lg, NULL)) < 0 ||
	    (rc = gt_session_list(&d.sessions, t->socket)) < 0)
		goto out;
	d.out = cJSON_CreateArray();
	check_ledger(&d);
	check_config(&d);
	check_runtimes(&d);
	check_upstreams(&d);
	check_sessions(&d);
	check_idle_sessions(&d);
	check_orphan_hooks(&d);
	check_spawning(&d);
	check_workspaces(&d);
	check_branches(&d);
	check_snapshots(&d);
	check_requests(&d);
	check_wisps(&d);
	check_tmp_packs(&d);
	*out = d.out;
out:
	cJSON_Delete(d.rigs);
	cJSON_Delete(d.agents);
	gt_buf_release(&d.sessions);
	return rc;
}
