/*
 * cli.h - what every gt command's main() shares: option parsing with the
 * shared options, usage and help, and the single exit path that reports
 * the error, flushes and checks stdout, and maps the code to gt(7)'s exit
 * statuses.  This is the only code that prints diagnostics or exits; lib/
 * never does.
 */
#ifndef GT_CLI_H
#define GT_CLI_H

#include <signal.h>
#include <stdio.h>

#include "gt.h"

struct gt_cli {
	const char *name;
	const char *summary; /* one line, for `gt help` and --summary */
	const char *const *usage;
	const struct gt_option *opts;
	int json, nul, use_stdin, quiet;
	int reported; /* failures were already printed: exit quietly */
	const char *gt_dir, *actor;
};

/* Shared options, placed in a command's table by these macros. */
#define GT_OPT_LEDGER(c)                                                                  \
	GT_OPT_STRING(0, "gt-dir", &(c)->gt_dir, "DIR", "use the ledger repository DIR"), \
		GT_OPT_STRING(0, "actor", &(c)->actor, "NAME",                            \
			      "act as NAME (default: $GT_AGENT, git user.name)")
#define GT_OPT_JSON(c) GT_OPT_FLAG(0, "json", &(c)->json, "print JSON lines")
#define GT_OPT_NUL(c)  GT_OPT_FLAG('z', NULL, &(c)->nul, "end records with NUL")
#define GT_OPT_STDIN(c) \
	GT_OPT_FLAG(0, "stdin", &(c)->use_stdin, "read records (JSONL or ids) from stdin")
#define GT_OPT_QUIET(c) GT_OPT_FLAG('q', "quiet", &(c)->quiet, "print less")

/* ---- cli.c: parsing, exiting, input, opening ---- */

/* Parse argv with cli->opts; handles --help, --version and
 * --completion-helper (and exits 0), reports usage errors (exit 2).
 * Returns the number of remaining arguments, now in argv[1..]. */
int gt_cli_parse(struct gt_cli *cli, int argc, char **argv);

