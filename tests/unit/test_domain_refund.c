/* Unit tests for core/domain/refund: the known-answer refund table in
 * tests/data/refunds/refunds.txt (free look, pro rata by days, usage
 * running out first, fee larger than the refund, claims deducted, leap
 * years and month ends), one test per case, plus the edges refund_compute
 * refuses and share formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain/refund.h"
#include "base/money.h"

#ifndef CD_TEST_DATADIR
#define CD_TEST_DATADIR "tests/data"
#endif

#define MAX_KEYS 40

/* One [section] of the table: its name and key = value lines. */
typedef struct refund_case {
	char name[64];
	int nkeys;
	char keys[MAX_KEYS][40];
	char values[MAX_KEYS][64];
} refund_case;

static refund_case *cases;
static int ncases;

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Reads the table; returns 0, or -1 with a message printed. */
static int
load_cases(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	refund_case *cur = NULL;

	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *s = trim(line), *eq;
		if (*s == '\0' || *s == '#')
			continue;
		if (*s == '[') {
			cases = realloc(cases, (size_t)(ncases + 1) * sizeof *cases);
			cur = &cases[ncases++];
			memset(cur, 0, sizeof *cur);
			snprintf(cur->name, sizeof cur->name, "%.*s", (int)strcspn(s + 1, "]"), s + 1);
			continue;
		}
		eq = strchr(s, '=');
		if (cur == NULL || eq == NULL || cur->nkeys == MAX_KEYS) {
			fprintf(stderr, "%s: malformed line: %s\n", path, s);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		snprintf(cur->keys[cur->nkeys], sizeof cur->keys[0], "%s", trim(s));
		snprintf(cur->values[cur->nkeys], sizeof cur->values[0], "%s", trim(eq + 1));
		cur->nkeys++;
	}
	fclose(f);
	return ncases > 0 ? 0 : -1;
}

static const char *
get(const refund_case *c, const char *key)
{
	for (int i = 0; i < c->nkeys; i++)
		if (strcmp(c->keys[i], key) == 0)
			return c->values[i];
	return NULL;
}

static const char *
need(const refund_case *c, const char *key)
{
	const char *v = get(c, key);

	if (v == NULL)
		fail_msg("case %s: no '%s'", c->name, key);
	return v;
}

/* "107.88 EUR" into minor units; *currency set from the text. */
static int64_t
amount(const refund_case *c, const char *key, char currency[4])
{
	const char *v = need(c, key), *space = strchr(v, ' ');
	char number[40];
	int64_t out = 0;

	if (space == NULL || strlen(space + 1) != 3)
		fail_msg("case %s: %s must be 'AMOUNT CUR'", c->name, key);
	snprintf(number, sizeof number, "%.*s", (int)(space - v), v);
	memcpy(currency, space + 1, 4);
	if (money_parse(number, currency, &out) != MONEY_OK)
		fail_msg("case %s: %s: bad amount '%s'", c->name, key, v);
	return out;
}

static date_t
day(const refund_case *c, const char *key)
{
	date_t d = 0;

	if (date_parse(need(c, key), &d) != 0)
		fail_msg("case %s: %s is not a date", c->name, key);
	return d;
}

static int64_t
number(const refund_case *c, const char *key)
{
	return strtoll(need(c, key), NULL, 10);
}

static void
expect_amount(const refund_case *c, const char *key, int64_t got, const char *currency)
{
	char cur[4], text[32];
	int64_t want = amount(c, key, cur);

	money_format(got, currency, text, sizeof text);
	if (want != got || strcmp(cur, currency) != 0)
		fail_msg("case %s: %s: expected %s, got %s %s", c->name, key, need(c, key), text,
		    currency);
}

static void
expect_share(const refund_case *c, const char *key, int64_t num, int64_t den)
{
	char text[32];

	share_format(num, den, text, sizeof text);
	if (strcmp(text, need(c, key)) != 0)
		fail_msg("case %s: %s: expected %s, got %s (%lld/%lld)", c->name, key, need(c, key), text,
		    (long long)num, (long long)den);
}

