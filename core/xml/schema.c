#include "xml/schema.h"
#include "xml/xml_out.h"

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <libxml/xmlversion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libxml2 2.12 made the error handed to structured handlers const. */
#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_arg;
#else
typedef xmlError *xml_error_arg;
#endif

struct xml_schema {
	char name[64];          /* root element: the file name without ".xsd" */
	xmlSchemaPtr compiled;
};

/* Filled by xml_schemas_load before threads start, then only read. */
static xml_schema *schemas;
static size_t nschemas;

/* Set only on the thread that is compiling schemas, only while it is. */
static _Thread_local int serving_embedded;

/* ------------------------------------------------------------------------
 * Embedded files and the loader that serves them
 * ------------------------------------------------------------------------ */

/* The embedded schema file called name, or NULL. A leading "./" is
 * ignored; nothing else resembling a path is accepted. */
static const xml_embedded_file *
find_embedded(const char *name)
{
	if (name == NULL)
		return NULL;
	if (strncmp(name, "./", 2) == 0)
		name += 2;
	for (size_t i = 0; i < xml_embedded_schemas_count; i++) {
		if (strcmp(xml_embedded_schemas[i].name, name) == 0)
			return &xml_embedded_schemas[i];
	}
	return NULL;
}

/* The external entity loader in force while schemas compile: it serves the
 * embedded schema files, on the compiling thread only, and refuses
 * everything else - any other name, and any request from another thread. */
static xmlParserInputPtr
embedded_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	const xml_embedded_file *f = serving_embedded ? find_embedded(url) : NULL;
	xmlParserInputBufferPtr buf = NULL;
	xmlParserInputPtr input = NULL;

	(void)id;
	if (f == NULL || ctxt == NULL)
		goto out;
	buf = xmlParserInputBufferCreateMem((const char *)f->data, (int)f->len,
	    XML_CHAR_ENCODING_NONE);
	if (buf == NULL)
		goto out;
	input = xmlNewIOInputStream(ctxt, buf, XML_CHAR_ENCODING_NONE);
	if (input == NULL) {
		xmlFreeParserInputBuffer(buf);
		goto out;
	}
	/* The name becomes the document's URL, the base that relative
	 * xs:include locations resolve against. */
	input->filename = (char *)xmlStrdup((const xmlChar *)f->name);
out:
	return input;
}

const char *
xml_schema_source(const char *file_name, size_t *len)
{
	const xml_embedded_file *f = find_embedded(file_name);

	if (len != NULL)
		*len = f ? f->len : 0;
	return f ? (const char *)f->data : NULL;
}

/* ------------------------------------------------------------------------
 * Compiling
 * ------------------------------------------------------------------------ */

static void
set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes a message into err when there is one to write into. */
static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Collects the first compile error of one schema file. */
typedef struct compile_report {
	const char *file;
	char *err;
	size_t errlen;
	int failed;
} compile_report;

/* Removes a trailing newline (libxml2 messages end in one). */
static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static void
on_compile_error(void *data, xml_error_arg e)
{
	compile_report *r = data;
	char message[256];

	if (e == NULL || e->level == XML_ERR_WARNING || r->failed)
		return;
	r->failed = 1;
	snprintf(message, sizeof message, "%s", e->message ? e->message : "cannot compile");
	chomp(message);
	set_err(r->err, r->errlen, "schema %s, line %d: %s",
	    find_embedded(e->file) ? e->file : r->file, e->line, message);
}

/* True for a file that describes a document: "QuoteRequest.xsd", not
 * "common.xsd". */
static int
is_document_schema(const char *name, size_t *stem)
{
	size_t n = strlen(name);

	if (n < 5 || strcmp(name + n - 4, ".xsd") != 0 || name[0] < 'A' || name[0] > 'Z')
		return 0;
	*stem = n - 4;
	return 1;
}

/* Compiles one embedded document schema into *out. Returns 0, or -1 with
 * err filled in. */
