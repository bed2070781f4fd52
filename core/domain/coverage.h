/* coverage — who pays for a repair: the coverage decision of DESIGN.md §1.
 *
 * For an asset, a service date, a usage reading and a component category,
 * exactly one of:
 *   1. manufacturer warranty: the date is inside the manufacturer's months
 *      from purchase and the reading inside its usage limit;
 *   2. service contract: a contract covers the date (after its start and
 *      its waiting period, before its end and any cancellation), the
 *      reading (within its usage allowance), the component, and has
 *      liability left;
 *   3. post-warranty: nothing covers it; the reason says why (the most
 *      telling failure among the asset's contracts, or no-contract).
 *
 * coverage_decide() is a pure function: everything it needs comes in as
 * plain data, nothing is read from a database, and the same question gets
 * the same answer. */
#ifndef CD_DOMAIN_COVERAGE_H
#define CD_DOMAIN_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "domain/contract.h"

typedef enum coverage_kind {
	COVERAGE_MANUFACTURER_WARRANTY = 0,
	COVERAGE_SERVICE_CONTRACT = 1,
	COVERAGE_POST_WARRANTY = 2,
} coverage_kind;

/* The reason codes of the CoverageAnswer (common.xsd ReasonCode). */
typedef enum coverage_reason {
	REASON_MANUFACTURER_WARRANTY = 0,
	REASON_CONTRACT_COVERS,
	REASON_NO_CONTRACT,
	REASON_UNKNOWN_ASSET,
	REASON_CONTRACT_NOT_STARTED,
	REASON_WAITING_PERIOD,
	REASON_CONTRACT_EXPIRED,
	REASON_USAGE_LIMIT_EXCEEDED,
	REASON_CONTRACT_CANCELLED,
	REASON_CONTRACT_EXHAUSTED,
	REASON_LIMIT_OF_LIABILITY,
	REASON_COMPONENT_NOT_COVERED,
	/* Claims only (claim.h): */
	REASON_LABOR_NOT_COVERED,
	REASON_PARTS_NOT_COVERED,
	REASON_MAINTENANCE_ENTITLEMENT,
	REASON_MAINTENANCE_BEYOND_ENTITLEMENT,
	REASON_MAINTENANCE_NOT_INCLUDED,
} coverage_reason;

/* The asset's side: its manufacturer's warranty. */
typedef struct coverage_asset {
	bool known;              /* false: the server knows no such asset */
	date_t purchase_date;
	int mw_months;           /* manufacturer's warranty, months from purchase */
	int64_t mw_usage_limit;  /* its usage limit (absolute reading); 0: none */
} coverage_asset;

/* One contract on the asset, as the decision needs it. */
typedef struct coverage_contract {
	contract_state state;      /* as stored: active, cancelled or exhausted */
	date_t sale_date;
	date_t start_date;         /* covered from this day ... */
	date_t end_date;           /* ... up to, not including, this day */
	date_t waiting_ends;       /* first covered day after the waiting period */
	date_t cancelled_on;       /* cancelled contracts: first day not covered */
	bool has_usage_limit;
	int64_t end_usage;         /* covered up to and including this reading */
	int64_t starts_at_usage;   /* warranty-end plans: also started once the
	                            * reading passes this (0: only by date) */
	int64_t liability_left;    /* limit of liability minus claims paid */
	const char *const *components; /* covered categories; ncomponents 0: all */
	size_t ncomponents;
} coverage_contract;

/* The question. */
typedef struct coverage_query {
	date_t date;
	bool has_usage;
	int64_t usage;
	const char *component;   /* NULL: any */
} coverage_query;

typedef struct coverage_result {
	coverage_kind kind;
	coverage_reason reason;
	/* The contract concerned: the one that covers, or the one whose
	 * failure gave the reason; -1 for none. */
	int contract;
} coverage_result;

/* Decides; see above. contracts may be NULL when n is 0. */
coverage_result coverage_decide(const coverage_asset *ca, const coverage_contract *contracts,
    size_t n, const coverage_query *q);

/* Checks one contract alone: REASON_CONTRACT_COVERS or why not. */
coverage_reason coverage_check_contract(const coverage_contract *c, const coverage_query *q);

/* True when the manufacturer's warranty covers the query. */
bool coverage_manufacturer_covers(const coverage_asset *ca, const coverage_query *q);

/* "manufacturer-warranty", "service-contract", "post-warranty". */
const char *coverage_kind_name(coverage_kind k);
/* "contract-covers", "waiting-period", ... (common.xsd ReasonCode). */
const char *coverage_reason_name(coverage_reason r);

#endif
