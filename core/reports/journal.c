/* journal — the general-ledger journal of a range of days (see report.h
 * and ledger.h).
 *
 * Entries, in five sections, each balanced on its own:
 *
 *   invoice:NUMBER     an invoice issued in the range: receivable debit
 *                      (its total); each line's net credited to the
 *                      line's account; the tax to vat_payable. A credit
 *                      note is the mirror image. Line accounts:
 *                        origin.NAME configured   that account
 *                        contract-sale            unearned_revenue
 *                        cancellation             cancellations
 *                        claim-settlement         claims_payable
 *                        remittance, chargeback   dealer_clearing
 *                        correction               as the corrected invoice
 *                        claim-customer, repair,  by line kind: labor and
 *                        parts-order                travel revenue_labor, part
 *                                                   revenue_parts, core-deposit
 *                                                   core_deposits, fee
 *                                                   revenue_fees, discount
 *                                                   discounts
 *                        any other origin         revenue_other
 *   claim:NUMBER       a claim decided in the range: claims_expense (what
 *                      the service contract pays) and warranty_expense
 *                      (lines under the manufacturer's warranty) debit,
 *                      claims_payable credit (the claim's covered amount)
 *   payment:ID         money received in the range, on its date: cash
 *                      debit (the amount); receivable credit for what was
 *                      allocated to invoices that day; unapplied_cash
 *                      credit for the rest
 *   apply:ALLOCATION   received money allocated on a later day (unapplied
 *                      cash applied, or an invoice issued after the
 *                      payment), on that day: unapplied_cash debit,
 *                      receivable credit
 *   refund:ID          money paid back against a credit note, on its date:
 *                      receivable debit (the credit note credited it),
 *                      cash credit
 *   setoff:ID          a credit note set off against invoices (two payments
 *                      of method set-off; ID the received half): no cash,
 *                      and both sides are receivable, so no entry — but
 *                      for what was allocated to an invoice issued after
 *                      the set-off's day: receivable debit, unapplied_cash
 *                      credit, until apply: moves it on that day
 *   reversal:ID        a payment reversed in the range, on the reversal's
 *                      day, undoing what the entries above booked for it:
 *                      money received — cash credit (the amount),
 *                      receivable debit (what its allocations had
 *                      settled), unapplied_cash debit (the rest); a refund
 *                      — cash debit, receivable credit; a set-off (once,
 *                      ID its received half) — unapplied_cash debit and
 *                      receivable credit of what its received half had
 *                      not allocated (usually nothing: no entry)
 *   cancel:CONTRACT    a contract cancelled in the range: the unearned
 *                      released (earning.h) from unearned_revenue to
 *                      cancellations; the refund's credit note debits
 *                      cancellations, so what stays there is what the
 *                      warrantor kept (fee, claims deducted)
 *   earn:PERIOD:PLAN:CURRENCY
 *                      the price earned in a month of the range (or the
 *                      part of a month the range covers) by the plan's
 *                      contracts: unearned_revenue debit,
 *                      revenue_contracts credit, dated the period's last
 *                      day
 *
 * Money follows its allocations' applied_on (payments.h), the day the
 * aging report counts them from, and a reversal's date, from which the
 * aging counts none of the reversed payment (a reversal is never dated
 * before an allocation of its payment, so every allocation it undoes is
 * booked by then), so summed up to any day unapplied_cash is the aging's
 * unapplied cash and receivable its open invoices less open credit notes
 * (but a refund dated before its credit note was issued leads the aging
 * until that issue date).
 *
 * Amounts are positive in the debit or the credit column, the other one
 * empty. */
#include "reports/report.h"
#include "reports/scan.h"
#include "base/money.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct journal {
	db_conn *db;
	const report_request *rq;
	const ledger_accounts *acc;
	const report_sink *sink;
	char *err;
	size_t errlen;
	int64_t entries;
	int64_t suspense;     /* entries that needed the suspense account */
} journal;

