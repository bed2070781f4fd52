/* Unit tests for invoice totals and the EN 16931 tax breakdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "billing/totals.h"

static const rate R19 = { 19, 2 }, R7 = { 7, 2 }, R0 = { 0, 0 }, R10 = { 10, 2 };

static void
one_standard_line(void **state)
{
	invoice_line_amount l = { 10000, CD_TAX_STANDARD, R19 };
	invoice_totals t;

	assert_int_equal(invoice_totals_compute(&l, 1, 0, &t), MONEY_OK);
	assert_int_equal(t.line_total, 10000);
	assert_int_equal(t.tax_exclusive, 10000);
	assert_int_equal(t.ngroups, 1);
	assert_int_equal(t.groups[0].taxable, 10000);
	assert_int_equal(t.groups[0].tax, 1900);
	assert_int_equal(t.tax_total, 1900);
	assert_int_equal(t.tax_inclusive, 11900);
	assert_int_equal(t.payable, 11900);
}

/* Tax is rounded once per group, not per line: 1000 x 0.01 at 19 % is
 * 10.00 taxable and 1.90 tax, where per-line rounding would give 0.00. */
static void
many_small_lines_round_per_group(void **state)
{
	static invoice_line_amount lines[1000];
	invoice_totals t;

	for (size_t i = 0; i < 1000; i++)
		lines[i] = (invoice_line_amount){ 1, CD_TAX_STANDARD, R19 };
	assert_int_equal(invoice_totals_compute(lines, 1000, 0, &t), MONEY_OK);
	assert_int_equal(t.groups[0].taxable, 1000);
	assert_int_equal(t.groups[0].tax, 190);
	assert_int_equal(t.tax_inclusive, 1190);
}

/* One group per (category, rate), in order of first appearance; the same
 * rate written at another scale is the same group; totals are the sums. */
static void
mixed_categories_make_separate_groups(void **state)
{
	const rate r19_long = { 190, 3 };
	invoice_line_amount lines[] = {
		{ 12345, CD_TAX_STANDARD, R19 },
		{ 999, CD_TAX_STANDARD, R7 },
		{ 5000, CD_TAX_ZERO, R0 },
		{ 2500, CD_TAX_EXEMPT, R0 },
		{ 655, CD_TAX_STANDARD, r19_long },
		{ 100, CD_TAX_REVERSE, R0 },
		{ 1, CD_TAX_STANDARD, R7 },
	};
	invoice_totals t;

	assert_int_equal(invoice_totals_compute(lines, 7, 0, &t), MONEY_OK);
	assert_int_equal(t.ngroups, 5);
	assert_int_equal(t.groups[0].category, CD_TAX_STANDARD);
	assert_int_equal(t.groups[0].taxable, 13000);   /* 123.45 + 6.55 */
	assert_int_equal(t.groups[0].tax, 2470);        /* 24.70 */
	assert_int_equal(t.groups[1].taxable, 1000);    /* 9.99 + 0.01 */
	assert_int_equal(t.groups[1].tax, 70);
	assert_int_equal(t.groups[2].category, CD_TAX_ZERO);
	assert_int_equal(t.groups[2].tax, 0);
	assert_int_equal(t.groups[3].category, CD_TAX_EXEMPT);
	assert_int_equal(t.groups[4].category, CD_TAX_REVERSE);
	assert_int_equal(t.line_total, 21600);
	assert_int_equal(t.tax_total, 2540);
	assert_int_equal(t.tax_inclusive, 24140);
	int64_t sum_taxable = 0, sum_tax = 0;
	for (size_t i = 0; i < t.ngroups; i++) {
		sum_taxable += t.groups[i].taxable;
		sum_tax += t.groups[i].tax;
	}
	assert_int_equal(sum_taxable, t.tax_exclusive); /* the groups cover the whole net total */
	assert_int_equal(sum_tax, t.tax_total);          /* BR-CO-14 */
}

/* Half-up, away from zero, for charges and credits alike. */
static void
halves_round_away_from_zero(void **state)
{
	invoice_line_amount up = { 5, CD_TAX_STANDARD, R10 };     /* 0.05 x 10 % = 0.005 */
	invoice_line_amount down = { -5, CD_TAX_STANDARD, R10 };
	invoice_line_amount below = { 4, CD_TAX_STANDARD, R10 };  /* 0.004 */
	invoice_totals t;

	assert_int_equal(invoice_totals_compute(&up, 1, 0, &t), MONEY_OK);
	assert_int_equal(t.tax_total, 1);
	assert_int_equal(invoice_totals_compute(&down, 1, 0, &t), MONEY_OK);
	assert_int_equal(t.tax_total, -1);
	assert_int_equal(t.tax_inclusive, -6);
	assert_int_equal(invoice_totals_compute(&below, 1, 0, &t), MONEY_OK);
	assert_int_equal(t.tax_total, 0);
}

