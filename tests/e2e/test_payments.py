#!/usr/bin/env python3
"""Payments and aging end to end: parts invoices to a dealer (due in 30
days, and after a restart with other payment terms in 10), a contract sale
invoiced to a customer and a yen invoice; the aging report as of dates
before, on and after the due dates, every bucket edge; partial payments;
automatic allocation oldest due date first; over-payment whose unapplied
cash is applied later; payments received before the invoices they settle;
refunds of a credit note that can never exceed what it has open; currency
mismatches refused; payments, refunds and set-offs reversed; another dealer's data never visible; the CLI's report
equal to the API's byte for byte; and every amount reconciled to the cent
against the database."""
import csv
import io
import os
import re
import sys
from decimal import Decimal

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import NS, check, eq, expect_error, parse_xml  # noqa: E402
import dealer_docs as dd  # noqa: E402
from dealer_docs import text  # noqa: E402

D = "DLR-0042"
OTHER = "DLR-0107"
CUSTOMER = "Jana Becker"
DATA = os.path.join(harness.SRCDIR, "tests", "data", "invoices")
PARTS = ("parts-pricelist", dd.PARTS_PLUGIN[1], {"pricelists": " ".join(
    os.path.join(DATA, f) for f in ("parts-eur.xml", "parts-jpy.xml"))})
HEADER = ["dealer", "payer_type", "payer", "currency", "current", "days_1_30", "days_31_60",
          "days_61_90", "days_over_90", "total", "credits", "unapplied", "balance"]
AMOUNTS = HEADER[4:]
T = dd.today()


def day(n):
    return dd.days(n, T)


def setup():
    c = dd.start_server("payments", dealers=(D, OTHER), seller=True, extra_plugins=[PARTS],
                        extra_sections={"invoices": {"payment_days": "30"}})
    c.srv.ctl("dealer", "set-billing", D, "--country", "DE", "--city", "Potsdam",
              "--vat-id", "DE811111111")
    c.finance = c.srv.create_key("finance")
    c.seq = 0
    c.inv = {}
    c.pay = {}
    return c


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def nid(c, prefix="PO"):
    c.seq += 1
    return "%s-%05d" % (prefix, c.seq)


def order(c, dealer, items, currency="EUR"):
    """A parts order that is invoiced to dealer; returns the invoice number."""
    doc_id = nid(c)
    root = dd.expect_reply(dd.post(c.srv, c.keys[dealer], dd.parts_order(doc_id, dealer, items,
                                                                         currency)),
                           "PartsOrderConfirmation", "parts order " + doc_id)
    number = text(root, "InvoiceNumber")
    check(number, "the order was invoiced")
    return number


def post_payment(c, *args, key=None, headers=None, **kw):
    return c.srv.request("POST", "/v1/payments", key=key or c.finance,
                         body=dd.payment_xml(*args, **kw), headers=headers)


def receipt(resp, what, status=201):
    """The PaymentReceipt as a dict; checks status and schema."""
    dd.expect_valid(resp.body, "PaymentReceipt", what)
    return dd.payment_receipt(resp, what, status)


def pay(c, *args, what="a payment", **kw):
    return receipt(post_payment(c, *args, **kw), what)


def aging_raw(c, as_of=None, key=None, dealer=None):
    qs = []
    if as_of:
        qs.append("as_of=" + as_of)
    if dealer:
        qs.append("dealer=" + dealer)
    return c.srv.request("GET", "/v1/reports/aging.csv" + ("?" + "&".join(qs) if qs else ""),
                         key=key or c.finance)


def aging(c, as_of=None, key=None, dealer=None):
    """The aging report's rows as dicts (checked: status, type, header)."""
    r = aging_raw(c, as_of, key, dealer)
    harness.expect_status(r, 200, "aging as of %s" % as_of)
    ctype = r.headers.get("content-type", "")
    check(ctype.startswith("text/csv"), "Content-Type %r is not text/csv" % ctype)
    check(r.body.endswith("\r\n"), "CSV lines end in CRLF")
    rows = list(csv.reader(io.StringIO(r.body, newline="")))
    eq(rows[0], HEADER, "the CSV header")
    out = [dict(zip(HEADER, row)) for row in rows[1:]]
    for row in out:
        check_row(row, "aging as of %s" % as_of)
    return out


def check_row(row, what):
    """Every amount has exactly the currency's decimals, the buckets add up
    to the total, and total - credits - unapplied is the balance."""
    decimals = {"EUR": 2, "JPY": 0}[row["currency"]]
    rx = re.compile(r"^-?\d+\.\d{%d}$" % decimals if decimals else r"^-?\d+$")
    for k in AMOUNTS:
        check(rx.match(row[k]), "%s: %s %r is not an amount with %d decimals"
              % (what, k, row[k], decimals))
    b = sum(Decimal(row[k]) for k in AMOUNTS[:5])
    eq(b, Decimal(row["total"]), "%s: the buckets add up to the total (%s)" % (what, row))
    eq(Decimal(row["total"]) - Decimal(row["credits"]) - Decimal(row["unapplied"]),
       Decimal(row["balance"]), "%s: balance (%s)" % (what, row))


def find(rows, dealer, payer, currency="EUR", kind=None):
    kind = kind or ("dealer" if payer == dealer else "customer")
    m = [r for r in rows if (r["dealer"], r["payer_type"], r["payer"], r["currency"]) ==
         (dealer, kind, payer, currency)]
    check(len(m) <= 1, "one row per dealer, payer and currency: %s" % m)
    return m[0] if m else None


def expect_row(rows, what, dealer, payer, currency="EUR", **amounts):
    """The row's amounts: those given, every other one zero."""
    row = find(rows, dealer, payer, currency)
    check(row is not None, "%s: no row for %s/%s/%s in %s" % (what, dealer, payer, currency,
                                                              rows))
    zero = "0.00" if currency == "EUR" else "0"
    want = {k: zero for k in AMOUNTS}
    want.update(amounts)
    got = {k: row[k] for k in AMOUNTS}
    eq(got, want, "%s: %s/%s/%s" % (what, dealer, payer, currency))


# ---------------------------------------------------------------------------
# The invoices
# ---------------------------------------------------------------------------

