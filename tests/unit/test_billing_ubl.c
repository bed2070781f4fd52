/* Unit tests for the UBL 2.1 / EN 16931 writer (billing/ubl.c) and the
 * invoice helpers (billing/invoice.c).
 *
 * Each sample of ubl_cases.c is written and read back with libxml2; XPath
 * then checks what the EN 16931 business rules are about — the document
 * totals against the lines (BR-CO-10, -13, -14, -15, -16), each VAT group
 * against its lines and rate (BR-S-08/09, BR-Z-08, BR-E-08, BR-AE-08 ...),
 * the mandatory parties and identifiers (BR-01 to BR-16), decimals
 * (BR-DEC) — and the figures each case is built to show. Then broken
 * copies of the samples must be refused with the rule they break. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "billing/ubl.h"
#include "ubl_cases.h"

#define NS_CAC "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
#define NS_CBC "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

/* ------------------------------------------------------------------------
 * Reading the document back
 * ------------------------------------------------------------------------ */

typedef struct ubl_doc {
	xmlDocPtr doc;
	xmlXPathContextPtr xp;
	int decimals;          /* of an amount in this currency: 0 or 2 */
	char line[32];         /* "cac:InvoiceLine" or "cac:CreditNoteLine" */
} ubl_doc;

static void
doc_open(ubl_doc *d, const invoice *inv)
{
	char err[512] = "";
	size_t len = 0;
	char *xml = ubl_write(inv, &len, err, sizeof err);

	if (xml == NULL)
		fail_msg("ubl_write refused %s: %s", inv->number, err);
	assert_int_equal(strlen(xml), len);
	d->doc = xmlReadMemory(xml, (int)len, "ubl.xml", NULL, XML_PARSE_NONET);
	free(xml);
	assert_non_null(d->doc);
	d->xp = xmlXPathNewContext(d->doc);
	xmlXPathRegisterNs(d->xp, BAD_CAST "cac", BAD_CAST NS_CAC);
	xmlXPathRegisterNs(d->xp, BAD_CAST "cbc", BAD_CAST NS_CBC);
	d->decimals = currency_exponent(inv->currency) < 2 ? currency_exponent(inv->currency) : 2;
	snprintf(d->line, sizeof d->line, "%s", inv->type == INVOICE_CREDIT_NOTE ?
	    "cac:CreditNoteLine" : "cac:InvoiceLine");
}

static void
doc_close(ubl_doc *d)
{
	xmlXPathFreeContext(d->xp);
	xmlFreeDoc(d->doc);
}

static xmlXPathObjectPtr
eval(ubl_doc *d, const char *expr)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, d->xp);

	if (o == NULL)
		fail_msg("bad XPath %s", expr);
	return o;
}

/* string(expr), copied into out. */
static const char *__attribute__((format(printf, 4, 5)))
str(ubl_doc *d, char *out, size_t outlen, const char *fmt, ...)
{
	char expr[512], inner[480];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(inner, sizeof inner, fmt, ap);
	va_end(ap);
	snprintf(expr, sizeof expr, "string(%s)", inner);
	xmlXPathObjectPtr o = eval(d, expr);
	snprintf(out, outlen, "%s", (const char *)o->stringval);
	xmlXPathFreeObject(o);
	return out;
}

static int
count(ubl_doc *d, const char *expr)
{
	char e[512];

	snprintf(e, sizeof e, "count(%s)", expr);
	xmlXPathObjectPtr o = eval(d, e);
	int n = (int)o->floatval;
	xmlXPathFreeObject(o);
	return n;
}

#define STR(d, ...) str((d), (char[512]){ 0 }, 512, __VA_ARGS__)

/* An amount as printed, in units of its last decimal (cents, yen):
 * exactly d->decimals decimals (BR-DEC; no more than the currency has). */
static int64_t
parse_amount(const ubl_doc *d, const char *text)
{
	const char *dot = strchr(text, '.');
	int64_t units = 0;
	int neg = text[0] == '-';

	if (dot == NULL ? d->decimals != 0 : (int)strlen(dot + 1) != d->decimals)
		fail_msg("amount \"%s\" does not have %d decimals (BR-DEC)", text, d->decimals);
	for (const char *p = text + neg; *p; p++) {
		if (*p == '.')
			continue;
		if (*p < '0' || *p > '9')
			fail_msg("amount \"%s\" is not a decimal", text);
		units = units * 10 + (*p - '0');
	}
	return neg ? -units : units;
}

static int64_t
amount(ubl_doc *d, const char *expr)
{
	char text[512];

	str(d, text, sizeof text, "%s", expr);
	if (text[0] == '\0')
		fail_msg("no amount at %s", expr);
	return parse_amount(d, text);
}

/* The model's minor units in the document's units (BHD: fils -> 1/100). */
static int64_t
units(const invoice *inv, int64_t minor)
{
	return minor / invoice_amount_granule(inv->currency);
}

