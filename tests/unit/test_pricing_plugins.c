/* test_pricing_plugins — the pricing plugins' known answers, and the
 * rate-table service they stand on.
 *
 * Known answers are data, curl style (plugin_cases.h finds and loads
 * them): each directory of tests/data/pricing/ is one plugin instance —
 * plugin.conf holds its "[plugin NAME]" section, whose file is a plugin of
 * plugins/ — and each NNN-name.request.xml in it is a PricingRequest
 * whose answer must be NNN-name.expected.xml, a
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
#include "plugin_cases.h"
#include "plugin/host.h"
#include "plugin/pricing_doc.h"
#include "plugin/ratetable.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "config/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Known answers
 * ------------------------------------------------------------------------ */

/* Compares two answers field by field; returns the number of differences,
 * each printed. */
static int
compare(const void *want_answer, const void *got_answer)
{
	const pricing_output *want = want_answer, *got = got_answer;
	const cd_pricing_result *w = &want->result, *g = &got->result;
	const char *cur = want->currency;
	int diffs = 0;

	diffs += diff_str("plugin", want->plugin, got->plugin);
	diffs += diff_str("version", want->version, got->version);
	diffs += diff_str("status", plugin_status_name(want->status),
	    plugin_status_name(got->status));
	if (want->status != CD_OK || got->status != CD_OK)
		return diffs + diff_str("message", want->message, got->message);
	diffs += diff_str("currency", want->currency, got->currency);
	diffs += diff_money("retail price", w->retail_price, g->retail_price, cur);
	diffs += diff_money("dealer cost", w->dealer_cost, g->dealer_cost, cur);
	diffs += diff_money("admin fee", w->admin_fee, g->admin_fee, cur);
	diffs += diff_money("claims reserve", w->claims_reserve, g->claims_reserve, cur);
	if (w->tax_category != g->tax_category) {
		print_message("#   tax category: expected %d, got %d\n", (int)w->tax_category,
		    (int)g->tax_category);
		diffs++;
	}
	diffs += diff_str("explanation", w->explanation, g->explanation);
	return diffs;
}

/* The same answer, silently. */
static bool
same_answer(const void *a_answer, const void *b_answer)
{
	const pricing_output *a = a_answer, *b = b_answer;

	return a->status == b->status &&
	    memcmp(&a->result, &b->result, sizeof a->result) == 0 &&
	    strcmp(a->message, b->message) == 0;
}

/* PricingRequest in, PricingResult out: the documents of `contractctl
 * plugin quote`. */
CASE_DOCS(pricing, "PricingRequest", "PricingResult", NULL, compare, same_answer);

/* Every directory holds cases, and every case its expected answer: a
 * missing file must not pass as "nothing to test". */
static void
test_cases_complete(void **state)
{
	(void)state;
	assert_true(ninstances >= 3);
	cases_check_complete();
}

/* ------------------------------------------------------------------------
 * Concurrency: one state, many threads
 * ------------------------------------------------------------------------ */

/* THREADS threads quote every case of every instance ROUNDS times with
 * the same plugin state at once, and get the answers one thread got. */
static void
test_concurrent_quotes(void **state)
{
	cases_test_concurrency(state);
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
	return variant_of(small_table, from, to);
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

/* Loads plugin (of plugins/) with params, relative paths resolving in
 * pricing-ratetable's directory; NULL with the reason in err. */
static loaded_plugin *
load_with(const char *plugin, const config_kv *params, size_t n, char *err, size_t errlen)
{
	char *dir = xasprintf("%s/tests/data/pricing/pricing-ratetable", env_dir("CD_SRCDIR"));
	loaded_plugin *p = load_plugin(plugin, params, n, dir, err, errlen);

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

int
main(void)
{
	static const char *const roots[] = { "pricing" };
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
	int rc;

	if (cases_setup(&pricing_docs, roots, sizeof roots / sizeof roots[0]) != 0)
		return 1;
	rc = cases_run("pricing plugins", fixed, sizeof fixed / sizeof fixed[0]);
	cases_cleanup();
	return rc;
}
