/*
 * file.h - files whole: read all of one, write all of a buffer, or
 * replace a file atomically (a temporary beside it, then rename), never
 * half written.
 */
#ifndef GT_FILE_H
#define GT_FILE_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

struct gt_buf;

/* Append everything left to read from fd to out (what names it in the
 * message).  0, or GT_EFAIL "cannot read '<what>': <strerror>"; out may
 * then hold part of it. */
int gt_read_fd(struct gt_buf *out, int fd, const char *what);
/* Append the whole of the file at path ("-": stdin) to out.  0;
 * GT_ENOTFOUND when it does not exist, GT_EFAIL when it cannot be read
 * (message "cannot read '<path>': <strerror>" either way). */
int gt_read_file(struct gt_buf *out, const char *path);
/* writev(2) until every piece is written (short writes, EINTR); v is
 * consumed.  0, or -1 with errno set. */
int gt_writev_all(int fd, struct iovec *v, int n);
/* The same for one buffer. */
int gt_write_all(int fd, const void *data, size_t len);
/* read() until len bytes or the end of the file (EINTR retried): the
 * bytes read, fewer only at the end, or -1 with errno. */
ssize_t gt_read_full(int fd, void *buf, size_t len);
/* Write the pieces to a new temporary file beside path ("<path>.<pid>.tmp",
 * creating missing parent directories) and put its name in tmp, for the
 * caller to rename into place.  0, or GT_EFAIL with nothing left behind. */
int gt_write_temp(struct gt_buf *tmp, const char *path, struct iovec *v, int n);
/* Replace path with the pieces: gt_write_temp(), then rename.  0 or
 * GT_EFAIL. */
int gt_write_file_atomicv(const char *path, struct iovec *v, int n);
/* The same for one buffer. */
int gt_write_file_atomic(const char *path, const void *data, size_t len);

/* Flush directory dir's entries to disk (fsync; a file system that cannot
 * sync a directory, EINVAL, has nothing to flush).  0, or GT_EFAIL
 * ("cannot flush '<dir>'"). */
int gt_sync_dir(const char *dir);

/* mkdir -p for the parent directories of path.  0, or GT_EFAIL naming the
 * directory that could not be made. */
int gt_mkdir_parents(const char *path);
struct gt_strlist;
/* The names in directory dir that end in suffix (and are longer), sorted
 * bytewise, copied into names (empty before; free it with
 * gt_strlist_release_owned()).  A directory that is not there has none:
 * 0; GT_EFAIL when it cannot be read. */
int gt_dir_names(const char *dir, const char *suffix, struct gt_strlist *names);

#endif
