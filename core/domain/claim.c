/* claim — deciding a repair claim line by line (see claim.h). */
#include "domain/claim.h"

#include <string.h>

const char *
claim_state_name(claim_state s)
{
	switch (s) {
	case CLAIM_SUBMITTED: return "submitted";
	case CLAIM_APPROVED: return "approved";
	case CLAIM_PARTIALLY_APPROVED: return "partially-approved";
	case CLAIM_REJECTED: return "rejected";
	case CLAIM_PAID: return "paid";
	}
	return "submitted";
}

int
claim_state_parse(const char *s, claim_state *out)
{
	for (int i = CLAIM_SUBMITTED; i <= CLAIM_PAID; i++)
		if (strcmp(s, claim_state_name((claim_state)i)) == 0) {
			*out = (claim_state)i;
			return 0;
		}
	return -1;
}

static const char *const kind_names[] = { "labor", "part", "core-deposit", "fee", "travel",
	"discount" };

const char *
line_kind_name(cd_line_kind k)
{
	return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "fee";
}

cd_line_kind
line_kind_parse(const char *s)
{
	for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return (cd_line_kind)i;
	return CD_LINE_FEE;
}

const char *
maintenance_due_name(maintenance_due d)
{
	switch (d) {
	case MAINTENANCE_OK: return "scheduled";
	case MAINTENANCE_DUE: return "due";
	case MAINTENANCE_OVERDUE: return "overdue";
	}
	return "scheduled";
}

/* ------------------------------------------------------------------------
 * Maintenance windows
 * ------------------------------------------------------------------------ */

int
maintenance_window(const plan_entitlement *e, date_t start, int64_t start_usage, date_t date,
    bool has_usage, int64_t usage, int64_t *from, int64_t *to)
{
	if (e->period_months > 0) {
		date_t a, b;
		int k;
		if (date < start)
			return -1;
		k = date_months_between(start, date) / e->period_months;
		if (date_add_months(start, k * e->period_months, &a) != 0 ||
		    date_add_months(start, (k + 1) * e->period_months, &b) != 0)
			return -1;
		*from = a;
		*to = b;
		return 0;
	}
	if (e->usage_interval > 0) {
		int64_t k;
		if (!has_usage || usage < start_usage)
			return -1;
		k = (usage - start_usage) / e->usage_interval;
		*from = start_usage + k * e->usage_interval;
		*to = *from + e->usage_interval;
		return 0;
	}
	return -1;
}

int
maintenance_used(const plan_entitlement *e, int entitlement, date_t start, int64_t start_usage,
    const maintenance_service *services, size_t n, date_t date, bool has_usage, int64_t usage)
{
	int64_t from, to;
	int used = 0;

	if (maintenance_window(e, start, start_usage, date, has_usage, usage, &from, &to) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const maintenance_service *s = &services[i];
		int64_t at;
		if (s->entitlement != entitlement)
			continue;
		if (e->period_months > 0)
			at = s->date;
		else if (s->has_usage)
			at = s->usage;
		else
			continue;
		if (at >= from && at < to)
			used++;
	}
	return used;
}

maintenance_status
maintenance_status_of(const plan_entitlement *e, int ei, date_t start, int64_t start_usage,
    const maintenance_service *services, size_t n, date_t date, bool has_usage, int64_t usage)
{
	maintenance_status st;
	const maintenance_service *last = NULL;
	int count = e->count > 0 ? e->count : 1;
	int64_t from, to;

	memset(&st, 0, sizeof st);
	for (size_t i = 0; i < n; i++)
		if (services[i].entitlement == ei && (last == NULL || services[i].date >= last->date))
			last = &services[i];
	if (last != NULL) {
		st.last_known = true;
		st.last_date = last->date;
	}
	st.by_usage = e->period_months == 0;
	if (!st.by_usage) {
		/* Spacing in days: the period over the count, at least a day. */
		date_t period_end;
		int64_t spacing;
		if (date_add_months(start, e->period_months, &period_end) != 0)
			period_end = start + 365;
		spacing = (period_end - start) / count;
		if (spacing < 1)
			spacing = 1;
		st.due_date = (last ? last->date : start) + (date_t)spacing;
		if (date > st.due_date)
			st.status = MAINTENANCE_OVERDUE;
		else if (date + 30 >= st.due_date)
			st.status = MAINTENANCE_DUE;
	} else {
		int64_t spacing = e->usage_interval / count;
		int64_t base = last && last->has_usage ? last->usage : start_usage;
		if (spacing < 1)
			spacing = 1;
		st.due_usage = base + spacing;
		if (has_usage && usage > st.due_usage)
			st.status = MAINTENANCE_OVERDUE;
		else if (has_usage && usage + spacing / 10 >= st.due_usage)
			st.status = MAINTENANCE_DUE;
	}
	if (maintenance_window(e, start, start_usage, date, has_usage, usage, &from, &to) == 0) {
		st.used_in_window = maintenance_used(e, ei, start, start_usage, services, n, date,
		    has_usage, usage);
		st.left_in_window = count - st.used_in_window;
		if (st.left_in_window < 0)
			st.left_in_window = 0;
	}
	return st;
}

