/* Unit tests for core/reports' pure parts: the daily earning rule and the
 * unearned roll-forward (earning.h), report requests and the loss-ratio
 * format (report.h), CSV (csv.h) and the ledger accounts and entries
 * (ledger.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "reports/csv.h"
#include "reports/earning.h"
#include "reports/ledger.h"
#include "reports/report.h"
#include "base/money.h"

static date_t
D(const char *iso)
{
	date_t d;

	if (date_parse(iso, &d) != 0)
		fail_msg("bad date %s", iso);
	return d;
}

static int64_t
cum(int64_t price, const char *start, const char *end, const char *day)
{
	int64_t e;

	assert_int_equal(earning_cumulative(price, D(start), D(end), D(day), &e), 0);
	return e;
}

/* Sum of the days of the term; checks each day earns floor or ceiling of
 * price / days. */
static void
assert_days_add_up(int64_t price, date_t start, date_t end)
{
	int64_t sum = 0, days = end - start, lo = price / days, hi = lo + (price % days != 0);

	for (int k = 0; k < days; k++) {
		int64_t d = earning_day(price, start, end, k);
		assert_true(d == lo || d == hi);
		sum += d;
	}
	assert_int_equal(sum, price);
	assert_int_equal(earning_day(price, start, end, (int)days), 0);
	assert_int_equal(earning_day(price, start, end, -1), 0);
}

/* The movement of every calendar month from the sale's month to a year
 * after the end, summed: written = earned + cancelled + what is left. */
static void
assert_months_roll_forward(const earning_contract *c, int64_t *earned, int64_t *cancelled)
{
	int y, m, d;
	date_t a, b, last = (c->end_date > c->sale_date ? c->end_date : c->sale_date) + 400;
	int64_t written = 0, open = 0;

	*earned = *cancelled = 0;
	date_to_ymd(c->sale_date < c->start_date ? c->sale_date : c->start_date, &y, &m, &d);
	date_from_ymd(y, m, 1, &a);
	for (; a < last; a = b) {
		earning_movement mv;
		date_add_months(a, 1, &b);
		assert_int_equal(earning_between(c, a, b, &mv), 0);
		assert_int_equal(mv.opening, open);
		assert_int_equal(mv.opening + mv.written - mv.earned - mv.cancelled, mv.closing);
		assert_true(mv.earned >= 0 && mv.cancelled >= 0 && mv.closing >= 0);
		written += mv.written;
		*earned += mv.earned;
		*cancelled += mv.cancelled;
		open = mv.closing;
	}
	assert_int_equal(open, 0);
	assert_int_equal(written, c->price);
	assert_int_equal(*earned + *cancelled, c->price);
}

/* ------------------------------------------------------------------------
 * Earning
 * ------------------------------------------------------------------------ */

static void
even_price_earns_the_same_every_day(void **state)
{
	(void)state;
	/* 2025 has 365 days: 365.00 is 1.00 a day. */
	assert_int_equal(cum(36500, "2025-01-01", "2026-01-01", "2025-01-01"), 0);
	assert_int_equal(cum(36500, "2025-01-01", "2026-01-01", "2025-01-02"), 100);
	assert_int_equal(cum(36500, "2025-01-01", "2026-01-01", "2025-02-01"), 3100);
	assert_int_equal(cum(36500, "2025-01-01", "2026-01-01", "2026-01-01"), 36500);
	assert_int_equal(cum(36500, "2025-01-01", "2026-01-01", "2030-01-01"), 36500);
	assert_int_equal(cum(36500, "2025-01-01", "2026-01-01", "2024-06-01"), 0);
	for (int k = 0; k < 365; k++)
		assert_int_equal(earning_day(36500, D("2025-01-01"), D("2026-01-01"), k), 100);
}

