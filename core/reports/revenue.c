/* revenue — the unearned roll-forward and the loss ratio per month and
 * plan or dealer (see report.h). */
#include "reports/report.h"
#include "reports/scan.h"
#include "base/money.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct revenue_scan {
	rev_groups groups;
	report_by by;
} revenue_scan;

static int
fold(void *arg, const scanned_contract *c)
{
	revenue_scan *s = arg;
	rev_group *g = rev_groups_get(&s->groups, s->by == REPORT_BY_DEALER ? c->dealer_id :
	    c->plan_code, c->currency);

	return rev_groups_add(&s->groups, g, &c->e);
}

/* Claims incurred per month into the groups' extra values. */
static int
claims_incurred(db_conn *db, const report_request *rq, revenue_scan *s, char *err,
    size_t errlen)
{
	/* What the service contract pays: the claim's covered amount less its
	 * lines under the manufacturer's warranty (report.h). */
	db_rows *r = db_query(db,
	    "SELECT DATE_FORMAT(c.created_at, '%Y-%m'), k.plan_code, k.dealer_id, c.currency, "
	    "SUM(c.covered - (SELECT COALESCE(SUM(l.covered), 0) FROM claim_lines l "
	    "WHERE l.claim_id = c.id AND l.coverage = 'manufacturer-warranty')) "
	    "FROM claims c JOIN contracts k ON k.id = c.contract_id "
	    "WHERE c.created_at >= ? AND c.created_at < ? "
	    "AND c.state IN ('approved', 'partially-approved', 'paid') "
	    "GROUP BY 1, 2, 3, 4", "DD", rq->from, rq->to);

	if (r == NULL) {
		snprintf(err, errlen, "reading claims: %s", db_error(db));
		return -1;
	}
	while (db_rows_next(r) == 1) {
		char day[11];
		date_t d;
		int p;
		rev_group *g;

		snprintf(day, sizeof day, "%.7s-01", db_rows_str(r, 0) ? db_rows_str(r, 0) : "");
		if (date_parse(day, &d) != 0)
			continue;
		for (p = 0; p < s->groups.nbound - 1 && s->groups.bound[p + 1] <= d; p++)
			;
		g = rev_groups_get(&s->groups, db_rows_str(r, s->by == REPORT_BY_DEALER ? 2 : 1),
		    db_rows_str(r, 3));
		rev_groups_add_extra(&s->groups, g, p, db_rows_int(r, 4));
	}
	db_rows_free(r);
	return 0;
}

/* Formats amount into out (32 bytes); -1 for an unknown currency. */
static int
fmt(int64_t amount, const char *currency, char *out)
{
	return money_format(amount, currency, out, 32) == MONEY_OK ? 0 : -1;
}

/* One row for the period [i, j) of g (j = i + 1 for a month, or the whole
 * range for the total row). */
static int
emit(const report_request *rq, const report_sink *sink, const rev_group *g, const char *label,
    int i, int j, char *err, size_t errlen)
{
	const int64_t *a = g->pos + (size_t)i * POS_N, *b = g->pos + (size_t)j * POS_N;
	char v[6][32];
	const char *cells[8];
	size_t n = 0;
	int rc = 0;

	cells[n++] = label;
	cells[n++] = g->key;
	cells[n++] = g->currency;
	if (rq->kind == REPORT_REVENUE) {
		rc |= fmt(a[POS_UNEARNED], g->currency, v[0]);
		rc |= fmt(b[POS_WRITTEN] - a[POS_WRITTEN], g->currency, v[1]);
		rc |= fmt(b[POS_EARNED] - a[POS_EARNED], g->currency, v[2]);
		rc |= fmt(b[POS_CANCELLED] - a[POS_CANCELLED], g->currency, v[3]);
		rc |= fmt(b[POS_UNEARNED], g->currency, v[4]);
		for (int k = 0; k < 5; k++)
			cells[n++] = v[k];
	} else {
		int64_t earned = b[POS_EARNED] - a[POS_EARNED], incurred = 0;
		for (int k = i; k < j; k++)
			incurred += g->extra[k];
		rc |= fmt(earned, g->currency, v[0]);
		rc |= fmt(incurred, g->currency, v[1]);
		report_loss_ratio_format(incurred, earned, v[2], sizeof v[2]);
		for (int k = 0; k < 3; k++)
			cells[n++] = v[k];
	}
	if (rc != 0) {
		snprintf(err, errlen, "currency '%s' of %s is not one contractd knows", g->currency,
		    g->key);
		return -1;
	}
	if (sink->row(sink->arg, cells, n) != 0) {
		snprintf(err, errlen, "the output failed");
		return -1;
	}
	return 0;
}

