/* docparts — shared document structures, read and written (see docparts.h). */
#include "exchange/docparts.h"
#include "exchange/xmlread.h"
#include "exchange/xmlwrite.h"
#include "base/crypto.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

void
dp_read_header(xmlNodePtr root, char document_id[65], char dealer_id[65])
{
	xmlNodePtr h = xr_child(root, "Header");

	xr_text(h, "DocumentId", document_id, 65);
	xr_text(h, "DealerId", dealer_id, 65);
}

void
dp_read_asset_ref(xmlNodePtr el, char serial[65], bool *is_vin)
{
	*is_vin = false;
	if (xr_text(el, "SerialNumber", serial, 65))
		return;
	*is_vin = xr_text(el, "VIN", serial, 65);
}

bool
dp_read_asset(xmlNodePtr el, asset *out, problem_list *pl, const char *rel)
{
	char path[300], text[64];
	xmlNodePtr mw = xr_child(el, "ManufacturerWarranty");
	size_t before = problems_count(pl);
	int64_t v;

	memset(out, 0, sizeof *out);
	dp_read_asset_ref(el, out->serial, &out->is_vin);
	xr_text(el, "Model", out->model, sizeof out->model);
	xr_text(el, "ProductCategory", out->product_category, sizeof out->product_category);
	snprintf(path, sizeof path, "%s/PurchaseDate", rel);
	xr_date(el, "PurchaseDate", &out->purchase_date, pl, path);
	snprintf(path, sizeof path, "%s/PurchasePrice", rel);
	xr_money(xr_child(el, "PurchasePrice"), NULL, &out->purchase_price, out->currency, pl, path);
	if (xr_text(el, "UsageUnit", text, sizeof text))
		usage_unit_parse(text, &out->usage_unit);
	snprintf(path, sizeof path, "%s/UsageAtSale", rel);
	if (xr_int(el, "UsageAtSale", &v, pl, path))
		out->usage_at_sale = v;
	snprintf(path, sizeof path, "%s/ManufacturerWarranty/Months", rel);
	if (xr_int(mw, "Months", &v, pl, path))
		out->mw_months = (int)v;
	snprintf(path, sizeof path, "%s/ManufacturerWarranty/UsageLimit", rel);
	if (xr_int(mw, "UsageLimit", &v, pl, path))
		out->mw_usage_limit = v;
	xr_bool(el, "CommercialUse", &out->commercial_use);
	return problems_count(pl) == before;
}

void
dp_read_customer(xmlNodePtr el, customer *out)
{
	xmlNodePtr addr = xr_child(el, "Address");

	memset(out, 0, sizeof *out);
	xr_text(el, "Name", out->name, sizeof out->name);
	xr_text(el, "Email", out->email, sizeof out->email);
	xr_text(el, "Phone", out->phone, sizeof out->phone);
	xr_text(el, "TaxId", out->tax_id, sizeof out->tax_id);
	for (xmlNodePtr l = xr_child(addr, "Line"); l && out->nlines < CUSTOMER_LINES_MAX;
	     l = xr_next(l, "Line"))
		xr_text_of(l, out->lines[out->nlines++], sizeof out->lines[0]);
	xr_text(addr, "PostalCode", out->postal_code, sizeof out->postal_code);
	xr_text(addr, "City", out->city, sizeof out->city);
	xr_text(addr, "Region", out->region, sizeof out->region);
	xr_text(addr, "Country", out->country, sizeof out->country);
}

void
dp_read_plan_ref(xmlNodePtr el, char code[65], int *version)
{
	int64_t v = 0;

	xr_text(el, "Code", code, 65);
	*version = xr_int(el, "Version", &v, NULL, NULL) ? (int)v : 0;
}

/* ------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------ */

void
dp_new_id(const char *prefix, char out[65])
{
	char hex[17];

	random_hex(hex, 8);
	snprintf(out, 65, "%s-%s", prefix, hex);
}

void
dp_write_reply_header(xmlNodePtr root, const char *document_id, const char *dealer_id,
    date_t issue_date, const char *in_reply_to)
{
	xmlNodePtr h = xw_elem(root, "Header");

	xw_text(h, "DocumentId", document_id);
	xw_text(h, "DealerId", dealer_id);
	xw_date(h, "IssueDate", issue_date);
	xw_opt(h, "InReplyTo", in_reply_to);
}

void
dp_write_asset_ref(xmlNodePtr parent, const char *name, const char *serial, bool is_vin)
{
	xmlNodePtr ref = xw_elem(parent, name);

	xw_text(ref, is_vin ? "VIN" : "SerialNumber", serial);
}

void
dp_write_customer(xmlNodePtr parent, const char *name, const customer *c)
{
	xmlNodePtr el = xw_elem(parent, name), addr;

	xw_text(el, "Name", c->name);
	xw_opt(el, "Email", c->email);
	xw_opt(el, "Phone", c->phone);
	xw_opt(el, "TaxId", c->tax_id);
	addr = xw_elem(el, "Address");
	for (int i = 0; i < c->nlines; i++)
		xw_text(addr, "Line", c->lines[i]);
	xw_opt(addr, "PostalCode", c->postal_code);
	xw_text(addr, "City", c->city);
	xw_opt(addr, "Region", c->region);
	xw_text(addr, "Country", c->country);
}

