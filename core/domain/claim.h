/* claim — deciding a repair claim line by line: pure functions.
 *
 * A claim is decided in three steps; the first and the last are here, the
 * middle one (pricing through the billing and parts plugins) is the
 * caller's:
 *
 *   1. claim_decide_coverage: who pays each claim line.
 *      A repair line gets the coverage decision (coverage.h) for the
 *      claim's date and reading and the line's component category; a
 *      contract that covers only parts (only labor) leaves labor (parts)
 *      lines to the customer (labor-not-covered, parts-not-covered).
 *      A maintenance order consumes the covering contract's entitlements
 *      (plan.h): a labor line whose operation an entitlement lists is
 *      covered while the entitlement's window — its period of months, or
 *      its usage interval, counted from the contract's start — has a
 *      service left (maintenance-entitlement); otherwise the customer pays
 *      (maintenance-beyond-entitlement, maintenance-not-included). Parts
 *      of a maintenance order are covered when one of its operations was.
 *   2. (caller) pricing: every line gets its amount; the plugins may add
 *      lines (fees, travel, core deposits, discounts) to a payer group.
 *   3. claim_settle: covered and customer amounts, the deductible and the
 *      limit of liability, once per claim:
 *        - manufacturer-warranty lines: the warrantor pays them whole;
 *        - service-contract repair lines: the contract pays them less the
 *          plan's deductible (once per claim, never more than those lines
 *          come to), up to the liability the contract has left — what
 *          crosses the limit goes to the customer (limit-of-liability, cut
 *          from the last covered line backwards) and the contract is
 *          exhausted;
 *        - maintenance entitlements: paid by the contract, without
 *          deductible and without using liability (they were prepaid);
 *        - everything else: the customer.
 *      Totals (ClaimDecision.xsd): Covered = sum(covered) - deductible,
 *      CustomerPays = sum(customer) + deductible, Amount = Covered +
 *      CustomerPays.
 *
 * Amounts are minor units of the claim's currency. */
#ifndef CD_DOMAIN_CLAIM_H
#define CD_DOMAIN_CLAIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "base/money.h"
#include "contractd/plugin.h"
#include "domain/coverage.h"
#include "domain/plan.h"

#define CLAIM_LINES_MAX 1000

typedef enum claim_state {
	CLAIM_SUBMITTED = 0,
	CLAIM_APPROVED,
	CLAIM_PARTIALLY_APPROVED,
	CLAIM_REJECTED,
	CLAIM_PAID,
} claim_state;

const char *claim_state_name(claim_state s);
int claim_state_parse(const char *s, claim_state *out);

/* "labor", "part", "core-deposit", "fee", "travel", "discount" (common.xsd
 * LineKind) and back; an unknown name parses as a fee. */
const char *line_kind_name(cd_line_kind k);
cd_line_kind line_kind_parse(const char *s);

/* Who pays a line, before amounts: the payer groups pricing works in. */
typedef enum claim_payer {
	PAYER_WARRANTY = 0,    /* manufacturer's warranty */
	PAYER_CONTRACT,        /* a service contract's repair coverage */
	PAYER_MAINTENANCE,     /* a service contract's maintenance entitlement */
	PAYER_CUSTOMER,
} claim_payer;
#define CLAIM_PAYERS 4

typedef struct claim_line {
	int line_number;               /* the claim's LineNumber; 0 for added lines */
	cd_line_kind kind;
	char code[49];
	char description[400];
	char component[65];
	char skill_level[33];
	rate quantity;                 /* hours or pieces */
	int64_t unit_price;
	int64_t amount;                /* priced, net */
	cd_tax_category tax_category;
	/* Step 1: */
	claim_payer payer;
	coverage_kind coverage;
	coverage_reason reason;
	int entitlement;               /* maintenance: the plan's entitlement index, else -1 */
	/* Step 3: */
	int64_t covered;
	int64_t customer;
} claim_line;

/* A maintenance service already recorded for the contract. */
typedef struct maintenance_service {
	int entitlement;
	date_t date;
	bool has_usage;
	int64_t usage;
} maintenance_service;

/* What step 1 needs to know beyond coverage.h's facts. */
typedef struct claim_facts {
	const coverage_asset *asset;
	const coverage_contract *contracts;
	const plan *const *plans;      /* one per contract */
	size_t ncontracts;
	date_t date;
	bool has_usage;
	int64_t usage;
	bool maintenance;              /* a maintenance service order */
	/* The maintenance already done under each contract (all contracts'
	 * services, told apart by contract index). */
	const maintenance_service *services;
	const int *service_contract;   /* contract index of each service */
	size_t nservices;
	/* Each contract's start date and reading, for entitlement windows. */
	const date_t *contract_start;
	const int64_t *contract_start_usage;
} claim_facts;

/* Step 1: sets payer, coverage, reason and entitlement of every line.
 * Returns the index of the contract concerned (the one covering any line,
 * else the one whose failure gave the reason), or -1. */
int claim_decide_coverage(const claim_facts *f, claim_line *lines, size_t n);

typedef struct claim_totals {
	int64_t amount;
	int64_t deductible;            /* applied */
	int64_t covered;               /* sum(covered) - deductible */
	int64_t customer_pays;         /* sum(customer) + deductible */
	int64_t warrantor_pays;        /* = covered */
	int64_t liability_used;        /* of the contract's limit */
	bool exhausted;                /* the limit is used up by this claim */
	claim_state state;
} claim_totals;

/* Step 3, see above. deductible: the contract's per claim; liability_left:
 * what its limit has left. Returns MONEY_OK or MONEY_EOVERFLOW. */
money_status claim_settle(claim_line *lines, size_t n, int64_t deductible,
    int64_t liability_left, claim_totals *out);

/* The window of entitlement e of a contract that date (or usage) falls in:
 * [*from, *to) in days for period entitlements, in usage for interval ones.
 * Returns 0, or -1 when it cannot be placed (before the start, no usage
 * for an interval entitlement). */
int maintenance_window(const plan_entitlement *e, date_t start, int64_t start_usage,
    date_t date, bool has_usage, int64_t usage, int64_t *from, int64_t *to);

/* Services of entitlement e in the window containing (date, usage). */
int maintenance_used(const plan_entitlement *e, int entitlement, date_t start,
    int64_t start_usage, const maintenance_service *services, size_t n, date_t date,
    bool has_usage, int64_t usage);

/* Due and overdue maintenance: for entitlement e, the next service is due
 * one spacing (period / count months, or interval / count usage) after the
 * last one, or after the contract's start. */
typedef enum maintenance_due {
	MAINTENANCE_OK = 0,        /* not due yet */
	MAINTENANCE_DUE,           /* due within the next 30 days or 10 % of the spacing */
	MAINTENANCE_OVERDUE,       /* its date or reading has passed */
} maintenance_due;

typedef struct maintenance_status {
	maintenance_due status;
	bool by_usage;
	date_t due_date;               /* period entitlements */
	int64_t due_usage;             /* interval entitlements */
	int used_in_window;
	int left_in_window;
	date_t last_date;              /* 0 with last_known false */
	bool last_known;
} maintenance_status;

const char *maintenance_due_name(maintenance_due d);

/* The status of entitlement index ei of a contract on date, with the last
 * known reading (has_usage). services: that contract's. */
maintenance_status maintenance_status_of(const plan_entitlement *e, int ei, date_t start,
    int64_t start_usage, const maintenance_service *services, size_t n, date_t date,
    bool has_usage, int64_t usage);

#endif
