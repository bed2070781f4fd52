#!/usr/bin/env python3
"""ubl_rules — the EN 16931 business rules that contractd's invoices have to
keep, checked on any UBL 2.1 Invoice or CreditNote. Python 3 standard library
only, so the end-to-end tests can check what the server hands out:

    import ubl_rules
    problems = ubl_rules.check(xml_bytes)     # [] when the document passes
    # ["BR-CO-16: the amount due (BT-115) 690.01 is not 1190.00 - 500.00 ...", ...]

Each problem is "RULE-ID: message", the rule ids those of the CEN/TC 434
validation artefacts (EN16931-UBL-validation, 1.3.16). What is checked:

  document      BR-01..BR-05, BR-CL-01 (type code), BR-CL-04 (currency),
                BR-CL-03 (every amount in the document currency), BR-16, BR-55
  parties       BR-06..BR-11, BR-CL-14 (countries), BR-CO-09 (VAT prefixes),
                BR-CO-26, BR-62, BR-63
  payment       BR-49, BR-61, BR-CL-16
  lines         BR-21..BR-27, BR-CO-04, BR-CL-18, and PEPPOL-EN16931-R120
                (a line's net = quantity x price / base quantity, when the
                line has no allowance or charge of its own)
  totals        BR-12..BR-15, BR-CO-10, BR-CO-11, BR-CO-12, BR-CO-13,
                BR-CO-14, BR-CO-15, BR-CO-16, BR-CO-17, BR-CO-18
  decimals      BR-DEC-09..BR-DEC-20, BR-DEC-23 (at most two decimals)
  VAT groups    for S, Z, E and AE: BR-x-01 (a breakdown for the lines'
                category), BR-x-02 (the VAT identifiers it needs), BR-x-05
                (the lines' rate), BR-x-08 (taxable amount = its lines, less
                allowances, plus charges), BR-x-09 (tax), BR-x-10 (exemption
                reason present or absent); BR-CL-17

strict=True (the default) is stricter than the CEN artefacts where they allow
for other producers' rounding: a group's taxable amount must equal its lines
exactly (CEN: within 1.00 for S) and its tax must be taxable x rate rounded
half-up to the currency's decimals, at most two (CEN: within 1.00). That is
what contractd computes, so an off-by-0.01 shows up. strict=False applies
the CEN tolerances.

This is not the official validator: there is no XSD check, unit codes
(BR-CL-23) and most other code lists are not checked, and the categories
G, K, L, M, O and B get only the generic checks.
"""

import re
import sys
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation, ROUND_HALF_UP

NS_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
NS_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
NS_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NS = {"cac": NS_CAC, "cbc": NS_CBC}

# Code lists as the CEN artefacts 1.3.16 have them.
INVOICE_TYPE_CODES = set(
    "71 80 81 82 84 102 130 202 203 204 211 218 219 295 325 326 331 380 382 383 384 385 386 "
    "387 388 389 390 393 394 395 456 457 471 472 473 500 501 527 553 575 623 633 751 780 817 "
    "870 875 876 877 935".split())
CREDIT_NOTE_TYPE_CODES = set("81 83 261 262 296 308 381 396 420 458 502 503 532".split())
COUNTRIES = set(
    "1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO "
    "DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU "
    "GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW "
    "KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU "
    "MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW "
    "PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF "
    "TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT "
    "ZA ZM ZW".split())
VAT_PREFIXES = COUNTRIES | {"EL"}
CURRENCIES = set(
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHE CHF CHW CLF CLP CNH CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB "
    "EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD "
    "JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP "
    "MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR "
    "RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STD SVC SYP SZL THB TJS TMT TND "
    "TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VES VED VND VUV WST XAF XAG XAU XBA XBB "
    "XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG".split())
# ISO 4217 currencies without decimals (the rest have two or more, and an
# EN 16931 amount has at most two).
ZERO_DECIMAL_CURRENCIES = set(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split())
PAYMENT_MEANS = set(str(i) for i in list(range(1, 71)) + list(range(74, 79)) +
                    list(range(91, 99))) | {"ZZZ"}
VAT_CATEGORIES = set("AE L M E S Z G O K B".split())

_DECIMAL_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ONE = Decimal(1)


def _q(prefix, name):
    return "{%s}%s" % (NS[prefix], name)


