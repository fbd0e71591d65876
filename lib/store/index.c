/*
 * index.c - building, refreshing, saving and loading the query index.
 *
 * The file is the in-memory image: a header, then the record, edge, label
 * and vocabulary arrays, the string pool, and last each record's blob id,
 * in host byte order (the header records the byte order and record size,
 * and any mismatch means "rebuild").  Loading maps the file: queries touch
 * the arrays they need, and the blob ids only of the beads they print.
 * A checksum over everything before the blob ids catches a damaged file;
 * a damaged blob id cannot show the wrong bead, because whoever reads a
 * bead by blob id checks the id inside it.
 *
 * Refresh: the new index starts from the old string pool and vocabulary
 * (their offsets stay valid), copies the records of unchanged shards,
 * merges the old records of a changed shard with its new tree by name
 * (copying a record whose blob id did not change, parsing the blob
 * otherwise), then fixes edge targets: positions in changed shards are
 * remapped, and edges whose target was missing are looked up again if
 * the target's shard changed.
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

#define MAGIC  "GTIDX06\n" /* 06: times as int64 seconds */
#define ENDIAN 0x01020304u

struct file_hdr {
	char magic[8];
	uint64_t checksum; /* of the bytes after this field, up to the blob ids */
	uint32_t endian;
	uint32_t rec_size;
	uint8_t beads_tree[GIT_OID_RAWSZ];
	uint32_t nrecs, nedges, nlabels, nvocab, pool_len;
	uint32_t pool_base; /* pool size after the last compaction */
	uint8_t shard_oid[256][GIT_OID_RAWSZ];
	uint32_t shard_start[257];
};

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

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
	if (b->nvocab >= 0xfffe)
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

	r->id = pool_add(b, id, idlen);
	r->edges = b->off_edges + (uint32_t)b->nedges;
	r->labels = b->off_labels + (uint32_t)b->nlabels;
	r->priority = GT_PRIORITY_DEFAULT;
	r->status = vocab(b, "open");
	r->type = vocab(b, "task");
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

/* Rebuild shard s from its new tree (raw object data), reusing old records
 * whose blob is unchanged (the old index knows each record's blob id, so
 * the old tree is not needed); runs of unchanged records are copied as
 * blocks.  remap[j] receives the new position of old position j. */
