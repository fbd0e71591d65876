/*
 * town.c - town root, tmux socket name, rig records and settings.
 */
#include "town/town.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/json.h"
#include "base/proc.h"
#include "base/sha256.h"
#include "store/config.h"
#include "store/ledger.h"
#include "store/ops.h"
#include "base/banned.h"

static const char *const reserved[] = {
	"mayor",   "deacon", "witness", "refinery", "crew", "polecats",
	"polecat", "boot",   "dogs",	"hq",	    NULL,
};

int gt_name_reserved(const char *name)
{
	for (size_t i = 0; reserved[i]; i++)
		if (!strcmp(reserved[i], name))
			return 1;
	return 0;
}

int gt_name_check(const char *what, const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (!n)
		return gt_error_set(GT_EINVALID, "%s name is empty", what);
	if (n > 40)
		return gt_error_set(GT_EINVALID, "%s name '%.40s...' is longer than 40 bytes", what,
				    name);
	if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
		return gt_error_set(GT_EINVALID,
				    "%s name '%s' must start with a lower-case letter or digit",
				    what, name);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!islower(c) && !isdigit(c) && c != '-' && c != '_')
			return gt_error_set(GT_EINVALID,
					    "%s name '%s' may hold only a-z, 0-9, '-' and '_'",
					    what, name);
	}
	return 0;
}

int gt_town_open(struct gt_town *t, struct gt_ctx *ctx)
{
	struct gt_repo *r = ctx->lg->repo;
	char *root, *name, *base;
	struct gt_buf b = GT_BUF_INIT;
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = gt_ctx_config(ctx)) < 0)
		return rc;
	root = gt_config_get(ctx->cfg, "town.root");
	if (!root)
		root = gt_strdup(r->workdir ? r->workdir : r->common_dir);
	while (strlen(root) > 1 && root[strlen(root) - 1] == '/')
		root[strlen(root) - 1] = '\0';
	t->root = root;
	name = gt_config_get(ctx->cfg, "town.name");
	if (name) {
		t->name = name;
		gt_buf_printf(&b, "gt-%s", name);
	} else {
		unsigned char h[32];

		base = strrchr(root, '/');
		base = base && base[1] ? base + 1 : root;
		t->name = gt_strdup(base);
		gt_sha256(h, root, strlen(root));
		gt_buf_printf(&b, "gt-%s-%02x%02x%02x", base, h[0], h[1], h[2]);
	}
	/* tmux names: keep them to characters every shell and tmux take */
	for (size_t i = 0; i < b.len; i++)
		if (!isalnum((unsigned char)b.ptr[i]) && b.ptr[i] != '-' && b.ptr[i] != '_')
			b.ptr[i] = '_';
	t->socket = gt_buf_detach(&b);
	t->bindir = gt_self_bindir();
	return 0;
}

void gt_town_release(struct gt_town *t)
{
	free(t->root);
	free(t->name);
	free(t->socket);
	free(t->bindir);
	memset(t, 0, sizeof(*t));
}

/*
 * Gas Town's rule: drop a "-py" or "-go" ending; split at '-', '_' and
 * lower-to-upper case changes; a single word ending in a place word
 * ("gastown", "riverport") splits before it.  Two or more parts give
 * their initials ("gas_town" -> "gt", "myApp" -> "ma"); one word keeps
 * up to three letters whole ("api") and is cut to two otherwise
 * ("beads" -> "be").  Lower case.
 */
static const char *const place_words[] = {
	"town", "ville", "port", "place", "land", "field", "wood", "ford", NULL,
};

void gt_rig_prefix_derive(struct gt_buf *out, const char *name)
{
	struct gt_buf base = GT_BUF_INIT, initials = GT_BUF_INIT;
	size_t parts = 0;
	int start = 1;

	gt_buf_adds(&base, name);
	if (base.len > 3 &&
	    (!strcmp(base.ptr + base.len - 3, "-py") || !strcmp(base.ptr + base.len - 3, "-go")))
		gt_buf_truncate(&base, base.len - 3);
	for (const char *p = base.ptr; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '-' || c == '_' || c == '.' || c == ' ') {
			start = 1;
			continue;
		}
		if (!start && isupper(c) && islower((unsigned char)p[-1]))
			start = 1;
		if (start && isalnum(c)) {
			gt_buf_addch(&initials, (char)tolower(c));
			parts++;
		}
		start = 0;
	}
	gt_buf_reset(out);
	if (parts == 1) {
		for (size_t i = 0; place_words[i]; i++) {
			size_t n = strlen(place_words[i]);

			if (base.len > n && !strcasecmp(base.ptr + base.len - n, place_words[i])) {
				gt_buf_addch(&initials, place_words[i][0]);
				parts = 2;
				break;
			}
		}
	}
	if (parts >= 2) {
		gt_buf_add(out, initials.ptr, initials.len);
	} else {
		size_t keep = 0;

		for (const char *p = base.ptr; *p; p++)
			keep += isalnum((unsigned char)*p) != 0;
		for (const char *p = base.ptr; *p && (keep <= 3 || out->len < 2); p++)
			if (isalnum((unsigned char)*p))
				gt_buf_addch(out, (char)tolower((unsigned char)*p));
	}
	if (!out->len)
		gt_buf_adds(out, "rig");
	gt_buf_release(&base);
	gt_buf_release(&initials);
}

