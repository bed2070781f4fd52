/* claim_store — claims in the database (see claim_store.h). */
#include "domain/claim_store.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const category_code[4] = { "S", "Z", "E", "AE" };

static int
fail(db_conn *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, db_error(db));
	return -1;
}

static void
copy_col(const db_rows *r, unsigned col, char *out, size_t n)
{
	const char *s = db_rows_str(r, col);
	snprintf(out, n, "%s", s ? s : "");
}

int
claim_insert(db_conn *db, claim_record *c, const claim_line *lines, size_t n, char *err,
    size_t errlen)
{
	const claim_totals *t = &c->totals;

	if (db_exec(db, "INSERT INTO claims (dealer_id, document_id, repair_order, serial, is_vin, "
	    "asset_id, contract_id, service_date, usage_reading, maintenance, state, currency, "
	    "amount, deductible, covered, customer_pays, warrantor_pays, liability_used, "
	    "complaint, cause, correction, pricing) VALUES (?, ?, ?, ?, ?, NULLIF(?, 0), "
	    "NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "ssssdiiDIdssiiiiiissss", c->dealer_id, c->document_id, c->repair_order, c->serial,
	    (int)c->is_vin, c->asset_id, c->contract_id, c->service_date,
	    c->has_usage ? &c->usage : NULL, (int)c->maintenance, claim_state_name(c->state),
	    c->currency, t->amount, t->deductible, t->covered, t->customer_pays, t->warrantor_pays,
	    t->liability_used, c->complaint, c->cause[0] ? c->cause : NULL,
	    c->correction[0] ? c->correction : NULL, c->pricing) < 0)
		return fail(db, "storing the claim", err, errlen);
	c->id = (int64_t)db_last_insert_id(db);
	snprintf(c->number, sizeof c->number, "CL-%08lld", (long long)c->id);
	if (db_exec(db, "UPDATE claims SET number = ? WHERE id = ?", "si", c->number, c->id) < 0)
		return fail(db, "numbering the claim", err, errlen);
	for (size_t i = 0; i < n; i++) {
		const claim_line *l = &lines[i];
		char qty[32];
		if (rate_format(l->quantity, qty, sizeof qty) != MONEY_OK)
			snprintf(qty, sizeof qty, "1");
		if (db_exec(db, "INSERT INTO claim_lines (claim_id, seq, line_number, kind, code, "
		    "description, component, quantity, unit_price, amount, coverage, reason, covered, "
		    "customer, tax_category) VALUES (?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
		    "?, ?)", "iddsssssiissiis", c->id, (int)i + 1, l->line_number,
		    line_kind_name(l->kind), l->code, l->description, l->component, qty, l->unit_price,
		    l->amount, coverage_kind_name(l->coverage), coverage_reason_name(l->reason),
		    l->covered, l->customer, category_code[l->tax_category & 3]) < 0)
			return fail(db, "storing the claim's lines", err, errlen);
	}
	return 0;
}

int
claim_set_invoices(db_conn *db, int64_t id, const char *customer_invoice,
    const char *settlement_note, char *err, size_t errlen)
{
	if (db_exec(db, "UPDATE claims SET customer_invoice = NULLIF(?, ''), "
	    "settlement_note = NULLIF(?, '') WHERE id = ?", "ssi", customer_invoice,
	    settlement_note, id) < 0)
		return fail(db, "recording the claim's invoices", err, errlen);
	return 0;
}

static coverage_kind
coverage_kind_parse(const char *s)
{
	for (int k = COVERAGE_MANUFACTURER_WARRANTY; k <= COVERAGE_POST_WARRANTY; k++)
		if (strcmp(s, coverage_kind_name((coverage_kind)k)) == 0)
			return (coverage_kind)k;
	return COVERAGE_POST_WARRANTY;
}

static coverage_reason
coverage_reason_parse(const char *s)
{
	for (int r = REASON_MANUFACTURER_WARRANTY; r <= REASON_MAINTENANCE_NOT_INCLUDED; r++)
		if (strcmp(s, coverage_reason_name((coverage_reason)r)) == 0)
			return (coverage_reason)r;
	return REASON_NO_CONTRACT;
}

