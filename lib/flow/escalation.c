/*
 * escalation.c - raising, listing, acknowledging and re-raising
 * escalations (escalation.h).
 */
#include "flow/escalation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/options.h"
#include "base/proc.h"
#include "base/sha256.h"
#include "store/bead.h"
#include "store/config.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "store/query.h"
#include "town/agent.h"
#include "town/heartbeat.h"
#include "town/runtime.h"
#include "flow/mail.h"
#include "base/banned.h"

static const char *const severities[] = { "critical", "high", "medium", "low", NULL };

int gt_severity_check(const char *s, int *priority)
{
	for (int i = 0; severities[i]; i++)
		if (s && !strcmp(s, severities[i])) {
			if (priority)
				*priority = i;
			return 1;
		}
	return 0;
}

struct raise {
	struct gt_ctx *ctx;
	const struct gt_escalation *e;
	struct gt_buf *id;
	int is_new;
};

static void key_id(struct gt_buf *out, const char *key)
{
	struct gt_sha256 c;
	unsigned char h[32];

	gt_sha256_init(&c);
	gt_sha256_update(&c, key, strlen(key));
	gt_sha256_final(&c, h);
	gt_buf_reset(out);
	gt_buf_adds(out, GT_ESCALATION_PREFIX "-");
	for (int i = 0; i < 5; i++)
		gt_buf_printf(out, "%02x", h[i]);
}

static int raise_fn(struct gt_txn *tx, void *p)
{
	struct raise *r = p;
	const struct gt_escalation *e = r->e;
	const char *sev = e->severity ? e->severity : "medium";
	struct gt_bead_spec spec;
	cJSON *old = NULL; /* the transaction's */
	int prio = 2, rc, changed;

	gt_severity_check(sev, &prio);
	r->is_new = 1;
	gt_bead_spec_init(&spec);
	spec.metadata = cJSON_CreateObject();
	if (e->key) {
		key_id(r->id, e->key);
		rc = gt_txn_bead_get(tx, r->id->ptr, &old);
		if (rc == GT_ENOTFOUND) {
			gt_error_clear();
			rc = 0;
		} else if (rc < 0) {
			goto out;
		}
	} else {
		gt_buf_reset(r->id);
	}
	if (old && !strcmp(gt_bead_status(old), "open")) {
		/* the same trouble again: count it, tell nobody twice */
		int64_t count = 1;

		gt_json_int(cJSON_GetObjectItemCaseSensitive(old, "metadata"), "count", &count);
		gt_json_set_int(spec.metadata, "count", count + 1);
		gt_json_set_str(spec.metadata, "last_raised_at", gt_txn_now(tx));
		r->is_new = 0;
		gt_txn_summary(tx, "escalation %s raised again", r->id->ptr);
		rc = gt_op_update(tx, r->ctx, r->id->ptr, &spec, &changed);
		goto out;
	}
	gt_json_set_str(spec.metadata, "severity", sev);
	if (e->key)
		gt_json_set_str(spec.metadata, "key", e->key);
	if (e->bead)
		gt_json_set_str(spec.metadata, "bead", e->bead);
	gt_json_set_int(spec.metadata, "count", 1);
	gt_json_set_str(spec.metadata, "raised_by", gt_agent_actor(r->ctx));
	gt_json_set_int(spec.metadata, "notified_at", gt_heartbeat_now());
	gt_json_set_int(spec.metadata, "notices", 1);
	spec.title = e->title;
	spec.description = e->body ? e->body : "";
	spec.priority = prio;
	spec.assignee = "overseer";
	gt_txn_summary(tx, "escalate [%s] %s", sev, e->title);
	if (e->bead)
		gt_txn_trailer(tx, "Gt-Bead", "%s", e->bead);
	if (old) {
		/* acknowledged before: a new occurrence of the same trouble */
		if ((rc = gt_op_reopen(tx, r->ctx, r->id->ptr, "raised again", &changed)) == 0)
			rc = gt_op_update(tx, r->ctx, r->id->ptr, &spec, &changed);
	} else {
		spec.type = "escalation";
		spec.prefix = GT_ESCALATION_PREFIX;
		if (e->key) {
			/* gt_op_add appends the id it made */
			char *want = gt_strdup(r->id->ptr);

			gt_buf_reset(r->id);
			spec.id = want;
			rc = gt_op_add(tx, r->ctx, &spec, r->id);
			free(want);
		} else {
			rc = gt_op_add(tx, r->ctx, &spec, r->id);
		}
	}
out:
	gt_bead_spec_release(&spec);
	return rc;
}

