/*
 * backup.c - Beads' backup table rows <-> bead records.
 *
 * bd backup (2026) dumps its SQL tables as JSONL: one row per line, keys
 * sorted, every column present, NULL as null, booleans as 0/1, metadata as
 * a JSON string, timeout as timeout_ns, times as whole-second UTC.  A row
 * becomes a bead by dropping what equals the column's default (the value
 * the table holds when the field was never set) and converting the rest;
 * a bead becomes a row by filling every column, so a round trip gives the
 * same rows.  A value that differs from the default is kept even when it
 * is "empty" ("" in a column whose default is null), which is what keeps
 * the round trip exact.
 */
#include "store/backup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/sha256.h"
#include "store/bead.h"
#include "base/banned.h"

enum col_kind {
	C_TEXT,	 /* default "" */
	C_NTEXT, /* default null */
	C_INT,	 /* default 0 */
	C_NINT,	 /* default null */
	C_BOOL,	 /* 0/1, default 0 */
	C_NTIME, /* time, default null */
	C_KEEP,	 /* always kept (id, title, status, priority, ...) */
	C_META,	 /* JSON object as a string, default "{}" */
	C_NANY,	 /* anything, default null */
};

struct col {
	const char *name;
	enum col_kind kind;
	const char *field; /* bead field when it differs from the column */
};

static const struct col cols[] = {
	{ "acceptance_criteria", C_TEXT, NULL },
	{ "actor", C_TEXT, NULL },
	{ "agent_state", C_TEXT, NULL },
	{ "assignee", C_NTEXT, NULL },
	{ "await_id", C_TEXT, NULL },
	{ "await_type", C_TEXT, NULL },
	{ "close_reason", C_TEXT, NULL },
	{ "closed_at", C_NTIME, NULL },
	{ "closed_by_session", C_TEXT, NULL },
	{ "compacted_at", C_NTIME, NULL },
	{ "compacted_at_commit", C_NTEXT, NULL },
	{ "compaction_level", C_INT, NULL },
	{ "content_hash", C_TEXT, NULL },
	{ "created_at", C_KEEP, NULL },
	{ "created_by", C_TEXT, NULL },
	{ "crystallizes", C_BOOL, NULL },
	{ "defer_until", C_NTIME, NULL },
	{ "description", C_TEXT, NULL },
	{ "design", C_TEXT, NULL },
	{ "due_at", C_NTIME, NULL },
	{ "ephemeral", C_BOOL, NULL },
	{ "estimated_minutes", C_NINT, NULL },
	{ "event_kind", C_TEXT, NULL },
	{ "external_ref", C_NTEXT, NULL },
	{ "hook_bead", C_TEXT, NULL },
	{ "id", C_KEEP, NULL },
	{ "is_template", C_BOOL, NULL },
	{ "issue_type", C_KEEP, NULL },
	{ "last_activity", C_NTIME, NULL },
	{ "metadata", C_META, NULL },
	{ "mol_type", C_TEXT, NULL },
	{ "notes", C_TEXT, NULL },
	{ "original_size", C_NINT, NULL },
	{ "owner", C_TEXT, NULL },
	{ "payload", C_TEXT, NULL },
	{ "pinned", C_BOOL, NULL },
	{ "priority", C_KEEP, NULL },
	{ "quality_score", C_NANY, NULL },
	{ "rig", C_TEXT, NULL },
	{ "role_bead", C_TEXT, NULL },
	{ "role_type", C_TEXT, NULL },
	{ "sender", C_TEXT, NULL },
	{ "source_repo", C_TEXT, NULL },
	{ "source_system", C_TEXT, NULL },
	{ "spec_id", C_TEXT, NULL },
	{ "status", C_KEEP, NULL },
	{ "target", C_TEXT, NULL },
	{ "timeout_ns", C_INT, "timeout" },
	{ "title", C_KEEP, NULL },
	{ "updated_at", C_KEEP, NULL },
	{ "waiters", C_TEXT, NULL },
	{ "wisp_type", C_TEXT, NULL },
	{ "work_type", C_TEXT, NULL },
};

#define NCOLS (sizeof(cols) / sizeof(cols[0]))

static const struct col *find_col(const char *name)
{
	for (size_t i = 0; i < NCOLS; i++)
		if (!strcmp(cols[i].name, name))
			return &cols[i];
	return NULL;
}

int gt_backup_is_row(const cJSON *obj)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

	return cJSON_IsString(m) || cJSON_GetObjectItemCaseSensitive(obj, "timeout_ns") ||
	       cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(obj, "pinned")) ||
	       cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(obj, "ephemeral"));
}

static int is_default(const struct col *c, const cJSON *v)
{
	switch (c->kind) {
	case C_TEXT: return cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring);
	case C_INT:
	case C_BOOL:
		return cJSON_IsNull(v) || (cJSON_IsNumber(v) && v->valuedouble == 0) ||
		       cJSON_IsFalse(v);
	case C_META:
		return cJSON_IsNull(v) ||
		       (cJSON_IsString(v) && (!strcmp(v->valuestring, "{}") || !*v->valuestring));
	case C_KEEP: return 0;
	default: return cJSON_IsNull(v);
	}
}

/* cJSON_ReplaceItemViaPointer keeps the position but not the key */
static void replace_member(cJSON *obj, cJSON *item, cJSON *repl)
{
	repl->string = gt_strdup(item->string);
	cJSON_ReplaceItemViaPointer(obj, item, repl);
}

