/* payments — payments, refunds and aging over the exchange (see
 * payments.h). */
#include "exchange/payments.h"
#include "exchange/xmlread.h"
#include "exchange/xmlwrite.h"
#include "billing/payments.h"
#include "domain/problem.h"
#include "xml/schema.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
db_unavailable(exchange_reply *out, const char *err)
{
	exchange_reply_error(out, 503, "database-unavailable", NULL, "%s", err);
}

/* A refusal of billing/payments.c as an answer. */
static void
refused(exchange_reply *out, const char *code, const char *err)
{
	int status = 422;

	if (strcmp(code, PAY_E_DUPLICATE) == 0 || strcmp(code, PAY_E_ALREADY_REVERSED) == 0)
		status = 409;
	else if (strcmp(code, PAY_E_NOT_FOUND) == 0)
		status = 404;
	exchange_reply_error(out, status, code, NULL, "%s", err);
}

/* A refusal of a request whose URL names the credit note: when there is
 * no such credit note, the resource is not found. */
static void
refused_addressed(exchange_reply *out, const char *code, const char *err)
{
	if (strcmp(code, PAY_E_NO_DOCUMENT) == 0)
		exchange_reply_error(out, 404, "not-found", NULL, "%s", err);
	else
		refused(out, code, err);
}

/* The problems of a document as one answer: the first, counting the rest. */
static bool
problems_answer(problem_list *pl, exchange_reply *out)
{
	if (problems_count(pl) == 0)
		return false;
	exchange_reply_error(out, 422, pl->items[0].code, pl->items[0].path, "%s%s",
	    pl->items[0].message, problems_count(pl) > 1 ? " (and more problems)" : "");
	return true;
}

/* The Allocation elements of root into a new array *req of *n, each amount
 * in currency. */
static void
read_allocations(xmlNodePtr root, const char *currency, allocation_request **req, size_t *n,
    problem_list *pl)
{
	size_t cap = 0;

	*req = NULL;
	*n = 0;
	for (xmlNodePtr el = xr_child(root, "Allocation"); el; el = xr_next(el, "Allocation"))
		cap++;
	*req = xcalloc(cap + 1, sizeof **req);
	for (xmlNodePtr el = xr_child(root, "Allocation"); el && *n < cap;
	    el = xr_next(el, "Allocation")) {
		allocation_request *a = &(*req)[*n];
		char rel[48];
		snprintf(rel, sizeof rel, "Allocation[%zu]/Amount", *n + 1);
		xr_text(el, "InvoiceNumber", a->number, sizeof a->number);
		if (xr_money(xr_child(el, "Amount"), currency, &a->amount, NULL, pl, rel))
			(*n)++;
	}
}

/* ------------------------------------------------------------------------
 * The receipt
 * ------------------------------------------------------------------------ */

static void
write_payer(xmlNodePtr parent, const payment *p)
{
	xmlNodePtr el = xw_elem(parent, "Payer");

	if (p->payer_kind == PAYER_DEALER) {
		xw_text(el, "DealerId", p->payer);
	} else {
		xw_text(el, "CustomerName", p->payer);
		xw_opt(el, "DealerId", p->dealer_id);
	}
}

static void
receipt(const payment *p, int status, exchange_reply *out)
{
	xmlDocPtr doc;
	xmlNodePtr root = xw_new("PaymentReceipt", &doc);

	xw_int(root, "PaymentId", p->id);
	xw_text(root, "Direction", payment_direction_name(p->direction));
	write_payer(root, p);
	xw_date(root, "ReceivedDate", p->received_date);
	xw_money(root, "Amount", p->amount, p->currency);
	xw_text(root, "Reference", p->reference);
	xw_text(root, "Method", p->method[0] ? p->method : "transfer");
	xw_opt(root, "Note", p->note);
	for (size_t i = 0; i < p->nallocs; i++) {
		const payment_allocation *a = &p->allocs[i];
		xmlNodePtr el = xw_elem(root, "Allocation");
		xw_text(el, "InvoiceNumber", a->number);
		xw_text(el, "DocumentType", invoice_type_name(a->type));
		xw_money(el, "Amount", a->amount, p->currency);
		xw_date(el, "AppliedOn", a->applied_on);
		xw_money(el, "OpenAmount", a->open_now, p->currency);
	}
	xw_money(root, "Allocated", p->allocated, p->currency);
	xw_money(root, "Unapplied", p->unapplied, p->currency);
	if (p->reversed) {
		xmlNodePtr el = xw_elem(root, "Reversal");
		xw_date(el, "ReversedOn", p->reversed_on);
		xw_text(el, "Reason", p->reversal_reason);
	}
	free(out->body);
	out->status = status;
	out->body = xw_finish(doc, &out->len);
}

