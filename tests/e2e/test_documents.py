#!/usr/bin/env python3
"""The dealer document exchange, POST /v1/documents: every document type
accepted from its example, every business rule violated once (code and
path), schema problems, a Batch mixing good and bad documents, idempotency
by DocumentId (replay, conflict, 100 concurrent replays -> one contract),
and the outbox read by cursor and acknowledged."""
import hashlib
import hmac
import os
import re
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, expect_error, expect_status, q  # noqa: E402
import dealer_docs as dd  # noqa: E402
from dealer_docs import text  # noqa: E402

A, B = "DLR-0042", "DLR-0107"


def setup():
    c = dd.start_server("documents", workers=8)
    c.seq = 0
    return c


def next_id(c, prefix="T"):
    c.seq += 1
    return "%s-%05d" % (prefix, c.seq)


def post(c, dealer, body, **kw):
    return dd.post(c.srv, c.keys[dealer], body, **kw)


# ---------------------------------------------------------------------------
# Every document type, from its example
# ---------------------------------------------------------------------------

def test_quote_request_example(c):
    xml = dd.example("QuoteRequest").replace("2024-03-15", dd.days(0))
    r = post(c, A, xml)
    root = dd.expect_reply(r, "Quote", "the QuoteRequest example")
    dd.expect_valid(r.body, "Quote", "the Quote")
    eq(text(root, "Header", "InReplyTo"), "HH-QR-2024-00318", "InReplyTo")
    eq(text(root, "Header", "DealerId"), A, "Header/DealerId")
    eq(text(root, "QuoteDate"), dd.days(0), "QuoteDate")
    eq(text(root, "ValidUntil"), dd.days(30), "ValidUntil: 30 days")
    eq(text(root, "AssetRef", "SerialNumber"), "WM8-2291-0457", "AssetRef")
    eq(text(root, "Plan", "Code"), "APPL-36", "Plan/Code")
    eq(text(root, "Plan", "Version"), "2", "Plan/Version (the catalog's)")
    # 899.00 x 12 % = 107.88, 19 % tax half-up 20.50, total 128.38
    eq(text(root, "Price", "NetPrice"), "107.88", "NetPrice")
    eq(text(root, "Price", "TaxCategory"), "S", "TaxCategory")
    eq(text(root, "Price", "TaxRate"), "19", "TaxRate")
    eq(text(root, "Price", "Tax"), "20.50", "Tax")
    eq(text(root, "Price", "Total"), "128.38", "Total")
    eq(root.find(q("Price")).find(q("Total")).get("currency"), "EUR", "Total/@currency")
    eq(text(root, "Pricing", "Plugin"), "example-flat", "Pricing/Plugin")
    eq(text(root, "Pricing", "PluginVersion"), "1.0.0", "Pricing/PluginVersion")
    check(re.fullmatch(r"[0-9a-f]{64}", text(root, "Pricing", "InputHash") or ""), "InputHash")
    check(re.fullmatch(r"[0-9a-f]{64}", text(root, "Signature") or ""), "Signature")
    c.quote = (text(root, "QuoteId"), text(root, "Signature"))


def test_registration_example(c):
    qid, sig = c.quote
    xml = dd.example("ContractRegistration")
    xml = xml.replace("Q-2024-000318", qid).replace(
        "6327245c3a45d3d9ea72b70fbb671926e7b80f63d311bfd73dde876d5df02b26", sig)
    xml = xml.replace("2024-03-15", dd.days(0))
    r = post(c, A, xml)
    root = dd.expect_reply(r, "ContractConfirmation", "the ContractRegistration example")
    dd.expect_valid(r.body, "ContractConfirmation", "the ContractConfirmation")
    number = text(root, "ContractNumber")
    check(re.fullmatch(r"SC-\d{8,}", number or ""), "ContractNumber %r" % number)
    eq(text(root, "State"), "active", "State")
    eq(text(root, "QuoteId"), qid, "QuoteId")
    eq(text(root, "Header", "InReplyTo"), "HH-CR-2024-00211", "InReplyTo")
    eq(text(root, "Customer", "Name"), "Jana Becker", "Customer/Name")
    eq(text(root, "Coverage", "StartDate"), dd.days(0), "StartDate: the purchase")
    eq(text(root, "Coverage", "EndDate"), dd.add_months(dd.days(0), 36), "EndDate")
    eq(text(root, "Coverage", "WaitingPeriodEnds"), dd.days(30), "WaitingPeriodEnds")
    eq(text(root, "Coverage", "LimitOfLiability"), "899.00", "LimitOfLiability: the price")
    eq(text(root, "Price", "NetPrice"), "107.88", "sold at the quoted price")
    eq(text(root, "Split", "RetailPrice"), "107.88", "RetailPrice")
    eq(text(root, "DealerReference"), "RE-240315-0071", "DealerReference")
    c.contract_a = number


