/* runs — billing runs (see runs.h). */
#include "billing/runs.h"
#include "billing/build.h"
#include "billing/issue.h"
#include "domain/claim_store.h"
#include "domain/contract.h"
#include "domain/plan.h"
#include "storage/audit.h"
#include "storage/dealers.h"
#include "base/buf.h"
#include "base/fault.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many times an item's transaction is tried (deadlocks, Galera). */
#define RUN_TXN_ATTEMPTS 5

static const char *const kind_names[RUN_KINDS] = { "remittance", "chargeback", "installment",
	"settlement" };

/* The claims a settlement item credits: decided in the period, the
 * warrantor paying part, not settled yet. */
#define CLAIMS_AWAITING \
	"created_at >= ? AND created_at < ? AND warrantor_pays > 0 AND settlement_note IS NULL"

const char *
run_kind_name(run_kind k)
{
	return (unsigned)k < RUN_KINDS ? kind_names[k] : kind_names[0];
}

run_kind
run_kind_parse(const char *s)
{
	for (int k = 0; k < RUN_KINDS; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return (run_kind)k;
	return RUN_REMITTANCE;
}

int
run_period_parse(const char *period, date_t *from, date_t *to)
{
	char text[16];
	int y, m;

	if (period == NULL || strlen(period) != RUN_PERIOD_LEN || period[4] != '-' ||
	    sscanf(period, "%4d-%2d", &y, &m) != 2 || m < 1 || m > 12)
		return -1;
	snprintf(text, sizeof text, "%04d-%02d-01", y, m);
	if (date_parse(text, from) != 0 || date_add_months(*from, 1, to) != 0)
		return -1;
	return 0;
}

void
run_status_free(run_status *st)
{
	free(st->items);
	st->items = NULL;
	st->nitems = 0;
}

static int
fail(db_conn *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, db_error(db));
	return -1;
}

/* ------------------------------------------------------------------------
 * Planning
 * ------------------------------------------------------------------------ */

/* The items of a period: per (dealer, currency) with contracts sold, then
 * with commissions charged back, then with installments due, then with
 * claims to settle, a part per max_lines contracts or claims (by id),
 * ordered so every run of the period plans the same. The parts are
 * counted by the database, so planning a million contracts reads a row
 * per part, not per contract. */
