/* parts-pricelist — prices spare parts from price lists: one PartsPriceList
 * document (contracts/schema/PartsPriceList.xsd) per currency, with a list
 * price and a dealer net price per part, markups by category, discounts
 * for single dealers, core deposits, environmental fees and supersessions.
 *
 *     [plugin parts]
 *     file = parts-pricelist.so
 *     pricelists = parts/JP-PARTS-2025.xml parts/EU-PARTS-2026.xml
 *     customer-price = net-markup        (optional: overrides every list)
 *
 * The request's currency chooses the list. Each item is priced as the part
 * it is now sold as: a superseded part number is followed, through every
 * supersession, to the part that replaces it, whose number becomes the
 * line's code while the ordered number goes into its reference. Then, per
 * unit, by buyer:
 *
 *     customer   list price                       (customer-price = list)
 *                net + net x markup               (customer-price = net-markup)
 *                    the markup of the most specific category of the list
 *                    that is the part's or a dotted prefix of it
 *     dealer     net - net x discount
 *                    the dealer's discount for the most specific category
 *                    that matches, else its discount without category,
 *                    else none; shown as the lower unit price (EN 16931:
 *                    net price = gross price - price discount), the line's
 *                    description saying "(net 2940 less 12%)"
 *     warranty   net + net x the list's WarrantyHandlingPercent
 *                    no dealer discount; description "(net 995 + 10% handling)"
 *
 *     part line          unit price x quantity
 *     core-deposit line  core deposit x quantity    dealer and customer
 *                                                   buyers; refunded when
 *                                                   the old part comes back.
 *                                                   Warranty buyers: none,
 *                                                   the failed part goes back
 *                                                   with the claim.
 *     fee line           environmental fee x quantity   every buyer
 *
 * Each percentage of a unit price and each line amount is rounded half-up
 * (halves away from zero) to a whole minor unit on its own, with the host's
 * money helpers; nothing here is floating point. Every line of a part has
 * the part's TaxCategory (S unless the list says otherwise).
 *
 * Refusals: a currency without a list, or an order dated before the list's
 * EffectiveDate, CD_ERR_UNSUPPORTED; part numbers the list does not have,
 * CD_ERR_NOT_FOUND naming every one of them; a fraction of a part sold by
 * the piece, or a quantity that is not above zero, CD_ERR_INVALID; an
 * unknown request parameter, or net-markup for a part whose category has
 * no markup, CD_ERR_CONFIG.
 *
 * The parameters (docs/plugins.md, "Parts plugins", has the full story):
 *
 *   pricelists      the PartsPriceList files, separated by spaces, one per
 *                   currency; relative paths resolve against the directory
 *                   of contractd.conf. Loaded and checked at init.
 *                   Configuration only.
 *   customer-price  list or net-markup: how customers are priced, for every
 *                   list (each list's CustomerPrice otherwise, list when it
 *                   has none). A request's parameter replaces the
 *                   configuration's. A request parameter this plugin does
 *                   not know is an error.
 *
 * The lists are read at init with libxml2, hardened as contractd reads
 * every document: no network, no entity substitution, no DTD loading, any
 * DOCTYPE refused, the file size and the nesting depth bounded
 * (plugins/common/xmlfile.c, compiled into this plugin). Then each
 * is checked fully — structure, codes, dates, amounts (never negative,
 * never more decimals than the currency has, a dealer net price not above
 * the list price), duplicate part numbers, supersessions to unknown parts
 * and supersession cycles, duplicate markups and discounts — and a problem
 * stops the plugin from loading with a message naming the file, the line,
 * the element and the part.
 *
 * Everything here comes from <contractd/plugin.h>, the C library,
 * libxml2 and the sources of plugins/common. */
#define _POSIX_C_SOURCE 200809L

#include <contractd/plugin.h>

#include "lexical.h"
#include "xmlfile.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define NS "urn:contractd:1"
#define MAX_LISTS 16
#define PATH_TEXT_MAX 1024
/* A price list of 100 000 parts is about 40 MiB of XML. */
#define PRICE_LIST_MAX_BYTES (64u * 1024 * 1024)
/* PartsPriceList/Parts/Part/PartNumber is four levels. */
#define PRICE_LIST_MAX_DEPTH 16
#define MAX_PARTS 100000
#define MAX_MARKUPS 1000
#define MAX_DISCOUNTS 10000
#define DESCRIPTION_MAX 90        /* characters: PartsPriceList.xsd */
#define CODE_MAX 40               /* part numbers and categories */
#define ID_MAX 64                 /* dealer ids */

typedef enum customer_rule {
	RULE_LIST,
	RULE_NET_MARKUP,
} customer_rule;

typedef enum part_unit {
	UNIT_PIECE,
	UNIT_LITRE,
	UNIT_KILOGRAM,
	UNIT_METRE,
} part_unit;

/* A percentage as written ("12.5") and as the factor money_mul takes
 * ({ 125, 3 }: 0.125). */
typedef struct percent {
	cd_decimal factor;
	const char *text;
} percent;

/* One Part of a list. A superseded part has no category and no prices:
 * it is sold as `current`. */
typedef struct part {
	const char *number;
	const char *description;
	const char *category;         /* NULL: superseded */
	const char *successor_name;   /* SupersededBy as written, or NULL */
	const struct part *successor; /* the part SupersededBy names */
	const struct part *current;   /* the end of the supersession chain */
	part_unit unit;
	int64_t list_price, net_price, core_deposit, environmental_fee;
	cd_tax_category tax_category;
	size_t position;              /* 1-based, among the Parts, for messages */
	long line;
	unsigned walk;                /* supersession resolution: see resolve */
} part;

typedef struct markup {
	const char *category;         /* NULL: every category */
	percent pct;
	size_t position;
} markup;

typedef struct discount {
	const char *dealer;
	const char *category;         /* NULL: every category */
	percent pct;
	size_t position;
	long line;
} discount;

/* One loaded PartsPriceList. Owns every string its parts point to. */
typedef struct price_list {
	char *path;                   /* as resolved, for messages */
	const char *code;
	const char *currency;
	const char *effective_date;   /* "YYYY-MM-DD", or NULL */
	int exponent;                 /* of the currency */
	customer_rule rule;
	percent handling;             /* warranty handling; 0 when absent */
	bool has_handling;
	part *parts;                  /* sorted by number */
	size_t nparts;
	markup *markups;              /* document order */
	size_t nmarkups;
	discount *discounts;          /* sorted by dealer, then category */
	size_t ndiscounts;
	char **strings;
	size_t nstrings, capstrings;
} price_list;

/* What init makes. Operations run on many threads at once with it, so
 * after init it is read-only. */
typedef struct parts_state {
	const cd_host_services *host; /* borrowed: valid until fini */
	const cd_plugin_ctx *ctx;
	price_list *lists[MAX_LISTS];
	size_t nlists;
	bool has_rule;                /* customer-price is configured */
	customer_rule rule;
} parts_state;

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

/* True when category is prefix or lies below it in the dotted hierarchy:
 * "fluids.engine" is within "fluids" and within itself, "fluidsx" is not. */
static bool
category_within(const char *category, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(category, prefix, n) == 0 && (category[n] == '\0' || category[n] == '.');
}

/* Characters (not bytes) of the UTF-8 text s. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* The longest prefix of s, at most max bytes, that does not cut a UTF-8
 * sequence in two. */
