/* actions — business rules and domain actions per document (see actions.h).
 *
 * Problem codes (each with the path of the offending element):
 *
 *   purchase-date-in-future   the asset's PurchaseDate is after today
 *   invalid-purchase-price    PurchasePrice is zero
 *   unknown-plan              no plan with that Code
 *   unknown-plan-version      the plan has no such Version
 *   plan-version-retired      that Version is no longer sold
 *   plan-not-for-category     the plan is not sold for the ProductCategory
 *   currency-mismatch         an amount in another currency than the plan's
 *   usage-unit-mismatch       the asset's UsageUnit is not the plan's
 *   term-already-ended        the plan's term would end before it is sold
 *   pricing-unavailable       the plan's pricing plugin is not loaded
 *   pricing-refused           the pricing plugin refused (its message says why)
 *   pricing-failed            the pricing plugin failed
 *   tax-rate-missing          no tax rate is configured for the category
 *   sale-date-in-future, sale-before-purchase
 *   unknown-quote             no such quote for this dealer
 *   quote-signature-invalid   the Signature is not the quote's
 *   quote-expired             the quote's ValidUntil has passed
 *   quote-already-used        a contract was already registered from it
 *   asset-already-covered     the asset has an active contract for that time
 *   unknown-contract          no such contract for this dealer
 *   contract-already-cancelled
 *   cancellation-date-in-future, cancellation-before-sale
 *   contract-expired          the term ended before the cancellation date
 *   usage-required            a reading is needed (days-or-usage refunds,
 *                             metered assets in coverage inquiries)
 *   usage-decreased           the reading is below the reading at sale
 *   contract-not-active       only an active contract can be transferred
 *   transfer-date-in-future, transfer-before-sale
 *   service-before-purchase   the ServiceDate is before the purchase
 * plus, from xmlread: unknown-currency, amount-precision,
 * amount-out-of-range. */
#include "exchange/actions.h"
#include "exchange/action_util.h"
#include "exchange/docparts.h"
#include "exchange/xmlread.h"
#include "exchange/xmlwrite.h"
#include "billing/build.h"
#include "billing/issue.h"
#include "domain/contract.h"
#include "domain/coverage.h"
#include "domain/quote.h"
#include "domain/refund.h"
#include "storage/audit.h"
#include "base/buf.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
action_set_reply_text(doc_job *job, char *text, size_t len, const char *type, const char *id,
    bool to_outbox)
{
	free(job->reply);
	job->reply = text;
	job->reply_len = len;
	snprintf(job->reply_type, sizeof job->reply_type, "%s", type);
	snprintf(job->reply_id, sizeof job->reply_id, "%s", id);
	job->to_outbox = to_outbox;
}

void
action_set_reply(doc_job *job, xmlDocPtr doc, const char *type, const char *id, bool to_outbox)
{
	size_t len;
	char *text = xw_finish(doc, &len);

	action_set_reply_text(job, text, len, type, id, to_outbox);
}

void
action_set_audit(doc_job *job, const char *action, const char *entity, const char *entity_id, ...)
{
	va_list ap;
	const char *key;
	buf b;

	buf_init(&b, 0);
	audit_detail_add(&b, "document", job->document_id);
	va_start(ap, entity_id);
	while ((key = va_arg(ap, const char *)) != NULL)
		audit_detail_add(&b, key, va_arg(ap, const char *));
	va_end(ap);
	snprintf(job->audit_action, sizeof job->audit_action, "%s", action);
	snprintf(job->audit_entity, sizeof job->audit_entity, "%s", entity);
	snprintf(job->audit_entity_id, sizeof job->audit_entity_id, "%s", entity_id);
	snprintf(job->audit_detail, sizeof job->audit_detail, "%s", b.data ? b.data : "");
	buf_free(&b);
}

const char *
action_amount_text(int64_t amount, const char *currency, char out[32])
{
	if (money_format(amount, currency, out, 32) != MONEY_OK)
		snprintf(out, 32, "%lld", (long long)amount);
	return out;
}

int
action_db_failed(doc_job *job, const char *what, const char *err)
{
	snprintf(job->error, sizeof job->error, "%s: %s", what, err);
	return -1;
}

void
action_coverage_contracts(const contract *cs, plan *const *plans, size_t n,
    coverage_contract *cc, const char ***comps)
{
	for (size_t i = 0; i < n; i++) {
		const contract *c = &cs[i];
		const plan *p = plans[i];
		cc[i].state = c->state;
		cc[i].sale_date = c->sale_date;
		cc[i].start_date = c->terms.start_date;
		cc[i].end_date = c->terms.end_date;
		cc[i].waiting_ends = c->terms.waiting_ends;
		cc[i].cancelled_on = c->cancelled_on;
		cc[i].has_usage_limit = c->terms.has_usage_limit;
		cc[i].end_usage = c->terms.end_usage;
		cc[i].starts_at_usage = c->terms.starts_at_usage;
		cc[i].liability_left = c->terms.liability_limit - c->claims_paid;
		comps[i] = xcalloc(p->ncomponents + 1, sizeof *comps[i]);
		for (size_t k = 0; k < p->ncomponents; k++)
			comps[i][k] = p->components[k];
		cc[i].components = comps[i];
		cc[i].ncomponents = p->ncomponents;
	}
}

void
action_coverage_contracts_free(const char ***comps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(comps[i]);
	free(comps);
}

int
action_issue_invoice(doc_job *job, invoice *inv, const char *source, char number[33])
{
	const exchange_ctx *ctx = job->ctx;
	char err[600], *ubl = NULL;
	size_t len = 0;
	int r;

	snprintf(inv->in_reply_to, sizeof inv->in_reply_to, "%s", job->document_id);
	r = invoice_issue(ctx->db, &ctx->settings->billing, inv, source, &ubl, &len, err,
	    sizeof err);
	free(ubl);
	if (r == ISSUE_REFUSED) {
		problems_add(&job->problems, ctx->settings->billing.configured ? "invoice-refused" :
		    "invoicing-not-configured", "", "%s", err);
		return 1;
	}
	if (r < 0)
		return action_db_failed(job, "issuing an invoice", err);
	snprintf(number, 33, "%s", inv->number);
	return 0;
}

