/* payments — recording, applying, refunding and reversing payments, and
 * the aging report (see payments.h). The arithmetic is receivables.c's. */
#include "billing/payments.h"
#include "storage/audit.h"
#include "base/buf.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether an invoice's buyer is its dealer (a dealer payer) or a customer,
 * in SQL: party_from_dealer (build.c) sets the buyer's party id to the
 * dealer id; a customer's party id is empty. */
#define SQL_DEALER_BUYER "(i.dealer_id IS NOT NULL AND i.buyer_party_id = i.dealer_id)"
/* Allocation row a belongs to a payment not reversed: as things stand
 * now (a reversal is never dated after today), or as of the date bound to
 * the ? (not reversed on or before it). */
#define SQL_ALLOC_LIVE "NOT EXISTS (SELECT 1 FROM payment_reversals rv " \
	"WHERE rv.payment_id = a.payment_id)"
#define SQL_ALLOC_LIVE_ON "NOT EXISTS (SELECT 1 FROM payment_reversals rv " \
	"WHERE rv.payment_id = a.payment_id AND rv.reversed_on <= ?)"
/* The open amount of invoice row i now: payable less every allocation of
 * a payment not reversed. */
#define SQL_OPEN "(i.payable - COALESCE((SELECT SUM(a.amount) FROM payment_allocations a " \
	"WHERE a.invoice_id = i.id AND " SQL_ALLOC_LIVE "), 0))"

static int
db_fail(db_conn *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, db_error(db));
	return -1;
}

static int
refuse(const char **code, const char *which, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
refuse(const char **code, const char *which, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	*code = which;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return PAYMENT_REFUSED;
}

static void
copy_col(const db_rows *r, unsigned col, char *out, size_t n)
{
	const char *s = db_rows_str(r, col);
	snprintf(out, n, "%s", s ? s : "");
}

static void
fmt_amount(int64_t amount, const char *currency, char out[32])
{
	if (money_format(amount, currency, out, 32) != MONEY_OK)
		snprintf(out, 32, "%lld", (long long)amount);
}

static date_t
date_max(date_t a, date_t b)
{
	return a > b ? a : b;
}

const char *
payment_direction_name(payment_direction d)
{
	return d == PAYMENT_REFUND ? "refund" : "received";
}

const char *
payer_kind_name(payer_kind k)
{
	return k == PAYER_CUSTOMER ? "customer" : "dealer";
}

bool
payment_method_valid(const char *method)
{
	static const char *const methods[] = {
		"transfer", "direct-debit", "card", "cash", "cheque", "other",
	};

	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(method, methods[i]) == 0)
			return true;
	return false;
}

void
payment_free(payment *p)
{
	if (p == NULL)
		return;
	free(p->allocs);
	p->allocs = NULL;
	p->nallocs = 0;
}

/* ------------------------------------------------------------------------
 * Documents: what a payment is allocated to
 * ------------------------------------------------------------------------ */

/* An invoice or credit note, locked, with its open amount. */
typedef struct doc_row {
	int64_t id;
	char number[INVOICE_NUMBER_MAX + 1];
	invoice_type type;
	char currency[4];
	char dealer_id[INVOICE_ID_MAX + 1];
	bool payer_match;      /* its buyer is the payment's payer */
	date_t issue_date;
	date_t due_date;
	int64_t open;
} doc_row;

/* Locks document number and reads it; payer_match compares its buyer with
 * p's payer the way the database compares text. Returns 1, 0 (none) or -1. */
static int
doc_lock(db_conn *db, const char *number, const payment *p, doc_row *out, char *err,
    size_t errlen)
{
	db_rows *r;
	int found;

	memset(out, 0, sizeof *out);
	r = db_query(db, "SELECT i.id, i.type, i.currency, COALESCE(i.dealer_id, ''), "
	    "IF(? = 'dealer', " SQL_DEALER_BUYER " AND i.dealer_id = ?, NOT " SQL_DEALER_BUYER
	    " AND i.buyer_name = ? AND (? = '' OR i.dealer_id = ?)), i.issue_date, i.due_date "
	    "FROM invoices i WHERE i.number = ? FOR UPDATE", "ssssss",
	    payer_kind_name(p->payer_kind), p->payer, p->payer, p->dealer_id, p->dealer_id, number);
	if (r == NULL)
		return db_fail(db, "reading the invoice", err, errlen);
	found = db_rows_next(r);
	if (found == 1) {
		out->id = db_rows_int(r, 0);
		snprintf(out->number, sizeof out->number, "%s", number);
		out->type = strcmp(db_rows_str(r, 1), "credit-note") == 0 ? INVOICE_CREDIT_NOTE :
		    INVOICE_COMMERCIAL;
		copy_col(r, 2, out->currency, sizeof out->currency);
		copy_col(r, 3, out->dealer_id, sizeof out->dealer_id);
		out->payer_match = db_rows_int(r, 4) != 0;
		db_rows_date(r, 5, &out->issue_date);
		db_rows_date(r, 6, &out->due_date);
	}
	db_rows_free(r);
	if (found < 0)
		return db_fail(db, "reading the invoice", err, errlen);
	if (found == 0)
		return 0;
	/* Read after the lock: every allocation and reversal committed before
	 * it counts. */
	if (db_query_int(db, &out->open, "SELECT " SQL_OPEN " FROM invoices i WHERE i.id = ?",
	    "i", out->id) != 1)
		return db_fail(db, "reading the invoice's payments", err, errlen);
	return 1;
}

static int
cmp_request_number(const void *a, const void *b)
{
	return strcmp(((const allocation_request *)a)->number,
	    ((const allocation_request *)b)->number);
}

static int
cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* doc_row by id, for bsearch (the key is an int64_t id). */
static int
cmp_doc_id(const void *key, const void *elem)
{
	int64_t x = *(const int64_t *)key, y = ((const doc_row *)elem)->id;
	return x < y ? -1 : x > y;
}

/* The documents the requests name, locked in number order (so two
 * payments naming the same documents lock them in the same order), each
 * checked: it exists, it is of type want, of the payer and in currency,
 * and the amounts fit (allocation_check against available). docs[i] and
 * amounts[i] receive them in that order. */