static int
compile_one(const xml_embedded_file *f, size_t stem, xml_schema *out, char *err, size_t errlen)
{
	compile_report report = { .file = f->name, .err = err, .errlen = errlen };
	xmlStructuredErrorFunc saved_handler = xmlStructuredError;
	void *saved_context = xmlStructuredErrorContext;
	xmlSchemaParserCtxtPtr pctxt = NULL;
	int rc = -1;

	if (stem >= sizeof out->name) {
		set_err(err, errlen, "schema %s: name too long", f->name);
		goto out;
	}
	memcpy(out->name, f->name, stem);
	out->name[stem] = '\0';
	pctxt = xmlSchemaNewMemParserCtxt((const char *)f->data, (int)f->len);
	if (pctxt == NULL) {
		set_err(err, errlen, "schema %s: out of memory", f->name);
		goto out;
	}
	xmlSchemaSetParserStructuredErrors(pctxt, on_compile_error, &report);
	/* The XML parser under the schema parser reports through the
	 * thread's handler, not the schema parser's. */
	xmlSetStructuredErrorFunc(&report, on_compile_error);
	out->compiled = xmlSchemaParse(pctxt);
	xmlSetStructuredErrorFunc(saved_context, saved_handler);
	if (out->compiled == NULL || report.failed) {
		if (!report.failed)
			set_err(err, errlen, "schema %s: cannot compile", f->name);
		if (out->compiled != NULL)
			xmlSchemaFree(out->compiled);
		out->compiled = NULL;
		goto out;
	}
	rc = 0;
out:
	if (pctxt != NULL)
		xmlSchemaFreeParserCtxt(pctxt);
	return rc;
}

int
xml_schemas_load(char *err, size_t errlen)
{
	xmlExternalEntityLoader previous = NULL;
	size_t stem;
	int rc = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (schemas != NULL)
		return 0;
	schemas = calloc(xml_embedded_schemas_count ? xml_embedded_schemas_count : 1,
	    sizeof *schemas);
	if (schemas == NULL) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	previous = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(embedded_loader);
	serving_embedded = 1;
	for (size_t i = 0; i < xml_embedded_schemas_count; i++) {
		const xml_embedded_file *f = &xml_embedded_schemas[i];

		if (!is_document_schema(f->name, &stem))
			continue;
		if (compile_one(f, stem, &schemas[nschemas], err, errlen) != 0)
			goto out;
		nschemas++;
	}
	if (nschemas == 0) {
		set_err(err, errlen, "no document schema is embedded");
		goto out;
	}
	rc = 0;
out:
	serving_embedded = 0;
	if (previous != NULL)
		xmlSetExternalEntityLoader(previous);
	if (rc != 0)
		xml_schemas_free();
	return rc;
}

void
xml_schemas_free(void)
{
	for (size_t i = 0; i < nschemas; i++)
		xmlSchemaFree(schemas[i].compiled);
	free(schemas);
	schemas = NULL;
	nschemas = 0;
}

const xml_schema *
xml_schema_for_root(const char *root_name)
{
	for (size_t i = 0; root_name != NULL && i < nschemas; i++) {
		if (strcmp(schemas[i].name, root_name) == 0)
			return &schemas[i];
	}
	return NULL;
}

const char *
xml_schema_name(const xml_schema *s)
{
	return s->name;
}

/* ------------------------------------------------------------------------
 * Problems: codes, messages, paths
 * ------------------------------------------------------------------------ */

/* Everything one validation collects, handed to the error handler. */
typedef struct collector {
	const xml_schema *schema;
	xmlNodePtr root;        /* where to look for a node libxml2 did not name */
	xmlNodePtr target;      /* the element validated (the root for a document) */
	xml_problem *problems;
	size_t max;
	size_t stored;
	size_t found;
	int probes;             /* probe validations run so far (see ends_incomplete) */
} collector;

/* At most this many probe validations per validation: each costs about
 * as much as the validation itself. */
enum { MAX_PROBES = 8 };

static int
in_our_namespace(xmlNodePtr node)
{
	return node != NULL && node->ns != NULL && node->ns->href != NULL &&
	    strcmp((const char *)node->ns->href, CD_XML_NS) == 0;
}

