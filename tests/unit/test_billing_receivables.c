/* Unit tests for the arithmetic of payments and aging (billing/receivables):
 * aging buckets at their edges, oldest-due-first allocation (full,
 * partial, over), explicit allocation checks, aging rows and their CSV. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "billing/receivables.h"

static date_t
d(const char *s)
{
	date_t out = 0;
	assert_int_equal(date_parse(s, &out), 0);
	return out;
}

/* ------------------------------------------------------------------------
 * Buckets
 * ------------------------------------------------------------------------ */

/* Due 2026-03-31: current up to and on the due date, then 1-30 from the
 * day after, and each bucket's last day belongs to it. */
static void
buckets_at_their_edges(void **state)
{
	date_t due = d("2026-03-31");
	(void)state;

	assert_int_equal(aging_bucket_of(due, d("2026-01-01")), AGING_CURRENT);
	assert_int_equal(aging_bucket_of(due, d("2026-03-30")), AGING_CURRENT);
	assert_int_equal(aging_bucket_of(due, d("2026-03-31")), AGING_CURRENT);
	assert_int_equal(aging_bucket_of(due, d("2026-04-01")), AGING_1_30);
	assert_int_equal(aging_bucket_of(due, d("2026-04-30")), AGING_1_30);      /* 30 days */
	assert_int_equal(aging_bucket_of(due, d("2026-05-01")), AGING_31_60);     /* 31 */
	assert_int_equal(aging_bucket_of(due, d("2026-05-30")), AGING_31_60);     /* 60 */
	assert_int_equal(aging_bucket_of(due, d("2026-05-31")), AGING_61_90);     /* 61 */
	assert_int_equal(aging_bucket_of(due, d("2026-06-29")), AGING_61_90);     /* 90 */
	assert_int_equal(aging_bucket_of(due, d("2026-06-30")), AGING_OVER_90);   /* 91 */
	assert_int_equal(aging_bucket_of(due, d("2031-01-01")), AGING_OVER_90);
}

/* Leap days count: due 2024-02-28, 2024-03-29 is 30 days later (2024 has a
 * 29 February), 2024-03-30 is 31. */
static void
buckets_count_calendar_days(void **state)
{
	(void)state;
	assert_int_equal(aging_bucket_of(d("2024-02-28"), d("2024-03-29")), AGING_1_30);
	assert_int_equal(aging_bucket_of(d("2024-02-28"), d("2024-03-30")), AGING_31_60);
	assert_int_equal(aging_bucket_of(d("2023-02-28"), d("2023-03-30")), AGING_1_30);
}

static void
bucket_names(void **state)
{
	(void)state;
	assert_string_equal(aging_bucket_name(AGING_CURRENT), "current");
	assert_string_equal(aging_bucket_name(AGING_1_30), "days_1_30");
	assert_string_equal(aging_bucket_name(AGING_OVER_90), "days_over_90");
	assert_null(aging_bucket_name(AGING_NBUCKETS));
}

/* ------------------------------------------------------------------------
 * Automatic allocation
 * ------------------------------------------------------------------------ */

/* Oldest due date first; on the same due date the older issue date; then
 * the lower id. */
static void
sort_oldest_due_first(void **state)
{
	open_item items[] = {
		{ 1, d("2026-04-30"), d("2026-03-31"), 100 },
		{ 2, d("2026-04-10"), d("2026-03-31"), 100 },   /* due earliest, issued with #1 */
		{ 3, d("2026-04-30"), d("2026-03-01"), 100 },   /* same due as #1, issued before */
		{ 4, d("2026-04-30"), d("2026-03-31"), 100 },   /* a tie with #1: the id decides */
	};
	(void)state;

	open_items_sort(items, 4);
	assert_int_equal(items[0].id, 2);
	assert_int_equal(items[1].id, 3);
	assert_int_equal(items[2].id, 1);
	assert_int_equal(items[3].id, 4);
}

/* 250.00 over 119.00, 200.00, 31.00: the first in full, the second in
 * part, nothing for the third. */
static void
allocate_partial(void **state)
{
	open_item items[] = {
		{ 1, 10, 0, 11900 }, { 2, 20, 0, 20000 }, { 3, 30, 0, 3100 },
	};
	int64_t alloc[3], left = -1;
	(void)state;

	assert_int_equal(allocate_oldest_first(items, 3, 25000, alloc, &left), MONEY_OK);
	assert_int_equal(alloc[0], 11900);
	assert_int_equal(alloc[1], 13100);
	assert_int_equal(alloc[2], 0);
	assert_int_equal(left, 0);
}