static int
plan_items(db_conn *db, date_t from, date_t to, const char *dealer_id, int max_lines,
    run_item **out, size_t *n, char *err, size_t errlen)
{
	static const char *const sql[RUN_KINDS] = {
		"SELECT dealer_id, currency, part, MIN(id), MAX(id) FROM (SELECT dealer_id, "
		"currency, id, FLOOR((ROW_NUMBER() OVER (PARTITION BY dealer_id, currency "
		"ORDER BY id) - 1) / ?) + 1 AS part FROM contracts WHERE sale_date >= ? AND "
		"sale_date < ? AND remitted_by = '' AND (? IS NULL OR dealer_id = ?)) t "
		"GROUP BY dealer_id, currency, part ORDER BY dealer_id, currency, part",
		"SELECT dealer_id, currency, part, MIN(id), MAX(id) FROM (SELECT k.dealer_id, "
		"x.currency, k.id, FLOOR((ROW_NUMBER() OVER (PARTITION BY k.dealer_id, x.currency "
		"ORDER BY k.id) - 1) / ?) + 1 AS part FROM cancellations x JOIN contracts k ON "
		"k.id = x.contract_id WHERE x.cancellation_date >= ? AND x.cancellation_date < ? "
		"AND x.commission_chargeback > 0 AND x.charged_back_by = '' "
		"AND (? IS NULL OR k.dealer_id = ?)) t "
		"GROUP BY dealer_id, currency, part ORDER BY dealer_id, currency, part",
		/* Installments: contracts sold before the period's end, whose
		 * installments reach into it, and not cancelled (a cancellation
		 * settles what is left). ? + 0 keeps the period's first day. */
		"SELECT dealer_id, currency, part, MIN(id), MAX(id) FROM (SELECT dealer_id, "
		"currency, id, FLOOR((ROW_NUMBER() OVER (PARTITION BY dealer_id, currency "
		"ORDER BY id) - 1) / ?) + 1 AS part FROM contracts WHERE installments > 1 AND "
		"sale_date < ? AND PERIOD_DIFF(EXTRACT(YEAR_MONTH FROM ?), "
		"EXTRACT(YEAR_MONTH FROM sale_date)) < installments AND cancelled_on IS NULL "
		"AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.source = CONCAT('installment:', "
		"contracts.id, ':', PERIOD_DIFF(EXTRACT(YEAR_MONTH FROM ?), "
		"EXTRACT(YEAR_MONTH FROM sale_date)) + 1)) AND (? IS NULL OR dealer_id = ?)) t "
		"GROUP BY dealer_id, currency, part ORDER BY dealer_id, currency, part",
		"SELECT dealer_id, currency, part, MIN(id), MAX(id) FROM (SELECT dealer_id, "
		"currency, id, FLOOR((ROW_NUMBER() OVER (PARTITION BY dealer_id, currency "
		"ORDER BY id) - 1) / ?) + 1 AS part FROM claims WHERE " CLAIMS_AWAITING
		" AND (? IS NULL OR dealer_id = ?)) t "
		"GROUP BY dealer_id, currency, part ORDER BY dealer_id, currency, part",
	};
	size_t cap = 16;

	*out = xcalloc(cap, sizeof **out);
	*n = 0;
	for (int k = 0; k < RUN_KINDS; k++) {
		db_rows *r = k == RUN_INSTALLMENT ?
		    db_query(db, sql[k], "dDDDss", max_lines, to, from, from, dealer_id, dealer_id) :
		    db_query(db, sql[k], "dDDss", max_lines, from, to, dealer_id, dealer_id);
		int more;
		if (r == NULL)
			return fail(db, "planning the run", err, errlen);
		while ((more = db_rows_next(r)) == 1) {
			if (*n == cap) {
				cap *= 2;
				*out = xreallocarray(*out, cap, sizeof **out);
			}
			run_item *it = &(*out)[*n];
			memset(it, 0, sizeof *it);
			it->seq = (int)++*n;
			snprintf(it->dealer_id, sizeof it->dealer_id, "%s", db_rows_str(r, 0));
			snprintf(it->currency, sizeof it->currency, "%s", db_rows_str(r, 1));
			it->part = (int)db_rows_int(r, 2);
			it->first_id = db_rows_int(r, 3);
			it->last_id = db_rows_int(r, 4);
			it->kind = (run_kind)k;
		}
		db_rows_free(r);
		if (more < 0)
			return fail(db, "planning the run", err, errlen);
	}
	return 0;
}

static int
check_scope(db_conn *db, const char *period, const char *dealer_id, date_t *from, date_t *to,
    char *err, size_t errlen)
{
	dealer d;
	int r;

	if (run_period_parse(period, from, to) != 0) {
		snprintf(err, errlen, "'%s' is not a period: YYYY-MM", period ? period : "");
		return 1;
	}
	if (dealer_id == NULL)
		return 0;
	r = dealer_get(db, dealer_id, &d, err, errlen);
	if (r < 0)
		return -1;
	if (r == 0) {
		snprintf(err, errlen, "there is no dealer %s", dealer_id);
		return 1;
	}
	return 0;
}

typedef struct start_txn {
	const char *period, *scope, *dealer_id, *actor;
	int max_lines;
	date_t from, to;
	int64_t id;
	char *err;
	size_t errlen;
} start_txn;

