#!/usr/bin/env python3
"""Billing runs end to end: a month's remittance and chargeback invoices and
claim settlement credit notes per dealer, from the CLI and from the API;
dry runs that issue nothing; runs that are idempotent; and runs killed with
kill -9 at several points — the CLI and the server — that, started again,
finish with every invoice issued exactly once, numbers without gap, and the
same totals as an uninterrupted run over the same data on another server.

The servers settle claims in billing runs ([invoices] claim_settlement =
billing-run). A claim is decided when it is posted, so the claims of the
period are posted today and their decision time (claims.created_at) is
then moved into the period, as if they had been decided then."""
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import NS, check, eq, expect_error, parse_xml, q  # noqa: E402
import dealer_docs as dd  # noqa: E402
from dealer_docs import text  # noqa: E402
import ubl_rules  # noqa: E402
import test_claims as tc  # noqa: E402  (the claim documents)

DEALERS = ["DLR-R%02d" % i for i in range(24)]
# Dealers with a claim decided in the period; not DLR-R01, whose run of an
# earlier month must find nothing to bill.
CLAIM_DEALERS = DEALERS[2::3]
ITEMS = 48 + 12 + len(CLAIM_DEALERS)


def last_month():
    t = dd.today().replace(day=1)
    prev = t - __import__("datetime").timedelta(days=1)
    return prev.strftime("%Y-%m")


PERIOD = last_month()


def on(day):
    return "%s-%02d" % (PERIOD, day)


def populate(srv, keys):
    """The same data on every server: each dealer sells two contracts in
    the period; every other dealer has one of them cancelled in it."""
    for i, d in enumerate(DEALERS):
        numbers = []
        for k, (sale, price) in enumerate(((on(5), "899.00"), (on(12), "%d.00" % (400 + i)))):
            serial = "RUN-%s-%d" % (d, k)
            number, _ = dd.register(srv, keys[d], "REG-%s-%d" % (d, k), d,
                                    asset=dd.asset_xml(serial, price=price, purchase=sale),
                                    plan=dd.plan_xml("SPLIT-36"), sale=sale)
            numbers.append(number)
        if i % 2 == 0:
            r = dd.post(srv, keys[d], dd.cancellation("CAN-%s" % d, d, numbers[1], date=on(25)))
            dd.expect_reply(r, "CancellationConfirmation", "cancel for %s" % d)
        if d in CLAIM_DEALERS:
            claim_in_period(srv, keys[d], d, i)


def claim_in_period(srv, key, d, i):
    """A car sold 90 days ago (before the period) under the claims plan,
    and a repair claim on it decided on the period's 15th: the warrantor
    pays 3 hours of labor and i parts, less the 100.00 deductible."""
    serial = "CLM-%s" % d
    dd.register(srv, key, "REG-CLM-%s" % d, d, asset=tc.car(serial, dd.days(-800)),
                plan=tc.PLAN, sale=dd.days(-90))
    lines = [tc.labor(1, "TR-0100", "3.0", "transmission")]
    lines += [tc.part(2 + k, "TR-CLUTCH", component="transmission") for k in range(i % 2 + 1)]
    r = dd.post(srv, key, tc.claim("CLAIM-%s" % d, serial, lines, usage=40000, dealer=d))
    root = dd.expect_reply(r, "ClaimDecision", "the claim of %s" % d)
    eq(text(root, "SettlementNote"), None, "settled in the run, not when decided")
    srv.sql("UPDATE claims SET created_at = '%s 10:00:00' WHERE number = '%s'"
            % (on(15), text(root, "ClaimNumber")))


# Each run item waits this long first (CONTRACTD_PAUSES), so that a run is
# slow enough to be killed in the middle, however fast the machine.
PAUSES = {"CONTRACTD_PAUSES": "billing-run-item=40"}


