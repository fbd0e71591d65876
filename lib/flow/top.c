/*
 * top.c - the cockpit's data and its layout as text (top.h).
 */
#include "flow/top.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ansi.h"
#include "base/error.h"
#include "base/json.h"
#include "store/feed.h"
#include "town/session.h"
#include "flow/status.h"
#include "base/banned.h"

int gt_top_read(cJSON **out, struct gt_ctx *ctx, const struct gt_town *t, long feed_n)
{
	struct gt_feed_filter f = { 0 };
	cJSON *st = NULL, *ev = NULL;
	int rc;

	*out = NULL;
	if ((rc = gt_town_status(&st, ctx, t)) < 0)
		return rc;
	if (feed_n > 0 && (rc = gt_feed_read(&ev, ctx->lg, NULL, &f, feed_n)) < 0) {
		cJSON_Delete(st);
		return rc;
	}
	cJSON_AddItemToObject(st, "feed", ev ? ev : cJSON_CreateArray());
	*out = st;
	return 0;
}

size_t gt_top_columns(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

size_t gt_top_fit(const char *s, size_t cols)
{
	size_t i = 0, n = 0;

	while (s[i]) {
		size_t j = i + 1;

		while (((unsigned char)s[j] & 0xc0) == 0x80)
			j++;
		if (++n > cols)
			break;
		i = j;
	}
	return i;
}

/* Append s as one cell: control characters as spaces, cut to w columns
 * and padded to them (w 0: as it is, cut nowhere). */
static void cell(struct gt_buf *b, const char *s, size_t w)
{
	size_t start = b->len, cols;

	if (!s || !*s)
		s = "-";
	for (const char *p = s; *p; p++)
		gt_buf_addch(b, (unsigned char)*p < 0x20 || *p == 0x7f ? ' ' : *p);
	if (!w)
		return;
	cols = gt_top_columns(b->ptr + start);
	if (cols > w) {
		gt_buf_truncate(b, start + gt_top_fit(b->ptr + start, w));
		cols = w;
	}
	for (; cols < w; cols++)
		gt_buf_addch(b, ' ');
}

static void add_line(struct gt_top_frame *f, enum gt_top_kind kind, int index, struct gt_buf *b,
		     int width)
{
	struct gt_top_line *l;

	if (f->n == f->alloc) {
		f->alloc = f->alloc ? 2 * f->alloc : 64;
		f->lines = gt_realloc(f->lines, f->alloc * sizeof(*f->lines));
	}
	l = &f->lines[f->n++];
	/* trailing padding serves nobody */
	while (b->len && b->ptr[b->len - 1] == ' ')
		gt_buf_truncate(b, b->len - 1);
	gt_buf_truncate(b, gt_top_fit(gt_buf_cstr(b), (size_t)width));
	l->kind = kind;
	l->index = index;
	l->bar = l->fill = 0;
	l->text = gt_strdup(gt_buf_cstr(b));
	gt_buf_reset(b);
}

static void add_text(struct gt_top_frame *f, enum gt_top_kind kind, int width, const char *s)
{
	struct gt_buf b = GT_BUF_INIT;

	if (*s)
		cell(&b, s, 0);
	add_line(f, kind, -1, &b, width);
	gt_buf_release(&b);
}

static const cJSON *arr(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* The widest value of key over the records in a, between lo and hi. */
static size_t widest(const cJSON *a, const char *key, size_t lo, size_t hi)
{
	const cJSON *it;
	size_t w = lo;

	cJSON_ArrayForEach (it, a) {
		const char *s = gt_json_str(it, key);
		size_t n = s ? gt_top_columns(s) : 1;

		if (n > w)
			w = n;
	}
	return w < hi ? w : hi;
}

/* Append what a run or runs cost, as gt-status(1) shows it ("1200
 * in/340 out $0.4200"), when u holds tokens or a cost. */
static void usage_text(struct gt_buf *b, const cJSON *u)
{
	const cJSON *cost = cJSON_GetObjectItemCaseSensitive(u, "cost_usd");
	int64_t in = 0, out = 0;

	gt_json_int(u, "tokens_in", &in);
	gt_json_int(u, "tokens_out", &out);
	if (!in && !out && !cJSON_IsNumber(cost))
		return;
	gt_buf_printf(b, "%lld in/%lld out", (long long)in, (long long)out);
	if (cJSON_IsNumber(cost))
		gt_buf_printf(b, " $%.4f", cost->valuedouble);
}

static const cJSON *run_usage(const cJSON *agent)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(agent, "run"),
						"usage");
}

