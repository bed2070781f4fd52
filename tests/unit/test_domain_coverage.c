/* Unit tests for core/domain/coverage (the coverage decision of DESIGN.md
 * §1) and contract_terms_compute (the coverage a plan gives). The decision
 * is a pure function, so each case is a row: the asset, its contracts, the
 * question, and the expected kind, reason and contract. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "domain/contract.h"
#include "domain/coverage.h"

static date_t
D(const char *text)
{
	date_t d = 0;

	if (date_parse(text, &d) != 0)
		fail_msg("'%s' is not a date", text);
	return d;
}

static const char *const powertrain[] = { "engine", "transmission" };

/* A car bought 2024-01-15 with 24 months / 100 000 km of manufacturer's
 * warranty (it ends 2026-01-15). */
static coverage_asset
car(void)
{
	coverage_asset a = { true, D("2024-01-15"), 24, 100000 };

	return a;
}

/* Its powertrain contract: sold with the car, 36 months / 100 000 km from
 * a reading of 15, 30 waiting days, 30 000.00 of liability. */
static coverage_contract
powertrain_contract(void)
{
	coverage_contract c;

	memset(&c, 0, sizeof c);
	c.state = CONTRACT_ACTIVE;
	c.sale_date = D("2024-01-15");
	c.start_date = D("2024-01-15");
	c.end_date = D("2027-01-15");
	c.waiting_ends = D("2024-02-14");
	c.has_usage_limit = true;
	c.end_usage = 100015;
	c.liability_left = 3000000;
	c.components = powertrain;
	c.ncomponents = 2;
	return c;
}

typedef struct row {
	const char *what;
	const char *date;
	long long usage;          /* -1: no reading */
	const char *component;
	coverage_kind kind;
	coverage_reason reason;
	int contract;
} row;

static void
check_rows(const coverage_asset *a, const coverage_contract *cs, size_t n, const row *rows,
    size_t nrows)
{
	for (size_t i = 0; i < nrows; i++) {
		const row *r = &rows[i];
		coverage_query q = { D(r->date), r->usage >= 0, r->usage >= 0 ? r->usage : 0,
		    r->component };
		coverage_result res = coverage_decide(a, cs, n, &q);
		if (res.kind != r->kind || res.reason != r->reason || res.contract != r->contract)
			fail_msg("%s: expected %s/%s/%d, got %s/%s/%d", r->what,
			    coverage_kind_name(r->kind), coverage_reason_name(r->reason), r->contract,
			    coverage_kind_name(res.kind), coverage_reason_name(res.reason), res.contract);
	}
}

#define MW COVERAGE_MANUFACTURER_WARRANTY
#define SC COVERAGE_SERVICE_CONTRACT
#define PW COVERAGE_POST_WARRANTY

static void
test_manufacturer_then_contract(void **state)
{
	coverage_asset a = car();
	coverage_contract c = powertrain_contract();
	static const row rows[] = {
		{ "inside the manufacturer's warranty", "2025-06-01", 40000, "engine", MW,
		    REASON_MANUFACTURER_WARRANTY, -1 },
		{ "manufacturer's warranty covers every component", "2025-06-01", 40000, "paint", MW,
		    REASON_MANUFACTURER_WARRANTY, -1 },
		{ "manufacturer's warranty, no reading", "2025-06-01", -1, NULL, MW,
		    REASON_MANUFACTURER_WARRANTY, -1 },
		{ "day of purchase", "2024-01-15", 15, NULL, MW, REASON_MANUFACTURER_WARRANTY, -1 },
		{ "last day of the manufacturer's months", "2026-01-14", 90000, NULL, MW,
		    REASON_MANUFACTURER_WARRANTY, -1 },
		{ "manufacturer's usage limit exactly", "2025-06-01", 100000, "engine", MW,
		    REASON_MANUFACTURER_WARRANTY, -1 },
		{ "past the manufacturer's km, inside the contract's", "2025-06-01", 100010, "engine",
		    SC, REASON_CONTRACT_COVERS, 0 },
		{ "past both usage limits", "2025-06-01", 120000, "engine", PW,
		    REASON_USAGE_LIMIT_EXCEEDED, 0 },
		{ "manufacturer's months over: the contract", "2026-01-15", 50000, "engine", SC,
		    REASON_CONTRACT_COVERS, 0 },
		{ "contract, any component asked", "2026-06-01", 50000, NULL, SC,
		    REASON_CONTRACT_COVERS, 0 },
		{ "contract, no reading", "2026-06-01", -1, "transmission", SC,
		    REASON_CONTRACT_COVERS, 0 },
		{ "component not covered", "2026-06-01", 50000, "electrical", PW,
		    REASON_COMPONENT_NOT_COVERED, 0 },
		{ "contract's usage limit exactly", "2026-06-01", 100015, "engine", SC,
		    REASON_CONTRACT_COVERS, 0 },
		{ "one km past the contract's limit", "2026-06-01", 100016, "engine", PW,
		    REASON_USAGE_LIMIT_EXCEEDED, 0 },
		{ "last day of the contract", "2027-01-14", 90000, "engine", SC,
		    REASON_CONTRACT_COVERS, 0 },
		{ "end date: expired", "2027-01-15", 90000, "engine", PW, REASON_CONTRACT_EXPIRED, 0 },
		{ "long after", "2030-01-01", 90000, "engine", PW, REASON_CONTRACT_EXPIRED, 0 },
		{ "before the purchase", "2024-01-01", 0, "engine", PW, REASON_CONTRACT_NOT_STARTED, 0 },
	};

	(void)state;
	check_rows(&a, &c, 1, rows, sizeof rows / sizeof rows[0]);
}