/* Writes entry e's lines. Returns 0 or -1 (err set). */
static int
write_entry(journal *j, ledger_entry *e, date_t date, const char *id, const char *currency,
    const char *reference, const char *text)
{
	char day[11];
	int st = ledger_entry_finish(e, j->acc->account[ACC_SUSPENSE]);

	if (st < 0) {
		snprintf(j->err, j->errlen, "journal entry %s: an amount does not fit", id);
		return -1;
	}
	if (st > 0)
		j->suspense++;
	date_format(date, day);
	for (size_t i = 0; i < e->n; i++) {
		int64_t a = e->lines[i].amount;
		char amount[32];
		const char *cells[8];

		if (a == INT64_MIN ||
		    money_format(a < 0 ? -a : a, currency, amount, sizeof amount) != MONEY_OK) {
			snprintf(j->err, j->errlen, "journal entry %s: cannot write %s amounts", id,
			    currency);
			return -1;
		}
		cells[0] = day;
		cells[1] = id;
		cells[2] = e->lines[i].account;
		cells[3] = a > 0 ? amount : "";
		cells[4] = a < 0 ? amount : "";
		cells[5] = currency;
		cells[6] = reference;
		cells[7] = text;
		if (j->sink->row(j->sink->arg, cells, 8) != 0) {
			snprintf(j->err, j->errlen, "the output failed");
			return -1;
		}
	}
	if (e->n > 0)
		j->entries++;
	return 0;
}

/* ------------------------------------------------------------------------
 * Invoices and credit notes
 * ------------------------------------------------------------------------ */

/* The account of a line of kind on an invoice of origin (see above);
 * preceding: the corrected invoice's origin for corrections. */
static const char *
line_account(const ledger_accounts *acc, const char *origin, const char *preceding,
    const char *kind)
{
	const char *a = ledger_origin_account_of(acc, origin);

	if (a != NULL)
		return a;
	if (strcmp(origin, "correction") == 0 && preceding != NULL && *preceding != '\0' &&
	    strcmp(preceding, "correction") != 0)
		return line_account(acc, preceding, NULL, kind);
	if (strcmp(origin, "contract-sale") == 0)
		return acc->account[ACC_UNEARNED_REVENUE];
	if (strcmp(origin, "cancellation") == 0)
		return acc->account[ACC_CANCELLATIONS];
	if (strcmp(origin, "claim-settlement") == 0)
		return acc->account[ACC_CLAIMS_PAYABLE];
	if (strcmp(origin, "remittance") == 0 || strcmp(origin, "chargeback") == 0)
		return acc->account[ACC_DEALER_CLEARING];
	if (strcmp(origin, "claim-customer") == 0 || strcmp(origin, "repair") == 0 ||
	    strcmp(origin, "parts-order") == 0 || strcmp(origin, "correction") == 0) {
		if (kind == NULL)
			return acc->account[ACC_REVENUE_OTHER];
		if (strcmp(kind, "labor") == 0 || strcmp(kind, "travel") == 0)
			return acc->account[ACC_REVENUE_LABOR];
		if (strcmp(kind, "part") == 0)
			return acc->account[ACC_REVENUE_PARTS];
		if (strcmp(kind, "core-deposit") == 0)
			return acc->account[ACC_CORE_DEPOSITS];
		if (strcmp(kind, "fee") == 0)
			return acc->account[ACC_REVENUE_FEES];
		if (strcmp(kind, "discount") == 0)
			return acc->account[ACC_DISCOUNTS];
	}
	return acc->account[ACC_REVENUE_OTHER];
}

typedef struct inv_head {
	int64_t id;
	char number[40];
	bool credit;
	char origin[40];
	char preceding_origin[40];
	char preceding[40];
	date_t issue_date;
	char currency[4];
	int64_t tax, total;
} inv_head;

static int
finish_invoice(journal *j, const inv_head *h, ledger_entry *e)
{
	char id[64], text[128];
	int64_t sign = h->credit ? -1 : 1;

	ledger_entry_add(e, j->acc->account[ACC_VAT_PAYABLE], -sign * h->tax);
	ledger_entry_add(e, j->acc->account[ACC_RECEIVABLE], sign * h->total);
	snprintf(id, sizeof id, "invoice:%s", h->number);
	if (h->preceding[0] != '\0')
		snprintf(text, sizeof text, "%s %s, corrects %s", h->credit ? "credit note" : "invoice",
		    h->origin, h->preceding);
	else
		snprintf(text, sizeof text, "%s %s", h->credit ? "credit note" : "invoice", h->origin);
	return write_entry(j, e, h->issue_date, id, h->currency, h->number, text);
}

