/* earning — the daily earning rule (see earning.h). */
#include "reports/earning.h"

#include "base/money.h"

#include <string.h>

int
earning_cumulative(int64_t price, date_t start, date_t end, date_t d, int64_t *out)
{
	int64_t term = (int64_t)end - start, elapsed = (int64_t)d - start;

	*out = 0;
	if (term <= 0)
		return -1;
	if (elapsed <= 0)
		return 0;
	if (elapsed >= term) {
		*out = price;
		return 0;
	}
	/* |price x elapsed| < 2^63 x 2^32: exact in money_mul_frac's 128 bits. */
	return money_mul_frac(price, elapsed, term, ROUND_HALF_UP, out) == MONEY_OK ? 0 : -1;
}

int64_t
earning_day(int64_t price, date_t start, date_t end, int k)
{
	int64_t a, b;

	if (k < 0 || earning_cumulative(price, start, end, start + k, &a) != 0 ||
	    earning_cumulative(price, start, end, start + k + 1, &b) != 0)
		return 0;
	return b - a;
}

static bool
malformed(const earning_contract *c)
{
	return c->end_date <= c->start_date || (c->cancelled && c->cancelled_on < c->sale_date);
}

int
earning_position_at(const earning_contract *c, date_t d, earning_position *out)
{
	int64_t e;

	memset(out, 0, sizeof *out);
	if (malformed(c))
		return -1;
	if (c->sale_date >= d)
		return 0;
	out->written = c->price;
	if (c->cancelled && c->cancelled_on < d) {
		if (earning_cumulative(c->price, c->start_date, c->end_date, c->cancelled_on, &e) != 0)
			goto bad;
		out->earned = e;
		out->cancelled = c->price - e;
	} else {
		if (earning_cumulative(c->price, c->start_date, c->end_date, d, &e) != 0)
			goto bad;
		out->earned = e;
	}
	out->unearned = out->written - out->earned - out->cancelled;
	return 0;
bad:
	memset(out, 0, sizeof *out);
	return -1;
}

int
earning_between(const earning_contract *c, date_t a, date_t b, earning_movement *out)
{
	earning_position pa, pb;

	memset(out, 0, sizeof *out);
	if (b < a || earning_position_at(c, a, &pa) != 0 || earning_position_at(c, b, &pb) != 0)
		return -1;
	out->opening = pa.unearned;
	out->written = pb.written - pa.written;
	out->earned = pb.earned - pa.earned;
	out->cancelled = pb.cancelled - pa.cancelled;
	out->closing = pb.unearned;
	return 0;
}

bool
earning_touches(const earning_contract *c, date_t a, date_t b)
{
	/* Sold by the end of the period, and either sold in it or with term
	 * left at its start. A contract whose term ended before a and that was
	 * sold before a has earned everything, or was cancelled (before a, or
	 * on or after its end, releasing nothing), so it shows nothing. */
	return c->sale_date < b && (c->sale_date >= a || c->end_date > a);
}
