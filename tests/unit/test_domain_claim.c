/* Unit tests for core/domain/claim: who pays each claim line, the
 * deductible once per claim, the limit of liability across claims, and
 * maintenance entitlements with their windows and due dates. Amounts are
 * cents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "domain/claim.h"

static date_t
D(const char *text)
{
	date_t d = 0;

	if (date_parse(text, &d) != 0)
		fail_msg("'%s' is not a date", text);
	return d;
}

static claim_line
line(int no, cd_line_kind kind, const char *code, const char *component, int64_t amount,
    claim_payer payer)
{
	claim_line l;

	memset(&l, 0, sizeof l);
	l.line_number = no;
	l.kind = kind;
	snprintf(l.code, sizeof l.code, "%s", code);
	snprintf(l.component, sizeof l.component, "%s", component);
	l.quantity = (rate){ 1, 0 };
	l.amount = amount;
	l.payer = payer;
	l.coverage = payer == PAYER_CUSTOMER ? COVERAGE_POST_WARRANTY :
	    payer == PAYER_WARRANTY ? COVERAGE_MANUFACTURER_WARRANTY : COVERAGE_SERVICE_CONTRACT;
	l.entitlement = -1;
	return l;
}

/* ------------------------------------------------------------------------
 * Settling: deductible and limit of liability
 * ------------------------------------------------------------------------ */

/* The example of contracts/examples/ClaimDecision.xml: 1781.55 covered by
 * the contract, 49.80 not, a 100.00 deductible. */
static void
test_settle_deductible_once(void **state)
{
	claim_line l[] = {
		line(1, CD_LINE_LABOR, "DIAG-010", "transmission", 6400, PAYER_CONTRACT),
		line(2, CD_LINE_LABOR, "TR-1180", "transmission", 44800, PAYER_CONTRACT),
		line(3, CD_LINE_PART, "0B5141165", "transmission", 118450, PAYER_CONTRACT),
		line(4, CD_LINE_PART, "G052182A2", "transmission", 8505, PAYER_CONTRACT),
		line(5, CD_LINE_PART, "5G1955425", "body", 4980, PAYER_CUSTOMER),
		line(0, CD_LINE_FEE, "DISPOSAL", "", 650, PAYER_CONTRACT),
	};
	claim_totals t;

	(void)state;
	assert_int_equal(claim_settle(l, 6, 10000, 3720920, &t), MONEY_OK);
	assert_int_equal(t.amount, 183785);
	assert_int_equal(t.deductible, 10000);
	assert_int_equal(t.covered, 168805);
	assert_int_equal(t.customer_pays, 14980);
	assert_int_equal(t.warrantor_pays, 168805);
	assert_int_equal(t.liability_used, 168805);
	assert_false(t.exhausted);
	assert_int_equal(t.state, CLAIM_PARTIALLY_APPROVED);
	assert_int_equal(l[4].customer, 4980);
	assert_int_equal(l[0].covered, 6400);
	assert_int_equal(t.covered + t.customer_pays, t.amount);
}

/* A deductible larger than the covered lines takes only what they come
 * to: the contract pays nothing and the claim is rejected. */
static void
test_settle_deductible_larger_than_repair(void **state)
{
	claim_line l[] = { line(1, CD_LINE_LABOR, "X", "engine", 6000, PAYER_CONTRACT) };
	claim_totals t;

	(void)state;
	assert_int_equal(claim_settle(l, 1, 10000, 500000, &t), MONEY_OK);
	assert_int_equal(t.deductible, 6000);
	assert_int_equal(t.covered, 0);
	assert_int_equal(t.customer_pays, 6000);
	assert_int_equal(t.state, CLAIM_REJECTED);
}

/* 300.00 of liability left, a 1000.00 repair, 50.00 deductible: the
 * contract pays 300.00, the customer 700.00 in all; the cut comes off the
 * last line first and the contract is exhausted. */
