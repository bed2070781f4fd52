/* runs — billing runs: a period's invoicing of every dealer (or one), as a
 * job that can be killed at any moment and started again.
 *
 * For a period (a calendar month) a run issues, per dealer and currency:
 *   remittance   an invoice for the dealer cost of every contract the
 *                dealer sold in the period (a line per contract, taxed as
 *                the contract was);
 *   chargeback   an invoice for the commission charged back on every
 *                contract cancelled in the period (a line per
 *                cancellation).
 * and, to the buyer of every contract paid in monthly installments
 * (ContractRegistration Installments) that is not cancelled:
 *   installment  installment k of N, k the month since the month of sale,
 *                the contract's price split into N parts that add up to it
 *                exactly (the first parts take the odd cents).
 * and, per dealer and currency, with [invoices] claim_settlement =
 * billing-run:
 *   settlement   a credit note for what the warrantor pays on every claim
 *                decided in the period (the lines of each claim's own
 *                settlement, build.h). A run settles any claim decided in
 *                its month that has no settlement credit note yet, so
 *                switching claim_settlement back and forth never settles a
 *                claim twice or leaves one out.
 *
 * A dealer's invoice lists at most [invoices] run_invoice_lines contracts
 * (500): one with more gets several, part 1, 2, ..., so a run's memory does
 * not grow with the number of contracts.
 *
 * Starting a run plans it: one item per invoice to issue, stored with the
 * run (tables billing_runs, billing_run_items). Each item is then finished
 * in a transaction of its own that issues the invoice (gap-free number,
 * UBL, outbox), marks the item done and counts it in the run — all or
 * nothing. Killed (kill -9 of the server or the CLI) and started again, a
 * run carries on with the items still pending; the invoice's source
 * ("run:2026-11:remittance:DLR-0042:EUR:1") is unique, so even a second run
 * of the same period over the same dealers finds the invoices issued and
 * issues none twice. A dry run plans and prices without writing anything. */
#ifndef CD_BILLING_RUNS_H
#define CD_BILLING_RUNS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "billing/invoice.h"
#include "billing/settings.h"
#include "storage/db.h"

#define RUN_PERIOD_LEN 7          /* "2026-11" */

typedef enum run_kind {
	RUN_REMITTANCE = 0,
	RUN_CHARGEBACK = 1,
	RUN_INSTALLMENT = 2,           /* an invoice per contract, to its buyer */
	RUN_SETTLEMENT = 3,            /* a credit note for the dealer's claims */
	RUN_KINDS
} run_kind;

const char *run_kind_name(run_kind k);
/* "remittance", "chargeback", "installment", "settlement"; anything else
 * is a remittance. */
run_kind run_kind_parse(const char *s);

/* Parses "YYYY-MM" into the period's first day and the next month's.
 * Returns 0 or -1. */
int run_period_parse(const char *period, date_t *from, date_t *to);

typedef struct run_item {
	int seq;
	char dealer_id[65];
	run_kind kind;
	char currency[4];
	int part;                      /* 1, 2, ... of the dealer's invoices of this kind */
	int64_t first_id, last_id;     /* the contracts it lists, by id */
	bool done;
	char invoice_number[INVOICE_NUMBER_MAX + 1];
	int lines;
	/* Dry runs: what the invoice would be. */
	int64_t net, tax, total;
} run_item;

typedef struct run_status {
	int64_t id;
	char period[RUN_PERIOD_LEN + 1];
	char scope[65];                /* a dealer id, or "*" */
	bool finished;
	int total, done;
	int invoices;
	int64_t invoice_lines;
	run_item *items;               /* owned, when asked for */
	size_t nitems;
} run_status;

void run_status_free(run_status *st);

/* Starts the run of period for dealer_id (NULL: every dealer), or finds
 * the one started before (finished or not). Plans its items when new.
 * Returns 0 with *id; 1 for a malformed period or an unknown dealer (err
 * says which); -1 on a database error. */
int run_start(db_conn *db, const billing_settings *bs, const char *period,
    const char *dealer_id, const char *actor, int64_t *id, char *err, size_t errlen);

/* Called after each item with the run's progress. */
typedef void (*run_progress_fn)(void *arg, int done, int total);

/* Finishes the run's pending items, one transaction each, until none is
 * left or *stop becomes true (stop may be NULL). Returns 0 (finished or
 * stopped: see run_read), 1 when an invoice is refused (err says which;
 * the item stays pending), -1 on a database error. */
int run_execute(db_conn *db, const billing_settings *bs, int64_t id, const char *actor,
    atomic_bool *stop, run_progress_fn progress, void *arg, char *err, size_t errlen);

/* Reads the run's progress (and its items when with_items). Returns 1, 0
 * (no such run) or -1. */
int run_read(db_conn *db, int64_t id, bool with_items, run_status *out, char *err,
    size_t errlen);

/* A dry run: the items the run would have, each priced (net, tax, total,
 * lines), without writing anything. Returns 0, 1 (bad period or dealer),
 * -1. */
int run_preview(db_conn *db, const billing_settings *bs, const char *period,
    const char *dealer_id, run_status *out, char *err, size_t errlen);

#endif
