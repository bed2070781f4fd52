/* doc_util — what pricing_doc and lines_doc share: reading a document that
 * must validate against its schema, with its problems collected one per
 * line; elements of the contractd namespace; amounts and tax categories
 * both ways; writing an answer document (PricingResult, PricedLines).
 *
 * Internal to core/plugin: the two document modules use it, nothing else
 * should. Everything here is reentrant. */
#ifndef CD_PLUGIN_DOC_UTIL_H
#define CD_PLUGIN_DOC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "contractd/plugin.h"
#include "xml/schema.h"

/* ------------------------------------------------------------------------
 * Problems
 * ------------------------------------------------------------------------ */

/* Where problems go: lines "PATH: MESSAGE" in the caller's buffer. */
typedef struct doc_problems {
	char *buf;      /* the caller's; may be NULL */
	size_t size;
	size_t used;
	size_t count;   /* every problem added, also those that did not fit */
} doc_problems;

/* Starts p on the size bytes of buf (which may be NULL), emptied. */
void doc_problems_init(doc_problems *p, char *buf, size_t size);

/* Adds a line "PATH: MESSAGE", cut where the buffer ends. */
void doc_problem_add(doc_problems *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------------
 * Reading documents
 * ------------------------------------------------------------------------ */

/* Parses text hardened (xml_parse_untrusted, with these limits). Returns
 * the document (xmlFreeDoc), or NULL with the problem added to p. */
xmlDocPtr doc_parse(const char *text, size_t len, size_t max_bytes, int max_depth,
    doc_problems *p);

/* Validates doc, whose root element is root, against schema. Returns doc,
 * or NULL with every problem added to p ("not a valid ROOT" when the
 * schema names none) and doc freed. */
xmlDocPtr doc_validate(xmlDocPtr doc, const xml_schema *schema, const char *root,
    doc_problems *p);

/* Fills a target from the root element of a document; 0, or -1 with the
 * problems added to p. */
typedef int doc_fill_fn(void *target, xmlNodePtr root, doc_problems *p);

/* Fills target from the root element of doc with fill, then frees doc.
 * A NULL doc (one that did not parse or validate: its problems are in p
 * already) fails. Returns what fill returned, or -1. */
int doc_fill(xmlDocPtr doc, doc_fill_fn *fill, void *target, doc_problems *p);

/* True when n is an element of the contractd namespace called name (any
 * name when name is NULL). */
bool doc_is_element(xmlNodePtr n, const char *name);

/* The first child element of parent (which may be NULL) of the contractd
 * namespace called name, or NULL. */
xmlNodePtr doc_child(xmlNodePtr parent, const char *name);

/* Reads text, an amount in currency, into minor units. Returns 0, or -1
 * with the problem added to p under path: more decimals than the currency
 * has, or not an amount. */
int doc_parse_amount(const char *text, const char *path, const char *currency, int64_t *out,
    doc_problems *p);

/* Frees the n params (their keys and values) a document was read into. */
void doc_params_free(cd_param *params, size_t n);

/* ------------------------------------------------------------------------
 * Tax categories
 * ------------------------------------------------------------------------ */

/* "S", "Z", "E" or "AE"; "?" for a category the SDK does not have. */
const char *doc_tax_code(cd_tax_category category);

/* The category of one of those codes into *out; false (and *out as it
 * was) for any other text, or NULL. */
bool doc_tax_category(const char *code, cd_tax_category *out);

/* ------------------------------------------------------------------------
 * Writing answers
 * ------------------------------------------------------------------------ */

/* A new document with root element name (in the contractd namespace),
 * which begins with Plugin and PluginVersion. The root is put in *root,
 * the namespace in *ns. Free with xmlFreeDoc, or write it with
 * doc_write. */
xmlDocPtr doc_answer_new(const char *name, const char *plugin, const char *version,
    xmlNodePtr *root, xmlNsPtr *ns);

/* Adds the element name with amount written in currency (as a plain number
 * of minor units when it cannot be). Returns the new element. */
xmlNodePtr doc_add_amount(xmlNodePtr parent, xmlNsPtr ns, const char *name, int64_t amount,
    const char *currency);

/* Adds Refusal, with its Status and its Message. */
void doc_add_refusal(xmlNodePtr parent, xmlNsPtr ns, const char *status, const char *message);

/* doc as an indented UTF-8 document, and doc freed: a new NUL-terminated
 * string the caller frees, its length in *len (may be NULL). Out of memory
 * is fatal ("contractd: cannot write WHAT: out of memory"). */
char *doc_write(xmlDocPtr doc, const char *what, size_t *len);

#endif