/* The stable problem code for a libxml2 schema validity error. */
static const char *
problem_code(xml_error_arg e, xmlNodePtr node)
{
	const char *msg = e->message ? e->message : "";

	switch (e->code) {
	case XML_SCHEMAV_CVC_PATTERN_VALID:
		return "invalid-pattern";
	case XML_SCHEMAV_CVC_ENUMERATION_VALID:
		return "invalid-enumeration";
	case XML_SCHEMAV_CVC_LENGTH_VALID:
	case XML_SCHEMAV_CVC_MINLENGTH_VALID:
	case XML_SCHEMAV_CVC_MAXLENGTH_VALID:
		return "invalid-length";
	case XML_SCHEMAV_CVC_MININCLUSIVE_VALID:
	case XML_SCHEMAV_CVC_MAXINCLUSIVE_VALID:
	case XML_SCHEMAV_CVC_MINEXCLUSIVE_VALID:
	case XML_SCHEMAV_CVC_MAXEXCLUSIVE_VALID:
		return "out-of-range";
	case XML_SCHEMAV_CVC_TOTALDIGITS_VALID:
	case XML_SCHEMAV_CVC_FRACTIONDIGITS_VALID:
		return "too-many-digits";
	case XML_SCHEMAV_VALUE:
	case XML_SCHEMAV_FACET:
	case XML_SCHEMAV_CVC_FACET_VALID:
	case XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_1:
	case XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_2:
	case XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_3:
	case XML_SCHEMAV_CVC_TYPE_3_1_1:
	case XML_SCHEMAV_CVC_TYPE_3_1_2:
	case XML_SCHEMAV_CVC_ATTRIBUTE_3:
	case XML_SCHEMAV_CVC_AU:
		return "invalid-value";
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_1:
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_3_2_2:
		return "unexpected-attribute";
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_4:
		return "missing-attribute";
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_1:
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_3:
		return "unexpected-text";
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_2:
		return "unexpected-element";
	case XML_SCHEMAV_ELEMENT_CONTENT:
	case XML_SCHEMAV_CVC_COMPLEX_TYPE_2_4:
		if (strstr(msg, "Missing child element") != NULL)
			return "missing-element";
		return in_our_namespace(node) ? "unexpected-element" : "wrong-namespace";
	case XML_SCHEMAV_CVC_ELT_1:
		return in_our_namespace(node) ? "unexpected-element" : "wrong-namespace";
	case XML_SCHEMAV_CVC_IDC:
		if (strstr(msg, "Duplicate key-sequence") != NULL)
			return "duplicate-value";
		if (strstr(msg, "No match found for key-sequence") != NULL)
			return "unknown-reference";
		return "schema-violation";
	default:
		return "schema-violation";
	}
}

/* Copies libxml2's message into out without what the path already says or
 * what only confuses: the leading "Element '...': " (or "Element '...',
 * attribute 'a': "), "[facet '...'] ", our namespace in braces, and the
 * trailing newline. Other namespaces stay: they explain a wrong-namespace. */
static void
clean_message(const char *msg, char *out, size_t outlen)
{
	static const char ns[] = "{" CD_XML_NS "}";
	size_t used = 0;
	const char *p = msg ? msg : "the document does not match its schema";

	if (strncmp(p, "Element '", 9) == 0) {
		const char *end = strstr(p, "': ");
		const char *attr = strstr(p, "', attribute '");

		if (attr != NULL && (end == NULL || attr < end))
			end = strstr(attr + 14, "': ");
		if (end != NULL)
			p = end + 3;
	}
	if (strncmp(p, "[facet '", 8) == 0) {
		const char *end = strstr(p, "'] ");
		if (end != NULL)
			p = end + 3;
	}
	while (*p != '\0' && used + 1 < outlen) {
		if (strncmp(p, ns, sizeof ns - 1) == 0) {
			p += sizeof ns - 1;
			continue;
		}
		out[used++] = *p++;
	}
	out[used] = '\0';
	chomp(out);
}

