/* crypto — the few primitives contractd needs, all from OpenSSL. */
#ifndef CD_BASE_CRYPTO_H
#define CD_BASE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#define SHA256_HEX_LEN 64

/* Writes the lowercase hex SHA-256 of data into out (65 bytes with NUL). */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
/* HMAC-SHA-256 of data under key, as lowercase hex. */
void hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
    char out[SHA256_HEX_LEN + 1]);
/* Fills out with nbytes of cryptographic randomness as hex (2*nbytes+1 bytes). */
void random_hex(char *out, size_t nbytes);
/* Compares two equal-length strings in time independent of their content. */
bool ct_streq(const char *a, const char *b);

#endif
