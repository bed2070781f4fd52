/* issue — issuing, numbering and reading invoices (see issue.h). */
#include "billing/issue.h"
#include "billing/ubl.h"
#include "domain/claim.h"
#include "storage/outbox.h"
#include "base/crypto.h"
#include "base/fault.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const category_code[4] = { "S", "Z", "E", "AE" };

static int
category_parse(const char *s, cd_tax_category *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, category_code[i]) == 0) {
			*out = (cd_tax_category)i;
			return 0;
		}
	return -1;
}

static int
db_fail(db_conn *db, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, db_error(db));
	return -1;
}

/* Takes the next number of series, holding the series row until the
 * transaction ends, in one round trip: the upsert takes the row's exclusive
 * lock at once (a SELECT ... FOR UPDATE after INSERT IGNORE would take a
 * shared lock first, and two issuers upgrading deadlock) and hands the new
 * counter back through LAST_INSERT_ID(). Every statement taken while the
 * row is held delays every other issuer of the series. */
static int
next_number(db_conn *db, const char *series, int64_t *seq, char *err, size_t errlen)
{
	if (db_exec(db, "INSERT INTO invoice_series (series, next_seq) VALUES (?, 2) "
	    "ON DUPLICATE KEY UPDATE next_seq = LAST_INSERT_ID(next_seq + 1)", "s", series) < 0)
		return db_fail(db, "numbering", err, errlen);
	/* 0 when the row was created: this is the series' first number. */
	*seq = (int64_t)db_last_insert_id(db) - 1;
	if (*seq < 1)
		*seq = 1;
	return 0;
}

int
invoice_compute_totals(invoice *inv, char *err, size_t errlen)
{
	int64_t granule = invoice_amount_granule(inv->currency);
	invoice_line_amount *amounts = xcalloc(inv->nlines + 1, sizeof *amounts);
	money_status st;

	for (size_t i = 0; i < inv->nlines; i++) {
		invoice_line *l = &inv->lines[i];
		if (granule > 1) {
			int64_t units;
			if (money_mul_frac(l->net, 1, granule, ROUND_HALF_UP, &units) != MONEY_OK ||
			    money_mul_int(units, granule, &l->net) != MONEY_OK) {
				free(amounts);
				snprintf(err, errlen, "line %zu: the amount does not fit", i + 1);
				return ISSUE_REFUSED;
			}
		}
		amounts[i].net = l->net;
		amounts[i].category = l->tax_category;
		amounts[i].tax_rate = l->tax_rate;
	}
	st = invoice_totals_compute_in(amounts, inv->nlines, inv->totals.prepaid, granule,
	    &inv->totals);
	free(amounts);
	if (st != MONEY_OK) {
		snprintf(err, errlen, "the invoice's totals cannot be computed: %s",
		    money_status_str(st));
		return ISSUE_REFUSED;
	}
	return 0;
}

/* One line's values as invoice_lines takes them, in LINE_ROW's order. */
typedef struct line_values {
	int64_t invoice_id;
	int line_no;
	const char *kind;
	const invoice_line *l;
	char quantity[32];
	const char *category;
	char tax_rate[32];
	int corrects_line;      /* -1: none (NULLIF makes it NULL) */
} line_values;

/* An invoice's lines are written by multi-row INSERTs, so a run invoice of
 * 500 lines costs 11 round trips instead of 500. db_exec takes its values
 * as arguments, one format letter each, so every batch size is a statement
 * and a call of its own: 64, 16, 4 and 1 rows, the largest that fits
 * first (500 lines: 7 x 64, 3 x 16, 1 x 4). The four statements stay
 * cached per connection, which keys them by their text (db.h). */
#define LINES_INSERT \
	"INSERT INTO invoice_lines (invoice_id, line_no, kind, item_code, item_name, note, " \
	"quantity, unit_code, unit_price, net, tax_category, tax_rate, corrects_line) VALUES "
