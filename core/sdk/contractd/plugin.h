/*
 * contractd/plugin.h — the contractd plugin SDK.
 *
 * This one header is everything a pricing, billing or parts plugin needs.
 * Build a plugin out of tree with
 *
 *     cc -shared -o my-plugin.so my-plugin.c $(pkg-config --cflags contractd-plugin)
 *
 * and export exactly one function, CD_PLUGIN_ENTRY_NAME, that returns a
 * pointer to a static cd_plugin_descriptor:
 *
 *     static const cd_pricing_ops ops = { CD_OPS_HEADER(cd_pricing_ops), .quote = my_quote };
 *     static const cd_plugin_descriptor desc = {
 *             CD_PLUGIN_DESCRIPTOR_HEADER,
 *             .kind = CD_PLUGIN_PRICING,
 *             .name = "my-pricing", .version = "1.0.0",
 *             .init = my_init, .fini = my_fini,
 *             .ops.pricing = &ops,
 *     };
 *     CD_PLUGIN_EXPORT const cd_plugin_descriptor *contractd_plugin_entry(void) { return &desc; }
 *
 * Rules of the road
 *
 *  - Versions. The descriptor starts with a magic number, the ABI major and
 *    minor the plugin was compiled against and the descriptor's size; these
 *    fields come first because they protect the rest. The host refuses a
 *    plugin whose major differs from its own or whose minor is newer.
 *    Adding something (a field at the end of a struct, an entry at the end
 *    of a table) bumps the minor; changing or removing anything bumps the
 *    major. Every struct that may grow starts with its own size, so each side
 *    can tell whether a later field exists (CD_HAS_FIELD).
 *  - Ownership. What the host passes in is borrowed for the duration of the
 *    call: copy what you keep. What you return goes into structures the host
 *    provides, zeroed and with struct_size set before the call. Error
 *    messages go into the host's cd_error buffer through host->error_set;
 *    every error status should come with one that says what is wrong.
 *    Nothing is freed by the side that did not allocate it; the state your
 *    init creates is freed by your fini.
 *  - Lifecycle and threads. Each "[plugin NAME]" section of contractd.conf
 *    is one instance: init runs once for it, on one thread, before any
 *    operation; the same file configured twice gets two inits and two
 *    states. Operations are then called from several threads at once with
 *    the same state: treat it as read-only after init, or lock. A reload
 *    (SIGHUP) loads a fresh copy of the file and inits it while the old
 *    instance still serves requests; the old instance's fini runs once
 *    its last operation has returned, on whichever thread finished last.
 *    Static variables are therefore not shared between reloads, and
 *    neither is anything else: keep what an instance needs in its state.
 *  - Money. Amounts are int64_t minor units of the request's currency (cents
 *    for EUR, yen for JPY). Never use floating point for money: use the
 *    host's money helpers, which round with a named mode and report overflow.
 *  - Linking. Link against nothing of contractd: everything the server offers
 *    comes through the cd_host_services table handed to init.
 *
 * ABI changelog
 *   1.0  first release: pricing, billing and parts kinds; host services
 *        log, config, money and decimal helpers, and rate tables
 *        (rate_table_load ... rate_table_dealer_adjustment, with
 *        cd_rate_table, cd_rate_query, cd_rate_cell, cd_rate_band,
 *        cd_rate_adjustment and cd_rate_table_info). The rate-table
 *        services were appended before any release, so they are part of
 *        1.0 rather than a 1.1: every 1.0 host has them.
 */
#ifndef CONTRACTD_PLUGIN_H
#define CONTRACTD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CD_PLUGIN_MAGIC 0x43445047u /* "CDPG" */
#define CD_PLUGIN_ABI_MAJOR 1
#define CD_PLUGIN_ABI_MINOR 0
#define CD_PLUGIN_ENTRY_NAME "contractd_plugin_entry"
/* The longest descriptor name or version the host accepts. */
#define CD_PLUGIN_NAME_MAX 64

#if defined(__GNUC__) || defined(__clang__)
#define CD_PLUGIN_EXPORT __attribute__((visibility("default")))
#define CD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CD_PLUGIN_EXPORT
#define CD_PRINTF(f, a)
#endif

