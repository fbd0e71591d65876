/*
 * ops.c - bead operations inside transactions (see ops.h).
 */
#include "store/ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/map.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/config.h"
#include "store/id.h"
#include "store/ledger.h"
#include "base/banned.h"

static int dep_add(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *target,
		   const char *type, int *changed, int note);

int gt_ctx_open(struct gt_ctx *ctx, const char *gt_dir, const char *actor)
{
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	rc = gt_ledger_open(&ctx->lg, gt_dir, actor);
	if (rc < 0)
		gt_ctx_close(ctx);
	return rc;
}

int gt_ctx_config(struct gt_ctx *ctx)
{
	int rc;

	if (ctx->cfg)
		return 0;
	if ((rc = gt_config_load(&ctx->cfg, ctx->lg, NULL)) < 0)
		return rc;
	gt_config_vocab(&ctx->vocab, ctx->cfg);
	ctx->prefix = gt_config_prefix(ctx->cfg);
	return 0;
}

void gt_ctx_close(struct gt_ctx *ctx)
{
	gt_config_free(ctx->cfg);
	gt_ledger_free(ctx->lg);
	gt_vocab_release(&ctx->vocab);
	free(ctx->prefix);
	memset(ctx, 0, sizeof(*ctx));
}

void gt_bead_spec_init(struct gt_bead_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->priority = -1;
	s->ephemeral = -1;
	s->pinned = -1;
}

void gt_bead_spec_release(struct gt_bead_spec *s)
{
	gt_strlist_release(&s->labels);
	gt_strlist_release(&s->labels_rm);
	gt_strlist_release(&s->deps);
	cJSON_Delete(s->metadata);
	cJSON_Delete(s->extra);
	cJSON_Delete(s->owned);
	gt_bead_spec_init(s);
}

/* The JSON keys a spec understands; anything else goes to spec->extra. */
static const char *const spec_keys[] = {
	"id",
	"prefix",
	"parent",
	"title",
	"description",
	"design",
	"acceptance_criteria",
	"notes",
	"status",
	"issue_type",
	"type",
	"assignee",
	"owner",
	"external_ref",
	"defer_until",
	"due_at",
	"close_reason",
	"priority",
	"ephemeral",
	"pinned",
	"labels",
	"labels_rm",
	"deps",
	"dependencies",
	"metadata",
	NULL,
};

static int is_spec_key(const char *k)
{
	for (size_t i = 0; spec_keys[i]; i++)
		if (!strcmp(spec_keys[i], k))
			return 1;
	return 0;
}

static int str_member(const cJSON *obj, const char *key, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return gt_error_set(GT_EINVALID, "field '%s' must be a string", key);
	*out = v->valuestring;
	return 0;
}

static int strlist_member(const cJSON *obj, const char *key, struct gt_strlist *l)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key), *c;

	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v))
		return gt_error_set(GT_EINVALID, "field '%s' must be an array", key);
	cJSON_ArrayForEach (c, v) {
		if (cJSON_IsString(c)) {
			gt_strlist_push(l, c->valuestring);
		} else if (cJSON_IsObject(c) && gt_json_str(c, "depends_on_id")) {
			/* a Beads dependency object: "type:target" */
			return gt_error_set(GT_EINVALID, "field '%s': use \"type:id\" strings",
					    key);
		} else {
			return gt_error_set(GT_EINVALID, "field '%s' must hold strings", key);
		}
	}
	return 0;
}

