/* lines_doc — BillingRequest or PartsRequest in, PricedLines out: running a
 * billing or a parts plugin on a document, without a server.
 *
 * A BillingRequest (contracts/schema/BillingRequest.xsd) is a
 * cd_billing_request written out as XML, field for field; a PartsRequest
 * (PartsRequest.xsd) is a cd_parts_request. PricedLines (PricedLines.xsd)
 * is what either kind of plugin answered — its lines and their total, or
 * its refusal — with the plugin's name and version and the currency.
 * `contractctl plugin price` and the known-answer tests
 * (tests/unit/test_lines_plugins.c, tests/data/billing/, tests/data/parts/)
 * both go through this module, so a case a developer runs by hand is
 * priced exactly as the test prices it. It is pricing_doc's sibling, and
 * works the same way.
 *
 * Reading validates against the embedded schemas: call pricing_doc_init()
 * (xml_init() and xml_schemas_load()) first. Everything here is
 * reentrant. */
#ifndef CD_PLUGIN_LINES_DOC_H
#define CD_PLUGIN_LINES_DOC_H

#include <stddef.h>
#include <stdint.h>

#include "contractd/plugin.h"
#include "plugin/host.h"

/* The largest request or PricedLines document read. */
#define LINES_DOC_MAX_BYTES (1024u * 1024)
/* Room for a plugin's refusal message. */
#define LINES_MESSAGE_MAX 1024

/* A BillingRequest or a PartsRequest, read. Opaque. */
typedef struct lines_input lines_input;

/* Parses text as a BillingRequest or a PartsRequest, whichever its root
 * element is: the hardened parser, the schema, then what the schema
 * cannot check (a known currency, a PartsAmount with no more decimals than
 * the currency has). Returns a new input for lines_input_free, or NULL
 * with every problem in err, one per line
 * ("/BillingRequest/PartsAmount: ..."). */
lines_input *lines_input_read(const char *text, size_t len, char *err, size_t errlen);
void lines_input_free(lines_input *in);
/* CD_PLUGIN_BILLING for a BillingRequest, CD_PLUGIN_PARTS for a
 * PartsRequest: the kind of plugin that prices it. */
cd_plugin_kind lines_input_kind(const lines_input *in);
/* "BillingRequest" or "PartsRequest". */
const char *lines_input_document(const lines_input *in);
/* The request, ready for plugin_price_labor or plugin_price_parts; NULL
 * when in is of the other kind. Borrowed from in. */
const cd_billing_request *lines_input_billing(const lines_input *in);
const cd_parts_request *lines_input_parts(const lines_input *in);

/* A plugin's answer, as PricedLines carries it. */
typedef struct lines_output {
	char plugin[CD_PLUGIN_NAME_MAX + 1];  /* the descriptor's name */
	char version[CD_PLUGIN_NAME_MAX + 1];
	char currency[4];                     /* of every amount */
	cd_status status;                     /* CD_OK: lines are the answer */
	cd_line *lines;                       /* owned: lines_output_clear */
	size_t nlines;
	int64_t total;                        /* the sum of the lines' amounts */
	char message[LINES_MESSAGE_MAX];      /* why not, unless status is CD_OK */
} lines_output;

/* Prices in with the plugin p — plugin_price_labor for a BillingRequest,
 * plugin_price_parts for a PartsRequest, as the server does — into *out,
 * which is overwritten (call lines_output_clear on it afterwards). A
 * plugin of the other kind is refused by the host (CD_ERR_UNSUPPORTED,
 * "plugin X is a parts plugin, not a billing plugin"); lines whose total
 * does not fit an amount are CD_ERR_OVERFLOW. Returns out->status. */
cd_status lines_run(const loaded_plugin *p, const lines_input *in, lines_output *out);
/* Frees the lines of out (and forgets them). out itself is the caller's. */
void lines_output_clear(lines_output *out);

/* Checks that an answer is one the server can invoice: every line of a
 * known kind and tax category, with a code and a quantity the SDK allows
 * (scale 0 to 9); a discount never positive, any other line never
 * negative. Returns 0, or -1 with the reason in why ("line 3 (fee X): ...").
 * A refusal always passes. */
int lines_output_check(const lines_output *out, char *why, size_t whylen);

/* out as an indented PricedLines document: a new NUL-terminated string the
 * caller frees, its length in *len (may be NULL). */
char *lines_output_write(const lines_output *out, size_t *len);
/* Reads a PricedLines document (validated against its schema; amounts with
 * exactly the currency's decimals; Total the sum of the Amounts) into
 * *out, which the caller clears with lines_output_clear whatever the
 * result. Returns 0, or -1 with every problem in err, one per line. */
int lines_output_read(const char *text, size_t len, lines_output *out, char *err,
    size_t errlen);

/* "labor", "part", "core-deposit", "fee", "travel", "discount", or NULL. */
const char *lines_kind_name(cd_line_kind kind);
/* The Refusal/Status word of a status: "invalid", "not-found",
 * "unsupported", "config", "overflow", "internal"; NULL for CD_OK or an
 * unknown status. */
const char *lines_status_word(cd_status status);

#endif
