/* pricing-ratetable — the price of a plan from a rate table: a retail
 * price by product category, age of the asset, its usage at sale and the
 * term, plus the table's surcharges (commercial use, a category, a model
 * prefix) and its adjustment for the selling dealer. The dealer remits a
 * share of that price, which splits into the administrator's fee and the
 * reserve for claims.
 *
 *     [plugin ratetable]
 *     file = pricing-ratetable.so
 *     tables = rates/VEH-2024.xml rates/VEH-JP-2024.xml
 *     table = VEH-2024
 *     dealer-cost-percent = 70
 *     admin-fee-percent = 25
 *
 *     rate           = the table's rate for the category, age band, usage
 *                      band and term
 *     surcharges     = for each surcharge that applies: rate x its
 *                      percentage, or its amount
 *     plan surcharge = rate x plan-surcharge-percent
 *     subtotal       = rate + surcharges + plan surcharge
 *     retail price   = subtotal + the dealer's adjustment (subtotal x its
 *                      percentage, or its amount)
 *     dealer cost    = retail price x dealer-cost-percent
 *     admin fee      = dealer cost x admin-fee-percent
 *     claims reserve = dealer cost - admin fee
 *
 * Each percentage is rounded half-up (halves away from zero) to a whole
 * minor unit on its own. The tables are read by the host (the rate-table
 * services of <contractd/plugin.h>): it parses, validates and indexes them,
 * and this plugin only looks up.
 *
 * The parameters (docs/plugins.md, "Pricing plugins", has the full story):
 *
 *   tables                  the RateTable files, separated by spaces;
 *                           relative paths resolve against the directory of
 *                           contractd.conf. Loaded at init. Configuration
 *                           only.
 *   table                   the code of the table that prices the plan;
 *                           may be left out when there is only one.
 *   dealer-cost-percent     the share of the retail price the dealer
 *                           remits.
 *   admin-fee-percent       the share of the dealer cost that is the
 *                           administrator's fee.
 *   plan-surcharge-percent  optional: the plan's own surcharge on the rate
 *                           (included maintenance, say); -100 to 1000.
 *   tax-category            S (default), Z, E or AE.
 *
 * Each but tables may be set in the configuration and, for one plan, among
 * the plan's pricing parameters, which win. A plan parameter this plugin
 * does not know is an error.
 *
 * Everything here comes from <contractd/plugin.h> and the C library. */
#include <contractd/plugin.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TABLES 16
#define PATH_TEXT_MAX 1024

/* A share written as a percentage: "35" is the factor 0.35. */
typedef struct percent {
	cd_decimal factor;
	const char *text;          /* as written: valid as long as its parameter */
} percent;

/* The parameters with one value per plan: the configuration's, each maybe
 * replaced by the plan's. */
typedef struct settings {
	const cd_rate_table *table; /* NULL: none chosen */
	bool has_dealer_cost, has_admin_fee, has_plan_surcharge;
	percent dealer_cost;
	percent admin_fee;
	percent plan_surcharge;
	cd_tax_category tax_category;
} settings;

/* What init works out once. Operations run on many threads at once with
 * this state, so after init it is read-only: the tables too, which the
 * host guarantees may be looked up from any number of threads. */
typedef struct table_state {
	const cd_host_services *host; /* borrowed: valid until fini */
	const cd_plugin_ctx *ctx;
	cd_rate_table *tables[MAX_TABLES]; /* ours: fini frees them */
	size_t ntables;
	settings defaults;            /* from the configuration */
} table_state;

/* ------------------------------------------------------------------------
 * Parameters
 * ------------------------------------------------------------------------ */

/* The loaded table whose code is code, or NULL. */
static const cd_rate_table *
table_named(const table_state *st, const char *code)
{
	for (size_t i = 0; i < st->ntables; i++)
		if (strcmp(st->host->rate_table_info(st->tables[i])->code, code) == 0)
			return st->tables[i];
	return NULL;
}

