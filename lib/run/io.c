/*
 * io.c - the run's child, pane and transcript (io.h).
 */
#include "run/io.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/options.h"
#include "base/proc.h"
#include "store/bead.h"
#include "store/query.h"
#include "base/banned.h"

extern char **environ;

int64_t gt_runner_now_ms(void)
{
	return gt_time_now_ns() / 1000000;
}

/* ---- the pane and the transcript ---- */

void gt_runner_log(struct gt_runner *r, const char *from, const char *line)
{
	cJSON *o;
	struct gt_buf b = GT_BUF_INIT;

	if (!r->transcript)
		return;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "at", (double)gt_runner_now_ms());
	gt_json_set_str(o, "from", from);
	gt_json_set_str(o, "line", line);
	gt_json_write(&b, o);
	fprintf(r->transcript, "%s\n", b.ptr);
	fflush(r->transcript);
	cJSON_Delete(o);
	gt_buf_release(&b);
}

void gt_runner_show(struct gt_runner *r, const char *kind, const char *text)
{
	const char *color = "";
	int lines = 0, max = !strcmp(kind, "result") ? 6 : 200;

	if (!text || !*text)
		return;
	if (!strcmp(kind, "tool"))
		color = "\033[36m$ ";
	else if (!strcmp(kind, "result"))
		color = "\033[2m";
	else if (!strcmp(kind, "gt"))
		color = "\033[33m[gt] ";
	fputs(color, stdout);
	for (const char *p = text; *p; p++) {
		if (*p == '\n' && ++lines >= max) {
			if (p[1])
				fputs("\n  ...", stdout);
			break;
		}
		/* control characters from the agent never drive the terminal */
		if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
			putchar('?');
		else
			putchar(*p);
	}
	fputs(*color ? "\033[0m\n" : "\n", stdout);
	fflush(stdout);
	if (!strcmp(kind, "agent")) {
		/* the last things said, for the summary gt-seance shows */
		gt_buf_adds(&r->said, text);
		gt_buf_addch(&r->said, '\n');
		if (r->said.len > 4000) {
			size_t cut = r->said.len - 3000;

			memmove(r->said.ptr, r->said.ptr + cut, r->said.len - cut + 1);
			r->said.len -= cut;
		}
	}
}

/* ---- the child ---- */

int gt_runner_spawn(struct gt_runner *r, const char *const *argv)
{
	int in[2], out[2], err[2];
	pid_t pid;

	if (pipe(in) < 0 || pipe(out) < 0 || pipe(err) < 0)
		return gt_error_errno(GT_EFAIL, "cannot make pipes");
	fflush(NULL);
	if ((pid = fork()) < 0)
		return gt_error_errno(GT_EFAIL, "cannot fork");
	if (pid == 0) {
		setpgid(0, 0);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		gt_close_fds_from(3, -1);
		signal(SIGPIPE, SIG_DFL);
		if (r->workspace && chdir(r->workspace) < 0)
			_exit(126);
		environ = (char **)r->env.v;
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	r->child = pid;
	r->in = in[1];
	r->out = out[0];
	r->err = err[0];
	fcntl(r->in, F_SETFD, FD_CLOEXEC);
	fcntl(r->out, F_SETFD, FD_CLOEXEC);
	fcntl(r->err, F_SETFD, FD_CLOEXEC);
	gt_buf_reset(&r->obuf);
	gt_buf_reset(&r->ebuf);
	{
		struct gt_buf w = GT_BUF_INIT;

		for (size_t i = 0; argv[i]; i++)
			gt_buf_printf(&w, "%s%s", i ? " " : "", argv[i]);
		gt_runner_log(r, "spawn", w.ptr);
		gt_buf_release(&w);
	}
	return 0;
}

int gt_runner_write(struct gt_runner *r, const char *line)
{
	size_t n = strlen(line);

	gt_runner_log(r, "gt", line);
	if (r->in < 0)
		return gt_error_set(GT_EFAIL, "the agent's input is closed");
	if (write(r->in, line, n) != (ssize_t)n || write(r->in, "\n", 1) != 1)
		return gt_error_errno(GT_EFAIL, "cannot write to the agent");
	return 0;
}

void gt_runner_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- what protocols report ---- */

void gt_runner_turn_end(struct gt_runner *r)
{
	r->turn_active = 0;
	r->turn_ended = 1;
	r->usage.turns++;
}

void gt_runner_set_session(struct gt_runner *r, const char *id)
{
	if (!id || !*id || (r->cli_session && !strcmp(r->cli_session, id)))
		return;
	free(r->cli_session);
	r->cli_session = gt_strdup(id);
}

void gt_runner_rate_limited(struct gt_runner *r, int64_t retry_at_ms, const char *msg)
{
	r->rate_limited = 1;
	if (retry_at_ms > r->retry_at_ms)
		r->retry_at_ms = retry_at_ms;
	gt_runner_error(r, msg ? msg : "rate limited");
}

void gt_runner_error(struct gt_runner *r, const char *msg)
{
	r->failed = 1;
	gt_buf_reset(&r->error);
	gt_buf_adds(&r->error, msg ? msg : "error");
}

int gt_runner_is_rate_limit(const char *text)
{
	static const char *const words[] = { "rate limit",
					     "rate_limit",
					     "ratelimit",
					     "429",
					     "quota",
					     "too many requests",
					     "usage limit",
					     "session limit",
					     "resource has been exhausted",
					     "resource_exhausted",
					     "overloaded",
					     NULL };

	for (size_t i = 0; text && words[i]; i++)
		if (gt_contains_ci(text, words[i]))
			return 1;
	return 0;
}
