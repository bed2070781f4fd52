/* catalog — Catalog documents: the plans for sale, in and out.
 *
 * A Catalog (contracts/schema/Catalog.xsd) is read into plan structures
 * for `contractctl catalog import`, and the stored plans are written back
 * as a Catalog for GET /v1/plans. */
#ifndef CD_EXCHANGE_CATALOG_H
#define CD_EXCHANGE_CATALOG_H

#include <stddef.h>

#include <libxml/tree.h>

#include "domain/plan.h"
#include "domain/problem.h"

/* One plan read from a Catalog, with the Version the catalog asks for (0
 * when it names none). */
typedef struct catalog_entry {
	plan *plan;
	int requested_version;
} catalog_entry;

/* Parses a Catalog document (hardened parser, XSD validation, then the
 * rules the schema cannot check: every amount in the plan's currency and
 * with no more decimals than it has, usage intervals in the plan's unit).
 * Returns 0 with a new array *entries of *n (free with catalog_free); 1
 * when the document has problems (in pl, every one of them); -1 when it
 * could not be checked (message in err). */
int catalog_parse(const char *data, size_t len, catalog_entry **entries, size_t *n,
    problem_list *pl, char *err, size_t errlen);
void catalog_free(catalog_entry *entries, size_t n);

/* Appends p as a Catalog <Plan> element to parent. */
void catalog_write_plan(xmlNodePtr parent, const plan *p);

#endif