int gt_bead_spec_from_json(struct gt_bead_spec *s, const cJSON *obj)
{
	const cJSON *v, *c;
	int rc = 0;

	if (!cJSON_IsObject(obj))
		return gt_error_set(GT_EINVALID, "expected a JSON object");
	rc = rc ? rc : str_member(obj, "id", &s->id);
	rc = rc ? rc : str_member(obj, "prefix", &s->prefix);
	rc = rc ? rc : str_member(obj, "parent", &s->parent);
	rc = rc ? rc : str_member(obj, "title", &s->title);
	rc = rc ? rc : str_member(obj, "description", &s->description);
	rc = rc ? rc : str_member(obj, "design", &s->design);
	rc = rc ? rc : str_member(obj, "acceptance_criteria", &s->acceptance);
	rc = rc ? rc : str_member(obj, "notes", &s->notes);
	rc = rc ? rc : str_member(obj, "status", &s->status);
	rc = rc ? rc : str_member(obj, "issue_type", &s->type);
	rc = rc ? rc : str_member(obj, "type", &s->type);
	rc = rc ? rc : str_member(obj, "assignee", &s->assignee);
	rc = rc ? rc : str_member(obj, "owner", &s->owner);
	rc = rc ? rc : str_member(obj, "external_ref", &s->external_ref);
	rc = rc ? rc : str_member(obj, "defer_until", &s->defer_until);
	rc = rc ? rc : str_member(obj, "due_at", &s->due_at);
	rc = rc ? rc : str_member(obj, "close_reason", &s->close_reason);
	rc = rc ? rc : strlist_member(obj, "labels", &s->labels);
	rc = rc ? rc : strlist_member(obj, "labels_rm", &s->labels_rm);
	rc = rc ? rc : strlist_member(obj, "deps", &s->deps);
	if (rc)
		return rc;
	v = cJSON_GetObjectItemCaseSensitive(obj, "priority");
	if (v && !cJSON_IsNull(v)) {
		int p;

		if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 4 &&
		    v->valuedouble == (int)v->valuedouble)
			s->priority = (int)v->valuedouble;
		else if (cJSON_IsString(v) && gt_priority_parse(v->valuestring, &p) == 0)
			s->priority = p;
		else
			return gt_error_set(GT_EINVALID, "priority must be 0..4");
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "ephemeral");
	if (v)
		s->ephemeral = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(obj, "pinned");
	if (v)
		s->pinned = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsObject(v))
			return gt_error_set(GT_EINVALID, "metadata must be an object");
		s->metadata = cJSON_Duplicate(v, 1);
	}
	cJSON_ArrayForEach (c, obj) {
		if (is_spec_key(c->string))
			continue;
		if (!s->extra)
			s->extra = cJSON_CreateObject();
		cJSON_AddItemToObject(s->extra, c->string, cJSON_Duplicate(c, 1));
	}
	/* Beads dependency objects become "type:target" specs */
	v = cJSON_GetObjectItemCaseSensitive(obj, "dependencies");
	if (v && !cJSON_IsArray(v))
		return gt_error_set(GT_EINVALID, "'dependencies' must be an array");
	cJSON_ArrayForEach (c, v) {
		const char *t = gt_json_str(c, "type"), *to = gt_json_str(c, "depends_on_id");
		struct gt_buf b = GT_BUF_INIT;
		cJSON *str;

		if (!cJSON_IsObject(c) || !to)
			return gt_error_set(GT_EINVALID,
					    "'dependencies' entries need 'depends_on_id'");
		gt_buf_printf(&b, "%s:%s", t ? t : "blocks", to);
		if (!s->owned)
			s->owned = cJSON_CreateArray();
		str = cJSON_CreateString(b.ptr);
		cJSON_AddItemToArray(s->owned, str);
		gt_strlist_push(&s->deps, str->valuestring);
		gt_buf_release(&b);
	}
	return 0;
}

void gt_dep_spec_parse(const char *spec, const char **type, size_t *type_len, const char **target)
{
	const char *colon = strchr(spec, ':');

	if (!colon || !strncmp(spec, "external:", 9)) {
		*type = "blocks";
		*type_len = 6;
		*target = spec;
		return;
	}
	*type = spec;
	*type_len = (size_t)(colon - spec);
	*target = colon + 1;
}

/* ---- helpers ---- */

static void one_line(struct gt_buf *out, const char *s, size_t max)
{
	size_t n = 0;

	for (; *s && n < max; s++, n++)
		gt_buf_addch(out, *s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s);
	if (*s)
		gt_buf_adds(out, "...");
}

static void note_change(struct gt_txn *tx, const char *verb, const char *id, const char *detail)
{
	struct gt_buf b = GT_BUF_INIT;

	gt_buf_printf(&b, "%s %s", verb, id);
	if (detail && *detail) {
		gt_buf_adds(&b, ": ");
		one_line(&b, detail, 72);
	}
	gt_txn_summary(tx, "%s", b.ptr);
	gt_txn_trailer(tx, "Gt-Bead", "%s", id);
	gt_buf_release(&b);
}

static int get_live(struct gt_txn *tx, const char *id, cJSON **out)
{
	int rc = gt_txn_bead_get(tx, id, out);

	if (rc < 0)
		return rc;
	if (!strcmp(gt_bead_status(*out), "tombstone"))
		return gt_error_set(GT_ENOTFOUND, "bead '%s' was deleted", id);
	return 0;
}

static int check_size(const cJSON *bead)
{
	struct gt_buf b = GT_BUF_INIT;
	size_t n;

	gt_json_write(&b, bead);
	n = b.len;
	gt_buf_release(&b);
	if (n > GT_BEAD_MAX)
		return gt_error_set(GT_EINVALID, "bead '%s' would be %zu bytes (at most %d)",
				    gt_bead_id(bead), n, GT_BEAD_MAX);
	return 0;
}

static int finish_change(struct gt_txn *tx, struct gt_ctx *ctx, cJSON *bead, const cJSON *before,
			 int *changed)
{
	int rc;

	if (before && gt_json_equal(before, bead)) {
		if (changed)
			*changed = 0;
		return 0;
	}
	gt_json_set_str(bead, "updated_at", gt_txn_now(tx));
	gt_json_del(bead, "content_hash"); /* Beads' hash of the old content */
	if ((rc = gt_bead_validate(bead, &ctx->vocab)) < 0 || (rc = check_size(bead)) < 0)
		return rc;
	if (changed)
		*changed = 1;
	return gt_txn_bead_put(tx, gt_bead_id(bead));
}

