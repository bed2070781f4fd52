/* xmlwrite — building the documents the server sends, as libxml2 trees.
 *
 * A reply is built as a tree so that a finished document (a Quote) can be
 * placed inside another (an Acknowledgement's Reply) as it is:
 *
 *	xmlDocPtr doc;
 *	xmlNodePtr root = xw_new("Quote", &doc);
 *	xw_text(root, "QuoteId", id);
 *	xw_money(root, "DealerCost", 7012, "EUR");
 *	char *xml = xw_finish(doc, &len);     // frees doc
 *
 * Every element is in the project namespace. Text is escaped by libxml2
 * and, before that, made safe: bytes that are not valid UTF-8 and control
 * characters XML cannot carry become '?', so text that came from a plugin
 * or the database can never break a document. Out of memory is fatal. */
#ifndef CD_EXCHANGE_XMLWRITE_H
#define CD_EXCHANGE_XMLWRITE_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "base/date.h"

/* A new document whose root element is name; *doc receives it. */
xmlNodePtr xw_new(const char *name, xmlDocPtr *doc);
/* A child element without text, for children of its own. */
xmlNodePtr xw_elem(xmlNodePtr parent, const char *name);
/* <name>text</name>; nothing when text is NULL (returns NULL). */
xmlNodePtr xw_text(xmlNodePtr parent, const char *name, const char *text);
xmlNodePtr xw_textf(xmlNodePtr parent, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like xw_text, but nothing for an empty string either. */
xmlNodePtr xw_opt(xmlNodePtr parent, const char *name, const char *text);
xmlNodePtr xw_int(xmlNodePtr parent, const char *name, int64_t v);
xmlNodePtr xw_date(xmlNodePtr parent, const char *name, date_t d);
/* <name currency="EUR">12.50</name> from minor units. */
xmlNodePtr xw_money(xmlNodePtr parent, const char *name, int64_t amount, const char *currency);
/* Sets an attribute (value made safe as text is). */
void xw_attr(xmlNodePtr el, const char *name, const char *value);
/* Appends a deep copy of node (from any document) to parent. */
void xw_copy(xmlNodePtr parent, xmlNodePtr node);

/* Serialises doc (UTF-8, XML declaration, indented) into a new
 * NUL-terminated string the caller frees, and frees doc. */
char *xw_finish(xmlDocPtr doc, size_t *len);

#endif
