/* exchange — the dealer document pipeline.
 *
 * What the HTTP face hands a dealer's documents to, and what answers the
 * dealer-facing reads (outbox, contracts, coverage, plans). For each inbound
 * document, alone or in a Batch:
 *
 *   1. hardened parse (no DOCTYPE, no entities, no network or files,
 *      bounded size and depth);
 *   2. XSD validation, every problem reported;
 *   3. the header's DealerId must be the authenticated dealer;
 *   4. in ONE transaction: the DocumentId is claimed for the dealer first
 *      (a concurrent duplicate waits on that row), business validation
 *      reports every problem with code, message and path, then the domain
 *      action runs and its reply is stored with the claim, and a
 *      confirmation also goes to the dealer's outbox;
 *   5. a DocumentId sent again with the same content (canon.h) gets the
 *      stored reply and changes nothing; with other content it is refused
 *      (duplicate-document-id). A rejected document is not recorded: fix
 *      it and send it again under the same DocumentId.
 *
 * A Batch is processed document by document, each in its own transaction;
 * one bad document does not sink the others.
 *
 * Nothing here knows HTTP: answers are an HTTP status and an XML body. */
#ifndef CD_EXCHANGE_EXCHANGE_H
#define CD_EXCHANGE_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "billing/settings.h"
#include "config/config.h"
#include "domain/pricing.h"
#include "storage/db.h"
#include "xml/xml_in.h"

struct plugin_set;

/* The process-wide settings of the exchange, from contractd.conf:
 *
 *   [quotes]
 *   valid_days = 30        ; a quote may be registered for this many days
 *   secret_file = PATH     ; the HMAC key signing quotes; default
 *                          ; STATE_DIR/quote-secret, created 0600 with 256
 *                          ; random bits on first use. Instances sharing a
 *                          ; database must share this file.
 *
 *   [claims]
 *   billing_plugin = NAME  ; the [plugin NAME] pricing claim labor (default:
 *   parts_plugin = NAME    ; the first billing / parts plugin configured)
 *
 * plus [seller], [invoices] and [tax] (billing/settings.h).
 */
typedef struct exchange_settings {
	int quote_valid_days;
	unsigned char quote_secret[256];
	size_t quote_secret_len;
	xml_limits limits;
	billing_settings billing;
	char claims_billing_plugin[65]; /* "" for the first billing plugin */
	char claims_parts_plugin[65];
} exchange_settings;

/* Reads the settings of cfg into *out, creating the quote secret file when
 * it does not exist. Returns 0, or -1 with a message in err. */
int exchange_settings_load(const config *cfg, exchange_settings *out, char *err,
    size_t errlen);

/* Once per process: compiles the XSD schemas and loads the settings of
 * cfg. Thread-safe; later calls return what the first successful one made
 * (a failed call is tried again next time). Returns the settings, or NULL
 * with a message in err. A server may call it at start-up to fail early. */
const exchange_settings *exchange_init(const config *cfg, char *err, size_t errlen);

/* Who is asking and with what. */
typedef struct exchange_ctx {
	db_conn *db;
	const struct plugin_set *plugins;
	const exchange_settings *settings;
	const char *dealer_id;      /* the authenticated dealer; NULL for staff */
	const char *actor;          /* for the audit trail: "dealer D1 key abc..." */
	date_t today;
} exchange_ctx;

/* An answer: HTTP status and an XML document. */
typedef struct exchange_reply {
	int status;
	char *body;                 /* owned, NUL-terminated */
	size_t len;
	bool replayed;              /* the stored answer to a duplicate */
} exchange_reply;

void exchange_reply_free(exchange_reply *r);
/* Reads a request body that must be a document of type (a
 * CreditNoteRequest, a Payment, ...): the hardened parser, the root, the
 * schema. Returns the document for the caller to free, or NULL with out
 * set to the error (400, or 413 when too large). */
xmlDocPtr exchange_read_request(const exchange_ctx *ctx, const char *type, const char *body,
    size_t len, exchange_reply *out);
