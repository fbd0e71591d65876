/*
 * export.c - write the ledger as Beads data (beadsio.h).
 *
 * The default format is .beads/issues.jsonl: one line per bead, sorted by
 * id bytewise, tombstones included, ephemeral beads left out.  Ledger blobs
 * are already in that form (canonical key order, Go's escaping), so this
 * export copies blobs and parses nothing; it needs no query index.
 *
 * Every format streams: the bead files are listed (id and blob id, ~35
 * bytes a bead), sorted by id, and read, converted and written one at a
 * time.  The backup tables are written as they come, each to a temporary
 * file renamed into place at the end; comment rows, which Beads orders by
 * comment id across beads, go to a scratch file first and are copied out
 * in that order, sorting only (comment id, offset) pairs.
 */
#include "store/beadsio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/sort.h"
#include "base/file.h"
#include "base/jscan.h"
#include "base/json.h"
#include "store/backup.h"
#include "store/bead.h"
#include "store/id.h"
#include "store/index.h"
#include "store/ledger.h"
#include "base/banned.h"

/* The bead files of the tip: ids (NUL-terminated, in ids) and blob ids;
 * order[] lists them by id. */
struct list {
	struct gt_buf ids;
	struct entry {
		uint32_t id; /* offset in ids */
		git_oid blob;
	} * v;
	size_t n, alloc;
	uint32_t *order;
};

static const char *entry_id(const struct list *l, size_t i)
{
	return l->ids.ptr + l->v[l->order[i]].id;
}

static const git_oid *entry_blob(const struct list *l, size_t i)
{
	return &l->v[l->order[i]].blob;
}

/* Whether data is one JSON object and nothing else. */
static int is_record(const char *data, size_t len)
{
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	int ok = cJSON_IsObject(o);

	while (ok && end && end < data + len &&
	       (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
		end++;
	ok = ok && (!end || end == data + len || !*end);
	cJSON_Delete(o);
	return ok;
}

/* The *.json files of tree t and, recursively, of its subtrees (a shard
 * may hold a further level of shards).  The directory a bead is in is
 * not checked against its id here: gt-maintain does that. */
static int walk(struct gt_ledger *lg, git_tree *t, struct list *l, int depth)
{
	int rc = 0;

	for (size_t i = 0; i < git_tree_entrycount(t) && !rc; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		const char *name = git_tree_entry_name(e);
		size_t len = strlen(name);
		git_tree *sub;

		if (git_tree_entry_type(e) == GIT_OBJECT_TREE && depth < 8) {
			if (git_tree_lookup(&sub, lg->git, git_tree_entry_id(e)) < 0)
				return gt_error_git(GT_EFAIL, "cannot read the shard '%s'", name);
			rc = walk(lg, sub, l, depth + 1);
			git_tree_free(sub);
			continue;
		}
		if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || len <= 5 ||
		    strcmp(name + len - 5, ".json"))
			continue;
		if (l->ids.len + len > UINT32_MAX)
			return gt_error_set(GT_EFAIL, "too many beads to export");
		GT_ALLOC_GROW(l->v, l->n + 1, l->alloc);
		l->v[l->n].id = (uint32_t)l->ids.len;
		git_oid_cpy(&l->v[l->n].blob, git_tree_entry_id(e));
		gt_buf_add(&l->ids, name, len - 5);
		gt_buf_addch(&l->ids, '\0');
		l->n++;
	}
	return rc;
}

static int id_less(uint32_t a, uint32_t b, void *ctx)
{
	const struct list *l = ctx;

	return strcmp(l->ids.ptr + l->v[a].id, l->ids.ptr + l->v[b].id) < 0;
}

/* l->order: the entries by id, bytewise */
static void sort_list(struct list *l)
{
	l->order = gt_sort_index(l->n, id_less, l);
}

/* every bead file in the tip, sorted by id */
static int collect(struct gt_ledger *lg, struct list *l)
{
	const git_tree_entry *be;
	git_tree *beads = NULL;
	int rc;

	memset(l, 0, sizeof(*l));
	if (lg->tree && (be = git_tree_entry_byname(lg->tree, "beads")) &&
	    git_tree_entry_type(be) == GIT_OBJECT_TREE) {
		if (git_tree_lookup(&beads, lg->git, git_tree_entry_id(be)) < 0)
			return gt_error_git(GT_EFAIL, "cannot read the beads tree");
		rc = walk(lg, beads, l, 0);
		git_tree_free(beads);
		if (rc < 0)
			return rc;
	}
	sort_list(l);
	return 0;
}

static void list_release(struct list *l)
{
	gt_buf_release(&l->ids);
	free(l->v);
	free(l->order);
}

/* top-level status and ephemeral flag, without parsing the bead */
static void peek(const char *data, size_t len, int *tombstone, int *ephemeral)
{
	struct gt_jscan s;
	struct gt_buf tmp = GT_BUF_INIT;
	const char *k;
	size_t kl;

	*tombstone = *ephemeral = 0;
	gt_jscan_init(&s, data, len);
	if (gt_jscan_enter_object(&s) < 0)
		return;
	while (gt_jscan_next_member(&s, &k, &kl) == 1) {
		if (kl == 6 && !memcmp(k, "status", 6) && gt_jscan_string(&s, &tmp) == 0)
			*tombstone = !strcmp(tmp.ptr, "tombstone");
		else if (kl == 9 && !memcmp(k, "ephemeral", 9))
			*ephemeral = gt_jscan_bool(&s) > 0;
		else
			gt_jscan_skip(&s);
	}
	gt_buf_release(&tmp);
}

static int write_all(FILE *f, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, f) != n)
		return gt_error_errno(GT_EFAIL, "cannot write the export");
	return 0;
}