static void
test_settle_limit_of_liability(void **state)
{
	claim_line l[] = {
		line(1, CD_LINE_LABOR, "L", "engine", 40000, PAYER_CONTRACT),
		line(2, CD_LINE_PART, "P", "engine", 60000, PAYER_CONTRACT),
	};
	claim_totals t;

	(void)state;
	assert_int_equal(claim_settle(l, 2, 5000, 30000, &t), MONEY_OK);
	assert_int_equal(t.covered, 30000);
	assert_int_equal(t.customer_pays, 70000);
	assert_int_equal(t.liability_used, 30000);
	assert_true(t.exhausted);
	assert_int_equal(l[1].covered, 0);
	assert_int_equal(l[1].customer, 60000);
	assert_int_equal(l[1].reason, REASON_LIMIT_OF_LIABILITY);
	assert_int_equal(l[0].covered, 35000);   /* 400.00 - 50.00 cut */
	assert_int_equal(l[0].customer, 5000);
	assert_int_equal(t.state, CLAIM_PARTIALLY_APPROVED);
}

/* Manufacturer's warranty: no deductible, no liability used. */
static void
test_settle_manufacturer_warranty(void **state)
{
	claim_line l[] = {
		line(1, CD_LINE_LABOR, "L", "engine", 12800, PAYER_WARRANTY),
		line(2, CD_LINE_PART, "P", "engine", 9900, PAYER_WARRANTY),
	};
	claim_totals t;

	(void)state;
	assert_int_equal(claim_settle(l, 2, 10000, 0, &t), MONEY_OK);
	assert_int_equal(t.deductible, 0);
	assert_int_equal(t.covered, 22700);
	assert_int_equal(t.customer_pays, 0);
	assert_int_equal(t.liability_used, 0);
	assert_false(t.exhausted);
	assert_int_equal(t.state, CLAIM_APPROVED);
}

/* A negative line (a discount on the customer's labor) lowers what the
 * customer pays. */
static void
test_settle_post_warranty_discount(void **state)
{
	claim_line l[] = {
		line(1, CD_LINE_LABOR, "L", "engine", 20000, PAYER_CUSTOMER),
		line(0, CD_LINE_DISCOUNT, "HOLDER", "", -2000, PAYER_CUSTOMER),
	};
	claim_totals t;

	(void)state;
	assert_int_equal(claim_settle(l, 2, 10000, 100000, &t), MONEY_OK);
	assert_int_equal(t.customer_pays, 18000);
	assert_int_equal(t.covered, 0);
	assert_int_equal(t.deductible, 0);
	assert_int_equal(t.state, CLAIM_REJECTED);
}

/* ------------------------------------------------------------------------
 * Coverage per line
 * ------------------------------------------------------------------------ */

static plan *
powertrain_plan(plan_coverage scope)
{
	plan *p = plan_new();

	p->coverage = scope;
	plan_add_component(p, "engine");
	plan_add_component(p, "transmission");
	return p;
}

static coverage_contract
contract_from(date_t start, date_t end)
{
	coverage_contract c;

	memset(&c, 0, sizeof c);
	c.state = CONTRACT_ACTIVE;
	c.sale_date = start;
	c.start_date = start;
	c.end_date = end;
	c.waiting_ends = start;
	c.liability_left = 1000000;
	return c;
}

static void
test_coverage_parts_only_plan(void **state)
{
	coverage_asset a = { true, D("2020-01-01"), 24, 0 };
	const char *const comps[] = { "engine", "transmission" };
	coverage_contract c = contract_from(D("2022-01-01"), D("2025-01-01"));
	plan *p = powertrain_plan(PLAN_COVERS_PARTS);
	const plan *plans[] = { p };
	date_t start = c.start_date;
	int64_t su = 0;
	claim_line l[] = {
		line(1, CD_LINE_LABOR, "L", "engine", 100, PAYER_CUSTOMER),
		line(2, CD_LINE_PART, "P", "engine", 100, PAYER_CUSTOMER),
		line(3, CD_LINE_PART, "W", "body", 100, PAYER_CUSTOMER),
	};
	claim_facts f = { .asset = &a, .contracts = &c, .plans = plans, .ncontracts = 1,
		.date = D("2023-06-01"), .contract_start = &start, .contract_start_usage = &su };

	(void)state;
	c.components = comps;
	c.ncomponents = 2;
	assert_int_equal(claim_decide_coverage(&f, l, 3), 0);
	assert_int_equal(l[0].payer, PAYER_CUSTOMER);
	assert_int_equal(l[0].reason, REASON_LABOR_NOT_COVERED);
	assert_int_equal(l[1].payer, PAYER_CONTRACT);
	assert_int_equal(l[1].reason, REASON_CONTRACT_COVERS);
	assert_int_equal(l[2].payer, PAYER_CUSTOMER);
	assert_int_equal(l[2].reason, REASON_COMPONENT_NOT_COVERED);
	plan_free(p);
}

