/* null-entry — the entry function returns NULL instead of a descriptor. */
#include "test-plugin.h"

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_entry(void)
{
	return NULL;
}
