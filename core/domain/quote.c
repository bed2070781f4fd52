/* quote — signing, storing and finding quotes (see quote.h). */
#include "domain/quote.h"
#include "domain/canon_text.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
quote_signing_text(const quote *q, size_t *len)
{
	const asset *a = &q->asset;
	const priced *p = &q->price;
	char rate_text[32];
	buf b;

	if (rate_format(p->tax_rate, rate_text, sizeof rate_text) != MONEY_OK)
		snprintf(rate_text, sizeof rate_text, "?");
	buf_init(&b, 0);
	buf_puts(&b, "contractd-quote 1\n");
	canon_put(&b, "quote-id", q->id);
	canon_put(&b, "dealer", q->dealer_id);
	canon_put(&b, "plan", q->plan_code);
	canon_put_int(&b, "plan-version", q->plan_version);
	canon_put_date(&b, "quote-date", q->quote_date);
	canon_put_date(&b, "valid-until", q->valid_until);
	canon_put(&b, "serial", a->serial);
	canon_put_int(&b, "vin", a->is_vin ? 1 : 0);
	canon_put(&b, "model", a->model);
	canon_put(&b, "product-category", a->product_category);
	canon_put_date(&b, "purchase-date", a->purchase_date);
	canon_put_int(&b, "purchase-price", a->purchase_price);
	canon_put(&b, "usage-unit", usage_unit_name(a->usage_unit));
	canon_put_int(&b, "usage-at-sale", a->usage_at_sale);
	canon_put_int(&b, "mw-months", a->mw_months);
	canon_put_int(&b, "mw-usage-limit", a->mw_usage_limit);
	canon_put_int(&b, "commercial-use", a->commercial_use ? 1 : 0);
	canon_put(&b, "currency", p->currency);
	canon_put_int(&b, "net", p->net);
	canon_put(&b, "tax-category", tax_category_code(p->tax_category));
	canon_put(&b, "tax-rate", rate_text);
	canon_put_int(&b, "tax", p->tax);
	canon_put_int(&b, "total", p->total);
	canon_put_int(&b, "dealer-cost", p->dealer_cost);
	canon_put_int(&b, "admin-fee", p->admin_fee);
	canon_put_int(&b, "claims-reserve", p->claims_reserve);
	canon_put(&b, "plugin", p->plugin);
	canon_put(&b, "plugin-version", p->plugin_version);
	canon_put(&b, "input-hash", p->input_hash);
	return buf_detach(&b, len);
}

void
quote_sign(const quote *q, const void *key, size_t keylen, char out[65])
{
	size_t len;
	char *text = quote_signing_text(q, &len);

	hmac_sha256_hex(key, keylen, text, len, out);
	free(text);
}

bool
quote_signature_valid(const quote *q, const void *key, size_t keylen, const char *signature)
{
	char expect[65];
	bool cited_ok, stored_ok;

	if (signature == NULL || strlen(signature) != 64 || strlen(q->signature) != 64)
		return false;
	quote_sign(q, key, keylen, expect);
	cited_ok = ct_streq(expect, signature);
	stored_ok = ct_streq(expect, q->signature);
	return cited_ok && stored_ok;
}

int
quote_insert(db_conn *c, const quote *q, char *err, size_t errlen)
{
	const asset *a = &q->asset;
	const priced *p = &q->price;
	char rate_text[32];

	rate_format(p->tax_rate, rate_text, sizeof rate_text);
	if (db_exec(c, "INSERT INTO quotes (quote_id, dealer_id, document_id, plan_code, "
		       "plan_version, quote_date, valid_until, serial, is_vin, model, "
		       "product_category, purchase_date, purchase_price, usage_unit, usage_at_sale, "
		       "mw_months, mw_usage_limit, commercial_use, currency, net_price, tax_category, "
		       "tax_rate, tax, total, dealer_cost, admin_fee, claims_reserve, plugin_name, "
		       "plugin_version, input_hash, explanation, signature, created_at) VALUES "
		       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
		       "?, ?, ?, ?, ?, UTC_TIMESTAMP(6))",
		"ssssdDDsdssDisididsissiiiiisssss", q->id, q->dealer_id, q->document_id, q->plan_code,
		q->plan_version, q->quote_date, q->valid_until, a->serial, a->is_vin ? 1 : 0, a->model,
		a->product_category, a->purchase_date, a->purchase_price, usage_unit_name(a->usage_unit),
		a->usage_at_sale, a->mw_months, a->mw_usage_limit, a->commercial_use ? 1 : 0,
		p->currency, p->net, tax_category_code(p->tax_category), rate_text, p->tax, p->total,
		p->dealer_cost, p->admin_fee, p->claims_reserve, p->plugin, p->plugin_version,
		p->input_hash, p->explanation, q->signature) < 0) {
		snprintf(err, errlen, "storing quote %s: %s", q->id, db_error(c));
		return -1;
	}
	return 0;
}

