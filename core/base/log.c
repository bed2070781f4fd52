#include "base/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static log_level min_level = LOG_LEVEL_INFO;
static FILE *log_out;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local char request_id[40];

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_setup(log_level min, FILE *out)
{
	min_level = min;
	log_out = out;
}

log_level
log_min_level(void)
{
	return min_level;
}

int
log_level_parse(const char *s, log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (log_level)i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LOG_LEVEL_WARN;
		return 0;
	}
	return -1;
}

const char *
log_level_name(log_level level)
{
	return level_names[level <= LOG_LEVEL_ERROR ? level : LOG_LEVEL_ERROR];
}

void
log_set_request_id(const char *id)
{
	if (id == NULL)
		request_id[0] = '\0';
	else
		snprintf(request_id, sizeof request_id, "%s", id);
}

const char *
log_request_id(void)
{
	return request_id[0] ? request_id : "-";
}

/* Writes the message in quotes, escaping what would break the line apart. */
static void
put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
log_vwrite(log_level level, const char *fmt, va_list ap)
{
	char msg[2048], stamp[40];
	struct timespec ts;
	struct tm tm;

	if (level < min_level)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

	FILE *f = log_out ? log_out : stderr;
	pthread_mutex_lock(&log_lock);
	fprintf(f, "%s.%03ldZ level=%s req=%s msg=", stamp, ts.tv_nsec / 1000000,
	    log_level_name(level), log_request_id());
	put_quoted(f, msg);
	fputc('\n', f);
	fflush(f);
	pthread_mutex_unlock(&log_lock);
}

void
log_write(log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, fmt, ap);
	va_end(ap);
}