static void
price_not_divisible_by_days_still_adds_up(void **state)
{
	(void)state;
	/* 100.00 over 7 days: 14.285714... a day. E(1) = 14.29 (half-up),
	 * E(2) = 28.57, E(3) = 42.86 ... E(7) = 100.00. */
	assert_int_equal(cum(10000, "2026-03-01", "2026-03-08", "2026-03-02"), 1429);
	assert_int_equal(cum(10000, "2026-03-01", "2026-03-08", "2026-03-03"), 2857);
	assert_int_equal(cum(10000, "2026-03-01", "2026-03-08", "2026-03-04"), 4286);
	assert_days_add_up(10000, D("2026-03-01"), D("2026-03-08"));
	/* Prices and terms with remainders of every kind. */
	static const int64_t prices[] = { 1, 2, 3, 99, 10001, 19999, 107988, 12345679, 999999999 };
	static const int terms[] = { 1, 2, 3, 7, 29, 365, 366, 730, 1095, 1826 };
	for (size_t i = 0; i < sizeof prices / sizeof prices[0]; i++)
		for (size_t t = 0; t < sizeof terms / sizeof terms[0]; t++)
			assert_days_add_up(prices[i], D("2024-01-15"), D("2024-01-15") + terms[t]);
}

static void
halves_round_up(void **state)
{
	(void)state;
	/* 0.01 over 2 days: day one is half a cent, rounded up; day two 0. */
	assert_int_equal(cum(1, "2026-01-01", "2026-01-03", "2026-01-02"), 1);
	assert_int_equal(earning_day(1, D("2026-01-01"), D("2026-01-03"), 0), 1);
	assert_int_equal(earning_day(1, D("2026-01-01"), D("2026-01-03"), 1), 0);
	/* 0.03 over 2 days: 1.5 -> 2, then 1. */
	assert_int_equal(earning_day(3, D("2026-01-01"), D("2026-01-03"), 0), 2);
	assert_int_equal(earning_day(3, D("2026-01-01"), D("2026-01-03"), 1), 1);
	/* 0.05 over 4 days: 1.25 -> 1, 2.5 -> 3, 3.75 -> 4, 5. */
	assert_int_equal(cum(5, "2026-01-01", "2026-01-05", "2026-01-02"), 1);
	assert_int_equal(cum(5, "2026-01-01", "2026-01-05", "2026-01-03"), 3);
	assert_int_equal(cum(5, "2026-01-01", "2026-01-05", "2026-01-04"), 4);
}

static void
leap_years_have_366_days(void **state)
{
	earning_contract c = { 36600, D("2024-01-01"), D("2024-01-01"), D("2025-01-01"), false, 0 };
	int64_t earned, cancelled;

	(void)state;
	/* 2024 is a leap year: 366.00 over 366 days, 1.00 a day, Feb 29 too. */
	assert_int_equal(earning_day(36600, D("2024-01-01"), D("2025-01-01"),
	    D("2024-02-29") - D("2024-01-01")), 100);
	assert_int_equal(cum(36600, "2024-01-01", "2025-01-01", "2024-03-01"), 6000);
	assert_days_add_up(36600, D("2024-01-01"), D("2025-01-01"));
	assert_months_roll_forward(&c, &earned, &cancelled);
	assert_int_equal(earned, 36600);
	assert_int_equal(cancelled, 0);
	/* February 2024 earns 29 days. */
	earning_movement mv;
	assert_int_equal(earning_between(&c, D("2024-02-01"), D("2024-03-01"), &mv), 0);
	assert_int_equal(mv.earned, 2900);
	/* A term from 2024-02-29 for 12 months ends 2025-02-28: 365 days. */
	assert_days_add_up(10000, D("2024-02-29"), D("2025-02-28"));
	/* Four years over a leap day: 1461 days. */
	assert_days_add_up(146100, D("2023-06-30"), D("2027-06-30"));
	assert_int_equal(earning_day(146100, D("2023-06-30"), D("2027-06-30"), 0), 100);
}

static void
one_day_term(void **state)
{
	earning_contract c = { 4999, D("2026-05-31"), D("2026-05-31"), D("2026-06-01"), false, 0 };
	earning_movement may, june;
	int64_t earned, cancelled;

	(void)state;
	assert_int_equal(earning_day(4999, c.start_date, c.end_date, 0), 4999);
	assert_int_equal(earning_between(&c, D("2026-05-01"), D("2026-06-01"), &may), 0);
	assert_int_equal(may.written, 4999);
	assert_int_equal(may.earned, 4999);
	assert_int_equal(may.closing, 0);
	assert_int_equal(earning_between(&c, D("2026-06-01"), D("2026-07-01"), &june), 0);
	assert_int_equal(june.opening, 0);
	assert_int_equal(june.earned, 0);
	assert_months_roll_forward(&c, &earned, &cancelled);
}

