/* lines_doc — BillingRequest or PartsRequest in, PricedLines out. See
 * lines_doc.h. */
#include "plugin/lines_doc.h"
#include "plugin/doc_util.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "xml/schema.h"
#include "xml/xml_out.h"

#include <libxml/tree.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Root, Operations or Items, Operation or Item, its fields: 4 levels. */
#define LINES_DOC_MAX_DEPTH 8

struct lines_input {
	cd_plugin_kind kind;         /* CD_PLUGIN_BILLING or CD_PLUGIN_PARTS */
	cd_billing_request billing;  /* its pointers point at the fields below */
	cd_parts_request parts;      /* likewise */
	char currency[4];
	char *dealer_id;
	char *region;                /* NULL when absent */
	cd_labor_op *ops;            /* strings owned */
	size_t nops;
	cd_part_item *items;         /* strings owned */
	size_t nitems;
	cd_param *params;            /* strings owned */
	size_t nparams;
};

/* ------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------ */

static const char *const kind_names[] = {
	[CD_LINE_LABOR] = "labor",
	[CD_LINE_PART] = "part",
	[CD_LINE_CORE_DEPOSIT] = "core-deposit",
	[CD_LINE_FEE] = "fee",
	[CD_LINE_TRAVEL] = "travel",
	[CD_LINE_DISCOUNT] = "discount",
};

static const struct {
	cd_status status;
	const char *word;
} status_words[] = {
	{ CD_ERR_INVALID, "invalid" },
	{ CD_ERR_NOT_FOUND, "not-found" },
	{ CD_ERR_UNSUPPORTED, "unsupported" },
	{ CD_ERR_CONFIG, "config" },
	{ CD_ERR_OVERFLOW, "overflow" },
	{ CD_ERR_INTERNAL, "internal" },
};

const char *
lines_kind_name(cd_line_kind kind)
{
	return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : NULL;
}

const char *
lines_status_word(cd_status status)
{
	for (size_t i = 0; i < sizeof status_words / sizeof status_words[0]; i++)
		if (status_words[i].status == status)
			return status_words[i].word;
	return NULL;
}

/* ------------------------------------------------------------------------
 * Reading documents
 * ------------------------------------------------------------------------ */

/* The next sibling of n named like it, or NULL. */
static xmlNodePtr
next_named(xmlNodePtr n)
{
	const char *name = (const char *)n->name;

	for (n = n->next; n != NULL; n = n->next)
		if (doc_is_element(n, name))
			return n;
	return NULL;
}

/* The text of a simple element without the white space around it (which
 * the schema's types collapse): a new string, or NULL when n is NULL. */
static char *
text_dup(xmlNodePtr n)
{
	const char *t, *end;

	if (n == NULL)
		return NULL;
	t = n->children != NULL && n->children->content != NULL ?
	    (const char *)n->children->content : "";
	while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
		t++;
	end = t + strlen(t);
	while (end > t && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
	    end[-1] == '\r'))
		end--;
	return xstrndup(t, (size_t)(end - t));
}

/* The text of a simple element as it is (descriptions and messages keep
 * their spaces), or "" when n is NULL. Borrowed. */
static const char *
text_raw(xmlNodePtr n)
{
	if (n == NULL || n->children == NULL || n->children->content == NULL)
		return "";
	return (const char *)n->children->content;
}

/* A boolean element the schema has checked ("true", "1", "false", "0");
 * absent is false. */
static int32_t
bool_of(xmlNodePtr n)
{
	char *t = text_dup(n);
	int32_t v = t != NULL && (strcmp(t, "true") == 0 || strcmp(t, "1") == 0);

	free(t);
	return v;
}

/* Parses text and validates it against the schema of its root element,
 * which must be one of roots (NULL-terminated). Returns the document
 * (xmlFreeDoc), or NULL with the problems added to p. */
