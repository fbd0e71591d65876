/*
 * usage.c - run records on beads (and agents), and their sums.
 */
#include "flow/usage.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "store/bead.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "store/query.h"
#include "town/agent.h"
#include "town/town.h"
#include "flow/convoy.h"
#include "base/banned.h"

/* How many run records a bead keeps (the oldest go first). */
#define MAX_RUNS 200

void gt_usage_init(struct gt_usage *u)
{
	memset(u, 0, sizeof(*u));
	u->cost_usd = -1;
}

void gt_usage_add(struct gt_usage *a, const struct gt_usage *b)
{
	a->tokens_in += b->tokens_in;
	a->tokens_out += b->tokens_out;
	a->cache_read += b->cache_read;
	a->cache_write += b->cache_write;
	if (b->cost_usd >= 0)
		a->cost_usd = (a->cost_usd < 0 ? 0 : a->cost_usd) + b->cost_usd;
	a->turns += b->turns;
	a->duration_ms += b->duration_ms;
	a->runs += b->runs;
}

void gt_usage_from_json(struct gt_usage *u, const cJSON *o)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "cost_usd");

	gt_usage_init(u);
	gt_json_int(o, "tokens_in", &u->tokens_in);
	gt_json_int(o, "tokens_out", &u->tokens_out);
	gt_json_int(o, "cache_read", &u->cache_read);
	gt_json_int(o, "cache_write", &u->cache_write);
	gt_json_int(o, "turns", &u->turns);
	gt_json_int(o, "duration_ms", &u->duration_ms);
	if (gt_json_int(o, "runs", &u->runs) < 0)
		u->runs = 1;
	if (cJSON_IsNumber(c) && c->valuedouble >= 0)
		u->cost_usd = c->valuedouble;
	gt_error_clear();
}

static void set_num(cJSON *o, const char *key, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddNumberToObject(o, key, v);
}

void gt_usage_to_json(cJSON *o, const struct gt_usage *u)
{
	gt_json_set_int(o, "runs", u->runs);
	gt_json_set_int(o, "turns", u->turns);
	gt_json_set_int(o, "tokens_in", u->tokens_in);
	gt_json_set_int(o, "tokens_out", u->tokens_out);
	gt_json_set_int(o, "cache_read", u->cache_read);
	gt_json_set_int(o, "cache_write", u->cache_write);
	if (u->cost_usd >= 0)
		set_num(o, "cost_usd", (double)(int64_t)(u->cost_usd * 1e6 + 0.5) / 1e6);
	gt_json_set_int(o, "duration_ms", u->duration_ms);
}

/* ---- recording ---- */

struct rec {
	const char *bead, *agent;
	const cJSON *rec;
};

static void append(cJSON *holder, const cJSON *rec)
{
	cJSON *runs = cJSON_GetObjectItemCaseSensitive(holder, "runs");

	if (!cJSON_IsArray(runs)) {
		cJSON_DeleteItemFromObjectCaseSensitive(holder, "runs");
		runs = cJSON_AddArrayToObject(holder, "runs");
	}
	cJSON_AddItemToArray(runs, cJSON_Duplicate(rec, 1));
	while (cJSON_GetArraySize(runs) > MAX_RUNS)
		cJSON_DeleteItemFromArray(runs, 0);
}

static int record_fn(struct gt_txn *tx, void *p)
{
	struct rec *r = p;
	cJSON *bead = NULL, *agent = NULL;
	int rc = GT_ENOTFOUND;

	gt_txn_summary(tx, "run %s of %s ended: %s", gt_json_str(r->rec, "run"), r->agent,
		       gt_json_str(r->rec, "exit") ? gt_json_str(r->rec, "exit") : "?");
	gt_txn_trailer(tx, "Gt-Agent", "%s", r->agent);
	if (r->bead && *r->bead && (rc = gt_txn_bead_get(tx, r->bead, &bead)) == 0) {
		cJSON *md = cJSON_GetObjectItemCaseSensitive(bead, "metadata");

		gt_txn_trailer(tx, "Gt-Bead", "%s", r->bead);
		if (!cJSON_IsObject(md)) {
			cJSON_DeleteItemFromObjectCaseSensitive(bead, "metadata");
			md = cJSON_AddObjectToObject(bead, "metadata");
		}
		append(md, r->rec);
		return gt_txn_bead_put(tx, r->bead);
	}
	gt_error_clear();
	if ((rc = gt_txn_agent_get(tx, r->agent, &agent)) < 0) {
		gt_error_clear();
		return 0; /* nowhere to keep it: the agent is gone too */
	}
	append(agent, r->rec);
	rc = gt_txn_agent_put(tx, agent);
	cJSON_Delete(agent);
	return rc;
}

int gt_usage_record(struct gt_ctx *ctx, const char *bead, const char *agent, const cJSON *rec)
{
	struct rec r = { bead, agent, rec };
	struct gt_txn_opts o = { .command = "gt-run" };

	return gt_ledger_transact(ctx->lg, &o, record_fn, &r);
}

/* ---- sums ---- */

struct sum {
	struct gt_usage total;
	cJSON *by_runtime, *beads;
	const char *agent; /* only this agent's runs */
	const char *rig;   /* only the runs of this rig's agents */
	int64_t since_ns;
};

static int run_counts(const struct sum *s, const cJSON *run)
{
	int64_t ns;
	const char *ended = gt_json_str(run, "ended_at");

	if (s->agent && (!gt_json_str(run, "agent") || strcmp(gt_json_str(run, "agent"), s->agent)))
		return 0;
	if (s->rig) {
		/* a run of one of the rig's agents, whatever the bead's prefix */
		const char *a = gt_json_str(run, "agent");
		size_t n = strlen(s->rig);

		if (!a || strncmp(a, s->rig, n) || a[n] != '/')
			return 0;
	}
	if (s->since_ns && (!ended || gt_time_parse(ended, &ns) < 0 || ns < s->since_ns)) {
		gt_error_clear();
		return 0;
	}
	return 1;
}