static void
test_waiting_period(void **state)
{
	coverage_asset a = { true, D("2024-01-15"), 0, 0 };  /* no manufacturer's warranty */
	coverage_contract c = powertrain_contract();
	static const row rows[] = {
		{ "day of sale", "2024-01-15", 20, "engine", PW, REASON_WAITING_PERIOD, 0 },
		{ "last waiting day", "2024-02-13", 500, "engine", PW, REASON_WAITING_PERIOD, 0 },
		{ "first covered day", "2024-02-14", 500, "engine", SC, REASON_CONTRACT_COVERS, 0 },
		{ "waiting beats the component", "2024-02-01", 500, "electrical", PW,
		    REASON_WAITING_PERIOD, 0 },
	};

	(void)state;
	check_rows(&a, &c, 1, rows, sizeof rows / sizeof rows[0]);
}

static void
test_cancelled_and_exhausted(void **state)
{
	coverage_asset a = { true, D("2024-01-15"), 0, 0 };
	coverage_contract c = powertrain_contract();
	static const row cancelled[] = {
		{ "before the cancellation", "2025-02-28", 500, "engine", SC, REASON_CONTRACT_COVERS, 0 },
		{ "on the cancellation date", "2025-03-01", 500, "engine", PW,
		    REASON_CONTRACT_CANCELLED, 0 },
		{ "after it", "2026-01-01", 500, "engine", PW, REASON_CONTRACT_CANCELLED, 0 },
	};
	static const row exhausted[] = {
		{ "exhausted", "2025-02-28", 500, "engine", PW, REASON_CONTRACT_EXHAUSTED, 0 },
	};
	static const row no_liability[] = {
		{ "no liability left", "2025-02-28", 500, "engine", PW, REASON_LIMIT_OF_LIABILITY, 0 },
	};

	(void)state;
	c.state = CONTRACT_CANCELLED;
	c.cancelled_on = D("2025-03-01");
	check_rows(&a, &c, 1, cancelled, 3);
	c = powertrain_contract();
	c.state = CONTRACT_EXHAUSTED;
	check_rows(&a, &c, 1, exhausted, 1);
	c = powertrain_contract();
	c.liability_left = 0;
	check_rows(&a, &c, 1, no_liability, 1);
	c.liability_left = -100;
	check_rows(&a, &c, 1, no_liability, 1);
	c.liability_left = 1;
	assert_int_equal(coverage_check_contract(&c, &(coverage_query){ D("2025-02-28"), false, 0,
	    NULL }), REASON_CONTRACT_COVERS);
}

/* A plan that starts when the manufacturer's warranty ends: by date, or
 * earlier when the reading passes the manufacturer's usage limit. */
