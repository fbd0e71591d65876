/*
 * toml-tagged.h - toml-test's "tagged JSON" for the TOML tests: encoding a
 * parsed document into it, and comparing two such values by meaning.
 *
 * In tagged JSON every scalar is {"type": "<type>", "value": "<text>"},
 * tables are objects and arrays arrays.  Texts are compared by value, not
 * spelling: integers as int64, floats as doubles (nan equals nan), dates
 * and times after normalising case, separators and trailing zeros.
 * Header-only: shared by t-toml.c and the toml-decode helper.
 */
#ifndef GT_TOML_TAGGED_H
#define GT_TOML_TAGGED_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/toml.h"

static inline cJSON *tagged_scalar(const char *type, const char *value)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "value", value);
	return o;
}

/* The float text that reads back as d. */
static inline void tagged_float_text(char *out, size_t n, double d)
{
	if (isnan(d)) {
		snprintf(out, n, "nan");
	} else if (isinf(d)) {
		snprintf(out, n, "%s", d < 0 ? "-inf" : "inf");
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(out, n, "%.*g", prec, d);
			if (strtod(out, NULL) == d)
				break;
		}
	}
}

static inline cJSON *tagged_encode(const struct gt_toml *v)
{
	struct gt_buf b = GT_BUF_INIT;
	char tmp[64];
	cJSON *j;

	switch (v->type) {
	case GT_TOML_TABLE:
		j = cJSON_CreateObject();
		for (size_t i = 0; i < v->nkids; i++)
			cJSON_AddItemToObject(j, v->kids[i]->key, tagged_encode(v->kids[i]));
		return j;
	case GT_TOML_ARRAY:
		j = cJSON_CreateArray();
		for (size_t i = 0; i < v->nkids; i++)
			cJSON_AddItemToArray(j, tagged_encode(v->kids[i]));
		return j;
	case GT_TOML_STRING: return tagged_scalar("string", v->str);
	case GT_TOML_INTEGER:
		snprintf(tmp, sizeof(tmp), "%" PRId64, v->i);
		return tagged_scalar("integer", tmp);
	case GT_TOML_FLOAT:
		tagged_float_text(tmp, sizeof(tmp), v->f);
		return tagged_scalar("float", tmp);
	case GT_TOML_BOOL: return tagged_scalar("bool", v->b ? "true" : "false");
	default:
		gt_toml_datetime_format(&b, v);
		j = tagged_scalar(gt_toml_type_name(v->type), gt_buf_cstr(&b));
		gt_buf_release(&b);
		return j;
	}
}

/* JSON string text for s[0..len), which may hold NUL (cJSON strings cannot). */
static inline void tagged_write_string(struct gt_buf *out, const char *s, size_t len)
{
	gt_buf_addch(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			gt_buf_printf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			gt_buf_printf(out, "\\u%04x", c);
		else
			gt_buf_addch(out, c);
	}
	gt_buf_addch(out, '"');
}

/* The same as tagged_encode(), written out directly so that strings and
 * keys holding \u0000 survive. */
static inline void tagged_write(struct gt_buf *out, const struct gt_toml *v)
{
	cJSON *j;
	char *s;

	switch (v->type) {
	case GT_TOML_TABLE:
		gt_buf_addch(out, '{');
		for (size_t i = 0; i < v->nkids; i++) {
			if (i)
				gt_buf_addch(out, ',');
			tagged_write_string(out, v->kids[i]->key, v->kids[i]->keylen);
			gt_buf_addch(out, ':');
			tagged_write(out, v->kids[i]);
		}
		gt_buf_addch(out, '}');
		break;
	case GT_TOML_ARRAY:
		gt_buf_addch(out, '[');
		for (size_t i = 0; i < v->nkids; i++) {
			if (i)
				gt_buf_addch(out, ',');
			tagged_write(out, v->kids[i]);
		}
		gt_buf_addch(out, ']');
		break;
	case GT_TOML_STRING:
		gt_buf_adds(out, "{\"type\":\"string\",\"value\":");
		tagged_write_string(out, v->str, v->len);
		gt_buf_addch(out, '}');
		break;
	default:
		j = tagged_encode(v);
		s = cJSON_PrintUnformatted(j);
		gt_buf_adds(out, s);
		free(s);
		cJSON_Delete(j);
	}
}

/* A scalar: an object of exactly a string "type" and a string "value". */
static inline int tagged_is_scalar(const cJSON *j)
{
	return cJSON_IsObject(j) && cJSON_GetArraySize(j) == 2 &&
	       cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "type")) &&
	       cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "value"));
}

/* A date or time in one spelling: upper case T and Z, T between date and
 * time, Z for a zero offset, no trailing zeros in the fraction. */