def test_cancellation_example(c):
    """The example's numbers: 107.88 x 784/1095 = 77.24, minus 25.00."""
    number, _ = dd.register(c.srv, c.keys[A], next_id(c), A,
                            asset=dd.old_asset("WM8-CX-0001"), sale="2024-03-15")
    xml = dd.example("ContractCancellation").replace("SC-2024-004711", number)
    r = post(c, A, xml)
    root = dd.expect_reply(r, "CancellationConfirmation", "the ContractCancellation example")
    dd.expect_valid(r.body, "CancellationConfirmation", "the CancellationConfirmation")
    eq(text(root, "State"), "cancelled", "State")
    eq(text(root, "CancellationDate"), "2025-01-20", "CancellationDate")
    refund = root.find(q("Refund"))
    want = {"Basis": "days", "TermDays": "1095", "UnusedDays": "784",
            "UnusedShareByDays": "0.715982", "UnusedShare": "0.715982", "PricePaid": "107.88",
            "UnusedAmount": "77.24", "CancellationFee": "25.00", "ClaimsDeducted": "0.00",
            "RefundAmount": "52.24", "CommissionChargeback": "0.00"}
    for k, v in want.items():
        eq(text(refund, k), v, "Refund/%s" % k)


def _vehicle(c, dealer, vin, purchase, price="37209.20", plan="VEH-PT-36", usage_at_sale=15,
             category="vehicle.car"):
    asset = dd.asset_xml(vin, price=price, category=category, purchase=purchase, unit="km",
                         usage_at_sale=usage_at_sale, mw_months=24, vin=True,
                         model="Golf 2.0 TDI")
    return dd.register(c.srv, c.keys[dealer], next_id(c), dealer, asset=asset,
                       plan=dd.plan_xml(plan), sale=purchase)


def test_transfer_example(c):
    c.vin_purchase = dd.days(-400)
    number, _ = _vehicle(c, B, "WVWZZZ1KZ8W123456", c.vin_purchase)
    xml = dd.example("ContractTransfer").replace("VSC-2024-000815", number)
    xml = xml.replace("2025-06-02", dd.days(-10))
    r = post(c, B, xml)
    root = dd.expect_reply(r, "TransferConfirmation", "the ContractTransfer example")
    dd.expect_valid(r.body, "TransferConfirmation", "the TransferConfirmation")
    eq(text(root, "TransferNumber"), "1", "TransferNumber")
    eq(text(root, "PreviousOwner"), "Jana Becker", "PreviousOwner")
    eq(text(root, "NewOwner", "Name"), "Tobias Wirth", "NewOwner/Name")
    eq(text(root, "State"), "active", "State")
    c.vin_contract = number
    # The history keeps both owners.
    r = c.srv.request("GET", "/v1/contracts/" + number, key=c.keys[B])
    got = dd.expect_reply(r, "Contract", "GET the transferred contract")
    owners = [text(o, "Customer", "Name") for o in got.find(q("Owners"))]
    eq(owners, ["Jana Becker", "Tobias Wirth"], "owners, oldest first")
    eq(text(got, "Customer", "Name"), "Tobias Wirth", "current owner")


def test_coverage_inquiry_example(c):
    service = dd.add_months(c.vin_purchase, 25)
    xml = dd.example("CoverageInquiry").replace("2026-09-10", service)
    r = post(c, B, xml)
    root = dd.expect_reply(r, "CoverageAnswer", "the CoverageInquiry example")
    dd.expect_valid(r.body, "CoverageAnswer", "the CoverageAnswer")
    eq(text(root, "Kind"), "service-contract", "Kind")
    eq(text(root, "Reason"), "contract-covers", "Reason")
    eq(text(root, "ContractNumber"), c.vin_contract, "ContractNumber")
    eq(text(root, "Scope"), "parts-and-labor", "Scope")
    eq(text(root, "CoverageEnds"), dd.add_months(c.vin_purchase, 36), "CoverageEnds")
    eq(text(root, "CoverageEndsUsage"), "100015", "CoverageEndsUsage: 15 at sale + 100 000")
    eq(text(root, "Deductible"), "100.00", "Deductible")
    eq(text(root, "RemainingLiability"), "37209.20", "RemainingLiability")
    eq(text(root, "AssetRef", "VIN"), "WVWZZZ1KZ8W123456", "AssetRef/VIN")


