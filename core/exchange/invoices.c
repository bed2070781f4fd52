/* invoices — invoices, credit notes, claim payment and maintenance over
 * the exchange (see exchange.h): the reads a dealer makes of what it was
 * billed and of what maintenance is due, and finance's corrections. */
#include "exchange/exchange.h"
#include "exchange/docparts.h"
#include "exchange/xmlread.h"
#include "exchange/xmlwrite.h"
#include "billing/issue.h"
#include "domain/asset.h"
#include "domain/claim_store.h"
#include "domain/contract.h"
#include "storage/audit.h"
#include "base/buf.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
db_unavailable(exchange_reply *out, const char *err)
{
	exchange_reply_error(out, 503, "database-unavailable", NULL, "%s", err);
}

void
exchange_invoice(const exchange_ctx *ctx, const char *number, exchange_reply *out)
{
	char err[600];
	int r;

	memset(out, 0, sizeof *out);
	r = invoice_ubl(ctx->db, number, ctx->dealer_id, &out->body, &out->len, err, sizeof err);
	if (r < 0)
		db_unavailable(out, err);
	else if (r == 0)
		exchange_reply_error(out, 404, "not-found", NULL, "there is no invoice %s", number);
	else
		out->status = 200;
}

void
exchange_credit_note(const exchange_ctx *ctx, const char *number, const char *body, size_t len,
    exchange_reply *out)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	credit_line *lines = NULL;
	size_t n = 0;
	invoice cn, orig;
	problem_list pl;
	char reason[INVOICE_TEXT_MAX + 1] = "", err[600], *ubl = NULL, cur[4];
	buf detail;
	int r;

	memset(out, 0, sizeof *out);
	memset(&cn, 0, sizeof cn);
	buf_init(&detail, 0);
	problems_init(&pl, "/CreditNoteRequest");
	if ((doc = exchange_read_request(ctx, "CreditNoteRequest", body, len, out)) == NULL)
		return;
	root = xmlDocGetRootElement(doc);
	r = invoice_load(ctx->db, number, NULL, false, &orig, err, sizeof err);
	if (r <= 0) {
		if (r < 0)
			db_unavailable(out, err);
		else
			exchange_reply_error(out, 404, "not-found", NULL, "there is no invoice %s", number);
		goto out;
	}
	snprintf(cur, sizeof cur, "%s", orig.currency);
	invoice_free(&orig);
	xr_text(root, "Reason", reason, sizeof reason);
	lines = xcalloc(1001, sizeof *lines);
	for (xmlNodePtr el = xr_child(root, "Line"); el && n < 1000; el = xr_next(el, "Line")) {
		int64_t no = 0;
		char rel[48];
		snprintf(rel, sizeof rel, "Line[%zu]/Amount", n + 1);
		xr_int(el, "LineNumber", &no, &pl, "LineNumber");
		lines[n].line_no = (int)no;
		if (!xr_money(xr_child(el, "Amount"), cur, &lines[n].amount, NULL, &pl, rel))
			continue;
		n++;
	}
	if (problems_count(&pl) > 0) {
		exchange_reply_error(out, 422, pl.items[0].code, pl.items[0].path, "%s",
		    pl.items[0].message);
		goto out;
	}
	r = credit_note_issue(ctx->db, &ctx->settings->billing, number, lines, n, reason,
	    ctx->today, NULL, &cn, &ubl, &len, err, sizeof err);
	if (r == ISSUE_REFUSED) {
		exchange_reply_error(out, 422, "credit-refused", NULL, "%s", err);
		goto out;
	}
	if (r != 0) {
		db_unavailable(out, err);
		goto out;
	}
	{
		char total[32];
		money_format(cn.totals.tax_inclusive, cn.currency, total, sizeof total);
		audit_detail_add(&detail, "corrects", number);
		audit_detail_add(&detail, "total", total);
		audit_detail_add(&detail, "currency", cn.currency);
		audit_detail_add(&detail, "reason", reason);
	}
	if (audit_append(ctx->db, ctx->actor, "invoice.credit", "invoice", cn.number, detail.data,
	    err, sizeof err) != 0) {
		db_unavailable(out, err);
		goto out;
	}
	out->status = 201;
	out->body = ubl;
	out->len = len;
	ubl = NULL;
out:
	free(ubl);
	free(lines);
	invoice_free(&cn);
	problems_free(&pl);
	buf_free(&detail);
	xmlFreeDoc(doc);
}