/* Add the runs listed in runs; returns how many counted. */
static int64_t add_runs(struct sum *s, const cJSON *runs, struct gt_usage *part)
{
	const cJSON *run;
	int64_t n = 0;

	gt_usage_init(part);
	cJSON_ArrayForEach (run, runs) {
		struct gt_usage u;
		const char *rt = gt_json_str(run, "runtime");
		cJSON *slot;

		if (!run_counts(s, run))
			continue;
		gt_usage_from_json(&u, run);
		u.runs = 1;
		gt_usage_add(part, &u);
		rt = rt ? rt : "?";
		if (!(slot = cJSON_GetObjectItemCaseSensitive(s->by_runtime, rt))) {
			struct gt_usage z;

			gt_usage_init(&z);
			slot = cJSON_AddObjectToObject(s->by_runtime, rt);
			gt_usage_to_json(slot, &z);
		}
		{
			struct gt_usage cur;

			gt_usage_from_json(&cur, slot);
			gt_usage_add(&cur, &u);
			gt_usage_to_json(slot, &cur);
		}
		n++;
	}
	gt_usage_add(&s->total, part);
	return n;
}

static void add_bead(struct sum *s, const cJSON *bead)
{
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(bead, "metadata"), "runs");
	struct gt_usage part;

	if (!cJSON_IsArray(runs))
		return;
	if (add_runs(s, runs, &part) > 0) {
		cJSON *e = cJSON_CreateObject();

		gt_json_set_str(e, "id", gt_bead_id(bead));
		gt_json_set_str(e, "title",
				gt_json_str(bead, "title") ? gt_json_str(bead, "title") : "");
		gt_usage_to_json(e, &part);
		cJSON_AddItemToArray(s->beads, e);
	}
}

static int has_runs(const cJSON *bead, const void *arg)
{
	(void)arg;
	return cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(bead, "metadata"), "runs"));
}

/* Every bead that has runs (whole ledger) into s, those with prefix only
 * when given. */
static int add_all(struct sum *s, struct gt_ctx *ctx, const char *prefix)
{
	struct gt_list_filter f;
	cJSON *arr = cJSON_CreateArray(), *b;
	int rc;

	gt_list_filter_init(&f);
	f.all = 1;
	gt_strlist_push(&f.statuses, "all");
	rc = gt_list_beads(arr, ctx->lg, &f, has_runs, NULL);
	cJSON_ArrayForEach (b, arr) {
		const char *id = gt_bead_id(b);
		size_t n = prefix ? strlen(prefix) : 0;

		if (!prefix || (!strncmp(id, prefix, n) && id[n] == '-'))
			add_bead(s, b);
	}
	gt_list_filter_release(&f);
	cJSON_Delete(arr);
	return rc;
}

int gt_usage_sum(cJSON **out, struct gt_ctx *ctx, const char *scope, const char *id,
		 const char *since)
{
	struct sum s = { 0 };
	int rc = 0;

	*out = NULL;
	gt_usage_init(&s.total);
	if (since && *since && (rc = gt_time_parse(since, &s.since_ns)) < 0)
		return gt_error_set(GT_EUSAGE, "bad time '%s'", since);
	s.by_runtime = cJSON_CreateObject();
	s.beads = cJSON_CreateArray();
	if (!strcmp(scope, "bead")) {
		cJSON *b = NULL;

		if ((rc = gt_ledger_read_bead(&b, ctx->lg, NULL, id)) == 0)
			add_bead(&s, b);
		cJSON_Delete(b);
	} else if (!strcmp(scope, "convoy")) {
		cJSON *st = NULL;
		const cJSON *e;

		if ((rc = gt_convoy_status(&st, ctx, id)) == 0) {
			cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(st, "beads")) {
				cJSON *b = NULL;

				if (gt_ledger_read_bead(&b, ctx->lg, NULL, gt_json_str(e, "id")) ==
				    0)
					add_bead(&s, b);
				gt_error_clear();
				cJSON_Delete(b);
			}
		}
		cJSON_Delete(st);
	} else if (!strcmp(scope, "agent")) {
		cJSON *a = NULL;
		struct gt_usage part;

		s.agent = id;
		if ((rc = add_all(&s, ctx, NULL)) == 0 && gt_agent_read(&a, ctx->lg, id) == 0)
			add_runs(&s, cJSON_GetObjectItemCaseSensitive(a, "runs"), &part);
		gt_error_clear();
		cJSON_Delete(a);
	} else if (!strcmp(scope, "rig")) {
		struct gt_town t;
		struct gt_rig rig = { 0 };

		if ((rc = gt_town_open(&t, ctx)) == 0) {
			if ((rc = gt_rig_load(&rig, ctx, &t, id)) == 0) {
				s.rig = id;
				rc = add_all(&s, ctx, NULL);
			}
			gt_rig_release(&rig);
			gt_town_release(&t);
		}
	} else {
		rc = add_all(&s, ctx, NULL);
	}
	if (rc < 0) {
		cJSON_Delete(s.by_runtime);
		cJSON_Delete(s.beads);
		return rc;
	}
	*out = cJSON_CreateObject();
	gt_json_set_str(*out, "scope", scope);
	if (id)
		gt_json_set_str(*out, "id", id);
	if (since && *since)
		gt_json_set_str(*out, "since", since);
	gt_usage_to_json(*out, &s.total);
	cJSON_AddItemToObject(*out, "by_runtime", s.by_runtime);
	cJSON_AddItemToObject(*out, "beads", s.beads);
	return 0;
}
