/* Payments, refunds and aging over HTTP: finance records payments and
 * refunds, applies unapplied cash and reverses payments; finance, admin and each dealer (its
 * own) read payments and the aging report. The work is core/exchange's
 * (exchange/payments.h). */
#include "http/routes.h"
#include "exchange/payments.h"
#include "storage/apikeys.h"

#include <stdlib.h>
#include <string.h>

/* POST /v1/payments (finance): a Payment; 201 and a PaymentReceipt. */
void
route_payment_post(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_payment_post(&ctx, req->body.data ? req->body.data : "", req->body.len, &reply);
	route_exchange_answer(resp, &reply);
}

/* GET /v1/payments/{id}: the PaymentReceipt; a dealer its own only. */
void
route_payment_get(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_payment_get(&ctx, req->params[0], &reply);
	route_exchange_answer(resp, &reply);
}

/* POST /v1/payments/{id}/allocations (finance): a PaymentApplication. */
void
route_payment_apply(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_payment_apply(&ctx, req->params[0], req->body.data ? req->body.data : "",
	    req->body.len, &reply);
	route_exchange_answer(resp, &reply);
}

/* POST /v1/payments/{id}/reversal (finance): a PaymentReversal; 200 and
 * the payment's PaymentReceipt. */
void
route_payment_reverse(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_payment_reverse(&ctx, req->params[0], req->body.data ? req->body.data : "",
	    req->body.len, &reply);
	route_exchange_answer(resp, &reply);
}

/* POST /v1/invoices/{number}/refunds (finance): a Refund of a credit note. */
void
route_refund_post(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_refund_post(&ctx, req->params[0], req->body.data ? req->body.data : "",
	    req->body.len, &reply);
	route_exchange_answer(resp, &reply);
}

/* POST /v1/invoices/{number}/set-offs (finance): a SetOff of a credit note
 * against its buyer's open invoices. */
void
route_set_off_post(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_set_off_post(&ctx, req->params[0], req->body.data ? req->body.data : "",
	    req->body.len, &reply);
	route_exchange_answer(resp, &reply);
}

/* GET /v1/reports/aging.csv?as_of=YYYY-MM-DD[&dealer=D] (finance, admin,
 * dealer: its own rows only). as_of defaults to today. text/csv on 200,
 * an XML Error otherwise. */
void
route_report_aging(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];
	char *as_of_s = http_req_query_param(req, "as_of");
	char *dealer_q = http_req_query_param(req, "dealer");
	date_t as_of = date_today();

	if (as_of_s != NULL && date_parse(as_of_s, &as_of) != 0) {
		http_resp_error(resp, 400, "invalid-query", NULL, "as_of must be a date, YYYY-MM-DD");
		goto out;
	}
	if (dealer_q != NULL && (dealer_q[0] == '\0' || strlen(dealer_q) > 64)) {
		http_resp_error(resp, 400, "invalid-query", NULL, "dealer must be a dealer id");
		goto out;
	}
	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		goto out;
	exchange_aging_csv(&ctx, as_of, dealer_q, &reply);
	if (reply.status == 200) {
		buf_reset(&resp->body);
		buf_append(&resp->body, reply.body, reply.len);
		resp->status = 200;
		resp->content_type = "text/csv; charset=utf-8";
		exchange_reply_free(&reply);
	} else {
		route_exchange_answer(resp, &reply);
	}
out:
	free(as_of_s);
	free(dealer_q);
}
