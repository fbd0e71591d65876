/*
 * heartbeat.h - liveness without history: what monitors know about each
 * running agent, kept in <git-common-dir>/gt/run/agents/, never in the
 * ledger (DESIGN.md, "Supervision").
 *
 * Two small JSON files per agent, each with one kind of writer, so no
 * lock is needed and an idle town writes nothing to the ledger:
 *   <key>.cmd   written by gt commands the agent runs ($GT_AGENT set):
 *               {command, at, bead}
 *   <key>.json  written by the witness when it samples the session:
 *               {bead, pid, screen, changed_at, nudged_at, settle,
 *                restarts: [times], step (the molecule step, read when
 *                the worker shows progress)}
 * where <key> is the address with '/' turned into '.'.  Times are whole
 * seconds since the epoch.  Either file may be missing (nothing known
 * yet) or deleted at any time: monitors then start afresh.
 */
#ifndef GT_HEARTBEAT_H
#define GT_HEARTBEAT_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "store/repo.h"

/* Seconds since the epoch (the clock heartbeats use). */
int64_t gt_heartbeat_now(void);

/* The witness's record of address (an empty object when there is none or
 * it does not parse).  Caller frees. */
cJSON *gt_heartbeat_read(const struct gt_repo *r, const char *address);
/* Replace it (atomically).  GT_EFAIL when it cannot be written. */
int gt_heartbeat_write(const struct gt_repo *r, const char *address, const cJSON *hb);
/* Remove both files of address (no error when absent). */
void gt_heartbeat_remove(const struct gt_repo *r, const char *address);

/* Note that address ran command now (on bead, may be NULL). */
int gt_heartbeat_command(const struct gt_repo *r, const char *address, const char *command,
			 const char *bead);
/* The last command address ran: {command, at, bead}, or NULL. */
cJSON *gt_heartbeat_last_command(const struct gt_repo *r, const char *address);

/* FNV-1a of the text, as 16 hex digits in out (17 bytes): how a screen
 * is compared without keeping it. */
void gt_heartbeat_hash(char out[17], const char *text, size_t len);

#endif
