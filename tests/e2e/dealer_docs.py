"""dealer_docs — shared plumbing for the document-exchange e2e tests.

A server configured like a small production one: two pricing plugin
instances named as the example catalog names them (both are the in-tree
example-flat plugin with different rates, so prices are predictable:
purchase price x rate), a 19 % standard tax rate, the example catalog
imported, and dealers with keys. Plus builders for the documents and
readers for the answers.
"""

import calendar
import datetime
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import NS, check, eq, parse_xml, q  # noqa: E402

EXAMPLES = os.path.join(harness.SRCDIR, "contracts", "examples")
CATALOG = os.path.join(EXAMPLES, "Catalog.xml")
TEST_CATALOG = os.path.join(harness.SRCDIR, "tests", "data", "catalog", "e2e-catalog.xml")


def today():
    """The server's today: the UTC date."""
    return datetime.datetime.now(datetime.timezone.utc).date()


def days(n, base=None):
    """ISO date n days from base (default today)."""
    return ((base or today()) + datetime.timedelta(days=n)).isoformat()


def add_months(iso, months):
    """ISO date plus months, with the end-of-month rule."""
    d = datetime.date.fromisoformat(iso)
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return datetime.date(y, m, min(d.day, calendar.monthrange(y, m)[1])).isoformat()

# pricing-percent prices at 12 % of the purchase price, pricing-ratetable
# at 5 %; both with a minimum of 29.00 EUR.
PLUGINS = [
    ("pricing-percent", harness.EXAMPLE_PLUGIN,
     {"currency": "EUR", "rate": "0.12", "minimum": "29.00"}),
    ("pricing-ratetable", harness.EXAMPLE_PLUGIN,
     {"currency": "EUR", "rate": "0.05", "minimum": "29.00"}),
]


class Ctx:
    pass


# The real pricing-percent plugin, priced as the documentation's example:
# 899.00 x 12 % = 107.88 retail, 65 % of it the dealer cost (70.12), 30 % of
# that the administrator's fee (21.04); the plan SPLIT-36 of
# tests/data/catalog/e2e-catalog.xml uses it.
PERCENT_PLUGIN = os.path.join(harness.BUILDDIR, "plugins", "pricing-percent", ".libs",
                              "pricing-percent.so")
SPLIT_PLUGIN = ("percent-split", PERCENT_PLUGIN, {
    "currency": "EUR", "rate.appliance": "0-500:0.14, 500-1500:0.12, 1500-:0.10",
    "term-factors": "36:1.00", "dealer-cost-percent": "65", "admin-fee-percent": "30"})


# The seller on invoices, for servers that invoice (start_server(seller=True)).
SELLER = {"name": "Contractd Warranty GmbH", "street": "Friedrichstrasse 68",
          "city": "Berlin", "postal_code": "10117", "country": "DE",
          "vat_id": "DE123456789", "legal_id": "HRB 123456 B",
          "email": "billing@warranty.example", "iban": "DE02120300000000202051"}

# The claim tests' billing and parts plugins (tests/data/claims/).
CLAIMS_DATA = os.path.join(harness.SRCDIR, "tests", "data", "claims")
BILLING_PLUGIN = ("billing-labor", os.path.join(harness.BUILDDIR, "plugins", "billing-labor",
                                                 ".libs", "billing-labor.so"),
                  {"rates": os.path.join(CLAIMS_DATA, "labor-rates.xml")})
PARTS_PLUGIN = ("parts-pricelist", os.path.join(harness.BUILDDIR, "plugins", "parts-pricelist",
                                                 ".libs", "parts-pricelist.so"),
                {"pricelists": os.path.join(CLAIMS_DATA, "parts.xml")})


def start_server(name, dealers=("DLR-0042", "DLR-0107"), server_opts=None, quotes=None,
                 workers=8, import_catalog=True, extra_plugins=(), tax=True, seller=False,
                 extra_sections=None, env=None, tls=False):
    """A started server with the catalog imported; returns a Ctx with srv
    and keys {dealer: key}. seller=True makes it invoice (SELLER)."""
    extra = {"tax": {"standard": "0.19", "zero": "0", "exempt": "0"}} if tax else {}
    if quotes:
        extra["quotes"] = quotes
    if seller:
        extra["seller"] = dict(SELLER)
    extra.update(extra_sections or {})
    c = Ctx()
    c.srv = harness.Server(name, plugins=PLUGINS + list(extra_plugins), server_opts=server_opts,
                           workers=workers, extra_sections=extra, env=env, tls=tls).start()
    if import_catalog:
        c.import_out = c.srv.ctl("catalog", "import", CATALOG).stdout
        c.srv.ctl("catalog", "import", TEST_CATALOG)
    c.keys = {d: c.srv.dealer_with_key(d, "Dealer " + d) for d in dealers}
    return c


