/* refund — the cancellation refund, a pure function (see refund.h). */
#include "domain/refund.h"
#include "base/money.h"

#include <stdio.h>
#include <string.h>

const char *
refund_basis_name(refund_basis b)
{
	switch (b) {
	case REFUND_FREE_LOOK: return "free-look";
	case REFUND_DAYS: return "days";
	case REFUND_USAGE: return "usage";
	}
	return "days";
}

void
share_format(int64_t num, int64_t den, char *out, size_t outlen)
{
	int64_t micro = 0;

	if (den <= 0 || money_mul_frac(num, 1000000, den, ROUND_HALF_UP, &micro) != MONEY_OK)
		micro = 0;
	snprintf(out, outlen, "%lld.%06lld", (long long)(micro / 1000000),
	    (long long)(micro % 1000000));
}

/* a/b < c/d for non-negative numerators and positive denominators. The
 * products stay far below 2^63: days are below 2^16 (a term is at most 600
 * months) and usage below 10^13 (12 digits). */
static bool
fraction_less(int64_t a, int64_t b, int64_t c, int64_t d)
{
	return a * d < c * b;
}

int
refund_compute(const refund_input *in, refund_result *out)
{
	refund_result r;
	int64_t left;

	memset(out, 0, sizeof *out);
	memset(&r, 0, sizeof r);
	if (in->cancel_date < in->sale_date || in->end_date <= in->start_date || in->price < 0 ||
	    in->fee < 0 || in->claims_paid < 0 || in->dealer_margin < 0 || in->free_look_days < 0)
		return -1;
	r.price_paid = in->price;
	r.term_days = (int)(in->end_date - in->start_date);
	if (in->cancel_date <= in->start_date)
		r.unused_days = r.term_days;
	else if (in->cancel_date >= in->end_date)
		r.unused_days = 0;
	else
		r.unused_days = (int)(in->end_date - in->cancel_date);
	r.share_days_num = r.unused_days;
	r.share_days_den = r.term_days;
	r.share_num = r.share_days_num;
	r.share_den = r.share_days_den;
	r.basis = REFUND_DAYS;

	if (in->method == PLAN_REFUND_BY_DAYS_OR_USAGE && in->has_usage_limit && in->has_usage &&
	    in->end_usage > in->start_usage) {
		int64_t used = in->usage - in->start_usage;
		r.usage_used = true;
		r.usage_allowance = in->end_usage - in->start_usage;
		if (used < 0)
			used = 0;
		if (used > r.usage_allowance)
			used = r.usage_allowance;
		r.unused_usage = r.usage_allowance - used;
		r.share_usage_num = r.unused_usage;
		r.share_usage_den = r.usage_allowance;
		if (fraction_less(r.share_usage_num, r.share_usage_den, r.share_days_num,
		    r.share_days_den)) {
			r.share_num = r.share_usage_num;
			r.share_den = r.share_usage_den;
			r.basis = REFUND_USAGE;
		}
	}

	if (in->cancel_date - in->sale_date < in->free_look_days && in->claims_count == 0 &&
	    in->claims_paid == 0) {
		r.basis = REFUND_FREE_LOOK;
		r.share_num = 1;
		r.share_den = 1;
		r.unused_amount = in->price;
		r.refund = in->price;
		r.chargeback = in->dealer_margin;
		*out = r;
		return 0;
	}

	if (money_mul_frac(in->price, r.share_num, r.share_den, ROUND_HALF_UP, &r.unused_amount) !=
	    MONEY_OK ||
	    money_mul_frac(in->dealer_margin, r.share_num, r.share_den, ROUND_HALF_UP,
	    &r.chargeback) != MONEY_OK)
		return -1;
	left = r.unused_amount;
	r.fee = in->fee < left ? in->fee : left;
	left -= r.fee;
	if (in->deduct_claims) {
		r.claims_deducted = in->claims_paid < left ? in->claims_paid : left;
		left -= r.claims_deducted;
	}
	r.refund = left;
	*out = r;
	return 0;
}
