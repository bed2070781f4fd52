/* plugin_cases — the plumbing the plugins' known-answer tests share
 * (test_pricing_plugins, test_lines_plugins).
 *
 * Cases are data, curl style: each directory of tests/data/ROOT/ that
 * holds a plugin.conf is one plugin instance — its one "[plugin NAME]"
 * section, NAME being the directory's name and file a plugin of plugins/ —
 * and each NNN-name.request.xml in it a case whose answer must be
 * NNN-name.expected.xml. cases_setup() finds them all and loads every
 * instance through the plugin host; cases_run() makes each case a cmocka
 * test of its own, before the program's fixed tests. A case is run as
 * contractctl runs a document by hand, through the document module of its
 * kind of plugin (pricing_doc, lines_doc), which a case_docs describes:
 * the request is read and priced, the answer compared field by field with
 * the expected one, checked as the server checks it, and written out and
 * read back.
 *
 * Also: files read whole, the host's log kept in a file a test can search,
 * plugins loaded by name from the build tree, documents varied one way,
 * answers compared field by field.
 *
 * CD_SRCDIR and CD_BUILDDIR (set by `make check`) say where the cases and
 * the plugins are. */
#ifndef CD_TESTS_PLUGIN_CASES_H
#define CD_TESTS_PLUGIN_CASES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config/config.h"
#include "plugin/host.h"

/* Threads and rounds of the concurrency tests. */
#define THREADS 8
#define ROUNDS 50

/* One directory of cases: a loaded plugin instance. */
typedef struct instance {
	char *name;              /* the directory, and the [plugin NAME] */
	char *root;              /* its directory under tests/data: "pricing", "billing" */
	char *dir;
	loaded_plugin *plugin;   /* NULL when it failed to load: see error */
	char error[1024];
} instance;

/* One known-answer case. */
typedef struct plugin_case {
	char *name;              /* "billing-labor/001-default-rate" */
	instance *inst;
	char *request;           /* paths */
	char *expected;
} plugin_case;

/* A document module, for the cases: the functions of its requests and
 * answers (which the test program adapts to these signatures with
 * CASE_DOCS), and the program's own comparisons of two answers. */
typedef struct case_docs {
	const char *request;        /* what a request is, for messages */
	const char *answer;         /* likewise, an answer */
	size_t answer_size;         /* of the answer's struct */
	void *(*request_read)(const char *text, size_t len, char *err, size_t errlen);
	void (*request_free)(void *request);
	int (*answer_read)(const char *text, size_t len, void *answer, char *err,
	    size_t errlen);
	char *(*answer_write)(const void *answer, size_t *len);
	int (*answer_check)(const void *answer, char *why, size_t whylen);
	cd_status (*run)(const loaded_plugin *p, const void *request, void *answer);
	void (*answer_clear)(void *answer);   /* frees what an answer owns; may be NULL */
	int (*compare)(const void *want, const void *got);  /* differences, printed */
	bool (*same)(const void *a, const void *b);         /* silently */
} case_docs;

/* Defines M_docs, the case_docs of the document module whose requests are
 * M_input (M_input_read, M_input_free) and whose answers are M_output
 * (M_output_read, M_output_write, M_output_check, M_run), with adapters
 * of those to case_docs' signatures. request and answer name the
 * documents in messages; clear, compare and same are the program's. */
