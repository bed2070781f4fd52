/* pricing-percent — the price of a plan as a share of the asset's purchase
 * price: a rate chosen by product category and price band, times a factor
 * for the term, kept between a minimum and a maximum. The dealer remits a
 * share of that price, which splits into the administrator's fee and the
 * reserve for claims.
 *
 *     [plugin percent]
 *     file = pricing-percent.so
 *     currency = EUR
 *     rate.appliance = 0-500:0.14, 500-1500:0.12, 1500-:0.10
 *     rate.hvac = 0-5000:0.09, 5000-:0.075
 *     term-factors = 12:0.45, 24:0.80, 36:1.00, 60:1.45
 *     min-price = 49.00
 *     max-price = 1990.00
 *     dealer-cost-percent = 65
 *     admin-fee-percent = 30
 *
 *     retail price   = purchase price x rate x term factor, rounded half-up
 *                      to the cent, then raised to min-price or lowered to
 *                      max-price
 *     dealer cost    = retail price x dealer-cost-percent
 *                      (or purchase price x dealer rate x term factor)
 *     admin fee      = dealer cost x admin-fee-percent
 *     claims reserve = dealer cost - admin fee
 *
 * The parameters (docs/plugins.md, "Pricing plugins", has the full story):
 *
 *   currency               the one currency this instance prices in; all
 *                          amounts below are in it. Configuration only.
 *   rate.CATEGORY          the category's price bands, FROM-TO:RATE, ...:
 *                          a band holds purchase prices from FROM up to,
 *                          not including, TO; the last may leave TO out.
 *                          Bands follow each other without gaps. A key
 *                          also prices every category below it:
 *                          rate.appliance prices appliance.washer unless
 *                          rate.appliance.washer exists.
 *   term-factors           MONTHS:FACTOR, ...: one per term offered.
 *   min-price, max-price   optional bounds of the retail price.
 *   dealer-cost-percent    the share of the retail price the dealer remits.
 *   dealer-rate.CATEGORY   optional bands like rate.CATEGORY: the dealer
 *                          cost is then purchase price x this rate x term
 *                          factor, instead of dealer-cost-percent.
 *   admin-fee-percent      the share of the dealer cost that is the
 *                          administrator's fee.
 *   tax-category           S (default), Z, E or AE.
 *
 * Each may be set in the configuration and, for one plan, among the plan's
 * pricing parameters, which win: a plan parameter replaces the configured
 * parameter of the same name. The configuration's fixed-name parameters are
 * checked at init; the host offers no list of a section's keys, so
 * rate.CATEGORY keys of the configuration are read, and checked, when a
 * quote needs them. A plan parameter this plugin does not know is an error.
 *
 * Everything here comes from <contractd/plugin.h> and the C library. */
#include <contractd/plugin.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BANDS 16           /* per category */
#define MAX_TERMS 32
#define KEY_MAX 128            /* "dealer-rate." and a category */
#define TOKEN_MAX 32           /* one amount or factor in a list */

/* A share written as a percentage: "65" is the factor 0.65. */
typedef struct percent {
	cd_decimal factor;
	const char *text;          /* as written: valid as long as its parameter */
} percent;

/* One price band: purchase prices in [from, to) take rate. */
typedef struct band {
	int64_t from;
	int64_t to;                /* -1: no upper bound */
	cd_decimal rate;
	char rate_text[TOKEN_MAX];
} band;

/* A category's bands, read from its rate.CATEGORY parameter. */
typedef struct band_list {
	band bands[MAX_BANDS];
	size_t count;
	const char *category;      /* the category of the key: "appliance" */
} band_list;

typedef struct term_factor {
	int32_t months;
	cd_decimal factor;
	char text[TOKEN_MAX];
} term_factor;

/* The parameters with one value per plan: the configuration's, each maybe
 * replaced by the plan's. Rates are found by category (find_bands). */
