/*
 * sling.c - putting a bead on an agent's hook and starting it: allocate a
 * polecat, make its workspace, hook the bead (with the rig's molecule),
 * start the session, each step undone on failure (sling.h).
 *
 * A batch to a rig is provisioned in parallel (gt_sling_batch()).  This
 * process keeps everything that decides: in input order, one bead after
 * the other, it checks the bead, counts the rig's capacity, picks an
 * idle polecat or a pool name and writes the record (state spawning), so
 * names, reuse and caps come out as a serial run would make them.  Each
 * allocated bead is then handed to a worker process (fork, no exec) that
 * makes the workspace, hooks the bead and starts the session, and on any
 * failure undoes its own bead, newest step first.  A worker opens a
 * ledger handle of its own (libgit2 objects never cross processes); its
 * hook and undo are transactions like any other sling's, serialised by
 * the ledger.  It answers on a pipe: "S" once its session runs (only the
 * start check's wait is left, which takes no slot), then one JSON object:
 * {"rc", "result"} or {"rc", "error", "hint"}.
 */
#include "flow/sling.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/options.h"
#include "base/progress.h"
#include "store/bead.h"
#include "store/config.h"
#include "store/id.h"
#include "store/query.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "store/repo.h"
#include "town/agent.h"
#include "town/estop.h"
#include "town/runtime.h"
#include "town/session.h"
#include "town/town.h"
#include "town/worker.h"
#include "town/workspace.h"
#include "formula/cook.h"
#include "formula/formula.h"
#include "flow/mail.h"
#include "flow/molecule.h"
#include "base/banned.h"

/* What the slings of one batch share. */
struct batch {
	int fetched; /* the rig's upstream was fetched for this batch */
	int notify;  /* in a worker: the pipe to the batch (-1: none) */
	/* noted at the fetch, so no bead asks git again: the commit of
	 * origin/<default branch> (NULL: not known), the rig's local
	 * polecat/ branches (when listed) */
	char *base;
	struct gt_strlist branches;
	int listed;
};

struct sling {
	struct batch *batch; /* NULL for a sling on its own */
	struct gt_ctx *ctx;
	const struct gt_town *t;
	const struct gt_sling_opts *o;
	const char *bead;
	cJSON *work; /* the bead as it was when the sling began (work_bead()) */
	struct gt_rig rig;
	char *strategy; /* the rig's workspace setting, read once */
	char *start;	/* branch to start from instead of the default */
	char *runtime;
	/* allocation */
	char *reuse; /* address of the idle polecat picked before */
	struct gt_buf address, name, workspace, branch, session, base;
	int spawned;	   /* a new record (and workspace) was made */
	cJSON *prev_agent; /* the reused record before, for rollback */
	/* hook */
	struct gt_hook_result hook;
	/* molecule */
	struct gt_formula *formula;
	cJSON *vars, *dag;
	struct gt_buf mol;
	int poured;
};

static void sling_release(struct sling *s)
{
	gt_rig_release(&s->rig);
	free(s->strategy);
	free(s->runtime);
	free(s->reuse);
	gt_buf_release(&s->address);
	gt_buf_release(&s->name);
	gt_buf_release(&s->workspace);
	gt_buf_release(&s->branch);
	gt_buf_release(&s->session);
	gt_buf_release(&s->base);
	free(s->start);
	cJSON_Delete(s->prev_agent);
	cJSON_Delete(s->work);
	gt_formula_free(s->formula);
	cJSON_Delete(s->vars);
	cJSON_Delete(s->dag);
	gt_buf_release(&s->mol);
}

static void fill_paths(struct sling *s)
{
	struct gt_address a = { GT_ROLE_POLECAT, "", "" };

	snprintf(a.rig, sizeof(a.rig), "%s", s->rig.name);
	snprintf(a.name, sizeof(a.name), "%s", s->name.ptr);
	gt_address_format(&s->address, &a);
	gt_buf_reset(&s->workspace);
	gt_buf_printf(&s->workspace, "%s/polecats/%s", s->rig.dir, s->name.ptr);
	gt_buf_reset(&s->branch);
	if (strcmp(s->strategy, "directory"))
		gt_buf_printf(&s->branch, "polecat/%s/%s", s->name.ptr, s->bead);
	gt_session_name(&s->session, s->address.ptr);
}

static int alloc_fn(struct gt_txn *tx, void *p)
{
	struct sling *s = p;
	struct gt_address a;
	char *custom;
	cJSON *agent = NULL;
	int rc = 0;

	cJSON_Delete(s->prev_agent);
	s->prev_agent = NULL;
	s->spawned = 0;
	if (s->reuse && gt_txn_agent_get(tx, s->reuse, &agent) == 0) {
		const char *st = gt_json_str(agent, "state"), *hook = gt_json_str(agent, "hook");

		if (st && !strcmp(st, "idle") && !(hook && *hook)) {
			s->prev_agent = cJSON_Duplicate(agent, 1);
			gt_buf_reset(&s->name);
			gt_buf_adds(&s->name, gt_json_str(agent, "name"));
		} else {
			cJSON_Delete(agent);
			agent = NULL;
		}
	}
	gt_error_clear();
	if (!agent) {
		struct gt_buf dir = GT_BUF_INIT;

		custom = gt_rig_setting(s->ctx, s->rig.name, "names", NULL);
		gt_buf_printf(&dir, "%s/polecats", s->rig.dir);
		rc = gt_pool_allocate(&s->name, tx, s->rig.name, custom, dir.ptr);
		free(custom);
		gt_buf_release(&dir);
		if (rc < 0)
			return rc;
		if ((rc = gt_address_parse(&a, "x/polecats/x")) < 0)
			return rc;
		snprintf(a.rig, sizeof(a.rig), "%s", s->rig.name);
		snprintf(a.name, sizeof(a.name), "%s", s->name.ptr);
		agent = gt_agent_new(&a, gt_txn_now(tx));
		s->spawned = 1;
	}
	fill_paths(s);
	gt_json_set_str(agent, "runtime", s->runtime);
	gt_json_set_str(agent, "state", "spawning");
	gt_json_set_str(agent, "workspace", s->workspace.ptr);
	gt_json_set_str(agent, "strategy", s->strategy);
	if (s->branch.len)
		gt_json_set_str(agent, "branch", s->branch.ptr);
	else
		gt_json_del(agent, "branch");
	gt_json_set_str(agent, "session", s->session.ptr);
	gt_json_del(agent, "args");
	gt_json_del(agent, "base");
	rc = gt_txn_agent_put(tx, agent);
	gt_txn_summary(tx, "%s %s for %s", s->spawned ? "spawn" : "reuse", s->address.ptr, s->bead);
	gt_txn_trailer(tx, "Gt-Agent", "%s", s->address.ptr);
	cJSON_Delete(agent);
	return rc;
}