def test_batch_example(c):
    xml = dd.example("Batch").replace(">2025-02-03<", ">%s<" % dd.days(0))
    r = post(c, A, xml)
    root = dd.expect_reply(r, "Acknowledgement", "the Batch example")
    dd.expect_valid(r.body, "Acknowledgement", "the Acknowledgement")
    eq(text(root, "Header", "InReplyTo"), "HH-B-2025-02-03-01", "InReplyTo: the Batch")
    docs = root.findall(q("Document"))
    eq([text(d, "DocumentType") for d in docs],
       ["QuoteRequest", "ContractRegistration", "CoverageInquiry"], "document types in order")
    eq([text(d, "Status") for d in docs], ["accepted", "rejected", "accepted"], "statuses")
    check(docs[0].find(q("Reply")).find(q("Quote")) is not None, "the quote is in the Reply")
    # HP-COMFORT-60 has no version 1 in the catalog (it starts at 2).
    eq(dd.problems_of(docs[1]), [("unknown-plan-version",
                                  "/Batch/ContractRegistration/Plan/Version")], "problems")
    ans = docs[2].find(q("Reply")).find(q("CoverageAnswer"))
    eq(text(ans, "Kind"), "manufacturer-warranty", "the washer is in its warranty")


def test_unsupported_types(c):
    r = post(c, A, dd.example("Quote"))
    expect_error(r, 400, "unsupported-document", "a Quote sent in")
    r = post(c, A, '<Nonsense xmlns="urn:contractd:1"/>')
    expect_error(r, 400, "unsupported-document", "an unknown root")


# ---------------------------------------------------------------------------
# Schema problems
# ---------------------------------------------------------------------------

def test_schema_problems_all_reported(c):
    xml = dd.quote_request(next_id(c), A, asset=dd.asset_xml("S-1"))
    bad = xml.replace("<Model>AquaPro 8 WM-800X</Model>", "").replace(
        "<UsageUnit>none</UsageUnit>", "<UsageUnit>miles</UsageUnit>").replace(
        "<Code>APPL-36</Code>", "<Code>APPL 36</Code>")
    r = post(c, A, bad)
    probs = dd.expect_rejected(r, "a QuoteRequest with three schema problems")
    codes = {p[0] for p in probs}
    check("missing-element" in codes, "missing Model reported: %s" % probs)
    check(("invalid-pattern", "/QuoteRequest/Plan/Code") in probs,
          "the bad plan code is reported too: %s" % probs)
    r = post(c, A, xml.replace('xmlns="urn:contractd:1"', 'xmlns="urn:other"'))
    dd.expect_rejected(r, "a QuoteRequest in another namespace", "wrong-namespace")


# ---------------------------------------------------------------------------
# Business rules, each broken once: (what, document, code, path)
# ---------------------------------------------------------------------------

def _quote_rules(c):
    future = dd.days(5)
    return [
        ("purchase in the future", dd.asset_xml("R-1", purchase=future), dd.plan_xml(),
         "purchase-date-in-future", "/QuoteRequest/Asset/PurchaseDate"),
        ("purchase price zero", dd.asset_xml("R-2", price="0.00"), dd.plan_xml(),
         "invalid-purchase-price", "/QuoteRequest/Asset/PurchasePrice"),
        ("unknown plan", dd.asset_xml("R-3"), dd.plan_xml("NO-SUCH-PLAN"),
         "unknown-plan", "/QuoteRequest/Plan/Code"),
        ("unknown plan version", dd.asset_xml("R-4"), dd.plan_xml("APPL-36", 9),
         "unknown-plan-version", "/QuoteRequest/Plan/Version"),
        ("category not sold", dd.asset_xml("R-5", category="appliance.toaster"), dd.plan_xml(),
         "plan-not-for-category", "/QuoteRequest/Asset/ProductCategory"),
        ("other currency", dd.asset_xml("R-6", currency="USD"), dd.plan_xml(),
         "currency-mismatch", "/QuoteRequest/Asset/PurchasePrice/@currency"),
        ("unknown currency", dd.asset_xml("R-7", currency="ABC"), dd.plan_xml(),
         "unknown-currency", "/QuoteRequest/Asset/PurchasePrice/@currency"),
        ("more decimals than EUR has", dd.asset_xml("R-8", price="899.001"), dd.plan_xml(),
         "amount-precision", "/QuoteRequest/Asset/PurchasePrice"),
        ("usage unit not the plan's",
         dd.asset_xml("R-9", category="vehicle.car", unit="mi", usage_at_sale=5),
         dd.plan_xml("VEH-PT-36"), "usage-unit-mismatch", "/QuoteRequest/Asset/UsageUnit"),
        ("term already over", dd.asset_xml("R-10", purchase="2019-01-01"), dd.plan_xml(),
         "term-already-ended", "/QuoteRequest/Asset/PurchaseDate"),
        ("plugin not loaded", dd.asset_xml("R-11"), dd.plan_xml("NOPLUGIN-12"),
         "pricing-unavailable", "/QuoteRequest/Plan"),
        ("plugin refuses", dd.asset_xml("R-12", currency="USD", price="899"),
         dd.plan_xml("USD-APPL-12"), "pricing-refused", "/QuoteRequest/Plan"),
    ]


