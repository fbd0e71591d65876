/*
 * tree.h - building ledger trees along changed paths only.
 *
 * A change of a few files rewrites only the trees on their paths (the
 * shard, beads/, the root); every other entry is copied by id.
 */
#ifndef GT_TREE_H
#define GT_TREE_H

#include <git2.h>
#include <stddef.h>

struct gt_objbuf;

/* One changed file: its path in the tree, and its new blob or removal. */
struct gt_tree_upd {
	const char *path;
	git_oid id;
	unsigned mode; /* 0: a blob; else the entry's mode (a tree, ...) */
	int removed;
};

/* Sort updates by path, as gt_tree_apply() wants them. */
void gt_tree_upd_sort(struct gt_tree_upd *u, size_t n);

/* Apply u[0..n) (sorted) to base (NULL: the empty tree); the new trees go
 * to ob (objbuf.h), *out receives the new root tree's id.  A directory
 * left empty disappears. */
int gt_tree_apply(git_repository *git, struct gt_objbuf *ob, const git_tree *base,
		  const struct gt_tree_upd *u, size_t n, git_oid *out);

#endif
