#include "storage/dealer_certs.h"
#include "storage/audit.h"
#include "base/xalloc.h"

#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Attempts for a transaction that meets a deadlock or a Galera conflict. */
#define DEALER_CERT_TXN_ATTEMPTS 5

/* ------------------------------------------------------------------------
 * Certificate files
 * ------------------------------------------------------------------------ */

/* Writes name in RFC 2253 form (non-ASCII escaped, so bytes are
 * characters) into out, cut to DEALER_CERT_SUBJECT_MAX. */
static void
name_string(const X509_NAME *name, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long n;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_get_mem_data(b, &data);
		if (n > 0 && data != NULL) {
			size_t len = (size_t)n;
			if (len > DEALER_CERT_SUBJECT_MAX)
				len = DEALER_CERT_SUBJECT_MAX;
			if (len >= outlen)
				len = outlen - 1;
			memcpy(out, data, len);
			out[len] = '\0';
		}
	}
	BIO_free(b);
}

/* Writes an ASN.1 time as UTC "YYYY-MM-DD HH:MM:SS"; false if unreadable. */
static bool
asn1_time_string(const ASN1_TIME *t, char *out, size_t outlen)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	/* strftime: the compiler cannot prove snprintf's %02d fields fit */
	return strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &tm) > 0;
}

int
dealer_cert_parse_pem(const char *pem, size_t len, dealer_cert_info *out, char *err,
    size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	BIO *b = NULL;
	X509 *x = NULL;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (len > INT_MAX) {
		snprintf(err, errlen, "the file is too large to be a certificate");
		goto out;
	}
	b = BIO_new_mem_buf(pem, (int)len);
	if (b == NULL || (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "no PEM certificate (-----BEGIN CERTIFICATE-----) found");
		goto out;
	}
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen * 2 != SHA256_HEX_LEN) {
		snprintf(err, errlen, "cannot compute the certificate's SHA-256 fingerprint");
		goto out;
	}
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out->fingerprint + 2 * i, 3, "%02x", md[i]);
	name_string(X509_get_subject_name(x), out->subject, sizeof out->subject);
	name_string(X509_get_issuer_name(x), out->issuer, sizeof out->issuer);
	if (!asn1_time_string(X509_get0_notBefore(x), out->not_before, sizeof out->not_before) ||
	    !asn1_time_string(X509_get0_notAfter(x), out->not_after, sizeof out->not_after)) {
		snprintf(err, errlen, "the certificate's validity dates cannot be read");
		goto out;
	}
	out->expired = X509_cmp_current_time(X509_get0_notAfter(x)) < 0;
	out->not_yet_valid = X509_cmp_current_time(X509_get0_notBefore(x)) > 0;
	rc = 0;
out:
	ERR_clear_error();
	X509_free(x);
	BIO_free(b);
	return rc;
}

int
dealer_cert_verify_pem(const char *pem, size_t len, const char *ca_file, char *err,
    size_t errlen)
{
	STACK_OF(X509) *chain = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *vctx = NULL;
	X509 *leaf = NULL, *extra;
	BIO *b = NULL;
	int rc = -1;

	if (len > INT_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (leaf = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "no PEM certificate found");
		goto out;
	}
	if ((chain = sk_X509_new_null()) == NULL)
		goto oom;
	while ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(chain, extra) == 0) {
			X509_free(extra);
			goto oom;
		}
	}
	if ((store = X509_STORE_new()) == NULL || (vctx = X509_STORE_CTX_new()) == NULL)
		goto oom;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	if (X509_STORE_load_file(store, ca_file) != 1) {
#else
	if (X509_STORE_load_locations(store, ca_file, NULL) != 1) {
#endif
		snprintf(err, errlen, "cannot load the CA file %s", ca_file);
		goto out;
	}
	if (X509_STORE_CTX_init(vctx, store, leaf, chain) != 1 ||
	    X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_SSL_CLIENT) != 1)
		goto oom;
	if (X509_verify_cert(vctx) == 1) {
		rc = 1;
	} else {
		snprintf(err, errlen, "%s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(vctx)));
		rc = 0;
	}
	goto out;
oom:
	snprintf(err, errlen, "out of memory checking the certificate");
out:
	ERR_clear_error();
	X509_STORE_CTX_free(vctx);
	X509_STORE_free(store);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	BIO_free(b);
	return rc;
}

bool
dealer_cert_fingerprint_normalise(const char *in, char out[SHA256_HEX_LEN + 1])
{
	const char *eq = strchr(in, '=');
	size_t n = 0;

	if (eq != NULL)
		in = eq + 1; /* "SHA256 Fingerprint=AB:CD:..." */
	for (const char *p = in; *p; p++) {
		char ch = *p;
		if (ch == ':' || ch == ' ')
			continue;
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')) || n >= SHA256_HEX_LEN)
			return false;
		out[n++] = ch;
	}
	out[n] = '\0';
	return n == SHA256_HEX_LEN;
}

