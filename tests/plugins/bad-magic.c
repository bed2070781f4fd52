/* bad-magic — the descriptor does not start with CD_PLUGIN_MAGIC, as when
 * the entry function returns something else entirely. */
#include "test-plugin.h"

static const cd_plugin_descriptor desc = {
	.magic = 0x12345678u,
	.abi_major = CD_PLUGIN_ABI_MAJOR,
	.abi_minor = CD_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(cd_plugin_descriptor),
	.kind = CD_PLUGIN_PRICING,
	.name = "bad-magic",
	.version = "1.0.0",
	.ops.pricing = &stub_pricing_ops,
};

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return &desc;
}
