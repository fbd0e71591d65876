/*
 * jscan.h - a pull scanner for JSON: walk an object, decode the members
 * you want, skip the rest without building a tree.
 *
 * Used where speed matters more than generality: building the query index
 * reads every bead blob, and skipping a long description with a scan for
 * its closing quote is several times faster than parsing it into cJSON.
 * Input must already be valid JSON (ledger blobs are written by gt); on
 * malformed input the scanner stops with an error instead of crashing.
 */
#ifndef GT_JSCAN_H
#define GT_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct gt_jscan {
	const char *p, *end;
	int err;
};

void gt_jscan_init(struct gt_jscan *s, const char *data, size_t len);
/* Expect '{' (or '[' for arrays) and enter it. 0 ok, -1 error. */
int gt_jscan_enter_object(struct gt_jscan *s);
int gt_jscan_enter_array(struct gt_jscan *s);
/* Next member of the current object: 1 with the raw key (no escapes in
 * keys we look for) in key and klen, 0 at the end '}', -1 on error. */
int gt_jscan_next_member(struct gt_jscan *s, const char **key, size_t *klen);
/* Next element of the current array: 1 if there is one, 0 at ']'. */
int gt_jscan_next_element(struct gt_jscan *s);
/* Decode a string value into out (reset first); 0 ok, -1 if the value is
 * not a string (it is skipped then). */
int gt_jscan_string(struct gt_jscan *s, struct gt_buf *out);
/* An integer value (1.0 and 1e2 count: they are whole); -1 if the value
 * is not a number, or not a whole one that fits int64 (it is skipped). */
int gt_jscan_int(struct gt_jscan *s, int64_t *out);
/* true/false (also 0/1): 1, 0; -1 if neither (skipped). */
int gt_jscan_bool(struct gt_jscan *s);
/* Whether the next value is null / a string / an object / an array. */
int gt_jscan_peek(struct gt_jscan *s);
/* Skip any value. */
void gt_jscan_skip(struct gt_jscan *s);

#endif