static void
test_warranty_end_plan(void **state)
{
	coverage_asset a = { true, D("2024-01-15"), 24, 100000 };
	coverage_contract c;
	static const row rows[] = {
		{ "manufacturer's warranty first", "2025-06-01", 50000, NULL, MW,
		    REASON_MANUFACTURER_WARRANTY, -1 },
		{ "manufacturer's km over: the contract takes over", "2025-06-01", 110000, NULL, SC,
		    REASON_CONTRACT_COVERS, 0 },
		{ "manufacturer's months over", "2026-03-01", 60000, NULL, SC, REASON_CONTRACT_COVERS,
		    0 },
		{ "past the contract's km too", "2026-03-01", 160001, NULL, PW,
		    REASON_USAGE_LIMIT_EXCEEDED, 0 },
		{ "contract ended", "2029-01-15", 120000, NULL, PW, REASON_CONTRACT_EXPIRED, 0 },
	};

	(void)state;
	memset(&c, 0, sizeof c);
	c.state = CONTRACT_ACTIVE;
	c.sale_date = D("2024-01-15");
	c.start_date = D("2026-01-15");
	c.end_date = D("2029-01-15");
	c.waiting_ends = D("2024-01-15");
	c.has_usage_limit = true;
	c.end_usage = 160000;
	c.starts_at_usage = 100000;
	c.liability_left = 100000;
	check_rows(&a, &c, 1, rows, sizeof rows / sizeof rows[0]);
	/* Not started: by date, the reading within the manufacturer's limit,
	 * and no manufacturer's warranty left (it was 0 months). */
	a.mw_months = 0;
	{
		static const row early[] = {
			{ "not started by date or reading", "2025-06-01", 50000, NULL, PW,
			    REASON_CONTRACT_NOT_STARTED, 0 },
			{ "started by reading", "2025-06-01", 100001, NULL, SC, REASON_CONTRACT_COVERS, 0 },
			{ "not before the sale, whatever the reading", "2024-01-01", 100001, NULL, PW,
			    REASON_CONTRACT_NOT_STARTED, 0 },
		};
		check_rows(&a, &c, 1, early, 3);
	}
}

static void
test_no_contract_and_unknown_asset(void **state)
{
	coverage_asset a = car(), unknown = { false, 0, 0, 0 };
	static const row known[] = {
		{ "known asset, warranty over, no contract", "2026-06-01", 120000, "engine", PW,
		    REASON_NO_CONTRACT, -1 },
		{ "known asset, in warranty", "2025-06-01", 50000, "engine", MW,
		    REASON_MANUFACTURER_WARRANTY, -1 },
	};
	static const row nothing[] = {
		{ "unknown asset", "2025-06-01", 50000, "engine", PW, REASON_UNKNOWN_ASSET, -1 },
	};
	coverage_asset zero = { true, D("2024-01-15"), 0, 0 };
	static const row zero_months[] = {
		{ "a warranty of 0 months covers nothing", "2024-01-15", 0, NULL, PW,
		    REASON_NO_CONTRACT, -1 },
	};
	coverage_asset km_free = { true, D("2024-01-15"), 12, 0 };
	static const row no_limit[] = {
		{ "no usage limit: any reading", "2024-12-01", 999999999, NULL, MW,
		    REASON_MANUFACTURER_WARRANTY, -1 },
	};

	(void)state;
	check_rows(&a, NULL, 0, known, 2);
	check_rows(&unknown, NULL, 0, nothing, 1);
	check_rows(&zero, NULL, 0, zero_months, 1);
	check_rows(&km_free, NULL, 0, no_limit, 1);
}

/* Several contracts: one that covers wins wherever it is; otherwise the
 * most telling failure is the reason. */
