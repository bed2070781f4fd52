#include "xml/xml_in.h"
#include "xml/xml_out.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Per-parse state the SAX hooks share through ctxt->_private. */
typedef struct parse_state {
	int depth;
	int max_depth;
	int refused;          /* 0, or which refusal stopped the parser */
} parse_state;

enum { REFUSED_DOCTYPE = 1, REFUSED_DEPTH = 2 };

/* No document may pull anything in from outside: every external entity,
 * DTD or schema import that reaches the loader is refused. */
static xmlParserInputPtr
refuse_external(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)id;
	(void)ctxt;
	(void)url;
	return NULL;
}

void
xml_init(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(refuse_external);
}

void
xml_cleanup(void)
{
	xmlCleanupParser();
}

static void
on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	parse_state *st = ctxt->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	st->refused = REFUSED_DOCTYPE;
	xmlStopParser(ctxt);
}

static void
on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
    int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
    const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	parse_state *st = ctxt->_private;

	if (++st->depth > st->max_depth) {
		st->refused = REFUSED_DEPTH;
		xmlStopParser(ctxt);
		return;
	}
	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces,
	    nb_attributes, nb_defaulted, attributes);
}

static void
on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = ctx;
	parse_state *st = ctxt->_private;

	st->depth--;
	xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

static void
set_problem(xml_problem *p, const char *code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
set_problem(xml_problem *p, const char *code, const char *path, const char *fmt, ...)
{
	va_list ap;

	snprintf(p->code, sizeof p->code, "%s", code);
	snprintf(p->path, sizeof p->path, "%s", path ? path : "/");
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof p->message, fmt, ap);
	va_end(ap);
}

xmlDocPtr
xml_parse_untrusted(const char *data, size_t len, const xml_limits *limits, xml_problem *problem)
{
	parse_state st = { .max_depth = limits->max_depth };
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	char where[64];

	memset(problem, 0, sizeof *problem);
	if (len > limits->max_bytes) {
		set_problem(problem, "too-large", "/", "document is %zu bytes; the limit is %zu", len,
		    limits->max_bytes);
		return NULL;
	}
	if (len == 0) {
		set_problem(problem, "empty", "/", "the request has no document");
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		set_problem(problem, "internal", "/", "cannot create an XML parser");
		return NULL;
	}
	ctxt->_private = &st;
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->externalSubset = on_doctype;
	ctxt->sax->startElementNs = on_start;
	ctxt->sax->endElementNs = on_end;
	/* Deliberately absent: XML_PARSE_NOENT (substitute entities),
	 * XML_PARSE_DTDLOAD, XML_PARSE_DTDATTR, XML_PARSE_XINCLUDE, XML_PARSE_HUGE. */
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, "document.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
	if (st.refused == REFUSED_DOCTYPE) {
		set_problem(problem, "doctype-forbidden", "/",
		    "documents may not contain a DOCTYPE (DTDs and entities are not accepted)");
		goto fail;
	}
	if (st.refused == REFUSED_DEPTH) {
		set_problem(problem, "too-deep", "/", "elements are nested deeper than %d levels",
		    limits->max_depth);
		goto fail;
	}
	if (doc == NULL || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		snprintf(where, sizeof where, "line %d, column %d", e ? e->line : 0, e ? e->int2 : 0);
		set_problem(problem, "not-well-formed", where, "%s",
		    e && e->message ? e->message : "the document is not well-formed XML");
		/* libxml2 messages may span lines; an error document wants one */
		for (char *c = problem->message; *c; c++)
			if (*c == '\n')
				*c = ' ';
		for (size_t n = strlen(problem->message); n > 0 && problem->message[n - 1] == ' ';)
			problem->message[--n] = '\0';
		goto fail;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		set_problem(problem, "doctype-forbidden", "/", "documents may not contain a DOCTYPE");
		goto fail;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
fail:
	if (doc)
		xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return NULL;
}

xmlNodePtr
xml_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 &&
		    n->ns != NULL && strcmp((const char *)n->ns->href, CD_XML_NS) == 0)
			return n;
	return NULL;
}

const char *
xml_child_text(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n = xml_child(parent, name);

	if (n == NULL)
		return NULL;
	if (n->children == NULL)
		return "";
	if (n->children->type == XML_TEXT_NODE && n->children->next == NULL)
		return (const char *)n->children->content;
	return NULL;
}

void
xml_node_path(xmlNodePtr node, char *out, size_t outlen)
{
	const char *names[64];
	int n = 0;
	size_t used = 0;

	for (; node && node->type == XML_ELEMENT_NODE && n < 64; node = node->parent)
		names[n++] = (const char *)node->name;
	out[0] = '\0';
	while (n-- > 0 && used < outlen) {
		int w = snprintf(out + used, outlen - used, "/%s", names[n]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (out[0] == '\0')
		snprintf(out, outlen, "/");
}
