/* migrate — versioned schema migrations, built into the binary.
 *
 * Each migration is a file core/storage/migrations/NNNN_name.sql; the build
 * embeds them (embed-migrations.sh), numbered 1, 2, 3... without gaps. A
 * database records what it has applied in schema_migrations (version, name,
 * checksum = SHA-256 of the file, applied_at), so applying twice is a
 * no-op, a file changed after it was applied is detected, and a database
 * newer than the binary is refused.
 *
 * The file format, kept deliberately simple:
 *   - a line whose first non-blank characters are "--" is a comment and is
 *     dropped;
 *   - a ';' that is the last non-blank character of a line ends a
 *     statement; any other ';' (inside a line or a string) is just text;
 *   - text after the last statement must be blank or comments.
 * So a statement may span lines but never ends mid-line, and compound
 * statements with inner ';' at line ends (triggers, procedures) cannot be
 * written; contractd does not use them.
 *
 * MariaDB commits DDL implicitly, so a migration that fails halfway keeps
 * what it did before the failure: write statements that can run again
 * (CREATE TABLE IF NOT EXISTS, ADD COLUMN IF NOT EXISTS, ...), so that after
 * the cause is fixed, applying again finishes the job. */
#ifndef CD_STORAGE_MIGRATE_H
#define CD_STORAGE_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

#include "storage/db.h"

typedef struct migration {
	int version;         /* 1, 2, 3... */
	const char *name;    /* the file name without ".sql": "0001_initial" */
	const char *sql;     /* the file's bytes, NUL-terminated */
	size_t len;
} migration;

/* The embedded migrations (defined in the generated migrations-embedded.c). */
extern const migration migrate_embedded[];
extern const size_t migrate_nembedded;

/* The migrations this binary knows, in order; *n receives their count. */
const migration *migrate_builtin(size_t *n);

/* Checks that list[i] has version i + 1 and a name "NNNN_..." whose number
 * is that version. Returns 0, or -1 with a message in err. */
int migrate_check_list(const migration *list, size_t n, char *err, size_t errlen);

/* Splits migration text into statements by the rule above. On success
 * returns 0 and sets *stmts to an array of *nstmts new strings (free with
 * migrate_free_statements), without their ';'. Returns -1 with a message
 * naming the line in err for an unterminated statement or a NUL byte. */
int migrate_split(const char *sql, size_t len, char ***stmts, size_t *nstmts, char *err,
    size_t errlen);
void migrate_free_statements(char **stmts, size_t n);

/* The migration's checksum: lowercase hex SHA-256 of its bytes. */
void migrate_checksum(const migration *m, char out[65]);

/* Applies the pending migrations in order, each recorded in
 * schema_migrations once all its statements ran, under the named lock
 * "contractd.migrate" so two migrators do not interleave. Writes a line per
 * migration applied, or "schema is current at version N", to progress
 * (NULL: silent). Refuses, before changing anything, a database whose
 * version is newer than this binary knows or whose applied migrations
 * differ from the binary's. Returns the number of migrations applied (0
 * when current), or -1 with a message in err. */
int migrate_apply(db_conn *c, FILE *progress, char *err, size_t errlen);

/* The database's schema version (0 when none is applied yet) and the
 * newest this binary knows. Returns 0, or -1 with a message in err. */
int migrate_status(db_conn *c, int *current, int *latest, char *err, size_t errlen);

#endif
