/* schema — validating documents against the project's XSD schemas.
 *
 * The schemas of contracts/schema/ are compiled into the binary at build
 * time (core/xml/embed-schemas.sh), so the server never reads a schema from
 * disk or the network: what a dealer's document is checked against is
 * exactly what was built and tested.
 *
 * Life cycle: xml_init(), then xml_schemas_load() once, from main, before
 * threads start. After that every function here may be called from any
 * number of threads at once: a compiled schema is shared read-only and each
 * validation builds its own validation context.
 *
 * Validation reports every problem libxml2 finds, not just the first, as
 * xml_problem entries (see xml_in.h):
 *   code     a stable code, one of XML_SCHEMA_CODES below
 *   message  libxml2's message, cleaned of namespace URIs and noise:
 *            "This element is not expected. Expected is ( Model )."
 *   path     where: /QuoteRequest/Asset/PurchasePrice, with a 1-based
 *            index where an element has same-named siblings
 *            (/ServiceClaim/Lines/Part[2]/Quantity) and /@name for an
 *            attribute (/Quote/Price/Tax/@currency). */
#ifndef CD_XML_SCHEMA_H
#define CD_XML_SCHEMA_H

#include <stddef.h>

#include <libxml/tree.h>

#include "xml/xml_in.h"

/* The codes xml_validate puts in xml_problem.code:
 *   wrong-namespace       an element is not in urn:contractd:1 (or the root
 *                         is not the document the schema describes)
 *   missing-element       a required child element is absent
 *   unexpected-element    an element that is not allowed here: unknown,
 *                         out of order, or one too many
 *   missing-attribute     a required attribute is absent
 *   unexpected-attribute  an attribute that is not allowed here
 *   unexpected-text       text where only elements are allowed
 *   invalid-enumeration   a value outside its list (a UsageUnit of "miles")
 *   invalid-pattern       a value of the wrong shape (an identifier with a
 *                         space, a currency "eur")
 *   invalid-length        text too long or too short
 *   too-many-digits       more decimals, or digits, than allowed (money
 *                         with 5 decimals)
 *   out-of-range          a number below its minimum or above its maximum
 *   invalid-value         not a value of its type at all ("2024-02-30" as a
 *                         date, "abc" as a number)
 *   duplicate-value       a value that must be unique is repeated (two
 *                         claim lines with the same LineNumber)
 *   unknown-reference     a reference to a key that does not exist (a rate
 *                         naming an undefined band)
 *   schema-violation      anything else the schema refuses
 *   too-many-problems     the last entry, when more problems were found
 *                         than there was room for
 *   internal              validation could not run (out of memory) */

/* A compiled schema for one document type. Opaque; lives until
 * xml_schemas_free(). */
typedef struct xml_schema xml_schema;

/* One file compiled into the binary. */
typedef struct xml_embedded_file {
	const char *name;          /* "QuoteRequest.xsd" */
	const unsigned char *data; /* the bytes, followed by a NUL */
	size_t len;                /* without the NUL */
} xml_embedded_file;

/* The embedded schema files (generated at build time). */
extern const xml_embedded_file xml_embedded_schemas[];
extern const size_t xml_embedded_schemas_count;

/* Compiles every embedded document schema (each file whose name starts
 * with an upper-case letter; its root element has the file's base name).
 * xs:include is served from the embedded copies only: while loading, an
 * external entity loader answers embedded schema names and refuses
 * everything else, and the loader installed before (xml_init's, which
 * refuses everything) is put back afterwards. Returns 0, or -1 with a
 * message in err (schemas compiled so far are freed). Calling it again
 * after success does nothing and returns 0. Not thread-safe: call it once
 * before threads start. */
int xml_schemas_load(char *err, size_t errlen);

/* Frees the compiled schemas; xml_schema pointers become invalid. */
void xml_schemas_free(void);

/* The schema for documents whose root element is root_name (the local
 * name, e.g. "QuoteRequest"), or NULL for an unknown document type or
 * before xml_schemas_load. */
const xml_schema *xml_schema_for_root(const char *root_name);

/* The document type a schema describes: its root element's local name. */
const char *xml_schema_name(const xml_schema *s);

/* The text of an embedded schema file by name ("common.xsd"), with its
 * length in *len (may be NULL), or NULL. Static: never freed. Lets the
 * server publish the exact schemas it validates with. */
const char *xml_schema_source(const char *file_name, size_t *len);

/* Validates doc against s, collecting every problem found into problems
 * (at most max; may be NULL when max is 0) and their number into *count.
 * When more problems are found than fit, the last entry says how many
 * more there were (code "too-many-problems"). Returns 0 when the document
 * is valid, 1 when it is not, -1 when validation could not run (then
 * problems[0], if max > 0, has code "internal"). doc is not changed in any
 * way a caller could see; s is only read. */
int xml_validate(const xml_schema *s, xmlDocPtr doc, xml_problem *problems, size_t max,
    size_t *count);

/* Like xml_validate, for the subtree rooted at elem, which must be a
 * document that s declares at top level: with the Batch schema, any of the
 * inbound documents a Batch may carry. Paths stay absolute within the
 * whole document (/Batch/QuoteRequest[2]/Asset/Model), so each document of
 * a Batch can be validated and acknowledged on its own. */
int xml_validate_element(const xml_schema *s, xmlNodePtr elem, xml_problem *problems,
    size_t max, size_t *count);

#endif
