/* db — MariaDB connections through Connector/C, prepared statements only.
 *
 * A db_conn is one connection used by one thread at a time. Every statement
 * is a prepared statement; values travel as bound parameters, never as
 * text pasted into SQL. Statements are prepared once per connection and
 * cached by their SQL text, so callers simply pass the same string literal
 * each time:
 *
 *	if (db_exec(c, "UPDATE dealers SET name = ? WHERE id = ?", "ss", name, id) < 0)
 *		...
 *	db_rows *r = db_query(c, "SELECT id, name FROM dealers WHERE auth_mode = ?", "s", mode);
 *	if (r == NULL)
 *		...
 *	while (db_rows_next(r) == 1)
 *		printf("%s %s\n", db_rows_str(r, 0), db_rows_str(r, 1));
 *	db_rows_free(r);
 *
 * Parameter formats, one letter per '?' in order:
 *	'i'  int64_t
 *	'd'  int
 *	'I'  const int64_t *           NULL binds SQL NULL
 *	's'  const char *              NUL-terminated; NULL binds SQL NULL
 *	'S'  const char *, size_t      text of the given length; NULL binds SQL NULL
 *	'b'  const void *, size_t      bytes (BLOB); NULL binds SQL NULL
 *	'D'  date_t                    a DATE
 * A format that does not match the statement's parameter count is an error
 * (-1, db_errno 0), never a guess.
 *
 * Errors: every call that fails returns -1 (or NULL) and records the error
 * in the connection: db_errno() is the MariaDB or Connector/C code (0 for a
 * usage error of this API), db_error() the message. They describe the last
 * failure and are not cleared by db_rollback, so the error that made a caller
 * roll back is still there afterwards.
 *
 * Losing the server: after an error for which db_conn_lost() is true, the
 * connection is unusable until db_ensure() reconnects it. Callers call
 * db_ensure() at the start of each unit of work (a request, a job step); it
 * costs nothing when all is well. Nothing reconnects behind the caller's
 * back, so a transaction is never silently split in two. */
#ifndef CD_STORAGE_DB_H
#define CD_STORAGE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"

/* MariaDB error codes callers test for (mysqld_error.h names them too). */
#define DB_ER_DUP_ENTRY 1062          /* unique key violated */
#define DB_ER_LOCK_WAIT_TIMEOUT 1205  /* statement rolled back; retry the transaction */
#define DB_ER_LOCK_DEADLOCK 1213      /* deadlock or Galera certification conflict */
#define DB_ER_NO_REFERENCED_ROW 1452  /* foreign key: the referenced row is missing */

/* Seconds a connection may sit idle before db_ensure() pings it. */
#define DB_IDLE_PING_SECS 30

/* Where to connect. Every string is owned by the structure (free with
 * db_params_free); NULL means "Connector/C's default" (for host: the local
 * server; for user: the login name). A socket, when set, wins over host. */
typedef struct db_params {
	char *host;
	unsigned port;      /* 0: the default 3306 */
	char *user;
	char *password;
	char *database;
	char *socket;
} db_params;

/* Parses
 *	mariadb://user:password@host:port/dbname
 *	mariadb://user@localhost/dbname?socket=/path/to.sock
 * ("mysql://" is accepted too). User, password, database and the socket
 * path are percent-decoded; a literal '/', '?', '#' or '%' in them must be
 * percent-encoded, an '@' in the password may be either. IPv6 hosts go in
 * brackets. The database name is required; "socket" is the only query
 * parameter. On success fills out (the caller frees it with db_params_free)
 * and returns 0; otherwise returns -1, leaves out empty and writes a message
 * into err that never contains the password. */
int db_url_parse(const char *url, db_params *out, char *err, size_t errlen);
/* Frees the strings (wiping the password) and empties p. NULL is fine. */
void db_params_free(db_params *p);
/* Deep copy of src into dst (freed with db_params_free). */
void db_params_copy(db_params *dst, const db_params *src);
/* "user@host:port/db" or "user@unix:/path/db" for messages; never the
 * password. Writes into out and returns it. */
const char *db_params_describe(const db_params *p, char *out, size_t outlen);

typedef struct db_conn db_conn;

/* Connects with utf8mb4, autocommit on, time zone UTC, strict SQL mode,
 * 5 s connect and 30 s read/write timeouts and Connector/C's automatic
 * reconnect off. The connection keeps its own copy of p. Returns the
 * connection (free with db_close), or NULL with a message in err. */
db_conn *db_connect(const db_params *p, char *err, size_t errlen);
/* True when a MariaDB server answers at p, even if it refuses p's
 * credentials: for waiting until a server accepts connections. Connects
 * with a 2 s time-out and disconnects; the server logs no aborted
 * connection. */
