/*
 * proc.c - fork/exec/wait with optional capture.
 */
#include "base/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/options.h"
#include "base/banned.h"

/* Feed in (when fi >= 0) to the child while reading what it prints: a
 * child that writes more than a pipe holds before reading all its input
 * would otherwise wait on us as we wait on it. */
static void drain(const struct gt_buf *in, int fi, struct gt_buf *out, struct gt_buf *err, int fo,
		  int fe)
{
	struct pollfd p[3];
	char tmp[8192];
	size_t sent = 0;
	int open_o = fo >= 0, open_e = fe >= 0;

	if (fi >= 0 && !in->len) {
		close(fi);
		fi = -1;
	}
	while (open_o || open_e || fi >= 0) {
		int n = 0;

		if (fi >= 0)
			p[n++] = (struct pollfd){ fi, POLLOUT, 0 };
		if (open_o)
			p[n++] = (struct pollfd){ fo, POLLIN, 0 };
		if (open_e)
			p[n++] = (struct pollfd){ fe, POLLIN, 0 };
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			ssize_t r;

			if (!p[i].revents)
				continue;
			if (p[i].fd == fi) {
				r = write(fi, in->ptr + sent, in->len - sent);
				if (r > 0)
					sent += (size_t)r;
				if (sent == in->len ||
				    (r < 0 && errno != EINTR && errno != EAGAIN)) {
					close(fi);
					fi = -1;
				}
				continue;
			}
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(p[i].fd, tmp, sizeof(tmp));
			if (r > 0) {
				gt_buf_add(p[i].fd == fo ? out : err, tmp, (size_t)r);
			} else if (r == 0 || errno != EINTR) {
				if (p[i].fd == fo)
					open_o = 0;
				else
					open_e = 0;
			}
		}
	}
}

char *gt_self_bindir(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash;

	if (n <= 0)
		return gt_strdup("");
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (slash)
		*slash = '\0';
	return gt_strdup(path);
}