static size_t
utf8_prefix(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* Writes a decimal without trailing zeros: { 45, 1 } is "4.5", { 2000, 3 }
 * is "2". */
static void
decimal_text(cd_decimal d, char *out, size_t outlen)
{
	uint64_t v = d.value < 0 ? -(uint64_t)d.value : (uint64_t)d.value;
	uint64_t one = 1;          /* 1 at the scale left */
	int32_t scale = d.scale;

	if (scale < 0 || scale > 18) {
		snprintf(out, outlen, "?");
		return;
	}
	while (scale > 0 && v % 10 == 0) {
		v /= 10;
		scale--;
	}
	for (int32_t i = 0; i < scale; i++)
		one *= 10;
	if (scale == 0) {
		snprintf(out, outlen, "%s%" PRIu64, d.value < 0 ? "-" : "", v);
	} else {
		/* The fraction's digits with their leading zeros: one + 5 at
		 * scale 2 is "105", and "05" follows the point. */
		char frac[24];
		snprintf(frac, sizeof frac, "%" PRIu64, one + v % one);
		snprintf(out, outlen, "%s%" PRIu64 ".%s", d.value < 0 ? "-" : "", v / one, frac + 1);
	}
}

static const char *
rule_name(customer_rule rule)
{
	return rule == RULE_LIST ? "list" : "net-markup";
}

static int
rule_parse(const char *s, customer_rule *out)
{
	if (strcmp(s, "list") == 0)
		*out = RULE_LIST;
	else if (strcmp(s, "net-markup") == 0)
		*out = RULE_NET_MARKUP;
	else
		return -1;
	return 0;
}

/* ------------------------------------------------------------------------
 * Reading a price list: the file, the parser, and a strict walk over the
 * elements. Errors name the file, the line, the element and, inside a
 * Part, its part number.
 * ------------------------------------------------------------------------ */

typedef struct loader {
	const cd_host_services *host;
	price_list *pl;
	cd_error *err;
} loader;

/* Where an element is, for messages: "/PartsPriceList/Parts/Part[3]
 * (06455-KWN-901)". */
typedef struct where {
	char path[160];
	long line;
} where;

static void
where_set(where *w, xmlNodePtr n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
where_set(where *w, xmlNodePtr n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->path, sizeof w->path, fmt, ap);
	va_end(ap);
	w->line = n != NULL ? xmlGetLineNo(n) : 0;
}

static cd_status
fail_at(loader *ld, const where *w, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* CD_ERR_CONFIG with "price list FILE, line N: PATH: what". */
static cd_status
fail_at(loader *ld, const where *w, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (w == NULL)
		return ld->host->error_set(ld->err, CD_ERR_CONFIG, "price list %s: %s", ld->pl->path,
		    what);
	return ld->host->error_set(ld->err, CD_ERR_CONFIG, "price list %s, line %ld: %s: %s",
	    ld->pl->path, w->line, w->path, what);
}

/* Keeps s (a malloc'd string) in the list, which frees it in fini. */
static const char *
keep(loader *ld, char *s)
{
	price_list *pl = ld->pl;

	if (s == NULL)
		return NULL;
	if (pl->nstrings == pl->capstrings) {
		size_t cap = pl->capstrings ? pl->capstrings * 2 : 64;
		char **grown = realloc(pl->strings, cap * sizeof *grown);

		if (grown == NULL) {
			free(s);
			return NULL;
		}
		pl->strings = grown;
		pl->capstrings = cap;
	}
	pl->strings[pl->nstrings++] = s;
	return s;
}

/* Writes the message of what plugins/common/xmlfile refused, as this
 * plugin words it, and returns its status: CD_ERR_CONFIG, or
 * CD_ERR_INTERNAL when memory or a parser could not be had. */
static cd_status
refused(loader *ld, const xmlfile_problem *p)
{
	switch (p->status) {
	case XMLFILE_CANNOT_OPEN:
		return fail_at(ld, NULL, "cannot open: %s", strerror(p->errnum));
	case XMLFILE_NOT_REGULAR:
		return fail_at(ld, NULL, "not a regular file");
	case XMLFILE_TOO_LARGE:
		return fail_at(ld, NULL, "larger than the %u MiB a price list may have",
		    PRICE_LIST_MAX_BYTES >> 20);
	case XMLFILE_EMPTY:
		return fail_at(ld, NULL, "the file is empty");
	case XMLFILE_CANNOT_READ:
		return fail_at(ld, NULL, "cannot read: %s",
		    p->errnum != 0 ? strerror(p->errnum) : "file shrank");
	case XMLFILE_NO_MEMORY:
		return ld->host->error_set(ld->err, CD_ERR_INTERNAL, "out of memory");
	case XMLFILE_NO_PARSER:
		return ld->host->error_set(ld->err, CD_ERR_INTERNAL, "cannot create an XML parser");
	case XMLFILE_DOCTYPE:
		return fail_at(ld, NULL, "a price list may not contain a DOCTYPE (DTDs and entities "
		    "are not accepted)");
	case XMLFILE_TOO_DEEP:
		return fail_at(ld, NULL, "elements are nested deeper than %d levels",
		    PRICE_LIST_MAX_DEPTH);
	case XMLFILE_OK:
	case XMLFILE_NOT_WELL_FORMED:
		break;
	}
	return ld->host->error_set(ld->err, CD_ERR_CONFIG,
	    "price list %s, line %d: not well-formed XML: %s", ld->pl->path, p->line, p->message);
}

static bool
is_ns_element(xmlNodePtr n)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, NS) == 0;
}

/* Checks that the element children of parent are all elements of the
 * contractd namespace with nothing but whitespace and comments between
 * them, and no attributes on parent. */
static cd_status
check_complex(loader *ld, xmlNodePtr parent, const where *w)
{
	if (parent->properties != NULL)
		return fail_at(ld, w, "unexpected attribute '%s'",
		    (const char *)parent->properties->name);
	for (xmlNodePtr n = parent->children; n != NULL; n = n->next) {
		where at;

		switch (n->type) {
		case XML_ELEMENT_NODE:
			if (!is_ns_element(n)) {
				where_set(&at, n, "%s", w->path);
				return fail_at(ld, &at, "element '%s' is not of namespace %s",
				    (const char *)n->name, NS);
			}
			break;
		case XML_TEXT_NODE:
			if (!lexical_is_blank((const char *)n->content)) {
				where_set(&at, n, "%s", w->path);
				return fail_at(ld, &at, "text where only elements belong");
			}
			break;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		default:
			return fail_at(ld, w, "unexpected content (node type %d)", (int)n->type);
		}
	}
	return CD_OK;
}

