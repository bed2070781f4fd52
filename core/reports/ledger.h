/* ledger — the general-ledger accounts ([ledger] in contractd.conf) and
 * balanced journal entries: pure functions.
 *
 *   [ledger]                   key and default: what it books
 *   cash = 1000                money received (debit) and refunded (credit)
 *   receivable = 1200          invoices' totals (credit notes: reversed),
 *                              less what payments settle, plus refunds
 *   claims_payable = 1600      what the warrantor owes dealers for claims
 *   vat_payable = 1776         invoices' tax
 *   unapplied_cash = 2100      money received and not yet allocated to an
 *                              invoice: owed to the payer until applied
 *   unearned_revenue = 2400    contract sales, until earned
 *   core_deposits = 2450       refundable core deposits on parts
 *   revenue_contracts = 4000   contract prices as earned, month by month
 *   cancellations = 4050       unearned released on cancellation, less refunds
 *   revenue_parts = 4100       parts sold (claims, repairs, parts orders)
 *   revenue_labor = 4200       labor and travel
 *   revenue_fees = 4300        fees and deductibles
 *   discounts = 4400           discount lines
 *   dealer_clearing = 1590     billing-run remittances and chargebacks: the
 *                              dealers collect contract prices as the
 *                              warrantor's agents (the sale is already in
 *                              unearned_revenue), so what a dealer is billed
 *                              clears against what it collected, not revenue
 *   revenue_other = 4900       invoices of any other origin
 *   claims_expense = 5000      claims paid by service contracts
 *   warranty_expense = 5100    claims paid under the manufacturer's warranty
 *   suspense = 9999            an invoice whose lines do not add up (never expected)
 *   origin.NAME = ACCOUNT      no default: every line of invoices of origin
 *                              NAME ("remittance", "other", ...) to ACCOUNT
 *
 * Every key is optional (the defaults above). An account is 1-32 of
 * letters, digits, space and . _ : / -. A key [ledger] does not know is
 * refused, so a misspelt key never silently posts to a default account.
 *
 * A journal entry is built from signed amounts (debit positive, credit
 * negative) per account; ledger_entry_finish() merges an account's
 * amounts, drops zeros, books any difference to the suspense account and
 * checks that debits equal credits. Amounts are minor units of the
 * entry's one currency. */
#ifndef CD_REPORTS_LEDGER_H
#define CD_REPORTS_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

#define LEDGER_ACCOUNT_MAX 32
#define LEDGER_ORIGINS_MAX 16

typedef enum ledger_account_id {
	ACC_RECEIVABLE = 0,
	ACC_CLAIMS_PAYABLE,
	ACC_VAT_PAYABLE,
	ACC_UNEARNED_REVENUE,
	ACC_CORE_DEPOSITS,
	ACC_REVENUE_CONTRACTS,
	ACC_CANCELLATIONS,
	ACC_REVENUE_PARTS,
	ACC_REVENUE_LABOR,
	ACC_REVENUE_FEES,
	ACC_DISCOUNTS,
	ACC_REVENUE_OTHER,
	ACC_DEALER_CLEARING,
	ACC_CLAIMS_EXPENSE,
	ACC_WARRANTY_EXPENSE,
	ACC_CASH,
	ACC_UNAPPLIED_CASH,
	ACC_SUSPENSE,
	ACC_COUNT
} ledger_account_id;

typedef struct ledger_origin_account {
	char origin[33];
	char account[LEDGER_ACCOUNT_MAX + 1];
} ledger_origin_account;

typedef struct ledger_accounts {
	char account[ACC_COUNT][LEDGER_ACCOUNT_MAX + 1];
	ledger_origin_account origins[LEDGER_ORIGINS_MAX];
	size_t norigins;
} ledger_accounts;

/* The configuration key of an account ("receivable", ...). */
const char *ledger_account_key(ledger_account_id id);
/* Its default account number ("1200", ...). */
const char *ledger_account_default(ledger_account_id id);

/* Reads [ledger] of cfg (cfg NULL: the defaults) into *out. Returns 0, or
 * -1 with a message naming the key in err. */
int ledger_accounts_load(const config *cfg, ledger_accounts *out, char *err, size_t errlen);

/* The account every line of an invoice of origin goes to when
 * "origin.NAME" is configured, else NULL. */
const char *ledger_origin_account_of(const ledger_accounts *a, const char *origin);

/* An entry being built. */
#define LEDGER_ENTRY_MAX_LINES 24

typedef struct ledger_line {
	const char *account;   /* borrowed from the ledger_accounts */
	int64_t amount;        /* debit > 0, credit < 0 */
} ledger_line;

typedef struct ledger_entry {
	ledger_line lines[LEDGER_ENTRY_MAX_LINES];
	size_t n;
	bool overflow;         /* an amount did not fit */
} ledger_entry;

void ledger_entry_init(ledger_entry *e);
/* Adds amount (debit > 0, credit < 0) to account; the same account twice
 * is merged. */
void ledger_entry_add(ledger_entry *e, const char *account, int64_t amount);
/* Drops zero lines, books what does not balance to suspense and orders
 * the lines debits first (each side in the order added). Returns 0 when
 * the entry balanced by itself, 1 when suspense took a difference, -1 on
 * an overflow or too many lines (the entry must not be written). */
int ledger_entry_finish(ledger_entry *e, const char *suspense);

#endif