def _text(el):
    """normalize-space() of an element's text; '' for a missing element."""
    if el is None:
        return ""
    return " ".join("".join(el.itertext()).split())


class _Doc:
    def __init__(self, root, strict):
        self.root = root
        self.strict = strict
        self.problems = []
        self.credit = root.tag == "{%s}CreditNote" % NS_CREDIT_NOTE
        self.line_tag = "cac:CreditNoteLine" if self.credit else "cac:InvoiceLine"
        self.qty_tag = "cbc:CreditedQuantity" if self.credit else "cbc:InvoicedQuantity"
        self.currency = _text(root.find("cbc:DocumentCurrencyCode", NS))
        self.decimals = 0 if self.currency in ZERO_DECIMAL_CURRENCIES else 2

    def fail(self, rule, message):
        self.problems.append("%s: %s" % (rule, message))

    def find(self, path, el=None):
        return (self.root if el is None else el).find(path, NS)

    def findall(self, path, el=None):
        return (self.root if el is None else el).findall(path, NS)

    def num(self, el, rule, what):
        """The decimal value of el, or None (missing, or not a number:
        reported under rule)."""
        if el is None:
            return None
        t = (el.text or "").strip()
        if not _DECIMAL_RE.match(t):
            self.fail(rule, "%s %r is not a decimal number" % (what, t))
            return None
        try:
            return Decimal(t)
        except InvalidOperation:
            self.fail(rule, "%s %r is not a decimal number" % (what, t))
            return None

    def amount(self, el, dec_rule, what):
        """An amount element: at most two decimals (dec_rule); its value or
        None."""
        v = self.num(el, dec_rule, what)
        if v is None:
            return None
        t = el.text.strip()
        if "." in t and len(t.split(".", 1)[1]) > 2:
            self.fail(dec_rule, "%s %s has more than two decimals" % (what, t))
        return v

    def tax_of(self, taxable, percent):
        """taxable x percent / 100 rounded half-up (away from zero) to the
        currency's decimals."""
        exp = Decimal(1).scaleb(-self.decimals)
        return (taxable * percent / Decimal(100)).quantize(exp, rounding=ROUND_HALF_UP)


def _xpath_round(v):
    """XPath round(): to the nearest integer, halves toward +infinity."""
    return (v + Decimal("0.5")).to_integral_value(rounding="ROUND_FLOOR")


def _fmt(v):
    return "none" if v is None else str(v)


# ---------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------

def _check_document(d):
    r = d.root
    if not _text(d.find("cbc:CustomizationID")):
        d.fail("BR-01", "the specification identifier (BT-24, CustomizationID) is missing")
    if not _text(d.find("cbc:ID")):
        d.fail("BR-02", "the invoice number (BT-1) is missing")
    issue = _text(d.find("cbc:IssueDate"))
    if not issue:
        d.fail("BR-03", "the issue date (BT-2) is missing")
    elif not _DATE_RE.match(issue):
        d.fail("BR-03", "the issue date %r is not YYYY-MM-DD" % issue)
    code = _text(d.find("cbc:CreditNoteTypeCode" if d.credit else "cbc:InvoiceTypeCode"))
    if not code:
        d.fail("BR-04", "the type code (BT-3) is missing")
    elif code not in (CREDIT_NOTE_TYPE_CODES if d.credit else INVOICE_TYPE_CODES):
        d.fail("BR-CL-01", "type code %s is not allowed in a%s" % (
            code, " CreditNote" if d.credit else "n Invoice"))
    if not d.currency:
        d.fail("BR-05", "the currency (BT-5) is missing")
    elif d.currency not in CURRENCIES:
        d.fail("BR-CL-04", "currency %s is not in the ISO 4217 code list" % d.currency)
    tax_currency = _text(d.find("cbc:TaxCurrencyCode"))
    for el in r.iter() if d.currency else ():
        if not isinstance(el.tag, str) or not el.tag.endswith("Amount"):
            continue
        cur = el.get("currencyID")
        name = el.tag.split("}")[-1]
        if cur is None:
            d.fail("BR-CL-03", "%s has no currencyID" % name)
        elif cur != d.currency and not (name == "TaxAmount" and cur == tax_currency):
            d.fail("BR-CL-03", "%s is in %s, not the document currency %s" % (
                name, cur, d.currency))
    if not d.findall(d.line_tag):
        d.fail("BR-16", "the document has no line (BG-25)")
    for ref in d.findall("cac:BillingReference"):
        if not _text(d.find("cac:InvoiceDocumentReference/cbc:ID", ref)):
            d.fail("BR-55", "a preceding invoice reference (BG-3) has no number (BT-25)")