/* Exactly the total: everything settled, nothing left. */
static void
allocate_full(void **state)
{
	open_item items[] = { { 1, 10, 0, 11900 }, { 2, 20, 0, 20000 } };
	int64_t alloc[2], left = -1;
	(void)state;

	assert_int_equal(allocate_oldest_first(items, 2, 31900, alloc, &left), MONEY_OK);
	assert_int_equal(alloc[0], 11900);
	assert_int_equal(alloc[1], 20000);
	assert_int_equal(left, 0);
}

/* More than is open: the excess is unapplied; settled items (open 0) get
 * nothing. */
static void
allocate_over(void **state)
{
	open_item items[] = { { 1, 10, 0, 0 }, { 2, 20, 0, 1999 }, { 3, 30, 0, 1 } };
	int64_t alloc[3], left = -1;
	(void)state;

	assert_int_equal(allocate_oldest_first(items, 3, 100000, alloc, &left), MONEY_OK);
	assert_int_equal(alloc[0], 0);
	assert_int_equal(alloc[1], 1999);
	assert_int_equal(alloc[2], 1);
	assert_int_equal(left, 98000);
	/* No items at all: all unapplied. */
	assert_int_equal(allocate_oldest_first(NULL, 0, 500, alloc, &left), MONEY_OK);
	assert_int_equal(left, 500);
	assert_int_equal(allocate_oldest_first(items, 3, -1, alloc, &left), MONEY_ERANGE);
}

/* ------------------------------------------------------------------------
 * Explicit allocation
 * ------------------------------------------------------------------------ */

static void
explicit_allocation_checks(void **state)
{
	int64_t open[] = { 11900, 20000, 500 };
	size_t bad;
	int64_t sum;
	(void)state;

	{
		int64_t req[] = { 11900, 100, 500 };
		assert_int_equal(allocation_check(req, open, 3, 12500, &bad, &sum), ALLOC_OK);
		assert_int_equal(sum, 12500);
	}
	{
		int64_t req[] = { 11900, 0, 500 };
		assert_int_equal(allocation_check(req, open, 3, 99999, &bad, &sum),
		    ALLOC_NOT_POSITIVE);
		assert_int_equal(bad, 1);
	}
	{
		int64_t req[] = { 11900, 100, 501 };   /* one cent over the third's open */
		assert_int_equal(allocation_check(req, open, 3, 99999, &bad, &sum), ALLOC_OVER_OPEN);
		assert_int_equal(bad, 2);
	}
	{
		int64_t req[] = { 11900, 100, 500 };   /* one cent over the payment */
		assert_int_equal(allocation_check(req, open, 3, 12499, &bad, &sum),
		    ALLOC_OVER_PAYMENT);
		assert_int_equal(bad, 3);
		assert_int_equal(sum, 12500);
	}
	{
		int64_t big[] = { INT64_MAX, INT64_MAX };
		int64_t req[] = { INT64_MAX, 1 };
		assert_int_equal(allocation_check(req, big, 2, INT64_MAX, &bad, &sum),
		    ALLOC_OVERFLOW);
	}
}

/* ------------------------------------------------------------------------
 * Rows and CSV
 * ------------------------------------------------------------------------ */

static void
row_sums_and_balance(void **state)
{
	aging_row r;
	(void)state;

	memset(&r, 0, sizeof r);
	snprintf(r.currency, sizeof r.currency, "EUR");
	assert_int_equal(aging_row_add_invoice(&r, AGING_CURRENT, 11900), MONEY_OK);
	assert_int_equal(aging_row_add_invoice(&r, AGING_CURRENT, 1), MONEY_OK);
	assert_int_equal(aging_row_add_invoice(&r, AGING_OVER_90, 20000), MONEY_OK);
	assert_int_equal(aging_row_add_credit(&r, 5950), MONEY_OK);
	assert_int_equal(aging_row_add_unapplied(&r, 4300), MONEY_OK);
	assert_int_equal(aging_row_finish(&r), MONEY_OK);
	assert_int_equal(r.buckets[AGING_CURRENT], 11901);
	assert_int_equal(r.buckets[AGING_OVER_90], 20000);
	assert_int_equal(r.total, 31901);
	assert_int_equal(r.balance, 31901 - 5950 - 4300);
	assert_int_equal(aging_row_add_invoice(&r, AGING_NBUCKETS, 1), MONEY_ERANGE);
	r.total = INT64_MAX;
	assert_int_equal(aging_row_add_invoice(&r, AGING_1_30, 1), MONEY_EOVERFLOW);
}

