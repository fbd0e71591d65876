/*
 * ledger.c - opening the ledger, reading records, and transactions.
 *
 * Design notes (see also ledger.h and DESIGN.md "Transactions"):
 *  - All objects a transaction writes are collected in memory (objbuf.c) and
 *    only reach the disk after the apply function succeeded; a lost race
 *    re-runs from scratch and leaves nothing behind.
 *  - Trees are rebuilt only along the changed paths: the touched shard
 *    trees, beads/, and the root.  ~390 entries per shard at 100k beads.
 *  - The ref update is git_reference_create_matching(force=1, old tip), or
 *    the all-zero id for "must not exist", which is atomic in libgit2 1.5.1
 *    (force=0 is not).
 */
#include "store/ledger.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/lock.h"
#include "base/map.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/commitq.h"
#include "store/id.h"
#include "store/maint.h"
#include "store/objbuf.h"
#include "store/repo.h"
#include "store/shard.h"
#include "store/tree.h"
#include "base/banned.h"

#define MAX_ATTEMPTS	    20
#define BULK_PACK_THRESHOLD 64

struct staged {
	char *path;
	char *id;	    /* beads only */
	cJSON *obj;	    /* beads only, owned */
	struct gt_buf data; /* other files */
	int dirty;
	int removed;
	unsigned mode; /* gt_txn_entry_put(): the object oid, written already */
	git_oid oid;
	struct staged *next_in_dir; /* staged order within its directory */
};

/* The entries staged in one directory, for listing it. */
struct dirlist {
	char *dir;
	struct staged *head, **tail;
};

struct gt_txn {
	struct gt_ledger *lg;
	const struct gt_txn_opts *opts;
	git_tree *base;
	int attempt;
	char now[40];
	int64_t now_ns;
	struct gt_map by_path, by_dir;
	struct staged **list;
	size_t n, alloc;
	struct gt_buf summary, trailers, path;
	size_t nsummaries, ntrailers;
	int tracking;	     /* computing unlocked: note what is read */
	struct gt_map reads; /* paths read from the base (values unused) */
};

static int base_has(struct gt_txn *tx, const char *path);

static void txn_note_read(struct gt_txn *tx, const char *path)
{
	if (tx && tx->tracking && !gt_map_get(&tx->reads, path)) {
		char *k = gt_strdup(path);

		gt_map_put(&tx->reads, k, k);
	}
}

void gt_ledger_note_read(struct gt_ledger *lg, const char *path)
{
	txn_note_read(lg->reading, path);
}

/* a read of the tip through lg, not through the transaction */
static void note_tip_read(struct gt_ledger *lg, const git_tree *tree, const char *path)
{
	if (lg->reading && (!tree || tree == lg->tree))
		txn_note_read(lg->reading, path);
}

static void clear_tip(struct gt_ledger *lg)
{
	git_tree_free(lg->tree);
	git_commit_free(lg->commit);
	lg->tree = NULL;
	lg->commit = NULL;
	lg->has_tip = 0;
	memset(&lg->tip, 0, sizeof(lg->tip));
}

/* The tip's commit and tree, for the commit id read from the ref. */
static int load_tip(struct gt_ledger *lg, const git_oid *id)
{
	if (lg->has_tip && !git_oid_cmp(id, &lg->tip))
		return 0;
	clear_tip(lg);
	/* libgit2 lists the pack directory again once when an object is not
	 * found; a roll-up of small packs (maint.c) that renamed its pack in
	 * and removed the ones it rolled between that listing and the read
	 * hides the object from it: list again, at most twice more */
	for (int tries = 0;; tries++) {
		git_odb *odb = NULL;

		if (git_commit_lookup(&lg->commit, lg->git, id) == 0 &&
		    git_commit_tree(&lg->tree, lg->commit) == 0)
			break;
		clear_tip(lg);
		if (tries == 2 || git_repository_odb(&odb, lg->git) < 0 ||
		    git_odb_refresh(odb) < 0) {
			git_odb_free(odb);
			return gt_error_git(GT_EFAIL, "cannot read the ledger commit %s",
					    git_oid_tostr_s(id));
		}
		git_odb_free(odb);
	}
	git_oid_cpy(&lg->tip, id);
	lg->has_tip = 1;
	return 0;
}

/* The ref: 0 with *id, 1 when there is none, or GT_E*. */
static int read_ref(struct gt_ledger *lg, git_oid *id)
{
	int rc = git_reference_name_to_id(id, lg->git, lg->ref);

	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 1;
	}
	return rc < 0 ? gt_error_git(GT_EFAIL, "cannot read %s", lg->ref) : 0;
}

int gt_ledger_refresh(struct gt_ledger *lg)
{
	git_oid id;
	int rc = read_ref(lg, &id);

	if (rc == 1)
		clear_tip(lg);
	return rc ? (rc < 0 ? rc : 0) : load_tip(lg, &id);
}

int gt_ledger_open_repo(struct gt_ledger **out, struct gt_repo *repo, const char *actor)
{
	struct gt_ledger *lg = gt_calloc(1, sizeof(*lg));
	git_oid tip;
	int rc;

	lg->repo = repo;
	lg->git = repo->git;
	lg->ref = GT_LEDGER_REF;
	lg->actor_opt = actor && *actor ? gt_strdup(actor) : NULL;
	/* the ref before the object database: opening that lists the packs,
	 * which then hold the tip's (its pack is in place before the ref
	 * moves), where the other order would list them twice whenever a
	 * commit came in between */
	rc = read_ref(lg, &tip);
	if (rc >= 0) {
		int none = rc == 1;

		rc = gt_objbuf_attach(&lg->objbuf, lg->git);
		if (!rc && !none)
			rc = load_tip(lg, &tip);
	}
	if (rc < 0) {
		lg->repo = NULL;
		gt_ledger_free(lg);
		*out = NULL;
		return rc;
	}
	*out = lg;
	return 0;
}

