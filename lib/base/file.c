/*
 * file.c - reading and writing files whole.
 */
#include "base/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/options.h"
#include "base/banned.h"

int gt_read_fd(struct gt_buf *out, int fd, const char *what)
{
	struct stat st;

	/* the size is only a hint: the file may change under us */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0)
		gt_buf_grow(out, (size_t)st.st_size);
	for (;;) {
		ssize_t r;

		gt_buf_grow(out, 8192);
		r = read(fd, out->ptr + out->len, out->alloc - out->len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return gt_error_errno(GT_EFAIL, "cannot read '%s'", what);
		if (!r)
			return 0;
		out->len += (size_t)r;
		out->ptr[out->len] = '\0';
	}
}

int gt_read_file(struct gt_buf *out, const char *path)
{
	int fd, rc;

	if (!strcmp(path, "-"))
		return gt_read_fd(out, 0, "stdin");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return gt_error_errno(errno == ENOENT ? GT_ENOTFOUND : GT_EFAIL, "cannot read '%s'",
				      path);
	rc = gt_read_fd(out, fd, path);
	close(fd);
	return rc;
}

int gt_writev_all(int fd, struct iovec *v, int n)
{
	int i = 0;

	while (i < n && !v[i].iov_len)
		i++;
	while (i < n) {
		ssize_t w = writev(fd, v + i, n - i);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!w)
				errno = EIO;
			return -1;
		}
		/* skip what was written, resume inside a partial piece */
		while (i < n && (size_t)w >= v[i].iov_len)
			w -= (ssize_t)v[i++].iov_len;
		if (i < n) {
			v[i].iov_base = (char *)v[i].iov_base + w;
			v[i].iov_len -= (size_t)w;
		}
	}
	return 0;
}

ssize_t gt_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int gt_write_all(int fd, const void *data, size_t len)
{
	struct iovec v = { (void *)(uintptr_t)data, len };

	return gt_writev_all(fd, &v, 1);
}

int gt_write_temp(struct gt_buf *tmp, const char *path, struct iovec *v, int n)
{
	int fd;

	gt_buf_reset(tmp);
	if (gt_mkdir_parents(path) < 0)
		return GT_EFAIL;
	gt_buf_printf(tmp, "%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp->ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return gt_error_errno(GT_EFAIL, "cannot write '%s'", path);
	if (gt_writev_all(fd, v, n) < 0) {
		int rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", path);

		close(fd);
		unlink(tmp->ptr);
		return rc;
	}
	if (close(fd) < 0) {
		int rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", path);

		unlink(tmp->ptr);
		return rc;
	}
	return 0;
}

int gt_write_file_atomicv(const char *path, struct iovec *v, int n)
{
	struct gt_buf tmp = GT_BUF_INIT;
	int rc = gt_write_temp(&tmp, path, v, n);

	if (!rc && rename(tmp.ptr, path) < 0) {
		rc = gt_error_errno(GT_EFAIL, "cannot write '%s'", path);
		unlink(tmp.ptr);
	}
	gt_buf_release(&tmp);
	return rc;
}

int gt_write_file_atomic(const char *path, const void *data, size_t len)
{
	struct iovec v = { (void *)(uintptr_t)data, len };

	return gt_write_file_atomicv(path, &v, 1);
}

/* mkdir -p of the directory p (changed while it runs, then restored):
 * the deepest first, so that when it is there, that is one call */
static int mkdir_p(char *p)
{
	char *s;
	int rc;

	if (mkdir(p, 0777) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || !(s = strrchr(p, '/')) || s == p)
		return gt_error_errno(GT_EFAIL, "cannot create '%s'", p);
	*s = '\0';
	rc = mkdir_p(p);
	*s = '/';
	if (rc < 0)
		return rc;
	if (mkdir(p, 0777) < 0 && errno != EEXIST)
		return gt_error_errno(GT_EFAIL, "cannot create '%s'", p);
	return 0;
}

int gt_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0 || (fsync(fd) < 0 && errno != EINVAL))
		rc = gt_error_errno(GT_EFAIL, "cannot flush '%s'", dir);
	if (fd >= 0)
		close(fd);
	return rc;
}

int gt_mkdir_parents(const char *path)
{
	char *p = gt_strdup(path), *s = strrchr(p, '/');
	int rc = 0;

	if (s && s != p) {
		*s = '\0';
		rc = mkdir_p(p);
	}
	free(p);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int gt_dir_names(const char *dir, const char *suffix, struct gt_strlist *names)
{
	size_t slen = strlen(suffix);
	struct dirent *e;
	DIR *d;

	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : gt_error_errno(GT_EFAIL, "cannot read '%s'", dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len > slen && !strcmp(e->d_name + len - slen, suffix))
			gt_strlist_push_dup(names, e->d_name);
	}
	closedir(d);
	if (names->n > 1)
		qsort(names->v, names->n, sizeof(*names->v), by_name);
	return 0;
}
