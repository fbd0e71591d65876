/*
 * import.c - fuzz the Beads import (store/beadsio.h): the input is one
 * file given to gt_import_add(), applied by gt_import_apply() in a dry
 * run (the transaction declines to commit) over a scratch ledger that
 * holds a few beads, so "newer", "incoming" and "existing" have something
 * to merge with; the policy is the input's length modulo 3.  Properties:
 * bad input is GT_EINVALID with a message, never a crash or a leak; a dry
 * run never moves the ledger; the counts add up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "store/beadsio.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "base/banned.h"
#include "fuzz.h"
#include "scratch.h"

/* what the scratch ledger holds before every input: a live bead that
 * depends on a closed one, and a tombstone */
static const char seed[] =
	"{\"id\":\"fz-a1\",\"title\":\"first\",\"status\":\"open\",\"priority\":1,"
	"\"issue_type\":\"task\",\"created_at\":\"2025-01-01T00:00:00Z\","
	"\"updated_at\":\"2025-01-02T00:00:00Z\",\"labels\":[\"x\"],"
	"\"dependencies\":[{\"issue_id\":\"fz-a1\",\"depends_on_id\":\"fz-b2\","
	"\"type\":\"blocks\",\"created_at\":\"2025-01-01T00:00:00Z\"}]}\n"
	"{\"id\":\"fz-b2\",\"title\":\"second\",\"status\":\"closed\",\"priority\":2,"
	"\"issue_type\":\"bug\",\"created_at\":\"2025-01-01T00:00:00Z\","
	"\"updated_at\":\"2025-01-03T00:00:00Z\",\"closed_at\":\"2025-01-03T00:00:00Z\"}\n"
	"{\"id\":\"fz-c3\",\"title\":\"gone\",\"status\":\"tombstone\",\"priority\":3,"
	"\"issue_type\":\"task\",\"created_at\":\"2025-01-01T00:00:00Z\","
	"\"updated_at\":\"2025-01-04T00:00:00Z\",\"deleted_at\":\"2025-01-04T00:00:00Z\","
	"\"deleted_by\":\"fuzz\",\"delete_reason\":\"test\",\"original_type\":\"task\"}\n";

struct run {
	struct gt_ctx *ctx;
	struct gt_import *im;
	enum gt_import_policy policy;
	int dry_run;
	struct gt_import_stats st;
};

static int apply(struct gt_txn *tx, void *payload)
{
	struct run *r = payload;
	int rc;

	memset(&r->st, 0, sizeof(r->st));
	rc = gt_import_apply(tx, r->ctx, r->im, r->policy, &r->st);
	return rc < 0 ? rc : r->dry_run ? GT_ENO : 0;
}

static struct gt_ctx *seeded_ledger(git_oid *tip)
{
	static git_oid seeded;
	static int done;
	struct gt_txn_opts to = { .command = "fuzz-seed", .bulk = 1 };
	struct gt_ctx *ctx = scratch_ledger();
	struct run r = { ctx, NULL, GT_IMPORT_NEWER, 0, { 0 } };

	if (!done) {
		if (gt_import_add(&r.im, scratch_file("seed.jsonl", seed, sizeof(seed) - 1)) < 0 ||
		    gt_ledger_transact(ctx->lg, &to, apply, &r) < 0)
			scratch_die("seed");
		gt_import_free(r.im);
		FUZZ_CHECK(r.st.created == 3);
		git_oid_cpy(&seeded, &ctx->lg->tip);
		done = 1;
	}
	git_oid_cpy(tip, &seeded);
	return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum gt_import_policy policies[] = { GT_IMPORT_NEWER, GT_IMPORT_INCOMING,
							  GT_IMPORT_EXISTING };
	struct gt_txn_opts to = { .command = "fuzz", .bulk = 1 };
	git_oid tip;
	struct gt_ctx *ctx = seeded_ledger(&tip);
	struct run r = { ctx, NULL, policies[size % 3], 1, { 0 } };
	int rc = gt_import_add(&r.im, scratch_file("in.jsonl", data, size));

	if (rc == 0) {
		rc = gt_ledger_transact(ctx->lg, &to, apply, &r);
		if (rc == GT_ENO) {
			const struct gt_import_stats *st = &r.st;

			FUZZ_CHECK(st->created + st->updated + st->unchanged + st->kept_existing +
					   st->kept_tombstone <=
				   st->lines);
			rc = 0;
		}
	}
	FUZZ_CHECK(rc == 0 || rc == GT_EINVALID);
	FUZZ_CHECK(rc == 0 || *gt_error_last());
	FUZZ_CHECK(git_oid_equal(&tip, &ctx->lg->tip));
	gt_import_free(r.im);
	gt_error_clear();
	return 0;
}