/* The name of the attribute an error message is about ("Element 'x',
 * attribute 'currency': ..."), copied into out; empty if none. */
static void
message_attribute(const char *msg, char *out, size_t outlen)
{
	const char *a = msg ? strstr(msg, "', attribute '") : NULL;
	const char *end;

	out[0] = '\0';
	if (a == NULL || strncmp(msg, "Element '", 9) != 0)
		return;
	a += 14;
	end = strchr(a, '\'');
	if (end != NULL && (size_t)(end - a) < outlen) {
		memcpy(out, a, (size_t)(end - a));
		out[end - a] = '\0';
	}
}

/* The local name of the element an error message names ("Element
 * '{ns}Rate': ..." gives "Rate"), copied into out; empty if none. */
static void
message_element(const char *msg, char *out, size_t outlen)
{
	const char *p, *end;

	out[0] = '\0';
	if (msg == NULL || strncmp(msg, "Element '", 9) != 0)
		return;
	p = msg + 9;
	end = strchr(p, '\'');
	if (end == NULL)
		return;
	for (const char *q = p; q < end; q++) {
		if (*q == '}')
			p = q + 1;
	}
	if (end > p && (size_t)(end - p) < outlen) {
		memcpy(out, p, (size_t)(end - p));
		out[end - p] = '\0';
	}
}

/* The first element under (and including) node that starts on line and is
 * called name: how an error that carries only a line number (identity
 * constraints) finds its element. */
static xmlNodePtr
find_by_line(xmlNodePtr node, long line, const char *name)
{
	for (; node != NULL; node = node->next) {
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (xmlGetLineNo(node) == line && strcmp((const char *)node->name, name) == 0)
			return node;
		xmlNodePtr hit = find_by_line(node->children, line, name);
		if (hit != NULL)
			return hit;
	}
	return NULL;
}

static int
same_element_name(xmlNodePtr a, xmlNodePtr b)
{
	return a->type == XML_ELEMENT_NODE && strcmp((const char *)a->name, (const char *)b->name) == 0;
}

/* 1-based position of node among its same-named element siblings, or 0
 * when it has none. */
static int
sibling_index(xmlNodePtr node)
{
	int before = 0, after = 0;

	for (xmlNodePtr s = node->prev; s != NULL; s = s->prev)
		before += same_element_name(s, node);
	for (xmlNodePtr s = node->next; s != NULL; s = s->next)
		after += same_element_name(s, node);
	return before + after == 0 ? 0 : before + 1;
}

/* Writes the path of node into out: local names from the root down, an
 * index among same-named siblings, and "/@attr" when attr is not empty. */
