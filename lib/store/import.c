/*
 * import.c - read Beads data of every shape into the ledger (beadsio.h).
 *
 * Reading (gt_import_add) classifies each line by its top-level keys with
 * the pull scanner, without building a tree: issue lines are kept as text
 * and parsed once, inside the transaction; only the small row kinds
 * (dependencies, labels, comments, events, config, deletions) are parsed
 * up front so they can be joined to their issue by issue_id.  A file that
 * holds one JSON array or one multi-line object (bd list --json, the
 * backup state) is turned into one line per element first.
 */
#include "store/beadsio.h"

#include <dirent.h>
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
#include "base/map.h"
#include "store/backup.h"
#include "store/batch.h"
#include "store/bead.h"
#include "store/config.h"
#include "store/id.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "base/banned.h"

enum kind { K_ISSUE, K_DEP, K_LABEL, K_COMMENT, K_EVENT, K_CONFIG, K_MEMORY, K_DELETION, K_STATE };

struct rec {
	enum kind kind;
	uint32_t file;
	long line;
	const char *p;
	size_t len;
};

struct rowset {
	char *id;
	cJSON *deps, *labels, *comments;
	int used;
};

struct gt_import {
	char **paths;
	char **datas;
	size_t nfiles;
	struct rec *recs;
	size_t nrecs, arecs, nissues, nrecords;
	struct gt_map rows; /* issue id -> struct rowset */
	struct rowset **rowsets;
	size_t nrowsets, arowsets;
	cJSON *config; /* key -> value */
	cJSON *events; /* array of rows */
	cJSON *dels;   /* array of records, in input order */
};

/* ---- reading ---- */

static int read_file(const char *path, char **data, size_t *len)
{
	struct gt_buf b = GT_BUF_INIT;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0, rc;

	if (fd < 0)
		return gt_error_errno(errno == ENOENT ? GT_ENOTFOUND : GT_EFAIL, "cannot open '%s'",
				      path);
	rc = gt_read_fd(&b, fd, path);
	if (fd)
		close(fd);
	if (rc < 0) {
		gt_buf_release(&b);
		return rc;
	}
	*len = b.len;
	*data = gt_buf_detach(&b);
	return 0;
}

enum {
	F_TYPE = 1 << 0,
	F_ID = 1 << 1,
	F_TITLE = 1 << 2,
	F_TS = 1 << 3,
	F_ISSUE_ID = 1 << 4,
	F_DEPENDS = 1 << 5,
	F_LABEL = 1 << 6,
	F_EVENT = 1 << 7,
	F_TEXT = 1 << 8,
	F_KEY = 1 << 9,
	F_VALUE = 1 << 10,
	F_STATE = 1 << 11,
};

static int classify(const char *p, size_t len, enum kind *kind, struct gt_buf *type)
{
	static const struct {
		const char *k;
		int f;
	} keys[] = {
		{ "_type", F_TYPE },	    { "id", F_ID },
		{ "title", F_TITLE },	    { "ts", F_TS },
		{ "issue_id", F_ISSUE_ID }, { "depends_on_id", F_DEPENDS },
		{ "label", F_LABEL },	    { "event_type", F_EVENT },
		{ "text", F_TEXT },	    { "key", F_KEY },
		{ "value", F_VALUE },	    { "last_dolt_commit", F_STATE },
		{ "counts", F_STATE },
	};
	struct gt_jscan s;
	const char *k;
	size_t kl;
	int flags = 0, r;

	gt_jscan_init(&s, p, len);
	if (gt_jscan_enter_object(&s) < 0)
		return -1;
	while ((r = gt_jscan_next_member(&s, &k, &kl)) == 1) {
		int f = 0;

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strlen(keys[i].k) == kl && !memcmp(keys[i].k, k, kl))
				f = keys[i].f;
		flags |= f;
		if (f == F_TYPE)
			gt_jscan_string(&s, type);
		else
			gt_jscan_skip(&s);
		if (s.err)
			return -1;
	}
	if (r < 0 || s.err)
		return -1;
	if (flags & F_TYPE) {
		/* _type may be no string at all: its buffer is then empty */
		if (!strcmp(gt_buf_cstr(type), "issue"))
			*kind = K_ISSUE;
		else if (!strcmp(gt_buf_cstr(type), "memory"))
			*kind = K_MEMORY;
		else
			return -2;
	} else if (flags & F_STATE) {
		*kind = K_STATE;
	} else if ((flags & F_ISSUE_ID) && (flags & F_DEPENDS) && !(flags & F_TITLE)) {
		*kind = K_DEP;
	} else if ((flags & F_ISSUE_ID) && (flags & F_LABEL) && !(flags & F_TITLE)) {
		*kind = K_LABEL;
	} else if ((flags & F_ISSUE_ID) && (flags & F_EVENT)) {
		*kind = K_EVENT;
	} else if ((flags & F_ISSUE_ID) && (flags & F_TEXT) && !(flags & F_TITLE)) {
		*kind = K_COMMENT;
	} else if ((flags & F_ID) && (flags & F_TITLE)) {
		*kind = K_ISSUE;
	} else if ((flags & F_ID) && (flags & F_TS)) {
		*kind = K_DELETION;
	} else if ((flags & F_KEY) && (flags & F_VALUE) && !(flags & F_ID)) {
		*kind = K_CONFIG;
	} else {
		return -2;
	}
	return 0;
}

