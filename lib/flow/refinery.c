/*
 * refinery.c - the deterministic merge queue processor (gt-refinery(1)).
 *
 * For one merge request, in the rig's refinery worktree (<rig>/refinery,
 * detached, never a branch of its own):
 *   claim      request in_progress, assignee <rig>/refinery
 *   check      origin/<branch> must be exactly the recorded commit
 *   rebase     onto origin/<target> (skipped when the worker verified it
 *              against that very head: metadata.verified_base)
 *   gates      setup, build, lint, test of the rig (empty: skipped)
 *   push       metadata.refinery = {step: pushing, merged} first, then a
 *              fast-forward push of the merged commit to the target, then
 *              ls-remote must show exactly that commit
 *   close      request and source bead closed "Merged in <sha>"
 *              (refinery.step merged), in one transaction
 *   delete     the branch (and branches it replaced), then step done
 * A run that died after "pushing" finds the merged commit on the target
 * and closes instead of merging again; one that died before it starts
 * over; one that died after "merged" only deletes branches.
 */
#include "flow/refinery.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/lock.h"
#include "base/options.h"
#include "base/proc.h"
#include "base/progress.h"
#include "store/bead.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "store/query.h"
#include "store/repo.h"
#include "town/agent.h"
#include "town/estop.h"
#include "town/town.h"
#include "town/workspace.h"
#include "flow/convoy.h"
#include "flow/mail.h"
#include "flow/mq.h"
#include "base/banned.h"

#define OUTPUT_TAIL 2000

struct job {
	struct gt_ctx *ctx;
	const struct gt_town *t;
	const struct gt_refinery_opts *o;
	struct gt_rig rig;
	struct gt_buf ws, me; /* refinery worktree, <rig>/refinery */
	char *id, *branch, *commit, *target, *source, *worker;
	struct gt_buf head;	/* origin/<target> */
	struct gt_buf merged;	/* the commit that lands */
	struct gt_buf out;	/* gate output, conflict files */
	const char *gate;	/* the gate that failed */
	struct gt_buf gate_cmd; /* and its command */
	int pushing;		/* past the point of no return: never requeue */
	struct gt_buf why;	/* refusal / failure text */
	struct gt_buf filed;	/* conflict or target bug bead */
	int target_broken;
};

static void job_reset(struct job *j)
{
	free(j->id);
	free(j->branch);
	free(j->commit);
	free(j->target);
	free(j->source);
	free(j->worker);
	j->id = j->branch = j->commit = j->target = j->source = j->worker = NULL;
	gt_buf_reset(&j->head);
	gt_buf_reset(&j->merged);
	gt_buf_reset(&j->out);
	gt_buf_reset(&j->why);
	gt_buf_reset(&j->filed);
	j->gate = NULL;
	gt_buf_reset(&j->gate_cmd);
	j->target_broken = 0;
	j->pushing = 0;
}

static const cJSON *md_of(const cJSON *b)
{
	return cJSON_GetObjectItemCaseSensitive(b, "metadata");
}

static char *dup_or_null(const char *s)
{
	return s ? gt_strdup(s) : NULL;
}

static int txn(struct job *j, gt_txn_fn fn)
{
	struct gt_txn_opts o = { .command = "gt-refinery" };

	return gt_ledger_transact(j->ctx->lg, &o, fn, j);
}

/* git in the refinery worktree, as the refinery when it commits */
static int rgit(struct job *j, struct gt_buf *out, ...) __attribute__((sentinel));
static int rgit(struct job *j, struct gt_buf *out, ...)
{
	const char *argv[24];
	struct gt_buf name = GT_BUF_INIT, mail = GT_BUF_INIT;
	size_t n = 0;
	va_list ap;
	int rc;

	gt_buf_printf(&name, "user.name=%s", j->me.ptr);
	gt_buf_printf(&mail, "user.email=%s.refinery@gt.invalid", j->rig.name);
	argv[n++] = "-c";
	argv[n++] = name.ptr;
	argv[n++] = "-c";
	argv[n++] = mail.ptr;
	va_start(ap, out);
	gt_args_collect(argv + n, sizeof(argv) / sizeof(*argv) - n, ap);
	va_end(ap);
	rc = gt_gitv(out, j->ws.ptr, argv);
	gt_buf_release(&name);
	gt_buf_release(&mail);
	return rc;
}

/* <rig>/refinery: a detached worktree of the rig's bare clone. */
static int worktree(struct job *j)
{
	struct gt_buf start = GT_BUF_INIT;
	int rc;

	if (gt_git(NULL, j->ws.ptr, "rev-parse", "--git-dir", NULL) == 0)
		return 0;
	gt_error_clear();
	gt_rm_rf(j->ws.ptr);
	gt_git(NULL, j->rig.repo, "worktree", "prune", NULL);
	gt_buf_printf(&start, "origin/%s", j->rig.default_branch);
	rc = gt_git(NULL, j->rig.repo, "worktree", "add", "--quiet", "--detach", "--force",
		    j->ws.ptr, start.ptr, NULL);
	gt_buf_release(&start);
	return rc;
}

