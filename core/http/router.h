/* router — the table of routes and matching a request against it.
 *
 * A route is a method, a path pattern whose "{name}" segments capture a
 * path parameter, the roles allowed to call it, and how it runs: inline on
 * the event thread (health, metrics: no database, no blocking), or on a
 * worker with a database connection. */
#ifndef CD_HTTP_ROUTER_H
#define CD_HTTP_ROUTER_H

#include "http/request.h"

struct db_conn;
struct plugin_set;
struct server_ctx;

/* What a handler may use besides the request. */
typedef struct route_env {
	struct db_conn *db;          /* NULL for inline routes */
	struct plugin_set *plugins;  /* the plugin generation this request holds */
	const struct server_ctx *srv;
} route_env;

typedef void (*route_fn)(route_env *env, http_req *req, http_resp *resp);

enum route_flags {
	ROUTE_INLINE = 1,      /* runs on the event thread: must not block */
	ROUTE_PUBLIC = 2,      /* no API key needed */
	ROUTE_TRANSACTION = 4, /* the handler runs inside one transaction, with
	                        * Idempotency-Key support; committed unless the
	                        * answer is an error */
};

#define ROLE_BIT(r) (1u << (r))
#define ROLES_ANY (ROLE_BIT(ROLE_ADMIN) | ROLE_BIT(ROLE_FINANCE) | ROLE_BIT(ROLE_DEALER))

typedef struct route {
	http_method method;
	const char *pattern;
	const char *name;      /* the metrics label: the pattern, e.g. "/v1/dealers/{id}" */
	unsigned flags;
	unsigned roles;        /* ROLE_BITs allowed; ignored for ROUTE_PUBLIC */
	route_fn fn;
} route;

typedef enum route_match {
	ROUTE_FOUND,
	ROUTE_NO_PATH,      /* 404 */
	ROUTE_NO_METHOD,    /* 405 */
} route_match;

/* The whole table, defined in routes.c. */
extern const route routes[];
extern const int nroutes;

/* Finds the route for method and path, filling req->params (owned by req).
 * *index is the route's position (for metrics). */
route_match router_match(http_method method, const char *path, http_req *req, int *index);

/* The methods path accepts, as an Allow header value ("GET, POST"); a new
 * string, or NULL when no route has that path. */
char *router_allowed(const char *path);

#endif