/* The codes of the loaded tables, "VEH-2024, VEH-JP-2024", for messages. */
static void
table_codes(const table_state *st, char *out, size_t outlen)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < st->ntables && used < outlen; i++) {
		int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "",
		    st->host->rate_table_info(st->tables[i])->code);
		used += n > 0 ? (size_t)n : 0;
	}
}

/* Parses a percentage from lo to hi, with at most 7 decimals, into a
 * factor. */
static cd_status
parse_percent(const table_state *st, const char *key, const char *text, const char *from,
    int64_t lo, int64_t hi, percent *out, cd_error *err)
{
	int64_t scaled_lo = lo, scaled_hi = hi;
	cd_decimal d;

	if (st->host->decimal_parse(text, &d) != CD_OK || d.scale > 7)
		goto bad;
	for (int32_t i = 0; i < d.scale; i++) {
		scaled_lo *= 10;         /* the bounds at d's scale: at most 10^10 */
		scaled_hi *= 10;
	}
	if (d.value < scaled_lo || d.value > scaled_hi)
		goto bad;
	/* 35 % is the factor 0.35: the same digits, two more decimals. */
	out->factor.value = d.value;
	out->factor.scale = d.scale + 2;
	out->text = text;
	return CD_OK;

bad:
	return st->host->error_set(err, CD_ERR_CONFIG,
	    "%s: %s = '%s' is not a percentage from %lld to %lld", from, key, text,
	    (long long)lo, (long long)hi);
}

static cd_status
parse_tax_category(const table_state *st, const char *text, const char *from,
    cd_tax_category *out, cd_error *err)
{
	static const char *const codes[] = { "S", "Z", "E", "AE" };

	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		if (strcmp(text, codes[i]) == 0) {
			*out = (cd_tax_category)i;
			return CD_OK;
		}
	}
	return st->host->error_set(err, CD_ERR_CONFIG,
	    "%s: tax-category = '%s' is not S, Z, E or AE", from, text);
}

/* Sets the parameter key of s from text. CD_ERR_NOT_FOUND (and no message)
 * when key is not one of them. */
static cd_status
apply_setting(const table_state *st, settings *s, const char *key, const char *text,
    const char *from, cd_error *err)
{
	char codes[256];

	if (strcmp(key, "table") == 0) {
		s->table = table_named(st, text);
		if (s->table != NULL)
			return CD_OK;
		table_codes(st, codes, sizeof codes);
		return st->host->error_set(err, CD_ERR_CONFIG,
		    "%s: table = '%s' is not one of the loaded rate tables (%s)", from, text,
		    codes);
	}
	if (strcmp(key, "dealer-cost-percent") == 0) {
		s->has_dealer_cost = true;
		return parse_percent(st, key, text, from, 0, 100, &s->dealer_cost, err);
	}
	if (strcmp(key, "admin-fee-percent") == 0) {
		s->has_admin_fee = true;
		return parse_percent(st, key, text, from, 0, 100, &s->admin_fee, err);
	}
	if (strcmp(key, "plan-surcharge-percent") == 0) {
		s->has_plan_surcharge = true;
		return parse_percent(st, key, text, from, -100, 1000, &s->plan_surcharge, err);
	}
	if (strcmp(key, "tax-category") == 0)
		return parse_tax_category(st, text, from, &s->tax_category, err);
	return CD_ERR_NOT_FOUND;
}

static const char *const setting_keys[] = {
	"table", "dealer-cost-percent", "admin-fee-percent", "plan-surcharge-percent",
	"tax-category",
};

/* ------------------------------------------------------------------------
 * Init and fini
 * ------------------------------------------------------------------------ */

