/* apikeys — API keys, kept only as hashes.
 *
 * A key is shown to its owner once, at creation:
 *
 *	cdk_<key id: 12 hex>_<secret: 48 hex>
 *
 * The key id is public (it names the key in lists, logs and the audit
 * trail); the secret is 192 random bits, of which the database keeps only
 * the SHA-256 (lowercase hex). A high-entropy secret needs no slow hash:
 * SHA-256 cannot be reversed and there is nothing to guess. */
#ifndef CD_STORAGE_APIKEYS_H
#define CD_STORAGE_APIKEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/crypto.h"
#include "storage/db.h"
#include "storage/dealers.h"

#define APIKEY_PREFIX "cdk_"
#define APIKEY_ID_LEN 12
#define APIKEY_SECRET_LEN 48        /* what apikey_create makes */
#define APIKEY_SECRET_MIN 40        /* what apikey_parse accepts */
#define APIKEY_SECRET_MAX 128
/* Room for any key apikey_create makes, with its NUL. */
#define APIKEY_MAX_LEN (4 + APIKEY_ID_LEN + 1 + APIKEY_SECRET_MAX + 1)
#define APIKEY_LABEL_MAX 200

typedef enum role {
	ROLE_ADMIN,
	ROLE_FINANCE,
	ROLE_DEALER,
} role;

/* "admin", "finance", "dealer". */
const char *role_name(role r);
/* Parses a role name; returns 0, or -1 if unknown. */
int role_parse(const char *s, role *out);

/* Who a request acts as. dealer_id is empty unless role is ROLE_DEALER;
 * key_id is empty when a dealer authenticated by client certificate
 * alone. */
typedef struct principal {
	char key_id[APIKEY_ID_LEN + 1];
	role role;
	char dealer_id[DEALER_ID_MAX + 1];
	char auth_mode[5];                      /* the dealer's: "key", "cert", "both"; "" for staff */
	char cert_sha256[SHA256_HEX_LEN + 1];   /* the client certificate that proved it; "" */
} principal;

/* Room for any principal_actor string. */
#define PRINCIPAL_ACTOR_MAX (8 + DEALER_ID_MAX + 1)

/* Who p is in the audit trail: "key:<key id>" when a key authenticated
 * it, else "dealer:<dealer id>" (a client certificate alone). Writes into
 * out and returns it. */
const char *principal_actor(const principal *p, char *out, size_t outlen);

/* Splits a presented key "cdk_<12 lowercase hex>_<40-128 lowercase hex>"
 * into its id and secret. Returns 0, or -1 when it is not of that form. */
int apikey_parse(const char *presented, char key_id[APIKEY_ID_LEN + 1],
    char secret[APIKEY_SECRET_MAX + 1]);

/* Checks a presented key. Returns 1 and fills out (auth_mode included)
 * when the key exists, is not revoked, its secret's hash matches (compared
 * in constant time) and, for a dealer key, the dealer accepts keys
 * (auth_mode 'key' or 'both' — for 'both' the caller must still demand
 * the dealer's certificate); 0 when any of that fails or the key is
 * malformed; -1 on a database error (db_error(c) says which). */
int apikey_authenticate(db_conn *c, const char *presented, principal *out);

/* A label is at most APIKEY_LABEL_MAX bytes without control characters. */
bool apikey_label_valid(const char *label);

/* Creates a key for role: ROLE_DEALER needs dealer_id naming an existing
 * dealer that accepts keys, the other roles must have none (NULL or "").
 * label (NULL for none) is free text of up to 200 bytes. Runs in a
 * transaction of its own with the audit record "api_key.create" by actor.
 * Writes the full key, to be shown once, into key_out (keylen >=
 * APIKEY_MAX_LEN) and returns 0; returns -1 with a message in err. */
int apikey_create(db_conn *c, const char *actor, role r, const char *dealer_id,
    const char *label, char *key_out, size_t keylen, char *err, size_t errlen);

/* Revokes a key, in a transaction of its own with the audit record
 * "api_key.revoke" by actor. Returns 0 when revoked now, 1 when it was
 * revoked already, -1 when there is no such key or on a database error
 * (message in err). */
int apikey_revoke(db_conn *c, const char *actor, const char *key_id, char *err, size_t errlen);

/* A key as listed: never the secret, nor its hash. */
typedef struct apikey_info {
	char key_id[APIKEY_ID_LEN + 1];
	role role;
	char dealer_id[DEALER_ID_MAX + 1];      /* "" when none */
	char *label;                            /* owned; "" when none */
	char created_at[DB_TIME_STR_LEN + 1];   /* UTC */
	char revoked_at[DB_TIME_STR_LEN + 1];   /* "" when not revoked */
} apikey_info;

/* Reads all keys, ordered by creation, into a new array *out of *n (free
 * with apikey_list_free). Returns 0, or -1 with a message in err. */
int apikey_list(db_conn *c, apikey_info **out, size_t *n, char *err, size_t errlen);
void apikey_list_free(apikey_info *list, size_t n);

#endif
