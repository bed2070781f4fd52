/* plan — a contract product offered for sale: the catalog's unit.
 *
 * A plan is identified by its code; every change to its definition makes a
 * new version, and a contract keeps the version it was sold under. Plans
 * are imported from Catalog documents (contracts/schema/catalog.xsd) with
 * `contractctl catalog import` and stored in the plans table. Amounts are
 * minor units of the plan's currency. */
#ifndef CD_DOMAIN_PLAN_H
#define CD_DOMAIN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contractd/plugin.h"
#include "storage/db.h"

#define PLAN_CODE_MAX 64
#define PLAN_NAME_MAX 200
#define PLAN_CATEGORY_MAX 64
#define PLAN_OPERATION_MAX 48

typedef enum plan_coverage {
	PLAN_COVERS_PARTS = 1,
	PLAN_COVERS_LABOR = 2,
	PLAN_COVERS_PARTS_AND_LABOR = 3,
} plan_coverage;

typedef enum plan_term_start {
	PLAN_START_AT_PURCHASE = 0,
	PLAN_START_AT_WARRANTY_END = 1, /* when the manufacturer's warranty ends */
} plan_term_start;

typedef enum plan_refund_method {
	PLAN_REFUND_BY_DAYS = 0,
	PLAN_REFUND_BY_DAYS_OR_USAGE = 1, /* the smaller unused share of days and usage */
} plan_refund_method;

/* Scheduled maintenance included in the plan: count operations every
 * period_months, or one every usage_interval units of usage. */
typedef struct plan_entitlement {
	char operation[PLAN_OPERATION_MAX + 1];
	char description[PLAN_NAME_MAX + 1];
	int count;               /* per period; 0 with a usage interval */
	int period_months;       /* 0: not time-based */
	int64_t usage_interval;  /* 0: not usage-based */
} plan_entitlement;

typedef struct plan {
	char code[PLAN_CODE_MAX + 1];
	int version;                    /* 1, 2, ... assigned on import */
	char name[PLAN_NAME_MAX + 1];
	char currency[4];
	/* Which assets it may be sold for: product categories (none = any). */
	char (*product_categories)[PLAN_CATEGORY_MAX + 1];
	size_t nproduct_categories;
	/* Term and usage. */
	int term_months;
	cd_usage_unit usage_unit;
	int64_t usage_limit;            /* 0: no usage limit */
	plan_term_start term_start;
	int waiting_days;               /* no claims in the first N days */
	/* What it covers. */
	plan_coverage coverage;
	char (*components)[PLAN_CATEGORY_MAX + 1]; /* covered component categories (none = all) */
	size_t ncomponents;
	int64_t deductible;             /* per claim */
	int64_t liability_limit;        /* aggregate; -1: the asset's purchase price */
	/* Cancellation. */
	int free_look_days;
	plan_refund_method refund_method;
	int64_t cancellation_fee;
	bool deduct_claims;             /* claims paid are deducted from the refund */
	/* Pricing: which plugin instance prices it, with the plan's parameters. */
	char pricing_plugin[PLAN_CODE_MAX + 1];
	cd_param *params;               /* owned: keys and values */
	size_t nparams;
	/* Included maintenance. */
	plan_entitlement *entitlements;
	size_t nentitlements;
	/* SHA-256 of the plan's canonical definition: equal hashes, same plan. */
	char definition_hash[65];
} plan;

void plan_free(plan *p);

/* Reads the newest version of a plan (version 0) or a given version into
 * a new *out (free with plan_free). Returns 1 found, 0 not found, -1 on a
 * database error (message in err). */
int plan_load(db_conn *c, const char *code, int version, plan **out, char *err, size_t errlen);

#endif
