/*
 * nudge.c - typing into sessions under a lock, and the nudge queue.
 */
#include "town/nudge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/lock.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/repo.h"
#include "town/runtime.h"
#include "town/session.h"
#include "base/banned.h"

int gt_nudge_mode_parse(enum gt_nudge_mode *out, const char *s)
{
	if (!strcmp(s, "immediate"))
		*out = GT_NUDGE_IMMEDIATE;
	else if (!strcmp(s, "wait-idle"))
		*out = GT_NUDGE_WAIT_IDLE;
	else if (!strcmp(s, "queue"))
		*out = GT_NUDGE_QUEUE;
	else
		return gt_error_set(GT_EUSAGE, "mode '%s' is not immediate, wait-idle or queue", s);
	return 0;
}

static int queue_dir(struct gt_buf *out, struct gt_repo *r, const char *session, int mkdirs)
{
	struct gt_buf name = GT_BUF_INIT;
	int rc;

	gt_buf_printf(&name, "nudges/%s/x", session);
	rc = gt_repo_runtime_path(out, r, name.ptr, mkdirs);
	if (rc == 0)
		gt_buf_truncate(out, out->len - 2);
	gt_buf_release(&name);
	return rc;
}

int gt_nudge_enqueue(struct gt_repo *r, const char *session, const char *sender, const char *text)
{
	struct gt_buf dir = GT_BUF_INIT, path = GT_BUF_INIT, data = GT_BUF_INIT;
	char now[40];
	cJSON *o = cJSON_CreateObject();
	int rc = queue_dir(&dir, r, session, 1);

	gt_time_now(now, sizeof(now));
	gt_json_set_str(o, "from", sender ? sender : "");
	gt_json_set_str(o, "text", text);
	gt_json_set_str(o, "at", now);
	gt_json_write(&data, o);
	gt_buf_addch(&data, '\n');
	/* names sort by time: nanoseconds, zero-padded, then the pid */
	gt_buf_printf(&path, "%s/%020lld-%ld.json", dir.ptr, (long long)gt_time_now_ns(),
		      (long)getpid());
	if (rc == 0)
		rc = gt_write_file_atomic(path.ptr, data.ptr, data.len);
	cJSON_Delete(o);
	gt_buf_release(&dir);
	gt_buf_release(&path);
	gt_buf_release(&data);
	return rc;
}

int gt_nudge_drain(cJSON **out, struct gt_repo *r, const char *session)
{
	struct gt_buf dir = GT_BUF_INIT, path = GT_BUF_INIT, lockp = GT_BUF_INIT,
		      text = GT_BUF_INIT;
	struct gt_strlist names = { 0 };
	int rc, fd = -1;

	*out = cJSON_CreateArray();
	if ((rc = queue_dir(&dir, r, session, 0)) < 0 ||
	    (rc = gt_dir_names(dir.ptr, ".json", &names)) < 0)
		goto out;
	/* two drains at once must not both deliver a nudge */
	gt_buf_printf(&lockp, "%s/.lock", dir.ptr);
	if (names.n && (rc = gt_lock_acquire(&fd, lockp.ptr, 5000)) < 0)
		goto out;
	for (size_t i = 0; i < names.n; i++) {
		cJSON *o = NULL;

		gt_buf_reset(&path);
		gt_buf_printf(&path, "%s/%s", dir.ptr, names.v[i]);
		gt_buf_reset(&text);
		if (gt_read_file(&text, path.ptr) < 0) {
			gt_error_clear();
			continue; /* taken by another drain */
		}
		if (unlink(path.ptr) < 0)
			continue;
		if (gt_json_parse(&o, text.ptr, text.len, path.ptr, 1) == 0)
			cJSON_AddItemToArray(*out, o);
		gt_error_clear();
	}
out:
	if (fd >= 0)
		gt_lock_release(fd);
	gt_strlist_release_owned(&names);
	gt_buf_release(&dir);
	gt_buf_release(&path);
	gt_buf_release(&text);
	gt_buf_release(&lockp);
	return rc;
}

void gt_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int gt_session_wait_idle(const char *socket, const char *session, const struct gt_runtime *rt,
			 long timeout_ms, int lines)
{
	struct gt_buf pane = GT_BUF_INIT;
	int rc = 0, hits = 0;

	for (long waited = 0; waited <= timeout_ms; waited += 200) {
		if ((rc = gt_session_capture(&pane, socket, session, lines)) < 0)
			break;
		hits = gt_runtime_idle(rt, pane.ptr) == 0 ? hits + 1 : 0;
		if (hits == 2)
			break;
		gt_sleep_ms(200);
	}
	gt_buf_release(&pane);
	return rc < 0 ? rc : hits == 2 ? 0 : GT_ENO;
}

/* Control characters would act as keys: tabs and newlines become spaces,
 * the rest goes. */
static void sanitize(struct gt_buf *out, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\t' || *p == '\n' || *p == '\r')
			gt_buf_addch(out, ' ');
		else if (*p >= 0x20 && *p != 0x7f)
			gt_buf_addch(out, (char)*p);
	}
}

static int type_locked(struct gt_repo *r, const char *socket, const char *session, const char *text)
{
	struct gt_buf lockp = GT_BUF_INIT, name = GT_BUF_INIT, clean = GT_BUF_INIT;
	int fd = -1, rc;

	gt_buf_printf(&name, "locks/nudge-%s", session);
	sanitize(&clean, text);
	rc = gt_repo_runtime_path(&lockp, r, name.ptr, 1);
	if (rc == 0)
		rc = gt_lock_acquire(&fd, lockp.ptr, 30000);
	if (rc == 0) {
		rc = gt_session_type(socket, session, clean.ptr, 0);
		/* let the TUI take the text in before Enter arrives as a key of
		 * its own */
		gt_sleep_ms(150);
		if (rc == 0)
			rc = gt_session_type(socket, session, "", 1);
		gt_lock_release(fd);
	}
	gt_buf_release(&lockp);
	gt_buf_release(&name);
	gt_buf_release(&clean);
	return rc;
}

int gt_nudge_send(struct gt_repo *r, const char *socket, const char *session,
		  const struct gt_runtime *rt, const char *sender, const char *text,
		  enum gt_nudge_mode mode, long timeout_ms, int *queued)
{
	int rc = 0;

	*queued = 0;
	if (mode != GT_NUDGE_QUEUE && gt_session_has(socket, session) != 0) {
		rc = gt_error_set(GT_ENOTFOUND, "session '%s' is not running", session);
		gt_error_hint("use --mode queue to leave it for the agent's next start");
		return rc;
	}
	if (mode == GT_NUDGE_WAIT_IDLE && rt && rt->ready) {
		rc = gt_session_wait_idle(socket, session, rt, timeout_ms, 5);
		if (rc == GT_ENO) {
			rc = 0;
			mode = GT_NUDGE_QUEUE;
		}
	} else if (mode == GT_NUDGE_WAIT_IDLE) {
		mode = GT_NUDGE_QUEUE; /* cannot tell when it is idle: its hook drains */
	}
	if (rc == 0 && mode == GT_NUDGE_QUEUE) {
		rc = gt_nudge_enqueue(r, session, sender, text);
		*queued = rc == 0;
	} else if (rc == 0) {
		rc = type_locked(r, socket, session, text);
	}
	return rc;
}
