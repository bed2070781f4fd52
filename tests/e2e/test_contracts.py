#!/usr/bin/env python3
"""Catalog, pricing and contracts end to end: catalog import and plan
versions, the plans API, same input -> same price, a quote's price kept
after a reprice, the money split and the commission chargeback with the
real pricing-percent plugin, contract terms (purchase and warranty-end
starts), states, cancellations by days and by usage, the coverage endpoint,
and the audit records every change leaves."""
import os
import re
import signal
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, expect_error, expect_status, q  # noqa: E402
import dealer_docs as dd  # noqa: E402
from dealer_docs import text  # noqa: E402

D = "DLR-0042"


def setup():
    c = dd.start_server("contracts", dealers=(D,), extra_plugins=[dd.SPLIT_PLUGIN])
    c.seq = 0
    c.tmp = tempfile.mkdtemp(prefix="cd-e2e-catalogs-")
    return c


def teardown(c):
    import shutil
    shutil.rmtree(c.tmp, ignore_errors=True)


def nid(c, prefix="C"):
    c.seq += 1
    return "%s-%05d" % (prefix, c.seq)


def post(c, body):
    return dd.post(c.srv, c.keys[D], body)


def catalog_file(c, name, xml):
    path = os.path.join(c.tmp, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(xml)
    return path


def unchanged(out):
    """How many plans an import left unchanged."""
    return len(re.findall(r"version \d+\s+unchanged", out))


def plan_of(c, code, version=None, key=None):
    path = "/v1/plans/" + code + ("?version=%d" % version if version else "")
    r = c.srv.request("GET", path, key=key or c.keys[D])
    root = dd.expect_reply(r, "Catalog", "GET " + path)
    return root.find(q("Plan"))


# ---------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------

def test_catalog_import_reports_each_plan(c):
    out = c.import_out
    for code, version in (("APPL-36", 2), ("VEH-PT-36", 1), ("VEH-CARE-36", 1),
                          ("HP-COMFORT-60", 2)):
        check(re.search(r"%s\s+version %d\s+new plan" % (code, version), out),
              "import output names %s version %d: %s" % (code, version, out))
    r = c.srv.ctl("catalog", "import", dd.CATALOG)
    eq(unchanged(r.stdout), 4, "a second import changes nothing: %s" % r.stdout)
    check("0 plan version(s) stored, 4 unchanged" in r.stdout, r.stdout)
    listing = c.srv.ctl("catalog", "list").stdout
    check(re.search(r"APPL-36\s+2\s+EUR\s+36\s+pricing-percent", listing), listing)


def test_catalog_change_makes_a_version(c):
    # A contract sold under version 2 first.
    number, _ = dd.register(c.srv, c.keys[D], nid(c), D, asset=dd.asset_xml("V2-WASHER"))
    xml = dd.example("Catalog")
    changed = xml.replace("<Fee currency=\"EUR\">25.00</Fee>", "<Fee currency=\"EUR\">30.00</Fee>",
                          1).replace("<Version>2</Version>", "", 1)
    r = c.srv.ctl("catalog", "import", catalog_file(c, "v3.xml", changed))
    check(re.search(r"APPL-36\s+version 3\s+new version", r.stdout), r.stdout)
    eq(unchanged(r.stdout), 3, "the other plans are unchanged")
    eq(text(plan_of(c, "APPL-36"), "Version"), "3", "the current version")
    eq(text(plan_of(c, "APPL-36"), "Cancellation", "Fee"), "30.00", "its fee")
    eq(text(plan_of(c, "APPL-36", 2), "Cancellation", "Fee"), "25.00", "version 2 is kept")
    # The contract keeps the version it was sold under.
    r = c.srv.request("GET", "/v1/contracts/" + number, key=c.keys[D])
    eq(text(dd.expect_reply(r, "Contract", "GET contract"), "Plan", "Version"), "2",
       "the contract's plan version")
    # Version 2 is no longer sold; the current one is.
    r = post(c, dd.quote_request(nid(c), D, asset=dd.asset_xml("V2-Q"),
                                 plan=dd.plan_xml("APPL-36", 2)))
    dd.expect_rejected(r, "a quote for version 2", "plan-version-retired",
                       "/QuoteRequest/Plan/Version")
    r = post(c, dd.quote_request(nid(c), D, asset=dd.asset_xml("V3-Q"),
                                 plan=dd.plan_xml("APPL-36", 3)))
    eq(text(dd.expect_reply(r, "Quote", "a quote for version 3"), "Plan", "Version"), "3",
       "priced under version 3")
    # The same definition again: unchanged, however the file spells it.
    spelled = changed.replace("<Fee currency=\"EUR\">30.00</Fee>",
                              "<Fee currency=\"EUR\">30.0</Fee>", 1)
    spelled = spelled.replace("<Category>appliance.washer</Category>\n      "
                              "<Category>appliance.dryer</Category>",
                              "<Category>appliance.dryer</Category>\n      "
                              "<Category>appliance.washer</Category>")
    r = c.srv.ctl("catalog", "import", catalog_file(c, "v3b.xml", spelled))
    eq(unchanged(r.stdout), 4, "same meaning, no new version: %s" % r.stdout)


def test_catalog_version_not_newer_imports_nothing(c):
    xml = dd.example("Catalog")
    bad = xml.replace("<Fee currency=\"EUR\">25.00</Fee>", "<Fee currency=\"EUR\">35.00</Fee>", 1)
    bad = bad.replace("<Deductible currency=\"EUR\">100.00</Deductible>",
                      "<Deductible currency=\"EUR\">90.00</Deductible>", 1)
    r = c.srv.ctl("catalog", "import", catalog_file(c, "old.xml", bad), check_rc=False)
    eq(r.returncode, 1, "exit status")
    check("not newer" in r.stderr and "nothing was imported" in r.stderr, r.stderr)
    eq(text(plan_of(c, "VEH-PT-36"), "Version"), "1", "VEH-PT-36 was not changed either")
    eq(text(plan_of(c, "VEH-PT-36"), "Deductible"), "100.00", "its deductible")


def test_catalog_problems(c):
    xml = dd.example("Catalog")
    cases = [
        ("schema", xml.replace("<Name>Appliance Protection 36</Name>", "", 1),
         r"/Catalog/Plan\[1\]/Name: missing-element"),
        ("currency", xml.replace('<Fee currency="EUR">25.00</Fee>', '<Fee currency="USD">25.00</Fee>',
                                 1), r"/Catalog/Plan\[1\]/Cancellation/Fee/@currency: currency-mismatch"),
        ("precision", xml.replace('<Deductible currency="EUR">0.00</Deductible>',
                                  '<Deductible currency="EUR">0.005</Deductible>', 1),
         r"/Catalog/Plan\[1\]/Deductible: amount-precision"),
        ("doctype", '<!DOCTYPE Catalog [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + xml.split(
            "?>", 1)[1], r"doctype-forbidden"),
    ]
    for what, body, pattern in cases:
        r = c.srv.ctl("catalog", "import", catalog_file(c, what + ".xml", body), check_rc=False)
        eq(r.returncode, 1, "%s: exit status" % what)
        check(re.search(pattern, r.stderr), "%s: expected /%s/ in: %s" % (what, pattern, r.stderr))
    r = c.srv.ctl("catalog", "import", "--dry-run", dd.CATALOG)
    check(re.search(r"APPL-36\s+[0-9a-f]{64}", r.stdout), "dry run shows hashes: " + r.stdout)


