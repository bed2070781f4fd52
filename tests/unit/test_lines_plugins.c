/* test_lines_plugins — the billing and parts plugins' known answers, and
 * the documents they are asked and answer with.
 *
 * Known answers are data, curl style, as for the pricing plugins (and
 * found and loaded the same way, by plugin_cases.h): each directory of
 * tests/data/billing/ and tests/data/parts/ that holds a plugin.conf is
 * one plugin instance — its "[plugin NAME]" section, NAME being the
 * directory's name and file a plugin of plugins/ — and each
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
#include "plugin_cases.h"
#include "plugin/host.h"
#include "plugin/lines_doc.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "config/config.h"
#include "xml/schema.h"
#include "xml/xml_in.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *scratch;     /* a directory of our own for generated files */

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static void
spew(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0)
		fail_msg("cannot write %s: %s", path, strerror(errno));
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
compare(const void *want_answer, const void *got_answer)
{
	const lines_output *want = want_answer, *got = got_answer;
	const char *cur = want->currency;
	int diffs = 0;

	diffs += diff_str("plugin", want->plugin, got->plugin);
	diffs += diff_str("version", want->version, got->version);
	diffs += diff_str("currency", want->currency, got->currency);
	diffs += diff_str("status", plugin_status_name(want->status),
	    plugin_status_name(got->status));
	if (want->status != CD_OK || got->status != CD_OK)
		return diffs + diff_str("message", want->message, got->message);
	if (want->nlines != got->nlines) {
		print_message("#   lines: expected %zu, got %zu\n", want->nlines, got->nlines);
		diffs++;
	}
	for (size_t i = 0; i < want->nlines && i < got->nlines; i++) {
		const cd_line *w = &want->lines[i], *g = &got->lines[i];
		char field[64];

		snprintf(field, sizeof field, "line %zu kind", i + 1);
		diffs += diff_str(field, lines_kind_name(w->kind) ? lines_kind_name(w->kind) : "?",
		    lines_kind_name(g->kind) ? lines_kind_name(g->kind) : "?");
		snprintf(field, sizeof field, "line %zu code", i + 1);
		diffs += diff_str(field, w->code, g->code);
		snprintf(field, sizeof field, "line %zu description", i + 1);
		diffs += diff_str(field, w->description, g->description);
		if (!same_quantity(w->quantity, g->quantity)) {
			print_message("#   line %zu quantity: expected %lld/10^%d, got %lld/10^%d\n",
			    i + 1, (long long)w->quantity.value, (int)w->quantity.scale,
			    (long long)g->quantity.value, (int)g->quantity.scale);
			diffs++;
		}
		snprintf(field, sizeof field, "line %zu unit price", i + 1);
		diffs += diff_money(field, w->unit_price, g->unit_price, cur);
		snprintf(field, sizeof field, "line %zu amount", i + 1);
		diffs += diff_money(field, w->amount, g->amount, cur);
		if (w->tax_category != g->tax_category) {
			print_message("#   line %zu tax category: expected %d, got %d\n", i + 1,
			    (int)w->tax_category, (int)g->tax_category);
			diffs++;
		}
		snprintf(field, sizeof field, "line %zu reference", i + 1);
		diffs += diff_str(field, w->reference, g->reference);
	}
	return diffs + diff_money("total", want->total, got->total, cur);
}

/* Compares silently: the same answer. */
static bool
same_answer(const void *a_answer, const void *b_answer)
{
	const lines_output *a = a_answer, *b = b_answer;

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

static void
clear_answer(void *answer)
{
	lines_output_clear(answer);
}

/* BillingRequest or PartsRequest in, PricedLines out: the documents of
 * `contractctl plugin price`. */
CASE_DOCS(lines, "BillingRequest or PartsRequest", "PricedLines", clear_answer, compare,
    same_answer);

/* ------------------------------------------------------------------------
 * Known answers
 * ------------------------------------------------------------------------ */

/* Every directory holds cases, every case its expected answer, and a
 * request of the instance's kind: a missing file must not pass as
 * "nothing to test". billing-labor must be there; tests/data/parts/ may
 * not exist yet. */
static void
test_cases_complete(void **state)
{
	(void)state;
	assert_non_null(instance_named("billing-labor"));
	cases_check_complete();
	for (size_t j = 0; j < ncases; j++) {
		const plugin_case *c = &cases[j];
		cd_plugin_kind want;
		lines_input *in;

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

/* THREADS threads price every case of every instance ROUNDS times with the
 * same plugin state at once, and get the answers one thread got. */
static void
test_concurrent_pricing(void **state)
{
	cases_test_concurrency(state);
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
	static const char *const roots[] = { "billing", "parts" };
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
	char tmpl[] = "/tmp/test_lines_plugins.XXXXXX";
	const char *tmpdir = getenv("TMPDIR");
	int rc;

	/* The case roots: every directory under them with a plugin.conf. */
	if (cases_setup(&lines_docs, roots, sizeof roots / sizeof roots[0]) != 0)
		return 1;
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
	rc = cases_run("billing and parts plugins", fixed, sizeof fixed / sizeof fixed[0]);
	scratch_remove();
	cases_cleanup();
	return rc;
}
