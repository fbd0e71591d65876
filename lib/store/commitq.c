/*
 * commitq.c - group commit (commitq.h).
 */
#include "store/commitq.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/file.h"
#include "base/lock.h"
#include "base/map.h"
#include "base/options.h"
#include "store/maint.h"
#include "store/objbuf.h"
#include "store/shard.h"
#include "store/tree.h"
#include "base/banned.h"

/* the most intents one commit takes; the rest wait for the next */
#define GROUP_MAX 256
/* the most an answer field takes: "A <len>\n" and a line of error text */
#define ANSWER_MAX 1024

void gt_intent_init(struct gt_intent *in)
{
	memset(in, 0, sizeof(*in));
	gt_buf_init(&in->summary, 0);
	gt_buf_init(&in->trailers, 0);
}

void gt_intent_release(struct gt_intent *in)
{
	free(in->command);
	free(in->actor);
	free(in->email);
	gt_buf_release(&in->summary);
	gt_buf_release(&in->trailers);
	gt_strlist_release_owned(&in->reads);
	for (size_t i = 0; i < in->nw; i++) {
		free(in->w[i].path);
		gt_buf_release(&in->w[i].data);
	}
	free(in->w);
	gt_intent_init(in);
}

void gt_intent_add_write(struct gt_intent *in, const char *path, const void *data, size_t len,
			 int removed)
{
	struct gt_intent_write *w;

	GT_ALLOC_GROW(in->w, in->nw + 1, in->walloc);
	w = &in->w[in->nw++];
	w->path = gt_strdup(path);
	gt_buf_init(&w->data, 0);
	if (!removed)
		gt_buf_add(&w->data, data, len);
	w->removed = removed;
}

/* ---- the intent file: "GTQ1\n", then "<tag> <len>\n<bytes>\n" fields;
 * the committer that takes it appends the answer as one more, tag 'A' ----
 *
 * The first field is the wake word ('W': three bytes of padding, then a
 * 32-bit counter at WAKE_OFF, aligned as a futex must be): its writer
 * sleeps on it (FUTEX_WAIT on its shared mapping of the file), and
 * whoever has something to tell it (its answer, or its turn) bumps the
 * counter and wakes it.  A futex on a file mapping is keyed by the file,
 * so it works between any two processes that can open the file, whatever
 * namespaces they run in, and costs no directory entry and nothing at
 * exit (inotify did: closing a watch waits for the kernel to retire it,
 * 24 ms a writer on average with 64 writers flat out).
 */
#define WAKE_HEAD "GTQ1\nW 7\n"
#define WAKE_OFF  12

static void field(struct gt_buf *out, char tag, const void *p, size_t len)
{
	gt_buf_printf(out, "%c %zu\n", tag, len);
	gt_buf_add(out, p, len);
	gt_buf_addch(out, '\n');
}

static void encode(struct gt_buf *out, const struct gt_intent *in)
{
	gt_buf_adds(out, "GTQ1\n");
	field(out, 'W', "\0\0\0\0\0\0\0", 7);
	if (in->has_base)
		field(out, 'b', git_oid_tostr_s(&in->base), GIT_OID_HEXSZ);
	field(out, 'c', in->command, strlen(in->command));
	field(out, 's', gt_buf_cstr(&in->summary), in->summary.len);
	field(out, 't', gt_buf_cstr(&in->trailers), in->trailers.len);
	field(out, 'a', in->actor, strlen(in->actor));
	field(out, 'e', in->email, strlen(in->email));
	for (size_t i = 0; i < in->reads.n; i++)
		field(out, 'r', in->reads.v[i], strlen(in->reads.v[i]));
	for (size_t i = 0; i < in->nw; i++) {
		field(out, 'w', in->w[i].path, strlen(in->w[i].path));
		if (in->w[i].removed)
			field(out, 'x', "", 0);
		else
			field(out, 'd', gt_buf_cstr(&in->w[i].data), in->w[i].data.len);
	}
}

/* One field at *p (before end): its tag, *data and *n; *p moves past it.
 * 0, or -1 when it is cut short or malformed. */
static int next_field(const char **p, const char *end, char *tag, const char **data, size_t *n)
{
	unsigned long long v;
	char *nl;

	if (end - *p < 3 || (*p)[1] != ' ')
		return -1;
	errno = 0;
	v = strtoull(*p + 2, &nl, 10);
	if (errno || nl >= end || *nl != '\n' || v > (unsigned long long)(end - nl - 1) ||
	    nl[1 + v] != '\n')
		return -1;
	*tag = **p;
	*data = nl + 1;
	*n = (size_t)v;
	*p = nl + 2 + v;
	return 0;
}

/* The intent in p; 1 when it carries an answer already (its committer was
 * killed before removing it: it is not to be committed again). */
static int decode(struct gt_intent *in, const char *p, size_t len, const char *name)
{
	const char *end = p + len;
	char *pending = NULL;

	gt_intent_init(in);
	if (len < 5 || memcmp(p, "GTQ1\n", 5))
		goto bad;
	p += 5;
	while (p < end) {
		const char *f;
		char tag, *s;
		size_t n;

		if (next_field(&p, end, &tag, &f, &n) < 0)
			goto bad;
		if (tag == 'A') {
			free(pending);
			gt_intent_release(in);
			return 1;
		}
		s = gt_strndup(f, n);
		switch (tag) {
		case 'b':
			if (git_oid_fromstr(&in->base, s) < 0) {
				free(s);
				goto bad;
			}
			in->has_base = 1;
			free(s);
			break;
		case 'c':
			free(in->command);
			in->command = s;
			break;
		case 's':
			gt_buf_add(&in->summary, f, n);
			free(s);
			break;
		case 't':
			gt_buf_add(&in->trailers, f, n);
			free(s);
			break;
		case 'a':
			free(in->actor);
			in->actor = s;
			break;
		case 'e':
			free(in->email);
			in->email = s;
			break;
		case 'W': free(s); break; /* the wake word */
		case 'r': gt_strlist_push(&in->reads, s); break;
		case 'w':
			free(pending);
			pending = s;
			break;
		case 'd':
		case 'x':
			free(s);
			if (!pending)
				goto bad;
			gt_intent_add_write(in, pending, f, n, tag == 'x');
			free(pending);
			pending = NULL;
			break;
		default: free(s); goto bad;
		}
	}
	if (pending || !in->command || !in->actor || !in->email)
		goto bad;
	return 0;
bad:
	free(pending);
	gt_intent_release(in);
	return gt_error_set(GT_EINVALID, "queued transaction '%s' is malformed", name);
}