static int
load_lines(db_conn *db, int64_t id, claim_line **lines, size_t *n, char *err, size_t errlen)
{
	db_rows *r = db_query(db, "SELECT COALESCE(line_number, 0), kind, code, description, "
	    "component, quantity, amount, coverage, reason, covered, customer, tax_category, "
	    "COALESCE(unit_price, 0) FROM claim_lines WHERE claim_id = ? ORDER BY seq", "i", id);
	size_t cap;
	int more;

	if (r == NULL)
		return fail(db, "reading the claim's lines", err, errlen);
	cap = db_rows_count(r);
	*lines = xcalloc(cap + 1, sizeof **lines);
	*n = 0;
	while ((more = db_rows_next(r)) == 1 && *n < cap) {
		claim_line *l = &(*lines)[(*n)++];
		l->line_number = (int)db_rows_int(r, 0);
		l->kind = line_kind_parse(db_rows_str(r, 1));
		copy_col(r, 2, l->code, sizeof l->code);
		copy_col(r, 3, l->description, sizeof l->description);
		copy_col(r, 4, l->component, sizeof l->component);
		rate_parse(db_rows_str(r, 5), &l->quantity);
		l->amount = db_rows_int(r, 6);
		l->coverage = coverage_kind_parse(db_rows_str(r, 7));
		l->reason = coverage_reason_parse(db_rows_str(r, 8));
		l->covered = db_rows_int(r, 9);
		l->customer = db_rows_int(r, 10);
		for (int k = 0; k < 4; k++)
			if (strcmp(db_rows_str(r, 11), category_code[k]) == 0)
				l->tax_category = (cd_tax_category)k;
		l->unit_price = db_rows_int(r, 12);
		l->entitlement = -1;
	}
	db_rows_free(r);
	if (more < 0) {
		free(*lines);
		*lines = NULL;
		return fail(db, "reading the claim's lines", err, errlen);
	}
	return 0;
}

int
claim_find(db_conn *db, const char *dealer_id, const char *number, bool for_update,
    claim_record *out, claim_line **lines, size_t *n, char *err, size_t errlen)
{
	char sql[1200];
	db_rows *r;
	int found;

	memset(out, 0, sizeof *out);
	*lines = NULL;
	*n = 0;
	snprintf(sql, sizeof sql, "SELECT c.id, c.number, c.dealer_id, c.document_id, "
	    "c.repair_order, c.serial, c.is_vin, COALESCE(c.asset_id, 0), "
	    "COALESCE(c.contract_id, 0), COALESCE(k.number, ''), c.service_date, "
	    "c.usage_reading IS NOT NULL, COALESCE(c.usage_reading, 0), c.maintenance, c.state, "
	    "c.currency, c.amount, c.deductible, c.covered, c.customer_pays, c.warrantor_pays, "
	    "c.liability_used, c.complaint, COALESCE(c.cause, ''), COALESCE(c.correction, ''), "
	    "COALESCE(c.customer_invoice, ''), COALESCE(c.settlement_note, ''), c.pricing "
	    "FROM claims c LEFT JOIN contracts k ON k.id = c.contract_id "
	    "WHERE c.number = ? AND (? IS NULL OR c.dealer_id = ?)%s",
	    for_update ? " FOR UPDATE" : "");
	if ((r = db_query(db, sql, "sss", number, dealer_id, dealer_id)) == NULL)
		return fail(db, "reading the claim", err, errlen);
	found = db_rows_next(r);
	if (found == 1) {
		claim_totals *t = &out->totals;
		out->id = db_rows_int(r, 0);
		copy_col(r, 1, out->number, sizeof out->number);
		copy_col(r, 2, out->dealer_id, sizeof out->dealer_id);
		copy_col(r, 3, out->document_id, sizeof out->document_id);
		copy_col(r, 4, out->repair_order, sizeof out->repair_order);
		copy_col(r, 5, out->serial, sizeof out->serial);
		out->is_vin = db_rows_int(r, 6) != 0;
		out->asset_id = db_rows_int(r, 7);
		out->contract_id = db_rows_int(r, 8);
		copy_col(r, 9, out->contract_number, sizeof out->contract_number);
		db_rows_date(r, 10, &out->service_date);
		out->has_usage = db_rows_int(r, 11) != 0;
		out->usage = db_rows_int(r, 12);
		out->maintenance = db_rows_int(r, 13) != 0;
		claim_state_parse(db_rows_str(r, 14), &out->state);
		copy_col(r, 15, out->currency, sizeof out->currency);
		t->amount = db_rows_int(r, 16);
		t->deductible = db_rows_int(r, 17);
		t->covered = db_rows_int(r, 18);
		t->customer_pays = db_rows_int(r, 19);
		t->warrantor_pays = db_rows_int(r, 20);
		t->liability_used = db_rows_int(r, 21);
		t->state = out->state;
		copy_col(r, 22, out->complaint, sizeof out->complaint);
		copy_col(r, 23, out->cause, sizeof out->cause);
		copy_col(r, 24, out->correction, sizeof out->correction);
		copy_col(r, 25, out->customer_invoice, sizeof out->customer_invoice);
		copy_col(r, 26, out->settlement_note, sizeof out->settlement_note);
		copy_col(r, 27, out->pricing, sizeof out->pricing);
	}
	db_rows_free(r);
	if (found < 0)
		return fail(db, "reading the claim", err, errlen);
	if (found == 0)
		return 0;
	return load_lines(db, out->id, lines, n, err, errlen) == 0 ? 1 : -1;
}