static int
resolve_requests(db_conn *db, const payment *p, const allocation_request *req, size_t n,
    invoice_type want, int64_t available, doc_row *docs, int64_t *amounts, const char **code,
    char *err, size_t errlen)
{
	allocation_request *sorted = xcalloc(n + 1, sizeof *sorted);
	int64_t *open = xcalloc(n + 1, sizeof *open), sum;
	size_t bad;
	allocation_problem ap;
	int rc = 0;
	char a[32], b[32];

	memcpy(sorted, req, n * sizeof *req);
	qsort(sorted, n, sizeof *sorted, cmp_request_number);
	for (size_t i = 0; i < n; i++) {
		int r;
		if (i > 0 && strcmp(sorted[i].number, sorted[i - 1].number) == 0) {
			rc = refuse(code, PAY_E_DUPLICATE_DOC, err, errlen,
			    "%s is named twice: give one allocation per invoice", sorted[i].number);
			goto out;
		}
		r = doc_lock(db, sorted[i].number, p, &docs[i], err, errlen);
		if (r < 0) {
			rc = -1;
			goto out;
		}
		if (r == 0) {
			rc = refuse(code, PAY_E_NO_DOCUMENT, err, errlen, "there is no invoice %s",
			    sorted[i].number);
			goto out;
		}
		if (docs[i].type != want) {
			rc = want == INVOICE_COMMERCIAL ?
			    refuse(code, PAY_E_NOT_INVOICE, err, errlen, "%s is a credit note: money "
			    "received is allocated to invoices, a credit note is refunded",
			    sorted[i].number) :
			    refuse(code, PAY_E_NOT_CREDIT_NOTE, err, errlen, "%s is not a credit note",
			    sorted[i].number);
			goto out;
		}
		if (strcmp(docs[i].currency, p->currency) != 0) {
			rc = refuse(code, PAY_E_CURRENCY, err, errlen, "%s is in %s, the payment in %s",
			    sorted[i].number, docs[i].currency, p->currency);
			goto out;
		}
		if (!docs[i].payer_match) {
			rc = refuse(code, PAY_E_OTHER_PAYER, err, errlen, "%s is not addressed to %s %s",
			    sorted[i].number, payer_kind_name(p->payer_kind), p->payer);
			goto out;
		}
		amounts[i] = sorted[i].amount;
		open[i] = docs[i].open;
	}
	ap = allocation_check(amounts, open, n, available, &bad, &sum);
	switch (ap) {
	case ALLOC_OK:
		break;
	case ALLOC_NOT_POSITIVE:
		rc = refuse(code, PAY_E_INVALID, err, errlen, "the amount for %s must be more than "
		    "zero", docs[bad].number);
		break;
	case ALLOC_OVER_OPEN:
		fmt_amount(amounts[bad], p->currency, a);
		fmt_amount(open[bad], p->currency, b);
		rc = refuse(code, PAY_E_OVER_OPEN, err, errlen, "%s %s for %s is more than its open "
		    "amount, %s %s", a, p->currency, docs[bad].number, b, p->currency);
		break;
	case ALLOC_OVER_PAYMENT:
		fmt_amount(sum, p->currency, a);
		fmt_amount(available, p->currency, b);
		rc = refuse(code, PAY_E_OVER_PAYMENT, err, errlen, "the allocations add up to %s %s, "
		    "more than the %s %s available", a, p->currency, b, p->currency);
		break;
	case ALLOC_OVERFLOW:
		rc = refuse(code, PAY_E_INVALID, err, errlen, "the allocations do not add up: too large");
		break;
	}
out:
	free(sorted);
	free(open);
	return rc;
}

/* The payer's open invoices in the payment's currency, locked, in the
 * order automatic allocation settles them. Only invoices open when the
 * lock is taken are locked; an allocation only goes away by a reversal,
 * which only opens invoices, so an invoice settled then stays settled (one
 * a reversal opens meanwhile is left for the next payment). The open
 * amounts are read after the locks, and only of the locked rows (an
 * invoice issued meanwhile is not locked, so it is left for the next
 * payment). */
static int
open_invoices(db_conn *db, const payment *p, doc_row **docs, size_t *n, char *err,
    size_t errlen)
{
	const char *kind = payer_kind_name(p->payer_kind);
	int64_t *locked = NULL;
	size_t nlocked = 0;
	db_rows *r;
	open_item *items = NULL;
	int more, rc = -1;

	*docs = NULL;
	*n = 0;
	r = db_query(db, "SELECT i.id FROM invoices i WHERE i.type = 'invoice' AND i.currency = ? "
	    "AND IF(? = 'dealer', " SQL_DEALER_BUYER " AND i.dealer_id = ?, NOT " SQL_DEALER_BUYER
	    " AND i.buyer_name = ? AND (? = '' OR i.dealer_id = ?)) AND " SQL_OPEN " > 0 "
	    "ORDER BY i.id FOR UPDATE", "ssssss", p->currency, kind, p->payer, p->payer,
	    p->dealer_id, p->dealer_id);
	if (r == NULL)
		return db_fail(db, "reading the payer's invoices", err, errlen);
	locked = xcalloc(db_rows_count(r) + 1, sizeof *locked);
	while ((more = db_rows_next(r)) == 1)
		locked[nlocked++] = db_rows_int(r, 0);
	db_rows_free(r);
	if (more < 0) {
		db_fail(db, "reading the payer's invoices", err, errlen);
		goto out;
	}
	r = db_query(db, "SELECT i.id, i.number, COALESCE(i.dealer_id, ''), i.issue_date, "
	    "i.due_date, " SQL_OPEN " FROM invoices i WHERE i.type = 'invoice' AND i.currency = ? "
	    "AND IF(? = 'dealer', " SQL_DEALER_BUYER " AND i.dealer_id = ?, NOT " SQL_DEALER_BUYER
	    " AND i.buyer_name = ? AND (? = '' OR i.dealer_id = ?)) AND " SQL_OPEN " > 0 "
	    "ORDER BY i.id", "ssssss", p->currency, kind, p->payer, p->payer, p->dealer_id,
	    p->dealer_id);
	if (r == NULL) {
		db_fail(db, "reading the payer's invoices", err, errlen);
		goto out;
	}
	*docs = xcalloc(db_rows_count(r) + 1, sizeof **docs);
	items = xcalloc(db_rows_count(r) + 1, sizeof *items);
	while ((more = db_rows_next(r)) == 1) {
		int64_t id = db_rows_int(r, 0);
		doc_row *d = &(*docs)[*n];
		if (bsearch(&id, locked, nlocked, sizeof *locked, cmp_int64) == NULL)
			continue;
		d->id = id;
		copy_col(r, 1, d->number, sizeof d->number);
		d->type = INVOICE_COMMERCIAL;
		snprintf(d->currency, sizeof d->currency, "%s", p->currency);
		copy_col(r, 2, d->dealer_id, sizeof d->dealer_id);
		d->payer_match = true;
		db_rows_date(r, 3, &d->issue_date);
		db_rows_date(r, 4, &d->due_date);
		d->open = db_rows_int(r, 5);
		items[*n] = (open_item){ .id = id, .due_date = d->due_date,
		    .issue_date = d->issue_date, .open = d->open };
		(*n)++;
	}
	db_rows_free(r);
	if (more < 0) {
		db_fail(db, "reading the payer's invoices", err, errlen);
		goto out;
	}
	/* Put the documents in allocation order: sort their open items (the
	 * row id breaks ties), then find each by id among the documents, which
	 * came ordered by id. */
	open_items_sort(items, *n);
	{
		doc_row *ordered = xcalloc(*n + 1, sizeof *ordered);
		for (size_t i = 0; i < *n; i++) {
			const doc_row *d = bsearch(&items[i].id, *docs, *n, sizeof **docs,
			    cmp_doc_id);
			ordered[i] = *d;
		}
		free(*docs);
		*docs = ordered;
	}
	rc = 0;
out:
	if (rc != 0) {
		free(*docs);
		*docs = NULL;
		*n = 0;
	}
	free(items);
	free(locked);
	return rc;
}