/* The first element child of n at or after n, or NULL. */
static xmlNodePtr
element_from(xmlNodePtr n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

/* A walk over the element children of one element, in order. */
typedef struct cursor {
	loader *ld;
	const where *w;            /* the parent */
	xmlNodePtr next;
} cursor;

static cd_status
cursor_open(cursor *c, loader *ld, xmlNodePtr parent, const where *w)
{
	c->ld = ld;
	c->w = w;
	c->next = element_from(parent->children);
	return check_complex(ld, parent, w);
}

/* The next element if it is called name (and the cursor moves past it),
 * or NULL. */
static xmlNodePtr
cursor_take(cursor *c, const char *name)
{
	xmlNodePtr n = c->next;

	if (n == NULL || strcmp((const char *)n->name, name) != 0)
		return NULL;
	c->next = element_from(n->next);
	return n;
}

static cd_status
cursor_require(cursor *c, const char *name, xmlNodePtr *out)
{
	*out = cursor_take(c, name);
	if (*out != NULL)
		return CD_OK;
	if (c->next != NULL) {
		where at;

		where_set(&at, c->next, "%s", c->w->path);
		return fail_at(c->ld, &at, "%s expected, found %s", name,
		    (const char *)c->next->name);
	}
	return fail_at(c->ld, c->w, "%s is missing", name);
}

/* Nothing may follow what was taken. */
static cd_status
cursor_close(cursor *c)
{
	where at;

	if (c->next == NULL)
		return CD_OK;
	where_set(&at, c->next, "%s", c->w->path);
	return fail_at(c->ld, &at, "unexpected element %s", (const char *)c->next->name);
}

/* The text of a simple element, whitespace collapsed as xs:token does
 * (runs become one space, none at either end); a new string, or NULL with
 * the error set. */
static char *
simple_text(loader *ld, xmlNodePtr n, const where *parent, cd_status *rc)
{
	xmlChar *raw;
	char *out, *o;
	bool space = false;
	where w;

	where_set(&w, n, "%s/%s", parent->path, (const char *)n->name);
	if (n->properties != NULL) {
		*rc = fail_at(ld, &w, "unexpected attribute '%s'", (const char *)n->properties->name);
		return NULL;
	}
	for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE &&
		    c->type != XML_COMMENT_NODE) {
			*rc = fail_at(ld, &w, "only text belongs here");
			return NULL;
		}
	}
	raw = xmlNodeGetContent(n);
	out = malloc(raw != NULL ? strlen((const char *)raw) + 1 : 1);
	if (out == NULL) {
		xmlFree(raw);
		*rc = ld->host->error_set(ld->err, CD_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	o = out;
	for (const xmlChar *s = raw; s != NULL && *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			space = o != out;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = false;
		*o++ = (char)*s;
	}
	*o = '\0';
	xmlFree(raw);
	*rc = CD_OK;
	return out;
}

/* The text of the simple element n, kept by the list; checked to be a code
 * of at most max characters of [A-Za-z0-9._-]. */
static cd_status
take_code(loader *ld, xmlNodePtr n, const where *parent, size_t max, const char **out)
{
	cd_status rc;
	char *text = simple_text(ld, n, parent, &rc);
	where w;

	if (text == NULL)
		return rc;
	if (!lexical_is_code(text, max)) {
		where_set(&w, n, "%s/%s", parent->path, (const char *)n->name);
		rc = fail_at(ld, &w, "'%s' is not 1 to %zu letters, digits, '.', '_' or '-'", text,
		    max);
		free(text);
		return rc;
	}
	if ((*out = keep(ld, text)) == NULL)
		return ld->host->error_set(ld->err, CD_ERR_INTERNAL, "out of memory");
	return CD_OK;
}

/* An amount of the list's currency: digits, optionally a '.' and more
 * digits; never negative, never more decimals than the currency has. */
static cd_status
take_amount(loader *ld, xmlNodePtr n, const where *parent, int64_t *out)
{
	const char *name = (const char *)n->name;
	cd_status rc;
	char *text = simple_text(ld, n, parent, &rc);
	const char *p, *dot;
	size_t ilen, flen;
	where w;

	if (text == NULL)
		return rc;
	where_set(&w, n, "%s/%s", parent->path, name);
	p = text;
	if (*p == '-') {
		rc = fail_at(ld, &w, "%s %s is negative", name, text);
		goto out;
	}
	ilen = strspn(p, "0123456789");
	dot = p + ilen;
	flen = *dot == '.' ? strspn(dot + 1, "0123456789") : 0;
	if (ilen == 0 || ilen > 14 || (*dot == '.' && flen == 0) ||
	    dot[*dot == '.' ? flen + 1 : 0] != '\0') {
		rc = fail_at(ld, &w, "%s '%s' is not an amount (digits, optionally a '.' and "
		    "decimals)", name, text);
		goto out;
	}
	if (flen > (size_t)ld->pl->exponent) {
		rc = fail_at(ld, &w, "%s %s has more decimals than %s has (%d)", name, text,
		    ld->pl->currency, ld->pl->exponent);
		goto out;
	}
	if (ld->host->money_parse(text, ld->pl->currency, out) != CD_OK) {
		rc = fail_at(ld, &w, "%s '%s' is not an amount in %s", name, text, ld->pl->currency);
		goto out;
	}
	rc = CD_OK;
out:
	free(text);
	return rc;
}

/* A percentage from 0 to max with at most 4 decimals; kept as written and
 * as a factor (35 is 0.35). */
static cd_status
take_percent(loader *ld, xmlNodePtr n, const where *parent, int64_t max, percent *out)
{
	cd_status rc;
	char *text = simple_text(ld, n, parent, &rc);
	size_t ilen, flen = 0;
	int64_t bound = max;
	cd_decimal d;
	where w;

	if (text == NULL)
		return rc;
	where_set(&w, n, "%s/%s", parent->path, (const char *)n->name);
	ilen = strspn(text, "0123456789");
	if (text[ilen] == '.')
		flen = strspn(text + ilen + 1, "0123456789");
	if (ilen == 0 || ilen > 4 || (text[ilen] == '.' && (flen == 0 || flen > 4)) ||
	    text[ilen + (text[ilen] == '.' ? flen + 1 : 0)] != '\0' ||
	    ld->host->decimal_parse(text, &d) != CD_OK)
		goto bad;
	for (int32_t i = 0; i < d.scale; i++)
		bound *= 10;
	if (d.value < 0 || d.value > bound)
		goto bad;
	out->factor.value = d.value;
	out->factor.scale = d.scale + 2;
	if ((out->text = keep(ld, text)) == NULL)
		return ld->host->error_set(ld->err, CD_ERR_INTERNAL, "out of memory");
	return CD_OK;
bad:
	rc = fail_at(ld, &w, "'%s' is not a percentage from 0 to %" PRId64
	    " with at most 4 decimals", text, max);
	free(text);
	return rc;
}

/* ------------------------------------------------------------------------
 * The elements of a price list
 * ------------------------------------------------------------------------ */

static cd_status
load_part(loader *ld, xmlNodePtr node, size_t position, part *p)
{
	static const char *const taxes[] = { "S", "Z", "E", "AE" };
	static const char *const units[] = { "piece", "litre", "kilogram", "metre" };
	cd_status rc;
	cursor c;
	where w;
	xmlNodePtr n;
	char *text;

	memset(p, 0, sizeof *p);
	p->position = position;
	p->line = xmlGetLineNo(node);
	p->tax_category = CD_TAX_STANDARD;
	p->unit = UNIT_PIECE;
	where_set(&w, node, "/PartsPriceList/Parts/Part[%zu]", position);
	if ((rc = cursor_open(&c, ld, node, &w)) != CD_OK)
		return rc;
	if ((rc = cursor_require(&c, "PartNumber", &n)) != CD_OK ||
	    (rc = take_code(ld, n, &w, CODE_MAX, &p->number)) != CD_OK)
		return rc;
	/* From here on, messages name the part too. */
	where_set(&w, node, "/PartsPriceList/Parts/Part[%zu] (%s)", position, p->number);

	if ((rc = cursor_require(&c, "Description", &n)) != CD_OK)
		return rc;
	if ((text = simple_text(ld, n, &w, &rc)) == NULL)
		return rc;
	if (text[0] == '\0' || utf8_chars(text) > DESCRIPTION_MAX) {
		free(text);
		return fail_at(ld, &w, "Description must have 1 to %d characters", DESCRIPTION_MAX);
	}
	if ((p->description = keep(ld, text)) == NULL)
		return ld->host->error_set(ld->err, CD_ERR_INTERNAL, "out of memory");

	if ((n = cursor_take(&c, "SupersededBy")) != NULL) {
		if ((rc = take_code(ld, n, &w, CODE_MAX, &p->successor_name)) != CD_OK)
			return rc;
		if (strcmp(p->successor_name, p->number) == 0)
			return fail_at(ld, &w, "the part supersedes itself");
		return cursor_close(&c);
	}

	if (c.next == NULL || strcmp((const char *)c.next->name, "Category") != 0)
		return cursor_require(&c, "SupersededBy or Category", &n);
	n = cursor_take(&c, "Category");
	if ((rc = take_code(ld, n, &w, CODE_MAX, &p->category)) != CD_OK)
		return rc;
	if ((n = cursor_take(&c, "Unit")) != NULL) {
		size_t i;

		if ((text = simple_text(ld, n, &w, &rc)) == NULL)
			return rc;
		for (i = 0; i < sizeof units / sizeof units[0]; i++)
			if (strcmp(text, units[i]) == 0)
				break;
		if (i == sizeof units / sizeof units[0]) {
			rc = fail_at(ld, &w, "Unit '%s' is not piece, litre, kilogram or metre", text);
			free(text);
			return rc;
		}
		free(text);
		p->unit = (part_unit)i;
	}
	if ((rc = cursor_require(&c, "ListPrice", &n)) != CD_OK ||
	    (rc = take_amount(ld, n, &w, &p->list_price)) != CD_OK)
		return rc;
	if ((rc = cursor_require(&c, "DealerNetPrice", &n)) != CD_OK ||
	    (rc = take_amount(ld, n, &w, &p->net_price)) != CD_OK)
		return rc;
	if ((n = cursor_take(&c, "CoreDeposit")) != NULL &&
	    (rc = take_amount(ld, n, &w, &p->core_deposit)) != CD_OK)
		return rc;
	if ((n = cursor_take(&c, "EnvironmentalFee")) != NULL &&
	    (rc = take_amount(ld, n, &w, &p->environmental_fee)) != CD_OK)
		return rc;
	if ((n = cursor_take(&c, "TaxCategory")) != NULL) {
		size_t i;

		if ((text = simple_text(ld, n, &w, &rc)) == NULL)
			return rc;
		for (i = 0; i < sizeof taxes / sizeof taxes[0]; i++)
			if (strcmp(text, taxes[i]) == 0)
				break;
		if (i == sizeof taxes / sizeof taxes[0]) {
			rc = fail_at(ld, &w, "TaxCategory '%s' is not S, Z, E or AE", text);
			free(text);
			return rc;
		}
		free(text);
		p->tax_category = (cd_tax_category)i;
	}
	if (p->net_price > p->list_price) {
		char net[32], list[32];

		ld->host->money_format(p->net_price, ld->pl->currency, net, sizeof net);
		ld->host->money_format(p->list_price, ld->pl->currency, list, sizeof list);
		return fail_at(ld, &w, "DealerNetPrice %s is above ListPrice %s", net, list);
	}
	return cursor_close(&c);
}

static int
compare_parts(const void *pa, const void *pb)
{
	const part *a = pa, *b = pb;

	return strcmp(a->number, b->number);
}

static int
compare_part_key(const void *key, const void *elem)
{
	return strcmp(key, ((const part *)elem)->number);
}

static const part *
part_find(const price_list *pl, const char *number)
{
	return bsearch(number, pl->parts, pl->nparts, sizeof *pl->parts, compare_part_key);
}

/* Follows p's supersessions to the part that ends them, refusing cycles.
 * Each walk marks the parts it passes with its own number, so meeting a
 * part of the same walk again is a cycle, and a part already resolved
 * ends the walk early: every part is passed at most twice. */
static cd_status
resolve(loader *ld, part *p, unsigned walk)
{
	part *q = p;
	const part *end;

	while (q->current == NULL && q->successor != NULL && q->walk != walk) {
		q->walk = walk;
		q = (part *)q->successor;
	}
	if (q->current != NULL) {
		end = q->current;
	} else if (q->successor == NULL) {
		end = q;
	} else {
		/* q was met twice in this walk: write the cycle out from q. */
		char cycle[320];
		size_t used = 0;
		const part *r = q;
		where w;

		do {
			int k = snprintf(cycle + used, sizeof cycle - used, "%s -> ", r->number);

			if (k < 0 || (size_t)k >= sizeof cycle - used)
				break;
			used += (size_t)k;
			r = r->successor;
		} while (r != q);
		snprintf(cycle + used, sizeof cycle - used, "%s", q->number);
		where_set(&w, NULL, "/PartsPriceList/Parts/Part[%zu] (%s)", q->position, q->number);
		w.line = q->line;
		return fail_at(ld, &w, "supersessions go round in a cycle: %s", cycle);
	}
	for (q = p; q != NULL && q->current == NULL; q = (part *)q->successor)
		q->current = end;
	return CD_OK;
}

static cd_status
load_parts(loader *ld, xmlNodePtr list)
{
	price_list *pl = ld->pl;
	size_t n = 0, count = 0;
	cd_status rc;
	cursor c;
	where w;
	xmlNodePtr node;

	where_set(&w, list, "/PartsPriceList/Parts");
	if ((rc = cursor_open(&c, ld, list, &w)) != CD_OK)
		return rc;
	for (xmlNodePtr e = c.next; e != NULL; e = element_from(e->next))
		count++;
	if (count > MAX_PARTS)
		return fail_at(ld, &w, "more than %d parts", MAX_PARTS);
	pl->parts = calloc(count ? count : 1, sizeof *pl->parts);
	if (pl->parts == NULL)
		return ld->host->error_set(ld->err, CD_ERR_INTERNAL, "out of memory");
	while ((node = cursor_take(&c, "Part")) != NULL) {
		if ((rc = load_part(ld, node, n + 1, &pl->parts[n])) != CD_OK)
			return rc;
		pl->nparts = ++n;
	}
	if ((rc = cursor_close(&c)) != CD_OK)
		return rc;
	if (pl->nparts == 0)
		return fail_at(ld, &w, "the list has no Part");

	qsort(pl->parts, pl->nparts, sizeof *pl->parts, compare_parts);
	for (size_t i = 1; i < pl->nparts; i++) {
		const part *a = &pl->parts[i - 1], *b = &pl->parts[i];
		const part *second = a->position > b->position ? a : b;
		const part *first = second == a ? b : a;

		if (strcmp(a->number, b->number) != 0)
			continue;
		where_set(&w, NULL, "/PartsPriceList/Parts/Part[%zu] (%s)", second->position,
		    second->number);
		w.line = second->line;
		return fail_at(ld, &w, "part number %s is already Part[%zu] (line %ld)",
		    second->number, first->position, first->line);
	}
	for (size_t i = 0; i < pl->nparts; i++) {
		part *p = &pl->parts[i];

		if (p->successor_name == NULL)
			continue;
		p->successor = part_find(pl, p->successor_name);
		if (p->successor == NULL) {
			where_set(&w, NULL, "/PartsPriceList/Parts/Part[%zu] (%s)/SupersededBy",
			    p->position, p->number);
			w.line = p->line;
			return fail_at(ld, &w, "superseded by %s, which is not a part of this list",
			    p->successor_name);
		}
	}
	for (size_t i = 0; i < pl->nparts; i++)
		if ((rc = resolve(ld, &pl->parts[i], (unsigned)i + 1)) != CD_OK)
			return rc;
	return CD_OK;
}

static cd_status
load_markups(loader *ld, xmlNodePtr list)
{
	price_list *pl = ld->pl;
	cd_status rc;
	cursor c, m;
	where w, mw;
	xmlNodePtr node, n;

	where_set(&w, list, "/PartsPriceList/Markups");
	if ((rc = cursor_open(&c, ld, list, &w)) != CD_OK)
		return rc;
	pl->markups = calloc(MAX_MARKUPS, sizeof *pl->markups);
	if (pl->markups == NULL)
		return ld->host->error_set(ld->err, CD_ERR_INTERNAL, "out of memory");
	while ((node = cursor_take(&c, "Markup")) != NULL) {
		markup *mk;

		if (pl->nmarkups == MAX_MARKUPS)
			return fail_at(ld, &w, "more than %d markups", MAX_MARKUPS);
		mk = &pl->markups[pl->nmarkups];
		mk->position = pl->nmarkups + 1;
		where_set(&mw, node, "/PartsPriceList/Markups/Markup[%zu]", mk->position);
		if ((rc = cursor_open(&m, ld, node, &mw)) != CD_OK)
			return rc;
		if ((n = cursor_take(&m, "Category")) != NULL &&
		    (rc = take_code(ld, n, &mw, CODE_MAX, &mk->category)) != CD_OK)
			return rc;
		if ((rc = cursor_require(&m, "Percent", &n)) != CD_OK ||
		    (rc = take_percent(ld, n, &mw, 1000, &mk->pct)) != CD_OK ||
		    (rc = cursor_close(&m)) != CD_OK)
			return rc;
		for (size_t i = 0; i < pl->nmarkups; i++) {
			const markup *o = &pl->markups[i];

			if ((o->category == NULL && mk->category == NULL) ||
			    (o->category != NULL && mk->category != NULL &&
			    strcmp(o->category, mk->category) == 0))
				return fail_at(ld, &mw, "a second markup for %s (the first is "
				    "Markup[%zu])", mk->category ? mk->category : "every category",
				    o->position);
		}
		pl->nmarkups++;
	}
	if (pl->nmarkups == 0)
		return fail_at(ld, &w, "Markups has no Markup");
	return cursor_close(&c);
}

/* Discounts sort by dealer, then category, the one without category
 * first. */
static int
compare_discounts(const void *pa, const void *pb)
{
	const discount *a = pa, *b = pb;
	int c = strcmp(a->dealer, b->dealer);

	if (c != 0)
		return c;
	if (a->category == NULL || b->category == NULL)
		return (a->category != NULL) - (b->category != NULL);
	return strcmp(a->category, b->category);
}

static cd_status
load_discounts(loader *ld, xmlNodePtr list)
{
	price_list *pl = ld->pl;
	size_t count = 0;
	cd_status rc;
	cursor c, d;
	where w, dw;
	xmlNodePtr node, n;

	where_set(&w, list, "/PartsPriceList/DealerDiscounts");
	if ((rc = cursor_open(&c, ld, list, &w)) != CD_OK)
		return rc;
	for (xmlNodePtr e = c.next; e != NULL; e = element_from(e->next))
		count++;
	if (count > MAX_DISCOUNTS)
		return fail_at(ld, &w, "more than %d discounts", MAX_DISCOUNTS);
	pl->discounts = calloc(count ? count : 1, sizeof *pl->discounts);
	if (pl->discounts == NULL)
		return ld->host->error_set(ld->err, CD_ERR_INTERNAL, "out of memory");
	while ((node = cursor_take(&c, "Discount")) != NULL) {
		discount *dc = &pl->discounts[pl->ndiscounts];

		dc->position = pl->ndiscounts + 1;
		dc->line = xmlGetLineNo(node);
		where_set(&dw, node, "/PartsPriceList/DealerDiscounts/Discount[%zu]", dc->position);
		if ((rc = cursor_open(&d, ld, node, &dw)) != CD_OK)
			return rc;
		if ((rc = cursor_require(&d, "DealerId", &n)) != CD_OK ||
		    (rc = take_code(ld, n, &dw, ID_MAX, &dc->dealer)) != CD_OK)
			return rc;
		if ((n = cursor_take(&d, "Category")) != NULL &&
		    (rc = take_code(ld, n, &dw, CODE_MAX, &dc->category)) != CD_OK)
			return rc;
		if ((rc = cursor_require(&d, "Percent", &n)) != CD_OK ||
		    (rc = take_percent(ld, n, &dw, 100, &dc->pct)) != CD_OK ||
		    (rc = cursor_close(&d)) != CD_OK)
			return rc;
		pl->ndiscounts++;
	}
	if ((rc = cursor_close(&c)) != CD_OK)
		return rc;
	if (pl->ndiscounts == 0)
		return fail_at(ld, &w, "DealerDiscounts has no Discount");
	qsort(pl->discounts, pl->ndiscounts, sizeof *pl->discounts, compare_discounts);
	for (size_t i = 1; i < pl->ndiscounts; i++) {
		const discount *a = &pl->discounts[i - 1], *b = &pl->discounts[i];
		const discount *second = a->position > b->position ? a : b;
		const discount *first = second == a ? b : a;

		if (compare_discounts(a, b) != 0)
			continue;
		where_set(&dw, NULL, "/PartsPriceList/DealerDiscounts/Discount[%zu]",
		    second->position);
		dw.line = second->line;
		return fail_at(ld, &dw, "a second discount of dealer %s for %s (the first is "
		    "Discount[%zu])", second->dealer,
		    second->category ? second->category : "every category", first->position);
	}
	return CD_OK;
}

/* The markup for category: the most specific of the list, or NULL. */
static const markup *
markup_for(const price_list *pl, const char *category)
{
	const markup *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < pl->nmarkups; i++) {
		const markup *m = &pl->markups[i];
		size_t len;

		if (m->category == NULL) {
			if (best == NULL)
				best = m;
			continue;
		}
		if (!category_within(category, m->category))
			continue;
		len = strlen(m->category);
		if (best == NULL || best->category == NULL || len > best_len) {
			best = m;
			best_len = len;
		}
	}
	return best;
}