static int
invoices(journal *j)
{
	int64_t after = 0;

	for (;;) {
		int64_t last = INT64_MAX;
		int got = db_query_int(j->db, &last, "SELECT id FROM invoices WHERE id > ? AND "
		    "issue_date >= ? AND issue_date < ? ORDER BY id LIMIT 1 OFFSET ?", "iDDd", after,
		    j->rq->from, j->rq->to, (int)REPORT_PAGE - 1);
		db_rows *r;
		inv_head h;
		ledger_entry e;
		bool open = false;
		int rc = 0;

		if (got < 0)
			goto db_fail;
		if (got == 0)
			last = INT64_MAX;
		/* This page's invoices (at most REPORT_PAGE) with their lines'
		 * nets summed per kind, in id order. */
		r = db_query(j->db,
		    "SELECT i.id, i.number, i.type, i.origin, COALESCE(p.origin, ''), "
		    "COALESCE(i.preceding_number, ''), i.issue_date, i.currency, i.tax_total, "
		    "i.total, l.kind, SUM(l.net) FROM invoices i "
		    "LEFT JOIN invoices p ON p.number = i.preceding_number "
		    "LEFT JOIN invoice_lines l ON l.invoice_id = i.id "
		    "WHERE i.id > ? AND i.id <= ? AND i.issue_date >= ? AND i.issue_date < ? "
		    "GROUP BY i.id, l.kind ORDER BY i.id, l.kind", "iiDD", after, last, j->rq->from,
		    j->rq->to);
		if (r == NULL)
			goto db_fail;
		memset(&h, 0, sizeof h);
		while (rc == 0 && db_rows_next(r) == 1) {
			int64_t id = db_rows_int(r, 0);
			const char *kind = db_rows_str(r, 10);
			if (!open || id != h.id) {
				if (open && (rc = finish_invoice(j, &h, &e)) != 0)
					break;
				memset(&h, 0, sizeof h);
				h.id = id;
				snprintf(h.number, sizeof h.number, "%s", db_rows_str(r, 1));
				h.credit = strcmp(db_rows_str(r, 2), "credit-note") == 0;
				snprintf(h.origin, sizeof h.origin, "%s", db_rows_str(r, 3));
				snprintf(h.preceding_origin, sizeof h.preceding_origin, "%s",
				    db_rows_str(r, 4));
				snprintf(h.preceding, sizeof h.preceding, "%s", db_rows_str(r, 5));
				db_rows_date(r, 6, &h.issue_date);
				snprintf(h.currency, sizeof h.currency, "%s", db_rows_str(r, 7));
				h.tax = db_rows_int(r, 8);
				h.total = db_rows_int(r, 9);
				ledger_entry_init(&e);
				open = true;
			}
			if (kind != NULL)
				ledger_entry_add(&e, line_account(j->acc, h.origin, h.preceding_origin,
				    kind), (h.credit ? 1 : -1) * db_rows_int(r, 11));
		}
		if (rc == 0 && open)
			rc = finish_invoice(j, &h, &e);
		db_rows_free(r);
		if (rc != 0)
			return -1;
		if (last == INT64_MAX)
			return 0;
		after = last;
	}
db_fail:
	snprintf(j->err, j->errlen, "reading invoices: %s", db_error(j->db));
	return -1;
}

/* Calls fn for each row of sql — whose parameters are the last id seen,
 * the range's first and end day and the page size, and whose column 0 is
 * the id it pages by — a page at a time. Returns 0 or -1 (err set). */