def test_quote_rules(c):
    for what, asset, plan, code, path in _quote_rules(c):
        r = post(c, A, dd.quote_request(next_id(c), A, asset=asset, plan=plan))
        dd.expect_rejected(r, "QuoteRequest: " + what, code, path)


def test_dealer_mismatch(c):
    xml = dd.quote_request(next_id(c), B, asset=dd.asset_xml("DM-1"))
    r = post(c, A, xml)
    dd.expect_rejected(r, "a document for another dealer", "dealer-mismatch",
                       "/QuoteRequest/Header/DealerId")


def _expired_quote(c):
    """A quote whose dates are moved into the past in the database and
    re-signed with the server's secret, as if it had been issued 40 days
    ago: the signature is right, the quote is expired."""
    qid, _, _ = dd.get_quote(c.srv, c.keys[A], next_id(c), A, asset=dd.asset_xml("EXP-1"))
    qd, vu = dd.days(-40), dd.days(-10)
    c.srv.sql("UPDATE quotes SET quote_date = '%s', valid_until = '%s' WHERE quote_id = '%s'"
              % (qd, vu, qid))
    row = c.srv.sql("SELECT quote_id, dealer_id, plan_code, plan_version, quote_date, valid_until, "
                    "serial, is_vin, model, product_category, purchase_date, purchase_price, "
                    "usage_unit, usage_at_sale, mw_months, mw_usage_limit, commercial_use, "
                    "currency, net_price, tax_category, tax_rate, tax, total, dealer_cost, "
                    "admin_fee, claims_reserve, plugin_name, plugin_version, input_hash "
                    "FROM quotes WHERE quote_id = '%s'" % qid).splitlines()[1].split("\t")
    keys = ["quote-id", "dealer", "plan", "plan-version", "quote-date", "valid-until", "serial",
            "vin", "model", "product-category", "purchase-date", "purchase-price", "usage-unit",
            "usage-at-sale", "mw-months", "mw-usage-limit", "commercial-use", "currency", "net",
            "tax-category", "tax-rate", "tax", "total", "dealer-cost", "admin-fee",
            "claims-reserve", "plugin", "plugin-version", "input-hash"]
    signing = "contractd-quote 1\n" + "".join("%s=%s\n" % kv for kv in zip(keys, row))
    with open(os.path.join(c.srv.state_dir, "quote-secret"), "rb") as f:
        secret = f.read().strip()
    sig = hmac.new(secret, signing.encode(), hashlib.sha256).hexdigest()
    c.srv.sql("UPDATE quotes SET signature = '%s' WHERE quote_id = '%s'" % (sig, qid))
    return qid, sig


def test_registration_rules(c):
    srv, key = c.srv, c.keys[A]
    # A quote to abuse, and one of another dealer.
    qid, sig, _ = dd.get_quote(srv, key, next_id(c), A, asset=dd.asset_xml("RR-1"))
    bqid, bsig, _ = dd.get_quote(srv, c.keys[B], next_id(c), B, asset=dd.asset_xml("RR-B"))
    tampered = ("0" if sig[0] != "0" else "1") + sig[1:]
    used_q = dd.get_quote(srv, key, next_id(c), A, asset=dd.asset_xml("RR-USED"))
    dd.register(srv, key, next_id(c), A, quote=used_q[:2], sale=dd.days(0))
    covered = dd.asset_xml("RR-COVERED", purchase=dd.days(-20))
    dd.register(srv, key, next_id(c), A, asset=covered, sale=dd.days(-20))
    exp_q = _expired_quote(c)
    cases = [
        ("unknown quote", dict(quote=("Q-0000000000000000", sig), sale=dd.days(0)),
         "unknown-quote", "/ContractRegistration/QuoteReference/QuoteId"),
        ("another dealer's quote", dict(quote=(bqid, bsig), sale=dd.days(0)),
         "unknown-quote", "/ContractRegistration/QuoteReference/QuoteId"),
        ("tampered signature", dict(quote=(qid, tampered), sale=dd.days(0)),
         "quote-signature-invalid", "/ContractRegistration/QuoteReference/Signature"),
        ("expired quote", dict(quote=exp_q, sale=dd.days(0)),
         "quote-expired", "/ContractRegistration/QuoteReference/QuoteId"),
        ("quote used before", dict(quote=used_q[:2], sale=dd.days(0)),
         "quote-already-used", "/ContractRegistration/QuoteReference/QuoteId"),
        ("sale in the future", dict(quote=(qid, sig), sale=dd.days(3)),
         "sale-date-in-future", "/ContractRegistration/SaleDate"),
        ("sale before the purchase", dict(asset=dd.asset_xml("RR-2", purchase=dd.days(-5)),
                                          sale=dd.days(-6)),
         "sale-before-purchase", "/ContractRegistration/SaleDate"),
        ("asset already covered", dict(asset=covered, sale=dd.days(-1)),
         "asset-already-covered", "/ContractRegistration/Asset/SerialNumber"),
        ("term over before the sale", dict(asset=dd.asset_xml("RR-3", purchase="2019-01-01"),
                                           sale="2022-06-01"),
         "term-already-ended", "/ContractRegistration/SaleDate"),
        ("unknown plan", dict(asset=dd.asset_xml("RR-4"), plan=dd.plan_xml("NOPE")),
         "unknown-plan", "/ContractRegistration/Plan/Code"),
    ]
    for what, kw, code, path in cases:
        r = post(c, A, dd.registration(next_id(c), A, **kw))
        dd.expect_rejected(r, "ContractRegistration: " + what, code, path)
    # The quote whose registration was refused is still good.
    dd.register(srv, key, next_id(c), A, quote=(qid, sig), sale=dd.days(0))


