/*
 * feed.c - ledger history as events (feed.h).
 *
 * Neither reader sorts the history first: libgit2 1.5 reads every commit
 * before yielding the first one under any sort order of git_revwalk, so
 * the feed walks unsorted (libgit2 then keeps its queue in date order,
 * newest first, reading commits as it goes) and the bead log keeps its
 * own small queue by date.
 */
#include "store/feed.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/map.h"
#include "store/bead.h"
#include "store/history.h"
#include "base/banned.h"

/* ---- events ---- */

static void add_unique(cJSON *arr, const char *s, size_t len)
{
	cJSON *it;

	cJSON_ArrayForEach (it, arr)
		if (strlen(it->valuestring) == len && !strncmp(it->valuestring, s, len))
			return;
	{
		char *v = gt_strndup(s, len);

		cJSON_AddItemToArray(arr, cJSON_CreateString(v));
		free(v);
	}
}

static void set_strn(cJSON *e, const char *key, const char *s, size_t len)
{
	char *v = gt_strndup(s, len);

	gt_json_set_str(e, key, v);
	free(v);
}

static const struct {
	const char *prefix, *key;
} trailers[] = {
	{ "Gt-Bead: ", "beads" },     { "Gt-Agent: ", "agents" },
	{ "Gt-Rig: ", "rigs" },	      { "Gt-Merge-Request: ", "merge_requests" },
	{ "Gt-Commit: ", "commits" },
};

/* Add the value of the trailer line..end to e's array, if it is one. */
static void add_trailer(cJSON *e, const char *line, const char *end)
{
	for (size_t i = 0; i < sizeof(trailers) / sizeof(*trailers); i++) {
		size_t n = strlen(trailers[i].prefix);

		if ((size_t)(end - line) > n && !strncmp(line, trailers[i].prefix, n)) {
			add_unique(cJSON_GetObjectItemCaseSensitive(e, trailers[i].key), line + n,
				   (size_t)(end - line - n));
			return;
		}
	}
}

/* A new event without actor, command and summary. */
static cJSON *event_new(git_commit *c)
{
	cJSON *e = cJSON_CreateObject();
	char when[40];

	gt_time_seconds(when, sizeof(when), (int64_t)git_commit_time(c));
	gt_json_set_str(e, "time", when);
	return e;
}

static void event_finish(cJSON *e, git_commit *c)
{
	gt_json_set_str(e, "commit", git_oid_tostr_s(git_commit_id(c)));
	for (size_t i = 0; i < sizeof(trailers) / sizeof(*trailers); i++)
		cJSON_AddArrayToObject(e, trailers[i].key);
}

/* The commit's author as the actor of e. */
static void author_actor(cJSON *e, git_commit *c)
{
	const git_signature *a = git_commit_author(c);

	gt_json_set_str(e, "actor", a && a->name ? a->name : "");
	gt_json_set_str(e, "email", a && a->email ? a->email : "");
}

/* "<command>: <summary>" from s..end (no command when there is no ": "). */
static void command_summary(cJSON *e, const char *s, const char *end)
{
	const char *colon = s;

	while (colon + 1 < end && !(colon[0] == ':' && colon[1] == ' '))
		colon++;
	if (colon + 1 < end) {
		set_strn(e, "command", s, (size_t)(colon - s));
		s = colon + 2;
	}
	set_strn(e, "summary", s, (size_t)(end - s));
}

/* One operation from its line "Gt-Op: <command> by <name> <<email>>:
 * <summary>" (line..end, after the "Gt-Op: "); a line not in that shape
 * is kept whole as the summary, by the commit's author. */
static cJSON *op_event(git_commit *c, const char *p, const char *end)
{
	cJSON *e = event_new(c);
	const char *sp = memchr(p, ' ', (size_t)(end - p)), *name, *lt = NULL, *gt = NULL, *ne;

	if (sp && end - sp > 4 && !strncmp(sp, " by ", 4)) {
		name = sp + 4;
		lt = memchr(name, '<', (size_t)(end - name));
		gt = lt ? memchr(lt, '>', (size_t)(end - lt)) : NULL;
	}
	if (!gt || end - gt < 3 || strncmp(gt + 1, ": ", 2)) {
		author_actor(e, c);
		set_strn(e, "summary", p, (size_t)(end - p));
		event_finish(e, c);
		return e;
	}
	for (ne = lt; ne > name && ne[-1] == ' '; ne--)
		;
	set_strn(e, "actor", name, (size_t)(ne - name));
	set_strn(e, "email", lt + 1, (size_t)(gt - lt - 1));
	set_strn(e, "command", p, (size_t)(sp - p));
	set_strn(e, "summary", gt + 3, (size_t)(end - gt - 3));
	event_finish(e, c);
	return e;
}