static int
each_row(journal *j, const char *what, const char *sql, int (*fn)(journal *, db_rows *))
{
	int64_t after = 0;

	for (;;) {
		db_rows *r = db_query(j->db, sql, "iDDd", after, j->rq->from, j->rq->to,
		    (int)REPORT_PAGE);
		size_t rows = 0;
		int rc = 0, more = 0;

		if (r == NULL)
			goto failed;
		while (rc == 0 && (more = db_rows_next(r)) == 1) {
			rows++;
			after = db_rows_int(r, 0);
			rc = fn(j, r);
		}
		db_rows_free(r);
		if (rc != 0)
			return -1;
		if (more < 0)
			goto failed;
		if (rows < REPORT_PAGE)
			return 0;
	}
failed:
	snprintf(j->err, j->errlen, "reading %s: %s", what, db_error(j->db));
	return -1;
}

/* ------------------------------------------------------------------------
 * Claims
 * ------------------------------------------------------------------------ */

static int
claim_entry(journal *j, db_rows *r)
{
	int64_t covered = db_rows_int(r, 4), warranty = db_rows_int(r, 5);
	const char *number = db_rows_str(r, 1), *contract = db_rows_str(r, 6);
	char id[64], text[96];
	ledger_entry e;
	date_t day;

	db_rows_date(r, 2, &day);
	ledger_entry_init(&e);
	ledger_entry_add(&e, j->acc->account[ACC_CLAIMS_EXPENSE], covered - warranty);
	ledger_entry_add(&e, j->acc->account[ACC_WARRANTY_EXPENSE], warranty);
	ledger_entry_add(&e, j->acc->account[ACC_CLAIMS_PAYABLE], -covered);
	snprintf(id, sizeof id, "claim:%s", number);
	if (*contract)
		snprintf(text, sizeof text, "claim decided, contract %s", contract);
	else
		snprintf(text, sizeof text, "claim decided");
	return write_entry(j, &e, day, id, db_rows_str(r, 3), number, text);
}

static int
claims(journal *j)
{
	return each_row(j, "claims",
	    "SELECT c.id, c.number, DATE(c.created_at), c.currency, c.covered, "
	    "(SELECT COALESCE(SUM(l.covered), 0) FROM claim_lines l WHERE l.claim_id = c.id "
	    "AND l.coverage = 'manufacturer-warranty'), COALESCE(k.number, '') "
	    "FROM claims c LEFT JOIN contracts k ON k.id = c.contract_id "
	    "WHERE c.id > ? AND c.created_at >= ? AND c.created_at < ? "
	    "AND c.state IN ('approved', 'partially-approved', 'paid') "
	    "ORDER BY c.id LIMIT ?", claim_entry);
}

/* ------------------------------------------------------------------------
 * Money: payments received, refunds, set-offs, unapplied cash applied later,
 * reversals
 * ------------------------------------------------------------------------ */

/* Books money that moved into e, times sign (-1 undoes it: a reversal):
 * a payment received to cash, settled of it to receivable, the rest to
 * unapplied cash; a refund from cash to receivable; a set-off, where no
 * money moved (the credit note's side debits receivable, the invoices'
 * side credits it), only the part not settled, which waits in unapplied
 * cash for an invoice issued later. */
static void
book_money(journal *j, ledger_entry *e, bool refund, bool set_off, int64_t amount,
    int64_t settled, int sign)
{
	const ledger_accounts *acc = j->acc;

	if (set_off) {
		ledger_entry_add(e, acc->account[ACC_RECEIVABLE], sign * (amount - settled));
		ledger_entry_add(e, acc->account[ACC_UNAPPLIED_CASH], -sign * (amount - settled));
	} else if (refund) {
		ledger_entry_add(e, acc->account[ACC_RECEIVABLE], sign * amount);
		ledger_entry_add(e, acc->account[ACC_CASH], -sign * amount);
	} else {
		ledger_entry_add(e, acc->account[ACC_CASH], sign * amount);
		ledger_entry_add(e, acc->account[ACC_RECEIVABLE], -sign * settled);
		ledger_entry_add(e, acc->account[ACC_UNAPPLIED_CASH], -sign * (amount - settled));
	}
}

