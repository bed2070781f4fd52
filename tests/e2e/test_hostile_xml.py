#!/usr/bin/env python3
"""Hostile XML sent to POST /v1/documents: external entities (file and
network), entity expansion bombs, deep nesting, invalid UTF-8, a body over
the limit, a DOCTYPE, XInclude. Each is refused with a clear Error, nothing
outside the document is read, and the server carries on."""
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import NS, check, eq, expect_error  # noqa: E402
import dealer_docs as dd  # noqa: E402

D = "DLR-0042"
MAX_BODY = 131072


class Listener:
    """A TCP listener on loopback that counts connections: the proof that
    nothing tried to fetch a network entity."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            try:
                conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n<!ENTITY x 'pwned'>")
            except OSError:
                pass
            conn.close()

    def close(self):
        self.running = False
        self.sock.close()
        self.thread.join(timeout=5)


def setup():
    c = dd.start_server("hostile", dealers=(D,), server_opts={"max_body": MAX_BODY})
    c.listener = Listener()
    return c


def teardown(c):
    c.listener.close()


def post(c, body):
    return dd.post(c.srv, c.keys[D], body, timeout=30 * harness.SLOW)


def refused(c, body, status, code, what):
    t0 = time.monotonic()
    r = post(c, body)
    took = time.monotonic() - t0
    err = expect_error(r, status, code, what)
    check("root:" not in r.body and "pwned" not in r.body,
          "%s: the answer leaks what an entity pointed at: %s" % (what, r.body[:300]))
    check(took < 10 * harness.SLOW, "%s took %.1fs to refuse" % (what, took))
    c.srv.healthy("after " + what)
    return err


def _qr_with(doctype, body="&e;"):
    return ('<?xml version="1.0"?>\n%s\n<QuoteRequest xmlns="%s"><Header><DocumentId>H-1'
            '</DocumentId><DealerId>%s</DealerId></Header><Asset><SerialNumber>%s</SerialNumber>'
            '</Asset></QuoteRequest>' % (doctype, NS, D, body))


def test_external_entity_file(c):
    refused(c, _qr_with('<!DOCTYPE QuoteRequest [<!ENTITY e SYSTEM "file:///etc/passwd">]>'),
            400, "doctype-forbidden", "an external entity naming a file")


def test_external_entity_network(c):
    url = "http://127.0.0.1:%d/evil" % c.listener.port
    refused(c, _qr_with('<!DOCTYPE QuoteRequest [<!ENTITY e SYSTEM "%s">]>' % url), 400,
            "doctype-forbidden", "an external entity naming a URL")
    refused(c, _qr_with('<!DOCTYPE QuoteRequest SYSTEM "%s">' % url, body="x"), 400,
            "doctype-forbidden", "an external DTD")
    refused(c, _qr_with('<!DOCTYPE QuoteRequest [<!ENTITY %% p SYSTEM "%s"> %%p;]>' % url,
                        body="x"), 400, "doctype-forbidden", "a parameter entity")
    time.sleep(1)
    eq(c.listener.connections, 0, "connections made to the entity's URL")


def test_billion_laughs(c):
    ents = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        ents.append('<!ENTITY lol%d "%s">' % (i, ("&lol%s;" % (i - 1 if i > 1 else "")) * 10))
    doctype = "<!DOCTYPE QuoteRequest [%s]>" % "".join(ents)
    refused(c, _qr_with(doctype, "&lol9;"), 400, "doctype-forbidden", "billion laughs")


def test_quadratic_blowup(c):
    doctype = '<!DOCTYPE QuoteRequest [<!ENTITY a "%s">]>' % ("x" * 20000)
    refused(c, _qr_with(doctype, "&a;" * 1000), 400, "doctype-forbidden",
            "a quadratic blowup")


def test_deep_nesting(c):
    depth = 10000
    body = '<QuoteRequest xmlns="%s">%s%s</QuoteRequest>' % (NS, "<a>" * depth, "</a>" * depth)
    refused(c, body, 400, "too-deep", "10 000-deep nesting")
    # Deep, but within what the server accepts, is only a schema problem.
    body = '<QuoteRequest xmlns="%s">%s%s</QuoteRequest>' % (NS, "<a>" * 30, "</a>" * 30)
    r = post(c, body)
    dd.expect_rejected(r, "30-deep nesting")


def test_invalid_utf8(c):
    for what, raw in (("a stray byte", b"\xff\xfe"), ("an overlong slash", b"\xc0\xaf"),
                      ("a surrogate", b"\xed\xa0\x80"), ("a cut sequence", b"\xe2\x82")):
        body = (b'<?xml version="1.0" encoding="UTF-8"?><QuoteRequest xmlns="urn:contractd:1">'
                b'<Header><DocumentId>U-1</DocumentId><DealerId>DLR-0042</DealerId></Header>'
                b'<Asset><Model>' + raw + b'</Model></Asset></QuoteRequest>')
        err = refused(c, body, 400, "not-well-formed", "invalid UTF-8: " + what)
        check(err["path"] and err["path"].startswith("line "), "path names the line: %r" % err)


def test_body_over_the_limit(c):
    """413. The HTTP layer refuses the body before any handler runs (libevent
    answers it itself, so the body may not be an XML Error)."""
    filler = "x" * (MAX_BODY + 1000)
    r = post(c, _qr_with("", filler))
    harness.expect_status(r, 413, "a body over the limit")
    if "xml" in r.headers.get("content-type", ""):
        expect_error(r, 413, "too-large", "a body over the limit")
    c.srv.healthy("after a body over the limit")
    # Just under the limit is read and judged by the schema, not refused.
    filler = "x" * (MAX_BODY - 2000)
    dd.expect_rejected(post(c, _qr_with("", filler)), "a body just under the limit")


def test_doctype(c):
    refused(c, _qr_with("<!DOCTYPE QuoteRequest>", "x"), 400, "doctype-forbidden",
            "a bare DOCTYPE")
    refused(c, _qr_with('<!DOCTYPE QuoteRequest [<!ELEMENT QuoteRequest ANY>]>', "x"), 400,
            "doctype-forbidden", "an internal subset")


def test_xinclude_not_processed(c):
    body = ('<QuoteRequest xmlns="%s" xmlns:xi="http://www.w3.org/2001/XInclude">'
            '<Header><DocumentId>XI-1</DocumentId><DealerId>%s</DealerId></Header>'
            '<xi:include href="file:///etc/passwd" parse="text"/></QuoteRequest>' % (NS, D))
    r = post(c, body)
    dd.expect_rejected(r, "an XInclude")
    check("root:" not in r.body, "the XInclude was followed: %s" % r.body[:300])


def test_not_xml(c):
    refused(c, "hello, world", 400, "not-well-formed", "not XML")
    refused(c, "", 400, "empty", "an empty body")
    refused(c, "<QuoteRequest xmlns='urn:contractd:1'><Header>", 400, "not-well-formed",
            "a truncated document")


def test_hostile_inside_batch(c):
    inner = "<a>" * 10000 + "</a>" * 10000
    body = '<Batch xmlns="%s">%s%s</Batch>' % (NS, dd.header("HB-1", D), inner)
    refused(c, body, 400, "too-deep", "deep nesting inside a Batch")


def test_still_works(c):
    """After all that, a real document is processed as usual."""
    xml = dd.quote_request("AFTER-1", D, asset=dd.asset_xml("AFTER-1"))
    dd.expect_reply(post(c, xml), "Quote", "a QuoteRequest after the hostile ones")
    c.srv.healthy("at the end")
    log = c.srv.log_text()
    check("AddressSanitizer" not in log and "runtime error" not in log,
          "sanitizer report in the log:\n" + log[-2000:])


if __name__ == "__main__":
    harness.main(globals())