static void
rows_sort_dealer_first(void **state)
{
	aging_row rows[4];
	(void)state;

	memset(rows, 0, sizeof rows);
	snprintf(rows[0].dealer_id, 65, "D2");
	snprintf(rows[0].payer_kind, 9, "dealer");
	snprintf(rows[1].dealer_id, 65, "D1");
	snprintf(rows[1].payer_kind, 9, "customer");
	snprintf(rows[1].payer, 801, "Anna");
	snprintf(rows[2].dealer_id, 65, "D1");
	snprintf(rows[2].payer_kind, 9, "dealer");
	snprintf(rows[2].currency, 4, "JPY");
	snprintf(rows[3].dealer_id, 65, "D1");
	snprintf(rows[3].payer_kind, 9, "dealer");
	snprintf(rows[3].currency, 4, "EUR");
	aging_rows_sort(rows, 4);
	assert_string_equal(rows[0].currency, "EUR");
	assert_string_equal(rows[1].currency, "JPY");
	assert_string_equal(rows[2].payer, "Anna");
	assert_string_equal(rows[3].dealer_id, "D2");
}

static void
csv_header_and_rows(void **state)
{
	aging_row r;
	buf b;
	(void)state;

	buf_init(&b, 0);
	aging_csv_header(&b);
	assert_string_equal(b.data, "dealer,payer_type,payer,currency,current,days_1_30,"
	    "days_31_60,days_61_90,days_over_90,total,credits,unapplied,balance\r\n");
	buf_reset(&b);
	memset(&r, 0, sizeof r);
	snprintf(r.dealer_id, sizeof r.dealer_id, "DLR-0042");
	snprintf(r.payer_kind, sizeof r.payer_kind, "customer");
	snprintf(r.payer, sizeof r.payer, "Becker, \"Jana\"");
	snprintf(r.currency, sizeof r.currency, "EUR");
	aging_row_add_invoice(&r, AGING_1_30, 11900);
	aging_row_add_unapplied(&r, 20005);
	aging_row_finish(&r);
	assert_int_equal(aging_csv_row(&b, &r), 0);
	assert_string_equal(b.data, "DLR-0042,customer,\"Becker, \"\"Jana\"\"\",EUR,0.00,119.00,"
	    "0.00,0.00,0.00,119.00,0.00,200.05,-81.05\r\n");
	/* No minor unit; three decimals. */
	buf_reset(&b);
	snprintf(r.currency, sizeof r.currency, "JPY");
	assert_int_equal(aging_csv_row(&b, &r), 0);
	assert_non_null(strstr(b.data, ",JPY,0,11900,0,0,0,11900,0,20005,-8105\r\n"));
	buf_reset(&b);
	snprintf(r.currency, sizeof r.currency, "BHD");
	assert_int_equal(aging_csv_row(&b, &r), 0);
	assert_non_null(strstr(b.data, ",BHD,0.000,11.900,0.000,0.000,0.000,11.900,0.000,20.005,"
	    "-8.105\r\n"));
	buf_reset(&b);
	snprintf(r.currency, sizeof r.currency, "XXQ");
	assert_int_equal(aging_csv_row(&b, &r), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* A name a spreadsheet would run as a formula is written as text. */
static void
csv_neutralises_formulas(void **state)
{
	static const char *const cases[][2] = {
		{ "=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"" },
		{ "+1", "\"'+1\"" },
		{ "-1", "\"'-1\"" },
		{ "@SUM(A1)", "\"'@SUM(A1)\"" },
		{ "Jana Becker", "Jana Becker" },
		{ "a\nb", "\"a\nb\"" },
		{ "", "" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf b;
		buf_init(&b, 0);
		csv_text_field(&b, cases[i][0]);
		assert_string_equal(b.data ? b.data : "", cases[i][1]);
		buf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buckets_at_their_edges),
		cmocka_unit_test(buckets_count_calendar_days),
		cmocka_unit_test(bucket_names),
		cmocka_unit_test(sort_oldest_due_first),
		cmocka_unit_test(allocate_partial),
		cmocka_unit_test(allocate_full),
		cmocka_unit_test(allocate_over),
		cmocka_unit_test(explicit_allocation_checks),
		cmocka_unit_test(row_sums_and_balance),
		cmocka_unit_test(rows_sort_dealer_first),
		cmocka_unit_test(csv_header_and_rows),
		cmocka_unit_test(csv_neutralises_formulas),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
