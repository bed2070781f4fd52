/* pricing — plugin, split, tax and the pricing record (see pricing.h). */
#include "domain/pricing.h"
#include "domain/canon_text.h"
#include "plugin/host.h"
#include "plugin/registry.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const tax_codes[] = { "S", "Z", "E", "AE" };

const char *
tax_category_code(cd_tax_category c)
{
	if ((unsigned)c < 4)
		return tax_codes[c];
	return "S";
}

int
tax_category_parse(const char *code, cd_tax_category *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(code, tax_codes[i]) == 0) {
			*out = (cd_tax_category)i;
			return 0;
		}
	}
	return -1;
}

void
pricing_request_fill(cd_pricing_request *req, const plan *p, const asset *a,
    const char *dealer_id, date_t quote_date)
{
	memset(req, 0, sizeof *req);
	req->struct_size = sizeof *req;
	req->currency = p->currency;
	req->plan_code = p->code;
	req->dealer_id = dealer_id;
	req->product_category = a->product_category;
	req->model = a->model;
	req->purchase_price = a->purchase_price;
	date_format(a->purchase_date, req->purchase_date.iso);
	date_format(quote_date, req->quote_date.iso);
	req->asset_age_months = quote_date >= a->purchase_date ?
	    date_months_between(a->purchase_date, quote_date) : 0;
	req->term_months = p->term_months;
	req->usage_unit = a->usage_unit;
	req->usage_at_sale = a->usage_at_sale;
	req->usage_limit = p->usage_limit;
	req->commercial_use = a->commercial_use ? 1 : 0;
	req->params = p->params;
	req->nparams = p->nparams;
}

static int
cmp_param_ptr(const void *a, const void *b)
{
	const cd_param *x = *(const cd_param *const *)a, *y = *(const cd_param *const *)b;

	return strcmp(x->key, y->key);
}

char *
pricing_input_canonical(const cd_pricing_request *req, size_t *len)
{
	const cd_param **sorted = xcalloc(req->nparams ? req->nparams : 1, sizeof *sorted);
	buf b;

	buf_init(&b, 0);
	buf_puts(&b, "contractd-pricing-input 1\n");
	canon_put(&b, "currency", req->currency);
	canon_put(&b, "plan", req->plan_code);
	canon_put(&b, "dealer", req->dealer_id);
	canon_put(&b, "product-category", req->product_category);
	canon_put(&b, "model", req->model);
	canon_put_int(&b, "purchase-price", req->purchase_price);
	canon_put(&b, "purchase-date", req->purchase_date.iso);
	canon_put(&b, "quote-date", req->quote_date.iso);
	canon_put_int(&b, "asset-age-months", req->asset_age_months);
	canon_put_int(&b, "term-months", req->term_months);
	canon_put(&b, "usage-unit", usage_unit_name(req->usage_unit));
	canon_put_int(&b, "usage-at-sale", req->usage_at_sale);
	canon_put_int(&b, "usage-limit", req->usage_limit);
	canon_put_int(&b, "commercial-use", req->commercial_use ? 1 : 0);
	for (size_t i = 0; i < req->nparams; i++)
		sorted[i] = &req->params[i];
	qsort(sorted, req->nparams, sizeof *sorted, cmp_param_ptr);
	for (size_t i = 0; i < req->nparams; i++) {
		buf_printf(&b, "param.");
		canon_put(&b, sorted[i]->key, sorted[i]->value);
	}
	free(sorted);
	return buf_detach(&b, len);
}

void
pricing_input_hash(const cd_pricing_request *req, char out[65])
{
	size_t len;
	char *text = pricing_input_canonical(req, &len);

	sha256_hex(text, len, out);
	free(text);
}

pricing_status
pricing_apply_tax(priced *p, const tax_rates *rates)
{
	if ((unsigned)p->tax_category >= 4 || !rates->set[p->tax_category])
		return PRICING_NO_TAX_RATE;
	p->tax_rate = rates->rates[p->tax_category];
	if (money_mul_rate(p->net, p->tax_rate, ROUND_HALF_UP, &p->tax) != MONEY_OK ||
	    money_add(p->net, p->tax, &p->total) != MONEY_OK)
		return PRICING_OVERFLOW;
	return PRICING_OK;
}

