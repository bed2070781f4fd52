/* invoice — an invoice or credit note as plain data: what is stored, what
 * the UBL writer prints, what the API shows.
 *
 * The model follows EN 16931's semantic model; each field names its
 * business term (BT-n). Amounts are minor units of the invoice's currency;
 * every line's net amount is final (already rounded), and the totals and
 * tax breakdown are computed from the lines by invoice_totals_compute()
 * (totals.h), never typed in.
 *
 * Currencies with more than two decimals (BHD, KWD, OMR, ...). EN 16931
 * allows at most two decimals in an amount (BR-DEC-*). An invoice in such
 * a currency is therefore issued in hundredths: invoice_build rounds each
 * line's net amount half-up to a multiple of 10^(exponent-2) minor units
 * and the tax of each group likewise, so every amount prints exactly with
 * two decimals. invoice_amount_granule() gives that multiple (1 for EUR and
 * JPY, 10 for BHD).
 *
 * Nothing here touches the database or XML: issuing and storage are
 * issue.c's, the UBL document ubl.c's. */
#ifndef CD_BILLING_INVOICE_H
#define CD_BILLING_INVOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/date.h"
#include "base/money.h"
#include "billing/totals.h"
#include "contractd/plugin.h"

#define INVOICE_NUMBER_MAX 32
#define INVOICE_TEXT_MAX 800     /* bytes of UTF-8: 200 characters */
#define INVOICE_CODE_MAX 48
#define INVOICE_ID_MAX 64

/* BT-3: what the document is. */
typedef enum invoice_type {
	INVOICE_COMMERCIAL = 380,  /* an invoice */
	INVOICE_CREDIT_NOTE = 381, /* a credit note: corrects an invoice */
} invoice_type;

/* What the invoice bills; it decides the series and who the buyer is. */
typedef enum invoice_origin {
	ORIGIN_CONTRACT_SALE = 0,  /* a contract's price, to its buyer */
	ORIGIN_CLAIM_CUSTOMER,     /* a claim's customer share and deductible */
	ORIGIN_CLAIM_SETTLEMENT,   /* a claim's warrantor-paid share, to the dealer */
	ORIGIN_REPAIR,             /* a post-warranty repair, to the customer */
	ORIGIN_PARTS_ORDER,        /* a dealer's parts order */
	ORIGIN_CANCELLATION,       /* a contract's cancellation: a credit note */
	ORIGIN_CORRECTION,         /* a credit note issued by finance */
	ORIGIN_OTHER,
	ORIGIN_REMITTANCE,         /* a billing run: dealer cost of contracts sold */
	ORIGIN_CHARGEBACK,         /* a billing run: commission on cancellations */
} invoice_origin;

/* A seller or buyer (BG-4 / BG-7). Strings are "" when absent. */
typedef struct invoice_party {
	char name[INVOICE_TEXT_MAX + 1];        /* BT-27 / BT-44: required */
	char street[INVOICE_TEXT_MAX + 1];      /* BT-35 / BT-50 */
	char additional_street[INVOICE_TEXT_MAX + 1]; /* BT-36 / BT-51 */
	char city[INVOICE_TEXT_MAX + 1];        /* BT-37 / BT-52 */
	char postal_code[INVOICE_ID_MAX + 1];   /* BT-38 / BT-53 */
	char country[3];                        /* BT-40 / BT-55: required, ISO 3166 */
	char vat_id[INVOICE_ID_MAX + 1];        /* BT-31 / BT-48: "DE123456789" */
	char legal_id[INVOICE_ID_MAX + 1];      /* BT-30 / BT-47: registration number */
	char email[INVOICE_TEXT_MAX + 1];       /* BT-34 / BT-49 electronic address (scheme EM) */
	char party_id[INVOICE_ID_MAX + 1];      /* BT-29 / BT-46: e.g. the dealer id */
} invoice_party;