static void
cancellation_on_the_first_day_releases_everything(void **state)
{
	earning_contract c = { 29900, D("2026-01-10"), D("2026-01-10"), D("2029-01-10"), true,
	    D("2026-01-10") };
	earning_movement jan;
	int64_t earned, cancelled;

	(void)state;
	assert_int_equal(earning_between(&c, D("2026-01-01"), D("2026-02-01"), &jan), 0);
	assert_int_equal(jan.opening, 0);
	assert_int_equal(jan.written, 29900);
	assert_int_equal(jan.earned, 0);
	assert_int_equal(jan.cancelled, 29900);
	assert_int_equal(jan.closing, 0);
	assert_months_roll_forward(&c, &earned, &cancelled);
	assert_int_equal(earned, 0);
	assert_int_equal(cancelled, 29900);
}

static void
cancellation_mid_term(void **state)
{
	/* 365.00 over 2025; cancelled on 2025-03-15: Jan 31 days, Feb 28,
	 * Mar 14 days earned = 73.00; 292.00 released in March. */
	earning_contract c = { 36500, D("2025-01-01"), D("2025-01-01"), D("2026-01-01"), true,
	    D("2025-03-15") };
	earning_movement mar, apr;
	earning_position p;
	int64_t earned, cancelled;

	(void)state;
	assert_int_equal(earning_between(&c, D("2025-03-01"), D("2025-04-01"), &mar), 0);
	assert_int_equal(mar.opening, 36500 - 5900);
	assert_int_equal(mar.earned, 1400);
	assert_int_equal(mar.cancelled, 29200);
	assert_int_equal(mar.closing, 0);
	assert_int_equal(earning_between(&c, D("2025-04-01"), D("2025-05-01"), &apr), 0);
	assert_int_equal(apr.earned + apr.cancelled + apr.opening + apr.closing, 0);
	/* The day before and the day of the cancellation. */
	assert_int_equal(earning_position_at(&c, D("2025-03-15"), &p), 0);
	assert_int_equal(p.earned, 7300);
	assert_int_equal(p.cancelled, 0);
	assert_int_equal(earning_position_at(&c, D("2025-03-16"), &p), 0);
	assert_int_equal(p.earned, 7300);
	assert_int_equal(p.cancelled, 29200);
	assert_int_equal(p.unearned, 0);
	assert_months_roll_forward(&c, &earned, &cancelled);
	assert_int_equal(earned, 7300);
	assert_int_equal(cancelled, 29200);
	/* Cancelled on the last day of the term: one day left to release. */
	c.cancelled_on = D("2025-12-31");
	assert_months_roll_forward(&c, &earned, &cancelled);
	assert_int_equal(cancelled, 100);
	/* On or after the end: nothing left. */
	c.cancelled_on = D("2026-01-01");
	assert_months_roll_forward(&c, &earned, &cancelled);
	assert_int_equal(cancelled, 0);
	assert_int_equal(earned, 36500);
}

static void
sold_before_the_start_stays_unearned(void **state)
{
	/* A warranty-end plan: sold 2026-02-10, covering from 2028-02-10. */
	earning_contract c = { 50000, D("2026-02-10"), D("2028-02-10"), D("2030-02-10"), false, 0 };
	earning_movement m;
	int64_t earned, cancelled;

	(void)state;
	assert_int_equal(earning_between(&c, D("2026-02-01"), D("2026-03-01"), &m), 0);
	assert_int_equal(m.written, 50000);
	assert_int_equal(m.earned, 0);
	assert_int_equal(m.closing, 50000);
	assert_int_equal(earning_between(&c, D("2027-12-01"), D("2028-01-01"), &m), 0);
	assert_int_equal(m.opening, 50000);
	assert_int_equal(m.earned, 0);
	assert_months_roll_forward(&c, &earned, &cancelled);
	assert_int_equal(earned, 50000);
	/* Cancelled before its start: the whole price is released. */
	c.cancelled = true;
	c.cancelled_on = D("2027-06-30");
	assert_int_equal(earning_between(&c, D("2027-06-01"), D("2027-07-01"), &m), 0);
	assert_int_equal(m.cancelled, 50000);
	assert_int_equal(m.earned, 0);
	assert_months_roll_forward(&c, &earned, &cancelled);
	assert_int_equal(cancelled, 50000);
}

