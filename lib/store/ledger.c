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
#include "store/id.h"
#include "store/maint.h"
#include "store/objbuf.h"
#include "store/repo.h"
#include "base/banned.h"

#define MAX_ATTEMPTS	    20
#define BULK_PACK_THRESHOLD 64

struct staged {
	char *path;
	char *id;	    /* beads only */
	cJSON *obj;	    /* beads only, owned */
	struct gt_buf data; /* other files */
	unsigned mode;	    /* gt_txn_entry_put(): the object oid, written already */
	git_oid oid;
	int dirty;
	int removed;
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
};

static int base_has(struct gt_txn *tx, const char *path);

static void clear_tip(struct gt_ledger *lg)
{
	git_tree_free(lg->tree);
	git_commit_free(lg->commit);
	lg->tree = NULL;
	lg->commit = NULL;
	lg->has_tip = 0;
	memset(&lg->tip, 0, sizeof(lg->tip));
}

int gt_ledger_refresh(struct gt_ledger *lg)
{
	git_oid id;
	int rc;

	rc = git_reference_name_to_id(&id, lg->git, lg->ref);
	if (rc == GIT_ENOTFOUND) {
		clear_tip(lg);
		return 0;
	}
	if (rc < 0)
		return gt_error_git(GT_EFAIL, "cannot read %s", lg->ref);
	if (lg->has_tip && !git_oid_cmp(&id, &lg->tip))
		return 0;
	clear_tip(lg);
	if (git_commit_lookup(&lg->commit, lg->git, &id) < 0 ||
	    git_commit_tree(&lg->tree, lg->commit) < 0) {
		clear_tip(lg);
		return gt_error_git(GT_EFAIL, "cannot read the ledger commit %s",
				    git_oid_tostr_s(&id));
	}
	git_oid_cpy(&lg->tip, &id);
	lg->has_tip = 1;
	return 0;
}

int gt_ledger_open_repo(struct gt_ledger **out, struct gt_repo *repo, const char *actor)
{
	struct gt_ledger *lg = gt_calloc(1, sizeof(*lg));
	int rc;

	lg->repo = repo;
	lg->git = repo->git;
	lg->ref = GT_LEDGER_REF;
	lg->actor_opt = actor && *actor ? gt_strdup(actor) : NULL;
	rc = gt_objbuf_attach(&lg->objbuf, lg->git);
	if (!rc)
		rc = gt_ledger_refresh(lg);
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

	if (!tree)
		tree = lg->tree;
	if (!tree)
		return gt_error_set(GT_ENOTFOUND, "'%s' not found", path);
	rc = git_tree_entry_bypath(&e, tree, path);
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
	if (!tree)
		tree = lg->tree;
	if (!tree)
		return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);
	gt_bead_path(&path, id);
	rc = git_tree_entry_bypath(&e, tree, path.ptr);
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

int gt_txn_list_dir(struct gt_txn *tx, const char *dir, int (*cb)(const char *name, void *payload),
		    void *payload)
{
	size_t dl = strlen(dir);
	const struct dirlist *d = dl ? gt_map_get(&tx->by_dir, dir) : NULL;
	git_tree_entry *e = NULL;
	git_tree *sub = NULL;
	int rc = 0;

	if (tx->base && git_tree_entry_bypath(&e, tx->base, dir) == 0 &&
	    git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&sub, tx->lg->git, git_tree_entry_id(e)) == 0) {
		size_t n = git_tree_entrycount(sub);

		for (size_t i = 0; i < n && !rc; i++) {
			const char *name = git_tree_entry_name(git_tree_entry_byindex(sub, i));
			struct staged *s = NULL;

			if (d) { /* only then can an entry here be staged as removed */
				gt_buf_reset(&tx->path);
				gt_buf_printf(&tx->path, "%s/%s", dir, name);
				s = gt_map_get(&tx->by_path, tx->path.ptr);
			}
			if (s && s->removed)
				continue;
			rc = cb(name, payload);
		}
	}
	/* then what the transaction added: staged here, not in the base */
	for (const struct staged *s = d ? d->head : NULL; s && !rc; s = s->next_in_dir) {
		const char *name = s->path + dl + 1;

		if (s->removed || (sub && git_tree_entry_byname(sub, name)))
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
}