static int
start_in_txn(db_conn *db, void *arg)
{
	start_txn *t = arg;
	run_item *items = NULL;
	size_t n = 0;
	char detail[200];
	int found;

	/* A run of this period and scope already there is the one to go on with. */
	int64_t seq0 = 0;
	char state[16] = "";
	db_rows *r = db_query(db, "SELECT r.id, r.state, (SELECT COALESCE(MAX(seq), 0) FROM "
	    "billing_run_items WHERE run_id = r.id) FROM billing_runs r WHERE period = ? AND "
	    "scope = ? FOR UPDATE", "ss", t->period, t->scope);

	if (r == NULL)
		return fail(db, "reading billing runs", t->err, t->errlen);
	if ((found = db_rows_next(r)) == 1) {
		t->id = db_rows_int(r, 0);
		snprintf(state, sizeof state, "%s", db_rows_str(r, 1));
		seq0 = db_rows_int(r, 2);
	}
	db_rows_free(r);
	if (found < 0)
		return fail(db, "reading billing runs", t->err, t->errlen);
	/* A run still running goes on as planned; a finished one is opened
	 * again for what was registered or cancelled in its month since. */
	if (found == 1 && strcmp(state, "running") == 0)
		return 0;
	if (plan_items(db, t->from, t->to, t->dealer_id, t->max_lines, &items, &n, t->err,
	    t->errlen) != 0)
		return -1;
	if (found == 1 && n == 0) {
		free(items);
		return 0;
	}
	if (found == 1) {
		if (db_exec(db, "UPDATE billing_runs SET state = 'running', total = total + ?, "
		    "finished_at = NULL WHERE id = ?", "di", (int)n, t->id) < 0) {
			free(items);
			return fail(db, "reopening the run", t->err, t->errlen);
		}
	} else {
		if (db_exec(db, "INSERT INTO billing_runs (period, scope, state, total, started_by) "
		    "VALUES (?, ?, ?, ?, ?)", "sssds", t->period, t->scope, n ? "running" : "done",
		    (int)n, t->actor) < 0) {
			free(items);
			return fail(db, "starting the run", t->err, t->errlen);
		}
		t->id = (int64_t)db_last_insert_id(db);
	}
	for (size_t i = 0; i < n; i++)
		items[i].seq += (int)seq0;
	for (size_t i = 0; i < n; i++)
		if (db_exec(db, "INSERT INTO billing_run_items (run_id, seq, dealer_id, kind, currency, "
		    "part, first_id, last_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "idsssdii", t->id,
		    items[i].seq, items[i].dealer_id, run_kind_name(items[i].kind), items[i].currency,
		    items[i].part, items[i].first_id, items[i].last_id) < 0) {
			free(items);
			return fail(db, "planning the run", t->err, t->errlen);
		}
	free(items);
	snprintf(detail, sizeof detail, "period=%s scope=%s items=%zu", t->period, t->scope, n);
	return audit_append(db, t->actor, "billing_run.start", "billing_run", t->period, detail,
	    t->err, t->errlen) == 0 ? 0 : -1;
}

int
run_start(db_conn *db, const billing_settings *bs, const char *period, const char *dealer_id,
    const char *actor, int64_t *id, char *err, size_t errlen)
{
	start_txn t = { .period = period, .scope = dealer_id ? dealer_id : "*",
		.dealer_id = dealer_id, .actor = actor, .max_lines = bs->run_invoice_lines,
		.err = err, .errlen = errlen };
	int r;

	if ((r = check_scope(db, period, dealer_id, &t.from, &t.to, err, errlen)) != 0)
		return r;
	r = db_transaction(db, RUN_TXN_ATTEMPTS, start_in_txn, &t);
	*id = t.id;
	return r;
}

/* ------------------------------------------------------------------------
 * One item: its invoice
 * ------------------------------------------------------------------------ */

/* The lines of an item's invoice, read from contracts or cancellations. */
static int
item_lines(db_conn *db, date_t from, date_t to, const run_item *it, invoice *inv, char *err,
    size_t errlen)
{
	static const char *const sql[2] = {
		"SELECT number, plan_code, dealer_cost, tax_category, tax_rate FROM contracts "
		"WHERE dealer_id = ? AND currency = ? AND sale_date >= ? AND sale_date < ? "
		"AND id BETWEEN ? AND ? AND remitted_by = '' ORDER BY id FOR UPDATE",
		"SELECT k.number, k.plan_code, x.commission_chargeback, k.tax_category, k.tax_rate "
		"FROM cancellations x JOIN contracts k ON k.id = x.contract_id WHERE k.dealer_id = ? "
		"AND x.currency = ? AND x.cancellation_date >= ? AND x.cancellation_date < ? "
		"AND x.commission_chargeback > 0 AND k.id BETWEEN ? AND ? "
		"AND x.charged_back_by = '' ORDER BY k.id FOR UPDATE",
	};
	static const char *const codes[4] = { "S", "Z", "E", "AE" };
	db_rows *r = db_query(db, sql[it->kind], "ssDDii", it->dealer_id, it->currency, from, to,
	    it->first_id, it->last_id);
	size_t cap;
	int more;

	if (r == NULL)
		return fail(db, "reading the run's contracts", err, errlen);
	cap = db_rows_count(r);
	inv->lines = xcalloc(cap + 1, sizeof *inv->lines);
	while ((more = db_rows_next(r)) == 1 && inv->nlines < cap) {
		invoice_line *l = &inv->lines[inv->nlines++];
		l->kind = CD_LINE_FEE;
		snprintf(l->item_code, sizeof l->item_code, "%s", db_rows_str(r, 1));
		snprintf(l->item_name, sizeof l->item_name, "%s, contract %s",
		    it->kind == RUN_REMITTANCE ? "Dealer cost" : "Commission charged back",
		    db_rows_str(r, 0));
		l->quantity = (rate){ 1, 0 };
		l->net = l->unit_price = db_rows_int(r, 2);
		snprintf(l->unit_code, sizeof l->unit_code, "%s", invoice_unit_for_kind(l->kind));
		for (int k = 0; k < 4; k++)
			if (strcmp(db_rows_str(r, 3), codes[k]) == 0)
				l->tax_category = (cd_tax_category)k;
		if (rate_parse(db_rows_str(r, 4), &l->tax_rate) != MONEY_OK)
			l->tax_rate = (rate){ 0, 0 };
	}
	db_rows_free(r);
	if (more < 0)
		return fail(db, "reading the run's contracts", err, errlen);
	return 0;
}