def test_plans_api(c):
    for who, key in (("dealer", c.keys[D]), ("admin", c.srv.admin_key)):
        r = c.srv.request("GET", "/v1/plans", key=key)
        root = dd.expect_reply(r, "Catalog", "GET /v1/plans as " + who)
        codes = [text(p, "Code") for p in root.findall(q("Plan"))]
        for code in ("APPL-36", "HP-COMFORT-60", "VEH-CARE-36", "VEH-PT-36", "SPLIT-36"):
            check(code in codes, "%s listed: %s" % (code, codes))
        dd.expect_valid(r.body, "Catalog", "GET /v1/plans")
    care = plan_of(c, "VEH-CARE-36")
    ents = care.find(q("Maintenance")).findall(q("Entitlement"))
    eq(len(ents), 2, "entitlements kept")
    eq(care.find(q("UsageLimit")).get("unit"), "km", "UsageLimit/@unit")
    expect_error(c.srv.request("GET", "/v1/plans/NOPE", key=c.keys[D]), 404, "not-found",
                 "an unknown plan")
    expect_error(c.srv.request("GET", "/v1/plans/APPL-36?version=99", key=c.keys[D]), 404,
                 "not-found", "an unknown version")
    expect_error(c.srv.request("GET", "/v1/plans/APPL-36?version=x", key=c.keys[D]), 400,
                 "invalid-query", "a bad version")


