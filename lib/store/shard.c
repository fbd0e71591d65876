/*
 * shard.c - the layout of beads/: shards that grow with the ledger
 * (shard.h).
 */
#include "store/shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "store/id.h"
#include "store/tree.h"
#include "base/banned.h"

#define SPLIT_AT 1024

size_t gt_shard_split_at(void)
{
	const char *v = getenv("GT_SHARD_SPLIT");
	char *end;
	unsigned long n;

	if (!v || !*v)
		return SPLIT_AT;
	n = strtoul(v, &end, 10);
	return *end ? SPLIT_AT : (size_t)n;
}

static int is_hex2(const char *s, size_t len)
{
	return len == 2 && gt_hex_digit((unsigned char)s[0]) >= 0 &&
	       gt_hex_digit((unsigned char)s[1]) >= 0 && !(s[0] >= 'A' && s[0] <= 'F') &&
	       !(s[1] >= 'A' && s[1] <= 'F');
}

int gt_shard_is_split(const git_tree *shard)
{
	const git_tree_entry *e =
		git_tree_entrycount(shard) ? git_tree_entry_byindex(shard, 0) : NULL;

	return e && git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	       is_hex2(git_tree_entry_name(e), strlen(git_tree_entry_name(e)));
}

int gt_shard_leaf(char out[3], const char *name)
{
	size_t len = strlen(name);

	if (len <= 5 || strcmp(name + len - 5, ".json") || memchr(name, '/', len))
		return gt_error_set(GT_EINVALID, "'%s' is not a bead file name", name);
	gt_bead_leaf(out, name, len - 5);
	return 0;
}

/* A logical bead path: "beads/<xx>/<name>", *name set. */
static int bead_path(const char *path, const char **name)
{
	if (strncmp(path, "beads/", 6) || !is_hex2(path + 6, 2) || path[8] != '/' || !path[9] ||
	    strchr(path + 9, '/'))
		return 0;
	*name = path + 9;
	return 1;
}

int gt_shard_entry_bypath(git_tree_entry **out, const git_tree *root, const char *path)
{
	struct gt_buf phys = GT_BUF_INIT;
	const char *name;
	char leaf[3];
	int rc = git_tree_entry_bypath(out, root, path);

	if (rc != GIT_ENOTFOUND || !bead_path(path, &name) || gt_shard_leaf(leaf, name) < 0) {
		gt_error_clear();
		return rc;
	}
	gt_buf_printf(&phys, "%.8s/%s/%s", path, leaf, name);
	rc = git_tree_entry_bypath(out, root, phys.ptr);
	gt_buf_release(&phys);
	return rc;
}

int gt_shard_entry(git_tree_entry **out, const git_tree *shard, const char *name)
{
	struct gt_buf p = GT_BUF_INIT;
	char leaf[3];
	int rc;

	*out = NULL;
	if (!gt_shard_is_split(shard))
		return git_tree_entry_bypath(out, shard, name);
	if ((rc = gt_shard_leaf(leaf, name)) < 0)
		return rc;
	gt_buf_printf(&p, "%s/%s", leaf, name);
	rc = git_tree_entry_bypath(out, shard, p.ptr);
	gt_buf_release(&p);
	return rc;
}

int gt_shard_has(const git_tree *shard, const char *name)
{
	git_tree_entry *e;
	int found;

	if (!gt_shard_is_split(shard))
		return git_tree_entry_byname(shard, name) != NULL;
	found = gt_shard_entry(&e, shard, name) == 0;
	git_tree_entry_free(e);
	gt_error_clear();
	git_error_clear();
	return found;
}

int gt_shard_each(git_repository *git, const git_tree *shard,
		  int (*cb)(const char *name, void *payload), void *payload)
{
	size_t n = git_tree_entrycount(shard);
	int split = gt_shard_is_split(shard), rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(shard, i);
		git_tree *sub;

		if (!split) {
			rc = cb(git_tree_entry_name(e), payload);
			continue;
		}
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
			continue;
		if (git_tree_lookup(&sub, git, git_tree_entry_id(e)) < 0)
			return gt_error_git(GT_EFAIL, "cannot read shard subtree '%s'",
					    git_tree_entry_name(e));
		for (size_t k = 0; k < git_tree_entrycount(sub) && !rc; k++)
			rc = cb(git_tree_entry_name(git_tree_entry_byindex(sub, k)), payload);
		git_tree_free(sub);
	}
	return rc;
}

/* ---- building ---- */

struct mapped {
	struct gt_tree_upd *v;
	size_t n, alloc;
	char **strs; /* the paths made here */
	size_t nstrs, astrs;
};

static struct gt_tree_upd *push(struct mapped *m, const struct gt_tree_upd *u)
{
	if (m->n == m->alloc) {
		m->alloc = m->alloc ? 2 * m->alloc : 64;
		m->v = gt_realloc(m->v, m->alloc * sizeof(*m->v));
	}
	m->v[m->n] = *u;
	return &m->v[m->n++];
}

static const char *keep(struct mapped *m, struct gt_buf *b)
{
	if (m->nstrs == m->astrs) {
		m->astrs = m->astrs ? 2 * m->astrs : 64;
		m->strs = gt_realloc(m->strs, m->astrs * sizeof(*m->strs));
	}
	return m->strs[m->nstrs++] = gt_buf_detach(b);
}

static void mapped_release(struct mapped *m)
{
	for (size_t i = 0; i < m->nstrs; i++)
		free(m->strs[i]);
	free(m->strs);
	free(m->v);
}

