/*
 * packwrite.h - write a set of objects as one pack and its index.
 *
 * The objects' ids are known (the caller hashed them), so no indexer has
 * to inflate and re-hash what was just compressed: the pack is written
 * with its .idx (version 2) beside it, compressed on every core, and both
 * are renamed into objects/pack/ (.pack first, then .idx, which is what
 * makes a pack visible to git and libgit2).  Both files are flushed to
 * disk before they are renamed, and the directory after, so a ref updated
 * once this returns never names objects a crash could lose.
 *
 * A pack stream (gt_packstream_*) is written as its objects arrive: each
 * is compressed and appended to a temporary file in objects/pack/ at
 * once, and only its id, offset and CRC (32 bytes) stay in memory, so a
 * bulk import holds neither its objects nor its pack.  Objects appended
 * can be read back before the pack is finished.  Until then the file is
 * invisible (tmp_pack_*, no .idx); gt_packstream_free() removes it, and
 * gt-maintain removes one a killed process left behind.
 */
#ifndef GT_PACKWRITE_H
#define GT_PACKWRITE_H

#include <git2.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

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

/* Read the version 2 pack index at path whole into data (checked: its
 * header, and long enough for its count of objects, *count); the sorted
 * ids start at byte 8 + 1024.  GT_EFAIL. */
int gt_pack_idx_read(struct gt_buf *data, const char *path, uint32_t *count);
/* Only the count of objects of the index at path (its header and fan-out
 * read, nothing after).  GT_EFAIL. */
int gt_pack_idx_count(const char *path, uint32_t *count);

/* Concatenate whole packs into one: packs[i] names each without its
 * suffix (".../objects/pack/pack-<hex>"), its .pack and version 2 .idx.
 * Their objects are copied byte for byte, deltas and all (a delta's base
 * is in the same pack, at the same distance, or named by id), so nothing
 * is inflated or compressed again; each pack's checksum is checked as it
 * is copied.  The new pack is installed as gt_pack_write() does; the old
 * ones are left for the caller to remove.  Returns 0 with name, 1 when an
 * object is in two of them (nothing written), or GT_EFAIL. */
int gt_pack_concat(const char *objdir, const char *const *packs, size_t npacks,
		   char name[GIT_OID_HEXSZ + 1]);

struct gt_packstream;

/* Start a pack in a temporary file under objdir/pack/.  GT_EFAIL. */
int gt_packstream_open(struct gt_packstream **out, const char *objdir);
/* Append an object whose id the caller computed (git_odb_hash()).  0 when
 * appended, 1 when the pack holds it already (nothing is appended),
 * GT_EFAIL on a write error. */
int gt_packstream_add(struct gt_packstream *ps, const git_oid *id, git_object_t type,
		      const void *data, size_t len);
/* Whether the pack holds id: 1 with its type and size, 0 when it does not
 * (ps may be NULL), GT_EFAIL when it cannot be read back. */
int gt_packstream_lookup(struct gt_packstream *ps, const git_oid *id, git_object_t *type,
			 size_t *len);
/* Inflate object id (len bytes, as gt_packstream_lookup() said) into dst. */
int gt_packstream_read(struct gt_packstream *ps, const git_oid *id, void *dst, size_t len);
/* Objects appended so far, and their size uncompressed (ps may be NULL). */
size_t gt_packstream_count(const struct gt_packstream *ps);
size_t gt_packstream_bytes(const struct gt_packstream *ps);
/* Finish the pack (count, checksum, .idx) and install it as gt_pack_write()
 * does; its name goes to name.  Whatever the result, only
 * gt_packstream_free() may follow. */
int gt_packstream_finish(struct gt_packstream *ps, char name[GIT_OID_HEXSZ + 1]);
/* Free ps; an unfinished pack's temporary file is removed. */
void gt_packstream_free(struct gt_packstream *ps);

#endif