/* ------------------------------------------------------------------------
 * The rules every written document keeps
 * ------------------------------------------------------------------------ */

/* A percent as printed ("19", "7.5") as a rate of one: { 19, 2 }. */
static rate
percent_rate(const char *text)
{
	rate r;

	assert_int_equal(rate_parse(text, &r), MONEY_OK);
	r.scale += 2;
	while (r.scale > RATE_MAX_SCALE && r.value % 10 == 0) {
		r.value /= 10;
		r.scale--;
	}
	return r;
}

static void
check_mandatory(ubl_doc *d, const invoice *inv)
{
	bool credit = inv->type == INVOICE_CREDIT_NOTE;
	char date[DATE_STR_LEN + 1], path[64];

	/* BR-01 .. BR-05 */
	assert_string_equal(STR(d, "/*/cbc:CustomizationID"), UBL_CUSTOMIZATION_ID);
	assert_string_equal(STR(d, "/*/cbc:ID"), inv->number);
	date_format(inv->issue_date, date);
	assert_string_equal(STR(d, "/*/cbc:IssueDate"), date);
	assert_string_equal(STR(d, "local-name(/*)"), credit ? "CreditNote" : "Invoice");
	assert_string_equal(STR(d, credit ? "/*/cbc:CreditNoteTypeCode" : "/*/cbc:InvoiceTypeCode"),
	    credit ? "381" : "380");
	assert_string_equal(STR(d, "/*/cbc:DocumentCurrencyCode"), inv->currency);
	/* BR-06 .. BR-11: names, addresses, countries */
	assert_string_equal(STR(d, "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/"
	    "cbc:RegistrationName"), inv->seller.name);
	assert_string_equal(STR(d, "/*/cac:AccountingSupplierParty/cac:Party/cac:PostalAddress/"
	    "cac:Country/cbc:IdentificationCode"), inv->seller.country);
	assert_string_equal(STR(d, "/*/cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/"
	    "cbc:RegistrationName"), inv->buyer.name);
	assert_string_equal(STR(d, "/*/cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/"
	    "cac:Country/cbc:IdentificationCode"), inv->buyer.country);
	/* BR-S-02 and friends: every sample has taxed lines and the seller's VAT id */
	assert_string_equal(STR(d, "/*/cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme"
	    "[cac:TaxScheme/cbc:ID='VAT']/cbc:CompanyID"), inv->seller.vat_id);
	/* BR-62/63: an electronic address has its scheme */
	assert_int_equal(count(d, "//cbc:EndpointID[not(@schemeID='EM')]"), 0);
	/* BR-16, BR-21 .. BR-26 */
	snprintf(path, sizeof path, "/*/%s", d->line);
	assert_int_equal(count(d, path), (int)inv->nlines);
	assert_int_equal(count(d, credit ? "//cbc:CreditedQuantity[@unitCode != '']" :
	    "//cbc:InvoicedQuantity[@unitCode != '']"), (int)inv->nlines);
	for (size_t i = 1; i <= inv->nlines; i++) {
		char base[96];
		snprintf(base, sizeof base, "/*/%s[%zu]", d->line, i);
		assert_string_not_equal(STR(d, "%s/cbc:ID", base), "");
		assert_string_equal(STR(d, "%s/cac:Item/cbc:Name", base), inv->lines[i - 1].item_name);
		/* BR-27: the price is never negative */
		assert_true(STR(d, "%s/cac:Price/cbc:PriceAmount", base)[0] != '-');
	}
}

/* BR-DEC and the currency of every amount; prices are not amounts here. */
static void
check_decimals(ubl_doc *d, const invoice *inv)
{
	xmlXPathObjectPtr o = eval(d, "//*[substring(local-name(), string-length(local-name()) - 5)"
	    " = 'Amount' and local-name() != 'PriceAmount']");
	xmlNodeSetPtr ns = o->nodesetval;

	assert_true(ns != NULL && ns->nodeNr >= 6);
	for (int i = 0; i < ns->nodeNr; i++) {
		xmlChar *text = xmlNodeGetContent(ns->nodeTab[i]);
		xmlChar *cur = xmlGetProp(ns->nodeTab[i], BAD_CAST "currencyID");
		parse_amount(d, (const char *)text);
		assert_non_null(cur);
		assert_string_equal((const char *)cur, inv->currency);
		xmlFree(text);
		xmlFree(cur);
	}
	xmlXPathFreeObject(o);
}

/* The totals against the lines and each other; each VAT group against its
 * lines and rate; and all of it against the model. */
