/*
 * verify.c - ledger verification, dependency loops, repository counts,
 * and the removal of what killed writers leave behind.
 */
#include "store/verify.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/progress.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "store/bead.h"
#include "store/id.h"
#include "store/index.h"
#include "store/objbuf.h"
#include "store/ops.h"
#include "store/shard.h"
#include "base/banned.h"

struct vctx {
	gt_verify_cb cb;
	void *payload;
	size_t n;
};

static void problem(struct vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct vctx *v, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->n++;
	if (v->cb)
		v->cb(msg, v->payload);
}

/* The file name in shard (its directory: "xx", or "xx/yy" in the subtree
 * leaf of a split shard; shard.h). */
static void check_bead(struct vctx *v, struct gt_ctx *ctx, const char *shard, const char *leaf,
		       const char *name, const git_oid *blob_id)
{
	size_t len = strlen(name);
	char id[GT_ID_MAX + 8], want[3], dir[6];
	git_blob *blob;
	cJSON *b = NULL;
	struct gt_buf canon = GT_BUF_INIT;

	snprintf(dir, sizeof(dir), "%s%s%s", shard, leaf ? "/" : "", leaf ? leaf : "");
	if (len <= 5 || strcmp(name + len - 5, ".json") || len - 5 > GT_ID_MAX) {
		problem(v, "beads/%s/%s: not a bead file name", dir, name);
		return;
	}
	snprintf(id, sizeof(id), "%.*s", (int)(len - 5), name);
	if (gt_id_check(id) < 0) {
		problem(v, "beads/%s/%s: %s", dir, name, gt_error_last());
		return;
	}
	gt_bead_shard(want, id);
	if (strcmp(want, shard))
		problem(v, "beads/%s/%s: belongs in shard %s", dir, name, want);
	else if (leaf && (gt_bead_leaf(want, id, strlen(id)), strcmp(want, leaf)))
		problem(v, "beads/%s/%s: belongs in beads/%s/%s", dir, name, shard, want);
	if (git_blob_lookup(&blob, ctx->lg->git, blob_id) < 0) {
		problem(v, "beads/%s/%s: cannot read the blob", dir, name);
		return;
	}
	if (gt_json_parse(&b, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), name, 1) <
	    0) {
		problem(v, "beads/%s/%s: %s", dir, name, gt_error_last());
	} else if (!gt_json_str(b, "id") || strcmp(gt_json_str(b, "id"), id)) {
		problem(v, "beads/%s/%s: the id inside is '%s'", dir, name,
			gt_json_str(b, "id") ? gt_json_str(b, "id") : "(none)");
	} else if (gt_bead_validate(b, &ctx->vocab) < 0) {
		problem(v, "beads/%s/%s: %s", dir, name, gt_error_last());
	} else {
		gt_bead_serialize(&canon, b);
		gt_buf_addch(&canon, '\n');
		if (canon.len != (size_t)git_blob_rawsize(blob) ||
		    memcmp(canon.ptr, git_blob_rawcontent(blob), canon.len))
			problem(v, "beads/%s/%s: not in canonical form", dir, name);
	}
	cJSON_Delete(b);
	gt_buf_release(&canon);
	git_blob_free(blob);
}

/* The files of a shard, one level or split in subtrees (shard.h), never
 * both. */
static long check_shard(struct vctx *v, struct gt_ctx *ctx, const char *sn, git_tree *shard)
{
	int split = gt_shard_is_split(shard);
	long checked = 0;

	for (size_t i = 0; i < git_tree_entrycount(shard); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(shard, i);
		const char *n = git_tree_entry_name(e);
		int is_tree = git_tree_entry_type(e) == GIT_OBJECT_TREE;
		git_tree *leaf;

		if (!split && !is_tree) {
			check_bead(v, ctx, sn, NULL, n, git_tree_entry_id(e));
			checked++;
			continue;
		}
		if (!split || !is_tree || strlen(n) != 2 || gt_hex_digit(n[0]) < 0 ||
		    gt_hex_digit(n[1]) < 0) {
			problem(v,
				"beads/%s/%s: a shard holds bead files or subtrees named by two "
				"hex digits, not both",
				sn, n);
			continue;
		}
		if (git_tree_lookup(&leaf, ctx->lg->git, git_tree_entry_id(e)) < 0) {
			problem(v, "beads/%s/%s: cannot read the subtree", sn, n);
			continue;
		}
		for (size_t k = 0; k < git_tree_entrycount(leaf); k++) {
			const git_tree_entry *le = git_tree_entry_byindex(leaf, k);

			if (git_tree_entry_type(le) != GIT_OBJECT_BLOB)
				problem(v, "beads/%s/%s/%s: not a bead file", sn, n,
					git_tree_entry_name(le));
			else
				check_bead(v, ctx, sn, n, git_tree_entry_name(le),
					   git_tree_entry_id(le));
			checked++;
		}
		git_tree_free(leaf);
	}
	return checked;
}