# ---------------------------------------------------------------------------
# Pricing
# ---------------------------------------------------------------------------

def test_same_input_same_price(c):
    a = dd.asset_xml("SAME-1", price="1234.56")
    q1 = dd.get_quote(c.srv, c.keys[D], nid(c), D, asset=a)[2]
    q2 = dd.get_quote(c.srv, c.keys[D], nid(c), D, asset=a)[2]
    for path in (("Price", "NetPrice"), ("Price", "Tax"), ("Price", "Total"), ("DealerCost",),
                 ("Pricing", "InputHash"), ("Pricing", "Plugin")):
        eq(text(q2, *path), text(q1, *path), "/".join(path))
    check(text(q1, "QuoteId") != text(q2, "QuoteId"), "two quotes")
    eq(text(q1, "Price", "NetPrice"), "148.15", "1234.56 x 12 %, half-up")
    other = dd.get_quote(c.srv, c.keys[D], nid(c), D, asset=dd.asset_xml("SAME-1",
                                                                         price="1234.57"))[2]
    check(text(other, "Pricing", "InputHash") != text(q1, "Pricing", "InputHash"),
          "another input, another hash")


def test_money_split_and_chargeback(c):
    """The documentation's example with the real pricing-percent plugin:
    retail 107.88 = dealer cost 70.12 + margin 37.76; 70.12 = fee 21.04 +
    reserve 49.08; cancelled after 289 of 1095 days: chargeback 27.04."""
    number, root = dd.register(c.srv, c.keys[D], nid(c), D,
                               asset=dd.old_asset("SPLIT-WM8", price="899.00"),
                               plan=dd.plan_xml("SPLIT-36"), sale="2024-03-15")
    split = root.find(q("Split"))
    want = {"RetailPrice": "107.88", "DealerCost": "70.12", "AdminFee": "21.04",
            "ClaimsReserve": "49.08", "DealerMargin": "37.76"}
    for k, v in want.items():
        eq(text(split, k), v, "Split/" + k)
    eq(text(root, "Pricing", "Plugin"), "pricing-percent", "priced by pricing-percent")
    r = post(c, dd.cancellation(nid(c), D, number, date="2025-01-20"))
    refund = dd.expect_reply(r, "CancellationConfirmation", "cancel SPLIT").find(q("Refund"))
    eq(text(refund, "RefundAmount"), "52.24", "RefundAmount")
    eq(text(refund, "CommissionChargeback"), "27.04", "CommissionChargeback")
    row = c.srv.sql("SELECT original_net, original_tax, c.tax_rate, original_dealer_margin, "
                    "refund_amount, commission_chargeback FROM cancellations c JOIN contracts k "
                    "ON k.id = c.contract_id WHERE k.number = '%s'" % number).splitlines()[1]
    eq(row.split("\t"), ["10788", "2050", "0.19", "3776", "5224", "2704"],
       "what the credit note will need is recorded")


