/*
 * sha1.h - SHA-1, used only for the trailer of packs gt writes itself
 * (object ids come from libgit2's collision-detecting implementation).
 */
#ifndef GT_SHA1_H
#define GT_SHA1_H

#include <stddef.h>
#include <stdint.h>

struct gt_sha1 {
	uint32_t h[5];
	uint64_t len;
	unsigned char block[64];
	size_t used;
};

void gt_sha1_init(struct gt_sha1 *c);
void gt_sha1_update(struct gt_sha1 *c, const void *data, size_t len);
void gt_sha1_final(struct gt_sha1 *c, unsigned char out[20]);

#endif
