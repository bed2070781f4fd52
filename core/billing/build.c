/* build — the invoices business events give rise to (see build.h). */
#include "billing/build.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
party_from_customer(const customer *c, invoice_party *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", c->name);
	if (c->nlines > 0)
		snprintf(out->street, sizeof out->street, "%s", c->lines[0]);
	if (c->nlines > 1)
		snprintf(out->additional_street, sizeof out->additional_street, "%s", c->lines[1]);
	snprintf(out->city, sizeof out->city, "%s", c->city);
	snprintf(out->postal_code, sizeof out->postal_code, "%s", c->postal_code);
	snprintf(out->country, sizeof out->country, "%s", c->country);
	snprintf(out->email, sizeof out->email, "%s", c->email);
	/* A tax id with a country prefix is a VAT identifier (BT-48); any
	 * other is the buyer's registration (BT-47). */
	if (c->tax_id[0] >= 'A' && c->tax_id[0] <= 'Z' && c->tax_id[1] >= 'A' && c->tax_id[1] <= 'Z')
		snprintf(out->vat_id, sizeof out->vat_id, "%s", c->tax_id);
	else
		snprintf(out->legal_id, sizeof out->legal_id, "%s", c->tax_id);
}

int
party_from_dealer(db_conn *db, const char *dealer_id, const billing_settings *bs,
    invoice_party *out, char *err, size_t errlen)
{
	db_rows *r = db_query(db, "SELECT name, COALESCE(street, ''), COALESCE(city, ''), "
	    "COALESCE(postal_code, ''), COALESCE(country, ''), COALESCE(vat_id, ''), "
	    "COALESCE(email, '') FROM dealers WHERE id = ?", "s", dealer_id);
	int found;

	memset(out, 0, sizeof *out);
	if (r == NULL) {
		snprintf(err, errlen, "reading the dealer: %s", db_error(db));
		return -1;
	}
	found = db_rows_next(r);
	if (found == 1) {
		snprintf(out->name, sizeof out->name, "%s", db_rows_str(r, 0));
		snprintf(out->street, sizeof out->street, "%s", db_rows_str(r, 1));
		snprintf(out->city, sizeof out->city, "%s", db_rows_str(r, 2));
		snprintf(out->postal_code, sizeof out->postal_code, "%s", db_rows_str(r, 3));
		snprintf(out->country, sizeof out->country, "%s", db_rows_str(r, 4));
		snprintf(out->vat_id, sizeof out->vat_id, "%s", db_rows_str(r, 5));
		snprintf(out->email, sizeof out->email, "%s", db_rows_str(r, 6));
		snprintf(out->party_id, sizeof out->party_id, "%s", dealer_id);
		if (out->country[0] == '\0')
			snprintf(out->country, sizeof out->country, "%s", bs->seller.country);
	}
	db_rows_free(r);
	if (found < 0) {
		snprintf(err, errlen, "reading the dealer: %s", db_error(db));
		return -1;
	}
	return found;
}

static void
start(invoice *out, invoice_type type, invoice_origin origin, const char *currency,
    date_t today, size_t capacity)
{
	memset(out, 0, sizeof *out);
	out->type = type;
	out->origin = origin;
	out->issue_date = today;
	snprintf(out->currency, sizeof out->currency, "%s", currency);
	out->lines = xcalloc(capacity + 1, sizeof *out->lines);
}

/* Appends a line; name falls back to code. quantity NULL: one unit of net. */
static invoice_line *
add(invoice *inv, cd_line_kind kind, const char *code, const char *name, const rate *quantity,
    int64_t unit_price, int64_t net, cd_tax_category cat, const tax_rates *rates)
{
	invoice_line *l = &inv->lines[inv->nlines++];

	l->kind = kind;
	snprintf(l->item_code, sizeof l->item_code, "%s", code ? code : "");
	snprintf(l->item_name, sizeof l->item_name, "%s", name && *name ? name :
	    (code && *code ? code : "Item"));
	if (quantity != NULL) {
		l->quantity = *quantity;
		l->unit_price = unit_price;
	} else {
		l->quantity = (rate){ 1, 0 };
		l->unit_price = net;
	}
	snprintf(l->unit_code, sizeof l->unit_code, "%s", invoice_unit_for_kind(kind));
	l->net = net;
	l->tax_category = cat;
	l->tax_rate = rates && rates->set[cat] ? rates->rates[cat] : (rate){ 0, 0 };
	return l;
}