/* Tell the overseer (mail) and the notify command; best effort. */
static void tell(struct gt_ctx *ctx, const struct gt_town *t, const char *id, const char *sev,
		 const char *title, const char *bead, const char *body, int again)
{
	struct gt_buf subject = GT_BUF_INIT, text = GT_BUF_INIT;
	struct gt_mail_opts mo = { 0 };
	const char *to[] = { "overseer", "mayor" };
	char *notify = gt_config_get(ctx->cfg, "escalation.notify");
	cJSON *sent = NULL, *mayor = NULL;
	size_t nto = 1;

	/* the mayor, when the town has one, answers escalations too */
	if (gt_agent_read(&mayor, ctx->lg, "mayor") == 0)
		nto = 2;
	gt_error_clear();
	cJSON_Delete(mayor);

	gt_buf_printf(&subject, "[%s] %s%s", sev, again ? "still open: " : "", title);
	gt_buf_printf(&text, "Escalation %s (%s)%s%s.\n", id, sev, bead ? " about " : "",
		      bead ? bead : "");
	if (body && *body)
		gt_buf_printf(&text, "\n%s\n", body);
	gt_buf_printf(&text, "\nWhen it is handled: gt-escalation-ack %s\n", id);
	mo.subject = subject.ptr;
	mo.body = text.ptr;
	mo.ephemeral = 0;
	mo.priority = -1;
	if (gt_mail_send(&sent, ctx, t, to, nto, &mo) < 0)
		gt_error_clear();
	cJSON_Delete(sent);
	if (notify && *notify) {
		struct gt_strlist argv = { 0 };
		struct gt_proc_opts po = { .quiet = 1 };

		/* the words of the setting, then the text as arguments: no
		 * shell ever sees a title */
		if (gt_split_words(&argv, notify) == 0 && argv.n) {
			gt_strlist_push_dup(&argv, id);
			gt_strlist_push_dup(&argv, sev);
			gt_strlist_push_dup(&argv, title);
			gt_strlist_push(&argv, NULL);
			gt_run(argv.v, &po, NULL);
		}
		gt_error_clear();
		gt_strlist_release_owned(&argv);
	}
	free(notify);
	gt_buf_release(&subject);
	gt_buf_release(&text);
}

int gt_escalate(struct gt_buf *id, int *is_new, struct gt_ctx *ctx, const struct gt_town *t,
		const struct gt_escalation *e)
{
	struct raise r = { ctx, e, id, 0 };
	struct gt_txn_opts o = { .command = "gt-escalate" };
	int rc;

	if (!e->title || !*e->title)
		return gt_error_set(GT_EUSAGE, "an escalation needs a title");
	if (e->severity && !gt_severity_check(e->severity, NULL))
		return gt_error_set(GT_EUSAGE,
				    "unknown severity '%s' (critical, high, medium or low)",
				    e->severity);
	if ((rc = gt_ctx_config(ctx)) < 0 ||
	    (rc = gt_ledger_transact(ctx->lg, &o, raise_fn, &r)) < 0)
		return rc;
	if (is_new)
		*is_new = r.is_new;
	if (r.is_new)
		tell(ctx, t, id->ptr, e->severity ? e->severity : "medium", e->title, e->bead,
		     e->body, 0);
	return 0;
}

static int by_priority(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int px = gt_bead_priority(x), py = gt_bead_priority(y);
	const char *cx = gt_json_str(x, "created_at"), *cy = gt_json_str(y, "created_at");

	if (px != py)
		return px - py;
	return strcmp(cx ? cx : "", cy ? cy : "");
}

int gt_escalation_list(cJSON **out, struct gt_ctx *ctx, int all)
{
	struct gt_list_filter f;
	cJSON *arr = cJSON_CreateArray(), **v = NULL, *it;
	size_t n = 0, alloc = 0;
	int rc;

	*out = NULL;
	gt_list_filter_init(&f);
	gt_strlist_push(&f.types, "escalation");
	gt_strlist_push(&f.statuses, all ? "all" : "open");
	rc = gt_list_beads(arr, ctx->lg, &f, NULL, NULL);
	gt_list_filter_release(&f);
	if (rc < 0) {
		cJSON_Delete(arr);
		return rc;
	}
	/* most severe first, then oldest */
	while ((it = cJSON_DetachItemFromArray(arr, 0))) {
		GT_ALLOC_GROW(v, n + 1, alloc);
		v[n++] = it;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_priority);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, v[i]);
	free(v);
	*out = arr;
	return 0;
}

