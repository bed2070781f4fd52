/* ubl — an invoice or credit note as a UBL 2.1 document conforming to
 * EN 16931 (CustomizationID urn:cen.eu:en16931:2017, no ProfileID).
 *
 * An INVOICE_COMMERCIAL becomes an Invoice with InvoiceTypeCode 380, an
 * INVOICE_CREDIT_NOTE a CreditNote with CreditNoteTypeCode 381. What is
 * written, in schema order: BT-1 number, BT-2 issue date, BT-9 due date
 * (an Invoice's cbc:DueDate; a CreditNote has none, so there it is
 * cac:PaymentMeans/cbc:PaymentDueDate, written only when the invoice has a
 * payment means), BT-3, BT-22 note, BT-5 currency, BT-10 buyer reference,
 * BT-13 order reference, BT-25/26 preceding invoice (BillingReference),
 * BT-12 contract reference, the seller and the buyer (electronic address
 * as EndpointID schemeID "EM", party identifier, postal address, VAT
 * identifier as PartyTaxScheme with TaxScheme VAT, registration name and
 * legal registration identifier), payment means (BT-81, IBAN BT-84),
 * payment terms (BT-20), the VAT breakdown (one TaxSubtotal per category
 * and rate), the document totals (PrepaidAmount only when not zero) and
 * the lines. Empty optional fields are left out, never written empty.
 *
 * Signs. EN 16931 states a credit note with the signs an invoice would
 * have: what a credit note credits is positive, and the buyer reads it as
 * money owed to them because the document is a credit note. The invoice
 * model already works that way (credit_note_issue and the cancellation
 * builder credit positive amounts; a line that reduces a credit, such as
 * the deductible on a claim settlement, is negative like a discount line
 * on an invoice). So the writer prints every amount with the sign the
 * model gives it and never flips one, and it refuses a document whose
 * total with VAT (BT-112) is negative: a negative invoice is a credit note
 * and the other way round. The item net price (BT-146) may not be negative
 * (BR-27), so a line with a negative unit price is written as a negative
 * quantity at the positive price.
 *
 * Decimals. Amounts print with the currency's decimals capped at two
 * (BR-DEC-*): "12.30" EUR, "1230" JPY. An invoice in a three-decimal
 * currency such as BHD is issued in hundredths (invoice.h), so an amount
 * that is not a multiple of invoice_amount_granule() is refused here,
 * never rounded: "12.340" BHD prints as "12.34", 12.345 BHD is an error.
 * Unit prices (BT-146, not bound by BR-DEC) print with all the currency's
 * decimals. Rates print as percent without trailing zeros: 0.19 as "19",
 * 0.075 as "7.5"; categories Z, E and AE print "0".
 *
 * Exemption reasons (BT-120/121). An exempt (E) group carries the text
 * exemption_reason, or "Exempt from VAT" when that is empty. A reverse-
 * charge (AE) group carries the code VATEX-EU-AE and the text
 * reverse_charge_reason; when that is empty, exemption_reason if the
 * invoice has no exempt group, else "Reverse charge". S and Z groups carry
 * none (BR-S-10, BR-Z-10).
 *
 * Refusals. The writer never produces a document the EN 16931 rules would
 * reject: it returns NULL and says why (naming the rule) for a missing
 * number; a currency EN 16931's code list lacks; a seller or buyer
 * without a name or a valid ISO 3166 country; a seller with none of VAT
 * identifier, legal registration identifier or party identifier (BR-CO-26);
 * a VAT identifier without a country prefix (BR-CO-09); no lines; a line
 * without an item name, a unit code or a line number; a standard-rated line
 * without a positive rate, or a Z, E or AE line with one; a missing seller
 * VAT identifier with S, Z, E or AE lines (BR-S-02, BR-Z-02, BR-E-02,
 * BR-AE-02) or a reverse-charge line without the buyer's VAT or legal
 * identifier (BR-AE-02); an amount that is not a multiple of the granule;
 * totals that are not those invoice_totals_compute_in() gives for the lines
 * (BR-CO-10 to BR-CO-16); a negative total; a payment means code outside
 * UNCL 4461, or credit transfer (30, 58) without an IBAN (BR-61); text that
 * is not valid UTF-8 or holds control characters XML cannot carry. */
#ifndef CD_BILLING_UBL_H
#define CD_BILLING_UBL_H

#include <stddef.h>

#include "billing/invoice.h"

#define UBL_CUSTOMIZATION_ID "urn:cen.eu:en16931:2017"

/* Writes inv (borrowed; its totals must be those of its lines) as a UBL
 * 2.1 Invoice or CreditNote in UTF-8. Returns the document, NUL-terminated,
 * malloc'd for the caller to free, with its length in *len; or NULL with
 * *len 0 and a message in err (errlen bytes) when inv cannot be written
 * as a valid EN 16931 document (see "Refusals" above). */
char *ubl_write(const invoice *inv, size_t *len, char *err, size_t errlen);

#endif
