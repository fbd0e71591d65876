/*
 * config.c - fuzz configuration keys and values (store/config.h) and the
 * values gt reads from them (durations, numbers, booleans).  The input's
 * first line is a key and the rest up to a NUL its value: a key that
 * gt_config_key_check() accepts is set in the user's configuration of a
 * scratch ledger and must read back as the same value.  Then the whole
 * input is the user's configuration file: loading it either fails with
 * GT_EINVALID or gives entries that every reader copes with.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/file.h"
#include "base/options.h"
#include "store/bead.h"
#include "store/config.h"
#include "base/banned.h"
#include "fuzz.h"
#include "scratch.h"

static const char *user_config(void)
{
	static struct gt_buf path = GT_BUF_INIT;

	if (!path.len)
		gt_buf_printf(&path, "%s/xdg/gt/config", scratch_dir);
	return path.ptr;
}

static void check_key(const char *key)
{
	const char *dot = strchr(key, '.'), *last = strrchr(key, '.');

	if (gt_config_key_check(key) < 0) {
		FUZZ_CHECK(gt_error_last_code() == GT_EUSAGE);
		return;
	}
	FUZZ_CHECK(dot && dot > key && isalpha((unsigned char)last[1]));
}

static void read_values(struct gt_config *c, const char *key)
{
	char *s = gt_config_get(c, key);
	int64_t ms = 0;

	gt_config_get_long(c, key, 7);
	FUZZ_CHECK(gt_config_get_bool(c, key, 2) >= 0);
	if (gt_config_get_duration(c, key, 5, &ms) == 0)
		FUZZ_CHECK(ms >= 0 && (s || ms == 5));
	else
		FUZZ_CHECK(ms == 5);
	free(s);
}

static int count_entry(const char *key, const char *value, const char *layer, void *payload)
{
	size_t *n = payload;

	FUZZ_CHECK(key && layer);
	++*n;
	return 0;
}

/* gt-config KEY VALUE --user, then gt-config KEY */
static void set_and_get(const char *key, const char *value)
{
	struct gt_ctx *ctx = scratch_ledger();
	struct gt_config *c = NULL;
	char *got;
	int rc, shadowed;

	if (gt_config_key_check(key) < 0)
		return;
	/* a key the town config sets (bead.prefix) wins over the user's */
	FUZZ_CHECK(gt_config_load(&c, ctx->lg, NULL) == 0);
	got = gt_config_get(c, key);
	shadowed = got != NULL;
	free(got);
	gt_config_free(c);
	rc = gt_config_user_set(key, value);
	FUZZ_CHECK(rc == 0 || rc == GT_EINVALID);
	if (rc == 0) {
		FUZZ_CHECK(gt_config_load(&c, ctx->lg, NULL) == 0);
		got = gt_config_get(c, key);
		FUZZ_CHECK(got && (shadowed || !strcmp(got, value)));
		read_values(c, key);
		free(got);
		gt_config_free(c);
	}
	unlink(user_config());
}

static void load_file(const uint8_t *data, size_t size)
{
	struct gt_ctx *ctx = scratch_ledger();
	struct gt_config *c = NULL;
	struct gt_vocab v = { 0 };
	size_t n = 0;
	char *prefix;
	int rc;

	gt_mkdir_parents(user_config());
	scratch_file("xdg/gt/config", data, size);
	rc = gt_config_load(&c, ctx->lg, NULL);
	FUZZ_CHECK(rc == 0 || rc == GT_EINVALID);
	if (rc == 0) {
		FUZZ_CHECK(gt_config_foreach(c, count_entry, &n) == 0);
		gt_config_vocab(&v, c);
		prefix = gt_config_prefix(c);
		read_values(c, "bead.prefix");
		read_values(c, "run.ttl");
		gt_vocab_release(&v);
		free(prefix);
		gt_config_free(c);
	}
	unlink(user_config());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *key = gt_malloc(size + 1), *value;
	int64_t ms = -1;
	long l;

	memcpy(key, data, size);
	key[size] = '\0';
	value = strchr(key, '\n');
	if (value)
		*value++ = '\0';
	else
		value = key + strlen(key);
	check_key(key);
	if (gt_duration_parse(&ms, value, "fuzz") == 0)
		FUZZ_CHECK(ms >= 0);
	if (gt_parse_long(value, -5, 5, &l) == 0)
		FUZZ_CHECK(l >= -5 && l <= 5);
	set_and_get(key, value);
	load_file(data, size);
	gt_error_clear();
	free(key);
	return 0;
}