const char *
action_date_text(date_t d, char out[DATE_STR_LEN + 1])
{
	date_format(d, out);
	return out;
}

/* ------------------------------------------------------------------------
 * Shared checks
 * ------------------------------------------------------------------------ */

/* What can be wrong with an asset whatever the plan. rel: "Asset". */
static void
check_asset(const asset *a, date_t today, problem_list *pl, const char *rel)
{
	char path[300], d[DATE_STR_LEN + 1];

	if (a->purchase_date > today) {
		snprintf(path, sizeof path, "%s/PurchaseDate", rel);
		problems_add(pl, "purchase-date-in-future", path, "the purchase date %s is after today",
		    action_date_text(a->purchase_date, d));
	}
	if (a->purchase_price <= 0 && a->currency[0] != '\0') {
		snprintf(path, sizeof path, "%s/PurchasePrice", rel);
		problems_add(pl, "invalid-purchase-price", path, "the purchase price must be above zero");
	}
}

/* Whether plan p may be sold for asset a. */
static void
check_plan_for_asset(const plan *p, const asset *a, problem_list *pl, const char *rel)
{
	char path[300];

	if (a->product_category[0] && !plan_sells_category(p, a->product_category)) {
		snprintf(path, sizeof path, "%s/ProductCategory", rel);
		problems_add(pl, "plan-not-for-category", path,
		    "plan %s is not sold for product category %s", p->code, a->product_category);
	}
	if (a->currency[0] && strcmp(a->currency, p->currency) != 0) {
		snprintf(path, sizeof path, "%s/PurchasePrice/@currency", rel);
		problems_add(pl, "currency-mismatch", path, "plan %s is sold in %s, not %s", p->code,
		    p->currency, a->currency);
	}
	if (p->usage_limit > 0 && a->usage_unit != p->usage_unit) {
		snprintf(path, sizeof path, "%s/UsageUnit", rel);
		problems_add(pl, "usage-unit-mismatch", path,
		    "plan %s counts usage in %s; the asset's unit is %s", p->code,
		    usage_unit_name(p->usage_unit), usage_unit_name(a->usage_unit));
	}
}

/* Loads the plan a PlanReference names: the current version, or the given
 * one if it is the current one. Returns 1 with *out set, 0 after adding a
 * problem, -1 on a database error. */
static int
load_plan_ref(doc_job *job, xmlNodePtr ref, const char *rel, plan **out)
{
	problem_list *pl = &job->problems;
	char code[65], path[300], err[256];
	int version, current = 0, r;

	*out = NULL;
	dp_read_plan_ref(ref, code, &version);
	r = plan_current_version(job->ctx->db, code, &current, err, sizeof err);
	if (r < 0)
		return action_db_failed(job, "reading the plan", err);
	if (r == 0) {
		snprintf(path, sizeof path, "%s/Code", rel);
		problems_add(pl, "unknown-plan", path, "there is no plan %s", code);
		return 0;
	}
	if (version > 0 && version != current) {
		plan *old = NULL;
		snprintf(path, sizeof path, "%s/Version", rel);
		r = plan_load(job->ctx->db, code, version, &old, err, sizeof err);
		if (r < 0)
			return action_db_failed(job, "reading the plan", err);
		if (r == 0)
			problems_add(pl, "unknown-plan-version", path, "plan %s has no version %d", code,
			    version);
		else
			problems_add(pl, "plan-version-retired", path,
			    "plan %s version %d is no longer sold; the current version is %d", code,
			    version, current);
		plan_free(old);
		return 0;
	}
	r = plan_load(job->ctx->db, code, current, out, err, sizeof err);
	if (r <= 0)
		return action_db_failed(job, "reading the plan", r < 0 ? err : "it vanished");
	return 1;
}

/* A pricing failure as a problem at rel (the Plan element). */
static void
pricing_problem(problem_list *pl, pricing_status st, const char *msg, const char *rel)
{
	switch (st) {
	case PRICING_NO_PLUGIN:
		problems_add(pl, "pricing-unavailable", rel, "%s", msg);
		break;
	case PRICING_REFUSED:
		problems_add(pl, "pricing-refused", rel, "%s", msg);
		break;
	case PRICING_NO_TAX_RATE:
		problems_add(pl, "tax-rate-missing", rel, "%s", msg);
		break;
	default:
		problems_add(pl, "pricing-failed", rel, "the price could not be computed: %s", msg);
		break;
	}
}

/* ------------------------------------------------------------------------
 * QuoteRequest -> Quote
 * ------------------------------------------------------------------------ */

