/* claim_store — claims, their decided lines and the maintenance they
 * consumed, in the database (tables claims, claim_lines,
 * maintenance_services of migration 0004).
 *
 * Everything runs inside the caller's transaction: the claim, its lines,
 * the contract's liability and the invoices it produced commit together. */
#ifndef CD_DOMAIN_CLAIM_STORE_H
#define CD_DOMAIN_CLAIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/claim.h"
#include "storage/db.h"

#define CLAIM_NUMBER_MAX 32
#define CLAIM_TEXT_MAX 2000

typedef struct claim_record {
	int64_t id;
	char number[CLAIM_NUMBER_MAX + 1];     /* "CL-00000017" */
	char dealer_id[65];
	char document_id[65];
	char repair_order[65];
	char serial[65];
	bool is_vin;
	int64_t asset_id;                      /* 0: not a known asset */
	int64_t contract_id;                   /* 0: none concerned */
	char contract_number[33];
	date_t service_date;
	bool has_usage;
	int64_t usage;
	bool maintenance;
	claim_state state;
	char currency[4];
	claim_totals totals;
	char complaint[CLAIM_TEXT_MAX + 1];
	char cause[CLAIM_TEXT_MAX + 1];
	char correction[CLAIM_TEXT_MAX + 1];
	char customer_invoice[33];             /* "" when none */
	char settlement_note[33];
	char pricing[1000];                    /* "plugin version hash\n" per plugin */
} claim_record;

/* Stores a new claim and its lines; sets c->id and c->number. Returns 0 or
 * -1 with a message in err. */
int claim_insert(db_conn *db, claim_record *c, const claim_line *lines, size_t n, char *err,
    size_t errlen);
/* Records the invoice numbers a claim produced. */
int claim_set_invoices(db_conn *db, int64_t id, const char *customer_invoice,
    const char *settlement_note, char *err, size_t errlen);
/* Reads claim number (dealer_id non-NULL: only that dealer's) with its
 * lines (*lines, *n: free()). for_update locks it. Returns 1, 0 or -1. */
int claim_find(db_conn *db, const char *dealer_id, const char *number, bool for_update,
    claim_record *out, claim_line **lines, size_t *n, char *err, size_t errlen);
/* Marks an approved or partially approved claim paid. Returns 0, 1 when
 * its state does not allow it (err says why), -1. */
int claim_mark_paid(db_conn *db, claim_record *c, char *err, size_t errlen);

/* The maintenance done under contracts ids[0..n): *out of *nout services,
 * and (*which)[k] the index into ids of service k. free() both. */
int maintenance_services_load(db_conn *db, const int64_t *ids, size_t n,
    maintenance_service **out, int **which, size_t *nout, char *err, size_t errlen);
/* Records one service of entitlement ei under contract_id for claim_id. */
int maintenance_service_add(db_conn *db, int64_t contract_id, int ei, int64_t claim_id,
    const char *operation, date_t date, bool has_usage, int64_t usage, char *err,
    size_t errlen);

/* Charges a decided claim to its contract: claims_paid grows by the
 * liability the claim used, claims_count by one; an exhausted contract
 * becomes exhausted. Adds the contract events. Returns 0 or -1. */
int contract_charge_claim(db_conn *db, int64_t contract_id, const claim_record *c,
    char *err, size_t errlen);

#endif
