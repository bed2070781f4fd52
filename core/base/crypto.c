#include "base/crypto.h"
#include "base/log.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

static void
to_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		log_error("SHA-256 failed");
		abort();
	}
	to_hex(md, 32, out);
}

void
hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
    char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen) == NULL || mdlen != 32) {
		log_error("HMAC-SHA-256 failed");
		abort();
	}
	to_hex(md, 32, out);
}

void
random_hex(char *out, size_t nbytes)
{
	unsigned char raw[64];

	while (nbytes > 0) {
		size_t n = nbytes < sizeof raw ? nbytes : sizeof raw;
		if (RAND_bytes(raw, (int)n) != 1) {
			log_error("no randomness from OpenSSL");
			abort();
		}
		to_hex(raw, n, out);
		out += 2 * n;
		nbytes -= n;
	}
	*out = '\0';
}

bool
ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}
