/* xmlfile — a plugin's own XML file, read and parsed hardened. See
 * xmlfile.h. */
#define _POSIX_C_SOURCE 200809L

#include "xmlfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/SAX2.h>
#include <libxml/parser.h>

/* ------------------------------------------------------------------------
 * Reading the file
 * ------------------------------------------------------------------------ */

char *
xmlfile_read(const char *path, size_t max_bytes, size_t *len, xmlfile_problem *problem)
{
	struct stat st;
	char *buf = NULL, *result = NULL;
	size_t got = 0;
	int fd;

	memset(problem, 0, sizeof *problem);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		problem->status = XMLFILE_CANNOT_OPEN;
		problem->errnum = errno;
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		problem->status = XMLFILE_NOT_REGULAR;
		goto out;
	}
	problem->size = (long long)st.st_size;
	if ((uintmax_t)st.st_size > max_bytes) {
		problem->status = XMLFILE_TOO_LARGE;
		goto out;
	}
	if (st.st_size == 0) {
		problem->status = XMLFILE_EMPTY;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		problem->status = XMLFILE_NO_MEMORY;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			problem->status = XMLFILE_CANNOT_READ;
			problem->errnum = n < 0 ? errno : 0;
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	result = buf;
	buf = NULL;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return result;
}

/* ------------------------------------------------------------------------
 * Parsing it
 * ------------------------------------------------------------------------ */

/* What the parser's hooks share, through ctxt->_private. */
typedef struct parse_guard {
	int depth;
	int max_depth;
	bool doctype;
	bool too_deep;
} parse_guard;

static void
on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	parse_guard *g = ctxt->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	g->doctype = true;
	xmlStopParser(ctxt);
}

static void
on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
    int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
    const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	parse_guard *g = ctxt->_private;

	if (++g->depth > g->max_depth) {
		g->too_deep = true;
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
	parse_guard *g = ctxt->_private;

	g->depth--;
	xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

/* libxml2's last error of ctxt into problem: where, and its message on one
 * line without trailing spaces. */
static void
not_well_formed(xmlParserCtxtPtr ctxt, xmlfile_problem *problem)
{
	const xmlError *e = xmlCtxtGetLastError(ctxt);
	size_t n;

	problem->status = XMLFILE_NOT_WELL_FORMED;
	problem->line = e != NULL ? e->line : 0;
	problem->column = e != NULL ? e->int2 : 0;
	snprintf(problem->message, sizeof problem->message, "%s",
	    e != NULL && e->message != NULL ? e->message : "not well-formed XML");
	for (char *c = problem->message; *c != '\0'; c++)
		if (*c == '\n')
			*c = ' ';
	for (n = strlen(problem->message); n > 0 && problem->message[n - 1] == ' ';)
		problem->message[--n] = '\0';
}

xmlDocPtr
xmlfile_parse(const char *data, size_t len, const char *url, int max_depth,
    xmlfile_problem *problem)
{
	parse_guard g = { .max_depth = max_depth };
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	memset(problem, 0, sizeof *problem);
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		problem->status = XMLFILE_NO_PARSER;
		return NULL;
	}
	ctxt->_private = &g;
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->externalSubset = on_doctype;
	ctxt->sax->startElementNs = on_start;
	ctxt->sax->endElementNs = on_end;
	/* Deliberately absent: XML_PARSE_NOENT (substitute entities),
	 * XML_PARSE_DTDLOAD, XML_PARSE_DTDATTR, XML_PARSE_XINCLUDE and
	 * XML_PARSE_HUGE. XML_PARSE_BIG_LINES: xmlGetLineNo past 65535. */
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, url, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR | XML_PARSE_BIG_LINES);
	if (g.doctype || (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL)))
		problem->status = XMLFILE_DOCTYPE;
	else if (g.too_deep)
		problem->status = XMLFILE_TOO_DEEP;
	else if (doc == NULL || !ctxt->wellFormed)
		not_well_formed(ctxt, problem);
	if (problem->status != XMLFILE_OK && doc != NULL) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}
