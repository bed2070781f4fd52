#include "domain/canon_text.h"

#include <stdio.h>

void
canon_put(buf *b, const char *key, const char *value)
{
	buf_puts(b, key);
	buf_puts(b, "=");
	for (const char *s = value ? value : ""; *s; s++) {
		switch (*s) {
		case '\\': buf_puts(b, "\\\\"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		default: buf_append(b, s, 1);
		}
	}
	buf_puts(b, "\n");
}

void
canon_put_int(buf *b, const char *key, int64_t v)
{
	buf_printf(b, "%s=%lld\n", key, (long long)v);
}

void
canon_put_date(buf *b, const char *key, date_t d)
{
	char text[DATE_STR_LEN + 1];

	date_format(d, text);
	canon_put(b, key, text);
}
