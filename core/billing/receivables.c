/* receivables — the arithmetic of payments and aging (see receivables.h). */
#include "billing/receivables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Aging buckets
 * ------------------------------------------------------------------------ */

aging_bucket
aging_bucket_of(date_t due, date_t as_of)
{
	int64_t late = (int64_t)as_of - (int64_t)due;

	if (late <= 0)
		return AGING_CURRENT;
	if (late <= 30)
		return AGING_1_30;
	if (late <= 60)
		return AGING_31_60;
	if (late <= 90)
		return AGING_61_90;
	return AGING_OVER_90;
}

const char *
aging_bucket_name(aging_bucket b)
{
	static const char *const names[AGING_NBUCKETS] = {
		"current", "days_1_30", "days_31_60", "days_61_90", "days_over_90",
	};

	if ((int)b < 0 || b >= AGING_NBUCKETS)
		return NULL;
	return names[b];
}

/* ------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------ */

static int
cmp_open_item(const void *pa, const void *pb)
{
	const open_item *a = pa, *b = pb;

	if (a->due_date != b->due_date)
		return a->due_date < b->due_date ? -1 : 1;
	if (a->issue_date != b->issue_date)
		return a->issue_date < b->issue_date ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

void
open_items_sort(open_item *items, size_t n)
{
	if (n > 1)
		qsort(items, n, sizeof *items, cmp_open_item);
}

money_status
allocate_oldest_first(const open_item *items, size_t n, int64_t amount, int64_t *alloc,
    int64_t *left)
{
	if (amount < 0)
		return MONEY_ERANGE;
	for (size_t i = 0; i < n; i++) {
		int64_t take = 0;
		if (amount > 0 && items[i].open > 0)
			take = items[i].open < amount ? items[i].open : amount;
		alloc[i] = take;
		amount -= take;
	}
	*left = amount;
	return MONEY_OK;
}

allocation_problem
allocation_check(const int64_t *requested, const int64_t *open, size_t n, int64_t available,
    size_t *bad, int64_t *sum)
{
	*sum = 0;
	*bad = 0;
	for (size_t i = 0; i < n; i++) {
		*bad = i;
		if (requested[i] <= 0)
			return ALLOC_NOT_POSITIVE;
		if (requested[i] > open[i])
			return ALLOC_OVER_OPEN;
		if (money_add(*sum, requested[i], sum) != MONEY_OK)
			return ALLOC_OVERFLOW;
	}
	if (*sum > available) {
		*bad = n;
		return ALLOC_OVER_PAYMENT;
	}
	return ALLOC_OK;
}

/* ------------------------------------------------------------------------
 * The aging report
 * ------------------------------------------------------------------------ */

money_status
aging_row_add_invoice(aging_row *row, aging_bucket b, int64_t open)
{
	money_status st;

	if ((int)b < 0 || b >= AGING_NBUCKETS)
		return MONEY_ERANGE;
	if ((st = money_add(row->buckets[b], open, &row->buckets[b])) != MONEY_OK)
		return st;
	return money_add(row->total, open, &row->total);
}

money_status
aging_row_add_credit(aging_row *row, int64_t open)
{
	return money_add(row->credits, open, &row->credits);
}

money_status
aging_row_add_unapplied(aging_row *row, int64_t amount)
{
	return money_add(row->unapplied, amount, &row->unapplied);
}

money_status
aging_row_finish(aging_row *row)
{
	money_status st;
	int64_t b;

	if ((st = money_sub(row->total, row->credits, &b)) != MONEY_OK)
		return st;
	return money_sub(b, row->unapplied, &row->balance);
}

static int
cmp_aging_row(const void *pa, const void *pb)
{
	const aging_row *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->dealer_id, b->dealer_id)) != 0)
		return c;
	/* "dealer" < "customer" in the report: the dealer's own row first. */
	if ((c = strcmp(b->payer_kind, a->payer_kind)) != 0)
		return c;
	if ((c = strcmp(a->payer, b->payer)) != 0)
		return c;
	return strcmp(a->currency, b->currency);
}

void
aging_rows_sort(aging_row *rows, size_t n)
{
	if (n > 1)
		qsort(rows, n, sizeof *rows, cmp_aging_row);
}

void
csv_text_field(buf *out, const char *s)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	    s[0] == '\t' || s[0] == '\r';

	if (formula)
		quote = true;
	if (quote)
		buf_puts(out, "\"");
	if (formula)
		buf_puts(out, "'");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			buf_puts(out, "\"\"");
		else
			buf_append(out, p, 1);
	}
	if (quote)
		buf_puts(out, "\"");
}

void
aging_csv_header(buf *out)
{
	buf_puts(out, "dealer,payer_type,payer,currency");
	for (int b = 0; b < AGING_NBUCKETS; b++)
		buf_printf(out, ",%s", aging_bucket_name((aging_bucket)b));
	buf_puts(out, ",total,credits,unapplied,balance\r\n");
}

int
aging_csv_row(buf *out, const aging_row *row)
{
	int64_t amounts[AGING_NBUCKETS + 4];
	char text[32];
	size_t n = 0;

	for (int b = 0; b < AGING_NBUCKETS; b++)
		amounts[n++] = row->buckets[b];
	amounts[n++] = row->total;
	amounts[n++] = row->credits;
	amounts[n++] = row->unapplied;
	amounts[n++] = row->balance;
	/* Check the currency before writing anything. */
	if (money_format(0, row->currency, text, sizeof text) != MONEY_OK)
		return -1;
	csv_text_field(out, row->dealer_id);
	buf_puts(out, ",");
	csv_text_field(out, row->payer_kind);
	buf_puts(out, ",");
	csv_text_field(out, row->payer);
	buf_puts(out, ",");
	csv_text_field(out, row->currency);
	for (size_t i = 0; i < n; i++) {
		money_format(amounts[i], row->currency, text, sizeof text);
		buf_printf(out, ",%s", text);
	}
	buf_puts(out, "\r\n");
	return 0;
}
