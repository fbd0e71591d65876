/*
 * sha256.h - SHA-256 (FIPS 180-4), for ids and content hashes, through
 * OpenSSL's libcrypto (see sha1.h).
 */
#ifndef GT_SHA256_H
#define GT_SHA256_H

#include <openssl/sha.h>
#include <stddef.h>

struct gt_sha256 {
	SHA256_CTX ctx;
};

void gt_sha256_init(struct gt_sha256 *c);
void gt_sha256_update(struct gt_sha256 *c, const void *data, size_t len);
void gt_sha256_final(struct gt_sha256 *c, unsigned char out[32]);
/* One-shot convenience. */
void gt_sha256(unsigned char out[32], const void *data, size_t len);
/* Lower-case hex of a digest; out must hold 65 bytes. */
void gt_sha256_hex(char out[65], const unsigned char digest[32]);

#endif
