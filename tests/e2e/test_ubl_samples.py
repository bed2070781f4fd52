#!/usr/bin/env python3
"""test_ubl_samples — the UBL writer's sample invoices against the EN 16931
rules of ubl_rules.py, and ubl_rules.py against broken copies of them.

tests/tools/ubl-samples (a check program) writes the samples of
tests/unit/ubl_cases.c; every one must pass ubl_rules.check() with nothing
to report. Then copies with one thing broken — a total off by 0.01, a VAT
breakdown removed, the seller's country removed, ... — must be caught, with
the rule ids the CEN validation artefacts would give. No server is started.
"""

import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from decimal import Decimal

import harness
from harness import check, eq
import ubl_rules

TOOL = os.path.join(harness.BUILDDIR, "tests", "tools", "ubl-samples")
NS = ubl_rules.NS
CASES = ["eur-many-lines", "mixed-categories", "reverse-charge", "jpy", "bhd", "credit-note",
         "prepaid", "discount-fractional-rate", "exempt-and-reverse-charge"]

ET.register_namespace("cac", ubl_rules.NS_CAC)
ET.register_namespace("cbc", ubl_rules.NS_CBC)
ET.register_namespace("inv", ubl_rules.NS_INVOICE)
ET.register_namespace("cn", ubl_rules.NS_CREDIT_NOTE)


R120 = "PEPPOL-EN16931-R120"  # a line's net is its quantity x price

def setup():
    """Runs the tool once; returns {case: document bytes}."""
    check(os.access(TOOL, os.X_OK), "%s is missing: build it with make check" % TOOL)
    out = {}
    with tempfile.TemporaryDirectory(prefix="ubl-samples.") as tmp:
        p = subprocess.run([TOOL, tmp], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60 * harness.SLOW)
        eq(p.returncode, 0, "ubl-samples exit status (stderr: %s)" % p.stderr.decode())
        for line in p.stdout.decode().splitlines():
            name, path = line.split("\t")
            with open(path, "rb") as f:
                out[name] = f.read()
    return out


# ---------------------------------------------------------------------------
# Breaking a copy
# ---------------------------------------------------------------------------

def _tree(doc):
    return ET.fromstring(doc)


def _bytes(root):
    """The document again; the root's namespace gets a prefix (inv:, cn:),
    which changes nothing for a namespace-aware reader."""
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def edit(doc, path, fn):
    """A copy of doc with fn(element) applied to the first element at path
    (ElementTree path with the cac/cbc prefixes)."""
    root = _tree(doc)
    el = root.find(path, NS)
    check(el is not None, "no %s in the sample" % path)
    fn(el)
    return _bytes(root)


def bump(doc, path, by="0.01"):
    def fn(el):
        el.text = str(Decimal(el.text) + Decimal(by))
    return edit(doc, path, fn)


def remove(doc, parent_path, child_path):
    """A copy of doc without the first child_path under parent_path."""
    root = _tree(doc)
    parent = root if parent_path == "." else root.find(parent_path, NS)
    check(parent is not None, "no %s in the sample" % parent_path)
    child = parent.find(child_path, NS)
    check(child is not None, "no %s under %s in the sample" % (child_path, parent_path))
    parent.remove(child)
    return _bytes(root)


def remove_path(doc, path):
    """A copy of doc without the element at path ("a/b[2]")."""
    parent, _, child = path.rpartition("/")
    return remove(doc, parent or ".", child)


def subtotal_of(doc, category, percent=None):
    """The path of the VAT breakdown of category (and percent) in doc:
    "cac:TaxTotal/cac:TaxSubtotal[2]"."""
    root = _tree(doc)
    for i, st in enumerate(root.findall("cac:TaxTotal/cac:TaxSubtotal", NS), 1):
        if st.findtext("cac:TaxCategory/cbc:ID", None, NS) == category and (
                percent is None or st.findtext("cac:TaxCategory/cbc:Percent", None, NS) == percent):
            return "cac:TaxTotal/cac:TaxSubtotal[%d]" % i
    harness.fail("no VAT breakdown %s %s in the sample" % (category, percent or ""))


