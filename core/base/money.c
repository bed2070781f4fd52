#include "base/money.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Products of two int64_t values need 127 bits; __int128 holds them
 * exactly, so every rounding below works on the true rational value. */
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define U64_2POW63 ((uint64_t)INT64_MAX + 1)

/* ------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------ */

const char *
money_status_str(money_status st)
{
	switch (st) {
	case MONEY_OK:
		return "ok";
	case MONEY_EOVERFLOW:
		return "amount out of range";
	case MONEY_ESYNTAX:
		return "not a plain decimal number";
	case MONEY_EPRECISION:
		return "more decimals than allowed";
	case MONEY_ECURRENCY:
		return "unknown currency";
	case MONEY_EDIVZERO:
		return "division by zero";
	case MONEY_ERANGE:
		return "argument out of range";
	}
	return "unknown money status";
}

static const char *const round_mode_names[] = {
	[ROUND_HALF_UP] = "half-up",
	[ROUND_HALF_EVEN] = "half-even",
	[ROUND_DOWN] = "down",
	[ROUND_UP] = "up",
	[ROUND_FLOOR] = "floor",
	[ROUND_CEILING] = "ceiling",
};

#define ROUND_MODE_COUNT (sizeof round_mode_names / sizeof round_mode_names[0])

static bool
round_mode_ok(round_mode mode)
{
	/* An enum may hold any int the caller cast into it. */
	return (unsigned)mode < ROUND_MODE_COUNT;
}

/* Exact, case-sensitive match: these names appear in configuration and
 * contracts, where one spelling keeps them greppable. */
int
round_mode_parse(const char *s, round_mode *out)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < ROUND_MODE_COUNT; i++) {
		if (strcmp(s, round_mode_names[i]) == 0) {
			*out = (round_mode)i;
			return 0;
		}
	}
	return -1;
}

const char *
round_mode_name(round_mode mode)
{
	return round_mode_ok(mode) ? round_mode_names[mode] : "invalid";
}

/* ------------------------------------------------------------------------
 * ISO 4217
 * ------------------------------------------------------------------------ */

struct currency {
	char code[4];
	int exponent;
};

/* ISO 4217 list one: the active codes that have a minor unit, sorted by
 * code for bsearch. Codes without one (XAU, XAG, XDR, XTS, XXX, the bond
 * units XBA..XBD, XSU, XUA) are left out on purpose: nobody invoices in
 * them and "N.A." is not an exponent. Withdrawn codes (HRK 2023, ZWL 2024
 * replaced by ZWG, SLL replaced by SLE, CUC) are left out too. ANG stays
 * while its XCG successor phases in: contracts signed in ANG still run. */