int
action_quote_request(doc_job *job)
{
	const exchange_ctx *ctx = job->ctx;
	problem_list *pl = &job->problems;
	xmlNodePtr root = job->root, q_root;
	xmlDocPtr doc;
	asset a;
	plan *p = NULL;
	quote q;
	contract_terms t;
	char msg[512], err[256], d[DATE_STR_LEN + 1];
	int rc = 1, r;
	pricing_status st;

	memset(&q, 0, sizeof q);
	dp_read_asset(xr_child(root, "Asset"), &a, pl, "Asset");
	check_asset(&a, ctx->today, pl, "Asset");
	r = load_plan_ref(job, xr_child(root, "Plan"), "Plan", &p);
	if (r < 0) {
		rc = -1;
		goto out;
	}
	if (p != NULL) {
		check_plan_for_asset(p, &a, pl, "Asset");
		if (contract_terms_compute(p, &a, ctx->today, &t) == 0 && t.end_date <= ctx->today)
			problems_add(pl, "term-already-ended", "Asset/PurchaseDate",
			    "plan %s's term for this asset ended on %s", p->code,
			    action_date_text(t.end_date, d));
	}
	if (problems_count(pl) > 0)
		goto out;
	st = pricing_price(ctx->plugins, p, &a, ctx->dealer_id, ctx->today, &ctx->settings->billing.tax,
	    &q.price, msg, sizeof msg);
	if (st != PRICING_OK) {
		pricing_problem(pl, st, msg, "Plan");
		goto out;
	}
	dp_new_id("Q", q.id);
	snprintf(q.dealer_id, sizeof q.dealer_id, "%s", ctx->dealer_id);
	snprintf(q.document_id, sizeof q.document_id, "%s", job->document_id);
	snprintf(q.plan_code, sizeof q.plan_code, "%s", p->code);
	q.plan_version = p->version;
	q.quote_date = ctx->today;
	q.valid_until = ctx->today + ctx->settings->quote_valid_days;
	q.asset = a;
	quote_sign(&q, ctx->settings->quote_secret, ctx->settings->quote_secret_len, q.signature);
	if (quote_insert(ctx->db, &q, err, sizeof err) != 0) {
		rc = action_db_failed(job, "storing the quote", err);
		goto out;
	}

	q_root = xw_new("Quote", &doc);
	dp_write_reply_header(q_root, q.id, ctx->dealer_id, ctx->today, job->document_id);
	xw_text(q_root, "QuoteId", q.id);
	xw_date(q_root, "QuoteDate", q.quote_date);
	xw_date(q_root, "ValidUntil", q.valid_until);
	dp_write_asset_ref(q_root, "AssetRef", a.serial, a.is_vin);
	dp_write_plan_summary(q_root, p);
	dp_write_price(q_root, &q.price);
	xw_money(q_root, "DealerCost", q.price.dealer_cost, q.price.currency);
	dp_write_pricing_record(q_root, &q.price);
	xw_opt(q_root, "Explanation", q.price.explanation);
	xw_text(q_root, "Signature", q.signature);
	action_set_reply(job, doc, "Quote", q.id, false);
	rc = 0;
out:
	plan_free(p);
	return rc;
}

/* ------------------------------------------------------------------------
 * ContractRegistration -> ContractConfirmation
 * ------------------------------------------------------------------------ */

/* The quote a registration cites, checked. Returns 1 with *q and *p set, 0
 * after adding problems, -1 on a database error. */
static int
load_cited_quote(doc_job *job, xmlNodePtr qref, quote *q, plan **p)
{
	const exchange_ctx *ctx = job->ctx;
	problem_list *pl = &job->problems;
	char qid[65], sig[80], err[256], d[DATE_STR_LEN + 1];
	size_t before = problems_count(pl);
	int r;

	xr_text(qref, "QuoteId", qid, sizeof qid);
	xr_text(qref, "Signature", sig, sizeof sig);
	r = quote_find(ctx->db, ctx->dealer_id, qid, true, q, err, sizeof err);
	if (r < 0)
		return action_db_failed(job, "reading the quote", err);
	if (r == 0) {
		problems_add(pl, "unknown-quote", "QuoteReference/QuoteId", "there is no quote %s", qid);
		return 0;
	}
	if (!quote_signature_valid(q, ctx->settings->quote_secret, ctx->settings->quote_secret_len,
	    sig)) {
		problems_add(pl, "quote-signature-invalid", "QuoteReference/Signature",
		    "the signature is not the signature of quote %s", qid);
		return 0;
	}
	if (ctx->today > q->valid_until)
		problems_add(pl, "quote-expired", "QuoteReference/QuoteId",
		    "quote %s was valid until %s", qid, action_date_text(q->valid_until, d));
	if (q->contract_id != 0)
		problems_add(pl, "quote-already-used", "QuoteReference/QuoteId",
		    "a contract was already registered from quote %s", qid);
	r = plan_load(ctx->db, q->plan_code, q->plan_version, p, err, sizeof err);
	if (r <= 0)
		return action_db_failed(job, "reading the quoted plan", r < 0 ? err : "it is missing");
	return problems_count(pl) == before ? 1 : 0;
}

/* True when an active contract on the asset overlaps [start, end). */
static const contract *
overlapping(const contract *list, size_t n, date_t start, date_t end)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].state == CONTRACT_ACTIVE && list[i].terms.start_date < end &&
		    start < list[i].terms.end_date)
			return &list[i];
	return NULL;
}

