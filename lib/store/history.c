/*
 * history.c - the history index (history.h).
 *
 * The file <gt-dir>/index/history.idx, in host byte order (the header
 * says which; another order, version or record size means "rebuild"):
 * a 72-byte header, then 72-byte records.
 *
 *   header  "GTHIST01", u32 version, u32 record size, u32 byte order,
 *           u32 zero, u64 check of the 24 bytes before it, 40 zero bytes
 *   bead    u8 key[8] (the first bytes of SHA-256 of the bead id),
 *           u8 commit[20], u8 old[20], u8 new[20] (the bead's blob in
 *           the first parent and in the commit, zero when absent),
 *           u32 TAG_BEAD
 *   marker  u64 check, u8 tip[20], 40 zero bytes, u32 TAG_MARK
 *
 * (Version 1 had no blob ids: a bead's log then read the root and shard
 * trees of every commit that changed it and of its parent.)
 *
 * A batch is the records of the commits reachable from its tip and not
 * from the tip before it, oldest first in topological order (a commit
 * after its parents, each commit's records together), closed by its
 * marker; batches follow each other oldest first, so the file read
 * backwards never has a commit after one of its ancestors.  Every commit
 * reachable from the last tip is in exactly one batch, so the file never
 * names a commit that is not in that tip's history.
 *
 * The check: a running 64-bit state starts at the header's check and
 * takes in each record (a marker with its check field zero); a marker
 * holds the state after itself.  A reader goes from the start and stops
 * at the first record that is incomplete, of no known kind, or a marker
 * whose check fails: what lies before the last good marker is trusted,
 * the rest is a tail that the next appender cuts.  A tail torn by a
 * killed appender and a batch half read while another process appends
 * look the same and are both ignored; damage in the middle costs the
 * batches after it, which the next append walks again.
 *
 * An appender with nothing to look up (maintenance) reads only the last
 * batch, from the end, and trusts it if its marker checks (scan_tail):
 * a million commits make a 32 MB file, and a torn tail is all an
 * appender can leave.  Damage further back is then found by the next
 * reader, which starts from the beginning and appends again from there.
 *
 * Writers of the index take index/history.lock (never the ledger's
 * lock): they append after the trusted part, or write a new file beside
 * and rename it over the old one, so a reader never sees a trusted byte
 * change under it.
 *
 * What a commit changed: its "beads" tree against its first parent's,
 * top-down, entries merged by name in tree order, descending only into
 * subtrees whose ids differ; any file "<id>.json" that differs, appears
 * or disappears at any depth names bead <id> (so both shard layouts of
 * gt-ledger(5) work, and a commit that moves files between layouts names
 * them all: harmless, readers check).  Memory is one tree per level on
 * each side, whatever the size of the change, and the shards kept for
 * the next commit (struct shard_memo).
 */
#include "store/history.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/lock.h"
#include "base/map.h"
#include "base/options.h"
#include "base/progress.h"
#include "base/sha256.h"
#include "store/repo.h"
#include "base/banned.h"

#define MAGIC	  "GTHIST01"
#define VERSION	  2u
#define REC	  72
#define ENDIAN	  0x01020304u
#define TAG_BEAD  0x44414542u
#define TAG_MARK  0x4b52414du
#define CHUNK	  (REC * 1024) /* bytes read or written at a time: whole records */
#define MAX_DEPTH 16	       /* of trees below beads/ */
/* Bead records in a batch, about: a long walk (a rebuild) closes a batch
 * after this many at the next commit that can be a tip (below), so that
 * the last batch, which every reader checks, stays small.  GT_HISTORY_
 * BATCH overrides it (tests). */
#define BATCH_RECS 4096
/* How long a reader waits for another that is bringing the index up to
 * date, before walking the history itself. */
#define LOCK_WAIT_MS 30000

struct rec {
	unsigned char key[8];
	unsigned char oid[GIT_OID_RAWSZ];
	unsigned char old[GIT_OID_RAWSZ], now[GIT_OID_RAWSZ];
	uint32_t tag;
};

struct hdr {
	char magic[8];
	uint32_t version, rec_size, endian, zero;
	uint64_t check;
	unsigned char reserved[REC - 32];
};

_Static_assert(sizeof(struct rec) == REC, "a record is 72 bytes");
_Static_assert(sizeof(struct hdr) == REC, "the header is one record long");

static uint64_t mix(uint64_t s, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, b + i, 8);
		s = (s ^ w) * 0x9e3779b97f4a7c15ull;
		s ^= s >> 31;
	}
	return s;
}

/* The state after record r (a marker counted with its check zero): its
 * nine words folded by independent multiplications, then one step of
 * the chain, so that the chain costs one dependent step per record. */
