/* test_pricing_plugins — the pricing plugins' known answers, and the
 * rate-table service they stand on.
 *
 * Known answers are data, curl style: each directory of tests/data/pricing/
 * is one plugin instance — plugin.conf holds its "[plugin NAME]" section,
 * whose file is a plugin of plugins/ — and each NNN-name.request.xml in it
 * is a PricingRequest whose answer must be NNN-name.expected.xml, a
 * PricingResult (the price and its split, or the refusal with its status
 * and message). Every case is one test: the instance is loaded through the
 * plugin host, the request is read and priced with pricing_doc (exactly
 * what `contractctl plugin quote` does) and the answer is compared field by
 * field. A case is added by adding its two files; regenerate an answer with
 *
 *     contractctl -c tests/data/pricing/DIR/plugin.conf plugin quote -n DIR \
 *         plugins/PLUGIN/.libs/PLUGIN.so CASE.request.xml > CASE.expected.xml
 *
 * and check every number of it by hand before committing it.
 *
 * Then: several threads quoting every case of an instance at once must get
 * the single-threaded answers; and the rate-table service, the request
 * reader and the plugins' init are tested on their own, with documents and
 * configurations broken one way each.
 *
 * CD_SRCDIR and CD_BUILDDIR (set by `make check`) say where the cases and
 * the plugins are. */
#include "plugin/host.h"
#include "plugin/pricing_doc.h"
#include "plugin/ratetable.h"
#include "base/log.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "config/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Threads and rounds of the concurrency test. */
#define THREADS 8
#define ROUNDS 50

/* One directory of tests/data/pricing/: a loaded plugin instance. */
typedef struct instance {
	char *name;              /* the directory, and the [plugin NAME] */
	char *dir;
	loaded_plugin *plugin;   /* NULL when it failed to load: see error */
	char error[1024];
} instance;

/* One known-answer case. */
typedef struct pricing_case {
	char *name;              /* "pricing-percent/001-first-band" */
	instance *inst;
	char *request;           /* paths */
	char *expected;
} pricing_case;

static FILE *log_file;    /* what the host logs, kept out of the output */
static instance *instances;
static size_t ninstances;
static pricing_case *cases;
static size_t ncases;

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static const char *
env_dir(const char *name)
{
	const char *d = getenv(name);

	return d != NULL && d[0] != '\0' ? d : ".";
}

/* The whole file path, NUL-terminated; the caller frees it. Fails the test
 * when it cannot be read. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

/* True when the log holds needle; then the log starts afresh. */
static bool
logged(const char *needle)
{
	char line[1024];
	bool found = false;

	fflush(log_file);
	rewind(log_file);
	while (!found && fgets(line, sizeof line, log_file) != NULL)
		found = strstr(line, needle) != NULL;
	rewind(log_file);
	if (ftruncate(fileno(log_file), 0) != 0)
		fail_msg("cannot empty the log");
	return found;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir whose names end with suffix, sorted; the caller frees
 * each and the array. */
static char **
list_dir(const char *dir, const char *suffix, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	*count = 0;
	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !ends_with(e->d_name, suffix))
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, compare_names);
	*count = n;
	return names;
}

/* Loads the instance of directory name: its plugin.conf's one section,
 * with the plugin file taken from the build tree. */
static void
instance_load(instance *in, const char *root, const char *name)
{
	char *conf_path, *so = NULL, *stem = NULL;
	plugin_spec spec = { 0 };
	config *cfg = NULL;
	const plugin_config *pc;

	in->name = xstrdup(name);
	in->dir = xasprintf("%s/%s", root, name);
	conf_path = xasprintf("%s/plugin.conf", in->dir);
	cfg = config_load(conf_path, in->error, sizeof in->error);
	if (cfg == NULL)
		goto out;
	if (cfg->nplugins != 1 || strcmp(cfg->plugins[0].name, name) != 0 ||
	    cfg->plugins[0].file == NULL) {
		snprintf(in->error, sizeof in->error,
		    "%s must have exactly one section, [plugin %s], with a file", conf_path, name);
		goto out;
	}
	pc = &cfg->plugins[0];
	/* plugins/NAME/.libs/NAME.so in the build tree */
	stem = xstrndup(pc->file, strcspn(pc->file, "."));
	so = xasprintf("%s/plugins/%s/.libs/%s", env_dir("CD_BUILDDIR"), stem, pc->file);
	spec.path = so;
	spec.name = pc->name;
	spec.params = pc->params;
	spec.nparams = pc->nparams;
	spec.config_dir = cfg->dir;
	in->plugin = plugin_load(&spec, in->error, sizeof in->error);
out:
	config_free(cfg);
	free(conf_path);
	free(stem);
	free(so);
}