static int hook_fn(struct gt_txn *tx, void *p)
{
	struct sling *s = p;
	cJSON *agent = NULL;
	int rc = gt_op_hook_attach(tx, s->ctx, s->address.ptr, s->bead, s->o->force, &s->hook);

	if (rc < 0)
		return rc;
	s->poured = 0;
	if (s->dag) {
		struct gt_mol_spec m = { .on = s->bead, .assignee = s->address.ptr, .reuse = 1 };

		if ((rc = gt_mol_pour_txn(tx, s->ctx, s->dag, &m, &s->mol)) < 0)
			return rc;
		s->poured = rc == 0;
	}
	if ((rc = gt_txn_agent_get(tx, s->address.ptr, &agent)) < 0)
		return rc;
	if (s->o->args)
		gt_json_set_str(agent, "args", s->o->args);
	if (s->base.len)
		gt_json_set_str(agent, "base", s->base.ptr);
	if (s->runtime && !gt_json_str(agent, "runtime"))
		gt_json_set_str(agent, "runtime", s->runtime);
	rc = gt_txn_agent_put(tx, agent);
	gt_txn_summary(tx, "sling %s to %s", s->bead, s->address.ptr);
	cJSON_Delete(agent);
	return rc;
}

/* Undo: the bead gets its status and assignee back, a spawned record
 * goes, a reused one is restored. */
static int rollback_fn(struct gt_txn *tx, void *p)
{
	struct sling *s = p;
	cJSON *bead = NULL;
	int rc, changed;

	if (gt_txn_bead_get(tx, s->bead, &bead) == 0 && s->hook.changed) {
		const char *as = gt_json_str(bead, "assignee");

		if (!strcmp(gt_bead_status(bead), "hooked") && as && !strcmp(as, s->address.ptr)) {
			struct gt_bead_spec spec;

			gt_bead_spec_init(&spec);
			spec.status = s->hook.prev_status;
			spec.assignee = s->hook.prev_assignee;
			rc = gt_op_update(tx, s->ctx, s->bead, &spec, &changed);
			gt_bead_spec_release(&spec);
			if (rc < 0)
				return rc;
		}
	}
	gt_error_clear();
	if (s->poured && gt_mol_unpour_txn(tx, s->ctx, s->mol.ptr) < 0)
		gt_error_clear(); /* gone already */
	if (s->spawned)
		rc = gt_txn_agent_remove(tx, s->address.ptr);
	else if (s->prev_agent)
		rc = gt_txn_agent_put(tx, s->prev_agent);
	else
		rc = 0;
	gt_txn_summary(tx, "undo sling %s to %s", s->bead, s->address.ptr);
	return rc;
}

static int pick_idle(struct sling *s)
{
	cJSON *arr = NULL, *it;
	struct gt_buf lost = GT_BUF_INIT;
	int rc = gt_agent_list(&arr, s->ctx->lg, s->rig.name);

	cJSON_ArrayForEach (it, arr) {
		const char *st = gt_json_str(it, "state"), *hook = gt_json_str(it, "hook");
		const char *role = gt_json_str(it, "role"), *ws = gt_json_str(it, "workspace");

		const char *its = gt_json_str(it, "strategy");

		/* a workspace made another way than the rig now asks is not reused */
		if (rc < 0 || !role || strcmp(role, "polecat") || !st || strcmp(st, "idle") ||
		    (hook && *hook) || !ws || strcmp(its ? its : "worktree", s->strategy))
			continue;
		/* an idle polecat with unsaved work keeps it: take another */
		if (gt_ws_unsaved(&lost, ws, gt_json_str(it, "strategy")) < 0 || lost.len) {
			gt_error_clear();
			continue;
		}
		s->reuse = gt_strdup(gt_json_str(it, "address"));
		break;
	}
	cJSON_Delete(arr);
	gt_buf_release(&lost);
	return rc;
}

/* A local branch left by an earlier worker of the same name and bead: it
 * goes if everything on it reached the remote, else sling refuses. */
static int clear_stale_branch(struct sling *s)
{
	struct gt_buf out = GT_BUF_INIT, ref = GT_BUF_INIT;
	int rc = 0, lk = -1;

	gt_buf_printf(&ref, "refs/heads/%s", s->branch.ptr);
	if (gt_git(&out, s->rig.repo, "rev-parse", "--verify", "--quiet", ref.ptr, NULL) < 0) {
		gt_error_clear();
		goto out;
	}
	if ((rc = gt_ws_lock(&lk, s->rig.repo)) < 0)
		goto out;
	rc = gt_git(&out, s->rig.repo, "rev-list", "--count", ref.ptr, "--not", "--remotes=origin",
		    NULL);
	if (rc == 0 && strcmp(out.ptr, "0")) {
		rc = gt_error_set(GT_ECONFLICT, "branch '%s' exists with %s unpushed commit(s)",
				  s->branch.ptr, out.ptr);
		gt_error_hint("push or delete it in %s first", s->rig.repo);
	} else if (rc == 0) {
		rc = gt_git(NULL, s->rig.repo, "branch", "-D", "--", s->branch.ptr, NULL);
	}
	gt_ws_unlock(lk);
out:
	gt_buf_release(&out);
	gt_buf_release(&ref);
	return rc;
}

/* Fetch the rig's upstream once for the batch, and note what each bead
 * would otherwise ask git for: where the default branch is, and which
 * polecat branches exist (a bead's own is checked only if it does). */
static int batch_fetch(struct batch *b, struct sling *s)
{
	struct gt_buf out = GT_BUF_INIT, ref = GT_BUF_INIT;
	int rc = gt_ws_fetch(s->rig.repo);

	if (rc < 0)
		return rc;
	b->fetched = 1;
	gt_buf_printf(&ref, "origin/%s^{commit}", s->rig.default_branch);
	if (gt_git(&out, s->rig.repo, "rev-parse", "--verify", "--quiet", ref.ptr, NULL) == 0)
		b->base = gt_strdup(out.ptr);
	if (gt_git(&out, s->rig.repo, "for-each-ref", "--format=%(refname:lstrip=2)",
		   "refs/heads/polecat/", NULL) == 0) {
		for (const char *p = gt_buf_cstr(&out); *p;) {
			size_t n = strcspn(p, "\n");

			if (n)
				gt_strlist_push(&b->branches, gt_strndup(p, n));
			p += n + (p[n] == '\n');
		}
		b->listed = 1;
	}
	gt_error_clear();
	gt_buf_release(&out);
	gt_buf_release(&ref);
	return 0;
}

