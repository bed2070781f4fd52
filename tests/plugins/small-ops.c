/* small-ops — an operations table whose struct_size was never set (the
 * author forgot CD_OPS_HEADER). */
#include "test-plugin.h"

static const cd_pricing_ops ops = {
	.quote = stub_quote,
};

static const cd_plugin_descriptor desc = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PRICING,
	.name = "small-ops",
	.version = "1.0.0",
	.ops.pricing = &ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
