/* The route table: every URL contractd answers, who may call it, and how
 * it runs. */
#include "http/routes.h"

#define ADMIN ROLE_BIT(ROLE_ADMIN)

const route routes[] = {
	{ HTTP_GET, "/healthz", "/healthz", ROUTE_INLINE | ROUTE_PUBLIC, 0, route_healthz },
	{ HTTP_GET, "/readyz", "/readyz", ROUTE_PUBLIC, 0, route_readyz },
	{ HTTP_GET, "/metrics", "/metrics", ROUTE_INLINE | ROUTE_PUBLIC, 0, route_metrics },
	{ HTTP_GET, "/v1/whoami", "/v1/whoami", 0, ROLES_ANY, route_whoami },
	{ HTTP_GET, "/v1/plugins", "/v1/plugins", 0, ADMIN, route_plugins },
	{ HTTP_POST, "/v1/dealers", "/v1/dealers", ROUTE_TRANSACTION, ADMIN, route_dealer_create },
	{ HTTP_GET, "/v1/dealers/{id}", "/v1/dealers/{id}", 0, ADMIN, route_dealer_get },
};

const int nroutes = sizeof routes / sizeof routes[0];