/* Reloads payment id as stored (open amounts as they stand now) and
 * answers its receipt. */
static void
answer_stored(const exchange_ctx *ctx, int64_t id, int status, exchange_reply *out)
{
	payment p;
	char err[600];
	int r = payment_load(ctx->db, id, NULL, &p, err, sizeof err);

	if (r <= 0) {
		db_unavailable(out, r < 0 ? err : "the payment just written cannot be read");
		return;
	}
	receipt(&p, status, out);
	payment_free(&p);
}

/* "17" -> 17; false for anything but a positive decimal number. */
static bool
parse_id(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1)
		return false;
	*out = v;
	return true;
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

void
exchange_payment_post(const exchange_ctx *ctx, const char *body, size_t len,
    exchange_reply *out)
{
	xmlDocPtr doc;
	xmlNodePtr root, payer;
	payment p;
	problem_list pl;
	allocation_request *req = NULL;
	size_t n = 0;
	bool auto_allocate = true;
	const char *code = NULL;
	char err[600];
	int r;

	memset(out, 0, sizeof *out);
	memset(&p, 0, sizeof p);
	problems_init(&pl, "/Payment");
	if ((doc = exchange_read_request(ctx, "Payment", body, len, out)) == NULL)
		goto done;
	root = xmlDocGetRootElement(doc);
	payer = xr_child(root, "Payer");
	if (xr_text(payer, "CustomerName", p.payer, sizeof p.payer)) {
		p.payer_kind = PAYER_CUSTOMER;
		xr_text(payer, "DealerId", p.dealer_id, sizeof p.dealer_id);
	} else {
		p.payer_kind = PAYER_DEALER;
		xr_text(payer, "DealerId", p.payer, sizeof p.payer);
	}
	xr_date(root, "ReceivedDate", &p.received_date, &pl, "ReceivedDate");
	xr_money(xr_child(root, "Amount"), NULL, &p.amount, p.currency, &pl, "Amount");
	xr_text(root, "Reference", p.reference, sizeof p.reference);
	xr_text(root, "Method", p.method, sizeof p.method);
	xr_text(root, "Note", p.note, sizeof p.note);
	xr_bool(root, "AutoAllocate", &auto_allocate);
	if (p.currency[0] != '\0')
		read_allocations(root, p.currency, &req, &n, &pl);
	snprintf(p.created_by, sizeof p.created_by, "%s", ctx->actor);
	if (problems_answer(&pl, out))
		goto done;
	r = payment_record(ctx->db, &p, req, n, auto_allocate, ctx->today, &code, err,
	    sizeof err);
	if (r == PAYMENT_REFUSED) {
		refused(out, code, err);
		goto done;
	}
	if (r != 0 || payment_audit(ctx->db, ctx->actor, "payment.record", &p, err,
	    sizeof err) != 0) {
		db_unavailable(out, err);
		goto done;
	}
	receipt(&p, 201, out);
done:
	payment_free(&p);
	free(req);
	problems_free(&pl);
	xmlFreeDoc(doc);
}

void
exchange_payment_get(const exchange_ctx *ctx, const char *id_text, exchange_reply *out)
{
	payment p;
	int64_t id;
	char err[600];
	int r;

	memset(out, 0, sizeof *out);
	if (!parse_id(id_text, &id)) {
		exchange_reply_error(out, 404, "not-found", NULL, "there is no payment %s", id_text);
		return;
	}
	r = payment_load(ctx->db, id, ctx->dealer_id, &p, err, sizeof err);
	if (r < 0) {
		db_unavailable(out, err);
		return;
	}
	if (r == 0) {
		exchange_reply_error(out, 404, "not-found", NULL, "there is no payment %s", id_text);
		return;
	}
	receipt(&p, 200, out);
	payment_free(&p);
}

