/* contractctl billing — billing runs from the command line: start (or
 * resume) the run of a period with a progress bar, preview it, show it. */
#include "cli/cli.h"
#include "billing/runs.h"
#include "billing/settings.h"
#include "exchange/exchange.h"
#include "storage/db.h"
#include "base/money.h"
#include "base/xalloc.h"

#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BAR_WIDTH 30

static atomic_bool interrupted;
static bool bar_open;        /* a progress bar is drawn and its line not ended */

static void
billing_usage(FILE *f)
{
	fprintf(f,
	    "usage: contractctl billing run --period YYYY-MM [--dealer ID] [--dry-run]\n"
	    "                               [--format table|csv|xml]\n"
	    "       contractctl billing show RUN-ID [--format table|csv|xml]\n"
	    "\n"
	    "run issues the period's invoices, per dealer and currency: the remittance of\n"
	    "the dealer cost of the contracts sold in the month, the chargeback of the\n"
	    "commission on those cancelled in it, the installments due in it and, with\n"
	    "[invoices] claim_settlement = billing-run, a settlement credit note for the\n"
	    "claims decided in it. Each invoice commits on its own: stopped\n"
	    "at any moment (Ctrl-C stops after the current invoice; even kill -9), the same\n"
	    "command resumes the run, and no invoice is ever issued twice. --dry-run shows\n"
	    "what the run would issue, and issues nothing.\n");
}

static void
on_interrupt(int sig)
{
	(void)sig;
	atomic_store(&interrupted, true);
}

/* The progress bar, on a terminal only; programs reading stderr get the
 * summary line at the end. */
static void
draw_progress(void *arg, int done, int total)
{
	int filled = total > 0 ? done * BAR_WIDTH / total : BAR_WIDTH;

	(void)arg;
	if (!isatty(STDERR_FILENO))
		return;
	fprintf(stderr, "\r  [");
	for (int i = 0; i < BAR_WIDTH; i++)
		fputc(i < filled ? '#' : '.', stderr);
	fprintf(stderr, "] %d/%d items", done, total);
	bar_open = done != total;
	if (!bar_open)
		fputc('\n', stderr);
	fflush(stderr);
}

static void
print_run(const run_status *st, bool preview, cli_format f)
{
	static const char *const header[] = { "DEALER", "KIND", "CURRENCY", "PART", "STATE",
		"INVOICE", "LINES", "NET", "TAX", "TOTAL" };
	size_t ncols = 10;
	char **cells;

	if (f == CLI_FORMAT_XML) {
		size_t len;
		char *doc = billing_run_doc(st, preview, &len);
		fwrite(doc, 1, len, stdout);
		free(doc);
		return;
	}
	cells = xcalloc(st->nitems * ncols + 1, sizeof *cells);
	for (size_t i = 0; i < st->nitems; i++) {
		const run_item *it = &st->items[i];
		char **row = cells + i * ncols, amount[32];
		row[0] = xstrdup(it->dealer_id);
		row[1] = xstrdup(run_kind_name(it->kind));
		row[2] = xstrdup(it->currency);
		row[3] = xasprintf("%d", it->part);
		row[4] = xstrdup(it->done ? "done" : preview ? "to issue" : "pending");
		row[5] = xstrdup(it->invoice_number[0] ? it->invoice_number : "-");
		row[6] = xasprintf("%d", it->lines);
		{
			/* An installment item is many invoices: the run's table
			 * has their count, the register their amounts. */
			const int64_t v[3] = { it->net, it->tax, it->total };
			bool known = preview || (it->done && it->kind != RUN_INSTALLMENT &&
			    it->invoice_number[0] != '\0');
			for (int k = 0; k < 3; k++) {
				money_format(v[k], it->currency, amount, sizeof amount);
				row[7 + k] = xstrdup(known ? amount : "-");
			}
		}
	}
	cli_print_rows(f, header, (const char *const *)cells, st->nitems, ncols);
	for (size_t i = 0; i < st->nitems * ncols; i++)
		free(cells[i]);
	free(cells);
	if (f != CLI_FORMAT_TABLE)
		return;
	printf("\nbilling run ");
	if (!preview)
		printf("%lld ", (long long)st->id);
	printf("of %s%s%s, ", st->period, strcmp(st->scope, "*") ? ", dealer " : " (every dealer)",
	    strcmp(st->scope, "*") ? st->scope : "");
	if (preview) {
		int to_issue = 0;
		for (size_t i = 0; i < st->nitems; i++)
			to_issue += !st->items[i].done;
		printf("preview: %d of %d item%s to issue, %lld line%s\n", to_issue, st->total,
		    st->total == 1 ? "" : "s", (long long)st->invoice_lines,
		    st->invoice_lines == 1 ? "" : "s");
	} else {
		printf("%s: %d of %d item%s done, %d invoice%s issued, %lld line%s\n",
		    st->finished ? "finished" : "not finished", st->done, st->total,
		    st->total == 1 ? "" : "s", st->invoices, st->invoices == 1 ? "" : "s",
		    (long long)st->invoice_lines, st->invoice_lines == 1 ? "" : "s");
	}
}

