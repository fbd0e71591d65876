/*
 * import.c - read Beads data of every shape into the ledger (beadsio.h),
 * in memory bounded by the number of beads, not their size.
 *
 * Two passes over every input.  The first (gt_import_add) classifies each
 * line by its top-level keys with the pull scanner, without building a
 * tree, and keeps only what must be known before any bead is written: the
 * small row kinds (dependencies, labels, comments, events, config,
 * deletions), joined to their issue by issue_id later, the config that
 * may add types and statuses, and one bit per line saying "an issue".
 * Issue lines are not kept.  The second pass (gt_import_apply, inside the
 * transaction) reads the inputs again and handles one issue line at a
 * time: parse, join its rows, validate, serialize, merge with what the
 * ledger or an earlier line holds, and send the blob straight into a pack
 * being written to disk (objbuf.h's streaming).  What stays per bead is a
 * record of its path and blob id, found by path through a hash table
 * (~60 bytes), and the pack's own ~40 (id, offset, CRC): a bead's
 * updated_at and status are read back from its blob in the rare case they
 * are needed again (the same id twice, a deletion record for it).
 * At the end the records are sorted by path and merged with the base
 * tree, directory by directory, into new trees (any depth, so a deeper
 * shard layout needs no change here), and the import stages the new
 * beads/ tree whole.
 *
 * Standard input that is not a file is copied to an unlinked temporary
 * file on the first pass, so the second can read it again.  A file that
 * holds one JSON array or one multi-line object (bd list --json, the
 * backup state) is the exception: it is read whole and turned into one
 * line per element, in memory.
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
#include "base/progress.h"
#include "base/sort.h"
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
#include "store/objbuf.h"
#include "store/ops.h"
#include "store/shard.h"
#include "base/banned.h"

enum kind { K_ISSUE, K_DEP, K_LABEL, K_COMMENT, K_EVENT, K_CONFIG, K_MEMORY, K_DELETION, K_STATE };

/* One input, as the second pass reads it again. */
struct src {
	char *name; /* in messages: the path, or "stdin" */
	int fd;	    /* read with pread from start; -1 when in memory */
	off_t start;
	char *mem; /* a whole-value file, flattened to lines */
	size_t memlen;
	unsigned char *issue; /* bit per line number: an issue line */
	size_t issue_alloc, nlines;
};

struct rowset {
	char *id;
	cJSON *deps, *labels, *comments;
	int used;
};

struct gt_import {
	struct src *srcs;
	size_t nsrcs, nissues, nrecords;
	struct gt_map rows; /* issue id -> struct rowset */
	struct rowset **rowsets;
	size_t nrowsets, arowsets;
	cJSON *config;		     /* key -> value */
	cJSON *events;		     /* array of rows */
	cJSON *dels;		     /* array of records, in input order */
	struct gt_progress progress; /* told of each issue applied */
	size_t applied;
};

/* ---- reading lines ---- */

#define CHUNK (256 * 1024)

/* Lines of a file descriptor (from an offset, with pread, or read() for
 * a pipe, copying what it reads to spool) or of memory. */
struct lines {
	int fd, spool, piped;
	off_t off;
	const char *mem;
	size_t memlen;
	struct gt_buf buf; /* read, from pos on not yet returned */
	size_t pos;
	int eof;
	const char *what;
};

static void lines_fd(struct lines *r, int fd, off_t off, int piped, int spool, const char *what)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->off = off;
	r->piped = piped;
	r->spool = spool;
	r->what = what;
}

static void lines_mem(struct lines *r, const char *mem, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->fd = r->spool = -1;
	r->mem = mem;
	r->memlen = len;
	r->eof = 1;
}

/* Read more after what buf holds (moving the unread part to the front
 * first).  0, or GT_EFAIL. */
static int lines_fill(struct lines *r)
{
	ssize_t n;

	if (r->pos) {
		memmove(r->buf.ptr, r->buf.ptr + r->pos, r->buf.len - r->pos);
		gt_buf_truncate(&r->buf, r->buf.len - r->pos);
		r->pos = 0;
	}
	gt_buf_grow(&r->buf, CHUNK);
	do
		n = r->piped ? read(r->fd, r->buf.ptr + r->buf.len, CHUNK)
			     : pread(r->fd, r->buf.ptr + r->buf.len, CHUNK, r->off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return gt_error_errno(GT_EFAIL, "cannot read '%s'", r->what);
	if (!n) {
		r->eof = 1;
		return 0;
	}
	if (r->spool >= 0 && gt_write_all(r->spool, r->buf.ptr + r->buf.len, (size_t)n) < 0)
		return gt_error_errno(GT_EFAIL, "cannot keep a copy of '%s'", r->what);
	r->off += n;
	r->buf.len += (size_t)n;
	r->buf.ptr[r->buf.len] = '\0';
	return 0;
}

/* The next line, without its newline, valid until the next call: 1, or 0
 * at the end, or GT_EFAIL. */
static int lines_next(struct lines *r, char **s, size_t *l)
{
	char *nl;
	int rc;

	if (r->mem) {
		if (r->pos >= r->memlen)
			return 0;
		*s = (char *)(uintptr_t)r->mem + r->pos;
		nl = memchr(*s, '\n', r->memlen - r->pos);
		*l = nl ? (size_t)(nl - *s) : r->memlen - r->pos;
		r->pos += *l + (nl ? 1 : 0);
		return 1;
	}
	for (;;) {
		size_t have = r->buf.len - r->pos;

		nl = have ? memchr(r->buf.ptr + r->pos, '\n', have) : NULL;
		if (nl || r->eof) {
			if (!have)
				return 0;
			*s = r->buf.ptr + r->pos;
			*l = nl ? (size_t)(nl - *s) : have;
			r->pos += *l + (nl ? 1 : 0);
			return 1;
		}
		if ((rc = lines_fill(r)) < 0)
			return rc;
	}
}

/* Trim a line as Beads files are read: trailing CR and blanks, leading
 * blanks. */
static void trim(char **s, size_t *l)
{
	while (*l && ((*s)[*l - 1] == '\r' || (*s)[*l - 1] == ' ' || (*s)[*l - 1] == '\t'))
		(*l)--;
	while (*l && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*l)--;
	}
}

