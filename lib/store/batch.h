/*
 * batch.h - --stdin batches: parsing and running them as one transaction.
 *
 * Input is JSONL or bare words, one record per line; blank lines are
 * skipped.  A line starting with '{' must be a JSON object (a malformed one
 * is GT_EINVALID naming the line and column); anything else is taken as
 * text (an id, a title) with surrounding blanks trimmed.
 *
 * gt_batch_transact() runs every record in a single transaction.  By
 * default any failure aborts the whole batch and nothing is written.  With
 * keep_going, a failed record is set aside with its error and the
 * transaction is run again without it, so the records that succeed are
 * committed together and no failed record leaves half its changes behind.
 */
#ifndef GT_BATCH_H
#define GT_BATCH_H

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "store/ledger.h"

struct gt_record {
	long line;
	cJSON *json;	  /* the object, or NULL for a text line */
	const char *text; /* the text, or NULL for JSON */
	/* results, filled by gt_batch_transact() */
	int rc;		   /* 0 or the GT_E* code of this record's failure */
	char *error;	   /* message for a failure */
	struct gt_buf out; /* what the item function wrote for this record */
};

struct gt_batch {
	struct gt_record *v;
	size_t n;
	char *data;
};

/* Parse data (taken over: freed by gt_batch_release). */
int gt_batch_parse(struct gt_batch *b, char *data, size_t len, const char *what);
void gt_batch_release(struct gt_batch *b);

typedef int (*gt_batch_fn)(struct gt_txn *tx, struct gt_record *rec, void *payload);

/* Run fn for each record in one transaction (see above).  Returns 0 when
 * every record succeeded, the failing record's code when the batch was
 * aborted, or GT_EFAIL-class codes from the commit.  With keep_going the
 * return is 0 or the first failed record's code (the others committed). */
int gt_batch_transact(struct gt_ledger *lg, const struct gt_txn_opts *opts, struct gt_batch *b,
		      gt_batch_fn fn, void *payload, int keep_going);

#endif