/* Finds every instance and case under tests/data/pricing/. */
static void
discover(void)
{
	char *root = xasprintf("%s/tests/data/pricing", env_dir("CD_SRCDIR"));
	DIR *d = opendir(root);
	struct dirent *e;
	char **dirs = NULL;
	size_t ndirs = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char *conf = xasprintf("%s/%s/plugin.conf", root, e->d_name);
		FILE *f = e->d_name[0] != '.' ? fopen(conf, "r") : NULL;

		if (f != NULL) {
			fclose(f);
			dirs = xreallocarray(dirs, ndirs + 1, sizeof *dirs);
			dirs[ndirs++] = xstrdup(e->d_name);
		}
		free(conf);
	}
	if (d != NULL)
		closedir(d);
	qsort(dirs, ndirs, sizeof *dirs, compare_names);
	instances = xcalloc(ndirs ? ndirs : 1, sizeof *instances);
	for (size_t i = 0; i < ndirs; i++) {
		instance *in = &instances[ninstances++];
		char **requests;
		size_t n;

		instance_load(in, root, dirs[i]);
		requests = list_dir(in->dir, ".request.xml", &n);
		for (size_t j = 0; j < n; j++) {
			size_t stem = strlen(requests[j]) - strlen(".request.xml");
			pricing_case *c;

			cases = xreallocarray(cases, ncases + 1, sizeof *cases);
			c = &cases[ncases++];
			c->inst = in;
			c->name = xasprintf("%s/%.*s", in->name, (int)stem, requests[j]);
			c->request = xasprintf("%s/%s", in->dir, requests[j]);
			c->expected = xasprintf("%s/%.*s.expected.xml", in->dir, (int)stem,
			    requests[j]);
			free(requests[j]);
		}
		free(requests);
		free(dirs[i]);
	}
	free(dirs);
	free(root);
}

static void
forget(void)
{
	for (size_t i = 0; i < ncases; i++) {
		free(cases[i].name);
		free(cases[i].request);
		free(cases[i].expected);
	}
	free(cases);
	for (size_t i = 0; i < ninstances; i++) {
		plugin_unload(instances[i].plugin);
		free(instances[i].name);
		free(instances[i].dir);
	}
	free(instances);
}

/* Reads the request of c; fails the test if it is not valid. */
static pricing_input *
read_request(const pricing_case *c)
{
	char err[2048], *text;
	pricing_input *in;
	size_t len;

	text = slurp(c->request, &len);
	in = pricing_input_read(text, len, err, sizeof err);
	free(text);
	if (in == NULL)
		fail_msg("%s is not a valid PricingRequest:\n%s", c->request, err);
	return in;
}

static void
read_expected(const char *path, pricing_output *out)
{
	char err[2048], *text;
	size_t len;

	text = slurp(path, &len);
	if (pricing_output_read(text, len, out, err, sizeof err) != 0)
		fail_msg("%s is not a valid PricingResult:\n%s", path, err);
	free(text);
}

/* Compares two answers field by field; returns the number of differences,
 * each printed. */
static int
compare(const pricing_output *want, const pricing_output *got)
{
	const cd_pricing_result *w = &want->result, *g = &got->result;
	int diffs = 0;

#define DIFF_STR(field, a, b) \
	do { \
		if (strcmp((a), (b)) != 0) { \
			print_message("#   %s: expected '%s'\n#   %*s       got '%s'\n", field, \
			    (a), (int)strlen(field), "", (b)); \
			diffs++; \
		} \
	} while (0)
#define DIFF_MONEY(field, a, b) \
	do { \
		char at[32], bt[32]; \
		if ((a) != (b)) { \
			money_format((a), want->currency, at, sizeof at); \
			money_format((b), want->currency, bt, sizeof bt); \
			print_message("#   %s: expected %s, got %s %s\n", field, at, bt, \
			    want->currency); \
			diffs++; \
		} \
	} while (0)

	DIFF_STR("plugin", want->plugin, got->plugin);
	DIFF_STR("version", want->version, got->version);
	DIFF_STR("status", plugin_status_name(want->status), plugin_status_name(got->status));
	if (want->status != CD_OK || got->status != CD_OK) {
		DIFF_STR("message", want->message, got->message);
		return diffs;
	}
	DIFF_STR("currency", want->currency, got->currency);
	DIFF_MONEY("retail price", w->retail_price, g->retail_price);
	DIFF_MONEY("dealer cost", w->dealer_cost, g->dealer_cost);
	DIFF_MONEY("admin fee", w->admin_fee, g->admin_fee);
	DIFF_MONEY("claims reserve", w->claims_reserve, g->claims_reserve);
	if (w->tax_category != g->tax_category) {
		print_message("#   tax category: expected %d, got %d\n", (int)w->tax_category,
		    (int)g->tax_category);
		diffs++;
	}
	DIFF_STR("explanation", w->explanation, g->explanation);
#undef DIFF_STR
#undef DIFF_MONEY
	return diffs;
}

