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
/* How a dealer authenticates: "key" (API keys), "cert" (client
 * certificates) or "both". */
bool dealer_auth_mode_valid(const char *mode);

/* Creates a dealer; auth_mode NULL means "key". Returns 0;
 * DEALER_INVALID for an invalid id, name or auth mode and DEALER_EXISTS when
 * the id is taken (ids differing only in case are the same id); -1 on a
 * database error. Every refusal and error leaves a message in err. */
int dealer_create(db_conn *c, const char *id, const char *name, const char *auth_mode,
    char *err, size_t errlen);
/* Reads one dealer into out. Returns 1 when found, 0 when there is no such
 * dealer, -1 on a database error (message in err). */
int dealer_get(db_conn *c, const char *id, dealer *out, char *err, size_t errlen);
/* Reads all dealers ordered by id into a new array *out of *n (release it
 * with free()). Returns 0, or -1 with a message in err. */
int dealer_list(db_conn *c, dealer **out, size_t *n, char *err, size_t errlen);

#endif