void
exchange_payment_apply(const exchange_ctx *ctx, const char *id_text, const char *body,
    size_t len, exchange_reply *out)
{
	xmlDocPtr doc = NULL;
	payment p, cur;
	problem_list pl;
	allocation_request *req = NULL;
	size_t n = 0;
	int64_t id;
	const char *code = NULL;
	char err[600];
	int r;

	memset(out, 0, sizeof *out);
	memset(&p, 0, sizeof p);
	problems_init(&pl, "/PaymentApplication");
	if (!parse_id(id_text, &id)) {
		exchange_reply_error(out, 404, "not-found", NULL, "there is no payment %s", id_text);
		goto done;
	}
	if ((doc = exchange_read_request(ctx, "PaymentApplication", body, len, out)) == NULL)
		goto done;
	r = payment_load(ctx->db, id, NULL, &cur, err, sizeof err);
	if (r <= 0) {
		if (r < 0)
			db_unavailable(out, err);
		else
			exchange_reply_error(out, 404, "not-found", NULL, "there is no payment %s",
			    id_text);
		goto done;
	}
	read_allocations(xmlDocGetRootElement(doc), cur.currency, &req, &n, &pl);
	payment_free(&cur);
	if (problems_answer(&pl, out))
		goto done;
	r = payment_apply(ctx->db, id, req, n, ctx->today, &p, &code, err, sizeof err);
	if (r == PAYMENT_REFUSED) {
		refused(out, code, err);
		goto done;
	}
	if (r != 0 || payment_audit(ctx->db, ctx->actor, "payment.apply", &p, err,
	    sizeof err) != 0) {
		db_unavailable(out, err);
		goto done;
	}
	answer_stored(ctx, id, 200, out);
done:
	payment_free(&p);
	free(req);
	problems_free(&pl);
	xmlFreeDoc(doc);
}

void
exchange_payment_reverse(const exchange_ctx *ctx, const char *id_text, const char *body,
    size_t len, exchange_reply *out)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	payment p, other;
	problem_list pl;
	date_t on = 0;
	int64_t id;
	const char *code = NULL;
	char reason[PAYMENT_REASON_MAX + 1], err[600];
	int r;

	memset(out, 0, sizeof *out);
	memset(&p, 0, sizeof p);
	memset(&other, 0, sizeof other);
	problems_init(&pl, "/PaymentReversal");
	if (!parse_id(id_text, &id)) {
		exchange_reply_error(out, 404, "not-found", NULL, "there is no payment %s", id_text);
		goto done;
	}
	if ((doc = exchange_read_request(ctx, "PaymentReversal", body, len, out)) == NULL)
		goto done;
	root = xmlDocGetRootElement(doc);
	xr_date(root, "ReversalDate", &on, &pl, "ReversalDate");
	xr_text(root, "Reason", reason, sizeof reason);
	if (problems_answer(&pl, out))
		goto done;
	r = payment_reverse(ctx->db, id, on, reason, ctx->actor, ctx->today, &p, &other, &code,
	    err, sizeof err);
	if (r == PAYMENT_REFUSED) {
		/* The URL names the payment: none is a resource not found. */
		if (strcmp(code, PAY_E_NOT_FOUND) == 0)
			exchange_reply_error(out, 404, "not-found", NULL, "%s", err);
		else
			refused(out, code, err);
		goto done;
	}
	if (r != 0 || payment_audit(ctx->db, ctx->actor, "payment.reverse", &p, err,
	    sizeof err) != 0 || (other.id != 0 && payment_audit(ctx->db, ctx->actor,
	    "payment.reverse", &other, err, sizeof err) != 0)) {
		db_unavailable(out, err);
		goto done;
	}
	receipt(&p, 200, out);
done:
	payment_free(&p);
	payment_free(&other);
	problems_free(&pl);
	xmlFreeDoc(doc);
}