/* ------------------------------------------------------------------------
 * Known answers
 * ------------------------------------------------------------------------ */

static void
test_case(void **state)
{
	const pricing_case *c = *state;
	pricing_output want, got, again;
	pricing_input *in;
	char why[256], err[2048], *doc;
	size_t len;

	if (c->inst->plugin == NULL)
		fail_msg("%s did not load: %s", c->inst->name, c->inst->error);
	in = read_request(c);
	read_expected(c->expected, &want);
	pricing_run(c->inst->plugin, in, &got);
	if (compare(&want, &got) != 0) {
		doc = pricing_output_write(&got, NULL);
		print_message("# %s answered:\n%s", c->name, doc);
		free(doc);
		fail_msg("%s: the answer differs from %s", c->name, c->expected);
	}
	/* Whatever a plugin answers must be something the server accepts. */
	if (pricing_output_check(&got, why, sizeof why) != 0)
		fail_msg("%s: the server would refuse the answer: %s", c->name, why);
	/* And what `plugin quote` prints must read back as the same answer. */
	doc = pricing_output_write(&got, &len);
	if (pricing_output_read(doc, len, &again, err, sizeof err) != 0)
		fail_msg("%s: the printed answer does not read back:\n%s\n%s", c->name, err, doc);
	assert_int_equal(compare(&got, &again), 0);
	free(doc);
	pricing_input_free(in);
}

/* Every directory holds cases, and every case its expected answer: a
 * missing file must not pass as "nothing to test". */
static void
test_cases_complete(void **state)
{
	(void)state;
	assert_true(ninstances >= 3);
	for (size_t i = 0; i < ninstances; i++) {
		size_t n = 0;

		for (size_t j = 0; j < ncases; j++)
			n += cases[j].inst == &instances[i];
		if (n == 0)
			fail_msg("%s has no cases", instances[i].dir);
	}
	for (size_t j = 0; j < ncases; j++) {
		FILE *f = fopen(cases[j].expected, "r");
		if (f == NULL)
			fail_msg("%s has no %s", cases[j].request, cases[j].expected);
		fclose(f);
	}
}

/* ------------------------------------------------------------------------
 * Concurrency: one state, many threads
 * ------------------------------------------------------------------------ */

typedef struct worker {
	const instance *inst;
	pricing_input **inputs;       /* the instance's cases */
	const pricing_output *answers; /* what one thread got */
	size_t n;
	atomic_int *mismatches;
} worker;

static void *
quote_all(void *arg)
{
	const worker *w = arg;
	pricing_output got;

	for (int r = 0; r < ROUNDS; r++) {
		for (size_t i = 0; i < w->n; i++) {
			pricing_run(w->inst->plugin, w->inputs[i], &got);
			if (got.status != w->answers[i].status ||
			    memcmp(&got.result, &w->answers[i].result, sizeof got.result) != 0 ||
			    strcmp(got.message, w->answers[i].message) != 0)
				atomic_fetch_add(w->mismatches, 1);
		}
	}
	return NULL;
}

/* THREADS threads quote every case of every instance ROUNDS times with
 * the same plugin state at once, and get the answers one thread got. */
static void
test_concurrent_quotes(void **state)
{
	atomic_int mismatches = 0;

	(void)state;
	for (size_t i = 0; i < ninstances; i++) {
		const instance *inst = &instances[i];
		pricing_input **inputs = xcalloc(ncases, sizeof *inputs);
		pricing_output *answers = xcalloc(ncases, sizeof *answers);
		pthread_t threads[THREADS];
		worker w = { .inst = inst, .inputs = inputs, .answers = answers,
			.mismatches = &mismatches };

		if (inst->plugin == NULL)
			fail_msg("%s did not load: %s", inst->name, inst->error);
		for (size_t j = 0; j < ncases; j++) {
			if (cases[j].inst != inst)
				continue;
			inputs[w.n] = read_request(&cases[j]);
			pricing_run(inst->plugin, inputs[w.n], &answers[w.n]);
			w.n++;
		}
		for (int t = 0; t < THREADS; t++)
			assert_int_equal(pthread_create(&threads[t], NULL, quote_all, &w), 0);
		for (int t = 0; t < THREADS; t++)
			pthread_join(threads[t], NULL);
		for (size_t j = 0; j < w.n; j++)
			pricing_input_free(inputs[j]);
		free(inputs);
		free(answers);
	}
	assert_int_equal(atomic_load(&mismatches), 0);
}

