/* insert-rate — the database's own pace, the reference of the registration
 * benchmark: N threads, each with its own connection, each committing
 * single-row INSERTs (autocommit, a prepared statement) into a scratch
 * table for a fixed time; prints transactions per second, the commit
 * latency and the errors.
 *
 *   insert-rate [-S SOCKET | -H HOST [-P PORT]] [-u USER] [-p PASSWORD]
 *               [-D DATABASE] [-c CONNECTIONS] [-d SECONDS] [-k] [-r]
 *
 * The scratch table DATABASE.insert_rate_scratch (database "cdbench" by
 * default, created if missing) is created empty at the start and dropped at
 * the end (-k keeps it). The output is "result KEY VALUE" lines, read by
 * bench-documents.sh and by people alike.
 *
 * -r (hot row): each transaction first increments the one row of a second
 * scratch table, insert_rate_counter, then INSERTs its row and commits —
 * the shape of a gap-free numbering counter, whose row lock every
 * transaction holds from its UPDATE to its commit. The reference of
 * bench-claims.sh: how many such transactions the database itself commits.
 *
 * Built on demand, not by make: make -C BUILDDIR tests/bench/insert-rate. */
#include <errno.h>
#include <mysql.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TABLE "insert_rate_scratch"
#define COUNTER "insert_rate_counter"
#define MAX_CONNECTIONS 1024
#define MAX_SECONDS 3600

static struct {
	const char *socket, *host, *user, *password, *database;
	unsigned int port;
	int connections, seconds, keep, hot;
} opt = { .database = "cdbench", .connections = 32, .seconds = 10 };

typedef struct {
	int id;
	pthread_t thread;
	MYSQL *db;
	uint64_t end_us;
	uint32_t *lat_us;        /* each commit's latency, in microseconds */
	size_t n, cap;
	unsigned long errors;
	char first_error[256];
	uint64_t finished_us;
} worker;

static pthread_barrier_t start_line;
static uint64_t start_us;

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		fprintf(stderr, "insert-rate: out of memory\n");
		exit(1);
	}
	return p;
}

/* A connection to the database server (and to DATABASE when use_db), or
 * NULL after printing why. */
static MYSQL *
connect_db(int use_db)
{
	MYSQL *db = mysql_init(NULL);
	unsigned int timeout = 10;

	if (db == NULL) {
		fprintf(stderr, "insert-rate: mysql_init failed\n");
		return NULL;
	}
	mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (mysql_real_connect(db, opt.socket ? "localhost" : opt.host, opt.user, opt.password,
	    use_db ? opt.database : NULL, opt.port, opt.socket, 0) == NULL) {
		fprintf(stderr, "insert-rate: cannot connect to %s: %s\n",
		    opt.socket ? opt.socket : opt.host, mysql_error(db));
		mysql_close(db);
		return NULL;
	}
	return db;
}

static int
run_sql(MYSQL *db, const char *sql)
{
	if (mysql_query(db, sql) != 0) {
		fprintf(stderr, "insert-rate: %s: %s\n", sql, mysql_error(db));
		return -1;
	}
	return 0;
}

/* Creates the database if needed and the scratch table afresh. */
static int
prepare_table(void)
{
	MYSQL *db = connect_db(0);
	char sql[512];
	int rc = -1;

	if (db == NULL)
		return -1;
	snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS `%s`", opt.database);
	if (run_sql(db, sql) != 0)
		goto out;
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS `%s`." TABLE, opt.database);
	if (run_sql(db, sql) != 0)
		goto out;
	snprintf(sql, sizeof sql,
	    "CREATE TABLE `%s`." TABLE " ("
	    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
	    " thread INT NOT NULL,"
	    " seq BIGINT NOT NULL,"
	    " payload VARCHAR(255) NOT NULL,"
	    " created TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
	    ") ENGINE=InnoDB", opt.database);
	if ((rc = run_sql(db, sql)) != 0 || !opt.hot)
		goto out;
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS `%s`." COUNTER, opt.database);
	if ((rc = run_sql(db, sql)) != 0)
		goto out;
	snprintf(sql, sizeof sql, "CREATE TABLE `%s`." COUNTER " (id INT NOT NULL PRIMARY KEY,"
	    " next_seq BIGINT NOT NULL) ENGINE=InnoDB", opt.database);
	if ((rc = run_sql(db, sql)) != 0)
		goto out;
	snprintf(sql, sizeof sql, "INSERT INTO `%s`." COUNTER " VALUES (1, 1)", opt.database);
	rc = run_sql(db, sql);
out:
	mysql_close(db);
	return rc;
}

