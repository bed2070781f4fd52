/* contract — terms, storage and history of contracts (see contract.h). */
#include "domain/contract.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = { "active", "expired", "cancelled", "exhausted" };

const char *
contract_state_name(contract_state s)
{
	if ((unsigned)s < 4)
		return state_names[s];
	return "active";
}

int
contract_state_parse(const char *s, contract_state *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*out = (contract_state)i;
			return 0;
		}
	}
	return -1;
}

contract_state
contract_state_on(const contract *c, date_t day)
{
	if (c->state == CONTRACT_ACTIVE && day >= c->terms.end_date)
		return CONTRACT_EXPIRED;
	return c->state;
}

int
contract_terms_compute(const plan *p, const asset *a, date_t sale_date, contract_terms *out)
{
	memset(out, 0, sizeof *out);
	out->start_date = a->purchase_date;
	out->start_usage = a->usage_at_sale;
	if (p->term_start == PLAN_START_AT_WARRANTY_END) {
		if (date_add_months(a->purchase_date, a->mw_months, &out->start_date) != 0)
			return -1;
		out->starts_at_usage = a->mw_usage_limit;
		if (a->mw_usage_limit > out->start_usage)
			out->start_usage = a->mw_usage_limit;
	}
	if (date_add_months(out->start_date, p->term_months, &out->end_date) != 0)
		return -1;
	out->waiting_ends = sale_date;
	if (p->waiting_days > 0) {
		out->has_waiting = true;
		out->waiting_ends = sale_date + p->waiting_days;
	}
	if (p->usage_limit > 0) {
		out->has_usage_limit = true;
		if (out->start_usage > INT64_MAX - p->usage_limit)
			return -1;
		out->end_usage = out->start_usage + p->usage_limit;
	}
	out->liability_limit = p->liability_limit >= 0 ? p->liability_limit : a->purchase_price;
	return 0;
}

