/*
 * deacon.c - the town patrol and the one-deacon lock (deacon.h).
 */
#include "flow/deacon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/lock.h"
#include "base/proc.h"
#include "store/config.h"
#include "store/ledger.h"
#include "store/maint.h"
#include "store/repo.h"
#include "town/estop.h"
#include "town/heartbeat.h"
#include "town/runstate.h"
#include "town/nudge.h"
#include "town/snapshot.h"
#include "flow/convoy.h"
#include "flow/escalation.h"
#include "flow/mail.h"
#include "flow/mq.h"
#include "flow/sling.h"
#include "flow/witness.h"
#include "base/banned.h"

void gt_deacon_release(struct gt_deacon *d)
{
	for (size_t i = 0; i < d->nchildren; i++)
		free(d->children[i].rig);
	free(d->children);
	d->children = NULL;
	d->nchildren = d->achildren = 0;
}

static struct gt_deacon_child *child_of(struct gt_deacon *d, const char *rig)
{
	struct gt_deacon_child *c;

	for (size_t i = 0; i < d->nchildren; i++)
		if (!strcmp(d->children[i].rig, rig))
			return &d->children[i];
	GT_ALLOC_GROW(d->children, d->nchildren + 1, d->achildren);
	c = &d->children[d->nchildren++];
	memset(c, 0, sizeof(*c));
	c->rig = gt_strdup(rig);
	return c;
}

static cJSON *entry(cJSON *log, const char *patrol, const char *action, const char *what)
{
	cJSON *e = cJSON_CreateObject();

	gt_json_set_str(e, "patrol", patrol);
	gt_json_set_str(e, "action", action);
	if (what)
		gt_json_set_str(e, "what", what);
	cJSON_AddItemToArray(log, e);
	return e;
}

/* The program gt-NAME beside the running ones (or on PATH). */
static void program(struct gt_buf *out, const struct gt_town *t, const char *name)
{
	gt_buf_reset(out);
	if (t->bindir && *t->bindir)
		gt_buf_printf(out, "%s/%s", t->bindir, name);
	else
		gt_buf_adds(out, name);
}

/* The refinery of rig as a child, when its queue has ready work. */
static void refinery(cJSON *log, struct gt_ctx *ctx, const struct gt_town *t, struct gt_deacon *d,
		     const char *rig)
{
	struct gt_deacon_child *c = child_of(d, rig);
	struct gt_buf prog = GT_BUF_INIT, out = GT_BUF_INIT, err = GT_BUF_INIT;
	int64_t now = gt_heartbeat_now();
	cJSON *mr = NULL, *e;
	int status = 0, rc;

	if (now < c->next_try || gt_rig_paused(ctx, rig, 0, NULL))
		return;
	/* work for it: a ready request, or one a run left unfinished (which
	 * the next run recovers) */
	rc = gt_mq_list(&mr, ctx, rig, 0);
	{
		const cJSON *it;
		int work = 0;

		cJSON_ArrayForEach (it, mr) {
			const char *q = gt_json_str(it, "queue");

			work |= q && (!strcmp(q, "ready") || !strcmp(q, "active"));
		}
		cJSON_Delete(mr);
		gt_error_clear();
		if (rc < 0 || !work)
			return;
	}
	program(&prog, t, "gt-refinery");
	{
		const char *argv[] = {
			prog.ptr, "--once", "--json", "--gt-dir", ctx->lg->repo->common_dir,
			rig,	  NULL
		};
		struct gt_proc_opts po = { .out = &out, .err = &err };

		gt_run(argv, &po, &status);
		gt_error_clear();
	}
	e = entry(log, "refinery", status ? "failed" : "ran", rig);
	if (out.len) {
		cJSON *lines = cJSON_CreateArray();

		for (char *line = out.ptr, *nl; line && *line; line = nl ? nl + 1 : NULL) {
			cJSON *v = NULL;

			if ((nl = strchr(line, '\n')))
				*nl = '\0';
			if (gt_json_parse(&v, line, strlen(line), "gt-refinery", 1) == 0)
				cJSON_AddItemToArray(lines, v);
			gt_error_clear();
		}
		gt_json_set(e, "outcomes", lines);
	}
	/* 4: another refinery has the rig; 6: temporary trouble */
	if (status == 0 || status == 4 || status == 6) {
		c->failures = 0;
		c->next_try = 0;
		c->escalated = 0;
	} else {
		int64_t wait = 5;

		for (int i = 1; i < c->failures + 1 && wait < 600; i++)
			wait *= 2;
		c->failures++;
		c->next_try = now + (wait < 600 ? wait : 600);
		gt_json_set_int(e, "status", status);
		gt_json_set_int(e, "retry_in", c->next_try - now);
		gt_json_set_str(e, "error", gt_proc_telling_line(&err));
		if (c->failures >= 3 && !c->escalated) {
			struct gt_buf key = GT_BUF_INIT, title = GT_BUF_INIT;
			struct gt_escalation esc = { "high", NULL, NULL, NULL, NULL };
			struct gt_buf id = GT_BUF_INIT;

			gt_buf_printf(&key, "deacon:refinery:%s", rig);
			gt_buf_printf(&title, "the refinery of %s failed %d times in a row: %s",
				      rig, c->failures, gt_proc_telling_line(&err));
			esc.key = key.ptr;
			esc.title = title.ptr;
			if (gt_escalate(&id, NULL, ctx, t, &esc) == 0) {
				gt_json_set_str(entry(log, "refinery", "escalated", rig),
						"escalation", id.ptr);
				c->escalated = 1;
			}
			gt_error_clear();
			gt_buf_release(&key);
			gt_buf_release(&title);
			gt_buf_release(&id);
		}
	}
	gt_buf_release(&prog);
	gt_buf_release(&out);
	gt_buf_release(&err);
}

