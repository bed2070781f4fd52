/* contractctl payment and report aging — finance records payments and
 * refunds, applies unapplied cash, reverses payments, lists payments and
 * reads the aging of what is open. The rules are core/billing/payments.h's; each change runs
 * in one transaction with its audit record, as over HTTP. */
#include "cli/cli.h"
#include "billing/payments.h"
#include "storage/db.h"
#include "base/money.h"
#include "base/xalloc.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
payment_usage(FILE *f)
{
	fprintf(f,
	    "usage: contractctl payment record (--dealer ID | --customer NAME [--dealer ID])\n"
	    "                  --amount AMOUNT --currency CUR --reference REF [--date YYYY-MM-DD]\n"
	    "                  [--method M] [--note TEXT] [--allocate INVOICE=AMOUNT]... [--no-auto]\n"
	    "       contractctl payment apply ID [--allocate INVOICE=AMOUNT]...\n"
	    "       contractctl payment refund CREDIT-NOTE --amount AMOUNT --currency CUR\n"
	    "                  --reference REF [--date YYYY-MM-DD] [--method M] [--note TEXT]\n"
	    "       contractctl payment set-off CREDIT-NOTE --amount AMOUNT --currency CUR\n"
	    "                  --reference REF [--date YYYY-MM-DD] [--note TEXT]\n"
	    "                  [--allocate INVOICE=AMOUNT]...\n"
	    "       contractctl payment reverse ID --reason TEXT [--date YYYY-MM-DD]\n"
	    "       contractctl payment show ID [--format table|csv|xml]\n"
	    "       contractctl payment list [--dealer ID] [--from DATE] [--to DATE] [--limit N]\n"
	    "                  [--format table|csv|xml]\n"
	    "\n"
	    "record: money received (--date, default today: the value date). With --allocate\n"
	    "each named invoice gets that amount and the rest stays unapplied; without, the\n"
	    "payer's open invoices are settled oldest due date first, or (--no-auto) none.\n"
	    "apply: the unapplied cash of payment ID, to the named invoices or oldest due\n"
	    "first. refund: money paid back against a credit note. Methods: transfer (the\n"
	    "default), direct-debit, card, cash, cheque, other. set-off: the credit note\n"
	    "pays its buyer's open invoices (the named ones, or oldest due first) and no\n"
	    "money moves; the whole amount must find open invoices. reverse: payment ID is\n"
	    "undone from --date (default today) on: its invoices or credit note are open\n"
	    "again by what it settled and its unapplied cash is gone (both halves of a\n"
	    "set-off); --reason says why.\n");
}

static void
report_usage(FILE *f)
{
	fprintf(f,
	    "usage: contractctl report aging [--as-of YYYY-MM-DD] [--dealer ID]\n"
	    "                  [--format table|csv|xml]\n"
	    "\n"
	    "What each dealer and customer owes, per currency, as of the date (default\n"
	    "today): open invoices by days past due (current, 1-30, 31-60, 61-90, over\n"
	    "90), open credit notes, unapplied cash and the balance. --format csv writes\n"
	    "the same CSV as GET /v1/reports/aging.csv.\n");
}

/* Whether to colour: standard output is a terminal and NO_COLOR is unset
 * (https://no-color.org). */
static bool
use_colour(void)
{
	const char *nc = getenv("NO_COLOR");
	return isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0');
}

static int
parse_date_opt(const char *what, const char *s, date_t *out)
{
	if (date_parse(s, out) != 0) {
		fprintf(stderr, "contractctl: %s must be a date, YYYY-MM-DD: '%s'\n", what, s);
		return -1;
	}
	return 0;
}

/* --allocate INVOICE=AMOUNT; the amount in currency (parsed later, when
 * the currency is known: kept as text until then). */
typedef struct alloc_text {
	char **items;
	size_t n;
} alloc_text;

