#include "http/server.h"
#include "http/deadline.h"
#include "http/job.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/workers.h"
#include "plugin/registry.h"
#include "base/crypto.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct io_thread {
	http_server *srv;
	pthread_t tid;
	struct event_base *base;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	deadline_table *deadlines;
	int index;
} io_thread;

struct http_server {
	server_ctx *ctx;
	int listen_fd;
	int port;
	io_thread *io;
	int nio;
	worker_pool *workers;
	pthread_mutex_t tls_lock;
	SSL_CTX *tls;           /* NULL: plain HTTP */
	_Atomic long inflight;  /* requests parsed and not yet answered */
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------------------
 * TLS
 * ------------------------------------------------------------------------ */

static SSL_CTX *
tls_context_new(const config *cfg, char *err, size_t errlen)
{
	SSL_CTX *tls = SSL_CTX_new(TLS_server_method());
	unsigned long e;

	if (tls == NULL)
		goto ssl_fail;
	SSL_CTX_set_min_proto_version(tls, TLS1_2_VERSION);
	SSL_CTX_set_options(tls, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(tls, cfg->tls_cert) != 1) {
		e = ERR_get_error();
		snprintf(err, errlen, "cannot load TLS certificate %s: %s", cfg->tls_cert,
		    ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unknown error");
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(tls, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(tls) != 1) {
		e = ERR_get_error();
		snprintf(err, errlen, "cannot load TLS key %s (or it does not match the certificate): %s",
		    cfg->tls_key, ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unknown error");
		goto fail;
	}
	if (cfg->tls_client_ca != NULL) {
		if (SSL_CTX_load_verify_locations(tls, cfg->tls_client_ca, NULL) != 1) {
			snprintf(err, errlen, "cannot load client CA %s", cfg->tls_client_ca);
			goto fail;
		}
		/* Certificates are asked for and verified, not required: dealers
		 * may authenticate with an API key instead. */
		SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, NULL);
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->tls_client_ca);
		if (names)
			SSL_CTX_set_client_CA_list(tls, names);
		SSL_CTX_set_session_id_context(tls, (const unsigned char *)"contractd", 9);
	}
	ERR_clear_error();
	return tls;
ssl_fail:
	snprintf(err, errlen, "cannot create a TLS context");
fail:
	ERR_clear_error();
	SSL_CTX_free(tls);
	return NULL;
}

int
http_server_reload_tls(http_server *srv, const config *cfg, char *err, size_t errlen)
{
	SSL_CTX *fresh, *old;

	if (srv->tls == NULL || cfg->tls_cert == NULL)
		return 0; /* switching between HTTP and HTTPS needs a restart */
	fresh = tls_context_new(cfg, err, errlen);
	if (fresh == NULL)
		return -1;
	pthread_mutex_lock(&srv->tls_lock);
	old = srv->tls;
	srv->tls = fresh;
	pthread_mutex_unlock(&srv->tls_lock);
	SSL_CTX_free(old); /* live connections hold their own references */
	return 0;
}

/* evhttp asks for a bufferevent per accepted connection: a TLS one when
 * HTTPS is on. Either way the connection's request deadline is watched. */
static struct bufferevent *
make_bufferevent(struct event_base *base, void *arg)
{
	io_thread *io = arg;
	http_server *srv = io->srv;
	struct bufferevent *bev;

	if (srv->tls) {
		pthread_mutex_lock(&srv->tls_lock);
		SSL *ssl = SSL_new(srv->tls);
		pthread_mutex_unlock(&srv->tls_lock);
		if (ssl == NULL)
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE);
		if (bev)
			bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else {
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (bev)
		deadline_watch(io->deadlines, bev);
	return bev;
}

/* The SHA-256 fingerprint of a verified client certificate, or NULL. */
static char *
client_cert_fingerprint(struct evhttp_request *evreq)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(evreq);
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *hex = NULL;

	if (ssl == NULL)
		return NULL;
	X509 *cert = SSL_get1_peer_certificate(ssl);
	if (cert == NULL)
		return NULL;
	if (SSL_get_verify_result(ssl) == X509_V_OK &&
	    X509_digest(cert, EVP_sha256(), md, &mdlen) == 1) {
		hex = xmalloc(2 * mdlen + 1);
		for (unsigned int i = 0; i < mdlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
	}
	X509_free(cert);
	return hex;
}

/* ------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------ */

static http_method
method_of(struct evhttp_request *evreq)
{
	switch (evhttp_request_get_command(evreq)) {
	case EVHTTP_REQ_GET: return HTTP_GET;
	case EVHTTP_REQ_POST: return HTTP_POST;
	case EVHTTP_REQ_PUT: return HTTP_PUT;
	case EVHTTP_REQ_DELETE: return HTTP_DELETE;
	case EVHTTP_REQ_HEAD: return HTTP_HEAD;
	case EVHTTP_REQ_PATCH: return HTTP_PATCH;
	default: return HTTP_OTHER;
	}
}

static char *
header_copy(struct evkeyvalq *headers, const char *name)
{
	const char *v = evhttp_find_header(headers, name);

	return v ? xstrdup(v) : NULL;
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "";
	}
}

/* Sends j's answer and frees j. Runs on j's event thread. */
static void
job_finish(job *j)
{
	http_server *srv = j->io->srv;
	struct evkeyvalq *out = evhttp_request_get_output_headers(j->evreq);
	struct evbuffer *body = evbuffer_new();
	int status = j->resp.status;

	evhttp_add_header(out, "Content-Type", j->resp.content_type);
	evhttp_add_header(out, "X-Request-Id", j->req.request_id);
	evhttp_add_header(out, "Cache-Control", "no-store");
	if (j->resp.location)
		evhttp_add_header(out, "Location", j->resp.location);
	if (j->resp.allow)
		evhttp_add_header(out, "Allow", j->resp.allow);
	if (j->resp.replayed)
		evhttp_add_header(out, "Idempotent-Replayed", "true");
	if (atomic_load(&srv->ctx->draining))
		evhttp_add_header(out, "Connection", "close");
	if (j->req.method == HTTP_HEAD) {
		/* The length the GET's body would have: no body is sent. */
		char len[24];
		snprintf(len, sizeof len, "%llu", (unsigned long long)(j->resp.body_fd >= 0 ?
		    j->resp.body_fd_len : j->resp.body.len));
		evhttp_add_header(out, "Content-Length", len);
	} else if (j->resp.body_fd >= 0) {
		/* A spooled body (a large report): the buffer takes the file and
		 * sends it without reading it into memory. */
		if (evbuffer_add_file(body, j->resp.body_fd, 0, (ev_off_t)j->resp.body_fd_len) == 0)
			j->resp.body_fd = -1;
		else
			log_error("sending a spooled answer failed; the client gets an empty body");
	} else {
		evbuffer_add(body, j->resp.body.data ? j->resp.body.data : "", j->resp.body.len);
	}
	evhttp_send_reply(j->evreq, status, reason_phrase(status), body);
	evbuffer_free(body);

	uint64_t micros = now_us() - j->start_us;
	log_set_request_id(j->req.request_id);
	metrics_observe(j->route_index, status, micros);
	if (status >= 500)
		log_warn("%s -> %d in %llu us", j->req.path ? j->req.path : "?", status,
		    (unsigned long long)micros);
	else if (log_min_level() <= LOG_LEVEL_DEBUG)
		log_debug("%s -> %d in %llu us", j->req.path ? j->req.path : "?", status,
		    (unsigned long long)micros);
	log_set_request_id(NULL);
	if (j->done)
		event_free(j->done);
	http_req_free(&j->req);
	http_resp_free(&j->resp);
	free(j);
	atomic_fetch_sub(&srv->inflight, 1);
}

static void
on_job_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	job_finish(arg);
}

static void
on_request(struct evhttp_request *evreq, void *arg)
{
	io_thread *io = arg;
	http_server *srv = io->srv;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(evreq);
	struct evkeyvalq *in = evhttp_request_get_input_headers(evreq);
	struct evbuffer *input = evhttp_request_get_input_buffer(evreq);
	job *j = xcalloc(1, sizeof *j);

	atomic_fetch_add(&srv->inflight, 1);
	struct evhttp_connection *conn = evhttp_request_get_connection(evreq);
	if (conn)
		deadline_request_done(io->deadlines, evhttp_connection_get_bufferevent(conn));
	j->start_us = now_us();
	j->evreq = evreq;
	j->io = io;
	j->route_index = -1;
	random_hex(j->req.request_id, 8);
	log_set_request_id(j->req.request_id);
	http_resp_init(&j->resp);
	j->req.method = method_of(evreq);
	buf_init(&j->req.body, srv->ctx->cfg->max_body);

	const char *raw_path = uri ? evhttp_uri_get_path(uri) : NULL;
	char *path = raw_path ? evhttp_uridecode(raw_path, 0, NULL) : NULL;
	if (path == NULL || path[0] != '/' || strlen(path) != strlen(raw_path ? raw_path : "") ||
	    strlen(path) > 1024) {
		/* a NUL smuggled in through %00 shortens the decoded path */
		free(path);
		http_resp_error(&j->resp, 400, "bad-request", NULL, "the request path is not valid");
		goto answer;
	}
	j->req.path = path;
	if (uri && evhttp_uri_get_query(uri))
		j->req.query = xstrdup(evhttp_uri_get_query(uri));

	int index = -1;
	switch (router_match(j->req.method, j->req.path, &j->req, &index)) {
	case ROUTE_NO_PATH:
		http_resp_error(&j->resp, 404, "not-found", NULL, "no such resource: %s", j->req.path);
		goto answer;
	case ROUTE_NO_METHOD:
		j->resp.allow = router_allowed(j->req.path);
		http_resp_error(&j->resp, 405, "method-not-allowed", NULL,
		    "this resource accepts only %s", j->resp.allow ? j->resp.allow : "other methods");
		goto answer;
	case ROUTE_FOUND:
		break;
	}
	j->route_index = index + 1; /* metrics slot 0 is "unmatched" */
	const route *r = &routes[index];

	j->req.authorization = header_copy(in, "Authorization");
	j->req.api_key = header_copy(in, "X-API-Key");
	j->req.idempotency_key = header_copy(in, "Idempotency-Key");
	j->req.content_type = header_copy(in, "Content-Type");
	if (srv->tls)
		j->req.client_cert_sha256 = client_cert_fingerprint(evreq);
	size_t blen = evbuffer_get_length(input);
	if (blen > srv->ctx->cfg->max_body) {
		http_resp_error(&j->resp, 413, "too-large", NULL,
		    "the request body is %zu bytes; the limit is %zu", blen, srv->ctx->cfg->max_body);
		goto answer;
	}
	if (blen > 0) {
		buf_append(&j->req.body, evbuffer_pullup(input, -1), blen);
	}

	if (r->flags & ROUTE_INLINE) {
		route_env env = { .srv = srv->ctx };
		r->fn(&env, &j->req, &j->resp);
		goto answer;
	}
	j->done = event_new(io->base, -1, 0, on_job_done, j);
	log_set_request_id(NULL);
	workers_submit(srv->workers, j);
	return;
answer:
	if (j->route_index < 0)
		j->route_index = METRICS_ROUTE_UNMATCHED;
	log_set_request_id(NULL);
	job_finish(j);
}

/* ------------------------------------------------------------------------
 * Threads and the listener
 * ------------------------------------------------------------------------ */

static void *
io_main(void *arg)
{
	io_thread *io = arg;

	event_base_loop(io->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static int
listen_socket(const config *cfg, int *port, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char portstr[16];
	int fd = -1, one = 1, rc;

	snprintf(portstr, sizeof portstr, "%d", cfg->listen_port);
	if ((rc = getaddrinfo(cfg->listen_host, portstr, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve listen address %s: %s", cfg->listen_host,
		    gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	/* Inherited by accepted sockets: without it TLS records stall ~40 ms
	 * behind Nagle and delayed ACKs. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0)
		goto fail;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) :
	    ntohs(((struct sockaddr_in *)&ss)->sin_port);
	freeaddrinfo(res);
	return fd;
fail:
	snprintf(err, errlen, "cannot listen on %s:%d: %s", cfg->listen_host, cfg->listen_port,
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return -1;
}

http_server *
http_server_start(server_ctx *ctx, char *err, size_t errlen)
{
	const config *cfg = ctx->cfg;
	http_server *srv = xcalloc(1, sizeof *srv);
	static const char *names[64];

	pthread_mutex_init(&srv->tls_lock, NULL);
	srv->ctx = ctx;
	srv->listen_fd = -1;
	for (int i = 0; i < nroutes && i < 63; i++)
		names[i] = routes[i].name;
	metrics_init(names, nroutes);

	if (cfg->tls_cert != NULL) {
		srv->tls = tls_context_new(cfg, err, errlen);
		if (srv->tls == NULL)
			goto fail;
	}
	srv->listen_fd = listen_socket(cfg, &srv->port, err, errlen);
	if (srv->listen_fd < 0)
		goto fail;

	srv->workers = workers_start(ctx, cfg->workers);
	srv->nio = cfg->http_threads;
	srv->io = xcalloc((size_t)srv->nio, sizeof *srv->io);
	for (int i = 0; i < srv->nio; i++) {
		io_thread *io = &srv->io[i];
		io->srv = srv;
		io->index = i;
		io->base = event_base_new();
		io->http = io->base ? evhttp_new(io->base) : NULL;
		int fd = dup(srv->listen_fd);
		if (io->http == NULL || fd < 0 ||
		    (io->bound = evhttp_accept_socket_with_handle(io->http, fd)) == NULL) {
			snprintf(err, errlen, "cannot set up HTTP event thread %d", i);
			goto fail;
		}
		evhttp_set_gencb(io->http, on_request, io);
		evhttp_set_max_body_size(io->http, (ev_ssize_t)cfg->max_body);
		evhttp_set_max_headers_size(io->http, (ev_ssize_t)cfg->max_headers);
		evhttp_set_timeout(io->http, cfg->timeout);
		evhttp_set_allowed_methods(io->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
		    EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_PATCH);
		io->deadlines = deadline_new(io->base, cfg->timeout);
		evhttp_set_bevcb(io->http, make_bufferevent, io);
		if (pthread_create(&io->tid, NULL, io_main, io) != 0) {
			snprintf(err, errlen, "cannot start HTTP event thread %d", i);
			goto fail;
		}
	}
	return srv;
fail:
	/* Only reached before any thread runs, except for a failed
	 * pthread_create, after which exiting is the only sensible thing. */
	if (srv->io && srv->io[0].tid) {
		log_error("%s", err);
		exit(1);
	}
	if (srv->workers)
		workers_stop(srv->workers, 1);
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	SSL_CTX_free(srv->tls);
	free(srv->io);
	free(srv);
	return NULL;
}

int
http_server_port(const http_server *srv)
{
	return srv->port;
}

const char *
http_server_scheme(const http_server *srv)
{
	return srv->tls ? "https" : "http";
}

/* Runs on an event thread: stop taking new connections there. */
static void
stop_accepting(evutil_socket_t fd, short what, void *arg)
{
	io_thread *io = arg;

	(void)fd;
	(void)what;
	if (io->bound) {
		evhttp_del_accept_socket(io->http, io->bound);
		io->bound = NULL;
	}
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void
http_server_shutdown(http_server *srv, int grace)
{
	struct timeval now = { 0, 0 };
	uint64_t deadline = now_us() + (uint64_t)grace * 1000000u;
	int abandon = 0;

	atomic_store(&srv->ctx->draining, 1);
	for (int i = 0; i < srv->nio; i++)
		event_base_once(srv->io[i].base, -1, EV_TIMEOUT, stop_accepting, &srv->io[i], &now);
	close(srv->listen_fd);
	while (atomic_load(&srv->inflight) > 0) {
		if (now_us() > deadline) {
			log_warn("shutdown grace of %d s is over with %ld requests unanswered", grace,
			    (long)atomic_load(&srv->inflight));
			abandon = 1;
			break;
		}
		sleep_ms(10);
	}
	workers_stop(srv->workers, abandon);
	/* loopexit runs what is already active (answers just handed back)
	 * before the loop returns. */
	for (int i = 0; i < srv->nio; i++)
		event_base_loopexit(srv->io[i].base, NULL);
	for (int i = 0; i < srv->nio; i++) {
		pthread_join(srv->io[i].tid, NULL);
		evhttp_free(srv->io[i].http);
		deadline_free(srv->io[i].deadlines);
		event_base_free(srv->io[i].base);
	}
	SSL_CTX_free(srv->tls);
	pthread_mutex_destroy(&srv->tls_lock);
	free(srv->io);
	free(srv);
}
