/*
 * maint.h - automatic maintenance, the way git's gc --auto works: a writer
 * that just committed asks whether the repository needs housekeeping, and
 * if so starts it in the background (one at a time), never waiting for it.
 */
#ifndef GT_MAINT_H
#define GT_MAINT_H

#include "store/repo.h"

/* Called after a successful ledger commit.  Cheap when nothing is due. */
void gt_maint_auto(const struct gt_repo *r);

#endif