/* ---- the first pass ---- */

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

/*
 * Whether a file that starts with p (len bytes read; all of it when eof)
 * holds one JSON value over several lines rather than JSONL: 1 or 0, or
 * -1 when more must be read to tell.  An array is one value; an object
 * is JSONL if its first line alone is a complete object.
 */
static int whole_value(const char *p, size_t len, int eof, const char *path)
{
	const char *end = p + len, *nl;
	cJSON *first = NULL;

	while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	if (p == end)
		return eof ? 0 : -1;
	if (*p == '[')
		return 1;
	if (*p != '{')
		return 0;
	if (!(nl = memchr(p, '\n', (size_t)(end - p))))
		return eof ? 0 : -1;
	if (gt_json_parse(&first, p, (size_t)(nl - p), path, 1) == 0) {
		cJSON_Delete(first);
		return 0;
	}
	gt_error_clear();
	return 1;
}

/* A whole-value file becomes one line per element (an object: one line).
 * If it does not parse, an object is left to the line parser to report;
 * an array fails here. */
static int flatten(char **data, size_t *len, const char *path)
{
	const char *p = *data;
	struct gt_buf out = GT_BUF_INIT;
	cJSON *v, *c;
	int rc;

	while (p < *data + *len && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	if ((rc = gt_json_parse(&v, *data, *len, path, 1)) < 0) {
		if (*p != '{')
			return rc;
		gt_error_clear();
		return 0;
	}
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

static void mark_issue(struct src *sc, long line)
{
	size_t byte = (size_t)line / 8;

	if (byte >= sc->issue_alloc) {
		size_t na = sc->issue_alloc ? sc->issue_alloc * 2 : 4096;

		while (na <= byte)
			na *= 2;
		sc->issue = gt_realloc(sc->issue, na);
		memset(sc->issue + sc->issue_alloc, 0, na - sc->issue_alloc);
		sc->issue_alloc = na;
	}
	sc->issue[byte] |= (unsigned char)(1u << (line % 8));
}

static int is_issue(const struct src *sc, long line)
{
	size_t byte = (size_t)line / 8;

	return byte < sc->issue_alloc && (sc->issue[byte] >> (line % 8)) & 1;
}

/* Classify every line of one input: rows are parsed and kept, issue lines
 * only marked. */
static int scan(struct gt_import *im, struct src *sc, struct lines *r)
{
	struct gt_buf type = GT_BUF_INIT, where = GT_BUF_INIT;
	long line = 0;
	char *s;
	size_t l;
	int rc = 0, got;

	while (!rc && (got = lines_next(r, &s, &l)) > 0) {
		enum kind kind;
		size_t bad;
		int c;

		line++;
		trim(&s, &l);
		if (!l)
			continue;
		im->nrecords++;
		gt_buf_reset(&where);
		gt_buf_printf(&where, "%s: line %ld", sc->name, line);
		if (gt_utf8_check(s, l, &bad) < 0) {
			rc = gt_error_set(GT_EINVALID, "%s, byte %zu: %s", where.ptr, bad + 1,
					  s[bad] ? "invalid UTF-8" : "NUL byte");
		} else if ((c = classify(s, l, &kind, &type)) == -1) {
			cJSON *dummy = NULL;

			/* not valid JSON: let the strict parser say where */
			rc = gt_json_parse(&dummy, s, l, sc->name, line);
			cJSON_Delete(dummy);
			if (!rc)
				rc = gt_error_set(GT_EINVALID, "%s: malformed record", where.ptr);
		} else if (c == -2) {
			rc = gt_error_set(GT_EINVALID, "%s: not a Beads record I know%s%s%s",
					  where.ptr, type.len ? " (_type \"" : "",
					  type.len ? type.ptr : "", type.len ? "\")" : "");
		} else if (kind == K_ISSUE) {
			mark_issue(sc, line);
			im->nissues++;
		} else if (kind != K_STATE) {
			cJSON *obj;

			rc = gt_json_parse(&obj, s, l, sc->name, line);
			if (!rc)
				rc = take_row(im, kind, obj, where.ptr);
		}
		gt_buf_reset(&type);
	}
	if (!rc && got < 0)
		rc = got;
	sc->nlines = (size_t)line;
	gt_buf_release(&type);
	gt_buf_release(&where);
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
	if (n)
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

/* An unlinked temporary file, for a copy of standard input. */
static int spool_file(void)
{
	const char *dir = getenv("TMPDIR");
	struct gt_buf p = GT_BUF_INIT;
	int fd;

	gt_buf_printf(&p, "%s/gt-import-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(p.ptr);
	if (fd < 0)
		gt_error_errno(GT_EFAIL, "cannot create '%s'", p.ptr);
	else
		unlink(p.ptr);
	gt_buf_release(&p);
	return fd;
}

static void src_release(struct src *sc)
{
	if (sc->fd > 0) /* standard input stays open */
		close(sc->fd);
	free(sc->name);
	free(sc->mem);
	free(sc->issue);
}

/* Open one input as a new source: a file is read again where it is;
 * anything else (a pipe) is copied to a spool file while it is read. */
static int open_src(struct gt_import *im, const char *path, struct lines *r)
{
	int is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC), spool = -1;
	struct src *sc;
	struct stat st;
	off_t start = 0;

	if (fd < 0)
		return gt_error_errno(errno == ENOENT ? GT_ENOTFOUND : GT_EFAIL, "cannot open '%s'",
				      path);
	if (fstat(fd, &st) < 0) {
		int rc = gt_error_errno(GT_EFAIL, "cannot read '%s'", path);

		if (fd)
			close(fd);
		return rc;
	}
	if (S_ISREG(st.st_mode)) {
		if (is_stdin && (start = lseek(fd, 0, SEEK_CUR)) < 0)
			start = 0;
	} else if ((spool = spool_file()) < 0) {
		if (fd)
			close(fd);
		return GT_EFAIL;
	}
	im->srcs = gt_realloc(im->srcs, (im->nsrcs + 1) * sizeof(*im->srcs));
	sc = &im->srcs[im->nsrcs++];
	memset(sc, 0, sizeof(*sc));
	sc->name = gt_strdup(is_stdin ? "stdin" : path);
	sc->start = start;
	/* a pipe is read once, from fd; the second pass reads the copy */
	lines_fd(r, fd, start, spool >= 0, spool, sc->name);
	sc->fd = spool >= 0 ? spool : fd;
	return 0;
}

int gt_import_add(struct gt_import **im, const char *path)
{
	struct lines r;
	struct src *sc;
	struct stat st;
	int rc, whole;

	if (!*im)
		*im = gt_calloc(1, sizeof(**im));
	if (strcmp(path, "-") && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return add_dir(im, path);
	if ((rc = open_src(*im, path, &r)) < 0)
		return rc;
	sc = &(*im)->srcs[(*im)->nsrcs - 1];
	while ((whole = whole_value(gt_buf_cstr(&r.buf), r.buf.len, r.eof, sc->name)) < 0 &&
	       (rc = lines_fill(&r)) == 0)
		;
	if (!rc && whole > 0) {
		while (!r.eof && (rc = lines_fill(&r)) == 0)
			;
		sc->memlen = r.buf.len;
		sc->mem = gt_buf_detach(&r.buf);
		if (!rc)
			rc = flatten(&sc->mem, &sc->memlen, sc->name);
		if (sc->fd > 0) /* the file, or the copy of a pipe */
			close(sc->fd);
		if (r.piped && r.fd > 0)
			close(r.fd);
		sc->fd = -1;
		lines_mem(&r, sc->mem, sc->memlen);
	}
	if (!rc)
		rc = scan(*im, sc, &r);
	if (r.piped && r.fd > 0)
		close(r.fd);
	gt_buf_release(&r.buf);
	return rc;
}

void gt_import_progress(struct gt_import *im, const struct gt_progress *p)
{
	if (im)
		im->progress = p ? *p : (struct gt_progress){ NULL, NULL };
}

size_t gt_import_issue_count(const struct gt_import *im)
{
	return im ? im->nissues : 0;
}

void gt_import_free(struct gt_import *im)
{
	if (!im)
		return;
	for (size_t i = 0; i < im->nsrcs; i++)
		src_release(&im->srcs[i]);
	free(im->srcs);
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

/*
 * The state of one application (one transaction attempt): a record per
 * path the import wrote, found by path through an open-addressing table,
 * and the base tree's directories met so far.
 */
struct irec {
	uint32_t path; /* offset of the path in arena */
	git_oid blob;
};

struct apply {
	struct gt_txn *tx;
	struct gt_ctx *ctx;
	struct gt_import *im;
	enum gt_import_policy policy;
	struct gt_import_stats *st;
	struct gt_objbuf *ob;
	git_repository *git;
	git_tree *base;
	struct irec *r;
	size_t n, alloc;
	struct gt_buf arena; /* the records' paths, NUL-terminated */
	uint32_t *slots;     /* record index + 1; 0 when free */
	size_t nslots;
	struct gt_map dirs; /* directory (owned) -> its base tree, or &no_dir */
	struct gt_buf path, scratch, data, tmp;
};

static char no_dir;

static long rec_find(const struct apply *a, const char *path)
{
	size_t mask = a->nslots - 1;

	if (!a->nslots)
		return -1;
	for (size_t s = gt_hash_str(path) & mask;; s = (s + 1) & mask) {
		uint32_t v = a->slots[s];

		if (!v)
			return -1;
		if (!strcmp(a->arena.ptr + a->r[v - 1].path, path))
			return (long)v - 1;
	}
}

static void rec_index(struct apply *a, size_t i)
{
	size_t mask = a->nslots - 1, s = gt_hash_str(a->arena.ptr + a->r[i].path) & mask;

	while (a->slots[s])
		s = (s + 1) & mask;
	a->slots[s] = (uint32_t)(i + 1);
}

/* Record that path now holds blob: a new record, or rec's. */
static int rec_set(struct apply *a, long rec, const char *path, const git_oid *blob)
{
	struct irec *x;

	if (rec < 0) {
		size_t len = strlen(path) + 1;

		if (a->arena.len + len > UINT32_MAX || a->n >= UINT32_MAX - 1)
			return gt_error_set(GT_EFAIL, "too many beads for one import");
		GT_ALLOC_GROW(a->r, a->n + 1, a->alloc);
		x = &a->r[a->n];
		x->path = (uint32_t)a->arena.len;
		gt_buf_add(&a->arena, path, len);
		a->n++;
		if (a->n * 2 > a->nslots) {
			free(a->slots);
			a->nslots = a->nslots ? a->nslots * 2 : 4096;
			a->slots = gt_calloc(a->nslots, sizeof(*a->slots));
			for (size_t i = 0; i < a->n; i++)
				rec_index(a, i);
		} else {
			rec_index(a, a->n - 1);
		}
	} else {
		x = &a->r[rec];
	}
	git_oid_cpy(&x->blob, blob);
	return 0;
}

/* The blob at path in the base tree: 1 (blob set), 0 when absent. */
static int base_entry(struct apply *a, const char *path, git_oid *blob)
{
	const char *slash = strrchr(path, '/');
	git_tree *t = NULL;
	const git_tree_entry *e;

	if (!a->base)
		return 0;
	if (!slash) {
		t = a->base;
	} else if (!(t = gt_map_getn(&a->dirs, path, (size_t)(slash - path)))) {
		char *dir = gt_strndup(path, (size_t)(slash - path));
		git_tree_entry *de = NULL;
		int rc = git_tree_entry_bypath(&de, a->base, dir);

		t = (git_tree *)(uintptr_t)&no_dir;
		if ((rc < 0 && rc != GIT_ENOTFOUND) ||
		    (!rc && git_tree_entry_type(de) == GIT_OBJECT_TREE &&
		     git_tree_lookup(&t, a->git, git_tree_entry_id(de)) < 0)) {
			rc = gt_error_git(GT_EFAIL, "cannot read '%s'", dir);
			git_tree_entry_free(de);
			free(dir);
			return rc;
		}
		git_tree_entry_free(de);
		git_error_clear();
		gt_map_put(&a->dirs, dir, t);
	}
	if (t == (git_tree *)(uintptr_t)&no_dir)
		return 0;
	if (slash && slash - path == 8 && !strncmp(path, "beads/", 6) && gt_shard_is_split(t)) {
		/* a split shard: the file is in its subtree (shard.h) */
		git_tree_entry *le;
		int rc = gt_shard_entry(&le, t, slash + 1), found;

		if (rc == GT_EINVALID)
			return rc;
		found = !rc && git_tree_entry_type(le) == GIT_OBJECT_BLOB;
		if (found)
			git_oid_cpy(blob, git_tree_entry_id(le));
		git_tree_entry_free(le);
		git_error_clear();
		return found;
	}
	e = git_tree_entry_byname(t, slash ? slash + 1 : path);
	if (!e || git_tree_entry_type(e) != GIT_OBJECT_BLOB)
		return 0;
	git_oid_cpy(blob, git_tree_entry_id(e));
	return 1;
}

/* What a path holds now: what this import wrote there (read back from
 * the pack when it matters: only for a bead given twice, or deleted), else
 * the base. */
struct cur {
	int found;
	long rec; /* the import's record, or -1 */
	git_oid blob;
	int known; /* tombstone and updated read */
	int tombstone;
	struct gt_time updated;
};

static int current(struct apply *a, const char *path, struct cur *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if ((c->rec = rec_find(a, path)) >= 0) {
		c->found = 1;
		git_oid_cpy(&c->blob, &a->r[c->rec].blob);
		return 0;
	}
	if ((rc = base_entry(a, path, &c->blob)) < 0)
		return rc;
	c->found = rc;
	return 0;
}

static int read_blob(struct apply *a, const git_oid *id, struct gt_buf *out, const char *path)
{
	git_blob *b;

	if (git_blob_lookup(&b, a->git, id) < 0)
		return gt_error_git(GT_EFAIL, "cannot read '%s'", path);
	gt_buf_reset(out);
	gt_buf_add(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	git_blob_free(b);
	return 0;
}

/* Fill in c's status and updated_at, without parsing the whole bead. */
static int cur_details(struct apply *a, struct cur *c, const char *path)
{
	struct gt_jscan s;
	const char *k;
	size_t kl;
	int rc;

	if (c->known || !c->found)
		return 0;
	if ((rc = read_blob(a, &c->blob, &a->data, path)) < 0)
		return rc;
	c->known = 1;
	gt_jscan_init(&s, a->data.ptr, a->data.len);
	if (gt_jscan_enter_object(&s) < 0)
		return 0;
	while (gt_jscan_next_member(&s, &k, &kl) == 1) {
		if (kl == 6 && !memcmp(k, "status", 6) && gt_jscan_string(&s, &a->tmp) == 0)
			c->tombstone = !strcmp(a->tmp.ptr, "tombstone");
		else if (kl == 10 && !memcmp(k, "updated_at", 10) &&
			 gt_jscan_string(&s, &a->tmp) == 0)
			gt_time_parse_exact(&c->updated, a->tmp.ptr);
		else
			gt_jscan_skip(&s);
	}
	return 0;
}

/* Write bead b (canonical order) at path over what c says is there. */
static int put_bead(struct apply *a, const char *path, const struct cur *c, cJSON *b)
{
	git_oid id;
	int rc;

	gt_buf_reset(&a->scratch);
	gt_bead_serialize(&a->scratch, b);
	gt_buf_addch(&a->scratch, '\n');
	if ((rc = gt_objbuf_put(a->ob, GIT_OBJECT_BLOB, a->scratch.ptr, a->scratch.len, &id)) < 0)
		return rc;
	return rec_set(a, c->rec, path, &id);
}

static int apply_issue(struct apply *a, const struct src *sc, long line, const char *p, size_t l)
{
	struct gt_import_stats *st = a->st;
	struct rowset *rows;
	struct cur c;
	git_oid id;
	cJSON *b;
	int rc, take, hashed = 0;

	if ((rc = gt_json_parse(&b, p, l, sc->name, line)) < 0)
		return rc;
	/* bd export's computed "parent" is dropped, but not unchecked */
	if (gt_json_str(b, "parent") && *gt_json_str(b, "parent") &&
	    gt_id_check(gt_json_str(b, "parent")) < 0) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", gt_error_last());
		cJSON_Delete(b);
		return gt_error_set(GT_EINVALID, "%s: line %ld: parent: %s", sc->name, line, msg);
	}
	normalize(b);
	if (!gt_json_str(b, "id")) {
		cJSON_Delete(b);
		return gt_error_set(GT_EINVALID, "%s: line %ld: issue has no id", sc->name, line);
	}
	rows = gt_map_get(&a->im->rows, gt_json_str(b, "id"));
	if (rows)
		st->rows_attached += attach_rows(b, rows);
	gt_bead_canonicalize(b);
	if ((rc = gt_bead_validate(b, &a->ctx->vocab)) < 0) {
		char msg[4096];

		snprintf(msg, sizeof(msg), "%s", gt_error_last());
		cJSON_Delete(b);
		return gt_error_set(GT_EINVALID, "%s: line %ld: %s", sc->name, line, msg);
	}
	gt_bead_path(&a->path, gt_json_str(b, "id"));
	gt_buf_reset(&a->scratch);
	gt_json_write(&a->scratch, b);
	gt_buf_addch(&a->scratch, '\n');
	if (a->scratch.len > GT_BEAD_MAX) {
		rc = gt_error_set(GT_EINVALID, "%s: line %ld: bead '%s' is %zu bytes (at most %d)",
				  sc->name, line, gt_json_str(b, "id"), a->scratch.len,
				  GT_BEAD_MAX);
		cJSON_Delete(b);
		return rc;
	}
	if ((rc = current(a, a->path.ptr, &c)) < 0)
		goto out;
	if (c.found) {
		if (git_odb_hash(&id, a->scratch.ptr, a->scratch.len, GIT_OBJECT_BLOB) < 0) {
			rc = gt_error_git(GT_EFAIL, "cannot hash object");
			goto out;
		}
		hashed = 1;
	}
	if (!c.found) {
		take = 1;
		st->created++;
	} else if (git_oid_equal(&id, &c.blob)) {
		take = 0;
		st->unchanged++;
	} else if (a->policy == GT_IMPORT_INCOMING) {
		take = 1;
	} else if (a->policy == GT_IMPORT_EXISTING) {
		take = 0;
		st->kept_existing++;
	} else if ((rc = cur_details(a, &c, a->path.ptr)) < 0) {
		goto out;
	} else if (c.tombstone && strcmp(gt_bead_status(b), "tombstone")) {
		take = 0;
		st->kept_tombstone++;
	} else {
		struct gt_time upd = { 0, 0 };

		gt_time_parse_exact(
			&upd, gt_json_str(b, "updated_at") ? gt_json_str(b, "updated_at") : "");
		take = gt_time_order(&upd, &c.updated) > 0;
		if (!take)
			st->kept_existing++;
	}
	if (take && c.found)
		st->updated++;
	if (take) {
		rc = hashed ? gt_objbuf_put_id(a->ob, GIT_OBJECT_BLOB, a->scratch.ptr,
					       a->scratch.len, &id)
			    : gt_objbuf_put(a->ob, GIT_OBJECT_BLOB, a->scratch.ptr, a->scratch.len,
					    &id);
		if (!rc)
			rc = rec_set(a, c.rec, a->path.ptr, &id);
	}
out:
	cJSON_Delete(b);
	return rc;
}

/* The second pass over one input: its issue lines, one at a time. */
static int apply_src(struct apply *a, const struct src *sc)
{
	struct lines r;
	long line = 0;
	char *s;
	size_t l;
	int rc = 0, got;

	if (sc->mem)
		lines_mem(&r, sc->mem, sc->memlen);
	else
		lines_fd(&r, sc->fd, sc->start, 0, -1, sc->name);
	while (!rc && (got = lines_next(&r, &s, &l)) > 0) {
		if (!is_issue(sc, ++line))
			continue;
		trim(&s, &l);
		rc = apply_issue(a, sc, line, s, l);
		gt_progress_tell(&a->im->progress, ++a->im->applied, a->im->nissues);
	}
	if (!rc && got < 0)
		rc = got;
	gt_buf_release(&r.buf);
	return rc;
}

/* rows whose issue was not in this import join the bead in the ledger */
static int apply_loose_rows(struct apply *a)
{
	struct gt_import *im = a->im;

	for (size_t i = 0; i < im->nrowsets; i++) {
		struct rowset *r = im->rowsets[i];
		struct cur c;
		cJSON *b;
		size_t n;
		int rc;

		if (r->used)
			continue;
		if (gt_id_check(r->id) < 0) {
			gt_error_clear();
			a->st->orphan_rows++;
			continue;
		}
		gt_bead_path(&a->path, r->id);
		if ((rc = current(a, a->path.ptr, &c)) < 0)
			return rc;
		if (!c.found) {
			a->st->orphan_rows += (size_t)cJSON_GetArraySize(r->deps) +
					      (size_t)cJSON_GetArraySize(r->labels) +
					      (size_t)cJSON_GetArraySize(r->comments);
			continue;
		}
		if ((rc = read_blob(a, &c.blob, &a->data, a->path.ptr)) < 0 ||
		    (rc = gt_json_parse(&b, a->data.ptr, a->data.len, a->path.ptr, 1)) < 0)
			return rc;
		n = attach_rows(b, r);
		a->st->rows_attached += n;
		if (n)
			rc = put_bead(a, a->path.ptr, &c, b);
		cJSON_Delete(b);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The legacy deletions manifest: the last record for an id wins; a live
 * bead last updated before the deletion becomes a tombstone, and an id
 * the ledger never saw gets a minimal tombstone (as bd's migration did). */
static int apply_deletions(struct apply *a)
{
	struct gt_map last = GT_MAP_INIT;
	cJSON *d;
	int rc = 0;

	cJSON_ArrayForEach (d, a->im->dels) {
		a->st->deletion_records++;
		gt_map_put(&last, gt_json_str(d, "id"), d);
	}
	cJSON_ArrayForEach (d, a->im->dels) {
		const char *id = gt_json_str(d, "id"), *ts = gt_json_str(d, "ts");
		const char *by = gt_json_str(d, "by"), *why = gt_json_str(d, "reason");
		struct gt_time when;
		struct cur c;
		cJSON *b;

		if (gt_map_get(&last, id) != d)
			continue; /* a later record for this id wins */
		if (gt_id_check(id) < 0 || gt_time_parse_exact(&when, ts) < 0) {
			rc = gt_error_set(GT_EINVALID, "deletion record for '%s' is invalid", id);
			break;
		}
		gt_bead_path(&a->path, id);
		if ((rc = current(a, a->path.ptr, &c)) < 0 ||
		    (rc = cur_details(a, &c, a->path.ptr)) < 0)
			break;
		if (c.found && (c.tombstone || gt_time_order(&c.updated, &when) > 0))
			continue;
		if (c.found) {
			if ((rc = read_blob(a, &c.blob, &a->data, a->path.ptr)) < 0 ||
			    (rc = gt_json_parse(&b, a->data.ptr, a->data.len, a->path.ptr, 1)) < 0)
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
		rc = put_bead(a, a->path.ptr, &c, b);
		cJSON_Delete(b);
		if (rc < 0)
			break;
		a->st->deleted++;
	}
	gt_map_release(&last);
	return rc;
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

/* ---- the new trees ---- */

static const char *rpath(const struct apply *a, uint32_t i)
{
	return a->arena.ptr + a->r[i].path;
}

static int path_less(uint32_t a, uint32_t b, void *ctx)
{
	return strcmp(rpath(ctx, a), rpath(ctx, b)) < 0;
}

/* The records' indices in path order (indices, not the 16-byte keys). */
static uint32_t *sort_records(const struct apply *a)
{
	return gt_sort_index(a->n, path_less, (void *)a);
}

/* git's order of tree entries: names bytewise, a tree's as if it ended
 * in '/'.  Sorting whole paths bytewise gives the same order level by
 * level, which is what lets the records merge with the base trees. */
static int name_cmp(const char *x, size_t xl, int xtree, const char *y, size_t yl, int ytree)
{
	size_t n = xl < yl ? xl : yl;
	int c = memcmp(x, y, n);
	unsigned cx, cy;

	if (c)
		return c;
	cx = xl > n ? (unsigned char)x[n] : xtree ? '/' : 0;
	cy = yl > n ? (unsigned char)y[n] : ytree ? '/' : 0;
	return (int)cx - (int)cy;
}

static void tree_entry(struct gt_buf *raw, unsigned mode, const char *name, size_t len,
		       const git_oid *id)
{
	gt_buf_printf(raw, "%o %.*s", mode, (int)len, name);
	gt_buf_addch(raw, '\0');
	gt_buf_add(raw, id->id, GIT_OID_RAWSZ);
}

/* The tree of one directory: base (NULL when new) with the records k[0..n)
 * below it (sorted, their paths' first off bytes naming the directory)
 * merged in, subdirectories first built the same way.  Writes it; *out is
 * its id. */
static int build_shard(struct apply *a, git_tree *base, const uint32_t *k, size_t n, size_t off,
		       git_oid *out);

static int build_tree(struct apply *a, git_tree *base, const uint32_t *k, size_t n, size_t off,
		      git_oid *out)
{
	size_t nb = base ? git_tree_entrycount(base) : 0, i = 0, j = 0;
	struct gt_buf raw = GT_BUF_INIT;
	int rc = 0;

	while ((i < nb || j < n) && !rc) {
		const git_tree_entry *be = i < nb ? git_tree_entry_byindex(base, i) : NULL;
		const char *name = j < n ? rpath(a, k[j]) + off : NULL;
		const char *slash = name ? strchr(name, '/') : NULL;
		size_t len = name ? (slash ? (size_t)(slash - name) : strlen(name)) : 0, m;
		git_tree *sub = NULL;
		git_oid sub_id;
		int c;

		if (!be)
			c = 1;
		else if (!name)
			c = -1;
		else
			c = name_cmp(git_tree_entry_name(be), strlen(git_tree_entry_name(be)),
				     git_tree_entry_type(be) == GIT_OBJECT_TREE, name, len,
				     !!slash);
		if (c < 0) { /* untouched */
			tree_entry(&raw, git_tree_entry_filemode(be), git_tree_entry_name(be),
				   strlen(git_tree_entry_name(be)), git_tree_entry_id(be));
			i++;
			continue;
		}
		i += c == 0;
		if (!slash) { /* a file the import wrote */
			tree_entry(&raw, GIT_FILEMODE_BLOB, name, len, &a->r[k[j]].blob);
			j++;
			continue;
		}
		for (m = j + 1; m < n && !strncmp(rpath(a, k[m]) + off, name, len + 1); m++)
			;
		if (c == 0 && git_tree_lookup(&sub, a->git, git_tree_entry_id(be)) < 0)
			rc = gt_error_git(GT_EFAIL, "cannot read tree '%.*s'", (int)(off + len),
					  rpath(a, k[j]));
		if (!rc && off == 6 && len == 2 && !strncmp(rpath(a, k[j]), "beads/", 6))
			rc = build_shard(a, sub, k + j, m - j, off + len + 1, &sub_id);
		else if (!rc)
			rc = build_tree(a, sub, k + j, m - j, off + len + 1, &sub_id);
		git_tree_free(sub);
		if (!rc)
			tree_entry(&raw, GIT_FILEMODE_TREE, name, len, &sub_id);
		j = m;
	}
	if (!rc)
		rc = gt_objbuf_put(a->ob, GIT_OBJECT_TREE, gt_buf_cstr(&raw), raw.len, out);
	gt_buf_release(&raw);
	return rc;
}

/*
 * A shard directory (beads/<xx>, shard.h): split when it is split in the
 * base, or new and past the threshold; then the records k[0..n) go to the
 * subtrees of their leaves, each merged with the base's.  A one-level
 * shard of the base stays one level here (the next write into it splits
 * it when it has grown past the threshold).
 */
static int build_shard(struct apply *a, git_tree *base, const uint32_t *k, size_t n, size_t off,
		       git_oid *out)
{
	size_t limit = gt_shard_split_at(), *cnt;
	uint32_t *byleaf;
	uint8_t *leafof;
	struct gt_buf raw = GT_BUF_INIT;
	int rc = 0;

	if (base ? !gt_shard_is_split(base) : !limit || n <= limit)
		return build_tree(a, base, k, n, off, out);
	byleaf = gt_malloc((n ? n : 1) * sizeof(*byleaf));
	leafof = gt_malloc(n ? n : 1);
	cnt = gt_calloc(257, sizeof(*cnt));
	for (size_t j = 0; j < n && !rc; j++) {
		char leaf[3];

		if ((rc = gt_shard_leaf(leaf, rpath(a, k[j]) + off)) == 0) {
			leafof[j] = (uint8_t)(gt_hex_digit(leaf[0]) << 4 | gt_hex_digit(leaf[1]));
			cnt[leafof[j] + 1]++;
		}
	}
	for (int l = 0; l < 256; l++)
		cnt[l + 1] += cnt[l];
	for (size_t j = 0; j < n && !rc; j++) /* stable: each leaf in path order */
		byleaf[cnt[leafof[j]]++] = k[j];
	/* cnt[l] is now where leaf l ends; it starts where l - 1 ends */
	for (int l = 0; l < 256 && !rc; l++) {
		size_t from = l ? cnt[l - 1] : 0, to = cnt[l];
		char name[3] = { "0123456789abcdef"[l >> 4], "0123456789abcdef"[l & 15], 0 };
		const git_tree_entry *be = base ? git_tree_entry_byname(base, name) : NULL;
		git_tree *sub = NULL;
		git_oid id;

		if (from == to) {
			if (be)
				tree_entry(&raw, git_tree_entry_filemode(be), name, 2,
					   git_tree_entry_id(be));
			continue;
		}
		if (be && git_tree_entry_type(be) == GIT_OBJECT_TREE &&
		    git_tree_lookup(&sub, a->git, git_tree_entry_id(be)) < 0)
			rc = gt_error_git(GT_EFAIL, "cannot read tree '%.*s%s'", (int)off,
					  rpath(a, byleaf[from]), name);
		if (!rc)
			rc = build_tree(a, sub, byleaf + from, to - from, off, &id);
		git_tree_free(sub);
		if (!rc)
			tree_entry(&raw, GIT_FILEMODE_TREE, name, 2, &id);
	}
	if (!rc)
		rc = gt_objbuf_put(a->ob, GIT_OBJECT_TREE, gt_buf_cstr(&raw), raw.len, out);
	gt_buf_release(&raw);
	free(cnt);
	free(leafof);
	free(byleaf);
	return rc;
}

/* Stage what the records say: each top-level directory they touch
 * (beads/) rebuilt and staged whole, as a tree. */
static int stage_records(struct apply *a)
{
	uint32_t *k = sort_records(a);
	int rc = 0;

	for (size_t j = 0, m; j < a->n && !rc; j = m) {
		const char *path = rpath(a, k[j]), *slash = strchr(path, '/');
		size_t len = slash ? (size_t)(slash - path) : strlen(path);
		char *top = gt_strndup(path, len);
		const git_tree_entry *be = a->base ? git_tree_entry_byname(a->base, top) : NULL;
		git_tree *sub = NULL;
		git_oid id;

		for (m = j + 1; slash && m < a->n && !strncmp(rpath(a, k[m]), path, len + 1); m++)
			;
		if (!slash) {
			rc = gt_txn_entry_put(a->tx, top, GIT_FILEMODE_BLOB, &a->r[k[j]].blob);
		} else {
			if (be && git_tree_entry_type(be) == GIT_OBJECT_TREE &&
			    git_tree_lookup(&sub, a->git, git_tree_entry_id(be)) < 0)
				rc = gt_error_git(GT_EFAIL, "cannot read tree '%s'", top);
			if (!rc)
				rc = build_tree(a, sub, k + j, m - j, len + 1, &id);
			if (!rc)
				rc = gt_txn_entry_put(a->tx, top, GIT_FILEMODE_TREE, &id);
			git_tree_free(sub);
		}
		free(top);
	}
	free(k);
	return rc;
}

static void apply_release(struct apply *a)
{
	struct gt_map_entry *me;

	for (size_t i = 0; gt_map_next(&a->dirs, &i, &me);) {
		if (me->value != &no_dir)
			git_tree_free(me->value);
		free((char *)(uintptr_t)me->key);
	}
	gt_map_release(&a->dirs);
	free(a->r);
	free(a->slots);
	gt_buf_release(&a->arena);
	gt_buf_release(&a->path);
	gt_buf_release(&a->scratch);
	gt_buf_release(&a->data);
	gt_buf_release(&a->tmp);
}

int gt_import_apply(struct gt_txn *tx, struct gt_ctx *ctx, struct gt_import *im,
		    enum gt_import_policy policy, struct gt_import_stats *st)
{
	struct gt_ledger *lg = gt_txn_ledger(tx);
	struct apply a;
	int rc;

	memset(st, 0, sizeof(*st));
	memset(&a, 0, sizeof(a));
	a.tx = tx;
	a.ctx = ctx;
	a.im = im;
	a.policy = policy;
	a.st = st;
	a.ob = lg->objbuf;
	a.git = lg->git;
	a.base = gt_txn_base(tx);
	for (size_t i = 0; i < im->nrowsets; i++)
		im->rowsets[i]->used = 0;
	im->applied = 0; /* a transaction tried again starts over */
	if ((rc = gt_ctx_config(ctx)) < 0 || (rc = apply_config(tx, ctx, im, st)) < 0)
		goto out;
	/* the blobs go straight to a pack on disk, not to memory */
	if ((rc = gt_objbuf_stream(a.ob)) < 0)
		goto out;
	st->lines = im->nrecords;
	for (size_t i = 0; i < im->nsrcs && !rc; i++)
		rc = apply_src(&a, &im->srcs[i]);
	if (!rc)
		rc = apply_loose_rows(&a);
	if (!rc)
		rc = apply_deletions(&a);
	if (!rc)
		rc = apply_events(tx, im, st);
	if (!rc)
		rc = stage_records(&a);
	if (!rc) {
		gt_txn_summary(tx, "import %zu records: %zu new, %zu updated, %zu deleted",
			       im->nissues, st->created, st->updated, st->deleted);
		for (size_t i = 0; i < im->nsrcs && i < 16; i++)
			gt_txn_trailer(tx, "Gt-Source", "%s", im->srcs[i].name);
	}
out:
	apply_release(&a);
	return rc;
}
