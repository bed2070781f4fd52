/* docparts — the structures documents share (common.xsd), read from
 * inbound documents and written into replies: header, asset, customer,
 * plan reference and summary, price, split, pricing record, problems. */
#ifndef CD_EXCHANGE_DOCPARTS_H
#define CD_EXCHANGE_DOCPARTS_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "base/date.h"
#include "domain/asset.h"
#include "domain/contract.h"
#include "domain/customer.h"
#include "domain/plan.h"
#include "domain/pricing.h"
#include "domain/problem.h"
#include "domain/refund.h"

/* Reading. rel is the element's path below the document root, for
 * problems ("Asset"). */

/* Header/DocumentId and Header/DealerId ("" when absent). */
void dp_read_header(xmlNodePtr root, char document_id[65], char dealer_id[65]);
/* An Asset element; money and currency problems go into pl. Returns false
 * when a problem was found. */
bool dp_read_asset(xmlNodePtr el, asset *out, problem_list *pl, const char *rel);
/* An AssetRef (or the identity of an Asset): serial number or VIN. */
void dp_read_asset_ref(xmlNodePtr el, char serial[65], bool *is_vin);
void dp_read_customer(xmlNodePtr el, customer *out);
/* A PlanReference: code and version (0 when absent). */
void dp_read_plan_ref(xmlNodePtr el, char code[65], int *version);

/* Writing. */

/* A new server document id: prefix, '-', 16 random hex digits. */
void dp_new_id(const char *prefix, char out[65]);
/* The ReplyHeader. in_reply_to may be NULL or "". */
void dp_write_reply_header(xmlNodePtr root, const char *document_id, const char *dealer_id,
    date_t issue_date, const char *in_reply_to);
void dp_write_asset_ref(xmlNodePtr parent, const char *name, const char *serial, bool is_vin);
void dp_write_customer(xmlNodePtr parent, const char *name, const customer *c);
/* PlanSummary: code, version, name, term, usage limit, coverage. */
void dp_write_plan_summary(xmlNodePtr parent, const plan *p);
/* PriceBreakdown as <Price>. */
void dp_write_price(xmlNodePtr parent, const priced *p);
/* PricingRecord as <Pricing>. */
void dp_write_pricing_record(xmlNodePtr parent, const priced *p);
/* MoneySplit as <Split>. */
void dp_write_split(xmlNodePtr parent, const priced *p);
/* ContractCoverage as <Coverage>. */
void dp_write_contract_coverage(xmlNodePtr parent, const contract *c, const plan *p);
/* RefundBreakdown as <Refund>. */
void dp_write_refund(xmlNodePtr parent, const refund_result *r, const char *currency);
/* <Problems> with one <Problem> per entry and, when some were dropped, a
 * last too-many-problems entry. Nothing when the list is empty. */
void dp_write_problems(xmlNodePtr parent, const problem_list *pl);

#endif
