/* The route table: every URL contractd answers, who may call it, and how
 * it runs. */
#include "http/routes.h"

#define ADMIN ROLE_BIT(ROLE_ADMIN)
#define DEALER ROLE_BIT(ROLE_DEALER)
#define FINANCE ROLE_BIT(ROLE_FINANCE)

const route routes[] = {
	{ HTTP_GET, "/healthz", "/healthz", ROUTE_INLINE | ROUTE_PUBLIC, 0, route_healthz },
	{ HTTP_GET, "/readyz", "/readyz", ROUTE_PUBLIC, 0, route_readyz },
	{ HTTP_GET, "/metrics", "/metrics", ROUTE_INLINE | ROUTE_PUBLIC, 0, route_metrics },
	{ HTTP_GET, "/v1/whoami", "/v1/whoami", 0, ROLES_ANY, route_whoami },
	{ HTTP_GET, "/v1/plugins", "/v1/plugins", 0, ADMIN, route_plugins },
	{ HTTP_POST, "/v1/dealers", "/v1/dealers", ROUTE_TRANSACTION, ADMIN, route_dealer_create },
	{ HTTP_GET, "/v1/dealers/{id}", "/v1/dealers/{id}", 0, ADMIN, route_dealer_get },
	/* Each document runs in a transaction of its own: not ROUTE_TRANSACTION. */
	{ HTTP_POST, "/v1/documents", "/v1/documents", 0, DEALER, route_documents_post },
	{ HTTP_GET, "/v1/outbox", "/v1/outbox", 0, DEALER, route_outbox_get },
	{ HTTP_POST, "/v1/outbox/ack", "/v1/outbox/ack", ROUTE_TRANSACTION, DEALER, route_outbox_ack },
	{ HTTP_GET, "/v1/plans", "/v1/plans", 0, ROLES_ANY, route_plans_list },
	{ HTTP_GET, "/v1/plans/{code}", "/v1/plans/{code}", 0, ROLES_ANY, route_plan_get },
	{ HTTP_GET, "/v1/contracts/{number}", "/v1/contracts/{number}", 0, ROLES_ANY,
	    route_contract_get },
	{ HTTP_GET, "/v1/assets/{serial}/coverage", "/v1/assets/{serial}/coverage", 0, DEALER,
	    route_asset_coverage },
	{ HTTP_GET, "/v1/assets/{serial}/maintenance", "/v1/assets/{serial}/maintenance", 0, DEALER,
	    route_asset_maintenance },
	{ HTTP_GET, "/v1/claims/{number}", "/v1/claims/{number}", 0, ROLES_ANY, route_claim_get },
	{ HTTP_POST, "/v1/claims/{number}/paid", "/v1/claims/{number}/paid", ROUTE_TRANSACTION,
	    FINANCE, route_claim_paid },
	{ HTTP_GET, "/v1/invoices/{number}", "/v1/invoices/{number}", 0, ROLES_ANY,
	    route_invoice_get },
	{ HTTP_POST, "/v1/invoices/{number}/credit-notes", "/v1/invoices/{number}/credit-notes",
	    ROUTE_TRANSACTION, FINANCE, route_credit_note_post },
	/* Payments, refunds and aging (routes_payments.c). */
	{ HTTP_POST, "/v1/payments", "/v1/payments", ROUTE_TRANSACTION, FINANCE, route_payment_post },
	{ HTTP_GET, "/v1/payments/{id}", "/v1/payments/{id}", 0, ROLES_ANY, route_payment_get },
	{ HTTP_POST, "/v1/payments/{id}/allocations", "/v1/payments/{id}/allocations",
	    ROUTE_TRANSACTION, FINANCE, route_payment_apply },
	{ HTTP_POST, "/v1/payments/{id}/reversal", "/v1/payments/{id}/reversal",
	    ROUTE_TRANSACTION, FINANCE, route_payment_reverse },
	{ HTTP_POST, "/v1/invoices/{number}/refunds", "/v1/invoices/{number}/refunds",
	    ROUTE_TRANSACTION, FINANCE, route_refund_post },
	{ HTTP_POST, "/v1/invoices/{number}/set-offs", "/v1/invoices/{number}/set-offs",
	    ROUTE_TRANSACTION, FINANCE, route_set_off_post },
	{ HTTP_GET, "/v1/reports/aging.csv", "/v1/reports/aging.csv", 0, ROLES_ANY,
	    route_report_aging },
	{ HTTP_POST, "/v1/billing-runs", "/v1/billing-runs", 0, FINANCE, route_billing_run_post },
	{ HTTP_GET, "/v1/billing-runs/{id}", "/v1/billing-runs/{id}", 0, FINANCE,
	    route_billing_run_get },
	/* Finance reports as CSV (routes_reports.c). */
	{ HTTP_GET, "/v1/reports/revenue.csv", "/v1/reports/revenue.csv", 0, FINANCE | ADMIN,
	    route_report_revenue },
	{ HTTP_GET, "/v1/reports/loss-ratio.csv", "/v1/reports/loss-ratio.csv", 0, FINANCE | ADMIN,
	    route_report_loss_ratio },
	{ HTTP_GET, "/v1/reports/invoices.csv", "/v1/reports/invoices.csv", 0, FINANCE | ADMIN,
	    route_report_invoices },
	{ HTTP_GET, "/v1/reports/journal.csv", "/v1/reports/journal.csv", 0, FINANCE | ADMIN,
	    route_report_journal },
};

const int nroutes = sizeof routes / sizeof routes[0];