static void
run_case(void **state)
{
	const refund_case *c = *state;
	refund_input in;
	refund_result r;
	char currency[4], cur[4];
	const char *method = need(c, "method");

	memset(&in, 0, sizeof in);
	in.price = amount(c, "price", currency);
	in.dealer_margin = amount(c, "margin", cur);
	in.sale_date = day(c, "sale");
	in.start_date = day(c, "start");
	in.end_date = day(c, "end");
	in.cancel_date = day(c, "cancel");
	in.free_look_days = (int)number(c, "free_look_days");
	assert_int_equal(plan_refund_method_parse(method, &in.method), 0);
	if (get(c, "start_usage") != NULL) {
		in.has_usage_limit = true;
		in.start_usage = number(c, "start_usage");
		in.end_usage = number(c, "end_usage");
	}
	if (get(c, "usage") != NULL) {
		in.has_usage = true;
		in.usage = number(c, "usage");
	}
	in.fee = amount(c, "fee", cur);
	in.deduct_claims = strcmp(need(c, "deduct_claims"), "yes") == 0;
	in.claims_count = (int)number(c, "claims_count");
	in.claims_paid = amount(c, "claims_paid", cur);

	assert_int_equal(refund_compute(&in, &r), 0);
	assert_string_equal(refund_basis_name(r.basis), need(c, "expect.basis"));
	assert_int_equal(r.term_days, number(c, "expect.term_days"));
	assert_int_equal(r.unused_days, number(c, "expect.unused_days"));
	expect_share(c, "expect.share_days", r.share_days_num, r.share_days_den);
	if (get(c, "expect.share_usage") != NULL) {
		assert_true(r.usage_used);
		expect_share(c, "expect.share_usage", r.share_usage_num, r.share_usage_den);
	} else {
		assert_false(r.usage_used);
	}
	expect_share(c, "expect.share", r.share_num, r.share_den);
	assert_int_equal(r.price_paid, in.price);
	expect_amount(c, "expect.unused_amount", r.unused_amount, currency);
	expect_amount(c, "expect.fee", r.fee, currency);
	expect_amount(c, "expect.claims_deducted", r.claims_deducted, currency);
	expect_amount(c, "expect.refund", r.refund, currency);
	expect_amount(c, "expect.chargeback", r.chargeback, currency);
	/* The breakdown always adds up, and never goes below zero. */
	assert_int_equal(r.unused_amount - r.fee - r.claims_deducted, r.refund);
	assert_true(r.refund >= 0);
	assert_true(r.refund <= in.price);
	assert_true(r.chargeback <= in.dealer_margin);
}

/* What refund_compute refuses rather than guessing. */
static void
test_refuses_nonsense(void **state)
{
	refund_input in;
	refund_result r;

	(void)state;
	memset(&in, 0, sizeof in);
	in.price = 10000;
	in.sale_date = 19800;
	in.start_date = 19800;
	in.end_date = 20165;
	in.cancel_date = 19799; /* before the sale */
	assert_int_equal(refund_compute(&in, &r), -1);
	assert_int_equal(r.refund, 0);
	in.cancel_date = 19900;
	in.end_date = in.start_date; /* an empty term */
	assert_int_equal(refund_compute(&in, &r), -1);
	in.end_date = 20165;
	in.price = -1;
	assert_int_equal(refund_compute(&in, &r), -1);
	in.price = 10000;
	in.fee = -5;
	assert_int_equal(refund_compute(&in, &r), -1);
	in.fee = 0;
	assert_int_equal(refund_compute(&in, &r), 0);
	/* Cancelled on the last day of the term: one day unused. */
	in.cancel_date = 20164;
	assert_int_equal(refund_compute(&in, &r), 0);
	assert_int_equal(r.unused_days, 1);
	/* On the end date: nothing unused. */
	in.cancel_date = 20165;
	assert_int_equal(refund_compute(&in, &r), 0);
	assert_int_equal(r.unused_days, 0);
	assert_int_equal(r.refund, 0);
}