#define LINE_ROW "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, -1))"
#define LINE_ROWS4 LINE_ROW ", " LINE_ROW ", " LINE_ROW ", " LINE_ROW
#define LINE_ROWS16 LINE_ROWS4 ", " LINE_ROWS4 ", " LINE_ROWS4 ", " LINE_ROWS4
#define LINE_ROWS64 LINE_ROWS16 ", " LINE_ROWS16 ", " LINE_ROWS16 ", " LINE_ROWS16
#define LINE_FORMAT "idssssssiissd"
#define LINE_FORMAT4 LINE_FORMAT LINE_FORMAT LINE_FORMAT LINE_FORMAT
#define LINE_FORMAT16 LINE_FORMAT4 LINE_FORMAT4 LINE_FORMAT4 LINE_FORMAT4
#define LINE_FORMAT64 LINE_FORMAT16 LINE_FORMAT16 LINE_FORMAT16 LINE_FORMAT16
/* The values of the rows at v (a const line_values *), as LINE_FORMAT. */
#define LINE_ARGS(v) (v)->invoice_id, (v)->line_no, (v)->kind, (v)->l->item_code, \
	(v)->l->item_name, (v)->l->note, (v)->quantity, (v)->l->unit_code, (v)->l->unit_price, \
	(v)->l->net, (v)->category, (v)->tax_rate, (v)->corrects_line
#define LINE_ARGS4(v) LINE_ARGS(v), LINE_ARGS((v) + 1), LINE_ARGS((v) + 2), LINE_ARGS((v) + 3)
#define LINE_ARGS16(v) LINE_ARGS4(v), LINE_ARGS4((v) + 4), LINE_ARGS4((v) + 8), \
	LINE_ARGS4((v) + 12)
#define LINE_ARGS64(v) LINE_ARGS16(v), LINE_ARGS16((v) + 16), LINE_ARGS16((v) + 32), \
	LINE_ARGS16((v) + 48)

static const size_t line_batches[] = { 64, 16, 4, 1 };

/* Inserts the n rows at v in one statement; n is one of line_batches.
 * Returns what db_exec returns. */
static int64_t
insert_line_rows(db_conn *db, const line_values *v, size_t n)
{
	switch (n) {
	case 64:
		return db_exec(db, LINES_INSERT LINE_ROWS64, LINE_FORMAT64, LINE_ARGS64(v));
	case 16:
		return db_exec(db, LINES_INSERT LINE_ROWS16, LINE_FORMAT16, LINE_ARGS16(v));
	case 4:
		return db_exec(db, LINES_INSERT LINE_ROWS4, LINE_FORMAT4, LINE_ARGS4(v));
	default:
		return db_exec(db, LINES_INSERT LINE_ROW, LINE_FORMAT, LINE_ARGS(v));
	}
}

/* Writes inv's lines as rows of invoice id, in line order. Returns 0,
 * ISSUE_REFUSED (a quantity or rate out of range: found before any line is
 * written) or -1, with a message in err. */
static int
store_lines(db_conn *db, int64_t id, const invoice *inv, char *err, size_t errlen)
{
	line_values *v = xcalloc(inv->nlines + 1, sizeof *v);
	size_t i = 0, b = 0;
	int rc = 0;

	for (size_t k = 0; k < inv->nlines; k++) {
		const invoice_line *l = &inv->lines[k];
		if (rate_format(l->quantity, v[k].quantity, sizeof v[k].quantity) != MONEY_OK ||
		    rate_format(l->tax_rate, v[k].tax_rate, sizeof v[k].tax_rate) != MONEY_OK) {
			snprintf(err, errlen, "line %d: quantity or rate out of range", l->line_no);
			rc = ISSUE_REFUSED;
			goto out;
		}
		v[k].invoice_id = id;
		v[k].line_no = l->line_no;
		v[k].kind = line_kind_name(l->kind);
		v[k].l = l;
		v[k].category = category_code[l->tax_category];
		v[k].corrects_line = l->corrects_line ? l->corrects_line : -1;
	}
	while (i < inv->nlines) {
		while (inv->nlines - i < line_batches[b])
			b++;
		if (insert_line_rows(db, &v[i], line_batches[b]) < 0) {
			rc = db_fail(db, "storing the invoice's lines", err, errlen);
			goto out;
		}
		i += line_batches[b];
	}
out:
	free(v);
	return rc;
}