/* ------------------------------------------------------------------------
 * Step 1: who pays each line
 * ------------------------------------------------------------------------ */

static bool
entitlement_lists(const plan_entitlement *e, const char *op)
{
	for (size_t i = 0; i < e->noperations; i++)
		if (strcmp(e->operations[i], op) == 0)
			return true;
	return false;
}

/* In force for maintenance: started, not ended, not cancelled, within its
 * usage. A waiting period or a used-up limit does not stop prepaid
 * maintenance. */
static coverage_reason
in_force(const coverage_contract *c, const coverage_query *q)
{
	coverage_reason r = coverage_check_contract(c, q);

	switch (r) {
	case REASON_WAITING_PERIOD:
	case REASON_CONTRACT_EXHAUSTED:
	case REASON_LIMIT_OF_LIABILITY:
	case REASON_COMPONENT_NOT_COVERED:
		return REASON_CONTRACT_COVERS;
	default:
		return r;
	}
}

static int
decide_maintenance(const claim_facts *f, claim_line *lines, size_t n)
{
	coverage_query q = { f->date, f->has_usage, f->usage, NULL };
	coverage_reason why = f->asset->known ? REASON_NO_CONTRACT : REASON_UNKNOWN_ASSET;
	int ci = -1;
	/* Services this claim consumes, on top of those recorded. */
	int taken[64] = { 0 };
	bool any_entitled = false;
	coverage_reason labor_reason = REASON_MAINTENANCE_NOT_INCLUDED;

	for (size_t i = 0; i < f->ncontracts; i++) {
		coverage_reason r = in_force(&f->contracts[i], &q);
		if (r == REASON_CONTRACT_COVERS) {
			ci = (int)i;
			break;
		}
		why = r;
		ci = (int)i;
	}
	if (ci < 0 || in_force(&f->contracts[ci], &q) != REASON_CONTRACT_COVERS) {
		for (size_t i = 0; i < n; i++) {
			lines[i].payer = PAYER_CUSTOMER;
			lines[i].coverage = COVERAGE_POST_WARRANTY;
			lines[i].reason = why;
			lines[i].entitlement = -1;
		}
		return ci;
	}
	const plan *p = f->plans[ci];
	/* This contract's recorded services. */
	maintenance_service own[256];
	size_t nown = 0;
	for (size_t s = 0; s < f->nservices && nown < 256; s++)
		if (f->service_contract[s] == ci)
			own[nown++] = f->services[s];

	for (size_t i = 0; i < n; i++) {
		claim_line *l = &lines[i];
		l->entitlement = -1;
		if (l->kind != CD_LINE_LABOR)
			continue;
		l->payer = PAYER_CUSTOMER;
		l->coverage = COVERAGE_POST_WARRANTY;
		l->reason = REASON_MAINTENANCE_NOT_INCLUDED;
		for (size_t e = 0; e < p->nentitlements && e < 64; e++) {
			const plan_entitlement *ent = &p->entitlements[e];
			int used;
			if (!entitlement_lists(ent, l->code))
				continue;
			used = maintenance_used(ent, (int)e, f->contract_start[ci],
			    f->contract_start_usage[ci], own, nown, f->date, f->has_usage, f->usage);
			if (used + taken[e] < ent->count) {
				taken[e]++;
				l->payer = PAYER_MAINTENANCE;
				l->coverage = COVERAGE_SERVICE_CONTRACT;
				l->reason = REASON_MAINTENANCE_ENTITLEMENT;
				l->entitlement = (int)e;
				any_entitled = true;
				break;
			}
			l->reason = REASON_MAINTENANCE_BEYOND_ENTITLEMENT;
		}
		if (l->payer == PAYER_CUSTOMER)
			labor_reason = l->reason;
	}
	/* Parts go with the service they belong to. */
	for (size_t i = 0; i < n; i++) {
		claim_line *l = &lines[i];
		if (l->kind == CD_LINE_LABOR)
			continue;
		if (any_entitled) {
			l->payer = PAYER_MAINTENANCE;
			l->coverage = COVERAGE_SERVICE_CONTRACT;
			l->reason = REASON_MAINTENANCE_ENTITLEMENT;
		} else {
			l->payer = PAYER_CUSTOMER;
			l->coverage = COVERAGE_POST_WARRANTY;
			l->reason = labor_reason;
		}
	}
	return ci;
}