/* A free look with claims paid (but none counted) is not a free look. */
static void
test_free_look_needs_nothing_claimed(void **state)
{
	refund_input in;
	refund_result r;

	(void)state;
	memset(&in, 0, sizeof in);
	in.price = 10000;
	in.dealer_margin = 3000;
	in.sale_date = in.start_date = 19800;
	in.end_date = 20165;
	in.cancel_date = 19801;
	in.free_look_days = 14;
	assert_int_equal(refund_compute(&in, &r), 0);
	assert_int_equal(r.basis, REFUND_FREE_LOOK);
	assert_int_equal(r.refund, 10000);
	in.claims_paid = 1;
	assert_int_equal(refund_compute(&in, &r), 0);
	assert_int_equal(r.basis, REFUND_DAYS);
	/* Free-look days 0: there is no free look. */
	in.claims_paid = 0;
	in.free_look_days = 0;
	in.cancel_date = in.sale_date;
	assert_int_equal(refund_compute(&in, &r), 0);
	assert_int_equal(r.basis, REFUND_DAYS);
}

/* Equal shares by days and by usage count as days. */
static void
test_equal_shares_are_days(void **state)
{
	refund_input in;
	refund_result r;

	(void)state;
	memset(&in, 0, sizeof in);
	in.price = 9000;
	in.sale_date = in.start_date = 0;
	in.end_date = 300;
	in.cancel_date = 100;       /* 2/3 of the days unused */
	in.method = PLAN_REFUND_BY_DAYS_OR_USAGE;
	in.has_usage_limit = true;
	in.start_usage = 1000;
	in.end_usage = 4000;
	in.has_usage = true;
	in.usage = 2000;            /* 2/3 of the usage unused */
	assert_int_equal(refund_compute(&in, &r), 0);
	assert_int_equal(r.basis, REFUND_DAYS);
	assert_int_equal(r.unused_amount, 6000);
	/* A reading below the start counts as nothing used. */
	in.usage = 10;
	assert_int_equal(refund_compute(&in, &r), 0);
	assert_int_equal(r.unused_usage, 3000);
	assert_int_equal(r.basis, REFUND_DAYS);
	/* Without a reading, days decide. */
	in.has_usage = false;
	assert_int_equal(refund_compute(&in, &r), 0);
	assert_false(r.usage_used);
}

static void
test_share_format(void **state)
{
	char text[32];

	(void)state;
	share_format(784, 1095, text, sizeof text);
	assert_string_equal(text, "0.715982");
	share_format(1, 1, text, sizeof text);
	assert_string_equal(text, "1.000000");
	share_format(0, 7, text, sizeof text);
	assert_string_equal(text, "0.000000");
	share_format(2, 3, text, sizeof text);
	assert_string_equal(text, "0.666667");
	share_format(1, 3, text, sizeof text);
	assert_string_equal(text, "0.333333");
	share_format(1, 2000000, text, sizeof text);
	assert_string_equal(text, "0.000001"); /* 0.0000005 rounds half-up */
}

int
main(void)
{
	const char *dir = getenv("CD_SRCDIR");
	char path[1024];
	struct CMUnitTest *tests;
	int n = 0, rc;

	if (dir != NULL)
		snprintf(path, sizeof path, "%s/tests/data/refunds/refunds.txt", dir);
	else
		snprintf(path, sizeof path, "%s/refunds/refunds.txt", CD_TEST_DATADIR);
	if (load_cases(path) != 0) {
		printf("1..1\nnot ok 1 - the refund table %s could not be read\n", path);
		return 1;
	}
	tests = calloc((size_t)ncases + 4, sizeof *tests);
	for (int i = 0; i < ncases; i++) {
		tests[n].name = cases[i].name;
		tests[n].test_func = run_case;
		tests[n].initial_state = &cases[i];
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_refuses_nonsense);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_free_look_needs_nothing_claimed);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_equal_shares_are_days);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_share_format);
	rc = _cmocka_run_group_tests("domain_refund", tests, (size_t)n, NULL, NULL);
	free(tests);
	free(cases);
	return rc;
}
