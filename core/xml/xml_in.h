/* xml_in — parsing XML that comes from outside.
 *
 * Inbound documents are hostile until proven otherwise. The parser never
 * reads the network or the file system, never expands entities, refuses any
 * DOCTYPE outright (no DTD means no entity bombs and no external entities),
 * and bounds size and nesting depth. What it refuses it explains in an
 * xml_problem: a stable code, a message, and where. */
#ifndef CD_XML_XML_IN_H
#define CD_XML_XML_IN_H

#include <stddef.h>

#include <libxml/tree.h>

typedef struct xml_limits {
	size_t max_bytes;
	int max_depth;
} xml_limits;

typedef struct xml_problem {
	char code[40];     /* "doctype-forbidden", "too-deep", "not-well-formed", "too-large" */
	char message[256];
	char path[256];    /* element path, or "line L, column C" for syntax errors */
} xml_problem;

/* Sets up libxml2 for the whole process: no external entity loader at all.
 * Call once from main before threads start. */
void xml_init(void);
void xml_cleanup(void);

/* Parses data; returns the document (free with xmlFreeDoc) or NULL with
 * *problem filled in. */
xmlDocPtr xml_parse_untrusted(const char *data, size_t len, const xml_limits *limits,
    xml_problem *problem);

/* The first child element of parent named name in CD_XML_NS, or NULL. */
xmlNodePtr xml_child(xmlNodePtr parent, const char *name);
/* Text of the first child element of parent named name in CD_XML_NS, or
 * NULL (borrowed from the document). */
const char *xml_child_text(xmlNodePtr parent, const char *name);
/* Writes the element's path ("/Dealer/Id") into out. */
void xml_node_path(xmlNodePtr node, char *out, size_t outlen);

#endif
