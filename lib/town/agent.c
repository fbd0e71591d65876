/*
 * agent.c - agent records, addresses, the polecat name pool, the hook and
 * plain mail.
 */
#include "town/agent.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/map.h"
#include "store/bead.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "town/town.h"
#include "base/banned.h"

static const char *const role_names[] = {
	[GT_ROLE_MAYOR] = "mayor",     [GT_ROLE_DEACON] = "deacon",
	[GT_ROLE_WITNESS] = "witness", [GT_ROLE_REFINERY] = "refinery",
	[GT_ROLE_POLECAT] = "polecat", [GT_ROLE_CREW] = "crew",
};

const char *gt_role_name(enum gt_role role)
{
	return role_names[role];
}

static int copy_part(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int gt_address_parse(struct gt_address *a, const char *address)
{
	const char *s1, *s2;
	int rc;

	memset(a, 0, sizeof(*a));
	if (!address || !*address)
		return gt_error_set(GT_EINVALID, "agent address is empty");
	if (!strcmp(address, "mayor") || !strcmp(address, "deacon")) {
		a->role = address[0] == 'm' ? GT_ROLE_MAYOR : GT_ROLE_DEACON;
		return 0;
	}
	s1 = strchr(address, '/');
	if (!s1 || copy_part(a->rig, sizeof(a->rig), address, (size_t)(s1 - address)) < 0)
		goto bad;
	if ((rc = gt_name_check("rig", a->rig)) < 0)
		return rc;
	s1++;
	if (!strcmp(s1, "witness") || !strcmp(s1, "refinery")) {
		a->role = s1[0] == 'w' ? GT_ROLE_WITNESS : GT_ROLE_REFINERY;
		return 0;
	}
	s2 = strchr(s1, '/');
	if (!s2)
		goto bad;
	if ((size_t)(s2 - s1) == 8 && !strncmp(s1, "polecats", 8))
		a->role = GT_ROLE_POLECAT;
	else if ((size_t)(s2 - s1) == 4 && !strncmp(s1, "crew", 4))
		a->role = GT_ROLE_CREW;
	else
		goto bad;
	if (copy_part(a->name, sizeof(a->name), s2 + 1, strlen(s2 + 1)) < 0)
		goto bad;
	return gt_name_check(a->role == GT_ROLE_CREW ? "crew" : "polecat", a->name);
bad:
	gt_error_set(GT_EINVALID, "'%s' is not an agent address", address);
	gt_error_hint("addresses: mayor, deacon, RIG/witness, RIG/refinery, RIG/polecats/NAME, "
		      "RIG/crew/NAME");
	return GT_EINVALID;
}

void gt_address_format(struct gt_buf *out, const struct gt_address *a)
{
	gt_buf_reset(out);
	switch (a->role) {
	case GT_ROLE_MAYOR:
	case GT_ROLE_DEACON: gt_buf_adds(out, gt_role_name(a->role)); break;
	case GT_ROLE_WITNESS:
	case GT_ROLE_REFINERY: gt_buf_printf(out, "%s/%s", a->rig, gt_role_name(a->role)); break;
	case GT_ROLE_POLECAT: gt_buf_printf(out, "%s/polecats/%s", a->rig, a->name); break;
	case GT_ROLE_CREW: gt_buf_printf(out, "%s/crew/%s", a->rig, a->name); break;
	}
}

void gt_agent_path(struct gt_buf *out, const char *address)
{
	gt_buf_reset(out);
	gt_buf_printf(out, "agents/%s.json", address);
}

cJSON *gt_agent_new(const struct gt_address *a, const char *now)
{
	cJSON *o = cJSON_CreateObject();
	struct gt_buf addr = GT_BUF_INIT;

	gt_address_format(&addr, a);
	gt_json_set_str(o, "address", addr.ptr);
	gt_json_set_str(o, "role", gt_role_name(a->role));
	if (a->rig[0])
		gt_json_set_str(o, "rig", a->rig);
	if (a->name[0])
		gt_json_set_str(o, "name", a->name);
	gt_json_set_str(o, "state", "idle");
	gt_json_set_str(o, "created_at", now);
	gt_json_set_str(o, "updated_at", now);
	gt_buf_release(&addr);
	return o;
}

/* Fixed key order so records serialize the same way every time. */
static const char *const agent_order[] = {
	"address", "role",	 "rig",	       "name",	   "runtime", "state",
	"hook",	   "workspace",	 "strategy",   "branch",   "base",    "session",
	"args",	   "created_at", "updated_at", "metadata", NULL,
};

static void agent_canonicalize(cJSON *o)
{
	cJSON *sorted = cJSON_CreateObject();
	cJSON *it;

	for (size_t i = 0; agent_order[i]; i++) {
		it = cJSON_DetachItemFromObjectCaseSensitive(o, agent_order[i]);
		if (it && !cJSON_IsNull(it))
			cJSON_AddItemToObject(sorted, agent_order[i], it);
		else
			cJSON_Delete(it);
	}
	/* unknown keys are kept, after the known ones */
	while ((it = o->child)) {
		const char *k = it->string;

		cJSON_DetachItemViaPointer(o, it);
		cJSON_AddItemToObject(sorted, k, it);
	}
	o->child = sorted->child;
	sorted->child = NULL;
	cJSON_Delete(sorted);
}

/* The end of reading an agent record either way: parse it, or say which
 * agent is missing. */
static int read_done(cJSON **out, int rc, const char *address, const struct gt_buf *data,
		     const struct gt_buf *path)
{
	if (rc == GT_ENOTFOUND) {
		rc = gt_error_set(GT_ENOTFOUND, "agent '%s' not found", address);
		gt_error_hint("gt-agent-list shows the agents");
	} else if (rc == 0) {
		rc = gt_record_parse(out, data, path->ptr);
	}
	return rc;
}

int gt_txn_agent_get(struct gt_txn *tx, const char *address, cJSON **out)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	struct gt_address a;
	int rc;

	*out = NULL;
	if ((rc = gt_address_parse(&a, address)) < 0)
		return rc;
	gt_agent_path(&path, address);
	rc = read_done(out, gt_txn_file_get(tx, path.ptr, &data), address, &data, &path);
	gt_buf_release(&path);
	gt_buf_release(&data);
	return rc;
}

