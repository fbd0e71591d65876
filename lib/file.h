/*
 * file.h - writing files whole: all of a buffer, or a file replaced
 * atomically (a temporary beside it, then rename), never half written.
 */
#ifndef GT_FILE_H
#define GT_FILE_H

#include <stddef.h>

/* write(2) until all of data is written (short writes, EINTR); 0 or -1
 * with errno set. */
int gt_write_all(int fd, const void *data, size_t len);
/* Replace path with data: a temporary file in the same directory, then
 * rename.  Creates missing parent directories.  0 or GT_EFAIL. */
int gt_write_file_atomic(const char *path, const void *data, size_t len);

#endif