#define CASE_DOCS(M, request_name, answer_name, clear, compare_fn, same_fn) \
	static void * \
	M##_docs_request_read(const char *text, size_t len, char *err, size_t errlen) \
	{ \
		return M##_input_read(text, len, err, errlen); \
	} \
	static void \
	M##_docs_request_free(void *request) \
	{ \
		M##_input_free(request); \
	} \
	static int \
	M##_docs_answer_read(const char *text, size_t len, void *answer, char *err, \
	    size_t errlen) \
	{ \
		return M##_output_read(text, len, answer, err, errlen); \
	} \
	static char * \
	M##_docs_answer_write(const void *answer, size_t *len) \
	{ \
		return M##_output_write(answer, len); \
	} \
	static int \
	M##_docs_answer_check(const void *answer, char *why, size_t whylen) \
	{ \
		return M##_output_check(answer, why, whylen); \
	} \
	static cd_status \
	M##_docs_run(const loaded_plugin *p, const void *request, void *answer) \
	{ \
		return M##_run(p, request, answer); \
	} \
	static const case_docs M##_docs = { \
		.request = request_name, \
		.answer = answer_name, \
		.answer_size = sizeof(M##_output), \
		.request_read = M##_docs_request_read, \
		.request_free = M##_docs_request_free, \
		.answer_read = M##_docs_answer_read, \
		.answer_write = M##_docs_answer_write, \
		.answer_check = M##_docs_answer_check, \
		.run = M##_docs_run, \
		.answer_clear = clear, \
		.compare = compare_fn, \
		.same = same_fn, \
	}

/* Every instance and case cases_setup() found, in name order; freed by
 * cases_cleanup(). */
extern instance *instances;
extern size_t ninstances;
extern plugin_case *cases;
extern size_t ncases;

/* ------------------------------------------------------------------------
 * The program around the tests
 * ------------------------------------------------------------------------ */

/* Sends what the host logs to a file of its own (see logged), loads the
 * XML schemas, and finds every instance and case under tests/data/ROOT for
 * each of the nroots roots (a root that does not exist has none), whose
 * documents docs reads and writes (it must outlive the cases). Returns 0,
 * or -1 with the reason on stderr. */
int cases_setup(const case_docs *docs, const char *const *roots, size_t nroots);

/* Runs every case as a test of its own, then the nfixed tests of fixed,
 * as the group called name. Returns what cmocka returns. */
int cases_run(const char *name, const struct CMUnitTest *fixed, size_t nfixed);

/* Undoes cases_setup. */
void cases_cleanup(void);

/* ------------------------------------------------------------------------
 * Helpers for the tests
 * ------------------------------------------------------------------------ */

/* The directory the environment variable name says, or ".". */
const char *env_dir(const char *name);

/* The whole file path, NUL-terminated; the caller frees it. Fails the test
 * when it cannot be read. */
char *slurp(const char *path, size_t *len);

/* True when the log holds needle; then the log starts afresh. */
bool logged(const char *needle);

/* The entries of dir whose names end with suffix, sorted; the caller frees
 * each and the array. */
char **list_dir(const char *dir, const char *suffix, size_t *count);

/* The request at path, read (free it with the docs' request_free); fails
 * the test if it is not valid. */
void *read_request(const char *path);

/* The answer at path, read into *answer; fails the test if it is not
 * valid. */
void read_expected(const char *path, void *answer);

/* THREADS threads price every case of every instance ROUNDS times with
 * the same plugin state at once; the test fails unless each gets the
 * answers one thread got. */
void cases_test_concurrency(void **state);

/* The instance of directory name, or NULL. */
const instance *instance_named(const char *name);

/* Fails the test unless every instance has cases and every case its
 * expected answer: a missing file must not pass as "nothing to test". */
void cases_check_complete(void);

/* Loads plugins/NAME/.libs/NAME.so of the build tree with params, relative
 * paths resolving in config_dir. NULL with the reason in err. */
loaded_plugin *load_plugin(const char *name, const config_kv *params, size_t n,
    const char *config_dir, char *err, size_t errlen);

/* text with from replaced by to (which must occur): a new string. */
char *variant_of(const char *text, const char *from, const char *to);

/* Compares a field of an answer: 0 when want and got are the same, else 1
 * with the difference printed. */
int diff_str(const char *field, const char *want, const char *got);
int diff_money(const char *field, int64_t want, int64_t got, const char *currency);

#endif