int gt_txn_agent_put(struct gt_txn *tx, cJSON *agent)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	const char *address = gt_json_str(agent, "address");
	struct gt_address a;
	int rc;

	if ((rc = gt_address_parse(&a, address)) < 0)
		return rc;
	gt_json_set_str(agent, "updated_at", gt_txn_now(tx));
	agent_canonicalize(agent);
	gt_agent_path(&path, address);
	gt_json_write(&data, agent);
	gt_buf_addch(&data, '\n');
	rc = gt_txn_file_put(tx, path.ptr, data.ptr, data.len);
	gt_buf_release(&path);
	gt_buf_release(&data);
	return rc;
}

int gt_txn_agent_remove(struct gt_txn *tx, const char *address)
{
	struct gt_buf path = GT_BUF_INIT;
	int rc;

	gt_agent_path(&path, address);
	rc = gt_txn_file_remove(tx, path.ptr);
	gt_buf_release(&path);
	return rc;
}

int gt_agent_read(cJSON **out, struct gt_ledger *lg, const char *address)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	struct gt_address a;
	int rc;

	*out = NULL;
	if ((rc = gt_address_parse(&a, address)) < 0)
		return rc;
	gt_agent_path(&path, address);
	rc = read_done(out, gt_ledger_read_file(&data, NULL, lg, NULL, path.ptr), address, &data,
		       &path);
	gt_buf_release(&path);
	gt_buf_release(&data);
	return rc;
}

static int by_address(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	const char *s = gt_json_str(x, "address"), *t = gt_json_str(y, "address");

	return strcmp(s ? s : "", t ? t : "");
}

