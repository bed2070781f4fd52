/* Health, readiness and metrics: what operators and load balancers ask. */
#include "http/routes.h"
#include "http/metrics.h"
#include "http/server.h"
#include "plugin/registry.h"
#include "storage/migrate.h"

#include <stdio.h>

/* Alive: the process answers. Nothing else is checked on purpose, so a
 * database outage does not get the process restarted. */
void
route_healthz(route_env *env, http_req *req, http_resp *resp)
{
	http_resp_text(resp, 200, "ok\n");
}

/* Ready: the database answers and its schema is the one this binary knows. */
void
route_readyz(route_env *env, http_req *req, http_resp *resp)
{
	int current = 0, latest = 0;
	char err[256], text[400];

	if (atomic_load(&env->srv->draining)) {
		http_resp_text(resp, 503, "not ready: shutting down\n");
		return;
	}
	if (migrate_status(env->db, &current, &latest, err, sizeof err) != 0) {
		snprintf(text, sizeof text, "not ready: database: %s\n", err);
		http_resp_text(resp, 503, text);
		return;
	}
	if (current != latest) {
		snprintf(text, sizeof text,
		    "not ready: database schema is at version %d, this contractd needs %d "
		    "(run: contractctl db migrate)\n", current, latest);
		http_resp_text(resp, 503, text);
		return;
	}
	snprintf(text, sizeof text, "ready\n");
	http_resp_text(resp, 200, text);
}

void
route_metrics(route_env *env, http_req *req, http_resp *resp)
{
	plugin_set *set = plugin_registry_acquire(env->srv->plugins);
	size_t n = plugin_set_count(set);

	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	metrics_render(&resp->body);
	buf_printf(&resp->body, "# HELP contractd_plugins_loaded Plugins in the current set.\n"
				"# TYPE contractd_plugins_loaded gauge\n"
				"contractd_plugins_loaded %zu\n"
				"# HELP contractd_plugin_info The loaded plugins.\n"
				"# TYPE contractd_plugin_info gauge\n", n);
	for (size_t i = 0; i < n; i++) {
		const loaded_plugin *p = plugin_set_get(set, i);
		buf_printf(&resp->body,
		    "contractd_plugin_info{name=\"%s\",version=\"%s\",kind=\"%s\",sha256=\"%s\"} 1\n",
		    p->desc->name, p->desc->version, plugin_kind_name(p->desc->kind), p->sha256);
	}
	buf_printf(&resp->body, "# HELP contractd_build_info The running contractd.\n"
				"# TYPE contractd_build_info gauge\n"
				"contractd_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	plugin_set_release(set);
}
