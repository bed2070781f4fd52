/* test_lines_plugins — the billing and parts plugins' known answers, and
 * the documents they are asked and answer with.
 *
 * Known answers are data, curl style, as for the pricing plugins: each
 * directory of tests/data/billing/ and tests/data/parts/ that holds a
 * plugin.conf is one plugin instance — its "[plugin NAME]" section, NAME
 * being the directory's name and file a plugin of plugins/ — and each
 * NNN-name.request.xml in it is a BillingRequest or a PartsRequest whose
 * answer must be NNN-name.expected.xml, a PricedLines (the lines and their
 * total, or the refusal with its status and message). Every case is one
 * test: the instance is loaded through the plugin host, the request is read
 * and priced with lines_doc (exactly what `contractctl plugin price` does)
 * and the answer is compared field by field, line by line. Whatever
 * directories exist are run: a new plugin's cases need no change here.
 * Regenerate an answer with
 *
 *     contractctl -c tests/data/billing/DIR/plugin.conf plugin price -n DIR \
 *         plugins/PLUGIN/.libs/PLUGIN.so CASE.request.xml > CASE.expected.xml
 *
 * and check every number of it by hand before committing it.
 *
 * Then: several threads pricing every case of an instance at once must get
 * the single-threaded answers; the example documents of contracts/examples
 * must agree with the plugin; the documents' readers refuse what they
 * should; and billing-labor's init refuses rates files broken one way each
 * (generated here from a small valid file), naming the file and the
 * element, where the LaborRates schema refuses them too when it can say
 * it.
 *
 * CD_SRCDIR and CD_BUILDDIR (set by `make check`) say where the cases and
 * the plugins are. */
#include "plugin/host.h"
#include "plugin/lines_doc.h"
#include "plugin/pricing_doc.h"
#include "base/log.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "config/config.h"
#include "xml/schema.h"
#include "xml/xml_in.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Threads and rounds of the concurrency test. */
#define THREADS 8
#define ROUNDS 50

/* The case roots: every directory under them with a plugin.conf. */
static const char *const roots[] = { "billing", "parts" };

/* One directory: a loaded plugin instance. */
typedef struct instance {
	char *name;              /* the directory, and the [plugin NAME] */
	char *root;              /* "billing" or "parts" */
	char *dir;
	loaded_plugin *plugin;   /* NULL when it failed to load: see error */
	char error[1024];
} instance;

/* One known-answer case. */
typedef struct lines_case {
	char *name;              /* "billing-labor/001-default-rate" */
	size_t index;            /* of its instance, until discover() is done */
	instance *inst;
	char *request;           /* paths */
	char *expected;
} lines_case;

static FILE *log_file;    /* what the host logs, kept out of the output */
static instance *instances;
static size_t ninstances;
static lines_case *cases;
static size_t ncases;
static char *scratch;     /* a directory of our own for generated files */

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

static void
spew(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0)
		fail_msg("cannot write %s: %s", path, strerror(errno));
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
	if (n > 0)
		qsort(names, n, sizeof *names, compare_names);
	*count = n;
	return names;
}

/* Loads plugins/NAME/.libs/NAME.so of the build tree with params, relative
 * paths resolving in config_dir. NULL with the reason in err. */