static int export_lines(struct gt_ledger *lg, const struct gt_export_opts *o, FILE *f,
			size_t *count)
{
	struct list l;
	struct gt_index *idx = NULL;
	struct gt_buf line = GT_BUF_INIT;
	uint32_t *dependents = NULL;
	git_odb *odb;
	int rc = collect(lg, &l);

	if (rc < 0) {
		list_release(&l);
		return rc;
	}
	if (git_repository_odb(&odb, lg->git) < 0) {
		list_release(&l);
		return gt_error_git(GT_EFAIL, "cannot open the object database");
	}
	if (o->format == GT_EXPORT_TYPE_LINES || o->format == GT_EXPORT_LIST) {
		if ((rc = gt_index_open(&idx, lg, NULL)) < 0)
			goto out;
		/* how many edges point at each record, counted once */
		dependents = gt_calloc(idx->nrecs ? idx->nrecs : 1, sizeof(*dependents));
		for (uint32_t x = 0; x < idx->nrecs; x++)
			for (uint32_t k = 0; k < idx->recs[x].nedges; k++) {
				uint32_t t = gt_index_ref(
					idx, idx->edges[idx->recs[x].edges + k].target);

				if (t != GT_IREF_NONE)
					dependents[t]++;
			}
	}
	for (size_t i = 0; i < l.n && !rc; i++) {
		const char *id = entry_id(&l, i);
		git_odb_object *obj;
		const char *data;
		size_t len;
		int tomb, eph;

		if (git_odb_read(&obj, odb, entry_blob(&l, i)) < 0) {
			rc = gt_error_git(GT_EFAIL, "cannot read bead '%s'", id);
			break;
		}
		data = git_odb_object_data(obj);
		len = git_odb_object_size(obj);
		if (!is_record(data, len)) {
			/* never copied out as an invalid line */
			rc = gt_error_set(GT_EINVALID, "bead '%s' does not parse as a JSON object",
					  id);
			git_odb_object_free(obj);
			if (!o->skip_bad) {
				gt_error_hint("gt-maintain --quarantine moves it aside; --skip-bad "
					      "exports the rest");
				break;
			}
			gt_ledger_note_bad(lg, gt_error_last());
			gt_error_clear();
			rc = 0;
			continue;
		}
		peek(data, len, &tomb, &eph);
		if ((tomb && (o->no_tombstones || o->format == GT_EXPORT_TYPE_LINES ||
			      o->format == GT_EXPORT_LIST)) ||
		    (eph && !o->include_ephemeral) || (o->format == GT_EXPORT_DELETIONS && !tomb)) {
			git_odb_object_free(obj);
			continue;
		}
		if (o->format == GT_EXPORT_BEADS) {
			rc = write_all(f, data, len);
		} else {
			cJSON *b, *out = cJSON_CreateObject();

			if ((rc = gt_json_parse(&b, data, len, id, 1)) == 0) {
				if (o->format == GT_EXPORT_DELETIONS) {
					cJSON_AddStringToObject(out, "id", gt_bead_id(b));
					cJSON_AddStringToObject(
						out, "ts",
						gt_json_str(b, "deleted_at")
							? gt_json_str(b, "deleted_at")
							: gt_json_str(b, "updated_at"));
					cJSON_AddStringToObject(
						out, "by",
						gt_json_str(b, "deleted_by")
							? gt_json_str(b, "deleted_by")
							: "");
					if (gt_json_str(b, "delete_reason") &&
					    *gt_json_str(b, "delete_reason"))
						cJSON_AddStringToObject(
							out, "reason",
							gt_json_str(b, "delete_reason"));
				} else {
					uint32_t r = gt_index_find(idx, id);
					const char *parent = gt_bead_parent(b);
					cJSON *c;

					if (o->format == GT_EXPORT_TYPE_LINES)
						cJSON_AddStringToObject(out, "_type", "issue");
					cJSON_ArrayForEach (c, b)
						cJSON_AddItemToObject(out, c->string,
								      cJSON_Duplicate(c, 1));
					cJSON_AddNumberToObject(
						out, "dependency_count",
						cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
							b, "dependencies")));
					cJSON_AddNumberToObject(out, "dependent_count",
								r != GT_IREF_NONE ? dependents[r]
										  : 0);
					cJSON_AddNumberToObject(
						out, "comment_count",
						cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
							b, "comments")));
					if (parent && o->format == GT_EXPORT_TYPE_LINES)
						cJSON_AddStringToObject(out, "parent", parent);
				}
				gt_buf_reset(&line);
				gt_json_write(&line, out);
				gt_buf_addch(&line, '\n');
				rc = write_all(f, line.ptr, line.len);
			}
			cJSON_Delete(b);
			cJSON_Delete(out);
		}
		git_odb_object_free(obj);
		if (!rc)
			(*count)++;
	}
