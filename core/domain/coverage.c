/* coverage — the coverage decision, a pure function (see coverage.h). */
#include "domain/coverage.h"

#include <string.h>

const char *
coverage_kind_name(coverage_kind k)
{
	switch (k) {
	case COVERAGE_MANUFACTURER_WARRANTY: return "manufacturer-warranty";
	case COVERAGE_SERVICE_CONTRACT: return "service-contract";
	case COVERAGE_POST_WARRANTY: return "post-warranty";
	}
	return "post-warranty";
}

const char *
coverage_reason_name(coverage_reason r)
{
	switch (r) {
	case REASON_MANUFACTURER_WARRANTY: return "manufacturer-warranty";
	case REASON_CONTRACT_COVERS: return "contract-covers";
	case REASON_NO_CONTRACT: return "no-contract";
	case REASON_UNKNOWN_ASSET: return "unknown-asset";
	case REASON_CONTRACT_NOT_STARTED: return "contract-not-started";
	case REASON_WAITING_PERIOD: return "waiting-period";
	case REASON_CONTRACT_EXPIRED: return "contract-expired";
	case REASON_USAGE_LIMIT_EXCEEDED: return "usage-limit-exceeded";
	case REASON_CONTRACT_CANCELLED: return "contract-cancelled";
	case REASON_CONTRACT_EXHAUSTED: return "contract-exhausted";
	case REASON_LIMIT_OF_LIABILITY: return "limit-of-liability";
	case REASON_COMPONENT_NOT_COVERED: return "component-not-covered";
	case REASON_LABOR_NOT_COVERED: return "labor-not-covered";
	case REASON_PARTS_NOT_COVERED: return "parts-not-covered";
	case REASON_MAINTENANCE_ENTITLEMENT: return "maintenance-entitlement";
	case REASON_MAINTENANCE_BEYOND_ENTITLEMENT: return "maintenance-beyond-entitlement";
	case REASON_MAINTENANCE_NOT_INCLUDED: return "maintenance-not-included";
	}
	return "no-contract";
}

/* Inside [purchase, purchase + months) and, when both are known, the
 * reading at most the usage limit. A warranty of 0 months covers nothing. */
bool
coverage_manufacturer_covers(const coverage_asset *ca, const coverage_query *q)
{
	date_t end;

	if (!ca->known || ca->mw_months <= 0 || q->date < ca->purchase_date)
		return false;
	if (date_add_months(ca->purchase_date, ca->mw_months, &end) != 0 || q->date >= end)
		return false;
	if (ca->mw_usage_limit > 0 && q->has_usage && q->usage > ca->mw_usage_limit)
		return false;
	return true;
}

/* The checks in order: a cancelled contract covers nothing from its
 * cancellation on; one that has not started (by date, or for warranty-end
 * plans by the reading passing the manufacturer's limit) nothing before;
 * then the end date, the usage allowance, the waiting period, liability
 * left, and the component. */
coverage_reason
coverage_check_contract(const coverage_contract *c, const coverage_query *q)
{
	bool started;

	if (c->state == CONTRACT_CANCELLED && q->date >= c->cancelled_on)
		return REASON_CONTRACT_CANCELLED;
	started = q->date >= c->start_date;
	if (!started && c->starts_at_usage > 0 && q->has_usage && q->usage > c->starts_at_usage &&
	    q->date >= c->sale_date)
		started = true;
	if (!started)
		return REASON_CONTRACT_NOT_STARTED;
	if (q->date >= c->end_date)
		return REASON_CONTRACT_EXPIRED;
	if (c->has_usage_limit && q->has_usage && q->usage > c->end_usage)
		return REASON_USAGE_LIMIT_EXCEEDED;
	if (q->date < c->waiting_ends)
		return REASON_WAITING_PERIOD;
	if (c->state == CONTRACT_EXHAUSTED)
		return REASON_CONTRACT_EXHAUSTED;
	if (c->liability_left <= 0)
		return REASON_LIMIT_OF_LIABILITY;
	if (q->component != NULL && c->ncomponents > 0) {
		size_t i;
		for (i = 0; i < c->ncomponents; i++)
			if (strcmp(c->components[i], q->component) == 0)
				break;
		if (i == c->ncomponents)
			return REASON_COMPONENT_NOT_COVERED;
	}
	return REASON_CONTRACT_COVERS;
}

/* How telling a failure is, when no contract covers: a reason that says
 * the contract is in force for the date but not for this repair beats one
 * that says it is not in force at all. Higher wins. */
static int
specificity(coverage_reason r)
{
	switch (r) {
	case REASON_COMPONENT_NOT_COVERED: return 9;
	case REASON_LIMIT_OF_LIABILITY: return 8;
	case REASON_CONTRACT_EXHAUSTED: return 7;
	case REASON_WAITING_PERIOD: return 6;
	case REASON_USAGE_LIMIT_EXCEEDED: return 5;
	case REASON_CONTRACT_CANCELLED: return 4;
	case REASON_CONTRACT_NOT_STARTED: return 3;
	case REASON_CONTRACT_EXPIRED: return 2;
	default: return 0;
	}
}

coverage_result
coverage_decide(const coverage_asset *ca, const coverage_contract *contracts, size_t n,
    const coverage_query *q)
{
	coverage_result res = { COVERAGE_POST_WARRANTY, REASON_NO_CONTRACT, -1 };
	int best = -1;

	if (coverage_manufacturer_covers(ca, q)) {
		res.kind = COVERAGE_MANUFACTURER_WARRANTY;
		res.reason = REASON_MANUFACTURER_WARRANTY;
		return res;
	}
	for (size_t i = 0; i < n; i++) {
		coverage_reason r = coverage_check_contract(&contracts[i], q);
		if (r == REASON_CONTRACT_COVERS) {
			res.kind = COVERAGE_SERVICE_CONTRACT;
			res.reason = r;
			res.contract = (int)i;
			return res;
		}
		if (specificity(r) > best) {
			best = specificity(r);
			res.reason = r;
			res.contract = (int)i;
		}
	}
	if (n == 0 && !ca->known)
		res.reason = REASON_UNKNOWN_ASSET;
	return res;
}