/* Writes the allocations amounts[i] > 0 of payment p to docs[i], dated
 * the latest of not_before and each document's issue date, and appends
 * them to p->allocs. */
static int
write_allocations(db_conn *db, payment *p, const doc_row *docs, const int64_t *amounts,
    size_t n, date_t not_before, char *err, size_t errlen)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += amounts[i] > 0;
	p->allocs = xrealloc(p->allocs, (p->nallocs + count + 1) * sizeof *p->allocs);
	for (size_t i = 0; i < n; i++) {
		payment_allocation *a;
		date_t on = date_max(not_before, docs[i].issue_date);
		if (amounts[i] <= 0)
			continue;
		if (db_exec(db, "INSERT INTO payment_allocations (payment_id, invoice_id, amount, "
		    "applied_on) VALUES (?, ?, ?, ?)", "iiiD", p->id, docs[i].id, amounts[i], on) < 0)
			return db_fail(db, "recording the allocation", err, errlen);
		a = &p->allocs[p->nallocs++];
		memset(a, 0, sizeof *a);
		snprintf(a->number, sizeof a->number, "%s", docs[i].number);
		a->type = docs[i].type;
		a->amount = amounts[i];
		a->applied_on = on;
		a->open_now = docs[i].open - amounts[i];
		p->allocated += amounts[i];
	}
	p->unapplied = p->amount - p->allocated;
	return 0;
}

/* ------------------------------------------------------------------------
 * Recording
 * ------------------------------------------------------------------------ */

/* The checks every new payment passes, and the dealer it belongs to. */
static int
check_new(db_conn *db, payment *p, date_t today, const char **code, char *err, size_t errlen)
{
	int64_t one;
	int r;
	const char *dealer = p->payer_kind == PAYER_DEALER ? p->payer : p->dealer_id;

	if (p->amount <= 0)
		return refuse(code, PAY_E_INVALID, err, errlen, "the amount must be more than zero");
	if (!currency_valid(p->currency))
		return refuse(code, PAY_E_INVALID, err, errlen, "%s is not an ISO 4217 currency",
		    p->currency);
	if (p->received_date > today)
		return refuse(code, PAY_E_INVALID, err, errlen, "the payment's date is in the "
		    "future: record it when the money has moved");
	if (p->payer[0] == '\0' || p->reference[0] == '\0')
		return refuse(code, PAY_E_INVALID, err, errlen, "a payment needs a payer and a "
		    "reference");
	if (p->payer_kind == PAYER_DEALER && strlen(p->payer) > INVOICE_ID_MAX)
		return refuse(code, PAY_E_UNKNOWN_DEALER, err, errlen, "there is no dealer %.64s...",
		    p->payer);
	if (p->method[0] == '\0')
		snprintf(p->method, sizeof p->method, "transfer");
	if (!payment_method_valid(p->method) &&
	    !(p->set_off && strcmp(p->method, PAYMENT_METHOD_SET_OFF) == 0))
		return refuse(code, PAY_E_INVALID, err, errlen, "unknown payment method '%s'",
		    p->method);
	if (dealer[0] != '\0') {
		r = db_query_int(db, &one, "SELECT 1 FROM dealers WHERE id = ?", "s", dealer);
		if (r < 0)
			return db_fail(db, "reading the dealer", err, errlen);
		if (r == 0)
			return refuse(code, PAY_E_UNKNOWN_DEALER, err, errlen, "there is no dealer %s",
			    dealer);
	}
	if (p->payer_kind == PAYER_DEALER)
		snprintf(p->dealer_id, sizeof p->dealer_id, "%.64s", p->payer);
	r = db_query_int(db, &one, "SELECT id FROM payments WHERE direction = ? AND payer_kind = ? "
	    "AND payer = ? AND reference = ?", "ssss", payment_direction_name(p->direction),
	    payer_kind_name(p->payer_kind), p->payer, p->reference);
	if (r < 0)
		return db_fail(db, "reading payments", err, errlen);
	if (r == 1)
		return refuse(code, PAY_E_DUPLICATE, err, errlen, "%s %s has a payment with "
		    "reference '%s' already: payment %lld", payer_kind_name(p->payer_kind), p->payer,
		    p->reference, (long long)one);
	return 0;
}

static int
insert_payment(db_conn *db, payment *p, const char **code, char *err, size_t errlen)
{
	if (db_exec(db, "INSERT INTO payments (direction, payer_kind, payer, dealer_id, reference, "
	    "received_date, currency, amount, method, note, created_by) VALUES (?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?)", "sssssDsisss", payment_direction_name(p->direction),
	    payer_kind_name(p->payer_kind), p->payer, p->dealer_id[0] ? p->dealer_id : NULL,
	    p->reference, p->received_date, p->currency, p->amount, p->method, p->note,
	    p->created_by) < 0) {
		if (db_errno(db) == DB_ER_DUP_ENTRY)
			return refuse(code, PAY_E_DUPLICATE, err, errlen, "%s %s has a payment with "
			    "reference '%s' already", payer_kind_name(p->payer_kind), p->payer,
			    p->reference);
		return db_fail(db, "recording the payment", err, errlen);
	}
	p->id = (int64_t)db_last_insert_id(db);
	return 0;
}

/* A customer's payment without a dealer takes the dealer of the invoices
 * it settles, when they all have the same one, so that dealer sees it. */
