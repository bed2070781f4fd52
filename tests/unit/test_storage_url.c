/* Storage unit tests that need no server: database URLs (good and hostile),
 * the API key format, dealer ids, and migration splitting, ordering and
 * checksums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "storage/apikeys.h"
#include "storage/db.h"
#include "storage/dealers.h"
#include "storage/migrate.h"

/* ------------------------------------------------------------------------
 * Database URLs
 * --------------------------------------------------------------------- */

static void
assert_str_or_null(const char *got, const char *want)
{
	if (want == NULL)
		assert_null(got);
	else {
		assert_non_null(got);
		assert_string_equal(got, want);
	}
}

static void
expect_url(const char *url, const char *user, const char *password, const char *host,
    unsigned port, const char *database, const char *socket)
{
	db_params p;
	char err[256] = "";

	if (db_url_parse(url, &p, err, sizeof err) != 0)
		fail_msg("%s: %s", url, err);
	assert_str_or_null(p.user, user);
	assert_str_or_null(p.password, password);
	assert_str_or_null(p.host, host);
	assert_int_equal(p.port, port);
	assert_str_or_null(p.database, database);
	assert_str_or_null(p.socket, socket);
	db_params_free(&p);
	assert_null(p.user);
	assert_null(p.password);
}

static void
test_url_good(void **state)
{
	(void)state;
	expect_url("mariadb://user:password@host:3307/dbname", "user", "password", "host", 3307,
	    "dbname", NULL);
	expect_url("mariadb://user@localhost/dbname?socket=/path/to.sock", "user", NULL, "localhost",
	    0, "dbname", "/path/to.sock");
	expect_url("mysql://app:pw@db.example.com/contractd", "app", "pw", "db.example.com", 0,
	    "contractd", NULL);
	expect_url("MariaDB://u@h/d", "u", NULL, "h", 0, "d", NULL);
	/* Percent-decoding in user, password, database and socket. */
	expect_url("mariadb://us%40er:p%2Fw%3A%25%20x@h/db%2D1", "us@er", "p/w:% x", "h", 0, "db-1",
	    NULL);
	expect_url("mariadb://u@/db?socket=%2Frun%2Fmy%20sock", "u", NULL, NULL, 0, "db",
	    "/run/my sock");
	/* '@' and ':' in the password need no escaping. */
	expect_url("mariadb://u:p@ss:w@rd@h:1/db", "u", "p@ss:w@rd", "h", 1, "db", NULL);
	/* Empty password, no user, IPv6, the highest port. */
	expect_url("mariadb://u:@h/db", "u", "", "h", 0, "db", NULL);
	expect_url("mariadb://h/db", NULL, NULL, "h", 0, "db", NULL);
	expect_url("mariadb://[::1]:65535/db", NULL, NULL, "::1", 65535, "db", NULL);
	expect_url("mariadb://u@[fe80::1]/db", "u", NULL, "fe80::1", 0, "db", NULL);
	expect_url("mariadb://u@h/db?", "u", NULL, "h", 0, "db", NULL);
	expect_url("mariadb://u@h/db?&socket=/s&", "u", NULL, "h", 0, "db", "/s");
	expect_url("mariadb://u@h:03306/db", "u", NULL, "h", 3306, "db", NULL);
}

static void
expect_bad_url(const char *url, const char *secret)
{
	db_params p;
	char err[256] = "";

	if (db_url_parse(url, &p, err, sizeof err) == 0)
		fail_msg("accepted: %s", url ? url : "(null)");
	assert_true(err[0] != '\0');
	assert_null(p.user);
	assert_null(p.password);
	assert_null(p.host);
	assert_null(p.database);
	assert_null(p.socket);
	assert_int_equal(p.port, 0);
	if (secret != NULL && strstr(err, secret) != NULL)
		fail_msg("error for %s reveals the password: %s", url, err);
}