def start(name, env=None):
    # One contract per invoice, so each dealer gets several parts.
    c = dd.start_server(name, dealers=DEALERS, seller=True,
                        extra_plugins=[dd.SPLIT_PLUGIN, dd.BILLING_PLUGIN, dd.PARTS_PLUGIN],
                        extra_sections={"invoices": {"run_invoice_lines": "1",
                                                     "claim_settlement": "billing-run"}},
                        env=env)
    c.srv.ctl("catalog", "import", os.path.join(dd.CLAIMS_DATA, "catalog.xml"))
    c.finance = c.srv.create_key("finance")
    populate(c.srv, c.keys)
    return c


def setup():
    return start("runs")


def run_invoices(srv):
    """{(dealer, kind, part): (number, net, lines)} of the period's run invoices."""
    rows = srv.sql("SELECT source, number, line_total, (SELECT COUNT(*) FROM invoice_lines l "
                   "WHERE l.invoice_id = i.id) FROM invoices i WHERE source LIKE 'run:%s:%%' "
                   "ORDER BY id" % PERIOD).splitlines()[1:]
    out = {}
    for row in rows:
        source, number, net, lines = row.split("\t")
        _, _, kind, dealer, _, part = source.split(":")
        check((dealer, kind, part) not in out, "one invoice per part: %s" % source)
        out[(dealer, kind, part)] = (number, int(net), int(lines))
    return out


def per_dealer(invoices):
    """{(dealer, kind): net} summed over the parts."""
    out = {}
    for (dealer, kind, _), (_, net, _) in invoices.items():
        out[(dealer, kind)] = out.get((dealer, kind), 0) + net
    return out


def expected_totals(srv):
    """{(dealer, kind): net} from the contracts and cancellations themselves."""
    out = {}
    for row in srv.sql("SELECT dealer_id, SUM(dealer_cost) FROM contracts WHERE sale_date "
                       "LIKE '%s-%%' GROUP BY dealer_id" % PERIOD).splitlines()[1:]:
        d, v = row.split("\t")
        out[(d, "remittance")] = int(v)
    for row in srv.sql("SELECT k.dealer_id, SUM(x.commission_chargeback) FROM cancellations x "
                       "JOIN contracts k ON k.id = x.contract_id WHERE x.cancellation_date LIKE "
                       "'%s-%%' GROUP BY k.dealer_id" % PERIOD).splitlines()[1:]:
        d, v = row.split("\t")
        out[(d, "chargeback")] = int(v)
    for row in srv.sql("SELECT dealer_id, SUM(warrantor_pays) FROM claims WHERE created_at "
                       "LIKE '%s-%%' GROUP BY dealer_id" % PERIOD).splitlines()[1:]:
        d, v = row.split("\t")
        out[(d, "settlement")] = int(v)
    return out


def seqs(srv, series="INV"):
    return [int(x) for x in srv.sql("SELECT seq FROM invoices WHERE series LIKE '%s-%%' "
                                    "ORDER BY seq" % series).split()[1:]]


def gap_free(srv):
    for series in ("INV", "CN"):
        got = seqs(srv, series)
        eq(got, list(range(1, len(got) + 1)), "%s numbers without gap" % series)


def test_dry_run_issues_nothing(c):
    before = c.srv.sql("SELECT COUNT(*) FROM invoices").split()[-1]
    out = c.srv.ctl("billing", "run", "--period", PERIOD, "--dry-run", "--format", "csv").stdout
    rows = [r.split(",") for r in out.strip().splitlines()]
    eq(rows[0], ["DEALER", "KIND", "CURRENCY", "PART", "STATE", "INVOICE", "LINES", "NET",
                 "TAX", "TOTAL"], "the CSV header")
    eq(len(rows) - 1, ITEMS, "a remittance per contract sold, a chargeback per cancellation, "
       "a settlement per claim")
    exp = expected_totals(c.srv)
    nets = {}
    for r in rows[1:]:
        nets[(r[0], r[1])] = nets.get((r[0], r[1]), 0) + int(r[7].replace(".", ""))
    eq(nets, exp, "dry-run nets per dealer and kind")
    eq(c.srv.sql("SELECT COUNT(*) FROM invoices").split()[-1], before, "nothing issued")
    eq(c.srv.sql("SELECT COUNT(*) FROM billing_runs").split()[-1], "0", "no run recorded")
    table = c.srv.ctl("billing", "run", "--period", PERIOD, "--dry-run").stdout
    check("preview" in table and "DLR-R00" in table, "a readable table: " + table[-400:])