/* The lines of a settlement item: each awaiting claim's settlement lines.
 * The claims are locked, so a claim decided meanwhile waits for the next
 * run and none is settled twice. */
static int
settlement_lines(db_conn *db, const billing_settings *bs, date_t from, date_t to,
    const run_item *it, invoice *inv, char *err, size_t errlen)
{
	db_rows *r = db_query(db, "SELECT number FROM claims WHERE dealer_id = ? AND currency = ? "
	    "AND " CLAIMS_AWAITING " AND id BETWEEN ? AND ? ORDER BY id FOR UPDATE", "ssDDii",
	    it->dealer_id, it->currency, from, to, it->first_id, it->last_id);
	char (*numbers)[CLAIM_NUMBER_MAX + 1];
	size_t n = 0;
	int more, rc = 0;

	if (r == NULL)
		return fail(db, "reading the run's claims", err, errlen);
	numbers = xcalloc(db_rows_count(r) + 1, sizeof *numbers);
	while ((more = db_rows_next(r)) == 1)
		snprintf(numbers[n++], sizeof numbers[0], "%s", db_rows_str(r, 0));
	db_rows_free(r);
	if (more < 0)
		rc = fail(db, "reading the run's claims", err, errlen);
	inv->lines = xcalloc(1, sizeof *inv->lines);
	for (size_t i = 0; i < n && rc == 0; i++) {
		claim_record *c = xmalloc(sizeof *c);
		claim_line *lines = NULL;
		size_t nlines = 0;
		int found = claim_find(db, NULL, numbers[i], false, c, &lines, &nlines, err, errlen);
		if (found != 1) {
			if (found == 0)
				snprintf(err, errlen, "claim %s is gone", numbers[i]);
			rc = -1;
		} else {
			build_settlement_add_claim(inv, c, lines, nlines, &bs->tax);
		}
		free(lines);
		free(c);
	}
	free(numbers);
	return rc;
}

/* The item's invoice, ready to issue. */
static int
item_invoice(db_conn *db, const billing_settings *bs, const char *period, const run_item *it,
    invoice *inv, char *err, size_t errlen)
{
	date_t from, to;
	int r;

	static const char *const notes[RUN_KINDS] = {
		[RUN_REMITTANCE] = "Remittance of the dealer cost of contracts sold in",
		[RUN_CHARGEBACK] = "Commission charged back on contracts cancelled in",
		[RUN_SETTLEMENT] = "Warranty settlement of the claims decided in",
	};
	static const invoice_origin origins[RUN_KINDS] = {
		[RUN_REMITTANCE] = ORIGIN_REMITTANCE,
		[RUN_CHARGEBACK] = ORIGIN_CHARGEBACK,
		[RUN_SETTLEMENT] = ORIGIN_CLAIM_SETTLEMENT,
	};

	memset(inv, 0, sizeof *inv);
	run_period_parse(period, &from, &to);
	inv->type = it->kind == RUN_SETTLEMENT ? INVOICE_CREDIT_NOTE : INVOICE_COMMERCIAL;
	inv->origin = origins[it->kind];
	inv->issue_date = date_today();
	snprintf(inv->currency, sizeof inv->currency, "%s", it->currency);
	snprintf(inv->dealer_id, sizeof inv->dealer_id, "%s", it->dealer_id);
	snprintf(inv->buyer_reference, sizeof inv->buyer_reference, "%s", period);
	snprintf(inv->note, sizeof inv->note, "%s %s, part %d", notes[it->kind], period, it->part);
	r = party_from_dealer(db, it->dealer_id, bs, &inv->buyer, err, errlen);
	if (r <= 0) {
		if (r == 0)
			snprintf(err, errlen, "dealer %s is gone", it->dealer_id);
		return -1;
	}
	if (it->kind == RUN_SETTLEMENT)
		return settlement_lines(db, bs, from, to, it, inv, err, errlen);
	return item_lines(db, from, to, it, inv, err, errlen);
}