static void
adopt_dealer(payment *p, const doc_row *docs, const int64_t *amounts, size_t n)
{
	const char *dealer = NULL;

	if (p->payer_kind != PAYER_CUSTOMER || p->dealer_id[0] != '\0')
		return;
	for (size_t i = 0; i < n; i++) {
		if (amounts[i] <= 0)
			continue;
		if (dealer != NULL && strcmp(dealer, docs[i].dealer_id) != 0)
			return;
		dealer = docs[i].dealer_id;
	}
	if (dealer != NULL)
		snprintf(p->dealer_id, sizeof p->dealer_id, "%s", dealer);
}

int
payment_record(db_conn *db, payment *p, const allocation_request *req, size_t n,
    bool auto_allocate, date_t today, const char **code, char *err, size_t errlen)
{
	doc_row *docs = NULL;
	int64_t *amounts = NULL, left;
	size_t ndocs = 0;
	int rc;

	*code = NULL;
	p->direction = PAYMENT_RECEIVED;
	p->id = 0;
	p->allocs = NULL;
	p->nallocs = 0;
	p->allocated = 0;
	p->unapplied = p->amount;
	if (n > PAYMENT_ALLOCATIONS_MAX)
		return refuse(code, PAY_E_INVALID, err, errlen, "at most %d allocations",
		    PAYMENT_ALLOCATIONS_MAX);
	if ((rc = check_new(db, p, today, code, err, errlen)) != 0)
		return rc;
	if (n > 0) {
		docs = xcalloc(n + 1, sizeof *docs);
		amounts = xcalloc(n + 1, sizeof *amounts);
		ndocs = n;
		rc = resolve_requests(db, p, req, n, INVOICE_COMMERCIAL, p->amount, docs, amounts,
		    code, err, errlen);
	} else if (auto_allocate) {
		rc = open_invoices(db, p, &docs, &ndocs, err, errlen);
		if (rc == 0) {
			open_item *items = xcalloc(ndocs + 1, sizeof *items);
			amounts = xcalloc(ndocs + 1, sizeof *amounts);
			for (size_t i = 0; i < ndocs; i++)
				items[i] = (open_item){ docs[i].id, docs[i].due_date, docs[i].issue_date,
				    docs[i].open };
			/* docs are in allocation order already */
			allocate_oldest_first(items, ndocs, p->amount, amounts, &left);
			free(items);
		}
	}
	if (rc != 0)
		goto out;
	adopt_dealer(p, docs, amounts, ndocs);
	if ((rc = insert_payment(db, p, code, err, errlen)) != 0)
		goto out;
	rc = write_allocations(db, p, docs, amounts, ndocs, p->received_date, err, errlen);
out:
	free(docs);
	free(amounts);
	if (rc != 0)
		payment_free(p);
	return rc;
}

int
payment_apply(db_conn *db, int64_t id, const allocation_request *req, size_t n, date_t today,
    payment *out, const char **code, char *err, size_t errlen)
{
	doc_row *docs = NULL;
	int64_t *amounts = NULL, left, locked;
	size_t ndocs = 0;
	int rc;

	*code = NULL;
	memset(out, 0, sizeof *out);
	if (n > PAYMENT_ALLOCATIONS_MAX)
		return refuse(code, PAY_E_INVALID, err, errlen, "at most %d allocations",
		    PAYMENT_ALLOCATIONS_MAX);
	rc = db_query_int(db, &locked, "SELECT id FROM payments WHERE id = ? AND "
	    "direction = 'received' FOR UPDATE", "i", id);
	if (rc < 0)
		return db_fail(db, "reading the payment", err, errlen);
	if (rc == 0)
		return refuse(code, PAY_E_NOT_FOUND, err, errlen, "there is no received payment %lld",
		    (long long)id);
	if ((rc = payment_load(db, id, NULL, out, err, errlen)) != 1)
		return rc == 0 ? refuse(code, PAY_E_NOT_FOUND, err, errlen, "there is no payment %lld",
		    (long long)id) : -1;
	if (out->reversed) {
		char d[DATE_STR_LEN + 1];
		date_format(out->reversed_on, d);
		rc = refuse(code, PAY_E_REVERSED, err, errlen, "payment %lld was reversed on %s: "
		    "it has no cash left to apply", (long long)id, d);
		goto out;
	}
	if (out->unapplied <= 0) {
		rc = refuse(code, PAY_E_NOTHING, err, errlen, "payment %lld has no unapplied amount "
		    "left", (long long)id);
		goto out;
	}
	if (n > 0) {
		docs = xcalloc(n + 1, sizeof *docs);
		amounts = xcalloc(n + 1, sizeof *amounts);
		ndocs = n;
		rc = resolve_requests(db, out, req, n, INVOICE_COMMERCIAL, out->unapplied, docs,
		    amounts, code, err, errlen);
	} else {
		rc = open_invoices(db, out, &docs, &ndocs, err, errlen);
		if (rc == 0) {
			open_item *items = xcalloc(ndocs + 1, sizeof *items);
			amounts = xcalloc(ndocs + 1, sizeof *amounts);
			for (size_t i = 0; i < ndocs; i++)
				items[i] = (open_item){ docs[i].id, docs[i].due_date, docs[i].issue_date,
				    docs[i].open };
			allocate_oldest_first(items, ndocs, out->unapplied, amounts, &left);
			free(items);
			if (left == out->unapplied)
				rc = refuse(code, PAY_E_NOTHING, err, errlen, "%s %s has no open invoice "
				    "in %s to apply payment %lld to", payer_kind_name(out->payer_kind),
				    out->payer, out->currency, (long long)id);
		}
	}
	if (rc != 0)
		goto out;
	rc = write_allocations(db, out, docs, amounts, ndocs, date_max(today, out->received_date),
	    err, errlen);
out:
	free(docs);
	free(amounts);
	if (rc != 0)
		payment_free(out);
	return rc;
}