def test_every_problem_reported(c):
    """Three business problems in one document: all three come back."""
    asset = dd.asset_xml("MP-1", purchase=dd.days(4), category="appliance.toaster",
                         currency="USD")
    r = post(c, A, dd.registration(next_id(c), A, asset=asset, sale=dd.days(6)))
    probs = dd.expect_rejected(r, "a registration with several problems")
    for code, path in [("purchase-date-in-future", "/ContractRegistration/Asset/PurchaseDate"),
                       ("plan-not-for-category", "/ContractRegistration/Asset/ProductCategory"),
                       ("currency-mismatch",
                        "/ContractRegistration/Asset/PurchasePrice/@currency"),
                       ("sale-date-in-future", "/ContractRegistration/SaleDate")]:
        check((code, path) in probs, "%s at %s missing from %s" % (code, path, probs))


def test_cancellation_rules(c):
    srv, key = c.srv, c.keys[A]
    live, _ = dd.register(srv, key, next_id(c), A,
                          asset=dd.asset_xml("CR-1", purchase=dd.days(-30)), sale=dd.days(-30))
    gone, _ = dd.register(srv, key, next_id(c), A,
                          asset=dd.asset_xml("CR-2", purchase=dd.days(-30)), sale=dd.days(-30))
    expect_status(post(c, A, dd.cancellation(next_id(c), A, gone)), 200, "cancel CR-2")
    old, _ = dd.register(srv, key, next_id(c), A,
                         asset=dd.asset_xml("CR-3", purchase="2020-01-10"), sale="2020-01-10")
    car, _ = _vehicle(c, A, "CR4CAR00000000004", "2024-05-20", plan="CAR-24-40K")
    cases = [
        ("unknown contract", dd.cancellation(next_id(c), A, "SC-99999999"),
         "unknown-contract", "/ContractCancellation/ContractNumber"),
        ("already cancelled", dd.cancellation(next_id(c), A, gone),
         "contract-already-cancelled", "/ContractCancellation/ContractNumber"),
        ("date in the future", dd.cancellation(next_id(c), A, live, date=dd.days(2)),
         "cancellation-date-in-future", "/ContractCancellation/CancellationDate"),
        ("before the sale", dd.cancellation(next_id(c), A, live, date=dd.days(-31)),
         "cancellation-before-sale", "/ContractCancellation/CancellationDate"),
        ("after the end", dd.cancellation(next_id(c), A, old, date="2023-06-01"),
         "contract-expired", "/ContractCancellation/CancellationDate"),
        ("days-or-usage without a reading", dd.cancellation(next_id(c), A, car,
                                                             date="2025-01-20"),
         "usage-required", "/ContractCancellation/Usage"),
        ("reading below the sale's", dd.cancellation(next_id(c), A, car, date="2025-01-20",
                                                     usage=3),
         "usage-decreased", "/ContractCancellation/Usage"),
    ]
    for what, xml, code, path in cases:
        dd.expect_rejected(post(c, A, xml), "ContractCancellation: " + what, code, path)


def test_transfer_rules(c):
    srv, key = c.srv, c.keys[A]
    live, _ = dd.register(srv, key, next_id(c), A,
                          asset=dd.asset_xml("TR-1", purchase=dd.days(-30)), sale=dd.days(-30))
    gone, _ = dd.register(srv, key, next_id(c), A,
                          asset=dd.asset_xml("TR-2", purchase=dd.days(-30)), sale=dd.days(-30))
    expect_status(post(c, A, dd.cancellation(next_id(c), A, gone)), 200, "cancel TR-2")
    car, _ = _vehicle(c, A, "TR3CAR00000000003", dd.days(-100), plan="CAR-24-40K")
    cases = [
        ("unknown contract", dd.transfer(next_id(c), A, "SC-99999998"),
         "unknown-contract", "/ContractTransfer/ContractNumber"),
        ("cancelled contract", dd.transfer(next_id(c), A, gone),
         "contract-not-active", "/ContractTransfer/ContractNumber"),
        ("date in the future", dd.transfer(next_id(c), A, live, date=dd.days(1)),
         "transfer-date-in-future", "/ContractTransfer/TransferDate"),
        ("before the sale", dd.transfer(next_id(c), A, live, date=dd.days(-31)),
         "transfer-before-sale", "/ContractTransfer/TransferDate"),
        ("reading below the sale's", dd.transfer(next_id(c), A, car, date=dd.days(-1), usage=1),
         "usage-decreased", "/ContractTransfer/Usage"),
    ]
    for what, xml, code, path in cases:
        dd.expect_rejected(post(c, A, xml), "ContractTransfer: " + what, code, path)