int gt_ledger_open_wisps(struct gt_ledger **out, struct gt_ledger *lg)
{
	struct gt_ledger *w = gt_calloc(1, sizeof(*w));
	int rc;

	w->repo = lg->repo;
	w->git = lg->git;
	w->ref = GT_WISPS_REF;
	w->squash = 1;
	w->actor_opt = lg->actor_opt ? gt_strdup(lg->actor_opt) : NULL;
	w->objbuf = lg->objbuf; /* transactions of the two never nest */
	rc = gt_ledger_refresh(w);
	if (rc < 0) {
		gt_ledger_free(w);
		*out = NULL;
		return rc;
	}
	*out = w;
	return 0;
}

int gt_ledger_open(struct gt_ledger **out, const char *gt_dir, const char *actor)
{
	struct gt_repo *repo;
	int rc;

	*out = NULL;
	rc = gt_repo_open(&repo, gt_dir);
	if (rc < 0)
		return rc;
	rc = gt_ledger_open_repo(out, repo, actor);
	if (rc < 0) {
		gt_repo_free(repo);
		return rc;
	}
	if (!(*out)->has_tip) {
		gt_error_set(GT_ENOTFOUND, "no ledger in '%s'",
			     repo->workdir ? repo->workdir : repo->common_dir);
		gt_error_hint("run gt-init there first, or point GT_DIR at a ledger");
		gt_ledger_free(*out);
		*out = NULL;
		return GT_ENOTFOUND;
	}
	return 0;
}

void gt_ledger_free(struct gt_ledger *lg)
{
	if (!lg)
		return;
	clear_tip(lg);
	if (!lg->squash)
		gt_repo_free(lg->repo);
	free(lg->actor_opt);
	free(lg->actor);
	free(lg->email);
	for (size_t i = 0; i < lg->nbad; i++)
		free(lg->bad[i]);
	free(lg->bad);
	free(lg);
}

void gt_ledger_note_bad(struct gt_ledger *lg, const char *msg)
{
	for (size_t i = 0; i < lg->nbad; i++)
		if (!strcmp(lg->bad[i], msg))
			return;
	lg->bad = gt_realloc(lg->bad, (lg->nbad + 1) * sizeof(*lg->bad));
	lg->bad[lg->nbad++] = gt_strdup(msg);
}

static char *git_identity(git_repository *git, const char *key)
{
	git_config *cfg = NULL;
	git_buf val = { 0 };
	char *res = NULL;

	if (git_repository_config_snapshot(&cfg, git) < 0)
		return NULL;
	if (git_config_get_string_buf(&val, cfg, key) == 0 && val.size)
		res = gt_strdup(val.ptr);
	git_buf_dispose(&val);
	git_config_free(cfg);
	return res;
}

void gt_ledger_set_actor(struct gt_ledger *lg, const char *actor)
{
	free(lg->actor_opt);
	free(lg->actor);
	free(lg->email);
	lg->actor_opt = gt_strdup(actor);
	lg->actor = lg->email = NULL;
}

static void resolve_actor(struct gt_ledger *lg)
{
	const char *env;
	int from_git = 0;

	if (lg->actor)
		return;
	if (lg->actor_opt)
		lg->actor = gt_strdup(lg->actor_opt);
	else if ((env = getenv("GT_AGENT")) && *env)
		lg->actor = gt_strdup(env);
	else if ((env = getenv("GIT_AUTHOR_NAME")) && *env) { /* git's own order */
		lg->actor = gt_strdup(env);
		from_git = 1;
	} else if ((lg->actor = git_identity(lg->git, "user.name"))) {
		from_git = 1;
	} else if ((env = getenv("USER")) && *env)
		lg->actor = gt_strdup(env);
	else
		lg->actor = gt_strdup("unknown");

	if ((env = getenv("GIT_AUTHOR_EMAIL")) && *env)
		lg->email = gt_strdup(env);
	else if (from_git || !lg->actor_opt)
		lg->email = git_identity(lg->git, "user.email");
	if (!lg->email && (env = getenv("EMAIL")) && *env && (from_git || !lg->actor_opt))
		lg->email = gt_strdup(env);
	if (!lg->email) {
		struct gt_buf b = GT_BUF_INIT;

		for (const char *p = lg->actor; *p; p++) {
			unsigned char c = (unsigned char)*p;

			gt_buf_addch(&b, (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
							 (c >= '0' && c <= '9') || c == '-' ||
							 c == '_'
						 ? c
						 : '.');
		}
		gt_buf_adds(&b, "@gt.invalid");
		lg->email = gt_buf_detach(&b);
	}
}

const char *gt_ledger_actor(struct gt_ledger *lg)
{
	resolve_actor(lg);
	return lg->actor;
}

const char *gt_ledger_actor_email(struct gt_ledger *lg)
{
	resolve_actor(lg);
	return lg->email;
}

int gt_ledger_read_file(struct gt_buf *out, git_oid *blob_id, struct gt_ledger *lg, git_tree *tree,
			const char *path)
{
	git_tree_entry *e;
	git_blob *blob;
	int rc;

	note_tip_read(lg, tree, path);
	if (!tree)
		tree = lg->tree;
	if (!tree)
		return gt_error_set(GT_ENOTFOUND, "'%s' not found", path);
	rc = gt_shard_entry_bypath(&e, tree, path);
	if (rc == GIT_ENOTFOUND)
		return gt_error_set(GT_ENOTFOUND, "'%s' not found", path);
	if (rc < 0)
		return gt_error_git(GT_EFAIL, "cannot read '%s'", path);
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		git_tree_entry_free(e);
		return gt_error_set(GT_ENOTFOUND, "'%s' is not a file", path);
	}
	if (blob_id)
		git_oid_cpy(blob_id, git_tree_entry_id(e));
	rc = git_blob_lookup(&blob, lg->git, git_tree_entry_id(e));
	git_tree_entry_free(e);
	if (rc < 0)
		return gt_error_git(GT_EFAIL, "cannot read '%s'", path);
	gt_buf_reset(out);
	gt_buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return 0;
}