def test_invoices_to_age(c):
    # Net 30: 119.00 (100.00 + 19 %) and 200.00 (exempt) to the dealer,
    # 10.00 (zero rated) to the other dealer, a contract sale of 128.38 to a
    # customer through the dealer, and 2 378 yen.
    c.inv["A1"] = order(c, D, [("BRAKE-KIT", "1")])
    c.inv["A2"] = order(c, D, [("TRAINING", "1")])
    c.inv["O1"] = order(c, OTHER, [("REFLECTOR", "1")])
    c.inv["J1"] = order(c, D, [("CLIP-JP", "1")] * 3 + [("FILTER-JP", "1")], currency="JPY")
    _, conf = dd.register(c.srv, c.keys[D], nid(c, "REG"), D, asset=dd.asset_xml("WM-PAY-1"))
    c.inv["S1"] = text(conf, "InvoiceNumber")
    # Net 10 from now on: 238.00, issued after A1 and A2 but due before.
    c.srv.extra_sections["invoices"] = {"payment_days": "10"}
    c.srv.write_config()
    c.srv.restart()
    c.inv["B1"] = order(c, D, [("BRAKE-KIT", "2")])
    dues = dict(line.split("\t") for line in c.srv.sql(
        "SELECT number, due_date FROM invoices").strip().splitlines()[1:])
    for k, n in (("A1", 30), ("A2", 30), ("O1", 30), ("J1", 30), ("S1", 30), ("B1", 10)):
        eq(dues[c.inv[k]], day(n), "%s is due in %d days" % (k, n))


def test_aging_before_on_and_after_due_dates(c):
    check(aging_raw(c, day(-1)).body.count("\r\n") == 1, "as of yesterday: nothing issued yet")
    # (days from today, current, 1-30, 31-60, 61-90, over 90) for the
    # dealer's EUR invoices: A1 + A2 = 319.00 due in 30 days, B1 238.00 in 10.
    cases = [
        (0, "557.00", "0.00", "0.00", "0.00", "0.00"),
        (10, "557.00", "0.00", "0.00", "0.00", "0.00"),      # B1's due date: still current
        (11, "319.00", "238.00", "0.00", "0.00", "0.00"),    # B1 1 day past due
        (30, "319.00", "238.00", "0.00", "0.00", "0.00"),    # A's due date
        (31, "0.00", "557.00", "0.00", "0.00", "0.00"),      # A 1 day, B1 21 days
        (40, "0.00", "557.00", "0.00", "0.00", "0.00"),      # B1 30 days: still 1-30
        (41, "0.00", "319.00", "238.00", "0.00", "0.00"),    # B1 31 days
        (60, "0.00", "319.00", "238.00", "0.00", "0.00"),    # A 30, B1 50
        (61, "0.00", "0.00", "557.00", "0.00", "0.00"),      # A 31, B1 51
        (71, "0.00", "0.00", "319.00", "238.00", "0.00"),    # B1 61
        (100, "0.00", "0.00", "0.00", "557.00", "0.00"),     # A 70, B1 90
        (101, "0.00", "0.00", "0.00", "319.00", "238.00"),   # B1 91
        (120, "0.00", "0.00", "0.00", "319.00", "238.00"),   # A 90
        (121, "0.00", "0.00", "0.00", "0.00", "557.00"),     # A 91
        (3650, "0.00", "0.00", "0.00", "0.00", "557.00"),
    ]
    for n, cur, b1, b2, b3, b4 in cases:
        rows = aging(c, day(n))
        expect_row(rows, "as of today+%d" % n, D, D, current=cur, days_1_30=b1,
                   days_31_60=b2, days_61_90=b3, days_over_90=b4, total="557.00",
                   balance="557.00")
    rows = aging(c, day(0))
    expect_row(rows, "the customer", D, CUSTOMER, current="128.38", total="128.38",
               balance="128.38")
    expect_row(rows, "yen", D, D, "JPY", current="2378", total="2378", balance="2378")
    expect_row(rows, "the other dealer", OTHER, OTHER, current="10.00", total="10.00",
               balance="10.00")
    eq(len(rows), 4, "one row per dealer, payer and currency")
    eq(aging(c), rows, "as_of defaults to today")
    expect_error(aging_raw(c, "2026-02-30"), 400, "invalid-query", "an impossible date")
    expect_error(aging_raw(c, "yesterday"), 400, "invalid-query", "not a date")


def test_partial_payment(c):
    expect_error(post_payment(c, ("dealer", D), day(0), "100.00", "SEPA-0001",
                              allocs=[(c.inv["A1"], "60.00"), (c.inv["A2"], "40.01")]), 422,
                 "over-payment-amount", "allocations a cent above the payment")
    expect_error(post_payment(c, ("dealer", D), day(0), "200.00", "SEPA-0001",
                              allocs=[(c.inv["A1"], "119.01")]), 422, "over-allocation",
                 "a cent above the invoice")
    expect_error(post_payment(c, ("dealer", D), day(0), "100.00", "SEPA-0001",
                              allocs=[("INV-1999-000001", "1.00")]), 422, "invoice-not-found",
                 "no such invoice")
    r = pay(c, ("dealer", D), day(0), "100.00", "SEPA-0001", allocs=[(c.inv["A1"], "100.00")])
    eq(r["allocs"], [(c.inv["A1"], "invoice", "100.00", day(0), "19.00")], "A1, 19.00 left")
    eq((r["amount"], r["allocated"], r["unapplied"], r["direction"]),
       ("100.00", "100.00", "0.00", "received"), "the receipt")
    c.pay["partial"] = r["id"]
    rows = aging(c, day(0))
    expect_row(rows, "after a partial payment", D, D, current="457.00", total="457.00",
               balance="457.00")
    check(find(aging(c, day(-1)), D, D) is None, "as of yesterday the payment had not come")
    got = receipt(c.srv.request("GET", "/v1/payments/" + r["id"], key=c.finance),
                  "the payment read back", 200)
    eq(got, r, "read back as recorded")
    out = c.srv.ctl("audit", "list", "--entity", "payment", "--id", r["id"]).stdout
    check("payment.record" in out and "SEPA-0001" in out, "audited: " + out[-600:])


def test_payment_before_its_invoices_is_unapplied(c):
    # 50.00 arrived yesterday, before any invoice existed, kept on account.
    r = pay(c, ("dealer", D), day(-1), "50.00", "SEPA-0000", auto=False)
    eq((r["allocs"], r["allocated"], r["unapplied"]), ([], "0.00", "50.00"), "all unapplied")
    c.pay["early"] = r["id"]
    expect_row(aging(c, day(-1)), "as of yesterday", D, D, unapplied="50.00",
               balance="-50.00")
    expect_row(aging(c, day(0)), "today", D, D, current="457.00", total="457.00",
               unapplied="50.00", balance="407.00")