static const char *line_end(const char *line)
{
	const char *nl = strchr(line, '\n');

	return nl ? nl : line + strlen(line);
}

cJSON *gt_feed_commit_events(git_commit *c)
{
	const char *msg = git_commit_message(c), *body, *line, *end, *first_op = NULL;
	cJSON *out = cJSON_CreateArray(), *cur = NULL;

	if (!msg)
		msg = "";
	end = line_end(msg);
	body = *end ? end + 1 : end;
	for (line = body; *line; line = *end ? end + 1 : end) {
		end = line_end(line);
		if (!strncmp(line, "Gt-Op: ", 7)) {
			first_op = line;
			break;
		}
	}
	if (!first_op) { /* one operation: subject, author, every trailer */
		cur = event_new(c);
		author_actor(cur, c);
		command_summary(cur, msg, line_end(msg));
		event_finish(cur, c);
		for (line = body; *line; line = *end ? end + 1 : end)
			add_trailer(cur, line, end = line_end(line));
		cJSON_AddItemToArray(out, cur);
		return out;
	}
	/* one event per Gt-Op line, taking the trailers after it; any before
	 * the first one (none are written) count for the first operation */
	for (line = first_op; *line; line = *end ? end + 1 : end) {
		end = line_end(line);
		if (strncmp(line, "Gt-Op: ", 7)) {
			add_trailer(cur, line, end);
			continue;
		}
		cur = op_event(c, line + 7, end);
		cJSON_AddItemToArray(out, cur);
		for (const char *l = body, *le; line == first_op && l < first_op; l = le + 1)
			add_trailer(cur, l, le = line_end(l));
	}
	return out;
}

static int has(const cJSON *e, const char *key, const char *val, int prefix)
{
	const cJSON *it;
	size_t n = strlen(val);

	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(e, key))
		if (prefix ? !strncmp(it->valuestring, val, n) &&
				     (it->valuestring[n] == '-' || it->valuestring[n] == '/')
			   : !strcmp(it->valuestring, val))
			return 1;
	return 0;
}

static int pass(const cJSON *e, const struct gt_feed_filter *f)
{
	const char *actor = gt_json_str(e, "actor");

	if (f->agent && strcmp(actor, f->agent) && !has(e, "agents", f->agent, 0))
		return 0;
	if (f->bead && !has(e, "beads", f->bead, 0) && !has(e, "merge_requests", f->bead, 0) &&
	    !strstr(gt_json_str(e, "summary"), f->bead))
		return 0;
	if (f->rig) {
		size_t n = strlen(f->rig);
		int in = has(e, "rigs", f->rig, 0) || has(e, "agents", f->rig, 1) ||
			 (!strncmp(actor, f->rig, n) && actor[n] == '/');

		if (!in && f->rig_prefix)
			in = has(e, "beads", f->rig_prefix, 1) ||
			     has(e, "merge_requests", f->rig_prefix, 1);
		if (!in)
			return 0;
	}
	return 1;
}