static struct rowset *rowset_for(struct gt_import *im, const char *id)
{
	struct rowset *r = gt_map_get(&im->rows, id);

	if (r)
		return r;
	r = gt_calloc(1, sizeof(*r));
	r->id = gt_strdup(id);
	gt_map_put(&im->rows, r->id, r);
	GT_ALLOC_GROW(im->rowsets, im->nrowsets + 1, im->arowsets);
	im->rowsets[im->nrowsets++] = r;
	return r;
}

static void add_to(cJSON **arr, cJSON *item)
{
	if (!*arr)
		*arr = cJSON_CreateArray();
	cJSON_AddItemToArray(*arr, item);
}

/* The ids a row names become file names when it joins its bead: check
 * them as gt-bead-add would, here, where the line is known. */
static int check_row_ids(enum kind kind, const cJSON *obj, const char *where)
{
	const char *issue = gt_json_str(obj, "issue_id"), *id = gt_json_str(obj, "id");
	const char *target = gt_json_str(obj, "depends_on_id"), *field = NULL;
	struct gt_time when;
	char msg[512];

	if ((kind == K_DEP || kind == K_LABEL || kind == K_COMMENT) && issue &&
	    gt_id_check(issue) < 0)
		field = "issue_id";
	else if (kind == K_DEP && target && gt_dep_target_check(target) < 0)
		field = "depends_on_id";
	else if (kind == K_DELETION && id && gt_id_check(id) < 0)
		field = "id";
	if (!field && kind == K_DELETION && gt_json_str(obj, "ts") &&
	    gt_time_parse_exact(&when, gt_json_str(obj, "ts")) < 0)
		return gt_error_set(GT_EINVALID, "%s: ts: '%.100s' is not a time", where,
				    gt_json_str(obj, "ts"));
	if (!field)
		return 0;
	snprintf(msg, sizeof(msg), "%s", gt_error_last());
	return gt_error_set(GT_EINVALID, "%s: %s: %s", where, field, msg);
}

/* Keep a parsed row where it belongs; takes ownership of obj. */
static int take_row(struct gt_import *im, enum kind kind, cJSON *obj, const char *where)
{
	const char *issue = gt_json_str(obj, "issue_id");

	if (check_row_ids(kind, obj, where) < 0) {
		cJSON_Delete(obj);
		return GT_EINVALID;
	}
	switch (kind) {
	case K_DEP:
		if (!issue || !gt_json_str(obj, "depends_on_id"))
			goto bad;
		if (!gt_json_str(obj, "type"))
			cJSON_AddStringToObject(obj, "type", "blocks");
		add_to(&rowset_for(im, issue)->deps, obj);
		return 0;
	case K_LABEL:
		if (!issue || !gt_json_str(obj, "label"))
			goto bad;
		add_to(&rowset_for(im, issue)->labels,
		       cJSON_CreateString(gt_json_str(obj, "label")));
		cJSON_Delete(obj);
		return 0;
	case K_COMMENT:
		if (!issue)
			goto bad;
		add_to(&rowset_for(im, issue)->comments, obj);
		return 0;
	case K_EVENT: add_to(&im->events, obj); return 0;
	case K_CONFIG:
	case K_MEMORY: {
		const char *k = gt_json_str(obj, "key");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "value");
		struct gt_buf key = GT_BUF_INIT;

		if (!k)
			goto bad;
		if (kind == K_MEMORY && strncmp(k, "kv.memory.", 10))
			gt_buf_adds(&key, "kv.memory.");
		gt_buf_adds(&key, k);
		if (!im->config)
			im->config = cJSON_CreateObject();
		gt_json_set(im->config, key.ptr, cJSON_Duplicate(v, 1));
		gt_buf_release(&key);
		cJSON_Delete(obj);
		return 0;
	}
	case K_DELETION:
		if (!gt_json_str(obj, "id") || !gt_json_str(obj, "ts"))
			goto bad;
		add_to(&im->dels, obj);
		return 0;
	default: cJSON_Delete(obj); return 0;
	}
