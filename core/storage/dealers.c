#include "storage/dealers.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const auth_names[] = { "key", "cert", "both" };

const char *
dealer_auth_name(dealer_auth a)
{
	return (unsigned)a <= DEALER_AUTH_BOTH ? auth_names[a] : "key";
}

int
dealer_auth_parse(const char *s, dealer_auth *out)
{
	for (int i = 0; i <= DEALER_AUTH_BOTH; i++) {
		if (strcmp(s, auth_names[i]) == 0) {
			*out = (dealer_auth)i;
			return 0;
		}
	}
	return -1;
}

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

int
dealer_create(db_conn *c, const char *id, const char *name, dealer_auth auth,
    char *err, size_t errlen)
{
	if (!dealer_id_valid(id)) {
		snprintf(err, errlen, "invalid dealer id '%s': 1-%d characters of A-Z a-z 0-9 . _ -",
		    id ? id : "", DEALER_ID_MAX);
		return -1;
	}
	if (!dealer_name_valid(name)) {
		snprintf(err, errlen, "invalid dealer name: 1-%d bytes without control characters",
		    DEALER_NAME_MAX);
		return -1;
	}
	if (db_exec(c, "INSERT INTO dealers (id, name, auth_mode) VALUES (?, ?, ?)", "sss",
	    id, name, dealer_auth_name(auth)) < 0) {
		if (db_errno(c) == DB_ER_DUP_ENTRY) {
			snprintf(err, errlen, "dealer '%s' exists already", id);
			return 1;
		}
		snprintf(err, errlen, "cannot create dealer '%s': %s", id, db_error(c));
		return -1;
	}
	return 0;
}

/* Fills d from the current row: id, name, auth_mode, created_at. */
static void
dealer_from_row(const db_rows *r, dealer *d)
{
	const char *s;

	memset(d, 0, sizeof *d);
	snprintf(d->id, sizeof d->id, "%s", db_rows_str(r, 0) ? db_rows_str(r, 0) : "");
	d->name = xstrdup(db_rows_str(r, 1) ? db_rows_str(r, 1) : "");
	s = db_rows_str(r, 2);
	if (s == NULL || dealer_auth_parse(s, &d->auth) != 0)
		d->auth = DEALER_AUTH_KEY;
	snprintf(d->created_at, sizeof d->created_at, "%s",
	    db_rows_str(r, 3) ? db_rows_str(r, 3) : "");
}

int
dealer_get(db_conn *c, const char *id, dealer *out, char *err, size_t errlen)
{
	db_rows *r;
	int rc = 0;

	memset(out, 0, sizeof *out);
	r = db_query(c, "SELECT id, name, auth_mode, created_at FROM dealers WHERE id = ?", "s", id);
	if (r == NULL) {
		snprintf(err, errlen, "cannot read dealer '%s': %s", id, db_error(c));
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

void
dealer_clear(dealer *d)
{
	free(d->name);
	d->name = NULL;
}

void
dealer_list_free(dealer *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dealer_clear(&list[i]);
	free(list);
}
