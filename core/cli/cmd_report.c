/* contractctl report — the finance reports (core/reports) on the terminal
 * or as CSV:
 *
 *   contractctl report revenue|loss-ratio --from YYYY-MM --to YYYY-MM
 *       [--by plan|dealer] [--format table|csv|xml]
 *   contractctl report invoices|journal --from YYYY-MM-DD --to YYYY-MM-DD
 *       [--format table|csv|xml]
 *
 * A table (the default) is aligned, amounts to the right, its header in
 * bold when standard output is a terminal and NO_COLOR is not set; it is
 * printed once every row is read. CSV is written row by row as the report
 * produces it, so memory stays flat however long the report. */
#include "cli/cli.h"
#include "reports/csv.h"
#include "reports/report.h"
#include "storage/db.h"
#include "base/buf.h"
#include "base/xalloc.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TABLE_MAX_COLS 16

static void
report_usage(FILE *f)
{
	fprintf(f,
	    "usage: contractctl report revenue|loss-ratio --from YYYY-MM --to YYYY-MM\n"
	    "                          [--by plan|dealer] [--format table|csv|xml]\n"
	    "       contractctl report invoices|journal --from YYYY-MM-DD --to YYYY-MM-DD\n"
	    "                          [--format table|csv|xml]\n"
	    "\n"
	    "revenue     the unearned roll-forward per month: opening + written - earned -\n"
	    "            cancelled = closing, per plan or dealer and currency\n"
	    "loss-ratio  earned premium, claims incurred and incurred / earned per month\n"
	    "invoices    the invoice register (credit notes negative)\n"
	    "journal     general-ledger entries, each balanced; accounts from [ledger]\n"
	    "aging       open receivables by age: contractctl report aging --help\n"
	    "Both ends of the range are included. See contractctl(1).\n");
}

/* ------------------------------------------------------------------------
 * CSV: straight through
 * ------------------------------------------------------------------------ */

typedef struct csv_out {
	buf line;
	const bool *numeric;
	bool failed;
} csv_out;

static int
csv_write(csv_out *o, const char *const *cells, size_t n, const bool *numeric)
{
	buf_reset(&o->line);
	csv_row(&o->line, cells, n, numeric);
	if (fwrite(o->line.data, 1, o->line.len, stdout) != o->line.len)
		o->failed = true;
	return o->failed ? -1 : 0;
}

static int
csv_columns(void *arg, const char *const *names, const bool *numeric, size_t n)
{
	csv_out *o = arg;

	o->numeric = numeric;
	return csv_write(o, names, n, NULL);
}

static int
csv_cells(void *arg, const char *const *cells, size_t n)
{
	csv_out *o = arg;

	return csv_write(o, cells, n, o->numeric);
}

/* ------------------------------------------------------------------------
 * Table: collected, then aligned
 * ------------------------------------------------------------------------ */

typedef struct table {
	size_t ncols;
	char *names[TABLE_MAX_COLS];
	bool numeric[TABLE_MAX_COLS];
	char **cells;           /* nrows x ncols */
	size_t nrows, cap;
} table;

static int
table_columns(void *arg, const char *const *names, const bool *numeric, size_t n)
{
	table *t = arg;

	if (n > TABLE_MAX_COLS)
		return -1;
	t->ncols = n;
	for (size_t i = 0; i < n; i++) {
		t->names[i] = xstrdup(names[i]);
		t->numeric[i] = numeric[i];
	}
	return 0;
}

static int
table_cells(void *arg, const char *const *cells, size_t n)
{
	table *t = arg;

	if (n != t->ncols)
		return -1;
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cells = xreallocarray(t->cells, t->cap * t->ncols, sizeof *t->cells);
	}
	for (size_t i = 0; i < n; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i] ? cells[i] : "");
	t->nrows++;
	return 0;
}

/* Display width of UTF-8 text: its code points. */
static size_t
width_of(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void
table_print(const table *t)
{
	size_t w[TABLE_MAX_COLS] = { 0 };
	bool bold = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;

	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = width_of(t->names[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t x = width_of(t->cells[r * t->ncols + c]);
			if (x > w[c])
				w[c] = x;
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		char *const *row = r == 0 ? t->names : t->cells + (r - 1) * t->ncols;
		if (r == 0 && bold)
			fputs("\033[1m", stdout);
		for (size_t c = 0; c < t->ncols; c++) {
			size_t pad = w[c] - width_of(row[c]);
			bool last = c + 1 == t->ncols;
			if (t->numeric[c])
				printf("%*s%s", (int)pad, "", row[c]);
			else
				printf("%s%*s", row[c], last ? 0 : (int)pad, "");
			if (!last)
				fputs("  ", stdout);
		}
		if (r == 0 && bold)
			fputs("\033[0m", stdout);
		putchar('\n');
	}
	if (t->nrows == 0)
		printf("(no rows)\n");
}

static void
table_free(table *t)
{
	for (size_t c = 0; c < t->ncols; c++)
		free(t->names[c]);
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
}

int
cmd_report(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "by", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *to = NULL, *by = NULL, *format = "table";
	char err[512] = "";
	report_kind kind;
	report_request rq;
	ledger_accounts accounts;
	csv_out csv = { { 0 }, NULL, false };
	table tab;
	report_sink sink;
	int c, rc;

	if (argc < 1 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
		report_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	/* The aging of receivables is payments' (cmd_payment.c). */
	if (strcmp(argv[0], "aging") == 0)
		return cmd_report_aging(ctx, argc, argv);
	if (report_kind_parse(argv[0], &kind) != 0) {
		fprintf(stderr, "contractctl: unknown report '%s'\n", argv[0]);
		report_usage(stderr);
		return 2;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'b':
			by = optarg;
			break;
		case 'F':
			format = optarg;
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		default:
			report_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		report_usage(stderr);
		return 2;
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "csv") != 0 &&
	    strcmp(format, "xml") != 0) {
		fprintf(stderr, "contractctl: --format must be table, csv or xml\n");
		return 2;
	}
	if (report_request_parse(kind, from, to, by, &rq, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 2;
	}
	if (kind == REPORT_JOURNAL &&
	    ledger_accounts_load(ctx->cfg, &accounts, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	if (cli_db_open(ctx) != 0)
		return 1;

	memset(&tab, 0, sizeof tab);
	if (strcmp(format, "csv") == 0) {
		buf_init(&csv.line, 0);
		sink = (report_sink){ csv_columns, csv_cells, &csv };
	} else {
		sink = (report_sink){ table_columns, table_cells, &tab };
	}
	rc = report_run(ctx->db, &rq, kind == REPORT_JOURNAL ? &accounts : NULL, &sink, err,
	    sizeof err);
	if (rc == 0 && strcmp(format, "table") == 0)
		table_print(&tab);
	if (rc == 0 && strcmp(format, "xml") == 0)
		cli_print_rows(CLI_FORMAT_XML, (const char *const *)tab.names,
		    (const char *const *)tab.cells, tab.nrows, tab.ncols);
	if (fflush(stdout) != 0 || csv.failed) {
		fprintf(stderr, "contractctl: writing the report failed\n");
		rc = -1;
	} else if (rc != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
	}
	buf_free(&csv.line);
	table_free(&tab);
	return rc == 0 ? 0 : 1;
}