bad:
	cJSON_Delete(obj);
	return gt_error_set(GT_EINVALID, "%s: record is missing required keys", where);
}

/* A file holding one JSON value over several lines (an array, a pretty
 * object) becomes one line per element. */
static int flatten_whole(char **data, size_t *len, const char *path)
{
	const char *p = *data, *nl;
	cJSON *v, *c;
	struct gt_buf out = GT_BUF_INIT;
	int rc;

	while (p < *data + *len && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	if (p == *data + *len)
		return 0;
	nl = memchr(p, '\n', (size_t)(*data + *len - p));
	if (*p != '[' && *p != '{')
		return 0;
	if (*p == '{' && nl) {
		/* JSONL if the first line alone is a complete object */
		cJSON *first = NULL;

		if (gt_json_parse(&first, p, (size_t)(nl - p), path, 1) == 0) {
			cJSON_Delete(first);
			return 0;
		}
		gt_error_clear();
	} else if (*p == '{') {
		return 0;
	}
	if ((rc = gt_json_parse(&v, *data, *len, path, 1)) < 0)
		return *p == '{' ? 0 : rc; /* let the line parser report it */
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach (c, v) {
			gt_json_write(&out, c);
			gt_buf_addch(&out, '\n');
		}
	} else {
		gt_json_write(&out, v);
		gt_buf_addch(&out, '\n');
	}
	cJSON_Delete(v);
	free(*data);
	*len = out.len;
	*data = gt_buf_detach(&out);
	return 0;
}

static int add_data(struct gt_import *im, const char *path, char *data, size_t len)
{
	struct gt_buf type = GT_BUF_INIT;
	uint32_t file = (uint32_t)im->nfiles;
	size_t pos = 0;
	long line = 0;
	int rc = 0;

	if ((rc = flatten_whole(&data, &len, path)) < 0) {
		free(data);
		return rc;
	}
	im->paths = gt_realloc(im->paths, (im->nfiles + 1) * sizeof(*im->paths));
	im->datas = gt_realloc(im->datas, (im->nfiles + 1) * sizeof(*im->datas));
	im->paths[file] = gt_strdup(path);
	im->datas[file] = data;
	im->nfiles++;
	while (pos < len && !rc) {
		char *s = data + pos, *nl = memchr(s, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - s) : len - pos;
		struct gt_buf where = GT_BUF_INIT;
		enum kind kind;
		size_t bad;
		int c;

		line++;
		pos += l + (nl ? 1 : 0);
		while (l && (s[l - 1] == '\r' || s[l - 1] == ' ' || s[l - 1] == '\t'))
			l--;
		while (l && (*s == ' ' || *s == '\t')) {
			s++;
			l--;
		}
		if (!l)
			continue;
		im->nrecords++;
		gt_buf_printf(&where, "%s: line %ld", path, line);
		if (gt_utf8_check(s, l, &bad) < 0) {
			rc = gt_error_set(GT_EINVALID, "%s, byte %zu: %s", where.ptr, bad + 1,
					  s[bad] ? "invalid UTF-8" : "NUL byte");
		} else if ((c = classify(s, l, &kind, &type)) == -1) {
			cJSON *dummy = NULL;

			/* not valid JSON: let the strict parser say where */
			rc = gt_json_parse(&dummy, s, l, path, line);
			cJSON_Delete(dummy);
			if (!rc)
				rc = gt_error_set(GT_EINVALID, "%s: malformed record", where.ptr);
		} else if (c == -2) {
			rc = gt_error_set(GT_EINVALID, "%s: not a Beads record I know%s%s%s",
					  where.ptr, type.len ? " (_type \"" : "",
					  type.len ? type.ptr : "", type.len ? "\")" : "");
		} else if (kind == K_ISSUE || kind == K_STATE) {
			GT_ALLOC_GROW(im->recs, im->nrecs + 1, im->arecs);
			im->recs[im->nrecs++] = (struct rec){ kind, file, line, s, l };
			im->nissues += kind == K_ISSUE;
		} else {
			cJSON *obj;

			rc = gt_json_parse(&obj, s, l, path, line);
			if (!rc)
				rc = take_row(im, kind, obj, where.ptr);
		}
		gt_buf_release(&where);
		gt_buf_reset(&type);
	}
	gt_buf_release(&type);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(struct gt_import **im, const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int rc = 0;

	if (!d)
		return gt_error_errno(GT_EFAIL, "cannot read directory '%s'", path);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (e->d_name[0] == '.' || !((l > 6 && !strcmp(e->d_name + l - 6, ".jsonl")) ||
					     (l > 5 && !strcmp(e->d_name + l - 5, ".json"))))
			continue;
		GT_ALLOC_GROW(names, n + 1, alloc);
		names[n++] = gt_strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct gt_buf p = GT_BUF_INIT;

		gt_buf_printf(&p, "%s/%s", path, names[i]);
		if (!rc)
			rc = gt_import_add(im, p.ptr);
		gt_buf_release(&p);
		free(names[i]);
	}
	free(names);
	if (!n && !rc)
		rc = gt_error_set(GT_ENOTFOUND, "no .jsonl files in '%s'", path);
	return rc;
}

