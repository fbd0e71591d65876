/*
 * mail.c - addressed messages: resolving addresses, sending (durable or
 * wisp), the inbox, read and ack, threads.  See mail.h.
 */
#include "flow/mail.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/config.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "store/query.h"
#include "town/agent.h"
#include "town/session.h"
#include "town/town.h"
#include "town/worker.h"
#include "base/banned.h"

static int push_unique(struct gt_strlist *out, const char *s)
{
	if (!gt_strlist_has(out, s))
		gt_strlist_push_dup(out, s);
	return 0;
}

static int rig_exists(struct gt_ctx *ctx, const char *rig)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	int rc;

	gt_rig_path(&path, rig);
	rc = gt_ledger_read_file(&data, NULL, ctx->lg, NULL, path.ptr);
	gt_buf_release(&path);
	gt_buf_release(&data);
	gt_error_clear();
	return rc == 0;
}

static int resolve_list(struct gt_strlist *out, struct gt_ctx *ctx, const char *name, int depth)
{
	struct gt_buf key = GT_BUF_INIT;
	char *val, *save = NULL;
	int rc = 0;

	gt_buf_printf(&key, "mail.list.%s", name);
	val = gt_config_get(ctx->cfg, key.ptr);
	gt_buf_release(&key);
	if (!val) {
		gt_error_set(GT_ENOTFOUND, "no mailing list '%s'", name);
		gt_error_hint("define it with: gt-config mail.list.%s 'ADDR, ADDR'", name);
		return GT_ENOTFOUND;
	}
	if (depth > 4) {
		free(val);
		return gt_error_set(GT_EINVALID, "mailing list '%s' nests too deep", name);
	}
	for (char *w = strtok_r(val, ", \t\n", &save); w && !rc;
	     w = strtok_r(NULL, ", \t\n", &save))
		rc = (*w == '@')	       ? resolve_list(out, ctx, w + 1, depth + 1)
		     : !strncmp(w, "list:", 5) ? resolve_list(out, ctx, w + 5, depth + 1)
					       : gt_mail_resolve(out, ctx, w);
	free(val);
	return rc;
}

int gt_mail_resolve(struct gt_strlist *out, struct gt_ctx *ctx, const char *address)
{
	struct gt_address a;
	size_t len = strlen(address);
	cJSON *agent = NULL;
	int rc;

	if (*address == '@')
		return resolve_list(out, ctx, address + 1, 0);
	if (!strncmp(address, "list:", 5))
		return resolve_list(out, ctx, address + 5, 0);
	if (!strcmp(address, "overseer"))
		return push_unique(out, address);
	if (len > 1 && address[len - 1] == '/') {
		char rig[64];
		cJSON *all = NULL, *it;
		size_t before = out->n;

		if (len - 1 >= sizeof(rig))
			return gt_error_set(GT_EINVALID, "'%s' is not a rig", address);
		memcpy(rig, address, len - 1);
		rig[len - 1] = '\0';
		if ((rc = gt_name_check("rig", rig)) < 0)
			return rc;
		if (!rig_exists(ctx, rig))
			return gt_error_set(GT_ENOTFOUND, "no rig '%s' (in address '%s')", rig,
					    address);
		if ((rc = gt_agent_list(&all, ctx->lg, rig)) < 0)
			return rc;
		cJSON_ArrayForEach (it, all) {
			const char *role = gt_json_str(it, "role");

			if (role && (!strcmp(role, "polecat") || !strcmp(role, "crew")))
				push_unique(out, gt_json_str(it, "address"));
		}
		cJSON_Delete(all);
		if (out->n == before && !gt_strlist_has(out, address))
			return gt_error_set(GT_ENOTFOUND, "rig '%s' has no workers to mail", rig);
		return 0;
	}
	if ((rc = gt_address_parse(&a, address)) < 0) {
		gt_error_hint("addresses: an agent (rig/polecats/NAME, rig/crew/NAME), mayor, "
			      "deacon, overseer, rig/witness, rig/refinery, rig/ (its workers), "
			      "@LIST");
		return rc;
	}
	switch (a.role) {
	case GT_ROLE_MAYOR:
	case GT_ROLE_DEACON: return push_unique(out, address);
	case GT_ROLE_WITNESS:
	case GT_ROLE_REFINERY:
		if (!rig_exists(ctx, a.rig))
			return gt_error_set(GT_ENOTFOUND, "no rig '%s' (in address '%s')", a.rig,
					    address);
		return push_unique(out, address);
	default: break;
	}
	if ((rc = gt_agent_read(&agent, ctx->lg, address)) < 0) {
		gt_error_set(GT_ENOTFOUND, "no agent '%s' to mail", address);
		gt_error_hint("gt-agent-list shows the agents");
		return rc;
	}
	cJSON_Delete(agent);
	return push_unique(out, address);
}

