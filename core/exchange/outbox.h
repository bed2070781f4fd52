/* outbox — what each dealer should receive, read from a cursor.
 *
 * Writers only insert (outbox_put, inside the transaction that made the
 * document). A dealer's cursor numbers (1, 2, 3, ...) are given out when the
 * outbox is read, in insertion order, under the dealer's outbox_cursors
 * row: a document committed late gets a later number rather than one the
 * dealer has already read past, so reading "after N" never skips one. */
#ifndef CD_EXCHANGE_OUTBOX_H
#define CD_EXCHANGE_OUTBOX_H

#include <stddef.h>

#include "storage/db.h"
#include "storage/outbox.h"

#endif
