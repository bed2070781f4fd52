/* bad-kind — a plugin kind this contractd does not know. */
#include "test-plugin.h"

static const cd_plugin_descriptor desc = {
	CD_PLUGIN_DESCRIPTOR_HEADER,
	.kind = (cd_plugin_kind)42,
	.name = "bad-kind",
	.version = "1.0.0",
	.ops.pricing = &stub_pricing_ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