/* The worker's workspace: the upstream fetched (once for a batch), then
 * a new workspace, or the reused polecat's switched to the new branch.
 * The rig repository's lock is held only around the git commands that
 * cannot run side by side (gt_ws_lock()), so many slings overlap. */
static int make_workspace(struct sling *s)
{
	struct gt_buf base = GT_BUF_INIT, overlay = GT_BUF_INIT;
	struct gt_strlist env = { 0 };
	cJSON *agent = NULL;
	char *setup = gt_rig_setting(s->ctx, s->rig.name, "setup", NULL);
	int dir = !strcmp(s->strategy, "directory");
	struct gt_ws_spec w = { 0 };
	struct batch *b = s->batch;
	int rc = 0, known = 0;

	gt_buf_printf(&overlay, "%s/overlay", s->rig.dir);
	if (!dir && !(b && b->fetched) &&
	    (rc = b ? batch_fetch(b, s) : gt_ws_fetch(s->rig.repo)) < 0)
		goto out;
	/* a conflict bead's worker starts from the branch to rebase; the
	 * others of a batch from the commit noted at its fetch */
	if (!s->start && b && b->base && !strcmp(s->strategy, "worktree")) {
		gt_buf_adds(&base, b->base);
		known = 1;
	} else {
		gt_buf_printf(&base, "origin/%s", s->start ? s->start : s->rig.default_branch);
	}
	if (!s->spawned && !dir && s->branch.len) {
		/* the same polecat given the same bead back (it was deferred):
		 * its branch is checked out already and holds the work so far */
		struct gt_buf cur = GT_BUF_INIT;

		if (gt_git(&cur, s->workspace.ptr, "symbolic-ref", "--short", "HEAD", NULL) == 0 &&
		    !strcmp(cur.ptr, s->branch.ptr)) {
			gt_buf_release(&cur);
			rc = gt_git(&s->base, s->workspace.ptr, "merge-base", "HEAD", base.ptr,
				    NULL);
			goto out;
		}
		gt_error_clear();
		gt_buf_release(&cur);
	}
	if (s->branch.len && !(b && b->listed && !gt_strlist_has(&b->branches, s->branch.ptr)) &&
	    (rc = clear_stale_branch(s)) < 0)
		goto out;
	if (!s->spawned) {
		int lk = -1;

		/* checkout of a branch looks at every worktree */
		if (!dir && (rc = gt_ws_lock(&lk, s->rig.repo)) == 0) {
			rc = gt_ws_switch(s->workspace.ptr, s->branch.ptr, base.ptr);
			gt_ws_unlock(lk);
		}
		if (rc == 0 && !dir && known)
			gt_buf_adds(&s->base, base.ptr);
		else if (rc == 0 && !dir)
			rc = gt_git(&s->base, s->workspace.ptr, "rev-parse", "HEAD", NULL);
		goto out;
	}
	agent = cJSON_CreateObject();
	gt_json_set_str(agent, "address", s->address.ptr);
	gt_json_set_str(agent, "role", "polecat");
	gt_json_set_str(agent, "rig", s->rig.name);
	gt_json_set_str(agent, "runtime", s->runtime);
	gt_worker_env(&env, s->ctx, s->t, agent);
	w.strategy = s->strategy;
	w.repo = s->rig.repo;
	w.url = s->rig.url;
	w.path = s->workspace.ptr;
	w.branch = s->branch.ptr;
	w.base = base.ptr;
	w.overlay = overlay.ptr;
	w.setup = setup;
	w.env = env.v;
	if ((rc = gt_ws_create(&w, known ? NULL : &s->base)) == 0 && known)
		gt_buf_adds(&s->base, base.ptr);
out:
	cJSON_Delete(agent);
	gt_strlist_release_owned(&env);
	gt_buf_release(&base);
	gt_buf_release(&overlay);
	free(setup);
	return rc;
}

static void remove_workspace(struct sling *s)
{
	struct gt_ws_spec w = { s->strategy,
				s->rig.repo,
				s->rig.url,
				s->workspace.ptr,
				s->branch.len ? s->branch.ptr : NULL,
				NULL,
				NULL,
				NULL,
				NULL };

	gt_ws_remove(&w, 1, NULL);
}

static cJSON *plan_json(struct sling *s, const char *action)
{
	cJSON *o = cJSON_CreateObject();

	gt_json_set_str(o, "bead", s->bead);
	gt_json_set_str(o, "action", action);
	gt_json_set_str(o, "agent", s->address.ptr);
	if (s->rig.name)
		gt_json_set_str(o, "rig", s->rig.name);
	if (s->runtime)
		gt_json_set_str(o, "runtime", s->runtime);
	if (s->workspace.len)
		gt_json_set_str(o, "workspace", s->workspace.ptr);
	if (s->branch.len)
		gt_json_set_str(o, "branch", s->branch.ptr);
	if (s->base.len)
		gt_json_set_str(o, "base", s->base.ptr);
	if (s->session.len)
		gt_json_set_str(o, "session", s->session.ptr);
	if (s->o->args)
		gt_json_set_str(o, "args", s->o->args);
	if (s->formula)
		gt_json_set_str(o, "formula", s->formula->name);
	if (s->mol.len)
		gt_json_set_str(o, "molecule", s->mol.ptr);
	return o;
}

/* The bead being slung, read once: the checks and preparations made
 * before the first write all look at the same record. */
static int work_bead(struct sling *s, const cJSON **out)
{
	int rc = 0;

	if (!s->work)
		rc = gt_ledger_read_bead(&s->work, s->ctx->lg, NULL, s->bead);
	*out = s->work;
	return rc;
}

/* Checks sling makes before any write (the hook transaction checks the
 * hook's own conditions again). */