static void
test_several_contracts(void **state)
{
	coverage_asset a = { true, D("2020-01-15"), 12, 0 };
	coverage_contract cs[3];

	(void)state;
	/* 0: an old contract, expired; 1: one cancelled; 2: the current one */
	cs[0] = powertrain_contract();
	cs[0].start_date = cs[0].sale_date = D("2020-01-15");
	cs[0].end_date = D("2023-01-15");
	cs[0].waiting_ends = D("2020-01-15");
	cs[0].has_usage_limit = false;
	cs[1] = powertrain_contract();
	cs[1].state = CONTRACT_CANCELLED;
	cs[1].cancelled_on = D("2024-01-20");
	cs[2] = powertrain_contract();
	cs[2].sale_date = D("2024-06-01");
	cs[2].start_date = D("2024-06-01");
	cs[2].end_date = D("2027-06-01");
	cs[2].waiting_ends = D("2024-07-01");
	{
		static const row rows[] = {
			{ "the current contract covers", "2025-01-01", 50000, "engine", SC,
			    REASON_CONTRACT_COVERS, 2 },
			{ "the old contract covered its own time", "2021-06-01", 50000, "engine", SC,
			    REASON_CONTRACT_COVERS, 0 },
			{ "in the current one's waiting period: that is the reason", "2024-06-15", 500,
			    "engine", PW, REASON_WAITING_PERIOD, 2 },
			{ "component beats expired and cancelled", "2025-01-01", 50000, "electrical", PW,
			    REASON_COMPONENT_NOT_COVERED, 2 },
			{ "between contracts: cancelled beats expired and not started", "2024-03-01",
			    500, "engine", PW, REASON_CONTRACT_CANCELLED, 1 },
			{ "after all of them: cancelled beats expired", "2028-01-01", 500, "engine", PW,
			    REASON_CONTRACT_CANCELLED, 1 },
		};
		check_rows(&a, cs, 3, rows, sizeof rows / sizeof rows[0]);
	}
}

static void
test_names(void **state)
{
	(void)state;
	for (int i = REASON_MANUFACTURER_WARRANTY; i <= REASON_COMPONENT_NOT_COVERED; i++)
		for (int j = i + 1; j <= REASON_COMPONENT_NOT_COVERED; j++)
			assert_string_not_equal(coverage_reason_name((coverage_reason)i),
			    coverage_reason_name((coverage_reason)j));
	assert_string_equal(coverage_kind_name(MW), "manufacturer-warranty");
	assert_string_equal(coverage_kind_name(SC), "service-contract");
	assert_string_equal(coverage_kind_name(PW), "post-warranty");
	assert_string_equal(coverage_reason_name(REASON_CONTRACT_COVERS), "contract-covers");
}

/* ------------------------------------------------------------------------
 * contract_terms_compute
 * ------------------------------------------------------------------------ */

static plan
plan_of(int months, plan_term_start start, int64_t usage_limit, int waiting, int64_t liability)
{
	plan p;

	memset(&p, 0, sizeof p);
	p.term_months = months;
	p.term_start = start;
	p.usage_limit = usage_limit;
	p.usage_unit = usage_limit ? CD_USAGE_KM : CD_USAGE_NONE;
	p.waiting_days = waiting;
	p.liability_limit = liability;
	return p;
}

static asset
asset_of(const char *purchase, int64_t price, int64_t at_sale, int mw_months, int64_t mw_limit)
{
	asset a;

	memset(&a, 0, sizeof a);
	a.purchase_date = D(purchase);
	a.purchase_price = price;
	a.usage_at_sale = at_sale;
	a.mw_months = mw_months;
	a.mw_usage_limit = mw_limit;
	return a;
}

static void
expect_date(date_t d, const char *want)
{
	char text[DATE_STR_LEN + 1];

	date_format(d, text);
	assert_string_equal(text, want);
}

