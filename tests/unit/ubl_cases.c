/* ubl_cases — sample invoices for the UBL writer (see ubl_cases.h). */
#include "ubl_cases.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 300

static date_t
ymd(int y, int m, int d)
{
	date_t out = 0;

	date_from_ymd(y, m, d, &out);
	return out;
}

static rate
dec(const char *text)
{
	rate r = { 0, 0 };

	if (rate_parse(text, &r) != MONEY_OK)
		abort();
	return r;
}

#define SET(field, text) snprintf((field), sizeof(field), "%s", (text))

static void
party(invoice_party *p, const char *name, const char *street, const char *city,
    const char *postal_code, const char *country, const char *vat_id, const char *legal_id,
    const char *email, const char *party_id)
{
	memset(p, 0, sizeof *p);
	SET(p->name, name);
	SET(p->street, street);
	SET(p->city, city);
	SET(p->postal_code, postal_code);
	SET(p->country, country);
	SET(p->vat_id, vat_id);
	SET(p->legal_id, legal_id);
	SET(p->email, email);
	SET(p->party_id, party_id);
}

static void
seller_de(invoice *inv)
{
	party(&inv->seller, "Müller & Söhne Garantie <GmbH>", "Hauptstraße 1", "Berlin", "10115",
	    "DE", "DE123456789", "HRB 12345 B", "billing@mueller-garantie.example", "");
}

static void
buyer_dealer_de(invoice *inv)
{
	party(&inv->buyer, "Autohaus Nord KG", "Industrieweg 7", "Hamburg", "20095", "DE",
	    "DE987654321", "HRA 4711", "rechnung@autohaus-nord.example", "D-1001");
	SET(inv->dealer_id, "D-1001");
}

/* A document with the usual references and payment terms, no lines yet. */
static void
start(invoice *inv, invoice_type type, const char *number, const char *currency)
{
	memset(inv, 0, sizeof *inv);
	inv->type = type;
	inv->origin = type == INVOICE_CREDIT_NOTE ? ORIGIN_CORRECTION : ORIGIN_REPAIR;
	SET(inv->number, number);
	SET(inv->series, type == INVOICE_CREDIT_NOTE ? "CN-2026" : "INV-2026");
	inv->seq = 1;
	inv->issue_date = ymd(2026, 3, 15);
	inv->due_date = ymd(2026, 4, 14);
	SET(inv->currency, currency);
	SET(inv->buyer_reference, "RO-2026-0815");
	SET(inv->payment_terms, "Net 30 days");
	SET(inv->payment_means, "58");
	SET(inv->payee_iban, "DE02120300000000202051");
	seller_de(inv);
	buyer_dealer_de(inv);
	inv->lines = xcalloc(MAX_LINES, sizeof *inv->lines);
}

static invoice_line *
add(invoice *inv, cd_line_kind kind, const char *code, const char *name, const char *quantity,
    int64_t unit_price, int64_t net, cd_tax_category cat, const char *tax_rate)
{
	invoice_line *l;

	if (inv->nlines == MAX_LINES)
		abort();
	l = &inv->lines[inv->nlines++];
	l->line_no = (int)inv->nlines;
	l->kind = kind;
	SET(l->item_code, code);
	SET(l->item_name, name);
	l->quantity = dec(quantity);
	SET(l->unit_code, invoice_unit_for_kind(kind));
	l->unit_price = unit_price;
	l->net = net;
	l->tax_category = cat;
	l->tax_rate = dec(tax_rate);
	return l;
}

int
ubl_case_totals(invoice *inv)
{
	invoice_line_amount *a = xcalloc(inv->nlines + 1, sizeof *a);
	money_status st;

	for (size_t i = 0; i < inv->nlines; i++) {
		a[i].net = inv->lines[i].net;
		a[i].category = inv->lines[i].tax_category;
		a[i].tax_rate = inv->lines[i].tax_rate;
	}
	st = invoice_totals_compute_in(a, inv->nlines, inv->totals.prepaid,
	    invoice_amount_granule(inv->currency), &inv->totals);
	free(a);
	return (int)st;
}

static void
finish(invoice *inv)
{
	if (ubl_case_totals(inv) != MONEY_OK)
		abort();
}

void
ubl_case_free(invoice *inv)
{
	if (inv == NULL)
		return;
	free(inv->lines);
	inv->lines = NULL;
	inv->nlines = 0;
}

/* ------------------------------------------------------------------------
 * The cases
 * ------------------------------------------------------------------------ */

/* 240 lines at 19 %: labor in quarter hours, and many parts of a few cents,
 * so the tax is only right when rounded once for the group. Text with
 * every character XML must escape. */