static int remote_sha(struct gt_buf *out, struct job *j, const char *branch)
{
	struct gt_buf ref = GT_BUF_INIT;
	int rc;

	gt_buf_printf(&ref, "refs/heads/%s", branch);
	rc = gt_git(out, j->ws.ptr, "ls-remote", "origin", ref.ptr, NULL);
	if (rc == 0 && out->len >= 40)
		gt_buf_truncate(out, 40);
	else if (rc == 0)
		gt_buf_reset(out);
	gt_buf_release(&ref);
	return rc;
}

static int is_ancestor(struct job *j, const char *a, const char *b)
{
	int yes = gt_git(NULL, j->ws.ptr, "merge-base", "--is-ancestor", a, b, NULL) == 0;

	gt_error_clear();
	return yes;
}

static cJSON *progress(const char *step, struct job *j, struct gt_txn *tx)
{
	cJSON *p = cJSON_CreateObject();

	gt_json_set_str(p, "step", step);
	if (j->merged.len)
		gt_json_set_str(p, "merged", j->merged.ptr);
	if (j->head.len)
		gt_json_set_str(p, "target_before", j->head.ptr);
	gt_json_set_str(p, "at", gt_txn_now(tx));
	return p;
}

static int set_mr(struct gt_txn *tx, struct job *j, const char *status, const char *step,
		  cJSON *more_md)
{
	struct gt_bead_spec spec;
	int rc, changed;

	gt_bead_spec_init(&spec);
	spec.status = status;
	if (status)
		spec.assignee = !strcmp(status, "in_progress") ? j->me.ptr : "";
	spec.metadata = more_md ? more_md : cJSON_CreateObject();
	if (step)
		cJSON_AddItemToObject(spec.metadata, "refinery", progress(step, j, tx));
	else
		cJSON_AddNullToObject(spec.metadata, "refinery");
	rc = gt_op_update(tx, j->ctx, j->id, &spec, &changed);
	gt_bead_spec_release(&spec);
	return rc;
}

/* ---- claim ---- */

static int claim_fn(struct gt_txn *tx, void *p)
{
	struct job *j = p;
	cJSON *mr = NULL;
	int rc = gt_txn_bead_get(tx, j->id, &mr);

	if (rc < 0)
		return rc;
	if (strcmp(gt_bead_status(mr), "open"))
		return gt_error_set(GT_ECONFLICT, "merge request '%s' is %s, not open", j->id,
				    gt_bead_status(mr));
	gt_txn_summary(tx, "refinery takes %s", j->id);
	gt_txn_trailer(tx, "Gt-Merge-Request", "%s", j->id);
	return set_mr(tx, j, "in_progress", "started", NULL);
}

static int requeue_fn(struct gt_txn *tx, void *p)
{
	struct job *j = p;

	gt_txn_summary(tx, "refinery puts %s back in the queue", j->id);
	return set_mr(tx, j, "open", NULL, NULL);
}

/* ---- outcomes that keep the branch ---- */

static int refuse_fn(struct gt_txn *tx, void *p)
{
	struct job *j = p;
	cJSON *md = cJSON_CreateObject();
	int rc;

	gt_txn_summary(tx, "refinery refuses %s", j->id);
	gt_json_set_str(md, "refused", j->why.ptr);
	rc = set_mr(tx, j, "blocked", NULL, md);
	if (rc == 0)
		rc = gt_op_comment(tx, j->ctx, j->id, j->why.ptr, j->me.ptr, NULL);
	gt_txn_trailer(tx, "Gt-Merge-Request", "%s", j->id);
	return rc;
}

static void bump_retries(cJSON *md, const cJSON *mr)
{
	int64_t n = 0;

	gt_json_int(md_of(mr), "retries", &n);
	gt_json_set_int(md, "retries", n + 1);
}

/* Track a new bead in every open convoy that tracks the source bead, so
 * feeding picks it up. */
/* File the bead a request now waits for (a conflict, a broken target):
 * its id goes to j->filed and the request is blocked by it.  spec is
 * released. */
static int file_blocker(struct gt_txn *tx, struct job *j, struct gt_bead_spec *spec)
{
	int rc, changed;

	gt_buf_reset(&j->filed);
	rc = gt_op_add(tx, j->ctx, spec, &j->filed);
	gt_bead_spec_release(spec);
	if (rc == 0)
		rc = gt_op_dep_add(tx, j->ctx, j->id, j->filed.ptr, "blocks", &changed);
	return rc;
}

static int track_with_source(struct gt_txn *tx, struct job *j, const char *bead)
{
	cJSON *of = NULL, *c;
	int rc = 0, ch;

	if (!j->source || gt_convoy_of(&of, j->ctx, j->source) < 0) {
		gt_error_clear();
		return 0;
	}
	cJSON_ArrayForEach (c, of)
		if (rc == 0)
			rc = gt_op_dep_add(tx, j->ctx, c->valuestring, bead, "tracks", &ch);
	cJSON_Delete(of);
	return rc;
}

