/* The dealer document exchange over HTTP: POST /v1/documents and the
 * outbox. The work is core/exchange's; this only maps requests and
 * answers. */
#include "http/routes.h"
#include "http/server.h"
#include "exchange/exchange.h"
#include "storage/apikeys.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

bool
route_exchange_ctx(route_env *env, http_req *req, http_resp *resp, exchange_ctx *ctx,
    char *actor, size_t actorlen)
{
	char err[512];
	const exchange_settings *s = exchange_init(env->srv->cfg, err, sizeof err);

	memset(ctx, 0, sizeof *ctx);
	if (s == NULL) {
		log_error("the document exchange cannot start: %s", err);
		http_resp_error(resp, 503, "exchange-unavailable", NULL,
		    "the document exchange is not available; see the server log");
		return false;
	}
	ctx->db = env->db;
	ctx->plugins = env->plugins;
	ctx->settings = s;
	ctx->dealer_id = req->who.role == ROLE_DEALER ? req->who.dealer_id : NULL;
	ctx->actor = principal_actor(&req->who, actor, actorlen);
	ctx->today = date_today();
	return true;
}

void
route_exchange_answer(http_resp *resp, exchange_reply *reply)
{
	http_resp_xml(resp, reply->status, reply->body ? reply->body : "", reply->len);
	resp->replayed = reply->replayed;
	exchange_reply_free(reply);
}

/* POST /v1/documents (dealer): one document or a Batch. */
void
route_documents_post(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_documents(&ctx, req->body.data ? req->body.data : "", req->body.len, &reply);
	route_exchange_answer(resp, &reply);
}

/* A non-negative integer query parameter, or def when absent; -2 when it
 * is present but not a number in [0, max]. */
static long long
query_number(const http_req *req, const char *name, long long def, long long max)
{
	char *v = http_req_query_param(req, name), *end;
	long long n = def;

	if (v != NULL) {
		n = strtoll(v, &end, 10);
		if (end == v || *end != '\0' || n < 0 || n > max)
			n = -2;
	}
	free(v);
	return n;
}

/* GET /v1/outbox?after=CURSOR&limit=N (dealer). */
void
route_outbox_get(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];
	long long after = query_number(req, "after", -1, INT64_MAX);
	long long limit = query_number(req, "limit", 100, 1000);

	if (after == -2 || limit == -2 || limit == 0) {
		http_resp_error(resp, 400, "invalid-query", NULL,
		    "after must be a cursor (0 or more) and limit a number from 1 to 1000");
		return;
	}
	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_outbox_read(&ctx, after, (int)limit, &reply);
	route_exchange_answer(resp, &reply);
}

/* POST /v1/outbox/ack (dealer): <OutboxAck><Cursor>N</Cursor></OutboxAck>
 * or ?cursor=N. Runs in the dispatcher's transaction. */
void
route_outbox_ack(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];
	long long cursor = query_number(req, "cursor", -1, INT64_MAX);

	if (cursor == -2) {
		http_resp_error(resp, 400, "invalid-query", NULL, "cursor must be 0 or more");
		return;
	}
	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_outbox_ack(&ctx, req->body.data ? req->body.data : "", req->body.len, cursor,
	    &reply);
	route_exchange_answer(resp, &reply);
}
