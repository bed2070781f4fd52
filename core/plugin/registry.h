/* plugin registry — the configured plugins as reference-counted generations.
 *
 * A plugin_set is every plugin the configuration names, loaded and
 * initialised together: all of them or none (Varnish). The registry holds
 * the current set; a request acquires it once, uses it throughout and
 * releases it when it is done. A reload (SIGHUP) loads a whole new set
 * beside the running one and swaps it in; the old set is finalised (fini,
 * dlclose) only when its last holder lets go, so requests in flight finish
 * on the plugins they started with (nginx cycles). A set that fails to load
 * changes nothing.
 *
 *     plugin_set *set = plugin_registry_acquire(reg);
 *     const loaded_plugin *p = plugin_set_find(set, plan->pricing_plugin);
 *     ... plugin_quote(p, &req, &res, err, sizeof err) ...
 *     plugin_set_release(set);
 *
 * Acquire, release and swap are thread-safe; the sets and plugins
 * themselves are read-only once loaded. */
#ifndef CD_PLUGIN_REGISTRY_H
#define CD_PLUGIN_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "plugin/host.h"

typedef struct plugin_set plugin_set;
typedef struct plugin_registry plugin_registry;

/* Loads every plugin in cfg->plugins, in configuration order; a relative
 * file resolves against cfg->plugin_dir, relative paths in parameters
 * against cfg->dir. cache_dir is plugin_spec's: a server passes a directory
 * of its own (its copies make reloads pick up replaced files), a one-shot
 * tool may pass NULL. Returns a new set holding one reference, for
 * plugin_registry_swap() or plugin_set_release(); or NULL with the first
 * failure in err, after unloading (fini, dlclose) whatever had loaded. */
plugin_set *plugin_set_load(const config *cfg, const char *cache_dir, char *err, size_t errlen);
/* The path of a configured plugin file: file itself when absolute, else
 * resolved against cfg->plugin_dir. A new string the caller frees. */
char *plugin_file_path(const config *cfg, const char *file);
/* Drops one reference; the last one finalises every plugin in the set, in
 * reverse load order, on the calling thread. NULL is fine. */
void plugin_set_release(plugin_set *set);

/* The plugin configured as "[plugin NAME]", or NULL. Borrowed: valid while
 * the caller holds set. */
const loaded_plugin *plugin_set_find(const plugin_set *set, const char *name);
/* The first plugin of kind in configuration order, or NULL. Borrowed. */
const loaded_plugin *plugin_set_first_of_kind(const plugin_set *set, cd_plugin_kind kind);
/* Iteration (for /metrics and listings): plugin i of count, in
 * configuration order. Borrowed. */
size_t plugin_set_count(const plugin_set *set);
const loaded_plugin *plugin_set_get(const plugin_set *set, size_t i);
/* The set's generation: 0 until swapped in, then 1, 2, ... per registry. */
uint64_t plugin_set_generation(const plugin_set *set);

/* A new registry with no current set (acquire returns NULL until the first
 * swap). Free with plugin_registry_free(). */
plugin_registry *plugin_registry_new(void);
/* Drops the registry's reference to its current set and frees the
 * registry. Call it once no thread can acquire any more; sets still held
 * are finalised when their holders release them. */
void plugin_registry_free(plugin_registry *reg);
/* The current set with one more reference, which the caller releases with
 * plugin_set_release(); NULL before the first swap. Never blocks on a
 * reload: loading happens outside the registry. */
plugin_set *plugin_registry_acquire(plugin_registry *reg);
/* Makes set current, taking over the caller's reference to it, and drops
 * the registry's reference to the previous set (finalised once its last
 * holder releases it). Returns set's generation number, or 0 (nothing
 * changed) when set is NULL. */
uint64_t plugin_registry_swap(plugin_registry *reg, plugin_set *set);

#endif
