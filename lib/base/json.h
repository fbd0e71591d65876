/*
 * json.h - strict JSON input and canonical JSON output on top of cJSON.
 *
 * Input is checked before cJSON sees it: valid UTF-8, no NUL bytes (raw or
 * as \u0000), and a parse error names the line and column.  Output is the
 * canonical form every record is stored in: compact, one line, keys in the
 * order they sit in the object, strings escaped the way Go's encoding/json
 * does (so Beads files round-trip byte for byte): `<`, `>`, `&`, U+2028 and
 * U+2029 as \uXXXX, control characters as \n \r \t \b \f or \u00XX.
 */
#ifndef GT_JSON_H
#define GT_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Parse exactly one JSON value from buf[0..len).  On failure returns
 * GT_EINVALID with a message "<what>: line L, column C: <reason>" where what
 * names the input (a file name, "stdin", "--json argument"); first_line is
 * the line number of buf[0] in that input (1 for a whole document).  A
 * number too large for a double (1e999) is refused: it could only be
 * written back as null. */
int gt_json_parse(cJSON **out, const char *buf, size_t len, const char *what, long first_line);

/* Check that buf[0..len) is valid UTF-8 without NUL.  On failure returns
 * GT_EINVALID and sets *bad_off to the offset of the first bad byte. */
int gt_utf8_check(const char *buf, size_t len, size_t *bad_off);

/* Append v in canonical form (no trailing newline). */
void gt_json_write(struct gt_buf *out, const cJSON *v);
/* Append at least the first n bytes of v's canonical form (all of it
 * when shorter), without writing all of a long array or object: for a
 * glimpse that is cut anyway. */
void gt_json_write_prefix(struct gt_buf *out, const cJSON *v, size_t n);
/* Append an object with its top-level keys in bytewise order (what Go's
 * json.Marshal does for maps: Beads' backup rows and config). */
void gt_json_write_sorted(struct gt_buf *out, const cJSON *obj);
/* The length of the JSON value that starts at p[0..n) when it is in the
 * canonical form gt_json_write writes, as far as can be told from its
 * text: no white space outside strings, strings valid UTF-8 and escaped
 * as gt escapes them, numbers as gt prints them, no deeper than 64 (the
 * order of object keys is not checked).  0 when it is not (or is not
 * JSON at all).  Such text is JSON as it stands, and two values in it
 * are equal when their texts are. */
size_t gt_json_canonical_span(const char *p, size_t n);
/* A member of an object in canonical text: its key (without quotes or
 * escapes) and its value's text. */
struct gt_json_member {
	const char *key, *val;
	size_t klen, vlen;
};
/* The members of the object whose canonical text (a newline after it
 * allowed) is p[0..n), pointing into it, in *out (freed by the caller);
 * their count, or -1 when the text is not an object in canonical form or
 * a key holds an escape. */
int gt_json_canonical_object(struct gt_json_member **out, const char *p, size_t n);
/* Append s as a JSON string literal with Go's escaping. */
void gt_json_write_string(struct gt_buf *out, const char *s);
void gt_json_write_number(struct gt_buf *out, double d);

/* Accessors that tolerate missing keys and wrong types. */
const char *gt_json_str(const cJSON *obj, const char *key); /* NULL if absent/not string */
/* A number member, its fraction dropped: 0, GT_ENOTFOUND when absent or not
 * a number, GT_EINVALID when it lies outside int64 (1e20); *out is left
 * alone unless 0 is returned. */
int gt_json_int(const cJSON *obj, const char *key, int64_t *out);
int gt_json_bool(const cJSON *obj, const char *key); /* true, 1 or "1"/"true" */
/* The integer a number holds: 0, or GT_EINVALID (no message) when v is not
 * a number, has a fraction, or lies outside int64.  Never casts a double
 * that does not fit (undefined behaviour in C). */
int gt_json_to_int(const cJSON *v, int64_t *out);

/* Set (replace or append) a string / number / bool member. */
void gt_json_set_str(cJSON *obj, const char *key, const char *val);
void gt_json_set_int(cJSON *obj, const char *key, int64_t val);
void gt_json_set_bool(cJSON *obj, const char *key, int val);
/* Replace or append, taking ownership of val. */
void gt_json_set(cJSON *obj, const char *key, cJSON *val);
/* Remove and free a member if present. */
void gt_json_del(cJSON *obj, const char *key);

/* Insert item at position i of arr (appends when i is past the end).
 * Debian's cJSON 1.7.15 cJSON_InsertItemInArray drops items inserted in
 * the middle of a list that was appended to; never use it. */
void gt_json_array_insert(cJSON *arr, int i, cJSON *item);

/* Deep equality (numbers compared as values, object keys order-insensitive). */
int gt_json_equal(const cJSON *a, const cJSON *b);

#endif
