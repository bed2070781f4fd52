/* asset — the dealers' records of the assets they sell contracts for. */
#include "domain/asset.h"

#include <stdio.h>
#include <string.h>

int
asset_upsert(db_conn *c, const char *dealer_id, const asset *a, int64_t *id, char *err,
    size_t errlen)
{
	int rc;

	if (db_exec(c, "INSERT INTO assets (dealer_id, serial, is_vin, model, product_category, "
		       "purchase_date, currency, purchase_price, usage_unit, usage_at_sale, mw_months, "
		       "mw_usage_limit, commercial_use, created_at, updated_at) VALUES "
		       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)) "
		       "ON DUPLICATE KEY UPDATE is_vin = VALUES(is_vin), model = VALUES(model), "
		       "product_category = VALUES(product_category), "
		       "purchase_date = VALUES(purchase_date), currency = VALUES(currency), "
		       "purchase_price = VALUES(purchase_price), usage_unit = VALUES(usage_unit), "
		       "usage_at_sale = VALUES(usage_at_sale), mw_months = VALUES(mw_months), "
		       "mw_usage_limit = VALUES(mw_usage_limit), "
		       "commercial_use = VALUES(commercial_use), updated_at = UTC_TIMESTAMP(6)",
		"ssdssDsisidid", dealer_id, a->serial, a->is_vin ? 1 : 0, a->model,
		a->product_category, a->purchase_date, a->currency, a->purchase_price,
		usage_unit_name(a->usage_unit), a->usage_at_sale, a->mw_months, a->mw_usage_limit,
		a->commercial_use ? 1 : 0) < 0) {
		snprintf(err, errlen, "storing asset %s: %s", a->serial, db_error(c));
		return -1;
	}
	rc = db_query_int(c, id, "SELECT id FROM assets WHERE dealer_id = ? AND serial = ? "
				 "FOR UPDATE", "ss", dealer_id, a->serial);
	if (rc != 1) {
		snprintf(err, errlen, "reading asset %s back: %s", a->serial,
		    rc < 0 ? db_error(c) : "not found");
		return -1;
	}
	return 0;
}

#define ASSET_COLUMNS "id, serial, is_vin, model, product_category, purchase_date, currency, " \
	"purchase_price, usage_unit, usage_at_sale, mw_months, mw_usage_limit, commercial_use"

static void
asset_from_row(const db_rows *r, asset *a, int64_t *id)
{
	const char *s;

	memset(a, 0, sizeof *a);
	if (id)
		*id = db_rows_int(r, 0);
	snprintf(a->serial, sizeof a->serial, "%s", (s = db_rows_str(r, 1)) ? s : "");
	a->is_vin = db_rows_int(r, 2) != 0;
	snprintf(a->model, sizeof a->model, "%s", (s = db_rows_str(r, 3)) ? s : "");
	snprintf(a->product_category, sizeof a->product_category, "%s",
	    (s = db_rows_str(r, 4)) ? s : "");
	db_rows_date(r, 5, &a->purchase_date);
	snprintf(a->currency, sizeof a->currency, "%s", (s = db_rows_str(r, 6)) ? s : "");
	a->purchase_price = db_rows_int(r, 7);
	usage_unit_parse((s = db_rows_str(r, 8)) ? s : "none", &a->usage_unit);
	a->usage_at_sale = db_rows_int(r, 9);
	a->mw_months = (int)db_rows_int(r, 10);
	a->mw_usage_limit = db_rows_int(r, 11);
	a->commercial_use = db_rows_int(r, 12) != 0;
}

int
asset_find(db_conn *c, const char *dealer_id, const char *serial, asset *out, int64_t *id,
    char *err, size_t errlen)
{
	db_rows *r = db_query(c, "SELECT " ASSET_COLUMNS " FROM assets WHERE dealer_id = ? "
				 "AND serial = ?", "ss", dealer_id, serial);
	int rc = 0;

	if (r == NULL) {
		snprintf(err, errlen, "%s", db_error(c));
		return -1;
	}
	if (db_rows_next(r) == 1) {
		asset_from_row(r, out, id);
		rc = 1;
	}
	db_rows_free(r);
	return rc;
}

int
asset_get(db_conn *c, int64_t id, asset *out, char *err, size_t errlen)
{
	db_rows *r = db_query(c, "SELECT " ASSET_COLUMNS " FROM assets WHERE id = ?", "i", id);
	int rc = 0;

	if (r == NULL) {
		snprintf(err, errlen, "%s", db_error(c));
		return -1;
	}
	if (db_rows_next(r) == 1) {
		asset_from_row(r, out, NULL);
		rc = 1;
	}
	db_rows_free(r);
	return rc;
}