static int conflict_fn(struct gt_txn *tx, void *p)
{
	struct job *j = p;
	struct gt_bead_spec spec;
	struct gt_buf title = GT_BUF_INIT, desc = GT_BUF_INIT;
	cJSON *mr = NULL, *src = NULL, *c, *files, *md;
	const char *stitle = NULL;
	char *save = NULL, *list = gt_strdup(j->out.len ? j->out.ptr : "");
	int rc;

	gt_txn_summary(tx, "conflict: %s does not rebase onto %s", j->id, j->target);
	if ((rc = gt_txn_bead_get(tx, j->id, &mr)) < 0)
		goto out;
	if (j->source && gt_txn_bead_get(tx, j->source, &src) == 0)
		stitle = gt_json_str(src, "title");
	gt_error_clear();
	gt_buf_printf(&title, "Resolve merge conflict: %s", stitle ? stitle : j->branch);
	gt_buf_printf(&desc,
		      "Branch %s (merge request %s%s%s) no longer rebases onto %s, which is "
		      "now at %s.\n\nConflicting files:\n",
		      j->branch, j->id, j->source ? ", for " : "", j->source ? j->source : "",
		      j->target, j->head.ptr);
	c = cJSON_CreateObject();
	files = cJSON_CreateArray();
	for (char *f = strtok_r(list, "\n", &save); f; f = strtok_r(NULL, "\n", &save)) {
		gt_buf_printf(&desc, "- %s\n", f);
		cJSON_AddItemToArray(files, cJSON_CreateString(f));
	}
	gt_buf_printf(&desc,
		      "\nYour branch starts at %s. Rebase it onto origin/%s (git fetch origin && "
		      "git rebase origin/%s), resolve the conflicts keeping the intent of both "
		      "sides, run the gates, commit, and run gt-done: the merge request then "
		      "takes your branch.\n",
		      j->branch, j->target, j->target);
	gt_json_set_str(c, "merge_request", j->id);
	gt_json_set_str(c, "branch", j->branch);
	gt_json_set_str(c, "commit", j->commit);
	gt_json_set_str(c, "target", j->target);
	gt_json_set_str(c, "target_commit", j->head.ptr);
	if (j->source)
		gt_json_set_str(c, "source_bead", j->source);
	cJSON_AddItemToObject(c, "files", files);
	gt_bead_spec_init(&spec);
	/* the conflict is work of the rig the request belongs to */
	spec.prefix = j->rig.prefix ? j->rig.prefix : "gt";
	spec.title = title.ptr;
	spec.description = desc.ptr;
	spec.type = "task";
	spec.priority = 1;
	gt_strlist_push(&spec.labels, "conflict");
	spec.metadata = cJSON_CreateObject();
	cJSON_AddItemToObject(spec.metadata, "conflict", c);
	if ((rc = file_blocker(tx, j, &spec)) == 0)
		rc = track_with_source(tx, j, j->filed.ptr);
	md = cJSON_CreateObject();
	bump_retries(md, mr);
	gt_json_set_str(md, "last_conflict", j->head.ptr);
	gt_json_set_str(md, "conflict_bead", j->filed.ptr);
	if (rc == 0)
		rc = set_mr(tx, j, "open", NULL, md);
	else
		cJSON_Delete(md);
	gt_txn_trailer(tx, "Gt-Merge-Request", "%s", j->id);
	gt_txn_trailer(tx, "Gt-Bead", "%s", j->filed.ptr);
out:
	free(list);
	gt_buf_release(&title);
	gt_buf_release(&desc);
	return rc;
}

static const char *tail(const struct gt_buf *b)
{
	return b->len > OUTPUT_TAIL ? b->ptr + b->len - OUTPUT_TAIL : gt_buf_cstr(b);
}

static int failed_fn(struct gt_txn *tx, void *p)
{
	struct job *j = p;
	struct gt_buf note = GT_BUF_INIT;
	cJSON *mr = NULL, *md, *f;
	int rc;

	gt_txn_summary(tx, "gate %s fails for %s%s", j->gate, j->id,
		       j->target_broken ? " and on its target alone" : "");
	if ((rc = gt_txn_bead_get(tx, j->id, &mr)) < 0)
		return rc;
	md = cJSON_CreateObject();
	f = cJSON_AddObjectToObject(md, "failure");
	gt_json_set_str(f, "gate", j->gate);
	gt_json_set_str(f, "command", j->gate_cmd.ptr);
	gt_json_set_str(f, "output", tail(&j->out));
	gt_json_set_str(f, "target_commit", j->head.ptr);
	gt_json_set_str(f, "at", gt_txn_now(tx));
	if (j->target_broken) {
		/* not the branch's fault: wait for the target to be fixed */
		struct gt_bead_spec spec;
		struct gt_buf title = GT_BUF_INIT, desc = GT_BUF_INIT;

		gt_json_set_str(f, "caused_by", "target");
		gt_bead_spec_init(&spec);
		gt_buf_printf(&title, "Gate %s fails on %s", j->gate, j->target);
		gt_buf_printf(&desc, "`%s` fails on %s at %s, without any merge request:\n\n%s\n",
			      j->gate_cmd.ptr, j->target, j->head.ptr, tail(&j->out));
		spec.prefix = j->rig.prefix ? j->rig.prefix : "gt";
		spec.title = title.ptr;
		spec.description = desc.ptr;
		spec.type = "bug";
		spec.priority = 0;
		if ((rc = file_blocker(tx, j, &spec)) == 0)
			rc = set_mr(tx, j, "open", NULL, md);
		else
			cJSON_Delete(md);
		gt_buf_release(&title);
		gt_buf_release(&desc);
	} else {
		gt_json_set_str(f, "caused_by", "branch");
		bump_retries(md, mr);
		rc = set_mr(tx, j, "blocked", NULL, md);
		gt_buf_printf(&note, "Merge request %s failed the %s gate (%s):\n\n%s", j->id,
			      j->gate, j->gate_cmd.ptr, tail(&j->out));
		if (rc == 0 && j->source)
			rc = gt_op_comment(tx, j->ctx, j->source, note.ptr, j->me.ptr, NULL);
	}
	gt_txn_trailer(tx, "Gt-Merge-Request", "%s", j->id);
	gt_buf_release(&note);
	return rc;
}