static uint64_t mix_rec(uint64_t s, const struct rec *r)
{
	static const uint64_t k[REC / 8] = {
		0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull,
		0x85ebca77c2b2ae63ull, 0x27d4eb2f165667c5ull, 0xff51afd7ed558ccdull,
		0xc4ceb9fe1a85ec53ull, 0x94d049bb133111ebull, 0xbf58476d1ce4e5b9ull,
	};
	uint64_t w[REC / 8], acc = 0;

	memcpy(w, r, sizeof(w));
	if (r->tag == TAG_MARK)
		w[0] = 0;
	for (size_t i = 0; i < REC / 8; i++)
		acc += w[i] * k[i];
	s = (s ^ acc ^ (acc >> 29)) * 0xff51afd7ed558ccdull;
	return s ^ (s >> 32);
}

/* Take record r into the running check *s: 0 for a bead's, 1 for a
 * marker that holds, -1 for a marker that does not or a record of no
 * known kind (where what can be trusted ends). */
static int take_rec(uint64_t *s, const struct rec *r)
{
	uint64_t check;

	if (r->tag != TAG_BEAD && r->tag != TAG_MARK)
		return -1;
	*s = mix_rec(*s, r);
	if (r->tag == TAG_BEAD)
		return 0;
	memcpy(&check, r->key, sizeof(check));
	return check == *s ? 1 : -1;
}

static void hdr_make(struct hdr *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, MAGIC, 8);
	h->version = VERSION;
	h->rec_size = REC;
	h->endian = ENDIAN;
	h->check = mix(0x6874736968746700ull, h, offsetof(struct hdr, check));
}

static void key_of(unsigned char key[8], const char *id, size_t len)
{
	unsigned char d[32];

	gt_sha256(d, id, len);
	memcpy(key, d, 8);
}

static void index_file(struct gt_buf *p, struct gt_ledger *lg, const char *name)
{
	gt_repo_runtime_path(p, lg->repo, name, 0);
}

/* ---- reading ---- */

struct scan {
	int has_tip;	/* a marker holds: the trusted part ends after it */
	git_oid tip;	/* the last trusted marker's */
	uint64_t valid; /* bytes trusted (0: the header is not ours) */
	uint64_t state; /* the check after them */
	uint32_t batches;
	const unsigned char *key;    /* collect the records of this key (or NULL) */
	int checked;		     /* read the whole file through the check */
	struct gt_history_hit *hits; /* its records in file order, trusted ones only */
	size_t nhits, ahits;
};

static void scan_reset(struct scan *sc)
{
	sc->has_tip = 0;
	sc->valid = sc->state = 0;
	sc->batches = 0;
	sc->nhits = 0;
}

/* Record r, of sc->key, as one of its hits. */
static void add_hit(struct scan *sc, const struct rec *r)
{
	struct gt_history_hit *x;

	GT_ALLOC_GROW(sc->hits, sc->nhits + 1, sc->ahits);
	x = &sc->hits[sc->nhits++];
	memcpy(x->commit.id, r->oid, GIT_OID_RAWSZ);
	memcpy(x->old.id, r->old, GIT_OID_RAWSZ);
	memcpy(x->now.id, r->now, GIT_OID_RAWSZ);
	x->exact = 1;
}

/* Read the file at path into sc (see the top of this file).  A missing
 * file or one that is not ours is not an error: sc->valid is then 0. */
static int scan_file(struct scan *sc, const char *path)
{
	char *buf = NULL;
	struct hdr h, want;
	uint64_t pos = REC, s;
	size_t committed = 0;
	int fd, rc = 0, stop = 0;
	ssize_t n;

	scan_reset(sc);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		return gt_error_errno(GT_EFAIL, "cannot read '%s'", path);
	}
	hdr_make(&want);
	n = gt_read_full(fd, (char *)&h, sizeof(h));
	if (n < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot read '%s'", path);
		goto out;
	}
	if (n != (ssize_t)sizeof(h) || memcmp(&h, &want, sizeof(h)))
		goto out;
	sc->valid = pos;
	sc->state = s = h.check;
	buf = gt_malloc(CHUNK);
	while (!stop && (n = gt_read_full(fd, buf, CHUNK)) > 0) {
		for (size_t off = 0; off + REC <= (size_t)n && !stop; off += REC, pos += REC) {
			struct rec r;

			memcpy(&r, buf + off, REC);
			switch (take_rec(&s, &r)) {
			case 0:
				if (sc->key && !memcmp(r.key, sc->key, sizeof(r.key)))
					add_hit(sc, &r);
				break;
			case 1:
				sc->has_tip = 1;
				memcpy(sc->tip.id, r.oid, GIT_OID_RAWSZ);
				sc->valid = pos + REC;
				sc->state = s;
				sc->batches++;
				committed = sc->nhits;
				break;
			default: stop = 1;
			}
		}
		if ((size_t)n < CHUNK) /* the end, maybe inside a record */
			break;
	}
	if (n < 0)
		rc = gt_error_errno(GT_EFAIL, "cannot read '%s'", path);
	sc->nhits = committed;