static int check_text(const char *what, const char *s)
{
	size_t bad;

	if (s && gt_utf8_check(s, strlen(s), &bad) < 0)
		return gt_error_set(GT_EINVALID, "%s is not valid UTF-8", what);
	return 0;
}

static int check_time_arg(const char *what, const char *s)
{
	int64_t ns;

	if (s && *s && gt_time_parse(s, &ns) < 0)
		return gt_error_set(GT_EINVALID,
				    "%s '%s' is not a time (use RFC 3339 or YYYY-MM-DD)", what, s);
	return 0;
}

static int check_label(const char *l)
{
	if (!*l)
		return gt_error_set(GT_EINVALID, "empty label");
	if (strlen(l) > 256)
		return gt_error_set(GT_EINVALID, "label is longer than 256 bytes");
	for (const unsigned char *p = (const unsigned char *)l; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return gt_error_set(GT_EINVALID, "label '%s' contains a control character",
					    l);
	return check_text("label", l);
}

/* Merge src into dst: keys set, JSON null deletes; keys in skip (a NULL
 * terminated list, or NULL) are left alone. */
static void merge_object(cJSON *dst, const cJSON *src, const char *const *skip)
{
	const cJSON *c;

	cJSON_ArrayForEach (c, src) {
		int skipped = 0;

		for (size_t k = 0; skip && skip[k] && !skipped; k++)
			skipped = !strcmp(c->string, skip[k]);
		if (skipped)
			continue;
		if (cJSON_IsNull(c))
			gt_json_del(dst, c->string);
		else
			gt_json_set(dst, c->string, cJSON_Duplicate(c, 1));
	}
}

static void set_time_field(cJSON *b, const char *key, const char *val)
{
	if (!val)
		return;
	gt_bead_set_str(b, key, val);
}

static void set_status(struct gt_txn *tx, cJSON *b, const char *status, const char *reason)
{
	const char *old = gt_bead_status(b);

	if (!strcmp(status, "closed")) {
		if (strcmp(old, "closed") || !gt_json_str(b, "closed_at"))
			gt_json_set_str(b, "closed_at", gt_txn_now(tx));
		if (reason)
			gt_bead_set_str(b, "close_reason", reason);
	} else {
		gt_json_del(b, "closed_at");
		gt_json_del(b, "close_reason");
		gt_json_del(b, "closed_by_session");
	}
	if (!strcmp(status, "in_progress") && !gt_json_str(b, "started_at"))
		gt_json_set_str(b, "started_at", gt_txn_now(tx));
	gt_json_set_str(b, "status", status);
}

/* ---- adding ---- */

struct child_scan {
	const char *parent;
	long max;
};

static int scan_child(const char *name, void *p)
{
	struct child_scan *cs = p;
	size_t len = strlen(name);
	char id[GT_ID_MAX + 8];
	long n;

	if (len <= 5 || strcmp(name + len - 5, ".json") || len - 5 >= sizeof(id))
		return 0;
	snprintf(id, sizeof(id), "%.*s", (int)(len - 5), name);
	n = gt_id_child_number(id, cs->parent);
	if (n > cs->max)
		cs->max = n;
	return 0;
}

struct prefix_count {
	const char *prefix;
	size_t plen, n;
};

static int count_prefix(const char *name, void *p)
{
	struct prefix_count *pc = p;
	size_t len = strlen(name);

	if (len > 5 && !strncmp(name, pc->prefix, pc->plen) && name[pc->plen] == '-' &&
	    !memchr(name + pc->plen, '.', len - 5 - pc->plen))
		pc->n++;
	return 0;
}

/* Estimate the number of top-level beads with prefix from a sample of
 * four of the 256 shards: exact enough for picking an id length.  A split
 * shard (shard.h) is estimated from the first of its 256 subtrees. */
static size_t estimate_count(struct gt_txn *tx, const char *prefix)
{
	static const char *const sample[] = { "beads/00", "beads/40", "beads/80", "beads/c0" };
	struct prefix_count pc = { prefix, strlen(prefix), 0 };
	char leaf[12];

	for (size_t i = 0; i < 4; i++) {
		struct prefix_count one = { prefix, pc.plen, 0 };

		snprintf(leaf, sizeof(leaf), "%s/00", sample[i]);
		gt_txn_list_dir(tx, leaf, count_prefix, &one);
		if (one.n)
			pc.n += one.n * 256;
		else
			gt_txn_list_dir(tx, sample[i], count_prefix, &pc);
	}
	return pc.n * 64;
}

static int make_id(struct gt_txn *tx, struct gt_ctx *ctx, const struct gt_bead_spec *spec,
		   struct gt_buf *id)
{
	const char *prefix = spec->prefix ? spec->prefix : ctx->prefix;
	int rc;

	if (spec->id) {
		if ((rc = gt_id_check(spec->id)) < 0)
			return rc;
		if (gt_txn_bead_exists(tx, spec->id))
			return gt_error_set(GT_ECONFLICT, "bead '%s' already exists", spec->id);
		gt_buf_reset(id);
		gt_buf_adds(id, spec->id);
		return 0;
	}
	if (spec->parent) {
		struct child_scan cs = { spec->parent, 0 };
		struct gt_buf dir = GT_BUF_INIT;
		char shard[3];
		int dots = 0;

		for (const char *p = spec->parent; *p; p++)
			dots += *p == '.';
		if (dots >= 3)
			return gt_error_set(
				GT_EINVALID,
				"'%s' is already 3 levels deep; children may not nest further",
				spec->parent);
		gt_bead_shard(shard, spec->parent);
		gt_buf_printf(&dir, "beads/%s", shard);
		gt_txn_list_dir(tx, dir.ptr, scan_child, &cs);
		gt_buf_release(&dir);
		gt_buf_reset(id);
		gt_buf_printf(id, "%s.%ld", spec->parent, cs.max + 1);
		return gt_id_check(id->ptr);
	}
	if (!prefix) {
		gt_error_set(GT_EUSAGE, "no bead id prefix configured");
		gt_error_hint("set one with: gt-config bead.prefix PREFIX (or gt-init --prefix)");
		return GT_EUSAGE;
	}
	if ((rc = gt_prefix_check(prefix)) < 0)
		return rc;
	for (int len = gt_id_adaptive_len(estimate_count(tx, prefix)); len <= GT_ID_MAXLEN; len++) {
		for (int nonce = 0; nonce < 10; nonce++) {
			gt_id_generate(id, prefix, spec->title ? spec->title : "",
				       spec->description ? spec->description : "", gt_txn_actor(tx),
				       gt_txn_now_ns(tx), nonce, len);
			if (!gt_txn_bead_exists(tx, id->ptr))
				return 0;
		}
	}
	return gt_error_set(GT_ECONFLICT, "cannot find a free id with prefix '%s' after 60 tries",
			    prefix);
}

static cJSON *new_dep(struct gt_txn *tx, const char *id, const char *target, const char *type)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "issue_id", id);
	cJSON_AddStringToObject(d, "depends_on_id", target);
	cJSON_AddStringToObject(d, "type", type);
	cJSON_AddStringToObject(d, "created_at", gt_txn_now(tx));
	cJSON_AddStringToObject(d, "created_by", gt_txn_actor(tx));
	return d;
}

