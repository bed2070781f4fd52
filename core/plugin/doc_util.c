/* doc_util — what pricing_doc and lines_doc share. See doc_util.h. */
#include "plugin/doc_util.h"
#include "base/money.h"
#include "base/xalloc.h"
#include "xml/xml_in.h"
#include "xml/xml_out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Schema problems reported per document. */
#define DOC_PROBLEMS 16

/* ------------------------------------------------------------------------
 * Problems
 * ------------------------------------------------------------------------ */

void
doc_problems_init(doc_problems *p, char *buf, size_t size)
{
	*p = (doc_problems){ .buf = buf, .size = size };
	if (buf != NULL && size > 0)
		buf[0] = '\0';
}

void
doc_problem_add(doc_problems *p, const char *path, const char *fmt, ...)
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
 * Reading documents
 * ------------------------------------------------------------------------ */

xmlDocPtr
doc_parse(const char *text, size_t len, size_t max_bytes, int max_depth, doc_problems *p)
{
	const xml_limits limits = { .max_bytes = max_bytes, .max_depth = max_depth };
	xml_problem problem;
	xmlDocPtr doc;

	doc = xml_parse_untrusted(text, len, &limits, &problem);
	if (doc == NULL)
		doc_problem_add(p, problem.path, "%s", problem.message);
	return doc;
}

xmlDocPtr
doc_validate(xmlDocPtr doc, const xml_schema *schema, const char *root, doc_problems *p)
{
	xml_problem found[DOC_PROBLEMS];
	size_t count = 0;

	if (xml_validate(schema, doc, found, DOC_PROBLEMS, &count) == 0)
		return doc;
	for (size_t i = 0; i < count; i++)
		doc_problem_add(p, found[i].path, "%s", found[i].message);
	if (count == 0)
		doc_problem_add(p, "/", "not a valid %s", root);
	xmlFreeDoc(doc);
	return NULL;
}

int
doc_fill(xmlDocPtr doc, doc_fill_fn *fill, void *target, doc_problems *p)
{
	int rc;

	if (doc == NULL)
		return -1;
	rc = fill(target, xmlDocGetRootElement(doc), p);
	xmlFreeDoc(doc);
	return rc;
}

bool
doc_is_element(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    strcmp((const char *)n->ns->href, CD_XML_NS) == 0 &&
	    (name == NULL || strcmp((const char *)n->name, name) == 0);
}

xmlNodePtr
doc_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent != NULL ? parent->children : NULL; n != NULL; n = n->next)
		if (doc_is_element(n, name))
			return n;
	return NULL;
}

int
doc_parse_amount(const char *text, const char *path, const char *currency, int64_t *out,
    doc_problems *p)
{
	money_status ms = money_parse(text, currency, out);

	if (ms == MONEY_EPRECISION)
		doc_problem_add(p, path, "%s has more decimals than %s has (%d)", text, currency,
		    currency_exponent(currency));
	else if (ms != MONEY_OK)
		doc_problem_add(p, path, "'%s' is not an amount in %s", text, currency);
	return ms == MONEY_OK ? 0 : -1;
}

void
doc_params_free(cd_param *params, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)params[i].key);
		free((char *)params[i].value);
	}
	free(params);
}

/* ------------------------------------------------------------------------
 * Tax categories
 * ------------------------------------------------------------------------ */

/* By cd_tax_category. */
static const char *const tax_codes[] = { "S", "Z", "E", "AE" };

const char *
doc_tax_code(cd_tax_category category)
{
	return (unsigned)category <= (unsigned)CD_TAX_REVERSE ? tax_codes[category] : "?";
}

bool
doc_tax_category(const char *code, cd_tax_category *out)
{
	for (size_t i = 0; code != NULL && i < sizeof tax_codes / sizeof tax_codes[0]; i++) {
		if (strcmp(code, tax_codes[i]) == 0) {
			*out = (cd_tax_category)i;
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------------
 * Writing answers
 * ------------------------------------------------------------------------ */

xmlDocPtr
doc_answer_new(const char *name, const char *plugin, const char *version, xmlNodePtr *root,
    xmlNsPtr *ns)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");

	*root = xmlNewNode(NULL, BAD_CAST name);
	*ns = xmlNewNs(*root, BAD_CAST CD_XML_NS, NULL);
	xmlSetNs(*root, *ns);
	xmlDocSetRootElement(doc, *root);
	xmlNewTextChild(*root, *ns, BAD_CAST "Plugin", BAD_CAST plugin);
	xmlNewTextChild(*root, *ns, BAD_CAST "PluginVersion", BAD_CAST version);
	return doc;
}

xmlNodePtr
doc_add_amount(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t amount,
    const char *currency)
{
	char text[32];

	if (money_format(amount, currency, text, sizeof text) != MONEY_OK)
		snprintf(text, sizeof text, "%lld", (long long)amount);
	return xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text);
}

void
doc_add_refusal(xmlNodePtr parent, xmlNsPtr ns, const char *status, const char *message)
{
	xmlNodePtr refusal = xmlNewChild(parent, ns, BAD_CAST "Refusal", NULL);

	xmlNewTextChild(refusal, ns, BAD_CAST "Status", BAD_CAST status);
	xmlNewTextChild(refusal, ns, BAD_CAST "Message", BAD_CAST message);
}

char *
doc_write(xmlDocPtr doc, const char *what, size_t *len)
{
	xmlChar *mem = NULL;
	char *text;
	int size = 0;

	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (mem == NULL) {
		fprintf(stderr, "contractd: cannot write %s: out of memory\n", what);
		abort();
	}
	text = xstrndup((const char *)mem, (size_t)size);
	if (len != NULL)
		*len = (size_t)size;
	xmlFree(mem);
	return text;
}