void
exchange_refund_post(const exchange_ctx *ctx, const char *number, const char *body, size_t len,
    exchange_reply *out)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	payment p;
	problem_list pl;
	const char *code = NULL;
	char err[600];
	int r;

	memset(out, 0, sizeof *out);
	memset(&p, 0, sizeof p);
	problems_init(&pl, "/Refund");
	if ((doc = exchange_read_request(ctx, "Refund", body, len, out)) == NULL)
		goto done;
	root = xmlDocGetRootElement(doc);
	xr_date(root, "PaidDate", &p.received_date, &pl, "PaidDate");
	xr_money(xr_child(root, "Amount"), NULL, &p.amount, p.currency, &pl, "Amount");
	xr_text(root, "Reference", p.reference, sizeof p.reference);
	xr_text(root, "Method", p.method, sizeof p.method);
	xr_text(root, "Note", p.note, sizeof p.note);
	snprintf(p.created_by, sizeof p.created_by, "%s", ctx->actor);
	if (problems_answer(&pl, out))
		goto done;
	r = payment_refund(ctx->db, number, &p, ctx->today, &code, err, sizeof err);
	if (r == PAYMENT_REFUSED) {
		refused_addressed(out, code, err);
		goto done;
	}
	if (r != 0 || payment_audit(ctx->db, ctx->actor, "payment.refund", &p, err,
	    sizeof err) != 0) {
		db_unavailable(out, err);
		goto done;
	}
	receipt(&p, 201, out);
done:
	payment_free(&p);
	problems_free(&pl);
	xmlFreeDoc(doc);
}

void
exchange_set_off_post(const exchange_ctx *ctx, const char *number, const char *body,
    size_t len, exchange_reply *out)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	payment p, received;
	problem_list pl;
	allocation_request *req = NULL;
	size_t n = 0;
	const char *code = NULL;
	char err[600];
	int r;

	memset(out, 0, sizeof *out);
	memset(&p, 0, sizeof p);
	memset(&received, 0, sizeof received);
	problems_init(&pl, "/SetOff");
	if ((doc = exchange_read_request(ctx, "SetOff", body, len, out)) == NULL)
		goto done;
	root = xmlDocGetRootElement(doc);
	xr_date(root, "SetOffDate", &p.received_date, &pl, "SetOffDate");
	xr_money(xr_child(root, "Amount"), NULL, &p.amount, p.currency, &pl, "Amount");
	xr_text(root, "Reference", p.reference, sizeof p.reference);
	xr_text(root, "Note", p.note, sizeof p.note);
	if (p.currency[0] != '\0')
		read_allocations(root, p.currency, &req, &n, &pl);
	snprintf(p.created_by, sizeof p.created_by, "%s", ctx->actor);
	if (problems_answer(&pl, out))
		goto done;
	r = payment_set_off(ctx->db, number, &p, req, n, ctx->today, &received, &code, err,
	    sizeof err);
	if (r == PAYMENT_REFUSED) {
		refused_addressed(out, code, err);
		goto done;
	}
	if (r != 0 || payment_audit(ctx->db, ctx->actor, "payment.set_off", &p, err,
	    sizeof err) != 0 || payment_audit(ctx->db, ctx->actor, "payment.set_off", &received,
	    err, sizeof err) != 0) {
		db_unavailable(out, err);
		goto done;
	}
	receipt(&received, 201, out);
done:
	payment_free(&p);
	payment_free(&received);
	free(req);
	problems_free(&pl);
	xmlFreeDoc(doc);
}

void
exchange_aging_csv(const exchange_ctx *ctx, date_t as_of, const char *dealer,
    exchange_reply *out)
{
	const char *scope = ctx->dealer_id;
	char err[600];
	int64_t one;
	int r;

	memset(out, 0, sizeof *out);
	if (dealer != NULL) {
		if (ctx->dealer_id != NULL && strcmp(dealer, ctx->dealer_id) != 0) {
			exchange_reply_error(out, 404, "not-found", NULL, "there is no dealer %s",
			    dealer);
			return;
		}
		r = db_query_int(ctx->db, &one, "SELECT 1 FROM dealers WHERE id = ?", "s", dealer);
		if (r < 0) {
			db_unavailable(out, db_error(ctx->db));
			return;
		}
		if (r == 0) {
			exchange_reply_error(out, 404, "not-found", NULL, "there is no dealer %s",
			    dealer);
			return;
		}
		scope = dealer;
	}
	out->body = aging_report_csv(ctx->db, as_of, scope, &out->len, err, sizeof err);
	if (out->body == NULL) {
		db_unavailable(out, err);
		return;
	}
	out->status = 200;
}