int
action_contract_registration(doc_job *job)
{
	const exchange_ctx *ctx = job->ctx;
	problem_list *pl = &job->problems;
	xmlNodePtr root = job->root, qref = xr_child(root, "QuoteReference"), c_root;
	xmlDocPtr doc;
	contract c;
	quote q;
	plan *p = NULL;
	contract *existing = NULL;
	size_t nexisting = 0;
	const contract *clash;
	char msg[512], err[256], d[DATE_STR_LEN + 1], id[65], invoice_number[33] = "";
	const char *ident_path;
	bool have_asset = false, have_sale;
	int rc = 1, r;

	memset(&c, 0, sizeof c);
	dp_read_customer(xr_child(root, "Customer"), &c.owner);
	have_sale = xr_date(root, "SaleDate", &c.sale_date, pl, "SaleDate");
	{
		int64_t n = 1;
		xr_int(root, "Installments", &n, pl, "Installments");
		c.installments = (int)n;
	}
	xr_text(root, "DealerReference", c.dealer_reference, sizeof c.dealer_reference);
	if (have_sale && c.sale_date > ctx->today)
		problems_add(pl, "sale-date-in-future", "SaleDate", "the sale date %s is after today",
		    action_date_text(c.sale_date, d));
	if (qref != NULL) {
		ident_path = "QuoteReference/QuoteId";
		r = load_cited_quote(job, qref, &q, &p);
		if (r < 0) {
			rc = -1;
			goto out;
		}
		if (r > 0 || p != NULL) {
			c.asset = q.asset;
			c.price = q.price;
			snprintf(c.quote_id, sizeof c.quote_id, "%s", q.id);
			have_asset = true;
		}
	} else {
		xmlNodePtr ael = xr_child(root, "Asset");
		have_asset = dp_read_asset(ael, &c.asset, pl, "Asset");
		ident_path = c.asset.is_vin ? "Asset/VIN" : "Asset/SerialNumber";
		check_asset(&c.asset, ctx->today, pl, "Asset");
		r = load_plan_ref(job, xr_child(root, "Plan"), "Plan", &p);
		if (r < 0) {
			rc = -1;
			goto out;
		}
		if (p != NULL)
			check_plan_for_asset(p, &c.asset, pl, "Asset");
	}
	if (have_asset && have_sale && c.sale_date < c.asset.purchase_date)
		problems_add(pl, "sale-before-purchase", "SaleDate",
		    "the sale date %s is before the purchase date", action_date_text(c.sale_date, d));
	if (p != NULL && have_asset && have_sale) {
		if (contract_terms_compute(p, &c.asset, c.sale_date, &c.terms) != 0)
			problems_add(pl, "term-already-ended", "SaleDate", "the term is out of range");
		else if (c.terms.end_date <= c.sale_date)
			problems_add(pl, "term-already-ended", "SaleDate",
			    "plan %s's term for this asset ended on %s, before the sale", p->code,
			    action_date_text(c.terms.end_date, d));
	}
	if (problems_count(pl) > 0)
		goto out;
	if (qref == NULL) {
		pricing_status st = pricing_price(ctx->plugins, p, &c.asset, ctx->dealer_id, ctx->today,
		    &ctx->settings->billing.tax, &c.price, msg, sizeof msg);
		if (st != PRICING_OK) {
			pricing_problem(pl, st, msg, "Plan");
			goto out;
		}
	}

	snprintf(c.dealer_id, sizeof c.dealer_id, "%s", ctx->dealer_id);
	snprintf(c.document_id, sizeof c.document_id, "%s", job->document_id);
	snprintf(c.plan_code, sizeof c.plan_code, "%s", p->code);
	c.plan_version = p->version;
	c.deductible = p->deductible;
	if (asset_upsert(ctx->db, ctx->dealer_id, &c.asset, &c.asset_id, err, sizeof err) != 0 ||
	    contract_list_for_asset(ctx->db, c.asset_id, true, &existing, &nexisting, err,
	    sizeof err) != 0) {
		rc = action_db_failed(job, "reading the asset", err);
		goto out;
	}
	clash = overlapping(existing, nexisting, c.terms.start_date, c.terms.end_date);
	if (clash != NULL) {
		problems_add(pl, "asset-already-covered", ident_path,
		    "asset %s already has contract %s, in force until %s", c.asset.serial,
		    clash->number, action_date_text(clash->terms.end_date, d));
		goto out;
	}
	if (contract_insert(ctx->db, &c, err, sizeof err) != 0 ||
	    (qref != NULL && quote_mark_used(ctx->db, q.id, c.id, err, sizeof err) != 0)) {
		rc = action_db_failed(job, "storing the contract", err);
		goto out;
	}
	/* The sale invoice to the buyer, when the server invoices; a contract
	 * paid in installments is invoiced by the monthly billing runs. */
	if (ctx->settings->billing.configured && c.installments <= 1) {
		invoice inv;
		invoice_party buyer;
		char source[64];
		party_from_customer(&c.owner, &buyer);
		build_contract_sale(&c, p->name, &buyer, ctx->today, &inv);
		snprintf(source, sizeof source, "contract:%lld", (long long)c.id);
		rc = action_issue_invoice(job, &inv, source, invoice_number);
		invoice_free(&inv);
		if (rc != 0)
			goto out;
		rc = 1;
	}

	{
		char version[16], net[32];
		snprintf(version, sizeof version, "%d", c.plan_version);
		action_set_audit(job, "contract.register", "contract", c.number, "dealer", c.dealer_id,
		    "asset", c.asset.serial, "plan", c.plan_code, "version", version, "quote",
		    c.quote_id[0] ? c.quote_id : NULL, "net", action_amount_text(c.price.net, c.price.currency,
		    net), "currency", c.price.currency, "invoice", invoice_number[0] ? invoice_number :
		    NULL, (const char *)NULL);
	}
	dp_new_id("CC", id);
	c_root = xw_new("ContractConfirmation", &doc);
	dp_write_reply_header(c_root, id, ctx->dealer_id, ctx->today, job->document_id);
	xw_text(c_root, "ContractNumber", c.number);
	xw_text(c_root, "State", contract_state_name(contract_state_on(&c, ctx->today)));
	xw_opt(c_root, "QuoteId", c.quote_id);
	dp_write_asset_ref(c_root, "AssetRef", c.asset.serial, c.asset.is_vin);
	dp_write_plan_summary(c_root, p);
	dp_write_customer(c_root, "Customer", &c.owner);
	xw_date(c_root, "SaleDate", c.sale_date);
	dp_write_contract_coverage(c_root, &c, p);
	dp_write_price(c_root, &c.price);
	dp_write_split(c_root, &c.price);
	dp_write_pricing_record(c_root, &c.price);
	xw_opt(c_root, "DealerReference", c.dealer_reference);
	if (c.installments > 1)
		xw_int(c_root, "Installments", c.installments);
	xw_opt(c_root, "InvoiceNumber", invoice_number);
	action_set_reply(job, doc, "ContractConfirmation", id, true);
	rc = 0;
out:
	free(existing);
	plan_free(p);
	return rc;
}

/* ------------------------------------------------------------------------
 * ContractCancellation -> CancellationConfirmation
 * ------------------------------------------------------------------------ */

/* Settles a cancelled contract paid in installments: the buyer owes the
 * price less the refund, and has been invoiced the installments so far. A
 * balance left is invoiced; too much invoiced is credited, on the latest
 * installment invoices first (a credit note never exceeds the invoice it
 * corrects). Returns 0, 1 (a problem) or -1. */
