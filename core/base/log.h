/* log — one line per event: time, level, request id, message.
 *
 *   2026-11-22T22:10:54.123Z level=info req=4f2a9c01 msg="listening on 127.0.0.1:8080"
 *
 * The request id is thread-local: the HTTP layer sets it while a request is
 * handled, so everything logged on its behalf carries it. Thread-safe. */
#ifndef CD_BASE_LOG_H
#define CD_BASE_LOG_H

#include <stdarg.h>
#include <stdio.h>

typedef enum log_level {
	LOG_LEVEL_DEBUG = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_WARN = 2,
	LOG_LEVEL_ERROR = 3,
} log_level;

/* Sends log lines to out (stderr when NULL) from level min upward. */
void log_setup(log_level min, FILE *out);
log_level log_min_level(void);
/* Parses "debug", "info", "warn" or "error"; returns 0, or -1 if unknown. */
int log_level_parse(const char *s, log_level *out);
const char *log_level_name(log_level level);

/* Sets this thread's request id (copied; NULL clears it). */
void log_set_request_id(const char *id);
const char *log_request_id(void);

void log_write(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vwrite(log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