out:
	free(dependents);
	gt_index_free(idx);
	git_odb_free(odb);
	list_release(&l);
	gt_buf_release(&line);
	return rc;
}

/* ---- backup tables ---- */

/* One table file, written as its rows come, to a temporary file in the
 * backup directory that is renamed into place once the whole backup is
 * written. */
struct table {
	const char *name;
	struct gt_buf path, tmp;
	FILE *f;
	size_t rows;
};

static int table_open(struct table *t, const char *dir)
{
	gt_buf_printf(&t->path, "%s/%s", dir, t->name);
	gt_buf_printf(&t->tmp, "%s.%ld.tmp", t->path.ptr, (long)getpid());
	if (!(t->f = fopen(t->tmp.ptr, "wb"))) {
		gt_buf_reset(&t->tmp);
		return gt_error_errno(GT_EFAIL, "cannot write '%s'", t->path.ptr);
	}
	return 0;
}

static int table_write(struct table *t, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, t->f) != n)
		return gt_error_errno(GT_EFAIL, "cannot write '%s'", t->path.ptr);
	return 0;
}

/* Write row (and free it). */
static int row_out(struct table *t, cJSON *row, struct gt_buf *line)
{
	gt_buf_reset(line);
	gt_json_write(line, row);
	gt_buf_addch(line, '\n');
	cJSON_Delete(row);
	t->rows++;
	return table_write(t, line->ptr, line->len);
}

static int table_finish(struct table *t)
{
	FILE *f = t->f;

	t->f = NULL;
	if (fclose(f) != 0)
		return gt_error_errno(GT_EFAIL, "cannot write '%s'", t->path.ptr);
	return 0;
}

static void table_release(struct table *t)
{
	if (t->f)
		fclose(t->f);
	if (t->tmp.len)
		unlink(t->tmp.ptr);
	gt_buf_release(&t->path);
	gt_buf_release(&t->tmp);
}

struct pair {
	const char *b;
	size_t seq;
	cJSON *row;
};

