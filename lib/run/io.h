/*
 * io.h - what a run is made of, and what protocols (proto.h) use to
 * talk to the agent and to tell the runner (runner.h) what happened:
 * spawning the child, writing to it, the pane, the transcript, the end of
 * a turn, the CLI's session id, errors and rate limits.
 */
#ifndef GT_RUN_IO_H
#define GT_RUN_IO_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/buf.h"
#include "base/options.h"
#include "store/ops.h"
#include "town/runtime.h"
#include "town/town.h"
#include "flow/usage.h"

struct gt_runner;

/* A structured protocol (proto.c). */
struct gt_proto_ops {
	/* spawn the agent (gt_runner_spawn()) and give it prompt */
	int (*start)(struct gt_runner *r, const char *prompt);
	/* a new user turn, once the last one ended */
	int (*send)(struct gt_runner *r, const char *text);
	/* one line the agent printed on stdout */
	int (*line)(struct gt_runner *r, const char *line);
	/* the child exited with status: 1 when the run goes on without it
	 * (Codex: one process per turn), 0 when the run is over */
	int (*exited)(struct gt_runner *r, int status);
};

struct gt_runner {
	struct gt_ctx *ctx;
	struct gt_town *t;
	cJSON *agent;
	char *address, *role, *rig, *bead, *session, *run, *dir, *workspace;
	struct gt_runtime rt;
	struct gt_strlist chain; /* the rig's fallback chain */
	struct gt_strlist env;	 /* the agent's whole environment, NULL-terminated */
	FILE *transcript;
	const struct gt_proto_ops *ops;
	void *ps; /* the protocol's state */

	pid_t child;
	int in, out, err; /* pipes to and from the child (-1: closed) */
	struct gt_buf obuf, ebuf, etail;

	char *cli_session; /* the CLI's own session/thread id */
	int turn_active, turn_ended;
	int rate_limited;
	int64_t retry_at_ms; /* when the provider said to come back (0: unknown) */
	int failed;	     /* the agent reported an error */
	struct gt_buf error; /* what it said */
	int compacted;	     /* context compacted: re-prime at turn end */
	struct gt_usage usage;
	int64_t started_ms;
	struct gt_buf said;  /* the last things the agent said (summary) */
	const char *outcome; /* how the run ended: done, stopped, exited, failed */
	char *screen;	     /* the pane's last lines when it failed */
};

int gt_runner_spawn(struct gt_runner *r, const char *const *argv);
int gt_runner_write(struct gt_runner *r, const char *line);
/* Print to the pane: kind "agent" (what it says), "tool" (a call),
 * "result" (a tool's output, shortened), "gt" (gt's own notes). */
void gt_runner_show(struct gt_runner *r, const char *kind, const char *text);
/* The turn ended (usage already added). */
void gt_runner_turn_end(struct gt_runner *r);
void gt_runner_set_session(struct gt_runner *r, const char *id);
/* The agent hit a rate limit; retry_at_ms 0 when unknown. */
void gt_runner_rate_limited(struct gt_runner *r, int64_t retry_at_ms, const char *msg);
void gt_runner_error(struct gt_runner *r, const char *msg);
/* Whether text looks like a rate-limit or quota answer. */
int gt_runner_is_rate_limit(const char *text);
int64_t gt_runner_now_ms(void);

/* Close *fd when open; it becomes -1. */
void gt_runner_close(int *fd);
/* Append a line to the transcript: from is "agent", "stderr", "gt",
 * "spawn" or a tool event. */
void gt_runner_log(struct gt_runner *r, const char *from, const char *line);

#endif