/* Print "<name>: error: <msg>" and the usage, then exit 2. */
_Noreturn void gt_cli_usage_error(struct gt_cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Report rc (0 or a GT_E* code) and return the exit status: prints the
 * last error and hint for failures, flushes stdout and turns a write error
 * into a failure.  Use as `return gt_cli_finish(&cli, rc);`. */
int gt_cli_finish(struct gt_cli *cli, int rc);

/* Print a warning line on stderr ("<name>: warning: ..."). */
void gt_cli_warn(struct gt_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* End one output record: "\n", or NUL with -z. */
void gt_cli_eor(struct gt_cli *cli);

/* Whether stdout is a terminal that wants colour (honours NO_COLOR). */
int gt_cli_color(void);

/* Read all of stdin (for --stdin).  GT_EFAIL on read error. */
int gt_cli_read_stdin(struct gt_buf *out);

/* Read the text of a field from file ("-": stdin), as -F options do:
 * GT_EUSAGE when it cannot be opened, GT_EINVALID when it holds a NUL;
 * trailing newlines are dropped.  out is reset first. */
int gt_cli_read_text(struct gt_buf *out, const char *file);

/* Read stdin as a batch (JSONL or words per line). */
int gt_cli_read_batch(struct gt_batch *b);

/* Initialise libgit2 and open the ledger with its configuration. */
int gt_cli_open(struct gt_cli *cli, struct gt_ctx *ctx);

/* gt_cli_open() and the town around the ledger. */
int gt_cli_town(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_town *t);

/* The formula search path (formula.h): the rig's (rig, else $GT_RIG),
 * the town's, the shipped formulas.  Opens the ledger and town; without
 * a ledger (and no --gt-dir or GT_DIR) only the shipped ones, and ctx->lg
 * stays NULL, unless need_ledger. */
int gt_cli_formula_path(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_town *t, const char *rig,
			int need_ledger, struct gt_formula_path *p);

/* The rigs named by argv[1..nargs], else every rig of the town, appended
 * to out as owned strings. */
int gt_cli_rigs(struct gt_ctx *ctx, int nargs, char **argv, struct gt_strlist *out);

/* The value of a duration option (--interval 30s) in ms, at least
 * min_ms; a usage error (exit 2) otherwise. */
int64_t gt_cli_duration(struct gt_cli *cli, const char *opt, const char *value, int64_t min_ms);

/* Set *stop on SIGTERM, SIGINT or SIGHUP: --watch loops finish the
 * round they are in, then end. */
void gt_cli_stop_on_signals(volatile sig_atomic_t *stop);

/* Sleep ms milliseconds, or less when *stop is set meanwhile (by a signal
 * handler): --watch loops that end promptly on SIGTERM. */
void gt_cli_nap(long ms, volatile sig_atomic_t *stop);

/* Release what gt_cli_open() opened (safe to call twice). */
void gt_cli_close(struct gt_ctx *ctx, struct gt_index **idx);

/* ---- cli-print.c: output ---- */

/* Print a molecule's state (gt_mol_status()): a JSON line with --json,
 * else a header line and a checklist, one step per line. */
void gt_cli_print_molecule(struct gt_cli *cli, const cJSON *st);

/* Print a JSON value as one line (--json output). */
void gt_cli_print_json(struct gt_cli *cli, const cJSON *v);

/* Print a message: a JSON line with --json; else one tab-separated line
 * (id, new/read/acked, sender, subject), or with full its headers and
 * body followed by a blank line. */
void gt_cli_print_message(struct gt_cli *cli, const cJSON *m, int full);

/* Print messages just sent: JSON lines, or "id<TAB>recipient" lines. */
void gt_cli_print_sent(struct gt_cli *cli, const cJSON *msgs);

/* Print one bead: a canonical JSON line with --json, else the human view. */
void gt_cli_print_bead(struct gt_cli *cli, const cJSON *bead);

/* Print beads by id from the ledger tip: JSON lines, or a table. */
int gt_cli_print_ids(struct gt_cli *cli, struct gt_ledger *lg, const char *const *ids,
		     const git_oid *const *blobs, size_t n, const char *const *extra_col);

/* Report a batch: one output line per record, in order: what the item
 * wrote, or an error record for a failed one (with --keep-going). */
void gt_cli_print_batch(struct gt_cli *cli, const struct gt_batch *b);

/* ---- cli-progress.c: the progress line of long work ---- */

/* A progress line on stderr, "importing: 41,200/100,000 beads (41%)"
 * ("what: done unit" when the total is not known, unit a plural in -s:
 * "indexing history: 1 commit", "... 2 commits"), drawn only when stderr
 * is a terminal and there is no -q: rewritten in place at most ten times
 * a second, and left standing with a newline by gt_cli_progress_end().
 * Nothing at all otherwise. */
struct gt_cli_progress {
	const char *what, *unit;
	int on, shown;
	uint64_t done, total;
	long long last_ms;
	long long start_ms, delay_ms; /* nothing drawn before start + delay */
	size_t width;
};

/* Whether progress is shown at all: stderr a terminal, no -q (for work
 * whose progress another program shows, as git repack's). */
int gt_cli_progress_wanted(const struct gt_cli *cli);
/* Start one: the gt_progress to hand to lib/ (without fn when off). */
struct gt_progress gt_cli_progress_start(struct gt_cli_progress *p, const struct gt_cli *cli,
					 const char *what, const char *unit);
/* The same, drawing nothing until the work has taken GT_PROGRESS_DELAY
 * seconds (default 2; 0: at once), as git's delayed progress: for work
 * that is quick most of the time (catching up a few commits) and long
 * now and then, in a command whose output should otherwise stand alone. */
struct gt_progress gt_cli_progress_start_delayed(struct gt_cli_progress *p,
						 const struct gt_cli *cli, const char *what,
						 const char *unit);
/* End the line (newline) if one was drawn; safe to call more than once. */
void gt_cli_progress_end(struct gt_cli_progress *p);
/* Clear the line drawn now, if any, before a message goes to stderr. */
void gt_cli_progress_clear(void);

/* ---- cli-format.c: --format TEMPLATE ---- */

#define GT_OPT_FORMAT(v)                            \
	GT_OPT_STRING(0, "format", (v), "TEMPLATE", \
		      "print each bead as TEMPLATE: {{id}}, {{title}}, {{status}}, ...")

/* Check a --format template: {{id}} {{title}} {{status}} {{priority}}
 * {{type}} {{assignee}} {{labels}} (Go's {{.id}} too), and the escapes
 * \t, \n and \\.  An unknown field, an unclosed {{ or --json as well is
 * a usage error (exit 2) naming the known fields. */
void gt_cli_format_check(struct gt_cli *cli, const char *tmpl);

/* Append bead rendered through a checked template: field values with
 * control characters as spaces, priority as its number, labels joined by
 * commas, absent fields empty. */
void gt_cli_format_bead(struct gt_buf *out, const char *tmpl, const cJSON *bead);

/* Print one bead through tmpl, ended as a record (newline, NUL with -z). */
void gt_cli_print_format(struct gt_cli *cli, const char *tmpl, const cJSON *bead);
/* What a command adds to each printed bead: a last table column (appended
 * to col) and fields of its JSON object, for the bead's index record. */
struct gt_cli_bead_extra {
	void (*column)(struct gt_buf *col, uint32_t rec, void *ctx);
	void (*json)(cJSON *bead, uint32_t rec, void *ctx);
	void *ctx;
};

/* Print the beads v[0..n) of idx (--format, --json, -z or a table, with
 * extra's column and fields when extra is given), read one at a time and
 * none kept: an aligned table (people at a terminal) is measured in a
 * first pass.  An unreadable bead is left out and named once at the end
 * (with --format it fails). */
int gt_cli_print_beads(struct gt_cli *cli, struct gt_ledger *lg, const struct gt_index *idx,
		       const uint32_t *v, size_t n, const char *format,
		       const struct gt_cli_bead_extra *extra);

/* gt_cli_print_ids() through tmpl. */
int gt_cli_print_ids_format(struct gt_cli *cli, struct gt_ledger *lg, const char *tmpl,
			    const char *const *ids, const git_oid *const *blobs, size_t n);

/* ---- cli-ids.c: beads named by arguments and --stdin ---- */

/* Bead fields as options, shared by gt-bead-add and gt-bead-update. */
struct gt_cli_fields {
	const char *description, *description_file, *design, *acceptance, *notes;
	const char *type, *priority, *assignee, *owner, *status, *defer_until;
	const char *due, *external_ref, *metadata;
	struct gt_strlist labels, deps;
	int ephemeral;
	struct gt_buf file_text;
	int file_read;		      /* -F is read once, not per record or retry */
	struct gt_strlist deps_split; /* --deps split at commas, once */
	struct gt_buf deps_keep;
	int deps_done;
};

#define GT_OPT_FIELDS(f)                                                                         \
	GT_OPT_STRING('d', "description", &(f)->description, "TEXT", "description"),             \
		GT_OPT_STRING('F', "description-file", &(f)->description_file, "FILE",           \
			      "read the description from FILE (- for stdin)"),                   \
		GT_OPT_STRING(0, "design", &(f)->design, "TEXT", "design notes"),                \
		GT_OPT_STRING(0, "acceptance", &(f)->acceptance, "TEXT", "acceptance criteria"), \
		GT_OPT_STRING(0, "notes", &(f)->notes, "TEXT", "notes"),                         \
		GT_OPT_STRING('t', "type", &(f)->type, "TYPE",                                   \
			      "bug, feature, task, epic, chore, ... (default task)"),            \
		GT_OPT_STRING('p', "priority", &(f)->priority, "N",                              \
			      "0 (highest) to 4, or P0..P4"),                                    \
		GT_OPT_STRING('a', "assignee", &(f)->assignee, "WHO", "assignee (\"\" clears)"), \
		GT_OPT_STRING(0, "owner", &(f)->owner, "WHO", "owner"),                          \
		GT_OPT_STRING('s', "status", &(f)->status, "STATUS",                             \
			      "open, in_progress, blocked, deferred, closed, ..."),              \
		GT_OPT_LIST('l', "label", &(f)->labels, "LABEL", "add a label (repeatable)"),    \
		GT_OPT_LIST(0, "deps", &(f)->deps, "[TYPE:]ID",                                  \
			    "depend on ID (type blocks unless given; repeatable)"),              \
		GT_OPT_STRING(0, "defer-until", &(f)->defer_until, "TIME",                       \
			      "hide from ready work until TIME (\"\" clears)"),                  \
		GT_OPT_STRING(0, "due", &(f)->due, "TIME", "due date"),                          \
		GT_OPT_STRING(0, "external-ref", &(f)->external_ref, "REF",                      \
			      "reference in another tracker"),                                   \
		GT_OPT_STRING(0, "metadata", &(f)->metadata, "JSON",                             \
			      "merge a JSON object into metadata (null deletes a key)"),         \
		GT_OPT_FLAG(0, "ephemeral", &(f)->ephemeral, "not offered as ready work")

/* Turn the field options into spec fields (spec owns what it needs). */
int gt_cli_fields_apply(struct gt_cli_fields *f, struct gt_bead_spec *s);
void gt_cli_fields_release(struct gt_cli_fields *f);

/* The molecule arg means (gt_mol_resolve(): a molecule, a bead it is on,
 * partial ids allowed; NULL: the caller's hook) into id. */
int gt_cli_molecule(struct gt_ctx *ctx, struct gt_index **idx, const char *arg, struct gt_buf *id);

/* A snapshot as typed (AGENT/N or refs/gt/snapshots/AGENT/N): its rig
 * (loaded; release it), agent address and number. */
int gt_cli_snapshot(struct gt_ctx *ctx, struct gt_town *t, const char *arg, struct gt_rig *rig,
		    struct gt_buf *agent, long *n);

/* Resolve a bead id as typed (partial ids allowed): in the ledger, else
 * among the wisps (refs/gt/wisps). */
int gt_cli_resolve(struct gt_ctx *ctx, struct gt_index **idx, const char *input,
		   struct gt_buf *out);

/* The wisps store when id is a wisp (not in the ledger), else NULL; it
 * stays open until gt_cli_close(). */
struct gt_ledger *gt_cli_wisp(struct gt_ctx *ctx, const char *id);
void gt_cli_wisps_close(void);

/* Split "a,b" entries of in into out (repeated options and commas both
 * add); the strings live in keep until it is released. */
void gt_cli_split_list(struct gt_strlist *out, const struct gt_strlist *in, struct gt_buf *keep);
/* A status or type filter that names no known value (custom ones from
 * configuration count; "all" is a status word) is a usage error (exit 2)
 * listing the known ones.  Types may be Beads' aliases.  Either list may
 * be NULL.  ctx must be open. */
void gt_cli_check_vocab(struct gt_cli *cli, struct gt_ctx *ctx, const struct gt_strlist *statuses,
			const struct gt_strlist *types);

/* Run op on every bead named by the arguments (partial ids resolved) and
 * by --stdin records (ids, or JSON objects with an "id"), all in one
 * transaction (--keep-going: see batch.h).  Prints each id, or the bead as
 * JSON with --json, in input order. */
typedef int (*gt_cli_id_op)(struct gt_txn *tx, struct gt_ctx *ctx, const char *id,
			    const struct gt_record *rec, void *arg);
int gt_cli_run_ids(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_index **idx, int nargs,
		   char **args, const char *command, gt_cli_id_op op, void *arg, int keep_going);

/* The same with a batch the command read (and perhaps rewrote) itself;
 * the batch is released. */
int gt_cli_run_batch(struct gt_cli *cli, struct gt_ctx *ctx, struct gt_index **idx, int nargs,
		     char **args, struct gt_batch *batch, const char *command, gt_cli_id_op op,
		     void *arg, int keep_going);

#endif
