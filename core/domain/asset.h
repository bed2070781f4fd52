/* asset — the product a contract covers (DESIGN.md §1).
 *
 * An asset is known by its serial number or VIN, and belongs to the dealer
 * that registered it: each dealer has its own record of an asset, and never
 * sees another dealer's. */
#ifndef CD_DOMAIN_ASSET_H
#define CD_DOMAIN_ASSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "contractd/plugin.h"
#include "domain/plan.h"
#include "storage/db.h"

#define ASSET_SERIAL_MAX 64
#define ASSET_MODEL_MAX 512      /* bytes: 128 characters of UTF-8 */

typedef struct asset {
	char serial[ASSET_SERIAL_MAX + 1];  /* serial number or VIN */
	bool is_vin;
	char model[ASSET_MODEL_MAX + 1];
	char product_category[PLAN_CATEGORY_MAX + 1];
	date_t purchase_date;
	char currency[4];
	int64_t purchase_price;             /* minor units of currency */
	cd_usage_unit usage_unit;
	int64_t usage_at_sale;
	int mw_months;                      /* manufacturer's warranty */
	int64_t mw_usage_limit;             /* 0: none */
	bool commercial_use;
} asset;

/* Creates the dealer's record of a (or brings its details up to date) and
 * sets *id; the row stays locked until the transaction ends, so two
 * registrations for one asset run one after the other. Returns 0, or -1
 * with a message in err. */
int asset_upsert(db_conn *c, const char *dealer_id, const asset *a, int64_t *id, char *err,
    size_t errlen);

/* Reads the dealer's asset with this serial number or VIN. Returns 1 and
 * fills *out and *id, 0 when the dealer has no such asset, -1 on a
 * database error (message in err). */
int asset_find(db_conn *c, const char *dealer_id, const char *serial, asset *out, int64_t *id,
    char *err, size_t errlen);

/* Reads an asset by its id. Returns 1, 0 or -1 like asset_find. */
int asset_get(db_conn *c, int64_t id, asset *out, char *err, size_t errlen);

#endif