/* ------------------------------------------------------------------------
 * Maintenance
 * ------------------------------------------------------------------------ */

static plan *
maintenance_plan(void)
{
	plan *p = plan_new();
	plan_entitlement *oil = plan_add_entitlement(p), *insp;

	p->coverage = PLAN_COVERS_PARTS_AND_LABOR;
	plan_entitlement_add_operation(oil, "OIL-0100");
	oil->count = 1;
	oil->usage_interval = 15000;
	oil->usage_unit = CD_USAGE_KM;
	insp = plan_add_entitlement(p);
	plan_entitlement_add_operation(insp, "INSP-0200");
	insp->count = 2;
	insp->period_months = 12;
	return p;
}

/* Two inspections a year: the first two of the contract year are covered,
 * the third is beyond the entitlement, and the next contract year starts
 * afresh. */
static void
test_maintenance_period_entitlement(void **state)
{
	coverage_asset a = { true, D("2020-01-01"), 12, 0 };
	coverage_contract c = contract_from(D("2024-03-01"), D("2027-03-01"));
	plan *p = maintenance_plan();
	const plan *plans[] = { p };
	date_t start = c.start_date;
	int64_t su = 10000;
	maintenance_service done[] = { { 1, D("2024-04-10"), false, 0 } };
	int which[] = { 0 };
	claim_line l[] = {
		line(1, CD_LINE_LABOR, "INSP-0200", "", 9000, PAYER_CUSTOMER),
		line(2, CD_LINE_LABOR, "INSP-0200", "", 9000, PAYER_CUSTOMER),
		line(3, CD_LINE_PART, "FILTER", "", 1500, PAYER_CUSTOMER),
	};
	claim_facts f = { .asset = &a, .contracts = &c, .plans = plans, .ncontracts = 1,
		.date = D("2024-09-01"), .maintenance = true, .services = done,
		.service_contract = which, .nservices = 1, .contract_start = &start,
		.contract_start_usage = &su };

	(void)state;
	assert_int_equal(claim_decide_coverage(&f, l, 3), 0);
	assert_int_equal(l[0].payer, PAYER_MAINTENANCE);
	assert_int_equal(l[0].reason, REASON_MAINTENANCE_ENTITLEMENT);
	assert_int_equal(l[0].entitlement, 1);
	assert_int_equal(l[1].payer, PAYER_CUSTOMER);
	assert_int_equal(l[1].reason, REASON_MAINTENANCE_BEYOND_ENTITLEMENT);
	assert_int_equal(l[2].payer, PAYER_MAINTENANCE);

	/* Next contract year: both are covered again. */
	f.date = D("2025-03-01");
	for (int i = 0; i < 2; i++)
		l[i].payer = PAYER_CUSTOMER;
	claim_decide_coverage(&f, l, 3);
	assert_int_equal(l[0].payer, PAYER_MAINTENANCE);
	assert_int_equal(l[1].payer, PAYER_MAINTENANCE);
	plan_free(p);
}