def example(name):
    with open(os.path.join(EXAMPLES, name + ".xml"), encoding="utf-8") as f:
        return f.read()


def post(srv, key, body, headers=None, timeout=None):
    kw = {"key": key, "body": body, "headers": headers}
    if timeout:
        kw["timeout"] = timeout
    return srv.request("POST", "/v1/documents", **kw)


def text(el, *path):
    return harness.xml_text(el, *path)


def root_of(resp, what="response"):
    return parse_xml(resp.body, what)


def expect_reply(resp, tag, what, status=200):
    """Asserts a reply document with root tag; returns its root."""
    harness.expect_status(resp, status, what)
    root = root_of(resp, what)
    eq(root.tag, q(tag), "%s: root element (body %s)" % (what, resp.body[:400]))
    return root


def problems_of(ack_or_doc):
    """[(code, path)] of every Problem under an element."""
    out = []
    for p in ack_or_doc.iter(q("Problem")):
        out.append((text(p, "Code"), text(p, "Path")))
    return out


def expect_rejected(resp, what, code=None, path=None, status=422):
    """Asserts an Acknowledgement with one rejected document; when code is
    given, that a problem has this code (and path, when given). Returns the
    problems."""
    root = expect_reply(resp, "Acknowledgement", what, status)
    expect_valid(resp.body, "Acknowledgement", "%s: the Acknowledgement" % what)
    docs = root.findall(q("Document"))
    eq(len(docs), 1, "%s: Document entries" % what)
    eq(text(docs[0], "Status"), "rejected", "%s: Status" % what)
    probs = problems_of(docs[0])
    check(probs, "%s: no problems listed" % what)
    if code is not None:
        match = [p for p in probs if p[0] == code and (path is None or p[1] == path)]
        check(match, "%s: expected problem %s at %s, got %s" % (what, code, path, probs))
    return probs


def set_header(xml, document_id=None, dealer=None):
    """Replaces the first DocumentId / DealerId in a document."""
    if document_id is not None:
        xml = re.sub(r"<DocumentId>[^<]*</DocumentId>", "<DocumentId>%s</DocumentId>" % document_id,
                     xml, count=1)
    if dealer is not None:
        xml = re.sub(r"<DealerId>[^<]*</DealerId>", "<DealerId>%s</DealerId>" % dealer, xml,
                     count=1)
    return xml


def replace_tag(xml, tag, value, count=1):
    return re.sub(r"<%s>[^<]*</%s>" % (tag, tag), "<%s>%s</%s>" % (tag, value, tag), xml,
                  count=count)


def header(doc_id, dealer):
    return ("<Header><DocumentId>%s</DocumentId><DealerId>%s</DealerId></Header>"
            % (doc_id, dealer))


def asset_xml(serial, price="899.00", category="appliance.washer", purchase=None,
              unit="none", usage_at_sale=None, mw_months=24, mw_limit=None, vin=False,
              currency="EUR", model="AquaPro 8 WM-800X"):
    """An Asset; bought 30 days ago unless purchase says otherwise."""
    purchase = purchase or days(-30)
    ident = "<VIN>%s</VIN>" % serial if vin else "<SerialNumber>%s</SerialNumber>" % serial
    usage = "<UsageAtSale>%s</UsageAtSale>" % usage_at_sale if usage_at_sale is not None else ""
    limit = "<UsageLimit>%s</UsageLimit>" % mw_limit if mw_limit is not None else ""
    return ("<Asset>%s<Model>%s</Model><ProductCategory>%s</ProductCategory>"
            "<PurchaseDate>%s</PurchaseDate><PurchasePrice currency=\"%s\">%s</PurchasePrice>"
            "<UsageUnit>%s</UsageUnit>%s<ManufacturerWarranty><Months>%d</Months>%s"
            "</ManufacturerWarranty></Asset>"
            % (ident, model, category, purchase, currency, price, unit, usage, mw_months, limit))


def old_asset(serial, **kw):
    """The example washer's dates: bought 2024-03-15."""
    return asset_xml(serial, purchase="2024-03-15", **kw)


def plan_xml(code="APPL-36", version=None):
    v = "<Version>%d</Version>" % version if version else ""
    return "<Plan><Code>%s</Code>%s</Plan>" % (code, v)


CUSTOMER = ("<Customer><Name>Jana Becker</Name><Address><Line>Kastanienallee 41</Line>"
            "<PostalCode>10435</PostalCode><City>Berlin</City><Country>DE</Country></Address>"
            "</Customer>")


def quote_request(doc_id, dealer, asset=None, plan=None):
    return ('<QuoteRequest xmlns="%s">%s%s%s</QuoteRequest>'
            % (NS, header(doc_id, dealer), asset or asset_xml("WM-1"), plan or plan_xml()))


