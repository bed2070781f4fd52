/* pricing_doc — PricingRequest in, PricingResult out: running a pricing
 * plugin on a document, without a server.
 *
 * A PricingRequest (contracts/schema/PricingRequest.xsd) is a
 * cd_pricing_request written out as XML, field for field; a PricingResult
 * (PricingResult.xsd) is what the plugin answered — the price and its
 * split, or the plugin's refusal — with the plugin's name and version.
 * `contractctl plugin quote` and the known-answer tests
 * (tests/unit/test_pricing_plugins.c, tests/data/pricing/) both go through
 * this module, so a case a developer runs by hand is priced exactly as the
 * test prices it.
 *
 * Reading validates against the embedded schemas: call xml_init() and
 * xml_schemas_load() first. Everything here is reentrant. */
#ifndef CD_PLUGIN_PRICING_DOC_H
#define CD_PLUGIN_PRICING_DOC_H

#include <stddef.h>

#include "contractd/plugin.h"
#include "plugin/host.h"

/* The largest PricingRequest or PricingResult document read. */
#define PRICING_DOC_MAX_BYTES (1024u * 1024)
/* Room for a plugin's refusal message. */
#define PRICING_MESSAGE_MAX 1024

/* For a program that has not set up the XML codec yet (contractctl): does
 * xml_init() and xml_schemas_load(), which reading documents and rate
 * tables need. Call once, before threads start. Returns 0, or -1 with the
 * reason in err. pricing_doc_cleanup() undoes it. */
int pricing_doc_init(char *err, size_t errlen);
void pricing_doc_cleanup(void);

/* A PricingRequest, read. Opaque. */
typedef struct pricing_input pricing_input;

/* Parses text as a PricingRequest: the hardened parser, the schema, then
 * what the schema cannot check (a known currency, a purchase price with no
 * more decimals than the currency has). Without AssetAgeMonths the age is
 * the whole months from PurchaseDate to QuoteDate, as the server computes
 * it. Returns a new input for pricing_input_free, or NULL with every
 * problem in err, one per line ("/PricingRequest/PurchasePrice: ..."). */
pricing_input *pricing_input_read(const char *text, size_t len, char *err, size_t errlen);
void pricing_input_free(pricing_input *in);
/* The request, ready for plugin_quote. Borrowed from in. */
const cd_pricing_request *pricing_input_request(const pricing_input *in);

/* A plugin's answer, as a PricingResult carries it. */
typedef struct pricing_output {
	char plugin[CD_PLUGIN_NAME_MAX + 1];  /* the descriptor's name */
	char version[CD_PLUGIN_NAME_MAX + 1];
	char currency[4];                     /* of every amount in result */
	cd_status status;                     /* CD_OK: result is the price */
	cd_pricing_result result;             /* zero unless status is CD_OK */
	char message[PRICING_MESSAGE_MAX];    /* why not, unless status is CD_OK */
} pricing_output;

/* Prices in with the pricing plugin p (through plugin_quote, as the server
 * does) into *out, which is overwritten. Returns out->status. */
cd_status pricing_run(const loaded_plugin *p, const pricing_input *in, pricing_output *out);

/* Checks that a priced answer adds up as the server requires: no negative
 * amount, the dealer cost within the retail price, admin fee + claims
 * reserve = dealer cost, a known tax category. Returns 0, or -1 with the
 * reason in why. A refusal always passes. */
int pricing_output_check(const pricing_output *out, char *why, size_t whylen);

/* out as an indented PricingResult document: a new NUL-terminated string
 * the caller frees, its length in *len (may be NULL). */
char *pricing_output_write(const pricing_output *out, size_t *len);
/* Reads a PricingResult document (validated against its schema) into
 * *out. Returns 0, or -1 with every problem in err, one per line. */
int pricing_output_read(const char *text, size_t len, pricing_output *out, char *err,
    size_t errlen);

#endif
