/* Finance reports over HTTP, as CSV (finance and admin):
 *
 *   GET /v1/reports/revenue.csv?from=YYYY-MM&to=YYYY-MM[&by=plan|dealer]
 *   GET /v1/reports/loss-ratio.csv?from=YYYY-MM&to=YYYY-MM[&by=plan|dealer]
 *   GET /v1/reports/invoices.csv?from=YYYY-MM-DD&to=YYYY-MM-DD
 *   GET /v1/reports/journal.csv?from=YYYY-MM-DD&to=YYYY-MM-DD
 *
 * The work is core/reports'; here the query is read, the ledger accounts
 * for the journal come from [ledger], and the rows become the CSV body.
 * The answer is built in memory up to REPORT_HTTP_MAX bytes; a longer one
 * is refused with a hint to narrow the range or run `contractctl report`,
 * which writes its CSV as it goes. */
#include "http/routes.h"
#include "http/server.h"
#include "reports/csv.h"
#include "reports/report.h"
#include "base/log.h"

#include <stdlib.h>
#include <string.h>

#define REPORT_HTTP_MAX ((size_t)256 << 20)

typedef struct csv_sink {
	buf *out;
	const bool *numeric;
	bool full;
} csv_sink;

static int
csv_columns(void *arg, const char *const *names, const bool *numeric, size_t n)
{
	csv_sink *s = arg;

	s->numeric = numeric;
	if (csv_row(s->out, names, n, NULL) != 0)
		s->full = true;
	return s->full ? -1 : 0;
}

static int
csv_cells(void *arg, const char *const *cells, size_t n)
{
	csv_sink *s = arg;

	if (csv_row(s->out, cells, n, s->numeric) != 0)
		s->full = true;
	return s->full ? -1 : 0;
}

static void
report(route_env *env, http_req *req, http_resp *resp, report_kind kind)
{
	char *from = http_req_query_param(req, "from"), *to = http_req_query_param(req, "to");
	char *by = http_req_query_param(req, "by");
	char err[512] = "";
	report_request rq;
	ledger_accounts accounts;
	csv_sink s = { &resp->body, NULL, false };
	report_sink sink = { csv_columns, csv_cells, &s };

	if (report_request_parse(kind, from, to, by, &rq, err, sizeof err) != 0) {
		http_resp_error(resp, 400, "invalid-query", NULL, "%s", err);
		goto out;
	}
	if (kind == REPORT_JOURNAL &&
	    ledger_accounts_load(env->srv->cfg, &accounts, err, sizeof err) != 0) {
		log_error("the journal cannot be written: %s", err);
		http_resp_error(resp, 503, "ledger-not-configured", NULL,
		    "the [ledger] configuration is not valid: %s", err);
		goto out;
	}
	buf_reset(&resp->body);
	resp->body.max = REPORT_HTTP_MAX;
	if (report_run(env->db, &rq, kind == REPORT_JOURNAL ? &accounts : NULL, &sink, err,
	    sizeof err) != 0) {
		resp->body.max = 0;
		if (s.full) {
			http_resp_error(resp, 413, "report-too-large", NULL,
			    "the report is larger than %zu MiB: narrow the range, or run "
			    "contractctl report, which writes its rows as it goes",
			    REPORT_HTTP_MAX >> 20);
			goto out;
		}
		log_error("report %s: %s", report_kind_name(kind), err);
		http_resp_error(resp, 500, "report-failed", NULL, "the %s report failed: %s",
		    report_kind_name(kind), err);
		goto out;
	}
	resp->body.max = 0;
	resp->status = 200;
	resp->content_type = "text/csv; charset=utf-8; header=present";
out:
	free(from);
	free(to);
	free(by);
}

/* GET /v1/reports/revenue.csv */
void
route_report_revenue(route_env *env, http_req *req, http_resp *resp)
{
	report(env, req, resp, REPORT_REVENUE);
}

/* GET /v1/reports/loss-ratio.csv */
void
route_report_loss_ratio(route_env *env, http_req *req, http_resp *resp)
{
	report(env, req, resp, REPORT_LOSS_RATIO);
}

/* GET /v1/reports/invoices.csv */
void
route_report_invoices(route_env *env, http_req *req, http_resp *resp)
{
	report(env, req, resp, REPORT_INVOICES);
}

/* GET /v1/reports/journal.csv */
void
route_report_journal(route_env *env, http_req *req, http_resp *resp)
{
	report(env, req, resp, REPORT_JOURNAL);
}