int
payment_refund(db_conn *db, const char *number, payment *p, date_t today, const char **code,
    char *err, size_t errlen)
{
	doc_row doc;
	db_rows *r;
	int64_t amount;
	int rc, found;

	*code = NULL;
	p->direction = PAYMENT_REFUND;
	p->id = 0;
	p->allocs = NULL;
	p->nallocs = 0;
	p->allocated = 0;
	/* The payer is the credit note's buyer. */
	r = db_query(db, "SELECT IF(" SQL_DEALER_BUYER ", 'dealer', 'customer'), "
	    "IF(" SQL_DEALER_BUYER ", i.dealer_id, i.buyer_name), COALESCE(i.dealer_id, '') "
	    "FROM invoices i WHERE i.number = ?", "s", number);
	if (r == NULL)
		return db_fail(db, "reading the credit note", err, errlen);
	found = db_rows_next(r);
	if (found == 1) {
		p->payer_kind = strcmp(db_rows_str(r, 0), "dealer") == 0 ? PAYER_DEALER :
		    PAYER_CUSTOMER;
		copy_col(r, 1, p->payer, sizeof p->payer);
		copy_col(r, 2, p->dealer_id, sizeof p->dealer_id);
	}
	db_rows_free(r);
	if (found < 0)
		return db_fail(db, "reading the credit note", err, errlen);
	if (found == 0)
		return refuse(code, PAY_E_NO_DOCUMENT, err, errlen, "there is no credit note %s",
		    number);
	if ((rc = check_new(db, p, today, code, err, errlen)) != 0)
		return rc;
	{
		allocation_request req;
		snprintf(req.number, sizeof req.number, "%s", number);
		req.amount = p->amount;
		rc = resolve_requests(db, p, &req, 1, INVOICE_CREDIT_NOTE, p->amount, &doc, &amount,
		    code, err, errlen);
	}
	if (rc == PAYMENT_REFUSED && strcmp(*code, PAY_E_OVER_OPEN) == 0) {
		char a[32], b[32];
		fmt_amount(p->amount, p->currency, a);
		fmt_amount(doc.open, p->currency, b);
		snprintf(err, errlen, "a refund of %s %s is more than credit note %s has open, "
		    "%s %s", a, p->currency, number, b, p->currency);
	}
	if (rc != 0)
		return rc;
	/* Money cannot be paid back on a credit note not issued yet (and the
	 * journal would book it before the credit it settles). */
	if (p->received_date < doc.issue_date) {
		char d[DATE_STR_LEN + 1];
		date_format(doc.issue_date, d);
		return refuse(code, PAY_E_INVALID, err, errlen, "credit note %s was issued on %s: "
		    "it cannot be paid back or set off before", number, d);
	}
	if ((rc = insert_payment(db, p, code, err, errlen)) != 0)
		return rc;
	rc = write_allocations(db, p, &doc, &amount, 1, p->received_date, err, errlen);
	if (rc != 0)
		payment_free(p);
	return rc;
}

int
payment_set_off(db_conn *db, const char *number, payment *p, const allocation_request *req,
    size_t n, date_t today, payment *received, const char **code, char *err, size_t errlen)
{
	int rc;

	memset(received, 0, sizeof *received);
	p->set_off = true;
	snprintf(p->method, sizeof p->method, "%s", PAYMENT_METHOD_SET_OFF);
	if (p->note[0] == '\0')
		snprintf(p->note, sizeof p->note, "set-off of credit note %s", number);
	if ((rc = payment_refund(db, number, p, today, code, err, errlen)) != 0)
		return rc;
	/* The received half: the same buyer, reference, date and amount. */
	received->direction = PAYMENT_RECEIVED;
	received->set_off = true;
	received->payer_kind = p->payer_kind;
	snprintf(received->payer, sizeof received->payer, "%s", p->payer);
	snprintf(received->dealer_id, sizeof received->dealer_id, "%s", p->dealer_id);
	snprintf(received->reference, sizeof received->reference, "%s", p->reference);
	received->received_date = p->received_date;
	snprintf(received->currency, sizeof received->currency, "%s", p->currency);
	received->amount = p->amount;
	snprintf(received->method, sizeof received->method, "%s", PAYMENT_METHOD_SET_OFF);
	snprintf(received->note, sizeof received->note, "%s", p->note);
	snprintf(received->created_by, sizeof received->created_by, "%s", p->created_by);
	if ((rc = payment_record(db, received, req, n, true, today, code, err, errlen)) != 0)
		return rc;
	if (received->unapplied > 0) {
		char a[32], b[32];
		fmt_amount(p->amount, p->currency, a);
		fmt_amount(received->allocated, p->currency, b);
		return refuse(code, PAY_E_SET_OFF_UNMATCHED, err, errlen, "a set-off of %s %s "
		    "needs as much open on %s's invoices in %s%s; %s %s were found", a,
		    p->currency, p->payer, p->currency, n ? " as named" : "", b, p->currency);
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Reversing
 * ------------------------------------------------------------------------ */

/* The reason of a reversal as it is stored, into out (outlen bytes): white
 * space (space, tab, CR, LF) at either end dropped, each run of it inside
 * made one space. Returns the number of characters; -1 when in is not
 * UTF-8 or holds another control character (C0, DEL, C1) or a noncharacter
 * XML cannot carry (U+FFFE, U+FFFF); -2 when it does not fit out. */
static long
reason_normalize(const char *in, char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = 0;
	long chars = 0;
	bool space = false;

	while (*s != '\0') {
		unsigned c = *s;
		size_t len;
		uint32_t cp;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = n > 0;
			s++;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c < 0x80) {
			len = 1;
			cp = c;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return -1;
		}
		/* A NUL is no continuation byte: this never reads past the end. */
		for (size_t i = 1; i < len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0x80 && cp < 0xa0) || cp == 0xfffe || cp == 0xffff)
			return -1;
		if (n + (space ? 1 : 0) + len + 1 > outlen)
			return -2;
		if (space) {
			out[n++] = ' ';
			chars++;
			space = false;
		}
		memcpy(out + n, s, len);
		n += len;
		s += len;
		chars++;
	}
	out[n] = '\0';
	return chars;
}