static xmlDocPtr
read_valid(const char *text, size_t len, const char *const *roots, doc_problems *p)
{
	const xml_schema *schema = NULL;
	xmlNodePtr root;
	xmlDocPtr doc;

	doc = doc_parse(text, len, LINES_DOC_MAX_BYTES, LINES_DOC_MAX_DEPTH, p);
	if (doc == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	for (size_t i = 0; roots[i] != NULL && schema == NULL; i++)
		if (doc_is_element(root, roots[i]))
			schema = xml_schema_for_root(roots[i]);
	if (schema == NULL) {
		char want[128] = "";

		for (size_t i = 0; roots[i] != NULL; i++)
			snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s",
			    i == 0 ? "" : roots[i + 1] == NULL ? " or " : ", ", roots[i]);
		if (xml_schema_for_root(roots[0]) == NULL)
			doc_problem_add(p, "/",
			    "cannot validate a %s: the XML schemas are not loaded", want);
		else
			doc_problem_add(p, "/", "a %s in namespace %s is expected, not %s", want,
			    CD_XML_NS, root != NULL ? (const char *)root->name : "nothing");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc_validate(doc, schema, (const char *)root->name, p);
}

/* Reads the currency element n into currency; 0, or -1 with a problem. */
static int
read_currency(xmlNodePtr n, const char *path, char currency[4], doc_problems *p)
{
	char *t = text_dup(n);
	int rc = 0;

	if (t == NULL || currency_exponent(t) < 0) {
		doc_problem_add(p, path, "%s is not an ISO 4217 currency",
		    t != NULL ? t : "(none)");
		rc = -1;
	} else {
		snprintf(currency, 4, "%s", t);
	}
	free(t);
	return rc;
}

/* Reads an amount element in currency into minor units. With exact, it
 * must have exactly the currency's decimals, as PricedLines writes them. */
static int
read_amount(xmlNodePtr n, const char *path, const char *currency, bool exact, int64_t *out,
    doc_problems *p)
{
	char *t = text_dup(n);
	int exponent = currency_exponent(currency);
	const char *dot;
	int rc;

	*out = 0;
	if (t == NULL)
		return 0;
	rc = doc_parse_amount(t, path, currency, out, p);
	dot = strchr(t, '.');
	if (rc == 0 && exact && (dot != NULL ? (int)strlen(dot + 1) : 0) != exponent) {
		doc_problem_add(p, path, "%s must be written with exactly %d decimal%s, as %s has",
		    t, exponent, exponent == 1 ? "" : "s", currency);
		rc = -1;
	}
	free(t);
	return rc;
}

/* Reads a decimal element (hours, km, a quantity) into a cd_decimal. */
static int
read_decimal(xmlNodePtr n, const char *path, cd_decimal *out, doc_problems *p)
{
	char *t = text_dup(n);
	rate r;
	int rc = 0;

	out->value = 0;
	out->scale = 0;
	if (t == NULL)
		return 0;
	if (rate_parse(t, &r) != MONEY_OK) {
		doc_problem_add(p, path, "'%s' is not a decimal number with at most %d decimals", t,
		    RATE_MAX_SCALE);
		rc = -1;
	} else {
		out->value = r.value;
		out->scale = r.scale;
	}
	free(t);
	return rc;
}

/* "/Root/Outer/Inner[i]/Leaf": Inner indexed when there are several. */
static void
item_path(char *out, size_t outlen, const char *root, const char *outer, const char *inner,
    size_t i, size_t n, const char *leaf)
{
	if (n > 1)
		snprintf(out, outlen, "/%s/%s/%s[%zu]%s%s", root, outer, inner, i + 1,
		    leaf ? "/" : "", leaf ? leaf : "");
	else
		snprintf(out, outlen, "/%s/%s/%s%s%s", root, outer, inner, leaf ? "/" : "",
		    leaf ? leaf : "");
}

static size_t
count_named(xmlNodePtr parent, const char *name)
{
	size_t n = 0;

	for (xmlNodePtr c = doc_child(parent, name); c != NULL; c = next_named(c))
		n++;
	return n;
}

/* Params/Param (Key, Value), which both requests share. */
static void
read_params(lines_input *in, xmlNodePtr root)
{
	xmlNodePtr params = doc_child(root, "Params");
	size_t n = count_named(params, "Param"), i = 0;

	if (n == 0)
		return;
	in->params = xcalloc(n, sizeof *in->params);
	for (xmlNodePtr c = doc_child(params, "Param"); c != NULL; c = next_named(c), i++) {
		in->params[i].key = text_dup(doc_child(c, "Key"));
		/* A value keeps its spaces: it is the plugin's to read. */
		in->params[i].value = xstrdup(text_raw(doc_child(c, "Value")));
	}
	in->nparams = n;
}

/* Fills in from a valid BillingRequest; returns 0, or -1 with problems
 * added to p. */
static int
fill_billing(lines_input *in, xmlNodePtr root, doc_problems *p)
{
	cd_billing_request *req = &in->billing;
	xmlNodePtr ops = doc_child(root, "Operations"), n;
	char path[128], *text;
	size_t i = 0;
	int rc = 0;

	in->kind = CD_PLUGIN_BILLING;
	req->struct_size = sizeof *req;
	if (read_currency(doc_child(root, "Currency"), "/BillingRequest/Currency", in->currency,
	    p) != 0)
		rc = -1;
	req->currency = in->currency;
	in->dealer_id = text_dup(doc_child(root, "DealerId"));
	in->region = text_dup(doc_child(root, "Region"));
	req->dealer_id = in->dealer_id;
	req->region = in->region;
	/* The schema has checked the date. */
	text = text_dup(doc_child(root, "ServiceDate"));
	snprintf(req->service_date.iso, sizeof req->service_date.iso, "%s", text ? text : "");
	free(text);
	req->field_service = bool_of(doc_child(root, "FieldService"));
	if (read_decimal(doc_child(root, "TravelDistance"), "/BillingRequest/TravelDistance",
	    &req->travel_distance, p) != 0)
		rc = -1;
	req->has_contract = bool_of(doc_child(root, "HasContract"));
	req->diagnostic = bool_of(doc_child(root, "Diagnostic"));

	in->nops = count_named(ops, "Operation");
	in->ops = in->nops > 0 ? xcalloc(in->nops, sizeof *in->ops) : NULL;
	for (n = doc_child(ops, "Operation"); n != NULL; n = next_named(n), i++) {
		cd_labor_op *op = &in->ops[i];

		op->operation_code = text_dup(doc_child(n, "OperationCode"));
		op->skill_level = text_dup(doc_child(n, "SkillLevel"));
		item_path(path, sizeof path, "BillingRequest", "Operations", "Operation", i,
		    in->nops, "Hours");
		if (read_decimal(doc_child(n, "Hours"), path, &op->hours, p) != 0)
			rc = -1;
	}
	req->ops = in->ops;
	req->nops = in->nops;

	if (in->currency[0] != '\0' &&
	    read_amount(doc_child(root, "PartsAmount"), "/BillingRequest/PartsAmount", in->currency,
	    false, &req->parts_amount, p) != 0)
		rc = -1;
	read_params(in, root);
	req->params = in->params;
	req->nparams = in->nparams;
	return rc;
}

/* Fills in from a valid PartsRequest; returns 0, or -1 with problems added
 * to p. */
static int
fill_parts(lines_input *in, xmlNodePtr root, doc_problems *p)
{
	static const struct {
		const char *name;
		cd_parts_buyer buyer;
	} buyers[] = {
		{ "dealer", CD_BUYER_DEALER },
		{ "customer", CD_BUYER_CUSTOMER },
		{ "warranty", CD_BUYER_WARRANTY },
	};
	cd_parts_request *req = &in->parts;
	xmlNodePtr items = doc_child(root, "Items"), n;
	char path[128], *text;
	size_t i = 0;
	int rc = 0;

	in->kind = CD_PLUGIN_PARTS;
	req->struct_size = sizeof *req;
	if (read_currency(doc_child(root, "Currency"), "/PartsRequest/Currency", in->currency,
	    p) != 0)
		rc = -1;
	req->currency = in->currency;
	in->dealer_id = text_dup(doc_child(root, "DealerId"));
	req->dealer_id = in->dealer_id;
	text = text_dup(doc_child(root, "Buyer"));
	for (size_t b = 0; text != NULL && b < sizeof buyers / sizeof buyers[0]; b++)
		if (strcmp(text, buyers[b].name) == 0)
			req->buyer = buyers[b].buyer;
	free(text);
	text = text_dup(doc_child(root, "OrderDate"));
	snprintf(req->order_date.iso, sizeof req->order_date.iso, "%s", text ? text : "");
	free(text);

	in->nitems = count_named(items, "Item");
	in->items = in->nitems > 0 ? xcalloc(in->nitems, sizeof *in->items) : NULL;
	for (n = doc_child(items, "Item"); n != NULL; n = next_named(n), i++) {
		cd_part_item *item = &in->items[i];

		item->part_number = text_dup(doc_child(n, "PartNumber"));
		item_path(path, sizeof path, "PartsRequest", "Items", "Item", i, in->nitems,
		    "Quantity");
		if (read_decimal(doc_child(n, "Quantity"), path, &item->quantity, p) != 0)
			rc = -1;
	}
	req->items = in->items;
	req->nitems = in->nitems;
	read_params(in, root);
	req->params = in->params;
	req->nparams = in->nparams;
	return rc;
}

/* Fills in (a lines_input) from a valid BillingRequest or PartsRequest,
 * whichever root is. */
static int
fill_input(void *target, xmlNodePtr root, doc_problems *p)
{
	if (doc_is_element(root, "BillingRequest"))
		return fill_billing(target, root, p);
	return fill_parts(target, root, p);
}

lines_input *
lines_input_read(const char *text, size_t len, char *err, size_t errlen)
{
	static const char *const roots[] = { "BillingRequest", "PartsRequest", NULL };
	lines_input *in = xcalloc(1, sizeof *in);
	doc_problems p;

	doc_problems_init(&p, err, errlen);
	if (doc_fill(read_valid(text, len, roots, &p), fill_input, in, &p) != 0) {
		lines_input_free(in);
		return NULL;
	}
	return in;
}

void
lines_input_free(lines_input *in)
{
	if (in == NULL)
		return;
	free(in->dealer_id);
	free(in->region);
	for (size_t i = 0; i < in->nops; i++) {
		free((char *)in->ops[i].operation_code);
		free((char *)in->ops[i].skill_level);
	}
	free(in->ops);
	for (size_t i = 0; i < in->nitems; i++)
		free((char *)in->items[i].part_number);
	free(in->items);
	doc_params_free(in->params, in->nparams);
	free(in);
}

cd_plugin_kind
lines_input_kind(const lines_input *in)
{
	return in->kind;
}

const char *
lines_input_document(const lines_input *in)
{
	return in->kind == CD_PLUGIN_BILLING ? "BillingRequest" : "PartsRequest";
}

const cd_billing_request *
lines_input_billing(const lines_input *in)
{
	return in->kind == CD_PLUGIN_BILLING ? &in->billing : NULL;
}

const cd_parts_request *
lines_input_parts(const lines_input *in)
{
	return in->kind == CD_PLUGIN_PARTS ? &in->parts : NULL;
}

/* ------------------------------------------------------------------------
 * Running and checking
 * ------------------------------------------------------------------------ */

cd_status
lines_run(const loaded_plugin *p, const lines_input *in, lines_output *out)
{
	cd_line *lines = NULL;
	size_t n = 0;
	int64_t total = 0;
	cd_status st;

	memset(out, 0, sizeof *out);
	snprintf(out->plugin, sizeof out->plugin, "%s", p->desc->name);
	snprintf(out->version, sizeof out->version, "%s", p->desc->version);
	memcpy(out->currency, in->currency, sizeof out->currency);
	if (in->kind == CD_PLUGIN_BILLING)
		st = plugin_price_labor(p, &in->billing, &lines, &n, out->message,
		    sizeof out->message);
	else
		st = plugin_price_parts(p, &in->parts, &lines, &n, out->message,
		    sizeof out->message);
	for (size_t i = 0; st == CD_OK && i < n; i++) {
		if (money_add(total, lines[i].amount, &total) != MONEY_OK) {
			snprintf(out->message, sizeof out->message,
			    "plugin %s: the lines' amounts add up to more than an amount can hold",
			    p->ctx.name);
			st = CD_ERR_OVERFLOW;
		}
	}
	out->status = st;
	if (st != CD_OK) {
		free(lines);
		return st;
	}
	out->message[0] = '\0';
	out->lines = lines;
	out->nlines = n;
	out->total = total;
	return st;
}

void
lines_output_clear(lines_output *out)
{
	free(out->lines);
	out->lines = NULL;
	out->nlines = 0;
}

int
lines_output_check(const lines_output *out, char *why, size_t whylen)
{
	if (out->status != CD_OK)
		return 0;
	for (size_t i = 0; i < out->nlines; i++) {
		const cd_line *l = &out->lines[i];
		const char *kind = lines_kind_name(l->kind);

		if (kind == NULL) {
			snprintf(why, whylen, "line %zu has unknown kind %d", i + 1, (int)l->kind);
			return -1;
		}
		if (l->code[0] == '\0')
			snprintf(why, whylen, "line %zu (%s) has no code", i + 1, kind);
		else if ((unsigned)l->tax_category > (unsigned)CD_TAX_REVERSE)
			snprintf(why, whylen, "line %zu (%s %s) has unknown tax category %d", i + 1,
			    kind, l->code, (int)l->tax_category);
		else if (l->quantity.scale < 0 || l->quantity.scale > RATE_MAX_SCALE)
			snprintf(why, whylen, "line %zu (%s %s) has a quantity of scale %d, not 0 to %d",
			    i + 1, kind, l->code, (int)l->quantity.scale, RATE_MAX_SCALE);
		else if (l->kind == CD_LINE_DISCOUNT && l->amount > 0)
			snprintf(why, whylen, "line %zu (discount %s) has a positive amount", i + 1,
			    l->code);
		else if (l->kind != CD_LINE_DISCOUNT && l->amount < 0)
			snprintf(why, whylen, "line %zu (%s %s) has a negative amount; only discounts "
			    "may", i + 1, kind, l->code);
		else
			continue;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * PricedLines
 * ------------------------------------------------------------------------ */

static void
add_line(xmlNodePtr lines, xmlNsPtr ns, const cd_line *l, const char *currency)
{
	xmlNodePtr n = xmlNewChild(lines, ns, BAD_CAST "Line", NULL);
	const char *kind = lines_kind_name(l->kind);
	rate q = { l->quantity.value, (int)l->quantity.scale };
	char text[48];

	/* What the SDK forbids is still shown, as best it can be; the
	 * document then does not validate, and lines_output_check says why. */
	if (kind == NULL) {
		snprintf(text, sizeof text, "%d", (int)l->kind);
		kind = text;
	}
	xmlNewTextChild(n, ns, BAD_CAST "Kind", BAD_CAST kind);
	xmlNewTextChild(n, ns, BAD_CAST "Code", BAD_CAST l->code);
	if (l->description[0] != '\0')
		xmlNewTextChild(n, ns, BAD_CAST "Description", BAD_CAST l->description);
	if (rate_format(q, text, sizeof text) != MONEY_OK)
		snprintf(text, sizeof text, "%lldE-%d", (long long)l->quantity.value,
		    (int)l->quantity.scale);
	xmlNewTextChild(n, ns, BAD_CAST "Quantity", BAD_CAST text);
	doc_add_amount(n, ns, "UnitPrice", l->unit_price, currency);
	doc_add_amount(n, ns, "Amount", l->amount, currency);
	xmlNewTextChild(n, ns, BAD_CAST "TaxCategory", BAD_CAST doc_tax_code(l->tax_category));
	if (l->reference[0] != '\0')
		xmlNewTextChild(n, ns, BAD_CAST "Reference", BAD_CAST l->reference);
}

char *
lines_output_write(const lines_output *out, size_t *len)
{
	xmlNodePtr root, lines;
	const char *word;
	xmlNsPtr ns;
	xmlDocPtr doc = doc_answer_new("PricedLines", out->plugin, out->version, &root, &ns);

	xmlNewTextChild(root, ns, BAD_CAST "Currency", BAD_CAST out->currency);
	if (out->status == CD_OK) {
		lines = xmlNewChild(root, ns, BAD_CAST "Lines", NULL);
		for (size_t i = 0; i < out->nlines; i++)
			add_line(lines, ns, &out->lines[i], out->currency);
		doc_add_amount(root, ns, "Total", out->total, out->currency);
	} else {
		word = lines_status_word(out->status);
		doc_add_refusal(root, ns, word ? word : "internal", out->message);
	}
	return doc_write(doc, "PricedLines", len);
}

/* Copies the text of n into a fixed field; a problem when it does not fit
 * (the schema's lengths make that impossible, but the field decides). */
static int
copy_field(char *field, size_t size, xmlNodePtr n, const char *path, doc_problems *p)
{
	const char *t = text_raw(n);

	if (strlen(t) >= size) {
		doc_problem_add(p, path, "longer than the %zu characters a line holds", size - 1);
		return -1;
	}
	memcpy(field, t, strlen(t) + 1);
	return 0;
}

/* Reads Line n (the i-th of count) into l. */
static int
fill_line(cd_line *l, xmlNodePtr n, size_t i, size_t count, const char *currency,
    doc_problems *p)
{
	char path[128], *t;
	int rc = 0;

	l->struct_size = sizeof *l;
	t = text_dup(doc_child(n, "Kind"));
	for (size_t k = 0; t != NULL && k < sizeof kind_names / sizeof kind_names[0]; k++)
		if (strcmp(t, kind_names[k]) == 0)
			l->kind = (cd_line_kind)k;
	free(t);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "Code");
	rc |= copy_field(l->code, sizeof l->code, doc_child(n, "Code"), path, p);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "Description");
	rc |= copy_field(l->description, sizeof l->description, doc_child(n, "Description"), path,
	    p);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "Quantity");
	rc |= read_decimal(doc_child(n, "Quantity"), path, &l->quantity, p);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "UnitPrice");
	rc |= read_amount(doc_child(n, "UnitPrice"), path, currency, true, &l->unit_price, p);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "Amount");
	rc |= read_amount(doc_child(n, "Amount"), path, currency, true, &l->amount, p);
	t = text_dup(doc_child(n, "TaxCategory"));
	doc_tax_category(t, &l->tax_category);
	free(t);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "Reference");
	rc |= copy_field(l->reference, sizeof l->reference, doc_child(n, "Reference"), path, p);
	return rc;
}

