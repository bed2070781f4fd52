/* lines-billing — a billing plugin that writes one labor line per
 * operation (hours x rate), to test how the host hands out and grows the
 * lines array. With greedy = 1 it asks for more room every time it is
 * called, which the host must stop.
 *
 * Parameters: rate (required amount per hour, in EUR), greedy (optional). */
#include "test-plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct state {
	const cd_host_services *host;
	int64_t rate;          /* EUR cents per hour */
	int64_t greedy;
} state;

static cd_status
init(const cd_host_services *host, const cd_plugin_ctx *ctx, void **out, cd_error *err)
{
	const char *rate = host->config_get(ctx, "rate");
	state *st = calloc(1, sizeof *st);

	if (st == NULL)
		return host->error_set(err, CD_ERR_INTERNAL, "out of memory");
	st->host = host;
	if (rate == NULL || host->money_parse(rate, "EUR", &st->rate) != CD_OK) {
		free(st);
		return host->error_set(err, CD_ERR_CONFIG, "rate must be an amount in EUR");
	}
	if (host->config_get_int(ctx, "greedy", &st->greedy, err) == CD_ERR_CONFIG) {
		free(st);
		return CD_ERR_CONFIG;
	}
	*out = st;
	return CD_OK;
}

static void
fini(void *p)
{
	free(p);
}

static cd_status
price_labor(void *p, const cd_billing_request *req, cd_lines *out, cd_error *err)
{
	const state *st = p;

	if (st->greedy) {
		out->count = out->capacity + 1;
		return st->host->error_set(err, CD_ERR_OVERFLOW, "need more room");
	}
	if (req->nops > out->capacity) {
		out->count = req->nops;
		return st->host->error_set(err, CD_ERR_OVERFLOW, "need %zu lines", req->nops);
	}
	for (size_t i = 0; i < req->nops; i++) {
		cd_line *l = &out->items[i];
		cd_status rc;

		l->kind = CD_LINE_LABOR;
		snprintf(l->code, sizeof l->code, "%s", req->ops[i].operation_code);
		l->quantity = req->ops[i].hours;
		l->unit_price = st->rate;
		rc = st->host->money_mul(st->rate, req->ops[i].hours, CD_ROUND_HALF_UP, &l->amount);
		if (rc != CD_OK)
			return st->host->error_set(err, rc, "line %zu out of range", i);
	}
	out->count = req->nops;
	return CD_OK;
}

static const cd_billing_ops ops = {
	CD_OPS_HEADER(cd_billing_ops),
	.price_labor = price_labor,
};

static const cd_plugin_descriptor desc = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_BILLING,
	.name = "lines-billing",
	.version = "1.0.0",
	.init = init,
	.fini = fini,
	.ops.billing = &ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
