/*
 * id.h - bead ids: validation, generation (Beads' hash ids), paths.
 *
 * An id is `<prefix>-<suffix>`, children `<parent>.<n>`.  Because ids become
 * file names in the ledger tree and appear in branch names, they are checked
 * before use: 1..GT_ID_MAX bytes of [A-Za-z0-9._-], starting with a letter
 * or digit, no "..", not ending in "." or ".lock".
 */
#ifndef GT_ID_H
#define GT_ID_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define GT_ID_MAX     128
#define GT_PREFIX_MAX 32

/* 0 when id is valid, else GT_EINVALID with a message saying why. */
int gt_id_check(const char *id);
/* 0 when prefix is valid: [A-Za-z0-9] first, then [A-Za-z0-9_-], no
 * trailing '-', at most GT_PREFIX_MAX bytes. */
int gt_prefix_check(const char *prefix);

/* Length of the root id (up to the first '.' that starts a child part). */
size_t gt_id_root_len(const char *id);
/* Ledger path of a bead: "beads/<2 hex>/<id>.json". */
void gt_bead_path(struct gt_buf *out, const char *id);
/* The two-hex shard of an id (out must hold 3 bytes). */
void gt_bead_shard(char out[3], const char *id);
/* The subtree of a split shard (shard.h) the bead id[0..len) goes to: the
 * next byte of the same hash (out must hold 3 bytes). */
void gt_bead_leaf(char out[3], const char *id, size_t len);

/* Beads' adaptive hash length for a ledger holding n beads: the shortest
 * length in [GT_ID_MINLEN, GT_ID_MAXLEN] whose birthday-collision
 * probability stays under the threshold. */
#define GT_ID_MINLEN 3
#define GT_ID_MAXLEN 8
int gt_id_adaptive_len(size_t n);

/* Generate the id for a new bead: "<prefix>-" + the first len base36
 * digits of SHA-256 over the content and nonce (see id.c).  created_ns is
 * the creation time in nanoseconds since the epoch. */
void gt_id_generate(struct gt_buf *out, const char *prefix, const char *title,
		    const char *description, const char *creator, int64_t created_ns, int nonce,
		    int len);

/* Parse "<parent>.<n>": returns n > 0 when id is a direct child of parent,
 * else 0. */
long gt_id_child_number(const char *id, const char *parent);

#endif