int gt_import_add(struct gt_import **im, const char *path)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (!*im)
		*im = gt_calloc(1, sizeof(**im));
	if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return add_dir(im, path);
	if ((rc = read_file(path, &data, &len)) < 0)
		return rc;
	return add_data(*im, strcmp(path, "-") ? path : "stdin", data, len);
}

size_t gt_import_issue_count(const struct gt_import *im)
{
	return im ? im->nissues : 0;
}

void gt_import_free(struct gt_import *im)
{
	if (!im)
		return;
	for (size_t i = 0; i < im->nfiles; i++) {
		free(im->paths[i]);
		free(im->datas[i]);
	}
	free(im->paths);
	free(im->datas);
	free(im->recs);
	for (size_t i = 0; i < im->nrowsets; i++) {
		cJSON_Delete(im->rowsets[i]->deps);
		cJSON_Delete(im->rowsets[i]->labels);
		cJSON_Delete(im->rowsets[i]->comments);
		free(im->rowsets[i]->id);
		free(im->rowsets[i]);
	}
	free(im->rowsets);
	gt_map_release(&im->rows);
	cJSON_Delete(im->config);
	cJSON_Delete(im->events);
	cJSON_Delete(im->dels);
	free(im);
}

/* ---- applying ---- */

static int str_equal(const cJSON *a, const cJSON *b)
{
	return cJSON_IsString(a) && cJSON_IsString(b) && !strcmp(a->valuestring, b->valuestring);
}

static int has_dep(const cJSON *deps, const cJSON *d)
{
	const cJSON *x;

	cJSON_ArrayForEach (x, deps)
		if (str_equal(cJSON_GetObjectItemCaseSensitive(x, "depends_on_id"),
			      cJSON_GetObjectItemCaseSensitive(d, "depends_on_id")) &&
		    str_equal(cJSON_GetObjectItemCaseSensitive(x, "type"),
			      cJSON_GetObjectItemCaseSensitive(d, "type")))
			return 1;
	return 0;
}

static int same_comment(const cJSON *a, const cJSON *b)
{
	const cJSON *ia = cJSON_GetObjectItemCaseSensitive(a, "id");
	const cJSON *ib = cJSON_GetObjectItemCaseSensitive(b, "id");

	if (ia && ib)
		return gt_json_equal(ia, ib);
	return str_equal(cJSON_GetObjectItemCaseSensitive(a, "author"),
			 cJSON_GetObjectItemCaseSensitive(b, "author")) &&
	       str_equal(cJSON_GetObjectItemCaseSensitive(a, "text"),
			 cJSON_GetObjectItemCaseSensitive(b, "text"));
}

/* stable insertion by created_at, as Beads orders them */
static void insert_by_time(cJSON *arr, cJSON *item)
{
	const char *t = gt_json_str(item, "created_at");
	cJSON *c;
	int i = 0;

	cJSON_ArrayForEach (c, arr) {
		if (t && gt_time_cmp(gt_json_str(c, "created_at"), t) > 0)
			break;
		i++;
	}
	gt_json_array_insert(arr, i, item);
}

