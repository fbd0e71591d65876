/*
 * index.c - building, refreshing, saving and loading the query index.
 *
 * The file is the in-memory image: a header, then the record, edge, label
 * and vocabulary arrays, then the string pool, in host byte order (the
 * header records the byte order and record size, and any mismatch means
 * "rebuild").  Loading is one read().
 *
 * Refresh: the new index starts from the old string pool and vocabulary
 * (their offsets stay valid), copies the records of unchanged shards,
 * merges old and new entries of changed shards (copying a record whose
 * blob id did not change, parsing the blob otherwise), then fixes edge
 * targets: positions in changed shards are remapped, and edges whose
 * target was missing are looked up again if the target's shard changed.
 */
#include "index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bead.h"
#include "error.h"
#include "id.h"
#include "jscan.h"
#include "map.h"
#include "banned.h"

#define MAGIC  "GTIDX03\n"
#define ENDIAN 0x01020304u

struct file_hdr {
	char magic[8];
	uint32_t endian;
	uint32_t rec_size;
	uint64_t checksum; /* over the whole file with this field zero */
	uint8_t beads_tree[GIT_OID_RAWSZ];
	uint32_t nrecs, nedges, nlabels, nvocab, pool_len, reserved;
	uint8_t shard_oid[256][GIT_OID_RAWSZ];
	uint32_t shard_start[257];
};

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

struct builder {
	struct gt_irec *recs;
	size_t nrecs, arecs;
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
	uint32_t off = (uint32_t)b->pool.len;

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
	gt_map_put(&b->vocab_map, own(b, s), (void *)(uintptr_t)(b->nvocab + 1));
	return (uint16_t)b->nvocab++;
}