typedef struct settings {
	term_factor terms[MAX_TERMS];
	size_t nterms;
	bool has_min, has_max, has_dealer_cost, has_admin_fee;
	int64_t min_price;
	int64_t max_price;
	percent dealer_cost;
	percent admin_fee;
	cd_tax_category tax_category;
} settings;

/* What init works out once. Operations run on many threads at once with
 * this state, so after init it is read-only. */
typedef struct percent_state {
	const cd_host_services *host; /* borrowed: valid until fini */
	const cd_plugin_ctx *ctx;
	char currency[4];
	settings defaults;            /* from the configuration */
} percent_state;

/* ------------------------------------------------------------------------
 * Parameters
 * ------------------------------------------------------------------------ */

static const char *
plan_param(const cd_pricing_request *req, const char *key)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].key, key) == 0)
			return req->params[i].value;
	return NULL;
}

/* The value of key for this request: the plan's if it sets one, else the
 * configuration's, else NULL. *from says which, for messages: plan ("plan
 * APPL-36") or "configuration". */
static const char *
param(const percent_state *st, const cd_pricing_request *req, const char *key,
    const char *plan, const char **from)
{
	const char *value = plan_param(req, key);

	if (value != NULL) {
		*from = plan;
		return value;
	}
	*from = "configuration";
	return st->host->config_get(st->ctx, key);
}

/* Copies s[0..len) without surrounding spaces into out. Returns -1 if it
 * does not fit. */