/* ---- the merge ---- */

static int pushing_fn(struct gt_txn *tx, void *p)
{
	struct job *j = p;

	gt_txn_summary(tx, "refinery pushes %s as %.12s", j->id, j->merged.ptr);
	gt_txn_trailer(tx, "Gt-Merge-Request", "%s", j->id);
	gt_txn_trailer(tx, "Gt-Commit", "%s", j->merged.ptr);
	return set_mr(tx, j, NULL, "pushing", NULL);
}

static int close_fn(struct gt_txn *tx, void *p)
{
	struct job *j = p;
	struct gt_buf why = GT_BUF_INIT;
	cJSON *md = cJSON_CreateObject(), *src = NULL;
	int rc, changed;

	gt_txn_summary(tx, "merged %s%s%s into %s as %.12s", j->id, j->source ? " for " : "",
		       j->source ? j->source : "", j->target, j->merged.ptr);
	gt_buf_printf(&why, "Merged in %.12s", j->merged.ptr);
	gt_json_set_str(md, "merged_commit", j->merged.ptr);
	rc = set_mr(tx, j, NULL, "merged", md);
	if (rc == 0)
		rc = gt_op_close(tx, j->ctx, j->id, why.ptr, &changed);
	if (rc == 0 && j->source && gt_txn_bead_get(tx, j->source, &src) == 0 &&
	    strcmp(gt_bead_status(src), "closed")) {
		struct gt_bead_spec spec;

		gt_bead_spec_init(&spec);
		spec.metadata = cJSON_CreateObject();
		gt_json_set_str(spec.metadata, "merged_commit", j->merged.ptr);
		rc = gt_op_update(tx, j->ctx, j->source, &spec, &changed);
		gt_bead_spec_release(&spec);
		if (rc == 0)
			rc = gt_op_close(tx, j->ctx, j->source, why.ptr, &changed);
	}
	if (rc == 0)
		gt_error_clear(); /* a source bead that is gone */
	gt_txn_trailer(tx, "Gt-Merge-Request", "%s", j->id);
	if (j->source)
		gt_txn_trailer(tx, "Gt-Bead", "%s", j->source);
	gt_txn_trailer(tx, "Gt-Commit", "%s", j->merged.ptr);
	gt_txn_trailer(tx, "Gt-Rig", "%s", j->rig.name);
	gt_buf_release(&why);
	return rc;
}

static int deleted_fn(struct gt_txn *tx, void *p)
{
	struct job *j = p;

	gt_txn_summary(tx, "refinery deletes the branch of %s", j->id);
	return set_mr(tx, j, NULL, "done", NULL);
}

static int delete_branch(struct job *j, const char *branch)
{
	struct gt_buf sha = GT_BUF_INIT, spec = GT_BUF_INIT;
	int rc;

	if (gt_branch_check(branch) < 0 || !strcmp(branch, j->target)) {
		gt_error_clear();
		return 0; /* never the target, never a bad name */
	}
	rc = remote_sha(&sha, j, branch);
	if (rc == 0 && sha.len) {
		gt_buf_printf(&spec, ":refs/heads/%s", branch);
		rc = gt_git(NULL, j->ws.ptr, "push", "--quiet", "origin", spec.ptr, NULL);
	}
	gt_buf_release(&sha);
	gt_buf_release(&spec);
	return rc;
}

static int delete_branches(struct job *j, const cJSON *mr)
{
	const cJSON *b;
	int rc = delete_branch(j, j->branch);

	cJSON_ArrayForEach (b, cJSON_GetObjectItemCaseSensitive(md_of(mr), "previous_branches"))
		if (rc == 0 && cJSON_IsString(b))
			rc = delete_branch(j, b->valuestring);
	if (rc == 0)
		rc = txn(j, deleted_fn);
	return rc;
}