static int
installment_settlement(doc_job *job, const contract *c, cancellation *x,
    char invoice_number[33])
{
	const exchange_ctx *ctx = job->ctx;
	char pattern[64], err[600];
	int64_t invoiced = 0, owed = c->price.net - x->refund.refund, diff;
	db_rows *r;
	int rc = 0, more;

	snprintf(pattern, sizeof pattern, "installment:%lld:%%", (long long)c->id);
	if (db_query_int(ctx->db, &invoiced, "SELECT COALESCE(SUM(line_total), 0) FROM invoices "
	    "WHERE source LIKE ?", "s", pattern) < 0)
		return action_db_failed(job, "reading the installments", db_error(ctx->db));
	diff = owed - invoiced;
	if (diff > 0) {
		invoice inv;
		invoice_party buyer;
		contract rest = *c;
		char source[64];
		/* The balance, as a sale of what is left of the price. */
		rest.price.net = diff;
		party_from_customer(&c->owner, &buyer);
		build_contract_sale(&rest, "balance on cancellation", &buyer, ctx->today, &inv);
		snprintf(source, sizeof source, "cancellation:%lld", (long long)c->id);
		rc = action_issue_invoice(job, &inv, source, invoice_number);
		invoice_free(&inv);
		return rc;
	}
	r = db_query(ctx->db, "SELECT number FROM invoices WHERE source LIKE ? ORDER BY id DESC",
	    "s", pattern);
	if (r == NULL)
		return action_db_failed(job, "reading the installments", db_error(ctx->db));
	char (*numbers)[33] = xcalloc(db_rows_count(r) + 1, sizeof *numbers);
	size_t n = 0;
	while ((more = db_rows_next(r)) == 1)
		snprintf(numbers[n++], 33, "%s", db_rows_str(r, 0));
	db_rows_free(r);
	for (size_t i = 0; i < n && diff < 0 && rc == 0; i++) {
		int64_t *credited = NULL, left;
		size_t nl = 0;
		invoice cn;
		char *ubl = NULL, source[96];
		size_t len;
		if (invoice_credited(ctx->db, numbers[i], &credited, &nl, err, sizeof err) != 0) {
			rc = action_db_failed(job, "reading credit notes", err);
			break;
		}
		invoice orig;
		if (invoice_load(ctx->db, numbers[i], NULL, false, &orig, err, sizeof err) != 1) {
			free(credited);
			rc = action_db_failed(job, "reading an installment", err);
			break;
		}
		left = orig.nlines > 0 && nl > 0 ? orig.lines[0].net - credited[0] : 0;
		invoice_free(&orig);
		free(credited);
		if (left <= 0)
			continue;
		credit_line cl = { 1, -diff < left ? -diff : left };
		snprintf(source, sizeof source, "cancellation:%lld:%s", (long long)c->id, numbers[i]);
		int r2 = credit_note_issue(ctx->db, &ctx->settings->billing, numbers[i], &cl, 1,
		    "Cancellation of the service contract", ctx->today, source, &cn, &ubl, &len, err,
		    sizeof err);
		free(ubl);
		if (r2 == 0 || r2 == ISSUE_EXISTS) {
			if (x->credit_note_number[0] == '\0')
				snprintf(x->credit_note_number, sizeof x->credit_note_number, "%s",
				    cn.number);
			diff += cl.amount;
		} else if (r2 == ISSUE_REFUSED) {
			problems_add(&job->problems, "invoice-refused", "", "%s", err);
			rc = 1;
		} else {
			rc = action_db_failed(job, "crediting an installment", err);
		}
		invoice_free(&cn);
	}
	free(numbers);
	if (rc == 0 && x->credit_note_number[0] != '\0' &&
	    db_exec(ctx->db, "UPDATE cancellations SET credit_note_number = ? WHERE contract_id = ?",
	    "si", x->credit_note_number, c->id) < 0)
		rc = action_db_failed(job, "recording the credit note", db_error(ctx->db));
	return rc;
}

/* The credit note refunding a cancelled contract's buyer, referencing the
 * sale invoice; none when the sale was not invoiced or nothing is
 * refunded. Returns 0, 1 (a problem) or -1. */
static int
cancellation_credit_note(doc_job *job, const contract *c, cancellation *x)
{
	const exchange_ctx *ctx = job->ctx;
	char sale_number[INVOICE_NUMBER_MAX + 1], source[64], err[256];
	invoice sale, cn;
	invoice_party buyer;
	int64_t refund;
	int r;

	snprintf(source, sizeof source, "contract:%lld", (long long)c->id);
	r = invoice_for_source(ctx->db, source, sale_number, err, sizeof err);
	if (r <= 0)
		return r < 0 ? action_db_failed(job, "reading the sale invoice", err) : 0;
	r = invoice_load(ctx->db, sale_number, NULL, true, &sale, err, sizeof err);
	if (r <= 0)
		return action_db_failed(job, "reading the sale invoice", r < 0 ? err : "it is gone");
	buyer = sale.buyer;
	/* Never more than the sale has left: finance may have credited part
	 * of it already. */
	{
		int64_t *credited = NULL, left = 0;
		size_t n = 0;
		if (invoice_credited(ctx->db, sale_number, &credited, &n, err, sizeof err) != 0) {
			invoice_free(&sale);
			return action_db_failed(job, "reading the sale's credit notes", err);
		}
		left = sale.nlines > 0 && n > 0 ? sale.lines[0].net - credited[0] : 0;
		free(credited);
		refund = x->refund.refund < left ? x->refund.refund : left;
	}
	r = 0;
	if (build_cancellation_credit(c, &sale, refund, &buyer, ctx->today, &cn) > 0) {
		snprintf(source, sizeof source, "cancellation:%lld", (long long)c->id);
		r = action_issue_invoice(job, &cn, source, x->credit_note_number);
		if (r == 0 && db_exec(ctx->db, "UPDATE cancellations SET credit_note_number = ? "
		    "WHERE contract_id = ?", "si", x->credit_note_number, c->id) < 0)
			r = action_db_failed(job, "recording the credit note", db_error(ctx->db));
		invoice_free(&cn);
	}
	invoice_free(&sale);
	return r;
}