int gt_mail_is_protocol(const char *subject)
{
	size_t n = 0;
	int under = 0;

	for (; subject[n] && subject[n] != ':' && subject[n] != ' '; n++) {
		if (subject[n] == '_')
			under = 1;
		else if (!(subject[n] >= 'A' && subject[n] <= 'Z') &&
			 !(subject[n] >= '0' && subject[n] <= '9'))
			return 0;
	}
	if (n < 3)
		return 0;
	/* one-word protocol subjects without an underscore */
	return under || (n == 6 && !strncmp(subject, "MERGED", 6)) ||
	       (n == 9 && !strncmp(subject, "LIFECYCLE", 9)) ||
	       (n == 6 && !strncmp(subject, "LANDED", 6));
}

int gt_mail_me(struct gt_buf *out, struct gt_ctx *ctx, const char *address)
{
	struct gt_address a;
	int rc;

	gt_buf_reset(out);
	if (address && !strcmp(address, "overseer")) {
		gt_buf_adds(out, address);
		return 0;
	}
	if (address)
		return (rc = gt_address_parse(&a, address)) < 0 ? rc
								: (gt_buf_adds(out, address), 0);
	rc = gt_worker_address(out, ctx, NULL);
	if (rc == GT_ENOTFOUND) {
		gt_error_clear();
		gt_buf_reset(out);
		gt_buf_adds(out, gt_agent_actor(ctx));
		rc = 0;
	}
	return rc;
}

/* ---- sending ---- */

struct send {
	struct gt_ctx *ctx;
	const struct gt_mail_opts *o;
	const struct gt_strlist *rcpt;
	const char *sender, *thread;
	int wisp;
	cJSON *written;
};

static int send_fn(struct gt_txn *tx, void *p)
{
	struct send *s = p;
	struct gt_buf id = GT_BUF_INIT, first = GT_BUF_INIT;
	int rc = 0;

	cJSON_Delete(s->written);
	s->written = cJSON_CreateArray();
	gt_txn_summary(tx, "mail to %s%s: %s", s->rcpt->v[0], s->rcpt->n > 1 ? " and others" : "",
		       s->o->subject);
	for (size_t i = 0; i < s->rcpt->n && !rc; i++) {
		struct gt_bead_spec spec;
		cJSON *b = NULL;

		gt_bead_spec_init(&spec);
		spec.title = s->o->subject;
		spec.description = s->o->body && *s->o->body ? s->o->body : NULL;
		spec.type = "message";
		spec.assignee = s->rcpt->v[i];
		spec.priority = s->o->priority >= 0 ? s->o->priority : 2;
		spec.prefix = s->wisp ? "hq-wisp" : "hq";
		if (s->wisp)
			spec.ephemeral = 1;
		spec.extra = cJSON_CreateObject();
		gt_json_set_str(spec.extra, "sender", s->sender);
		spec.metadata = cJSON_CreateObject();
		if (s->thread)
			gt_json_set_str(spec.metadata, "thread", s->thread);
		else if (first.len)
			gt_json_set_str(spec.metadata, "thread", first.ptr);
		if (s->o->reply_to)
			gt_json_set_str(spec.metadata, "reply_to", s->o->reply_to);
		if (gt_ledger_actor(s->ctx->lg) && strcmp(gt_ledger_actor(s->ctx->lg), s->sender))
			gt_json_set_str(spec.metadata, "sender_name", gt_ledger_actor(s->ctx->lg));
		gt_buf_reset(&id);
		rc = gt_op_add(tx, s->ctx, &spec, &id);
		gt_bead_spec_release(&spec);
		if (!rc && !first.len)
			gt_buf_adds(&first, id.ptr);
		if (!rc && (rc = gt_txn_bead_get(tx, id.ptr, &b)) == 0)
			cJSON_AddItemToArray(s->written, cJSON_Duplicate(b, 1));
	}
	if (!rc)
		gt_txn_trailer(tx, "Gt-Agent", "%s", s->sender);
	gt_buf_release(&id);
	gt_buf_release(&first);
	return rc;
}

