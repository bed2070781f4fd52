/* dealer_certs — TLS client certificates that authenticate dealers.
 *
 * OpenSSL verifies a client certificate's chain against [server]
 * tls_client_ca during the handshake (an unknown issuer or an expired
 * certificate never gets that far); this table says whose certificate it
 * is. A certificate is known by its fingerprint: the SHA-256 of its DER
 * encoding as 64 lowercase hex digits — what
 *
 *	openssl x509 -in dealer.pem -noout -fingerprint -sha256
 *
 * prints, without the colons. Mapping and revoking write an audit record in
 * the same transaction. Whether a dealer needs a certificate, a key or both
 * is its auth mode (dealers.h). */
#ifndef CD_STORAGE_DEALER_CERTS_H
#define CD_STORAGE_DEALER_CERTS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/crypto.h"
#include "storage/db.h"
#include "storage/dealers.h"

#define DEALER_CERT_SUBJECT_MAX 1024      /* characters (the column) */
#define DEALER_CERT_SUBJECT_BYTES (4 * DEALER_CERT_SUBJECT_MAX)

/* dealer_cert_add's refusals (positive, so -1 stays "database error"). */
#define DEALER_CERT_EXISTS 1       /* the fingerprint is mapped already (or was, and revoked) */
#define DEALER_CERT_NO_DEALER 2    /* no such dealer */
#define DEALER_CERT_INVALID 3      /* a field is not valid */

/* What a certificate file says, as dealer_cert_parse_pem reads it. */
typedef struct dealer_cert_info {
	char fingerprint[SHA256_HEX_LEN + 1];
	char subject[DEALER_CERT_SUBJECT_BYTES + 1];   /* RFC 2253 form */
	char issuer[DEALER_CERT_SUBJECT_BYTES + 1];    /* RFC 2253 form */
	char not_before[DB_TIME_STR_LEN + 1];          /* UTC "YYYY-MM-DD HH:MM:SS" */
	char not_after[DB_TIME_STR_LEN + 1];           /* UTC "YYYY-MM-DD HH:MM:SS" */
	bool expired;                                  /* not_after is past */
	bool not_yet_valid;                            /* not_before is ahead */
} dealer_cert_info;

/* Reads the first certificate of a PEM text (len bytes, need not be
 * NUL-terminated) into out. Returns 0, or -1 with a message in err when
 * there is no readable certificate. Validity is reported, not judged. */
int dealer_cert_parse_pem(const char *pem, size_t len, dealer_cert_info *out, char *err,
    size_t errlen);

/* Checks that the first certificate of pem chains to a CA of ca_file for
 * client authentication, as the server's handshake will check it (the
 * PEM's further certificates serve as intermediates). Returns 1 when it
 * does, 0 when not (why in err), -1 when the check cannot be made (err). */
int dealer_cert_verify_pem(const char *pem, size_t len, const char *ca_file, char *err,
    size_t errlen);

/* Normalises a fingerprint as people paste it — upper or lower case, with
 * or without colons, with or without a "SHA256 Fingerprint=" prefix — to
 * 64 lowercase hex digits. Returns false when it is not a SHA-256
 * fingerprint. */
bool dealer_cert_fingerprint_normalise(const char *in, char out[SHA256_HEX_LEN + 1]);

/* Maps the certificate ci to dealer_id, in its own transaction with the
 * audit record "dealer_cert.add" by actor. Returns 0; DEALER_CERT_EXISTS,
 * DEALER_CERT_NO_DEALER or DEALER_CERT_INVALID; -1 on a database error.
 * Every refusal and error leaves a message in err. */
int dealer_cert_add(db_conn *c, const char *actor, const char *dealer_id,
    const dealer_cert_info *ci, char *err, size_t errlen);

/* Revokes a mapping (fingerprint normalised), in its own transaction with
 * the audit record "dealer_cert.revoke" by actor. Takes effect on the next
 * request, also on open connections. Returns 0 when revoked now, 1 when it
 * was revoked already, -1 when there is no such mapping or on a database
 * error (message in err). */
int dealer_cert_revoke(db_conn *c, const char *actor, const char *fingerprint, char *err,
    size_t errlen);

/* A mapping as listed; plain data. */
typedef struct dealer_cert {
	char fingerprint[SHA256_HEX_LEN + 1];
	char dealer_id[DEALER_ID_MAX + 1];
	char subject[DEALER_CERT_SUBJECT_BYTES + 1];
	char not_after[DB_TIME_STR_LEN + 1];    /* UTC */
	char created_at[DB_TIME_STR_LEN + 1];   /* UTC */
	char revoked_at[DB_TIME_STR_LEN + 1];   /* "" when not revoked */
} dealer_cert;

/* Reads the mappings of dealer_id (NULL: of every dealer), ordered by
 * dealer and creation, into a new array *out of *n (release with free()).
 * Returns 0, or -1 with a message in err. */
int dealer_cert_list(db_conn *c, const char *dealer_id, dealer_cert **out, size_t *n, char *err,
    size_t errlen);

/* Whose certificate this is, for authentication. */
typedef struct dealer_cert_match {
	char dealer_id[DEALER_ID_MAX + 1];
	char auth_mode[5];                      /* the dealer's: "key", "cert" or "both" */
} dealer_cert_match;

/* Looks a verified certificate's fingerprint up: one primary-key lookup.
 * Returns 1 and fills out when it is mapped, not revoked and not past its
 * not_after; 0 when not; -1 on a database error (db_error(c) says which). */
int dealer_cert_lookup(db_conn *c, const char *fingerprint, dealer_cert_match *out);

#endif