int gt_agent_list(cJSON **out, struct gt_ledger *lg, const char *rig)
{
	cJSON **v = NULL, *arr;
	size_t n = 0, alloc = 0;
	int rc = gt_ledger_read_records(out, lg, "agents", rig);

	if (rc < 0)
		return rc;
	/* tree order puts "x/crew/..." before "x.json"-like names oddly for
	 * people; sort by address */
	arr = *out;
	while (arr->child) {
		cJSON *it = arr->child;

		cJSON_DetachItemViaPointer(arr, it);
		GT_ALLOC_GROW(v, n + 1, alloc);
		v[n++] = it;
	}
	if (n)
		qsort(v, n, sizeof(*v), by_address);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, v[i]);
	free(v);
	return 0;
}

int gt_agent_find_by_path(cJSON **out, struct gt_ledger *lg, const char *path)
{
	char real[PATH_MAX];
	cJSON *arr = NULL, *it, *best = NULL;
	size_t best_len = 0;
	int rc;

	*out = NULL;
	if (!realpath(path, real))
		return gt_error_errno(GT_ENOTFOUND, "cannot resolve '%s'", path);
	if ((rc = gt_agent_list(&arr, lg, NULL)) < 0) {
		cJSON_Delete(arr);
		return rc;
	}
	cJSON_ArrayForEach (it, arr) {
		const char *ws = gt_json_str(it, "workspace");
		char wreal[PATH_MAX];
		size_t n;

		if (!ws || !realpath(ws, wreal))
			continue;
		n = strlen(wreal);
		if (!strncmp(real, wreal, n) && (real[n] == '\0' || real[n] == '/') &&
		    n > best_len) {
			best = it;
			best_len = n;
		}
	}
	if (best) {
		cJSON_DetachItemViaPointer(arr, best);
		*out = best;
		rc = 0;
	} else {
		rc = gt_error_set(GT_ENOTFOUND, "no agent works in '%s'", real);
		gt_error_hint("set GT_AGENT to the agent's address, or run inside its workspace");
	}
	cJSON_Delete(arr);
	return rc;
}

const char *gt_agent_actor(struct gt_ctx *ctx)
{
	struct gt_address a;
	const char *actor = gt_ledger_actor(ctx->lg);

	if (gt_address_parse(&a, actor) == 0)
		return actor;
	gt_error_clear();
	return "overseer";
}

int gt_agent_busy(long *n, struct gt_ledger *lg, const char *rig)
{
	cJSON *agents = NULL, *a;
	int rc = gt_agent_list(&agents, lg, rig);

	*n = 0;
	cJSON_ArrayForEach (a, agents) {
		const char *role = gt_json_str(a, "role"), *hook = gt_json_str(a, "hook");
		const char *state = gt_json_str(a, "state");

		if (role && !strcmp(role, "polecat") &&
		    ((hook && *hook) || (state && !strcmp(state, "spawning"))))
			(*n)++;
	}
	cJSON_Delete(agents);
	return rc;
}

/* ---- records left spawning ---- */

struct unspawn {
	const char *address, *updated_at;
	const char *outcome;
};

