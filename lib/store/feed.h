/*
 * feed.h - what happened in the town, from the ledger's history.
 *
 * Every ledger commit is one event (DESIGN.md: the commit log is the
 * audit trail): its time, author (the actor), command and summary from
 * the subject "<command>: <summary>", and the beads, agents, rigs, merge
 * requests and commits named by its Gt-* trailers.  Nothing else is
 * stored; wisps (protocol mail) have no history and are not in the feed.
 */
#ifndef GT_FEED_H
#define GT_FEED_H

#include <cjson/cJSON.h>
#include <git2.h>

#include "base/options.h"
#include "store/ledger.h"

struct gt_feed_filter {
	const char *rig, *agent, *bead;
	const char *rig_prefix; /* bead id prefix of rig (may be NULL) */
	int64_t since_ns;	/* 0: from the start */
};

/* Events of commits reachable from the ledger tip but not from *after
 * (all when after is NULL or zero), oldest first, that pass f.  limit >
 * 0 keeps only the newest limit. */
int gt_feed_read(cJSON **out, struct gt_ledger *lg, const git_oid *after,
		 const struct gt_feed_filter *f, long limit);

#endif
