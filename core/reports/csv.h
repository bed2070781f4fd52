/* csv — report rows as RFC 4180 CSV: pure functions.
 *
 * Fields are separated by commas and rows end in CRLF. A field holding a
 * comma, a double quote, CR or LF is quoted, its quotes doubled. Amounts
 * are plain decimals ("-12.30") and are never quoted.
 *
 * Text that came from outside (buyer names, references, plan codes) could
 * be read by a spreadsheet as a formula ("=HYPERLINK(...)"). A text field
 * starting with '=', '+', '-', '@', TAB or CR therefore gets a leading
 * apostrophe, as OWASP's "CSV injection" advice has it; amounts are
 * written by contractd itself and left alone. */
#ifndef CD_REPORTS_CSV_H
#define CD_REPORTS_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Appends one field (no separator) to out. text: neutralise formulas. */
int csv_field(buf *out, const char *value, bool text);
/* Appends a whole row of n fields and CRLF; numeric[i] true means field i
 * is an amount (no formula guard: "-12.30" stays as it is). numeric may be
 * NULL (all text). Returns 0, or -1 when out's ceiling is reached. */
int csv_row(buf *out, const char *const *cells, size_t n, const bool *numeric);

#endif
