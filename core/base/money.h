/* money — exact amounts in a currency's minor unit.
 *
 * An amount is an int64_t count of minor units (cents for EUR, yen for JPY,
 * fils for BHD) and always travels with its ISO 4217 currency code. There is
 * no floating point anywhere here. Every operation reports overflow as an
 * error instead of wrapping around, and every rounding names its mode. */
#ifndef CD_BASE_MONEY_H
#define CD_BASE_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum money_status {
	MONEY_OK = 0,
	MONEY_EOVERFLOW,  /* result does not fit in int64_t */
	MONEY_ESYNTAX,    /* not a decimal number */
	MONEY_EPRECISION, /* more decimals than the currency has */
	MONEY_ECURRENCY,  /* unknown ISO 4217 code */
	MONEY_EDIVZERO,
	MONEY_ERANGE,     /* an argument outside what the operation accepts */
} money_status;

typedef enum round_mode {
	ROUND_HALF_UP,   /* halves away from zero: 0.5 -> 1, -0.5 -> -1 (EN 16931) */
	ROUND_HALF_EVEN, /* banker's rounding: 0.5 -> 0, 1.5 -> 2 */
	ROUND_DOWN,      /* toward zero (truncate) */
	ROUND_UP,        /* away from zero */
	ROUND_FLOOR,     /* toward negative infinity */
	ROUND_CEILING,   /* toward positive infinity */
} round_mode;

/* A decimal factor such as a tax rate, a markup or a quantity of hours:
 * value / 10^scale, scale 0..9. "19.5" is { 195, 1 }. */
typedef struct rate {
	int64_t value;
	int scale;
} rate;

#define RATE_MAX_SCALE 9

const char *money_status_str(money_status st);
/* Parses "half-up", "half-even", "down", "up", "floor", "ceiling". */
int round_mode_parse(const char *s, round_mode *out);
const char *round_mode_name(round_mode mode);

/* ISO 4217 minor-unit exponent (2 for EUR, 0 for JPY, 3 for BHD), or -1
 * when the code is not a known active currency. */
int currency_exponent(const char *code);
bool currency_valid(const char *code);

/* Parses a plain decimal ("-1234.5", "0.07", "12") into minor units of the
 * currency. Fewer decimals than the exponent are fine; more are
 * MONEY_EPRECISION, never silently rounded. No exponents, no grouping. */
money_status money_parse(const char *text, const char *currency, int64_t *out);
/* Formats minor units as a plain decimal with exactly the currency's
 * exponent of decimals ("-0.05", "1234", "1.000"). Returns MONEY_ERANGE if
 * out is too small (24 bytes always suffice). */
money_status money_format(int64_t amount, const char *currency, char *out, size_t outlen);

money_status money_add(int64_t a, int64_t b, int64_t *out);
money_status money_sub(int64_t a, int64_t b, int64_t *out);
money_status money_mul_int(int64_t a, int64_t n, int64_t *out);
/* amount x rate, rounded to a whole minor unit with mode. */
money_status money_mul_rate(int64_t amount, rate r, round_mode mode, int64_t *out);
/* amount x num / den, rounded with mode (pro-rata shares, day fractions). */
money_status money_mul_frac(int64_t amount, int64_t num, int64_t den, round_mode mode,
    int64_t *out);
/* Splits total across n parts in proportion to weights (all >= 0, sum > 0)
 * so that the parts add up to total exactly: largest remainder, ties to the
 * earlier part. */
money_status money_allocate(int64_t total, const int64_t *weights, size_t n, int64_t *out);

/* Parses a decimal factor ("0.19", "1.5", "-2"); up to RATE_MAX_SCALE decimals. */
money_status rate_parse(const char *text, rate *out);
/* Formats a rate without trailing zeros ("0.19", "1.5", "2"). */
money_status rate_format(rate r, char *out, size_t outlen);
/* a x b as a rate (scales add; MONEY_EPRECISION past RATE_MAX_SCALE after
 * dropping trailing zeros). */
money_status rate_mul(rate a, rate b, rate *out);

#endif
