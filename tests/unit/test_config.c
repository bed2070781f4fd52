/* Unit tests for contractd.conf parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

static char path[64];

/* Writes text to a temporary file and loads it; err gets any message. */
static config *
load_text(const char *text, char *err, size_t errlen)
{
	snprintf(path, sizeof path, "/tmp/cd-test-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	config *c = config_load(path, err, errlen);
	unlink(path);
	return c;
}

static void
defaults_are_safe(void **state)
{
	config *c = config_new_defaults();

	assert_string_equal(c->listen_host, "127.0.0.1");
	assert_int_equal(c->listen_port, 8080);
	assert_null(c->db_url);
	assert_null(c->tls_cert);
	assert_true(c->max_body > 0);
	assert_int_equal(c->nplugins, 0);
	config_free(c);
}

static void
full_file_is_read(void **state)
{
	char err[256] = "";
	config *c = load_text(
	    "# comment\n"
	    "; another\n"
	    "[server]\n"
	    "listen = [::1]:9443\n"
	    "threads = 4\n"
	    "workers = 16\n"
	    "state_dir = /var/tmp/cd\n"
	    "max_body = 2048\n"
	    "log_level = debug\n"
	    "\n"
	    "[database]\n"
	    "url = mariadb://u:p@db:3306/contractd\n"
	    "[plugins]\n"
	    "dir = /opt/plugins\n"
	    "[plugin  pricing-percent ]\n"
	    "file = pricing-percent.so\n"
	    "rate.tv = 0.07\n"
	    "[seller]\n"
	    "name = ACME Warranty GmbH\n",
	    err, sizeof err);

	assert_non_null(c);
	assert_string_equal(c->listen_host, "::1");
	assert_int_equal(c->listen_port, 9443);
	assert_int_equal(c->http_threads, 4);
	assert_int_equal(c->workers, 16);
	assert_string_equal(c->state_dir, "/var/tmp/cd");
	assert_int_equal(c->max_body, 2048);
	assert_int_equal(c->log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(c->db_url, "mariadb://u:p@db:3306/contractd");
	assert_string_equal(c->plugin_dir, "/opt/plugins");
	assert_int_equal(c->nplugins, 1);
	assert_string_equal(c->plugins[0].name, "pricing-percent");
	assert_string_equal(c->plugins[0].file, "pricing-percent.so");
	assert_int_equal(c->plugins[0].nparams, 1);
	assert_string_equal(c->plugins[0].params[0].key, "rate.tv");
	assert_string_equal(c->plugins[0].params[0].value, "0.07");
	assert_string_equal(config_get(c, "seller", "name"), "ACME Warranty GmbH");
	assert_null(config_get(c, "seller", "vat"));
	config_free(c);
}

static void
relative_paths_resolve_against_the_file(void **state)
{
	char err[256] = "";
	config *c = load_text("[server]\nstate_dir = state\n", err, sizeof err);

	assert_non_null(c);
	assert_string_equal(c->state_dir, "/tmp/state");
	config_free(c);
}

/* Each malformed file is refused with a message naming line and key. */
static void
bad_files_are_refused_with_the_line(void **state)
{
	static const struct {
		const char *text;
		const char *expect;
	} cases[] = {
		{ "[server]\nlisten = nowhere\n", ":2: invalid value for server.listen" },
		{ "[server]\nlisten = 127.0.0.1:70000\n", ":2: invalid value" },
		{ "[server]\nworkers = 0\n", ":2: invalid value for server.workers" },
		{ "[server]\nworkers = 12abc\n", ":2: invalid value" },
		{ "[server]\nlog_level = loud\n", "invalid value for server.log_level" },
		{ "[server]\nlisten_port = 1\n", ":2: unknown key 'listen_port' in [server]" },
		{ "listen = 1\n", ":1: key outside any [section]" },
		{ "[server\n", ":1: malformed section header" },
		{ "[server]\njust words\n", ":2: expected key = value" },
		{ "[plugin ]\nfile = x.so\n", "plugin section needs a name" },
		{ "[plugin p]\nrate = 1\n", "[plugin p] has no 'file'" },
		{ "[server]\ntls_cert = a.pem\n", "tls_cert and tls_key must be set together" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[256] = "";
		config *c = load_text(cases[i].text, err, sizeof err);
		if (c != NULL || strstr(err, cases[i].expect) == NULL)
			fail_msg("case %zu: got '%s', expected it to contain '%s'", i, err, cases[i].expect);
	}
}

static void
missing_file_names_the_file(void **state)
{
	char err[256] = "";

	assert_null(config_load("/nonexistent/contractd.conf", err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent/contractd.conf"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_safe),
		cmocka_unit_test(full_file_is_read),
		cmocka_unit_test(relative_paths_resolve_against_the_file),
		cmocka_unit_test(bad_files_are_refused_with_the_line),
		cmocka_unit_test(missing_file_names_the_file),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
