#!/usr/bin/env python3
"""Dealers over HTTP: create, read, conflicts, Idempotency-Key, and hostile
XML bodies (DOCTYPE, entities, depth, bad UTF-8)."""
import os
import sys
import uuid

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import NS, check, eq, expect_error, expect_status, parse_xml, q, xml_text  # noqa: E402


def setup():
    return harness.Server("dealers").start()


def test_create_and_get(srv):
    r = srv.request("POST", "/v1/dealers", body=harness.dealer_xml("D-100", "Garage Müller"),
                    key=srv.admin_key)
    expect_status(r, 201, "POST /v1/dealers")
    check(r.headers.get("x-request-id"), "no X-Request-Id on 201")
    loc = r.headers.get("location", "")
    check(loc.endswith("/v1/dealers/D-100"), "Location %r does not point at the dealer" % loc)
    root = parse_xml(r.body)
    eq(root.tag, q("Dealer"), "201 body root")
    eq(xml_text(root, "Id"), "D-100", "201 body <Id>")
    r = expect_status(srv.request("GET", "/v1/dealers/D-100", key=srv.admin_key), 200,
                      "GET /v1/dealers/D-100")
    root = parse_xml(r.body)
    eq(xml_text(root, "Id"), "D-100", "GET <Id>")
    eq(xml_text(root, "Name"), "Garage Müller", "GET <Name> (UTF-8 round trip)")


def test_get_unknown_404(srv):
    expect_error(srv.request("GET", "/v1/dealers/NOPE-404", key=srv.admin_key), 404,
                 what="GET an unknown dealer")


def test_duplicate_409(srv):
    expect_status(srv.request("POST", "/v1/dealers", body=harness.dealer_xml("D-DUP"),
                              key=srv.admin_key), 201, "first POST")
    expect_error(srv.request("POST", "/v1/dealers", body=harness.dealer_xml("D-DUP"),
                             key=srv.admin_key), 409, what="second POST of the same id")


def test_idempotency_key_replay(srv):
    ik = str(uuid.uuid4())
    body = harness.dealer_xml("D-IDEM")
    r1 = expect_status(srv.request("POST", "/v1/dealers", body=body, key=srv.admin_key,
                                   headers={"Idempotency-Key": ik}), 201, "first POST with key")
    r2 = srv.request("POST", "/v1/dealers", body=body, key=srv.admin_key,
                     headers={"Idempotency-Key": ik})
    eq(r2.status, 201, "retry with the same Idempotency-Key: status (body %s)" % r2.body[:200])
    eq(r2.body, r1.body, "retry with the same Idempotency-Key: body")
    # Same key, other content: refused, nothing created.
    r3 = srv.request("POST", "/v1/dealers", body=harness.dealer_xml("D-IDEM-OTHER"),
                     key=srv.admin_key, headers={"Idempotency-Key": ik})
    # README.md: "the same key with another body is refused (422)".
    expect_error(r3, 422, what="same Idempotency-Key, other body")
    expect_status(srv.request("GET", "/v1/dealers/D-IDEM-OTHER", key=srv.admin_key), 404,
                  "dealer of a refused idempotent retry")


def test_malformed_xml_400(srv):
    cases = {
        "not xml": "this is not xml",
        "unclosed": '<Dealer xmlns="%s"><Id>X</Id>' % NS,
        "wrong root": '<Plan xmlns="%s"><Id>X</Id></Plan>' % NS,
        "no namespace": "<Dealer><Id>NS1</Id><Name>n</Name></Dealer>",
        "empty body": "",
        "bad id": harness.dealer_xml("has space"),
        "no name": '<Dealer xmlns="%s"><Id>NONAME</Id></Dealer>' % NS,
    }
    for what, body in cases.items():
        r = srv.request("POST", "/v1/dealers", body=body, key=srv.admin_key)
        err = expect_error(r, 400, what="POST /v1/dealers with %s" % what)
        harness.diag("%s: %s %s %s" % (what, err["code"], err["path"] or "-", err["message"]))
    r = srv.request("POST", "/v1/dealers", body=harness.dealer_xml("has space"), key=srv.admin_key)
    err = expect_error(r, 400, what="bad id")
    check(err["path"] and "Id" in err["path"], "<Path> of a bad dealer id: %r" % err["path"])


def test_doctype_refused(srv):
    body = ('<?xml version="1.0"?><!DOCTYPE Dealer [<!ENTITY x "y">]>'
            '<Dealer xmlns="%s"><Id>DT1</Id><Name>&x;</Name></Dealer>' % NS)
    err = expect_error(srv.request("POST", "/v1/dealers", body=body, key=srv.admin_key), 400,
                       what="a body with a DOCTYPE")
    check("doctype" in (err["code"] + err["message"]).lower(),
          "the refusal does not mention the DOCTYPE: %s" % err)
    expect_status(srv.request("GET", "/v1/dealers/DT1", key=srv.admin_key), 404,
                  "dealer from a DOCTYPE body")


def test_external_entity_refused(srv):
    body = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            '<Dealer xmlns="%s"><Id>XXE1</Id><Name>&xxe;</Name></Dealer>' % NS)
    r = srv.request("POST", "/v1/dealers", body=body, key=srv.admin_key)
    expect_error(r, 400, what="an external entity")
    check("root:" not in r.body, "the answer contains /etc/passwd")
    r = srv.request("GET", "/v1/dealers/XXE1", key=srv.admin_key)
    check("root:" not in r.body, "a dealer was created with /etc/passwd in it")


def test_entity_bomb_refused(srv):
    ents = '<!ENTITY a0 "lol">' + "".join(
        '<!ENTITY a%d "%s">' % (i, ("&a%d;" % (i - 1)) * 10) for i in range(1, 10))
    body = ('<?xml version="1.0"?><!DOCTYPE d [%s]><Dealer xmlns="%s"><Id>BOMB</Id>'
            '<Name>&a9;</Name></Dealer>' % (ents, NS))
    expect_error(srv.request("POST", "/v1/dealers", body=body, key=srv.admin_key, timeout=10),
                 400, what="an entity expansion bomb")
    srv.healthy("after an entity bomb")


def test_deep_nesting_refused(srv):
    body = '<Dealer xmlns="%s"><Id>DEEP</Id><Name>n</Name>%s%s</Dealer>' % (
        NS, "<x>" * 5000, "</x>" * 5000)
    expect_error(srv.request("POST", "/v1/dealers", body=body, key=srv.admin_key), 400,
                 what="5000 nested elements")
    srv.healthy("after deep nesting")


def test_invalid_utf8_refused(srv):
    body = ('<Dealer xmlns="%s"><Id>UTF</Id><Name>' % NS).encode() + b"\xc3\x28\xff" + \
        b"</Name></Dealer>"
    r = srv.request("POST", "/v1/dealers", body=body, key=srv.admin_key)
    expect_error(r, 400, what="invalid UTF-8")
    srv.healthy("after invalid UTF-8")


if __name__ == "__main__":
    harness.main(globals())
