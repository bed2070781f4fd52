#include "storage/db.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DB_URL_MAX 4096
#define DB_STMT_BUCKETS 128
/* Statements cached per connection. The server caps prepared statements at
 * max_prepared_stmt_count (16382 by default) over all connections, so a
 * pool of 32 connections stays far below it. */
#define DB_STMT_CACHE_MAX 256
#define DB_CONNECT_TIMEOUT 5
#define DB_RW_TIMEOUT 30

/* Run once per connection: UTC for NOW() and DATETIME values, strict mode
 * so a value that does not fit is an error rather than a truncation, and
 * READ COMMITTED: locking reads take no gap locks, so concurrent
 * transactions that append rows under the same index end (new contracts
 * of new assets) do not deadlock each other; what must be serialised is
 * serialised by locking its row explicitly. */
#define DB_INIT_COMMAND \
	"SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE," \
	"NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION', " \
	"tx_isolation = 'READ-COMMITTED'"

typedef struct db_stmt {
	char *sql;
	uint64_t hash;
	uint64_t used;           /* c->clock when last used, for eviction */
	MYSQL_STMT *stmt;
	struct db_stmt *next;    /* bucket chain */
} db_stmt;

struct db_conn {
	db_params params;
	MYSQL *mysql;            /* NULL after a failed reconnect */
	db_stmt *buckets[DB_STMT_BUCKETS];
	size_t nstmts;
	uint64_t clock;
	bool lost;
	unsigned err_no;
	char err[512];
	uint64_t last_insert_id;
	time_t last_ok;          /* CLOCK_MONOTONIC seconds of the last good round trip */
	unsigned long epoch;     /* outage_epoch when last known good */
};

/* Bumped whenever any connection loses the server. A server restart kills
 * every pooled connection, but each finds out only on its next statement;
 * a connection that sees the epoch move pings before it is used, so the
 * first request after the restart does not fail on a stale connection. */
static atomic_ulong outage_epoch;

typedef struct db_cell {
	size_t off;
	size_t len;
	bool null;
} db_cell;

struct db_rows {
	unsigned ncols;
	size_t nrows;
	size_t cur;              /* 1-based index of the current row; 0 before the first */
	buf data;                /* every value, each followed by a NUL */
	db_cell *cells;          /* nrows * ncols */
	size_t cellcap;
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static bool library_ready;

static void
library_init(void)
{
	if (mysql_library_init(0, NULL, NULL) == 0)
		library_ready = true;
}

void
db_library_end(void)
{
	if (library_ready) {
		mysql_library_end();
		library_ready = false;
	}
}

static time_t
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ------------------------------------------------------------------------
 * URLs
 * --------------------------------------------------------------------- */

static int
hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into a new string in *out. Returns 0, or -1 for a
 * malformed escape or a decoded control character (NUL included), leaving
 * *out NULL. */
static int
pct_decode(const char *s, size_t n, char **out)
{
	char *d = xmalloc(n + 1);
	size_t j = 0;
	int rc = -1;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '%') {
			int hi, lo;
			if (i + 2 >= n)
				goto out;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto out;
			ch = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (ch < 0x20 || ch == 0x7f)
			goto out;
		d[j++] = (char)ch;
	}
	d[j] = '\0';
	*out = d;
	d = NULL;
	rc = 0;
out:
	free(d);
	return rc;
}

static bool
host_char(int ch)
{
	return isalnum(ch) || ch == '.' || ch == '-' || ch == '_';
}

static bool
valid_dbname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '$' && *s != '-')
			return false;
	return true;
}