int gt_ledger_bead_entry(git_oid *blob, struct gt_ledger *lg, git_tree *tree, const char *id)
{
	struct gt_buf path = GT_BUF_INIT;
	git_tree_entry *e = NULL;
	int rc;

	if (gt_id_check(id) < 0)
		return GT_EINVALID;
	gt_bead_path(&path, id);
	note_tip_read(lg, tree, path.ptr);
	if (!tree)
		tree = lg->tree;
	if (!tree) {
		gt_buf_release(&path);
		return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);
	}
	rc = gt_shard_entry_bypath(&e, tree, path.ptr);
	if (rc == GIT_ENOTFOUND || (!rc && git_tree_entry_type(e) != GIT_OBJECT_BLOB))
		rc = gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);
	else if (rc < 0)
		rc = gt_error_git(GT_EFAIL, "cannot read '%s'", path.ptr);
	else
		git_oid_cpy(blob, git_tree_entry_id(e));
	git_tree_entry_free(e);
	gt_buf_release(&path);
	return rc;
}

int gt_ledger_read_bead(cJSON **out, struct gt_ledger *lg, git_tree *tree, const char *id)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	int rc;

	*out = NULL;
	if (gt_id_check(id) < 0)
		return GT_EINVALID;
	gt_bead_path(&path, id);
	rc = gt_ledger_read_file(&data, NULL, lg, tree, path.ptr);
	if (rc == GT_ENOTFOUND)
		rc = gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);
	else if (!rc)
		rc = gt_json_parse(out, data.ptr, data.len, path.ptr, 1);
	gt_buf_release(&path);
	gt_buf_release(&data);
	return rc;
}