/* payment:ID, refund:ID or setoff:ID, dated the day of the payment. */
static int
payment_entry(journal *j, db_rows *r)
{
	bool refund = strcmp(db_rows_str(r, 1), "refund") == 0;
	bool set_off = db_rows_int(r, 8) != 0;
	int64_t id_num = db_rows_int(r, 0), amount = db_rows_int(r, 5);
	int64_t same_day = db_rows_int(r, 9);
	const char *kind = db_rows_str(r, 6), *payer = db_rows_str(r, 7);
	const char *credit_note = db_rows_str(r, 10) ? db_rows_str(r, 10) : "?";
	/* payments.payer: 400 characters of up to 4 bytes, never cut. */
	char id[64], text[1700];
	ledger_entry e;
	date_t day;

	if (set_off && refund)
		return 0; /* booked with its received half */
	db_rows_date(r, 3, &day);
	ledger_entry_init(&e);
	book_money(j, &e, refund, set_off, amount, same_day, 1);
	if (set_off) {
		snprintf(id, sizeof id, "setoff:%" PRId64, id_num);
		snprintf(text, sizeof text, "credit note %s set off against invoices of %s %s",
		    credit_note, kind, payer);
	} else if (refund) {
		snprintf(id, sizeof id, "refund:%" PRId64, id_num);
		snprintf(text, sizeof text, "refund to %s %s, credit note %s", kind, payer,
		    credit_note);
	} else {
		snprintf(id, sizeof id, "payment:%" PRId64, id_num);
		snprintf(text, sizeof text, "payment received from %s %s", kind, payer);
	}
	return write_entry(j, &e, day, id, db_rows_str(r, 4), db_rows_str(r, 2), text);
}

static int
payments(journal *j)
{
	/* Column 9: what the payment's allocations settled on its own day;
	 * the rest is unapplied then (applications() moves it later). Both
	 * count the allocations of reversed payments too: they are what
	 * happened until the reversal, whose reversal: entry undoes them on
	 * its day (a reversal is never dated before an allocation). Column
	 * 10: the credit note refunded, or set off: the refund of the payer
	 * with the same reference (unique per payer and direction; a
	 * set-off's two halves share theirs). 'set-off' is payments.h's
	 * PAYMENT_METHOD_SET_OFF (reports read tables, not billing's
	 * headers). */
	return each_row(j, "payments",
	    "SELECT p.id, p.direction, p.reference, p.received_date, p.currency, p.amount, "
	    "p.payer_kind, p.payer, p.method = 'set-off', "
	    "(SELECT COALESCE(SUM(a.amount), 0) FROM payment_allocations a "
	    "WHERE a.payment_id = p.id AND a.applied_on <= p.received_date), "
	    "IF(p.direction = 'refund' OR p.method = 'set-off', "
	    "(SELECT MIN(i.number) FROM payments h JOIN payment_allocations a "
	    "ON a.payment_id = h.id JOIN invoices i ON i.id = a.invoice_id "
	    "WHERE h.direction = 'refund' AND h.payer_kind = p.payer_kind "
	    "AND h.payer = p.payer AND h.reference = p.reference), NULL) "
	    "FROM payments p WHERE p.id > ? AND p.received_date >= ? AND p.received_date < ? "
	    "ORDER BY p.id LIMIT ?", payment_entry);
}

/* apply:ALLOCATION: received money allocated after the day it came in. */
static int
application_entry(journal *j, db_rows *r)
{
	int64_t amount = db_rows_int(r, 2);
	char id[64], text[128];
	ledger_entry e;
	date_t day;

	db_rows_date(r, 1, &day);
	ledger_entry_init(&e);
	ledger_entry_add(&e, j->acc->account[ACC_UNAPPLIED_CASH], amount);
	ledger_entry_add(&e, j->acc->account[ACC_RECEIVABLE], -amount);
	snprintf(id, sizeof id, "apply:%" PRId64, db_rows_int(r, 0));
	snprintf(text, sizeof text, "unapplied cash of payment %" PRId64 " applied to %s",
	    db_rows_int(r, 3), db_rows_str(r, 6));
	return write_entry(j, &e, day, id, db_rows_str(r, 5), db_rows_str(r, 4), text);
}

