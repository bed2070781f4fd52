/* xmlwrite — outbound documents as trees (see xmlwrite.h). */
#include "exchange/xmlwrite.h"
#include "xml/xml_out.h"
#include "base/money.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libxml2 returns NULL only when memory runs out, which is fatal here. */
static void *
must(void *p)
{
	if (p == NULL) {
		fprintf(stderr, "contractd: out of memory building a document\n");
		abort();
	}
	return p;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if none starts
 * there. Overlong forms, surrogates and code points past U+10FFFF are
 * invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/* A copy of text that XML can carry: invalid UTF-8 and control characters
 * other than tab, LF and CR replaced by '?'. */
static char *
safe_text(const char *text)
{
	size_t n = strlen(text), i = 0, o = 0;
	char *out = xmalloc(n + 1);

	while (i < n) {
		const unsigned char *s = (const unsigned char *)text + i;
		size_t len = utf8_len(s);
		if (len == 0 || (len == 1 && s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' &&
		    s[0] != '\r')) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, s, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	return out;
}

xmlNodePtr
xw_new(const char *name, xmlDocPtr *doc)
{
	xmlNodePtr root;
	xmlNsPtr ns;

	*doc = must(xmlNewDoc(BAD_CAST "1.0"));
	root = must(xmlNewDocNode(*doc, NULL, BAD_CAST name, NULL));
	ns = must(xmlNewNs(root, BAD_CAST CD_XML_NS, NULL));
	xmlSetNs(root, ns);
	xmlDocSetRootElement(*doc, root);
	return root;
}

xmlNodePtr
xw_elem(xmlNodePtr parent, const char *name)
{
	return must(xmlNewChild(parent, parent->ns, BAD_CAST name, NULL));
}

xmlNodePtr
xw_text(xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr el;
	char *safe;

	if (text == NULL)
		return NULL;
	safe = safe_text(text);
	el = must(xmlNewTextChild(parent, parent->ns, BAD_CAST name, BAD_CAST safe));
	free(safe);
	return el;
}

xmlNodePtr
xw_textf(xmlNodePtr parent, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *text;
	xmlNodePtr el;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		must(NULL);
	va_end(ap);
	el = xw_text(parent, name, text);
	free(text);
	return el;
}

xmlNodePtr
xw_opt(xmlNodePtr parent, const char *name, const char *text)
{
	if (text == NULL || text[0] == '\0')
		return NULL;
	return xw_text(parent, name, text);
}

xmlNodePtr
xw_int(xmlNodePtr parent, const char *name, int64_t v)
{
	return xw_textf(parent, name, "%lld", (long long)v);
}

xmlNodePtr
xw_date(xmlNodePtr parent, const char *name, date_t d)
{
	char text[DATE_STR_LEN + 1];

	date_format(d, text);
	return xw_text(parent, name, text);
}

xmlNodePtr
xw_money(xmlNodePtr parent, const char *name, int64_t amount, const char *currency)
{
	char text[32];
	xmlNodePtr el;

	if (money_format(amount, currency, text, sizeof text) != MONEY_OK)
		snprintf(text, sizeof text, "%lld", (long long)amount);
	el = xw_text(parent, name, text);
	xw_attr(el, "currency", currency);
	return el;
}

void
xw_attr(xmlNodePtr el, const char *name, const char *value)
{
	char *safe = safe_text(value);

	must(xmlSetProp(el, BAD_CAST name, BAD_CAST safe));
	free(safe);
}

void
xw_copy(xmlNodePtr parent, xmlNodePtr node)
{
	xmlNodePtr copy = must(xmlDocCopyNode(node, parent->doc, 1));

	must(xmlAddChild(parent, copy));
	xmlReconciliateNs(parent->doc, copy);
}

char *
xw_finish(xmlDocPtr doc, size_t *len)
{
	xmlChar *mem = NULL;
	int size = 0;
	char *out;

	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	must(mem);
	out = xmalloc((size_t)size + 1);
	memcpy(out, mem, (size_t)size);
	out[size] = '\0';
	xmlFree(mem);
	xmlFreeDoc(doc);
	if (len)
		*len = (size_t)size;
	return out;
}