static void
check_totals(ubl_doc *d, const invoice *inv)
{
	const char *lmt = "/*/cac:LegalMonetaryTotal";
	char expr[256];
	int64_t sum_lines = 0, sum_tax = 0;
	int64_t line_total, exclusive, inclusive, payable, prepaid, tax_total;
	int ngroups = count(d, "/*/cac:TaxTotal/cac:TaxSubtotal");

	for (size_t i = 1; i <= inv->nlines; i++) {
		snprintf(expr, sizeof expr, "/*/%s[%zu]/cbc:LineExtensionAmount", d->line, i);
		sum_lines += amount(d, expr);
		assert_int_equal(amount(d, expr), units(inv, inv->lines[i - 1].net));
	}
	snprintf(expr, sizeof expr, "%s/cbc:LineExtensionAmount", lmt);
	line_total = amount(d, expr);
	snprintf(expr, sizeof expr, "%s/cbc:TaxExclusiveAmount", lmt);
	exclusive = amount(d, expr);
	snprintf(expr, sizeof expr, "%s/cbc:TaxInclusiveAmount", lmt);
	inclusive = amount(d, expr);
	snprintf(expr, sizeof expr, "%s/cbc:PayableAmount", lmt);
	payable = amount(d, expr);
	snprintf(expr, sizeof expr, "%s/cbc:PrepaidAmount", lmt);
	prepaid = count(d, expr) ? amount(d, expr) : 0;
	assert_int_equal(count(d, expr), inv->totals.prepaid != 0);
	assert_int_equal(count(d, "/*/cac:TaxTotal"), 1);
	tax_total = amount(d, "/*/cac:TaxTotal/cbc:TaxAmount");

	assert_int_equal(line_total, sum_lines);                 /* BR-CO-10 */
	assert_int_equal(exclusive, line_total);                 /* BR-CO-13 */
	assert_int_equal(inclusive, exclusive + tax_total);      /* BR-CO-15 */
	assert_int_equal(payable, inclusive - prepaid);          /* BR-CO-16 */
	assert_int_equal(line_total, units(inv, inv->totals.line_total));
	assert_int_equal(tax_total, units(inv, inv->totals.tax_total));
	assert_int_equal(payable, units(inv, inv->totals.payable));
	assert_true(ngroups >= 1);                               /* BR-CO-18 */
	assert_int_equal(ngroups, (int)inv->totals.ngroups);

	for (int g = 1; g <= ngroups; g++) {
		char base[96], cat[8], pct[32];
		int64_t taxable, tax, want_taxable = 0, want_tax;
		snprintf(base, sizeof base, "/*/cac:TaxTotal/cac:TaxSubtotal[%d]", g);
		str(d, cat, sizeof cat, "%s/cac:TaxCategory/cbc:ID", base);
		str(d, pct, sizeof pct, "%s/cac:TaxCategory/cbc:Percent", base);
		assert_string_equal(STR(d, "%s/cac:TaxCategory/cac:TaxScheme/cbc:ID", base), "VAT");
		snprintf(expr, sizeof expr, "%s/cbc:TaxableAmount", base);
		taxable = amount(d, expr);
		snprintf(expr, sizeof expr, "%s/cbc:TaxAmount", base);
		tax = amount(d, expr);
		sum_tax += tax;
		/* BR-S-08, BR-Z-08, BR-E-08, BR-AE-08: the group's lines, by
		 * category and (printed) rate */
		for (size_t i = 1; i <= inv->nlines; i++) {
			char lb[96], lcat[8], lpct[32];
			snprintf(lb, sizeof lb, "/*/%s[%zu]", d->line, i);
			str(d, lcat, sizeof lcat, "%s/cac:Item/cac:ClassifiedTaxCategory/cbc:ID", lb);
			str(d, lpct, sizeof lpct, "%s/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", lb);
			if (strcmp(lcat, cat) == 0 && strcmp(lpct, pct) == 0) {
				snprintf(expr, sizeof expr, "%s/cbc:LineExtensionAmount", lb);
				want_taxable += amount(d, expr);
			}
		}
		assert_int_equal(taxable, want_taxable);
		/* BR-S-09, BR-CO-17: tax = taxable x rate, half-up, once per group */
		assert_int_equal(money_mul_rate(taxable, percent_rate(pct), ROUND_HALF_UP, &want_tax),
		    MONEY_OK);
		assert_int_equal(tax, want_tax);
		assert_int_equal(taxable, units(inv, inv->totals.groups[g - 1].taxable));
		if (strcmp(cat, "S") == 0) {
			assert_true(pct[0] != '0' && pct[0] != '-');     /* BR-S-05 */
		} else {
			assert_string_equal(pct, "0");                     /* BR-Z/E/AE-05, -09 */
			assert_int_equal(tax, 0);
		}
		if (strcmp(cat, "E") == 0 || strcmp(cat, "AE") == 0)   /* BR-E-10, BR-AE-10 */
			assert_string_not_equal(STR(d, "%s/cac:TaxCategory/cbc:TaxExemptionReason", base),
			    "");
		if (strcmp(cat, "AE") == 0)
			assert_string_equal(STR(d, "%s/cac:TaxCategory/cbc:TaxExemptionReasonCode", base),
			    "VATEX-EU-AE");
	}
	/* BR-S-10, BR-Z-10: no exemption reason for S and Z */
	assert_int_equal(count(d, "//cac:TaxSubtotal/cac:TaxCategory[cbc:ID='S' or cbc:ID='Z']/"
	    "*[self::cbc:TaxExemptionReason or self::cbc:TaxExemptionReasonCode]"), 0);
	assert_int_equal(tax_total, sum_tax);                        /* BR-CO-14 */
	/* Every line's category has its group (BR-S-01, BR-Z-01, BR-E-01, BR-AE-01). */
	for (size_t i = 1; i <= inv->nlines; i++) {
		char lcat[8], e[160];
		snprintf(e, sizeof e, "/*/%s[%zu]/cac:Item/cac:ClassifiedTaxCategory/cbc:ID", d->line, i);
		str(d, lcat, sizeof lcat, "%s", e);
		snprintf(e, sizeof e, "/*/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory[cbc:ID='%s']",
		    lcat);
		assert_true(count(d, e) >= 1);
	}
}

