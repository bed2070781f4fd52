/* payments — money received against invoices, unapplied cash, refunds of
 * credit notes, reversals, and the aging of what is open (tables of
 * migrations 0005 and 0009).
 *
 * The model. A payment is money that moved, in one currency, on one date,
 * with a reference (the bank's): received from a payer, or refunded to
 * one. A payer is a dealer (by id) or a customer (by the name on the
 * invoices). Part of a payment is allocated to a document:
 *
 *   received  allocations settle invoices of the payer, in the payment's
 *             currency. A payment can be full (it settles the invoice), partial
 *             (the invoice stays open for the rest) or over (the excess stays
 *             on the payment as unapplied cash, which payment_apply allocates
 *             later, to invoices issued since for instance);
 *   refund    one allocation settles (part of) a credit note: the money paid
 *             back to its buyer.
 *
 * A document's open amount is its payable amount less its allocations — for
 * an invoice what the buyer still owes, for a credit note what is still
 * owed to the buyer. Nothing here ever updates or deletes a row: a payment
 * and its allocations, once recorded, stay as they are (a mistake is
 * corrected with a new document, as invoices are). The document that
 * undoes a payment is its reversal (payment_reverse): a bounced direct
 * debit, a cheque returned unpaid, money booked to the wrong payer.
 *
 * Each allocation counts from its applied_on date: the latest of the
 * payment's date, the document's issue date and, for unapplied cash
 * applied later, the day it was applied. That is what makes the aging
 * report as of a past date show what was open on that date. A reversal
 * dated D ends it: from D on no allocation of the reversed payment counts
 * (the documents it settled are open again by what it settled) and its
 * unapplied cash is gone; as of a day before D nothing changes. The open
 * amounts documents are locked by for new allocations never count an
 * allocation of a reversed payment (D is never after today).
 *
 * Transactions and locks. Every function that writes runs inside the
 * caller's transaction and never commits; the caller appends the audit
 * record last (payment_audit) and commits. The documents a payment touches
 * are locked (SELECT ... FOR UPDATE) before their open amounts are read, so
 * two payments can never together allocate more than a document has open.
 * Lock order: the payment row (rows, in id order: a set-off's halves), then
 * documents (in number order for named ones, in id order otherwise), then
 * the audit chain head.
 *
 * Returns: 0 done; PAYMENT_REFUSED a business refusal, with a stable code
 * (*code, a static string) and a message for people in err; -1 a database
 * error (message in err; db_retryable says whether to run the whole
 * transaction again). On anything but 0 the caller rolls back. */
#ifndef CD_BILLING_PAYMENTS_H
#define CD_BILLING_PAYMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "billing/invoice.h"
#include "billing/receivables.h"
#include "storage/db.h"

#define PAYMENT_REFUSED 1

#define PAYMENT_REFERENCE_MAX 256   /* bytes: 64 characters */
#define PAYMENT_METHOD_MAX 16
#define PAYMENT_NOTE_MAX 2000       /* bytes: 500 characters */
#define PAYMENT_ALLOCATIONS_MAX 1000

/* The refusal codes (*code). */
#define PAY_E_INVALID "invalid-payment"            /* amount, date, currency, payer */
#define PAY_E_UNKNOWN_DEALER "unknown-dealer"
#define PAY_E_DUPLICATE "duplicate-reference"      /* the payer's reference is recorded */
#define PAY_E_NO_DOCUMENT "invoice-not-found"
#define PAY_E_NOT_INVOICE "not-an-invoice"         /* received money on a credit note */
#define PAY_E_NOT_CREDIT_NOTE "not-a-credit-note"  /* a refund of an invoice */
#define PAY_E_OTHER_PAYER "not-the-payers-invoice"
#define PAY_E_CURRENCY "currency-mismatch"
#define PAY_E_OVER_OPEN "over-allocation"          /* more than the document has open */
#define PAY_E_OVER_PAYMENT "over-payment-amount"   /* allocations above the payment */
#define PAY_E_DUPLICATE_DOC "duplicate-allocation" /* a document named twice */
#define PAY_E_NOTHING "nothing-to-apply"           /* no unapplied cash left */
#define PAY_E_NOT_FOUND "payment-not-found"
#define PAY_E_SET_OFF_UNMATCHED "set-off-unmatched"  /* the invoices have less open */
#define PAY_E_ALREADY_REVERSED "already-reversed"    /* a reversal of a reversed payment */
#define PAY_E_REVERSED "payment-reversed"            /* applying a reversed payment's cash */

