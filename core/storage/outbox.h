/* outbox — adding a document to a dealer's outbox (table outbox). Writers
 * only insert, inside the transaction that made the document; reading by
 * cursor is core/exchange/outbox.c's. */
#ifndef CD_STORAGE_OUTBOX_H
#define CD_STORAGE_OUTBOX_H

#include <stddef.h>

#include "storage/db.h"

/* Adds a document for dealer_id. in_reply_to may be NULL. Returns 0, or -1
 * with a message in err. */
int outbox_put(db_conn *db, const char *dealer_id, const char *type, const char *document_id,
    const char *in_reply_to, const char *body, size_t len, char *err, size_t errlen);

#endif