def test_automatic_allocation_oldest_due_first(c):
    r = pay(c, ("dealer", D), day(0), "300.00", "SEPA-0002")
    eq(r["allocs"], [(c.inv["B1"], "invoice", "238.00", day(0), "0.00"),
                     (c.inv["A1"], "invoice", "19.00", day(0), "0.00"),
                     (c.inv["A2"], "invoice", "43.00", day(0), "157.00")],
       "B1 (due first) in full, then A1's rest, then part of A2")
    eq((r["allocated"], r["unapplied"]), ("300.00", "0.00"), "nothing left over")
    expect_row(aging(c, day(31)), "a month later", D, D, days_1_30="157.00", total="157.00",
               unapplied="50.00", balance="107.00")
    # As of a date before these payments the invoices were open.
    expect_row(aging(c, day(-1)), "as of yesterday", D, D, unapplied="50.00",
               balance="-50.00")


def test_over_payment_unapplied_then_applied(c):
    r = pay(c, ("dealer", D), day(0), "200.00", "SEPA-0003")
    eq(r["allocs"], [(c.inv["A2"], "invoice", "157.00", day(0), "0.00")], "A2 settled")
    eq((r["allocated"], r["unapplied"]), ("157.00", "43.00"), "43.00 over")
    c.pay["over"] = r["id"]
    expect_row(aging(c, day(0)), "everything paid", D, D, unapplied="93.00",
               balance="-93.00")
    path = "/v1/payments/%s/allocations" % r["id"]
    empty = '<PaymentApplication xmlns="%s"/>' % NS
    expect_error(c.srv.request("POST", path, key=c.finance, body=empty), 422,
                 "nothing-to-apply", "no open invoice to apply to")
    # A new invoice: the unapplied cash settles it.
    c.inv["A3"] = order(c, D, [("REFLECTOR", "1")])
    got = receipt(c.srv.request("POST", path, key=c.finance, body=empty), "apply", 200)
    eq(got["allocs"], [(c.inv["A2"], "invoice", "157.00", day(0), "0.00"),
                       (c.inv["A3"], "invoice", "10.00", day(0), "0.00")], "applied to A3")
    eq((got["allocated"], got["unapplied"]), ("167.00", "33.00"), "33.00 still unapplied")
    c.inv["A4"] = order(c, D, [("REFLECTOR", "1")])
    # Explicitly: more than A4 has open, more than is unapplied, a paid invoice.
    def apply(allocs, key=None):
        return c.srv.request("POST", path, key=key or c.finance,
                             body=dd.application_xml(allocs))
    expect_error(apply([(c.inv["A4"], "10.01")]), 422, "over-allocation", "over A4's open")
    expect_error(apply([(c.inv["A1"], "1.00")]), 422, "over-allocation", "a paid invoice")
    expect_error(apply([(c.inv["A4"], "5.00")], key=c.keys[D]), 403, None, "a dealer")
    # The early payment (received yesterday) settles A4 today: as of
    # yesterday it is still unapplied.
    early = "/v1/payments/%s/allocations" % c.pay["early"]
    body = dd.application_xml([(c.inv["A4"], "10.00")])
    expect_error(c.srv.request("POST", early, key=c.finance, body=body.replace(
        "10.00", "60.00")), 422, "over-allocation", "more than A4 has open")
    got = receipt(c.srv.request("POST", early, key=c.finance, body=body), "apply early", 200)
    eq(got["allocs"], [(c.inv["A4"], "invoice", "10.00", day(0), "0.00")], "A4 settled")
    eq(got["unapplied"], "40.00", "40.00 left")
    expect_row(aging(c, day(-1)), "as of yesterday", D, D, unapplied="50.00",
               balance="-50.00")
    expect_row(aging(c, day(0)), "today", D, D, unapplied="73.00", balance="-73.00")
    out = c.srv.ctl("audit", "list", "--entity", "payment", "--limit", "20").stdout
    check("payment.apply" in out, "applications are audited: " + out[-600:])


def test_currency_mismatch_refused(c):
    before = c.srv.sql("SELECT COUNT(*) FROM payments").split()[-1]
    r = post_payment(c, ("dealer", D), day(0), "23.78", "SEPA-X1",
                     allocs=[(c.inv["J1"], "23.78")])
    expect_error(r, 422, "currency-mismatch", "a EUR payment on a yen invoice")
    check("JPY" in r.body and "EUR" in r.body, "the refusal names both: " + r.body)
    r = post_payment(c, ("dealer", D), day(0), "23.78", "SEPA-X2",
                     allocs=[(c.inv["A4"], "100", "JPY")])
    expect_error(r, 422, "currency-mismatch", "an allocation in another currency")
    expect_error(post_payment(c, ("dealer", D), day(0), "10.001", "SEPA-X3"), 422,
                 "amount-precision", "three decimals in euros")
    expect_error(post_payment(c, ("dealer", D), day(0), "1.5", "SEPA-X4", currency="JPY"),
                 422, "amount-precision", "decimals in yen")
    eq(c.srv.sql("SELECT COUNT(*) FROM payments").split()[-1], before, "nothing recorded")
    r = pay(c, ("dealer", D), day(0), "2378", "JP-0001", currency="JPY",
            allocs=[(c.inv["J1"], "2378")])
    eq(r["allocs"], [(c.inv["J1"], "invoice", "2378", day(0), "0")], "yen, no decimals")
    check(find(aging(c, day(0)), D, D, "JPY") is None, "the yen invoice is paid")