static void notify(struct gt_ctx *ctx, const struct gt_town *t, const cJSON *msg)
{
	const char *to = gt_json_str(msg, "assignee");
	struct gt_buf text = GT_BUF_INIT, session = GT_BUF_INIT;

	/* only a running session is told; the rest read it with gt-prime */
	gt_session_name(&session, to);
	if (gt_session_has(t->socket, session.ptr) != 0) {
		gt_error_clear();
		gt_buf_release(&session);
		return;
	}
	gt_buf_release(&session);
	gt_buf_printf(&text, "You have mail from %s: %s (gt-mail-read %s)",
		      gt_json_str(msg, "sender"), gt_json_str(msg, "title"), gt_bead_id(msg));
	/* best effort: mail is durable whether or not the nudge lands */
	gt_worker_nudge(ctx, t, to, text.ptr, GT_NUDGE_WAIT_IDLE, 3000, NULL);
	gt_error_clear();
	gt_buf_release(&text);
}

/* Send, in thread (NULL: a thread of its own). */
static int send_in(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t,
		   const char *const *to, size_t nto, const struct gt_mail_opts *o,
		   const char *thread)
{
	struct gt_strlist rcpt = { 0 };
	struct gt_ledger *w = NULL;
	struct send s = { .ctx = ctx, .o = o, .rcpt = &rcpt, .thread = thread };
	struct gt_txn_opts topts = { .command = "gt-mail-send" };
	cJSON *it;
	int rc = 0;

	*result = NULL;
	if (!o->subject || !*o->subject)
		return gt_error_set(GT_EUSAGE, "a subject is required");
	for (size_t i = 0; i < nto && !rc; i++)
		rc = gt_mail_resolve(&rcpt, ctx, to[i]);
	if (rc < 0)
		goto out;
	if (!rcpt.n) {
		rc = gt_error_set(GT_EUSAGE, "no recipients");
		goto out;
	}
	s.sender = gt_agent_actor(ctx);
	s.wisp = o->ephemeral >= 0 ? o->ephemeral : gt_mail_is_protocol(o->subject);
	if (s.wisp) {
		if ((rc = gt_ledger_open_wisps(&w, ctx->lg)) < 0)
			goto out;
		rc = gt_ledger_transact(w, &topts, send_fn, &s);
	} else {
		rc = gt_ledger_transact(ctx->lg, &topts, send_fn, &s);
	}
	if (rc < 0)
		goto out;
	if (!o->no_nudge && t)
		cJSON_ArrayForEach (it, s.written)
			notify(ctx, t, it);
	*result = s.written;
	s.written = NULL;
out:
	cJSON_Delete(s.written);
	gt_ledger_free(w);
	gt_strlist_release_owned(&rcpt);
	return rc;
}

