/* report — the finance reports, read from the database and handed row by
 * row to a sink (CSV for HTTP and `contractctl report --format csv`, an
 * aligned table for the terminal).
 *
 *   revenue      month, plan|dealer, currency, opening, written, earned,
 *                cancelled, closing: the unearned roll-forward of
 *                earning.h per month and group, then one "total" row per
 *                group over the whole range
 *   loss-ratio   month, plan|dealer, currency, earned, incurred,
 *                loss_ratio: earned premium (as in revenue), claims
 *                incurred and incurred / earned with 4 decimals ("n/a"
 *                when nothing was earned), then "total" rows
 *   invoices     the invoice register: every invoice and credit note
 *                issued in the range, in number order, credit notes with
 *                negative amounts so a column's sum is what was invoiced
 *   journal      general-ledger entries (ledger.h), each balanced
 *
 * Claims incurred: the claims decided in the month (claims.created_at: a
 * claim is decided when it is submitted) that concern a contract and were
 * approved, partially approved or paid, at what the service contract pays
 * for them: the claim's covered amount less its lines under the
 * manufacturer's warranty (those are the warrantor's warranty cost, not
 * the contract's loss). A claim belongs to its contract's plan and to the
 * dealer that sold the contract, in the contract's currency.
 *
 * Memory stays flat whatever the number of contracts, claims or invoices:
 * contracts are read in pages of REPORT_PAGE rows by id inside one
 * consistent-snapshot transaction and folded into one accumulator per
 * (month, group, currency); invoices, claims, payments and entries are
 * handed to the sink as they are read. What a sink keeps is its own
 * business (the HTTP answer is one buffer; `contractctl report --format
 * csv` writes through).
 *
 * Every amount is formatted with its currency's exponent; nothing here
 * uses floating point. */
#ifndef CD_REPORTS_REPORT_H
#define CD_REPORTS_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/date.h"
#include "reports/ledger.h"
#include "storage/db.h"

#ifndef REPORT_PAGE
#define REPORT_PAGE 5000             /* rows per page (-DREPORT_PAGE=7 to test paging) */
#endif
#define REPORT_MAX_MONTHS 120      /* revenue and loss-ratio: ten years at most */
#define REPORT_MAX_DAYS 3700       /* invoices and journal: about ten years */

typedef enum report_kind {
	REPORT_REVENUE = 0,
	REPORT_LOSS_RATIO,
	REPORT_INVOICES,
	REPORT_JOURNAL,
} report_kind;

typedef enum report_by {
	REPORT_BY_PLAN = 0,
	REPORT_BY_DEALER,
} report_by;

/* "revenue", "loss-ratio", "invoices", "journal"; parse returns 0 or -1. */
const char *report_kind_name(report_kind k);
int report_kind_parse(const char *s, report_kind *out);

typedef struct report_request {
	report_kind kind;
	report_by by;
	date_t from;               /* the first day */
	date_t to;                 /* the day after the last: [from, to) */
	int months;                /* revenue, loss-ratio: whole months in the range */
} report_request;

/* Checks and reads a request. revenue and loss-ratio take months
 * ("2026-01", both inclusive); invoices and journal take days
 * ("2026-01-01", both inclusive) or months (a month means its first day
 * for from and its last for to). by is "plan" (NULL: the default) or
 * "dealer", and only for revenue and loss-ratio. Returns 0, or -1 with a
 * message for the caller in err. */
int report_request_parse(report_kind kind, const char *from, const char *to, const char *by,
    report_request *out, char *err, size_t errlen);

/* Where rows go. columns is called once, then row once per row; numeric[i]
 * marks an amount column (right-aligned in tables, never formula-guarded in
 * CSV) apart from text, dates and months. A callback returning non-zero
 * stops the report, which then fails with "the output failed". */
typedef struct report_sink {
	int (*columns)(void *arg, const char *const *names, const bool *numeric, size_t n);
	int (*row)(void *arg, const char *const *cells, size_t n);
	void *arg;
} report_sink;

/* Runs the report rq on db (in a read-only transaction of its own, rolled
 * back at the end) into sink. accounts: the ledger accounts (journal only;
 * NULL: the defaults). Returns 0, or -1 with a message in err. */
int report_run(db_conn *db, const report_request *rq, const ledger_accounts *accounts,
    const report_sink *sink, char *err, size_t errlen);

/* The parts (revenue.c, register.c, journal.c), for report_run. They run
 * inside the caller's transaction. */
int report_revenue(db_conn *db, const report_request *rq, const report_sink *sink, char *err,
    size_t errlen);
int report_invoices(db_conn *db, const report_request *rq, const report_sink *sink, char *err,
    size_t errlen);
int report_journal(db_conn *db, const report_request *rq, const ledger_accounts *accounts,
    const report_sink *sink, char *err, size_t errlen);

/* Loss ratio incurred / earned as a decimal with 4 places, rounded
 * half-up ("0.6250"), or "n/a" when earned is 0. out needs 32 bytes. */
void report_loss_ratio_format(int64_t incurred, int64_t earned, char *out, size_t outlen);

#endif
