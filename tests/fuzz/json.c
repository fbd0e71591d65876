/*
 * json.c - fuzz the strict JSON parser and the canonical writer
 * (base/json.h).  Properties: a refused input leaves no tree and is
 * GT_EINVALID; an accepted one is valid UTF-8, its canonical form is one
 * line that parses back to an equal value and is written again byte for
 * byte the same (also sorted); the accessors agree with the tree.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/banned.h"
#include "fuzz.h"

/* whether some object in v has a key twice: cJSON_Compare, under
 * gt_json_equal, looks each key up, so such a value is not even equal to
 * itself */
static int duplicate_keys(const cJSON *v)
{
	const cJSON *c, *d;

	cJSON_ArrayForEach (c, v) {
		if (cJSON_IsObject(v))
			for (d = c->next; d; d = d->next)
				if (!strcmp(c->string, d->string))
					return 1;
		if (duplicate_keys(c))
			return 1;
	}
	return 0;
}

/* parse text (which must parse), check it equals v, and write it again */
static void reparse(const cJSON *v, const struct gt_buf *text, int sorted)
{
	struct gt_buf again = GT_BUF_INIT;
	cJSON *w = NULL;

	FUZZ_CHECK(!memchr(text->ptr, '\n', text->len));
	FUZZ_CHECK(gt_json_parse(&w, text->ptr, text->len, "canonical", 1) == 0);
	if (!duplicate_keys(v)) {
		FUZZ_CHECK(gt_json_equal(v, w));
		FUZZ_CHECK(gt_json_equal(w, v));
	}
	if (sorted)
		gt_json_write_sorted(&again, w);
	else
		gt_json_write(&again, w);
	FUZZ_CHECK(again.len == text->len && !memcmp(again.ptr, text->ptr, text->len));
	gt_buf_release(&again);
	cJSON_Delete(w);
}

static void walk(const cJSON *v)
{
	const cJSON *c;
	int64_t i;

	if (cJSON_IsNumber(v) && gt_json_to_int(v, &i) == 0) {
		FUZZ_CHECK((double)i == v->valuedouble);
		FUZZ_CHECK(floor(v->valuedouble) == v->valuedouble);
	}
	cJSON_ArrayForEach (c, v) {
		if (cJSON_IsObject(v) && c->string) {
			const char *s = gt_json_str(v, c->string);
			const cJSON *first = cJSON_GetObjectItemCaseSensitive(v, c->string);
			int64_t got = 42;
			int rc = gt_json_int(v, c->string, &got);

			FUZZ_CHECK(!s || (cJSON_IsString(first) && !strcmp(s, first->valuestring)));
			FUZZ_CHECK(rc == 0 || rc == GT_ENOTFOUND || rc == GT_EINVALID);
			FUZZ_CHECK(rc == 0 || got == 42);
			FUZZ_CHECK(rc != GT_ENOTFOUND || !cJSON_IsNumber(first));
			gt_json_bool(v, c->string);
			gt_error_clear();
		}
		walk(c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct gt_buf out = GT_BUF_INIT;
	cJSON *v = (cJSON *)1;
	size_t bad = 0;
	int utf8 = gt_utf8_check(text, size, &bad);
	int rc = gt_json_parse(&v, text, size, "fuzz", 1);

	FUZZ_CHECK(utf8 == 0 || bad < size);
	if (rc < 0) {
		FUZZ_CHECK(rc == GT_EINVALID && !v);
		FUZZ_CHECK(strstr(gt_error_last(), "fuzz: line "));
		gt_error_clear();
		return 0;
	}
	FUZZ_CHECK(utf8 == 0 && v);
	gt_json_write(&out, v);
	reparse(v, &out, 0);
	if (cJSON_IsObject(v)) {
		gt_buf_reset(&out);
		gt_json_write_sorted(&out, v);
		reparse(v, &out, 1);
	}
	walk(v);
	gt_buf_release(&out);
	cJSON_Delete(v);
	return 0;
}
