/* outbox — adding a document to a dealer's outbox (see outbox.h). */
#include "storage/outbox.h"

#include <stdio.h>

int
outbox_put(db_conn *db, const char *dealer_id, const char *type, const char *document_id,
    const char *in_reply_to, const char *body, size_t len, char *err, size_t errlen)
{
	if (db_exec(db, "INSERT INTO outbox (dealer_id, document_type, document_id, in_reply_to, "
	    "body, created_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6))", "ssssb", dealer_id, type,
	    document_id, in_reply_to, body, len) < 0) {
		snprintf(err, errlen, "storing the outbox document: %s", db_error(db));
		return -1;
	}
	return 0;
}
