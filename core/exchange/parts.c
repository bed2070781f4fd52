/* parts — PartsOrder in, PartsOrderConfirmation and an invoice out.
 *
 * The dealer's parts plugin instance ([claims] parts_plugin, else the
 * first parts plugin) prices the order for the dealer as buyer; the lines
 * it gives — parts (a superseded part supplied as its successor), core
 * deposits, fees, discounts — become the invoice to the dealer, issued in
 * the same transaction and placed in the dealer's outbox as UBL beside the
 * confirmation.
 *
 * Problem codes: unknown-currency, parts-pricing-unavailable,
 * parts-pricing-refused (the plugin's message names the part),
 * parts-pricing-failed, tax-rate-missing, invoicing-not-configured,
 * invoice-refused. */
#include "exchange/actions.h"
#include "exchange/action_util.h"
#include "exchange/docparts.h"
#include "exchange/xmlread.h"
#include "exchange/xmlwrite.h"
#include "billing/build.h"
#include "billing/issue.h"
#include "domain/canon_text.h"
#include "domain/claim.h"
#include "plugin/registry.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORDER_LINES_MAX 500

typedef struct order_line {
	int line_number;
	char part[49];
	rate quantity;
} order_line;

static const loaded_plugin *
parts_plugin(const exchange_ctx *ctx)
{
	const char *name = ctx->settings->claims_parts_plugin;
	const loaded_plugin *p;

	if (ctx->plugins == NULL)
		return NULL;
	if (name[0] != '\0') {
		p = plugin_set_find(ctx->plugins, name);
		return p && p->desc->kind == CD_PLUGIN_PARTS ? p : NULL;
	}
	return plugin_set_first_of_kind(ctx->plugins, CD_PLUGIN_PARTS);
}

/* The order line a priced part line answers: same part (or the part it
 * superseded), not answered yet. */
static int
line_for(const order_line *ol, size_t n, bool *taken, const cd_line *l)
{
	if (l->kind != CD_LINE_PART)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!taken[i] && (strcmp(ol[i].part, l->code) == 0 ||
		    strcmp(ol[i].part, l->reference) == 0)) {
			taken[i] = true;
			return ol[i].line_number;
		}
	return 0;
}

static char *
confirmation_doc(const exchange_ctx *ctx, const char *id, const char *in_reply_to,
    const char *order_number, const char *reference, const char *currency,
    const order_line *ol, size_t nol, const cd_line *lines, size_t n, const invoice *inv,
    const loaded_plugin *p, const char *input_hash, size_t *len)
{
	static const char *const cat[4] = { "S", "Z", "E", "AE" };
	xmlDocPtr doc;
	xmlNodePtr root = xw_new("PartsOrderConfirmation", &doc), ls, t, pr;
	bool *taken = xcalloc(nol + 1, sizeof *taken);
	char qty[32];

	dp_write_reply_header(root, id, ctx->dealer_id, ctx->today, in_reply_to);
	xw_text(root, "OrderNumber", order_number);
	xw_opt(root, "OrderReference", reference);
	xw_text(root, "Currency", currency);
	ls = xw_elem(root, "Lines");
	for (size_t i = 0; i < n; i++) {
		const cd_line *l = &lines[i];
		xmlNodePtr el = xw_elem(ls, "Line");
		int no = line_for(ol, nol, taken, l);
		if (no > 0)
			xw_int(el, "LineNumber", no);
		xw_text(el, "Kind", line_kind_name(l->kind));
		xw_text(el, "PartNumber", l->code);
		if (l->kind == CD_LINE_PART && l->reference[0] && strcmp(l->reference, l->code) != 0)
			xw_text(el, "OrderedPartNumber", l->reference);
		xw_opt(el, "Description", l->description);
		if (rate_format((rate){ l->quantity.value, l->quantity.scale }, qty, sizeof qty) !=
		    MONEY_OK)
			snprintf(qty, sizeof qty, "1");
		xw_text(el, "Quantity", qty);
		xw_money(el, "UnitPrice", l->unit_price, currency);
		/* As invoiced: in hundredths for a three-decimal currency. */
		xw_money(el, "Amount", i < inv->nlines ? inv->lines[i].net : l->amount, currency);
		xw_text(el, "TaxCategory", cat[l->tax_category & 3]);
	}
	t = xw_elem(root, "Totals");
	xw_money(t, "Net", inv->totals.tax_exclusive, currency);
	xw_money(t, "Tax", inv->totals.tax_total, currency);
	xw_money(t, "Total", inv->totals.tax_inclusive, currency);
	xw_text(root, "InvoiceNumber", inv->number);
	pr = xw_elem(root, "Pricing");
	xw_text(pr, "Plugin", p->desc->name);
	xw_text(pr, "PluginVersion", p->desc->version);
	xw_text(pr, "InputHash", input_hash);
	free(taken);
	return xw_finish(doc, len);
}

