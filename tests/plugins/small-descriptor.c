/* small-descriptor — struct_size smaller than the ABI 1.0 descriptor: the
 * host cannot trust the fields past it. */
#include "test-plugin.h"

static const cd_plugin_descriptor desc = {
	.magic = CD_PLUGIN_MAGIC,
	.abi_major = CD_PLUGIN_ABI_MAJOR,
	.abi_minor = CD_PLUGIN_ABI_MINOR,
	.struct_size = 12,
	.kind = CD_PLUGIN_PRICING,
	.name = "small-descriptor",
	.version = "1.0.0",
	.ops.pricing = &stub_pricing_ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