/* Writes inv (numbered, totals computed) with its UBL, lines and tax
 * breakdown. Returns 0, ISSUE_REFUSED or -1, with a message in err. */
static int
store(db_conn *db, const invoice *inv, const char *source, const char *ubl, size_t ubl_len,
    char *err, size_t errlen)
{
	const invoice_party *b = &inv->buyer;
	char hash[65];
	uint64_t id;
	int r;

	sha256_hex(ubl, ubl_len, hash);
	if (db_exec(db, "INSERT INTO invoices (number, series, seq, type, origin, source, "
	    "issue_date, due_date, currency, dealer_id, buyer_name, buyer_street, "
	    "buyer_additional_street, buyer_city, buyer_postal_code, buyer_country, buyer_vat_id, "
	    "buyer_legal_id, buyer_email, buyer_party_id, buyer_reference, order_reference, "
	    "contract_reference, note, line_total, tax_total, total, prepaid, payable, "
	    "preceding_number, ubl, ubl_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
	    "ssisssDDss" "ssssssssss" "ssss" "iiiii" "sbs", inv->number, inv->series, inv->seq,
	    invoice_type_name(inv->type), invoice_origin_name(inv->origin), source,
	    inv->issue_date, inv->due_date,
	    inv->currency, inv->dealer_id[0] ? inv->dealer_id : NULL, b->name, b->street,
	    b->additional_street, b->city, b->postal_code, b->country, b->vat_id, b->legal_id,
	    b->email, b->party_id, inv->buyer_reference, inv->order_reference,
	    inv->contract_reference, inv->note, inv->totals.line_total, inv->totals.tax_total,
	    inv->totals.tax_inclusive, inv->totals.prepaid, inv->totals.payable,
	    inv->preceding_number[0] ? inv->preceding_number : NULL, ubl, ubl_len, hash) < 0)
		return db_fail(db, "storing the invoice", err, errlen);
	id = db_last_insert_id(db);
	if ((r = store_lines(db, (int64_t)id, inv, err, errlen)) != 0)
		return r;
	/* A row per tax group, one at a time: one or two on most invoices (one
	 * on a run's), INVOICE_MAX_TAX_GROUPS at most. */
	for (size_t i = 0; i < inv->totals.ngroups; i++) {
		const tax_group *g = &inv->totals.groups[i];
		char rate_text[32];
		rate_format(g->tax_rate, rate_text, sizeof rate_text);
		if (db_exec(db, "INSERT INTO invoice_taxes (invoice_id, tax_category, tax_rate, "
		    "taxable, tax) VALUES (?, ?, ?, ?, ?)", "issii", (int64_t)id,
		    category_code[g->category], rate_text, g->taxable, g->tax) < 0)
			return db_fail(db, "storing the tax breakdown", err, errlen);
	}
	return 0;
}

int
invoice_for_source(db_conn *db, const char *source, char number[INVOICE_NUMBER_MAX + 1],
    char *err, size_t errlen)
{
	db_rows *r = db_query(db, "SELECT number FROM invoices WHERE source = ?", "s", source);
	int found;

	if (r == NULL)
		return db_fail(db, "reading invoices", err, errlen);
	found = db_rows_next(r);
	if (found == 1)
		snprintf(number, INVOICE_NUMBER_MAX + 1, "%s", db_rows_str(r, 0));
	db_rows_free(r);
	if (found < 0)
		return db_fail(db, "reading invoices", err, errlen);
	return found;
}

