/* canon — the identity of an inbound document's content.
 *
 * Idempotency compares "the same content", so two sendings of one document
 * must hash alike even when they differ in what XML does not mean:
 * formatting whitespace between elements, whitespace around values,
 * comments, namespace prefixes, attribute order, or whether the document
 * came alone or inside a Batch. The canonical form written here keeps only
 * what a document means: each element's namespace and local name, its
 * attributes sorted by name with their values, and its text with
 * whitespace collapsed (trimmed, inner runs as one space), in document
 * order:
 *
 *	<{urn:contractd:1}QuoteRequest\n
 *	@currency=EUR\n       (attributes, sorted)
 *	=text\n               (text, escaped: \\ \n)
 *	>\n                   (end of element)
 *
 * canon_hash() is its SHA-256. */
#ifndef CD_EXCHANGE_CANON_H
#define CD_EXCHANGE_CANON_H

#include <stddef.h>

#include <libxml/tree.h>

/* The canonical form of the subtree at el; a new string the caller frees. */
char *canon_text(xmlNodePtr el, size_t *len);
/* SHA-256 (hex) of canon_text(el). */
void canon_hash(xmlNodePtr el, char out[65]);

#endif
