/* canon — canonical content of a document subtree (see canon.h). */
#include "exchange/canon.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* Appends s escaped (backslash and newline), whitespace collapsed. */
static void
put_collapsed(buf *b, const char *s, int *pending_space, int *any)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			*pending_space = *any;
			continue;
		}
		if (*pending_space)
			buf_puts(b, " ");
		*pending_space = 0;
		*any = 1;
		if (*s == '\\')
			buf_puts(b, "\\\\");
		else
			buf_append(b, s, 1);
	}
}

static int
cmp_attr(const void *a, const void *b)
{
	xmlAttrPtr x = *(xmlAttrPtr const *)a, y = *(xmlAttrPtr const *)b;

	return strcmp((const char *)x->name, (const char *)y->name);
}

static void
put_element(buf *b, xmlNodePtr el, int depth)
{
	xmlAttrPtr *attrs = NULL;
	size_t nattrs = 0;
	int pending = 0, any = 0;
	buf text;

	buf_printf(b, "<{%s}%s\n", el->ns && el->ns->href ? (const char *)el->ns->href : "",
	    (const char *)el->name);
	for (xmlAttrPtr a = el->properties; a; a = a->next)
		nattrs++;
	attrs = xcalloc(nattrs ? nattrs : 1, sizeof *attrs);
	nattrs = 0;
	for (xmlAttrPtr a = el->properties; a; a = a->next)
		attrs[nattrs++] = a;
	qsort(attrs, nattrs, sizeof *attrs, cmp_attr);
	for (size_t i = 0; i < nattrs; i++) {
		xmlChar *v = xmlNodeListGetString(el->doc, attrs[i]->children, 1);
		int p = 0, an = 0;
		buf_printf(b, "@%s=", (const char *)attrs[i]->name);
		put_collapsed(b, v ? (const char *)v : "", &p, &an);
		buf_puts(b, "\n");
		xmlFree(v);
	}
	free(attrs);
	/* Text runs between child elements, each collapsed on its own. */
	buf_init(&text, 0);
	for (xmlNodePtr c = el->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			put_collapsed(&text, (const char *)c->content, &pending, &any);
			continue;
		}
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (text.len > 0) {
			buf_puts(b, "=");
			buf_append(b, text.data, text.len);
			buf_puts(b, "\n");
			buf_reset(&text);
		}
		pending = any = 0;
		if (depth < 256)
			put_element(b, c, depth + 1);
	}
	if (text.len > 0) {
		buf_puts(b, "=");
		buf_append(b, text.data, text.len);
		buf_puts(b, "\n");
	}
	buf_free(&text);
	buf_puts(b, ">\n");
}

char *
canon_text(xmlNodePtr el, size_t *len)
{
	buf b;

	buf_init(&b, 0);
	if (el != NULL && el->type == XML_ELEMENT_NODE)
		put_element(&b, el, 0);
	return buf_detach(&b, len);
}

void
canon_hash(xmlNodePtr el, char out[65])
{
	size_t len;
	char *text = canon_text(el, &len);

	sha256_hex(text, len, out);
	free(text);
}