static void
item_source(const char *period, const run_item *it, char out[96])
{
	snprintf(out, 96, "run:%s:%s:%s:%s:%lld", period, run_kind_name(it->kind), it->dealer_id,
	    it->currency, (long long)it->first_id);
}

typedef struct item_txn {
	const billing_settings *bs;
	int64_t run_id;
	const char *period, *actor;
	run_item it;
	char *err;
	size_t errlen;
} item_txn;

/* The installment invoices of an item: one to the buyer of each contract of
 * its id range that owes the period's installment. Issues them, setting
 * *issued to the number issued now (those issued before count as done) and
 * last to the last number; or, with dry set, only adds each one's amounts
 * to the item (a preview). Returns 0, ISSUE_REFUSED or -1. */
static int
installments(db_conn *db, const billing_settings *bs, const char *period, run_item *it,
    bool dry, int *issued, char last[INVOICE_NUMBER_MAX + 1], char *err, size_t errlen)
{
	date_t from, to;
	db_rows *r;
	char (*numbers)[33] = NULL;
	int *ks = NULL, rc = 0, more;
	size_t n = 0;

	*issued = 0;
	run_period_parse(period, &from, &to);
	r = db_query(db, "SELECT number, PERIOD_DIFF(EXTRACT(YEAR_MONTH FROM ?), "
	    "EXTRACT(YEAR_MONTH FROM sale_date)) + 1 FROM contracts WHERE dealer_id = ? AND "
	    "currency = ? AND id BETWEEN ? AND ? AND installments > 1 AND sale_date < ? AND "
	    "PERIOD_DIFF(EXTRACT(YEAR_MONTH FROM ?), EXTRACT(YEAR_MONTH FROM sale_date)) < "
	    "installments AND cancelled_on IS NULL ORDER BY id", "DssiiDD", from, it->dealer_id,
	    it->currency, it->first_id, it->last_id, to, from);
	if (r == NULL)
		return fail(db, "reading the installments", err, errlen);
	numbers = xcalloc(db_rows_count(r) + 1, sizeof *numbers);
	ks = xcalloc(db_rows_count(r) + 1, sizeof *ks);
	while ((more = db_rows_next(r)) == 1) {
		snprintf(numbers[n], sizeof numbers[n], "%s", db_rows_str(r, 0));
		ks[n++] = (int)db_rows_int(r, 1);
	}
	db_rows_free(r);
	if (more < 0)
		rc = fail(db, "reading the installments", err, errlen);
	for (size_t i = 0; i < n && rc == 0; i++) {
		contract c;
		plan *p = NULL;
		invoice inv;
		char source[96], *ubl = NULL;
		size_t len;
		if (contract_find(db, NULL, numbers[i], false, &c, err, errlen) != 1 ||
		    plan_load(db, c.plan_code, c.plan_version, &p, err, errlen) != 1) {
			rc = -1;
			break;
		}
		if (build_installment(&c, p->name, ks[i], date_today(), &inv) == 0) {
			plan_free(p);
			continue;
		}
		plan_free(p);
		snprintf(source, sizeof source, "installment:%lld:%d", (long long)c.id, ks[i]);
		if (dry) {
			if ((rc = invoice_compute_totals(&inv, err, errlen)) == 0) {
				it->lines++;
				it->net += inv.totals.tax_exclusive;
				it->tax += inv.totals.tax_total;
				it->total += inv.totals.tax_inclusive;
			}
			invoice_free(&inv);
			continue;
		}
		rc = invoice_issue(db, bs, &inv, source, &ubl, &len, err, errlen);
		free(ubl);
		if (rc == 0)
			++*issued;
		if (rc == 0 || rc == ISSUE_EXISTS) {
			snprintf(last, INVOICE_NUMBER_MAX + 1, "%s", inv.number);
			rc = 0;
		}
		invoice_free(&inv);
	}
	free(numbers);
	free(ks);
	return rc;
}