static cJSON *array_member(cJSON *obj, const char *key)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsArray(a)) {
		a = cJSON_CreateArray();
		gt_json_set(obj, key, a);
	}
	return a;
}

/* Join rows to a bead; returns how many rows changed it. */
static size_t attach_rows(cJSON *b, struct rowset *r)
{
	size_t n = 0;
	const cJSON *c;

	r->used = 1;
	cJSON_ArrayForEach (c, r->labels)
		n += (size_t)gt_bead_label_add(b, c->valuestring);
	if (cJSON_GetArraySize(r->deps)) {
		cJSON *deps = array_member(b, "dependencies");

		cJSON_ArrayForEach (c, r->deps) {
			if (has_dep(deps, c))
				continue;
			insert_by_time(deps, cJSON_Duplicate(c, 1));
			n++;
		}
		if (!cJSON_GetArraySize(deps))
			gt_json_del(b, "dependencies");
	}
	if (cJSON_GetArraySize(r->comments)) {
		cJSON *cs = array_member(b, "comments");

		cJSON_ArrayForEach (c, r->comments) {
			const cJSON *x;
			int dup = 0;

			cJSON_ArrayForEach (x, cs)
				dup |= same_comment(x, c);
			if (dup)
				continue;
			insert_by_time(cs, cJSON_Duplicate(c, 1));
			n++;
		}
		if (!cJSON_GetArraySize(cs))
			gt_json_del(b, "comments");
	}
	return n;
}

static void normalize(cJSON *b)
{
	static const char *const computed[] = { "_type",	   "dependency_count",
						"dependent_count", "comment_count",
						"parent",	   NULL };

	for (int i = 0; computed[i]; i++)
		gt_json_del(b, computed[i]);
	if (gt_backup_is_row(b))
		gt_backup_row_to_bead(b);
}

struct existing {
	int found;
	int tombstone;
	struct gt_time updated; /* the epoch when absent */
	struct gt_buf data;
};

static int read_existing(struct gt_txn *tx, const char *path, struct existing *e)
{
	struct gt_jscan s;
	const char *k;
	size_t kl;
	struct gt_buf tmp = GT_BUF_INIT;
	int rc = gt_txn_file_get(tx, path, &e->data);

	e->found = e->tombstone = 0;
	e->updated.sec = e->updated.nsec = 0;
	if (rc == GT_ENOTFOUND) {
		gt_error_clear();
		return 0;
	}
	if (rc < 0)
		return rc;
	e->found = 1;
	gt_jscan_init(&s, e->data.ptr, e->data.len);
	if (gt_jscan_enter_object(&s) == 0) {
		while (gt_jscan_next_member(&s, &k, &kl) == 1) {
			if (kl == 6 && !memcmp(k, "status", 6) && gt_jscan_string(&s, &tmp) == 0)
				e->tombstone = !strcmp(tmp.ptr, "tombstone");
			else if (kl == 10 && !memcmp(k, "updated_at", 10) &&
				 gt_jscan_string(&s, &tmp) == 0)
				gt_time_parse_exact(&e->updated, tmp.ptr);
			else
				gt_jscan_skip(&s);
		}
	}
	gt_buf_release(&tmp);
	return 0;
}

/* Stage bead b (put in canonical order) at path, as its file's line. */
static int put_bead(struct gt_txn *tx, const char *path, cJSON *b, struct gt_buf *scratch)
{
	gt_buf_reset(scratch);
	gt_bead_serialize(scratch, b);
	gt_buf_addch(scratch, '\n');
	return gt_txn_file_put(tx, path, scratch->ptr, scratch->len);
}

static int apply_config(struct gt_txn *tx, struct gt_ctx *ctx, struct gt_import *im,
			struct gt_import_stats *st)
{
	struct gt_buf data = GT_BUF_INIT, out = GT_BUF_INIT;
	cJSON *cur = NULL, *c;
	int rc;