int gt_backup_row_to_bead(cJSON *row)
{
	cJSON *c = row->child;

	while (c) {
		cJSON *next = c->next;
		const struct col *col = find_col(c->string);

		if (!col) {
			if (cJSON_IsNull(c))
				cJSON_Delete(cJSON_DetachItemViaPointer(row, c));
			c = next;
			continue;
		}
		if (is_default(col, c)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(row, c));
		} else if (col->kind == C_BOOL) {
			replace_member(row, c, cJSON_CreateBool(1));
		} else if (col->kind == C_META && cJSON_IsString(c)) {
			cJSON *m = NULL;

			/* strictly, as every other input: a string that is not
			 * clean JSON (trailing bytes, 1e999, \u0000) stays the
			 * string it was rather than turn into something else */
			if (gt_json_parse(&m, c->valuestring, strlen(c->valuestring), "metadata",
					  1) == 0)
				replace_member(row, c, m);
			else
				gt_error_clear();
		} else if (col->field) {
			cJSON *d = cJSON_DetachItemViaPointer(row, c);

			cJSON_AddItemToObject(row, col->field, d);
		}
		c = next;
	}
	return 0;
}

/* whole-second UTC, as the backup writes times */
static void second_utc(struct gt_buf *out, const char *s)
{
	char t[64];

	gt_buf_adds(out, gt_time_whole_seconds(t, sizeof(t), s) == 0 ? t : s);
}

static int is_time_field(const char *name)
{
	const struct gt_field *f = gt_bead_field(name);

	return f && f->kind == GT_F_TIME;
}

/* Beads' content hash (2026 form): SHA-256 over the content fields, each
 * followed by a NUL byte.  Only used for beads gt created itself. */
static void content_hash(char out[65], const cJSON *b)
{
	static const char *const text[] = { "title", "description", "design", "acceptance_criteria",
					    "notes", "spec_id",	    "status", NULL };
	static const char *const text2[] = { "issue_type",   "assignee",      "owner", "created_by",
					     "external_ref", "source_system", NULL };
	struct gt_sha256 c;
	unsigned char d[32];
	char num[32];

	gt_sha256_init(&c);
	for (int i = 0; text[i]; i++) {
		const char *s = gt_json_str(b, text[i]);

		gt_sha256_update(&c, s ? s : "", strlen(s ? s : "") + 1);
	}
	snprintf(num, sizeof(num), "%d", gt_bead_priority(b));
	gt_sha256_update(&c, num, strlen(num) + 1);
	for (int i = 0; text2[i]; i++) {
		const char *s = gt_json_str(b, text2[i]);

		gt_sha256_update(&c, s ? s : "", strlen(s ? s : "") + 1);
	}
	gt_sha256_update(&c, gt_json_bool(b, "pinned") ? "pinned" : "",
			 gt_json_bool(b, "pinned") ? 7 : 1);
	gt_sha256_update(&c, gt_json_bool(b, "is_template") ? "template" : "",
			 gt_json_bool(b, "is_template") ? 9 : 1);
	gt_sha256_final(&c, d);
	gt_sha256_hex(out, d);
}

cJSON *gt_backup_bead_to_row(const cJSON *bead)
{
	cJSON *row = cJSON_CreateObject();

	for (size_t i = 0; i < NCOLS; i++) {
		const struct col *col = &cols[i];
		const cJSON *v =
			cJSON_GetObjectItemCaseSensitive(bead, col->field ? col->field : col->name);
		cJSON *out;

		if (!v || cJSON_IsNull(v)) {
			switch (col->kind) {
			case C_TEXT: out = cJSON_CreateString(""); break;
			case C_INT:
			case C_BOOL: out = cJSON_CreateNumber(0); break;
			case C_META: out = cJSON_CreateString("{}"); break;
			default: out = cJSON_CreateNull();
			}
			if (!strcmp(col->name, "content_hash")) {
				char h[65];

				content_hash(h, bead);
				cJSON_Delete(out);
				out = cJSON_CreateString(h);
			}
		} else if (col->kind == C_BOOL) {
			out = cJSON_CreateNumber(cJSON_IsTrue(v) ||
						 (cJSON_IsNumber(v) && v->valuedouble));
		} else if (col->kind == C_META && !cJSON_IsString(v)) {
			struct gt_buf b = GT_BUF_INIT;

			gt_json_write(&b, v);
			out = cJSON_CreateString(b.ptr);
			gt_buf_release(&b);
		} else if (cJSON_IsString(v) && is_time_field(col->name) && *v->valuestring) {
			struct gt_buf b = GT_BUF_INIT;

			second_utc(&b, v->valuestring);
			out = cJSON_CreateString(b.ptr);
			gt_buf_release(&b);
		} else if (cJSON_IsArray(v) && !strcmp(col->name, "waiters")) {
			struct gt_buf b = GT_BUF_INIT;
			const cJSON *w;

			cJSON_ArrayForEach (w, v)
				if (cJSON_IsString(w))
					gt_buf_printf(&b, "%s%s", b.len ? "," : "", w->valuestring);
			out = cJSON_CreateString(gt_buf_cstr(&b));
			gt_buf_release(&b);
		} else {
			out = cJSON_Duplicate(v, 1);
		}
		cJSON_AddItemToObject(row, col->name, out);
	}
	return row;
}
