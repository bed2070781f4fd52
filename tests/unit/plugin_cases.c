/* plugin_cases — the plumbing of the plugins' known-answer tests. See
 * plugin_cases.h. */
#include "plugin_cases.h"
#include "plugin/pricing_doc.h"
#include "base/log.h"
#include "base/money.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

instance *instances;
size_t ninstances;
plugin_case *cases;
size_t ncases;

static FILE *log_file;    /* what the host logs, kept out of the output */
static const case_docs *docs;   /* of the cases' documents */

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

const char *
env_dir(const char *name)
{
	const char *d = getenv(name);

	return d != NULL && d[0] != '\0' ? d : ".";
}

char *
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

bool
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

char **
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

const instance *
instance_named(const char *name)
{
	for (size_t i = 0; i < ninstances; i++)
		if (strcmp(instances[i].name, name) == 0)
			return &instances[i];
	return NULL;
}

void
cases_check_complete(void)
{
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

loaded_plugin *
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

char *
variant_of(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);

	if (at == NULL)
		fail_msg("'%s' is not in the document", from);
	return xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

int
diff_str(const char *field, const char *want, const char *got)
{
	if (strcmp(want, got) == 0)
		return 0;
	print_message("#   %s: expected '%s'\n#   %*s       got '%s'\n", field, want,
	    (int)strlen(field), "", got);
	return 1;
}

int
diff_money(const char *field, int64_t want, int64_t got, const char *currency)
{
	char wt[32], gt[32];

	if (want == got)
		return 0;
	money_format(want, currency, wt, sizeof wt);
	money_format(got, currency, gt, sizeof gt);
	print_message("#   %s: expected %s, got %s %s\n", field, wt, gt, currency);
	return 1;
}

/* ------------------------------------------------------------------------
 * Finding the cases
 * ------------------------------------------------------------------------ */

/* Loads the instance of directory name under root: its plugin.conf's one
 * section, with the plugin file taken from the build tree. */
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

/* The directories of path that hold a plugin.conf, sorted; the caller
 * frees each and the array. */
static char **
instance_dirs(const char *path, size_t *count)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char **dirs = NULL;
	size_t n = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char *conf = xasprintf("%s/%s/plugin.conf", path, e->d_name);
		struct stat sb;

		if (e->d_name[0] != '.' && stat(conf, &sb) == 0 && S_ISREG(sb.st_mode)) {
			dirs = xreallocarray(dirs, n + 1, sizeof *dirs);
			dirs[n++] = xstrdup(e->d_name);
		}
		free(conf);
	}
	if (d != NULL)
		closedir(d);
	if (n > 0)
		qsort(dirs, n, sizeof *dirs, compare_names);
	*count = n;
	return dirs;
}

/* Loads in, the instance of directory name under path, and adds its
 * cases. */
static void
instance_add(instance *in, const char *path, const char *name)
{
	size_t n;
	char **requests;

	instance_load(in, path, name);
	requests = list_dir(in->dir, ".request.xml", &n);
	for (size_t j = 0; j < n; j++) {
		size_t stem = strlen(requests[j]) - strlen(".request.xml");
		plugin_case *c;

		cases = xreallocarray(cases, ncases + 1, sizeof *cases);
		c = &cases[ncases++];
		c->inst = in;
		c->name = xasprintf("%s/%.*s", in->name, (int)stem, requests[j]);
		c->request = xasprintf("%s/%s", in->dir, requests[j]);
		c->expected = xasprintf("%s/%.*s.expected.xml", in->dir, (int)stem, requests[j]);
		free(requests[j]);
	}
	free(requests);
}

/* Finds every instance and case under the roots. The instances are
 * counted first, so that the cases can point at them. */
static void
discover(const char *const *roots, size_t nroots)
{
	struct {
		char *path;
		char **dirs;
		size_t ndirs;
	} *found = xcalloc(nroots + 1, sizeof *found);
	size_t total = 0;

	for (size_t r = 0; r < nroots; r++) {
		found[r].path = xasprintf("%s/tests/data/%s", env_dir("CD_SRCDIR"), roots[r]);
		found[r].dirs = instance_dirs(found[r].path, &found[r].ndirs);
		total += found[r].ndirs;
	}
	instances = xcalloc(total + 1, sizeof *instances);
	for (size_t r = 0; r < nroots; r++) {
		for (size_t i = 0; i < found[r].ndirs; i++) {
			instance *in = &instances[ninstances++];

			in->root = xstrdup(roots[r]);
			instance_add(in, found[r].path, found[r].dirs[i]);
			free(found[r].dirs[i]);
		}
		free(found[r].dirs);
		free(found[r].path);
	}
	free(found);
}

/* ------------------------------------------------------------------------
 * Known answers
 * ------------------------------------------------------------------------ */

void *
read_request(const char *path)
{
	char err[2048], *text;
	void *request;
	size_t len;

	text = slurp(path, &len);
	request = docs->request_read(text, len, err, sizeof err);
	free(text);
	if (request == NULL)
		fail_msg("%s is not a valid %s:\n%s", path, docs->request, err);
	return request;
}

void
read_expected(const char *path, void *answer)
{
	char err[2048], *text;
	size_t len;

	text = slurp(path, &len);
	if (docs->answer_read(text, len, answer, err, sizeof err) != 0)
		fail_msg("%s is not a valid %s:\n%s", path, docs->answer, err);
	free(text);
}

