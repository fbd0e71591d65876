/*
 * index.c - building, refreshing, saving and loading the query index.
 *
 * The file is the in-memory image: a header, then the record, edge, label
 * and vocabulary arrays, the string pool, the two orders, the dependents,
 * the counts, and last each record's blob id, in host byte order (the
 * header records the byte order and record size, and any mismatch means
 * "rebuild").  The arrays a patch appends to (edges, labels, vocabulary,
 * pool) and the part after them start on page boundaries, so loading can
 * map each at its place in one reserved stretch of address space with
 * room after it: a patch is then applied by copying only what it adds,
 * and queries touch the pages they need (the blob ids only of the beads
 * they print).
 *
 * Trust: a checksum over everything before the blob ids catches a damaged
 * file, and every offset in it is checked, but that reads the whole file,
 * which costs more than a query with a limit.  So a file is checked once:
 * the process that writes it, or the first that checks it, leaves a stamp
 * beside it naming the file (device, inode, size, times, checksum) and the
 * boot it was checked in.  A file that matches its stamp was written or
 * checked since the machine started, and is what was checked (a rewrite
 * changes its times or size); anything else, a crash that left garbage
 * included, is checked in full first.  A damaged blob id cannot show the
 * wrong bead, because whoever reads a bead by blob id checks the id
 * inside it.
 *
 * Refresh: the new index starts from the old string pool and vocabulary
 * (their offsets stay valid), copies the records of unchanged shards,
 * merges the old records of a changed shard with its new tree by name
 * (copying a record whose blob id did not change, parsing the blob
 * otherwise), then fixes edge targets: positions in changed shards are
 * remapped, and edges whose target was missing are looked up again if
 * the target's shard changed.  The orders are carried over (the old order
 * with the new positions, minus what was parsed again, merged with the
 * parsed records sorted), the rest derived again.  A refresh that only
 * changes beads in place writes a patch instead (see "the patch file").
 *
 * What a refresh reads: each changed shard tree whole (~200 KB at a
 * million beads in one level), except in a two-level tree, where only the
 * subtrees whose id changed are read, old and new (refresh_two_level).
 */
#include "store/index.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/jscan.h"
#include "base/map.h"
#include "store/bead.h"
#include "store/id.h"
#include "store/repo.h"
#include "base/banned.h"

#define MAGIC  "GTIDX07\n" /* 07: derived bits, orders, dependents, counts */
#define ENDIAN 0x01020304u

struct file_hdr {
	char magic[8];
	uint64_t checksum; /* of the bytes after this field, up to the blob ids */
	uint32_t endian;
	uint32_t rec_size;
	uint8_t beads_tree[GIT_OID_RAWSZ];
	uint32_t nrecs, nedges, nlabels, nvocab, pool_len;
	uint32_t pool_base; /* pool size after the last compaction */
	uint32_t nrev, ncounts;
	uint8_t shard_oid[256][GIT_OID_RAWSZ];
	uint32_t shard_start[257];
};

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)
#define PAGE	  4096
#define ALIGNP(x) (((x) + PAGE - 1) & ~(size_t)(PAGE - 1))

struct builder {
	struct gt_irec *recs;
	size_t nrecs, arecs;
	git_oid *oids; /* blob id per record */
	size_t aoids;
	uint32_t pool_base;
	struct gt_iedge *edges;
	size_t nedges, aedges;
	uint32_t *labels;
	size_t nlabels, alabels;
	struct gt_buf pool;
	uint32_t *vocab;
	size_t nvocab, avocab;
	struct gt_map vocab_map; /* key: pool string copy -> index + 1 */
	struct gt_map intern;	 /* key: owned copy -> offset + 1 */
	char **owned;
	size_t nowned, aowned;
	uint8_t *edge_new; /* per edge: needs resolving */
	size_t aedge_new;
	uint32_t *fresh; /* records parsed by this build */
	size_t nfresh, afresh;
	uint32_t shard_start[257];
	git_oid shard_oid[256];
	struct gt_buf tmp, tmp2;
	uint32_t parsed, shards;
	/* a patch builder appends after an existing index: the offsets its
	 * records use start where that index's arrays end (0 otherwise) */
	uint32_t off_pool, off_edges, off_labels, off_vocab;
};

static char *own(struct builder *b, const char *s)
{
	char *c = gt_strdup(s);

	GT_ALLOC_GROW(b->owned, b->nowned + 1, b->aowned);
	b->owned[b->nowned++] = c;
	return c;
}

static uint32_t pool_add(struct builder *b, const char *s, size_t len)
{
	uint32_t off = b->off_pool + (uint32_t)b->pool.len;

	gt_buf_add(&b->pool, s, len);
	gt_buf_addch(&b->pool, '\0');
	return off;
}

static uint32_t intern(struct builder *b, const char *s)
{
	void *v;
	uint32_t off;

	if (!*s)
		return 0;
	v = gt_map_get(&b->intern, s);
	if (v)
		return (uint32_t)((uintptr_t)v - 1);
	off = pool_add(b, s, strlen(s));
	gt_map_put(&b->intern, own(b, s), (void *)(uintptr_t)(off + 1));
	return off;
}

static uint16_t vocab(struct builder *b, const char *s)
{
	void *v = gt_map_get(&b->vocab_map, s);

	if (v)
		return (uint16_t)((uintptr_t)v - 1);
	if (b->off_vocab + b->nvocab >= 0xfffe)
		return 0; /* absurdly many distinct values: lump together */
	GT_ALLOC_GROW(b->vocab, b->nvocab + 1, b->avocab);
	b->vocab[b->nvocab] = pool_add(b, s, strlen(s));
	gt_map_put(&b->vocab_map, own(b, s), (void *)(uintptr_t)(b->off_vocab + b->nvocab + 1));
	return (uint16_t)(b->off_vocab + b->nvocab++);
}

static struct gt_irec *new_rec(struct builder *b, const git_oid *blob)
{
	GT_ALLOC_GROW(b->recs, b->nrecs + 1, b->arecs);
	GT_ALLOC_GROW(b->oids, b->nrecs + 1, b->aoids);
	memset(&b->recs[b->nrecs], 0, sizeof(b->recs[0]));
	git_oid_cpy(&b->oids[b->nrecs], blob);
	return &b->recs[b->nrecs++];
}

static struct gt_iedge *new_edge(struct builder *b, int needs_resolve)
{
	GT_ALLOC_GROW(b->edges, b->nedges + 1, b->aedges);
	GT_ALLOC_GROW(b->edge_new, b->nedges + 1, b->aedge_new);
	memset(&b->edges[b->nedges], 0, sizeof(b->edges[0]));
	b->edge_new[b->nedges] = (uint8_t)needs_resolve;
	return &b->edges[b->nedges++];
}

static void new_label(struct builder *b, uint32_t off)
{
	GT_ALLOC_GROW(b->labels, b->nlabels + 1, b->alabels);
	b->labels[b->nlabels++] = off;
}

/* s as an instant; 0 (the epoch) when s is empty or no time */
static struct gt_time time_of(const char *s)
{
	struct gt_time t = { 0, 0 };

	if (s && *s)
		(void)gt_time_parse_exact(&t, s); /* t stays 0 unless s parses */
	return t;
}

/* waits-for metadata: an object, or (Beads) a string holding JSON */
static void edge_metadata(struct builder *b, struct gt_iedge *e, struct gt_jscan *s)
{
	struct gt_jscan in;
	const char *k;
	size_t kl;
	int c = gt_jscan_peek(s);

	if (c == '"') {
		if (gt_jscan_string(s, &b->tmp2) < 0 || b->tmp2.len < 2)
			return;
		gt_jscan_init(&in, b->tmp2.ptr, b->tmp2.len);
	} else if (c == '{') {
		in = *s;
	} else {
		gt_jscan_skip(s);
		return;
	}
	if (gt_jscan_enter_object(&in) < 0)
		return;
	while (gt_jscan_next_member(&in, &k, &kl) == 1) {
		if (kl == 4 && !memcmp(k, "gate", 4) && gt_jscan_string(&in, &b->tmp) == 0)
			e->gate = !strcmp(b->tmp.ptr, "any-children");
		else if (kl == 10 && !memcmp(k, "spawner_id", 10) &&
			 gt_jscan_string(&in, &b->tmp) == 0)
			e->spawner = intern(b, b->tmp.ptr);
		else
			gt_jscan_skip(&in);
	}
	if (c == '{')
		*s = in;
}

static void parse_deps(struct builder *b, struct gt_irec *r, struct gt_jscan *s)
{
	if (gt_jscan_enter_array(s) < 0)
		return;
	while (gt_jscan_next_element(s) == 1 && !s->err) {
		struct gt_iedge *e;
		const char *k;
		size_t kl;

		if (gt_jscan_peek(s) != '{') {
			gt_jscan_skip(s);
			continue;
		}
		e = new_edge(b, 1);
		e->target = GT_IREF_NONE;
		e->type = vocab(b, "blocks");
		gt_jscan_enter_object(s);
		while (gt_jscan_next_member(s, &k, &kl) == 1) {
			if (kl == 13 && !memcmp(k, "depends_on_id", 13) &&
			    gt_jscan_string(s, &b->tmp) == 0)
				e->target_id = intern(b, b->tmp.ptr);
			else if (kl == 4 && !memcmp(k, "type", 4) &&
				 gt_jscan_string(s, &b->tmp) == 0)
				e->type = vocab(b, b->tmp.ptr);
			else if (kl == 8 && !memcmp(k, "metadata", 8))
				edge_metadata(b, e, s);
			else
				gt_jscan_skip(s);
		}
		if (!e->target_id) { /* not an edge we understand: drop it */
			b->nedges--;
			continue;
		}
		r->nedges++;
	}
}

static void parse_labels(struct builder *b, struct gt_irec *r, struct gt_jscan *s)
{
	if (gt_jscan_enter_array(s) < 0)
		return;
	while (gt_jscan_next_element(s) == 1 && !s->err) {
		if (gt_jscan_string(s, &b->tmp) < 0)
			continue;
		new_label(b, intern(b, b->tmp.ptr));
		r->nlabels++;
	}
}

#define KEY(lit) (kl == sizeof(lit) - 1 && !memcmp(k, lit, sizeof(lit) - 1))

/* One bead blob -> one record.  The id comes from the file name, so the
 * record order always matches the tree. */
static void parse_bead(struct builder *b, const git_oid *blob, const char *id, size_t idlen,
		       const char *data, size_t len)
{
	struct gt_irec *r = new_rec(b, blob);
	struct gt_jscan s;
	const char *k;
	size_t kl;

	GT_ALLOC_GROW(b->fresh, b->nfresh + 1, b->afresh);
	b->fresh[b->nfresh++] = (uint32_t)(b->nrecs - 1);
	r->id = pool_add(b, id, idlen);
	r->edges = b->off_edges + (uint32_t)b->nedges;
	r->labels = b->off_labels + (uint32_t)b->nlabels;
	r->priority = GT_PRIORITY_DEFAULT;
	r->status = vocab(b, "open");
	r->type = vocab(b, "task");
	r->derived = GT_ID_FRESH;
	b->parsed++;
	gt_jscan_init(&s, data, len);
	if (gt_jscan_enter_object(&s) < 0)
		return;
	while (!s.err && gt_jscan_next_member(&s, &k, &kl) == 1) {
		int64_t v;
		int f;

		if (KEY("status")) {
			if (gt_jscan_string(&s, &b->tmp) == 0 && b->tmp.len)
				r->status = vocab(b, b->tmp.ptr);
		} else if (KEY("issue_type")) {
			if (gt_jscan_string(&s, &b->tmp) == 0 && b->tmp.len)
				r->type = vocab(b, b->tmp.ptr);
		} else if (KEY("priority")) {
			if (gt_jscan_int(&s, &v) == 0)
				r->priority = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
		} else if (KEY("assignee")) {
			if (gt_jscan_string(&s, &b->tmp) == 0)
				r->assignee = intern(b, b->tmp.ptr);
		} else if (KEY("created_at")) {
			if (gt_jscan_string(&s, &b->tmp) == 0) {
				struct gt_time t = time_of(b->tmp.ptr);

				r->created = t.sec;
				r->created_ns = (uint32_t)t.nsec;
			}
		} else if (KEY("updated_at")) {
			if (gt_jscan_string(&s, &b->tmp) == 0)
				r->updated = time_of(b->tmp.ptr).sec;
		} else if (KEY("defer_until")) {
			if (gt_jscan_string(&s, &b->tmp) == 0) {
				struct gt_time t = time_of(b->tmp.ptr);

				r->defer_until = t.sec + (t.nsec > 0);
			}
		} else if (KEY("pinned") || KEY("ephemeral") || KEY("is_template")) {
			uint8_t flag = KEY("pinned")	  ? GT_IF_PINNED
				       : KEY("ephemeral") ? GT_IF_EPHEMERAL
							  : GT_IF_TEMPLATE;

			f = gt_jscan_bool(&s);
			if (f > 0)
				r->flags |= flag;
		} else if (KEY("labels")) {
			parse_labels(b, r, &s);
		} else if (KEY("dependencies")) {
			parse_deps(b, r, &s);
		} else {
			gt_jscan_skip(&s);
		}
	}
}

static void copy_rec(struct builder *b, const struct gt_index *old, uint32_t i)
{
	const struct gt_irec *o = &old->recs[i];
	struct gt_irec *r = new_rec(b, &old->oids[i]);

	*r = *o;
	r->edges = (uint32_t)b->nedges;
	r->labels = (uint32_t)b->nlabels;
	for (uint32_t e = 0; e < o->nedges; e++)
		*new_edge(b, 0) = old->edges[o->edges + e];
	for (uint32_t l = 0; l < o->nlabels; l++)
		new_label(b, old->labels[o->labels + l]);
}

/* Records [from, to) of old, whose edges and labels are contiguous in
 * record order, copied as three blocks. */
static void copy_range(struct builder *b, const struct gt_index *old, uint32_t from, uint32_t to)
{
	uint32_t e0, e1, l0, l1, n = to - from;

	if (!n)
		return;
	e0 = old->recs[from].edges;
	e1 = old->recs[to - 1].edges + old->recs[to - 1].nedges;
	l0 = old->recs[from].labels;
	l1 = old->recs[to - 1].labels + old->recs[to - 1].nlabels;
	for (uint32_t i = from + 1; i < to; i++) {
		const struct gt_irec *p = &old->recs[i - 1], *r = &old->recs[i];

		if (r->edges != p->edges + p->nedges || r->labels != p->labels + p->nlabels) {
			for (uint32_t k = from; k < to; k++) /* not contiguous: one by one */
				copy_rec(b, old, k);
			return;
		}
	}
	GT_ALLOC_GROW(b->recs, b->nrecs + n, b->arecs);
	GT_ALLOC_GROW(b->oids, b->nrecs + n, b->aoids);
	GT_ALLOC_GROW(b->edges, b->nedges + (e1 - e0), b->aedges);
	GT_ALLOC_GROW(b->edge_new, b->nedges + (e1 - e0), b->aedge_new);
	GT_ALLOC_GROW(b->labels, b->nlabels + (l1 - l0), b->alabels);
	memcpy(b->recs + b->nrecs, old->recs + from, n * sizeof(*b->recs));
	memcpy(b->oids + b->nrecs, old->oids + from, n * sizeof(*b->oids));
	for (uint32_t i = 0; i < n; i++) {
		b->recs[b->nrecs + i].edges += (uint32_t)b->nedges - e0;
		b->recs[b->nrecs + i].labels += (uint32_t)b->nlabels - l0;
	}
	memcpy(b->edges + b->nedges, old->edges + e0, (e1 - e0) * sizeof(*b->edges));
	memset(b->edge_new + b->nedges, 0, e1 - e0);
	memcpy(b->labels + b->nlabels, old->labels + l0, (l1 - l0) * sizeof(*b->labels));
	b->nrecs += n;
	b->nedges += e1 - e0;
	b->nlabels += l1 - l0;
}

/* One entry of a raw tree object: "<octal mode> <name>\0<20-byte id>". */
struct rawent {
	const char *name; /* NUL-terminated in the object */
	size_t len;
	unsigned mode;
	const git_oid *id;
};