def _check_party(d, path, who, name_rule, address_rule, country_rule, endpoint_rule):
    party = d.find(path + "/cac:Party")
    if not _text(d.find("cac:PartyLegalEntity/cbc:RegistrationName", party)
                 if party is not None else None):
        d.fail(name_rule, "the %s's name (RegistrationName) is missing" % who)
    if party is None:
        d.fail(address_rule, "the %s has no postal address" % who)
        return None
    address = d.find("cac:PostalAddress", party)
    if address is None:
        d.fail(address_rule, "the %s has no postal address" % who)
    else:
        cc = _text(d.find("cac:Country/cbc:IdentificationCode", address))
        if not cc:
            d.fail(country_rule, "the %s's postal address has no country code" % who)
        elif cc not in COUNTRIES:
            d.fail("BR-CL-14", "the %s's country %r is not an ISO 3166 code" % (who, cc))
    endpoint = d.find("cbc:EndpointID", party)
    if endpoint is not None and not endpoint.get("schemeID"):
        d.fail(endpoint_rule, "the %s's electronic address has no schemeID" % who)
    for ts in d.findall("cac:PartyTaxScheme", party):
        if _text(d.find("cac:TaxScheme/cbc:ID", ts)).upper() != "VAT":
            continue
        vat = _text(d.find("cbc:CompanyID", ts))
        if vat[:2] not in VAT_PREFIXES:
            d.fail("BR-CO-09", "the %s's VAT identifier %r does not start with a country "
                   "code" % (who, vat))
    return party


def _vat_id(d, party):
    if party is None:
        return ""
    for ts in d.findall("cac:PartyTaxScheme", party):
        if _text(d.find("cac:TaxScheme/cbc:ID", ts)).upper() == "VAT":
            v = _text(d.find("cbc:CompanyID", ts))
            if v:
                return v
    return ""


def _check_parties(d):
    seller = _check_party(d, "cac:AccountingSupplierParty", "seller", "BR-06", "BR-08",
                          "BR-09", "BR-62")
    buyer = _check_party(d, "cac:AccountingCustomerParty", "buyer", "BR-07", "BR-10",
                         "BR-11", "BR-63")
    if seller is not None:
        ids = [i for i in d.findall("cac:PartyIdentification/cbc:ID", seller)
               if i.get("schemeID") != "SEPA" and _text(i)]
        if not (_vat_id(d, seller) or ids or
                _text(d.find("cac:PartyLegalEntity/cbc:CompanyID", seller))):
            d.fail("BR-CO-26", "the seller has no identifier, legal registration "
                   "identifier or VAT identifier")
    return seller, buyer


def _check_payment(d):
    for pm in d.findall("cac:PaymentMeans"):
        code = _text(d.find("cbc:PaymentMeansCode", pm))
        if not code:
            d.fail("BR-49", "a payment instruction has no payment means code (BT-81)")
            continue
        if code not in PAYMENT_MEANS:
            d.fail("BR-CL-16", "payment means %r is not a UNCL 4461 code" % code)
        if code in ("30", "58") and not _text(d.find("cac:PayeeFinancialAccount/cbc:ID", pm)):
            d.fail("BR-61", "credit transfer (%s) without the payment account (BT-84)" % code)


