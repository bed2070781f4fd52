/* lines_doc — BillingRequest or PartsRequest in, PricedLines out. See
 * lines_doc.h. */
#include "plugin/lines_doc.h"
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

/* Root, Operations or Items, Operation or Item, its fields: 4 levels. */
#define LINES_DOC_MAX_DEPTH 8
/* Schema problems reported per document. */
#define LINES_DOC_PROBLEMS 16

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

static const char *const tax_codes[] = { "S", "Z", "E", "AE" };

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

/* The next sibling of n named like it, or NULL. */
static xmlNodePtr
next_named(xmlNodePtr n)
{
	const char *name = (const char *)n->name;

	for (n = n->next; n != NULL; n = n->next)
		if (is_element(n, name))
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
read_valid(const char *text, size_t len, const char *const *roots, problems *p)
{
	const xml_limits limits = { .max_bytes = LINES_DOC_MAX_BYTES,
		.max_depth = LINES_DOC_MAX_DEPTH };
	xml_problem found[LINES_DOC_PROBLEMS], problem;
	const xml_schema *schema = NULL;
	xmlNodePtr root;
	xmlDocPtr doc;
	size_t count = 0;
	int rc;

	doc = xml_parse_untrusted(text, len, &limits, &problem);
	if (doc == NULL) {
		add_problem(p, problem.path, "%s", problem.message);
		return NULL;
	}
	root = xmlDocGetRootElement(doc);
	for (size_t i = 0; roots[i] != NULL && schema == NULL; i++)
		if (is_element(root, roots[i]))
			schema = xml_schema_for_root(roots[i]);
	if (schema == NULL) {
		char want[128] = "";

		for (size_t i = 0; roots[i] != NULL; i++)
			snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s",
			    i == 0 ? "" : roots[i + 1] == NULL ? " or " : ", ", roots[i]);
		if (xml_schema_for_root(roots[0]) == NULL)
			add_problem(p, "/", "cannot validate a %s: the XML schemas are not loaded",
			    want);
		else
			add_problem(p, "/", "a %s in namespace %s is expected, not %s", want, CD_XML_NS,
			    root != NULL ? (const char *)root->name : "nothing");
		xmlFreeDoc(doc);
		return NULL;
	}
	rc = xml_validate(schema, doc, found, LINES_DOC_PROBLEMS, &count);
	if (rc == 0)
		return doc;
	for (size_t i = 0; i < count; i++)
		add_problem(p, found[i].path, "%s", found[i].message);
	if (count == 0)
		add_problem(p, "/", "not a valid %s", (const char *)root->name);
	xmlFreeDoc(doc);
	return NULL;
}