/* The wake word of the queue file fd, mapped shared; NULL when it has none
 * or cannot be mapped (its writer then looks every NAP_MS). */
static uint32_t *wake_map(int fd, int prot)
{
	char head[sizeof(WAKE_HEAD) - 1];
	void *m;

	if (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
	    memcmp(head, WAKE_HEAD, sizeof(head)))
		return NULL;
	m = mmap(NULL, WAKE_OFF + sizeof(uint32_t), prot, MAP_SHARED, fd, 0);
	return m == MAP_FAILED ? NULL : (uint32_t *)(void *)((char *)m + WAKE_OFF);
}

static void wake_unmap(uint32_t *w)
{
	if (w)
		munmap((char *)w - WAKE_OFF, WAKE_OFF + sizeof(uint32_t));
}

/* Tell the writer of the queue file fd (open for reading and writing) to
 * look at it again. */
static void wake(int fd)
{
	uint32_t *w = wake_map(fd, PROT_READ | PROT_WRITE);

	if (!w)
		return;
	__atomic_add_fetch(w, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, w, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
	wake_unmap(w);
}

/* ---- the ref ---- */

/* A ref lock file left by a writer that died between creating and renaming
 * it.  We hold the gt writer lock, so no gt writer can be using it; give a
 * foreign writer (git update-ref) two seconds before calling it stale. */
static int break_stale_ref_lock(struct gt_repo *repo, const char *ref)
{
	struct gt_buf p = GT_BUF_INIT;
	struct stat st;
	int broke = 0;

	gt_buf_printf(&p, "%s/%s.lock", repo->common_dir, ref);
	if (stat(p.ptr, &st) == 0 && time(NULL) - st.st_mtime >= 2)
		broke = unlink(p.ptr) == 0;
	gt_buf_release(&p);
	return broke;
}

/*
 * The ref's new value on disk: its file's data, then the directory entry
 * the rename made (a power cut could otherwise leave the ref where it
 * was, and the writes already answered lost).  A ref that is not a loose
 * file any more (packed since) was written by whoever packed it.
 * GT_LEDGER_REF_SYNC=0 leaves it to the kernel (benchmarks).
 */
static int sync_ref(struct gt_repo *repo, const char *ref)
{
	struct gt_buf p = GT_BUF_INIT;
	int fd, rc = 0;

	if (gt_env_off("GT_LEDGER_REF_SYNC"))
		return 0;
	gt_buf_printf(&p, "%s/%s", repo->common_dir, ref);
	if ((fd = open(p.ptr, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (fdatasync(fd) < 0)
			rc = gt_error_errno(GT_EFAIL, "cannot flush '%s'", p.ptr);
		close(fd);
		*strrchr(p.ptr, '/') = '\0';
		if (!rc)
			rc = gt_sync_dir(p.ptr);
	}
	gt_buf_release(&p);
	return rc;
}

int gt_ref_cas(struct gt_repo *repo, git_repository *git, const char *ref, const git_oid *new_id,
	       const git_oid *old, int flush)
{
	git_oid zero;

	memset(&zero, 0, sizeof(zero));
	for (int waits = 0;; waits++) {
		git_reference *r = NULL;
		int rc = git_reference_create_matching(&r, git, ref, new_id, 1, old ? old : &zero,
						       NULL);

		git_reference_free(r);
		if (rc == 0)
			return flush ? sync_ref(repo, ref) : 0;
		if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS)
			return 1;
		if (rc != GIT_ELOCKED)
			return gt_error_git(GT_EFAIL, "cannot update %s", ref);
		if (waits >= 1000)
			return gt_error_set(GT_ETEMP, "%s is locked", ref);
		if (waits > 400 || !break_stale_ref_lock(repo, ref)) {
			struct timespec ts = { 0, 5 * 1000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}
}

int gt_commit_signature(struct gt_buf *out, const char *name, const char *email)
{
	git_signature *sig;

	if (git_signature_now(&sig, name, email) < 0)
		return gt_error_git(GT_EINVALID, "bad identity '%s' <%s>", name, email);
	gt_buf_printf(out, "%s <%s> %lld %c%02d%02d", sig->name, sig->email,
		      (long long)sig->when.time, sig->when.offset < 0 ? '-' : '+',
		      abs(sig->when.offset) / 60, abs(sig->when.offset) % 60);
	git_signature_free(sig);
	return 0;
}

/* ---- the committer ---- */

struct member {
	struct gt_intent *in;
	struct gt_intent own; /* parsed from the queue */
	char *name;	      /* queue name, NULL for the committer's own */
	int mine;
	int result; /* 0 committed, 1 retry, < 0 error */
};

struct overlay_ent {
	git_oid id;
	int removed;
};

struct group {
	const struct gt_commitq *q;
	struct gt_buf qdir;
	struct member *m;
	size_t n, alloc;
	git_oid tip;
	int has_tip;
	git_tree *tip_tree;
	git_oid base_cached;
	git_tree *base_tree;
	struct gt_map overlay; /* path -> struct overlay_ent, this group's writes */
	int manifest;	       /* queue/group written */
};

static void qpath(struct gt_buf *out, const struct group *g, const char *name, const char *ext)
{
	gt_buf_reset(out);
	gt_buf_printf(out, "%s/%s%s", g->qdir.ptr, name, ext);
}

static int read_tip(struct group *g)
{
	git_commit *c = NULL;
	int rc;

	git_tree_free(g->tip_tree);
	g->tip_tree = NULL;
	g->has_tip = 0;
	rc = git_reference_name_to_id(&g->tip, g->q->git, g->q->ref);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0 || git_commit_lookup(&c, g->q->git, &g->tip) < 0 ||
	    git_commit_tree(&g->tip_tree, c) < 0) {
		git_commit_free(c);
		return gt_error_git(GT_EFAIL, "cannot read %s", g->q->ref);
	}
	git_commit_free(c);
	g->has_tip = 1;
	return 0;
}

/* What path is in t: 1 with *id, 0 when absent.  "" is the tree itself. */
static int entry_of(git_tree *t, const char *path, git_oid *id)
{
	git_tree_entry *e;

	if (!t)
		return 0;
	if (!*path) {
		git_oid_cpy(id, git_tree_id(t));
		return 1;
	}
	if (gt_shard_entry_bypath(&e, t, path) < 0) {
		git_error_clear();
		return 0;
	}
	git_oid_cpy(id, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return 1;
}

static git_tree *base_tree(struct group *g, const git_oid *base)
{
	git_commit *c = NULL;

	if (g->base_tree && !git_oid_cmp(&g->base_cached, base))
		return g->base_tree;
	git_tree_free(g->base_tree);
	g->base_tree = NULL;
	if (git_commit_lookup(&c, g->q->git, base) == 0 && git_commit_tree(&g->base_tree, c) == 0)
		git_oid_cpy(&g->base_cached, base);
	git_commit_free(c);
	git_error_clear();
	return g->base_tree;
}

/* Whether this group already wrote path, or (for a directory) below it. */
static int overlay_touches(const struct group *g, const char *path)
{
	struct gt_map_entry *me;
	size_t len = strlen(path);

	if (!g->overlay.len)
		return 0;
	if (!len || gt_map_get(&g->overlay, path))
		return 1;
	for (size_t i = 0; gt_map_next(&g->overlay, &i, &me);)
		if (!strncmp(me->key, path, len) && me->key[len] == '/')
			return 1;
	return 0;
}

static int path_unchanged(struct group *g, git_tree *base, int same_base, const char *path)
{
	git_oid a, b;
	int ha, hb;

	if (overlay_touches(g, path))
		return 0;
	if (same_base)
		return 1;
	ha = entry_of(base, path, &a);
	hb = entry_of(g->tip_tree, path, &b);
	return ha == hb && (!ha || !git_oid_cmp(&a, &b));
}

/* Whether in still holds on top of the tip plus this group's writes. */
static int still_valid(struct group *g, const struct gt_intent *in)
{
	int same_base;
	git_tree *base = NULL;

	if (in->has_base != g->has_tip)
		return 0;
	same_base = !in->has_base || !git_oid_cmp(&in->base, &g->tip);
	if (!same_base && !(base = base_tree(g, &in->base)))
		return 0;
	for (size_t i = 0; i < in->reads.n; i++)
		if (!path_unchanged(g, base, same_base, in->reads.v[i]))
			return 0;
	for (size_t i = 0; i < in->nw; i++)
		if (!path_unchanged(g, base, same_base, in->w[i].path))
			return 0;
	return 1;
}

static int accept(struct group *g, const struct gt_intent *in)
{
	for (size_t i = 0; i < in->nw; i++) {
		const struct gt_intent_write *w = &in->w[i];
		struct overlay_ent *e = gt_map_get(&g->overlay, w->path);
		int rc;

		if (!e) {
			e = gt_calloc(1, sizeof(*e));
			gt_map_put(&g->overlay, w->path, e);
		}
		e->removed = w->removed;
		if (!w->removed &&
		    (rc = gt_objbuf_put(g->q->ob, GIT_OBJECT_BLOB, gt_buf_cstr(&w->data),
					w->data.len, &e->id)) < 0)
			return rc;
	}
	return 0;
}

static void overlay_clear(struct group *g)
{
	struct gt_map_entry *me;

	for (size_t i = 0; gt_map_next(&g->overlay, &i, &me);)
		free(me->value);
	gt_map_release(&g->overlay);
}

static void one_line(struct gt_buf *out, const struct gt_buf *s)
{
	for (size_t i = 0; i < s->len; i++)
		gt_buf_addch(out, s->ptr[i] == '\n' || s->ptr[i] == '\r' ? ' ' : s->ptr[i]);
}

static int write_commit(struct group *g, const git_oid *tree, git_oid *commit)
{
	struct gt_buf msg = GT_BUF_INIT, sig = GT_BUF_INIT;
	const struct gt_intent *first = NULL;
	size_t nok = 0;
	int rc;

	for (size_t i = 0; i < g->n; i++)
		if (g->m[i].result == 0 && nok++ == 0)
			first = g->m[i].in;
	if (!first)
		return gt_error_set(GT_EFAIL, "an empty group has no commit");
	if ((rc = gt_commit_signature(&sig, first->actor, first->email)) < 0)
		goto out;
	gt_buf_printf(&msg, "tree %s\n", git_oid_tostr_s(tree));
	if (g->has_tip)
		gt_buf_printf(&msg, "parent %s\n", git_oid_tostr_s(&g->tip));
	gt_buf_printf(&msg, "author %s\ncommitter %s\n\n%s: ", sig.ptr, sig.ptr, first->command);
	one_line(&msg, &first->summary);
	if (nok == 1) {
		gt_buf_addch(&msg, '\n');
		if (first->trailers.len)
			gt_buf_printf(&msg, "\n%s", first->trailers.ptr);
	} else {
		gt_buf_printf(&msg, " (+%zu operations)\n\n", nok - 1);
		for (size_t i = 0; i < g->n; i++) {
			const struct gt_intent *in = g->m[i].in;

			if (g->m[i].result)
				continue;
			gt_buf_printf(&msg, "Gt-Op: %s by %s <%s>: ", in->command, in->actor,
				      in->email);
			one_line(&msg, &in->summary);
			gt_buf_addch(&msg, '\n');
			if (in->trailers.len)
				gt_buf_add(&msg, in->trailers.ptr, in->trailers.len);
		}
	}
	rc = gt_objbuf_put(g->q->ob, GIT_OBJECT_COMMIT, msg.ptr, msg.len, commit);
out:
	gt_buf_release(&msg);
	gt_buf_release(&sig);
	return rc;
}

/* For the tests of recovery: GT_CRASH_AT=before-ref|after-ref|mid-answer
 * kills the committer there (mid-answer: the first answer written, its
 * queue file not yet removed), as a SIGKILL or a power cut would. */
static void crash_point(const char *where)
{
	const char *v = getenv("GT_CRASH_AT");

	if (v && !strcmp(v, where))
		raise(SIGKILL);
}

/* For the tests: GT_COMMIT_HOLD=DIR stops a committer that has gathered
 * its group: it writes DIR/held.<pid> and waits until DIR/go appears,
 * which it takes (renames to DIR/went.<pid>), so a test can start writers
 * behind it and let committers go one at a time. */
static void hold_point(void)
{
	const char *dir = getenv("GT_COMMIT_HOLD");
	struct gt_buf held = GT_BUF_INIT, go = GT_BUF_INIT, went = GT_BUF_INIT;
	int fd;

	if (!dir || !*dir)
		return;
	gt_buf_printf(&held, "%s/held.%ld", dir, (long)getpid());
	gt_buf_printf(&go, "%s/go", dir);
	gt_buf_printf(&went, "%s/went.%ld", dir, (long)getpid());
	if ((fd = open(held.ptr, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)) >= 0)
		close(fd);
	while (rename(go.ptr, went.ptr) < 0)
		poll(NULL, 0, 10);
	gt_buf_release(&held);
	gt_buf_release(&go);
	gt_buf_release(&went);
}

/* The manifest of what this commit answers for others: needed only when
 * it holds another writer's intent (one alone has nobody to answer). */
static void write_manifest(struct group *g, const git_oid *commit)
{
	struct gt_buf p = GT_BUF_INIT, d = GT_BUF_INIT;
	size_t others = 0;

	gt_buf_printf(&d, "%s\n", git_oid_tostr_s(commit));
	for (size_t i = 0; i < g->n; i++)
		if (g->m[i].result == 0 && g->m[i].name) {
			gt_buf_printf(&d, "%s\n", g->m[i].name);
			others += !g->m[i].mine;
		}
	qpath(&p, g, "group", "");
	if (others && gt_write_file_atomic(p.ptr, d.ptr, d.len) < 0)
		gt_error_clear(); /* only recovery after a crash needs it */
	else if (others)
		g->manifest = 1;
	gt_buf_release(&p);
	gt_buf_release(&d);
}

static void remove_manifest(struct group *g)
{
	struct gt_buf p = GT_BUF_INIT;

	if (!g->manifest)
		return;
	qpath(&p, g, "group", "");
	unlink(p.ptr);
	g->manifest = 0;
	gt_buf_release(&p);
}

/* The answer a waiting writer reads: appended to its queue file (which it
 * holds open) in one write, before the file is removed. */
static void answer(struct group *g, const char *name, int result, const git_oid *commit, int crash)
{
	struct gt_buf p = GT_BUF_INIT, line = GT_BUF_INIT, d = GT_BUF_INIT;
	int fd;

	if (result == 0)
		gt_buf_printf(&line, "ok %s",
			      git_oid_is_zero(commit) ? "-" : git_oid_tostr_s(commit));
	else if (result == 1)
		gt_buf_adds(&line, "retry");
	else
		gt_buf_printf(&line, "err %d %.*s", result, ANSWER_MAX - 64, gt_error_last());
	for (char *c = line.ptr; *c; c++)
		if (*c == '\n')
			*c = ' ';
	field(&d, 'A', line.ptr, line.len);
	qpath(&p, g, name, ".q");
	fd = open(p.ptr, O_RDWR | O_APPEND | O_CLOEXEC);
	if (fd >= 0) {
		if (gt_write_all(fd, d.ptr, d.len) < 0)
			gt_error_clear();
		wake(fd);
		close(fd);
	}
	if (crash)
		crash_point("mid-answer");
	unlink(p.ptr);
	gt_buf_release(&p);
	gt_buf_release(&line);
	gt_buf_release(&d);
}

/* A committer that died after moving the ref but before answering left
 * its manifest: the intents it names are committed if the ref contains its
 * commit.  Returns 1 when mine_name is one of them (*c: the commit). */
static int recover(struct group *g, const char *mine_name, git_oid *c)
{
	struct gt_buf p = GT_BUF_INIT, d = GT_BUF_INIT;
	char *line, *save = NULL;
	int mine = 0;

	qpath(&p, g, "group", "");
	if (gt_read_file(&d, p.ptr) < 0) {
		gt_error_clear();
		goto out;
	}
	line = strtok_r(d.ptr, "\n", &save);
	if (line && git_oid_fromstr(c, line) == 0 && g->has_tip &&
	    (!git_oid_cmp(c, &g->tip) || git_graph_descendant_of(g->q->git, &g->tip, c) == 1)) {
		while ((line = strtok_r(NULL, "\n", &save))) {
			struct gt_buf qp = GT_BUF_INIT;

			qpath(&qp, g, line, ".q");
			if (mine_name && !strcmp(line, mine_name)) {
				mine = 1;
				unlink(qp.ptr);
			} else if (access(qp.ptr, F_OK) == 0) {
				answer(g, line, 0, c, 0);
			}
			gt_buf_release(&qp);
		}
	}
	git_error_clear();
	unlink(p.ptr);
out:
	gt_buf_release(&p);
	gt_buf_release(&d);
	return mine;
}

/* The intents waiting, in arrival order, mine among them. */
static void gather(struct group *g, struct gt_intent *mine, const char *mine_name)
{
	struct gt_strlist l = { 0 };
	char **names;
	size_t n;
	struct gt_buf p = GT_BUF_INIT, data = GT_BUF_INIT;
	int placed = 0;

	if (gt_dir_names(g->qdir.ptr, ".q", &l) < 0)
		gt_error_clear(); /* none to gather: this one's own only */
	/* the names, without ".q"; those taken into the group become NULL */
	names = (char **)l.v;
	n = l.n;
	for (size_t i = 0; i < n; i++)
		names[i][strlen(names[i]) - 2] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct member *m;
		int fd;

		if (mine_name && !strcmp(names[i], mine_name)) {
			if (!mine)
				continue;
			GT_ALLOC_GROW(g->m, g->n + 1, g->alloc);
			m = &g->m[g->n++];
			memset(m, 0, sizeof(*m));
			m->in = mine;
			m->mine = 1;
			m->name = names[i];
			names[i] = NULL;
			placed = 1;
			continue;
		}
		if (g->n >= GROUP_MAX)
			continue;
		qpath(&p, g, names[i], ".q");
		fd = open(p.ptr, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* its writer holds it shared while it waits: if we can take it
		 * exclusively, nobody is waiting for this one any more */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			close(fd);
			unlink(p.ptr);
			continue;
		}
		gt_buf_reset(&data);
		if (gt_read_fd(&data, fd, p.ptr) < 0) {
			gt_error_clear();
			close(fd);
			continue;
		}
		close(fd);
		GT_ALLOC_GROW(g->m, g->n + 1, g->alloc);
		m = &g->m[g->n];
		memset(m, 0, sizeof(*m));
		switch (decode(&m->own, gt_buf_cstr(&data), data.len, names[i])) {
		case 0: break;
		case 1: /* answered by a committer killed before removing it */
			unlink(p.ptr);
			continue;
		default:
			answer(g, names[i], GT_EINVALID, NULL, 0);
			gt_error_clear();
			continue;
		}
		m->name = names[i];
		names[i] = NULL;
		g->n++;
	}
	if (!placed && mine) {
		GT_ALLOC_GROW(g->m, g->n + 1, g->alloc);
		memset(&g->m[g->n], 0, sizeof(g->m[0]));
		g->m[g->n].in = mine;
		g->m[g->n].mine = 1;
		g->m[g->n].name = mine_name ? gt_strdup(mine_name) : NULL;
		g->n++;
	}
	/* the array moved as it grew: point at the parsed intents now */
	for (size_t i = 0; i < g->n; i++)
		if (!g->m[i].mine)
			g->m[i].in = &g->m[i].own;
	gt_strlist_release_owned(&l);
	gt_buf_release(&p);
	gt_buf_release(&data);
}

/* One attempt at committing the group on the current tip: 0 with *commit
 * (zero: no change), 1 when the ref moved underneath, or GT_E*. */
static int commit_group(struct group *g, git_oid *commit)
{
	struct gt_tree_upd *u = NULL;
	struct gt_map_entry *me;
	size_t nu = 0, nok = 0;
	git_oid tree;
	int rc = 0;

	memset(commit, 0, sizeof(*commit));
	overlay_clear(g);
	gt_objbuf_discard(g->q->ob);
	for (size_t i = 0; i < g->n && !rc; i++) {
		struct member *m = &g->m[i];

		if (!still_valid(g, m->in)) {
			m->result = 1;
			continue;
		}
		m->result = 0;
		nok++;
		rc = accept(g, m->in);
	}
	if (rc < 0 || !nok)
		return rc;
	u = gt_calloc(g->overlay.len ? g->overlay.len : 1, sizeof(*u));
	for (size_t i = 0; gt_map_next(&g->overlay, &i, &me);) {
		const struct overlay_ent *e = me->value;

		u[nu].path = me->key;
		u[nu].removed = e->removed;
		git_oid_cpy(&u[nu].id, &e->id);
		nu++;
	}
	gt_tree_upd_sort(u, nu);
	rc = gt_shard_apply(g->q->git, g->q->ob, g->tip_tree, u, nu, &tree);
	free(u);
	if (rc < 0)
		return rc;
	/* writing back what was there is no change: no commit */
	if (g->tip_tree && !git_oid_cmp(&tree, git_tree_id(g->tip_tree)))
		return 0;
	if ((rc = write_commit(g, &tree, commit)) < 0 || (rc = gt_objbuf_flush(g->q->ob, 1)) < 0)
		return rc;
	write_manifest(g, commit);
	crash_point("before-ref");
	rc = gt_ref_cas(g->q->repo, g->q->git, g->q->ref, commit, g->has_tip ? &g->tip : NULL, 1);
	if (rc)
		remove_manifest(g);
	else
		crash_point("after-ref");
	return rc;
}

static int lead(const struct gt_commitq *q, struct gt_intent *mine, const char *mine_name,
		git_oid *commit, size_t *taken)
{
	struct group g;
	int rc = 0, result = 0, attempts = 0;

	if (taken)
		*taken = 0;
	memset(&g, 0, sizeof(g));
	g.q = q;
	gt_buf_init(&g.qdir, 0);
	gt_repo_runtime_path(&g.qdir, q->repo, "queue", 0);
	memset(commit, 0, sizeof(*commit));
	gt_objbuf_collect(q->ob, 1);
	if ((rc = read_tip(&g)) < 0)
		goto out;
	/* mine went in with a committer that died before answering: done
	 * (the others waiting will commit themselves) */
	if (recover(&g, mine_name, commit))
		goto out;
	memset(commit, 0, sizeof(*commit));
	gather(&g, mine, mine_name);
	if (taken)
		*taken = g.n;
	if (g.n)
		hold_point();
	for (;;) {
		rc = commit_group(&g, commit);
		if (rc != 1)
			break;
		/* a writer outside our lock moved the ref: check everyone again */
		if (++attempts >= 20) {
			rc = gt_error_set(GT_ECONFLICT, "gave up: %s keeps changing", q->ref);
			break;
		}
		if ((rc = read_tip(&g)) < 0)
			break;
	}
	for (size_t i = 0; i < g.n; i++) {
		struct member *m = &g.m[i];
		int r = rc < 0 ? rc : m->result;

		if (m->mine)
			result = r;
		else
			answer(&g, m->name, r, commit, 1);
		if (m->mine && m->name) { /* it was queued too */
			struct gt_buf p = GT_BUF_INIT;

			qpath(&p, &g, m->name, ".q");
			unlink(p.ptr);
			gt_buf_release(&p);
		}
	}
	remove_manifest(&g);
	if (rc == 0)
		rc = result;
out:
	gt_objbuf_discard(q->ob);
	gt_objbuf_collect(q->ob, 0);
	for (size_t i = 0; i < g.n; i++) {
		if (!g.m[i].mine)
			gt_intent_release(&g.m[i].own);
		free(g.m[i].name);
	}
	free(g.m);
	overlay_clear(&g);
	git_tree_free(g.tip_tree);
	git_tree_free(g.base_tree);
	gt_buf_release(&g.qdir);
	return rc;
}

/* The answer after the intent (at off) in the queue file fd: "ok <commit>",
 * "ok -", "retry", "err <code> <message>"; 2 when there is none. */
static int read_answer(int fd, size_t off, git_oid *commit)
{
	char buf[ANSWER_MAX + 1];
	const char *p = buf, *f;
	ssize_t got = pread(fd, buf, ANSWER_MAX, (off_t)off);
	struct gt_buf d = GT_BUF_INIT;
	size_t n;
	char tag;
	int rc;

	if (got > 0)
		buf[got] = '\0';
	if (got <= 0 || next_field(&p, buf + got, &tag, &f, &n) < 0 || tag != 'A')
		return 2; /* none: nobody took it */
	gt_buf_add(&d, f, n);
	if (!strncmp(d.ptr, "ok ", 3)) {
		memset(commit, 0, sizeof(*commit));
		rc = strcmp(d.ptr + 3, "-") && git_oid_fromstr(commit, d.ptr + 3) < 0
			     ? gt_error_set(GT_EFAIL, "bad answer '%s'", d.ptr)
			     : 0;
	} else if (!strcmp(d.ptr, "retry")) {
		rc = 1;
	} else if (!strncmp(d.ptr, "err ", 4)) {
		char *msg;
		long code = strtol(d.ptr + 4, &msg, 10);

		if (code >= 0 || code < -100)
			code = GT_EFAIL;
		rc = gt_error_set((int)code, "%s", *msg ? msg + 1 : "commit failed");
	} else {
		rc = gt_error_set(GT_EFAIL, "bad answer '%s'", d.ptr);
	}
	gt_buf_release(&d);
	return rc;
}

static int enqueue(const struct gt_commitq *q, const struct gt_intent *in, char **name, int *fd,
		   size_t *len)
{
	struct gt_buf dir = GT_BUF_INIT, tmp = GT_BUF_INIT, dst = GT_BUF_INIT, data = GT_BUF_INIT;
	struct timespec ts;
	int rc = 0, f = -1;

	*fd = -1;
	*name = NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	gt_repo_runtime_path(&dir, q->repo, "queue", 0);
	if (mkdir(dir.ptr, 0777) < 0 && errno != EEXIST && (rc = gt_mkdir_parents(dir.ptr)) == 0 &&
	    mkdir(dir.ptr, 0777) < 0 && errno != EEXIST)
		rc = gt_error_errno(GT_EFAIL, "cannot create '%s'", dir.ptr);
	if (rc < 0)
		goto out;
	{
		struct gt_buf nb = GT_BUF_INIT;

		gt_buf_printf(&nb, "%010lld%09ld-%ld", (long long)ts.tv_sec, ts.tv_nsec,
			      (long)getpid());
		*name = gt_buf_detach(&nb);
	}
	gt_buf_printf(&tmp, "%s/%s.tmp", dir.ptr, *name);
	gt_buf_printf(&dst, "%s/%s.q", dir.ptr, *name);
	encode(&data, in);
	*len = data.len;
	f = open(tmp.ptr, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (f < 0 || flock(f, LOCK_SH) < 0 || gt_write_all(f, data.ptr, data.len) < 0 ||
	    rename(tmp.ptr, dst.ptr) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot queue the transaction in '%s'", dir.ptr);
		if (f >= 0) {
			close(f);
			f = -1;
			unlink(tmp.ptr);
		}
		free(*name);
		*name = NULL;
	}
	*fd = f;
out:
	gt_buf_release(&dir);
	gt_buf_release(&tmp);
	gt_buf_release(&dst);
	gt_buf_release(&data);
	return rc;
}

/*
 * Wait for the answer to the intent queued at name (read through qfd,
 * after qlen), or for the turn to commit: first come, first served.  A
 * waiter does not queue on the ledger lock (the kernel wakes its waiters
 * in no order, and an answered one would have to take it just to read its
 * answer): it sleeps on its queue file's wake word, which a committer
 * bumps when it has appended the answer, or to say it is the oldest left
 * unanswered (waiting()); then it tries the lock.  The sleep is bounded
 * (WAKE_MS), so a committer killed before it woke anyone costs that much.
 * 0, 1 or GT_E*: the answer; 2: *lockfd holds the lock and there is no
 * answer (this one commits).  Where the file cannot be mapped it looks
 * every NAP_MS instead: never in the lock's queue, where a waiter answered
 * long ago could wait for as long as committers keep the lock busy (a
 * committer that goes on keeps it for up to a second).
 */
#define WAKE_MS 100
#define NAP_MS	20
static int wait_turn(const struct gt_commitq *q, const char *lockpath, int qfd, size_t qlen,
		     int *lockfd, git_oid *commit)
{
	long deadline = q->lock_timeout_ms < 0 ? -1 : gt_mono_ms() + q->lock_timeout_ms;
	/* GT_QUEUE_WAKE=0: as if the file could not be mapped (tests) */
	uint32_t *w = gt_env_off("GT_QUEUE_WAKE") ? NULL : wake_map(qfd, PROT_READ);
	/* GT_QUEUE_WAKE_MS: how long it sleeps unless woken (tests) */
	const char *v = getenv("GT_QUEUE_WAKE_MS");
	long wake_ms = v && *v ? strtol(v, NULL, 10) : 0;
	long nap = !w ? NAP_MS : wake_ms > 0 ? wake_ms : WAKE_MS;
	int rc;

	*lockfd = -1;
	for (;;) {
		uint32_t seen = w ? __atomic_load_n(w, __ATOMIC_SEQ_CST) : 0;
		long left;
		struct timespec ts;

		if ((rc = read_answer(qfd, qlen, commit)) != 2)
			break;
		left = deadline < 0 ? nap : deadline - gt_mono_ms();
		rc = gt_lock_try_as(lockfd, lockpath, NULL);
		if (rc == 1 && left <= 0) /* for the message naming who holds it */
			rc = gt_lock_acquire_as(lockfd, lockpath, 0, NULL);
		if (rc < 0) {
			/* a committer that read it may still commit it */
			gt_error_hint("the change may still be committed by the process holding "
				      "the lock; check before repeating it");
			break;
		}
		if (rc == 0) { /* the lock: answered meanwhile, or this one's turn */
			if ((rc = read_answer(qfd, qlen, commit)) != 2) {
				gt_lock_release(*lockfd);
				*lockfd = -1;
			}
			break;
		}
		if (left > nap)
			left = nap;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = left % 1000 * 1000000L;
		/* returns at once if the word moved since it was read */
		if (w)
			syscall(SYS_futex, w, FUTEX_WAIT, seen, &ts, NULL, 0);
		else
			nanosleep(&ts, NULL);
	}
	wake_unmap(w);
	return rc;
}

/* Whether an intent waits whose writer is still there (it holds its queue
 * file shared); the oldest is woken when tell is set, which tells its
 * writer to try the lock (after a commit, the lock released: it came
 * after the group was gathered, or past GROUP_MAX).  A file nobody holds
 * is left for the next committer to clear. */
static int waiting(const struct gt_commitq *q, int tell)
{
	struct gt_buf dir = GT_BUF_INIT, p = GT_BUF_INIT;
	struct gt_strlist names = { 0 };
	int found = 0;

	gt_repo_runtime_path(&dir, q->repo, "queue", 0);
	if (gt_dir_names(dir.ptr, ".q", &names) < 0)
		gt_error_clear();
	for (size_t i = 0; i < names.n && !found; i++) {
		int fd;

		gt_buf_reset(&p);
		gt_buf_printf(&p, "%s/%s", dir.ptr, names.v[i]);
		if ((fd = open(p.ptr, (tell ? O_RDWR : O_RDONLY) | O_CLOEXEC)) < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			found = 1;
			if (tell)
				wake(fd);
		}
		close(fd);
	}
	gt_strlist_release_owned(&names);
	gt_buf_release(&dir);
	gt_buf_release(&p);
	return found;
}

/*
 * The committer goes on.  A writer that committed while others queued
 * behind it would hand the lock to the oldest of them, which must wake
 * and be scheduled among the processes its own answers just started (on
 * a busy machine most of a commit cycle), and then open the repository
 * cold.  Instead it forks a committer that goes on at once with what
 * waits, on the writer's open repository and warm caches, for as long as
 * intents keep coming (at most GO_ON_MS), while the writer itself returns
 * to its caller.  The committer is detached (its own session, forked
 * twice so nobody has to reap it) and keeps nothing of its caller: the
 * standard streams become /dev/null and every descriptor the process
 * inherited through exec (the ones without FD_CLOEXEC: gt opens all its
 * own, and libgit2 all of its, close-on-exec) is closed, so no pipe or
 * terminal of the caller's stays open behind it.  flock() locks belong to
 * the open file: the writer closes its copy of the lock's descriptor
 * without unlocking, and the lock passes with the descriptor.
 * Returns 0 when the committer took the lock over.
 */
#define GO_ON_MS 1000
static void go_on_child(const struct gt_commitq *q, int lockfd)
{
	static const int sigs[] = { SIGPIPE, SIGHUP,  SIGINT,  SIGQUIT,
				    SIGTERM, SIGALRM, SIGUSR1, SIGUSR2 };
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC), committed = 0;
	long until = gt_mono_ms() + GO_ON_MS;
	sigset_t none;
	DIR *d;

	if (devnull < 0)
		_exit(1);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	if ((d = opendir("/proc/self/fd"))) {
		struct dirent *e;
		int self = dirfd(d);

		while ((e = readdir(d))) {
			int fd = (int)strtol(e->d_name, NULL, 10), fl;

			if (fd <= 2 || fd == self || fd == lockfd)
				continue;
			if ((fl = fcntl(fd, F_GETFD)) >= 0 && !(fl & FD_CLOEXEC))
				close(fd);
		}
		closedir(d);
	}
	gt_lock_note(lockfd, q->who);
	for (;;) {
		git_oid c;
		size_t taken = 0;

		if (lead(q, NULL, NULL, &c, &taken) < 0 || !taken)
			break;
		committed |= !git_oid_is_zero(&c);
		if (gt_mono_ms() >= until)
			break;
	}
	gt_lock_release(lockfd);
	waiting(q, 1);
	if (committed)
		gt_maint_auto(q->repo);
	_exit(0);
}

static int go_on(const struct gt_commitq *q, int lockfd)
{
	int status = 0;
	pid_t pid;

	if (gt_env_off("GT_LEDGER_GO_ON") || !waiting(q, 0))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		pid_t committer;

		setsid();
		committer = fork();
		if (committer == 0)
			go_on_child(q, lockfd);
		_exit(committer < 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1; /* not reaped: it may hold the lock, keep ours */
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	close(lockfd); /* never LOCK_UN: the committer holds it now */
	return 0;
}

/*
 * Whether more processes are ready to run than there are CPUs, from the
 * kernel's count of runnable tasks (/proc/loadavg's fourth field, "R/T",
 * this process among R).  A writer that takes a free lock then hands the
 * commit to a detached committer instead of making it itself: the commit
 * is everyone's, yet the writer's CPU share is its caller's, shared with
 * the caller's other processes (an agent's, a script's: every process of
 * one terminal session is one scheduling group), so on a busy machine the
 * whole group waited for a writer starved among its siblings (measured
 * with 32 writers flat out: such commits took 23 ms where a detached
 * committer's took 6).  On an idle machine it commits itself, with no
 * fork and no queue file.  GT_LEDGER_HAND_OVER=0/1 forces it (tests).
 */
static int busy(void)
{
	const char *v = getenv("GT_LEDGER_HAND_OVER");
	struct gt_buf b = GT_BUF_INIT;
	long running = 0, cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char *slash;

	if (v && *v)
		return strcmp(v, "0") != 0;
	if (gt_read_file(&b, "/proc/loadavg") < 0)
		gt_error_clear(); /* no count: not busy */
	/* "0.52 0.58 0.59 3/250 12345" */
	else if ((slash = strchr(gt_buf_cstr(&b), '/'))) {
		while (slash > b.ptr && slash[-1] != ' ')
			slash--;
		running = strtol(slash, NULL, 10);
	}
	gt_buf_release(&b);
	return running > (cpus > 0 ? cpus : 1);
}

int gt_commitq_submit(const struct gt_commitq *q, struct gt_intent *in, git_oid *commit)
{
	struct gt_buf lockpath = GT_BUF_INIT;
	char *name = NULL;
	size_t qlen = 0;
	int lockfd = -1, qfd = -1, rc, led = 0;

	memset(commit, 0, sizeof(*commit));
	if ((rc = gt_repo_runtime_path(&lockpath, q->repo, "ledger.lock", 1)) < 0)
		goto out;
	/* nobody committing: commit at once, with whatever waits; on a busy
	 * machine through a detached committer, this change queued for it */
	rc = gt_lock_try_as(&lockfd, lockpath.ptr, q->who);
	if (rc == 0) {
		int queued = busy() && enqueue(q, in, &name, &qfd, &qlen) == 0;

		if (queued && go_on(q, lockfd) == 0) {
			lockfd = -1; /* the committer holds it, and commits ours */
		} else {
			/* here: at once, or as no committer could start */
			gt_error_clear();
			led = 1;
			rc = lead(q, in, name, commit, NULL);
			goto out;
		}
	} else if (rc < 0 || (rc = enqueue(q, in, &name, &qfd, &qlen)) < 0) {
		goto out;
	}
	/* who holds it is noted only by one that leads: most are answered */
	rc = wait_turn(q, lockpath.ptr, qfd, qlen, &lockfd, commit);
	if (rc == 2) { /* nobody took it: commit it, and whatever else waits */
		led = 1;
		gt_lock_note(lockfd, q->who);
		rc = lead(q, in, name, commit, NULL);
	}
out:
	if (qfd >= 0)
		close(qfd);
	/* others waiting: a committer goes on with them, and looks at the
	 * housekeeping when it stops */
	if (led && rc >= 0 && go_on(q, lockfd) == 0)
		led = 0;
	else
		gt_lock_release(lockfd);
	if (led)
		waiting(q, 1);
	/* housekeeping is looked at by whoever committed, once the lock is free */
	if (led && rc >= 0 && !git_oid_is_zero(commit))
		gt_maint_auto(q->repo);
	free(name);
	gt_buf_release(&lockpath);
	return rc;
}