int
claim_decide_coverage(const claim_facts *f, claim_line *lines, size_t n)
{
	int concerned = -1;
	bool covered_by_contract = false;

	if (f->maintenance)
		return decide_maintenance(f, lines, n);
	for (size_t i = 0; i < n; i++) {
		claim_line *l = &lines[i];
		coverage_query q = { f->date, f->has_usage, f->usage,
			l->component[0] ? l->component : NULL };
		coverage_result res = coverage_decide(f->asset, f->contracts, f->ncontracts, &q);

		l->entitlement = -1;
		l->coverage = res.kind;
		l->reason = res.reason;
		if (res.kind == COVERAGE_SERVICE_CONTRACT) {
			plan_coverage scope = f->plans[res.contract]->coverage;
			if (l->kind == CD_LINE_LABOR && !(scope & PLAN_COVERS_LABOR)) {
				l->coverage = COVERAGE_POST_WARRANTY;
				l->reason = REASON_LABOR_NOT_COVERED;
			} else if (l->kind == CD_LINE_PART && !(scope & PLAN_COVERS_PARTS)) {
				l->coverage = COVERAGE_POST_WARRANTY;
				l->reason = REASON_PARTS_NOT_COVERED;
			}
		}
		switch (l->coverage) {
		case COVERAGE_MANUFACTURER_WARRANTY: l->payer = PAYER_WARRANTY; break;
		case COVERAGE_SERVICE_CONTRACT: l->payer = PAYER_CONTRACT; break;
		default: l->payer = PAYER_CUSTOMER; break;
		}
		if (res.contract >= 0 && (!covered_by_contract || l->payer == PAYER_CONTRACT)) {
			if (l->payer == PAYER_CONTRACT)
				covered_by_contract = true;
			if (concerned < 0 || l->payer == PAYER_CONTRACT)
				concerned = res.contract;
		}
	}
	return concerned;
}

/* ------------------------------------------------------------------------
 * Step 3: amounts
 * ------------------------------------------------------------------------ */

money_status
claim_settle(claim_line *lines, size_t n, int64_t deductible, int64_t liability_left,
    claim_totals *out)
{
	int64_t contract_sum = 0, sum_covered = 0, sum_customer = 0, pays, cut = 0;
	bool any_covered = false, any_customer = false;
	money_status st;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		claim_line *l = &lines[i];
		bool covered = l->payer != PAYER_CUSTOMER;
		l->covered = covered ? l->amount : 0;
		l->customer = covered ? 0 : l->amount;
		if (l->payer == PAYER_CONTRACT &&
		    (st = money_add(contract_sum, l->amount, &contract_sum)) != MONEY_OK)
			return st;
	}
	/* The deductible, once, never more than the contract's lines. */
	out->deductible = contract_sum <= 0 ? 0 : (deductible < contract_sum ? deductible :
	    contract_sum);
	if (out->deductible < 0)
		out->deductible = 0;
	pays = contract_sum - out->deductible;
	if (liability_left < 0)
		liability_left = 0;
	if (pays > liability_left) {
		cut = pays - liability_left;
		pays = liability_left;
		out->exhausted = true;
	}
	out->liability_used = pays > 0 ? pays : 0;
	/* What crosses the limit moves to the customer, last line first. */
	for (size_t i = n; i-- > 0 && cut > 0;) {
		claim_line *l = &lines[i];
		int64_t take;
		if (l->payer != PAYER_CONTRACT || l->covered <= 0)
			continue;
		take = l->covered < cut ? l->covered : cut;
		l->covered -= take;
		l->customer += take;
		cut -= take;
		l->reason = REASON_LIMIT_OF_LIABILITY;
	}
	for (size_t i = 0; i < n; i++) {
		claim_line *l = &lines[i];
		if ((st = money_add(sum_covered, l->covered, &sum_covered)) != MONEY_OK ||
		    (st = money_add(sum_customer, l->customer, &sum_customer)) != MONEY_OK ||
		    (st = money_add(out->amount, l->amount, &out->amount)) != MONEY_OK)
			return st;
		if (l->covered > 0)
			any_covered = true;
		if (l->customer > 0)
			any_customer = true;
	}
	out->covered = sum_covered - out->deductible;
	out->customer_pays = sum_customer + out->deductible;
	out->warrantor_pays = out->covered;
	if (!any_covered || out->covered <= 0)
		out->state = CLAIM_REJECTED;
	else if (any_customer)
		out->state = CLAIM_PARTIALLY_APPROVED;
	else
		out->state = CLAIM_APPROVED;
	return MONEY_OK;
}
