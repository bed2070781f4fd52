/* runs — billing runs over the exchange: starting one from a
 * BillingRunRequest, and the BillingRun document of its progress (see
 * exchange.h; the work is core/billing/runs.c). */
#include "exchange/exchange.h"
#include "exchange/xmlread.h"
#include "exchange/xmlwrite.h"
#include "billing/runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
billing_run_doc(const run_status *st, bool preview, size_t *len)
{
	xmlDocPtr doc;
	xmlNodePtr root = xw_new("BillingRun", &doc);

	if (!preview)
		xw_int(root, "Id", st->id);
	xw_text(root, "Period", st->period);
	xw_text(root, "Scope", st->scope);
	xw_text(root, "State", preview ? "preview" : st->finished ? "done" : "running");
	xw_int(root, "Total", st->total);
	xw_int(root, "Done", preview ? 0 : st->done);
	xw_int(root, "Invoices", preview ? 0 : st->invoices);
	xw_int(root, "InvoiceLines", st->invoice_lines);
	for (size_t i = 0; i < st->nitems; i++) {
		const run_item *it = &st->items[i];
		xmlNodePtr el = xw_elem(root, "Item");
		xw_text(el, "DealerId", it->dealer_id);
		xw_text(el, "Kind", run_kind_name(it->kind));
		xw_text(el, "Currency", it->currency);
		xw_int(el, "Part", it->part);
		xw_text(el, "State", it->done ? "done" : "pending");
		xw_opt(el, "InvoiceNumber", it->invoice_number);
		xw_int(el, "Lines", it->lines);
		if (preview) {
			xw_money(el, "Net", it->net, it->currency);
			xw_money(el, "Tax", it->tax, it->currency);
			xw_money(el, "Total", it->total, it->currency);
		}
	}
	return xw_finish(doc, len);
}

void
exchange_billing_run_post(const exchange_ctx *ctx, const char *body, size_t len,
    exchange_reply *out, int64_t *run_id)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	run_status st;
	char period[16] = "", dealer[65] = "", err[600];
	bool dry = false;
	int64_t id = 0;
	int r;

	memset(out, 0, sizeof *out);
	*run_id = 0;
	if ((doc = exchange_read_request(ctx, "BillingRunRequest", body, len, out)) == NULL)
		return;
	root = xmlDocGetRootElement(doc);
	xr_text(root, "Period", period, sizeof period);
	xr_text(root, "DealerId", dealer, sizeof dealer);
	xr_bool(root, "DryRun", &dry);
	if (dry) {
		r = run_preview(ctx->db, &ctx->settings->billing, period, dealer[0] ? dealer : NULL,
		    &st, err, sizeof err);
	} else if (!ctx->settings->billing.configured) {
		exchange_reply_error(out, 409, "invoicing-not-configured", NULL,
		    "a billing run issues invoices, and the server's [seller] is not configured");
		goto out;
	} else {
		r = run_start(ctx->db, &ctx->settings->billing, period, dealer[0] ? dealer : NULL,
		    ctx->actor, &id, err, sizeof err);
		if (r == 0)
			r = run_read(ctx->db, id, true, &st, err, sizeof err) == 1 ? 0 : -1;
	}
	if (r == 1) {
		exchange_reply_error(out, 422, "invalid-billing-run", NULL, "%s", err);
		goto out;
	}
	if (r != 0) {
		exchange_reply_error(out, 503, "database-unavailable", NULL, "%s", err);
		goto out;
	}
	out->status = dry ? 200 : st.finished ? 200 : 202;
	out->body = billing_run_doc(&st, dry, &out->len);
	if (!dry && !st.finished)
		*run_id = id;
	run_status_free(&st);
out:
	xmlFreeDoc(doc);
}

void
exchange_billing_run_get(const exchange_ctx *ctx, int64_t id, exchange_reply *out)
{
	run_status st;
	char err[600];
	int r;

	memset(out, 0, sizeof *out);
	r = run_read(ctx->db, id, true, &st, err, sizeof err);
	if (r < 0) {
		exchange_reply_error(out, 503, "database-unavailable", NULL, "%s", err);
		return;
	}
	if (r == 0) {
		exchange_reply_error(out, 404, "not-found", NULL, "there is no billing run %lld",
		    (long long)id);
		return;
	}
	out->status = 200;
	out->body = billing_run_doc(&st, false, &out->len);
	run_status_free(&st);
}
