#include "config/config.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CD_DEFAULT_STATE_DIR CD_LOCALSTATEDIR "/lib/contractd"

config *
config_new_defaults(void)
{
	config *c = xcalloc(1, sizeof *c);

	c->listen_host = xstrdup("127.0.0.1");
	c->listen_port = 8080;
	c->http_threads = 2;
	c->workers = 32;
	c->state_dir = xstrdup(CD_DEFAULT_STATE_DIR);
	c->max_body = 1024 * 1024;
	c->max_headers = 16 * 1024;
	c->max_xml_depth = 64;
	c->timeout = 30;
	c->shutdown_grace = 30;
	c->log_level = LOG_LEVEL_INFO;
	c->mariadbd = xstrdup(CD_MARIADBD);
	c->mariadb_install_db = xstrdup(CD_MARIADB_INSTALL_DB);
	c->plugin_dir = xstrdup(CD_PLUGINDIR);
	return c;
}

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static void
set_str(char **slot, const char *value)
{
	free(*slot);
	*slot = value[0] ? xstrdup(value) : NULL;
}

/* Sets a path, relative ones resolved against the file's directory; an
 * empty value unsets it. */
static void
set_path(config *c, char **slot, const char *value)
{
	char *p = value[0] ? config_resolve_path(c, value) : xstrdup("");

	set_str(slot, p);
	free(p);
}

static int
parse_int(const char *value, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *trim(end) != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "host:port", "[v6]:port" or ":port". */
static int
parse_listen(config *c, const char *value)
{
	const char *colon = strrchr(value, ':');
	long port;
	char host[256];
	size_t hlen;

	if (colon == NULL || parse_int(colon + 1, 0, 65535, &port) != 0)
		return -1;
	hlen = (size_t)(colon - value);
	if (hlen >= sizeof host)
		return -1;
	memcpy(host, value, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		memmove(host, host + 1, hlen - 1);
	}
	set_str(&c->listen_host, host[0] ? host : "0.0.0.0");
	c->listen_port = (int)port;
	return 0;
}

static plugin_config *
plugin_section(config *c, const char *name)
{
	for (size_t i = 0; i < c->nplugins; i++)
		if (strcmp(c->plugins[i].name, name) == 0)
			return &c->plugins[i];
	c->plugins = xreallocarray(c->plugins, c->nplugins + 1, sizeof *c->plugins);
	plugin_config *p = &c->plugins[c->nplugins++];
	memset(p, 0, sizeof *p);
	p->name = xstrdup(name);
	return p;
}

static void
kv_push(config_kv **arr, size_t *n, const char *key, const char *value)
{
	*arr = xreallocarray(*arr, *n + 1, sizeof **arr);
	(*arr)[*n].key = xstrdup(key);
	(*arr)[*n].value = xstrdup(value);
	(*n)++;
}

/* Applies one known key; returns 0, 1 if the key is unknown, -1 if the
 * value is malformed. */
static int
apply(config *c, const char *section, const char *key, const char *value)
{
	long n;

	if (strcmp(section, "server") == 0) {
		if (strcmp(key, "listen") == 0)
			return parse_listen(c, value);
		if (strcmp(key, "threads") == 0) {
			if (parse_int(value, 1, 256, &n))
				return -1;
			c->http_threads = (int)n;
		} else if (strcmp(key, "workers") == 0) {
			if (parse_int(value, 1, 1024, &n))
				return -1;
			c->workers = (int)n;
		} else if (strcmp(key, "state_dir") == 0) {
			if (!value[0])
				return -1;
			set_path(c, &c->state_dir, value);
		} else if (strcmp(key, "tls_cert") == 0) {
			set_path(c, &c->tls_cert, value);
		} else if (strcmp(key, "tls_key") == 0) {
			set_path(c, &c->tls_key, value);
		} else if (strcmp(key, "tls_client_ca") == 0) {
			set_path(c, &c->tls_client_ca, value);
		} else if (strcmp(key, "max_body") == 0) {
			if (parse_int(value, 1024, 1L << 30, &n))
				return -1;
			c->max_body = (size_t)n;
		} else if (strcmp(key, "max_headers") == 0) {
			if (parse_int(value, 1024, 1L << 20, &n))
				return -1;
			c->max_headers = (size_t)n;
		} else if (strcmp(key, "max_xml_depth") == 0) {
			if (parse_int(value, 8, 256, &n))
				return -1;
			c->max_xml_depth = (int)n;
		} else if (strcmp(key, "timeout") == 0) {
			if (parse_int(value, 1, 3600, &n))
				return -1;
			c->timeout = (int)n;
		} else if (strcmp(key, "shutdown_grace") == 0) {
			if (parse_int(value, 0, 3600, &n))
				return -1;
			c->shutdown_grace = (int)n;
		} else if (strcmp(key, "log_level") == 0) {
			return log_level_parse(value, &c->log_level);
		} else {
			return 1;
		}
		return 0;
	}
	if (strcmp(section, "database") == 0) {
		if (strcmp(key, "url") == 0)
			set_str(&c->db_url, value);
		else if (strcmp(key, "mariadbd") == 0)
			set_str(&c->mariadbd, value);
		else if (strcmp(key, "install_db") == 0)
			set_str(&c->mariadb_install_db, value);
		else
			return 1;
		return 0;
	}
	if (strcmp(section, "plugins") == 0) {
		if (strcmp(key, "dir") == 0) {
			set_path(c, &c->plugin_dir, value);
			return 0;
		}
		return 1;
	}
	if (strncmp(section, "plugin ", 7) == 0) {
		plugin_config *p = plugin_section(c, section + 7);
		if (strcmp(key, "file") == 0)
			set_str(&p->file, value);
		else
			kv_push(&p->params, &p->nparams, key, value);
		return 0;
	}
	/* Sections of later features are kept raw for config_get(). */
	return 0;
}

config *
config_load(const char *path, char *err, size_t errlen)
{
	config *c = config_new_defaults();
	FILE *f = fopen(path, "r");
	char line[4096], section[128] = "";
	int lineno = 0;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		config_free(c);
		return NULL;
	}
	c->path = xstrdup(path);
	{
		char *tmp = xstrdup(path), *abs = realpath(dirname(tmp), NULL);
		c->dir = abs ? abs : xstrdup(".");
		free(tmp);
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			goto fail;
		}
		char *s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (end == NULL || *trim(end + 1) != '\0') {
				snprintf(err, errlen, "%s:%d: malformed section header", path, lineno);
				goto fail;
			}
			*end = '\0';
			char *name = trim(s + 1);
			/* "[plugin  x]" and "[plugin x]" are the same section */
			if (strncmp(name, "plugin", 6) == 0 &&
			    (name[6] == '\0' || isspace((unsigned char)name[6]))) {
				char *pname = trim(name + 6);
				if (*pname == '\0') {
					snprintf(err, errlen, "%s:%d: plugin section needs a name", path,
					    lineno);
					goto fail;
				}
				snprintf(section, sizeof section, "plugin %s", pname);
			} else {
				snprintf(section, sizeof section, "%s", name);
			}
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
			goto fail;
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		if (*key == '\0' || section[0] == '\0') {
			snprintf(err, errlen, "%s:%d: %s", path, lineno,
			    *key ? "key outside any [section]" : "empty key");
			goto fail;
		}
		int r = apply(c, section, key, value);
		if (r < 0) {
			snprintf(err, errlen, "%s:%d: invalid value for %s.%s: '%s'", path, lineno,
			    section, key, value);
			goto fail;
		}
		if (r > 0) {
			snprintf(err, errlen, "%s:%d: unknown key '%s' in [%s]", path, lineno, key,
			    section);
			goto fail;
		}
		char full[512];
		snprintf(full, sizeof full, "%s.%s", section, key);
		kv_push(&c->all, &c->nall, full, value);
	}
	fclose(f);
	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		snprintf(err, errlen, "%s: tls_cert and tls_key must be set together", path);
		config_free(c);
		return NULL;
	}
	for (size_t i = 0; i < c->nplugins; i++) {
		if (c->plugins[i].file == NULL) {
			snprintf(err, errlen, "%s: [plugin %s] has no 'file'", path, c->plugins[i].name);
			config_free(c);
			return NULL;
		}
	}
	return c;