static int is_dir(const char *path)
{
	struct stat st;

	return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int unspawn_fn(struct gt_txn *tx, void *p)
{
	struct unspawn *u = p;
	cJSON *agent = NULL;
	const char *st, *up, *hook;
	int rc = gt_txn_agent_get(tx, u->address, &agent);

	if (rc < 0)
		return rc;
	st = gt_json_str(agent, "state");
	up = gt_json_str(agent, "updated_at");
	hook = gt_json_str(agent, "hook");
	/* only the record the caller looked at: a sling since then owns it */
	if (!st || strcmp(st, "spawning") || !up || strcmp(up, u->updated_at))
		goto out;
	gt_txn_summary(tx, "clean up %s: left spawning", u->address);
	gt_txn_trailer(tx, "Gt-Agent", "%s", u->address);
	if (hook && *hook) {
		gt_json_set_str(agent, "state", "working");
		rc = gt_txn_agent_put(tx, agent);
		u->outcome = "working";
	} else if (is_dir(gt_json_str(agent, "workspace"))) {
		gt_json_set_str(agent, "state", "idle");
		rc = gt_txn_agent_put(tx, agent);
		u->outcome = "idle";
	} else {
		rc = gt_txn_agent_remove(tx, u->address);
		u->outcome = "removed";
	}
out:
	cJSON_Delete(agent);
	return rc;
}

int gt_agent_unspawn(const char **outcome, struct gt_ctx *ctx, const char *address,
		     const char *updated_at)
{
	struct unspawn u = { address, updated_at, NULL };
	struct gt_txn_opts o = { .command = "gt-witness" };
	int rc = gt_ledger_transact(ctx->lg, &o, unspawn_fn, &u);

	*outcome = rc == 0 ? u.outcome : NULL;
	return rc;
}

/* ---- the name pool ---- */

/* Minerals and rocks: short, distinct, easy to say and to type. */
const char *const gt_pool_names[] = {
	"agate",     "basalt",	 "beryl",     "calcite",  "chert",	"cinnabar",  "cobalt",
	"copper",    "dolomite", "emerald",   "feldspar", "flint",	"galena",    "garnet",
	"gneiss",    "granite",	 "gypsum",    "halite",	  "hematite",	"iolite",    "jade",
	"jasper",    "kyanite",	 "lapis",     "marble",	  "mica",	"nickel",    "obsidian",
	"olivine",   "onyx",	 "opal",      "peridot",  "pumice",	"pyrite",    "quartz",
	"rhodonite", "ruby",	 "sapphire",  "schist",	  "selenite",	"shale",     "slate",
	"spinel",    "sulfur",	 "talc",      "topaz",	  "tourmaline", "turquoise", "zircon",
	"azurite",   "bismuth",	 "malachite", "amber",	  "jet",	"basanite",  "citrine",
	NULL,
};

struct taken {
	struct gt_map names;
	const char *dir; /* where polecats' workspaces go, or NULL */
};

static int note_taken(const char *file, void *p)
{
	struct taken *t = p;
	size_t n = strlen(file);

	if (n > 5 && !strcmp(file + n - 5, ".json"))
		gt_map_put(&t->names, gt_strndup(file, n - 5), (void *)1);
	return 0;
}

static int pool_try(struct gt_buf *out, const struct taken *t, const char *name)
{
	struct stat st;
	int in_the_way = 0;

	if (gt_name_reserved(name) || gt_name_check("polecat", name) < 0 ||
	    gt_map_get(&t->names, name))
		return 0;
	if (t->dir) {
		/* a leftover directory of that name would make the workspace
		 * fail: take the next name rather than block every sling */
		struct gt_buf p = GT_BUF_INIT;

		gt_buf_printf(&p, "%s/%s", t->dir, name);
		in_the_way = lstat(p.ptr, &st) == 0;
		gt_buf_release(&p);
	}
	if (in_the_way)
		return 0;
	gt_buf_reset(out);
	gt_buf_adds(out, name);
	return 1;
}

int gt_pool_allocate(struct gt_buf *out, struct gt_txn *tx, const char *rig, const char *custom,
		     const char *wsdir)
{
	struct taken t = { { 0 }, wsdir };
	struct gt_buf dir = GT_BUF_INIT, word = GT_BUF_INIT;
	int rc, found = 0;

	gt_buf_printf(&dir, "agents/%s/polecats", rig);
	rc = gt_txn_list_dir(tx, dir.ptr, note_taken, &t);
	if (rc < 0 && rc != GT_ENOTFOUND)
		goto out;
	rc = 0;
	if (custom && *custom) {
		for (const char *p = custom; !found;) {
			size_t n = strcspn(p, ", \t");

			gt_buf_reset(&word);
			gt_buf_add(&word, p, n);
			if (n)
				found = pool_try(out, &t, word.ptr);
			p += n;
			if (!*p)
				break;
			p++;
		}
	} else {
		for (size_t i = 0; gt_pool_names[i] && !found; i++)
			found = pool_try(out, &t, gt_pool_names[i]);
	}
	for (long n = 1; !found; n++) {
		gt_buf_reset(&word);
		gt_buf_printf(&word, "polecat-%ld", n);
		found = pool_try(out, &t, word.ptr);
	}
out:
	for (size_t it = 0;;) {
		struct gt_map_entry *e;

		if (!gt_map_next(&t.names, &it, &e))
			break;
		free((char *)e->key);
	}
	gt_map_release(&t.names);
	gt_buf_release(&dir);
	gt_buf_release(&word);
	return rc;
}

/* ---- the hook ---- */

int gt_bead_held_elsewhere(const cJSON *bead, const char *address)
{
	const char *st = gt_bead_status(bead), *as = gt_json_str(bead, "assignee");

	return as && *as && (!address || strcmp(as, address)) &&
	       (!strcmp(st, "hooked") || !strcmp(st, "in_progress"));
}

static int set_status(struct gt_txn *tx, struct gt_ctx *ctx, const char *id, const char *status,
		      const char *assignee)
{
	struct gt_bead_spec spec;
	int changed, rc;

	gt_bead_spec_init(&spec);
	spec.status = status;
	spec.assignee = assignee;
	rc = gt_op_update(tx, ctx, id, &spec, &changed);
	gt_bead_spec_release(&spec);
	return rc;
}

int gt_op_hook_attach(struct gt_txn *tx, struct gt_ctx *ctx, const char *address,
		      const char *bead_id, int force, struct gt_hook_result *res)
{
	cJSON *agent = NULL, *bead = NULL, *prev = NULL;
	const char *hook, *st, *as;
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = gt_txn_agent_get(tx, address, &agent)) < 0)
		return rc;
	if ((rc = gt_txn_bead_get(tx, bead_id, &bead)) < 0)
		goto out;
	st = gt_bead_status(bead);
	as = gt_json_str(bead, "assignee");
	snprintf(res->prev_status, sizeof(res->prev_status), "%s", st);
	snprintf(res->prev_assignee, sizeof(res->prev_assignee), "%s", as ? as : "");
	hook = gt_json_str(agent, "hook");
	if (hook && !strcmp(hook, bead_id) && !strcmp(st, "hooked") && as && !strcmp(as, address))
		goto out; /* already there: a no-op */
	if (hook && *hook && strcmp(hook, bead_id)) {
		rc = gt_error_set(GT_ECONFLICT, "agent '%s' already has '%s' on its hook", address,
				  hook);
		gt_error_hint("gt-hook-detach %s first, or sling to another agent", address);
		goto out;
	}
	if (!strcmp(st, "tombstone")) {
		rc = gt_error_set(GT_ECONFLICT, "bead '%s' is deleted", bead_id);
		goto out;
	}
	if (!strcmp(st, "closed") && !force) {
		rc = gt_error_set(GT_ECONFLICT, "bead '%s' is closed", bead_id);
		gt_error_hint("reopen it, or pass --force to hook it anyway");
		goto out;
	}
	if (gt_bead_held_elsewhere(bead, address)) {
		if (!force) {
			rc = gt_error_set(GT_ECONFLICT, "bead '%s' is held by '%s'", bead_id, as);
			gt_error_hint("pass --force to take it (the holder is mailed)");
			goto out;
		}
		snprintf(res->prev_holder, sizeof(res->prev_holder), "%s", as);
		/* the previous holder loses the hook; it may not be an agent we
		 * know (a person who claimed the bead) */
		if (gt_txn_agent_get(tx, as, &prev) == 0) {
			const char *ph = gt_json_str(prev, "hook");

			if (ph && !strcmp(ph, bead_id)) {
				gt_json_del(prev, "hook");
				gt_json_set_str(prev, "state", "idle");
				if ((rc = gt_txn_agent_put(tx, prev)) < 0)
					goto out;
			}
		}
		gt_error_clear(); /* the caller mails the holder (gt_mail_hook_taken) */
	}
	if ((rc = set_status(tx, ctx, bead_id, "hooked", address)) < 0)
		goto out;
	gt_json_set_str(agent, "hook", bead_id);
	gt_json_set_str(agent, "state", "working");
	if ((rc = gt_txn_agent_put(tx, agent)) < 0)
		goto out;
	res->changed = 1;
	gt_txn_summary(tx, "hook %s on %s", bead_id, address);
	gt_txn_trailer(tx, "Gt-Bead", "%s", bead_id);
	gt_txn_trailer(tx, "Gt-Agent", "%s", address);
