/*
 * mq.c - the merge queue: merge requests in the order the refinery takes
 * them, reject and retry.  See mq.h for the score.
 */
#include "flow/mq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/graph.h"
#include "store/index.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "store/query.h"
#include "flow/convoy.h"
#include "flow/mail.h"
#include "base/banned.h"

static double hours_since(const char *when, int64_t now)
{
	int64_t t;

	if (!when || gt_time_parse(when, &t) < 0 || t > now)
		return 0;
	return (double)(now - t) / 3.6e12;
}

static const cJSON *md_of(const cJSON *b)
{
	return cJSON_GetObjectItemCaseSensitive(b, "metadata");
}

static double score(const cJSON *mr, const cJSON *ages, int64_t now)
{
	const cJSON *md = md_of(mr);
	const char *src = gt_json_str(md, "source_bead");
	int64_t retries = 0;
	double s = 1000, pen;
	int p = gt_bead_priority(mr);

	if (p >= 0 && p <= 4)
		s += 100.0 * (4 - p);
	if (src && gt_json_str(ages, src))
		s += 10.0 * hours_since(gt_json_str(ages, src), now);
	s += hours_since(gt_json_str(mr, "created_at"), now);
	gt_json_int(md, "retries", &retries);
	pen = 50.0 * (double)retries;
	return s - (pen > 300 ? 300 : pen);
}

static int by_score(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	double sx = cJSON_GetObjectItemCaseSensitive(x, "score")->valuedouble;
	double sy = cJSON_GetObjectItemCaseSensitive(y, "score")->valuedouble;
	int c;

	if (sx != sy)
		return sx > sy ? -1 : 1;
	if ((c = gt_time_cmp(gt_json_str(x, "created_at"), gt_json_str(y, "created_at"))))
		return c;
	return strcmp(gt_bead_id(x), gt_bead_id(y));
}

int gt_mq_list(cJSON **out, struct gt_ctx *ctx, const char *rig, int all)
{
	struct gt_index *idx = NULL;
	struct gt_graph g;
	struct gt_list_filter f;
	cJSON *ages = NULL, **v = NULL;
	uint32_t *recs = NULL;
	size_t n = 0, k = 0;
	int rc, have_g = 0;
	int64_t now = gt_time_now_ns();

	*out = cJSON_CreateArray();
	gt_list_filter_init(&f);
	gt_strlist_push(&f.types, "merge-request");
	gt_strlist_push(&f.statuses, all ? "all" : "open");
	if (!all) {
		gt_strlist_push(&f.statuses, "in_progress");
		gt_strlist_push(&f.statuses, "blocked");
	}
	rc = gt_convoy_ages(&ages, ctx);
	/* a change computed from the index depends on every bead */
	gt_ledger_note_read(ctx->lg, "beads");
	if (rc == 0)
		rc = gt_index_open(&idx, ctx->lg, NULL);
	if (rc == 0 && (rc = gt_graph_compute(&g, idx)) == 0)
		have_g = 1;
	if (rc == 0)
		rc = gt_list(&recs, &n, idx, &f);
	v = gt_calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; rc == 0 && i < n; i++) {
		cJSON *b = NULL;
		const char *st, *brig, *q;

		if ((rc = gt_ledger_read_bead_blob(&b, ctx->lg, gt_index_oid(idx, recs[i]),
						   gt_index_id(idx, recs[i]))) < 0)
			break;
		brig = gt_json_str(md_of(b), "rig");
		if (rig && (!brig || strcmp(brig, rig))) {
			cJSON_Delete(b);
			continue;
		}
		st = gt_bead_status(b);
		if (!strcmp(st, "closed"))
			q = gt_json_str(md_of(b), "merged_commit") ? "merged" : "closed";
		else if (!strcmp(st, "in_progress"))
			q = "active";
		else if (!strcmp(st, "blocked"))
			q = "failed";
		else
			q = gt_graph_blocked(&g, recs[i]) ? "blocked" : "ready";
		gt_json_set_str(b, "queue", q);
		cJSON_AddNumberToObject(b, "score", score(b, ages, now));
		v[k++] = b;
	}
	qsort(v, k, sizeof(*v), by_score);
	for (size_t i = 0; i < k; i++)
		cJSON_AddItemToArray(*out, v[i]);
	free(v);
	free(recs);
	if (have_g)
		gt_graph_release(&g);
	gt_list_filter_release(&f);
	gt_index_free(idx);
	cJSON_Delete(ages);
	return rc;
}

int gt_mq_next(cJSON **out, struct gt_ctx *ctx, const char *rig)
{
	cJSON *list = NULL, *it;
	int rc = gt_mq_list(&list, ctx, rig, 0);

	*out = NULL;
	cJSON_ArrayForEach (it, list) {
		if (rc == 0 && !strcmp(gt_json_str(it, "queue"), "ready")) {
			*out = cJSON_DetachItemViaPointer(list, it);
			break;
		}
	}
	cJSON_Delete(list);
	if (rc == 0 && !*out)
		rc = GT_ENO;
	return rc;
}

