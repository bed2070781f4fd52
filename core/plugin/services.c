/* plugin services — the cd_host_services table every plugin gets from init.
 *
 * Thin adapters over core/base: log.h for logging (the request id is
 * already thread-local there), money.h for amounts and decimals, the
 * instance's cd_plugin_ctx for configuration, and ratetable.h for rate
 * tables. Every entry is reentrant and checks the pointers a plugin hands
 * it, so a careless plugin gets an error code rather than a crash in the
 * host's code. */
#include "plugin/host.h"
#include "plugin/ratetable.h"
#include "base/log.h"
#include "base/money.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Logging and errors
 * ------------------------------------------------------------------------ */

static void CD_PRINTF(3, 4)
svc_log(const cd_plugin_ctx *ctx, cd_log_level level, const char *fmt, ...)
{
	log_level lv = level <= CD_LOG_DEBUG ? LOG_LEVEL_DEBUG :
	    level == CD_LOG_INFO ? LOG_LEVEL_INFO :
	    level == CD_LOG_WARN ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR;
	char msg[1024];
	va_list ap;

	if (lv < log_min_level() || fmt == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_write(lv, "plugin %s: %s", ctx != NULL ? ctx->name : "(no context)", msg);
}

static cd_status CD_PRINTF(3, 4)
svc_error_set(cd_error *err, cd_status status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->message == NULL || err->size == 0 || fmt == NULL)
		return status;
	va_start(ap, fmt);
	vsnprintf(err->message, err->size, fmt, ap);
	va_end(ap);
	return status;
}

/* ------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */

static const char *
svc_config_get(const cd_plugin_ctx *ctx, const char *key)
{
	if (ctx == NULL || key == NULL)
		return NULL;
	/* The last occurrence wins, as it does everywhere in contractd.conf. */
	for (size_t i = ctx->nparams; i-- > 0;)
		if (strcmp(ctx->params[i].key, key) == 0)
			return ctx->params[i].value;
	return NULL;
}

static cd_status
svc_config_get_int(const cd_plugin_ctx *ctx, const char *key, int64_t *out, cd_error *err)
{
	const char *v = svc_config_get(ctx, key);
	char *end;
	long long n;

	if (out == NULL)
		return CD_ERR_INVALID;
	if (v == NULL)
		return svc_error_set(err, CD_ERR_NOT_FOUND, "[plugin %s] has no '%s'",
		    ctx ? ctx->name : "?", key ? key : "(null)");
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0')
		return svc_error_set(err, CD_ERR_CONFIG,
		    "[plugin %s] %s = '%s': not a whole number", ctx->name, key, v);
	*out = n;
	return CD_OK;
}

static cd_status
svc_config_get_decimal(const cd_plugin_ctx *ctx, const char *key, cd_decimal *out,
    cd_error *err)
{
	const char *v = svc_config_get(ctx, key);
	rate r;

	if (out == NULL)
		return CD_ERR_INVALID;
	if (v == NULL)
		return svc_error_set(err, CD_ERR_NOT_FOUND, "[plugin %s] has no '%s'",
		    ctx ? ctx->name : "?", key ? key : "(null)");
	if (rate_parse(v, &r) != MONEY_OK)
		return svc_error_set(err, CD_ERR_CONFIG,
		    "[plugin %s] %s = '%s': not a decimal number (at most %d decimals)", ctx->name,
		    key, v, RATE_MAX_SCALE);
	out->value = r.value;
	out->scale = r.scale;
	return CD_OK;
}

static cd_status
svc_config_path(const cd_plugin_ctx *ctx, const char *path, char *out, size_t outlen)
{
	int n;

	if (ctx == NULL || path == NULL || out == NULL || outlen == 0)
		return CD_ERR_INVALID;
	if (path[0] == '/' || ctx->config_dir == NULL)
		n = snprintf(out, outlen, "%s", path);
	else
		n = snprintf(out, outlen, "%s/%s", ctx->config_dir, path);
	return n < 0 || (size_t)n >= outlen ? CD_ERR_OVERFLOW : CD_OK;
}

/* ------------------------------------------------------------------------
 * Money and decimals
 * ------------------------------------------------------------------------ */

static cd_status
from_money(money_status st)
{
	switch (st) {
	case MONEY_OK:
		return CD_OK;
	case MONEY_EOVERFLOW:
		return CD_ERR_OVERFLOW;
	default:
		return CD_ERR_INVALID;
	}
}

static int
to_rate(cd_decimal d, rate *out)
{
	if (d.scale < 0 || d.scale > RATE_MAX_SCALE)
		return -1;
	out->value = d.value;
	out->scale = (int)d.scale;
	return 0;
}

static int
to_round_mode(cd_rounding mode, round_mode *out)
{
	switch (mode) {
	case CD_ROUND_HALF_UP:
		*out = ROUND_HALF_UP;
		return 0;
	case CD_ROUND_HALF_EVEN:
		*out = ROUND_HALF_EVEN;
		return 0;
	case CD_ROUND_DOWN:
		*out = ROUND_DOWN;
		return 0;
	case CD_ROUND_UP:
		*out = ROUND_UP;
		return 0;
	case CD_ROUND_FLOOR:
		*out = ROUND_FLOOR;
		return 0;
	case CD_ROUND_CEILING:
		*out = ROUND_CEILING;
		return 0;
	}
	return -1;
}

