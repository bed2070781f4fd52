#!/usr/bin/env python3
"""HTTPS: a throwaway self-signed certificate, TLS 1.2 minimum; a report
far larger than a TLS record arrives whole."""
import os
import signal
import socket
import ssl
import sys
import warnings

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, expect_status, parse_xml, xml_text  # noqa: E402
import dealer_docs as dd  # noqa: E402

# TLS 1.0 and 1.1 are deprecated: that is the point of asking for them.
warnings.filterwarnings("ignore", category=DeprecationWarning)


def setup():
    return harness.Server("tls", tls=True).start()


def _handshake(srv, ctx, timeout=10):
    """Returns the negotiated version, or raises ssl.SSLError/OSError."""
    raw = socket.create_connection((srv.host, srv.port), timeout=timeout)
    try:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.version()
    finally:
        raw.close()


def _client(srv, minv, maxv, seclevel0=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=srv.cert)
    ctx.minimum_version = minv
    ctx.maximum_version = maxv
    if seclevel0:
        # OpenSSL 3 clients refuse TLS 1.1 at the default security level.
        ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


def test_healthz_over_https(srv):
    r = expect_status(srv.request("GET", "/healthz"), 200, "GET /healthz over HTTPS")
    eq(r.body.strip(), "ok", "GET /healthz body over HTTPS")
    check(r.headers.get("x-request-id"), "no X-Request-Id over HTTPS")


def test_whoami_over_https(srv):
    r = expect_status(srv.request("GET", "/v1/whoami", key=srv.admin_key), 200,
                      "GET /v1/whoami over HTTPS")
    eq(xml_text(parse_xml(r.body), "Role"), "admin", "whoami <Role> over HTTPS")


def test_certificate_is_ours(srv):
    ctx = _client(srv, ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.MAXIMUM_SUPPORTED)
    raw = socket.create_connection((srv.host, srv.port), timeout=10)
    with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
        der = s.getpeercert(binary_form=True)
    with open(srv.cert) as f:
        pem = f.read()
    eq(der, ssl.PEM_cert_to_DER_cert(pem), "the certificate the server presents")


def test_tls12_accepted(srv):
    v = _handshake(srv, _client(srv, ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2))
    eq(v, "TLSv1.2", "negotiated version with a TLS 1.2-only client")


def test_tls13_accepted(srv):
    v = _handshake(srv, _client(srv, ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.MAXIMUM_SUPPORTED))
    eq(v, "TLSv1.3", "negotiated version with a modern client")


def _refused(srv, version):
    ctx = _client(srv, version, version, seclevel0=True)
    try:
        got = _handshake(srv, ctx)
    except ssl.SSLError as e:
        text = str(e)
        # A client that cannot even offer the version proves nothing.
        check("NO_PROTOCOLS_AVAILABLE" not in text.upper() and "no protocols" not in text.lower(),
              "cannot run: this Python/OpenSSL cannot offer %s: %s" % (version.name, text))
        harness.diag("%s refused: %s" % (version.name, text))
        return
    except (ConnectionResetError, BrokenPipeError) as e:
        harness.diag("%s refused by closing the connection: %r" % (version.name, e))
        return
    harness.fail("a %s-only client completed a handshake (negotiated %s)" % (version.name, got))


def test_tls11_refused(srv):
    _refused(srv, ssl.TLSVersion.TLSv1_1)


def test_tls10_refused(srv):
    _refused(srv, ssl.TLSVersion.TLSv1)


def test_plain_http_on_tls_port(srv):
    """Plain HTTP on the HTTPS port gets no answer it could take for a 200."""
    got = srv.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=5)
    check(harness.http_status(got) != 200, "plain HTTP on the TLS port got a 200: %r" % got[:200])
    srv.healthy("after plain HTTP on the TLS port")


def test_garbage_handshake(srv):
    srv.raw(b"\x16\x03\x01\x02\x00" + os.urandom(512), timeout=3)
    srv.raw(os.urandom(4096), timeout=3)
    srv.healthy("after garbage handshakes")


def test_reload_keeps_tls(srv):
    mark = srv.log_size()
    srv.signal(signal.SIGHUP)
    srv.wait_log(r"reload", since=mark, timeout=15)
    srv.healthy("after SIGHUP")
    test_certificate_is_ours(srv)


def test_large_report_over_https(srv):
    """A report is spooled to a file and sent from it: over TLS too the
    body is whole (Content-Length and every row), and HEAD sends none."""
    from concurrent.futures import ThreadPoolExecutor
    from decimal import Decimal
    c = dd.start_server("tls-report", dealers=("DLR-0042",), seller=True, tls=True)
    try:
        key = c.keys["DLR-0042"]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: dd.register(c.srv, key, "TLS-%04d" % i, "DLR-0042",
                                                asset=dd.asset_xml("TLS-WM-%04d" % i)),
                          range(400)))
        day = (dd.days(-1), dd.days(0))
        r = expect_status(c.srv.request("GET", "/v1/reports/invoices.csv?from=%s&to=%s" % day,
                                        key=c.srv.admin_key), 200, "the invoice register")
        eq(int(r.headers.get("content-length", -1)), len(r.body.encode("utf-8")),
           "the register's Content-Length")
        eq(r.body.count("\r\n"), 401, "the header and a row per invoice")
        path = "/v1/reports/journal.csv?from=%s&to=%s" % day
        r = expect_status(c.srv.request("GET", path, key=c.srv.admin_key), 200,
                          "the journal over HTTPS")
        body = r.body.encode("utf-8")
        check(len(body) > 64 * 1024, "a report of several spool chunks: %d bytes" % len(body))
        eq(int(r.headers.get("content-length", -1)), len(body), "Content-Length")
        rows = [ln.split(",") for ln in r.body.split("\r\n")[1:-1]]
        check(len(rows) >= 3 * 400 and r.body.endswith("\r\n"),
              "three rows or more per invoice, the last one whole: %d" % len(rows))
        eq(sum(Decimal(x[3] or 0) for x in rows), sum(Decimal(x[4] or 0) for x in rows),
           "debits = credits: every row arrived")
        h = expect_status(c.srv.request("HEAD", path, key=c.srv.admin_key), 200, "HEAD")
        eq((h.body, h.headers.get("content-length")), ("", str(len(body))),
           "HEAD: the length, no body")
    finally:
        c.srv.stop()


test_large_report_over_https.timeout = 300


if __name__ == "__main__":
    harness.main(globals())