void
dp_write_plan_summary(xmlNodePtr parent, const plan *p)
{
	xmlNodePtr el = xw_elem(parent, "Plan");

	xw_text(el, "Code", p->code);
	xw_int(el, "Version", p->version);
	xw_text(el, "Name", p->name);
	xw_int(el, "TermMonths", p->term_months);
	if (p->usage_limit > 0)
		xw_attr(xw_int(el, "UsageLimit", p->usage_limit), "unit", usage_unit_name(p->usage_unit));
	xw_text(el, "Coverage", plan_coverage_name(p->coverage));
}

void
dp_write_price(xmlNodePtr parent, const priced *p)
{
	xmlNodePtr el = xw_elem(parent, "Price");
	char pct[32];

	tax_rate_percent(p->tax_rate, pct, sizeof pct);
	xw_money(el, "NetPrice", p->net, p->currency);
	xw_text(el, "TaxCategory", tax_category_code(p->tax_category));
	xw_text(el, "TaxRate", pct);
	xw_money(el, "Tax", p->tax, p->currency);
	xw_money(el, "Total", p->total, p->currency);
}

void
dp_write_pricing_record(xmlNodePtr parent, const priced *p)
{
	xmlNodePtr el = xw_elem(parent, "Pricing");

	xw_text(el, "Plugin", p->plugin);
	xw_text(el, "PluginVersion", p->plugin_version);
	xw_text(el, "InputHash", p->input_hash);
}

void
dp_write_split(xmlNodePtr parent, const priced *p)
{
	xmlNodePtr el = xw_elem(parent, "Split");

	xw_money(el, "RetailPrice", p->net, p->currency);
	xw_money(el, "DealerCost", p->dealer_cost, p->currency);
	xw_money(el, "AdminFee", p->admin_fee, p->currency);
	xw_money(el, "ClaimsReserve", p->claims_reserve, p->currency);
	xw_money(el, "DealerMargin", p->dealer_margin, p->currency);
}

void
dp_write_contract_coverage(xmlNodePtr parent, const contract *c, const plan *p)
{
	xmlNodePtr el = xw_elem(parent, "Coverage");
	const contract_terms *t = &c->terms;

	xw_text(el, "Scope", plan_coverage_name(p->coverage));
	xw_date(el, "StartDate", t->start_date);
	xw_date(el, "EndDate", t->end_date);
	if (t->has_waiting)
		xw_date(el, "WaitingPeriodEnds", t->waiting_ends);
	xw_text(el, "UsageUnit", usage_unit_name(c->asset.usage_unit));
	if (c->asset.usage_unit != CD_USAGE_NONE)
		xw_int(el, "StartUsage", t->start_usage);
	if (t->has_usage_limit)
		xw_int(el, "EndUsage", t->end_usage);
	xw_money(el, "LimitOfLiability", t->liability_limit, c->price.currency);
	xw_money(el, "Deductible", c->deductible, c->price.currency);
}

void
dp_write_refund(xmlNodePtr parent, const refund_result *r, const char *currency)
{
	xmlNodePtr el = xw_elem(parent, "Refund");
	char share[32];

	xw_text(el, "Basis", refund_basis_name(r->basis));
	xw_int(el, "TermDays", r->term_days);
	xw_int(el, "UnusedDays", r->unused_days);
	share_format(r->share_days_num, r->share_days_den, share, sizeof share);
	xw_text(el, "UnusedShareByDays", share);
	if (r->usage_used) {
		xw_int(el, "UsageAllowance", r->usage_allowance);
		xw_int(el, "UnusedUsage", r->unused_usage);
		share_format(r->share_usage_num, r->share_usage_den, share, sizeof share);
		xw_text(el, "UnusedShareByUsage", share);
	}
	share_format(r->share_num, r->share_den, share, sizeof share);
	xw_text(el, "UnusedShare", share);
	xw_money(el, "PricePaid", r->price_paid, currency);
	xw_money(el, "UnusedAmount", r->unused_amount, currency);
	xw_money(el, "CancellationFee", r->fee, currency);
	xw_money(el, "ClaimsDeducted", r->claims_deducted, currency);
	xw_money(el, "RefundAmount", r->refund, currency);
	xw_money(el, "CommissionChargeback", r->chargeback, currency);
}

void
dp_write_problems(xmlNodePtr parent, const problem_list *pl)
{
	xmlNodePtr el;

	if (problems_count(pl) == 0)
		return;
	el = xw_elem(parent, "Problems");
	for (size_t i = 0; i < pl->n; i++) {
		xmlNodePtr p = xw_elem(el, "Problem");
		xw_text(p, "Code", pl->items[i].code);
		xw_text(p, "Message", pl->items[i].message[0] ? pl->items[i].message : "invalid");
		xw_opt(p, "Path", pl->items[i].path);
	}
	if (pl->dropped > 0) {
		xmlNodePtr p = xw_elem(el, "Problem");
		xw_text(p, "Code", "too-many-problems");
		xw_textf(p, "Message", "%zu more problems were found and not listed", pl->dropped);
	}
}