int
action_contract_cancellation(doc_job *job)
{
	const exchange_ctx *ctx = job->ctx;
	problem_list *pl = &job->problems;
	xmlNodePtr root = job->root, x_root;
	xmlDocPtr doc;
	contract c;
	cancellation x;
	refund_input in;
	plan *p = NULL;
	char number[65], err[256], d[DATE_STR_LEN + 1], id[65], balance_invoice[33] = "";
	bool have_date;
	int rc = 1, r;

	memset(&x, 0, sizeof x);
	xr_text(root, "ContractNumber", number, sizeof number);
	have_date = xr_date(root, "CancellationDate", &x.date, pl, "CancellationDate");
	x.has_usage = xr_int(root, "Usage", &x.usage, pl, "Usage");
	xr_text(root, "Reason", x.reason, sizeof x.reason);
	xr_text(root, "Comment", x.comment, sizeof x.comment);
	snprintf(x.document_id, sizeof x.document_id, "%s", job->document_id);
	if (have_date && x.date > ctx->today)
		problems_add(pl, "cancellation-date-in-future", "CancellationDate",
		    "the cancellation date %s is after today", action_date_text(x.date, d));
	r = contract_find(ctx->db, ctx->dealer_id, number, true, &c, err, sizeof err);
	if (r < 0) {
		rc = action_db_failed(job, "reading the contract", err);
		goto out;
	}
	if (r == 0) {
		problems_add(pl, "unknown-contract", "ContractNumber", "there is no contract %s", number);
		goto out;
	}
	if (c.state == CONTRACT_CANCELLED) {
		problems_add(pl, "contract-already-cancelled", "ContractNumber",
		    "contract %s was cancelled on %s", number, action_date_text(c.cancelled_on, d));
		goto out;
	}
	if (have_date && x.date < c.sale_date)
		problems_add(pl, "cancellation-before-sale", "CancellationDate",
		    "contract %s was sold on %s, after the cancellation date", number,
		    action_date_text(c.sale_date, d));
	else if (have_date && x.date >= c.terms.end_date)
		problems_add(pl, "contract-expired", "CancellationDate",
		    "contract %s ended on %s; there is nothing left to cancel", number,
		    action_date_text(c.terms.end_date, d));
	r = plan_load(ctx->db, c.plan_code, c.plan_version, &p, err, sizeof err);
	if (r <= 0) {
		rc = action_db_failed(job, "reading the contract's plan", r < 0 ? err : "it is missing");
		goto out;
	}
	if (p->refund_method == PLAN_REFUND_BY_DAYS_OR_USAGE && c.terms.has_usage_limit &&
	    !x.has_usage)
		problems_add(pl, "usage-required", "Usage",
		    "plan %s refunds by days or usage: the reading on the cancellation date is needed",
		    p->code);
	if (x.has_usage && x.usage < c.asset.usage_at_sale)
		problems_add(pl, "usage-decreased", "Usage",
		    "the reading %lld is below the reading at sale, %lld", (long long)x.usage,
		    (long long)c.asset.usage_at_sale);
	if (problems_count(pl) > 0)
		goto out;

	memset(&in, 0, sizeof in);
	in.price = c.price.net;
	in.dealer_margin = c.price.dealer_margin;
	in.sale_date = c.sale_date;
	in.start_date = c.terms.start_date;
	in.end_date = c.terms.end_date;
	in.cancel_date = x.date;
	in.free_look_days = p->free_look_days;
	in.method = p->refund_method;
	in.has_usage_limit = c.terms.has_usage_limit;
	in.start_usage = c.terms.start_usage;
	in.end_usage = c.terms.end_usage;
	in.has_usage = x.has_usage;
	in.usage = x.usage;
	in.fee = p->cancellation_fee;
	in.deduct_claims = p->deduct_claims;
	in.claims_count = c.claims_count;
	in.claims_paid = c.claims_paid;
	if (refund_compute(&in, &x.refund) != 0) {
		problems_add(pl, "refund-not-computable", "CancellationDate",
		    "the refund of contract %s cannot be computed for this date", number);
		goto out;
	}
	if (contract_cancel(ctx->db, &c, &x, err, sizeof err) != 0) {
		rc = action_db_failed(job, "cancelling the contract", err);
		goto out;
	}
	r = c.installments > 1 ? installment_settlement(job, &c, &x, balance_invoice) :
	    cancellation_credit_note(job, &c, &x);
	if (r != 0) {
		rc = r;
		goto out;
	}
	{
		char refund[32], chargeback[32];
		action_set_audit(job, "contract.cancel", "contract", c.number, "date", action_date_text(x.date, d),
		    "reason", x.reason, "basis", refund_basis_name(x.refund.basis), "refund",
		    action_amount_text(x.refund.refund, c.price.currency, refund), "chargeback",
		    action_amount_text(x.refund.chargeback, c.price.currency, chargeback), "currency",
		    c.price.currency, "credit_note",
		    x.credit_note_number[0] ? x.credit_note_number : NULL, (const char *)NULL);
	}

	dp_new_id("CX", id);
	x_root = xw_new("CancellationConfirmation", &doc);
	dp_write_reply_header(x_root, id, ctx->dealer_id, ctx->today, job->document_id);
	xw_text(x_root, "ContractNumber", c.number);
	xw_text(x_root, "State", contract_state_name(c.state));
	xw_date(x_root, "CancellationDate", x.date);
	if (x.has_usage)
		xw_int(x_root, "Usage", x.usage);
	dp_write_refund(x_root, &x.refund, c.price.currency);
	xw_opt(x_root, "CreditNoteNumber", x.credit_note_number);
	xw_opt(x_root, "InvoiceNumber", balance_invoice);
	action_set_reply(job, doc, "CancellationConfirmation", id, true);
	rc = 0;
out:
	plan_free(p);
	return rc;
}