static void
claim_references(invoice *inv, const claim_record *c)
{
	snprintf(inv->buyer_reference, sizeof inv->buyer_reference, "%s", c->repair_order);
	snprintf(inv->order_reference, sizeof inv->order_reference, "%s", c->number);
	snprintf(inv->contract_reference, sizeof inv->contract_reference, "%s",
	    c->contract_number);
	snprintf(inv->dealer_id, sizeof inv->dealer_id, "%s", c->dealer_id);
}

size_t
build_claim_customer_invoice(const claim_record *c, const claim_line *lines, size_t n,
    const tax_rates *rates, const invoice_party *buyer, date_t today, invoice *out)
{
	bool any_covered = false;

	start(out, INVOICE_COMMERCIAL, ORIGIN_CLAIM_CUSTOMER, c->currency, today, n + 1);
	for (size_t i = 0; i < n; i++) {
		const claim_line *l = &lines[i];
		if (l->covered != 0)
			any_covered = true;
		if (l->customer == 0)
			continue;
		add(out, l->kind, l->code, l->description, l->customer == l->amount ?
		    &l->quantity : NULL, l->unit_price, l->customer, l->tax_category, rates);
	}
	if (c->totals.deductible > 0) {
		char name[120];
		snprintf(name, sizeof name, "Deductible, service contract %s", c->contract_number);
		add(out, CD_LINE_FEE, "DEDUCTIBLE", name, NULL, 0, c->totals.deductible,
		    CD_TAX_STANDARD, rates);
	}
	if (c->totals.customer_pays <= 0) {
		invoice_free(out);
		return 0;
	}
	if (!any_covered)
		out->origin = ORIGIN_REPAIR;
	out->buyer = *buyer;
	claim_references(out, c);
	snprintf(out->note, sizeof out->note, "Repair order %s, claim %s", c->repair_order,
	    c->number);
	return out->nlines;
}

size_t
build_settlement_add_claim(invoice *out, const claim_record *c, const claim_line *lines,
    size_t n, const tax_rates *rates)
{
	size_t before = out->nlines;

	if (c->totals.warrantor_pays <= 0)
		return 0;
	out->lines = xreallocarray(out->lines, out->nlines + n + 2, sizeof *out->lines);
	memset(&out->lines[out->nlines], 0, (n + 2) * sizeof *out->lines);
	for (size_t i = 0; i < n; i++) {
		const claim_line *l = &lines[i];
		if (l->covered == 0)
			continue;
		/* A unit price of 0: a line stored before unit prices were. */
		add(out, l->kind, l->code, l->description, l->covered == l->amount &&
		    l->unit_price > 0 ? &l->quantity : NULL, l->unit_price, l->covered,
		    l->tax_category, rates);
	}
	if (c->totals.deductible > 0) {
		char name[120];
		snprintf(name, sizeof name, "Deductible paid by the customer, contract %s",
		    c->contract_number);
		add(out, CD_LINE_DISCOUNT, "DEDUCTIBLE", name, NULL, 0, -c->totals.deductible,
		    CD_TAX_STANDARD, rates);
	}
	for (size_t i = before; i < out->nlines; i++)
		snprintf(out->lines[i].note, sizeof out->lines[i].note,
		    "Claim %s, repair order %s", c->number, c->repair_order);
	return out->nlines - before;
}

size_t
build_claim_settlement(const claim_record *c, const claim_line *lines, size_t n,
    const tax_rates *rates, const invoice_party *dealer_party, date_t today, invoice *out)
{
	start(out, INVOICE_CREDIT_NOTE, ORIGIN_CLAIM_SETTLEMENT, c->currency, today, 0);
	if (build_settlement_add_claim(out, c, lines, n, rates) == 0) {
		invoice_free(out);
		return 0;
	}
	out->buyer = *dealer_party;
	claim_references(out, c);
	snprintf(out->note, sizeof out->note, "Warranty settlement of claim %s, repair order %s",
	    c->number, c->repair_order);
	return out->nlines;
}

size_t
build_parts_invoice(const char *dealer_id, const char *order_number,
    const char *order_reference, const char *currency, const cd_line *lines, size_t n,
    const tax_rates *rates, const invoice_party *dealer_party, date_t today, invoice *out)
{
	start(out, INVOICE_COMMERCIAL, ORIGIN_PARTS_ORDER, currency, today, n);
	for (size_t i = 0; i < n; i++) {
		const cd_line *l = &lines[i];
		rate q = { l->quantity.value, l->quantity.scale };
		invoice_line *il = add(out, l->kind, l->code, l->description, &q, l->unit_price,
		    l->amount, l->tax_category, rates);
		if (l->reference[0] != '\0')
			snprintf(il->note, sizeof il->note, "Ordered as %s", l->reference);
	}
	out->buyer = *dealer_party;
	snprintf(out->dealer_id, sizeof out->dealer_id, "%s", dealer_id);
	snprintf(out->buyer_reference, sizeof out->buyer_reference, "%s", order_reference);
	snprintf(out->order_reference, sizeof out->order_reference, "%s", order_number);
	snprintf(out->note, sizeof out->note, "Parts order %s", order_number);
	return out->nlines;
}