static void
eur_many_lines(invoice *inv)
{
	start(inv, INVOICE_COMMERCIAL, "INV-2026-000101", "EUR");
	SET(inv->order_reference, "RO-2026-0815 & \"urgent\"");
	SET(inv->contract_reference, "SC-2025-000777");
	SET(inv->note, "Repair order RO-2026-0815 <workshop 3> & inspection; it's done.");
	for (int i = 1; i <= 240; i++) {
		char code[32], name[96], qty[16];
		if (i % 40 == 1) {
			int quarters = i / 40 + 1;   /* 0.25 .. 1.5 hours */
			snprintf(code, sizeof code, "OP-%04d", i);
			snprintf(name, sizeof name, "Labour \"diagnosis\" step %d", i);
			snprintf(qty, sizeof qty, "%d.%02d", quarters / 4, quarters % 4 * 25);
			add(inv, CD_LINE_LABOR, code, name, qty, 8600, 2150 * quarters,
			    CD_TAX_STANDARD, "0.19");
		} else {
			int64_t cents = i % 97 + 1;
			snprintf(code, sizeof code, "P-%05d", i);
			snprintf(name, sizeof name, "Clip <%d> & washer", i);
			add(inv, CD_LINE_PART, code, name, "1", cents, cents, CD_TAX_STANDARD, "0.19");
		}
	}
	SET(inv->lines[1].note, "superseded 06455-KWN-901 → 06455-KWN-902");
	finish(inv);
}

/* Standard 19 % and 7 %, zero rated and exempt in one invoice. */
static void
mixed_categories(invoice *inv)
{
	start(inv, INVOICE_COMMERCIAL, "INV-2026-000102", "EUR");
	SET(inv->exemption_reason, "Exempt under Article 135(1)(a) of Directive 2006/112/EC");
	add(inv, CD_LINE_LABOR, "OP-1000", "Replace brake pads", "2.5", 9200, 23000,
	    CD_TAX_STANDARD, "0.19");
	add(inv, CD_LINE_PART, "06455-KWN-902", "Brake pad set", "2", 4550, 9100,
	    CD_TAX_STANDARD, "0.19");
	add(inv, CD_LINE_PART, "MAN-DE-7", "Owner's manual", "1", 1299, 1299, CD_TAX_STANDARD,
	    "0.07");
	add(inv, CD_LINE_PART, "RK-22", "Recall kit (zero rated)", "3", 1000, 3000, CD_TAX_ZERO, "0");
	add(inv, CD_LINE_FEE, "INS-1", "Insurance premium", "1", 49900, 49900, CD_TAX_EXEMPT, "0");
	add(inv, CD_LINE_FEE, "ENV", "Environmental fee", "1", 1, 1, CD_TAX_STANDARD, "0.190");
	add(inv, CD_LINE_PART, "MAP-1", "Road map", "3", 333, 999, CD_TAX_STANDARD, "0.07");
	finish(inv);
}

/* Reverse charge to a dealer in Austria: the buyer accounts for the VAT. */
static void
reverse_charge(invoice *inv)
{
	start(inv, INVOICE_COMMERCIAL, "INV-2026-000103", "EUR");
	party(&inv->buyer, "Autohaus Süd GmbH", "Ringstraße 12", "Wien", "1010", "AT",
	    "ATU12345678", "FN 123456a", "", "D-2002");
	SET(inv->dealer_id, "D-2002");
	SET(inv->exemption_reason, "Reverse charge: the recipient is liable for the VAT");
	add(inv, CD_LINE_LABOR, "OP-2000", "Gearbox overhaul", "6.75", 9500, 64125, CD_TAX_REVERSE,
	    "0");
	add(inv, CD_LINE_PART, "GB-7", "Gearbox seal kit", "1", 18990, 18990, CD_TAX_REVERSE, "0");
	finish(inv);
}

/* Yen have no decimals. */
static void
jpy(invoice *inv)
{
	start(inv, INVOICE_COMMERCIAL, "INV-2026-000104", "JPY");
	party(&inv->buyer, "Tokyo Motors K.K.", "1-2-3 Shibaura", "Tokyo", "105-0023", "JP", "", "",
	    "ap@tokyo-motors.example", "D-3003");
	add(inv, CD_LINE_PART, "F-100", "Oil filter", "3", 1480, 4440, CD_TAX_STANDARD, "0.19");
	add(inv, CD_LINE_LABOR, "OP-3000", "Oil change", "1.5", 9800, 14700, CD_TAX_STANDARD,
	    "0.19");
	add(inv, CD_LINE_FEE, "DISP", "Disposal fee", "1", 333, 333, CD_TAX_STANDARD, "0.19");
	finish(inv);
}

/* Bahraini dinar, three decimals: issued in hundredths (invoice.h). Unit
 * prices keep their three decimals. */
static void
bhd(invoice *inv)
{
	start(inv, INVOICE_COMMERCIAL, "INV-2026-000105", "BHD");
	party(&inv->seller, "Gulf Warranty W.L.L.", "Building 100, Road 1701", "Manama", "317",
	    "BH", "BH200000000000001", "CR 12345-1", "billing@gulf-warranty.example", "");
	party(&inv->buyer, "Manama Motors", "Road 2801", "Manama", "428", "BH",
	    "BH200000000000002", "", "", "D-4004");
	SET(inv->payment_means, "30");
	SET(inv->payee_iban, "BH67BMAG00001299123456");
	add(inv, CD_LINE_PART, "AF-9", "Air filter", "2", 1235, 2470, CD_TAX_STANDARD, "0.10");
	add(inv, CD_LINE_LABOR, "OP-4000", "Air conditioning service", "1.5", 12500, 18750,
	    CD_TAX_STANDARD, "0.10");
	add(inv, CD_LINE_FEE, "SHOP", "Shop supplies", "1", 990, 990, CD_TAX_STANDARD, "0.10");
	finish(inv);
}

