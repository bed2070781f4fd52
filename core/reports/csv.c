/* csv — RFC 4180 rows (see csv.h). */
#include "reports/csv.h"

#include <string.h>

int
csv_field(buf *out, const char *value, bool text)
{
	const char *v = value ? value : "";
	bool guard = text && (*v == '=' || *v == '+' || *v == '-' || *v == '@' || *v == '\t' ||
	    *v == '\r');
	bool quote = guard || strpbrk(v, ",\"\r\n") != NULL;

	if (!quote)
		return buf_puts(out, v);
	if (buf_puts(out, guard ? "\"'" : "\"") != 0)
		return -1;
	for (const char *p = v; *p; p++) {
		const char *q = strchr(p, '"');
		size_t n = q ? (size_t)(q - p) : strlen(p);
		if (buf_append(out, p, n) != 0)
			return -1;
		if (q == NULL)
			break;
		if (buf_puts(out, "\"\"") != 0)
			return -1;
		p = q;
	}
	return buf_puts(out, "\"");
}

int
csv_row(buf *out, const char *const *cells, size_t n, const bool *numeric)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && buf_puts(out, ",") != 0)
			return -1;
		if (csv_field(out, cells[i], numeric == NULL || !numeric[i]) != 0)
			return -1;
	}
	return buf_puts(out, "\r\n");
}