static void mail_worker(struct job *j, const char *subject, const char *body)
{
	struct gt_mail_opts m = { .subject = subject, .body = body, .ephemeral = 1, .priority = 1 };
	const char *to = j->worker;
	cJSON *sent = NULL, *agent = NULL;

	/* only to a worker that still exists; the beads say it all anyway */
	if (!to || gt_agent_read(&agent, j->ctx->lg, to) < 0 ||
	    gt_mail_send(&sent, j->ctx, j->t, &to, 1, &m) < 0)
		gt_error_clear();
	cJSON_Delete(agent);
	cJSON_Delete(sent);
}

static int load(struct job *j, const cJSON *mr)
{
	const cJSON *md = md_of(mr);
	const char *c = gt_json_str(md, "commit");
	int rc;

	j->id = gt_strdup(gt_bead_id(mr));
	j->branch = dup_or_null(gt_json_str(md, "branch"));
	j->commit = dup_or_null(c);
	j->target = gt_strdup(gt_json_str(md, "target") ? gt_json_str(md, "target")
							: j->rig.default_branch);
	j->source = dup_or_null(gt_json_str(md, "source_bead"));
	j->worker = dup_or_null(gt_json_str(md, "worker"));
	if (!j->branch || !c || strlen(c) != 40 || strspn(c, "0123456789abcdef") != 40)
		return gt_error_set(GT_EINVALID, "merge request '%s' has no branch and commit",
				    j->id);
	if ((rc = gt_branch_check(j->branch)) < 0 || (rc = gt_branch_check(j->target)) < 0)
		return rc;
	return 0;
}

/* Run a shell command of the town's configuration (trusted, like git
 * hooks) in the worktree; output (stdout then stderr) into j->out. */
static int run_gate(struct job *j, const char *cmd)
{
	const char *argv[] = { "sh", "-c", cmd, NULL };
	struct gt_buf err = GT_BUF_INIT, env_rig = GT_BUF_INIT;
	const char *env[] = { NULL, NULL };
	struct gt_proc_opts po = { .cwd = j->ws.ptr, .env = env, .out = &j->out, .err = &err };
	int status = 0, rc;

	gt_buf_printf(&env_rig, "GT_RIG=%s", j->rig.name);
	env[0] = env_rig.ptr;
	gt_buf_reset(&j->out);
	rc = gt_run(argv, &po, &status);
	gt_buf_add(&j->out, err.ptr ? err.ptr : "", err.len);
	gt_buf_release(&err);
	gt_buf_release(&env_rig);
	gt_error_clear();
	return rc;
}

static const char *const gate_names[] = { "setup", "build", "lint", "test" };

/* Run gate i of the rig when it is set (its command into cmd, if
 * given).  0 when it passed or is not set. */
static int gate_at(struct job *j, size_t i, struct gt_buf *cmd)
{
	char *c = gt_rig_setting(j->ctx, j->rig.name, gate_names[i], NULL);
	int rc = 0;

	if (c && *c) {
		if (cmd) {
			gt_buf_reset(cmd);
			gt_buf_adds(cmd, c);
		}
		rc = run_gate(j, c);
	}
	free(c);
	return rc;
}

/* 0: all passed; 1: gate j->gate failed.  When it fails, the gates up to
 * it run again on the target alone, to tell whose fault it is. */
static int gates(struct job *j)
{
	struct gt_buf keep = GT_BUF_INIT;
	size_t failed = 0;
	int broken = 0;

	while (failed < 4 && gate_at(j, failed, &j->gate_cmd) == 0)
		failed++;
	if (failed == 4) {
		gt_buf_reset(&j->gate_cmd);
		return 0;
	}
	j->gate = gate_names[failed];
	gt_buf_add(&keep, j->out.ptr ? j->out.ptr : "", j->out.len);
	/* the target alone: nothing the branch's gates left behind (its
	 * output is not kept) */
	if (gt_git(NULL, j->ws.ptr, "checkout", "--quiet", "--detach", "--force", j->head.ptr,
		   NULL) == 0 &&
	    gt_git(NULL, j->ws.ptr, "clean", "-fdxq", NULL) == 0) {
		for (size_t i = 0; i < failed; i++)
			gate_at(j, i, NULL);
		broken = gate_at(j, failed, NULL) < 0;
	}
	gt_error_clear();
	j->target_broken = broken;
	gt_buf_reset(&j->out);
	gt_buf_add(&j->out, keep.ptr ? keep.ptr : "", keep.len);
	gt_buf_release(&keep);
	return 1;
}

static void log_entry(cJSON *log, struct job *j, const char *outcome)
{
	cJSON *e = cJSON_CreateObject();

	gt_json_set_str(e, "merge_request", j->id);
	gt_json_set_str(e, "outcome", outcome);
	if (j->source)
		gt_json_set_str(e, "bead", j->source);
	if (j->branch)
		gt_json_set_str(e, "branch", j->branch);
	if (j->merged.len)
		gt_json_set_str(e, "commit", j->merged.ptr);
	if (j->filed.len)
		gt_json_set_str(e, "filed", j->filed.ptr);
	if (j->gate)
		gt_json_set_str(e, "gate", j->gate);
	if (j->why.len && strcmp(outcome, "merged"))
		gt_json_set_str(e, "reason", j->why.ptr);
	else if (j->gate_cmd.len)
		gt_json_set_str(e, "reason", j->gate_cmd.ptr);
	cJSON_AddItemToArray(log, e);
}