/* Convoys and housekeeping: only when the ledger moved. */
static void when_changed(cJSON *log, struct gt_ctx *ctx, const struct gt_town *t)
{
	cJSON *landed = NULL, *slung = NULL, *it;

	if (gt_convoy_check(&landed, ctx, NULL) == 0)
		cJSON_ArrayForEach (it, landed)
			entry(log, "convoy", "landed", it->valuestring);
	gt_error_clear();
	if (gt_ledger_refresh(ctx->lg) == 0 && gt_convoy_feed(&slung, ctx, t, NULL) == 0)
		cJSON_ArrayForEach (it, slung)
			gt_json_set(entry(log, "convoy",
					  gt_json_str(it, "error")     ? "feed-failed"
					  : gt_json_bool(it, "queued") ? "queued"
								       : "fed",
					  gt_json_str(it, "bead")),
				    "sling", cJSON_Duplicate(it, 1));
	gt_error_clear();
	cJSON_Delete(slung);
	slung = NULL;
	/* beads queued by gt-sling at capacity: their slots may be free now */
	if (gt_ledger_refresh(ctx->lg) == 0 && gt_sling_dispatch(&slung, ctx, t) == 0)
		cJSON_ArrayForEach (it, slung)
			gt_json_set(
				entry(log, "queue",
				      gt_json_str(it, "error") ? "dispatch-failed" : "dispatched",
				      gt_json_str(it, "bead")),
				"sling", cJSON_Duplicate(it, 1));
	gt_error_clear();
	/* housekeeping as after any write: a background gt-maintain --auto
	 * when loose objects or packs are past their thresholds (maint.h) */
	gt_maint_auto(ctx->lg->repo);
	cJSON_Delete(landed);
	cJSON_Delete(slung);
}

/* Snapshots that keep nothing any more (snapshot.ttl, default 30d). */
static void prune_snapshots(cJSON *log, struct gt_ctx *ctx, const struct gt_town *t,
			    const cJSON *rigs)
{
	int64_t ttl;
	const cJSON *r;

	if (gt_config_get_duration(ctx->cfg, "snapshot.ttl", GT_SNAPSHOT_TTL_MS, &ttl) < 0) {
		gt_error_clear();
		return;
	}
	cJSON_ArrayForEach (r, rigs) {
		struct gt_rig rig;
		cJSON *gone = NULL;

		if (gt_rig_load(&rig, ctx, t, gt_json_str(r, "name")) == 0 &&
		    gt_snapshot_prune(&gone, rig.repo, ttl / 1000, 0) == 0 &&
		    cJSON_GetArraySize(gone))
			gt_json_set_int(entry(log, "snapshots", "pruned", rig.name), "count",
					cJSON_GetArraySize(gone));
		gt_error_clear();
		cJSON_Delete(gone);
		gt_rig_release(&rig);
	}
}

