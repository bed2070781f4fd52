/* Plans, contracts and coverage over HTTP: the reads of the catalog and of
 * a dealer's contracts and assets. The work is core/exchange's. */
#include "http/routes.h"
#include "exchange/exchange.h"
#include "storage/apikeys.h"

#include <stdlib.h>
#include <string.h>

/* GET /v1/plans (any role): the current version of every plan. */
void
route_plans_list(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_plans(&ctx, NULL, 0, &reply);
	route_exchange_answer(resp, &reply);
}

/* GET /v1/plans/{code}[?version=N] (any role). */
void
route_plan_get(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX], *v = http_req_query_param(req, "version"), *end;
	long version = 0;

	if (v != NULL) {
		version = strtol(v, &end, 10);
		if (end == v || *end != '\0' || version < 1 || version > 999999) {
			free(v);
			http_resp_error(resp, 400, "invalid-query", NULL,
			    "version must be a plan version (1 or more)");
			return;
		}
		free(v);
	}
	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_plans(&ctx, req->params[0], (int)version, &reply);
	route_exchange_answer(resp, &reply);
}

/* GET /v1/contracts/{number}: a dealer reads its own contracts (another
 * dealer's is 404, never 403); admin and finance read any. */
void
route_contract_get(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];

	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_contract(&ctx, req->params[0], &reply);
	route_exchange_answer(resp, &reply);
}

/* The date= and usage= query parameters of the asset reads: date defaults
 * to today. Answers 400 and returns false when one is malformed. */
static bool
asset_query(http_req *req, http_resp *resp, date_t *date, bool *has_usage, long long *usage)
{
	char *date_s = http_req_query_param(req, "date");
	char *usage_s = http_req_query_param(req, "usage");
	bool ok = false;

	*date = date_today();
	*has_usage = false;
	*usage = 0;
	if (date_s != NULL && date_parse(date_s, date) != 0) {
		http_resp_error(resp, 400, "invalid-query", NULL, "date must be YYYY-MM-DD");
		goto out;
	}
	if (usage_s != NULL) {
		char *end;
		*usage = strtoll(usage_s, &end, 10);
		if (end == usage_s || *end != '\0' || *usage < 0 || *usage > 999999999999LL) {
			http_resp_error(resp, 400, "invalid-query", NULL,
			    "usage must be a whole reading (0 or more)");
			goto out;
		}
		*has_usage = true;
	}
	ok = true;
out:
	free(date_s);
	free(usage_s);
	return ok;
}

/* GET /v1/assets/{serial}/coverage?date=YYYY-MM-DD&usage=N&component=C
 * (dealer): the coverage decision for the dealer's asset; date defaults to
 * today. */
void
route_asset_coverage(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];
	char *component = http_req_query_param(req, "component");
	date_t date;
	long long usage;
	bool has_usage;

	if (!asset_query(req, resp, &date, &has_usage, &usage))
		goto out;
	if (component != NULL && (component[0] == '\0' || strlen(component) > 40)) {
		http_resp_error(resp, 400, "invalid-query", NULL,
		    "component must be a component category of 1 to 40 characters");
		goto out;
	}
	if (!route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		goto out;
	exchange_coverage(&ctx, req->params[0], date, has_usage, usage, component, &reply);
	route_exchange_answer(resp, &reply);
out:
	free(component);
}

/* GET /v1/assets/{serial}/maintenance?date=YYYY-MM-DD&usage=N (dealer):
 * what scheduled maintenance is due and overdue. */
void
route_asset_maintenance(route_env *env, http_req *req, http_resp *resp)
{
	exchange_ctx ctx;
	exchange_reply reply = { 0 };
	char actor[PRINCIPAL_ACTOR_MAX];
	date_t date;
	long long usage;
	bool has_usage;

	if (!asset_query(req, resp, &date, &has_usage, &usage) ||
	    !route_exchange_ctx(env, req, resp, &ctx, actor, sizeof actor))
		return;
	exchange_maintenance(&ctx, req->params[0], date, has_usage, usage, &reply);
	route_exchange_answer(resp, &reply);
}