/* The dealer's discount for category: the most specific that matches, or
 * NULL. */
static const discount *
discount_for(const price_list *pl, const char *dealer, const char *category)
{
	const discount *best = NULL;
	size_t lo = 0, hi = pl->ndiscounts, best_len = 0;

	if (dealer == NULL)
		return NULL;
	/* The first discount of the dealer: they are sorted by dealer. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(pl->discounts[mid].dealer, dealer) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < pl->ndiscounts && strcmp(pl->discounts[i].dealer, dealer) == 0;
	    i++) {
		const discount *d = &pl->discounts[i];
		size_t len;

		if (d->category == NULL) {
			if (best == NULL)
				best = d;
			continue;
		}
		if (!category_within(category, d->category))
			continue;
		len = strlen(d->category);
		if (best == NULL || best->category == NULL || len > best_len) {
			best = d;
			best_len = len;
		}
	}
	return best;
}

/* The first priced part of pl without a markup, or NULL. */
static const part *
part_without_markup(const price_list *pl)
{
	for (size_t i = 0; i < pl->nparts; i++)
		if (pl->parts[i].category != NULL && markup_for(pl, pl->parts[i].category) == NULL)
			return &pl->parts[i];
	return NULL;
}

/* Reads and checks the whole document. */
static cd_status
load_document(loader *ld, xmlDocPtr doc)
{
	price_list *pl = ld->pl;
	xmlNodePtr root = xmlDocGetRootElement(doc), n;
	cd_status rc;
	char *text;
	cursor c;
	where w;

	if (root == NULL)
		return fail_at(ld, NULL, "the document has no root element");
	if (!is_ns_element(root) || strcmp((const char *)root->name, "PartsPriceList") != 0)
		return fail_at(ld, NULL, "the root element is {%s}%s, not {%s}PartsPriceList",
		    root->ns != NULL ? (const char *)root->ns->href : "",
		    (const char *)root->name, NS);
	where_set(&w, root, "/PartsPriceList");
	if ((rc = cursor_open(&c, ld, root, &w)) != CD_OK)
		return rc;
	if ((rc = cursor_require(&c, "Code", &n)) != CD_OK ||
	    (rc = take_code(ld, n, &w, CODE_MAX, &pl->code)) != CD_OK)
		return rc;
	if ((n = cursor_take(&c, "Name")) != NULL) {
		if ((text = simple_text(ld, n, &w, &rc)) == NULL)
			return rc;
		if (text[0] == '\0' || utf8_chars(text) > 200) {
			free(text);
			where_set(&w, n, "/PartsPriceList/Name");
			return fail_at(ld, &w, "Name must have 1 to 200 characters");
		}
		free(text);                /* for people only */
	}
	if ((rc = cursor_require(&c, "Currency", &n)) != CD_OK ||
	    (rc = take_code(ld, n, &w, 3, &pl->currency)) != CD_OK)
		return rc;
	pl->exponent = ld->host->currency_exponent(pl->currency);
	if (pl->exponent < 0) {
		where_set(&w, n, "/PartsPriceList/Currency");
		return fail_at(ld, &w, "'%s' is not an ISO 4217 currency", pl->currency);
	}
	if ((n = cursor_take(&c, "EffectiveDate")) != NULL) {
		if ((text = simple_text(ld, n, &w, &rc)) == NULL)
			return rc;
		if (!lexical_is_date(text)) {
			where_set(&w, n, "/PartsPriceList/EffectiveDate");
			rc = fail_at(ld, &w, "'%s' is not a date (YYYY-MM-DD)", text);
			free(text);
			return rc;
		}
		if ((pl->effective_date = keep(ld, text)) == NULL)
			return ld->host->error_set(ld->err, CD_ERR_INTERNAL, "out of memory");
	}
	pl->rule = RULE_LIST;
	if ((n = cursor_take(&c, "CustomerPrice")) != NULL) {
		if ((text = simple_text(ld, n, &w, &rc)) == NULL)
			return rc;
		if (rule_parse(text, &pl->rule) != 0) {
			where_set(&w, n, "/PartsPriceList/CustomerPrice");
			rc = fail_at(ld, &w, "'%s' is not list or net-markup", text);
			free(text);
			return rc;
		}
		free(text);
	}
	if ((n = cursor_take(&c, "WarrantyHandlingPercent")) != NULL) {
		if ((rc = take_percent(ld, n, &w, 100, &pl->handling)) != CD_OK)
			return rc;
		pl->has_handling = pl->handling.factor.value != 0;
	}
	if ((rc = cursor_require(&c, "Parts", &n)) != CD_OK || (rc = load_parts(ld, n)) != CD_OK)
		return rc;
	if ((n = cursor_take(&c, "Markups")) != NULL && (rc = load_markups(ld, n)) != CD_OK)
		return rc;
	if ((n = cursor_take(&c, "DealerDiscounts")) != NULL &&
	    (rc = load_discounts(ld, n)) != CD_OK)
		return rc;
	return cursor_close(&c);
}

static void
price_list_free(price_list *pl)
{
	if (pl == NULL)
		return;
	for (size_t i = 0; i < pl->nstrings; i++)
		free(pl->strings[i]);
	free(pl->strings);
	free(pl->parts);
	free(pl->markups);
	free(pl->discounts);
	free(pl->path);
	free(pl);
}

/* Loads the price list file path (resolved against the configuration's
 * directory). On CD_OK *out is a new list for price_list_free. */
static cd_status
price_list_load(const parts_state *st, const char *path, price_list **out, cd_error *err)
{
	char resolved[PATH_TEXT_MAX];
	loader ld = { .host = st->host, .err = err };
	xmlfile_problem problem;
	char *data = NULL;
	size_t len = 0;
	xmlDocPtr doc = NULL;
	cd_status rc;

	*out = NULL;
	if (st->host->config_path(st->ctx, path, resolved, sizeof resolved) != CD_OK)
		return st->host->error_set(err, CD_ERR_CONFIG, "price list %.200s: path too long",
		    path);
	ld.pl = calloc(1, sizeof *ld.pl);
	if (ld.pl == NULL || (ld.pl->path = strdup(resolved)) == NULL) {
		rc = st->host->error_set(err, CD_ERR_INTERNAL, "out of memory");
		goto out;
	}
	if ((data = xmlfile_read(resolved, PRICE_LIST_MAX_BYTES, &len, &problem)) == NULL ||
	    (doc = xmlfile_parse(data, len, ld.pl->path, PRICE_LIST_MAX_DEPTH, &problem)) == NULL) {
		rc = refused(&ld, &problem);
		goto out;
	}
	if ((rc = load_document(&ld, doc)) != CD_OK)
		goto out;
	*out = ld.pl;
	ld.pl = NULL;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	free(data);
	price_list_free(ld.pl);
	return rc;
}

/* ------------------------------------------------------------------------
 * Init and fini
 * ------------------------------------------------------------------------ */

static void
pl_fini(void *state)
{
	parts_state *st = state;

	for (size_t i = 0; i < st->nlists; i++)
		price_list_free(st->lists[i]);
	free(st);
}

/* Checks that every list priced at net-markup has a markup for each of its
 * parts, so that no customer is refused for it later. */
static cd_status
check_markups(const parts_state *st, cd_error *err)
{
	for (size_t i = 0; i < st->nlists; i++) {
		const price_list *pl = st->lists[i];
		customer_rule rule = st->has_rule ? st->rule : pl->rule;
		const part *p;

		if (rule != RULE_NET_MARKUP || (p = part_without_markup(pl)) == NULL)
			continue;
		return st->host->error_set(err, CD_ERR_CONFIG,
		    "price list %s, line %ld: /PartsPriceList/Parts/Part[%zu] (%s): customers are "
		    "priced at net-markup, but no Markup applies to its category %s", pl->path,
		    p->line, p->position, p->number, p->category);
	}
	return CD_OK;
}

/* Loads every file of "pricelists", a list separated by spaces. */
static cd_status
load_lists(parts_state *st, const char *list, cd_error *err)
{
	const cd_host_services *host = st->host;
	char path[PATH_TEXT_MAX];
	const char *p = list;
	cd_status rc;

	while (*p != '\0') {
		price_list *pl;
		size_t len;

		while (*p == ' ' || *p == '\t')
			p++;
		len = strcspn(p, " \t");
		if (len == 0)
			break;
		if (len >= sizeof path)
			return host->error_set(err, CD_ERR_CONFIG, "pricelists: a path is too long");
		if (st->nlists == MAX_LISTS)
			return host->error_set(err, CD_ERR_CONFIG, "pricelists: more than %d files",
			    MAX_LISTS);
		memcpy(path, p, len);
		path[len] = '\0';
		p += len;
		if ((rc = price_list_load(st, path, &pl, err)) != CD_OK)
			return rc;
		/* Stored at once, so that fini frees it whatever happens next. */
		st->lists[st->nlists++] = pl;
		for (size_t i = 0; i + 1 < st->nlists; i++)
			if (strcmp(st->lists[i]->currency, pl->currency) == 0)
				return host->error_set(err, CD_ERR_CONFIG,
				    "pricelists: %s and %s are both price lists in %s: one list per "
				    "currency", st->lists[i]->path, pl->path, pl->currency);
		host->log(st->ctx, CD_LOG_INFO, "price list %s (%s) loaded from %s: %zu parts, "
		    "%zu markups, %zu dealer discounts, customers at %s", pl->code, pl->currency,
		    pl->path, pl->nparts, pl->nmarkups, pl->ndiscounts,
		    rule_name(st->has_rule ? st->rule : pl->rule));
	}
	if (st->nlists == 0)
		return host->error_set(err, CD_ERR_CONFIG,
		    "'pricelists' must name at least one price list file");
	return CD_OK;
}

/* Loads and checks the lists once, so a mistake stops the plugin from
 * loading (with this message) instead of failing every order. On an error
 * the host does not call fini: free what was made. */
static cd_status
pl_init(const cd_host_services *host, const cd_plugin_ctx *ctx, void **out, cd_error *err)
{
	const char *lists = host->config_get(ctx, "pricelists");
	const char *rule = host->config_get(ctx, "customer-price");
	parts_state *st;
	cd_status rc;

	if (lists == NULL)
		return host->error_set(err, CD_ERR_CONFIG,
		    "'pricelists' must name at least one price list file");
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return host->error_set(err, CD_ERR_INTERNAL, "out of memory");
	st->host = host;
	st->ctx = ctx;
	if (rule != NULL) {
		if (rule_parse(rule, &st->rule) != 0) {
			rc = host->error_set(err, CD_ERR_CONFIG,
			    "configuration: customer-price = '%s' is not list or net-markup", rule);
			goto fail;
		}
		st->has_rule = true;
	}
	/* The parser is set up once per process; a second call does nothing. */
	xmlInitParser();
	if ((rc = load_lists(st, lists, err)) != CD_OK || (rc = check_markups(st, err)) != CD_OK)
		goto fail;
	*out = st;
	return CD_OK;

fail:
	pl_fini(st);
	return rc;
}

/* ------------------------------------------------------------------------
 * Pricing
 * ------------------------------------------------------------------------ */

/* The currencies of the loaded lists, "JPY and EUR", for messages. */
static void
list_currencies(const parts_state *st, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < st->nlists && used < outlen; i++) {
		const char *sep = i == 0 ? "" : i + 1 == st->nlists ? " and " : ", ";
		int n = snprintf(out + used, outlen - used, "%s%s", sep, st->lists[i]->currency);

		used += n > 0 ? (size_t)n : 0;
	}
}

