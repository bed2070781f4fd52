/* ratetable — the host side of the rate-table service.
 *
 * Pricing plugins that price from a table (contractd/plugin.h, "Rate
 * tables") ask the host to load a RateTable document: the host reads the
 * file, parses it with the hardened parser (xml/xml_in.h), validates it
 * against the embedded RateTable schema (xml/schema.h), checks what the
 * schema cannot (overlapping bands, amounts the currency cannot hold) and
 * indexes it. The plugin gets an opaque cd_rate_table and looks rates,
 * surcharges and dealer adjustments up in it; plugins link against nothing,
 * so all of this reaches them through the services table (services.c),
 * whose entries are these functions.
 *
 * A table is immutable once loaded: every lookup only reads it, so any
 * number of threads may look up at once. Everything a lookup returns is
 * borrowed from the table and valid until rate_table_free.
 *
 * The compiled schemas must be loaded first (xml_init(), then
 * xml_schemas_load() once from main, before threads start); without them
 * loading fails with CD_ERR_INTERNAL and a message that says so. */
#ifndef CD_PLUGIN_RATETABLE_H
#define CD_PLUGIN_RATETABLE_H

#include <stddef.h>

#include "contractd/plugin.h"

/* The largest rate-table file the host reads. */
#define RATE_TABLE_MAX_BYTES (16u * 1024 * 1024)

/* Reads, validates and indexes the RateTable file path (used as given:
 * resolve relative paths first). On CD_OK *out is a new table the caller
 * frees with rate_table_free. Otherwise *out is NULL and err holds "rate
 * table PATH: ..." naming the element at fault: CD_ERR_CONFIG for a file
 * that cannot be read or is not a valid rate table (every schema problem is
 * also logged), CD_ERR_INTERNAL when the schemas are not loaded. */
cd_status rate_table_load(const char *path, cd_rate_table **out, cd_error *err);
/* The same for a document in memory; label names it in messages and
 * becomes info->path. */
cd_status rate_table_parse(const char *data, size_t len, const char *label,
    cd_rate_table **out, cd_error *err);
/* Frees a table. NULL is fine. */
void rate_table_free(cd_rate_table *t);

/* The table's description (borrowed). */
const cd_rate_table_info *rate_table_info(const cd_rate_table *t);
/* The cell for q: see cd_host_services.rate_table_lookup. */
cd_status rate_table_lookup(const cd_rate_table *t, const cd_rate_query *q,
    const cd_rate_cell **out, cd_error *err);
/* The index-th surcharge that applies to q, or NULL. */
const cd_rate_adjustment *rate_table_surcharge(const cd_rate_table *t, const cd_rate_query *q,
    size_t index);
/* The adjustment for dealer_id, or NULL. */
const cd_rate_adjustment *rate_table_dealer_adjustment(const cd_rate_table *t,
    const char *dealer_id);

#endif