static void
test_url_hostile(void **state)
{
	char longurl[5000];

	(void)state;
	expect_bad_url(NULL, NULL);
	expect_bad_url("", NULL);
	expect_bad_url("postgres://u:p@h/db", NULL);
	expect_bad_url("mariadb:/h/db", NULL);
	expect_bad_url("mariadb://", NULL);
	expect_bad_url("mariadb://h", NULL);
	expect_bad_url("mariadb://h/", NULL);
	expect_bad_url("mariadb://h?socket=/s", NULL);
	/* Ports. */
	expect_bad_url("mariadb://h:0/db", NULL);
	expect_bad_url("mariadb://h:65536/db", NULL);
	expect_bad_url("mariadb://h:/db", NULL);
	expect_bad_url("mariadb://h:-1/db", NULL);
	expect_bad_url("mariadb://h:+1/db", NULL);
	expect_bad_url("mariadb://h:3306x/db", NULL);
	expect_bad_url("mariadb://h:003306/db", NULL);
	expect_bad_url("mariadb://h:99999999999999999999/db", NULL);
	/* Hosts. */
	expect_bad_url("mariadb://::1/db", NULL);
	expect_bad_url("mariadb://[::1/db", NULL);
	expect_bad_url("mariadb://[]/db", NULL);
	expect_bad_url("mariadb://[zz::1]/db", NULL);
	expect_bad_url("mariadb://[::1]x/db", NULL);
	expect_bad_url("mariadb://h%41/db", NULL);
	expect_bad_url("mariadb://h!/db", NULL);
	/* Users, passwords and escapes. */
	expect_bad_url("mariadb://@h/db", NULL);
	expect_bad_url("mariadb://:Zq9Secret@h/db", "Zq9Secret");
	expect_bad_url("mariadb://u%00x:p@h/db", NULL);
	expect_bad_url("mariadb://u:Zq9Secret%0a@h/db", "Zq9Secret");
	expect_bad_url("mariadb://u:Zq9Secret%zz@h/db", "Zq9Secret");
	expect_bad_url("mariadb://u:Zq9Secret%4@h/db", "Zq9Secret");
	expect_bad_url("mariadb://u:Zq9Secret%@h/db", "Zq9Secret");
	/* An unescaped '/' in a password ends the authority early; the
	 * message must not quote what follows. */
	expect_bad_url("mariadb://u:Zq9/Secret@h/db", "Zq9");
	expect_bad_url("mariadb://u:Zq9Secret@h:bad/db", "Zq9Secret");
	/* Spaces, controls, fragments. */
	expect_bad_url("mariadb://u:p@h/db name", NULL);
	expect_bad_url("mariadb://u:p@h/db\n", NULL);
	expect_bad_url("mariadb://u:p@h/db\x7f", NULL);
	expect_bad_url("mariadb://u:Zq9Secret@h/db#x", "Zq9Secret");
	/* Database names. */
	expect_bad_url("mariadb://h/db;drop", NULL);
	expect_bad_url("mariadb://h/db/x", NULL);
	expect_bad_url("mariadb://h/db%2Fx", NULL);
	expect_bad_url("mariadb://h/a.b", NULL);
	expect_bad_url("mariadb://h/`x`", NULL);
	expect_bad_url("mariadb://h/"
	    "a1234567890123456789012345678901234567890123456789012345678901234", NULL);
	expect_url("mariadb://h/"
	    "a123456789012345678901234567890123456789012345678901234567890123", NULL, NULL, "h", 0,
	    "a123456789012345678901234567890123456789012345678901234567890123", NULL);
	/* Parameters. */
	expect_bad_url("mariadb://h/db?sslmode=require", NULL);
	expect_bad_url("mariadb://h/db?socket", NULL);
	expect_bad_url("mariadb://h/db?socket=", NULL);
	expect_bad_url("mariadb://h/db?socket=relative.sock", NULL);
	expect_bad_url("mariadb://h/db?socket=/a&socket=/b", NULL);
	expect_bad_url("mariadb://h/db?sockets=/a", NULL);
	expect_bad_url("mariadb://h/db?socket=/a%00b", NULL);
	expect_bad_url("mariadb://h/db?socket=/"
	    "12345678901234567890123456789012345678901234567890"
	    "123456789012345678901234567890123456789012345678901234567", NULL); /* 108 bytes */
	/* Size. */
	memcpy(longurl, "mariadb://h/", 12);
	memset(longurl + 12, 'a', sizeof longurl - 13);
	longurl[sizeof longurl - 1] = '\0';
	expect_bad_url(longurl, NULL);
}

static void
test_params_describe_copy(void **state)
{
	db_params p, q;
	char err[256], out[256];

	(void)state;
	assert_int_equal(db_url_parse("mariadb://app:Zq9Secret@db.example:3310/cd", &p, err,
	    sizeof err), 0);
	db_params_describe(&p, out, sizeof out);
	assert_string_equal(out, "app@db.example:3310/cd");
	assert_null(strstr(out, "Zq9Secret"));
	db_params_copy(&q, &p);
	db_params_free(&p);
	assert_string_equal(q.password, "Zq9Secret");
	assert_string_equal(q.host, "db.example");
	db_params_free(&q);

	assert_int_equal(db_url_parse("mariadb://root@localhost/cd?socket=/run/m.sock", &p, err,
	    sizeof err), 0);
	assert_string_equal(db_params_describe(&p, out, sizeof out), "root@unix:/run/m.sock/cd");
	db_params_free(&p);
	assert_int_equal(db_url_parse("mariadb://[::1]/cd", &p, err, sizeof err), 0);
	assert_string_equal(db_params_describe(&p, out, sizeof out), "[::1]:3306/cd");
	db_params_free(&p);
	db_params_free(NULL);
}

