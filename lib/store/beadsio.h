/*
 * beadsio.h - Beads interchange: import every shape bd has written, and
 * export Beads JSONL, _type lines, deletion manifests and backup tables.
 *
 * Shapes recognised on import, line by line (any mix, any number of files,
 * one transaction):
 *   issue lines of every era (.beads/issues.jsonl, `bd export` with a
 *   leading "_type":"issue", `bd list --json` objects or arrays; computed
 *   counts are dropped), backup table rows (issues with 0/1 booleans and
 *   metadata as a string; dependency, label and comment rows joined to
 *   their issue by issue_id; events; config key/value rows), the legacy
 *   deletions manifest {id, ts, by, reason}, and "_type":"memory" lines.
 * Merging: a bead not in the ledger is created; one that is gets the
 * incoming version when that is newer by updated_at (policy "newer"), or
 * always ("incoming"), or never ("existing").  A tombstone is never brought
 * back to life by an older-style live record unless the policy is
 * "incoming".  Unknown keys are kept; key presence is kept as given, so an
 * export of an import reproduces Beads' file byte for byte.  Re-importing
 * the same data changes nothing.
 */
#ifndef GT_BEADSIO_H
#define GT_BEADSIO_H

#include <stdio.h>

#include "base/progress.h"
#include "store/ledger.h"
#include "store/ops.h"

enum gt_import_policy {
	GT_IMPORT_NEWER,
	GT_IMPORT_INCOMING,
	GT_IMPORT_EXISTING,
};

struct gt_import_stats {
	size_t lines; /* records of every kind */
	size_t created, updated, unchanged, kept_existing, kept_tombstone;
	size_t deleted, deletion_records;
	size_t rows_attached, orphan_rows;
	size_t config_keys, events;
};

struct gt_import;

/* Read one input (a file, "-" for stdin, or a backup directory) into im
 * (created on first use).  Classifies every line; GT_EINVALID names the
 * file, line and column of malformed input. */
int gt_import_add(struct gt_import **im, const char *path);
void gt_import_free(struct gt_import *im);
/* Apply everything read to the ledger inside a transaction. */
int gt_import_apply(struct gt_txn *tx, struct gt_ctx *ctx, struct gt_import *im,
		    enum gt_import_policy policy, struct gt_import_stats *st);
size_t gt_import_issue_count(const struct gt_import *im);
/* Tell p of each issue record applied (done of gt_import_issue_count()),
 * from now on (NULL: stop). */
void gt_import_progress(struct gt_import *im, const struct gt_progress *p);

enum gt_export_format {
	GT_EXPORT_BEADS,      /* .beads/issues.jsonl lines (default) */
	GT_EXPORT_TYPE_LINES, /* {"_type":"issue",...,counts} */
	GT_EXPORT_LIST,	      /* bd list --json objects: the issue and counts */
	GT_EXPORT_DELETIONS,  /* {id, ts, by, reason} per tombstone */
	GT_EXPORT_BACKUP,     /* the bd backup table files, into a directory */
};

struct gt_export_opts {
	enum gt_export_format format;
	int no_tombstones;
	int include_ephemeral;
	const char *dir; /* GT_EXPORT_BACKUP: output directory */
	/* a record that does not parse fails the export (GT_EINVALID naming
	 * it) unless skip_bad: then it is left out and noted on the ledger
	 * (gt_ledger_note_bad()) */
	int skip_bad;
};

/* Write the export of the ledger tip to f (backup: files under dir). */
int gt_export(struct gt_ledger *lg, const struct gt_export_opts *o, FILE *f, size_t *count);

#endif