int
invoice_issue(db_conn *db, const billing_settings *bs, invoice *inv, const char *source,
    char **ubl, size_t *ubl_len, char *err, size_t errlen)
{
	int year, month, day, r;
	const char *prefix;

	*ubl = NULL;
	*ubl_len = 0;
	if (!bs->configured) {
		snprintf(err, errlen, "invoicing is not configured: [seller] name and country are "
		    "required");
		return ISSUE_REFUSED;
	}
	if (inv->nlines == 0) {
		snprintf(err, errlen, "an invoice needs at least one line");
		return ISSUE_REFUSED;
	}
	if ((r = invoice_for_source(db, source, inv->number, err, errlen)) != 0)
		return r < 0 ? -1 : ISSUE_EXISTS;

	inv->seller = bs->seller;
	inv->due_date = inv->issue_date + bs->payment_days;
	if (inv->type == INVOICE_COMMERCIAL) {
		/* Credit transfer needs the account to pay into (BR-61): without
		 * an IBAN the invoice carries no payment means at all. A credit
		 * note is money owed to the buyer: it asks for no payment. */
		snprintf(inv->payee_iban, sizeof inv->payee_iban, "%s", bs->iban);
		if (bs->iban[0] != '\0' || (strcmp(bs->payment_means, "30") != 0 &&
		    strcmp(bs->payment_means, "58") != 0))
			snprintf(inv->payment_means, sizeof inv->payment_means, "%s",
			    bs->payment_means);
		if (inv->payment_terms[0] == '\0')
			snprintf(inv->payment_terms, sizeof inv->payment_terms, "Net %d days",
			    bs->payment_days);
	}
	for (size_t i = 0; i < inv->nlines; i++) {
		inv->lines[i].line_no = (int)i + 1;
		if (inv->lines[i].tax_category == CD_TAX_EXEMPT)
			snprintf(inv->exemption_reason, sizeof inv->exemption_reason, "%s",
			    bs->exempt_reason);
		else if (inv->lines[i].tax_category == CD_TAX_REVERSE)
			snprintf(inv->reverse_charge_reason, sizeof inv->reverse_charge_reason, "%s",
			    bs->reverse_charge_reason);
	}
	if ((r = invoice_compute_totals(inv, err, errlen)) != 0)
		return r;

	prefix = inv->type == INVOICE_CREDIT_NOTE ? bs->credit_note_series : bs->invoice_series;
	date_to_ymd(inv->issue_date, &year, &month, &day);
	snprintf(inv->series, sizeof inv->series, "%.16s-%04d", prefix, year % 10000);
	if (next_number(db, inv->series, &inv->seq, err, errlen) != 0)
		return -1;
	if (inv->seq < 1 || inv->seq > 999999999) {
		snprintf(err, errlen, "series %s is out of numbers", inv->series);
		return ISSUE_REFUSED;
	}
	snprintf(inv->number, sizeof inv->number, "%.21s-%06u", inv->series, (unsigned)inv->seq);

	*ubl = ubl_write(inv, ubl_len, err, errlen);
	if (*ubl == NULL)
		return ISSUE_REFUSED;
	if ((r = store(db, inv, source, *ubl, *ubl_len, err, errlen)) != 0 ||
	    (inv->dealer_id[0] != '\0' && (r = outbox_put(db, inv->dealer_id,
	    inv->type == INVOICE_CREDIT_NOTE ? "CreditNote" : "Invoice", inv->number,
	    inv->in_reply_to[0] ? inv->in_reply_to : NULL, *ubl, *ubl_len, err, errlen)) != 0) ||
	    (fault_hit("invoice-issue") &&
	    (snprintf(err, errlen, "injected failure at invoice-issue (CONTRACTD_FAULTS)"), 1))) {
		free(*ubl);
		*ubl = NULL;
		return r > 0 ? r : -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

static void
copy_col(const db_rows *r, unsigned col, char *out, size_t n)
{
	const char *s = db_rows_str(r, col);
	snprintf(out, n, "%s", s ? s : "");
}

static int
load_lines(db_conn *db, int64_t id, invoice *out, char *err, size_t errlen)
{
	db_rows *r = db_query(db, "SELECT line_no, kind, item_code, item_name, note, quantity, "
	    "unit_code, unit_price, net, tax_category, tax_rate FROM invoice_lines "
	    "WHERE invoice_id = ? ORDER BY line_no", "i", id);
	size_t cap = 0;
	int more;

	if (r == NULL)
		return db_fail(db, "reading invoice lines", err, errlen);
	cap = db_rows_count(r);
	out->lines = xcalloc(cap + 1, sizeof *out->lines);
	while ((more = db_rows_next(r)) == 1 && out->nlines < cap) {
		invoice_line *l = &out->lines[out->nlines++];
		l->line_no = (int)db_rows_int(r, 0);
		l->kind = line_kind_parse(db_rows_str(r, 1));
		copy_col(r, 2, l->item_code, sizeof l->item_code);
		copy_col(r, 3, l->item_name, sizeof l->item_name);
		copy_col(r, 4, l->note, sizeof l->note);
		rate_parse(db_rows_str(r, 5), &l->quantity);
		copy_col(r, 6, l->unit_code, sizeof l->unit_code);
		l->unit_price = db_rows_int(r, 7);
		l->net = db_rows_int(r, 8);
		category_parse(db_rows_str(r, 9), &l->tax_category);
		rate_parse(db_rows_str(r, 10), &l->tax_rate);
	}
	db_rows_free(r);
	if (more < 0)
		return db_fail(db, "reading invoice lines", err, errlen);
	return 0;
}

int
invoice_load(db_conn *db, const char *number, const char *dealer_id, bool for_update,
    invoice *out, char *err, size_t errlen)
{
	db_rows *r;
	int found;
	int64_t id = 0;
	char sql[1024];

	memset(out, 0, sizeof *out);
	snprintf(sql, sizeof sql, "SELECT id, series, seq, type, origin, issue_date, due_date, "
	    "currency, COALESCE(dealer_id, ''), buyer_name, buyer_street, buyer_additional_street, "
	    "buyer_city, buyer_postal_code, buyer_country, buyer_vat_id, buyer_legal_id, "
	    "buyer_email, buyer_party_id, buyer_reference, order_reference, contract_reference, "
	    "note, prepaid, COALESCE(preceding_number, '') FROM invoices WHERE number = ? "
	    "AND (? IS NULL OR dealer_id = ?)%s", for_update ? " FOR UPDATE" : "");
	r = db_query(db, sql, "sss", number, dealer_id, dealer_id);
	if (r == NULL)
		return db_fail(db, "reading the invoice", err, errlen);
	found = db_rows_next(r);
	if (found == 1) {
		invoice_party *b = &out->buyer;
		id = db_rows_int(r, 0);
		snprintf(out->number, sizeof out->number, "%s", number);
		copy_col(r, 1, out->series, sizeof out->series);
		out->seq = db_rows_int(r, 2);
		out->type = strcmp(db_rows_str(r, 3), "credit-note") == 0 ? INVOICE_CREDIT_NOTE :
		    INVOICE_COMMERCIAL;
		invoice_origin_parse(db_rows_str(r, 4), &out->origin);
		db_rows_date(r, 5, &out->issue_date);
		db_rows_date(r, 6, &out->due_date);
		copy_col(r, 7, out->currency, sizeof out->currency);
		copy_col(r, 8, out->dealer_id, sizeof out->dealer_id);
		copy_col(r, 9, b->name, sizeof b->name);
		copy_col(r, 10, b->street, sizeof b->street);
		copy_col(r, 11, b->additional_street, sizeof b->additional_street);
		copy_col(r, 12, b->city, sizeof b->city);
		copy_col(r, 13, b->postal_code, sizeof b->postal_code);
		copy_col(r, 14, b->country, sizeof b->country);
		copy_col(r, 15, b->vat_id, sizeof b->vat_id);
		copy_col(r, 16, b->legal_id, sizeof b->legal_id);
		copy_col(r, 17, b->email, sizeof b->email);
		copy_col(r, 18, b->party_id, sizeof b->party_id);
		copy_col(r, 19, out->buyer_reference, sizeof out->buyer_reference);
		copy_col(r, 20, out->order_reference, sizeof out->order_reference);
		copy_col(r, 21, out->contract_reference, sizeof out->contract_reference);
		copy_col(r, 22, out->note, sizeof out->note);
		out->totals.prepaid = db_rows_int(r, 23);
		copy_col(r, 24, out->preceding_number, sizeof out->preceding_number);
	}
	db_rows_free(r);
	if (found < 0)
		return db_fail(db, "reading the invoice", err, errlen);
	if (found == 0)
		return 0;
	if (load_lines(db, id, out, err, errlen) != 0 ||
	    invoice_compute_totals(out, err, errlen) != 0) {
		invoice_free(out);
		return -1;
	}
	return 1;
}

int
invoice_ubl(db_conn *db, const char *number, const char *dealer_id, char **ubl, size_t *len,
    char *err, size_t errlen)
{
	db_rows *r = db_query(db, "SELECT ubl FROM invoices WHERE number = ? "
	    "AND (? IS NULL OR dealer_id = ?)", "sss", number, dealer_id, dealer_id);
	int found;

	*ubl = NULL;
	*len = 0;
	if (r == NULL)
		return db_fail(db, "reading the invoice", err, errlen);
	found = db_rows_next(r);
	if (found == 1) {
		const void *b = db_rows_blob(r, 0, len);
		*ubl = xmalloc(*len + 1);
		memcpy(*ubl, b, *len);
		(*ubl)[*len] = '\0';
	}
	db_rows_free(r);
	if (found < 0)
		return db_fail(db, "reading the invoice", err, errlen);
	return found;
}

int
invoice_credited(db_conn *db, const char *number, int64_t **credited, size_t *n, char *err,
    size_t errlen)
{
	int64_t count = 0;
	db_rows *r;
	int more;

	*credited = NULL;
	*n = 0;
	if (db_query_int(db, &count, "SELECT COUNT(*) FROM invoice_lines l JOIN invoices i ON "
	    "i.id = l.invoice_id WHERE i.number = ?", "s", number) < 0)
		return db_fail(db, "reading the invoice", err, errlen);
	*credited = xcalloc((size_t)count + 1, sizeof **credited);
	*n = (size_t)count;
	r = db_query(db, "SELECT l.corrects_line, SUM(l.net) FROM invoice_lines l JOIN invoices c "
	    "ON c.id = l.invoice_id WHERE c.preceding_number = ? AND c.type = 'credit-note' "
	    "GROUP BY l.corrects_line", "s", number);
	if (r == NULL)
		return db_fail(db, "reading credit notes", err, errlen);
	while ((more = db_rows_next(r)) == 1) {
		int64_t line = db_rows_isnull(r, 0) ? 0 : db_rows_int(r, 0);
		if (line >= 1 && (size_t)line <= *n)
			(*credited)[line - 1] += db_rows_int(r, 1);
	}
	db_rows_free(r);
	if (more < 0)
		return db_fail(db, "reading credit notes", err, errlen);
	return 0;
}

/* ------------------------------------------------------------------------
 * Credit notes
 * ------------------------------------------------------------------------ */

int
credit_note_issue(db_conn *db, const billing_settings *bs, const char *number,
    const credit_line *lines, size_t n, const char *reason, date_t issue_date,
    const char *source, invoice *out, char **ubl, size_t *ubl_len, char *err, size_t errlen)
{
	invoice orig;
	int64_t *credited = NULL;
	size_t ncredited = 0, count = n ? n : 0;
	char src[96];
	int r;

	memset(out, 0, sizeof *out);
	*ubl = NULL;
	*ubl_len = 0;
	r = invoice_load(db, number, NULL, true, &orig, err, errlen);
	if (r <= 0) {
		if (r == 0)
			snprintf(err, errlen, "there is no invoice %s", number);
		return r < 0 ? -1 : ISSUE_REFUSED;
	}
	if (orig.type != INVOICE_COMMERCIAL) {
		snprintf(err, errlen, "%s is a credit note; only invoices can be credited", number);
		r = ISSUE_REFUSED;
		goto out;
	}
	if (invoice_credited(db, number, &credited, &ncredited, err, errlen) != 0) {
		r = -1;
		goto out;
	}
	if (n == 0)
		count = orig.nlines;
	out->lines = xcalloc(count + 1, sizeof *out->lines);
	for (size_t i = 0; i < count; i++) {
		int line_no = n ? lines[i].line_no : (int)i + 1;
		const invoice_line *ol;
		int64_t left, amount;
		char a[32], b[32];
		if (line_no < 1 || (size_t)line_no > orig.nlines) {
			snprintf(err, errlen, "invoice %s has no line %d", number, line_no);
			r = ISSUE_REFUSED;
			goto out;
		}
		ol = &orig.lines[line_no - 1];
		left = ol->net - credited[line_no - 1];
		amount = n ? lines[i].amount : left;
		if (n && amount <= 0) {
			snprintf(err, errlen, "line %d: a credit must be a positive amount", line_no);
			r = ISSUE_REFUSED;
			goto out;
		}
		if (amount > left) {
			money_format(amount, orig.currency, a, sizeof a);
			money_format(left, orig.currency, b, sizeof b);
			snprintf(err, errlen, "line %d: crediting %s would exceed what the line has "
			    "left to credit, %s %s", line_no, a, b, orig.currency);
			r = ISSUE_REFUSED;
			goto out;
		}
		if (amount == 0)
			continue;    /* a whole-invoice credit skips lines credited already */
		invoice_line *l = &out->lines[out->nlines];
		*l = *ol;
		l->net = amount;
		if (amount != ol->net) {
			/* A partial credit is one unit of the amount credited. */
			l->quantity = (rate){ 1, 0 };
			l->unit_price = amount;
		}
		snprintf(l->note, sizeof l->note, "Corrects line %d of %s", line_no, number);
		l->corrects_line = line_no;
		out->nlines++;
	}
	if (out->nlines == 0) {
		snprintf(err, errlen, "invoice %s has nothing left to credit", number);
		r = ISSUE_REFUSED;
		goto out;
	}
	out->type = INVOICE_CREDIT_NOTE;
	out->origin = ORIGIN_CORRECTION;
	out->issue_date = issue_date;
	snprintf(out->currency, sizeof out->currency, "%s", orig.currency);
	out->buyer = orig.buyer;
	snprintf(out->dealer_id, sizeof out->dealer_id, "%s", orig.dealer_id);
	snprintf(out->buyer_reference, sizeof out->buyer_reference, "%s", orig.buyer_reference);
	snprintf(out->order_reference, sizeof out->order_reference, "%s", orig.order_reference);
	snprintf(out->contract_reference, sizeof out->contract_reference, "%s",
	    orig.contract_reference);
	snprintf(out->preceding_number, sizeof out->preceding_number, "%s", number);
	out->preceding_issue_date = orig.issue_date;
	snprintf(out->note, sizeof out->note, "%s", reason && *reason ? reason :
	    "Correction");
	if (source == NULL) {
		int64_t k = 0;
		db_query_int(db, &k, "SELECT COUNT(*) FROM invoices WHERE preceding_number = ?", "s",
		    number);
		snprintf(src, sizeof src, "credit:%s:%lld", number, (long long)k + 1);
		source = src;
	}
	r = invoice_issue(db, bs, out, source, ubl, ubl_len, err, errlen);
out:
	free(credited);
	invoice_free(&orig);
	if (r != 0 && r != ISSUE_EXISTS)
		invoice_free(out);
	return r;
}
