/*
 * idtime.c - fuzz bead ids (store/id.h), timestamps, priorities and
 * dependency targets (store/bead.h).  The input is up to three fields
 * split at newlines.  Properties: a valid id makes a ledger path inside
 * its shard; an id generated under a valid prefix is valid; a child
 * number names a real child; a parsed time keeps its nanoseconds in range,
 * gives the same nanoseconds since the epoch when int64 holds them (and
 * saturates when not), orders consistently, and its whole-second form
 * parses back to the same second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "store/bead.h"
#include "store/id.h"
#include "base/banned.h"
#include "fuzz.h"

#define NS 1000000000LL

static void check_id(const char *id)
{
	struct gt_buf path = GT_BUF_INIT;
	char shard[3];
	size_t len = strlen(id), root;

	if (gt_id_check(id) < 0)
		return;
	FUZZ_CHECK(len >= 1 && len <= GT_ID_MAX && !strchr(id, '/') && !strstr(id, ".."));
	FUZZ_CHECK(gt_dep_target_check(id) == 0);
	root = gt_id_root_len(id);
	FUZZ_CHECK(root >= 1 && root <= len);
	gt_bead_path(&path, id);
	gt_bead_shard(shard, id);
	FUZZ_CHECK(path.len == len + 14 && !memcmp(path.ptr, "beads/", 6));
	FUZZ_CHECK(!memcmp(path.ptr + 6, shard, 2) && path.ptr[8] == '/');
	gt_buf_release(&path);
}

static void check_prefix(const char *prefix, const char *title, int64_t when, int len)
{
	struct gt_buf id = GT_BUF_INIT;

	if (gt_prefix_check(prefix) < 0)
		return;
	FUZZ_CHECK(strlen(prefix) <= GT_PREFIX_MAX);
	gt_id_generate(&id, prefix, title, "", "fuzz", when, len, len);
	FUZZ_CHECK(id.len == strlen(prefix) + 1 + (size_t)len);
	FUZZ_CHECK(gt_id_check(id.ptr) == 0);
	gt_buf_release(&id);
}

static void check_child(const char *id, const char *parent)
{
	long n = gt_id_child_number(id, parent);
	size_t pl = strlen(parent);

	FUZZ_CHECK(n >= 0);
	if (!n)
		return;
	/* leading zeros ("a.007") still name child 7 */
	FUZZ_CHECK(!strncmp(id, parent, pl) && id[pl] == '.');
	FUZZ_CHECK(strspn(id + pl + 1, "0123456789") == strlen(id + pl + 1));
}

static void check_time(const char *s)
{
	struct gt_time t = { 12345, 678 }, back = { 0, 0 };
	char whole[64];
	int64_t ns = 0;
	int rc = gt_time_parse_exact(&t, s);

	FUZZ_CHECK((gt_time_parse(s, &ns) == 0) == (rc == 0));
	FUZZ_CHECK((gt_time_whole_seconds(whole, sizeof(whole), s) == 0) == (rc == 0));
	if (rc < 0) {
		FUZZ_CHECK(t.sec == 12345 && t.nsec == 678);
		return;
	}
	FUZZ_CHECK(t.nsec >= 0 && t.nsec < NS);
	/* years 0000..9999, offsets under a day */
	FUZZ_CHECK(t.sec > -62167219200LL - 86400 && t.sec < 253402300800LL + 86400);
	/* exact where int64 holds it, saturated (or exact) at the edges */
	if (t.sec > INT64_MIN / NS && t.sec < INT64_MAX / NS)
		FUZZ_CHECK(ns == t.sec * NS + t.nsec);
	else
		FUZZ_CHECK(ns == (t.sec < 0 ? INT64_MIN : INT64_MAX) ||
			   (t.sec < 0 ? ns < 0 : ns > 0));
	FUZZ_CHECK(gt_time_cmp(s, s) == 0);
	/* the whole-second form of years 0001..9998 (an offset cannot take
	 * the UTC date out of them) parses back to the same second */
	if (t.sec >= -62135596800LL && t.sec < 253370764800LL) {
		FUZZ_CHECK(gt_time_parse_exact(&back, whole) == 0);
		FUZZ_CHECK(back.sec == t.sec && back.nsec == 0);
	}
}

static void check_pair(const char *a, const char *b)
{
	int ab = gt_time_cmp(a, b), ba = gt_time_cmp(b, a);
	int64_t na, nb;

	FUZZ_CHECK(ab >= -1 && ab <= 1 && ab == -ba);
	if (gt_time_parse(a, &na) == 0 && gt_time_parse(b, &nb) == 0)
		FUZZ_CHECK((ab >= 0 || na <= nb) && (ab <= 0 || na >= nb));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = gt_malloc(size + 1), empty[1] = "", *f[3] = { empty, empty, empty };
	int len = size ? 3 + data[size - 1] % 6 : 3, prio = -1;

	memcpy(buf, data, size);
	buf[size] = '\0';
	f[0] = buf;
	for (int i = 1; i < 3; i++) {
		char *nl = strchr(f[i - 1], '\n');

		if (!nl)
			break;
		*nl = '\0';
		f[i] = nl + 1;
	}
	for (int i = 0; i < 3; i++) {
		check_id(f[i]);
		check_time(f[i]);
		gt_dep_target_check(f[i]);
		if (gt_priority_parse(f[i], &prio) == 0)
			FUZZ_CHECK(prio >= 0 && prio <= 4);
	}
	check_prefix(f[0], f[1], (int64_t)size * NS, len);
	check_child(f[0], f[1]);
	check_pair(f[0], f[1]);
	FUZZ_CHECK(gt_id_adaptive_len(size * size) >= GT_ID_MINLEN);
	FUZZ_CHECK(gt_id_adaptive_len(size * size) <= GT_ID_MAXLEN);
	gt_error_clear();
	free(buf);
	return 0;
}
