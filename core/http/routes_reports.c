/* Finance reports over HTTP, as CSV (finance and admin):
 *
 *   GET /v1/reports/revenue.csv?from=YYYY-MM&to=YYYY-MM[&by=plan|dealer]
 *   GET /v1/reports/loss-ratio.csv?from=YYYY-MM&to=YYYY-MM[&by=plan|dealer]
 *   GET /v1/reports/invoices.csv?from=YYYY-MM-DD&to=YYYY-MM-DD
 *   GET /v1/reports/journal.csv?from=YYYY-MM-DD&to=YYYY-MM-DD
 *
 * The work is core/reports'; here the query is read, the ledger accounts
 * for the journal come from [ledger], and the rows become the CSV body.
 * The rows are spooled to an unnamed file in the state directory as they
 * come and the file is sent from there, so a report of millions of rows
 * costs disk, not memory, however many are asked for at once. A report
 * larger than REPORT_HTTP_MAX is refused with a hint to narrow the range
 * or run `contractctl report`. */
#include "http/routes.h"
#include "http/server.h"
#include "reports/csv.h"
#include "reports/report.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPORT_HTTP_MAX ((uint64_t)4 << 30)
#define SPOOL_CHUNK ((size_t)64 << 10)   /* rows are written in chunks this large */

typedef struct csv_sink {
	buf rows;               /* rows not yet written to the spool */
	int fd;                 /* the spool */
	uint64_t written;
	const bool *numeric;
	bool too_large;
	int error;              /* errno of a failed write, or 0 */
} csv_sink;

/* An unnamed file in dir, gone when closed; -1 with errno set. */
static int
spool_open(const char *dir)
{
	char *path;
	int fd;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
#endif
	path = xasprintf("%s/report-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

/* Writes the pending rows to the spool. Returns 0 or -1 (s says why). */
static int
spool_flush(csv_sink *s)
{
	size_t off = 0;

	if (s->written + s->rows.len > REPORT_HTTP_MAX) {
		s->too_large = true;
		return -1;
	}
	while (off < s->rows.len) {
		ssize_t n = write(s->fd, s->rows.data + off, s->rows.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->error = n < 0 ? errno : EIO;
			return -1;
		}
		off += (size_t)n;
	}
	s->written += s->rows.len;
	buf_reset(&s->rows);
	return 0;
}

static int
csv_columns(void *arg, const char *const *names, const bool *numeric, size_t n)
{
	csv_sink *s = arg;

	s->numeric = numeric;
	return csv_row(&s->rows, names, n, NULL);
}

static int
csv_cells(void *arg, const char *const *cells, size_t n)
{
	csv_sink *s = arg;

	if (csv_row(&s->rows, cells, n, s->numeric) != 0)
		return -1;
	return s->rows.len >= SPOOL_CHUNK ? spool_flush(s) : 0;
}

static void
report(route_env *env, http_req *req, http_resp *resp, report_kind kind)
{
	char *from = http_req_query_param(req, "from"), *to = http_req_query_param(req, "to");
	char *by = http_req_query_param(req, "by");
	char err[512] = "";
	report_request rq;
	ledger_accounts accounts;
	csv_sink s = { .fd = -1 };
	report_sink sink = { csv_columns, csv_cells, &s };

	buf_init(&s.rows, 0);
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
	if ((s.fd = spool_open(env->srv->cfg->state_dir)) < 0) {
		log_error("report %s: cannot spool in %s: %s", report_kind_name(kind),
		    env->srv->cfg->state_dir, strerror(errno));
		http_resp_error(resp, 503, "report-failed", NULL,
		    "the server cannot write the report now; retry later");
		goto out;
	}
	if (report_run(env->db, &rq, kind == REPORT_JOURNAL ? &accounts : NULL, &sink, err,
	    sizeof err) != 0 || spool_flush(&s) != 0) {
		if (s.too_large) {
			http_resp_error(resp, 413, "report-too-large", NULL,
			    "the report is larger than %llu MiB: narrow the range, or run "
			    "contractctl report, which writes its rows as it goes",
			    (unsigned long long)(REPORT_HTTP_MAX >> 20));
		} else if (s.error != 0) {
			log_error("report %s: writing the spool: %s", report_kind_name(kind),
			    strerror(s.error));
			http_resp_error(resp, 503, "report-failed", NULL,
			    "the server cannot write the report now; retry later");
		} else {
			log_error("report %s: %s", report_kind_name(kind), err);
			http_resp_error(resp, 500, "report-failed", NULL, "the %s report failed: %s",
			    report_kind_name(kind), err);
		}
		goto out;
	}
	resp->body_fd = s.fd;
	resp->body_fd_len = s.written;
	s.fd = -1;
	resp->status = 200;
	resp->content_type = "text/csv; charset=utf-8; header=present";
out:
	if (s.fd >= 0)
		close(s.fd);
	buf_free(&s.rows);
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