static int
parse_allocations(const alloc_text *t, const char *currency, allocation_request **out)
{
	*out = xcalloc(t->n + 1, sizeof **out);
	for (size_t i = 0; i < t->n; i++) {
		const char *eq = strchr(t->items[i], '=');
		money_status st;
		if (eq == NULL || eq == t->items[i] || (size_t)(eq - t->items[i]) > INVOICE_NUMBER_MAX) {
			fprintf(stderr, "contractctl: --allocate takes INVOICE=AMOUNT: '%s'\n",
			    t->items[i]);
			return -1;
		}
		snprintf((*out)[i].number, sizeof (*out)[i].number, "%.*s", (int)(eq - t->items[i]),
		    t->items[i]);
		if ((st = money_parse(eq + 1, currency, &(*out)[i].amount)) != MONEY_OK) {
			fprintf(stderr, "contractctl: --allocate %s: %s\n", t->items[i],
			    money_status_str(st));
			return -1;
		}
	}
	return 0;
}

/* The receipt of a payment: one line, then its allocations as a table. */
static void
print_payment(const payment *p, cli_format f)
{
	static const char *const header[] = { "DOCUMENT", "TYPE", "AMOUNT", "APPLIED ON",
		"OPEN NOW" };
	char amount[32], allocated[32], unapplied[32], date[DATE_STR_LEN + 1];
	char **cells = xcalloc(p->nallocs * 5 + 1, sizeof *cells);

	money_format(p->amount, p->currency, amount, sizeof amount);
	money_format(p->allocated, p->currency, allocated, sizeof allocated);
	money_format(p->unapplied, p->currency, unapplied, sizeof unapplied);
	date_format(p->received_date, date);
	if (f == CLI_FORMAT_TABLE) {
		printf("payment %lld: %s %s %s %s %s %s on %s, reference %s\n", (long long)p->id,
		    p->direction == PAYMENT_REFUND ? "refunded to" : "received from",
		    payer_kind_name(p->payer_kind), p->payer, amount, p->currency,
		    p->method, date, p->reference);
		printf("allocated %s %s, unapplied %s %s\n", allocated, p->currency, unapplied,
		    p->currency);
		if (p->reversed) {
			char on[DATE_STR_LEN + 1];
			date_format(p->reversed_on, on);
			printf("reversed on %s by %s: %s\n", on, p->reversed_by, p->reversal_reason);
		}
	}
	for (size_t i = 0; i < p->nallocs; i++) {
		const payment_allocation *a = &p->allocs[i];
		char txt[32], d[DATE_STR_LEN + 1];
		cells[i * 5] = xstrdup(a->number);
		cells[i * 5 + 1] = xstrdup(invoice_type_name(a->type));
		money_format(a->amount, p->currency, txt, sizeof txt);
		cells[i * 5 + 2] = xstrdup(txt);
		date_format(a->applied_on, d);
		cells[i * 5 + 3] = xstrdup(d);
		money_format(a->open_now, p->currency, txt, sizeof txt);
		cells[i * 5 + 4] = xstrdup(txt);
	}
	if (p->nallocs > 0 || f == CLI_FORMAT_CSV)
		cli_print_rows(f, header, (const char *const *)cells, p->nallocs, 5);
	for (size_t i = 0; i < p->nallocs * 5; i++)
		free(cells[i]);
	free(cells);
}

/* ------------------------------------------------------------------------
 * The transactions
 * ------------------------------------------------------------------------ */

typedef struct pay_txn {
	enum { TXN_RECORD, TXN_APPLY, TXN_REFUND, TXN_SET_OFF, TXN_REVERSE } kind;
	payment *p;
	payment *received;    /* set-off: the received half; reverse: the other half */
	int64_t id;
	const char *number;
	date_t date;          /* reverse: the reversal's date */
	const char *reason;   /* reverse */
	allocation_request *req;
	size_t n;
	bool auto_allocate;
	const char *actor;
	const char *code;
	char err[600];
} pay_txn;

