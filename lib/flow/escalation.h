/*
 * escalation.h - what needs a person: escalations raised by monitors and
 * agents, deduplicated, mailed to the overseer, acknowledged.
 *
 * An escalation is a bead of type escalation, assigned to `overseer`,
 * with metadata {severity, key, bead, count, raised_by, notified_at,
 * notices}; its priority follows the severity (critical 0, high 1,
 * medium 2, low 3).  One raised with a dedupe key has the id
 * hq-esc-<hash of the key>: raising it again while it is open only counts
 * (metadata.count), and raising it after it was acknowledged opens it
 * again as a new occurrence.  A new one is mailed to the overseer and
 * handed to the command in config escalation.notify (words, run without a
 * shell, with the id, the severity and the title as its last arguments).
 * Unacknowledged ones are raised again (mailed, notified) every
 * escalation.timeout (default 1h) by gt_escalation_renotify().
 */
#ifndef GT_ESCALATION_H
#define GT_ESCALATION_H

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "store/ops.h"
#include "town/town.h"

#define GT_ESCALATION_PREFIX "hq-esc"

struct gt_escalation {
	const char *severity; /* critical, high, medium (default), low */
	const char *key;      /* dedupe key, or NULL */
	const char *bead;     /* the bead it is about, or NULL */
	const char *title;
	const char *body; /* may be NULL */
};

/* Whether s is a severity; its priority in *priority (if given). */
int gt_severity_check(const char *s, int *priority);

/* Raise e.  *id gets the escalation's id; *is_new (if given) tells a new
 * occurrence (mailed and notified) from an open one counted again. */
int gt_escalate(struct gt_buf *id, int *is_new, struct gt_ctx *ctx, const struct gt_town *t,
		const struct gt_escalation *e);

/* Escalations, open ones only unless all, most severe first. */
int gt_escalation_list(cJSON **out, struct gt_ctx *ctx, int all);

/* Acknowledge (close) escalation id with an optional note. */
int gt_escalation_ack(struct gt_ctx *ctx, const char *id, const char *note, int *changed);

/* Raise again every open escalation last notified longer than
 * escalation.timeout ago; *out (if given) gets their ids. */
int gt_escalation_renotify(cJSON **out, struct gt_ctx *ctx, const struct gt_town *t);

#endif