int gt_ledger_read_bead_blob(cJSON **out, struct gt_ledger *lg, const git_oid *blob, const char *id)
{
	git_blob *b;

	*out = NULL;
	if (blob && git_blob_lookup(&b, lg->git, blob) == 0) {
		*out = cJSON_ParseWithLength(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
		git_blob_free(b);
		if (*out && gt_json_str(*out, "id") && !strcmp(gt_json_str(*out, "id"), id))
			return 0;
		cJSON_Delete(*out);
		*out = NULL;
	}
	git_error_clear();
	return gt_ledger_read_bead(out, lg, NULL, id);
}

int gt_record_parse(cJSON **out, const struct gt_buf *data, const char *path)
{
	int rc = gt_json_parse(out, data->ptr, data->len, path, 1);

	if (rc == 0 && !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		rc = gt_error_set(GT_EINVALID, "%s: not a JSON object", path);
	}
	return rc;
}

struct records {
	struct gt_ledger *lg;
	cJSON *arr;
	const char *dir, *under;
	int rc;
};

static int records_cb(const char *root, const git_tree_entry *e, void *p)
{
	struct records *w = p;
	const char *name = git_tree_entry_name(e);
	size_t n = strlen(name), u = w->under ? strlen(w->under) : 0;
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	cJSON *rec = NULL;
	git_blob *blob = NULL;

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || n < 6 || strcmp(name + n - 5, ".json"))
		return 0;
	if (w->under && (strncmp(root, w->under, u) || root[u] != '/'))
		return 0;
	gt_buf_printf(&path, "%s/%s%s", w->dir, root, name);
	if (git_blob_lookup(&blob, w->lg->git, git_tree_entry_id(e)) < 0) {
		w->rc = gt_error_git(GT_EFAIL, "cannot read '%s'", path.ptr);
	} else {
		gt_buf_add(&data, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		w->rc = gt_record_parse(&rec, &data, path.ptr);
		if (w->rc == 0)
			cJSON_AddItemToArray(w->arr, rec);
	}
	git_blob_free(blob);
	gt_buf_release(&path);
	gt_buf_release(&data);
	return w->rc < 0 ? -1 : 0;
}

int gt_ledger_read_records(cJSON **out, struct gt_ledger *lg, const char *dir, const char *under)
{
	struct records w = { lg, cJSON_CreateArray(), dir, under, 0 };
	git_tree_entry *entry = NULL;
	git_tree *sub = NULL;

	*out = w.arr;
	if (lg->reading) {
		struct gt_buf p = GT_BUF_INIT;

		gt_buf_adds(&p, dir);
		if (under && *under)
			gt_buf_printf(&p, "/%s", under);
		while (p.len && p.ptr[p.len - 1] == '/')
			p.ptr[--p.len] = '\0';
		txn_note_read(lg->reading, p.ptr);
		gt_buf_release(&p);
	}
	if (!lg->tree || git_tree_entry_bypath(&entry, lg->tree, dir) < 0) {
		gt_error_clear();
		return 0;
	}
	if (git_tree_lookup(&sub, lg->git, git_tree_entry_id(entry)) < 0) {
		git_tree_entry_free(entry);
		return gt_error_git(GT_EFAIL, "cannot read '%s'", dir);
	}
	git_tree_walk(sub, GIT_TREEWALK_PRE, records_cb, &w);
	git_tree_free(sub);
	git_tree_entry_free(entry);
	return w.rc;
}

/* ---- transactions ---- */

git_tree *gt_txn_base(struct gt_txn *tx)
{
	txn_note_read(tx, ""); /* anything may be read from it */
	return tx->base;
}

int gt_txn_attempt(const struct gt_txn *tx)
{
	return tx->attempt;
}

struct gt_ledger *gt_txn_ledger(struct gt_txn *tx)
{
	return tx->lg;
}

const char *gt_txn_actor(const struct gt_txn *tx)
{
	return gt_ledger_actor(tx->lg);
}

const char *gt_txn_now(const struct gt_txn *tx)
{
	return tx->now;
}

int64_t gt_txn_now_ns(const struct gt_txn *tx)
{
	return tx->now_ns;
}

struct list_base {
	struct gt_txn *tx;
	const char *dir;
	const struct dirlist *d;
	int (*cb)(const char *name, void *payload);
	void *payload;
};

/* a file of the base: skipped when the transaction removed it */
static int list_base_cb(const char *name, void *p)
{
	struct list_base *lb = p;
	struct staged *s = NULL;

	if (lb->d) { /* only then can an entry here be staged as removed */
		gt_buf_reset(&lb->tx->path);
		gt_buf_printf(&lb->tx->path, "%s/%s", lb->dir, name);
		s = gt_map_get(&lb->tx->by_path, lb->tx->path.ptr);
	}
	return s && s->removed ? 0 : lb->cb(name, lb->payload);
}

int gt_txn_list_dir(struct gt_txn *tx, const char *dir, int (*cb)(const char *name, void *payload),
		    void *payload)
{
	size_t dl = strlen(dir);
	const struct dirlist *d = dl ? gt_map_get(&tx->by_dir, dir) : NULL;
	struct list_base lb = { tx, dir, d, cb, payload };
	/* a shard: split ones list the files of their subtrees (shard.h) */
	int shard = !strncmp(dir, "beads/", 6) && !strchr(dir + 6, '/');
	git_tree_entry *e = NULL;
	git_tree *sub = NULL;
	int rc = 0;

	txn_note_read(tx, dir);
	if (tx->base && git_tree_entry_bypath(&e, tx->base, dir) == 0 &&
	    git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&sub, tx->lg->git, git_tree_entry_id(e)) == 0) {
		if (shard)
			rc = gt_shard_each(tx->lg->git, sub, list_base_cb, &lb);
		else
			for (size_t i = 0; i < git_tree_entrycount(sub) && !rc; i++)
				rc = list_base_cb(
					git_tree_entry_name(git_tree_entry_byindex(sub, i)), &lb);
	}
	git_error_clear();
	/* then what the transaction added: staged here, not in the base */
	for (const struct staged *s = d ? d->head : NULL; s && !rc; s = s->next_in_dir) {
		const char *name = s->path + dl + 1;

		if (s->removed ||
		    (sub && (shard ? gt_shard_has(sub, name) : !!git_tree_entry_byname(sub, name))))
			continue;
		rc = cb(name, payload);
	}
	git_tree_free(sub);
	git_tree_entry_free(e);
	return rc;
}

static struct staged *stage(struct gt_txn *tx, const char *path)
{
	struct staged *s = gt_map_get(&tx->by_path, path);

	if (s)
		return s;
	s = gt_calloc(1, sizeof(*s));
	s->path = gt_strdup(path);
	gt_map_put(&tx->by_path, s->path, s);
	GT_ALLOC_GROW(tx->list, tx->n + 1, tx->alloc);
	tx->list[tx->n++] = s;
	{
		const char *slash = strrchr(path, '/');
		size_t dl = slash ? (size_t)(slash - path) : 0;
		struct dirlist *d = gt_map_getn(&tx->by_dir, path, dl);

		if (!d) {
			d = gt_calloc(1, sizeof(*d));
			d->dir = gt_strndup(path, dl);
			d->tail = &d->head;
			gt_map_put(&tx->by_dir, d->dir, d);
		}
		*d->tail = s;
		d->tail = &s->next_in_dir;
	}
	return s;
}

static void txn_reset(struct gt_txn *tx)
{
	for (size_t i = 0; i < tx->n; i++) {
		struct staged *s = tx->list[i];

		free(s->path);
		free(s->id);
		cJSON_Delete(s->obj);
		gt_buf_release(&s->data);
		free(s);
	}
	tx->n = 0;
	gt_map_release(&tx->by_path);
	{
		struct gt_map_entry *me;

		for (size_t i = 0; gt_map_next(&tx->by_dir, &i, &me);) {
			struct dirlist *d = me->value;

			free(d->dir);
			free(d);
		}
		gt_map_release(&tx->by_dir);
	}
	gt_buf_reset(&tx->summary);
	gt_buf_reset(&tx->trailers);
	tx->nsummaries = tx->ntrailers = 0;
	{
		struct gt_map_entry *me;

		for (size_t i = 0; gt_map_next(&tx->reads, &i, &me);)
			free(me->value);
		gt_map_release(&tx->reads);
	}
}