/* Writes the part numbers of the request that pl does not have into a
 * message; returns how many there are (each counted once). */
static size_t
unknown_parts(const price_list *pl, const cd_parts_request *req, char *out, size_t outlen)
{
	size_t count = 0, used = 0, listed = 0;

	out[0] = '\0';
	for (size_t i = 0; i < req->nitems; i++) {
		const char *number = req->items[i].part_number;
		bool seen = false;

		if (part_find(pl, number) != NULL)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(req->items[j].part_number, number) == 0;
		if (seen)
			continue;
		count++;
		/* Leave room for ", and 999 more". */
		if (used + strlen(number) + 24 < outlen) {
			int n = snprintf(out + used, outlen - used, "%s%s", listed ? ", " : "", number);

			used += n > 0 ? (size_t)n : 0;
			listed++;
		}
	}
	if (count > listed)
		snprintf(out + used, outlen - used, " and %zu more", count - listed);
	else if (count > 1) {
		/* "A, B, C" becomes "A, B and C". */
		char *last = strrchr(out, ',');

		if (last != NULL) {
			char tail[64];

			snprintf(tail, sizeof tail, "%s", last + 2);
			snprintf(last, outlen - (size_t)(last - out), " and %s", tail);
		}
	}
	return count;
}

/* The customer price rule of a request: the list's, replaced by the
 * configuration's, replaced by the request's. */
