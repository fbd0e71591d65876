/*
 * sha1.c - SHA-1 through OpenSSL's libcrypto (sha1.h).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1 /* the low-level API: no allocation */
#include "base/sha1.h"

#include <openssl/sha.h>

#include "base/banned.h"

void gt_sha1_init(struct gt_sha1 *c)
{
	SHA1_Init(&c->ctx);
}

void gt_sha1_update(struct gt_sha1 *c, const void *data, size_t len)
{
	SHA1_Update(&c->ctx, data, len);
}

void gt_sha1_final(struct gt_sha1 *c, unsigned char out[20])
{
	SHA1_Final(out, &c->ctx);
}