static int base_has(struct gt_txn *tx, const char *path)
{
	git_tree_entry *e;

	if (!tx->base || gt_shard_entry_bypath(&e, tx->base, path) < 0) {
		git_error_clear();
		return 0;
	}
	git_tree_entry_free(e);
	return 1;
}

int gt_txn_bead_get(struct gt_txn *tx, const char *id, cJSON **out)
{
	struct staged *s;
	cJSON *obj;
	int rc;

	*out = NULL;
	if (gt_id_check(id) < 0)
		return GT_EINVALID;
	gt_bead_path(&tx->path, id);
	s = gt_map_get(&tx->by_path, tx->path.ptr);
	if (s && !s->removed && !s->obj) {
		/* staged as bytes (by import): parse it into an object */
		rc = gt_json_parse(&s->obj, gt_buf_cstr(&s->data), s->data.len, s->path, 1);
		if (rc < 0)
			return rc;
		if (!s->id)
			s->id = gt_strdup(id);
		gt_buf_release(&s->data);
	}
	if (s) {
		if (s->removed || !s->obj)
			return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);
		*out = s->obj;
		return 0;
	}
	txn_note_read(tx, tx->path.ptr);
	rc = gt_ledger_read_bead(&obj, tx->lg, tx->base, id);
	if (!tx->base && !rc) /* empty ledger: nothing can exist */
		rc = GT_ENOTFOUND;
	if (rc < 0)
		return rc;
	s = stage(tx, tx->path.ptr); /* tx->path still holds the bead's path */
	s->id = gt_strdup(id);
	s->obj = obj;
	*out = obj;
	return 0;
}

int gt_txn_bead_exists(struct gt_txn *tx, const char *id)
{
	struct staged *s;

	gt_bead_path(&tx->path, id);
	s = gt_map_get(&tx->by_path, tx->path.ptr);
	if (s)
		return !s->removed && s->obj;
	txn_note_read(tx, tx->path.ptr);
	return base_has(tx, tx->path.ptr);
}

static int put_obj(struct gt_txn *tx, cJSON *obj, int must_be_new)
{
	const char *id = gt_json_str(obj, "id");
	struct staged *s;

	if (!id) {
		cJSON_Delete(obj);
		return gt_error_set(GT_EINVALID, "bead has no id");
	}
	if (gt_id_check(id) < 0) {
		cJSON_Delete(obj);
		return GT_EINVALID;
	}
	if (must_be_new && gt_txn_bead_exists(tx, id)) {
		int rc = gt_error_set(GT_ECONFLICT, "bead '%s' already exists", id);

		cJSON_Delete(obj);
		return rc;
	}
	gt_bead_path(&tx->path, id);
	s = stage(tx, tx->path.ptr);
	if (s->obj != obj)
		cJSON_Delete(s->obj);
	if (!s->id)
		s->id = gt_strdup(id);
	s->obj = obj;
	s->removed = 0;
	s->dirty = 1;
	return 0;
}

int gt_txn_bead_add(struct gt_txn *tx, cJSON *obj)
{
	return put_obj(tx, obj, 1);
}

int gt_txn_bead_set(struct gt_txn *tx, cJSON *obj)
{
	return put_obj(tx, obj, 0);
}

int gt_txn_bead_put(struct gt_txn *tx, const char *id)
{
	struct staged *s;

	gt_bead_path(&tx->path, id);
	s = gt_map_get(&tx->by_path, tx->path.ptr);
	if (!s || !s->obj)
		return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);
	s->dirty = 1;
	return 0;
}

int gt_txn_bead_purge(struct gt_txn *tx, const char *id)
{
	struct staged *s;

	if (!gt_txn_bead_exists(tx, id))
		return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);
	gt_bead_path(&tx->path, id);
	s = stage(tx, tx->path.ptr);
	cJSON_Delete(s->obj);
	s->obj = NULL;
	s->removed = 1;
	s->dirty = 1;
	return 0;
}

size_t gt_txn_bead_count(const struct gt_txn *tx)
{
	size_t n = 0;

	for (size_t i = 0; i < tx->n; i++)
		n += tx->list[i]->id && tx->list[i]->dirty;
	return n;
}