long gt_ledger_verify(struct gt_ctx *ctx, gt_verify_cb cb, void *payload, size_t *nproblems)
{
	return gt_ledger_verify_progress(ctx, cb, payload, nproblems, NULL);
}

long gt_ledger_verify_progress(struct gt_ctx *ctx, gt_verify_cb cb, void *payload,
			       size_t *nproblems, const struct gt_progress *progress)
{
	struct vctx v = { cb, payload, 0 };
	struct gt_ledger *lg = ctx->lg;
	const git_tree_entry *be;
	git_tree *beads = NULL;
	long checked = 0;
	int rc;

	*nproblems = 0;
	if (!lg->tree)
		return gt_error_set(GT_ENOTFOUND, "no ledger");
	if ((rc = gt_ctx_config(ctx)) < 0)
		problem(&v, "config: %s", gt_error_last());
	for (size_t i = 0; i < git_tree_entrycount(lg->tree); i++) {
		const char *n = git_tree_entry_name(git_tree_entry_byindex(lg->tree, i));

		if (strcmp(n, "beads") && strcmp(n, "config") && strcmp(n, "agents") &&
		    strcmp(n, "rigs") && strcmp(n, "beads-config.json") &&
		    strcmp(n, "beads-events.jsonl") && strcmp(n, "estop.json") &&
		    strcmp(n, "quarantine"))
			problem(&v, "%s: not something gt writes", n);
	}
	be = git_tree_entry_byname(lg->tree, "beads");
	if (be && git_tree_lookup(&beads, lg->git, git_tree_entry_id(be)) < 0)
		return gt_error_git(GT_EFAIL, "cannot read the beads tree");
	for (size_t s = 0; beads && s < git_tree_entrycount(beads); s++) {
		const git_tree_entry *se = git_tree_entry_byindex(beads, s);
		const char *sn = git_tree_entry_name(se);
		git_tree *shard;

		if (git_tree_entry_type(se) != GIT_OBJECT_TREE || strlen(sn) != 2) {
			problem(&v, "beads/%s: not a shard", sn);
			continue;
		}
		if (git_tree_lookup(&shard, lg->git, git_tree_entry_id(se)) < 0) {
			problem(&v, "beads/%s: cannot read the shard", sn);
			continue;
		}
		checked += check_shard(&v, ctx, sn, shard);
		git_tree_free(shard);
		gt_progress_tell(progress, s + 1, git_tree_entrycount(beads));
	}
	git_tree_free(beads);
	gt_error_clear();
	*nproblems = v.n;
	return checked;
}

long gt_count_loose(const struct gt_repo *repo)
{
	struct gt_buf p = GT_BUF_INIT;
	size_t n;

	gt_buf_printf(&p, "%s/objects", repo->common_dir);
	n = gt_loose_scan(p.ptr, NULL, SIZE_MAX);
	gt_buf_release(&p);
	return (long)n;
}

long gt_count_packs(const struct gt_repo *repo)
{
	struct gt_buf p = GT_BUF_INIT;
	struct dirent *e;
	long n = 0;
	DIR *d;

	gt_buf_printf(&p, "%s/objects/pack", repo->common_dir);
	if ((d = opendir(p.ptr))) {
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);

			n += l > 5 && !strcmp(e->d_name + l - 5, ".pack");
		}
		closedir(d);
	}
	gt_buf_release(&p);
	return n;
}

/* ---- dependency loops ---- */

/* Tarjan's strongly connected components, iteratively (a chain of 100k
 * beads must not overflow the C stack). */