void
tax_rate_percent(rate r, char *out, size_t outlen)
{
	rate pct;

	if (rate_mul(r, (rate){ 100, 0 }, &pct) != MONEY_OK ||
	    rate_format(pct, out, outlen) != MONEY_OK)
		snprintf(out, outlen, "0");
}

/* True when the plugin's answer adds up: no negative amount, the dealer
 * cost within the retail price and split exactly into fee and reserve. */
static bool
result_adds_up(const cd_pricing_result *r, char *msg, size_t msglen)
{
	if (r->retail_price < 0 || r->dealer_cost < 0 || r->admin_fee < 0 || r->claims_reserve < 0) {
		snprintf(msg, msglen, "a negative amount");
		return false;
	}
	if (r->dealer_cost > r->retail_price) {
		snprintf(msg, msglen, "a dealer cost above the retail price");
		return false;
	}
	if (r->admin_fee > INT64_MAX - r->claims_reserve ||
	    r->admin_fee + r->claims_reserve != r->dealer_cost) {
		snprintf(msg, msglen, "an administrator's fee and claims reserve that do not add "
		    "up to the dealer cost");
		return false;
	}
	if ((unsigned)r->tax_category >= 4) {
		snprintf(msg, msglen, "an unknown tax category");
		return false;
	}
	return true;
}

pricing_status
pricing_price(const struct plugin_set *plugins, const plan *p, const asset *a,
    const char *dealer_id, date_t quote_date, const tax_rates *rates, priced *out, char *msg,
    size_t msglen)
{
	const loaded_plugin *lp = plugins ? plugin_set_find(plugins, p->pricing_plugin) : NULL;
	cd_pricing_request req;
	cd_pricing_result res;
	char why[200];
	cd_status st;
	pricing_status ps;

	memset(out, 0, sizeof *out);
	if (lp == NULL || lp->desc->kind != CD_PLUGIN_PRICING) {
		snprintf(msg, msglen, "plan %s is priced by '%s', which is not a loaded pricing plugin",
		    p->code, p->pricing_plugin);
		return PRICING_NO_PLUGIN;
	}
	pricing_request_fill(&req, p, a, dealer_id, quote_date);
	st = plugin_quote(lp, &req, &res, msg, msglen);
	if (st == CD_ERR_INVALID || st == CD_ERR_NOT_FOUND || st == CD_ERR_UNSUPPORTED)
		return PRICING_REFUSED;
	if (st != CD_OK)
		return PRICING_FAILED;
	if (!result_adds_up(&res, why, sizeof why)) {
		snprintf(msg, msglen, "pricing plugin %s answered with %s", lp->ctx.name, why);
		return PRICING_BAD_RESULT;
	}
	snprintf(out->currency, sizeof out->currency, "%s", p->currency);
	out->net = res.retail_price;
	out->dealer_cost = res.dealer_cost;
	out->admin_fee = res.admin_fee;
	out->claims_reserve = res.claims_reserve;
	out->dealer_margin = res.retail_price - res.dealer_cost;
	out->tax_category = res.tax_category;
	snprintf(out->plugin, sizeof out->plugin, "%s", lp->desc->name);
	snprintf(out->plugin_version, sizeof out->plugin_version, "%s", lp->desc->version);
	snprintf(out->explanation, sizeof out->explanation, "%s", res.explanation);
	for (char *c = out->explanation; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	pricing_input_hash(&req, out->input_hash);
	ps = pricing_apply_tax(out, rates);
	if (ps == PRICING_NO_TAX_RATE)
		snprintf(msg, msglen, "no tax rate is configured for tax category %s "
		    "(contractd.conf [tax])", tax_category_code(out->tax_category));
	else if (ps == PRICING_OVERFLOW)
		snprintf(msg, msglen, "the price with tax is out of range");
	return ps;
}