int gt_txn_file_get(struct gt_txn *tx, const char *path, struct gt_buf *out)
{
	struct staged *s = gt_map_get(&tx->by_path, path);

	if (s) {
		if (s->removed || (s->mode && s->mode != GIT_FILEMODE_BLOB))
			return gt_error_set(GT_ENOTFOUND, "'%s' not found", path);
		gt_buf_reset(out);
		if (s->mode) {
			git_blob *b;

			if (git_blob_lookup(&b, tx->lg->git, &s->oid) < 0)
				return gt_error_git(GT_EFAIL, "cannot read '%s'", path);
			gt_buf_add(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
			git_blob_free(b);
		} else if (s->obj) {
			gt_bead_serialize(out, s->obj);
			gt_buf_addch(out, '\n');
		} else {
			gt_buf_add(out, gt_buf_cstr(&s->data), s->data.len);
		}
		return 0;
	}
	txn_note_read(tx, path);
	if (!tx->base)
		return gt_error_set(GT_ENOTFOUND, "'%s' not found", path);
	return gt_ledger_read_file(out, NULL, tx->lg, tx->base, path);
}

int gt_txn_file_put(struct gt_txn *tx, const char *path, const void *data, size_t len)
{
	struct staged *s = stage(tx, path);

	cJSON_Delete(s->obj); /* the bytes replace any object view */
	s->obj = NULL;
	s->mode = 0;
	gt_buf_reset(&s->data);
	gt_buf_add(&s->data, data, len);
	s->removed = 0;
	s->dirty = 1;
	return 0;
}

int gt_txn_entry_put(struct gt_txn *tx, const char *path, unsigned mode, const git_oid *id)
{
	struct staged *s;

	/* the objects are on disk already, outside any intent: only a
	 * transaction under the lock may stage them */
	if (tx->tracking)
		return gt_error_set(GT_EFAIL, "staging '%s' by id needs a bulk transaction", path);
	s = stage(tx, path);
	cJSON_Delete(s->obj);
	s->obj = NULL;
	gt_buf_release(&s->data);
	s->mode = mode;
	git_oid_cpy(&s->oid, id);
	s->removed = 0;
	s->dirty = 1;
	return 0;
}

int gt_txn_file_remove(struct gt_txn *tx, const char *path)
{
	struct staged *s = stage(tx, path);

	gt_buf_reset(&s->data);
	s->removed = 1;
	s->dirty = 1;
	return 0;
}

/* The first summary is the subject; later ones are counted ("and 4 more"),
 * so a batch gets one readable subject line. */
void gt_txn_summary(struct gt_txn *tx, const char *fmt, ...)
{
	va_list ap;

	if (tx->nsummaries++)
		return;
	gt_buf_reset(&tx->summary);
	va_start(ap, fmt);
	gt_buf_vprintf(&tx->summary, fmt, ap);
	va_end(ap);
}

void gt_txn_trailer(struct gt_txn *tx, const char *key, const char *fmt, ...)
{
	va_list ap;
	size_t start;

	/* a batch of thousands would make a huge message: keep the first */
	if (++tx->ntrailers > 64)
		return;
	gt_buf_printf(&tx->trailers, "%s: ", key);
	start = tx->trailers.len;
	va_start(ap, fmt);
	gt_buf_vprintf(&tx->trailers, fmt, ap);
	va_end(ap);
	/* a trailer is one line: fold anything that would break it */
	for (size_t i = start; i < tx->trailers.len; i++)
		if (tx->trailers.ptr[i] == '\n' || tx->trailers.ptr[i] == '\r')
			tx->trailers.ptr[i] = ' ';
	gt_buf_addch(&tx->trailers, '\n');
}

const git_oid *gt_ledger_last_commit(const struct gt_ledger *lg)
{
	return &lg->last_commit;
}

/* The bytes a staged file is written as (data is scratch space). */
static void staged_bytes(const struct staged *s, struct gt_buf *data, const void **p, size_t *len)
{
	if (s->obj) {
		gt_buf_reset(data);
		gt_bead_serialize(data, s->obj);
		gt_buf_addch(data, '\n');
		*p = data->ptr;
		*len = data->len;
	} else {
		*p = gt_buf_cstr(&s->data);
		*len = s->data.len;
	}
}

/* The subject after "<command>: ", and the trailers with the count of
 * those left out. */
static void message_parts(struct gt_buf *summary, struct gt_buf *trailers, const struct gt_txn *tx)
{
	gt_buf_adds(summary, tx->summary.len ? tx->summary.ptr : "update");
	if (tx->nsummaries > 1)
		gt_buf_printf(summary, " (and %zu more)", tx->nsummaries - 1);
	if (tx->trailers.len)
		gt_buf_add(trailers, tx->trailers.ptr, tx->trailers.len);
	if (tx->ntrailers > 64)
		gt_buf_printf(trailers, "Gt-More: %zu\n", tx->ntrailers - 64);
}

/* Returns 0 with *commit_id set, 1 when the tree did not change, or a
 * GT_E* code. */
static int write_commit(struct gt_txn *tx, git_oid *commit_id)
{
	struct gt_ledger *lg = tx->lg;
	struct gt_tree_upd *u = gt_calloc(tx->n ? tx->n : 1, sizeof(*u));
	struct gt_buf data = GT_BUF_INIT, msg = GT_BUF_INIT, sig = GT_BUF_INIT;
	git_oid tree_id;
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < tx->n && !rc; i++) {
		struct staged *s = tx->list[i];

		if (!s->dirty)
			continue;
		u[n].path = s->path;
		u[n].removed = s->removed;
		u[n].mode = s->mode;
		if (s->mode && !s->removed) {
			git_oid_cpy(&u[n].id, &s->oid);
		} else if (!s->removed) {
			const void *p;
			size_t len;

			staged_bytes(s, &data, &p, &len);
			rc = gt_objbuf_put(lg->objbuf, GIT_OBJECT_BLOB, p, len, &u[n].id);
		}
		n++;
	}
	if (!rc) {
		gt_tree_upd_sort(u, n);
		rc = gt_shard_apply(lg->git, lg->objbuf, tx->base, u, n, &tree_id);
	}
	/* writing back what was there (a config value set to itself) is no
	 * change: no commit */
	if (!rc && tx->base && !git_oid_cmp(&tree_id, git_tree_id(tx->base)))
		rc = 1;
	if (!rc)
		rc = gt_commit_signature(&sig, gt_ledger_actor(lg), gt_ledger_actor_email(lg));
	if (!rc) {
		gt_buf_printf(&msg, "tree %s\n", git_oid_tostr_s(&tree_id));
		if (lg->has_tip && !lg->squash)
			gt_buf_printf(&msg, "parent %s\n", git_oid_tostr_s(&lg->tip));
		gt_buf_printf(&msg, "author %s\ncommitter %s\n\n%s: ", sig.ptr, sig.ptr,
			      tx->opts->command);
		gt_buf_reset(&data);
		message_parts(&msg, &data, tx);
		gt_buf_addch(&msg, '\n');
		if (data.len)
			gt_buf_printf(&msg, "\n%s", data.ptr);
		rc = gt_objbuf_put(lg->objbuf, GIT_OBJECT_COMMIT, msg.ptr, msg.len, commit_id);
	}
	gt_buf_release(&data);
	gt_buf_release(&msg);
	gt_buf_release(&sig);
	free(u);
	return rc;
}

