/* unresolved-symbol — calls a function nothing defines, as a plugin does
 * that was linked against a server internal or a library the server lacks.
 * The host loads with RTLD_NOW, so this is a refusal at load time rather
 * than a crash in the middle of a request. */
#include "test-plugin.h"

void cd_symbol_nobody_defines(void);

static cd_status
quote(void *state, const cd_pricing_request *req, cd_pricing_result *out, cd_error *err)
{
	cd_symbol_nobody_defines();
	return stub_quote(state, req, out, err);
}

static const cd_pricing_ops ops = {
	CD_OPS_HEADER(cd_pricing_ops),
	.quote = quote,
};

static const cd_plugin_descriptor desc = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PRICING,
	.name = "unresolved-symbol",
	.version = "1.0.0",
	.ops.pricing = &ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