/* Loads every file of "tables", a list separated by spaces. */
static cd_status
load_tables(table_state *st, const char *list, cd_error *err)
{
	const cd_host_services *host = st->host;
	char path[PATH_TEXT_MAX];
	const char *p = list;
	cd_status rc;

	while (*p != '\0') {
		cd_rate_table *table;
		size_t len;

		while (isspace((unsigned char)*p))
			p++;
		len = strcspn(p, " \t");
		if (len == 0)
			break;
		if (len >= sizeof path)
			return host->error_set(err, CD_ERR_CONFIG, "tables: a path is too long");
		if (st->ntables == MAX_TABLES)
			return host->error_set(err, CD_ERR_CONFIG, "tables: more than %d files",
			    MAX_TABLES);
		memcpy(path, p, len);
		path[len] = '\0';
		p += len;
		/* The host writes a message naming the file and what is wrong. */
		rc = host->rate_table_load(st->ctx, path, &table, err);
		if (rc != CD_OK)
			return rc;
		/* Stored at once, so that fini frees it whatever happens next. */
		st->tables[st->ntables++] = table;
		if (table_named(st, host->rate_table_info(table)->code) != table)
			return host->error_set(err, CD_ERR_CONFIG,
			    "tables: two files are rate table %s (the second is %s)",
			    host->rate_table_info(table)->code, path);
	}
	if (st->ntables == 0)
		return host->error_set(err, CD_ERR_CONFIG,
		    "'tables' must name at least one rate table file");
	return CD_OK;
}

static void
table_fini(void *state)
{
	table_state *st = state;

	/* The tables init loaded, each freed with its pair. */
	for (size_t i = 0; i < st->ntables; i++)
		st->host->rate_table_free(st->tables[i]);
	free(st);
}

/* Loads the tables and reads the configuration once, so a mistake stops
 * the plugin from loading (with this message) instead of failing every
 * quote. On an error the host does not call fini: free what was made. */
static cd_status
table_init(const cd_host_services *host, const cd_plugin_ctx *ctx, void **out,
    cd_error *err)
{
	const char *tables = host->config_get(ctx, "tables");
	table_state *st = NULL;
	cd_status rc;

	/* The rate-table services came with ABI 1.0, so every host this
	 * plugin loads into has them; a plugin that uses a service newer than
	 * the ABI minor it declares checks for it like this. */
	if (!CD_HAS_FIELD(host, cd_host_services, rate_table_dealer_adjustment))
		return host->error_set(err, CD_ERR_UNSUPPORTED,
		    "this contractd offers no rate-table services");
	if (tables == NULL)
		return host->error_set(err, CD_ERR_CONFIG,
		    "'tables' must name at least one rate table file");
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return host->error_set(err, CD_ERR_INTERNAL, "out of memory");
	st->host = host;
	st->ctx = ctx;
	st->defaults.tax_category = CD_TAX_STANDARD;

	rc = load_tables(st, tables, err);
	if (rc != CD_OK)
		goto fail;
	if (st->ntables == 1)
		st->defaults.table = st->tables[0];
	for (size_t i = 0; i < sizeof setting_keys / sizeof setting_keys[0]; i++) {
		const char *value = host->config_get(ctx, setting_keys[i]);

		if (value == NULL)
			continue;
		rc = apply_setting(st, &st->defaults, setting_keys[i], value, "configuration", err);
		if (rc != CD_OK)
			goto fail;
	}
	*out = st;
	return CD_OK;

fail:
	table_fini(st);
	return rc;
}

/* ------------------------------------------------------------------------
 * Quote
 * ------------------------------------------------------------------------ */

/* Appends to the result's explanation, as far as it fits. */
static void __attribute__((format(printf, 2, 3)))
explain(cd_pricing_result *out, const char *fmt, ...)
{
	size_t used = strlen(out->explanation);
	va_list ap;

	if (used + 1 >= sizeof out->explanation)
		return;
	va_start(ap, fmt);
	vsnprintf(out->explanation + used, sizeof out->explanation - used, fmt, ap);
	va_end(ap);
}

/* Starts from the configuration's settings and applies the plan's. */
static cd_status
plan_settings(const table_state *st, const cd_pricing_request *req, const char *plan,
    settings *s, cd_error *err)
{
	cd_status rc;

	*s = st->defaults;
	for (size_t i = 0; i < req->nparams; i++) {
		rc = apply_setting(st, s, req->params[i].key, req->params[i].value, plan, err);
		if (rc == CD_ERR_NOT_FOUND)
			return st->host->error_set(err, CD_ERR_CONFIG,
			    "%s: unknown pricing parameter '%s'", plan, req->params[i].key);
		if (rc != CD_OK)
			return rc;
	}
	if (s->table == NULL) {
		char codes[256];

		table_codes(st, codes, sizeof codes);
		return st->host->error_set(err, CD_ERR_CONFIG,
		    "%s: no rate table chosen: set 'table' to one of %s", plan, codes);
	}
	if (!s->has_dealer_cost || !s->has_admin_fee)
		return st->host->error_set(err, CD_ERR_CONFIG, "%s: no %s", plan,
		    !s->has_dealer_cost ? "dealer-cost-percent" : "admin-fee-percent");
	return CD_OK;
}