/* 1 and the next entry, 0 at the end, -1 when the object is malformed */
static int raw_next(const char **p, const char *end, struct rawent *e)
{
	const char *q = *p, *nul;

	if (q >= end)
		return 0;
	e->mode = 0;
	for (; q < end && *q >= '0' && *q <= '7'; q++)
		e->mode = e->mode * 8 + (unsigned)(*q - '0');
	if (q >= end || *q != ' ')
		return -1;
	e->name = ++q;
	nul = memchr(q, '\0', (size_t)(end - q));
	if (!nul || end - nul < 1 + GIT_OID_RAWSZ)
		return -1;
	e->len = (size_t)(nul - q);
	e->id = (const git_oid *)(const void *)(nul + 1);
	*p = nul + 1 + GIT_OID_RAWSZ;
	return 1;
}

static int is_bead_file(const struct rawent *e)
{
	return (e->mode & 0170000) == 0100000 && e->len > 5 &&
	       !memcmp(e->name + e->len - 5, ".json", 5);
}

static int is_hex2(const struct rawent *e)
{
	return (e->mode & 0170000) == 0040000 && e->len == 2 && gt_hex_digit(e->name[0]) >= 0 &&
	       gt_hex_digit(e->name[1]) >= 0;
}

/*
 * The bead files of one shard, sorted by name: the *.json blobs of the
 * shard tree, and (a two-level ledger) those of its subtrees named by two
 * hex digits.  Each subtree is sorted, but together they are not, so they
 * are sorted once collected.  The names point into the tree objects kept
 * here until shard_release().
 */
struct shard {
	struct rawent *v;
	size_t n, alloc;
	git_odb_object **objs;
	size_t nobjs, aobjs;
};

static int rawent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rawent *)a)->name, ((const struct rawent *)b)->name);
}

static void shard_release(struct shard *sh)
{
	for (size_t i = 0; i < sh->nobjs; i++)
		git_odb_object_free(sh->objs[i]);
	free(sh->objs);
	free(sh->v);
	memset(sh, 0, sizeof(*sh));
}

static int shard_read(struct shard *sh, git_odb *odb, const git_oid *tree, const char *name,
		      int depth)
{
	git_odb_object *t;
	const char *p, *end;
	struct rawent e;
	int have, sub = 0;

	if (git_odb_read(&t, odb, tree) < 0)
		return gt_error_git(GT_EFAIL, "cannot read shard %s", name);
	GT_ALLOC_GROW(sh->objs, sh->nobjs + 1, sh->aobjs);
	sh->objs[sh->nobjs++] = t;
	if (git_odb_object_type(t) != GIT_OBJECT_TREE)
		return gt_error_set(GT_EFAIL, "shard %s: not a tree", name);
	p = git_odb_object_data(t);
	end = p + git_odb_object_size(t);
	while ((have = raw_next(&p, end, &e)) > 0) {
		if (is_bead_file(&e)) {
			GT_ALLOC_GROW(sh->v, sh->n + 1, sh->alloc);
			sh->v[sh->n++] = e;
		} else if (depth == 0 && is_hex2(&e)) {
			int rc = shard_read(sh, odb, e.id, name, 1);

			if (rc < 0)
				return rc;
			sub = 1;
		}
	}
	if (have < 0)
		return gt_error_set(GT_EFAIL, "shard %s: malformed tree", name);
	if (sub)
		qsort(sh->v, sh->n, sizeof(*sh->v), rawent_cmp);
	return 0;
}

static int parse_entry(struct builder *b, git_odb *odb, const struct rawent *e)
{
	git_odb_object *obj;

	if (git_odb_read(&obj, odb, e->id) < 0)
		return gt_error_git(GT_EFAIL, "cannot read bead '%s'", e->name);
	parse_bead(b, e->id, e->name, e->len - 5, git_odb_object_data(obj),
		   git_odb_object_size(obj));
	git_odb_object_free(obj);
	return 0;
}

static int cmp_id_name(const char *id, const char *name);

/* Copy old records [from, to) and note their new positions. */
static void copy_run(struct builder *b, const struct gt_index *old, uint32_t from, uint32_t to,
		     uint32_t ostart, uint32_t base, uint32_t *remap)
{
	uint32_t at = (uint32_t)b->nrecs - base;

	copy_range(b, old, from, to);
	for (uint32_t k = from; k < to; k++)
		remap[k - ostart] = at + (k - from);
}

/* Rebuild shard s from its bead files (sh, NULL for none), reusing old
 * records whose blob is unchanged (the old index knows each record's blob
 * id, so the old tree is not needed); runs of unchanged records are copied
 * as blocks.  remap[j] receives the new position of old position j. */
static int build_shard(struct builder *b, git_odb *odb, const struct gt_index *old, int s,
		       const struct shard *sh, uint32_t **remap)
{
	uint32_t base = (uint32_t)b->nrecs, ostart = 0, oend = 0, j, run = 0;
	size_t k = 0, n = sh ? sh->n : 0;
	int rc = 0, in_run = 0;

	*remap = NULL;
	b->shards++;
	if (old) {
		ostart = old->shard_start[s];
		oend = old->shard_start[s + 1];
	}
	if (oend > ostart)
		*remap = gt_malloc((oend - ostart) * sizeof(**remap));
	j = ostart;
	while ((k < n || j < oend) && !rc) {
		const struct rawent *e = k < n ? &sh->v[k] : NULL;
		size_t before;
		int cmp;

		cmp = !e ? 1 : j >= oend ? -1 : -cmp_id_name(old->pool + old->recs[j].id, e->name);
		if (cmp == 0 && !git_oid_cmp(e->id, &old->oids[j])) {
			if (!in_run) {
				run = j;
				in_run = 1;
			}
			j++;
			k++;
			continue;
		}
		if (in_run) {
			copy_run(b, old, run, j, ostart, base, *remap);
			in_run = 0;
		}
		if (cmp > 0) {
			(*remap)[j++ - ostart] = GT_IREF_NONE;
			continue;
		}
		before = b->nrecs;
		rc = parse_entry(b, odb, e);
		if (cmp == 0) {
			(*remap)[j - ostart] =
				b->nrecs > before ? (uint32_t)(before - base) : GT_IREF_NONE;
			j++;
		}
		k++;
	}
	if (in_run && !rc)
		copy_run(b, old, run, j, ostart, base, *remap);
	return rc;
}

/* git tree order of "<id>.json" against a tree entry name */
static int cmp_id_name(const char *id, const char *name)
{
	static const char sfx[] = ".json";
	int k = 0;

	for (;; id += *id ? 1 : 0, name++) {
		unsigned char ca = *id ? (unsigned char)*id : (unsigned char)sfx[k++];
		unsigned char cb = (unsigned char)*name;

		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (!ca)
			return 0;
	}
}

/* git tree order of "<a>.json" against "<b>.json" */
static int cmp_names(const char *a, const char *b)
{
	static const char sfx[] = ".json";
	const char *pa = a, *pb = b;
	int ia = 0, ib = 0;

	for (;;) {
		unsigned char ca = *pa ? (unsigned char)*pa : (unsigned char)sfx[ia];
		unsigned char cb = *pb ? (unsigned char)*pb : (unsigned char)sfx[ib];

		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (!ca)
			return 0;
		if (*pa)
			pa++;
		else
			ia++;
		if (*pb)
			pb++;
		else
			ib++;
	}
}

static int shard_of(const char *id)
{
	char hx[3];

	gt_bead_shard(hx, id);
	return (int)strtol(hx, NULL, 16);
}

static uint32_t find_in(const struct gt_irec *recs, const uint32_t *start, const char *pool,
			const char *id, uint32_t *pos_out)
{
	int s = shard_of(id);
	uint32_t lo = start[s], hi = start[s + 1];

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = cmp_names(pool + recs[mid].id, id);

		if (!c) {
			if (pos_out)
				*pos_out = ((uint32_t)s << 24) | (mid - start[s]);
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return GT_IREF_NONE;
}

static void fix_edges(struct builder *b, const uint8_t *changed, uint32_t **remap)
{
	for (size_t e = 0; e < b->nedges; e++) {
		struct gt_iedge *ed = &b->edges[e];
		const char *tid = b->pool.ptr + ed->target_id;
		uint32_t pos;

		if (ed->target != GT_IREF_NONE) {
			uint32_t s = ed->target >> 24;

			if (!changed[s])
				continue;
			ed->target = remap[s] ? remap[s][ed->target & 0xffffff] : GT_IREF_NONE;
			if (ed->target != GT_IREF_NONE) {
				ed->target |= s << 24;
				continue;
			}
		}
		if (!strncmp(tid, "external:", 9) || gt_id_check(tid) < 0) {
			gt_error_clear();
			continue;
		}
		if (!b->edge_new[e] && !changed[shard_of(tid)])
			continue;
		if (find_in(b->recs, b->shard_start, b->pool.ptr, tid, &pos) != GT_IREF_NONE)
			ed->target = pos;
	}
}

/* Strings of replaced records stay in the pool after a refresh; when they
 * outweigh the live ones, copy the live strings into a fresh pool. */
static void compact(struct builder *b)
{
	struct gt_buf np = GT_BUF_INIT;
	struct gt_map seen = GT_MAP_INIT;
	size_t live = 1;
	const char *op = b->pool.ptr;

	/* counting the live strings walks everything: only look when the
	 * pool has doubled since it was last compact */
	if (b->pool_base && b->pool.len <= 2 * (size_t)b->pool_base + 65536)
		return;

#define LIVE(off) (live += (off) ? strlen(op + (off)) + 1 : 0)
	for (size_t i = 0; i < b->nrecs; i++) {
		LIVE(b->recs[i].id);
		LIVE(b->recs[i].assignee);
	}
	for (size_t e = 0; e < b->nedges; e++) {
		LIVE(b->edges[e].target_id);
		LIVE(b->edges[e].spawner);
	}
	for (size_t l = 0; l < b->nlabels; l++)
		LIVE(b->labels[l]);
	for (size_t v = 0; v < b->nvocab; v++)
		LIVE(b->vocab[v]);
#undef LIVE
	if (b->pool.len <= 2 * live + 65536)
		return;
	b->pool_base = 0; /* set from the new pool below */
	gt_buf_addch(&np, '\0');
#define MOVE(field)                                                                 \
	do {                                                                        \
		if (field) {                                                        \
			const char *s_ = op + (field);                              \
			void *v_ = gt_map_get(&seen, s_);                           \
			if (v_) {                                                   \
				(field) = (uint32_t)((uintptr_t)v_ - 1);            \
			} else {                                                    \
				uint32_t o_ = (uint32_t)np.len;                     \
				gt_buf_add(&np, s_, strlen(s_) + 1);                \
				gt_map_put(&seen, s_, (void *)(uintptr_t)(o_ + 1)); \
				(field) = o_;                                       \
			}                                                           \
		}                                                                   \
	} while (0)
	for (size_t i = 0; i < b->nrecs; i++) {
		MOVE(b->recs[i].id);
		MOVE(b->recs[i].assignee);
	}
	for (size_t e = 0; e < b->nedges; e++) {
		MOVE(b->edges[e].target_id);
		MOVE(b->edges[e].spawner);
	}
	for (size_t l = 0; l < b->nlabels; l++)
		MOVE(b->labels[l]);
	for (size_t v = 0; v < b->nvocab; v++)
		MOVE(b->vocab[v]);
#undef MOVE
	gt_map_release(&seen);
	/* the intern map's values point into the old pool: start it afresh */
	gt_map_release(&b->intern);
	gt_buf_release(&b->pool);
	b->pool = np;
	b->pool_base = (uint32_t)np.len;
}

static void builder_release(struct builder *b)
{
	free(b->recs);
	free(b->oids);
	free(b->edges);
	free(b->labels);
	free(b->vocab);
	free(b->edge_new);
	free(b->fresh);
	gt_buf_release(&b->pool);
	gt_buf_release(&b->tmp);
	gt_buf_release(&b->tmp2);
	gt_map_release(&b->vocab_map);
	gt_map_release(&b->intern);
	for (size_t i = 0; i < b->nowned; i++)
		free(b->owned[i]);
	free(b->owned);
}

/* A Fletcher-style checksum (two running 64-bit sums of 32-bit words):
 * about 1 cycle per 4 bytes, enough to catch a damaged file.  It covers
 * the image after the checksum field, up to the blob ids.  Streaming, so
 * a file written in pieces is summed as it is written. */
struct csum {
	uint64_t a, b, len;
	unsigned char part[4];
	int np;
};

static void csum_init(struct csum *c)
{
	c->a = 1;
	c->b = 0;
	c->len = 0;
	c->np = 0;
}

static void csum_add(struct csum *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;

	c->len += len;
	while (c->np && i < len) {
		c->part[c->np++] = p[i++];
		if (c->np == 4) {
			uint32_t w;

			memcpy(&w, c->part, 4);
			c->a += w;
			c->b += c->a;
			c->np = 0;
		}
	}
	for (; i + 4 <= len; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, 4);
		c->a += w;
		c->b += c->a;
	}
	for (; i < len; i++)
		c->part[c->np++] = p[i];
}

static uint64_t csum_end(struct csum *c)
{
	for (int i = 0; i < c->np; i++) {
		c->a += c->part[i];
		c->b += c->a;
	}
	return (c->b << 1) ^ c->a ^ (c->len << 40);
}

static uint64_t checksum(const char *p, size_t len)
{
	struct csum c;

	csum_init(&c);
	csum_add(&c, p, len);
	return csum_end(&c);
}

#define CSUM_FROM (offsetof(struct file_hdr, checksum) + sizeof(uint64_t))

/* ---- what is derived: classes, blocked, dependents ---- */

uint8_t gt_index_status_class(const char *s)
{
	return !strcmp(s, "open")	 ? GT_CLS_OPEN
	       : !strcmp(s, "closed")	 ? GT_CLS_CLOSED
	       : !strcmp(s, "tombstone") ? GT_CLS_TOMBSTONE
	       : !strcmp(s, "pinned")	 ? GT_CLS_PINNED
					 : GT_CLS_OTHER;
}

/* vocabulary indexes of the edge types that matter (0xffff: none) */
struct vids {
	uint16_t blocks, cond, waits, parent;
};

static struct vids vids_of(const struct gt_index *idx)
{
	struct vids v = {
		gt_index_vocab_find(idx, "blocks"),
		gt_index_vocab_find(idx, "conditional-blocks"),
		gt_index_vocab_find(idx, "waits-for"),
		gt_index_vocab_find(idx, "parent-child"),
	};

	return v;
}

/* the class of every vocabulary entry, for entries added since */
static void ensure_cls(struct gt_index *idx)
{
	if (idx->cls && idx->ncls == idx->nvocab)
		return;
	idx->cls = gt_realloc(idx->cls, idx->nvocab ? idx->nvocab : 1);
	for (uint32_t v = idx->cls && idx->ncls <= idx->nvocab ? idx->ncls : 0; v < idx->nvocab;
	     v++)
		idx->cls[v] = gt_index_status_class(idx->pool + idx->vocab[v]);
	idx->ncls = idx->nvocab;
}

#define STOPS (GT_CLS_CLOSED | GT_CLS_TOMBSTONE | GT_CLS_PINNED)

static int blocking_target(const struct gt_index *idx, uint32_t t)
{
	return t != GT_IREF_NONE && !(gt_index_class(idx, t) & STOPS);
}

/* the record a waits-for edge waits on: its spawner, else its target */
static uint32_t spawner_of(const struct gt_index *idx, const struct gt_iedge *e)
{
	return e->spawner ? gt_index_find(idx, idx->pool + e->spawner)
			  : gt_index_ref(idx, e->target);
}

/* Children of p (records with a parent-child edge to it, counted per
 * edge) still pending and done, for waits-for gates. */
struct kids {
	uint32_t pending, done;
};

struct collect {
	uint32_t *v;
	size_t n, alloc;
};