/* Reads the currency element n into currency; 0, or -1 with a problem. */
static int
read_currency(xmlNodePtr n, const char *path, char currency[4], problems *p)
{
	char *t = text_dup(n);
	int rc = 0;

	if (t == NULL || currency_exponent(t) < 0) {
		add_problem(p, path, "%s is not an ISO 4217 currency", t != NULL ? t : "(none)");
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
    problems *p)
{
	char *t = text_dup(n);
	int exponent = currency_exponent(currency);
	const char *dot;
	money_status ms;
	int rc = -1;

	*out = 0;
	if (t == NULL)
		return 0;
	ms = money_parse(t, currency, out);
	dot = strchr(t, '.');
	if (ms == MONEY_EPRECISION)
		add_problem(p, path, "%s has more decimals than %s has (%d)", t, currency, exponent);
	else if (ms != MONEY_OK)
		add_problem(p, path, "'%s' is not an amount in %s", t, currency);
	else if (exact && (dot != NULL ? (int)strlen(dot + 1) : 0) != exponent)
		add_problem(p, path, "%s must be written with exactly %d decimal%s, as %s has", t,
		    exponent, exponent == 1 ? "" : "s", currency);
	else
		rc = 0;
	free(t);
	return rc;
}

/* Reads a decimal element (hours, km, a quantity) into a cd_decimal. */
static int
read_decimal(xmlNodePtr n, const char *path, cd_decimal *out, problems *p)
{
	char *t = text_dup(n);
	rate r;
	int rc = 0;

	out->value = 0;
	out->scale = 0;
	if (t == NULL)
		return 0;
	if (rate_parse(t, &r) != MONEY_OK) {
		add_problem(p, path, "'%s' is not a decimal number with at most %d decimals", t,
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

	for (xmlNodePtr c = child(parent, name); c != NULL; c = next_named(c))
		n++;
	return n;
}

/* Params/Param (Key, Value), which both requests share. */
static void
read_params(lines_input *in, xmlNodePtr root)
{
	xmlNodePtr params = child(root, "Params");
	size_t n = count_named(params, "Param"), i = 0;

	if (n == 0)
		return;
	in->params = xcalloc(n, sizeof *in->params);
	for (xmlNodePtr c = child(params, "Param"); c != NULL; c = next_named(c), i++) {
		in->params[i].key = text_dup(child(c, "Key"));
		/* A value keeps its spaces: it is the plugin's to read. */
		in->params[i].value = xstrdup(text_raw(child(c, "Value")));
	}
	in->nparams = n;
}

/* Fills in from a valid BillingRequest; returns 0, or -1 with problems
 * added to p. */
static int
fill_billing(lines_input *in, xmlNodePtr root, problems *p)
{
	cd_billing_request *req = &in->billing;
	xmlNodePtr ops = child(root, "Operations"), n;
	char path[128], *text;
	size_t i = 0;
	int rc = 0;

	in->kind = CD_PLUGIN_BILLING;
	req->struct_size = sizeof *req;
	if (read_currency(child(root, "Currency"), "/BillingRequest/Currency", in->currency,
	    p) != 0)
		rc = -1;
	req->currency = in->currency;
	in->dealer_id = text_dup(child(root, "DealerId"));
	in->region = text_dup(child(root, "Region"));
	req->dealer_id = in->dealer_id;
	req->region = in->region;
	/* The schema has checked the date. */
	text = text_dup(child(root, "ServiceDate"));
	snprintf(req->service_date.iso, sizeof req->service_date.iso, "%s", text ? text : "");
	free(text);
	req->field_service = bool_of(child(root, "FieldService"));
	if (read_decimal(child(root, "TravelDistance"), "/BillingRequest/TravelDistance",
	    &req->travel_distance, p) != 0)
		rc = -1;
	req->has_contract = bool_of(child(root, "HasContract"));
	req->diagnostic = bool_of(child(root, "Diagnostic"));

	in->nops = count_named(ops, "Operation");
	in->ops = in->nops > 0 ? xcalloc(in->nops, sizeof *in->ops) : NULL;
	for (n = child(ops, "Operation"); n != NULL; n = next_named(n), i++) {
		cd_labor_op *op = &in->ops[i];

		op->operation_code = text_dup(child(n, "OperationCode"));
		op->skill_level = text_dup(child(n, "SkillLevel"));
		item_path(path, sizeof path, "BillingRequest", "Operations", "Operation", i,
		    in->nops, "Hours");
		if (read_decimal(child(n, "Hours"), path, &op->hours, p) != 0)
			rc = -1;
	}
	req->ops = in->ops;
	req->nops = in->nops;

	if (in->currency[0] != '\0' &&
	    read_amount(child(root, "PartsAmount"), "/BillingRequest/PartsAmount", in->currency,
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
fill_parts(lines_input *in, xmlNodePtr root, problems *p)
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
	xmlNodePtr items = child(root, "Items"), n;
	char path[128], *text;
	size_t i = 0;
	int rc = 0;

	in->kind = CD_PLUGIN_PARTS;
	req->struct_size = sizeof *req;
	if (read_currency(child(root, "Currency"), "/PartsRequest/Currency", in->currency,
	    p) != 0)
		rc = -1;
	req->currency = in->currency;
	in->dealer_id = text_dup(child(root, "DealerId"));
	req->dealer_id = in->dealer_id;
	text = text_dup(child(root, "Buyer"));
	for (size_t b = 0; text != NULL && b < sizeof buyers / sizeof buyers[0]; b++)
		if (strcmp(text, buyers[b].name) == 0)
			req->buyer = buyers[b].buyer;
	free(text);
	text = text_dup(child(root, "OrderDate"));
	snprintf(req->order_date.iso, sizeof req->order_date.iso, "%s", text ? text : "");
	free(text);

	in->nitems = count_named(items, "Item");
	in->items = in->nitems > 0 ? xcalloc(in->nitems, sizeof *in->items) : NULL;
	for (n = child(items, "Item"); n != NULL; n = next_named(n), i++) {
		cd_part_item *item = &in->items[i];

		item->part_number = text_dup(child(n, "PartNumber"));
		item_path(path, sizeof path, "PartsRequest", "Items", "Item", i, in->nitems,
		    "Quantity");
		if (read_decimal(child(n, "Quantity"), path, &item->quantity, p) != 0)
			rc = -1;
	}
	req->items = in->items;
	req->nitems = in->nitems;
	read_params(in, root);
	req->params = in->params;
	req->nparams = in->nparams;
	return rc;
}

lines_input *
lines_input_read(const char *text, size_t len, char *err, size_t errlen)
{
	static const char *const roots[] = { "BillingRequest", "PartsRequest", NULL };
	problems p = { .buf = err, .size = errlen };
	lines_input *in = xcalloc(1, sizeof *in), *result = NULL;
	xmlNodePtr root;
	xmlDocPtr doc;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	doc = read_valid(text, len, roots, &p);
	if (doc == NULL)
		goto out;
	root = xmlDocGetRootElement(doc);
	if (is_element(root, "BillingRequest"))
		rc = fill_billing(in, root, &p);
	else
		rc = fill_parts(in, root, &p);
	if (rc != 0)
		goto out;
	result = in;
	in = NULL;
out:
	lines_input_free(in);
	if (doc != NULL)
		xmlFreeDoc(doc);
	return result;
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
	for (size_t i = 0; i < in->nparams; i++) {
		free((char *)in->params[i].key);
		free((char *)in->params[i].value);
	}
	free(in->params);
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
add_amount(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t amount,
    const char *currency)
{
	char text[32];

	if (money_format(amount, currency, text, sizeof text) != MONEY_OK)
		snprintf(text, sizeof text, "%lld", (long long)amount);
	xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text);
}

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
	add_amount(n, ns, "UnitPrice", l->unit_price, currency);
	add_amount(n, ns, "Amount", l->amount, currency);
	xmlNewTextChild(n, ns, BAD_CAST "TaxCategory",
	    BAD_CAST((unsigned)l->tax_category <= (unsigned)CD_TAX_REVERSE ?
	    tax_codes[l->tax_category] : "?"));
	if (l->reference[0] != '\0')
		xmlNewTextChild(n, ns, BAD_CAST "Reference", BAD_CAST l->reference);
}

char *
lines_output_write(const lines_output *out, size_t *len)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root, lines, refusal;
	xmlChar *mem = NULL;
	const char *word;
	xmlNsPtr ns;
	char *text;
	int size = 0;

	root = xmlNewNode(NULL, BAD_CAST "PricedLines");
	ns = xmlNewNs(root, BAD_CAST CD_XML_NS, NULL);
	xmlSetNs(root, ns);
	xmlDocSetRootElement(doc, root);
	xmlNewTextChild(root, ns, BAD_CAST "Plugin", BAD_CAST out->plugin);
	xmlNewTextChild(root, ns, BAD_CAST "PluginVersion", BAD_CAST out->version);
	xmlNewTextChild(root, ns, BAD_CAST "Currency", BAD_CAST out->currency);
	if (out->status == CD_OK) {
		lines = xmlNewChild(root, ns, BAD_CAST "Lines", NULL);
		for (size_t i = 0; i < out->nlines; i++)
			add_line(lines, ns, &out->lines[i], out->currency);
		add_amount(root, ns, "Total", out->total, out->currency);
	} else {
		word = lines_status_word(out->status);
		refusal = xmlNewChild(root, ns, BAD_CAST "Refusal", NULL);
		xmlNewTextChild(refusal, ns, BAD_CAST "Status", BAD_CAST(word ? word : "internal"));
		xmlNewTextChild(refusal, ns, BAD_CAST "Message", BAD_CAST out->message);
	}
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (mem == NULL) {
		fprintf(stderr, "contractd: cannot write PricedLines: out of memory\n");
		abort();
	}
	text = xstrndup((const char *)mem, (size_t)size);
	if (len != NULL)
		*len = (size_t)size;
	xmlFree(mem);
	return text;
}

/* Copies the text of n into a fixed field; a problem when it does not fit
 * (the schema's lengths make that impossible, but the field decides). */
static int
copy_field(char *field, size_t size, xmlNodePtr n, const char *path, problems *p)
{
	const char *t = text_raw(n);

	if (strlen(t) >= size) {
		add_problem(p, path, "longer than the %zu characters a line holds", size - 1);
		return -1;
	}
	memcpy(field, t, strlen(t) + 1);
	return 0;
}

/* Reads Line n (the i-th of count) into l. */
static int
fill_line(cd_line *l, xmlNodePtr n, size_t i, size_t count, const char *currency,
    problems *p)
{
	char path[128], *t;
	int rc = 0;

	l->struct_size = sizeof *l;
	t = text_dup(child(n, "Kind"));
	for (size_t k = 0; t != NULL && k < sizeof kind_names / sizeof kind_names[0]; k++)
		if (strcmp(t, kind_names[k]) == 0)
			l->kind = (cd_line_kind)k;
	free(t);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "Code");
	rc |= copy_field(l->code, sizeof l->code, child(n, "Code"), path, p);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "Description");
	rc |= copy_field(l->description, sizeof l->description, child(n, "Description"), path, p);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "Quantity");
	rc |= read_decimal(child(n, "Quantity"), path, &l->quantity, p);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "UnitPrice");
	rc |= read_amount(child(n, "UnitPrice"), path, currency, true, &l->unit_price, p);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "Amount");
	rc |= read_amount(child(n, "Amount"), path, currency, true, &l->amount, p);
	t = text_dup(child(n, "TaxCategory"));
	for (size_t k = 0; t != NULL && k < sizeof tax_codes / sizeof tax_codes[0]; k++)
		if (strcmp(t, tax_codes[k]) == 0)
			l->tax_category = (cd_tax_category)k;
	free(t);
	item_path(path, sizeof path, "PricedLines", "Lines", "Line", i, count, "Reference");
	rc |= copy_field(l->reference, sizeof l->reference, child(n, "Reference"), path, p);
	return rc;
}

