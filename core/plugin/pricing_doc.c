/* pricing_doc — PricingRequest in, PricingResult out. See pricing_doc.h. */
#include "plugin/pricing_doc.h"
#include "base/date.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "xml/schema.h"
#include "xml/xml_in.h"
#include "xml/xml_out.h"

#include <libxml/tree.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A PricingRequest is flat: the root and its children. */
#define PRICING_DOC_MAX_DEPTH 8
/* Schema problems reported per document. */
#define PRICING_DOC_PROBLEMS 16

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

/* Where problems go: lines "PATH: MESSAGE" in the caller's buffer. */
typedef struct problems {
	char *buf;
	size_t size;
	size_t used;
	size_t count;
} problems;

static void __attribute__((format(printf, 3, 4)))
add_problem(problems *p, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	p->count++;
	if (p->buf == NULL || p->used + 1 >= p->size)
		return;
	n = snprintf(p->buf + p->used, p->size - p->used, "%s%s: ", p->used ? "\n" : "", path);
	if (n < 0 || (size_t)n >= p->size - p->used) {
		p->used = p->size - 1;
		return;
	}
	p->used += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(p->buf + p->used, p->size - p->used, fmt, ap);
	va_end(ap);
	p->used = n < 0 || (size_t)n >= p->size - p->used ? p->size - 1 : p->used + (size_t)n;
}

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

static bool
is_element(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, CD_XML_NS) == 0 &&
	    (name == NULL || strcmp((const char *)n->name, name) == 0);
}

static xmlNodePtr
child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent != NULL ? parent->children : NULL; n != NULL; n = n->next)
		if (is_element(n, name))
			return n;
	return NULL;
}

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
read_valid(const char *text, size_t len, const char *root, problems *p)
{
	const xml_limits limits = { .max_bytes = PRICING_DOC_MAX_BYTES,
		.max_depth = PRICING_DOC_MAX_DEPTH };
	const xml_schema *schema = xml_schema_for_root(root);
	xml_problem found[PRICING_DOC_PROBLEMS], problem;
	xmlDocPtr doc;
	size_t count = 0;
	int rc;

	if (schema == NULL) {
		add_problem(p, "/", "cannot validate a %s: the XML schemas are not loaded", root);
		return NULL;
	}
	doc = xml_parse_untrusted(text, len, &limits, &problem);
	if (doc == NULL) {
		add_problem(p, problem.path, "%s", problem.message);
		return NULL;
	}
	rc = xml_validate(schema, doc, found, PRICING_DOC_PROBLEMS, &count);
	if (rc == 0)
		return doc;
	for (size_t i = 0; i < count; i++)
		add_problem(p, found[i].path, "%s", found[i].message);
	if (count == 0)
		add_problem(p, "/", "not a valid %s", root);
	xmlFreeDoc(doc);
	return NULL;
}

/* Reads an amount element (Money: the value, currency in an attribute)
 * into minor units; the currency must be currency when that is not "". */
