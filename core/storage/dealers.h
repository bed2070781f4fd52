/* dealers — the dealers table: who may send documents, and how they prove it. */
#ifndef CD_STORAGE_DEALERS_H
#define CD_STORAGE_DEALERS_H

#include <stdbool.h>
#include <stddef.h>

#include "storage/db.h"

#define DEALER_ID_MAX 64
#define DEALER_NAME_MAX 200
#define DB_TIME_STR_LEN 26  /* "YYYY-MM-DD HH:MM:SS.ffffff" */

/* How a dealer authenticates: API keys, client certificates, or either. */
typedef enum dealer_auth {
	DEALER_AUTH_KEY,
	DEALER_AUTH_CERT,
	DEALER_AUTH_BOTH,
} dealer_auth;

typedef struct dealer {
	char id[DEALER_ID_MAX + 1];
	char *name;                              /* owned */
	dealer_auth auth;
	char created_at[DB_TIME_STR_LEN + 1];    /* UTC */
} dealer;

const char *dealer_auth_name(dealer_auth a);
/* Parses "key", "cert" or "both"; returns 0, or -1 if unknown. */
int dealer_auth_parse(const char *s, dealer_auth *out);
/* A dealer id is the dealer's own code: 1-64 characters of [A-Za-z0-9._-]. */
bool dealer_id_valid(const char *id);
/* A name is 1-200 bytes without control characters. */
bool dealer_name_valid(const char *name);

/* Creates a dealer. Returns 0; 1 when a dealer with that id exists
 * (message in err); -1 for an invalid id or name or a database error
 * (message in err). */
int dealer_create(db_conn *c, const char *id, const char *name, dealer_auth auth,
    char *err, size_t errlen);
/* Reads one dealer into out (free its contents with dealer_clear). Returns
 * 1 when found, 0 when there is no such dealer, -1 on a database error
 * (message in err). */
int dealer_get(db_conn *c, const char *id, dealer *out, char *err, size_t errlen);
/* Reads all dealers ordered by id into a new array *out of *n (free with
 * dealer_list_free). Returns 0, or -1 with a message in err. */
int dealer_list(db_conn *c, dealer **out, size_t *n, char *err, size_t errlen);
void dealer_clear(dealer *d);
void dealer_list_free(dealer *list, size_t n);

#endif