/* One line (BG-25). */
typedef struct invoice_line {
	int line_no;                            /* BT-126: 1, 2, ... */
	cd_line_kind kind;                      /* labor, part, fee, ... (not in UBL) */
	char item_code[INVOICE_CODE_MAX + 1];   /* BT-155: part number, operation code */
	char item_name[INVOICE_TEXT_MAX + 1];   /* BT-153: required */
	char note[INVOICE_TEXT_MAX + 1];        /* BT-127: e.g. "superseded 06455-KWN-901" */
	rate quantity;                          /* BT-129: 3.5 hours, 2 pieces */
	char unit_code[4];                      /* BT-130: UN/ECE rec 20: "HUR", "C62" */
	int64_t unit_price;                     /* BT-146: minor units, net */
	int64_t net;                            /* BT-131: minor units, final */
	cd_tax_category tax_category;           /* BT-151 */
	rate tax_rate;                          /* BT-152 as a fraction: 0.19 */
	int corrects_line;                      /* credit notes: the invoice's line (0: none) */
} invoice_line;

typedef struct invoice {
	invoice_type type;
	invoice_origin origin;
	char series[INVOICE_CODE_MAX + 1];      /* the numbering series: "INV", "CN", ... */
	char number[INVOICE_NUMBER_MAX + 1];    /* BT-1: series + "-" + year + "-" + 6 digits */
	int64_t seq;                            /* the gap-free number inside the series */
	date_t issue_date;                      /* BT-2 */
	date_t due_date;                        /* BT-9 */
	char currency[4];                       /* BT-5 */
	char buyer_reference[INVOICE_ID_MAX + 1]; /* BT-10: the dealer's or customer's reference */
	char order_reference[INVOICE_ID_MAX + 1]; /* BT-13: e.g. the parts order or repair order */
	char contract_reference[INVOICE_ID_MAX + 1]; /* BT-12: the service contract number */
	char note[INVOICE_TEXT_MAX + 1];        /* BT-22 */
	char payment_terms[INVOICE_TEXT_MAX + 1]; /* BT-20 */
	char payment_means[4];                  /* BT-81: UNCL 4461, "58" SEPA transfer */
	char payee_iban[INVOICE_ID_MAX + 1];    /* BT-84 */
	/* Credit notes: the invoice corrected (BT-25, BT-26). */
	char preceding_number[INVOICE_NUMBER_MAX + 1];
	date_t preceding_issue_date;
	/* Reason text for exempt and reverse-charge groups (BT-120). */
	char exemption_reason[INVOICE_TEXT_MAX + 1];
	/* The reverse-charge group's own reason text, for an invoice with both
	 * exempt and reverse-charge lines; "" lets exemption_reason serve an
	 * invoice without exempt lines (see ubl.h). */
	char reverse_charge_reason[INVOICE_TEXT_MAX + 1];
	char dealer_id[INVOICE_ID_MAX + 1];     /* whose outbox it goes to; "" none */
	char in_reply_to[INVOICE_ID_MAX + 1];   /* the inbound document it answers; "" none */
	invoice_party seller;
	invoice_party buyer;
	invoice_line *lines;                    /* owned */
	size_t nlines;
	invoice_totals totals;                  /* from the lines */
} invoice;

/* The multiple of minor units every amount of an invoice in currency is
 * rounded to (see above): 10^(exponent-2) for exponents over 2, else 1. */
int64_t invoice_amount_granule(const char *currency);

/* "380" -> INVOICE_COMMERCIAL and back; names for the API ("invoice",
 * "credit-note"), and for origins ("claim-settlement", ...). The names are
 * NULL for a value outside the enum; invoice_origin_parse returns 0, or -1
 * for an unknown name. */
const char *invoice_type_name(invoice_type t);
const char *invoice_origin_name(invoice_origin o);
int invoice_origin_parse(const char *name, invoice_origin *out);

/* Frees what an invoice owns (its lines) and leaves it with none. NULL is
 * fine. */
void invoice_free(invoice *inv);

/* UN/ECE recommendation 20 unit of a line kind: HUR for labor, C62 (one)
 * for everything else. */
const char *invoice_unit_for_kind(cd_line_kind kind);

#endif