def test_refund_of_credit_note(c):
    # A1 is paid; crediting it in full means 119.00 is owed back.
    r = c.srv.request("POST", "/v1/invoices/%s/credit-notes" % c.inv["A1"], key=c.finance,
                      body='<CreditNoteRequest xmlns="%s"><Reason>Returned unused</Reason>'
                      '</CreditNoteRequest>' % NS)
    harness.expect_status(r, 201, "the credit note")
    cn = parse_xml(r.body).find("{urn:oasis:names:specification:ubl:schema:xsd:"
                                "CommonBasicComponents-2}ID").text
    c.inv["CN1"] = cn
    expect_row(aging(c, day(0)), "with the credit note", D, D, credits="119.00",
               unapplied="73.00", balance="-192.00")
    path = "/v1/invoices/%s/refunds" % cn

    def refund(amount, ref, currency="EUR", date=None, key=None, number=None):
        body = dd.refund_xml(date or day(0), amount, ref, currency)
        return c.srv.request("POST", "/v1/invoices/%s/refunds" % (number or cn),
                             key=key or c.finance, body=body)
    expect_error(refund("100.00", "OUT-1", key=c.keys[D]), 403, None, "a dealer")
    expect_error(refund("100", "OUT-1", currency="JPY"), 422, "currency-mismatch", "yen")
    expect_error(refund("119.01", "OUT-1"), 422, "over-allocation", "a cent too much")
    expect_error(refund("10.00", "OUT-1", number=c.inv["A2"]), 422, "not-a-credit-note",
                 "an invoice is not refunded")
    expect_error(refund("10.00", "OUT-1", number="CN-1999-000001"), 404, "not-found",
                 "no such credit note")
    expect_error(refund("10.00", "OUT-1", date=day(1)), 422, "invalid-payment",
                 "paid out tomorrow")
    expect_error(refund("10.00", "OUT-1", date=day(-1)), 422, "invalid-payment",
                 "paid out the day before the credit note was issued")
    r = receipt(refund("100.00", "OUT-1"), "a partial refund")
    eq((r["direction"], r["dealer"], r["allocs"], r["unapplied"]),
       ("refund", D, [(cn, "credit-note", "100.00", day(0), "19.00")], "0.00"),
       "100.00 refunded, 19.00 still owed")
    expect_error(refund("19.00", "OUT-1"), 409, "duplicate-reference", "the same reference")
    expect_error(refund("19.01", "OUT-2"), 422, "over-allocation", "more than is left")
    r = receipt(refund("19.00", "OUT-2"), "the rest")
    eq(r["allocs"][0][4], "0.00", "nothing owed any more")
    expect_row(aging(c, day(0)), "refunded", D, D, unapplied="73.00", balance="-73.00")
    expect_row(aging(c, day(-1)), "as of yesterday", D, D, unapplied="50.00",
               balance="-50.00")
    # Money received is never allocated to a credit note.
    expect_error(post_payment(c, ("dealer", D), day(0), "1.00", "SEPA-X5",
                              allocs=[(cn, "1.00")]), 422, "not-an-invoice",
                 "a payment on a credit note")


def test_customer_pays(c):
    r = pay(c, ("customer", CUSTOMER), day(0), "200.00", "CARD-7781", method="card")
    eq(r["allocs"], [(c.inv["S1"], "invoice", "128.38", day(0), "0.00")], "the sale invoice")
    eq((r["unapplied"], r["customer"], r["dealer"]), ("71.62", CUSTOMER, D),
       "71.62 over; the dealer of its invoices")
    c.pay["customer"] = r["id"]
    expect_row(aging(c, day(0)), "the customer", D, CUSTOMER, unapplied="71.62",
               balance="-71.62")
    expect_error(post_payment(c, ("customer", "Tobias Wirth"), day(0), "1.00", "CARD-1",
                              allocs=[(c.inv["S1"], "1.00")]), 422, "not-the-payers-invoice",
                 "someone else's invoice")


def test_other_dealers_data_never_visible(c):
    mine = aging_raw(c, day(0), key=c.keys[OTHER])
    rows = aging(c, day(0), key=c.keys[OTHER])
    eq([(r["dealer"], r["payer"]) for r in rows], [(OTHER, OTHER)], "only its own row")
    expect_row(rows, "the other dealer", OTHER, OTHER, current="10.00", total="10.00",
               balance="10.00")
    for s in (D, CUSTOMER, "SEPA", "557"):
        check(s not in mine.body, "%r leaked to the other dealer: %s" % (s, mine.body))
    expect_error(aging_raw(c, day(0), key=c.keys[OTHER], dealer=D), 404, "not-found",
                 "asking for another dealer's aging")
    rows = aging(c, day(0), key=c.keys[D])
    check(rows and all(r["dealer"] == D for r in rows), "the dealer sees its own rows")
    check(OTHER not in aging_raw(c, day(0), key=c.keys[D]).body, "and nothing of the other")
    eq(aging(c, day(0), key=c.keys[D], dealer=D), rows, "its own, named")
    eq([r for r in aging(c, day(0), dealer=D)], rows, "finance, for the dealer")
    expect_error(aging_raw(c, day(0), dealer="DLR-NOPE"), 404, "not-found", "an unknown dealer")
    harness.expect_status(aging_raw(c, day(0), key=c.srv.admin_key), 200, "admin reads aging")
    for pid in (c.pay["partial"], c.pay["customer"]):
        expect_error(c.srv.request("GET", "/v1/payments/" + pid, key=c.keys[OTHER]), 404,
                     "not-found", "another dealer's payment")
        harness.expect_status(c.srv.request("GET", "/v1/payments/" + pid, key=c.keys[D]), 200,
                              "the dealer's own payment")
    expect_error(c.srv.request("GET", "/v1/payments/999999", key=c.finance), 404, "not-found",
                 "no such payment")
    expect_error(post_payment(c, ("dealer", D), day(0), "1.00", "SEPA-X6", key=c.keys[D]),
                 403, None, "a dealer records no payment")
    expect_error(post_payment(c, ("dealer", D), day(0), "10.00", "SEPA-X7",
                              allocs=[(c.inv["O1"], "10.00")]), 422, "not-the-payers-invoice",
                 "another dealer's invoice")
    expect_error(post_payment(c, ("dealer", "DLR-NOPE"), day(0), "10.00", "SEPA-X8"), 422,
                 "unknown-dealer", "an unknown dealer")


def test_duplicates_and_idempotency(c):
    expect_error(post_payment(c, ("dealer", D), day(0), "5.00", "SEPA-0001"), 409,
                 "duplicate-reference", "a bank line recorded twice")
    hdr = {"Idempotency-Key": "pay-once-1"}
    first = post_payment(c, ("dealer", OTHER), day(0), "4.00", "OT-0001", headers=hdr)
    again = post_payment(c, ("dealer", OTHER), day(0), "4.00", "OT-0001", headers=hdr)
    eq((again.status, again.body), (first.status, first.body), "the same answer, replayed")
    eq(c.srv.sql("SELECT COUNT(*) FROM payments WHERE reference = 'OT-0001'").split()[-1], "1",
       "recorded once")
    expect_error(post_payment(c, ("dealer", OTHER), day(0), "4.01", "OT-0001", headers=hdr),
                 422, "idempotency-key-reused", "the key with another payment")
    expect_error(c.srv.request("POST", "/v1/payments", key=c.finance,
                               body="<Payment xmlns='%s'/>" % NS), 400, None, "invalid")
    expect_error(c.srv.request("POST", "/v1/payments", key=c.finance,
                               body='<!DOCTYPE x [<!ENTITY a "b">]><Payment/>'), 400, None,
                 "a DOCTYPE")
    expect_error(post_payment(c, ("dealer", D), day(1), "5.00", "SEPA-X9"), 422,
                 "invalid-payment", "received tomorrow")