static void
answer_clear(void *answer)
{
	if (docs->answer_clear != NULL)
		docs->answer_clear(answer);
}

/* One case: its request priced by its instance gives the expected answer,
 * which the server accepts and which reads back as written. */
static void
test_case(void **state)
{
	const plugin_case *c = *state;
	void *want = xcalloc(1, docs->answer_size), *got = xcalloc(1, docs->answer_size);
	void *again = xcalloc(1, docs->answer_size), *request;
	char why[256], err[2048], *doc;
	size_t len;

	if (c->inst->plugin == NULL)
		fail_msg("%s did not load: %s", c->inst->name, c->inst->error);
	request = read_request(c->request);
	read_expected(c->expected, want);
	docs->run(c->inst->plugin, request, got);
	if (docs->compare(want, got) != 0) {
		doc = docs->answer_write(got, NULL);
		print_message("# %s answered:\n%s", c->name, doc);
		free(doc);
		fail_msg("%s: the answer differs from %s", c->name, c->expected);
	}
	/* Whatever a plugin answers must be something the server accepts. */
	if (docs->answer_check(got, why, sizeof why) != 0)
		fail_msg("%s: the server would refuse the answer: %s", c->name, why);
	/* And what contractctl prints must read back as the same answer. */
	doc = docs->answer_write(got, &len);
	if (docs->answer_read(doc, len, again, err, sizeof err) != 0)
		fail_msg("%s: the printed answer does not read back:\n%s\n%s", c->name, err, doc);
	assert_int_equal(docs->compare(got, again), 0);
	free(doc);
	answer_clear(want);
	answer_clear(got);
	answer_clear(again);
	free(want);
	free(got);
	free(again);
	docs->request_free(request);
}

/* What the threads of cases_test_concurrency share. */
typedef struct worker {
	const instance *inst;
	void **requests;            /* the instance's cases */
	const char *answers;        /* what one thread got: n answers */
	size_t n;
	atomic_int *mismatches;
} worker;

static void *
price_all(void *arg)
{
	const worker *w = arg;
	void *got = xcalloc(1, docs->answer_size);

	for (int r = 0; r < ROUNDS; r++) {
		for (size_t i = 0; i < w->n; i++) {
			docs->run(w->inst->plugin, w->requests[i], got);
			if (!docs->same(got, w->answers + i * docs->answer_size))
				atomic_fetch_add(w->mismatches, 1);
			answer_clear(got);
		}
	}
	free(got);
	return NULL;
}

void
cases_test_concurrency(void **state)
{
	atomic_int mismatches = 0;

	(void)state;
	for (size_t i = 0; i < ninstances; i++) {
		const instance *inst = &instances[i];
		void **requests = xcalloc(ncases + 1, sizeof *requests);
		char *answers = xcalloc(ncases + 1, docs->answer_size);
		worker w = { .inst = inst, .requests = requests, .answers = answers,
			.mismatches = &mismatches };
		pthread_t threads[THREADS];

		if (inst->plugin == NULL)
			fail_msg("%s did not load: %s", inst->name, inst->error);
		for (size_t j = 0; j < ncases; j++) {
			if (cases[j].inst != inst)
				continue;
			requests[w.n] = read_request(cases[j].request);
			docs->run(inst->plugin, requests[w.n], answers + w.n * docs->answer_size);
			w.n++;
		}
		for (int t = 0; t < THREADS; t++)
			assert_int_equal(pthread_create(&threads[t], NULL, price_all, &w), 0);
		for (int t = 0; t < THREADS; t++)
			pthread_join(threads[t], NULL);
		for (size_t j = 0; j < w.n; j++) {
			docs->request_free(requests[j]);
			answer_clear(answers + j * docs->answer_size);
		}
		free(requests);
		free(answers);
	}
	assert_int_equal(atomic_load(&mismatches), 0);
}

/* ------------------------------------------------------------------------
 * The program around the tests
 * ------------------------------------------------------------------------ */

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
cases_setup(const case_docs *of, const char *const *roots, size_t nroots)
{
	char err[512];

	docs = of;
	/* Refusals are expected (they log every schema problem): what the
	 * host logs goes to a file of its own, which tests may read. */
	log_file = tmpfile();
	if (log_file == NULL)
		return -1;
	log_setup(LOG_LEVEL_DEBUG, log_file);
	if (pricing_doc_init(err, sizeof err) != 0) {
		fprintf(stderr, "cannot load the XML schemas: %s\n", err);
		return -1;
	}
	discover(roots, nroots);
	return 0;
}

int
cases_run(const char *name, const struct CMUnitTest *fixed, size_t nfixed)
{
	struct CMUnitTest *tests = xcalloc(ncases + nfixed, sizeof *tests);
	int rc;

	for (size_t i = 0; i < ncases; i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].initial_state = &cases[i];
	}
	memcpy(tests + ncases, fixed, nfixed * sizeof *fixed);
	/* The count is known at run time only, hence the function behind
	 * cmocka_run_group_tests_name. */
	rc = _cmocka_run_group_tests(name, tests, ncases + nfixed, group_setup, group_teardown);
	free(tests);
	return rc;
}

void
cases_cleanup(void)
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
	pricing_doc_cleanup();
	log_setup(LOG_LEVEL_DEBUG, NULL);
	fclose(log_file);
}
