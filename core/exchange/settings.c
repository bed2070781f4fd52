/* settings — the exchange's configuration: quote validity and
 * the quote-signing secret (see exchange.h). */
#include "exchange/exchange.h"
#include "xml/schema.h"
#include "reports/ledger.h"
#include "base/crypto.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QUOTE_SECRET_MIN 32   /* bytes of key text */

/* Creates the secret file when it does not exist: 256 random bits as hex,
 * written 0600 to a private temporary name and then linked into place, so
 * a process starting at the same moment sees either no file or the whole
 * one. Returns 0 (created, or there already), or -1 with a message. */
static int
create_secret(const char *path, char *err, size_t errlen)
{
	char hex[65], *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), rc = -1;

	if (fd < 0) {
		snprintf(err, errlen, "cannot create the quote secret %s: %s", path, strerror(errno));
		goto out;
	}
	random_hex(hex, 32);
	if (write(fd, hex, 64) != 64 || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write the quote secret %s: %s", path, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	if (link(tmp, path) == 0)
		log_info("created the quote-signing secret %s", path);
	else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create the quote secret %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	unlink(tmp);
	free(tmp);
	return rc;
}

/* Reads the secret file, creating it first when it does not exist. */
static int
load_secret(const char *path, exchange_settings *out, char *err, size_t errlen)
{
	FILE *f = NULL;
	size_t n;
	struct stat st;
	int rc = -1;

	if (access(path, F_OK) != 0 && create_secret(path, err, errlen) != 0)
		return -1;
	f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "cannot read the quote secret %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("the quote secret %s can be read by others (mode %03o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
	n = fread(out->quote_secret, 1, sizeof out->quote_secret, f);
	while (n > 0 && (out->quote_secret[n - 1] == '\n' || out->quote_secret[n - 1] == '\r' ||
	    out->quote_secret[n - 1] == ' '))
		n--;
	if (n < QUOTE_SECRET_MIN) {
		snprintf(err, errlen, "the quote secret %s is shorter than %d bytes", path,
		    QUOTE_SECRET_MIN);
		goto out;
	}
	out->quote_secret_len = n;
	rc = 0;
out:
	fclose(f);
	return rc;
}

/* Reads [claims]: the plugin instances that price claim labor and parts. */
static int
load_claims(const config *cfg, exchange_settings *out, char *err, size_t errlen)
{
	static const char *const keys[3] = { "billing_plugin", "parts_plugin", NULL };
	char *dest[2] = { out->claims_billing_plugin, out->claims_parts_plugin };

	if (config_check_keys(cfg, "claims", keys, err, errlen) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		const char *v = config_get(cfg, "claims", keys[i]);
		if (v == NULL)
			continue;
		if (strlen(v) >= sizeof out->claims_billing_plugin) {
			snprintf(err, errlen, "[claims] %s: too long", keys[i]);
			return -1;
		}
		snprintf(dest[i], sizeof out->claims_billing_plugin, "%s", v);
	}
	return 0;
}

int
exchange_settings_load(const config *cfg, exchange_settings *out, char *err, size_t errlen)
{
	static const char *const quote_keys[] = { "valid_days", "secret_file", NULL };
	const char *days = config_get(cfg, "quotes", "valid_days");
	const char *file = config_get(cfg, "quotes", "secret_file");
	ledger_accounts ledger;   /* [ledger]: checked now, read by each journal */
	char *path = NULL;
	int rc = -1;

	if (config_check_keys(cfg, "quotes", quote_keys, err, errlen) != 0)
		return -1;
	memset(out, 0, sizeof *out);
	out->limits.max_bytes = cfg->max_body;
	out->limits.max_depth = cfg->max_xml_depth;
	out->quote_valid_days = 30;
	if (days != NULL) {
		char *end;
		long v = strtol(days, &end, 10);
		if (end == days || *end != '\0' || v < 0 || v > 365) {
			snprintf(err, errlen, "[quotes] valid_days: '%s' is not a number of days 0-365",
			    days);
			return -1;
		}
		out->quote_valid_days = (int)v;
	}
	if (billing_settings_load(cfg, &out->billing, err, errlen) != 0 ||
	    load_claims(cfg, out, err, errlen) != 0 ||
	    ledger_accounts_load(cfg, &ledger, err, errlen) != 0)
		return -1;
	path = file && file[0] ? config_resolve_path(cfg, file) :
	    xasprintf("%s/quote-secret", cfg->state_dir);
	rc = load_secret(path, out, err, errlen);
	free(path);
	return rc;
}

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static exchange_settings *settings;

const exchange_settings *
exchange_init(const config *cfg, char *err, size_t errlen)
{
	exchange_settings *s = NULL;

	pthread_mutex_lock(&init_lock);
	if (settings != NULL)
		goto out;
	if (xml_schemas_load(err, errlen) != 0)
		goto out;
	s = xcalloc(1, sizeof *s);
	if (exchange_settings_load(cfg, s, err, errlen) != 0) {
		free(s);
		goto out;
	}
	settings = s;
out:
	s = settings;
	pthread_mutex_unlock(&init_lock);
	return s;
}