static void
sold_after_the_start_catches_up(void **state)
{
	/* Coverage from the purchase, 2026-01-01 (365.00 over 365 days), sold
	 * on 2026-02-15: the 45 days already covered are earned in February. */
	earning_contract c = { 36500, D("2026-02-15"), D("2026-01-01"), D("2027-01-01"), false, 0 };
	earning_movement jan, feb;
	int64_t earned, cancelled;

	(void)state;
	assert_int_equal(earning_between(&c, D("2026-01-01"), D("2026-02-01"), &jan), 0);
	assert_int_equal(jan.written + jan.earned + jan.closing, 0);
	assert_int_equal(earning_between(&c, D("2026-02-01"), D("2026-03-01"), &feb), 0);
	assert_int_equal(feb.written, 36500);
	assert_int_equal(feb.earned, 5900); /* all of January and February */
	assert_months_roll_forward(&c, &earned, &cancelled);
	/* Sold after its whole term: everything earned on the sale date. */
	c.sale_date = D("2027-03-01");
	assert_int_equal(earning_between(&c, D("2027-03-01"), D("2027-04-01"), &feb), 0);
	assert_int_equal(feb.written, 36500);
	assert_int_equal(feb.earned, 36500);
	assert_int_equal(feb.closing, 0);
}

static void
yen_have_no_minor_unit(void **state)
{
	/* 100 000 yen over three years (2026-04-01 to 2029-04-01, 1096 days
	 * with 2028-02-29): 91 or 92 yen a day, exactly 100 000 in all. */
	earning_contract c = { 100000, D("2026-04-01"), D("2026-04-01"), D("2029-04-01"), false, 0 };
	int64_t earned, cancelled;
	char text[32];

	(void)state;
	assert_int_equal(c.end_date - c.start_date, 1096);
	assert_days_add_up(100000, c.start_date, c.end_date);
	assert_months_roll_forward(&c, &earned, &cancelled);
	assert_int_equal(earned, 100000);
	assert_int_equal(money_format(cum(100000, "2026-04-01", "2029-04-01", "2026-05-01"), "JPY",
	    text, sizeof text), MONEY_OK);
	assert_string_equal(text, "2737"); /* 100000 x 30 / 1096 = 2737.2 */
	/* Cancelled after 100 days: 9124.09 -> 9124 earned, 90876 released. */
	c.cancelled = true;
	c.cancelled_on = c.start_date + 100;
	assert_months_roll_forward(&c, &earned, &cancelled);
	assert_int_equal(earned, 9124);
	assert_int_equal(cancelled, 90876);
}

static void
malformed_contracts_are_refused(void **state)
{
	earning_contract empty = { 100, D("2026-01-01"), D("2026-01-01"), D("2026-01-01"), false, 0 };
	earning_contract early = { 100, D("2026-01-05"), D("2026-01-01"), D("2027-01-01"), true,
	    D("2026-01-04") };
	earning_position p;
	earning_movement m;
	int64_t e;

	(void)state;
	assert_int_equal(earning_cumulative(100, D("2026-01-02"), D("2026-01-01"), D("2026-01-01"),
	    &e), -1);
	assert_int_equal(earning_position_at(&empty, D("2026-02-01"), &p), -1);
	assert_int_equal(earning_position_at(&early, D("2026-02-01"), &p), -1);
	assert_int_equal(earning_between(&early, D("2026-01-01"), D("2026-02-01"), &m), -1);
	assert_int_equal(m.earned, 0);
}

/* Many pseudo-random contracts (a fixed LCG): every month of every
 * contract rolls forward, and the sums over all contracts do too. */
static void
random_contracts_reconcile(void **state)
{
	uint64_t seed = 20261122;
	int64_t total_written = 0, total_earned = 0, total_cancelled = 0;

	(void)state;
#define NEXT() (seed = seed * 6364136223846793005ull + 1442695040888963407ull, (seed >> 33))
	for (int i = 0; i < 2000; i++) {
		earning_contract c;
		int64_t earned, cancelled;
		date_t base = D("2024-01-01") + (date_t)(NEXT() % 900);
		int months = (int)(NEXT() % 3 + 1) * 12;

		c.price = (int64_t)(NEXT() % 500000) + (i % 7 == 0 ? 0 : 1);
		c.start_date = base;
		date_add_months(base, months, &c.end_date);
		c.sale_date = base + (date_t)(NEXT() % 60) - 20;
		if (i % 11 == 0)
			c.sale_date = base - 700; /* warranty-end plan */
		c.cancelled = NEXT() % 4 == 0;
		c.cancelled_on = c.cancelled ? c.sale_date + (date_t)(NEXT() % 1200) : 0;
		assert_months_roll_forward(&c, &earned, &cancelled);
		total_written += c.price;
		total_earned += earned;
		total_cancelled += cancelled;
	}
	assert_int_equal(total_written, total_earned + total_cancelled);
#undef NEXT
}

