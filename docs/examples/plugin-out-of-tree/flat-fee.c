/* flat-fee — a contractd pricing plugin built outside contractd's tree.
 *
 * The price of a plan is a fixed fee per year of its term, pro rata:
 * a 30-month plan at 49.00 a year costs 122.50.
 *
 *     [plugin flat-fee]
 *     file = flat-fee.so
 *     currency = EUR
 *     fee = 49.00           ; per 12 months of term
 *
 * A plan may set its own "fee" among its pricing parameters.
 *
 * Build it with the Makefile beside it (`make`), which needs nothing but
 * pkg-config and an installed contractd; see docs/plugins.md. */
#include <contractd/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fee_state {
	const cd_host_services *host; /* valid until fini */
	char currency[4];
	int64_t fee;                  /* per year, minor units */
} fee_state;

static cd_status
fee_init(const cd_host_services *host, const cd_plugin_ctx *ctx, void **out, cd_error *err)
{
	const char *currency = host->config_get(ctx, "currency");
	const char *fee = host->config_get(ctx, "fee");
	fee_state *st;

	if (currency == NULL || strlen(currency) != 3 || host->currency_exponent(currency) < 0)
		return host->error_set(err, CD_ERR_CONFIG, "'currency' must be an ISO 4217 code");
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return host->error_set(err, CD_ERR_INTERNAL, "out of memory");
	st->host = host;
	memcpy(st->currency, currency, sizeof st->currency);
	if (fee == NULL || host->money_parse(fee, currency, &st->fee) != CD_OK || st->fee < 0) {
		free(st);
		return host->error_set(err, CD_ERR_CONFIG, "'fee' must be an amount in %s",
		    currency);
	}
	*out = st;
	return CD_OK;
}

static void
fee_fini(void *state)
{
	free(state);
}

static cd_status
fee_quote(void *state, const cd_pricing_request *req, cd_pricing_result *out, cd_error *err)
{
	const fee_state *st = state;
	const cd_host_services *host = st->host;
	int64_t fee = st->fee, price;
	char fee_text[32], price_text[32];
	cd_status rc;

	if (strcmp(req->currency, st->currency) != 0)
		return host->error_set(err, CD_ERR_UNSUPPORTED, "prices in %s only, not %s",
		    st->currency, req->currency);
	if (req->term_months <= 0)
		return host->error_set(err, CD_ERR_INVALID, "term must be at least one month");
	for (size_t i = 0; i < req->nparams; i++) {
		if (strcmp(req->params[i].key, "fee") == 0 &&
		    host->money_parse(req->params[i].value, st->currency, &fee) != CD_OK)
			return host->error_set(err, CD_ERR_CONFIG, "plan %s: bad fee '%s'",
			    req->plan_code, req->params[i].value);
	}
	/* fee x months / 12, rounded half up to a whole minor unit. */
	rc = host->money_mul_frac(fee, req->term_months, 12, CD_ROUND_HALF_UP, &price);
	if (rc != CD_OK)
		return host->error_set(err, rc, "price out of range");

	out->retail_price = price;
	out->dealer_cost = price;
	out->claims_reserve = price;
	out->tax_category = CD_TAX_STANDARD;
	host->money_format(fee, st->currency, fee_text, sizeof fee_text);
	host->money_format(price, st->currency, price_text, sizeof price_text);
	snprintf(out->explanation, sizeof out->explanation, "%s a year x %d/12 = %s %s",
	    fee_text, (int)req->term_months, price_text, st->currency);
	return CD_OK;
}

static const cd_pricing_ops fee_ops = {
	CD_OPS_HEADER(cd_pricing_ops),
	.quote = fee_quote,
};

static const cd_plugin_descriptor fee_descriptor = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PRICING,
	.name = "flat-fee",
	.version = "1.0.0",
	.description = "a fixed fee per year of term, pro rata",
	.init = fee_init,
	.fini = fee_fini,
	.ops.pricing = &fee_ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &fee_descriptor;
}