static cd_status
request_rule(const parts_state *st, const price_list *pl, const cd_parts_request *req,
    customer_rule *rule, cd_error *err)
{
	*rule = st->has_rule ? st->rule : pl->rule;
	for (size_t i = 0; i < req->nparams; i++) {
		const cd_param *p = &req->params[i];

		if (p->key == NULL || strcmp(p->key, "customer-price") != 0)
			return st->host->error_set(err, CD_ERR_CONFIG,
			    "unknown parameter '%s' (parts-pricelist knows customer-price)",
			    p->key != NULL ? p->key : "(null)");
		if (p->value == NULL || rule_parse(p->value, rule) != 0)
			return st->host->error_set(err, CD_ERR_CONFIG,
			    "parameter customer-price = '%s' is not list or net-markup",
			    p->value != NULL ? p->value : "(null)");
	}
	return CD_OK;
}

/* Checks the items before any is priced: each has a part number and a
 * quantity above zero, the list has every part, and a part sold by the
 * piece comes in whole pieces. */
static cd_status
check_items(const parts_state *st, const price_list *pl, const cd_parts_request *req,
    cd_error *err)
{
	const cd_host_services *host = st->host;
	char numbers[400], qty[48];

	if (req->nitems == 0 || req->items == NULL)
		return host->error_set(err, CD_ERR_INVALID, "the order has no items");
	for (size_t i = 0; i < req->nitems; i++) {
		const cd_part_item *it = &req->items[i];

		if (it->part_number == NULL || it->part_number[0] == '\0')
			return host->error_set(err, CD_ERR_INVALID, "item %zu has no part number",
			    i + 1);
		if (it->quantity.scale < 0 || it->quantity.scale > 9 || it->quantity.value <= 0) {
			decimal_text(it->quantity, qty, sizeof qty);
			return host->error_set(err, CD_ERR_INVALID,
			    "item %zu (part %s): the quantity must be above zero, not %s", i + 1,
			    it->part_number, qty);
		}
	}
	switch (unknown_parts(pl, req, numbers, sizeof numbers)) {
	case 0:
		break;
	case 1:
		return host->error_set(err, CD_ERR_NOT_FOUND,
		    "part number %s is not in price list %s", numbers, pl->code);
	default:
		return host->error_set(err, CD_ERR_NOT_FOUND,
		    "part numbers %s are not in price list %s", numbers, pl->code);
	}
	for (size_t i = 0; i < req->nitems; i++) {
		const cd_part_item *it = &req->items[i];
		const part *p = part_find(pl, it->part_number)->current;
		int64_t one = 1;         /* 1 at the quantity's scale */

		for (int32_t k = 0; k < it->quantity.scale; k++)
			one *= 10;
		if (p->unit == UNIT_PIECE && it->quantity.value % one != 0) {
			decimal_text(it->quantity, qty, sizeof qty);
			return host->error_set(err, CD_ERR_INVALID,
			    "part %s is sold by the piece: a quantity of %s is not a whole number",
			    p->number, qty);
		}
	}
	return CD_OK;
}

