/* billing-labor — post-warranty labor, time and material: what a repair
 * that nothing covers costs the customer in labor and fees. Hourly rates
 * by skill level for every dealer, for the dealers of a region or for one
 * dealer; flat-rate times for known operations; a diagnostic fee; a
 * minimum charge; a call-out fee and a price per km for field service;
 * shop supplies as a capped percentage; a discount for customers who hold
 * a service contract. The rates are a LaborRates document
 * (contracts/schema/LaborRates.xsd), one table per currency, that this
 * plugin reads itself at init.
 *
 *     [plugin labor]
 *     file = billing-labor.so
 *     rates = labor/LaborRates.xml
 *
 * For a request in currency C, with the table of C:
 *
 *     rate          = per operation, the hourly rate for its skill level
 *                     (the table's defaultSkill when it names none): the
 *                     dealer's own, else its region's, else the default
 *     hours         = the operation's flat hours when the table lists it
 *                     (unless the table says basis="actual" for it),
 *                     else the hours actually worked
 *     labor line    = rate x hours                        one per operation
 *     labor         = the sum of the labor lines
 *     minimum       = MinimumCharge - labor, when there is an operation
 *                     and labor is below MinimumCharge        (a fee line)
 *     labor charge  = labor + minimum
 *     diagnostic    = DiagnosticFee, when a diagnosis was performed
 *     call-out      = CallOutFee, for field service
 *     travel        = PerKm x the travel distance, for field service
 *     shop supplies = labor charge (+ the parts amount, with IncludeParts)
 *                     x ShopSupplies/Percent, at most ShopSupplies/Maximum
 *     discount      = - labor charge x ContractDiscount/Percent, when the
 *                     customer holds a service contract
 *
 * The lines come in that order: labor (in the request's order), minimum
 * charge, diagnostic fee, call-out, travel, shop supplies, discount; a fee,
 * travel or discount line whose amount is zero is left out, and so is
 * every fee the table does not have. Each product is rounded half-up
 * (halves away from zero, so a discount of -15.215 is -15.22) to a whole
 * minor unit on its own, with the host's money helpers: no floating point.
 * Every line has the table's TaxCategory (S when it has none) unless the
 * request's tax-category parameter says otherwise.
 *
 * The parameters (docs/plugins.md, "Billing plugins", has the full story):
 *
 *   rates         configuration: the LaborRates file, relative to the
 *                 directory of contractd.conf. Read and checked at init: a
 *                 broken file stops the plugin from loading, with a
 *                 message naming the file and the element.
 *   tax-category  request (Params): S, Z, E or AE for every line, say AE
 *                 for a reverse-charge business customer. Any other
 *                 request parameter is CD_ERR_CONFIG.
 *
 * Refusals: a currency without a table, or a service date before the
 * rates' EffectiveDate, is CD_ERR_UNSUPPORTED; a skill level without a
 * rate is CD_ERR_NOT_FOUND; a request with nothing to bill (no operation,
 * no diagnosis, no field service), a travel distance without field
 * service, or hours that are not above zero, is CD_ERR_INVALID.
 *
 * The file is read with libxml2, hardened as contractd reads dealers'
 * documents: never from the network, no DTD loaded, no entity substituted,
 * any DOCTYPE refused, size and depth bounded (plugins/common/xmlfile.c,
 * compiled into this plugin); then checked element by element against
 * what LaborRates.xsd says, and for what it cannot say. Everything else
 * here comes from <contractd/plugin.h>, the C library and the sources of
 * plugins/common: nothing of contractd. */
#include <contractd/plugin.h>

#include "lexical.h"
#include "xmlfile.h"

#include <libxml/tree.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATES_NS "urn:contractd:1"
/* The largest rates file read, and how deep its elements may nest (the
 * format needs 4 levels). */
#define RATES_MAX_BYTES (4u * 1024 * 1024)
#define RATES_MAX_DEPTH 8
#define MAX_TABLES 16
#define MAX_RATES 10000
#define MAX_OPERATIONS 20000
#define PATH_TEXT_MAX 4096
/* Longest value of a simple element or attribute. */
#define VALUE_MAX 256

typedef enum basis {
	BASIS_FLAT = 0,    /* the table's hours */
	BASIS_ACTUAL = 1,  /* the hours worked */
} basis;

/* A share written as a percentage: "5" is the factor 0.05. */
typedef struct percent {
	cd_decimal factor;
	char text[16];             /* as written, for descriptions */
} percent;

/* An hourly rate. Exactly one of dealer and region is set, or neither (a
 * default rate). */
typedef struct labor_rate {
	char *skill;               /* the table's default skill when the Rate has none */
	char *dealer;
	char *region;
	int64_t amount;            /* minor units of the table's currency */
	size_t index;              /* 1-based position among the Rates, for messages */
} labor_rate;

/* An operation of the table. */
typedef struct flat_op {
	char *code;
	char *description;         /* NULL when none */
	bool has_hours;
	cd_decimal hours;
	basis basis;               /* the operation's, or its Operations' */
	size_t index;              /* 1-based position among the Operations */
} flat_op;

/* One currency's table. */
typedef struct labor_table {
	char currency[4];
	char *default_skill;
	char *skills;              /* "standard, expert", for messages */
	labor_rate *rates;
	size_t nrates;
	flat_op *ops;              /* sorted by code, for bsearch */
	size_t nops;
	bool has_diagnostic, has_minimum, has_field, has_supplies, has_supplies_max;
	bool supplies_parts, has_discount;
	int64_t diagnostic, minimum, call_out, per_km, supplies_max;
	percent supplies, discount;
	cd_tax_category tax_category;
} labor_table;

/* What init made. Operations run on many threads at once with this state,
 * so after init it is read-only. */
typedef struct labor_state {
	const cd_host_services *host;   /* borrowed: valid until fini */
	const cd_plugin_ctx *ctx;
	char path[PATH_TEXT_MAX];       /* the rates file, resolved */
	char effective[11];             /* EffectiveDate, or "" */
	labor_table tables[MAX_TABLES];
	size_t ntables;
	char currencies[MAX_TABLES * 5]; /* "EUR, JPY", for messages */
} labor_state;

/* ------------------------------------------------------------------------
 * Small checks of text
 * ------------------------------------------------------------------------ */

/* 1 to int_max digits, then optionally '.' and 1 to frac_max digits:
 * the shape of common.xsd's unsigned decimals. */
static bool
is_plain_decimal(const char *s, int int_max, int frac_max)
{
	int n = 0;

	while (*s >= '0' && *s <= '9' && n <= int_max) {
		s++;
		n++;
	}
	if (n == 0 || n > int_max)
		return false;
	if (*s == '\0')
		return true;
	if (*s++ != '.')
		return false;
	for (n = 0; *s >= '0' && *s <= '9'; s++)
		n++;
	return *s == '\0' && n >= 1 && n <= frac_max;
}