/* ------------------------------------------------------------------------
 * API keys, roles and dealer ids
 * --------------------------------------------------------------------- */

#define ID12 "0123456789ab"
#define HEX40 "0123456789abcdef0123456789abcdef01234567"
#define HEX48 HEX40 "89abcdef"

static void
test_key_parse(void **state)
{
	char id[APIKEY_ID_LEN + 1], secret[APIKEY_SECRET_MAX + 1], big[300];

	(void)state;
	assert_int_equal(apikey_parse("cdk_" ID12 "_" HEX48, id, secret), 0);
	assert_string_equal(id, ID12);
	assert_string_equal(secret, HEX48);
	assert_int_equal(apikey_parse("cdk_" ID12 "_" HEX40, id, secret), 0);
	assert_string_equal(secret, HEX40);

	/* 128 hex digits are the most a secret may have. */
	snprintf(big, sizeof big, "cdk_" ID12 "_%s%s%s", HEX40 HEX40 HEX40, "01234567", "");
	assert_int_equal(strlen(big), 4 + 12 + 1 + 128);
	assert_int_equal(apikey_parse(big, id, secret), 0);
	strcat(big, "0");
	assert_int_equal(apikey_parse(big, id, secret), -1);

	assert_int_equal(apikey_parse(NULL, id, secret), -1);
	assert_int_equal(apikey_parse("", id, secret), -1);
	assert_int_equal(apikey_parse("cdk_", id, secret), -1);
	assert_int_equal(apikey_parse("cdk_" ID12, id, secret), -1);
	assert_int_equal(apikey_parse("cdk_" ID12 "_", id, secret), -1);
	assert_int_equal(apikey_parse("cdk_" ID12 "_" "0123456789abcdef0123456789abcdef0123456", id,
	    secret), -1); /* 39 */
	assert_int_equal(apikey_parse("CDK_" ID12 "_" HEX48, id, secret), -1);
	assert_int_equal(apikey_parse("cdx_" ID12 "_" HEX48, id, secret), -1);
	assert_int_equal(apikey_parse("cdk_0123456789AB_" HEX48, id, secret), -1);
	assert_int_equal(apikey_parse("cdk_0123456789a_" HEX48, id, secret), -1);
	assert_int_equal(apikey_parse("cdk_0123456789abc_" HEX48, id, secret), -1);
	assert_int_equal(apikey_parse("cdk_" ID12 HEX48, id, secret), -1);
	assert_int_equal(apikey_parse("cdk_" ID12 "-" HEX48, id, secret), -1);
	assert_int_equal(apikey_parse("cdk_" ID12 "_" HEX48 "\n", id, secret), -1);
	assert_int_equal(apikey_parse("cdk_" ID12 "_" HEX48 " ", id, secret), -1);
	assert_int_equal(apikey_parse("cdk_" ID12 "_" HEX40 "ABCDEF01", id, secret), -1);
	assert_int_equal(apikey_parse("cdk_" ID12 "_" HEX40 "g", id, secret), -1);
	assert_int_equal(apikey_parse(" cdk_" ID12 "_" HEX48, id, secret), -1);
	assert_int_equal(apikey_parse("Bearer cdk_" ID12 "_" HEX48, id, secret), -1);
}

static void
test_key_sizes(void **state)
{
	(void)state;
	/* What apikey_create makes fits what apikey_parse takes. */
	assert_true(APIKEY_SECRET_LEN >= APIKEY_SECRET_MIN);
	assert_true(APIKEY_SECRET_LEN <= APIKEY_SECRET_MAX);
	assert_true(APIKEY_SECRET_LEN * 4 >= 160);
	assert_int_equal(APIKEY_MAX_LEN, 4 + 12 + 1 + 128 + 1);
}

static void
test_roles(void **state)
{
	role r;

	(void)state;
	for (int i = ROLE_ADMIN; i <= ROLE_DEALER; i++) {
		assert_int_equal(role_parse(role_name((role)i), &r), 0);
		assert_int_equal(r, i);
	}
	assert_string_equal(role_name(ROLE_ADMIN), "admin");
	assert_string_equal(role_name(ROLE_FINANCE), "finance");
	assert_string_equal(role_name(ROLE_DEALER), "dealer");
	assert_int_equal(role_parse("Admin", &r), -1);
	assert_int_equal(role_parse("", &r), -1);
	assert_int_equal(role_parse("root", &r), -1);
	assert_int_equal(role_parse("admin ", &r), -1);
}