def test_coverage_rules(c):
    car, _ = _vehicle(c, A, "CV1CAR00000000001", dd.days(-50), plan="CAR-24-40K")
    cases = [
        ("service before the purchase",
         dd.coverage_inquiry(next_id(c), A, "CV1CAR00000000001", dd.days(-60), usage=100,
                             vin=True),
         "service-before-purchase", "/CoverageInquiry/ServiceDate"),
        ("metered asset without a reading",
         dd.coverage_inquiry(next_id(c), A, "CV1CAR00000000001", dd.days(0), vin=True),
         "usage-required", "/CoverageInquiry/Usage"),
    ]
    for what, xml, code, path in cases:
        dd.expect_rejected(post(c, A, xml), "CoverageInquiry: " + what, code, path)
    # An unknown asset is an answer, not a rejection.
    r = post(c, A, dd.coverage_inquiry(next_id(c), A, "NEVER-SEEN", dd.days(0)))
    root = dd.expect_reply(r, "CoverageAnswer", "coverage of an unknown asset")
    eq(text(root, "Kind"), "post-warranty", "Kind")
    eq(text(root, "Reason"), "unknown-asset", "Reason")


# ---------------------------------------------------------------------------
# Batch
# ---------------------------------------------------------------------------

def test_batch_mixed(c):
    good_q = dd.quote_request("BM-Q1", A, asset=dd.asset_xml("BM-1"))
    bad_schema = dd.quote_request("BM-Q2", A, asset=dd.asset_xml("BM-2")).replace(
        "<Model>AquaPro 8 WM-800X</Model>", "")
    bad_rule = dd.registration("BM-R1", A, asset=dd.asset_xml("BM-3"), sale=dd.days(9))
    good_reg = dd.registration("BM-R2", A, asset=dd.asset_xml("BM-4"), sale=dd.days(0))
    other_dealer = dd.quote_request("BM-Q3", B, asset=dd.asset_xml("BM-5"))
    claim = dd.example("ServiceClaim").replace("DLR-0107", A)
    body = dd.batch("BM-BATCH-1", A, [good_q, bad_schema, bad_rule, good_reg, other_dealer,
                                      claim])
    body = body.replace("</Batch>", '<Quote><QuoteId>x</QuoteId></Quote></Batch>')
    r = post(c, A, body)
    root = dd.expect_reply(r, "Acknowledgement", "a mixed Batch")
    docs = root.findall(q("Document"))
    got = [(text(d, "DocumentType"), text(d, "DocumentId"), text(d, "Status")) for d in docs]
    eq(got, [("QuoteRequest", "BM-Q1", "accepted"), ("QuoteRequest", "BM-Q2", "rejected"),
             ("ContractRegistration", "BM-R1", "rejected"),
             ("ContractRegistration", "BM-R2", "accepted"),
             ("QuoteRequest", "BM-Q3", "rejected"), ("ServiceClaim", "AB-SC-2026-0552", "rejected"),
             ("Quote", None, "rejected")], "one entry per document, in order")
    p = dd.problems_of(docs[1])
    check(any(code == "missing-element" and path.startswith("/Batch/QuoteRequest[2]/Asset")
              for code, path in p), "schema problem path inside the Batch: %s" % p)
    eq(dd.problems_of(docs[2]), [("sale-date-in-future",
                                  "/Batch/ContractRegistration[1]/SaleDate")], "rule problem")
    eq(dd.problems_of(docs[4]), [("dealer-mismatch", "/Batch/QuoteRequest[3]/Header/DealerId")],
       "dealer mismatch in a Batch")
    eq(dd.problems_of(docs[5])[0][0], "unknown-contract",
       "the example ServiceClaim names a contract this server does not have")
    eq(dd.problems_of(docs[6]), [("unexpected-element", "/Batch/Quote")], "a Quote in a Batch")
    number = text(docs[3].find(q("Reply")).find(q("ContractConfirmation")), "ContractNumber")
    expect_status(c.srv.request("GET", "/v1/contracts/" + number, key=c.keys[A]), 200,
                  "the good registration was applied")
    # Sent again: every accepted one is a duplicate with its original reply,
    # the rejected ones are judged again.
    r2 = post(c, A, body)
    docs2 = dd.expect_reply(r2, "Acknowledgement", "the Batch again").findall(q("Document"))
    eq([text(d, "Status") for d in docs2],
       ["duplicate", "rejected", "rejected", "duplicate", "rejected", "rejected", "rejected"],
       "statuses of the Batch sent again")
    eq(text(docs2[3].find(q("Reply")).find(q("ContractConfirmation")), "ContractNumber"), number,
       "the original ContractConfirmation")