static int
pay_txn_fn(db_conn *db, void *arg)
{
	pay_txn *t = arg;
	date_t today = date_today();
	int r;

	payment_free(t->p);
	if (t->received != NULL)
		payment_free(t->received);
	t->code = NULL;
	switch (t->kind) {
	case TXN_RECORD:
		r = payment_record(db, t->p, t->req, t->n, t->auto_allocate, today, &t->code, t->err,
		    sizeof t->err);
		break;
	case TXN_APPLY:
		r = payment_apply(db, t->id, t->req, t->n, today, t->p, &t->code, t->err,
		    sizeof t->err);
		break;
	case TXN_SET_OFF:
		r = payment_set_off(db, t->number, t->p, t->req, t->n, today, t->received,
		    &t->code, t->err, sizeof t->err);
		if (r == 0 && payment_audit(db, t->actor, "payment.set_off", t->received, t->err,
		    sizeof t->err) != 0)
			r = -1;
		break;
	case TXN_REVERSE:
		r = payment_reverse(db, t->id, t->date, t->reason, t->actor, today, t->p,
		    t->received, &t->code, t->err, sizeof t->err);
		if (r == 0 && t->received->id != 0 && payment_audit(db, t->actor,
		    "payment.reverse", t->received, t->err, sizeof t->err) != 0)
			r = -1;
		break;
	default:
		r = payment_refund(db, t->number, t->p, today, &t->code, t->err, sizeof t->err);
		break;
	}
	if (r != 0)
		return r;
	if (payment_audit(db, t->actor, t->kind == TXN_RECORD ? "payment.record" :
	    t->kind == TXN_APPLY ? "payment.apply" : t->kind == TXN_SET_OFF ? "payment.set_off" :
	    t->kind == TXN_REVERSE ? "payment.reverse" : "payment.refund", t->p, t->err,
	    sizeof t->err) != 0)
		return -1;
	return 0;
}