struct scc_call {
	uint32_t r, k; /* the bead, its next edge */
};

struct scc {
	const struct gt_index *idx;
	const uint8_t *loop_type; /* per vocabulary entry */
	uint32_t *num, *low;	  /* visit number + 1 (0: not yet), lowest reached */
	uint32_t *comp;		  /* component + 1 once assigned */
	uint32_t *stack, nstack, ncomp, next;
	struct scc_call *calls;
	uint32_t ncalls;
};

/* the next loop-edge target of r from edge *k on, or GT_IREF_NONE */
static uint32_t next_target(const struct scc *s, uint32_t r, uint32_t *k)
{
	const struct gt_irec *rec = &s->idx->recs[r];

	while (*k < rec->nedges) {
		const struct gt_iedge *e = &s->idx->edges[rec->edges + (*k)++];
		uint32_t t = gt_index_ref(s->idx, e->target);

		if (s->loop_type[e->type] && t != GT_IREF_NONE)
			return t;
	}
	return GT_IREF_NONE;
}

static void scc_visit(struct scc *s, uint32_t root)
{
	s->ncalls = 0;
	s->calls[s->ncalls].r = root;
	s->calls[s->ncalls++].k = 0;
	s->num[root] = s->low[root] = ++s->next;
	s->stack[s->nstack++] = root;
	while (s->ncalls) {
		uint32_t r = s->calls[s->ncalls - 1].r;
		uint32_t t = next_target(s, r, &s->calls[s->ncalls - 1].k);

		if (t != GT_IREF_NONE) {
			if (!s->num[t]) {
				s->num[t] = s->low[t] = ++s->next;
				s->stack[s->nstack++] = t;
				s->calls[s->ncalls].r = t;
				s->calls[s->ncalls++].k = 0;
			} else if (!s->comp[t] && s->num[t] < s->low[r]) {
				s->low[r] = s->num[t]; /* t is on the stack */
			}
			continue;
		}
		if (s->low[r] == s->num[r]) { /* r roots a component */
			uint32_t m;

			s->ncomp++;
			do {
				m = s->stack[--s->nstack];
				s->comp[m] = s->ncomp;
			} while (m != r);
		}
		s->ncalls--;
		if (s->ncalls) {
			uint32_t up = s->calls[s->ncalls - 1].r;

			if (s->low[r] < s->low[up])
				s->low[up] = s->low[r];
		}
	}
}

/* A shortest cycle from first back to itself inside its component, by a
 * breadth-first search, written as "a -> b -> a". */
static void name_cycle(struct gt_buf *out, struct scc *s, uint32_t first, uint32_t *prev,
		       uint32_t *queue)
{
	uint32_t head = 0, tail = 0, c = s->comp[first], end = GT_IREF_NONE;
	uint32_t *path = s->stack; /* free again: all components are known */
	size_t n = 0;

	prev[first] = first;
	queue[tail++] = first;
	while (head < tail && end == GT_IREF_NONE) {
		uint32_t r = queue[head++], k = 0, t;

		while ((t = next_target(s, r, &k)) != GT_IREF_NONE) {
			if (s->comp[t] != c)
				continue;
			if (t == first) {
				end = r;
				break;
			}
			if (prev[t] == GT_IREF_NONE) {
				prev[t] = r;
				queue[tail++] = t;
			}
		}
	}
	for (uint32_t r = end; r != GT_IREF_NONE && r != first; r = prev[r])
		path[n++] = r;
	gt_buf_adds(out, gt_index_id(s->idx, first));
	while (n)
		gt_buf_printf(out, " -> %s", gt_index_id(s->idx, path[--n]));
	gt_buf_printf(out, " -> %s", gt_index_id(s->idx, first));
	for (uint32_t i = 0; i < tail; i++)
		prev[queue[i]] = GT_IREF_NONE;
}

/* the type of r's first edge onto itself, or NULL */
static const char *self_edge(const struct scc *s, uint32_t r)
{
	const struct gt_irec *rec = &s->idx->recs[r];

	for (uint32_t k = 0; k < rec->nedges; k++) {
		const struct gt_iedge *e = &s->idx->edges[rec->edges + k];

		if (s->loop_type[e->type] && gt_index_ref(s->idx, e->target) == r)
			return gt_index_vocab(s->idx, e->type);
	}
	return NULL;
}