/* ------------------------------------------------------------------------
 * The rate-table service
 * ------------------------------------------------------------------------ */

/* A small valid table, for variants: {{TERM}} and friends are replaced. */
static const char small_table[] =
    "<?xml version=\"1.0\"?>\n"
    "<RateTable xmlns=\"urn:contractd:1\">\n"
    "  <Code>SMALL</Code>\n"
    "  <Currency>EUR</Currency>\n"
    "  <AgeBands>\n"
    "    <Band id=\"A0\" fromMonths=\"0\" toMonths=\"12\"/>\n"
    "    <Band id=\"A1\" fromMonths=\"12\" toMonths=\"24\"/>\n"
    "  </AgeBands>\n"
    "  <UsageBands unit=\"none\">\n"
    "    <Band id=\"ANY\" from=\"0\"/>\n"
    "  </UsageBands>\n"
    "  <Rates>\n"
    "    <Rate category=\"tools\" age=\"A0\" usage=\"ANY\" term=\"12\">19.90</Rate>\n"
    "    <Rate category=\"tools\" age=\"A1\" usage=\"ANY\" term=\"12\">24.90</Rate>\n"
    "    <Rate category=\"tools.saw\" age=\"A0\" usage=\"ANY\" term=\"12\">29.90</Rate>\n"
    "  </Rates>\n"
    "  <Surcharges>\n"
    "    <Surcharge><Code>PRO</Code><ModelPrefix>PRO-</ModelPrefix><Percent>12.5</Percent>"
    "</Surcharge>\n"
    "    <Surcharge><Code>SAWS</Code><Category>tools.saw</Category><Amount>5.00</Amount>"
    "</Surcharge>\n"
    "    <Surcharge><Code>BIZ</Code><CommercialUse/><Percent>-10</Percent></Surcharge>\n"
    "  </Surcharges>\n"
    "  <DealerAdjustments>\n"
    "    <Adjustment dealer=\"D2\"><Amount>-1.50</Amount></Adjustment>\n"
    "    <Adjustment dealer=\"D1\"><Percent>3</Percent></Adjustment>\n"
    "  </DealerAdjustments>\n"
    "</RateTable>\n";

/* small_table with from replaced by to (which must occur). */
static char *
variant(const char *from, const char *to)
{
	const char *at = strstr(small_table, from);

	if (at == NULL)
		fail_msg("'%s' is not in the small table", from);
	return xasprintf("%.*s%s%s", (int)(at - small_table), small_table, to, at + strlen(from));
}

static cd_rate_table *
parse_table(const char *text, char *msg, size_t msglen, cd_status *st)
{
	cd_error err = { msg, msglen };
	cd_rate_table *t = NULL;

	msg[0] = '\0';
	*st = rate_table_parse(text, strlen(text), "small.xml", &t, &err);
	return t;
}

static cd_rate_query
query(const char *category, int32_t age)
{
	cd_rate_query q = {
		.struct_size = sizeof q,
		.category = category,
		.model = "X-1",
		.age_months = age,
		.term_months = 12,
		.usage_unit = CD_USAGE_KM,
		.usage = 123456,
	};

	return q;
}

