/* config — contractd.conf, the one configuration file.
 *
 * INI style: "[section]" headers, "key = value" lines, "#" or ";" start a
 * comment line. Plugin sections are "[plugin NAME]": their "file" names the
 * shared object and every other key is a parameter handed to the plugin.
 * contractd.conf(5) documents every key. Later issues read their own
 * sections through config_get(). */
#ifndef CD_CONFIG_CONFIG_H
#define CD_CONFIG_CONFIG_H

#include <stddef.h>

#include "base/log.h"

typedef struct config_kv {
	char *key;
	char *value;
} config_kv;

typedef struct plugin_config {
	char *name;      /* from the section header */
	char *file;      /* absolute, or relative to the plugin directory */
	config_kv *params;
	size_t nparams;
} plugin_config;

typedef struct config {
	char *path;              /* the file read, or NULL for defaults */
	char *dir;               /* its directory: relative paths resolve here */

	/* [server] */
	char *listen_host;
	int listen_port;
	int http_threads;        /* event threads, one event base each */
	int workers;             /* request workers, one database connection each */
	char *state_dir;
	char *tls_cert;          /* both set: HTTPS */
	char *tls_key;
	char *tls_client_ca;     /* set: client certificates requested and verified */
	size_t max_body;         /* bytes */
	size_t max_headers;      /* bytes */
	int max_xml_depth;
	int timeout;             /* seconds a connection may idle or a request take */
	int shutdown_grace;      /* seconds SIGTERM waits for requests in flight */
	log_level log_level;

	/* [database] */
	char *db_url;            /* NULL or empty: private MariaDB under state_dir */
	char *mariadbd;
	char *mariadb_install_db;

	/* [plugins] and [plugin NAME] */
	char *plugin_dir;
	plugin_config *plugins;
	size_t nplugins;

	/* Every "section.key = value" as read, for config_get(). */
	config_kv *all;
	size_t nall;
} config;

/* Returns a configuration holding only defaults. */
config *config_new_defaults(void);
/* Reads path over the defaults. On error returns NULL and writes a message
 * naming the file, line and key into err. */
config *config_load(const char *path, char *err, size_t errlen);
void config_free(config *cfg);
/* The raw value of key in section ("plugin NAME" for plugin sections), or NULL. */
const char *config_get(const config *cfg, const char *section, const char *key);
/* Refuses a key of section that keys (NULL-terminated) does not list, so
 * a misspelt key is an error at start rather than a default in use.
 * Returns 0, or -1 with a message naming the key in err. */
int config_check_keys(const config *cfg, const char *section, const char *const *keys,
    char *err, size_t errlen);
/* Resolves a possibly relative path against the file's directory;
 * returns a new string. */
char *config_resolve_path(const config *cfg, const char *path);

#endif
