/* report — requests, the read transaction and the loss-ratio format (see
 * report.h). */
#include "reports/report.h"

#include "base/money.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {
	[REPORT_REVENUE] = "revenue",
	[REPORT_LOSS_RATIO] = "loss-ratio",
	[REPORT_INVOICES] = "invoices",
	[REPORT_JOURNAL] = "journal",
};

const char *
report_kind_name(report_kind k)
{
	return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : NULL;
}

int
report_kind_parse(const char *s, report_kind *out)
{
	for (size_t i = 0; s != NULL && i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (report_kind)i;
			return 0;
		}
	return -1;
}

/* "YYYY-MM": the month's first day and the next month's. */
static int
parse_month(const char *s, date_t *first, date_t *next)
{
	char day[11];

	if (s == NULL || strlen(s) != 7)
		return -1;
	snprintf(day, sizeof day, "%s-01", s);
	if (date_parse(day, first) != 0)
		return -1;
	return date_add_months(*first, 1, next);
}

/* A day ("YYYY-MM-DD") or a month ("YYYY-MM"): *start is the day or the
 * month's first day, *last the day or the month's last. */
static int
parse_day_or_month(const char *s, date_t *start, date_t *last)
{
	date_t next;

	if (s != NULL && strlen(s) == 10 && date_parse(s, start) == 0) {
		*last = *start;
		return 0;
	}
	if (parse_month(s, start, &next) != 0)
		return -1;
	*last = next - 1;
	return 0;
}

int
report_request_parse(report_kind kind, const char *from, const char *to, const char *by,
    report_request *out, char *err, size_t errlen)
{
	bool monthly = kind == REPORT_REVENUE || kind == REPORT_LOSS_RATIO;
	date_t a, b, a2, b2;

	memset(out, 0, sizeof *out);
	out->kind = kind;
	if (report_kind_name(kind) == NULL) {
		snprintf(err, errlen, "unknown report");
		return -1;
	}
	if (from == NULL || to == NULL || *from == '\0' || *to == '\0') {
		snprintf(err, errlen, "from and to are required (%s)", monthly ? "YYYY-MM" :
		    "YYYY-MM-DD or YYYY-MM");
		return -1;
	}
	if (monthly) {
		if (parse_month(from, &a, &a2) != 0 || parse_month(to, &b, &b2) != 0) {
			snprintf(err, errlen, "from and to must be months such as 2026-01 (got '%.20s' "
			    "and '%.20s')", from, to);
			return -1;
		}
		out->from = a;
		out->to = b2;
		if (out->to <= out->from) {
			snprintf(err, errlen, "to (%.20s) is before from (%.20s)", to, from);
			return -1;
		}
		for (date_t d = out->from; d < out->to; out->months++)
			if (date_add_months(d, 1, &d) != 0 || out->months >= REPORT_MAX_MONTHS) {
				snprintf(err, errlen, "the range is longer than %d months",
				    REPORT_MAX_MONTHS);
				return -1;
			}
	} else {
		if (parse_day_or_month(from, &a, &a2) != 0 || parse_day_or_month(to, &b2, &b) != 0) {
			snprintf(err, errlen, "from and to must be dates such as 2026-01-31 or months "
			    "such as 2026-01 (got '%.20s' and '%.20s')", from, to);
			return -1;
		}
		out->from = a;
		out->to = b + 1;
		if (out->to <= out->from) {
			snprintf(err, errlen, "to (%.20s) is before from (%.20s)", to, from);
			return -1;
		}
		if (out->to - out->from > REPORT_MAX_DAYS) {
			snprintf(err, errlen, "the range is longer than %d days", REPORT_MAX_DAYS);
			return -1;
		}
	}
	if (by != NULL && *by != '\0') {
		if (!monthly) {
			snprintf(err, errlen, "by applies to the revenue and loss-ratio reports only");
			return -1;
		}
		if (strcmp(by, "plan") == 0)
			out->by = REPORT_BY_PLAN;
		else if (strcmp(by, "dealer") == 0)
			out->by = REPORT_BY_DEALER;
		else {
			snprintf(err, errlen, "by must be plan or dealer (got '%.20s')", by);
			return -1;
		}
	}
	return 0;
}

void
report_loss_ratio_format(int64_t incurred, int64_t earned, char *out, size_t outlen)
{
	int64_t r;

	if (earned == 0 ||
	    money_mul_frac(incurred, 10000, earned, ROUND_HALF_UP, &r) != MONEY_OK) {
		snprintf(out, outlen, "n/a");
		return;
	}
	snprintf(out, outlen, "%s%" PRId64 ".%04" PRId64, r < 0 ? "-" : "",
	    (r < 0 ? -(r / 10000) : r / 10000), r < 0 ? -(r % 10000) : r % 10000);
}

int
report_run(db_conn *db, const report_request *rq, const ledger_accounts *accounts,
    const report_sink *sink, char *err, size_t errlen)
{
	ledger_accounts defaults;
	int rc;

	/* One snapshot for every page and every query of the report, although
	 * sessions run READ COMMITTED (db.c): repeatable read for this one
	 * transaction, which takes the snapshot at its first read and keeps it
	 * until the rollback below. */
	if (db_exec_once(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY") < 0 ||
	    db_begin(db) != 0) {
		snprintf(err, errlen, "starting the report's transaction: %s", db_error(db));
		return -1;
	}
	switch (rq->kind) {
	case REPORT_REVENUE:
	case REPORT_LOSS_RATIO:
		rc = report_revenue(db, rq, sink, err, errlen);
		break;
	case REPORT_INVOICES:
		rc = report_invoices(db, rq, sink, err, errlen);
		break;
	case REPORT_JOURNAL:
		if (accounts == NULL) {
			ledger_accounts_load(NULL, &defaults, err, errlen);
			accounts = &defaults;
		}
		rc = report_journal(db, rq, accounts, sink, err, errlen);
		break;
	default:
		snprintf(err, errlen, "unknown report");
		rc = -1;
	}
	db_rollback(db);
	return rc;
}
