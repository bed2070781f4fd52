/* dispatch — what happens to a request on a worker thread, around its
 * handler: database connection, plugin generation, authentication, role,
 * transaction and idempotency. */
#include "http/router.h"
#include "http/metrics.h"
#include "http/server.h"
#include "http/workers.h"
#include "plugin/registry.h"
#include "storage/apikeys.h"
#include "storage/db.h"
#include "storage/dealer_certs.h"
#include "base/crypto.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The API key presented as "Authorization: Bearer KEY" or "X-API-Key: KEY". */
static const char *
presented_key(const http_req *req)
{
	if (req->authorization && strncasecmp(req->authorization, "Bearer ", 7) == 0) {
		const char *k = req->authorization + 7;
		while (*k == ' ')
			k++;
		return k;
	}
	return req->api_key;
}

/* Who the request is, from its API key and its verified client
 * certificate (req->client_cert_sha256, set by server.c only when OpenSSL
 * verified the chain against [server] tls_client_ca). Fills req->who and
 * returns 0, or answers 401 or 503 into resp and returns -1.
 *
 * A dealer's auth mode decides what it must present: "key" an API key
 * (a certificate is not needed), "cert" a certificate mapped to it (its
 * keys are refused), "both" a key and a mapped certificate. Whatever the
 * mode, a key and a mapped certificate that belong to different
 * principals authenticate neither; a verified certificate that is mapped
 * to nobody counts only when a valid key carries the request. */
static int
identify(db_conn *db, http_req *req, http_resp *resp)
{
	const char *key = presented_key(req), *fp = req->client_cert_sha256;
	bool has_key = key != NULL && *key != '\0', has_cert = fp != NULL && *fp != '\0';
	dealer_cert_match cert = { { 0 }, { 0 } };
	int by_cert = 0, by_key = 0;

	if (has_cert && (by_cert = dealer_cert_lookup(db, fp, &cert)) < 0)
		goto unavailable;
	if (has_key && (by_key = apikey_authenticate(db, key, &req->who)) < 0)
		goto unavailable;
	if (has_key && by_key == 0) {
		http_resp_error(resp, 401, "unauthorized", NULL,
		    "the API key is not valid, was revoked, or belongs to a dealer that "
		    "authenticates by client certificate only");
		return -1;
	}
	if (by_key) {
		if (by_cert && (req->who.role != ROLE_DEALER ||
		    strcmp(req->who.dealer_id, cert.dealer_id) != 0)) {
			http_resp_error(resp, 401, "unauthorized", NULL,
			    "the API key and the client certificate belong to different principals");
			return -1;
		}
		if (req->who.role == ROLE_DEALER && strcmp(req->who.auth_mode, "both") == 0 &&
		    !by_cert) {
			http_resp_error(resp, 401, "unauthorized", NULL,
			    "dealer %s authenticates by API key and client certificate together: "
			    "present a client certificate mapped to it", req->who.dealer_id);
			return -1;
		}
		if (by_cert)
			snprintf(req->who.cert_sha256, sizeof req->who.cert_sha256, "%s", fp);
		return 0;
	}
	if (by_cert) {
		if (strcmp(cert.auth_mode, "cert") != 0) {
			http_resp_error(resp, 401, "unauthorized", NULL,
			    "dealer %s authenticates by API key%s: send 'Authorization: Bearer <key>'",
			    cert.dealer_id, strcmp(cert.auth_mode, "both") == 0 ?
			    " and client certificate together" : "");
			return -1;
		}
		memset(&req->who, 0, sizeof req->who);
		req->who.role = ROLE_DEALER;
		snprintf(req->who.dealer_id, sizeof req->who.dealer_id, "%s", cert.dealer_id);
		snprintf(req->who.auth_mode, sizeof req->who.auth_mode, "%s", cert.auth_mode);
		snprintf(req->who.cert_sha256, sizeof req->who.cert_sha256, "%s", fp);
		return 0;
	}
	if (has_cert)
		http_resp_error(resp, 401, "unauthorized", NULL,
		    "the client certificate is not mapped to a dealer, or its mapping was revoked");
	else
		http_resp_error(resp, 401, "unauthorized", NULL,
		    "an API key is required: send 'Authorization: Bearer <key>'");
	return -1;
unavailable:
	http_resp_error(resp, 503, "database-unavailable", NULL,
	    "the database is unavailable; retry later");
	return -1;
}

/* Fills req->who or answers 401/403/503; returns true to go on. */
static bool
authenticate(db_conn *db, const route *r, http_req *req, http_resp *resp)
{
	if (identify(db, req, resp) != 0) {
		memset(&req->who, 0, sizeof req->who);
		return false;
	}
	req->authenticated = true;
	if ((r->roles & ROLE_BIT(req->who.role)) == 0) {
		http_resp_error(resp, 403, "forbidden", NULL, "the %s role may not do this",
		    role_name(req->who.role));
		return false;
	}
	return true;
}

/* Scope of an Idempotency-Key: one dealer shares it across its keys. */
static const char *
idempotency_scope(const http_req *req)
{
	return req->who.role == ROLE_DEALER ? req->who.dealer_id : req->who.key_id;
}

/* Answers from a stored response: the same key with the same request
 * replays it; with another request it is refused. Returns true if resp
 * was filled. */
