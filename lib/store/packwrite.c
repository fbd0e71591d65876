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
	if (deflateReset(z) != Z_OK)
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

static void put_be32(struct gt_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	gt_buf_add(b, x, 4);
}

/* The .idx for objects at offs, given the pack's checksum. */
static int build_idx(struct gt_buf *idx, struct pw *pw, const uint64_t *offs,
		     const unsigned char pack_sum[20])
{
	struct ient *e = gt_malloc((pw->n ? pw->n : 1) * sizeof(*e));
	static const unsigned char magic[8] = { 0xff, 't', 'O', 'c', 0, 0, 0, 2 };
	unsigned char sum[20];
	struct gt_sha1 sha;
	uint32_t fan[256] = { 0 }, nlarge = 0;

	for (size_t i = 0; i < pw->n; i++) {
		git_oid_cpy(&e[i].id, &pw->get(pw->ctx, i)->id);
		e[i].crc = pw->crc[i];
		e[i].off = offs[i];
	}
	qsort(e, pw->n, sizeof(*e), ient_cmp);
	for (size_t i = 0; i < pw->n; i++) {
		if (i && !git_oid_cmp(&e[i - 1].id, &e[i].id)) {
			free(e);
			return gt_error_set(GT_EFAIL, "pack: the same object twice");
		}
		fan[e[i].id.id[0]]++;
	}
	gt_buf_grow(idx, 8 + 1024 + pw->n * 28 + 40);
	gt_buf_add(idx, magic, sizeof(magic));
	for (uint32_t k = 0, total = 0; k < 256; k++) {
		total += fan[k];
		put_be32(idx, total);
	}
	for (size_t i = 0; i < pw->n; i++)
		gt_buf_add(idx, e[i].id.id, GIT_OID_RAWSZ);
	for (size_t i = 0; i < pw->n; i++)
		put_be32(idx, e[i].crc);
	for (size_t i = 0; i < pw->n; i++)
		put_be32(idx, e[i].off < 0x80000000u ? (uint32_t)e[i].off : 0x80000000u | nlarge++);
	for (size_t i = 0; i < pw->n; i++) {
		if (e[i].off < 0x80000000u)
			continue;
		put_be32(idx, (uint32_t)(e[i].off >> 32));
		put_be32(idx, (uint32_t)e[i].off);
	}
	gt_buf_add(idx, pack_sum, 20);
	gt_sha1_init(&sha);
	gt_sha1_update(&sha, idx->ptr, idx->len);
	gt_sha1_final(&sha, sum);
	gt_buf_add(idx, sum, 20);
	free(e);
	return 0;
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

	for (int i = 0; i < 4; i++)
		head[8 + i] = (unsigned char)(pw->n >> (24 - 8 * i));
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

int gt_pack_write(const char *objdir, gt_packobj_fn get, void *ctx, size_t n,
		  char name[GIT_OID_HEXSZ + 1])
{
	struct pw pw = { .get = get, .ctx = ctx, .n = n };
	struct gt_buf tpack = GT_BUF_INIT, tidx = GT_BUF_INIT, idx = GT_BUF_INIT, dst = GT_BUF_INIT;
	unsigned char sum[20];
	uint64_t *offs = NULL;
	int pfd = -1, ifd = -1, rc = 0;
	git_oid sum_id;

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
	if ((rc = write_pack(pfd, &pw, offs, sum)) < 0 ||
	    (rc = build_idx(&idx, &pw, offs, sum)) < 0)
		goto out;
	if ((ifd = tmp_file(&tidx, objdir, "idx")) < 0 || gt_write_all(ifd, idx.ptr, idx.len) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write the pack index");
		goto out;
	}
	if (fchmod(pfd, 0444) < 0 || fchmod(ifd, 0444) < 0 || close(pfd) < 0) {
		pfd = -1;
		rc = gt_error_errno(GT_EFAIL, "cannot write the pack");
		goto out;
	}
	pfd = -1;
	if (close(ifd) < 0) {
		ifd = -1;
		rc = gt_error_errno(GT_EFAIL, "cannot write the pack index");
		goto out;
	}
	ifd = -1;
	git_oid_fromraw(&sum_id, sum);
	git_oid_tostr(name, GIT_OID_HEXSZ + 1, &sum_id);
	gt_buf_printf(&dst, "%s/pack/pack-%s.pack", objdir, name);
	if (rename(tpack.ptr, dst.ptr) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot install '%s'", dst.ptr);
		goto out;
	}
	gt_buf_truncate(&dst, dst.len - 4);
	gt_buf_adds(&dst, "idx");
	if (rename(tidx.ptr, dst.ptr) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot install '%s'", dst.ptr);
		goto out;
	}
	gt_buf_reset(&tpack);
	gt_buf_reset(&tidx);
out:
	if (pfd >= 0)
		close(pfd);
	if (ifd >= 0)
		close(ifd);
	if (tpack.len)
		unlink(tpack.ptr);
	if (tidx.len)
		unlink(tidx.ptr);
	gt_buf_release(&tpack);
	gt_buf_release(&tidx);
	gt_buf_release(&idx);
	gt_buf_release(&dst);
	free(offs);
	free(pw.crc);
	free(pw.size);
	pthread_mutex_destroy(&pw.mu);
	pthread_cond_destroy(&pw.cv);
	return rc;
}
