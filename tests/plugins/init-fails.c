/* init-fails — init refuses its configuration with a message of its own.
 * The host must refuse the plugin, pass the message on, and never call
 * fini (which here would abort the test). */
#include "test-plugin.h"

#include <stdlib.h>

static cd_status
init(const cd_host_services *host, const cd_plugin_ctx *ctx, void **state, cd_error *err)
{
	const char *table = host->config_get(ctx, "table");
	char path[512];

	(void)state;
	if (table == NULL)
		return host->error_set(err, CD_ERR_CONFIG, "no 'table' parameter");
	if (host->config_path(ctx, table, path, sizeof path) != CD_OK)
		return host->error_set(err, CD_ERR_CONFIG, "table path too long");
	return host->error_set(err, CD_ERR_CONFIG, "rate table %s not found", path);
}

static void
fini(void *state)
{
	(void)state;
	abort(); /* the host must not call fini after a failed init */
}

static const cd_plugin_descriptor desc = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PRICING,
	.name = "init-fails",
	.version = "1.0.0",
	.init = init,
	.fini = fini,
	.ops.pricing = &stub_pricing_ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
