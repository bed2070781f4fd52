#include "storage/migrate.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_LOCK_TIMEOUT 60

const migration *
migrate_builtin(size_t *n)
{
	*n = migrate_nembedded;
	return migrate_embedded;
}

int
migrate_check_list(const migration *list, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const migration *m = &list[i];
		char prefix[16];

		if (m->version != (int)i + 1) {
			snprintf(err, errlen, "migration %s has version %d where %zu was expected "
			    "(versions run 1, 2, 3... without gaps)", m->name, m->version, i + 1);
			return -1;
		}
		snprintf(prefix, sizeof prefix, "%04d_", m->version);
		if (strncmp(m->name, prefix, strlen(prefix)) != 0 || m->name[strlen(prefix)] == '\0') {
			snprintf(err, errlen, "migration %s: its name must be %sNAME", m->name, prefix);
			return -1;
		}
	}
	return 0;
}

void
migrate_checksum(const migration *m, char out[65])
{
	sha256_hex(m->sql, m->len, out);
}

void
migrate_free_statements(char **stmts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(stmts[i]);
	free(stmts);
}

static bool
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* Appends the statement in b (trimmed) to the list unless it is blank. */
static void
push_statement(buf *b, char ***stmts, size_t *n)
{
	char *s = b->data ? b->data : "";
	size_t len = b->len;

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	if (len > 0) {
		*stmts = xreallocarray(*stmts, *n + 1, sizeof **stmts);
		(*stmts)[(*n)++] = xstrndup(s, len);
	}
	buf_reset(b);
}

int
migrate_split(const char *sql, size_t len, char ***stmts, size_t *nstmts, char *err,
    size_t errlen)
{
	const char *p = sql, *end = sql + len;
	char **list = NULL;
	size_t n = 0;
	int line = 0, start_line = 0, rc = -1;
	buf cur;

	buf_init(&cur, 0);
	if (memchr(sql, '\0', len) != NULL) {
		snprintf(err, errlen, "NUL byte in the migration");
		goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *s = p, *e = eol;

		line++;
		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (e - s >= 2 && s[0] == '-' && s[1] == '-') {
			p = nl ? nl + 1 : end;
			continue;
		}
		if (s == e) {
			if (cur.len > 0)
				buf_append(&cur, "\n", 1);
			p = nl ? nl + 1 : end;
			continue;
		}
		if (cur.len == 0 || blank(cur.data, cur.len))
			start_line = line;
		if (e[-1] == ';') {
			buf_append(&cur, p, (size_t)(e - 1 - p));
			push_statement(&cur, &list, &n);
		} else {
			buf_append(&cur, p, (size_t)(eol - p));
			buf_append(&cur, "\n", 1);
		}
		p = nl ? nl + 1 : end;
	}
	if (cur.len > 0 && !blank(cur.data, cur.len)) {
		snprintf(err, errlen, "the statement starting on line %d does not end with ';' "
		    "at the end of a line", start_line);
		goto out;
	}
	*stmts = list;
	*nstmts = n;
	list = NULL;
	n = 0;
	rc = 0;
out:
	migrate_free_statements(list, n);
	buf_free(&cur);
	return rc;
}

/* ------------------------------------------------------------------------
 * Applying
 * --------------------------------------------------------------------- */

static const char create_table_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version INT NOT NULL PRIMARY KEY,"
	" name VARCHAR(128) NOT NULL,"
	" checksum CHAR(64) CHARACTER SET ascii NOT NULL,"
	" applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";

typedef struct applied {
	int version;
	char name[129];
	char checksum[65];
} applied;

/* Reads schema_migrations. Returns 0 with a new array in *out (free it),
 * or -1 with a message in err. */
static int
load_applied(db_conn *c, applied **out, size_t *n, char *err, size_t errlen)
{
	db_rows *r = db_query(c, "SELECT version, name, checksum FROM schema_migrations "
	    "ORDER BY version", NULL);
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (r == NULL) {
		snprintf(err, errlen, "cannot read schema_migrations: %s", db_error(c));
		return -1;
	}
	*out = xcalloc(db_rows_count(r) + 1, sizeof **out);
	while (db_rows_next(r) == 1) {
		applied *a = &(*out)[i++];
		a->version = (int)db_rows_int(r, 0);
		snprintf(a->name, sizeof a->name, "%s", db_rows_str(r, 1) ? db_rows_str(r, 1) : "");
		snprintf(a->checksum, sizeof a->checksum, "%s",
		    db_rows_str(r, 2) ? db_rows_str(r, 2) : "");
	}
	*n = i;
	db_rows_free(r);
	return 0;
}

/* Runs every statement of m, then records it. Returns 0, or -1 with a
 * message in err. */
