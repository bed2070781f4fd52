/* test_plugin_host — the plugin host and registry against real plugins.
 *
 * The plugins are built from tests/plugins/ (and plugins/, docs/examples/)
 * as shared modules; CD_BUILDDIR (set by `make check`) says where the build
 * tree is. Each deliberately broken plugin must be refused with its reason
 * and leave nothing loaded; the good ones load, price through the host
 * services, and live exactly as long as the generations holding them. */
#include "plugin/host.h"
#include "plugin/registry.h"
#include "base/crypto.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *tmpdir;     /* per run, removed at the end */
static FILE *log_file;   /* what the host and plugins log, per test */

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static const char *
builddir(void)
{
	const char *d = getenv("CD_BUILDDIR");

	return d != NULL && d[0] != '\0' ? d : ".";
}

/* The path of a test plugin; the caller frees it. */
static char *
test_plugin(const char *name)
{
	return xasprintf("%s/tests/plugins/.libs/%s.so", builddir(), name);
}

/* True if the shared object at path is mapped in this process. */
static bool
is_loaded(const char *path)
{
	char *real = realpath(path, NULL);
	void *h;

	if (real == NULL)
		return false;
	h = dlopen(real, RTLD_NOW | RTLD_NOLOAD);
	free(real);
	if (h == NULL)
		return false;
	dlclose(h);
	return true;
}

/* Everything logged since the test started; the caller frees it. */
static char *
logged(void)
{
	long n;
	char *s;

	fflush(log_file);
	n = ftell(log_file);
	s = xcalloc(1, (size_t)n + 1);
	rewind(log_file);
	if (n > 0 && fread(s, 1, (size_t)n, log_file) != (size_t)n)
		fail_msg("cannot read the log back");
	fseek(log_file, 0, SEEK_END);
	return s;
}