int gt_feed_read(cJSON **out, struct gt_ledger *lg, const git_oid *after,
		 const struct gt_feed_filter *f, long limit)
{
	git_revwalk *w = NULL;
	git_oid id;
	int rc = 0, err = 0;
	long n = 0;

	*out = cJSON_CreateArray();
	if (!lg->has_tip)
		return 0;
	/* GIT_SORT_NONE: see the top of this file */
	if (git_revwalk_new(&w, lg->git) < 0 || git_revwalk_push(w, &lg->tip) < 0) {
		git_revwalk_free(w);
		return gt_error_git(GT_EFAIL, "cannot walk the ledger history");
	}
	if (after && !git_oid_is_zero(after) && git_revwalk_hide(w, after) < 0)
		gt_error_clear(); /* rewritten history: show it all */
	/* newest first from the walk; each commit's events are inserted at
	 * the front last to first, so the array ends oldest first */
	while (!(limit > 0 && n >= limit) && (err = git_revwalk_next(&id, w)) == 0) {
		git_commit *c = NULL;
		cJSON *ev;

		if (git_commit_lookup(&c, lg->git, &id) < 0) {
			rc = gt_error_git(GT_EFAIL, "cannot read ledger commit %s",
					  git_oid_tostr_s(&id));
			break;
		}
		if (f->since_ns && (int64_t)git_commit_time(c) * 1000000000LL < f->since_ns) {
			git_commit_free(c);
			break;
		}
		ev = gt_feed_commit_events(c);
		git_commit_free(c);
		for (int i = cJSON_GetArraySize(ev) - 1; i >= 0 && !(limit > 0 && n >= limit);
		     i--) {
			cJSON *e = cJSON_DetachItemFromArray(ev, i);

			if (!pass(e, f)) {
				cJSON_Delete(e);
				continue;
			}
			gt_json_array_insert(*out, 0, e);
			n++;
		}
		cJSON_Delete(ev);
	}
	if (!rc && err < 0 && err != GIT_ITEROVER) /* a commit missing, say */
		rc = gt_error_git(GT_EFAIL, "cannot walk the ledger history");
	git_revwalk_free(w);
	return rc;
}

/* ---- one bead's history ---- */

/*
 * A bead as a blob holds it.  Text in canonical form (gt writes nothing
 * else) is only split into its members, never parsed: equal values have
 * equal texts, and a changed value goes into the log as its text; other
 * text is parsed.
 */
struct bead_doc {
	git_blob *blob;		  /* NULL: no bead (or its blob is missing) */
	struct gt_json_member *m; /* the members, when nm >= 0 */
	int nm;
	cJSON *j; /* nm < 0: parsed (NULL: it does not parse) */
};

/* The bead in blob id into d; 0, or -1 when id is not zero and the blob
 * is not there. */
static int doc_read(struct bead_doc *d, git_repository *git, const git_oid *id)
{
	const char *p;
	size_t n;

	memset(d, 0, sizeof(*d));
	if (git_oid_is_zero(id))
		return 0;
	if (git_blob_lookup(&d->blob, git, id) < 0) {
		d->blob = NULL;
		return -1;
	}
	p = git_blob_rawcontent(d->blob);
	n = (size_t)git_blob_rawsize(d->blob);
	if ((d->nm = gt_json_canonical_object(&d->m, p, n)) < 0)
		d->j = cJSON_ParseWithLength(p, n);
	return 0;
}

static void doc_release(struct bead_doc *d)
{
	free(d->m);
	cJSON_Delete(d->j);
	git_blob_free(d->blob);
	memset(d, 0, sizeof(*d));
}

/* d parsed (members too), or NULL when there is no bead; the caller
 * deletes it */
static cJSON *doc_tree(const struct bead_doc *d)
{
	if (!d->blob)
		return NULL;
	if (d->nm < 0)
		return cJSON_Duplicate(d->j, 1);
	return cJSON_ParseWithLength(git_blob_rawcontent(d->blob),
				     (size_t)git_blob_rawsize(d->blob));
}

/* Whether a change to field key[0..len) goes unlogged: updated_at moves
 * with every change. */
static int unlogged(const char *key, size_t len)
{
	return len == 10 && !memcmp(key, "updated_at", 10);
}

/* field-by-field changes from old to new (parsed, either may be NULL),
 * taking new's values */
static cJSON *changes_parsed(const cJSON *old, cJSON *new)
{
	cJSON *ch = cJSON_CreateObject(), *gone = cJSON_CreateObject();
	cJSON *c, *next, *pair;

	/* the fields only old has, looked up before new's are taken; they
	 * come last */
	cJSON_ArrayForEach (c, old) {
		if (cJSON_GetObjectItemCaseSensitive(new, c->string))
			continue;
		pair = cJSON_CreateObject();
		cJSON_AddItemToObject(pair, "old", cJSON_Duplicate(c, 1));
		cJSON_AddItemToObject(pair, "new", cJSON_CreateNull());
		cJSON_AddItemToObject(gone, c->string, pair);
	}
	for (c = new ? new->child : NULL; c; c = next) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(old, c->string);

		next = c->next;
		if (unlogged(c->string, strlen(c->string)) || (o && gt_json_equal(o, c)))
			continue;
		pair = cJSON_CreateObject();
		cJSON_AddItemToObject(pair, "old", o ? cJSON_Duplicate(o, 1) : cJSON_CreateNull());
		cJSON_AddItemToObject(ch, c->string, pair);
		cJSON_AddItemToObject(pair, "new", cJSON_DetachItemViaPointer(new, c));
	}
	while ((c = gone->child)) {
		cJSON_DetachItemViaPointer(gone, c);
		cJSON_AddItemToObject(ch, c->string, c);
	}
	cJSON_Delete(gone);
	return ch;
}

