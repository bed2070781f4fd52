/* claims — ServiceClaim in, ClaimDecision out; and the claim reads.
 *
 * A claim is decided in the document's transaction:
 *   1. read the repair order; find the dealer's asset and lock its
 *      contracts (claims on one contract run one after the other, so the
 *      limit of liability holds under concurrency);
 *   2. who pays each line (claim_decide_coverage);
 *   3. price each payer group: parts with the parts plugin (the warranty
 *      price for covered lines, the customer price otherwise), labor with
 *      the billing plugin (diagnostic fee and field-service travel go with
 *      the first covered group, the contract-holder discount with the
 *      customer's);
 *   4. settle (claim_settle): deductible, limit of liability, totals;
 *   5. store the claim, its maintenance services and the contract's
 *      liability, and issue the customer's invoice and the dealer's
 *      settlement credit note (unless [invoices] claim_settlement =
 *      billing-run: then the month's billing run credits the claim); both
 *      go to the dealer's outbox as UBL.
 *
 * Problem codes, besides those of actions.c:
 *   service-date-in-future    the ServiceDate is after today
 *   unknown-contract          ContractNumber is not a contract on this asset
 *   currency-mismatch         the claim's Currency is not the contract's
 *   claim-pricing-unavailable no billing or parts plugin is loaded
 *   claim-pricing-refused     a plugin refused a line (its message says why)
 *   claim-pricing-failed      a plugin failed, or left a line unpriced
 *   customer-required         the customer pays a share and the claim names
 *                             no Customer (nor does a contract)
 *   tax-rate-missing          a line's tax category has no rate in [tax]
 *   invoicing-not-configured  an invoice is due and [seller] is not set */
#include "exchange/actions.h"
#include "exchange/action_util.h"
#include "exchange/docparts.h"
#include "exchange/xmlread.h"
#include "exchange/xmlwrite.h"
#include "billing/build.h"
#include "billing/issue.h"
#include "domain/canon_text.h"
#include "domain/claim_store.h"
#include "domain/contract.h"
#include "domain/coverage.h"
#include "plugin/registry.h"
#include "base/buf.h"
#include "base/crypto.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Everything a claim decision is made of. */
typedef struct claim_work {
	claim_record rec;
	claim_line *lines;
	size_t n, cap;
	customer cust;
	bool has_customer;
	bool diagnostic, field_service;
	cd_decimal travel;
	char region[33];
	/* The asset and its contracts. */
	asset a;
	int64_t asset_id;
	bool asset_known;
	contract *contracts;
	size_t ncontracts;
	plan **plans;
	int concerned;               /* index into contracts, or -1 */
	/* Pricing records: canonical inputs per plugin. */
	buf labor_input, parts_input;
	const loaded_plugin *labor_plugin, *parts_plugin;
} claim_work;

static void
work_free(claim_work *w)
{
	for (size_t i = 0; i < w->ncontracts; i++)
		plan_free(w->plans ? w->plans[i] : NULL);
	free(w->plans);
	free(w->contracts);
	free(w->lines);
	buf_free(&w->labor_input);
	buf_free(&w->parts_input);
}

static claim_line *
add_line(claim_work *w)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->lines = xreallocarray(w->lines, w->cap, sizeof *w->lines);
	}
	memset(&w->lines[w->n], 0, sizeof w->lines[0]);
	w->lines[w->n].entitlement = -1;
	return &w->lines[w->n++];
}

/* ------------------------------------------------------------------------
 * Reading the ServiceClaim
 * ------------------------------------------------------------------------ */

static void
read_lines(xmlNodePtr lines_el, claim_work *w, problem_list *pl)
{
	int labor = 0, part = 0;

	for (xmlNodePtr el = lines_el ? lines_el->children : NULL; el; el = el->next) {
		bool is_labor = xr_is(el, "Labor");
		char num[16], qty[40], rel[64];
		int64_t line_no = 0;
		claim_line *l;

		if (!is_labor && !xr_is(el, "Part"))
			continue;
		snprintf(rel, sizeof rel, "Lines/%s[%d]", is_labor ? "Labor" : "Part",
		    is_labor ? ++labor : ++part);
		l = add_line(w);
		xr_text(el, "LineNumber", num, sizeof num);
		line_no = strtoll(num, NULL, 10);
		l->line_number = (int)line_no;
		l->kind = is_labor ? CD_LINE_LABOR : CD_LINE_PART;
		xr_text(el, is_labor ? "OperationCode" : "PartNumber", l->code, sizeof l->code);
		xr_text(el, "Description", l->description, sizeof l->description);
		xr_text(el, "ComponentCategory", l->component, sizeof l->component);
		xr_text(el, "SkillLevel", l->skill_level, sizeof l->skill_level);
		xr_text(el, is_labor ? "Hours" : "Quantity", qty, sizeof qty);
		if (rate_parse(qty, &l->quantity) != MONEY_OK || l->quantity.value <= 0 ||
		    l->quantity.scale > 9)
			problems_add(pl, "invalid-quantity", rel, "'%s' is not a positive quantity",
			    qty);
	}
}