static void heading(struct gt_top_frame *f, int width, const char *name, const cJSON *a)
{
	struct gt_buf b = GT_BUF_INIT;

	add_text(f, GT_TOP_TEXT, width, "");
	gt_buf_printf(&b, "%s (%d)", name, cJSON_GetArraySize(a));
	add_line(f, GT_TOP_HEADING, -1, &b, width);
	if (!cJSON_GetArraySize(a))
		add_text(f, GT_TOP_NONE, width, "  (none)");
	gt_buf_release(&b);
}

static void title(struct gt_top_frame *f, const cJSON *m, int width)
{
	const cJSON *d = arr(m, "deacon"), *e = arr(m, "estop"), *it;
	struct gt_buf b = GT_BUF_INIT;
	int64_t pid = 0;
	int stopped = 0;

	gt_buf_adds(&b, "town ");
	cell(&b, gt_json_str(m, "town"), 0);
	if (gt_json_bool(d, "running") && gt_json_int(d, "pid", &pid) == 0)
		gt_buf_printf(&b, "  deacon running (pid %lld)", (long long)pid);
	else
		gt_buf_adds(&b, gt_json_bool(d, "running") ? "  deacon running"
							   : "  deacon not running");
	stopped = cJSON_GetObjectItemCaseSensitive(e, "town") || cJSON_GetArraySize(arr(e, "rigs"));
	gt_buf_adds(&b, stopped ? "  E-STOP" : "  e-stop off");
	add_line(f, GT_TOP_TITLE, -1, &b, width);
	if ((it = cJSON_GetObjectItemCaseSensitive(e, "town"))) {
		gt_buf_adds(&b, "E-STOP in force for the whole town: ");
		cell(&b, gt_json_str(it, "reason"), 0);
		add_line(f, GT_TOP_ALERT, -1, &b, width);
	}
	cJSON_ArrayForEach (it, arr(e, "rigs")) {
		gt_buf_adds(&b, "E-STOP in force for rig ");
		cell(&b, it->string, 0);
		gt_buf_adds(&b, ": ");
		cell(&b, gt_json_str(it, "reason"), 0);
		add_line(f, GT_TOP_ALERT, -1, &b, width);
	}
	cJSON_ArrayForEach (it, arr(e, "parked")) {
		gt_buf_adds(&b, "rig ");
		cell(&b, cJSON_IsString(it) ? it->valuestring : NULL, 0);
		gt_buf_adds(&b, " is parked");
		add_line(f, GT_TOP_ALERT, -1, &b, width);
	}
	gt_buf_adds(&b, "rigs:");
	cJSON_ArrayForEach (it, arr(m, "rigs")) {
		int64_t n = 0, w = 0;

		gt_json_int(it, "agents", &n);
		gt_json_int(it, "working", &w);
		gt_buf_adds(&b, "  ");
		cell(&b, gt_json_str(it, "name"), 0);
		gt_buf_printf(&b, " %lld/%lld working", (long long)w, (long long)n);
	}
	if (!cJSON_GetArraySize(arr(m, "rigs")))
		gt_buf_adds(&b, " (none)");
	add_line(f, GT_TOP_TEXT, -1, &b, width);
	gt_buf_release(&b);
}