#define QUOTE_COLUMNS \
	"quote_id, dealer_id, document_id, plan_code, plan_version, quote_date, valid_until, " \
	"serial, is_vin, model, product_category, purchase_date, purchase_price, usage_unit, " \
	"usage_at_sale, mw_months, mw_usage_limit, commercial_use, currency, net_price, " \
	"tax_category, tax_rate, tax, total, dealer_cost, admin_fee, claims_reserve, " \
	"plugin_name, plugin_version, input_hash, explanation, signature, contract_id"

static const char *
col(const db_rows *r, unsigned i)
{
	const char *s = db_rows_str(r, i);

	return s ? s : "";
}

/* Fills q from a row of QUOTE_COLUMNS. */
static void
quote_from_row(const db_rows *r, quote *q)
{
	asset *a = &q->asset;
	priced *p = &q->price;

	memset(q, 0, sizeof *q);
	snprintf(q->id, sizeof q->id, "%s", col(r, 0));
	snprintf(q->dealer_id, sizeof q->dealer_id, "%s", col(r, 1));
	snprintf(q->document_id, sizeof q->document_id, "%s", col(r, 2));
	snprintf(q->plan_code, sizeof q->plan_code, "%s", col(r, 3));
	q->plan_version = (int)db_rows_int(r, 4);
	db_rows_date(r, 5, &q->quote_date);
	db_rows_date(r, 6, &q->valid_until);
	snprintf(a->serial, sizeof a->serial, "%s", col(r, 7));
	a->is_vin = db_rows_int(r, 8) != 0;
	snprintf(a->model, sizeof a->model, "%s", col(r, 9));
	snprintf(a->product_category, sizeof a->product_category, "%s", col(r, 10));
	db_rows_date(r, 11, &a->purchase_date);
	a->purchase_price = db_rows_int(r, 12);
	usage_unit_parse(col(r, 13), &a->usage_unit);
	a->usage_at_sale = db_rows_int(r, 14);
	a->mw_months = (int)db_rows_int(r, 15);
	a->mw_usage_limit = db_rows_int(r, 16);
	a->commercial_use = db_rows_int(r, 17) != 0;
	snprintf(a->currency, sizeof a->currency, "%s", col(r, 18));
	snprintf(p->currency, sizeof p->currency, "%s", col(r, 18));
	p->net = db_rows_int(r, 19);
	tax_category_parse(col(r, 20), &p->tax_category);
	rate_parse(col(r, 21), &p->tax_rate);
	p->tax = db_rows_int(r, 22);
	p->total = db_rows_int(r, 23);
	p->dealer_cost = db_rows_int(r, 24);
	p->admin_fee = db_rows_int(r, 25);
	p->claims_reserve = db_rows_int(r, 26);
	p->dealer_margin = p->net - p->dealer_cost;
	snprintf(p->plugin, sizeof p->plugin, "%s", col(r, 27));
	snprintf(p->plugin_version, sizeof p->plugin_version, "%s", col(r, 28));
	snprintf(p->input_hash, sizeof p->input_hash, "%s", col(r, 29));
	snprintf(p->explanation, sizeof p->explanation, "%s", col(r, 30));
	snprintf(q->signature, sizeof q->signature, "%s", col(r, 31));
	q->contract_id = db_rows_int(r, 32);
}

int
quote_find(db_conn *c, const char *dealer_id, const char *id, bool for_update, quote *out,
    char *err, size_t errlen)
{
	db_rows *r;
	int rc = 0;

	if (for_update)
		r = db_query(c, "SELECT " QUOTE_COLUMNS " FROM quotes WHERE quote_id = ? "
				"AND dealer_id = ? FOR UPDATE", "ss", id, dealer_id);
	else
		r = db_query(c, "SELECT " QUOTE_COLUMNS " FROM quotes WHERE quote_id = ? "
				"AND dealer_id = ?", "ss", id, dealer_id);
	if (r == NULL) {
		snprintf(err, errlen, "%s", db_error(c));
		return -1;
	}
	if (db_rows_next(r) == 1) {
		quote_from_row(r, out);
		rc = 1;
	}
	db_rows_free(r);
	return rc;
}

int
quote_mark_used(db_conn *c, const char *id, int64_t contract_id, char *err, size_t errlen)
{
	if (db_exec(c, "UPDATE quotes SET contract_id = ? WHERE quote_id = ?", "is", contract_id,
		id) < 0) {
		snprintf(err, errlen, "%s", db_error(c));
		return -1;
	}
	return 0;
}