/* Records the item's invoice on the contracts (cancellations, claims) it
 * billed, so no later run bills them again. remitted_by and charged_back_by
 * are '' until then: fixed-width CHAR(32) columns, so the mark overwrites
 * the row in place (migration 0008). */
static int
mark_billed(db_conn *db, const item_txn *t, const char *number)
{
	date_t from, to;

	run_period_parse(t->period, &from, &to);
	if (t->it.kind == RUN_SETTLEMENT)
		return db_exec(db, "UPDATE claims SET settlement_note = ? WHERE dealer_id = ? AND "
		    "currency = ? AND " CLAIMS_AWAITING " AND id BETWEEN ? AND ?", "sssDDii", number,
		    t->it.dealer_id, t->it.currency, from, to, t->it.first_id, t->it.last_id) < 0 ?
		    -1 : 0;
	if (t->it.kind == RUN_REMITTANCE)
		return db_exec(db, "UPDATE contracts SET remitted_by = ? WHERE dealer_id = ? AND "
		    "currency = ? AND sale_date >= ? AND sale_date < ? AND id BETWEEN ? AND ? AND "
		    "remitted_by = ''", "sssDDii", number, t->it.dealer_id, t->it.currency, from,
		    to, t->it.first_id, t->it.last_id) < 0 ? -1 : 0;
	return db_exec(db, "UPDATE cancellations x JOIN contracts k ON k.id = x.contract_id "
	    "SET x.charged_back_by = ? WHERE k.dealer_id = ? AND x.currency = ? AND "
	    "x.cancellation_date >= ? AND x.cancellation_date < ? AND "
	    "x.commission_chargeback > 0 AND k.id BETWEEN ? AND ? AND x.charged_back_by = ''",
	    "sssDDii", number, t->it.dealer_id, t->it.currency, from, to, t->it.first_id,
	    t->it.last_id) < 0 ? -1 : 0;
}

static int
item_in_txn(db_conn *db, void *arg)
{
	item_txn *t = arg;
	invoice inv;
	char source[96], *ubl = NULL, state[16] = "", detail[300];
	size_t len;
	db_rows *r;
	int rc, more;

	/* The item, locked: a concurrent runner of the same run waits here. */
	r = db_query(db, "SELECT state FROM billing_run_items WHERE run_id = ? AND seq = ? "
	    "FOR UPDATE", "id", t->run_id, t->it.seq);
	if (r == NULL)
		return fail(db, "reading the run item", t->err, t->errlen);
	if ((more = db_rows_next(r)) == 1)
		snprintf(state, sizeof state, "%s", db_rows_str(r, 0));
	db_rows_free(r);
	if (more < 0)
		return fail(db, "reading the run item", t->err, t->errlen);
	if (strcmp(state, "pending") != 0)
		return 0;
	if (t->it.kind == RUN_INSTALLMENT) {
		int issued;
		memset(&inv, 0, sizeof inv);
		if ((rc = installments(db, t->bs, t->period, &t->it, false, &issued, inv.number,
		    t->err, t->errlen)) != 0)
			return rc;
		/* Counted as invoices and lines both: one line each. */
		inv.nlines = (size_t)issued;
		rc = issued > 0 ? 0 : ISSUE_EXISTS;
	} else {
		if (item_invoice(db, t->bs, t->period, &t->it, &inv, t->err, t->errlen) != 0)
			return -1;
		item_source(t->period, &t->it, source);
		if (inv.nlines == 0) {
			rc = ISSUE_EXISTS;    /* billed meanwhile, by a run of another scope */
		} else {
			rc = invoice_issue(db, t->bs, &inv, source, &ubl, &len, t->err, t->errlen);
			free(ubl);
			if (rc == 0 && (rc = mark_billed(db, t, inv.number)) != 0)
				rc = fail(db, "recording what the invoice billed", t->err, t->errlen);
		}
	}
	if (rc == 0 || rc == ISSUE_EXISTS) {
		snprintf(t->it.invoice_number, sizeof t->it.invoice_number, "%s", inv.number);
		t->it.lines = (int)inv.nlines;
		snprintf(detail, sizeof detail, "run=%lld dealer=%s kind=%s invoice=%s",
		    (long long)t->run_id, t->it.dealer_id, run_kind_name(t->it.kind), inv.number);
		if (db_exec(db, "UPDATE billing_run_items SET state = 'done', invoice_number = ?, "
		    "invoice_lines = ? WHERE run_id = ? AND seq = ?", "sdid", inv.number,
		    (int)inv.nlines, t->run_id, t->it.seq) < 0 ||
		    db_exec(db, "UPDATE billing_runs SET done = done + 1, invoices = invoices + ?, "
		    "invoice_lines = invoice_lines + ? WHERE id = ?", "dii",
		    rc != 0 ? 0 : t->it.kind == RUN_INSTALLMENT ? (int)inv.nlines : 1,
		    rc == 0 ? (int64_t)inv.nlines : 0, t->run_id) < 0 ||
		    db_exec(db, "UPDATE billing_runs SET state = 'done', finished_at = "
		    "UTC_TIMESTAMP(6) WHERE id = ? AND state = 'running' AND done >= total", "i",
		    t->run_id) < 0)
			rc = fail(db, "recording the run item", t->err, t->errlen);
		else if (rc == 0)
			rc = audit_append(db, t->actor, "billing_run.invoice", "invoice", inv.number,
			    detail, t->err, t->errlen) == 0 ? 0 : -1;
		else
			rc = 0;
	}
	invoice_free(&inv);
	return rc;
}

