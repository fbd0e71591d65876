/*
 * bead.c - canonical order, validation, vocabularies and timestamps.
 *
 * The field order is Beads' Issue struct (internal/types/types.go) as of
 * early 2026, which is the key order of every .beads/issues.jsonl line, with
 * the fields later versions added slotted where those versions put them,
 * and the two backup-table columns that never appear in JSONL
 * (content_hash, source_repo) where the struct declares them.
 */
#include "store/bead.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/map.h"
#include "store/id.h"
#include "base/banned.h"

const struct gt_field gt_bead_fields[] = {
	{ "id", GT_F_STR, 0 },
	{ "content_hash", GT_F_STR, 1 },
	{ "title", GT_F_STR, 0 },
	{ "description", GT_F_STR, 1 },
	{ "design", GT_F_STR, 1 },
	{ "acceptance_criteria", GT_F_STR, 1 },
	{ "notes", GT_F_STR, 1 },
	{ "spec_id", GT_F_STR, 1 },
	{ "status", GT_F_STR, 1 },
	{ "priority", GT_F_INT, 0 },
	{ "issue_type", GT_F_STR, 1 },
	{ "assignee", GT_F_STR, 1 },
	{ "owner", GT_F_STR, 1 },
	{ "estimated_minutes", GT_F_INT, 1 },
	{ "created_at", GT_F_TIME, 0 },
	{ "created_by", GT_F_STR, 1 },
	{ "updated_at", GT_F_TIME, 0 },
	{ "started_at", GT_F_TIME, 1 },
	{ "closed_at", GT_F_TIME, 1 },
	{ "close_reason", GT_F_STR, 1 },
	{ "closed_by_session", GT_F_STR, 1 },
	{ "due_at", GT_F_TIME, 1 },
	{ "defer_until", GT_F_TIME, 1 },
	{ "external_ref", GT_F_STR, 1 },
	{ "source_system", GT_F_STR, 1 },
	{ "metadata", GT_F_ANY, 1 },
	{ "compaction_level", GT_F_INT, 1 },
	{ "compacted_at", GT_F_TIME, 1 },
	{ "compacted_at_commit", GT_F_STR, 1 },
	{ "original_size", GT_F_INT, 1 },
	{ "source_repo", GT_F_STR, 1 },
	{ "labels", GT_F_STRLIST, 1 },
	{ "dependencies", GT_F_DEPS, 1 },
	{ "comments", GT_F_COMMENTS, 1 },
	{ "deleted_at", GT_F_TIME, 1 },
	{ "deleted_by", GT_F_STR, 1 },
	{ "delete_reason", GT_F_STR, 1 },
	{ "original_type", GT_F_STR, 1 },
	{ "sender", GT_F_STR, 1 },
	{ "ephemeral", GT_F_BOOL, 1 },
	{ "no_history", GT_F_BOOL, 1 },
	{ "wisp_type", GT_F_STR, 1 },
	{ "pinned", GT_F_BOOL, 1 },
	{ "is_template", GT_F_BOOL, 1 },
	{ "bonded_from", GT_F_ANY, 1 },
	{ "creator", GT_F_ANY, 1 },
	{ "validations", GT_F_ANY, 1 },
	{ "quality_score", GT_F_ANY, 1 },
	{ "crystallizes", GT_F_BOOL, 1 },
	{ "await_type", GT_F_STR, 1 },
	{ "await_id", GT_F_STR, 1 },
	{ "timeout", GT_F_INT, 1 },
	{ "waiters", GT_F_ANY, 1 },
	{ "holder", GT_F_STR, 1 },
	{ "source_formula", GT_F_STR, 1 },
	{ "source_location", GT_F_STR, 1 },
	{ "hook_bead", GT_F_STR, 1 },
	{ "role_bead", GT_F_STR, 1 },
	{ "agent_state", GT_F_STR, 1 },
	{ "last_activity", GT_F_TIME, 1 },
	{ "role_type", GT_F_STR, 1 },
	{ "rig", GT_F_STR, 1 },
	{ "mol_type", GT_F_STR, 1 },
	{ "work_type", GT_F_STR, 1 },
	{ "event_kind", GT_F_STR, 1 },
	{ "actor", GT_F_STR, 1 },
	{ "target", GT_F_STR, 1 },
	{ "payload", GT_F_ANY, 1 },
	{ NULL, GT_F_ANY, 0 },
};

static const char *const dep_order[] = { "issue_id",   "depends_on_id", "type",	     "created_at",
					 "created_by", "metadata",	"thread_id", NULL };