def test_every_amount_reconciles(c):
    """Against the database: what the rows say is owed is what invoices,
    credit notes, payments and allocations add up to, to the cent."""
    def sql_sum(query):
        v = c.srv.sql(query).split("\n")[1].strip()
        return Decimal(v if v not in ("", "NULL") else "0") / 100
    for n in (-1, 0, 11, 45, 200):
        as_of = day(n)
        rows = [r for r in aging(c, as_of) if r["currency"] == "EUR"]
        owed = sum(Decimal(r["total"]) - Decimal(r["credits"]) for r in rows)
        unapplied = sum(Decimal(r["unapplied"]) for r in rows)
        db_owed = sql_sum(
            "SELECT SUM(IF(type = 'invoice', 1, -1) * (payable - COALESCE((SELECT SUM(a.amount) "
            "FROM payment_allocations a WHERE a.invoice_id = i.id AND a.applied_on <= '%s'), 0)))"
            " FROM invoices i WHERE currency = 'EUR' AND issue_date <= '%s'" % (as_of, as_of))
        db_unapplied = sql_sum(
            "SELECT SUM(amount - COALESCE((SELECT SUM(a.amount) FROM payment_allocations a "
            "WHERE a.payment_id = p.id AND a.applied_on <= '%s'), 0)) FROM payments p WHERE "
            "direction = 'received' AND currency = 'EUR' AND received_date <= '%s'"
            % (as_of, as_of))
        eq(owed, db_owed, "as of %s: open invoices less open credits" % as_of)
        eq(unapplied, db_unapplied, "as of %s: unapplied cash" % as_of)
    # Every payment: amount = allocated + unapplied; no invoice over-allocated.
    bad = c.srv.sql("SELECT i.number FROM invoices i JOIN payment_allocations a ON "
                    "a.invoice_id = i.id GROUP BY i.id HAVING SUM(a.amount) > MAX(i.payable)")
    eq(bad.strip(), "", "no document is allocated more than its payable amount")
    bad = c.srv.sql("SELECT p.id FROM payments p JOIN payment_allocations a ON "
                    "a.payment_id = p.id GROUP BY p.id HAVING SUM(a.amount) > MAX(p.amount)")
    eq(bad.strip(), "", "no payment is allocated more than its amount")


def test_cli(c):
    api = aging_raw(c, day(45)).body
    cli = c.srv.ctl("report", "aging", "--as-of", day(45), "--format", "csv").stdout
    # (ctl reads text: its CRLF line ends arrive as LF.)
    eq(cli, api.replace("\r\n", "\n"), "contractctl report aging --format csv is the API's CSV")
    table = c.srv.ctl("report", "aging", "--as-of", day(45)).stdout
    check("\033[" not in table, "no colour when not on a terminal")
    lines = table.splitlines()
    check(lines[0] == "Aging as of %s" % day(45), "a title: %r" % lines[0])
    head = [ln for ln in lines if ln.startswith("DEALER")]
    check(head and "CURRENT" in head[0] and "OVER 90" in head[0] and "BALANCE" in head[0],
          "the table's header: " + table)
    rows = [ln for ln in lines if ln.startswith(D + " ")]
    check(rows, "the dealer's rows: " + table)
    ends = {len(ln) for ln in rows}
    eq(len(ends), 1, "rows right-aligned to one width:\n" + table)
    # Record, list and show from the command line.
    out = c.srv.ctl("payment", "record", "--dealer", OTHER, "--amount", "6.00", "--currency",
                    "EUR", "--reference", "CLI-0001", "--allocate", "%s=6.00" % c.inv["O1"]).stdout
    check("allocated 6.00 EUR, unapplied 0.00 EUR" in out and c.inv["O1"] in out,
          "the receipt: " + out)
    r = c.srv.ctl("payment", "record", "--dealer", OTHER, "--amount", "6.00", "--currency",
                  "EUR", "--reference", "CLI-0001", check_rc=False)
    check(r.returncode != 0 and "duplicate-reference" in r.stderr, "refused: " + r.stderr)
    r = c.srv.ctl("payment", "record", "--dealer", OTHER, "--amount", "1.00", "--currency",
                  "EUR", "--reference", "CLI-0002", "--allocate", "%s=1.00" % c.inv["J1"],
                  check_rc=False)
    check(r.returncode != 0 and "currency-mismatch" in r.stderr, "refused: " + r.stderr)
    listing = c.srv.ctl("payment", "list", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(listing, newline="")))
    eq(rows[0][:3], ["ID", "DIRECTION", "DATE"], "the list's header")
    refs = {r[5] for r in rows[1:]}
    for ref in ("SEPA-0000", "SEPA-0001", "SEPA-0002", "SEPA-0003", "JP-0001", "OUT-1",
                "OUT-2", "CARD-7781", "OT-0001", "CLI-0001"):
        check(ref in refs, "%s is listed: %s" % (ref, sorted(refs)))
    eq(len(rows) - 1, 10, "every payment once")
    show = c.srv.ctl("payment", "show", c.pay["over"]).stdout
    check(c.inv["A2"] in show and c.inv["A3"] in show and "unapplied 33.00 EUR" in show,
          "payment show: " + show)
    only = c.srv.ctl("payment", "list", "--dealer", OTHER).stdout
    check("CLI-0001" in only and "SEPA-0001" not in only, "--dealer filters: " + only)
    check(find(aging(c, day(0)), OTHER, OTHER) is None,
          "10.00 - 4.00 - 6.00: the other dealer owes nothing")


def test_concurrent_payments_never_over_allocate(c):
    """16 payments of 3.00 at once against one 10.00 invoice: exactly
    10.00 is allocated, the other 38.00 stays unapplied."""
    import threading
    number = order(c, OTHER, [("REFLECTOR", "1")])
    results = []

    def one(i):
        r = post_payment(c, ("dealer", OTHER), day(0), "3.00", "RACE-%02d" % i)
        results.append(r)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    receipts = [receipt(r, "a concurrent payment") for r in results]
    allocated = sum(Decimal(a[2]) for r in receipts for a in r["allocs"] if a[0] == number)
    eq(allocated, Decimal("10.00"), "the invoice is allocated exactly its amount")
    eq(sum(Decimal(r["unapplied"]) for r in receipts), Decimal("38.00"), "the rest unapplied")
    expect_row(aging(c, day(0)), "after the race", OTHER, OTHER, unapplied="38.00",
               balance="-38.00")


test_concurrent_payments_never_over_allocate.timeout = 300


def set_off_xml(amount, ref, allocs=(), date=None, currency="EUR"):
    return dd.set_off_xml(date or day(0), amount, ref, allocs, currency)


