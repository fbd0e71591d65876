/*
 * feed.h - what happened in the town, from the ledger's history.
 *
 * Every ledger operation is one event (DESIGN.md: the commit log is the
 * audit trail): its time, actor, command and summary, and the beads,
 * agents, rigs, merge requests and commits named by its Gt-* trailers.
 * A commit holds one operation (subject "<command>: <summary>", author =
 * actor) or, when transactions were committed together, several: one
 * "Gt-Op:" line each, followed by that operation's trailers (ledger.h).
 * Nothing else is stored; wisps (protocol mail) have no history and are
 * not in the feed.
 *
 * Both readers walk newest first and stop as soon as they have their
 * answer, so the cost follows what is shown, not the length of history.
 */
#ifndef GT_FEED_H
#define GT_FEED_H

#include <cjson/cJSON.h>
#include <git2.h>

#include "base/options.h"
#include "base/progress.h"
#include "store/ledger.h"

struct gt_feed_filter {
	const char *rig, *agent, *bead;
	const char *rig_prefix; /* bead id prefix of rig (may be NULL) */
	int64_t since_ns;	/* 0: from the start */
};

/* The events of commit c, in the order its operations were committed, as
 * a new JSON array the caller frees.  Each event: time (commit time),
 * actor, email, command (absent when the subject has no "<command>: "),
 * summary, commit, and arrays beads, agents, rigs, merge_requests,
 * commits.  A commit without Gt-Op lines is one event. */
cJSON *gt_feed_commit_events(git_commit *c);

/* Events of commits reachable from the ledger tip but not from *after
 * (all when after is NULL or zero), oldest first, that pass f (tested per
 * event).  limit > 0 keeps only the newest limit events.  The walk goes
 * newest first by commit time and stops at limit and at the first commit
 * older than f->since_ns. */
int gt_feed_read(cJSON **out, struct gt_ledger *lg, const git_oid *after,
		 const struct gt_feed_filter *f, long limit);

/* The changes of bead id, newest first, as a new JSON array the caller
 * frees: one object per commit that changed the bead's blob, with commit,
 * time (author time), author, email, subject, trailers (the rest of the
 * message, when there is one), changes ({field: {old, new}}, updated_at
 * left out, null for absent) and operations (actor, email, command,
 * summary of each operation whose trailers name the bead; author, email
 * and subject are the first one's; in a group commit whose trailers name
 * it nowhere, operations is empty and author and subject are the
 * commit's).  The walk follows, at a merge, a parent holding the same
 * blob (as git log does for a path), compares blob ids only, parses just
 * the commits that changed the bead, and stops after limit changes (> 0)
 * or at the commit that created the bead.  It reads only those commits,
 * from the history index (history.h), which it brings up to date first
 * (the first time, or long after the last, a walk of many commits:
 * progress, NULL for no one, is told of each, as history.h says); when
 * the index cannot be used (a read-only repository) or GT_HISTORY_INDEX
 * is 0, it walks the whole history back instead, with the same answer.
 * GT_ENOTFOUND when the tip has no bead id. */
int gt_feed_bead_log(cJSON **out, struct gt_ledger *lg, const char *id, long limit,
		     const struct gt_progress *progress);

#endif