static int sling_precheck(struct sling *s, const char *address)
{
	const cJSON *b;
	const char *st, *as, *defer;
	int rc = work_bead(s, &b);

	if (rc < 0)
		return rc;
	st = gt_bead_status(b);
	as = gt_json_str(b, "assignee");
	defer = gt_json_str(b, "defer_until");
	if (!strcmp(st, "tombstone")) {
		rc = gt_error_set(GT_ECONFLICT, "bead '%s' is deleted", s->bead);
	} else if (!strcmp(st, "closed") && !s->o->force) {
		rc = gt_error_set(GT_ECONFLICT, "bead '%s' is closed", s->bead);
		gt_error_hint("reopen it, or pass --force");
	} else if (defer && *defer && !s->o->force) {
		char now[40];

		gt_time_now(now, sizeof(now));
		if (gt_time_cmp(defer, now) > 0) {
			rc = gt_error_set(GT_ECONFLICT, "bead '%s' is deferred until %s", s->bead,
					  defer);
			gt_error_hint("pass --force to sling it now");
		}
	}
	if (rc == 0 && gt_bead_held_elsewhere(b, address) && !s->o->force) {
		rc = gt_error_set(GT_ECONFLICT, "bead '%s' is %s by '%s'", s->bead, st, as);
		gt_error_hint("pass --force to take it (the holder is mailed)");
	}
	return rc;
}

static int txn(struct gt_ctx *ctx, gt_txn_fn fn, void *p)
{
	struct gt_txn_opts o = { .command = "gt-sling" };

	return gt_ledger_transact(ctx->lg, &o, fn, p);
}

/* The name a sling would get now; stages nothing, so commits nothing. */
static int dry_fn(struct gt_txn *tx, void *p)
{
	struct sling *s = p;
	char *custom = gt_rig_setting(s->ctx, s->rig.name, "names", NULL);
	struct gt_buf dir = GT_BUF_INIT;
	int rc;

	gt_buf_printf(&dir, "%s/polecats", s->rig.dir);
	rc = gt_pool_allocate(&s->name, tx, s->rig.name, custom, dir.ptr);
	free(custom);
	gt_buf_release(&dir);
	return rc;
}

static int mol_cook(struct sling *s);

/* Allocate (step 1): an idle polecat of the rig or a pool name, and its
 * record written with state spawning.  With dry_run, the plan goes to
 * *result instead and 1 is returned. */
static int sling_alloc(cJSON **result, struct sling *s)
{
	int rc;

	if ((rc = pick_idle(s)) < 0)
		return rc;
	if (s->o->dry_run) {
		if (s->reuse) {
			cJSON *a = NULL;

			if ((rc = gt_agent_read(&a, s->ctx->lg, s->reuse)) < 0)
				return rc;
			gt_buf_adds(&s->name, gt_json_str(a, "name"));
			cJSON_Delete(a);
		} else if ((rc = txn(s->ctx, dry_fn, s)) < 0) {
			return rc;
		}
		fill_paths(s);
		*result = plan_json(s, s->reuse ? "reuse" : "spawn");
		return 1;
	}
	return txn(s->ctx, alloc_fn, s);
}

/* Tell the batch this worker's session runs (only its start check is
 * left to wait for). */
static void session_started(void *p)
{
	struct sling *s = p;

	if (s->batch && s->batch->notify >= 0 && write(s->batch->notify, "S", 1) < 0) {
		/* the batch only starts the next worker later */
	}
}

/* Steps 2 to 4 for an allocated worker: workspace, hook, session.  On
 * failure every step is undone, the allocation too. */
static int sling_provision(cJSON **result, struct sling *s)
{
	int rc, stage = 1, live = 0;

	if ((rc = make_workspace(s)) < 0)
		goto undo;
	stage = 2;
	if ((rc = mol_cook(s)) < 0 || (rc = txn(s->ctx, hook_fn, s)) < 0)
		goto undo;
	stage = 3;
	if (s->hook.prev_holder[0])
		gt_mail_hook_taken(s->ctx, s->t, s->hook.prev_holder, s->bead, s->address.ptr);
	if (!s->o->no_start) {
		cJSON *agent = NULL;

		if ((rc = gt_ledger_refresh(s->ctx->lg)) < 0 ||
		    (rc = gt_agent_read(&agent, s->ctx->lg, s->address.ptr)) < 0)
			goto undo;
		/* a reused polecat whose agent stayed open after gt-done (real
		 * CLIs do) gets its program replaced, as gt-handoff does; only
		 * a session this sling made is ever killed on the way back */
		live = !s->spawned && gt_worker_alive(s->t, agent) == 0;
		gt_error_clear();
		rc = gt_worker_start_notify(s->ctx, s->t, agent, live, session_started, s);
		if (rc == GT_ECONFLICT && !live && gt_worker_alive(s->t, agent) == 0) {
			/* a session of a removed polecat of this name, still up:
			 * its program is replaced, as a reused one's is */
			live = 1;
			gt_error_clear();
			rc = gt_worker_start_notify(s->ctx, s->t, agent, 1, session_started, s);
		}
		cJSON_Delete(agent);
		if (rc < 0)
			goto undo;
	}
	*result = plan_json(s, s->spawned ? "spawn" : "reuse");
	return 0;
undo : {
	struct gt_error_saved e;

	gt_error_save(&e);
	if (stage >= 3 && !live)
		gt_session_kill(s->t->socket, s->session.ptr);
	if (stage >= 2 && s->spawned)
		remove_workspace(s);
	if (stage >= 1)
		txn(s->ctx, rollback_fn, s);
	gt_error_restore(&e);
}
	return rc;
}

static int sling_agent(cJSON **result, struct sling *s, const char *address)
{
	cJSON *agent = NULL;
	int rc;

	gt_buf_reset(&s->address);
	gt_buf_adds(&s->address, address);
	if ((rc = gt_agent_read(&agent, s->ctx->lg, address)) < 0)
		return rc;
	gt_session_name(&s->session, address);
	if (gt_json_str(agent, "workspace")) {
		gt_buf_reset(&s->workspace);
		gt_buf_adds(&s->workspace, gt_json_str(agent, "workspace"));
	}
	if (!s->runtime && gt_json_str(agent, "runtime"))
		s->runtime = gt_strdup(gt_json_str(agent, "runtime"));
	cJSON_Delete(agent);
	agent = NULL;
	if (s->o->dry_run) {
		*result = plan_json(s, "hook");
		return 0;
	}
	if ((rc = mol_cook(s)) < 0 || (rc = txn(s->ctx, hook_fn, s)) < 0)
		return rc;
	if (s->hook.prev_holder[0])
		gt_mail_hook_taken(s->ctx, s->t, s->hook.prev_holder, s->bead, s->address.ptr);
	*result = plan_json(s, "hook");
	if (s->o->no_start || !s->workspace.len || !s->o->target)
		return 0;
	if ((rc = gt_ledger_refresh(s->ctx->lg)) < 0 ||
	    (rc = gt_agent_read(&agent, s->ctx->lg, address)) < 0)
		return rc;
	if (gt_worker_alive(s->t, agent) == 0) {
		/* a live agent is told; the text names only the validated id */
		struct gt_buf msg = GT_BUF_INIT;

		gt_buf_printf(&msg, "Work slung to you: %s. Run gt-prime to see it.", s->bead);
		rc = gt_worker_nudge(s->ctx, s->t, address, msg.ptr, GT_NUDGE_IMMEDIATE, 0, NULL);
		gt_buf_release(&msg);
	} else {
		rc = gt_worker_start(s->ctx, s->t, agent, 0);
	}
	cJSON_Delete(agent);
	if (rc < 0) {
		struct gt_error_saved e;

		gt_error_save(&e);
		txn(s->ctx, rollback_fn, s);
		gt_error_restore(&e);
	}
	return rc;
}