void gt_index_loops(const struct gt_index *idx, gt_verify_cb found, void *payload, size_t *self,
		    size_t *cycles)
{
	struct scc s = { .idx = idx };
	uint32_t n = idx->nrecs, *first, *size, *prev, *queue;
	uint8_t *loop_type = gt_calloc(idx->nvocab ? idx->nvocab : 1, 1);
	struct gt_buf msg = GT_BUF_INIT;

	*self = *cycles = 0;
	for (uint32_t v = 0; v < idx->nvocab; v++) {
		const char *t = gt_index_vocab(idx, (uint16_t)v);

		loop_type[v] = (uint8_t)(gt_dep_type_blocking(t) || !strcmp(t, "parent-child"));
	}
	s.loop_type = loop_type;
	s.num = gt_calloc(n + 1, sizeof(uint32_t));
	s.low = gt_calloc(n + 1, sizeof(uint32_t));
	s.comp = gt_calloc(n + 1, sizeof(uint32_t));
	s.stack = gt_calloc(n + 1, sizeof(uint32_t));
	s.calls = gt_calloc(n + 1, sizeof(*s.calls));
	for (uint32_t r = 0; r < n; r++)
		if (!s.num[r])
			scc_visit(&s, r);
	/* per component: its size and the member with the smallest id */
	first = gt_calloc(s.ncomp + 1, sizeof(uint32_t));
	size = gt_calloc(s.ncomp + 1, sizeof(uint32_t));
	for (uint32_t r = 0; r < n; r++) {
		uint32_t c = s.comp[r];

		if (!size[c]++ || strcmp(gt_index_id(idx, r), gt_index_id(idx, first[c])) < 0)
			first[c] = r;
	}
	prev = s.num; /* reused: the search no longer needs them */
	queue = s.low;
	for (uint32_t r = 0; r < n; r++)
		prev[r] = GT_IREF_NONE;
	for (uint32_t r = 0; r < n; r++) {
		const char *t = self_edge(&s, r);

		if (t) {
			gt_buf_reset(&msg);
			gt_buf_printf(&msg, "bead '%s' depends on itself (%s)", gt_index_id(idx, r),
				      t);
			++*self;
			if (found)
				found(msg.ptr, payload);
		}
		if (size[s.comp[r]] > 1 && first[s.comp[r]] == r) {
			gt_buf_reset(&msg);
			gt_buf_adds(&msg, "dependency cycle: ");
			name_cycle(&msg, &s, r, prev, queue);
			++*cycles;
			if (found)
				found(msg.ptr, payload);
		}
	}
	gt_buf_release(&msg);
	free(first);
	free(size);
	free(s.num);
	free(s.low);
	free(s.comp);
	free(s.stack);
	free(s.calls);
	free(loop_type);
}

/* ---- leftovers of killed writers ---- */

static void clean_dir(const char *dir, const char *prefix, time_t cut, long *removed, long *failed)
{
	struct gt_buf p = GT_BUF_INIT;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;

		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		gt_buf_reset(&p);
		gt_buf_printf(&p, "%s/%s", dir, e->d_name);
		if (lstat(p.ptr, &st) < 0 || !S_ISREG(st.st_mode) || st.st_mtime > cut)
			continue;
		if (unlink(p.ptr) == 0)
			++*removed;
		else if (errno != ENOENT) /* ENOENT: its writer finished after all */
			++*failed;
	}
	closedir(d);
	gt_buf_release(&p);
}

long gt_clean_tmp_objects(const struct gt_repo *repo, long max_age, long *failed)
{
	struct gt_buf dir = GT_BUF_INIT;
	time_t cut = time(NULL) - max_age;
	long removed = 0;

	*failed = 0;
	gt_buf_printf(&dir, "%s/objects/pack", repo->common_dir);
	clean_dir(dir.ptr, "tmp_", cut, &removed, failed);
	clean_dir(dir.ptr, ".tmp-", cut, &removed, failed);	 /* git repack's */
	clean_dir(dir.ptr, "pack_git2_", cut, &removed, failed); /* libgit2's: a roll-up's */
	gt_buf_reset(&dir);
	gt_buf_printf(&dir, "%s/objects", repo->common_dir);
	clean_dir(dir.ptr, "tmp_obj", cut, &removed, failed);
	for (int i = 0; i < 256; i++) {
		gt_buf_reset(&dir);
		gt_buf_printf(&dir, "%s/objects/%02x", repo->common_dir, i);
		clean_dir(dir.ptr, "tmp_obj", cut, &removed, failed);
	}
	gt_buf_release(&dir);
	return removed;
}

