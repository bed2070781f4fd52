/* pricing_doc — PricingRequest in, PricingResult out. See pricing_doc.h. */
#include "plugin/pricing_doc.h"
#include "plugin/doc_util.h"
#include "base/date.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "xml/schema.h"
#include "xml/xml_in.h"

#include <libxml/tree.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A PricingRequest is flat: the root and its children. */
#define PRICING_DOC_MAX_DEPTH 8

struct pricing_input {
	cd_pricing_request req;      /* its pointers point at the fields below */
	char currency[4];
	char *plan_code;
	char *dealer_id;
	char *category;
	char *model;
	cd_param *params;
	size_t nparams;
};

/* ------------------------------------------------------------------------
 * Setting up
 * ------------------------------------------------------------------------ */

int
pricing_doc_init(char *err, size_t errlen)
{
	xml_init();
	return xml_schemas_load(err, errlen);
}

void
pricing_doc_cleanup(void)
{
	xml_schemas_free();
	xml_cleanup();
}

/* ------------------------------------------------------------------------
 * Reading documents
 * ------------------------------------------------------------------------ */

/* The text of a simple element (borrowed), or NULL when n is NULL. */
static const char *
text_of(xmlNodePtr n)
{
	if (n == NULL)
		return NULL;
	return n->children != NULL ? (const char *)n->children->content : "";
}

static const char *
attr_of(xmlNodePtr n, const char *name)
{
	for (xmlAttrPtr a = n != NULL ? n->properties : NULL; a != NULL; a = a->next)
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0)
			return a->children != NULL ? (const char *)a->children->content : "";
	return NULL;
}

/* Parses text and validates it as a document of type root. Returns the
 * document (xmlFreeDoc), or NULL with the problems added to p. */
static xmlDocPtr
read_valid(const char *text, size_t len, const char *root, doc_problems *p)
{
	const xml_schema *schema = xml_schema_for_root(root);
	xmlDocPtr doc;

	if (schema == NULL) {
		doc_problem_add(p, "/", "cannot validate a %s: the XML schemas are not loaded",
		    root);
		return NULL;
	}
	doc = doc_parse(text, len, PRICING_DOC_MAX_BYTES, PRICING_DOC_MAX_DEPTH, p);
	return doc != NULL ? doc_validate(doc, schema, root, p) : NULL;
}

/* Reads an amount element (Money: the value, currency in an attribute)
 * into minor units; the currency must be currency when that is not "". */
static int
read_money(xmlNodePtr n, const char *path, char currency[4], int64_t *out, doc_problems *p)
{
	const char *cur = attr_of(n, "currency");

	if (cur == NULL || currency_exponent(cur) < 0) {
		doc_problem_add(p, path, "currency %s is not an ISO 4217 currency",
		    cur != NULL ? cur : "(none)");
		return -1;
	}
	if (currency[0] == '\0')
		snprintf(currency, 4, "%s", cur);
	else if (strcmp(cur, currency) != 0) {
		doc_problem_add(p, path, "amount in %s, the others are in %s", cur, currency);
		return -1;
	}
	return doc_parse_amount(text_of(n), path, currency, out, p);
}

static int
usage_unit_parse(const char *s, cd_usage_unit *out)
{
	static const struct {
		const char *name;
		cd_usage_unit unit;
	} units[] = {
		{ "none", CD_USAGE_NONE }, { "km", CD_USAGE_KM }, { "mi", CD_USAGE_MI },
		{ "hours", CD_USAGE_HOURS }, { "cycles", CD_USAGE_CYCLES },
	};

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(s, units[i].name) == 0) {
			*out = units[i].unit;
			return 0;
		}
	}
	return -1;
}

/* A whole number the schema has checked. */
static int64_t
number_of(const char *s)
{
	return s != NULL ? (int64_t)strtoll(s, NULL, 10) : 0;
}

static char *
dup_text(xmlNodePtr n)
{
	const char *t = text_of(n);

	return t != NULL ? xstrdup(t) : NULL;
}

/* Fills in (a pricing_input) from a valid PricingRequest; returns 0, or
 * -1 with problems added to p. */
