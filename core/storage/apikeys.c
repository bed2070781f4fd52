#include "storage/apikeys.h"
#include "storage/audit.h"
#include "base/crypto.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Times a fresh key id may collide before we give up (2^48 ids: never). */
#define APIKEY_CREATE_TRIES 5
/* Attempts for a transaction that meets a deadlock or a Galera conflict. */
#define APIKEY_TXN_ATTEMPTS 5

static const char *const role_names[] = { "admin", "finance", "dealer" };

const char *
role_name(role r)
{
	return (unsigned)r <= ROLE_DEALER ? role_names[r] : "unknown";
}

int
role_parse(const char *s, role *out)
{
	for (int i = 0; i <= ROLE_DEALER; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*out = (role)i;
			return 0;
		}
	}
	return -1;
}

const char *
principal_actor(const principal *p, char *out, size_t outlen)
{
	if (p->key_id[0] != '\0')
		snprintf(out, outlen, "key:%s", p->key_id);
	else
		snprintf(out, outlen, "dealer:%s", p->dealer_id);
	return out;
}

static size_t
hex_span(const char *s)
{
	size_t n = 0;

	while ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))
		n++;
	return n;
}

int
apikey_parse(const char *presented, char key_id[APIKEY_ID_LEN + 1],
    char secret[APIKEY_SECRET_MAX + 1])
{
	const char *p = presented;
	size_t n;

	if (p == NULL || strncmp(p, APIKEY_PREFIX, 4) != 0)
		return -1;
	p += 4;
	if (hex_span(p) != APIKEY_ID_LEN || p[APIKEY_ID_LEN] != '_')
		return -1;
	memcpy(key_id, p, APIKEY_ID_LEN);
	key_id[APIKEY_ID_LEN] = '\0';
	p += APIKEY_ID_LEN + 1;
	n = hex_span(p);
	if (n < APIKEY_SECRET_MIN || n > APIKEY_SECRET_MAX || p[n] != '\0')
		return -1;
	memcpy(secret, p, n + 1);
	return 0;
}

int
apikey_authenticate(db_conn *c, const char *presented, principal *out)
{
	char key_id[APIKEY_ID_LEN + 1], secret[APIKEY_SECRET_MAX + 1], hash[SHA256_HEX_LEN + 1];
	const char *stored, *rolestr, *dealer_id, *auth_mode;
	db_rows *r = NULL;
	role rl;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (apikey_parse(presented, key_id, secret) != 0)
		goto out;
	sha256_hex(secret, strlen(secret), hash);
	r = db_query(c, "SELECT k.secret_hash, k.role, k.dealer_id, d.auth_mode, "
	    "k.revoked_at IS NOT NULL FROM api_keys k LEFT JOIN dealers d ON d.id = k.dealer_id "
	    "WHERE k.key_id = ?", "s", key_id);
	if (r == NULL) {
		rc = -1;
		goto out;
	}
	if (db_rows_next(r) != 1)
		goto out;
	stored = db_rows_str(r, 0);
	rolestr = db_rows_str(r, 1);
	dealer_id = db_rows_str(r, 2);
	auth_mode = db_rows_str(r, 3);
	if (stored == NULL || rolestr == NULL || !ct_streq(hash, stored))
		goto out;
	if (db_rows_int(r, 4) != 0 || role_parse(rolestr, &rl) != 0)
		goto out;
	if (rl == ROLE_DEALER) {
		if (dealer_id == NULL || auth_mode == NULL || strcmp(auth_mode, "cert") == 0)
			goto out;
		snprintf(out->dealer_id, sizeof out->dealer_id, "%s", dealer_id);
		snprintf(out->auth_mode, sizeof out->auth_mode, "%s", auth_mode);
	}
	memcpy(out->key_id, key_id, sizeof out->key_id);
	out->role = rl;
	rc = 1;
out:
	explicit_bzero(secret, sizeof secret);
	db_rows_free(r);
	return rc;
}

