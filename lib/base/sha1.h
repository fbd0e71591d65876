/*
 * sha1.h - SHA-1, used only for the trailer of packs gt writes itself
 * (object ids come from libgit2's collision-detecting implementation).
 * OpenSSL's libcrypto does the work (linked statically where Debian ships
 * libcrypto.a): it uses the CPU's SHA instructions where present, ~9x the
 * speed of the portable code it replaced.
 */
#ifndef GT_SHA1_H
#define GT_SHA1_H

#include <openssl/sha.h>
#include <stddef.h>

struct gt_sha1 {
	SHA_CTX ctx;
};

void gt_sha1_init(struct gt_sha1 *c);
void gt_sha1_update(struct gt_sha1 *c, const void *data, size_t len);
void gt_sha1_final(struct gt_sha1 *c, unsigned char out[20]);

#endif
