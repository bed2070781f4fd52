/* slow-pricing — a quote that takes its time, to hold a generation while a
 * reload swaps another in: it waits until the file named by the gate
 * parameter exists (at most 10 s), or else delay_ms (default 200). */
#include "test-plugin.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef struct state {
	const cd_host_services *host;
	const cd_plugin_ctx *ctx;
	int64_t delay_ms;
	const char *gate;      /* host->config_get's string: valid until fini */
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
	st->gate = host->config_get(ctx, "gate");
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

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static cd_status
quote(void *p, const cd_pricing_request *req, cd_pricing_result *out, cd_error *err)
{
	const state *st = p;

	st->host->log(st->ctx, CD_LOG_INFO, "quote started");
	if (st->gate != NULL) {
		for (int i = 0; i < 2000 && access(st->gate, F_OK) != 0; i++)
			sleep_ms(5);
	} else {
		sleep_ms(st->delay_ms);
	}
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
