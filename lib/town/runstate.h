/*
 * runstate.h - what gt-run(1) says about the run it is driving, and where
 * its transcripts live (DESIGN.md, "Runtimes").  Run state, never the
 * ledger:
 *   <git-common-dir>/gt/run/sessions/<session>.json   the current run:
 *     {run, agent, bead, runtime, mode, protocol, pid (gt-run), child,
 *      status, message, started_at, updated_at, turns, usage, session}
 *     status: starting | running | idle | throttled | retrying | exited
 *   <git-common-dir>/gt/run/env/<run>    the variables handed to the run
 *     (mode 0600, read once and removed: secrets never reach a command
 *     line or the ledger)
 *   <git-common-dir>/gt/runs/<run>/      transcript.jsonl (every line in
 *     and out), summary.txt (what the run did, for gt-seance), record.json
 *     (its usage record)
 * Run ids are "<agent key>.<UTC yyyymmddThhmmss>.<4 hex>", so an agent's
 * runs sort by time.
 */
#ifndef GT_RUNSTATE_H
#define GT_RUNSTATE_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/options.h"
#include "store/repo.h"

/* A new run id for address. */
void gt_run_id_new(struct gt_buf *out, const char *address);
/* The run directory (created when mkdirs). */
int gt_run_dir(struct gt_buf *out, const struct gt_repo *r, const char *run, int mkdirs);

int gt_runstate_read(cJSON **out, const struct gt_repo *r, const char *session);
int gt_runstate_write(const struct gt_repo *r, const char *session, const cJSON *st);
void gt_runstate_remove(const struct gt_repo *r, const char *session);

/* Write env (NAME=VALUE entries) for run, mode 0600. */
int gt_runenv_write(const struct gt_repo *r, const char *run, const struct gt_strlist *env);
/* Read and remove it; entries appended to env (owned).  GT_ENOTFOUND. */
int gt_runenv_take(struct gt_strlist *env, const struct gt_repo *r, const char *run);

/* The ids of address's runs, oldest first (owned strings). */
int gt_run_list(struct gt_strlist *out, const struct gt_repo *r, const char *address);

/* What a run left: {run, record (its usage record, when it ended),
 * summary (text), transcript (path)}.  GT_ENOTFOUND when unknown. */
int gt_run_read(cJSON **out, const struct gt_repo *r, const char *run);
/* The latest ended run of address other than skip (may be NULL), as
 * gt_run_read() gives it; GT_ENOTFOUND when there is none. */
int gt_run_previous(cJSON **out, const struct gt_repo *r, const char *address, const char *skip);

/* How long a run's directory is kept by default (run.ttl): 14 days. */
#define GT_RUN_TTL_MS (14LL * 24 * 3600 * 1000)

/* Remove the directories of runs that ended more than ttl_ms ago (by the
 * time of their record), keeping each agent's latest run (gt-seance,
 * resume).  *removed (if given) gets how many went. */
int gt_run_prune(const struct gt_repo *r, int64_t ttl_ms, long *removed);

#endif