static void
touches(void **state)
{
	earning_contract c = { 100, D("2025-01-10"), D("2025-01-10"), D("2026-01-10"), false, 0 };

	(void)state;
	assert_true(earning_touches(&c, D("2025-01-01"), D("2025-02-01")));
	assert_true(earning_touches(&c, D("2026-01-01"), D("2026-02-01")));
	assert_false(earning_touches(&c, D("2026-02-01"), D("2026-03-01")));
	assert_false(earning_touches(&c, D("2024-12-01"), D("2025-01-01")));
	assert_false(earning_touches(&c, D("2024-12-01"), D("2025-01-10")));
	assert_true(earning_touches(&c, D("2024-12-01"), D("2025-01-11")));
}

/* ------------------------------------------------------------------------
 * Requests and the loss ratio
 * ------------------------------------------------------------------------ */

static void
requests(void **state)
{
	report_request rq;
	char err[256];

	(void)state;
	assert_int_equal(report_request_parse(REPORT_REVENUE, "2025-06", "2026-11", NULL, &rq, err,
	    sizeof err), 0);
	assert_int_equal(rq.months, 18);
	assert_int_equal(rq.from, D("2025-06-01"));
	assert_int_equal(rq.to, D("2026-12-01"));
	assert_int_equal(rq.by, REPORT_BY_PLAN);
	assert_int_equal(report_request_parse(REPORT_LOSS_RATIO, "2026-02", "2026-02", "dealer",
	    &rq, err, sizeof err), 0);
	assert_int_equal(rq.months, 1);
	assert_int_equal(rq.by, REPORT_BY_DEALER);
	assert_int_equal(report_request_parse(REPORT_JOURNAL, "2026-02-03", "2026-02-03", NULL,
	    &rq, err, sizeof err), 0);
	assert_int_equal(rq.to - rq.from, 1);
	assert_int_equal(report_request_parse(REPORT_INVOICES, "2024-02", "2024-02", NULL, &rq,
	    err, sizeof err), 0);
	assert_int_equal(rq.from, D("2024-02-01"));
	assert_int_equal(rq.to, D("2024-03-01"));

	assert_int_equal(report_request_parse(REPORT_REVENUE, "2026-03", "2026-02", NULL, &rq, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "before"));
	assert_int_equal(report_request_parse(REPORT_REVENUE, "2026-13", "2026-12", NULL, &rq, err,
	    sizeof err), -1);
	assert_int_equal(report_request_parse(REPORT_REVENUE, "2026-01-01", "2026-12", NULL, &rq,
	    err, sizeof err), -1);
	assert_int_equal(report_request_parse(REPORT_REVENUE, NULL, "2026-12", NULL, &rq, err,
	    sizeof err), -1);
	assert_int_equal(report_request_parse(REPORT_REVENUE, "2000-01", "2026-12", NULL, &rq, err,
	    sizeof err), -1);
	assert_int_equal(report_request_parse(REPORT_REVENUE, "2026-01", "2026-12", "region", &rq,
	    err, sizeof err), -1);
	assert_int_equal(report_request_parse(REPORT_JOURNAL, "2026-01-01", "2026-12-31", "plan",
	    &rq, err, sizeof err), -1);
	assert_int_equal(report_request_parse(REPORT_INVOICES, "2026-02-30", "2026-03-01", NULL,
	    &rq, err, sizeof err), -1);
	assert_int_equal(report_request_parse(REPORT_INVOICES, "2026-01-01x", "2026-03-01", NULL,
	    &rq, err, sizeof err), -1);
}

