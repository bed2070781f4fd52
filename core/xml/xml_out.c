#include "xml/xml_out.h"
#include "base/xalloc.h"

#include <libxml/xmlwriter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xml_out {
	xmlBufferPtr buffer;
	xmlTextWriterPtr writer;
};

/* libxml2 only fails here when memory runs out, which is fatal anyway. */
static void
check(int rc)
{
	if (rc < 0) {
		fprintf(stderr, "contractd: XML writer failed\n");
		abort();
	}
}

xml_out *
xml_out_new(const char *root)
{
	return xml_out_new_ns(root, CD_XML_NS);
}

xml_out *
xml_out_new_ns(const char *root, const char *ns)
{
	xml_out *x = xcalloc(1, sizeof *x);

	x->buffer = xmlBufferCreate();
	x->writer = x->buffer ? xmlNewTextWriterMemory(x->buffer, 0) : NULL;
	if (x->writer == NULL)
		check(-1);
	check(xmlTextWriterStartDocument(x->writer, "1.0", "UTF-8", NULL));
	check(xmlTextWriterStartElementNS(x->writer, NULL, BAD_CAST root, BAD_CAST ns));
	return x;
}

void
xml_out_start(xml_out *x, const char *name)
{
	check(xmlTextWriterStartElement(x->writer, BAD_CAST name));
}

void
xml_out_attr(xml_out *x, const char *name, const char *value)
{
	check(xmlTextWriterWriteAttribute(x->writer, BAD_CAST name, BAD_CAST value));
}

void
xml_out_elem(xml_out *x, const char *name, const char *text)
{
	if (text != NULL)
		check(xmlTextWriterWriteElement(x->writer, BAD_CAST name, BAD_CAST text));
}

void
xml_out_elemf(xml_out *x, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		check(-1);
	va_end(ap);
	xml_out_elem(x, name, text);
	free(text);
}

void
xml_out_text(xml_out *x, const char *text)
{
	check(xmlTextWriterWriteString(x->writer, BAD_CAST text));
}

void
xml_out_end(xml_out *x)
{
	check(xmlTextWriterEndElement(x->writer));
}

char *
xml_out_finish(xml_out *x, size_t *len)
{
	char *doc;

	check(xmlTextWriterEndDocument(x->writer));
	xmlFreeTextWriter(x->writer);
	doc = xstrndup((const char *)xmlBufferContent(x->buffer), (size_t)xmlBufferLength(x->buffer));
	if (len)
		*len = (size_t)xmlBufferLength(x->buffer);
	xmlBufferFree(x->buffer);
	free(x);
	return doc;
}