static int
applications(journal *j)
{
	return each_row(j, "payment allocations",
	    "SELECT a.id, a.applied_on, a.amount, p.id, p.reference, p.currency, i.number "
	    "FROM payment_allocations a JOIN payments p ON p.id = a.payment_id "
	    "JOIN invoices i ON i.id = a.invoice_id "
	    "WHERE a.id > ? AND a.applied_on >= ? AND a.applied_on < ? "
	    "AND p.direction = 'received' AND a.applied_on > p.received_date "
	    "ORDER BY a.id LIMIT ?", application_entry);
}

/* reversal:ID: a payment reversed, on the day of its reversal. Its
 * payment:, apply:, refund: and setoff: entries stay as booked (they are
 * what happened until then); this one undoes them. */
static int
reversal_entry(journal *j, db_rows *r)
{
	bool refund = strcmp(db_rows_str(r, 2), "refund") == 0;
	bool set_off = db_rows_int(r, 8) != 0;
	int64_t id_num = db_rows_int(r, 0), amount = db_rows_int(r, 5);
	int64_t allocated = db_rows_int(r, 9);
	const char *kind = db_rows_str(r, 6), *payer = db_rows_str(r, 7);
	const char *reason = db_rows_str(r, 10) ? db_rows_str(r, 10) : "";
	/* payer: 400 characters, reason: 500, of up to 4 bytes, never cut. */
	char id[64], text[3800];
	ledger_entry e;
	date_t day;

	if (set_off && refund)
		return 0; /* reversed with its received half */
	db_rows_date(r, 1, &day);
	ledger_entry_init(&e);
	book_money(j, &e, refund, set_off, amount, allocated, -1);
	if (set_off) {
		snprintf(text, sizeof text, "set-off with %s %s reversed: %s", kind, payer, reason);
	} else if (refund) {
		snprintf(text, sizeof text, "refund to %s %s reversed: %s", kind, payer, reason);
	} else {
		snprintf(text, sizeof text, "payment received from %s %s reversed: %s", kind, payer,
		    reason);
	}
	snprintf(id, sizeof id, "reversal:%" PRId64, id_num);
	return write_entry(j, &e, day, id, db_rows_str(r, 4), db_rows_str(r, 3), text);
}

static int
reversals(journal *j)
{
	/* Column 9: everything its allocations settled — all of them, as a
	 * reversal is never dated before one counts. */
	return each_row(j, "payment reversals",
	    "SELECT p.id, v.reversed_on, p.direction, p.reference, p.currency, p.amount, "
	    "p.payer_kind, p.payer, p.method = 'set-off', "
	    "(SELECT COALESCE(SUM(a.amount), 0) FROM payment_allocations a "
	    "WHERE a.payment_id = p.id), v.reason "
	    "FROM payment_reversals v JOIN payments p ON p.id = v.payment_id "
	    "WHERE v.payment_id > ? AND v.reversed_on >= ? AND v.reversed_on < ? "
	    "ORDER BY v.payment_id LIMIT ?", reversal_entry);
}

/* ------------------------------------------------------------------------
 * Contracts: cancellations now, earning per period at the end
 * ------------------------------------------------------------------------ */

typedef struct contract_pass {
	journal *j;
	rev_groups groups;
} contract_pass;

static int
contract_fold(void *arg, const scanned_contract *c)
{
	contract_pass *cp = arg;
	journal *j = cp->j;
	rev_group *g = rev_groups_get(&cp->groups, c->plan_code, c->currency);

	if (rev_groups_add(&cp->groups, g, &c->e) != 0)
		return -1;
	if (c->e.cancelled && c->e.cancelled_on >= j->rq->from && c->e.cancelled_on < j->rq->to) {
		earning_position before, after;
		ledger_entry e;
		char id[64], text[96];

		/* The release is what the cancellation day moves. */
		if (earning_position_at(&c->e, c->e.cancelled_on, &before) != 0 ||
		    earning_position_at(&c->e, c->e.cancelled_on + 1, &after) != 0)
			return -1;
		ledger_entry_init(&e);
		ledger_entry_add(&e, j->acc->account[ACC_UNEARNED_REVENUE],
		    after.cancelled - before.cancelled);
		ledger_entry_add(&e, j->acc->account[ACC_CANCELLATIONS],
		    -(after.cancelled - before.cancelled));
		snprintf(id, sizeof id, "cancel:%s", c->number);
		snprintf(text, sizeof text, "unearned released on cancellation, plan %s",
		    c->plan_code);
		if (write_entry(j, &e, c->e.cancelled_on, id, c->currency, c->number, text) != 0)
			return 1;
	}
	return 0;
}