static int
run_txn(cli_ctx *ctx, pay_txn *t)
{
	char actor[64];
	int r;

	t->actor = cli_actor(actor, sizeof actor);
	if (t->p->created_by[0] == '\0')
		snprintf(t->p->created_by, sizeof t->p->created_by, "%s", t->actor);
	if (cli_db_open(ctx) != 0)
		return 1;
	r = db_transaction(ctx->db, 5, pay_txn_fn, t);
	if (r == PAYMENT_REFUSED) {
		fprintf(stderr, "contractctl: refused (%s): %s\n", t->code ? t->code : "refused",
		    t->err);
		return 1;
	}
	if (r != 0) {
		fprintf(stderr, "contractctl: %s\n", t->err[0] ? t->err : db_error(ctx->db));
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Subcommands
 * ------------------------------------------------------------------------ */

enum {
	OPT_DEALER = 256, OPT_CUSTOMER, OPT_AMOUNT, OPT_CURRENCY, OPT_REFERENCE, OPT_DATE,
	OPT_METHOD, OPT_NOTE, OPT_ALLOCATE, OPT_NO_AUTO, OPT_FORMAT, OPT_FROM, OPT_TO, OPT_LIMIT,
	OPT_AS_OF, OPT_REASON, OPT_HELP,
};

static const struct option payment_opts[] = {
	{ "dealer", required_argument, NULL, OPT_DEALER },
	{ "customer", required_argument, NULL, OPT_CUSTOMER },
	{ "amount", required_argument, NULL, OPT_AMOUNT },
	{ "currency", required_argument, NULL, OPT_CURRENCY },
	{ "reference", required_argument, NULL, OPT_REFERENCE },
	{ "date", required_argument, NULL, OPT_DATE },
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "allocate", required_argument, NULL, OPT_ALLOCATE },
	{ "no-auto", no_argument, NULL, OPT_NO_AUTO },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "as-of", required_argument, NULL, OPT_AS_OF },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Everything the subcommands take, parsed once. */
typedef struct pay_args {
	const char *dealer, *customer, *amount, *currency, *reference, *method, *note;
	const char *format, *reason;
	date_t date, from, to, as_of;
	bool has_date, has_as_of, no_auto, help;
	int64_t limit;
	alloc_text allocs;
	int npos;
	char **pos;
} pay_args;

static int
parse_args(const char *cmd, int argc, char **argv, pay_args *a)
{
	int c;

	memset(a, 0, sizeof *a);
	a->allocs.items = xcalloc((size_t)argc + 1, sizeof *a->allocs.items);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", payment_opts, NULL)) != -1) {
		switch (c) {
		case OPT_DEALER: a->dealer = optarg; break;
		case OPT_CUSTOMER: a->customer = optarg; break;
		case OPT_AMOUNT: a->amount = optarg; break;
		case OPT_CURRENCY: a->currency = optarg; break;
		case OPT_REFERENCE: a->reference = optarg; break;
		case OPT_METHOD: a->method = optarg; break;
		case OPT_NOTE: a->note = optarg; break;
		case OPT_REASON: a->reason = optarg; break;
		case OPT_NO_AUTO: a->no_auto = true; break;
		case OPT_FORMAT: a->format = optarg; break;
		case OPT_HELP: a->help = true; break;
		case OPT_ALLOCATE:
			a->allocs.items[a->allocs.n++] = optarg;
			break;
		case OPT_DATE:
			if (parse_date_opt("--date", optarg, &a->date) != 0)
				return 2;
			a->has_date = true;
			break;
		case OPT_AS_OF:
			if (parse_date_opt("--as-of", optarg, &a->as_of) != 0)
				return 2;
			a->has_as_of = true;
			break;
		case OPT_FROM:
			if (parse_date_opt("--from", optarg, &a->from) != 0)
				return 2;
			break;
		case OPT_TO:
			if (parse_date_opt("--to", optarg, &a->to) != 0)
				return 2;
			break;
		case OPT_LIMIT: {
			char *end;
			long long v = strtoll(optarg, &end, 10);
			if (end == optarg || *end != '\0' || v < 1 || v > 1000000) {
				fprintf(stderr, "contractctl: --limit must be 1 to 1000000\n");
				return 2;
			}
			a->limit = v;
			break;
		}
		case ':':
			fprintf(stderr, "contractctl: %s: %s needs a value\n", cmd, argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "contractctl: %s: unknown option '%s'\n", cmd, argv[optind - 1]);
			return 2;
		}
	}
	a->pos = argv + optind;
	a->npos = argc - optind;
	return 0;
}

static int
format_of(const pay_args *a, cli_format *f)
{
	*f = CLI_FORMAT_TABLE;
	if (a->format != NULL && cli_format_parse(a->format, f) != 0) {
		fprintf(stderr, "contractctl: --format must be table, csv or xml\n");
		return -1;
	}
	return 0;
}

/* The amount, currency, reference, date, method and note of a new payment. */
static int
fill_new(const char *cmd, const pay_args *a, payment *p)
{
	money_status st;

	if (a->amount == NULL || a->currency == NULL || a->reference == NULL) {
		fprintf(stderr, "contractctl: %s needs --amount, --currency and --reference\n", cmd);
		return 2;
	}
	if (!currency_valid(a->currency)) {
		fprintf(stderr, "contractctl: %s is not an ISO 4217 currency\n", a->currency);
		return 2;
	}
	snprintf(p->currency, sizeof p->currency, "%s", a->currency);
	if ((st = money_parse(a->amount, a->currency, &p->amount)) != MONEY_OK) {
		fprintf(stderr, "contractctl: --amount %s: %s\n", a->amount, money_status_str(st));
		return 2;
	}
	if (strlen(a->reference) > 64 || (a->note && strlen(a->note) > PAYMENT_NOTE_MAX) ||
	    (a->method && strlen(a->method) > PAYMENT_METHOD_MAX)) {
		fprintf(stderr, "contractctl: the reference is at most 64 characters, the note 500\n");
		return 2;
	}
	snprintf(p->reference, sizeof p->reference, "%s", a->reference);
	snprintf(p->method, sizeof p->method, "%s", a->method ? a->method : "");
	snprintf(p->note, sizeof p->note, "%s", a->note ? a->note : "");
	p->received_date = a->has_date ? a->date : date_today();
	return 0;
}