int
payment_reverse(db_conn *db, int64_t id, date_t reversed_on, const char *reason,
    const char *actor, date_t today, payment *out, payment *other, const char **code,
    char *err, size_t errlen)
{
	char why[PAYMENT_REASON_MAX + 1], day[DATE_STR_LEN + 1], doc[INVOICE_NUMBER_MAX + 1] = "";
	int64_t ids[2] = { id, id }, n;
	date_t received = 0, latest = 0;
	bool refund = false, have_latest = false;
	db_rows *r;
	int found, more, rc;
	long chars;

	*code = NULL;
	memset(out, 0, sizeof *out);
	memset(other, 0, sizeof *other);
	/* The payment and, for a set-off, its other half: the same payer and
	 * reference, the other direction (unique per payer and direction).
	 * Payment rows never change, so they are read first and then locked,
	 * in id order. */
	r = db_query(db, "SELECT p.received_date, p.direction = 'refund', IF(p.method = 'set-off', "
	    "(SELECT MIN(h.id) FROM payments h WHERE h.method = 'set-off' AND h.direction <> "
	    "p.direction AND h.payer_kind = p.payer_kind AND h.payer = p.payer AND h.reference = "
	    "p.reference), NULL) FROM payments p WHERE p.id = ?", "i", id);
	if (r == NULL)
		return db_fail(db, "reading the payment", err, errlen);
	found = db_rows_next(r);
	if (found == 1) {
		db_rows_date(r, 0, &received);
		refund = db_rows_int(r, 1) != 0;
		if (!db_rows_isnull(r, 2))
			ids[1] = db_rows_int(r, 2);
	}
	db_rows_free(r);
	if (found < 0)
		return db_fail(db, "reading the payment", err, errlen);
	if (found == 0)
		return refuse(code, PAY_E_NOT_FOUND, err, errlen, "there is no payment %lld",
		    (long long)id);
	r = db_query(db, "SELECT id FROM payments WHERE id IN (?, ?) ORDER BY id FOR UPDATE", "ii",
	    ids[0], ids[1]);
	if (r == NULL)
		return db_fail(db, "locking the payment", err, errlen);
	db_rows_free(r);
	/* After the lock: a reversal committed meanwhile is seen. */
	if (db_query_int(db, &n, "SELECT COUNT(*) FROM payment_reversals WHERE payment_id IN (?, ?)",
	    "ii", ids[0], ids[1]) != 1)
		return db_fail(db, "reading the payment's reversal", err, errlen);
	if (n > 0)
		return refuse(code, PAY_E_ALREADY_REVERSED, err, errlen, "payment %lld is reversed "
		    "already", (long long)id);

	chars = reason_normalize(reason ? reason : "", why, sizeof why);
	if (chars == -1)
		return refuse(code, PAY_E_INVALID, err, errlen, "the reason must be text: UTF-8 "
		    "without control characters");
	if (chars == -2 || chars > 500)
		return refuse(code, PAY_E_INVALID, err, errlen, "the reason is at most 500 "
		    "characters");
	if (chars == 0)
		return refuse(code, PAY_E_INVALID, err, errlen, "a reversal needs a reason: why the "
		    "payment is undone");
	if (reversed_on > today)
		return refuse(code, PAY_E_INVALID, err, errlen, "the reversal's date is in the "
		    "future: reverse the payment when it is undone");
	if (reversed_on < received) {
		date_format(received, day);
		return refuse(code, PAY_E_INVALID, err, errlen, "payment %lld was %s on %s: it "
		    "cannot be reversed before", (long long)id, refund ? "paid out" : "received",
		    day);
	}
	/* The latest allocation: the reversal ends what it settles, so it
	 * cannot come before it counts. */
	r = db_query(db, "SELECT a.applied_on, i.number FROM payment_allocations a "
	    "JOIN invoices i ON i.id = a.invoice_id WHERE a.payment_id IN (?, ?) "
	    "ORDER BY a.applied_on DESC, a.id DESC LIMIT 1", "ii", ids[0], ids[1]);
	if (r == NULL)
		return db_fail(db, "reading the payment's allocations", err, errlen);
	more = db_rows_next(r);
	if (more == 1) {
		have_latest = db_rows_date(r, 0, &latest) == 0;
		copy_col(r, 1, doc, sizeof doc);
	}
	db_rows_free(r);
	if (more < 0)
		return db_fail(db, "reading the payment's allocations", err, errlen);
	if (have_latest && reversed_on < latest) {
		date_format(latest, day);
		return refuse(code, PAY_E_INVALID, err, errlen, "the allocation of payment %lld to "
		    "%s counts from %s: it cannot be reversed before", (long long)id, doc, day);
	}
	/* Lock the documents it settles (lock order: payments, documents), so
	 * a payment allocating to one now waits and reads the open amount
	 * the reversal leaves. */
	r = db_query(db, "SELECT i.id FROM invoices i WHERE i.id IN (SELECT a.invoice_id FROM "
	    "payment_allocations a WHERE a.payment_id IN (?, ?)) ORDER BY i.id FOR UPDATE", "ii",
	    ids[0], ids[1]);
	if (r == NULL)
		return db_fail(db, "locking the payment's documents", err, errlen);
	db_rows_free(r);
	for (int k = 0; k < (ids[1] != ids[0] ? 2 : 1); k++) {
		if (db_exec(db, "INSERT INTO payment_reversals (payment_id, reversed_on, reason, "
		    "created_by) VALUES (?, ?, ?, ?)", "iDss", ids[k], reversed_on, why,
		    actor ? actor : "") < 0) {
			if (db_errno(db) == DB_ER_DUP_ENTRY)
				return refuse(code, PAY_E_ALREADY_REVERSED, err, errlen, "payment %lld is "
				    "reversed already", (long long)id);
			return db_fail(db, "recording the reversal", err, errlen);
		}
	}
	if ((rc = payment_load(db, id, NULL, out, err, errlen)) != 1)
		return rc == 0 ? db_fail(db, "reading the reversed payment", err, errlen) : -1;
	if (ids[1] != ids[0] &&
	    (rc = payment_load(db, ids[1], NULL, other, err, errlen)) != 1) {
		payment_free(out);
		return rc == 0 ? db_fail(db, "reading the set-off's other half", err, errlen) : -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

static void
payment_from_row(const db_rows *r, payment *p)
{
	memset(p, 0, sizeof *p);
	p->id = db_rows_int(r, 0);
	p->direction = strcmp(db_rows_str(r, 1), "refund") == 0 ? PAYMENT_REFUND :
	    PAYMENT_RECEIVED;
	p->payer_kind = strcmp(db_rows_str(r, 2), "customer") == 0 ? PAYER_CUSTOMER :
	    PAYER_DEALER;
	copy_col(r, 3, p->payer, sizeof p->payer);
	copy_col(r, 4, p->dealer_id, sizeof p->dealer_id);
	copy_col(r, 5, p->reference, sizeof p->reference);
	db_rows_date(r, 6, &p->received_date);
	copy_col(r, 7, p->currency, sizeof p->currency);
	p->amount = db_rows_int(r, 8);
	copy_col(r, 9, p->method, sizeof p->method);
	copy_col(r, 10, p->note, sizeof p->note);
	copy_col(r, 11, p->created_by, sizeof p->created_by);
	copy_col(r, 12, p->created_at, sizeof p->created_at);
	p->allocated = db_rows_int(r, 13);
	p->unapplied = p->amount - p->allocated;
	if (!db_rows_isnull(r, 14)) {
		/* Reversed: none of it counts now, neither its allocations nor
		 * what was unapplied. */
		p->reversed = true;
		db_rows_date(r, 14, &p->reversed_on);
		copy_col(r, 15, p->reversal_reason, sizeof p->reversal_reason);
		copy_col(r, 16, p->reversed_by, sizeof p->reversed_by);
		p->allocated = 0;
		p->unapplied = 0;
	}
}

/* A payment's columns (payment_from_row) from PAYMENT_FROM. Column 13 is
 * the sum of its allocations, which payment_from_row counts only when
 * there is no reversal (columns 14-16). */
#define PAYMENT_COLUMNS "p.id, p.direction, p.payer_kind, p.payer, COALESCE(p.dealer_id, ''), " \
	"p.reference, p.received_date, p.currency, p.amount, p.method, p.note, p.created_by, " \
	"p.created_at, COALESCE((SELECT SUM(a.amount) FROM payment_allocations a " \
	"WHERE a.payment_id = p.id), 0), pr.reversed_on, pr.reason, pr.created_by"
#define PAYMENT_FROM "payments p LEFT JOIN payment_reversals pr ON pr.payment_id = p.id"

int
payment_load(db_conn *db, int64_t id, const char *dealer_id, payment *out, char *err,
    size_t errlen)
{
	db_rows *r;
	int found, more;

	memset(out, 0, sizeof *out);
	r = db_query(db, "SELECT " PAYMENT_COLUMNS " FROM " PAYMENT_FROM " WHERE p.id = ? "
	    "AND (? IS NULL OR p.dealer_id = ?)", "iss", id, dealer_id, dealer_id);
	if (r == NULL)
		return db_fail(db, "reading the payment", err, errlen);
	found = db_rows_next(r);
	if (found == 1)
		payment_from_row(r, out);
	db_rows_free(r);
	if (found <= 0)
		return found < 0 ? db_fail(db, "reading the payment", err, errlen) : 0;
	r = db_query(db, "SELECT i.number, i.type, pa.amount, pa.applied_on, " SQL_OPEN " "
	    "FROM payment_allocations pa JOIN invoices i ON i.id = pa.invoice_id "
	    "WHERE pa.payment_id = ? ORDER BY pa.id", "i", id);
	if (r == NULL)
		return db_fail(db, "reading the payment's allocations", err, errlen);
	out->allocs = xcalloc(db_rows_count(r) + 1, sizeof *out->allocs);
	while ((more = db_rows_next(r)) == 1) {
		payment_allocation *a = &out->allocs[out->nallocs++];
		copy_col(r, 0, a->number, sizeof a->number);
		a->type = strcmp(db_rows_str(r, 1), "credit-note") == 0 ? INVOICE_CREDIT_NOTE :
		    INVOICE_COMMERCIAL;
		a->amount = db_rows_int(r, 2);
		db_rows_date(r, 3, &a->applied_on);
		a->open_now = db_rows_int(r, 4);
	}
	db_rows_free(r);
	if (more < 0) {
		payment_free(out);
		return db_fail(db, "reading the payment's allocations", err, errlen);
	}
	return 1;
}

int
payment_list(db_conn *db, const payment_filter *f, payment **out, size_t *n, char *err,
    size_t errlen)
{
	date_t from = f->from, to = f->to;
	db_rows *r;
	int more;

	*out = NULL;
	*n = 0;
	if (from == 0)
		date_from_ymd(1, 1, 1, &from);
	if (to == 0)
		date_from_ymd(9999, 12, 31, &to);
	r = db_query(db, "SELECT " PAYMENT_COLUMNS " FROM " PAYMENT_FROM " WHERE (? IS NULL OR "
	    "p.dealer_id = ?) AND p.received_date BETWEEN ? AND ? ORDER BY p.id DESC LIMIT ?",
	    "ssDDi", f->dealer_id, f->dealer_id, from, to, f->limit > 0 ? f->limit : (int64_t)1000);
	if (r == NULL)
		return db_fail(db, "reading payments", err, errlen);
	*out = xcalloc(db_rows_count(r) + 1, sizeof **out);
	while ((more = db_rows_next(r)) == 1)
		payment_from_row(r, &(*out)[(*n)++]);
	db_rows_free(r);
	if (more < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return db_fail(db, "reading payments", err, errlen);
	}
	return 0;
}

int
payment_audit(db_conn *db, const char *actor, const char *action, const payment *p, char *err,
    size_t errlen)
{
	buf detail, list;
	char amount[32], id[24], date[DATE_STR_LEN + 1];
	int rc;

	buf_init(&detail, 0);
	buf_init(&list, 0);
	snprintf(id, sizeof id, "%lld", (long long)p->id);
	fmt_amount(p->amount, p->currency, amount);
	date_format(p->received_date, date);
	audit_detail_add(&detail, "direction", payment_direction_name(p->direction));
	audit_detail_add(&detail, "payer_kind", payer_kind_name(p->payer_kind));
	audit_detail_add(&detail, "payer", p->payer);
	audit_detail_add(&detail, "dealer", p->dealer_id[0] ? p->dealer_id : NULL);
	audit_detail_add(&detail, "reference", p->reference);
	audit_detail_add(&detail, "date", date);
	audit_detail_add(&detail, "amount", amount);
	audit_detail_add(&detail, "currency", p->currency);
	for (size_t i = 0; i < p->nallocs; i++) {
		fmt_amount(p->allocs[i].amount, p->currency, amount);
		buf_printf(&list, "%s%s:%s", i ? ";" : "", p->allocs[i].number, amount);
	}
	audit_detail_add(&detail, "allocations", list.data ? list.data : "");
	fmt_amount(p->unapplied, p->currency, amount);
	audit_detail_add(&detail, "unapplied", amount);
	if (p->reversed) {
		/* What the reversal undid: the allocations above and the cash
		 * that was unapplied. */
		int64_t allocated = 0;
		for (size_t i = 0; i < p->nallocs; i++)
			allocated += p->allocs[i].amount;
		date_format(p->reversed_on, date);
		audit_detail_add(&detail, "reversed_on", date);
		audit_detail_add(&detail, "reason", p->reversal_reason);
		fmt_amount(p->amount - allocated, p->currency, amount);
		audit_detail_add(&detail, "unapplied_reversed", amount);
	}
	rc = audit_append(db, actor, action, "payment", id, detail.data, err, errlen);
	buf_free(&detail);
	buf_free(&list);
	return rc;
}

/* ------------------------------------------------------------------------
 * Aging
 * ------------------------------------------------------------------------ */

static bool
same_key(const aging_row *a, const char *dealer, const char *kind, const char *payer,
    const char *currency)
{
	return strcmp(a->dealer_id, dealer) == 0 && strcmp(a->payer_kind, kind) == 0 &&
	    strcmp(a->payer, payer) == 0 && strcmp(a->currency, currency) == 0;
}

/* The row for the key: the last row when it has the key (the queries
 * return rows grouped by key), else a new one at the end. */
static aging_row *
row_for(aging_row **rows, size_t *n, size_t *cap, const db_rows *r)
{
	const char *dealer = db_rows_str(r, 0), *kind = db_rows_str(r, 1),
	    *payer = db_rows_str(r, 2), *currency = db_rows_str(r, 3);
	aging_row *row;

	dealer = dealer ? dealer : "";
	payer = payer ? payer : "";
	if (*n > 0 && same_key(&(*rows)[*n - 1], dealer, kind, payer, currency))
		return &(*rows)[*n - 1];
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*rows = xrealloc(*rows, *cap * sizeof **rows);
	}
	row = &(*rows)[(*n)++];
	memset(row, 0, sizeof *row);
	snprintf(row->dealer_id, sizeof row->dealer_id, "%s", dealer);
	snprintf(row->payer_kind, sizeof row->payer_kind, "%s", kind);
	snprintf(row->payer, sizeof row->payer, "%s", payer);
	snprintf(row->currency, sizeof row->currency, "%s", currency);
	return row;
}

/* Merges rows with the same key (after sorting) into one. */
static size_t
merge_rows(aging_row *rows, size_t n)
{
	size_t out = 0;

	aging_rows_sort(rows, n);
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && same_key(&rows[out - 1], rows[i].dealer_id, rows[i].payer_kind,
		    rows[i].payer, rows[i].currency)) {
			aging_row *t = &rows[out - 1];
			for (int b = 0; b < AGING_NBUCKETS; b++)
				money_add(t->buckets[b], rows[i].buckets[b], &t->buckets[b]);
			money_add(t->total, rows[i].total, &t->total);
			money_add(t->credits, rows[i].credits, &t->credits);
			money_add(t->unapplied, rows[i].unapplied, &t->unapplied);
			continue;
		}
		if (out != i)
			rows[out] = rows[i];
		out++;
	}
	return out;
}

