/*
 * commitq.h - group commit.
 *
 * A writer computes its change without the lock, on the tip it read (its
 * base), and hands it over as an intent: what it read (paths), what it
 * writes (paths and their bytes, or removals), and its commit message.
 * Whoever holds the ledger lock commits every intent waiting in the queue
 * (<git-common-dir>/gt/queue/), in arrival order, as one commit: one tree
 * write, one pack, one ref update.  An intent goes in only if nothing it
 * read or writes changed between its base and the group (a path's blob or
 * tree id, or an earlier member of the same group writing it); otherwise
 * its writer is told to apply again on the new tip, where its
 * preconditions are checked again.  So no operation loses another's
 * update, and each writer still gets its own result and exit code.
 *
 * A writer is answered only after the commit is in a fsynced pack and the
 * ref has moved.  The queue is plain files: an intent is "<time>-<pid>.q",
 * held open (a shared flock) by its writer, which sleeps on it (a futex)
 * until it is answered or told to take the lock (first come, first
 * served); the committer appends the result to it (one write) and removes
 * it, and the writer reads it through its open descriptor.  A committer
 * that leaves intents waiting forks a detached committer that goes on
 * with them (commitq.c, "The committer goes on").  An intent whose
 * writer died is dropped unread; one that carries a result already (its
 * committer was killed before removing it) is never committed again.  A
 * committer killed between moving the ref and answering is recovered
 * from the "group" manifest it wrote before moving the ref (only when it
 * answers for others).
 */
#ifndef GT_COMMITQ_H
#define GT_COMMITQ_H

#include <git2.h>

#include "base/buf.h"
#include "base/options.h"
#include "store/repo.h"

struct gt_objbuf;

struct gt_intent_write {
	char *path;
	struct gt_buf data;
	int removed;
};

struct gt_intent {
	git_oid base; /* the tip it was computed on */
	int has_base;
	char *command;		   /* "gt-bead-add" */
	struct gt_buf summary;	   /* the rest of the subject line */
	struct gt_buf trailers;	   /* "Key: value\n" lines */
	char *actor, *email;	   /* validated identity */
	struct gt_strlist reads;   /* paths read (owned); "" = the whole tree */
	struct gt_intent_write *w; /* in order */
	size_t nw, walloc;
};

void gt_intent_init(struct gt_intent *in);
void gt_intent_release(struct gt_intent *in);
/* Add a write (removed: delete path). */
void gt_intent_add_write(struct gt_intent *in, const char *path, const void *data, size_t len,
			 int removed);

struct gt_commitq {
	struct gt_repo *repo;
	git_repository *git;
	struct gt_objbuf *ob; /* attached to git (objbuf.h) */
	const char *ref;      /* refs/gt/ledger */
	const char *who;      /* for the lock file: the command */
	long lock_timeout_ms;
};

/* Commit in together with whatever else is queued.  Returns 0 with
 * *commit set (all zero when the tree did not change), 1 when in conflicts
 * with a change committed after its base (apply again on the new tip), or
 * a GT_E* code. */
int gt_commitq_submit(const struct gt_commitq *q, struct gt_intent *in, git_oid *commit);

/* Compare-and-swap ref from old (NULL: must not exist) to new_id, waiting
 * out a foreign writer's ref lock; flush: then flush the ref's file and
 * its directory to disk.  0, 1 when the ref moved, or GT_E*. */
int gt_ref_cas(struct gt_repo *repo, git_repository *git, const char *ref, const git_oid *new_id,
	       const git_oid *old, int flush);

/* The commit header lines for an identity now: "Name <email> <secs> +0000". */
int gt_commit_signature(struct gt_buf *out, const char *name, const char *email);

#endif
