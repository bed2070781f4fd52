#!/usr/bin/env python3
"""Isolation between dealers: dealer B cannot read, cancel or transfer
dealer A's contract, cite A's quote, see A's asset or read A's outbox; what
belongs to another dealer answers 404 (or unknown-... in a document), never
403, so existence does not leak. Staff roles read any contract; they cannot
send dealer documents."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, expect_error, expect_status, q  # noqa: E402
import dealer_docs as dd  # noqa: E402
from dealer_docs import text  # noqa: E402

A, B = "DLR-A", "DLR-B"


def setup():
    c = dd.start_server("isolation", dealers=(A, B))
    srv = c.srv
    c.finance = srv.create_key("finance", label="e2e finance")
    # A sells a contract from a quote, and has one more quote.
    qid, sig, _ = dd.get_quote(srv, c.keys[A], "A-Q1", A, asset=dd.asset_xml("A-WASHER-1"))
    c.a_contract, _ = dd.register(srv, c.keys[A], "A-R1", A, quote=(qid, sig))
    c.a_quote = dd.get_quote(srv, c.keys[A], "A-Q2", A, asset=dd.asset_xml("A-WASHER-2"))[:2]
    # B has a contract of its own.
    c.b_contract, _ = dd.register(srv, c.keys[B], "B-R1", B, asset=dd.asset_xml("B-WASHER-1"))
    return c


def _contract_state(c, number):
    r = c.srv.request("GET", "/v1/contracts/" + number, key=c.srv.admin_key)
    root = dd.expect_reply(r, "Contract", "GET %s as admin" % number)
    return text(root, "State"), len(root.find(q("Owners")))


def test_read_other_dealers_contract_404(c):
    r = c.srv.request("GET", "/v1/contracts/" + c.a_contract, key=c.keys[B])
    err = expect_error(r, 404, "not-found", "B reads A's contract")
    check(c.a_contract in err["message"] or "no contract" in err["message"], "message")
    # Exactly what a contract that does not exist looks like.
    r2 = c.srv.request("GET", "/v1/contracts/SC-77777777", key=c.keys[B])
    expect_error(r2, 404, "not-found", "B reads a contract that does not exist")
    eq(r.body.replace(c.a_contract, "X"), r2.body.replace("SC-77777777", "X"),
       "the two 404s are the same answer")
    expect_status(c.srv.request("GET", "/v1/contracts/" + c.a_contract, key=c.keys[A]), 200,
                  "A reads its own contract")


def test_staff_read_any_contract(c):
    for who, key in (("admin", c.srv.admin_key), ("finance", c.finance)):
        for number in (c.a_contract, c.b_contract):
            r = c.srv.request("GET", "/v1/contracts/" + number, key=key)
            dd.expect_reply(r, "Contract", "%s reads %s" % (who, number))


def test_cancel_other_dealers_contract(c):
    r = dd.post(c.srv, c.keys[B], dd.cancellation("B-CX-1", B, c.a_contract))
    dd.expect_rejected(r, "B cancels A's contract", "unknown-contract",
                       "/ContractCancellation/ContractNumber")
    eq(_contract_state(c, c.a_contract), ("active", 1), "A's contract is untouched")


def test_transfer_other_dealers_contract(c):
    r = dd.post(c.srv, c.keys[B], dd.transfer("B-TR-1", B, c.a_contract))
    dd.expect_rejected(r, "B transfers A's contract", "unknown-contract",
                       "/ContractTransfer/ContractNumber")
    eq(_contract_state(c, c.a_contract), ("active", 1), "still one owner")


def test_cite_other_dealers_quote(c):
    r = dd.post(c.srv, c.keys[B], dd.registration("B-R2", B, quote=c.a_quote))
    dd.expect_rejected(r, "B registers from A's quote", "unknown-quote",
                       "/ContractRegistration/QuoteReference/QuoteId")
    # A can still use it.
    dd.register(c.srv, c.keys[A], "A-R2", A, quote=c.a_quote)


def test_other_dealers_asset(c):
    r = dd.post(c.srv, c.keys[B], dd.coverage_inquiry("B-CI-1", B, "A-WASHER-1", dd.days(0)))
    root = dd.expect_reply(r, "CoverageAnswer", "B asks about A's asset")
    eq(text(root, "Reason"), "unknown-asset", "B does not know A's asset")
    check(text(root, "ContractNumber") is None, "no contract named")
    r = c.srv.request("GET", "/v1/assets/A-WASHER-1/coverage", key=c.keys[B])
    expect_error(r, 404, "not-found", "B GETs A's asset's coverage")
    r = c.srv.request("GET", "/v1/assets/A-WASHER-1/coverage", key=c.keys[A])
    dd.expect_reply(r, "CoverageAnswer", "A GETs its own asset's coverage")


def test_outbox_is_private(c):
    def cursors_and_numbers(dealer):
        r = c.srv.request("GET", "/v1/outbox", key=c.keys[dealer])
        root = dd.expect_reply(r, "Outbox", "outbox of " + dealer)
        return [text(e.find(q("Document")).find(q("ContractConfirmation")), "ContractNumber")
                for e in root.findall(q("Entry"))]
    a, b = cursors_and_numbers(A), cursors_and_numbers(B)
    check(c.a_contract in a, "A's outbox has its confirmation")
    check(c.a_contract not in b, "B's outbox shows A's confirmation: %s" % b)
    eq(b, [c.b_contract], "B's outbox has only B's confirmation")
    # B cannot acknowledge past its own documents (A's cursors are not B's).
    r = c.srv.request("POST", "/v1/outbox/ack?cursor=%d" % (len(a) + 5), key=c.keys[B])
    expect_error(r, 422, "cursor-out-of-range", "B acks beyond its outbox")
    # ... and acknowledging its own leaves A's pending.
    r = c.srv.request("POST", "/v1/outbox/ack?cursor=1", key=c.keys[B])
    dd.expect_reply(r, "OutboxAck", "B acks its own")
    eq(cursors_and_numbers(A), a, "A's outbox is unchanged by B's ack")


def test_cannot_act_as_another_dealer(c):
    xml = dd.quote_request("B-AS-A", A, asset=dd.asset_xml("B-AS-A"))
    dd.expect_rejected(dd.post(c.srv, c.keys[B], xml), "B sends a document as A",
                       "dealer-mismatch", "/QuoteRequest/Header/DealerId")
    # The same DocumentId is A's and B's own: no crosstalk.
    ra = dd.post(c.srv, c.keys[A], dd.quote_request("SHARED-1", A, asset=dd.asset_xml("SH-1")))
    rb = dd.post(c.srv, c.keys[B], dd.quote_request("SHARED-1", B, asset=dd.asset_xml("SH-1")))
    qa = dd.expect_reply(ra, "Quote", "A's SHARED-1")
    qb = dd.expect_reply(rb, "Quote", "B's SHARED-1")
    check(text(qa, "QuoteId") != text(qb, "QuoteId"), "two quotes")
    check(rb.headers.get("idempotent-replayed") is None, "B's is not a replay of A's")


def test_staff_cannot_send_documents(c):
    xml = dd.quote_request("ADM-1", A, asset=dd.asset_xml("ADM-1"))
    for who, key in (("admin", c.srv.admin_key), ("finance", c.finance)):
        r = dd.post(c.srv, key, xml)
        expect_error(r, 403, "forbidden", "%s POST /v1/documents" % who)
        r = c.srv.request("GET", "/v1/outbox", key=key)
        expect_error(r, 403, "forbidden", "%s GET /v1/outbox" % who)


def test_no_key_no_access(c):
    for method, path in (("POST", "/v1/documents"), ("GET", "/v1/outbox"),
                         ("GET", "/v1/contracts/" + c.a_contract), ("GET", "/v1/plans")):
        r = c.srv.request(method, path, body="<x/>" if method == "POST" else None)
        expect_error(r, 401, "unauthorized", "%s %s without a key" % (method, path))


if __name__ == "__main__":
    harness.main(globals())