/* "<leaf>/<name>" or "beads/<xx>/<leaf>/<name>" (prefix) for a bead file */
static int leaf_path(struct gt_buf *out, const char *prefix, const char *name)
{
	char leaf[3];
	int rc = gt_shard_leaf(leaf, name);

	gt_buf_reset(out);
	if (!rc)
		gt_buf_printf(out, "%s%s/%s", prefix, leaf, name);
	return rc;
}

/*
 * The one-level shard xx (base: its tree, or NULL) with updates u[0..n)
 * applied, rebuilt split: every file it keeps, at <leaf>/<name>, built
 * from nothing into a new shard tree (*out).
 */
static int build_split(struct mapped *m, git_repository *git, struct gt_objbuf *ob,
		       const git_tree *base, const struct gt_tree_upd *u, size_t n, git_oid *out)
{
	size_t nb = base ? git_tree_entrycount(base) : 0, first = m->n, i = 0;
	struct gt_buf p = GT_BUF_INIT;
	int rc = 0;

	/* a merge of the base's files (sorted by name) with the updates
	 * (sorted by path, so by name) */
	for (size_t k = 0; (k < nb || i < n) && !rc;) {
		const git_tree_entry *be = k < nb ? git_tree_entry_byindex(base, k) : NULL;
		const char *un = i < n ? strrchr(u[i].path, '/') + 1 : NULL;
		int c = !be ? 1 : !un ? -1 : strcmp(git_tree_entry_name(be), un);
		struct gt_tree_upd nu = { 0 };

		if (c < 0) {
			rc = leaf_path(&p, "", git_tree_entry_name(be));
			nu.mode = git_tree_entry_filemode(be);
			git_oid_cpy(&nu.id, git_tree_entry_id(be));
			k++;
		} else {
			if (!c)
				k++;
			if (u[i].removed) {
				i++;
				continue;
			}
			rc = leaf_path(&p, "", un);
			nu = u[i++];
		}
		if (!rc) {
			nu.path = keep(m, &p);
			push(m, &nu);
		}
	}
	gt_buf_release(&p);
	if (!rc) {
		gt_tree_upd_sort(m->v + first, m->n - first);
		rc = gt_tree_apply(git, ob, NULL, m->v + first, m->n - first, out);
	}
	m->n = first;
	return rc;
}

/* The shard tree beads/<xx> of root, or NULL (none, or not a tree). */
static int shard_tree(git_tree **out, git_repository *git, const git_tree *root, const char *xx)
{
	git_tree_entry *e = NULL;
	char path[9];
	int rc;

	*out = NULL;
	if (!root)
		return 0;
	snprintf(path, sizeof(path), "beads/%.2s", xx);
	rc = git_tree_entry_bypath(&e, root, path);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (!rc && git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	    git_tree_lookup(out, git, git_tree_entry_id(e)) < 0)
		rc = -1;
	git_tree_entry_free(e);
	return rc < 0 ? gt_error_git(GT_EFAIL, "cannot read shard '%s'", path) : 0;
}

/* One shard's updates u[0..n) (logical paths beads/<xx>/...), mapped. */
static int map_shard(struct mapped *m, git_repository *git, struct gt_objbuf *ob,
		     const git_tree *root, const struct gt_tree_upd *u, size_t n)
{
	size_t limit = gt_shard_split_at();
	struct gt_buf p = GT_BUF_INIT;
	git_tree *shard;
	int rc = shard_tree(&shard, git, root, u[0].path + 6);

	if (rc < 0)
		return rc;
	if (shard && gt_shard_is_split(shard)) {
		char prefix[10];

		snprintf(prefix, sizeof(prefix), "%.9s", u[0].path);
		for (size_t i = 0; i < n && !rc; i++) {
			struct gt_tree_upd nu = u[i];

			if (!(rc = leaf_path(&p, prefix, u[i].path + 9))) {
				nu.path = keep(m, &p);
				push(m, &nu);
			}
		}
	} else {
		size_t count = shard ? git_tree_entrycount(shard) : 0;

		for (size_t i = 0; i < n; i++) {
			int had = shard && git_tree_entry_byname(shard, u[i].path + 9);

			if (u[i].removed && had)
				count--;
			else if (!u[i].removed && !had)
				count++;
		}
		if (limit && count > limit) {
			struct gt_tree_upd nu = { 0 };

			rc = build_split(m, git, ob, shard, u, n, &nu.id);
			if (!rc) {
				gt_buf_printf(&p, "%.8s", u[0].path);
				nu.path = keep(m, &p);
				nu.mode = GIT_FILEMODE_TREE;
				push(m, &nu);
			}
		} else {
			for (size_t i = 0; i < n; i++)
				push(m, &u[i]);
		}
	}
	git_tree_free(shard);
	gt_buf_release(&p);
	return rc;
}

int gt_shard_apply(git_repository *git, struct gt_objbuf *ob, const git_tree *base,
		   const struct gt_tree_upd *u, size_t n, git_oid *out)
{
	struct mapped m = { 0 };
	int rc = 0, any = 0;

	for (size_t i = 0, j; i < n && !rc; i = j) {
		const char *name;

		j = i + 1;
		if (!bead_path(u[i].path, &name)) {
			push(&m, &u[i]);
			continue;
		}
		any = 1;
		while (j < n && !strncmp(u[j].path, u[i].path, 9) && bead_path(u[j].path, &name))
			j++;
		rc = map_shard(&m, git, ob, base, u + i, j - i);
	}
	if (!rc) {
		if (any)
			gt_tree_upd_sort(m.v, m.n);
		rc = gt_tree_apply(git, ob, base, any ? m.v : u, any ? m.n : n, out);
	}
	mapped_release(&m);
	return rc;
}