/* Builds a case, writes it and checks every rule; the caller checks more
 * on d and then calls doc_close and ubl_case_free. */
static void
open_case(const char *name, invoice *inv, ubl_doc *d)
{
	const ubl_case *c = ubl_case_find(name);

	assert_non_null(c);
	c->build(inv);
	doc_open(d, inv);
	check_mandatory(d, inv);
	check_decimals(d, inv);
	check_totals(d, inv);
}

static void
close_case(invoice *inv, ubl_doc *d)
{
	doc_close(d);
	ubl_case_free(inv);
}

/* ------------------------------------------------------------------------
 * The samples
 * ------------------------------------------------------------------------ */

static void
every_case_passes_the_rules(void **state)
{
	(void)state;
	for (size_t i = 0; i < ubl_ncases; i++) {
		invoice inv;
		ubl_doc d;
		open_case(ubl_cases[i].name, &inv, &d);
		close_case(&inv, &d);
	}
}

/* 240 lines at 19 %, tax rounded once for the group; text that XML must
 * escape comes back unchanged. */
static void
eur_many_small_lines(void **state)
{
	invoice inv;
	ubl_doc d;

	(void)state;
	open_case("eur-many-lines", &inv, &d);
	assert_int_equal(count(&d, "/*/cac:InvoiceLine"), 240);
	assert_int_equal(count(&d, "/*/cac:TaxTotal/cac:TaxSubtotal"), 1);
	assert_string_equal(STR(&d, "//cac:TaxSubtotal/cac:TaxCategory/cbc:Percent"), "19");
	assert_string_equal(STR(&d, "/*/cbc:DueDate"), "2026-04-14");
	assert_string_equal(STR(&d, "/*/cac:OrderReference/cbc:ID"), "RO-2026-0815 & \"urgent\"");
	assert_string_equal(STR(&d, "/*/cbc:Note"), inv.note);
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[2]/cbc:Note"),
	    "superseded 06455-KWN-901 → 06455-KWN-902");
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[1]/cbc:InvoicedQuantity"), "0.25");
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[1]/cbc:InvoicedQuantity/@unitCode"), "HUR");
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[1]/cbc:LineExtensionAmount"), "21.50");
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[2]/cac:Item/cbc:Name"), "Clip <2> & washer");
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[2]/cac:Item/cac:SellersItemIdentification/"
	    "cbc:ID"), "P-00002");
	assert_string_equal(STR(&d, "/*/cac:AccountingSupplierParty/cac:Party/cbc:EndpointID"),
	    "billing@mueller-garantie.example");
	assert_string_equal(STR(&d, "/*/cac:AccountingCustomerParty/cac:Party/"
	    "cac:PartyIdentification/cbc:ID"), "D-1001");
	assert_string_equal(STR(&d, "/*/cac:PaymentMeans/cbc:PaymentMeansCode"), "58");
	assert_string_equal(STR(&d, "/*/cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
	    "DE02120300000000202051");
	assert_string_equal(STR(&d, "/*/cac:PaymentTerms/cbc:Note"), "Net 30 days");
	assert_string_equal(STR(&d, "/*/cac:ContractDocumentReference/cbc:ID"), "SC-2025-000777");
	assert_string_equal(STR(&d, "/*/cbc:BuyerReference"), "RO-2026-0815");
	/* Per-line rounding would lose the tax on the small lines: the group's
	 * tax is its taxable amount at 19 %, rounded once. */
	int64_t taxable = amount(&d, "//cac:TaxSubtotal/cbc:TaxableAmount"), tax;
	assert_int_equal(money_mul_rate(taxable, (rate){ 19, 2 }, ROUND_HALF_UP, &tax), MONEY_OK);
	assert_int_equal(amount(&d, "/*/cac:TaxTotal/cbc:TaxAmount"), tax);
	close_case(&inv, &d);
}

/* S 19 % (one line written as 0.190), S 7 %, Z and E: four groups in
 * order of first appearance. */