def expect_rules(doc, want, what, strict=True):
    problems = ubl_rules.check(doc, strict=strict)
    got = ubl_rules.rule_ids(problems)
    if got != set(want):
        harness.fail("%s: expected rules %s, got %s:\n  %s" % (
            what, sorted(want), sorted(got), "\n  ".join(problems)))


# ---------------------------------------------------------------------------
# The samples pass
# ---------------------------------------------------------------------------

def test_the_tool_writes_every_sample(samples):
    eq(sorted(samples), sorted(CASES), "samples written")
    for name, doc in samples.items():
        check(doc.startswith(b"<?xml"), "%s: an XML declaration" % name)
        check(b"\x00" not in doc, "%s: no NUL byte" % name)


def test_every_sample_keeps_the_rules(samples):
    for name in CASES:
        problems = ubl_rules.check(samples[name])
        check(problems == [], "%s: %s" % (name, "\n  ".join(problems)))
        problems = ubl_rules.check(samples[name], strict=False)
        check(problems == [], "%s (lenient): %s" % (name, "\n  ".join(problems)))


def test_samples_show_what_they_are_for(samples):
    root = _tree(samples["credit-note"])
    eq(root.tag, "{%s}CreditNote" % ubl_rules.NS_CREDIT_NOTE, "credit note root")
    eq(root.findtext("cbc:CreditNoteTypeCode", None, NS), "381", "credit note type code")
    eq(root.findtext("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", None, NS),
       "INV-2026-000042", "the invoice it corrects")
    root = _tree(samples["jpy"])
    eq(root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", None, NS), "23173",
       "yen without decimals")
    root = _tree(samples["bhd"])
    eq(root.findtext("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", None, NS), "24.43",
       "dinar in hundredths")
    root = _tree(samples["reverse-charge"])
    eq(root.findtext("cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode",
                     None, NS), "VATEX-EU-AE", "reverse charge code")
    root = _tree(samples["eur-many-lines"])
    eq(root.findtext("cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/"
                     "cbc:RegistrationName", None, NS),
       "Müller & Söhne Garantie <GmbH>", "escaped text comes back")


# ---------------------------------------------------------------------------
# Broken copies are caught
# ---------------------------------------------------------------------------

