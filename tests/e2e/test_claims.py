#!/usr/bin/env python3
"""Claims end to end: the claim table of the invoicing issue, each case with
its exact amounts — in manufacturer's warranty, in contract with the
deductible, across the limit of liability (and after it), in the waiting
period, an uncovered component, after expiry by date and by usage,
post-warranty, maintenance within and beyond the entitlement — plus the
invoices each claim produces (UBL checked against the EN 16931 rules of
tests/e2e/ubl_rules.py), claim states and payment, maintenance due lists,
and isolation between dealers.

The server runs the real billing-labor and parts-pricelist plugins on the
tables of tests/data/claims/: labor 100.00 an hour (150.00 master),
inspections at a flat hour, a 40.00 diagnostic fee, 10 % off labor for
contract holders; parts at list price for customers and at dealer net plus
10 % handling for covered repairs. The plan CLAIM-PT-48 covers engine and
transmission for 48 months / 100 000 km from purchase with a 100.00
deductible, a 1 500.00 limit, 30 waiting days, an oil change per 15 000 km
and two inspections a year. Tax 19 %."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import NS, check, eq, expect_error, parse_xml, q  # noqa: E402
import dealer_docs as dd  # noqa: E402
from dealer_docs import text  # noqa: E402
import ubl_rules  # noqa: E402

D = "DLR-0042"
OTHER = "DLR-0107"
PLAN = dd.plan_xml("CLAIM-PT-48")


def setup():
    c = dd.start_server("claims", dealers=(D, OTHER), seller=True,
                        extra_plugins=[dd.BILLING_PLUGIN, dd.PARTS_PLUGIN])
    c.srv.ctl("catalog", "import", os.path.join(dd.CLAIMS_DATA, "catalog.xml"))
    c.srv.ctl("dealer", "set-billing", D, "--country", "DE", "--street", "Hauptstrasse 5",
              "--city", "Potsdam", "--postal-code", "14467", "--vat-id", "DE811111111")
    c.finance = c.srv.create_key("finance")
    c.seq = 0
    c.contracts = {}
    return c


def nid(c, prefix="CLM"):
    c.seq += 1
    return "%s-%05d" % (prefix, c.seq)


def car(serial, purchase, usage_at_sale=30000, mw_months=24, mw_limit=60000):
    return dd.asset_xml(serial, price="20000.00", category="vehicle.car", purchase=purchase,
                        unit="km", usage_at_sale=usage_at_sale, mw_months=mw_months,
                        mw_limit=mw_limit, model="Kombi 2.0")


def contract(c, serial, purchase, sale, usage_at_sale=30000):
    number, _ = dd.register(c.srv, c.keys[D], nid(c, "REG"), D,
                            asset=car(serial, purchase, usage_at_sale), plan=PLAN, sale=sale)
    c.contracts[serial] = number
    return number


def labor(no, code, hours, component="engine", skill=None):
    s = "<SkillLevel>%s</SkillLevel>" % skill if skill else ""
    return ("<Labor><LineNumber>%d</LineNumber><OperationCode>%s</OperationCode>"
            "<ComponentCategory>%s</ComponentCategory><Hours>%s</Hours>%s</Labor>"
            % (no, code, component, hours, s))


def part(no, number, qty="1", component="engine"):
    return ("<Part><LineNumber>%d</LineNumber><PartNumber>%s</PartNumber>"
            "<ComponentCategory>%s</ComponentCategory><Quantity>%s</Quantity></Part>"
            % (no, number, component, qty))


def claim(doc_id, serial, lines, date=None, usage=None, maintenance=False, diagnostic=False,
          asset=None, customer=None, dealer=D):
    ident = asset or "<AssetRef><SerialNumber>%s</SerialNumber></AssetRef>" % serial
    u = "<Usage>%s</Usage>" % usage if usage is not None else ""
    return ('<ServiceClaim xmlns="%s">%s<RepairOrder>RO-%s</RepairOrder>%s'
            '<ServiceDate>%s</ServiceDate>%s%s<Currency>EUR</Currency>'
            '<Complaint>Customer complaint</Complaint><Maintenance>%s</Maintenance>'
            '<Diagnostic>%s</Diagnostic><Lines>%s</Lines></ServiceClaim>'
            % (NS, dd.header(doc_id, dealer), doc_id, ident, date or dd.days(0), u,
               customer or "", "true" if maintenance else "false",
               "true" if diagnostic else "false", "".join(lines)))


def decide(c, body, what):
    r = dd.post(c.srv, c.keys[D], body)
    root = dd.expect_reply(r, "ClaimDecision", what)
    dd.expect_valid(r.body, "ClaimDecision", what)
    return root


def totals(root):
    t = root.find(q("Totals"))
    return tuple(text(t, k) for k in ("Amount", "Deductible", "Covered", "CustomerPays",
                                      "WarrantorPays"))


def lines_of(root):
    """[(line number or '', kind, code, amount, coverage, reason, covered, customer)]"""
    out = []
    for ln in root.find(q("Lines")).findall(q("Line")):
        out.append((text(ln, "LineNumber") or "", text(ln, "Kind"), text(ln, "Code"),
                    text(ln, "Amount"), text(ln, "Coverage"), text(ln, "Reason"),
                    text(ln, "CoveredAmount"), text(ln, "CustomerAmount")))
    return out


def invoice(c, number, what, key=None):
    """Fetches an invoice's UBL, checks it against the EN 16931 rules and
    returns (root, body)."""
    r = c.srv.request("GET", "/v1/invoices/" + number, key=key or c.keys[D])
    harness.expect_status(r, 200, what)
    problems = ubl_rules.check(r.body.encode("utf-8"))
    eq(problems, [], "%s: EN 16931 rule violations" % what)
    return parse_xml(r.body, what), r.body


UBL_CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
UBL_CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"


def ubl_totals(root):
    t = root.find(UBL_CAC + "LegalMonetaryTotal")
    return tuple(t.find(UBL_CBC + k).text for k in ("TaxExclusiveAmount", "TaxInclusiveAmount",
                                                     "PayableAmount"))


# ---------------------------------------------------------------------------
# The claim table
# ---------------------------------------------------------------------------

def test_manufacturer_warranty(c):
    # Bought 100 days ago: inside 24 months / 60 000 km of the maker's warranty.
    contract(c, "MW-1", dd.days(-100), dd.days(-100), usage_at_sale=100)
    root = decide(c, claim(nid(c), "MW-1", [labor(1, "ENG-0001", "2.0"),
                                            part(2, "ENG-PUMP")], usage=5000),
                  "a repair under the maker's warranty")
    eq(text(root, "State"), "approved", "state")
    # 2.0 h x 100.00; the pump at net 200.00 + 10 % handling.
    eq(lines_of(root), [
        ("1", "labor", "ENG-0001", "200.00", "manufacturer-warranty", "manufacturer-warranty",
         "200.00", "0.00"),
        ("2", "part", "ENG-PUMP", "220.00", "manufacturer-warranty", "manufacturer-warranty",
         "220.00", "0.00"),
    ], "lines")
    eq(totals(root), ("420.00", "0.00", "420.00", "0.00", "420.00"), "totals")
    check(text(root, "CustomerInvoice") is None, "the customer pays nothing: no invoice")
    note, _ = invoice(c, text(root, "SettlementNote"), "the settlement credit note")
    eq(note.tag, "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote",
       "the settlement is a credit note")
    eq(ubl_totals(note), ("420.00", "499.80", "499.80"), "420.00 + 19 % tax")


def test_contract_with_deductible_and_uncovered_component(c):
    # Bought ~26 months ago (the maker's 24 months are over), sold 60 days
    # ago (the 30 waiting days are over).
    contract(c, "SC-1", dd.days(-800), dd.days(-60))
    root = decide(c, claim(nid(c), "SC-1", [labor(1, "TR-0100", "3.0", "transmission"),
                                            part(2, "TR-CLUTCH", component="transmission"),
                                            part(3, "BODY-MIRROR", component="body")],
                           usage=40000), "a contract repair")
    eq(text(root, "State"), "partially-approved", "state")
    eq(lines_of(root), [
        ("1", "labor", "TR-0100", "300.00", "service-contract", "contract-covers", "300.00",
         "0.00"),
        ("2", "part", "TR-CLUTCH", "660.00", "service-contract", "contract-covers", "660.00",
         "0.00"),
        ("3", "part", "BODY-MIRROR", "80.00", "post-warranty", "component-not-covered",
         "0.00", "80.00"),
    ], "lines")
    # 960.00 covered less the 100.00 deductible; the mirror at list price.
    eq(totals(root), ("1040.00", "100.00", "860.00", "180.00", "860.00"), "totals")
    eq(text(root, "RemainingLiability"), "640.00", "1500.00 - 860.00 left")
    eq(text(root, "ContractState"), "active", "contract state")
    inv, _ = invoice(c, text(root, "CustomerInvoice"), "the customer's invoice")
    eq(ubl_totals(inv), ("180.00", "214.20", "214.20"), "mirror + deductible, 19 % tax")
    note, _ = invoice(c, text(root, "SettlementNote"), "the settlement")
    eq(ubl_totals(note), ("860.00", "1023.40", "1023.40"), "settlement net of the deductible")
    c.sc1_claim = text(root, "ClaimNumber")


def test_across_the_limit_of_liability(c):
    root = decide(c, claim(nid(c), "SC-1", [labor(1, "TR-0100", "3.0", "transmission"),
                                            part(2, "TR-CLUTCH", component="transmission")],
                           usage=41000), "a claim crossing the limit")
    # 960.00 - 100.00 = 860.00 asked, 640.00 left: 220.00 more to the customer,
    # cut from the last covered line.
    eq(totals(root), ("960.00", "100.00", "640.00", "320.00", "640.00"), "totals")
    eq(lines_of(root)[1], ("2", "part", "TR-CLUTCH", "660.00", "service-contract",
                           "limit-of-liability", "440.00", "220.00"), "the cut line")
    eq(text(root, "RemainingLiability"), "0.00", "nothing left")
    eq(text(root, "ContractState"), "exhausted", "the contract is exhausted")
    r = c.srv.request("GET", "/v1/contracts/" + c.contracts["SC-1"], key=c.keys[D])
    eq(text(dd.expect_reply(r, "Contract", "the contract"), "State"), "exhausted",
       "GET shows it exhausted")
    # And the next claim is the customer's.
    root = decide(c, claim(nid(c), "SC-1", [part(1, "ENG-PUMP")], usage=42000),
                  "a claim after the limit")
    eq(lines_of(root)[0][4:6], ("post-warranty", "contract-exhausted"), "exhausted")
    eq(totals(root), ("300.00", "0.00", "0.00", "300.00", "0.00"), "the customer pays list")
    eq(text(root, "State"), "rejected", "state")


def test_waiting_period(c):
    contract(c, "WAIT-1", dd.days(-800), dd.days(-5))
    root = decide(c, claim(nid(c), "WAIT-1", [labor(1, "ENG-0001", "1.0")], usage=31000),
                  "a claim in the waiting period")
    lines = lines_of(root)
    eq(lines[0], ("1", "labor", "ENG-0001", "100.00", "post-warranty", "waiting-period",
                  "0.00", "100.00"), "the labor line")
    # The customer holds a contract: 10 % off labor, as a discount line.
    eq([ln[1:4] + ln[6:] for ln in lines[1:]], [("discount", lines[1][2], "-10.00", "0.00",
                                                  "-10.00")], "the holder's discount")
    eq(totals(root), ("90.00", "0.00", "0.00", "90.00", "0.00"), "totals")
    eq(text(root, "State"), "rejected", "state")
    inv, _ = invoice(c, text(root, "CustomerInvoice"), "the customer's invoice")
    eq(ubl_totals(inv), ("90.00", "107.10", "107.10"), "90.00 + 19 %")


def test_expired_by_date(c):
    contract(c, "OLD-1", "2019-01-10", "2019-01-10")
    root = decide(c, claim(nid(c), "OLD-1", [part(1, "OIL-FILTER")], usage=90000),
                  "a claim after the contract ended")
    eq(lines_of(root), [("1", "part", "OIL-FILTER", "20.00", "post-warranty",
                         "contract-expired", "0.00", "20.00")], "lines")
    eq(totals(root), ("20.00", "0.00", "0.00", "20.00", "0.00"), "totals")


def test_expired_by_usage(c):
    contract(c, "KM-1", dd.days(-800), dd.days(-60))
    # The allowance runs from 30 000 to 130 000 km.
    root = decide(c, claim(nid(c), "KM-1", [part(1, "ENG-PUMP")], usage=131000),
                  "a claim past the usage limit")
    eq(lines_of(root)[0][4:], ("post-warranty", "usage-limit-exceeded", "0.00", "300.00"),
       "the line")
    eq(totals(root), ("300.00", "0.00", "0.00", "300.00", "0.00"), "totals")


def test_post_warranty(c):
    customer = ("<Customer><Name>Paul Kern</Name><Address><Line>Am Markt 3</Line>"
                "<PostalCode>04109</PostalCode><City>Leipzig</City><Country>DE</Country>"
                "</Address></Customer>")
    body = claim(nid(c), "NOC-1", [labor(1, "ENG-0001", "2.0", skill="master")], usage=70000,
                 diagnostic=True, asset=car("NOC-1", dd.days(-900)), customer=customer)
    root = decide(c, body, "a post-warranty repair")
    lines = lines_of(root)
    eq(lines[0], ("1", "labor", "ENG-0001", "300.00", "post-warranty", "no-contract", "0.00",
                  "300.00"), "2.0 master hours")
    eq([(ln[1], ln[3], ln[7]) for ln in lines[1:]], [("fee", "40.00", "40.00")],
       "the diagnostic fee")
    eq(totals(root), ("340.00", "0.00", "0.00", "340.00", "0.00"), "totals")
    inv, body = invoice(c, text(root, "CustomerInvoice"), "the repair invoice")
    eq(ubl_totals(inv), ("340.00", "404.60", "404.60"), "340.00 + 19 %")
    check("Paul Kern" in body, "the customer is the buyer")
    # Without a customer there is nobody to invoice.
    bad = claim(nid(c), "NOC-2", [labor(1, "ENG-0001", "1.0")], usage=70000,
                asset=car("NOC-2", dd.days(-900)))
    dd.expect_rejected(dd.post(c.srv, c.keys[D], bad), "no customer", "customer-required")


def test_maintenance_within_and_beyond(c):
    contract(c, "MNT-1", dd.days(-800), dd.days(-60))
    first = decide(c, claim(nid(c), "MNT-1", [labor(1, "INSP-0200", "0.8"),
                                              labor(2, "OIL-0100", "1.0"),
                                              part(3, "OIL-FILTER")],
                            usage=44000, maintenance=True), "the first service")
    # Inspection at its flat hour, the oil change at actual hours, the filter
    # at warranty price: all within the entitlements, no deductible.
    eq([ln[2:] for ln in lines_of(first)], [
        ("INSP-0200", "100.00", "service-contract", "maintenance-entitlement", "100.00", "0.00"),
        ("OIL-0100", "100.00", "service-contract", "maintenance-entitlement", "100.00", "0.00"),
        ("OIL-FILTER", "13.20", "service-contract", "maintenance-entitlement", "13.20", "0.00"),
    ], "first service")
    eq(totals(first), ("213.20", "0.00", "213.20", "0.00", "213.20"), "first totals")
    eq(text(first, "State"), "approved", "state")
    second = decide(c, claim(nid(c), "MNT-1", [labor(1, "INSP-0200", "1.0"),
                                               labor(2, "OIL-0100", "1.0"),
                                               part(3, "OIL-FILTER")],
                             usage=44500, maintenance=True), "the second service")
    lines = lines_of(second)
    # The second inspection of the year is included; a second oil change
    # inside the same 15 000 km is not: the customer pays it, less 10 %.
    eq(lines[0][4:6], ("service-contract", "maintenance-entitlement"), "inspection")
    eq(lines[1][4:], ("post-warranty", "maintenance-beyond-entitlement", "0.00", "100.00"),
       "oil change")
    eq(totals(second), ("203.20", "0.00", "113.20", "90.00", "113.20"), "second totals")
    third = decide(c, claim(nid(c), "MNT-1", [labor(1, "INSP-0200", "1.0")], usage=44600,
                            maintenance=True), "a third inspection")
    eq(lines_of(third)[0][4:6], ("post-warranty", "maintenance-beyond-entitlement"),
       "beyond two a year")
    other = decide(c, claim(nid(c), "MNT-1", [labor(1, "TYRE-ROT", "0.5")], usage=44600,
                            maintenance=True), "maintenance the plan does not include")
    eq(lines_of(other)[0][5], "maintenance-not-included", "not included")
    # What is due: the oil change at 44 000 + 15 000 km, no inspection left
    # in this contract year.
    r = c.srv.request("GET", "/v1/assets/MNT-1/maintenance?usage=44600", key=c.keys[D])
    root = dd.expect_reply(r, "MaintenanceSchedule", "maintenance due")
    dd.expect_valid(r.body, "MaintenanceSchedule", "the schedule")
    ents = root.find(q("Contract")).findall(q("Entitlement"))
    # (The plan keeps its entitlements in canonical order.)
    eq([text(e, "OperationCode") for e in ents], ["INSP-0200", "OIL-0100"], "entitlements")
    eq((text(ents[1], "DueUsage"), text(ents[1], "Status"), text(ents[1], "LeftInWindow")),
       ("59000", "scheduled", "0"), "oil change")
    eq((text(ents[0], "UsedInWindow"), text(ents[0], "LeftInWindow")), ("2", "0"),
       "inspections used")
    r = c.srv.request("GET", "/v1/assets/MNT-1/maintenance?usage=59500", key=c.keys[D])
    ents = dd.expect_reply(r, "MaintenanceSchedule", "later").find(q("Contract")).findall(
        q("Entitlement"))
    eq(text(ents[1], "Status"), "overdue", "the oil change is overdue past 59 000 km")


# ---------------------------------------------------------------------------
# Around the table
# ---------------------------------------------------------------------------

def test_claim_read_pay_and_isolation(c):
    number = c.sc1_claim
    r = c.srv.request("GET", "/v1/claims/" + number, key=c.keys[D])
    root = dd.expect_reply(r, "ClaimDecision", "GET the claim")
    eq(text(root, "State"), "partially-approved", "state")
    expect_error(c.srv.request("GET", "/v1/claims/" + number, key=c.keys[OTHER]), 404,
                 "not-found", "another dealer's claim")
    expect_error(c.srv.request("POST", "/v1/claims/%s/paid" % number, key=c.keys[D]), 403,
                 None, "a dealer cannot pay")
    r = c.srv.request("POST", "/v1/claims/%s/paid" % number, key=c.finance)
    eq(text(dd.expect_reply(r, "ClaimDecision", "pay"), "State"), "paid", "paid")
    r = c.srv.request("POST", "/v1/claims/%s/paid" % number, key=c.finance)
    eq(text(dd.expect_reply(r, "ClaimDecision", "pay again"), "State"), "paid", "same answer")
    r = c.srv.request("GET", "/v1/claims/" + number, key=c.keys[D])
    eq(text(dd.expect_reply(r, "ClaimDecision", "GET"), "State"), "paid", "the dealer sees paid")
    expect_error(c.srv.request("GET", "/v1/claims/CL-99999999", key=c.finance), 404,
                 "not-found", "no such claim")


def test_invoices_only_for_their_dealer(c):
    rows = c.srv.sql("SELECT number FROM invoices WHERE dealer_id = '%s' ORDER BY id" % D)
    numbers = rows.split()[1:]
    check(len(numbers) >= 8, "the claims made invoices: %s" % numbers)
    for n in numbers[:3]:
        expect_error(c.srv.request("GET", "/v1/invoices/" + n, key=c.keys[OTHER]), 404,
                     "not-found", "another dealer's invoice")
        invoice(c, n, "finance reads %s" % n, key=c.finance)
    r = c.srv.request("GET", "/v1/outbox?limit=1000", key=c.keys[D])
    body = r.body
    for n in numbers:
        check(n in body, "%s is in the dealer's outbox" % n)


def test_claim_replayed_and_rejected(c):
    doc = claim(nid(c), "SC-1", [part(1, "NO-SUCH-PART")], usage=42500)
    probs = dd.expect_rejected(dd.post(c.srv, c.keys[D], doc), "an unknown part")
    check(any(p[0] == "claim-pricing-refused" for p in probs), "priced refusal: %s" % probs)
    before = c.srv.sql("SELECT COUNT(*) FROM claims").split()[-1]
    doc = claim(nid(c), "MW-1", [labor(1, "ENG-0001", "1.0")], usage=6000)
    first = dd.post(c.srv, c.keys[D], doc)
    dd.expect_reply(first, "ClaimDecision", "a claim")
    again = dd.post(c.srv, c.keys[D], doc)
    eq(again.body, first.body, "the same DocumentId answers the same decision")
    after = c.srv.sql("SELECT COUNT(*) FROM claims").split()[-1]
    eq(int(after), int(before) + 1, "decided once")
    future = claim(nid(c), "MW-1", [labor(1, "ENG-0001", "1.0")], usage=6000,
                   date=dd.days(3))
    dd.expect_rejected(dd.post(c.srv, c.keys[D], future), "future", "service-date-in-future")
    nousage = claim(nid(c), "MW-1", [labor(1, "ENG-0001", "1.0")])
    dd.expect_rejected(dd.post(c.srv, c.keys[D], nousage), "no reading", "usage-required")


def test_audit_and_health(c):
    out = c.srv.ctl("audit", "list", "--entity", "claim", "--limit", "500").stdout
    check("claim.decide" in out and "claim.paid" in out, "claims audited: " + out[-800:])
    eq(c.srv.ctl("audit", "verify").returncode, 0, "the chain verifies")
    c.srv.healthy("after the claims")
    log = c.srv.log_text()
    check("AddressSanitizer" not in log and "runtime error" not in log,
          "sanitizer report in the log:\n" + log[-2000:])


if __name__ == "__main__":
    harness.main(globals())