/* Adds an adjustment to *total: base x its percentage, or its amount. */
static cd_status
adjust(const table_state *st, const cd_rate_adjustment *a, int64_t base, int64_t *total,
    int64_t *added, cd_error *err)
{
	const cd_host_services *host = st->host;
	cd_status rc = CD_OK;

	if (a->kind == CD_ADJUST_PERCENT)
		rc = host->money_mul(base, a->factor, CD_ROUND_HALF_UP, added);
	else
		*added = a->amount;
	if (rc == CD_OK)
		rc = host->money_add(*total, *added, total);
	if (rc != CD_OK)
		return host->error_set(err, CD_ERR_OVERFLOW, "the price is out of range");
	return CD_OK;
}

/* Explains an adjustment: "COMMERCIAL +35% = 478.10" for a percentage,
 * "PERFORMANCE +180.00" for an amount. */
static void
explain_adjustment(const table_state *st, cd_pricing_result *out, const char *what,
    const cd_rate_adjustment *a, int64_t added, const char *currency)
{
	const char *sign = a->text[0] == '-' ? "" : "+";
	char amount[32];

	if (a->kind == CD_ADJUST_AMOUNT) {
		explain(out, "; %s %s%s", what, sign, a->text);
		return;
	}
	st->host->money_format(added, currency, amount, sizeof amount);
	explain(out, "; %s %s%s%% = %s", what, sign, a->text, amount);
}

/* The retail price: the table's rate for the request, its surcharges,
 * the plan's surcharge, then the dealer's adjustment. */
static cd_status
retail_price(const table_state *st, const cd_pricing_request *req, const settings *s,
    cd_pricing_result *out, int64_t *retail, cd_error *err)
{
	const cd_host_services *host = st->host;
	const cd_rate_table_info *info = host->rate_table_info(s->table);
	const char *cur = info->currency;
	const cd_rate_adjustment *a;
	const cd_rate_cell *cell;
	int64_t base, subtotal, added;
	char amount[32];
	cd_status rc;
	/* What the table is asked: the host reads it, never keeps it. */
	const cd_rate_query q = {
		.struct_size = sizeof q,
		.category = req->product_category,
		.model = req->model,
		.age_months = req->asset_age_months,
		.term_months = req->term_months,
		.usage_unit = req->usage_unit,
		.usage = req->usage_at_sale,
		.commercial_use = req->commercial_use,
	};

	/* The host finds the bands, and writes the message for the dealer
	 * when the table has no rate. */
	if ((rc = host->rate_table_lookup(s->table, &q, &cell, err)) != CD_OK)
		return rc;
	base = subtotal = cell->amount;
	explain(out, "%s %s %s/%s %d months: %s", info->code, cell->category, cell->age_band->id,
	    cell->usage_band->id, (int)cell->term_months, cell->text);

	/* Surcharges, each on the rate, in the table's order. */
	for (size_t i = 0; (a = host->rate_table_surcharge(s->table, &q, i)) != NULL; i++) {
		if ((rc = adjust(st, a, base, &subtotal, &added, err)) != CD_OK)
			return rc;
		explain_adjustment(st, out, a->code, a, added, cur);
	}
	if (s->has_plan_surcharge && s->plan_surcharge.factor.value != 0) {
		const cd_rate_adjustment own = {
			.struct_size = sizeof own,
			.kind = CD_ADJUST_PERCENT,
			.factor = s->plan_surcharge.factor,
			.text = s->plan_surcharge.text,
		};

		if ((rc = adjust(st, &own, base, &subtotal, &added, err)) != CD_OK)
			return rc;
		explain_adjustment(st, out, "plan", &own, added, cur);
	}

	/* The dealer's adjustment, on everything before it. */
	*retail = subtotal;
	a = req->dealer_id != NULL ?
	    host->rate_table_dealer_adjustment(s->table, req->dealer_id) : NULL;
	if (a != NULL) {
		char what[80];

		if ((rc = adjust(st, a, subtotal, retail, &added, err)) != CD_OK)
			return rc;
		snprintf(what, sizeof what, "dealer %s", a->code);
		explain_adjustment(st, out, what, a, added, cur);
	}
	if (*retail < 0)
		return host->error_set(err, CD_ERR_CONFIG,
		    "rate table %s: the adjustments take the price below zero", info->code);
	host->money_format(*retail, cur, amount, sizeof amount);
	explain(out, "; retail %s %s", amount, cur);
	return CD_OK;
}

