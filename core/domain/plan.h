/* plan — a contract product offered for sale: the catalog's unit.
 *
 * A plan is identified by its code; every change to its definition makes a
 * new version, and a contract keeps the version it was sold under. Plans
 * are imported from Catalog documents (contracts/schema/Catalog.xsd) with
 * `contractctl catalog import` and stored in the plans table. Amounts are
 * minor units of the plan's currency.
 *
 * Canonical form. A plan's definition is written as canonical text
 * (plan_canonical): one "key=value" line per field in a fixed order, lists
 * sorted (product categories, components, parameters by key, each
 * entitlement's operations, the entitlements), amounts in minor units,
 * values escaped (\\ \n \r). Two definitions that mean the same thing -
 * "25.0" and "25.00", categories in another order - have the same text and
 * so the same SHA-256 (definition_hash). The database keeps the text and
 * rebuilds the plan from it (plan_parse_canonical), so what was hashed is
 * exactly what is sold. */
#ifndef CD_DOMAIN_PLAN_H
#define CD_DOMAIN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "contractd/plugin.h"
#include "storage/db.h"

#define PLAN_CODE_MAX 64
#define PLAN_NAME_MAX 800         /* bytes: 200 characters of UTF-8 */
#define PLAN_DESCRIPTION_MAX 2000 /* bytes: 500 characters of UTF-8 */
#define PLAN_CATEGORY_MAX 64
#define PLAN_OPERATION_MAX 48
#define PLAN_PLUGIN_MAX 64

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

/* Scheduled maintenance included in the plan: count of any of the
 * operations every period_months, or count every usage_interval units. */
typedef struct plan_entitlement {
	char (*operations)[PLAN_OPERATION_MAX + 1]; /* owned */
	size_t noperations;
	char description[PLAN_DESCRIPTION_MAX + 1];
	int count;               /* per period or interval */
	int period_months;       /* 0: not time-based */
	int64_t usage_interval;  /* 0: not usage-based */
	cd_usage_unit usage_unit; /* of usage_interval */
} plan_entitlement;

typedef struct plan {
	char code[PLAN_CODE_MAX + 1];
	int version;                    /* 1, 2, ... assigned on import */
	char name[PLAN_NAME_MAX + 1];
	char description[PLAN_DESCRIPTION_MAX + 1]; /* "" when none */
	char currency[4];
	/* Which assets it may be sold for: product categories (none = any). */
	char (*product_categories)[PLAN_CATEGORY_MAX + 1];
	size_t nproduct_categories;
	/* Term and usage. */
	int term_months;
	cd_usage_unit usage_unit;       /* of usage_limit; CD_USAGE_NONE without one */
	int64_t usage_limit;            /* 0: no usage limit */
	plan_term_start term_start;
	int waiting_days;               /* no coverage in the first N days after sale */
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
	char pricing_plugin[PLAN_PLUGIN_MAX + 1];
	cd_param *params;               /* owned: keys and values */
	size_t nparams;
	/* Included maintenance. */
	plan_entitlement *entitlements;
	size_t nentitlements;
	/* SHA-256 of the plan's canonical definition: equal hashes, same plan. */
	char definition_hash[65];
} plan;

/* A new empty plan (free with plan_free). */
plan *plan_new(void);
/* Frees p and everything it owns. NULL is fine. */
void plan_free(plan *p);

/* Appends to the plan's lists (copies the strings). */
void plan_add_category(plan *p, const char *category);
void plan_add_component(plan *p, const char *component);
void plan_add_param(plan *p, const char *key, const char *value);
/* Appends an empty entitlement and returns it (owned by p). */
plan_entitlement *plan_add_entitlement(plan *p);
void plan_entitlement_add_operation(plan_entitlement *e, const char *operation);

/* The value of the plan's pricing parameter key, or NULL (borrowed). */
const char *plan_param(const plan *p, const char *key);
/* True when the plan may be sold for category (any, when it lists none). */
bool plan_sells_category(const plan *p, const char *category);
/* True when the plan covers component (all, when it lists none). */
bool plan_covers_component(const plan *p, const char *component);

/* Names and parsing of the vocabulary ("parts-and-labor", "warranty-end",
 * "days-or-usage", "km"). The parse functions return 0, or -1 if unknown. */
const char *plan_coverage_name(plan_coverage c);
int plan_coverage_parse(const char *s, plan_coverage *out);
const char *plan_term_start_name(plan_term_start s);
int plan_term_start_parse(const char *s, plan_term_start *out);
const char *plan_refund_method_name(plan_refund_method m);
int plan_refund_method_parse(const char *s, plan_refund_method *out);
const char *usage_unit_name(cd_usage_unit u);
int usage_unit_parse(const char *s, cd_usage_unit *out);

/* The canonical text of p's definition (see above; code, not version,
 * included). Returns a new NUL-terminated string the caller frees, its
 * length in *len (may be NULL). */
char *plan_canonical(const plan *p, size_t *len);
/* Sets p->definition_hash to the SHA-256 of plan_canonical(p). */
void plan_compute_hash(plan *p);
/* Rebuilds a plan from its canonical text into a new *out (free with
 * plan_free; its version is 0 and its hash computed). Returns 0, or -1
 * with a message in err when the text is not canonical plan text. */
int plan_parse_canonical(const char *text, plan **out, char *err, size_t errlen);

/* Outcome of plan_store. */
typedef enum plan_store_result {
	PLAN_STORED_NEW = 0,        /* the code was unknown: version 1 (or as asked) */
	PLAN_STORED_VERSION = 1,    /* the definition changed: a new version */
	PLAN_STORED_UNCHANGED = 2,  /* same definition as the current version */
} plan_store_result;

/* Stores p (its hash computed here) inside the caller's transaction: a new
 * version when its definition differs from the current version's,
 * nothing when it is the same. requested_version (0: next) is the
 * catalog's Version: it must then be newer than every stored version.
 * Sets p->version to the version stored (or the current one when
 * unchanged) and *result. Returns 0; 1 with a message in err when the
 * requested version is not newer; -1 on a database error. */
int plan_store(db_conn *c, plan *p, int requested_version, plan_store_result *result,
    char *err, size_t errlen);

/* Reads the newest version of a plan (version 0) or a given version into
 * a new *out (free with plan_free). Returns 1 found, 0 not found, -1 on a
 * database error (message in err). */
int plan_load(db_conn *c, const char *code, int version, plan **out, char *err, size_t errlen);

/* The newest version number of a plan: 1 and *version, 0 when there is no
 * such plan, -1 on a database error. */
int plan_current_version(db_conn *c, const char *code, int *version, char *err, size_t errlen);

/* Reads the current version of every plan, ordered by code, into a new
 * array *out of *n plans (free with plan_list_free). Returns 0 or -1. */
int plan_list_current(db_conn *c, plan ***out, size_t *n, char *err, size_t errlen);
void plan_list_free(plan **list, size_t n);

#endif
