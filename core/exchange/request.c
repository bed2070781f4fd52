/* request — reading the XML body of a finance or admin request (a
 * CreditNoteRequest, a Payment, a BillingRunRequest ...): the hardened
 * parser, the right root, the schema (see exchange.h). */
#include "exchange/exchange.h"
#include "xml/schema.h"

#include <string.h>

xmlDocPtr
exchange_read_request(const exchange_ctx *ctx, const char *type, const char *body, size_t len,
    exchange_reply *out)
{
	xml_problem prob, probs[16];
	size_t n = 0;
	xmlDocPtr doc = xml_parse_untrusted(body, len, &ctx->settings->limits, &prob);
	xmlNodePtr root;

	if (doc == NULL) {
		exchange_reply_error(out, strcmp(prob.code, "too-large") == 0 ? 413 : 400, prob.code,
		    prob.path, "%s", prob.message);
		return NULL;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || strcmp((const char *)root->name, type) != 0) {
		exchange_reply_error(out, 400, "unexpected-document", "/", "expected a %s document",
		    type);
		xmlFreeDoc(doc);
		return NULL;
	}
	if (xml_validate(xml_schema_for_root(type), doc, probs, 16, &n) != 0 || n > 0) {
		if (n == 0)
			exchange_reply_error(out, 400, "invalid-document", "/", "the %s is not valid",
			    type);
		else
			exchange_reply_error(out, 400, probs[0].code, probs[0].path, "%s%s",
			    probs[0].message, n > 1 ? " (and more problems)" : "");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}
