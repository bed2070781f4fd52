/* contractd — the service-contract and billing server.
 *
 * The main thread owns the process: it reads the configuration, brings up
 * the database (a private MariaDB when none is configured), loads the
 * plugins, starts the HTTP server, and then only waits for signals —
 * SIGTERM/SIGINT drain and stop, SIGHUP reloads — and watches the private
 * database. */
#include "exchange/exchange.h"
#include "http/jobs.h"
#include "http/server.h"
#include "plugin/registry.h"
#include "storage/db.h"
#include "storage/privdb.h"
#include "xml/xml_in.h"
#include "xml/schema.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

typedef struct daemon_state {
	const char *config_path;
	config *cfg;
	server_ctx ctx;
	http_server *http;
	privdb *db;
	struct event_base *base;
} daemon_state;

static void
usage(FILE *f)
{
	fprintf(f, "usage: contractd [-c FILE] [-t] [-V]\n"
		   "  -c, --config FILE   read FILE (default: $CONTRACTD_CONFIG or %s/contractd.conf)\n"
		   "  -t, --test          check the configuration and the plugins, then exit\n"
		   "  -V, --version       print the version\n"
		   "See contractd(8) and contractd.conf(5).\n", CD_SYSCONFDIR);
}

/* SIGHUP: a new configuration, certificate and plugin set. Whatever fails
 * leaves what runs now in place. Settings that shape the process (listen
 * address, threads, database) need a restart and are said to. */
static void
reload(daemon_state *st)
{
	char err[1024];
	config *fresh = config_load(st->config_path, err, sizeof err);

	if (fresh == NULL) {
		log_error("reload: configuration not reloaded: %s", err);
		return;
	}
	char *cache = xasprintf("%s/plugin-cache", st->cfg->state_dir);
	plugin_set *set = plugin_set_load(fresh, cache, err, sizeof err);

	free(cache);
	if (set == NULL) {
		log_error("reload: plugins not reloaded, the previous set keeps running: %s", err);
	} else {
		plugin_registry_swap(st->ctx.plugins, set);
		log_info("reload: %zu plugin(s) loaded and swapped in", plugin_set_count(set));
	}
	if (http_server_reload_tls(st->http, fresh, err, sizeof err) != 0)
		log_error("reload: TLS certificate not reloaded: %s", err);
	log_setup(fresh->log_level, NULL);
	if (strcmp(fresh->listen_host, st->cfg->listen_host) != 0 ||
	    fresh->listen_port != st->cfg->listen_port || fresh->workers != st->cfg->workers ||
	    fresh->http_threads != st->cfg->http_threads)
		log_warn("reload: listen address, threads and workers change only on restart");
	config_free(fresh);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	daemon_state *st = arg;

	(void)what;
	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading");
		reload(st);
		return;
	}
	log_info("%s: draining requests in flight, then stopping",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT");
	event_base_loopbreak(st->base);
}

/* Every second: restart the private MariaDB if it died. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	daemon_state *st = arg;

	(void)fd;
	(void)what;
	if (st->db && privdb_check(st->db) == 1)
		log_warn("the private MariaDB had stopped and was restarted");
}

/* Every connection is a descriptor: take all the kernel allows us. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
open_database(daemon_state *st, char *err, size_t errlen)
{
	if (mkdir(st->cfg->state_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state directory %s: %s", st->cfg->state_dir,
		    strerror(errno));
		return -1;
	}
	if (st->cfg->db_url != NULL)
		return db_url_parse(st->cfg->db_url, &st->ctx.db, err, errlen);
	st->db = privdb_start(st->cfg->state_dir, st->cfg->mariadbd, st->cfg->mariadb_install_db,
	    err, errlen);
	if (st->db == NULL)
		return -1;
	privdb_params(st->db, &st->ctx.db);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	daemon_state st = { 0 };
	char err[1024], where[256];
	int c, test_only = 0, rc = 1;
	struct event *sigterm = NULL, *sigint = NULL, *sighup = NULL, *tick = NULL;

	st.config_path = getenv("CONTRACTD_CONFIG");
	while ((c = getopt_long(argc, argv, "c:thV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': st.config_path = optarg; break;
		case 't': test_only = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("contractd %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (st.config_path == NULL)
		st.config_path = CD_SYSCONFDIR "/contractd.conf";
	st.cfg = config_load(st.config_path, err, sizeof err);
	if (st.cfg == NULL) {
		fprintf(stderr, "contractd: %s\n", err);
		return 1;
	}
	log_setup(st.cfg->log_level, NULL);
	evthread_use_pthreads();
	xml_init();
	/* Before any thread: documents and rate tables are validated against
	 * these compiled schemas. */
	if (xml_schemas_load(err, sizeof err) != 0) {
		log_error("cannot load the XML schemas: %s", err);
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	st.ctx.cfg = st.cfg;

	if (!test_only && open_database(&st, err, sizeof err) != 0) {
		log_error("%s", err);
		goto out;
	}
	/* The test run loads the plugins in place; the server loads private
	 * copies so that a replaced file is really reloaded (see plugin_spec). */
	char *cache = test_only ? NULL : xasprintf("%s/plugin-cache", st.cfg->state_dir);
	plugin_set *set = plugin_set_load(st.cfg, cache, err, sizeof err);
	free(cache);
	if (set == NULL) {
		log_error("cannot load plugins: %s", err);
		goto out;
	}
	if (test_only) {
		printf("configuration %s is valid; %zu plugin(s) load\n", st.config_path,
		    plugin_set_count(set));
		plugin_set_release(set);
		rc = 0;
		goto out;
	}
	st.ctx.plugins = plugin_registry_new();
	plugin_registry_swap(st.ctx.plugins, set);
	/* Quote secret and tax rates: fail now rather than on the first document. */
	if (exchange_init(st.cfg, err, sizeof err) == NULL) {
		log_error("%s", err);
		goto out;
	}
	st.http = http_server_start(&st.ctx, err, sizeof err);
	if (st.http == NULL) {
		log_error("%s", err);
		goto out;
	}
	log_info("contractd %s listening on %s://%s:%d (%d event threads, %d workers, database %s)",
	    PACKAGE_VERSION, http_server_scheme(st.http), st.cfg->listen_host,
	    http_server_port(st.http), st.cfg->http_threads, st.cfg->workers,
	    db_params_describe(&st.ctx.db, where, sizeof where));

	st.base = event_base_new();
	sigterm = evsignal_new(st.base, SIGTERM, on_signal, &st);
	sigint = evsignal_new(st.base, SIGINT, on_signal, &st);
	sighup = evsignal_new(st.base, SIGHUP, on_signal, &st);
	tick = event_new(st.base, -1, EV_PERSIST, on_tick, &st);
	struct timeval second = { 1, 0 };
	evsignal_add(sigterm, NULL);
	evsignal_add(sigint, NULL);
	evsignal_add(sighup, NULL);
	event_add(tick, &second);
	event_base_dispatch(st.base);

	http_server_shutdown(st.http, st.cfg->shutdown_grace);
	jobs_stop_all();
	st.http = NULL;
	log_info("stopped");
	rc = 0;
out:
	if (tick) event_free(tick);
	if (sigterm) event_free(sigterm);
	if (sigint) event_free(sigint);
	if (sighup) event_free(sighup);
	if (st.base) event_base_free(st.base);
	if (st.ctx.plugins) plugin_registry_free(st.ctx.plugins);
	if (st.db) privdb_stop(st.db);
	db_params_free(&st.ctx.db);
	xml_schemas_free();
	xml_cleanup();
	config_free(st.cfg);
	return rc;
}