/* After the target has the merged commit: close, delete, tell. */
static int finish(cJSON *log, struct job *j, const cJSON *mr)
{
	struct gt_buf subj = GT_BUF_INIT, body = GT_BUF_INIT;
	int rc = txn(j, close_fn);

	if (rc == 0)
		rc = delete_branches(j, mr);
	if (rc < 0)
		return rc;
	gt_buf_printf(&subj, "MERGED: %s", j->source ? j->source : j->id);
	gt_buf_printf(&body, "Merge-Request: %s\nBranch: %s\nTarget: %s\nCommit: %s\n", j->id,
		      j->branch, j->target, j->merged.ptr);
	mail_worker(j, subj.ptr, body.ptr);
	log_entry(log, j, "merged");
	gt_buf_release(&subj);
	gt_buf_release(&body);
	return 0;
}

/* One merge request from "claimed" to an outcome. */
static int push(struct job *j, const char *spec);

static int merge_one(cJSON *log, struct job *j, const cJSON *mr)
{
	struct gt_buf sha = GT_BUF_INIT, start = GT_BUF_INIT;
	const char *vbase = gt_json_str(md_of(mr), "verified_base");
	int rc, attempt;

	for (attempt = 0; attempt < 5; attempt++) {
		gt_buf_reset(&j->merged);
		if ((rc = gt_ws_fetch(j->rig.repo)) < 0)
			break;
		gt_buf_reset(&start);
		gt_buf_printf(&start, "refs/remotes/origin/%s", j->target);
		if ((rc = gt_git(&j->head, j->ws.ptr, "rev-parse", "--verify", "--quiet", start.ptr,
				 NULL)) < 0) {
			gt_error_set(GT_EFAIL, "origin has no branch '%s' to merge into",
				     j->target);
			break;
		}
		if ((rc = remote_sha(&sha, j, j->branch)) < 0)
			break;
		if (!sha.len || strcmp(sha.ptr, j->commit)) {
			gt_buf_reset(&j->why);
			if (!sha.len)
				gt_buf_printf(&j->why, "Refused: branch %s is gone from origin",
					      j->branch);
			else
				gt_buf_printf(&j->why,
					      "Refused: branch %s is at %.12s, not the submitted "
					      "%.12s; to submit what it holds now, hook the bead "
					      "again (gt-hook-attach) and run gt-done",
					      j->branch, sha.ptr, j->commit);
			if ((rc = txn(j, refuse_fn)) == 0) {
				mail_worker(j, "MERGE_REFUSED", j->why.ptr);
				log_entry(log, j, "refused");
			}
			break;
		}
		if ((rc = rgit(j, NULL, "checkout", "--quiet", "--detach", "--force", j->commit,
			       NULL)) < 0 ||
		    (rc = rgit(j, NULL, "clean", "-fdxq", NULL)) < 0)
			break;
		if (is_ancestor(j, j->head.ptr, j->commit)) {
			gt_buf_adds(&j->merged, j->commit); /* already on top: a fast-forward */
		} else if (rgit(j, NULL, "rebase", "--quiet", j->head.ptr, NULL) < 0) {
			gt_error_clear();
			rgit(j, &j->out, "diff", "--name-only", "--diff-filter=U", NULL);
			rgit(j, NULL, "rebase", "--abort", NULL);
			gt_error_clear();
			if ((rc = txn(j, conflict_fn)) == 0) {
				struct gt_buf body = GT_BUF_INIT;

				gt_buf_printf(&body,
					      "Branch %s conflicts with %s at %s; filed %s.\n",
					      j->branch, j->target, j->head.ptr, j->filed.ptr);
				mail_worker(j, "MERGE_CONFLICT", body.ptr);
				gt_buf_release(&body);
				log_entry(log, j, "conflict");
			}
			break;
		} else if ((rc = rgit(j, &j->merged, "rev-parse", "HEAD", NULL)) < 0) {
			break;
		}
		/* verified by its worker against this very head: no gates */
		if (!(vbase && !strcmp(vbase, j->head.ptr) && !strcmp(j->merged.ptr, j->commit)) &&
		    gates(j)) {
			if ((rc = txn(j, failed_fn)) == 0) {
				struct gt_buf body = GT_BUF_INIT, subj = GT_BUF_INIT;

				if (!j->target_broken) {
					gt_buf_printf(&subj, "FIX_NEEDED: %s",
						      j->source ? j->source : j->id);
					gt_buf_printf(&body,
						      "Merge-Request: %s\nBranch: %s\nGate: %s\n"
						      "Command: %s\n\n%s",
						      j->id, j->branch, j->gate, j->gate_cmd.ptr,
						      tail(&j->out));
					mail_worker(j, subj.ptr, body.ptr);
				}
				log_entry(log, j, j->target_broken ? "deferred" : "failed");
				gt_buf_release(&body);
				gt_buf_release(&subj);
			}
			break;
		}
		if ((rc = txn(j, pushing_fn)) < 0)
			break;
		j->pushing = 1;
		gt_buf_reset(&start);
		gt_buf_printf(&start, "%s:refs/heads/%s", j->merged.ptr, j->target);
		if ((rc = push(j, start.ptr)) == GT_ETEMP) {
			/* the target moved meanwhile (not a fast-forward): again */
			gt_error_clear();
			rc = 0;
			continue;
		}
		if (rc < 0)
			break; /* refused: say why, never retry for ever */
		if ((rc = remote_sha(&sha, j, j->target)) < 0)
			break;
		if (strcmp(sha.ptr, j->merged.ptr)) {
			rc = gt_error_set(GT_EFAIL, "pushed %.12s to %s but origin has %.12s",
					  j->merged.ptr, j->target, sha.len ? sha.ptr : "nothing");
			break;
		}
		rc = finish(log, j, mr);
		break;
	}
	if (attempt == 5)
		rc = gt_error_set(GT_ETEMP, "%s kept moving while merging %s", j->target, j->id);
	gt_buf_release(&sha);
	gt_buf_release(&start);
	return rc;
}