int gt_mail_send(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t, const char *const *to,
		 size_t nto, const struct gt_mail_opts *o)
{
	return send_in(result, ctx, t, to, nto, o, NULL);
}

int gt_mail_reply(cJSON **result, struct gt_ctx *ctx, const struct gt_town *t, const char *id,
		  const struct gt_mail_opts *o)
{
	struct gt_mail_opts ro = *o;
	struct gt_buf subj = GT_BUF_INIT;
	cJSON *orig = NULL;
	const char *to, *thread;
	int rc, wisp;

	*result = NULL;
	if ((rc = gt_mail_get(&orig, &wisp, ctx, id)) < 0)
		return rc;
	to = gt_json_str(orig, "sender");
	if (!to || !*to) {
		rc = gt_error_set(GT_EINVALID, "message '%s' has no sender to reply to", id);
		goto out;
	}
	if (!ro.subject) {
		const char *s = gt_json_str(orig, "title") ? gt_json_str(orig, "title") : "";

		gt_buf_printf(&subj, "%s%s", strncmp(s, "Re: ", 4) ? "Re: " : "", s);
		ro.subject = subj.ptr;
	}
	ro.reply_to = gt_bead_id(orig);
	thread = gt_json_str(cJSON_GetObjectItemCaseSensitive(orig, "metadata"), "thread");
	rc = send_in(result, ctx, t, &to, 1, &ro, thread ? thread : gt_bead_id(orig));
out:
	cJSON_Delete(orig);
	gt_buf_release(&subj);
	return rc;
}

void gt_mail_hook_taken(struct gt_ctx *ctx, const struct gt_town *t, const char *holder,
			const char *bead, const char *taker)
{
	struct gt_mail_opts m = { .ephemeral = 1, .priority = 1 };
	struct gt_buf subj = GT_BUF_INIT, body = GT_BUF_INIT;
	struct gt_strlist check = { 0 };
	cJSON *sent = NULL;

	gt_buf_printf(&subj, "HOOK_TAKEN: %s", bead);
	gt_buf_printf(&body, "%s was taken from your hook and put on %s's.\n", bead, taker);
	m.subject = subj.ptr;
	m.body = body.ptr;
	/* a holder that is no address (a person who claimed it) learns it
	 * from the bead */
	if (gt_mail_resolve(&check, ctx, holder) < 0 ||
	    gt_mail_send(&sent, ctx, t, &holder, 1, &m) < 0)
		gt_error_clear();
	cJSON_Delete(sent);
	gt_strlist_release_owned(&check);
	gt_buf_release(&subj);
	gt_buf_release(&body);
}

/* ---- reading ---- */

static int by_created(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	const char *cx = gt_json_str(x, "created_at"), *cy = gt_json_str(y, "created_at");
	int c = strcmp(cx ? cx : "", cy ? cy : "");

	return c ? c : strcmp(gt_bead_id(x), gt_bead_id(y));
}

static void sort_array(cJSON *arr)
{
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	cJSON **v, *it;

	if (n < 2)
		return;
	v = gt_calloc(n, sizeof(*v));
	while (arr->child) {
		it = cJSON_DetachItemViaPointer(arr, arr->child);
		v[i++] = it;
	}
	qsort(v, n, sizeof(*v), by_created);
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, v[i]);
	free(v);
}

typedef int (*msg_pred)(const cJSON *msg, const void *arg);

/* Messages of the main ledger (through the index: type message, and
 * the assignee when given) and of the wisps that pred accepts. */