static void
drop_table(void)
{
	MYSQL *db = connect_db(0);
	char sql[256];

	if (db == NULL)
		return;
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS `%s`." TABLE, opt.database);
	run_sql(db, sql);
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS `%s`." COUNTER, opt.database);
	run_sql(db, sql);
	mysql_close(db);
}

static void
note_error(worker *w, const char *what, const char *msg)
{
	if (w->errors++ == 0)
		snprintf(w->first_error, sizeof w->first_error, "%s: %s", what, msg);
}

/* One thread: INSERT, commit (autocommit), repeat until end_us; with -r,
 * UPDATE the counter row, INSERT, commit. The connection is made before
 * the start line, so connecting is not timed. */
static void *
worker_main(void *arg)
{
	worker *w = arg;
	const char *sql = "INSERT INTO " TABLE " (thread, seq, payload) VALUES (?, ?, ?)";
	const char *bump = "UPDATE " COUNTER " SET next_seq = next_seq + 1 WHERE id = 1";
	MYSQL_STMT *stmt = mysql_stmt_init(w->db);
	MYSQL_STMT *hot = NULL;
	MYSQL_BIND bind[3];
	int thread_id = w->id;
	long long seq = 0;
	char payload[96];
	unsigned long payload_len;
	int ok = stmt != NULL && mysql_stmt_prepare(stmt, sql, strlen(sql)) == 0;

	if (!ok)
		note_error(w, "prepare", stmt ? mysql_stmt_error(stmt) : mysql_error(w->db));
	memset(bind, 0, sizeof bind);
	bind[0].buffer_type = MYSQL_TYPE_LONG;
	bind[0].buffer = &thread_id;
	bind[1].buffer_type = MYSQL_TYPE_LONGLONG;
	bind[1].buffer = &seq;
	bind[2].buffer_type = MYSQL_TYPE_STRING;
	bind[2].buffer = payload;
	bind[2].length = &payload_len;
	if (ok && mysql_stmt_bind_param(stmt, bind) != 0) {
		note_error(w, "bind", mysql_stmt_error(stmt));
		ok = 0;
	}
	if (ok && opt.hot) {
		hot = mysql_stmt_init(w->db);
		if (hot == NULL || mysql_stmt_prepare(hot, bump, strlen(bump)) != 0) {
			note_error(w, "prepare", hot ? mysql_stmt_error(hot) : mysql_error(w->db));
			ok = 0;
		}
	}

	pthread_barrier_wait(&start_line);
	while (ok) {
		uint64_t t0 = now_us();
		if (t0 >= w->end_us)
			break;
		seq++;
		int len = snprintf(payload, sizeof payload,
		    "thread %d row %lld: a row about the size of a small business record", thread_id, seq);
		payload_len = len < 0 ? 0 : len >= (int)sizeof payload ? sizeof payload - 1 : (unsigned long)len;
		if (hot != NULL && mysql_stmt_execute(hot) != 0) {
			unsigned int e = mysql_stmt_errno(hot);
			note_error(w, "update", mysql_stmt_error(hot));
			mysql_rollback(w->db);
			if (e == 2006 || e == 2013)
				break;
			continue;
		}
		if (mysql_stmt_execute(stmt) != 0) {
			unsigned int e = mysql_stmt_errno(stmt);
			note_error(w, "insert", mysql_stmt_error(stmt));
			if (hot != NULL)
				mysql_rollback(w->db);
			/* A lost connection does not come back: this thread is done. */
			if (e == 2006 || e == 2013)
				break;
			continue;
		}
		if (hot != NULL && mysql_commit(w->db) != 0) {
			unsigned int e = mysql_errno(w->db);
			note_error(w, "commit", mysql_error(w->db));
			if (e == 2006 || e == 2013)
				break;
			continue;
		}
		if (w->n == w->cap) {
			w->cap = w->cap ? 2 * w->cap : 4096;
			w->lat_us = xrealloc(w->lat_us, w->cap * sizeof *w->lat_us);
		}
		uint64_t dt = now_us() - t0;
		w->lat_us[w->n++] = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
	}
	w->finished_us = now_us();
	if (hot)
		mysql_stmt_close(hot);
	if (stmt)
		mysql_stmt_close(stmt);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double
percentile_ms(const uint32_t *sorted, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return sorted[i] / 1000.0;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: insert-rate [-S SOCKET | -H HOST [-P PORT]] [-u USER] [-p PASSWORD]\n"
	    "                   [-D DATABASE] [-c CONNECTIONS] [-d SECONDS] [-k] [-r]\n");
}

