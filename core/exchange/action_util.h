/* action_util — what the document handlers (actions.c, claims.c,
 * parts.c) share: handing over the reply, the audit record, and small
 * formatting helpers. Internal to core/exchange. */
#ifndef CD_EXCHANGE_ACTION_UTIL_H
#define CD_EXCHANGE_ACTION_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "base/date.h"
#include "domain/contract.h"
#include "domain/coverage.h"
#include "domain/plan.h"
#include "exchange/actions.h"

/* Hands a finished reply document (tree, or text the job takes over) to
 * the job. */
void action_set_reply(doc_job *job, xmlDocPtr doc, const char *type, const char *id,
    bool to_outbox);
void action_set_reply_text(doc_job *job, char *text, size_t len, const char *type,
    const char *id, bool to_outbox);
/* Sets the audit record the pipeline appends for this document. detail
 * pairs: key, value, ..., NULL. */
void action_set_audit(doc_job *job, const char *action, const char *entity,
    const char *entity_id, ...);
/* The coverage facts (coverage.h) of n contracts and their plans: cc[i]
 * for contract i, whose covered components point into comps[i], which
 * action_coverage_contracts_free releases (with comps itself). */
void action_coverage_contracts(const contract *cs, plan *const *plans, size_t n,
    coverage_contract *cc, const char ***comps);
void action_coverage_contracts_free(const char ***comps, size_t n);

struct invoice;
/* Issues inv for source in the document's transaction (invoice_issue puts
 * its UBL in the buyer dealer's outbox); number receives the invoice number (also when
 * the source had its invoice already). Returns 0; 1 with a problem in the
 * job (invoicing-not-configured, invoice-refused); -1 on a database error
 * (job->error set). */
int action_issue_invoice(doc_job *job, struct invoice *inv, const char *source,
    char number[33]);
/* Records a database error in the job; returns -1. */
int action_db_failed(doc_job *job, const char *what, const char *err);
/* Minor units as text for audit details. */
const char *action_amount_text(int64_t amount, const char *currency, char out[32]);
const char *action_date_text(date_t d, char out[DATE_STR_LEN + 1]);

#endif