static int base_has(struct gt_txn *tx, const char *path)
{
	git_tree_entry *e;

	if (!tx->base || git_tree_entry_bypath(&e, tx->base, path) < 0)
		return 0;
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
	struct staged *s = stage(tx, path);

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

/* ---- building trees along changed paths ---- */

struct upd {
	const char *path;
	git_oid id;
	unsigned mode; /* 0: a blob */
	int removed;
};

static int upd_cmp(const void *a, const void *b)
{
	return strcmp(((const struct upd *)a)->path, ((const struct upd *)b)->path);
}

/*
 * Trees are serialized here rather than through git_treebuilder: the
 * builder copies every entry of a ~390-entry shard and writes through the
 * odb, which checks every backend for each new object first.  A tree is
 * "<mode> <name>\0<20-byte id>" per entry, in git's order: names compared
 * bytewise, a tree's name as if it ended in '/'.
 */
struct tent {
	const char *name;
	size_t len;
	unsigned mode;
	git_oid id;
	int removed;
};

static int git_name_cmp(const struct tent *a, const struct tent *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, n);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = a->len > n ? (unsigned char)a->name[n] : (a->mode == GIT_FILEMODE_TREE ? '/' : 0);
	cb = b->len > n ? (unsigned char)b->name[n] : (b->mode == GIT_FILEMODE_TREE ? '/' : 0);
	return (int)ca - (int)cb;
}

static int tent_git_cmp(const void *a, const void *b)
{
	return git_name_cmp(a, b);
}