int
claim_mark_paid(db_conn *db, claim_record *c, char *err, size_t errlen)
{
	if (c->state != CLAIM_APPROVED && c->state != CLAIM_PARTIALLY_APPROVED) {
		snprintf(err, errlen, "claim %s is %s: only an approved or partially approved claim "
		    "can be paid", c->number, claim_state_name(c->state));
		return 1;
	}
	if (c->totals.warrantor_pays > 0 && c->settlement_note[0] == '\0') {
		snprintf(err, errlen, "claim %s has no settlement credit note yet: the billing run of "
		    "the month it was decided in issues it", c->number);
		return 1;
	}
	if (db_exec(db, "UPDATE claims SET state = 'paid', paid_at = UTC_TIMESTAMP(6) "
	    "WHERE id = ?", "i", c->id) < 0)
		return fail(db, "marking the claim paid", err, errlen);
	c->state = CLAIM_PAID;
	c->totals.state = CLAIM_PAID;
	return 0;
}

int
maintenance_services_load(db_conn *db, const int64_t *ids, size_t n,
    maintenance_service **out, int **which, size_t *nout, char *err, size_t errlen)
{
	size_t cap = 16, count = 0;

	*out = xcalloc(cap, sizeof **out);
	*which = xcalloc(cap, sizeof **which);
	for (size_t k = 0; k < n; k++) {
		db_rows *r = db_query(db, "SELECT entitlement, service_date, usage_reading IS NOT NULL, "
		    "COALESCE(usage_reading, 0) FROM maintenance_services WHERE contract_id = ? "
		    "ORDER BY service_date, id", "i", ids[k]);
		int more;
		if (r == NULL)
			goto failed;
		while ((more = db_rows_next(r)) == 1) {
			if (count == cap) {
				cap *= 2;
				*out = xrealloc(*out, cap * sizeof **out);
				*which = xrealloc(*which, cap * sizeof **which);
			}
			maintenance_service *s = &(*out)[count];
			s->entitlement = (int)db_rows_int(r, 0);
			db_rows_date(r, 1, &s->date);
			s->has_usage = db_rows_int(r, 2) != 0;
			s->usage = db_rows_int(r, 3);
			(*which)[count++] = (int)k;
		}
		db_rows_free(r);
		if (more < 0)
			goto failed;
	}
	*nout = count;
	return 0;
failed:
	free(*out);
	free(*which);
	*out = NULL;
	*which = NULL;
	*nout = 0;
	return fail(db, "reading maintenance services", err, errlen);
}

int
maintenance_service_add(db_conn *db, int64_t contract_id, int ei, int64_t claim_id,
    const char *operation, date_t date, bool has_usage, int64_t usage, char *err,
    size_t errlen)
{
	if (db_exec(db, "INSERT INTO maintenance_services (contract_id, entitlement, claim_id, "
	    "operation_code, service_date, usage_reading) VALUES (?, ?, ?, ?, ?, ?)", "idisDI",
	    contract_id, ei, claim_id, operation, date, has_usage ? &usage : NULL) < 0)
		return fail(db, "recording the maintenance service", err, errlen);
	return 0;
}

int
contract_charge_claim(db_conn *db, int64_t contract_id, const claim_record *c, char *err,
    size_t errlen)
{
	char detail[200];

	if (db_exec(db, "UPDATE contracts SET claims_paid = claims_paid + ?, "
	    "claims_count = claims_count + 1, state = IF(?, 'exhausted', state) WHERE id = ?",
	    "idi", c->totals.liability_used, (int)c->totals.exhausted, contract_id) < 0)
		return fail(db, "charging the claim to its contract", err, errlen);
	snprintf(detail, sizeof detail, "claim=%s state=%s liability_used=%lld", c->number,
	    claim_state_name(c->state), (long long)c->totals.liability_used);
	if (db_exec(db, "INSERT INTO contract_events (contract_id, kind, event_date, document_id, "
	    "detail, created_at) VALUES (?, 'claim', ?, ?, ?, UTC_TIMESTAMP(6))", "iDss",
	    contract_id, c->service_date, c->document_id, detail) < 0)
		return fail(db, "recording the claim event", err, errlen);
	if (c->totals.exhausted &&
	    db_exec(db, "INSERT INTO contract_events (contract_id, kind, event_date, document_id, "
	    "detail, created_at) VALUES (?, 'exhausted', ?, ?, ?, UTC_TIMESTAMP(6))", "iDss",
	    contract_id, c->service_date, c->document_id, detail) < 0)
		return fail(db, "recording the exhausted event", err, errlen);
	return 0;
}