/* A conflict bead (filed by the refinery) names the branch to rebase in
 * metadata.conflict.branch: the worker's branch starts there. */
static int conflict_start(struct sling *s)
{
	const cJSON *b;
	const char *br;
	int rc;

	if (work_bead(s, &b) < 0) {
		gt_error_clear(); /* the pre-check reports a missing bead */
		return 0;
	}
	br = gt_json_str(cJSON_GetObjectItemCaseSensitive(
				 cJSON_GetObjectItemCaseSensitive(b, "metadata"), "conflict"),
			 "branch");
	rc = br ? gt_branch_check(br) : 0;
	if (rc == 0 && br)
		s->start = gt_strdup(br);
	return rc;
}

/* The molecule a sling attaches: load the formula and cook it now, so a
 * bad formula or a missing variable stops the sling before anything is
 * written; the variables only known once a worker is picked (agent,
 * branch, workspace) are filled in by mol_cook() before the hook. */
static int mol_prepare(struct sling *s, const char *rig)
{
	struct gt_formula_path path;
	char *name = NULL;
	const cJSON *b;
	int rc;

	if (s->o->no_formula)
		return 0;
	if (s->o->formula)
		name = gt_strdup(s->o->formula);
	else if (rig)
		name = gt_rig_setting(s->ctx, rig, "formula", "mol-polecat-work");
	if (!name || !*name || !strcmp(name, "none")) {
		free(name);
		return 0;
	}
	if ((rc = gt_formula_vars_parse(&s->vars,
					s->o->vars ? s->o->vars : &(struct gt_strlist){ 0 })) < 0)
		goto out;
	if ((rc = work_bead(s, &b)) < 0)
		goto out;
	gt_mol_bead_vars(s->vars, b);
	if (rig) {
		static const char *const gates[] = { "setup", "build", "lint", "test" };

		if (!gt_json_str(s->vars, "rig"))
			gt_json_set_str(s->vars, "rig", rig);
		if (!gt_json_str(s->vars, "base_branch") && s->rig.default_branch)
			gt_json_set_str(s->vars, "base_branch", s->rig.default_branch);
		for (size_t i = 0; i < 4; i++) {
			struct gt_buf k = GT_BUF_INIT;
			char *v = gt_rig_setting(s->ctx, rig, gates[i], "");

			gt_buf_printf(&k, "%s_command", gates[i]);
			if (!gt_json_str(s->vars, k.ptr))
				gt_json_set_str(s->vars, k.ptr, v);
			gt_buf_release(&k);
			free(v);
		}
	}
	gt_formula_path_init(&path, s->t->root, rig, s->t->bindir);
	rc = gt_formula_load(&s->formula, &path, name);
	gt_formula_path_release(&path);
	if (rc == 0)
		rc = gt_formula_cook(&s->dag, s->formula, s->vars, 0);
out:
	free(name);
	return rc;
}

/* Cook again with what the worker is: agent, branch, workspace. */
static int mol_cook(struct sling *s)
{
	if (!s->formula)
		return 0;
	if (!gt_json_str(s->vars, "agent"))
		gt_json_set_str(s->vars, "agent", s->address.ptr);
	if (!gt_json_str(s->vars, "branch") && s->branch.len)
		gt_json_set_str(s->vars, "branch", s->branch.ptr);
	if (!gt_json_str(s->vars, "workspace") && s->workspace.len)
		gt_json_set_str(s->vars, "workspace", s->workspace.ptr);
	cJSON_Delete(s->dag);
	s->dag = NULL;
	return gt_formula_cook(&s->dag, s->formula, s->vars, 0);
}

/* ---- capacity ---- */

/* A cap from configuration (0: none). */
static long cap(char *v)
{
	long n = v ? strtol(v, NULL, 10) : 0;

	free(v);
	return n > 0 ? n : 0;
}

/* 1 when the rig (rig.<rig>.max-workers, else rig.max-workers) or the town
 * (town.max-workers) has as many busy polecats as it may; 0 when a new
 * one fits; < 0 on error. */
static int at_capacity(struct sling *s)
{
	long rig_cap = cap(gt_rig_setting(s->ctx, s->rig.name, "max-workers", NULL));
	long town_cap = cap(gt_config_get(s->ctx->cfg, "town.max-workers"));
	long busy = 0;
	int rc;

	if (rig_cap &&
	    ((rc = gt_agent_busy(&busy, s->ctx->lg, s->rig.name)) < 0 || busy >= rig_cap))
		return rc < 0 ? rc : 1;
	if (town_cap && ((rc = gt_agent_busy(&busy, s->ctx->lg, NULL)) < 0 || busy >= town_cap))
		return rc < 0 ? rc : 1;
	return 0;
}

struct queue {
	struct sling *s;
	int on;
};

static int queue_fn(struct gt_txn *tx, void *p)
{
	struct queue *q = p;
	struct sling *s = q->s;
	struct gt_bead_spec spec;
	int rc, changed;

	gt_bead_spec_init(&spec);
	spec.metadata = cJSON_CreateObject();
	if (q->on) {
		cJSON *m = cJSON_AddObjectToObject(spec.metadata, "queued");

		gt_json_set_str(m, "rig", s->rig.name);
		gt_json_set_str(m, "at", gt_txn_now(tx));
		gt_json_set_str(m, "by", gt_txn_actor(tx));
		if (s->o->runtime)
			gt_json_set_str(m, "runtime", s->o->runtime);
		if (s->o->args)
			gt_json_set_str(m, "args", s->o->args);
		if (s->o->formula)
			gt_json_set_str(m, "formula", s->o->formula);
		if (s->o->no_formula)
			gt_json_set_bool(m, "no_formula", 1);
		gt_strlist_push(&spec.labels, "queued");
		gt_txn_summary(tx, "queue %s for %s (at capacity)", s->bead, s->rig.name);
	} else {
		cJSON_AddNullToObject(spec.metadata, "queued");
		gt_strlist_push(&spec.labels_rm, "queued");
		gt_txn_summary(tx, "unqueue %s", s->bead);
	}
	gt_txn_trailer(tx, "Gt-Bead", "%s", s->bead);
	rc = gt_op_update(tx, s->ctx, s->bead, &spec, &changed);
	gt_bead_spec_release(&spec);
	return rc;
}