fail:
	fclose(f);
	config_free(c);
	return NULL;
}

const char *
config_get(const config *cfg, const char *section, const char *key)
{
	size_t slen = strlen(section);

	/* Later lines win, as they do for the known keys. */
	for (size_t i = cfg->nall; i-- > 0;) {
		const char *k = cfg->all[i].key;
		if (strncmp(k, section, slen) == 0 && k[slen] == '.' && strcmp(k + slen + 1, key) == 0)
			return cfg->all[i].value;
	}
	return NULL;
}

int
config_check_keys(const config *cfg, const char *section, const char *const *keys,
    char *err, size_t errlen)
{
	size_t slen = strlen(section);

	for (size_t i = 0; i < cfg->nall; i++) {
		const char *k = cfg->all[i].key, *name;
		size_t j;
		if (strncmp(k, section, slen) != 0 || k[slen] != '.')
			continue;
		name = k + slen + 1;
		for (j = 0; keys[j] != NULL && strcmp(keys[j], name) != 0; j++)
			;
		if (keys[j] == NULL) {
			snprintf(err, errlen, "%s: unknown key '%s' in [%s]",
			    cfg->path ? cfg->path : "configuration", name, section);
			return -1;
		}
	}
	return 0;
}

char *
config_resolve_path(const config *cfg, const char *path)
{
	if (path[0] == '/' || cfg->dir == NULL)
		return xstrdup(path);
	return xasprintf("%s/%s", cfg->dir, path);
}

static void
kv_free(config_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void
config_free(config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->dir);
	free(c->listen_host);
	free(c->state_dir);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_client_ca);
	free(c->db_url);
	free(c->mariadbd);
	free(c->mariadb_install_db);
	free(c->plugin_dir);
	for (size_t i = 0; i < c->nplugins; i++) {
		free(c->plugins[i].name);
		free(c->plugins[i].file);
		kv_free(c->plugins[i].params, c->plugins[i].nparams);
	}
	free(c->plugins);
	kv_free(c->all, c->nall);
	free(c);
}