/* The run's pending items, in plan order. */
static int
pending_items(db_conn *db, int64_t id, run_item **out, size_t *n, char *err, size_t errlen)
{
	db_rows *r = db_query(db, "SELECT seq, dealer_id, kind, currency, part, first_id, last_id "
	    "FROM billing_run_items WHERE run_id = ? AND state = 'pending' ORDER BY seq", "i", id);
	size_t cap;
	int more;

	*out = NULL;
	*n = 0;
	if (r == NULL)
		return fail(db, "reading the run", err, errlen);
	cap = db_rows_count(r);
	*out = xcalloc(cap + 1, sizeof **out);
	while ((more = db_rows_next(r)) == 1 && *n < cap) {
		run_item *it = &(*out)[(*n)++];
		it->seq = (int)db_rows_int(r, 0);
		snprintf(it->dealer_id, sizeof it->dealer_id, "%s", db_rows_str(r, 1));
		it->kind = run_kind_parse(db_rows_str(r, 2));
		snprintf(it->currency, sizeof it->currency, "%s", db_rows_str(r, 3));
		it->part = (int)db_rows_int(r, 4);
		it->first_id = db_rows_int(r, 5);
		it->last_id = db_rows_int(r, 6);
	}
	db_rows_free(r);
	if (more < 0)
		return fail(db, "reading the run", err, errlen);
	return 0;
}

int
run_execute(db_conn *db, const billing_settings *bs, int64_t id, const char *actor,
    atomic_bool *stop, run_progress_fn progress, void *arg, char *err, size_t errlen)
{
	run_status st;
	run_item *items = NULL;
	size_t n = 0;
	int r;

	if ((r = run_read(db, id, false, &st, err, errlen)) <= 0) {
		if (r == 0)
			snprintf(err, errlen, "there is no billing run %lld", (long long)id);
		return r < 0 ? -1 : 1;
	}
	if (pending_items(db, id, &items, &n, err, errlen) != 0)
		return -1;
	if (progress)
		progress(arg, st.done, st.total);
	r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		item_txn t = { .bs = bs, .run_id = id, .period = st.period, .actor = actor,
			.it = items[i], .err = err, .errlen = errlen };
		if (stop != NULL && atomic_load(stop))
			break;
		fault_pause("billing-run-item");
		r = db_transaction(db, RUN_TXN_ATTEMPTS, item_in_txn, &t);
		if (r == 0 && progress) {
			run_status now;
			if (run_read(db, id, false, &now, err, errlen) == 1)
				progress(arg, now.done, now.total);
		}
	}
	free(items);
	return r;
}