/* The lines an item takes for this buyer. */
static size_t
item_lines(const part *p, cd_parts_buyer buyer)
{
	return 1 + (p->core_deposit > 0 && buyer != CD_BUYER_WARRANTY) +
	    (p->environmental_fee > 0);
}

/* What pricing one request needs at hand. */
typedef struct pricing {
	const parts_state *st;
	const price_list *pl;
	const cd_parts_request *req;
	customer_rule rule;
	cd_lines *out;
	int64_t total;
	cd_error *err;
} pricing;

/* Appends a line: amount = unit x quantity, rounded half-up. */
static cd_status
add_line(pricing *pr, cd_line_kind kind, const part *p, const cd_part_item *it,
    const char *description, const char *note, int64_t unit)
{
	const cd_host_services *host = pr->st->host;
	cd_line *l = &pr->out->items[pr->out->count];
	size_t room = sizeof l->description - 1 - strlen(note);
	int64_t amount;

	if (host->money_mul(unit, it->quantity, CD_ROUND_HALF_UP, &amount) != CD_OK ||
	    host->money_add(pr->total, amount, &pr->total) != CD_OK)
		return host->error_set(pr->err, CD_ERR_OVERFLOW,
		    "the amount of part %s is out of range", p->number);
	l->kind = kind;
	snprintf(l->code, sizeof l->code, "%s", p->number);
	snprintf(l->description, sizeof l->description, "%.*s%s",
	    (int)utf8_prefix(description, room), description, note);
	l->quantity = it->quantity;
	l->unit_price = unit;
	l->amount = amount;
	l->tax_category = p->tax_category;
	/* The number ordered, when the part sold replaces it. */
	l->reference[0] = '\0';
	if (strcmp(it->part_number, p->number) != 0)
		snprintf(l->reference, sizeof l->reference, "%s", it->part_number);
	pr->out->count++;
	return CD_OK;
}