static struct gt_irec *new_rec(struct builder *b)
{
	GT_ALLOC_GROW(b->recs, b->nrecs + 1, b->arecs);
	memset(&b->recs[b->nrecs], 0, sizeof(b->recs[0]));
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

static int64_t time_of(const char *s)
{
	int64_t ns;

	return s && *s && gt_time_parse(s, &ns) == 0 ? ns : 0;
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
static void parse_bead(struct builder *b, const char *id, size_t idlen, const char *data,
		       size_t len)
{
	struct gt_irec *r = new_rec(b);
	struct gt_jscan s;
	const char *k;
	size_t kl;

	r->id = pool_add(b, id, idlen);
	r->edges = (uint32_t)b->nedges;
	r->labels = (uint32_t)b->nlabels;
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
			if (gt_jscan_string(&s, &b->tmp) == 0)
				r->created = time_of(b->tmp.ptr);
		} else if (KEY("updated_at")) {
			if (gt_jscan_string(&s, &b->tmp) == 0)
				r->updated = time_of(b->tmp.ptr);
		} else if (KEY("defer_until")) {
			if (gt_jscan_string(&s, &b->tmp) == 0)
				r->defer_until = time_of(b->tmp.ptr);
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
	struct gt_irec *r = new_rec(b);

	*r = *o;
	r->edges = (uint32_t)b->nedges;
	r->labels = (uint32_t)b->nlabels;
	for (uint32_t e = 0; e < o->nedges; e++)
		*new_edge(b, 0) = old->edges[o->edges + e];
	for (uint32_t l = 0; l < o->nlabels; l++)
		new_label(b, old->labels[o->labels + l]);
}

static int name_to_id(const char *name, size_t *idlen)
{
	size_t n = strlen(name);

	if (n <= 5 || strcmp(name + n - 5, ".json"))
		return -1;
	*idlen = n - 5;
	return 0;
}

static int parse_entry(struct builder *b, git_odb *odb, const git_tree_entry *e)
{
	const char *name = git_tree_entry_name(e);
	git_odb_object *obj;
	size_t idlen;

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || name_to_id(name, &idlen) < 0)
		return 0;
	if (git_odb_read(&obj, odb, git_tree_entry_id(e)) < 0)
		return gt_error_git(GT_EFAIL, "cannot read bead '%s'", name);
	parse_bead(b, name, idlen, git_odb_object_data(obj), git_odb_object_size(obj));
	git_odb_object_free(obj);
	return 0;
}

/* Rebuild shard s from its new tree, reusing old records whose blob is
 * unchanged.  remap[j] receives the new position of old position j. */
static int build_shard(struct builder *b, git_repository *git, git_odb *odb,
		       const struct gt_index *old, int s, git_tree *newt, uint32_t **remap)
{
	git_tree *oldt = NULL;
	size_t nn = newt ? git_tree_entrycount(newt) : 0, no = 0, i = 0, j = 0;
	uint32_t base = (uint32_t)b->nrecs, ostart = 0;
	int rc = 0;

	*remap = NULL;
	b->shards++;
	if (old && !git_oid_is_zero(&old->shard_oid[s]) &&
	    git_tree_lookup(&oldt, git, &old->shard_oid[s]) == 0) {
		no = git_tree_entrycount(oldt);
		ostart = old->shard_start[s];
		/* only trust it if it matches what the old index holds */
		if (old->shard_start[s + 1] - ostart != no) {
			git_tree_free(oldt);
			oldt = NULL;
			no = 0;
		}
	}
	git_error_clear();
	if (no)
		*remap = gt_malloc(no * sizeof(**remap));
	while ((i < nn || j < no) && !rc) {
		const git_tree_entry *ne = i < nn ? git_tree_entry_byindex(newt, i) : NULL;
		const git_tree_entry *oe = j < no ? git_tree_entry_byindex(oldt, j) : NULL;
		int cmp = !ne	? 1
			  : !oe ? -1
				: strcmp(git_tree_entry_name(ne), git_tree_entry_name(oe));
		size_t before = b->nrecs;

		if (cmp > 0) {
			(*remap)[j++] = GT_IREF_NONE;
			continue;
		}
		if (cmp == 0 && !git_oid_cmp(git_tree_entry_id(ne), git_tree_entry_id(oe)))
			copy_rec(b, old, ostart + (uint32_t)j);
		else
			rc = parse_entry(b, odb, ne);
		if (cmp == 0)
			(*remap)[j++] =
				b->nrecs > before ? (uint32_t)(before - base) : GT_IREF_NONE;
		i++;
	}
	git_tree_free(oldt);
	return rc;
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
}

static void builder_release(struct builder *b)
{
	free(b->recs);
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

/* A fast checksum of the image (four independent lanes of a 64-bit
 * multiply-xorshift), so a file damaged on disk is rebuilt rather than
 * trusted: ~1 ms for the 8 MB index of 100k beads. */
static uint64_t checksum(const char *p, size_t len)
{
	uint64_t h[4] = { 0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL,
			  0x082efa98ec4e6c89ULL };
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		for (int l = 0; l < 4; l++) {
			uint64_t w;

			memcpy(&w, p + i + 8 * l, 8);
			h[l] = (h[l] ^ w) * k;
			h[l] ^= h[l] >> 29;
		}
	}
	for (; i < len; i++)
		h[0] = ((h[0] ^ (unsigned char)p[i]) * k) ^ (h[0] >> 31);
	return h[0] ^ (h[1] * 3) ^ (h[2] * 5) ^ (h[3] * 7) ^ len;
}

static uint64_t image_checksum(char *mem, size_t len)
{
	struct file_hdr *h = (struct file_hdr *)mem;
	uint64_t saved = h->checksum, c;

	h->checksum = 0;
	c = checksum(mem, len);
	h->checksum = saved;
	return c;
}

/* Lay the builder out as one image (the file format) in idx. */
static void finish(struct gt_index *idx, struct builder *b, const git_oid *tree)
{
	size_t off_recs = ALIGN8(sizeof(struct file_hdr));
	size_t off_edges = ALIGN8(off_recs + b->nrecs * sizeof(struct gt_irec));
	size_t off_labels = ALIGN8(off_edges + b->nedges * sizeof(struct gt_iedge));
	size_t off_vocab = ALIGN8(off_labels + b->nlabels * sizeof(uint32_t));
	size_t off_pool = ALIGN8(off_vocab + b->nvocab * sizeof(uint32_t));
	size_t total = off_pool + b->pool.len;
	struct file_hdr *h;
	char *m = gt_calloc(1, total);

	h = (struct file_hdr *)m;
	memcpy(h->magic, MAGIC, 8);
	h->endian = ENDIAN;
	h->rec_size = sizeof(struct gt_irec);
	memcpy(h->beads_tree, tree->id, GIT_OID_RAWSZ);
	h->nrecs = (uint32_t)b->nrecs;
	h->nedges = (uint32_t)b->nedges;
	h->nlabels = (uint32_t)b->nlabels;
	h->nvocab = (uint32_t)b->nvocab;
	h->pool_len = (uint32_t)b->pool.len;
	for (int s = 0; s < 256; s++)
		memcpy(h->shard_oid[s], b->shard_oid[s].id, GIT_OID_RAWSZ);
	memcpy(h->shard_start, b->shard_start, sizeof(h->shard_start));
	if (b->nrecs)
		memcpy(m + off_recs, b->recs, b->nrecs * sizeof(struct gt_irec));
	if (b->nedges)
		memcpy(m + off_edges, b->edges, b->nedges * sizeof(struct gt_iedge));
	if (b->nlabels)
		memcpy(m + off_labels, b->labels, b->nlabels * sizeof(uint32_t));
	if (b->nvocab)
		memcpy(m + off_vocab, b->vocab, b->nvocab * sizeof(uint32_t));
	memcpy(m + off_pool, b->pool.ptr, b->pool.len);
	h->checksum = image_checksum(m, total);
	free(idx->mem);
	idx->mem = m;
	idx->len = total;
}

/* Point idx's arrays into idx->mem after checking every offset, so a
 * damaged file is rejected instead of trusted. */
static int attach(struct gt_index *idx)
{
	const struct file_hdr *h = (const struct file_hdr *)idx->mem;
	size_t off_recs, off_edges, off_labels, off_vocab, off_pool;

	if (idx->len < sizeof(*h) || memcmp(h->magic, MAGIC, 8) || h->endian != ENDIAN ||
	    h->rec_size != sizeof(struct gt_irec) ||
	    h->checksum != image_checksum(idx->mem, idx->len))
		return -1;
	off_recs = ALIGN8(sizeof(struct file_hdr));
	off_edges = ALIGN8(off_recs + (size_t)h->nrecs * sizeof(struct gt_irec));
	off_labels = ALIGN8(off_edges + (size_t)h->nedges * sizeof(struct gt_iedge));
	off_vocab = ALIGN8(off_labels + (size_t)h->nlabels * sizeof(uint32_t));
	off_pool = ALIGN8(off_vocab + (size_t)h->nvocab * sizeof(uint32_t));
	if (off_pool + h->pool_len != idx->len || !h->pool_len || idx->mem[idx->len - 1] != '\0' ||
	    h->shard_start[256] != h->nrecs)
		return -1;
	memcpy(idx->beads_tree.id, h->beads_tree, GIT_OID_RAWSZ);
	for (int s = 0; s < 256; s++) {
		memcpy(idx->shard_oid[s].id, h->shard_oid[s], GIT_OID_RAWSZ);
		if (h->shard_start[s] > h->shard_start[s + 1])
			return -1;
	}
	memcpy(idx->shard_start, h->shard_start, sizeof(idx->shard_start));
	idx->recs = (struct gt_irec *)(idx->mem + off_recs);
	idx->nrecs = h->nrecs;
	idx->edges = (struct gt_iedge *)(idx->mem + off_edges);
	idx->nedges = h->nedges;
	idx->labels = (uint32_t *)(idx->mem + off_labels);
	idx->nlabels = h->nlabels;
	idx->vocab = (uint32_t *)(idx->mem + off_vocab);
	idx->nvocab = h->nvocab;
	idx->pool = idx->mem + off_pool;
	idx->pool_len = h->pool_len;
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
	for (uint32_t l = 0; l < idx->nlabels; l++)
		if (idx->labels[l] >= h->pool_len)
			return -1;
	for (uint32_t v = 0; v < idx->nvocab; v++)
		if (idx->vocab[v] >= h->pool_len)
			return -1;
	return 0;
}

static void index_path(struct gt_buf *p, struct gt_ledger *lg)
{
	gt_buf_reset(p);
	gt_buf_printf(p, "%s/index/beads.idx", lg->repo->runtime_dir);
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
		size_t got = 0;

		idx = gt_calloc(1, sizeof(*idx));
		idx->len = (size_t)st.st_size;
		idx->mem = gt_malloc(idx->len);
		while (got < idx->len) {
			ssize_t n = read(fd, idx->mem + got, idx->len - got);

			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got != idx->len || attach(idx) < 0) {
			gt_index_free(idx);
			idx = NULL;
		}
	}
	close(fd);
	return idx;
}