static void
test_dealer_ids(void **state)
{
	char id65[66];

	(void)state;
	assert_true(dealer_id_valid("D001"));
	assert_true(dealer_id_valid("acme.north_2-b"));
	assert_true(dealer_id_valid("x"));
	memset(id65, 'a', 64);
	id65[64] = '\0';
	assert_true(dealer_id_valid(id65));
	id65[64] = 'a';
	id65[65] = '\0';
	assert_false(dealer_id_valid(id65));
	assert_false(dealer_id_valid(""));
	assert_false(dealer_id_valid(NULL));
	assert_false(dealer_id_valid("a b"));
	assert_false(dealer_id_valid("a/b"));
	assert_false(dealer_id_valid("a'b"));
	assert_false(dealer_id_valid("caf\xc3\xa9"));
	assert_false(dealer_id_valid("a\n"));

	assert_true(dealer_name_valid("Autohaus M\xc3\xbcller GmbH"));
	assert_false(dealer_name_valid(""));
	assert_false(dealer_name_valid("tab\there"));
	assert_false(dealer_name_valid("esc\x1b[31m"));

	assert_true(dealer_auth_mode_valid("key"));
	assert_true(dealer_auth_mode_valid("cert"));
	assert_true(dealer_auth_mode_valid("both"));
	assert_false(dealer_auth_mode_valid("Key"));
	assert_false(dealer_auth_mode_valid("none"));
	assert_false(dealer_auth_mode_valid(NULL));
}

/* ------------------------------------------------------------------------
 * Migrations
 * --------------------------------------------------------------------- */

static size_t
split_ok(const char *sql, char ***stmts)
{
	size_t n = 0;
	char err[256] = "";

	if (migrate_split(sql, strlen(sql), stmts, &n, err, sizeof err) != 0)
		fail_msg("split failed: %s", err);
	return n;
}

static void
split_fails(const char *sql, size_t len, const char *want)
{
	char **stmts = NULL, err[256] = "";
	size_t n = 0;

	assert_int_equal(migrate_split(sql, len, &stmts, &n, err, sizeof err), -1);
	assert_null(stmts);
	assert_int_equal(n, 0);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not mention '%s'", err, want);
}

static void
test_split(void **state)
{
	char **s;
	size_t n;

	(void)state;
	n = split_ok("CREATE TABLE a (x INT);\nCREATE TABLE b (y INT);\n", &s);
	assert_int_equal(n, 2);
	assert_string_equal(s[0], "CREATE TABLE a (x INT)");
	assert_string_equal(s[1], "CREATE TABLE b (y INT)");
	migrate_free_statements(s, n);

	/* Multi-line statements, comments, blank lines, trailing blanks. */
	n = split_ok("-- a comment; with a semicolon;\n"
	    "\n"
	    "CREATE TABLE a (\n"
	    "\tx INT, -- inline comments stay\n"
	    "   -- whole-line comments go;\n"
	    "\ty INT\n"
	    ")  ;   \n"
	    "\n"
	    "  -- trailing comment\n"
	    "\n", &s);
	assert_int_equal(n, 1);
	assert_string_equal(s[0], "CREATE TABLE a (\n\tx INT, -- inline comments stay\n\ty INT\n)");
	migrate_free_statements(s, n);

	/* A ';' inside a line, even in a string, does not split. */
	n = split_ok("INSERT INTO t VALUES ('a;b'); INSERT INTO t VALUES ('c')\n;\n", &s);
	assert_int_equal(n, 1);
	assert_string_equal(s[0], "INSERT INTO t VALUES ('a;b'); INSERT INTO t VALUES ('c')");
	migrate_free_statements(s, n);

	/* CRLF line ends, no final newline, empty statements. */
	n = split_ok("SELECT 1;\r\n;\r\nSELECT 2;", &s);
	assert_int_equal(n, 2);
	assert_string_equal(s[0], "SELECT 1");
	assert_string_equal(s[1], "SELECT 2");
	migrate_free_statements(s, n);

	n = split_ok("", &s);
	assert_int_equal(n, 0);
	migrate_free_statements(s, n);
	n = split_ok("-- only a comment\n\n", &s);
	assert_int_equal(n, 0);
	migrate_free_statements(s, n);

	split_fails("SELECT 1;\nSELECT 2\n", 19, "line 2");
	split_fails("SELECT 1;\n\n\nCREATE TABLE x (\n  a INT\n)\n-- done\n", 45, "line 4");
	split_fails("SELECT 1; -- trailing\n", 22, "line 1");
	split_fails("SELECT 1;\nSELECT\0 2;\n", 21, "NUL");
}