static const char *const comment_order[] = {
	"id", "issue_id", "author", "text", "created_at", NULL
};

static struct gt_map field_map;

static void build_field_map(void)
{
	if (field_map.len)
		return;
	for (size_t i = 0; gt_bead_fields[i].name; i++)
		gt_map_put(&field_map, gt_bead_fields[i].name, (void *)&gt_bead_fields[i]);
}

const struct gt_field *gt_bead_field(const char *name)
{
	build_field_map();
	return gt_map_get(&field_map, name);
}

/* Rank of a key: its position among known keys, else after all of them. */
static size_t rank_of(const char *key, const char *const *order)
{
	if (!order) {
		const struct gt_field *f = gt_bead_field(key);

		return f ? (size_t)(f - gt_bead_fields) : (size_t)-1;
	}
	for (size_t i = 0; order[i]; i++)
		if (!strcmp(order[i], key))
			return i;
	return (size_t)-1;
}

struct ranked {
	cJSON *item;
	size_t rank;
};

static int ranked_cmp(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return strcmp(a->item->string ? a->item->string : "",
		      b->item->string ? b->item->string : "");
}

/* Sort the members of obj by the given order (NULL: bead fields). */
static void reorder(cJSON *obj, const char *const *order)
{
	struct ranked stack[96], *r = stack;
	size_t n = 0, i = 0;
	cJSON *c;

	if (!cJSON_IsObject(obj) || !obj->child)
		return;
	for (c = obj->child; c; c = c->next)
		n++;
	if (n > sizeof(stack) / sizeof(stack[0]))
		r = gt_malloc(n * sizeof(*r));
	for (c = obj->child; c; c = c->next, i++) {
		r[i].item = c;
		r[i].rank = rank_of(c->string ? c->string : "", order);
	}
	qsort(r, n, sizeof(*r), ranked_cmp);
	for (i = 0; i < n; i++) {
		r[i].item->prev = i ? r[i - 1].item : r[n - 1].item;
		r[i].item->next = i + 1 < n ? r[i + 1].item : NULL;
	}
	obj->child = r[0].item; /* cJSON: child->prev points at the last item */
	if (r != stack)
		free(r);
}

void gt_bead_canonicalize(cJSON *bead)
{
	cJSON *c;

	reorder(bead, NULL);
	cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(bead, "dependencies"))
		reorder(c, dep_order);
	cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(bead, "comments"))
		reorder(c, comment_order);
}

void gt_bead_serialize(struct gt_buf *out, const cJSON *bead)
{
	/* canonicalize a shallow view would be cheaper, but reordering the
	 * tree in place is idempotent and keeps one code path */
	gt_bead_canonicalize((cJSON *)bead);
	gt_json_write(out, bead);
}

/* ---- vocabularies ---- */

static const char *const builtin_statuses[] = {
	"open",	     "in_progress", "blocked", "deferred", "closed",
	"tombstone", "pinned",	    "hooked",  NULL,
};

static const char *const builtin_types[] = {
	"bug",	    "feature", "task",	"epic",	 "chore",     "decision",   "message",
	"molecule", "gate",    "spike", "story", "milestone", "event",	    "merge-request",
	"convoy",   "agent",   "role",	"rig",	 "slot",      "escalation", NULL,
};

static const char *const internal_types[] = {
	"merge-request", "gate", "molecule", "message", "agent", "role", "rig", NULL,
};

static int in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

static void add_csv(char ***arr, size_t *n, const char *csv)
{
	const char *p = csv;

	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		const char *s = p;

		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		/* Beads' status.custom may carry a category: name:active */
		for (size_t k = 0; k < len; k++)
			if (s[k] == ':')
				len = k;
		if (len) {
			*arr = gt_realloc(*arr, (*n + 1) * sizeof(**arr));
			(*arr)[(*n)++] = gt_strndup(s, len);
		}
		p = e ? e + 1 : NULL;
	}
}

void gt_vocab_add_types(struct gt_vocab *v, const char *csv)
{
	add_csv(&v->custom_types, &v->ntypes, csv);
}

void gt_vocab_add_statuses(struct gt_vocab *v, const char *csv)
{
	add_csv(&v->custom_statuses, &v->nstatuses, csv);
}

void gt_vocab_release(struct gt_vocab *v)
{
	for (size_t i = 0; i < v->ntypes; i++)
		free(v->custom_types[i]);
	for (size_t i = 0; i < v->nstatuses; i++)
		free(v->custom_statuses[i]);
	free(v->custom_types);
	free(v->custom_statuses);
	memset(v, 0, sizeof(*v));
}