static void agents(struct gt_top_frame *f, const cJSON *m, int width)
{
	const cJSON *a = arr(m, "agents"), *it;
	struct gt_buf b = GT_BUF_INIT;
	size_t wa = widest(a, "address", 7, 32), ws = widest(a, "state", 5, 10),
	       wh = widest(a, "hook", 4, 16), wp = widest(a, "step", 4, 16), wu = 0;
	struct gt_buf u = GT_BUF_INIT;
	int i = 0;

	/* a column for usage only when some run reported it */
	cJSON_ArrayForEach (it, a) {
		gt_buf_reset(&u);
		usage_text(&u, run_usage(it));
		if (u.len && gt_top_columns(u.ptr) > wu)
			wu = gt_top_columns(u.ptr);
	}
	heading(f, width, "AGENTS", a);
	if (!cJSON_GetArraySize(a))
		goto out;
	gt_buf_adds(&b, "  ");
	cell(&b, "ADDRESS", wa + 2);
	cell(&b, "STATE", ws + 2);
	cell(&b, "HOOK", wh + 2);
	cell(&b, "STEP", wp + 2);
	cell(&b, "SESSION", 9);
	cell(&b, "LAST ACTIVITY", 22);
	cell(&b, "RESTARTS", 10);
	if (wu)
		cell(&b, "USAGE", wu + 2);
	cell(&b, "LAST COMMAND", 0);
	add_line(f, GT_TOP_COLUMNS, -1, &b, width);
	cJSON_ArrayForEach (it, a) {
		int64_t r = 0;
		char rs[24];

		gt_json_int(it, "restarts", &r);
		snprintf(rs, sizeof(rs), "%lld", (long long)r);
		gt_buf_adds(&b, "  ");
		cell(&b, gt_json_str(it, "address"), wa + 2);
		cell(&b, gt_json_str(it, "state"), ws + 2);
		cell(&b, gt_json_str(it, "hook"), wh + 2);
		cell(&b, gt_json_str(it, "step"), wp + 2);
		cell(&b, gt_json_bool(it, "session_running") ? "running" : "stopped", 9);
		cell(&b, gt_json_str(it, "last_activity"), 22);
		cell(&b, rs, 10);
		if (wu) {
			gt_buf_reset(&u);
			usage_text(&u, run_usage(it));
			cell(&b, u.len ? u.ptr : "", wu + 2);
		}
		cell(&b, gt_json_str(it, "last_command"), 0);
		add_line(f, GT_TOP_AGENT, i++, &b, width);
	}
out:
	gt_buf_release(&b);
	gt_buf_release(&u);
}

static void convoys(struct gt_top_frame *f, const cJSON *m, int width)
{
	const cJSON *a = arr(m, "convoys"), *it;
	struct gt_buf b = GT_BUF_INIT;
	size_t wi = widest(a, "id", 2, 24), bar = width >= 100 ? 20 : 10;
	int i = 0;

	heading(f, width, "CONVOYS", a);
	cJSON_ArrayForEach (it, a) {
		int64_t done = 0, total = 0;
		size_t fill, at;
		struct gt_top_line *l;

		gt_json_int(it, "done", &done);
		gt_json_int(it, "total", &total);
		fill = total > 0 && done > 0
			       ? (size_t)((done > total ? total : done) * (int64_t)bar / total)
			       : 0;
		gt_buf_adds(&b, "  ");
		cell(&b, gt_json_str(it, "id"), wi + 2);
		gt_buf_addch(&b, '[');
		at = b.len;
		for (size_t k = 0; k < bar; k++)
			gt_buf_addch(&b, k < fill ? '#' : '-');
		gt_buf_printf(&b, "] %lld/%lld  ", (long long)done, (long long)total);
		cell(&b, gt_json_str(it, "title"), 0);
		gt_buf_adds(&b, "  "); /* trailing blanks are cut */
		usage_text(&b, arr(it, "cost"));
		add_line(f, GT_TOP_CONVOY, i++, &b, width);
		l = &f->lines[f->n - 1];
		/* the bar may have been cut by a narrow screen */
		if (at < strlen(l->text)) {
			l->bar = at;
			l->fill = fill < strlen(l->text) - at ? fill : strlen(l->text) - at;
		}
	}
	gt_buf_release(&b);
}

