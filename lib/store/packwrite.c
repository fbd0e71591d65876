/*
 * packwrite.c - one pack and its .idx from objects whose ids are known.
 *
 * Pack (git's Documentation/gitformat-pack): "PACK", version 2, object
 * count, then per object a type+size varint header and the zlib stream of
 * its content, then the SHA-1 of everything before.  Index version 2:
 * "\377tOc", 2, a 256-entry fan-out table, the sorted ids, the CRC-32 of
 * each object's bytes in the pack, 31-bit offsets (the top bit set means
 * "look in the 64-bit table that follows"), the 64-bit offsets, the pack's
 * checksum and the SHA-1 of the index itself.
 *
 * The objects are cut into chunks that worker threads compress in any
 * order while this thread writes the finished ones in order, hashing as
 * it goes.  Nothing is delta-compressed: the ledger's objects are small
 * and distinct, and a later repack may deltify.
 */
#include "store/packwrite.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/sha1.h"
#include "store/repo.h"
#include "base/banned.h"

/* 32-bit big-endian numbers, as packs and their indexes hold them */
static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct chunk {
	size_t first, end; /* objects [first, end) */
	struct gt_buf out;
	int done, err;
};

struct pw {
	gt_packobj_fn get;
	void *ctx;
	size_t n;
	uint32_t *crc;	/* per object, by position */
	uint64_t *size; /* bytes of each object's entry in the pack */
	struct chunk *chunks;
	size_t nchunks, next;
	int abort;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/*
 * Trees are stored (zlib level 0), everything else compressed at level 1.
 * Every process that reads the ledger inflates the tip's root tree and a
 * shard tree or two (tens of kilobytes of entries whose binary ids hardly
 * compress), and every commit deflated them: storing them made 64 writers
 * flat out 9% faster on 2 cores (615/583/578 against 660/656/617 writes/s).
 * The cost is room: git's full repack keeps as they are the trees it
 * does not deltify, so after 100,000 writes the packed ledger was 8%
 * bigger (206.6 against 191.2 MB).
 */
static int level_of(git_object_t type)
{
	return type == GIT_OBJECT_TREE ? 0 : 1;
}

static int put_object(struct gt_buf *out, z_stream *z, const struct gt_packobj *o, uint32_t *crc,
		      uint64_t *size)
{
	size_t start = out->len, n = 0, left = o->len, bound;
	unsigned char hdr[16];
	unsigned char *dst;

	hdr[n] = (unsigned char)(((unsigned)o->type << 4) | (left & 15));
	left >>= 4;
	while (left) {
		hdr[n++] |= 0x80;
		hdr[n] = left & 0x7f;
		left >>= 7;
	}
	gt_buf_add(out, hdr, n + 1);
	/* a stream just reset takes new parameters without flushing */
	if (deflateReset(z) != Z_OK ||
	    deflateParams(z, level_of(o->type), Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	bound = deflateBound(z, (uLong)o->len);
	gt_buf_grow(out, bound);
	dst = (unsigned char *)out->ptr + out->len;
	z->next_in = (unsigned char *)(uintptr_t)o->data;
	z->avail_in = (uInt)o->len;
	z->next_out = dst;
	z->avail_out = (uInt)bound;
	if (deflate(z, Z_FINISH) != Z_STREAM_END) /* the bound always fits */
		return -1;
	out->len += bound - z->avail_out; /* written in place, within the grown space */
	*crc = (uint32_t)crc32(0, (const unsigned char *)out->ptr + start,
			       (uInt)(out->len - start));
	*size = out->len - start;
	return 0;
}

static void compress_chunk(struct pw *pw, struct chunk *c, z_stream *z)
{
	for (size_t i = c->first; i < c->end && !c->err; i++) {
		const struct gt_packobj *o = pw->get(pw->ctx, i);

		if (o->len > UINT32_MAX || put_object(&c->out, z, o, &pw->crc[i], &pw->size[i]) < 0)
			c->err = 1;
	}
}

static void *worker(void *arg)
{
	struct pw *pw = arg;
	z_stream z = { 0 };
	int zok = deflateInit(&z, 1) == Z_OK;

	for (;;) {
		struct chunk *c;

		pthread_mutex_lock(&pw->mu);
		if (pw->abort || pw->next == pw->nchunks) {
			pthread_mutex_unlock(&pw->mu);
			break;
		}
		c = &pw->chunks[pw->next++];
		pthread_mutex_unlock(&pw->mu);
		if (zok)
			compress_chunk(pw, c, &z);
		else
			c->err = 1;
		pthread_mutex_lock(&pw->mu);
		c->done = 1;
		pthread_cond_broadcast(&pw->cv);
		pthread_mutex_unlock(&pw->mu);
	}
	if (zok)
		deflateEnd(&z);
	return NULL;
}

struct ient {
	git_oid id;
	uint32_t crc;
	uint64_t off;
};

static int ient_cmp(const void *a, const void *b)
{
	return git_oid_cmp(&((const struct ient *)a)->id, &((const struct ient *)b)->id);
}

/* Buffered output that hashes what it writes (the .idx ends in its own
 * SHA-1). */
struct hout {
	int fd, err;
	struct gt_sha1 sha;
	unsigned char buf[65536];
	size_t len;
};

static void hout_flush(struct hout *o)
{
	if (o->len && !o->err && gt_write_all(o->fd, o->buf, o->len) < 0)
		o->err = errno ? errno : EIO;
	o->len = 0;
}

static void hout_add(struct hout *o, const void *p, size_t n)
{
	gt_sha1_update(&o->sha, p, n);
	while (n) {
		size_t k = sizeof(o->buf) - o->len < n ? sizeof(o->buf) - o->len : n;

		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p = (const unsigned char *)p + k;
		n -= k;
		if (o->len == sizeof(o->buf))
			hout_flush(o);
	}
}

static void hout_be32(struct hout *o, uint32_t v)
{
	unsigned char x[4];

	put_be32(x, v);

	hout_add(o, x, 4);
}

/* Write the .idx of the objects e[0..n), sorted by id, to fd: streamed,
 * so a million objects need no 28 MB index image in memory. */
static int write_idx(int fd, const struct ient *e, size_t n, const unsigned char pack_sum[20])
{
	static const unsigned char magic[8] = { 0xff, 't', 'O', 'c', 0, 0, 0, 2 };
	struct hout *o = gt_calloc(1, sizeof(*o));
	unsigned char sum[20];
	uint32_t fan[256] = { 0 }, nlarge = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (i && !git_oid_cmp(&e[i - 1].id, &e[i].id)) {
			free(o);
			return gt_error_set(GT_EFAIL, "pack: the same object twice");
		}
		fan[e[i].id.id[0]]++;
	}
	o->fd = fd;
	gt_sha1_init(&o->sha);
	hout_add(o, magic, sizeof(magic));
	for (uint32_t k = 0, total = 0; k < 256; k++) {
		total += fan[k];
		hout_be32(o, total);
	}
	for (size_t i = 0; i < n; i++)
		hout_add(o, e[i].id.id, GIT_OID_RAWSZ);
	for (size_t i = 0; i < n; i++)
		hout_be32(o, e[i].crc);
	for (size_t i = 0; i < n; i++)
		hout_be32(o, e[i].off < 0x80000000u ? (uint32_t)e[i].off : 0x80000000u | nlarge++);
	for (size_t i = 0; i < n; i++) {
		if (e[i].off < 0x80000000u)
			continue;
		hout_be32(o, (uint32_t)(e[i].off >> 32));
		hout_be32(o, (uint32_t)e[i].off);
	}
	hout_add(o, pack_sum, 20);
	gt_sha1_final(&o->sha, sum);
	hout_flush(o);
	if (!o->err && gt_write_all(fd, sum, sizeof(sum)) < 0)
		o->err = errno ? errno : EIO;
	if (o->err) {
		errno = o->err;
		rc = gt_error_errno(GT_EFAIL, "cannot write the pack index");
	}
	free(o);
	return rc;
}

static int tmp_file(struct gt_buf *path, const char *objdir, const char *kind)
{
	int fd;

	gt_buf_reset(path);
	gt_buf_printf(path, "%s/pack/tmp_%s_XXXXXX", objdir, kind);
	if (gt_mkdir_parents(path->ptr) < 0)
		return -1;
	if ((fd = mkstemp(path->ptr)) < 0)
		gt_error_errno(GT_EFAIL, "cannot create '%s'", path->ptr);
	return fd;
}

/*
 * Make a finished pack (its temporary file tpack, open as pfd, which this
 * closes) durable and visible: write its .idx from e (sorted here), flush
 * both files to disk, rename the .pack and then the .idx into place, and
 * flush the directory, so that once the ledger ref names the pack's
 * objects a crash cannot lose them.  On success tpack is emptied (nothing
 * to remove); on failure the caller removes what tpack still names.
 */
static int install(const char *objdir, struct gt_buf *tpack, int pfd, struct ient *e, size_t n,
		   const unsigned char sum[20], char name[GIT_OID_HEXSZ + 1])
{
	struct gt_buf tidx = GT_BUF_INIT, dst = GT_BUF_INIT;
	int ifd = -1, rc = 0;
	git_oid sum_id;

	if (n)
		qsort(e, n, sizeof(*e), ient_cmp);
	if (fdatasync(pfd) < 0 || fchmod(pfd, 0444) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write the pack");
		close(pfd);
		goto out;
	}
	if (close(pfd) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write the pack");
		goto out;
	}
	if ((ifd = tmp_file(&tidx, objdir, "idx")) < 0) {
		rc = GT_EFAIL;
		goto out;
	}
	if ((rc = write_idx(ifd, e, n, sum)) < 0)
		goto out;
	if (fdatasync(ifd) < 0 || fchmod(ifd, 0444) < 0 || close(ifd) < 0) {
		ifd = -1;
		rc = gt_error_errno(GT_EFAIL, "cannot write the pack index");
		goto out;
	}
	ifd = -1;
	git_oid_fromraw(&sum_id, sum);
	git_oid_tostr(name, GIT_OID_HEXSZ + 1, &sum_id);
	gt_buf_printf(&dst, "%s/pack/pack-%s.pack", objdir, name);
	if (rename(tpack->ptr, dst.ptr) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot install '%s'", dst.ptr);
		goto out;
	}
	gt_buf_reset(tpack);
	gt_buf_truncate(&dst, dst.len - 4);
	gt_buf_adds(&dst, "idx");
	if (rename(tidx.ptr, dst.ptr) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot install '%s'", dst.ptr);
		goto out;
	}
	gt_buf_reset(&tidx);
	/* the renames themselves, on disk before the ref that needs them */
	gt_buf_reset(&dst);
	gt_buf_printf(&dst, "%s/pack", objdir);
	rc = gt_sync_dir(dst.ptr);
out:
	if (ifd >= 0)
		close(ifd);
	if (tidx.len)
		unlink(tidx.ptr);
	gt_buf_release(&tidx);
	gt_buf_release(&dst);
	return rc;
}

static int cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

/* Write the pack to fd (a temporary file), filling offs and pack_sum. */
static int write_pack(int fd, struct pw *pw, uint64_t *offs, unsigned char pack_sum[20])
{
	unsigned char head[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };
	pthread_t tids[8];
	int nthreads = pw->n >= 2048 ? cpu_count() : 0, started = 0, rc = 0;
	struct gt_sha1 sha;
	uint64_t at = sizeof(head);
	size_t per;

	put_be32(head + 8, (uint32_t)pw->n);
	pw->nchunks = pw->n / 512 + 1;
	if (pw->nchunks > 256)
		pw->nchunks = 256;
	per = (pw->n + pw->nchunks - 1) / pw->nchunks;
	pw->chunks = gt_calloc(pw->nchunks, sizeof(*pw->chunks));
	for (size_t k = 0; k < pw->nchunks; k++) {
		pw->chunks[k].first = k * per < pw->n ? k * per : pw->n;
		pw->chunks[k].end = (k + 1) * per < pw->n ? (k + 1) * per : pw->n;
		gt_buf_init(&pw->chunks[k].out, 0);
	}
	for (; started < nthreads; started++)
		if (pthread_create(&tids[started], NULL, worker, pw))
			break;
	gt_sha1_init(&sha);
	gt_sha1_update(&sha, head, sizeof(head));
	if (gt_write_all(fd, head, sizeof(head)) < 0)
		rc = gt_error_errno(GT_EFAIL, "cannot write the pack");
	for (size_t k = 0; k < pw->nchunks && !rc; k++) {
		struct chunk *c = &pw->chunks[k];

		if (!started) { /* no threads: compress here */
			z_stream z = { 0 };

			if (deflateInit(&z, 1) != Z_OK) {
				c->err = 1;
			} else {
				compress_chunk(pw, c, &z);
				deflateEnd(&z);
			}
		} else {
			pthread_mutex_lock(&pw->mu);
			while (!c->done)
				pthread_cond_wait(&pw->cv, &pw->mu);
			pthread_mutex_unlock(&pw->mu);
		}
		if (c->err) {
			rc = gt_error_set(GT_EFAIL, "cannot compress an object for the pack");
			break;
		}
		for (size_t i = c->first; i < c->end; i++) {
			offs[i] = at;
			at += pw->size[i];
		}
		gt_sha1_update(&sha, c->out.ptr, c->out.len);
		if (c->out.len && gt_write_all(fd, c->out.ptr, c->out.len) < 0)
			rc = gt_error_errno(GT_EFAIL, "cannot write the pack");
		gt_buf_release(&c->out);
	}
	pthread_mutex_lock(&pw->mu);
	pw->abort = 1;
	pthread_mutex_unlock(&pw->mu);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	for (size_t k = 0; k < pw->nchunks; k++)
		gt_buf_release(&pw->chunks[k].out);
	free(pw->chunks);
	if (!rc) {
		gt_sha1_final(&sha, pack_sum);
		if (gt_write_all(fd, pack_sum, 20) < 0)
			rc = gt_error_errno(GT_EFAIL, "cannot write the pack");
	}
	return rc;
}

int gt_pack_write(const char *objdir, gt_packobj_fn get, void *ctx, size_t n,
		  char name[GIT_OID_HEXSZ + 1])
{
	struct pw pw = { .get = get, .ctx = ctx, .n = n };
	struct gt_buf tpack = GT_BUF_INIT;
	unsigned char sum[20];
	uint64_t *offs = NULL;
	struct ient *e = NULL;
	int pfd = -1, rc = 0;

	if (n > UINT32_MAX)
		return gt_error_set(GT_EFAIL, "pack: too many objects");
	pthread_mutex_init(&pw.mu, NULL);
	pthread_cond_init(&pw.cv, NULL);
	pw.crc = gt_malloc((n ? n : 1) * sizeof(*pw.crc));
	pw.size = gt_malloc((n ? n : 1) * sizeof(*pw.size));
	offs = gt_malloc((n ? n : 1) * sizeof(*offs));
	if ((pfd = tmp_file(&tpack, objdir, "pack")) < 0) {
		rc = GT_EFAIL;
		goto out;
	}
	if ((rc = write_pack(pfd, &pw, offs, sum)) < 0)
		goto out;
	e = gt_malloc((n ? n : 1) * sizeof(*e));
	for (size_t i = 0; i < n; i++) {
		git_oid_cpy(&e[i].id, &get(ctx, i)->id);
		e[i].crc = pw.crc[i];
		e[i].off = offs[i];
	}
	rc = install(objdir, &tpack, pfd, e, n, sum, name);
	pfd = -1;
out:
	if (pfd >= 0)
		close(pfd);
	if (tpack.len)
		unlink(tpack.ptr);
	gt_buf_release(&tpack);
	free(e);
	free(offs);
	free(pw.crc);
	free(pw.size);
	pthread_mutex_destroy(&pw.mu);
	pthread_cond_destroy(&pw.cv);
	return rc;
}

/* ---- a pack written as its objects arrive ---- */

/*
 * The objects are gathered into jobs of about a megabyte; a full job goes
 * to a worker thread that compresses it and appends it to the file while
 * the caller goes on producing the next (so a bulk import parses on one
 * core and compresses on the other).  Only the worker writes the file
 * while it runs; the caller learns the offsets and CRCs when it takes the
 * finished job back.  A stream that never fills a job starts no thread:
 * its one job is compressed by the caller when the pack is finished.
 */
#define JOB_BYTES (1u << 20)

struct jobj {
	git_object_t type;
	size_t len;
	uint64_t off; /* filled in by compressing */
	uint32_t crc;
};

struct job {
	struct gt_buf raw; /* the objects' contents, back to back */
	struct jobj *o;
	size_t n, alloc;
	size_t first; /* index in the stream's entries of o[0] */
	int err;      /* errno of a failed write, or -1 for zlib */
};

struct gt_packstream {
	char *objdir;
	struct gt_buf tmp; /* the temporary pack's path; empty once installed */
	int fd;
	uint64_t written;      /* bytes in the file (the worker's while it runs) */
	struct ient *e;	       /* in the order appended; off known once compressed */
	size_t n, alloc, done; /* e[0..done) are in the file */
	uint32_t *slots;       /* open addressing on the id: index + 1, 0 when free */
	size_t nslots;
	size_t bytes; /* uncompressed */
	struct job job[2];
	int fill; /* the job being filled; the other is the worker's */
	int busy; /* the worker has the other job */
	int reap; /* the other job is finished, not yet taken back */
	int started, quit;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	z_stream z;
	int zok;
	struct gt_buf out; /* compressed bytes of the job at hand */
	struct gt_buf in;  /* what is read back */
};

static size_t slot_of(const struct gt_packstream *ps, const git_oid *id)
{
	uint32_t h;

	memcpy(&h, id->id, sizeof(h)); /* ids are uniformly distributed already */
	return h & (ps->nslots - 1);
}

static long stream_find(const struct gt_packstream *ps, const git_oid *id)
{
	if (!ps->nslots)
		return -1;
	for (size_t s = slot_of(ps, id);; s = (s + 1) & (ps->nslots - 1)) {
		uint32_t v = ps->slots[s];

		if (!v)
			return -1;
		if (!git_oid_cmp(&ps->e[v - 1].id, id))
			return (long)v - 1;
	}
}

static void stream_index(struct gt_packstream *ps, size_t i)
{
	size_t s = slot_of(ps, &ps->e[i].id);

	while (ps->slots[s])
		s = (s + 1) & (ps->nslots - 1);
	ps->slots[s] = (uint32_t)(i + 1);
}

/* Compress job j and append it to the file (the worker, or the caller
 * when there is none). */
static void run_job(struct gt_packstream *ps, struct job *j)
{
	size_t at = 0;

	gt_buf_reset(&ps->out);
	for (size_t i = 0; i < j->n && !j->err; i++) {
		struct gt_packobj o = { .type = j->o[i].type,
					.len = j->o[i].len,
					.data = (const unsigned char *)j->raw.ptr + at };
		uint64_t size;

		j->o[i].off = ps->written + ps->out.len;
		if (put_object(&ps->out, &ps->z, &o, &j->o[i].crc, &size) < 0)
			j->err = -1;
		at += o.len;
	}
	if (!j->err && ps->out.len && gt_write_all(ps->fd, ps->out.ptr, ps->out.len) < 0)
		j->err = errno ? errno : EIO;
	if (!j->err)
		ps->written += ps->out.len;
}

static void *stream_worker(void *arg)
{
	struct gt_packstream *ps = arg;

	pthread_mutex_lock(&ps->mu);
	for (;;) {
		struct job *j;

		while (!ps->busy && !ps->quit)
			pthread_cond_wait(&ps->cv, &ps->mu);
		if (!ps->busy)
			break;
		j = &ps->job[!ps->fill]; /* fill changes only while not busy */
		pthread_mutex_unlock(&ps->mu);
		run_job(ps, j);
		pthread_mutex_lock(&ps->mu);
		ps->busy = 0;
		pthread_cond_broadcast(&ps->cv);
	}
	pthread_mutex_unlock(&ps->mu);
	return NULL;
}

/* Wait for the worker's job and take it back: its entries' offsets and
 * CRCs, or its error. */
static int reap(struct gt_packstream *ps)
{
	struct job *j = &ps->job[!ps->fill];
	int err;

	if (ps->started) {
		pthread_mutex_lock(&ps->mu);
		while (ps->busy)
			pthread_cond_wait(&ps->cv, &ps->mu);
		pthread_mutex_unlock(&ps->mu);
	}
	if (!ps->reap)
		return 0;
	ps->reap = 0;
	err = j->err;
	for (size_t i = 0; i < j->n && !err; i++) {
		ps->e[j->first + i].off = j->o[i].off;
		ps->e[j->first + i].crc = j->o[i].crc;
	}
	if (!err)
		ps->done = j->first + j->n;
	j->n = 0;
	j->err = 0;
	gt_buf_reset(&j->raw);
	if (err > 0) {
		errno = err;
		return gt_error_errno(GT_EFAIL, "cannot write the pack");
	}
	return err ? gt_error_set(GT_EFAIL, "cannot compress an object for the pack") : 0;
}

/* Hand the job being filled to the worker (or compress it here when
 * there is none, or wait is set: then it is in the file on return). */
static int hand_over(struct gt_packstream *ps, int wait)
{
	int rc = reap(ps);

	if (rc < 0 || !ps->job[ps->fill].n)
		return rc;
	if (!ps->started && !wait && !ps->quit)
		ps->started = !pthread_create(&ps->tid, NULL, stream_worker, ps);
	ps->reap = 1;
	if (!ps->started) {
		ps->fill = !ps->fill;
		run_job(ps, &ps->job[!ps->fill]);
		return reap(ps);
	}
	pthread_mutex_lock(&ps->mu);
	ps->fill = !ps->fill;
	ps->busy = 1;
	pthread_cond_broadcast(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
	return wait ? reap(ps) : 0;
}

int gt_packstream_open(struct gt_packstream **out, const char *objdir)
{
	static const unsigned char head[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 }; /* count: later */
	struct gt_packstream *ps = gt_calloc(1, sizeof(*ps));

	*out = NULL;
	ps->objdir = gt_strdup(objdir);
	pthread_mutex_init(&ps->mu, NULL);
	pthread_cond_init(&ps->cv, NULL);
	if ((ps->fd = tmp_file(&ps->tmp, objdir, "pack")) < 0) {
		gt_buf_reset(&ps->tmp);
		gt_packstream_free(ps);
		return GT_EFAIL;
	}
	if (deflateInit(&ps->z, 1) != Z_OK) {
		gt_packstream_free(ps);
		return gt_error_set(GT_EFAIL, "cannot start compressing");
	}
	ps->zok = 1;
	if (gt_write_all(ps->fd, head, sizeof(head)) < 0) {
		gt_error_errno(GT_EFAIL, "cannot write the pack");
		gt_packstream_free(ps);
		return GT_EFAIL;
	}
	ps->written = sizeof(head);
	*out = ps;
	return 0;
}

int gt_packstream_add(struct gt_packstream *ps, const git_oid *id, git_object_t type,
		      const void *data, size_t len)
{
	struct job *j = &ps->job[ps->fill];

	if (stream_find(ps, id) >= 0)
		return 1;
	if (len > UINT32_MAX || ps->n >= UINT32_MAX - 1)
		return gt_error_set(GT_EFAIL, "pack: object too large, or too many");
	if (!j->n)
		j->first = ps->n;
	GT_ALLOC_GROW(j->o, j->n + 1, j->alloc);
	j->o[j->n].type = type;
	j->o[j->n].len = len;
	j->n++;
	gt_buf_add(&j->raw, data, len);
	GT_ALLOC_GROW(ps->e, ps->n + 1, ps->alloc);
	git_oid_cpy(&ps->e[ps->n].id, id);
	ps->n++;
	ps->bytes += len;
	if (ps->n * 2 > ps->nslots) {
		free(ps->slots);
		ps->nslots = ps->nslots ? ps->nslots * 2 : 1024;
		ps->slots = gt_calloc(ps->nslots, sizeof(*ps->slots));
		for (size_t i = 0; i < ps->n; i++)
			stream_index(ps, i);
	} else {
		stream_index(ps, ps->n - 1);
	}
	return j->raw.len >= JOB_BYTES ? hand_over(ps, 0) : 0;
}

size_t gt_packstream_count(const struct gt_packstream *ps)
{
	return ps ? ps->n : 0;
}

size_t gt_packstream_bytes(const struct gt_packstream *ps)
{
	return ps ? ps->bytes : 0;
}

/* The bytes of entry i in the file, at most max of them, into ps->in. */
static int entry_bytes(struct gt_packstream *ps, size_t i, size_t max, const unsigned char **p,
		       size_t *len)
{
	uint64_t off, end;
	size_t n, got = 0;
	int rc;

	if (i >= ps->done && (rc = hand_over(ps, 1)) < 0)
		return rc;
	off = ps->e[i].off;
	end = i + 1 < ps->done ? ps->e[i + 1].off : ps->written;
	n = (size_t)(end - off) < max ? (size_t)(end - off) : max;
	gt_buf_reset(&ps->in);
	gt_buf_grow(&ps->in, n);
	while (got < n) {
		ssize_t r = pread(ps->fd, ps->in.ptr + got, n - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return gt_error_errno(GT_EFAIL, "cannot read back the pack");
		got += (size_t)r;
	}
	*p = (const unsigned char *)ps->in.ptr;
	*len = n;
	return 0;
}

/* An entry's header: type and size; *hl its length.  -1 if malformed. */
static int entry_header(const unsigned char *p, size_t n, git_object_t *type, size_t *size,
			size_t *hl)
{
	size_t i = 0, shift = 4;

	if (!n)
		return -1;
	*type = (git_object_t)((p[0] >> 4) & 7);
	*size = p[0] & 15;
	while (p[i] & 0x80) {
		if (++i >= n || shift > 57)
			return -1;
		*size |= (size_t)(p[i] & 0x7f) << shift;
		shift += 7;
	}
	*hl = i + 1;
	return 0;
}

int gt_packstream_lookup(struct gt_packstream *ps, const git_oid *id, git_object_t *type,
			 size_t *len)
{
	long i = ps ? stream_find(ps, id) : -1;
	const unsigned char *p;
	size_t n, hl;

	if (i < 0)
		return 0;
	if (entry_bytes(ps, (size_t)i, 16, &p, &n) < 0)
		return GT_EFAIL;
	if (entry_header(p, n, type, len, &hl) < 0)
		return gt_error_set(GT_EFAIL, "pack: a malformed entry");
	return 1;
}

int gt_packstream_read(struct gt_packstream *ps, const git_oid *id, void *dst, size_t len)
{
	long i = stream_find(ps, id);
	const unsigned char *p;
	git_object_t type;
	size_t n, hl, size;
	z_stream z = { 0 };
	int zr;

	if (i < 0)
		return gt_error_set(GT_ENOTFOUND, "object %s is not in the pack",
				    git_oid_tostr_s(id));
	if (entry_bytes(ps, (size_t)i, SIZE_MAX, &p, &n) < 0)
		return GT_EFAIL;
	if (entry_header(p, n, &type, &size, &hl) < 0 || size != len || inflateInit(&z) != Z_OK)
		return gt_error_set(GT_EFAIL, "pack: a malformed entry");
	z.next_in = (unsigned char *)(uintptr_t)(p + hl);
	z.avail_in = (uInt)(n - hl);
	z.next_out = dst;
	z.avail_out = (uInt)len;
	zr = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (zr != Z_STREAM_END || z.avail_out)
		return gt_error_set(GT_EFAIL, "pack: a malformed entry");
	return 0;
}

static void stop_worker(struct gt_packstream *ps)
{
	if (!ps->started)
		return;
	pthread_mutex_lock(&ps->mu);
	while (ps->busy)
		pthread_cond_wait(&ps->cv, &ps->mu);
	ps->quit = 1;
	pthread_cond_broadcast(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
	pthread_join(ps->tid, NULL);
	ps->started = 0;
}

int gt_packstream_finish(struct gt_packstream *ps, char name[GIT_OID_HEXSZ + 1])
{
	unsigned char count[4], sum[20];
	struct gt_sha1 sha;
	uint64_t at = 0;
	int rc;

	if ((rc = hand_over(ps, 1)) < 0)
		return rc;
	stop_worker(ps);
	put_be32(count, (uint32_t)ps->n);
	if (pwrite(ps->fd, count, 4, 8) != 4)
		return gt_error_errno(GT_EFAIL, "cannot write the pack");
	/* the checksum covers the header, known only now: read it all back
	 * (from the page cache), as git fast-import does */
	gt_sha1_init(&sha);
	gt_buf_reset(&ps->in);
	gt_buf_grow(&ps->in, JOB_BYTES);
	while (at < ps->written) {
		size_t want = ps->written - at < JOB_BYTES ? (size_t)(ps->written - at) : JOB_BYTES;
		ssize_t r = pread(ps->fd, ps->in.ptr, want, (off_t)at);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return gt_error_errno(GT_EFAIL, "cannot read back the pack");
		gt_sha1_update(&sha, ps->in.ptr, (size_t)r);
		at += (size_t)r;
	}
	gt_sha1_final(&sha, sum);
	if (gt_write_all(ps->fd, sum, sizeof(sum)) < 0)
		return gt_error_errno(GT_EFAIL, "cannot write the pack");
	gt_buf_release(&ps->in);
	free(ps->slots); /* the entries are sorted for the index: no lookups after this */
	ps->slots = NULL;
	ps->nslots = 0;
	rc = install(ps->objdir, &ps->tmp, ps->fd, ps->e, ps->n, sum, name);
	ps->fd = -1;
	return rc;
}

void gt_packstream_free(struct gt_packstream *ps)
{
	if (!ps)
		return;
	stop_worker(ps);
	if (ps->fd >= 0)
		close(ps->fd);
	if (ps->tmp.len)
		unlink(ps->tmp.ptr);
	if (ps->zok)
		deflateEnd(&ps->z);
	for (int i = 0; i < 2; i++) {
		gt_buf_release(&ps->job[i].raw);
		free(ps->job[i].o);
	}
	pthread_mutex_destroy(&ps->mu);
	pthread_cond_destroy(&ps->cv);
	gt_buf_release(&ps->tmp);
	gt_buf_release(&ps->out);
	gt_buf_release(&ps->in);
	free(ps->objdir);
	free(ps->e);
	free(ps->slots);
	free(ps);
}

/* ---- packs concatenated ---- */

/* Check the start of a version 2 pack index, len bytes of it at p (at
 * least need), and take its count of objects (the last fan-out entry). */
static int idx_head(const unsigned char *p, size_t len, size_t need, const char *path,
		    uint32_t *count)
{
	if (len < need || memcmp(p, "\377tOc", 4) || get_be32(p + 4) != 2)
		return gt_error_set(GT_EFAIL, "'%s' is not a version 2 pack index", path);
	*count = get_be32(p + 8 + 255 * 4);
	return 0;
}

int gt_pack_idx_count(const char *path, uint32_t *count)
{
	unsigned char head[8 + 1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : pread(fd, head, sizeof(head), 0);

	if (fd >= 0)
		close(fd);
	if (got < 0)
		return gt_error_errno(GT_EFAIL, "cannot read '%s'", path);
	return idx_head(head, (size_t)got, sizeof(head), path, count);
}

int gt_pack_idx_read(struct gt_buf *data, const char *path, uint32_t *count)
{
	gt_buf_reset(data);
	if (gt_read_file(data, path) < 0)
		return GT_EFAIL;
	if (idx_head((const unsigned char *)data->ptr, data->len, 8 + 1024 + 40, path, count) < 0)
		return GT_EFAIL;
	/* ids, CRCs and offsets, then the two checksums */
	if ((data->len - 8 - 1024 - 40) / 28 < *count)
		return gt_error_set(GT_EFAIL, "'%s' is cut short", path);
	return 0;
}

/* The entries of the version 2 index at path, their offsets moved by
 * base - 12 (the pack's header), appended to *e; *count: how many. */
static int idx_entries(const char *path, uint64_t base, struct ient **e, size_t *n, size_t *alloc,
		       uint32_t *count)
{
	struct gt_buf d = GT_BUF_INIT;
	const unsigned char *p, *ids, *crcs, *offs, *large;
	int rc;

	if ((rc = gt_pack_idx_read(&d, path, count)) < 0)
		goto out;
	p = (const unsigned char *)d.ptr;
	ids = p + 8 + 1024;
	crcs = ids + (size_t)*count * GIT_OID_RAWSZ;
	offs = crcs + (size_t)*count * 4;
	large = offs + (size_t)*count * 4;
	for (uint32_t i = 0; i < *count; i++) {
		uint32_t o = get_be32(offs + (size_t)i * 4);
		uint64_t off = o;
		struct ient *x;

		if (o & 0x80000000u) {
			size_t k = o & 0x7fffffffu;

			if ((size_t)(large - p) + (k + 1) * 8 + 40 > d.len) {
				rc = gt_error_set(GT_EFAIL, "'%s' is cut short", path);
				goto out;
			}
			off = (uint64_t)get_be32(large + k * 8) << 32 | get_be32(large + k * 8 + 4);
		}
		if (off < 12) {
			rc = gt_error_set(GT_EFAIL, "'%s' has a bad offset", path);
			goto out;
		}
		GT_ALLOC_GROW(*e, *n + 1, *alloc);
		x = &(*e)[(*n)++];
		git_oid_fromraw(&x->id, ids + (size_t)i * GIT_OID_RAWSZ);
		x->crc = get_be32(crcs + (size_t)i * 4);
		x->off = off - 12 + base;
	}
out:
	gt_buf_release(&d);
	return rc;
}

/* Copy the objects of the pack at path (count of them, its header and
 * trailer checked) to fd, hashing them into sha. */
static int copy_objects(int fd, const char *path, uint32_t count, struct gt_sha1 *sha,
			uint64_t *copied)
{
	unsigned char head[12], *buf = gt_malloc(1 << 16), sum[20], trailer[20];
	struct gt_sha1 own;
	struct stat st;
	uint64_t left;
	int in = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (in < 0 || fstat(in, &st) < 0 || st.st_size < 32 || gt_read_full(in, head, 12) != 12 ||
	    memcmp(head, "PACK", 4) || get_be32(head + 8) != count) {
		rc = gt_error_errno(GT_EFAIL, "cannot read the pack '%s'", path);
		goto out;
	}
	gt_sha1_init(&own);
	gt_sha1_update(&own, head, 12);
	left = (uint64_t)st.st_size - 32;
	*copied = left;
	while (left && !rc) {
		size_t k = left < (1 << 16) ? (size_t)left : (1 << 16);

		if (gt_read_full(in, buf, k) != (ssize_t)k)
			rc = gt_error_errno(GT_EFAIL, "cannot read the pack '%s'", path);
		else if (gt_write_all(fd, buf, k) < 0)
			rc = gt_error_errno(GT_EFAIL, "cannot write the pack");
		gt_sha1_update(&own, buf, k);
		gt_sha1_update(sha, buf, k);
		left -= k;
	}
	if (!rc) {
		gt_sha1_final(&own, sum);
		if (gt_read_full(in, trailer, 20) != 20 || memcmp(sum, trailer, 20))
			rc = gt_error_set(GT_EFAIL, "the pack '%s' does not match its checksum",
					  path);
	}
out:
	if (in >= 0)
		close(in);
	free(buf);
	return rc;
}

int gt_pack_concat(const char *objdir, const char *const *packs, size_t npacks,
		   char name[GIT_OID_HEXSZ + 1])
{
	struct gt_buf path = GT_BUF_INIT, tpack = GT_BUF_INIT;
	struct ient *e = NULL;
	size_t n = 0, alloc = 0;
	uint32_t *counts = gt_calloc(npacks ? npacks : 1, sizeof(*counts));
	unsigned char head[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 }, sum[20];
	struct gt_sha1 sha;
	uint64_t base = 12;
	int pfd = -1, rc = 0;

	/* every index first: the new offsets, and whether an object is twice */
	for (size_t i = 0; i < npacks && !rc; i++) {
		struct stat st;

		gt_buf_reset(&path);
		gt_buf_printf(&path, "%s.pack", packs[i]);
		if (stat(path.ptr, &st) < 0 || st.st_size < 32) {
			rc = gt_error_errno(GT_EFAIL, "cannot read the pack '%s'", path.ptr);
			break;
		}
		gt_buf_reset(&path);
		gt_buf_printf(&path, "%s.idx", packs[i]);
		rc = idx_entries(path.ptr, base, &e, &n, &alloc, &counts[i]);
		base += (uint64_t)st.st_size - 32;
	}
	if (rc)
		goto out;
	if (n > UINT32_MAX) {
		rc = gt_error_set(GT_EFAIL, "pack: too many objects");
		goto out;
	}
	/* by id (each keeps its new offset): an object twice is side by side */
	if (n)
		qsort(e, n, sizeof(*e), ient_cmp);
	for (size_t i = 1; i < n; i++)
		if (!git_oid_cmp(&e[i - 1].id, &e[i].id)) {
			rc = 1;
			goto out;
		}
	if ((pfd = tmp_file(&tpack, objdir, "pack")) < 0) {
		rc = GT_EFAIL;
		goto out;
	}
	put_be32(head + 8, (uint32_t)n);
	gt_sha1_init(&sha);
	gt_sha1_update(&sha, head, sizeof(head));
	if (gt_write_all(pfd, head, sizeof(head)) < 0)
		rc = gt_error_errno(GT_EFAIL, "cannot write the pack");
	for (size_t i = 0; i < npacks && !rc; i++) {
		uint64_t copied;

		gt_buf_reset(&path);
		gt_buf_printf(&path, "%s.pack", packs[i]);
		rc = copy_objects(pfd, path.ptr, counts[i], &sha, &copied);
	}
	if (!rc) {
		gt_sha1_final(&sha, sum);
		if (gt_write_all(pfd, sum, sizeof(sum)) < 0)
			rc = gt_error_errno(GT_EFAIL, "cannot write the pack");
	}
	if (rc)
		goto out;
	rc = install(objdir, &tpack, pfd, e, n, sum, name);
	pfd = -1;
out:
	if (pfd >= 0)
		close(pfd);
	if (tpack.len)
		unlink(tpack.ptr);
	gt_buf_release(&tpack);
	gt_buf_release(&path);
	free(e);
	free(counts);
	return rc;
}