static size_t dirty_count(const struct gt_txn *tx)
{
	size_t n = 0;

	for (size_t i = 0; i < tx->n; i++)
		n += tx->list[i]->dirty;
	return n;
}

static void append_winner(struct gt_ledger *lg)
{
	const git_signature *a;
	char msg[4096];

	if (!lg->commit || !(a = git_commit_author(lg->commit)))
		return;
	snprintf(msg, sizeof(msg), "%s", gt_error_last());
	gt_error_set(GT_ECONFLICT, "%s (changed meanwhile by '%s' in %.12s)", msg, a->name,
		     git_oid_tostr_s(&lg->tip));
}

/* One attempt: fn applied to the tip lg holds now.  0 when it staged a
 * change, 1 when it changed nothing, or fn's error (a conflict found on a
 * later attempt names who made it). */
static int apply_on_tip(struct gt_txn *tx, gt_txn_fn fn, void *payload)
{
	struct gt_ledger *lg = tx->lg;
	int rc;

	tx->base = lg->tree;
	gt_time_now(tx->now, sizeof(tx->now));
	gt_time_parse(tx->now, &tx->now_ns);
	if (tx->tracking)
		lg->reading = tx;
	rc = fn(tx, payload);
	lg->reading = NULL;
	if (rc < 0) {
		if (rc == GT_ECONFLICT && tx->attempt > 0)
			append_winner(lg);
		return rc;
	}
	return dirty_count(tx) ? 0 : 1;
}

/* How long a writer waits for the ledger lock: GT_LEDGER_LOCK_TIMEOUT (a
 * duration), else a minute: far past any queue of healthy writers (p99
 * under 3 s with 128 of them), short of waiting for ever on a holder that
 * was stopped. */
static long lock_timeout_ms(void)
{
	const char *v = getenv("GT_LEDGER_LOCK_TIMEOUT");
	int64_t ms = 60000;

	if (v && *v && gt_duration_parse(&ms, v, "GT_LEDGER_LOCK_TIMEOUT") < 0) {
		gt_error_clear();
		ms = 60000;
	}
	return (long)ms;
}

static void txn_release(struct gt_txn *tx)
{
	txn_reset(tx);
	gt_buf_release(&tx->summary);
	gt_buf_release(&tx->trailers);
	gt_buf_release(&tx->path);
	free(tx->list);
}

/* Group commit is on unless GT_LEDGER_GROUP=0 (one writer at a time under
 * the lock: the old behaviour, kept as the benchmarks' baseline). */
static int group_enabled(void)
{
	return !gt_env_off("GT_LEDGER_GROUP");
}

/* tx's change and message as an intent for group commit. */
static int make_intent(struct gt_intent *in, struct gt_txn *tx)
{
	struct gt_ledger *lg = tx->lg;
	struct gt_buf data = GT_BUF_INIT;
	struct gt_map_entry *me;
	int rc;

	/* checked here, so that a bad identity is this writer's own error */
	if ((rc = gt_commit_signature(&data, gt_ledger_actor(lg), gt_ledger_actor_email(lg))) < 0)
		goto out;
	in->has_base = lg->has_tip;
	if (lg->has_tip)
		git_oid_cpy(&in->base, &lg->tip);
	in->command = gt_strdup(tx->opts->command ? tx->opts->command : "gt");
	in->actor = gt_strdup(gt_ledger_actor(lg));
	in->email = gt_strdup(gt_ledger_actor_email(lg));
	message_parts(&in->summary, &in->trailers, tx);
	for (size_t i = 0; gt_map_next(&tx->reads, &i, &me);)
		gt_strlist_push_dup(&in->reads, me->key);
	for (size_t i = 0; i < tx->n; i++) {
		const struct staged *s = tx->list[i];
		const void *p = NULL;
		size_t len = 0;

		if (!s->dirty)
			continue;
		if (!s->removed)
			staged_bytes(s, &data, &p, &len);
		gt_intent_add_write(in, s->path, p, len, s->removed);
	}
out:
	gt_buf_release(&data);
	return rc;
}

/* fn applied on the tip without the lock, its change committed by group
 * commit; a change that conflicts with one committed meanwhile is applied
 * again on the new tip.  *done is 0 when it kept conflicting: then the
 * caller runs it under the lock. */