/* True when a struct that starts with struct_size has field. */
#define CD_HAS_FIELD(ptr, type, field) \
	((ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* ------------------------------------------------------------------------
 * Results and errors
 * ------------------------------------------------------------------------ */

typedef enum cd_status {
	CD_OK = 0,
	CD_ERR_INVALID = 1,     /* the request is wrong: a dealer-facing error */
	CD_ERR_NOT_FOUND = 2,   /* e.g. no rate for this category, unknown part */
	CD_ERR_UNSUPPORTED = 3, /* the plugin does not handle this (currency, plan) */
	CD_ERR_CONFIG = 4,      /* the plugin's configuration is wrong */
	CD_ERR_OVERFLOW = 5,    /* an amount would not fit, or too many lines */
	CD_ERR_INTERNAL = 6,
} cd_status;

/* Where a plugin writes an error message: a host buffer, always
 * NUL-terminated by host->error_set. */
typedef struct cd_error {
	char *message;
	size_t size;
} cd_error;

typedef enum cd_log_level {
	CD_LOG_DEBUG = 0,
	CD_LOG_INFO = 1,
	CD_LOG_WARN = 2,
	CD_LOG_ERROR = 3,
} cd_log_level;

typedef enum cd_rounding {
	CD_ROUND_HALF_UP = 0, /* halves away from zero (EN 16931) */
	CD_ROUND_HALF_EVEN = 1,
	CD_ROUND_DOWN = 2,    /* toward zero */
	CD_ROUND_UP = 3,      /* away from zero */
	CD_ROUND_FLOOR = 4,
	CD_ROUND_CEILING = 5,
} cd_rounding;

/* A decimal factor (rate, markup, hours): value / 10^scale, scale 0..9. */
typedef struct cd_decimal {
	int64_t value;
	int32_t scale;
} cd_decimal;

/* One configuration parameter, from the plugin's section of contractd.conf. */
typedef struct cd_param {
	const char *key;
	const char *value;
} cd_param;

/* Opaque: the host's handle for one loaded plugin instance. */
typedef struct cd_plugin_ctx cd_plugin_ctx;

/* Opaque: a rate table the host loaded for a plugin (rate_table_load). The
 * types of its lookups are defined under "Rate tables" below. */
typedef struct cd_rate_table cd_rate_table;
typedef struct cd_rate_query cd_rate_query;
typedef struct cd_rate_band cd_rate_band;
typedef struct cd_rate_cell cd_rate_cell;
typedef struct cd_rate_adjustment cd_rate_adjustment;
typedef struct cd_rate_table_info cd_rate_table_info;

/* ------------------------------------------------------------------------
 * Host services: what the server offers a plugin. Entries are only ever
 * appended; test struct_size (CD_HAS_FIELD) before using one newer than
 * the ABI minor you require.
 * ------------------------------------------------------------------------ */

typedef struct cd_host_services {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;

	/* Logs a line tagged with the plugin's name and the current request id. */
	void (*log)(const cd_plugin_ctx *ctx, cd_log_level level, const char *fmt, ...)
	    CD_PRINTF(3, 4);
	/* Writes a formatted message into err (truncating to fit) and returns
	 * status, so `return host->error_set(err, CD_ERR_INVALID, "...")` works. */
	cd_status (*error_set)(cd_error *err, cd_status status, const char *fmt, ...)
	    CD_PRINTF(3, 4);

	/* The plugin's configuration parameter key, or NULL. Borrowed: valid
	 * until fini. */
	const char *(*config_get)(const cd_plugin_ctx *ctx, const char *key);
	/* The parameter as an integer or a decimal; CD_ERR_NOT_FOUND when
	 * absent, CD_ERR_CONFIG when malformed (the message names the key). */
	cd_status (*config_get_int)(const cd_plugin_ctx *ctx, const char *key, int64_t *out,
	    cd_error *err);
	cd_status (*config_get_decimal)(const cd_plugin_ctx *ctx, const char *key,
	    cd_decimal *out, cd_error *err);
	/* Resolves a path from the configuration against the configuration
	 * file's directory into out; CD_ERR_OVERFLOW if it does not fit. */
	cd_status (*config_path)(const cd_plugin_ctx *ctx, const char *path, char *out,
	    size_t outlen);

	/* Minor-unit exponent of an ISO 4217 currency (2 for EUR), or -1. */
	int (*currency_exponent)(const char *currency);
	/* Parses a decimal amount ("12.50") into minor units of currency. */
	cd_status (*money_parse)(const char *text, const char *currency, int64_t *out);
	/* Formats minor units as a decimal string. */
	cd_status (*money_format)(int64_t amount, const char *currency, char *out, size_t outlen);
	/* amount x factor, rounded to a whole minor unit. */
	cd_status (*money_mul)(int64_t amount, cd_decimal factor, cd_rounding mode, int64_t *out);
	/* amount x num / den, rounded. */
	cd_status (*money_mul_frac)(int64_t amount, int64_t num, int64_t den, cd_rounding mode,
	    int64_t *out);
	/* Overflow-checked a + b. */
	cd_status (*money_add)(int64_t a, int64_t b, int64_t *out);
	/* Parses "1.25" into a decimal; multiplies two decimals. */
	cd_status (*decimal_parse)(const char *text, cd_decimal *out);
	cd_status (*decimal_mul)(cd_decimal a, cd_decimal b, cd_decimal *out);

	/* Rate tables: RateTable documents (contracts/schema/RateTable.xsd)
	 * that the host reads, validates and indexes for the plugin, which then
	 * looks prices up by category, asset age, usage and term. See "Rate
	 * tables" below.
	 *
	 * Loads the RateTable file path (relative paths resolve as config_path
	 * resolves them), validates it against the RateTable schema and checks
	 * what the schema cannot: bands that overlap, amounts with more decimals
	 * than the table's currency has. On CD_OK *out is a new table that the
	 * plugin frees with rate_table_free, normally in fini; otherwise
	 * CD_ERR_CONFIG with a message naming the file and the offending
	 * element (and every problem in the log). It reads a file: call it
	 * from init, not from an operation. */
	cd_status (*rate_table_load)(const cd_plugin_ctx *ctx, const char *path,
	    cd_rate_table **out, cd_error *err);
	/* Frees a table from rate_table_load. NULL is fine. */
	void (*rate_table_free)(cd_rate_table *table);
	/* What the table says about itself: code, currency, ... Borrowed: valid
	 * until rate_table_free. */
	const cd_rate_table_info *(*rate_table_info)(const cd_rate_table *table);
	/* The rate for q's category, age, usage and term. On CD_OK *out is the
	 * table's cell (borrowed: valid until rate_table_free). Otherwise
	 * CD_ERR_NOT_FOUND when the table has no rate for q (no such category,
	 * an age or usage outside every band, no such term), CD_ERR_UNSUPPORTED
	 * when q counts usage in another unit than the table, CD_ERR_INVALID for
	 * a malformed q; the message, written for a dealer, says which. */
	cd_status (*rate_table_lookup)(const cd_rate_table *table, const cd_rate_query *q,
	    const cd_rate_cell **out, cd_error *err);
	/* The index-th surcharge of the table (0, 1, ... in table order) that
	 * applies to q, or NULL when there are no more. Borrowed. */
	const cd_rate_adjustment *(*rate_table_surcharge)(const cd_rate_table *table,
	    const cd_rate_query *q, size_t index);
	/* The table's adjustment for dealer_id, or NULL when it has none for
	 * that dealer. Borrowed. */
	const cd_rate_adjustment *(*rate_table_dealer_adjustment)(const cd_rate_table *table,
	    const char *dealer_id);
} cd_host_services;

/* ------------------------------------------------------------------------
 * Shared vocabulary of requests and results
 * ------------------------------------------------------------------------ */

typedef enum cd_usage_unit {
	CD_USAGE_NONE = 0,
	CD_USAGE_KM = 1,
	CD_USAGE_MI = 2,
	CD_USAGE_HOURS = 3,
	CD_USAGE_CYCLES = 4,
} cd_usage_unit;

typedef enum cd_tax_category {
	CD_TAX_STANDARD = 0, /* S */
	CD_TAX_ZERO = 1,     /* Z */
	CD_TAX_EXEMPT = 2,   /* E */
	CD_TAX_REVERSE = 3,  /* AE: reverse charge */
} cd_tax_category;

/* A date as "YYYY-MM-DD". */
typedef struct cd_date {
	char iso[11];
} cd_date;

/* One priced line a billing or parts plugin writes into the host's array. */
typedef enum cd_line_kind {
	CD_LINE_LABOR = 0,
	CD_LINE_PART = 1,
	CD_LINE_CORE_DEPOSIT = 2, /* refundable when the old part comes back */
	CD_LINE_FEE = 3,          /* diagnostic, environmental, shop supplies */
	CD_LINE_TRAVEL = 4,
	CD_LINE_DISCOUNT = 5,     /* negative amount */
} cd_line_kind;

typedef struct cd_line {
	uint32_t struct_size;
	cd_line_kind kind;
	char code[48];         /* operation code or part number */
	char description[128];
	cd_decimal quantity;   /* hours or pieces */
	int64_t unit_price;    /* minor units */
	int64_t amount;        /* minor units: the line's net amount */
	cd_tax_category tax_category;
	char reference[48];    /* e.g. the part number that was superseded */
} cd_line;

/* The host's output array for lines: write at most capacity, set count.
 * When capacity is too small, return CD_ERR_OVERFLOW and set count to the
 * number needed; the host retries once with an array that large (up to a
 * limit of its own). Each item's struct_size is set by the host. */
typedef struct cd_lines {
	cd_line *items;
	size_t capacity;
	size_t count;
} cd_lines;

/* ------------------------------------------------------------------------
 * Rate tables: prices by category, asset age, usage and term
 *
 * A RateTable document holds the retail prices of one product line: age
 * bands (months since purchase) and usage bands (km, hours, ... at sale),
 * a Rate per category, age band, usage band and term, surcharges that
 * apply to some requests (commercial use, a category, a model prefix) and
 * adjustments for single dealers. Bands are half-open: from inclusive, to
 * exclusive. The host owns the table; everything a lookup returns points
 * into it and stays valid until rate_table_free. A table never changes
 * once loaded, so any number of threads may look up at once.
 *
 *     cd_rate_query q = {
 *             .struct_size = sizeof q,
 *             .category = req->product_category, .model = req->model,
 *             .age_months = req->asset_age_months, .term_months = req->term_months,
 *             .usage_unit = req->usage_unit, .usage = req->usage_at_sale,
 *             .commercial_use = req->commercial_use,
 *     };
 *     const cd_rate_cell *cell;
 *     if ((rc = host->rate_table_lookup(table, &q, &cell, err)) != CD_OK)
 *             return rc;                     (the host wrote the message)
 *     price = cell->amount;
 *     for (size_t i = 0; (s = host->rate_table_surcharge(table, &q, i)) != NULL; i++)
 *             ...
 * ------------------------------------------------------------------------ */

/* What to look up. The plugin fills it (struct_size first) and keeps it;
 * the host only reads it. */
struct cd_rate_query {
	uint32_t struct_size;      /* sizeof(cd_rate_query) */
	/* Rates are found for the most specific category of the table that is
	 * the query's or a dotted prefix of it: "vehicle.car.ev" takes the
	 * rates of "vehicle.car" unless the table has its own. */
	const char *category;
	const char *model;         /* for surcharges by model prefix; may be NULL */
	int32_t age_months;        /* whole months from purchase to sale */
	int32_t term_months;
	cd_usage_unit usage_unit;  /* must be the table's unit, unless that is none */
	int64_t usage;             /* the reading at sale, in usage_unit */
	int32_t commercial_use;    /* non-zero: commercial-use surcharges apply */
};

/* An age or usage band of a table. */
struct cd_rate_band {
	uint32_t struct_size;
	const char *id;            /* "A1" */
	int64_t from;              /* inclusive: months, or the usage unit */
	int64_t to;                /* exclusive; -1: no upper bound */
};

/* One cell of a table: the rate for a category, age band, usage band and
 * term. */
struct cd_rate_cell {
	uint32_t struct_size;
	/* The value as written, exactly: "952.00" is { 95200, 2 }. */
	cd_decimal rate;
	/* The same as an amount: minor units of the table's currency (95200). */
	int64_t amount;
	const char *text;          /* as written, "952.00", for explanations */
	const char *category;      /* the table's category that matched */
	int32_t term_months;
	const cd_rate_band *age_band;
	const cd_rate_band *usage_band;
};

typedef enum cd_adjustment_kind {
	CD_ADJUST_PERCENT = 0,     /* a share of the price: see factor */
	CD_ADJUST_AMOUNT = 1,      /* a fixed amount: see amount */
} cd_adjustment_kind;

/* A surcharge, or a dealer's adjustment. Negative values are discounts. */
struct cd_rate_adjustment {
	uint32_t struct_size;
	/* The surcharge's code ("COMMERCIAL"), or the dealer's id. */
	const char *code;
	const char *description;   /* may be NULL */
	cd_adjustment_kind kind;
	/* CD_ADJUST_PERCENT: the percentage as a factor, ready for money_mul:
	 * 35 % is { 35, 2 }, -5 % is { -5, 2 }. Zero for an amount. */
	cd_decimal factor;
	/* CD_ADJUST_AMOUNT: minor units of the table's currency. Zero for a
	 * percentage. */
	int64_t amount;
	const char *text;          /* as written: "35" (percent), "-20.00" (amount) */
};

/* What a table says about itself. */
struct cd_rate_table_info {
	uint32_t struct_size;
	const char *code;          /* "VEH-2024": plans name tables by code */
	const char *name;          /* may be NULL */
	const char *currency;      /* of every rate and amount in the table */
	const char *effective_date; /* "YYYY-MM-DD", or NULL */
	cd_usage_unit usage_unit;  /* what the usage bands count */
	const char *path;          /* the file it was loaded from */
	size_t nrates;
	size_t nsurcharges;
	size_t ndealer_adjustments;
};

/* ------------------------------------------------------------------------
 * Pricing plugins: the price of a plan for an asset
 * ------------------------------------------------------------------------ */

typedef struct cd_pricing_request {
	uint32_t struct_size;
	const char *currency;      /* ISO 4217 */
	const char *plan_code;
	const char *dealer_id;
	const char *product_category;
	const char *model;
	int64_t purchase_price;    /* minor units */
	cd_date purchase_date;
	cd_date quote_date;        /* the day the price applies */
	int32_t asset_age_months;  /* whole months from purchase to quote date */
	int32_t term_months;
	cd_usage_unit usage_unit;
	int64_t usage_at_sale;
	int64_t usage_limit;       /* 0: none */
	int32_t commercial_use;    /* non-zero for commercial use */
	/* The plan's pricing parameters from the catalog (borrowed). */
	const cd_param *params;
	size_t nparams;
} cd_pricing_request;

typedef struct cd_pricing_result {
	uint32_t struct_size;
	int64_t retail_price;      /* what the customer pays, net of tax */
	int64_t dealer_cost;       /* what the dealer remits to the warrantor */
	int64_t admin_fee;         /* dealer_cost = admin_fee + claims_reserve */
	int64_t claims_reserve;
	cd_tax_category tax_category;
	/* A short human explanation of how the price was found. */
	char explanation[256];
} cd_pricing_result;

/* Required: quote. */
typedef struct cd_pricing_ops {
	uint32_t struct_size;
	cd_status (*quote)(void *state, const cd_pricing_request *req, cd_pricing_result *out,
	    cd_error *err);
} cd_pricing_ops;

/* ------------------------------------------------------------------------
 * Billing plugins: post-warranty labor
 * ------------------------------------------------------------------------ */

typedef struct cd_labor_op {
	const char *operation_code;
	cd_decimal hours;          /* actual hours; the plugin may use flat rates */
	const char *skill_level;   /* may be NULL */
} cd_labor_op;

typedef struct cd_billing_request {
	uint32_t struct_size;
	const char *currency;
	const char *dealer_id;
	const char *region;        /* may be NULL */
	cd_date service_date;
	int32_t field_service;     /* non-zero: a visit at the customer's site */
	cd_decimal travel_distance; /* km, for field service */
	int32_t has_contract;      /* the customer holds a service contract */
	int32_t diagnostic;        /* a diagnosis was performed */
	const cd_labor_op *ops;
	size_t nops;
	int64_t parts_amount;      /* net parts total, for percentage fees */
	const cd_param *params;
	size_t nparams;
} cd_billing_request;

/* Required: price_labor. */
typedef struct cd_billing_ops {
	uint32_t struct_size;
	cd_status (*price_labor)(void *state, const cd_billing_request *req, cd_lines *out,
	    cd_error *err);
} cd_billing_ops;

/* ------------------------------------------------------------------------
 * Parts plugins: price lists, markups, core deposits
 * ------------------------------------------------------------------------ */

typedef enum cd_parts_buyer {
	CD_BUYER_DEALER = 0,   /* a dealer buying stock: net price, discounts */
	CD_BUYER_CUSTOMER = 1, /* a repair billed to a customer: marked-up price */
	CD_BUYER_WARRANTY = 2, /* a covered repair: the warrantor's price */
} cd_parts_buyer;

typedef struct cd_part_item {
	const char *part_number;
	cd_decimal quantity;
} cd_part_item;

typedef struct cd_parts_request {
	uint32_t struct_size;
	const char *currency;
	const char *dealer_id;
	cd_parts_buyer buyer;
	cd_date order_date;
	const cd_part_item *items;
	size_t nitems;
	const cd_param *params;
	size_t nparams;
} cd_parts_request;

/* Required: price_parts. */
typedef struct cd_parts_ops {
	uint32_t struct_size;
	cd_status (*price_parts)(void *state, const cd_parts_request *req, cd_lines *out,
	    cd_error *err);
} cd_parts_ops;

/* ------------------------------------------------------------------------
 * The descriptor
 * ------------------------------------------------------------------------ */

typedef enum cd_plugin_kind {
	CD_PLUGIN_PRICING = 1,
	CD_PLUGIN_BILLING = 2,
	CD_PLUGIN_PARTS = 3,
} cd_plugin_kind;

typedef struct cd_plugin_descriptor {
	/* These four come first, and never move: they protect the rest. */
	uint32_t magic;       /* CD_PLUGIN_MAGIC */
	uint16_t abi_major;   /* CD_PLUGIN_ABI_MAJOR at the plugin's compile time */
	uint16_t abi_minor;
	uint32_t struct_size; /* sizeof(cd_plugin_descriptor) at compile time */

	cd_plugin_kind kind;
	/* Up to CD_PLUGIN_NAME_MAX letters, digits, '.', '_' or '-'. */
	const char *name;     /* e.g. "pricing-percent" */
	/* The plugin's own version, e.g. "1.2.0"; up to CD_PLUGIN_NAME_MAX
	 * letters, digits, '.', '_', '-', '+' or '~'. Priced results record it. */
	const char *version;
	const char *description; /* one line for humans; may be NULL */

	/* Called once per load with the host services (valid until fini) and
	 * the plugin's context; sets *state to whatever the operations need.
	 * Return CD_OK, or an error with a message in err: the plugin is then
	 * refused and fini is not called. May be NULL. */
	cd_status (*init)(const cd_host_services *host, const cd_plugin_ctx *ctx, void **state,
	    cd_error *err);
	/* Frees what init made. May be NULL. */
	void (*fini)(void *state);

	/* The operations of this kind: the table must be present, start with
	 * CD_OPS_HEADER and fill the kind's required operation. */
	union {
		const cd_pricing_ops *pricing;
		const cd_billing_ops *billing;
		const cd_parts_ops *parts;
	} ops;
} cd_plugin_descriptor;

/* Fills the protecting fields; put first in a descriptor initialiser. */
#define CD_PLUGIN_DESCRIPTOR_HEADER \
	.magic = CD_PLUGIN_MAGIC, .abi_major = CD_PLUGIN_ABI_MAJOR, \
	.abi_minor = CD_PLUGIN_ABI_MINOR, .struct_size = sizeof(cd_plugin_descriptor)

/* Fills struct_size in an operations table initialiser. */
#define CD_OPS_HEADER(type) .struct_size = sizeof(type)

typedef const cd_plugin_descriptor *(*cd_plugin_entry_fn)(void);

/* Every plugin defines this one function:
 *   CD_PLUGIN_EXPORT const cd_plugin_descriptor *contractd_plugin_entry(void); */
CD_PLUGIN_EXPORT const cd_plugin_descriptor *contractd_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* CONTRACTD_PLUGIN_H */