static const struct gt_json_member *member(const struct bead_doc *d, const char *key, size_t klen)
{
	for (int i = 0; i < d->nm; i++)
		if (d->m[i].klen == klen && !memcmp(d->m[i].key, key, klen))
			return &d->m[i];
	return NULL;
}

/* a member's value as it stands (canonical text is JSON as it is) */
static cJSON *raw(const struct gt_json_member *x)
{
	char *t = gt_strndup(x->val, x->vlen);
	cJSON *v = cJSON_CreateRaw(t);

	free(t);
	return v;
}

static void add_pair(cJSON *ch, const struct gt_json_member *key, cJSON *old, cJSON *new)
{
	cJSON *pair = cJSON_CreateObject();
	char *k = gt_strndup(key->key, key->klen);

	cJSON_AddItemToObject(pair, "old", old);
	cJSON_AddItemToObject(pair, "new", new);
	cJSON_AddItemToObject(ch, k, pair);
	free(k);
}

/* field-by-field changes from ob to nb: by their texts when both are
 * canonical (or absent), else parsed; the same object either way */
static cJSON *changes(const struct bead_doc *ob, const struct bead_doc *nb)
{
	cJSON *ch, *o, *n;

	if ((ob->blob && ob->nm < 0) || (nb->blob && nb->nm < 0)) {
		o = doc_tree(ob);
		n = doc_tree(nb);
		ch = changes_parsed(o, n);
		cJSON_Delete(o);
		cJSON_Delete(n);
		return ch;
	}
	ch = cJSON_CreateObject();
	for (int i = 0; i < nb->nm; i++) {
		const struct gt_json_member *x = &nb->m[i], *y = member(ob, x->key, x->klen);

		if (unlogged(x->key, x->klen) ||
		    (y && y->vlen == x->vlen && !memcmp(y->val, x->val, x->vlen)))
			continue;
		add_pair(ch, x, y ? raw(y) : cJSON_CreateNull(), raw(x));
	}
	for (int i = 0; i < ob->nm; i++)
		if (!member(nb, ob->m[i].key, ob->m[i].klen))
			add_pair(ch, &ob->m[i], raw(&ob->m[i]), cJSON_CreateNull());
	return ch;
}

/* The operations of c that name bead id, as {actor, email, command,
 * summary}; *nops: how many operations c holds. */
static cJSON *naming_ops(git_commit *c, const char *id, int *nops)
{
	cJSON *ev = gt_feed_commit_events(c), *ops = cJSON_CreateArray();
	const cJSON *e;

	*nops = cJSON_GetArraySize(ev);
	cJSON_ArrayForEach (e, ev) {
		cJSON *op;

		if (*nops > 1 && !has(e, "beads", id, 0) && !has(e, "merge_requests", id, 0))
			continue;
		op = cJSON_CreateObject();
		gt_json_set_str(op, "actor", gt_json_str(e, "actor"));
		gt_json_set_str(op, "email", gt_json_str(e, "email"));
		if (gt_json_str(e, "command"))
			gt_json_set_str(op, "command", gt_json_str(e, "command"));
		gt_json_set_str(op, "summary", gt_json_str(e, "summary"));
		cJSON_AddItemToArray(ops, op);
	}
	cJSON_Delete(ev);
	return ops;
}