def credit_in_full(c, number):
    r = c.srv.request("POST", "/v1/invoices/%s/credit-notes" % number, key=c.finance,
                      body='<CreditNoteRequest xmlns="%s"><Reason>Wrong parts</Reason>'
                      '</CreditNoteRequest>' % NS)
    harness.expect_status(r, 201, "the credit note of %s" % number)
    return parse_xml(r.body).find("{urn:oasis:names:specification:ubl:schema:xsd:"
                                  "CommonBasicComponents-2}ID").text


def test_set_off_of_credit_note(c):
    """A credit note pays its buyer's open invoice: no money moves, both
    documents close, and a set-off that cannot be matched in full records
    nothing."""
    z = order(c, OTHER, [("REFLECTOR", "1")])
    cn = credit_in_full(c, z)
    payable = c.srv.sql("SELECT payable FROM invoices WHERE number = '%s'" % z).split()[-1]
    amount = "%d.%02d" % divmod(int(payable), 100)
    before = aging(c, day(0))
    expect_row(before, "an invoice and its credit note", OTHER, OTHER, current=amount,
               total=amount, credits=amount, unapplied="38.00", balance="-38.00")
    count = c.srv.sql("SELECT COUNT(*) FROM payments").split()[-1]

    def set_off(body, key=None, number=None):
        return c.srv.request("POST", "/v1/invoices/%s/set-offs" % (number or cn),
                             key=key or c.finance, body=body)
    expect_error(set_off(set_off_xml(amount, "SO-1"), key=c.keys[OTHER]), 403, None,
                 "a dealer sets nothing off")
    cent_more = "%d.%02d" % divmod(int(payable) + 1, 100)
    expect_error(set_off(set_off_xml(cent_more, "SO-1")), 422, "over-allocation",
                 "more than the credit note has open")
    expect_error(set_off(set_off_xml(amount, "SO-1", [(c.inv["A2"], amount)])), 422,
                 "not-the-payers-invoice", "another buyer's invoice")
    cent_less = "%d.%02d" % divmod(int(payable) - 1, 100)
    expect_error(set_off(set_off_xml(amount, "SO-1", [(z, cent_less)])), 422,
                 "set-off-unmatched", "the named invoices leave a cent unmatched")
    expect_error(set_off(set_off_xml(amount, "SO-1"), number=z), 422, "not-a-credit-note",
                 "an invoice is not set off")
    expect_error(set_off(set_off_xml(amount, "SO-1"), number="CN-1999-000001"), 404,
                 "not-found", "no such credit note")
    expect_error(set_off("<SetOff xmlns='%s'><Amount currency='EUR'>1.00</Amount></SetOff>"
                         % NS), 400, None, "a SetOff without its date and reference")
    eq(c.srv.sql("SELECT COUNT(*) FROM payments").split()[-1], count,
       "refused set-offs record nothing")
    resp = set_off(set_off_xml(amount, "SO-1"))
    r = receipt(resp, "the set-off")
    check("<Method>set-off</Method>" in resp.body, "the receipt says set-off: " + resp.body)
    eq((r["direction"], r["dealer"], r["allocs"], r["unapplied"]),
       ("received", OTHER, [(z, "invoice", amount, day(0), "0.00")], "0.00"),
       "the invoice is paid by the credit note, oldest due first")
    expect_row(aging(c, day(0)), "both closed", OTHER, OTHER, unapplied="38.00",
               balance="-38.00")
    rows = c.srv.sql("SELECT direction, method, amount FROM payments WHERE reference = 'SO-1' "
                     "ORDER BY direction").splitlines()[1:]
    eq(rows, ["received\tset-off\t%s" % payable, "refund\tset-off\t%s" % payable],
       "two halves with one reference, no money moved")
    expect_error(set_off(set_off_xml(amount, "SO-1")), 409, "duplicate-reference",
                 "the same set-off twice")
    # From the command line, naming the invoice; --method makes no sense.
    v = order(c, OTHER, [("REFLECTOR", "1")])
    cn2 = credit_in_full(c, v)
    r = c.srv.ctl("payment", "set-off", cn2, "--amount", amount, "--currency", "EUR",
                  "--reference", "SO-CLI", "--method", "cash", check_rc=False)
    eq(r.returncode, 2, "a set-off takes no --method")
    out = c.srv.ctl("payment", "set-off", cn2, "--amount", amount, "--currency", "EUR",
                    "--reference", "SO-CLI", "--allocate", "%s=%s" % (v, amount)).stdout
    check("refunded to dealer %s" % OTHER in out and "received from dealer %s" % OTHER in out
          and v in out and cn2 in out and "set-off" in out, "both halves printed: " + out)
    expect_row(aging(c, day(0)), "after the CLI set-off", OTHER, OTHER, unapplied="38.00",
               balance="-38.00")
    audit = c.srv.ctl("audit", "list", "--limit", "10").stdout
    check("payment.set_off" in audit, "set-offs are audited: " + audit)


def reverse(c, pid, date, reason="Direct debit returned: account closed", key=None,
            headers=None):
    return c.srv.request("POST", "/v1/payments/%s/reversal" % pid, key=key or c.finance,
                         body=dd.reversal_xml(date, reason), headers=headers)


def journal_entries(c, frm, to, prefix):
    """{entry: (date, {account: debit - credit in cents})} of the journal's
    entries named prefix..., each checked to balance."""
    r = c.srv.request("GET", "/v1/reports/journal.csv?from=%s&to=%s" % (frm, to), key=c.finance)
    harness.expect_status(r, 200, "the journal")
    rows = list(csv.DictReader(io.StringIO(r.body, newline="")))
    out = {}
    for row in rows:
        if not row["entry"].startswith(prefix):
            continue
        cents = int(Decimal(row["debit"] or "0") * 100) - int(Decimal(row["credit"] or "0") * 100)
        date, lines = out.setdefault(row["entry"], (row["date"], {}))
        eq(row["date"], date, "%s: one date" % row["entry"])
        lines[row["account"]] = lines.get(row["account"], 0) + cents
    for name, (_, lines) in out.items():
        eq(sum(lines.values()), 0, "%s balances: %s" % (name, lines))
    return out


