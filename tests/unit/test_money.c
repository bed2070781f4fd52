/* Unit tests for core/base/money: currency table, parsing and formatting,
 * overflow at the int64_t boundaries, every rounding mode, allocation and
 * rates. Exact expectations are checked against a second, independently
 * written rounding model over many generated inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/money.h"

__extension__ typedef __int128 i128;

/* splitmix64: a fixed-seed generator so every run checks the same inputs. */
static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Any int64_t, biased toward the interesting sizes: tiny, mid and huge. */
static int64_t
rng_int64(void)
{
	uint64_t r = rng_next();
	int64_t v;

	switch (rng_next() % 4) {
	case 0:
		v = (int64_t)(r % 2001) - 1000;
		break;
	case 1:
		v = (int64_t)(r % 2000000001u) - 1000000000;
		break;
	case 2:
		v = (int64_t)(r >> 1);
		if (rng_next() & 1)
			v = -v - 1;
		break;
	default:
		v = (int64_t)(r >> (rng_next() % 63 + 1));
		if (rng_next() & 1)
			v = -v;
		break;
	}
	return v;
}

static const int64_t pow10_64[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};

static const round_mode all_modes[] = {
	ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN, ROUND_UP, ROUND_FLOOR, ROUND_CEILING,
};
#define NMODES (sizeof all_modes / sizeof all_modes[0])

/* Reference rounding of n / d (d > 0), written around the floor instead of
 * truncation as in money.c, so the two only agree if both are right. */
static i128
ref_round(i128 n, i128 d, round_mode mode)
{
	i128 fl = n / d;
	if (n % d != 0 && n < 0)
		fl--;
	i128 r = n - fl * d; /* 0 <= r < d */
	i128 ce = fl + 1;

	if (r == 0)
		return fl;
	switch (mode) {
	case ROUND_DOWN:
		return n > 0 ? fl : ce;
	case ROUND_UP:
		return n > 0 ? ce : fl;
	case ROUND_FLOOR:
		return fl;
	case ROUND_CEILING:
		return ce;
	case ROUND_HALF_UP:
		if (2 * r != d)
			return 2 * r < d ? fl : ce;
		return n > 0 ? ce : fl;
	case ROUND_HALF_EVEN:
		if (2 * r != d)
			return 2 * r < d ? fl : ce;
		return fl % 2 == 0 ? fl : ce;
	}
	fail_msg("bad mode %d", (int)mode);
	return 0;
}

/* ------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------ */

static void
status_strings_are_distinct_and_never_null(void **state)
{
	(void)state;
	for (int a = MONEY_OK; a <= MONEY_ERANGE; a++) {
		const char *sa = money_status_str((money_status)a);
		assert_non_null(sa);
		assert_true(strlen(sa) > 0);
		for (int b = a + 1; b <= MONEY_ERANGE; b++)
			assert_string_not_equal(sa, money_status_str((money_status)b));
	}
	assert_non_null(money_status_str((money_status)99));
}

static void
round_mode_names_round_trip(void **state)
{
	static const char *const names[] = {
		"half-up", "half-even", "down", "up", "floor", "ceiling",
	};
	(void)state;
	for (size_t i = 0; i < NMODES; i++) {
		round_mode m = (round_mode)-1;
		assert_int_equal(round_mode_parse(names[i], &m), 0);
		assert_int_equal(m, all_modes[i]);
		assert_string_equal(round_mode_name(all_modes[i]), names[i]);
	}
}

static void
round_mode_parse_rejects_other_spellings(void **state)
{
	static const char *const bad[] = {
		"", "HALF-UP", "Half-Up", "half_up", "halfup", "half-up ", " down",
		"half", "nearest", "truncate", "ceil", "bankers",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		round_mode m = ROUND_CEILING;
		assert_int_equal(round_mode_parse(bad[i], &m), -1);
		assert_int_equal(m, ROUND_CEILING);
	}
	round_mode m = ROUND_CEILING;
	assert_int_equal(round_mode_parse(NULL, &m), -1);
	assert_string_equal(round_mode_name((round_mode)42), "invalid");
	assert_string_equal(round_mode_name((round_mode)-1), "invalid");
}

/* ------------------------------------------------------------------------
 * Currencies
 * ------------------------------------------------------------------------ */

struct cur_case {
	const char *code;
	int exp;
};

/* The whole table, spelled out again: a missing, misspelled or unsorted
 * entry (bsearch would miss it) fails here. */