def test_run_issues_each_invoice_once(c):
    r = c.srv.ctl("billing", "run", "--period", PERIOD, "--format", "xml")
    root = parse_xml(r.stdout, "the run")
    eq((text(root, "State"), text(root, "Total"), text(root, "Done"), text(root, "Invoices")),
       ("done", str(ITEMS), str(ITEMS), str(ITEMS)), "the run")
    got = run_invoices(c.srv)
    exp = expected_totals(c.srv)
    eq(per_dealer(got), exp, "the invoices carry what the contracts say")
    eq(len([k for k in got if k[:2] == ("DLR-R03", "remittance")]), 2,
       "two parts of one contract each")
    eq({v[2] for k, v in got.items() if k[1] != "settlement"}, {1},
       "one contract each ([invoices] run_invoice_lines = 1)")
    eq({k[0]: v[2] for k, v in got.items() if k[1] == "settlement"},
       {d: 3 + DEALERS.index(d) % 2 for d in CLAIM_DEALERS},
       "one claim each: labor, its parts and the deductible")
    # The invoices are valid EN 16931 documents in the dealers' outboxes.
    number = [v[0] for k, v in got.items() if k[:2] == ("DLR-R03", "remittance")][0]
    resp = c.srv.request("GET", "/v1/invoices/" + number, key=c.keys["DLR-R03"])
    harness.expect_status(resp, 200, "the dealer reads its remittance")
    eq(ubl_rules.check(resp.body.encode("utf-8")), [], "EN 16931 rules")
    # Again: nothing new.
    r = c.srv.ctl("billing", "run", "--period", PERIOD)
    check("finished" in r.stdout, "the run is finished: " + r.stdout[-300:])
    eq(run_invoices(c.srv), got, "no invoice issued twice")
    gap_free(c.srv)
    out = c.srv.ctl("audit", "list", "--entity", "invoice", "--limit", "100").stdout
    check("billing_run.invoice" in out, "run invoices are audited")


def test_claims_settled_by_the_run(c):
    """Each claim of the period is credited once, on its dealer's settlement
    credit note; a claim decided this month waits for its own month's run,
    and cannot be paid before it is settled."""
    d = CLAIM_DEALERS[0]
    number, note, pays = c.srv.sql(
        "SELECT number, COALESCE(settlement_note, ''), warrantor_pays FROM claims "
        "WHERE dealer_id = '%s'" % d).splitlines()[1].split("\t")
    got = run_invoices(c.srv)
    eq(note, got[(d, "settlement", "1")][0], "the claim names the run's credit note")
    eq(got[(d, "settlement", "1")][1], int(pays), "the credit note carries what the warrantor pays")
    root = dd.expect_reply(c.srv.request("GET", "/v1/claims/" + number, key=c.keys[d]),
                           "ClaimDecision", "the dealer reads its claim")
    eq(text(root, "SettlementNote"), note, "the dealer sees the settlement")
    ubl, body = tc.invoice(c, note, "the settlement credit note", key=c.keys[d])
    eq(ubl.tag, "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote",
       "a UBL credit note")
    eq(tc.ubl_totals(ubl)[0], "%d.%02d" % divmod(int(pays), 100), "its net")
    check(number in body, "its lines name the claim")
    # A claim decided today belongs to this month's run.
    serial = "CLM-NOW"
    dd.register(c.srv, c.keys[d], "REG-CLM-NOW", d, asset=tc.car(serial, dd.days(-800)),
                plan=tc.PLAN, sale=dd.days(-90))
    r = dd.post(c.srv, c.keys[d], tc.claim("CLAIM-NOW", serial,
                                           [tc.labor(1, "TR-0100", "2.0", "transmission")],
                                           usage=40000, dealer=d))
    now = text(dd.expect_reply(r, "ClaimDecision", "a claim today"), "ClaimNumber")
    expect_error(c.srv.request("POST", "/v1/claims/%s/paid" % now, key=c.finance), 409,
                 "claim-not-payable", "a claim not settled yet cannot be paid")
    c.srv.ctl("billing", "run", "--period", PERIOD)
    eq(run_invoices(c.srv), got, "the period's run does not settle this month's claim")
    r = c.srv.request("POST", "/v1/claims/%s/paid" % number, key=c.finance)
    eq(text(dd.expect_reply(r, "ClaimDecision", "pay a settled claim"), "State"), "paid", "paid")
    this_month = dd.today().strftime("%Y-%m")
    dry = c.srv.ctl("billing", "run", "--period", this_month, "--dealer", d, "--dry-run",
                    "--format", "csv").stdout.strip().splitlines()[1:]
    settle = [row.split(",") for row in dry if ",settlement," in row]
    eq([(row[0], row[4]) for row in settle], [(d, "to issue")], "this month's run would settle it")