#define GROUP_ROUNDS 4
static int transact_grouped(struct gt_ledger *lg, const struct gt_txn_opts *opts, gt_txn_fn fn,
			    void *payload, int *done)
{
	struct gt_txn tx;
	struct gt_commitq q = {
		lg->repo,
		lg->git,
		lg->objbuf,
		lg->ref,
		opts->command ? opts->command : "gt",
		opts->lock_timeout_ms ? opts->lock_timeout_ms : lock_timeout_ms(),
	};
	int rc = 0;

	memset(&tx, 0, sizeof(tx));
	memset(&lg->last_commit, 0, sizeof(lg->last_commit));
	tx.lg = lg;
	tx.opts = opts;
	tx.tracking = 1;
	resolve_actor(lg);
	*done = 1;
	for (tx.attempt = 0;; tx.attempt++) {
		struct gt_intent in;
		git_oid commit;

		if (tx.attempt >= GROUP_ROUNDS) {
			*done = 0;
			break;
		}
		txn_reset(&tx);
		gt_objbuf_discard(lg->objbuf);
		gt_objbuf_collect(lg->objbuf, 1);
		if ((rc = gt_ledger_refresh(lg)) < 0)
			break;
		if (!lg->has_tip) {
			rc = gt_error_set(GT_ENOTFOUND, "the ledger disappeared");
			break;
		}
		if ((rc = apply_on_tip(&tx, fn, payload)) != 0) {
			if (rc == 1) /* nothing to change */
				rc = 0;
			break;
		}
		/* objects fn wrote itself must be on disk before the commit
		 * that refers to them */
		if (gt_objbuf_count(lg->objbuf) && (rc = gt_objbuf_flush(lg->objbuf, 1)) < 0)
			break;
		gt_objbuf_collect(lg->objbuf, 0);
		gt_intent_init(&in);
		rc = make_intent(&in, &tx);
		if (!rc)
			rc = gt_commitq_submit(&q, &in, &commit);
		gt_intent_release(&in);
		if (rc == 1)
			continue;
		if (rc == 0) {
			git_oid_cpy(&lg->last_commit, &commit);
			rc = gt_ledger_refresh(lg);
		}
		break;
	}
	lg->reading = NULL;
	gt_objbuf_discard(lg->objbuf);
	gt_objbuf_collect(lg->objbuf, 0);
	txn_release(&tx);
	return rc;
}

int gt_ledger_transact(struct gt_ledger *lg, const struct gt_txn_opts *opts, gt_txn_fn fn,
		       void *payload)
{
	struct gt_txn tx;
	struct gt_buf lockpath = GT_BUF_INIT;
	int lockfd = -1, rc = 0, durable;

	if (!opts->bulk && !opts->allow_no_ledger && !opts->exclusive && !lg->squash &&
	    group_enabled()) {
		int done;

		rc = transact_grouped(lg, opts, fn, payload, &done);
		if (done)
			return rc;
	}
	memset(&tx, 0, sizeof(tx));
	memset(&lg->last_commit, 0, sizeof(lg->last_commit));
	tx.lg = lg;
	tx.opts = opts;
	resolve_actor(lg);
	rc = gt_repo_runtime_path(&lockpath, lg->repo, lg->squash ? "wisps.lock" : "ledger.lock",
				  1);
	if (!rc)
		rc = gt_lock_acquire_as(&lockfd, lockpath.ptr,
					opts->lock_timeout_ms ? opts->lock_timeout_ms
							      : lock_timeout_ms(),
					opts->command ? opts->command : "gt");
	gt_buf_release(&lockpath);
	/* creating a ledger or importing (which writes only a pack) leaves
	 * the object fan-out ready for the small writes that follow */
	if (!rc && (opts->bulk || opts->allow_no_ledger))
		rc = gt_repo_fanout(lg->repo);
	if (rc < 0) {
		gt_lock_release(lockfd);
		return rc;
	}
	gt_objbuf_collect(lg->objbuf, 1);
	/* the ledger's writes here (bulk ones, a change refused four times
	 * in the queue) are on disk before they are answered, as group
	 * commit's are: a pack (flushed) and the ref flushed; its creation
	 * (a few loose objects, which the first bulk write takes into its
	 * pack), the wisps' protocol messages, and the old way kept for
	 * comparison, write a small change's objects loose and leave the
	 * flushing to the kernel */
	durable = !lg->squash && !opts->allow_no_ledger && group_enabled();
	for (tx.attempt = 0; tx.attempt < MAX_ATTEMPTS; tx.attempt++) {
		git_oid commit_id;
		int ref_rc;

		txn_reset(&tx);
		gt_objbuf_discard(lg->objbuf);
		rc = gt_ledger_refresh(lg);
		if (rc < 0)
			break;
		if (!lg->has_tip && !opts->allow_no_ledger && !lg->squash) {
			rc = gt_error_set(GT_ENOTFOUND, "the ledger disappeared");
			break;
		}
		if ((rc = apply_on_tip(&tx, fn, payload)) != 0) {
			if (rc == 1) /* nothing to change */
				rc = 0;
			break;
		}
		rc = write_commit(&tx, &commit_id);
		if (rc == 1) { /* nothing actually changed */
			rc = 0;
			break;
		}
		if (!rc)
			rc = gt_objbuf_flush(lg->objbuf,
					     opts->bulk || durable ? 1 : BULK_PACK_THRESHOLD);
		if (rc < 0)
			break;
		ref_rc = gt_ref_cas(lg->repo, lg->git, lg->ref, &commit_id,
				    lg->has_tip ? &lg->tip : NULL, durable);
		if (ref_rc == 0) {
			git_oid_cpy(&lg->last_commit, &commit_id);
			rc = gt_ledger_refresh(lg);
			break;
		}
		if (ref_rc < 0) {
			rc = ref_rc;
			break;
		}
		/* lost a race with a writer outside our lock: re-apply */
	}
	if (tx.attempt >= MAX_ATTEMPTS)
		rc = gt_error_set(GT_ECONFLICT, "gave up after %d attempts: %s keeps changing",
				  MAX_ATTEMPTS, lg->ref);
	gt_objbuf_discard(lg->objbuf);
	gt_objbuf_collect(lg->objbuf, 0);
	txn_release(&tx);
	gt_lock_release(lockfd);
	/* housekeeping is looked at once the lock is free */
	if (!rc && !git_oid_is_zero(&lg->last_commit))
		gt_maint_auto(lg->repo);
	return rc;
}