static void queue(struct gt_top_frame *f, const cJSON *m, int width)
{
	const cJSON *a = arr(m, "merge_queue"), *it;
	struct gt_buf b = GT_BUF_INIT;
	size_t wi = widest(a, "id", 2, 24), wq = widest(a, "queue", 5, 12);
	int i = 0;

	heading(f, width, "MERGE QUEUE", a);
	cJSON_ArrayForEach (it, a) {
		gt_buf_adds(&b, "  ");
		cell(&b, gt_json_str(it, "id"), wi + 2);
		cell(&b, gt_json_str(it, "queue"), wq + 2);
		cell(&b, gt_json_str(arr(it, "metadata"), "rig"), 12);
		cell(&b, gt_json_str(it, "title"), 0);
		add_line(f, GT_TOP_MQ, i++, &b, width);
	}
	gt_buf_release(&b);
}

static void escalations(struct gt_top_frame *f, const cJSON *m, int width)
{
	const cJSON *a = arr(m, "escalations"), *it;
	struct gt_buf b = GT_BUF_INIT;
	size_t wi = widest(a, "id", 2, 24);
	int i = 0;

	heading(f, width, "ESCALATIONS", a);
	cJSON_ArrayForEach (it, a) {
		int64_t count = 1;
		char cs[24];

		gt_json_int(it, "count", &count);
		snprintf(cs, sizeof(cs), "%lldx", (long long)count);
		gt_buf_adds(&b, "  ");
		cell(&b, gt_json_str(it, "id"), wi + 2);
		cell(&b, gt_json_str(it, "severity"), 10);
		cell(&b, cs, 6);
		cell(&b, gt_json_str(it, "title"), 0);
		add_line(f, GT_TOP_ESCALATION, i++, &b, width);
	}
	gt_buf_release(&b);
}

static void feed(struct gt_top_frame *f, const cJSON *m, int width)
{
	const cJSON *a = arr(m, "feed"), *it;
	struct gt_buf b = GT_BUF_INIT;
	size_t wa = widest(a, "actor", 5, 28);
	int i = 0;

	heading(f, width, "FEED", a);
	cJSON_ArrayForEach (it, a) {
		gt_buf_adds(&b, "  ");
		cell(&b, gt_json_str(it, "time"), 22);
		cell(&b, gt_json_str(it, "actor"), wa + 2);
		if (gt_json_str(it, "command")) {
			cell(&b, gt_json_str(it, "command"), 0);
			gt_buf_adds(&b, ": ");
		}
		cell(&b, gt_json_str(it, "summary"), 0);
		add_line(f, GT_TOP_FEED, i++, &b, width);
	}
	gt_buf_release(&b);
}

void gt_top_layout(struct gt_top_frame *f, const cJSON *model, int width)
{
	gt_top_frame_release(f);
	if (width < 20)
		width = 20;
	title(f, model, width);
	agents(f, model, width);
	convoys(f, model, width);
	queue(f, model, width);
	escalations(f, model, width);
	feed(f, model, width);
}

void gt_top_frame_release(struct gt_top_frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->lines[i].text);
	free(f->lines);
	f->lines = NULL;
	f->n = f->alloc = 0;
}

int gt_top_capture(struct gt_buf *out, const struct gt_town *t, const char *address, int lines,
		   int escapes)
{
	struct gt_buf s = GT_BUF_INIT;
	int rc;

	gt_buf_reset(out);
	gt_session_name(&s, address);
	if (gt_session_has(t->socket, s.ptr) != 0) {
		rc = gt_error_set(GT_ENOTFOUND, "no session for '%s'", address);
		goto out;
	}
	rc = escapes ? gt_session_capture_styled(out, t->socket, s.ptr, lines)
		     : gt_session_capture(out, t->socket, s.ptr, lines);
out:
	gt_buf_release(&s);
	return rc;
}
