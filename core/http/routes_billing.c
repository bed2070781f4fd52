/* Claims and invoices over HTTP: a dealer reads its claims and the
 * invoices addressed to it; finance marks claims paid and corrects
 * invoices with credit notes. The work is core/exchange's. */
#include "http/routes.h"
#include "http/jobs.h"
#include "exchange/exchange.h"
#include "storage/apikeys.h"
#include "base/xalloc.h"

#include <stdlib.h>

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

/* POST /v1/billing-runs (finance): a BillingRunRequest; the run itself
 * goes on in the background (jobs.h). Not ROUTE_TRANSACTION: each item of
 * a run commits on its own, and starting a run twice finds the first. */
void
route_billing_run_post(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];
	int64_t id = 0;

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_billing_run_post(&ctx, req->body.data ? req->body.data : "", req->body.len,
	    &reply, &id);
	if (id > 0) {
		resp->location = xasprintf("/v1/billing-runs/%lld", (long long)id);
		jobs_start_billing_run(env->srv, &ctx.settings->billing, id);
	}
	route_exchange_answer(resp, &reply);
}

/* GET /v1/billing-runs/{id} (finance). */
void
route_billing_run_get(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX], *end;
	long long id = strtoll(req->params[0], &end, 10);

	if (end == req->params[0] || *end != '\0' || id < 1) {
		http_resp_error(resp, 404, "not-found", NULL, "there is no billing run %s",
		    req->params[0]);
		return;
	}
	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_billing_run_get(&ctx, id, &reply);
	route_exchange_answer(resp, &reply);
}