static int cmp_pair(const void *pa, const void *pb)
{
	const struct pair *x = pa, *y = pb;
	int c = strcmp(x->b, y->b);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* A comment row in the scratch file, and where Beads puts it: by comment
 * id, then by issue id (the order the beads come in). */
struct crow {
	int64_t cid;
	size_t seq;
	uint64_t off;
	size_t len;
};

static int cmp_crow(const void *pa, const void *pb)
{
	const struct crow *x = pa, *y = pb;

	if (x->cid != y->cid)
		return x->cid < y->cid ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void whole_seconds(cJSON *row, const char *key)
{
	const char *s = gt_json_str(row, key);
	char t[64];

	if (s && strchr(s, '.') && gt_time_whole_seconds(t, sizeof(t), s) == 0)
		gt_json_set_str(row, key, t);
}

/* Sort one bead's rows (dependencies by target, labels by name) and
 * write them: beads come in id order, so the table is in (issue, b)
 * order as Beads writes it. */
static int pairs_out(struct table *t, struct pair *v, size_t n, struct gt_buf *line)
{
	int rc = 0;

	if (n)
		qsort(v, n, sizeof(*v), cmp_pair);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = row_out(t, v[i].row, line);
		else
			cJSON_Delete(v[i].row);
	}
	return rc;
}

struct backup {
	struct gt_ledger *lg;
	const struct gt_export_opts *o;
	struct table t[6];
	FILE *scratch; /* comment rows, in bead order */
	uint64_t scratch_len;
	struct crow *crows;
	size_t ncrows, acrows;
	struct pair *pairs;
	size_t npairs, apairs;
	struct gt_buf line, data, path;
};

/* The rows of one bead: its issue row, dependency and label rows, and its
 * comment rows to the scratch file. */
static int bead_rows(struct backup *k, const cJSON *bead, size_t seq)
{
	const char *id = gt_bead_id(bead);
	const cJSON *c;
	int rc;

	if ((rc = row_out(&k->t[0], gt_backup_bead_to_row(bead), &k->line)) < 0)
		return rc;
	k->npairs = 0;
	cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(bead, "dependencies")) {
		cJSON *row = cJSON_CreateObject();
		const char *to = gt_json_str(c, "depends_on_id");

		cJSON_AddStringToObject(row, "created_at",
					gt_json_str(c, "created_at") ? gt_json_str(c, "created_at")
								     : "");
		whole_seconds(row, "created_at");
		cJSON_AddStringToObject(row, "created_by",
					gt_json_str(c, "created_by") ? gt_json_str(c, "created_by")
								     : "");
		cJSON_AddStringToObject(row, "depends_on_id", to ? to : "");
		cJSON_AddStringToObject(row, "issue_id", id);
		if (cJSON_GetObjectItemCaseSensitive(c, "metadata"))
			cJSON_AddItemToObject(
				row, "metadata",
				cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "metadata"),
						1));
		cJSON_AddStringToObject(row, "type",
					gt_json_str(c, "type") ? gt_json_str(c, "type") : "blocks");
		GT_ALLOC_GROW(k->pairs, k->npairs + 1, k->apairs);
		k->pairs[k->npairs] =
			(struct pair){ gt_json_str(row, "depends_on_id"), k->npairs, row };
		k->npairs++;
	}
	if ((rc = pairs_out(&k->t[1], k->pairs, k->npairs, &k->line)) < 0)
		return rc;
	k->npairs = 0;
	cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(bead, "labels")) {
		cJSON *row = cJSON_CreateObject();

		cJSON_AddStringToObject(row, "issue_id", id);
		cJSON_AddStringToObject(row, "label", c->valuestring);
		GT_ALLOC_GROW(k->pairs, k->npairs + 1, k->apairs);
		k->pairs[k->npairs] = (struct pair){ gt_json_str(row, "label"), k->npairs, row };
		k->npairs++;
	}
	if ((rc = pairs_out(&k->t[2], k->pairs, k->npairs, &k->line)) < 0)
		return rc;
	cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(bead, "comments")) {
		cJSON *row = cJSON_CreateObject();
		int64_t cid = 0;

		gt_json_int(c, "id", &cid);
		cJSON_AddStringToObject(row, "author",
					gt_json_str(c, "author") ? gt_json_str(c, "author") : "");
		cJSON_AddStringToObject(row, "created_at",
					gt_json_str(c, "created_at") ? gt_json_str(c, "created_at")
								     : "");
		whole_seconds(row, "created_at");
		cJSON_AddItemToObject(
			row, "id", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "id"), 1));
		cJSON_AddStringToObject(row, "issue_id", id);
		cJSON_AddStringToObject(row, "text",
					gt_json_str(c, "text") ? gt_json_str(c, "text") : "");
		gt_buf_reset(&k->line);
		gt_json_write(&k->line, row);
		gt_buf_addch(&k->line, '\n');
		cJSON_Delete(row);
		if (fwrite(k->line.ptr, 1, k->line.len, k->scratch) != k->line.len)
			return gt_error_errno(GT_EFAIL, "cannot write a scratch file");
		GT_ALLOC_GROW(k->crows, k->ncrows + 1, k->acrows);
		k->crows[k->ncrows++] = (struct crow){ cid, seq, k->scratch_len, k->line.len };
		k->scratch_len += k->line.len;
	}
	return 0;
}