static void
test_terms(void **state)
{
	contract_terms t;
	plan p;
	asset a;

	(void)state;
	/* The example appliance contract. */
	p = plan_of(36, PLAN_START_AT_PURCHASE, 0, 30, -1);
	a = asset_of("2024-03-15", 89900, 0, 24, 0);
	assert_int_equal(contract_terms_compute(&p, &a, D("2024-03-15"), &t), 0);
	expect_date(t.start_date, "2024-03-15");
	expect_date(t.end_date, "2027-03-15");
	expect_date(t.waiting_ends, "2024-04-14");
	assert_true(t.has_waiting);
	assert_false(t.has_usage_limit);
	assert_int_equal(t.liability_limit, 89900);

	/* Powertrain: usage from the reading at sale; a plan limit of liability. */
	p = plan_of(36, PLAN_START_AT_PURCHASE, 100000, 0, 1500000);
	a = asset_of("2024-05-20", 3720920, 15, 24, 0);
	assert_int_equal(contract_terms_compute(&p, &a, D("2024-05-20"), &t), 0);
	expect_date(t.end_date, "2027-05-20");
	assert_false(t.has_waiting);
	expect_date(t.waiting_ends, "2024-05-20");
	assert_true(t.has_usage_limit);
	assert_int_equal(t.start_usage, 15);
	assert_int_equal(t.end_usage, 100015);
	assert_int_equal(t.starts_at_usage, 0);
	assert_int_equal(t.liability_limit, 1500000);

	/* Sold later than bought: the term still runs from the purchase; the
	 * waiting period from the sale. */
	p = plan_of(12, PLAN_START_AT_PURCHASE, 0, 30, -1);
	a = asset_of("2024-01-31", 10000, 0, 0, 0);
	assert_int_equal(contract_terms_compute(&p, &a, D("2024-02-10"), &t), 0);
	expect_date(t.start_date, "2024-01-31");
	expect_date(t.end_date, "2025-01-31");
	expect_date(t.waiting_ends, "2024-03-11");

	/* End of month: 2024-01-31 + 1 month = 2024-02-29. */
	p = plan_of(1, PLAN_START_AT_PURCHASE, 0, 0, -1);
	assert_int_equal(contract_terms_compute(&p, &a, D("2024-01-31"), &t), 0);
	expect_date(t.end_date, "2024-02-29");

	/* Warranty-end: starts after 24 months; usage from the manufacturer's
	 * limit when that is higher than the reading at sale. */
	p = plan_of(60, PLAN_START_AT_WARRANTY_END, 50000, 0, -1);
	a = asset_of("2024-02-29", 1189000, 12, 24, 10000);
	assert_int_equal(contract_terms_compute(&p, &a, D("2024-03-01"), &t), 0);
	expect_date(t.start_date, "2026-02-28");
	expect_date(t.end_date, "2031-02-28");
	assert_int_equal(t.start_usage, 10000);
	assert_int_equal(t.end_usage, 60000);
	assert_int_equal(t.starts_at_usage, 10000);
	/* ... and from the reading when the manufacturer has no usage limit. */
	a.mw_usage_limit = 0;
	assert_int_equal(contract_terms_compute(&p, &a, D("2024-03-01"), &t), 0);
	assert_int_equal(t.start_usage, 12);
	assert_int_equal(t.end_usage, 50012);
	assert_int_equal(t.starts_at_usage, 0);

	/* A date off the calendar is refused. */
	p = plan_of(600, PLAN_START_AT_PURCHASE, 0, 0, -1);
	a = asset_of("9990-01-01", 100, 0, 0, 0);
	assert_int_equal(contract_terms_compute(&p, &a, D("9990-01-01"), &t), -1);
}

static void
test_state_on(void **state)
{
	contract c;

	(void)state;
	memset(&c, 0, sizeof c);
	c.state = CONTRACT_ACTIVE;
	c.terms.end_date = D("2027-03-15");
	assert_int_equal(contract_state_on(&c, D("2027-03-14")), CONTRACT_ACTIVE);
	assert_int_equal(contract_state_on(&c, D("2027-03-15")), CONTRACT_EXPIRED);
	c.state = CONTRACT_CANCELLED;
	assert_int_equal(contract_state_on(&c, D("2028-01-01")), CONTRACT_CANCELLED);
	c.state = CONTRACT_EXHAUSTED;
	assert_int_equal(contract_state_on(&c, D("2026-01-01")), CONTRACT_EXHAUSTED);
	for (int s = CONTRACT_ACTIVE; s <= CONTRACT_EXHAUSTED; s++) {
		contract_state back;
		assert_int_equal(contract_state_parse(contract_state_name((contract_state)s), &back), 0);
		assert_int_equal(back, s);
	}
	assert_int_equal(contract_state_parse("void", &(contract_state){ 0 }), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manufacturer_then_contract),
		cmocka_unit_test(test_waiting_period),
		cmocka_unit_test(test_cancelled_and_exhausted),
		cmocka_unit_test(test_warranty_end_plan),
		cmocka_unit_test(test_no_contract_and_unknown_asset),
		cmocka_unit_test(test_several_contracts),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_state_on),
	};

	return cmocka_run_group_tests_name("domain_coverage", tests, NULL, NULL);
}
