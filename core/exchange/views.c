/* views — the dealer-facing reads: plans, a contract, an asset's coverage
 * (see exchange.h). */
#include "exchange/exchange.h"
#include "exchange/actions.h"
#include "exchange/catalog.h"
#include "exchange/docparts.h"
#include "exchange/xmlwrite.h"
#include "domain/asset.h"
#include "domain/contract.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
exchange_plans(const exchange_ctx *ctx, const char *code, int version, exchange_reply *out)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	plan **list = NULL, *one = NULL;
	size_t n = 0;
	char err[256];
	int r;

	memset(out, 0, sizeof *out);
	if (code == NULL) {
		if (plan_list_current(ctx->db, &list, &n, err, sizeof err) != 0) {
			exchange_reply_error(out, 503, "database-unavailable", NULL, "%s", err);
			return;
		}
	} else {
		r = plan_load(ctx->db, code, version, &one, err, sizeof err);
		if (r < 0) {
			exchange_reply_error(out, 503, "database-unavailable", NULL, "%s", err);
			return;
		}
		if (r == 0) {
			if (version > 0)
				exchange_reply_error(out, 404, "not-found", NULL, "plan %s has no version %d",
				    code, version);
			else
				exchange_reply_error(out, 404, "not-found", NULL, "there is no plan %s", code);
			return;
		}
	}
	root = xw_new("Catalog", &doc);
	xw_date(root, "IssueDate", ctx->today);
	if (one != NULL)
		catalog_write_plan(root, one);
	for (size_t i = 0; i < n; i++)
		catalog_write_plan(root, list[i]);
	out->status = 200;
	out->body = xw_finish(doc, &out->len);
	plan_list_free(list, n);
	plan_free(one);
}

void
exchange_contract(const exchange_ctx *ctx, const char *number, exchange_reply *out)
{
	contract c;
	cancellation x;
	contract_owner *owners = NULL;
	size_t nowners = 0;
	plan *p = NULL;
	xmlDocPtr doc;
	xmlNodePtr root, list;
	char err[256];
	int r, rx = 0;

	memset(out, 0, sizeof *out);
	r = contract_find(ctx->db, ctx->dealer_id, number, false, &c, err, sizeof err);
	if (r == 0) {
		exchange_reply_error(out, 404, "not-found", NULL, "there is no contract %s", number);
		return;
	}
	if (r < 0 || plan_load(ctx->db, c.plan_code, c.plan_version, &p, err, sizeof err) != 1 ||
	    contract_owners(ctx->db, c.id, &owners, &nowners, err, sizeof err) != 0 ||
	    (rx = contract_cancellation(ctx->db, c.id, &x, err, sizeof err)) < 0) {
		exchange_reply_error(out, 503, "database-unavailable", NULL,
		    "the contract cannot be read now; retry later");
		goto out;
	}
	root = xw_new("Contract", &doc);
	xw_text(root, "ContractNumber", c.number);
	xw_text(root, "DealerId", c.dealer_id);
	xw_text(root, "State", contract_state_name(contract_state_on(&c, ctx->today)));
	xw_opt(root, "QuoteId", c.quote_id);
	dp_write_asset_ref(root, "AssetRef", c.asset.serial, c.asset.is_vin);
	dp_write_plan_summary(root, p);
	dp_write_customer(root, "Customer", &c.owner);
	xw_date(root, "SaleDate", c.sale_date);
	dp_write_contract_coverage(root, &c, p);
	dp_write_price(root, &c.price);
	dp_write_split(root, &c.price);
	dp_write_pricing_record(root, &c.price);
	xw_opt(root, "DealerReference", c.dealer_reference);
	xw_money(root, "ClaimsPaid", c.claims_paid, c.price.currency);
	xw_money(root, "RemainingLiability", c.terms.liability_limit - c.claims_paid > 0 ?
	    c.terms.liability_limit - c.claims_paid : 0, c.price.currency);
	list = xw_elem(root, "Owners");
	for (size_t i = 0; i < nowners; i++) {
		xmlNodePtr o = xw_elem(list, "Owner");
		xw_int(o, "Sequence", owners[i].seq);
		xw_date(o, "EffectiveDate", owners[i].effective_date);
		if (owners[i].has_usage)
			xw_int(o, "Usage", owners[i].usage);
		dp_write_customer(o, "Customer", &owners[i].who);
	}
	if (rx == 1) {
		xmlNodePtr el = xw_elem(root, "Cancellation");
		xw_date(el, "CancellationDate", x.date);
		if (x.has_usage)
			xw_int(el, "Usage", x.usage);
		xw_text(el, "Reason", x.reason);
		xw_opt(el, "Comment", x.comment);
		dp_write_refund(el, &x.refund, c.price.currency);
		xw_opt(el, "CreditNoteNumber", x.credit_note_number);
	}
	out->status = 200;
	out->body = xw_finish(doc, &out->len);
out:
	free(owners);
	plan_free(p);
}

void
exchange_coverage(const exchange_ctx *ctx, const char *serial, date_t date, bool has_usage,
    int64_t usage, const char *component, exchange_reply *out)
{
	asset a;
	int64_t id;
	char err[256];
	bool is_vin = false;
	int r;

	memset(out, 0, sizeof *out);
	r = asset_find(ctx->db, ctx->dealer_id, serial, &a, &id, err, sizeof err);
	if (r < 0) {
		exchange_reply_error(out, 503, "database-unavailable", NULL, "%s", err);
		return;
	}
	if (r == 0) {
		exchange_reply_error(out, 404, "not-found", NULL, "there is no asset %s", serial);
		return;
	}
	is_vin = a.is_vin;
	out->body = action_coverage_answer(ctx, serial, is_vin, NULL, date, has_usage, usage,
	    component, NULL, &out->len, err, sizeof err);
	if (out->body == NULL) {
		exchange_reply_error(out, 503, "database-unavailable", NULL, "%s", err);
		return;
	}
	out->status = 200;
}
