/* bad-abi-major — claims ABI 2.x: the host must refuse it and say rebuild. */
#include "test-plugin.h"

static const cd_plugin_descriptor desc = {
	.magic = CD_PLUGIN_MAGIC,
	.abi_major = CD_PLUGIN_ABI_MAJOR + 1,
	.abi_minor = 0,
	.struct_size = sizeof(cd_plugin_descriptor),
	.kind = CD_PLUGIN_PRICING,
	.name = "bad-abi-major",
	.version = "1.0.0",
	.ops.pricing = &stub_pricing_ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