static loaded_plugin *
load_plugin(const char *name, const config_kv *params, size_t n, const char *config_dir,
    char *err, size_t errlen)
{
	char *so = xasprintf("%s/plugins/%s/.libs/%s.so", env_dir("CD_BUILDDIR"), name, name);
	plugin_spec spec = { .path = so, .params = params, .nparams = n,
		.config_dir = config_dir };
	loaded_plugin *p = plugin_load(&spec, err, errlen);

	free(so);
	return p;
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

/* Finds every instance and case under the roots; a root that does not
 * exist (yet) has none. */
static void
discover(void)
{
	for (size_t r = 0; r < sizeof roots / sizeof roots[0]; r++) {
		char *root = xasprintf("%s/tests/data/%s", env_dir("CD_SRCDIR"), roots[r]);
		DIR *d = opendir(root);
		struct dirent *e;
		char **dirs = NULL;
		size_t ndirs = 0;

		while (d != NULL && (e = readdir(d)) != NULL) {
			char *conf = xasprintf("%s/%s/plugin.conf", root, e->d_name);
			struct stat sb;

			if (e->d_name[0] != '.' && stat(conf, &sb) == 0 && S_ISREG(sb.st_mode)) {
				dirs = xreallocarray(dirs, ndirs + 1, sizeof *dirs);
				dirs[ndirs++] = xstrdup(e->d_name);
			}
			free(conf);
		}
		if (d != NULL)
			closedir(d);
		if (ndirs > 0)
			qsort(dirs, ndirs, sizeof *dirs, compare_names);
		instances = xreallocarray(instances, ninstances + ndirs + 1, sizeof *instances);
		for (size_t i = 0; i < ndirs; i++) {
			instance *in = &instances[ninstances++];
			char **requests;
			size_t n;

			memset(in, 0, sizeof *in);
			in->root = xstrdup(roots[r]);
			instance_load(in, root, dirs[i]);
			requests = list_dir(in->dir, ".request.xml", &n);
			for (size_t j = 0; j < n; j++) {
				size_t stem = strlen(requests[j]) - strlen(".request.xml");
				lines_case *c;

				cases = xreallocarray(cases, ncases + 1, sizeof *cases);
				c = &cases[ncases++];
				c->index = ninstances - 1;
				c->inst = NULL;
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
	/* The array of instances moved while it grew: point the cases at
	 * their instances now. */
	for (size_t c = 0; c < ncases; c++)
		cases[c].inst = &instances[cases[c].index];
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
		free(instances[i].root);
		free(instances[i].dir);
	}
	free(instances);
}

/* The instance of directory name, or NULL. */
static const instance *
instance_named(const char *name)
{
	for (size_t i = 0; i < ninstances; i++)
		if (strcmp(instances[i].name, name) == 0)
			return &instances[i];
	return NULL;
}

/* Reads the request at path; fails the test if it is not valid. */
static lines_input *
read_request(const char *path)
{
	char err[2048], *text;
	lines_input *in;
	size_t len;

	text = slurp(path, &len);
	in = lines_input_read(text, len, err, sizeof err);
	free(text);
	if (in == NULL)
		fail_msg("%s is not a valid BillingRequest or PartsRequest:\n%s", path, err);
	return in;
}

static void
read_expected(const char *path, lines_output *out)
{
	char err[2048], *text;
	size_t len;

	text = slurp(path, &len);
	if (lines_output_read(text, len, out, err, sizeof err) != 0)
		fail_msg("%s is not a valid PricedLines:\n%s", path, err);
	free(text);
}

/* Two quantities are the same number ("1.5" and "1.50"). */
static bool
same_quantity(cd_decimal a, cd_decimal b)
{
	rate ra = { a.value, (int)a.scale }, rb = { b.value, (int)b.scale };
	char ta[48], tb[48];

	if (rate_format(ra, ta, sizeof ta) != MONEY_OK || rate_format(rb, tb, sizeof tb) != MONEY_OK)
		return a.value == b.value && a.scale == b.scale;
	return strcmp(ta, tb) == 0;
}

/* Compares two answers field by field, line by line; returns the number
 * of differences, each printed. */
static int
compare(const lines_output *want, const lines_output *got)
{
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
	DIFF_STR("currency", want->currency, got->currency);
	DIFF_STR("status", plugin_status_name(want->status), plugin_status_name(got->status));
	if (want->status != CD_OK || got->status != CD_OK) {
		DIFF_STR("message", want->message, got->message);
		return diffs;
	}
	if (want->nlines != got->nlines) {
		print_message("#   lines: expected %zu, got %zu\n", want->nlines, got->nlines);
		diffs++;
	}
	for (size_t i = 0; i < want->nlines && i < got->nlines; i++) {
		const cd_line *w = &want->lines[i], *g = &got->lines[i];
		char field[64];

		snprintf(field, sizeof field, "line %zu kind", i + 1);
		DIFF_STR(field, lines_kind_name(w->kind) ? lines_kind_name(w->kind) : "?",
		    lines_kind_name(g->kind) ? lines_kind_name(g->kind) : "?");
		snprintf(field, sizeof field, "line %zu code", i + 1);
		DIFF_STR(field, w->code, g->code);
		snprintf(field, sizeof field, "line %zu description", i + 1);
		DIFF_STR(field, w->description, g->description);
		if (!same_quantity(w->quantity, g->quantity)) {
			print_message("#   line %zu quantity: expected %lld/10^%d, got %lld/10^%d\n",
			    i + 1, (long long)w->quantity.value, (int)w->quantity.scale,
			    (long long)g->quantity.value, (int)g->quantity.scale);
			diffs++;
		}
		snprintf(field, sizeof field, "line %zu unit price", i + 1);
		DIFF_MONEY(field, w->unit_price, g->unit_price);
		snprintf(field, sizeof field, "line %zu amount", i + 1);
		DIFF_MONEY(field, w->amount, g->amount);
		if (w->tax_category != g->tax_category) {
			print_message("#   line %zu tax category: expected %d, got %d\n", i + 1,
			    (int)w->tax_category, (int)g->tax_category);
			diffs++;
		}
		snprintf(field, sizeof field, "line %zu reference", i + 1);
		DIFF_STR(field, w->reference, g->reference);
	}
	DIFF_MONEY("total", want->total, got->total);
#undef DIFF_STR
#undef DIFF_MONEY
	return diffs;
}

/* Compares silently: the same answer. */
static bool
same_answer(const lines_output *a, const lines_output *b)
{
	if (a->status != b->status || strcmp(a->message, b->message) != 0 ||
	    a->nlines != b->nlines || a->total != b->total)
		return false;
	for (size_t i = 0; i < a->nlines; i++) {
		const cd_line *x = &a->lines[i], *y = &b->lines[i];

		if (x->kind != y->kind || strcmp(x->code, y->code) != 0 ||
		    strcmp(x->description, y->description) != 0 ||
		    x->quantity.value != y->quantity.value || x->quantity.scale != y->quantity.scale ||
		    x->unit_price != y->unit_price || x->amount != y->amount ||
		    x->tax_category != y->tax_category || strcmp(x->reference, y->reference) != 0)
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------------
 * Known answers
 * ------------------------------------------------------------------------ */

static void
test_case(void **state)
{
	const lines_case *c = *state;
	lines_output want, got, again;
	lines_input *in;
	char why[256], err[2048], *doc;
	size_t len;

	if (c->inst == NULL || c->inst->plugin == NULL)
		fail_msg("%s did not load: %s", c->name, c->inst ? c->inst->error : "?");
	in = read_request(c->request);
	read_expected(c->expected, &want);
	lines_run(c->inst->plugin, in, &got);
	if (compare(&want, &got) != 0) {
		doc = lines_output_write(&got, NULL);
		print_message("# %s answered:\n%s", c->name, doc);
		free(doc);
		fail_msg("%s: the answer differs from %s", c->name, c->expected);
	}
	/* Whatever a plugin answers must be something the server accepts. */
	if (lines_output_check(&got, why, sizeof why) != 0)
		fail_msg("%s: the server would refuse the answer: %s", c->name, why);
	/* And what `plugin price` prints must read back as the same answer. */
	doc = lines_output_write(&got, &len);
	if (lines_output_read(doc, len, &again, err, sizeof err) != 0)
		fail_msg("%s: the printed answer does not read back:\n%s\n%s", c->name, err, doc);
	assert_int_equal(compare(&got, &again), 0);
	free(doc);
	lines_output_clear(&want);
	lines_output_clear(&got);
	lines_output_clear(&again);
	lines_input_free(in);
}

/* Every directory holds cases, every case its expected answer, and a
 * request of the instance's kind: a missing file must not pass as
 * "nothing to test". billing-labor must be there; tests/data/parts/ may
 * not exist yet. */
static void
test_cases_complete(void **state)
{
	(void)state;
	assert_non_null(instance_named("billing-labor"));
	for (size_t i = 0; i < ninstances; i++) {
		size_t n = 0;

		for (size_t j = 0; j < ncases; j++)
			n += cases[j].inst == &instances[i];
		if (n == 0)
			fail_msg("%s has no cases", instances[i].dir);
	}
	for (size_t j = 0; j < ncases; j++) {
		const lines_case *c = &cases[j];
		cd_plugin_kind want;
		lines_input *in;
		FILE *f;

		if (c->inst == NULL)
			fail_msg("%s belongs to no instance", c->request);
		if ((f = fopen(c->expected, "r")) == NULL)
			fail_msg("%s has no %s", c->request, c->expected);
		fclose(f);
		in = read_request(c->request);
		want = strcmp(c->inst->root, "billing") == 0 ? CD_PLUGIN_BILLING : CD_PLUGIN_PARTS;
		if (lines_input_kind(in) != want)
			fail_msg("%s is a %s, which does not belong under tests/data/%s", c->request,
			    lines_input_document(in), c->inst->root);
		lines_input_free(in);
	}
	/* At least 15 cases of billing-labor. */
	{
		size_t n = 0;

		for (size_t j = 0; j < ncases; j++)
			n += cases[j].inst == instance_named("billing-labor");
		assert_true(n >= 15);
	}
}

/* ------------------------------------------------------------------------
 * Concurrency: one state, many threads
 * ------------------------------------------------------------------------ */

typedef struct worker {
	const instance *inst;
	lines_input **inputs;         /* the instance's cases */
	const lines_output *answers;  /* what one thread got */
	size_t n;
	atomic_int *mismatches;
} worker;

static void *
price_all(void *arg)
{
	const worker *w = arg;
	lines_output got;

	for (int r = 0; r < ROUNDS; r++) {
		for (size_t i = 0; i < w->n; i++) {
			lines_run(w->inst->plugin, w->inputs[i], &got);
			if (!same_answer(&got, &w->answers[i]))
				atomic_fetch_add(w->mismatches, 1);
			lines_output_clear(&got);
		}
	}
	return NULL;
}

/* THREADS threads price every case of every instance ROUNDS times with the
 * same plugin state at once, and get the answers one thread got. */
static void
test_concurrent_pricing(void **state)
{
	atomic_int mismatches = 0;

	(void)state;
	for (size_t i = 0; i < ninstances; i++) {
		const instance *inst = &instances[i];
		lines_input **inputs = xcalloc(ncases + 1, sizeof *inputs);
		lines_output *answers = xcalloc(ncases + 1, sizeof *answers);
		pthread_t threads[THREADS];
		worker w = { .inst = inst, .inputs = inputs, .answers = answers,
			.mismatches = &mismatches };

		if (inst->plugin == NULL)
			fail_msg("%s did not load: %s", inst->name, inst->error);
		for (size_t j = 0; j < ncases; j++) {
			if (cases[j].inst != inst)
				continue;
			inputs[w.n] = read_request(cases[j].request);
			lines_run(inst->plugin, inputs[w.n], &answers[w.n]);
			w.n++;
		}
		for (int t = 0; t < THREADS; t++)
			assert_int_equal(pthread_create(&threads[t], NULL, price_all, &w), 0);
		for (int t = 0; t < THREADS; t++)
			pthread_join(threads[t], NULL);
		for (size_t j = 0; j < w.n; j++) {
			lines_input_free(inputs[j]);
			lines_output_clear(&answers[j]);
		}
		free(inputs);
		free(answers);
	}
	assert_int_equal(atomic_load(&mismatches), 0);
}

/* ------------------------------------------------------------------------
 * The example documents and the rates files
 * ------------------------------------------------------------------------ */

/* Validates text against the schema of its root element; returns the
 * number of problems, printing each unless label is NULL. */
static size_t
schema_problems(const char *text, size_t len, const char *label)
{
	const xml_limits limits = { .max_bytes = 8u << 20, .max_depth = 32 };
	xml_problem problem, found[16];
	const xml_schema *s;
	xmlDocPtr doc;
	size_t n = 0;

	doc = xml_parse_untrusted(text, len, &limits, &problem);
	if (doc == NULL) {
		if (label != NULL)
			print_message("# %s: %s: %s\n", label, problem.path, problem.message);
		return 1;
	}
	s = xml_schema_for_root((const char *)xmlDocGetRootElement(doc)->name);
	if (s == NULL) {
		xmlFreeDoc(doc);
		if (label != NULL)
			print_message("# %s: no schema for its root\n", label);
		return 1;
	}
	if (xml_validate(s, doc, found, 16, &n) != 0 && n == 0)
		n = 1;
	for (size_t i = 0; label != NULL && i < n && i < 16; i++)
		print_message("# %s: %s: %s\n", label, found[i].path, found[i].message);
	xmlFreeDoc(doc);
	return n;
}

/* The rates of the known-answer tests are valid LaborRates documents, as
 * the example is (test_xml_schema checks that one too). */
static void
test_rates_files_valid(void **state)
{
	char *path = xasprintf("%s/tests/data/billing/billing-labor/labor-rates.xml",
	    env_dir("CD_SRCDIR"));
	char *text;
	size_t len;

	(void)state;
	text = slurp(path, &len);
	assert_int_equal(schema_problems(text, len, path), 0);
	free(text);
	free(path);
}

/* contracts/examples: BillingRequest.xml priced by billing-labor with
 * LaborRates.xml is PricedLines.xml, as their comments and docs/plugins.md
 * say. */
static void
test_examples_agree(void **state)
{
	char *dir = xasprintf("%s/contracts/examples", env_dir("CD_SRCDIR")), err[1024];
	char *request = xasprintf("%s/BillingRequest.xml", dir);
	char *answer = xasprintf("%s/PricedLines.xml", dir);
	const config_kv params[] = { { "rates", "LaborRates.xml" } };
	lines_output want, got;
	loaded_plugin *p;
	lines_input *in;

	(void)state;
	p = load_plugin("billing-labor", params, 1, dir, err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);
	in = read_request(request);
	read_expected(answer, &want);
	lines_run(p, in, &got);
	if (compare(&want, &got) != 0)
		fail_msg("billing-labor does not answer %s with %s", request, answer);
	lines_output_clear(&want);
	lines_output_clear(&got);
	lines_input_free(in);
	plugin_unload(p);
	free(request);
	free(answer);
	free(dir);
}

/* ------------------------------------------------------------------------
 * The documents' readers
 * ------------------------------------------------------------------------ */

static const char billing_request[] =
    "<BillingRequest xmlns=\"urn:contractd:1\"><Currency>JPY</Currency>"
    "<DealerId>D</DealerId><Region>R1</Region><ServiceDate>2025-02-28</ServiceDate>"
    "<FieldService>1</FieldService><TravelDistance> 12.5 </TravelDistance>"
    "<HasContract>false</HasContract><Diagnostic>true</Diagnostic>"
    "<Operations><Operation><OperationCode>A</OperationCode><Hours>1.25</Hours>"
    "</Operation><Operation><OperationCode>B</OperationCode><Hours>2</Hours>"
    "<SkillLevel>expert</SkillLevel></Operation></Operations>"
    "<PartsAmount>1500</PartsAmount>"
    "<Params><Param><Key>k</Key><Value> v w </Value></Param></Params>"
    "</BillingRequest>";

/* text with from replaced by to (which must occur). */
static char *
variant_of(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);

	if (at == NULL)
		fail_msg("'%s' is not in the document", from);
	return xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

static void
test_request_reader(void **state)
{
	static const char parts[] =
	    "<PartsRequest xmlns=\"urn:contractd:1\"><Currency>EUR</Currency>"
	    "<DealerId>D</DealerId><Buyer>warranty</Buyer><OrderDate>2025-01-31</OrderDate>"
	    "<Items><Item><PartNumber>P-1</PartNumber><Quantity>4.5</Quantity></Item></Items>"
	    "</PartsRequest>";
	const cd_billing_request *b;
	const cd_parts_request *pr;
	char err[2048], *text;
	lines_input *in;

	(void)state;
	in = lines_input_read(billing_request, strlen(billing_request), err, sizeof err);
	if (in == NULL)
		fail_msg("%s", err);
	assert_int_equal(lines_input_kind(in), CD_PLUGIN_BILLING);
	assert_string_equal(lines_input_document(in), "BillingRequest");
	assert_null(lines_input_parts(in));
	b = lines_input_billing(in);
	assert_int_equal(b->struct_size, sizeof *b);
	assert_string_equal(b->currency, "JPY");
	assert_string_equal(b->dealer_id, "D");
	assert_string_equal(b->region, "R1");
	assert_string_equal(b->service_date.iso, "2025-02-28");
	assert_int_equal(b->field_service, 1);
	assert_int_equal(b->travel_distance.value, 125);
	assert_int_equal(b->travel_distance.scale, 1);
	assert_int_equal(b->has_contract, 0);
	assert_int_equal(b->diagnostic, 1);
	assert_int_equal(b->nops, 2);
	assert_string_equal(b->ops[0].operation_code, "A");
	assert_int_equal(b->ops[0].hours.value, 125);
	assert_int_equal(b->ops[0].hours.scale, 2);
	assert_null(b->ops[0].skill_level);
	assert_string_equal(b->ops[1].skill_level, "expert");
	assert_int_equal(b->parts_amount, 1500);
	assert_int_equal(b->nparams, 1);
	assert_string_equal(b->params[0].key, "k");
	assert_string_equal(b->params[0].value, " v w ");
	lines_input_free(in);

	/* What may be left out. */
	text = xasprintf("<BillingRequest xmlns=\"urn:contractd:1\"><Currency>EUR</Currency>"
	    "<DealerId>D</DealerId><ServiceDate>2025-01-01</ServiceDate></BillingRequest>");
	in = lines_input_read(text, strlen(text), err, sizeof err);
	if (in == NULL)
		fail_msg("%s", err);
	b = lines_input_billing(in);
	assert_null(b->region);
	assert_int_equal(b->nops, 0);
	assert_null(b->ops);
	assert_int_equal(b->parts_amount, 0);
	assert_int_equal(b->travel_distance.value, 0);
	assert_int_equal(b->nparams, 0);
	lines_input_free(in);
	free(text);

	in = lines_input_read(parts, strlen(parts), err, sizeof err);
	if (in == NULL)
		fail_msg("%s", err);
	assert_int_equal(lines_input_kind(in), CD_PLUGIN_PARTS);
	assert_null(lines_input_billing(in));
	pr = lines_input_parts(in);
	assert_string_equal(pr->currency, "EUR");
	assert_int_equal(pr->buyer, CD_BUYER_WARRANTY);
	assert_string_equal(pr->order_date.iso, "2025-01-31");
	assert_int_equal(pr->nitems, 1);
	assert_string_equal(pr->items[0].part_number, "P-1");
	assert_int_equal(pr->items[0].quantity.value, 45);
	assert_int_equal(pr->items[0].quantity.scale, 1);
	lines_input_free(in);

	/* Yen have no decimals. */
	text = variant_of(billing_request, "1500<", "1500.5<");
	assert_null(lines_input_read(text, strlen(text), err, sizeof err));
	assert_string_equal(err, "/BillingRequest/PartsAmount: 1500.5 has more decimals than JPY "
	    "has (0)");
	free(text);
	text = variant_of(billing_request, ">JPY<", ">XXQ<");
	assert_null(lines_input_read(text, strlen(text), err, sizeof err));
	assert_string_equal(err, "/BillingRequest/Currency: XXQ is not an ISO 4217 currency");
	free(text);
	/* Schema problems, with their paths; a PartsRequest needs items. */
	text = variant_of(billing_request, "<Hours>2</Hours>", "<Hours>0</Hours>");
	assert_null(lines_input_read(text, strlen(text), err, sizeof err));
	assert_non_null(strstr(err, "/BillingRequest/Operations/Operation[2]/Hours: "));
	free(text);
	text = variant_of(parts, "<Items><Item><PartNumber>P-1</PartNumber><Quantity>4.5"
	    "</Quantity></Item></Items>", "<Items/>");
	assert_null(lines_input_read(text, strlen(text), err, sizeof err));
	assert_non_null(strstr(err, "/PartsRequest/Items"));
	free(text);
	/* Other documents, and no document. */
	text = xasprintf("<PricingRequest xmlns=\"urn:contractd:1\"/>");
	assert_null(lines_input_read(text, strlen(text), err, sizeof err));
	assert_string_equal(err, "/: a BillingRequest or PartsRequest in namespace "
	    "urn:contractd:1 is expected, not PricingRequest");
	free(text);
	text = xasprintf("<BillingRequest/>");
	assert_null(lines_input_read(text, strlen(text), err, sizeof err));
	assert_non_null(strstr(err, "is expected, not BillingRequest"));
	free(text);
	text = xasprintf("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
	    "<BillingRequest xmlns=\"urn:contractd:1\">&e;</BillingRequest>");
	assert_null(lines_input_read(text, strlen(text), err, sizeof err));
	assert_non_null(strstr(err, "DOCTYPE"));
	free(text);
	assert_null(lines_input_read("", 0, err, sizeof err));
}

static const char answer_doc[] =
    "<PricedLines xmlns=\"urn:contractd:1\"><Plugin>p</Plugin>"
    "<PluginVersion>1.0</PluginVersion><Currency>EUR</Currency><Lines>"
    "<Line><Kind>labor</Kind><Code>OP-1</Code><Description>  two  spaces </Description>"
    "<Quantity>1.50</Quantity><UnitPrice>80.00</UnitPrice><Amount>120.00</Amount>"
    "<TaxCategory>Z</TaxCategory><Reference>R</Reference></Line>"
    "<Line><Kind>discount</Kind><Code>D</Code><Quantity>1</Quantity>"
    "<UnitPrice>-12.00</UnitPrice><Amount>-12.00</Amount><TaxCategory>AE</TaxCategory></Line>"
    "</Lines><Total>108.00</Total></PricedLines>";

static void
test_output_reader(void **state)
{
	lines_output out, again;
	char err[2048], why[256], *text, *doc;
	size_t len;

	(void)state;
	if (lines_output_read(answer_doc, strlen(answer_doc), &out, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(out.status, CD_OK);
	assert_string_equal(out.plugin, "p");
	assert_string_equal(out.currency, "EUR");
	assert_int_equal(out.nlines, 2);
	assert_int_equal(out.lines[0].kind, CD_LINE_LABOR);
	assert_string_equal(out.lines[0].description, "  two  spaces ");
	assert_int_equal(out.lines[0].quantity.value, 150);
	assert_int_equal(out.lines[0].amount, 12000);
	assert_int_equal(out.lines[0].tax_category, CD_TAX_ZERO);
	assert_string_equal(out.lines[0].reference, "R");
	assert_int_equal(out.lines[1].kind, CD_LINE_DISCOUNT);
	assert_int_equal(out.lines[1].amount, -1200);
	assert_int_equal(out.lines[1].tax_category, CD_TAX_REVERSE);
	assert_string_equal(out.lines[1].description, "");
	assert_int_equal(out.total, 10800);
	assert_int_equal(lines_output_check(&out, why, sizeof why), 0);
	/* Written and read back: the same, quantities without trailing zeros. */
	doc = lines_output_write(&out, &len);
	assert_non_null(strstr(doc, "<Quantity>1.5</Quantity>"));
	assert_int_equal(lines_output_read(doc, len, &again, err, sizeof err), 0);
	assert_int_equal(compare(&out, &again), 0);
	assert_int_equal(again.lines[0].quantity.value, 15);
	lines_output_clear(&again);
	free(doc);

	/* What the server would not invoice. */
	out.lines[1].amount = 1200;
	assert_int_equal(lines_output_check(&out, why, sizeof why), -1);
	assert_string_equal(why, "line 2 (discount D) has a positive amount");
	out.lines[1].amount = -1200;
	out.lines[0].amount = -1;
	assert_int_equal(lines_output_check(&out, why, sizeof why), -1);
	assert_string_equal(why, "line 1 (labor OP-1) has a negative amount; only discounts may");
	out.lines[0].amount = 12000;
	out.lines[0].code[0] = '\0';
	assert_int_equal(lines_output_check(&out, why, sizeof why), -1);
	assert_string_equal(why, "line 1 (labor) has no code");
	out.lines[0].kind = (cd_line_kind)9;
	assert_int_equal(lines_output_check(&out, why, sizeof why), -1);
	assert_string_equal(why, "line 1 has unknown kind 9");
	lines_output_clear(&out);

	/* Amounts with exactly the currency's decimals, a Total that adds up. */
	text = variant_of(answer_doc, "<Amount>120.00</Amount>", "<Amount>120.0</Amount>");
	assert_int_equal(lines_output_read(text, strlen(text), &out, err, sizeof err), -1);
	assert_string_equal(err, "/PricedLines/Lines/Line[1]/Amount: 120.0 must be written with "
	    "exactly 2 decimals, as EUR has");
	lines_output_clear(&out);
	free(text);
	text = variant_of(answer_doc, "<Total>108.00</Total>", "<Total>108.01</Total>");
	assert_int_equal(lines_output_read(text, strlen(text), &out, err, sizeof err), -1);
	assert_string_equal(err, "/PricedLines/Total: 108.01 is not the sum of the lines' amounts, "
	    "108.00");
	lines_output_clear(&out);
	free(text);
	text = variant_of(answer_doc, "<Currency>EUR</Currency>", "<Currency>JPY</Currency>");
	assert_int_equal(lines_output_read(text, strlen(text), &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "/PricedLines/Lines/Line[1]/UnitPrice: 80.00 has more "
	    "decimals than JPY has (0)"));
	lines_output_clear(&out);
	free(text);
	text = variant_of(answer_doc, "<Kind>labor</Kind>", "<Kind>tip</Kind>");
	assert_int_equal(lines_output_read(text, strlen(text), &out, err, sizeof err), -1);
	assert_non_null(strstr(err, "/PricedLines/Lines/Line[1]/Kind: "));
	lines_output_clear(&out);
	free(text);

	/* Refusals, each status by its word, both ways. */
	for (cd_status st = CD_ERR_INVALID; st <= CD_ERR_INTERNAL; st++) {
		lines_output r = { .status = st };

		snprintf(r.plugin, sizeof r.plugin, "p");
		snprintf(r.version, sizeof r.version, "1");
		snprintf(r.currency, sizeof r.currency, "EUR");
		snprintf(r.message, sizeof r.message, "because & <why>");
		doc = lines_output_write(&r, &len);
		assert_non_null(strstr(doc, lines_status_word(st)));
		if (lines_output_read(doc, len, &again, err, sizeof err) != 0)
			fail_msg("%s\n%s", err, doc);
		assert_int_equal(again.status, st);
		assert_string_equal(again.message, "because & <why>");
		assert_int_equal(lines_output_check(&again, why, sizeof why), 0);
		lines_output_clear(&again);
		free(doc);
	}
	assert_null(lines_status_word(CD_OK));
	assert_null(lines_kind_name((cd_line_kind)6));
}

/* A billing plugin does not price parts, and the host says so. */
static void
test_wrong_kind(void **state)
{
	static const char parts[] =
	    "<PartsRequest xmlns=\"urn:contractd:1\"><Currency>EUR</Currency>"
	    "<DealerId>D</DealerId><Buyer>dealer</Buyer><OrderDate>2025-01-31</OrderDate>"
	    "<Items><Item><PartNumber>P-1</PartNumber><Quantity>1</Quantity></Item></Items>"
	    "</PartsRequest>";
	const instance *labor = instance_named("billing-labor");
	char err[1024];
	lines_output out;
	lines_input *in;

	(void)state;
	assert_non_null(labor);
	assert_non_null(labor->plugin);
	in = lines_input_read(parts, strlen(parts), err, sizeof err);
	if (in == NULL)
		fail_msg("%s", err);
	assert_int_equal(lines_run(labor->plugin, in, &out), CD_ERR_UNSUPPORTED);
	assert_string_equal(out.message, "plugin billing-labor is a billing plugin, not a parts "
	    "plugin");
	assert_null(out.lines);
	lines_input_free(in);
}

/* More lines than the host offers at first: the plugin says how many it
 * needs, the host offers that, and every line comes back. */
static void
test_many_lines(void **state)
{
	const instance *labor = instance_named("billing-labor");
	char *text, err[2048];
	size_t len = 0, cap = 1 << 16, nops = 200;
	lines_output out;
	lines_input *in;

	(void)state;
	assert_non_null(labor);
	text = xmalloc(cap);
	len += (size_t)snprintf(text + len, cap - len, "<BillingRequest xmlns=\"urn:contractd:1\">"
	    "<Currency>EUR</Currency><DealerId>DLR-0042</DealerId>"
	    "<ServiceDate>2025-06-01</ServiceDate><Diagnostic>true</Diagnostic><Operations>");
	for (size_t i = 0; i < nops; i++)
		len += (size_t)snprintf(text + len, cap - len, "<Operation><OperationCode>OP-%zu"
		    "</OperationCode><Hours>0.25</Hours></Operation>", i);
	len += (size_t)snprintf(text + len, cap - len, "</Operations></BillingRequest>");
	in = lines_input_read(text, len, err, sizeof err);
	if (in == NULL)
		fail_msg("%s", err);
	assert_int_equal(lines_run(labor->plugin, in, &out), CD_OK);
	/* 200 x 0.25 h x 80.00 = 200 x 20.00 = 4000.00; the diagnostic fee
	 * 45.00; shop supplies capped at 25.00. */
	assert_int_equal(out.nlines, nops + 2);
	assert_int_equal(out.lines[nops - 1].amount, 2000);
	assert_string_equal(out.lines[nops].code, "DIAGNOSTIC");
	assert_string_equal(out.lines[nops + 1].code, "SHOP-SUPPLIES");
	assert_int_equal(out.total, 400000 + 4500 + 2500);
	lines_output_clear(&out);
	lines_input_free(in);
	free(text);
}

/* ------------------------------------------------------------------------
 * billing-labor's init: rates files broken one way each
 * ------------------------------------------------------------------------ */

/* A small valid rates file, for variants. */
static const char small_rates[] =
    "<?xml version=\"1.0\"?>\n"
    "<LaborRates xmlns=\"urn:contractd:1\">\n"
    "  <EffectiveDate>2025-01-01</EffectiveDate>\n"
    "  <Table currency=\"EUR\" defaultSkill=\"std\">\n"
    "    <Rates>\n"
    "      <Rate>90.00</Rate>\n"
    "      <Rate skill=\"pro\">120.00</Rate>\n"
    "      <Rate dealer=\"D1\">85.00</Rate>\n"
    "      <Rate region=\"R1\" skill=\"pro\">110.00</Rate>\n"
    "    </Rates>\n"
    "    <Operations>\n"
    "      <Operation code=\"OIL\" hours=\"0.5\"/>\n"
    "      <Operation code=\"DIAG\" basis=\"actual\" description=\"Diagnosis\"/>\n"
    "    </Operations>\n"
    "    <DiagnosticFee>40.00</DiagnosticFee>\n"
    "    <MinimumCharge>50.00</MinimumCharge>\n"
    "    <FieldService><CallOutFee>30.00</CallOutFee><PerKm>0.50</PerKm></FieldService>\n"
    "    <ShopSupplies><Percent>5</Percent><Maximum>20.00</Maximum></ShopSupplies>\n"
    "    <ContractDiscount><Percent>10</Percent></ContractDiscount>\n"
    "    <TaxCategory>S</TaxCategory>\n"
    "  </Table>\n"
    "  <Table currency=\"JPY\" defaultSkill=\"std\">\n"
    "    <Rates><Rate>9000</Rate></Rates>\n"
    "  </Table>\n"
    "</LaborRates>\n";

/* Writes text as NAME in the scratch directory and loads billing-labor
 * with rates = NAME (relative: resolved against the scratch directory).
 * Returns the plugin or NULL with the reason in err. */
static loaded_plugin *
load_rates(const char *name, const char *text, size_t len, char *err, size_t errlen)
{
	const config_kv params[] = { { "rates", (char *)name } };
	char *path = xasprintf("%s/%s", scratch, name);

	spew(path, text, len);
	free(path);
	return load_plugin("billing-labor", params, 1, scratch, err, errlen);
}

static void
test_small_rates_load(void **state)
{
	char err[1024];
	loaded_plugin *p;

	(void)state;
	assert_int_equal(schema_problems(small_rates, strlen(small_rates), "small rates"), 0);
	logged("");
	p = load_rates("small.xml", small_rates, strlen(small_rates), err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);
	/* init says what it loaded. */
	assert_true(logged("plugin billing-labor: labor rates "));
	plugin_unload(p);
}

/* A description longer than a line holds is cut, never in the middle of
 * a UTF-8 character: 100 e-acutes (200 bytes) and the rest make more than
 * the 127 bytes of cd_line.description, which end after 63 whole ones. */
static void
test_long_description(void **state)
{
	static const char request[] =
	    "<BillingRequest xmlns=\"urn:contractd:1\"><Currency>EUR</Currency>"
	    "<DealerId>X</DealerId><ServiceDate>2025-06-01</ServiceDate><Operations>"
	    "<Operation><OperationCode>OIL</OperationCode><Hours>1</Hours></Operation>"
	    "</Operations></BillingRequest>";
	char desc[256] = "description=\"", err[2048], *text;
	lines_output out;
	lines_input *in;
	loaded_plugin *p;
	size_t n;

	(void)state;
	for (int i = 0; i < 100; i++)
		strcat(desc, "\xc3\xa9");
	strcat(desc, "\" code=\"OIL\"");
	text = variant_of(small_rates, "code=\"OIL\"", desc);
	p = load_rates("long.xml", text, strlen(text), err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);
	in = lines_input_read(request, strlen(request), err, sizeof err);
	if (in == NULL)
		fail_msg("%s", err);
	assert_int_equal(lines_run(p, in, &out), CD_OK);
	n = strlen(out.lines[0].description);
	assert_int_equal(n, 126);
	assert_int_equal((unsigned char)out.lines[0].description[n - 2], 0xc3);
	assert_int_equal((unsigned char)out.lines[0].description[n - 1], 0xa9);
	assert_int_equal(out.lines[0].amount, 4500);     /* flat 0.5 h x 90.00 */
	lines_output_clear(&out);
	lines_input_free(in);
	plugin_unload(p);
	free(text);
}

static void
test_init_refusals(void **state)
{
	/* schema: 1 when LaborRates.xsd refuses the variant too, 0 when only
	 * the plugin can (what the schema cannot say). */
	static const struct {
		const char *from, *to;
		int schema;
		const char *message;       /* after "labor rates DIR/broken.xml: " */
	} broken[] = {
		{ "<Rate dealer=\"D1\">", "<Rate dealer=\"D1\" region=\"R1\">", 0,
		    "/LaborRates/Table[1]/Rates/Rate[3]: a rate is for a dealer or for a region, "
		    "not both" },
		{ "<Rate skill=\"pro\">120.00</Rate>", "<Rate skill=\"std\">120.00</Rate>", 0,
		    "/LaborRates/Table[1]/Rates/Rate[2]: a second default rate for skill level std" },
		{ "<Rate dealer=\"D1\">85.00</Rate>",
		    "<Rate dealer=\"D1\">85.00</Rate><Rate dealer=\"D1\" skill=\"std\">86.00</Rate>", 0,
		    "/LaborRates/Table[1]/Rates/Rate[4]: a second dealer rate for skill level std of "
		    "dealer D1" },
		{ "<Rate>90.00</Rate>", "<Rate skill=\"pro2\">90.00</Rate>", 0,
		    "/LaborRates/Table[1]/Rates: no default rate (a Rate without dealer and region) "
		    "for the default skill level std" },
		{ "<Rate region=\"R1\" skill=\"pro\">", "<Rate region=\"R1\" skill=\"master\">", 0,
		    "/LaborRates/Table[1]/Rates/Rate[4]: skill level master has no default rate" },
		{ "<Operation code=\"OIL\" hours=\"0.5\"/>", "<Operation code=\"OIL\"/>", 0,
		    "/LaborRates/Table[1]/Operations/Operation[1]: operation OIL is billed at a flat "
		    "rate but has no hours" },
		{ "code=\"DIAG\"", "code=\"OIL\"", 1,
		    "/LaborRates/Table[1]/Operations/Operation[2]/@code: operation OIL is listed "
		    "twice" },
		{ "<Table currency=\"JPY\"", "<Table currency=\"EUR\"", 1,
		    "/LaborRates/Table[2]/@currency: a second table for EUR" },
		{ "<Rates><Rate>9000</Rate>", "<Rates><Rate>9000.50</Rate>", 0,
		    "/LaborRates/Table[2]/Rates/Rate: 9000.50 has more decimals than JPY has (0)" },
		{ "<Rate>90.00</Rate>", "<Rate>90.001</Rate>", 0,
		    "/LaborRates/Table[1]/Rates/Rate[1]: 90.001 has more decimals than EUR has (2)" },
		{ "<Rate>90.00</Rate>", "<Rate>-90.00</Rate>", 1,
		    "/LaborRates/Table[1]/Rates/Rate[1]: '-90.00' is not an amount" },
		{ "<Table currency=\"JPY\"", "<Table currency=\"XXQ\"", 0,
		    "/LaborRates/Table[2]/@currency: XXQ is not an ISO 4217 currency" },
		{ "<Percent>5</Percent>", "<Percent>105</Percent>", 1,
		    "/LaborRates/Table[1]/ShopSupplies/Percent: 105% is more than 100%" },
		{ "<Percent>10</Percent>", "<Percent>ten</Percent>", 1,
		    "/LaborRates/Table[1]/ContractDiscount/Percent: 'ten' is not a percentage" },
		{ "hours=\"0.5\"", "hours=\"0\"", 1,
		    "/LaborRates/Table[1]/Operations/Operation[1]/@hours: '0' is not a number of "
		    "hours above 0" },
		{ "hours=\"0.5\"", "hours=\"0.125\"", 1,
		    "/LaborRates/Table[1]/Operations/Operation[1]/@hours: '0.125' is not a number" },
		{ "basis=\"actual\"", "basis=\"real\"", 1,
		    "/LaborRates/Table[1]/Operations/Operation[2]/@basis: 'real' is not flat or actual" },
		{ "<TaxCategory>S</TaxCategory>", "<TaxCategory>X</TaxCategory>", 1,
		    "/LaborRates/Table[1]/TaxCategory: 'X' is not S, Z, E or AE" },
		{ "<EffectiveDate>2025-01-01", "<EffectiveDate>2025-02-30", 1,
		    "/LaborRates/EffectiveDate: '2025-02-30' is not a date (YYYY-MM-DD)" },
		{ "<DiagnosticFee>40.00</DiagnosticFee>\n    <MinimumCharge>50.00</MinimumCharge>",
		    "<MinimumCharge>50.00</MinimumCharge>\n    <DiagnosticFee>40.00</DiagnosticFee>", 1,
		    "/LaborRates/Table[1]/DiagnosticFee: out of order: DiagnosticFee comes before "
		    "MinimumCharge" },
		{ "<TaxCategory>S</TaxCategory>", "<Discount>5</Discount>", 1,
		    "/LaborRates/Table[1]/Discount: unexpected element Discount" },
		{ "<DiagnosticFee>40.00</DiagnosticFee>",
		    "<DiagnosticFee>40.00</DiagnosticFee><DiagnosticFee>41.00</DiagnosticFee>", 1,
		    "/LaborRates/Table[1]/DiagnosticFee[2]: more than 1 DiagnosticFee element" },
		{ "<PerKm>0.50</PerKm>", "", 1,
		    "/LaborRates/Table[1]/FieldService: missing PerKm" },
		{ "<Rates><Rate>9000</Rate></Rates>", "", 1,
		    "/LaborRates/Table[2]: missing Rates" },
		{ "<Table currency=\"JPY\" defaultSkill=\"std\">", "<Table currency=\"JPY\">", 1,
		    "/LaborRates/Table[2]: missing attribute defaultSkill" },
		{ "<Operation code=\"OIL\"", "<Operation colour=\"red\" code=\"OIL\"", 1,
		    "/LaborRates/Table[1]/Operations/Operation[1]/@colour: unknown attribute" },
		{ "<Rate dealer=\"D1\">", "<Rate dealer=\"D 1\">", 1,
		    "/LaborRates/Table[1]/Rates/Rate[3]/@dealer: 'D 1' is not a dealer id" },
		{ "<Rate>90.00</Rate>", "<Rate><b>90.00</b></Rate>", 1,
		    "/LaborRates/Table[1]/Rates/Rate[1]/b: no element is allowed inside Rate" },
		{ "<ShopSupplies>", "<ShopSupplies>5 percent", 1,
		    "/LaborRates/Table[1]/ShopSupplies: text is not allowed here" },
		{ "<TaxCategory>S</TaxCategory>", "<x:TaxCategory xmlns:x=\"urn:other\">S"
		    "</x:TaxCategory>", 1,
		    "/LaborRates/Table[1]/TaxCategory: not an element of namespace urn:contractd:1" },
		{ "<LaborRates xmlns=\"urn:contractd:1\">", "<LaborRates xmlns=\"urn:other\">", 1,
		    "not a LaborRates document (its root is LaborRates outside namespace "
		    "urn:contractd:1, not LaborRates in namespace urn:contractd:1)" },
		{ "<?xml version=\"1.0\"?>",
		    "<?xml version=\"1.0\"?><!DOCTYPE LaborRates [<!ENTITY x SYSTEM "
		    "\"file:///etc/passwd\">]>", 1,
		    "a DOCTYPE is not allowed (no DTDs, no entities)" },
		{ "<?xml version=\"1.0\"?>",
		    "<?xml version=\"1.0\"?><!DOCTYPE LaborRates SYSTEM \"http://example.com/x.dtd\">",
		    1, "a DOCTYPE is not allowed (no DTDs, no entities)" },
		{ "<Rate>90.00</Rate>", "<Rate>&undefined;</Rate>", 1, "line 6, column " },
		{ "</LaborRates>", "</LaborRatez>", 1, "line 25, column " },
	};
	char err[2048], *text, *want_prefix;
	loaded_plugin *p;

	(void)state;
	want_prefix = xasprintf("init of billing-labor 1.0.0 failed (CD_ERR_CONFIG): labor rates "
	    "%s/broken.xml: ", scratch);
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		size_t nproblems;

		text = variant_of(small_rates, broken[i].from, broken[i].to);
		p = load_rates("broken.xml", text, strlen(text), err, sizeof err);
		if (p != NULL)
			fail_msg("variant %zu (%s) was accepted", i, broken[i].to);
		if (strstr(err, want_prefix) == NULL)
			fail_msg("variant %zu: the message does not name the file:\n  %s", i, err);
		if (strstr(err, broken[i].message) == NULL)
			fail_msg("variant %zu:\n  expected '...%s...'\n  got      '%s'", i,
			    broken[i].message, err);
		/* The schema agrees where it can say it. */
		nproblems = schema_problems(text, strlen(text), NULL);
		if (broken[i].schema && nproblems == 0)
			fail_msg("variant %zu: LaborRates.xsd accepts what the plugin refuses", i);
		free(text);
	}
	free(want_prefix);
}

/* Refusals that are about the file rather than its elements. */
static void
test_init_refusals_file(void **state)
{
	const config_kv none[] = { { "other", "x" } }, missing[] = { { "rates", "nowhere.xml" } };
	const config_kv dir[] = { { "rates", "." } };
	char err[2048], *text, *deep;
	size_t len, n;
	loaded_plugin *p;

	(void)state;
	assert_null(load_plugin("billing-labor", none, 1, scratch, err, sizeof err));
	assert_non_null(strstr(err, "(CD_ERR_CONFIG): 'rates' must name a LaborRates file"));
	assert_null(load_plugin("billing-labor", missing, 1, scratch, err, sizeof err));
	assert_non_null(strstr(err, "/nowhere.xml: cannot open: No such file or directory"));
	assert_null(load_plugin("billing-labor", dir, 1, scratch, err, sizeof err));
	assert_non_null(strstr(err, "labor rates "));
	assert_non_null(strstr(err, ": not a regular file"));

	/* Empty, and too large. */
	assert_null(load_rates("empty.xml", "", 0, err, sizeof err));
	assert_non_null(strstr(err, "/empty.xml: 0 bytes: a rates file has 1 to 4194304"));
	len = (4u << 20) + 1;
	text = xmalloc(len);
	memset(text, ' ', len);
	memcpy(text, "<LaborRates/>", 13);
	assert_null(load_rates("huge.xml", text, len, err, sizeof err));
	assert_non_null(strstr(err, "/huge.xml: 4194305 bytes: a rates file has 1 to 4194304"));
	free(text);

	/* An entity bomb needs a DOCTYPE, which is refused before any entity
	 * is declared, let alone expanded. */
	text = xasprintf("<?xml version=\"1.0\"?><!DOCTYPE b [<!ENTITY a \"aaaaaaaaaa\">"
	    "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">"
	    "]><LaborRates xmlns=\"urn:contractd:1\">&c;</LaborRates>");
	assert_null(load_rates("bomb.xml", text, strlen(text), err, sizeof err));
	assert_non_null(strstr(err, "/bomb.xml: a DOCTYPE is not allowed"));
	free(text);

	/* Nesting beyond any LaborRates. */
	n = 0;
	deep = xmalloc(64 * 8 + 64);
	n += (size_t)sprintf(deep + n, "<LaborRates xmlns=\"urn:contractd:1\">");
	for (int i = 0; i < 20; i++)
		n += (size_t)sprintf(deep + n, "<a>");
	for (int i = 0; i < 20; i++)
		n += (size_t)sprintf(deep + n, "</a>");
	n += (size_t)sprintf(deep + n, "</LaborRates>");
	assert_null(load_rates("deep.xml", deep, n, err, sizeof err));
	assert_non_null(strstr(err, "/deep.xml: elements nest deeper than 8 levels"));
	free(deep);

	/* Not a LaborRates at all: a rate table of the pricing plugins. */
	text = xasprintf("%s/contracts/examples/RateTable.xml", env_dir("CD_SRCDIR"));
	{
		char *doc = slurp(text, &len);

		assert_null(load_rates("ratetable.xml", doc, len, err, sizeof err));
		assert_non_null(strstr(err, "/ratetable.xml: not a LaborRates document (its root is "
		    "RateTable, not LaborRates in namespace urn:contractd:1)"));
		free(doc);
	}
	free(text);

	/* And a valid file after all that loads. */
	p = load_rates("good.xml", small_rates, strlen(small_rates), err, sizeof err);
	if (p == NULL)
		fail_msg("%s", err);
	plugin_unload(p);
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

/* Removes the scratch directory and what the tests wrote there. */
static void
scratch_remove(void)
{
	size_t n;
	char **names = list_dir(scratch, ".xml", &n);

	for (size_t i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", scratch, names[i]);

		unlink(path);
		free(path);
		free(names[i]);
	}
	free(names);
	rmdir(scratch);
	free(scratch);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_cases_complete),
		cmocka_unit_test(test_concurrent_pricing),
		cmocka_unit_test(test_rates_files_valid),
		cmocka_unit_test(test_examples_agree),
		cmocka_unit_test(test_request_reader),
		cmocka_unit_test(test_output_reader),
		cmocka_unit_test(test_wrong_kind),
		cmocka_unit_test(test_many_lines),
		cmocka_unit_test(test_small_rates_load),
		cmocka_unit_test(test_long_description),
		cmocka_unit_test(test_init_refusals),
		cmocka_unit_test(test_init_refusals_file),
	};
	const size_t nfixed = sizeof fixed / sizeof fixed[0];
	struct CMUnitTest *tests;
	char err[512], tmpl[] = "/tmp/test_lines_plugins.XXXXXX";
	const char *tmpdir = getenv("TMPDIR");
	int rc;

	/* Refusals are expected: what the host logs goes to a file of its own. */
	log_file = tmpfile();
	if (log_file == NULL)
		return 1;
	log_setup(LOG_LEVEL_DEBUG, log_file);
	if (pricing_doc_init(err, sizeof err) != 0) {
		fprintf(stderr, "cannot load the XML schemas: %s\n", err);
		return 1;
	}
	if (tmpdir != NULL && tmpdir[0] != '\0') {
		scratch = xasprintf("%s/test_lines_plugins.XXXXXX", tmpdir);
		if (mkdtemp(scratch) == NULL) {
			free(scratch);
			scratch = NULL;
		}
	}
	if (scratch == NULL) {
		if (mkdtemp(tmpl) == NULL) {
			fprintf(stderr, "cannot make a scratch directory: %s\n", strerror(errno));
			return 1;
		}
		scratch = xstrdup(tmpl);
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
	rc = _cmocka_run_group_tests("billing and parts plugins", tests, ncases + nfixed,
	    group_setup, group_teardown);
	free(tests);
	forget();
	scratch_remove();
	pricing_doc_cleanup();
	log_setup(LOG_LEVEL_DEBUG, NULL);
	fclose(log_file);
	return rc;
}
