#include "storage/dealers.h"
#include "storage/audit.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Attempts for a transaction that meets a deadlock or a Galera conflict. */
#define DEALER_TXN_ATTEMPTS 5

bool
dealer_id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > DEALER_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)id[i];
		if (!isalnum(ch) && ch != '.' && ch != '_' && ch != '-')
			return false;
	}
	return true;
}

bool
dealer_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > DEALER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch < 0x20 || ch == 0x7f)
			return false;
	}
	return true;
}

bool
dealer_auth_mode_valid(const char *mode)
{
	return mode != NULL && (strcmp(mode, "key") == 0 || strcmp(mode, "cert") == 0 ||
	    strcmp(mode, "both") == 0);
}

int
dealer_create(db_conn *c, const char *id, const char *name, const char *auth_mode,
    char *err, size_t errlen)
{
	if (auth_mode == NULL)
		auth_mode = "key";
	if (!dealer_id_valid(id)) {
		snprintf(err, errlen, "invalid dealer id: 1-%d characters of A-Z a-z 0-9 . _ -",
		    DEALER_ID_MAX);
		return DEALER_INVALID;
	}
	if (!dealer_name_valid(name)) {
		snprintf(err, errlen, "invalid dealer name: 1-%d bytes without control characters",
		    DEALER_NAME_MAX);
		return DEALER_INVALID;
	}
	if (!dealer_auth_mode_valid(auth_mode)) {
		snprintf(err, errlen, "invalid auth mode: key, cert or both");
		return DEALER_INVALID;
	}
	if (db_exec(c, "INSERT INTO dealers (id, name, auth_mode) VALUES (?, ?, ?)", "sss",
	    id, name, auth_mode) < 0) {
		if (db_errno(c) == DB_ER_DUP_ENTRY) {
			snprintf(err, errlen, "dealer %s exists already", id);
			return DEALER_EXISTS;
		}
		snprintf(err, errlen, "cannot create dealer %s: %s", id, db_error(c));
		return -1;
	}
	return 0;
}

typedef struct dealer_txn {
	const char *actor;
	const char *id;
	const char *name;
	const char *auth_mode;
	char *previous;
	char *err;
	size_t errlen;
} dealer_txn;

static int
dealer_add_txn(db_conn *c, void *arg)
{
	dealer_txn *t = arg;
	buf detail;
	int rc;

	rc = dealer_create(c, t->id, t->name, t->auth_mode, t->err, t->errlen);
	if (rc != 0)
		return rc;
	buf_init(&detail, 0);
	audit_detail_add(&detail, "name", t->name);
	audit_detail_add(&detail, "auth", t->auth_mode ? t->auth_mode : "key");
	rc = audit_append(c, t->actor, "dealer.create", "dealer", t->id, detail.data, t->err,
	    t->errlen);
	buf_free(&detail);
	return rc;
}

int
dealer_add(db_conn *c, const char *actor, const char *id, const char *name,
    const char *auth_mode, char *err, size_t errlen)
{
	dealer_txn t = { .actor = actor, .id = id, .name = name, .auth_mode = auth_mode,
		.err = err, .errlen = errlen };
	int rc;

	err[0] = '\0';
	rc = db_transaction(c, DEALER_TXN_ATTEMPTS, dealer_add_txn, &t);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "cannot create dealer %s: %s", id, db_error(c));
	return rc;
}

static int
dealer_set_auth_txn(db_conn *c, void *arg)
{
	dealer_txn *t = arg;
	db_rows *r;
	buf detail;
	int rc = -1;

	buf_init(&detail, 0);
	r = db_query(c, "SELECT id, auth_mode FROM dealers WHERE id = ? FOR UPDATE", "s", t->id);
	if (r == NULL) {
		snprintf(t->err, t->errlen, "cannot read dealer %s: %s", t->id, db_error(c));
		goto out;
	}
	if (db_rows_next(r) != 1) {
		snprintf(t->err, t->errlen, "no dealer '%s'", t->id);
		rc = DEALER_NOT_FOUND;
		goto out;
	}
	snprintf(t->previous, 5, "%s", db_rows_str(r, 1) ? db_rows_str(r, 1) : "");
	if (strcmp(t->previous, t->auth_mode) == 0) {
		rc = 0;
		goto out;
	}
	if (db_exec(c, "UPDATE dealers SET auth_mode = ? WHERE id = ?", "ss", t->auth_mode,
	    db_rows_str(r, 0)) < 0) {
		snprintf(t->err, t->errlen, "cannot change dealer %s: %s", t->id, db_error(c));
		goto out;
	}
	audit_detail_add(&detail, "from", t->previous);
	audit_detail_add(&detail, "to", t->auth_mode);
	rc = audit_append(c, t->actor, "dealer.set_auth", "dealer", db_rows_str(r, 0), detail.data,
	    t->err, t->errlen);
out:
	db_rows_free(r);
	buf_free(&detail);
	return rc;
}