out:
	cJSON_Delete(agent);
	cJSON_Delete(prev);
	return rc;
}

int gt_op_hook_detach(struct gt_txn *tx, struct gt_ctx *ctx, const char *address,
		      const char *status, int *changed, struct gt_buf *bead_out)
{
	cJSON *agent = NULL, *bead = NULL;
	const char *hook;
	int rc;

	*changed = 0;
	if ((rc = gt_txn_agent_get(tx, address, &agent)) < 0)
		return rc;
	hook = gt_json_str(agent, "hook");
	if (!hook || !*hook)
		goto out;
	if (bead_out) {
		gt_buf_reset(bead_out);
		gt_buf_adds(bead_out, hook);
	}
	rc = gt_txn_bead_get(tx, hook, &bead);
	if (rc == 0) {
		const char *as = gt_json_str(bead, "assignee");

		if (!strcmp(gt_bead_status(bead), "hooked") && as && !strcmp(as, address))
			rc = set_status(tx, ctx, hook, status ? status : "open", "");
	} else if (rc == GT_ENOTFOUND) {
		rc = 0; /* the bead is gone: clear the hook all the same */
		gt_error_clear();
	}
	if (rc < 0)
		goto out;
	gt_txn_summary(tx, "unhook %s from %s", hook, address);
	gt_txn_trailer(tx, "Gt-Bead", "%s", hook);
	gt_txn_trailer(tx, "Gt-Agent", "%s", address);
	gt_json_del(agent, "hook");
	gt_json_set_str(agent, "state", "idle");
	if ((rc = gt_txn_agent_put(tx, agent)) == 0)
		*changed = 1;
out:
	cJSON_Delete(agent);
	return rc;
}