static int
copy_trimmed(const char *s, size_t len, char *out, size_t outlen)
{
	while (len > 0 && isspace((unsigned char)s[0])) {
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= outlen)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Splits the next item of the comma-separated list at *p around its first
 * sep into left and right, trimmed, and moves *p past the item. Returns 1
 * for an item, 0 at the end of the list, -1 for an item without sep or too
 * long; then *item and *item_len show the item, for a message. */
static int
next_item(const char **p, char sep, char *left, char *right, const char **item,
    int *item_len)
{
	size_t len = strcspn(*p, ",");
	const char *at;

	*item = *p;
	*item_len = (int)len;
	if (**p == '\0')
		return 0;
	*p += len + ((*p)[len] == ',');
	at = memchr(*item, sep, len);
	if (at == NULL || copy_trimmed(*item, (size_t)(at - *item), left, TOKEN_MAX) != 0 ||
	    copy_trimmed(at + 1, len - (size_t)(at - *item) - 1, right, TOKEN_MAX) != 0)
		return -1;
	return 1;
}

/* Parses an amount of the instance's currency. */
static cd_status
parse_amount(const percent_state *st, const char *key, const char *text, const char *from,
    int64_t *out, cd_error *err)
{
	if (st->host->money_parse(text, st->currency, out) != CD_OK || *out < 0)
		return st->host->error_set(err, CD_ERR_CONFIG,
		    "%s: %s = '%s' is not an amount in %s", from, key, text, st->currency);
	return CD_OK;
}

/* Parses a percentage from 0 to 100, with at most 7 decimals, into a
 * factor. */
static cd_status
parse_percent(const percent_state *st, const char *key, const char *text, const char *from,
    percent *out, cd_error *err)
{
	int64_t hundred = 100;
	cd_decimal d;

	if (st->host->decimal_parse(text, &d) != CD_OK || d.scale > 7)
		goto bad;
	for (int32_t i = 0; i < d.scale; i++)
		hundred *= 10;           /* 100 at d's scale: at most 10^9 */
	if (d.value < 0 || d.value > hundred)
		goto bad;
	/* 65 % is the factor 0.65: the same digits, two more decimals. */
	out->factor.value = d.value;
	out->factor.scale = d.scale + 2;
	out->text = text;
	return CD_OK;

bad:
	return st->host->error_set(err, CD_ERR_CONFIG,
	    "%s: %s = '%s' is not a percentage from 0 to 100", from, key, text);
}

/* Parses "MONTHS:FACTOR, ..." into s->terms. */
static cd_status
parse_terms(const percent_state *st, const char *text, const char *from, settings *s,
    cd_error *err)
{
	const cd_host_services *host = st->host;
	char months[TOKEN_MAX], factor[TOKEN_MAX], *end;
	const char *p = text, *item;
	int len, r;

	s->nterms = 0;
	while ((r = next_item(&p, ':', months, factor, &item, &len)) != 0) {
		term_factor *t = &s->terms[s->nterms];
		long m;

		if (r < 0)
			return host->error_set(err, CD_ERR_CONFIG,
			    "%s: term-factors: '%.*s' is not MONTHS:FACTOR", from, len, item);
		if (s->nterms == MAX_TERMS)
			return host->error_set(err, CD_ERR_CONFIG,
			    "%s: term-factors: more than %d terms", from, MAX_TERMS);
		m = strtol(months, &end, 10);
		if (*end != '\0' || end == months || m < 1 || m > 600)
			return host->error_set(err, CD_ERR_CONFIG,
			    "%s: term-factors: '%s' is not a term of 1 to 600 months", from,
			    months);
		for (size_t i = 0; i < s->nterms; i++)
			if (s->terms[i].months == m)
				return host->error_set(err, CD_ERR_CONFIG,
				    "%s: term-factors: %ld months appears twice", from, m);
		if (host->decimal_parse(factor, &t->factor) != CD_OK || t->factor.value <= 0)
			return host->error_set(err, CD_ERR_CONFIG,
			    "%s: term-factors: '%s' is not a positive factor", from, factor);
		t->months = (int32_t)m;
		memcpy(t->text, factor, sizeof t->text);
		s->nterms++;
	}
	if (s->nterms == 0)
		return host->error_set(err, CD_ERR_CONFIG, "%s: term-factors is empty", from);
	return CD_OK;
}

static cd_status
parse_tax_category(const percent_state *st, const char *text, const char *from,
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

/* Sets the one-value parameter key of s from text. CD_ERR_NOT_FOUND (and
 * no message) when key is not one of them. */
static cd_status
apply_setting(const percent_state *st, settings *s, const char *key, const char *text,
    const char *from, cd_error *err)
{
	cd_status rc = CD_ERR_NOT_FOUND;

	if (strcmp(key, "term-factors") == 0) {
		rc = parse_terms(st, text, from, s, err);
	} else if (strcmp(key, "min-price") == 0) {
		rc = parse_amount(st, key, text, from, &s->min_price, err);
		s->has_min = true;
	} else if (strcmp(key, "max-price") == 0) {
		rc = parse_amount(st, key, text, from, &s->max_price, err);
		s->has_max = true;
	} else if (strcmp(key, "dealer-cost-percent") == 0) {
		rc = parse_percent(st, key, text, from, &s->dealer_cost, err);
		s->has_dealer_cost = true;
	} else if (strcmp(key, "admin-fee-percent") == 0) {
		rc = parse_percent(st, key, text, from, &s->admin_fee, err);
		s->has_admin_fee = true;
	} else if (strcmp(key, "tax-category") == 0) {
		rc = parse_tax_category(st, text, from, &s->tax_category, err);
	}
	return rc;
}

static const char *const setting_keys[] = {
	"term-factors", "min-price", "max-price", "dealer-cost-percent", "admin-fee-percent",
	"tax-category",
};

/* Checks what only makes sense of the parameters together. */
static cd_status
check_settings(const percent_state *st, const settings *s, const char *from, cd_error *err)
{
	if (s->has_min && s->has_max && s->min_price > s->max_price)
		return st->host->error_set(err, CD_ERR_CONFIG,
		    "%s: min-price is above max-price", from);
	return CD_OK;
}

/* Parses the band list text of key ("rate.appliance") into *list. */
static cd_status
parse_bands(const percent_state *st, const char *key, const char *text, const char *from,
    band_list *list, cd_error *err)
{
	const cd_host_services *host = st->host;
	char range[TOKEN_MAX], rate[TOKEN_MAX], lo[TOKEN_MAX], hi[TOKEN_MAX];
	const char *p = text, *item;
	int len, r;

	list->count = 0;
	while ((r = next_item(&p, ':', range, rate, &item, &len)) != 0) {
		band *b = &list->bands[list->count];
		const char *dash = strchr(range, '-');

		if (r < 0 || dash == NULL ||
		    copy_trimmed(range, (size_t)(dash - range), lo, sizeof lo) != 0 ||
		    copy_trimmed(dash + 1, strlen(dash + 1), hi, sizeof hi) != 0)
			return host->error_set(err, CD_ERR_CONFIG,
			    "%s: %s: '%.*s' is not FROM-TO:RATE", from, key, len, item);
		if (list->count == MAX_BANDS)
			return host->error_set(err, CD_ERR_CONFIG, "%s: %s: more than %d bands",
			    from, key, MAX_BANDS);
		if (host->money_parse(lo, st->currency, &b->from) != CD_OK || b->from < 0 ||
		    (hi[0] != '\0' && host->money_parse(hi, st->currency, &b->to) != CD_OK))
			return host->error_set(err, CD_ERR_CONFIG,
			    "%s: %s: '%s' is not a range of amounts in %s", from, key, range,
			    st->currency);
		if (hi[0] == '\0')
			b->to = -1;
		if (b->to >= 0 && b->to <= b->from)
			return host->error_set(err, CD_ERR_CONFIG,
			    "%s: %s: band %s is empty", from, key, range);
		if (list->count > 0 && list->bands[list->count - 1].to != b->from)
			return host->error_set(err, CD_ERR_CONFIG,
			    "%s: %s: band %s does not start where the one before it ends", from,
			    key, range);
		if (host->decimal_parse(rate, &b->rate) != CD_OK || b->rate.value < 0)
			return host->error_set(err, CD_ERR_CONFIG,
			    "%s: %s: '%s' is not a rate (a factor such as 0.12)", from, key, rate);
		memcpy(b->rate_text, rate, sizeof b->rate_text);
		list->count++;
	}
	if (list->count == 0)
		return host->error_set(err, CD_ERR_CONFIG, "%s: %s has no bands", from, key);
	return CD_OK;
}

/* Finds the most specific band list for the request's category among the
 * keys "PREFIX.CATEGORY", "PREFIX.<its parent>", ...: the plan's or the
 * configuration's. CD_ERR_NOT_FOUND, with no message, when there is none;
 * list->category then is NULL. */
static cd_status
find_bands(const percent_state *st, const cd_pricing_request *req, const char *prefix,
    const char *plan, band_list *list, char key[KEY_MAX], cd_error *err)
{
	size_t plen = strlen(prefix) + 1;
	const char *value, *from;
	char *dot;

	list->category = NULL;
	if ((size_t)snprintf(key, KEY_MAX, "%s.%s", prefix, req->product_category) >= KEY_MAX)
		return CD_ERR_NOT_FOUND;
	for (;;) {
		value = param(st, req, key, plan, &from);
		if (value != NULL)
			break;
		/* rate.appliance.washer -> rate.appliance; rate.appliance -> none */
		dot = strrchr(key + plen, '.');
		if (dot == NULL)
			return CD_ERR_NOT_FOUND;
		*dot = '\0';
	}
	list->category = key + plen;
	return parse_bands(st, key, value, from, list, err);
}

/* The band of list that holds amount, or NULL. */
static const band *
band_for(const band_list *list, int64_t amount)
{
	for (size_t i = 0; i < list->count; i++)
		if (amount >= list->bands[i].from &&
		    (list->bands[i].to < 0 || amount < list->bands[i].to))
			return &list->bands[i];
	return NULL;
}

static const term_factor *
term_for(const settings *s, int32_t months)
{
	for (size_t i = 0; i < s->nterms; i++)
		if (s->terms[i].months == months)
			return &s->terms[i];
	return NULL;
}

/* ------------------------------------------------------------------------
 * Init and fini
 * ------------------------------------------------------------------------ */

/* Reads and checks the configuration once, so a mistake stops the plugin
 * from loading (with this message) instead of failing every quote. On an
 * error the host calls neither an operation nor fini: free what was made. */
static cd_status
percent_init(const cd_host_services *host, const cd_plugin_ctx *ctx, void **out,
    cd_error *err)
{
	const char *currency = host->config_get(ctx, "currency");
	percent_state *st = NULL;
	cd_status rc;

	if (currency == NULL || strlen(currency) != 3 || host->currency_exponent(currency) < 0)
		return host->error_set(err, CD_ERR_CONFIG,
		    "'currency' must be an ISO 4217 code such as EUR");
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return host->error_set(err, CD_ERR_INTERNAL, "out of memory");
	st->host = host;
	st->ctx = ctx;
	memcpy(st->currency, currency, sizeof st->currency);
	st->defaults.tax_category = CD_TAX_STANDARD;

	for (size_t i = 0; i < sizeof setting_keys / sizeof setting_keys[0]; i++) {
		const char *value = host->config_get(ctx, setting_keys[i]);

		if (value == NULL)
			continue;
		rc = apply_setting(st, &st->defaults, setting_keys[i], value, "configuration", err);
		if (rc != CD_OK)
			goto fail;
	}
	rc = check_settings(st, &st->defaults, "configuration", err);
	if (rc != CD_OK)
		goto fail;

	host->log(ctx, CD_LOG_INFO, "prices in %s; %zu term factors configured", st->currency,
	    st->defaults.nterms);
	*out = st;
	return CD_OK;

fail:
	free(st);
	return rc;
}

static void
percent_fini(void *state)
{
	free(state);
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

/* The request's own mistakes: these reach the dealer. */
static cd_status
check_request(const percent_state *st, const cd_pricing_request *req, cd_error *err)
{
	const cd_host_services *host = st->host;

	if (req->currency == NULL || strcmp(req->currency, st->currency) != 0)
		return host->error_set(err, CD_ERR_UNSUPPORTED, "prices in %s only, not %s",
		    st->currency, req->currency ? req->currency : "(none)");
	if (req->purchase_price <= 0)
		return host->error_set(err, CD_ERR_INVALID, "purchase price must be positive");
	if (req->product_category == NULL || req->product_category[0] == '\0')
		return host->error_set(err, CD_ERR_INVALID, "the asset has no product category");
	if (req->term_months <= 0)
		return host->error_set(err, CD_ERR_INVALID, "term must be at least one month");
	return CD_OK;
}

/* Starts from the configuration's settings and applies the plan's. */
static cd_status
plan_settings(const percent_state *st, const cd_pricing_request *req, const char *plan,
    settings *s, cd_error *err)
{
	cd_status rc;

	*s = st->defaults;
	for (size_t i = 0; i < req->nparams; i++) {
		const char *key = req->params[i].key;

		/* Bands are read by category, when a quote needs them. */
		if (strncmp(key, "rate.", 5) == 0 || strncmp(key, "dealer-rate.", 12) == 0)
			continue;
		rc = apply_setting(st, s, key, req->params[i].value, plan, err);
		if (rc == CD_ERR_NOT_FOUND)
			return st->host->error_set(err, CD_ERR_CONFIG,
			    "%s: unknown pricing parameter '%s'%s", plan, key,
			    strcmp(key, "currency") == 0 ?
			    " (the currency is the instance's, not the plan's)" : "");
		if (rc != CD_OK)
			return rc;
	}
	return check_settings(st, s, plan, err);
}

/* The purchase price x a band's rate x the term factor, rounded half-up
 * once, at the end. price_text is the purchase price, for messages. */
static cd_status
multiply(const percent_state *st, int64_t price, const char *price_text, const band *b,
    const term_factor *term, int64_t *out, cd_error *err)
{
	const cd_host_services *host = st->host;
	cd_decimal both;
	cd_status rc;

	rc = host->decimal_mul(b->rate, term->factor, &both);
	if (rc != CD_OK)
		return host->error_set(err, rc == CD_ERR_OVERFLOW ? CD_ERR_OVERFLOW : CD_ERR_CONFIG,
		    "rate %s x term factor %s has more than 9 decimals, or is too large",
		    b->rate_text, term->text);
	rc = host->money_mul(price, both, CD_ROUND_HALF_UP, out);
	if (rc != CD_OK)
		return host->error_set(err, rc, "%s x %s x %s %s is too large an amount",
		    price_text, b->rate_text, term->text, st->currency);
	return CD_OK;
}

/* The retail price: the purchase price x the rate of its band x the term
 * factor, then kept within min-price and max-price. */
static cd_status
retail_price(const percent_state *st, const cd_pricing_request *req, const char *plan,
    const settings *s, const term_factor *term, cd_pricing_result *out, int64_t *retail,
    cd_error *err)
{
	const cd_host_services *host = st->host;
	const char *cur = st->currency;
	char key[KEY_MAX], price[32], from[32], to[32], amount[32];
	band_list rates;
	const band *b;
	cd_status rc;

	host->money_format(req->purchase_price, cur, price, sizeof price);
	rc = find_bands(st, req, "rate", plan, &rates, key, err);
	if (rc == CD_ERR_NOT_FOUND)
		return host->error_set(err, CD_ERR_NOT_FOUND,
		    "%s has no rate for product category '%s'", plan, req->product_category);
	if (rc != CD_OK)
		return rc;
	b = band_for(&rates, req->purchase_price);
	if (b == NULL)
		return host->error_set(err, CD_ERR_NOT_FOUND,
		    "%s has no rate for a purchase price of %s %s in category '%s'", plan, price,
		    cur, rates.category);
	rc = multiply(st, req->purchase_price, price, b, term, retail, err);
	if (rc != CD_OK)
		return rc;

	host->money_format(b->from, cur, from, sizeof from);
	host->money_format(b->to, cur, to, sizeof to);
	host->money_format(*retail, cur, amount, sizeof amount);
	explain(out, "%s %s%s%s: %s x %s x %s (%d months) = %s %s", rates.category, from,
	    b->to < 0 ? " and over" : "-", b->to < 0 ? "" : to, price, b->rate_text, term->text,
	    (int)term->months, amount, cur);
	if (s->has_min && *retail < s->min_price) {
		*retail = s->min_price;
		host->money_format(*retail, cur, amount, sizeof amount);
		explain(out, ", raised to the minimum %s", amount);
	} else if (s->has_max && *retail > s->max_price) {
		*retail = s->max_price;
		host->money_format(*retail, cur, amount, sizeof amount);
		explain(out, ", lowered to the maximum %s", amount);
	}
	return CD_OK;
}

/* The dealer cost: the purchase price x the category's own dealer rate x
 * the term factor if the plan or configuration has one, else the retail
 * price x dealer-cost-percent. Never above the retail price. */
static cd_status
dealer_cost(const percent_state *st, const cd_pricing_request *req, const char *plan,
    const settings *s, const term_factor *term, int64_t retail, cd_pricing_result *out,
    int64_t *dealer, cd_error *err)
{
	const cd_host_services *host = st->host;
	const char *cur = st->currency;
	char key[KEY_MAX], price[32], amount[32];
	band_list rates;
	const band *b;
	cd_status rc;

	host->money_format(req->purchase_price, cur, price, sizeof price);
	rc = find_bands(st, req, "dealer-rate", plan, &rates, key, err);
	if (rc == CD_OK) {
		b = band_for(&rates, req->purchase_price);
		if (b == NULL)
			return host->error_set(err, CD_ERR_NOT_FOUND,
			    "%s has no dealer rate for a purchase price of %s %s in category '%s'",
			    plan, price, cur, rates.category);
		rc = multiply(st, req->purchase_price, price, b, term, dealer, err);
		if (rc != CD_OK)
			return rc;
		host->money_format(*dealer, cur, amount, sizeof amount);
		explain(out, "; dealer cost %s x %s = %s", b->rate_text, term->text, amount);
	} else if (rc == CD_ERR_NOT_FOUND) {
		if (!s->has_dealer_cost)
			return host->error_set(err, CD_ERR_CONFIG, "%s: no dealer-cost-percent "
			    "and no dealer-rate for category '%s'", plan, req->product_category);
		rc = host->money_mul(retail, s->dealer_cost.factor, CD_ROUND_HALF_UP, dealer);
		if (rc != CD_OK)
			return host->error_set(err, rc, "the dealer cost is out of range");
		host->money_format(*dealer, cur, amount, sizeof amount);
		explain(out, "; dealer cost %s%% = %s", s->dealer_cost.text, amount);
	} else {
		return rc;
	}
	if (*dealer > retail) {
		host->money_format(retail, cur, price, sizeof price);
		return host->error_set(err, CD_ERR_CONFIG, "%s: the dealer cost %s is above the "
		    "retail price %s %s", plan, amount, price, cur);
	}
	return CD_OK;
}

/* Prices one request: see the top of the file. req and everything it
 * points to are borrowed for the call; the answer goes into *out, which the
 * host has zeroed. CD_ERR_INVALID, CD_ERR_NOT_FOUND and CD_ERR_UNSUPPORTED
 * reach the dealer, so their messages say exactly what is wrong. */
static cd_status
percent_quote(void *state, const cd_pricing_request *req, cd_pricing_result *out,
    cd_error *err)
{
	const percent_state *st = state;
	const cd_host_services *host = st->host;
	const term_factor *term;
	char plan[80], amount[32];
	int64_t retail, dealer, admin;
	settings s;
	cd_status rc;

	if ((rc = check_request(st, req, err)) != CD_OK)
		return rc;
	snprintf(plan, sizeof plan, "plan %s", req->plan_code ? req->plan_code : "?");
	if ((rc = plan_settings(st, req, plan, &s, err)) != CD_OK)
		return rc;
	if (!s.has_admin_fee)
		return host->error_set(err, CD_ERR_CONFIG, "%s: no admin-fee-percent", plan);
	term = term_for(&s, req->term_months);
	if (term == NULL)
		return host->error_set(err, CD_ERR_NOT_FOUND, "%s has no term factor for %d months",
		    plan, (int)req->term_months);

	if ((rc = retail_price(st, req, plan, &s, term, out, &retail, err)) != CD_OK)
		return rc;
	if ((rc = dealer_cost(st, req, plan, &s, term, retail, out, &dealer, err)) != CD_OK)
		return rc;
	/* The dealer cost splits into the fee and the reserve, to the cent:
	 * the reserve is what the fee leaves, so nothing is lost to rounding. */
	rc = host->money_mul(dealer, s.admin_fee.factor, CD_ROUND_HALF_UP, &admin);
	if (rc != CD_OK)
		return host->error_set(err, rc, "the admin fee is out of range");
	host->money_format(admin, st->currency, amount, sizeof amount);
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
static const cd_pricing_ops percent_ops = {
	CD_OPS_HEADER(cd_pricing_ops),
	.quote = percent_quote,
};

static const cd_plugin_descriptor percent_descriptor = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PRICING,
	.name = "pricing-percent",
	.version = "1.0.0",
	.description = "a share of the purchase price by category and price band, times a term "
	    "factor, within a minimum and a maximum",
	.init = percent_init,
	.fini = percent_fini,
	.ops.pricing = &percent_ops,
};

/* The one exported symbol. */
CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &percent_descriptor;
}