static inline void tagged_norm_datetime(struct gt_buf *out, const char *s)
{
	size_t dot, end;

	gt_buf_reset(out);
	for (; *s; s++) {
		char c = *s;

		if (c == 't' || (c == ' ' && out->len == 10))
			c = 'T';
		else if (c == 'z')
			c = 'Z';
		gt_buf_addch(out, c);
	}
	if (out->len >= 6 && (!strcmp(out->ptr + out->len - 6, "+00:00") ||
			      !strcmp(out->ptr + out->len - 6, "-00:00"))) {
		gt_buf_truncate(out, out->len - 6);
		gt_buf_addch(out, 'Z');
	}
	/* trim zeros at the end of a fraction, and a bare dot */
	for (dot = 0; dot < out->len && out->ptr[dot] != '.'; dot++)
		;
	if (dot == out->len)
		return;
	for (end = dot + 1; end < out->len && out->ptr[end] >= '0' && out->ptr[end] <= '9'; end++)
		;
	{
		size_t keep = end;

		while (keep > dot + 1 && out->ptr[keep - 1] == '0')
			keep--;
		if (keep == dot + 1)
			keep = dot;
		memmove(out->ptr + keep, out->ptr + end, out->len - end + 1);
		out->len -= end - keep;
	}
}

static inline int tagged_same_scalar(const char *type, const char *got, const char *want)
{
	if (!strcmp(type, "integer")) {
		char *e1, *e2;
		long long a = strtoll(got, &e1, 10), b = strtoll(want, &e2, 10);

		return !*e1 && !*e2 && a == b;
	}
	if (!strcmp(type, "float")) {
		char *e1, *e2;
		double a = strtod(got, &e1), b = strtod(want, &e2);

		if (*e1 || *e2)
			return 0;
		return (isnan(a) && isnan(b)) || a == b;
	}
	if (!strcmp(type, "datetime") || !strcmp(type, "datetime-local") ||
	    !strcmp(type, "date-local") || !strcmp(type, "time-local")) {
		struct gt_buf a = GT_BUF_INIT, b = GT_BUF_INIT;
		int same;

		tagged_norm_datetime(&a, got);
		tagged_norm_datetime(&b, want);
		same = !strcmp(gt_buf_cstr(&a), gt_buf_cstr(&b));
		gt_buf_release(&a);
		gt_buf_release(&b);
		return same;
	}
	return !strcmp(got, want);
}

static inline void tagged_describe(struct gt_buf *out, const cJSON *j)
{
	char *s = j ? cJSON_PrintUnformatted(j) : NULL;

	gt_buf_adds(out, s ? s : "(nothing)");
	if (s && strlen(s) > 200) {
		gt_buf_truncate(out, out->len - strlen(s) + 200);
		gt_buf_adds(out, "...");
	}
	free(s);
}

/* 0 when got and want mean the same; otherwise 1, with the first difference
 * described in diff ("<path>: got ..., want ..."). */
static inline int tagged_compare(struct gt_buf *diff, const char *path, const cJSON *got,
				 const cJSON *want)
{
	struct gt_buf sub = GT_BUF_INIT;
	const cJSON *g, *w;
	int rc = 0, i;

	if (tagged_is_scalar(want)) {
		const char *wt = cJSON_GetObjectItemCaseSensitive(want, "type")->valuestring;
		const char *wv = cJSON_GetObjectItemCaseSensitive(want, "value")->valuestring;

		if (tagged_is_scalar(got)) {
			const char *gty =
				cJSON_GetObjectItemCaseSensitive(got, "type")->valuestring;
			const char *gv =
				cJSON_GetObjectItemCaseSensitive(got, "value")->valuestring;

			if (!strcmp(gty, wt) && tagged_same_scalar(wt, gv, wv))
				return 0;
		}
		goto differ;
	}
	if (cJSON_IsArray(want)) {
		if (!cJSON_IsArray(got) || cJSON_GetArraySize(got) != cJSON_GetArraySize(want))
			goto differ;
		for (i = 0, g = got->child, w = want->child; w; i++, g = g->next, w = w->next) {
			gt_buf_reset(&sub);
			gt_buf_printf(&sub, "%s[%d]", path, i);
			rc = tagged_compare(diff, sub.ptr, g, w);
			if (rc)
				break;
		}
		gt_buf_release(&sub);
		return rc;
	}
	if (cJSON_IsObject(want)) {
		if (!cJSON_IsObject(got) || tagged_is_scalar(got))
			goto differ;
		cJSON_ArrayForEach (w, want) {
			gt_buf_reset(&sub);
			gt_buf_printf(&sub, "%s.%s", path, w->string);
			g = cJSON_GetObjectItemCaseSensitive(got, w->string);
			rc = tagged_compare(diff, sub.ptr, g, w);
			if (rc)
				break;
		}
		cJSON_ArrayForEach (g, got) {
			if (rc)
				break;
			if (!cJSON_GetObjectItemCaseSensitive(want, g->string)) {
				gt_buf_reset(&sub);
				gt_buf_printf(&sub, "%s.%s", path, g->string);
				rc = tagged_compare(diff, sub.ptr, g, NULL);
			}
		}
		gt_buf_release(&sub);
		return rc;
	}
differ:
	gt_buf_reset(diff);
	gt_buf_printf(diff, "%s: got ", *path ? path : ".");
	tagged_describe(diff, got);
	gt_buf_adds(diff, ", want ");
	tagged_describe(diff, want);
	gt_buf_release(&sub);
	return 1;
}

#endif