static int collect(cJSON *out, struct gt_ctx *ctx, const char *assignee, int all, msg_pred pred,
		   const void *arg)
{
	struct gt_list_filter f;
	struct gt_ledger *w = NULL;
	cJSON *wisps = NULL, *it;
	int rc;

	gt_list_filter_init(&f);
	gt_strlist_push(&f.types, "message");
	gt_strlist_push(&f.statuses, all ? "all" : "open");
	if (assignee)
		gt_strlist_push(&f.assignees, assignee);
	f.sort = "oldest";
	rc = gt_list_beads(out, ctx->lg, &f, pred, arg);
	gt_list_filter_release(&f);
	if (rc == 0)
		rc = gt_ledger_open_wisps(&w, ctx->lg);
	if (rc == 0 && w->has_tip)
		rc = gt_ledger_read_records(&wisps, w, "beads", NULL);
	cJSON_ArrayForEach (it, wisps) {
		const char *type = gt_json_str(it, "issue_type"), *as = gt_json_str(it, "assignee");

		if (!type || strcmp(type, "message") || (assignee && (!as || strcmp(as, assignee))))
			continue;
		if (!all && strcmp(gt_bead_status(it), "open"))
			continue;
		if (pred && !pred(it, arg))
			continue;
		gt_json_set_bool(it, "ephemeral", 1);
		cJSON_AddItemToArray(out, cJSON_Duplicate(it, 1));
	}
	cJSON_Delete(wisps);
	gt_ledger_free(w);
	sort_array(out);
	return rc;
}

int gt_mail_inbox(cJSON **out, struct gt_ctx *ctx, const char *address, int all)
{
	*out = cJSON_CreateArray();
	return collect(*out, ctx, address, all, NULL, NULL);
}

static int id_prefix(const cJSON *msg, const void *arg)
{
	const char *id = gt_bead_id(msg), *want = arg;

	const char *tail = strrchr(id, '-');

	return !strncmp(id, want, strlen(want)) ||
	       ((id = strchr(id, '-')) && !strncmp(id + 1, want, strlen(want))) ||
	       (tail && !strncmp(tail + 1, want, strlen(want)));
}

int gt_mail_get(cJSON **out, int *wisp, struct gt_ctx *ctx, const char *id)
{
	cJSON *found = cJSON_CreateArray(), *exact = NULL, *it;
	int rc, n = 0;

	*out = NULL;
	rc = collect(found, ctx, NULL, 1, id_prefix, id);
	cJSON_ArrayForEach (it, found) {
		if (!strcmp(gt_bead_id(it), id))
			exact = it;
		n++;
	}
	if (rc == 0 && !exact && n == 1)
		exact = found->child;
	if (rc == 0 && !exact) {
		if (n == 0)
			rc = gt_error_set(GT_ENOTFOUND, "no message '%s'", id);
		else
			rc = gt_error_set(GT_EAMBIGUOUS, "'%s' names %d messages", id, n);
	}
	if (rc == 0) {
		*wisp = gt_json_bool(exact, "ephemeral");
		*out = cJSON_DetachItemViaPointer(found, exact);
	}
	cJSON_Delete(found);
	return rc;
}

struct mark {
	struct gt_ctx *ctx;
	const char *id;
	int ack, wisp, changed;
};

static int mark_fn(struct gt_txn *tx, void *p)
{
	struct mark *m = p;
	struct gt_bead_spec spec;
	cJSON *b = NULL;
	int rc, changed = 0;

	m->changed = 0;
	if ((rc = gt_txn_bead_get(tx, m->id, &b)) < 0)
		return rc;
	/* an acked wisp has done its job: it goes, leaving no trace */
	if (m->wisp && m->ack) {
		m->changed = 1;
		gt_txn_summary(tx, "ack %s", m->id);
		return gt_txn_bead_purge(tx, m->id);
	}
	if (!gt_json_str(cJSON_GetObjectItemCaseSensitive(b, "metadata"), "read_at")) {
		gt_bead_spec_init(&spec);
		spec.metadata = cJSON_CreateObject();
		gt_json_set_str(spec.metadata, "read_at", gt_txn_now(tx));
		rc = gt_op_update(tx, m->ctx, m->id, &spec, &changed);
		gt_bead_spec_release(&spec);
		m->changed |= changed;
	}
	if (rc == 0 && m->ack && strcmp(gt_bead_status(b), "closed")) {
		rc = gt_op_close(tx, m->ctx, m->id, "acked", &changed);
		m->changed |= changed;
	}
	return rc;
}