static void
mixed_categories(void **state)
{
	invoice inv;
	ubl_doc d;

	(void)state;
	open_case("mixed-categories", &inv, &d);
	assert_int_equal(count(&d, "//cac:TaxSubtotal"), 4);
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[1]/cac:TaxCategory/cbc:ID"), "S");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[1]/cac:TaxCategory/cbc:Percent"), "19");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[1]/cbc:TaxableAmount"), "321.01");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[1]/cbc:TaxAmount"), "60.99");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[2]/cac:TaxCategory/cbc:Percent"), "7");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[2]/cbc:TaxableAmount"), "22.98");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[2]/cbc:TaxAmount"), "1.61");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[3]/cac:TaxCategory/cbc:ID"), "Z");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[3]/cbc:TaxableAmount"), "30.00");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[4]/cac:TaxCategory/cbc:ID"), "E");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[4]/cac:TaxCategory/cbc:TaxExemptionReason"),
	    inv.exemption_reason);
	assert_int_equal(count(&d, "//cac:TaxCategory/cbc:TaxExemptionReasonCode"), 0);
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[6]/cac:Item/cac:ClassifiedTaxCategory/"
	    "cbc:Percent"), "19");
	assert_string_equal(STR(&d, "/*/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"), "935.59");
	close_case(&inv, &d);
}

static void
reverse_charge(void **state)
{
	invoice inv;
	ubl_doc d;

	(void)state;
	open_case("reverse-charge", &inv, &d);
	assert_int_equal(count(&d, "//cac:TaxSubtotal"), 1);
	assert_string_equal(STR(&d, "//cac:TaxSubtotal/cac:TaxCategory/cbc:ID"), "AE");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal/cac:TaxCategory/cbc:Percent"), "0");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal/cbc:TaxAmount"), "0.00");
	/* With no exempt group, exemption_reason serves reverse charge. */
	assert_string_equal(STR(&d, "//cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason"),
	    inv.exemption_reason);
	assert_string_equal(STR(&d, "/*/cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/"
	    "cbc:CompanyID"), "ATU12345678");
	assert_string_equal(STR(&d, "/*/cac:LegalMonetaryTotal/cbc:PayableAmount"), "831.15");
	close_case(&inv, &d);
}

/* No decimals at all in yen. */
static void
jpy_without_decimals(void **state)
{
	invoice inv;
	ubl_doc d;

	(void)state;
	open_case("jpy", &inv, &d);
	assert_string_equal(STR(&d, "/*/cac:LegalMonetaryTotal/cbc:LineExtensionAmount"), "19473");
	assert_string_equal(STR(&d, "/*/cac:TaxTotal/cbc:TaxAmount"), "3700");
	assert_string_equal(STR(&d, "/*/cac:LegalMonetaryTotal/cbc:PayableAmount"), "23173");
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[1]/cac:Price/cbc:PriceAmount"), "1480");
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[2]/cbc:InvoicedQuantity"), "1.5");
	assert_int_equal(count(&d, "//cac:AccountingCustomerParty//cac:PartyTaxScheme"), 0);
	close_case(&inv, &d);
}

/* Three-decimal dinar: amounts in hundredths, prices with three decimals. */
static void
bhd_in_hundredths(void **state)
{
	invoice inv;
	ubl_doc d;

	(void)state;
	open_case("bhd", &inv, &d);
	assert_string_equal(STR(&d, "/*/cac:LegalMonetaryTotal/cbc:LineExtensionAmount"), "22.21");
	assert_string_equal(STR(&d, "/*/cac:TaxTotal/cbc:TaxAmount"), "2.22");
	assert_string_equal(STR(&d, "/*/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"), "24.43");
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[1]/cbc:LineExtensionAmount"), "2.47");
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[1]/cac:Price/cbc:PriceAmount"), "1.235");
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[2]/cac:Price/cbc:PriceAmount"), "12.500");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal/cac:TaxCategory/cbc:Percent"), "10");
	assert_string_equal(STR(&d, "/*/cac:PaymentMeans/cbc:PaymentMeansCode"), "30");
	close_case(&inv, &d);
}

/* A credit note: positive amounts credited, the preceding invoice, the due
 * date in the payment means, and the negative deductible line as a
 * negative quantity at a positive price. */
