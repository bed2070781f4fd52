/* refund — what a cancelled contract gives back (DESIGN.md §1).
 *
 *   - Free look: cancelled within the plan's free-look days of the sale
 *     (the day of sale being the first) with nothing claimed: the whole
 *     price comes back, no fee, and the dealer's whole margin is charged
 *     back.
 *   - Otherwise pro rata. The unused share of the term by days is
 *     (end - cancellation date) / (end - start), a term not yet started
 *     being wholly unused. For plans refunding by days-or-usage with a
 *     usage allowance and a reading, the share by usage is
 *     (allowance - used) / allowance, and the smaller share wins
 *     (whichever runs out first); equal shares count as days.
 *     unused amount = price x share, rounded half-up.
 *   - Then the fee and, where the plan deducts them, the claims paid come
 *     off; the refund never goes below zero. The breakdown reports what was
 *     actually taken (a 50.00 fee against 30.00 unused shows a fee of
 *     30.00), so unused amount - fee - claims deducted = refund, always.
 *   - Commission chargeback: the dealer's margin x the same share,
 *     rounded half-up (the whole margin in the free look).
 *
 * Shares are exact fractions (num / den), never floating point; they are
 * rounded (half-up, 6 decimals) only when written for people.
 * refund_compute() is a pure function. */
#ifndef CD_DOMAIN_REFUND_H
#define CD_DOMAIN_REFUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "domain/plan.h"

typedef enum refund_basis {
	REFUND_FREE_LOOK = 0,
	REFUND_DAYS = 1,
	REFUND_USAGE = 2,
} refund_basis;

typedef struct refund_input {
	int64_t price;             /* net retail price paid, minor units */
	int64_t dealer_margin;     /* retail - dealer cost */
	date_t sale_date;
	date_t start_date;         /* the term: [start, end) */
	date_t end_date;
	date_t cancel_date;
	int free_look_days;
	plan_refund_method method;
	bool has_usage_limit;      /* the contract has a usage allowance */
	int64_t start_usage;       /* allowance = end_usage - start_usage */
	int64_t end_usage;
	bool has_usage;            /* a reading was given at cancellation */
	int64_t usage;
	int64_t fee;               /* the plan's cancellation fee */
	bool deduct_claims;
	int claims_count;          /* claims made (any amount) */
	int64_t claims_paid;       /* amount paid on them */
} refund_input;

typedef struct refund_result {
	refund_basis basis;
	int term_days;
	int unused_days;
	int64_t share_days_num, share_days_den;
	bool usage_used;           /* the usage share was computed */
	int64_t usage_allowance;
	int64_t unused_usage;
	int64_t share_usage_num, share_usage_den;
	int64_t share_num, share_den; /* the share applied */
	int64_t price_paid;
	int64_t unused_amount;
	int64_t fee;               /* as taken */
	int64_t claims_deducted;   /* as taken */
	int64_t refund;
	int64_t chargeback;
} refund_result;

/* Computes the refund. Returns 0, or -1 for input it cannot judge (a
 * cancellation before the sale, an empty term, negative amounts, an
 * overflow), leaving *out zeroed. */
int refund_compute(const refund_input *in, refund_result *out);

/* Writes num/den as a decimal with 6 places, rounded half-up ("0.715982",
 * "1.000000"). out needs 24 bytes. */
void share_format(int64_t num, int64_t den, char *out, size_t outlen);

/* "free-look", "days", "usage". */
const char *refund_basis_name(refund_basis b);

#endif