/* Parses "host", "host:port", "[v6]" or "[v6]:port" from s[0..n). */
static int
parse_hostport(const char *s, size_t n, db_params *out, char *err, size_t errlen)
{
	const char *port = NULL;
	size_t hlen = n, plen = 0;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (close == NULL) {
			snprintf(err, errlen, "unterminated '[' in the host of the URL");
			return -1;
		}
		for (const char *p = s + 1; p < close; p++) {
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.') {
				snprintf(err, errlen, "invalid IPv6 address in the URL");
				return -1;
			}
		}
		if (close == s + 1) {
			snprintf(err, errlen, "empty IPv6 address in the URL");
			return -1;
		}
		out->host = xstrndup(s + 1, (size_t)(close - s - 1));
		if ((size_t)(close - s) + 1 < n) {
			if (close[1] != ':') {
				snprintf(err, errlen, "unexpected text after ']' in the URL");
				return -1;
			}
			port = close + 2;
			plen = n - (size_t)(port - s);
		}
	} else {
		const char *colon = memchr(s, ':', n);
		if (colon != NULL) {
			if (memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)) != NULL) {
				snprintf(err, errlen, "IPv6 addresses in the URL go in brackets: [::1]");
				return -1;
			}
			hlen = (size_t)(colon - s);
			port = colon + 1;
			plen = n - hlen - 1;
		}
		if (hlen > 255) {
			snprintf(err, errlen, "host name in the URL is too long");
			return -1;
		}
		for (size_t i = 0; i < hlen; i++) {
			if (!host_char((unsigned char)s[i])) {
				snprintf(err, errlen, "invalid character in the host name of the URL");
				return -1;
			}
		}
		if (hlen > 0)
			out->host = xstrndup(s, hlen);
	}
	if (port != NULL) {
		unsigned long v = 0;
		if (plen == 0 || plen > 5) {
			snprintf(err, errlen, "invalid port in the URL (1-65535)");
			return -1;
		}
		for (size_t i = 0; i < plen; i++) {
			if (!isdigit((unsigned char)port[i])) {
				snprintf(err, errlen, "invalid port in the URL (1-65535)");
				return -1;
			}
			v = v * 10 + (unsigned long)(port[i] - '0');
		}
		if (v == 0 || v > 65535) {
			snprintf(err, errlen, "invalid port in the URL (1-65535)");
			return -1;
		}
		out->port = (unsigned)v;
	}
	return 0;
}

/* Parses "socket=/path" parameters from s[0..n) (the text after '?'). */
static int
parse_query(const char *s, size_t n, db_params *out, char *err, size_t errlen)
{
	const char *end = s + n;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(stop - s));

		if (stop == s) {
			s = stop + 1;
			continue;
		}
		if (eq == NULL || (size_t)(eq - s) != 6 || strncmp(s, "socket", 6) != 0) {
			snprintf(err, errlen, "unknown URL parameter (only 'socket=PATH' is known)");
			return -1;
		}
		if (out->socket != NULL) {
			snprintf(err, errlen, "'socket' given twice in the URL");
			return -1;
		}
		if (pct_decode(eq + 1, (size_t)(stop - eq - 1), &out->socket) != 0) {
			snprintf(err, errlen, "malformed percent-escape or control character in the socket path");
			return -1;
		}
		if (out->socket[0] != '/') {
			snprintf(err, errlen, "the socket path in the URL must be absolute");
			return -1;
		}
		if (strlen(out->socket) > 107) {
			snprintf(err, errlen, "the socket path in the URL is longer than 107 bytes");
			return -1;
		}
		s = stop + (amp ? 1 : 0);
	}
	return 0;
}

