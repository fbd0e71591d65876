/*
 * objbuf.c - in-memory object backend; bulk flushes go through
 * packwrite.c, small ones are written loose; a streaming transaction
 * sends its objects to a pack stream as they come.
 */
#include "store/objbuf.h"

#include <dirent.h>
#include <git2/sys/odb_backend.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "store/packwrite.h"
#include "base/banned.h"

/*
 * The packs this process wrote, read through a backend of their own
 * (git_odb_backend_one_pack()) rather than by having libgit2 list
 * objects/pack again: that listing waits for the directory's lock, which
 * every process opening the repository takes, and under load a committer
 * waited 7-14 ms for it after every commit (the ref update looks the new
 * commit up).  Past OWN_MAX packs, the directory is listed again.  Their
 * errors are "not found": a pack rolled up and removed meanwhile is found
 * again by the listing libgit2 falls back to.
 */
#define OWN_MAX 16

struct obj {
	struct gt_packobj p; /* id, type, len, data (owned) */
	struct obj *next_in_bucket;
};

struct gt_objbuf {
	git_odb_backend parent;
	git_odb *odb;
	git_odb_backend *loose; /* writes loose files directly, no freshen */
	char *objdir;		/* <common-dir>objects */
	int collecting;
	struct obj **buckets;
	size_t nbuckets;
	struct obj **list;
	size_t n, alloc, bytes;
	struct gt_packstream *stream;  /* gt_objbuf_stream(): objects go here */
	git_odb_backend *own[OWN_MAX]; /* the packs this process wrote (one_pack) */
	size_t nown;
};

static size_t bucket_of(const struct gt_objbuf *ob, const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (ob->nbuckets - 1);
}

static struct obj *find(const struct gt_objbuf *ob, const git_oid *id)
{
	if (!ob->collecting || !ob->n)
		return NULL;
	for (struct obj *o = ob->buckets[bucket_of(ob, id)]; o; o = o->next_in_bucket)
		if (!git_oid_cmp(&o->p.id, id))
			return o;
	return NULL;
}

static void rehash(struct gt_objbuf *ob)
{
	free(ob->buckets);
	ob->nbuckets = ob->nbuckets ? ob->nbuckets * 2 : 1024;
	ob->buckets = gt_calloc(ob->nbuckets, sizeof(*ob->buckets));
	for (size_t i = 0; i < ob->n; i++) {
		size_t b = bucket_of(ob, &ob->list[i]->p.id);

		ob->list[i]->next_in_bucket = ob->buckets[b];
		ob->buckets[b] = ob->list[i];
	}
}

static int store(struct gt_objbuf *ob, const git_oid *id, const void *data, size_t len,
		 git_object_t type)
{
	unsigned char *copy;
	struct obj *o;
	size_t b;

	if (ob->stream) {
		int rc = gt_packstream_add(ob->stream, id, type, data, len);

		return rc < 0 ? rc : 0;
	}
	if (find(ob, id))
		return 0;
	o = gt_malloc(sizeof(*o));
	git_oid_cpy(&o->p.id, id);
	o->p.type = type;
	o->p.len = len;
	copy = gt_malloc(len ? len : 1);
	memcpy(copy, data, len);
	o->p.data = copy;
	GT_ALLOC_GROW(ob->list, ob->n + 1, ob->alloc);
	ob->list[ob->n++] = o;
	ob->bytes += len;
	if (ob->n * 2 > ob->nbuckets) {
		rehash(ob);
	} else {
		b = bucket_of(ob, id);
		o->next_in_bucket = ob->buckets[b];
		ob->buckets[b] = o;
	}
	return 0;
}

static int be_write(git_odb_backend *be, const git_oid *id, const void *data, size_t len,
		    git_object_t type)
{
	struct gt_objbuf *ob = (struct gt_objbuf *)be;

	if (!ob->collecting)
		return GIT_PASSTHROUGH;
	if (store(ob, id, data, len, type) < 0) {
		git_error_set_str(GIT_ERROR_OS, gt_error_last());
		return -1;
	}
	return 0;
}

int gt_objbuf_put(struct gt_objbuf *ob, git_object_t type, const void *data, size_t len,
		  git_oid *id)
{
	if (git_odb_hash(id, data, len, type) < 0)
		return gt_error_git(GT_EFAIL, "cannot hash object");
	return store(ob, id, data, len, type);
}