int gt_run(const char *const *argv, const struct gt_proc_opts *o, int *status)
{
	static const struct gt_proc_opts none;
	int pi[2] = { -1, -1 }, po[2] = { -1, -1 }, pe[2] = { -1, -1 }, st = 0;
	void (*old_pipe)(int) = SIG_DFL;
	pid_t pid;

	if (!o)
		o = &none;
	if ((o->in && pipe(pi) < 0) || (o->out && pipe(po) < 0) || (o->err && pipe(pe) < 0))
		return gt_error_errno(GT_EFAIL, "cannot run '%s'", argv[0]);
	pid = fork();
	if (pid < 0)
		return gt_error_errno(GT_EFAIL, "cannot run '%s'", argv[0]);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (o->cwd && chdir(o->cwd) < 0)
			_exit(126);
		for (size_t i = 0; o->env && o->env[i]; i++)
			putenv((char *)o->env[i]);
		if (o->out)
			dup2(po[1], 1);
		else if (o->quiet && devnull >= 0)
			dup2(devnull, 1);
		if (o->err)
			dup2(pe[1], 2);
		else if (o->quiet && devnull >= 0)
			dup2(devnull, 2);
		if (o->in)
			dup2(pi[0], 0);
		else if (devnull >= 0)
			dup2(devnull, 0);
		gt_close_fds_from(3, -1);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (o->in) {
		/* a child that ends before reading all of it is an EPIPE here,
		 * not a signal that ends us */
		old_pipe = signal(SIGPIPE, SIG_IGN);
		close(pi[0]);
		fcntl(pi[1], F_SETFL, fcntl(pi[1], F_GETFL) | O_NONBLOCK);
	}
	if (o->out)
		close(po[1]);
	if (o->err)
		close(pe[1]);
	drain(o->in, o->in ? pi[1] : -1, o->out, o->err, o->out ? po[0] : -1, o->err ? pe[0] : -1);
	if (o->in)
		signal(SIGPIPE, old_pipe);
	if (o->out)
		close(po[0]);
	if (o->err)
		close(pe[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (status)
		*status = st;
	if (st == 127)
		return gt_error_set(GT_EFAIL, "cannot run '%s': not found", argv[0]);
	if (st)
		return gt_error_set(GT_EFAIL, "'%s' failed with status %d", argv[0], st);
	return 0;
}

static void close_fds(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
	if (syscall(SYS_close_range, lo, hi, 0U) < 0)
		for (unsigned fd = lo; fd <= hi && fd < 1024; fd++)
			close((int)fd);
}

void gt_close_fds_from(int from, int keep)
{
	if (keep >= from) {
		close_fds((unsigned)from, (unsigned)keep - 1);
		close_fds((unsigned)keep + 1, ~0U);
	} else {
		close_fds((unsigned)from, ~0U);
	}
}

int gt_spawn(long *out, const char *const *argv)
{
	int p[2], e = 0, devnull;
	ssize_t n;
	pid_t pid;

	*out = 0;
	if (pipe(p) < 0)
		return gt_error_errno(GT_EFAIL, "cannot run '%s'", argv[0]);
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return gt_error_errno(GT_EFAIL, "cannot run '%s'", argv[0]);
	}
	if (pid == 0) {
		setsid();
		if ((devnull = open("/dev/null", O_RDWR)) >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		gt_close_fds_from(3, p[1]);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], (char *const *)argv);
		e = errno;
		if (write(p[1], &e, sizeof(e)) != (ssize_t)sizeof(e))
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	/* end of file: the exec closed the pipe; an errno: it failed */
	while ((n = read(p[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = e;
		return gt_error_errno(GT_EFAIL, "cannot run '%s'", argv[0]);
	}
	*out = pid;
	return 0;
}

int gt_proc_reap(long pid, int *status)
{
	int st = 0;
	pid_t got;

	while ((got = waitpid((pid_t)pid, &st, WNOHANG)) < 0 && errno == EINTR)
		;
	if (got < 0)
		return gt_error_errno(GT_EFAIL, "process %ld", pid);
	if (got == 0)
		return 0;
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 1;
}

static void trim(struct gt_buf *b)
{
	while (b->len && (b->ptr[b->len - 1] == '\n' || b->ptr[b->len - 1] == '\r'))
		b->ptr[--b->len] = '\0';
}

const char *gt_proc_telling_line(struct gt_buf *err)
{
	trim(err);
	while (err->len) {
		char *nl = strrchr(err->ptr, '\n'), *line = nl ? nl + 1 : err->ptr;

		if (strncmp(line, "hint:", 5) || !nl)
			return line;
		gt_buf_truncate(err, (size_t)(nl - err->ptr));
		trim(err);
	}
	return gt_buf_cstr(err);
}

int gt_run_tool(struct gt_buf *out, const char *cwd, const char *const *pre,
		const char *const *args)
{
	return gt_run_tool_env(out, cwd, NULL, pre, args);
}

int gt_run_tool_env(struct gt_buf *out, const char *cwd, const char *const *env,
		    const char *const *pre, const char *const *args)
{
	struct gt_strlist v = { 0 };
	struct gt_buf err = GT_BUF_INIT, tmp = GT_BUF_INIT;
	struct gt_proc_opts o = { 0 };
	int rc, st = 0;

	for (size_t i = 0; pre[i]; i++)
		gt_strlist_push(&v, pre[i]);
	for (size_t i = 0; args[i]; i++)
		gt_strlist_push(&v, args[i]);
	gt_strlist_push(&v, NULL);
	o.cwd = cwd;
	o.env = env;
	o.out = out ? out : &tmp;
	o.err = &err;
	if (out)
		gt_buf_reset(out);
	rc = gt_run(v.v, &o, &st);
	if (rc < 0 && st == 126) {
		rc = gt_error_set(GT_EFAIL, "%s %s: cannot enter '%s'", pre[0], args[0],
				  cwd ? cwd : ".");
	} else if (rc < 0) {
		const char *line = gt_proc_telling_line(&err);

		rc = gt_error_set(GT_EFAIL, "%s %s failed%s%s", pre[0], args[0], *line ? ": " : "",
				  line);
	} else if (out) {
		trim(out);
	}
	gt_strlist_release(&v);
	gt_buf_release(&err);
	gt_buf_release(&tmp);
	return rc;
}

void gt_args_collect(const char **argv, size_t cap, va_list ap)
{
	size_t n = 0;

	while (n + 1 < cap && (argv[n] = va_arg(ap, const char *)))
		n++;
	argv[n] = NULL;
}

char gt_proc_state(long pid)
{
	char path[64], buf[512];
	const char *rp;
	char state = 0;
	FILE *f;
	size_t n;

	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return '?'; /* no procfs: it exists, nothing more is known */
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* pid (comm) state ...: comm may hold anything, even ") " */
	if ((rp = strrchr(buf, ')')) && rp[1] == ' ')
		state = rp[2];
	return state ? state : '?';
}

int gt_proc_in_session(long sid, const char *names)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	if (!d)
		return -1;
	while (!found && (e = readdir(d))) {
		char path[300], buf[512], comm[64];
		const char *lp, *rp;
		long s = 0;
		FILE *f;
		size_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* pid (comm) state ppid pgrp session ...: comm may hold anything */
		if (!(lp = strchr(buf, '(')) || !(rp = strrchr(buf, ')')) || rp[1] != ' ' ||
		    rp[2] == 'Z' || sscanf(rp + 3, "%*d %*d %ld", &s) != 1 || s != sid)
			continue;
		snprintf(comm, sizeof(comm), "%.*s", (int)(rp - lp - 1), lp + 1);
		for (const char *p = names; *p && !found;) {
			size_t len = strcspn(p, ", ");

			found = len && strlen(comm) == len && !strncmp(comm, p, len);
			p += len;
			p += strspn(p, ", ");
		}
	}
	closedir(d);
	return found;
}

int gt_proc_kill_tagged(const char *tag, int sig)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t tlen = strlen(tag);
	pid_t self = getpid();
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[300];
		struct gt_buf env = GT_BUF_INIT;
		long pid;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		pid = strtol(e->d_name, NULL, 10);
		if (pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/environ", e->d_name);
		if (gt_read_file(&env, path) == 0) {
			for (size_t i = 0; i < env.len;) {
				size_t l = strnlen(env.ptr + i, env.len - i);

				if (l == tlen && !memcmp(env.ptr + i, tag, tlen)) {
					if (kill((pid_t)pid, sig) == 0)
						n++;
					break;
				}
				i += l + 1;
			}
		}
		gt_error_clear();
		gt_buf_release(&env);
	}
	closedir(d);
	return n;
}

int gt_proc_alive(long pid)
{
	char s = pid > 0 ? gt_proc_state(pid) : 0;

	return s && s != 'Z' && s != 'X';
}
