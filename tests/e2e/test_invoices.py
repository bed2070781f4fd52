#!/usr/bin/env python3
"""Invoices end to end: parts orders priced by the parts-pricelist plugin and
invoiced in the same transaction; EN 16931 totals with many small lines and
mixed tax categories in EUR, in JPY (no minor unit) and in BHD (three
decimals, issued in hundredths); credit notes that can never credit more
than the invoice carried; issued invoices that no API can change; and 32
concurrent clients whose invoice numbers form 1..N without gap or duplicate
although some of their transactions are rolled back by injected failures
(CONTRACTD_FAULTS=invoice-issue=5: every fifth invoice fails after its
number was taken and its rows written)."""
import hashlib
import os
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import NS, check, eq, expect_error, parse_xml, q  # noqa: E402
import dealer_docs as dd  # noqa: E402
from dealer_docs import text  # noqa: E402
import ubl_rules  # noqa: E402

D = "DLR-0042"
OTHER = "DLR-0107"
DATA = os.path.join(harness.SRCDIR, "tests", "data", "invoices")
PARTS = ("parts-pricelist", dd.PARTS_PLUGIN[1], {"pricelists": " ".join(
    os.path.join(DATA, f) for f in ("parts-eur.xml", "parts-jpy.xml", "parts-bhd.xml"))})
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
YEAR = dd.today().year


def setup():
    c = dd.start_server("invoices", dealers=(D, OTHER), seller=True, extra_plugins=[PARTS])
    c.srv.ctl("dealer", "set-billing", D, "--country", "DE", "--city", "Potsdam",
              "--vat-id", "DE811111111")
    c.finance = c.srv.create_key("finance")
    c.seq = 0
    return c


def nid(c, prefix="PO"):
    c.seq += 1
    return "%s-%05d" % (prefix, c.seq)


def order(doc_id, currency, items, dealer=D):
    return dd.parts_order(doc_id, dealer, items, currency)


def place(c, items, currency="EUR", what="a parts order"):
    r = dd.post(c.srv, c.keys[D], order(nid(c), currency, items))
    root = dd.expect_reply(r, "PartsOrderConfirmation", what)
    dd.expect_valid(r.body, "PartsOrderConfirmation", what)
    return root


def ubl(c, number, what, key=None):
    r = c.srv.request("GET", "/v1/invoices/" + number, key=key or c.keys[D])
    harness.expect_status(r, 200, what)
    eq(ubl_rules.check(r.body.encode("utf-8")), [], "%s: EN 16931 rule violations" % what)
    return parse_xml(r.body, what), r.body


def monetary(root):
    t = root.find(CAC + "LegalMonetaryTotal")
    return {k: t.find(CBC + k).text for k in ("LineExtensionAmount", "TaxExclusiveAmount",
                                              "TaxInclusiveAmount", "PayableAmount")}


def subtotals(root):
    """{category: (taxable, tax, percent)} of the VAT breakdown."""
    out = {}
    for st in root.find(CAC + "TaxTotal").findall(CAC + "TaxSubtotal"):
        cat = st.find(CAC + "TaxCategory")
        out[cat.find(CBC + "ID").text] = (st.find(CBC + "TaxableAmount").text,
                                          st.find(CBC + "TaxAmount").text,
                                          cat.find(CBC + "Percent").text)
    return out


def test_parts_order_invoice(c):
    root = place(c, [("BRAKE-KIT", "2"), ("PUMP-REMAN", "1"), ("BATTERY-70", "1")])
    kinds = [(text(ln, "Kind"), text(ln, "PartNumber"), text(ln, "Amount"))
             for ln in root.find(q("Lines")).findall(q("Line"))]
    eq(kinds, [("part", "BRAKE-KIT", "200.00"), ("part", "PUMP-REMAN", "120.00"),
               ("core-deposit", "PUMP-REMAN", "40.00"), ("part", "BATTERY-70", "95.50"),
               ("fee", "BATTERY-70", "7.50")], "the priced lines, dealer net")
    t = root.find(q("Totals"))
    # 463.00 net, 19 % of it is 87.97.
    eq((text(t, "Net"), text(t, "Tax"), text(t, "Total")), ("463.00", "87.97", "550.97"),
       "totals")
    number = text(root, "InvoiceNumber")
    check(number.startswith("INV-%d-" % YEAR), "numbered in the year's series: " + number)
    inv, body = ubl(c, number, "the parts invoice")
    eq(monetary(inv), {"LineExtensionAmount": "463.00", "TaxExclusiveAmount": "463.00",
                       "TaxInclusiveAmount": "550.97", "PayableAmount": "550.97"}, "UBL totals")
    check("DE811111111" in body and "DE123456789" in body, "buyer's and seller's VAT ids")
    r = c.srv.request("GET", "/v1/outbox?limit=1000", key=c.keys[D])
    check(number in r.body, "the invoice is in the dealer's outbox")
    c.parts_invoice = number