/* net + net x pct (or - for a discount), the percentage rounded half-up on
 * its own. */
static cd_status
adjust(pricing *pr, const part *p, const percent *pct, int sign, int64_t *unit)
{
	const cd_host_services *host = pr->st->host;
	int64_t delta;

	if (host->money_mul(p->net_price, pct->factor, CD_ROUND_HALF_UP, &delta) != CD_OK ||
	    host->money_add(p->net_price, sign * delta, unit) != CD_OK)
		return host->error_set(pr->err, CD_ERR_OVERFLOW,
		    "the price of part %s is out of range", p->number);
	return CD_OK;
}

/* Prices one item: its part line, then its core deposit and its fee. */
static cd_status
price_item(pricing *pr, const cd_part_item *it)
{
	const cd_host_services *host = pr->st->host;
	const price_list *pl = pr->pl;
	const part *p = part_find(pl, it->part_number)->current;
	char note[96] = "", net[32];
	int64_t unit = p->list_price;
	cd_status rc;

	host->money_format(p->net_price, pl->currency, net, sizeof net);
	switch (pr->req->buyer) {
	case CD_BUYER_DEALER: {
		const discount *d = discount_for(pl, pr->req->dealer_id, p->category);

		unit = p->net_price;
		if (d != NULL && d->pct.factor.value != 0) {
			if ((rc = adjust(pr, p, &d->pct, -1, &unit)) != CD_OK)
				return rc;
			snprintf(note, sizeof note, " (net %s less %s%%)", net, d->pct.text);
		}
		break;
	}
	case CD_BUYER_WARRANTY:
		unit = p->net_price;
		if (pl->has_handling) {
			if ((rc = adjust(pr, p, &pl->handling, 1, &unit)) != CD_OK)
				return rc;
			snprintf(note, sizeof note, " (net %s + %s%% handling)", net,
			    pl->handling.text);
		}
		break;
	case CD_BUYER_CUSTOMER:
		if (pr->rule == RULE_NET_MARKUP) {
			const markup *m = markup_for(pl, p->category);

			/* Not a note: customers do not see the dealer's price. */
			if (m == NULL)
				return host->error_set(pr->err, CD_ERR_CONFIG,
				    "price list %s has no markup for category %s (part %s), so "
				    "customers cannot be priced at net-markup", pl->code, p->category,
				    p->number);
			if ((rc = adjust(pr, p, &m->pct, 1, &unit)) != CD_OK)
				return rc;
		}
		break;
	default:
		return host->error_set(pr->err, CD_ERR_INVALID, "unknown buyer %d",
		    (int)pr->req->buyer);
	}

	if ((rc = add_line(pr, CD_LINE_PART, p, it, p->description, note, unit)) != CD_OK)
		return rc;
	if (p->core_deposit > 0 && pr->req->buyer != CD_BUYER_WARRANTY &&
	    (rc = add_line(pr, CD_LINE_CORE_DEPOSIT, p, it,
	    "Core deposit, refunded when the old part is returned", "", p->core_deposit)) != CD_OK)
		return rc;
	if (p->environmental_fee > 0 &&
	    (rc = add_line(pr, CD_LINE_FEE, p, it, "Environmental fee", "",
	    p->environmental_fee)) != CD_OK)
		return rc;
	return CD_OK;
}

/* Prices one request: see the top of the file. req and everything it
 * points to are borrowed for the call; the lines go into the host's *out.
 * CD_ERR_INVALID, CD_ERR_NOT_FOUND and CD_ERR_UNSUPPORTED reach the dealer,
 * so their messages say exactly what is wrong. */
static cd_status
pl_price_parts(void *state, const cd_parts_request *req, cd_lines *out, cd_error *err)
{
	const parts_state *st = state;
	const cd_host_services *host = st->host;
	const price_list *pl = NULL;
	pricing pr = { .st = st, .req = req, .out = out, .err = err };
	char currencies[96];
	size_t need = 0;
	cd_status rc;

	out->count = 0;
	for (size_t i = 0; req->currency != NULL && i < st->nlists && pl == NULL; i++)
		if (strcmp(st->lists[i]->currency, req->currency) == 0)
			pl = st->lists[i];
	if (pl == NULL) {
		list_currencies(st, currencies, sizeof currencies);
		return host->error_set(err, CD_ERR_UNSUPPORTED,
		    "no parts price list in %s: parts are priced in %s",
		    req->currency != NULL ? req->currency : "(no currency)", currencies);
	}
	/* An order with no date is not held to the list's date. ISO dates
	 * compare as text. */
	if (pl->effective_date != NULL && req->order_date.iso[0] != '\0' &&
	    strncmp(req->order_date.iso, pl->effective_date, 10) < 0)
		return host->error_set(err, CD_ERR_UNSUPPORTED,
		    "price list %s applies from %s, after the order date %.10s", pl->code,
		    pl->effective_date, req->order_date.iso);
	pr.pl = pl;
	if ((rc = request_rule(st, pl, req, &pr.rule, err)) != CD_OK)
		return rc;
	if ((rc = check_items(st, pl, req, err)) != CD_OK)
		return rc;

	for (size_t i = 0; i < req->nitems; i++)
		need += item_lines(part_find(pl, req->items[i].part_number)->current, req->buyer);
	if (need > out->capacity) {
		out->count = need;
		return host->error_set(err, CD_ERR_OVERFLOW, "%zu lines needed, room for %zu", need,
		    out->capacity);
	}
	for (size_t i = 0; i < req->nitems; i++) {
		if ((rc = price_item(&pr, &req->items[i])) != CD_OK) {
			out->count = 0;
			return rc;
		}
	}
	return CD_OK;
}

/* The operations table and the descriptor are static and const: the host
 * only reads them, and they live as long as the plugin is loaded. */
static const cd_parts_ops pl_ops = {
	CD_OPS_HEADER(cd_parts_ops),
	.price_parts = pl_price_parts,
};

static const cd_plugin_descriptor pl_descriptor = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PARTS,
	.name = "parts-pricelist",
	.version = "1.0.0",
	.description = "prices spare parts from price lists: list or marked-up net prices, dealer "
	    "discounts, warranty handling, core deposits, environmental fees, supersessions",
	.init = pl_init,
	.fini = pl_fini,
	.ops.parts = &pl_ops,
};

/* The one exported symbol. */
CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &pl_descriptor;
}
