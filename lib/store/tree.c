/*
 * tree.c - building ledger trees along changed paths (tree.h).
 */
#include "store/tree.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "store/objbuf.h"
#include "base/banned.h"

static int upd_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gt_tree_upd *)a)->path, ((const struct gt_tree_upd *)b)->path);
}

/*
 * Trees are serialized here rather than through git_treebuilder: the
 * builder copies every entry of a ~390-entry shard and writes through the
 * odb, which checks every backend for each new object first.  A tree is
 * "<mode> <name>\0<20-byte id>" per entry, in git's order: names compared
 * bytewise, a tree's name as if it ended in '/'.
 */
struct tent {
	const char *name;
	size_t len;
	unsigned mode;
	git_oid id;
	int removed;
};

static int git_name_cmp(const struct tent *a, const struct tent *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, n);
	unsigned char ca, cb;

	if (c)
		return c;
	ca = a->len > n ? (unsigned char)a->name[n] : (a->mode == GIT_FILEMODE_TREE ? '/' : 0);
	cb = b->len > n ? (unsigned char)b->name[n] : (b->mode == GIT_FILEMODE_TREE ? '/' : 0);
	return (int)ca - (int)cb;
}

static int tent_git_cmp(const void *a, const void *b)
{
	return git_name_cmp(a, b);
}

/* plain name order, to find entries while updating */
static int tent_name_cmp(const void *a, const void *b)
{
	const struct tent *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Apply updates u[0..n) (sorted by path, all under the directory whose
 * paths start at offset off) to base (may be NULL).  *out is the new
 * tree's id; *empty says it has no entries (and then nothing is written). */
static int build_tree(git_repository *git, struct gt_objbuf *ob, const git_tree *base,
		      const struct gt_tree_upd *u, size_t n, size_t off, git_oid *out, int *empty)
{
	size_t nb = base ? git_tree_entrycount(base) : 0, ne = 0, cap = nb + n + 1, i = 0;
	struct tent *e = gt_malloc(cap * sizeof(*e));
	struct gt_buf raw = GT_BUF_INIT;
	int rc = 0;

	for (size_t k = 0; k < nb; k++) {
		const git_tree_entry *te = git_tree_entry_byindex(base, k);

		e[ne].name = git_tree_entry_name(te);
		e[ne].len = strlen(e[ne].name);
		e[ne].mode = git_tree_entry_filemode(te);
		git_oid_cpy(&e[ne].id, git_tree_entry_id(te));
		e[ne].removed = 0;
		ne++;
	}
	/* base entries by plain name, so updates can find them */
	qsort(e, ne, sizeof(*e), tent_name_cmp);
	nb = ne;
	while (i < n && !rc) {
		const char *name = u[i].path + off, *slash = strchr(name, '/');
		struct tent key = {
			name, slash ? (size_t)(slash - name) : strlen(name), 0, { { 0 } }, 0
		};
		struct tent *at = nb ? bsearch(&key, e, nb, sizeof(*e), tent_name_cmp) : NULL;
		size_t j = i + 1;
		int sub_empty = 0;

		if (!at) {
			at = &e[ne++];
			*at = key;
			at->removed = 1;
		}
		if (!slash) {
			at->mode = u[i].mode ? u[i].mode : GIT_FILEMODE_BLOB;
			at->removed = u[i].removed;
			if (!u[i].removed)
				git_oid_cpy(&at->id, &u[i].id);
		} else {
			git_tree *sub = NULL;

			while (j < n && !strncmp(u[j].path + off, name, key.len + 1))
				j++;
			if (!at->removed && at->mode == GIT_FILEMODE_TREE &&
			    git_tree_lookup(&sub, git, &at->id) < 0)
				rc = gt_error_git(GT_EFAIL, "cannot read tree '%.*s'", (int)key.len,
						  name);
			if (!rc)
				rc = build_tree(git, ob, at->removed ? NULL : sub, u + i, j - i,
						off + key.len + 1, &at->id, &sub_empty);
			git_tree_free(sub);
			at->mode = GIT_FILEMODE_TREE;
			at->removed = sub_empty;
		}
		i = j;
	}
	if (!rc) {
		qsort(e, ne, sizeof(*e), tent_git_cmp);
		*empty = 1;
		for (size_t k = 0; k < ne; k++) {
			if (e[k].removed)
				continue;
			*empty = 0;
			gt_buf_printf(&raw, "%o %.*s", e[k].mode, (int)e[k].len, e[k].name);
			gt_buf_addch(&raw, '\0');
			gt_buf_add(&raw, e[k].id.id, GIT_OID_RAWSZ);
		}
		if (!*empty || !off)
			rc = gt_objbuf_put(ob, GIT_OBJECT_TREE, gt_buf_cstr(&raw), raw.len, out);
	}
	gt_buf_release(&raw);
	free(e);
	return rc;
}

void gt_tree_upd_sort(struct gt_tree_upd *u, size_t n)
{
	if (n > 1)
		qsort(u, n, sizeof(*u), upd_cmp);
}

int gt_tree_apply(git_repository *git, struct gt_objbuf *ob, const git_tree *base,
		  const struct gt_tree_upd *u, size_t n, git_oid *out)
{
	int empty;

	return build_tree(git, ob, base, u, n, 0, out, &empty);
}