/* JPY has no minor unit: amounts are whole yen and tax rounds to the yen. */
static void
yen_round_to_whole_yen(void **state)
{
	invoice_line_amount lines[] = {
		{ 999, CD_TAX_STANDARD, R10 },  /* 99.9 */
		{ 1, CD_TAX_STANDARD, R10 },
		{ 1234, CD_TAX_STANDARD, { 8, 2 } }, /* 98.72 */
	};
	invoice_totals t;

	assert_int_equal(invoice_totals_compute(lines, 3, 0, &t), MONEY_OK);
	assert_int_equal(t.groups[0].tax, 100);
	assert_int_equal(t.groups[1].tax, 99);
	assert_int_equal(t.tax_total, 199);
	assert_int_equal(t.tax_inclusive, 2234 + 199);
}

static void
prepaid_is_deducted_from_the_amount_due(void **state)
{
	invoice_line_amount l = { 10000, CD_TAX_STANDARD, R19 };
	invoice_totals t;

	assert_int_equal(invoice_totals_compute(&l, 1, 5000, &t), MONEY_OK);
	assert_int_equal(t.prepaid, 5000);
	assert_int_equal(t.payable, 6900);
}

static void
refusals(void **state)
{
	invoice_line_amount zero_with_rate = { 100, CD_TAX_ZERO, R19 };
	invoice_line_amount exempt_with_rate = { 100, CD_TAX_EXEMPT, R7 };
	invoice_line_amount negative_rate = { 100, CD_TAX_STANDARD, { -19, 2 } };
	invoice_line_amount huge[2] = { { INT64_MAX, CD_TAX_ZERO, R0 }, { 1, CD_TAX_ZERO, R0 } };
	invoice_line_amount big_tax = { INT64_MAX, CD_TAX_STANDARD, { 2, 0 } };
	invoice_line_amount many[INVOICE_MAX_TAX_GROUPS + 1];
	invoice_totals t;

	assert_int_equal(invoice_totals_compute(&zero_with_rate, 1, 0, &t), MONEY_ERANGE);
	assert_int_equal(invoice_totals_compute(&exempt_with_rate, 1, 0, &t), MONEY_ERANGE);
	assert_int_equal(invoice_totals_compute(&negative_rate, 1, 0, &t), MONEY_ERANGE);
	assert_int_equal(invoice_totals_compute(huge, 2, 0, &t), MONEY_EOVERFLOW);
	assert_int_equal(invoice_totals_compute(&big_tax, 1, 0, &t), MONEY_EOVERFLOW);
	for (size_t i = 0; i < INVOICE_MAX_TAX_GROUPS + 1; i++)
		many[i] = (invoice_line_amount){ 100, CD_TAX_STANDARD, { (int64_t)i + 1, 2 } };
	assert_int_equal(invoice_totals_compute(many, INVOICE_MAX_TAX_GROUPS, 0, &t), MONEY_OK);
	assert_int_equal(invoice_totals_compute(many, INVOICE_MAX_TAX_GROUPS + 1, 0, &t),
	    MONEY_ERANGE);
}

static void
no_lines_is_an_empty_invoice(void **state)
{
	invoice_totals t;

	assert_int_equal(invoice_totals_compute(NULL, 0, 0, &t), MONEY_OK);
	assert_int_equal(t.ngroups, 0);
	assert_int_equal(t.tax_inclusive, 0);
	assert_int_equal(t.payable, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_standard_line),
		cmocka_unit_test(many_small_lines_round_per_group),
		cmocka_unit_test(mixed_categories_make_separate_groups),
		cmocka_unit_test(halves_round_away_from_zero),
		cmocka_unit_test(yen_round_to_whole_yen),
		cmocka_unit_test(prepaid_is_deducted_from_the_amount_due),
		cmocka_unit_test(refusals),
		cmocka_unit_test(no_lines_is_an_empty_invoice),
	};
	return cmocka_run_group_tests_name("billing totals", tests, NULL, NULL);
}