/* True for exactly 64 lowercase hex digits. */
static bool
fingerprint_valid(const char *fp)
{
	size_t n = 0;

	for (; fp[n]; n++)
		if (!((fp[n] >= '0' && fp[n] <= '9') || (fp[n] >= 'a' && fp[n] <= 'f')))
			return false;
	return n == SHA256_HEX_LEN;
}

/* ------------------------------------------------------------------------
 * Mapping and revoking
 * ------------------------------------------------------------------------ */

typedef struct cert_txn {
	const char *actor;
	const char *dealer_id;
	const dealer_cert_info *ci;
	const char *fingerprint;
	char *err;
	size_t errlen;
} cert_txn;

/* Explains why fingerprint could not be inserted: who has it. */
static int
explain_existing(db_conn *c, cert_txn *t)
{
	db_rows *r = db_query(c, "SELECT dealer_id, revoked_at IS NOT NULL FROM dealer_certs "
	    "WHERE fingerprint = ?", "s", t->ci->fingerprint);
	int rc = DEALER_CERT_EXISTS;

	if (r == NULL) {
		snprintf(t->err, t->errlen, "cannot read certificate %s: %s", t->ci->fingerprint,
		    db_error(c));
		return -1;
	}
	if (db_rows_next(r) == 1) {
		const char *d = db_rows_str(r, 0);
		if (db_rows_int(r, 1) != 0)
			snprintf(t->err, t->errlen, "certificate %s was mapped to dealer %s and revoked; "
			    "a revoked certificate cannot be mapped again, issue a new one",
			    t->ci->fingerprint, d ? d : "?");
		else
			snprintf(t->err, t->errlen, "certificate %s is mapped to dealer %s already",
			    t->ci->fingerprint, d ? d : "?");
	} else {
		snprintf(t->err, t->errlen, "certificate %s: the mapping changed meanwhile; try again",
		    t->ci->fingerprint);
	}
	db_rows_free(r);
	return rc;
}

static int
cert_add_txn(db_conn *c, void *arg)
{
	cert_txn *t = arg;
	dealer d;
	buf detail;
	int found, rc = -1;

	buf_init(&detail, 0);
	found = dealer_get(c, t->dealer_id, &d, t->err, t->errlen);
	if (found < 0)
		goto out;
	if (found == 0) {
		snprintf(t->err, t->errlen, "no dealer '%s'", t->dealer_id);
		rc = DEALER_CERT_NO_DEALER;
		goto out;
	}
	if (db_exec(c, "INSERT INTO dealer_certs (fingerprint, dealer_id, subject, not_after) "
	    "VALUES (?, ?, ?, ?)", "ssss", t->ci->fingerprint, d.id, t->ci->subject,
	    t->ci->not_after) < 0) {
		if (db_errno(c) == DB_ER_DUP_ENTRY)
			rc = explain_existing(c, t);
		else
			snprintf(t->err, t->errlen, "cannot map certificate %s: %s", t->ci->fingerprint,
			    db_error(c));
		goto out;
	}
	audit_detail_add(&detail, "dealer", d.id);
	audit_detail_add(&detail, "subject", t->ci->subject);
	audit_detail_add(&detail, "not_after", t->ci->not_after);
	if (audit_append(c, t->actor, "dealer_cert.add", "dealer_cert", t->ci->fingerprint,
	    detail.data, t->err, t->errlen) != 0)
		goto out;
	rc = 0;
out:
	buf_free(&detail);
	return rc;
}

int
dealer_cert_add(db_conn *c, const char *actor, const char *dealer_id,
    const dealer_cert_info *ci, char *err, size_t errlen)
{
	cert_txn t = { .actor = actor, .dealer_id = dealer_id, .ci = ci, .err = err,
		.errlen = errlen };
	int rc;

	if (!fingerprint_valid(ci->fingerprint)) {
		snprintf(err, errlen, "invalid fingerprint: 64 lowercase hex digits expected");
		return DEALER_CERT_INVALID;
	}
	if (!dealer_id_valid(dealer_id)) {
		snprintf(err, errlen, "invalid dealer id: 1-%d characters of A-Z a-z 0-9 . _ -",
		    DEALER_ID_MAX);
		return DEALER_CERT_INVALID;
	}
	if (ci->subject[0] == '\0' || strlen(ci->subject) > DEALER_CERT_SUBJECT_MAX ||
	    ci->not_after[0] == '\0') {
		snprintf(err, errlen, "the certificate needs a subject (at most %d characters) and "
		    "an expiry date", DEALER_CERT_SUBJECT_MAX);
		return DEALER_CERT_INVALID;
	}
	err[0] = '\0';
	rc = db_transaction(c, DEALER_CERT_TXN_ATTEMPTS, cert_add_txn, &t);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "cannot map certificate %s: %s", ci->fingerprint, db_error(c));
	return rc;
}

/* Revokes t->fingerprint: 0 revoked now, 1 revoked already, 2 no such
 * mapping (turned into -1 by the caller), -1 database error. */