def registration(doc_id, dealer, asset=None, plan=None, sale=None, quote=None,
                 customer=CUSTOMER, reference=None):
    """A ContractRegistration: quote=(id, signature) cites a quote, else
    asset and plan are sent."""
    if quote:
        body = ("<QuoteReference><QuoteId>%s</QuoteId><Signature>%s</Signature></QuoteReference>"
                % quote)
    else:
        body = (asset or asset_xml("WM-1")) + (plan or plan_xml())
    ref = "<DealerReference>%s</DealerReference>" % reference if reference else ""
    sale = sale or days(0)
    return ('<ContractRegistration xmlns="%s">%s%s%s<SaleDate>%s</SaleDate>%s'
            '</ContractRegistration>' % (NS, header(doc_id, dealer), body, customer, sale, ref))


def cancellation(doc_id, dealer, number, date=None, usage=None,
                 reason="customer-request"):
    u = "<Usage>%s</Usage>" % usage if usage is not None else ""
    date = date or days(0)
    return ('<ContractCancellation xmlns="%s">%s<ContractNumber>%s</ContractNumber>'
            '<CancellationDate>%s</CancellationDate>%s<Reason>%s</Reason></ContractCancellation>'
            % (NS, header(doc_id, dealer), number, date, u, reason))


def transfer(doc_id, dealer, number, date=None, usage=None, name="Tobias Wirth"):
    date = date or days(0)
    u = "<Usage>%s</Usage>" % usage if usage is not None else ""
    return ('<ContractTransfer xmlns="%s">%s<ContractNumber>%s</ContractNumber>'
            '<TransferDate>%s</TransferDate>%s<NewOwner><Name>%s</Name><Address>'
            '<Line>Leopoldstrasse 118</Line><City>Muenchen</City><Country>DE</Country>'
            '</Address></NewOwner></ContractTransfer>'
            % (NS, header(doc_id, dealer), number, date, u, name))


def coverage_inquiry(doc_id, dealer, serial, date, usage=None, component=None, vin=False,
                     asset=None):
    ident = asset or ("<AssetRef>%s</AssetRef>" % (
        "<VIN>%s</VIN>" % serial if vin else "<SerialNumber>%s</SerialNumber>" % serial))
    u = "<Usage>%s</Usage>" % usage if usage is not None else ""
    comp = "<ComponentCategory>%s</ComponentCategory>" % component if component else ""
    return ('<CoverageInquiry xmlns="%s">%s%s<ServiceDate>%s</ServiceDate>%s%s</CoverageInquiry>'
            % (NS, header(doc_id, dealer), ident, date, u, comp))


def parts_order(doc_id, dealer, items, currency="EUR"):
    """A PartsOrder of (part number, quantity) items; invoiced to dealer."""
    lines = "".join("<Line><LineNumber>%d</LineNumber><PartNumber>%s</PartNumber>"
                    "<Quantity>%s</Quantity></Line>" % (i + 1, p, qty)
                    for i, (p, qty) in enumerate(items))
    return ('<PartsOrder xmlns="%s">%s<OrderReference>REF-%s</OrderReference>'
            '<Currency>%s</Currency><Lines>%s</Lines></PartsOrder>'
            % (NS, header(doc_id, dealer), doc_id, currency, lines))


# ---------------------------------------------------------------------------
# Payments (finance: POST /v1/payments, /v1/payments/ID/allocations,
# /v1/invoices/NUMBER/refunds)
# ---------------------------------------------------------------------------

def payer_xml(payer):
    """("dealer", id) or ("customer", name[, dealer id])."""
    if payer[0] == "dealer":
        return "<Payer><DealerId>%s</DealerId></Payer>" % payer[1]
    extra = "<DealerId>%s</DealerId>" % payer[2] if len(payer) > 2 and payer[2] else ""
    return "<Payer><CustomerName>%s</CustomerName>%s</Payer>" % (payer[1], extra)


def allocation_xml(number, amount, currency="EUR"):
    return ('<Allocation><InvoiceNumber>%s</InvoiceNumber><Amount currency="%s">%s'
            '</Amount></Allocation>' % (number, currency, amount))


def payment_xml(payer, date, amount, ref, currency="EUR", allocs=(), auto=None, method=None):
    """A Payment; allocs are (invoice number, amount[, currency])."""
    parts = [payer_xml(payer), "<ReceivedDate>%s</ReceivedDate>" % date,
             '<Amount currency="%s">%s</Amount>' % (currency, amount),
             "<Reference>%s</Reference>" % ref]
    if method:
        parts.append("<Method>%s</Method>" % method)
    for a in allocs:
        parts.append(allocation_xml(a[0], a[1], a[2] if len(a) > 2 else currency))
    if auto is not None:
        parts.append("<AutoAllocate>%s</AutoAllocate>" % ("true" if auto else "false"))
    return '<Payment xmlns="%s">%s</Payment>' % (NS, "".join(parts))