/* A credit note correcting two lines of an invoice, less the deductible:
 * positive amounts are credited, the deductible line is negative. */
static void
credit_note(invoice *inv)
{
	start(inv, INVOICE_CREDIT_NOTE, "CN-2026-000007", "EUR");
	inv->origin = ORIGIN_CLAIM_SETTLEMENT;
	SET(inv->preceding_number, "INV-2026-000042");
	inv->preceding_issue_date = ymd(2026, 2, 10);
	SET(inv->order_reference, "CL-2026-000031");
	SET(inv->contract_reference, "SC-2025-000777");
	SET(inv->note, "Warranty settlement of claim CL-2026-000031");
	invoice_line *l = add(inv, CD_LINE_LABOR, "OP-1000", "Replace brake pads", "2", 9000,
	    18000, CD_TAX_STANDARD, "0.19");
	SET(l->note, "Corrects line 1 of INV-2026-000042");
	l->corrects_line = 1;
	l = add(inv, CD_LINE_PART, "06455-KWN-902", "Brake pad set", "1", 4500, 4500,
	    CD_TAX_STANDARD, "0.19");
	SET(l->note, "Corrects line 3 of INV-2026-000042");
	l->corrects_line = 3;
	add(inv, CD_LINE_DISCOUNT, "DEDUCTIBLE", "Deductible paid by the customer", "1", -5000,
	    -5000, CD_TAX_STANDARD, "0.19");
	finish(inv);
}

/* Part of the invoice was paid in advance. */
static void
prepaid(invoice *inv)
{
	start(inv, INVOICE_COMMERCIAL, "INV-2026-000106", "EUR");
	inv->origin = ORIGIN_CONTRACT_SALE;
	SET(inv->contract_reference, "SC-2026-000123");
	add(inv, CD_LINE_FEE, "PLAN-GOLD-36", "Service contract SC-2026-000123: Gold 36 months",
	    "1", 100000, 100000, CD_TAX_STANDARD, "0.19");
	inv->totals.prepaid = 50000;
	finish(inv);
}

/* A rate with a decimal (7.5 %) and a discount line with a negative unit
 * price, which UBL carries as a negative quantity at a positive price. */
static void
discount_fractional_rate(invoice *inv)
{
	start(inv, INVOICE_COMMERCIAL, "INV-2026-000107", "EUR");
	add(inv, CD_LINE_PART, "W-1", "Wiper blade", "4", 1250, 5000, CD_TAX_STANDARD, "0.075");
	add(inv, CD_LINE_DISCOUNT, "DISC-10", "Dealer discount", "1", -500, -500, CD_TAX_STANDARD,
	    "0.075");
	finish(inv);
}

/* Exempt and reverse-charge lines together, each group with its own
 * reason; the buyer is known by its legal registration only. */
static void
exempt_and_reverse_charge(invoice *inv)
{
	start(inv, INVOICE_COMMERCIAL, "INV-2026-000108", "EUR");
	party(&inv->buyer, "Garage Lefèvre SARL", "12 rue de la Paix", "Paris", "75002", "FR", "",
	    "RCS Paris 123 456 789", "compta@garage-lefevre.example", "D-5005");
	SET(inv->exemption_reason, "Exempt under Article 135(1)(a) of Directive 2006/112/EC");
	SET(inv->reverse_charge_reason, "Autoliquidation");
	add(inv, CD_LINE_FEE, "INS-2", "Insurance premium", "1", 25000, 25000, CD_TAX_EXEMPT, "0");
	add(inv, CD_LINE_LABOR, "OP-5000", "Diagnosis", "0.5", 11000, 5500, CD_TAX_REVERSE, "0");
	finish(inv);
}

const ubl_case ubl_cases[] = {
	{ "eur-many-lines", "EUR, 240 lines at 19 %, text to escape", eur_many_lines },
	{ "mixed-categories", "EUR, S 19 % + S 7 % + Z + E", mixed_categories },
	{ "reverse-charge", "EUR, reverse charge (AE) to Austria", reverse_charge },
	{ "jpy", "JPY, no decimals", jpy },
	{ "bhd", "BHD, issued in hundredths", bhd },
	{ "credit-note", "credit note referencing an invoice, less a deductible", credit_note },
	{ "prepaid", "EUR, half paid in advance", prepaid },
	{ "discount-fractional-rate", "EUR, 7.5 % and a discount line", discount_fractional_rate },
	{ "exempt-and-reverse-charge", "EUR, E and AE with their own reasons",
	    exempt_and_reverse_charge },
};
const size_t ubl_ncases = sizeof ubl_cases / sizeof ubl_cases[0];

const ubl_case *
ubl_case_find(const char *name)
{
	for (size_t i = 0; i < ubl_ncases; i++)
		if (strcmp(ubl_cases[i].name, name) == 0)
			return &ubl_cases[i];
	return NULL;
}