/* Push spec to origin from the worktree.  GT_ETEMP when the target moved
 * (not a fast-forward: fetch and try again); GT_EFAIL naming the reason
 * when origin refuses it (a checked-out branch of a non-bare upstream, a
 * hook, permissions), which no retry would change. */
static int push(struct job *j, const char *spec)
{
	const char *argv[] = { "git", "push", "--quiet", "--porcelain", "origin", spec, NULL };
	struct gt_buf out = GT_BUF_INIT, err = GT_BUF_INIT;
	struct gt_proc_opts po = { .cwd = j->ws.ptr, .out = &out, .err = &err };
	int rc = gt_run(argv, &po, NULL);

	if (rc < 0) {
		const char *all = out.ptr ? out.ptr : "", *why;

		gt_error_clear();
		if (strstr(all, "(fetch first)") || strstr(all, "(non-fast-forward)") ||
		    strstr(all, "(stale info)")) {
			rc = GT_ETEMP;
		} else {
			why = strstr(all, "[remote rejected]") ? strrchr(all, '(') : NULL;
			rc = gt_error_set(GT_EFAIL, "origin refuses the push to %s: %.*s",
					  j->target, why ? (int)strcspn(why + 1, ")") : 200,
					  why ? why + 1 : gt_proc_telling_line(&err));
			if (strstr(all, "checked out"))
				gt_error_hint(
					"the upstream is a repository with %s checked out: make it "
					"bare, or set receive.denyCurrentBranch updateInstead "
					"there (gt-doctor checks this)",
					j->target);
		}
	}
	gt_buf_release(&out);
	gt_buf_release(&err);
	return rc;
}

/* A request of the rig that a run left between claim and "done". */
static int unfinished(const cJSON *mr, const void *rig)
{
	const char *r = gt_json_str(md_of(mr), "rig");
	const char *step =
		gt_json_str(cJSON_GetObjectItemCaseSensitive(md_of(mr), "refinery"), "step");

	return r && !strcmp(r, rig) && step && strcmp(step, "done");
}

/* Requests a previous run left half done. */
static int recover(cJSON *log, struct job *j)
{
	struct gt_list_filter f;
	cJSON *all = cJSON_CreateArray(), *mr;
	int rc;

	gt_list_filter_init(&f);
	gt_strlist_push(&f.types, "merge-request");
	gt_strlist_push(&f.statuses, "all");
	f.sort = "oldest";
	rc = gt_list_beads(all, j->ctx->lg, &f, unfinished, j->rig.name);
	gt_list_filter_release(&f);
	cJSON_ArrayForEach (mr, all) {
		const cJSON *prog = cJSON_GetObjectItemCaseSensitive(md_of(mr), "refinery");
		const char *step = gt_json_str(prog, "step"), *merged = gt_json_str(prog, "merged");

		if (rc < 0)
			continue;
		job_reset(j);
		if ((rc = load(j, mr)) < 0)
			break;
		if (!strcmp(step, "merged")) { /* closed; branches left */
			gt_buf_adds(&j->merged, merged ? merged : "");
			rc = delete_branches(j, mr);
			continue;
		}
		if (strcmp(gt_bead_status(mr), "in_progress"))
			continue;
		if (!strcmp(step, "pushing") && merged && (rc = gt_ws_fetch(j->rig.repo)) == 0) {
			struct gt_buf ref = GT_BUF_INIT;

			gt_buf_printf(&ref, "refs/remotes/origin/%s", j->target);
			gt_buf_adds(&j->merged, merged);
			if (is_ancestor(j, merged, ref.ptr)) {
				/* it landed before the crash: close, never merge again */
				gt_buf_release(&ref);
				rc = finish(log, j, mr);
				continue;
			}
			gt_buf_release(&ref);
		}
		rc = txn(j, requeue_fn); /* nothing landed: start over */
	}
	cJSON_Delete(all);
	job_reset(j);
	return rc;
}