def test_quoted_price_survives_reprice(c):
    srv = c.srv
    qid, sig, quote = dd.get_quote(srv, c.keys[D], nid(c), D, asset=dd.asset_xml("REPRICE-1"))
    eq(text(quote, "Price", "NetPrice"), "107.88", "quoted at 12 %")
    srv.plugins = [(n, f, dict(p, rate="0.20") if n == "pricing-percent" else p)
                   for n, f, p in srv.plugins]
    srv.write_config()
    mark = srv.log_size()
    srv.signal(signal.SIGHUP)
    srv.wait_log(r"loaded and swapped in", since=mark, timeout=30)
    try:
        now = dd.get_quote(srv, c.keys[D], nid(c), D, asset=dd.asset_xml("REPRICE-2"))[2]
        eq(text(now, "Price", "NetPrice"), "179.80", "a new quote at 20 %")
        _, root = dd.register(srv, c.keys[D], nid(c), D, quote=(qid, sig))
        eq(text(root, "Price", "NetPrice"), "107.88", "sold at the quoted price")
        eq(text(root, "Pricing", "InputHash"), text(quote, "Pricing", "InputHash"),
           "with the quote's pricing record")
        _, root = dd.register(srv, c.keys[D], nid(c), D, asset=dd.asset_xml("REPRICE-3"))
        eq(text(root, "Price", "NetPrice"), "179.80", "without a quote: priced now")
    finally:
        srv.plugins = list(dd.PLUGINS) + [dd.SPLIT_PLUGIN]
        srv.write_config()
        mark = srv.log_size()
        srv.signal(signal.SIGHUP)
        srv.wait_log(r"loaded and swapped in", since=mark, timeout=30)


# ---------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------

def test_warranty_end_plan_terms(c):
    purchase = dd.days(-60)
    asset = dd.asset_xml("HP-1", price="11890.00", category="hvac.heatpump", purchase=purchase,
                         unit="hours", usage_at_sale=12, mw_months=24, mw_limit=10000,
                         model="ThermaAir 7 kW")
    number, root = dd.register(c.srv, c.keys[D], nid(c), D, asset=asset,
                               plan=dd.plan_xml("HP-COMFORT-60"), sale=purchase)
    cov = root.find(q("Coverage"))
    eq(text(cov, "StartDate"), dd.add_months(purchase, 24), "starts when the warranty ends")
    eq(text(cov, "EndDate"), dd.add_months(purchase, 84), "and runs 60 months")
    eq(text(cov, "StartUsage"), "10000", "usage counted from the manufacturer's limit")
    check(text(cov, "WaitingPeriodEnds") is None, "no waiting period")
    eq(text(cov, "LimitOfLiability"), "11890.00", "liability: the purchase price")
    # Today the manufacturer pays; once its hours run out, the contract does.
    r = c.srv.request("GET", "/v1/assets/HP-1/coverage?usage=500", key=c.keys[D])
    eq(text(dd.expect_reply(r, "CoverageAnswer", "coverage today"), "Kind"),
       "manufacturer-warranty", "in the manufacturer's warranty")
    r = c.srv.request("GET", "/v1/assets/HP-1/coverage?usage=10001&component=compressor",
                      key=c.keys[D])
    ans = dd.expect_reply(r, "CoverageAnswer", "past the manufacturer's hours")
    eq((text(ans, "Kind"), text(ans, "Reason"), text(ans, "ContractNumber")),
       ("service-contract", "contract-covers", number), "the contract takes over")
    r = c.srv.request("GET", "/v1/assets/HP-1/coverage?usage=10001&component=door",
                      key=c.keys[D])
    eq(text(dd.expect_reply(r, "CoverageAnswer", "a door"), "Reason"), "component-not-covered",
       "an uncovered component")


