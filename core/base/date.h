/* date — calendar dates for terms, ages and day counts.
 *
 * A date is a count of days since 1970-01-01 in the proleptic Gregorian
 * calendar; no time of day and no time zone. A term of N months ends on the
 * same day N months later, or on that month's last day when the day does not
 * exist (2024-01-31 + 1 month = 2024-02-29). */
#ifndef CD_BASE_DATE_H
#define CD_BASE_DATE_H

#include <stdbool.h>
#include <stdint.h>

typedef int32_t date_t;

#define DATE_STR_LEN 10 /* "YYYY-MM-DD" */

bool year_is_leap(int year);
/* Days in the month (1..12) of year, or 0 for a month out of range. */
int days_in_month(int year, int month);

/* Builds a date from year (1..9999), month and day; -1 if no such date. */
int date_from_ymd(int year, int month, int day, date_t *out);
void date_to_ymd(date_t d, int *year, int *month, int *day);

/* Parses exactly "YYYY-MM-DD" (ISO 8601 calendar date); -1 on anything else,
 * including 2023-02-29. */
int date_parse(const char *text, date_t *out);
/* Writes "YYYY-MM-DD" and a NUL into out. */
void date_format(date_t d, char out[DATE_STR_LEN + 1]);

/* d plus months (may be negative) with the end-of-month rule above; -1 if
 * the result leaves years 1..9999. */
int date_add_months(date_t d, int months, date_t *out);
/* Whole months from a to b (b >= a): the largest n with a + n months <= b. */
int date_months_between(date_t a, date_t b);
/* Today's date in UTC. */
date_t date_today(void);

#endif
