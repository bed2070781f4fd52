/* no-ops — a pricing plugin without an operations table. */
#include "test-plugin.h"

static const cd_plugin_descriptor desc = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = CD_PLUGIN_PRICING,
	.name = "no-ops",
	.version = "1.0.0",
	.ops.pricing = NULL,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