/* ------------------------------------------------------------------------
 * ContractTransfer -> TransferConfirmation
 * ------------------------------------------------------------------------ */

int
action_contract_transfer(doc_job *job)
{
	const exchange_ctx *ctx = job->ctx;
	problem_list *pl = &job->problems;
	xmlNodePtr root = job->root, t_root;
	xmlDocPtr doc;
	contract c;
	customer owner;
	char number[65], err[256], d[DATE_STR_LEN + 1], id[65], previous[sizeof c.owner.name];
	date_t date = 0;
	int64_t usage = 0;
	bool have_date, has_usage;
	int rc = 1, r, transfer_number = 0;
	contract_state now;

	xr_text(root, "ContractNumber", number, sizeof number);
	have_date = xr_date(root, "TransferDate", &date, pl, "TransferDate");
	has_usage = xr_int(root, "Usage", &usage, pl, "Usage");
	dp_read_customer(xr_child(root, "NewOwner"), &owner);
	if (have_date && date > ctx->today)
		problems_add(pl, "transfer-date-in-future", "TransferDate",
		    "the transfer date %s is after today", action_date_text(date, d));
	r = contract_find(ctx->db, ctx->dealer_id, number, true, &c, err, sizeof err);
	if (r < 0) {
		rc = action_db_failed(job, "reading the contract", err);
		goto out;
	}
	if (r == 0) {
		problems_add(pl, "unknown-contract", "ContractNumber", "there is no contract %s", number);
		goto out;
	}
	now = contract_state_on(&c, ctx->today);
	if (now != CONTRACT_ACTIVE)
		problems_add(pl, "contract-not-active", "ContractNumber",
		    "contract %s is %s; only an active contract can be transferred", number,
		    contract_state_name(now));
	if (have_date && date < c.sale_date)
		problems_add(pl, "transfer-before-sale", "TransferDate",
		    "contract %s was sold on %s, after the transfer date", number,
		    action_date_text(c.sale_date, d));
	if (has_usage && usage < c.asset.usage_at_sale)
		problems_add(pl, "usage-decreased", "Usage",
		    "the reading %lld is below the reading at sale, %lld", (long long)usage,
		    (long long)c.asset.usage_at_sale);
	if (problems_count(pl) > 0)
		goto out;
	snprintf(previous, sizeof previous, "%s", c.owner.name);
	if (contract_transfer(ctx->db, &c, &owner, date, has_usage, usage, job->document_id,
	    &transfer_number, err, sizeof err) != 0) {
		rc = action_db_failed(job, "recording the transfer", err);
		goto out;
	}
	{
		char n[16];
		snprintf(n, sizeof n, "%d", transfer_number);
		action_set_audit(job, "contract.transfer", "contract", c.number, "transfer", n, "date",
		    action_date_text(date, d), "from", previous, "to", owner.name, (const char *)NULL);
	}

	dp_new_id("TR", id);
	t_root = xw_new("TransferConfirmation", &doc);
	dp_write_reply_header(t_root, id, ctx->dealer_id, ctx->today, job->document_id);
	xw_text(t_root, "ContractNumber", c.number);
	xw_text(t_root, "State", contract_state_name(contract_state_on(&c, ctx->today)));
	xw_int(t_root, "TransferNumber", transfer_number);
	xw_date(t_root, "TransferDate", date);
	xw_text(t_root, "PreviousOwner", previous);
	dp_write_customer(t_root, "NewOwner", &owner);
	action_set_reply(job, doc, "TransferConfirmation", id, true);
	rc = 0;
out:
	return rc;
}

/* ------------------------------------------------------------------------
 * CoverageInquiry -> CoverageAnswer
 * ------------------------------------------------------------------------ */

/* What the decision needs about one asset: the asset (stored, or as given),
 * its contracts and their plans. */
typedef struct coverage_facts {
	bool known;                /* the dealer has the asset on record */
	bool have_asset;           /* known, or given in full */
	asset a;
	contract *contracts;
	size_t n;
	plan **plans;              /* one per contract */
} coverage_facts;

static void
coverage_facts_free(coverage_facts *f)
{
	for (size_t i = 0; i < f->n; i++)
		plan_free(f->plans ? f->plans[i] : NULL);
	free(f->plans);
	free(f->contracts);
	memset(f, 0, sizeof *f);
}

static int
coverage_facts_load(const exchange_ctx *ctx, const char *serial, const asset *given,
    coverage_facts *f, char *err, size_t errlen)
{
	int64_t asset_id = 0;
	int r;

	memset(f, 0, sizeof *f);
	r = asset_find(ctx->db, ctx->dealer_id, serial, &f->a, &asset_id, err, errlen);
	if (r < 0)
		return -1;
	f->known = r == 1;
	if (!f->known && given != NULL)
		f->a = *given;
	f->have_asset = f->known || given != NULL;
	if (!f->known)
		return 0;
	if (contract_list_for_asset(ctx->db, asset_id, false, &f->contracts, &f->n, err,
	    errlen) != 0)
		return -1;
	f->plans = xcalloc(f->n + 1, sizeof *f->plans);
	for (size_t i = 0; i < f->n; i++) {
		r = plan_load(ctx->db, f->contracts[i].plan_code, f->contracts[i].plan_version,
		    &f->plans[i], err, errlen);
		if (r <= 0) {
			if (r == 0)
				snprintf(err, errlen, "plan %s version %d is missing",
				    f->contracts[i].plan_code, f->contracts[i].plan_version);
			return -1;
		}
	}
	return 0;
}

