/*
 * export.c - write the ledger as Beads data (beadsio.h).
 *
 * The default format is .beads/issues.jsonl: one line per bead, sorted by
 * id bytewise, tombstones included, ephemeral beads left out.  Ledger blobs
 * are already in that form (canonical key order, Go's escaping), so this
 * export copies blobs and parses nothing; it needs no query index.
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
#include "base/file.h"
#include "base/jscan.h"
#include "base/json.h"
#include "store/backup.h"
#include "store/bead.h"
#include "store/index.h"
#include "store/ledger.h"
#include "base/banned.h"

struct entry {
	char *id;
	git_oid blob;
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->id, ((const struct entry *)b)->id);
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

/* every bead file in the tip, sorted by id */
static int collect(struct gt_ledger *lg, struct entry **out, size_t *n)
{
	const git_tree_entry *be;
	git_tree *beads = NULL;
	size_t alloc = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!lg->tree || !(be = git_tree_entry_byname(lg->tree, "beads")))
		return 0;
	if (git_tree_lookup(&beads, lg->git, git_tree_entry_id(be)) < 0)
		return gt_error_git(GT_EFAIL, "cannot read the beads tree");
	for (size_t s = 0; s < git_tree_entrycount(beads) && !rc; s++) {
		const git_tree_entry *se = git_tree_entry_byindex(beads, s);
		git_tree *shard;

		if (git_tree_entry_type(se) != GIT_OBJECT_TREE)
			continue;
		if (git_tree_lookup(&shard, lg->git, git_tree_entry_id(se)) < 0) {
			rc = gt_error_git(GT_EFAIL, "cannot read shard");
			break;
		}
		for (size_t i = 0; i < git_tree_entrycount(shard); i++) {
			const git_tree_entry *e = git_tree_entry_byindex(shard, i);
			const char *name = git_tree_entry_name(e);
			size_t len = strlen(name);

			if (len <= 5 || strcmp(name + len - 5, ".json"))
				continue;
			GT_ALLOC_GROW(*out, *n + 1, alloc);
			(*out)[*n].id = gt_strndup(name, len - 5);
			git_oid_cpy(&(*out)[*n].blob, git_tree_entry_id(e));
			(*n)++;
		}
		git_tree_free(shard);
	}
	git_tree_free(beads);
	qsort(*out, *n, sizeof(**out), cmp_entry);
	return rc;
}

