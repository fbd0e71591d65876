/*
 * top.h - the cockpit (gt-top(1)): the town as gt-status and gt-feed see
 * it, laid out as lines of text for a screen of a given width, and the
 * agent's pane as gt-peek captures it.
 *
 * The data is gt_town_status() and gt_feed_read(), nothing of its own, so
 * the cockpit never disagrees with the commands.  The layout is plain
 * text (gt-top --once prints it as it is); each line says what it shows,
 * so a screen can give it a colour, and which agent or escalation it is,
 * so a screen can select it.  Nothing here draws or reads keys.
 */
#ifndef GT_TOP_H
#define GT_TOP_H

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "store/ops.h"
#include "town/town.h"

/* The cockpit's data: gt_town_status()'s object with "feed" added, the
 * last feed_n events of gt_feed_read() (oldest first; none when feed_n
 * is 0).  The caller frees *out. */
int gt_top_read(cJSON **out, struct gt_ctx *ctx, const struct gt_town *t, long feed_n);

enum gt_top_kind {
	GT_TOP_TITLE,	   /* the town and its deacon */
	GT_TOP_ALERT,	   /* an e-stop in force, a parked rig */
	GT_TOP_TEXT,	   /* anything else: rigs, blank lines */
	GT_TOP_HEADING,	   /* a section's name and count */
	GT_TOP_COLUMNS,	   /* a section's column names */
	GT_TOP_NONE,	   /* "(none)" under an empty section */
	GT_TOP_AGENT,	   /* index: the agent's place in "agents" */
	GT_TOP_CONVOY,	   /* index: in "convoys" */
	GT_TOP_MQ,	   /* index: in "merge_queue" */
	GT_TOP_ESCALATION, /* index: in "escalations" */
	GT_TOP_FEED,	   /* index: in "feed" */
};

struct gt_top_line {
	enum gt_top_kind kind;
	int index;	  /* see the kinds; -1 for the others */
	size_t bar, fill; /* a convoy's bar: byte offset of its inside, filled length */
	char *text;	  /* one line, no control characters, at most width columns */
};

struct gt_top_frame {
	struct gt_top_line *lines;
	size_t n, alloc;
};

/* Lay out model (gt_top_read()) for a screen width columns wide (at
 * least 20 is used): the title, e-stops and rigs, then sections AGENTS
 * (address, state, hook, step, session, last activity, restarts, last
 * command, the tokens and cost its run reported), CONVOYS (id, a
 * progress bar, done/total, title, what its beads' runs cost), MERGE QUEUE
 * (id, state, rig, title), ESCALATIONS (id, severity, count, title) and
 * FEED (time, actor, command: summary).  Rows are indented by two
 * columns, which a screen may use to mark the selected one.  f is
 * emptied first. */
void gt_top_layout(struct gt_top_frame *f, const cJSON *model, int width);
void gt_top_frame_release(struct gt_top_frame *f);

/* How many columns s takes (UTF-8 code points; a wide character counts
 * as one). */
size_t gt_top_columns(const char *s);
/* The byte length of the longest prefix of s no wider than cols. */
size_t gt_top_fit(const char *s, size_t cols);

/* The end of agent's pane, like gt-peek: the last lines lines of session
 * name on the town's tmux server, with the colour sequences kept when
 * escapes (for gt_ansi_next()), trailing blank lines dropped.
 * GT_ENOTFOUND when the session is not running. */
int gt_top_capture(struct gt_buf *out, const struct gt_town *t, const char *address, int lines,
		   int escapes);

#endif