static int
earnings(journal *j, contract_pass *cp)
{
	size_t n;
	rev_group **sorted = rev_groups_sorted(&cp->groups, &n);
	int rc = 0;

	for (int p = 0; rc == 0 && p + 1 < cp->groups.nbound; p++) {
		date_t a = cp->groups.bound[p], b = cp->groups.bound[p + 1], next;
		char first[11], last[11], period[32];
		int y, m, d;

		date_format(a, first);
		date_format(b - 1, last);
		date_to_ymd(a, &y, &m, &d);
		date_add_months(a, 1, &next);
		if (d == 1 && next == b)
			snprintf(period, sizeof period, "%.7s", first);
		else
			snprintf(period, sizeof period, "%s..%s", first, last);
		for (size_t k = 0; rc == 0 && k < n; k++) {
			const int64_t *pa = sorted[k]->pos + (size_t)p * POS_N;
			const int64_t *pb = sorted[k]->pos + (size_t)(p + 1) * POS_N;
			int64_t earned = pb[POS_EARNED] - pa[POS_EARNED];
			ledger_entry e;
			char id[128], text[128];

			if (earned == 0)
				continue;
			ledger_entry_init(&e);
			ledger_entry_add(&e, j->acc->account[ACC_UNEARNED_REVENUE], earned);
			ledger_entry_add(&e, j->acc->account[ACC_REVENUE_CONTRACTS], -earned);
			snprintf(id, sizeof id, "earn:%s:%s:%s", period, sorted[k]->key,
			    sorted[k]->currency);
			snprintf(text, sizeof text, "contract prices earned %s to %s", first, last);
			rc = write_entry(j, &e, b - 1, id, sorted[k]->currency, sorted[k]->key, text);
		}
	}
	free(sorted);
	return rc;
}

int
report_journal(db_conn *db, const report_request *rq, const ledger_accounts *accounts,
    const report_sink *sink, char *err, size_t errlen)
{
	static const char *const cols[] = { "date", "entry", "account", "debit", "credit",
	    "currency", "reference", "description" };
	static const bool num[] = { false, false, false, true, true, false, false, false };
	journal j = { db, rq, accounts, sink, err, errlen, 0, 0 };
	contract_pass cp;
	date_t *bound;
	int nbound = 0, rc = -1;

	/* The periods: the range cut at every first of a month. */
	bound = xcalloc((size_t)(rq->to - rq->from) / 28 + 3, sizeof *bound);
	bound[nbound++] = rq->from;
	for (;;) {
		int y, m, d;
		date_t next;
		date_to_ymd(bound[nbound - 1], &y, &m, &d);
		date_from_ymd(y, m, 1, &next);
		date_add_months(next, 1, &next);
		if (next >= rq->to)
			break;
		bound[nbound++] = next;
	}
	bound[nbound++] = rq->to;
	memset(&cp, 0, sizeof cp);
	cp.j = &j;
	rev_groups_init(&cp.groups, bound, nbound);

	if (sink->columns(sink->arg, cols, num, sizeof cols / sizeof cols[0]) != 0) {
		snprintf(err, errlen, "the output failed");
		goto out;
	}
	if (invoices(&j) != 0 || claims(&j) != 0 || payments(&j) != 0 || applications(&j) != 0 ||
	    reversals(&j) != 0)
		goto out;
	switch (report_scan_contracts(db, rq->from, rq->to, contract_fold, &cp, err, errlen)) {
	case 0:
		break;
	case -1:
		if (err[0] == '\0')
			snprintf(err, errlen, "a contract cannot be placed");
		goto out;
	default:
		goto out; /* write_entry said why */
	}
	if (cp.groups.overflow) {
		snprintf(err, errlen, "a sum does not fit in 64 bits");
		goto out;
	}
	if (earnings(&j, &cp) != 0)
		goto out;
	rc = 0;
out:
	rev_groups_free(&cp.groups);
	free(bound);
	return rc;
}