static int
read_money(xmlNodePtr n, const char *path, char currency[4], int64_t *out, problems *p)
{
	const char *cur = attr_of(n, "currency"), *text = text_of(n);
	money_status ms;

	if (cur == NULL || currency_exponent(cur) < 0) {
		add_problem(p, path, "currency %s is not an ISO 4217 currency",
		    cur != NULL ? cur : "(none)");
		return -1;
	}
	if (currency[0] == '\0')
		snprintf(currency, 4, "%s", cur);
	else if (strcmp(cur, currency) != 0) {
		add_problem(p, path, "amount in %s, the others are in %s", cur, currency);
		return -1;
	}
	ms = money_parse(text, currency, out);
	if (ms == MONEY_EPRECISION)
		add_problem(p, path, "%s has more decimals than %s has (%d)", text, currency,
		    currency_exponent(currency));
	else if (ms != MONEY_OK)
		add_problem(p, path, "'%s' is not an amount in %s", text, currency);
	return ms == MONEY_OK ? 0 : -1;
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

/* Fills in from a valid PricingRequest; returns 0, or -1 with problems
 * added to p. */
static int
fill_input(pricing_input *in, xmlNodePtr root, problems *p)
{
	cd_pricing_request *req = &in->req;
	const char *text;
	date_t purchase, quote;
	xmlNodePtr n;
	int rc = 0;

	req->struct_size = sizeof *req;
	in->plan_code = dup_text(child(root, "PlanCode"));
	in->dealer_id = dup_text(child(root, "DealerId"));
	in->category = dup_text(child(root, "ProductCategory"));
	in->model = dup_text(child(root, "Model"));
	req->plan_code = in->plan_code;
	req->dealer_id = in->dealer_id;
	req->product_category = in->category;
	req->model = in->model;
	req->currency = in->currency;
	if (read_money(child(root, "PurchasePrice"), "/PricingRequest/PurchasePrice",
	    in->currency, &req->purchase_price, p) != 0)
		rc = -1;

	/* The schema has checked both dates. */
	snprintf(req->purchase_date.iso, sizeof req->purchase_date.iso, "%s",
	    text_of(child(root, "PurchaseDate")));
	snprintf(req->quote_date.iso, sizeof req->quote_date.iso, "%s",
	    text_of(child(root, "QuoteDate")));
	if ((text = text_of(child(root, "AssetAgeMonths"))) != NULL) {
		req->asset_age_months = (int32_t)number_of(text);
	} else if (date_parse(req->purchase_date.iso, &purchase) == 0 &&
	    date_parse(req->quote_date.iso, &quote) == 0) {
		/* As the server does: 0 when the quote date comes first. */
		req->asset_age_months = quote >= purchase ?
		    date_months_between(purchase, quote) : 0;
	}
	req->term_months = (int32_t)number_of(text_of(child(root, "TermMonths")));

	text = text_of(child(root, "UsageUnit"));
	if (text != NULL && usage_unit_parse(text, &req->usage_unit) != 0) {
		add_problem(p, "/PricingRequest/UsageUnit", "unknown usage unit '%s'", text);
		rc = -1;
	}
	req->usage_at_sale = number_of(text_of(child(root, "UsageAtSale")));
	req->usage_limit = number_of(text_of(child(root, "UsageLimit")));
	text = text_of(child(root, "CommercialUse"));
	req->commercial_use = text != NULL && (strcmp(text, "true") == 0 || strcmp(text, "1") == 0);

	for (n = child(root, "Param"); n != NULL; n = n->next) {
		if (!is_element(n, "Param"))
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
	problems p = { .buf = err, .size = errlen };
	pricing_input *in = xcalloc(1, sizeof *in), *result = NULL;
	xmlDocPtr doc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	doc = read_valid(text, len, "PricingRequest", &p);
	if (doc == NULL)
		goto out;
	if (fill_input(in, xmlDocGetRootElement(doc), &p) != 0)
		goto out;
	result = in;
	in = NULL;
out:
	pricing_input_free(in);
	if (doc != NULL)
		xmlFreeDoc(doc);
	return result;
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
	for (size_t i = 0; i < in->nparams; i++) {
		free((char *)in->params[i].key);
		free((char *)in->params[i].value);
	}
	free(in->params);
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

static const char *const tax_codes[] = { "S", "Z", "E", "AE" };

static const cd_status refusal_statuses[] = {
	CD_ERR_INVALID, CD_ERR_NOT_FOUND, CD_ERR_UNSUPPORTED, CD_ERR_CONFIG, CD_ERR_OVERFLOW,
	CD_ERR_INTERNAL,
};

static void
add_money(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t amount,
    const char *currency)
{
	char text[32];
	xmlNodePtr n;

	if (money_format(amount, currency, text, sizeof text) != MONEY_OK)
		snprintf(text, sizeof text, "%lld", (long long)amount);
	n = xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text);
	xmlNewProp(n, BAD_CAST "currency", BAD_CAST currency);
}

char *
pricing_output_write(const pricing_output *out, size_t *len)
{
	const cd_pricing_result *r = &out->result;
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root, refusal;
	xmlChar *mem = NULL;
	xmlNsPtr ns;
	char *text;
	int size = 0;

	root = xmlNewNode(NULL, BAD_CAST "PricingResult");
	ns = xmlNewNs(root, BAD_CAST CD_XML_NS, NULL);
	xmlSetNs(root, ns);
	xmlDocSetRootElement(doc, root);
	xmlNewTextChild(root, ns, BAD_CAST "Plugin", BAD_CAST out->plugin);
	xmlNewTextChild(root, ns, BAD_CAST "PluginVersion", BAD_CAST out->version);
	if (out->status == CD_OK) {
		add_money(root, ns, "RetailPrice", r->retail_price, out->currency);
		add_money(root, ns, "DealerCost", r->dealer_cost, out->currency);
		add_money(root, ns, "AdminFee", r->admin_fee, out->currency);
		add_money(root, ns, "ClaimsReserve", r->claims_reserve, out->currency);
		xmlNewTextChild(root, ns, BAD_CAST "TaxCategory",
		    BAD_CAST((unsigned)r->tax_category <= (unsigned)CD_TAX_REVERSE ?
		    tax_codes[r->tax_category] : "?"));
		if (r->explanation[0] != '\0')
			xmlNewTextChild(root, ns, BAD_CAST "Explanation", BAD_CAST r->explanation);
	} else {
		refusal = xmlNewChild(root, ns, BAD_CAST "Refusal", NULL);
		xmlNewTextChild(refusal, ns, BAD_CAST "Status",
		    BAD_CAST plugin_status_name(out->status));
		xmlNewTextChild(refusal, ns, BAD_CAST "Message", BAD_CAST out->message);
	}
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (mem == NULL) {
		fprintf(stderr, "contractd: cannot write a PricingResult: out of memory\n");
		abort();
	}
	text = xstrndup((const char *)mem, (size_t)size);
	if (len != NULL)
		*len = (size_t)size;
	xmlFree(mem);
	return text;
}

/* Fills out from a valid PricingResult; returns 0, or -1 with problems
 * added to p. */
static int
fill_output(pricing_output *out, xmlNodePtr root, problems *p)
{
	cd_pricing_result *r = &out->result;
	xmlNodePtr refusal = child(root, "Refusal");
	const char *text;
	int rc = 0;

	snprintf(out->plugin, sizeof out->plugin, "%s", text_of(child(root, "Plugin")));
	snprintf(out->version, sizeof out->version, "%s", text_of(child(root, "PluginVersion")));
	if (refusal != NULL) {
		text = text_of(child(refusal, "Status"));
		out->status = CD_ERR_INTERNAL;
		for (size_t i = 0; i < sizeof refusal_statuses / sizeof refusal_statuses[0]; i++)
			if (strcmp(text, plugin_status_name(refusal_statuses[i])) == 0)
				out->status = refusal_statuses[i];
		snprintf(out->message, sizeof out->message, "%s",
		    text_of(child(refusal, "Message")));
		return 0;
	}
	out->status = CD_OK;
	r->struct_size = sizeof *r;
	rc |= read_money(child(root, "RetailPrice"), "/PricingResult/RetailPrice", out->currency,
	    &r->retail_price, p);
	rc |= read_money(child(root, "DealerCost"), "/PricingResult/DealerCost", out->currency,
	    &r->dealer_cost, p);
	rc |= read_money(child(root, "AdminFee"), "/PricingResult/AdminFee", out->currency,
	    &r->admin_fee, p);
	rc |= read_money(child(root, "ClaimsReserve"), "/PricingResult/ClaimsReserve",
	    out->currency, &r->claims_reserve, p);
	text = text_of(child(root, "TaxCategory"));
	for (size_t i = 0; i < sizeof tax_codes / sizeof tax_codes[0]; i++)
		if (strcmp(text, tax_codes[i]) == 0)
			r->tax_category = (cd_tax_category)i;
	text = text_of(child(root, "Explanation"));
	snprintf(r->explanation, sizeof r->explanation, "%s", text != NULL ? text : "");
	return rc;
}

int
pricing_output_read(const char *text, size_t len, pricing_output *out, char *err,
    size_t errlen)
{
	problems p = { .buf = err, .size = errlen };
	xmlDocPtr doc;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	doc = read_valid(text, len, "PricingResult", &p);
	if (doc == NULL)
		goto out;
	if (fill_output(out, xmlDocGetRootElement(doc), &p) != 0)
		goto out;
	rc = 0;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	return rc;
}