static int
payment_record_cmd(cli_ctx *ctx, const pay_args *a)
{
	payment p;
	pay_txn t;
	int rc;

	memset(&p, 0, sizeof p);
	memset(&t, 0, sizeof t);
	if (a->dealer == NULL && a->customer == NULL) {
		fprintf(stderr, "contractctl: payment record needs --dealer ID or --customer NAME\n");
		return 2;
	}
	if (a->customer != NULL) {
		p.payer_kind = PAYER_CUSTOMER;
		snprintf(p.payer, sizeof p.payer, "%s", a->customer);
		snprintf(p.dealer_id, sizeof p.dealer_id, "%s", a->dealer ? a->dealer : "");
	} else {
		p.payer_kind = PAYER_DEALER;
		snprintf(p.payer, sizeof p.payer, "%s", a->dealer);
	}
	if ((rc = fill_new("payment record", a, &p)) != 0)
		return rc;
	if (parse_allocations(&a->allocs, p.currency, &t.req) != 0) {
		free(t.req);
		return 2;
	}
	t.kind = TXN_RECORD;
	t.p = &p;
	t.n = a->allocs.n;
	t.auto_allocate = !a->no_auto;
	rc = run_txn(ctx, &t);
	if (rc == 0)
		print_payment(&p, CLI_FORMAT_TABLE);
	payment_free(&p);
	free(t.req);
	return rc;
}

static int
payment_apply_cmd(cli_ctx *ctx, const pay_args *a)
{
	payment p, cur;
	pay_txn t;
	char err[600], *end;
	long long id;
	int rc, r;

	memset(&p, 0, sizeof p);
	memset(&t, 0, sizeof t);
	if (a->npos != 1 || (id = strtoll(a->pos[0], &end, 10)) < 1 || *end != '\0') {
		fprintf(stderr, "contractctl: payment apply needs a payment ID\n");
		return 2;
	}
	if (cli_db_open(ctx) != 0)
		return 1;
	r = payment_load(ctx->db, id, NULL, &cur, err, sizeof err);
	if (r <= 0) {
		fprintf(stderr, "contractctl: %s\n", r < 0 ? err : "there is no such payment");
		return 1;
	}
	rc = parse_allocations(&a->allocs, cur.currency, &t.req);
	payment_free(&cur);
	if (rc != 0) {
		free(t.req);
		return 2;
	}
	t.kind = TXN_APPLY;
	t.p = &p;
	t.id = id;
	t.n = a->allocs.n;
	rc = run_txn(ctx, &t);
	if (rc == 0)
		print_payment(&p, CLI_FORMAT_TABLE);
	payment_free(&p);
	free(t.req);
	return rc;
}

static int
payment_refund_cmd(cli_ctx *ctx, const pay_args *a)
{
	payment p;
	pay_txn t;
	int rc;

	memset(&p, 0, sizeof p);
	memset(&t, 0, sizeof t);
	if (a->npos != 1) {
		fprintf(stderr, "contractctl: payment refund needs a credit note number\n");
		return 2;
	}
	if ((rc = fill_new("payment refund", a, &p)) != 0)
		return rc;
	t.kind = TXN_REFUND;
	t.p = &p;
	t.number = a->pos[0];
	rc = run_txn(ctx, &t);
	if (rc == 0)
		print_payment(&p, CLI_FORMAT_TABLE);
	payment_free(&p);
	return rc;
}

