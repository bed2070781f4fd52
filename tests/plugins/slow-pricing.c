/* slow-pricing — a quote that takes delay_ms (default 200) milliseconds,
 * to hold a generation while a reload swaps another in. */
#include "test-plugin.h"

#include <stdlib.h>
#include <time.h>

typedef struct state {
	const cd_host_services *host;
	const cd_plugin_ctx *ctx;
	int64_t delay_ms;
} state;

static cd_status
init(const cd_host_services *host, const cd_plugin_ctx *ctx, void **out, cd_error *err)
{
	state *st = calloc(1, sizeof *st);
	cd_status rc;

	if (st == NULL)
		return host->error_set(err, CD_ERR_INTERNAL, "out of memory");
	st->host = host;
	st->ctx = ctx;
	rc = host->config_get_int(ctx, "delay_ms", &st->delay_ms, err);
	if (rc == CD_ERR_NOT_FOUND) {
		st->delay_ms = 200;
	} else if (rc != CD_OK) {
		free(st);
		return rc;
	}
	*out = st;
	return CD_OK;
}

static void
fini(void *p)
{
	state *st = p;

	st->host->log(st->ctx, CD_LOG_INFO, "fini");
	free(st);
}

static cd_status
quote(void *p, const cd_pricing_request *req, cd_pricing_result *out, cd_error *err)
{
	const state *st = p;
	struct timespec ts = { st->delay_ms / 1000, (st->delay_ms % 1000) * 1000000L };

	st->host->log(st->ctx, CD_LOG_INFO, "quote started");
	while (nanosleep(&ts, &ts) != 0)
		;
	st->host->log(st->ctx, CD_LOG_INFO, "quote done");
	return stub_quote(p, req, out, err);
}

static const cd_pricing_ops ops = {
	CD_OPS_HEADER(cd_pricing_ops),
	.quote = quote,
};

static const cd_plugin_descriptor desc = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PRICING,
	.name = "slow-pricing",
	.version = "0.1",
	.init = init,
	.fini = fini,
	.ops.pricing = &ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
