/* xmlread — fields of a validated inbound document (see xmlread.h). */
#include "exchange/xmlread.h"
#include "xml/xml_out.h"
#include "base/money.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
xr_is(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, CD_XML_NS) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr
xr_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (xr_is(n, name))
			return n;
	return NULL;
}

xmlNodePtr
xr_next(xmlNodePtr n, const char *name)
{
	for (n = n ? n->next : NULL; n; n = n->next)
		if (xr_is(n, name))
			return n;
	return NULL;
}

bool
xr_text_of(xmlNodePtr el, char *out, size_t outlen)
{
	size_t used = 0;
	bool space = false;

	if (outlen == 0)
		return false;
	out[0] = '\0';
	if (el == NULL)
		return false;
	for (xmlNodePtr c = el->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			return false;
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		for (const char *s = (const char *)c->content; s && *s; s++) {
			if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
				space = used > 0;
				continue;
			}
			if (space && used + 1 < outlen)
				out[used++] = ' ';
			space = false;
			if (used + 1 < outlen)
				out[used++] = *s;
		}
	}
	out[used] = '\0';
	return true;
}

bool
xr_text(xmlNodePtr parent, const char *name, char *out, size_t outlen)
{
	return xr_text_of(xr_child(parent, name), out, outlen);
}

bool
xr_date(xmlNodePtr parent, const char *name, date_t *out, problem_list *pl, const char *rel)
{
	char text[64];

	if (!xr_text(parent, name, text, sizeof text))
		return false;
	if (date_parse(text, out) != 0) {
		if (pl)
			problems_add(pl, "invalid-value", rel, "'%s' is not a date (YYYY-MM-DD)", text);
		return false;
	}
	return true;
}

bool
xr_int(xmlNodePtr parent, const char *name, int64_t *out, problem_list *pl, const char *rel)
{
	char text[64], *end;
	long long v;

	if (!xr_text(parent, name, text, sizeof text))
		return false;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno || end == text || *end != '\0') {
		if (pl)
			problems_add(pl, "invalid-value", rel, "'%s' is not a whole number", text);
		return false;
	}
	*out = v;
	return true;
}

bool
xr_bool(xmlNodePtr parent, const char *name, bool *out)
{
	char text[16];

	if (!xr_text(parent, name, text, sizeof text))
		return false;
	*out = strcmp(text, "true") == 0 || strcmp(text, "1") == 0;
	return true;
}

bool
xr_money(xmlNodePtr el, const char *want, int64_t *out, char *currency, problem_list *pl,
    const char *rel)
{
	char text[64], cur[8] = "", attr_path[300];
	xmlChar *a = el ? xmlGetNoNsProp(el, BAD_CAST "currency") : NULL;
	bool ok = false;

	snprintf(attr_path, sizeof attr_path, "%s/@currency", rel);
	if (a != NULL) {
		snprintf(cur, sizeof cur, "%s", (const char *)a);
		xmlFree(a);
	}
	if (currency != NULL)
		snprintf(currency, 4, "%.3s", cur);  /* the schema allows three letters */
	if (!xr_text_of(el, text, sizeof text))
		return false;
	if (currency_exponent(cur) < 0) {
		problems_add(pl, "unknown-currency", attr_path, "'%s' is not an ISO 4217 currency", cur);
		return false;
	}
	if (want != NULL && strcmp(cur, want) != 0) {
		problems_add(pl, "currency-mismatch", attr_path, "the amount is in %s; it must be in %s",
		    cur, want);
		return false;
	}
	switch (money_parse(text, cur, out)) {
	case MONEY_OK:
		ok = true;
		break;
	case MONEY_EPRECISION:
		problems_add(pl, "amount-precision", rel, "%s has more decimals than %s has (%d)", text,
		    cur, currency_exponent(cur));
		break;
	case MONEY_EOVERFLOW:
		problems_add(pl, "amount-out-of-range", rel, "%s %s is too large", text, cur);
		break;
	default:
		problems_add(pl, "invalid-value", rel, "'%s' is not an amount", text);
		break;
	}
	return ok;
}

/* 1-based index of node among its same-named element siblings, or 0 when
 * it has none. */
static int
sibling_index(xmlNodePtr node)
{
	int before = 0, after = 0;

	for (xmlNodePtr s = node->prev; s; s = s->prev)
		if (s->type == XML_ELEMENT_NODE && strcmp((const char *)s->name,
		    (const char *)node->name) == 0)
			before++;
	for (xmlNodePtr s = node->next; s; s = s->next)
		if (s->type == XML_ELEMENT_NODE && strcmp((const char *)s->name,
		    (const char *)node->name) == 0)
			after++;
	return before + after == 0 ? 0 : before + 1;
}

void
xr_path(xmlNodePtr node, char *out, size_t outlen)
{
	xmlNodePtr chain[64];
	int n = 0;
	size_t used = 0;

	for (; node && node->type == XML_ELEMENT_NODE && n < 64; node = node->parent)
		chain[n++] = node;
	out[0] = '\0';
	while (n-- > 0 && used < outlen) {
		int idx = sibling_index(chain[n]);
		int w = idx > 0 ?
		    snprintf(out + used, outlen - used, "/%s[%d]", (const char *)chain[n]->name, idx) :
		    snprintf(out + used, outlen - used, "/%s", (const char *)chain[n]->name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (out[0] == '\0')
		snprintf(out, outlen, "/");
}
