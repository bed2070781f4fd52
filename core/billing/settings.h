/* settings — who issues invoices and on what terms, from contractd.conf:
 *
 *   [seller]                      ; the seller on every invoice (BG-4)
 *   name = Example Warranty GmbH  ; required to issue invoices
 *   street = Hauptstrasse 1
 *   additional_street =
 *   city = Berlin
 *   postal_code = 10115
 *   country = DE                  ; required: ISO 3166 alpha-2
 *   vat_id = DE123456789          ; required for S, Z, E and AE lines
 *   legal_id = HRB 12345          ; company registration
 *   email = billing@example.com   ; electronic address
 *   iban = DE02120300000000202051 ; where buyers pay
 *
 *   [invoices]
 *   payment_days = 30             ; due date = issue date + this
 *   payment_means = 58            ; UNCL 4461: 58 SEPA credit transfer, 30 transfer
 *   invoice_series = INV          ; numbers INV-2026-000001, gap-free per year
 *   credit_note_series = CN       ; numbers CN-2026-000001
 *   exempt_reason = Exempt from VAT
 *   reverse_charge_reason = Reverse charge
 *   run_invoice_lines = 500       ; most contracts on one billing-run invoice
 *   claim_settlement = per-claim  ; when the warrantor's share of a claim is
 *                                 ; credited to the dealer: per-claim, a credit
 *                                 ; note as the claim is decided; billing-run,
 *                                 ; one credit note per dealer and month for
 *                                 ; the claims decided in it (runs.h)
 *
 *   [tax]
 *   standard = 0.19               ; rate per tax category, a decimal fraction
 *   zero = 0                      ; (defaults: zero, exempt and reverse 0;
 *   exempt = 0                    ;  standard unset: whatever is taxed S is
 *   reverse = 0                   ;  refused with tax-rate-missing)
 *
 * Without [seller] name and country
 * the server runs, but everything that would issue an invoice is refused
 * with "invoicing-not-configured". */
#ifndef CD_BILLING_SETTINGS_H
#define CD_BILLING_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "billing/invoice.h"
#include "config/config.h"
#include "domain/pricing.h"

#define BILLING_SERIES_MAX 16

typedef struct billing_settings {
	bool configured;                  /* [seller] name and country are set */
	invoice_party seller;
	char iban[INVOICE_ID_MAX + 1];
	char payment_means[4];
	int payment_days;
	char invoice_series[BILLING_SERIES_MAX + 1];
	char credit_note_series[BILLING_SERIES_MAX + 1];
	char exempt_reason[INVOICE_TEXT_MAX + 1];
	char reverse_charge_reason[INVOICE_TEXT_MAX + 1];
	int run_invoice_lines;
	bool settle_claims_in_runs;       /* claim_settlement = billing-run */
	tax_rates tax;
} billing_settings;

/* Reads [seller], [invoices] and [tax] of cfg into *out. Returns 0, or -1 with a
 * message naming the key in err (a malformed value; absent ones default). */
int billing_settings_load(const config *cfg, billing_settings *out, char *err, size_t errlen);

#endif
