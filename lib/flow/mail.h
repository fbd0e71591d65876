/*
 * mail.h - durable, addressed messages between agents and people.
 *
 * A message is a bead of type message: title = subject, description =
 * body, assignee = the recipient's address, `sender` = the sender's
 * address (an agent's, or `overseer` for a person), metadata.thread (the
 * id of the thread's first message) and metadata.reply_to.  Unread mail
 * is open and has no metadata.read_at; reading sets read_at; an ack
 * closes it.  A message sent to several recipients is one bead each,
 * sharing a thread.
 *
 * Protocol messages between programs (MERGE_READY, MERGED, FIX_NEEDED,
 * ...: gt_mail_is_protocol()) are wisps: they live in the ephemeral store
 * (refs/gt/wisps, ledger.h), never in the ledger's history.
 *
 * Addresses (gt-mail-send(1)): an agent's address with a record; the
 * roles mayor, deacon, overseer, <rig>/witness and <rig>/refinery of an
 * existing rig; `<rig>/` for every polecat and crew member of the rig;
 * `@NAME` (or `list:NAME`) for the named list in config mail.list.NAME
 * (addresses separated by commas or spaces).  Anything else is refused.
 */
#ifndef GT_MAIL_H
#define GT_MAIL_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "base/options.h"
#include "store/ops.h"
#include "town/town.h"

/* Expand one address to its recipients (owned strings appended to out,
 * no duplicates).  GT_EINVALID / GT_ENOTFOUND naming it when unknown. */
int gt_mail_resolve(struct gt_strlist *out, struct gt_ctx *ctx, const char *address);

/* Whether a subject is a protocol message (first word all capitals and
 * underscores, such as MERGED or FIX_NEEDED: ...). */
int gt_mail_is_protocol(const char *subject);

/* Whose mail a command is about: address when given (validated), else
 * the calling agent's, else "overseer" (a person). */
int gt_mail_me(struct gt_buf *out, struct gt_ctx *ctx, const char *address);

struct gt_mail_opts {
	const char *subject, *body;
	const char *reply_to; /* set by gt_mail_reply() */
	int ephemeral;	      /* 1 wisp, 0 durable, -1 by subject */
	int priority;	      /* -1: default 2 */
	int no_nudge;	      /* do not tell live recipients */
};

/* Send to every recipient of the addresses (each expanded first, so an
 * unknown one fails before anything is written), in one transaction.
 * *result is a JSON array of the messages written (caller frees).  Live
 * recipients get a nudge saying mail arrived. */
int gt_mail_send(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t, const char *const *to,
		 size_t nto, const struct gt_mail_opts *o);

/* Answer message id (exact, or a unique prefix): to its sender, in its
 * thread, with subject "Re: <its subject>" unless o gives one. */
int gt_mail_reply(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t, const char *id,
		  const struct gt_mail_opts *o);

/* Tell holder (when it is an address) that bead was taken from its hook
 * by taker: a HOOK_TAKEN wisp.  Best effort. */
void gt_mail_hook_taken(struct gt_ctx *ctx, const struct gt_town *t, const char *holder,
			const char *bead, const char *taker);

/* The inbox of address: its open messages (every message with all),
 * oldest first, from both stores; each message gets "ephemeral" true
 * when it is a wisp. */
int gt_mail_inbox(cJSON **out, struct gt_ctx *ctx, const char *address, int all);

/* Read message id (exact, or a unique prefix of one in the inbox of
 * anyone) from whichever store has it.  *wisp tells which. */
int gt_mail_get(cJSON **out, int *wisp, struct gt_ctx *ctx, const char *id);

/* Mark a message as gt_mail_get() or gt_mail_inbox() gave it read (sets
 * metadata.read_at) or ack it (closes: "acked"), in its own store. */
int gt_mail_mark(struct gt_ctx *ctx, const cJSON *msg, int ack, int *changed);

/* Every message of the thread id belongs to, oldest first. */
int gt_mail_thread(cJSON **out, struct gt_ctx *ctx, const char *id);

/* Remove wisp messages (protocol mail, refs/gt/wisps) older than
 * ttl_secs, read or not, in one transaction of the ephemeral store;
 * *expired gets their ids (with dry, only that: nothing is removed).
 * Durable mail is never expired. */
int gt_mail_expire(cJSON **expired, struct gt_ctx *ctx, int64_t ttl_secs, int dry);
/* How long wisp messages live unless wisp.ttl says otherwise. */
#define GT_WISP_TTL_MS (7LL * 86400 * 1000)

#endif