static void
loss_ratio_format(void **state)
{
	char s[32];

	(void)state;
	report_loss_ratio_format(625, 1000, s, sizeof s);
	assert_string_equal(s, "0.6250");
	report_loss_ratio_format(2, 3, s, sizeof s);
	assert_string_equal(s, "0.6667");
	report_loss_ratio_format(1, 20000, s, sizeof s); /* 0.00005 -> 0.0001 */
	assert_string_equal(s, "0.0001");
	report_loss_ratio_format(1, 20001, s, sizeof s);
	assert_string_equal(s, "0.0000");
	report_loss_ratio_format(0, 500, s, sizeof s);
	assert_string_equal(s, "0.0000");
	report_loss_ratio_format(31415, 10000, s, sizeof s);
	assert_string_equal(s, "3.1415");
	report_loss_ratio_format(500, 0, s, sizeof s);
	assert_string_equal(s, "n/a");
	report_loss_ratio_format(0, 0, s, sizeof s);
	assert_string_equal(s, "n/a");
}

/* ------------------------------------------------------------------------
 * CSV
 * ------------------------------------------------------------------------ */

static void
csv_quoting(void **state)
{
	buf b;
	const char *cells[] = { "plain", "a,b", "say \"hi\"", "two\nlines", "=1+1", "-12.30", "",
	    "@SUM(A1)" };
	const bool numeric[] = { false, false, false, false, false, true, false, false };

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(csv_row(&b, cells, 8, numeric), 0);
	assert_string_equal(b.data, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"'=1+1\","
	    "-12.30,,\"'@SUM(A1)\"\r\n");
	buf_reset(&b);
	/* Without the numeric flags even an amount is guarded. */
	assert_int_equal(csv_row(&b, cells + 5, 1, NULL), 0);
	assert_string_equal(b.data, "\"'-12.30\"\r\n");
	buf_free(&b);
	/* A full buffer is an error, not a truncated row. */
	buf_init(&b, 8);
	assert_int_equal(csv_row(&b, cells, 8, numeric), -1);
	buf_free(&b);
}

/* ------------------------------------------------------------------------
 * Ledger
 * ------------------------------------------------------------------------ */

static config *
config_with(const char *text)
{
	char path[] = "/tmp/test_reports_XXXXXX", err[256];
	int fd = mkstemp(path);
	config *cfg;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	cfg = config_load(path, err, sizeof err);
	unlink(path);
	if (cfg == NULL)
		fail_msg("config: %s", err);
	return cfg;
}

static void
ledger_accounts_from_config(void **state)
{
	ledger_accounts a;
	char err[256];
	config *cfg;

	(void)state;
	assert_int_equal(ledger_accounts_load(NULL, &a, err, sizeof err), 0);
	assert_string_equal(a.account[ACC_RECEIVABLE], "1200");
	assert_string_equal(a.account[ACC_VAT_PAYABLE], "1776");
	assert_string_equal(a.account[ACC_REVENUE_CONTRACTS], "4000");
	assert_string_equal(a.account[ACC_CASH], "1000");
	assert_string_equal(a.account[ACC_UNAPPLIED_CASH], "2100");
	assert_string_equal(ledger_account_key(ACC_CASH), "cash");
	assert_string_equal(ledger_account_key(ACC_UNAPPLIED_CASH), "unapplied_cash");
	assert_null(ledger_account_key(ACC_COUNT));
	for (int i = 0; i < ACC_COUNT; i++)
		assert_string_equal(a.account[i], ledger_account_default((ledger_account_id)i));
	/* Distinct, or an entry would merge two accounts' lines into one. */
	for (int i = 0; i < ACC_COUNT; i++)
		for (int k = i + 1; k < ACC_COUNT; k++)
			assert_string_not_equal(a.account[i], a.account[k]);

	cfg = config_with("[ledger]\nreceivable = 10000\nrevenue_contracts = 8400 Service\n"
	    "origin.other = 8999\norigin.parts-order = 8100\norigin.other = 8998\n");
	assert_int_equal(ledger_accounts_load(cfg, &a, err, sizeof err), 0);
	assert_string_equal(a.account[ACC_RECEIVABLE], "10000");
	assert_string_equal(a.account[ACC_REVENUE_CONTRACTS], "8400 Service");
	assert_string_equal(a.account[ACC_UNEARNED_REVENUE], "2400");
	assert_string_equal(ledger_origin_account_of(&a, "other"), "8998");
	assert_string_equal(ledger_origin_account_of(&a, "parts-order"), "8100");
	assert_null(ledger_origin_account_of(&a, "contract-sale"));
	config_free(cfg);

	/* The money accounts, alone: the others keep their defaults. */
	cfg = config_with("[ledger]\ncash = 1010 Bank\nunapplied_cash = 1290\n");
	assert_int_equal(ledger_accounts_load(cfg, &a, err, sizeof err), 0);
	assert_string_equal(a.account[ACC_CASH], "1010 Bank");
	assert_string_equal(a.account[ACC_UNAPPLIED_CASH], "1290");
	assert_string_equal(a.account[ACC_RECEIVABLE], "1200");
	config_free(cfg);
	cfg = config_with("[ledger]\nunapplied-cash = 2100\n");
	assert_int_equal(ledger_accounts_load(cfg, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "unapplied-cash"));
	config_free(cfg);
	cfg = config_with("[ledger]\ncash =  \n");
	assert_int_equal(ledger_accounts_load(cfg, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "cash"));
	config_free(cfg);

	cfg = config_with("[ledger]\nrecievable = 1200\n");
	assert_int_equal(ledger_accounts_load(cfg, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "recievable"));
	config_free(cfg);
	cfg = config_with("[ledger]\nvat_payable = 17;76\n");
	assert_int_equal(ledger_accounts_load(cfg, &a, err, sizeof err), -1);
	assert_non_null(strstr(err, "vat_payable"));
	config_free(cfg);
	cfg = config_with("[ledger]\norigin.Parts = 4100\n");
	assert_int_equal(ledger_accounts_load(cfg, &a, err, sizeof err), -1);
	config_free(cfg);
}

