/* payments — finance's payments, refunds, reversals and the aging report
 * over the exchange: the XML documents (Payment, PaymentApplication,
 * Refund, SetOff, PaymentReversal in; PaymentReceipt out) and the CSV
 * report. The rules are
 * core/billing/payments.h's; this reads and writes documents, maps
 * refusals to answers and audits.
 *
 * The writes run in the caller's transaction (the HTTP face's
 * ROUTE_TRANSACTION, with Idempotency-Key handling) and append their audit
 * record last; on an answer of 400 or more the caller rolls back.
 *
 * Answers: 201 a PaymentReceipt (recorded), 200 a PaymentReceipt (read or
 * applied); 400 not XML or not the expected document, or invalid against
 * its schema; 404 no such payment or credit note (or another dealer's);
 * 409 duplicate-reference, already-reversed; 422 a refusal (payments.h codes:
 * currency-mismatch, over-allocation, ...); 503 the database failed. */
#ifndef CD_EXCHANGE_PAYMENTS_H
#define CD_EXCHANGE_PAYMENTS_H

#include <stddef.h>

#include "base/date.h"
#include "exchange/exchange.h"

/* POST /v1/payments (finance): a Payment document. */
void exchange_payment_post(const exchange_ctx *ctx, const char *body, size_t len,
    exchange_reply *out);

/* GET /v1/payments/{id}: the payment's receipt; a dealer sees only its own
 * payments (and its customers' payments recorded with its id). */
void exchange_payment_get(const exchange_ctx *ctx, const char *id, exchange_reply *out);

/* POST /v1/payments/{id}/allocations (finance): a PaymentApplication
 * applying the payment's unapplied cash. */
void exchange_payment_apply(const exchange_ctx *ctx, const char *id, const char *body,
    size_t len, exchange_reply *out);

/* POST /v1/payments/{id}/reversal (finance): a PaymentReversal undoing
 * payment id (and a set-off's other half) as of its ReversalDate; 200 and
 * the payment's receipt, with its Reversal. */
void exchange_payment_reverse(const exchange_ctx *ctx, const char *id, const char *body,
    size_t len, exchange_reply *out);

/* POST /v1/invoices/{number}/refunds (finance): a Refund of the credit
 * note number. */
void exchange_refund_post(const exchange_ctx *ctx, const char *number, const char *body,
    size_t len, exchange_reply *out);

/* POST /v1/invoices/{number}/set-offs (finance): a SetOff of the credit
 * note number against its buyer's open invoices; answers the received
 * half's receipt (422 set-off-unmatched when the invoices have less open). */
void exchange_set_off_post(const exchange_ctx *ctx, const char *number, const char *body,
    size_t len, exchange_reply *out);

/* GET /v1/reports/aging.csv?as_of=&dealer=: on 200 out->body is the CSV
 * (receivables.h), not XML; errors are XML Error documents. A dealer gets
 * its own rows only: asking for another dealer is 404, as is an unknown
 * dealer. */
void exchange_aging_csv(const exchange_ctx *ctx, date_t as_of, const char *dealer,
    exchange_reply *out);

#endif
