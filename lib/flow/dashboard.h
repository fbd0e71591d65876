/*
 * dashboard.h - what gt-dashboard(1) pushes to its pages as server-sent
 * events (base/httpd.h): the ledger's new events, the town when it
 * changed, and each running agent's pane when it changed.
 *
 * The caller owns the thread: gt_dash_watch_once() is called every
 * GT_DASH_TICK_MS by the one thread that uses ctx (libgit2 objects are
 * not shared), and does the work of a look only while some page watches.
 */
#ifndef GT_DASHBOARD_H
#define GT_DASHBOARD_H

#include <git2.h>

#include "base/buf.h"
#include "base/httpd.h"
#include "store/ops.h"
#include "town/town.h"

#define GT_DASH_TICK_MS	  250
#define GT_DASH_PANES_MAX 256

struct gt_dash_pane {
	char *agent, *json;
};

struct gt_dash_watch {
	struct gt_httpd *h;	    /* where events go */
	const char *const *secrets; /* redacted from the panes before escaping */
	git_oid seen;		    /* the tip whose events were sent */
	int has_seen, status_dirty;
	long ticks;
	struct gt_buf status; /* the town as last sent */
	struct gt_dash_pane panes[GT_DASH_PANES_MAX];
	size_t npanes;
};

/* One look (every GT_DASH_TICK_MS): the ledger's tip always (one ref
 * read); a tip that moved sends each new event as a "feed" event (the
 * gt-feed --json record).  While a page watches: the town every other
 * look or after a commit, sent as "status" (the gt-status --json record)
 * when it changed; the running agents' panes every fourth look, each
 * sent as "pane" when it changed.  The first look only sets the mark.
 * Failures are dropped (the next look tries again). */
void gt_dash_watch_once(struct gt_dash_watch *w, struct gt_ctx *ctx, struct gt_town *t);

/* Free what w holds (not h). */
void gt_dash_watch_release(struct gt_dash_watch *w);

/* The pane of agent's session on tmux server socket as {"agent", "html"}
 * JSON (html from base/ansi.h, after secrets are replaced by
 * "[redacted]"), malloc'd; NULL when it has no session. */
char *gt_dash_pane(const char *socket, const char *agent, const char *const *secrets);

#endif