def test_batch_envelope_errors(c):
    inner = dd.quote_request("BE-1", A, asset=dd.asset_xml("BE-1"))
    r = post(c, A, dd.batch("BE-B1", B, [inner]))
    expect_error(r, 422, "dealer-mismatch", "a Batch of another dealer")
    r = post(c, A, '<Batch xmlns="urn:contractd:1">%s</Batch>' % dd.header("BE-B2", A))
    expect_error(r, 400, "empty-batch", "an empty Batch")
    r = post(c, A, '<Batch xmlns="urn:contractd:1"><QuoteRequest/></Batch>')
    expect_error(r, 400, "invalid-batch", "a Batch without a Header")


# ---------------------------------------------------------------------------
# Idempotency
# ---------------------------------------------------------------------------

def test_replay_returns_original(c):
    xml = dd.quote_request("IDEM-Q1", A, asset=dd.asset_xml("ID-1"))
    r1 = post(c, A, xml)
    dd.expect_reply(r1, "Quote", "first sending")
    # Formatting and comments do not make it another document.
    again = "<?xml version='1.0'?>\n<!-- again -->\n" + xml.replace("><", ">\n  <")
    r2 = post(c, A, again)
    eq(r2.status, 200, "replay status")
    eq(r2.body, r1.body, "the replay is the original answer, byte for byte")
    eq(r2.headers.get("idempotent-replayed"), "true", "Idempotent-Replayed header")
    count = c.srv.sql("SELECT COUNT(*) FROM quotes WHERE document_id = 'IDEM-Q1'").split()[1]
    eq(count, "1", "one quote stored")


def test_same_id_other_content_conflicts(c):
    r1 = post(c, A, dd.quote_request("IDEM-Q2", A, asset=dd.asset_xml("ID-2")))
    dd.expect_reply(r1, "Quote", "first sending")
    r2 = post(c, A, dd.quote_request("IDEM-Q2", A, asset=dd.asset_xml("ID-2", price="999.00")))
    dd.expect_rejected(r2, "same DocumentId, other content", "duplicate-document-id",
                       "/QuoteRequest/Header/DocumentId", status=409)
    # Another dealer has its own DocumentIds.
    r3 = post(c, B, dd.quote_request("IDEM-Q2", B, asset=dd.asset_xml("ID-2")))
    dd.expect_reply(r3, "Quote", "the same DocumentId at another dealer")


def test_rejected_document_can_be_fixed(c):
    bad = dd.registration("IDEM-R1", A, asset=dd.asset_xml("ID-3"), sale=dd.days(4))
    dd.expect_rejected(post(c, A, bad), "a registration dated in the future",
                       "sale-date-in-future")
    good = dd.registration("IDEM-R1", A, asset=dd.asset_xml("ID-3"), sale=dd.days(0))
    dd.expect_reply(post(c, A, good), "ContractConfirmation", "the fixed document, same id")