/* Over capacity: the bead waits, in priority order, for the deacon to
 * sling it when a slot frees (gt_sling_dispatch()). */
static int queue_bead(cJSON **result, struct sling *s)
{
	struct queue q = { s, 1 };
	struct gt_txn_opts o = { .command = "gt-sling" };
	const char *was = gt_json_str(
		cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(s->work, "metadata"), "queued"),
		"rig");
	int rc = 0;

	/* already waiting for this rig: it keeps its place, nothing written */
	if (!was || strcmp(was, s->rig.name))
		rc = gt_ledger_transact(s->ctx->lg, &o, queue_fn, &q);
	if (rc < 0)
		return rc;
	*result = cJSON_CreateObject();
	gt_json_set_str(*result, "bead", s->bead);
	gt_json_set_str(*result, "agent", "");
	gt_json_set_str(*result, "rig", s->rig.name);
	gt_json_set_str(*result, "action", "queued");
	return 0;
}

static void unqueue_if_queued(struct sling *s)
{
	const cJSON *l;
	struct queue q = { s, 0 };
	struct gt_txn_opts o = { .command = "gt-sling" };

	cJSON_ArrayForEach (l, cJSON_GetObjectItemCaseSensitive(s->work, "labels"))
		if (cJSON_IsString(l) && !strcmp(l->valuestring, "queued")) {
			if (gt_ledger_refresh(s->ctx->lg) < 0 ||
			    gt_ledger_transact(s->ctx->lg, &o, queue_fn, &q) < 0)
				gt_error_clear(); /* the sling happened; a label stays */
			return;
		}
}

int gt_sling_dispatch(cJSON **slung, struct gt_ctx *ctx, const struct gt_town *t)
{
	struct gt_list_filter f;
	cJSON *queued = cJSON_CreateArray(), *it;
	int rc;

	*slung = cJSON_CreateArray();
	gt_list_filter_init(&f);
	gt_strlist_push(&f.labels, "queued");
	gt_strlist_push(&f.statuses, "open");
	rc = gt_list_beads(queued, ctx->lg, &f, NULL, NULL);
	gt_list_filter_release(&f);
	cJSON_ArrayForEach (it, queued) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(it, "metadata"), "queued");
		struct gt_sling_opts so = { 0 };
		cJSON *res = NULL, *e;
		int src;

		if (rc < 0 || !gt_json_str(m, "rig"))
			continue;
		so.target = gt_json_str(m, "rig");
		so.runtime = gt_json_str(m, "runtime");
		so.args = gt_json_str(m, "args");
		so.formula = gt_json_str(m, "formula");
		so.no_formula = gt_json_bool(m, "no_formula");
		if (gt_rig_paused(ctx, so.target, 0, NULL) || gt_ledger_refresh(ctx->lg) < 0) {
			gt_error_clear();
			continue;
		}
		src = gt_sling(&res, ctx, t, gt_bead_id(it), &so);
		if (src == 0 && !strcmp(gt_json_str(res, "action"), "queued")) {
			cJSON_Delete(res);
			continue; /* still no room: stays in the queue */
		}
		e = cJSON_CreateObject();
		gt_json_set_str(e, "bead", gt_bead_id(it));
		gt_json_set_str(e, "rig", so.target);
		if (src == 0) {
			gt_json_set_str(e, "agent", gt_json_str(res, "agent"));
		} else {
			gt_json_set_str(e, "error", gt_error_last());
			gt_error_clear();
		}
		cJSON_AddItemToArray(*slung, e);
		cJSON_Delete(res);
	}
	cJSON_Delete(queued);
	return rc;
}

/* No new work where an e-stop is in force or the rig is parked. */
static int refuse_paused(struct gt_ctx *ctx, const char *target)
{
	struct gt_buf why = GT_BUF_INIT;
	struct gt_address a;
	const char *rig = NULL;
	int rc = 0;

	if (!strchr(target, '/') && strcmp(target, "mayor") && strcmp(target, "deacon"))
		rig = target;
	else if (gt_address_parse(&a, target) == 0 && a.rig[0])
		rig = a.rig;
	gt_error_clear();
	if (gt_rig_paused(ctx, rig ? rig : "", !rig, &why)) {
		rc = gt_error_set(GT_ECONFLICT, "no new work: %s", why.ptr);
		gt_error_hint("gt-thaw lifts an e-stop, gt-rig-unpark a parked rig");
	}
	gt_buf_release(&why);
	return rc;
}

static int is_rig(const char *target)
{
	return !strchr(target, '/') && strcmp(target, "mayor") && strcmp(target, "deacon");
}

/* A sling up to its first write that allocates: the target (o->target,
 * else $GT_AGENT), the checks, for a rig the runtime, the capacity and
 * the formula, then the worker picked and its record written.  0: a
 * rig's worker is allocated and sling_provision() goes on; 1: done, with
 * *result (queued, a dry run's plan, a bead hooked on an agent). */
static int sling_begin(cJSON **result, struct sling *s)
{
	const struct gt_sling_opts *o = s->o;
	struct gt_ctx *ctx = s->ctx;
	const char *target = o->target;
	struct gt_address a;
	int rc;

	if ((rc = gt_id_check(s->bead)) < 0)
		return rc;
	if (!target) {
		const char *self = getenv("GT_AGENT");

		if (!self || !*self) {
			gt_error_set(GT_EUSAGE, "no target, and GT_AGENT is not set");
			gt_error_hint("name a rig or an agent address to sling to");
			return GT_EUSAGE;
		}
		target = self;
	}
	if (o->runtime && !s->runtime)
		s->runtime = gt_strdup(o->runtime);
	if ((rc = refuse_paused(ctx, target)) < 0 || (rc = conflict_start(s)) < 0)
		return rc;
	if (!is_rig(target)) {
		if ((rc = gt_address_parse(&a, target)) < 0 ||
		    (rc = sling_precheck(s, target)) < 0 ||
		    (rc = mol_prepare(s, a.rig[0] ? a.rig : NULL)) < 0 ||
		    (rc = sling_agent(result, s, target)) < 0)
			return rc;
		return 1;
	}
	if ((rc = gt_rig_load(&s->rig, ctx, s->t, target)) < 0)
		return rc;
	if (!s->runtime) {
		/* rig.agent is a fallback chain: the first runtime not in a
		 * rate-limit window */
		char *spec = gt_rig_setting(ctx, s->rig.name, "agent", "claude");
		struct gt_strlist chain = { 0 };

		gt_runtime_chain(&chain, spec);
		s->runtime = gt_strdup(chain.n ? gt_runtime_pick(ctx->lg->repo, &chain) : "claude");
		gt_strlist_release_owned(&chain);
		free(spec);
	}
	s->strategy = gt_rig_setting(ctx, s->rig.name, "workspace", "worktree");
	if ((rc = sling_precheck(s, NULL)) < 0)
		return rc;
	if (!o->dry_run && (rc = at_capacity(s)) != 0) {
		if (rc > 0 && (rc = queue_bead(result, s)) == 0)
			rc = 1;
		return rc;
	}
	if ((rc = mol_prepare(s, s->rig.name)) < 0)
		return rc;
	return sling_alloc(result, s);
}