def test_many_small_lines_and_mixed_categories(c):
    items = [("WASHER-M6", "1")] * 300 + [("REFLECTOR", "1"), ("TRAINING", "1")]
    root = place(c, items, what="300 small lines")
    t = root.find(q("Totals"))
    # Tax per category total, not per line: 300 x 0.05 = 15.00 at 19 % is
    # 2.85 (per line it would be 300 x 0.01 = 3.00); Z and E carry none.
    eq((text(t, "Net"), text(t, "Tax"), text(t, "Total")), ("225.00", "2.85", "227.85"),
       "totals")
    inv, _ = ubl(c, text(root, "InvoiceNumber"), "the mixed invoice")
    eq(subtotals(inv), {"S": ("15.00", "2.85", "19"), "Z": ("10.00", "0.00", "0"),
                        "E": ("200.00", "0.00", "0")}, "the VAT breakdown")
    eq(len(inv.findall(CAC + "InvoiceLine")), 302, "every line")


def test_jpy_has_no_minor_unit(c):
    root = place(c, [("CLIP-JP", "1")] * 3 + [("FILTER-JP", "1")], currency="JPY",
                 what="a yen order")
    t = root.find(q("Totals"))
    # 3 x 105 + 1683 = 1998; 19 % = 379.62, rounded half-up to 380 yen.
    eq((text(t, "Net"), text(t, "Tax"), text(t, "Total")), ("1998", "380", "2378"), "totals")
    inv, _ = ubl(c, text(root, "InvoiceNumber"), "the yen invoice")
    eq(monetary(inv)["TaxInclusiveAmount"], "2378", "no decimals in UBL")
    eq(subtotals(inv)["S"], ("1998", "380", "19"), "breakdown")


def test_three_decimal_currency_in_hundredths(c):
    root = place(c, [("SEAL-BH", "1")], currency="BHD", what="a dinar order")
    t = root.find(q("Totals"))
    # The 1.235 line is invoiced as 1.240 (hundredths, half-up); 19 % of it
    # is 0.2356, 0.24 in hundredths.
    eq((text(t, "Net"), text(t, "Tax"), text(t, "Total")), ("1.240", "0.240", "1.480"),
       "totals in hundredths")
    inv, _ = ubl(c, text(root, "InvoiceNumber"), "the dinar invoice")
    eq(monetary(inv)["TaxInclusiveAmount"], "1.48", "two decimals in UBL (BR-DEC)")


