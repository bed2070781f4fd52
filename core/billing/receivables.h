/* receivables — the arithmetic of payments and aging, without a database.
 *
 * What payments.c does with rows, decided here as plain functions so that
 * each rule is unit-tested on its own (tests/unit/test_billing_receivables.c):
 *
 *   - aging buckets: how far past its due date an open amount is on a date;
 *   - automatic allocation: a payment settles the payer's open invoices
 *     oldest due date first (then oldest issue date, then lowest id), each
 *     in full before the next, and what is left stays unapplied;
 *   - explicit allocation: every requested amount positive, none above its
 *     invoice's open amount, their sum not above the payment;
 *   - the aging report's rows and their CSV form.
 *
 * Amounts are minor units; every sum is checked for overflow (money.h).
 * Nothing here allocates except where it says so. */
#ifndef CD_BILLING_RECEIVABLES_H
#define CD_BILLING_RECEIVABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/date.h"
#include "base/money.h"

/* ------------------------------------------------------------------------
 * Aging buckets
 * ------------------------------------------------------------------------ */

typedef enum aging_bucket {
	AGING_CURRENT = 0,   /* not yet due: as_of <= due date */
	AGING_1_30,          /* 1 to 30 days past due */
	AGING_31_60,
	AGING_61_90,
	AGING_OVER_90,       /* 91 days past due and more */
	AGING_NBUCKETS
} aging_bucket;

/* The bucket of an amount due on due as of as_of. On its due date an
 * invoice is still current; the day after, it is 1 day past due. */
aging_bucket aging_bucket_of(date_t due, date_t as_of);
/* Column names for the CSV header: "current", "days_1_30", ...,
 * "days_over_90"; NULL outside the enum. */
const char *aging_bucket_name(aging_bucket b);

/* ------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------ */

/* An open document of a payer, as allocation sees it. */
typedef struct open_item {
	int64_t id;           /* the invoice's row id: the last tie-breaker */
	date_t due_date;
	date_t issue_date;
	int64_t open;         /* > 0: what is still to be paid */
} open_item;

/* Sorts items oldest first: by due date, then issue date, then id. */
void open_items_sort(open_item *items, size_t n);

/* Allocates amount (> 0) over items in their order (sort them first):
 * alloc[i] receives what item i gets (0 for most once the money runs
 * out), *left what no item took — unapplied cash. alloc has n entries.
 * Items with open <= 0 get nothing. Returns MONEY_OK, or MONEY_ERANGE for
 * a negative amount. */
money_status allocate_oldest_first(const open_item *items, size_t n, int64_t amount,
    int64_t *alloc, int64_t *left);

/* Why an explicit allocation is refused (allocation_check). */
typedef enum allocation_problem {
	ALLOC_OK = 0,
	ALLOC_NOT_POSITIVE,   /* an amount of zero or less */
	ALLOC_OVER_OPEN,      /* more than the document has open */
	ALLOC_OVER_PAYMENT,   /* the amounts add up to more than the payment */
	ALLOC_OVERFLOW,
} allocation_problem;

/* Checks requested[i] against open[i] (the open amount of the document it
 * goes to; the same document may not appear twice — the caller merges
 * duplicates first) and their sum against available. On a problem sets
 * *bad to the offending index (n for ALLOC_OVER_PAYMENT) and *sum to the
 * sum so far. */
allocation_problem allocation_check(const int64_t *requested, const int64_t *open, size_t n,
    int64_t available, size_t *bad, int64_t *sum);

/* ------------------------------------------------------------------------
 * The aging report
 * ------------------------------------------------------------------------ */

#define AGING_PAYER_MAX 800        /* bytes: a customer name of 200 characters */
#define AGING_DEALER_MAX 64

/* One row: a payer in one currency, as of a date.
 *   buckets  open invoices, by how far past due
 *   total    the sum of the buckets: what the payer owes
 *   credits  open credit notes: what is owed back to the payer
 *   unapplied received money not yet allocated to an invoice
 *   balance  total - credits - unapplied: what the payer owes, net */
typedef struct aging_row {
	char dealer_id[AGING_DEALER_MAX + 1];   /* "" for none */
	char payer_kind[9];                     /* "dealer" or "customer" */
	char payer[AGING_PAYER_MAX + 1];
	char currency[4];
	int64_t buckets[AGING_NBUCKETS];
	int64_t total;
	int64_t credits;
	int64_t unapplied;
	int64_t balance;
} aging_row;

/* Adds an open invoice amount to bucket b of row (and to total). */
money_status aging_row_add_invoice(aging_row *row, aging_bucket b, int64_t open);
/* Adds an open credit note amount to credits. */
money_status aging_row_add_credit(aging_row *row, int64_t open);
/* Adds unapplied cash. */
money_status aging_row_add_unapplied(aging_row *row, int64_t amount);
/* Computes balance from the others. */
money_status aging_row_finish(aging_row *row);

/* Sorts rows by dealer, payer kind (dealers first), payer, currency. */
void aging_rows_sort(aging_row *rows, size_t n);

/* The CSV header line, CRLF-terminated (RFC 4180):
 * dealer,payer_type,payer,currency,current,days_1_30,days_31_60,
 * days_61_90,days_over_90,total,credits,unapplied,balance */
void aging_csv_header(buf *out);
/* One row as a CSV line, amounts as plain decimals with the currency's
 * decimals ("1234.50", "-3.10", "500" for JPY). Returns 0, or -1 for an
 * unknown currency. */
int aging_csv_row(buf *out, const aging_row *row);

/* Appends s as one CSV field: quoted when it holds a comma, a quote, CR or
 * LF (quotes doubled); text starting with '=', '+', '-', '@', TAB or CR is
 * prefixed with a single quote inside the field, so a spreadsheet shows it
 * as text instead of running it as a formula. For text fields only —
 * amounts are written as they are. */
void csv_text_field(buf *out, const char *s);

#endif