def _check_lines(d):
    """Returns [(category, percent or None, net or None)] per line."""
    out = []
    for i, line in enumerate(d.findall(d.line_tag), 1):
        lid = _text(d.find("cbc:ID", line))
        where = "line %s" % (lid or "#%d" % i)
        if not lid:
            d.fail("BR-21", "line #%d has no line identifier (BT-126)" % i)
        qty = d.find(d.qty_tag, line)
        if qty is None:
            d.fail("BR-22", "%s has no quantity (BT-129)" % where)
            d.fail("BR-23", "%s has no unit code (BT-130)" % where)
        else:
            d.num(qty, "BR-22", "the quantity of " + where)
            if not qty.get("unitCode"):
                d.fail("BR-23", "%s has no unit code (BT-130)" % where)
        net_el = d.find("cbc:LineExtensionAmount", line)
        if net_el is None:
            d.fail("BR-24", "%s has no net amount (BT-131)" % where)
        net = d.amount(net_el, "BR-DEC-23", "the net amount of " + where)
        if not _text(d.find("cac:Item/cbc:Name", line)):
            d.fail("BR-25", "%s has no item name (BT-153)" % where)
        price_el = d.find("cac:Price/cbc:PriceAmount", line)
        if price_el is None:
            d.fail("BR-26", "%s has no item net price (BT-146)" % where)
            d.fail("BR-27", "%s has no item net price, so none that is not negative" % where)
        else:
            price = d.num(price_el, "BR-26", "the price of " + where)
            if price is not None and price < 0:
                d.fail("BR-27", "the price of %s is negative (%s)" % (where, price))
            _check_line_net(d, line, where, qty, price, net)
        cat, percent = "", None
        for ct in d.findall("cac:Item/cac:ClassifiedTaxCategory", line):
            if _text(d.find("cac:TaxScheme/cbc:ID", ct)).upper() == "VAT":
                cat = _text(d.find("cbc:ID", ct))
                percent = d.num(d.find("cbc:Percent", ct), "BR-CO-04",
                                "the VAT rate of " + where)
                break
        if not cat:
            d.fail("BR-CO-04", "%s has no VAT category (BT-151)" % where)
        elif cat not in VAT_CATEGORIES:
            d.fail("BR-CL-18", "%s: VAT category %r is not a UNCL 5305 code" % (where, cat))
        out.append((cat, percent, net))
    return out


def _check_line_net(d, line, where, qty_el, price, net):
    """PEPPOL-EN16931-R120: quantity x price / base quantity, rounded to two
    decimals, is the line's net amount (lines without allowances or
    charges of their own)."""
    if qty_el is None or price is None or net is None:
        return
    if d.find("cac:AllowanceCharge", line) is not None:
        return
    try:
        qty = Decimal(_text(qty_el))
        base_el = d.find("cac:Price/cbc:BaseQuantity", line)
        base = Decimal(_text(base_el)) if base_el is not None else Decimal(1)
    except InvalidOperation:
        return
    if base == 0:
        d.fail("PEPPOL-EN16931-R121", "%s: the base quantity is zero" % where)
        return
    want = (qty * price / base).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if want != net:
        d.fail("PEPPOL-EN16931-R120", "%s: quantity %s x price %s is %s, not the net amount %s"
               % (where, qty, price, _fmt(want), _fmt(net)))


def _doc_allowances(d):
    """[(charge?, category, percent, amount)] of the document-level
    allowances and charges."""
    out = []
    for ac in d.findall("cac:AllowanceCharge"):
        charge = _text(d.find("cbc:ChargeIndicator", ac)).lower() == "true"
        amount = d.amount(d.find("cbc:Amount", ac), "BR-DEC-05" if charge else "BR-DEC-01",
                          "a document-level %s" % ("charge" if charge else "allowance"))
        cat = _text(d.find("cac:TaxCategory/cbc:ID", ac))
        percent = d.num(d.find("cac:TaxCategory/cbc:Percent", ac), "BR-CL-17",
                        "a document-level allowance's or charge's rate")
        out.append((charge, cat, percent, amount or Decimal(0)))
    return out


