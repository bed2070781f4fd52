/* plugin registry — reference-counted generations of plugins. See registry.h. */
#include "plugin/registry.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct plugin_set {
	atomic_size_t refs;
	uint64_t generation;      /* written once, under the registry lock, before sharing */
	loaded_plugin **plugins;  /* in configuration order */
	char **names;             /* the "[plugin NAME]" of each */
	size_t n;
};

struct plugin_registry {
	/* Guards current and taking a reference to it, so that a set cannot
	 * be finalised between a reader loading the pointer and counting
	 * itself in. The critical sections are a few instructions long. */
	pthread_mutex_t lock;
	plugin_set *current;
	uint64_t generations;
};

/* ------------------------------------------------------------------------
 * Sets
 * ------------------------------------------------------------------------ */

/* Unloads the first n plugins of set in reverse order and frees it. */
static void
set_destroy(plugin_set *set, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		plugin_unload(set->plugins[i]);
		free(set->names[i]);
	}
	free(set->plugins);
	free(set->names);
	free(set);
}

char *
plugin_file_path(const config *cfg, const char *file)
{
	if (file[0] == '/' || cfg->plugin_dir == NULL)
		return xstrdup(file);
	return xasprintf("%s/%s", cfg->plugin_dir, file);
}

/* Loads every configured plugin, all or none: see registry.h. */
plugin_set *
plugin_set_load(const config *cfg, const char *cache_dir, char *err, size_t errlen)
{
	plugin_set *set = xcalloc(1, sizeof *set);
	size_t loaded = 0;
	char *path = NULL;

	atomic_init(&set->refs, 1);
	set->n = cfg->nplugins;
	set->plugins = xcalloc(cfg->nplugins, sizeof *set->plugins);
	set->names = xcalloc(cfg->nplugins, sizeof *set->names);
	for (; loaded < cfg->nplugins; loaded++) {
		const plugin_config *pc = &cfg->plugins[loaded];
		plugin_spec spec = {
			.name = pc->name,
			.params = pc->params,
			.nparams = pc->nparams,
			.config_dir = cfg->dir,
			.cache_dir = cache_dir,
		};

		if (pc->file == NULL) {
			snprintf(err, errlen, "[plugin %s] has no 'file'", pc->name);
			goto fail;
		}
		path = plugin_file_path(cfg, pc->file);
		spec.path = path;
		set->plugins[loaded] = plugin_load(&spec, err, errlen);
		free(path);
		path = NULL;
		if (set->plugins[loaded] == NULL)
			goto fail;
		set->names[loaded] = xstrdup(pc->name);
	}
	return set;

fail:
	set_destroy(set, loaded);
	return NULL;
}

void
plugin_set_release(plugin_set *set)
{
	if (set == NULL)
		return;
	/* acq_rel: everything the holders did happens before the finalising. */
	if (atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (set->generation != 0)
		log_info("plugins: generation %llu finalised (%zu plugins)",
		    (unsigned long long)set->generation, set->n);
	set_destroy(set, set->n);
}

const loaded_plugin *
plugin_set_find(const plugin_set *set, const char *name)
{
	for (size_t i = 0; set != NULL && name != NULL && i < set->n; i++)
		if (strcmp(set->names[i], name) == 0)
			return set->plugins[i];
	return NULL;
}

const loaded_plugin *
plugin_set_first_of_kind(const plugin_set *set, cd_plugin_kind kind)
{
	for (size_t i = 0; set != NULL && i < set->n; i++)
		if (set->plugins[i]->desc->kind == kind)
			return set->plugins[i];
	return NULL;
}

size_t
plugin_set_count(const plugin_set *set)
{
	return set != NULL ? set->n : 0;
}

const loaded_plugin *
plugin_set_get(const plugin_set *set, size_t i)
{
	return set != NULL && i < set->n ? set->plugins[i] : NULL;
}

uint64_t
plugin_set_generation(const plugin_set *set)
{
	return set != NULL ? set->generation : 0;
}

/* ------------------------------------------------------------------------
 * The registry
 * ------------------------------------------------------------------------ */

plugin_registry *
plugin_registry_new(void)
{
	plugin_registry *reg = xcalloc(1, sizeof *reg);

	pthread_mutex_init(&reg->lock, NULL);
	return reg;
}

void
plugin_registry_free(plugin_registry *reg)
{
	if (reg == NULL)
		return;
	plugin_set_release(reg->current);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

plugin_set *
plugin_registry_acquire(plugin_registry *reg)
{
	plugin_set *set;

	pthread_mutex_lock(&reg->lock);
	set = reg->current;
	if (set != NULL)
		atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&reg->lock);
	return set;
}

uint64_t
plugin_registry_swap(plugin_registry *reg, plugin_set *set)
{
	plugin_set *old;
	uint64_t gen;

	if (set == NULL)
		return 0;
	pthread_mutex_lock(&reg->lock);
	gen = set->generation = ++reg->generations;
	old = reg->current;
	reg->current = set;
	pthread_mutex_unlock(&reg->lock);
	log_info("plugins: generation %llu active (%zu plugins)", (unsigned long long)gen, set->n);
	/* Outside the lock: if nobody holds the old set, this finalises it. */
	plugin_set_release(old);
	return gen;
}