out:
	free(buf);
	close(fd);
	return rc;
}

/*
 * What an appender needs (sc without a key), read from the end: the last
 * marker and the one before it (or the header), and the records between
 * checked against the last marker's check.  A writer only ever appends,
 * and a torn tail is what follows the last good marker, so a batch that
 * checks is trusted without reading the file from its start (32 MB at a
 * million commits).  Anything else (no marker, a bad check, a record of
 * no known kind in the last batch) is left to scan_file().  1 when sc is
 * filled, 0 when the whole file must be read, or GT_EFAIL.
 */
static int scan_tail(struct scan *sc, const char *path)
{
	struct hdr h, want;
	struct rec r;
	char *buf = NULL;
	uint64_t end, at, last = 0, prev = 0, s;
	int fd, found = 0, rc = 0;

	scan_reset(sc);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 1 : gt_error_errno(GT_EFAIL, "cannot read '%s'", path);
	hdr_make(&want);
	if (gt_read_full(fd, (char *)&h, sizeof(h)) != (ssize_t)sizeof(h) ||
	    memcmp(&h, &want, sizeof(h)) || (end = (uint64_t)lseek(fd, 0, SEEK_END)) < REC)
		goto out;
	end -= (end - REC) % REC; /* whole records only */
	buf = gt_malloc(CHUNK);
	/* the last two markers, from the end a chunk at a time (prev stays
	 * 0: the header) */
	for (at = end; at > REC && found < 2;) {
		uint64_t from = at - REC > CHUNK ? at - CHUNK : REC;
		size_t len = (size_t)(at - from);

		if (pread(fd, buf, len, (off_t)from) != (ssize_t)len)
			goto out;
		for (size_t k = len; k >= REC && found < 2; k -= REC) {
			memcpy(&r, buf + k - REC, REC);
			if (r.tag != TAG_MARK)
				continue;
			if (!found++)
				last = from + k - REC;
			else
				prev = from + k - REC;
		}
		at = from;
	}
	if (!found)
		goto out;
	if (prev) {
		if (pread(fd, &r, REC, (off_t)prev) != REC)
			goto out;
		memcpy(&s, r.key, sizeof(s));
	} else {
		s = h.check;
	}
	/* the last batch, checked, a chunk at a time */
	for (at = prev ? prev + REC : REC; at <= last;) {
		size_t len = last + REC - at > CHUNK ? CHUNK : (size_t)(last + REC - at);

		if (pread(fd, buf, len, (off_t)at) != (ssize_t)len)
			goto out;
		for (size_t k = 0; k < len; k += REC, at += REC) {
			int kind;

			memcpy(&r, buf + k, REC);
			if ((kind = take_rec(&s, &r)) < 0 || (kind && at != last))
				goto out;
		}
	}
	sc->has_tip = 1;
	memcpy(sc->tip.id, r.oid, GIT_OID_RAWSZ);
	sc->valid = last + REC;
	sc->state = s;
	rc = 1;
out:
	free(buf);
	close(fd);
	return rc;
}

/*
 * The records of sc->key in the part scan_tail() trusts, read without the
 * check: a bead's records chain (each holds the blob before and after,
 * history.h), so a record damaged or lost in the middle breaks the chain
 * its reader follows, which then asks for the checked read.  1 when sc
 * is filled, 0 when a record of no known kind calls for scan_file(), or
 * GT_EFAIL.
 */
static int collect(struct scan *sc, const char *path)
{
	const unsigned char *map, *r;
	struct stat st;
	struct rec rec;
	uint64_t want;
	int fd, rc = 1;

	if (sc->valid <= REC)
		return 1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return gt_error_errno(GT_EFAIL, "cannot read '%s'", path);
	/* mapped, not copied: the file in place never gets shorter (see
	 * append()), and one put in its place leaves this one as it is */
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < sc->valid) {
		close(fd);
		return 0; /* replaced meanwhile: read it all, checked */
	}
	map = mmap(NULL, (size_t)sc->valid, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return gt_error_errno(GT_EFAIL, "cannot read '%s'", path);
	memcpy(&want, sc->key, sizeof(want));
	for (r = map + REC; r < map + sc->valid; r += REC) {
		uint64_t key;
		uint32_t tag;

		/* the key first: a record of another bead is passed by, whatever
		 * else it holds (a damaged one matters to its own bead's reader) */
		memcpy(&key, r, sizeof(key));
		if (key != want)
			continue;
		memcpy(&tag, r + offsetof(struct rec, tag), sizeof(tag));
		if (tag == TAG_MARK) /* a marker's check that looks like the key */
			continue;
		if (tag != TAG_BEAD) {
			rc = 0;
			break;
		}
		memcpy(&rec, r, REC);
		add_hit(sc, &rec);
	}
	munmap((void *)map, (size_t)sc->valid);
	if (rc != 1)
		sc->nhits = 0;
	return rc;
}