/* The asset, its contracts (locked) and their plans. */
static int
load_asset(doc_job *job, claim_work *w, xmlNodePtr root, char *err, size_t errlen)
{
	const exchange_ctx *ctx = job->ctx;
	xmlNodePtr ael = xr_child(root, "Asset");
	int r;

	if (ael != NULL) {
		dp_read_asset(ael, &w->a, &job->problems, "Asset");
		snprintf(w->rec.serial, sizeof w->rec.serial, "%s", w->a.serial);
		w->rec.is_vin = w->a.is_vin;
	} else {
		dp_read_asset_ref(xr_child(root, "AssetRef"), w->rec.serial, &w->rec.is_vin);
	}
	r = asset_find(ctx->db, ctx->dealer_id, w->rec.serial, &w->a, &w->asset_id, err, errlen);
	if (r < 0)
		return -1;
	w->asset_known = r == 1;
	if (!w->asset_known)
		return 0;
	w->rec.asset_id = w->asset_id;
	if (contract_list_for_asset(ctx->db, w->asset_id, true, &w->contracts, &w->ncontracts, err,
	    errlen) != 0)
		return -1;
	w->plans = xcalloc(w->ncontracts + 1, sizeof *w->plans);
	for (size_t i = 0; i < w->ncontracts; i++) {
		r = plan_load(ctx->db, w->contracts[i].plan_code, w->contracts[i].plan_version,
		    &w->plans[i], err, errlen);
		if (r <= 0) {
			if (r == 0)
				snprintf(err, errlen, "plan %s version %d is missing",
				    w->contracts[i].plan_code, w->contracts[i].plan_version);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Coverage
 * ------------------------------------------------------------------------ */

static int
decide_coverage(doc_job *job, claim_work *w, char *err, size_t errlen)
{
	size_t n = w->ncontracts;
	coverage_asset ca = { 0 };
	coverage_contract *cc = xcalloc(n + 1, sizeof *cc);
	const char ***comps = xcalloc(n + 1, sizeof *comps);
	date_t *starts = xcalloc(n + 1, sizeof *starts);
	int64_t *start_usage = xcalloc(n + 1, sizeof *start_usage);
	int64_t *ids = xcalloc(n + 1, sizeof *ids);
	maintenance_service *services = NULL;
	int *which = NULL;
	size_t nservices = 0;
	int rc = -1;

	if (w->asset_known || xr_child(job->root, "Asset") != NULL) {
		ca.known = true;
		ca.purchase_date = w->a.purchase_date;
		ca.mw_months = w->a.mw_months;
		ca.mw_usage_limit = w->a.mw_usage_limit;
	}
	action_coverage_contracts(w->contracts, w->plans, n, cc, comps);
	for (size_t i = 0; i < n; i++) {
		starts[i] = w->contracts[i].terms.start_date;
		start_usage[i] = w->contracts[i].terms.start_usage;
		ids[i] = w->contracts[i].id;
	}
	if (maintenance_services_load(job->ctx->db, ids, n, &services, &which, &nservices, err,
	    errlen) != 0)
		goto out;
	claim_facts f = {
		.asset = &ca, .contracts = cc, .plans = (const plan *const *)w->plans,
		.ncontracts = n, .date = w->rec.service_date, .has_usage = w->rec.has_usage,
		.usage = w->rec.usage, .maintenance = w->rec.maintenance, .services = services,
		.service_contract = which, .nservices = nservices, .contract_start = starts,
		.contract_start_usage = start_usage,
	};
	w->concerned = claim_decide_coverage(&f, w->lines, w->n);
	if (!ca.known)
		for (size_t i = 0; i < w->n; i++)
			w->lines[i].reason = REASON_UNKNOWN_ASSET;
	rc = 0;
out:
	action_coverage_contracts_free(comps, n);
	free(cc);
	free(starts);
	free(start_usage);
	free(ids);
	free(services);
	free(which);
	return rc;
}

/* ------------------------------------------------------------------------
 * Pricing
 * ------------------------------------------------------------------------ */

static const loaded_plugin *
claim_plugin(const exchange_ctx *ctx, const char *configured, cd_plugin_kind kind)
{
	const loaded_plugin *p;

	if (ctx->plugins == NULL)
		return NULL;
	if (configured[0] != '\0') {
		p = plugin_set_find(ctx->plugins, configured);
		return p && p->desc->kind == kind ? p : NULL;
	}
	return plugin_set_first_of_kind(ctx->plugins, kind);
}

/* Matches a plugin's line to the first claim line of the group it prices:
 * same kind, same code (or the code it superseded), not priced yet. */
static claim_line *
match(claim_work *w, size_t first, size_t end, claim_payer g, const cd_line *out, bool *taken)
{
	for (size_t i = first; i < end; i++) {
		claim_line *l = &w->lines[i];
		if (taken[i] || l->payer != g || l->line_number == 0 || (int)l->kind != (int)out->kind)
			continue;
		if (strcmp(l->code, out->code) == 0 || strcmp(l->code, out->reference) == 0) {
			taken[i] = true;
			return l;
		}
	}
	return NULL;
}

/* Writes a priced plugin line into claim line l, or adds it as a line of
 * the group. */
static void
take_line(claim_work *w, claim_line *l, const cd_line *o, claim_payer g, coverage_kind cov,
    coverage_reason reason)
{
	if (l == NULL) {
		l = add_line(w);
		l->kind = o->kind;
		snprintf(l->code, sizeof l->code, "%s", o->code);
		snprintf(l->description, sizeof l->description, "%s", o->description);
		l->payer = g;
		l->coverage = cov;
		l->reason = reason;
	} else {
		snprintf(l->code, sizeof l->code, "%s", o->code);
		if (l->description[0] == '\0')
			snprintf(l->description, sizeof l->description, "%s", o->description);
	}
	l->quantity = (rate){ o->quantity.value, o->quantity.scale };
	l->unit_price = o->unit_price;
	l->amount = o->amount;
	l->tax_category = o->tax_category;
}

static void
canon_request_lines(buf *b, const char *what, claim_payer g, const claim_work *w,
    cd_line_kind kind)
{
	char key[64], qty[32];

	snprintf(key, sizeof key, "%s.group", what);
	canon_put_int(b, key, g);
	for (size_t i = 0; i < w->n; i++) {
		const claim_line *l = &w->lines[i];
		if (l->payer != g || l->kind != kind || l->line_number == 0)
			continue;
		rate_format(l->quantity, qty, sizeof qty);
		canon_put(b, "code", l->code);
		canon_put(b, "quantity", qty);
		canon_put(b, "skill", l->skill_level);
	}
}

/* Prices payer group g. Returns 0, 1 with a problem, -1 never (plugins
 * have no database). */
static int
price_group(doc_job *job, claim_work *w, claim_payer g, bool extras, bool holder)
{
	const exchange_ctx *ctx = job->ctx;
	problem_list *pl = &job->problems;
	size_t nclaim = w->n, nlabor = 0, nparts = 0;
	coverage_kind cov = COVERAGE_POST_WARRANTY;
	coverage_reason reason = REASON_NO_CONTRACT;
	int64_t parts_amount = 0;
	bool *taken = xcalloc(nclaim + 1, sizeof *taken);
	char err[600], d[DATE_STR_LEN + 1];
	cd_line *out = NULL;
	size_t nout = 0;
	cd_status st;
	int rc = 1;

	for (size_t i = 0; i < nclaim; i++)
		if (w->lines[i].payer == g && w->lines[i].line_number != 0) {
			if (w->lines[i].kind == CD_LINE_LABOR)
				nlabor++;
			else
				nparts++;
			cov = w->lines[i].coverage;
			reason = w->lines[i].reason;
		}
	date_format(w->rec.service_date, d);

	if (nparts > 0) {
		cd_part_item *items = xcalloc(nparts, sizeof *items);
		size_t k = 0;
		if (w->parts_plugin == NULL) {
			problems_add(pl, "claim-pricing-unavailable", "Lines",
			    "no parts plugin is loaded to price the claim's parts");
			free(items);
			goto out;
		}
		for (size_t i = 0; i < nclaim; i++) {
			claim_line *l = &w->lines[i];
			if (l->payer != g || l->kind != CD_LINE_PART || l->line_number == 0)
				continue;
			items[k].part_number = l->code;
			items[k].quantity = (cd_decimal){ l->quantity.value, l->quantity.scale };
			k++;
		}
		cd_parts_request req = {
			.struct_size = sizeof req, .currency = w->rec.currency,
			.dealer_id = ctx->dealer_id,
			.buyer = g == PAYER_CUSTOMER ? CD_BUYER_CUSTOMER : CD_BUYER_WARRANTY,
			.items = items, .nitems = k,
		};
		snprintf(req.order_date.iso, sizeof req.order_date.iso, "%s", d);
		canon_put(&w->parts_input, "currency", w->rec.currency);
		canon_put_int(&w->parts_input, "buyer", req.buyer);
		canon_request_lines(&w->parts_input, "parts", g, w, CD_LINE_PART);
		st = plugin_price_parts(w->parts_plugin, &req, &out, &nout, err, sizeof err);
		free(items);
		if (st != CD_OK) {
			problems_add(pl, st == CD_ERR_INTERNAL ? "claim-pricing-failed" :
			    "claim-pricing-refused", "Lines", "%s", err);
			goto out;
		}
		for (size_t i = 0; i < nout; i++) {
			claim_line *l = out[i].kind == CD_LINE_PART ?
			    match(w, 0, nclaim, g, &out[i], taken) : NULL;
			take_line(w, l, &out[i], g, cov, reason);
			if (out[i].kind == CD_LINE_PART)
				parts_amount += out[i].amount;
		}
		free(out);
		out = NULL;
	}
	if (nlabor > 0) {
		cd_labor_op *ops = xcalloc(nlabor, sizeof *ops);
		size_t k = 0;
		if (w->labor_plugin == NULL) {
			problems_add(pl, "claim-pricing-unavailable", "Lines",
			    "no billing plugin is loaded to price the claim's labor");
			free(ops);
			goto out;
		}
		for (size_t i = 0; i < nclaim; i++) {
			claim_line *l = &w->lines[i];
			if (l->payer != g || l->kind != CD_LINE_LABOR || l->line_number == 0)
				continue;
			ops[k].operation_code = l->code;
			ops[k].hours = (cd_decimal){ l->quantity.value, l->quantity.scale };
			ops[k].skill_level = l->skill_level[0] ? l->skill_level : NULL;
			k++;
		}
		cd_billing_request req = {
			.struct_size = sizeof req, .currency = w->rec.currency,
			.dealer_id = ctx->dealer_id, .region = w->region[0] ? w->region : NULL,
			.field_service = extras && w->field_service,
			.travel_distance = extras && w->field_service ? w->travel : (cd_decimal){ 0, 0 },
			.has_contract = g == PAYER_CUSTOMER && holder,
			.diagnostic = extras && w->diagnostic,
			.ops = ops, .nops = k, .parts_amount = parts_amount,
		};
		snprintf(req.service_date.iso, sizeof req.service_date.iso, "%s", d);
		canon_put(&w->labor_input, "currency", w->rec.currency);
		canon_put_int(&w->labor_input, "field", req.field_service);
		canon_put_int(&w->labor_input, "travel", req.travel_distance.value);
		canon_put_int(&w->labor_input, "holder", req.has_contract);
		canon_put_int(&w->labor_input, "diagnostic", req.diagnostic);
		canon_put_int(&w->labor_input, "parts", parts_amount);
		canon_request_lines(&w->labor_input, "labor", g, w, CD_LINE_LABOR);
		st = plugin_price_labor(w->labor_plugin, &req, &out, &nout, err, sizeof err);
		free(ops);
		if (st != CD_OK) {
			problems_add(pl, st == CD_ERR_INTERNAL ? "claim-pricing-failed" :
			    "claim-pricing-refused", "Lines", "%s", err);
			goto out;
		}
		for (size_t i = 0; i < nout; i++) {
			claim_line *l = out[i].kind == CD_LINE_LABOR ?
			    match(w, 0, nclaim, g, &out[i], taken) : NULL;
			take_line(w, l, &out[i], g, cov, reason);
		}
	}
	for (size_t i = 0; i < nclaim; i++)
		if (w->lines[i].payer == g && w->lines[i].line_number != 0 && !taken[i]) {
			problems_add(pl, "claim-pricing-failed", "Lines",
			    "line %d (%s) was not priced by the plugin", w->lines[i].line_number,
			    w->lines[i].code);
			goto out;
		}
	rc = 0;
out:
	free(out);
	free(taken);
	return rc;
}

static int
price_claim(doc_job *job, claim_work *w)
{
	static const claim_payer order[CLAIM_PAYERS] = { PAYER_CONTRACT, PAYER_WARRANTY,
		PAYER_MAINTENANCE, PAYER_CUSTOMER };
	bool holder = false, has[CLAIM_PAYERS] = { false };
	int extras = -1;

	w->labor_plugin = claim_plugin(job->ctx, job->ctx->settings->claims_billing_plugin,
	    CD_PLUGIN_BILLING);
	w->parts_plugin = claim_plugin(job->ctx, job->ctx->settings->claims_parts_plugin,
	    CD_PLUGIN_PARTS);
	for (size_t i = 0; i < w->n; i++)
		has[w->lines[i].payer] = true;
	/* The diagnostic fee and travel go with the first covered group that
	 * has labor; otherwise with the customer's. */
	for (int k = 0; k < CLAIM_PAYERS && extras < 0; k++)
		for (size_t i = 0; i < w->n; i++)
			if (w->lines[i].payer == order[k] && w->lines[i].kind == CD_LINE_LABOR) {
				extras = order[k];
				break;
			}
	for (size_t i = 0; i < w->ncontracts; i++)
		if (contract_state_on(&w->contracts[i], w->rec.service_date) == CONTRACT_ACTIVE)
			holder = true;
	for (int k = 0; k < CLAIM_PAYERS; k++)
		if (has[order[k]] && price_group(job, w, order[k], extras == (int)order[k], holder) != 0)
			return 1;
	return 0;
}

static void
pricing_records(claim_work *w)
{
	const loaded_plugin *p[2] = { w->labor_plugin, w->parts_plugin };
	buf *in[2] = { &w->labor_input, &w->parts_input };
	size_t off = 0;

	w->rec.pricing[0] = '\0';
	for (int i = 0; i < 2; i++) {
		char hash[65];
		if (p[i] == NULL || in[i]->len == 0)
			continue;
		sha256_hex(in[i]->data, in[i]->len, hash);
		off += (size_t)snprintf(w->rec.pricing + off, sizeof w->rec.pricing - off,
		    "%s %s %s\n", p[i]->desc->name, p[i]->desc->version, hash);
		if (off >= sizeof w->rec.pricing)
			break;
	}
}

/* ------------------------------------------------------------------------
 * The ClaimDecision document
 * ------------------------------------------------------------------------ */

static char *
claim_decision_doc(const claim_record *c, const claim_line *lines, size_t n,
    int64_t remaining_liability, const char *contract_state_text, const char *document_id,
    const char *in_reply_to, date_t today, size_t *len)
{
	xmlDocPtr doc;
	xmlNodePtr root = xw_new("ClaimDecision", &doc), ls, t;
	char qty[32];

	dp_write_reply_header(root, document_id, c->dealer_id, today, in_reply_to);
	xw_text(root, "ClaimNumber", c->number);
	xw_text(root, "RepairOrder", c->repair_order);
	dp_write_asset_ref(root, "AssetRef", c->serial, c->is_vin);
	xw_opt(root, "ContractNumber", c->contract_number);
	xw_text(root, "State", claim_state_name(c->state));
	ls = xw_elem(root, "Lines");
	for (size_t i = 0; i < n; i++) {
		const claim_line *l = &lines[i];
		xmlNodePtr el = xw_elem(ls, "Line");
		if (l->line_number > 0)
			xw_int(el, "LineNumber", l->line_number);
		xw_text(el, "Kind", line_kind_name(l->kind));
		xw_text(el, "Code", l->code[0] ? l->code : "-");
		xw_opt(el, "Description", l->description);
		if (rate_format(l->quantity, qty, sizeof qty) == MONEY_OK && l->quantity.value > 0)
			xw_text(el, "Quantity", qty);
		xw_money(el, "Amount", l->amount, c->currency);
		xw_text(el, "Coverage", coverage_kind_name(l->coverage));
		xw_text(el, "Reason", coverage_reason_name(l->reason));
		xw_money(el, "CoveredAmount", l->covered, c->currency);
		xw_money(el, "CustomerAmount", l->customer, c->currency);
	}
	t = xw_elem(root, "Totals");
	xw_money(t, "Amount", c->totals.amount, c->currency);
	xw_money(t, "Deductible", c->totals.deductible, c->currency);
	xw_money(t, "Covered", c->totals.covered, c->currency);
	xw_money(t, "CustomerPays", c->totals.customer_pays, c->currency);
	xw_money(t, "WarrantorPays", c->totals.warrantor_pays, c->currency);
	if (contract_state_text != NULL) {
		xw_money(root, "RemainingLiability", remaining_liability > 0 ? remaining_liability : 0,
		    c->currency);
		xw_text(root, "ContractState", contract_state_text);
	}
	/* "plugin version hash" lines. */
	for (const char *p = c->pricing; *p;) {
		char name[80] = "", version[80] = "", hash[80] = "";
		const char *nl = strchr(p, '\n');
		if (sscanf(p, "%79s %79s %79s", name, version, hash) == 3) {
			xmlNodePtr pr = xw_elem(root, "Pricing");
			xw_text(pr, "Plugin", name);
			xw_text(pr, "PluginVersion", version);
			xw_text(pr, "InputHash", hash);
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	xw_opt(root, "CustomerInvoice", c->customer_invoice);
	xw_opt(root, "SettlementNote", c->settlement_note);
	return xw_finish(doc, len);
}

/* ------------------------------------------------------------------------
 * Invoices
 * ------------------------------------------------------------------------ */

static int
issue_invoices(doc_job *job, claim_work *w)
{
	const exchange_ctx *ctx = job->ctx;
	invoice inv;
	invoice_party buyer, dealer_party;
	char err[600];
	int r;

	/* The settlement (its own series) first: the invoice series row is
	 * the busiest lock of all, so it is taken last and held shortest.
	 * Settled in billing runs, the claim waits for its month's run. */
	if (w->rec.totals.warrantor_pays > 0 && !ctx->settings->billing.settle_claims_in_runs) {
		r = party_from_dealer(ctx->db, ctx->dealer_id, &ctx->settings->billing, &dealer_party, err,
		    sizeof err);
		if (r <= 0)
			return action_db_failed(job, "reading the dealer", r < 0 ? err : "it is gone");
		if (build_claim_settlement(&w->rec, w->lines, w->n, &ctx->settings->billing.tax, &dealer_party,
		    ctx->today, &inv) > 0) {
			char source[96];
			snprintf(source, sizeof source, "claim:%lld:settlement", (long long)w->rec.id);
			r = action_issue_invoice(job, &inv, source, w->rec.settlement_note);
			invoice_free(&inv);
			if (r != 0)
				return r;
		}
	}
	if (w->rec.totals.customer_pays > 0) {
		party_from_customer(&w->cust, &buyer);
		if (build_claim_customer_invoice(&w->rec, w->lines, w->n, &ctx->settings->billing.tax, &buyer,
		    ctx->today, &inv) > 0) {
			char source[96];
			snprintf(source, sizeof source, "claim:%lld:customer", (long long)w->rec.id);
			r = action_issue_invoice(job, &inv, source, w->rec.customer_invoice);
			invoice_free(&inv);
			if (r != 0)
				return r;
		}
	}
	if (claim_set_invoices(ctx->db, w->rec.id, w->rec.customer_invoice, w->rec.settlement_note,
	    err, sizeof err) != 0)
		return action_db_failed(job, "recording the claim's invoices", err);
	return 0;
}

/* ------------------------------------------------------------------------
 * ServiceClaim -> ClaimDecision
 * ------------------------------------------------------------------------ */

/* Rules that need the facts: dates, readings, contract, currency, tax. */
static void
check_claim(doc_job *job, claim_work *w, const char *contract_number)
{
	problem_list *pl = &job->problems;
	const exchange_ctx *ctx = job->ctx;
	char d[DATE_STR_LEN + 1];

	if (w->rec.service_date > ctx->today)
		problems_add(pl, "service-date-in-future", "ServiceDate",
		    "the service date %s is after today", action_date_text(w->rec.service_date, d));
	if ((w->asset_known || xr_child(job->root, "Asset")) &&
	    w->rec.service_date < w->a.purchase_date)
		problems_add(pl, "service-before-purchase", "ServiceDate",
		    "the service date %s is before the purchase",
		    action_date_text(w->rec.service_date, d));
	if (w->asset_known && w->a.usage_unit != CD_USAGE_NONE && !w->rec.has_usage)
		problems_add(pl, "usage-required", "Usage",
		    "the asset's usage is counted in %s: the reading on the service date is needed",
		    usage_unit_name(w->a.usage_unit));
	if (w->asset_known && w->rec.has_usage && w->rec.usage < w->a.usage_at_sale)
		problems_add(pl, "usage-decreased", "Usage",
		    "the reading %lld is below the reading at sale, %lld", (long long)w->rec.usage,
		    (long long)w->a.usage_at_sale);
	if (!currency_valid(w->rec.currency))
		problems_add(pl, "unknown-currency", "Currency", "%s is not an ISO 4217 currency",
		    w->rec.currency);
	if (contract_number[0] != '\0') {
		size_t i;
		for (i = 0; i < w->ncontracts; i++)
			if (strcmp(w->contracts[i].number, contract_number) == 0)
				break;
		if (i == w->ncontracts)
			problems_add(pl, "unknown-contract", "ContractNumber",
			    "there is no contract %s on asset %s", contract_number, w->rec.serial);
	}
}

static int
check_after_pricing(doc_job *job, claim_work *w)
{
	const exchange_ctx *ctx = job->ctx;
	problem_list *pl = &job->problems;
	static const char *const codes[4] = { "S", "Z", "E", "AE" };
	bool needs[4] = { false };

	for (size_t i = 0; i < w->n; i++)
		if (w->lines[i].amount != 0)
			needs[w->lines[i].tax_category & 3] = true;
	if (w->rec.totals.deductible > 0)
		needs[CD_TAX_STANDARD] = true;
	for (int k = 0; k < 4; k++)
		if (needs[k] && !ctx->settings->billing.tax.set[k])
			problems_add(pl, "tax-rate-missing", "Lines", "no tax rate is configured for "
			    "tax category %s (contractd.conf [tax])", codes[k]);
	if (w->rec.totals.customer_pays > 0 && !w->has_customer) {
		if (w->concerned >= 0) {
			w->cust = w->contracts[w->concerned].owner;
			w->has_customer = true;
		} else {
			char owed[32];
			problems_add(pl, "customer-required", "Customer",
			    "the customer pays %s %s of this repair: the claim must name the Customer",
			    action_amount_text(w->rec.totals.customer_pays, w->rec.currency, owed),
			    w->rec.currency);
		}
	}
	if ((w->rec.totals.customer_pays > 0 || w->rec.totals.warrantor_pays > 0) &&
	    !ctx->settings->billing.configured)
		problems_add(pl, "invoicing-not-configured", "",
		    "this claim must be invoiced, and the server's [seller] is not configured");
	return problems_count(pl) > 0;
}

static int
store_claim(doc_job *job, claim_work *w)
{
	const exchange_ctx *ctx = job->ctx;
	char err[600];

	if (claim_insert(ctx->db, &w->rec, w->lines, w->n, err, sizeof err) != 0)
		return action_db_failed(job, "storing the claim", err);
	if (w->concerned >= 0) {
		const contract *c = &w->contracts[w->concerned];
		for (size_t i = 0; i < w->n; i++)
			if (w->lines[i].entitlement >= 0 &&
			    maintenance_service_add(ctx->db, c->id, w->lines[i].entitlement, w->rec.id,
			    w->lines[i].code, w->rec.service_date, w->rec.has_usage, w->rec.usage, err,
			    sizeof err) != 0)
				return action_db_failed(job, "recording maintenance", err);
		if (contract_charge_claim(ctx->db, c->id, &w->rec, err, sizeof err) != 0)
			return action_db_failed(job, "charging the contract", err);
	}
	return 0;
}

int
action_service_claim(doc_job *job)
{
	const exchange_ctx *ctx = job->ctx;
	problem_list *pl = &job->problems;
	xmlNodePtr root = job->root, fs;
	claim_work w;
	char err[600], contract_number[65] = "", id[65], dist[32];
	int rc = 1, r;

	memset(&w, 0, sizeof w);
	w.concerned = -1;
	buf_init(&w.labor_input, 0);
	buf_init(&w.parts_input, 0);
	snprintf(w.rec.dealer_id, sizeof w.rec.dealer_id, "%s", ctx->dealer_id);
	snprintf(w.rec.document_id, sizeof w.rec.document_id, "%s", job->document_id);
	xr_text(root, "RepairOrder", w.rec.repair_order, sizeof w.rec.repair_order);
	xr_text(root, "ContractNumber", contract_number, sizeof contract_number);
	xr_date(root, "ServiceDate", &w.rec.service_date, pl, "ServiceDate");
	w.rec.has_usage = xr_int(root, "Usage", &w.rec.usage, pl, "Usage");
	xr_text(root, "Currency", w.rec.currency, sizeof w.rec.currency);
	xr_text(root, "Complaint", w.rec.complaint, sizeof w.rec.complaint);
	xr_text(root, "Cause", w.rec.cause, sizeof w.rec.cause);
	xr_text(root, "Correction", w.rec.correction, sizeof w.rec.correction);
	xr_bool(root, "Maintenance", &w.rec.maintenance);
	xr_bool(root, "Diagnostic", &w.diagnostic);
	xr_text(root, "Region", w.region, sizeof w.region);
	if ((fs = xr_child(root, "FieldService")) != NULL) {
		rate t = { 0, 0 };
		w.field_service = true;
		xr_text(fs, "TravelDistance", dist, sizeof dist);
		if (rate_parse(dist, &t) != MONEY_OK || t.value < 0 || t.scale > 9)
			problems_add(pl, "invalid-distance", "FieldService/TravelDistance",
			    "'%s' is not a distance", dist);
		w.travel = (cd_decimal){ t.value, t.scale };
	}
	if (xr_child(root, "Customer") != NULL) {
		dp_read_customer(xr_child(root, "Customer"), &w.cust);
		w.has_customer = true;
	}
	read_lines(xr_child(root, "Lines"), &w, pl);
	if (load_asset(job, &w, root, err, sizeof err) != 0) {
		rc = action_db_failed(job, "reading the asset", err);
		goto out;
	}
	check_claim(job, &w, contract_number);
	if (problems_count(pl) > 0)
		goto out;
	if (decide_coverage(job, &w, err, sizeof err) != 0) {
		rc = action_db_failed(job, "reading maintenance", err);
		goto out;
	}
	if (w.concerned >= 0 && strcmp(w.contracts[w.concerned].price.currency, w.rec.currency) != 0)
		problems_add(pl, "currency-mismatch", "Currency", "contract %s is in %s, not %s",
		    w.contracts[w.concerned].number, w.contracts[w.concerned].price.currency,
		    w.rec.currency);
	if (problems_count(pl) > 0 || price_claim(job, &w) != 0)
		goto out;
	pricing_records(&w);
	{
		int64_t deductible = 0, left = 0;
		if (w.concerned >= 0) {
			const contract *c = &w.contracts[w.concerned];
			deductible = c->deductible;
			left = c->terms.liability_limit - c->claims_paid;
			w.rec.contract_id = c->id;
			snprintf(w.rec.contract_number, sizeof w.rec.contract_number, "%s", c->number);
		}
		if (claim_settle(w.lines, w.n, deductible, left, &w.rec.totals) != MONEY_OK) {
			problems_add(pl, "amount-out-of-range", "Lines",
			    "the claim's amounts add up beyond what can be represented");
			goto out;
		}
		w.rec.state = w.rec.totals.state;
	}
	if (check_after_pricing(job, &w) != 0)
		goto out;
	if ((r = store_claim(job, &w)) != 0 || (r = issue_invoices(job, &w)) != 0) {
		rc = r;
		goto out;
	}

	{
		const contract *c = w.concerned >= 0 ? &w.contracts[w.concerned] : NULL;
		int64_t left = c ? c->terms.liability_limit - c->claims_paid -
		    w.rec.totals.liability_used : 0;
		const char *state = c ? (w.rec.totals.exhausted ? "exhausted" :
		    contract_state_name(contract_state_on(c, ctx->today))) : NULL;
		char covered[32], customer_text[32];
		char *doc;
		size_t len;

		dp_new_id("CD", id);
		doc = claim_decision_doc(&w.rec, w.lines, w.n, left, state, id, job->document_id,
		    ctx->today, &len);
		action_set_reply_text(job, doc, len, "ClaimDecision", id, true);
		action_set_audit(job, "claim.decide", "claim", w.rec.number, "state",
		    claim_state_name(w.rec.state), "contract", w.rec.contract_number, "covered",
		    action_amount_text(w.rec.totals.covered, w.rec.currency, covered), "customer",
		    action_amount_text(w.rec.totals.customer_pays, w.rec.currency, customer_text),
		    "currency", w.rec.currency, "customer_invoice", w.rec.customer_invoice,
		    "settlement_note", w.rec.settlement_note, (const char *)NULL);
	}
	rc = 0;
out:
	work_free(&w);
	return rc;
}

/* ------------------------------------------------------------------------
 * Reads
 * ------------------------------------------------------------------------ */

void
exchange_claim(const exchange_ctx *ctx, const char *number, exchange_reply *out)
{
	claim_record c;
	claim_line *lines = NULL;
	size_t n = 0, len;
	contract k;
	const char *state = NULL;
	int64_t left = 0;
	char err[600], id[65];
	int r;

	r = claim_find(ctx->db, ctx->dealer_id, number, false, &c, &lines, &n, err, sizeof err);
	if (r <= 0) {
		free(lines);
		if (r == 0)
			exchange_reply_error(out, 404, "not-found", NULL, "there is no claim %s", number);
		else
			exchange_reply_error(out, 503, "database-unavailable", NULL, "%s", err);
		return;
	}
	if (c.contract_number[0] != '\0' &&
	    (r = contract_find(ctx->db, NULL, c.contract_number, false, &k, err, sizeof err)) == 1) {
		left = k.terms.liability_limit - k.claims_paid;
		state = contract_state_name(contract_state_on(&k, ctx->today));
	}
	dp_new_id("CD", id);
	out->status = 200;
	out->body = claim_decision_doc(&c, lines, n, left, state, id, c.document_id, ctx->today,
	    &len);
	out->len = len;
	free(lines);
}
