/* outbox — storing, numbering, reading and acknowledging dealers'
 * outbox documents (see outbox.h and exchange.h). */
#include "exchange/outbox.h"
#include "exchange/exchange.h"
#include "exchange/xmlread.h"
#include "exchange/xmlwrite.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The dealer's cursor row, created when missing and locked. */
static int
lock_cursor(db_conn *db, const char *dealer_id, int64_t *last, int64_t *acked)
{
	db_rows *r;
	int rc = -1;

	if (db_exec(db, "INSERT IGNORE INTO outbox_cursors (dealer_id) VALUES (?)", "s",
		dealer_id) < 0)
		return -1;
	r = db_query(db, "SELECT last_seq, acked_seq FROM outbox_cursors WHERE dealer_id = ? "
			 "FOR UPDATE", "s", dealer_id);
	if (r == NULL)
		return -1;
	if (db_rows_next(r) == 1) {
		*last = db_rows_int(r, 0);
		*acked = db_rows_int(r, 1);
		rc = 0;
	}
	db_rows_free(r);
	return rc;
}

typedef struct sequence_job {
	const char *dealer_id;
	int64_t last;
	int64_t acked;
} sequence_job;

/* Gives cursor numbers to the dealer's documents that have none, in
 * insertion order. A transaction body for db_transaction. */
static int
sequence_txn(db_conn *db, void *arg)
{
	sequence_job *j = arg;
	db_rows *r;
	int64_t next;

	if (lock_cursor(db, j->dealer_id, &j->last, &j->acked) != 0)
		return -1;
	next = j->last;
	r = db_query(db, "SELECT id FROM outbox WHERE dealer_id = ? AND seq IS NULL ORDER BY id "
			 "LIMIT 10000 FOR UPDATE", "s", j->dealer_id);
	if (r == NULL)
		return -1;
	while (db_rows_next(r) == 1) {
		if (db_exec(db, "UPDATE outbox SET seq = ? WHERE id = ?", "ii", next + 1,
			db_rows_int(r, 0)) < 0) {
			db_rows_free(r);
			return -1;
		}
		next++;
	}
	db_rows_free(r);
	if (next != j->last &&
	    db_exec(db, "UPDATE outbox_cursors SET last_seq = ? WHERE dealer_id = ?", "is", next,
		j->dealer_id) < 0)
		return -1;
	j->last = next;
	return 0;
}

void
exchange_outbox_read(const exchange_ctx *ctx, int64_t after, int limit, exchange_reply *out)
{
	sequence_job j = { ctx->dealer_id, 0, 0 };
	db_rows *r = NULL;
	xmlDocPtr doc;
	xmlNodePtr root;
	xml_limits lim = { 64u * 1024 * 1024, 256 };
	int64_t last_given;
	size_t n = 0;

	memset(out, 0, sizeof *out);
	if (db_transaction(ctx->db, 5, sequence_txn, &j) != 0) {
		exchange_reply_error(out, 503, "database-unavailable", NULL,
		    "the outbox cannot be read now; retry later");
		return;
	}
	if (after < 0)
		after = j.acked;
	r = db_query(ctx->db, "SELECT seq, document_type, document_id, in_reply_to, body FROM outbox "
			      "WHERE dealer_id = ? AND seq > ? ORDER BY seq LIMIT ?",
	    "sid", ctx->dealer_id, after, limit + 1);
	if (r == NULL) {
		exchange_reply_error(out, 503, "database-unavailable", NULL,
		    "the outbox cannot be read now; retry later");
		return;
	}
	root = xw_new("Outbox", &doc);
	xw_text(root, "DealerId", ctx->dealer_id);
	xw_int(root, "After", after);
	xw_int(root, "Acknowledged", j.acked);
	last_given = after;
	while (db_rows_next(r) == 1) {
		xmlNodePtr entry, holder;
		xml_problem prob;
		size_t blen = 0;
		const void *body;
		xmlDocPtr stored;

		if (n == (size_t)limit)
			break;
		n++;
		last_given = db_rows_int(r, 0);
		entry = xw_elem(root, "Entry");
		xw_int(entry, "Cursor", last_given);
		xw_text(entry, "DocumentType", db_rows_str(r, 1));
		xw_text(entry, "DocumentId", db_rows_str(r, 2));
		xw_opt(entry, "InReplyTo", db_rows_str(r, 3));
		holder = xw_elem(entry, "Document");
		body = db_rows_blob(r, 4, &blen);
		stored = body ? xml_parse_untrusted(body, blen, &lim, &prob) : NULL;
		if (stored != NULL) {
			xw_copy(holder, xmlDocGetRootElement(stored));
			xmlFreeDoc(stored);
		} else {
			log_warn("outbox entry %lld of %s is not readable XML", (long long)last_given,
			    ctx->dealer_id);
		}
	}
	xw_int(root, "Last", last_given);
	xw_text(root, "More", db_rows_count(r) > n ? "true" : "false");
	db_rows_free(r);
	out->status = 200;
	out->body = xw_finish(doc, &out->len);
}

void
exchange_outbox_ack(const exchange_ctx *ctx, const char *body, size_t len, int64_t cursor,
    exchange_reply *out)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int64_t last = 0, acked = 0, pending = 0;

	memset(out, 0, sizeof *out);
	if (cursor < 0) {
		xml_problem prob;
		doc = xml_parse_untrusted(body, len, &ctx->settings->limits, &prob);
		if (doc == NULL) {
			exchange_reply_error(out, strcmp(prob.code, "too-large") == 0 ? 413 : 400,
			    prob.code, prob.path, "%s", prob.message);
			return;
		}
		root = xmlDocGetRootElement(doc);
		if (!xr_is(root, "OutboxAck") || !xr_int(root, "Cursor", &cursor, NULL, NULL) ||
		    cursor < 0) {
			exchange_reply_error(out, 400, "invalid-request", "/OutboxAck/Cursor",
			    "expected <OutboxAck xmlns=\"urn:contractd:1\"><Cursor>N</Cursor></OutboxAck> "
			    "or ?cursor=N");
			goto out;
		}
	}
	if (lock_cursor(ctx->db, ctx->dealer_id, &last, &acked) != 0)
		goto db_error;
	if (cursor > last) {
		exchange_reply_error(out, 422, "cursor-out-of-range", "/OutboxAck/Cursor",
		    "cursor %lld is beyond the last document given out (%lld)", (long long)cursor,
		    (long long)last);
		goto out;
	}
	if (cursor > acked) {
		if (db_exec(ctx->db, "UPDATE outbox_cursors SET acked_seq = ? WHERE dealer_id = ?", "is",
			cursor, ctx->dealer_id) < 0)
			goto db_error;
		/* AUDIT: audit_append(db, actor, "outbox.ack", "outbox", dealer_id, "cursor N") */
		acked = cursor;
	}
	if (db_query_int(ctx->db, &pending, "SELECT COUNT(*) FROM outbox WHERE dealer_id = ? AND "
					    "(seq IS NULL OR seq > ?)", "si", ctx->dealer_id, acked) < 0)
		goto db_error;
	{
		xmlDocPtr reply;
		xmlNodePtr r = xw_new("OutboxAck", &reply);
		xw_int(r, "Cursor", acked);
		xw_int(r, "Pending", pending);
		out->status = 200;
		out->body = xw_finish(reply, &out->len);
	}
	goto out;
db_error:
	exchange_reply_error(out, 503, "database-unavailable", NULL,
	    "the acknowledgement could not be stored; retry later");
out:
	if (doc)
		xmlFreeDoc(doc);
}