static void free_entries(struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].id);
	free(v);
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
	struct entry *v;
	size_t n;
	struct gt_index *idx = NULL;
	struct gt_buf line = GT_BUF_INIT;
	uint32_t *dependents = NULL;
	git_odb *odb;
	int rc = collect(lg, &v, &n);

	if (rc < 0)
		return rc;
	if (git_repository_odb(&odb, lg->git) < 0) {
		free_entries(v, n);
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
	for (size_t i = 0; i < n && !rc; i++) {
		git_odb_object *obj;
		const char *data;
		size_t len;
		int tomb, eph;

		if (git_odb_read(&obj, odb, &v[i].blob) < 0) {
			rc = gt_error_git(GT_EFAIL, "cannot read bead '%s'", v[i].id);
			break;
		}
		data = git_odb_object_data(obj);
		len = git_odb_object_size(obj);
		if (!is_record(data, len)) {
			/* never copied out as an invalid line */
			rc = gt_error_set(GT_EINVALID, "bead '%s' does not parse as a JSON object",
					  v[i].id);
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

			if ((rc = gt_json_parse(&b, data, len, v[i].id, 1)) == 0) {
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
					uint32_t r = gt_index_find(idx, v[i].id);
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
	free_entries(v, n);
	gt_buf_release(&line);
	return rc;
}

/* ---- backup tables ---- */

struct table {
	const char *name;
	struct gt_buf data;
	size_t rows;
};

static void row_out(struct table *t, cJSON *row)
{
	gt_json_write(&t->data, row);
	gt_buf_addch(&t->data, '\n');
	t->rows++;
	cJSON_Delete(row);
}

static int write_file(const char *dir, const char *name, const struct gt_buf *b)
{
	struct gt_buf p = GT_BUF_INIT;
	int rc;

	gt_buf_printf(&p, "%s/%s", dir, name);
	rc = gt_write_file_atomic(p.ptr, b->ptr ? b->ptr : "", b->len);
	gt_buf_release(&p);
	return rc;
}

struct pair {
	const char *a, *b;
	int64_t n;
	cJSON *row;
};

static int cmp_pair(const void *pa, const void *pb)
{
	const struct pair *x = pa, *y = pb;
	int c = x->n != y->n ? (x->n < y->n ? -1 : 1) : 0;

	if (!c)
		c = strcmp(x->a, y->a);
	return c ? c : strcmp(x->b, y->b);
}

static void whole_seconds(cJSON *row, const char *key)
{
	const char *s = gt_json_str(row, key);
	char t[64];

	if (s && strchr(s, '.') && gt_time_whole_seconds(t, sizeof(t), s) == 0)
		gt_json_set_str(row, key, t);
}

static int export_backup(struct gt_ledger *lg, const struct gt_export_opts *o, size_t *count)
{
	static const char *const names[6] = { "issues.jsonl", "dependencies.jsonl",
					      "labels.jsonl", "comments.jsonl",
					      "events.jsonl", "config.jsonl" };
	struct table t[6];
	struct pair *deps = NULL, *labels = NULL, *comments = NULL;
	size_t nd = 0, ad = 0, nl = 0, al = 0, nc = 0, ac = 0;
	struct entry *v;
	struct gt_buf data = GT_BUF_INIT, state = GT_BUF_INIT;
	cJSON **beads;
	size_t n;
	int rc;

	if (!o->dir)
		return gt_error_set(GT_EUSAGE, "the backup format needs an output directory");
	memset(t, 0, sizeof(t));
	for (int i = 0; i < 6; i++)
		t[i].name = names[i];
	if ((rc = collect(lg, &v, &n)) < 0)
		return rc;
	beads = gt_calloc(n ? n : 1, sizeof(*beads));
	for (size_t i = 0; i < n && !rc; i++) {
		const cJSON *c;
		const char *id;

		if ((rc = gt_ledger_read_bead(&beads[i], lg, NULL, v[i].id)) < 0)
			break;
		if (o->no_tombstones && !strcmp(gt_bead_status(beads[i]), "tombstone"))
			continue;
		id = gt_bead_id(beads[i]);
		row_out(&t[0], gt_backup_bead_to_row(beads[i]));
		cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(beads[i], "dependencies")) {
			cJSON *row = cJSON_CreateObject();
			const char *to = gt_json_str(c, "depends_on_id");

			cJSON_AddStringToObject(
				row, "created_at",
				gt_json_str(c, "created_at") ? gt_json_str(c, "created_at") : "");
			whole_seconds(row, "created_at");
			cJSON_AddStringToObject(
				row, "created_by",
				gt_json_str(c, "created_by") ? gt_json_str(c, "created_by") : "");
			cJSON_AddStringToObject(row, "depends_on_id", to ? to : "");
			cJSON_AddStringToObject(row, "issue_id", id);
			if (cJSON_GetObjectItemCaseSensitive(c, "metadata"))
				cJSON_AddItemToObject(
					row, "metadata",
					cJSON_Duplicate(
						cJSON_GetObjectItemCaseSensitive(c, "metadata"),
						1));
			cJSON_AddStringToObject(row, "type",
						gt_json_str(c, "type") ? gt_json_str(c, "type")
								       : "blocks");
			GT_ALLOC_GROW(deps, nd + 1, ad);
			deps[nd++] = (struct pair){ id, gt_json_str(row, "depends_on_id"), 0, row };
		}
		cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(beads[i], "labels")) {
			cJSON *row = cJSON_CreateObject();

			cJSON_AddStringToObject(row, "issue_id", id);
			cJSON_AddStringToObject(row, "label", c->valuestring);
			GT_ALLOC_GROW(labels, nl + 1, al);
			labels[nl++] = (struct pair){ id, gt_json_str(row, "label"), 0, row };
		}
		cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(beads[i], "comments")) {
			cJSON *row = cJSON_CreateObject();
			int64_t cid = 0;

			gt_json_int(c, "id", &cid);
			cJSON_AddStringToObject(row, "author",
						gt_json_str(c, "author") ? gt_json_str(c, "author")
									 : "");
			cJSON_AddStringToObject(
				row, "created_at",
				gt_json_str(c, "created_at") ? gt_json_str(c, "created_at") : "");
			whole_seconds(row, "created_at");
			cJSON_AddItemToObject(
				row, "id",
				cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "id"), 1));
			cJSON_AddStringToObject(row, "issue_id", id);
			cJSON_AddStringToObject(
				row, "text", gt_json_str(c, "text") ? gt_json_str(c, "text") : "");
			GT_ALLOC_GROW(comments, nc + 1, ac);
			comments[nc++] = (struct pair){ id, "", cid, row };
		}
		(*count)++;
	}
	qsort(deps, nd, sizeof(*deps), cmp_pair);
	qsort(labels, nl, sizeof(*labels), cmp_pair);
	qsort(comments, nc, sizeof(*comments), cmp_pair);
	for (size_t i = 0; i < nd; i++)
		row_out(&t[1], deps[i].row);
	for (size_t i = 0; i < nl; i++)
		row_out(&t[2], labels[i].row);
	for (size_t i = 0; i < nc; i++)
		row_out(&t[3], comments[i].row);
	if (!rc && gt_ledger_read_file(&data, NULL, lg, NULL, "beads-events.jsonl") == 0) {
		gt_buf_add(&t[4].data, data.ptr, data.len);
		for (size_t i = 0; i < data.len; i++)
			t[4].rows += data.ptr[i] == '\n';
	}
	gt_error_clear();
	if (!rc && gt_ledger_read_file(&data, NULL, lg, NULL, "beads-config.json") == 0) {
		cJSON *cfg = NULL, *c;

		if ((rc = gt_json_parse(&cfg, data.ptr, data.len, "beads-config.json", 1)) == 0)
			cJSON_ArrayForEach (c, cfg) {
				cJSON *row = cJSON_CreateObject();

				cJSON_AddStringToObject(row, "key", c->string);
				cJSON_AddItemToObject(row, "value", cJSON_Duplicate(c, 1));
				row_out(&t[5], row);
			}
		cJSON_Delete(cfg);
	}
	gt_error_clear();
	if (!rc && mkdir(o->dir, 0777) < 0 && errno != EEXIST)
		rc = gt_error_errno(GT_EFAIL, "cannot create '%s'", o->dir);
	for (int i = 0; i < 6 && !rc; i++)
		rc = write_file(o->dir, t[i].name, &t[i].data);
	if (!rc) {
		char now[40];

		gt_time_now(now, sizeof(now));
		gt_buf_printf(&state,
			      "{\n  \"last_dolt_commit\": \"%s\",\n  \"last_event_id\": 0,\n"
			      "  \"timestamp\": \"%s\",\n  \"counts\": {\n"
			      "    \"issues\": %zu,\n    \"events\": %zu,\n    \"comments\": %zu,\n"
			      "    \"dependencies\": %zu,\n    \"labels\": %zu,\n    \"config\": "
			      "%zu\n  }\n}",
			      lg->has_tip ? git_oid_tostr_s(&lg->tip) : "", now, t[0].rows,
			      t[4].rows, t[3].rows, t[1].rows, t[2].rows, t[5].rows);
		rc = write_file(o->dir, "backup_state.json", &state);
	}
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(beads[i]);
	free(beads);
	free(deps);
	free(labels);
	free(comments);
	for (int i = 0; i < 6; i++)
		gt_buf_release(&t[i].data);
	gt_buf_release(&data);
	gt_buf_release(&state);
	free_entries(v, n);
	return rc;
}

int gt_export(struct gt_ledger *lg, const struct gt_export_opts *o, FILE *f, size_t *count)
{
	*count = 0;
	if (o->format == GT_EXPORT_BACKUP)
		return export_backup(lg, o, count);
	return export_lines(lg, o, f, count);
}