int gt_op_mail(struct gt_txn *tx, struct gt_ctx *ctx, const char *to, const char *subject,
	       const char *body, struct gt_buf *id_out)
{
	struct gt_bead_spec spec;
	struct gt_buf id = GT_BUF_INIT;
	int rc;

	gt_bead_spec_init(&spec);
	spec.title = subject;
	spec.description = body;
	spec.type = "message";
	spec.assignee = to;
	spec.prefix = ctx->prefix ? NULL : "hq"; /* town-level mail */
	spec.extra = cJSON_CreateObject();
	gt_json_set_str(spec.extra, "sender", gt_agent_actor(ctx));
	rc = gt_op_add(tx, ctx, &spec, id_out ? id_out : &id);
	gt_bead_spec_release(&spec);
	gt_buf_release(&id);
	return rc;
}

struct detach {
	struct gt_ctx *ctx;
	const char *address, *status;
	struct gt_buf *bead;
};

static int detach_fn(struct gt_txn *tx, void *p)
{
	struct detach *d = p;
	int changed;

	return gt_op_hook_detach(tx, d->ctx, d->address, d->status, &changed, d->bead);
}

int gt_hook_detach(struct gt_ctx *ctx, const char *command, const char *address, const char *status,
		   struct gt_buf *bead_out)
{
	struct detach d = { ctx, address, status, bead_out };
	struct gt_txn_opts o = { .command = command };

	return gt_ledger_transact(ctx->lg, &o, detach_fn, &d);
}

void gt_agent_key(struct gt_buf *out, const char *address)
{
	for (const char *p = address; *p; p++)
		gt_buf_addch(out, *p == '/' ? '.' : *p);
}