static int collect_one(uint32_t src, void *arg)
{
	struct collect *c = arg;

	GT_ALLOC_GROW(c->v, c->n + 1, c->alloc);
	c->v[c->n++] = src;
	return 0;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* the dependents of rec, each once, sorted */
static void dependents(struct collect *c, const struct gt_index *idx, uint32_t rec)
{
	size_t k = 0;

	c->n = 0;
	gt_index_each_dependent(idx, rec, collect_one, c);
	if (c->n > 1) /* c->v is NULL while nothing was collected */
		qsort(c->v, c->n, sizeof(*c->v), u32_cmp);
	for (size_t i = 0; i < c->n; i++)
		if (!i || c->v[i] != c->v[i - 1])
			c->v[k++] = c->v[i];
	c->n = k;
}

static struct kids kids_of(const struct gt_index *idx, uint16_t parent_t, uint32_t p)
{
	struct kids k = { 0, 0 };
	struct collect c = { 0 };

	dependents(&c, idx, p);
	for (size_t i = 0; i < c.n; i++) {
		const struct gt_irec *r = &idx->recs[c.v[i]];
		uint8_t cls = gt_index_class(idx, c.v[i]);

		for (uint32_t e = 0; e < r->nedges; e++) {
			const struct gt_iedge *ed = &idx->edges[r->edges + e];

			if (ed->type != parent_t || gt_index_ref(idx, ed->target) != p)
				continue;
			if (cls & (GT_CLS_CLOSED | GT_CLS_TOMBSTONE))
				k.done++;
			else if (!(cls & GT_CLS_PINNED))
				k.pending++;
		}
	}
	free(c.v);
	return k;
}

/* The children counts of every record, in one pass (a full derivation). */
struct all_kids {
	uint32_t *pending, *done;
};

static int waits_blocks(const struct gt_index *idx, const struct vids *v,
			const struct all_kids *all, const struct gt_iedge *e)
{
	uint32_t s = spawner_of(idx, e);
	struct kids k;

	if (s == GT_IREF_NONE || v->parent == 0xffff)
		return 0;
	if (all) {
		if (!all->pending)
			return 0;
		k.pending = all->pending[s];
		k.done = all->done[s];
	} else {
		k = kids_of(idx, v->parent, s);
	}
	if (!k.pending)
		return 0;
	return !(e->gate == 1 && k.done > 0);
}

static int edge_blocks(const struct gt_index *idx, const struct vids *v, const struct all_kids *all,
		       const struct gt_iedge *e)
{
	if (e->type == v->blocks || e->type == v->cond)
		return blocking_target(idx, gt_index_ref(idx, e->target));
	return e->type == v->waits && waits_blocks(idx, v, all, e);
}

int gt_index_edge_blocks(const struct gt_index *idx, const struct gt_iedge *e)
{
	struct vids v = vids_of(idx);

	return edge_blocks(idx, &v, NULL, e);
}

static int direct_block(const struct gt_index *idx, const struct vids *v,
			const struct all_kids *all, uint32_t r)
{
	const struct gt_irec *rec = &idx->recs[r];

	for (uint32_t k = 0; k < rec->nedges; k++)
		if (edge_blocks(idx, v, all, &idx->edges[rec->edges + k]))
			return 1;
	return 0;
}

/*
 * Whether r is blocked, given which records block by their own edges
 * (GT_ID_DIRECT).  The rule, loops included: r is blocked when r or any
 * bead reachable from it over parent-child edges (its parent, the
 * parent's parent, ...) is blocked by its own edges.  So the answer never
 * depends on which bead is asked about first, and a parent-child loop
 * blocks nothing by itself.  (Edges that block directly need no such
 * care: a bead that blocks on itself, or on a bead that blocks on it,
 * waits for an open bead like any other, and stays blocked until one of
 * the loop is closed.)
 *
 * A depth-first walk up the parents, on its own stack so that no chain is
 * too long.  A blocked bead found blocks every bead on the stack (each one
 * reaches it) and every bead left pending (each reaches one on the stack).
 * A bead found not blocked is pending when its walk met a bead still on
 * the stack below it: the answer leans on one not known yet.  It is
 * settled, with the pending beads above it, once the walk has left every
 * bead it met.  state: 0 unknown, 1 on the stack, 2 not blocked,
 * 3 blocked, 4 pending.  A partial derivation (only set) walks only the
 * records it marks (M_R); every other record is settled by its bit.
 */
#define M_S 1 /* a seed: its own edges may block differently now */
#define M_D 2 /* blocks by its own edges differently, or new parents */
#define M_R 4 /* to be walked again */
#define M_T 8 /* touched: its old bits are kept */

struct frame {
	uint32_t r, k; /* the bead, its next edge */
	size_t low;    /* lowest stack position met (SIZE_MAX: none) */
	size_t mark;   /* pending beads before this one's walk */
};

struct walk {
	struct gt_index *idx;
	uint16_t parent;
	uint8_t *state;
	const uint8_t *only; /* partial: the records walked (M_R) */
	struct frame *st;
	size_t n, alloc;
	uint32_t *pending;
	size_t npending, apending;
};

static uint8_t st_of(const struct walk *w, uint32_t r)
{
	if (w->only && !(w->only[r] & M_R))
		return (w->idx->recs[r].derived & GT_ID_BLOCKED) ? 3 : 2;
	return w->state[r];
}

static int walk_push(struct walk *w, uint32_t r)
{
	GT_ALLOC_GROW(w->st, w->n + 1, w->alloc);
	w->st[w->n++] = (struct frame){ r, 0, SIZE_MAX, w->npending };
	w->state[r] = 1;
	return (w->idx->recs[r].derived & GT_ID_DIRECT) != 0;
}

/* the top of the stack has no blocked parent */
static void walk_pop(struct walk *w)
{
	struct frame *f = &w->st[--w->n];

	if (f->low >= w->n) { /* met nothing below it: settled */
		w->state[f->r] = 2;
		for (size_t i = f->mark; i < w->npending; i++)
			w->state[w->pending[i]] = 2;
		w->npending = f->mark;
		return;
	}
	w->state[f->r] = 4;
	GT_ALLOC_GROW(w->pending, w->npending + 1, w->apending);
	w->pending[w->npending++] = f->r;
	if (f->low < w->st[w->n - 1].low)
		w->st[w->n - 1].low = f->low;
}

static void walk_blocked(struct walk *w, uint32_t r)
{
	const struct gt_index *idx = w->idx;
	int res;

	w->n = w->npending = 0;
	res = walk_push(w, r);
	while (w->n && !res) {
		struct frame *f = &w->st[w->n - 1];
		const struct gt_irec *rec = &idx->recs[f->r];
		uint32_t p = GT_IREF_NONE;
		uint8_t s = 0;

		while (p == GT_IREF_NONE && f->k < rec->nedges) {
			const struct gt_iedge *e = &idx->edges[rec->edges + f->k++];

			if (e->type != w->parent ||
			    (p = gt_index_ref(idx, e->target)) == GT_IREF_NONE)
				continue;
			s = st_of(w, p);
			if (s == 1) { /* a loop back down the stack */
				for (size_t i = 0; i < w->n; i++)
					if (i < f->low && w->st[i].r == p)
						f->low = i;
			} else if (s == 4) { /* leans on the stack: say the bottom */
				f->low = 0;
			}
			if (s == 1 || s == 2 || s == 4)
				p = GT_IREF_NONE;
		}
		if (p == GT_IREF_NONE)
			walk_pop(w);
		else if (s == 3)
			res = 1;
		else
			res = walk_push(w, p);
	}
	for (size_t i = 0; res && i < w->n; i++)
		w->state[w->st[i].r] = 3;
	for (size_t i = 0; res && i < w->npending; i++)
		w->state[w->pending[i]] = 3;
}

static void walk_release(struct walk *w)
{
	free(w->st);
	free(w->pending);
}

/* Every record's derived bits, from nothing. */
static void derive_all(struct gt_index *idx)
{
	struct vids v = vids_of(idx);
	struct all_kids all = { NULL, NULL };
	struct walk w;
	uint32_t n = idx->nrecs;

	ensure_cls(idx);
	/* children per parent, for waits-for gates (only if any exist) */
	if (v.waits != 0xffff && v.parent != 0xffff) {
		all.pending = gt_calloc(n ? n : 1, sizeof(uint32_t));
		all.done = gt_calloc(n ? n : 1, sizeof(uint32_t));
		for (uint32_t r = 0; r < n; r++) {
			const struct gt_irec *rec = &idx->recs[r];
			uint8_t c = gt_index_class(idx, r);

			for (uint32_t k = 0; k < rec->nedges; k++) {
				const struct gt_iedge *e = &idx->edges[rec->edges + k];
				uint32_t p;

				if (e->type != v.parent)
					continue;
				p = gt_index_ref(idx, e->target);
				if (p == GT_IREF_NONE)
					continue;
				if (c & (GT_CLS_CLOSED | GT_CLS_TOMBSTONE))
					all.done[p]++;
				else if (!(c & GT_CLS_PINNED))
					all.pending[p]++;
			}
		}
	}
	for (uint32_t r = 0; r < n; r++)
		idx->recs[r].derived = direct_block(idx, &v, &all, r) ? GT_ID_DIRECT : 0;
	memset(&w, 0, sizeof(w));
	w.idx = idx;
	w.parent = v.parent;
	w.state = gt_calloc(n ? n : 1, 1);
	for (uint32_t r = 0; r < n; r++)
		if (!w.state[r])
			walk_blocked(&w, r);
	for (uint32_t r = 0; r < n; r++)
		if (w.state[r] == 3)
			idx->recs[r].derived |= GT_ID_BLOCKED;
	walk_release(&w);
	free(w.state);
	free(all.pending);
	free(all.done);
}

/* The dependents of every record: rev[rev_start[t] .. rev_start[t + 1])
 * are the records with an edge to t (or naming it as a waits-for
 * spawner), once per edge.  A counting sort: two passes over the edges. */
static void build_rev(const struct gt_index *idx, uint32_t **start_out, uint32_t **rev_out,
		      uint32_t *nrev)
{
	uint16_t waits = gt_index_vocab_find(idx, "waits-for");
	uint32_t n = idx->nrecs, *start = gt_calloc((size_t)n + 2, sizeof(uint32_t)), *rev = NULL;

	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t r = 0; r < n; r++) {
			const struct gt_irec *rec = &idx->recs[r];

			for (uint32_t k = 0; k < rec->nedges; k++) {
				const struct gt_iedge *e = &idx->edges[rec->edges + k];
				uint32_t t = gt_index_ref(idx, e->target), sp = GT_IREF_NONE;

				if (e->type == waits && e->spawner)
					sp = gt_index_find(idx, idx->pool + e->spawner);
				if (t != GT_IREF_NONE) {
					if (pass)
						rev[start[t + 1]++] = r;
					else
						start[t + 2]++;
				}
				if (sp != GT_IREF_NONE && sp != t) {
					if (pass)
						rev[start[sp + 1]++] = r;
					else
						start[sp + 2]++;
				}
			}
		}
		if (!pass) {
			for (uint32_t i = 2; i <= n + 1; i++)
				start[i] += start[i - 1];
			rev = gt_malloc((start[n + 1] ? start[n + 1] : 1) * sizeof(*rev));
		}
	}
	*start_out = start;
	*rev_out = rev;
	*nrev = start[n];
}