#define PAYMENT_REASON_MAX 2000     /* bytes: 500 characters */

/* The method of both halves of a set-off: no money moved. */
#define PAYMENT_METHOD_SET_OFF "set-off"

typedef enum payment_direction {
	PAYMENT_RECEIVED = 0,
	PAYMENT_REFUND,
} payment_direction;

typedef enum payer_kind {
	PAYER_DEALER = 0,
	PAYER_CUSTOMER,
} payer_kind;

const char *payment_direction_name(payment_direction d);   /* "received", "refund" */
const char *payer_kind_name(payer_kind k);                 /* "dealer", "customer" */
/* The accepted methods: transfer, direct-debit, card, cash, cheque, other. */
bool payment_method_valid(const char *method);

/* One allocation of a payment, as recorded. */
typedef struct payment_allocation {
	char number[INVOICE_NUMBER_MAX + 1];
	invoice_type type;
	int64_t amount;
	date_t applied_on;
	int64_t open_now;     /* the document's open amount after every allocation so far */
} payment_allocation;

typedef struct payment {
	int64_t id;
	payment_direction direction;
	payer_kind payer_kind;
	char payer[AGING_PAYER_MAX + 1];        /* dealer id or customer name */
	char dealer_id[INVOICE_ID_MAX + 1];     /* "" when not known (customers) */
	char reference[PAYMENT_REFERENCE_MAX + 1];
	date_t received_date;
	char currency[4];
	int64_t amount;                         /* > 0 */
	char method[PAYMENT_METHOD_MAX + 1];    /* "" means transfer */
	char note[PAYMENT_NOTE_MAX + 1];
	char created_by[AGING_PAYER_MAX + 1];   /* the actor */
	char created_at[32];                    /* UTC, as stored */
	int64_t allocated;                      /* the sum of allocations; 0 when reversed */
	int64_t unapplied;                      /* amount - allocated; 0 when reversed */
	bool set_off;                           /* written by payment_set_off, not stored */
	bool reversed;                          /* the fields below are set */
	date_t reversed_on;                     /* from this day on none of it counts */
	char reversal_reason[PAYMENT_REASON_MAX + 1];
	char reversed_by[AGING_PAYER_MAX + 1];  /* the actor */
	payment_allocation *allocs;             /* owned: payment_free */
	size_t nallocs;
} payment;

/* Frees what a payment owns. NULL is fine. */
void payment_free(payment *p);

/* One document and amount a caller asks for. */
typedef struct allocation_request {
	char number[INVOICE_NUMBER_MAX + 1];
	int64_t amount;
} allocation_request;

/* Records a received payment: p holds direction (RECEIVED), payer, dealer
 * id (customers only; for a dealer it is the payer), reference, date,
 * currency, amount, method, note and created_by. With n requests each goes
 * to the named invoice, which must be an invoice of the payer in the
 * payment's currency with at least that much open, and the rest of the
 * amount stays unapplied; with none and auto_allocate the payment settles
 * the payer's open invoices in its currency oldest due date first (see
 * receivables.h); with none and !auto_allocate it all stays unapplied.
 * The date may not be after today. Fills in p's id, allocations, allocated
 * and unapplied. */
int payment_record(db_conn *db, payment *p, const allocation_request *req, size_t n,
    bool auto_allocate, date_t today, const char **code, char *err, size_t errlen);

/* Applies unapplied cash of received payment id, as of today: to the
 * requested invoices, or (n == 0) automatically oldest due first. Reloads
 * the payment into *out (payment_free). PAY_E_NOTHING when nothing is
 * unapplied; PAY_E_REVERSED when the payment is reversed; PAY_E_NOT_FOUND
 * for no such received payment. */
int payment_apply(db_conn *db, int64_t id, const allocation_request *req, size_t n,
    date_t today, payment *out, const char **code, char *err, size_t errlen);