def _check_totals(d, lines, allowances):
    lmt = d.find("cac:LegalMonetaryTotal")
    if lmt is None:
        for rule, bt in (("BR-12", "BT-106"), ("BR-13", "BT-109"), ("BR-14", "BT-112"),
                         ("BR-15", "BT-115")):
            d.fail(rule, "the document has no LegalMonetaryTotal (%s)" % bt)
        return

    def get(name, missing_rule, dec_rule, bt):
        el = d.find("cbc:" + name, lmt)
        if el is None:
            if missing_rule:
                d.fail(missing_rule, "%s (%s) is missing" % (name, bt))
            return None
        return d.amount(el, dec_rule, "%s (%s)" % (name, bt))

    line_total = get("LineExtensionAmount", "BR-12", "BR-DEC-09", "BT-106")
    allowance_total = get("AllowanceTotalAmount", None, "BR-DEC-10", "BT-107")
    charge_total = get("ChargeTotalAmount", None, "BR-DEC-11", "BT-108")
    exclusive = get("TaxExclusiveAmount", "BR-13", "BR-DEC-12", "BT-109")
    inclusive = get("TaxInclusiveAmount", "BR-14", "BR-DEC-14", "BT-112")
    prepaid = get("PrepaidAmount", None, "BR-DEC-16", "BT-113")
    rounding = get("PayableRoundingAmount", None, "BR-DEC-17", "BT-114")
    payable = get("PayableAmount", "BR-15", "BR-DEC-18", "BT-115")

    nets = [n for _, _, n in lines]
    if line_total is not None and None not in nets and line_total != sum(nets, Decimal(0)):
        d.fail("BR-CO-10", "the sum of line net amounts (BT-106) %s is not the sum of the "
               "lines, %s" % (line_total, sum(nets, Decimal(0))))
    allowances_sum = sum((a for c, _, _, a in allowances if not c), Decimal(0))
    charges_sum = sum((a for c, _, _, a in allowances if c), Decimal(0))
    if (allowance_total or 0) != allowances_sum or \
            (allowance_total is None and allowances_sum != 0):
        d.fail("BR-CO-11", "the sum of allowances (BT-107) %s is not %s" % (
            _fmt(allowance_total), allowances_sum))
    if (charge_total or 0) != charges_sum or (charge_total is None and charges_sum != 0):
        d.fail("BR-CO-12", "the sum of charges (BT-108) %s is not %s" % (
            _fmt(charge_total), charges_sum))
    if exclusive is not None and line_total is not None:
        want = line_total - (allowance_total or 0) + (charge_total or 0)
        if exclusive != want:
            d.fail("BR-CO-13", "the total without VAT (BT-109) %s is not %s" % (exclusive, want))

    # The VAT total in the document currency (BT-110).
    tax_totals = [el for el in d.findall("cac:TaxTotal/cbc:TaxAmount")
                  if el.get("currencyID") == d.currency]
    tax_total = None
    if not d.currency:
        pass    # BR-05 says it
    elif len(tax_totals) != 1:
        d.fail("BR-CO-15", "there are %d VAT totals (BT-110) in %s, not one" % (
            len(tax_totals), d.currency))
    else:
        tax_total = d.amount(tax_totals[0], "BR-DEC-13", "the VAT total (BT-110)")
    if inclusive is not None and exclusive is not None and tax_total is not None and \
            inclusive != exclusive + tax_total:
        d.fail("BR-CO-15", "the total with VAT (BT-112) %s is not %s + %s" % (
            inclusive, exclusive, tax_total))
    if payable is not None and inclusive is not None:
        want = inclusive - (prepaid or 0) + (rounding or 0)
        if payable != want:
            d.fail("BR-CO-16", "the amount due (BT-115) %s is not %s - %s + %s" % (
                payable, inclusive, prepaid or 0, rounding or 0))


