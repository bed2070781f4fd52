/* example-flat — the smallest useful pricing plugin, and the model for
 * writing one: the price of a plan is the asset's purchase price times a
 * rate, but never less than a minimum.
 *
 *     [plugin flat]
 *     file = example-flat.so
 *     currency = EUR        ; the one currency it prices in
 *     rate = 0.08           ; share of the purchase price
 *     minimum = 29.00       ; optional: the least price, in currency
 *
 * A plan may set its own "rate" among its pricing parameters; it overrides
 * the configured one for that plan.
 *
 * Everything here comes from <contractd/plugin.h> and the C library: a
 * plugin links against nothing of contractd. docs/plugins.md is the guide. */
#include <contractd/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What init works out once and every quote reads. Operations run on many
 * threads at once with this same state, so after init it is read-only. */
typedef struct flat_state {
	const cd_host_services *host; /* borrowed from the host: valid until fini */
	const cd_plugin_ctx *ctx;     /* likewise; host->log needs it */
	char currency[4];
	cd_decimal rate;
	const char *rate_text;        /* host->config_get's string: valid until fini */
	int64_t minimum;              /* minor units of currency */
} flat_state;

/* Looks key up among the plan's pricing parameters (borrowed for the call). */
static const char *
plan_param(const cd_pricing_request *req, const char *key)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].key, key) == 0)
			return req->params[i].value;
	return NULL;
}

/* Reads and checks the configuration once, so a mistake there stops the
 * plugin from loading (with this message) instead of failing every quote.
 * On success *out is the state every operation and fini receive; on an
 * error the host calls no operation and not fini, so free what was made. */
static cd_status
flat_init(const cd_host_services *host, const cd_plugin_ctx *ctx, void **out, cd_error *err)
{
	const char *currency = host->config_get(ctx, "currency");
	const char *minimum = host->config_get(ctx, "minimum");
	flat_state *st = NULL;
	cd_status rc;

	if (currency == NULL || strlen(currency) != 3 || host->currency_exponent(currency) < 0)
		return host->error_set(err, CD_ERR_CONFIG,
		    "'currency' must be an ISO 4217 code such as EUR");
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return host->error_set(err, CD_ERR_INTERNAL, "out of memory");
	st->host = host;
	st->ctx = ctx;
	memcpy(st->currency, currency, sizeof st->currency);

	/* config_get_decimal writes its own message (naming the key) into err. */
	rc = host->config_get_decimal(ctx, "rate", &st->rate, err);
	if (rc != CD_OK)
		goto fail;
	if (st->rate.value <= 0) {
		rc = host->error_set(err, CD_ERR_CONFIG, "'rate' must be positive");
		goto fail;
	}
	st->rate_text = host->config_get(ctx, "rate");

	if (minimum != NULL && (host->money_parse(minimum, currency, &st->minimum) != CD_OK ||
	    st->minimum < 0)) {
		rc = host->error_set(err, CD_ERR_CONFIG,
		    "'minimum' must be an amount in %s such as 29.00", currency);
		goto fail;
	}

	host->log(ctx, CD_LOG_INFO, "rate %s, minimum %s %s", st->rate_text,
	    minimum ? minimum : "0", currency);
	*out = st;
	return CD_OK;

fail:
	free(st);
	return rc;
}

/* Frees what init made. The host calls it once no operation is running. */
static void
flat_fini(void *state)
{
	free(state);
}

/* Prices one request. req and everything it points to are borrowed for
 * the call; the answer goes into *out, which the host has zeroed. Errors
 * are a status plus a message in err: CD_ERR_INVALID and
 * CD_ERR_UNSUPPORTED reach the dealer, so say exactly what is wrong. */
static cd_status
flat_quote(void *state, const cd_pricing_request *req, cd_pricing_result *out, cd_error *err)
{
	const flat_state *st = state;
	const cd_host_services *host = st->host;
	const char *rate_text = plan_param(req, "rate");
	cd_decimal rate = st->rate;
	char base[32], price_text[32], min_text[32];
	int64_t price;
	cd_status rc;

	if (strcmp(req->currency, st->currency) != 0)
		return host->error_set(err, CD_ERR_UNSUPPORTED, "prices in %s only, not %s",
		    st->currency, req->currency);
	if (req->purchase_price <= 0)
		return host->error_set(err, CD_ERR_INVALID, "purchase price must be positive");
	if (rate_text != NULL) {
		if (host->decimal_parse(rate_text, &rate) != CD_OK || rate.value <= 0)
			return host->error_set(err, CD_ERR_CONFIG,
			    "plan %s: 'rate' must be a positive decimal, not '%s'", req->plan_code,
			    rate_text);
	} else {
		rate_text = st->rate_text;
	}

	/* Never floating point for money: the host multiplies exactly and
	 * rounds the way it is told. */
	rc = host->money_mul(req->purchase_price, rate, CD_ROUND_HALF_UP, &price);
	if (rc != CD_OK)
		return host->error_set(err, rc, "price out of range");
	host->money_format(req->purchase_price, st->currency, base, sizeof base);
	host->money_format(price, st->currency, price_text, sizeof price_text);
	if (price < st->minimum) {
		host->money_format(st->minimum, st->currency, min_text, sizeof min_text);
		snprintf(out->explanation, sizeof out->explanation,
		    "%s x %s = %s %s, raised to the minimum %s %s", base, rate_text, price_text,
		    st->currency, min_text, st->currency);
		price = st->minimum;
	} else {
		snprintf(out->explanation, sizeof out->explanation, "%s x %s = %s %s", base,
		    rate_text, price_text, st->currency);
	}

	/* This example keeps no dealer margin and no administration fee: the
	 * whole price is remitted and held for claims. A real plugin splits
	 * dealer_cost = admin_fee + claims_reserve from parameters of its own. */
	out->retail_price = price;
	out->dealer_cost = price;
	out->admin_fee = 0;
	out->claims_reserve = price;
	out->tax_category = CD_TAX_STANDARD;
	return CD_OK;
}

/* The operations table and the descriptor are static and const: the host
 * reads them, never writes them, and they live as long as the plugin is
 * loaded. The header macros fill the fields that protect the rest. */
static const cd_pricing_ops flat_ops = {
	CD_OPS_HEADER(cd_pricing_ops),
	.quote = flat_quote,
};

static const cd_plugin_descriptor flat_descriptor = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PRICING,
	.name = "example-flat",
	.version = "1.0.0",
	.description = "purchase price times a rate, with a minimum",
	.init = flat_init,
	.fini = flat_fini,
	.ops.pricing = &flat_ops,
};

/* The one exported symbol. Everything else is hidden (-fvisibility=hidden
 * from contractd-plugin.pc), so plugins cannot clash with each other. */
CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &flat_descriptor;
}
