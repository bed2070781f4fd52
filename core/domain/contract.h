/* contract — a sold plan on an asset for a customer through a dealer.
 *
 * A contract is fixed at sale: the plan version, the coverage terms (start
 * and end dates, waiting period, usage allowance, limit of liability), the
 * price with tax and the money split, and the pricing record. What happens
 * afterwards is added, never overwritten: owners (the buyer, then each
 * transfer), events, the cancellation with its refund.
 *
 * States: active (possibly still in its waiting period), expired (derived:
 * an active contract past its end date), cancelled, exhausted (limit of
 * liability used up, set by claims).
 *
 * Numbers: "SC-" and the contract's row id in at least 8 digits
 * ("SC-00000042"): unique, increasing, assigned without a shared counter
 * row, so concurrent registrations never wait on each other for a number;
 * a registration that rolls back leaves its number unused.
 *
 * Every function that changes a contract runs inside the caller's
 * transaction; the caller appends the audit record to that transaction. */
#ifndef CD_DOMAIN_CONTRACT_H
#define CD_DOMAIN_CONTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "domain/asset.h"
#include "domain/customer.h"
#include "domain/plan.h"
#include "domain/pricing.h"
#include "domain/refund.h"
#include "storage/db.h"
#include "storage/dealers.h"

#define CONTRACT_NUMBER_MAX 32

typedef enum contract_state {
	CONTRACT_ACTIVE = 0,
	CONTRACT_EXPIRED = 1,
	CONTRACT_CANCELLED = 2,
	CONTRACT_EXHAUSTED = 3,
} contract_state;

const char *contract_state_name(contract_state s);
int contract_state_parse(const char *s, contract_state *out);

/* The coverage a plan gives an asset sold on a day. */
typedef struct contract_terms {
	date_t start_date;        /* covered from this day ... */
	date_t end_date;          /* ... up to, not including, this one */
	date_t waiting_ends;      /* first day after the waiting period (= sale date when none) */
	bool has_waiting;
	bool has_usage_limit;
	int64_t start_usage;      /* the reading the allowance counts from */
	int64_t end_usage;        /* covered up to and including this reading */
	int64_t starts_at_usage;  /* warranty-end plans: the manufacturer's usage limit */
	int64_t liability_limit;
} contract_terms;

/* Works out the terms, a pure function:
 *   start: the purchase date, or for warranty-end plans the purchase date
 *          plus the manufacturer's warranty months;
 *   end:   start plus the plan's term in months (end-of-month rule);
 *   waiting period: the plan's days counted from the sale date;
 *   usage: counted from the reading at sale, or for warranty-end plans from
 *          the manufacturer's usage limit when that is higher; the allowance
 *          is the plan's usage limit;
 *   liability: the plan's limit, or the asset's purchase price.
 * Returns 0, or -1 when a date leaves the calendar. */
int contract_terms_compute(const plan *p, const asset *a, date_t sale_date, contract_terms *out);

typedef struct contract {
	int64_t id;
	char number[CONTRACT_NUMBER_MAX + 1];
	char dealer_id[DEALER_ID_MAX + 1];
	char document_id[65];          /* the registration's DocumentId */
	int64_t asset_id;
	asset asset;
	char plan_code[PLAN_CODE_MAX + 1];
	int plan_version;
	char quote_id[65];             /* "" when priced at registration */
	contract_state state;          /* as stored: active, cancelled or exhausted */
	date_t sale_date;
	contract_terms terms;
	int64_t deductible;
	int64_t claims_paid;
	int claims_count;
	priced price;
	char dealer_reference[65];
	int installments;              /* 1: invoiced at sale; N: N monthly installments */
	bool cancelled;
	date_t cancelled_on;
	customer owner;                /* the current owner */
	int owner_seq;                 /* 1: the buyer; 2 after the first transfer, ... */
} contract;

/* The state on a day: an active contract whose end date has passed is
 * expired; otherwise the stored state. */
contract_state contract_state_on(const contract *c, date_t day);

/* Stores a new contract (c->asset_id, terms, price, owner... filled in),
 * its first owner and its "registered" event; sets c->id and c->number.
 * Returns 0, or -1 with a message in err. */
int contract_insert(db_conn *db, contract *c, char *err, size_t errlen);

/* Reads the contract numbered number, with its asset and current owner,
 * into *out. dealer_id NULL: any dealer's; otherwise another dealer's
 * contract counts as none. for_update locks it until the transaction ends.
 * Returns 1 found, 0 not, -1 on a database error. */
int contract_find(db_conn *db, const char *dealer_id, const char *number, bool for_update,
    contract *out, char *err, size_t errlen);

/* Reads every contract on the asset (oldest first) into a new array *out
 * of *n (free()); for_update locks them. Returns 0 or -1. */
int contract_list_for_asset(db_conn *db, int64_t asset_id, bool for_update, contract **out,
    size_t *n, char *err, size_t errlen);

/* A cancellation as recorded. */
typedef struct cancellation {
	char document_id[65];
	date_t date;
	bool has_usage;
	int64_t usage;
	char reason[33];
	char comment[2001];       /* "" when none */
	refund_result refund;
	char credit_note_number[65]; /* "" until invoicing issues it */
} cancellation;

/* Cancels c as of x->date with x's refund: the contract becomes
 * cancelled, the cancellation (with what the credit note will need: the
 * original amounts and tax) and a "cancelled" event are stored. Returns 0
 * or -1. */
int contract_cancel(db_conn *db, contract *c, const cancellation *x, char *err, size_t errlen);

/* Reads the cancellation of contract id. Returns 1, 0 (none) or -1. */
int contract_cancellation(db_conn *db, int64_t contract_id, cancellation *out, char *err,
    size_t errlen);

/* Records a transfer of c to owner on date (the reading that day if
 * has_usage): a new owner row and a "transferred" event; the previous
 * owners stay. Sets *transfer_number (1 for the first transfer) and
 * updates c->owner. Returns 0 or -1. */
int contract_transfer(db_conn *db, contract *c, const customer *owner, date_t date,
    bool has_usage, int64_t usage, const char *document_id, int *transfer_number, char *err,
    size_t errlen);

/* One owner in the contract's history. */
typedef struct contract_owner {
	int seq;
	date_t effective_date;
	bool has_usage;
	int64_t usage;
	customer who;
} contract_owner;

/* Reads every owner of contract id, the buyer first, into a new array
 * *out of *n (free()). Returns 0 or -1. */
int contract_owners(db_conn *db, int64_t contract_id, contract_owner **out, size_t *n,
    char *err, size_t errlen);

#endif