int gt_status_known(const struct gt_vocab *v, const char *status)
{
	if (in_list(builtin_statuses, status))
		return 1;
	for (size_t i = 0; v && i < v->nstatuses; i++)
		if (!strcmp(v->custom_statuses[i], status))
			return 1;
	return 0;
}

void gt_vocab_names(struct gt_buf *out, const struct gt_vocab *v, int types)
{
	const char *const *list = types ? builtin_types : builtin_statuses;
	char **custom = v ? (types ? v->custom_types : v->custom_statuses) : NULL;
	size_t n = v ? (types ? v->ntypes : v->nstatuses) : 0;

	for (size_t i = 0; list[i]; i++)
		gt_buf_printf(out, "%s%s", out->len ? ", " : "", list[i]);
	for (size_t i = 0; i < n; i++)
		gt_buf_printf(out, "%s%s", out->len ? ", " : "", custom[i]);
}

int gt_type_known(const struct gt_vocab *v, const char *type)
{
	if (in_list(builtin_types, type))
		return 1;
	for (size_t i = 0; v && i < v->ntypes; i++)
		if (!strcmp(v->custom_types[i], type))
			return 1;
	return 0;
}

const char *gt_type_normalize(const char *type)
{
	static const char *const alias[][2] = {
		{ "enhancement", "feature" }, { "feat", "feature" },  { "mr", "merge-request" },
		{ "mol", "molecule" },	      { "dec", "decision" },  { "adr", "decision" },
		{ "investigation", "spike" }, { "timebox", "spike" }, { "user-story", "story" },
		{ "user_story", "story" },    { "ms", "milestone" },
	};

	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (!strcmp(alias[i][0], type))
			return alias[i][1];
	return type;
}

int gt_dep_type_blocking(const char *type)
{
	return !strcmp(type, "blocks") || !strcmp(type, "conditional-blocks") ||
	       !strcmp(type, "waits-for");
}

int gt_type_internal(const char *type)
{
	return in_list(internal_types, type);
}

/* ---- times ---- */

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* days since 1970-01-01 of a civil date (Howard Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Every quantity here is bounded (years 0..9999, offsets under a day), so
 * seconds fit in int64 with room to spare: nothing can overflow. */
int gt_time_parse_exact(struct gt_time *out, const char *s)
{
	int Y, M, D, h = 0, m = 0, sec = 0, oh = 0, om = 0, sign = 0;
	int32_t frac = 0;
	int64_t t;
	const char *p;

	if (!s || strlen(s) < 10 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) ||
	    s[7] != '-' || digits(s + 8, 2, &D))
		return GT_EINVALID;
	p = s + 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (digits(p + 1, 2, &h) || p[3] != ':' || digits(p + 4, 2, &m) || p[6] != ':' ||
		    digits(p + 7, 2, &sec))
			return GT_EINVALID;
		p += 9;
		if (*p == '.') {
			int n = 0;

			p++;
			if (*p < '0' || *p > '9')
				return GT_EINVALID;
			for (; *p >= '0' && *p <= '9'; p++, n++)
				if (n < 9)
					frac = frac * 10 + (*p - '0');
			for (; n < 9; n++)
				frac *= 10;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '-' ? -1 : 1;
			if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
				return GT_EINVALID;
			p += 6;
		} else if (s[10] != ' ' || *p) {
			return GT_EINVALID;
		}
	}
	if (*p || M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 || m > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return GT_EINVALID;
	t = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sec;
	out->sec = t - sign * (oh * 3600 + om * 60);
	out->nsec = frac;
	return 0;
}

int gt_time_parse(const char *s, int64_t *ns)
{
	struct gt_time t;

	if (gt_time_parse_exact(&t, s) < 0)
		return GT_EINVALID;
	if (t.sec >= INT64_MAX / 1000000000)
		*ns = INT64_MAX;
	else if (t.sec < INT64_MIN / 1000000000)
		*ns = INT64_MIN;
	else
		*ns = t.sec * 1000000000 + t.nsec;
	return 0;
}

int gt_time_order(const struct gt_time *a, const struct gt_time *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	return a->nsec < b->nsec ? -1 : a->nsec > b->nsec;
}

int gt_time_cmp(const char *a, const char *b)
{
	struct gt_time x, y;
	int ea = !a || gt_time_parse_exact(&x, a) < 0, eb = !b || gt_time_parse_exact(&y, b) < 0;

	if (ea || eb)
		return ea - eb ? (ea ? -1 : 1) : 0;
	return gt_time_order(&x, &y);
}