/* Pays back (part of) credit note number: p holds reference, date (paid
 * out; not after today, not before the credit note's issue date),
 * currency, amount, method, note and created_by;
 * the payer and dealer are the credit note's buyer. The amount may not
 * exceed what the credit note has open. Fills in p as payment_record
 * does, with one allocation. */
int payment_refund(db_conn *db, const char *number, payment *p, date_t today,
    const char **code, char *err, size_t errlen);

/* Sets (part of) credit note number off against open invoices of its
 * buyer: what the seller owes the buyer pays what the buyer owes, and no
 * money moves. p holds reference, date (not after today), currency,
 * amount, note and created_by. Recorded as two payments of method
 * set-off with the same reference: a refund allocated to the credit note
 * (as payment_refund) and a received payment allocated to the requested
 * invoices, or (n == 0) to the buyer's open invoices oldest due first
 * (as payment_record). The whole amount must be allocated on both sides:
 * PAY_E_SET_OFF_UNMATCHED when the invoices have less open. Fills in p as
 * the refund and *received (payment_free) as the received half. */
int payment_set_off(db_conn *db, const char *number, payment *p,
    const allocation_request *req, size_t n, date_t today, payment *received,
    const char **code, char *err, size_t errlen);

/* Reverses payment id (received or refund) as of reversed_on: from that
 * day on none of its allocations counts and its unapplied cash is gone
 * (see above). A set-off is reversed whole: its other half (the same
 * payer and reference, method set-off) with it. reversed_on may not be
 * after today, before the payment's date or before the applied_on of any
 * of its allocations (PAY_E_INVALID); reason (surrounding white space
 * dropped, runs of it made one space) must say something, in at most 500
 * characters of UTF-8 without control characters (PAY_E_INVALID). A
 * payment is reversed once (PAY_E_ALREADY_REVERSED); PAY_E_NOT_FOUND for
 * no such payment. Locks the payment rows, then the documents they settle.
 * Reloads the payment into *out and the set-off's other half into *other
 * (other->id 0 when there is none; payment_free both, whatever this
 * returns). The caller audits both ("payment.reverse"). */
int payment_reverse(db_conn *db, int64_t id, date_t reversed_on, const char *reason,
    const char *actor, date_t today, payment *out, payment *other, const char **code,
    char *err, size_t errlen);

/* Reads payment id with its allocations into *out (payment_free).
 * dealer_id non-NULL: a payment of another dealer counts as none. Returns
 * 1, 0 or -1. */
int payment_load(db_conn *db, int64_t id, const char *dealer_id, payment *out, char *err,
    size_t errlen);

/* What payment_list returns. */
typedef struct payment_filter {
	const char *dealer_id;      /* NULL: every dealer */
	date_t from, to;            /* received between, inclusive; 0: open */
	int64_t limit;              /* <= 0: 1000 */
} payment_filter;

/* The payments filter selects, newest first, without their allocations
 * (allocated, unapplied and the reversal are filled in). *out is a new
 * array of *n (free each with payment_free, then the array). Returns 0 or
 * -1. */
int payment_list(db_conn *db, const payment_filter *f, payment **out, size_t *n, char *err,
    size_t errlen);

/* Appends the audit record of a payment written in this transaction
 * (action "payment.record", "payment.apply", "payment.refund",
 * "payment.set_off" or "payment.reverse"): payer, amount, reference and
 * every allocation in the detail, and a reversed payment's date and
 * reason. Call it last. */
int payment_audit(db_conn *db, const char *actor, const char *action, const payment *p,
    char *err, size_t errlen);

/* The aging of what is open as of as_of — invoices issued and payments
 * received on or before that date, allocations applied on or before it,
 * but nothing of a payment reversed on or before it —
 * one row per dealer, payer and currency (receivables.h), sorted. dealer_id
 * non-NULL: only documents and payments of that dealer. *rows is a new
 * array of *n. Returns 0 or -1. */
int aging_report(db_conn *db, date_t as_of, const char *dealer_id, aging_row **rows,
    size_t *n, char *err, size_t errlen);

/* The whole report as CSV (header, then the rows): a new string of *len
 * bytes, or NULL on a database error (message in err). */
char *aging_report_csv(db_conn *db, date_t as_of, const char *dealer_id, size_t *len,
    char *err, size_t errlen);

#endif