/* The log entry for c, which changed bead id from ob to nb. */
static cJSON *log_entry_of(git_commit *c, const char *id, const struct bead_doc *ob,
			   const struct bead_doc *nb)
{
	const git_signature *a = git_commit_author(c);
	cJSON *e = cJSON_CreateObject(), *ops;
	const cJSON *op;
	char when[40];
	int nops;

	ops = naming_ops(c, id, &nops);
	op = nops > 1 ? cJSON_GetArrayItem(ops, 0) : NULL;
	gt_time_seconds(when, sizeof(when), (int64_t)a->when.time);
	gt_json_set_str(e, "commit", git_oid_tostr_s(git_commit_id(c)));
	gt_json_set_str(e, "time", when);
	if (op) { /* a group commit: the first operation naming the bead */
		struct gt_buf subj = GT_BUF_INIT;

		if (gt_json_str(op, "command"))
			gt_buf_printf(&subj, "%s: ", gt_json_str(op, "command"));
		gt_buf_adds(&subj, gt_json_str(op, "summary"));
		gt_json_set_str(e, "author", gt_json_str(op, "actor"));
		gt_json_set_str(e, "email", gt_json_str(op, "email"));
		gt_json_set_str(e, "subject", gt_buf_cstr(&subj));
		gt_buf_release(&subj);
	} else {
		gt_json_set_str(e, "author", a->name);
		gt_json_set_str(e, "email", a->email);
		gt_json_set_str(e, "subject", git_commit_summary(c) ? git_commit_summary(c) : "");
	}
	if (git_commit_body(c))
		gt_json_set_str(e, "trailers", git_commit_body(c));
	cJSON_AddItemToObject(e, "changes", changes(ob, nb));
	cJSON_AddItemToObject(e, "operations", ops);
	return e;
}

/* The log entry for c, which changed bead id from blob before to now. */
static cJSON *log_entry(git_repository *git, git_commit *c, const char *id, const git_oid *before,
			const git_oid *now)
{
	struct bead_doc nb, ob;
	cJSON *e;

	doc_read(&nb, git, now);
	doc_read(&ob, git, before);
	e = log_entry_of(c, id, &ob, &nb);
	doc_release(&nb);
	doc_release(&ob);
	return e;
}

/* log_indexed(): the index's records of the bead do not chain */
#define BROKEN 1

/* A commit to visit and the bead's blob in its tree (never zero). */
struct visit {
	git_commit *c;
	git_oid blob;
};

struct queue {
	struct visit *v; /* oldest first: the newest is popped from the end */
	size_t n, cap;
	struct gt_map seen; /* hex ids queued, once a merge queued two */
	int branched;
};

/* Queue c (taking it) unless it was queued before. */
static void enqueue(struct queue *q, git_commit *c, const git_oid *blob)
{
	size_t i;

	if (q->branched) {
		char hex[GIT_OID_HEXSZ + 1];

		git_oid_tostr(hex, sizeof(hex), git_commit_id(c));
		if (gt_map_get(&q->seen, hex)) {
			git_commit_free(c);
			return;
		}
		gt_map_put(&q->seen, gt_strdup(hex), q);
	}
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 4;
		q->v = gt_realloc(q->v, q->cap * sizeof(*q->v));
	}
	for (i = q->n; i > 0 && git_commit_time(q->v[i - 1].c) > git_commit_time(c); i--)
		q->v[i] = q->v[i - 1];
	q->v[i].c = c;
	git_oid_cpy(&q->v[i].blob, blob);
	q->n++;
}

static void queue_release(struct queue *q)
{
	struct gt_map_entry *e;

	for (size_t i = 0; i < q->n; i++)
		git_commit_free(q->v[i].c);
	free(q->v);
	for (size_t i = 0; gt_map_next(&q->seen, &i, &e);)
		free((char *)e->key);
	gt_map_release(&q->seen);
}

/* The bead's blob in commit c (zero when absent). */
static int blob_in(git_oid *out, struct gt_ledger *lg, git_commit *c, const char *id)
{
	git_tree *t;
	int rc;

	memset(out, 0, sizeof(*out));
	if (git_commit_tree(&t, c) < 0)
		return gt_error_git(GT_EFAIL, "cannot read the tree of ledger commit %s",
				    git_oid_tostr_s(git_commit_id(c)));
	rc = gt_ledger_bead_entry(out, lg, t, id);
	git_tree_free(t);
	if (rc == GT_ENOTFOUND) {
		gt_error_clear();
		memset(out, 0, sizeof(*out));
		rc = 0;
	}
	return rc;
}

/* The history walk (what the index stands in for, and the fallback when it
 * cannot be used): out gets the entries of the bead whose blob at tip is
 * blob (taking tip). */
