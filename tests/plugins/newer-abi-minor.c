/* newer-abi-minor — built for a minor newer than the host's: it may use
 * host services the host does not have, so the host must refuse it. */
#include "test-plugin.h"

static const cd_plugin_descriptor desc = {
	.magic = CD_PLUGIN_MAGIC,
	.abi_major = CD_PLUGIN_ABI_MAJOR,
	.abi_minor = CD_PLUGIN_ABI_MINOR + 1,
	.struct_size = sizeof(cd_plugin_descriptor),
	.kind = CD_PLUGIN_PRICING,
	.name = "newer-abi-minor",
	.version = "1.0.0",
	.ops.pricing = &stub_pricing_ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