def test_concurrent_replays_one_contract(c):
    """The same registration 100 times at once: one contract, 100 answers
    that all name it."""
    xml = dd.registration("IDEM-CONC-1", A, asset=dd.asset_xml("CONC-1"), sale=dd.days(0))
    results = [None] * 100
    start = threading.Barrier(100)

    def send(i):
        try:
            start.wait(timeout=30)
            results[i] = post(c, A, xml, timeout=120 * harness.SLOW)
        except Exception as e:  # noqa: BLE001 - reported below
            results[i] = e

    threads = [threading.Thread(target=send, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    errors = [r for r in results if not hasattr(r, "status")]
    check(not errors, "requests failed: %r" % errors[:3])
    statuses = sorted({r.status for r in results})
    eq(statuses, [200], "every answer is 200")
    numbers = {text(dd.root_of(r), "ContractNumber") for r in results}
    eq(len(numbers), 1, "every answer names the same contract: %s" % numbers)
    replayed = sum(1 for r in results if r.headers.get("idempotent-replayed") == "true")
    eq(replayed, 99, "99 answers are replays")
    rows = c.srv.sql("SELECT COUNT(*) FROM contracts WHERE document_id = 'IDEM-CONC-1'")
    eq(rows.split()[1], "1", "exactly one contract in the database")
    c.srv.healthy("after 100 concurrent replays")


test_concurrent_replays_one_contract.timeout = 600 * harness.SLOW


# ---------------------------------------------------------------------------
# Outbox
# ---------------------------------------------------------------------------

def _outbox(c, dealer, query=""):
    r = c.srv.request("GET", "/v1/outbox" + query, key=c.keys[dealer])
    return dd.expect_reply(r, "Outbox", "GET /v1/outbox" + query)


def test_outbox_cursor_and_ack(c):
    srv = c.srv
    # A fresh dealer, so the outbox holds only what this test makes.
    key = srv.dealer_with_key("DLR-OUT", "Outbox dealer")
    c.keys["DLR-OUT"] = key
    numbers = []
    for i in range(3):
        n, _ = dd.register(srv, key, "OB-%d" % i, "DLR-OUT", asset=dd.asset_xml("OB-%d" % i),
                           sale=dd.days(0))
        numbers.append(n)
    post(c, "DLR-OUT", dd.quote_request("OB-Q", "DLR-OUT", asset=dd.asset_xml("OB-Q")))
    root = _outbox(c, "DLR-OUT")
    entries = root.findall(q("Entry"))
    eq([text(e, "Cursor") for e in entries], ["1", "2", "3"], "cursors 1..3 (quotes stay out)")
    eq([text(e, "DocumentType") for e in entries], ["ContractConfirmation"] * 3, "types")
    eq([text(e.find(q("Document")).find(q("ContractConfirmation")), "ContractNumber")
        for e in entries], numbers, "the confirmations, in order")
    eq(text(root, "More"), "false", "More")
    # Pages.
    page = _outbox(c, "DLR-OUT", "?limit=2")
    eq([text(e, "Cursor") for e in page.findall(q("Entry"))], ["1", "2"], "first page")
    eq(text(page, "More"), "true", "More on the first page")
    page = _outbox(c, "DLR-OUT", "?after=2&limit=2")
    eq([text(e, "Cursor") for e in page.findall(q("Entry"))], ["3"], "second page")
    # Acknowledge up to 2: reading without a cursor starts after it.
    r = srv.request("POST", "/v1/outbox/ack", key=key,
                    body='<OutboxAck xmlns="urn:contractd:1"><Cursor>2</Cursor></OutboxAck>')
    ack = dd.expect_reply(r, "OutboxAck", "ack 2")
    eq(text(ack, "Cursor"), "2", "acknowledged cursor")
    eq(text(ack, "Pending"), "1", "one pending")
    eq([text(e, "Cursor") for e in _outbox(c, "DLR-OUT").findall(q("Entry"))], ["3"],
       "after the ack")
    # A cursor never given out cannot be acknowledged; an older one changes nothing.
    r = srv.request("POST", "/v1/outbox/ack?cursor=9", key=key)
    expect_error(r, 422, "cursor-out-of-range", "ack beyond the last cursor")
    r = srv.request("POST", "/v1/outbox/ack?cursor=1", key=key)
    eq(text(dd.expect_reply(r, "OutboxAck", "ack 1 after 2"), "Cursor"), "2", "acks only move on")
    # New documents get the next cursors.
    dd.register(srv, key, "OB-9", "DLR-OUT", asset=dd.asset_xml("OB-9"), sale=dd.days(0))
    eq([text(e, "Cursor") for e in _outbox(c, "DLR-OUT", "?after=3").findall(q("Entry"))], ["4"],
       "the next document")
    r = srv.request("POST", "/v1/outbox/ack?cursor=4", key=key)
    eq(text(dd.expect_reply(r, "OutboxAck", "ack 4"), "Pending"), "0", "nothing pending")
    expect_error(srv.request("GET", "/v1/outbox?limit=0", key=key), 400, "invalid-query",
                 "limit 0")
    expect_error(srv.request("POST", "/v1/outbox/ack", key=key, body="<x/>"), 400,
                 "invalid-request", "an ack without a cursor")


def test_outbox_cancellation_and_transfer(c):
    key = c.srv.dealer_with_key("DLR-OUT2", "Outbox dealer 2")
    c.keys["DLR-OUT2"] = key
    n, _ = dd.register(c.srv, key, "OC-1", "DLR-OUT2",
                       asset=dd.asset_xml("OC-1", purchase=dd.days(-60)), sale=dd.days(-60))
    expect_status(post(c, "DLR-OUT2", dd.transfer("OC-2", "DLR-OUT2", n, date=dd.days(-20))),
                  200, "transfer")
    expect_status(post(c, "DLR-OUT2", dd.cancellation("OC-3", "DLR-OUT2", n, date=dd.days(-10))),
                  200, "cancel")
    types = [text(e, "DocumentType") for e in _outbox(c, "DLR-OUT2").findall(q("Entry"))]
    eq(types, ["ContractConfirmation", "TransferConfirmation", "CancellationConfirmation"],
       "every confirmation lands in the outbox")


def test_still_healthy(c):
    c.srv.healthy("after the document tests")


if __name__ == "__main__":
    harness.main(globals())
