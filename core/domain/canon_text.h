/* canon_text — the canonical "key=value" lines that priced inputs, quotes
 * and plan definitions are hashed and signed over. One line per field,
 * values escaped (backslash, LF, CR) so a value can never forge a line. */
#ifndef CD_DOMAIN_CANON_TEXT_H
#define CD_DOMAIN_CANON_TEXT_H

#include <stdint.h>

#include "base/buf.h"
#include "base/date.h"

/* Appends "key=value\n"; a NULL value is written as empty. */
void canon_put(buf *b, const char *key, const char *value);
void canon_put_int(buf *b, const char *key, int64_t v);
/* The date as YYYY-MM-DD. */
void canon_put_date(buf *b, const char *key, date_t d);

#endif