bool
apikey_label_valid(const char *label)
{
	size_t n = strlen(label);

	if (n > APIKEY_LABEL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)label[i];
		if (ch < 0x20 || ch == 0x7f)
			return false;
	}
	return true;
}

typedef struct key_txn {
	const char *actor;
	role role;
	const char *dealer_id;
	const char *label;
	const char *key_id;
	char new_id[APIKEY_ID_LEN + 1];
	char secret[APIKEY_SECRET_LEN + 1];
	char *err;
	size_t errlen;
} key_txn;

static int
key_create_txn(db_conn *c, void *arg)
{
	key_txn *t = arg;
	char hash[SHA256_HEX_LEN + 1];
	dealer d = { 0 };
	buf detail;
	int rc = -1, found;

	buf_init(&detail, 0);
	if (t->role == ROLE_DEALER) {
		found = dealer_get(c, t->dealer_id, &d, t->err, t->errlen);
		if (found < 0)
			goto out;
		if (found == 0) {
			snprintf(t->err, t->errlen, "no dealer '%s' (create it first: contractctl "
			    "dealer add)", t->dealer_id);
			rc = 1;
			goto out;
		}
		if (strcmp(d.auth_mode, "cert") == 0) {
			snprintf(t->err, t->errlen, "dealer '%s' authenticates by client certificate "
			    "only (auth cert): it cannot use API keys", d.id);
			rc = 1;
			goto out;
		}
	}
	for (int attempt = 0;; attempt++) {
		random_hex(t->new_id, APIKEY_ID_LEN / 2);
		random_hex(t->secret, APIKEY_SECRET_LEN / 2);
		sha256_hex(t->secret, APIKEY_SECRET_LEN, hash);
		if (db_exec(c, "INSERT INTO api_keys (key_id, secret_hash, role, dealer_id, label) "
		    "VALUES (?, ?, ?, ?, ?)", "sssss", t->new_id, hash, role_name(t->role),
		    t->role == ROLE_DEALER ? d.id : NULL, t->label) >= 0)
			break;
		if (db_errno(c) != DB_ER_DUP_ENTRY || attempt + 1 >= APIKEY_CREATE_TRIES) {
			snprintf(t->err, t->errlen, "cannot create the key: %s", db_error(c));
			goto out;
		}
	}
	audit_detail_add(&detail, "role", role_name(t->role));
	if (t->role == ROLE_DEALER)
		audit_detail_add(&detail, "dealer", d.id);
	audit_detail_add(&detail, "label", t->label);
	rc = audit_append(c, t->actor, "api_key.create", "api_key", t->new_id, detail.data, t->err,
	    t->errlen);
out:
	buf_free(&detail);
	return rc;
}

int
apikey_create(db_conn *c, const char *actor, role r, const char *dealer_id,
    const char *label, char *key_out, size_t keylen, char *err, size_t errlen)
{
	key_txn t = { .actor = actor, .role = r, .dealer_id = dealer_id,
		.label = label ? label : "", .err = err, .errlen = errlen };
	bool has_dealer = dealer_id != NULL && dealer_id[0] != '\0';
	int rc = -1;

	err[0] = '\0';
	if (keylen < APIKEY_MAX_LEN) {
		snprintf(err, errlen, "key buffer too small");
		goto out;
	}
	if ((unsigned)r > ROLE_DEALER) {
		snprintf(err, errlen, "unknown role");
		goto out;
	}
	if (!apikey_label_valid(t.label)) {
		snprintf(err, errlen, "invalid label: at most %d bytes, no control characters",
		    APIKEY_LABEL_MAX);
		goto out;
	}
	if (r == ROLE_DEALER && !has_dealer) {
		snprintf(err, errlen, "a dealer key needs the dealer it belongs to");
		goto out;
	}
	if (r != ROLE_DEALER && has_dealer) {
		snprintf(err, errlen, "only dealer keys belong to a dealer; a %s key cannot",
		    role_name(r));
		goto out;
	}
	if (db_transaction(c, APIKEY_TXN_ATTEMPTS, key_create_txn, &t) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot create the key: %s", db_error(c));
		goto out;
	}
	snprintf(key_out, keylen, APIKEY_PREFIX "%s_%s", t.new_id, t.secret);
	rc = 0;
out:
	explicit_bzero(t.secret, sizeof t.secret);
	return rc;
}