static int apply_fields(struct gt_txn *tx, struct gt_ctx *ctx, cJSON *b,
			const struct gt_bead_spec *s)
{
	struct {
		const char *key, *val;
	} text[] = {
		{ "title", s->title },	 { "description", s->description },
		{ "design", s->design }, { "acceptance_criteria", s->acceptance },
		{ "notes", s->notes },	 { "assignee", s->assignee },
		{ "owner", s->owner },	 { "external_ref", s->external_ref },
	};
	int rc;

	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		if (!text[i].val)
			continue;
		if ((rc = check_text(text[i].key, text[i].val)) < 0)
			return rc;
		if (!strcmp(text[i].key, "title") && !*text[i].val)
			return gt_error_set(GT_EINVALID, "title may not be empty");
		gt_bead_set_str(b, text[i].key, text[i].val);
	}
	if ((rc = check_time_arg("defer_until", s->defer_until)) < 0 ||
	    (rc = check_time_arg("due_at", s->due_at)) < 0)
		return rc;
	set_time_field(b, "defer_until", s->defer_until);
	set_time_field(b, "due_at", s->due_at);
	if (s->type) {
		const char *t = gt_type_normalize(s->type);

		if (!gt_type_known(&ctx->vocab, t)) {
			gt_error_set(GT_EINVALID, "unknown type '%s'", s->type);
			gt_error_hint(
				"custom types are declared with: gt-config types.custom 'a,b'");
			return GT_EINVALID;
		}
		gt_json_set_str(b, "issue_type", t);
	}
	if (s->priority >= 0)
		gt_json_set_int(b, "priority", s->priority);
	if (s->status) {
		if (!strcmp(s->status, "tombstone"))
			return gt_error_set(GT_EINVALID,
					    "status 'tombstone' is set by gt-bead-delete");
		if (!gt_status_known(&ctx->vocab, s->status))
			return gt_error_set(GT_EINVALID, "unknown status '%s'", s->status);
		set_status(tx, b, s->status, s->close_reason);
	} else if (s->close_reason && !strcmp(gt_bead_status(b), "closed")) {
		gt_bead_set_str(b, "close_reason", s->close_reason);
	}
	if (s->ephemeral >= 0) {
		if (s->ephemeral)
			gt_json_set_bool(b, "ephemeral", 1);
		else
			gt_json_del(b, "ephemeral");
	}
	if (s->pinned >= 0) {
		if (s->pinned)
			gt_json_set_bool(b, "pinned", 1);
		else
			gt_json_del(b, "pinned");
	}
	for (size_t i = 0; i < s->labels.n; i++) {
		if ((rc = check_label(s->labels.v[i])) < 0)
			return rc;
		gt_bead_label_add(b, s->labels.v[i]);
	}
	for (size_t i = 0; i < s->labels_rm.n; i++)
		gt_bead_label_rm(b, s->labels_rm.v[i]);
	if (s->metadata) {
		cJSON *m = cJSON_GetObjectItemCaseSensitive(b, "metadata");

		if (!cJSON_IsObject(m)) {
			m = cJSON_CreateObject();
			gt_json_set(b, "metadata", m);
		}
		merge_object(m, s->metadata, NULL);
		if (!m->child)
			gt_json_del(b, "metadata");
	}
	if (s->extra) {
		static const char *const managed[] = { "updated_at", "comments", NULL };

		merge_object(b, s->extra, managed);
	}
	return 0;
}

