/*
 * objbuf.h - collect the objects of a transaction in memory, then write
 * them loose (a handful) or as one pack (bulk), never half.
 *
 * gt_objbuf_attach() adds an in-memory backend at the top of a repository's
 * object database.  While collecting, every object libgit2 writes (blobs,
 * trees from tree builders, commits) lands in memory and is readable from
 * there; nothing touches the disk.  gt_objbuf_flush() writes what was
 * collected: loose objects when there are few, otherwise a single pack
 * (undeltified, trees stored and the rest at zlib level 1, compressed on
 * every core) with its .idx, which is how bulk import reaches ~20k+
 * beads/s with no loose objects left behind.
 * gt_objbuf_discard() forgets everything (a lost race leaves no garbage).
 *
 * A bulk writer too big for memory (gt-bead-import of a million beads)
 * turns on streaming: from then until the flush or discard, every object
 * is compressed into a pack being written to disk (packwrite.h's pack
 * stream) as it arrives, keeping ~40 bytes per object in memory, and
 * stays readable from there; the flush finishes and installs that pack,
 * a discard removes it.  Small transactions write one small pack the same
 * way as big ones (a flush with pack_threshold 1): no thread, no scan.
 */
#ifndef GT_OBJBUF_H
#define GT_OBJBUF_H

#include <git2.h>
#include <stddef.h>

struct gt_objbuf;

/* The backend is owned by the repository's odb; *out stays valid until the
 * repository is freed. */
int gt_objbuf_attach(struct gt_objbuf **out, git_repository *repo);
/* Add an object directly: hash it and keep it, without asking the other
 * backends whether it exists (libgit2's write path does, and on a miss
 * rescans the pack directory, for every object).  *id receives its id. */
int gt_objbuf_put(struct gt_objbuf *ob, git_object_t type, const void *data, size_t len,
		  git_oid *id);
/* The same for an object whose id the caller computed (git_odb_hash()). */
int gt_objbuf_put_id(struct gt_objbuf *ob, git_object_t type, const void *data, size_t len,
		     const git_oid *id);
/* Stream from now until the next flush or discard (see the top); objects
 * collected before go into the stream first.  Collecting must be on.
 * GT_EFAIL when the pack cannot be started. */
int gt_objbuf_stream(struct gt_objbuf *ob);
/* Start or stop collecting (when off, the backend is invisible). */
void gt_objbuf_collect(struct gt_objbuf *ob, int on);
size_t gt_objbuf_count(const struct gt_objbuf *ob);
size_t gt_objbuf_bytes(const struct gt_objbuf *ob);
/* Write the collected objects to disk and forget them.  pack_threshold:
 * at or above this many objects write one pack, else loose objects (a
 * stream is always a pack).  A stream, or a pack of 1024 objects or more,
 * also takes in the repository's loose objects when there are only a few
 * (gt-init's), so a bulk import leaves one pack and nothing loose. */
int gt_objbuf_flush(struct gt_objbuf *ob, size_t pack_threshold);
void gt_objbuf_discard(struct gt_objbuf *ob);

/* Count the loose objects in objdir (a repository's objects directory),
 * stopping once the count passes limit; the ids of the first limit of
 * them go to ids when it is not NULL. */
size_t gt_loose_scan(const char *objdir, git_oid *ids, size_t limit);

#endif
