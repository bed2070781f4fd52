/* ubl — UBL 2.1 / EN 16931 invoices and credit notes (see ubl.h).
 *
 * ubl_write first checks everything the EN 16931 rules require of the
 * invoice as a whole (check_*), then writes; every string written passes
 * through put_text, which refuses what XML cannot carry. The first problem
 * found is reported and the half-written document thrown away. */
#include "billing/ubl.h"
#include "xml/xml_out.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_INVOICE "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
#define NS_CREDIT_NOTE "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
#define NS_CAC "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
#define NS_CBC "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

/* ISO 3166-1 alpha-2 as the EN 16931 code list has it (BR-CL-14, 1.3.16). */
static const char country_codes[] =
    " 1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN"
    " BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE"
    " DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN"
    " GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE"
    " KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK"
    " ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA"
    " PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK"
    " SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG"
    " UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW ";

/* ISO 4217 codes money.c knows that the EN 16931 code list (BR-CL-04,
 * 1.3.16) does not: a document in them would be rejected. */
static const char *const currencies_outside_en16931[] = { "ANG", "BGN", "STN" };

static const char *const category_code[] = { "S", "Z", "E", "AE" };
#define NCATEGORIES (sizeof category_code / sizeof category_code[0])

typedef struct ubl_ctx {
	const invoice *inv;
	xml_out *x;
	int64_t granule;   /* invoice_amount_granule() */
	int scale;         /* decimals of an amount: the exponent, at most 2 */
	int exponent;      /* the currency's */
	char *err;
	size_t errlen;
	bool failed;
} ubl_ctx;

/* Records the first problem; later ones are consequences of it. */
static void __attribute__((format(printf, 2, 3)))
fail(ubl_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	if (c->err == NULL || c->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------------
 * Text, numbers and codes
 * ------------------------------------------------------------------------ */

/* Valid UTF-8 holding only characters XML 1.0 allows (no C0 controls but
 * tab, newline and carriage return; no surrogates, U+FFFE or U+FFFF). */
static bool
text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned c = *p;
		uint32_t cp;
		int n;
		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return false;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		/* Stops at the first byte that does not continue, the NUL included. */
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
			return false;
		p += n + 1;
	}
	return true;
}

/* Empty or only XML white space: what normalize-space() makes ''. */
static bool
blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

static bool
country_ok(const char *cc)
{
	char key[5];

	if (strlen(cc) != 2)
		return false;
	snprintf(key, sizeof key, " %s ", cc);
	return strstr(country_codes, key) != NULL;
}

/* BR-CO-09: a VAT identifier starts with its country (Greece: EL). */
static bool
vat_prefix_ok(const char *vat)
{
	char cc[3];

	if (strlen(vat) < 3)
		return false;
	memcpy(cc, vat, 2);
	cc[2] = '\0';
	return strcmp(cc, "EL") == 0 || country_ok(cc);
}

/* UNCL 4461 as the EN 16931 code list has it (BR-CL-16): 1-70, 74-78,
 * 91-98, ZZZ. */
static bool
payment_means_ok(const char *code)
{
	size_t n = strlen(code);
	int v = 0;

	if (strcmp(code, "ZZZ") == 0)
		return true;
	if (n == 0 || n > 2 || strspn(code, "0123456789") != n || code[0] == '0')
		return false;
	v = atoi(code);
	return (v >= 1 && v <= 70) || (v >= 74 && v <= 78) || (v >= 91 && v <= 98);
}

/* UN/ECE recommendation 20 codes are two or three letters and digits. The
 * full list (BR-CL-23) is not checked. */