/* The CoverageAnswer document for the facts and the question. */
static char *
coverage_answer_doc(const exchange_ctx *ctx, const coverage_facts *f, const char *serial,
    bool is_vin, date_t date, bool has_usage, int64_t usage, const char *component,
    const char *in_reply_to, char id[65], size_t *len)
{
	coverage_asset ca = { 0 };
	coverage_contract *cc = xcalloc(f->n + 1, sizeof *cc);
	const char ***comps = xcalloc(f->n + 1, sizeof *comps);
	coverage_query q = { date, has_usage, usage, component };
	coverage_result res;
	xmlDocPtr doc;
	xmlNodePtr root;
	char *out;

	if (f->have_asset) {
		ca.known = true;
		ca.purchase_date = f->a.purchase_date;
		ca.mw_months = f->a.mw_months;
		ca.mw_usage_limit = f->a.mw_usage_limit;
	}
	action_coverage_contracts(f->contracts, f->plans, f->n, cc, comps);
	res = coverage_decide(&ca, cc, f->n, &q);
	if (!f->have_asset)
		res.reason = REASON_UNKNOWN_ASSET;

	dp_new_id("CA", id);
	root = xw_new("CoverageAnswer", &doc);
	dp_write_reply_header(root, id, ctx->dealer_id, ctx->today, in_reply_to);
	dp_write_asset_ref(root, "AssetRef", serial, is_vin);
	xw_date(root, "ServiceDate", date);
	if (has_usage)
		xw_int(root, "Usage", usage);
	xw_opt(root, "ComponentCategory", component);
	xw_text(root, "Kind", coverage_kind_name(res.kind));
	xw_text(root, "Reason", coverage_reason_name(res.reason));
	if (res.contract >= 0) {
		const contract *c = &f->contracts[res.contract];
		const plan *p = f->plans[res.contract];
		xw_text(root, "ContractNumber", c->number);
		xw_text(root, "ContractState", contract_state_name(contract_state_on(c, ctx->today)));
		xw_text(root, "Scope", plan_coverage_name(p->coverage));
		xw_date(root, "CoverageEnds", c->terms.end_date);
		if (c->terms.has_usage_limit)
			xw_int(root, "CoverageEndsUsage", c->terms.end_usage);
		xw_money(root, "Deductible", c->deductible, c->price.currency);
		xw_money(root, "RemainingLiability", cc[res.contract].liability_left > 0 ?
		    cc[res.contract].liability_left : 0, c->price.currency);
	}
	out = xw_finish(doc, len);
	action_coverage_contracts_free(comps, f->n);
	free(cc);
	return out;
}

char *
action_coverage_answer(const exchange_ctx *ctx, const char *serial, bool is_vin,
    const asset *given, date_t date, bool has_usage, int64_t usage, const char *component,
    const char *in_reply_to, size_t *len, char *err, size_t errlen)
{
	coverage_facts f;
	char *doc = NULL, id[65];

	if (coverage_facts_load(ctx, serial, given, &f, err, errlen) == 0)
		doc = coverage_answer_doc(ctx, &f, serial, is_vin, date, has_usage, usage, component,
		    in_reply_to, id, len);
	coverage_facts_free(&f);
	return doc;
}

int
action_coverage_inquiry(doc_job *job)
{
	const exchange_ctx *ctx = job->ctx;
	problem_list *pl = &job->problems;
	xmlNodePtr root = job->root, ref = xr_child(root, "AssetRef"), ael = xr_child(root, "Asset");
	coverage_facts f;
	asset given;
	char serial[65], component[65], err[256], d[DATE_STR_LEN + 1];
	bool is_vin = false, has_usage, have_date, have_component;
	int64_t usage = 0;
	date_t date = 0;
	size_t len;
	int rc = 1;
	char *answer;

	memset(&f, 0, sizeof f);
	if (ael != NULL) {
		dp_read_asset(ael, &given, pl, "Asset");
		snprintf(serial, sizeof serial, "%s", given.serial);
		is_vin = given.is_vin;
	} else {
		dp_read_asset_ref(ref, serial, &is_vin);
	}
	have_date = xr_date(root, "ServiceDate", &date, pl, "ServiceDate");
	has_usage = xr_int(root, "Usage", &usage, pl, "Usage");
	have_component = xr_text(root, "ComponentCategory", component, sizeof component);
	if (coverage_facts_load(ctx, serial, ael ? &given : NULL, &f, err, sizeof err) != 0) {
		rc = action_db_failed(job, "reading the asset", err);
		goto out;
	}
	if (f.have_asset && have_date && date < f.a.purchase_date)
		problems_add(pl, "service-before-purchase", "ServiceDate",
		    "the service date %s is before the purchase", action_date_text(date, d));
	if (f.have_asset && f.a.usage_unit != CD_USAGE_NONE && !has_usage)
		problems_add(pl, "usage-required", "Usage",
		    "the asset's usage is counted in %s: the reading on the service date is needed",
		    usage_unit_name(f.a.usage_unit));
	if (problems_count(pl) > 0)
		goto out;
	answer = coverage_answer_doc(ctx, &f, serial, is_vin, date, has_usage, usage,
	    have_component ? component : NULL, job->document_id, job->reply_id, &len);
	free(job->reply);
	job->reply = answer;
	job->reply_len = len;
	snprintf(job->reply_type, sizeof job->reply_type, "CoverageAnswer");
	job->to_outbox = false;
	rc = 0;
out:
	coverage_facts_free(&f);
	return rc;
}

doc_handler
action_for(const char *type)
{
	static const struct {
		const char *type;
		doc_handler fn;
	} table[] = {
		{ "QuoteRequest", action_quote_request },
		{ "ContractRegistration", action_contract_registration },
		{ "ContractCancellation", action_contract_cancellation },
		{ "ContractTransfer", action_contract_transfer },
		{ "CoverageInquiry", action_coverage_inquiry },
		{ "ServiceClaim", action_service_claim },
		{ "PartsOrder", action_parts_order },
	};

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(type, table[i].type) == 0)
			return table[i].fn;
	return NULL;
}