static uint32_t lower_pair(const struct gt_ipair *p, uint32_t n, uint32_t key)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (p[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int gt_index_each_dependent(const struct gt_index *idx, uint32_t rec,
			    int (*fn)(uint32_t src, void *arg), void *arg)
{
	int rc;

	if (rec >= idx->nrecs)
		return 0;
	/* the base's, but not those of records the patch replaced: their
	 * edges now are in the patch's pairs */
	for (uint32_t i = idx->rev_start[rec]; i < idx->rev_start[rec + 1]; i++)
		if (!(idx->recs[idx->rev[i]].derived & GT_ID_PATCHED) &&
		    (rc = fn(idx->rev[i], arg)))
			return rc;
	for (uint32_t i = lower_pair(idx->pairs, idx->npairs, rec);
	     i < idx->npairs && idx->pairs[i].key == rec; i++)
		if ((rc = fn(idx->pairs[i].src, arg)))
			return rc;
	return 0;
}

/* ---- orders ---- */

static int cmp_created(const struct gt_irec *a, const struct gt_irec *b)
{
	if (a->created != b->created)
		return a->created < b->created ? -1 : 1;
	return a->created_ns < b->created_ns ? -1 : a->created_ns > b->created_ns;
}

int gt_index_order_cmp(const struct gt_index *idx, int order, uint32_t a, uint32_t b)
{
	const struct gt_irec *x = &idx->recs[a], *y = &idx->recs[b];
	int c;

	if (order == GT_ORDER_PRIORITY) {
		if (x->priority != y->priority)
			return x->priority < y->priority ? -1 : 1;
		c = -cmp_created(x, y); /* newest first */
	} else {
		c = cmp_created(x, y);
	}
	return c ? c : strcmp(idx->pool + x->id, idx->pool + y->id);
}

static const struct gt_index *sort_idx;
static int sort_order;

static int sort_cmp(const void *a, const void *b)
{
	return gt_index_order_cmp(sort_idx, sort_order, *(const uint32_t *)a, *(const uint32_t *)b);
}

static void sort_order_of(const struct gt_index *idx, int order, uint32_t *v, size_t n)
{
	sort_idx = idx;
	sort_order = order;
	qsort(v, n, sizeof(*v), sort_cmp);
}

void gt_index_order_init(struct gt_iorder *it, const struct gt_index *idx, int order, int reverse)
{
	it->idx = idx;
	it->order = order;
	it->reverse = reverse;
	it->i = reverse ? idx->nrecs : 0;
	it->j = reverse ? idx->npby : 0;
	it->run = 0;
}

/* The first position k >= from of the base's order (by[order]) whose
 * first record not replaced by the patch, at k or after, comes after y;
 * idx->nrecs when none does.  A replaced record holds its new values, so
 * each probe looks past those. */
static uint32_t run_end(const struct gt_index *idx, int order, uint32_t from, uint32_t y)
{
	const uint32_t *a = idx->by[order];
	uint32_t lo = from, hi = idx->nrecs;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, k = mid;

		while (k < hi && (idx->recs[a[k]].derived & GT_ID_PATCHED))
			k++;
		if (k < hi && gt_index_order_cmp(idx, order, a[k], y) < 0)
			lo = k + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The base's order without the records the patch replaced, merged with
 * the patch's order of them. */
uint32_t gt_index_order_next(struct gt_iorder *it)
{
	const struct gt_index *idx = it->idx;
	const uint32_t *a = idx->by[it->order], *b = idx->pby[it->order];
	uint32_t x, y;

	if (!idx->npby) /* no patch: the base's order as it is */
		return it->reverse ? (it->i > 0 ? a[--it->i] : GT_IREF_NONE)
				   : (it->i < idx->nrecs ? a[it->i++] : GT_IREF_NONE);
	if (!it->reverse) {
		/* the base's records before run come before the patch's next:
		 * found by a binary search, so a long walk compares only where
		 * the two orders meet */
		if (it->i >= it->run && it->j < idx->npby)
			it->run = run_end(idx, it->order, it->i, b[it->j]);
		else if (it->j >= idx->npby)
			it->run = idx->nrecs;
		while (it->i < it->run && (idx->recs[a[it->i]].derived & GT_ID_PATCHED))
			it->i++;
		if (it->i < it->run)
			return a[it->i++];
		if (it->j < idx->npby)
			return b[it->j++];
		return GT_IREF_NONE;
	}
	while (it->i > 0 && (idx->recs[a[it->i - 1]].derived & GT_ID_PATCHED))
		it->i--;
	x = it->i > 0 ? a[it->i - 1] : GT_IREF_NONE;
	y = it->j > 0 ? b[it->j - 1] : GT_IREF_NONE;
	if (y == GT_IREF_NONE ||
	    (x != GT_IREF_NONE && gt_index_order_cmp(idx, it->order, x, y) > 0)) {
		it->i -= x != GT_IREF_NONE;
		return x;
	}
	it->j--;
	return y;
}

void gt_index_order_seek(struct gt_iorder *it, int p)
{
	const struct gt_index *idx = it->idx;
	const uint32_t *a = idx->by[GT_ORDER_PRIORITY], *b = idx->pby[GT_ORDER_PRIORITY];
	uint32_t lo = it->i, hi = idx->nrecs;

	if (it->order != GT_ORDER_PRIORITY || it->reverse)
		return;
	/* the base's order, where a replaced record holds its new values:
	 * each probe looks at the first record not replaced from there */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2, k = mid;

		while (k < hi && (idx->recs[a[k]].derived & GT_ID_PATCHED))
			k++;
		if (k < hi && idx->recs[a[k]].priority < p)
			lo = k + 1;
		else
			hi = mid;
	}
	it->i = lo;
	it->run = 0;
	lo = it->j;
	hi = idx->npby;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (idx->recs[b[mid]].priority < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	it->j = lo;
}

/* The order of a rebuilt index nw: the old index's order, with the
 * records carried over at their new places (map: old record -> new, or
 * GT_IREF_NONE for one gone or parsed again), merged with the records
 * parsed again (fresh), sorted.  Without an old index every record is
 * sorted. */
static uint32_t *order_of(const struct gt_index *nw, const struct gt_index *old,
			  const uint32_t *map, const uint32_t *fresh, size_t nfresh, int order)
{
	uint32_t n = nw->nrecs, *v = gt_malloc((n ? n : 1) * sizeof(*v)), *c, *f;
	size_t nc = 0, i = 0, j = 0, k = 0;
	struct gt_iorder it;
	uint32_t x;

	if (!old) {
		for (uint32_t r = 0; r < n; r++)
			v[r] = r;
		sort_order_of(nw, order, v, n);
		return v;
	}
	c = gt_malloc((n ? n : 1) * sizeof(*c));
	gt_index_order_init(&it, old, order, 0);
	while ((x = gt_index_order_next(&it)) != GT_IREF_NONE)
		if (map[x] != GT_IREF_NONE)
			c[nc++] = map[x];
	f = gt_malloc((nfresh ? nfresh : 1) * sizeof(*f));
	if (nfresh)
		memcpy(f, fresh, nfresh * sizeof(*f));
	sort_order_of(nw, order, f, nfresh);
	/* the few parsed ones into the many carried over, each at its place
	 * found by a binary search */
	for (; j < nfresh; j++) {
		size_t lo = i, hi = nc;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (gt_index_order_cmp(nw, order, c[mid], f[j]) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		memcpy(v + k, c + i, (lo - i) * sizeof(*v));
		k += lo - i;
		i = lo;
		v[k++] = f[j];
	}
	if (nc > i)
		memcpy(v + k, c + i, (nc - i) * sizeof(*v));
	free(c);
	free(f);
	return v;
}

/* Where each record of old is in the rebuilt nw (see order_of). */
static uint32_t *map_of(const struct gt_index *nw, const struct gt_index *old,
			const uint8_t *changed, uint32_t *const *remap)
{
	uint32_t *map = gt_malloc((old->nrecs ? old->nrecs : 1) * sizeof(*map));

	for (int s = 0; s < 256; s++) {
		uint32_t o0 = old->shard_start[s], o1 = old->shard_start[s + 1];
		uint32_t n0 = nw->shard_start[s];

		for (uint32_t x = o0; x < o1; x++) {
			uint32_t y = !changed[s] ? x - o0
				     : remap[s]	 ? remap[s][x - o0]
						 : GT_IREF_NONE;

			map[x] = y == GT_IREF_NONE || (nw->recs[n0 + y].derived & GT_ID_FRESH)
					 ? GT_IREF_NONE
					 : n0 + y;
		}
	}
	return map;
}

/* ---- counts ---- */

static uint64_t count_key(const struct gt_irec *r)
{
	return (uint64_t)r->status << 32 | (uint64_t)r->type << 16 | (uint8_t)(r->priority + 128);
}

/* a small open-addressing table of count keys */
struct ctab {
	uint64_t *keys; /* key + 1; 0 empty */
	int64_t *n;
	size_t cap, used;
};

static void ctab_add(struct ctab *t, uint64_t key, int64_t d)
{
	size_t i;

	if (2 * (t->used + 1) > t->cap) {
		struct ctab nt = { 0 };

		nt.cap = t->cap ? 2 * t->cap : 64;
		nt.keys = gt_calloc(nt.cap, sizeof(*nt.keys));
		nt.n = gt_calloc(nt.cap, sizeof(*nt.n));
		for (size_t k = 0; k < t->cap; k++)
			if (t->keys[k])
				ctab_add(&nt, t->keys[k] - 1, t->n[k]);
		free(t->keys);
		free(t->n);
		*t = nt;
	}
	i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (t->cap - 1);
	while (t->keys[i] && t->keys[i] != key + 1)
		i = (i + 1) & (t->cap - 1);
	if (!t->keys[i]) {
		t->keys[i] = key + 1;
		t->used++;
	}
	t->n[i] += d;
}

static int count_cmp(const void *a, const void *b)
{
	const struct gt_icount *x = a, *y = b;

	if (x->status != y->status)
		return x->status < y->status ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->priority < y->priority ? -1 : x->priority > y->priority;
}

/* the table as a sorted array, without empty entries */
static struct gt_icount *ctab_finish(struct ctab *t, uint32_t *n)
{
	struct gt_icount *v = gt_malloc((t->used ? t->used : 1) * sizeof(*v));
	uint32_t k = 0;

	for (size_t i = 0; i < t->cap; i++) {
		uint64_t key;

		if (!t->keys[i] || t->n[i] <= 0)
			continue;
		key = t->keys[i] - 1;
		v[k].status = (uint16_t)(key >> 32);
		v[k].type = (uint16_t)(key >> 16);
		v[k].priority = (int32_t)(key & 0xff) - 128;
		v[k++].n = (uint32_t)t->n[i];
	}
	qsort(v, k, sizeof(*v), count_cmp);
	free(t->keys);
	free(t->n);
	*n = k;
	return v;
}

static void ctab_add_counts(struct ctab *t, const struct gt_icount *c, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		ctab_add(t,
			 (uint64_t)c[i].status << 32 | (uint64_t)c[i].type << 16 |
				 (uint8_t)(c[i].priority + 128),
			 c[i].n);
}

/* ---- the file ---- */

struct layout {
	size_t recs, edges, labels, vocab, pool, tail, by0, by1, rev_start, rev, counts, oids,
		total;
};

static void layout_of(struct layout *l, const struct file_hdr *h)
{
	l->recs = ALIGN8(sizeof(struct file_hdr));
	l->edges = ALIGNP(l->recs + (size_t)h->nrecs * sizeof(struct gt_irec));
	l->labels = ALIGNP(l->edges + (size_t)h->nedges * sizeof(struct gt_iedge));
	l->vocab = ALIGNP(l->labels + (size_t)h->nlabels * sizeof(uint32_t));
	l->pool = ALIGNP(l->vocab + (size_t)h->nvocab * sizeof(uint32_t));
	l->tail = ALIGNP(l->pool + h->pool_len);
	l->by0 = l->tail;
	l->by1 = l->by0 + (size_t)h->nrecs * sizeof(uint32_t);
	l->rev_start = l->by1 + (size_t)h->nrecs * sizeof(uint32_t);
	l->rev = l->rev_start + ((size_t)h->nrecs + 1) * sizeof(uint32_t);
	l->counts = ALIGN8(l->rev + (size_t)h->nrev * sizeof(uint32_t));
	l->oids = ALIGN8(l->counts + (size_t)h->ncounts * sizeof(struct gt_icount));
	l->total = l->oids + (size_t)h->nrecs * sizeof(git_oid);
}

static const char zeros[PAGE];

/* The pieces of the file in order, with the zero padding between them;
 * the checksummed ones come first (*nsum of them). */
static int pieces(const struct gt_index *idx, struct iovec *v, int *nsum)
{
	struct layout l;
	size_t at;
	int n = 0;

	layout_of(&l, idx->hdr);
#define PIECE(ptr, len, start)                                                \
	do {                                                                  \
		if ((start) > at)                                             \
			v[n++] = (struct iovec){ (void *)zeros, (start)-at }; \
		v[n++] = (struct iovec){ (void *)(ptr), (len) };              \
		at = (start) + (len);                                         \
	} while (0)
	v[n++] = (struct iovec){ (void *)idx->hdr, sizeof(struct file_hdr) };
	at = sizeof(struct file_hdr);
	PIECE(idx->recs, idx->nrecs * sizeof(struct gt_irec), l.recs);
	PIECE(idx->edges, idx->nedges * sizeof(struct gt_iedge), l.edges);
	PIECE(idx->labels, idx->nlabels * sizeof(uint32_t), l.labels);
	PIECE(idx->vocab, idx->nvocab * sizeof(uint32_t), l.vocab);
	PIECE(idx->pool, idx->pool_len, l.pool);
	PIECE(idx->by[0], idx->nrecs * sizeof(uint32_t), l.by0);
	PIECE(idx->by[1], idx->nrecs * sizeof(uint32_t), l.by1);
	PIECE(idx->rev_start, ((size_t)idx->nrecs + 1) * sizeof(uint32_t), l.rev_start);
	PIECE(idx->rev, idx->nrev * sizeof(uint32_t), l.rev);
	PIECE(idx->counts, idx->ncounts * sizeof(struct gt_icount), l.counts);
	if (l.oids > at)
		v[n++] = (struct iovec){ (void *)zeros, l.oids - at };
	*nsum = n;
	v[n++] = (struct iovec){ (void *)idx->oids, idx->nrecs * sizeof(git_oid) };
#undef PIECE
	return n;
}

static void derive_rebuilt(struct gt_index *nw, const struct gt_index *old, const uint32_t *fresh,
			   size_t nfresh, const uint8_t *changed, uint32_t *const *remap);

/* The new index takes the builder's arrays as they are (no second copy),
 * derives the rest (the orders from old's where it can: order_of), makes
 * the header and sums the checksum over the pieces in file order. */
static void finish(struct gt_index *idx, struct builder *b, const git_oid *tree,
		   const struct gt_index *old, const uint8_t *changed, uint32_t *const *remap)
{
	struct file_hdr *h = gt_calloc(1, sizeof(*h));
	struct iovec v[40];
	struct ctab ct = { 0 };
	struct csum c;
	uint32_t *start, *rev, *map;
	int nsum;

	gt_index_release_mem(idx);
	idx->hdr = h;
	idx->recs = b->recs;
	idx->nrecs = (uint32_t)b->nrecs;
	idx->oids = b->oids;
	idx->edges = b->edges;
	idx->nedges = (uint32_t)b->nedges;
	idx->labels = b->labels;
	idx->nlabels = (uint32_t)b->nlabels;
	idx->vocab = b->vocab;
	idx->nvocab = (uint32_t)b->nvocab;
	idx->pool_len = (uint32_t)b->pool.len;
	idx->pool_base = b->pool_base ? b->pool_base : (uint32_t)b->pool.len;
	memcpy(idx->shard_start, b->shard_start, sizeof(idx->shard_start));
	git_oid_cpy(&idx->beads_tree, tree);
	for (int s = 0; s < 256; s++)
		git_oid_cpy(&idx->shard_oid[s], &b->shard_oid[s]);
	/* the index owns these now */
	idx->owned[0] = b->recs;
	idx->owned[1] = b->oids;
	idx->owned[2] = b->edges;
	idx->owned[3] = b->labels;
	idx->owned[4] = b->vocab;
	idx->owned[5] = gt_buf_detach(&b->pool);
	idx->pool = idx->owned[5];
	b->recs = NULL;
	b->oids = NULL;
	b->edges = NULL;
	b->labels = NULL;
	b->vocab = NULL;

	ensure_cls(idx);
	map = old ? map_of(idx, old, changed, remap) : NULL;
	for (int o = 0; o < 2; o++) {
		idx->owned[6 + o] = order_of(idx, old, map, b->fresh, b->nfresh, o);
		idx->by[o] = idx->owned[6 + o];
	}
	free(map);
	build_rev(idx, &start, &rev, &idx->nrev);
	idx->owned[8] = start;
	idx->owned[9] = rev;
	idx->rev_start = start;
	idx->rev = rev;
	if (old)
		derive_rebuilt(idx, old, b->fresh, b->nfresh, changed, remap);
	else
		derive_all(idx);
	if (old) { /* the old counts, the changed shards' records out and in */
		ctab_add_counts(&ct, old->counts, old->ncounts);
		for (int s = 0; s < 256; s++) {
			if (!changed[s])
				continue;
			for (uint32_t r = old->shard_start[s]; r < old->shard_start[s + 1]; r++)
				ctab_add(&ct, count_key(&old->recs[r]), -1);
			for (uint32_t r = idx->shard_start[s]; r < idx->shard_start[s + 1]; r++)
				ctab_add(&ct, count_key(&idx->recs[r]), 1);
		}
	} else {
		for (uint32_t r = 0; r < idx->nrecs; r++)
			ctab_add(&ct, count_key(&idx->recs[r]), 1);
	}
	idx->owned[10] = ctab_finish(&ct, &idx->ncounts);
	idx->counts = idx->owned[10];

	memcpy(h->magic, MAGIC, 8);
	h->endian = ENDIAN;
	h->rec_size = sizeof(struct gt_irec);
	memcpy(h->beads_tree, tree->id, GIT_OID_RAWSZ);
	h->nrecs = idx->nrecs;
	h->nedges = idx->nedges;
	h->nlabels = idx->nlabels;
	h->nvocab = idx->nvocab;
	h->pool_len = idx->pool_len;
	h->pool_base = idx->pool_base;
	h->nrev = idx->nrev;
	h->ncounts = idx->ncounts;
	for (int s = 0; s < 256; s++)
		memcpy(h->shard_oid[s], b->shard_oid[s].id, GIT_OID_RAWSZ);
	memcpy(h->shard_start, b->shard_start, sizeof(h->shard_start));
	pieces(idx, v, &nsum);
	csum_init(&c);
	csum_add(&c, (const char *)v[0].iov_base + CSUM_FROM, v[0].iov_len - CSUM_FROM);
	for (int i = 1; i < nsum; i++)
		csum_add(&c, v[i].iov_base, v[i].iov_len);
	h->checksum = csum_end(&c);
}

static void index_path(struct gt_buf *p, struct gt_ledger *lg)
{
	gt_repo_runtime_path(p, lg->repo, "index/beads.idx", 0);
}

static void patch_path(struct gt_buf *p, struct gt_ledger *lg)
{
	gt_repo_runtime_path(p, lg->repo, "index/beads.idx.patch", 0);
}

static void stamp_path(struct gt_buf *p, struct gt_ledger *lg)
{
	gt_repo_runtime_path(p, lg->repo, "index/beads.idx.ok", 0);
}

/* The stamp of the index file as it is now (top of this file); empty
 * when this machine's boot cannot be told. */
static void stamp_of(struct gt_buf *out, const struct stat *st, uint64_t sum)
{
	struct gt_buf boot = GT_BUF_INIT;

	gt_buf_reset(out);
	if (gt_read_file(&boot, "/proc/sys/kernel/random/boot_id") < 0 || boot.len < 16) {
		gt_error_clear();
		gt_buf_release(&boot);
		return;
	}
	while (boot.len && (boot.ptr[boot.len - 1] == '\n' || boot.ptr[boot.len - 1] == ' '))
		gt_buf_truncate(&boot, boot.len - 1);
	gt_buf_printf(out, "%s %llu %llu %llu %lld.%09ld %lld.%09ld %016llx\n", boot.ptr,
		      (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
		      (unsigned long long)st->st_size, (long long)st->st_mtim.tv_sec,
		      (long)st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
		      (long)st->st_ctim.tv_nsec, (unsigned long long)sum);
	gt_buf_release(&boot);
}

static int stamp_matches(struct gt_ledger *lg, const struct stat *st, uint64_t sum)
{
	struct gt_buf p = GT_BUF_INIT, want = GT_BUF_INIT, have = GT_BUF_INIT;
	int ok;

	stamp_of(&want, st, sum);
	stamp_path(&p, lg);
	ok = want.len && gt_read_file(&have, p.ptr) == 0 && have.len == want.len &&
	     !memcmp(have.ptr, want.ptr, want.len);
	gt_error_clear();
	gt_buf_release(&p);
	gt_buf_release(&want);
	gt_buf_release(&have);
	return ok;
}

static void stamp_write(struct gt_ledger *lg, const struct stat *st, uint64_t sum)
{
	struct gt_buf p = GT_BUF_INIT, s = GT_BUF_INIT;

	stamp_of(&s, st, sum);
	stamp_path(&p, lg);
	if (s.len)
		(void)gt_write_file_atomic(p.ptr, s.ptr, s.len);
	gt_error_clear(); /* a missing stamp only costs a check */
	gt_buf_release(&p);
	gt_buf_release(&s);
}

/* Every offset of the arrays in range, so a damaged file that slipped
 * past the checksum still cannot make a query read outside them. */
static int check_arrays(const struct gt_index *idx)
{
	uint32_t np = idx->pool_len, nv = idx->nvocab, n = idx->nrecs;

	if (!np || idx->pool[np - 1] != '\0' || idx->shard_start[256] != n)
		return -1;
	for (int s = 0; s < 256; s++)
		if (idx->shard_start[s] > idx->shard_start[s + 1])
			return -1;
	for (uint32_t i = 0; i < n; i++) {
		const struct gt_irec *r = &idx->recs[i];

		if (r->id >= np || r->assignee >= np ||
		    (size_t)r->edges + r->nedges > idx->nedges ||
		    (size_t)r->labels + r->nlabels > idx->nlabels || r->status >= nv ||
		    r->type >= nv || idx->by[0][i] >= n || idx->by[1][i] >= n ||
		    idx->rev_start[i] > idx->rev_start[i + 1])
			return -1;
	}
	if (idx->rev_start[0] || idx->rev_start[n] != idx->nrev)
		return -1;
	for (uint32_t k = 0; k < idx->nrev; k++)
		if (idx->rev[k] >= n)
			return -1;
	for (uint32_t e = 0; e < idx->nedges; e++) {
		const struct gt_iedge *ed = &idx->edges[e];

		if (ed->target_id >= np || ed->spawner >= np || ed->type >= nv ||
		    (ed->target != GT_IREF_NONE &&
		     idx->shard_start[ed->target >> 24] + (ed->target & 0xffffff) >=
			     idx->shard_start[(ed->target >> 24) + 1]))
			return -1;
	}
	for (uint32_t k = 0; k < idx->nlabels; k++)
		if (idx->labels[k] >= np)
			return -1;
	for (uint32_t v = 0; v < nv; v++)
		if (idx->vocab[v] >= np)
			return -1;
	for (uint32_t k = 0; k < idx->ncounts; k++)
		if (idx->counts[k].status >= nv || idx->counts[k].type >= nv)
			return -1;
	return 0;
}

/* where each part of the file sits in the mapping (see load_file) */
struct placing {
	size_t file[6], vaddr[6], len[6]; /* header+records, edges, labels,
					     vocabulary, pool, the rest */
	size_t va_len;
};

static void place(struct placing *pl, const struct layout *l, const size_t slack[4])
{
	size_t bounds[7] = { 0, l->edges, l->labels, l->vocab, l->pool, l->tail, l->total };
	size_t va = 0;

	for (int i = 0; i < 6; i++) {
		pl->file[i] = bounds[i];
		pl->len[i] = bounds[i + 1] - bounds[i];
		pl->vaddr[i] = va;
		va += ALIGNP(pl->len[i]) + (i >= 1 && i <= 4 ? slack[i - 1] : 0);
	}
	pl->va_len = va ? va : PAGE;
}

struct gt_ipatch;
static struct gt_ipatch *patch_read(struct gt_ledger *lg, const struct file_hdr *h);
static int patch_apply(struct gt_index *idx, struct gt_ipatch *p);
static void patch_free(struct gt_ipatch *p);
static void patch_sizes(const struct gt_ipatch *p, size_t need[4]);

/*
 * Map the file: one stretch of address space is reserved (not committed)
 * and each part mapped at its place in it, private and writable: a patch
 * changes the pages it touches, copy-on-write, never the file, and what
 * it appends to the edges, labels, vocabulary and pool goes into the room
 * left after each (anonymous pages, paid for only when written).  Where
 * pages are not 4 KiB the parts are read in instead.
 */
static struct gt_index *load_file(struct gt_ledger *lg)
{
	struct gt_buf p = GT_BUF_INIT;
	struct gt_index *idx = NULL;
	struct gt_ipatch *patch = NULL;
	struct file_hdr h;
	struct layout l;
	struct placing pl;
	struct stat st;
	size_t slack[4], need[4] = { 0, 0, 0, 0 };
	int fd, direct_map = sysconf(_SC_PAGESIZE) == PAGE, ok = 1;
	char *va;

	index_path(&p, lg);
	fd = open(p.ptr, O_RDONLY | O_CLOEXEC);
	gt_buf_release(&p);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(h) || st.st_size >= (1LL << 40) ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h.magic, MAGIC, 8) ||
	    h.endian != ENDIAN || h.rec_size != sizeof(struct gt_irec))
		goto fail;
	layout_of(&l, &h);
	if (l.total != (size_t)st.st_size)
		goto fail;
	patch = patch_read(lg, &h);
	if (patch)
		patch_sizes(patch, need);
	slack[0] = ALIGNP(((size_t)h.nedges / 8 + 65536) * sizeof(struct gt_iedge) + need[0]);
	slack[1] = ALIGNP(((size_t)h.nlabels / 8 + 65536) * sizeof(uint32_t) + need[1]);
	slack[2] = ALIGNP(65536 * sizeof(uint32_t) + need[2]);
	slack[3] = ALIGNP((size_t)h.pool_len / 2 + (4u << 20) + need[3]);
	place(&pl, &l, slack);
	va = mmap(NULL, pl.va_len, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (va == MAP_FAILED)
		goto fail;
	for (int i = 0; i < 6 && ok; i++) {
		if (!pl.len[i])
			continue;
		if (direct_map)
			ok = mmap(va + pl.vaddr[i], pl.len[i], PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_FIXED, fd, (off_t)pl.file[i]) != MAP_FAILED;
		else
			ok = pread(fd, va + pl.vaddr[i], pl.len[i], (off_t)pl.file[i]) ==
			     (ssize_t)pl.len[i];
	}
	idx = gt_calloc(1, sizeof(*idx));
	idx->mem = va;
	idx->len = pl.va_len;
	idx->mapped = 1;
	if (!ok)
		goto fail;
	idx->hdr = (struct file_hdr *)va;
	idx->recs = (struct gt_irec *)(va + l.recs);
	idx->nrecs = h.nrecs;
	idx->edges = (struct gt_iedge *)(va + pl.vaddr[1]);
	idx->nedges = h.nedges;
	idx->labels = (uint32_t *)(va + pl.vaddr[2]);
	idx->nlabels = h.nlabels;
	idx->vocab = (uint32_t *)(va + pl.vaddr[3]);
	idx->nvocab = h.nvocab;
	idx->pool = va + pl.vaddr[4];
	idx->pool_len = h.pool_len;
	idx->pool_base = h.pool_base;
	idx->cap_edges = (ALIGNP(pl.len[1]) + slack[0]) / sizeof(struct gt_iedge);
	idx->cap_labels = (ALIGNP(pl.len[2]) + slack[1]) / sizeof(uint32_t);
	idx->cap_vocab = (ALIGNP(pl.len[3]) + slack[2]) / sizeof(uint32_t);
	idx->cap_pool = ALIGNP(pl.len[4]) + slack[3];
	va += pl.vaddr[5] - l.tail; /* the rest: at its file offsets from here */
	idx->by[0] = (const uint32_t *)(va + l.by0);
	idx->by[1] = (const uint32_t *)(va + l.by1);
	idx->rev_start = (const uint32_t *)(va + l.rev_start);
	idx->rev = (const uint32_t *)(va + l.rev);
	idx->nrev = h.nrev;
	idx->counts = (const struct gt_icount *)(va + l.counts);
	idx->ncounts = h.ncounts;
	idx->oids = (const git_oid *)(va + l.oids);
	memcpy(idx->beads_tree.id, h.beads_tree, GIT_OID_RAWSZ);
	for (int s = 0; s < 256; s++)
		memcpy(idx->shard_oid[s].id, h.shard_oid[s], GIT_OID_RAWSZ);
	memcpy(idx->shard_start, h.shard_start, sizeof(idx->shard_start));
	if (!stamp_matches(lg, &st, h.checksum)) {
		struct csum c;

		csum_init(&c);
		csum_add(&c, idx->mem + CSUM_FROM, pl.len[0] - CSUM_FROM);
		for (int i = 1; i < 5; i++)
			csum_add(&c, idx->mem + pl.vaddr[i], pl.len[i]);
		csum_add(&c, idx->mem + pl.vaddr[5], l.oids - l.tail);
		if (csum_end(&c) != h.checksum || check_arrays(idx) < 0)
			goto fail;
		stamp_write(lg, &st, h.checksum);
	}
	ensure_cls(idx);
	close(fd);
	if (patch && patch_apply(idx, patch) < 0)
		patch_free(patch); /* not a patch of this base: the base alone */
	return idx;
fail:
	close(fd);
	patch_free(patch);
	gt_index_free(idx);
	return NULL;
}

static void *unlink_later(void *path)
{
	unlink(path);
	free(path);
	return NULL;
}

/*
 * Replacing a 10 MB file with rename() frees its blocks and page cache
 * inside the rename: ~6 ms on ext4, as long as the whole query.  So the
 * old file is kept alive by a second link across the rename, and that link
 * is removed by a helper thread while the command computes its answer
 * (gt_index_free() joins it).  A leftover "*.old" from a process that died
 * is removed by gt-maintain.
 */
static int replace_file(struct gt_index *idx, const char *tmp, const char *path)
{
	struct gt_buf old = GT_BUF_INIT;
	int rc = 0;

	gt_buf_printf(&old, "%s.%ld.old", path, (long)getpid());
	if (link(path, old.ptr) < 0)
		gt_buf_reset(&old); /* no old file (or no hard links here) */
	if (rename(tmp, path) < 0) {
		rc = -1;
		unlink(tmp);
		if (old.len)
			unlink(old.ptr);
	} else if (old.len) {
		char *o = gt_buf_detach(&old);

		if (pthread_create(&idx->unlinker, NULL, unlink_later, o) == 0)
			idx->has_unlinker = 1;
		else
			unlink_later(o);
	}
	gt_buf_release(&old);
	return rc;
}

static void save_file(struct gt_ledger *lg, struct gt_index *idx)
{
	struct gt_buf p = GT_BUF_INIT, tmp = GT_BUF_INIT;
	struct iovec v[40];
	struct stat st;
	int nsum, n = pieces(idx, v, &nsum);

	index_path(&p, lg);
	if (gt_write_temp(&tmp, p.ptr, v, n) == 0 && replace_file(idx, tmp.ptr, p.ptr) == 0) {
		/* written by us in this boot: no reader need check it again */
		if (stat(p.ptr, &st) == 0)
			stamp_write(lg, &st, idx->hdr->checksum);
		/* a patch of the old base is of no use any more */
		patch_path(&p, lg);
		unlink(p.ptr);
	}
	/* the index is a cache: failing to save it only costs speed */
	gt_error_clear();
	gt_buf_release(&p);
	gt_buf_release(&tmp);
}

static void reserve(void **arr, size_t *alloc, size_t n, size_t size)
{
	*arr = gt_realloc(*arr, (n ? n : 1) * size);
	*alloc = n;
}

static void seed_from_old(struct builder *b, const struct gt_index *old)
{
	if (!old) {
		gt_buf_addch(&b->pool, '\0'); /* offset 0 is "" */
		return;
	}
	/* the new index is about the size of the old one: grow once */
	reserve((void **)&b->recs, &b->arecs, old->nrecs + 1024, sizeof(*b->recs));
	reserve((void **)&b->oids, &b->aoids, old->nrecs + 1024, sizeof(*b->oids));
	reserve((void **)&b->edges, &b->aedges, old->nedges + 2048, sizeof(*b->edges));
	reserve((void **)&b->edge_new, &b->aedge_new, old->nedges + 2048, 1);
	reserve((void **)&b->labels, &b->alabels, old->nlabels + 2048, sizeof(*b->labels));
	gt_buf_grow(&b->pool, old->pool_len + 65536);
	gt_buf_add(&b->pool, old->pool, old->pool_len);
	b->pool_base = old->pool_base;
	for (uint32_t v = 0; v < old->nvocab; v++) {
		GT_ALLOC_GROW(b->vocab, b->nvocab + 1, b->avocab);
		b->vocab[b->nvocab++] = old->vocab[v];
		gt_map_put(&b->vocab_map, own(b, old->pool + old->vocab[v]),
			   (void *)(uintptr_t)(v + 1));
	}
}

#define BUILD_WINDOW ((size_t)64 << 20)
#define BUILD_MAPPED ((size_t)192 << 20)
static int rebuild(struct gt_index *idx, struct gt_index *old, git_repository *git, git_tree *beads,
		   const git_oid *beads_id)
{
	struct builder b;
	uint8_t changed[256] = { 0 };
	uint32_t *remap[256] = { 0 };
	git_odb *odb = NULL;
	size_t win = 0, mapped = 0;
	int rc = 0;

	memset(&b, 0, sizeof(b));
	seed_from_old(&b, old);
	if (git_repository_odb(&odb, git) < 0) {
		builder_release(&b);
		return gt_error_git(GT_EFAIL, "cannot open the object database");
	}
	/* a whole build reads every bead, from all over the pack: mapped
	 * whole, all of it would end up resident (a million beads: 897 MB of
	 * RSS for a 125 MB index; a window at a time, as gt-bead-export
	 * does: 233 MB, the builder's own arrays most of it, for 19% more
	 * time); the process's settings come back after */
	if (!old) {
		git_libgit2_opts(GIT_OPT_GET_MWINDOW_SIZE, &win);
		git_libgit2_opts(GIT_OPT_GET_MWINDOW_MAPPED_LIMIT, &mapped);
		if (win > BUILD_WINDOW)
			git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, BUILD_WINDOW);
		if (mapped > BUILD_MAPPED)
			git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, BUILD_MAPPED);
	}
	for (int s = 0; s < 256 && !rc; s++) {
		char name[3] = { "0123456789abcdef"[s >> 4], "0123456789abcdef"[s & 15], 0 };
		const git_tree_entry *e = beads ? git_tree_entry_byname(beads, name) : NULL;
		struct shard sh;
		git_oid zero;

		memset(&zero, 0, sizeof(zero));
		memset(&sh, 0, sizeof(sh));
		b.shard_start[s] = (uint32_t)b.nrecs;
		git_oid_cpy(&b.shard_oid[s], e ? git_tree_entry_id(e) : &zero);
		if (old && !git_oid_cmp(&old->shard_oid[s], &b.shard_oid[s])) {
			copy_range(&b, old, old->shard_start[s], old->shard_start[s + 1]);
			continue;
		}
		changed[s] = 1;
		if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE)
			rc = shard_read(&sh, odb, git_tree_entry_id(e), name, 0);
		if (!rc)
			rc = build_shard(&b, odb, old, s, &sh, &remap[s]);
		shard_release(&sh);
		if (!rc && b.nrecs - b.shard_start[s] > 0xffffff)
			rc = gt_error_set(GT_EFAIL, "shard %s is too large to index", name);
	}
	b.shard_start[256] = (uint32_t)b.nrecs;
	if (!rc) {
		fix_edges(&b, changed, remap);
		compact(&b);
		finish(idx, &b, beads_id, old, changed, remap);
		idx->stat_blobs_parsed = b.parsed;
		idx->stat_shards_rebuilt = b.shards;
	}
	for (int s = 0; s < 256; s++)
		free(remap[s]);
	if (!old) {
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, win);
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, mapped);
	}
	git_odb_free(odb);
	builder_release(&b);
	return rc;
}

