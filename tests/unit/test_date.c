/* Unit tests for core/base/date: leap years, conversions checked day by day
 * against the C library's timegm and gmtime_r, strict parsing, and the
 * end-of-month rule for adding and counting months. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/date.h"

static date_t
ymd(int y, int m, int d)
{
	date_t out = 0;

	if (date_from_ymd(y, m, d, &out) != 0)
		fail_msg("%04d-%02d-%02d is not a date", y, m, d);
	return out;
}

static date_t
parsed(const char *text)
{
	date_t out = 0;

	if (date_parse(text, &out) != 0)
		fail_msg("\"%s\" did not parse", text);
	return out;
}

static void
assert_date_is(date_t d, const char *want)
{
	char buf[DATE_STR_LEN + 1];

	date_format(d, buf);
	if (strcmp(buf, want) != 0)
		fail_msg("date %ld is %s, want %s", (long)d, buf, want);
}

/* Days since the epoch according to the C library, the independent oracle
 * for the conversions (time_t is 64 bits on every platform we build on). */
static long long
libc_days(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12 };
	time_t t = timegm(&tm);

	return ((long long)t - 12 * 3600) / 86400;
}

/* ------------------------------------------------------------------------
 * Calendar rules
 * ------------------------------------------------------------------------ */

static void
leap_years_follow_the_gregorian_rule(void **state)
{
	(void)state;
	assert_false(year_is_leap(1900));
	assert_true(year_is_leap(2000));
	assert_true(year_is_leap(2024));
	assert_false(year_is_leap(2023));
	assert_false(year_is_leap(2100));
	assert_true(year_is_leap(2400));
	assert_true(year_is_leap(1600));
	assert_false(year_is_leap(1700));
	assert_true(year_is_leap(4));
	assert_false(year_is_leap(1));
	assert_true(year_is_leap(0));
	assert_true(year_is_leap(-4));
	assert_false(year_is_leap(-100));
	assert_true(year_is_leap(9996));

	int leaps = 0;
	for (int y = 1; y <= 400; y++)
		leaps += year_is_leap(y);
	assert_int_equal(leaps, 97);
}