static void
credit_note_references_invoice(void **state)
{
	invoice inv;
	ubl_doc d;

	(void)state;
	open_case("credit-note", &inv, &d);
	assert_string_equal(STR(&d, "/*/cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
	    "INV-2026-000042");
	assert_string_equal(STR(&d, "/*/cac:BillingReference/cac:InvoiceDocumentReference/"
	    "cbc:IssueDate"), "2026-02-10");
	assert_int_equal(count(&d, "/*/cbc:DueDate"), 0);
	assert_string_equal(STR(&d, "/*/cac:PaymentMeans/cbc:PaymentDueDate"), "2026-04-14");
	assert_int_equal(count(&d, "//cac:InvoiceLine | //cbc:InvoicedQuantity"), 0);
	assert_string_equal(STR(&d, "/*/cac:CreditNoteLine[1]/cbc:Note"),
	    "Corrects line 1 of INV-2026-000042");
	assert_string_equal(STR(&d, "/*/cac:CreditNoteLine[3]/cbc:CreditedQuantity"), "-1");
	assert_string_equal(STR(&d, "/*/cac:CreditNoteLine[3]/cbc:LineExtensionAmount"), "-50.00");
	assert_string_equal(STR(&d, "/*/cac:CreditNoteLine[3]/cac:Price/cbc:PriceAmount"), "50.00");
	assert_string_equal(STR(&d, "/*/cac:LegalMonetaryTotal/cbc:LineExtensionAmount"), "175.00");
	assert_string_equal(STR(&d, "/*/cac:TaxTotal/cbc:TaxAmount"), "33.25");
	assert_string_equal(STR(&d, "/*/cac:LegalMonetaryTotal/cbc:PayableAmount"), "208.25");
	close_case(&inv, &d);
}

static void
prepaid_amount(void **state)
{
	invoice inv;
	ubl_doc d;

	(void)state;
	open_case("prepaid", &inv, &d);
	assert_string_equal(STR(&d, "/*/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"), "1190.00");
	assert_string_equal(STR(&d, "/*/cac:LegalMonetaryTotal/cbc:PrepaidAmount"), "500.00");
	assert_string_equal(STR(&d, "/*/cac:LegalMonetaryTotal/cbc:PayableAmount"), "690.00");
	close_case(&inv, &d);
}

static void
fractional_rate_and_discount(void **state)
{
	invoice inv;
	ubl_doc d;

	(void)state;
	open_case("discount-fractional-rate", &inv, &d);
	assert_string_equal(STR(&d, "//cac:TaxSubtotal/cac:TaxCategory/cbc:Percent"), "7.5");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal/cbc:TaxableAmount"), "45.00");
	assert_string_equal(STR(&d, "//cac:TaxSubtotal/cbc:TaxAmount"), "3.38");    /* 3.375 */
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[2]/cbc:InvoicedQuantity"), "-1");
	assert_string_equal(STR(&d, "/*/cac:InvoiceLine[2]/cac:Price/cbc:PriceAmount"), "5.00");
	close_case(&inv, &d);
}

/* E and AE each with their reason; the buyer has only a legal id. */
static void
exempt_and_reverse_charge_reasons(void **state)
{
	invoice inv;
	ubl_doc d;

	(void)state;
	open_case("exempt-and-reverse-charge", &inv, &d);
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[cac:TaxCategory/cbc:ID='E']/cac:TaxCategory/"
	    "cbc:TaxExemptionReason"), inv.exemption_reason);
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[cac:TaxCategory/cbc:ID='AE']/cac:TaxCategory/"
	    "cbc:TaxExemptionReason"), "Autoliquidation");
	assert_string_equal(STR(&d, "/*/cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/"
	    "cbc:CompanyID"), "RCS Paris 123 456 789");
	close_case(&inv, &d);

	/* Without reverse_charge_reason, an invoice with an exempt group falls
	 * back to the standard text rather than the exemption's. */
	ubl_case_find("exempt-and-reverse-charge")->build(&inv);
	inv.reverse_charge_reason[0] = '\0';
	doc_open(&d, &inv);
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[cac:TaxCategory/cbc:ID='AE']/cac:TaxCategory/"
	    "cbc:TaxExemptionReason"), "Reverse charge");
	close_case(&inv, &d);
	ubl_case_find("exempt-and-reverse-charge")->build(&inv);
	inv.exemption_reason[0] = '\0';
	doc_open(&d, &inv);
	assert_string_equal(STR(&d, "//cac:TaxSubtotal[cac:TaxCategory/cbc:ID='E']/cac:TaxCategory/"
	    "cbc:TaxExemptionReason"), "Exempt from VAT");
	close_case(&inv, &d);
}

/* Optional fields left empty are left out, not written empty. */
static void
empty_optional_fields_are_omitted(void **state)
{
	invoice inv;
	ubl_doc d;

	(void)state;
	ubl_case_find("prepaid")->build(&inv);
	inv.buyer_reference[0] = inv.order_reference[0] = inv.contract_reference[0] = '\0';
	inv.note[0] = inv.payment_terms[0] = inv.payment_means[0] = '\0';
	inv.buyer.email[0] = inv.buyer.party_id[0] = inv.buyer.street[0] = '\0';
	inv.lines[0].item_code[0] = '\0';
	inv.due_date = 0;
	doc_open(&d, &inv);
	assert_int_equal(count(&d, "//*[not(*) and normalize-space(.) = '']"), 0);
	assert_int_equal(count(&d, "/*/cbc:BuyerReference | /*/cac:OrderReference | /*/cbc:Note | "
	    "/*/cac:ContractDocumentReference | /*/cac:PaymentMeans | /*/cac:PaymentTerms | "
	    "/*/cbc:DueDate | //cac:SellersItemIdentification"), 0);
	assert_int_equal(count(&d, "//cac:AccountingCustomerParty//cbc:EndpointID"), 0);
	close_case(&inv, &d);
}