/* ---- the patch file ----
 *
 * Rewriting the whole index (10 MB at 100k beads) for a handful of changed
 * beads costs more than the query.  When a refresh only changes beads in
 * place (no bead added or removed, so every position stays), it writes
 * beads.idx.patch instead: the records it replaced with their blob ids,
 * and the edges, labels, vocabulary and strings they add, appended after
 * the base's arrays; the replaced records in each order; their edges as
 * (target, record) pairs, which stand in for the base's dependents of
 * them; and the counts.  The records replaced are those whose blob
 * changed and those whose derived bits changed with them (a bead closed
 * frees what it blocked).  The patch names the base by its checksum and
 * holds every change since that base, so a reader needs the base and one
 * patch.  A patch grown past PATCH_MAX_ENTS, or a structural change,
 * means a full rebuild, which writes a new base and removes the patch.
 *
 * Applying one costs what it holds: its arrays are copied into the room
 * after the base's (load_file), its records over the base's pages; the
 * orders skip the base's replaced records and merge in the patch's.
 */

#define PATCH_MAGIC "GTIDXP3\n" /* records as in GTIDX07 */

struct patch_hdr {
	char magic[8];
	uint64_t checksum; /* of the bytes after this field */
	uint64_t base_checksum;
	uint32_t base_nrecs, base_nedges, base_nlabels, base_nvocab, base_pool_len;
	uint32_t nents, nedges, nlabels, nvocab, pool_len, npairs, ncounts;
	uint8_t beads_tree[GIT_OID_RAWSZ];
	uint8_t shard_oid[256][GIT_OID_RAWSZ];
};