def _check_breakdown(d, lines, allowances, seller, buyer):
    """BR-CO-14, BR-CO-17, BR-CO-18 and the S, Z, E and AE rules."""
    groups = []   # (category, percent, taxable, tax, subtotal element)
    for tt in d.findall("cac:TaxTotal"):
        total_el = d.find("cbc:TaxAmount", tt)
        subtotals = d.findall("cac:TaxSubtotal", tt)
        taxes = []
        for st in subtotals:
            taxable_el = d.find("cbc:TaxableAmount", st)
            tax_el = d.find("cbc:TaxAmount", st)
            if taxable_el is None:
                d.fail("BR-45", "a VAT breakdown has no taxable amount (BT-116)")
            if tax_el is None:
                d.fail("BR-46", "a VAT breakdown has no tax amount (BT-117)")
            taxable = d.amount(taxable_el, "BR-DEC-19", "a VAT taxable amount (BT-116)")
            tax = d.amount(tax_el, "BR-DEC-20", "a VAT amount (BT-117)")
            cat_el = None
            for tc in d.findall("cac:TaxCategory", st):
                if _text(d.find("cac:TaxScheme/cbc:ID", tc)).upper() == "VAT":
                    cat_el = tc
            cat = _text(d.find("cbc:ID", cat_el)) if cat_el is not None else ""
            if not cat:
                d.fail("BR-47", "a VAT breakdown has no VAT category (BT-118)")
            elif cat not in VAT_CATEGORIES:
                d.fail("BR-CL-17", "VAT category %r is not a UNCL 5305 code" % cat)
            percent = d.num(d.find("cbc:Percent", cat_el) if cat_el is not None else None,
                            "BR-48", "a VAT rate (BT-119)")
            if percent is None and cat != "O":
                d.fail("BR-48", "the VAT breakdown of category %s has no rate (BT-119)" % cat)
            taxes.append(tax)
            groups.append((cat, percent, taxable, tax, cat_el))
            # BR-CO-17: tax = taxable x rate.
            if taxable is not None and tax is not None and percent is not None:
                want = d.tax_of(taxable, percent)
                off = abs(tax - want)
                if (d.strict and off != 0) or (not d.strict and off >= _ONE):
                    d.fail("BR-CO-17", "the VAT of category %s at %s %% is %s, not %s x %s %% "
                           "= %s" % (cat, percent, tax, taxable, percent, want))
            elif tax is not None and percent is None and _xpath_round(tax) != 0:
                d.fail("BR-CO-17", "the VAT of category %s is %s without a rate" % (cat, tax))
        if subtotals and total_el is not None and None not in taxes:
            total = d.amount(total_el, "BR-DEC-13", "the VAT total (BT-110)")
            if total is not None and total != sum(taxes, Decimal(0)):
                d.fail("BR-CO-14", "the VAT total (BT-110) %s is not the sum of the VAT "
                       "breakdown, %s" % (total, sum(taxes, Decimal(0))))
    if not groups:
        d.fail("BR-CO-18", "the document has no VAT breakdown (BG-23)")

    # x-02 accept the seller's VAT identifier (BT-31) or tax registration
    # identifier (BT-32, a PartyTaxScheme of another scheme), or the tax
    # representative's VAT identifier (BT-63).
    seller_vat = _vat_id(d, d.find("cac:TaxRepresentativeParty"))
    if seller is not None:
        seller_vat = seller_vat or any(
            _text(el) for el in d.findall("cac:PartyTaxScheme/cbc:CompanyID", seller))
    buyer_ids = _vat_id(d, buyer) or (
        _text(d.find("cac:PartyLegalEntity/cbc:CompanyID", buyer)) if buyer is not None else "")
    names = {"S": "standard rated", "Z": "zero rated", "E": "exempt", "AE": "reverse charge"}
    for cat in ("S", "Z", "E", "AE"):
        cat_lines = [(p, n) for c, p, n in lines if c == cat]
        cat_groups = [g for g in groups if g[0] == cat]
        used = cat_lines or any(c == cat for _, c, _, _ in allowances)
        # x-01: a breakdown for the category (S: at least one, else exactly one).
        if used and (not cat_groups if cat == "S" else len(cat_groups) != 1):
            d.fail("BR-%s-01" % cat, "%s lines need %s VAT breakdown of category %s, there "
                   "are %d" % (names[cat], "a" if cat == "S" else "exactly one", cat,
                               len(cat_groups)))
        if cat == "S" and not used and cat_groups:
            d.fail("BR-S-01", "a VAT breakdown of category S without any S line")
        if cat == "S" and d.strict and cat_groups:
            # Stricter than CEN: every rate of the S lines has its breakdown.
            rates = {g[1] for g in cat_groups}
            for p in sorted({p for p, _ in cat_lines if p is not None} - rates):
                d.fail("BR-S-01", "standard-rated lines at %s %% have no VAT breakdown at "
                       "that rate" % p)
        # x-02: identifiers.
        if cat_lines and not seller_vat:
            d.fail("BR-%s-02" % cat, "%s lines need the seller's VAT identifier (BT-31)" %
                   names[cat])
        if cat == "AE" and cat_lines and not buyer_ids:
            d.fail("BR-AE-02", "reverse-charge lines need the buyer's VAT identifier (BT-48) "
                   "or legal registration identifier (BT-47)")
        # x-05: the lines' rate.
        for p, _ in cat_lines:
            if cat == "S" and (p is None or p <= 0):
                d.fail("BR-S-05", "a standard-rated line has rate %s, not above zero" % _fmt(p))
            elif cat != "S" and p != 0:
                d.fail("BR-%s-05" % cat, "a %s line has rate %s, not 0" % (names[cat], _fmt(p)))
        # x-08, x-09, x-10 per breakdown group.
        for _, percent, taxable, tax, cat_el in cat_groups:
            if cat == "S":
                mine = [n for p, n in cat_lines if p is not None and p == percent]
                has = bool(mine) or any(c == "S" and p == percent for _, c, p, _ in allowances)
            else:
                mine = [n for _, n in cat_lines]
                has = True
            adjust = sum((a if ch else -a) for ch, c, p, a in allowances
                         if c == cat and (cat != "S" or p == percent))
            want = sum((n for n in mine if n is not None), Decimal(0)) + adjust
            if taxable is not None and (percent is not None or cat != "S"):
                if not has:
                    d.fail("BR-S-08", "a VAT breakdown of category S at %s %% has no line at "
                           "that rate" % _fmt(percent))
                elif taxable != want and (d.strict or cat != "S" or abs(taxable - want) >= _ONE):
                    d.fail("BR-%s-08" % cat, "the taxable amount of category %s%s is %s, not "
                           "the sum of its lines, %s" % (
                               cat, " at %s %%" % percent if cat == "S" else "", taxable, want))
            if tax is not None and cat != "S" and tax != 0:
                d.fail("BR-%s-09" % cat, "the VAT of category %s is %s, not 0" % (cat, tax))
            if cat == "S" and percent is None:
                d.fail("BR-S-09", "a standard-rated VAT breakdown without a rate")
            elif tax is not None and taxable is not None and cat == "S":
                want_tax = d.tax_of(taxable, percent)
                if (d.strict and tax != want_tax) or abs(abs(tax) - abs(want_tax)) >= _ONE:
                    d.fail("BR-S-09", "the VAT at %s %% is %s, not %s x %s %% = %s" % (
                        percent, tax, taxable, percent, want_tax))
            has_reason = cat_el is not None and (
                _text(d.find("cbc:TaxExemptionReason", cat_el)) or
                _text(d.find("cbc:TaxExemptionReasonCode", cat_el)))
            if cat in ("S", "Z") and has_reason:
                d.fail("BR-%s-10" % cat, "a %s VAT breakdown has an exemption reason" %
                       names[cat])
            if cat in ("E", "AE") and not has_reason:
                d.fail("BR-%s-10" % cat, "a %s VAT breakdown has no exemption reason "
                       "(BT-120) or code (BT-121)" % names[cat])


