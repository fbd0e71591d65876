/*
 * config.c - layered configuration (see config.h).
 *
 * libgit2 reads configuration only from files, so the town config blob is
 * materialised once per blob id under <git-common-dir>/gt/cache/; since the
 * name carries the blob id, the cached copy can never be stale.
 */
#include "store/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/json.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/ledger.h"
#include "base/banned.h"

#define LEVEL_USER    GIT_CONFIG_LEVEL_XDG
#define LEVEL_TOWN    GIT_CONFIG_LEVEL_GLOBAL
#define LEVEL_MACHINE GIT_CONFIG_LEVEL_LOCAL

struct gt_config {
	git_config *cfg;
	cJSON *beads; /* beads-config.json, or NULL */
};

static int file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int add_town_layer(struct gt_config *c, struct gt_ledger *lg, git_tree *tree)
{
	struct gt_buf data = GT_BUF_INIT, path = GT_BUF_INIT;
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	rc = gt_ledger_read_file(&data, &id, lg, tree, "config");
	if (rc == GT_ENOTFOUND) {
		gt_buf_release(&data);
		return 0;
	}
	if (rc < 0)
		goto out;
	git_oid_tostr(hex, sizeof(hex), &id);
	gt_buf_printf(&path, "%s/cache/town-config-%s", lg->repo->runtime_dir, hex);
	if (!file_exists(path.ptr) && (rc = gt_write_file_atomic(path.ptr, data.ptr, data.len)) < 0)
		goto out;
	if (git_config_add_file_ondisk(c->cfg, path.ptr, LEVEL_TOWN, NULL, 0) < 0)
		rc = gt_error_git(GT_EINVALID, "bad town config in the ledger");
out:
	gt_buf_release(&data);
	gt_buf_release(&path);
	return rc;
}

static int add_file_layer(struct gt_config *c, const char *path, git_config_level_t level)
{
	if (!file_exists(path))
		return 0;
	if (git_config_add_file_ondisk(c->cfg, path, level, NULL, 0) < 0)
		return gt_error_git(GT_EINVALID, "bad config file '%s'", path);
	return 0;
}

int gt_config_load(struct gt_config **out, struct gt_ledger *lg, git_tree *tree)
{
	struct gt_config *c = gt_calloc(1, sizeof(*c));
	struct gt_buf p = GT_BUF_INIT, data = GT_BUF_INIT;
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int rc = 0;

	*out = NULL;
	if (git_config_new(&c->cfg) < 0) {
		free(c);
		return gt_error_git(GT_EFAIL, "cannot create config");
	}
	if (xdg && *xdg)
		gt_buf_printf(&p, "%s/gt/config", xdg);
	else if (home && *home)
		gt_buf_printf(&p, "%s/.config/gt/config", home);
	if (p.len)
		rc = add_file_layer(c, p.ptr, LEVEL_USER);
	if (!rc)
		rc = add_town_layer(c, lg, tree);
	if (!rc) {
		gt_buf_reset(&p);
		gt_buf_printf(&p, "%s/config", lg->repo->runtime_dir);
		rc = add_file_layer(c, p.ptr, LEVEL_MACHINE);
	}
	if (!rc && gt_ledger_read_file(&data, NULL, lg, tree, "beads-config.json") == 0 &&
	    gt_json_parse(&c->beads, data.ptr, data.len, "beads-config.json", 1) < 0)
		rc = GT_EINVALID;
	if (!rc)
		gt_error_clear(); /* a missing beads-config.json is not an error */
	gt_buf_release(&p);
	gt_buf_release(&data);
	if (rc < 0) {
		gt_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void gt_config_free(struct gt_config *c)
{
	if (!c)
		return;
	git_config_free(c->cfg);
	cJSON_Delete(c->beads);
	free(c);
}

static char *env_override(const char *key)
{
	char name[256];
	size_t n = 0;
	const char *v;

	n = (size_t)snprintf(name, sizeof(name), "GT_");
	for (const char *k = key; *k && n + 1 < sizeof(name); k++)
		name[n++] = (*k == '.' || *k == '-') ? '_' : (char)toupper((unsigned char)*k);
	name[n] = '\0';
	v = getenv(name);
	return v ? gt_strdup(v) : NULL;
}

char *gt_config_get(struct gt_config *c, const char *key)
{
	git_buf val = { 0 };
	char *res = env_override(key);

	if (res || !c)
		return res;
	if (git_config_get_string_buf(&val, c->cfg, key) == 0)
		res = gt_strdup(val.ptr ? val.ptr : "");
	git_buf_dispose(&val);
	git_error_clear();
	return res;
}

long gt_config_get_long(struct gt_config *c, const char *key, long dflt)
{
	char *s = gt_config_get(c, key), *end;
	long v;

	if (!s)
		return dflt;
	v = strtol(s, &end, 10);
	if (*end || end == s)
		v = dflt;
	free(s);
	return v;
}

int gt_config_get_duration(struct gt_config *c, const char *key, int64_t dflt_ms, int64_t *ms)
{
	char *s = gt_config_get(c, key);
	int rc = 0;

	*ms = dflt_ms;
	if (s && (rc = gt_duration_parse(ms, s, key)) < 0)
		*ms = dflt_ms;
	free(s);
	return rc;
}

int gt_config_get_bool(struct gt_config *c, const char *key, int dflt)
{
	char *s = gt_config_get(c, key);
	int v = dflt;

	if (!s)
		return dflt;
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on") ||
	    !strcmp(s, "1") || !*s)
		v = 1;
	else if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off") ||
		 !strcmp(s, "0"))
		v = 0;
	free(s);
	return v;
}

