/*
 * jscan.c - fuzz the pull scanner (base/jscan.h).  On any input it must
 * stay inside the buffer, and every call that consumes a value must move
 * forward or set err (callers loop until it says the object or array
 * ended).  On input the strict parser accepts, it must see what cJSON
 * sees: the same keys, strings, whole numbers and booleans, in the same
 * order, also when it skips values instead of decoding them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/jscan.h"
#include "base/json.h"
#include "base/banned.h"
#include "fuzz.h"

#define MAX_DEPTH 64

static const char *in_start;

/* Any input: decode each value one of four ways, chosen by the input. */
static void wander(struct gt_jscan *s, int depth, unsigned how)
{
	struct gt_buf b = GT_BUF_INIT;
	const char *key, *at;
	size_t klen;
	int64_t i;
	int c = gt_jscan_peek(s), r;

	FUZZ_CHECK(s->p >= in_start && s->p <= s->end);
	if ((c == '{' || c == '[') && depth < MAX_DEPTH && how % 5) {
		if (c == '{' ? gt_jscan_enter_object(s) < 0 : gt_jscan_enter_array(s) < 0)
			return;
		for (;;) {
			if (c == '{') {
				r = gt_jscan_next_member(s, &key, &klen);
				if (r == 1)
					FUZZ_CHECK(key >= in_start && key + klen <= s->end);
			} else {
				r = gt_jscan_next_element(s);
			}
			if (r != 1)
				break;
			at = s->p;
			wander(s, depth + 1, how * 31 + (unsigned)(at - in_start));
			FUZZ_CHECK(s->err || s->p > at);
			if (s->err)
				break;
		}
		return;
	}
	at = s->p;
	switch (how % 4) {
	case 0: gt_jscan_string(s, &b); break;
	case 1: gt_jscan_int(s, &i); break;
	case 2: gt_jscan_bool(s); break;
	default: gt_jscan_skip(s);
	}
	FUZZ_CHECK(s->p >= at && s->p <= s->end);
	FUZZ_CHECK(s->err || s->p > at);
	gt_buf_release(&b);
}

/* Valid input: the scanner and cJSON's tree v, in step.  skip: skip
 * every other value instead of decoding it. */
static void same(struct gt_jscan *s, const cJSON *v, int skip, int depth)
{
	struct gt_buf b = GT_BUF_INIT;
	const cJSON *c;
	const char *key;
	size_t klen;
	int n = 0;

	if (skip && depth % 2) {
		gt_jscan_skip(s);
		FUZZ_CHECK(!s->err);
		return;
	}
	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		int obj = cJSON_IsObject(v);

		FUZZ_CHECK(gt_jscan_peek(s) == (obj ? '{' : '['));
		FUZZ_CHECK((obj ? gt_jscan_enter_object(s) : gt_jscan_enter_array(s)) == 0);
		cJSON_ArrayForEach (c, v) {
			if (obj) {
				FUZZ_CHECK(gt_jscan_next_member(s, &key, &klen) == 1);
				if (!memchr(key, '\\', klen))
					FUZZ_CHECK(klen == strlen(c->string) &&
						   !memcmp(key, c->string, klen));
			} else {
				FUZZ_CHECK(gt_jscan_next_element(s) == 1);
			}
			same(s, c, skip, depth + 1 + n++);
		}
		FUZZ_CHECK((obj ? gt_jscan_next_member(s, &key, &klen)
				: gt_jscan_next_element(s)) == 0);
	} else if (cJSON_IsString(v)) {
		FUZZ_CHECK(gt_jscan_peek(s) == '"');
		FUZZ_CHECK(gt_jscan_string(s, &b) == 0);
		FUZZ_CHECK(b.len == strlen(v->valuestring) &&
			   !memcmp(b.ptr, v->valuestring, b.len));
	} else if (cJSON_IsNumber(v)) {
		int64_t got = 0, want = 0;
		int rc = gt_jscan_int(s, &got), wrc = gt_json_to_int(v, &want);
		double d = v->valuedouble;

		/* from 2^53 on cJSON's double may not be the number written;
		 * a number so small it underflows is 0 to cJSON and no whole
		 * number to the scanner */
		if (d > -9007199254740992.0 && d < 9007199254740992.0 && !(d == 0 && rc < 0)) {
			FUZZ_CHECK((rc == 0) == (wrc == 0));
			FUZZ_CHECK(rc < 0 || got == want);
		}
	} else if (cJSON_IsBool(v)) {
		FUZZ_CHECK(gt_jscan_bool(s) == (cJSON_IsTrue(v) ? 1 : 0));
	} else {
		FUZZ_CHECK(gt_jscan_peek(s) == 'n');
		gt_jscan_skip(s);
	}
	FUZZ_CHECK(!s->err);
	gt_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct gt_jscan s;
	cJSON *v = NULL;

	in_start = text;
	gt_jscan_init(&s, text, size);
	wander(&s, 0, size ? data[0] : 0);
	if (gt_json_parse(&v, text, size, "fuzz", 1) < 0) {
		gt_error_clear();
		return 0;
	}
	for (int skip = 0; skip < 2; skip++) {
		gt_jscan_init(&s, text, size);
		same(&s, v, skip, 0);
		FUZZ_CHECK(gt_jscan_peek(&s) == 0);
	}
	cJSON_Delete(v);
	return 0;
}