int gt_mail_mark(struct gt_ctx *ctx, const cJSON *msg, int ack, int *changed)
{
	struct mark m = { ctx, gt_bead_id(msg), ack, gt_json_bool(msg, "ephemeral"), 0 };
	struct gt_txn_opts o = { .command = ack ? "gt-mail-ack" : "gt-mail-read" };
	struct gt_ledger *w = NULL;
	int rc;

	if (m.wisp && (rc = gt_ledger_open_wisps(&w, ctx->lg)) == 0)
		rc = gt_ledger_transact(w, &o, mark_fn, &m);
	else if (!m.wisp)
		rc = gt_ledger_transact(ctx->lg, &o, mark_fn, &m);
	if (changed)
		*changed = m.changed;
	gt_ledger_free(w);
	return rc;
}

static int same_thread(const cJSON *msg, const void *arg)
{
	const char *th = gt_json_str(cJSON_GetObjectItemCaseSensitive(msg, "metadata"), "thread");

	return !strcmp(th ? th : gt_bead_id(msg), arg);
}

int gt_mail_thread(cJSON **out, struct gt_ctx *ctx, const char *id)
{
	cJSON *msg = NULL;
	const char *th;
	char *thread;
	int wisp, rc;

	*out = NULL;
	if ((rc = gt_mail_get(&msg, &wisp, ctx, id)) < 0)
		return rc;
	th = gt_json_str(cJSON_GetObjectItemCaseSensitive(msg, "metadata"), "thread");
	thread = gt_strdup(th ? th : gt_bead_id(msg));
	cJSON_Delete(msg);
	*out = cJSON_CreateArray();
	rc = collect(*out, ctx, NULL, 1, same_thread, thread);
	free(thread);
	return rc;
}

/* ---- expiry ---- */

struct expire {
	const struct gt_strlist *ids;
};

static int expire_fn(struct gt_txn *tx, void *p)
{
	struct expire *x = p;
	int rc = 0;

	gt_txn_summary(tx, "expire %zu wisp message%s", x->ids->n, x->ids->n == 1 ? "" : "s");
	for (size_t i = 0; i < x->ids->n && rc == 0; i++)
		rc = gt_txn_bead_purge(tx, x->ids->v[i]);
	return rc;
}

int gt_mail_expire(cJSON **expired, struct gt_ctx *ctx, int64_t ttl_secs, int dry)
{
	struct gt_ledger *w = NULL;
	struct gt_strlist ids = { 0 };
	struct expire x = { &ids };
	struct gt_txn_opts o = { .command = "gt-deacon" };
	cJSON *all = NULL, *it;
	int64_t now = gt_time_now_ns() / 1000000000;
	int rc;

	*expired = cJSON_CreateArray();
	if ((rc = gt_ledger_open_wisps(&w, ctx->lg)) < 0)
		return rc;
	if (w->has_tip && (rc = gt_ledger_read_records(&all, w, "beads", NULL)) == 0) {
		cJSON_ArrayForEach (it, all) {
			const char *type = gt_json_str(it, "issue_type");
			const char *at = gt_json_str(it, "created_at");
			int64_t ns = 0;

			if (type && !strcmp(type, "message") && at && gt_time_parse(at, &ns) == 0 &&
			    now - ns / 1000000000 > ttl_secs) {
				gt_strlist_push_dup(&ids, gt_bead_id(it));
				cJSON_AddItemToArray(*expired, cJSON_CreateString(gt_bead_id(it)));
			}
		}
		if (ids.n && !dry)
			rc = gt_ledger_transact(w, &o, expire_fn, &x);
	}
	cJSON_Delete(all);
	gt_strlist_release_owned(&ids);
	gt_ledger_free(w);
	return rc;
}