def test_reversals(c):
    """A payment undone: a partial payment's invoice is open again from the
    reversal's date on and the aging before it is unchanged; every refusal
    leaves nothing behind; a reversed payment's cash is never applied; a
    refund's credit note is owed again; a set-off is undone whole; the
    CLI; the journal's reversal entries; the audit trail."""
    count = lambda: c.srv.sql("SELECT COUNT(*) FROM payment_reversals").split()[-1]  # noqa: E731
    # A 10.00 invoice to the other dealer dated five days back (due five
    # days from now), 4.00 of it paid by direct debit four days ago.
    x = order(c, OTHER, [("REFLECTOR", "1")])
    c.srv.sql("UPDATE invoices SET issue_date = '%s', due_date = '%s' WHERE number = '%s'"
              % (day(-5), day(5), x))
    r = pay(c, ("dealer", OTHER), day(-4), "4.00", "DD-0001", method="direct-debit",
            allocs=[(x, "4.00")])
    eq(r["allocs"], [(x, "invoice", "4.00", day(-4), "6.00")], "6.00 left open")
    pid = r["id"]
    dates = [day(n) for n in (-5, -4, -3, -2, 0, 6)]
    before = {d: aging(c, d) for d in dates}
    expect_row(before[day(-3)], "paid in part", OTHER, OTHER, current="6.00", total="6.00",
               balance="6.00")
    expect_row(before[day(0)], "today", OTHER, OTHER, current="6.00", total="6.00",
               unapplied="38.00", balance="-32.00")

    # Refused, and nothing recorded.
    n = count()
    expect_error(reverse(c, pid, day(-2), key=c.keys[OTHER]), 403, None, "a dealer")
    expect_error(reverse(c, pid, day(1)), 422, "invalid-payment", "reversed tomorrow")
    expect_error(reverse(c, pid, day(-5)), 422, "invalid-payment", "before the payment")
    expect_error(reverse(c, pid, day(-2), reason=" \n "), 422, "invalid-payment",
                 "a blank reason")
    expect_error(reverse(c, pid, day(-2), reason=None), 400, None, "no Reason")
    expect_error(reverse(c, pid, day(-2), reason="x" * 501), 400, None, "501 characters")
    expect_error(reverse(c, "999999", day(-2)), 404, "not-found", "no such payment")
    expect_error(reverse(c, "17x", day(-2)), 404, "not-found", "not a payment id")
    expect_error(c.srv.request("POST", "/v1/payments/%s/reversal" % pid, key=c.finance,
                               body="<Payment xmlns='%s'/>" % NS), 400, None, "another document")
    eq(count(), n, "refused reversals record nothing")

    # Reversed two days ago: from then on x is open in full.
    resp = reverse(c, pid, day(-2), reason="  Direct debit returned:\n  account closed ")
    got = receipt(resp, "the reversal", 200)
    eq((got["id"], got["reversed_on"], got["reason"], got["allocated"], got["unapplied"]),
       (pid, day(-2), "Direct debit returned: account closed", "0.00", "0.00"),
       "reversed: none of it counts")
    eq(got["allocs"], [(x, "invoice", "4.00", day(-4), "10.00")], "what it had settled")
    eq(receipt(c.srv.request("GET", "/v1/payments/" + pid, key=c.keys[OTHER]),
               "read back by its dealer", 200), got, "GET shows the reversal")
    expect_error(reverse(c, pid, day(0)), 409, "already-reversed", "reversed twice")
    for d in (day(-5), day(-4), day(-3)):
        eq(aging(c, d), before[d], "as of %s, before the reversal: unchanged" % d)
    expect_row(aging(c, day(-2)), "on the reversal's day", OTHER, OTHER, current="10.00",
               total="10.00", balance="10.00")
    expect_row(aging(c, day(0)), "today", OTHER, OTHER, current="10.00", total="10.00",
               unapplied="38.00", balance="-28.00")
    expect_row(aging(c, day(6)), "x past due", OTHER, OTHER, days_1_30="10.00",
               total="10.00", unapplied="38.00", balance="-28.00")
    for d in (day(-2), day(0), day(6)):
        eq([a for a in aging(c, d) if a["dealer"] != OTHER],
           [a for a in before[d] if a["dealer"] != OTHER], "as of %s: nobody else's" % d)
    out = c.srv.ctl("audit", "list", "--entity", "payment", "--id", pid).stdout
    check("payment.reverse" in out, "audited: " + out[-600:])

    # A cheque on account three days ago, 1.00 of it applied today to a new
    # invoice y: it cannot be reversed before today; reversed today its
    # cash is gone and can never be applied.
    y = order(c, OTHER, [("REFLECTOR", "1")])
    r = pay(c, ("dealer", OTHER), day(-3), "5.00", "CHQ-0001", method="cheque", auto=False)
    cheque = r["id"]
    path = "/v1/payments/%s/allocations" % cheque
    got = receipt(c.srv.request("POST", path, key=c.finance,
                                body=dd.application_xml([(y, "1.00")])), "apply 1.00", 200)
    eq((got["allocs"], got["unapplied"]), ([(y, "invoice", "1.00", day(0), "9.00")], "4.00"),
       "1.00 applied today")
    expect_error(reverse(c, cheque, day(-1), reason="Cheque returned unpaid"), 422,
                 "invalid-payment", "before its allocation counts")
    yesterday = aging(c, day(-1))
    expect_row(yesterday, "yesterday", OTHER, OTHER, current="10.00", total="10.00",
               unapplied="5.00", balance="5.00")
    got = receipt(reverse(c, cheque, day(0), reason="Cheque returned unpaid"), "cheque", 200)
    eq((got["reversed_on"], got["allocated"], got["unapplied"]), (day(0), "0.00", "0.00"),
       "the cheque reversed")
    expect_error(c.srv.request("POST", path, key=c.finance,
                               body=dd.application_xml([(y, "1.00")])), 422,
                 "payment-reversed", "applying a reversed payment's cash")
    expect_error(c.srv.request("POST", path, key=c.finance,
                               body='<PaymentApplication xmlns="%s"/>' % NS), 422,
                 "payment-reversed", "applying it oldest due first")
    eq(aging(c, day(-1)), yesterday, "as of yesterday: unchanged")
    expect_row(aging(c, day(0)), "x and y open", OTHER, OTHER, current="20.00",
               total="20.00", unapplied="38.00", balance="-18.00")

    # A refund reversed: its credit note is owed again. Replayed with its
    # Idempotency-Key, the same answer.
    z = order(c, OTHER, [("REFLECTOR", "1")])
    cn = credit_in_full(c, z)
    rf = receipt(c.srv.request("POST", "/v1/invoices/%s/refunds" % cn, key=c.finance,
                               body=dd.refund_xml(day(0), "10.00", "OUT-REV-1")), "refund")
    expect_row(aging(c, day(0)), "refunded", OTHER, OTHER, current="30.00", total="30.00",
               unapplied="38.00", balance="-8.00")
    hdr = {"Idempotency-Key": "reverse-refund-1"}
    resp = reverse(c, rf["id"], day(0), reason="Refund bounced: wrong IBAN", headers=hdr)
    got = receipt(resp, "the refund reversed", 200)
    eq((got["direction"], got["allocs"], got["reversed_on"]),
       ("refund", [(cn, "credit-note", "10.00", day(0), "10.00")], day(0)),
       "the credit note owes 10.00 again")
    again = reverse(c, rf["id"], day(0), reason="Refund bounced: wrong IBAN", headers=hdr)
    eq((again.status, again.body), (resp.status, resp.body), "replayed")
    expect_row(aging(c, day(0)), "owed again", OTHER, OTHER, current="30.00", total="30.00",
               credits="10.00", unapplied="38.00", balance="-18.00")

    # A set-off: reversing its refund half reverses the received half too.
    v = order(c, OTHER, [("REFLECTOR", "1")])
    cn2 = credit_in_full(c, v)
    so = receipt(c.srv.request("POST", "/v1/invoices/%s/set-offs" % cn2, key=c.finance,
                               body=set_off_xml("10.00", "SO-REV", [(v, "10.00")])), "set-off")
    expect_row(aging(c, day(0)), "set off", OTHER, OTHER, current="30.00", total="30.00",
               credits="10.00", unapplied="38.00", balance="-18.00")
    half = c.srv.sql("SELECT id FROM payments WHERE reference = 'SO-REV' AND "
                     "direction = 'refund'").split()[-1]
    got = receipt(reverse(c, half, day(0), reason="Set off against the wrong invoice"),
                  "the set-off reversed", 200)
    eq((got["direction"], got["allocs"], got["reversed_on"]),
       ("refund", [(cn2, "credit-note", "10.00", day(0), "10.00")], day(0)), "the refund half")
    got = receipt(c.srv.request("GET", "/v1/payments/" + so["id"], key=c.finance),
                  "the received half", 200)
    eq((got["allocs"], got["reversed_on"], got["reason"], got["allocated"]),
       ([(v, "invoice", "10.00", day(0), "10.00")], day(0), "Set off against the wrong invoice",
        "0.00"), "reversed with it")
    expect_error(reverse(c, so["id"], day(0)), 409, "already-reversed", "the other half")
    expect_row(aging(c, day(0)), "both open again", OTHER, OTHER, current="40.00",
               total="40.00", credits="20.00", unapplied="38.00", balance="-18.00")
    for h in (half, so["id"]):
        out = c.srv.ctl("audit", "list", "--entity", "payment", "--id", h).stdout
        check("payment.reverse" in out, "both halves audited: " + out[-600:])

    # From the command line: --reason is required, --date defaults to today.
    r = pay(c, ("dealer", OTHER), day(0), "2.00", "CLI-REV-1", auto=False)
    bad = c.srv.ctl("payment", "reverse", r["id"], check_rc=False)
    check(bad.returncode == 2 and "--reason" in bad.stderr, "no --reason: " + bad.stderr)
    bad = c.srv.ctl("payment", "reverse", r["id"], "--reason", "Early", "--date", day(1),
                    check_rc=False)
    check(bad.returncode == 1 and "invalid-payment" in bad.stderr, "tomorrow: " + bad.stderr)
    for reason, what in (("Bounced\x07", "a control character"), ("\udcff", "not UTF-8"),
                         ("\u00e9" * 501, "501 characters"), (" \t ", "blank")):
        bad = c.srv.ctl("payment", "reverse", r["id"], "--reason", reason, check_rc=False)
        check(bad.returncode == 1 and "invalid-payment" in bad.stderr,
              "a reason, %s: %s" % (what, bad.stderr))
    out = c.srv.ctl("payment", "reverse", r["id"], "--reason", "\u00e9" * 500, "--date",
                    day(1), check_rc=False)
    check(out.returncode == 1 and "future" in out.stderr, "500 characters are a reason")
    out = c.srv.ctl("payment", "reverse", r["id"], "--reason", "Booked to the wrong dealer").stdout
    check("reversed on %s by " % day(0) in out and ": Booked to the wrong dealer" in out and
          "allocated 0.00 EUR, unapplied 0.00 EUR" in out, "the receipt: " + out)
    bad = c.srv.ctl("payment", "reverse", r["id"], "--reason", "Again", check_rc=False)
    check(bad.returncode == 1 and "already-reversed" in bad.stderr, "twice: " + bad.stderr)
    show = c.srv.ctl("payment", "show", pid).stdout
    check("reversed on %s by " % day(-2) in show and "account closed" in show and x in show,
          "payment show: " + show)
    listing = list(csv.reader(io.StringIO(c.srv.ctl("payment", "list", "--format",
                                                    "csv").stdout, newline="")))
    eq(listing[0][-1], "REVERSED", "the list's last column")
    reversed_ = {row[0]: row[-1] for row in listing[1:]}
    eq((reversed_[pid], reversed_[cheque], reversed_[rf["id"]], reversed_[half],
        reversed_[so["id"]], reversed_[r["id"]], reversed_[c.pay["partial"]]),
       (day(-2), day(0), day(0), day(0), day(0), day(0), ""), "the REVERSED column")
    expect_row(aging(c, day(0)), "after the CLI", OTHER, OTHER, current="40.00",
               total="40.00", credits="20.00", unapplied="38.00", balance="-18.00")

    # The journal undoes each on its day (default accounts: cash 1000,
    # receivable 1200, unapplied cash 2100); a set-off moved nothing.
    got = journal_entries(c, day(-5), day(0), "reversal:")
    eq(got, {"reversal:" + pid: (day(-2), {"1000": -400, "1200": 400}),
             "reversal:" + cheque: (day(0), {"1000": -500, "1200": 100, "2100": 400}),
             "reversal:" + rf["id"]: (day(0), {"1000": 1000, "1200": -1000}),
             "reversal:" + r["id"]: (day(0), {"1000": -200, "2100": 200})},
       "the reversal entries")
    eq(count(), str(int(n) + 6), "six payments reversed")


def test_still_healthy(c):
    c.srv.healthy("after the payment tests")
    eq(c.srv.ctl("audit", "verify").returncode, 0, "the chain verifies")
    out = c.srv.ctl("audit", "list", "--entity", "payment", "--limit", "100").stdout
    for action in ("payment.record", "payment.apply", "payment.refund", "payment.reverse"):
        check(action in out, "%s is audited" % action)
    log = c.srv.log_text()
    check("AddressSanitizer" not in log and "runtime error" not in log,
          "sanitizer report in the log:\n" + log[-2000:])


if __name__ == "__main__":
    harness.main(globals())
