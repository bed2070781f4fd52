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
 *        log, config, money and decimal helpers.
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