/* plain name order, to find entries while updating */
static int tent_name_cmp(const void *a, const void *b)
{
	const struct tent *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Apply updates u[0..n) (sorted by path, all under the directory whose
 * paths start at offset off) to base (may be NULL).  *out is the new
 * tree's id; *empty says it has no entries (and then nothing is written). */
static int build_tree(struct gt_ledger *lg, const git_tree *base, const struct upd *u, size_t n,
		      size_t off, git_oid *out, int *empty)
{
	size_t nb = base ? git_tree_entrycount(base) : 0, ne = 0, cap = nb + n + 1, i = 0;
	struct tent *e = gt_malloc(cap * sizeof(*e));
	struct gt_buf raw = GT_BUF_INIT;
	int rc = 0;

	for (size_t k = 0; k < nb; k++) {
		const git_tree_entry *te = git_tree_entry_byindex(base, k);

		e[ne].name = git_tree_entry_name(te);
		e[ne].len = strlen(e[ne].name);
		e[ne].mode = git_tree_entry_filemode(te);
		git_oid_cpy(&e[ne].id, git_tree_entry_id(te));
		e[ne].removed = 0;
		ne++;
	}
	/* base entries by plain name, so updates can find them */
	qsort(e, ne, sizeof(*e), tent_name_cmp);
	nb = ne;
	while (i < n && !rc) {
		const char *name = u[i].path + off, *slash = strchr(name, '/');
		struct tent key = {
			name, slash ? (size_t)(slash - name) : strlen(name), 0, { { 0 } }, 0
		};
		struct tent *at = nb ? bsearch(&key, e, nb, sizeof(*e), tent_name_cmp) : NULL;
		size_t j = i + 1;
		int sub_empty = 0;

		if (!at) {
			at = &e[ne++];
			*at = key;
			at->removed = 1;
		}
		if (!slash) {
			at->mode = u[i].mode ? u[i].mode : GIT_FILEMODE_BLOB;
			at->removed = u[i].removed;
			if (!u[i].removed)
				git_oid_cpy(&at->id, &u[i].id);
		} else {
			git_tree *sub = NULL;

			while (j < n && !strncmp(u[j].path + off, name, key.len + 1))
				j++;
			if (!at->removed && at->mode == GIT_FILEMODE_TREE &&
			    git_tree_lookup(&sub, lg->git, &at->id) < 0)
				rc = gt_error_git(GT_EFAIL, "cannot read tree '%.*s'", (int)key.len,
						  name);
			if (!rc)
				rc = build_tree(lg, at->removed ? NULL : sub, u + i, j - i,
						off + key.len + 1, &at->id, &sub_empty);
			git_tree_free(sub);
			at->mode = GIT_FILEMODE_TREE;
			at->removed = sub_empty;
		}
		i = j;
	}
	if (!rc) {
		qsort(e, ne, sizeof(*e), tent_git_cmp);
		*empty = 1;
		for (size_t k = 0; k < ne; k++) {
			if (e[k].removed)
				continue;
			*empty = 0;
			gt_buf_printf(&raw, "%o %.*s", e[k].mode, (int)e[k].len, e[k].name);
			gt_buf_addch(&raw, '\0');
			gt_buf_add(&raw, e[k].id.id, GIT_OID_RAWSZ);
		}
		if (!*empty || !off)
			rc = gt_objbuf_put(lg->objbuf, GIT_OBJECT_TREE, gt_buf_cstr(&raw), raw.len,
					   out);
	}
	gt_buf_release(&raw);
	free(e);
	return rc;
}

/* "Name <email> <seconds> +0000": validated through libgit2, which refuses
 * angle brackets and newlines in either part */
static int signature(struct gt_buf *out, struct gt_ledger *lg)
{
	git_signature *sig;

	if (git_signature_now(&sig, gt_ledger_actor(lg), gt_ledger_actor_email(lg)) < 0)
		return gt_error_git(GT_EINVALID, "bad identity '%s' <%s>", gt_ledger_actor(lg),
				    gt_ledger_actor_email(lg));
	gt_buf_printf(out, "%s <%s> %lld %c%02d%02d", sig->name, sig->email,
		      (long long)sig->when.time, sig->when.offset < 0 ? '-' : '+',
		      abs(sig->when.offset) / 60, abs(sig->when.offset) % 60);
	git_signature_free(sig);
	return 0;
}

/* Returns 0 with *commit_id set, 1 when the tree did not change, or a
 * GT_E* code. */
static int write_commit(struct gt_txn *tx, git_oid *commit_id)
{
	struct gt_ledger *lg = tx->lg;
	struct upd *u = gt_calloc(tx->n ? tx->n : 1, sizeof(*u));
	struct gt_buf data = GT_BUF_INIT, msg = GT_BUF_INIT, sig = GT_BUF_INIT;
	git_oid tree_id;
	size_t n = 0;
	int rc = 0, empty;

	for (size_t i = 0; i < tx->n && !rc; i++) {
		struct staged *s = tx->list[i];

		if (!s->dirty)
			continue;
		u[n].path = s->path;
		u[n].removed = s->removed;
		u[n].mode = s->mode;
		if (s->mode && !s->removed)
			git_oid_cpy(&u[n].id, &s->oid);
		else if (!s->removed) {
			const void *p;
			size_t len;

			if (s->obj) {
				gt_buf_reset(&data);
				gt_bead_serialize(&data, s->obj);
				gt_buf_addch(&data, '\n');
				p = data.ptr;
				len = data.len;
			} else {
				p = gt_buf_cstr(&s->data);
				len = s->data.len;
			}
			rc = gt_objbuf_put(lg->objbuf, GIT_OBJECT_BLOB, p, len, &u[n].id);
		}
		n++;
	}
	if (!rc) {
		qsort(u, n, sizeof(*u), upd_cmp);
		rc = build_tree(lg, tx->base, u, n, 0, &tree_id, &empty);
	}
	/* writing back what was there (a config value set to itself) is no
	 * change: no commit */
	if (!rc && tx->base && !git_oid_cmp(&tree_id, git_tree_id(tx->base)))
		rc = 1;
	if (!rc)
		rc = signature(&sig, lg);
	if (!rc) {
		gt_buf_printf(&msg, "tree %s\n", git_oid_tostr_s(&tree_id));
		if (lg->has_tip && !lg->squash)
			gt_buf_printf(&msg, "parent %s\n", git_oid_tostr_s(&lg->tip));
		gt_buf_printf(&msg, "author %s\ncommitter %s\n\n", sig.ptr, sig.ptr);
		gt_buf_printf(&msg, "%s: %s", tx->opts->command,
			      tx->summary.len ? tx->summary.ptr : "update");
		if (tx->nsummaries > 1)
			gt_buf_printf(&msg, " (and %zu more)", tx->nsummaries - 1);
		gt_buf_addch(&msg, '\n');
		if (tx->trailers.len)
			gt_buf_printf(&msg, "\n%s", tx->trailers.ptr);
		if (tx->ntrailers > 64)
			gt_buf_printf(&msg, "Gt-More: %zu\n", tx->ntrailers - 64);
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

/* A ref lock file left by a writer that died between creating and renaming
 * it.  We hold the gt writer lock, so no gt writer can be using it; give a
 * foreign writer (git update-ref) two seconds before calling it stale. */
static int break_stale_ref_lock(struct gt_ledger *lg)
{
	struct gt_buf p = GT_BUF_INIT;
	struct stat st;
	int broke = 0;

	gt_buf_printf(&p, "%s/%s.lock", lg->repo->common_dir, lg->ref);
	if (stat(p.ptr, &st) == 0 && time(NULL) - st.st_mtime >= 2)
		broke = unlink(p.ptr) == 0;
	gt_buf_release(&p);
	return broke;
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

static int update_ref(struct gt_ledger *lg, const git_oid *new_id, const git_oid *old_id)
{
	git_reference *ref = NULL;
	git_oid zero;
	int rc;

	memset(&zero, 0, sizeof(zero));
	rc = git_reference_create_matching(&ref, lg->git, lg->ref, new_id, 1,
					   old_id ? old_id : &zero, NULL);
	git_reference_free(ref);
	return rc;
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

int gt_ledger_transact(struct gt_ledger *lg, const struct gt_txn_opts *opts, gt_txn_fn fn,
		       void *payload)
{
	struct gt_txn tx;
	struct gt_buf lockpath = GT_BUF_INIT;
	int lockfd = -1, rc = 0, locked_waits = 0;

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
		tx.base = lg->tree;
		gt_time_now(tx.now, sizeof(tx.now));
		gt_time_parse(tx.now, &tx.now_ns);
		rc = fn(&tx, payload);
		if (rc < 0) {
			if (rc == GT_ECONFLICT && tx.attempt > 0)
				append_winner(lg);
			break;
		}
		if (!dirty_count(&tx)) {
			rc = 0;
			break;
		}
		rc = write_commit(&tx, &commit_id);
		if (rc == 1) { /* nothing actually changed */
			rc = 0;
			break;
		}
		if (!rc)
			rc = gt_objbuf_flush(lg->objbuf, opts->bulk ? 1 : BULK_PACK_THRESHOLD);
		if (rc < 0)
			break;
		ref_rc = update_ref(lg, &commit_id, lg->has_tip ? &lg->tip : NULL);
		if (ref_rc == 0) {
			git_oid_cpy(&lg->last_commit, &commit_id);
			rc = gt_ledger_refresh(lg);
			gt_maint_auto(lg->repo);
			break;
		}
		if (ref_rc == GIT_ELOCKED) {
			struct timespec ts = { 0, 5 * 1000 * 1000 };

			if (++locked_waits > 400 || !break_stale_ref_lock(lg))
				nanosleep(&ts, NULL);
			if (locked_waits > 1000) {
				rc = gt_error_set(GT_ETEMP, "%s is locked", lg->ref);
				break;
			}
			tx.attempt--;
			continue;
		}
		if (ref_rc != GIT_EMODIFIED && ref_rc != GIT_EEXISTS) {
			rc = gt_error_git(GT_EFAIL, "cannot update %s", lg->ref);
			break;
		}
		/* lost a race with a writer outside our lock: re-apply */
	}
	if (tx.attempt >= MAX_ATTEMPTS)
		rc = gt_error_set(GT_ECONFLICT, "gave up after %d attempts: %s keeps changing",
				  MAX_ATTEMPTS, lg->ref);
	gt_objbuf_discard(lg->objbuf);
	gt_objbuf_collect(lg->objbuf, 0);
	txn_reset(&tx);
	gt_buf_release(&tx.summary);
	gt_buf_release(&tx.trailers);
	gt_buf_release(&tx.path);
	free(tx.list);
	gt_lock_release(lockfd);
	return rc;
}