/* The edges a spec asks for ("[type:]target" each), from id. */
static int add_spec_deps(struct gt_txn *tx, struct gt_ctx *ctx, const char *id,
			 const struct gt_strlist *deps)
{
	int rc = 0;

	for (size_t i = 0; i < deps->n && !rc; i++) {
		const char *type, *target;
		size_t tl;
		char t[64];
		int changed;

		gt_dep_spec_parse(deps->v[i], &type, &tl, &target);
		snprintf(t, sizeof(t), "%.*s", (int)(tl < 63 ? tl : 63), type);
		rc = dep_add(tx, ctx, id, target, t, &changed, 0);
	}
	return rc;
}

int gt_op_add(struct gt_txn *tx, struct gt_ctx *ctx, const struct gt_bead_spec *spec,
	      struct gt_buf *id_out)
{
	struct gt_buf id = GT_BUF_INIT;
	cJSON *b = NULL, *deps;
	int rc;

	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	if (!spec->title || !*spec->title)
		return gt_error_set(GT_EINVALID, "a bead needs a title");
	if (spec->parent) {
		cJSON *parent;

		if ((rc = get_live(tx, spec->parent, &parent)) < 0)
			return rc;
	}
	if ((rc = make_id(tx, ctx, spec, &id)) < 0)
		goto out;
	b = cJSON_CreateObject();
	gt_json_set_str(b, "id", id.ptr);
	gt_json_set_str(b, "title", spec->title);
	gt_json_set_str(b, "status", "open");
	gt_json_set_int(b, "priority", GT_PRIORITY_DEFAULT);
	gt_json_set_str(b, "issue_type", "task");
	gt_json_set_str(b, "created_at", gt_txn_now(tx));
	gt_json_set_str(b, "created_by", gt_txn_actor(tx));
	gt_json_set_str(b, "updated_at", gt_txn_now(tx));
	if ((rc = apply_fields(tx, ctx, b, spec)) < 0)
		goto out;
	if (spec->parent) {
		deps = cJSON_CreateArray();
		cJSON_AddItemToArray(deps, new_dep(tx, id.ptr, spec->parent, "parent-child"));
		gt_json_set(b, "dependencies", deps);
	}
	if ((rc = gt_bead_validate(b, &ctx->vocab)) < 0 || (rc = check_size(b)) < 0)
		goto out;
	rc = gt_txn_bead_add(tx, b);
	b = NULL;
	if (rc < 0)
		goto out;
	note_change(tx, "add", id.ptr, spec->title);
	if ((rc = add_spec_deps(tx, ctx, id.ptr, &spec->deps)) < 0)
		goto out;
	gt_buf_add(id_out, id.ptr, id.len);
out:
	cJSON_Delete(b);
	gt_buf_release(&id);
	return rc;
}

/* ---- updating ---- */