def test_totals_off_by_a_cent(samples):
    doc = samples["credit-note"]
    expect_rules(bump(doc, "cac:LegalMonetaryTotal/cbc:PayableAmount"), {"BR-CO-16"},
                 "amount due + 0.01")
    expect_rules(bump(doc, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"),
                 {"BR-CO-15", "BR-CO-16"}, "total with VAT + 0.01")
    expect_rules(bump(doc, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount"),
                 {"BR-CO-13", "BR-CO-15"}, "total without VAT + 0.01")
    expect_rules(bump(doc, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount"),
                 {"BR-CO-10", "BR-CO-13"}, "sum of lines + 0.01")
    expect_rules(bump(doc, "cac:TaxTotal/cbc:TaxAmount"), {"BR-CO-14", "BR-CO-15"},
                 "VAT total + 0.01")
    doc = samples["prepaid"]
    expect_rules(bump(doc, "cac:LegalMonetaryTotal/cbc:PrepaidAmount"), {"BR-CO-16"},
                 "amount paid + 0.01")


def test_a_line_off_by_a_cent(samples):
    """A line's net 0.01 off its quantity x price: the sums and the line."""
    doc = samples["mixed-categories"]
    expect_rules(bump(doc, "cac:InvoiceLine[3]/cbc:LineExtensionAmount"),
                 {"BR-CO-10", "BR-S-08", R120}, "an S 7 % line + 0.01")
    expect_rules(bump(doc, "cac:InvoiceLine[4]/cbc:LineExtensionAmount"),
                 {"BR-CO-10", "BR-Z-08", R120}, "the Z line + 0.01")
    expect_rules(bump(doc, "cac:InvoiceLine[5]/cbc:LineExtensionAmount"),
                 {"BR-CO-10", "BR-E-08", R120}, "the E line + 0.01")
    doc = samples["reverse-charge"]
    expect_rules(bump(doc, "cac:InvoiceLine[1]/cbc:LineExtensionAmount"),
                 {"BR-CO-10", "BR-AE-08", R120}, "an AE line + 0.01")
    # The price alone: every sum still holds, the line does not.
    expect_rules(bump(samples["mixed-categories"], "cac:InvoiceLine[1]/cac:Price/cbc:PriceAmount"),
                 {R120}, "a price + 0.01")


def test_a_group_off_by_a_cent(samples):
    doc = samples["mixed-categories"]
    expect_rules(bump(doc, subtotal_of(doc, "S", "7") + "/cbc:TaxAmount"),
                 {"BR-CO-14", "BR-CO-17", "BR-S-09"}, "S 7 % tax + 0.01")
    expect_rules(bump(doc, subtotal_of(doc, "S", "19") + "/cbc:TaxableAmount"),
                 {"BR-S-08"}, "S 19 % taxable + 0.01 (its tax rounds the same)")
    # CEN's BR-CO-17 lets a tax of 0.01 pass at 0 %; strict mode does not.
    expect_rules(bump(doc, subtotal_of(doc, "Z") + "/cbc:TaxAmount"),
                 {"BR-CO-14", "BR-CO-17", "BR-Z-09"}, "Z tax + 0.01")


def test_lenient_mode_allows_the_cen_tolerance(samples):
    """A group's tax 0.01 off, with the totals made to agree: strict mode
    says BR-CO-17 and BR-S-09; the CEN artefacts (lenient) accept it."""
    doc = samples["discount-fractional-rate"]
    for path in ("cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount", "cac:TaxTotal/cbc:TaxAmount",
                 "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
                 "cac:LegalMonetaryTotal/cbc:PayableAmount"):
        doc = bump(doc, path)
    expect_rules(doc, {"BR-CO-17", "BR-S-09"}, "tax 3.39 for 7.5 % of 45.00")
    expect_rules(doc, set(), "tax 3.39 for 7.5 % of 45.00 (lenient)", strict=False)


def test_a_tax_subtotal_removed(samples):
    doc = samples["mixed-categories"]
    expect_rules(remove_path(doc, subtotal_of(doc, "S", "7")), {"BR-CO-14", "BR-S-01"},
                 "the S 7 % breakdown removed")
    expect_rules(remove_path(doc, subtotal_of(doc, "Z")), {"BR-Z-01"},
                 "the Z breakdown removed")
    expect_rules(remove_path(doc, subtotal_of(doc, "E")), {"BR-E-01"},
                 "the E breakdown removed")
    doc = samples["reverse-charge"]
    expect_rules(remove_path(doc, subtotal_of(doc, "AE")), {"BR-AE-01", "BR-CO-18"},
                 "the only (AE) breakdown removed")


def test_seller_and_buyer_details_removed(samples):
    doc = samples["mixed-categories"]
    seller = "cac:AccountingSupplierParty/cac:Party"
    buyer = "cac:AccountingCustomerParty/cac:Party"
    expect_rules(remove(doc, seller + "/cac:PostalAddress", "cac:Country"), {"BR-09"},
                 "seller country removed")
    expect_rules(remove(doc, buyer + "/cac:PostalAddress", "cac:Country"), {"BR-11"},
                 "buyer country removed")
    expect_rules(remove(doc, seller, "cac:PostalAddress"), {"BR-08"},
                 "seller address removed")
    expect_rules(remove(doc, seller + "/cac:PartyLegalEntity", "cbc:RegistrationName"),
                 {"BR-06"}, "seller name removed")
    expect_rules(remove(doc, buyer + "/cac:PartyLegalEntity", "cbc:RegistrationName"),
                 {"BR-07"}, "buyer name removed")
    expect_rules(remove(doc, seller, "cac:PartyTaxScheme"), {"BR-S-02", "BR-Z-02", "BR-E-02"},
                 "seller VAT identifier removed")
    doc = samples["reverse-charge"]
    no_buyer_vat = remove(doc, buyer, "cac:PartyTaxScheme")
    expect_rules(no_buyer_vat, set(), "buyer VAT removed, legal id kept")
    expect_rules(remove(no_buyer_vat, buyer + "/cac:PartyLegalEntity", "cbc:CompanyID"),
                 {"BR-AE-02"}, "buyer VAT and legal id removed")
    expect_rules(edit(doc, buyer + "/cac:PartyTaxScheme/cbc:CompanyID",
                      lambda el: setattr(el, "text", "12345678")), {"BR-CO-09"},
                 "buyer VAT without country prefix")
    expect_rules(edit(doc, seller + "/cac:PostalAddress/cac:Country/cbc:IdentificationCode",
                      lambda el: setattr(el, "text", "XX")), {"BR-CL-14"},
                 "seller country XX")


def test_other_broken_details(samples):
    doc = samples["mixed-categories"]
    expect_rules(remove(doc, subtotal_of(doc, "E") + "/cac:TaxCategory",
                        "cbc:TaxExemptionReason"), {"BR-E-10"}, "exemption reason removed")
    expect_rules(edit(doc, "cac:InvoiceLine[1]/cac:Price/cbc:PriceAmount",
                      lambda el: setattr(el, "text", "-" + el.text)), {"BR-27", R120},
                 "negative price")
    expect_rules(edit(doc, "cac:InvoiceLine[4]/cac:Item/cac:ClassifiedTaxCategory/cbc:Percent",
                      lambda el: setattr(el, "text", "19")), {"BR-Z-05"},
                 "a Z line at 19 %")
    expect_rules(remove(doc, "cac:InvoiceLine[2]/cac:Item", "cbc:Name"), {"BR-25"},
                 "item name removed")
    expect_rules(remove(doc, "cac:PaymentMeans", "cac:PayeeFinancialAccount"), {"BR-61"},
                 "IBAN removed")
    expect_rules(remove(doc, ".", "cbc:CustomizationID"), {"BR-01"},
                 "CustomizationID removed")
    doc = samples["bhd"]
    expect_rules(edit(doc, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount",
                      lambda el: setattr(el, "text", el.text + "0")), {"BR-DEC-09"},
                 "three decimals in BHD")
    doc = samples["reverse-charge"]
    expect_rules(remove(doc, subtotal_of(doc, "AE") + "/cac:TaxCategory",
                        "cbc:TaxExemptionReasonCode"), set(), "AE reason code removed, text kept")
    doc = remove(doc, subtotal_of(doc, "AE") + "/cac:TaxCategory",
                 "cbc:TaxExemptionReasonCode")
    expect_rules(remove(doc, subtotal_of(doc, "AE") + "/cac:TaxCategory",
                        "cbc:TaxExemptionReason"), {"BR-AE-10"}, "AE reasons removed")
    doc = samples["credit-note"]
    expect_rules(remove(doc, "cac:BillingReference/cac:InvoiceDocumentReference", "cbc:ID"),
                 {"BR-55"}, "preceding invoice number removed")


def test_not_a_ubl_invoice():
    eq(ubl_rules.rule_ids(ubl_rules.check(b"<Invoice/>")), {"UBL"}, "no namespace")
    eq(ubl_rules.rule_ids(ubl_rules.check(b"<Invoice")), {"UBL"}, "not well-formed")
    eq(ubl_rules.rule_ids(ubl_rules.check(
        b'<!DOCTYPE x [<!ENTITY a "b">]><Invoice xmlns="%s"/>' % ubl_rules.NS_INVOICE.encode())),
        {"UBL"}, "a DOCTYPE")


if __name__ == "__main__":
    harness.main(globals())