/* The comment rows, from the scratch file, in Beads' order. */
static int comments_out(struct backup *k)
{
	int fd = fileno(k->scratch);

	if (fflush(k->scratch) != 0)
		return gt_error_errno(GT_EFAIL, "cannot write a scratch file");
	if (k->ncrows)
		qsort(k->crows, k->ncrows, sizeof(*k->crows), cmp_crow);
	for (size_t i = 0; i < k->ncrows; i++) {
		size_t got = 0;
		int rc;

		gt_buf_reset(&k->line);
		gt_buf_grow(&k->line, k->crows[i].len);
		while (got < k->crows[i].len) {
			ssize_t r = pread(fd, k->line.ptr + got, k->crows[i].len - got,
					  (off_t)(k->crows[i].off + got));

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return gt_error_errno(GT_EFAIL, "cannot read a scratch file");
			got += (size_t)r;
		}
		k->t[3].rows++;
		if ((rc = table_write(&k->t[3], k->line.ptr, got)) < 0)
			return rc;
	}
	return 0;
}

static int backup_beads(struct backup *k, size_t *count)
{
	struct list l;
	int rc = collect(k->lg, &l);

	for (size_t i = 0; i < l.n && !rc; i++) {
		git_blob *blob;
		cJSON *bead = NULL;

		gt_bead_path(&k->path, entry_id(&l, i));
		if (git_blob_lookup(&blob, k->lg->git, entry_blob(&l, i)) < 0) {
			rc = gt_error_git(GT_EFAIL, "cannot read '%s'", k->path.ptr);
			break;
		}
		gt_buf_reset(&k->data);
		gt_buf_add(&k->data, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		git_blob_free(blob);
		if ((rc = gt_record_parse(&bead, &k->data, k->path.ptr)) < 0) {
			if (!k->o->skip_bad) {
				gt_error_hint("gt-maintain --quarantine moves it aside; --skip-bad "
					      "exports the rest");
				break;
			}
			gt_ledger_note_bad(k->lg, gt_error_last());
			gt_error_clear();
			rc = 0;
			continue;
		}
		if (!(k->o->no_tombstones && !strcmp(gt_bead_status(bead), "tombstone"))) {
			rc = bead_rows(k, bead, i);
			if (!rc)
				(*count)++;
		}
		cJSON_Delete(bead);
	}
	list_release(&l);
	return rc;
}

/* The events and settings kept at import, as rows. */
static int backup_extras(struct backup *k)
{
	int rc = 0;

	if (gt_ledger_read_file(&k->data, NULL, k->lg, NULL, "beads-events.jsonl") == 0) {
		rc = table_write(&k->t[4], k->data.ptr, k->data.len);
		for (size_t i = 0; i < k->data.len; i++)
			k->t[4].rows += k->data.ptr[i] == '\n';
	}
	gt_error_clear();
	if (!rc && gt_ledger_read_file(&k->data, NULL, k->lg, NULL, "beads-config.json") == 0) {
		cJSON *cfg = NULL, *c;

		if ((rc = gt_json_parse(&cfg, k->data.ptr, k->data.len, "beads-config.json", 1)) ==
		    0)
			cJSON_ArrayForEach (c, cfg) {
				cJSON *row = cJSON_CreateObject();

				cJSON_AddStringToObject(row, "key", c->string);
				cJSON_AddItemToObject(row, "value", cJSON_Duplicate(c, 1));
				if ((rc = row_out(&k->t[5], row, &k->line)) < 0)
					break;
			}
		cJSON_Delete(cfg);
	}
	if (!rc)
		gt_error_clear();
	return rc;
}

static int export_backup(struct gt_ledger *lg, const struct gt_export_opts *o, size_t *count)
{
	static const char *const names[6] = { "issues.jsonl", "dependencies.jsonl",
					      "labels.jsonl", "comments.jsonl",
					      "events.jsonl", "config.jsonl" };
	struct backup k;
	struct gt_buf state = GT_BUF_INIT;
	int rc = 0, made_dir = 0;

	if (!o->dir)
		return gt_error_set(GT_EUSAGE, "the backup format needs an output directory");
	memset(&k, 0, sizeof(k));
	k.lg = lg;
	k.o = o;
	for (int i = 0; i < 6; i++)
		k.t[i].name = names[i];
	if (mkdir(o->dir, 0777) == 0)
		made_dir = 1;
	else if (errno != EEXIST)
		rc = gt_error_errno(GT_EFAIL, "cannot create '%s'", o->dir);
	for (int i = 0; i < 6 && !rc; i++)
		rc = table_open(&k.t[i], o->dir);
	if (!rc) {
		/* unlinked at once: nothing to clean up however this ends */
		gt_buf_printf(&k.path, "%s/.comments.%ld.tmp", o->dir, (long)getpid());
		if (!(k.scratch = fopen(k.path.ptr, "w+b")))
			rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", k.path.ptr);
		else
			unlink(k.path.ptr);
	}
	if (!rc)
		rc = backup_beads(&k, count);
	if (!rc)
		rc = backup_extras(&k);
	if (!rc)
		rc = comments_out(&k);
	for (int i = 0; i < 6 && !rc; i++)
		rc = table_finish(&k.t[i]);
	for (int i = 0; i < 6 && !rc; i++) {
		if (rename(k.t[i].tmp.ptr, k.t[i].path.ptr) < 0)
			rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", k.t[i].path.ptr);
		else
			gt_buf_reset(&k.t[i].tmp);
	}
	if (!rc) {
		char now[40];

		gt_time_now(now, sizeof(now));
		gt_buf_printf(&state,
			      "{\n  \"last_dolt_commit\": \"%s\",\n  \"last_event_id\": 0,\n"
			      "  \"timestamp\": \"%s\",\n  \"counts\": {\n"
			      "    \"issues\": %zu,\n    \"events\": %zu,\n    \"comments\": %zu,\n"
			      "    \"dependencies\": %zu,\n    \"labels\": %zu,\n    \"config\": "
			      "%zu\n  }\n}",
			      lg->has_tip ? git_oid_tostr_s(&lg->tip) : "", now, k.t[0].rows,
			      k.t[4].rows, k.t[3].rows, k.t[1].rows, k.t[2].rows, k.t[5].rows);
		gt_buf_reset(&k.path);
		gt_buf_printf(&k.path, "%s/backup_state.json", o->dir);
		rc = gt_write_file_atomic(k.path.ptr, state.ptr, state.len);
	}
	for (int i = 0; i < 6; i++)
		table_release(&k.t[i]);
	if (k.scratch)
		fclose(k.scratch);
	if (rc < 0 && made_dir)
		rmdir(o->dir); /* only if empty: leaves nothing it did not make */
	free(k.crows);
	free(k.pairs);
	gt_buf_release(&k.line);
	gt_buf_release(&k.data);
	gt_buf_release(&k.path);
	gt_buf_release(&state);
	return rc;
}

int gt_export(struct gt_ledger *lg, const struct gt_export_opts *o, FILE *f, size_t *count)
{
	*count = 0;
	if (o->format == GT_EXPORT_BACKUP)
		return export_backup(lg, o, count);
	return export_lines(lg, o, f, count);
}