/* Prices one request: see the top of the file. req and everything it
 * points to are borrowed for the call; the answer goes into *out, which the
 * host has zeroed. CD_ERR_INVALID, CD_ERR_NOT_FOUND and CD_ERR_UNSUPPORTED
 * reach the dealer, so their messages say exactly what is wrong. */
static cd_status
table_quote(void *state, const cd_pricing_request *req, cd_pricing_result *out,
    cd_error *err)
{
	const table_state *st = state;
	const cd_host_services *host = st->host;
	const cd_rate_table_info *info;
	char plan[80], amount[32];
	int64_t retail, dealer, admin;
	settings s;
	cd_status rc;

	if (req->product_category == NULL || req->product_category[0] == '\0')
		return host->error_set(err, CD_ERR_INVALID, "the asset has no product category");
	snprintf(plan, sizeof plan, "plan %s", req->plan_code ? req->plan_code : "?");
	if ((rc = plan_settings(st, req, plan, &s, err)) != CD_OK)
		return rc;
	info = host->rate_table_info(s.table);
	if (req->currency == NULL || strcmp(req->currency, info->currency) != 0)
		return host->error_set(err, CD_ERR_UNSUPPORTED,
		    "rate table %s prices in %s, not %s", info->code, info->currency,
		    req->currency != NULL ? req->currency : "(none)");

	if ((rc = retail_price(st, req, &s, out, &retail, err)) != CD_OK)
		return rc;
	/* The dealer cost, and its split into the fee and the reserve: the
	 * reserve is what the fee leaves, so nothing is lost to rounding. */
	rc = host->money_mul(retail, s.dealer_cost.factor, CD_ROUND_HALF_UP, &dealer);
	if (rc == CD_OK)
		rc = host->money_mul(dealer, s.admin_fee.factor, CD_ROUND_HALF_UP, &admin);
	if (rc != CD_OK)
		return host->error_set(err, rc, "the dealer cost is out of range");
	host->money_format(dealer, info->currency, amount, sizeof amount);
	explain(out, "; dealer cost %s%% = %s", s.dealer_cost.text, amount);
	host->money_format(admin, info->currency, amount, sizeof amount);
	explain(out, ", admin fee %s%% = %s", s.admin_fee.text, amount);

	out->retail_price = retail;
	out->dealer_cost = dealer;
	out->admin_fee = admin;
	out->claims_reserve = dealer - admin;
	out->tax_category = s.tax_category;
	return CD_OK;
}

/* The operations table and the descriptor are static and const: the host
 * only reads them, and they live as long as the plugin is loaded. */
static const cd_pricing_ops table_ops = {
	CD_OPS_HEADER(cd_pricing_ops),
	.quote = table_quote,
};

static const cd_plugin_descriptor table_descriptor = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PRICING,
	.name = "pricing-ratetable",
	.version = "1.0.0",
	.description = "prices from rate tables by category, asset age, usage and term, with "
	    "surcharges and dealer adjustments",
	.init = table_init,
	.fini = table_fini,
	.ops.pricing = &table_ops,
};

/* The one exported symbol. */
CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &table_descriptor;
}
