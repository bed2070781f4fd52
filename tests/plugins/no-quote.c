/* no-quote — a pricing plugin whose table lacks quote, its one required
 * operation. */
#include "test-plugin.h"

static const cd_pricing_ops ops = {
	CD_OPS_HEADER(cd_pricing_ops),
	.quote = NULL,
};

static const cd_plugin_descriptor desc = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PRICING,
	.name = "no-quote",
	.version = "1.0.0",
	.ops.pricing = &ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
