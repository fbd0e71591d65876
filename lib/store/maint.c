/*
 * maint.c - automatic maintenance (maint.h).
 */
#include "store/maint.h"

#include "base/banned.h"

void gt_maint_auto(const struct gt_repo *r)
{
	(void)r;
}