struct patch_ent {
	uint32_t pos, reserved;
	struct gt_irec rec;
	git_oid oid;
	uint8_t pad[4];
};

/* Past this many replaced records a new base is cheaper: every reader
 * pays for applying each (a page copied on write). */
#define PATCH_MAX_ENTS(idx) ((idx)->nrecs / 128 + 2048)

struct gt_ipatch {
	uint64_t base_checksum;
	uint32_t base_nedges, base_nlabels, base_nvocab, base_pool_len;
	struct patch_ent *ents; /* sorted by pos */
	uint32_t nents;
	struct gt_iedge *edges; /* appended after the base's */
	uint32_t nedges;
	uint32_t *labels;
	uint32_t nlabels;
	uint32_t *vocab;
	uint32_t nvocab;
	char *pool;
	uint32_t pool_len;
	uint32_t *by[2]; /* the ents' positions in each order */
	struct gt_ipair *pairs;
	uint32_t npairs;
	struct gt_icount *counts; /* all of them: base and patch */
	uint32_t ncounts;
	git_oid tree, shards[256];
};

static void patch_free(struct gt_ipatch *p)
{
	if (!p)
		return;
	free(p->ents);
	free(p->edges);
	free(p->labels);
	free(p->vocab);
	free(p->pool);
	free(p->by[0]);
	free(p->by[1]);
	free(p->pairs);
	free(p->counts);
	free(p);
}

static void patch_sizes(const struct gt_ipatch *p, size_t need[4])
{
	need[0] = (size_t)p->nedges * sizeof(struct gt_iedge);
	need[1] = (size_t)p->nlabels * sizeof(uint32_t);
	need[2] = (size_t)p->nvocab * sizeof(uint32_t);
	need[3] = p->pool_len;
}

/* A new heap array: a (na items of size bytes) then b (nb items). */
static void *concat(const void *a, size_t na, const void *b, size_t nb, size_t size)
{
	char *m = gt_malloc((na + nb ? na + nb : 1) * size);

	if (na)
		memcpy(m, a, na * size);
	if (nb)
		memcpy(m + na * size, b, nb * size);
	return m;
}

static int ent_pos_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct patch_ent *)a)->pos, y = ((const struct patch_ent *)b)->pos;

	return x < y ? -1 : x > y;
}

static int patch_has(const struct gt_ipatch *p, uint32_t pos)
{
	struct patch_ent key;

	memset(&key, 0, sizeof(key));
	key.pos = pos;
	return bsearch(&key, p->ents, p->nents, sizeof(*p->ents), ent_pos_cmp) != NULL;
}

/* Whether p fits idx (a base alone) and every offset in it is in range. */
static int patch_valid(const struct gt_index *idx, const struct gt_ipatch *p)
{
	uint32_t ne = p->base_nedges + p->nedges, nl = p->base_nlabels + p->nlabels;
	uint32_t nv = p->base_nvocab + p->nvocab, np = p->base_pool_len + p->pool_len;

	if (p->base_nedges != idx->nedges || p->base_nlabels != idx->nlabels ||
	    p->base_nvocab != idx->nvocab || p->base_pool_len != idx->pool_len ||
	    (p->pool_len && p->pool[p->pool_len - 1] != '\0') || ne > idx->cap_edges ||
	    nl > idx->cap_labels || nv > idx->cap_vocab || np > idx->cap_pool || nv > 0xffff)
		return 0;
	for (uint32_t i = 0; i < p->nents; i++) {
		const struct gt_irec *r = &p->ents[i].rec;

		if (p->ents[i].pos >= idx->nrecs || (i && p->ents[i].pos <= p->ents[i - 1].pos) ||
		    r->id >= np || r->assignee >= np || (size_t)r->edges + r->nedges > ne ||
		    (size_t)r->labels + r->nlabels > nl || r->status >= nv || r->type >= nv)
			return 0;
	}
	for (uint32_t i = 0; i < p->nents; i++)
		if (!patch_has(p, p->by[0][i]) || !patch_has(p, p->by[1][i]))
			return 0;
	for (uint32_t e = 0; e < p->nedges; e++) {
		const struct gt_iedge *ed = &p->edges[e];

		if (ed->target_id >= np || ed->spawner >= np || ed->type >= nv ||
		    (ed->target != GT_IREF_NONE &&
		     idx->shard_start[ed->target >> 24] + (ed->target & 0xffffff) >=
			     idx->shard_start[(ed->target >> 24) + 1]))
			return 0;
	}
	for (uint32_t k = 0; k < p->nlabels; k++)
		if (p->labels[k] >= np)
			return 0;
	for (uint32_t k = 0; k < p->nvocab; k++)
		if (p->vocab[k] >= np)
			return 0;
	for (uint32_t k = 0; k < p->npairs; k++)
		if (p->pairs[k].key >= idx->nrecs || p->pairs[k].src >= idx->nrecs ||
		    (k && p->pairs[k].key < p->pairs[k - 1].key))
			return 0;
	for (uint32_t k = 0; k < p->ncounts; k++)
		if (p->counts[k].status >= nv || p->counts[k].type >= nv)
			return 0;
	return 1;
}

/* Make idx (a base alone) base + p, and take p.  -1 when p does not fit. */
static int patch_apply(struct gt_index *idx, struct gt_ipatch *p)
{
	if (idx->patch || !patch_valid(idx, p))
		return -1;
	memcpy(idx->edges + idx->nedges, p->edges, p->nedges * sizeof(*p->edges));
	idx->nedges += p->nedges;
	memcpy(idx->labels + idx->nlabels, p->labels, p->nlabels * sizeof(*p->labels));
	idx->nlabels += p->nlabels;
	memcpy(idx->vocab + idx->nvocab, p->vocab, p->nvocab * sizeof(*p->vocab));
	idx->nvocab += p->nvocab;
	memcpy((char *)idx->pool + idx->pool_len, p->pool, p->pool_len);
	idx->pool_len += p->pool_len;
	for (uint32_t i = 0; i < p->nents; i++) {
		idx->recs[p->ents[i].pos] = p->ents[i].rec;
		idx->recs[p->ents[i].pos].derived |= GT_ID_PATCHED;
		git_oid_cpy((git_oid *)&idx->oids[p->ents[i].pos], &p->ents[i].oid);
	}
	ensure_cls(idx);
	idx->pby[0] = p->by[0];
	idx->pby[1] = p->by[1];
	idx->npby = p->nents;
	idx->pairs = p->pairs;
	idx->npairs = p->npairs;
	idx->counts = p->counts;
	idx->ncounts = p->ncounts;
	git_oid_cpy(&idx->beads_tree, &p->tree);
	for (int s = 0; s < 256; s++)
		git_oid_cpy(&idx->shard_oid[s], &p->shards[s]);
	idx->patch = p;
	return 0;
}

/* Read beads.idx.patch when it is a patch of the base with header h. */
static struct gt_ipatch *patch_read(struct gt_ledger *lg, const struct file_hdr *base)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	struct gt_ipatch *p = NULL;
	struct patch_hdr h;
	size_t at;
	int rc;

	patch_path(&path, lg);
	rc = gt_read_file(&data, path.ptr);
	gt_buf_release(&path);
	if (rc < 0) {
		gt_error_clear(); /* no patch: the index alone */
		gt_buf_release(&data);
		return NULL;
	}
	if (data.len < sizeof(h))
		goto out;
	memcpy(&h, data.ptr, sizeof(h));
	if (memcmp(h.magic, PATCH_MAGIC, 8) || h.base_checksum != base->checksum ||
	    h.base_nrecs != base->nrecs ||
	    data.len != sizeof(h) + (size_t)h.nents * sizeof(struct patch_ent) +
				(size_t)h.nedges * sizeof(struct gt_iedge) +
				((size_t)h.nlabels + h.nvocab + 2 * (size_t)h.nents) *
					sizeof(uint32_t) +
				h.pool_len + (size_t)h.npairs * sizeof(struct gt_ipair) +
				(size_t)h.ncounts * sizeof(struct gt_icount) ||
	    h.checksum != checksum(data.ptr + CSUM_FROM, data.len - CSUM_FROM))
		goto out;
	p = gt_calloc(1, sizeof(*p));
	p->base_checksum = h.base_checksum;
	p->base_nedges = h.base_nedges;
	p->base_nlabels = h.base_nlabels;
	p->base_nvocab = h.base_nvocab;
	p->base_pool_len = h.base_pool_len;
	at = sizeof(h);
#define TAKE(field, count, type)                                              \
	do {                                                                  \
		p->field = gt_malloc(((count) ? (count) : 1) * sizeof(type)); \
		memcpy(p->field, data.ptr + at, (count) * sizeof(type));      \
		at += (count) * sizeof(type);                                 \
	} while (0)
	TAKE(ents, h.nents, struct patch_ent);
	TAKE(edges, h.nedges, struct gt_iedge);
	TAKE(labels, h.nlabels, uint32_t);
	TAKE(vocab, h.nvocab, uint32_t);
	TAKE(pool, h.pool_len, char);
	TAKE(by[0], h.nents, uint32_t);
	TAKE(by[1], h.nents, uint32_t);
	TAKE(pairs, h.npairs, struct gt_ipair);
	TAKE(counts, h.ncounts, struct gt_icount);
#undef TAKE
	p->nents = h.nents;
	p->nedges = h.nedges;
	p->nlabels = h.nlabels;
	p->nvocab = h.nvocab;
	p->pool_len = h.pool_len;
	p->npairs = h.npairs;
	p->ncounts = h.ncounts;
	memcpy(p->tree.id, h.beads_tree, GIT_OID_RAWSZ);
	for (int s = 0; s < 256; s++)
		memcpy(p->shards[s].id, h.shard_oid[s], GIT_OID_RAWSZ);
out:
	gt_buf_release(&data);
	return p;
}

static void patch_save(struct gt_ledger *lg, const struct gt_index *idx, const struct gt_ipatch *p)
{
	struct gt_buf path = GT_BUF_INIT;
	struct patch_hdr h;
	struct iovec v[10];
	struct csum c;
	int n = 0;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, PATCH_MAGIC, 8);
	h.base_checksum = p->base_checksum;
	h.base_nrecs = idx->nrecs;
	h.base_nedges = p->base_nedges;
	h.base_nlabels = p->base_nlabels;
	h.base_nvocab = p->base_nvocab;
	h.base_pool_len = p->base_pool_len;
	h.nents = p->nents;
	h.nedges = p->nedges;
	h.nlabels = p->nlabels;
	h.nvocab = p->nvocab;
	h.pool_len = p->pool_len;
	h.npairs = p->npairs;
	h.ncounts = p->ncounts;
	memcpy(h.beads_tree, p->tree.id, GIT_OID_RAWSZ);
	for (int s = 0; s < 256; s++)
		memcpy(h.shard_oid[s], p->shards[s].id, GIT_OID_RAWSZ);
	v[n++] = (struct iovec){ &h, sizeof(h) };
	v[n++] = (struct iovec){ p->ents, p->nents * sizeof(*p->ents) };
	v[n++] = (struct iovec){ p->edges, p->nedges * sizeof(*p->edges) };
	v[n++] = (struct iovec){ p->labels, p->nlabels * sizeof(*p->labels) };
	v[n++] = (struct iovec){ p->vocab, p->nvocab * sizeof(*p->vocab) };
	v[n++] = (struct iovec){ p->pool, p->pool_len };
	v[n++] = (struct iovec){ p->by[0], p->nents * sizeof(uint32_t) };
	v[n++] = (struct iovec){ p->by[1], p->nents * sizeof(uint32_t) };
	v[n++] = (struct iovec){ p->pairs, p->npairs * sizeof(*p->pairs) };
	v[n++] = (struct iovec){ p->counts, p->ncounts * sizeof(*p->counts) };
	csum_init(&c);
	csum_add(&c, (const char *)&h + CSUM_FROM, sizeof(h) - CSUM_FROM);
	for (int i = 1; i < n; i++)
		csum_add(&c, v[i].iov_base, v[i].iov_len);
	h.checksum = csum_end(&c);
	patch_path(&path, lg);
	(void)gt_write_file_atomicv(path.ptr, v, n);
	gt_error_clear(); /* the patch is a cache too */
	gt_buf_release(&path);
}

static int pair_cmp(const void *a, const void *b)
{
	const struct gt_ipair *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->src < y->src ? -1 : x->src > y->src;
}

/* The edges of the records at pos[] as (target or spawner, record) pairs,
 * sorted: what build_rev() makes of them. */
static struct gt_ipair *pairs_of(const struct gt_index *idx, const uint32_t *pos, size_t n,
				 uint32_t *npairs)
{
	uint16_t waits = gt_index_vocab_find(idx, "waits-for");
	struct gt_ipair *v = NULL;
	size_t k = 0, alloc = 0;

	for (size_t i = 0; i < n; i++) {
		const struct gt_irec *r = &idx->recs[pos[i]];

		for (uint32_t e = 0; e < r->nedges; e++) {
			const struct gt_iedge *ed = &idx->edges[r->edges + e];
			uint32_t t = gt_index_ref(idx, ed->target), sp = GT_IREF_NONE;

			if (ed->type == waits && ed->spawner)
				sp = gt_index_find(idx, idx->pool + ed->spawner);
			if (t != GT_IREF_NONE) {
				GT_ALLOC_GROW(v, k + 1, alloc);
				v[k++] = (struct gt_ipair){ t, pos[i] };
			}
			if (sp != GT_IREF_NONE && sp != t) {
				GT_ALLOC_GROW(v, k + 1, alloc);
				v[k++] = (struct gt_ipair){ sp, pos[i] };
			}
		}
	}
	if (k)
		qsort(v, k, sizeof(*v), pair_cmp);
	*npairs = (uint32_t)k;
	return v ? v : gt_malloc(sizeof(*v));
}

/* ---- re-deriving after records changed in place ---- */

struct touched {
	uint32_t r;
	uint16_t orig;
};

struct derive {
	struct gt_index *idx;
	struct vids v;
	uint8_t *mark; /* M_* per record */
	struct touched *t;
	size_t nt, at;
	struct collect s, d, deps;
};

/* Walk the records in dv->d again (those marked walked) and set their
 * blocked bit from the walk, keeping only the bits in keep. */
static void rederive_blocked(const struct derive *dv, struct gt_index *idx, uint16_t keep)
{
	struct walk w;

	memset(&w, 0, sizeof(w));
	w.idx = idx;
	w.parent = dv->v.parent;
	w.only = dv->mark;
	w.state = gt_calloc(idx->nrecs ? idx->nrecs : 1, 1);
	for (size_t i = 0; i < dv->d.n; i++)
		if (!w.state[dv->d.v[i]])
			walk_blocked(&w, dv->d.v[i]);
	for (size_t i = 0; i < dv->d.n; i++) {
		uint32_t r = dv->d.v[i];

		idx->recs[r].derived = (uint16_t)((idx->recs[r].derived & keep) |
						  (w.state[r] == 3 ? GT_ID_BLOCKED : 0));
	}
	walk_release(&w);
	free(w.state);
}

static void touch(struct derive *dv, uint32_t r)
{
	if (dv->mark[r] & M_T)
		return;
	dv->mark[r] |= M_T;
	GT_ALLOC_GROW(dv->t, dv->nt + 1, dv->at);
	dv->t[dv->nt++] = (struct touched){ r, dv->idx->recs[r].derived };
}