int gt_objbuf_put_id(struct gt_objbuf *ob, git_object_t type, const void *data, size_t len,
		     const git_oid *id)
{
	return store(ob, id, data, len, type);
}

/* An object in the pack stream: 1 with its header, 0 when not there. */
static int streamed(struct gt_objbuf *ob, const git_oid *id, size_t *len, git_object_t *type)
{
	int rc;

	if (!ob->collecting || !ob->stream)
		return 0;
	rc = gt_packstream_lookup(ob->stream, id, type, len);
	if (rc < 0) {
		git_error_set_str(GIT_ERROR_OS, gt_error_last());
		return -1;
	}
	return rc;
}

static int be_read(void **out, size_t *len, git_object_t *type, git_odb_backend *be,
		   const git_oid *id)
{
	struct gt_objbuf *ob = (struct gt_objbuf *)be;
	struct obj *o = find(ob, id);
	int rc;

	if (!o && (rc = streamed(ob, id, len, type)) != 0) {
		if (rc < 0 || !(*out = git_odb_backend_data_alloc(be, *len ? *len : 1)))
			return -1;
		if (gt_packstream_read(ob->stream, id, *out, *len) < 0) {
			git_odb_backend_data_free(be, *out);
			git_error_set_str(GIT_ERROR_OS, gt_error_last());
			return -1;
		}
		return 0;
	}
	if (!o) {
		for (size_t i = 0; i < ob->nown; i++)
			if (ob->own[i]->read(out, len, type, ob->own[i], id) == 0)
				return 0;
		git_error_clear();
		return GIT_ENOTFOUND;
	}
	*out = git_odb_backend_data_alloc(be, o->p.len ? o->p.len : 1);
	if (!*out)
		return -1;
	memcpy(*out, o->p.data, o->p.len);
	*len = o->p.len;
	*type = o->p.type;
	return 0;
}

static int be_read_header(size_t *len, git_object_t *type, git_odb_backend *be, const git_oid *id)
{
	struct gt_objbuf *ob = (struct gt_objbuf *)be;
	struct obj *o = find(ob, id);
	int rc;

	if (!o && (rc = streamed(ob, id, len, type)) != 0)
		return rc < 0 ? -1 : 0;
	if (!o) {
		for (size_t i = 0; i < ob->nown; i++)
			if (ob->own[i]->read_header(len, type, ob->own[i], id) == 0)
				return 0;
		git_error_clear();
		return GIT_ENOTFOUND;
	}
	*len = o->p.len;
	*type = o->p.type;
	return 0;
}

static int be_exists(git_odb_backend *be, const git_oid *id)
{
	struct gt_objbuf *ob = (struct gt_objbuf *)be;
	size_t len;
	git_object_t type;

	if (find(ob, id) || streamed(ob, id, &len, &type) > 0)
		return 1;
	for (size_t i = 0; i < ob->nown; i++)
		if (ob->own[i]->exists(ob->own[i], id) == 1)
			return 1;
	git_error_clear();
	return 0;
}

void gt_objbuf_discard(struct gt_objbuf *ob)
{
	gt_packstream_free(ob->stream);
	ob->stream = NULL;
	for (size_t i = 0; i < ob->n; i++) {
		free((void *)(uintptr_t)ob->list[i]->p.data);
		free(ob->list[i]);
	}
	ob->n = 0;
	ob->bytes = 0;
	if (ob->buckets)
		memset(ob->buckets, 0, ob->nbuckets * sizeof(*ob->buckets));
}

static void be_free(git_odb_backend *be)
{
	struct gt_objbuf *ob = (struct gt_objbuf *)be;

	if (ob->loose)
		ob->loose->free(ob->loose);
	for (size_t i = 0; i < ob->nown; i++)
		ob->own[i]->free(ob->own[i]);
	gt_objbuf_discard(ob);
	free(ob->objdir);
	free(ob->list);
	free(ob->buckets);
	free(ob);
}