def test_api_runs_in_the_background(c):
    two_back = (dd.today().replace(day=1) - __import__("datetime").timedelta(days=40))
    period = two_back.strftime("%Y-%m")
    body = ('<BillingRunRequest xmlns="%s"><Period>%s</Period><DealerId>DLR-R01</DealerId>'
            '</BillingRunRequest>' % (NS, period))
    expect_error(c.srv.request("POST", "/v1/billing-runs", key=c.keys["DLR-R01"], body=body),
                 403, None, "a dealer cannot run billing")
    r = c.srv.request("POST", "/v1/billing-runs", key=c.finance, body=body)
    check(r.status in (200, 202), "started: %d %s" % (r.status, r.body[:300]))
    root = parse_xml(r.body, "the run")
    dd.expect_valid(r.body, "BillingRun", "the run document")
    eq((text(root, "Period"), text(root, "Scope"), text(root, "Total")), (period, "DLR-R01", "0"),
       "nothing was sold that month")
    body = ('<BillingRunRequest xmlns="%s"><Period>%s</Period><DryRun>true</DryRun>'
            '</BillingRunRequest>' % (NS, PERIOD))
    r = c.srv.request("POST", "/v1/billing-runs", key=c.finance, body=body)
    root = dd.expect_reply(r, "BillingRun", "a dry run over the API")
    eq(text(root, "State"), "preview", "a preview")
    check(all(text(i, "State") == "done" for i in root.findall(q("Item"))),
          "the preview shows the invoices issued already")
    bad = '<BillingRunRequest xmlns="%s"><Period>2026-13</Period></BillingRunRequest>' % NS
    expect_error(c.srv.request("POST", "/v1/billing-runs", key=c.finance, body=bad), 400,
                 None, "an impossible month")
    expect_error(c.srv.request("GET", "/v1/billing-runs/999999", key=c.finance), 404,
                 "not-found", "no such run")