char *gt_config_beads_get(struct gt_config *c, const char *key)
{
	const char *s = c && c->beads ? gt_json_str(c->beads, key) : NULL;

	return s ? gt_strdup(s) : NULL;
}

int gt_config_key_check(const char *key)
{
	const char *dot1 = key ? strchr(key, '.') : NULL;
	const char *last = key ? strrchr(key, '.') : NULL;

	if (!dot1 || dot1 == key || !last[1])
		return gt_error_set(GT_EUSAGE, "invalid config key '%s': use section.name",
				    key ? key : "");
	for (const char *p = key; p < dot1; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return gt_error_set(GT_EUSAGE, "invalid config key '%s'", key);
	/* a subsection may hold anything but control characters, which
	 * libgit2 writes but does not read back */
	for (const char *p = dot1; p < last; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return gt_error_set(
				GT_EUSAGE, "invalid config key '%s': control character in it", key);
	if (!isalpha((unsigned char)last[1]))
		return gt_error_set(GT_EUSAGE, "invalid config key '%s'", key);
	for (const char *p = last + 1; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-')
			return gt_error_set(GT_EUSAGE, "invalid config key '%s'", key);
	return 0;
}

/* libgit2 quotes a value only for a space or tab at either end: a
 * carriage return, vertical tab or form feed there is dropped on reading */
static int value_check(const char *key, const char *value)
{
	size_t n = value ? strlen(value) : 0;

	if (n && (strchr("\r\v\f", value[0]) || strchr("\r\v\f", value[n - 1])))
		return gt_error_set(
			GT_EINVALID,
			"the value of '%s' may not start or end with a carriage return, "
			"vertical tab or form feed",
			key);
	return 0;
}

static int edit_file(const char *path, const char *key, const char *value)
{
	git_config *cfg;
	int rc = 0, grc;

	if ((rc = value_check(key, value)) < 0)
		return rc;
	if (git_config_open_ondisk(&cfg, path) < 0)
		return gt_error_git(GT_EFAIL, "cannot open '%s'", path);
	if (value)
		grc = git_config_set_string(cfg, key, value);
	else
		grc = git_config_delete_entry(cfg, key);
	if (grc < 0 && !(grc == GIT_ENOTFOUND && !value))
		rc = gt_error_git(GT_EINVALID, "cannot set '%s'", key);
	git_config_free(cfg);
	return rc;
}

int gt_config_town_set(struct gt_txn *tx, const char *key, const char *value)
{
	struct gt_ledger *lg = gt_txn_ledger(tx);
	struct gt_buf data = GT_BUF_INIT, path = GT_BUF_INIT;
	int rc;

	if ((rc = gt_config_key_check(key)) < 0)
		return rc;
	rc = gt_txn_file_get(tx, "config", &data);
	if (rc == GT_ENOTFOUND)
		rc = 0;
	if (rc < 0)
		goto out;
	gt_buf_printf(&path, "%s/tmp/town-config.%ld", lg->repo->runtime_dir, (long)getpid());
	if ((rc = gt_write_file_atomic(path.ptr, gt_buf_cstr(&data), data.len)) < 0 ||
	    (rc = edit_file(path.ptr, key, value)) < 0)
		goto out;
	gt_buf_reset(&data);
	if ((rc = gt_read_file(&data, path.ptr)) < 0)
		goto out;
	rc = gt_txn_file_put(tx, "config", gt_buf_cstr(&data), data.len);
out:
	if (path.len)
		unlink(path.ptr);
	gt_buf_release(&data);
	gt_buf_release(&path);
	return rc;
}

int gt_config_local_set(struct gt_repo *repo, const char *key, const char *value)
{
	struct gt_buf path = GT_BUF_INIT;
	int rc;

	if ((rc = gt_config_key_check(key)) < 0)
		return rc;
	gt_buf_printf(&path, "%s/config", repo->runtime_dir);
	rc = gt_mkdir_parents(path.ptr);
	if (!rc)
		rc = edit_file(path.ptr, key, value);
	gt_buf_release(&path);
	return rc;
}

struct foreach_ctx {
	gt_config_cb cb;
	void *payload;
};

static int foreach_entry(const git_config_entry *e, void *p)
{
	struct foreach_ctx *ctx = p;
	const char *layer = e->level == LEVEL_USER   ? "user"
			    : e->level == LEVEL_TOWN ? "town"
						     : "machine";

	return ctx->cb(e->name, e->value, layer, ctx->payload);
}

int gt_config_foreach(struct gt_config *c, gt_config_cb cb, void *payload)
{
	struct foreach_ctx ctx = { cb, payload };
	int rc = git_config_foreach(c->cfg, foreach_entry, &ctx);

	if (rc < 0 && rc != GIT_EUSER)
		return gt_error_git(GT_EFAIL, "cannot list config");
	return 0;
}

void gt_config_vocab(struct gt_vocab *v, struct gt_config *c)
{
	const char *keys[][2] = { { "types.custom", "types.custom" },
				  { "status.custom", "status.custom" } };

	for (int i = 0; i < 2; i++) {
		char *a = gt_config_get(c, keys[i][0]);
		char *b = gt_config_beads_get(c, keys[i][1]);

		if (i == 0) {
			gt_vocab_add_types(v, a);
			gt_vocab_add_types(v, b);
		} else {
			gt_vocab_add_statuses(v, a);
			gt_vocab_add_statuses(v, b);
		}
		free(a);
		free(b);
	}
}

char *gt_config_prefix(struct gt_config *c)
{
	char *p = gt_config_get(c, "bead.prefix");

	if (!p)
		p = gt_config_beads_get(c, "issue_prefix");
	return p;
}

int gt_config_user_set(const char *key, const char *value)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct gt_buf path = GT_BUF_INIT;
	int rc;

	if ((rc = gt_config_key_check(key)) < 0)
		return rc;
	if (xdg && *xdg)
		gt_buf_printf(&path, "%s/gt/config", xdg);
	else if (home && *home)
		gt_buf_printf(&path, "%s/.config/gt/config", home);
	else
		return gt_error_set(GT_EUSAGE, "neither XDG_CONFIG_HOME nor HOME is set");
	rc = gt_mkdir_parents(path.ptr);
	if (!rc)
		rc = edit_file(path.ptr, key, value);
	gt_buf_release(&path);
	return rc;
}