static void
test_rate_table_lookups(void **state)
{
	char msg[512];
	cd_error err = { msg, sizeof msg };
	const cd_rate_cell *cell;
	const cd_rate_adjustment *a;
	const cd_rate_table_info *info;
	cd_rate_table *t;
	cd_rate_query q;
	cd_status st;

	(void)state;
	t = parse_table(small_table, msg, sizeof msg, &st);
	if (t == NULL)
		fail_msg("%s", msg);
	info = rate_table_info(t);
	assert_string_equal(info->code, "SMALL");
	assert_string_equal(info->currency, "EUR");
	assert_string_equal(info->path, "small.xml");
	assert_null(info->name);
	assert_null(info->effective_date);
	assert_int_equal(info->usage_unit, CD_USAGE_NONE);
	assert_int_equal(info->nrates, 3);
	assert_int_equal(info->nsurcharges, 3);
	assert_int_equal(info->ndealer_adjustments, 2);

	/* A table without usage ignores the reading, whatever its unit. */
	q = query("tools.drill", 11);
	assert_int_equal(rate_table_lookup(t, &q, &cell, &err), CD_OK);
	assert_int_equal(cell->amount, 1990);
	assert_int_equal(cell->rate.value, 1990);
	assert_int_equal(cell->rate.scale, 2);
	assert_string_equal(cell->text, "19.90");
	assert_string_equal(cell->category, "tools");
	assert_string_equal(cell->age_band->id, "A0");
	assert_int_equal(cell->age_band->from, 0);
	assert_int_equal(cell->age_band->to, 12);
	assert_string_equal(cell->usage_band->id, "ANY");
	assert_int_equal(cell->usage_band->to, -1);
	q.age_months = 12;
	assert_int_equal(rate_table_lookup(t, &q, &cell, &err), CD_OK);
	assert_string_equal(cell->age_band->id, "A1");
	/* The most specific category wins. */
	q = query("tools.saw.circular", 0);
	assert_int_equal(rate_table_lookup(t, &q, &cell, &err), CD_OK);
	assert_string_equal(cell->category, "tools.saw");
	/* ... but only at a dot: "toolsets" is not below "tools". */
	q = query("toolsets", 0);
	assert_int_equal(rate_table_lookup(t, &q, &cell, &err), CD_ERR_NOT_FOUND);
	assert_null(cell);
	assert_string_equal(msg, "rate table SMALL has no rates for product category 'toolsets'");

	/* Bands that end leave ages without a rate. */
	q = query("tools", 24);
	assert_int_equal(rate_table_lookup(t, &q, &cell, &err), CD_ERR_NOT_FOUND);
	assert_string_equal(msg, "rate table SMALL has no rate for an asset 24 months old "
	    "(its age bands cover 0 to 23 months)");
	/* A cell the table lacks: tools.saw has no A1 rate. */
	q = query("tools.saw", 13);
	assert_int_equal(rate_table_lookup(t, &q, &cell, &err), CD_ERR_NOT_FOUND);
	assert_string_equal(msg, "rate table SMALL has no 12-month rate for tools.saw, "
	    "age band A1, usage band ANY");
	/* Malformed queries are the plugin's mistakes. */
	q = query(NULL, 0);
	assert_int_equal(rate_table_lookup(t, &q, &cell, &err), CD_ERR_INVALID);
	q = query("tools", -1);
	assert_int_equal(rate_table_lookup(t, &q, &cell, &err), CD_ERR_INVALID);
	q = query("tools", 0);
	q.struct_size = 0;
	assert_int_equal(rate_table_lookup(t, &q, &cell, &err), CD_ERR_INVALID);
	assert_null(rate_table_surcharge(t, &q, 0));
	assert_int_equal(rate_table_lookup(NULL, &q, &cell, &err), CD_ERR_INVALID);

	/* Surcharges that apply, in table order. */
	q = query("tools.saw", 0);
	q.model = "PRO-300";
	q.commercial_use = 1;
	a = rate_table_surcharge(t, &q, 0);
	assert_non_null(a);
	assert_string_equal(a->code, "PRO");
	assert_int_equal(a->kind, CD_ADJUST_PERCENT);
	assert_int_equal(a->factor.value, 125);
	assert_int_equal(a->factor.scale, 3);
	assert_string_equal(a->text, "12.5");
	a = rate_table_surcharge(t, &q, 1);
	assert_string_equal(a->code, "SAWS");
	assert_int_equal(a->kind, CD_ADJUST_AMOUNT);
	assert_int_equal(a->amount, 500);
	a = rate_table_surcharge(t, &q, 2);
	assert_string_equal(a->code, "BIZ");
	assert_int_equal(a->factor.value, -10);
	assert_int_equal(a->factor.scale, 2);
	assert_null(rate_table_surcharge(t, &q, 3));
	q = query("tools", 0);
	assert_null(rate_table_surcharge(t, &q, 0));
	q.model = NULL;
	assert_null(rate_table_surcharge(t, &q, 0));

	/* Dealer adjustments by dealer id. */
	a = rate_table_dealer_adjustment(t, "D1");
	assert_non_null(a);
	assert_string_equal(a->code, "D1");
	assert_int_equal(a->factor.value, 3);
	assert_int_equal(a->factor.scale, 2);
	a = rate_table_dealer_adjustment(t, "D2");
	assert_int_equal(a->amount, -150);
	assert_null(rate_table_dealer_adjustment(t, "D3"));
	assert_null(rate_table_dealer_adjustment(t, NULL));
	rate_table_free(t);
	rate_table_free(NULL);
}

