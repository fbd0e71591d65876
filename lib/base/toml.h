/*
 * toml.h - a TOML 1.0.0 parser (https://toml.io/en/v1.0.0) for formulas and
 * configuration.
 *
 * The whole document is parsed into a tree of struct gt_toml nodes; every
 * node remembers where it started, so callers that validate the contents
 * (a formula's schema, say) can name the line and column of a bad value.
 * Strict: anything TOML 1.0 does not allow is refused with a message naming
 * the line and column, including the 1.1 extensions (newlines and trailing
 * commas in inline tables, \e and \xHH escapes, times without seconds).
 */
#ifndef GT_TOML_H
#define GT_TOML_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum gt_toml_type {
	GT_TOML_TABLE,
	GT_TOML_ARRAY,
	GT_TOML_STRING,
	GT_TOML_INTEGER,
	GT_TOML_FLOAT,
	GT_TOML_BOOL,
	GT_TOML_DATETIME, /* offset date-time */
	GT_TOML_DATETIME_LOCAL,
	GT_TOML_DATE_LOCAL,
	GT_TOML_TIME_LOCAL,
};

/* The fields a value of a date or time type uses: a local date leaves the
 * time fields 0, a local time the date fields. */
struct gt_toml_datetime {
	int year, month, day, hour, minute, second;
	long nanosecond;
	int frac_digits;    /* digits of the fraction as written, at most 9 */
	int offset_minutes; /* east of UTC; 0 for Z */
};

/* A value.  A parsed tree is read-only: the root owns the memory of every
 * node, key, string and kids array in it. */
struct gt_toml {
	enum gt_toml_type type;
	/* 1-based, counted in characters: where the value starts; for a table
	 * its [header] or the key or inline table that made it; for an element
	 * of an array of tables its [[header]] */
	int line, column;
	char *key;  /* its key in the parent table (NULL for array elements and the root) */
	char *str;  /* strings: NUL-terminated, but may hold \u0000 ... */
	size_t len; /* ... so this is the length */
	int64_t i;  /* integers */
	double f;   /* floats */
	int b;	    /* bools */
	struct gt_toml_datetime dt;
	struct gt_toml **kids; /* table members in document order; array elements */
	size_t nkids, alloc;

	/* private to toml.c */
	size_t keylen;	  /* keys may hold \u0000 too */
	unsigned flags;	  /* how a table or array came to be (F_* in toml.c) */
	int depth;	  /* nesting depth below the root */
	size_t *index;	  /* hash index of kids (1-based slots) once a table is big */
	size_t index_cap; /* slots in index, a power of two */
	void *arena;	  /* the root's: the memory of every node of the tree */
};

/* Parse a whole TOML 1.0 document buf[0..len) into *out (the root table),
 * which the caller frees with gt_toml_free().  On bad input returns
 * GT_EINVALID with *out NULL and the message
 * "<what>: line L, column C: <reason>", what naming the input (a path). */
int gt_toml_parse(struct gt_toml **out, const char *buf, size_t len, const char *what);

/* gt_read_file() and gt_toml_parse() with what = path: GT_ENOTFOUND when the
 * file does not exist, GT_EFAIL when it cannot be read, GT_EINVALID. */
int gt_toml_parse_file(struct gt_toml **out, const char *path);

/* Free a tree from gt_toml_parse(), given its root (which owns the memory
 * of every node: freeing anything else does nothing); NULL is fine. */
void gt_toml_free(struct gt_toml *t);

/* The member key of a table; NULL if absent or table is not a table (or is
 * NULL).  Big tables are looked up through a hash, small ones by a scan. */
const struct gt_toml *gt_toml_get(const struct gt_toml *table, const char *key);

/* The string member key of a table; NULL if absent or not a string. */
const char *gt_toml_str(const struct gt_toml *table, const char *key);

/* "table", "array", "string", "integer", "float", "bool", "datetime",
 * "datetime-local", "date-local", "time-local" ("?" for anything else). */
const char *gt_toml_type_name(enum gt_toml_type t);

/* Append the RFC 3339 / TOML text of a date or time value of the type v has:
 * "1979-05-27T07:32:00Z", "1979-05-27T00:32:00.999999-07:00", "1979-05-27",
 * "07:32:00.5".  The fraction keeps the digits written (up to 9); an offset
 * of zero is written "Z".  Appends nothing for other types. */
void gt_toml_datetime_format(struct gt_buf *out, const struct gt_toml *v);

/* Scan the TOML date, time or date-time that s[0..len) starts with (the
 * parser calls it when s starts with "DDDD-" or "DD:").  On success sets *dt
 * and *type and *used to the bytes it took; what follows is the caller's to
 * check.  On failure returns GT_EINVALID with *used the offset of the
 * problem and *why a static reason, without recording an error. */
int gt_toml_scan_datetime(struct gt_toml_datetime *dt, enum gt_toml_type *type, const char *s,
			  size_t len, size_t *used, const char **why);

/* Plain (untagged) JSON for v: tables become objects (document order),
 * arrays arrays, strings strings (cut at a \u0000: cJSON strings end at
 * NUL), integers and floats numbers (so integers beyond 2^53 lose
 * precision; nan and inf become the strings "nan", "inf", "-inf"), bools
 * bools, dates and times their text form.  The caller frees it with
 * cJSON_Delete(). */
cJSON *gt_toml_to_json(const struct gt_toml *v);

#endif
