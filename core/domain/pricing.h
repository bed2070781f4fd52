/* pricing — the price of a plan for an asset: the plugin, then the tax.
 *
 * The plan names the pricing plugin instance that prices it; the host
 * builds a cd_pricing_request from the plan and the asset, the plugin
 * returns the retail price and the split (dealer cost = administrator's fee
 * + claims reserve), and the host adds the tax for the tax category the
 * plugin chose, at the configured rate, rounded half-up.
 *
 * Every priced result records the plugin, its version and the SHA-256 of
 * the pricing input: the request's canonical serialisation
 * (pricing_input_canonical), so a price can be explained and re-rated, and
 * the same input always gives the same hash. */
#ifndef CD_DOMAIN_PRICING_H
#define CD_DOMAIN_PRICING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/money.h"
#include "contractd/plugin.h"
#include "domain/asset.h"
#include "domain/plan.h"

struct plugin_set;

/* Tax rates by category (S, Z, E, AE), as decimal fractions (0.19). */
typedef struct tax_rates {
	rate rates[4];
	bool set[4];
} tax_rates;

/* A priced result: net, tax and total, the split, and the pricing record. */
typedef struct priced {
	char currency[4];
	int64_t net;               /* the retail price, net of tax */
	cd_tax_category tax_category;
	rate tax_rate;             /* 0.19 */
	int64_t tax;
	int64_t total;
	int64_t dealer_cost;
	int64_t admin_fee;
	int64_t claims_reserve;
	int64_t dealer_margin;     /* net - dealer_cost */
	char plugin[CD_PLUGIN_NAME_MAX + 1];
	char plugin_version[CD_PLUGIN_NAME_MAX + 1];
	char input_hash[65];
	char explanation[256];
} priced;

/* Why pricing failed. */
typedef enum pricing_status {
	PRICING_OK = 0,
	PRICING_NO_PLUGIN,         /* the plan's plugin is not loaded */
	PRICING_REFUSED,           /* the plugin refused the request (dealer-facing) */
	PRICING_FAILED,            /* the plugin failed (configuration, internal) */
	PRICING_BAD_RESULT,        /* the plugin's answer does not add up */
	PRICING_NO_TAX_RATE,       /* no rate configured for the tax category */
	PRICING_OVERFLOW,
} pricing_status;

/* "S", "Z", "E", "AE"; parse returns 0 or -1. */
const char *tax_category_code(cd_tax_category c);
int tax_category_parse(const char *code, cd_tax_category *out);

/* The request for plan p and asset a, sold by dealer on quote_date. The
 * request borrows strings from p, a and dealer_id, which must outlive it. */
void pricing_request_fill(cd_pricing_request *req, const plan *p, const asset *a,
    const char *dealer_id, date_t quote_date);

/* The request's canonical serialisation: "contractd-pricing-input 1" and
 * one "key=value" line per field in a fixed order, parameters sorted by
 * key, values escaped (\\ \n \r). A new string the caller frees. */
char *pricing_input_canonical(const cd_pricing_request *req, size_t *len);
/* SHA-256 of the canonical serialisation, as hex. */
void pricing_input_hash(const cd_pricing_request *req, char out[65]);

/* Adds tax to a priced result whose net and tax_category are set: the
 * configured rate, tax = net x rate rounded half-up, total = net + tax.
 * Returns PRICING_OK, PRICING_NO_TAX_RATE or PRICING_OVERFLOW. */
pricing_status pricing_apply_tax(priced *p, const tax_rates *rates);

/* Prices plan p for asset a with the plan's plugin from plugins, adds
 * tax, and records plugin, version and input hash into *out. On failure
 * returns the status with a message in msg (a refusal's message is the
 * plugin's, for the dealer). */
pricing_status pricing_price(const struct plugin_set *plugins, const plan *p, const asset *a,
    const char *dealer_id, date_t quote_date, const tax_rates *rates, priced *out, char *msg,
    size_t msglen);

/* The tax rate as a percentage for documents: 0.19 -> "19", 0.075 -> "7.5". */
void tax_rate_percent(rate r, char *out, size_t outlen);

#endif