static void add_to(struct derive *dv, struct collect *c, uint8_t m, uint32_t r)
{
	if (dv->mark[r] & m)
		return;
	dv->mark[r] |= m;
	touch(dv, r);
	collect_one(r, c);
}

/* whether src has an edge of type t1 or t2 to rec (waits-for edges: by
 * their spawner) */
static int has_edge(const struct gt_index *idx, uint32_t src, uint16_t t1, uint16_t t2,
		    uint16_t waits, uint32_t rec)
{
	const struct gt_irec *r = &idx->recs[src];

	for (uint32_t k = 0; k < r->nedges; k++) {
		const struct gt_iedge *e = &idx->edges[r->edges + k];

		if (e->type != t1 && e->type != t2)
			continue;
		if ((e->type == waits ? spawner_of(idx, e) : gt_index_ref(idx, e->target)) == rec)
			return 1;
	}
	return 0;
}

/* the parents of a record (targets of its parent-child edges), in order */
static void parents_of(struct collect *c, const struct gt_index *idx, const struct gt_irec *r,
		       uint16_t parent)
{
	c->n = 0;
	for (uint32_t k = 0; k < r->nedges; k++) {
		const struct gt_iedge *e = &idx->edges[r->edges + k];
		uint32_t p;

		if (e->type == parent && (p = gt_index_ref(idx, e->target)) != GT_IREF_NONE)
			collect_one(p, c);
	}
}

/* which side of a waits-for count a status class is on */
static int kid_side(uint8_t cls)
{
	return cls & (GT_CLS_CLOSED | GT_CLS_TOMBSTONE) ? 0 : cls & GT_CLS_PINNED ? 1 : 2;
}

/*
 * Records pos[0..n) changed in place (old: what they were; their derived
 * bits in idx are still the old ones).  What can block differently:
 *  - the changed records themselves (their edges);
 *  - records with a blocks edge to one whose status now blocks or no
 *    longer does;
 *  - records whose waits-for gate counts the children of a parent a
 *    changed record left, joined, or was counted differently for;
 * and being blocked passes down parent-child edges: so every descendant of
 * a record that blocks differently by its own edges, or has new parents,
 * is walked again (walk_blocked), with every other record settled by its
 * bits.  Records whose bits changed and are not among pos are appended to
 * extra.
 */
static void derive_some(struct gt_index *idx, const uint32_t *pos, const struct gt_irec *old,
			size_t n, struct collect *extra)
{
	struct derive dv;
	struct collect po = { 0 }, pn = { 0 }, waits_on = { 0 };
	size_t q;

	memset(&dv, 0, sizeof(dv));
	dv.idx = idx;
	dv.v = vids_of(idx);
	dv.mark = gt_calloc(idx->nrecs ? idx->nrecs : 1, 1);
	for (size_t i = 0; i < n; i++) {
		uint32_t x = pos[i];
		uint8_t oc = idx->cls[old[i].status], nc = gt_index_class(idx, x);
		int same_parents;

		add_to(&dv, &dv.s, M_S, x);
		if (!(oc & STOPS) != !(nc & STOPS)) {
			dependents(&dv.deps, idx, x);
			for (size_t k = 0; k < dv.deps.n; k++)
				if (has_edge(idx, dv.deps.v[k], dv.v.blocks, dv.v.cond, 0xffff, x))
					add_to(&dv, &dv.s, M_S, dv.deps.v[k]);
		}
		if (dv.v.parent == 0xffff)
			continue;
		parents_of(&po, idx, &old[i], dv.v.parent);
		parents_of(&pn, idx, &idx->recs[x], dv.v.parent);
		same_parents = po.n == pn.n && (!po.n || !memcmp(po.v, pn.v, po.n * sizeof(*po.v)));
		if (!same_parents)
			add_to(&dv, &dv.d, M_D, x);
		if (dv.v.waits != 0xffff && (!same_parents || kid_side(oc) != kid_side(nc))) {
			for (size_t k = 0; k < po.n; k++)
				collect_one(po.v[k], &waits_on);
			for (size_t k = 0; k < pn.n; k++)
				collect_one(pn.v[k], &waits_on);
		}
	}
	for (size_t i = 0; i < waits_on.n; i++) {
		dependents(&dv.deps, idx, waits_on.v[i]);
		for (size_t k = 0; k < dv.deps.n; k++)
			if (has_edge(idx, dv.deps.v[k], dv.v.waits, 0xffff, dv.v.waits,
				     waits_on.v[i]))
				add_to(&dv, &dv.s, M_S, dv.deps.v[k]);
	}
	for (size_t i = 0; i < dv.s.n; i++) {
		uint32_t s = dv.s.v[i];
		int nd = direct_block(idx, &dv.v, NULL, s);

		if (nd != !!(idx->recs[s].derived & GT_ID_DIRECT)) {
			idx->recs[s].derived ^= GT_ID_DIRECT;
			add_to(&dv, &dv.d, M_D, s);
		}
	}
	/* the descendants of d, which becomes the list of records to walk */
	for (q = 0; q < dv.d.n; q++) {
		uint32_t x = dv.d.v[q];

		dv.mark[x] |= M_R;
		dependents(&dv.deps, idx, x);
		for (size_t k = 0; k < dv.deps.n; k++) {
			uint32_t c = dv.deps.v[k];

			if (!(dv.mark[c] & (M_R | M_D)) &&
			    has_edge(idx, c, dv.v.parent, 0xffff, 0xffff, x))
				add_to(&dv, &dv.d, M_D, c);
		}
	}
	rederive_blocked(&dv, idx, (uint16_t)~GT_ID_BLOCKED);
	for (size_t i = 0; i < dv.nt; i++) {
		const struct gt_irec *r = &idx->recs[dv.t[i].r];

		if (((r->derived ^ dv.t[i].orig) & (GT_ID_DIRECT | GT_ID_BLOCKED)) &&
		    !(r->derived & GT_ID_PATCHED))
			collect_one(dv.t[i].r, extra);
	}
	free(dv.mark);
	free(dv.t);
	free(dv.s.v);
	free(dv.d.v);
	free(dv.deps.v);
	free(po.v);
	free(pn.v);
	free(waits_on.v);
}

/* old record x's place in the rebuilt nw, parsed again or not; NONE when
 * it is gone */
