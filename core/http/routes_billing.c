/* Claims and invoices over HTTP: a dealer reads its claims and the
 * invoices addressed to it; finance marks claims paid and corrects
 * invoices with credit notes. The work is core/exchange's. */
#include "http/routes.h"
#include "exchange/exchange.h"
#include "storage/apikeys.h"

/* GET /v1/claims/{number}: a dealer its own (another's is 404); finance
 * and admin any. */
void
route_claim_get(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_claim(&ctx, req->params[0], &reply);
	route_exchange_answer(resp, &reply);
}

/* POST /v1/claims/{number}/paid (finance). */
void
route_claim_paid(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_claim_paid(&ctx, req->params[0], &reply);
	route_exchange_answer(resp, &reply);
}

/* GET /v1/invoices/{number}: the UBL document. */
void
route_invoice_get(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_invoice(&ctx, req->params[0], &reply);
	route_exchange_answer(resp, &reply);
}

/* POST /v1/invoices/{number}/credit-notes (finance): a CreditNoteRequest. */
void
route_credit_note_post(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_credit_note(&ctx, req->params[0], req->body.data ? req->body.data : "",
	    req->body.len, &reply);
	route_exchange_answer(resp, &reply);
}