/* One whole sling, in this process. */
static int sling_one(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t, const char *bead,
		     const struct gt_sling_opts *o, struct batch *b)
{
	struct sling s = { .batch = b, .ctx = ctx, .t = t, .o = o, .bead = bead };
	int rc;

	*result = NULL;
	if ((rc = sling_begin(result, &s)) == 0 && (rc = sling_provision(result, &s)) == 0)
		unqueue_if_queued(&s);
	sling_release(&s);
	if (rc < 0) {
		cJSON_Delete(*result);
		*result = NULL;
	}
	return rc < 0 ? rc : 0;
}

int gt_sling(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t, const char *bead,
	     const struct gt_sling_opts *o)
{
	return sling_one(result, ctx, t, bead, o, NULL);
}

/* ---- batches ---- */

/* A bead's result when its sling failed (the error is the current one). */
static cJSON *error_result(const char *bead, int rc)
{
	cJSON *r = cJSON_CreateObject();

	gt_json_set_str(r, "bead", bead);
	gt_json_set_str(r, "action", "error");
	gt_json_set_str(r, "agent", "");
	gt_json_set_str(r, "error", *gt_error_last() ? gt_error_last() : "failed");
	if (*gt_error_last_hint())
		gt_json_set_str(r, "hint", gt_error_last_hint());
	gt_json_set_int(r, "exit", gt_error_exit_code(rc));
	return r;
}

struct worker {
	pid_t pid;
	int fd;
	size_t i;	  /* the bead's place in the batch */
	int started;	  /* its session runs: it holds no slot */
	struct gt_buf in; /* what it said so far */
	struct sling *s;  /* as allocated, for an undo if it dies */
};

struct pool {
	struct worker *w;
	size_t n, busy;
	cJSON **results;
	int *codes;
};

static void sling_free(struct sling *s)
{
	if (s) {
		sling_release(s);
		free(s);
	}
}

/* In the worker process: provision s and answer on fd.  Never returns. */
static _Noreturn void worker_main(struct sling *s, int fd)
{
	/* the process's own for the rest of its life: its ledger handle, the
	 * configuration already read */
	static struct gt_ctx own;
	static struct batch b;
	cJSON *res = NULL, *msg = cJSON_CreateObject();
	struct gt_buf out = GT_BUF_INIT;
	int rc;

	own = *s->ctx;
	b = *s->batch;
	b.notify = fd;
	s->batch = &b;
	own.lg = NULL;
	rc = gt_ledger_open(&own.lg, s->ctx->lg->repo->common_dir, s->ctx->lg->actor_opt);
	if (rc == 0) {
		s->ctx = &own;
		if ((rc = sling_provision(&res, s)) == 0)
			unqueue_if_queued(s);
	}
	gt_json_set_int(msg, "rc", rc);
	if (rc == 0) {
		cJSON_AddItemToObject(msg, "result", res);
	} else {
		gt_json_set_str(msg, "error", gt_error_last());
		gt_json_set_str(msg, "hint", gt_error_last_hint());
	}
	gt_json_write(&out, msg);
	for (size_t off = 0; off < out.len;) {
		ssize_t w = write(fd, out.ptr + off, out.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	_exit(0);
}

/* Start a worker for s (allocated); it owns s from here. */
static int worker_start(struct pool *p, struct sling *s, size_t i)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0)
		return gt_error_errno(GT_EFAIL, "cannot start a worker for '%s'", s->bead);
	/* no program a worker starts (git, tmux, the agent) keeps its pipe */
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	fflush(NULL);
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return gt_error_errno(GT_EFAIL, "cannot start a worker for '%s'", s->bead);
	}
	if (pid == 0) {
		close(fds[0]);
		worker_main(s, fds[1]);
	}
	close(fds[1]);
	p->w = gt_realloc(p->w, (p->n + 1) * sizeof(*p->w));
	p->w[p->n] = (struct worker){ pid, fds[0], i, 0, GT_BUF_INIT, s };
	p->n++;
	p->busy++;
	return 0;
}

/* The molecule id in bead's metadata, or NULL. */
static const char *molecule_of(const cJSON *bead)
{
	return gt_json_str(cJSON_GetObjectItemCaseSensitive(bead, "metadata"), "molecule");
}

/* A worker ended without an answer (it crashed or was killed): undo what
 * it may have done, from what this process knows of the allocation and
 * what the ledger says now (a molecule the bead did not have before). */
static int worker_lost(struct sling *s, int status)
{
	const char *st = gt_bead_status(s->work), *as = gt_json_str(s->work, "assignee");
	struct gt_error_saved e;
	cJSON *now = NULL;
	int rc;

	if (WIFSIGNALED(status))
		rc = gt_error_set(GT_EFAIL, "the worker slinging '%s' died (signal %d)", s->bead,
				  WTERMSIG(status));
	else
		rc = gt_error_set(GT_EFAIL, "the worker slinging '%s' exited without a word",
				  s->bead);
	gt_error_save(&e);
	if (s->spawned) {
		gt_session_kill(s->t->socket, s->session.ptr);
		remove_workspace(s);
	}
	s->hook.changed = 1;
	snprintf(s->hook.prev_status, sizeof(s->hook.prev_status), "%s", st);
	snprintf(s->hook.prev_assignee, sizeof(s->hook.prev_assignee), "%s", as ? as : "");
	if (gt_ledger_refresh(s->ctx->lg) == 0 &&
	    gt_ledger_read_bead(&now, s->ctx->lg, NULL, s->bead) == 0 && molecule_of(now) &&
	    !molecule_of(s->work)) {
		gt_buf_reset(&s->mol);
		gt_buf_adds(&s->mol, molecule_of(now));
		s->poured = 1;
	}
	cJSON_Delete(now);
	txn(s->ctx, rollback_fn, s);
	gt_error_restore(&e);
	return rc;
}