/* NULL for an empty string: optional columns store NULL, not "". */
static const char *
opt(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

static const char *
col(const db_rows *r, unsigned i)
{
	const char *s = db_rows_str(r, i);

	return s ? s : "";
}

/* The address lines joined by newlines into out. */
static void
join_lines(const customer *who, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < who->nlines && used < outlen; i++) {
		int w = snprintf(out + used, outlen - used, "%s%s", i ? "\n" : "", who->lines[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static void
split_lines(customer *who, const char *joined)
{
	const char *s = joined;

	who->nlines = 0;
	while (*s && who->nlines < CUSTOMER_LINES_MAX) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		snprintf(who->lines[who->nlines++], sizeof who->lines[0], "%.*s", (int)n, s);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
}

static int
insert_owner(db_conn *db, int64_t contract_id, int seq, date_t date, const int64_t *usage,
    const customer *who, const char *document_id, char *err, size_t errlen)
{
	char lines[CUSTOMER_LINES_MAX * 514];

	join_lines(who, lines, sizeof lines);
	if (db_exec(db, "INSERT INTO contract_owners (contract_id, seq, effective_date, "
			"usage_reading, name, email, phone, tax_id, address_lines, postal_code, city, "
			"region, country, document_id, created_at) VALUES "
			"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))",
		"idDIssssssssss", contract_id, seq, date, usage, who->name, opt(who->email),
		opt(who->phone), opt(who->tax_id), lines, opt(who->postal_code), who->city,
		opt(who->region), who->country, document_id) < 0) {
		snprintf(err, errlen, "storing the owner: %s", db_error(db));
		return -1;
	}
	return 0;
}

static int
insert_event(db_conn *db, int64_t contract_id, const char *kind, date_t date,
    const char *document_id, const char *detail, char *err, size_t errlen)
{
	if (db_exec(db, "INSERT INTO contract_events (contract_id, kind, event_date, document_id, "
			"detail, created_at) VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP(6))",
		"isDss", contract_id, kind, date, document_id, detail) < 0) {
		snprintf(err, errlen, "storing the %s event: %s", kind, db_error(db));
		return -1;
	}
	return 0;
}

int
contract_insert(db_conn *db, contract *c, char *err, size_t errlen)
{
	const contract_terms *t = &c->terms;
	const priced *p = &c->price;
	char rate_text[32], detail[200];
	int64_t end_usage = t->end_usage;

	rate_format(p->tax_rate, rate_text, sizeof rate_text);
	if (db_exec(db, "INSERT INTO contracts (dealer_id, asset_id, document_id, plan_code, "
			"plan_version, quote_id, state, sale_date, start_date, end_date, waiting_ends, "
			"usage_unit, start_usage, end_usage, starts_at_usage, currency, liability_limit, "
			"deductible, net_price, tax_category, tax_rate, tax, total, dealer_cost, "
			"admin_fee, claims_reserve, dealer_margin, plugin_name, plugin_version, "
			"input_hash, explanation, dealer_reference, installments, created_at) VALUES "
			"(?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			"?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))",
		"sissdsDDDDsiIisiiissiiiiiisssssd", c->dealer_id, c->asset_id, c->document_id,
		c->plan_code, c->plan_version, opt(c->quote_id), c->sale_date, t->start_date,
		t->end_date, t->waiting_ends,
		usage_unit_name(c->asset.usage_unit), t->start_usage,
		t->has_usage_limit ? &end_usage : NULL, t->starts_at_usage, p->currency,
		t->liability_limit, c->deductible, p->net, tax_category_code(p->tax_category),
		rate_text, p->tax, p->total, p->dealer_cost, p->admin_fee, p->claims_reserve,
		p->dealer_margin, p->plugin, p->plugin_version, p->input_hash, p->explanation,
		opt(c->dealer_reference), c->installments > 1 ? c->installments : 1) < 0) {
		snprintf(err, errlen, "storing the contract: %s", db_error(db));
		return -1;
	}
	c->id = (int64_t)db_last_insert_id(db);
	snprintf(c->number, sizeof c->number, "SC-%08lld", (long long)c->id);
	if (db_exec(db, "UPDATE contracts SET number = ? WHERE id = ?", "si", c->number, c->id) < 0) {
		snprintf(err, errlen, "numbering the contract: %s", db_error(db));
		return -1;
	}
	c->owner_seq = 1;
	c->state = CONTRACT_ACTIVE;
	snprintf(detail, sizeof detail, "plan %s version %d, quote %s", c->plan_code,
	    c->plan_version, c->quote_id[0] ? c->quote_id : "none");
	if (insert_owner(db, c->id, 1, c->sale_date, NULL, &c->owner, c->document_id, err,
		errlen) != 0 ||
	    insert_event(db, c->id, "registered", c->sale_date, c->document_id, detail, err,
		errlen) != 0)
		return -1;
	return 0;
}

#define CONTRACT_COLUMNS \
	"c.id, c.number, c.dealer_id, c.document_id, c.asset_id, c.plan_code, c.plan_version, " \
	"c.quote_id, c.state, c.sale_date, c.start_date, c.end_date, c.waiting_ends, " \
	"c.start_usage, c.end_usage, c.starts_at_usage, c.currency, c.liability_limit, " \
	"c.deductible, c.claims_paid, c.claims_count, c.net_price, c.tax_category, c.tax_rate, " \
	"c.tax, c.total, c.dealer_cost, c.admin_fee, c.claims_reserve, c.dealer_margin, " \
	"c.plugin_name, c.plugin_version, c.input_hash, c.explanation, c.dealer_reference, " \
	"c.cancelled_on, a.serial, a.is_vin, a.model, a.product_category, a.purchase_date, " \
	"a.currency, a.purchase_price, a.usage_unit, a.usage_at_sale, a.mw_months, " \
	"a.mw_usage_limit, a.commercial_use, c.installments"

/* Fills c from a row of CONTRACT_COLUMNS (not the owner). */
static void
contract_from_row(const db_rows *r, contract *c)
{
	contract_terms *t = &c->terms;
	priced *p = &c->price;
	asset *a = &c->asset;

	memset(c, 0, sizeof *c);
	c->id = db_rows_int(r, 0);
	snprintf(c->number, sizeof c->number, "%s", col(r, 1));
	snprintf(c->dealer_id, sizeof c->dealer_id, "%s", col(r, 2));
	snprintf(c->document_id, sizeof c->document_id, "%s", col(r, 3));
	c->asset_id = db_rows_int(r, 4);
	snprintf(c->plan_code, sizeof c->plan_code, "%s", col(r, 5));
	c->plan_version = (int)db_rows_int(r, 6);
	snprintf(c->quote_id, sizeof c->quote_id, "%s", col(r, 7));
	contract_state_parse(col(r, 8), &c->state);
	db_rows_date(r, 9, &c->sale_date);
	db_rows_date(r, 10, &t->start_date);
	db_rows_date(r, 11, &t->end_date);
	db_rows_date(r, 12, &t->waiting_ends);
	t->has_waiting = t->waiting_ends > c->sale_date;
	if (!t->has_waiting)
		t->waiting_ends = c->sale_date;
	t->start_usage = db_rows_int(r, 13);
	t->has_usage_limit = !db_rows_isnull(r, 14);
	t->end_usage = db_rows_int(r, 14);
	t->starts_at_usage = db_rows_int(r, 15);
	snprintf(p->currency, sizeof p->currency, "%s", col(r, 16));
	t->liability_limit = db_rows_int(r, 17);
	c->deductible = db_rows_int(r, 18);
	c->claims_paid = db_rows_int(r, 19);
	c->claims_count = (int)db_rows_int(r, 20);
	p->net = db_rows_int(r, 21);
	tax_category_parse(col(r, 22), &p->tax_category);
	rate_parse(col(r, 23), &p->tax_rate);
	p->tax = db_rows_int(r, 24);
	p->total = db_rows_int(r, 25);
	p->dealer_cost = db_rows_int(r, 26);
	p->admin_fee = db_rows_int(r, 27);
	p->claims_reserve = db_rows_int(r, 28);
	p->dealer_margin = db_rows_int(r, 29);
	snprintf(p->plugin, sizeof p->plugin, "%s", col(r, 30));
	snprintf(p->plugin_version, sizeof p->plugin_version, "%s", col(r, 31));
	snprintf(p->input_hash, sizeof p->input_hash, "%s", col(r, 32));
	snprintf(p->explanation, sizeof p->explanation, "%s", col(r, 33));
	snprintf(c->dealer_reference, sizeof c->dealer_reference, "%s", col(r, 34));
	c->cancelled = db_rows_date(r, 35, &c->cancelled_on) == 0;
	snprintf(a->serial, sizeof a->serial, "%s", col(r, 36));
	a->is_vin = db_rows_int(r, 37) != 0;
	snprintf(a->model, sizeof a->model, "%s", col(r, 38));
	snprintf(a->product_category, sizeof a->product_category, "%s", col(r, 39));
	db_rows_date(r, 40, &a->purchase_date);
	snprintf(a->currency, sizeof a->currency, "%s", col(r, 41));
	a->purchase_price = db_rows_int(r, 42);
	usage_unit_parse(col(r, 43), &a->usage_unit);
	a->usage_at_sale = db_rows_int(r, 44);
	a->mw_months = (int)db_rows_int(r, 45);
	a->mw_usage_limit = db_rows_int(r, 46);
	a->commercial_use = db_rows_int(r, 47) != 0;
	c->installments = (int)db_rows_int(r, 48);
}

static void
owner_from_row(const db_rows *r, unsigned first, customer *who)
{
	memset(who, 0, sizeof *who);
	snprintf(who->name, sizeof who->name, "%s", col(r, first));
	snprintf(who->email, sizeof who->email, "%s", col(r, first + 1));
	snprintf(who->phone, sizeof who->phone, "%s", col(r, first + 2));
	snprintf(who->tax_id, sizeof who->tax_id, "%s", col(r, first + 3));
	split_lines(who, col(r, first + 4));
	snprintf(who->postal_code, sizeof who->postal_code, "%s", col(r, first + 5));
	snprintf(who->city, sizeof who->city, "%s", col(r, first + 6));
	snprintf(who->region, sizeof who->region, "%s", col(r, first + 7));
	snprintf(who->country, sizeof who->country, "%s", col(r, first + 8));
}

#define OWNER_COLUMNS "seq, effective_date, usage_reading, name, email, phone, tax_id, " \
	"address_lines, postal_code, city, region, country"

/* Loads c's current owner. */
static int
load_current_owner(db_conn *db, contract *c, char *err, size_t errlen)
{
	db_rows *r = db_query(db, "SELECT " OWNER_COLUMNS " FROM contract_owners "
				  "WHERE contract_id = ? ORDER BY seq DESC LIMIT 1", "i", c->id);

	if (r == NULL) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	if (db_rows_next(r) == 1) {
		c->owner_seq = (int)db_rows_int(r, 0);
		owner_from_row(r, 3, &c->owner);
	}
	db_rows_free(r);
	return 0;
}

int
contract_find(db_conn *db, const char *dealer_id, const char *number, bool for_update,
    contract *out, char *err, size_t errlen)
{
	db_rows *r;
	int rc = 0;

	if (for_update)
		r = db_query(db, "SELECT " CONTRACT_COLUMNS " FROM contracts c JOIN assets a "
				 "ON a.id = c.asset_id WHERE c.number = ? AND (? IS NULL OR c.dealer_id = ?) "
				 "FOR UPDATE", "sss", number, dealer_id, dealer_id);
	else
		r = db_query(db, "SELECT " CONTRACT_COLUMNS " FROM contracts c JOIN assets a "
				 "ON a.id = c.asset_id WHERE c.number = ? AND (? IS NULL OR c.dealer_id = ?)",
		    "sss", number, dealer_id, dealer_id);
	if (r == NULL) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	if (db_rows_next(r) == 1) {
		contract_from_row(r, out);
		rc = load_current_owner(db, out, err, errlen) == 0 ? 1 : -1;
	}
	db_rows_free(r);
	return rc;
}

int
contract_list_for_asset(db_conn *db, int64_t asset_id, bool for_update, contract **out,
    size_t *n, char *err, size_t errlen)
{
	db_rows *r;
	contract *list = NULL;
	size_t count = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	/* The asset's row is the lock that serialises its registrations. */
	if (for_update) {
		db_rows *lock = db_query(db, "SELECT id FROM assets WHERE id = ? FOR UPDATE", "i",
		    asset_id);
		if (lock == NULL) {
			snprintf(err, errlen, "%s", db_error(db));
			return -1;
		}
		db_rows_free(lock);
	}
	if (for_update)
		r = db_query(db, "SELECT " CONTRACT_COLUMNS " FROM contracts c JOIN assets a "
				 "ON a.id = c.asset_id WHERE c.asset_id = ? ORDER BY c.id FOR UPDATE",
		    "i", asset_id);
	else
		r = db_query(db, "SELECT " CONTRACT_COLUMNS " FROM contracts c JOIN assets a "
				 "ON a.id = c.asset_id WHERE c.asset_id = ? ORDER BY c.id", "i", asset_id);
	if (r == NULL) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	list = xcalloc(db_rows_count(r) + 1, sizeof *list);
	while (db_rows_next(r) == 1) {
		contract_from_row(r, &list[count]);
		if (load_current_owner(db, &list[count], err, errlen) != 0)
			goto out;
		count++;
	}
	*out = list;
	*n = count;
	list = NULL;
	rc = 0;
out:
	free(list);
	db_rows_free(r);
	return rc;
}

int
contract_cancel(db_conn *db, contract *c, const cancellation *x, char *err, size_t errlen)
{
	const refund_result *f = &x->refund;
	const priced *p = &c->price;
	char rate_text[32], detail[300];
	int64_t usage = x->usage, allowance = f->usage_allowance, unused = f->unused_usage;

	rate_format(p->tax_rate, rate_text, sizeof rate_text);
	if (db_exec(db, "UPDATE contracts SET state = 'cancelled', cancelled_on = ? WHERE id = ?",
		"Di", x->date, c->id) < 0)
		goto db_error;
	if (db_exec(db, "INSERT INTO cancellations (contract_id, document_id, cancellation_date, "
			"usage_reading, reason, comment, basis, term_days, unused_days, usage_allowance, "
			"unused_usage, share_num, share_den, currency, original_net, original_tax, "
			"original_total, tax_category, tax_rate, original_dealer_margin, unused_amount, "
			"cancellation_fee, claims_deducted, refund_amount, commission_chargeback, "
			"created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
			"?, ?, ?, ?, UTC_TIMESTAMP(6))",
		"isDIsssddIIiisiiissiiiiii", c->id, x->document_id, x->date,
		x->has_usage ? &usage : NULL, x->reason, opt(x->comment), refund_basis_name(f->basis),
		f->term_days, f->unused_days, f->usage_used ? &allowance : NULL,
		f->usage_used ? &unused : NULL, f->share_num, f->share_den, p->currency, p->net, p->tax,
		p->total, tax_category_code(p->tax_category), rate_text, p->dealer_margin,
		f->unused_amount, f->fee, f->claims_deducted, f->refund, f->chargeback) < 0)
		goto db_error;
	snprintf(detail, sizeof detail, "reason %s, refund %lld, chargeback %lld (minor units %s)",
	    x->reason, (long long)f->refund, (long long)f->chargeback, p->currency);
	if (insert_event(db, c->id, "cancelled", x->date, x->document_id, detail, err, errlen) != 0)
		return -1;
	c->state = CONTRACT_CANCELLED;
	c->cancelled = true;
	c->cancelled_on = x->date;
	return 0;
db_error:
	snprintf(err, errlen, "cancelling %s: %s", c->number, db_error(db));
	return -1;
}

int
contract_cancellation(db_conn *db, int64_t contract_id, cancellation *out, char *err,
    size_t errlen)
{
	db_rows *r = db_query(db, "SELECT document_id, cancellation_date, usage_reading, reason, "
				  "comment, basis, term_days, unused_days, usage_allowance, unused_usage, "
				  "share_num, share_den, original_net, unused_amount, cancellation_fee, "
				  "claims_deducted, refund_amount, commission_chargeback, credit_note_number "
				  "FROM cancellations WHERE contract_id = ?", "i", contract_id);
	refund_result *f = &out->refund;
	int rc = 0;

	if (r == NULL) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	if (db_rows_next(r) == 1) {
		memset(out, 0, sizeof *out);
		snprintf(out->document_id, sizeof out->document_id, "%s", col(r, 0));
		db_rows_date(r, 1, &out->date);
		out->has_usage = !db_rows_isnull(r, 2);
		out->usage = db_rows_int(r, 2);
		snprintf(out->reason, sizeof out->reason, "%s", col(r, 3));
		snprintf(out->comment, sizeof out->comment, "%s", col(r, 4));
		f->basis = strcmp(col(r, 5), "free-look") == 0 ? REFUND_FREE_LOOK :
		    strcmp(col(r, 5), "usage") == 0 ? REFUND_USAGE : REFUND_DAYS;
		f->term_days = (int)db_rows_int(r, 6);
		f->unused_days = (int)db_rows_int(r, 7);
		f->share_days_num = f->unused_days;
		f->share_days_den = f->term_days;
		f->usage_used = !db_rows_isnull(r, 8);
		f->usage_allowance = db_rows_int(r, 8);
		f->unused_usage = db_rows_int(r, 9);
		f->share_usage_num = f->unused_usage;
		f->share_usage_den = f->usage_allowance;
		f->share_num = db_rows_int(r, 10);
		f->share_den = db_rows_int(r, 11);
		f->price_paid = db_rows_int(r, 12);
		f->unused_amount = db_rows_int(r, 13);
		f->fee = db_rows_int(r, 14);
		f->claims_deducted = db_rows_int(r, 15);
		f->refund = db_rows_int(r, 16);
		f->chargeback = db_rows_int(r, 17);
		snprintf(out->credit_note_number, sizeof out->credit_note_number, "%s", col(r, 18));
		rc = 1;
	}
	db_rows_free(r);
	return rc;
}

int
contract_transfer(db_conn *db, contract *c, const customer *owner, date_t date, bool has_usage,
    int64_t usage, const char *document_id, int *transfer_number, char *err, size_t errlen)
{
	char detail[1700];
	int seq = c->owner_seq + 1;

	if (insert_owner(db, c->id, seq, date, has_usage ? &usage : NULL, owner, document_id, err,
		errlen) != 0)
		return -1;
	snprintf(detail, sizeof detail, "transfer %d: from %s to %s", seq - 1, c->owner.name,
	    owner->name);
	if (insert_event(db, c->id, "transferred", date, document_id, detail, err, errlen) != 0)
		return -1;
	*transfer_number = seq - 1;
	c->owner = *owner;
	c->owner_seq = seq;
	return 0;
}

int
contract_owners(db_conn *db, int64_t contract_id, contract_owner **out, size_t *n, char *err,
    size_t errlen)
{
	db_rows *r = db_query(db, "SELECT " OWNER_COLUMNS " FROM contract_owners "
				  "WHERE contract_id = ? ORDER BY seq", "i", contract_id);
	contract_owner *list;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (r == NULL) {
		snprintf(err, errlen, "%s", db_error(db));
		return -1;
	}
	list = xcalloc(db_rows_count(r) + 1, sizeof *list);
	while (db_rows_next(r) == 1) {
		contract_owner *o = &list[count++];
		o->seq = (int)db_rows_int(r, 0);
		db_rows_date(r, 1, &o->effective_date);
		o->has_usage = !db_rows_isnull(r, 2);
		o->usage = db_rows_int(r, 2);
		owner_from_row(r, 3, &o->who);
	}
	db_rows_free(r);
	*out = list;
	*n = count;
	return 0;
}