static void
test_maintenance_usage_entitlement_and_not_included(void **state)
{
	coverage_asset a = { true, D("2020-01-01"), 12, 0 };
	coverage_contract c = contract_from(D("2024-03-01"), D("2027-03-01"));
	plan *p = maintenance_plan();
	const plan *plans[] = { p };
	date_t start = c.start_date;
	int64_t su = 10000;
	maintenance_service done[] = { { 0, D("2024-08-01"), true, 24000 } };
	int which[] = { 0 };
	claim_line l[] = {
		line(1, CD_LINE_LABOR, "OIL-0100", "", 8000, PAYER_CUSTOMER),
		line(2, CD_LINE_LABOR, "TYRES-01", "", 4000, PAYER_CUSTOMER),
	};
	claim_facts f = { .asset = &a, .contracts = &c, .plans = plans, .ncontracts = 1,
		.date = D("2024-10-01"), .has_usage = true, .usage = 24900, .maintenance = true,
		.services = done, .service_contract = which, .nservices = 1,
		.contract_start = &start, .contract_start_usage = &su };

	(void)state;
	/* 24 900 km is in the window [10 000, 25 000), used at 24 000. */
	claim_decide_coverage(&f, l, 2);
	assert_int_equal(l[0].reason, REASON_MAINTENANCE_BEYOND_ENTITLEMENT);
	assert_int_equal(l[1].reason, REASON_MAINTENANCE_NOT_INCLUDED);
	/* 25 100 km opens the next window. */
	f.usage = 25100;
	claim_decide_coverage(&f, l, 2);
	assert_int_equal(l[0].payer, PAYER_MAINTENANCE);
	assert_int_equal(l[0].reason, REASON_MAINTENANCE_ENTITLEMENT);
	plan_free(p);
}

static void
test_maintenance_status(void **state)
{
	plan *p = maintenance_plan();
	maintenance_service done[] = { { 1, D("2024-04-10"), false, 0 },
		{ 0, D("2024-08-01"), true, 24000 } };
	maintenance_status st;

	(void)state;
	/* Inspections twice in 12 months, spaced in days: the contract year
	 * 2024-03-01 .. 2025-03-01 has 365, so the next is due 182 days after
	 * 2024-04-10, on 2024-10-09 - within 30 days of 2024-09-15. */
	st = maintenance_status_of(&p->entitlements[1], 1, D("2024-03-01"), 10000, done, 2,
	    D("2024-09-01"), false, 0);
	assert_int_equal(st.due_date, D("2024-10-09"));
	assert_int_equal(st.status, MAINTENANCE_OK);
	st = maintenance_status_of(&p->entitlements[1], 1, D("2024-03-01"), 10000, done, 2,
	    D("2024-09-15"), false, 0);
	assert_int_equal(st.status, MAINTENANCE_DUE);
	assert_int_equal(st.used_in_window, 1);
	assert_int_equal(st.left_in_window, 1);
	st = maintenance_status_of(&p->entitlements[1], 1, D("2024-03-01"), 10000, done, 2,
	    D("2024-12-01"), false, 0);
	assert_int_equal(st.status, MAINTENANCE_OVERDUE);
	/* The oil change: due at 24 000 + 15 000 km. */
	st = maintenance_status_of(&p->entitlements[0], 0, D("2024-03-01"), 10000, done, 2,
	    D("2024-12-01"), true, 30000);
	assert_true(st.by_usage);
	assert_int_equal(st.due_usage, 39000);
	assert_int_equal(st.status, MAINTENANCE_OK);
	st = maintenance_status_of(&p->entitlements[0], 0, D("2024-03-01"), 10000, done, 2,
	    D("2024-12-01"), true, 39500);
	assert_int_equal(st.status, MAINTENANCE_OVERDUE);
	plan_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settle_deductible_once),
		cmocka_unit_test(test_settle_deductible_larger_than_repair),
		cmocka_unit_test(test_settle_limit_of_liability),
		cmocka_unit_test(test_settle_manufacturer_warranty),
		cmocka_unit_test(test_settle_post_warranty_discount),
		cmocka_unit_test(test_coverage_parts_only_plan),
		cmocka_unit_test(test_maintenance_period_entitlement),
		cmocka_unit_test(test_maintenance_usage_entitlement_and_not_included),
		cmocka_unit_test(test_maintenance_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