static int
fill_input(void *target, xmlNodePtr root, doc_problems *p)
{
	pricing_input *in = target;
	cd_pricing_request *req = &in->req;
	const char *text;
	date_t purchase, quote;
	xmlNodePtr n;
	int rc = 0;

	req->struct_size = sizeof *req;
	in->plan_code = dup_text(doc_child(root, "PlanCode"));
	in->dealer_id = dup_text(doc_child(root, "DealerId"));
	in->category = dup_text(doc_child(root, "ProductCategory"));
	in->model = dup_text(doc_child(root, "Model"));
	req->plan_code = in->plan_code;
	req->dealer_id = in->dealer_id;
	req->product_category = in->category;
	req->model = in->model;
	req->currency = in->currency;
	if (read_money(doc_child(root, "PurchasePrice"), "/PricingRequest/PurchasePrice",
	    in->currency, &req->purchase_price, p) != 0)
		rc = -1;

	/* The schema has checked both dates. */
	snprintf(req->purchase_date.iso, sizeof req->purchase_date.iso, "%s",
	    text_of(doc_child(root, "PurchaseDate")));
	snprintf(req->quote_date.iso, sizeof req->quote_date.iso, "%s",
	    text_of(doc_child(root, "QuoteDate")));
	if ((text = text_of(doc_child(root, "AssetAgeMonths"))) != NULL) {
		req->asset_age_months = (int32_t)number_of(text);
	} else if (date_parse(req->purchase_date.iso, &purchase) == 0 &&
	    date_parse(req->quote_date.iso, &quote) == 0) {
		/* As the server does: 0 when the quote date comes first. */
		req->asset_age_months = quote >= purchase ?
		    date_months_between(purchase, quote) : 0;
	}
	req->term_months = (int32_t)number_of(text_of(doc_child(root, "TermMonths")));

	text = text_of(doc_child(root, "UsageUnit"));
	if (text != NULL && usage_unit_parse(text, &req->usage_unit) != 0) {
		doc_problem_add(p, "/PricingRequest/UsageUnit", "unknown usage unit '%s'", text);
		rc = -1;
	}
	req->usage_at_sale = number_of(text_of(doc_child(root, "UsageAtSale")));
	req->usage_limit = number_of(text_of(doc_child(root, "UsageLimit")));
	text = text_of(doc_child(root, "CommercialUse"));
	req->commercial_use = text != NULL && (strcmp(text, "true") == 0 || strcmp(text, "1") == 0);

	for (n = doc_child(root, "Param"); n != NULL; n = n->next) {
		if (!doc_is_element(n, "Param"))
			continue;
		in->params = xreallocarray(in->params, in->nparams + 1, sizeof *in->params);
		in->params[in->nparams].key = xstrdup(attr_of(n, "key"));
		in->params[in->nparams].value = xstrdup(text_of(n));
		in->nparams++;
	}
	req->params = in->params;
	req->nparams = in->nparams;
	return rc;
}

pricing_input *
pricing_input_read(const char *text, size_t len, char *err, size_t errlen)
{
	pricing_input *in = xcalloc(1, sizeof *in);
	doc_problems p;

	doc_problems_init(&p, err, errlen);
	if (doc_fill(read_valid(text, len, "PricingRequest", &p), fill_input, in, &p) != 0) {
		pricing_input_free(in);
		return NULL;
	}
	return in;
}

void
pricing_input_free(pricing_input *in)
{
	if (in == NULL)
		return;
	free(in->plan_code);
	free(in->dealer_id);
	free(in->category);
	free(in->model);
	doc_params_free(in->params, in->nparams);
	free(in);
}

const cd_pricing_request *
pricing_input_request(const pricing_input *in)
{
	return &in->req;
}

/* ------------------------------------------------------------------------
 * Running and checking
 * ------------------------------------------------------------------------ */

cd_status
pricing_run(const loaded_plugin *p, const pricing_input *in, pricing_output *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->plugin, sizeof out->plugin, "%s", p->desc->name);
	snprintf(out->version, sizeof out->version, "%s", p->desc->version);
	memcpy(out->currency, in->currency, sizeof out->currency);
	out->status = plugin_quote(p, &in->req, &out->result, out->message, sizeof out->message);
	if (out->status != CD_OK)
		memset(&out->result, 0, sizeof out->result);
	return out->status;
}

int
pricing_output_check(const pricing_output *out, char *why, size_t whylen)
{
	const cd_pricing_result *r = &out->result;

	if (out->status != CD_OK)
		return 0;
	if (r->retail_price < 0 || r->dealer_cost < 0 || r->admin_fee < 0 || r->claims_reserve < 0)
		snprintf(why, whylen, "an amount is negative");
	else if (r->dealer_cost > r->retail_price)
		snprintf(why, whylen, "the dealer cost is above the retail price");
	else if (r->admin_fee > INT64_MAX - r->claims_reserve ||
	    r->admin_fee + r->claims_reserve != r->dealer_cost)
		snprintf(why, whylen, "admin fee + claims reserve is not the dealer cost");
	else if ((unsigned)r->tax_category > (unsigned)CD_TAX_REVERSE)
		snprintf(why, whylen, "unknown tax category %d", (int)r->tax_category);
	else
		return 0;
	return -1;
}