/* The example table, through the services table as a plugin calls it:
 * relative paths resolve against the configuration's directory. */
static void
test_rate_table_service(void **state)
{
	const cd_host_services *host = plugin_host_services();
	char *dir = xasprintf("%s/contracts", env_dir("CD_SRCDIR")), msg[512];
	cd_plugin_ctx ctx = { .name = "t", .config_dir = dir };
	cd_error err = { msg, sizeof msg };
	const cd_rate_cell *cell;
	cd_rate_table *t = NULL;
	cd_rate_query q = {
		.struct_size = sizeof q,
		.category = "vehicle.suv",
		.model = "RS Q3",
		.age_months = 40,
		.term_months = 36,
		.usage_unit = CD_USAGE_KM,
		.usage = 80000,
		.commercial_use = 1,
	};

	(void)state;
	assert_true(CD_HAS_FIELD(host, cd_host_services, rate_table_dealer_adjustment));
	if (host->rate_table_load(&ctx, "examples/RateTable.xml", &t, &err) != CD_OK)
		fail_msg("%s", msg);
	assert_string_equal(host->rate_table_info(t)->code, "VEH-2024");
	assert_string_equal(host->rate_table_info(t)->effective_date, "2024-01-01");
	assert_int_equal(host->rate_table_info(t)->nrates, 48);
	assert_int_equal(host->rate_table_lookup(t, &q, &cell, &err), CD_OK);
	assert_string_equal(cell->text, "2329.00");
	assert_string_equal(cell->usage_band->id, "U2");
	assert_string_equal(host->rate_table_surcharge(t, &q, 0)->code, "COMMERCIAL");
	assert_string_equal(host->rate_table_surcharge(t, &q, 1)->code, "PERFORMANCE");
	assert_null(host->rate_table_surcharge(t, &q, 2));
	assert_int_equal(host->rate_table_dealer_adjustment(t, "DLR-0042")->amount, -2000);
	host->rate_table_free(t);

	/* A missing file is named, resolved. */
	assert_int_equal(host->rate_table_load(&ctx, "examples/missing.xml", &t, &err),
	    CD_ERR_CONFIG);
	assert_null(t);
	assert_non_null(strstr(msg, "/contracts/examples/missing.xml: cannot open: "));
	/* Not a rate table at all. */
	assert_int_equal(host->rate_table_load(&ctx, "examples/Catalog.xml", &t, &err),
	    CD_ERR_CONFIG);
	assert_non_null(strstr(msg, "examples/Catalog.xml is not a valid RateTable: "));
	assert_int_equal(host->rate_table_load(&ctx, NULL, &t, &err), CD_ERR_CONFIG);
	assert_int_equal(host->rate_table_load(&ctx, "x.xml", NULL, &err), CD_ERR_INVALID);
	free(dir);
}

/* Tables broken one way each: refused, naming the file and the element. */
static void
test_rate_table_refusals(void **state)
{
	static const struct {
		const char *from, *to;
		const char *message;
	} broken[] = {
		{ "<Currency>EUR</Currency>", "<Currency>JPY</Currency>",
		    "rate table small.xml: /RateTable/Rates/Rate[1]: 19.90 has more decimals than "
		    "JPY has (0)" },
		{ "<Currency>EUR</Currency>", "<Currency>XXQ</Currency>",
		    "rate table small.xml: /RateTable/Currency: XXQ is not an ISO 4217 currency" },
		{ "toMonths=\"12\"/>", "toMonths=\"13\"/>",
		    "rate table small.xml: /RateTable/AgeBands: bands A0 and A1 overlap" },
		{ "fromMonths=\"12\" toMonths=\"24\"", "fromMonths=\"12\" toMonths=\"12\"",
		    "rate table small.xml: /RateTable/AgeBands/Band[2] (A1): toMonths 12 is not "
		    "above fromMonths 12" },
		{ "<Amount>-1.50</Amount>", "<Amount>-1.505</Amount>",
		    "rate table small.xml: /RateTable/DealerAdjustments/Adjustment[1]/Amount: "
		    "-1.505 has more decimals than EUR has (2)" },
		{ "<Code>SMALL</Code>\n  <Currency>EUR</Currency>", "<Code>SMALL</Code>",
		    "rate table small.xml is not a valid RateTable: /RateTable/AgeBands: " },
		{ "usage=\"ANY\" term=\"12\">24.90", "usage=\"ALL\" term=\"12\">24.90",
		    "rate table small.xml is not a valid RateTable: " },
		{ "<?xml version=\"1.0\"?>", "<?xml version=\"1.0\"?><!DOCTYPE RateTable>",
		    "rate table small.xml: /: documents may not contain a DOCTYPE" },
		{ "</RateTable>", "</RateTabel>", "rate table small.xml: line " },
	};
	char msg[512];
	cd_status st;

	(void)state;
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		char *text = variant(broken[i].from, broken[i].to);
		cd_rate_table *t = parse_table(text, msg, sizeof msg, &st);

		if (t != NULL || st != CD_ERR_CONFIG)
			fail_msg("variant %zu was accepted (%d)", i, (int)st);
		if (strncmp(msg, broken[i].message, strlen(broken[i].message)) != 0)
			fail_msg("variant %zu:\n  expected '%s...'\n  got      '%s'", i,
			    broken[i].message, msg);
		free(text);
	}
}