int
dealer_set_auth(db_conn *c, const char *actor, const char *id, const char *auth_mode,
    char previous[5], char *err, size_t errlen)
{
	dealer_txn t = { .actor = actor, .id = id, .auth_mode = auth_mode, .previous = previous,
		.err = err, .errlen = errlen };
	int rc;

	previous[0] = '\0';
	if (!dealer_auth_mode_valid(auth_mode)) {
		snprintf(err, errlen, "invalid auth mode: key, cert or both");
		return DEALER_INVALID;
	}
	if (!dealer_id_valid(id)) {
		snprintf(err, errlen, "no dealer '%s'", id);
		return DEALER_NOT_FOUND;
	}
	err[0] = '\0';
	rc = db_transaction(c, DEALER_TXN_ATTEMPTS, dealer_set_auth_txn, &t);
	if (rc < 0 && err[0] == '\0')
		snprintf(err, errlen, "cannot change dealer %s: %s", id, db_error(c));
	return rc;
}

static void
copy_col(char *out, size_t outlen, const db_rows *r, unsigned col)
{
	const char *s = db_rows_str(r, col);

	snprintf(out, outlen, "%s", s ? s : "");
}

/* Fills d from the current row: id, name, auth_mode, created_at. */
static void
dealer_from_row(const db_rows *r, dealer *d)
{
	memset(d, 0, sizeof *d);
	copy_col(d->id, sizeof d->id, r, 0);
	copy_col(d->name, sizeof d->name, r, 1);
	copy_col(d->auth_mode, sizeof d->auth_mode, r, 2);
	copy_col(d->created_at, sizeof d->created_at, r, 3);
}

int
dealer_get(db_conn *c, const char *id, dealer *out, char *err, size_t errlen)
{
	db_rows *r;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if (!dealer_id_valid(id))
		return 0;
	r = db_query(c, "SELECT id, name, auth_mode, created_at FROM dealers WHERE id = ?", "s", id);
	if (r == NULL) {
		snprintf(err, errlen, "cannot read dealer %s: %s", id, db_error(c));
		return -1;
	}
	if (db_rows_next(r) == 1) {
		dealer_from_row(r, out);
		rc = 1;
	}
	db_rows_free(r);
	return rc;
}

int
dealer_list(db_conn *c, dealer **out, size_t *n, char *err, size_t errlen)
{
	db_rows *r;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	r = db_query(c, "SELECT id, name, auth_mode, created_at FROM dealers ORDER BY id", NULL);
	if (r == NULL) {
		snprintf(err, errlen, "cannot list dealers: %s", db_error(c));
		return -1;
	}
	*out = xcalloc(db_rows_count(r) + 1, sizeof **out);
	while (db_rows_next(r) == 1)
		dealer_from_row(r, &(*out)[i++]);
	*n = i;
	db_rows_free(r);
	return 0;
}

static bool
plain_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

bool
dealer_billing_valid(const dealer_billing *b, char *err, size_t errlen)
{
	const char *fields[] = { b->street, b->city, b->postal_code, b->vat_id, b->email };
	const size_t limits[] = { 200, 128, 16, 32, 254 };

	if (b->country[0] != '\0' && (b->country[0] < 'A' || b->country[0] > 'Z' ||
	    b->country[1] < 'A' || b->country[1] > 'Z' || b->country[2] != '\0')) {
		snprintf(err, errlen, "the country must be an ISO 3166 code of two capital letters");
		return false;
	}
	if (b->vat_id[0] != '\0' && (b->vat_id[0] < 'A' || b->vat_id[0] > 'Z' ||
	    b->vat_id[1] < 'A' || b->vat_id[1] > 'Z')) {
		snprintf(err, errlen, "a VAT identifier starts with its country's code (DE811111111)");
		return false;
	}
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (!plain_text(fields[i]) || strlen(fields[i]) > limits[i]) {
			snprintf(err, errlen, "a billing field is longer than %zu bytes or holds "
			    "control characters", limits[i]);
			return false;
		}
	return true;
}

int
dealer_set_billing(db_conn *c, const char *id, const dealer_billing *b, char *err,
    size_t errlen)
{
	int64_t n;

	if (!dealer_billing_valid(b, err, errlen))
		return DEALER_INVALID;
	n = db_exec(c, "UPDATE dealers SET street = NULLIF(?, ''), city = NULLIF(?, ''), "
	    "postal_code = NULLIF(?, ''), country = NULLIF(?, ''), vat_id = NULLIF(?, ''), "
	    "email = NULLIF(?, '') WHERE id = ?", "sssssss", b->street, b->city, b->postal_code,
	    b->country, b->vat_id, b->email, id);
	if (n < 0) {
		snprintf(err, errlen, "cannot change dealer %s: %s", id, db_error(c));
		return -1;
	}
	if (n == 0) {
		int64_t exists = 0;
		if (db_query_int(c, &exists, "SELECT COUNT(*) FROM dealers WHERE id = ?", "s", id) < 0) {
			snprintf(err, errlen, "cannot read dealer %s: %s", id, db_error(c));
			return -1;
		}
		if (exists == 0) {
			snprintf(err, errlen, "no dealer '%s'", id);
			return DEALER_NOT_FOUND;
		}
	}
	return 0;
}