int64_t gt_time_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void gt_time_seconds(char *out, size_t len, int64_t secs)
{
	time_t t = (time_t)secs;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int gt_time_whole_seconds(char *out, size_t len, const char *s)
{
	struct gt_time t;

	if (gt_time_parse_exact(&t, s) < 0)
		return -1;
	gt_time_seconds(out, len, t.sec); /* sec is the floor already */
	return 0;
}

void gt_time_now(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char frac[16];
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
	n = strlen(frac);
	while (n > 1 && frac[n - 1] == '0')
		frac[--n] = '\0';
	if (n == 1)
		frac[0] = '\0';
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/* ---- validation ---- */

static int bad(const char *id, const char *key, const char *why)
{
	return gt_error_set(GT_EINVALID, "bead '%s': field '%s' %s", id ? id : "?", key, why);
}

static int bad_edge(const char *id, const char *key, const char *why)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", why); /* why may be the last error itself */
	return gt_error_set(GT_EINVALID, "bead '%s': field '%s': %s", id ? id : "?", key, msg);
}

int gt_dep_target_check(const char *target)
{
	const char *proj, *colon;

	if (strncmp(target, "external:", 9))
		return gt_id_check(target);
	proj = target + 9;
	colon = strchr(proj, ':');
	if (!colon || colon == proj || !colon[1])
		return gt_error_set(
			GT_EINVALID,
			"external dependency '%.200s' must be external:<project>:<capability>",
			target);
	for (const unsigned char *p = (const unsigned char *)target; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return gt_error_set(GT_EINVALID,
					    "external dependency '%.200s' contains a control "
					    "character",
					    target);
	return 0;
}

static int check_kind(const char *id, const char *key, enum gt_field_kind k, const cJSON *v)
{
	struct gt_time when;
	const cJSON *c;
	int64_t n;

	if (cJSON_IsNull(v))
		return 0;
	switch (k) {
	case GT_F_STR: return cJSON_IsString(v) ? 0 : bad(id, key, "must be a string");
	case GT_F_INT:
		if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
			return bad(id, key, "must be an integer");
		if (gt_json_to_int(v, &n) < 0)
			return bad(id, key, "is out of range");
		return 0;
	case GT_F_BOOL:
		if (cJSON_IsBool(v))
			return 0;
		if (cJSON_IsNumber(v) && (v->valuedouble == 0 || v->valuedouble == 1))
			return 0;
		return bad(id, key, "must be true or false");
	case GT_F_TIME:
		if (!cJSON_IsString(v) || gt_time_parse_exact(&when, v->valuestring) < 0)
			return bad(id, key, "must be an RFC 3339 time");
		return 0;
	case GT_F_STRLIST:
		if (!cJSON_IsArray(v))
			return bad(id, key, "must be an array of strings");
		cJSON_ArrayForEach (c, v)
			if (!cJSON_IsString(c))
				return bad(id, key, "must be an array of strings");
		return 0;
	case GT_F_DEPS:
		if (!cJSON_IsArray(v))
			return bad(id, key, "must be an array");
		cJSON_ArrayForEach (c, v) {
			const char *t = gt_json_str(c, "depends_on_id");
			const cJSON *from = cJSON_GetObjectItemCaseSensitive(c, "issue_id");

			if (!cJSON_IsObject(c) || !t || !*t || !gt_json_str(c, "type"))
				return bad(id, key, "entries need 'depends_on_id' and 'type'");
			if (strlen(gt_json_str(c, "type")) > 50 || !*gt_json_str(c, "type"))
				return bad(id, key, "has a type that is empty or over 50 bytes");
			if (gt_dep_target_check(t) < 0 ||
			    (from && (!cJSON_IsString(from) || gt_id_check(from->valuestring) < 0)))
				return bad_edge(id, key,
						from && !cJSON_IsString(from)
							? "'issue_id' must be a string"
							: gt_error_last());
		}
		return 0;
	case GT_F_COMMENTS:
		if (!cJSON_IsArray(v))
			return bad(id, key, "must be an array");
		cJSON_ArrayForEach (c, v)
			if (!cJSON_IsObject(c) ||
			    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "text")))
				return bad(id, key, "entries need a 'text'");
		return 0;
	case GT_F_ANY: return 0;
	}
	return 0;
}