static void
days_in_month_for_every_month(void **state)
{
	static const int common[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	(void)state;
	for (int m = 1; m <= 12; m++) {
		assert_int_equal(days_in_month(2023, m), common[m - 1]);
		assert_int_equal(days_in_month(2024, m), m == 2 ? 29 : common[m - 1]);
	}
	assert_int_equal(days_in_month(1900, 2), 28);
	assert_int_equal(days_in_month(2000, 2), 29);
	assert_int_equal(days_in_month(2024, 0), 0);
	assert_int_equal(days_in_month(2024, 13), 0);
	assert_int_equal(days_in_month(2024, -1), 0);
	assert_int_equal(days_in_month(2024, INT_MIN), 0);
}

/* ------------------------------------------------------------------------
 * Conversions
 * ------------------------------------------------------------------------ */

static void
known_day_numbers(void **state)
{
	static const struct {
		int y, m, d;
		date_t days;
	} cases[] = {
		{ 1970, 1, 1, 0 },
		{ 1969, 12, 31, -1 },
		{ 1970, 1, 2, 1 },
		{ 2000, 1, 1, 10957 },
		{ 2000, 3, 1, 11017 },
		{ 2024, 2, 29, 19782 },
		{ 1900, 1, 1, -25567 },
		{ 1900, 3, 1, -25508 },
		{ 2100, 12, 31, 47846 },
		{ 1, 1, 1, -719162 },
		{ 9999, 12, 31, 2932896 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		date_t d = -12345;
		int y, m, day;

		assert_int_equal(date_from_ymd(cases[i].y, cases[i].m, cases[i].d, &d), 0);
		assert_int_equal(d, cases[i].days);
		date_to_ymd(cases[i].days, &y, &m, &day);
		assert_int_equal(y, cases[i].y);
		assert_int_equal(m, cases[i].m);
		assert_int_equal(day, cases[i].d);
	}
}

static void
from_ymd_rejects_impossible_dates(void **state)
{
	static const int bad[][3] = {
		{ 2023, 2, 29 }, { 1900, 2, 29 }, { 2100, 2, 29 }, { 2024, 2, 30 },
		{ 2024, 4, 31 }, { 2024, 6, 31 }, { 2024, 9, 31 }, { 2024, 11, 31 },
		{ 2024, 1, 32 }, { 2024, 1, 0 }, { 2024, 1, -1 }, { 2024, 0, 1 },
		{ 2024, 13, 1 }, { 2024, -1, 1 }, { 0, 1, 1 }, { -1, 1, 1 },
		{ 10000, 1, 1 }, { INT_MAX, 1, 1 }, { INT_MIN, 1, 1 }, { 2024, INT_MAX, 1 },
		{ 2024, 1, INT_MAX }, { 2024, 1, INT_MIN },
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		date_t d = 4242;
		if (date_from_ymd(bad[i][0], bad[i][1], bad[i][2], &d) != -1)
			fail_msg("%d-%d-%d accepted", bad[i][0], bad[i][1], bad[i][2]);
		assert_int_equal(d, 4242);
	}
	date_t d;
	assert_int_equal(date_from_ymd(2000, 2, 29, &d), 0);
	assert_int_equal(date_from_ymd(2024, 2, 29, &d), 0);
	assert_int_equal(date_from_ymd(1, 1, 1, &d), 0);
	assert_int_equal(date_from_ymd(9999, 12, 31, &d), 0);
}

/* Walks every calendar day from 1900-01-01 to 2100-12-31: consecutive days
 * get consecutive numbers that agree with timegm, convert back to the same
 * year, month and day, format like printf("%04d-%02d-%02d") and parse back
 * to the same number. */
static void
every_day_1900_to_2100_round_trips(void **state)
{
	date_t expect = ymd(1900, 1, 1);
	long days = 0;
	(void)state;

	for (int y = 1900; y <= 2100; y++) {
		for (int m = 1; m <= 12; m++) {
			for (int d = 1; d <= days_in_month(y, m); d++) {
				date_t got;
				int yy, mm, dd;
				char want[32], text[DATE_STR_LEN + 1];

				assert_int_equal(date_from_ymd(y, m, d, &got), 0);
				if (got != expect)
					fail_msg("%04d-%02d-%02d is %ld, want %ld", y, m, d,
					    (long)got, (long)expect);
				if (libc_days(y, m, d) != got)
					fail_msg("%04d-%02d-%02d: %ld, timegm says %lld", y, m, d,
					    (long)got, libc_days(y, m, d));
				date_to_ymd(got, &yy, &mm, &dd);
				assert_int_equal(yy, y);
				assert_int_equal(mm, m);
				assert_int_equal(dd, d);

				snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
				date_format(got, text);
				assert_string_equal(text, want);
				assert_int_equal(parsed(text), got);
				expect++;
				days++;
			}
		}
	}
	assert_int_equal(expect, ymd(2101, 1, 1));
	assert_int_equal(days, 73414); /* 201 years, 49 of them leap */
}

/* The same walk, less checked, over the whole supported range, and gmtime_r
 * agreeing on the calendar date for every day number. */
static void
every_day_of_years_1_to_9999_is_consecutive(void **state)
{
	date_t expect = ymd(1, 1, 1);
	(void)state;

	for (int y = 1; y <= 9999; y++) {
		for (int m = 1; m <= 12; m++) {
			int last = days_in_month(y, m);
			for (int d = 1; d <= last; d++) {
				date_t got;
				int yy, mm, dd;

				assert_int_equal(date_from_ymd(y, m, d, &got), 0);
				if (got != expect)
					fail_msg("%04d-%02d-%02d is %ld, want %ld", y, m, d,
					    (long)got, (long)expect);
				date_to_ymd(got, &yy, &mm, &dd);
				if (yy != y || mm != m || dd != d)
					fail_msg("%ld is %d-%d-%d, want %d-%d-%d", (long)got, yy, mm,
					    dd, y, m, d);
				expect++;
			}
		}
	}
	assert_int_equal(expect - 1, ymd(9999, 12, 31));

	for (date_t d = ymd(1, 1, 1); d <= ymd(9999, 12, 31); d += 997) {
		time_t t = (time_t)d * 86400;
		struct tm tm;
		int y, m, day;

		assert_non_null(gmtime_r(&t, &tm));
		date_to_ymd(d, &y, &m, &day);
		assert_int_equal(y, tm.tm_year + 1900);
		assert_int_equal(m, tm.tm_mon + 1);
		assert_int_equal(day, tm.tm_mday);
	}
}

static void
dates_outside_years_1_to_9999_convert_but_do_not_format(void **state)
{
	int y, m, d;
	(void)state;

	date_to_ymd(ymd(1, 1, 1) - 1, &y, &m, &d);
	assert_int_equal(y, 0);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
	date_to_ymd(ymd(9999, 12, 31) + 1, &y, &m, &d);
	assert_int_equal(y, 10000);
	assert_int_equal(m, 1);
	assert_int_equal(d, 1);
	/* The extremes of date_t must not trip the sanitizers. */
	date_to_ymd(INT32_MAX, &y, &m, &d);
	assert_true(y > 5000000);
	date_to_ymd(INT32_MIN, &y, &m, &d);
	assert_true(y < -5000000);

	assert_date_is(ymd(1, 1, 1) - 1, "0000-00-00");
	assert_date_is(ymd(9999, 12, 31) + 1, "0000-00-00");
	assert_date_is(INT32_MAX, "0000-00-00");
	assert_date_is(INT32_MIN, "0000-00-00");
	assert_date_is(ymd(1, 1, 1), "0001-01-01");
	assert_date_is(ymd(9999, 12, 31), "9999-12-31");
	assert_date_is(0, "1970-01-01");
}

/* ------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------ */

static void
parse_accepts_valid_iso_dates(void **state)
{
	(void)state;
	assert_int_equal(parsed("1970-01-01"), 0);
	assert_int_equal(parsed("2024-02-29"), 19782);
	assert_int_equal(parsed("2000-02-29"), ymd(2000, 2, 29));
	assert_int_equal(parsed("0001-01-01"), ymd(1, 1, 1));
	assert_int_equal(parsed("9999-12-31"), ymd(9999, 12, 31));
	assert_int_equal(parsed("1969-12-31"), -1);
}

static void
parse_rejects_anything_but_yyyy_mm_dd(void **state)
{
	static const char *const bad[] = {
		"2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-01-00",
		"2024-01-32", "2024-04-31", "0000-01-01", "2024-1-01", "2024-01-1",
		"24-01-01", "02024-01-01", "2024-01-01x", "2024-01-01 ", " 2024-01-01",
		"2024-01-01T00:00", "2024-01-01\n", "2024/01/01", "20240101", "2024-0101",
		"2024--1-01", "+2024-01-01", "-2024-01-01", "2024-01", "2024", "", "-",
		"----------", "2024-0a-01", "2024-01-0b", "2O24-01-01",
		"2024\342\200\22101-01", /* U+2011 non-breaking hyphen */
		"１９７０-01-01", /* fullwidth digits */
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		date_t d = 4242;
		if (date_parse(bad[i], &d) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_int_equal(d, 4242);
	}
	date_t d;
	assert_int_equal(date_parse(NULL, &d), -1);
}

/* ------------------------------------------------------------------------
 * Months
 * ------------------------------------------------------------------------ */

static void
check_add(const char *from, int months, const char *want)
{
	date_t out = 4242;

	if (date_add_months(parsed(from), months, &out) != 0)
		fail_msg("%s %+d months failed", from, months);
	assert_date_is(out, want);
}

static void
add_months_clamps_to_the_end_of_the_month(void **state)
{
	(void)state;
	check_add("2024-01-31", 1, "2024-02-29");
	check_add("2023-01-31", 1, "2023-02-28");
	check_add("2024-02-29", 12, "2025-02-28");
	check_add("2024-02-29", 48, "2028-02-29");
	check_add("2024-01-31", 2, "2024-03-31"); /* from the start, not chained */
	check_add("2024-05-31", 1, "2024-06-30");
	check_add("2024-08-31", 1, "2024-09-30");
	check_add("2024-12-31", 2, "2025-02-28");
	check_add("1899-12-31", 2, "1900-02-28");
	check_add("1999-12-31", 2, "2000-02-29");
	check_add("2024-01-30", 1, "2024-02-29");
	check_add("2024-01-28", 1, "2024-02-28");
	check_add("2024-02-28", 1, "2024-03-28");
}

static void
add_months_handles_negative_months_and_years(void **state)
{
	(void)state;
	check_add("2024-03-31", -1, "2024-02-29");
	check_add("2023-03-31", -1, "2023-02-28");
	check_add("2024-01-15", -1, "2023-12-15");
	check_add("2024-01-15", -13, "2022-12-15");
	check_add("2024-01-15", -12, "2023-01-15");
	check_add("2024-01-15", -24, "2022-01-15");
	check_add("2025-02-28", -12, "2024-02-28");
	check_add("2024-07-31", -5, "2024-02-29");
	check_add("2024-12-15", 1, "2025-01-15");
	check_add("2024-01-15", 0, "2024-01-15");
	check_add("2024-01-31", 0, "2024-01-31");
	check_add("2024-01-15", 12 * 100, "2124-01-15");
	check_add("0001-02-28", -1, "0001-01-28");
	check_add("9999-11-30", 1, "9999-12-30");
	check_add("0001-01-01", 9998 * 12 + 11, "9999-12-01");
	check_add("9999-12-31", -(9998 * 12 + 11), "0001-01-31");
}

static void
add_months_fails_outside_years_1_to_9999(void **state)
{
	static const struct {
		const char *from;
		int months;
	} cases[] = {
		{ "9999-12-01", 1 }, { "9999-01-31", 12 }, { "0001-01-01", -1 },
		{ "0001-12-31", -12 }, { "2024-01-01", INT_MAX }, { "2024-01-01", INT_MIN },
		{ "2024-01-01", 100000 }, { "2024-01-01", -100000 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		date_t out = 4242;
		assert_int_equal(date_add_months(parsed(cases[i].from), cases[i].months, &out), -1);
		assert_int_equal(out, 4242);
	}
	date_t out = 4242;
	/* A start date outside the range fails even when the result would be in it. */
	assert_int_equal(date_add_months(ymd(1, 1, 1) - 1, 1, &out), -1);
	assert_int_equal(date_add_months(ymd(9999, 12, 31) + 1, -1, &out), -1);
	assert_int_equal(date_add_months(INT32_MIN, INT_MAX, &out), -1);
	assert_int_equal(date_add_months(INT32_MAX, INT_MIN, &out), -1);
	assert_int_equal(out, 4242);
}

static void
check_between(const char *a, const char *b, int want)
{
	int got = date_months_between(parsed(a), parsed(b));

	if (got != want)
		fail_msg("months from %s to %s: %d, want %d", a, b, got, want);
}

static void
months_between_counts_whole_months_with_the_clamp(void **state)
{
	(void)state;
	check_between("2024-01-31", "2024-02-29", 1);
	check_between("2024-01-31", "2024-02-28", 0);
	check_between("2023-01-31", "2023-02-28", 1);
	check_between("2024-01-31", "2024-03-30", 1);
	check_between("2024-01-31", "2024-03-31", 2);
	check_between("2024-01-15", "2024-01-15", 0);
	check_between("2024-01-15", "2024-02-14", 0);
	check_between("2024-01-15", "2024-02-15", 1);
	check_between("2024-01-15", "2025-01-14", 11);
	check_between("2024-01-15", "2025-01-15", 12);
	check_between("2024-02-29", "2025-02-28", 12);
	check_between("2024-02-29", "2028-02-28", 47);
	check_between("2024-02-29", "2028-02-29", 48);
	check_between("2023-03-31", "2023-04-30", 1);
	check_between("2024-12-31", "2025-01-01", 0);
	check_between("0001-01-01", "9999-12-31", 9998 * 12 + 11);
	/* b before a: still the largest n, now negative. */
	check_between("2024-03-31", "2024-02-29", -1);
	check_between("2024-03-15", "2024-03-14", -1);
	check_between("2024-03-15", "2024-02-15", -1);
	check_between("2024-03-15", "2024-02-14", -2);
}

/* For every start day of 2023..2025 (a leap year in the middle) and many
 * distances: n = months_between(a, b) is the largest n with a + n months
 * <= b, and months_between(a, a + n months) gives n back. */
static void
months_between_is_the_largest_n_for_every_start_day(void **state)
{
	(void)state;
	for (date_t a = ymd(2023, 1, 1); a <= ymd(2025, 12, 31); a++) {
		for (int k = 0; k <= 800; k += 3) {
			date_t b = a + k, lo, hi;
			int n = date_months_between(a, b);

			assert_true(n >= 0);
			assert_int_equal(date_add_months(a, n, &lo), 0);
			assert_int_equal(date_add_months(a, n + 1, &hi), 0);
			if (!(lo <= b && hi > b))
				fail_msg("a=%ld b=%ld n=%d", (long)a, (long)b, n);
		}
		for (int n = -40; n <= 40; n++) {
			date_t b;
			assert_int_equal(date_add_months(a, n, &b), 0);
			assert_int_equal(date_months_between(a, b), n);
		}
	}
}

static void
today_is_the_current_utc_date(void **state)
{
	(void)state;
	long long before = (long long)time(NULL) / 86400;
	date_t today = date_today();
	long long after = (long long)time(NULL) / 86400;
	char text[DATE_STR_LEN + 1];
	date_t back;

	assert_true(today >= before && today <= after);
	assert_true(today > ymd(2020, 1, 1));
	date_format(today, text);
	assert_int_equal(date_parse(text, &back), 0);
	assert_int_equal(back, today);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(leap_years_follow_the_gregorian_rule),
		cmocka_unit_test(days_in_month_for_every_month),
		cmocka_unit_test(known_day_numbers),
		cmocka_unit_test(from_ymd_rejects_impossible_dates),
		cmocka_unit_test(every_day_1900_to_2100_round_trips),
		cmocka_unit_test(every_day_of_years_1_to_9999_is_consecutive),
		cmocka_unit_test(dates_outside_years_1_to_9999_convert_but_do_not_format),
		cmocka_unit_test(parse_accepts_valid_iso_dates),
		cmocka_unit_test(parse_rejects_anything_but_yyyy_mm_dd),
		cmocka_unit_test(add_months_clamps_to_the_end_of_the_month),
		cmocka_unit_test(add_months_handles_negative_months_and_years),
		cmocka_unit_test(add_months_fails_outside_years_1_to_9999),
		cmocka_unit_test(months_between_counts_whole_months_with_the_clamp),
		cmocka_unit_test(months_between_is_the_largest_n_for_every_start_day),
		cmocka_unit_test(today_is_the_current_utc_date),
	};

	return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