/* Of a table with several schema problems, the message has the first and
 * the log has them all. */
static void
test_rate_table_problems_logged(void **state)
{
	char *text = variant("<Rate category=\"tools\" age=\"A0\" usage=\"ANY\" term=\"12\">",
	    "<Rate category=\"tools\" age=\"A9\" usage=\"ANY\" term=\"0\">"), msg[512];
	cd_status st;

	(void)state;
	logged("");
	assert_null(parse_table(text, msg, sizeof msg, &st));
	assert_int_equal(st, CD_ERR_CONFIG);
	assert_non_null(strstr(msg, "more problems, each logged)"));
	assert_true(logged("rate table small.xml: /RateTable/Rates/Rate[1]/@term: "));
	free(text);
}

/* ------------------------------------------------------------------------
 * Requests, and the plugins' init
 * ------------------------------------------------------------------------ */

static void
test_request_refusals(void **state)
{
	static const char good[] =
	    "<PricingRequest xmlns=\"urn:contractd:1\"><PlanCode>P</PlanCode>"
	    "<DealerId>D</DealerId><ProductCategory>c</ProductCategory><Model>m</Model>"
	    "<PurchasePrice currency=\"JPY\">1000</PurchasePrice>"
	    "<PurchaseDate>2024-01-31</PurchaseDate><QuoteDate>2024-02-29</QuoteDate>"
	    "<TermMonths>12</TermMonths><Param key=\"a\">1</Param><Param key=\"b\"/>"
	    "</PricingRequest>";
	char err[2048], *text;
	const cd_pricing_request *req;
	pricing_input *in;

	(void)state;
	in = pricing_input_read(good, strlen(good), err, sizeof err);
	if (in == NULL)
		fail_msg("%s", err);
	req = pricing_input_request(in);
	assert_string_equal(req->currency, "JPY");
	assert_int_equal(req->purchase_price, 1000);
	/* 2024-01-31 + 1 month is 2024-02-29: one whole month old. */
	assert_int_equal(req->asset_age_months, 1);
	assert_int_equal(req->usage_unit, CD_USAGE_NONE);
	assert_int_equal(req->commercial_use, 0);
	assert_int_equal(req->nparams, 2);
	assert_string_equal(req->params[1].key, "b");
	assert_string_equal(req->params[1].value, "");
	pricing_input_free(in);

	/* Yen have no decimals. */
	text = xasprintf("%.*s1000.50%s", (int)(strstr(good, "1000<") - good), good,
	    strstr(good, "1000<") + 4);
	assert_null(pricing_input_read(text, strlen(text), err, sizeof err));
	assert_string_equal(err, "/PricingRequest/PurchasePrice: 1000.50 has more decimals than "
	    "JPY has (0)");
	free(text);
	/* Every schema problem, one per line. */
	text = xasprintf("%.*s%s", (int)(strstr(good, "<TermMonths>") - good), good,
	    "<Param key=\"a\">1</Param><Param key=\"a\">2</Param></PricingRequest>");
	assert_null(pricing_input_read(text, strlen(text), err, sizeof err));
	assert_non_null(strstr(err, "/PricingRequest/"));
	free(text);
	assert_null(pricing_input_read("<PricingRequest", 15, err, sizeof err));
	assert_non_null(strstr(err, "line 1"));
	assert_null(pricing_input_read("", 0, err, sizeof err));
}

/* Loads plugin (of plugins/) with params; NULL with the reason in err. */
static loaded_plugin *
load_with(const char *plugin, const config_kv *params, size_t n, char *err, size_t errlen)
{
	char *so = xasprintf("%s/plugins/%s/.libs/%s.so", env_dir("CD_BUILDDIR"), plugin, plugin);
	char *dir = xasprintf("%s/tests/data/pricing/pricing-ratetable", env_dir("CD_SRCDIR"));
	plugin_spec spec = { .path = so, .params = params, .nparams = n, .config_dir = dir };
	loaded_plugin *p = plugin_load(&spec, err, errlen);

	free(so);
	free(dir);
	return p;
}

