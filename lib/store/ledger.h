/*
 * ledger.h - the ledger: records in the tree of refs/gt/ledger, changed by
 * transactions.
 *
 * Layout of the ledger tree (gt-ledger(5)):
 *   config                     town configuration, git-config syntax
 *   beads/<2 hex>/<id>.json    one canonical JSON bead per file; the shard
 *                              is the first byte of SHA-256 of the bead's
 *                              root id, so a parent and its children share
 *                              a shard
 *   agents/<key>.json          agent records (later issues)
 *
 * A transaction: take the writer lock, read the tip, run the caller's apply
 * function against it (reads see the transaction's own writes), write the
 * objects, commit (message "<command>: <summary>", author = actor,
 * trailers), and compare-and-swap refs/gt/ledger from the old tip to the
 * new commit.  If the ref moved underneath (a writer that does not take our
 * lock: another machine's fetch, a user's update-ref), the apply function
 * runs again on the new tip, so its preconditions are checked again; a
 * precondition that no longer holds is GT_ECONFLICT naming the winner.
 *
 * Group commit: transactions that arrive while another is committing are
 * committed together, in arrival order, as one commit (one tree, one ref
 * update).  A commit that holds one operation looks as it always did:
 * subject "<command>: <summary>", author = actor, the operation's trailers.
 * A commit that holds several has the first operation's subject followed
 * by " (+N operations)", and in its trailer block one section per
 * operation, in order, each opened by a Gt-Op line and followed by that
 * operation's own trailers:
 *
 *   Gt-Op: <command> by <actor name> <<actor email>>: <summary>
 *   Gt-Bead: bd-a1
 *   Gt-Op: gt-bead-close by Jane Doe <jane@example.com>: Close bd-b2
 *   Gt-Bead: bd-b2
 *
 * (command has no spaces; a name has no '<'; the summary is one line).
 * The commit's author is the first operation's actor.
 */
#ifndef GT_LEDGER_H
#define GT_LEDGER_H

#include <cjson/cJSON.h>
#include <git2.h>

#include "base/buf.h"
#include "base/map.h"
#include "store/repo.h"

#define GT_LEDGER_REF "refs/gt/ledger"
#define GT_WISPS_REF  "refs/gt/wisps"

struct gt_objbuf;

struct gt_ledger {
	struct gt_repo *repo;
	git_repository *git;
	git_oid tip; /* commit of refs/gt/ledger; zero when none */
	int has_tip;
	git_commit *commit;
	git_tree *tree;
	struct gt_objbuf *objbuf;
	char *actor_opt; /* --actor as given, or NULL */
	char *actor;	 /* acting identity, resolved on first write */
	char *email;
	git_oid last_commit; /* made by the last transaction (zero if none) */
	const char *ref;     /* GT_LEDGER_REF or GT_WISPS_REF */
	int squash;	     /* wisps: every commit is a root, no history */
	char **bad;	     /* unreadable records met and left out (messages) */
	size_t nbad;
	struct gt_txn *reading; /* a transaction computing its change unlocked */
};

/* Open the ledger found by the discovery rules (repo.h).  Fails with
 * GT_ENOTFOUND and a hint to run gt-init when the repository has no
 * refs/gt/ledger.  actor: --actor value or NULL (see gt_ledger_actor()). */
int gt_ledger_open(struct gt_ledger **out, const char *gt_dir, const char *actor);
/* Same, but accepts a repository without a ledger yet (for gt-init). */
int gt_ledger_open_repo(struct gt_ledger **out, struct gt_repo *repo, const char *actor);
void gt_ledger_free(struct gt_ledger *lg);

/* Note an unreadable record a command went on without (its message, kept
 * once): commands that do not need it work and say once which it was
 * (the command layer prints lg->bad); those that need it fail naming it.
 * gt-maintain(1) finds such records and quarantines them. */
void gt_ledger_note_bad(struct gt_ledger *lg, const char *msg);

/* The ephemeral store beside lg (DESIGN.md): records in the same shape
 * under refs/gt/wisps, written by the same transactions except that each
 * commit has no parent, so replaced states are garbage and history never
 * grows; it is created by its first transaction and never pushed.  It
 * borrows lg's repository: free it before lg.  Transactions of the two
 * must not nest. */
int gt_ledger_open_wisps(struct gt_ledger **out, struct gt_ledger *lg);

/* The acting identity: --actor, else $GT_AGENT, else git user.name, else
 * $USER.  The e-mail: $GIT_AUTHOR_EMAIL, else git user.email when the name
 * came from git, else derived from the name.  Resolved once, cached. */
const char *gt_ledger_actor(struct gt_ledger *lg);
const char *gt_ledger_actor_email(struct gt_ledger *lg);

/* Act as actor from now on (a monitor acting under its own address). */
void gt_ledger_set_actor(struct gt_ledger *lg, const char *actor);

/* Re-read refs/gt/ledger (after another process may have written). */
int gt_ledger_refresh(struct gt_ledger *lg);

/* Read the blob at path in tree (the tip tree when tree is NULL).
 * GT_ENOTFOUND when absent.  blob_id may be NULL. */
int gt_ledger_read_file(struct gt_buf *out, git_oid *blob_id, struct gt_ledger *lg, git_tree *tree,
			const char *path);
/* Read a bead by its blob id (from the query index), checking that the
 * bead inside is id; anything else falls back to reading by path. */
int gt_ledger_read_bead_blob(cJSON **out, struct gt_ledger *lg, const git_oid *blob,
			     const char *id);