static int
int_arg(const char *s, int lo, int hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "insert-rate: %s must be a whole number from %d to %d\n", what, lo, hi);
		exit(2);
	}
	return (int)v;
}

int
main(int argc, char **argv)
{
	worker *workers = NULL;
	int c, rc = 1, started = 0, created = 0;

	while ((c = getopt(argc, argv, "S:H:P:u:p:D:c:d:krh")) != -1) {
		switch (c) {
		case 'S': opt.socket = optarg; break;
		case 'H': opt.host = optarg; break;
		case 'P': opt.port = (unsigned int)int_arg(optarg, 1, 65535, "-P"); break;
		case 'u': opt.user = optarg; break;
		case 'p': opt.password = optarg; break;
		case 'D': opt.database = optarg; break;
		case 'c': opt.connections = int_arg(optarg, 1, MAX_CONNECTIONS, "-c"); break;
		case 'd': opt.seconds = int_arg(optarg, 1, MAX_SECONDS, "-d"); break;
		case 'k': opt.keep = 1; break;
		case 'r': opt.hot = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (opt.socket == NULL) == (opt.host == NULL)) {
		usage(stderr);
		return 2;
	}
	if (strchr(opt.database, '`') != NULL) {
		fprintf(stderr, "insert-rate: a database name with a backquote is not supported\n");
		return 2;
	}
	if (mysql_library_init(0, NULL, NULL) != 0) {
		fprintf(stderr, "insert-rate: mysql_library_init failed\n");
		return 1;
	}
	if (prepare_table() != 0)
		goto out;
	created = 1;

	workers = calloc((size_t)opt.connections, sizeof *workers);
	if (workers == NULL)
		goto out;
	for (int i = 0; i < opt.connections; i++) {
		workers[i].id = i;
		if ((workers[i].db = connect_db(1)) == NULL)
			goto out;
		mysql_autocommit(workers[i].db, opt.hot ? 0 : 1);
	}
	pthread_barrier_init(&start_line, NULL, (unsigned int)opt.connections + 1);
	for (int i = 0; i < opt.connections; i++) {
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
			fprintf(stderr, "insert-rate: cannot start thread %d\n", i);
			exit(1);   /* the others wait at the barrier: nothing to unwind */
		}
	}
	started = 1;
	start_us = now_us();
	for (int i = 0; i < opt.connections; i++)
		workers[i].end_us = start_us + (uint64_t)opt.seconds * 1000000u;
	pthread_barrier_wait(&start_line);

	uint64_t last = start_us;
	size_t total = 0;
	unsigned long errors = 0;
	const char *first_error = NULL;
	for (int i = 0; i < opt.connections; i++) {
		pthread_join(workers[i].thread, NULL);
		if (workers[i].finished_us > last)
			last = workers[i].finished_us;
		total += workers[i].n;
		errors += workers[i].errors;
		if (first_error == NULL && workers[i].errors)
			first_error = workers[i].first_error;
	}
	uint32_t *all = malloc((total ? total : 1) * sizeof *all);
	if (all == NULL)
		goto out;
	size_t k = 0;
	for (int i = 0; i < opt.connections; i++) {
		memcpy(all + k, workers[i].lat_us, workers[i].n * sizeof *all);
		k += workers[i].n;
	}
	qsort(all, total, sizeof *all, cmp_u32);
	double seconds = (double)(last - start_us) / 1e6;

	printf("result connections %d\n", opt.connections);
	printf("result mode %s\n", opt.hot ? "hot-row" : "insert");
	printf("result transactions %zu\n", total);
	printf("result seconds %.3f\n", seconds);
	printf("result tx_per_s %.1f\n", seconds > 0 ? (double)total / seconds : 0.0);
	printf("result p50_ms %.2f\n", percentile_ms(all, total, 50));
	printf("result p99_ms %.2f\n", percentile_ms(all, total, 99));
	printf("result max_ms %.2f\n", total ? all[total - 1] / 1000.0 : 0.0);
	printf("result errors %lu\n", errors);
	if (first_error)
		printf("sample %s\n", first_error);
	free(all);
	rc = errors ? 3 : 0;
out:
	if (workers) {
		for (int i = 0; i < opt.connections; i++) {
			if (workers[i].db)
				mysql_close(workers[i].db);
			free(workers[i].lat_us);
		}
		free(workers);
	}
	if (started)
		pthread_barrier_destroy(&start_line);
	if (created && !opt.keep)
		drop_table();
	mysql_library_end();
	return rc;
}