def application_xml(allocs, currency="EUR"):
    """A PaymentApplication of (invoice number, amount); none: oldest due first."""
    return '<PaymentApplication xmlns="%s">%s</PaymentApplication>' % (
        NS, "".join(allocation_xml(n, a, currency) for n, a in allocs))


def refund_xml(date, amount, ref, currency="EUR"):
    return ('<Refund xmlns="%s"><PaidDate>%s</PaidDate><Amount currency="%s">%s</Amount>'
            '<Reference>%s</Reference></Refund>' % (NS, date, currency, amount, ref))


def set_off_xml(date, amount, ref, allocs=(), currency="EUR"):
    """A SetOff of a credit note against (invoice number, amount) allocs;
    none: its buyer's open invoices oldest due first."""
    return ('<SetOff xmlns="%s"><SetOffDate>%s</SetOffDate><Amount currency="%s">%s</Amount>'
            '<Reference>%s</Reference>%s</SetOff>'
            % (NS, date, currency, amount, ref,
               "".join(allocation_xml(n, v, currency) for n, v in allocs)))


def reversal_xml(date, reason=None):
    """A PaymentReversal; reason None leaves the element out."""
    return '<PaymentReversal xmlns="%s"><ReversalDate>%s</ReversalDate>%s</PaymentReversal>' % (
        NS, date, "" if reason is None else "<Reason>%s</Reason>" % reason)


def payment_receipt(resp, what, status=201):
    """The PaymentReceipt as a dict (status checked; the schema is not)."""
    root = expect_reply(resp, "PaymentReceipt", what, status)
    cur = root.find(q("Amount")).get("currency")
    allocs = [(text(a, "InvoiceNumber"), text(a, "DocumentType"), text(a, "Amount"),
               text(a, "AppliedOn"), text(a, "OpenAmount"))
              for a in root.findall(q("Allocation"))]
    return {"id": text(root, "PaymentId"), "direction": text(root, "Direction"),
            "amount": text(root, "Amount"), "currency": cur, "allocs": allocs,
            "allocated": text(root, "Allocated"), "unapplied": text(root, "Unapplied"),
            "dealer": text(root, "Payer", "DealerId"),
            "customer": text(root, "Payer", "CustomerName"),
            "reversed_on": text(root, "Reversal", "ReversedOn"),
            "reason": text(root, "Reversal", "Reason")}


def batch(doc_id, dealer, inner):
    """A Batch of inner documents (strings with or without xmlns)."""
    parts = [re.sub(r'^<\?xml[^>]*\?>\s*', "", d) for d in inner]
    parts = [re.sub(r'\s+xmlns="%s"' % re.escape(NS), "", d, count=1) for d in parts]
    return '<Batch xmlns="%s">%s%s</Batch>' % (NS, header(doc_id, dealer), "".join(parts))


def get_quote(srv, key, doc_id, dealer, **kw):
    """Posts a QuoteRequest; returns (quote id, signature, root)."""
    r = post(srv, key, quote_request(doc_id, dealer, **kw))
    root = expect_reply(r, "Quote", "quote %s" % doc_id)
    return text(root, "QuoteId"), text(root, "Signature"), root


def register(srv, key, doc_id, dealer, **kw):
    """Posts a ContractRegistration that must be accepted; returns
    (contract number, root)."""
    r = post(srv, key, registration(doc_id, dealer, **kw))
    root = expect_reply(r, "ContractConfirmation", "registration %s" % doc_id)
    return text(root, "ContractNumber"), root


def money(el, *path):
    t = text(el, *path)
    return t


def validate(xml_text_, schema_name):
    """Validates a document with xmllint against contracts/schema when
    xmllint exists; returns None (not checked) or the error text ("" when
    valid)."""
    import shutil
    import subprocess
    import tempfile
    tool = shutil.which("xmllint")
    if not tool:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False, encoding="utf-8") as f:
        f.write(xml_text_)
        path = f.name
    try:
        r = subprocess.run([tool, "--noout", "--nonet", "--schema",
                            os.path.join(harness.SRCDIR, "contracts", "schema",
                                         schema_name + ".xsd"), path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        return "" if r.returncode == 0 else r.stdout
    finally:
        os.unlink(path)


def expect_valid(xml_text_, schema_name, what):
    err = validate(xml_text_, schema_name)
    if err:
        harness.fail("%s is not valid against %s.xsd: %s" % (what, schema_name, err[:800]))


ET.register_namespace("", NS)