/* The blob id of bead id in tree (tip when NULL), wherever the ledger's
 * layout puts it (gt-ledger(5)).  GT_ENOTFOUND when absent. */
int gt_ledger_bead_entry(git_oid *blob, struct gt_ledger *lg, git_tree *tree, const char *id);
/* Read and parse one bead by exact id from tree (tip when NULL). */
int gt_ledger_read_bead(cJSON **out, struct gt_ledger *lg, git_tree *tree, const char *id);

/* Within a transaction's apply function, reads of the tip (reads through
 * lg rather than the transaction) are what the change was computed from:
 * the readers here note them, and code that reads the tip another way
 * (the query index: "beads") says what it read with this.  No-op outside. */
void gt_ledger_note_read(struct gt_ledger *lg, const char *path);

/* Parse data as one record: a JSON object (path names it in errors). */
int gt_record_parse(cJSON **out, const struct gt_buf *data, const char *path);
/* Every *.json record under dir of the tip tree, recursively, in tree
 * order, as a JSON array the caller frees (empty when dir is absent).
 * under, when given, keeps only the files below dir/under/. */
int gt_ledger_read_records(cJSON **out, struct gt_ledger *lg, const char *dir, const char *under);

/* ---- transactions ---- */

struct gt_txn;

typedef int (*gt_txn_fn)(struct gt_txn *tx, void *payload);

struct gt_txn_opts {
	const char *command;  /* "gt-bead-add": first word of the message */
	int bulk;	      /* many objects: write one pack */
	int allow_no_ledger;  /* gt-init: create the ref */
	long lock_timeout_ms; /* 0: $GT_LEDGER_LOCK_TIMEOUT, else a minute; < 0: for ever */
	int exclusive;	      /* apply under the lock, never grouped */
};

/* Run fn in a transaction (see the top of this file).  fn normally runs
 * without the lock, on the tip as it is, and its change is committed by
 * group commit (commitq.h) if nothing it read changed meanwhile, else fn
 * runs again on the new tip; after a few such rounds, and for bulk
 * writes, the wisps, gt-init and GT_LEDGER_GROUP=0, fn runs under the lock
 * (one writer at a time).  fn may run several times: its only effects
 * must be on tx (or be safe to repeat).  Returns fn's error,
 * or GT_ECONFLICT / GT_ETEMP / GT_EFAIL from the commit.  When fn makes no
 * change nothing is committed and 0 is returned. */
int gt_ledger_transact(struct gt_ledger *lg, const struct gt_txn_opts *opts, gt_txn_fn fn,
		       void *payload);

/* Within fn: the base tree (NULL for an empty ledger) and attempt number. */
git_tree *gt_txn_base(struct gt_txn *tx);
int gt_txn_attempt(const struct gt_txn *tx);
struct gt_ledger *gt_txn_ledger(struct gt_txn *tx);
const char *gt_txn_actor(const struct gt_txn *tx);
/* The timestamp every change in this transaction uses (RFC 3339, UTC),
 * and the same instant in nanoseconds since the epoch. */
const char *gt_txn_now(const struct gt_txn *tx);
int64_t gt_txn_now_ns(const struct gt_txn *tx);

/* Call cb with the name of every file directly inside dir ("beads/3f"), as
 * the transaction sees it: the base tree minus removed, plus staged new
 * files.  cb returns non-zero to stop (that value is returned). */
int gt_txn_list_dir(struct gt_txn *tx, const char *dir, int (*cb)(const char *name, void *payload),
		    void *payload);

/* Beads.  Objects returned are owned by the transaction; after changing
 * one, call gt_txn_bead_put() so it is written. */
int gt_txn_bead_get(struct gt_txn *tx, const char *id, cJSON **out);
int gt_txn_bead_exists(struct gt_txn *tx, const char *id);
/* Add a new bead (takes ownership of obj); GT_ECONFLICT if id exists. */
int gt_txn_bead_add(struct gt_txn *tx, cJSON *obj);
/* Replace or add (takes ownership of obj). */
int gt_txn_bead_set(struct gt_txn *tx, cJSON *obj);
int gt_txn_bead_put(struct gt_txn *tx, const char *id);
/* Remove the file entirely (not a tombstone: used by tests/maintenance). */
int gt_txn_bead_purge(struct gt_txn *tx, const char *id);
/* Every id staged so far (new or changed), in staging order. */
size_t gt_txn_bead_count(const struct gt_txn *tx);

/* Other files in the ledger tree. */
int gt_txn_file_get(struct gt_txn *tx, const char *path, struct gt_buf *out);
int gt_txn_file_put(struct gt_txn *tx, const char *path, const void *data, size_t len);
int gt_txn_file_remove(struct gt_txn *tx, const char *path);
/* Stage the entry at path as an object written already (through
 * lg->objbuf): a blob (GIT_FILEMODE_BLOB) or a whole directory
 * (GIT_FILEMODE_TREE), for bulk writers that build their own trees
 * (gt-bead-import).  Paths below a directory staged so are not seen by
 * the other gt_txn_* calls, which must not stage any there. */
int gt_txn_entry_put(struct gt_txn *tx, const char *path, unsigned mode, const git_oid *id);

/* The commit message: subject summary and trailers ("Key: value"). */
void gt_txn_summary(struct gt_txn *tx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gt_txn_trailer(struct gt_txn *tx, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* After a successful transaction: the new tip (zero oid if no change). */
const git_oid *gt_ledger_last_commit(const struct gt_ledger *lg);

#endif
