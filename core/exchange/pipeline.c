/* pipeline — POST /v1/documents: parse, validate, claim, act, answer
 * (the steps are in exchange.h). */
#include "exchange/exchange.h"
#include "exchange/actions.h"
#include "exchange/canon.h"
#include "exchange/docparts.h"
#include "exchange/outbox.h"
#include "exchange/xmlread.h"
#include "exchange/xmlwrite.h"
#include "xml/schema.h"
#include "xml/xml_out.h"
#include "storage/audit.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A Batch carries at most this many documents (Batch.xsd). */
#define BATCH_MAX 1000

/* The inbound document types (Batch.xsd's choice). */
static const char *const inbound_types[] = {
	"QuoteRequest", "ContractRegistration", "ContractCancellation", "ContractTransfer",
	"CoverageInquiry", "ServiceClaim", "PartsOrder",
};

static bool
is_inbound_type(const char *name)
{
	for (size_t i = 0; i < sizeof inbound_types / sizeof inbound_types[0]; i++)
		if (strcmp(name, inbound_types[i]) == 0)
			return true;
	return false;
}

/* 1-64 letters, digits, '.', '_' or '-' (common.xsd Identifier). */
static bool
identifier_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* ------------------------------------------------------------------------
 * Replies
 * ------------------------------------------------------------------------ */