int gt_refinery_run(cJSON **log, struct gt_ctx *ctx, const struct gt_town *t,
		    const struct gt_refinery_opts *o)
{
	struct job j = { .ctx = ctx, .t = t, .o = o };
	struct gt_buf lockp = GT_BUF_INIT, name = GT_BUF_INIT;
	int rc, lockfd = -1, done = 0;
	cJSON *feed = NULL;

	*log = cJSON_CreateArray();
	if ((rc = gt_rig_load(&j.rig, ctx, t, o->rig)) < 0)
		return rc;
	if (gt_rig_paused(ctx, o->rig, 0, &name)) {
		/* an e-stop or a parked rig: nothing is merged until it lifts */
		cJSON *e = cJSON_CreateObject();

		gt_json_set_str(e, "outcome", "paused");
		gt_json_set_str(e, "rig", o->rig);
		gt_json_set_str(e, "reason", name.ptr);
		cJSON_AddItemToArray(*log, e);
		goto out;
	}
	gt_buf_printf(&j.ws, "%s/refinery", j.rig.dir);
	gt_buf_printf(&j.me, "%s/refinery", j.rig.name);
	gt_buf_printf(&name, "locks/refinery-%s", j.rig.name);
	if ((rc = gt_repo_runtime_path(&lockp, ctx->lg->repo, name.ptr, 1)) < 0 ||
	    (rc = gt_lock_acquire(&lockfd, lockp.ptr, 0)) < 0) {
		if (rc == GT_ETEMP || rc == GT_ECONFLICT) {
			gt_error_set(GT_ECONFLICT, "another refinery is working on rig '%s'",
				     j.rig.name);
			rc = GT_ECONFLICT;
		}
		goto out;
	}
	if ((rc = worktree(&j)) < 0 || (rc = recover(*log, &j)) < 0)
		goto out;
	while (!o->max || done < o->max) {
		cJSON *mr = NULL;
		int merged;

		if ((rc = gt_ledger_refresh(ctx->lg)) < 0)
			break;
		if ((rc = gt_mq_next(&mr, ctx, j.rig.name)) == GT_ENO) {
			rc = 0;
			gt_error_clear();
			break;
		}
		if (rc < 0)
			break;
		job_reset(&j);
		if ((rc = load(&j, mr)) == GT_EINVALID) {
			/* a malformed request must not stop the queue */
			gt_buf_reset(&j.why);
			gt_buf_printf(&j.why, "Refused: %s", gt_error_last());
			if ((rc = txn(&j, refuse_fn)) == 0)
				log_entry(*log, &j, "refused");
		} else if (rc == 0 && (rc = txn(&j, claim_fn)) == 0) {
			size_t before = (size_t)cJSON_GetArraySize(*log);

			rc = merge_one(*log, &j, mr);
			/* after "pushing" the next run's recovery decides */
			if (rc < 0 && !j.pushing) {
				/* an error, not an outcome: back in the queue as it was */
				struct gt_error_saved e;

				gt_error_save(&e);
				txn(&j, requeue_fn);
				gt_error_restore(&e);
			}
			merged = (size_t)cJSON_GetArraySize(*log) > before &&
				 !strcmp(gt_json_str(cJSON_GetArrayItem(*log, (int)before),
						     "outcome"),
					 "merged");
			/* a closed bead may land a convoy and free a worker's slot */
			if (rc == 0 && merged) {
				cJSON *landed = NULL, *it;

				if (gt_convoy_check(&landed, ctx, NULL) == 0)
					cJSON_ArrayForEach (it, landed) {
						cJSON *e = cJSON_CreateObject();

						gt_json_set_str(e, "convoy", it->valuestring);
						gt_json_set_str(e, "outcome", "landed");
						cJSON_AddItemToArray(*log, e);
					}
				cJSON_Delete(landed);
				if (!o->no_feed && gt_convoy_feed(&feed, ctx, t, NULL) == 0)
					cJSON_ArrayForEach (it, feed) {
						cJSON *e = cJSON_Duplicate(it, 1);

						gt_json_set_str(e, "outcome", "slung");
						cJSON_AddItemToArray(*log, e);
					}
				cJSON_Delete(feed);
				feed = NULL;
				gt_error_clear();
			}
		}
		cJSON_Delete(mr);
		if (rc < 0)
			break;
		done++;
		gt_progress_tell(o->progress, (uint64_t)done, 0);
	}
out:
	job_reset(&j);
	gt_rig_release(&j.rig);
	gt_buf_release(&j.ws);
	gt_buf_release(&j.me);
	gt_buf_release(&j.head);
	gt_buf_release(&j.merged);
	gt_buf_release(&j.out);
	gt_buf_release(&j.why);
	gt_buf_release(&j.filed);
	gt_buf_release(&j.gate_cmd);
	gt_buf_release(&lockp);
	gt_buf_release(&name);
	gt_lock_release(lockfd);
	return rc;
}
