/* request — what a route handler sees, and what it answers.
 *
 * The event thread copies everything a handler needs out of libevent's
 * request (method, path, the headers that matter, the body) into an
 * http_req, so handlers run on worker threads without touching libevent.
 * A handler fills an http_resp; the event thread sends it. */
#ifndef CD_HTTP_REQUEST_H
#define CD_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "storage/apikeys.h"

#define HTTP_MAX_PATH_PARAMS 4

typedef enum http_method {
	HTTP_GET = 1,
	HTTP_POST = 2,
	HTTP_PUT = 4,
	HTTP_DELETE = 8,
	HTTP_HEAD = 16,
	HTTP_PATCH = 32,
	HTTP_OTHER = 64,
} http_method;

typedef struct http_req {
	http_method method;
	char *path;                 /* decoded path, no query */
	char *query;                /* raw query string, or NULL */
	char *params[HTTP_MAX_PATH_PARAMS]; /* {name} segments of the route */
	buf body;
	/* Headers the handlers need; NULL when absent. */
	char *authorization;
	char *api_key;
	char *idempotency_key;
	char *content_type;
	char *client_cert_sha256;   /* hex fingerprint of a verified TLS client certificate */
	char request_id[20];
	/* Set by the dispatcher before the handler runs, for authenticated routes. */
	bool authenticated;
	principal who;
} http_req;

typedef struct http_resp {
	int status;
	const char *content_type;   /* static string */
	buf body;
	int body_fd;                /* >= 0: the body is this file's first body_fd_len */
	uint64_t body_fd_len;       /* bytes instead (owned: closed when sent or freed) */
	char *location;             /* Location header, owned */
	char *allow;                /* Allow header (405), owned */
	bool replayed;              /* answered from the idempotency store */
} http_resp;

void http_req_free(http_req *req);
void http_resp_init(http_resp *resp);
void http_resp_free(http_resp *resp);

/* Answers status with an XML error document:
 *   <Error xmlns="urn:contractd:1"><Code/><Message/>[<Path/>]</Error>
 * code is a stable machine-readable word ("unauthorized"); path may be NULL. */
void http_resp_error(http_resp *resp, int status, const char *code, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Answers status with text/plain. */
void http_resp_text(http_resp *resp, int status, const char *text);
/* Answers status with an XML body the caller built (copied). */
void http_resp_xml(http_resp *resp, int status, const char *xml, size_t len);

/* The value of name in the query string (decoded, newly allocated), or NULL. */
char *http_req_query_param(const http_req *req, const char *name);

#endif