static const struct currency currencies[] = {
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

static int
currency_cmp(const void *key, const void *elem)
{
	return memcmp(key, ((const struct currency *)elem)->code, 3);
}

int
currency_exponent(const char *code)
{
	if (code == NULL)
		return -1;
	/* Exactly three uppercase ASCII letters; "eur" or "EUR " is a typo the
	 * caller should hear about, not something to normalise silently. */
	for (int i = 0; i < 3; i++) {
		if (code[i] < 'A' || code[i] > 'Z')
			return -1;
	}
	if (code[3] != '\0')
		return -1;
	const struct currency *c = bsearch(code, currencies,
	    sizeof currencies / sizeof currencies[0], sizeof currencies[0], currency_cmp);
	return c ? c->exponent : -1;
}

bool
currency_valid(const char *code)
{
	return currency_exponent(code) >= 0;
}

/* ------------------------------------------------------------------------
 * Decimal text
 * ------------------------------------------------------------------------ */

/* The pieces of "-?D+(.D+)?". */
struct decimal_text {
	bool neg;
	const char *ip; /* integer digits */
	size_t ilen;
	const char *fp; /* fraction digits, NULL when there is no '.' */
	size_t flen;
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Splits s into sign, integer and fraction digits; false unless s is
 * exactly an optional '-', one or more digits and optionally a '.' with one
 * or more digits. Leading zeros are accepted ("007", "-0.5" needs one
 * anyway): they change nothing about the value, and overlong input is still
 * caught by the overflow check. */
static bool
decimal_scan(const char *s, struct decimal_text *dt)
{
	if (s == NULL)
		return false;
	dt->neg = *s == '-';
	if (dt->neg)
		s++;
	dt->ip = s;
	while (is_digit(*s))
		s++;
	dt->ilen = (size_t)(s - dt->ip);
	if (dt->ilen == 0)
		return false;
	dt->fp = NULL;
	dt->flen = 0;
	if (*s == '.') {
		dt->fp = ++s;
		while (is_digit(*s))
			s++;
		dt->flen = (size_t)(s - dt->fp);
		if (dt->flen == 0)
			return false;
	}
	return *s == '\0';
}

/* Appends one decimal digit to a magnitude bounded by limit. */
static bool
mag_push(uint64_t *mag, unsigned digit, uint64_t limit)
{
	if (*mag > (limit - digit) / 10)
		return false;
	*mag = *mag * 10 + digit;
	return true;
}

/* Magnitude as a signed value; 2^63 with neg is INT64_MIN, which has no
 * positive counterpart to negate. */
static int64_t
mag_to_signed(uint64_t mag, bool neg)
{
	if (!neg)
		return (int64_t)mag;
	if (mag == U64_2POW63)
		return INT64_MIN;
	return -(int64_t)mag;
}

static uint64_t
mag_of(int64_t v)
{
	/* Unsigned negation is defined for INT64_MIN, signed is not. */
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* The scanned decimal times 10^scale as an int64_t; the caller has checked
 * that flen <= scale, so this is exact. */
static money_status
decimal_value(const struct decimal_text *dt, int scale, int64_t *out)
{
	uint64_t limit = dt->neg ? U64_2POW63 : (uint64_t)INT64_MAX;
	uint64_t mag = 0;

	for (size_t i = 0; i < dt->ilen; i++) {
		if (!mag_push(&mag, (unsigned)(dt->ip[i] - '0'), limit))
			return MONEY_EOVERFLOW;
	}
	for (size_t i = 0; i < dt->flen; i++) {
		if (!mag_push(&mag, (unsigned)(dt->fp[i] - '0'), limit))
			return MONEY_EOVERFLOW;
	}
	for (size_t i = dt->flen; i < (size_t)scale; i++) {
		if (!mag_push(&mag, 0, limit))
			return MONEY_EOVERFLOW;
	}
	*out = mag_to_signed(mag, dt->neg);
	return MONEY_OK;
}

/* Writes value / 10^scale with exactly scale decimals. */
static money_status
format_scaled(int64_t value, int scale, char *out, size_t outlen)
{
	char digits[24];
	size_t nd = 0;
	uint64_t mag = mag_of(value);

	if (out == NULL || outlen == 0)
		return MONEY_ERANGE;
	do {
		digits[nd++] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag != 0);
	/* At least one digit before the point: 5 cents is "0.05". */
	while (nd < (size_t)scale + 1)
		digits[nd++] = '0';

	size_t len = (value < 0) + nd + (scale > 0);
	if (len + 1 > outlen) {
		out[0] = '\0';
		return MONEY_ERANGE;
	}
	char *p = out;
	if (value < 0)
		*p++ = '-';
	while (nd > 0) {
		if (nd == (size_t)scale)
			*p++ = '.';
		*p++ = digits[--nd];
	}
	*p = '\0';
	return MONEY_OK;
}

/* Strict by design: "1.500" in EUR is MONEY_EPRECISION even though the
 * extra digits are zeros. An amount written with more decimals than the
 * currency has came from something that was not thinking in that currency
 * (a rate, a float printed with %f, the wrong currency), and we would rather
 * hear about it than guess. */
money_status
money_parse(const char *text, const char *currency, int64_t *out)
{
	struct decimal_text dt;
	int exp = currency_exponent(currency);

	if (exp < 0)
		return MONEY_ECURRENCY;
	if (!decimal_scan(text, &dt))
		return MONEY_ESYNTAX;
	if (dt.flen > (size_t)exp)
		return MONEY_EPRECISION;
	return decimal_value(&dt, exp, out);
}

money_status
money_format(int64_t amount, const char *currency, char *out, size_t outlen)
{
	int exp = currency_exponent(currency);

	if (exp < 0) {
		if (out != NULL && outlen > 0)
			out[0] = '\0';
		return MONEY_ECURRENCY;
	}
	return format_scaled(amount, exp, out, outlen);
}

/* ------------------------------------------------------------------------
 * Arithmetic. On any error *out is left as it was.
 * ------------------------------------------------------------------------ */

money_status
money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return MONEY_EOVERFLOW;
	*out = r;
	return MONEY_OK;
}

money_status
money_sub(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return MONEY_EOVERFLOW;
	*out = r;
	return MONEY_OK;
}

money_status
money_mul_int(int64_t a, int64_t n, int64_t *out)
{
	int64_t r;

	if (__builtin_mul_overflow(a, n, &r))
		return MONEY_EOVERFLOW;
	*out = r;
	return MONEY_OK;
}

/* n / d rounded with mode, for d > 0 and |n| < 2^127. C division truncates
 * toward zero, so q is already the ROUND_DOWN answer and the remainder r
 * carries the sign of n; each mode then decides whether to step q one unit
 * away from zero. Halves are judged on 2|r| against d, which stays exact
 * because |r| < d <= 2^63. */
static money_status
div_round(i128 n, i128 d, round_mode mode, int64_t *out)
{
	i128 q = n / d;
	i128 r = n % d;

	if (r != 0) {
		int away = n < 0 ? -1 : 1;
		i128 twice = 2 * (r < 0 ? -r : r);
		bool step = false;

		switch (mode) {
		case ROUND_HALF_UP:
			step = twice >= d;
			break;
		case ROUND_HALF_EVEN:
			step = twice > d || (twice == d && q % 2 != 0);
			break;
		case ROUND_DOWN:
			break;
		case ROUND_UP:
			step = true;
			break;
		case ROUND_FLOOR:
			step = n < 0;
			break;
		case ROUND_CEILING:
			step = n > 0;
			break;
		}
		if (step)
			q += away;
	}
	if (q > INT64_MAX || q < INT64_MIN)
		return MONEY_EOVERFLOW;
	*out = (int64_t)q;
	return MONEY_OK;
}

static const int64_t pow10_table[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
};

static bool
rate_ok(rate r)
{
	return r.scale >= 0 && r.scale <= RATE_MAX_SCALE;
}

money_status
money_mul_rate(int64_t amount, rate r, round_mode mode, int64_t *out)
{
	if (!rate_ok(r) || !round_mode_ok(mode))
		return MONEY_ERANGE;
	return div_round((i128)amount * r.value, pow10_table[r.scale], mode, out);
}

money_status
money_mul_frac(int64_t amount, int64_t num, int64_t den, round_mode mode, int64_t *out)
{
	if (!round_mode_ok(mode))
		return MONEY_ERANGE;
	if (den == 0)
		return MONEY_EDIVZERO;

	i128 n = (i128)amount * num;
	i128 d = den;
	/* div_round wants a positive divisor; in 128 bits neither -n (|n| <=
	 * 2^126) nor -d (2^63 for INT64_MIN) can overflow. */
	if (d < 0) {
		n = -n;
		d = -d;
	}
	return div_round(n, d, mode, out);
}

struct alloc_rank {
	u128 rem;
	size_t idx;
};

static int
alloc_rank_cmp(const void *pa, const void *pb)
{
	const struct alloc_rank *a = pa, *b = pb;

	if (a->rem != b->rem)
		return a->rem > b->rem ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Hamilton's largest-remainder method on |total|: each part first gets the
 * floor of its exact share |total| * w / W, then the units left over (fewer
 * than n) go one each to the parts with the largest remainders, ties to the
 * earlier part. A negative total is split as its magnitude and every part
 * negated, so -100 over three equal weights is -34, -33, -33, the mirror
 * image of 100. Every part stays within one unit of its exact share and no
 * part exceeds |total| in magnitude, so nothing here can overflow: the
 * products fit in 127 bits and the sum of weights in 128.
 *
 * n == 0 is MONEY_ERANGE (the weights cannot sum to more than zero). */
money_status
money_allocate(int64_t total, const int64_t *weights, size_t n, int64_t *out)
{
	u128 wsum = 0;

	if (n == 0 || weights == NULL || out == NULL)
		return MONEY_ERANGE;
	for (size_t i = 0; i < n; i++) {
		if (weights[i] < 0)
			return MONEY_ERANGE;
		wsum += (u128)weights[i];
	}
	if (wsum == 0)
		return MONEY_ERANGE;

	bool neg = total < 0;
	uint64_t mag = mag_of(total);
	uint64_t given = 0;
	/* The remainders are kept aside rather than recomputed from weights,
	 * so out may be the weights array itself. */
	struct alloc_rank *rank = xreallocarray(NULL, n, sizeof *rank);

	for (size_t i = 0; i < n; i++) {
		u128 prod = (u128)mag * (u128)weights[i];
		uint64_t share = (uint64_t)(prod / wsum);

		rank[i].rem = prod % wsum;
		rank[i].idx = i;
		given += share;
		out[i] = mag_to_signed(share, neg);
	}

	uint64_t left = mag - given;
	if (left > 0) {
		qsort(rank, n, sizeof *rank, alloc_rank_cmp);
		for (uint64_t k = 0; k < left; k++)
			out[rank[k].idx] += neg ? -1 : 1;
	}
	free(rank);
	return MONEY_OK;
}

/* ------------------------------------------------------------------------
 * Rates
 * ------------------------------------------------------------------------ */

/* The scale is the number of decimals written: "1.50" is { 150, 2 }, not
 * { 15, 1 }. Both mean the same, and keeping what was written lets a
 * configuration value show up unchanged in logs. More than RATE_MAX_SCALE
 * decimals is MONEY_EPRECISION, even if they are zeros, for the same reason
 * money_parse is strict. */
money_status
rate_parse(const char *text, rate *out)
{
	struct decimal_text dt;
	int64_t v;

	if (!decimal_scan(text, &dt))
		return MONEY_ESYNTAX;
	if (dt.flen > RATE_MAX_SCALE)
		return MONEY_EPRECISION;

	money_status st = decimal_value(&dt, (int)dt.flen, &v);
	if (st != MONEY_OK)
		return st;
	out->value = v;
	out->scale = (int)dt.flen;
	return MONEY_OK;
}

money_status
rate_format(rate r, char *out, size_t outlen)
{
	if (!rate_ok(r)) {
		if (out != NULL && outlen > 0)
			out[0] = '\0';
		return MONEY_ERANGE;
	}
	while (r.scale > 0 && r.value % 10 == 0) {
		r.value /= 10;
		r.scale--;
	}
	return format_scaled(r.value, r.scale, out, outlen);
}

/* The exact product has scale a.scale + b.scale (up to 18). Trailing zeros
 * are dropped only when the result would otherwise not fit (scale above
 * RATE_MAX_SCALE or value beyond int64_t), so 0.5 x 0.2 is { 10, 2 } as the
 * scales add, while 1.00000 x 1.00000 becomes { 1000000000, 9 } rather than
 * failing at scale 10. When the result
 * is both too fine and too large, MONEY_EPRECISION wins: no scaling could
 * represent it. */
money_status
rate_mul(rate a, rate b, rate *out)
{
	if (!rate_ok(a) || !rate_ok(b))
		return MONEY_ERANGE;

	i128 v = (i128)a.value * b.value;
	int scale = a.scale + b.scale;

	while (scale > 0 && v % 10 == 0 &&
	    (scale > RATE_MAX_SCALE || v > INT64_MAX || v < INT64_MIN)) {
		v /= 10;
		scale--;
	}
	if (scale > RATE_MAX_SCALE)
		return MONEY_EPRECISION;
	if (v > INT64_MAX || v < INT64_MIN)
		return MONEY_EOVERFLOW;
	out->value = (int64_t)v;
	out->scale = scale;
	return MONEY_OK;
}