static void
ledger_entries_balance(void **state)
{
	ledger_entry e;

	(void)state;
	ledger_entry_init(&e);
	ledger_entry_add(&e, "4000", -10000);
	ledger_entry_add(&e, "1776", -1900);
	ledger_entry_add(&e, "4000", -500);
	ledger_entry_add(&e, "1200", 12400);
	ledger_entry_add(&e, "5000", 0);
	assert_int_equal(ledger_entry_finish(&e, "9999"), 0);
	assert_int_equal(e.n, 3);
	assert_string_equal(e.lines[0].account, "1200");
	assert_int_equal(e.lines[0].amount, 12400);
	assert_string_equal(e.lines[1].account, "4000");
	assert_int_equal(e.lines[1].amount, -10500);
	assert_string_equal(e.lines[2].account, "1776");

	/* A difference goes to suspense, so the entry still balances. */
	ledger_entry_init(&e);
	ledger_entry_add(&e, "1200", 1000);
	ledger_entry_add(&e, "4100", -999);
	assert_int_equal(ledger_entry_finish(&e, "9999"), 1);
	assert_int_equal(e.n, 3);
	assert_string_equal(e.lines[2].account, "9999");
	assert_int_equal(e.lines[2].amount, -1);

	ledger_entry_init(&e);
	ledger_entry_add(&e, "1200", INT64_MAX);
	ledger_entry_add(&e, "1200", 1);
	assert_int_equal(ledger_entry_finish(&e, "9999"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(even_price_earns_the_same_every_day),
		cmocka_unit_test(price_not_divisible_by_days_still_adds_up),
		cmocka_unit_test(halves_round_up),
		cmocka_unit_test(leap_years_have_366_days),
		cmocka_unit_test(one_day_term),
		cmocka_unit_test(cancellation_on_the_first_day_releases_everything),
		cmocka_unit_test(cancellation_mid_term),
		cmocka_unit_test(sold_before_the_start_stays_unearned),
		cmocka_unit_test(sold_after_the_start_catches_up),
		cmocka_unit_test(yen_have_no_minor_unit),
		cmocka_unit_test(malformed_contracts_are_refused),
		cmocka_unit_test(random_contracts_reconcile),
		cmocka_unit_test(touches),
		cmocka_unit_test(requests),
		cmocka_unit_test(loss_ratio_format),
		cmocka_unit_test(csv_quoting),
		cmocka_unit_test(ledger_accounts_from_config),
		cmocka_unit_test(ledger_entries_balance),
	};
	return cmocka_run_group_tests_name("reports", tests, NULL, NULL);
}