bool db_server_answers(const db_params *p);
/* Closes the connection and its cached statements. NULL is fine. */
void db_close(db_conn *c);
/* Makes the connection usable: when the last call lost the server, when the
 * connection has idled longer than DB_IDLE_PING_SECS or another connection
 * has lost the server since this one last worked and a ping fails, or after
 * an earlier reconnect failed, it closes and reconnects (statements
 * are prepared again as they are used). Returns 0, or -1 with a message in
 * err (err may be NULL). Cheap when the connection is in use and healthy. */
int db_ensure(db_conn *c, char *err, size_t errlen);

/* True when the last error means the connection is gone (server gone or
 * lost, connection refused, killed, server shutting down). */
bool db_conn_lost(const db_conn *c);
/* True when the last error asks for the whole transaction to be retried:
 * a deadlock, a Galera certification conflict or a lock wait timeout. */
bool db_retryable(const db_conn *c);
/* The last error's code (0 for errors of this API) and message; the message
 * is borrowed from the connection and valid until its next call. */
unsigned db_errno(const db_conn *c);
const char *db_error(const db_conn *c);

/* Executes a statement that returns no rows (fmt: see above; NULL or ""
 * when there are no parameters). Returns the number of rows changed (an
 * UPDATE that matches a row but changes nothing counts 0), or -1. */
int64_t db_exec(db_conn *c, const char *sql, const char *fmt, ...);
/* Prepares, executes and closes a statement without parameters, without
 * caching it: for DDL and other one-off statements (migrations). Returns
 * the rows changed, or -1. */
int64_t db_exec_once(db_conn *c, const char *sql);
/* The AUTO_INCREMENT value the last successful db_exec generated. */
uint64_t db_last_insert_id(const db_conn *c);

/* A result set, read completely into memory when the query runs: it
 * belongs to the caller (free with db_rows_free), does not hold the
 * connection, and stays valid across later calls, a reconnect or
 * db_close. */
typedef struct db_rows db_rows;

/* Runs a query (fmt: see above) and returns all its rows, or NULL on
 * error. Start with db_rows_next(). */
db_rows *db_query(db_conn *c, const char *sql, const char *fmt, ...);
/* Advances to the next row: 1 when there is one, 0 at the end. */
int db_rows_next(db_rows *r);
size_t db_rows_count(const db_rows *r);
unsigned db_rows_ncols(const db_rows *r);
/* The current row's column col (0-based) as text; NULL for SQL NULL.
 * Numbers, dates ("YYYY-MM-DD") and datetimes ("YYYY-MM-DD HH:MM:SS[.ffffff]")
 * come as MariaDB prints them. Borrowed from r; valid until db_rows_free. */
const char *db_rows_str(const db_rows *r, unsigned col);
/* The column as raw bytes and their length; NULL for SQL NULL. */
const void *db_rows_blob(const db_rows *r, unsigned col, size_t *len);
/* The column as an integer; 0 for SQL NULL or text that is not one. */
int64_t db_rows_int(const db_rows *r, unsigned col);
/* The column as a date (DATE, or the date part of a DATETIME): 0, or -1
 * for SQL NULL or anything else. */
int db_rows_date(const db_rows *r, unsigned col, date_t *out);
bool db_rows_isnull(const db_rows *r, unsigned col);
void db_rows_free(db_rows *r);

/* Runs a query for one integer (the first column of the first row).
 * Returns 1 and sets *out, 0 when there is no row (or the value is SQL
 * NULL; *out is left alone), -1 on error. */
int db_query_int(db_conn *c, int64_t *out, const char *sql, const char *fmt, ...);

/* Transactions. db_begin starts one (autocommit resumes after commit or
 * rollback). Each returns 0 or -1. db_rollback keeps the error that made the
 * caller roll back, and is harmless on a lost connection. */
int db_begin(db_conn *c);
int db_commit(db_conn *c);
int db_rollback(db_conn *c);

/* Runs fn(c, arg) in a transaction. fn returns 0 to commit, a positive
 * value to roll back and return that value (a business refusal), or -1
 * for a database error: then the transaction is rolled back and, when
 * db_retryable() says so, run again from the start — up to max_attempts
 * times in all, with a short randomised pause — which is how hot rows
 * (numbering counters) survive deadlocks and Galera certification
 * conflicts. fn must therefore have no effects outside the database it
 * cannot repeat. Returns 0 after a commit, fn's positive value, or -1. */
typedef int (*db_txn_fn)(db_conn *c, void *arg);
int db_transaction(db_conn *c, int max_attempts, db_txn_fn fn, void *arg);

/* Releases what Connector/C keeps for the process; optional, at exit, after
 * every connection is closed. */
void db_library_end(void);

#endif