int gt_deacon_patrol(cJSON **log, struct gt_ctx *ctx, const struct gt_town *t, struct gt_deacon *d)
{
	cJSON *rigs = NULL, *it, *again = NULL;
	char tip[41] = "";
	int rc;

	*log = cJSON_CreateArray();
	if ((rc = gt_ctx_config(ctx)) < 0 || (rc = gt_ledger_refresh(ctx->lg)) < 0 ||
	    (rc = gt_rig_list(&rigs, ctx)) < 0)
		return rc;
	cJSON_ArrayForEach (it, rigs) {
		const char *rig = gt_json_str(it, "name");
		cJSON *wlog = NULL, *e;

		if (d->own_actor)
			gt_rig_act_as(ctx, rig, "witness");
		rc = gt_witness_patrol(&wlog, ctx, t, rig);
		if (d->own_actor)
			gt_ledger_set_actor(ctx->lg, "deacon");
		cJSON_ArrayForEach (e, wlog)
			gt_json_set_str(e, "patrol", "witness");
		while (wlog && (e = cJSON_DetachItemFromArray(wlog, 0)))
			cJSON_AddItemToArray(*log, e);
		cJSON_Delete(wlog);
		if (rc < 0) {
			/* one rig's trouble (a bad setting) must not stop the town */
			gt_json_set_str(entry(*log, "witness", "failed", rig), "error",
					gt_error_last());
			gt_error_clear();
			rc = 0;
		}
		refinery(*log, ctx, t, d, rig);
	}
	if ((rc = gt_ledger_refresh(ctx->lg)) < 0)
		goto out;
	if (ctx->lg->has_tip)
		git_oid_tostr(tip, sizeof(tip), &ctx->lg->tip);
	if (strcmp(tip, d->tip)) {
		when_changed(*log, ctx, t);
		if (gt_ledger_refresh(ctx->lg) == 0 && ctx->lg->has_tip)
			git_oid_tostr(tip, sizeof(tip), &ctx->lg->tip);
		memcpy(d->tip, tip, sizeof(tip));
	}
	/* wisp messages past wisp.ttl (default 7d), once an hour */
	if (gt_heartbeat_now() - d->expired_at >= 3600) {
		int64_t ttl;
		cJSON *gone = NULL;

		if (gt_config_get_duration(ctx->cfg, "wisp.ttl", GT_WISP_TTL_MS, &ttl) == 0) {
			if (gt_mail_expire(&gone, ctx, ttl / 1000, 0) == 0 &&
			    cJSON_GetArraySize(gone))
				gt_json_set_int(entry(*log, "wisps", "expired", NULL), "count",
						cJSON_GetArraySize(gone));
		}
		gt_error_clear();
		cJSON_Delete(gone);
		prune_snapshots(*log, ctx, t, rigs);
		{
			/* run directories (transcripts) past run.ttl (default 14d),
			 * each agent's latest kept */
			long runs = 0;

			if (gt_config_get_duration(ctx->cfg, "run.ttl", GT_RUN_TTL_MS, &ttl) == 0 &&
			    gt_run_prune(ctx->lg->repo, ttl, &runs) == 0 && runs)
				gt_json_set_int(entry(*log, "runs", "pruned", NULL), "count", runs);
			gt_error_clear();
		}
		d->expired_at = gt_heartbeat_now();
	}
	if (gt_escalation_renotify(&again, ctx, t) == 0)
		cJSON_ArrayForEach (it, again)
			entry(*log, "escalation", "raised-again", it->valuestring);
	gt_error_clear();
	/* what this patrol wrote is not news for the next one */
	if (gt_ledger_refresh(ctx->lg) == 0 && ctx->lg->has_tip)
		git_oid_tostr(d->tip, sizeof(d->tip), &ctx->lg->tip);
out:
	cJSON_Delete(again);
	cJSON_Delete(rigs);
	return rc;
}

/* ---- one deacon per town ---- */

static int run_path(struct gt_buf *out, struct gt_ctx *ctx, const char *name)
{
	struct gt_buf n = GT_BUF_INIT;
	int rc;

	gt_buf_printf(&n, "run/%s", name);
	rc = gt_repo_runtime_path(out, ctx->lg->repo, n.ptr, 1);
	gt_buf_release(&n);
	return rc;
}

static long read_pid(struct gt_ctx *ctx)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	long pid = 0;

	if (run_path(&path, ctx, "deacon.pid") == 0 && gt_read_file(&data, path.ptr) == 0)
		pid = strtol(data.ptr, NULL, 10);
	gt_error_clear();
	gt_buf_release(&path);
	gt_buf_release(&data);
	return pid;
}

int gt_deacon_lock(int *fd, struct gt_ctx *ctx)
{
	struct gt_buf path = GT_BUF_INIT, pid = GT_BUF_INIT;
	int rc;

	if ((rc = run_path(&path, ctx, "deacon.lock")) < 0)
		goto out;
	if ((rc = gt_lock_acquire(fd, path.ptr, 0)) < 0) {
		if (rc == GT_ETEMP) {
			gt_error_clear();
			rc = gt_error_set(GT_ECONFLICT, "a deacon is running already (pid %ld)",
					  read_pid(ctx));
			gt_error_hint("gt-down stops it");
		}
		goto out;
	}
	gt_buf_printf(&pid, "%ld\n", (long)getpid());
	if ((rc = run_path(&path, ctx, "deacon.pid")) == 0)
		rc = gt_write_file_atomic(path.ptr, pid.ptr, pid.len);
	if (rc < 0) {
		gt_lock_release(*fd);
		*fd = -1;
	}
out:
	gt_buf_release(&path);
	gt_buf_release(&pid);
	return rc;
}