static bool
unit_code_ok(const char *u)
{
	size_t n = strlen(u);
	return (n == 2 || n == 3) && strspn(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

/* v / 10^scale as a plain decimal with exactly scale decimals. */
static void
format_decimal(int64_t v, int scale, char *out, size_t outlen)
{
	uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, p = 1;

	for (int i = 0; i < scale; i++)
		p *= 10;
	if (scale == 0)
		snprintf(out, outlen, "%s%" PRIu64, v < 0 ? "-" : "", mag);
	else
		snprintf(out, outlen, "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "", mag / p, scale,
		    mag % p);
}

/* An amount (minor units) as the document prints it; false when it is not
 * a multiple of the granule. */
static bool
format_amount(const ubl_ctx *c, int64_t amount, char *out, size_t outlen)
{
	if (amount % c->granule != 0)
		return false;
	format_decimal(amount / c->granule, c->scale, out, outlen);
	return true;
}

/* A fraction as percent: { 19, 2 } -> "19", { 75, 3 } -> "7.5". */
static bool
format_percent(rate r, char *out, size_t outlen)
{
	if (r.scale < 0 || r.scale > RATE_MAX_SCALE)
		return false;
	if (r.scale >= 2) {
		r.scale -= 2;
	} else {
		for (; r.scale < 2; r.scale++)
			if (__builtin_mul_overflow(r.value, 10, &r.value))
				return false;
		r.scale = 0;
	}
	return rate_format(r, out, outlen) == MONEY_OK;
}

/* ------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------ */

/* <name>text</name>, after checking that XML can carry text; what names
 * the field in the error message. Nothing is written for "". */
static void
put_text(ubl_ctx *c, const char *name, const char *text, const char *what)
{
	if (c->failed || text == NULL || text[0] == '\0')
		return;
	if (!text_ok(text)) {
		fail(c, "%s is not valid UTF-8 text or holds a control character", what);
		return;
	}
	xml_out_elem(c->x, name, text);
}

static void
put_date(ubl_ctx *c, const char *name, date_t d)
{
	char text[DATE_STR_LEN + 1];

	date_format(d, text);
	xml_out_elem(c->x, name, text);
}

/* <name currencyID="EUR">12.30</name>. */
static void
put_amount(ubl_ctx *c, const char *name, int64_t amount, const char *what)
{
	char text[32];

	if (c->failed)
		return;
	if (!format_amount(c, amount, text, sizeof text)) {
		char full[32];
		money_format(amount, c->inv->currency, full, sizeof full);
		fail(c, "%s %s %s is not a whole number of hundredths; an invoice in a "
		    "three-decimal currency is issued in hundredths (BR-DEC)", what, full,
		    c->inv->currency);
		return;
	}
	xml_out_start(c->x, name);
	xml_out_attr(c->x, "currencyID", c->inv->currency);
	xml_out_text(c->x, text);
	xml_out_end(c->x);
}

/* <cbc:ID>VAT</cbc:ID> inside cac:TaxScheme. */
static void
put_vat_scheme(ubl_ctx *c)
{
	xml_out_start(c->x, "cac:TaxScheme");
	xml_out_elem(c->x, "cbc:ID", "VAT");
	xml_out_end(c->x);
}

/* A seller or buyer: cac:Party inside wrapper. */
static void
put_party(ubl_ctx *c, const char *wrapper, const invoice_party *p, const char *who)
{
	char what[64];

#define WHAT(field) (snprintf(what, sizeof what, "the %s's %s", who, field), what)
	xml_out_start(c->x, wrapper);
	xml_out_start(c->x, "cac:Party");
	if (p->email[0] != '\0' && !blank(p->email)) {
		if (!text_ok(p->email)) {
			fail(c, "%s is not valid UTF-8 text", WHAT("email"));
		} else {
			xml_out_start(c->x, "cbc:EndpointID");
			xml_out_attr(c->x, "schemeID", "EM");
			xml_out_text(c->x, p->email);
			xml_out_end(c->x);
		}
	}
	if (p->party_id[0] != '\0' && !blank(p->party_id)) {
		xml_out_start(c->x, "cac:PartyIdentification");
		put_text(c, "cbc:ID", p->party_id, WHAT("identifier"));
		xml_out_end(c->x);
	}
	xml_out_start(c->x, "cac:PostalAddress");
	put_text(c, "cbc:StreetName", p->street, WHAT("street"));
	put_text(c, "cbc:AdditionalStreetName", p->additional_street, WHAT("additional street"));
	put_text(c, "cbc:CityName", p->city, WHAT("city"));
	put_text(c, "cbc:PostalZone", p->postal_code, WHAT("postal code"));
	xml_out_start(c->x, "cac:Country");
	xml_out_elem(c->x, "cbc:IdentificationCode", p->country);
	xml_out_end(c->x);
	xml_out_end(c->x);
	if (p->vat_id[0] != '\0') {
		xml_out_start(c->x, "cac:PartyTaxScheme");
		put_text(c, "cbc:CompanyID", p->vat_id, WHAT("VAT identifier"));
		put_vat_scheme(c);
		xml_out_end(c->x);
	}
	xml_out_start(c->x, "cac:PartyLegalEntity");
	put_text(c, "cbc:RegistrationName", p->name, WHAT("name"));
	put_text(c, "cbc:CompanyID", p->legal_id, WHAT("legal registration identifier"));
	xml_out_end(c->x);
	xml_out_end(c->x);
	xml_out_end(c->x);
#undef WHAT
}

/* The BT-120 text of an E or AE group (ubl.h, "Exemption reasons"). */
static const char *
exemption_text(const invoice *inv, cd_tax_category cat)
{
	bool has_exempt = false;

	if (cat == CD_TAX_EXEMPT)
		return inv->exemption_reason[0] ? inv->exemption_reason : "Exempt from VAT";
	if (inv->reverse_charge_reason[0] != '\0')
		return inv->reverse_charge_reason;
	for (size_t i = 0; i < inv->totals.ngroups; i++)
		if (inv->totals.groups[i].category == CD_TAX_EXEMPT)
			has_exempt = true;
	if (!has_exempt && inv->exemption_reason[0] != '\0')
		return inv->exemption_reason;
	return "Reverse charge";
}

static void
put_tax_total(ubl_ctx *c)
{
	const invoice *inv = c->inv;
	char percent[32], what[64];

	xml_out_start(c->x, "cac:TaxTotal");
	put_amount(c, "cbc:TaxAmount", inv->totals.tax_total, "the total VAT (BT-110)");
	for (size_t i = 0; i < inv->totals.ngroups && !c->failed; i++) {
		const tax_group *g = &inv->totals.groups[i];
		snprintf(what, sizeof what, "VAT group %s", category_code[g->category]);
		xml_out_start(c->x, "cac:TaxSubtotal");
		put_amount(c, "cbc:TaxableAmount", g->taxable, what);
		put_amount(c, "cbc:TaxAmount", g->tax, what);
		xml_out_start(c->x, "cac:TaxCategory");
		xml_out_elem(c->x, "cbc:ID", category_code[g->category]);
		format_percent(g->tax_rate, percent, sizeof percent); /* checked with the lines */
		xml_out_elem(c->x, "cbc:Percent", percent);
		if (g->category == CD_TAX_REVERSE)
			xml_out_elem(c->x, "cbc:TaxExemptionReasonCode", "VATEX-EU-AE");
		if (g->category == CD_TAX_EXEMPT || g->category == CD_TAX_REVERSE)
			put_text(c, "cbc:TaxExemptionReason", exemption_text(inv, g->category),
			    "the VAT exemption reason");
		put_vat_scheme(c);
		xml_out_end(c->x);
		xml_out_end(c->x);
	}
	xml_out_end(c->x);
}

static void
put_totals(ubl_ctx *c)
{
	const invoice_totals *t = &c->inv->totals;

	xml_out_start(c->x, "cac:LegalMonetaryTotal");
	put_amount(c, "cbc:LineExtensionAmount", t->line_total, "the sum of the lines (BT-106)");
	put_amount(c, "cbc:TaxExclusiveAmount", t->tax_exclusive, "the total without VAT (BT-109)");
	put_amount(c, "cbc:TaxInclusiveAmount", t->tax_inclusive, "the total with VAT (BT-112)");
	if (t->prepaid != 0)
		put_amount(c, "cbc:PrepaidAmount", t->prepaid, "the amount paid (BT-113)");
	put_amount(c, "cbc:PayableAmount", t->payable, "the amount due (BT-115)");
	xml_out_end(c->x);
}

static void
put_line(ubl_ctx *c, const invoice_line *l)
{
	bool credit = c->inv->type == INVOICE_CREDIT_NOTE;
	rate qty = l->quantity;
	int64_t price = l->unit_price;
	char text[48], what[64];

	snprintf(what, sizeof what, "line %d", l->line_no);
	/* BR-27: the price is never negative; the quantity carries the sign. */
	if (price < 0) {
		price = -price;
		qty.value = -qty.value;
	}
	xml_out_start(c->x, credit ? "cac:CreditNoteLine" : "cac:InvoiceLine");
	xml_out_elemf(c->x, "cbc:ID", "%d", l->line_no);
	put_text(c, "cbc:Note", l->note, "a line's note");
	rate_format(qty, text, sizeof text); /* checked with the lines */
	xml_out_start(c->x, credit ? "cbc:CreditedQuantity" : "cbc:InvoicedQuantity");
	xml_out_attr(c->x, "unitCode", l->unit_code);
	xml_out_text(c->x, text);
	xml_out_end(c->x);
	snprintf(what, sizeof what, "the net amount of line %d (BT-131)", l->line_no);
	put_amount(c, "cbc:LineExtensionAmount", l->net, what);
	xml_out_start(c->x, "cac:Item");
	put_text(c, "cbc:Name", l->item_name, "an item name");
	if (l->item_code[0] != '\0' && !blank(l->item_code)) {
		xml_out_start(c->x, "cac:SellersItemIdentification");
		put_text(c, "cbc:ID", l->item_code, "an item code");
		xml_out_end(c->x);
	}
	xml_out_start(c->x, "cac:ClassifiedTaxCategory");
	xml_out_elem(c->x, "cbc:ID", category_code[l->tax_category]);
	format_percent(l->tax_rate, text, sizeof text);
	xml_out_elem(c->x, "cbc:Percent", text);
	put_vat_scheme(c);
	xml_out_end(c->x);
	xml_out_end(c->x);
	xml_out_start(c->x, "cac:Price");
	format_decimal(price, c->exponent, text, sizeof text);
	xml_out_start(c->x, "cbc:PriceAmount");
	xml_out_attr(c->x, "currencyID", c->inv->currency);
	xml_out_text(c->x, text);
	xml_out_end(c->x);
	xml_out_end(c->x);
	xml_out_end(c->x);
}

/* ------------------------------------------------------------------------
 * Checks before writing
 * ------------------------------------------------------------------------ */

static void
check_party(ubl_ctx *c, const invoice_party *p, const char *who, const char *name_rule,
    const char *country_rule)
{
	if (blank(p->name))
		fail(c, "the %s has no name (%s)", who, name_rule);
	else if (p->country[0] == '\0')
		fail(c, "the %s has no country (%s)", who, country_rule);
	else if (!country_ok(p->country))
		fail(c, "the %s's country \"%s\" is not an ISO 3166 code (BR-CL-14)", who,
		    p->country);
	else if (p->vat_id[0] != '\0' && !vat_prefix_ok(p->vat_id))
		fail(c, "the %s's VAT identifier \"%.40s\" does not start with a country code "
		    "(BR-CO-09)", who, p->vat_id);
}

/* Each line on its own; then what the categories used ask of the parties. */
static void
check_lines(ubl_ctx *c)
{
	const invoice *inv = c->inv;
	bool used[NCATEGORIES] = { false };
	char text[48];

	if (inv->nlines == 0 || inv->lines == NULL) {
		fail(c, "an invoice needs at least one line (BR-16)");
		return;
	}
	for (size_t i = 0; i < inv->nlines && !c->failed; i++) {
		const invoice_line *l = &inv->lines[i];
		rate q = l->quantity;
		if (l->line_no <= 0) {
			fail(c, "line %zu has no line number (BR-21)", i + 1);
		} else if (blank(l->item_name)) {
			fail(c, "line %d has no item name (BR-25)", l->line_no);
		} else if (!unit_code_ok(l->unit_code)) {
			fail(c, "line %d: \"%.8s\" is not a UN/ECE unit code (BR-23)", l->line_no,
			    l->unit_code);
		} else if ((unsigned)l->tax_category >= NCATEGORIES) {
			fail(c, "line %d: unknown VAT category %d (BR-CO-04)", l->line_no,
			    (int)l->tax_category);
		} else if (!format_percent(l->tax_rate, text, sizeof text)) {
			fail(c, "line %d: the VAT rate is out of range", l->line_no);
		} else if (l->tax_category == CD_TAX_STANDARD && l->tax_rate.value <= 0) {
			fail(c, "line %d: a standard-rated line needs a rate above zero (BR-S-05)",
			    l->line_no);
		} else if (l->tax_category != CD_TAX_STANDARD && l->tax_rate.value != 0) {
			fail(c, "line %d: VAT category %s has a rate of 0 (BR-%s-05)", l->line_no,
			    category_code[l->tax_category], category_code[l->tax_category]);
		} else if (l->unit_price < 0 && __builtin_sub_overflow(0, q.value, &q.value)) {
			fail(c, "line %d: the quantity is out of range", l->line_no);
		} else if (rate_format(q, text, sizeof text) != MONEY_OK) {
			fail(c, "line %d: the quantity is out of range", l->line_no);
		} else if (l->net % c->granule != 0) {
			char full[32];
			money_format(l->net, inv->currency, full, sizeof full);
			fail(c, "line %d: the net amount %s %s is not a whole number of hundredths; "
			    "an invoice in a three-decimal currency is issued in hundredths "
			    "(BR-DEC-23)", l->line_no, full, inv->currency);
		} else {
			used[l->tax_category] = true;
		}
	}
	if (c->failed)
		return;
	for (size_t k = 0; k < NCATEGORIES; k++)
		if (used[k] && blank(inv->seller.vat_id)) {
			fail(c, "a line of VAT category %s needs the seller's VAT identifier "
			    "(BR-%s-02)", category_code[k], category_code[k]);
			return;
		}
	if (used[CD_TAX_REVERSE] && blank(inv->buyer.vat_id) && blank(inv->buyer.legal_id))
		fail(c, "a reverse-charge line needs the buyer's VAT identifier or legal "
		    "registration identifier (BR-AE-02)");
}

/* The totals must be what the lines give: the document states both. */
static void
check_totals(ubl_ctx *c)
{
	const invoice *inv = c->inv;
	const invoice_totals *t = &inv->totals;
	invoice_line_amount *a = xcalloc(inv->nlines, sizeof *a);
	invoice_totals want;
	money_status st;
	char p1[32], p2[32];

	for (size_t i = 0; i < inv->nlines; i++) {
		a[i].net = inv->lines[i].net;
		a[i].category = inv->lines[i].tax_category;
		a[i].tax_rate = inv->lines[i].tax_rate;
	}
	st = invoice_totals_compute_in(a, inv->nlines, t->prepaid, c->granule, &want);
	free(a);
	if (st != MONEY_OK) {
		fail(c, "the totals cannot be computed from the lines: %s", money_status_str(st));
		return;
	}
	if (t->line_total != want.line_total || t->tax_exclusive != want.tax_exclusive ||
	    t->tax_total != want.tax_total || t->tax_inclusive != want.tax_inclusive ||
	    t->payable != want.payable || t->ngroups != want.ngroups) {
		fail(c, "the invoice's totals are not those of its lines (BR-CO-10 to BR-CO-16)");
		return;
	}
	for (size_t i = 0; i < t->ngroups; i++) {
		const tax_group *g = &t->groups[i], *w = &want.groups[i];
		if (g->category != w->category || g->taxable != w->taxable || g->tax != w->tax ||
		    !format_percent(g->tax_rate, p1, sizeof p1) ||
		    !format_percent(w->tax_rate, p2, sizeof p2) || strcmp(p1, p2) != 0) {
			fail(c, "the invoice's VAT breakdown is not that of its lines (BR-CO-14, "
			    "BR-S-08)");
			return;
		}
	}
	if (t->prepaid % c->granule != 0) {
		fail(c, "the amount paid is not a whole number of hundredths (BR-DEC-16)");
		return;
	}
	if (t->tax_inclusive < 0)
		fail(c, "the total with VAT is negative: a negative %s is a%s (ubl.h)",
		    inv->type == INVOICE_CREDIT_NOTE ? "credit note" : "invoice",
		    inv->type == INVOICE_CREDIT_NOTE ? "n invoice" : " credit note");
}

static void
check_invoice(ubl_ctx *c)
{
	const invoice *inv = c->inv;

	if (inv->type != INVOICE_COMMERCIAL && inv->type != INVOICE_CREDIT_NOTE)
		fail(c, "unknown document type %d (BR-CL-01)", (int)inv->type);
	else if (blank(inv->number))
		fail(c, "the invoice has no number (BR-02)");
	if (c->failed)
		return;
	check_party(c, &inv->seller, "seller", "BR-06", "BR-09");
	check_party(c, &inv->buyer, "buyer", "BR-07", "BR-11");
	if (c->failed)
		return;
	if (blank(inv->seller.vat_id) && blank(inv->seller.legal_id) &&
	    blank(inv->seller.party_id)) {
		fail(c, "the seller needs a VAT identifier, a legal registration identifier or "
		    "an identifier (BR-CO-26)");
		return;
	}
	if (inv->payment_means[0] != '\0') {
		if (!payment_means_ok(inv->payment_means))
			fail(c, "payment means \"%s\" is not a UNCL 4461 code (BR-CL-16)",
			    inv->payment_means);
		else if ((strcmp(inv->payment_means, "30") == 0 ||
		    strcmp(inv->payment_means, "58") == 0) && blank(inv->payee_iban))
			fail(c, "payment by credit transfer (%s) needs the payee's account "
			    "(BR-61)", inv->payment_means);
	}
	if (c->failed)
		return;
	check_lines(c);
	if (!c->failed)
		check_totals(c);
}

/* ------------------------------------------------------------------------
 * The document
 * ------------------------------------------------------------------------ */

char *
ubl_write(const invoice *inv, size_t *len, char *err, size_t errlen)
{
	ubl_ctx c = { .inv = inv, .err = err, .errlen = errlen };
	bool credit = inv->type == INVOICE_CREDIT_NOTE;
	char *doc;

	*len = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	c.exponent = currency_exponent(inv->currency);
	if (c.exponent < 0) {
		fail(&c, "\"%.3s\" is not an ISO 4217 currency (BR-CL-04)", inv->currency);
		return NULL;
	}
	for (size_t i = 0; i < sizeof currencies_outside_en16931 / sizeof(char *); i++)
		if (strcmp(inv->currency, currencies_outside_en16931[i]) == 0) {
			fail(&c, "EN 16931's currency code list lacks %s (BR-CL-04)", inv->currency);
			return NULL;
		}
	c.granule = invoice_amount_granule(inv->currency);
	c.scale = c.exponent < 2 ? c.exponent : 2;
	check_invoice(&c);
	if (c.failed)
		return NULL;

	c.x = xml_out_new_ns(credit ? "CreditNote" : "Invoice", credit ? NS_CREDIT_NOTE :
	    NS_INVOICE);
	xml_out_attr(c.x, "xmlns:cac", NS_CAC);
	xml_out_attr(c.x, "xmlns:cbc", NS_CBC);
	xml_out_elem(c.x, "cbc:CustomizationID", UBL_CUSTOMIZATION_ID);
	put_text(&c, "cbc:ID", inv->number, "the invoice number");
	put_date(&c, "cbc:IssueDate", inv->issue_date);
	if (!credit && inv->due_date != 0)
		put_date(&c, "cbc:DueDate", inv->due_date);
	xml_out_elemf(c.x, credit ? "cbc:CreditNoteTypeCode" : "cbc:InvoiceTypeCode", "%d",
	    (int)inv->type);
	put_text(&c, "cbc:Note", inv->note, "the note");
	xml_out_elem(c.x, "cbc:DocumentCurrencyCode", inv->currency);
	put_text(&c, "cbc:BuyerReference", inv->buyer_reference, "the buyer reference");
	if (inv->order_reference[0] != '\0') {
		xml_out_start(c.x, "cac:OrderReference");
		put_text(&c, "cbc:ID", inv->order_reference, "the order reference");
		xml_out_end(c.x);
	}
	if (inv->preceding_number[0] != '\0') {
		xml_out_start(c.x, "cac:BillingReference");
		xml_out_start(c.x, "cac:InvoiceDocumentReference");
		put_text(&c, "cbc:ID", inv->preceding_number, "the preceding invoice's number");
		if (inv->preceding_issue_date != 0)
			put_date(&c, "cbc:IssueDate", inv->preceding_issue_date);
		xml_out_end(c.x);
		xml_out_end(c.x);
	}
	if (inv->contract_reference[0] != '\0') {
		xml_out_start(c.x, "cac:ContractDocumentReference");
		put_text(&c, "cbc:ID", inv->contract_reference, "the contract reference");
		xml_out_end(c.x);
	}
	put_party(&c, "cac:AccountingSupplierParty", &inv->seller, "seller");
	put_party(&c, "cac:AccountingCustomerParty", &inv->buyer, "buyer");
	if (inv->payment_means[0] != '\0') {
		xml_out_start(c.x, "cac:PaymentMeans");
		xml_out_elem(c.x, "cbc:PaymentMeansCode", inv->payment_means);
		if (credit && inv->due_date != 0)
			put_date(&c, "cbc:PaymentDueDate", inv->due_date);
		if (inv->payee_iban[0] != '\0') {
			xml_out_start(c.x, "cac:PayeeFinancialAccount");
			put_text(&c, "cbc:ID", inv->payee_iban, "the payee's account");
			xml_out_end(c.x);
		}
		xml_out_end(c.x);
	}
	if (inv->payment_terms[0] != '\0' && !blank(inv->payment_terms)) {
		xml_out_start(c.x, "cac:PaymentTerms");
		put_text(&c, "cbc:Note", inv->payment_terms, "the payment terms");
		xml_out_end(c.x);
	}
	put_tax_total(&c);
	put_totals(&c);
	for (size_t i = 0; i < inv->nlines && !c.failed; i++)
		put_line(&c, &inv->lines[i]);

	doc = xml_out_finish(c.x, len);
	if (c.failed) {
		free(doc);
		*len = 0;
		return NULL;
	}
	return doc;
}