int gt_op_update(struct gt_txn *tx, struct gt_ctx *ctx, const char *id,
		 const struct gt_bead_spec *spec, int *changed)
{
	cJSON *b, *before;
	int rc;

	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	*changed = 0;
	if (spec->id && strcmp(spec->id, id))
		return gt_error_set(GT_EINVALID, "cannot change the id of '%s'", id);
	if ((rc = get_live(tx, id, &b)) < 0)
		return rc;
	before = cJSON_Duplicate(b, 1);
	rc = apply_fields(tx, ctx, b, spec);
	if (!rc) /* edges go to the staged object b points at */
		rc = add_spec_deps(tx, ctx, id, &spec->deps);
	if (!rc)
		rc = finish_change(tx, ctx, b, before, changed);
	if (!rc && *changed) {
		struct gt_buf what = GT_BUF_INIT;
		const cJSON *c;

		/* name the fields that changed */
		cJSON_ArrayForEach (c, b) {
			const cJSON *o = cJSON_GetObjectItemCaseSensitive(before, c->string);

			if (!strcmp(c->string, "updated_at") || (o && gt_json_equal(o, c)))
				continue;
			gt_buf_printf(&what, "%s%s", what.len ? ", " : "", c->string);
		}
		cJSON_ArrayForEach (c, before)
			if (!cJSON_GetObjectItemCaseSensitive(b, c->string))
				gt_buf_printf(&what, "%s-%s", what.len ? ", " : "", c->string);
		note_change(tx, "update", id, what.ptr);
		gt_buf_release(&what);
	}
	cJSON_Delete(before);
	return rc;
}

int gt_op_claim(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, int *changed)
{
	const char *actor = gt_txn_actor(tx), *holder, *status;
	cJSON *b, *before;
	int rc;

	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	*changed = 0;
	if ((rc = get_live(tx, id, &b)) < 0)
		return rc;
	holder = gt_json_str(b, "assignee");
	status = gt_bead_status(b);
	if (holder && *holder && strcmp(holder, actor))
		return gt_error_set(GT_ECONFLICT, "bead '%s' is claimed by '%s'", id, holder);
	if (strcmp(status, "open") &&
	    !(holder && !strcmp(holder, actor) &&
	      (!strcmp(status, "in_progress") || !strcmp(status, "hooked"))))
		return gt_error_set(GT_ECONFLICT, "bead '%s' is %s, not open", id, status);
	before = cJSON_Duplicate(b, 1);
	gt_json_set_str(b, "assignee", actor);
	if (!strcmp(status, "open"))
		set_status(tx, b, "in_progress", NULL);
	rc = finish_change(tx, ctx, b, before, changed);
	cJSON_Delete(before);
	if (!rc && *changed)
		note_change(tx, "claim", id, actor);
	return rc;
}

/* The live bead id, for a status change with reason. */
static int status_bead(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *reason,
		       cJSON **b, int *changed)
{
	int rc;

	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	*changed = 0;
	if ((rc = get_live(tx, id, b)) < 0)
		return rc;
	return check_text("reason", reason);
}

/* Set b's status (with status_reason for the bead), and when that changed
 * it, say "verb id: reason" and carry the reason as a trailer. */
static int change_status(struct gt_txn *tx, struct gt_ctx *ctx, cJSON *b, const char *id,
			 const char *status, const char *status_reason, const char *verb,
			 const char *reason, int *changed)
{
	cJSON *before = cJSON_Duplicate(b, 1);
	int rc;

	set_status(tx, b, status, status_reason);
	rc = finish_change(tx, ctx, b, before, changed);
	cJSON_Delete(before);
	if (!rc && *changed) {
		note_change(tx, verb, id, reason);
		if (reason && *reason)
			gt_txn_trailer(tx, "Gt-Reason", "%s", reason);
	}
	return rc;
}

int gt_op_close(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *reason,
		int *changed)
{
	cJSON *b;
	int rc;

	if ((rc = status_bead(tx, ctx, id, reason, &b, changed)) < 0)
		return rc;
	if (!strcmp(gt_bead_status(b), "closed"))
		return 0;
	return change_status(tx, ctx, b, id, "closed", reason && *reason ? reason : NULL, "close",
			     reason, changed);
}

int gt_op_reopen(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *reason,
		 int *changed)
{
	cJSON *b;
	int rc;

	if ((rc = status_bead(tx, ctx, id, reason, &b, changed)) < 0)
		return rc;
	if (!strcmp(gt_bead_status(b), "open"))
		return 0;
	if (strcmp(gt_bead_status(b), "closed")) {
		gt_error_set(GT_ECONFLICT, "bead '%s' is %s, not closed", id, gt_bead_status(b));
		gt_error_hint("to change its status: gt-bead-update -s open %s", id);
		return GT_ECONFLICT;
	}
	return change_status(tx, ctx, b, id, "open", NULL, "reopen", reason, changed);
}

static int remove_edge(cJSON *b, const char *target)
{
	cJSON *deps = cJSON_GetObjectItemCaseSensitive(b, "dependencies"), *d;
	int i = 0;

	cJSON_ArrayForEach (d, deps) {
		const char *t = gt_json_str(d, "depends_on_id");

		if (t && !strcmp(t, target)) {
			cJSON_DeleteItemFromArray(deps, i);
			if (!cJSON_GetArraySize(deps))
				gt_json_del(b, "dependencies");
			return 1;
		}
		i++;
	}
	return 0;
}

