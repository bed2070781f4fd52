/* xmlfile — a plugin's own XML file (rates, price lists), read whole and
 * parsed hardened, as contractd parses dealers' documents: never from the
 * network, no DTD loaded, no entity substituted, any DOCTYPE refused the
 * moment the parser meets it, size and nesting depth bounded.
 *
 * Plugins link nothing of contractd, so this file is compiled into each
 * plugin that reads XML: plugins/common/xmlfile.c in its _SOURCES,
 * -I$(top_srcdir)/plugins/common in its CPPFLAGS. -fvisibility=hidden
 * keeps it out of the plugin's exported symbols.
 *
 * It writes no messages: what went wrong is an xmlfile_problem, which each
 * plugin words as its users know it ("labor rates FILE: ...", "price list
 * FILE: ..."). Reentrant. */
#ifndef CD_PLUGINS_COMMON_XMLFILE_H
#define CD_PLUGINS_COMMON_XMLFILE_H

#include <stddef.h>

#include <libxml/tree.h>

typedef enum xmlfile_status {
	XMLFILE_OK = 0,
	XMLFILE_CANNOT_OPEN,      /* errnum says why */
	XMLFILE_NOT_REGULAR,      /* a directory, a device, ... */
	XMLFILE_EMPTY,            /* 0 bytes */
	XMLFILE_TOO_LARGE,        /* size is above the limit */
	XMLFILE_CANNOT_READ,      /* errnum says why; 0 when the file shrank */
	XMLFILE_NO_MEMORY,        /* no buffer for the file */
	XMLFILE_NO_PARSER,        /* libxml2 could not make a parser */
	XMLFILE_DOCTYPE,          /* a DOCTYPE, refused */
	XMLFILE_TOO_DEEP,         /* elements nest deeper than the limit */
	XMLFILE_NOT_WELL_FORMED,  /* line, column and message say where and why */
} xmlfile_status;

typedef struct xmlfile_problem {
	xmlfile_status status;
	int errnum;               /* CANNOT_OPEN, CANNOT_READ */
	long long size;           /* EMPTY, TOO_LARGE: the file's size in bytes */
	int line, column;         /* NOT_WELL_FORMED */
	char message[256];        /* NOT_WELL_FORMED: libxml2's, on one line */
} xmlfile_problem;

/* Reads the regular file path whole, when it has 1 to max_bytes bytes
 * (max_bytes at most INT_MAX: xmlfile_parse takes an int). Returns a new
 * NUL-terminated buffer the caller frees, its length in *len; or NULL
 * with *problem filled in. */
char *xmlfile_read(const char *path, size_t max_bytes, size_t *len, xmlfile_problem *problem);

/* Parses len bytes of data hardened: XML_PARSE_NONET, neither
 * XML_PARSE_DTDLOAD nor XML_PARSE_NOENT, no XInclude, no huge-document
 * mode; a DOCTYPE stops the parser as soon as it is met, and so does an
 * element deeper than max_depth. url names the document in libxml2's own
 * errors. Returns the document (xmlFreeDoc), or NULL with *problem filled
 * in. */
xmlDocPtr xmlfile_parse(const char *data, size_t len, const char *url, int max_depth,
    xmlfile_problem *problem);

#endif
