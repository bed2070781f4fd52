#!/usr/bin/env python3
"""Revenue, loss ratio, invoice register and ledger journal reconcile, end
to end, over 18 months of generated history (fixed seed 20261122).

The server's today is the real date, so the history is made like this:

  - through the API, as dealers would: contracts registered with backdated
    SaleDates on four plans (one starting at the purchase, one when the
    maker's warranty ends, two cars with usage), some cancelled on
    backdated CancellationDates, claims on the car plan with backdated
    ServiceDates (under the maker's warranty or the contract, with the
    deductible and the limit of liability). Each produces its invoices and
    credit notes. A claim is decided when it is posted, so the claims'
    created_at is then moved back to a few days after the service date, as
    if each had been decided then;
  - directly in MariaDB, a thousand more contracts: a third sold up to 30
    months ago, so the 18-month window opens with unearned balances, a
    fifth cancelled, some in JPY on a plan of their own (the pricing
    plugins here price in euros), and claims on them with lines under the
    maker's warranty, the contract and the customer;
  - the dealers' parts orders through the API; then every invoice is
    dated back in SQL to its document's day (contractd dates an invoice
    the day it issues it), so the history has receivables;
  - payments through the API with backdated ReceivedDates and PaidDates:
    dealers and customers paying invoices in full, in part and over,
    money received before the invoice it pays, payments on account and
    automatically allocated, unapplied cash applied later (applied today,
    then dated back in SQL), credit notes set off against invoices and
    refunded, and yen on account; last, some of it reversed on backdated
    ReversalDates: payments paid in full, paid in part or over, applied
    later, in yen, a refund and a set-off.

Then, for every month and plan, every month and dealer, and the totals:
opening + written - earned - cancelled = closing to the cent, each month
opening where the last one closed, every amount equal to an independent
computation of the earning rule (docs/finance.md) from the contracts
table; over the contracts' whole lives earned + cancelled = written and
nothing stays unearned; loss ratio = incurred / earned with incurred
recomputed from the claims tables; the invoice register adds up to the
invoices table; every journal entry balances, the journal as a whole
balances per currency, and its earning, cancellation, claim and invoice
entries match the other reports. And money: from the first day of the
history up to every month end (and more days), per currency, the
journal's receivable is the aging report's open invoices less open credit
notes, its unapplied cash the aging's unapplied, and its cash what the
payments table says was received less refunded, less what reversals
undid.
"""
import calendar
import datetime
import itertools
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, expect_error  # noqa: E402
import dealer_docs as dd  # noqa: E402
from dealer_docs import text  # noqa: E402

SEED = 20261122
DEALERS = ("DLR-0042", "DLR-0107", "DLR-0311")
EXP = {"EUR": 2, "JPY": 0}
API_CONTRACTS = 2000
API_CANCELLATIONS = 300
API_CLAIMS = 300
POSTERS = 4
SQL_CONTRACTS = 1000
SQL_CLAIMS = 400
PARTS_ORDERS = 45             # the dealers' own invoices
CUSTOMER_PAYMENTS = 100       # customers' invoices paid (of about 2 300)
ON_ACCOUNT = 8                # payments recorded unapplied, applied later
AUTO_ALLOCATED = 8            # payments that settle the oldest due first
REFUNDS = 40                  # credit notes paid out
SET_OFFS = 8                  # claim settlements set off against parts invoices
REVERSALS = 7                 # payments, a refund and a set-off reversed
# The cash account configured, unapplied cash on its default.
LEDGER = {"receivable": "1400", "vat_payable": "3806", "origin.other": "4950",
          "cash": "1010"}
RECEIVABLE, CASH, UNAPPLIED = "1400", "1010", "2100"

TODAY = dd.today()