def test_installments(c):
    """A contract paid in 3 installments, sold two months ago: each month's
    run invoices its buyer one third; cancelled today, the buyer is
    credited what was invoiced beyond the price less the refund."""
    import datetime
    first = dd.today().replace(day=1)
    m2 = (first - datetime.timedelta(days=1)).replace(day=1) - datetime.timedelta(days=1)
    period2 = m2.strftime("%Y-%m")
    sale = "%s-05" % period2
    d = "DLR-R00"
    body = dd.registration("INST-1", d, asset=dd.asset_xml("INST-WM", purchase=sale),
                           plan=dd.plan_xml("SPLIT-36"), sale=sale)
    body = body.replace("</ContractRegistration>",
                        "<Installments>3</Installments></ContractRegistration>")
    r = dd.post(c.srv, c.keys[d], body)
    conf = dd.expect_reply(r, "ContractConfirmation", "an installment contract")
    dd.expect_valid(r.body, "ContractConfirmation", "the confirmation")
    number = text(conf, "ContractNumber")
    eq((text(conf, "Installments"), text(conf, "InvoiceNumber")), ("3", None),
       "no sale invoice: the runs invoice the installments")
    for period in (period2, PERIOD):
        c.srv.ctl("billing", "run", "--period", period, "--dealer", d)
    cid = c.srv.sql("SELECT id FROM contracts WHERE number = '%s'" % number).split()[-1]
    rows = c.srv.sql("SELECT source, line_total, buyer_name FROM invoices WHERE source LIKE "
                     "'installment:%s:%%' ORDER BY id" % cid).splitlines()[1:]
    eq([tuple(r.split("\t")) for r in rows],
       [("installment:%s:1" % cid, "3596", "Jana Becker"),
        ("installment:%s:2" % cid, "3596", "Jana Becker")],
       "107.88 in thirds, two months invoiced")
    # Run again: nothing new.
    c.srv.ctl("billing", "run", "--period", PERIOD, "--dealer", d)
    eq(len(c.srv.sql("SELECT id FROM invoices WHERE source LIKE 'installment:%s:%%'"
                     % cid).split()[1:]), 2, "each installment once")
    r = dd.post(c.srv, c.keys[d], dd.cancellation("INST-CAN", d, number))
    root = dd.expect_reply(r, "CancellationConfirmation", "cancel the installment contract")
    refund = int(text(root, "Refund", "RefundAmount").replace(".", ""))
    credited = int(c.srv.sql("SELECT COALESCE(SUM(line_total), 0) FROM invoices WHERE "
                             "source LIKE 'cancellation:%s%%' AND type = 'credit-note'"
                             % cid).split()[-1])
    balance = int(c.srv.sql("SELECT COALESCE(SUM(line_total), 0) FROM invoices WHERE "
                            "source = 'cancellation:%s'" % cid).split()[-1])
    eq(2 * 3596 - credited + balance, 10788 - refund,
       "invoiced less credited plus balance = the price less the refund")
    check(text(root, "CreditNoteNumber") or text(root, "InvoiceNumber"),
          "the confirmation names the settlement")
    # The next month's run invoices nothing more for it.
    eq(c.srv.sql("SELECT COUNT(*) FROM contracts WHERE number = '%s' AND cancelled_on IS NOT "
                 "NULL" % number).split()[-1], "1", "cancelled")


