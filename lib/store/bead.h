/*
 * bead.h - the bead record: field order, validation, vocabularies, times.
 *
 * A bead is a JSON object with Beads' field names.  It is kept as a cJSON
 * tree so keys gt does not know survive every rewrite.  The canonical form
 * (gt_bead_serialize) writes known keys in Beads' Go struct order (the
 * order of .beads/issues.jsonl, so an export of an import is byte for byte
 * the same), then unknown keys sorted bytewise.  Key presence is kept as
 * given: an imported `"description":""` stays; gt's own writes drop empty
 * optional fields as Beads' omitempty does.
 */
#ifndef GT_BEAD_H
#define GT_BEAD_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "base/buf.h"

#define GT_TITLE_MAX	    500		  /* bytes, as Beads */
#define GT_BEAD_MAX	    (1024 * 1024) /* serialized size limit */
#define GT_PRIORITY_DEFAULT 2

enum gt_field_kind {
	GT_F_STR,      /* string */
	GT_F_INT,      /* integer */
	GT_F_BOOL,     /* true/false */
	GT_F_TIME,     /* RFC 3339 string */
	GT_F_STRLIST,  /* array of strings */
	GT_F_DEPS,     /* array of dependency objects */
	GT_F_COMMENTS, /* array of comment objects */
	GT_F_ANY,      /* any JSON (metadata, nested objects) */
};

struct gt_field {
	const char *name;
	enum gt_field_kind kind;
	int omitempty;
};

/* The field table in canonical order; NULL-terminated by name. */
extern const struct gt_field gt_bead_fields[];
const struct gt_field *gt_bead_field(const char *name);

/* Append the canonical serialization of bead (no newline). */
void gt_bead_serialize(struct gt_buf *out, const cJSON *bead);
/* Reorder the members of bead in place into canonical order (also the
 * objects inside dependencies and comments). */
void gt_bead_canonicalize(cJSON *bead);

/* Vocabularies: built-in plus custom ones from configuration. */
struct gt_vocab {
	char **custom_statuses;
	size_t nstatuses;
	char **custom_types;
	size_t ntypes;
};
void gt_vocab_release(struct gt_vocab *v);
/* Add comma-separated names (Beads' types.custom / status.custom). */
void gt_vocab_add_types(struct gt_vocab *v, const char *csv);
void gt_vocab_add_statuses(struct gt_vocab *v, const char *csv);
int gt_status_known(const struct gt_vocab *v, const char *status);
int gt_type_known(const struct gt_vocab *v, const char *type);
/* The known statuses (types when types is set), built-in then custom,
 * comma-separated, appended to out. */
void gt_vocab_names(struct gt_buf *out, const struct gt_vocab *v, int types);
/* Beads' aliases: enhancement/feat -> feature, mr -> merge-request, ... */
const char *gt_type_normalize(const char *type);
/* Dependency types that take part in ready/blocked computation. */
int gt_dep_type_blocking(const char *type); /* blocks, conditional-blocks, waits-for */
/* Types never offered as ready work (message, agent, merge-request, ...). */
int gt_type_internal(const char *type);

/* Check a bead before it is written: field kinds, id, title length,
 * priority 0..4, known status and type, parseable times, size, and the
 * ids in its dependencies (issue_id, depends_on_id: see
 * gt_dep_target_check).  A bead that depends on itself passes: Beads data
 * has such edges (gt-maintain reports them).  GT_EINVALID on failure. */
int gt_bead_validate(const cJSON *bead, const struct gt_vocab *v);

/* 0 when target can be the target of a dependency: a bead id (gt_id_check)
 * or external:<project>:<capability>; else GT_EINVALID saying why.  Ids
 * become paths and branch names: this is what keeps "../x" out. */
int gt_dep_target_check(const char *target);

/* Parse "priority" forms: 0..4 or P0..P4. */
int gt_priority_parse(const char *s, int *out);

/* An instant: whole seconds since the epoch (floor) and the nanoseconds
 * after them, 0..999999999.  Holds every time of years 0..9999 exactly. */
struct gt_time {
	int64_t sec;
	int32_t nsec;
};

/* RFC 3339 (any fraction, Z or +hh:mm), also "YYYY-MM-DD HH:MM:SS" and a
 * bare "YYYY-MM-DD" (midnight UTC), years 0000..9999, days checked against
 * their month.  GT_EINVALID (no message, *out untouched) when s is not
 * such a time. */
int gt_time_parse_exact(struct gt_time *out, const char *s);
/* The same as nanoseconds since the epoch, which int64 holds only for
 * 1677..2262: later times give INT64_MAX and earlier ones INT64_MIN, so
 * they still compare after (before) every time in range.  Where such
 * times matter (order, "in the future"), use gt_time_parse_exact. */
int gt_time_parse(const char *s, int64_t *ns);
/* Compare two instants. */
int gt_time_order(const struct gt_time *a, const struct gt_time *b);
/* Compare two timestamps as instants (unparseable ones sort first). */
int gt_time_cmp(const char *a, const char *b);
/* Current time as RFC 3339 UTC with nanoseconds (trailing zeros dropped). */
void gt_time_now(char *out, size_t len);
int64_t gt_time_now_ns(void);
/* secs since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds). */
void gt_time_seconds(char *out, size_t len, int64_t secs);
/* Timestamp s in that form, its fraction dropped (rounded down); -1 when
 * s does not parse. */
int gt_time_whole_seconds(char *out, size_t len, const char *s);

/* Convenience accessors. */
const char *gt_bead_id(const cJSON *b);
const char *gt_bead_status(const cJSON *b); /* "open" when absent (Beads' default) */
const char *gt_bead_type(const cJSON *b);   /* "task" when absent */
int gt_bead_priority(const cJSON *b);	    /* 2 when absent */

/* Set a string field following omitempty: an empty value removes the key
 * when the field is optional. */
void gt_bead_set_str(cJSON *b, const char *key, const char *val);

/* Sorted insert/remove of a label; returns 1 if the bead changed. */
int gt_bead_label_add(cJSON *b, const char *label);
int gt_bead_label_rm(cJSON *b, const char *label);

/* The parent of a bead: the target of its first parent-child edge, or
 * NULL. */
const char *gt_bead_parent(const cJSON *b);

#endif