int gt_op_delete(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *reason,
		 const struct gt_strlist *dependents, int *changed)
{
	cJSON *b;
	int rc;

	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	*changed = 0;
	if ((rc = gt_txn_bead_get(tx, id, &b)) < 0)
		return rc;
	if ((rc = check_text("reason", reason)) < 0)
		return rc;
	if (!strcmp(gt_bead_status(b), "tombstone"))
		return 0;
	gt_json_set_str(b, "original_type", gt_bead_type(b));
	gt_json_set_str(b, "status", "tombstone");
	gt_json_del(b, "closed_at");
	gt_json_del(b, "dependencies");
	gt_json_set_str(b, "deleted_at", gt_txn_now(tx));
	gt_json_set_str(b, "deleted_by", gt_txn_actor(tx));
	gt_bead_set_str(b, "delete_reason", reason ? reason : "");
	gt_json_set_str(b, "updated_at", gt_txn_now(tx));
	if ((rc = gt_txn_bead_put(tx, id)) < 0)
		return rc;
	for (size_t i = 0; dependents && i < dependents->n; i++) {
		cJSON *o;

		if (!strcmp(dependents->v[i], id) || gt_txn_bead_get(tx, dependents->v[i], &o) < 0)
			continue;
		if (remove_edge(o, id)) {
			gt_json_set_str(o, "updated_at", gt_txn_now(tx));
			gt_txn_bead_put(tx, dependents->v[i]);
			gt_txn_trailer(tx, "Gt-Bead", "%s", dependents->v[i]);
		}
	}
	gt_error_clear();
	*changed = 1;
	note_change(tx, "delete", id, reason);
	return 0;
}

int gt_op_label(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *label, int add,
		int *changed)
{
	cJSON *b;
	int rc;

	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	*changed = 0;
	if ((rc = get_live(tx, id, &b)) < 0)
		return rc;
	if (add && (rc = check_label(label)) < 0)
		return rc;
	if (!(add ? gt_bead_label_add(b, label) : gt_bead_label_rm(b, label)))
		return 0;
	rc = finish_change(tx, ctx, b, NULL, changed);
	if (!rc) {
		struct gt_buf d = GT_BUF_INIT;

		gt_buf_printf(&d, "%s%s", add ? "+" : "-", label);
		note_change(tx, "label", id, d.ptr);
		gt_buf_release(&d);
	}
	return rc;
}

int gt_op_comment(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *text,
		  const char *author, cJSON **comment_out)
{
	cJSON *b, *comments, *c, *cm;
	int64_t next = 1;
	int rc, changed;

	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	if ((rc = get_live(tx, id, &b)) < 0)
		return rc;
	if (!text || !*text)
		return gt_error_set(GT_EINVALID, "empty comment");
	if ((rc = check_text("comment", text)) < 0)
		return rc;
	comments = cJSON_GetObjectItemCaseSensitive(b, "comments");
	if (!cJSON_IsArray(comments)) {
		comments = cJSON_CreateArray();
		gt_json_set(b, "comments", comments);
	}
	cJSON_ArrayForEach (c, comments) {
		int64_t n;

		if (gt_json_int(c, "id", &n) == 0 && n >= next)
			next = n + 1;
	}
	cm = cJSON_CreateObject();
	cJSON_AddNumberToObject(cm, "id", (double)next);
	cJSON_AddStringToObject(cm, "issue_id", id);
	cJSON_AddStringToObject(cm, "author", author && *author ? author : gt_txn_actor(tx));
	cJSON_AddStringToObject(cm, "text", text);
	cJSON_AddStringToObject(cm, "created_at", gt_txn_now(tx));
	cJSON_AddItemToArray(comments, cm);
	if ((rc = finish_change(tx, ctx, b, NULL, &changed)) < 0)
		return rc;
	if (comment_out)
		*comment_out = cm;
	note_change(tx, "comment", id, text);
	return 0;
}

/* ---- dependencies ---- */

static int cycle_type(const char *t)
{
	return gt_dep_type_blocking(t) || !strcmp(t, "parent-child");
}

struct walk {
	struct gt_map seen;
	struct gt_buf path;
	char **owned;
	size_t nowned, alloc;
};

/* Depth-first search from cur for goal over blocking and parent-child
 * edges, as the transaction sees the beads.  Returns 1 when found, with
 * w->path holding the route. */