static int
apply_one(db_conn *c, const migration *m, FILE *progress, char *err, size_t errlen)
{
	char **stmts = NULL, sum[65], why[256];
	size_t n = 0;
	int rc = -1;

	if (migrate_split(m->sql, m->len, &stmts, &n, why, sizeof why) != 0) {
		snprintf(err, errlen, "migration %s: %s", m->name, why);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (db_exec_once(c, stmts[i]) < 0) {
			snprintf(err, errlen, "migration %s, statement %zu of %zu failed: %s (error %u)",
			    m->name, i + 1, n, db_error(c), db_errno(c));
			goto out;
		}
	}
	migrate_checksum(m, sum);
	if (db_exec(c, "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
	    "dss", m->version, m->name, sum) < 0) {
		if (db_errno(c) != DB_ER_DUP_ENTRY) {
			snprintf(err, errlen, "cannot record migration %s: %s", m->name, db_error(c));
			goto out;
		}
		/* Recorded meanwhile by a migrator that held no lock (Galera). */
	}
	if (progress != NULL)
		fprintf(progress, "applied %s (%zu statement%s)\n", m->name, n, n == 1 ? "" : "s");
	log_info("applied migration %s", m->name);
	rc = 0;
out:
	migrate_free_statements(stmts, n);
	return rc;
}

int
migrate_apply(db_conn *c, FILE *progress, char *err, size_t errlen)
{
	const migration *list;
	applied *done = NULL;
	size_t n, ndone = 0;
	int64_t got = 0;
	bool locked = false;
	int current = 0, count = 0, rc = -1;

	list = migrate_builtin(&n);
	if (migrate_check_list(list, n, err, errlen) != 0)
		goto out;
	/* Galera does not support named locks; there the second migrator's
	 * statements are no-ops (IF NOT EXISTS) and its record a duplicate. */
	if (db_query_int(c, &got, "SELECT GET_LOCK('contractd.migrate', ?)", "d",
	    MIGRATE_LOCK_TIMEOUT) < 0) {
		if (db_conn_lost(c)) {
			snprintf(err, errlen, "%s", db_error(c));
			goto out;
		}
		log_warn("migrating without a lock: %s", db_error(c));
	} else if (got != 1) {
		snprintf(err, errlen, "another migration has been running for %d s; try again later",
		    MIGRATE_LOCK_TIMEOUT);
		goto out;
	} else {
		locked = true;
	}
	if (db_exec_once(c, create_table_sql) < 0) {
		snprintf(err, errlen, "cannot create schema_migrations: %s", db_error(c));
		goto out;
	}
	if (load_applied(c, &done, &ndone, err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < ndone; i++) {
		const applied *a = &done[i];
		char sum[65];

		if (a->version > (int)n) {
			snprintf(err, errlen, "database schema is at version %d, this contractd knows up "
			    "to %zu: upgrade contractd", ndone ? done[ndone - 1].version : 0, n);
			goto out;
		}
		if (a->version < 1) {
			snprintf(err, errlen, "schema_migrations holds an invalid version %d", a->version);
			goto out;
		}
		migrate_checksum(&list[a->version - 1], sum);
		if (strcmp(sum, a->checksum) != 0) {
			snprintf(err, errlen, "migration %s was changed after it was applied "
			    "(checksum %.12s... in the database, %.12s... in this contractd); "
			    "add a new migration instead of editing an applied one",
			    list[a->version - 1].name, a->checksum, sum);
			goto out;
		}
		if (a->version > current)
			current = a->version;
	}
	for (size_t i = 0; i < n; i++) {
		bool is_done = false;

		for (size_t j = 0; j < ndone && !is_done; j++)
			is_done = done[j].version == list[i].version;
		if (is_done)
			continue;
		if (apply_one(c, &list[i], progress, err, errlen) != 0)
			goto out;
		count++;
		current = list[i].version;
	}
	if (progress != NULL) {
		if (count == 0)
			fprintf(progress, "schema is current at version %d\n", current);
		else
			fprintf(progress, "schema is now at version %d\n", current);
	}
	rc = count;
out:
	if (locked && db_query_int(c, &got, "SELECT RELEASE_LOCK('contractd.migrate')", NULL) < 0)
		log_warn("cannot release the migration lock: %s", db_error(c));
	free(done);
	return rc;
}

int
migrate_status(db_conn *c, int *current, int *latest, char *err, size_t errlen)
{
	int64_t exists = 0, version = 0;
	size_t n;

	migrate_builtin(&n);
	*latest = (int)n;
	*current = 0;
	if (db_query_int(c, &exists, "SELECT COUNT(*) FROM information_schema.tables "
	    "WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'", NULL) < 0) {
		snprintf(err, errlen, "cannot read the schema version: %s", db_error(c));
		return -1;
	}
	if (exists == 0)
		return 0;
	if (db_query_int(c, &version, "SELECT MAX(version) FROM schema_migrations", NULL) < 0) {
		snprintf(err, errlen, "cannot read the schema version: %s", db_error(c));
		return -1;
	}
	*current = (int)version;
	return 0;
}