/* Revokes t->key_id: 0 revoked now, 1 revoked already, 2 no such key,
 * -1 database error. */
static int
key_revoke_txn(db_conn *c, void *arg)
{
	key_txn *t = arg;
	db_rows *r;
	buf detail;
	int rc = -1;

	buf_init(&detail, 0);
	r = db_query(c, "SELECT role, dealer_id, revoked_at IS NOT NULL FROM api_keys "
	    "WHERE key_id = ? FOR UPDATE", "s", t->key_id);
	if (r == NULL) {
		snprintf(t->err, t->errlen, "cannot read key %s: %s", t->key_id, db_error(c));
		goto out;
	}
	if (db_rows_next(r) != 1) {
		snprintf(t->err, t->errlen, "no API key with id '%s'", t->key_id);
		rc = 2;
		goto out;
	}
	if (db_rows_int(r, 2) != 0) {
		rc = 1;
		goto out;
	}
	if (db_exec(c, "UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP(6) WHERE key_id = ?",
	    "s", t->key_id) < 0) {
		snprintf(t->err, t->errlen, "cannot revoke key %s: %s", t->key_id, db_error(c));
		goto out;
	}
	audit_detail_add(&detail, "role", db_rows_str(r, 0));
	if (db_rows_str(r, 1) != NULL)
		audit_detail_add(&detail, "dealer", db_rows_str(r, 1));
	rc = audit_append(c, t->actor, "api_key.revoke", "api_key", t->key_id, detail.data, t->err,
	    t->errlen);
out:
	db_rows_free(r);
	buf_free(&detail);
	return rc;
}

int
apikey_revoke(db_conn *c, const char *actor, const char *key_id, char *err, size_t errlen)
{
	key_txn t = { .actor = actor, .key_id = key_id, .err = err, .errlen = errlen };
	int rc;

	err[0] = '\0';
	rc = db_transaction(c, APIKEY_TXN_ATTEMPTS, key_revoke_txn, &t);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "cannot revoke key %s: %s", key_id, db_error(c));
	return rc == 2 ? -1 : rc;
}

int
apikey_list(db_conn *c, apikey_info **out, size_t *n, char *err, size_t errlen)
{
	db_rows *r;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	r = db_query(c, "SELECT key_id, role, dealer_id, label, created_at, revoked_at "
	    "FROM api_keys ORDER BY created_at, key_id", NULL);
	if (r == NULL) {
		snprintf(err, errlen, "cannot list API keys: %s", db_error(c));
		return -1;
	}
	*out = xcalloc(db_rows_count(r) + 1, sizeof **out);
	while (db_rows_next(r) == 1) {
		apikey_info *k = &(*out)[i++];
		const char *s;

		snprintf(k->key_id, sizeof k->key_id, "%s", db_rows_str(r, 0) ? db_rows_str(r, 0) : "");
		s = db_rows_str(r, 1);
		if (s == NULL || role_parse(s, &k->role) != 0)
			k->role = ROLE_DEALER;
		s = db_rows_str(r, 2);
		snprintf(k->dealer_id, sizeof k->dealer_id, "%s", s ? s : "");
		s = db_rows_str(r, 3);
		k->label = xstrdup(s ? s : "");
		s = db_rows_str(r, 4);
		snprintf(k->created_at, sizeof k->created_at, "%s", s ? s : "");
		s = db_rows_str(r, 5);
		snprintf(k->revoked_at, sizeof k->revoked_at, "%s", s ? s : "");
	}
	*n = i;
	db_rows_free(r);
	return 0;
}

void
apikey_list_free(apikey_info *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i].label);
	free(list);
}