void
exchange_claim_paid(const exchange_ctx *ctx, const char *number, exchange_reply *out)
{
	claim_record c;
	claim_line *lines = NULL;
	size_t n = 0;
	char err[600];
	int r;

	memset(out, 0, sizeof *out);
	r = claim_find(ctx->db, NULL, number, true, &c, &lines, &n, err, sizeof err);
	free(lines);
	if (r <= 0) {
		if (r < 0)
			db_unavailable(out, err);
		else
			exchange_reply_error(out, 404, "not-found", NULL, "there is no claim %s", number);
		return;
	}
	if (c.state == CLAIM_PAID) {
		exchange_claim(ctx, number, out);   /* paid already: the same answer */
		return;
	}
	r = claim_mark_paid(ctx->db, &c, err, sizeof err);
	if (r == 1) {
		exchange_reply_error(out, 409, "claim-not-payable", NULL, "%s", err);
		return;
	}
	if (r != 0 || audit_append(ctx->db, ctx->actor, "claim.paid", "claim", c.number,
	    "state=paid", err, sizeof err) != 0) {
		db_unavailable(out, err);
		return;
	}
	exchange_claim(ctx, number, out);
}

void
exchange_maintenance(const exchange_ctx *ctx, const char *serial, date_t date, bool has_usage,
    int64_t usage, exchange_reply *out)
{
	asset a;
	int64_t asset_id;
	contract *cs = NULL;
	size_t nc = 0;
	char err[600], id[65];
	xmlDocPtr doc;
	xmlNodePtr root;
	int r;

	memset(out, 0, sizeof *out);
	r = asset_find(ctx->db, ctx->dealer_id, serial, &a, &asset_id, err, sizeof err);
	if (r <= 0) {
		if (r < 0)
			db_unavailable(out, err);
		else
			exchange_reply_error(out, 404, "not-found", NULL, "there is no asset %s", serial);
		return;
	}
	if (contract_list_for_asset(ctx->db, asset_id, false, &cs, &nc, err, sizeof err) != 0) {
		db_unavailable(out, err);
		return;
	}
	dp_new_id("MS", id);
	root = xw_new("MaintenanceSchedule", &doc);
	dp_write_reply_header(root, id, ctx->dealer_id, ctx->today, NULL);
	dp_write_asset_ref(root, "AssetRef", a.serial, a.is_vin);
	xw_date(root, "AsOf", date);
	if (has_usage)
		xw_int(root, "Usage", usage);
	for (size_t i = 0; i < nc; i++) {
		const contract *c = &cs[i];
		maintenance_service *sv = NULL;
		int *which = NULL;
		size_t ns = 0;
		plan *p = NULL;
		xmlNodePtr ce;
		if (contract_state_on(c, date) != CONTRACT_ACTIVE && c->state != CONTRACT_EXHAUSTED)
			continue;
		if (date < c->terms.start_date || date >= c->terms.end_date)
			continue;
		if (plan_load(ctx->db, c->plan_code, c->plan_version, &p, err, sizeof err) <= 0 ||
		    maintenance_services_load(ctx->db, &c->id, 1, &sv, &which, &ns, err,
		    sizeof err) != 0) {
			plan_free(p);
			xmlFreeDoc(doc);
			free(cs);
			db_unavailable(out, err);
			return;
		}
		if (p->nentitlements > 0) {
			ce = xw_elem(root, "Contract");
			xw_text(ce, "ContractNumber", c->number);
			for (size_t e = 0; e < p->nentitlements; e++) {
				const plan_entitlement *ent = &p->entitlements[e];
				maintenance_status st = maintenance_status_of(ent, (int)e, c->terms.start_date,
				    c->terms.start_usage, sv, ns, date, has_usage, usage);
				xmlNodePtr ee = xw_elem(ce, "Entitlement");
				for (size_t k = 0; k < ent->noperations; k++)
					xw_text(ee, "OperationCode", ent->operations[k]);
				xw_opt(ee, "Description", ent->description);
				xw_int(ee, "Count", ent->count);
				if (ent->period_months > 0)
					xw_int(ee, "PeriodMonths", ent->period_months);
				else
					xw_int(ee, "UsageInterval", ent->usage_interval);
				xw_int(ee, "UsedInWindow", st.used_in_window);
				xw_int(ee, "LeftInWindow", st.left_in_window);
				if (st.last_known)
					xw_date(ee, "LastService", st.last_date);
				if (st.by_usage)
					xw_int(ee, "DueUsage", st.due_usage);
				else
					xw_date(ee, "DueDate", st.due_date);
				xw_text(ee, "Status", maintenance_due_name(st.status));
			}
		}
		plan_free(p);
		free(sv);
		free(which);
	}
	free(cs);
	out->status = 200;
	out->body = xw_finish(doc, &out->len);
}
