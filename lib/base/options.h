/*
 * options.h - one option table drives parsing, usage text and completion
 * (after git's parse-options).
 *
 * A command declares `struct gt_option opts[] = { GT_OPT_STRING(...), ...,
 * GT_OPT_END() }` and calls gt_options_parse().  Options and arguments may be
 * mixed; `--` ends options.  Long options take `--name=value` or `--name
 * value`; short ones `-n value`, `-nvalue`, and flags bundle (`-qz`).
 * The library never prints: usage text is produced into a buffer by
 * gt_options_usage() and the caller decides where it goes.
 */
#ifndef GT_OPTIONS_H
#define GT_OPTIONS_H

#include <stdint.h>

#include "base/buf.h"

enum gt_opt_type {
	GT_OPT_TYPE_END,
	GT_OPT_TYPE_FLAG,   /* int *: set to 1 (--no-NAME sets 0) */
	GT_OPT_TYPE_STRING, /* const char **: last one wins */
	GT_OPT_TYPE_INT,    /* long *: decimal, range-checked by the command */
	GT_OPT_TYPE_LIST,   /* struct gt_strlist *: every occurrence appended */
	GT_OPT_TYPE_GROUP,  /* a heading in the usage text */
};

struct gt_strlist {
	const char **v;
	size_t n, alloc;
};

void gt_strlist_push(struct gt_strlist *l, const char *s);
void gt_strlist_release(struct gt_strlist *l);
/* Push a copy of s (NULL pushes NULL); free with gt_strlist_release_owned(). */
void gt_strlist_push_dup(struct gt_strlist *l, const char *s);
/* Free the strings too (for lists filled by gt_strlist_push_dup()). */
void gt_strlist_release_owned(struct gt_strlist *l);
/* The same, each string zeroed first: no copy of a secret (an API key
 * handed to an agent) lingers in freed memory. */
void gt_strlist_release_wiped(struct gt_strlist *l);
/* Whether s is in l. */
int gt_strlist_has(const struct gt_strlist *l, const char *s);

struct gt_option {
	enum gt_opt_type type;
	int short_name;
	const char *long_name;
	void *value;
	const char *argh; /* name of the argument in usage ("ID") */
	const char *help;
	int hidden; /* not shown in usage (still completed) */
};

#define GT_OPT_END()                                          \
	{                                                     \
		GT_OPT_TYPE_END, 0, NULL, NULL, NULL, NULL, 0 \
	}
#define GT_OPT_GROUP(h)                                        \
	{                                                      \
		GT_OPT_TYPE_GROUP, 0, NULL, NULL, NULL, (h), 0 \
	}
#define GT_OPT_FLAG(s, l, v, h)                               \
	{                                                     \
		GT_OPT_TYPE_FLAG, (s), (l), (v), NULL, (h), 0 \
	}
#define GT_OPT_STRING(s, l, v, a, h)                           \
	{                                                      \
		GT_OPT_TYPE_STRING, (s), (l), (v), (a), (h), 0 \
	}
#define GT_OPT_INT(s, l, v, a, h)                           \
	{                                                   \
		GT_OPT_TYPE_INT, (s), (l), (v), (a), (h), 0 \
	}
#define GT_OPT_LIST(s, l, v, a, h)                           \
	{                                                    \
		GT_OPT_TYPE_LIST, (s), (l), (v), (a), (h), 0 \
	}

/* Parse argv[1..argc).  Options are consumed; the remaining arguments are
 * moved to the front of argv (after argv[0]) and their count is returned.
 * The special options -h/--help, --version, --summary (the one-line
 * description `gt help` lists) and --completion-helper are reported through
 * *special ('h', 'v', 's' or 'c') with a return of 0.  Errors: GT_EUSAGE with a
 * message naming the option. */
int gt_options_parse(int argc, char **argv, const struct gt_option *opts, int *special);

/* Append "usage: <line>\n   or: <line>..." and the option list. */
void gt_options_usage(struct gt_buf *out, const char *const *usage, const struct gt_option *opts);

/* Append one line per option, tab-separated: long, short, argh, help.
 * Used by the completion scripts through --completion-helper. */
void gt_options_completion(struct gt_buf *out, const struct gt_option *opts);

/* Strict integer parse: whole string, base 10, within [min, max]. */
int gt_parse_long(const char *s, long min, long max, long *out);

/* Whether the environment variable name is "0": a switch that is on
 * unless turned off (GT_LEDGER_GROUP=0). */
int gt_env_off(const char *name);

/* Parse a duration: N (seconds), or N followed by ms, s, m, h or d.
 * GT_EINVALID with a message naming what when it is not one. */
int gt_duration_parse(int64_t *ms, const char *s, const char *what);

#endif