struct ack {
	struct gt_ctx *ctx;
	const char *id, *note;
	int changed;
};

static int ack_fn(struct gt_txn *tx, void *p)
{
	struct ack *a = p;
	struct gt_buf reason = GT_BUF_INIT;
	cJSON *b = NULL;
	int rc = gt_txn_bead_get(tx, a->id, &b);

	if (rc == 0 && strcmp(gt_bead_type(b), "escalation"))
		rc = gt_error_set(GT_EUSAGE, "'%s' is a %s, not an escalation", a->id,
				  gt_bead_type(b));
	if (rc == 0) {
		gt_buf_printf(&reason, "acked by %s%s%s", gt_agent_actor(a->ctx),
			      a->note && *a->note ? ": " : "", a->note ? a->note : "");
		gt_txn_summary(tx, "ack %s", a->id);
		rc = gt_op_close(tx, a->ctx, a->id, reason.ptr, &a->changed);
	}
	gt_buf_release(&reason);
	return rc;
}

int gt_escalation_ack(struct gt_ctx *ctx, const char *id, const char *note, int *changed)
{
	struct ack a = { ctx, id, note, 0 };
	struct gt_txn_opts o = { .command = "gt-escalation-ack" };
	int rc = gt_ledger_transact(ctx->lg, &o, ack_fn, &a);

	if (changed)
		*changed = a.changed;
	return rc;
}

struct renotify {
	struct gt_ctx *ctx;
	const char *id;
	int64_t due_before;
	int due;
};

static int renotify_fn(struct gt_txn *tx, void *p)
{
	struct renotify *r = p;
	struct gt_bead_spec spec;
	cJSON *b = NULL, *md;
	int64_t at = 0, notices = 1;
	int rc = gt_txn_bead_get(tx, r->id, &b), changed;

	r->due = 0;
	if (rc < 0)
		return rc;
	md = cJSON_GetObjectItemCaseSensitive(b, "metadata");
	gt_json_int(md, "notified_at", &at);
	gt_json_int(md, "notices", &notices);
	/* checked again inside the transaction: one notice per period */
	if (strcmp(gt_bead_status(b), "open") || at > r->due_before)
		return 0;
	gt_bead_spec_init(&spec);
	spec.metadata = cJSON_CreateObject();
	gt_json_set_int(spec.metadata, "notified_at", gt_heartbeat_now());
	gt_json_set_int(spec.metadata, "notices", notices + 1);
	gt_txn_summary(tx, "escalation %s still open", r->id);
	rc = gt_op_update(tx, r->ctx, r->id, &spec, &changed);
	r->due = rc == 0;
	gt_bead_spec_release(&spec);
	return rc;
}

int gt_escalation_renotify(cJSON **out, struct gt_ctx *ctx, const struct gt_town *t)
{
	cJSON *open = NULL, *it;
	int64_t timeout_ms = 3600000;
	int rc;

	if (out)
		*out = cJSON_CreateArray();
	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	if ((rc = gt_config_get_duration(ctx->cfg, "escalation.timeout", 3600000, &timeout_ms)) <
		    0 ||
	    (rc = gt_escalation_list(&open, ctx, 0)) < 0)
		return rc;
	cJSON_ArrayForEach (it, open) {
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
		int64_t at = 0;
		struct renotify r = { ctx, gt_bead_id(it), gt_heartbeat_now() - timeout_ms / 1000,
				      0 };
		struct gt_txn_opts o = { .command = "gt-deacon" };

		gt_json_int(md, "notified_at", &at);
		if (at > r.due_before)
			continue;
		if ((rc = gt_ledger_transact(ctx->lg, &o, renotify_fn, &r)) < 0)
			break;
		if (!r.due)
			continue;
		tell(ctx, t, r.id,
		     gt_json_str(md, "severity") ? gt_json_str(md, "severity") : "medium",
		     gt_json_str(it, "title") ? gt_json_str(it, "title") : "",
		     gt_json_str(md, "bead"), gt_json_str(it, "description"), 1);
		if (out)
			cJSON_AddItemToArray(*out, cJSON_CreateString(r.id));
	}
	cJSON_Delete(open);
	return rc;
}
