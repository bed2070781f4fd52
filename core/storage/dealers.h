/* dealers — the dealers table: who may send documents, and how they prove it. */
#ifndef CD_STORAGE_DEALERS_H
#define CD_STORAGE_DEALERS_H

#include <stdbool.h>
#include <stddef.h>

#include "storage/db.h"

#define DEALER_ID_MAX 64
#define DEALER_NAME_MAX 200      /* bytes */
#define DB_TIME_STR_LEN 26       /* "YYYY-MM-DD HH:MM:SS.ffffff" */

/* dealer_create's refusals (positive, so -1 stays "database error"). */
#define DEALER_EXISTS 1
#define DEALER_INVALID 2
#define DEALER_NOT_FOUND 3

/* A dealer as read from the database; plain data, nothing to free. */
typedef struct dealer {
	char id[DEALER_ID_MAX + 1];
	char name[4 * DEALER_NAME_MAX + 1];      /* room for any VARCHAR(200) value */
	char auth_mode[5];                       /* "key", "cert" or "both" */
	char created_at[DB_TIME_STR_LEN + 1];    /* UTC */
} dealer;

/* A dealer id is the dealer's own code: 1-64 characters of [A-Za-z0-9._-]. */
bool dealer_id_valid(const char *id);
/* A name is 1-200 bytes without control characters. */
bool dealer_name_valid(const char *name);
/* How a dealer authenticates: "key" (an API key; a client certificate is
 * not needed), "cert" (a client certificate mapped to it; API keys are
 * refused) or "both" (an API key and a certificate, both its own). */
bool dealer_auth_mode_valid(const char *mode);

/* Creates a dealer inside the caller's transaction (or alone, in
 * autocommit); auth_mode NULL means "key". Writes no audit record: the
 * caller appends "dealer.create" (audit.h) in the same transaction, as
 * POST /v1/dealers does. Returns 0; DEALER_INVALID for an invalid id, name
 * or auth mode and DEALER_EXISTS when the id is taken (ids differing only
 * in case are the same id); -1 on a database error. Every refusal and
 * error leaves a message in err. */
int dealer_create(db_conn *c, const char *id, const char *name, const char *auth_mode,
    char *err, size_t errlen);
/* dealer_create and its audit record "dealer.create" by actor, in a
 * transaction of its own (retried on deadlocks). Same returns. */
int dealer_add(db_conn *c, const char *actor, const char *id, const char *name,
    const char *auth_mode, char *err, size_t errlen);
/* Changes how dealer id authenticates, in a transaction of its own with
 * the audit record "dealer.set_auth" by actor (none when the mode is the
 * same already). Writes the mode it had into previous. Takes effect on the
 * next request. Returns 0; DEALER_INVALID for an invalid mode,
 * DEALER_NOT_FOUND when there is no such dealer; -1 on a database error.
 * Every refusal and error leaves a message in err. */
int dealer_set_auth(db_conn *c, const char *actor, const char *id, const char *auth_mode,
    char previous[5], char *err, size_t errlen);
/* A dealer's billing identity: the buyer on the invoices it receives. All
 * optional ("" when absent); a dealer without a country is taken to be in
 * the seller's (billing/build.h). */
typedef struct dealer_billing {
	char street[4 * 200 + 1];
	char city[4 * 128 + 1];
	char postal_code[17];
	char country[3];          /* ISO 3166 alpha-2, upper case */
	char vat_id[33];
	char email[255];
} dealer_billing;

/* Checks b: a country of two capital letters, no control characters, each
 * field within its column. Returns true, or false with the reason in err. */
bool dealer_billing_valid(const dealer_billing *b, char *err, size_t errlen);
/* Replaces dealer id's billing identity inside the caller's transaction
 * (the caller audits). Returns 0; DEALER_INVALID (message in err);
 * DEALER_NOT_FOUND; -1 on a database error. */
int dealer_set_billing(db_conn *c, const char *id, const dealer_billing *b, char *err,
    size_t errlen);

/* Reads one dealer into out. Returns 1 when found, 0 when there is no such
 * dealer, -1 on a database error (message in err). */
int dealer_get(db_conn *c, const char *id, dealer *out, char *err, size_t errlen);
/* Reads all dealers ordered by id into a new array *out of *n (release it
 * with free()). Returns 0, or -1 with a message in err. */
int dealer_list(db_conn *c, dealer **out, size_t *n, char *err, size_t errlen);

#endif