/* Fills out (a lines_output) from a valid PricedLines; returns 0, or -1
 * with problems added to p. */
static int
fill_output(void *target, xmlNodePtr root, doc_problems *p)
{
	lines_output *out = target;
	xmlNodePtr refusal = doc_child(root, "Refusal"), lines = doc_child(root, "Lines"), n;
	char *t, sum[32], total[32];
	int64_t computed = 0;
	size_t i = 0;
	int rc = 0;

	copy_field(out->plugin, sizeof out->plugin, doc_child(root, "Plugin"),
	    "/PricedLines/Plugin", p);
	copy_field(out->version, sizeof out->version, doc_child(root, "PluginVersion"),
	    "/PricedLines/PluginVersion", p);
	if (read_currency(doc_child(root, "Currency"), "/PricedLines/Currency", out->currency,
	    p) != 0)
		return -1;
	if (refusal != NULL) {
		t = text_dup(doc_child(refusal, "Status"));
		out->status = CD_ERR_INTERNAL;
		for (size_t k = 0; k < sizeof status_words / sizeof status_words[0]; k++)
			if (strcmp(t, status_words[k].word) == 0)
				out->status = status_words[k].status;
		free(t);
		snprintf(out->message, sizeof out->message, "%s",
		    text_raw(doc_child(refusal, "Message")));
		return 0;
	}
	out->status = CD_OK;
	out->nlines = count_named(lines, "Line");
	out->lines = out->nlines > 0 ? xcalloc(out->nlines, sizeof *out->lines) : NULL;
	for (n = doc_child(lines, "Line"); n != NULL; n = next_named(n), i++) {
		if (fill_line(&out->lines[i], n, i, out->nlines, out->currency, p) != 0) {
			rc = -1;
			continue;
		}
		if (money_add(computed, out->lines[i].amount, &computed) != MONEY_OK) {
			doc_problem_add(p, "/PricedLines/Total",
			    "the lines' amounts add up to more than an amount can hold");
			return -1;
		}
	}
	if (read_amount(doc_child(root, "Total"), "/PricedLines/Total", out->currency, true,
	    &out->total, p) != 0 || rc != 0)
		return -1;
	if (out->total != computed) {
		money_format(out->total, out->currency, total, sizeof total);
		money_format(computed, out->currency, sum, sizeof sum);
		doc_problem_add(p, "/PricedLines/Total",
		    "%s is not the sum of the lines' amounts, %s", total, sum);
		return -1;
	}
	return 0;
}

int
lines_output_read(const char *text, size_t len, lines_output *out, char *err, size_t errlen)
{
	static const char *const roots[] = { "PricedLines", NULL };
	doc_problems p;

	memset(out, 0, sizeof *out);
	doc_problems_init(&p, err, errlen);
	return doc_fill(read_valid(text, len, roots, &p), fill_output, out, &p);
}
