/*
 * dashboard.c - gt-dashboard's watcher (dashboard.h): the ledger's tip,
 * the town and the panes, compared with what was last sent so that pages
 * get only what changed.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/dashboard.h"
#include "base/ansi.h"
#include "base/error.h"
#include "base/json.h"
#include "flow/status.h"
#include "store/feed.h"
#include "store/ledger.h"
#include "town/session.h"
#include "base/banned.h"

#define PANE_LINES 80

char *gt_dash_pane(const char *socket, const char *agent, const char *const *secrets)
{
	struct gt_buf s = GT_BUF_INIT, raw = GT_BUF_INIT, html = GT_BUF_INIT;
	cJSON *o = NULL;
	char *text = NULL;

	gt_session_name(&s, agent);
	if (gt_session_capture_styled(&raw, socket, s.ptr, PANE_LINES) == 0) {
		struct gt_buf j = GT_BUF_INIT;

		/* before escaping, which would hide a secret holding & < > " ' */
		gt_httpd_redact(&raw, secrets);
		gt_ansi_html(&html, gt_buf_cstr(&raw));
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "agent", agent);
		cJSON_AddStringToObject(o, "html", html.ptr ? html.ptr : "");
		gt_json_write(&j, o);
		text = gt_buf_detach(&j);
	} else {
		gt_error_clear();
	}
	cJSON_Delete(o);
	gt_buf_release(&s);
	gt_buf_release(&raw);
	gt_buf_release(&html);
	return text;
}

static void send_feed(struct gt_dash_watch *w, struct gt_ctx *ctx)
{
	struct gt_feed_filter all = { 0 };
	cJSON *ev = NULL, *e;

	if (gt_feed_read(&ev, ctx->lg, &w->seen, &all, 0) < 0) {
		gt_error_clear();
		return;
	}
	cJSON_ArrayForEach (e, ev) {
		struct gt_buf b = GT_BUF_INIT;

		gt_json_write(&b, e);
		gt_httpd_broadcast(w->h, "feed", NULL, b.ptr);
		gt_buf_release(&b);
	}
	cJSON_Delete(ev);
}

static void send_status(struct gt_dash_watch *w, struct gt_ctx *ctx, struct gt_town *t, cJSON **st)
{
	struct gt_buf b = GT_BUF_INIT;

	if (gt_town_status(st, ctx, t) < 0) {
		gt_error_clear();
		*st = NULL;
		return;
	}
	gt_json_write(&b, *st);
	if (b.len != w->status.len || memcmp(b.ptr, w->status.ptr, b.len)) {
		gt_httpd_broadcast(w->h, "status", "status", b.ptr);
		gt_buf_release(&w->status);
		w->status = b;
	} else {
		gt_buf_release(&b);
	}
}

static void send_panes(struct gt_dash_watch *w, const cJSON *st, const char *socket)
{
	const cJSON *a;

	cJSON_ArrayForEach (a, cJSON_GetObjectItemCaseSensitive(st, "agents")) {
		const char *addr = gt_json_str(a, "address");
		struct gt_buf key = GT_BUF_INIT;
		char *p;
		size_t i;

		if (!addr || !gt_json_bool(a, "session_running") ||
		    !(p = gt_dash_pane(socket, addr, w->secrets)))
			continue;
		for (i = 0; i < w->npanes && strcmp(w->panes[i].agent, addr); i++)
			;
		if (i < w->npanes && w->panes[i].json && !strcmp(w->panes[i].json, p)) {
			free(p); /* unchanged */
			continue;
		}
		if (i == w->npanes && i < GT_DASH_PANES_MAX) {
			w->panes[i].agent = gt_strdup(addr);
			w->panes[i].json = NULL;
			w->npanes++;
		}
		gt_buf_printf(&key, "pane:%s", addr);
		gt_httpd_broadcast(w->h, "pane", key.ptr, p);
		gt_buf_release(&key);
		if (i < w->npanes) {
			free(w->panes[i].json);
			w->panes[i].json = p;
		} else {
			free(p);
		}
	}
}

void gt_dash_watch_once(struct gt_dash_watch *w, struct gt_ctx *ctx, struct gt_town *t)
{
	cJSON *st = NULL;

	if (gt_ledger_refresh(ctx->lg) < 0) {
		gt_error_clear();
		return;
	}
	if (ctx->lg->has_tip && (!w->has_seen || git_oid_cmp(&w->seen, &ctx->lg->tip))) {
		if (w->has_seen)
			send_feed(w, ctx);
		git_oid_cpy(&w->seen, &ctx->lg->tip);
		w->has_seen = 1;
		w->status_dirty = 1;
	}
	w->ticks++;
	if (gt_httpd_streams(w->h) <= 0)
		return;
	if (w->status_dirty || w->ticks % 2 == 0) {
		send_status(w, ctx, t, &st);
		w->status_dirty = 0;
		if (st && w->ticks % 4 == 0)
			send_panes(w, st, t->socket);
	}
	cJSON_Delete(st);
}

void gt_dash_watch_release(struct gt_dash_watch *w)
{
	for (size_t i = 0; i < w->npanes; i++) {
		free(w->panes[i].agent);
		free(w->panes[i].json);
	}
	w->npanes = 0;
	gt_buf_release(&w->status);
}