static int
count_in(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static int
log_count(const char *needle)
{
	char *s = logged();
	int n = count_in(s, needle);

	free(s);
	return n;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void
copy_file(const char *from, const char *to)
{
	char buf[8192];
	size_t n;
	FILE *in = fopen(from, "rb"), *out;
	char *tmp = xasprintf("%s.new", to);

	assert_non_null(in);
	out = fopen(tmp, "wb");
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	/* rename, as install(1) and package managers replace files */
	assert_int_equal(rename(tmp, to), 0);
	free(tmp);
}

/* Loads a configuration from text (with @PLUGINS@ replaced by the test
 * plugin directory); the caller frees it. */
static config *
conf(const char *text)
{
	char *dir = xasprintf("%s/tests/plugins/.libs", builddir());
	char *path = xasprintf("%s/test.conf", tmpdir), err[512];
	const char *at = strstr(text, "@PLUGINS@");
	char *body;
	config *cfg;

	if (at != NULL)
		body = xasprintf("%.*s%s%s", (int)(at - text), text, dir, at + 9);
	else
		body = xstrdup(text);
	write_file(path, body);
	cfg = config_load(path, err, sizeof err);
	if (cfg == NULL)
		fail_msg("config: %s", err);
	free(body);
	free(path);
	free(dir);
	return cfg;
}

static loaded_plugin *
load(const char *path, const char *name, const config_kv *params, size_t n, char *err,
    size_t errlen)
{
	plugin_spec spec = {
		.path = path,
		.name = name,
		.params = params,
		.nparams = n,
		.config_dir = "/etc/contractd",
	};

	err[0] = '\0';
	return plugin_load(&spec, err, errlen);
}

static cd_pricing_request
pricing_request(int64_t price, const char *currency)
{
	cd_pricing_request req = {
		.struct_size = sizeof req,
		.currency = currency,
		.plan_code = "GOLD-36",
		.dealer_id = "D001",
		.product_category = "appliance",
		.model = "WM-9000",
		.purchase_price = price,
		.purchase_date = { "2026-01-15" },
		.quote_date = { "2026-03-01" },
		.asset_age_months = 1,
		.term_months = 36,
	};

	return req;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
group_setup(void **state)
{
	char tmpl[] = "/tmp/cd-plugin-test-XXXXXX";

	(void)state;
	if (mkdtemp(tmpl) == NULL)
		return -1;
	tmpdir = xstrdup(tmpl);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmpdir);
	return 0;
}

static int
test_setup(void **state)
{
	(void)state;
	log_file = tmpfile();
	if (log_file == NULL)
		return -1;
	log_setup(LOG_LEVEL_DEBUG, log_file);
	return 0;
}

static int
test_teardown(void **state)
{
	(void)state;
	log_setup(LOG_LEVEL_DEBUG, NULL);
	fclose(log_file);
	log_file = NULL;
	return 0;
}

/* ------------------------------------------------------------------------
 * Refusals: one broken plugin each, with its reason
 * ------------------------------------------------------------------------ */

typedef struct refusal {
	const char *test;
	const char *plugin;     /* under tests/plugins/.libs/, without .so */
	const char *reason[3];  /* substrings the message must hold */
} refusal;

#define R(name, ...) { "refuses " name, name, { __VA_ARGS__ } }
static const refusal refusals[] = {
	R("does-not-exist", "cannot open: No such file or directory"),
	R("unresolved-symbol", "cannot load: ",
	    "undefined symbol: cd_symbol_nobody_defines"),
	R("no-entry", "does not export contractd_plugin_entry(): not a contractd plugin"),
	R("null-entry", "contractd_plugin_entry() returned NULL instead of a descriptor"),
	R("bad-magic", "bad magic 0x12345678 in its descriptor (expected 0x43445047)"),
	R("bad-abi-major", "built for ABI 2.0, this contractd speaks 1.x: "
	    "rebuild against this contractd's SDK"),
	R("newer-abi-minor", "built for ABI 1.1, newer than this contractd's 1.0: "
	    "upgrade contractd"),
	R("small-descriptor", "descriptor is 12 bytes, smaller than ABI 1.0's",
	    "CD_PLUGIN_DESCRIPTOR_HEADER"),
	R("bad-kind", "unknown plugin kind 42"),
	R("no-name", "descriptor has no name"),
	R("no-version", "descriptor of 'no-version' has no version"),
	R("no-ops", "pricing plugin has no operations table (ops.pricing is NULL)"),
	R("small-ops", "pricing operations table is 0 bytes, smaller than ABI 1.0's",
	    "CD_OPS_HEADER(cd_pricing_ops)"),
	R("no-quote", "pricing plugin does not implement quote, "
	    "which every pricing plugin must"),
	R("init-fails", "init of init-fails 1.0.0 failed (CD_ERR_CONFIG): ",
	    "rate table /etc/contractd/rates.csv not found"),
};
#undef R

static void
test_refusal(void **state)
{
	const refusal *r = *state;
	config_kv params[] = { { "table", "rates.csv" } };
	char *path = test_plugin(r->plugin), *prefix = xasprintf("plugin %s: ", path);
	char err[1024];
	loaded_plugin *p;

	p = load(path, NULL, params, 1, err, sizeof err);
	assert_null(p);
	/* The message names the file first, then says which check and why. */
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("message does not start with '%s': %s", prefix, err);
	for (int i = 0; i < 3 && r->reason[i] != NULL; i++)
		if (strstr(err, r->reason[i]) == NULL)
			fail_msg("message lacks '%s': %s", r->reason[i], err);
	/* Nothing of a refused plugin stays loaded. */
	assert_false(is_loaded(path));
	free(prefix);
	free(path);
}

static void
test_refuse_not_elf(void **state)
{
	char *path = xasprintf("%s/not-a-plugin.so", tmpdir), err[1024];

	(void)state;
	write_file(path, "this is text, not a shared object\n");
	assert_null(load(path, NULL, NULL, 0, err, sizeof err));
	assert_non_null(strstr(err, "not-a-plugin.so: cannot load: "));
	free(path);
}

static void
test_refuse_directory(void **state)
{
	char err[1024];

	(void)state;
	assert_null(load(tmpdir, NULL, NULL, 0, err, sizeof err));
	assert_non_null(strstr(err, "not a regular file"));
}

static void
test_refuse_bad_cache_dir(void **state)
{
	char *path = test_plugin("good-pricing"), err[1024];
	config_kv params[] = { { "percent", "5" } };
	plugin_spec spec = { .path = path, .params = params, .nparams = 1,
		.cache_dir = "/proc/no/such/dir" };

	(void)state;
	assert_null(plugin_load(&spec, err, sizeof err));
	assert_non_null(strstr(err, "cannot create plugin cache directory /proc/no/such/dir"));
	assert_false(is_loaded(path));
	free(path);
}

/* ------------------------------------------------------------------------
 * A good plugin: descriptor, services, quoting
 * ------------------------------------------------------------------------ */

static void
test_good_plugin(void **state)
{
	config_kv params[] = { { "percent", "7.5" }, { "max_age_months", "24" } };
	char *path = test_plugin("good-pricing"), err[1024], hash[SHA256_HEX_LEN + 1];
	cd_pricing_request req = pricing_request(99999, "EUR");
	cd_pricing_result res;
	unsigned char *bytes;
	loaded_plugin *p;
	FILE *f;
	long n;

	(void)state;
	p = load(path, "percent", params, 2, err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);

	/* The descriptor as the plugin reports it, and the instance as configured. */
	assert_string_equal(p->desc->name, "good-pricing");
	assert_string_equal(p->desc->version, "1.2.3");
	assert_int_equal(p->desc->kind, CD_PLUGIN_PRICING);
	assert_string_equal(plugin_kind_name(p->desc->kind), "pricing");
	assert_string_equal(p->desc->description, "test plugin: a percent of the purchase price");
	assert_string_equal(p->ctx.name, "percent");
	assert_int_equal(p->path[0], '/');
	assert_true(is_loaded(path));

	/* The hash is of the file's bytes. */
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	bytes = xmalloc((size_t)n);
	assert_int_equal(fread(bytes, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	sha256_hex(bytes, (size_t)n, hash);
	free(bytes);
	assert_string_equal(p->sha256, hash);

	/* 7.5% of 999.99 = 74.99925, half up: 75.00 */
	assert_int_equal(plugin_quote(p, &req, &res, err, sizeof err), CD_OK);
	assert_int_equal(res.retail_price, 7500);
	assert_int_equal(res.dealer_cost, 7500);
	assert_int_equal(res.struct_size, sizeof res);
	assert_string_equal(res.explanation, "7.5% of 999.99 EUR");

	/* The plugin's errors come back with its own message. */
	req.purchase_price = 0;
	assert_int_equal(plugin_quote(p, &req, &res, err, sizeof err), CD_ERR_INVALID);
	assert_string_equal(err, "purchase price must be positive");
	req.purchase_price = 1000;
	req.asset_age_months = 30;
	assert_int_equal(plugin_quote(p, &req, &res, err, sizeof err), CD_ERR_UNSUPPORTED);
	assert_string_equal(err, "asset is 30 months old, this plan takes at most 24");

	/* The wrong kind of call is the host's refusal, not a crash. */
	{
		cd_billing_request breq = { .currency = "EUR" };
		cd_line *lines = (cd_line *)&breq;
		size_t nlines = 99;

		assert_int_equal(plugin_price_labor(p, &breq, &lines, &nlines, err, sizeof err),
		    CD_ERR_UNSUPPORTED);
		assert_null(lines);
		assert_int_equal(nlines, 0);
		assert_string_equal(err, "plugin percent is a pricing plugin, not a billing plugin");
	}

	/* Logged through the host, prefixed with the instance name. */
	assert_int_equal(log_count("plugin percent: init percent=7.5"), 1);
	assert_int_equal(log_count("plugin percent: fini"), 0);
	plugin_unload(p);
	assert_int_equal(log_count("plugin percent: fini"), 1);
	assert_false(is_loaded(path));
	free(path);
}

static void
test_name_defaults_to_descriptor(void **state)
{
	config_kv params[] = { { "percent", "1" } };
	char *path = test_plugin("good-pricing"), err[1024];
	loaded_plugin *p = load(path, NULL, params, 1, err, sizeof err);

	(void)state;
	if (p == NULL)
		fail_msg("%s", err);
	assert_string_equal(p->ctx.name, "good-pricing");
	plugin_unload(p);
	free(path);
}

static void
test_init_config_error(void **state)
{
	config_kv params[] = { { "percent", "seven" } };
	char *path = test_plugin("good-pricing"), err[1024];

	(void)state;
	assert_null(load(path, "pct", params, 1, err, sizeof err));
	assert_non_null(strstr(err, "init of good-pricing 1.2.3 failed (CD_ERR_CONFIG): "
	    "[plugin pct] percent = 'seven': not a decimal number"));
	assert_false(is_loaded(path));
	free(path);
}

static void
test_services(void **state)
{
	const cd_host_services *h = plugin_host_services();
	cd_param params[] = { { "n", "42" }, { "bad", "4x2" }, { "d", "0.125" }, { "n", "43" } };
	cd_plugin_ctx ctx = { .name = "svc", .params = params, .nparams = 4,
		.config_dir = "/etc/contractd" };
	char msg[128], small[8], out[64];
	cd_error err = { msg, sizeof msg }, serr = { small, sizeof small };
	int64_t v;
	cd_decimal d;

	(void)state;
	assert_int_equal(h->struct_size, sizeof *h);
	assert_int_equal(h->abi_major, CD_PLUGIN_ABI_MAJOR);
	assert_int_equal(h->abi_minor, CD_PLUGIN_ABI_MINOR);

	/* Configuration: the last occurrence wins. */
	assert_string_equal(h->config_get(&ctx, "n"), "43");
	assert_null(h->config_get(&ctx, "missing"));
	assert_int_equal(h->config_get_int(&ctx, "n", &v, &err), CD_OK);
	assert_int_equal(v, 43);
	assert_int_equal(h->config_get_int(&ctx, "bad", &v, &err), CD_ERR_CONFIG);
	assert_string_equal(msg, "[plugin svc] bad = '4x2': not a whole number");
	assert_int_equal(h->config_get_int(&ctx, "missing", &v, &err), CD_ERR_NOT_FOUND);
	assert_string_equal(msg, "[plugin svc] has no 'missing'");
	assert_int_equal(h->config_get_decimal(&ctx, "d", &d, &err), CD_OK);
	assert_int_equal(d.value, 125);
	assert_int_equal(d.scale, 3);
	assert_int_equal(h->config_get_decimal(&ctx, "bad", &d, &err), CD_ERR_CONFIG);
	assert_int_equal(h->config_path(&ctx, "rates.csv", out, sizeof out), CD_OK);
	assert_string_equal(out, "/etc/contractd/rates.csv");
	assert_int_equal(h->config_path(&ctx, "/srv/rates.csv", out, sizeof out), CD_OK);
	assert_string_equal(out, "/srv/rates.csv");
	assert_int_equal(h->config_path(&ctx, "rates.csv", small, sizeof small), CD_ERR_OVERFLOW);

	/* Errors: truncated to the buffer, status passed through. */
	assert_int_equal(h->error_set(&serr, CD_ERR_NOT_FOUND, "no rate for %s", "appliance"),
	    CD_ERR_NOT_FOUND);
	assert_string_equal(small, "no rate");

	/* Logging: prefixed with the instance, filtered by level. */
	h->log(&ctx, CD_LOG_WARN, "hello %d", 5);
	assert_int_equal(log_count("level=warn req=- msg=\"plugin svc: hello 5\""), 1);
	log_setup(LOG_LEVEL_INFO, log_file);
	h->log(&ctx, CD_LOG_DEBUG, "not shown");
	assert_int_equal(log_count("not shown"), 0);

	/* Money, through core/base/money. */
	assert_int_equal(h->currency_exponent("EUR"), 2);
	assert_int_equal(h->currency_exponent("JPY"), 0);
	assert_int_equal(h->currency_exponent("ZZZ"), -1);
	assert_int_equal(h->money_parse("12.50", "EUR", &v), CD_OK);
	assert_int_equal(v, 1250);
	assert_int_equal(h->money_parse("1.234", "EUR", &v), CD_ERR_INVALID);
	assert_int_equal(h->money_format(-5, "EUR", out, sizeof out), CD_OK);
	assert_string_equal(out, "-0.05");
	assert_int_equal(h->money_format(123456789, "EUR", small, 4), CD_ERR_OVERFLOW);
	assert_int_equal(h->money_mul(1000, (cd_decimal){ 19, 2 }, CD_ROUND_HALF_UP, &v), CD_OK);
	assert_int_equal(v, 190);
	assert_int_equal(h->money_mul(5, (cd_decimal){ 5, 1 }, CD_ROUND_HALF_EVEN, &v), CD_OK);
	assert_int_equal(v, 2);
	assert_int_equal(h->money_mul(5, (cd_decimal){ 5, 1 }, CD_ROUND_HALF_UP, &v), CD_OK);
	assert_int_equal(v, 3);
	assert_int_equal(h->money_mul(5, (cd_decimal){ 5, 12 }, CD_ROUND_HALF_UP, &v),
	    CD_ERR_INVALID);
	assert_int_equal(h->money_mul(5, (cd_decimal){ 5, 1 }, (cd_rounding)99, &v),
	    CD_ERR_INVALID);
	assert_int_equal(h->money_mul_frac(1000, 1, 3, CD_ROUND_HALF_UP, &v), CD_OK);
	assert_int_equal(v, 333);
	assert_int_equal(h->money_mul_frac(1000, 1, 0, CD_ROUND_HALF_UP, &v), CD_ERR_INVALID);
	assert_int_equal(h->money_add(INT64_MAX, 1, &v), CD_ERR_OVERFLOW);
	assert_int_equal(h->money_add(2, 3, &v), CD_OK);
	assert_int_equal(v, 5);
	assert_int_equal(h->decimal_parse("1.25", &d), CD_OK);
	assert_int_equal(d.value, 125);
	assert_int_equal(d.scale, 2);
	assert_int_equal(h->decimal_parse("one", &d), CD_ERR_INVALID);
	assert_int_equal(h->decimal_mul((cd_decimal){ 15, 1 }, (cd_decimal){ 2, 0 }, &d), CD_OK);
	/* 1.5 x 2 = 3, however many trailing zeros the scale keeps */
	{
		int64_t scale = 1;
		for (int i = 0; i < d.scale; i++)
			scale *= 10;
		assert_int_equal(d.value, 3 * scale);
	}

	/* A careless plugin gets an error, not a crash. */
	assert_int_equal(h->money_parse(NULL, "EUR", &v), CD_ERR_INVALID);
	assert_int_equal(h->money_add(1, 2, NULL), CD_ERR_INVALID);
	assert_null(h->config_get(NULL, "n"));
}

/* ------------------------------------------------------------------------
 * Billing: the lines protocol
 * ------------------------------------------------------------------------ */

static void
test_lines(void **state)
{
	config_kv params[] = { { "rate", "60.00" } }, greedy[] = { { "rate", "60.00" },
		{ "greedy", "1" } };
	char *path = test_plugin("lines-billing"), err[1024];
	cd_labor_op ops[5000];
	cd_billing_request req = { .currency = "EUR", .ops = ops };
	cd_pricing_request preq = pricing_request(100, "EUR");
	cd_pricing_result res;
	cd_line *lines;
	size_t n;
	loaded_plugin *p, *g;

	(void)state;
	for (size_t i = 0; i < 5000; i++)
		ops[i] = (cd_labor_op){ "OP-1", { 15, 1 }, NULL };
	p = load(path, "labor", params, 1, err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);

	/* Fits the first offer. */
	req.nops = 3;
	assert_int_equal(plugin_price_labor(p, &req, &lines, &n, err, sizeof err), CD_OK);
	assert_int_equal(n, 3);
	assert_string_equal(lines[2].code, "OP-1");
	assert_int_equal(lines[2].amount, 9000);
	assert_int_equal(lines[2].struct_size, sizeof(cd_line));
	free(lines);

	/* Needs more room: the host retries with what the plugin asked for. */
	req.nops = 100;
	assert_int_equal(plugin_price_labor(p, &req, &lines, &n, err, sizeof err), CD_OK);
	assert_int_equal(n, 100);
	assert_int_equal(lines[99].amount, 9000);
	free(lines);

	/* No lines at all is an empty answer. */
	req.nops = 0;
	assert_int_equal(plugin_price_labor(p, &req, &lines, &n, err, sizeof err), CD_OK);
	assert_null(lines);
	assert_int_equal(n, 0);

	/* More than the host allows. */
	req.nops = 5000;
	assert_int_equal(plugin_price_labor(p, &req, &lines, &n, err, sizeof err), CD_ERR_OVERFLOW);
	assert_null(lines);
	assert_string_equal(err, "plugin labor: price_labor wants 5000 lines, more than the 4096 "
	    "allowed");

	/* Wrong kinds. */
	assert_int_equal(plugin_quote(p, &preq, &res, err, sizeof err), CD_ERR_UNSUPPORTED);
	assert_string_equal(err, "plugin labor is a billing plugin, not a pricing plugin");
	{
		cd_parts_request parts = { .currency = "EUR" };
		assert_int_equal(plugin_price_parts(p, &parts, &lines, &n, err, sizeof err),
		    CD_ERR_UNSUPPORTED);
		assert_string_equal(err, "plugin labor is a billing plugin, not a parts plugin");
	}

	/* A plugin that keeps asking for more gets one retry, then an error. */
	g = load(path, "greedy", greedy, 2, err, sizeof err);
	if (g == NULL)
		fail_msg("%s", err);
	req.nops = 1;
	assert_int_equal(plugin_price_labor(g, &req, &lines, &n, err, sizeof err), CD_ERR_OVERFLOW);
	assert_null(lines);
	assert_string_equal(err, "plugin greedy: price_labor asked for more room again (34 lines) "
	    "after a retry with the 33 it asked for first");
	plugin_unload(g);
	plugin_unload(p);
	free(path);
}

/* ------------------------------------------------------------------------
 * The in-tree example and the out-of-tree one from docs/
 * ------------------------------------------------------------------------ */

static void
test_example_flat(void **state)
{
	char *path = xasprintf("%s/plugins/example-flat/.libs/example-flat.so", builddir());
	config_kv params[] = { { "currency", "EUR" }, { "rate", "0.08" }, { "minimum", "29.00" } };
	cd_param plan[] = { { "rate", "0.1" } };
	cd_pricing_request req = pricing_request(129900, "EUR");
	cd_pricing_result res;
	char err[1024];
	loaded_plugin *p;

	(void)state;
	p = load(path, "flat", params, 3, err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);
	assert_string_equal(p->desc->name, "example-flat");
	assert_int_equal(log_count("plugin flat: rate 0.08, minimum 29.00 EUR"), 1);

	assert_int_equal(plugin_quote(p, &req, &res, err, sizeof err), CD_OK);
	assert_int_equal(res.retail_price, 10392);
	assert_string_equal(res.explanation, "1299.00 x 0.08 = 103.92 EUR");

	req.purchase_price = 10000;
	assert_int_equal(plugin_quote(p, &req, &res, err, sizeof err), CD_OK);
	assert_int_equal(res.retail_price, 2900);
	assert_string_equal(res.explanation, "100.00 x 0.08 = 8.00 EUR, raised to the minimum "
	    "29.00 EUR");

	req.purchase_price = 129900;
	req.params = plan;
	req.nparams = 1;
	assert_int_equal(plugin_quote(p, &req, &res, err, sizeof err), CD_OK);
	assert_int_equal(res.retail_price, 12990);

	req.currency = "USD";
	assert_int_equal(plugin_quote(p, &req, &res, err, sizeof err), CD_ERR_UNSUPPORTED);
	assert_string_equal(err, "prices in EUR only, not USD");
	plugin_unload(p);

	/* Its configuration is checked at load time. */
	assert_null(load(path, "flat", params + 1, 2, err, sizeof err));
	assert_non_null(strstr(err, "init of example-flat 1.0.0 failed (CD_ERR_CONFIG): "
	    "'currency' must be an ISO 4217 code such as EUR"));
	free(path);
}

static void
test_out_of_tree_example(void **state)
{
	char *path = test_plugin("flat-fee"), err[1024];
	config_kv params[] = { { "currency", "EUR" }, { "fee", "49.00" } };
	cd_pricing_request req = pricing_request(50000, "EUR");
	cd_pricing_result res;
	loaded_plugin *p;

	(void)state;
	p = load(path, NULL, params, 2, err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);
	assert_string_equal(p->ctx.name, "flat-fee");
	req.term_months = 30;
	assert_int_equal(plugin_quote(p, &req, &res, err, sizeof err), CD_OK);
	assert_int_equal(res.retail_price, 12250);
	assert_string_equal(res.explanation, "49.00 a year x 30/12 = 122.50 EUR");
	plugin_unload(p);
	free(path);
}

/* ------------------------------------------------------------------------
 * Sets and generations
 * ------------------------------------------------------------------------ */

static void
test_set_all_or_nothing(void **state)
{
	config *cfg = conf("[plugins]\ndir = @PLUGINS@\n"
	    "[plugin alpha]\nfile = good-pricing.so\npercent = 5\n"
	    "[plugin broken]\nfile = bad-abi-major.so\n"
	    "[plugin gamma]\nfile = slow-pricing.so\n");
	char *good = test_plugin("good-pricing"), err[1024];

	(void)state;
	assert_null(plugin_set_load(cfg, NULL, err, sizeof err));
	assert_non_null(strstr(err, "bad-abi-major.so: built for ABI 2.0"));
	/* alpha had loaded and was unloaded again; gamma never started. */
	assert_int_equal(log_count("plugin alpha: init"), 1);
	assert_int_equal(log_count("plugin alpha: fini"), 1);
	assert_false(is_loaded(good));
	config_free(cfg);
	free(good);
}

static void
test_set_lookup(void **state)
{
	config *cfg = conf("[plugins]\ndir = @PLUGINS@\n"
	    "[plugin alpha]\nfile = good-pricing.so\npercent = 5\n"
	    "[plugin labor]\nfile = lines-billing.so\nrate = 50.00\n"
	    "[plugin slow]\nfile = slow-pricing.so\n");
	char err[1024];
	plugin_set *set;

	(void)state;
	set = plugin_set_load(cfg, NULL, err, sizeof err);
	if (set == NULL)
		fail_msg("%s", err);
	assert_int_equal(plugin_set_count(set), 3);
	assert_int_equal(plugin_set_generation(set), 0);
	assert_string_equal(plugin_set_find(set, "alpha")->desc->name, "good-pricing");
	assert_string_equal(plugin_set_find(set, "slow")->desc->name, "slow-pricing");
	assert_null(plugin_set_find(set, "good-pricing"));
	assert_null(plugin_set_find(set, "nope"));
	assert_ptr_equal(plugin_set_first_of_kind(set, CD_PLUGIN_PRICING),
	    plugin_set_find(set, "alpha"));
	assert_ptr_equal(plugin_set_first_of_kind(set, CD_PLUGIN_BILLING),
	    plugin_set_find(set, "labor"));
	assert_null(plugin_set_first_of_kind(set, CD_PLUGIN_PARTS));
	assert_string_equal(plugin_set_get(set, 1)->ctx.name, "labor");
	assert_null(plugin_set_get(set, 3));
	/* Relative parameters resolve against the configuration's directory. */
	assert_string_equal(plugin_set_get(set, 0)->ctx.config_dir, cfg->dir);
	plugin_set_release(set);
	assert_int_equal(log_count("plugin alpha: fini"), 1);

	/* No plugins configured: an empty set, not a failure. */
	config_free(cfg);
	cfg = config_new_defaults();
	set = plugin_set_load(cfg, NULL, err, sizeof err);
	assert_non_null(set);
	assert_int_equal(plugin_set_count(set), 0);
	plugin_set_release(set);
	config_free(cfg);
}

static void
test_swap_waits_for_holders(void **state)
{
	config *c1 = conf("[plugins]\ndir = @PLUGINS@\n[plugin alpha]\nfile = good-pricing.so\n"
	    "percent = 5\n");
	config *c2 = conf("[plugins]\ndir = @PLUGINS@\n[plugin beta]\nfile = good-pricing.so\n"
	    "percent = 10\n");
	plugin_registry *reg = plugin_registry_new();
	plugin_set *held, *s;
	char err[1024];

	(void)state;
	assert_null(plugin_registry_acquire(reg));
	s = plugin_set_load(c1, NULL, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(plugin_registry_swap(reg, s), 1);
	held = plugin_registry_acquire(reg);
	assert_ptr_equal(held, s);
	assert_int_equal(plugin_set_generation(held), 1);

	s = plugin_set_load(c2, NULL, err, sizeof err);
	assert_non_null(s);
	assert_int_equal(plugin_registry_swap(reg, s), 2);
	/* A request still holds generation 1: alpha must stay initialised. */
	assert_int_equal(log_count("plugin alpha: fini"), 0);
	assert_non_null(plugin_set_find(held, "alpha"));
	{
		cd_pricing_request req = pricing_request(10000, "EUR");
		cd_pricing_result res;
		assert_int_equal(plugin_quote(plugin_set_find(held, "alpha"), &req, &res, err,
		    sizeof err), CD_OK);
		assert_int_equal(res.retail_price, 500);
	}
	/* New requests get generation 2. */
	s = plugin_registry_acquire(reg);
	assert_int_equal(plugin_set_generation(s), 2);
	assert_non_null(plugin_set_find(s, "beta"));
	assert_null(plugin_set_find(s, "alpha"));
	plugin_set_release(s);

	/* A failed reload changes nothing. */
	assert_int_equal(plugin_registry_swap(reg, NULL), 0);
	s = plugin_registry_acquire(reg);
	assert_int_equal(plugin_set_generation(s), 2);
	plugin_set_release(s);

	/* The last holder lets go: now generation 1 is finalised. */
	plugin_set_release(held);
	assert_int_equal(log_count("plugin alpha: fini"), 1);
	assert_int_equal(log_count("plugin beta: fini"), 0);
	plugin_registry_free(reg);
	assert_int_equal(log_count("plugin beta: fini"), 1);
	config_free(c1);
	config_free(c2);
}

typedef struct inflight {
	plugin_registry *reg;
	cd_status status;
	uint64_t generation;
} inflight;

static void *
slow_request(void *arg)
{
	inflight *in = arg;
	plugin_set *set = plugin_registry_acquire(in->reg);
	cd_pricing_request req = pricing_request(10000, "EUR");
	cd_pricing_result res;
	char err[256];

	in->generation = plugin_set_generation(set);
	in->status = plugin_quote(plugin_set_find(set, "slow"), &req, &res, err, sizeof err);
	plugin_set_release(set);
	return NULL;
}

static void
test_reload_during_request(void **state)
{
	char *gate = xasprintf("%s/gate", tmpdir);
	char *text = xasprintf("[plugins]\ndir = @PLUGINS@\n[plugin slow]\n"
	    "file = slow-pricing.so\ngate = %s\n", gate);
	config *cfg = conf(text);
	plugin_registry *reg = plugin_registry_new();
	inflight in = { .reg = reg, .status = CD_ERR_INTERNAL };
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	char err[1024];
	pthread_t t;
	int waited = 0;

	(void)state;
	free(text);
	plugin_registry_swap(reg, plugin_set_load(cfg, NULL, err, sizeof err));
	assert_int_equal(pthread_create(&t, NULL, slow_request, &in), 0);
	while (log_count("plugin slow: quote started") == 0 && waited++ < 1000)
		nanosleep(&tick, NULL);
	assert_int_equal(log_count("plugin slow: quote started"), 1);

	/* SIGHUP, as it were: the new set goes in while the quote runs. */
	assert_int_equal(plugin_registry_swap(reg, plugin_set_load(cfg, NULL, err, sizeof err)),
	    2);
	assert_int_equal(log_count("plugin slow: fini"), 0);

	/* The quote may finish now; its release finalises generation 1. */
	write_file(gate, "");
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(in.status, CD_OK);
	assert_int_equal(in.generation, 1);
	/* The old instance was finalised by the request's release, after its quote. */
	text = logged();
	assert_int_equal(count_in(text, "plugin slow: fini"), 1);
	assert_non_null(strstr(text, "plugin slow: quote done"));
	assert_true(strstr(text, "plugin slow: quote done") < strstr(text, "plugin slow: fini"));
	free(text);
	plugin_registry_free(reg);
	assert_int_equal(log_count("plugin slow: fini"), 2);
	config_free(cfg);
	free(gate);
}

#define STRESS_THREADS 4
#define STRESS_SWAPS 40

typedef struct stress {
	plugin_registry *reg;
	atomic_int stop;
	atomic_long quotes;
	atomic_int failures;
} stress;

static void *
stress_worker(void *arg)
{
	stress *s = arg;
	cd_pricing_request req = pricing_request(10000, "EUR");
	cd_pricing_result res;
	char err[256];

	while (!atomic_load(&s->stop)) {
		plugin_set *set = plugin_registry_acquire(s->reg);
		const loaded_plugin *p = plugin_set_find(set, "alpha");

		if (p == NULL || plugin_quote(p, &req, &res, err, sizeof err) != CD_OK ||
		    (res.retail_price != 500 && res.retail_price != 1000))
			atomic_fetch_add(&s->failures, 1);
		atomic_fetch_add(&s->quotes, 1);
		plugin_set_release(set);
	}
	return NULL;
}

static void
test_concurrent_swaps(void **state)
{
	config *c5 = conf("[plugins]\ndir = @PLUGINS@\n[plugin alpha]\nfile = good-pricing.so\n"
	    "percent = 5\n");
	config *c10 = conf("[plugins]\ndir = @PLUGINS@\n[plugin alpha]\nfile = good-pricing.so\n"
	    "percent = 10\n");
	stress s = { .reg = plugin_registry_new() };
	struct timespec tick = { 0, 2 * 1000 * 1000 };
	pthread_t t[STRESS_THREADS];
	char err[1024];

	(void)state;
	log_setup(LOG_LEVEL_INFO, log_file);
	plugin_registry_swap(s.reg, plugin_set_load(c5, NULL, err, sizeof err));
	for (int i = 0; i < STRESS_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, stress_worker, &s), 0);
	for (int i = 0; i < STRESS_SWAPS; i++) {
		plugin_set *set = plugin_set_load(i % 2 ? c5 : c10, NULL, err, sizeof err);
		if (set == NULL)
			fail_msg("%s", err);
		plugin_registry_swap(s.reg, set);
		nanosleep(&tick, NULL);
	}
	atomic_store(&s.stop, 1);
	for (int i = 0; i < STRESS_THREADS; i++)
		pthread_join(t[i], NULL);
	plugin_registry_free(s.reg);

	assert_int_equal(atomic_load(&s.failures), 0);
	assert_true(atomic_load(&s.quotes) > 0);
	/* Every instance ever initialised was finalised exactly once. */
	assert_int_equal(log_count("plugin alpha: init"), STRESS_SWAPS + 1);
	assert_int_equal(log_count("plugin alpha: fini"), STRESS_SWAPS + 1);
	config_free(c5);
	config_free(c10);
}

static int
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_reload_picks_up_replaced_file(void **state)
{
	char *dir = xasprintf("%s/deploy", tmpdir), *cache = xasprintf("%s/cache", tmpdir);
	char *so = xasprintf("%s/pricing.so", dir), *text, err[1024];
	char *good = test_plugin("good-pricing"), *slow = test_plugin("slow-pricing");
	plugin_set *old, *new;
	config *cfg;

	(void)state;
	assert_int_equal(mkdir(dir, 0700), 0);
	text = xasprintf("[plugins]\ndir = %s\n[plugin p]\nfile = pricing.so\npercent = 5\n", dir);
	cfg = conf(text);
	copy_file(good, so);
	old = plugin_set_load(cfg, cache, err, sizeof err);
	if (old == NULL)
		fail_msg("%s", err);
	assert_string_equal(plugin_set_find(old, "p")->desc->name, "good-pricing");

	/* A new build is installed over the file while the old one runs. */
	copy_file(slow, so);
	new = plugin_set_load(cfg, cache, err, sizeof err);
	if (new == NULL)
		fail_msg("%s", err);
	assert_string_equal(plugin_set_find(new, "p")->desc->name, "slow-pricing");
	assert_string_not_equal(plugin_set_find(new, "p")->sha256,
	    plugin_set_find(old, "p")->sha256);
	/* The old generation still runs the old code. */
	assert_string_equal(plugin_set_find(old, "p")->desc->name, "good-pricing");
	/* The private copies are gone from the cache once loaded. */
	assert_int_equal(count_files(cache), 0);

	plugin_set_release(old);
	plugin_set_release(new);
	config_free(cfg);
	free(text);
	free(good);
	free(slow);
	free(so);
	free(cache);
	free(dir);
}

/* ------------------------------------------------------------------------ */

#define REFUSAL(i) { refusals[i].test, test_refusal, test_setup, test_teardown, \
	(void *)&refusals[i] }
#define TEST(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		REFUSAL(0), REFUSAL(1), REFUSAL(2), REFUSAL(3), REFUSAL(4),
		REFUSAL(5), REFUSAL(6), REFUSAL(7), REFUSAL(8), REFUSAL(9),
		REFUSAL(10), REFUSAL(11), REFUSAL(12), REFUSAL(13), REFUSAL(14),
		TEST(test_refuse_not_elf),
		TEST(test_refuse_directory),
		TEST(test_refuse_bad_cache_dir),
		TEST(test_good_plugin),
		TEST(test_name_defaults_to_descriptor),
		TEST(test_init_config_error),
		TEST(test_services),
		TEST(test_lines),
		TEST(test_example_flat),
		TEST(test_out_of_tree_example),
		TEST(test_set_all_or_nothing),
		TEST(test_set_lookup),
		TEST(test_swap_waits_for_holders),
		TEST(test_reload_during_request),
		TEST(test_concurrent_swaps),
		TEST(test_reload_picks_up_replaced_file),
	};

	_Static_assert(sizeof refusals / sizeof refusals[0] == 15, "one REFUSAL() per case");
	return cmocka_run_group_tests_name("plugin host", tests, group_setup, group_teardown);
}