static int
svc_currency_exponent(const char *currency)
{
	return currency != NULL ? currency_exponent(currency) : -1;
}

static cd_status
svc_money_parse(const char *text, const char *currency, int64_t *out)
{
	if (text == NULL || currency == NULL || out == NULL)
		return CD_ERR_INVALID;
	return from_money(money_parse(text, currency, out));
}

static cd_status
svc_money_format(int64_t amount, const char *currency, char *out, size_t outlen)
{
	money_status st;

	if (currency == NULL || out == NULL)
		return CD_ERR_INVALID;
	st = money_format(amount, currency, out, outlen);
	/* Here MONEY_ERANGE means out is too small. */
	return st == MONEY_ERANGE ? CD_ERR_OVERFLOW : from_money(st);
}

static cd_status
svc_money_mul(int64_t amount, cd_decimal factor, cd_rounding mode, int64_t *out)
{
	round_mode rm;
	rate r;

	if (out == NULL || to_rate(factor, &r) != 0 || to_round_mode(mode, &rm) != 0)
		return CD_ERR_INVALID;
	return from_money(money_mul_rate(amount, r, rm, out));
}

static cd_status
svc_money_mul_frac(int64_t amount, int64_t num, int64_t den, cd_rounding mode, int64_t *out)
{
	round_mode rm;

	if (out == NULL || to_round_mode(mode, &rm) != 0)
		return CD_ERR_INVALID;
	return from_money(money_mul_frac(amount, num, den, rm, out));
}

static cd_status
svc_money_add(int64_t a, int64_t b, int64_t *out)
{
	if (out == NULL)
		return CD_ERR_INVALID;
	return from_money(money_add(a, b, out));
}

static cd_status
svc_decimal_parse(const char *text, cd_decimal *out)
{
	rate r;
	cd_status st;

	if (text == NULL || out == NULL)
		return CD_ERR_INVALID;
	st = from_money(rate_parse(text, &r));
	if (st == CD_OK) {
		out->value = r.value;
		out->scale = r.scale;
	}
	return st;
}

static cd_status
svc_decimal_mul(cd_decimal a, cd_decimal b, cd_decimal *out)
{
	rate ra, rb, r;
	cd_status st;

	if (out == NULL || to_rate(a, &ra) != 0 || to_rate(b, &rb) != 0)
		return CD_ERR_INVALID;
	st = from_money(rate_mul(ra, rb, &r));
	if (st == CD_OK) {
		out->value = r.value;
		out->scale = r.scale;
	}
	return st;
}

/* ------------------------------------------------------------------------
 * Rate tables: ratetable.c does the work; loading resolves the path as
 * config_path does and logs what was loaded under the plugin's name. The
 * lookups are ratetable.c's own functions, which check their arguments.
 * ------------------------------------------------------------------------ */

static cd_status
svc_rate_table_load(const cd_plugin_ctx *ctx, const char *path, cd_rate_table **out,
    cd_error *err)
{
	const cd_rate_table_info *info;
	char resolved[PATH_MAX];
	cd_status st;

	if (out == NULL)
		return svc_error_set(err, CD_ERR_INVALID, "rate_table_load: out is NULL");
	*out = NULL;
	if (ctx == NULL || path == NULL || path[0] == '\0')
		return svc_error_set(err, CD_ERR_CONFIG,
		    "rate_table_load: no rate table file named");
	if (svc_config_path(ctx, path, resolved, sizeof resolved) != CD_OK)
		return svc_error_set(err, CD_ERR_CONFIG, "rate table %.200s: path too long", path);
	st = rate_table_load(resolved, out, err);
	if (st != CD_OK)
		return st;
	info = rate_table_info(*out);
	svc_log(ctx, CD_LOG_INFO, "rate table %s (%s) loaded from %s: %zu rates, %zu surcharges, "
	    "%zu dealer adjustments", info->code, info->currency, info->path, info->nrates,
	    info->nsurcharges, info->ndealer_adjustments);
	return CD_OK;
}

/* ------------------------------------------------------------------------
 * The table. Entries are only ever appended (see the SDK's changelog).
 * ------------------------------------------------------------------------ */

static const cd_host_services services = {
	.struct_size = sizeof(cd_host_services),
	.abi_major = CD_PLUGIN_ABI_MAJOR,
	.abi_minor = CD_PLUGIN_ABI_MINOR,
	.log = svc_log,
	.error_set = svc_error_set,
	.config_get = svc_config_get,
	.config_get_int = svc_config_get_int,
	.config_get_decimal = svc_config_get_decimal,
	.config_path = svc_config_path,
	.currency_exponent = svc_currency_exponent,
	.money_parse = svc_money_parse,
	.money_format = svc_money_format,
	.money_mul = svc_money_mul,
	.money_mul_frac = svc_money_mul_frac,
	.money_add = svc_money_add,
	.decimal_parse = svc_decimal_parse,
	.decimal_mul = svc_decimal_mul,
	.rate_table_load = svc_rate_table_load,
	.rate_table_free = rate_table_free,
	.rate_table_info = rate_table_info,
	.rate_table_lookup = rate_table_lookup,
	.rate_table_surcharge = rate_table_surcharge,
	.rate_table_dealer_adjustment = rate_table_dealer_adjustment,
};

const cd_host_services *
plugin_host_services(void)
{
	return &services;
}