/* ---- quarantine ---- */

struct quarantine {
	struct gt_txn *tx;
	struct gt_strlist *moved;
	size_t before; /* moved's length before: a retried pass starts again */
	struct gt_strlist shards;
};

static int add_shard(const char *name, void *payload)
{
	struct quarantine *q = payload;

	gt_strlist_push_dup(&q->shards, name);
	return 0;
}

/* Whether data holds one JSON object whose id is id. */
static int sound(const struct gt_buf *data, const char *id)
{
	cJSON *o = NULL;
	int ok = gt_json_parse(&o, data->ptr ? data->ptr : "", data->len, id, 1) == 0 &&
		 cJSON_IsObject(o) && gt_json_str(o, "id") && !strcmp(gt_json_str(o, "id"), id);

	gt_error_clear();
	cJSON_Delete(o);
	return ok;
}

static int check_file(const char *name, void *payload)
{
	struct quarantine *q = payload;
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT, id = GT_BUF_INIT, to = GT_BUF_INIT;
	size_t n = strlen(name);
	int rc = 0;

	if (n > 5 && !strcmp(name + n - 5, ".json")) {
		gt_buf_printf(&path, "%s/%s", q->shards.v[q->shards.n - 1], name);
		gt_buf_add(&id, name, n - 5);
		if (gt_txn_file_get(q->tx, path.ptr, &data) < 0 || !sound(&data, id.ptr)) {
			gt_error_clear();
			gt_buf_printf(&to, "quarantine/%s", path.ptr);
			if ((rc = gt_txn_file_put(q->tx, to.ptr, data.ptr ? data.ptr : "",
						  data.len)) == 0 &&
			    (rc = gt_txn_file_remove(q->tx, path.ptr)) == 0)
				gt_strlist_push_dup(q->moved, path.ptr);
		}
	}
	gt_buf_release(&path);
	gt_buf_release(&data);
	gt_buf_release(&id);
	gt_buf_release(&to);
	return rc;
}

static int quarantine_fn(struct gt_txn *tx, void *p)
{
	struct quarantine *q = p;
	struct gt_strlist dirs = { 0 };
	int rc;

	q->tx = tx;
	while (q->moved->n > q->before)
		free((char *)q->moved->v[--q->moved->n]);
	gt_strlist_release_owned(&q->shards);
	memset(&q->shards, 0, sizeof(q->shards));
	if ((rc = gt_txn_list_dir(tx, "beads", add_shard, q)) != 0)
		return rc;
	dirs = q->shards;
	memset(&q->shards, 0, sizeof(q->shards));
	for (size_t i = 0; i < dirs.n && rc == 0; i++) {
		struct gt_buf d = GT_BUF_INIT;

		gt_buf_printf(&d, "beads/%s", dirs.v[i]);
		gt_strlist_push_dup(&q->shards, d.ptr);
		rc = gt_txn_list_dir(tx, d.ptr, check_file, q);
		gt_buf_release(&d);
	}
	gt_strlist_release_owned(&dirs);
	gt_txn_summary(tx, "quarantine %zu unreadable record%s", q->moved->n,
		       q->moved->n == 1 ? "" : "s");
	return rc;
}

int gt_ledger_quarantine(struct gt_ctx *ctx, struct gt_strlist *moved)
{
	struct quarantine q = { 0 };
	struct gt_txn_opts o = { .command = "gt-maintain" };
	int rc;

	q.moved = moved;
	q.before = moved->n;
	rc = gt_ledger_transact(ctx->lg, &o, quarantine_fn, &q);
	gt_strlist_release_owned(&q.shards);
	if (rc < 0)
		while (moved->n > q.before)
			free((char *)moved->v[--moved->n]);
	return rc;
}
