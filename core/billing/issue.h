/* issue — issuing, numbering and reading invoices and credit notes.
 *
 * An invoice is issued inside the caller's transaction, which also writes
 * what it bills (a claim, a parts order, a contract): both commit or
 * neither does. Issuing
 *   1. takes the next number of the series ("INV-2026", one per document
 *      kind and year) by locking the series row — a rollback gives the
 *      number back, so numbers run 1..N without gap or duplicate;
 *   2. computes the totals and tax breakdown from the lines (totals.h);
 *   3. writes the UBL document (ubl.h) and stores it with the invoice, its
 *      lines and its tax breakdown;
 *   4. puts the UBL in the outbox of the invoice's dealer, if it has one.
 * Nothing ever updates or deletes an issued invoice: a correction is a
 * credit note, which references the invoice and can never credit more
 * than the invoice's line carried.
 *
 * Every source (what an invoice bills: "claim:17:customer") is invoiced at
 * most once; issuing it again answers ISSUE_EXISTS with the first number.
 * Lock order: the series row, then (in the caller) the audit chain head. */
#ifndef CD_BILLING_ISSUE_H
#define CD_BILLING_ISSUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "billing/invoice.h"
#include "billing/settings.h"
#include "storage/db.h"

/* Returns of invoice_issue and credit_note_issue besides 0 and -1. */
#define ISSUE_REFUSED 1   /* not issuable: err says why, for the caller's user */
#define ISSUE_EXISTS 2    /* the source has its invoice already: inv->number */

/* Issues inv (type, origin, currency, issue date, buyer, references and
 * lines filled in; line numbers are assigned here) for source. Fills in
 * the seller, payment terms, due date, series, number and totals, and
 * returns the UBL document in *ubl (malloc'd, *ubl_len bytes). Returns 0;
 * ISSUE_EXISTS; ISSUE_REFUSED (invoicing not configured, no lines, a total
 * that does not fit, what UBL cannot carry); -1 on a database error
 * (including an injected "invoice-issue" fault, fault.h). On anything but
 * 0 the caller rolls back. */
int invoice_issue(db_conn *db, const billing_settings *bs, invoice *inv, const char *source,
    char **ubl, size_t *ubl_len, char *err, size_t errlen);

/* Rounds every line of inv to its currency's granule (invoice.h) and
 * computes its totals from them, as issuing does. Returns 0, or
 * ISSUE_REFUSED when an amount does not fit (err says why). */
int invoice_compute_totals(invoice *inv, char *err, size_t errlen);

/* One line of a credit: the invoice's line line_no, for amount (net, > 0). */
typedef struct credit_line {
	int line_no;
	int64_t amount;
} credit_line;

/* Issues a credit note correcting invoice number: the given lines, or every
 * line's whole remaining amount when n is 0. reason goes into the note.
 * source makes it idempotent (NULL: a new one each time). Locks the
 * invoice, so concurrent credits of it are serialised. Returns 0 (out
 * filled, *ubl set); ISSUE_EXISTS; ISSUE_REFUSED when number is not an
 * invoice, a line does not exist, or a credit would exceed what the line
 * has left (err says which line and by how much); -1 on a database error.
 * dealer_id non-NULL restricts to that dealer's invoices. */
int credit_note_issue(db_conn *db, const billing_settings *bs, const char *number,
    const credit_line *lines, size_t n, const char *reason, date_t issue_date,
    const char *source, invoice *out, char **ubl, size_t *ubl_len, char *err, size_t errlen);

/* Reads invoice number (lines, totals and parties; not the UBL) into *out,
 * which invoice_free releases. dealer_id non-NULL: another dealer's invoice
 * counts as none. Returns 1, 0 (none) or -1. */
int invoice_load(db_conn *db, const char *number, const char *dealer_id, bool for_update,
    invoice *out, char *err, size_t errlen);
/* The stored UBL document of invoice number (same dealer rule). Returns 1
 * with *ubl malloc'd, 0 or -1. */
int invoice_ubl(db_conn *db, const char *number, const char *dealer_id, char **ubl,
    size_t *len, char *err, size_t errlen);
/* The number of the invoice issued for source into number. Returns 1, 0, -1. */
int invoice_for_source(db_conn *db, const char *source, char number[INVOICE_NUMBER_MAX + 1],
    char *err, size_t errlen);
/* How much of each line of invoice number its credit notes have credited:
 * a new array *credited of *n (the invoice's line count, index line_no - 1).
 * Returns 0 or -1. */
int invoice_credited(db_conn *db, const char *number, int64_t **credited, size_t *n,
    char *err, size_t errlen);

#endif