def test_credit_notes_never_exceed(c):
    number = c.parts_invoice
    path = "/v1/invoices/%s/credit-notes" % number

    def credit(lines, key=None, reason="Damaged in transit"):
        body = '<CreditNoteRequest xmlns="%s"><Reason>%s</Reason>%s</CreditNoteRequest>' % (
            NS, reason, "".join('<Line><LineNumber>%d</LineNumber><Amount currency="EUR">%s'
                                '</Amount></Line>' % ln for ln in lines))
        return c.srv.request("POST", path, key=key or c.finance, body=body)

    expect_error(credit([(1, "50.00")], key=c.keys[D]), 403, None, "a dealer cannot credit")
    r = credit([(1, "50.00")])
    harness.expect_status(r, 201, "a partial credit")
    cn = parse_xml(r.body, "the credit note")
    eq(cn.tag, "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote", "UBL")
    eq(ubl_rules.check(r.body.encode("utf-8")), [], "EN 16931 rules of the credit note")
    ref = cn.find(CAC + "BillingReference").find(CAC + "InvoiceDocumentReference")
    eq(ref.find(CBC + "ID").text, number, "it references the invoice")
    eq(monetary(cn)["TaxInclusiveAmount"], "59.50", "50.00 + 19 %")
    first = cn.find(CBC + "ID").text
    check(first.startswith("CN-%d-" % YEAR), "the credit note series: " + first)
    # Line 1 carried 200.00: 150.00 are left, 160.00 is too much.
    r = credit([(1, "160.00")])
    expect_error(r, 422, "credit-refused", "a credit above what the line has left")
    check("150.00" in r.body, "the refusal says what is left: " + r.body)
    expect_error(credit([(9, "1.00")]), 422, "credit-refused", "no such line")
    expect_error(credit([(1, "0.00")]), 422, None, "a zero credit")
    # The rest, whole: 463.00 - 50.00 = 413.00.
    r = credit([])
    harness.expect_status(r, 201, "credit the rest")
    eq(monetary(parse_xml(r.body, "rest"))["TaxExclusiveAmount"], "413.00", "what was left")
    expect_error(credit([]), 422, "credit-refused", "nothing left to credit")
    expect_error(c.srv.request("POST", "/v1/invoices/%s/credit-notes" % first, key=c.finance,
                               body='<CreditNoteRequest xmlns="%s"><Reason>x</Reason>'
                               '</CreditNoteRequest>' % NS), 422, "credit-refused",
                 "a credit note is not credited")
    expect_error(c.srv.request("POST", "/v1/invoices/INV-1999-000001/credit-notes",
                               key=c.finance, body='<CreditNoteRequest xmlns="%s"><Reason>x'
                               '</Reason></CreditNoteRequest>' % NS), 404, "not-found",
                 "an unknown invoice")
    expect_error(c.srv.request("POST", path, key=c.finance, body="<CreditNoteRequest/>"), 400,
                 None, "a malformed request")
    out = c.srv.ctl("audit", "list", "--entity", "invoice", "--limit", "50").stdout
    check("invoice.credit" in out, "credit notes are audited: " + out[-600:])


def test_issued_invoices_cannot_change(c):
    number = c.parts_invoice
    before = c.srv.request("GET", "/v1/invoices/" + number, key=c.keys[D]).body
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        r = c.srv.request(method, "/v1/invoices/" + number, key=c.finance,
                          body='<Invoice xmlns="%s"/>' % NS)
        check(r.status in (404, 405), "%s on an invoice is refused, got %d" % (method, r.status))
    after = c.srv.request("GET", "/v1/invoices/" + number, key=c.keys[D]).body
    eq(after, before, "the invoice as issued, byte for byte")
    stored = c.srv.sql("SELECT ubl_sha256 FROM invoices WHERE number = '%s'" % number).split()[-1]
    eq(stored, hashlib.sha256(after.encode("utf-8")).hexdigest(), "the hash stored at issue")
    # The same order sent again gets the same invoice, not a second one.
    doc = order("PO-AGAIN", "EUR", [("BRAKE-KIT", "1")])
    first = dd.post(c.srv, c.keys[D], doc)
    again = dd.post(c.srv, c.keys[D], doc)
    eq(again.body, first.body, "replayed")
    eq(c.srv.sql("SELECT COUNT(*) FROM invoices WHERE source LIKE 'parts-order:%' AND "
                 "buyer_reference = 'REF-PO-AGAIN'").split()[-1], "1", "invoiced once")
    changed = order("PO-AGAIN", "EUR", [("BRAKE-KIT", "2")])
    dd.expect_rejected(dd.post(c.srv, c.keys[D], changed), "same id, other order",
                       "duplicate-document-id", status=409)


