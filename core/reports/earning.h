/* earning — how a contract's price becomes revenue: pure functions.
 *
 * DESIGN.md §1 "Revenue": a contract's price (its net retail price,
 * contracts.net_price) is earned day by day over its coverage period
 * [start, end). The rule, exact to the minor unit:
 *
 *   term days   T = end - start (at least 1)
 *   elapsed     e(d) = clamp(d - start, 0, T): the days of the term that
 *               lie before day d (d itself not included)
 *   cumulative  E(d) = price x e(d) / T, rounded half-up (halves away from
 *               zero) to the minor unit, in 128-bit integers
 *   a day       the k-th day of the term earns E(start+k+1) - E(start+k)
 *   a period    [a, b) earns E(b) - E(a)
 *
 * Because every period's amount is a difference of the same cumulative
 * function, the amounts telescope: the days (or months) of a term add up to
 * E(end) - E(start) = price - 0 = price exactly, whatever the price and the
 * number of days (a leap year simply has a 366-day term). Each day earns
 * floor or ceiling of price / T, never anything else.
 *
 * Recognition follows the documents: nothing is written, earned or
 * cancelled before the sale date. A contract sold after its term started
 * (a plan starting at the purchase date, sold some days later) catches up
 * on its sale date: what the elapsed days earned is earned then. A
 * contract sold before its term starts (warranty-end plans) stays wholly
 * unearned until the start.
 *
 * Cancellation on day c ends coverage at the start of that day, as the
 * refund counts it (core/domain/refund.h: the unused share is
 * (end - c) / T): earning stops at E(c), and on day c the whole remaining
 * unearned, price - E(c), is released as "cancelled". A cancellation before
 * the start releases the whole price; one on or after the end releases
 * nothing. What the customer gets back (the refund: the unused amount less
 * the fee and claims deducted, or the whole price in the free look) is a
 * cash matter of the credit note, not of the roll-forward; the difference
 * between the released unearned and the refund is what the warrantor keeps
 * (the ledger books both, see ledger.h).
 *
 * So at the start of any day d the contract's position is:
 *   written   W(d) = price            if sale < d, else 0
 *   earned    R(d) = E(min(d, c))      if sale < d, else 0
 *   cancelled X(d) = price - E(c)      if c < d,    else 0
 *   unearned  U(d) = W(d) - R(d) - X(d)  (never negative for a price >= 0)
 * and a period [a, b) rolls forward as
 *   opening U(a) + written (W(b)-W(a)) - earned (R(b)-R(a))
 *     - cancelled (X(b)-X(a)) = closing U(b),
 * which holds exactly by construction, for every contract and therefore
 * for every sum of contracts. */
#ifndef CD_REPORTS_EARNING_H
#define CD_REPORTS_EARNING_H

#include <stdbool.h>
#include <stdint.h>

#include "base/date.h"

/* What the revenue rule needs of a contract. */
typedef struct earning_contract {
	int64_t price;          /* net price, minor units */
	date_t sale_date;
	date_t start_date;      /* the term: [start, end) */
	date_t end_date;
	bool cancelled;
	date_t cancelled_on;    /* when cancelled: coverage ends at the start of this day */
} earning_contract;

/* One period's movement and the positions around it. */
typedef struct earning_movement {
	int64_t opening;        /* unearned at the start of the period */
	int64_t written;
	int64_t earned;
	int64_t cancelled;
	int64_t closing;        /* unearned at the end: opening + written - earned - cancelled */
} earning_movement;

/* E(d) above: the price earned by the days of the term before d, ignoring
 * sale and cancellation. Returns 0, or -1 for an empty or reversed term
 * (end <= start); *out is then 0. */
int earning_cumulative(int64_t price, date_t start, date_t end, date_t d, int64_t *out);

/* The position of c at the start of day d (W, R, X, U above). Returns 0 or
 * -1 (a malformed contract: end <= start, or a cancellation before the
 * sale); the position is then all zero. */
typedef struct earning_position {
	int64_t written, earned, cancelled, unearned;
} earning_position;
int earning_position_at(const earning_contract *c, date_t d, earning_position *out);

/* The movement of c over [a, b) (a <= b). Returns 0 or -1 as above. */
int earning_between(const earning_contract *c, date_t a, date_t b, earning_movement *out);

/* The amount the k-th day of the term (k = 0 for the start) earns,
 * ignoring sale and cancellation: E(start+k+1) - E(start+k); 0 outside the
 * term. For tests and explanations. */
int64_t earning_day(int64_t price, date_t start, date_t end, int k);

/* Whether anything of c moves in [a, b) or is unearned at a: the contracts
 * a report of [a, b) must read. Mirrors the SQL filter of revenue.c. */
bool earning_touches(const earning_contract *c, date_t a, date_t b);

#endif