/* ------------------------------------------------------------------------
 * PricingResult
 * ------------------------------------------------------------------------ */

static const cd_status refusal_statuses[] = {
	CD_ERR_INVALID, CD_ERR_NOT_FOUND, CD_ERR_UNSUPPORTED, CD_ERR_CONFIG, CD_ERR_OVERFLOW,
	CD_ERR_INTERNAL,
};

/* An amount element of type Money: the currency in an attribute. */
static void
add_money(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t amount,
    const char *currency)
{
	xmlNodePtr n = doc_add_amount(parent, ns, name, amount, currency);

	xmlNewProp(n, BAD_CAST "currency", BAD_CAST currency);
}

char *
pricing_output_write(const pricing_output *out, size_t *len)
{
	const cd_pricing_result *r = &out->result;
	xmlNodePtr root;
	xmlNsPtr ns;
	xmlDocPtr doc = doc_answer_new("PricingResult", out->plugin, out->version, &root, &ns);

	if (out->status == CD_OK) {
		add_money(root, ns, "RetailPrice", r->retail_price, out->currency);
		add_money(root, ns, "DealerCost", r->dealer_cost, out->currency);
		add_money(root, ns, "AdminFee", r->admin_fee, out->currency);
		add_money(root, ns, "ClaimsReserve", r->claims_reserve, out->currency);
		xmlNewTextChild(root, ns, BAD_CAST "TaxCategory",
		    BAD_CAST doc_tax_code(r->tax_category));
		if (r->explanation[0] != '\0')
			xmlNewTextChild(root, ns, BAD_CAST "Explanation", BAD_CAST r->explanation);
	} else {
		doc_add_refusal(root, ns, plugin_status_name(out->status), out->message);
	}
	return doc_write(doc, "a PricingResult", len);
}

/* Fills out (a pricing_output) from a valid PricingResult; returns 0, or
 * -1 with problems added to p. */
static int
fill_output(void *target, xmlNodePtr root, doc_problems *p)
{
	pricing_output *out = target;
	cd_pricing_result *r = &out->result;
	xmlNodePtr refusal = doc_child(root, "Refusal");
	const char *text;
	int rc = 0;

	snprintf(out->plugin, sizeof out->plugin, "%s", text_of(doc_child(root, "Plugin")));
	snprintf(out->version, sizeof out->version, "%s",
	    text_of(doc_child(root, "PluginVersion")));
	if (refusal != NULL) {
		text = text_of(doc_child(refusal, "Status"));
		out->status = CD_ERR_INTERNAL;
		for (size_t i = 0; i < sizeof refusal_statuses / sizeof refusal_statuses[0]; i++)
			if (strcmp(text, plugin_status_name(refusal_statuses[i])) == 0)
				out->status = refusal_statuses[i];
		snprintf(out->message, sizeof out->message, "%s",
		    text_of(doc_child(refusal, "Message")));
		return 0;
	}
	out->status = CD_OK;
	r->struct_size = sizeof *r;
	rc |= read_money(doc_child(root, "RetailPrice"), "/PricingResult/RetailPrice",
	    out->currency, &r->retail_price, p);
	rc |= read_money(doc_child(root, "DealerCost"), "/PricingResult/DealerCost",
	    out->currency, &r->dealer_cost, p);
	rc |= read_money(doc_child(root, "AdminFee"), "/PricingResult/AdminFee", out->currency,
	    &r->admin_fee, p);
	rc |= read_money(doc_child(root, "ClaimsReserve"), "/PricingResult/ClaimsReserve",
	    out->currency, &r->claims_reserve, p);
	doc_tax_category(text_of(doc_child(root, "TaxCategory")), &r->tax_category);
	text = text_of(doc_child(root, "Explanation"));
	snprintf(r->explanation, sizeof r->explanation, "%s", text != NULL ? text : "");
	return rc;
}

int
pricing_output_read(const char *text, size_t len, pricing_output *out, char *err,
    size_t errlen)
{
	doc_problems p;

	memset(out, 0, sizeof *out);
	doc_problems_init(&p, err, errlen);
	return doc_fill(read_valid(text, len, "PricingResult", &p), fill_output, out, &p);
}