struct reject {
	struct gt_ctx *ctx;
	const char *mr, *reason;
	char worker[160];
};

static int reject_fn(struct gt_txn *tx, void *p)
{
	struct reject *r = p;
	struct gt_bead_spec spec;
	struct gt_buf why = GT_BUF_INIT;
	cJSON *mr = NULL, *src = NULL;
	const char *sid;
	int rc, changed;

	r->worker[0] = '\0';
	if ((rc = gt_txn_bead_get(tx, r->mr, &mr)) < 0)
		return rc;
	if (strcmp(gt_bead_type(mr), "merge-request"))
		return gt_error_set(GT_EINVALID, "'%s' is not a merge request", r->mr);
	if (!strcmp(gt_bead_status(mr), "closed"))
		return gt_error_set(GT_ECONFLICT, "merge request '%s' is closed already", r->mr);
	sid = gt_json_str(md_of(mr), "source_bead");
	if (gt_json_str(md_of(mr), "worker"))
		snprintf(r->worker, sizeof(r->worker), "%s", gt_json_str(md_of(mr), "worker"));
	gt_buf_printf(&why, "Rejected: %s", r->reason);
	rc = gt_op_close(tx, r->ctx, r->mr, why.ptr, &changed);
	if (rc == 0 && sid && gt_txn_bead_get(tx, sid, &src) == 0 &&
	    strcmp(gt_bead_status(src), "closed")) {
		gt_bead_spec_init(&spec);
		spec.status = "open";
		spec.assignee = "";
		spec.metadata = cJSON_CreateObject();
		cJSON_AddNullToObject(spec.metadata, "merge_request");
		rc = gt_op_update(tx, r->ctx, sid, &spec, &changed);
		gt_bead_spec_release(&spec);
		gt_buf_reset(&why);
		gt_buf_printf(&why, "Merge request %s rejected: %s", r->mr, r->reason);
		if (rc == 0)
			rc = gt_op_comment(tx, r->ctx, sid, why.ptr, gt_txn_actor(tx), NULL);
	}
	if (rc == 0)
		gt_error_clear(); /* a source bead that is gone */
	gt_buf_release(&why);
	return rc;
}

int gt_mq_reject(struct gt_ctx *ctx, const struct gt_town *t, const char *mr, const char *reason)
{
	struct reject r = { ctx, mr, reason, "" };
	struct gt_txn_opts o = { .command = "gt-mq-reject" };
	int rc;

	if (!reason || !*reason)
		return gt_error_set(GT_EUSAGE, "a reason is required");
	if ((rc = gt_ledger_transact(ctx->lg, &o, reject_fn, &r)) < 0)
		return rc;
	if (r.worker[0]) {
		struct gt_mail_opts m = { .ephemeral = 1, .priority = 1 };
		struct gt_buf subj = GT_BUF_INIT;
		const char *to = r.worker;
		cJSON *sent = NULL;

		gt_buf_printf(&subj, "MERGE_REJECTED: %s", mr);
		m.subject = subj.ptr;
		m.body = reason;
		/* the worker may be gone; the bead carries the reason too */
		if (gt_mail_send(&sent, ctx, t, &to, 1, &m) < 0)
			gt_error_clear();
		cJSON_Delete(sent);
		gt_buf_release(&subj);
	}
	return 0;
}

struct retry {
	struct gt_ctx *ctx;
	const char *mr;
	int changed;
};

static int retry_fn(struct gt_txn *tx, void *p)
{
	struct retry *r = p;
	struct gt_bead_spec spec;
	cJSON *mr = NULL;
	int rc;

	r->changed = 0;
	if ((rc = gt_txn_bead_get(tx, r->mr, &mr)) < 0)
		return rc;
	if (strcmp(gt_bead_type(mr), "merge-request"))
		return gt_error_set(GT_EINVALID, "'%s' is not a merge request", r->mr);
	if (!strcmp(gt_bead_status(mr), "closed"))
		return gt_error_set(GT_ECONFLICT, "merge request '%s' is closed", r->mr);
	gt_bead_spec_init(&spec);
	spec.status = "open";
	spec.assignee = "";
	spec.metadata = cJSON_CreateObject();
	cJSON_AddNullToObject(spec.metadata, "failure");
	cJSON_AddNullToObject(spec.metadata, "refused");
	rc = gt_op_update(tx, r->ctx, r->mr, &spec, &r->changed);
	gt_bead_spec_release(&spec);
	return rc;
}

int gt_mq_retry(struct gt_ctx *ctx, const char *mr, int *changed)
{
	struct retry r = { ctx, mr, 0 };
	struct gt_txn_opts o = { .command = "gt-mq-retry" };
	int rc = gt_ledger_transact(ctx->lg, &o, retry_fn, &r);

	if (changed)
		*changed = r.changed;
	return rc;
}