/* Worker k said all it will: its answer becomes its bead's result. */
static void worker_end(struct pool *p, size_t k)
{
	struct worker *w = &p->w[k];
	const char *text = gt_buf_cstr(&w->in);
	cJSON *msg = NULL, *res;
	int status = 0, rc = GT_EFAIL;
	int64_t code;

	close(w->fd);
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (*text == 'S')
		text++;
	if (!*text || gt_json_parse(&msg, text, strlen(text), "worker", 1) < 0 ||
	    gt_json_int(msg, "rc", &code) < 0) {
		gt_error_clear();
		rc = worker_lost(w->s, status);
		p->results[w->i] = error_result(w->s->bead, rc);
	} else if ((rc = (int)code) == 0) {
		res = cJSON_DetachItemFromObject(msg, "result");
		p->results[w->i] = res ? res : cJSON_CreateObject();
	} else {
		gt_error_set(rc, "%s", gt_json_str(msg, "error") ? gt_json_str(msg, "error") : "");
		if (gt_json_str(msg, "hint") && *gt_json_str(msg, "hint"))
			gt_error_hint("%s", gt_json_str(msg, "hint"));
		p->results[w->i] = error_result(w->s->bead, rc);
	}
	p->codes[w->i] = rc;
	gt_error_clear();
	cJSON_Delete(msg);
	if (!w->started)
		p->busy--;
	gt_buf_release(&w->in);
	sling_free(w->s);
	p->w[k] = p->w[--p->n];
}

/* Hear from the workers: wait for one to say something when block, else
 * take what is there. */
static void pool_poll(struct pool *p, int block)
{
	struct pollfd *pf;
	size_t n = p->n;

	if (!n)
		return;
	pf = gt_calloc(n, sizeof(*pf));
	for (size_t k = 0; k < n; k++) {
		pf[k].fd = p->w[k].fd;
		pf[k].events = POLLIN;
	}
	if (poll(pf, (nfds_t)n, block ? -1 : 0) > 0) {
		/* from the last, as worker_end() moves the last into place */
		for (size_t k = n; k-- > 0;) {
			struct worker *w = &p->w[k];
			char buf[4096];
			ssize_t r;

			if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(w->fd, buf, sizeof(buf));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r > 0) {
				gt_buf_add(&w->in, buf, (size_t)r);
				if (!w->started && w->in.ptr[0] == 'S') {
					w->started = 1;
					p->busy--;
				}
				continue;
			}
			worker_end(p, k);
		}
	}
	free(pf);
}

/* The number of workers: jobs, else sling.jobs, else two per processor
 * (a worker waits on git, tmux and the ledger's lock as much as it
 * computes), from 2 to GT_SLING_JOBS_MAX. */
static long batch_jobs(struct gt_ctx *ctx, long jobs)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (jobs <= 0 && gt_ctx_config(ctx) == 0)
		jobs = gt_config_get_long(ctx->cfg, "sling.jobs", 0);
	gt_error_clear();
	if (jobs > 0)
		return jobs;
	n = n > 0 ? 2 * n : 2;
	return n < 2 ? 2 : n > GT_SLING_JOBS_MAX ? GT_SLING_JOBS_MAX : n;
}

int gt_sling_batch(cJSON **results, struct gt_ctx *ctx, const struct gt_town *t,
		   const char *const *beads, size_t n, const struct gt_sling_opts *o, long jobs)
{
	struct batch b = { .notify = -1 };
	struct pool p = { 0 };
	int *codes = gt_calloc(n ? n : 1, sizeof(*codes)), rc = 0;
	size_t first = n;
	int parallel;

	jobs = batch_jobs(ctx, jobs);
	parallel = n > 1 && jobs > 1 && !o->dry_run && o->target && is_rig(o->target);
	p.results = results;
	p.codes = codes;
	for (size_t i = 0; i < n; i++) {
		struct sling *s;
		int r;

		results[i] = NULL;
		/* the slings before are seen: names, reuse and caps as in a
		 * serial run */
		if ((r = gt_ledger_refresh(ctx->lg)) < 0) {
			results[i] = error_result(beads[i], r);
			codes[i] = r;
			continue;
		}
		if (!parallel) {
			if ((r = sling_one(&results[i], ctx, t, beads[i], o, &b)) < 0) {
				results[i] = error_result(beads[i], r);
				codes[i] = r;
			}
			gt_error_clear();
			gt_progress_tell(o->progress, i + 1, n);
			continue;
		}
		while (p.busy >= (size_t)jobs)
			pool_poll(&p, 1);
		pool_poll(&p, 0);
		/* the slings begun and not still running have ended */
		gt_progress_tell(o->progress, i - p.n, n);
		s = gt_calloc(1, sizeof(*s));
		*s = (struct sling){ .batch = &b, .ctx = ctx, .t = t, .o = o, .bead = beads[i] };
		if ((r = sling_begin(&results[i], s)) == 0) {
			/* one fetch for the batch; when it fails, each worker
			 * tries again and says why */
			if (!b.fetched && strcmp(s->strategy, "directory") &&
			    batch_fetch(&b, s) < 0)
				gt_error_clear();
			if ((r = worker_start(&p, s, i)) == 0)
				continue;
			{
				struct gt_error_saved e;

				gt_error_save(&e);
				txn(ctx, rollback_fn, s);
				gt_error_restore(&e);
			}
		}
		if (r < 0) {
			cJSON_Delete(results[i]);
			results[i] = error_result(beads[i], r);
			codes[i] = r;
		}
		gt_error_clear();
		sling_free(s);
	}
	while (p.n) {
		pool_poll(&p, 1);
		gt_progress_tell(o->progress, n - p.n, n);
	}
	free(p.w);
	free(b.base);
	gt_strlist_release_owned(&b.branches);
	if (gt_ledger_refresh(ctx->lg) < 0)
		gt_error_clear(); /* the next read says it again */
	for (size_t i = 0; i < n && first == n; i++)
		if (codes[i] < 0)
			first = i;
	if (first < n) {
		rc = codes[first];
		gt_error_set(rc, "%s", gt_json_str(results[first], "error"));
		if (gt_json_str(results[first], "hint"))
			gt_error_hint("%s", gt_json_str(results[first], "hint"));
	}
	free(codes);
	return rc;
}
