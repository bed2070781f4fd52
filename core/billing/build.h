/* build — the invoices each business event gives rise to, as data.
 *
 *   claim, customer share     an invoice to the customer (ORIGIN_CLAIM_CUSTOMER,
 *                             or ORIGIN_REPAIR when nothing was covered): every
 *                             line's customer amount, plus the deductible as a
 *                             line of its own
 *   claim, warrantor share    a credit note to the dealer (ORIGIN_CLAIM_SETTLEMENT):
 *                             every line's covered amount, less the deductible;
 *                             it credits the dealer's account with what the
 *                             warrantor owes for the repair — per claim, or
 *                             for a month's claims in a billing run (runs.h)
 *   parts order               an invoice to the dealer (ORIGIN_PARTS_ORDER): the
 *                             priced lines as the parts plugin gave them
 *   contract sale             an invoice to the contract's buyer
 *                             (ORIGIN_CONTRACT_SALE): the contract's price,
 *                             or one installment of it (runs.h)
 *   cancellation              a credit note to the buyer (ORIGIN_CANCELLATION)
 *                             referencing the sale invoice: the refund
 *
 * A line whose whole amount goes to one payer keeps its quantity and unit
 * price; a share of a line is billed as one unit of that share. Tax rates
 * come from [tax] per category. The builders only fill data: issuing
 * (numbering, totals, UBL, storage) is issue.h's. Nothing here fails: the
 * caller has checked that the rates it needs are configured. */
#ifndef CD_BILLING_BUILD_H
#define CD_BILLING_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "billing/invoice.h"
#include "billing/settings.h"
#include "domain/claim_store.h"
#include "domain/contract.h"
#include "domain/customer.h"
#include "domain/pricing.h"
#include "storage/db.h"

/* The buyer for a customer (an individual or a company). */
void party_from_customer(const customer *c, invoice_party *out);
/* The buyer for a dealer, from the dealers table; a dealer without a
 * billing country is taken to be in the seller's. Returns 1, 0 (no such
 * dealer) or -1. */
int party_from_dealer(db_conn *db, const char *dealer_id, const billing_settings *bs,
    invoice_party *out, char *err, size_t errlen);

/* Each builder fills *out (zeroed first; lines owned, invoice_free) and
 * returns the number of lines: 0 means there is nothing to bill. */
size_t build_claim_customer_invoice(const claim_record *c, const claim_line *lines, size_t n,
    const tax_rates *rates, const invoice_party *buyer, date_t today, invoice *out);
size_t build_claim_settlement(const claim_record *c, const claim_line *lines, size_t n,
    const tax_rates *rates, const invoice_party *dealer_party, date_t today, invoice *out);
/* Appends claim c's settlement lines (covered amounts, less the
 * deductible, each noting the claim) to out, growing out->lines: the
 * lines of a claim's own credit note, or of a billing run's. Returns the
 * number of lines added (0: the warrantor pays nothing). */
size_t build_settlement_add_claim(invoice *out, const claim_record *c, const claim_line *lines,
    size_t n, const tax_rates *rates);
size_t build_parts_invoice(const char *dealer_id, const char *order_number,
    const char *order_reference, const char *currency, const cd_line *lines, size_t n,
    const tax_rates *rates, const invoice_party *dealer_party, date_t today, invoice *out);
size_t build_contract_sale(const contract *c, const char *plan_name, const invoice_party *buyer,
    date_t today, invoice *out);
/* Installment k (1..N) of a contract paid in N installments, to its
 * buyer: its price split into N parts that add up to it exactly. */
size_t build_installment(const contract *c, const char *plan_name, int k, date_t today,
    invoice *out);
size_t build_cancellation_credit(const contract *c, const invoice *sale, int64_t refund_net,
    const invoice_party *buyer, date_t today, invoice *out);

#endif