/* scan_file() when sc->checked; otherwise the last batch checked from the
 * end (scan_tail()) and, for a reader of a key, its records collected
 * unchecked (collect()), when they can. */
static int scan(struct scan *sc, const char *path)
{
	int rc;

	if (!sc->checked && (rc = scan_tail(sc, path)) != 0) {
		if (rc > 0 && sc->key)
			rc = collect(sc, path);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
	return scan_file(sc, path);
}

/* ---- writing ---- */

struct writer {
	int fd;
	struct gt_buf buf;
	uint64_t state;
	int err;	   /* errno of the first failed write */
	size_t since_mark; /* bead records since the last marker */
	/* the commits walked (and the one hidden) that no other walked
	 * commit has as a parent */
	git_oid *heads;
	size_t nheads, aheads;
};

static void w_flush(struct writer *w)
{
	if (!w->err && w->buf.len && gt_write_all(w->fd, w->buf.ptr, w->buf.len) < 0)
		w->err = errno ? errno : EIO;
	gt_buf_reset(&w->buf);
}

static void w_put(struct writer *w, const unsigned char *key, const git_oid *oid,
		  const git_oid *old, const git_oid *now, uint32_t tag)
{
	struct rec r;

	memset(&r, 0, sizeof(r));
	if (key)
		memcpy(r.key, key, sizeof(r.key));
	memcpy(r.oid, oid->id, GIT_OID_RAWSZ);
	if (old)
		memcpy(r.old, old->id, GIT_OID_RAWSZ);
	if (now)
		memcpy(r.now, now->id, GIT_OID_RAWSZ);
	r.tag = tag;
	w->since_mark = tag == TAG_MARK ? 0 : w->since_mark + 1;
	w->state = mix_rec(w->state, &r);
	if (tag == TAG_MARK)
		memcpy(r.key, &w->state, sizeof(r.key));
	gt_buf_add(&w->buf, &r, sizeof(r));
	if (w->buf.len >= CHUNK)
		w_flush(w);
}

/* ---- what a commit changed ---- */

/*
 * The trees right below beads/ (the shards) as the commits walked so far
 * left them, by name.  Walking oldest first, the old side of a shard a
 * commit changed is, on linear history, what the commit before made: kept
 * here, each version of a shard is read from the pack once (through its
 * delta chain), not twice.  Checked by id, so any order is right; huge
 * shards are not kept, so memory stays bounded.
 */
#define MEMO_MAX_ENTRIES 1024

struct shard_memo {
	char *name;
	git_tree *tree;
};

struct differ {
	git_repository *git;
	struct writer *w;
	const git_oid *commit;
	size_t records;
	struct gt_map shards; /* name -> struct shard_memo */
};

/* A record for file name, its blob old before and now after (NULL:
 * absent on that side). */
static void emit_name(struct differ *d, const char *name, const git_oid *old, const git_oid *now)
{
	size_t len = strlen(name);
	unsigned char key[8];

	if (len <= 5 || memcmp(name + len - 5, ".json", 5))
		return;
	key_of(key, name, len - 5);
	w_put(d->w, key, d->commit, old, now, TAG_BEAD);
	d->records++;
}

static int kind(const git_tree_entry *e)
{
	if (!e)
		return 0;
	switch (git_tree_entry_type(e)) {
	case GIT_OBJECT_BLOB: return 1;
	case GIT_OBJECT_TREE: return 2;
	default: return 0;
	}
}

static int diff_trees(struct differ *d, const git_tree *a, const git_tree *b, int depth);

static int lookup(git_tree **t, struct differ *d, const git_tree_entry *e)
{
	if (git_tree_lookup(t, d->git, git_tree_entry_id(e)) < 0)
		return gt_error_git(GT_EFAIL, "cannot read ledger tree %s",
				    git_oid_tostr_s(git_tree_entry_id(e)));
	return 0;
}

/* The tree of entry e, a shard (depth 0) from the memo when it is there. */
static int lookup_at(git_tree **t, struct differ *d, const git_tree_entry *e, int depth)
{
	const struct shard_memo *sm = depth ? NULL : gt_map_get(&d->shards, git_tree_entry_name(e));

	if (sm && sm->tree && !git_oid_cmp(git_tree_id(sm->tree), git_tree_entry_id(e)) &&
	    git_object_dup((git_object **)t, (git_object *)sm->tree) == 0)
		return 0;
	return lookup(t, d, e);
}

/* Shard name is tree t now (NULL: gone, or not a tree). */
static void remember(struct differ *d, const char *name, git_tree *t)
{
	struct shard_memo *sm = gt_map_get(&d->shards, name);

	if (!sm && !t)
		return;
	if (!sm) {
		sm = gt_calloc(1, sizeof(*sm));
		sm->name = gt_strdup(name);
		gt_map_put(&d->shards, sm->name, sm);
	}
	git_tree_free(sm->tree);
	sm->tree = NULL;
	if (t && git_tree_entrycount(t) <= MEMO_MAX_ENTRIES &&
	    git_object_dup((git_object **)&sm->tree, (git_object *)t) < 0)
		sm->tree = NULL;
}

static void memo_release(struct differ *d)
{
	struct gt_map_entry *e;

	for (size_t i = 0; gt_map_next(&d->shards, &i, &e);) {
		struct shard_memo *sm = e->value;

		git_tree_free(sm->tree);
		free(sm->name);
		free(sm);
	}
	gt_map_release(&d->shards);
}

/* oe in the old tree became ne in the new one (either may be NULL) */
static int diff_entry(struct differ *d, const git_tree_entry *oe, const git_tree_entry *ne,
		      int depth)
{
	int ok = kind(oe), nk = kind(ne), rc = 0;
	git_tree *a = NULL, *b = NULL;

	if (depth > MAX_DEPTH)
		return 0;
	if (ok == 2 && (rc = lookup_at(&a, d, oe, depth)) < 0)
		return rc;
	if (nk == 2 && (rc = lookup_at(&b, d, ne, depth)) < 0) {
		git_tree_free(a);
		return rc;
	}
	if (a || b) /* a tree on either side: all of it, against the other */
		rc = diff_trees(d, a, b, depth + 1);
	if (!depth && !rc)
		remember(d, git_tree_entry_name(ne ? ne : oe), b);
	/* both files: paired by name, one record with both blobs */
	if (ok == 1 || nk == 1)
		emit_name(d, git_tree_entry_name(ok == 1 ? oe : ne),
			  ok == 1 ? git_tree_entry_id(oe) : NULL,
			  nk == 1 ? git_tree_entry_id(ne) : NULL);
	git_tree_free(a);
	git_tree_free(b);
	return rc;
}

/* git's order of tree entries: a tree's name compares as if it ended in '/' */
static int entry_cmp(const git_tree_entry *x, const git_tree_entry *y)
{
	const char *a = git_tree_entry_name(x), *b = git_tree_entry_name(y);
	size_t la = strlen(a), lb = strlen(b), l = la < lb ? la : lb;
	int c = memcmp(a, b, l);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = l < la ? (unsigned char)a[l] : kind(x) == 2 ? '/' : 0;
	cb = l < lb ? (unsigned char)b[l] : kind(y) == 2 ? '/' : 0;
	return (ca > cb) - (ca < cb);
}

/* The beads that differ between trees a and b (either may be NULL: empty),
 * merging their entries by name. */
static int diff_trees(struct differ *d, const git_tree *a, const git_tree *b, int depth)
{
	size_t na = a ? git_tree_entrycount(a) : 0, nb = b ? git_tree_entrycount(b) : 0;
	size_t i = 0, j = 0;
	int rc = 0;

	while (!rc && (i < na || j < nb)) {
		const git_tree_entry *oe = i < na ? git_tree_entry_byindex(a, i) : NULL;
		const git_tree_entry *ne = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		int c = !oe ? 1 : !ne ? -1 : entry_cmp(oe, ne);

		if (c < 0) {
			rc = diff_entry(d, oe, NULL, depth);
			i++;
		} else if (c > 0) {
			rc = diff_entry(d, NULL, ne, depth);
			j++;
		} else {
			if (git_oid_cmp(git_tree_entry_id(oe), git_tree_entry_id(ne)))
				rc = diff_entry(d, oe, ne, depth);
			i++;
			j++;
		}
	}
	return rc;
}

/* The "beads" tree of commit c in *out (NULL when it has none). */
static int beads_tree(git_tree **out, struct differ *d, const git_commit *c)
{
	git_tree *root;
	const git_tree_entry *e;
	int rc = 0;

	*out = NULL;
	if (git_commit_tree(&root, c) < 0)
		return gt_error_git(GT_EFAIL, "cannot read the tree of ledger commit %s",
				    git_oid_tostr_s(git_commit_id(c)));
	e = git_tree_entry_byname(root, "beads");
	if (kind(e) == 2)
		rc = lookup(out, d, e);
	git_tree_free(root);
	return rc;
}

/* The last commit walked and its beads tree: the next one's first parent,
 * on linear history. */
struct memo {
	git_oid commit;
	git_tree *beads;
	int has;
};

/* Records for what commit c changed against its first parent. */
static int commit_changes(struct differ *d, git_commit *c, struct memo *m)
{
	git_tree *now = NULL, *before = NULL;
	git_commit *p = NULL;
	int rc = 0;

	if ((rc = beads_tree(&now, d, c)) < 0)
		return rc;
	if (git_commit_parentcount(c) > 0) {
		if (m->has && !git_oid_cmp(&m->commit, git_commit_parent_id(c, 0))) {
			before = m->beads;
			m->beads = NULL;
		} else if (git_commit_parent(&p, c, 0) < 0) {
			rc = gt_error_git(GT_EFAIL, "cannot read a parent of ledger commit %s",
					  git_oid_tostr_s(git_commit_id(c)));
		} else {
			rc = beads_tree(&before, d, p);
		}
	}
	if (!rc && (!now || !before || git_oid_cmp(git_tree_id(now), git_tree_id(before))))
		rc = diff_trees(d, before, now, 0);
	git_tree_free(m->beads);
	m->beads = now;
	m->has = !rc;
	git_oid_cpy(&m->commit, git_commit_id(c));
	git_commit_free(p);
	git_tree_free(before);
	return rc;
}

static size_t batch_recs(void)
{
	static size_t n;
	const char *v = getenv("GT_HISTORY_BATCH");
	long k;

	if (!n)
		n = v && !gt_parse_long(v, 1, 1L << 30, &k) ? (size_t)k : BATCH_RECS;
	return n;
}

static void add_head(struct writer *w, const git_oid *id)
{
	GT_ALLOC_GROW(w->heads, w->nheads + 1, w->aheads);
	git_oid_cpy(&w->heads[w->nheads++], id);
}

static void drop_head(struct writer *w, const git_oid *id)
{
	for (size_t i = 0; i < w->nheads; i++)
		if (!git_oid_cmp(&w->heads[i], id)) {
			w->heads[i] = w->heads[--w->nheads];
			return;
		}
}

/*
 * Records for the commits reachable from lg->tip and not from hide (all
 * when hide is NULL), topologically, oldest first.  *met: some commit has
 * hide as a parent (hide is in the tip's history); *walked: commits seen.
 * Every commit's parents come before it, so the commits walked (with
 * hide) that no other walked commit has as a parent, the heads, are known
 * as it goes: where there is one, everything walked is in its history,
 * and a marker may name it, to close a batch (batch_recs()).  progress
 * is told of each commit walked, of a total not known (the walk does not
 * count the commits first: that alone would read them all once more).
 */
static int walk(struct writer *w, struct gt_ledger *lg, const git_oid *hide, int *met,
		size_t *walked, const struct gt_progress *progress)
{
	struct differ d = { .git = lg->git, .w = w, .shards = GT_MAP_INIT };
	struct memo m = { .has = 0 };
	git_revwalk *rw = NULL;
	git_oid id;
	int rc = 0, err;

	*met = 0;
	*walked = 0;
	if (git_revwalk_new(&rw, lg->git) < 0 ||
	    git_revwalk_sorting(rw, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(rw, &lg->tip) < 0 || (hide && git_revwalk_hide(rw, hide) < 0)) {
		git_revwalk_free(rw);
		return gt_error_git(GT_EFAIL, "cannot walk the ledger history");
	}
	w->nheads = 0;
	if (hide) /* all that is indexed already: what it hid has one head */
		add_head(w, hide);
	while (!rc && (err = git_revwalk_next(&id, rw)) == 0) {
		git_commit *c;

		if (git_commit_lookup(&c, lg->git, &id) < 0) {
			rc = gt_error_git(GT_EFAIL, "cannot read ledger commit %s",
					  git_oid_tostr_s(&id));
			break;
		}
		for (unsigned i = 0; hide && !*met && i < git_commit_parentcount(c); i++)
			*met = !git_oid_cmp(git_commit_parent_id(c, i), hide);
		d.commit = &id;
		rc = commit_changes(&d, c, &m);
		/* a marker may name this commit when everything walked is in
		 * its history: then appending from it is right */
		for (unsigned i = 0; i < git_commit_parentcount(c); i++)
			drop_head(w, git_commit_parent_id(c, i));
		add_head(w, &id);
		if (!rc && w->nheads == 1 && w->since_mark >= batch_recs())
			w_put(w, NULL, &id, NULL, NULL, TAG_MARK);
		git_commit_free(c);
		(*walked)++;
		gt_progress_tell(progress, *walked, 0);
	}
	if (!rc && err != GIT_ITEROVER)
		rc = gt_error_git(GT_EFAIL, "cannot walk the ledger history");
	git_tree_free(m.beads);
	memo_release(&d);
	git_revwalk_free(rw);
	return rc;
}

/* Append a batch for the commits since sc's tip to the file at path.
 * *done: it was appended (sc's tip is in the tip's history); when it is
 * not, *walked says how many commits the walk met (none: the file's tip
 * is newer than lg->tip, which it covers already). */
static int append(struct gt_ledger *lg, const char *path, const struct scan *sc, int *done,
		  size_t *walked, const struct gt_progress *progress)
{
	struct writer w = { .buf = GT_BUF_INIT, .state = sc->state };
	struct gt_buf tmp = GT_BUF_INIT;
	struct stat st;
	int rc = 0, met = 0, src;

	*done = 0;
	*walked = 0;
	if ((w.fd = open(path, O_RDWR | O_CLOEXEC)) < 0 || fstat(w.fd, &st) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot open '%s'", path);
		goto out;
	}
	if ((uint64_t)st.st_size > sc->valid) {
		/* a torn or untrusted tail: the file in place never gets
		 * shorter (readers map it, collect()), so the trusted part is
		 * copied to a new file that takes its place */
		char *buf = gt_malloc(CHUNK);
		ssize_t n = 0;

		src = w.fd;
		gt_buf_printf(&tmp, "%s.tmp", path);
		if ((w.fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0)
			rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", tmp.ptr);
		for (uint64_t at = 0; !rc && at < sc->valid; at += (uint64_t)n) {
			size_t len = sc->valid - at > CHUNK ? CHUNK : (size_t)(sc->valid - at);

			if ((n = pread(src, buf, len, (off_t)at)) != (ssize_t)len ||
			    gt_write_all(w.fd, buf, len) < 0)
				rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", tmp.ptr);
		}
		free(buf);
		close(src);
		if (rc)
			goto out;
	} else if (lseek(w.fd, (off_t)sc->valid, SEEK_SET) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", path);
		goto out;
	}
	rc = walk(&w, lg, &sc->tip, &met, walked, progress);
	if (!rc && met) {
		w_put(&w, NULL, &lg->tip, NULL, NULL, TAG_MARK);
		w_flush(&w);
		if (w.err) {
			errno = w.err;
			rc = gt_error_errno(GT_EFAIL, "cannot write '%s'",
					    tmp.len ? tmp.ptr : path);
		}
		*done = !rc;
	}
	/* not done in place: what was written is a tail no reader trusts
	 * (or ends at a marker that holds, after records that are right), and
	 * the next append leaves it behind */
out:
	if (w.fd >= 0 && close(w.fd) < 0 && *done) {
		*done = 0;
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", tmp.len ? tmp.ptr : path);
	}
	if (tmp.len && *done && rename(tmp.ptr, path) < 0) {
		*done = 0;
		rc = gt_error_errno(GT_EFAIL, "cannot rename '%s'", tmp.ptr);
	}
	if (tmp.len && !*done)
		unlink(tmp.ptr);
	gt_buf_release(&w.buf);
	gt_buf_release(&tmp);
	free(w.heads);
	return rc;
}

/* Write the file at path anew: one batch for the whole history. */
static int rebuild(struct gt_ledger *lg, const char *path, const struct gt_progress *progress)
{
	struct writer w = { .buf = GT_BUF_INIT };
	struct gt_buf tmp = GT_BUF_INIT;
	struct hdr h;
	size_t walked;
	int rc, met;

	/* only the lock holder writes it: a fixed name, which also replaces
	 * what a killed rebuild left */
	gt_buf_printf(&tmp, "%s.tmp", path);
	if ((w.fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", tmp.ptr);
		gt_buf_release(&tmp);
		return rc;
	}
	hdr_make(&h);
	gt_buf_add(&w.buf, &h, sizeof(h));
	w.state = h.check;
	rc = walk(&w, lg, NULL, &met, &walked, progress);
	if (!rc) {
		w_put(&w, NULL, &lg->tip, NULL, NULL, TAG_MARK);
		w_flush(&w);
		if (w.err) {
			errno = w.err;
			rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", tmp.ptr);
		}
	}
	if (close(w.fd) < 0 && !rc)
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", tmp.ptr);
	if (!rc && rename(tmp.ptr, path) < 0)
		rc = gt_error_errno(GT_EFAIL, "cannot rename '%s'", tmp.ptr);
	if (rc)
		unlink(tmp.ptr);
	gt_buf_release(&w.buf);
	free(w.heads);
	gt_buf_release(&tmp);
	return rc;
}

/* sc: the file as it is, after bringing it up to lg->tip if it was not
 * (or as far as it is ahead of lg->tip already), progress told of the
 * commits walked (by a rebuild after an append that could not be done,
 * counted again from 0). */
static int up_to_date(struct scan *sc, struct gt_ledger *lg, int *rebuilt, long wait_ms,
		      const struct gt_progress *progress)
{
	struct gt_buf path = GT_BUF_INIT, lock = GT_BUF_INIT;
	int rc, fd = -1, done = 0;
	size_t walked = 0;

	if (rebuilt)
		*rebuilt = 0;
	index_file(&path, lg, "index/history.idx");
	if ((rc = scan(sc, path.ptr)) < 0 || (sc->has_tip && !git_oid_cmp(&sc->tip, &lg->tip)))
		goto out;
	if ((rc = gt_repo_runtime_path(&lock, lg->repo, "index/history.lock", 1)) < 0 ||
	    (rc = gt_lock_acquire(&fd, lock.ptr, wait_ms)) < 0)
		goto out;
	/* another reader may have done it while this one waited */
	if ((rc = scan(sc, path.ptr)) < 0 || (sc->has_tip && !git_oid_cmp(&sc->tip, &lg->tip)))
		goto out;
	if (sc->has_tip) {
		rc = append(lg, path.ptr, sc, &done, &walked, progress);
		if (!done && !rc && !walked) /* the file is ahead of lg->tip */
			done = 1;
		else if (!done)
			gt_error_clear(); /* rewritten history, a tip gone: start again */
	}
	if (!done) {
		if ((rc = rebuild(lg, path.ptr, progress)) < 0)
			goto out;
		if (rebuilt)
			*rebuilt = 1;
	}
	rc = scan(sc, path.ptr);
out:
	if (fd >= 0)
		gt_lock_release(fd);
	gt_buf_release(&path);
	gt_buf_release(&lock);
	return rc;
}

int gt_history_refresh(struct gt_ledger *lg, int *rebuilt, const struct gt_progress *progress)
{
	struct scan sc = { .key = NULL };

	if (rebuilt)
		*rebuilt = 0;
	if (!lg->has_tip)
		return 0;
	return up_to_date(&sc, lg, rebuilt, LOCK_WAIT_MS, progress);
}

int gt_history_refresh_unless_busy(struct gt_ledger *lg)
{
	struct scan sc = { .key = NULL };
	int rc;

	if (!lg->has_tip)
		return 0;
	rc = up_to_date(&sc, lg, NULL, 0, NULL);
	if (rc == GT_ETEMP) {
		gt_error_clear();
		return 1;
	}
	return rc;
}

static int oid_cmp(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

/* The commits reachable from `from` and not from lg->tip, when lg->tip
 * is in from's history (in *out, sorted); GT_EFAIL when it is not. */
static int newer_than_tip(git_oid **out, size_t *n, struct gt_ledger *lg, const git_oid *from)
{
	git_revwalk *rw = NULL;
	git_oid id;
	size_t a = 0;
	int met = 0, err;

	*out = NULL;
	*n = 0;
	if (git_revwalk_new(&rw, lg->git) < 0 || git_revwalk_push(rw, from) < 0 ||
	    git_revwalk_hide(rw, &lg->tip) < 0) {
		git_revwalk_free(rw);
		return gt_error_git(GT_EFAIL, "cannot walk the ledger history");
	}
	while ((err = git_revwalk_next(&id, rw)) == 0) {
		git_commit *c;

		if (git_commit_lookup(&c, lg->git, &id) < 0)
			break;
		for (unsigned i = 0; !met && i < git_commit_parentcount(c); i++)
			met = !git_oid_cmp(git_commit_parent_id(c, i), &lg->tip);
		git_commit_free(c);
		if (*n == a) {
			a = a ? 2 * a : 16;
			*out = gt_realloc(*out, a * sizeof(**out));
		}
		git_oid_cpy(&(*out)[(*n)++], &id);
	}
	git_revwalk_free(rw);
	if (!met) {
		free(*out);
		*out = NULL;
		*n = 0;
		return gt_error_set(GT_EFAIL, "the history index is not of this ledger's history");
	}
	qsort(*out, *n, sizeof(**out), oid_cmp);
	return 0;
}

int gt_history_commits(struct gt_history_hit **out, size_t *n, struct gt_ledger *lg, const char *id,
		       int checked, const struct gt_progress *progress)
{
	unsigned char key[8];
	struct scan sc = { .key = key, .checked = checked };
	git_oid *skip = NULL;
	size_t nskip = 0, k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (!lg->has_tip)
		return 0;
	key_of(key, id, strlen(id));
	if ((rc = up_to_date(&sc, lg, NULL, LOCK_WAIT_MS, progress)) < 0)
		goto out;
	if (!sc.has_tip) {
		rc = gt_error_set(GT_EFAIL, "the history index cannot be read");
		goto out;
	}
	/* ahead of lg->tip (another reader saw a newer tip): not the
	 * commits after it */
	if (git_oid_cmp(&sc.tip, &lg->tip) && (rc = newer_than_tip(&skip, &nskip, lg, &sc.tip)) < 0)
		goto out;
	*out = sc.nhits ? gt_malloc(sc.nhits * sizeof(**out)) : NULL;
	/* newest first: the file backwards (each batch is oldest first) */
	for (size_t i = sc.nhits; i-- > 0;) {
		const struct gt_history_hit *h = &sc.hits[i];

		if (k && !git_oid_cmp(&(*out)[k - 1].commit, &h->commit)) {
			(*out)[k - 1].exact = 0; /* one commit named the key twice */
			continue;
		}
		if (nskip && bsearch(&h->commit, skip, nskip, sizeof(*skip), oid_cmp))
			continue;
		(*out)[k++] = *h;
	}
	*n = k;
	if (!k) {
		free(*out);
		*out = NULL;
	}
out:
	free(sc.hits);
	free(skip);
	return rc;
}
