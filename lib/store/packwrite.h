/*
 * packwrite.h - write a set of objects as one pack and its index.
 *
 * The objects' ids are known (the caller hashed them), so no indexer has
 * to inflate and re-hash what was just compressed: the pack is written
 * with its .idx (version 2) beside it, compressed on every core, and both
 * are renamed into objects/pack/ (.pack first, then .idx, which is what
 * makes a pack visible to git and libgit2).
 */
#ifndef GT_PACKWRITE_H
#define GT_PACKWRITE_H

#include <git2.h>
#include <stddef.h>

struct gt_packobj {
	git_oid id;
	git_object_t type; /* commit, tree, blob or tag: no deltas */
	size_t len;
	const unsigned char *data;
};

/* Objects are fetched by position: get(ctx, i) for i < n.  The same id
 * must not appear twice.  objdir is the repository's objects directory.
 * On success the pack's name (40 hex digits) is written to name. */
typedef const struct gt_packobj *(*gt_packobj_fn)(void *ctx, size_t i);
int gt_pack_write(const char *objdir, gt_packobj_fn get, void *ctx, size_t n,
		  char name[GIT_OID_HEXSZ + 1]);

#endif
