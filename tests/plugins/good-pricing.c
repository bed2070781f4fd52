/* good-pricing — a correct pricing plugin for the host's tests: a percent
 * of the purchase price. It logs its init and fini through the host, so a
 * test can see when an instance is finalised.
 *
 * Parameters: percent (required decimal), max_age_months (optional). */
#include "test-plugin.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct state {
	const cd_host_services *host;
	const cd_plugin_ctx *ctx;
	cd_decimal factor;     /* percent / 100 */
	int64_t max_age;       /* 0: any age */
} state;

static cd_status
init(const cd_host_services *host, const cd_plugin_ctx *ctx, void **out, cd_error *err)
{
	cd_decimal percent, hundredth = { 1, 2 };
	state *st;
	cd_status rc;

	rc = host->config_get_decimal(ctx, "percent", &percent, err);
	if (rc != CD_OK)
		return rc;
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return host->error_set(err, CD_ERR_INTERNAL, "out of memory");
	st->host = host;
	st->ctx = ctx;
	if (host->decimal_mul(percent, hundredth, &st->factor) != CD_OK) {
		free(st);
		return host->error_set(err, CD_ERR_CONFIG, "percent has too many decimals");
	}
	rc = host->config_get_int(ctx, "max_age_months", &st->max_age, err);
	if (rc == CD_ERR_NOT_FOUND) {
		st->max_age = 0;
	} else if (rc != CD_OK) {
		free(st);
		return rc;
	}
	host->log(ctx, CD_LOG_INFO, "init percent=%s", host->config_get(ctx, "percent"));
	*out = st;
	return CD_OK;
}

static void
fini(void *p)
{
	state *st = p;

	st->host->log(st->ctx, CD_LOG_INFO, "fini");
	free(st);
}

static cd_status
quote(void *p, const cd_pricing_request *req, cd_pricing_result *out, cd_error *err)
{
	const state *st = p;
	char price[32];
	cd_status rc;

	if (req->purchase_price <= 0)
		return st->host->error_set(err, CD_ERR_INVALID, "purchase price must be positive");
	if (st->max_age != 0 && req->asset_age_months > st->max_age)
		return st->host->error_set(err, CD_ERR_UNSUPPORTED,
		    "asset is %d months old, this plan takes at most %lld", req->asset_age_months,
		    (long long)st->max_age);
	rc = st->host->money_mul(req->purchase_price, st->factor, CD_ROUND_HALF_UP,
	    &out->retail_price);
	if (rc != CD_OK)
		return st->host->error_set(err, rc, "price out of range");
	out->dealer_cost = out->retail_price;
	out->admin_fee = 0;
	out->claims_reserve = out->retail_price;
	out->tax_category = CD_TAX_STANDARD;
	if (st->host->money_format(req->purchase_price, req->currency, price, sizeof price) != CD_OK)
		return st->host->error_set(err, CD_ERR_INVALID, "unknown currency '%s'", req->currency);
	snprintf(out->explanation, sizeof out->explanation, "%s%% of %s %s",
	    st->host->config_get(st->ctx, "percent"), price, req->currency);
	return CD_OK;
}

static const cd_pricing_ops ops = {
	CD_OPS_HEADER(cd_pricing_ops),
	.quote = quote,
};

static const cd_plugin_descriptor desc = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PRICING,
	.name = "good-pricing",
	.version = "1.2.3",
	.description = "test plugin: a percent of the purchase price",
	.init = init,
	.fini = fini,
	.ops.pricing = &ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