static int
payment_set_off_cmd(cli_ctx *ctx, const pay_args *a)
{
	payment p, received;
	pay_txn t;
	int rc;

	memset(&p, 0, sizeof p);
	memset(&received, 0, sizeof received);
	memset(&t, 0, sizeof t);
	if (a->npos != 1) {
		fprintf(stderr, "contractctl: payment set-off needs a credit note number\n");
		return 2;
	}
	if (a->method != NULL) {
		fprintf(stderr, "contractctl: a set-off moves no money: it takes no --method\n");
		return 2;
	}
	if ((rc = fill_new("payment set-off", a, &p)) != 0)
		return rc;
	if (parse_allocations(&a->allocs, p.currency, &t.req) != 0) {
		free(t.req);
		return 2;
	}
	t.kind = TXN_SET_OFF;
	t.p = &p;
	t.received = &received;
	t.number = a->pos[0];
	t.n = a->allocs.n;
	rc = run_txn(ctx, &t);
	if (rc == 0) {
		print_payment(&p, CLI_FORMAT_TABLE);
		printf("\n");
		print_payment(&received, CLI_FORMAT_TABLE);
	}
	payment_free(&p);
	payment_free(&received);
	free(t.req);
	return rc;
}

static int
payment_reverse_cmd(cli_ctx *ctx, const pay_args *a)
{
	payment p, other;
	pay_txn t;
	char *end;
	long long id;
	int rc;

	memset(&p, 0, sizeof p);
	memset(&other, 0, sizeof other);
	memset(&t, 0, sizeof t);
	if (a->npos != 1 || (id = strtoll(a->pos[0], &end, 10)) < 1 || *end != '\0') {
		fprintf(stderr, "contractctl: payment reverse needs a payment ID\n");
		return 2;
	}
	if (a->reason == NULL) {
		fprintf(stderr, "contractctl: payment reverse needs --reason TEXT: why it is "
		    "undone\n");
		return 2;
	}
	t.kind = TXN_REVERSE;
	t.p = &p;
	t.received = &other;
	t.id = id;
	t.date = a->has_date ? a->date : date_today();
	t.reason = a->reason;
	rc = run_txn(ctx, &t);
	if (rc == 0) {
		print_payment(&p, CLI_FORMAT_TABLE);
		if (other.id != 0) {
			printf("\n");
			print_payment(&other, CLI_FORMAT_TABLE);
		}
	}
	payment_free(&p);
	payment_free(&other);
	return rc;
}

static int
payment_show_cmd(cli_ctx *ctx, const pay_args *a)
{
	payment p;
	cli_format f;
	char err[600], *end;
	long long id;
	int r;

	if (a->npos != 1 || (id = strtoll(a->pos[0], &end, 10)) < 1 || *end != '\0') {
		fprintf(stderr, "contractctl: payment show needs a payment ID\n");
		return 2;
	}
	if (format_of(a, &f) != 0)
		return 2;
	if (cli_db_open(ctx) != 0)
		return 1;
	r = payment_load(ctx->db, id, NULL, &p, err, sizeof err);
	if (r <= 0) {
		fprintf(stderr, "contractctl: %s\n", r < 0 ? err : "there is no such payment");
		return 1;
	}
	print_payment(&p, f);
	payment_free(&p);
	return 0;
}