static uint32_t moved_to(const struct gt_index *nw, const struct gt_index *old,
			 const uint8_t *changed, uint32_t *const *remap, uint32_t x)
{
	uint32_t lo = 0, hi = 256, y;

	while (lo + 1 < hi) { /* the shard holding x */
		uint32_t mid = (lo + hi) / 2;

		if (old->shard_start[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	y = x - old->shard_start[lo];
	if (changed[lo])
		y = remap[lo] ? remap[lo][y] : GT_IREF_NONE;
	return y == GT_IREF_NONE ? GT_IREF_NONE : nw->shard_start[lo] + y;
}

static void add_dependents(struct derive *dv, struct collect *to, uint8_t m, uint32_t x,
			   uint16_t t1, uint16_t t2, uint16_t t3)
{
	const struct gt_index *idx = dv->idx;

	dependents(&dv->deps, idx, x);
	for (size_t k = 0; k < dv->deps.n; k++) {
		uint32_t src = dv->deps.v[k];

		if (has_edge(idx, src, t1, t2, 0xffff, x) || has_edge(idx, src, t3, 0xffff, t3, x))
			add_to(dv, to, m, src);
	}
}

/*
 * The derived bits of a rebuilt index nw, from old's: the records carried
 * over keep theirs unless a change reaches them, as in derive_some():
 * the records parsed again (fresh) are derived anew; records with an
 * edge to one of them, or to a record that is gone, may block
 * differently; waits-for gates on a parent that gained or lost children
 * may open or close; and whatever blocks differently, or lost a parent,
 * is walked again with its descendants.
 */
static void derive_rebuilt(struct gt_index *nw, const struct gt_index *old, const uint32_t *fresh,
			   size_t nfresh, const uint8_t *changed, uint32_t *const *remap)
{
	struct derive dv;
	struct collect waits_on = { 0 }, pn = { 0 };

	memset(&dv, 0, sizeof(dv));
	dv.idx = nw;
	dv.v = vids_of(nw);
	dv.mark = gt_calloc(nw->nrecs ? nw->nrecs : 1, 1);
	/* what the old patch replaced is plain in the new index */
	for (uint32_t i = 0; old->patch && i < old->patch->nents; i++) {
		uint32_t y = moved_to(nw, old, changed, remap, old->patch->ents[i].pos);

		if (y != GT_IREF_NONE)
			nw->recs[y].derived &= ~GT_ID_PATCHED;
	}
	/* the old records of the changed shards that are gone or were parsed
	 * again: their old parents count other children now, and whoever had
	 * an edge to one that is gone has lost its target */
	for (int s = 0; s < 256; s++) {
		if (!changed[s])
			continue;
		for (uint32_t j = old->shard_start[s]; j < old->shard_start[s + 1]; j++) {
			const struct gt_irec *r = &old->recs[j];
			uint32_t y = moved_to(nw, old, changed, remap, j);

			if (y != GT_IREF_NONE && !(nw->recs[y].derived & GT_ID_FRESH))
				continue; /* carried over as it was */
			for (uint32_t k = 0; k < r->nedges; k++) {
				const struct gt_iedge *e = &old->edges[r->edges + k];
				uint32_t p;

				if (e->type == dv.v.parent &&
				    (p = gt_index_ref(old, e->target)) != GT_IREF_NONE &&
				    (p = moved_to(nw, old, changed, remap, p)) != GT_IREF_NONE)
					collect_one(p, &waits_on);
			}
			if (y != GT_IREF_NONE)
				continue;
			dependents(&dv.deps, old, j);
			for (size_t k = 0; k < dv.deps.n; k++) {
				uint32_t src = moved_to(nw, old, changed, remap, dv.deps.v[k]);

				if (src != GT_IREF_NONE) {
					add_to(&dv, &dv.s, M_S, src);
					add_to(&dv, &dv.d, M_D, src);
				}
			}
		}
	}
	for (size_t i = 0; i < nfresh; i++) {
		uint32_t x = fresh[i];

		nw->recs[x].derived = 0;
		add_to(&dv, &dv.s, M_S, x);
		add_to(&dv, &dv.d, M_D, x);
		add_dependents(&dv, &dv.s, M_S, x, dv.v.blocks, dv.v.cond, dv.v.waits);
		parents_of(&pn, nw, &nw->recs[x], dv.v.parent);
		for (size_t k = 0; k < pn.n; k++)
			collect_one(pn.v[k], &waits_on);
	}
	if (dv.v.waits != 0xffff)
		for (size_t i = 0; i < waits_on.n; i++)
			add_dependents(&dv, &dv.s, M_S, waits_on.v[i], 0xffff, 0xffff, dv.v.waits);
	for (size_t i = 0; i < dv.s.n; i++) {
		uint32_t s = dv.s.v[i];
		int nd = direct_block(nw, &dv.v, NULL, s);

		if (nd != !!(nw->recs[s].derived & GT_ID_DIRECT)) {
			nw->recs[s].derived ^= GT_ID_DIRECT;
			add_to(&dv, &dv.d, M_D, s);
		}
	}
	for (size_t q = 0; q < dv.d.n; q++) {
		uint32_t x = dv.d.v[q];

		dv.mark[x] |= M_R;
		add_dependents(&dv, &dv.d, M_D, x, dv.v.parent, 0xffff, 0xffff);
	}
	rederive_blocked(&dv, nw, GT_ID_DIRECT);
	free(dv.mark);
	free(dv.t);
	free(dv.s.v);
	free(dv.d.v);
	free(dv.deps.v);
	free(waits_on.v);
	free(pn.v);
}

static int pos_cmp_order(const void *a, const void *b)
{
	return sort_cmp(a, b);
}

/* the bead files and the two-hex subtrees of a raw tree object */
struct raw_list {
	struct rawent *v;
	size_t n, alloc;
	int files, subs;
};

static int raw_list(struct raw_list *l, git_odb_object *t, int want_subs)
{
	const char *p = git_odb_object_data(t), *end = p + git_odb_object_size(t);
	struct rawent e;
	int have;

	l->n = 0;
	l->files = l->subs = 0;
	while ((have = raw_next(&p, end, &e)) > 0) {
		if (is_bead_file(&e))
			l->files++;
		else if (is_hex2(&e))
			l->subs++;
		else
			continue;
		if (!want_subs == !is_hex2(&e)) {
			GT_ALLOC_GROW(l->v, l->n + 1, l->alloc);
			l->v[l->n++] = e;
		}
	}
	return have;
}

/* read a tree object, NULL for none: 0, or -1 when it cannot be read */
static int read_tree_obj(git_odb_object **out, git_odb *odb, const git_oid *id)
{
	*out = NULL;
	if (!id)
		return 0;
	if (git_odb_read(out, odb, id) < 0 || git_odb_object_type(*out) != GIT_OBJECT_TREE) {
		git_odb_object_free(*out);
		*out = NULL;
		git_error_clear();
		return -1;
	}
	return 0;
}

struct changed {
	uint32_t *pos;
	size_t n, alloc;
};

/*
 * One changed subtree of a two-level shard (old, new: tree ids, NULL for
 * none): its bead files compared with the old subtree's by name, each
 * changed one parsed into b, its position appended to ch.  0, or 2 when a
 * bead came or went (or the index does not hold what the old tree did),
 * or a GT_E* code.
 */
static int diff_subtree(struct builder *b, git_odb *odb, const struct gt_index *idx,
			const git_oid *old, const git_oid *new, struct changed *ch)
{
	git_odb_object *ot, *nt;
	struct raw_list lo = { 0 }, ln = { 0 };
	size_t i = 0, k = 0;
	int rc = 0;

	if (read_tree_obj(&ot, odb, old) < 0)
		return 2;
	if (read_tree_obj(&nt, odb, new) < 0) {
		git_odb_object_free(ot);
		return gt_error_set(GT_EFAIL, "cannot read a subtree of beads/");
	}
	if ((ot && raw_list(&lo, ot, 0) < 0) || (nt && raw_list(&ln, nt, 0) < 0))
		rc = 2;
	while (!rc && (i < lo.n || k < ln.n)) {
		const struct rawent *a = i < lo.n ? &lo.v[i] : NULL,
				    *e = k < ln.n ? &ln.v[k] : NULL;
		char id[GT_ID_MAX + 1];
		uint32_t j;

		if (!a || !e || strcmp(a->name, e->name) || e->len - 5 > GT_ID_MAX) {
			rc = 2; /* a bead added or removed */
			break;
		}
		i++;
		k++;
		if (!git_oid_cmp(a->id, e->id))
			continue;
		memcpy(id, e->name, e->len - 5);
		id[e->len - 5] = '\0';
		j = find_in(idx->recs, idx->shard_start, idx->pool, id, NULL);
		if (j == GT_IREF_NONE || git_oid_cmp(&idx->oids[j], a->id)) {
			rc = 2;
			break;
		}
		if ((rc = parse_entry(b, odb, e)) < 0)
			break;
		GT_ALLOC_GROW(ch->pos, ch->n + 1, ch->alloc);
		ch->pos[ch->n++] = j;
		if (ch->n > PATCH_MAX_ENTS(idx))
			rc = 2; /* too many for a patch: stop parsing now */
	}
	free(lo.v);
	free(ln.v);
	git_odb_object_free(ot);
	git_odb_object_free(nt);
	return rc;
}

/*
 * A changed shard of a two-level tree, compared with the tree idx was
 * built from (still in the repository): of its 256 subtrees only those
 * whose id changed are read, old and new, so a few beads changed cost a
 * few small trees, not the whole shard.  0 when done; 1 when the shard is
 * not two-level or the old tree is gone (the caller reads the whole
 * shard; nothing was parsed); 2 when a bead came or went; or a GT_E* code.
 */
static int refresh_two_level(struct builder *b, git_odb *odb, const struct gt_index *idx, int s,
			     const git_oid *tree, struct changed *ch)
{
	git_odb_object *ot, *nt;
	struct raw_list lo = { 0 }, ln = { 0 };
	size_t i = 0, k = 0;
	int rc = 0;

	if (git_oid_is_zero(&idx->shard_oid[s]) || read_tree_obj(&ot, odb, &idx->shard_oid[s]) < 0)
		return 1;
	if (read_tree_obj(&nt, odb, tree) < 0) {
		git_odb_object_free(ot);
		return 1;
	}
	if (raw_list(&lo, ot, 1) < 0 || raw_list(&ln, nt, 1) < 0 || lo.files || ln.files ||
	    !ln.subs)
		rc = 1;
	while (!rc && (i < lo.n || k < ln.n)) {
		const struct rawent *a = i < lo.n ? &lo.v[i] : NULL,
				    *e = k < ln.n ? &ln.v[k] : NULL;
		int c = !a ? 1 : !e ? -1 : strcmp(a->name, e->name);

		i += c <= 0;
		k += c >= 0;
		if (c == 0 && !git_oid_cmp(a->id, e->id))
			continue;
		rc = diff_subtree(b, odb, idx, c <= 0 ? a->id : NULL, c >= 0 ? e->id : NULL, ch);
	}
	free(lo.v);
	free(ln.v);
	git_odb_object_free(ot);
	git_odb_object_free(nt);
	return rc;
}

/*
 * The fast refresh: when every changed shard of beads holds the same bead
 * names as idx, only the changed records are parsed, what they change is
 * derived again (derive_some), and the result is written as a patch.
 * Returns 0 when done, 1 when a full rebuild is needed (a bead added or
 * removed, no room, the patch too big), or a GT_E* code.  Nothing in idx
 * changes before it is sure to succeed.
 */
static int fast_refresh(struct gt_ledger *lg, struct gt_index *idx, git_tree *beads,
			const git_oid *beads_id)
{
	struct builder b;
	struct gt_ipatch *op = idx->patch, *np = NULL;
	struct gt_irec *old = NULL;
	struct collect all = { 0 }, extra = { 0 };
	struct ctab ct = { 0 };
	struct changed ch = { NULL, 0, 0 };
	git_oid shards[256];
	uint32_t *pos, base_pool;
	size_t npos;
	git_odb *odb = NULL;
	int rc = 0;

	if (!idx->mapped || !beads || (op && op->nents > PATCH_MAX_ENTS(idx)))
		return 1;
	memset(&b, 0, sizeof(b));
	b.off_pool = idx->pool_len;
	b.off_edges = idx->nedges;
	b.off_labels = idx->nlabels;
	b.off_vocab = idx->nvocab;
	for (uint32_t v = 0; v < idx->nvocab; v++)
		gt_map_put(&b.vocab_map, own(&b, idx->pool + idx->vocab[v]),
			   (void *)(uintptr_t)(v + 1));
	if (git_repository_odb(&odb, lg->git) < 0) {
		rc = gt_error_git(GT_EFAIL, "cannot open the object database");
		goto out;
	}
	for (int s = 0; s < 256 && !rc; s++) {
		char name[3] = { "0123456789abcdef"[s >> 4], "0123456789abcdef"[s & 15], 0 };
		const git_tree_entry *e = git_tree_entry_byname(beads, name);
		uint32_t j = idx->shard_start[s], jend = idx->shard_start[s + 1];
		struct shard sh;

		if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			rc = j == jend ? 0 : 1; /* a shard emptied: structural */
			memset(&shards[s], 0, sizeof(shards[s]));
			continue;
		}
		git_oid_cpy(&shards[s], git_tree_entry_id(e));
		if (!git_oid_cmp(&shards[s], &idx->shard_oid[s]))
			continue;
		rc = refresh_two_level(&b, odb, idx, s, &shards[s], &ch);
		if (rc != 1) {
			rc = rc == 2 ? 1 : rc;
			continue;
		}
		rc = 0;
		memset(&sh, 0, sizeof(sh));
		rc = shard_read(&sh, odb, git_tree_entry_id(e), name, 0);
		for (size_t k = 0; k < sh.n && !rc; k++, j++) {
			const struct rawent *re = &sh.v[k];

			if (j >= jend || cmp_id_name(idx->pool + idx->recs[j].id, re->name)) {
				rc = 1; /* a bead added or removed */
				break;
			}
			if (git_oid_cmp(re->id, &idx->oids[j])) {
				rc = parse_entry(&b, odb, re);
				GT_ALLOC_GROW(ch.pos, ch.n + 1, ch.alloc);
				ch.pos[ch.n++] = j;
				if (!rc && ch.n > PATCH_MAX_ENTS(idx))
					rc = 1; /* too many for a patch: stop parsing now */
			}
		}
		if (!rc && j != jend)
			rc = 1;
		shard_release(&sh);
	}
	pos = ch.pos;
	npos = ch.n;
	if (rc)
		goto out;
	/* edge targets: positions do not move, so look them up in idx */
	for (size_t e = 0; e < b.nedges; e++) {
		struct gt_iedge *ed = &b.edges[e];
		const char *tid = ed->target_id >= b.off_pool
					  ? b.pool.ptr + (ed->target_id - b.off_pool)
					  : idx->pool + ed->target_id;
		uint32_t at;

		ed->target = GT_IREF_NONE;
		if (strncmp(tid, "external:", 9) && gt_id_check(tid) == 0 &&
		    find_in(idx->recs, idx->shard_start, idx->pool, tid, &at) != GT_IREF_NONE)
			ed->target = at;
		gt_error_clear();
	}
	/* room for what the patch adds, and not so much of it that a new
	 * base would be cheaper */
	base_pool = op ? op->base_pool_len : idx->pool_len;
	if (idx->nedges + b.nedges > idx->cap_edges || idx->nlabels + b.nlabels > idx->cap_labels ||
	    idx->nvocab + b.nvocab > idx->cap_vocab || idx->pool_len + b.pool.len > idx->cap_pool ||
	    idx->pool_len + b.pool.len - base_pool > base_pool / 2 + 65536) {
		rc = 1;
		goto out;
	}

	/* from here on idx changes, and the refresh succeeds */
	np = gt_calloc(1, sizeof(*np));
	np->base_checksum = idx->hdr->checksum;
	np->base_nedges = op ? op->base_nedges : idx->nedges;
	np->base_nlabels = op ? op->base_nlabels : idx->nlabels;
	np->base_nvocab = op ? op->base_nvocab : idx->nvocab;
	np->base_pool_len = base_pool;
	np->edges = concat(op ? op->edges : NULL, op ? op->nedges : 0, b.edges, b.nedges,
			   sizeof(*b.edges));
	np->nedges = (op ? op->nedges : 0) + (uint32_t)b.nedges;
	np->labels = concat(op ? op->labels : NULL, op ? op->nlabels : 0, b.labels, b.nlabels,
			    sizeof(*b.labels));
	np->nlabels = (op ? op->nlabels : 0) + (uint32_t)b.nlabels;
	np->vocab = concat(op ? op->vocab : NULL, op ? op->nvocab : 0, b.vocab, b.nvocab,
			   sizeof(*b.vocab));
	np->nvocab = (op ? op->nvocab : 0) + (uint32_t)b.nvocab;
	np->pool = concat(op ? op->pool : NULL, op ? op->pool_len : 0, b.pool.ptr, b.pool.len, 1);
	np->pool_len = (op ? op->pool_len : 0) + (uint32_t)b.pool.len;
	if (b.nedges)
		memcpy(idx->edges + idx->nedges, b.edges, b.nedges * sizeof(*b.edges));
	idx->nedges += (uint32_t)b.nedges;
	if (b.nlabels)
		memcpy(idx->labels + idx->nlabels, b.labels, b.nlabels * sizeof(*b.labels));
	idx->nlabels += (uint32_t)b.nlabels;
	if (b.nvocab)
		memcpy(idx->vocab + idx->nvocab, b.vocab, b.nvocab * sizeof(*b.vocab));
	idx->nvocab += (uint32_t)b.nvocab;
	if (b.pool.len)
		memcpy((char *)idx->pool + idx->pool_len, b.pool.ptr, b.pool.len);
	idx->pool_len += (uint32_t)b.pool.len;
	ensure_cls(idx);

	/* the changed records in place, their old bits kept for now */
	old = gt_malloc((npos ? npos : 1) * sizeof(*old));
	for (uint32_t i = 0; op && i < op->nents; i++)
		collect_one(op->ents[i].pos, &all);
	for (size_t k = 0; k < npos; k++) {
		struct gt_irec r = b.recs[k];

		old[k] = idx->recs[pos[k]];
		if (!(old[k].derived & GT_ID_PATCHED))
			collect_one(pos[k], &all);
		r.derived = (uint16_t)((old[k].derived & (GT_ID_DIRECT | GT_ID_BLOCKED)) |
				       GT_ID_PATCHED);
		idx->recs[pos[k]] = r;
		git_oid_cpy((git_oid *)&idx->oids[pos[k]], &b.oids[k]);
	}
	np->pairs = pairs_of(idx, all.v, all.n, &np->npairs);
	idx->pairs = np->pairs;
	idx->npairs = np->npairs;
	derive_some(idx, pos, old, npos, &extra);
	if (extra.n) {
		for (size_t k = 0; k < extra.n; k++) {
			idx->recs[extra.v[k]].derived |= GT_ID_PATCHED;
			collect_one(extra.v[k], &all);
		}
		free(np->pairs);
		np->pairs = pairs_of(idx, all.v, all.n, &np->npairs);
		idx->pairs = np->pairs;
		idx->npairs = np->npairs;
	}
	if (all.n > 1)
		qsort(all.v, all.n, sizeof(*all.v), u32_cmp);
	np->nents = (uint32_t)all.n;
	np->ents = gt_calloc(all.n ? all.n : 1, sizeof(*np->ents));
	for (size_t k = 0; k < all.n; k++) {
		np->ents[k].pos = all.v[k];
		np->ents[k].rec = idx->recs[all.v[k]];
		np->ents[k].rec.derived &= ~GT_ID_PATCHED;
		git_oid_cpy(&np->ents[k].oid, &idx->oids[all.v[k]]);
	}
	for (int o = 0; o < 2; o++) {
		np->by[o] = concat(all.v, all.n, NULL, 0, sizeof(*all.v));
		sort_idx = idx;
		sort_order = o;
		qsort(np->by[o], all.n, sizeof(*all.v), pos_cmp_order);
	}
	/* the counts: the changed records' old keys out, new ones in */
	ctab_add_counts(&ct, idx->counts, idx->ncounts);
	for (size_t k = 0; k < npos; k++) {
		ctab_add(&ct, count_key(&old[k]), -1);
		ctab_add(&ct, count_key(&idx->recs[pos[k]]), 1);
	}
	np->counts = ctab_finish(&ct, &np->ncounts);
	git_oid_cpy(&np->tree, beads_id);
	memcpy(np->shards, shards, sizeof(shards));

	idx->pby[0] = np->by[0];
	idx->pby[1] = np->by[1];
	idx->npby = np->nents;
	idx->counts = np->counts;
	idx->ncounts = np->ncounts;
	git_oid_cpy(&idx->beads_tree, beads_id);
	memcpy(idx->shard_oid, shards, sizeof(shards));
	patch_free(op);
	idx->patch = np;
	patch_save(lg, idx, np);
	idx->stat_blobs_parsed = b.parsed;
	idx->stat_shards_rebuilt = b.shards;
out:
	free(old);
	free(all.v);
	free(extra.v);
	free(ch.pos);
	git_odb_free(odb);
	builder_release(&b);
	return rc;
}

int gt_index_open(struct gt_index **out, struct gt_ledger *lg, git_tree *tree)
{
	struct gt_index *old, *idx;
	git_tree *beads = NULL;
	git_oid beads_id;
	int rc;

	*out = NULL;
	if (!tree)
		tree = lg->tree;
	memset(&beads_id, 0, sizeof(beads_id));
	if (tree) {
		const git_tree_entry *e = git_tree_entry_byname(tree, "beads");

		if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			git_oid_cpy(&beads_id, git_tree_entry_id(e));
			if (git_tree_lookup(&beads, lg->git, &beads_id) < 0)
				return gt_error_git(GT_EFAIL, "cannot read the beads tree");
		}
	}
	old = load_file(lg);
	if (old && !git_oid_cmp(&old->beads_tree, &beads_id)) {
		git_tree_free(beads);
		*out = old;
		return 0;
	}
	/* beads changed in place: patch the index instead of rewriting it */
	if (old && (rc = fast_refresh(lg, old, beads, &beads_id)) <= 0) {
		git_tree_free(beads);
		if (rc < 0) {
			gt_index_free(old);
			return rc;
		}
		*out = old;
		return 0;
	}
	idx = gt_calloc(1, sizeof(*idx));
	rc = rebuild(idx, old, lg->git, beads, &beads_id);
	git_tree_free(beads);
	gt_index_free(old);
	if (rc < 0) {
		gt_index_free(idx);
		return rc;
	}
	save_file(lg, idx);
	*out = idx;
	return 0;
}

void gt_index_release_mem(struct gt_index *idx)
{
	if (idx->mapped)
		munmap(idx->mem, idx->len);
	else
		free(idx->mem);
	for (size_t i = 0; i < sizeof(idx->owned) / sizeof(idx->owned[0]); i++) {
		free(idx->owned[i]);
		idx->owned[i] = NULL;
	}
	if (!idx->mapped && idx->hdr && (char *)idx->hdr != idx->mem)
		free(idx->hdr);
	patch_free(idx->patch);
	free(idx->cls);
	idx->cls = NULL;
	idx->ncls = 0;
	idx->patch = NULL;
	idx->hdr = NULL;
	idx->mem = NULL;
	idx->mapped = 0;
	idx->pby[0] = idx->pby[1] = NULL;
	idx->npby = 0;
	idx->pairs = NULL;
	idx->npairs = 0;
}

void gt_index_free(struct gt_index *idx)
{
	if (!idx)
		return;
	if (idx->has_unlinker)
		pthread_join(idx->unlinker, NULL);
	gt_index_release_mem(idx);
	free(idx);
}

int gt_index_remove(struct gt_ledger *lg)
{
	struct gt_buf p = GT_BUF_INIT;
	int rc = 0;

	index_path(&p, lg);
	if (unlink(p.ptr) < 0 && errno != ENOENT)
		rc = gt_error_errno(GT_EFAIL, "cannot remove '%s'", p.ptr);
	patch_path(&p, lg);
	if (unlink(p.ptr) < 0 && errno != ENOENT && !rc)
		rc = gt_error_errno(GT_EFAIL, "cannot remove '%s'", p.ptr);
	stamp_path(&p, lg);
	if (unlink(p.ptr) < 0 && errno != ENOENT && !rc)
		rc = gt_error_errno(GT_EFAIL, "cannot remove '%s'", p.ptr);
	gt_buf_release(&p);
	return rc;
}

int gt_index_clean(struct gt_ledger *lg)
{
	struct gt_buf dir = GT_BUF_INIT, f = GT_BUF_INIT;
	struct dirent *e;
	int n = 0;
	DIR *d;

	gt_repo_runtime_path(&dir, lg->repo, "index", 0);
	if ((d = opendir(dir.ptr))) {
		while ((e = readdir(d))) {
			size_t l = strlen(e->d_name);

			/* leftovers of processes that died: "*.old" and "*.tmp" an
			 * hour old (a live writer's .tmp is seconds old) */
			if (strncmp(e->d_name, "beads.idx.", 10) ||
			    (l < 4 || (strcmp(e->d_name + l - 4, ".old") &&
				       strcmp(e->d_name + l - 4, ".tmp"))))
				continue;
			gt_buf_reset(&f);
			gt_buf_printf(&f, "%s/%s", dir.ptr, e->d_name);
			{
				struct stat st;

				if (stat(f.ptr, &st) == 0 && time(NULL) - st.st_mtime > 3600 &&
				    unlink(f.ptr) == 0)
					n++;
			}
		}
		closedir(d);
	}
	gt_buf_release(&dir);
	gt_buf_release(&f);
	return n;
}

uint32_t gt_index_find(const struct gt_index *idx, const char *id)
{
	if (gt_id_check(id) < 0) {
		gt_error_clear();
		return GT_IREF_NONE;
	}
	return find_in(idx->recs, idx->shard_start, idx->pool, id, NULL);
}

uint16_t gt_index_vocab_find(const struct gt_index *idx, const char *s)
{
	for (uint32_t v = 0; v < idx->nvocab; v++)
		if (!strcmp(idx->pool + idx->vocab[v], s))
			return (uint16_t)v;
	return 0xffff;
}