size_t
build_contract_sale(const contract *c, const char *plan_name, const invoice_party *buyer,
    date_t today, invoice *out)
{
	char name[INVOICE_TEXT_MAX + 1];
	invoice_line *l;

	start(out, INVOICE_COMMERCIAL, ORIGIN_CONTRACT_SALE, c->price.currency, today, 1);
	snprintf(name, sizeof name, "Service contract %s: %s, %s", c->number, plan_name,
	    c->asset.serial);
	l = add(out, CD_LINE_FEE, c->plan_code, name, NULL, 0, c->price.net,
	    c->price.tax_category, NULL);
	l->tax_rate = c->price.tax_rate;
	out->buyer = *buyer;
	snprintf(out->dealer_id, sizeof out->dealer_id, "%s", c->dealer_id);
	snprintf(out->buyer_reference, sizeof out->buyer_reference, "%s", c->number);
	snprintf(out->contract_reference, sizeof out->contract_reference, "%s", c->number);
	snprintf(out->note, sizeof out->note, "Sold by dealer %s", c->dealer_id);
	return 1;
}

size_t
build_installment(const contract *c, const char *plan_name, int k, date_t today, invoice *out)
{
	int64_t ones[60], parts[60];
	char name[INVOICE_TEXT_MAX + 1];
	invoice_party buyer;
	invoice_line *l;
	int n = c->installments;

	if (n < 2 || n > 60 || k < 1 || k > n)
		return 0;
	for (int i = 0; i < n; i++)
		ones[i] = 1;
	if (money_allocate(c->price.net, ones, (size_t)n, parts) != MONEY_OK)
		return 0;
	start(out, INVOICE_COMMERCIAL, ORIGIN_CONTRACT_SALE, c->price.currency, today, 1);
	snprintf(name, sizeof name, "Service contract %s: %s, %s, installment %d of %d", c->number,
	    plan_name, c->asset.serial, k, n);
	l = add(out, CD_LINE_FEE, c->plan_code, name, NULL, 0, parts[k - 1],
	    c->price.tax_category, NULL);
	l->tax_rate = c->price.tax_rate;
	party_from_customer(&c->owner, &buyer);
	out->buyer = buyer;
	snprintf(out->dealer_id, sizeof out->dealer_id, "%s", c->dealer_id);
	snprintf(out->buyer_reference, sizeof out->buyer_reference, "%s", c->number);
	snprintf(out->contract_reference, sizeof out->contract_reference, "%s", c->number);
	snprintf(out->note, sizeof out->note, "Installment %d of %d, sold by dealer %s", k, n,
	    c->dealer_id);
	return 1;
}

size_t
build_cancellation_credit(const contract *c, const invoice *sale, int64_t refund_net,
    const invoice_party *buyer, date_t today, invoice *out)
{
	invoice_line *l;
	char name[INVOICE_TEXT_MAX + 1];

	start(out, INVOICE_CREDIT_NOTE, ORIGIN_CANCELLATION, c->price.currency, today, 1);
	if (refund_net <= 0) {
		invoice_free(out);
		return 0;
	}
	snprintf(name, sizeof name, "Refund on cancellation of service contract %s", c->number);
	l = add(out, CD_LINE_FEE, c->plan_code, name, NULL, 0, refund_net, c->price.tax_category,
	    NULL);
	l->tax_rate = c->price.tax_rate;
	l->corrects_line = 1;
	out->buyer = *buyer;
	snprintf(out->dealer_id, sizeof out->dealer_id, "%s", c->dealer_id);
	snprintf(out->buyer_reference, sizeof out->buyer_reference, "%s", c->number);
	snprintf(out->contract_reference, sizeof out->contract_reference, "%s", c->number);
	if (sale != NULL) {
		snprintf(out->preceding_number, sizeof out->preceding_number, "%s", sale->number);
		out->preceding_issue_date = sale->issue_date;
	}
	snprintf(out->note, sizeof out->note, "Cancellation of service contract %s", c->number);
	return 1;
}