static int log_walk(cJSON *out, struct gt_ledger *lg, const char *id, git_commit *tip,
		    const git_oid *blob, long limit)
{
	struct queue q = { .seen = GT_MAP_INIT };
	long found = 0;
	int rc = 0;

	enqueue(&q, tip, blob);
	/*
	 * Walking back from a commit holding the bead: a parent holding the
	 * same blob means the commit did not change it, and the walk goes on
	 * through that parent alone.  Otherwise the commit changed it
	 * (compared with its first parent), and the walk goes on through
	 * every parent that holds the bead; when none does, this commit
	 * created it and that line of history ends.
	 */
	while (q.n && !(limit > 0 && found >= limit)) {
		struct visit v = q.v[--q.n];
		unsigned np = git_commit_parentcount(v.c), same = np, holding = 0;
		git_commit **parents = gt_calloc(np + 1, sizeof(*parents));
		git_oid *pblob = gt_calloc(np + 1, sizeof(*pblob)); /* [0] zero for a root */

		for (unsigned i = 0; i < np && same == np && !rc; i++) {
			if (git_commit_parent(&parents[i], v.c, i) < 0)
				rc = gt_error_git(GT_EFAIL,
						  "cannot read a parent of ledger commit %s",
						  git_oid_tostr_s(git_commit_id(v.c)));
			else if (!(rc = blob_in(&pblob[i], lg, parents[i], id)) &&
				 !git_oid_cmp(&pblob[i], &v.blob))
				same = i;
		}
		if (!rc && same < np) {
			enqueue(&q, parents[same], &pblob[same]);
			parents[same] = NULL;
		} else if (!rc) {
			cJSON_AddItemToArray(out, log_entry(lg->git, v.c, id, &pblob[0], &v.blob));
			found++;
			for (unsigned i = 0; i < np; i++)
				holding += !git_oid_is_zero(&pblob[i]);
			/* from here on two lines of history may meet again */
			q.branched |= holding > 1;
			for (unsigned i = 0; i < np; i++) {
				if (git_oid_is_zero(&pblob[i]))
					continue;
				enqueue(&q, parents[i], &pblob[i]);
				parents[i] = NULL;
			}
		}
		for (unsigned i = 0; i < np; i++)
			git_commit_free(parents[i]);
		free(parents);
		free(pblob);
		git_commit_free(v.c);
		if (rc < 0)
			break;
	}
	queue_release(&q);
	return rc;
}

/* The blobs the walk looks for next, one per line of history it follows. */
struct frontier {
	git_oid *v;
	size_t n, cap;
};

static ssize_t frontier_find(const struct frontier *f, const git_oid *blob)
{
	for (size_t i = 0; i < f->n; i++)
		if (!git_oid_cmp(&f->v[i], blob))
			return (ssize_t)i;
	return -1;
}

static void frontier_add(struct frontier *f, const git_oid *blob)
{
	if (git_oid_is_zero(blob) || frontier_find(f, blob) >= 0)
		return;
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 4;
		f->v = gt_realloc(f->v, f->cap * sizeof(*f->v));
	}
	git_oid_cpy(&f->v[f->n++], blob);
}

/*
 * The same answer from the history index (history.h): only the commits
 * that changed the bead against their first parent, newest first.  On
 * linear history the walk above visits exactly these, in this order: it
 * passes the others by.  At merges it follows lines of history, each
 * holding the blob it expects next; here those lines are the set of blobs
 * expected.  A commit counts when it holds one of them: when a parent
 * holds the same blob it did not change the bead (a hash shared with
 * another id, or a merge taking that parent's side: the walk went on
 * through that parent, so the blob is still expected); otherwise it is an
 * entry, its blob is no longer expected, and each parent's blob is.  No
 * blob expected: every line reached the bead's creation.
 */