int
action_parts_order(doc_job *job)
{
	const exchange_ctx *ctx = job->ctx;
	problem_list *pl = &job->problems;
	xmlNodePtr root = job->root;
	order_line *ol = xcalloc(ORDER_LINES_MAX + 1, sizeof *ol);
	cd_part_item *items = xcalloc(ORDER_LINES_MAX + 1, sizeof *items);
	size_t nol = 0, nlines = 0, len;
	cd_line *lines = NULL;
	const loaded_plugin *p = parts_plugin(ctx);
	char currency[4] = "", reference[65] = "", err[600], id[65], hash[65], qty[40];
	char order_number[33], source[64], *ubl = NULL, *doc;
	int64_t order_id;
	invoice inv;
	invoice_party buyer;
	buf canon;
	cd_status st;
	int rc = 1, r;

	memset(&inv, 0, sizeof inv);
	buf_init(&canon, 0);
	xr_text(root, "Currency", currency, sizeof currency);
	xr_text(root, "OrderReference", reference, sizeof reference);
	if (!currency_valid(currency))
		problems_add(pl, "unknown-currency", "Currency", "%s is not an ISO 4217 currency",
		    currency);
	for (xmlNodePtr el = xr_child(xr_child(root, "Lines"), "Line"); el && nol < ORDER_LINES_MAX;
	     el = xr_next(el, "Line")) {
		order_line *o = &ol[nol];
		char num[16], rel[48];
		xr_text(el, "LineNumber", num, sizeof num);
		o->line_number = atoi(num);
		xr_text(el, "PartNumber", o->part, sizeof o->part);
		xr_text(el, "Quantity", qty, sizeof qty);
		snprintf(rel, sizeof rel, "Lines/Line[%zu]/Quantity", nol + 1);
		if (rate_parse(qty, &o->quantity) != MONEY_OK || o->quantity.value <= 0 ||
		    o->quantity.scale > 9)
			problems_add(pl, "invalid-quantity", rel, "'%s' is not a positive quantity", qty);
		items[nol].part_number = o->part;
		items[nol].quantity = (cd_decimal){ o->quantity.value, o->quantity.scale };
		canon_put(&canon, "part", o->part);
		canon_put(&canon, "quantity", qty);
		nol++;
	}
	if (p == NULL)
		problems_add(pl, "parts-pricing-unavailable", "Lines",
		    "no parts plugin is loaded to price the order");
	if (!ctx->settings->billing.configured)
		problems_add(pl, "invoicing-not-configured", "",
		    "the order must be invoiced, and the server's [seller] is not configured");
	if (problems_count(pl) > 0)
		goto out;

	cd_parts_request req = {
		.struct_size = sizeof req, .currency = currency, .dealer_id = ctx->dealer_id,
		.buyer = CD_BUYER_DEALER, .items = items, .nitems = nol,
	};
	date_format(ctx->today, req.order_date.iso);
	canon_put(&canon, "currency", currency);
	canon_put(&canon, "dealer", ctx->dealer_id);
	canon_put(&canon, "date", req.order_date.iso);
	sha256_hex(canon.data, canon.len, hash);
	st = plugin_price_parts(p, &req, &lines, &nlines, err, sizeof err);
	if (st != CD_OK) {
		problems_add(pl, st == CD_ERR_INTERNAL ? "parts-pricing-failed" :
		    "parts-pricing-refused", "Lines", "%s", err);
		goto out;
	}
	for (size_t i = 0; i < nlines; i++)
		if (!ctx->settings->billing.tax.set[lines[i].tax_category & 3]) {
			problems_add(pl, "tax-rate-missing", "Lines", "no tax rate is configured for a "
			    "tax category of line %zu (contractd.conf [tax])", i + 1);
			goto out;
		}

	if (db_exec(ctx->db, "INSERT INTO parts_orders (dealer_id, document_id, order_reference, "
	    "currency, net, tax, total, plugin_name, plugin_version, input_hash) VALUES "
	    "(?, ?, ?, ?, 0, 0, 0, ?, ?, ?)", "sssssss", ctx->dealer_id, job->document_id,
	    reference, currency, p->desc->name, p->desc->version, hash) < 0) {
		rc = action_db_failed(job, "storing the order", db_error(ctx->db));
		goto out;
	}
	order_id = (int64_t)db_last_insert_id(ctx->db);
	snprintf(order_number, sizeof order_number, "PO-%08lld", (long long)order_id);
	r = party_from_dealer(ctx->db, ctx->dealer_id, &ctx->settings->billing, &buyer, err,
	    sizeof err);
	if (r <= 0) {
		rc = action_db_failed(job, "reading the dealer", r < 0 ? err : "it is gone");
		goto out;
	}
	build_parts_invoice(ctx->dealer_id, order_number, reference, currency, lines, nlines,
	    &ctx->settings->billing.tax, &buyer, ctx->today, &inv);
	snprintf(source, sizeof source, "parts-order:%lld", (long long)order_id);
	snprintf(inv.in_reply_to, sizeof inv.in_reply_to, "%s", job->document_id);
	r = invoice_issue(ctx->db, &ctx->settings->billing, &inv, source, &ubl, &len, err,
	    sizeof err);
	if (r == ISSUE_REFUSED) {
		problems_add(pl, "invoice-refused", "Lines", "%s", err);
		goto out;
	}
	if (r != 0) {
		rc = action_db_failed(job, "issuing the invoice", err);
		goto out;
	}
	if (db_exec(ctx->db, "UPDATE parts_orders SET number = ?, net = ?, tax = ?, total = ?, "
	    "invoice_number = ? WHERE id = ?", "siiisi", order_number, inv.totals.tax_exclusive,
	    inv.totals.tax_total, inv.totals.tax_inclusive, inv.number, order_id) < 0) {
		rc = action_db_failed(job, "storing the order", db_error(ctx->db));
		goto out;
	}

	dp_new_id("PC", id);
	doc = confirmation_doc(ctx, id, job->document_id, order_number, reference, currency, ol,
	    nol, lines, nlines, &inv, p, hash, &len);
	action_set_reply_text(job, doc, len, "PartsOrderConfirmation", id, true);
	{
		char total[32];
		action_set_audit(job, "parts_order.invoice", "parts_order", order_number, "invoice",
		    inv.number, "total", action_amount_text(inv.totals.tax_inclusive, currency, total),
		    "currency", currency, (const char *)NULL);
	}
	rc = 0;
out:
	invoice_free(&inv);
	free(ubl);
	free(lines);
	free(items);
	free(ol);
	buf_free(&canon);
	return rc;
}