static int build_shard(struct builder *b, git_odb *odb, const struct gt_index *old, int s,
		       const char *tree, size_t tree_len, uint32_t **remap)
{
	const char *p = tree, *end = tree + tree_len;
	uint32_t base = (uint32_t)b->nrecs, ostart = 0, oend = 0, j, run = 0;
	struct rawent e;
	int have, rc = 0, in_run = 0;

	*remap = NULL;
	b->shards++;
	if (old) {
		ostart = old->shard_start[s];
		oend = old->shard_start[s + 1];
	}
	if (oend > ostart)
		*remap = gt_malloc((oend - ostart) * sizeof(**remap));
	j = ostart;
	have = tree ? raw_next(&p, end, &e) : 0;
	while ((have > 0 || j < oend) && !rc) {
		size_t before;
		int cmp;

		if (have > 0 && ((e.mode & 0170000) != 0100000 || e.len <= 5 ||
				 memcmp(e.name + e.len - 5, ".json", 5))) {
			have = raw_next(&p, end, &e); /* not a bead file: not indexed */
			continue;
		}
		cmp = have <= 0	  ? 1
		      : j >= oend ? -1
				  : -cmp_id_name(old->pool + old->recs[j].id, e.name);
		if (cmp == 0 && !git_oid_cmp(e.id, &old->oids[j])) {
			if (!in_run) {
				run = j;
				in_run = 1;
			}
			j++;
			have = raw_next(&p, end, &e);
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
		rc = parse_entry(b, odb, &e);
		if (cmp == 0) {
			(*remap)[j - ostart] =
				b->nrecs > before ? (uint32_t)(before - base) : GT_IREF_NONE;
			j++;
		}
		have = raw_next(&p, end, &e);
	}
	if (in_run && !rc)
		copy_run(b, old, run, j, ostart, base, *remap);
	if (have < 0 && !rc)
		rc = gt_error_set(GT_EFAIL, "shard %02x: malformed tree", s);
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

struct layout {
	size_t recs, edges, labels, vocab, pool, oids, total;
};

static void layout_of(struct layout *l, size_t nrecs, size_t nedges, size_t nlabels, size_t nvocab,
		      size_t pool_len)
{
	l->recs = ALIGN8(sizeof(struct file_hdr));
	l->edges = ALIGN8(l->recs + nrecs * sizeof(struct gt_irec));
	l->labels = ALIGN8(l->edges + nedges * sizeof(struct gt_iedge));
	l->vocab = ALIGN8(l->labels + nlabels * sizeof(uint32_t));
	l->pool = ALIGN8(l->vocab + nvocab * sizeof(uint32_t));
	l->oids = ALIGN8(l->pool + pool_len);
	l->total = l->oids + nrecs * sizeof(git_oid);
}

static const char zeros[8];

/* The pieces of the file in order, with the zero padding between them
 * (each array starts 8-aligned); the checksummed ones come first. */
static int pieces(const struct gt_index *idx, struct iovec *v, int *nsum)
{
	struct layout l;
	size_t at;
	int n = 0;

	layout_of(&l, idx->nrecs, idx->nedges, idx->nlabels, idx->nvocab, idx->pool_len);
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
	if (l.oids > at)
		v[n++] = (struct iovec){ (void *)zeros, l.oids - at };
	*nsum = n;
	v[n++] = (struct iovec){ (void *)idx->oids, idx->nrecs * sizeof(git_oid) };
#undef PIECE
	return n;
}

/* The new index takes the builder's arrays as they are (no second copy);
 * the header is made here and the checksum summed over the pieces in
 * file order. */
static void finish(struct gt_index *idx, struct builder *b, const git_oid *tree)
{
	struct file_hdr *h = gt_calloc(1, sizeof(*h));
	struct iovec v[16];
	struct csum c;
	int nsum;

	memcpy(h->magic, MAGIC, 8);
	h->endian = ENDIAN;
	h->rec_size = sizeof(struct gt_irec);
	memcpy(h->beads_tree, tree->id, GIT_OID_RAWSZ);
	h->nrecs = (uint32_t)b->nrecs;
	h->nedges = (uint32_t)b->nedges;
	h->nlabels = (uint32_t)b->nlabels;
	h->nvocab = (uint32_t)b->nvocab;
	h->pool_len = (uint32_t)b->pool.len;
	h->pool_base = b->pool_base ? b->pool_base : (uint32_t)b->pool.len;
	for (int s = 0; s < 256; s++)
		memcpy(h->shard_oid[s], b->shard_oid[s].id, GIT_OID_RAWSZ);
	memcpy(h->shard_start, b->shard_start, sizeof(h->shard_start));

	gt_index_release_mem(idx);
	idx->hdr = h;
	idx->recs = b->recs;
	idx->nrecs = h->nrecs;
	idx->oids = b->oids;
	idx->edges = b->edges;
	idx->nedges = h->nedges;
	idx->labels = b->labels;
	idx->nlabels = h->nlabels;
	idx->vocab = b->vocab;
	idx->nvocab = h->nvocab;
	idx->pool = gt_buf_cstr(&b->pool);
	idx->pool_len = h->pool_len;
	idx->pool_base = h->pool_base;
	memcpy(idx->shard_start, b->shard_start, sizeof(idx->shard_start));
	memcpy(idx->beads_tree.id, tree->id, GIT_OID_RAWSZ);
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

	pieces(idx, v, &nsum);
	csum_init(&c);
	csum_add(&c, (const char *)v[0].iov_base + CSUM_FROM, v[0].iov_len - CSUM_FROM);
	for (int i = 1; i < nsum; i++)
		csum_add(&c, v[i].iov_base, v[i].iov_len);
	h->checksum = csum_end(&c);
}

/* Point idx's arrays into idx->mem.  A file read from disk (verify set)
 * is checked first, its checksum and every offset, so a damaged file is
 * rejected instead of trusted; an image just built is not. */
static int attach(struct gt_index *idx, int verify)
{
	const struct file_hdr *h = (const struct file_hdr *)idx->mem;
	struct layout l;

	if (idx->len < sizeof(*h) || memcmp(h->magic, MAGIC, 8) || h->endian != ENDIAN ||
	    h->rec_size != sizeof(struct gt_irec))
		return -1;
	layout_of(&l, h->nrecs, h->nedges, h->nlabels, h->nvocab, h->pool_len);
	if (l.total != idx->len || !h->pool_len || idx->mem[l.pool + h->pool_len - 1] != '\0' ||
	    h->shard_start[256] != h->nrecs)
		return -1;
	if (verify && h->checksum != checksum(idx->mem + CSUM_FROM, l.oids - CSUM_FROM))
		return -1;
	memcpy(idx->beads_tree.id, h->beads_tree, GIT_OID_RAWSZ);
	for (int s = 0; s < 256; s++) {
		memcpy(idx->shard_oid[s].id, h->shard_oid[s], GIT_OID_RAWSZ);
		if (h->shard_start[s] > h->shard_start[s + 1])
			return -1;
	}
	memcpy(idx->shard_start, h->shard_start, sizeof(idx->shard_start));
	idx->recs = (struct gt_irec *)(idx->mem + l.recs);
	idx->nrecs = h->nrecs;
	idx->edges = (struct gt_iedge *)(idx->mem + l.edges);
	idx->nedges = h->nedges;
	idx->labels = (uint32_t *)(idx->mem + l.labels);
	idx->nlabels = h->nlabels;
	idx->vocab = (uint32_t *)(idx->mem + l.vocab);
	idx->nvocab = h->nvocab;
	idx->pool = idx->mem + l.pool;
	idx->pool_len = h->pool_len;
	idx->pool_base = h->pool_base;
	idx->oids = (const git_oid *)(idx->mem + l.oids);
	idx->hdr = (struct file_hdr *)idx->mem;
	if (!verify)
		return 0;
	for (uint32_t i = 0; i < idx->nrecs; i++) {
		const struct gt_irec *r = &idx->recs[i];

		if (r->id >= h->pool_len || r->assignee >= h->pool_len ||
		    (size_t)r->edges + r->nedges > h->nedges ||
		    (size_t)r->labels + r->nlabels > h->nlabels || r->status >= h->nvocab ||
		    r->type >= h->nvocab)
			return -1;
	}
	for (uint32_t e = 0; e < idx->nedges; e++) {
		const struct gt_iedge *ed = &idx->edges[e];

		if (ed->target_id >= h->pool_len || ed->spawner >= h->pool_len ||
		    ed->type >= h->nvocab ||
		    (ed->target != GT_IREF_NONE &&
		     idx->shard_start[ed->target >> 24] + (ed->target & 0xffffff) >=
			     idx->shard_start[(ed->target >> 24) + 1]))
			return -1;
	}
	for (uint32_t k = 0; k < idx->nlabels; k++)
		if (idx->labels[k] >= h->pool_len)
			return -1;
	for (uint32_t v = 0; v < idx->nvocab; v++)
		if (idx->vocab[v] >= h->pool_len)
			return -1;
	return 0;
}

static void index_path(struct gt_buf *p, struct gt_ledger *lg)
{
	gt_repo_runtime_path(p, lg->repo, "index/beads.idx", 0);
}

static void patch_path(struct gt_buf *p, struct gt_ledger *lg)
{
	gt_repo_runtime_path(p, lg->repo, "index/beads.idx.patch", 0);
}

static struct gt_index *load_file(struct gt_ledger *lg)
{
	struct gt_buf p = GT_BUF_INIT;
	struct gt_index *idx = NULL;
	struct stat st;
	int fd;

	index_path(&p, lg);
	fd = open(p.ptr, O_RDONLY | O_CLOEXEC);
	gt_buf_release(&p);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size < (1LL << 32)) {
		/* writable but private: a patch is applied to the pages it
		 * touches, copy-on-write, never to the file */
		void *m =
			mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

		if (m != MAP_FAILED) {
			idx = gt_calloc(1, sizeof(*idx));
			idx->mem = m;
			idx->len = (size_t)st.st_size;
			idx->mapped = 1;
			if (attach(idx, 1) < 0) {
				gt_index_free(idx);
				idx = NULL;
			}
		}
	}
	close(fd);
	return idx;
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
static void replace_file(struct gt_index *idx, const char *tmp, const char *path)
{
	struct gt_buf old = GT_BUF_INIT;

	gt_buf_printf(&old, "%s.%ld.old", path, (long)getpid());
	if (link(path, old.ptr) < 0)
		gt_buf_reset(&old); /* no old file (or no hard links here) */
	if (rename(tmp, path) < 0) {
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
}

static void save_file(struct gt_ledger *lg, struct gt_index *idx)
{
	struct gt_buf p = GT_BUF_INIT, tmp = GT_BUF_INIT;
	struct iovec v[16];
	int nsum, n = pieces(idx, v, &nsum);

	index_path(&p, lg);
	if (gt_write_temp(&tmp, p.ptr, v, n) == 0) {
		replace_file(idx, tmp.ptr, p.ptr);
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

static int rebuild(struct gt_index *idx, struct gt_index *old, git_repository *git, git_tree *beads,
		   const git_oid *beads_id)
{
	struct builder b;
	uint8_t changed[256] = { 0 };
	uint32_t *remap[256] = { 0 };
	git_odb *odb = NULL;
	int rc = 0;

	memset(&b, 0, sizeof(b));
	seed_from_old(&b, old);
	if (git_repository_odb(&odb, git) < 0) {
		builder_release(&b);
		return gt_error_git(GT_EFAIL, "cannot open the object database");
	}
	for (int s = 0; s < 256 && !rc; s++) {
		char name[3] = { "0123456789abcdef"[s >> 4], "0123456789abcdef"[s & 15], 0 };
		const git_tree_entry *e = beads ? git_tree_entry_byname(beads, name) : NULL;
		git_oid zero;

		memset(&zero, 0, sizeof(zero));
		b.shard_start[s] = (uint32_t)b.nrecs;
		git_oid_cpy(&b.shard_oid[s], e ? git_tree_entry_id(e) : &zero);
		if (old && !git_oid_cmp(&old->shard_oid[s], &b.shard_oid[s])) {
			copy_range(&b, old, old->shard_start[s], old->shard_start[s + 1]);
			continue;
		}
		changed[s] = 1;
		if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			git_odb_object *t;

			/* the raw object: no tree object, no entry vector */
			if (git_odb_read(&t, odb, git_tree_entry_id(e)) < 0) {
				rc = gt_error_git(GT_EFAIL, "cannot read shard %s", name);
				break;
			}
			rc = build_shard(&b, odb, old, s, git_odb_object_data(t),
					 git_odb_object_size(t), &remap[s]);
			git_odb_object_free(t);
		} else {
			rc = build_shard(&b, odb, old, s, NULL, 0, &remap[s]);
		}
		if (b.nrecs - b.shard_start[s] > 0xffffff)
			rc = gt_error_set(GT_EFAIL, "shard %s is too large to index", name);
	}
	b.shard_start[256] = (uint32_t)b.nrecs;
	if (!rc) {
		fix_edges(&b, changed, remap);
		compact(&b);
		finish(idx, &b, beads_id);
		idx->stat_blobs_parsed = b.parsed;
		idx->stat_shards_rebuilt = b.shards;
	}
	for (int s = 0; s < 256; s++)
		free(remap[s]);
	git_odb_free(odb);
	builder_release(&b);
	return rc;
}

/* ---- the patch file ----
 *
 * Rewriting the whole index (10 MB at 100k beads) for a handful of changed
 * beads costs more than the query.  When a refresh only changes beads in
 * place (no bead added or removed, so every position stays), it writes
 * beads.idx.patch instead: the changed records with their blob ids, and
 * the edges, labels, vocabulary and strings they add, appended after the
 * base's arrays.  The patch names the base by its checksum and holds every
 * change since that base, so a reader needs the base and one patch.  A
 * patch grown past an eighth of the records, or a structural change,
 * means a full rebuild, which writes a new base and removes the patch.
 */

#define PATCH_MAGIC "GTIDXP2\n" /* records as in GTIDX06 */

struct patch_hdr {
	char magic[8];
	uint64_t checksum; /* of the bytes after this field */
	uint64_t base_checksum;
	uint32_t base_nrecs, base_nedges, base_nlabels, base_nvocab, base_pool_len;
	uint32_t nents, nedges, nlabels, nvocab, pool_len;
	uint8_t beads_tree[GIT_OID_RAWSZ];
	uint8_t shard_oid[256][GIT_OID_RAWSZ];
};

struct patch_ent {
	uint32_t pos, reserved;
	struct gt_irec rec;
	git_oid oid;
	uint8_t pad[4];
};

/* past this many changed records a new base is cheaper to read */
#define PATCH_MAX_ENTS(idx) ((idx)->nrecs / 8 + 64)

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
	free(p);
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

/* replace idx->owned[slot] (and the array it stands for) with a heap
 * array holding the base prefix of old (n0 items) then add (na items) */
static void *combine(struct gt_index *idx, int slot, const void *old, size_t n0, const void *add,
		     size_t na, size_t size)
{
	void *m = concat(old, n0, add, na, size);

	free(idx->owned[slot]);
	idx->owned[slot] = m;
	return m;
}

/* Bring idx (a base, perhaps with an older patch of the same base applied)
 * to base + p, and take p. */
static void apply_patch(struct gt_index *idx, struct gt_ipatch *p, const git_oid *tree,
			const git_oid *shards)
{
	idx->edges = combine(idx, 2, idx->edges, p->base_nedges, p->edges, p->nedges,
			     sizeof(*idx->edges));
	idx->nedges = p->base_nedges + p->nedges;
	idx->labels = combine(idx, 3, idx->labels, p->base_nlabels, p->labels, p->nlabels,
			      sizeof(*idx->labels));
	idx->nlabels = p->base_nlabels + p->nlabels;
	idx->vocab = combine(idx, 4, idx->vocab, p->base_nvocab, p->vocab, p->nvocab,
			     sizeof(*idx->vocab));
	idx->nvocab = p->base_nvocab + p->nvocab;
	idx->pool = combine(idx, 5, idx->pool, p->base_pool_len, p->pool, p->pool_len, 1);
	idx->pool_len = p->base_pool_len + p->pool_len;
	for (uint32_t i = 0; i < p->nents; i++) {
		idx->recs[p->ents[i].pos] = p->ents[i].rec;
		git_oid_cpy((git_oid *)&idx->oids[p->ents[i].pos], &p->ents[i].oid);
	}
	git_oid_cpy(&idx->beads_tree, tree);
	for (int s = 0; s < 256; s++)
		git_oid_cpy(&idx->shard_oid[s], &shards[s]);
	if (idx->patch != p)
		patch_free(idx->patch);
	idx->patch = p;
}

static int patch_valid(const struct gt_index *idx, const struct gt_ipatch *p)
{
	uint32_t ne = p->base_nedges + p->nedges, nl = p->base_nlabels + p->nlabels;
	uint32_t nv = p->base_nvocab + p->nvocab, np = p->base_pool_len + p->pool_len;

	if (p->base_nedges != idx->nedges || p->base_nlabels != idx->nlabels ||
	    p->base_nvocab != idx->nvocab || p->base_pool_len != idx->pool_len ||
	    (p->pool_len && p->pool[p->pool_len - 1] != '\0'))
		return 0;
	for (uint32_t i = 0; i < p->nents; i++) {
		const struct gt_irec *r = &p->ents[i].rec;

		if (p->ents[i].pos >= idx->nrecs || (i && p->ents[i].pos <= p->ents[i - 1].pos) ||
		    r->id >= np || r->assignee >= np || (size_t)r->edges + r->nedges > ne ||
		    (size_t)r->labels + r->nlabels > nl || r->status >= nv || r->type >= nv)
			return 0;
	}
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
	return 1;
}

/* Read beads.idx.patch and apply it when it is a patch of this base. */
static void load_patch(struct gt_ledger *lg, struct gt_index *idx)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	struct gt_ipatch *p = NULL;
	struct patch_hdr h;
	git_oid tree, shards[256];
	size_t at;
	int rc;

	patch_path(&path, lg);
	rc = gt_read_file(&data, path.ptr);
	gt_buf_release(&path);
	if (rc < 0) {
		gt_error_clear(); /* no patch: the index alone */
		gt_buf_release(&data);
		return;
	}
	if (data.len < sizeof(h))
		goto out;
	memcpy(&h, data.ptr, sizeof(h));
	if (memcmp(h.magic, PATCH_MAGIC, 8) || h.base_checksum != idx->hdr->checksum ||
	    h.base_nrecs != idx->nrecs ||
	    h.checksum != checksum(data.ptr + CSUM_FROM, data.len - CSUM_FROM) ||
	    data.len != sizeof(h) + (size_t)h.nents * sizeof(struct patch_ent) +
				(size_t)h.nedges * sizeof(struct gt_iedge) +
				((size_t)h.nlabels + h.nvocab) * sizeof(uint32_t) + h.pool_len)
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
#undef TAKE
	p->nents = h.nents;
	p->nedges = h.nedges;
	p->nlabels = h.nlabels;
	p->nvocab = h.nvocab;
	p->pool_len = h.pool_len;
	if (!patch_valid(idx, p))
		goto out;
	memcpy(tree.id, h.beads_tree, GIT_OID_RAWSZ);
	for (int s = 0; s < 256; s++)
		memcpy(shards[s].id, h.shard_oid[s], GIT_OID_RAWSZ);
	apply_patch(idx, p, &tree, shards);
	p = NULL;
out:
	patch_free(p);
	gt_buf_release(&data);
}

static void save_patch(struct gt_ledger *lg, const struct gt_index *idx, const struct gt_ipatch *p)
{
	struct gt_buf path = GT_BUF_INIT;
	struct patch_hdr h;
	struct iovec v[6];
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
	memcpy(h.beads_tree, idx->beads_tree.id, GIT_OID_RAWSZ);
	for (int s = 0; s < 256; s++)
		memcpy(h.shard_oid[s], idx->shard_oid[s].id, GIT_OID_RAWSZ);
	v[n++] = (struct iovec){ &h, sizeof(h) };
	v[n++] = (struct iovec){ p->ents, p->nents * sizeof(*p->ents) };
	v[n++] = (struct iovec){ p->edges, p->nedges * sizeof(*p->edges) };
	v[n++] = (struct iovec){ p->labels, p->nlabels * sizeof(*p->labels) };
	v[n++] = (struct iovec){ p->vocab, p->nvocab * sizeof(*p->vocab) };
	v[n++] = (struct iovec){ p->pool, p->pool_len };
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

static int ent_pos_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct patch_ent *)a)->pos, y = ((const struct patch_ent *)b)->pos;

	return x < y ? -1 : x > y;
}

/*
 * The fast refresh: when every changed shard of beads holds the same bead
 * names as idx, only the changed records are parsed, and the result is
 * written as a patch.  Returns 0 when done, 1 when a full rebuild is
 * needed (a bead added or removed, no base to patch, the patch too big),
 * or a GT_E* code.
 */
static int fast_refresh(struct gt_ledger *lg, struct gt_index *idx, git_tree *beads,
			const git_oid *beads_id)
{
	struct builder b;
	struct gt_ipatch *np = NULL, none;
	const struct gt_ipatch *op; /* the patch applied so far, or none */
	git_oid shards[256];
	uint32_t *pos = NULL;
	size_t npos = 0, apos = 0;
	git_odb *odb = NULL;
	int rc = 0;

	if (!idx->hdr || !beads)
		return 1;
	memset(&none, 0, sizeof(none));
	none.base_checksum = idx->hdr->checksum;
	none.base_nedges = idx->nedges;
	none.base_nlabels = idx->nlabels;
	none.base_nvocab = idx->nvocab;
	none.base_pool_len = idx->pool_len;
	op = idx->patch ? idx->patch : &none;
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
		git_odb_object *t;
		const char *p, *end;
		struct rawent re;
		uint32_t j = idx->shard_start[s], jend = idx->shard_start[s + 1];
		int have;

		if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE) {
			rc = j == jend ? 0 : 1; /* a shard emptied: structural */
			memset(&shards[s], 0, sizeof(shards[s]));
			continue;
		}
		git_oid_cpy(&shards[s], git_tree_entry_id(e));
		if (!git_oid_cmp(&shards[s], &idx->shard_oid[s]))
			continue;
		if (git_odb_read(&t, odb, git_tree_entry_id(e)) < 0) {
			rc = gt_error_git(GT_EFAIL, "cannot read shard %s", name);
			break;
		}
		p = git_odb_object_data(t);
		end = p + git_odb_object_size(t);
		while (!rc && (have = raw_next(&p, end, &re)) > 0) {
			if ((re.mode & 0170000) != 0100000 || re.len <= 5 ||
			    memcmp(re.name + re.len - 5, ".json", 5))
				continue;
			if (j >= jend || cmp_id_name(idx->pool + idx->recs[j].id, re.name)) {
				rc = 1; /* a bead added or removed */
				break;
			}
			if (git_oid_cmp(re.id, &idx->oids[j])) {
				rc = parse_entry(&b, odb, &re);
				GT_ALLOC_GROW(pos, npos + 1, apos);
				pos[npos++] = j;
				if (!rc && npos > PATCH_MAX_ENTS(idx))
					rc = 1; /* too many for a patch: stop parsing now */
			}
			j++;
		}
		if (!rc && (have < 0 || j != jend))
			rc = 1;
		git_odb_object_free(t);
	}
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
	/* the new patch: the old one's entries not changed again, then these */
	np = gt_calloc(1, sizeof(*np));
	np->base_checksum = op->base_checksum;
	np->base_nedges = op->base_nedges;
	np->base_nlabels = op->base_nlabels;
	np->base_nvocab = op->base_nvocab;
	np->base_pool_len = op->base_pool_len;
	np->ents = gt_malloc((op->nents + npos + 1) * sizeof(*np->ents));
	if (op->nents)
		memcpy(np->ents, op->ents, op->nents * sizeof(*np->ents));
	np->nents = op->nents;
	for (size_t k = 0; k < npos; k++) {
		struct patch_ent key = { .pos = pos[k] }, *pe;

		/* changed again since the old patch: replace its entry */
		pe = bsearch(&key, np->ents, op->nents, sizeof(*np->ents), ent_pos_cmp);
		if (!pe)
			pe = &np->ents[np->nents++];
		memset(pe, 0, sizeof(*pe));
		pe->pos = pos[k];
		pe->rec = b.recs[k];
		git_oid_cpy(&pe->oid, &b.oids[k]);
	}
	qsort(np->ents, np->nents, sizeof(*np->ents), ent_pos_cmp);
	np->nedges = op->nedges + (uint32_t)b.nedges;
	np->edges = concat(op->edges, op->nedges, b.edges, b.nedges, sizeof(*np->edges));
	np->nlabels = op->nlabels + (uint32_t)b.nlabels;
	np->labels = concat(op->labels, op->nlabels, b.labels, b.nlabels, sizeof(*np->labels));
	np->nvocab = op->nvocab + (uint32_t)b.nvocab;
	np->vocab = concat(op->vocab, op->nvocab, b.vocab, b.nvocab, sizeof(*np->vocab));
	np->pool_len = op->pool_len + (uint32_t)b.pool.len;
	np->pool = concat(op->pool, op->pool_len, b.pool.ptr, b.pool.len, 1);
	/* past an eighth of the records, a new base is cheaper to read */
	if (np->nents > PATCH_MAX_ENTS(idx) || np->pool_len > np->base_pool_len / 2 + 65536) {
		rc = 1;
		goto out;
	}
	apply_patch(idx, np, beads_id, shards);
	save_patch(lg, idx, np);
	np = NULL; /* idx has it */
	idx->stat_blobs_parsed = b.parsed;
	idx->stat_shards_rebuilt = b.shards;
out:
	patch_free(np);
	free(pos);
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
	if (old)
		load_patch(lg, old);
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
	idx->patch = NULL;
	idx->hdr = NULL;
	idx->mem = NULL;
	idx->mapped = 0;
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
