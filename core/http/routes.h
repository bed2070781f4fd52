/* routes — the handlers behind the route table in routes.c. */
#ifndef CD_HTTP_ROUTES_H
#define CD_HTTP_ROUTES_H

#include "http/router.h"

/* Operations (routes_ops.c). */
void route_healthz(route_env *env, http_req *req, http_resp *resp);
void route_readyz(route_env *env, http_req *req, http_resp *resp);
void route_metrics(route_env *env, http_req *req, http_resp *resp);

/* Administration (routes_admin.c). */
void route_whoami(route_env *env, http_req *req, http_resp *resp);
void route_plugins(route_env *env, http_req *req, http_resp *resp);
void route_dealer_create(route_env *env, http_req *req, http_resp *resp);
void route_dealer_get(route_env *env, http_req *req, http_resp *resp);

#endif