static void
test_init_refusals(void **state)
{
	static const struct {
		const char *plugin;
		config_kv params[3];
		const char *reason;
	} broken[] = {
		{ "pricing-percent", { { "currency", "EU" } },
		    "(CD_ERR_CONFIG): 'currency' must be an ISO 4217 code such as EUR" },
		{ "pricing-percent", { { "currency", "JPY" }, { "min-price", "49.50" } },
		    "(CD_ERR_CONFIG): configuration: min-price = '49.50' is not an amount in JPY" },
		{ "pricing-percent", { { "currency", "EUR" }, { "min-price", "50" },
		    { "max-price", "40" } },
		    "(CD_ERR_CONFIG): configuration: min-price is above max-price" },
		{ "pricing-percent",
		    { { "currency", "EUR" }, { "term-factors", "36:1.0, 36:1.1" } },
		    "(CD_ERR_CONFIG): configuration: term-factors: 36 months appears twice" },
		{ "pricing-percent", { { "currency", "EUR" }, { "dealer-cost-percent", "101" } },
		    "(CD_ERR_CONFIG): configuration: dealer-cost-percent = '101' is not a "
		    "percentage from 0 to 100" },
		{ "pricing-ratetable", { { "table", "X" } },
		    "(CD_ERR_CONFIG): 'tables' must name at least one rate table file" },
		{ "pricing-ratetable", { { "tables", "TEST-2025.xml nowhere.xml" } },
		    "pricing-ratetable/nowhere.xml: cannot open: No such file or directory" },
		{ "pricing-ratetable", { { "tables", "TEST-2025.xml TEST-2025.xml" } },
		    "(CD_ERR_CONFIG): tables: two files are rate table TEST-2025" },
		{ "pricing-ratetable", { { "tables", "TEST-2025.xml VEH-JP-2024.xml" },
		    { "table", "VEH-2024" } },
		    "table = 'VEH-2024' is not one of the loaded rate tables "
		    "(TEST-2025, VEH-JP-2024)" },
		{ "pricing-ratetable", { { "tables", "plugin.conf" } },
		    "pricing-ratetable/plugin.conf: line 1, column 1: " },
	};
	char err[1024];

	(void)state;
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		size_t n = 0;
		loaded_plugin *p;

		while (n < 3 && broken[i].params[n].key != NULL)
			n++;
		p = load_with(broken[i].plugin, broken[i].params, n, err, sizeof err);
		if (p != NULL)
			fail_msg("case %zu: %s loaded", i, broken[i].plugin);
		if (strstr(err, broken[i].reason) == NULL)
			fail_msg("case %zu: message lacks '%s': %s", i, broken[i].reason, err);
	}
}

/* ------------------------------------------------------------------------ */

static int
group_setup(void **state)
{
	(void)state;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return 0;
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_cases_complete),
		cmocka_unit_test(test_concurrent_quotes),
		cmocka_unit_test(test_rate_table_lookups),
		cmocka_unit_test(test_rate_table_service),
		cmocka_unit_test(test_rate_table_refusals),
		cmocka_unit_test(test_rate_table_problems_logged),
		cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_init_refusals),
	};
	const size_t nfixed = sizeof fixed / sizeof fixed[0];
	struct CMUnitTest *tests;
	char err[512];
	int rc;

	/* Errors are expected (refusals log every schema problem): they go
	 * to a file of their own, which tests may read. */
	log_file = tmpfile();
	if (log_file == NULL)
		return 1;
	log_setup(LOG_LEVEL_DEBUG, log_file);
	if (pricing_doc_init(err, sizeof err) != 0) {
		fprintf(stderr, "cannot load the XML schemas: %s\n", err);
		return 1;
	}
	discover();
	tests = xcalloc(ncases + nfixed, sizeof *tests);
	for (size_t i = 0; i < ncases; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].initial_state = &cases[i];
	}
	memcpy(tests + ncases, fixed, sizeof fixed);
	/* The count is known at run time only, hence the function behind
	 * cmocka_run_group_tests_name. */
	rc = _cmocka_run_group_tests("pricing plugins", tests, ncases + nfixed, group_setup,
	    group_teardown);
	free(tests);
	forget();
	pricing_doc_cleanup();
	log_setup(LOG_LEVEL_DEBUG, NULL);
	fclose(log_file);
	return rc;
}