static int gone_or_zombie(long pid)
{
	char s = gt_proc_state(pid);

	return !s || s == 'Z' || s == 'X';
}

void gt_deacon_unlock(int fd, struct gt_ctx *ctx)
{
	struct gt_buf path = GT_BUF_INIT;

	/* the pid file goes first: nobody reads it as this deacon's after */
	if (fd >= 0 && run_path(&path, ctx, "deacon.pid") == 0)
		unlink(path.ptr);
	gt_buf_release(&path);
	gt_lock_release(fd);
}

long gt_deacon_running(struct gt_ctx *ctx)
{
	struct gt_buf path = GT_BUF_INIT;
	int fd = -1, rc;
	long pid = 0;

	if (run_path(&path, ctx, "deacon.lock") == 0) {
		rc = gt_lock_acquire(&fd, path.ptr, 0);
		if (rc == 0)
			gt_lock_release(fd);
		else if (rc == GT_ETEMP)
			pid = read_pid(ctx);
		/* held, but the pid file not written yet (or still the one of a
		 * deacon that is gone): say it runs, pid unknown */
		if (rc == GT_ETEMP && (pid <= 0 || gone_or_zombie(pid)))
			pid = -1;
	}
	gt_error_clear();
	gt_buf_release(&path);
	return pid;
}

int gt_deacon_start(long *pid, int *started, struct gt_ctx *ctx, const struct gt_town *t,
		    const char *const *extra)
{
	struct gt_buf prog = GT_BUF_INIT, log = GT_BUF_INIT;
	const char *argv[24];
	size_t n = 0;
	pid_t child;
	int rc = 0, status;

	*started = 0;
	/* one starting (pid not written yet): wait to know which */
	while ((*pid = gt_deacon_running(ctx)) < 0)
		gt_sleep_ms(20);
	if (*pid)
		return 0;
	program(&prog, t, "gt-deacon");
	if ((rc = run_path(&log, ctx, "deacon.log")) < 0)
		goto out;
	argv[n++] = prog.ptr;
	argv[n++] = "--watch";
	argv[n++] = "--gt-dir";
	argv[n++] = ctx->lg->repo->common_dir;
	for (size_t i = 0; extra && extra[i] && n < 23; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	fflush(NULL);
	if ((child = fork()) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot start the deacon");
		goto out;
	}
	if (child == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(log.ptr, O_WRONLY | O_CREAT | O_APPEND, 0666);

		setsid();
		unsetenv("GT_RUN_ID"); /* it outlives the run that started it */
		if (in >= 0)
			dup2(in, 0);
		if (out >= 0) {
			dup2(out, 1);
			dup2(out, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	/* until it holds the lock, or dies trying */
	for (;;) {
		if ((*pid = gt_deacon_running(ctx)) == child) {
			*started = 1;
			break;
		}
		if (*pid > 0)
			break; /* another gt-up won the race: that one runs */
		if (waitpid(child, &status, WNOHANG) == child) {
			/* it lost a race for the lock to a deacon started meanwhile */
			while ((*pid = gt_deacon_running(ctx)) < 0)
				gt_sleep_ms(20);
			if (*pid > 0)
				break;
			struct gt_buf tail = GT_BUF_INIT;
			const char *last;

			gt_read_file(&tail, log.ptr);
			gt_error_clear();
			last = gt_proc_telling_line(&tail);
			rc = gt_error_set(GT_EFAIL, "the deacon exited at once%s%s",
					  last && *last ? ": " : "", last ? last : "");
			gt_buf_release(&tail);
			goto out;
		}
		gt_sleep_ms(20);
	}
out:
	gt_buf_release(&prog);
	gt_buf_release(&log);
	return rc;
}

int gt_deacon_stop(long *pid, struct gt_ctx *ctx, long grace_ms)
{
	long waited = 0;
	int sig = SIGTERM;

	if ((*pid = gt_deacon_running(ctx)) <= 0) {
		*pid = 0;
		return 0;
	}
	/* its process group: the refinery it may be running goes too */
	if (kill(-(pid_t)*pid, sig) < 0 && kill((pid_t)*pid, sig) < 0 && errno != ESRCH)
		return gt_error_errno(GT_EFAIL, "cannot stop the deacon (pid %ld)", *pid);
	while (gt_deacon_running(ctx) != 0) {
		if (sig == SIGTERM && waited >= grace_ms) {
			sig = SIGKILL;
			if (kill(-(pid_t)*pid, sig) < 0)
				kill((pid_t)*pid, sig);
		}
		gt_sleep_ms(20);
		waited += 20;
	}
	return 0;
}