def test_coverage_endpoint(c):
    dd.register(c.srv, c.keys[D], nid(c), D, asset=dd.asset_xml("COV-1", purchase=dd.days(-5),
                                                                 mw_months=0),
                sale=dd.days(-5))
    cases = [
        ("", "post-warranty", "waiting-period"),
        ("?date=%s" % dd.days(40), "service-contract", "contract-covers"),
        ("?date=%s" % dd.add_months(dd.days(-5), 36), "post-warranty", "contract-expired"),
        ("?date=%s" % dd.days(-6), "post-warranty", "contract-not-started"),
    ]
    for query, kind, reason in cases:
        r = c.srv.request("GET", "/v1/assets/COV-1/coverage" + query, key=c.keys[D])
        ans = dd.expect_reply(r, "CoverageAnswer", "coverage" + query)
        dd.expect_valid(r.body, "CoverageAnswer", "the CoverageAnswer")
        eq((text(ans, "Kind"), text(ans, "Reason")), (kind, reason), "coverage" + query)
    expect_error(c.srv.request("GET", "/v1/assets/COV-1/coverage?date=2024-02-30",
                               key=c.keys[D]), 400, "invalid-query", "a bad date")
    expect_error(c.srv.request("GET", "/v1/assets/COV-1/coverage?usage=-1", key=c.keys[D]),
                 400, "invalid-query", "a bad reading")
    expect_error(c.srv.request("GET", "/v1/assets/NOPE/coverage", key=c.keys[D]), 404,
                 "not-found", "an unknown asset")


def test_expired_contract(c):
    number, _ = dd.register(c.srv, c.keys[D], nid(c), D,
                            asset=dd.asset_xml("EXPIRED-1", purchase="2020-01-10"),
                            sale="2020-01-10")
    r = c.srv.request("GET", "/v1/contracts/" + number, key=c.keys[D])
    eq(text(dd.expect_reply(r, "Contract", "GET an old contract"), "State"), "expired",
       "a contract past its end is expired")
    dd.expect_rejected(post(c, dd.transfer(nid(c), D, number, date="2021-01-01")),
                       "transfer an expired contract", "contract-not-active")


def test_refund_usage_runs_out_first(c):
    """CAR-24-40K: 24 months or 40 000 km, refund by days or usage. Half the
    time is left but only a quarter of the km: usage decides."""
    asset = dd.asset_xml("CAR40K0000000001A", price="20000.00", category="vehicle.car",
                         purchase="2024-01-10", unit="km", usage_at_sale=100, vin=False)
    number, root = dd.register(c.srv, c.keys[D], nid(c), D, asset=asset,
                               plan=dd.plan_xml("CAR-24-40K"), sale="2024-01-10")
    eq(text(root, "Price", "NetPrice"), "2000.00", "20000.00 x the plan's rate 10 %")
    eq(text(root, "Coverage", "EndUsage"), "40100", "EndUsage")
    r = post(c, dd.cancellation(nid(c), D, number, date="2025-01-10", usage=30100))
    refund = dd.expect_reply(r, "CancellationConfirmation", "cancel CAR40K").find(q("Refund"))
    want = {"Basis": "usage", "TermDays": "731", "UnusedDays": "365",
            "UnusedShareByDays": "0.499316", "UsageAllowance": "40000", "UnusedUsage": "10000",
            "UnusedShareByUsage": "0.250000", "UnusedShare": "0.250000", "PricePaid": "2000.00",
            "UnusedAmount": "500.00", "CancellationFee": "30.00", "ClaimsDeducted": "0.00",
            "RefundAmount": "470.00"}
    for k, v in want.items():
        eq(text(refund, k), v, "Refund/" + k)


