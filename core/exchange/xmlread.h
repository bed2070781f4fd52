/* xmlread — reading fields out of a validated inbound document.
 *
 * By the time these run, the document has passed its XSD, so elements are
 * where the schema says and values have their type's shape. What remains is
 * what the schema cannot see: whitespace the XSD types collapse (a date may
 * arrive as " 2024-03-15 "), amounts with more decimals than their
 * currency has, unknown currencies. Problems go into a problem_list with
 * paths relative to the document's root. */
#ifndef CD_EXCHANGE_XMLREAD_H
#define CD_EXCHANGE_XMLREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "base/date.h"
#include "domain/problem.h"

/* The first child element of parent named name in our namespace, or NULL. */
xmlNodePtr xr_child(xmlNodePtr parent, const char *name);
/* The next sibling element of n named name in our namespace, or NULL. */
xmlNodePtr xr_next(xmlNodePtr n, const char *name);
/* True when n is an element named name in our namespace. */
bool xr_is(xmlNodePtr n, const char *name);

/* Copies the text of el, whitespace collapsed (trimmed, inner runs made one
 * space), into out. Returns false (out "") when el is NULL or holds
 * elements, true otherwise. */
bool xr_text_of(xmlNodePtr el, char *out, size_t outlen);
/* The same for parent's child name. */
bool xr_text(xmlNodePtr parent, const char *name, char *out, size_t outlen);

/* Parses the child name as a date / integer / boolean. Returns true and
 * sets *out when present and valid; false when absent (or, for a value the
 * schema let through that still does not parse, false with a problem). */
bool xr_date(xmlNodePtr parent, const char *name, date_t *out, problem_list *pl,
    const char *rel);
bool xr_int(xmlNodePtr parent, const char *name, int64_t *out, problem_list *pl,
    const char *rel);
bool xr_bool(xmlNodePtr parent, const char *name, bool *out);

/* Parses a money element (<X currency="EUR">12.50</X>) into minor units.
 * want: the currency it must be in, or NULL for any; the currency found
 * goes to currency (4 bytes) when not NULL. Adds a problem at rel (or
 * rel/@currency) and returns false for an unknown currency
 * (unknown-currency), another currency than want (currency-mismatch), more
 * decimals than the currency has (amount-precision) or an amount out of
 * range (amount-out-of-range). */
bool xr_money(xmlNodePtr el, const char *want, int64_t *out, char *currency,
    problem_list *pl, const char *rel);

/* The element's path in its document: local names from the root down, a
 * 1-based index where an element has same-named siblings
 * ("/Batch/QuoteRequest[2]"), as the schema validator writes paths. */
void xr_path(xmlNodePtr node, char *out, size_t outlen);

#endif