static const struct cur_case every_currency[] = {
	{ "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "ANG", 2 },
	{ "AOA", 2 }, { "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 },
	{ "BAM", 2 }, { "BBD", 2 }, { "BDT", 2 }, { "BGN", 2 }, { "BHD", 3 },
	{ "BIF", 0 }, { "BMD", 2 }, { "BND", 2 }, { "BOB", 2 }, { "BOV", 2 },
	{ "BRL", 2 }, { "BSD", 2 }, { "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 },
	{ "BZD", 2 }, { "CAD", 2 }, { "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 },
	{ "CHW", 2 }, { "CLF", 4 }, { "CLP", 0 }, { "CNY", 2 }, { "COP", 2 },
	{ "COU", 2 }, { "CRC", 2 }, { "CUP", 2 }, { "CVE", 2 }, { "CZK", 2 },
	{ "DJF", 0 }, { "DKK", 2 }, { "DOP", 2 }, { "DZD", 2 }, { "EGP", 2 },
	{ "ERN", 2 }, { "ETB", 2 }, { "EUR", 2 }, { "FJD", 2 }, { "FKP", 2 },
	{ "GBP", 2 }, { "GEL", 2 }, { "GHS", 2 }, { "GIP", 2 }, { "GMD", 2 },
	{ "GNF", 0 }, { "GTQ", 2 }, { "GYD", 2 }, { "HKD", 2 }, { "HNL", 2 },
	{ "HTG", 2 }, { "HUF", 2 }, { "IDR", 2 }, { "ILS", 2 }, { "INR", 2 },
	{ "IQD", 3 }, { "IRR", 2 }, { "ISK", 0 }, { "JMD", 2 }, { "JOD", 3 },
	{ "JPY", 0 }, { "KES", 2 }, { "KGS", 2 }, { "KHR", 2 }, { "KMF", 0 },
	{ "KPW", 2 }, { "KRW", 0 }, { "KWD", 3 }, { "KYD", 2 }, { "KZT", 2 },
	{ "LAK", 2 }, { "LBP", 2 }, { "LKR", 2 }, { "LRD", 2 }, { "LSL", 2 },
	{ "LYD", 3 }, { "MAD", 2 }, { "MDL", 2 }, { "MGA", 2 }, { "MKD", 2 },
	{ "MMK", 2 }, { "MNT", 2 }, { "MOP", 2 }, { "MRU", 2 }, { "MUR", 2 },
	{ "MVR", 2 }, { "MWK", 2 }, { "MXN", 2 }, { "MXV", 2 }, { "MYR", 2 },
	{ "MZN", 2 }, { "NAD", 2 }, { "NGN", 2 }, { "NIO", 2 }, { "NOK", 2 },
	{ "NPR", 2 }, { "NZD", 2 }, { "OMR", 3 }, { "PAB", 2 }, { "PEN", 2 },
	{ "PGK", 2 }, { "PHP", 2 }, { "PKR", 2 }, { "PLN", 2 }, { "PYG", 0 },
	{ "QAR", 2 }, { "RON", 2 }, { "RSD", 2 }, { "RUB", 2 }, { "RWF", 0 },
	{ "SAR", 2 }, { "SBD", 2 }, { "SCR", 2 }, { "SDG", 2 }, { "SEK", 2 },
	{ "SGD", 2 }, { "SHP", 2 }, { "SLE", 2 }, { "SOS", 2 }, { "SRD", 2 },
	{ "SSP", 2 }, { "STN", 2 }, { "SVC", 2 }, { "SYP", 2 }, { "SZL", 2 },
	{ "THB", 2 }, { "TJS", 2 }, { "TMT", 2 }, { "TND", 3 }, { "TOP", 2 },
	{ "TRY", 2 }, { "TTD", 2 }, { "TWD", 2 }, { "TZS", 2 }, { "UAH", 2 },
	{ "UGX", 0 }, { "USD", 2 }, { "USN", 2 }, { "UYI", 0 }, { "UYU", 2 },
	{ "UYW", 4 }, { "UZS", 2 }, { "VED", 2 }, { "VES", 2 }, { "VND", 0 },
	{ "VUV", 0 }, { "WST", 2 }, { "XAF", 0 }, { "XCD", 2 }, { "XCG", 2 },
	{ "XOF", 0 }, { "XPF", 0 }, { "YER", 2 }, { "ZAR", 2 }, { "ZMW", 2 },
	{ "ZWG", 2 },
};

static void
every_listed_currency_has_its_iso_exponent(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof every_currency / sizeof every_currency[0]; i++) {
		const struct cur_case *c = &every_currency[i];
		if (currency_exponent(c->code) != c->exp)
			fail_msg("%s: exponent %d, want %d", c->code,
			    currency_exponent(c->code), c->exp);
		assert_true(currency_valid(c->code));
	}
}

static void
zero_three_and_four_decimal_currencies_are_known(void **state)
{
	static const char *const zero[] = {
		"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
		"RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
	};
	static const char *const three[] = { "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND" };
	static const char *const four[] = { "CLF", "UYW" };
	static const char *const two[] = {
		"EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF",
		"RON", "BGN", "CAD", "AUD", "NZD", "CNY", "HKD", "SGD", "INR", "ZAR",
		"BRL", "MXN", "TRY", "AED", "SAR", "ILS", "THB", "MYR", "IDR", "PHP",
		"TWD",
	};
	(void)state;
	for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
		assert_int_equal(currency_exponent(zero[i]), 0);
	for (size_t i = 0; i < sizeof three / sizeof three[0]; i++)
		assert_int_equal(currency_exponent(three[i]), 3);
	for (size_t i = 0; i < sizeof four / sizeof four[0]; i++)
		assert_int_equal(currency_exponent(four[i]), 4);
	for (size_t i = 0; i < sizeof two / sizeof two[0]; i++)
		assert_int_equal(currency_exponent(two[i]), 2);
}

static void
currency_codes_are_exact_uppercase_and_active(void **state)
{
	static const char *const bad[] = {
		"", "E", "EU", "eur", "Eur", "EUr", "EURO", "EUR ", " EUR", "EUR\n",
		"E1R", "€", "ABC", "AAA", "ZZZ", "XXX", "XTS", "XAU", "XAG", "XDR",
		"XBA", "XSU", "XUA", "HRK", "DEM", "FRF", "ZWL", "VEF", "BYR",
		"MRO", "STD", "LTL",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (currency_exponent(bad[i]) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_false(currency_valid(bad[i]));
	}
	assert_int_equal(currency_exponent(NULL), -1);
	assert_false(currency_valid(NULL));
}

/* ------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------ */

struct parse_case {
	const char *text;
	const char *cur;
	money_status st;
	int64_t value;
};

static void
check_parse_cases(const struct parse_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t v = 0x5a5a5a5a;
		money_status st = money_parse(c[i].text, c[i].cur, &v);
		if (st != c[i].st)
			fail_msg("parse \"%s\" %s: %s, want %s", c[i].text, c[i].cur,
			    money_status_str(st), money_status_str(c[i].st));
		if (st == MONEY_OK && v != c[i].value)
			fail_msg("parse \"%s\" %s: %lld, want %lld", c[i].text, c[i].cur,
			    (long long)v, (long long)c[i].value);
		if (st != MONEY_OK && v != 0x5a5a5a5a)
			fail_msg("parse \"%s\" %s: wrote output on error", c[i].text, c[i].cur);
	}
}

static void
parse_known_amounts(void **state)
{
	static const struct parse_case cases[] = {
		{ "0", "EUR", MONEY_OK, 0 },
		{ "-0", "EUR", MONEY_OK, 0 },
		{ "-0.00", "EUR", MONEY_OK, 0 },
		{ "12", "EUR", MONEY_OK, 1200 },
		{ "12.5", "EUR", MONEY_OK, 1250 },
		{ "12.50", "EUR", MONEY_OK, 1250 },
		{ "0.07", "EUR", MONEY_OK, 7 },
		{ "-0.05", "EUR", MONEY_OK, -5 },
		{ "-1234.5", "EUR", MONEY_OK, -123450 },
		{ "007.10", "EUR", MONEY_OK, 710 },
		{ "1234", "JPY", MONEY_OK, 1234 },
		{ "-1", "JPY", MONEY_OK, -1 },
		{ "1.5", "BHD", MONEY_OK, 1500 },
		{ "1.005", "BHD", MONEY_OK, 1005 },
		{ "-0.001", "BHD", MONEY_OK, -1 },
		{ "1", "KWD", MONEY_OK, 1000 },
		{ "1.0001", "CLF", MONEY_OK, 10001 },
		{ "2", "UYW", MONEY_OK, 20000 },
		{ "1000000", "KRW", MONEY_OK, 1000000 },
	};
	(void)state;
	check_parse_cases(cases, sizeof cases / sizeof cases[0]);
}

static void
parse_rejects_anything_but_plain_decimals(void **state)
{
	static const struct parse_case cases[] = {
		{ "", "EUR", MONEY_ESYNTAX, 0 },
		{ "-", "EUR", MONEY_ESYNTAX, 0 },
		{ "+1", "EUR", MONEY_ESYNTAX, 0 },
		{ "1.", "EUR", MONEY_ESYNTAX, 0 },
		{ ".5", "EUR", MONEY_ESYNTAX, 0 },
		{ "-.5", "EUR", MONEY_ESYNTAX, 0 },
		{ "1e3", "EUR", MONEY_ESYNTAX, 0 },
		{ "1E3", "EUR", MONEY_ESYNTAX, 0 },
		{ " 1", "EUR", MONEY_ESYNTAX, 0 },
		{ "1 ", "EUR", MONEY_ESYNTAX, 0 },
		{ "1\n", "EUR", MONEY_ESYNTAX, 0 },
		{ "1,00", "EUR", MONEY_ESYNTAX, 0 },
		{ "1,000.00", "EUR", MONEY_ESYNTAX, 0 },
		{ "1_000", "EUR", MONEY_ESYNTAX, 0 },
		{ "1.2.3", "EUR", MONEY_ESYNTAX, 0 },
		{ "--1", "EUR", MONEY_ESYNTAX, 0 },
		{ "0x10", "EUR", MONEY_ESYNTAX, 0 },
		{ "1-", "EUR", MONEY_ESYNTAX, 0 },
		{ "EUR 1", "EUR", MONEY_ESYNTAX, 0 },
		{ "1€", "EUR", MONEY_ESYNTAX, 0 },
		{ "nan", "EUR", MONEY_ESYNTAX, 0 },
		{ "inf", "EUR", MONEY_ESYNTAX, 0 },
		{ "١", "EUR", MONEY_ESYNTAX, 0 }, /* Arabic-Indic one */
		{ "1", "eur", MONEY_ECURRENCY, 0 },
		{ "1", "XXX", MONEY_ECURRENCY, 0 },
		{ "1", "", MONEY_ECURRENCY, 0 },
		/* A bad currency is reported before bad text. */
		{ "x", "ABC", MONEY_ECURRENCY, 0 },
	};
	(void)state;
	check_parse_cases(cases, sizeof cases / sizeof cases[0]);

	int64_t v = 7;
	assert_int_equal(money_parse(NULL, "EUR", &v), MONEY_ESYNTAX);
	assert_int_equal(money_parse("1", NULL, &v), MONEY_ECURRENCY);
	assert_int_equal(v, 7);
}

static void
parse_rejects_more_decimals_than_the_currency_has(void **state)
{
	static const struct parse_case cases[] = {
		/* Strict even when the extra digits are zeros. */
		{ "1.500", "EUR", MONEY_EPRECISION, 0 },
		{ "1.001", "EUR", MONEY_EPRECISION, 0 },
		{ "0.000", "EUR", MONEY_EPRECISION, 0 },
		{ "1.0", "JPY", MONEY_EPRECISION, 0 },
		{ "1.5", "JPY", MONEY_EPRECISION, 0 },
		{ "1.0000", "BHD", MONEY_EPRECISION, 0 },
		{ "1.00000", "CLF", MONEY_EPRECISION, 0 },
		/* Precision is judged before size. */
		{ "99999999999999999999999.999", "EUR", MONEY_EPRECISION, 0 },
		{ "1.99", "EUR", MONEY_OK, 199 },
		{ "1.999", "BHD", MONEY_OK, 1999 },
		{ "1.9999", "CLF", MONEY_OK, 19999 },
	};
	(void)state;
	check_parse_cases(cases, sizeof cases / sizeof cases[0]);
}

static void
parse_overflow_at_int64_boundaries(void **state)
{
	static const struct parse_case cases[] = {
		{ "92233720368547758.07", "EUR", MONEY_OK, INT64_MAX },
		{ "92233720368547758.08", "EUR", MONEY_EOVERFLOW, 0 },
		{ "-92233720368547758.08", "EUR", MONEY_OK, INT64_MIN },
		{ "-92233720368547758.09", "EUR", MONEY_EOVERFLOW, 0 },
		{ "92233720368547758.1", "EUR", MONEY_EOVERFLOW, 0 },
		{ "92233720368547759", "EUR", MONEY_EOVERFLOW, 0 },
		{ "9223372036854775807", "JPY", MONEY_OK, INT64_MAX },
		{ "9223372036854775808", "JPY", MONEY_EOVERFLOW, 0 },
		{ "-9223372036854775808", "JPY", MONEY_OK, INT64_MIN },
		{ "-9223372036854775809", "JPY", MONEY_EOVERFLOW, 0 },
		{ "18446744073709551616", "JPY", MONEY_EOVERFLOW, 0 },
		{ "99999999999999999999999999999999999999999", "JPY", MONEY_EOVERFLOW, 0 },
		{ "9223372036854775.807", "BHD", MONEY_OK, INT64_MAX },
		{ "9223372036854775.808", "BHD", MONEY_EOVERFLOW, 0 },
		{ "-9223372036854775.808", "BHD", MONEY_OK, INT64_MIN },
		{ "922337203685477.5807", "CLF", MONEY_OK, INT64_MAX },
		{ "-922337203685477.5808", "CLF", MONEY_OK, INT64_MIN },
		{ "-922337203685477.5809", "CLF", MONEY_EOVERFLOW, 0 },
		/* Padding the missing decimals can overflow too. */
		{ "92233720368547758", "EUR", MONEY_OK, INT64_MAX - 7 },
		{ "922337203685477580", "EUR", MONEY_EOVERFLOW, 0 },
		/* Leading zeros are not overflow. */
		{ "0000000000000000000000000000000000000001.25", "EUR", MONEY_OK, 125 },
		{ "-00000000000000000000000009223372036854775808", "JPY", MONEY_OK, INT64_MIN },
	};
	(void)state;
	check_parse_cases(cases, sizeof cases / sizeof cases[0]);
}

/* ------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------ */

struct format_case {
	int64_t value;
	const char *cur;
	const char *text;
};

static void
format_known_amounts(void **state)
{
	static const struct format_case cases[] = {
		{ 0, "EUR", "0.00" },
		{ 5, "EUR", "0.05" },
		{ -5, "EUR", "-0.05" },
		{ 50, "EUR", "0.50" },
		{ -100, "EUR", "-1.00" },
		{ 123456, "EUR", "1234.56" },
		{ -123450, "EUR", "-1234.50" },
		{ INT64_MAX, "EUR", "92233720368547758.07" },
		{ INT64_MIN, "EUR", "-92233720368547758.08" },
		{ 0, "JPY", "0" },
		{ 1234, "JPY", "1234" },
		{ -1, "JPY", "-1" },
		{ INT64_MAX, "JPY", "9223372036854775807" },
		{ INT64_MIN, "JPY", "-9223372036854775808" },
		{ 1000, "BHD", "1.000" },
		{ -1, "BHD", "-0.001" },
		{ 1005, "BHD", "1.005" },
		{ INT64_MIN, "BHD", "-9223372036854775.808" },
		{ 1, "CLF", "0.0001" },
		{ INT64_MIN, "CLF", "-922337203685477.5808" },
		{ INT64_MAX, "CLF", "922337203685477.5807" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[24];
		assert_int_equal(money_format(cases[i].value, cases[i].cur, out, sizeof out),
		    MONEY_OK);
		assert_string_equal(out, cases[i].text);
	}
}

static void
format_reports_short_buffers_and_unknown_currency(void **state)
{
	char out[32];
	(void)state;

	/* "-0.05" needs six bytes with the NUL. */
	assert_int_equal(money_format(-5, "EUR", out, 6), MONEY_OK);
	assert_string_equal(out, "-0.05");
	memset(out, 'x', sizeof out);
	assert_int_equal(money_format(-5, "EUR", out, 5), MONEY_ERANGE);
	assert_string_equal(out, "");
	memset(out, 'x', sizeof out);
	assert_int_equal(money_format(-5, "EUR", out, 0), MONEY_ERANGE);
	assert_int_equal(out[0], 'x');
	assert_int_equal(money_format(-5, "EUR", NULL, 0), MONEY_ERANGE);

	/* The longest output of all fits the documented 24 bytes. */
	assert_int_equal(money_format(INT64_MIN, "CLF", out, 24), MONEY_OK);
	assert_int_equal(money_format(INT64_MIN, "JPY", out, 21), MONEY_OK);
	assert_int_equal(money_format(INT64_MIN, "JPY", out, 20), MONEY_ERANGE);

	memset(out, 'x', sizeof out);
	assert_int_equal(money_format(100, "XXX", out, sizeof out), MONEY_ECURRENCY);
	assert_string_equal(out, "");
	assert_int_equal(money_format(100, NULL, out, sizeof out), MONEY_ECURRENCY);
}

static void
format_then_parse_round_trips_in_every_exponent(void **state)
{
	static const char *const curs[] = { "EUR", "JPY", "BHD", "CLF", "KWD", "ISK" };
	int64_t fixed[] = {
		0, 1, -1, 9, -9, 10, -10, 99, 100, -100, 999, 1000, -1001,
		INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1,
	};
	(void)state;
	rng_state = 1;
	for (size_t c = 0; c < sizeof curs / sizeof curs[0]; c++) {
		for (int i = 0; i < 20000; i++) {
			int64_t v = i < (int)(sizeof fixed / sizeof fixed[0]) ? fixed[i] : rng_int64();
			char text[24];
			int64_t back;
			assert_int_equal(money_format(v, curs[c], text, sizeof text), MONEY_OK);
			assert_int_equal(money_parse(text, curs[c], &back), MONEY_OK);
			if (back != v)
				fail_msg("%s %lld -> \"%s\" -> %lld", curs[c], (long long)v, text,
				    (long long)back);
		}
	}
}

/* ------------------------------------------------------------------------
 * Addition, subtraction, integer multiplication
 * ------------------------------------------------------------------------ */

static void
add_sub_mul_are_exact_inside_int64(void **state)
{
	int64_t r;
	(void)state;

	assert_int_equal(money_add(150, -275, &r), MONEY_OK);
	assert_int_equal(r, -125);
	assert_int_equal(money_add(INT64_MAX, INT64_MIN, &r), MONEY_OK);
	assert_int_equal(r, -1);
	assert_int_equal(money_add(INT64_MAX - 1, 1, &r), MONEY_OK);
	assert_int_equal(r, INT64_MAX);
	assert_int_equal(money_add(INT64_MIN + 1, -1, &r), MONEY_OK);
	assert_int_equal(r, INT64_MIN);
	assert_int_equal(money_sub(INT64_MIN, INT64_MIN, &r), MONEY_OK);
	assert_int_equal(r, 0);
	assert_int_equal(money_sub(-1, INT64_MAX, &r), MONEY_OK);
	assert_int_equal(r, INT64_MIN);
	assert_int_equal(money_mul_int(1999, -3, &r), MONEY_OK);
	assert_int_equal(r, -5997);
	assert_int_equal(money_mul_int(INT64_MIN, 1, &r), MONEY_OK);
	assert_int_equal(r, INT64_MIN);
	assert_int_equal(money_mul_int(INT64_MIN / 2, 2, &r), MONEY_OK);
	assert_int_equal(r, INT64_MIN);
	assert_int_equal(money_mul_int(0, INT64_MIN, &r), MONEY_OK);
	assert_int_equal(r, 0);
}

static void
add_sub_mul_report_overflow_and_keep_output(void **state)
{
	int64_t r = 42;
	(void)state;

	assert_int_equal(money_add(INT64_MAX, 1, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_add(INT64_MIN, -1, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_add(INT64_MIN, INT64_MIN, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_sub(INT64_MIN, 1, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_sub(0, INT64_MIN, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_sub(INT64_MAX, -1, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_mul_int(INT64_MIN, -1, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_mul_int(-1, INT64_MIN, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_mul_int(INT64_MAX, 2, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_mul_int(INT64_MAX / 2 + 1, 2, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_mul_int(INT64_MIN / 2 - 1, 2, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_mul_int(4294967296, 4294967296, &r), MONEY_EOVERFLOW);
	assert_int_equal(r, 42);
}

static void
add_sub_mul_agree_with_128_bit_arithmetic(void **state)
{
	(void)state;
	rng_state = 2;
	for (int i = 0; i < 200000; i++) {
		int64_t a = rng_int64(), b = rng_int64(), r = 0;
		i128 sum = (i128)a + b, diff = (i128)a - b, prod = (i128)a * b;

		money_status st = money_add(a, b, &r);
		assert_int_equal(st, sum > INT64_MAX || sum < INT64_MIN ? MONEY_EOVERFLOW : MONEY_OK);
		if (st == MONEY_OK)
			assert_true(r == sum);
		st = money_sub(a, b, &r);
		assert_int_equal(st, diff > INT64_MAX || diff < INT64_MIN ? MONEY_EOVERFLOW : MONEY_OK);
		if (st == MONEY_OK)
			assert_true(r == diff);
		st = money_mul_int(a, b, &r);
		assert_int_equal(st, prod > INT64_MAX || prod < INT64_MIN ? MONEY_EOVERFLOW : MONEY_OK);
		if (st == MONEY_OK)
			assert_true(r == prod);
	}
}

/* ------------------------------------------------------------------------
 * Rounding
 * ------------------------------------------------------------------------ */

/* tenths: x / 10 rounded in each mode, in the order of all_modes:
 * half-up, half-even, down, up, floor, ceiling. */
static const struct {
	int64_t tenths;
	int64_t want[6];
} rounding_table[] = {
	{ 35, { 4, 4, 3, 4, 3, 4 } },
	{ 25, { 3, 2, 2, 3, 2, 3 } },
	{ 15, { 2, 2, 1, 2, 1, 2 } },
	{ 10, { 1, 1, 1, 1, 1, 1 } },
	{ 6, { 1, 1, 0, 1, 0, 1 } },
	{ 5, { 1, 0, 0, 1, 0, 1 } },
	{ 4, { 0, 0, 0, 1, 0, 1 } },
	{ 1, { 0, 0, 0, 1, 0, 1 } },
	{ 0, { 0, 0, 0, 0, 0, 0 } },
	{ -1, { 0, 0, 0, -1, -1, 0 } },
	{ -4, { 0, 0, 0, -1, -1, 0 } },
	{ -5, { -1, 0, 0, -1, -1, 0 } },
	{ -6, { -1, -1, 0, -1, -1, 0 } },
	{ -10, { -1, -1, -1, -1, -1, -1 } },
	{ -15, { -2, -2, -1, -2, -2, -1 } },
	{ -25, { -3, -2, -2, -3, -3, -2 } },
	{ -35, { -4, -4, -3, -4, -4, -3 } },
};

static void
each_rounding_mode_on_positive_and_negative_halves(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rounding_table / sizeof rounding_table[0]; i++) {
		int64_t t = rounding_table[i].tenths;
		for (size_t m = 0; m < NMODES; m++) {
			int64_t want = rounding_table[i].want[m];
			int64_t r;
			const char *name = round_mode_name(all_modes[m]);

			/* The same value reached four ways: a tenth rate, a
			 * fraction, and fractions with negative signs moved about. */
			assert_int_equal(money_mul_rate(t, (rate){ 1, 1 }, all_modes[m], &r), MONEY_OK);
			if (r != want)
				fail_msg("%lld/10 %s via rate: %lld, want %lld", (long long)t, name,
				    (long long)r, (long long)want);
			assert_int_equal(money_mul_rate(1, (rate){ t, 1 }, all_modes[m], &r), MONEY_OK);
			assert_true(r == want);
			assert_int_equal(money_mul_frac(t, 1, 10, all_modes[m], &r), MONEY_OK);
			assert_true(r == want);
			assert_int_equal(money_mul_frac(-t, 1, -10, all_modes[m], &r), MONEY_OK);
			if (r != want)
				fail_msg("%lld/10 %s via -t/-10: %lld, want %lld", (long long)t, name,
				    (long long)r, (long long)want);
			assert_int_equal(money_mul_frac(t, -1, -10, all_modes[m], &r), MONEY_OK);
			assert_true(r == want);
			assert_int_equal(money_mul_frac(t * 3, 7, 210, all_modes[m], &r), MONEY_OK);
			assert_true(r == want);
		}
	}
}

static void
mul_rate_vat_and_hours_known_answers(void **state)
{
	rate vat = { 19, 2 }, hours = { 25, 1 }, half = { 500000000, 9 };
	int64_t r;
	(void)state;

	assert_int_equal(money_mul_rate(1234, vat, ROUND_HALF_UP, &r), MONEY_OK);
	assert_int_equal(r, 234); /* 234.46 */
	assert_int_equal(money_mul_rate(1250, vat, ROUND_HALF_UP, &r), MONEY_OK);
	assert_int_equal(r, 238); /* 237.5 */
	assert_int_equal(money_mul_rate(1250, vat, ROUND_HALF_EVEN, &r), MONEY_OK);
	assert_int_equal(r, 238);
	assert_int_equal(money_mul_rate(1350, vat, ROUND_HALF_UP, &r), MONEY_OK);
	assert_int_equal(r, 257); /* 256.5 */
	assert_int_equal(money_mul_rate(1350, vat, ROUND_HALF_EVEN, &r), MONEY_OK);
	assert_int_equal(r, 256);
	assert_int_equal(money_mul_rate(-1350, vat, ROUND_HALF_UP, &r), MONEY_OK);
	assert_int_equal(r, -257);
	assert_int_equal(money_mul_rate(-1350, vat, ROUND_HALF_EVEN, &r), MONEY_OK);
	assert_int_equal(r, -256);
	assert_int_equal(money_mul_rate(8000, hours, ROUND_HALF_UP, &r), MONEY_OK);
	assert_int_equal(r, 20000);
	assert_int_equal(money_mul_rate(3, half, ROUND_HALF_EVEN, &r), MONEY_OK);
	assert_int_equal(r, 2);
	assert_int_equal(money_mul_rate(1, half, ROUND_HALF_EVEN, &r), MONEY_OK);
	assert_int_equal(r, 0);
	assert_int_equal(money_mul_rate(1, (rate){ 1, 9 }, ROUND_CEILING, &r), MONEY_OK);
	assert_int_equal(r, 1);
	assert_int_equal(money_mul_rate(-1, (rate){ 1, 9 }, ROUND_FLOOR, &r), MONEY_OK);
	assert_int_equal(r, -1);
	assert_int_equal(money_mul_rate(-1, (rate){ 1, 9 }, ROUND_HALF_UP, &r), MONEY_OK);
	assert_int_equal(r, 0);
	assert_int_equal(money_mul_rate(777, (rate){ 0, 5 }, ROUND_UP, &r), MONEY_OK);
	assert_int_equal(r, 0);
	assert_int_equal(money_mul_rate(12345, (rate){ -2, 0 }, ROUND_DOWN, &r), MONEY_OK);
	assert_int_equal(r, -24690);
}

static void
mul_rate_overflow_at_int64_boundaries(void **state)
{
	int64_t r = 42;
	(void)state;

	assert_int_equal(money_mul_rate(INT64_MAX, (rate){ 2, 0 }, ROUND_DOWN, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_mul_rate(INT64_MIN, (rate){ -1, 0 }, ROUND_DOWN, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_mul_rate(INT64_MIN, (rate){ -10, 1 }, ROUND_DOWN, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_mul_rate(INT64_MIN, (rate){ INT64_MIN, 9 }, ROUND_DOWN, &r),
	    MONEY_EOVERFLOW);
	assert_int_equal(money_mul_rate(INT64_MAX, (rate){ 1000000001, 9 }, ROUND_DOWN, &r),
	    MONEY_EOVERFLOW);
	assert_int_equal(r, 42);

	assert_int_equal(money_mul_rate(INT64_MAX, (rate){ 1000000000, 9 }, ROUND_UP, &r), MONEY_OK);
	assert_int_equal(r, INT64_MAX);
	assert_int_equal(money_mul_rate(INT64_MIN, (rate){ 10, 1 }, ROUND_UP, &r), MONEY_OK);
	assert_int_equal(r, INT64_MIN);
	assert_int_equal(money_mul_rate(INT64_MIN, (rate){ INT64_MIN, 9 }, ROUND_UP, &r),
	    MONEY_EOVERFLOW);
	/* The 127-bit product itself is fine even when both factors are at
	 * the limit and the result is small again. */
	assert_int_equal(money_mul_frac(INT64_MIN, INT64_MIN, INT64_MIN, ROUND_DOWN, &r), MONEY_OK);
	assert_int_equal(r, INT64_MIN);
	assert_int_equal(money_mul_frac(INT64_MAX, INT64_MAX, INT64_MAX, ROUND_DOWN, &r), MONEY_OK);
	assert_int_equal(r, INT64_MAX);
	assert_int_equal(money_mul_frac(INT64_MIN, INT64_MAX, INT64_MIN, ROUND_DOWN, &r), MONEY_OK);
	assert_int_equal(r, INT64_MAX);
}

static void
rounding_across_the_int64_edge_decides_overflow(void **state)
{
	/* (2^64 - 1) / 2 = INT64_MAX + 0.5 */
	const int64_t third = 6148914691236517205; /* (2^64 - 1) / 3 */
	/* 2^64 + 1 = 274177 x 67280421310721, so -(2^64 + 1) / 2 = INT64_MIN - 0.5 */
	const int64_t f6 = 67280421310721;
	static const struct {
		round_mode mode;
		money_status above_max; /* INT64_MAX + 0.5 */
		money_status below_neg_max; /* -INT64_MAX - 0.5 */
		money_status below_min; /* INT64_MIN - 0.5 */
	} cases[] = {
		{ ROUND_HALF_UP, MONEY_EOVERFLOW, MONEY_OK, MONEY_EOVERFLOW },
		{ ROUND_HALF_EVEN, MONEY_EOVERFLOW, MONEY_OK, MONEY_OK },
		{ ROUND_DOWN, MONEY_OK, MONEY_OK, MONEY_OK },
		{ ROUND_UP, MONEY_EOVERFLOW, MONEY_OK, MONEY_EOVERFLOW },
		{ ROUND_FLOOR, MONEY_OK, MONEY_OK, MONEY_EOVERFLOW },
		{ ROUND_CEILING, MONEY_EOVERFLOW, MONEY_OK, MONEY_OK },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t r = 0;
		money_status st;

		st = money_mul_frac(third, 3, 2, cases[i].mode, &r);
		assert_int_equal(st, cases[i].above_max);
		if (st == MONEY_OK)
			assert_int_equal(r, INT64_MAX);

		st = money_mul_frac(-third, 3, 2, cases[i].mode, &r);
		assert_int_equal(st, cases[i].below_neg_max);
		if (cases[i].mode == ROUND_DOWN || cases[i].mode == ROUND_CEILING)
			assert_true(r == -INT64_MAX);
		else
			assert_true(r == INT64_MIN);

		st = money_mul_frac(-f6, 274177, 2, cases[i].mode, &r);
		assert_int_equal(st, cases[i].below_min);
		if (st == MONEY_OK)
			assert_true(r == INT64_MIN);
	}
}

static void
mul_frac_handles_negative_and_extreme_denominators(void **state)
{
	int64_t r = 42;
	(void)state;

	assert_int_equal(money_mul_frac(10000, 31, 30, ROUND_HALF_UP, &r), MONEY_OK);
	assert_int_equal(r, 10333);
	assert_int_equal(money_mul_frac(10000, 31, -30, ROUND_HALF_UP, &r), MONEY_OK);
	assert_int_equal(r, -10333);
	assert_int_equal(money_mul_frac(-10000, -31, -30, ROUND_FLOOR, &r), MONEY_OK);
	assert_int_equal(r, -10334);
	assert_int_equal(money_mul_frac(1, 1, INT64_MIN, ROUND_HALF_UP, &r), MONEY_OK);
	assert_int_equal(r, 0);
	assert_int_equal(money_mul_frac(1, 1, INT64_MIN, ROUND_UP, &r), MONEY_OK);
	assert_int_equal(r, -1);
	assert_int_equal(money_mul_frac(1, 1, INT64_MIN, ROUND_CEILING, &r), MONEY_OK);
	assert_int_equal(r, 0);
	assert_int_equal(money_mul_frac(1, -1, INT64_MIN, ROUND_CEILING, &r), MONEY_OK);
	assert_int_equal(r, 1);
	assert_int_equal(money_mul_frac(INT64_MIN, 1, -1, ROUND_DOWN, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_mul_frac(INT64_MIN, -1, 1, ROUND_DOWN, &r), MONEY_EOVERFLOW);
	assert_int_equal(money_mul_frac(INT64_MIN, 1, 1, ROUND_DOWN, &r), MONEY_OK);
	assert_int_equal(r, INT64_MIN);
	assert_int_equal(money_mul_frac(INT64_MIN, 1, 2, ROUND_DOWN, &r), MONEY_OK);
	assert_int_equal(r, INT64_MIN / 2);
	/* Day fractions of a monthly fee: 17 of 31 days of 99.99. */
	assert_int_equal(money_mul_frac(9999, 17, 31, ROUND_HALF_UP, &r), MONEY_OK);
	assert_int_equal(r, 5483); /* 5483.32 */
}

static void
invalid_arguments_are_rejected_before_arithmetic(void **state)
{
	int64_t r = 42;
	(void)state;

	assert_int_equal(money_mul_frac(100, 1, 0, ROUND_HALF_UP, &r), MONEY_EDIVZERO);
	assert_int_equal(money_mul_frac(0, 0, 0, ROUND_HALF_UP, &r), MONEY_EDIVZERO);
	assert_int_equal(money_mul_frac(100, 1, 3, (round_mode)6, &r), MONEY_ERANGE);
	assert_int_equal(money_mul_frac(100, 1, 3, (round_mode)-1, &r), MONEY_ERANGE);
	assert_int_equal(money_mul_rate(100, (rate){ 1, 10 }, ROUND_HALF_UP, &r), MONEY_ERANGE);
	assert_int_equal(money_mul_rate(100, (rate){ 1, -1 }, ROUND_HALF_UP, &r), MONEY_ERANGE);
	assert_int_equal(money_mul_rate(100, (rate){ 1, 2 }, (round_mode)99, &r), MONEY_ERANGE);
	assert_int_equal(r, 42);
}

static void
mul_frac_matches_reference_rounding_on_small_grid(void **state)
{
	(void)state;
	for (int64_t a = -300; a <= 300; a++) {
		for (int64_t num = -7; num <= 7; num++) {
			for (int64_t den = -12; den <= 12; den++) {
				if (den == 0)
					continue;
				for (size_t m = 0; m < NMODES; m++) {
					i128 n = (i128)a * num, d = den;
					if (d < 0) {
						n = -n;
						d = -d;
					}
					int64_t want = (int64_t)ref_round(n, d, all_modes[m]), r;
					assert_int_equal(money_mul_frac(a, num, den, all_modes[m], &r),
					    MONEY_OK);
					if (r != want)
						fail_msg("%lld*%lld/%lld %s: %lld, want %lld",
						    (long long)a, (long long)num, (long long)den,
						    round_mode_name(all_modes[m]), (long long)r,
						    (long long)want);
				}
			}
		}
	}
}

static void
mul_frac_and_mul_rate_match_reference_on_random_int64(void **state)
{
	(void)state;
	rng_state = 3;
	for (int i = 0; i < 100000; i++) {
		int64_t a = rng_int64(), num = rng_int64(), den = rng_int64();
		round_mode mode = all_modes[rng_next() % NMODES];
		int64_t r = 0;

		if (den == 0)
			den = 1;
		i128 n = (i128)a * num, d = den;
		if (d < 0) {
			n = -n;
			d = -d;
		}
		i128 want = ref_round(n, d, mode);
		money_status st = money_mul_frac(a, num, den, mode, &r);
		if (want > INT64_MAX || want < INT64_MIN) {
			assert_int_equal(st, MONEY_EOVERFLOW);
		} else {
			assert_int_equal(st, MONEY_OK);
			assert_true(r == want);
		}

		rate rt = { num, (int)(rng_next() % 10) };
		want = ref_round((i128)a * rt.value, pow10_64[rt.scale], mode);
		st = money_mul_rate(a, rt, mode, &r);
		if (want > INT64_MAX || want < INT64_MIN) {
			assert_int_equal(st, MONEY_EOVERFLOW);
		} else {
			assert_int_equal(st, MONEY_OK);
			assert_true(r == want);
		}
	}
}

/* ------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------ */

static void
check_alloc(int64_t total, const int64_t *w, size_t n, const int64_t *want)
{
	int64_t out[16];

	assert_true(n <= 16);
	assert_int_equal(money_allocate(total, w, n, out), MONEY_OK);
	for (size_t i = 0; i < n; i++) {
		if (out[i] != want[i])
			fail_msg("allocate %lld: part %zu is %lld, want %lld", (long long)total, i,
			    (long long)out[i], (long long)want[i]);
	}
}

static void
allocate_100_three_ways_is_34_33_33(void **state)
{
	const int64_t w[] = { 1, 1, 1 };
	(void)state;
	check_alloc(100, w, 3, (const int64_t[]){ 34, 33, 33 });
	check_alloc(-100, w, 3, (const int64_t[]){ -34, -33, -33 });
	check_alloc(101, w, 3, (const int64_t[]){ 34, 34, 33 });
	check_alloc(102, w, 3, (const int64_t[]){ 34, 34, 34 });
	check_alloc(1, w, 3, (const int64_t[]){ 1, 0, 0 });
	check_alloc(-2, w, 3, (const int64_t[]){ -1, -1, 0 });
	check_alloc(0, w, 3, (const int64_t[]){ 0, 0, 0 });
}

static void
allocate_gives_leftovers_to_largest_remainders(void **state)
{
	(void)state;
	/* 1.67, 3.33, 5: the first has the largest remainder. */
	check_alloc(10, (const int64_t[]){ 1, 2, 3 }, 3, (const int64_t[]){ 2, 3, 5 });
	/* 3.33, 1.67, 5 */
	check_alloc(10, (const int64_t[]){ 2, 1, 3 }, 3, (const int64_t[]){ 3, 2, 5 });
	/* 16.67 x 6 */
	check_alloc(100, (const int64_t[]){ 1, 1, 1, 1, 1, 1 }, 6,
	    (const int64_t[]){ 17, 17, 17, 17, 16, 16 });
	/* 0.1, 0.7, 0.2 of 1: the largest remainder beats the earlier part. */
	check_alloc(1, (const int64_t[]){ 1, 7, 2 }, 3, (const int64_t[]){ 0, 1, 0 });
	/* 30/70 with a leftover: 0.3 * 5 = 1.5 and 3.5, tie to the earlier. */
	check_alloc(5, (const int64_t[]){ 30, 70 }, 2, (const int64_t[]){ 2, 3 });
	check_alloc(-5, (const int64_t[]){ 30, 70 }, 2, (const int64_t[]){ -2, -3 });
	/* Zero weights get nothing, not even a leftover unit. */
	check_alloc(100, (const int64_t[]){ 0, 1, 0 }, 3, (const int64_t[]){ 0, 100, 0 });
	check_alloc(1, (const int64_t[]){ 0, 1, 1 }, 3, (const int64_t[]){ 0, 1, 0 });
	check_alloc(7, (const int64_t[]){ 5 }, 1, (const int64_t[]){ 7 });
}

static void
allocate_at_int64_boundaries(void **state)
{
	const int64_t huge[] = { INT64_MAX, INT64_MAX };
	(void)state;
	check_alloc(INT64_MAX, huge, 2, (const int64_t[]){ INT64_C(1) << 62, (INT64_C(1) << 62) - 1 });
	check_alloc(INT64_MIN, huge, 2, (const int64_t[]){ -(INT64_C(1) << 62), -(INT64_C(1) << 62) });
	check_alloc(INT64_MIN, (const int64_t[]){ 1 }, 1, (const int64_t[]){ INT64_MIN });
	check_alloc(INT64_MIN, (const int64_t[]){ 0, 3 }, 2, (const int64_t[]){ 0, INT64_MIN });
	check_alloc(INT64_MAX, (const int64_t[]){ INT64_MAX, 0, 1 }, 3,
	    (const int64_t[]){ INT64_MAX - 1, 0, 1 });
	check_alloc(INT64_MIN + 1, (const int64_t[]){ 1, 1, 1 }, 3,
	    (const int64_t[]){ -3074457345618258603, -3074457345618258602,
	    -3074457345618258602 });
	/* Weights whose sum exceeds int64_t. */
	const int64_t many[] = { INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX };
	check_alloc(-7, many, 4, (const int64_t[]){ -2, -2, -2, -1 });
}

static void
allocate_rejects_zero_or_negative_weights(void **state)
{
	int64_t out[3] = { 11, 12, 13 };
	(void)state;

	assert_int_equal(money_allocate(100, (const int64_t[]){ 0, 0, 0 }, 3, out), MONEY_ERANGE);
	assert_int_equal(money_allocate(100, (const int64_t[]){ 1, -1, 1 }, 3, out), MONEY_ERANGE);
	assert_int_equal(money_allocate(100, (const int64_t[]){ 5, 5, INT64_MIN }, 3, out),
	    MONEY_ERANGE);
	assert_int_equal(money_allocate(100, (const int64_t[]){ 1 }, 0, out), MONEY_ERANGE);
	assert_int_equal(money_allocate(0, (const int64_t[]){ 0 }, 1, out), MONEY_ERANGE);
	assert_int_equal(money_allocate(100, NULL, 3, out), MONEY_ERANGE);
	assert_int_equal(out[0], 11);
	assert_int_equal(out[1], 12);
	assert_int_equal(out[2], 13);
}

static void
allocate_may_write_over_its_weights(void **state)
{
	int64_t w[] = { 1, 2, 3, 0, 4 };
	(void)state;
	assert_int_equal(money_allocate(1001, w, 5, w), MONEY_OK);
	/* 100.1, 200.2, 300.3, 0, 400.4 */
	assert_int_equal(w[0], 100);
	assert_int_equal(w[1], 200);
	assert_int_equal(w[2], 300);
	assert_int_equal(w[3], 0);
	assert_int_equal(w[4], 401);
}

/* For many totals and weights: the parts add up to the total exactly, each
 * part is its exact share rounded down or up (toward the total's sign), a
 * zero weight gets zero, and the parts that got a leftover unit have
 * remainders at least as large as those that did not (ties to the earlier
 * part). */
static void
allocate_sums_to_total_for_many_totals_and_weights(void **state)
{
	(void)state;
	rng_state = 4;
	for (int iter = 0; iter < 50000; iter++) {
		size_t n = (size_t)(rng_next() % 12) + 1;
		int64_t w[12], out[12];
		int64_t total = rng_int64();
		int kind = (int)(rng_next() % 4);
		i128 wsum = 0;

		for (size_t i = 0; i < n; i++) {
			uint64_t r = rng_next();
			switch (kind) {
			case 0:
				w[i] = (int64_t)(r % 4); /* many zeros and ties */
				break;
			case 1:
				w[i] = (int64_t)(r % 1000);
				break;
			case 2:
				w[i] = 1; /* equal split */
				break;
			default:
				w[i] = (int64_t)(r >> 5); /* up to 2^59 */
				break;
			}
			wsum += w[i];
		}
		if (wsum == 0) {
			w[n - 1] = 1;
			wsum = 1;
		}

		assert_int_equal(money_allocate(total, w, n, out), MONEY_OK);

		i128 sum = 0;
		i128 mag = total < 0 ? -(i128)total : total;
		int sign = total < 0 ? -1 : 1;
		i128 rem[12];
		bool extra[12];
		for (size_t i = 0; i < n; i++) {
			i128 fl = mag * w[i] / wsum;
			i128 part = sign * (i128)out[i];
			rem[i] = mag * w[i] % wsum;
			sum += out[i];
			assert_true(part == fl || part == fl + 1);
			assert_true(part == fl || rem[i] != 0);
			extra[i] = part == fl + 1;
			if (w[i] == 0)
				assert_int_equal(out[i], 0);
		}
		if (sum != total)
			fail_msg("allocate %lld over %zu parts sums to %lld", (long long)total, n,
			    (long long)sum);
		for (size_t i = 0; i < n; i++) {
			for (size_t j = 0; j < n; j++) {
				if (!extra[i] || extra[j])
					continue;
				assert_true(rem[i] > rem[j] || (rem[i] == rem[j] && i < j));
			}
		}
	}
}

/* ------------------------------------------------------------------------
 * Rates
 * ------------------------------------------------------------------------ */

static void
rate_parse_known_factors(void **state)
{
	static const struct {
		const char *text;
		int64_t value;
		int scale;
	} cases[] = {
		{ "0.19", 19, 2 },
		{ "19.5", 195, 1 },
		{ "1.5", 15, 1 },
		{ "1.50", 150, 2 },
		{ "-2", -2, 0 },
		{ "0", 0, 0 },
		{ "-0.0", 0, 1 },
		{ "0.000000001", 1, 9 },
		{ "-0.000000001", -1, 9 },
		{ "9223372036854775807", INT64_MAX, 0 },
		{ "-9223372036854775808", INT64_MIN, 0 },
		{ "9223372036.854775807", INT64_MAX, 9 },
		{ "-9223372036.854775808", INT64_MIN, 9 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rate r = { 0, -1 };
		assert_int_equal(rate_parse(cases[i].text, &r), MONEY_OK);
		if (r.value != cases[i].value || r.scale != cases[i].scale)
			fail_msg("rate \"%s\": { %lld, %d }", cases[i].text, (long long)r.value,
			    r.scale);
	}
}

static void
rate_parse_rejects_bad_text_precision_and_overflow(void **state)
{
	static const struct {
		const char *text;
		money_status st;
	} cases[] = {
		{ "", MONEY_ESYNTAX },
		{ "+1", MONEY_ESYNTAX },
		{ "1.", MONEY_ESYNTAX },
		{ ".5", MONEY_ESYNTAX },
		{ "1e3", MONEY_ESYNTAX },
		{ "1,5", MONEY_ESYNTAX },
		{ " 1", MONEY_ESYNTAX },
		{ "19%", MONEY_ESYNTAX },
		{ "0.0000000001", MONEY_EPRECISION },
		{ "1.0000000000", MONEY_EPRECISION },
		{ "9223372036854775808", MONEY_EOVERFLOW },
		{ "-9223372036854775809", MONEY_EOVERFLOW },
		{ "9223372036.854775808", MONEY_EOVERFLOW },
		{ "10000000000.000000000", MONEY_EOVERFLOW },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rate r = { 7, 7 };
		money_status st = rate_parse(cases[i].text, &r);
		if (st != cases[i].st)
			fail_msg("rate \"%s\": %s", cases[i].text, money_status_str(st));
		assert_int_equal(r.value, 7);
		assert_int_equal(r.scale, 7);
	}
	rate r;
	assert_int_equal(rate_parse(NULL, &r), MONEY_ESYNTAX);
}

static void
rate_format_drops_trailing_zeros(void **state)
{
	static const struct {
		rate r;
		const char *text;
	} cases[] = {
		{ { 19, 2 }, "0.19" },
		{ { 195, 1 }, "19.5" },
		{ { 150, 2 }, "1.5" },
		{ { 2, 0 }, "2" },
		{ { 200, 2 }, "2" },
		{ { 10, 0 }, "10" },
		{ { 100, 1 }, "10" },
		{ { 0, 9 }, "0" },
		{ { -5, 1 }, "-0.5" },
		{ { -1, 9 }, "-0.000000001" },
		{ { 1000000000, 9 }, "1" },
		{ { INT64_MAX, 0 }, "9223372036854775807" },
		{ { INT64_MIN, 0 }, "-9223372036854775808" },
		{ { INT64_MIN, 9 }, "-9223372036.854775808" },
		{ { INT64_MIN, 3 }, "-9223372036854775.808" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[24];
		assert_int_equal(rate_format(cases[i].r, out, sizeof out), MONEY_OK);
		assert_string_equal(out, cases[i].text);
	}
}

static void
rate_format_rejects_bad_scale_and_short_buffer(void **state)
{
	char out[24];
	(void)state;

	assert_int_equal(rate_format((rate){ 1, 10 }, out, sizeof out), MONEY_ERANGE);
	assert_int_equal(rate_format((rate){ 1, -1 }, out, sizeof out), MONEY_ERANGE);
	assert_string_equal(out, "");
	assert_int_equal(rate_format((rate){ 19, 2 }, out, 5), MONEY_OK);
	assert_string_equal(out, "0.19");
	assert_int_equal(rate_format((rate){ 19, 2 }, out, 4), MONEY_ERANGE);
	assert_string_equal(out, "");
	assert_int_equal(rate_format((rate){ 19, 2 }, out, 0), MONEY_ERANGE);
}

static void
rate_parse_then_format_round_trips(void **state)
{
	static const char *const texts[] = {
		"0.19", "19.5", "-2", "0", "1", "0.000000001", "123456789.123456789",
		"-0.07", "1000", "9223372036854775807", "-9223372036.854775808",
	};
	(void)state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		rate r;
		char out[24];
		assert_int_equal(rate_parse(texts[i], &r), MONEY_OK);
		assert_int_equal(rate_format(r, out, sizeof out), MONEY_OK);
		assert_string_equal(out, texts[i]);
	}
	rng_state = 5;
	for (int i = 0; i < 20000; i++) {
		rate r = { rng_int64(), (int)(rng_next() % 10) }, back;
		char out[24], again[24];
		assert_int_equal(rate_format(r, out, sizeof out), MONEY_OK);
		assert_int_equal(rate_parse(out, &back), MONEY_OK);
		assert_int_equal(rate_format(back, again, sizeof again), MONEY_OK);
		assert_string_equal(out, again);
		/* The same value, compared at the common scale 9. */
		assert_true((i128)r.value * pow10_64[RATE_MAX_SCALE - r.scale] ==
		    (i128)back.value * pow10_64[RATE_MAX_SCALE - back.scale]);
	}
}

static void
check_rate_mul(rate a, rate b, money_status st, rate want)
{
	rate r = { 77, 7 };
	money_status got = rate_mul(a, b, &r);

	if (got != st)
		fail_msg("{%lld,%d} x {%lld,%d}: %s, want %s", (long long)a.value, a.scale,
		    (long long)b.value, b.scale, money_status_str(got), money_status_str(st));
	if (st != MONEY_OK) {
		want = (rate){ 77, 7 };
	}
	if (r.value != want.value || r.scale != want.scale)
		fail_msg("{%lld,%d} x {%lld,%d}: {%lld,%d}, want {%lld,%d}", (long long)a.value,
		    a.scale, (long long)b.value, b.scale, (long long)r.value, r.scale,
		    (long long)want.value, want.scale);
}

static void
rate_mul_adds_scales_and_reports_limits(void **state)
{
	(void)state;
	check_rate_mul((rate){ 15, 1 }, (rate){ 2, 0 }, MONEY_OK, (rate){ 30, 1 });
	check_rate_mul((rate){ 5, 1 }, (rate){ 2, 1 }, MONEY_OK, (rate){ 10, 2 });
	check_rate_mul((rate){ -3, 1 }, (rate){ 4, 2 }, MONEY_OK, (rate){ -12, 3 });
	check_rate_mul((rate){ -3, 1 }, (rate){ -4, 2 }, MONEY_OK, (rate){ 12, 3 });
	check_rate_mul((rate){ 119, 2 }, (rate){ 15, 1 }, MONEY_OK, (rate){ 1785, 3 });
	check_rate_mul((rate){ 0, 9 }, (rate){ 0, 9 }, MONEY_OK, (rate){ 0, 9 });
	/* Scale 10 with a trailing zero to drop. */
	check_rate_mul((rate){ 100000, 5 }, (rate){ 100000, 5 }, MONEY_OK,
	    (rate){ 1000000000, 9 });
	check_rate_mul((rate){ 5, 5 }, (rate){ 2, 5 }, MONEY_OK, (rate){ 1, 9 });
	check_rate_mul((rate){ 1, 9 }, (rate){ 1, 0 }, MONEY_OK, (rate){ 1, 9 });
	check_rate_mul((rate){ 1, 5 }, (rate){ 1, 5 }, MONEY_EPRECISION, (rate){ 0, 0 });
	check_rate_mul((rate){ 1, 9 }, (rate){ 3, 1 }, MONEY_EPRECISION, (rate){ 0, 0 });
	/* Too large unless trailing zeros go. */
	check_rate_mul((rate){ INT64_MAX, 0 }, (rate){ 10, 1 }, MONEY_OK, (rate){ INT64_MAX, 0 });
	check_rate_mul((rate){ INT64_MIN, 0 }, (rate){ 1, 0 }, MONEY_OK, (rate){ INT64_MIN, 0 });
	check_rate_mul((rate){ INT64_MAX, 0 }, (rate){ 2, 0 }, MONEY_EOVERFLOW, (rate){ 0, 0 });
	check_rate_mul((rate){ INT64_MIN, 0 }, (rate){ -1, 0 }, MONEY_EOVERFLOW, (rate){ 0, 0 });
	check_rate_mul((rate){ INT64_MIN, 0 }, (rate){ INT64_MIN, 0 }, MONEY_EOVERFLOW,
	    (rate){ 0, 0 });
	/* Both too fine and too large: precision is reported. */
	check_rate_mul((rate){ INT64_MAX, 9 }, (rate){ INT64_MAX, 9 }, MONEY_EPRECISION,
	    (rate){ 0, 0 });
	check_rate_mul((rate){ 1, 10 }, (rate){ 1, 0 }, MONEY_ERANGE, (rate){ 0, 0 });
	check_rate_mul((rate){ 1, 0 }, (rate){ 1, -1 }, MONEY_ERANGE, (rate){ 0, 0 });
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(status_strings_are_distinct_and_never_null),
		cmocka_unit_test(round_mode_names_round_trip),
		cmocka_unit_test(round_mode_parse_rejects_other_spellings),
		cmocka_unit_test(every_listed_currency_has_its_iso_exponent),
		cmocka_unit_test(zero_three_and_four_decimal_currencies_are_known),
		cmocka_unit_test(currency_codes_are_exact_uppercase_and_active),
		cmocka_unit_test(parse_known_amounts),
		cmocka_unit_test(parse_rejects_anything_but_plain_decimals),
		cmocka_unit_test(parse_rejects_more_decimals_than_the_currency_has),
		cmocka_unit_test(parse_overflow_at_int64_boundaries),
		cmocka_unit_test(format_known_amounts),
		cmocka_unit_test(format_reports_short_buffers_and_unknown_currency),
		cmocka_unit_test(format_then_parse_round_trips_in_every_exponent),
		cmocka_unit_test(add_sub_mul_are_exact_inside_int64),
		cmocka_unit_test(add_sub_mul_report_overflow_and_keep_output),
		cmocka_unit_test(add_sub_mul_agree_with_128_bit_arithmetic),
		cmocka_unit_test(each_rounding_mode_on_positive_and_negative_halves),
		cmocka_unit_test(mul_rate_vat_and_hours_known_answers),
		cmocka_unit_test(mul_rate_overflow_at_int64_boundaries),
		cmocka_unit_test(rounding_across_the_int64_edge_decides_overflow),
		cmocka_unit_test(mul_frac_handles_negative_and_extreme_denominators),
		cmocka_unit_test(invalid_arguments_are_rejected_before_arithmetic),
		cmocka_unit_test(mul_frac_matches_reference_rounding_on_small_grid),
		cmocka_unit_test(mul_frac_and_mul_rate_match_reference_on_random_int64),
		cmocka_unit_test(allocate_100_three_ways_is_34_33_33),
		cmocka_unit_test(allocate_gives_leftovers_to_largest_remainders),
		cmocka_unit_test(allocate_at_int64_boundaries),
		cmocka_unit_test(allocate_rejects_zero_or_negative_weights),
		cmocka_unit_test(allocate_may_write_over_its_weights),
		cmocka_unit_test(allocate_sums_to_total_for_many_totals_and_weights),
		cmocka_unit_test(rate_parse_known_factors),
		cmocka_unit_test(rate_parse_rejects_bad_text_precision_and_overflow),
		cmocka_unit_test(rate_format_drops_trailing_zeros),
		cmocka_unit_test(rate_format_rejects_bad_scale_and_short_buffer),
		cmocka_unit_test(rate_parse_then_format_round_trips),
		cmocka_unit_test(rate_mul_adds_scales_and_reports_limits),
	};

	return cmocka_run_group_tests_name("money", tests, NULL, NULL);
}