def test_refund_free_look_and_fee_over_refund(c):
    number, _ = dd.register(c.srv, c.keys[D], nid(c), D,
                            asset=dd.asset_xml("FL-1", purchase=dd.days(-3)), sale=dd.days(-3))
    r = post(c, dd.cancellation(nid(c), D, number, date=dd.days(0)))
    refund = dd.expect_reply(r, "CancellationConfirmation", "free look").find(q("Refund"))
    eq((text(refund, "Basis"), text(refund, "RefundAmount"), text(refund, "CancellationFee")),
       ("free-look", "107.88", "0.00"), "a full refund, no fee")
    # SMALL-12: 29.00 (the minimum) for 12 months, a 25.00 fee. A month
    # before the end, 2.38 are unused: the fee takes them, the refund is 0.
    number, _ = dd.register(c.srv, c.keys[D], nid(c), D,
                            asset=dd.asset_xml("SM-1", price="50.00", category="appliance.small",
                                               purchase="2024-01-01"),
                            plan=dd.plan_xml("SMALL-12"), sale="2024-01-01")
    r = post(c, dd.cancellation(nid(c), D, number, date="2024-12-02"))
    refund = dd.expect_reply(r, "CancellationConfirmation", "late").find(q("Refund"))
    eq((text(refund, "UnusedAmount"), text(refund, "CancellationFee"),
        text(refund, "RefundAmount")), ("2.38", "2.38", "0.00"), "never below zero")


def test_tax_rate_missing(c):
    """Without a [tax] rate for the standard category, quotes say so."""
    srv = c.srv
    srv.extra_sections.pop("tax", None)
    srv.write_config()
    srv.restart()
    try:
        r = post(c, dd.quote_request(nid(c), D, asset=dd.asset_xml("NOTAX-1")))
        dd.expect_rejected(r, "a quote without a tax rate", "tax-rate-missing",
                           "/QuoteRequest/Plan")
    finally:
        srv.extra_sections["tax"] = {"standard": "0.19"}
        srv.write_config()
        srv.restart()


def test_transfer_keeps_history(c):
    number, _ = dd.register(c.srv, c.keys[D], nid(c), D,
                            asset=dd.asset_xml("HIST-1", purchase=dd.days(-90)),
                            sale=dd.days(-90))
    for i, name in enumerate(("Second Owner", "Third Owner"), start=1):
        r = post(c, dd.transfer(nid(c), D, number, date=dd.days(-60 + i), name=name))
        eq(text(dd.expect_reply(r, "TransferConfirmation", "transfer %d" % i), "TransferNumber"),
           str(i), "TransferNumber")
    r = c.srv.request("GET", "/v1/contracts/" + number, key=c.keys[D])
    root = dd.expect_reply(r, "Contract", "GET after two transfers")
    owners = [(text(o, "Sequence"), text(o, "Customer", "Name")) for o in root.find(q("Owners"))]
    eq(owners, [("1", "Jana Becker"), ("2", "Second Owner"), ("3", "Third Owner")],
       "every owner on record")
    rows = c.srv.sql("SELECT kind FROM contract_events e JOIN contracts k ON k.id = "
                     "e.contract_id WHERE k.number = '%s' ORDER BY e.id" % number).split()[1:]
    eq(rows, ["registered", "transferred", "transferred"], "events")


def test_audit_records(c):
    out = c.srv.ctl("audit", "list", "--entity", "contract", "--limit", "500").stdout
    for action in ("contract.register", "contract.cancel", "contract.transfer"):
        check(action in out, "%s in the audit trail: %s" % (action, out[-1500:]))
    out = c.srv.ctl("audit", "list", "--entity", "plan", "--limit", "100").stdout
    check("plan.import" in out, "plan.import in the audit trail: " + out[-800:])
    r = c.srv.ctl("audit", "verify")
    eq(r.returncode, 0, "the chain verifies")


def test_still_healthy(c):
    c.srv.healthy("after the contract tests")
    log = c.srv.log_text()
    check("AddressSanitizer" not in log and "runtime error" not in log,
          "sanitizer report in the log:\n" + log[-2000:])


if __name__ == "__main__":
    harness.main(globals())