static bool
idempotency_replay(db_conn *db, http_req *req, const char *hash, http_resp *resp)
{
	db_rows *rows = db_query(db, "SELECT request_hash, status, content_type, response "
				     "FROM idempotency_keys WHERE scope = ? AND idem_key = ?",
	    "ss", idempotency_scope(req), req->idempotency_key);
	bool answered = false;

	if (rows == NULL)
		return false;
	if (db_rows_next(rows) == 1) {
		if (strcmp(db_rows_str(rows, 0), hash) != 0) {
			http_resp_error(resp, 422, "idempotency-key-reused", NULL,
			    "Idempotency-Key '%s' was already used for a different request",
			    req->idempotency_key);
		} else {
			size_t len = 0;
			const void *body = db_rows_blob(rows, 3, &len);
			buf_reset(&resp->body);
			buf_append(&resp->body, body ? body : "", body ? len : 0);
			resp->status = (int)db_rows_int(rows, 1);
			resp->content_type = "application/xml; charset=utf-8";
			resp->replayed = true;
		}
		answered = true;
	}
	db_rows_free(rows);
	return answered;
}

/* Runs the handler inside one transaction. With an Idempotency-Key, the key
 * is claimed first in the same transaction: a concurrent request with the
 * same key waits on that row and then replays this one's answer. */
static void
run_in_transaction(route_env *env, const route *r, http_req *req, http_resp *resp)
{
	db_conn *db = env->db;
	char hash[SHA256_HEX_LEN + 1];

	if (req->idempotency_key && strlen(req->idempotency_key) > 128) {
		http_resp_error(resp, 400, "bad-idempotency-key", NULL,
		    "Idempotency-Key is longer than 128 characters");
		return;
	}
	if (req->idempotency_key) {
		buf b;
		buf_init(&b, 0);
		buf_printf(&b, "%d %s\n", req->method, req->path);
		buf_append(&b, req->body.data ? req->body.data : "", req->body.len);
		sha256_hex(b.data, b.len, hash);
		buf_free(&b);
	}
	for (int attempt = 0; attempt < 5; attempt++) {
		if (db_begin(db) < 0)
			goto db_failed;
		if (req->idempotency_key) {
			int64_t n = db_exec(db, "INSERT INTO idempotency_keys (scope, idem_key, request_hash, "
						"status, created_at) VALUES (?, ?, ?, 0, UTC_TIMESTAMP(6))",
			    "sss", idempotency_scope(req), req->idempotency_key, hash);
			if (n < 0) {
				unsigned e = db_errno(db);
				db_rollback(db);
				if (e == DB_ER_DUP_ENTRY && idempotency_replay(db, req, hash, resp))
					return;
				if (db_retryable(db))
					continue;
				goto db_failed;
			}
		}
		http_resp_free(resp);
		http_resp_init(resp);
		r->fn(env, req, resp);
		if (resp->status >= 400) {
			db_rollback(db);
			if (resp->status == 503 && db_retryable(db))
				continue;
			return;
		}
		if (req->idempotency_key &&
		    db_exec(db, "UPDATE idempotency_keys SET status = ?, content_type = ?, response = ? "
				"WHERE scope = ? AND idem_key = ?",
			"dsbss", resp->status, resp->content_type, resp->body.data ? resp->body.data : "",
			resp->body.len, idempotency_scope(req), req->idempotency_key) < 0) {
			db_rollback(db);
			if (db_retryable(db))
				continue;
			goto db_failed;
		}
		if (db_commit(db) == 0)
			return;
		if (!db_retryable(db))
			goto db_failed;
	}
db_failed:
	log_warn("transaction failed: %s", db_error(db));
	http_resp_free(resp);
	http_resp_init(resp);
	http_resp_error(resp, 503, "database-unavailable", NULL,
	    "the database could not complete the request; it was not applied, retry later");
}

void
dispatch_job(server_ctx *ctx, db_conn **dbp, job *j)
{
	const route *r = &routes[j->route_index - 1];
	char err[256];
	route_env env = { .srv = ctx };

	if (*dbp == NULL)
		*dbp = db_connect(&ctx->db, err, sizeof err);
	if (*dbp == NULL || db_ensure(*dbp, err, sizeof err) != 0) {
		metrics_db_error();
		log_warn("database unavailable: %s", err);
		http_resp_error(&j->resp, 503, "database-unavailable", NULL,
		    "the database is unavailable; retry later");
		return;
	}
	env.db = *dbp;
	if (!(r->flags & ROUTE_PUBLIC) && !authenticate(env.db, r, &j->req, &j->resp))
		return;
	env.plugins = plugin_registry_acquire(ctx->plugins);
	if (r->flags & ROUTE_TRANSACTION)
		run_in_transaction(&env, r, &j->req, &j->resp);
	else
		r->fn(&env, &j->req, &j->resp);
	plugin_set_release(env.plugins);
	if (j->resp.status >= 500 && db_conn_lost(env.db)) {
		metrics_db_error();
		http_resp_free(&j->resp);
		http_resp_init(&j->resp);
		http_resp_error(&j->resp, 503, "database-unavailable", NULL,
		    "the database connection was lost; retry later");
	}
}