	if (!im->config)
		return 0;
	rc = gt_txn_file_get(tx, "beads-config.json", &data);
	if (rc == 0)
		rc = gt_json_parse(&cur, data.ptr, data.len, "beads-config.json", 1);
	else if (rc == GT_ENOTFOUND)
		rc = 0;
	if (rc < 0)
		goto out;
	if (!cJSON_IsObject(cur)) {
		cJSON_Delete(cur);
		cur = cJSON_CreateObject();
	}
	cJSON_ArrayForEach (c, im->config) {
		const cJSON *old = cJSON_GetObjectItemCaseSensitive(cur, c->string);

		if (!old || !gt_json_equal(old, c)) {
			gt_json_set(cur, c->string, cJSON_Duplicate(c, 1));
			st->config_keys++;
		}
		if (!strcmp(c->string, "types.custom") && cJSON_IsString(c))
			gt_vocab_add_types(&ctx->vocab, c->valuestring);
		if (!strcmp(c->string, "status.custom") && cJSON_IsString(c))
			gt_vocab_add_statuses(&ctx->vocab, c->valuestring);
	}
	if (st->config_keys) {
		gt_json_write_sorted(&out, cur);
		gt_buf_addch(&out, '\n');
		rc = gt_txn_file_put(tx, "beads-config.json", out.ptr, out.len);
	}
out:
	cJSON_Delete(cur);
	gt_buf_release(&data);
	gt_buf_release(&out);
	return rc;
}

static int apply_issue(struct gt_txn *tx, struct gt_ctx *ctx, struct gt_import *im,
		       const struct rec *r, enum gt_import_policy policy,
		       struct gt_import_stats *st, struct gt_buf *path, struct existing *ex,
		       struct gt_buf *scratch)
{
	const char *file = im->paths[r->file];
	struct rowset *rows;
	cJSON *b;
	int rc, take;

	if ((rc = gt_json_parse(&b, r->p, r->len, file, r->line)) < 0)
		return rc;
	/* bd export's computed "parent" is dropped, but not unchecked */
	if (gt_json_str(b, "parent") && *gt_json_str(b, "parent") &&
	    gt_id_check(gt_json_str(b, "parent")) < 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", gt_error_last());
		cJSON_Delete(b);
		return gt_error_set(GT_EINVALID, "%s: line %ld: parent: %s", file, r->line, msg);
	}
	normalize(b);
	if (!gt_json_str(b, "id")) {
		cJSON_Delete(b);
		return gt_error_set(GT_EINVALID, "%s: line %ld: issue has no id", file, r->line);
	}
	rows = gt_map_get(&im->rows, gt_json_str(b, "id"));
	if (rows)
		st->rows_attached += attach_rows(b, rows);
	gt_bead_canonicalize(b);
	if ((rc = gt_bead_validate(b, &ctx->vocab)) < 0) {
		char msg[4096];

		snprintf(msg, sizeof(msg), "%s", gt_error_last());
		cJSON_Delete(b);
		return gt_error_set(GT_EINVALID, "%s: line %ld: %s", file, r->line, msg);
	}
	gt_bead_path(path, gt_json_str(b, "id"));
	if ((rc = read_existing(tx, path->ptr, ex)) < 0) {
		cJSON_Delete(b);
		return rc;
	}
	gt_buf_reset(scratch);
	gt_json_write(scratch, b);
	gt_buf_addch(scratch, '\n');
	if (scratch->len > GT_BEAD_MAX) {
		rc = gt_error_set(GT_EINVALID, "%s: line %ld: bead '%s' is %zu bytes (at most %d)",
				  file, r->line, gt_json_str(b, "id"), scratch->len, GT_BEAD_MAX);
		cJSON_Delete(b);
		return rc;
	}
	if (!ex->found) {
		take = 1;
		st->created++;
	} else if (ex->data.len == scratch->len &&
		   !memcmp(ex->data.ptr, scratch->ptr, scratch->len)) {
		take = 0;
		st->unchanged++;
	} else if (policy == GT_IMPORT_INCOMING) {
		take = 1;
	} else if (policy == GT_IMPORT_EXISTING) {
		take = 0;
		st->kept_existing++;
	} else if (ex->tombstone && strcmp(gt_bead_status(b), "tombstone")) {
		take = 0;
		st->kept_tombstone++;
	} else {
		struct gt_time upd = { 0, 0 };

		gt_time_parse_exact(
			&upd, gt_json_str(b, "updated_at") ? gt_json_str(b, "updated_at") : "");
		take = gt_time_order(&upd, &ex->updated) > 0;
		if (!take)
			st->kept_existing++;
	}
	if (take && ex->found)
		st->updated++;
	if (take)
		rc = gt_txn_file_put(tx, path->ptr, scratch->ptr, scratch->len);
	cJSON_Delete(b);
	return rc;
}

