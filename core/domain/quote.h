/* quote — a signed price of one plan for one asset at one dealer.
 *
 * A quote is stored with the asset it prices, the price and split, the
 * pricing record and a signature: HMAC-SHA-256, under the server's quote
 * secret, over the quote's signing text (quote_signing_text): every field
 * that decides what a registration citing it buys. A registration cites
 * the quote's id and signature; the server recomputes the HMAC from the
 * stored quote and compares both, so neither a changed signature nor a
 * changed stored price gets through.
 *
 * The signing text is "contractd-quote 1" followed by one "key=value" line
 * each, in this order: quote-id, dealer, plan, plan-version, quote-date,
 * valid-until, serial, vin (0/1), model, product-category, purchase-date,
 * purchase-price, usage-unit, usage-at-sale, mw-months, mw-usage-limit,
 * commercial-use (0/1), currency, net, tax-category, tax-rate, tax, total,
 * dealer-cost, admin-fee, claims-reserve, plugin, plugin-version,
 * input-hash. Amounts are minor units, dates YYYY-MM-DD, the tax rate a
 * decimal fraction ("0.19"); values escaped as in plan.h. */
#ifndef CD_DOMAIN_QUOTE_H
#define CD_DOMAIN_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "domain/asset.h"
#include "domain/pricing.h"
#include "storage/db.h"
#include "storage/dealers.h"

#define QUOTE_ID_MAX 64

typedef struct quote {
	char id[QUOTE_ID_MAX + 1];
	char dealer_id[DEALER_ID_MAX + 1];
	char document_id[65];         /* the QuoteRequest's DocumentId */
	char plan_code[PLAN_CODE_MAX + 1];
	int plan_version;
	date_t quote_date;
	date_t valid_until;           /* the last day it may be registered */
	asset asset;
	priced price;
	char signature[65];
	int64_t contract_id;          /* 0 until a registration used it */
} quote;

/* The signing text above; a new string the caller frees. */
char *quote_signing_text(const quote *q, size_t *len);
/* HMAC-SHA-256 of the signing text under key, as hex. */
void quote_sign(const quote *q, const void *key, size_t keylen, char out[65]);
/* True when signature (hex, as cited) is q's signature under key and the
 * stored signature agrees; compared in constant time. */
bool quote_signature_valid(const quote *q, const void *key, size_t keylen,
    const char *signature);

/* Stores a new quote. Returns 0, or -1 with a message in err. */
int quote_insert(db_conn *c, const quote *q, char *err, size_t errlen);

/* Reads the dealer's quote id into *out; with for_update the row stays
 * locked until the transaction ends. Returns 1 found, 0 when the dealer has
 * no such quote (another dealer's counts as none), -1 on a database error. */
int quote_find(db_conn *c, const char *dealer_id, const char *id, bool for_update, quote *out,
    char *err, size_t errlen);

/* Marks the quote as used by contract_id. Returns 0 or -1. */
int quote_mark_used(db_conn *c, const char *id, int64_t contract_id, char *err, size_t errlen);

#endif