int gt_objbuf_attach(struct gt_objbuf **out, git_repository *repo)
{
	struct gt_objbuf *ob = gt_calloc(1, sizeof(*ob));
	git_odb *odb;

	*out = NULL;
	if (git_odb_init_backend(&ob->parent, GIT_ODB_BACKEND_VERSION) < 0 ||
	    git_repository_odb(&odb, repo) < 0) {
		free(ob);
		return gt_error_git(GT_EFAIL, "cannot open the object database");
	}
	ob->parent.write = be_write;
	ob->parent.read = be_read;
	ob->parent.read_header = be_read_header;
	ob->parent.exists = be_exists;
	ob->parent.free = be_free;
	if (git_odb_add_backend(odb, &ob->parent, 1000) < 0) {
		git_odb_free(odb);
		free(ob);
		return gt_error_git(GT_EFAIL, "cannot add the object buffer");
	}
	ob->odb = odb;
	git_odb_free(odb); /* the repository keeps the odb alive */
	{
		struct gt_buf dir = GT_BUF_INIT;

		gt_buf_printf(&dir, "%sobjects", git_repository_commondir(repo));
		if (git_odb_backend_loose(&ob->loose, dir.ptr, -1, 0, 0, 0) < 0)
			ob->loose = NULL; /* fall back to writing through the odb */
		ob->objdir = gt_buf_detach(&dir);
	}
	*out = ob;
	return 0;
}

void gt_objbuf_collect(struct gt_objbuf *ob, int on)
{
	ob->collecting = on;
}

size_t gt_objbuf_count(const struct gt_objbuf *ob)
{
	return ob->n + gt_packstream_count(ob->stream);
}

size_t gt_objbuf_bytes(const struct gt_objbuf *ob)
{
	return ob->bytes + gt_packstream_bytes(ob->stream);
}

int gt_objbuf_stream(struct gt_objbuf *ob)
{
	struct gt_packstream *ps;
	int rc;

	if (ob->stream)
		return 0;
	if (!ob->objdir)
		return gt_error_set(GT_EFAIL, "no objects directory to write a pack to");
	if ((rc = gt_packstream_open(&ps, ob->objdir)) < 0)
		return rc;
	for (size_t i = 0; i < ob->n && !rc; i++) /* what came before goes first */
		rc = gt_packstream_add(ps, &ob->list[i]->p.id, ob->list[i]->p.type,
				       ob->list[i]->p.data, ob->list[i]->p.len);
	if (rc < 0) {
		gt_packstream_free(ps);
		return rc;
	}
	gt_objbuf_discard(ob);
	ob->stream = ps;
	return 0;
}

static int flush_loose(struct gt_objbuf *ob)
{
	git_oid id;

	for (size_t i = 0; i < ob->n; i++) {
		struct obj *o = ob->list[i];
		int rc = -1;

		/* git's prune-packed (every git repack -d, so gt-maintain)
		 * removes the fan-out directories it empties; libgit2 writes
		 * the object's temporary file in objects/ and then renames it
		 * into objects/xx/, which fails when the directory went in
		 * between.  git retries; so do we. */
		for (int attempt = 0; attempt < 3 && rc < 0; attempt++) {
			if (attempt && ob->objdir) {
				char hex[GIT_OID_HEXSZ + 1];
				struct gt_buf p = GT_BUF_INIT;

				git_oid_tostr(hex, sizeof(hex), &o->p.id);
				gt_buf_printf(&p, "%s/%.2s", ob->objdir, hex);
				(void)mkdir(p.ptr, 0777);
				gt_buf_release(&p);
				git_error_clear();
			}
			rc = ob->loose
				     ? ob->loose->write(ob->loose, &o->p.id, o->p.data, o->p.len,
							o->p.type)
				     : git_odb_write(&id, ob->odb, o->p.data, o->p.len, o->p.type);
		}
		if (rc < 0)
			return gt_error_git(GT_EFAIL, "cannot write object");
	}
	return 0;
}

static const struct gt_packobj *pack_get(void *ctx, size_t i)
{
	return &((struct gt_objbuf *)ctx)->list[i]->p;
}