void
exchange_reply_free(exchange_reply *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

void
exchange_reply_error(exchange_reply *r, int status, const char *code, const char *path,
    const char *fmt, ...)
{
	xmlDocPtr doc;
	xmlNodePtr root = xw_new("Error", &doc);
	va_list ap;
	char message[1000];

	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	xw_text(root, "Code", code);
	xw_text(root, "Message", message[0] ? message : code);
	xw_opt(root, "Path", path);
	free(r->body);
	r->status = status;
	r->replayed = false;
	r->body = xw_finish(doc, &r->len);
}

/* ------------------------------------------------------------------------
 * One document
 * ------------------------------------------------------------------------ */

typedef enum doc_outcome {
	DOC_ACCEPTED,
	DOC_DUPLICATE,      /* the same document again: the stored reply */
	DOC_REJECTED,       /* problems */
	DOC_CONFLICT,       /* the same DocumentId with other content */
	DOC_FAILED,         /* the database failed; nothing applied */
} doc_outcome;

/* What became of one document. */
typedef struct doc_result {
	doc_outcome outcome;
	char type[64];
	char document_id[65];   /* "" when it could not be read */
	problem_list problems;
	char *reply;            /* owned: the reply document, accepted or duplicate */
	size_t reply_len;
	char error[600];
} doc_result;

static void
doc_result_free(doc_result *r)
{
	problems_free(&r->problems);
	free(r->reply);
	r->reply = NULL;
}

/* What the transaction body needs. */
typedef struct txn_arg {
	doc_job *job;
	doc_handler handler;
	const char *content_hash;
} txn_arg;

enum { TXN_REJECTED = 1, TXN_DUPLICATE = 2 };

/* The document's transaction: claim the DocumentId, act, store the reply
 * with the claim, put a confirmation in the outbox. */
static int
document_txn(db_conn *db, void *arg)
{
	txn_arg *t = arg;
	doc_job *job = t->job;
	int r;

	problems_clear(&job->problems);
	free(job->reply);
	job->reply = NULL;
	job->error[0] = '\0';
	job->audit_action[0] = '\0';
	if (db_exec(db, "INSERT INTO documents (dealer_id, document_id, content_hash, document_type, "
			"created_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))",
		"ssss", job->ctx->dealer_id, job->document_id, t->content_hash, job->type) < 0) {
		if (db_errno(db) == DB_ER_DUP_ENTRY)
			return TXN_DUPLICATE;
		snprintf(job->error, sizeof job->error, "claiming the document: %s", db_error(db));
		return -1;
	}
	r = t->handler(job);
	if (r != 0)
		return r > 0 ? TXN_REJECTED : -1;
	if (db_exec(db, "UPDATE documents SET reply_type = ?, reply = ? WHERE dealer_id = ? AND "
			"document_id = ?", "sbss", job->reply_type, job->reply, job->reply_len,
		job->ctx->dealer_id, job->document_id) < 0) {
		snprintf(job->error, sizeof job->error, "storing the reply: %s", db_error(db));
		return -1;
	}
	if (job->to_outbox &&
	    outbox_put(db, job->ctx->dealer_id, job->reply_type, job->reply_id, job->document_id,
		job->reply, job->reply_len, job->error, sizeof job->error) != 0)
		return -1;
	/* Last, so the audit chain's head stays locked only until the commit. */
	if (job->audit_action[0] != '\0' &&
	    audit_append(db, job->ctx->actor, job->audit_action, job->audit_entity,
		job->audit_entity_id, job->audit_detail, job->error, sizeof job->error) != 0)
		return -1;
	return 0;
}

/* Reads what was stored for the dealer's DocumentId. Returns 1 found
 * (hash and reply set), 0 not found, -1 on a database error. */
static int
stored_document(db_conn *db, const char *dealer_id, const char *document_id, char hash[65],
    char **reply, size_t *reply_len)
{
	db_rows *r = db_query(db, "SELECT content_hash, reply FROM documents WHERE dealer_id = ? "
				  "AND document_id = ?", "ss", dealer_id, document_id);
	int rc = 0;

	if (r == NULL)
		return -1;
	if (db_rows_next(r) == 1) {
		size_t len = 0;
		const void *body = db_rows_blob(r, 1, &len);
		snprintf(hash, 65, "%s", db_rows_str(r, 0) ? db_rows_str(r, 0) : "");
		*reply = xmalloc(len + 1);
		if (len)
			memcpy(*reply, body, len);
		(*reply)[len] = '\0';
		*reply_len = len;
		rc = 1;
	}
	db_rows_free(r);
	return rc;
}

/* Processes the document at root (a whole document, or one inside a
 * Batch when batch is set) into *res. */
static void
process_document(const exchange_ctx *ctx, xmlNodePtr root, bool batch, doc_result *res)
{
	xml_problem *xp = NULL;
	char base[256], dealer_id[65], hash[65], stored_hash[65];
	doc_job job;
	txn_arg t;
	doc_handler handler;
	size_t nxp = 0;
	int rc;

	memset(res, 0, sizeof *res);
	memset(&job, 0, sizeof job);
	snprintf(res->type, sizeof res->type, "%s", (const char *)root->name);
	xr_path(root, base, sizeof base);
	problems_init(&res->problems, base);
	dp_read_header(root, job.document_id, dealer_id);
	if (identifier_ok(job.document_id))
		snprintf(res->document_id, sizeof res->document_id, "%s", job.document_id);
	res->outcome = DOC_REJECTED;

	handler = action_for(res->type);
	if (handler == NULL) {
		problems_add(&res->problems, "unsupported-document", NULL,
		    "%s documents are not processed by this server yet", res->type);
		goto out;
	}
	xp = xcalloc(PROBLEMS_MAX, sizeof *xp);
	if (batch)
		rc = xml_validate_element(xml_schema_for_root("Batch"), root, xp, PROBLEMS_MAX, &nxp);
	else
		rc = xml_validate(xml_schema_for_root(res->type), root->doc, xp, PROBLEMS_MAX, &nxp);
	if (rc != 0) {
		for (size_t i = 0; i < nxp; i++)
			problems_add(&res->problems, xp[i].code, xp[i].path[0] == '/' ? xp[i].path : NULL,
			    "%s", xp[i].message);
		if (nxp == 0)
			problems_add(&res->problems, "schema-violation", NULL,
			    "the document does not match its schema");
		goto out;
	}
	if (strcasecmp(dealer_id, ctx->dealer_id) != 0) {
		problems_add(&res->problems, "dealer-mismatch", "Header/DealerId",
		    "DealerId %s is not the dealer you authenticated as (%s)", dealer_id,
		    ctx->dealer_id);
		goto out;
	}

	canon_hash(root, hash);
	job.ctx = ctx;
	job.root = root;
	job.type = res->type;
	problems_init(&job.problems, base);
	t.job = &job;
	t.handler = handler;
	t.content_hash = hash;
	for (int attempt = 0; attempt < 3; attempt++) {
		rc = db_transaction(ctx->db, 5, document_txn, &t);
		if (rc == 0) {
			res->outcome = DOC_ACCEPTED;
			res->reply = job.reply;
			res->reply_len = job.reply_len;
			job.reply = NULL;
			break;
		}
		if (rc == TXN_REJECTED) {
			res->outcome = DOC_REJECTED;
			problems_free(&res->problems);
			res->problems = job.problems;
			memset(&job.problems, 0, sizeof job.problems);
			break;
		}
		if (rc < 0) {
			res->outcome = DOC_FAILED;
			snprintf(res->error, sizeof res->error, "%s",
			    job.error[0] ? job.error : db_error(ctx->db));
			break;
		}
		/* Claimed before: the stored answer, or a conflict. */
		rc = stored_document(ctx->db, ctx->dealer_id, job.document_id, stored_hash,
		    &res->reply, &res->reply_len);
		if (rc < 0) {
			res->outcome = DOC_FAILED;
			snprintf(res->error, sizeof res->error, "%s", db_error(ctx->db));
			break;
		}
		if (rc == 0)
			continue;  /* its first sender rolled back: try again */
		if (strcmp(stored_hash, hash) == 0) {
			res->outcome = DOC_DUPLICATE;
		} else {
			free(res->reply);
			res->reply = NULL;
			res->outcome = DOC_CONFLICT;
			problems_add(&res->problems, "duplicate-document-id", "Header/DocumentId",
			    "DocumentId %s was used before for a document with other content",
			    job.document_id);
		}
		break;
	}
	if (res->outcome == DOC_FAILED)
		log_warn("document %s of %s not processed: %s", job.document_id, ctx->dealer_id,
		    res->error);
out:
	problems_free(&job.problems);
	free(job.reply);
	free(xp);
}

/* ------------------------------------------------------------------------
 * Acknowledgements
 * ------------------------------------------------------------------------ */

static const char *
status_name(doc_outcome o)
{
	switch (o) {
	case DOC_ACCEPTED: return "accepted";
	case DOC_DUPLICATE: return "duplicate";
	default: return "rejected";
	}
}

/* Appends one Document entry for res to the Acknowledgement root. */
static void
ack_entry(xmlNodePtr root, doc_result *res)
{
	xmlNodePtr entry = xw_elem(root, "Document");

	xw_opt(entry, "DocumentId", res->document_id);
	xw_text(entry, "DocumentType", res->type);
	xw_text(entry, "Status", status_name(res->outcome));
	if (res->outcome == DOC_FAILED)
		problems_add(&res->problems, "database-unavailable", NULL,
		    "the database could not complete this document; nothing was applied, "
		    "send it again");
	dp_write_problems(entry, &res->problems);
	if (res->reply != NULL) {
		xml_limits lim = { res->reply_len + 1, 256 };
		xml_problem prob;
		xmlDocPtr reply = xml_parse_untrusted(res->reply, res->reply_len, &lim, &prob);
		if (reply != NULL) {
			xw_copy(xw_elem(entry, "Reply"), xmlDocGetRootElement(reply));
			xmlFreeDoc(reply);
		}
	}
}

/* The Acknowledgement's root with its header. */
static xmlNodePtr
ack_new(const exchange_ctx *ctx, const char *in_reply_to, xmlDocPtr *doc)
{
	xmlNodePtr root = xw_new("Acknowledgement", doc);
	char id[65];

	dp_new_id("ACK", id);
	dp_write_reply_header(root, id, ctx->dealer_id, ctx->today, in_reply_to);
	return root;
}

/* ------------------------------------------------------------------------
 * Entry points
 * ------------------------------------------------------------------------ */

static void
answer_single(const exchange_ctx *ctx, xmlNodePtr root, exchange_reply *out)
{
	doc_result res;
	xmlDocPtr doc;
	xmlNodePtr ack;

	process_document(ctx, root, false, &res);
	switch (res.outcome) {
	case DOC_ACCEPTED:
	case DOC_DUPLICATE:
		out->status = 200;
		out->body = res.reply;
		out->len = res.reply_len;
		out->replayed = res.outcome == DOC_DUPLICATE;
		res.reply = NULL;
		break;
	case DOC_FAILED:
		exchange_reply_error(out, 503, "database-unavailable", NULL,
		    "the database could not complete the document; nothing was applied, send it again");
		break;
	default:
		ack = ack_new(ctx, res.document_id, &doc);
		ack_entry(ack, &res);
		out->status = res.outcome == DOC_CONFLICT ? 409 : 422;
		out->body = xw_finish(doc, &out->len);
		break;
	}
	doc_result_free(&res);
}

static void
answer_batch(const exchange_ctx *ctx, xmlNodePtr batch, exchange_reply *out)
{
	xmlNodePtr header = xr_child(batch, "Header"), ack;
	xmlDocPtr doc;
	char batch_id[65], dealer_id[65], path[300];
	size_t n = 0;

	xr_text(header, "DocumentId", batch_id, sizeof batch_id);
	xr_text(header, "DealerId", dealer_id, sizeof dealer_id);
	if (batch->ns == NULL || strcmp((const char *)batch->ns->href, CD_XML_NS) != 0) {
		exchange_reply_error(out, 400, "wrong-namespace", "/Batch",
		    "Batch must be in namespace %s", CD_XML_NS);
		return;
	}
	if (header == NULL || !identifier_ok(batch_id) || !identifier_ok(dealer_id)) {
		exchange_reply_error(out, 400, "invalid-batch", "/Batch/Header",
		    "a Batch starts with a Header holding its DocumentId and DealerId");
		return;
	}
	if (strcasecmp(dealer_id, ctx->dealer_id) != 0) {
		exchange_reply_error(out, 422, "dealer-mismatch", "/Batch/Header/DealerId",
		    "DealerId %s is not the dealer you authenticated as (%s)", dealer_id,
		    ctx->dealer_id);
		return;
	}
	for (xmlNodePtr c = batch->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && c != header)
			n++;
	if (n == 0 || n > BATCH_MAX) {
		exchange_reply_error(out, 400, n ? "too-many-documents" : "empty-batch", "/Batch",
		    "a Batch carries 1 to %d documents; this one has %zu", BATCH_MAX, n);
		return;
	}
	ack = ack_new(ctx, batch_id, &doc);
	for (xmlNodePtr c = batch->children; c; c = c->next) {
		doc_result res;
		if (c->type != XML_ELEMENT_NODE || c == header)
			continue;
		if (!is_inbound_type((const char *)c->name) || c->ns == NULL ||
		    strcmp((const char *)c->ns->href, CD_XML_NS) != 0) {
			memset(&res, 0, sizeof res);
			snprintf(res.type, sizeof res.type, "%.63s", (const char *)c->name);
			xr_path(c, path, sizeof path);
			problems_init(&res.problems, path);
			res.outcome = DOC_REJECTED;
			problems_add(&res.problems, "unexpected-element", NULL,
			    "%s is not a document a Batch may carry", (const char *)c->name);
		} else {
			process_document(ctx, c, true, &res);
		}
		ack_entry(ack, &res);
		doc_result_free(&res);
	}
	out->status = 200;
	out->body = xw_finish(doc, &out->len);
}

void
exchange_documents(const exchange_ctx *ctx, const char *body, size_t len, exchange_reply *out)
{
	xml_problem prob;
	xmlDocPtr doc;
	xmlNodePtr root;
	const char *name;

	memset(out, 0, sizeof *out);
	doc = xml_parse_untrusted(body, len, &ctx->settings->limits, &prob);
	if (doc == NULL) {
		exchange_reply_error(out, strcmp(prob.code, "too-large") == 0 ? 413 : 400, prob.code,
		    prob.path, "%s", prob.message);
		return;
	}
	root = xmlDocGetRootElement(doc);
	name = root ? (const char *)root->name : "";
	if (root != NULL && strcmp(name, "Batch") == 0)
		answer_batch(ctx, root, out);
	else if (root != NULL && is_inbound_type(name))
		answer_single(ctx, root, out);
	else
		exchange_reply_error(out, 400, "unsupported-document", "/",
		    "%s is not a document dealers send: expected QuoteRequest, ContractRegistration, "
		    "ContractCancellation, ContractTransfer, CoverageInquiry or a Batch of them",
		    name[0] ? name : "(nothing)");
	xmlFreeDoc(doc);
}