static void
node_path(xmlNodePtr node, const char *attr, char *out, size_t outlen)
{
	enum { MAX_LEVELS = 64 };
	xmlNodePtr chain[MAX_LEVELS];
	int n = 0, truncated = 0;
	size_t used = 0;

	if (node != NULL && node->type == XML_ATTRIBUTE_NODE) {
		attr = (const char *)node->name;
		node = node->parent;
	}
	for (; node != NULL && node->type == XML_ELEMENT_NODE; node = node->parent) {
		if (n == MAX_LEVELS) {
			truncated = 1;
			break;
		}
		chain[n++] = node;
	}
	out[0] = '\0';
	if (truncated)
		used += (size_t)snprintf(out, outlen, "/...");
	while (n-- > 0 && used < outlen) {
		int idx = sibling_index(chain[n]);
		int w = idx > 0 ?
		    snprintf(out + used, outlen - used, "/%s[%d]", (const char *)chain[n]->name, idx) :
		    snprintf(out + used, outlen - used, "/%s", (const char *)chain[n]->name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (attr != NULL && attr[0] != '\0' && used < outlen)
		snprintf(out + used, outlen - used, "/@%s", attr);
	if (out[0] == '\0')
		snprintf(out, outlen, "/");
}

static void
add_problem(collector *c, const char *code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends a problem when there is room; counts it either way. */
static void
add_problem(collector *c, const char *code, const char *path, const char *fmt, ...)
{
	xml_problem *p;
	va_list ap;

	c->found++;
	if (c->stored >= c->max)
		return;
	p = &c->problems[c->stored++];
	snprintf(p->code, sizeof p->code, "%s", code);
	snprintf(p->path, sizeof p->path, "%s", path);
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof p->message, fmt, ap);
	va_end(ap);
}

/* Copies into out the one element name in libxml2's "Expected is ( X )."
 * (our namespace dropped); returns 0 when there is not exactly one. */
static int
expected_name(const char *msg, char *out, size_t outlen)
{
	static const char ns[] = "{" CD_XML_NS "}";
	const char *p = msg ? strstr(msg, "Expected is ( ") : NULL;
	const char *end;

	if (p == NULL)
		return 0;
	p += 14;
	if (strncmp(p, ns, sizeof ns - 1) == 0)
		p += sizeof ns - 1;
	end = strstr(p, " )");
	if (end == NULL || end == p || (size_t)(end - p) >= outlen || memchr(p, ',', (size_t)(end - p)))
		return 0;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return 1;
}

/* True when node or one of the element siblings after it is called name
 * in our namespace. */
static int
present_from(xmlNodePtr node, const char *name)
{
	for (; node != NULL; node = node->next) {
		if (node->type == XML_ELEMENT_NODE && in_our_namespace(node) &&
		    strcmp((const char *)node->name, name) == 0)
			return 1;
	}
	return 0;
}

/* The name in "The attribute 'a' is required but missing.", into out. */
static void
required_attribute(const char *msg, char *out, size_t outlen)
{
	const char *a = msg ? strstr(msg, "The attribute '") : NULL;
	const char *end;

	out[0] = '\0';
	if (a == NULL)
		return;
	a += 15;
	end = strchr(a, '\'');
	if (end != NULL && (size_t)(end - a) < outlen) {
		memcpy(out, a, (size_t)(end - a));
		out[end - a] = '\0';
	}
}

/* The position of node among all its parent's children (0-based). */
static int
child_position(xmlNodePtr node)
{
	int i = 0;

	for (xmlNodePtr s = node->prev; s != NULL; s = s->prev)
		i++;
	return i;
}

/* What a probe validation looks for. */
typedef struct probe {
	xmlNodePtr parent;      /* the copy of the parent under test */
	int incomplete;         /* set when libxml2 finds its content ends too early */
} probe;

static void
on_probe_error(void *data, xml_error_arg e)
{
	probe *p = data;

	if (e != NULL && e->node == (void *)p->parent && e->message != NULL &&
	    strstr(e->message, "Missing child element") != NULL)
		p->incomplete = 1;
}

/* Would the content of node's parent be incomplete if it ended just before
 * node? That is, is the element libxml2 expected in node's place required?
 * libxml2 does not say, and its content models are not public, so this
 * asks it: it validates a copy of the validated element with node and
 * everything after it removed. Returns 1 (incomplete), 0 (complete) or -1
 * (could not tell). */
static int
ends_incomplete(collector *c, xmlNodePtr node)
{
	enum { MAX_DEPTH = 256 };
	int steps[MAX_DEPTH], depth = 0, rc = -1;
	xmlNodePtr n, copy, parent = node->parent;
	xmlDocPtr doc = NULL;
	xmlSchemaValidCtxtPtr vctxt = NULL;
	probe p = { 0 };

	if (c->probes >= MAX_PROBES || c->target == NULL)
		goto out;
	c->probes++;
	/* The way down from the validated element to the parent. */
	for (n = parent; n != NULL && n != c->target; n = n->parent) {
		if (depth == MAX_DEPTH)
			goto out;
		steps[depth++] = child_position(n);
	}
	if (n == NULL)
		goto out;
	doc = xmlNewDoc((const xmlChar *)"1.0");
	if (doc == NULL)
		goto out;
	copy = xmlDocCopyNode(c->target, doc, 1);
	if (copy == NULL)
		goto out;
	xmlDocSetRootElement(doc, copy);
	for (n = copy; depth > 0 && n != NULL; depth--) {
		n = n->children;
		for (int i = 0; n != NULL && i < steps[depth - 1]; i++)
			n = n->next;
	}
	if (n == NULL)
		goto out;
	p.parent = n;
	/* Cut node's copy and everything after it. */
	n = n->children;
	for (int i = 0, at = child_position(node); n != NULL && i < at; i++)
		n = n->next;
	while (n != NULL) {
		xmlNodePtr next = n->next;
		xmlUnlinkNode(n);
		xmlFreeNode(n);
		n = next;
	}
	vctxt = xmlSchemaNewValidCtxt(c->schema->compiled);
	if (vctxt == NULL)
		goto out;
	xmlSchemaSetValidStructuredErrors(vctxt, on_probe_error, &p);
	if (xmlSchemaValidateDoc(vctxt, doc) < 0)
		goto out;
	rc = p.incomplete;
out:
	if (vctxt != NULL)
		xmlSchemaFreeValidCtxt(vctxt);
	if (doc != NULL)
		xmlFreeDoc(doc);
	return rc;
}

/* The structured error handler of one validation context. */
static void
on_validity_error(void *data, xml_error_arg e)
{
	collector *c = data;
	xmlNodePtr node;
	char attr[64], elem[64], missing[64], message[sizeof c->problems[0].message];
	char path[sizeof c->problems[0].path];
	const char *code;

	if (e == NULL || e->level == XML_ERR_WARNING)
		return;
	if (c->stored >= c->max) {
		/* No room: count it, and spare the work. */
		c->found++;
		return;
	}
	node = e->node;
	if (node != NULL && node->type != XML_ELEMENT_NODE && node->type != XML_ATTRIBUTE_NODE)
		node = NULL;
	if (node == NULL && e->line > 0) {
		message_element(e->message, elem, sizeof elem);
		if (elem[0] != '\0')
			node = find_by_line(c->root, e->line, elem);
	}
	code = problem_code(e, node);
	message_attribute(e->message, attr, sizeof attr);
	if (strcmp(code, "missing-attribute") == 0)
		required_attribute(e->message, attr, sizeof attr);
	clean_message(e->message, message, sizeof message);
	if (strcmp(code, "wrong-namespace") == 0 && node != NULL) {
		snprintf(message, sizeof message, "%s is in namespace '%s', not '%s'",
		    (const char *)node->name,
		    node->ns && node->ns->href ? (const char *)node->ns->href : "(none)", CD_XML_NS);
	}
	if (node != NULL)
		node_path(node, attr, path, sizeof path);
	else if (e->line > 0)
		snprintf(path, sizeof path, "line %d", e->line);
	else
		snprintf(path, sizeof path, "/");

	/* A missing element: point at where it belongs. libxml2 reports one
	 * missing in the middle as the next element being unexpected, naming
	 * the one element it expected. When that one comes later, the
	 * unexpected element is out of order. When it does not, either it is
	 * missing or the unexpected element is an extra after an optional
	 * one: a probe tells which (or, past the probe budget, whether other
	 * elements follow: an extra is usually last). */
	if (node != NULL && node->type == XML_ELEMENT_NODE &&
	    expected_name(e->message, missing, sizeof missing)) {
		int absent = 0;

		if (strcmp(code, "missing-element") == 0) {
			node_path(node, NULL, path, sizeof path);
			snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", missing);
			snprintf(message, sizeof message, "%s is missing", missing);
		} else if (strcmp(code, "unexpected-element") == 0 && !present_from(node, missing) &&
		    node->parent != NULL && node->parent->type == XML_ELEMENT_NODE) {
			absent = ends_incomplete(c, node);
			if (absent < 0)
				absent = xmlNextElementSibling(node) != NULL;
		}
		if (absent) {
			code = "missing-element";
			node_path(node->parent, NULL, path, sizeof path);
			snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", missing);
			snprintf(message, sizeof message, "%s is missing (found %s where it was expected)",
			    missing, (const char *)node->name);
		}
	}
	/* libxml2 sometimes reports one fault twice in a row. */
	if (c->stored > 0) {
		const xml_problem *last = &c->problems[c->stored - 1];
		if (strcmp(last->code, code) == 0 && strcmp(last->path, path) == 0 &&
		    strcmp(last->message, message) == 0)
			return;
	}
	add_problem(c, code, path, "%s", message);
}

/* Turns the last stored problem into a note of how many were left out. */
static void
note_overflow(collector *c)
{
	size_t more;

	if (c->found <= c->stored || c->max == 0)
		return;
	more = c->found - c->max + 1;
	c->stored--;
	c->found = c->stored;
	add_problem(c, "too-many-problems", "/", "%zu more problems were found and not listed",
	    more);
}

/* ------------------------------------------------------------------------
 * Validating
 * ------------------------------------------------------------------------ */

/* Checks that elem is a document s knows in our namespace before libxml2
 * sees it, so that a wrong namespace is reported as one, precisely. */
static int
check_root(const xml_schema *s, xmlNodePtr elem, collector *c)
{
	char path[sizeof c->problems[0].path];

	if (elem == NULL || elem->type != XML_ELEMENT_NODE) {
		add_problem(c, "missing-element", "/", "the document has no root element");
		return -1;
	}
	node_path(elem, NULL, path, sizeof path);
	if (!in_our_namespace(elem)) {
		add_problem(c, "wrong-namespace", path,
		    "%s is in namespace '%s'; documents must be in namespace '%s'",
		    (const char *)elem->name,
		    elem->ns && elem->ns->href ? (const char *)elem->ns->href : "(none)",
		    CD_XML_NS);
		return -1;
	}
	if (elem->parent != NULL && elem->parent->type == XML_DOCUMENT_NODE &&
	    strcmp((const char *)elem->name, s->name) != 0) {
		add_problem(c, "unexpected-element", path, "expected a %s document, not %s", s->name,
		    (const char *)elem->name);
		return -1;
	}
	return 0;
}

/* Validates elem, or the whole of doc when elem is NULL. */
static int
validate(const xml_schema *s, xmlDocPtr doc, xmlNodePtr elem, xml_problem *problems,
    size_t max, size_t *count)
{
	collector c = { .schema = s, .problems = problems, .max = problems ? max : 0 };
	xmlSchemaValidCtxtPtr vctxt = NULL;
	xmlNodePtr target = elem ? elem : xmlDocGetRootElement(doc);
	int rc = -1, lx;

	c.root = doc ? xmlDocGetRootElement(doc) : target;
	c.target = target;
	if (s == NULL || s->compiled == NULL) {
		add_problem(&c, "internal", "/", "no schema to validate with");
		goto out;
	}
	if (check_root(s, target, &c) != 0) {
		rc = 1;
		goto out;
	}
	vctxt = xmlSchemaNewValidCtxt(s->compiled);
	if (vctxt == NULL) {
		add_problem(&c, "internal", "/", "cannot create a schema validation context");
		goto out;
	}
	xmlSchemaSetValidStructuredErrors(vctxt, on_validity_error, &c);
	lx = elem ? xmlSchemaValidateOneElement(vctxt, elem) : xmlSchemaValidateDoc(vctxt, doc);
	if (lx < 0) {
		c.stored = c.found = 0;
		add_problem(&c, "internal", "/", "schema validation failed to run");
		goto out;
	}
	if (lx > 0 && c.found == 0)
		add_problem(&c, "schema-violation", "/", "the document does not match its schema");
	rc = c.found > 0 ? 1 : 0;
out:
	note_overflow(&c);
	if (vctxt != NULL)
		xmlSchemaFreeValidCtxt(vctxt);
	*count = c.stored;
	return rc;
}

int
xml_validate(const xml_schema *s, xmlDocPtr doc, xml_problem *problems, size_t max,
    size_t *count)
{
	return validate(s, doc, NULL, problems, max, count);
}

int
xml_validate_element(const xml_schema *s, xmlNodePtr elem, xml_problem *problems,
    size_t max, size_t *count)
{
	return validate(s, elem ? elem->doc : NULL, elem, problems, max, count);
}