static int
decimals_of(const char *s)
{
	const char *dot = strchr(s, '.');

	return dot != NULL ? (int)strlen(dot + 1) : 0;
}

/* Copies s without the white space around it (which the schema's types
 * collapse) into out; false when it does not fit. */
static bool
copy_trimmed(const char *s, char *out, size_t outlen)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
	    s[n - 1] == '\r'))
		n--;
	if (n >= outlen)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

static bool
parse_tax_category(const char *s, cd_tax_category *out)
{
	static const char *const codes[] = { "S", "Z", "E", "AE" };

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		if (strcmp(s, codes[i]) == 0) {
			*out = (cd_tax_category)i;
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------------
 * Reading the rates file: a hardened parse
 * ------------------------------------------------------------------------ */

/* What the loader carries: where messages go and what they name. */
typedef struct loader {
	const cd_host_services *host;
	const char *file;          /* as resolved */
	cd_error *err;
} loader;

/* The path of element n, "/LaborRates/Table[2]/Rates/Rate[3]": an index
 * where an element has siblings of the same name, as contractd's schema
 * messages write it. */
static void
node_path(xmlNodePtr n, char *out, size_t outlen)
{
	char part[128], rest[1024] = "";

	out[0] = '\0';
	for (; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent) {
		size_t before = 0, same = 0;

		for (xmlNodePtr s = n->parent != NULL ? n->parent->children : NULL; s != NULL;
		    s = s->next) {
			if (s->type != XML_ELEMENT_NODE || !xmlStrEqual(s->name, n->name))
				continue;
			same++;
			if (s == n)
				before = same;
		}
		if (same > 1)
			snprintf(part, sizeof part, "/%s[%zu]", (const char *)n->name, before);
		else
			snprintf(part, sizeof part, "/%s", (const char *)n->name);
		snprintf(rest, sizeof rest, "%s%s", part, out);
		snprintf(out, outlen, "%s", rest);
	}
}

/* Writes "labor rates FILE: PATH[/@attr]: message" and returns
 * CD_ERR_CONFIG. n may be NULL for the whole file. */
static cd_status __attribute__((format(printf, 4, 5)))
bad(const loader *l, xmlNodePtr n, const char *attr, const char *fmt, ...)
{
	char path[1024] = "", msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n != NULL)
		node_path(n, path, sizeof path);
	if (n == NULL)
		return l->host->error_set(l->err, CD_ERR_CONFIG, "labor rates %s: %s", l->file, msg);
	return l->host->error_set(l->err, CD_ERR_CONFIG, "labor rates %s: %s%s%s: %s", l->file,
	    path, attr != NULL ? "/@" : "", attr != NULL ? attr : "", msg);
}

/* Writes the message of what plugins/common/xmlfile refused, as this
 * plugin words it, and returns its status: CD_ERR_CONFIG, or
 * CD_ERR_INTERNAL when memory or a parser could not be had. */
static cd_status
refused(const loader *l, const xmlfile_problem *p)
{
	switch (p->status) {
	case XMLFILE_CANNOT_OPEN:
		return bad(l, NULL, NULL, "cannot open: %s", strerror(p->errnum));
	case XMLFILE_NOT_REGULAR:
		return bad(l, NULL, NULL, "not a regular file");
	case XMLFILE_EMPTY:
	case XMLFILE_TOO_LARGE:
		return bad(l, NULL, NULL, "%lld bytes: a rates file has 1 to %u", p->size,
		    RATES_MAX_BYTES);
	case XMLFILE_CANNOT_READ:
		return bad(l, NULL, NULL, "cannot read: %s",
		    p->errnum != 0 ? strerror(p->errnum) : "it shrank");
	case XMLFILE_NO_MEMORY:
		return l->host->error_set(l->err, CD_ERR_INTERNAL, "out of memory");
	case XMLFILE_NO_PARSER:
		return l->host->error_set(l->err, CD_ERR_INTERNAL, "cannot create an XML parser");
	case XMLFILE_DOCTYPE:
		return bad(l, NULL, NULL, "a DOCTYPE is not allowed (no DTDs, no entities)");
	case XMLFILE_TOO_DEEP:
		return bad(l, NULL, NULL, "elements nest deeper than %d levels", RATES_MAX_DEPTH);
	case XMLFILE_OK:
	case XMLFILE_NOT_WELL_FORMED:
		break;
	}
	return bad(l, NULL, NULL, "line %d, column %d: %s", p->line, p->column, p->message);
}

/* ------------------------------------------------------------------------
 * Reading the rates file: the structure LaborRates.xsd describes
 * ------------------------------------------------------------------------ */

static bool
is_ours(xmlNodePtr n)
{
	return n->ns != NULL && xmlStrEqual(n->ns->href, BAD_CAST RATES_NS);
}

/* One element of a sequence: its name and how often it may come. */
typedef struct slot {
	const char *name;
	int min, max;
	xmlNodePtr first;
	int count;
} slot;

/* Checks that the children of parent are the slots' elements, in order,
 * each as often as allowed, with nothing else but comments and white
 * space; sets each slot's first element and count. */
static cd_status
read_sequence(const loader *l, xmlNodePtr parent, slot *slots, size_t nslots)
{
	size_t at = 0;

	for (xmlNodePtr n = parent->children; n != NULL; n = n->next) {
		size_t j;

		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (!lexical_is_blank((const char *)n->content))
				return bad(l, parent, NULL, "text is not allowed here");
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;          /* comments, processing instructions */
		if (!is_ours(n))
			return bad(l, n, NULL, "not an element of namespace %s", RATES_NS);
		for (j = at; j < nslots && !xmlStrEqual(n->name, BAD_CAST slots[j].name); j++)
			;
		if (j == nslots) {
			for (j = 0; j < at; j++)
				if (xmlStrEqual(n->name, BAD_CAST slots[j].name))
					return bad(l, n, NULL, "out of order: %s comes before %s",
					    slots[j].name, slots[at].name);
			return bad(l, n, NULL, "unexpected element %s", (const char *)n->name);
		}
		for (; at < j; at++)
			if (slots[at].count < slots[at].min)
				return bad(l, parent, NULL, "missing %s before %s", slots[at].name,
				    slots[j].name);
		if (++slots[j].count > slots[j].max)
			return bad(l, n, NULL, "more than %d %s element%s", slots[j].max,
			    slots[j].name, slots[j].max == 1 ? "" : "s");
		if (slots[j].first == NULL)
			slots[j].first = n;
	}
	for (; at < nslots; at++)
		if (slots[at].count < slots[at].min)
			return bad(l, parent, NULL, "missing %s", slots[at].name);
	return CD_OK;
}

/* Refuses any attribute of n that is not one of allowed (NULL-terminated). */
static cd_status
check_attributes(const loader *l, xmlNodePtr n, const char *const *allowed)
{
	for (xmlAttrPtr a = n->properties; a != NULL; a = a->next) {
		bool ok = false;

		for (size_t i = 0; allowed[i] != NULL && !ok; i++)
			ok = a->ns == NULL && xmlStrEqual(a->name, BAD_CAST allowed[i]);
		if (!ok)
			return bad(l, n, (const char *)a->name, "unknown attribute");
	}
	return CD_OK;
}

/* The trimmed text of a simple element into out: no child elements,
 * at most VALUE_MAX - 1 characters. */
static cd_status
simple_text(const loader *l, xmlNodePtr n, char out[VALUE_MAX])
{
	static const char *const none[] = { NULL };
	char buf[VALUE_MAX * 2] = "";
	size_t used = 0;
	cd_status rc;

	if ((rc = check_attributes(l, n, none)) != CD_OK)
		return rc;
	for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
		size_t len;

		if (c->type == XML_ELEMENT_NODE)
			return bad(l, c, NULL, "no element is allowed inside %s", (const char *)n->name);
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		len = strlen((const char *)c->content);
		if (used + len >= sizeof buf)
			return bad(l, n, NULL, "longer than %d characters", VALUE_MAX - 1);
		memcpy(buf + used, c->content, len + 1);
		used += len;
	}
	if (!copy_trimmed(buf, out, VALUE_MAX))
		return bad(l, n, NULL, "longer than %d characters", VALUE_MAX - 1);
	return CD_OK;
}