/* Sets r to an Error document (code, message, optional path). */
void exchange_reply_error(exchange_reply *r, int status, const char *code, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* POST /v1/documents: one document or a Batch (see above). Answers:
 *   200  the reply document (Quote, ContractConfirmation, ...); for a
 *        duplicate the stored one, replayed set; for a Batch an
 *        Acknowledgement with one Document entry per document
 *   422  an Acknowledgement: the document was rejected, with its problems
 *   409  an Acknowledgement: duplicate-document-id (same id, other content)
 *   400  an Error: not XML, DOCTYPE, too deep, no document, an unknown
 *        document type (413 when too large)
 *   503  an Error: the database failed; nothing was applied */
void exchange_documents(const exchange_ctx *ctx, const char *body, size_t len,
    exchange_reply *out);

/* GET /v1/outbox: the dealer's outbox from the cursor after (-1: from the
 * last acknowledged), at most limit documents (1-1000). */
void exchange_outbox_read(const exchange_ctx *ctx, int64_t after, int limit,
    exchange_reply *out);
/* POST /v1/outbox/ack: acknowledges up to cursor (from the body
 * <OutboxAck><Cursor>N</Cursor></OutboxAck>, or cursor >= 0 given). Runs in
 * the caller's transaction. */
void exchange_outbox_ack(const exchange_ctx *ctx, const char *body, size_t len,
    int64_t cursor, exchange_reply *out);

/* GET /v1/plans (code NULL) and GET /v1/plans/{code}[?version=N]: a
 * Catalog document of the current plans, or of one plan. */
void exchange_plans(const exchange_ctx *ctx, const char *code, int version,
    exchange_reply *out);

/* GET /v1/contracts/{number}: the contract with its owners and any
 * cancellation; a dealer sees only its own (404 otherwise). */
void exchange_contract(const exchange_ctx *ctx, const char *number, exchange_reply *out);

/* GET /v1/claims/{number}: the claim's ClaimDecision as it stands (its
 * state may have moved on to paid); a dealer sees only its own. */
void exchange_claim(const exchange_ctx *ctx, const char *number, exchange_reply *out);

/* POST /v1/claims/{number}/paid (finance): marks an approved or partially
 * approved claim paid (the warrantor settled it); answers the claim.
 * Paying a paid claim again answers the same; a rejected claim is 409.
 * Runs in the caller's transaction. */
void exchange_claim_paid(const exchange_ctx *ctx, const char *number, exchange_reply *out);

/* GET /v1/invoices/{number}: the invoice or credit note as issued (UBL
 * 2.1); a dealer sees only those addressed to it. */
void exchange_invoice(const exchange_ctx *ctx, const char *number, exchange_reply *out);

/* POST /v1/invoices/{number}/credit-notes (finance): a CreditNoteRequest
 * body; issues the credit note (201, its UBL), puts it in the dealer's
 * outbox and audits it. 422 credit-refused when it would credit more than
 * a line has left. Runs in the caller's transaction. */
void exchange_credit_note(const exchange_ctx *ctx, const char *number, const char *body,
    size_t len, exchange_reply *out);

/* GET /v1/assets/{serial}/maintenance?date=&usage=: a MaintenanceSchedule
 * of the dealer's asset as of date, with the reading usage if known. */
void exchange_maintenance(const exchange_ctx *ctx, const char *serial, date_t date,
    bool has_usage, int64_t usage, exchange_reply *out);

struct run_status;
/* The BillingRun document of a run's status (preview: a dry run's). */
char *billing_run_doc(const struct run_status *st, bool preview, size_t *len);
/* POST /v1/billing-runs (finance): a BillingRunRequest. A dry run answers
 * 200 with its preview; otherwise the run is started (or found) and
 * answered 202 with its progress, and *run_id is set for the caller to
 * execute it in the background (0 when there is nothing left to do). */
void exchange_billing_run_post(const exchange_ctx *ctx, const char *body, size_t len,
    exchange_reply *out, int64_t *run_id);
/* GET /v1/billing-runs/{id} (finance): its progress. */
void exchange_billing_run_get(const exchange_ctx *ctx, int64_t id, exchange_reply *out);

/* GET /v1/assets/{serial}/coverage: a CoverageAnswer for the dealer's
 * asset on date with an optional reading and component. */
void exchange_coverage(const exchange_ctx *ctx, const char *serial, date_t date,
    bool has_usage, int64_t usage, const char *component, exchange_reply *out);

#endif