/* Whether g shows anything over the range: an opening, a movement or a
 * claim. Groups of contracts that were done before the range are left
 * out. */
static bool
shows(const rev_group *g, int months)
{
	for (int i = 0; i <= months; i++) {
		const int64_t *p = g->pos + (size_t)i * POS_N;
		if (p[POS_UNEARNED] != 0 || (i < months && g->extra[i] != 0))
			return true;
		if (i > 0)
			for (int k = 0; k < POS_N; k++)
				if (p[k] != p[k - POS_N])
					return true;
	}
	return false;
}

int
report_revenue(db_conn *db, const report_request *rq, const report_sink *sink, char *err,
    size_t errlen)
{
	static const char *const rev_cols[] = { "month", NULL, "currency", "opening", "written",
	    "earned", "cancelled", "closing" };
	static const bool rev_num[] = { false, false, false, true, true, true, true, true };
	static const char *const lr_cols[] = { "month", NULL, "currency", "earned", "incurred",
	    "loss_ratio" };
	static const bool lr_num[] = { false, false, false, true, true, true };
	const char *cols[8];
	date_t *bound = xcalloc((size_t)rq->months + 1, sizeof *bound);
	revenue_scan s;
	rev_group **sorted = NULL;
	size_t ngroups = 0, ncols;
	int rc = -1;

	bound[0] = rq->from;
	for (int i = 1; i <= rq->months; i++)
		date_add_months(bound[i - 1], 1, &bound[i]);
	memset(&s, 0, sizeof s);
	s.by = rq->by;
	rev_groups_init(&s.groups, bound, rq->months + 1);

	if (rq->kind == REPORT_REVENUE) {
		ncols = sizeof rev_cols / sizeof rev_cols[0];
		memcpy(cols, rev_cols, sizeof rev_cols);
	} else {
		ncols = sizeof lr_cols / sizeof lr_cols[0];
		memcpy(cols, lr_cols, sizeof lr_cols);
	}
	cols[1] = rq->by == REPORT_BY_DEALER ? "dealer" : "plan";

	if (report_scan_contracts(db, rq->from, rq->to, fold, &s, err, errlen) != 0)
		goto out;
	if (rq->kind == REPORT_LOSS_RATIO && claims_incurred(db, rq, &s, err, errlen) != 0)
		goto out;
	if (s.groups.overflow) {
		snprintf(err, errlen, "a sum does not fit in 64 bits");
		goto out;
	}
	if (sink->columns(sink->arg, cols, rq->kind == REPORT_REVENUE ? rev_num : lr_num,
	    ncols) != 0) {
		snprintf(err, errlen, "the output failed");
		goto out;
	}
	sorted = rev_groups_sorted(&s.groups, &ngroups);
	/* Only the groups with something to show, in order. */
	{
		size_t kept = 0;
		for (size_t k = 0; k < ngroups; k++)
			if (shows(sorted[k], rq->months))
				sorted[kept++] = sorted[k];
		ngroups = kept;
	}
	for (int m = 0; m < rq->months; m++) {
		char month[11];
		date_format(bound[m], month);
		month[7] = '\0';
		for (size_t k = 0; k < ngroups; k++)
			if (emit(rq, sink, sorted[k], month, m, m + 1, err, errlen) != 0)
				goto out;
	}
	for (size_t k = 0; k < ngroups; k++)
		if (emit(rq, sink, sorted[k], "total", 0, rq->months, err, errlen) != 0)
			goto out;
	rc = 0;
out:
	free(sorted);
	rev_groups_free(&s.groups);
	free(bound);
	return rc;
}