static void save_file(struct gt_ledger *lg, const struct gt_index *idx)
{
	struct gt_buf p = GT_BUF_INIT, tmp = GT_BUF_INIT;
	int fd;

	index_path(&p, lg);
	gt_buf_printf(&tmp, "%s.%ld.tmp", p.ptr, (long)getpid());
	if (gt_mkdir_parents(p.ptr) < 0)
		goto out;
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		goto out;
	{
		size_t done = 0;

		while (done < idx->len) {
			ssize_t n = write(fd, idx->mem + done, idx->len - done);

			if (n <= 0)
				break;
			done += (size_t)n;
		}
		if (close(fd) < 0 || done != idx->len || rename(tmp.ptr, p.ptr) < 0)
			unlink(tmp.ptr);
	}
out:
	/* the index is a cache: failing to save it only costs speed */
	gt_error_clear();
	gt_buf_release(&p);
	gt_buf_release(&tmp);
}

static void seed_from_old(struct builder *b, const struct gt_index *old)
{
	if (!old) {
		gt_buf_addch(&b->pool, '\0'); /* offset 0 is "" */
		return;
	}
	gt_buf_add(&b->pool, old->pool, old->pool_len);
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
			for (uint32_t i = old->shard_start[s]; i < old->shard_start[s + 1]; i++)
				copy_rec(&b, old, i);
			continue;
		}
		changed[s] = 1;
		if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			git_tree *t;

			if (git_tree_lookup(&t, git, git_tree_entry_id(e)) < 0) {
				rc = gt_error_git(GT_EFAIL, "cannot read shard %s", name);
				break;
			}
			rc = build_shard(&b, git, odb, old, s, t, &remap[s]);
			git_tree_free(t);
		} else {
			rc = build_shard(&b, git, odb, old, s, NULL, &remap[s]);
		}
		if (b.nrecs - b.shard_start[s] > 0xffffff)
			rc = gt_error_set(GT_EFAIL, "shard %s is too large to index", name);
	}
	b.shard_start[256] = (uint32_t)b.nrecs;
	if (!rc) {
		fix_edges(&b, changed, remap);
		compact(&b);
		finish(idx, &b, beads_id);
		if (attach(idx) < 0)
			rc = gt_error_set(GT_EFAIL, "internal error: index layout");
		idx->stat_blobs_parsed = b.parsed;
		idx->stat_shards_rebuilt = b.shards;
	}
	for (int s = 0; s < 256; s++)
		free(remap[s]);
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

void gt_index_free(struct gt_index *idx)
{
	if (!idx)
		return;
	free(idx->mem);
	free(idx);
}

int gt_index_remove(struct gt_ledger *lg)
{
	struct gt_buf p = GT_BUF_INIT;
	int rc = 0;

	index_path(&p, lg);
	if (unlink(p.ptr) < 0 && errno != ENOENT)
		rc = gt_error_errno(GT_EFAIL, "cannot remove '%s'", p.ptr);
	gt_buf_release(&p);
	return rc;
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