static int
billing_run_cmd(cli_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "period", required_argument, NULL, 'p' },
		{ "dealer", required_argument, NULL, 'd' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *period = NULL, *dealer = NULL;
	bool dry = false;
	cli_format format = CLI_FORMAT_TABLE;
	billing_settings bs;
	run_status st;
	char err[600], actor[64];
	int64_t id = 0;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:d:nf:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': period = optarg; break;
		case 'd': dealer = optarg; break;
		case 'n': dry = true; break;
		case 'f':
			if (cli_format_parse(optarg, &format) != 0) {
				fprintf(stderr, "contractctl: --format must be table, csv or xml\n");
				return 2;
			}
			break;
		case 'h': billing_usage(stdout); return 0;
		default:
			fprintf(stderr, "contractctl: billing run: %s '%s'\n",
			    c == ':' ? "a value is needed after" : "unknown option", argv[optind - 1]);
			billing_usage(stderr);
			return 2;
		}
	}
	if (period == NULL || argc != optind) {
		fprintf(stderr, "contractctl: billing run needs --period YYYY-MM\n");
		billing_usage(stderr);
		return 2;
	}
	if (billing_settings_load(ctx->cfg, &bs, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	if (!dry && !bs.configured) {
		fprintf(stderr, "contractctl: a billing run issues invoices, and [seller] name and "
		    "country are not configured\n");
		return 1;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	if (dry) {
		r = run_preview(ctx->db, &bs, period, dealer, &st, err, sizeof err);
		if (r != 0) {
			fprintf(stderr, "contractctl: %s\n", err);
			return r == 1 ? 2 : 1;
		}
		print_run(&st, true, format);
		run_status_free(&st);
		return 0;
	}
	r = run_start(ctx->db, &bs, period, dealer, cli_actor(actor, sizeof actor), &id, err,
	    sizeof err);
	if (r != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return r == 1 ? 2 : 1;
	}
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	r = run_execute(ctx->db, &bs, id, actor, &interrupted, draw_progress, NULL, err,
	    sizeof err);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (bar_open)
		fputc('\n', stderr);   /* the table and messages start on a line of their own */
	if (r != 0)
		fprintf(stderr, "contractctl: billing run %lld stopped: %s\n", (long long)id, err);
	if (run_read(ctx->db, id, true, &st, err, sizeof err) != 1) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	print_run(&st, false, format);
	if (!st.finished && r == 0)
		fprintf(stderr, "contractctl: billing run %lld interrupted; run the same command "
		    "again to finish it\n", (long long)id);
	r = r != 0 ? 1 : st.finished ? 0 : 3;
	run_status_free(&st);
	return r;
}

static int
billing_show_cmd(cli_ctx *ctx, int argc, char **argv)
{
	cli_format format = CLI_FORMAT_TABLE;
	run_status st;
	char err[600], *end;
	long long id;
	int r;

	if (argc == 4 && strcmp(argv[2], "--format") == 0) {
		if (cli_format_parse(argv[3], &format) != 0) {
			fprintf(stderr, "contractctl: --format must be table, csv or xml\n");
			return 2;
		}
		argc = 2;
	}
	if (argc != 2 || (id = strtoll(argv[1], &end, 10)) < 1 || *end != '\0') {
		fprintf(stderr, "contractctl: billing show needs a run id\n");
		billing_usage(stderr);
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	r = run_read(ctx->db, id, true, &st, err, sizeof err);
	if (r <= 0) {
		fprintf(stderr, "contractctl: %s\n", r < 0 ? err : "there is no such billing run");
		return 1;
	}
	print_run(&st, false, format);
	run_status_free(&st);
	return 0;
}

int
cmd_billing(cli_ctx *ctx, int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		billing_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	if (strcmp(argv[0], "run") == 0)
		return billing_run_cmd(ctx, argc, argv);
	if (strcmp(argv[0], "show") == 0)
		return billing_show_cmd(ctx, argc, argv);
	fprintf(stderr, "contractctl: billing: unknown subcommand '%s'\n", argv[0]);
	billing_usage(stderr);
	return 2;
}