/* Fills out from a valid PricedLines; returns 0, or -1 with problems added
 * to p. */
static int
fill_output(lines_output *out, xmlNodePtr root, problems *p)
{
	xmlNodePtr refusal = child(root, "Refusal"), lines = child(root, "Lines"), n;
	char *t, sum[32], total[32];
	int64_t computed = 0;
	size_t i = 0;
	int rc = 0;

	copy_field(out->plugin, sizeof out->plugin, child(root, "Plugin"), "/PricedLines/Plugin",
	    p);
	copy_field(out->version, sizeof out->version, child(root, "PluginVersion"),
	    "/PricedLines/PluginVersion", p);
	if (read_currency(child(root, "Currency"), "/PricedLines/Currency", out->currency, p) != 0)
		return -1;
	if (refusal != NULL) {
		t = text_dup(child(refusal, "Status"));
		out->status = CD_ERR_INTERNAL;
		for (size_t k = 0; k < sizeof status_words / sizeof status_words[0]; k++)
			if (strcmp(t, status_words[k].word) == 0)
				out->status = status_words[k].status;
		free(t);
		snprintf(out->message, sizeof out->message, "%s", text_raw(child(refusal, "Message")));
		return 0;
	}
	out->status = CD_OK;
	out->nlines = count_named(lines, "Line");
	out->lines = out->nlines > 0 ? xcalloc(out->nlines, sizeof *out->lines) : NULL;
	for (n = child(lines, "Line"); n != NULL; n = next_named(n), i++) {
		if (fill_line(&out->lines[i], n, i, out->nlines, out->currency, p) != 0) {
			rc = -1;
			continue;
		}
		if (money_add(computed, out->lines[i].amount, &computed) != MONEY_OK) {
			add_problem(p, "/PricedLines/Total", "the lines' amounts add up to more than "
			    "an amount can hold");
			return -1;
		}
	}
	if (read_amount(child(root, "Total"), "/PricedLines/Total", out->currency, true,
	    &out->total, p) != 0 || rc != 0)
		return -1;
	if (out->total != computed) {
		money_format(out->total, out->currency, total, sizeof total);
		money_format(computed, out->currency, sum, sizeof sum);
		add_problem(p, "/PricedLines/Total", "%s is not the sum of the lines' amounts, %s",
		    total, sum);
		return -1;
	}
	return 0;
}

int
lines_output_read(const char *text, size_t len, lines_output *out, char *err, size_t errlen)
{
	static const char *const roots[] = { "PricedLines", NULL };
	problems p = { .buf = err, .size = errlen };
	xmlDocPtr doc;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	doc = read_valid(text, len, roots, &p);
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