def _run_cli(srv):
    return subprocess.Popen([harness.CONTRACTCTL, "-c", srv.conf, "billing", "run", "--period",
                             PERIOD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, env=dict(os.environ, **PAUSES))


def _done(srv):
    out = srv.sql("SELECT COALESCE(MAX(done), 0) FROM billing_runs").split()
    return int(out[-1])


def test_kill_9_at_several_points_then_resume(c):
    """Another server with the same data: its run is killed with kill -9 —
    the CLI twice, then the server during an API run — and resumed; the
    invoices must match the uninterrupted run of the first server."""
    k = start("runs-killed", env=PAUSES)
    kills = 0
    for stop_at in (3, 20):
        p = _run_cli(k.srv)
        deadline = time.monotonic() + 120
        while p.poll() is None and _done(k.srv) < stop_at and time.monotonic() < deadline:
            time.sleep(0.005)
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
            kills += 1
        p.wait(30)
    # Now through the server, which is killed while its job runs.
    body = ('<BillingRunRequest xmlns="%s"><Period>%s</Period></BillingRunRequest>'
            % (NS, PERIOD))
    r = k.srv.request("POST", "/v1/billing-runs", key=k.finance, body=body)
    check(r.status in (200, 202), "resumed over the API: %d" % r.status)
    deadline = time.monotonic() + 120
    while _done(k.srv) < 40 and time.monotonic() < deadline:
        time.sleep(0.005)
    if _done(k.srv) < ITEMS:
        os.kill(k.srv.pid, signal.SIGKILL)
        k.srv.proc.wait(30)
        kills += 1
        k.srv.start()
    eq(kills, 3, "the run was killed mid-way three times")
    r = k.srv.request("POST", "/v1/billing-runs", key=k.finance, body=body)
    run_id = text(parse_xml(r.body, "the run"), "Id")
    deadline = time.monotonic() + 120
    while True:
        root = parse_xml(k.srv.request("GET", "/v1/billing-runs/" + run_id,
                                       key=k.finance).body, "progress")
        if text(root, "State") == "done" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    eq((text(root, "State"), text(root, "Done"), text(root, "Total")),
       ("done", str(ITEMS), str(ITEMS)), "the resumed run finished")
    killed, calm = run_invoices(k.srv), run_invoices(c.srv)
    eq({key: v[1:] for key, v in killed.items()}, {key: v[1:] for key, v in calm.items()},
       "the same invoices and totals as the uninterrupted run")
    gap_free(k.srv)
    eq(k.srv.sql("SELECT COUNT(*) FROM claims WHERE settlement_note IS NULL").split()[-1], "0",
       "every claim settled once")
    eq(k.srv.ctl("audit", "verify").returncode, 0, "the audit chain verifies")


test_kill_9_at_several_points_then_resume.timeout = 900


def test_late_registration_billed_by_rerun(c):
    """A contract registered late, with a sale date in a month already
    billed: running the month again bills it, and only it."""
    d = "DLR-R05"
    before = run_invoices(c.srv)
    number, _ = dd.register(c.srv, c.keys[d], "REG-LATE", d,
                            asset=dd.asset_xml("RUN-LATE", price="650.00", purchase=on(20)),
                            plan=dd.plan_xml("SPLIT-36"), sale=on(20))
    dry = c.srv.ctl("billing", "run", "--period", PERIOD, "--dry-run", "--format",
                    "csv").stdout.strip().splitlines()
    eq(len(dry), 2, "the dry run shows only what is still to bill: %s" % dry)
    out = c.srv.ctl("billing", "run", "--period", PERIOD).stdout
    check("finished" in out, "the run is finished again: " + out[-300:])
    after = run_invoices(c.srv)
    new = {k: v for k, v in after.items() if k not in before}
    eq(len(new), 1, "one new invoice")
    (dealer, kind, _), (_, net, lines) = next(iter(new.items()))
    cost = int(c.srv.sql("SELECT dealer_cost FROM contracts WHERE number = '%s'"
                         % number).split()[-1])
    eq((dealer, kind, net, lines), (d, "remittance", cost, 1), "the late contract's remittance")
    c.srv.ctl("billing", "run", "--period", PERIOD)
    eq(run_invoices(c.srv), after, "nothing more")


def test_cli_formats(c):
    """Reports for people by default, CSV or XML on request, the same rows."""
    args = ("report", "invoices", "--from", on(1), "--to", dd.today().isoformat())
    table = c.srv.ctl(*args).stdout
    csv = c.srv.ctl(*args, "--format", "csv").stdout.strip().splitlines()
    xml = parse_xml(c.srv.ctl(*args, "--format", "xml").stdout, "the XML report")
    rows = xml.findall(q("Row"))
    check(len(csv) > 10, "invoices in the register: %d" % len(csv))
    eq(len(rows), len(csv) - 1, "as many XML rows as CSV lines")
    eq([f.get("name") for f in rows[0].findall(q("Field"))], csv[0].split(","),
       "the XML fields are the CSV columns")
    check("\t" not in table and "," not in table.splitlines()[0], "a table, not CSV")
    xml = parse_xml(c.srv.ctl("dealer", "list", "--format", "xml").stdout, "dealers")
    eq(len(xml.findall(q("Row"))), len(DEALERS), "dealer list as XML")
    r = c.srv.ctl("report", "invoices", "--from", on(1), "--to", on(2), "--format", "yaml",
                  check_rc=False)
    eq(r.returncode, 2, "an unknown format is a usage error")


def test_still_healthy(c):
    c.srv.healthy("after the billing runs")
    log = c.srv.log_text()
    check("AddressSanitizer" not in log and "runtime error" not in log,
          "sanitizer report in the log:\n" + log[-2000:])


if __name__ == "__main__":
    harness.main(globals())
