/*
 * sha256.c - SHA-256 through OpenSSL's libcrypto (sha256.h).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1 /* the low-level API: no allocation */
#include "base/sha256.h"

#include <openssl/sha.h>

#include "base/banned.h"

void gt_sha256_init(struct gt_sha256 *c)
{
	SHA256_Init(&c->ctx);
}

void gt_sha256_update(struct gt_sha256 *c, const void *data, size_t len)
{
	SHA256_Update(&c->ctx, data, len);
}

void gt_sha256_final(struct gt_sha256 *c, unsigned char out[32])
{
	SHA256_Final(out, &c->ctx);
}

void gt_sha256(unsigned char out[32], const void *data, size_t len)
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
}

void gt_sha256_hex(char out[65], const unsigned char digest[32])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
}
