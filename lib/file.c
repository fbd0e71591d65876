/*
 * file.c - writing files whole.
 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "repo.h"
#include "banned.h"

int gt_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!w)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int gt_write_file_atomic(const char *path, const void *data, size_t len)
{
	struct gt_buf tmp = GT_BUF_INIT;
	int fd, rc = 0;

	if (gt_mkdir_parents(path) < 0)
		return GT_EFAIL;
	gt_buf_printf(&tmp, "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", path);
	} else if (gt_write_all(fd, data, len) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", path);
		close(fd);
		unlink(tmp.ptr);
	} else if (close(fd) < 0 || rename(tmp.ptr, path) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", path);
		unlink(tmp.ptr);
	}
	gt_buf_release(&tmp);
	return rc;
}