int gt_bead_validate(const cJSON *bead, const struct gt_vocab *v)
{
	const char *id = gt_json_str(bead, "id"), *s;
	const cJSON *c;
	int64_t prio;
	int rc;

	if (!cJSON_IsObject(bead))
		return gt_error_set(GT_EINVALID, "a bead must be a JSON object");
	if (!id)
		return gt_error_set(GT_EINVALID, "bead has no 'id'");
	if ((rc = gt_id_check(id)) < 0)
		return rc;
	cJSON_ArrayForEach (c, bead) {
		const struct gt_field *f = gt_bead_field(c->string);

		if (f && (rc = check_kind(id, c->string, f->kind, c)) < 0)
			return rc;
	}
	s = gt_json_str(bead, "title");
	if (!s)
		return bad(id, "title", "is required");
	if (strlen(s) > GT_TITLE_MAX)
		return gt_error_set(GT_EINVALID, "bead '%s': title is %zu bytes (at most %d)", id,
				    strlen(s), GT_TITLE_MAX);
	s = gt_json_str(bead, "status");
	if (s && !gt_status_known(v, s))
		return gt_error_set(GT_EINVALID, "bead '%s': unknown status '%s'", id, s);
	s = gt_json_str(bead, "issue_type");
	if (s && *s && !gt_type_known(v, s)) {
		gt_error_set(GT_EINVALID, "bead '%s': unknown type '%s'", id, s);
		gt_error_hint("custom types are declared with: gt-config types.custom 'a,b'");
		return GT_EINVALID;
	}
	if (gt_json_int(bead, "priority", &prio) == 0 && (prio < 0 || prio > 4))
		return gt_error_set(GT_EINVALID, "bead '%s': priority %lld is out of range 0..4",
				    id, (long long)prio);
	return 0;
}

int gt_priority_parse(const char *s, int *out)
{
	if (!s)
		return GT_EINVALID;
	if (s[0] == 'P' || s[0] == 'p')
		s++;
	if (s[0] < '0' || s[0] > '4' || s[1])
		return gt_error_set(GT_EINVALID, "priority must be 0..4 or P0..P4, not '%s'", s);
	*out = s[0] - '0';
	return 0;
}

/* ---- accessors ---- */

const char *gt_bead_id(const cJSON *b)
{
	const char *s = gt_json_str(b, "id");

	return s ? s : "";
}

const char *gt_bead_status(const cJSON *b)
{
	const char *s = gt_json_str(b, "status");

	return s && *s ? s : "open";
}

const char *gt_bead_type(const cJSON *b)
{
	const char *s = gt_json_str(b, "issue_type");

	return s && *s ? s : "task";
}

int gt_bead_priority(const cJSON *b)
{
	int64_t p;

	if (gt_json_int(b, "priority", &p) < 0)
		return GT_PRIORITY_DEFAULT;
	return p < -1000 ? -1000 : p > 1000 ? 1000 : (int)p; /* validated: 0..4 */
}

void gt_bead_set_str(cJSON *b, const char *key, const char *val)
{
	const struct gt_field *f = gt_bead_field(key);

	if ((!val || !*val) && f && f->omitempty) {
		gt_json_del(b, key);
		return;
	}
	gt_json_set_str(b, key, val ? val : "");
}

int gt_bead_label_add(cJSON *b, const char *label)
{
	cJSON *labels = cJSON_GetObjectItemCaseSensitive(b, "labels"), *c;
	int i = 0;

	if (!cJSON_IsArray(labels)) {
		labels = cJSON_CreateArray();
		gt_json_set(b, "labels", labels);
	}
	cJSON_ArrayForEach (c, labels) {
		int cmp = strcmp(cJSON_IsString(c) ? c->valuestring : "", label);

		if (!cmp)
			return 0;
		if (cmp > 0)
			break;
		i++;
	}
	gt_json_array_insert(labels, i, cJSON_CreateString(label));
	return 1;
}

int gt_bead_label_rm(cJSON *b, const char *label)
{
	cJSON *labels = cJSON_GetObjectItemCaseSensitive(b, "labels"), *c;
	int i = 0;

	cJSON_ArrayForEach (c, labels) {
		if (cJSON_IsString(c) && !strcmp(c->valuestring, label)) {
			cJSON_DeleteItemFromArray(labels, i);
			if (!cJSON_GetArraySize(labels))
				gt_json_del(b, "labels");
			return 1;
		}
		i++;
	}
	return 0;
}

const char *gt_bead_parent(const cJSON *b)
{
	const cJSON *d;

	cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(b, "dependencies")) {
		const char *t = gt_json_str(d, "type");

		if (t && !strcmp(t, "parent-child"))
			return gt_json_str(d, "depends_on_id");
	}
	return NULL;
}