def month_start(d, delta=0):
    m = d.month - 1 + delta
    return datetime.date(d.year + m // 12, m % 12 + 1, 1)


def add_months(d, months):
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return datetime.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def ym(d):
    return d.isoformat()[:7]


# The revenue window: the 18 months up to this one, and two ahead.
FROM = month_start(TODAY, -17)
TO = month_start(TODAY, 2)            # the last month shown
MONTHS = [month_start(FROM, i) for i in range(20)]
BOUNDS = MONTHS + [month_start(TO, 1)]


# ---------------------------------------------------------------------------
# The earning rule, independently (docs/finance.md, core/reports/earning.h)
# ---------------------------------------------------------------------------

def cumulative(price, start, end, day):
    term = (end - start).days
    elapsed = min(max((day - start).days, 0), term)
    if elapsed == term:
        return price
    q, r = divmod(price * elapsed, term)      # prices here are >= 0
    return q + (1 if 2 * r >= term else 0)


def position(c, day):
    """(written, earned, cancelled, unearned) at the start of day."""
    if c["sale"] >= day:
        return (0, 0, 0, 0)
    if c["cancelled"] is not None and c["cancelled"] < day:
        e = cumulative(c["price"], c["start"], c["end"], c["cancelled"])
        return (c["price"], e, c["price"] - e, 0)
    e = cumulative(c["price"], c["start"], c["end"], day)
    return (c["price"], e, 0, c["price"] - e)


def expected_revenue(contracts, bounds, key):
    """{(group, currency): [(opening, written, earned, cancelled, closing)]}"""
    sums = defaultdict(lambda: [[0, 0, 0, 0] for _ in bounds])
    for c in contracts:
        s = sums[(c[key], c["currency"])]
        for i, b in enumerate(bounds):
            p = position(c, b)
            for k in range(4):
                s[i][k] += p[k]
    out = {}
    for g, s in sums.items():
        out[g] = [(s[i][3], s[i + 1][0] - s[i][0], s[i + 1][1] - s[i][1], s[i + 1][2] - s[i][2],
                   s[i + 1][3]) for i in range(len(bounds) - 1)]
    return out


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def minor(value, currency):
    """'-12.34' in EUR -> -1234; '' -> 0."""
    if value == "":
        return 0
    e = EXP[currency]
    neg = value.startswith("-")
    whole, _, frac = value.lstrip("-").partition(".")
    check(len(frac) == e, "%r has %d decimals, %s has %d" % (value, len(frac), currency, e))
    n = int(whole) * 10 ** e + (int(frac) if frac else 0)
    return -n if neg else n


def amount_text(n, currency):
    """-1234 in EUR -> '-12.34': minor()'s inverse."""
    e = EXP[currency]
    sign = "-" if n < 0 else ""
    whole, frac = divmod(abs(n), 10 ** e)
    return "%s%d.%0*d" % (sign, whole, e, frac) if e else "%s%d" % (sign, whole)


def parse_csv(body, what):
    import csv
    import io
    check(body.endswith("\r\n") or body == "", "%s: rows end in CRLF" % what)
    rows = list(csv.reader(io.StringIO(body, newline="")))
    check(rows, "%s: empty" % what)
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def get_csv(c, path, what, key=None):
    r = c.srv.request("GET", path, key=key or c.finance, timeout=120 * harness.SLOW)
    harness.expect_status(r, 200, what)
    eq(r.headers.get("content-type", "").split(";")[0], "text/csv", "%s: Content-Type" % what)
    return parse_csv(r.body, what) + (r.body,)


def sql_script(srv, script, timeout=300):
    """Runs a whole SQL script through one mariadb client (stdin)."""
    cmd = ["mariadb", "--no-defaults", "-S", srv.socket_path, "-u", srv.db_user, "--batch",
           "contractd"]
    r = subprocess.run(cmd, input=script, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout * harness.SLOW)
    if r.returncode != 0:
        harness.fail("mariadb script exited %d: %s" % (r.returncode, r.stderr[:2000]))
    return r.stdout


def rows_of(srv, query):
    out = srv.sql(query).splitlines()
    if not out:
        return []
    head = out[0].split("\t")
    return [dict(zip(head, ln.split("\t"))) for ln in out[1:]]


def date_or_none(s):
    return None if s in (None, "", "NULL") else datetime.date.fromisoformat(s)


def load_contracts(srv):
    out = []
    for r in rows_of(srv, "SELECT id, number, plan_code, dealer_id, currency, net_price, "
                          "sale_date, start_date, end_date, cancelled_on FROM contracts"):
        out.append({"id": int(r["id"]), "number": r["number"], "plan": r["plan_code"],
                    "dealer": r["dealer_id"], "currency": r["currency"],
                    "price": int(r["net_price"]), "sale": date_or_none(r["sale_date"]),
                    "start": date_or_none(r["start_date"]), "end": date_or_none(r["end_date"]),
                    "cancelled": date_or_none(r["cancelled_on"])})
    return out


# ---------------------------------------------------------------------------
# Generating the history
# ---------------------------------------------------------------------------

PLANS = {
    # code: (category, asset price range in euros, usage unit)
    "APPL-36": ("appliance.washer", (250, 2500), "none"),
    "HP-COMFORT-60": ("hvac.heatpump", (6000, 16000), "none"),
    "CAR-24-40K": ("vehicle.car", (12000, 40000), "km"),
    "CLAIM-PT-48": ("vehicle.car", (15000, 30000), "km"),
}


def labor(no, code, hours, component="engine"):
    return ("<Labor><LineNumber>%d</LineNumber><OperationCode>%s</OperationCode>"
            "<ComponentCategory>%s</ComponentCategory><Hours>%s</Hours></Labor>"
            % (no, code, component, hours))


def part(no, number, component="engine"):
    return ("<Part><LineNumber>%d</LineNumber><PartNumber>%s</PartNumber>"
            "<ComponentCategory>%s</ComponentCategory><Quantity>1</Quantity></Part>"
            % (no, number, component))


def claim_doc(doc_id, dealer, serial, date, usage, lines):
    return ('<ServiceClaim xmlns="%s">%s<RepairOrder>RO-%s</RepairOrder>'
            '<AssetRef><SerialNumber>%s</SerialNumber></AssetRef>'
            '<ServiceDate>%s</ServiceDate><Usage>%d</Usage><Currency>EUR</Currency>'
            '<Complaint>Noise from the engine</Complaint><Maintenance>false</Maintenance>'
            '<Diagnostic>false</Diagnostic><Lines>%s</Lines></ServiceClaim>'
            % (harness.NS, dd.header(doc_id, dealer), doc_id, serial, date, usage,
               "".join(lines)))


def post_all(c, docs, tag, what):
    """Posts (dealer, body) documents from POSTERS threads; returns the
    reply roots in order. The documents are made beforehand, so the seed
    alone decides them whatever order the server sees them in."""
    def one(i):
        dealer, body = docs[i]
        return dd.expect_reply(dd.post(c.srv, c.keys[dealer], body), tag, "%s %d" % (what, i))
    with ThreadPoolExecutor(POSTERS) as pool:
        return list(pool.map(one, range(len(docs))))


def through_the_api(c, rng):
    """Registrations, cancellations and claims posted as a dealer would."""
    made, docs = [], []
    for i in range(API_CONTRACTS):
        code = rng.choice(sorted(PLANS))
        category, (lo, hi), unit = PLANS[code]
        dealer = rng.choice(DEALERS)
        sale = TODAY - datetime.timedelta(days=rng.randint(0, 540))
        # Bought up to three weeks before the sale (the term runs from the
        # purchase: a catch-up on the sale day); older cars for the claims.
        back = rng.randint(0, 900) if code == "CLAIM-PT-48" else rng.randint(0, 21)
        purchase = sale - datetime.timedelta(days=back)
        serial = "API-%04d" % i
        usage = rng.randint(1000, 30000) if unit == "km" else None
        asset = dd.asset_xml(serial, price="%d.%02d" % (rng.randint(lo, hi), rng.randint(0, 99)),
                             category=category, purchase=purchase.isoformat(), unit=unit,
                             usage_at_sale=usage, mw_months=24,
                             mw_limit=60000 if unit == "km" else None)
        docs.append((dealer, dd.registration("REG-%04d" % i, dealer, asset=asset,
                                             plan=dd.plan_xml(code), sale=sale.isoformat())))
        made.append({"dealer": dealer, "code": code, "sale": sale, "purchase": purchase,
                     "serial": serial, "usage": usage})
    for m, root in zip(made, post_all(c, docs, "ContractConfirmation", "registration")):
        m["number"] = text(root, "ContractNumber")
    docs, cancelled = [], set()
    for i, m in enumerate(rng.sample(made, API_CANCELLATIONS)):
        day = m["sale"] + datetime.timedelta(days=rng.randint(0, (TODAY - m["sale"]).days))
        reading = m["usage"] + rng.randint(0, 4000) if m["usage"] is not None else None
        docs.append((m["dealer"], dd.cancellation("CXL-%04d" % i, m["dealer"], m["number"],
                                                  date=day.isoformat(), usage=reading)))
        cancelled.add(m["number"])
    post_all(c, docs, "CancellationConfirmation", "cancellation")
    cars = [m for m in made if m["code"] == "CLAIM-PT-48" and m["number"] not in cancelled]
    check(cars, "some CLAIM-PT-48 contracts to claim on")
    # Each contract's claims one after the other (they use up its limit of
    # liability in the order they arrive), different contracts at once.
    per_contract = defaultdict(list)
    for i in range(API_CLAIMS):
        m = rng.choice(cars)
        first = m["sale"] + datetime.timedelta(days=31)
        if first > TODAY:
            first = TODAY
        day = first + datetime.timedelta(days=rng.randint(0, (TODAY - first).days))
        m["usage"] += rng.randint(100, 3000)
        lines = [labor(1, "ENG-0001", rng.choice(["0.5", "1.0", "2.5"])), part(2, "ENG-PUMP")]
        if rng.random() < 0.3:
            lines.append(part(3, "BODY-MIRROR", component="body"))
        decided = min(day + datetime.timedelta(days=rng.randint(0, 6)), TODAY)
        per_contract[m["number"]].append((i, m["dealer"], claim_doc(
            "CLM-%04d" % i, m["dealer"], m["serial"], day.isoformat(), m["usage"], lines),
            decided))

    def claims_of(number):
        out = []
        for i, dealer, body, decided in per_contract[number]:
            root = dd.expect_reply(dd.post(c.srv, c.keys[dealer], body), "ClaimDecision",
                                   "claim %d" % i)
            out.append("UPDATE claims SET created_at = '%s 10:%02d:00' WHERE number = '%s';"
                       % (decided.isoformat(), i % 60, text(root, "ClaimNumber")))
        return out
    with ThreadPoolExecutor(POSTERS) as pool:
        moves = [m for part_ in pool.map(claims_of, sorted(per_contract)) for m in part_]
    # As if each claim had been decided a few days after the repair.
    sql_script(c.srv, "\n".join(moves))
    return made


def in_the_database(c, rng):
    """SQL_CONTRACTS contracts and SQL_CLAIMS claims written directly."""
    templates = {r["plan_code"]: r for r in rows_of(c.srv, "SELECT plan_code, MIN(id) AS id "
                                                           "FROM contracts GROUP BY plan_code")}
    check(set(PLANS) <= set(templates), "an API contract of every plan: %s" % sorted(templates))
    script = ["SET autocommit = 0;",
              # A plan of its own for contracts sold in yen.
              "INSERT INTO plans (code, version, name, currency, term_months, pricing_plugin, "
              "definition_hash, definition) SELECT 'JP-APPL-36', version, 'Appliance 36 JPY', "
              "'JPY', term_months, pricing_plugin, definition_hash, definition FROM plans "
              "WHERE code = 'APPL-36' ORDER BY version DESC LIMIT 1;"]
    terms = {"APPL-36": (0, 36), "JP-APPL-36": (0, 36), "HP-COMFORT-60": (24, 60),
             "CAR-24-40K": (0, 24), "CLAIM-PT-48": (0, 48)}
    codes = sorted(terms)
    contracts = []
    for i in range(SQL_CONTRACTS):
        code = rng.choice(codes)
        delay, months = terms[code]
        currency = "JPY" if code == "JP-APPL-36" else "EUR"
        # A third sold before the revenue window opens: opening balances.
        sale = TODAY - datetime.timedelta(days=rng.randint(0, 900 if i % 3 == 0 else 540))
        purchase = sale - datetime.timedelta(days=rng.randint(0, 20))
        start = add_months(purchase, delay)
        end = add_months(start, months)
        if end <= sale:
            continue
        price = rng.randint(2900, 400000) if currency == "EUR" else rng.randint(3000, 60000)
        if i % 97 == 0:
            price = 1  # a single minor unit, earned on one day
        cost = price * 65 // 100
        fee = cost * 30 // 100
        cancelled = None
        if rng.random() < 0.2:
            cancelled = sale + datetime.timedelta(days=rng.randint(0, (TODAY - sale).days))
        template = templates["APPL-36" if code == "JP-APPL-36" else code]["id"]
        script.append(
            "INSERT INTO contracts (dealer_id, asset_id, document_id, plan_code, plan_version, "
            "state, sale_date, start_date, end_date, usage_unit, currency, liability_limit, "
            "deductible, net_price, tax_category, tax_rate, tax, total, dealer_cost, admin_fee, "
            "claims_reserve, dealer_margin, plugin_name, plugin_version, input_hash, "
            "cancelled_on) SELECT '%s', asset_id, 'BULK-%05d', '%s', plan_version, '%s', '%s', "
            "'%s', '%s', usage_unit, '%s', liability_limit, deductible, %d, tax_category, "
            "tax_rate, %d, %d, %d, %d, %d, %d, plugin_name, plugin_version, input_hash, %s "
            "FROM contracts WHERE id = %s;"
            % (rng.choice(DEALERS), i, code, "cancelled" if cancelled else "active",
               sale.isoformat(), start.isoformat(), end.isoformat(), currency, price,
               price * 19 // 100, price + price * 19 // 100, cost, fee, cost - fee, price - cost,
               "'%s'" % cancelled.isoformat() if cancelled else "NULL", template))
        contracts.append((code, currency, sale, start, end, cancelled))
    script.append("UPDATE contracts SET number = CONCAT('SC-', LPAD(id, 8, '0')) "
                  "WHERE number IS NULL;")
    script.append("COMMIT;")
    sql_script(c.srv, "\n".join(script))

    # Claims on them, decided between the repair and today.
    ids = rows_of(c.srv, "SELECT id, dealer_id, currency, sale_date, start_date, end_date, "
                         "cancelled_on FROM contracts WHERE document_id LIKE 'BULK-%'")
    script = ["SET autocommit = 0;"]
    for i in range(SQL_CLAIMS):
        k = rng.choice(ids)
        sale = datetime.date.fromisoformat(k["sale_date"])
        last = min(TODAY, datetime.date.fromisoformat(k["end_date"]) - datetime.timedelta(days=1),
                   date_or_none(k["cancelled_on"]) or TODAY)
        if last < sale:
            continue
        day = sale + datetime.timedelta(days=rng.randint(0, (last - sale).days))
        decided = min(day + datetime.timedelta(days=rng.randint(0, 10)), TODAY)
        scale = 100 if k["currency"] == "EUR" else 1
        # The contract covers from its start (a warranty-end plan: the
        # maker's warranty until then).
        covers = day >= datetime.date.fromisoformat(k["start_date"])
        lines = []   # (kind, coverage, covered, customer)
        for _ in range(rng.randint(1, 4)):
            amount = rng.randint(20, 900) * scale + rng.randint(0, scale - 1)
            cov = rng.choice(["service-contract", "service-contract", "manufacturer-warranty",
                              "post-warranty"] if covers else
                             ["manufacturer-warranty", "post-warranty"])
            lines.append((rng.choice(["labor", "part"]), cov,
                          0 if cov == "post-warranty" else amount,
                          amount if cov == "post-warranty" else 0))
        sc = sum(ln[2] for ln in lines if ln[1] == "service-contract")
        deductible = min(sc, rng.choice([0, 50, 100]) * scale)
        covered = sum(ln[2] for ln in lines) - deductible
        customer = sum(ln[3] for ln in lines) + deductible
        state = rng.choice(["approved", "approved", "partially-approved", "paid"])
        if covered == 0:
            state = "rejected"
        elif rng.random() < 0.05:
            state = "rejected"  # (a rejected claim's covered amount never counts)
        script.append(
            "INSERT INTO claims (dealer_id, document_id, repair_order, serial, asset_id, "
            "contract_id, service_date, state, currency, amount, deductible, covered, "
            "customer_pays, warrantor_pays, complaint, created_at) SELECT dealer_id, "
            "'BULKCLM-%05d', 'RO-B%05d', 'BULK', asset_id, id, '%s', '%s', currency, %d, %d, %d, "
            "%d, %d, 'Generated', '%s 12:00:00' FROM contracts WHERE id = %s;"
            % (i, i, day.isoformat(), state, covered + customer, deductible, covered, customer,
               covered, decided.isoformat(), k["id"]))
        script.append("SET @claim = LAST_INSERT_ID();")
        for n, (kind, cov, cv, cu) in enumerate(lines):
            script.append(
                "INSERT INTO claim_lines (claim_id, seq, line_number, kind, code, quantity, "
                "amount, coverage, reason, covered, customer, tax_category) VALUES (@claim, %d, "
                "%d, '%s', 'GEN-%d', '1', %d, '%s', 'generated', %d, %d, 'S');"
                % (n + 1, n + 1, kind, n, cv + cu, cov, cv, cu))
    script.append("UPDATE claims SET number = CONCAT('CL-', LPAD(id, 8, '0')) "
                  "WHERE number IS NULL;")
    script.append("COMMIT;")
    sql_script(c.srv, "\n".join(script))


def dealer_parts_orders(c, rng):
    """Parts orders: the dealers' own invoices. Returns {invoice: the day
    it is dated}."""
    docs, days = [], []
    for i in range(PARTS_ORDERS):
        dealer = rng.choice(DEALERS)
        items = [(rng.choice(["ENG-PUMP", "TR-CLUTCH", "BODY-MIRROR"]), str(rng.randint(1, 3)))
                 for _ in range(rng.randint(1, 3))]
        docs.append((dealer, dd.parts_order("PO-%04d" % i, dealer, items)))
        days.append(TODAY - datetime.timedelta(days=rng.randint(0, 540)))
    roots = post_all(c, docs, "PartsOrderConfirmation", "parts order")
    return {text(root, "InvoiceNumber"): day for root, day in zip(roots, days)}


def date_invoices_as_their_documents(c, parts_days):
    """contractd dates an invoice the day it issues it; each moves to its
    document's date (sale, cancellation, the claim's decision, the parts
    order), due as many days later as before, as if issued then."""
    script = ["SET autocommit = 0;"]
    # (source prefix, table, its date) by the id in the source
    # ("contract:17", "cancellation:17[:INV-...]", "claim:9:settlement").
    for prefix, table, day in (("contract", "contracts", "t.sale_date"),
                               ("cancellation", "contracts", "t.cancelled_on"),
                               ("claim", "claims", "DATE(t.created_at)")):
        join = ("UPDATE invoices i JOIN %s t ON i.source LIKE '%s:%%' AND t.id = "
                "CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(i.source, ':', 2), ':', -1) AS UNSIGNED) "
                % (table, prefix))
        # The due date first: it needs the issue date it had.
        script.append(join + "SET i.due_date = %s + INTERVAL DATEDIFF(i.due_date, i.issue_date) "
                      "DAY;" % day)
        script.append(join + "SET i.issue_date = %s;" % day)
    for number, day in sorted(parts_days.items()):
        script.append("UPDATE invoices SET due_date = '%s' + INTERVAL DATEDIFF(due_date, "
                      "issue_date) DAY, issue_date = '%s' WHERE number = '%s';"
                      % (day, day, number))
    script.append("COMMIT;")
    sql_script(c.srv, "\n".join(script))


def payments_through_the_api(c, rng):
    """Money over the history, as finance records it: full, partial and
    over-payments of dealers' and customers' invoices, money received
    before the invoice it pays, payments on account and automatically
    allocated, their unapplied cash applied later (the application is made
    today, then dated back in SQL to a day between the payment and today,
    as claims' decisions are), claim settlements set off against parts
    invoices, refunds of credit notes, and last some of it reversed. One
    request at a time: automatic allocation depends on what is open.
    Returns days worth an aging identity of their own."""
    docs = rows_of(c.srv, "SELECT number, type, issue_date, currency, payable, dealer_id, "
                          "IF(buyer_party_id = dealer_id, 'dealer', 'customer') AS kind, "
                          "buyer_name FROM invoices ORDER BY issue_date, id")
    open_ = {d["number"]: int(d["payable"]) for d in docs}
    issued = {d["number"]: datetime.date.fromisoformat(d["issue_date"]) for d in docs}
    refs = itertools.count(1)
    later, moves, days = [], [], set()

    def payer_of(d):
        if d["kind"] == "dealer":
            return ("dealer", d["dealer_id"])
        return ("customer", d["buyer_name"], d["dealer_id"])

    def between(a, b):
        return a + datetime.timedelta(days=rng.randint(0, max((b - a).days, 0)))

    def record(payer, day, amount, currency="EUR", allocs=(), auto=None):
        body = dd.payment_xml(payer, day.isoformat(), amount_text(amount, currency),
                              "BANK-%05d" % next(refs), currency=currency, auto=auto,
                              allocs=[(n, amount_text(a, currency)) for n, a in allocs])
        r = dd.payment_receipt(c.srv.request("POST", "/v1/payments", key=c.finance, body=body),
                               "a payment by %s on %s" % (payer[1], day))
        for number, _, _, _, open_now in r["allocs"]:
            open_[number] = minor(open_now, currency)
        if minor(r["unapplied"], currency) > 0:
            later.append((r["id"], payer, currency, day, minor(r["unapplied"], currency)))
        return r

    invoices = [d for d in docs if d["type"] == "invoice" and d["currency"] == "EUR"]
    dealers = [d for d in invoices if d["kind"] == "dealer"]
    customers = [d for d in invoices if d["kind"] == "customer"]
    check(len(dealers) >= PARTS_ORDERS and len(customers) >= CUSTOMER_PAYMENTS,
          "invoices to pay: %d dealers', %d customers'" % (len(dealers), len(customers)))
    chosen = dealers + rng.sample(customers, CUSTOMER_PAYMENTS)
    chosen.sort(key=lambda d: (issued[d["number"]], d["number"]))
    for d in chosen:
        n, issue, due = d["number"], issued[d["number"]], open_[d["number"]]
        x = rng.random()
        if due <= 0 or x >= 0.85:
            continue                                   # unpaid
        if x < 0.35:                                   # in full
            record(payer_of(d), between(issue, TODAY), due, allocs=[(n, due)])
        elif x < 0.55:                                 # in part
            part = max(1, due * rng.randint(20, 80) // 100)
            record(payer_of(d), between(issue, TODAY), part, allocs=[(n, part)])
        elif x < 0.70:                                 # over: the rest stays unapplied
            record(payer_of(d), between(issue, TODAY), due + rng.randint(1, 20000),
                   allocs=[(n, due)])
        else:                                          # before the invoice: applied on its day
            day = issue - datetime.timedelta(days=rng.randint(1, 20))
            record(payer_of(d), day, due, allocs=[(n, due)])
            days.update((day, issue - datetime.timedelta(days=1), issue))
    for _ in range(ON_ACCOUNT):
        d = rng.choice(chosen)
        record(payer_of(d), between(TODAY - datetime.timedelta(days=540), TODAY),
               rng.randint(1000, 90000), auto=False)
    for _ in range(AUTO_ALLOCATED):
        d = rng.choice(dealers)
        record(payer_of(d), between(TODAY - datetime.timedelta(days=540), TODAY),
               rng.randint(10000, 200000))
    # Yen on account: no yen invoice is ever issued here.
    for dealer in DEALERS[:2]:
        record(("dealer", dealer), between(TODAY - datetime.timedelta(days=400), TODAY),
               rng.randint(1000, 90000), currency="JPY", auto=False)

    # Unapplied cash applied later, to another open invoice of the payer.
    for pid, payer, currency, received, unapplied in later:
        targets = [d for d in invoices if payer_of(d) == payer and open_[d["number"]] > 0 and
                   d["currency"] == currency]
        if not targets or rng.random() < 0.2:
            continue
        t = rng.choice(targets)["number"]
        amount = min(unapplied, open_[t])
        r = dd.payment_receipt(c.srv.request(
            "POST", "/v1/payments/%s/allocations" % pid, key=c.finance,
            body=dd.application_xml([(t, amount_text(amount, currency))], currency)),
            "applying payment %s" % pid, 200)
        for number, _, _, _, open_now in r["allocs"]:
            open_[number] = minor(open_now, currency)
        day = between(max(received, issued[t]), TODAY)
        if day < TODAY:
            moves.append("UPDATE payment_allocations SET applied_on = '%s' WHERE payment_id = %s "
                         "AND invoice_id = (SELECT id FROM invoices WHERE number = '%s') "
                         "AND applied_on = '%s' ORDER BY id DESC LIMIT 1;"
                         % (day, pid, t, TODAY))
            days.add(day)

    # Claim settlements set off against the dealer's open invoices, oldest
    # due first: no money moves. Some are dated before an invoice they
    # settle was issued: that part waits in unapplied cash until then.
    notes = [d for d in docs if d["type"] == "credit-note" and d["currency"] == "EUR"]
    set_off = set()
    for d in rng.sample([d for d in notes if d["kind"] == "dealer"], SET_OFFS):
        n, payer = d["number"], payer_of(d)
        amount = min(open_[n], sum(open_[x["number"]] for x in invoices if payer_of(x) == payer))
        if amount <= 0:
            continue
        day = between(issued[n], TODAY)
        body = dd.set_off_xml(day.isoformat(), amount_text(amount, "EUR"),
                              "SET-OFF-%05d" % next(refs))
        r = dd.payment_receipt(c.srv.request("POST", "/v1/invoices/%s/set-offs" % n,
                                             key=c.finance, body=body), "set-off of %s" % n)
        for number, _, _, _, open_now in r["allocs"]:
            open_[number] = minor(open_now, "EUR")
        open_[n] -= amount
        set_off.add(n)
        days.add(day)
    check(len(set_off) >= SET_OFFS // 2, "%d credit notes set off" % len(set_off))

    # Credit notes paid out (a cancellation's to the customer, a claim
    # settlement to the dealer), in full or in part, on or after their day.
    notes = [d for d in notes if d["number"] not in set_off]
    check(len(notes) >= REFUNDS, "%d credit notes to refund" % len(notes))
    for d in rng.sample(notes, REFUNDS):
        n = d["number"]
        amount = open_[n] if rng.random() < 0.6 else max(1, open_[n] // 3)
        body = dd.refund_xml(between(issued[n], TODAY).isoformat(), amount_text(amount, "EUR"),
                             "OUT-%05d" % next(refs))
        r = dd.payment_receipt(c.srv.request("POST", "/v1/invoices/%s/refunds" % n,
                                             key=c.finance, body=body), "refund of %s" % n)
        open_[n] = minor(r["allocs"][0][4], "EUR")
    sql_script(c.srv, "SET autocommit = 0;\n%s\nCOMMIT;" % "\n".join(moves))
    check(len(moves) >= 5, "unapplied cash applied on %d earlier days" % len(moves))
    days.update(reversals(c, rng, between))
    return days


def reversals(c, rng, between):
    """Reverses, through the API, received payments in euros paid in full,
    paid in part or over, one applied later, one in yen, a refund and a
    set-off (by either half), each on a day between its last allocation
    (as dated back) and today. Returns the days and the days before."""
    rows = rows_of(c.srv,
                   "SELECT p.id, p.direction, p.method, p.currency, p.amount - (SELECT "
                   "COALESCE(SUM(a.amount), 0) FROM payment_allocations a WHERE a.payment_id = "
                   "p.id) AS unapplied, (SELECT COUNT(*) FROM payment_allocations a WHERE "
                   "a.payment_id = p.id AND a.applied_on > p.received_date) AS later, "
                   "GREATEST(p.received_date, (SELECT COALESCE(MAX(a.applied_on), "
                   "p.received_date) FROM payment_allocations a JOIN payments h ON h.id = "
                   "a.payment_id WHERE h.id = p.id OR (p.method = 'set-off' AND h.method = "
                   "'set-off' AND h.payer_kind = p.payer_kind AND h.payer = p.payer AND "
                   "h.reference = p.reference))) AS first FROM payments p ORDER BY p.id")
    cash = [p for p in rows if p["method"] != "set-off"]
    eur = [p for p in cash if p["direction"] == "received" and p["currency"] == "EUR"]
    groups = (
        ("applied later", [p for p in eur if int(p["later"]) > 0]),
        ("paid in part or over", [p for p in eur if int(p["unapplied"]) > 0]),
        ("paid in full", [p for p in eur if int(p["unapplied"]) == 0]),
        ("paid in full", [p for p in eur if int(p["unapplied"]) == 0]),
        ("in yen", [p for p in cash if p["currency"] == "JPY"]),
        ("a refund", [p for p in cash if p["direction"] == "refund"]),
        ("a set-off", [p for p in rows if p["method"] == "set-off"]),
    )
    eq(len(groups), REVERSALS, "a payment of each kind")
    chosen, days = [], set()
    for what, group in groups:
        group = [p for p in group if p not in chosen]
        check(group, "a payment to reverse: %s" % what)
        chosen.append(rng.choice(group))
    for p in chosen:
        day = between(datetime.date.fromisoformat(p["first"]), TODAY)
        r = dd.payment_receipt(c.srv.request(
            "POST", "/v1/payments/%s/reversal" % p["id"], key=c.finance,
            body=dd.reversal_xml(day.isoformat(), "Returned by the bank")),
            "reversing payment %s on %s" % (p["id"], day), 200)
        eq((r["reversed_on"], r["allocated"]), (day.isoformat(), amount_text(0, p["currency"])),
           "payment %s reversed" % p["id"])
        days.update((day - datetime.timedelta(days=1), day))
    return days


def setup():
    t0 = time.monotonic()
    c = dd.start_server("reconciliation", dealers=DEALERS, seller=True,
                        extra_plugins=[dd.BILLING_PLUGIN, dd.PARTS_PLUGIN],
                        extra_sections={"ledger": LEDGER})
    c.srv.ctl("catalog", "import", os.path.join(dd.CLAIMS_DATA, "catalog.xml"))
    c.finance = c.srv.create_key("finance")
    c.admin = c.srv.admin_key
    rng = random.Random(SEED)
    t1 = time.monotonic()
    through_the_api(c, rng)
    t2 = time.monotonic()
    in_the_database(c, rng)
    t3 = time.monotonic()
    date_invoices_as_their_documents(c, dealer_parts_orders(c, rng))
    c.money_days = payments_through_the_api(c, rng)
    t4 = time.monotonic()
    c.contracts = load_contracts(c.srv)
    harness.diag("server %.1fs, %d API documents %.1fs, SQL history %.1fs, parts orders and "
                 "%d payments %.1fs; %d contracts" % (
                     t1 - t0, API_CONTRACTS + API_CANCELLATIONS + API_CLAIMS, t2 - t1, t3 - t2,
                     int(rows_of(c.srv, "SELECT COUNT(*) AS n FROM payments")[0]["n"]), t4 - t3,
                     len(c.contracts)))
    return c


# ---------------------------------------------------------------------------
# Revenue
# ---------------------------------------------------------------------------

def revenue(c, by=None, frm=FROM, to=TO):
    path = "/v1/reports/revenue.csv?from=%s&to=%s" % (ym(frm), ym(to))
    if by:
        path += "&by=" + by
    head, rows, body = get_csv(c, path, "revenue by %s" % (by or "plan"))
    eq(head, ["month", by or "plan", "currency", "opening", "written", "earned", "cancelled",
              "closing"], "the revenue columns")
    return rows, body


def check_roll_forward(rows, key, months, what):
    """Per group: each month rolls forward, opens where the last closed, and
    the total row sums the months. Returns {(group, currency): [months]}."""
    series = defaultdict(list)
    totals = {}
    for r in rows:
        cur = r["currency"]
        v = tuple(minor(r[k], cur) for k in ("opening", "written", "earned", "cancelled",
                                              "closing"))
        eq(v[0] + v[1] - v[2] - v[3], v[4], "%s %s %s %s: opening + written - earned - "
           "cancelled = closing" % (what, r["month"], r[key], cur))
        check(min(v) >= 0, "%s %s %s: no negative amount %s" % (what, r["month"], r[key], v))
        if r["month"] == "total":
            totals[(r[key], cur)] = v
        else:
            series[(r[key], cur)].append((r["month"], v))
    eq(set(totals), set(series), "%s: a total row for every group" % what)
    for g, s in series.items():
        eq([m for m, _ in s], months, "%s %s: every month, in order" % (what, g))
        for (_, a), (_, b) in zip(s, s[1:]):
            eq(b[0], a[4], "%s %s: a month opens where the last one closed" % (what, g))
        t = totals[g]
        eq(t, (s[0][1][0], sum(v[1] for _, v in s), sum(v[2] for _, v in s),
               sum(v[3] for _, v in s), s[-1][1][4]), "%s %s: the total row" % (what, g))
    return {g: [v for _, v in s] for g, s in series.items()}


def test_revenue_rolls_forward_per_month_and_plan(c):
    rows, body = revenue(c)
    got = check_roll_forward(rows, "plan", [ym(m) for m in MONTHS], "revenue by plan")
    want = expected_revenue(c.contracts, BOUNDS, "plan")
    want = {g: v for g, v in want.items() if any(any(x) for x in v)}
    eq(sorted(got), sorted(want), "the plans and currencies")
    for g in want:
        for m, (a, b) in enumerate(zip(got[g], want[g])):
            eq(a, b, "%s %s: opening, written, earned, cancelled, closing" % (g, ym(MONTHS[m])))
    check(("JP-APPL-36", "JPY") in got, "the yen plan is reported in yen")
    check(any(v[3] for s in got.values() for v in s), "some cancellations")
    check(any(s[0][0] for s in got.values()), "some unearned when the window opens")
    c.revenue_by_plan = got
    c.revenue_body = body


def test_revenue_rolls_forward_per_month_and_dealer(c):
    rows, _ = revenue(c, "dealer")
    got = check_roll_forward(rows, "dealer", [ym(m) for m in MONTHS], "revenue by dealer")
    want = expected_revenue(c.contracts, BOUNDS, "dealer")
    want = {g: v for g, v in want.items() if any(any(x) for x in v)}
    eq(sorted(got), sorted(want), "the dealers and currencies")
    for g in want:
        eq(got[g], want[g], "%s: every month" % (g,))
    eq(sorted(g[0] for g in got if g[1] == "EUR"), sorted(DEALERS), "every dealer")
    # Dealers and plans are two cuts of the same contracts.
    for m in range(len(MONTHS)):
        for cur in ("EUR", "JPY"):
            a = [sum(v[m][k] for g, v in got.items() if g[1] == cur) for k in range(5)]
            b = [sum(v[m][k] for g, v in c.revenue_by_plan.items() if g[1] == cur)
                 for k in range(5)]
            eq(a, b, "%s %s: dealers add up to plans" % (ym(MONTHS[m]), cur))


def test_over_whole_lives_earned_and_cancelled_make_written(c):
    first = min(k["sale"] for k in c.contracts)
    last = max(k["end"] for k in c.contracts)
    frm, to = month_start(first), month_start(last)
    rows, _ = revenue(c, frm=frm, to=to)
    months = []
    d = frm
    while d <= to:
        months.append(ym(d))
        d = month_start(d, 1)
    got = check_roll_forward(rows, "plan", months, "whole lives")
    for cur in ("EUR", "JPY"):
        written = sum(k["price"] for k in c.contracts if k["currency"] == cur)
        s = [v for g, v in got.items() if g[1] == cur]
        eq(sum(m[0][0] for m in s), 0, "%s: nothing unearned before the first sale" % cur)
        eq(sum(x[1] for m in s for x in m), written, "%s: written = every contract's price" % cur)
        eq(sum(x[2] for m in s for x in m) + sum(x[3] for m in s for x in m) +
           sum(m[-1][4] for m in s), written, "%s: earned + cancelled + closing = written" % cur)
        eq(sum(m[-1][4] for m in s), 0, "%s: nothing unearned after the last end" % cur)


def test_contractctl_report_matches_the_api(c):
    r = c.srv.ctl("report", "revenue", "--from", ym(FROM), "--to", ym(TO), "--format", "csv")
    # (The harness reads contractctl's output as text, which turns CRLF into LF.)
    eq(r.stdout, c.revenue_body.replace("\r\n", "\n"),
       "contractctl report revenue --format csv = the API's CSV")
    r = c.srv.ctl("report", "revenue", "--from", ym(TO), "--to", ym(TO))
    lines = r.stdout.splitlines()
    check(lines[0].split() == ["month", "plan", "currency", "opening", "written", "earned",
                               "cancelled", "closing"], "a table header: %r" % lines[0])
    check("\033" not in r.stdout, "no colour when not on a terminal")
    widths = {len(ln) for ln in lines[1:]}
    eq(len(widths), 1, "amounts right-aligned to one width: %r" % lines[:4])
    r = c.srv.ctl("report", "revenue", "--from", "2026-13", "--to", ym(TO), check_rc=False)
    eq(r.returncode, 2, "a bad month is a usage error")
    check("month" in r.stderr, "and says so: %r" % r.stderr)


# ---------------------------------------------------------------------------
# Loss ratio
# ---------------------------------------------------------------------------

def expected_incurred(c, key):
    """{(group, currency, month): incurred} from the claims tables."""
    out = defaultdict(int)
    col = "k.plan_code" if key == "plan" else "k.dealer_id"
    for r in rows_of(c.srv,
                     "SELECT %s AS g, c.currency AS cur, DATE(c.created_at) AS day, c.covered - "
                     "(SELECT COALESCE(SUM(l.covered), 0) FROM claim_lines l WHERE "
                     "l.claim_id = c.id AND l.coverage = 'manufacturer-warranty') AS incurred "
                     "FROM claims c JOIN contracts k ON k.id = c.contract_id "
                     "WHERE c.state IN ('approved', 'partially-approved', 'paid')" % col):
        out[(r["g"], r["cur"], r["day"][:7])] += int(r["incurred"])
    return out


def ratio(incurred, earned):
    if earned == 0:
        return "n/a"
    q, r = divmod(incurred * 10000, earned)
    q += 1 if 2 * r >= earned else 0
    return "%d.%04d" % divmod(q, 10000)


def check_loss_ratio(c, by, revenue_by):
    head, rows, _ = get_csv(c, "/v1/reports/loss-ratio.csv?from=%s&to=%s&by=%s" % (
        ym(FROM), ym(TO), by), "loss ratio by " + by)
    eq(head, ["month", by, "currency", "earned", "incurred", "loss_ratio"], "the columns")
    incurred = expected_incurred(c, by)
    months = [ym(m) for m in MONTHS]
    seen = defaultdict(list)
    any_ratio = False
    for r in rows:
        cur, g = r["currency"], r[by]
        earned, inc = minor(r["earned"], cur), minor(r["incurred"], cur)
        eq(r["loss_ratio"], ratio(inc, earned), "%s %s %s: loss ratio" % (r["month"], g, cur))
        if r["month"] == "total":
            eq(inc, sum(incurred[(g, cur, m)] for m in months), "%s %s: incurred" % (g, cur))
            eq(earned, sum(v[2] for v in revenue_by.get((g, cur), [])), "%s: earned" % g)
            continue
        m = months.index(r["month"])
        eq(inc, incurred[(g, cur, r["month"])], "%s %s %s: incurred" % (r["month"], g, cur))
        eq(earned, revenue_by[(g, cur)][m][2] if (g, cur) in revenue_by else 0,
           "%s %s: earned premium as in the revenue report" % (r["month"], g))
        seen[(g, cur)].append(r["month"])
        any_ratio = any_ratio or (inc > 0 and earned > 0)
    for (g, cur, m), v in incurred.items():
        if m in months and v:
            check(m in seen[(g, cur)], "%s %s %s: the month with claims is reported" % (m, g, cur))
    check(any_ratio, "some months have claims and earned premium")
    return rows


def test_loss_ratio_per_plan(c):
    rows = check_loss_ratio(c, "plan", c.revenue_by_plan)
    check(any(r["plan"] == "CLAIM-PT-48" and r["incurred"] not in ("0.00",) for r in rows),
          "the car plan has claims incurred")
    c.loss_by_plan = rows


def test_loss_ratio_per_dealer(c):
    rows, _ = revenue(c, "dealer")
    by_dealer = check_roll_forward(rows, "dealer", [ym(m) for m in MONTHS], "revenue by dealer")
    check_loss_ratio(c, "dealer", by_dealer)


def test_warranty_lines_are_not_the_contracts_loss(c):
    """Incurred = covered less the maker's-warranty lines: a claim wholly
    under the maker's warranty adds nothing."""
    r = rows_of(c.srv, "SELECT COUNT(*) AS n FROM claims c WHERE c.contract_id IS NOT NULL AND "
                       "c.state <> 'rejected' AND c.covered > 0 AND c.covered = (SELECT "
                       "COALESCE(SUM(l.covered), 0) FROM claim_lines l WHERE l.claim_id = c.id "
                       "AND l.coverage = 'manufacturer-warranty')")
    check(int(r[0]["n"]) > 0, "claims wholly under the maker's warranty exist")
    total = sum(minor(x["incurred"], x["currency"]) for x in c.loss_by_plan
                if x["month"] == "total" and x["currency"] == "EUR")
    covered = sum(int(x["covered"]) for x in rows_of(
        c.srv, "SELECT covered FROM claims WHERE state <> 'rejected' AND contract_id IS NOT NULL "
               "AND currency = 'EUR' AND created_at >= '%s'" % FROM.isoformat()))
    check(total < covered, "incurred %d is below the claims' covered %d" % (total, covered))


# ---------------------------------------------------------------------------
# Invoice register
# ---------------------------------------------------------------------------

def test_invoice_register_adds_up(c):
    frm, to = FROM.isoformat(), (month_start(TO, 1) - datetime.timedelta(days=1)).isoformat()
    head, rows, _ = get_csv(c, "/v1/reports/invoices.csv?from=%s&to=%s" % (frm, to),
                            "the invoice register")
    eq(head, ["number", "type", "origin", "issue_date", "due_date", "buyer", "dealer",
              "currency", "net", "tax", "total", "preceding"], "the register's columns")
    want = rows_of(c.srv, "SELECT currency, COUNT(*) AS n, SUM(CASE type WHEN 'credit-note' "
                          "THEN -line_total ELSE line_total END) AS net, SUM(CASE type WHEN "
                          "'credit-note' THEN -tax_total ELSE tax_total END) AS tax, SUM(CASE "
                          "type WHEN 'credit-note' THEN -total ELSE total END) AS total FROM "
                          "invoices WHERE issue_date BETWEEN '%s' AND '%s' GROUP BY currency"
                     % (frm, to))
    check(want, "invoices were issued")
    for w in want:
        cur = w["currency"]
        mine = [r for r in rows if r["currency"] == cur]
        eq(len(mine), int(w["n"]), "%s: one row per invoice" % cur)
        for k in ("net", "tax", "total"):
            eq(sum(minor(r[k], cur) for r in mine), int(w[k]), "%s: the sum of %s" % (cur, k))
    for r in rows:
        cur = r["currency"]
        eq(minor(r["net"], cur) + minor(r["tax"], cur), minor(r["total"], cur),
           "%s: net + tax = total" % r["number"])
        check((minor(r["total"], cur) < 0) == (r["type"] == "credit-note"),
              "%s: credit notes negative" % r["number"])
    eq(len({r["number"] for r in rows}), len(rows), "no number twice")
    origins = {r["origin"] for r in rows}
    check({"contract-sale", "cancellation", "claim-settlement"} <= origins,
          "sales, cancellations and claim settlements: %s" % sorted(origins))
    c.register = rows


# ---------------------------------------------------------------------------
# Journal
# ---------------------------------------------------------------------------

def balanced_journal(c, frm, to, what):
    """The journal of [frm, to] (ISO days), checked: its columns, every
    amount on one side, every entry on one day in the range, in one
    currency and balanced, the whole journal balanced per currency and
    nothing in suspense. Each row gets "amount": debit - credit in minor
    units."""
    head, rows, _ = get_csv(c, "/v1/reports/journal.csv?from=%s&to=%s" % (frm, to), what)
    eq(head, ["date", "entry", "account", "debit", "credit", "currency", "reference",
              "description"], "%s: the columns" % what)
    entries = defaultdict(lambda: [0, 0, None, set()])
    overall = defaultdict(lambda: [0, 0])
    for r in rows:
        cur = r["currency"]
        d, k = minor(r["debit"], cur), minor(r["credit"], cur)
        check((d > 0) != (k > 0), "%s %s: one positive side: %r" % (r["entry"], r["account"], r))
        check(frm <= r["date"] <= to, "%s: dated in the range" % r["entry"])
        r["amount"] = d - k
        e = entries[r["entry"]]
        e[0] += d
        e[1] += k
        check(e[2] in (None, cur), "%s: one currency" % r["entry"])
        e[2] = cur
        e[3].add(r["date"])
        overall[cur][0] += d
        overall[cur][1] += k
    for name, (d, k, cur, dates) in entries.items():
        eq(d, k, "%s: entry %s balances" % (what, name))
        eq(len(dates), 1, "%s: entry %s has one date" % (what, name))
    for cur, (d, k) in overall.items():
        eq(d, k, "%s: the journal balances in %s" % (what, cur))
    check("9999" not in {r["account"] for r in rows}, "%s: nothing went to suspense" % what)
    return rows


def test_journal_balances_and_matches_the_reports(c):
    frm, to = FROM.isoformat(), (month_start(TO, 1) - datetime.timedelta(days=1)).isoformat()
    rows = balanced_journal(c, frm, to, "the journal")
    by_account = defaultdict(int)
    for r in rows:
        by_account[(r["account"], r["currency"], r["entry"].split(":")[0])] += r["amount"]
    accounts = {r["account"] for r in rows}
    check({"1400", "3806", "2400", "4000", "4050", "5000", "5100", "1600", CASH,
           UNAPPLIED} <= accounts,
          "the configured and default accounts are used: %s" % sorted(accounts))
    check(not {"1200", "1776", "1000"} & accounts, "[ledger] overrides the defaults")

    # Earning entries = the revenue report's earned, per month and plan.
    earned = defaultdict(int)
    cancelled = defaultdict(int)
    for r in rows:
        kind = r["entry"].split(":")[0]
        cur = r["currency"]
        if kind == "earn" and r["account"] == "4000":
            _, period, plan, _ = r["entry"].split(":")
            earned[(plan, cur, period)] += minor(r["credit"], cur)
        if kind == "cancel" and r["account"] == "2400":
            cancelled[(cur, r["date"][:7])] += minor(r["debit"], cur)
    for (plan, cur), series in c.revenue_by_plan.items():
        for m, v in enumerate(series):
            eq(earned.get((plan, cur, ym(MONTHS[m])), 0), v[2],
               "earn %s %s %s = the revenue report's earned" % (ym(MONTHS[m]), plan, cur))
            eq(sum(s[m][3] for g, s in c.revenue_by_plan.items() if g[1] == cur),
               cancelled.get((cur, ym(MONTHS[m])), 0),
               "cancel entries of %s %s = the revenue report's cancelled" % (ym(MONTHS[m]), cur))
    # Invoice entries: one per register row, receivable = its total.
    inv = {r["entry"][len("invoice:"):]: r for r in rows
           if r["entry"].startswith("invoice:") and r["account"] == "1400"}
    eq(sorted(inv), sorted(x["number"] for x in c.register), "an entry per invoice")
    for x in c.register:
        cur, r = x["currency"], inv[x["number"]]
        eq(minor(r["debit"], cur) - minor(r["credit"], cur), minor(x["total"], cur),
           "%s: receivable = the register's total" % x["number"])
    # Line accounts by origin: a sale credits the unearned revenue, a
    # cancellation's credit note debits cancellations, a claim settlement
    # debits what is payable to the dealer.
    sides = defaultdict(set)
    for r in rows:
        if r["entry"].startswith("invoice:") and r["account"] not in ("1400", "3806"):
            sides[r["description"].split(",")[0]].add((r["account"],
                                                       "debit" if r["debit"] else "credit"))
    eq(sides["invoice contract-sale"], {("2400", "credit")}, "sales")
    eq(sides["credit note cancellation"], {("4050", "debit")}, "cancellation credit notes")
    eq(sides["credit note claim-settlement"], {("1600", "debit")}, "claim settlements")
    # Claims expense = the loss-ratio report's incurred.
    for cur in ("EUR", "JPY"):
        incurred = sum(minor(x["incurred"], cur) for x in c.loss_by_plan
                       if x["month"] == "total" and x["currency"] == cur)
        eq(by_account.get(("5000", cur, "claim"), 0), incurred,
           "%s: claims expense = incurred" % cur)


def test_journal_for_part_of_a_month(c):
    day = TODAY - datetime.timedelta(days=40)
    head, rows, _ = get_csv(c, "/v1/reports/journal.csv?from=%s&to=%s" % (
        day.isoformat(), day.isoformat()), "a one-day journal")
    sums = defaultdict(int)
    for r in rows:
        eq(r["date"], day.isoformat(), "everything on the day")
        if r["entry"].startswith("earn:"):
            check(r["entry"].startswith("earn:%s..%s:" % (day.isoformat(), day.isoformat())),
                  "a partial period names its days: %s" % r["entry"])
            sums[r["currency"]] += minor(r["credit"], r["currency"])
    want = defaultdict(int)
    for k in c.contracts:
        want[k["currency"]] += (position(k, day + datetime.timedelta(days=1))[1] -
                                position(k, day)[1])
    eq(dict(sums), {k: v for k, v in want.items() if v}, "the day's earning")


def test_money_in_the_journal_matches_aging_and_payments(c):
    """From the first day of the history up to each day D (every month
    end, the 15th of every month, today and the days around money that
    came before its invoice or was applied later), per currency:

      receivable (1400)       = the aging as of D: sum of total - credits
                                (open invoices less open credit notes)
      unapplied_cash (2100)   = the aging as of D: sum of unapplied
                                (a credit balance)
      receivable - unapplied  = the aging as of D: sum of balance
      cash (1010)             = received - refunded up to D (payments,
                                but not set-offs: no money moved), less
                                what the reversals up to D undid

    and the money entries are the payments table's: a payment:ID with the
    amount in cash for every payment received, a refund:ID for every
    refund, an apply:ID for every allocation applied after its payment's
    day, a setoff:ID only for a set-off that waited for an invoice, and a
    reversal:ID with the amount back out of cash for every reversed
    payment and refund (a reversed set-off has none: it moved nothing)."""
    first = min(datetime.date.fromisoformat(rows_of(c.srv, sql)[0]["d"]) for sql in (
        "SELECT MIN(issue_date) AS d FROM invoices",
        "SELECT MIN(received_date) AS d FROM payments"))
    rows = balanced_journal(c, first.isoformat(), TODAY.isoformat(), "the whole history")
    moves = defaultdict(lambda: defaultdict(int))     # (account, currency) -> day -> amount
    for r in rows:
        moves[(r["account"], r["currency"])][r["date"]] += r["amount"]

    def balance(account, currency, day):
        return sum(v for d, v in moves[(account, currency)].items() if d <= day)

    payments = rows_of(c.srv, "SELECT id, direction, received_date AS day, currency, amount "
                              "FROM payments WHERE method <> 'set-off'")
    reversed_ = rows_of(c.srv, "SELECT p.id, p.direction, r.reversed_on AS day, p.currency, "
                               "p.amount, p.method FROM payment_reversals r JOIN payments p ON "
                               "p.id = r.payment_id")
    check(len([r for r in reversed_ if r["method"] != "set-off"]) == REVERSALS - 1 and
          len([r for r in reversed_ if r["method"] == "set-off"]) == 2,
          "payments, a refund and both halves of a set-off reversed: %s" % reversed_)
    set_offs = rows_of(c.srv, "SELECT id, amount, (SELECT COALESCE(SUM(a.amount), 0) FROM "
                              "payment_allocations a WHERE a.payment_id = p.id AND "
                              "a.applied_on = p.received_date) AS same_day FROM payments p "
                              "WHERE method = 'set-off' AND direction = 'received'")
    days = {TODAY} | {d for d in c.money_days if first <= d <= TODAY}
    m = month_start(first)
    while m <= TODAY:
        days.add(min(month_start(m, 1) - datetime.timedelta(days=1), TODAY))
        days.add(min(m.replace(day=15), TODAY))
        m = month_start(m, 1)
    seen = defaultdict(set)
    for day in sorted(days):
        iso = day.isoformat()
        _, aging, _ = get_csv(c, "/v1/reports/aging.csv?as_of=" + iso, "aging as of " + iso)
        for cur in ("EUR", "JPY"):
            mine = [a for a in aging if a["currency"] == cur]
            open_net = sum(minor(a["total"], cur) - minor(a["credits"], cur) for a in mine)
            unapplied = sum(minor(a["unapplied"], cur) for a in mine)
            net = sum(minor(a["balance"], cur) for a in mine)
            cash = sum(int(p["amount"]) * (1 if p["direction"] == "received" else -1)
                       for p in payments if p["currency"] == cur and p["day"] <= iso)
            cash -= sum(int(p["amount"]) * (1 if p["direction"] == "received" else -1)
                        for p in reversed_ if p["currency"] == cur and p["day"] <= iso and
                        p["method"] != "set-off")
            what = "%s %s" % (iso, cur)
            eq(balance(RECEIVABLE, cur, iso), open_net,
               "%s: receivable = the aging's open invoices less open credit notes" % what)
            eq(-balance(UNAPPLIED, cur, iso), unapplied,
               "%s: unapplied cash = the aging's unapplied" % what)
            eq(balance(RECEIVABLE, cur, iso) + balance(UNAPPLIED, cur, iso), net,
               "%s: receivable less unapplied cash = the aging's balance" % what)
            eq(balance(CASH, cur, iso), cash, "%s: cash = received - refunded, less what "
               "reversals undid" % what)
            for name, v in (("receivable", open_net), ("unapplied", unapplied), ("cash", cash)):
                if v and day < TODAY:
                    seen[name].add(cur)
    eq(dict(seen), {"receivable": {"EUR"}, "unapplied": {"EUR", "JPY"}, "cash": {"EUR", "JPY"}},
       "the identities are tested on amounts, before today")

    # Every payment's entry, with its amount in cash; every later application.
    got = defaultdict(int)
    for r in rows:
        if r["account"] == CASH:
            got[r["entry"]] += r["amount"]
    want = {"%s:%s" % ("payment" if p["direction"] == "received" else "refund", p["id"]):
            int(p["amount"]) * (1 if p["direction"] == "received" else -1) for p in payments}
    want.update({"reversal:" + p["id"]: int(p["amount"]) * (-1 if p["direction"] == "received"
                                                             else 1)
                 for p in reversed_ if p["method"] != "set-off"})
    eq(dict(got), want, "one entry per payment, refund and their reversals, its amount in cash")
    eq({r["entry"] for r in rows if r["entry"].startswith("reversal:")},
       {"reversal:" + p["id"] for p in reversed_ if p["method"] != "set-off"},
       "a reversal entry for every reversed payment and refund, none for a set-off")
    eq({r["entry"] for r in rows if r["entry"].startswith("setoff:")},
       {"setoff:" + p["id"] for p in set_offs if int(p["same_day"]) < int(p["amount"])},
       "a set-off has an entry only when part of it waited for an invoice")
    check(len(set_offs) >= SET_OFFS // 2, "%d set-offs" % len(set_offs))
    applied = rows_of(c.srv, "SELECT a.id FROM payment_allocations a JOIN payments p ON "
                             "p.id = a.payment_id WHERE p.direction = 'received' AND "
                             "a.applied_on > p.received_date")
    eq({r["entry"] for r in rows if r["entry"].startswith("apply:")},
       {"apply:" + a["id"] for a in applied}, "an entry per allocation applied later")
    check(len(applied) >= 10, "%d allocations applied after their payment" % len(applied))
    kinds = defaultdict(int)
    for r in rows:
        if r["account"] in (CASH, UNAPPLIED):
            kinds[r["entry"].split(":")[0]] += 1
    check({"apply", "payment", "refund", "reversal"} <= set(kinds) <=
          {"apply", "payment", "refund", "setoff", "reversal"},
          "the entries on cash and unapplied cash: %s" % dict(kinds))
    harness.diag("%d days; cash and unapplied cash lines: %s" % (len(days), dict(kinds)))


# ---------------------------------------------------------------------------
# Access and requests
# ---------------------------------------------------------------------------

def test_roles_and_bad_requests(c):
    path = "/v1/reports/revenue.csv?from=%s&to=%s" % (ym(TO), ym(TO))
    r = c.srv.request("GET", path, key=c.keys[DEALERS[0]])
    expect_error(r, 403, what="a dealer asks for a report")
    r = c.srv.request("GET", path)
    expect_error(r, 401, what="nobody asks for a report")
    r = c.srv.request("GET", path, key=c.admin)
    harness.expect_status(r, 200, "admin may read reports")
    for bad in ("from=2026-01&to=2025-12", "from=2026-1&to=2026-02", "to=2026-01",
                "from=2026-01&to=2026-02&by=region", "from=1990-01&to=2026-01"):
        r = c.srv.request("GET", "/v1/reports/revenue.csv?" + bad, key=c.finance)
        expect_error(r, 400, "invalid-query", "revenue?%s" % bad)
    r = c.srv.request("GET", "/v1/reports/journal.csv?from=2026-02-30&to=2026-03-01",
                      key=c.finance)
    expect_error(r, 400, "invalid-query", "a day that does not exist")
    r = c.srv.request("POST", path, key=c.finance, body="")
    eq(r.status, 405, "reports are read with GET")


test_journal_balances_and_matches_the_reports.timeout = 600 * harness.SLOW
test_revenue_rolls_forward_per_month_and_plan.timeout = 600 * harness.SLOW

if __name__ == "__main__":
    harness.main(globals())