int
run_read(db_conn *db, int64_t id, bool with_items, run_status *out, char *err, size_t errlen)
{
	db_rows *r = db_query(db, "SELECT period, scope, state, total, done, invoices, "
	    "invoice_lines FROM billing_runs WHERE id = ?", "i", id);
	int found, more;

	memset(out, 0, sizeof *out);
	if (r == NULL)
		return fail(db, "reading the run", err, errlen);
	found = db_rows_next(r);
	if (found == 1) {
		out->id = id;
		snprintf(out->period, sizeof out->period, "%s", db_rows_str(r, 0));
		snprintf(out->scope, sizeof out->scope, "%s", db_rows_str(r, 1));
		out->finished = strcmp(db_rows_str(r, 2), "done") == 0;
		out->total = (int)db_rows_int(r, 3);
		out->done = (int)db_rows_int(r, 4);
		out->invoices = (int)db_rows_int(r, 5);
		out->invoice_lines = db_rows_int(r, 6);
	}
	db_rows_free(r);
	if (found <= 0)
		return found < 0 ? fail(db, "reading the run", err, errlen) : 0;
	if (!with_items)
		return 1;
	r = db_query(db, "SELECT it.seq, it.dealer_id, it.kind, it.currency, it.state, "
	    "COALESCE(it.invoice_number, ''), it.invoice_lines, it.part, "
	    "COALESCE(i.line_total, 0), COALESCE(i.tax_total, 0), COALESCE(i.total, 0) "
	    "FROM billing_run_items it LEFT JOIN invoices i ON i.number = it.invoice_number "
	    "AND it.kind <> 'installment' WHERE it.run_id = ? ORDER BY it.seq", "i", id);
	if (r == NULL)
		return fail(db, "reading the run", err, errlen);
	out->items = xcalloc(db_rows_count(r) + 1, sizeof *out->items);
	while ((more = db_rows_next(r)) == 1) {
		run_item *it = &out->items[out->nitems++];
		it->seq = (int)db_rows_int(r, 0);
		snprintf(it->dealer_id, sizeof it->dealer_id, "%s", db_rows_str(r, 1));
		it->kind = run_kind_parse(db_rows_str(r, 2));
		snprintf(it->currency, sizeof it->currency, "%s", db_rows_str(r, 3));
		it->done = strcmp(db_rows_str(r, 4), "done") == 0;
		snprintf(it->invoice_number, sizeof it->invoice_number, "%s", db_rows_str(r, 5));
		it->lines = (int)db_rows_int(r, 6);
		it->part = (int)db_rows_int(r, 7);
		it->net = db_rows_int(r, 8);
		it->tax = db_rows_int(r, 9);
		it->total = db_rows_int(r, 10);
	}
	db_rows_free(r);
	if (more < 0) {
		run_status_free(out);
		return fail(db, "reading the run", err, errlen);
	}
	return 1;
}

int
run_preview(db_conn *db, const billing_settings *bs, const char *period, const char *dealer_id,
    run_status *out, char *err, size_t errlen)
{
	date_t from, to;
	int r;

	memset(out, 0, sizeof *out);
	if ((r = check_scope(db, period, dealer_id, &from, &to, err, errlen)) != 0)
		return r;
	snprintf(out->period, sizeof out->period, "%s", period);
	snprintf(out->scope, sizeof out->scope, "%s", dealer_id ? dealer_id : "*");
	if (plan_items(db, from, to, dealer_id, bs->run_invoice_lines, &out->items, &out->nitems,
	    err, errlen) != 0)
		return -1;
	out->total = (int)out->nitems;
	for (size_t i = 0; i < out->nitems; i++) {
		run_item *it = &out->items[i];
		invoice inv;
		char source[96], last[INVOICE_NUMBER_MAX + 1] = "";
		int none;
		if (it->kind == RUN_INSTALLMENT) {
			if ((r = installments(db, bs, period, it, true, &none, last, err, errlen)) != 0)
				return r;
			out->invoice_lines += it->lines;
			continue;
		}
		if (item_invoice(db, bs, period, it, &inv, err, errlen) != 0)
			return -1;
		item_source(period, it, source);
		if (invoice_for_source(db, source, it->invoice_number, err, errlen) < 0) {
			invoice_free(&inv);
			return -1;
		}
		it->done = it->invoice_number[0] != '\0';
		if ((r = invoice_compute_totals(&inv, err, errlen)) != 0) {
			invoice_free(&inv);
			return r;
		}
		it->lines = (int)inv.nlines;
		it->net = inv.totals.tax_exclusive;
		it->tax = inv.totals.tax_total;
		it->total = inv.totals.tax_inclusive;
		out->invoice_lines += (int64_t)inv.nlines;
		invoice_free(&inv);
	}
	return 0;
}