/* ------------------------------------------------------------------------
 * Refusals: a broken copy of a sample, and the rule the message names
 * ------------------------------------------------------------------------ */

typedef void (*breaker)(invoice *inv);

static void
expect_refusal(const char *case_name, breaker brk, const char *needle)
{
	invoice inv;
	char err[512] = "";
	size_t len = 99;
	char *doc;

	ubl_case_find(case_name)->build(&inv);
	brk(&inv);
	doc = ubl_write(&inv, &len, err, sizeof err);
	if (doc != NULL)
		fail_msg("%s: written, though it should be refused with %s", case_name, needle);
	assert_int_equal(len, 0);
	if (strstr(err, needle) == NULL)
		fail_msg("%s: refused with \"%s\", not %s", case_name, err, needle);
	/* No buffer for the message is fine too. */
	assert_null(ubl_write(&inv, &len, NULL, 0));
	ubl_case_free(&inv);
}

static void no_seller_vat(invoice *inv) { inv->seller.vat_id[0] = '\0'; }
static void no_buyer_ids(invoice *inv) { inv->buyer.vat_id[0] = inv->buyer.legal_id[0] = '\0'; }
static void no_seller_name(invoice *inv) { inv->seller.name[0] = '\0'; }
static void blank_seller_name(invoice *inv) { snprintf(inv->seller.name, 8, " \t\n "); }
static void no_seller_country(invoice *inv) { inv->seller.country[0] = '\0'; }
static void bad_seller_country(invoice *inv) { snprintf(inv->seller.country, 3, "XX"); }
static void no_buyer_name(invoice *inv) { inv->buyer.name[0] = '\0'; }
static void no_buyer_country(invoice *inv) { inv->buyer.country[0] = '\0'; }
static void no_number(invoice *inv) { inv->number[0] = '\0'; }
static void no_lines(invoice *inv) { inv->nlines = 0; }
static void no_item_name(invoice *inv) { snprintf(inv->lines[2].item_name, 4, "   "); }
static void no_unit_code(invoice *inv) { inv->lines[0].unit_code[0] = '\0'; }
static void no_line_number(invoice *inv) { inv->lines[1].line_no = 0; }
static void bad_vat_prefix(invoice *inv) { snprintf(inv->buyer.vat_id, 16, "123456789"); }
static void unknown_currency(invoice *inv) { snprintf(inv->currency, 4, "XYZ"); }
static void withdrawn_currency(invoice *inv) { snprintf(inv->currency, 4, "BGN"); }
static void iban_missing(invoice *inv) { inv->payee_iban[0] = '\0'; }
static void bad_payment_means(invoice *inv) { snprintf(inv->payment_means, 4, "71"); }
static void bad_utf8(invoice *inv) { snprintf(inv->lines[0].item_name, 8, "Ol\xff"); }
static void overlong_utf8(invoice *inv) { snprintf(inv->note, 8, "\xc0\xaf"); }
static void control_char(invoice *inv) { snprintf(inv->lines[1].note, 16, "bell\x07"); }
static void bad_email(invoice *inv) { snprintf(inv->buyer.email, 8, "a\x01@b"); }

static void
no_seller_ids(invoice *inv)
{
	inv->seller.vat_id[0] = inv->seller.legal_id[0] = inv->seller.party_id[0] = '\0';
}

static void
zero_standard_rate(invoice *inv)
{
	inv->lines[0].tax_rate = (rate){ 0, 0 };
}

static void
rated_zero_category(invoice *inv)
{
	inv->lines[3].tax_rate = (rate){ 19, 2 };    /* the Z line */
}

/* 2.471 BHD is not in hundredths; the totals follow the lines. */
static void
bhd_fils(invoice *inv)
{
	inv->lines[0].net = 2471;
	ubl_case_totals(inv);
}

static void
bhd_prepaid_fils(invoice *inv)
{
	inv->totals.prepaid = 5;
	ubl_case_totals(inv);
}

static void
line_total_off(invoice *inv)
{
	inv->totals.line_total += 1;
}

static void
payable_off(invoice *inv)
{
	inv->totals.payable -= 1;
}

static void
group_tax_off(invoice *inv)
{
	inv->totals.groups[1].tax += 1;
}

static void
line_changed_after_totals(invoice *inv)
{
	inv->lines[5].net += 1;
}

static void
negative_credit_note(invoice *inv)
{
	for (size_t i = 0; i < inv->nlines; i++) {
		inv->lines[i].net = -inv->lines[i].net;
		inv->lines[i].unit_price = -inv->lines[i].unit_price;
	}
	ubl_case_totals(inv);
}