def test_contract_sale_and_cancellation_credit(c):
    # The washer of the example catalog's APPL-36 at 12 % of 899.00: 107.88
    # net, 20.50 tax, invoiced to the buyer and handed to the dealer.
    number, conf = dd.register(c.srv, c.keys[D], nid(c, "REG"), D,
                               asset=dd.asset_xml("WM-INV-1"))
    inv_number = text(conf, "InvoiceNumber")
    check(inv_number and inv_number.startswith("INV-"), "the confirmation names the invoice")
    inv, body = ubl(c, inv_number, "the sale invoice")
    eq(monetary(inv)["TaxInclusiveAmount"], "128.38", "107.88 + 20.50")
    check("Jana Becker" in body and number in body, "the buyer and the contract")
    # Cancelled 10 days later... today: the refund is a credit note that
    # references the sale invoice, for the refund net of tax.
    r = dd.post(c.srv, c.keys[D], dd.cancellation(nid(c, "CAN"), D, number))
    root = dd.expect_reply(r, "CancellationConfirmation", "the cancellation")
    dd.expect_valid(r.body, "CancellationConfirmation", "the cancellation")
    refund = text(root, "Refund", "RefundAmount")
    cn_number = text(root, "CreditNoteNumber")
    check(cn_number and cn_number.startswith("CN-"), "the confirmation names the credit note")
    cn, _ = ubl(c, cn_number, "the cancellation credit note")
    eq(monetary(cn)["TaxExclusiveAmount"], refund, "the credit note is the refund")
    ref = cn.find(CAC + "BillingReference").find(CAC + "InvoiceDocumentReference")
    eq(ref.find(CBC + "ID").text, inv_number, "it references the sale invoice")


def test_unknown_part_and_currency(c):
    r = dd.post(c.srv, c.keys[D], order(nid(c), "EUR", [("BRAKE-KIT", "1"), ("NOPE-1", "1")]))
    dd.expect_rejected(r, "an unknown part", "parts-pricing-refused", "/PartsOrder/Lines")
    check("NOPE-1" in r.body, "the refusal names the part: " + r.body[:600])
    dd.expect_rejected(dd.post(c.srv, c.keys[D], order(nid(c), "USD", [("BRAKE-KIT", "1")])),
                       "a currency without a price list", "parts-pricing-refused")


def test_numbers_gap_free_under_concurrency_and_rollbacks():
    """32 clients, 5 orders each, every fifth invoice failing after its
    number was taken: each failed order is sent again until it is accepted.
    The invoice numbers must then be exactly 1..160."""
    c = dd.start_server("invoices-gapfree", dealers=(D,), seller=True, extra_plugins=[PARTS],
                        workers=16, env={"CONTRACTD_FAULTS": "invoice-issue=5"})
    clients, per_client = 32, 5
    failures, errors = [], []
    lock = threading.Lock()

    def client(k):
        for i in range(per_client):
            doc = order("GF-%02d-%d" % (k, i), "EUR", [("BRAKE-KIT", "1")])
            for _ in range(20):
                try:
                    r = dd.post(c.srv, c.keys[D], doc, timeout=60)
                except Exception as e:  # noqa: BLE001
                    with lock:
                        errors.append(repr(e))
                    return
                if r.status == 200:
                    break
                with lock:
                    failures.append(r.status)
            else:
                with lock:
                    errors.append("order %d/%d never accepted" % (k, i))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    eq(errors, [], "every order was accepted in the end")
    check(failures and set(failures) == {503}, "injected failures answered 503: %s"
          % sorted(set(failures)))
    rows = c.srv.sql("SELECT series, seq FROM invoices ORDER BY series, seq").split("\n")[1:]
    seqs = [int(r.split()[1]) for r in rows if r.strip()]
    series = {r.split()[0] for r in rows if r.strip()}
    eq(series, {"INV-%d" % YEAR}, "one series")
    eq(seqs, list(range(1, clients * per_client + 1)),
       "numbers 1..%d, no gap, no duplicate (%d rolled back)"
       % (clients * per_client, len(failures)))
    eq(c.srv.sql("SELECT COUNT(*) FROM parts_orders").split()[-1], str(clients * per_client),
       "no order without its invoice")
    c.srv.healthy("after the concurrent run")


test_numbers_gap_free_under_concurrency_and_rollbacks.timeout = 900


def test_still_healthy(c):
    c.srv.healthy("after the invoice tests")
    eq(c.srv.ctl("audit", "verify").returncode, 0, "the chain verifies")
    log = c.srv.log_text()
    check("AddressSanitizer" not in log and "runtime error" not in log,
          "sanitizer report in the log:\n" + log[-2000:])


if __name__ == "__main__":
    harness.main(globals())
