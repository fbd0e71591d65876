/*
 * id.c - bead id validation, Beads-compatible hash ids, ledger paths.
 *
 * Hash ids follow Beads (internal/idgen): SHA-256 over
 * "title|description|creator|created_ns|nonce", the first N bytes of the
 * digest read big-endian, written in base 36 (0-9a-z), left-padded with
 * zeros or cut to its last L digits.  N is 2,3,4,4,5,5 for L = 3..8.
 * L adapts to the number of beads n: the shortest L whose birthday
 * collision estimate 1 - exp(-n^2 / (2 * 36^L)) stays at or under 25%.
 */
#include "store/id.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/sha256.h"
#include "base/banned.h"

static int id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

int gt_id_check(const char *id)
{
	size_t len;

	if (!id || !*id)
		return gt_error_set(GT_EINVALID, "empty bead id");
	len = strlen(id);
	if (len > GT_ID_MAX)
		return gt_error_set(GT_EINVALID, "bead id '%.40s...' is longer than %d bytes", id,
				    GT_ID_MAX);
	for (size_t i = 0; i < len; i++) {
		if (!id_char((unsigned char)id[i]))
			return gt_error_set(GT_EINVALID,
					    "invalid bead id '%s': character %zu is not one of "
					    "[A-Za-z0-9._-]",
					    id, i + 1);
	}
	if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z') ||
	      (id[0] >= '0' && id[0] <= '9')))
		return gt_error_set(GT_EINVALID,
				    "invalid bead id '%s': must start with a letter or digit", id);
	if (strstr(id, ".."))
		return gt_error_set(GT_EINVALID, "invalid bead id '%s': contains '..'", id);
	if (id[len - 1] == '.' || (len >= 5 && !strcmp(id + len - 5, ".lock")))
		return gt_error_set(GT_EINVALID,
				    "invalid bead id '%s': may not end in '.' or '.lock'", id);
	return 0;
}

int gt_prefix_check(const char *prefix)
{
	size_t len = prefix ? strlen(prefix) : 0;

	if (!len || len > GT_PREFIX_MAX)
		return gt_error_set(GT_EINVALID, "prefix must be 1..%d characters", GT_PREFIX_MAX);
	if (!((prefix[0] >= 'a' && prefix[0] <= 'z') || (prefix[0] >= 'A' && prefix[0] <= 'Z') ||
	      (prefix[0] >= '0' && prefix[0] <= '9')) ||
	    prefix[len - 1] == '-')
		return gt_error_set(GT_EINVALID, "invalid prefix '%s'", prefix);
	for (size_t i = 0; i < len; i++)
		if (!id_char((unsigned char)prefix[i]) || prefix[i] == '.')
			return gt_error_set(GT_EINVALID, "invalid prefix '%s': use [A-Za-z0-9_-]",
					    prefix);
	return 0;
}

/* Beads: an id is hierarchical iff the text after its last '.' is
 * non-empty and all digits; the parent is what comes before that dot. */
static size_t parent_len(const char *id, size_t len)
{
	size_t i = len;

	while (i > 0 && id[i - 1] >= '0' && id[i - 1] <= '9')
		i--;
	if (i == len || i < 2 || id[i - 1] != '.')
		return 0;
	return i - 1;
}

size_t gt_id_root_len(const char *id)
{
	size_t len = strlen(id), p;

	while ((p = parent_len(id, len)) > 0)
		len = p;
	return len;
}

/* byte k of the SHA-256 of the root id, in two hex digits */
static void root_hash_byte(char out[3], const char *id, size_t len, int k)
{
	static const char hx[] = "0123456789abcdef";
	unsigned char d[32];

	while (len && parent_len(id, len))
		len = parent_len(id, len);
	gt_sha256(d, id, len);
	out[0] = hx[d[k] >> 4];
	out[1] = hx[d[k] & 15];
	out[2] = '\0';
}

void gt_bead_shard(char out[3], const char *id)
{
	root_hash_byte(out, id, strlen(id), 0);
}

void gt_bead_leaf(char out[3], const char *id, size_t len)
{
	root_hash_byte(out, id, len, 1);
}

void gt_bead_path(struct gt_buf *out, const char *id)
{
	char shard[3];

	gt_bead_shard(shard, id);
	gt_buf_reset(out);
	gt_buf_printf(out, "beads/%s/%s.json", shard, id);
}

int gt_id_adaptive_len(size_t n)
{
	for (int len = GT_ID_MINLEN; len <= GT_ID_MAXLEN; len++) {
		double space = pow(36.0, len);
		double p = 1.0 - exp(-((double)n * (double)n) / (2.0 * space));

		if (p <= 0.25)
			return len;
	}
	return GT_ID_MAXLEN;
}

void gt_id_generate(struct gt_buf *out, const char *prefix, const char *title,
		    const char *description, const char *creator, int64_t created_ns, int nonce,
		    int len)
{
	static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	struct gt_sha256 c;
	unsigned char d[32];
	char num[48], digits[32];
	uint64_t v = 0;
	int nbytes, nd = 0;

	switch (len) {
	case 3: nbytes = 2; break;
	case 4: nbytes = 3; break;
	case 5:
	case 6: nbytes = 4; break;
	case 7:
	case 8: nbytes = 5; break;
	default: nbytes = 3;
	}
	gt_sha256_init(&c);
	gt_sha256_update(&c, title, strlen(title));
	gt_sha256_update(&c, "|", 1);
	gt_sha256_update(&c, description, strlen(description));
	gt_sha256_update(&c, "|", 1);
	gt_sha256_update(&c, creator, strlen(creator));
	snprintf(num, sizeof(num), "|%lld|%d", (long long)created_ns, nonce);
	gt_sha256_update(&c, num, strlen(num));
	gt_sha256_final(&c, d);
	for (int i = 0; i < nbytes; i++)
		v = (v << 8) | d[i];
	do {
		digits[nd++] = b36[v % 36];
		v /= 36;
	} while (v && nd < (int)sizeof(digits));
	gt_buf_reset(out);
	gt_buf_printf(out, "%s-", prefix);
	for (int i = len - 1; i >= 0; i--)
		gt_buf_addch(out, i < nd ? digits[i] : '0');
}

long gt_id_child_number(const char *id, const char *parent)
{
	size_t pl = strlen(parent);
	long n = 0;

	if (strncmp(id, parent, pl) || id[pl] != '.' || !id[pl + 1])
		return 0;
	for (const char *p = id + pl + 1; *p; p++) {
		if (*p < '0' || *p > '9' || n > 100000000)
			return 0;
		n = n * 10 + (*p - '0');
	}
	return n;
}
