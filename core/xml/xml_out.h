/* xml_out — writing the project's XML documents with libxml2.
 *
 * A thin layer over xmlTextWriter that escapes everything and puts the
 * first element in the project namespace, so a reply is built as
 *
 *   xml_out *x = xml_out_new("Principal");
 *   xml_out_elem(x, "Role", "admin");
 *   char *doc = xml_out_finish(x, &len);
 */
#ifndef CD_XML_XML_OUT_H
#define CD_XML_XML_OUT_H

#include <stddef.h>

#define CD_XML_NS "urn:contractd:1"

typedef struct xml_out xml_out;

/* Starts a document whose root element is root, in CD_XML_NS. */
xml_out *xml_out_new(const char *root);
/* Starts a document whose root element is root in namespace ns, declared
 * as the default namespace (a UBL Invoice, for one). Further namespaces are
 * declared with xml_out_attr(x, "xmlns:cbc", uri) right after, and their
 * elements named "cbc:ID". */
xml_out *xml_out_new_ns(const char *root, const char *ns);
void xml_out_start(xml_out *x, const char *name);
void xml_out_attr(xml_out *x, const char *name, const char *value);
/* <name>text</name>; nothing is written when text is NULL. */
void xml_out_elem(xml_out *x, const char *name, const char *text);
void xml_out_elemf(xml_out *x, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Text inside the element started last: <name attr="...">text</name>. */
void xml_out_text(xml_out *x, const char *text);
void xml_out_end(xml_out *x);
/* Closes every open element and returns the document (malloc'd, the caller
 * frees it); frees x. */
char *xml_out_finish(xml_out *x, size_t *len);

#endif