def check(xml_bytes, strict=True):
    """The EN 16931 problems of a UBL Invoice or CreditNote, as a list of
    "RULE-ID: message" strings; [] when there is none."""
    if isinstance(xml_bytes, str):
        xml_bytes = xml_bytes.encode("utf-8")
    if b"<!DOCTYPE" in xml_bytes or b"<!ENTITY" in xml_bytes:
        return ["UBL: the document has a DOCTYPE"]
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError as e:
        return ["UBL: not well-formed XML: %s" % e]
    if root.tag not in ("{%s}Invoice" % NS_INVOICE, "{%s}CreditNote" % NS_CREDIT_NOTE):
        return ["UBL: the root element %s is neither a UBL 2.1 Invoice nor a CreditNote" %
                root.tag]
    d = _Doc(root, strict)
    _check_document(d)
    seller, buyer = _check_parties(d)
    _check_payment(d)
    lines = _check_lines(d)
    allowances = _doc_allowances(d)
    _check_totals(d, lines, allowances)
    _check_breakdown(d, lines, allowances, seller, buyer)
    return d.problems


def rule_ids(problems):
    """The set of rule ids in a list check() returned."""
    return {p.split(":", 1)[0] for p in problems}


def main(argv):
    strict = True
    files = []
    for a in argv[1:]:
        if a == "--lenient":
            strict = False
        else:
            files.append(a)
    if not files:
        sys.stderr.write("usage: ubl_rules.py [--lenient] FILE.xml ...\n")
        return 2
    bad = 0
    for f in files:
        with open(f, "rb") as fh:
            problems = check(fh.read(), strict=strict)
        print("%s: %s" % (f, "ok" if not problems else "%d problem(s)" % len(problems)))
        for p in problems:
            print("  " + p)
        bad += bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