static void
test_check_list(void **state)
{
	static const migration good[] = {
		{ 1, "0001_initial", "SELECT 1;", 9 },
		{ 2, "0002_more", "SELECT 2;", 9 },
		{ 3, "0003_x", "SELECT 3;", 9 },
	};
	static const migration gap[] = {
		{ 1, "0001_initial", "", 0 },
		{ 3, "0003_x", "", 0 },
	};
	static const migration order[] = {
		{ 2, "0002_more", "", 0 },
		{ 1, "0001_initial", "", 0 },
	};
	static const migration badname[] = {
		{ 1, "0002_initial", "", 0 },
	};
	static const migration noname[] = {
		{ 1, "0001_", "", 0 },
	};
	char err[256];

	(void)state;
	assert_int_equal(migrate_check_list(good, 3, err, sizeof err), 0);
	assert_int_equal(migrate_check_list(good, 0, err, sizeof err), 0);
	assert_int_equal(migrate_check_list(gap, 2, err, sizeof err), -1);
	assert_non_null(strstr(err, "0003_x"));
	assert_int_equal(migrate_check_list(order, 2, err, sizeof err), -1);
	assert_int_equal(migrate_check_list(badname, 1, err, sizeof err), -1);
	assert_int_equal(migrate_check_list(noname, 1, err, sizeof err), -1);
}

static void
test_builtin(void **state)
{
	const migration *list;
	char err[256], sum[65], want[65];
	size_t n;

	(void)state;
	list = migrate_builtin(&n);
	assert_true(n >= 1);
	assert_int_equal(migrate_check_list(list, n, err, sizeof err), 0);
	assert_string_equal(list[0].name, "0001_initial");
	for (size_t i = 0; i < n; i++) {
		char **s;
		size_t ns = 0;

		assert_int_equal(strlen(list[i].sql), list[i].len);
		if (migrate_split(list[i].sql, list[i].len, &s, &ns, err, sizeof err) != 0)
			fail_msg("%s: %s", list[i].name, err);
		assert_true(ns >= 1);
		migrate_free_statements(s, ns);

		migrate_checksum(&list[i], sum);
		sha256_hex(list[i].sql, list[i].len, want);
		assert_string_equal(sum, want);
		assert_int_equal(strlen(sum), 64);
	}
	/* 0001 creates the four tables, in an order the foreign keys accept. */
	{
		char **s;
		size_t ns = 0;
		assert_int_equal(migrate_split(list[0].sql, list[0].len, &s, &ns, err, sizeof err), 0);
		assert_int_equal(ns, 4);
		assert_non_null(strstr(s[0], "CREATE TABLE IF NOT EXISTS dealers"));
		assert_non_null(strstr(s[1], "CREATE TABLE IF NOT EXISTS api_keys"));
		assert_non_null(strstr(s[2], "CREATE TABLE IF NOT EXISTS audit_log"));
		assert_non_null(strstr(s[3], "CREATE TABLE IF NOT EXISTS idempotency_keys"));
		migrate_free_statements(s, ns);
	}
}

static void
test_checksum_changes(void **state)
{
	migration a = { 1, "0001_x", "CREATE TABLE t (x INT);\n", 24 };
	migration b = { 1, "0001_x", "CREATE TABLE t (x INT);\n\n", 25 };
	migration c = { 1, "0001_y", "CREATE TABLE t (x INT);\n", 24 };
	char sa[65], sb[65], sc[65];

	(void)state;
	migrate_checksum(&a, sa);
	migrate_checksum(&b, sb);
	migrate_checksum(&c, sc);
	/* Any byte changes it; the name does not. */
	assert_string_not_equal(sa, sb);
	assert_string_equal(sa, sc);
	/* printf 'CREATE TABLE t (x INT);\n' | sha256sum */
	assert_string_equal(sa, "fcd536be2204618b0c6834d8e690016ff6c569912e2d400c212f64538960261a");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_good),
		cmocka_unit_test(test_url_hostile),
		cmocka_unit_test(test_params_describe_copy),
		cmocka_unit_test(test_key_parse),
		cmocka_unit_test(test_key_sizes),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_dealer_ids),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_check_list),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_checksum_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
