/* plugin host — loading, checking and calling one plugin.
 *
 * plugin_load() opens a shared object, asks its entry function for the
 * descriptor and checks it field by field before anything of the plugin
 * runs except that entry function: magic, ABI major and minor, sizes, kind,
 * name and version, the operations table. Only then is init called. A
 * plugin that fails any check is refused with a message that names the file
 * and says what is wrong, and nothing of it stays loaded.
 *
 * The host's side of the ABI is contractd/plugin.h; docs/plugins.md is the
 * guide for plugin authors. */
#ifndef CD_PLUGIN_HOST_H
#define CD_PLUGIN_HOST_H

#include <stddef.h>

#include "base/crypto.h"
#include "config/config.h"
#include "contractd/plugin.h"

/* What the host keeps for one configured instance, handed to every host
 * service the plugin calls. Owned by the loaded_plugin; all copies, so the
 * configuration it came from may be freed. */
struct cd_plugin_ctx {
	char *name;           /* the instance name: "[plugin NAME]", or the descriptor's */
	cd_param *params;     /* the section's parameters, in file order */
	size_t nparams;
	char *config_dir;     /* where relative paths resolve; NULL: the working directory */
};

/* One loaded, checked and initialised plugin instance. Read-only after
 * plugin_load() returns, so any number of threads may use it at once. */
typedef struct loaded_plugin {
	const cd_plugin_descriptor *desc; /* static data inside the plugin */
	void *state;                      /* what the plugin's init made */
	void *handle;                     /* from dlopen */
	cd_plugin_ctx ctx;
	char *path;                       /* the file, absolute, as configured */
	char sha256[SHA256_HEX_LEN + 1];  /* of the bytes that were loaded */
} loaded_plugin;

/* How to load one instance. Only path is required. */
typedef struct plugin_spec {
	const char *path;          /* the shared object */
	const char *name;          /* instance name; NULL: the descriptor's name */
	const config_kv *params;   /* from "[plugin NAME]"; may be NULL */
	size_t nparams;
	const char *config_dir;    /* config_path() resolves here; NULL: working directory */
	/* NULL: dlopen the file in place. Otherwise the host writes a private
	 * copy of the file here (created 0700 if missing), loads the copy and
	 * unlinks it at once. A server must use this: glibc's dlopen hands back
	 * an object already loaded under the same path, so without a copy a
	 * reload would keep running the old code of a replaced plugin while
	 * reporting the new file's hash. */
	const char *cache_dir;
} plugin_spec;

/* The largest plugin file the host reads (it hashes the whole file). */
#define PLUGIN_FILE_MAX (64u * 1024 * 1024)

/* Loads, checks and initialises the plugin spec describes. Returns a new
 * loaded_plugin that the caller releases with plugin_unload(), or NULL with
 * the reason in err ("plugin FILE: ..."); then nothing stays loaded and
 * fini has not run. */
loaded_plugin *plugin_load(const plugin_spec *spec, char *err, size_t errlen);
/* Calls fini, closes the shared object and frees p. No operation of p may
 * be running or start afterwards. NULL is fine. */
void plugin_unload(loaded_plugin *p);

/* "pricing", "billing", "parts", or "unknown". */
const char *plugin_kind_name(cd_plugin_kind kind);
/* "CD_OK", "CD_ERR_INVALID", ... or "unknown status". */
const char *plugin_status_name(cd_status status);
/* The services table every plugin gets from init (static, never freed). */
const cd_host_services *plugin_host_services(void);

/* ------------------------------------------------------------------------
 * Calling operations. These are the only way the server calls into a
 * plugin: each prepares the output (zeroed, struct_size set), gives the
 * plugin an error buffer, and makes sure what comes back is well formed (a
 * known status, a message with every error, NUL-terminated strings). They
 * are reentrant; p must stay loaded for the call (hold its plugin_set).
 * On an error the message is in err, prefixed with the instance name.
 * ------------------------------------------------------------------------ */

/* Prices req with a pricing plugin into *out. */
cd_status plugin_quote(const loaded_plugin *p, const cd_pricing_request *req,
    cd_pricing_result *out, char *err, size_t errlen);

/* The most lines the host accepts from one billing or parts call. */
#define PLUGIN_LINES_MAX 4096

/* Prices labor with a billing plugin, or parts with a parts plugin. On
 * CD_OK *lines is a new array of *nlines lines that the caller frees (NULL
 * when there are none); on an error *lines is NULL. When the plugin needs
 * more room than the host offered (CD_ERR_OVERFLOW with count set) the host
 * retries once with the size it asked for, up to PLUGIN_LINES_MAX. */
cd_status plugin_price_labor(const loaded_plugin *p, const cd_billing_request *req,
    cd_line **lines, size_t *nlines, char *err, size_t errlen);
cd_status plugin_price_parts(const loaded_plugin *p, const cd_parts_request *req,
    cd_line **lines, size_t *nlines, char *err, size_t errlen);

#endif
