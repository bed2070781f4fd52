#include "base/date.h"

#include <time.h>

#define YEAR_MIN 1
#define YEAR_MAX 9999

/* Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. */
#define EPOCH_SHIFT 719468
/* Days in a 400-year cycle: 400 * 365 + 97 leap days. */
#define DAYS_PER_ERA 146097

bool
year_is_leap(int year)
{
	/* x % n == 0 is sign-independent, so this holds for year 0 and
	 * negative years too. */
	return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int
days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && year_is_leap(year))
		return 29;
	return days[month - 1];
}

/* The calendar conversions count years from 1 March, which puts the leap day
 * at the very end of the year: then the day of the year follows from the
 * month by one linear formula (months of 31, 30, 31, 30, 31 days repeat
 * every 153 days), and a 400-year era always has DAYS_PER_ERA days. Eras
 * are numbered with floor division so years before 0 work as well. */

/* Day of a March-based year (0..365) on which month m (March = 0) starts. */
static int64_t
march_month_start(int64_t m)
{
	return (153 * m + 2) / 5;
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	if (m <= 2)
		y--; /* January and February close the previous March-based year */
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;                   /* 0..399 */
	int64_t mm = m > 2 ? m - 3 : m + 9;            /* March = 0 */
	int64_t doy = march_month_start(mm) + d - 1;   /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
	return era * DAYS_PER_ERA + doe - EPOCH_SHIFT;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += EPOCH_SHIFT;
	int64_t era = (z >= 0 ? z : z - (DAYS_PER_ERA - 1)) / DAYS_PER_ERA;
	int64_t doe = z - era * DAYS_PER_ERA; /* 0..146096 */
	/* Years of the era: undo one leap day per 4 years, add back one per
	 * century and take away one for the era's last day (day 146096 is the
	 * 366th day of year 399, not the first of year 400). */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / (DAYS_PER_ERA - 1)) / 365;
	int64_t doy = doe - (yoe * 365 + yoe / 4 - yoe / 100);
	int64_t mm = (5 * doy + 2) / 153; /* inverse of march_month_start */

	*d = (int)(doy - march_month_start(mm) + 1);
	*m = (int)(mm < 10 ? mm + 3 : mm - 9);
	*y = era * 400 + yoe + (*m <= 2);
}

int
date_from_ymd(int year, int month, int day, date_t *out)
{
	if (year < YEAR_MIN || year > YEAR_MAX)
		return -1;
	if (day < 1 || day > days_in_month(year, month))
		return -1;
	*out = (date_t)days_from_civil(year, month, day);
	return 0;
}

/* Defined for every date_t, including those outside years 1..9999 (the
 * year still fits an int: 2^31 days is under six million years). */
void
date_to_ymd(date_t d, int *year, int *month, int *day)
{
	int64_t y;

	civil_from_days(d, &y, month, day);
	*year = (int)y;
}

static int
two_digits(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

int
date_parse(const char *text, date_t *out)
{
	if (text == NULL)
		return -1;
	/* Fixed positions: anything shorter stops at a NUL that is not a digit
	 * or dash, so reading up to index 10 stays inside the string. */
	for (int i = 0; i < DATE_STR_LEN; i++) {
		char c = text[i];
		bool ok = (i == 4 || i == 7) ? c == '-' : (c >= '0' && c <= '9');
		if (!ok)
			return -1;
	}
	if (text[DATE_STR_LEN] != '\0')
		return -1;

	int year = two_digits(text) * 100 + two_digits(text + 2);
	int month = two_digits(text + 5);
	int day = two_digits(text + 8);
	return date_from_ymd(year, month, day, out);
}

static void
put_digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* A date outside years 1..9999 has no "YYYY-MM-DD" form; it is written as
 * "0000-00-00", which date_parse rejects, instead of something plausible. */
void
date_format(date_t d, char out[DATE_STR_LEN + 1])
{
	int y, m, day;

	date_to_ymd(d, &y, &m, &day);
	if (y < YEAR_MIN || y > YEAR_MAX)
		y = m = day = 0;
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, day, 2);
	out[DATE_STR_LEN] = '\0';
}

/* Counts months on a single axis (year * 12 + month - 1), so a negative
 * month count crosses years like a positive one. A start date outside years
 * 1..9999 fails like a result outside them. */
int
date_add_months(date_t d, int months, date_t *out)
{
	int y, m, day;

	date_to_ymd(d, &y, &m, &day);
	if (y < YEAR_MIN || y > YEAR_MAX)
		return -1;

	int64_t idx = (int64_t)y * 12 + (m - 1) + months;
	if (idx < (int64_t)YEAR_MIN * 12 || idx > (int64_t)YEAR_MAX * 12 + 11)
		return -1;

	int ny = (int)(idx / 12);
	int nm = (int)(idx % 12) + 1;
	int last = days_in_month(ny, nm);
	return date_from_ymd(ny, nm, day < last ? day : last, out);
}

/* a + n months lands in month(a) + n, so n grows with the month and the
 * answer is the month distance, or one less when the (clamped) day in b's
 * month falls after b. The same rule gives the largest n for b < a as
 * well, a negative number. */
int
date_months_between(date_t a, date_t b)
{
	int ya, ma, da, yb, mb, db;

	date_to_ymd(a, &ya, &ma, &da);
	date_to_ymd(b, &yb, &mb, &db);

	int n = (yb - ya) * 12 + (mb - ma);
	int last = days_in_month(yb, mb);
	if ((da < last ? da : last) > db)
		n--;
	return n;
}

date_t
date_today(void)
{
	int64_t t = (int64_t)time(NULL);
	/* Floor division, should the clock ever read before 1970. */
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);

	return (date_t)days;
}
