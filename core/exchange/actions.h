/* actions — what each inbound document does, once it passed its schema.
 *
 * Each handler runs inside the document's transaction, after the
 * DocumentId was claimed. It reads the document, checks every business
 * rule (collecting every problem, each with a code and the path of the
 * offending element), and when nothing is wrong carries out the domain
 * action and builds the reply document. Handlers have no effect outside
 * the database, so the transaction may run them again after a deadlock. */
#ifndef CD_EXCHANGE_ACTIONS_H
#define CD_EXCHANGE_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "domain/problem.h"
#include "exchange/exchange.h"

typedef struct doc_job {
	const exchange_ctx *ctx;
	xmlNodePtr root;              /* the document element */
	const char *type;             /* its local name: "QuoteRequest" */
	char document_id[65];
	problem_list problems;        /* paths relative to the document's root */
	/* Set by a handler that succeeded: */
	char *reply;                  /* the reply document, owned */
	size_t reply_len;
	char reply_type[40];          /* its root element: "Quote" */
	char reply_id[65];            /* its DocumentId */
	bool to_outbox;               /* a confirmation the dealer's outbox keeps */
	/* The audit record of a state change (action "" when none): appended
	 * last in the transaction, so the chain head is locked only until the
	 * commit. */
	char audit_action[64];        /* "contract.register" */
	char audit_entity[64];        /* "contract" */
	char audit_entity_id[128];    /* "SC-00000042" */
	char audit_detail[1024];      /* key=value pairs */
	/* Set by a handler that met a database error: */
	char error[600];
} doc_job;

/* Returns 0 when done (reply set), 1 when the document is rejected
 * (problems set), -1 on a database error (error set). */
typedef int (*doc_handler)(doc_job *job);

int action_quote_request(doc_job *job);
int action_contract_registration(doc_job *job);
int action_contract_cancellation(doc_job *job);
int action_contract_transfer(doc_job *job);
int action_coverage_inquiry(doc_job *job);
int action_service_claim(doc_job *job);    /* claims.c */
int action_parts_order(doc_job *job);      /* parts.c */

/* The handler for an inbound document type, or NULL when the server does
 * not process that type (yet). */
doc_handler action_for(const char *type);

/* Builds the CoverageAnswer for an asset (known or not) and a question;
 * shared by CoverageInquiry and GET /v1/assets/{serial}/coverage. serial
 * and is_vin name the asset as asked. in_reply_to may be NULL. Returns the
 * document (caller frees) or NULL with a message in err on a database
 * error. */
char *action_coverage_answer(const exchange_ctx *ctx, const char *serial, bool is_vin,
    const asset *given, date_t date, bool has_usage, int64_t usage, const char *component,
    const char *in_reply_to, size_t *len, char *err, size_t errlen);

#endif
