/* server — contractd's HTTP(S) face.
 *
 * One listening socket is shared by a pool of event threads, each with its
 * own event base and evhttp. They parse requests and send answers; the work
 * itself runs on a pool of worker threads that each own a database
 * connection, so no request waits behind another's database round trip and
 * as many transactions are in flight as there are workers (group commit
 * does the rest). Health and metrics answer inline on the event thread. */
#ifndef CD_HTTP_SERVER_H
#define CD_HTTP_SERVER_H

#include <stdatomic.h>

#include "config/config.h"
#include "storage/db.h"

struct plugin_registry;

/* What the handlers share; fixed for the life of the server except where
 * noted. */
typedef struct server_ctx {
	const config *cfg;                /* the configuration at start */
	db_params db;                     /* how workers reach the database */
	struct plugin_registry *plugins;  /* swapped by reload */
	_Atomic int draining;             /* set once SIGTERM arrives */
} server_ctx;

typedef struct http_server http_server;

/* Binds the listener, starts the event threads and the workers. Returns
 * NULL with a message in err on failure. ctx must outlive the server. */
http_server *http_server_start(server_ctx *ctx, char *err, size_t errlen);
/* Loads the certificate and key of cfg (and the client CA) and swaps them
 * in for new connections; the old ones keep theirs. */
int http_server_reload_tls(http_server *srv, const config *cfg, char *err, size_t errlen);
/* Stops accepting, waits up to grace seconds for the requests in flight to
 * be answered, then stops every thread and frees the server. */
void http_server_shutdown(http_server *srv, int grace);
/* The port actually bound (useful when the configuration says 0). */
int http_server_port(const http_server *srv);
/* "http" or "https". */
const char *http_server_scheme(const http_server *srv);

#endif
