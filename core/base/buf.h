/* buf — a growable byte buffer with a ceiling.
 *
 * Every buffer that holds input from outside carries a maximum size, so a
 * request body or a document can never grow without limit (curl's dynbuf).
 * The data is always NUL-terminated so text can be used as a C string. */
#ifndef CD_BASE_BUF_H
#define CD_BASE_BUF_H

#include <stddef.h>

typedef struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* 0: no ceiling (for output the program builds itself) */
} buf;

void buf_init(buf *b, size_t max);
/* Appends n bytes; returns 0, or -1 (buffer unchanged) past the ceiling. */
int buf_append(buf *b, const void *data, size_t n);
int buf_puts(buf *b, const char *s);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(buf *b);
/* Hands the data to the caller (who frees it) and empties the buffer. */
char *buf_detach(buf *b, size_t *len);
void buf_free(buf *b);

#endif