static int flush_pack(struct gt_objbuf *ob)
{
	char name[GIT_OID_HEXSZ + 1];
	int rc;

	if (!ob->objdir)
		return gt_error_set(GT_EFAIL, "no objects directory to write a pack to");
	if (ob->stream)
		rc = gt_packstream_finish(ob->stream, name);
	else
		rc = gt_pack_write(ob->objdir, pack_get, ob, ob->n, name);
	if (rc < 0)
		return rc;
	/* so this process sees the new pack */
	if (ob->nown < OWN_MAX) {
		struct gt_buf idx = GT_BUF_INIT;
		git_odb_backend *b = NULL;

		gt_buf_printf(&idx, "%s/pack/pack-%s.idx", ob->objdir, name);
		rc = git_odb_backend_one_pack(&b, idx.ptr);
		gt_buf_release(&idx);
		if (rc == 0) {
			ob->own[ob->nown++] = b;
			return 0;
		}
		git_error_clear();
	}
	if (git_odb_refresh(ob->odb) < 0)
		return gt_error_git(GT_EFAIL, "cannot read the new pack");
	return 0;
}

/*
 * Before a pack is written, take in the loose objects already in the
 * repository (a fresh ledger has the few gt-init wrote) so that a bulk
 * import leaves one pack and nothing loose.  Only a handful: a repository
 * with many loose objects is gt-maintain's to repack.  The names of the
 * objects taken are appended to *taken, NUL-terminated, for pruning once
 * the pack is in place; a copy in a pack makes the loose file redundant
 * (git prune-packed), so removing it is safe while others read and write.
 */
#define ABSORB_MAX 256
#define ABSORB_MIN 1024 /* a bulk write: a stream, or a pack this big; small ones skip the scan */

size_t gt_loose_scan(const char *objdir, git_oid *ids, size_t limit)
{
	struct gt_buf path = GT_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	size_t found = 0;

	for (int i = 0; i < 256 && found <= limit; i++) {
		struct dirent *e;
		DIR *d;

		gt_buf_reset(&path);
		gt_buf_printf(&path, "%s/%02x", objdir, i);
		if (!(d = opendir(path.ptr)))
			continue;
		while (found <= limit && (e = readdir(d))) {
			if (strlen(e->d_name) != GIT_OID_HEXSZ - 2 ||
			    strspn(e->d_name, "0123456789abcdef") != GIT_OID_HEXSZ - 2)
				continue;
			if (ids && found < limit) {
				snprintf(hex, sizeof(hex), "%02x%s", i, e->d_name);
				git_oid_fromstr(&ids[found], hex);
			}
			found++;
		}
		closedir(d);
	}
	gt_buf_release(&path);
	return found;
}

static void absorb_loose(struct gt_objbuf *ob, struct gt_buf *taken)
{
	git_oid ids[ABSORB_MAX];
	char hex[GIT_OID_HEXSZ + 1];
	size_t found;

	if (!ob->loose || !ob->objdir)
		return;
	found = gt_loose_scan(ob->objdir, ids, ABSORB_MAX);
	if (found > ABSORB_MAX) /* too many: all left to gt-maintain */
		return;
	for (size_t k = 0; k < found; k++) {
		git_object_t type;
		void *data;
		size_t n;

		if (ob->loose->read(&data, &n, &type, ob->loose, &ids[k]) < 0) {
			git_error_clear(); /* unreadable: not ours to remove */
			continue;
		}
		if (store(ob, &ids[k], data, n, type) < 0) {
			git_odb_backend_data_free(ob->loose, data);
			break; /* nothing taken is pruned: it stays loose */
		}
		git_odb_backend_data_free(ob->loose, data);
		git_oid_tostr(hex, sizeof(hex), &ids[k]);
		gt_buf_printf(taken, "%s/%.2s/%s", ob->objdir, hex, hex + 2);
		gt_buf_add(taken, "", 1);
	}
}

static void prune_taken(const struct gt_buf *taken)
{
	for (size_t at = 0; at < taken->len; at += strlen(taken->ptr + at) + 1)
		(void)unlink(taken->ptr + at);
}

int gt_objbuf_flush(struct gt_objbuf *ob, size_t pack_threshold)
{
	struct gt_buf taken = GT_BUF_INIT;
	size_t n = gt_objbuf_count(ob);
	int rc, pack = ob->stream || n >= pack_threshold;

	if (!n) {
		gt_objbuf_discard(ob);
		return 0;
	}
	if (ob->stream || (pack && n >= ABSORB_MIN))
		absorb_loose(ob, &taken);
	ob->collecting = 0; /* invisible, so the odb writes to disk */
	rc = pack ? flush_pack(ob) : flush_loose(ob);
	ob->collecting = 1;
	if (!rc)
		prune_taken(&taken);
	gt_buf_release(&taken);
	gt_objbuf_discard(ob);
	return rc;
}