static void
refusals(void **state)
{
	(void)state;
	expect_refusal("eur-many-lines", no_seller_vat, "BR-S-02");
	expect_refusal("exempt-and-reverse-charge", no_seller_vat, "BR-E-02");
	expect_refusal("reverse-charge", no_buyer_ids, "BR-AE-02");
	expect_refusal("mixed-categories", no_seller_name, "BR-06");
	expect_refusal("mixed-categories", blank_seller_name, "BR-06");
	expect_refusal("mixed-categories", no_seller_country, "BR-09");
	expect_refusal("mixed-categories", bad_seller_country, "BR-CL-14");
	expect_refusal("credit-note", no_buyer_name, "BR-07");
	expect_refusal("credit-note", no_buyer_country, "BR-11");
	expect_refusal("prepaid", no_number, "BR-02");
	expect_refusal("prepaid", no_seller_ids, "BR-CO-26");
	expect_refusal("prepaid", no_lines, "BR-16");
	expect_refusal("mixed-categories", no_item_name, "BR-25");
	expect_refusal("mixed-categories", no_unit_code, "BR-23");
	expect_refusal("mixed-categories", no_line_number, "BR-21");
	expect_refusal("mixed-categories", bad_vat_prefix, "BR-CO-09");
	expect_refusal("mixed-categories", zero_standard_rate, "BR-S-05");
	expect_refusal("mixed-categories", rated_zero_category, "BR-Z-05");
	expect_refusal("bhd", bhd_fils, "BR-DEC-23");
	expect_refusal("bhd", bhd_prepaid_fils, "BR-DEC-16");
	expect_refusal("prepaid", unknown_currency, "BR-CL-04");
	expect_refusal("prepaid", withdrawn_currency, "BR-CL-04");
	expect_refusal("prepaid", iban_missing, "BR-61");
	expect_refusal("prepaid", bad_payment_means, "BR-CL-16");
	expect_refusal("mixed-categories", line_total_off, "BR-CO-10");
	expect_refusal("prepaid", payable_off, "BR-CO-10");
	expect_refusal("mixed-categories", group_tax_off, "BR-CO-14");
	expect_refusal("mixed-categories", line_changed_after_totals, "BR-CO-10");
	expect_refusal("credit-note", negative_credit_note, "negative");
	expect_refusal("mixed-categories", bad_utf8, "UTF-8");
	expect_refusal("mixed-categories", overlong_utf8, "UTF-8");
	expect_refusal("mixed-categories", control_char, "control character");
	expect_refusal("eur-many-lines", bad_email, "UTF-8");
}

/* ------------------------------------------------------------------------
 * invoice.c
 * ------------------------------------------------------------------------ */

static void
invoice_helpers(void **state)
{
	invoice_origin o;

	(void)state;
	assert_int_equal(invoice_amount_granule("EUR"), 1);
	assert_int_equal(invoice_amount_granule("JPY"), 1);
	assert_int_equal(invoice_amount_granule("BHD"), 10);
	assert_int_equal(invoice_amount_granule("KWD"), 10);
	assert_int_equal(invoice_amount_granule("CLF"), 100);
	assert_int_equal(invoice_amount_granule("XYZ"), 1);
	assert_string_equal(invoice_type_name(INVOICE_COMMERCIAL), "invoice");
	assert_string_equal(invoice_type_name(INVOICE_CREDIT_NOTE), "credit-note");
	assert_null(invoice_type_name((invoice_type)1));
	for (int i = ORIGIN_CONTRACT_SALE; i <= ORIGIN_OTHER; i++) {
		const char *name = invoice_origin_name((invoice_origin)i);
		assert_non_null(name);
		assert_int_equal(invoice_origin_parse(name, &o), 0);
		assert_int_equal(o, i);
	}
	assert_string_equal(invoice_origin_name(ORIGIN_CLAIM_SETTLEMENT), "claim-settlement");
	assert_null(invoice_origin_name((invoice_origin)99));
	assert_int_equal(invoice_origin_parse("claim_settlement", &o), -1);
	assert_int_equal(invoice_origin_parse(NULL, &o), -1);
	assert_string_equal(invoice_unit_for_kind(CD_LINE_LABOR), "HUR");
	assert_string_equal(invoice_unit_for_kind(CD_LINE_PART), "C62");
	assert_string_equal(invoice_unit_for_kind(CD_LINE_FEE), "C62");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_case_passes_the_rules),
		cmocka_unit_test(eur_many_small_lines),
		cmocka_unit_test(mixed_categories),
		cmocka_unit_test(reverse_charge),
		cmocka_unit_test(jpy_without_decimals),
		cmocka_unit_test(bhd_in_hundredths),
		cmocka_unit_test(credit_note_references_invoice),
		cmocka_unit_test(prepaid_amount),
		cmocka_unit_test(fractional_rate_and_discount),
		cmocka_unit_test(exempt_and_reverse_charge_reasons),
		cmocka_unit_test(empty_optional_fields_are_omitted),
		cmocka_unit_test(refusals),
		cmocka_unit_test(invoice_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
