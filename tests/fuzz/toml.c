/*
 * toml.c - fuzz the TOML parser (base/toml.h).  Properties: a refused
 * document leaves no tree and names where; in an accepted one every table
 * member is found again by gt_toml_get(), every date or time written by
 * gt_toml_datetime_format() scans back to the same value, and the plain
 * JSON of the tree writes as canonical JSON that parses.  The date and
 * time scanner is also run on the raw input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/toml.h"
#include "base/banned.h"
#include "fuzz.h"

static int is_date_type(enum gt_toml_type t)
{
	return t == GT_TOML_DATETIME || t == GT_TOML_DATETIME_LOCAL || t == GT_TOML_DATE_LOCAL ||
	       t == GT_TOML_TIME_LOCAL;
}

static void datetime_round_trip(const struct gt_toml *v)
{
	struct gt_buf text = GT_BUF_INIT;
	struct gt_toml_datetime dt;
	enum gt_toml_type type;
	const char *why = NULL;
	size_t used = 0;

	gt_toml_datetime_format(&text, v);
	FUZZ_CHECK(text.len > 0);
	FUZZ_CHECK(gt_toml_scan_datetime(&dt, &type, text.ptr, text.len, &used, &why) == 0);
	FUZZ_CHECK(used == text.len && type == v->type);
	FUZZ_CHECK(dt.year == v->dt.year && dt.month == v->dt.month && dt.day == v->dt.day);
	FUZZ_CHECK(dt.hour == v->dt.hour && dt.minute == v->dt.minute && dt.second == v->dt.second);
	FUZZ_CHECK(dt.nanosecond == v->dt.nanosecond && dt.frac_digits == v->dt.frac_digits);
	FUZZ_CHECK(dt.offset_minutes == v->dt.offset_minutes);
	gt_buf_release(&text);
}

static void walk(const struct gt_toml *t)
{
	FUZZ_CHECK(t->line >= 1 && t->column >= 1);
	FUZZ_CHECK(strcmp(gt_toml_type_name(t->type), "?"));
	if (is_date_type(t->type))
		datetime_round_trip(t);
	for (size_t i = 0; i < t->nkids; i++) {
		const struct gt_toml *k = t->kids[i];

		/* keylen is private, but tells which keys hold a \u0000 and so
		 * cannot be looked up by a C string */
		if (t->type == GT_TOML_TABLE) {
			FUZZ_CHECK(k->key);
			if (strlen(k->key) == k->keylen) {
				FUZZ_CHECK(gt_toml_get(t, k->key) == k);
				if (k->type == GT_TOML_STRING)
					FUZZ_CHECK(gt_toml_str(t, k->key) == k->str);
			}
		} else {
			FUZZ_CHECK(!k->key);
		}
		walk(k);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct gt_toml *doc = (struct gt_toml *)1;
	struct gt_toml_datetime dt;
	enum gt_toml_type type;
	const char *why = NULL;
	size_t used = 0;
	int rc;

	rc = gt_toml_scan_datetime(&dt, &type, text, size, &used, &why);
	FUZZ_CHECK(used <= size);
	FUZZ_CHECK(rc == 0 || (rc == GT_EINVALID && why));
	rc = gt_toml_parse(&doc, text, size, "fuzz");
	if (rc < 0) {
		FUZZ_CHECK(rc == GT_EINVALID && !doc);
		FUZZ_CHECK(strstr(gt_error_last(), "fuzz: line "));
		gt_error_clear();
		return 0;
	}
	FUZZ_CHECK(doc && doc->type == GT_TOML_TABLE);
	walk(doc);
	{
		struct gt_buf out = GT_BUF_INIT;
		cJSON *j = gt_toml_to_json(doc), *back = NULL;

		FUZZ_CHECK(j);
		gt_json_write(&out, j);
		FUZZ_CHECK(gt_json_parse(&back, out.ptr, out.len, "to_json", 1) == 0);
		cJSON_Delete(back);
		cJSON_Delete(j);
		gt_buf_release(&out);
	}
	gt_toml_free(doc);
	return 0;
}
