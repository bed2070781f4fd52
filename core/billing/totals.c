#include "billing/totals.h"

#include <string.h>

/* Two rates are the same rate whatever their scale: 0.19 == 0.190. */
static int
rate_equal(rate a, rate b)
{
	int64_t va = a.value, vb = b.value;
	int sa = a.scale, sb = b.scale;

	while (sa < sb) {
		if (__builtin_mul_overflow(va, 10, &va))
			return 0;
		sa++;
	}
	while (sb < sa) {
		if (__builtin_mul_overflow(vb, 10, &vb))
			return 0;
		sb++;
	}
	return va == vb;
}

/* The group of line l, created on first sight; NULL when the table is full. */
static tax_group *
group_for(invoice_totals *t, const invoice_line_amount *l)
{
	for (size_t i = 0; i < t->ngroups; i++)
		if (t->groups[i].category == l->category && rate_equal(t->groups[i].tax_rate, l->tax_rate))
			return &t->groups[i];
	if (t->ngroups == INVOICE_MAX_TAX_GROUPS)
		return NULL;
	tax_group *g = &t->groups[t->ngroups++];
	g->category = l->category;
	g->tax_rate = l->tax_rate;
	return g;
}

money_status
invoice_totals_compute(const invoice_line_amount *lines, size_t n, int64_t prepaid,
    invoice_totals *out)
{
	return invoice_totals_compute_in(lines, n, prepaid, 1, out);
}

/* taxable x r, rounded half-up to a multiple of granule minor units. */
static money_status
group_tax(int64_t taxable, rate r, int64_t granule, int64_t *out)
{
	int64_t den = granule, units;
	money_status st;

	for (int s = 0; s < r.scale; s++)
		if ((st = money_mul_int(den, 10, &den)) != MONEY_OK)
			return st;
	if ((st = money_mul_frac(taxable, r.value, den, ROUND_HALF_UP, &units)) != MONEY_OK)
		return st;
	return money_mul_int(units, granule, out);
}

money_status
invoice_totals_compute_in(const invoice_line_amount *lines, size_t n, int64_t prepaid,
    int64_t granule, invoice_totals *out)
{
	invoice_totals t;
	money_status st;

	if (granule < 1)
		return MONEY_ERANGE;
	memset(&t, 0, sizeof t);
	for (size_t i = 0; i < n; i++) {
		const invoice_line_amount *l = &lines[i];
		if (l->tax_rate.value < 0 ||
		    (l->category != CD_TAX_STANDARD && l->tax_rate.value != 0))
			return MONEY_ERANGE;
		tax_group *g = group_for(&t, l);
		if (g == NULL)
			return MONEY_ERANGE;
		if ((st = money_add(g->taxable, l->net, &g->taxable)) != MONEY_OK ||
		    (st = money_add(t.line_total, l->net, &t.line_total)) != MONEY_OK)
			return st;
	}
	for (size_t i = 0; i < t.ngroups; i++) {
		tax_group *g = &t.groups[i];
		if ((st = group_tax(g->taxable, g->tax_rate, granule, &g->tax)) != MONEY_OK ||
		    (st = money_add(t.tax_total, g->tax, &t.tax_total)) != MONEY_OK)
			return st;
	}
	t.tax_exclusive = t.line_total;
	t.prepaid = prepaid;
	if ((st = money_add(t.tax_exclusive, t.tax_total, &t.tax_inclusive)) != MONEY_OK ||
	    (st = money_sub(t.tax_inclusive, prepaid, &t.payable)) != MONEY_OK)
		return st;
	*out = t;
	return MONEY_OK;
}