static int
payment_list_cmd(cli_ctx *ctx, const pay_args *a)
{
	static const char *const header[] = { "ID", "DIRECTION", "DATE", "PAYER", "DEALER",
		"REFERENCE", "METHOD", "CURRENCY", "AMOUNT", "ALLOCATED", "UNAPPLIED", "REVERSED" };
	enum { NC = 12 };
	payment_filter f = { a->dealer, a->from, a->to, a->limit };
	payment *list;
	cli_format fmt;
	size_t n;
	char err[600];
	char **cells;

	if (a->npos != 0) {
		payment_usage(stderr);
		return 2;
	}
	if (format_of(a, &fmt) != 0)
		return 2;
	if (cli_db_open(ctx) != 0)
		return 1;
	if (payment_list(ctx->db, &f, &list, &n, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		return 1;
	}
	cells = xcalloc(n * NC + 1, sizeof *cells);
	for (size_t i = 0; i < n; i++) {
		const payment *p = &list[i];
		char **row = cells + i * NC, txt[32], d[DATE_STR_LEN + 1];
		snprintf(txt, sizeof txt, "%lld", (long long)p->id);
		row[0] = xstrdup(txt);
		row[1] = xstrdup(payment_direction_name(p->direction));
		date_format(p->received_date, d);
		row[2] = xstrdup(d);
		row[3] = xstrdup(p->payer);
		row[4] = xstrdup(p->dealer_id);
		row[5] = xstrdup(p->reference);
		row[6] = xstrdup(p->method);
		row[7] = xstrdup(p->currency);
		money_format(p->amount, p->currency, txt, sizeof txt);
		row[8] = xstrdup(txt);
		money_format(p->allocated, p->currency, txt, sizeof txt);
		row[9] = xstrdup(txt);
		money_format(p->unapplied, p->currency, txt, sizeof txt);
		row[10] = xstrdup(txt);
		d[0] = '\0';
		if (p->reversed)
			date_format(p->reversed_on, d);
		row[11] = xstrdup(d);
	}
	cli_print_rows(fmt, header, (const char *const *)cells, n, NC);
	for (size_t i = 0; i < n * NC; i++)
		free(cells[i]);
	free(cells);
	for (size_t i = 0; i < n; i++)
		payment_free(&list[i]);
	free(list);
	return 0;
}

int
cmd_payment(cli_ctx *ctx, int argc, char **argv)
{
	pay_args a;
	int rc;

	if (argc < 1 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0) {
		payment_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	if ((rc = parse_args("payment", argc, argv, &a)) != 0)
		goto out;
	if (a.help) {
		payment_usage(stdout);
		goto out;
	}
	if (strcmp(argv[0], "record") == 0)
		rc = payment_record_cmd(ctx, &a);
	else if (strcmp(argv[0], "apply") == 0)
		rc = payment_apply_cmd(ctx, &a);
	else if (strcmp(argv[0], "refund") == 0)
		rc = payment_refund_cmd(ctx, &a);
	else if (strcmp(argv[0], "set-off") == 0)
		rc = payment_set_off_cmd(ctx, &a);
	else if (strcmp(argv[0], "reverse") == 0)
		rc = payment_reverse_cmd(ctx, &a);
	else if (strcmp(argv[0], "show") == 0)
		rc = payment_show_cmd(ctx, &a);
	else if (strcmp(argv[0], "list") == 0)
		rc = payment_list_cmd(ctx, &a);
	else {
		fprintf(stderr, "contractctl: unknown payment command '%s'\n", argv[0]);
		payment_usage(stderr);
		rc = 2;
	}
out:
	free(a.allocs.items);
	return rc;
}

/* ------------------------------------------------------------------------
 * report aging
 * ------------------------------------------------------------------------ */

/* Right-aligns the amounts of column c under its header (padding them to
 * one width, at least the header's), so cli_print_table lines them up by
 * their last digit. */
static void
pad_column(char **cells, size_t nrows, size_t ncols, size_t c, const char *header)
{
	size_t w = strlen(header);

	for (size_t r = 0; r < nrows; r++)
		if (strlen(cells[r * ncols + c]) > w)
			w = strlen(cells[r * ncols + c]);
	for (size_t r = 0; r < nrows; r++) {
		char *s = cells[r * ncols + c], *p = xmalloc(w + 1);
		snprintf(p, w + 1, "%*s", (int)w, s);
		free(s);
		cells[r * ncols + c] = p;
	}
}

int
cmd_report_aging(cli_ctx *ctx, int argc, char **argv)
{
	static const char *const header[] = { "DEALER", "PAYER", "CUR", "CURRENT", "1-30",
		"31-60", "61-90", "OVER 90", "TOTAL", "CREDITS", "UNAPPLIED", "BALANCE" };
	enum { NC = 12 };
	pay_args a;
	cli_format f;
	aging_row *rows = NULL;
	size_t n = 0, overdue90 = 0;
	date_t as_of;
	char err[600], **cells = NULL, d[DATE_STR_LEN + 1];
	int rc;

	if ((rc = parse_args("report aging", argc, argv, &a)) != 0)
		goto out;
	if (a.help) {
		report_usage(stdout);
		goto out;
	}
	if (a.npos != 0 || format_of(&a, &f) != 0) {
		report_usage(stderr);
		rc = 2;
		goto out;
	}
	as_of = a.has_as_of ? a.as_of : date_today();
	if (cli_db_open(ctx) != 0) {
		rc = 1;
		goto out;
	}
	if (f == CLI_FORMAT_CSV) {
		size_t len;
		char *csv = aging_report_csv(ctx->db, as_of, a.dealer, &len, err, sizeof err);
		if (csv == NULL) {
			fprintf(stderr, "contractctl: %s\n", err);
			rc = 1;
			goto out;
		}
		fwrite(csv, 1, len, stdout);
		free(csv);
		goto out;
	}
	if (aging_report(ctx->db, as_of, a.dealer, &rows, &n, err, sizeof err) != 0) {
		fprintf(stderr, "contractctl: %s\n", err);
		rc = 1;
		goto out;
	}
	cells = xcalloc(n * NC + 1, sizeof *cells);
	for (size_t i = 0; i < n; i++) {
		const aging_row *r = &rows[i];
		const int64_t amounts[9] = { r->buckets[0], r->buckets[1], r->buckets[2],
			r->buckets[3], r->buckets[4], r->total, r->credits, r->unapplied, r->balance };
		char **row = cells + i * NC, txt[32];
		row[0] = xstrdup(r->dealer_id[0] ? r->dealer_id : "-");
		if (strcmp(r->payer_kind, "dealer") == 0) {
			row[1] = xstrdup(r->payer);
		} else {
			size_t len = strlen(r->payer) + 12;
			row[1] = xmalloc(len);
			snprintf(row[1], len, "customer: %s", r->payer);
		}
		row[2] = xstrdup(r->currency);
		for (int k = 0; k < 9; k++) {
			money_format(amounts[k], r->currency, txt, sizeof txt);
			row[3 + k] = xstrdup(txt);
		}
		overdue90 += r->buckets[AGING_OVER_90] > 0;
	}
	if (f == CLI_FORMAT_XML) {
		cli_print_rows(f, header, (const char *const *)cells, n, NC);
		goto out;
	}
	for (size_t c = 3; c < NC; c++)
		pad_column(cells, n, NC, c, header[c]);
	date_format(as_of, d);
	printf("Aging as of %s%s%s\n\n", d, a.dealer ? ", dealer " : "", a.dealer ? a.dealer : "");
	cli_print_table(header, (const char *const *)cells, n, NC);
	if (n == 0)
		printf("(nothing open)\n");
	else if (overdue90 > 0)
		printf("\n%s%zu of %zu payer%s over 90 days past due%s\n",
		    use_colour() ? "\033[1;31m" : "", overdue90, n, n == 1 ? " has amounts" :
		    "s have amounts", use_colour() ? "\033[0m" : "");
out:
	for (size_t i = 0; cells && i < n * NC; i++)
		free(cells[i]);
	free(cells);
	free(rows);
	free(a.allocs.items);
	return rc;
}
