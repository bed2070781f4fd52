/* no-entry — a shared object without contractd_plugin_entry (its author
 * misspelled it): not a contractd plugin. */
#include "test-plugin.h"

CD_PLUGIN_EXPORT const cd_plugin_descriptor *contractd_plugin_init(void);

CD_PLUGIN_EXPORT const cd_plugin_descriptor *
contractd_plugin_init(void)
{
	return NULL;
}