static int reaches(struct gt_txn *tx, struct walk *w, const char *cur, const char *goal, int depth)
{
	const cJSON *d;
	cJSON *b;
	size_t mark = w->path.len;
	char *key;

	if (!strcmp(cur, goal))
		return 1;
	if (depth > 10000 || gt_map_get(&w->seen, cur))
		return 0;
	key = gt_strdup(cur);
	GT_ALLOC_GROW(w->owned, w->nowned + 1, w->alloc);
	w->owned[w->nowned++] = key;
	gt_map_put(&w->seen, key, key);
	if (strncmp(cur, "external:", 9) == 0 || gt_txn_bead_get(tx, cur, &b) < 0) {
		gt_error_clear();
		return 0;
	}
	cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(b, "dependencies")) {
		const char *t = gt_json_str(d, "type"), *to = gt_json_str(d, "depends_on_id");

		if (!t || !to || !cycle_type(t))
			continue;
		gt_buf_printf(&w->path, " -> %s", to);
		if (reaches(tx, w, to, goal, depth + 1))
			return 1;
		gt_buf_truncate(&w->path, mark);
	}
	return 0;
}

static int check_external(const char *target)
{
	const char *proj = target + 9, *colon = strchr(proj, ':');

	if (!colon || colon == proj || !colon[1])
		return gt_error_set(
			GT_EINVALID,
			"external dependency '%s' must be external:<project>:<capability>", target);
	return check_text("external dependency", target);
}

int gt_op_dep_add(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *target,
		  const char *type, int *changed)
{
	return dep_add(tx, ctx, id, target, type, changed, 1);
}

/* note: whether this edge is a change of its own (a commit subject and a
 * trailer), or part of adding or updating the bead */
static int dep_add(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *target,
		   const char *type, int *changed, int note)
{
	cJSON *b, *t, *deps, *d;
	int rc, external = !strncmp(target, "external:", 9);

	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	*changed = 0;
	if (!type || !*type)
		type = "blocks";
	if (strlen(type) > 50)
		return gt_error_set(GT_EINVALID, "dependency type is longer than 50 bytes");
	for (const unsigned char *p = (const unsigned char *)type; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == ':')
			return gt_error_set(GT_EINVALID, "invalid dependency type '%s'", type);
	if (!strcmp(id, target))
		return gt_error_set(GT_EINVALID, "bead '%s' cannot depend on itself", id);
	if (external) {
		if ((rc = check_external(target)) < 0)
			return rc;
	} else if ((rc = get_live(tx, target, &t)) < 0) {
		return rc;
	}
	if ((rc = get_live(tx, id, &b)) < 0)
		return rc;
	deps = cJSON_GetObjectItemCaseSensitive(b, "dependencies");
	cJSON_ArrayForEach (d, deps) {
		const char *to = gt_json_str(d, "depends_on_id"), *ty = gt_json_str(d, "type");

		if (to && !strcmp(to, target)) {
			if (ty && !strcmp(ty, type))
				return 0;
			return gt_error_set(GT_ECONFLICT,
					    "'%s' already depends on '%s' with type '%s'", id,
					    target, ty ? ty : "?");
		}
		if (!strcmp(type, "parent-child") && ty && !strcmp(ty, "parent-child"))
			return gt_error_set(GT_ECONFLICT, "'%s' already has parent '%s'", id,
					    to ? to : "?");
	}
	if (!external && cycle_type(type)) {
		struct walk w = { GT_MAP_INIT, GT_BUF_INIT, NULL, 0, 0 };
		int found;

		gt_buf_printf(&w.path, "%s -> %s", id, target);
		found = reaches(tx, &w, target, id, 0);
		if (found)
			gt_error_set(GT_EINVALID, "dependency would create a cycle: %s",
				     w.path.ptr);
		for (size_t i = 0; i < w.nowned; i++)
			free(w.owned[i]);
		free(w.owned);
		gt_map_release(&w.seen);
		gt_buf_release(&w.path);
		if (found)
			return GT_EINVALID;
		/* the walk may have staged (read) other beads; b is still valid
		 * because staged objects are never freed during a transaction */
	}
	if (!cJSON_IsArray(deps)) {
		deps = cJSON_CreateArray();
		gt_json_set(b, "dependencies", deps);
	}
	cJSON_AddItemToArray(deps, new_dep(tx, id, target, type));
	if ((rc = finish_change(tx, ctx, b, NULL, changed)) < 0)
		return rc;
	if (note) {
		struct gt_buf dsc = GT_BUF_INIT;

		gt_buf_printf(&dsc, "%s %s", type, target);
		note_change(tx, "dep", id, dsc.ptr);
		gt_buf_release(&dsc);
	}
	return 0;
}

int gt_op_dep_rm(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *target,
		 int *changed)
{
	cJSON *b;
	int rc;

	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	*changed = 0;
	if ((rc = get_live(tx, id, &b)) < 0)
		return rc;
	if (!remove_edge(b, target))
		return gt_error_set(GT_ENOTFOUND, "'%s' does not depend on '%s'", id, target);
	rc = finish_change(tx, ctx, b, NULL, changed);
	if (!rc) {
		struct gt_buf dsc = GT_BUF_INIT;

		gt_buf_printf(&dsc, "-%s", target);
		note_change(tx, "dep", id, dsc.ptr);
		gt_buf_release(&dsc);
	}
	return rc;
}