/* rows whose issue was not in this import join the bead in the ledger */
static int apply_loose_rows(struct gt_txn *tx, struct gt_import *im, struct gt_import_stats *st,
			    struct gt_buf *path, struct existing *ex, struct gt_buf *scratch)
{
	for (size_t i = 0; i < im->nrowsets; i++) {
		struct rowset *r = im->rowsets[i];
		cJSON *b;
		size_t n;
		int rc;

		if (r->used)
			continue;
		if (gt_id_check(r->id) < 0) {
			gt_error_clear();
			st->orphan_rows++;
			continue;
		}
		gt_bead_path(path, r->id);
		if ((rc = read_existing(tx, path->ptr, ex)) < 0)
			return rc;
		if (!ex->found) {
			st->orphan_rows += (size_t)cJSON_GetArraySize(r->deps) +
					   (size_t)cJSON_GetArraySize(r->labels) +
					   (size_t)cJSON_GetArraySize(r->comments);
			continue;
		}
		if ((rc = gt_json_parse(&b, ex->data.ptr, ex->data.len, path->ptr, 1)) < 0)
			return rc;
		n = attach_rows(b, r);
		st->rows_attached += n;
		if (n)
			rc = put_bead(tx, path->ptr, b, scratch);
		cJSON_Delete(b);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The legacy deletions manifest: the last record for an id wins; a live
 * bead last updated before the deletion becomes a tombstone, and an id
 * the ledger never saw gets a minimal tombstone (as bd's migration did). */
static int apply_deletions(struct gt_txn *tx, struct gt_import *im, struct gt_import_stats *st,
			   struct gt_buf *path, struct existing *ex, struct gt_buf *scratch)
{
	struct gt_map last = GT_MAP_INIT;
	cJSON *d;
	int rc = 0;

	cJSON_ArrayForEach (d, im->dels) {
		st->deletion_records++;
		gt_map_put(&last, gt_json_str(d, "id"), d);
	}
	cJSON_ArrayForEach (d, im->dels) {
		const char *id = gt_json_str(d, "id"), *ts = gt_json_str(d, "ts");
		const char *by = gt_json_str(d, "by"), *why = gt_json_str(d, "reason");
		struct gt_time when;
		cJSON *b;

		if (gt_map_get(&last, id) != d)
			continue; /* a later record for this id wins */
		if (gt_id_check(id) < 0 || gt_time_parse_exact(&when, ts) < 0) {
			rc = gt_error_set(GT_EINVALID, "deletion record for '%s' is invalid", id);
			break;
		}
		gt_bead_path(path, id);
		if ((rc = read_existing(tx, path->ptr, ex)) < 0)
			break;
		if (ex->found && (ex->tombstone || gt_time_order(&ex->updated, &when) > 0))
			continue;
		if (ex->found) {
			if ((rc = gt_json_parse(&b, ex->data.ptr, ex->data.len, path->ptr, 1)) < 0)
				break;
			gt_json_set_str(b, "original_type", gt_bead_type(b));
			gt_json_set_str(b, "status", "tombstone");
			gt_json_del(b, "closed_at");
			gt_json_set_str(b, "updated_at", ts);
		} else {
			b = cJSON_CreateObject();
			gt_json_set_str(b, "id", id);
			gt_json_set_str(b, "title", "[Deleted]");
			gt_json_set_str(b, "status", "tombstone");
			gt_json_set_int(b, "priority", 0);
			gt_json_set_str(b, "issue_type", "task");
			gt_json_set_str(b, "created_at", ts);
			gt_json_set_str(b, "updated_at", ts);
			gt_json_set_str(b, "original_type", "task");
		}
		gt_json_set_str(b, "deleted_at", ts);
		gt_bead_set_str(b, "deleted_by", by ? by : "");
		gt_bead_set_str(b, "delete_reason", why ? why : "");
		rc = put_bead(tx, path->ptr, b, scratch);
		cJSON_Delete(b);
		if (rc < 0)
			break;
		st->deleted++;
	}
	gt_map_release(&last);
	return rc;
}

static int cmp_events(const void *pa, const void *pb)
{
	const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;
	int c = gt_time_cmp(gt_json_str(a, "created_at"), gt_json_str(b, "created_at"));
	int64_t ia = 0, ib = 0;

	if (c)
		return c;
	gt_json_int(a, "id", &ia);
	gt_json_int(b, "id", &ib);
	return ia < ib ? -1 : ia > ib;
}

/* The events to keep: one per id, the first seen. */
struct evset {
	struct gt_map seen; /* id (owned) -> 1 */
	struct gt_buf key;
	const cJSON **all;
	size_t n, alloc;
};

/* Keep ev unless an event with its id is kept already; 1 if kept. */
static int keep_event(struct evset *es, const cJSON *ev)
{
	gt_buf_reset(&es->key);
	gt_json_write(&es->key, cJSON_GetObjectItemCaseSensitive(ev, "id"));
	if (gt_map_get(&es->seen, es->key.ptr))
		return 0;
	gt_map_put(&es->seen, gt_strdup(es->key.ptr), (void *)1);
	GT_ALLOC_GROW(es->all, es->n + 1, es->alloc);
	es->all[es->n++] = ev;
	return 1;
}

/* Beads' audit events are kept, verbatim and sorted, in
 * beads-events.jsonl: history from before the import. */
static int apply_events(struct gt_txn *tx, struct gt_import *im, struct gt_import_stats *st)
{
	struct gt_buf data = GT_BUF_INIT, out = GT_BUF_INIT;
	struct evset es = { GT_MAP_INIT, GT_BUF_INIT, NULL, 0, 0 };
	struct gt_batch old = { 0 };
	struct gt_map_entry *me;
	const cJSON *ev;
	int rc;

	if (!im->events)
		return 0;
	rc = gt_txn_file_get(tx, "beads-events.jsonl", &data);
	if (rc == GT_ENOTFOUND) {
		gt_error_clear();
		rc = 0;
	} else if (!rc) {
		size_t len = data.len;

		rc = gt_batch_parse(&old, gt_buf_detach(&data), len, "beads-events.jsonl");
	}
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < old.n; i++)
		keep_event(&es, old.v[i].json);
	cJSON_ArrayForEach (ev, im->events)
		st->events += keep_event(&es, ev);
	if (st->events) {
		qsort(es.all, es.n, sizeof(*es.all), cmp_events);
		for (size_t i = 0; i < es.n; i++) {
			/* rows are written with sorted keys, like the backup */
			gt_json_write_sorted(&out, es.all[i]);
			gt_buf_addch(&out, '\n');
		}
		rc = gt_txn_file_put(tx, "beads-events.jsonl", out.ptr, out.len);
	}
out:
	for (size_t i = 0; gt_map_next(&es.seen, &i, &me);)
		free((char *)(uintptr_t)me->key);
	gt_map_release(&es.seen);
	gt_buf_release(&es.key);
	free(es.all);
	gt_batch_release(&old);
	gt_buf_release(&data);
	gt_buf_release(&out);
	return rc;
}

int gt_import_apply(struct gt_txn *tx, struct gt_ctx *ctx, struct gt_import *im,
		    enum gt_import_policy policy, struct gt_import_stats *st)
{
	struct gt_buf path = GT_BUF_INIT, scratch = GT_BUF_INIT;
	struct existing ex = { 0 };
	int rc;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < im->nrowsets; i++)
		im->rowsets[i]->used = 0;
	if ((rc = gt_ctx_config(ctx)) < 0 || (rc = apply_config(tx, ctx, im, st)) < 0)
		goto out;
	st->lines = im->nrecords;
	for (size_t i = 0; i < im->nrecs && !rc; i++) {
		if (im->recs[i].kind == K_ISSUE)
			rc = apply_issue(tx, ctx, im, &im->recs[i], policy, st, &path, &ex,
					 &scratch);
	}
	if (!rc)
		rc = apply_loose_rows(tx, im, st, &path, &ex, &scratch);
	if (!rc)
		rc = apply_deletions(tx, im, st, &path, &ex, &scratch);
	if (!rc)
		rc = apply_events(tx, im, st);
	if (!rc) {
		gt_txn_summary(tx, "import %zu records: %zu new, %zu updated, %zu deleted",
			       im->nissues, st->created, st->updated, st->deleted);
		for (size_t i = 0; i < im->nfiles && i < 16; i++)
			gt_txn_trailer(tx, "Gt-Source", "%s", im->paths[i]);
	}
out:
	gt_buf_release(&path);
	gt_buf_release(&scratch);
	gt_buf_release(&ex.data);
	return rc;
}