int
aging_report(db_conn *db, date_t as_of, const char *dealer_id, aging_row **rows, size_t *n,
    char *err, size_t errlen)
{
	size_t cap = 0;
	db_rows *r;
	int more;

	*rows = NULL;
	*n = 0;
	/* Every document issued by as_of that was open on as_of, grouped by
	 * key (binary order, as strcmp groups): its allocations applied by
	 * then, of payments not reversed by then. */
	r = db_query(db, "SELECT dealer, kind, payer, currency, type, due_date, open_amount FROM ("
	    "SELECT COALESCE(i.dealer_id, '') AS dealer, "
	    "IF(" SQL_DEALER_BUYER ", 'dealer', 'customer') AS kind, "
	    "IF(" SQL_DEALER_BUYER ", i.dealer_id, i.buyer_name) AS payer, i.currency, i.type, "
	    "i.due_date, i.payable - COALESCE((SELECT SUM(a.amount) FROM payment_allocations a "
	    "WHERE a.invoice_id = i.id AND a.applied_on <= ? AND " SQL_ALLOC_LIVE_ON "), 0) "
	    "AS open_amount FROM invoices i WHERE i.issue_date <= ? AND (? IS NULL OR "
	    "i.dealer_id = ?)) o WHERE open_amount <> 0 ORDER BY CAST(dealer AS BINARY), kind, "
	    "CAST(payer AS BINARY), currency", "DDDss", as_of, as_of, as_of, dealer_id, dealer_id);
	if (r == NULL)
		return db_fail(db, "reading open invoices", err, errlen);
	while ((more = db_rows_next(r)) == 1) {
		aging_row *row = row_for(rows, n, &cap, r);
		date_t due = 0;
		int64_t open = db_rows_int(r, 6);
		db_rows_date(r, 5, &due);
		if (strcmp(db_rows_str(r, 4), "credit-note") == 0)
			aging_row_add_credit(row, open);
		else
			aging_row_add_invoice(row, aging_bucket_of(due, as_of), open);
	}
	db_rows_free(r);
	if (more < 0)
		goto failed;
	/* Money received by as_of and not allocated by then, of payments not
	 * reversed by then (a reversed payment's cash is gone). */
	r = db_query(db, "SELECT dealer, payer_kind, payer, currency, SUM(unapplied) FROM ("
	    "SELECT COALESCE(p.dealer_id, '') AS dealer, p.payer_kind, p.payer, p.currency, "
	    "p.amount - COALESCE((SELECT SUM(a.amount) FROM payment_allocations a "
	    "WHERE a.payment_id = p.id AND a.applied_on <= ?), 0) AS unapplied "
	    "FROM payments p WHERE p.direction = 'received' AND p.received_date <= ? "
	    "AND NOT EXISTS (SELECT 1 FROM payment_reversals rv WHERE rv.payment_id = p.id "
	    "AND rv.reversed_on <= ?) AND (? IS NULL OR p.dealer_id = ?)) u WHERE unapplied <> 0 "
	    "GROUP BY CAST(dealer AS BINARY), payer_kind, CAST(payer AS BINARY), currency",
	    "DDDss", as_of, as_of, as_of, dealer_id, dealer_id);
	if (r == NULL)
		goto failed;
	while ((more = db_rows_next(r)) == 1) {
		/* A row of its own each time (merged below): the groups of this
		 * query need not follow the first query's order. */
		aging_row *row;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*rows = xrealloc(*rows, cap * sizeof **rows);
		}
		row = &(*rows)[(*n)++];
		memset(row, 0, sizeof *row);
		copy_col(r, 0, row->dealer_id, sizeof row->dealer_id);
		copy_col(r, 1, row->payer_kind, sizeof row->payer_kind);
		copy_col(r, 2, row->payer, sizeof row->payer);
		copy_col(r, 3, row->currency, sizeof row->currency);
		aging_row_add_unapplied(row, db_rows_int(r, 4));
	}
	db_rows_free(r);
	if (more < 0)
		goto failed;
	*n = merge_rows(*rows, *n);
	for (size_t i = 0; i < *n; i++)
		aging_row_finish(&(*rows)[i]);
	return 0;
failed:
	free(*rows);
	*rows = NULL;
	*n = 0;
	return db_fail(db, "reading payments", err, errlen);
}

char *
aging_report_csv(db_conn *db, date_t as_of, const char *dealer_id, size_t *len, char *err,
    size_t errlen)
{
	aging_row *rows;
	size_t n;
	buf out;

	if (aging_report(db, as_of, dealer_id, &rows, &n, err, errlen) != 0)
		return NULL;
	buf_init(&out, 0);
	aging_csv_header(&out);
	for (size_t i = 0; i < n; i++)
		aging_csv_row(&out, &rows[i]);
	free(rows);
	return buf_detach(&out, len);
}
