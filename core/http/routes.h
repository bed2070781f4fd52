/* routes — the handlers behind the route table in routes.c. */
#ifndef CD_HTTP_ROUTES_H
#define CD_HTTP_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "http/router.h"

struct exchange_ctx;
struct exchange_reply;

/* Operations (routes_ops.c). */
void route_healthz(route_env *env, http_req *req, http_resp *resp);
void route_readyz(route_env *env, http_req *req, http_resp *resp);
void route_metrics(route_env *env, http_req *req, http_resp *resp);

/* Administration (routes_admin.c). */
void route_whoami(route_env *env, http_req *req, http_resp *resp);
void route_plugins(route_env *env, http_req *req, http_resp *resp);
void route_dealer_create(route_env *env, http_req *req, http_resp *resp);
void route_dealer_get(route_env *env, http_req *req, http_resp *resp);

/* The dealer document exchange (routes_documents.c). */
void route_documents_post(route_env *env, http_req *req, http_resp *resp);
void route_outbox_get(route_env *env, http_req *req, http_resp *resp);
void route_outbox_ack(route_env *env, http_req *req, http_resp *resp);
/* Fills an exchange context for the request (settings, database, plugins,
 * dealer, actor into actor, today); answers 503 and returns false when the
 * exchange cannot start. */
bool route_exchange_ctx(route_env *env, http_req *req, http_resp *resp,
    struct exchange_ctx *ctx, char *actor, size_t actorlen);
/* Copies an exchange answer into resp and frees it. */
void route_exchange_answer(http_resp *resp, struct exchange_reply *reply);

/* Plans, contracts and coverage (routes_contracts.c). */
void route_plans_list(route_env *env, http_req *req, http_resp *resp);
void route_plan_get(route_env *env, http_req *req, http_resp *resp);
void route_contract_get(route_env *env, http_req *req, http_resp *resp);
void route_asset_coverage(route_env *env, http_req *req, http_resp *resp);
void route_asset_maintenance(route_env *env, http_req *req, http_resp *resp);

/* Claims and invoices (routes_billing.c). */
void route_claim_get(route_env *env, http_req *req, http_resp *resp);
void route_claim_paid(route_env *env, http_req *req, http_resp *resp);
void route_invoice_get(route_env *env, http_req *req, http_resp *resp);
void route_credit_note_post(route_env *env, http_req *req, http_resp *resp);

/* Payments, refunds and aging (routes_payments.c). */
void route_payment_post(route_env *env, http_req *req, http_resp *resp);
void route_payment_get(route_env *env, http_req *req, http_resp *resp);
void route_payment_apply(route_env *env, http_req *req, http_resp *resp);
void route_payment_reverse(route_env *env, http_req *req, http_resp *resp);
void route_refund_post(route_env *env, http_req *req, http_resp *resp);
void route_set_off_post(route_env *env, http_req *req, http_resp *resp);
void route_report_aging(route_env *env, http_req *req, http_resp *resp);
void route_billing_run_post(route_env *env, http_req *req, http_resp *resp);
void route_billing_run_get(route_env *env, http_req *req, http_resp *resp);

/* Finance reports as CSV (routes_reports.c). */
void route_report_revenue(route_env *env, http_req *req, http_resp *resp);
void route_report_loss_ratio(route_env *env, http_req *req, http_resp *resp);
void route_report_invoices(route_env *env, http_req *req, http_resp *resp);
void route_report_journal(route_env *env, http_req *req, http_resp *resp);

#endif