static int
cert_revoke_txn(db_conn *c, void *arg)
{
	cert_txn *t = arg;
	buf detail;
	db_rows *r = NULL;
	int rc = -1;

	buf_init(&detail, 0);
	r = db_query(c, "SELECT dealer_id, revoked_at IS NOT NULL FROM dealer_certs "
	    "WHERE fingerprint = ? FOR UPDATE", "s", t->fingerprint);
	if (r == NULL) {
		snprintf(t->err, t->errlen, "cannot read certificate %s: %s", t->fingerprint,
		    db_error(c));
		goto out;
	}
	if (db_rows_next(r) != 1) {
		snprintf(t->err, t->errlen, "no certificate with fingerprint %s is mapped (see "
		    "'contractctl dealer cert list')", t->fingerprint);
		rc = 2;
		goto out;
	}
	if (db_rows_int(r, 1) != 0) {
		rc = 1;
		goto out;
	}
	if (db_exec(c, "UPDATE dealer_certs SET revoked_at = UTC_TIMESTAMP(6) WHERE fingerprint = ?",
	    "s", t->fingerprint) < 0) {
		snprintf(t->err, t->errlen, "cannot revoke certificate %s: %s", t->fingerprint,
		    db_error(c));
		goto out;
	}
	audit_detail_add(&detail, "dealer", db_rows_str(r, 0));
	if (audit_append(c, t->actor, "dealer_cert.revoke", "dealer_cert", t->fingerprint,
	    detail.data, t->err, t->errlen) != 0)
		goto out;
	rc = 0;
out:
	db_rows_free(r);
	buf_free(&detail);
	return rc;
}

int
dealer_cert_revoke(db_conn *c, const char *actor, const char *fingerprint, char *err,
    size_t errlen)
{
	char fp[SHA256_HEX_LEN + 1];
	cert_txn t = { .actor = actor, .fingerprint = fp, .err = err, .errlen = errlen };
	int rc;

	if (!dealer_cert_fingerprint_normalise(fingerprint, fp)) {
		snprintf(err, errlen, "'%s' is not a SHA-256 fingerprint (64 hex digits, colons "
		    "allowed)", fingerprint);
		return -1;
	}
	err[0] = '\0';
	rc = db_transaction(c, DEALER_CERT_TXN_ATTEMPTS, cert_revoke_txn, &t);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "cannot revoke certificate %s: %s", fp, db_error(c));
	return rc == 2 ? -1 : rc;
}

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

static void
copy_col(char *out, size_t outlen, const db_rows *r, unsigned col)
{
	const char *s = db_rows_str(r, col);

	snprintf(out, outlen, "%s", s ? s : "");
}

int
dealer_cert_list(db_conn *c, const char *dealer_id, dealer_cert **out, size_t *n, char *err,
    size_t errlen)
{
	db_rows *r;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	r = db_query(c, "SELECT fingerprint, dealer_id, subject, not_after, created_at, revoked_at "
	    "FROM dealer_certs WHERE (? IS NULL OR dealer_id = ?) "
	    "ORDER BY dealer_id, created_at, fingerprint", "ss", dealer_id, dealer_id);
	if (r == NULL) {
		snprintf(err, errlen, "cannot list certificates: %s", db_error(c));
		return -1;
	}
	*out = xcalloc(db_rows_count(r) + 1, sizeof **out);
	while (db_rows_next(r) == 1) {
		dealer_cert *dc = &(*out)[i++];
		copy_col(dc->fingerprint, sizeof dc->fingerprint, r, 0);
		copy_col(dc->dealer_id, sizeof dc->dealer_id, r, 1);
		copy_col(dc->subject, sizeof dc->subject, r, 2);
		copy_col(dc->not_after, sizeof dc->not_after, r, 3);
		copy_col(dc->created_at, sizeof dc->created_at, r, 4);
		copy_col(dc->revoked_at, sizeof dc->revoked_at, r, 5);
	}
	*n = i;
	db_rows_free(r);
	return 0;
}

int
dealer_cert_lookup(db_conn *c, const char *fingerprint, dealer_cert_match *out)
{
	db_rows *r;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (fingerprint == NULL || !fingerprint_valid(fingerprint))
		return 0;
	r = db_query(c, "SELECT c.dealer_id, d.auth_mode FROM dealer_certs c "
	    "JOIN dealers d ON d.id = c.dealer_id WHERE c.fingerprint = ? "
	    "AND c.revoked_at IS NULL AND c.not_after > UTC_TIMESTAMP(6)", "s", fingerprint);
	if (r == NULL)
		return -1;
	if (db_rows_next(r) == 1) {
		copy_col(out->dealer_id, sizeof out->dealer_id, r, 0);
		copy_col(out->auth_mode, sizeof out->auth_mode, r, 1);
		rc = out->dealer_id[0] != '\0' && out->auth_mode[0] != '\0';
	}
	db_rows_free(r);
	return rc;
}