int
db_url_parse(const char *url, db_params *out, char *err, size_t errlen)
{
	const char *p, *auth, *auth_end, *at = NULL, *path_end;
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (url == NULL || *url == '\0') {
		snprintf(err, errlen, "empty database URL");
		goto out;
	}
	n = strlen(url);
	if (n > DB_URL_MAX) {
		snprintf(err, errlen, "database URL longer than %d bytes", DB_URL_MAX);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)url[i];
		if (ch <= 0x20 || ch == 0x7f) {
			snprintf(err, errlen, "database URL contains a space or control character");
			goto out;
		}
	}
	if (strncasecmp(url, "mariadb://", 10) == 0) {
		auth = url + 10;
	} else if (strncasecmp(url, "mysql://", 8) == 0) {
		auth = url + 8;
	} else {
		snprintf(err, errlen, "database URL must start with mariadb:// (or mysql://)");
		goto out;
	}
	if (strchr(auth, '#') != NULL) {
		snprintf(err, errlen, "database URL must not contain a fragment ('#'); "
		    "percent-encode it as %%23");
		goto out;
	}
	auth_end = auth + strcspn(auth, "/?");
	for (p = auth; p < auth_end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		const char *uend = colon ? colon : at;
		if (uend == auth) {
			snprintf(err, errlen, "empty user name in the database URL");
			goto out;
		}
		if (pct_decode(auth, (size_t)(uend - auth), &out->user) != 0) {
			snprintf(err, errlen, "malformed percent-escape or control character in the user name");
			goto out;
		}
		if (colon != NULL &&
		    pct_decode(colon + 1, (size_t)(at - colon - 1), &out->password) != 0) {
			snprintf(err, errlen, "malformed percent-escape or control character in the password");
			goto out;
		}
	}
	p = at ? at + 1 : auth;
	if (parse_hostport(p, (size_t)(auth_end - p), out, err, errlen) != 0)
		goto out;
	if (*auth_end != '/') {
		snprintf(err, errlen, "no database name in the URL (…/dbname)");
		goto out;
	}
	path_end = auth_end + 1 + strcspn(auth_end + 1, "?");
	if (pct_decode(auth_end + 1, (size_t)(path_end - auth_end - 1), &out->database) != 0 ||
	    !valid_dbname(out->database)) {
		snprintf(err, errlen, "invalid database name in the URL "
		    "(1-64 letters, digits, '_', '$' or '-')");
		goto out;
	}
	if (*path_end == '?' &&
	    parse_query(path_end + 1, strlen(path_end + 1), out, err, errlen) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		db_params_free(out);
	return rc;
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
db_params_free(db_params *p)
{
	if (p == NULL)
		return;
	free(p->host);
	free(p->user);
	wipe_free(p->password);
	free(p->database);
	free(p->socket);
	memset(p, 0, sizeof *p);
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
db_params_copy(db_params *dst, const db_params *src)
{
	dst->host = dup_or_null(src->host);
	dst->port = src->port;
	dst->user = dup_or_null(src->user);
	dst->password = dup_or_null(src->password);
	dst->database = dup_or_null(src->database);
	dst->socket = dup_or_null(src->socket);
}

const char *
db_params_describe(const db_params *p, char *out, size_t outlen)
{
	const char *user = p->user ? p->user : "";
	const char *at = p->user ? "@" : "";
	const char *db = p->database ? p->database : "";

	if (p->socket != NULL)
		snprintf(out, outlen, "%s%sunix:%s/%s", user, at, p->socket, db);
	else if (p->host != NULL && strchr(p->host, ':') != NULL)
		snprintf(out, outlen, "%s%s[%s]:%u/%s", user, at, p->host, p->port ? p->port : 3306, db);
	else
		snprintf(out, outlen, "%s%s%s:%u/%s", user, at, p->host ? p->host : "localhost",
		    p->port ? p->port : 3306, db);
	return out;
}

/* ------------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------- */

static bool
code_is_lost(unsigned code)
{
	switch (code) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case CR_COMMANDS_OUT_OF_SYNC: /* the protocol state is broken: start afresh */
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
		return true;
	default:
		return false;
	}
}

static void
set_error(db_conn *c, unsigned code, const char *msg)
{
	c->err_no = code;
	snprintf(c->err, sizeof c->err, "%s", msg);
	if (code_is_lost(code) && !c->lost) {
		c->lost = true;
		atomic_fetch_add(&outage_epoch, 1);
	}
}

static void __attribute__((format(printf, 3, 4)))
set_errorf(db_conn *c, unsigned code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	set_error(c, code, msg);
}

static void
record_mysql_error(db_conn *c)
{
	set_error(c, mysql_errno(c->mysql), mysql_error(c->mysql));
}

static void
record_stmt_error(db_conn *c, MYSQL_STMT *st)
{
	unsigned code = mysql_stmt_errno(st);

	if (code == 0) {
		record_mysql_error(c);
		return;
	}
	set_error(c, code, mysql_stmt_error(st));
}

static void
clear_error(db_conn *c)
{
	c->err_no = 0;
	c->err[0] = '\0';
}

bool
db_conn_lost(const db_conn *c)
{
	return c->lost;
}

bool
db_retryable(const db_conn *c)
{
	return c->err_no == ER_LOCK_DEADLOCK || c->err_no == ER_LOCK_WAIT_TIMEOUT;
}

unsigned
db_errno(const db_conn *c)
{
	return c->err_no;
}

const char *
db_error(const db_conn *c)
{
	return c->err[0] ? c->err : "no error";
}

/* ------------------------------------------------------------------------
 * Connections
 * --------------------------------------------------------------------- */

/* Opens a configured MYSQL handle for p. Returns it, or NULL with a
 * message (naming the server, never the password) in err. */
static MYSQL *
open_mysql(const db_params *p, char *err, size_t errlen)
{
	unsigned int connect_timeout = DB_CONNECT_TIMEOUT, rw_timeout = DB_RW_TIMEOUT;
	unsigned int local_infile = 0;
	my_bool reconnect = 0;
	char where[512];
	MYSQL *m;

	pthread_once(&library_once, library_init);
	if (!library_ready) {
		snprintf(err, errlen, "cannot initialise MariaDB Connector/C");
		return NULL;
	}
	m = mysql_init(NULL);
	if (m == NULL) {
		snprintf(err, errlen, "out of memory for a MariaDB connection");
		return NULL;
	}
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
	mysql_options(m, MYSQL_OPT_RECONNECT, &reconnect);
	mysql_options(m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_INIT_COMMAND, DB_INIT_COMMAND);
	if (mysql_real_connect(m, p->socket ? NULL : p->host, p->user, p->password, p->database,
	    p->port, p->socket, 0) == NULL) {
		snprintf(err, errlen, "cannot connect to MariaDB at %s: %s",
		    db_params_describe(p, where, sizeof where), mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	if (mysql_autocommit(m, 1) != 0) {
		snprintf(err, errlen, "cannot enable autocommit on %s: %s",
		    db_params_describe(p, where, sizeof where), mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

db_conn *
db_connect(const db_params *p, char *err, size_t errlen)
{
	MYSQL *m = open_mysql(p, err, errlen);
	db_conn *c;

	if (m == NULL)
		return NULL;
	c = xcalloc(1, sizeof *c);
	db_params_copy(&c->params, p);
	c->mysql = m;
	c->last_ok = now_mono();
	c->epoch = atomic_load(&outage_epoch);
	return c;
}

bool
db_server_answers(const db_params *p)
{
	unsigned int timeout = 2;
	my_bool reconnect = 0;
	bool answers = false;
	MYSQL *m;

	pthread_once(&library_once, library_init);
	if (!library_ready || (m = mysql_init(NULL)) == NULL)
		return false;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_OPT_RECONNECT, &reconnect);
	if (mysql_real_connect(m, p->socket ? NULL : p->host, p->user, p->password, NULL, p->port,
	    p->socket, 0) != NULL)
		answers = true;
	else
		answers = mysql_errno(m) != 0 && mysql_errno(m) < CR_MIN_ERROR; /* it said no: it is there */
	mysql_close(m);
	return answers;
}

static void
drop_statements(db_conn *c)
{
	for (size_t b = 0; b < DB_STMT_BUCKETS; b++) {
		db_stmt *s = c->buckets[b];
		while (s != NULL) {
			db_stmt *next = s->next;
			mysql_stmt_close(s->stmt);
			free(s->sql);
			free(s);
			s = next;
		}
		c->buckets[b] = NULL;
	}
	c->nstmts = 0;
}

void
db_close(db_conn *c)
{
	if (c == NULL)
		return;
	drop_statements(c);
	if (c->mysql != NULL)
		mysql_close(c->mysql);
	db_params_free(&c->params);
	free(c);
}

int
db_ensure(db_conn *c, char *err, size_t errlen)
{
	char msg[512];
	time_t now = now_mono();
	unsigned long epoch = atomic_load(&outage_epoch);

	if (c->mysql != NULL && !c->lost) {
		if (now - c->last_ok < DB_IDLE_PING_SECS && c->epoch == epoch)
			return 0;
		if (mysql_ping(c->mysql) == 0) {
			c->last_ok = now;
			c->epoch = epoch;
			return 0;
		}
		c->lost = true; /* already known: this is no new outage to announce */
		record_mysql_error(c);
		log_info("database connection %s is gone (%s); reconnecting",
		    c->epoch != epoch ? "opened before a lost connection" : "idle too long",
		    c->err);
	}
	drop_statements(c);
	if (c->mysql != NULL) {
		mysql_close(c->mysql);
		c->mysql = NULL;
	}
	c->mysql = open_mysql(&c->params, msg, sizeof msg);
	if (c->mysql == NULL) {
		set_error(c, CR_CONNECTION_ERROR, msg);
		if (err != NULL)
			snprintf(err, errlen, "%s", msg);
		return -1;
	}
	c->lost = false;
	clear_error(c);
	c->last_ok = now_mono();
	c->epoch = epoch;
	return 0;
}

/* ------------------------------------------------------------------------
 * The statement cache
 * --------------------------------------------------------------------- */

static uint64_t
sql_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void
evict_oldest(db_conn *c)
{
	db_stmt **victim = NULL;

	for (size_t b = 0; b < DB_STMT_BUCKETS; b++)
		for (db_stmt **pp = &c->buckets[b]; *pp != NULL; pp = &(*pp)->next)
			if (victim == NULL || (*pp)->used < (*victim)->used)
				victim = pp;
	if (victim != NULL) {
		db_stmt *s = *victim;
		*victim = s->next;
		mysql_stmt_close(s->stmt);
		free(s->sql);
		free(s);
		c->nstmts--;
	}
}

/* Prepares sql on the connection. Returns the statement, or NULL with the
 * error recorded. */
static MYSQL_STMT *
prepare(db_conn *c, const char *sql)
{
	MYSQL_STMT *st;

	if (c->mysql == NULL || c->lost) {
		set_error(c, CR_SERVER_GONE_ERROR, "not connected to MariaDB (reconnect with db_ensure)");
		return NULL;
	}
	st = mysql_stmt_init(c->mysql);
	if (st == NULL) {
		record_mysql_error(c);
		return NULL;
	}
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		record_stmt_error(c, st);
		mysql_stmt_close(st);
		return NULL;
	}
	return st;
}

/* The cached statement for sql, prepared now if need be. Returns it
 * (owned by the cache), or NULL with the error recorded. */
static MYSQL_STMT *
cached_statement(db_conn *c, const char *sql)
{
	uint64_t h = sql_hash(sql);
	size_t b = (size_t)(h % DB_STMT_BUCKETS);
	MYSQL_STMT *st;
	db_stmt *s;

	for (s = c->buckets[b]; s != NULL; s = s->next) {
		if (s->hash == h && strcmp(s->sql, sql) == 0) {
			s->used = ++c->clock;
			return s->stmt;
		}
	}
	if (c->nstmts >= DB_STMT_CACHE_MAX)
		evict_oldest(c);
	st = prepare(c, sql);
	if (st == NULL && c->err_no == ER_MAX_PREPARED_STMT_COUNT_REACHED && c->nstmts > 0) {
		/* The server is full of statements: give ours back and try once more. */
		log_warn("max_prepared_stmt_count reached; dropping %zu cached statements", c->nstmts);
		drop_statements(c);
		st = prepare(c, sql);
	}
	if (st == NULL)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->sql = xstrdup(sql);
	s->hash = h;
	s->used = ++c->clock;
	s->stmt = st;
	s->next = c->buckets[b];
	c->buckets[b] = s;
	c->nstmts++;
	return st;
}

/* ------------------------------------------------------------------------
 * Binding and executing
 * --------------------------------------------------------------------- */

typedef struct param_slot {
	int64_t i;
	int32_t d;
	unsigned long len;
	MYSQL_TIME t;
} param_slot;

typedef struct params {
	MYSQL_BIND *binds;
	param_slot *slots;
} params;

static void
params_free(params *ps)
{
	free(ps->binds);
	free(ps->slots);
}

static void
bind_text(MYSQL_BIND *b, param_slot *slot, enum enum_field_types type, const void *p,
    size_t len)
{
	if (p == NULL) {
		b->buffer_type = MYSQL_TYPE_NULL;
		return;
	}
	slot->len = (unsigned long)len;
	b->buffer_type = type;
	b->buffer = (void *)(uintptr_t)p;
	b->buffer_length = slot->len;
	b->length = &slot->len;
}

/* Binds the arguments fmt describes to st. Returns 0, or -1 with the error
 * recorded. The values must stay alive until the statement has run; ps
 * holds what they were copied into (free with params_free). */
static int
bind_params(db_conn *c, MYSQL_STMT *st, const char *fmt, va_list ap, params *ps)
{
	size_t n = fmt ? strlen(fmt) : 0;
	unsigned long want = mysql_stmt_param_count(st);

	ps->binds = NULL;
	ps->slots = NULL;
	if (n != want) {
		set_errorf(c, 0, "statement has %lu parameters but the format \"%s\" gives %zu",
		    want, fmt ? fmt : "", n);
		return -1;
	}
	if (n == 0)
		return 0;
	ps->binds = xcalloc(n, sizeof *ps->binds);
	ps->slots = xcalloc(n, sizeof *ps->slots);
	for (size_t k = 0; k < n; k++) {
		MYSQL_BIND *b = &ps->binds[k];
		param_slot *slot = &ps->slots[k];

		switch (fmt[k]) {
		case 'i':
			slot->i = va_arg(ap, int64_t);
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = &slot->i;
			break;
		case 'I': {
			const int64_t *v = va_arg(ap, const int64_t *);
			if (v == NULL) {
				b->buffer_type = MYSQL_TYPE_NULL;
			} else {
				slot->i = *v;
				b->buffer_type = MYSQL_TYPE_LONGLONG;
				b->buffer = &slot->i;
			}
			break;
		}
		case 'd':
			slot->d = (int32_t)va_arg(ap, int);
			b->buffer_type = MYSQL_TYPE_LONG;
			b->buffer = &slot->d;
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			bind_text(b, slot, MYSQL_TYPE_STRING, s, s ? strlen(s) : 0);
			break;
		}
		case 'S': {
			const char *s = va_arg(ap, const char *);
			size_t len = va_arg(ap, size_t);
			bind_text(b, slot, MYSQL_TYPE_STRING, s, len);
			break;
		}
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t len = va_arg(ap, size_t);
			bind_text(b, slot, MYSQL_TYPE_BLOB, p, len);
			break;
		}
		case 'D': {
			date_t d = (date_t)va_arg(ap, int);
			int y, m, dd;
			date_to_ymd(d, &y, &m, &dd);
			slot->t.year = (unsigned)y;
			slot->t.month = (unsigned)m;
			slot->t.day = (unsigned)dd;
			slot->t.time_type = MYSQL_TIMESTAMP_DATE;
			b->buffer_type = MYSQL_TYPE_DATE;
			b->buffer = &slot->t;
			break;
		}
		default:
			set_errorf(c, 0, "unknown parameter format '%c' in \"%s\"", fmt[k], fmt);
			params_free(ps);
			return -1;
		}
	}
	if (mysql_stmt_bind_param(st, ps->binds) != 0) {
		record_stmt_error(c, st);
		params_free(ps);
		return -1;
	}
	return 0;
}

/* Binds and executes st. Returns 0, or -1 with the error recorded. */
static int
execute(db_conn *c, MYSQL_STMT *st, const char *fmt, va_list ap)
{
	params ps;
	int rc = -1;

	if (bind_params(c, st, fmt, ap, &ps) != 0)
		return -1;
	if (mysql_stmt_execute(st) != 0) {
		record_stmt_error(c, st);
		goto out;
	}
	c->last_ok = now_mono();
	rc = 0;
out:
	params_free(&ps);
	return rc;
}

/* Discards a result set a statement run through db_exec produced. */
static void
discard_result(MYSQL_STMT *st)
{
	if (mysql_stmt_field_count(st) > 0) {
		mysql_stmt_store_result(st);
		mysql_stmt_free_result(st);
	}
}

static int64_t
vexec(db_conn *c, const char *sql, const char *fmt, va_list ap)
{
	MYSQL_STMT *st;
	my_ulonglong affected;

	clear_error(c);
	st = cached_statement(c, sql);
	if (st == NULL || execute(c, st, fmt, ap) != 0)
		return -1;
	affected = mysql_stmt_affected_rows(st);
	c->last_insert_id = mysql_stmt_insert_id(st);
	discard_result(st);
	return affected == (my_ulonglong)-1 ? 0 : (int64_t)affected;
}

int64_t
db_exec(db_conn *c, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int64_t r;

	va_start(ap, fmt);
	r = vexec(c, sql, fmt, ap);
	va_end(ap);
	return r;
}

/* Wraps execute() for a call without arguments (a va_list cannot be empty
 * portably, so this passes its own). */
static int
execute_noargs(db_conn *c, MYSQL_STMT *st, ...)
{
	va_list ap;
	int rc;

	va_start(ap, st);
	rc = execute(c, st, NULL, ap);
	va_end(ap);
	return rc;
}

int64_t
db_exec_once(db_conn *c, const char *sql)
{
	MYSQL_STMT *st;
	my_ulonglong affected;
	int64_t rc = -1;

	clear_error(c);
	st = prepare(c, sql);
	if (st == NULL)
		return -1;
	if (execute_noargs(c, st) != 0)
		goto out;
	affected = mysql_stmt_affected_rows(st);
	c->last_insert_id = mysql_stmt_insert_id(st);
	discard_result(st);
	rc = affected == (my_ulonglong)-1 ? 0 : (int64_t)affected;
out:
	mysql_stmt_close(st);
	return rc;
}

uint64_t
db_last_insert_id(const db_conn *c)
{
	return c->last_insert_id;
}

/* ------------------------------------------------------------------------
 * Result sets
 * --------------------------------------------------------------------- */

typedef struct column {
	char *data;
	unsigned long cap;
	unsigned long len;
	my_bool null;
	my_bool error;
} column;

/* Reads every row of an executed statement into a new db_rows. Returns it,
 * or NULL with the error recorded. The statement's result is freed either
 * way. */
static db_rows *
fetch_all(db_conn *c, MYSQL_STMT *st)
{
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	MYSQL_BIND *binds = NULL;
	column *cols = NULL;
	db_rows *r = NULL, *result = NULL;
	unsigned n;
	int rc;

	if (meta == NULL) {
		if (mysql_stmt_errno(st) != 0)
			record_stmt_error(c, st);
		else
			set_error(c, 0, "db_query: the statement returns no rows (use db_exec)");
		goto out;
	}
	n = mysql_num_fields(meta);
	binds = xcalloc(n ? n : 1, sizeof *binds);
	cols = xcalloc(n ? n : 1, sizeof *cols);
	for (unsigned i = 0; i < n; i++) {
		cols[i].cap = 64;
		cols[i].data = xmalloc(cols[i].cap);
		binds[i].buffer_type = MYSQL_TYPE_STRING;
		binds[i].buffer = cols[i].data;
		binds[i].buffer_length = cols[i].cap;
		binds[i].length = &cols[i].len;
		binds[i].is_null = &cols[i].null;
		binds[i].error = &cols[i].error;
	}
	if (mysql_stmt_bind_result(st, binds) != 0) {
		record_stmt_error(c, st);
		goto out;
	}
	r = xcalloc(1, sizeof *r);
	r->ncols = n;
	buf_init(&r->data, 0);
	while ((rc = mysql_stmt_fetch(st)) != MYSQL_NO_DATA) {
		bool rebind = false;

		if (rc == 1) {
			record_stmt_error(c, st);
			goto out;
		}
		/* MYSQL_DATA_TRUNCATED or not: a value longer than its buffer
		 * is fetched again into a bigger one. */
		for (unsigned i = 0; i < n; i++) {
			column *col = &cols[i];
			if (col->null || col->len <= col->cap)
				continue;
			col->cap = col->len + 1;
			col->data = xrealloc(col->data, col->cap);
			binds[i].buffer = col->data;
			binds[i].buffer_length = col->cap;
			if (mysql_stmt_fetch_column(st, &binds[i], i, 0) != 0) {
				record_stmt_error(c, st);
				goto out;
			}
			rebind = true;
		}
		if (r->nrows * n + n > r->cellcap) {
			while (r->nrows * n + n > r->cellcap)
				r->cellcap = r->cellcap ? r->cellcap * 2 : 16;
			r->cells = xreallocarray(r->cells, r->cellcap, sizeof *r->cells);
		}
		for (unsigned i = 0; i < n; i++) {
			db_cell *cell = &r->cells[r->nrows * n + i];
			cell->null = cols[i].null;
			cell->off = r->data.len;
			cell->len = cols[i].null ? 0 : cols[i].len;
			if (cell->len)
				buf_append(&r->data, cols[i].data, cell->len);
			buf_append(&r->data, "", 1);
		}
		r->nrows++;
		if (rebind && mysql_stmt_bind_result(st, binds) != 0) {
			record_stmt_error(c, st);
			goto out;
		}
	}
	c->last_ok = now_mono();
	result = r;
	r = NULL;
out:
	mysql_stmt_free_result(st);
	if (meta != NULL)
		mysql_free_result(meta);
	if (cols != NULL)
		for (unsigned i = 0; i < n; i++)
			free(cols[i].data);
	free(cols);
	free(binds);
	db_rows_free(r);
	return result;
}

static db_rows *
vquery(db_conn *c, const char *sql, const char *fmt, va_list ap)
{
	MYSQL_STMT *st;

	clear_error(c);
	st = cached_statement(c, sql);
	if (st == NULL || execute(c, st, fmt, ap) != 0)
		return NULL;
	return fetch_all(c, st);
}

db_rows *
db_query(db_conn *c, const char *sql, const char *fmt, ...)
{
	va_list ap;
	db_rows *r;

	va_start(ap, fmt);
	r = vquery(c, sql, fmt, ap);
	va_end(ap);
	return r;
}

int
db_query_int(db_conn *c, int64_t *out, const char *sql, const char *fmt, ...)
{
	va_list ap;
	db_rows *r;
	int rc = 0;

	va_start(ap, fmt);
	r = vquery(c, sql, fmt, ap);
	va_end(ap);
	if (r == NULL)
		return -1;
	if (db_rows_next(r) == 1 && r->ncols > 0 && !db_rows_isnull(r, 0)) {
		*out = db_rows_int(r, 0);
		rc = 1;
	}
	db_rows_free(r);
	return rc;
}

int
db_rows_next(db_rows *r)
{
	if (r->cur >= r->nrows)
		return 0;
	r->cur++;
	return 1;
}

size_t
db_rows_count(const db_rows *r)
{
	return r->nrows;
}

unsigned
db_rows_ncols(const db_rows *r)
{
	return r->ncols;
}

static const db_cell *
cell_at(const db_rows *r, unsigned col)
{
	if (r->cur == 0 || r->cur > r->nrows || col >= r->ncols)
		return NULL;
	return &r->cells[(r->cur - 1) * r->ncols + col];
}

bool
db_rows_isnull(const db_rows *r, unsigned col)
{
	const db_cell *cell = cell_at(r, col);

	return cell == NULL || cell->null;
}

const char *
db_rows_str(const db_rows *r, unsigned col)
{
	const db_cell *cell = cell_at(r, col);

	if (cell == NULL || cell->null)
		return NULL;
	return r->data.data + cell->off;
}

const void *
db_rows_blob(const db_rows *r, unsigned col, size_t *len)
{
	const db_cell *cell = cell_at(r, col);

	*len = 0;
	if (cell == NULL || cell->null)
		return NULL;
	*len = cell->len;
	return r->data.data + cell->off;
}

int64_t
db_rows_int(const db_rows *r, unsigned col)
{
	const char *s = db_rows_str(r, col);
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	return (int64_t)v;
}

int
db_rows_date(const db_rows *r, unsigned col, date_t *out)
{
	const char *s = db_rows_str(r, col);
	char day[DATE_STR_LEN + 1];

	if (s == NULL || strlen(s) < DATE_STR_LEN)
		return -1;
	if (s[DATE_STR_LEN] != '\0' && s[DATE_STR_LEN] != ' ')
		return -1;
	memcpy(day, s, DATE_STR_LEN);
	day[DATE_STR_LEN] = '\0';
	return date_parse(day, out);
}

void
db_rows_free(db_rows *r)
{
	if (r == NULL)
		return;
	buf_free(&r->data);
	free(r->cells);
	free(r);
}

/* ------------------------------------------------------------------------
 * Transactions
 * --------------------------------------------------------------------- */

static bool
connected(db_conn *c)
{
	if (c->mysql == NULL || c->lost) {
		set_error(c, CR_SERVER_GONE_ERROR, "not connected to MariaDB (reconnect with db_ensure)");
		return false;
	}
	return true;
}

int
db_begin(db_conn *c)
{
	static const char sql[] = "START TRANSACTION";

	clear_error(c);
	if (!connected(c))
		return -1;
	/* Fixed text without values; the one statement not worth preparing. */
	if (mysql_real_query(c->mysql, sql, sizeof sql - 1) != 0) {
		record_mysql_error(c);
		return -1;
	}
	c->last_ok = now_mono();
	return 0;
}

int
db_commit(db_conn *c)
{
	clear_error(c);
	if (!connected(c))
		return -1;
	if (mysql_commit(c->mysql) != 0) {
		record_mysql_error(c);
		return -1;
	}
	c->last_ok = now_mono();
	return 0;
}

int
db_rollback(db_conn *c)
{
	if (c->mysql == NULL || c->lost)
		return -1;
	if (mysql_rollback(c->mysql) != 0) {
		unsigned code = mysql_errno(c->mysql);
		if (code_is_lost(code))
			c->lost = true;
		if (c->err_no == 0 && c->err[0] == '\0')
			record_mysql_error(c);
		return -1;
	}
	return 0;
}

/* Sleeps a few milliseconds, more with each attempt, never in lockstep
 * with the transaction it collided with. */
static void
retry_pause(int attempt)
{
	struct timespec ts;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ms = 1 + (long)((unsigned long)ts.tv_nsec % (unsigned long)(5 * attempt));
	ts.tv_sec = 0;
	ts.tv_nsec = ms * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
db_transaction(db_conn *c, int max_attempts, db_txn_fn fn, void *arg)
{
	for (int attempt = 1;; attempt++) {
		int r;

		if (db_begin(c) != 0)
			return -1;
		r = fn(c, arg);
		if (r == 0 && db_commit(c) == 0)
			return 0;
		db_rollback(c);
		if (r > 0)
			return r;
		if (!db_retryable(c) || attempt >= max_attempts)
			return -1;
		log_debug("transaction attempt %d failed (%u %s); retrying", attempt, c->err_no, c->err);
		retry_pause(attempt);
	}
}
