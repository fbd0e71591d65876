/*
 * backup.h - Beads' backup table rows (bd backup, 2026) and beads.
 */
#ifndef GT_BACKUP_H
#define GT_BACKUP_H

#include <cjson/cJSON.h>

/* Whether an issue object looks like a backup table row (metadata as a
 * string, timeout_ns, 0/1 booleans). */
int gt_backup_is_row(const cJSON *obj);
/* Turn a row into a bead in place: drop column defaults, 0/1 -> true,
 * metadata string -> object, timeout_ns -> timeout. */
int gt_backup_row_to_bead(cJSON *row);
/* A full issues-table row for a bead (keys in column order, which is
 * sorted). The caller owns the result. */
cJSON *gt_backup_bead_to_row(const cJSON *bead);

#endif
