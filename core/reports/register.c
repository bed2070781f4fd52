/* register — the invoice register (see report.h). */
#include "reports/report.h"
#include "base/money.h"

#include <stdio.h>
#include <string.h>

int
report_invoices(db_conn *db, const report_request *rq, const report_sink *sink, char *err,
    size_t errlen)
{
	static const char *const cols[] = { "number", "type", "origin", "issue_date", "due_date",
	    "buyer", "dealer", "currency", "net", "tax", "total", "preceding" };
	static const bool num[] = { false, false, false, false, false, false, false, false, true,
	    true, true, false };
	int64_t after = 0;

	if (sink->columns(sink->arg, cols, num, sizeof cols / sizeof cols[0]) != 0)
		goto output;
	for (;;) {
		/* Issued in the range, in the order issued (by id), page by page. */
		db_rows *r = db_query(db,
		    "SELECT id, number, type, origin, issue_date, due_date, buyer_name, "
		    "COALESCE(dealer_id, ''), currency, line_total, tax_total, total, "
		    "COALESCE(preceding_number, '') FROM invoices "
		    "WHERE id > ? AND issue_date >= ? AND issue_date < ? ORDER BY id LIMIT ?",
		    "iDDd", after, rq->from, rq->to, (int)REPORT_PAGE);
		size_t rows = 0;

		if (r == NULL) {
			snprintf(err, errlen, "reading invoices: %s", db_error(db));
			return -1;
		}
		while (db_rows_next(r) == 1) {
			const char *cur = db_rows_str(r, 8), *cells[12];
			bool credit = strcmp(db_rows_str(r, 2), "credit-note") == 0;
			char net[32], tax[32], total[32];

			rows++;
			after = db_rows_int(r, 0);
			/* Credit notes count against the period: negative amounts. */
			if (money_format(credit ? -db_rows_int(r, 9) : db_rows_int(r, 9), cur, net,
			    sizeof net) != MONEY_OK ||
			    money_format(credit ? -db_rows_int(r, 10) : db_rows_int(r, 10), cur, tax,
			    sizeof tax) != MONEY_OK ||
			    money_format(credit ? -db_rows_int(r, 11) : db_rows_int(r, 11), cur, total,
			    sizeof total) != MONEY_OK) {
				snprintf(err, errlen, "invoice %s: unknown currency '%s'", db_rows_str(r, 1),
				    cur);
				db_rows_free(r);
				return -1;
			}
			cells[0] = db_rows_str(r, 1);
			cells[1] = db_rows_str(r, 2);
			cells[2] = db_rows_str(r, 3);
			cells[3] = db_rows_str(r, 4);
			cells[4] = db_rows_str(r, 5);
			cells[5] = db_rows_str(r, 6);
			cells[6] = db_rows_str(r, 7);
			cells[7] = cur;
			cells[8] = net;
			cells[9] = tax;
			cells[10] = total;
			cells[11] = db_rows_str(r, 12);
			if (sink->row(sink->arg, cells, 12) != 0) {
				db_rows_free(r);
				goto output;
			}
		}
		db_rows_free(r);
		if (rows < REPORT_PAGE)
			return 0;
	}
output:
	snprintf(err, errlen, "the output failed");
	return -1;
}