/* The trimmed value of attribute name of n into out; *present says
 * whether it is there. */
static cd_status
attr_text(const loader *l, xmlNodePtr n, const char *name, char out[VALUE_MAX],
    bool *present)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
	bool fits;

	*present = v != NULL;
	out[0] = '\0';
	if (v == NULL)
		return CD_OK;
	fits = copy_trimmed((const char *)v, out, VALUE_MAX);
	xmlFree(v);
	if (!fits)
		return bad(l, n, name, "longer than %d characters", VALUE_MAX - 1);
	return CD_OK;
}

/* An amount of the table's currency: digits, maybe decimals, no more of
 * them than the currency has. */
static cd_status
parse_amount(const loader *l, xmlNodePtr n, const char *attr, const char *text,
    const char *currency, int64_t *out)
{
	int exponent = l->host->currency_exponent(currency);

	if (!is_plain_decimal(text, 14, 4))
		return bad(l, n, attr, "'%s' is not an amount (digits, a '.' and up to 4 decimals)",
		    text);
	if (decimals_of(text) > exponent)
		return bad(l, n, attr, "%s has more decimals than %s has (%d)", text, currency,
		    exponent);
	if (l->host->money_parse(text, currency, out) != CD_OK)
		return bad(l, n, attr, "'%s' is not an amount in %s", text, currency);
	return CD_OK;
}

/* The amount in element n. */
static cd_status
read_amount(const loader *l, xmlNodePtr n, const char *currency, int64_t *out)
{
	char text[VALUE_MAX];
	cd_status rc;

	if ((rc = simple_text(l, n, text)) != CD_OK)
		return rc;
	return parse_amount(l, n, NULL, text, currency, out);
}

/* A percentage from 0 to 100 with up to 4 decimals, in element n, into a
 * factor: "7.5" is 0.075. */
static cd_status
read_percent(const loader *l, xmlNodePtr n, percent *out)
{
	char text[VALUE_MAX];
	int64_t hundred = 100;
	cd_decimal d;
	cd_status rc;

	if ((rc = simple_text(l, n, text)) != CD_OK)
		return rc;
	if (!is_plain_decimal(text, 3, 4) || l->host->decimal_parse(text, &d) != CD_OK)
		return bad(l, n, NULL, "'%s' is not a percentage (0 to 100, up to 4 decimals)", text);
	for (int32_t i = 0; i < d.scale; i++)
		hundred *= 10;
	if (d.value > hundred)
		return bad(l, n, NULL, "%s%% is more than 100%%", text);
	/* 5 % is the factor 0.05: the same digits, two more decimals. */
	out->factor.value = d.value;
	out->factor.scale = d.scale + 2;
	snprintf(out->text, sizeof out->text, "%.15s", text); /* at most "100.0000" */
	return CD_OK;
}