void gt_rig_path(struct gt_buf *out, const char *name)
{
	gt_buf_reset(out);
	gt_buf_printf(out, "rigs/%s.json", name);
}

static char *dup_or_null(const cJSON *o, const char *key)
{
	const char *s = gt_json_str(o, key);

	return s ? gt_strdup(s) : NULL;
}

int gt_rig_load(struct gt_rig *r, struct gt_ctx *ctx, const struct gt_town *t, const char *name)
{
	struct gt_buf path = GT_BUF_INIT, data = GT_BUF_INIT;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = gt_name_check("rig", name)) < 0)
		return rc;
	gt_rig_path(&path, name);
	rc = gt_ledger_read_file(&data, NULL, ctx->lg, NULL, path.ptr);
	if (rc == GT_ENOTFOUND) {
		rc = gt_error_set(GT_ENOTFOUND, "rig '%s' not found", name);
		gt_error_hint("gt-rig-list shows the rigs; gt-rig-add adds one");
	} else if (rc == 0) {
		rc = gt_record_parse(&r->json, &data, path.ptr);
	}
	if (rc == 0) {
		r->name = gt_strdup(name);
		r->url = dup_or_null(r->json, "url");
		r->prefix = dup_or_null(r->json, "prefix");
		r->default_branch = gt_rig_setting(ctx, name, "default-branch",
						   gt_json_str(r->json, "default_branch"));
		if (!r->default_branch)
			r->default_branch = gt_strdup("main");
		gt_buf_reset(&path);
		gt_buf_printf(&path, "%s/%s", t->root, name);
		r->dir = gt_strdup(path.ptr);
		gt_buf_adds(&path, "/.repo.git");
		r->repo = gt_buf_detach(&path);
	}
	gt_buf_release(&path);
	gt_buf_release(&data);
	if (rc < 0)
		gt_rig_release(r);
	return rc;
}

void gt_rig_release(struct gt_rig *r)
{
	free(r->name);
	free(r->url);
	free(r->prefix);
	free(r->default_branch);
	free(r->dir);
	free(r->repo);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

int gt_rig_list(cJSON **out, struct gt_ctx *ctx)
{
	/* tree entries are sorted by name already */
	return gt_ledger_read_records(out, ctx->lg, "rigs", NULL);
}

char *gt_rig_setting(struct gt_ctx *ctx, const char *rig, const char *key, const char *dflt)
{
	struct gt_buf k = GT_BUF_INIT;
	char *v = NULL;

	if (gt_ctx_config(ctx) == 0) {
		gt_buf_printf(&k, "rig.%s.%s", rig, key);
		v = gt_config_get(ctx->cfg, k.ptr);
		if (!v) {
			gt_buf_reset(&k);
			gt_buf_printf(&k, "rig.%s", key);
			v = gt_config_get(ctx->cfg, k.ptr);
		}
	}
	gt_buf_release(&k);
	if (!v && dflt)
		v = gt_strdup(dflt);
	return v;
}

const char *gt_rig_named(const cJSON *rigs, const char *bead)
{
	const cJSON *r;
	const char *best = NULL;
	size_t best_len = 0;

	cJSON_ArrayForEach (r, rigs) {
		const char *p = gt_json_str(r, "prefix");
		size_t len = p ? strlen(p) : 0;

		if (len && !strncmp(bead, p, len) && bead[len] == '-' && len > best_len) {
			best = gt_json_str(r, "name");
			best_len = len;
		}
	}
	return best;
}

void gt_rig_act_as(struct gt_ctx *ctx, const char *rig, const char *role)
{
	struct gt_buf me = GT_BUF_INIT;

	gt_buf_printf(&me, "%s/%s", rig, role);
	gt_ledger_set_actor(ctx->lg, me.ptr);
	gt_buf_release(&me);
}

char *gt_rig_of_bead(struct gt_ctx *ctx, const char *bead)
{
	cJSON *rigs = NULL;
	const char *name;
	char *res;

	if (gt_rig_list(&rigs, ctx) < 0) {
		gt_error_clear();
		return NULL;
	}
	name = gt_rig_named(rigs, bead);
	res = name ? gt_strdup(name) : NULL;
	cJSON_Delete(rigs);
	return res;
}