static int log_indexed(cJSON *out, struct gt_ledger *lg, const char *id, const git_oid *blob,
		       long limit, int checked, const struct gt_progress *progress)
{
	struct frontier f = { 0 };
	struct bead_doc kept = { 0 }; /* the bead in blob kept_id, when kept_ok */
	git_oid kept_id;
	struct gt_history_hit *cands = NULL;
	size_t ncands = 0;
	long found = 0;
	int rc, kept_ok = 0;

	if ((rc = gt_history_commits(&cands, &ncands, lg, id, checked, progress)) < 0)
		return rc;
	frontier_add(&f, blob);
	for (size_t k = 0; k < ncands && f.n && !(limit > 0 && found >= limit) && !rc; k++) {
		const struct gt_history_hit *h = &cands[k];
		git_commit *c = NULL, *p = NULL;
		git_oid now, *pblob = NULL;
		unsigned np = 0, same = 0;
		ssize_t at;
		/* the record's blobs, unless the commit named the key twice:
		 * then the root and shard trees of the commit and its parent
		 * are read (each through its delta chain) */
		int known = h->exact;

		if (known)
			git_oid_cpy(&now, &h->now);
		if (known && (at = frontier_find(&f, &now)) < 0)
			continue; /* not the blob expected: another id's hash */
		if (git_commit_lookup(&c, lg->git, &h->commit) < 0) {
			rc = BROKEN; /* a record naming no commit of the ledger */
			break;
		}
		if (!known &&
		    ((rc = blob_in(&now, lg, c, id)) < 0 || (at = frontier_find(&f, &now)) < 0)) {
			git_commit_free(c);
			continue;
		}
		np = git_commit_parentcount(c);
		pblob = gt_calloc(np + 1, sizeof(*pblob)); /* [0] zero for a root */
		if (known && np == 1) { /* the first parent's, as the record says */
			git_oid_cpy(&pblob[0], &h->old);
			same = !git_oid_cmp(&pblob[0], &now);
		}
		for (unsigned i = 0; i < np && !rc && !same && !(known && np == 1); i++) {
			if (git_commit_parent(&p, c, i) < 0)
				rc = gt_error_git(GT_EFAIL,
						  "cannot read a parent of ledger commit %s",
						  git_oid_tostr_s(git_commit_id(c)));
			else
				rc = blob_in(&pblob[i], lg, p, id);
			same = !rc && !git_oid_cmp(&pblob[i], &now);
			git_commit_free(p);
			p = NULL;
		}
		if (!rc && !same) {
			/* the bead before this change is the one the next entry
			 * changed, on linear history: read once */
			struct bead_doc nb;

			if (kept_ok && !git_oid_cmp(&kept_id, &now)) {
				nb = kept;
			} else {
				doc_release(&kept);
				doc_read(&nb, lg->git, &now);
			}
			kept_ok = 1;
			git_oid_cpy(&kept_id, &pblob[0]);
			if (doc_read(&kept, lg->git, &pblob[0]) < 0 && known && np == 1)
				rc = BROKEN; /* the record's old blob is not in the ledger */
			if (!rc)
				cJSON_AddItemToArray(out, log_entry_of(c, id, &kept, &nb));
			doc_release(&nb);
			found++;
			f.v[at] = f.v[--f.n];
			for (unsigned i = 0; i < np; i++)
				frontier_add(&f, &pblob[i]);
		}
		free(pblob);
		git_commit_free(c);
	}
	/* every line of history followed back to the bead's creation, or
	 * the limit met: otherwise a record the chain needs was not there */
	if (!rc && f.n && !(limit > 0 && found >= limit))
		rc = BROKEN;
	doc_release(&kept);
	free(f.v);
	free(cands);
	return rc;
}

/* GT_HISTORY_INDEX=0: always walk (the old way, for comparison) */
static int use_index(void)
{
	return !gt_env_off("GT_HISTORY_INDEX");
}

int gt_feed_bead_log(cJSON **out, struct gt_ledger *lg, const char *id, long limit,
		     const struct gt_progress *progress)
{
	git_commit *tip = NULL;
	git_oid blob;
	int rc;

	*out = cJSON_CreateArray();
	if (!lg->has_tip)
		return gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);
	if (git_commit_lookup(&tip, lg->git, &lg->tip) < 0)
		return gt_error_git(GT_EFAIL, "cannot read ledger commit %s",
				    git_oid_tostr_s(&lg->tip));
	if ((rc = blob_in(&blob, lg, tip, id)) < 0 || git_oid_is_zero(&blob)) {
		git_commit_free(tip);
		return rc < 0 ? rc : gt_error_set(GT_ENOTFOUND, "bead '%s' not found", id);
	}
	/* the index's records of the bead, unchecked; when they do not
	 * chain, checked (which cuts and rewrites a damaged file) */
	for (int checked = 0; use_index() && checked < 2; checked++) {
		if (!(rc = log_indexed(*out, lg, id, &blob, limit, checked, progress))) {
			git_commit_free(tip);
			return 0;
		}
		cJSON_Delete(*out);
		*out = cJSON_CreateArray();
		if (rc != BROKEN)
			break;
	}
	/* no index here (read-only, say), or it met something it could not
	 * read, or it does not agree with the ledger: the walk answers, or
	 * fails for itself */
	gt_error_clear();
	return log_walk(*out, lg, id, tip, &blob, limit);
}