/* A string that outlives the document. */
static char *
keep(const loader *l, const char *s, cd_status *rc)
{
	size_t n = strlen(s) + 1;
	char *copy = malloc(n);

	if (copy == NULL) {
		*rc = l->host->error_set(l->err, CD_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	return memcpy(copy, s, n);
}

/* One Rate of Rates. */
static cd_status
read_rate(const loader *l, labor_table *t, xmlNodePtr n, size_t index)
{
	static const char *const attrs[] = { "skill", "dealer", "region", NULL };
	char text[VALUE_MAX], skill[VALUE_MAX], dealer[VALUE_MAX], region[VALUE_MAX];
	bool has_skill, has_dealer, has_region;
	labor_rate *r = &t->rates[t->nrates];
	cd_status rc;

	if ((rc = check_attributes(l, n, attrs)) != CD_OK ||
	    (rc = attr_text(l, n, "skill", skill, &has_skill)) != CD_OK ||
	    (rc = attr_text(l, n, "dealer", dealer, &has_dealer)) != CD_OK ||
	    (rc = attr_text(l, n, "region", region, &has_region)) != CD_OK)
		return rc;
	if (has_skill && !lexical_is_code(skill, 40))
		return bad(l, n, "skill", "'%s' is not a skill level (1 to 40 letters, digits, "
		    "'.', '_' or '-')", skill);
	if (has_dealer && !lexical_is_code(dealer, 64))
		return bad(l, n, "dealer", "'%s' is not a dealer id", dealer);
	if (has_region && !lexical_is_code(region, 40))
		return bad(l, n, "region", "'%s' is not a region code", region);
	if (has_dealer && has_region)
		return bad(l, n, NULL, "a rate is for a dealer or for a region, not both");
	/* The value: simple_text would refuse the attributes. */
	for (xmlNodePtr c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return bad(l, c, NULL, "no element is allowed inside Rate");
	{
		xmlChar *v = xmlNodeGetContent(n);
		bool fits = v != NULL && copy_trimmed((const char *)v, text, sizeof text);

		xmlFree(v);
		if (!fits)
			return bad(l, n, NULL, "not an amount");
	}
	if ((rc = parse_amount(l, n, NULL, text, t->currency, &r->amount)) != CD_OK)
		return rc;
	if (!has_skill)
		snprintf(skill, sizeof skill, "%s", t->default_skill);
	for (size_t i = 0; i < t->nrates; i++) {
		const labor_rate *o = &t->rates[i];

		if (strcmp(o->skill, skill) == 0 &&
		    (o->dealer != NULL) == has_dealer && (!has_dealer || strcmp(o->dealer, dealer) == 0) &&
		    (o->region != NULL) == has_region && (!has_region || strcmp(o->region, region) == 0))
			return bad(l, n, NULL, "a second %s rate for skill level %s%s%s", has_dealer ?
			    "dealer" : has_region ? "region" : "default", skill,
			    has_dealer ? " of dealer " : has_region ? " of region " : "",
			    has_dealer ? dealer : has_region ? region : "");
	}
	r->index = index;
	if ((r->skill = keep(l, skill, &rc)) == NULL ||
	    (has_dealer && (r->dealer = keep(l, dealer, &rc)) == NULL) ||
	    (has_region && (r->region = keep(l, region, &rc)) == NULL)) {
		free(r->skill);
		free(r->dealer);
		r->skill = r->dealer = NULL;
		return rc;
	}
	t->nrates++;
	return CD_OK;
}

/* The default rate for skill, or NULL. */
static const labor_rate *
default_rate(const labor_table *t, const char *skill)
{
	for (size_t i = 0; i < t->nrates; i++)
		if (t->rates[i].dealer == NULL && t->rates[i].region == NULL &&
		    strcmp(t->rates[i].skill, skill) == 0)
			return &t->rates[i];
	return NULL;
}

/* Rates: every Rate, then what the schema cannot check — a default rate
 * for every skill level — and the list of skill levels for messages. */
static cd_status
read_rates(const loader *l, labor_table *t, xmlNodePtr rates)
{
	slot slots[] = { { "Rate", 1, MAX_RATES, NULL, 0 } };
	size_t used = 0, index = 0;
	cd_status rc;

	if ((rc = read_sequence(l, rates, slots, 1)) != CD_OK)
		return rc;
	t->rates = calloc((size_t)slots[0].count, sizeof *t->rates);
	t->skills = calloc(1, 1024);
	if (t->rates == NULL || t->skills == NULL)
		return l->host->error_set(l->err, CD_ERR_INTERNAL, "out of memory");
	for (xmlNodePtr n = slots[0].first; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    (rc = read_rate(l, t, n, ++index)) != CD_OK)
			return rc;
	if (default_rate(t, t->default_skill) == NULL)
		return bad(l, rates, NULL, "no default rate (a Rate without dealer and region) for "
		    "the default skill level %s", t->default_skill);
	index = 0;
	for (xmlNodePtr n = slots[0].first; n != NULL; n = n->next) {
		const labor_rate *r;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		r = &t->rates[index++];
		if (default_rate(t, r->skill) == NULL)
			return bad(l, n, NULL, "skill level %s has no default rate (a Rate without "
			    "dealer and region), so a dealer outside %s would have none", r->skill,
			    r->dealer != NULL ? "this dealer" : "this region");
		if (r->dealer == NULL && r->region == NULL && used < 1000) {
			int w = snprintf(t->skills + used, 1024 - used, "%s%s", used ? ", " : "",
			    r->skill);
			used += w > 0 ? (size_t)w : 0;
		}
	}
	return CD_OK;
}

static int
compare_ops(const void *a, const void *b)
{
	return strcmp(((const flat_op *)a)->code, ((const flat_op *)b)->code);
}

/* Operations: flat-rate times, sorted by code; each code once; an
 * operation billed at a flat rate has its hours. */
static cd_status
read_operations(const loader *l, labor_table *t, xmlNodePtr ops)
{
	static const char *const list_attrs[] = { "basis", NULL };
	static const char *const attrs[] = { "code", "hours", "basis", "description", NULL };
	slot slots[] = { { "Operation", 1, MAX_OPERATIONS, NULL, 0 } };
	char text[VALUE_MAX], path[1024];
	basis list_basis = BASIS_FLAT;
	size_t index = 0;
	bool present;
	cd_status rc;

	if ((rc = check_attributes(l, ops, list_attrs)) != CD_OK ||
	    (rc = attr_text(l, ops, "basis", text, &present)) != CD_OK)
		return rc;
	if (present && strcmp(text, "flat") != 0 && strcmp(text, "actual") != 0)
		return bad(l, ops, "basis", "'%s' is not flat or actual", text);
	if (present && strcmp(text, "actual") == 0)
		list_basis = BASIS_ACTUAL;
	if ((rc = read_sequence(l, ops, slots, 1)) != CD_OK)
		return rc;
	t->ops = calloc((size_t)slots[0].count, sizeof *t->ops);
	if (t->ops == NULL)
		return l->host->error_set(l->err, CD_ERR_INTERNAL, "out of memory");
	for (xmlNodePtr n = slots[0].first; n != NULL; n = n->next) {
		flat_op *op = &t->ops[t->nops];

		if (n->type != XML_ELEMENT_NODE)
			continue;
		op->index = ++index;
		if ((rc = check_attributes(l, n, attrs)) != CD_OK ||
		    (rc = attr_text(l, n, "code", text, &present)) != CD_OK)
			return rc;
		if (!present)
			return bad(l, n, NULL, "missing attribute code");
		if (!lexical_is_code(text, 40))
			return bad(l, n, "code", "'%s' is not an operation code", text);
		if ((op->code = keep(l, text, &rc)) == NULL)
			return rc;
		t->nops++;             /* from here on, fini frees it */
		if ((rc = attr_text(l, n, "basis", text, &present)) != CD_OK)
			return rc;
		if (present && strcmp(text, "flat") != 0 && strcmp(text, "actual") != 0)
			return bad(l, n, "basis", "'%s' is not flat or actual", text);
		op->basis = !present ? list_basis : strcmp(text, "actual") == 0 ? BASIS_ACTUAL :
		    BASIS_FLAT;
		if ((rc = attr_text(l, n, "hours", text, &op->has_hours)) != CD_OK)
			return rc;
		if (op->has_hours && (!is_plain_decimal(text, 3, 2) ||
		    l->host->decimal_parse(text, &op->hours) != CD_OK || op->hours.value <= 0))
			return bad(l, n, "hours", "'%s' is not a number of hours above 0 with up to 2 "
			    "decimals", text);
		if (op->basis == BASIS_FLAT && !op->has_hours)
			return bad(l, n, NULL, "operation %s is billed at a flat rate but has no hours",
			    op->code);
		if ((rc = attr_text(l, n, "description", text, &present)) != CD_OK)
			return rc;
		if (present && text[0] == '\0')
			return bad(l, n, "description", "empty");
		if (present && (op->description = keep(l, text, &rc)) == NULL)
			return rc;
	}
	qsort(t->ops, t->nops, sizeof *t->ops, compare_ops);
	for (size_t i = 1; i < t->nops; i++) {
		if (strcmp(t->ops[i - 1].code, t->ops[i].code) == 0) {
			size_t second = t->ops[i - 1].index > t->ops[i].index ? t->ops[i - 1].index :
			    t->ops[i].index;

			node_path(ops, path, sizeof path);
			return l->host->error_set(l->err, CD_ERR_CONFIG,
			    "labor rates %s: %s/Operation[%zu]/@code: operation %s is listed twice",
			    l->file, path, second, t->ops[i].code);
		}
	}
	return CD_OK;
}

/* FieldService, ShopSupplies and ContractDiscount. */
static cd_status
read_field_service(const loader *l, labor_table *t, xmlNodePtr n)
{
	static const char *const none[] = { NULL };
	slot slots[] = { { "CallOutFee", 1, 1, NULL, 0 }, { "PerKm", 1, 1, NULL, 0 } };
	cd_status rc;

	if ((rc = check_attributes(l, n, none)) != CD_OK ||
	    (rc = read_sequence(l, n, slots, 2)) != CD_OK ||
	    (rc = read_amount(l, slots[0].first, t->currency, &t->call_out)) != CD_OK ||
	    (rc = read_amount(l, slots[1].first, t->currency, &t->per_km)) != CD_OK)
		return rc;
	t->has_field = true;
	return CD_OK;
}

static cd_status
read_supplies(const loader *l, labor_table *t, xmlNodePtr n)
{
	static const char *const none[] = { NULL };
	slot slots[] = { { "Percent", 1, 1, NULL, 0 }, { "Maximum", 0, 1, NULL, 0 },
		{ "IncludeParts", 0, 1, NULL, 0 } };
	char text[VALUE_MAX];
	cd_status rc;

	if ((rc = check_attributes(l, n, none)) != CD_OK ||
	    (rc = read_sequence(l, n, slots, 3)) != CD_OK ||
	    (rc = read_percent(l, slots[0].first, &t->supplies)) != CD_OK)
		return rc;
	if (slots[1].first != NULL &&
	    (rc = read_amount(l, slots[1].first, t->currency, &t->supplies_max)) != CD_OK)
		return rc;
	t->has_supplies_max = slots[1].first != NULL;
	if (slots[2].first != NULL) {
		if ((rc = simple_text(l, slots[2].first, text)) != CD_OK)
			return rc;
		if (text[0] != '\0')
			return bad(l, slots[2].first, NULL, "must be empty");
		t->supplies_parts = true;
	}
	t->has_supplies = true;
	return CD_OK;
}

static cd_status
read_discount(const loader *l, labor_table *t, xmlNodePtr n)
{
	static const char *const none[] = { NULL };
	slot slots[] = { { "Percent", 1, 1, NULL, 0 } };
	cd_status rc;

	if ((rc = check_attributes(l, n, none)) != CD_OK ||
	    (rc = read_sequence(l, n, slots, 1)) != CD_OK ||
	    (rc = read_percent(l, slots[0].first, &t->discount)) != CD_OK)
		return rc;
	t->has_discount = true;
	return CD_OK;
}

/* One Table. */
static cd_status
read_table(const loader *l, labor_state *st, xmlNodePtr n)
{
	static const char *const attrs[] = { "currency", "defaultSkill", NULL };
	enum { RATES, OPERATIONS, DIAGNOSTIC, MINIMUM, FIELD, SUPPLIES, DISCOUNT, TAX };
	slot slots[] = {
		[RATES] = { "Rates", 1, 1, NULL, 0 },
		[OPERATIONS] = { "Operations", 0, 1, NULL, 0 },
		[DIAGNOSTIC] = { "DiagnosticFee", 0, 1, NULL, 0 },
		[MINIMUM] = { "MinimumCharge", 0, 1, NULL, 0 },
		[FIELD] = { "FieldService", 0, 1, NULL, 0 },
		[SUPPLIES] = { "ShopSupplies", 0, 1, NULL, 0 },
		[DISCOUNT] = { "ContractDiscount", 0, 1, NULL, 0 },
		[TAX] = { "TaxCategory", 0, 1, NULL, 0 },
	};
	labor_table *t = &st->tables[st->ntables];
	char text[VALUE_MAX];
	bool present;
	cd_status rc;

	if ((rc = check_attributes(l, n, attrs)) != CD_OK ||
	    (rc = attr_text(l, n, "currency", text, &present)) != CD_OK)
		return rc;
	if (!present)
		return bad(l, n, NULL, "missing attribute currency");
	if (strlen(text) != 3 || l->host->currency_exponent(text) < 0)
		return bad(l, n, "currency", "%s is not an ISO 4217 currency", text);
	for (size_t i = 0; i < st->ntables; i++)
		if (strcmp(st->tables[i].currency, text) == 0)
			return bad(l, n, "currency", "a second table for %s", text);
	snprintf(t->currency, sizeof t->currency, "%.3s", text);
	st->ntables++;             /* from here on, fini frees it */
	if ((rc = attr_text(l, n, "defaultSkill", text, &present)) != CD_OK)
		return rc;
	if (!present)
		return bad(l, n, NULL, "missing attribute defaultSkill");
	if (!lexical_is_code(text, 40))
		return bad(l, n, "defaultSkill", "'%s' is not a skill level", text);
	if ((t->default_skill = keep(l, text, &rc)) == NULL)
		return rc;

	if ((rc = read_sequence(l, n, slots, sizeof slots / sizeof slots[0])) != CD_OK ||
	    (rc = read_rates(l, t, slots[RATES].first)) != CD_OK)
		return rc;
	if (slots[OPERATIONS].first != NULL &&
	    (rc = read_operations(l, t, slots[OPERATIONS].first)) != CD_OK)
		return rc;
	if (slots[DIAGNOSTIC].first != NULL) {
		if ((rc = read_amount(l, slots[DIAGNOSTIC].first, t->currency, &t->diagnostic)) !=
		    CD_OK)
			return rc;
		t->has_diagnostic = true;
	}
	if (slots[MINIMUM].first != NULL) {
		if ((rc = read_amount(l, slots[MINIMUM].first, t->currency, &t->minimum)) != CD_OK)
			return rc;
		t->has_minimum = true;
	}
	if (slots[FIELD].first != NULL &&
	    (rc = read_field_service(l, t, slots[FIELD].first)) != CD_OK)
		return rc;
	if (slots[SUPPLIES].first != NULL &&
	    (rc = read_supplies(l, t, slots[SUPPLIES].first)) != CD_OK)
		return rc;
	if (slots[DISCOUNT].first != NULL &&
	    (rc = read_discount(l, t, slots[DISCOUNT].first)) != CD_OK)
		return rc;
	t->tax_category = CD_TAX_STANDARD;
	if (slots[TAX].first != NULL) {
		if ((rc = simple_text(l, slots[TAX].first, text)) != CD_OK)
			return rc;
		if (!parse_tax_category(text, &t->tax_category))
			return bad(l, slots[TAX].first, NULL, "'%s' is not S, Z, E or AE", text);
	}
	return CD_OK;
}

/* The whole LaborRates document. */
static cd_status
read_rates_doc(const loader *l, labor_state *st, xmlDocPtr doc)
{
	static const char *const none[] = { NULL };
	slot slots[] = { { "Name", 0, 1, NULL, 0 }, { "EffectiveDate", 0, 1, NULL, 0 },
		{ "Table", 1, MAX_TABLES, NULL, 0 } };
	xmlNodePtr root = xmlDocGetRootElement(doc);
	char text[VALUE_MAX];
	cd_status rc;

	if (root == NULL || !is_ours(root) || !xmlStrEqual(root->name, BAD_CAST "LaborRates"))
		return bad(l, NULL, NULL, "not a LaborRates document (its root is %s%s%s, not "
		    "LaborRates in namespace %s)", root != NULL ? (const char *)root->name : "missing",
		    root != NULL && !is_ours(root) ? " outside namespace " : "",
		    root != NULL && !is_ours(root) ? RATES_NS : "", RATES_NS);
	if ((rc = check_attributes(l, root, none)) != CD_OK ||
	    (rc = read_sequence(l, root, slots, 3)) != CD_OK)
		return rc;
	if (slots[0].first != NULL && (rc = simple_text(l, slots[0].first, text)) != CD_OK)
		return rc;
	if (slots[1].first != NULL) {
		if ((rc = simple_text(l, slots[1].first, text)) != CD_OK)
			return rc;
		if (!lexical_is_date(text))
			return bad(l, slots[1].first, NULL, "'%s' is not a date (YYYY-MM-DD)", text);
		snprintf(st->effective, sizeof st->effective, "%.10s", text);
	}
	for (xmlNodePtr n = slots[2].first; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && (rc = read_table(l, st, n)) != CD_OK)
			return rc;
	for (size_t i = 0; i < st->ntables; i++)
		snprintf(st->currencies + strlen(st->currencies),
		    sizeof st->currencies - strlen(st->currencies), "%s%s", i ? ", " : "",
		    st->tables[i].currency);
	return CD_OK;
}

/* ------------------------------------------------------------------------
 * Init and fini
 * ------------------------------------------------------------------------ */

static void
labor_fini(void *state)
{
	labor_state *st = state;

	if (st == NULL)
		return;
	for (size_t i = 0; i < st->ntables; i++) {
		labor_table *t = &st->tables[i];

		for (size_t j = 0; j < t->nrates; j++) {
			free(t->rates[j].skill);
			free(t->rates[j].dealer);
			free(t->rates[j].region);
		}
		for (size_t j = 0; j < t->nops; j++) {
			free(t->ops[j].code);
			free(t->ops[j].description);
		}
		free(t->rates);
		free(t->ops);
		free(t->skills);
		free(t->default_skill);
	}
	free(st);
}

/* Reads and checks the rates file once, so a mistake in it stops the
 * plugin from loading (with this message) instead of failing every bill.
 * On an error the host does not call fini: free what was made. */
static cd_status
labor_init(const cd_host_services *host, const cd_plugin_ctx *ctx, void **out, cd_error *err)
{
	const char *rates = host->config_get(ctx, "rates");
	labor_state *st = NULL;
	xmlfile_problem problem;
	xmlDocPtr doc = NULL;
	char *data = NULL;
	size_t len = 0;
	loader l;
	cd_status rc;

	if (rates == NULL || rates[0] == '\0')
		return host->error_set(err, CD_ERR_CONFIG, "'rates' must name a LaborRates file");
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return host->error_set(err, CD_ERR_INTERNAL, "out of memory");
	st->host = host;
	st->ctx = ctx;
	if (host->config_path(ctx, rates, st->path, sizeof st->path) != CD_OK) {
		rc = host->error_set(err, CD_ERR_CONFIG, "rates = '%.200s': the path is too long",
		    rates);
		goto fail;
	}
	l.host = host;
	l.file = st->path;
	l.err = err;
	if ((data = xmlfile_read(st->path, RATES_MAX_BYTES, &len, &problem)) == NULL) {
		rc = refused(&l, &problem);
		goto fail;
	}
	if ((doc = xmlfile_parse(data, len, st->path, RATES_MAX_DEPTH, &problem)) == NULL) {
		refused(&l, &problem);
		rc = CD_ERR_CONFIG;
		goto fail;
	}
	if ((rc = read_rates_doc(&l, st, doc)) != CD_OK)
		goto fail;
	for (size_t i = 0; i < st->ntables; i++)
		host->log(ctx, CD_LOG_INFO, "labor rates %s: %s table, %zu rates, %zu flat-rate "
		    "operations", st->path, st->tables[i].currency, st->tables[i].nrates,
		    st->tables[i].nops);
	xmlFreeDoc(doc);
	free(data);
	*out = st;
	return CD_OK;

fail:
	if (doc != NULL)
		xmlFreeDoc(doc);
	free(data);
	labor_fini(st);
	return rc;
}

/* ------------------------------------------------------------------------
 * Pricing
 * ------------------------------------------------------------------------ */

/* Writes lines into the host's array as far as it has room, counting all
 * of them, so that the host can offer enough room on a second call. */
typedef struct writer {
	cd_lines *out;
	size_t n;
	int64_t total;             /* of every line, to catch overflow */
	cd_tax_category tax_category;
} writer;

static const cd_decimal one = { 1, 0 };

/* After a copy into field that was cut short (written is what snprintf
 * returned), drops what is left of a UTF-8 character the cut split, so a
 * long description never ends in half a character. */
static void
utf8_cut(char *field, size_t size, int written)
{
	size_t n, start;
	unsigned char lead;

	if (written < 0 || (size_t)written < size)
		return;
	n = strlen(field);
	start = n;
	while (start > 0 && ((unsigned char)field[start - 1] & 0xC0) == 0x80)
		start--;
	if (start == 0 || !((unsigned char)field[start - 1] & 0x80))
		return;                /* ends in ASCII: nothing split */
	lead = (unsigned char)field[start - 1];
	if (n - (start - 1) < (size_t)(lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2))
		field[start - 1] = '\0';
}

static cd_status __attribute__((format(printf, 9, 10)))
add_line(const labor_state *st, writer *w, cd_line_kind kind, const char *code,
    cd_decimal quantity, int64_t unit_price, int64_t amount, cd_error *err,
    const char *fmt, ...)
{
	cd_line *line = w->n < w->out->capacity ? &w->out->items[w->n] : NULL;
	va_list ap;
	int written;

	w->n++;
	if (st->host->money_add(w->total, amount, &w->total) != CD_OK)
		return st->host->error_set(err, CD_ERR_OVERFLOW, "the labor bill is out of range");
	if (line == NULL)
		return CD_OK;
	/* Field by field: the host set struct_size. */
	line->kind = kind;
	written = snprintf(line->code, sizeof line->code, "%s", code);
	utf8_cut(line->code, sizeof line->code, written);
	va_start(ap, fmt);
	written = vsnprintf(line->description, sizeof line->description, fmt, ap);
	va_end(ap);
	utf8_cut(line->description, sizeof line->description, written);
	line->quantity = quantity;
	line->unit_price = unit_price;
	line->amount = amount;
	line->tax_category = w->tax_category;
	line->reference[0] = '\0';
	return CD_OK;
}

static const labor_table *
table_for(const labor_state *st, const char *currency)
{
	for (size_t i = 0; i < st->ntables; i++)
		if (strcmp(st->tables[i].currency, currency) == 0)
			return &st->tables[i];
	return NULL;
}

/* The rate for skill: the dealer's, else the region's, else the default. */
static const labor_rate *
find_rate(const labor_table *t, const char *dealer, const char *region, const char *skill)
{
	const labor_rate *by_region = NULL, *by_default = NULL;

	for (size_t i = 0; i < t->nrates; i++) {
		const labor_rate *r = &t->rates[i];

		if (strcmp(r->skill, skill) != 0)
			continue;
		if (r->dealer != NULL) {
			if (dealer != NULL && strcmp(r->dealer, dealer) == 0)
				return r;
		} else if (r->region != NULL) {
			if (region != NULL && strcmp(r->region, region) == 0)
				by_region = r;
		} else {
			by_default = r;
		}
	}
	return by_region != NULL ? by_region : by_default;
}

static const flat_op *
find_op(const labor_table *t, const char *code)
{
	const flat_op key = { .code = (char *)code };

	if (t->nops == 0)
		return NULL;
	return bsearch(&key, t->ops, t->nops, sizeof *t->ops, compare_ops);
}

/* The request's parameters: tax-category, or CD_ERR_CONFIG. */
static cd_status
request_settings(const labor_state *st, const cd_billing_request *req, writer *w,
    cd_error *err)
{
	for (size_t i = 0; i < req->nparams; i++) {
		const cd_param *p = &req->params[i];

		if (p->key == NULL || strcmp(p->key, "tax-category") != 0)
			return st->host->error_set(err, CD_ERR_CONFIG, "unknown billing parameter "
			    "'%s': billing-labor knows tax-category", p->key ? p->key : "(null)");
		if (p->value == NULL || !parse_tax_category(p->value, &w->tax_category))
			return st->host->error_set(err, CD_ERR_CONFIG,
			    "tax-category = '%s' is not S, Z, E or AE", p->value ? p->value : "");
	}
	return CD_OK;
}

/* Checks what the request says before anything is priced. */
static cd_status
check_request(const labor_state *st, const cd_billing_request *req, cd_error *err)
{
	const cd_host_services *host = st->host;
	const cd_decimal d = req->travel_distance;

	if (!lexical_is_date(req->service_date.iso))
		return host->error_set(err, CD_ERR_INVALID, "the service date '%.10s' is not a date "
		    "(YYYY-MM-DD)", req->service_date.iso);
	if (st->effective[0] != '\0' && strcmp(req->service_date.iso, st->effective) < 0)
		return host->error_set(err, CD_ERR_UNSUPPORTED, "the labor rates take effect on %s, "
		    "after the service date %s", st->effective, req->service_date.iso);
	if (d.scale < 0 || d.scale > 9 || d.value < 0)
		return host->error_set(err, CD_ERR_INVALID, "the travel distance is not a distance");
	if (d.value != 0 && !req->field_service)
		return host->error_set(err, CD_ERR_INVALID, "a travel distance is given, but the "
		    "service was not in the field");
	if (req->parts_amount < 0)
		return host->error_set(err, CD_ERR_INVALID, "the parts amount is negative");
	if (req->nops > 0 && req->ops == NULL)
		return host->error_set(err, CD_ERR_INVALID, "%zu operations, but none given",
		    req->nops);
	if (req->nops == 0 && !req->diagnostic && !req->field_service)
		return host->error_set(err, CD_ERR_INVALID, "nothing to bill: the request has no "
		    "labor operations, no diagnosis and no field service");
	return CD_OK;
}

/* One labor line per operation; their sum in *labor. */
static cd_status
price_operations(const labor_state *st, const labor_table *t, const cd_billing_request *req,
    writer *w, int64_t *labor, cd_error *err)
{
	const cd_host_services *host = st->host;
	char scope[96];
	cd_status rc;

	*labor = 0;
	for (size_t i = 0; i < req->nops; i++) {
		const cd_labor_op *op = &req->ops[i];
		const char *code = op->operation_code, *skill = op->skill_level;
		const labor_rate *rate;
		const flat_op *flat;
		cd_decimal hours;
		int64_t amount;
		bool by_flat;

		if (code == NULL || code[0] == '\0')
			return host->error_set(err, CD_ERR_INVALID, "operation %zu has no code", i + 1);
		if (op->hours.scale < 0 || op->hours.scale > 9 || op->hours.value <= 0)
			return host->error_set(err, CD_ERR_INVALID, "operation %s: the hours worked "
			    "must be above zero", code);
		if (skill == NULL || skill[0] == '\0')
			skill = t->default_skill;
		rate = find_rate(t, req->dealer_id, req->region, skill);
		if (rate == NULL)
			return host->error_set(err, CD_ERR_NOT_FOUND, "operation %s: no %s labor rate "
			    "for skill level '%s' (the %s rates are for %s)", code, t->currency, skill,
			    t->currency, t->skills);
		flat = find_op(t, code);
		by_flat = flat != NULL && flat->basis == BASIS_FLAT;
		hours = by_flat ? flat->hours : op->hours;
		rc = host->money_mul(rate->amount, hours, CD_ROUND_HALF_UP, &amount);
		if (rc == CD_OK)
			rc = host->money_add(*labor, amount, labor);
		if (rc != CD_OK)
			return host->error_set(err, CD_ERR_OVERFLOW, "operation %s: the amount is out "
			    "of range", code);
		if (rate->dealer != NULL)
			snprintf(scope, sizeof scope, "dealer %s rate", rate->dealer);
		else if (rate->region != NULL)
			snprintf(scope, sizeof scope, "region %s rate", rate->region);
		else
			snprintf(scope, sizeof scope, "default rate");
		rc = add_line(st, w, CD_LINE_LABOR, code, hours, rate->amount, amount, err,
		    "%s%s%s, %s, %s", flat != NULL && flat->description != NULL ? flat->description :
		    "", flat != NULL && flat->description != NULL ? " - " : "",
		    by_flat ? "flat rate" : "actual hours", skill, scope);
		if (rc != CD_OK)
			return rc;
	}
	return CD_OK;
}

/* Prices one request: see the top of the file. req and everything it
 * points to are borrowed for the call; the lines go into the host's array.
 * CD_ERR_INVALID, CD_ERR_NOT_FOUND and CD_ERR_UNSUPPORTED reach the
 * dealer, so their messages say exactly what is wrong. */
static cd_status
labor_price(void *state, const cd_billing_request *req, cd_lines *out, cd_error *err)
{
	const labor_state *st = state;
	const cd_host_services *host = st->host;
	const labor_table *t;
	writer w = { .out = out };
	int64_t labor, minimum = 0, charge, amount, base;
	char a[32], b[32], c[32];
	bool capped = false;
	cd_status rc;

	if (req->currency == NULL || (t = table_for(st, req->currency)) == NULL)
		return host->error_set(err, CD_ERR_UNSUPPORTED, "no labor rates in %s: this "
		    "instance bills in %s", req->currency ? req->currency : "(no currency)",
		    st->currencies);
	w.tax_category = t->tax_category;
	if ((rc = check_request(st, req, err)) != CD_OK ||
	    (rc = request_settings(st, req, &w, err)) != CD_OK ||
	    (rc = price_operations(st, t, req, &w, &labor, err)) != CD_OK)
		return rc;

	/* The minimum charge tops the labor up, when there is labor. */
	if (req->nops > 0 && t->has_minimum && labor < t->minimum) {
		if ((rc = host->money_add(t->minimum, -labor, &minimum)) != CD_OK)
			return host->error_set(err, CD_ERR_OVERFLOW, "the minimum charge is out of range");
		host->money_format(t->minimum, t->currency, a, sizeof a);
		host->money_format(labor, t->currency, b, sizeof b);
		if ((rc = add_line(st, &w, CD_LINE_FEE, "MINIMUM-CHARGE", one, minimum, minimum, err,
		    "Minimum labor charge %s, labor %s", a, b)) != CD_OK)
			return rc;
	}
	if ((rc = host->money_add(labor, minimum, &charge)) != CD_OK)
		return host->error_set(err, CD_ERR_OVERFLOW, "the labor charge is out of range");

	if (req->diagnostic && t->has_diagnostic && t->diagnostic > 0 &&
	    (rc = add_line(st, &w, CD_LINE_FEE, "DIAGNOSTIC", one, t->diagnostic, t->diagnostic,
	    err, "Diagnostic fee")) != CD_OK)
		return rc;

	if (req->field_service && t->has_field) {
		if (t->call_out > 0 && (rc = add_line(st, &w, CD_LINE_TRAVEL, "CALL-OUT", one,
		    t->call_out, t->call_out, err, "Field service call-out")) != CD_OK)
			return rc;
		if (host->money_mul(t->per_km, req->travel_distance, CD_ROUND_HALF_UP, &amount) !=
		    CD_OK)
			return host->error_set(err, CD_ERR_OVERFLOW, "the travel is out of range");
		if (amount > 0 && (rc = add_line(st, &w, CD_LINE_TRAVEL, "TRAVEL",
		    req->travel_distance, t->per_km, amount, err, "Field service travel, per km")) !=
		    CD_OK)
			return rc;
	}

	if (t->has_supplies) {
		base = charge;
		if (t->supplies_parts && host->money_add(base, req->parts_amount, &base) != CD_OK)
			return host->error_set(err, CD_ERR_OVERFLOW, "the shop supplies are out of range");
		if (host->money_mul(base, t->supplies.factor, CD_ROUND_HALF_UP, &amount) != CD_OK)
			return host->error_set(err, CD_ERR_OVERFLOW, "the shop supplies are out of range");
		if (t->has_supplies_max && amount > t->supplies_max) {
			amount = t->supplies_max;
			capped = true;
		}
		host->money_format(base, t->currency, a, sizeof a);
		host->money_format(t->supplies_max, t->currency, c, sizeof c);
		if (amount > 0 && (rc = add_line(st, &w, CD_LINE_FEE, "SHOP-SUPPLIES", one, amount,
		    amount, err, "Shop supplies %s%% of labor%s %s%s%s", t->supplies.text,
		    t->supplies_parts ? " and parts" : "", a, capped ? ", capped at " : "",
		    capped ? c : "")) != CD_OK)
			return rc;
	}

	if (req->has_contract && t->has_discount) {
		/* Negative, and rounded away from zero like any half. */
		const cd_decimal minus = { -t->discount.factor.value, t->discount.factor.scale };

		if (host->money_mul(charge, minus, CD_ROUND_HALF_UP, &amount) != CD_OK)
			return host->error_set(err, CD_ERR_OVERFLOW, "the discount is out of range");
		host->money_format(charge, t->currency, a, sizeof a);
		if (amount != 0 && (rc = add_line(st, &w, CD_LINE_DISCOUNT, "CONTRACT-DISCOUNT", one,
		    amount, amount, err, "Service contract discount %s%% of labor %s",
		    t->discount.text, a)) != CD_OK)
			return rc;
	}

	out->count = w.n;
	if (w.n > out->capacity)
		return host->error_set(err, CD_ERR_OVERFLOW, "%zu lines do not fit in %zu", w.n,
		    out->capacity);
	return CD_OK;
}

/* The operations table and the descriptor are static and const: the host
 * only reads them, and they live as long as the plugin is loaded. */
static const cd_billing_ops labor_ops = {
	CD_OPS_HEADER(cd_billing_ops),
	.price_labor = labor_price,
};

static const cd_plugin_descriptor labor_descriptor = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_BILLING,
	.name = "billing-labor",
	.version = "1.0.0",
	.description = "post-warranty labor: rates by dealer, region and skill, flat-rate times, "
	    "diagnostic, minimum, field service, shop supplies, contract discount",
	.init = labor_init,
	.fini = labor_fini,
	.ops.billing = &labor_ops,
};

/* The one exported symbol. */
CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &labor_descriptor;
}
