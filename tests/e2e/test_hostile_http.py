#!/usr/bin/env python3
"""Hostile HTTP: oversized bodies and headers, garbage, stalled and dripping
clients, many connections. The server must answer or close promptly, keep
serving others, and stay healthy."""
import http.client
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, expect_status, http_status, read_until_close  # noqa: E402

MAX_BODY = 65536
MAX_HEADERS = 8192
TIMEOUT = 5


def setup():
    return harness.Server("hostile", threads=2, workers=4, server_opts={
        "max_body": MAX_BODY, "max_headers": MAX_HEADERS, "timeout": TIMEOUT}).start()


def _head(srv, method, path, extra=b"", key=True):
    h = b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % (method.encode(), path.encode())
    if key:
        h += b"Authorization: Bearer %s\r\n" % srv.admin_key.encode()
    return h + extra


def _send_then_read(srv, head, body_chunks, timeout=10):
    """Sends head, then waits briefly for an early answer (a server may
    refuse before reading the body), then sends body_chunks; returns what
    came back."""
    s = socket.create_connection((srv.host, srv.port), timeout=timeout)
    try:
        s.sendall(head)
        s.settimeout(1.0)
        early = b""
        try:
            early = s.recv(65536)
        except socket.timeout:
            pass
        except ConnectionResetError:
            return early
        if early:
            return early + read_until_close(s, 2)
        for chunk in body_chunks:
            try:
                s.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        return read_until_close(s, timeout)
    finally:
        s.close()


def test_body_over_max_body_413(srv):
    size = MAX_BODY * 4
    head = _head(srv, "POST", "/v1/dealers",
                 b"Content-Type: application/xml\r\nContent-Length: %d\r\n\r\n" % size)
    got = _send_then_read(srv, head, [b"x" * 8192] * (size // 8192))
    eq(http_status(got), 413, "status for a %d-byte body (max_body %d); got %r" % (
        size, MAX_BODY, got[:300]))
    srv.healthy("after an oversized body")


def test_chunked_body_over_max_body_413(srv):
    head = _head(srv, "POST", "/v1/dealers",
                 b"Content-Type: application/xml\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"2000\r\n" + b"y" * 0x2000 + b"\r\n"
    got = _send_then_read(srv, head, [chunk] * (MAX_BODY * 3 // 0x2000) + [b"0\r\n\r\n"])
    eq(http_status(got), 413, "status for a chunked body over max_body; got %r" % got[:300])
    srv.healthy("after an oversized chunked body")


def test_body_under_max_body_is_parsed(srv):
    """Just under the limit the body is read and judged on its content."""
    name = "n" * (MAX_BODY - 200)
    r = srv.request("POST", "/v1/dealers", body=harness.dealer_xml("BIGNAME", name),
                    key=srv.admin_key)
    check(r.status != 413, "a %d-byte body under max_body %d got 413" % (
        len(harness.dealer_xml("BIGNAME", name)), MAX_BODY))
    harness.expect_error(r, 400, what="a dealer with a %d-character name" % len(name))


def test_oversized_headers_4xx(srv):
    cases = {
        "one huge header": _head(srv, "GET", "/healthz",
                                 b"X-Big: " + b"a" * (MAX_HEADERS * 3) + b"\r\n\r\n", key=False),
        "many headers": _head(srv, "GET", "/healthz",
                              b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 40) for i in range(800))
                              + b"\r\n", key=False),
        "huge request line": b"GET /healthz?" + b"q" * (MAX_HEADERS * 3)
                             + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    }
    problems = []
    for what, data in cases.items():
        got = srv.raw(data, timeout=10)
        st = http_status(got)
        harness.diag("%s (%d bytes): %s" % (what, len(data), got.split(b"\r\n", 1)[0][:80]))
        if st is None or not 400 <= st < 500:
            problems.append("%s: expected a 4xx answer, got %r" % (what, got[:200]))
        srv.healthy("after " + what)
    check(not problems, "\n".join(problems))


def test_garbage_request_line(srv):
    """Each must be answered with a 4xx or closed, promptly; never 2xx/5xx."""
    cases = [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"\x00\x01\x02\x03\xff\xfe\r\n\r\n",
             b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", b"GET /healthz FOO/1.1\r\n\r\n",
             b"   \r\n\r\n", b"GET /healthz HTTP/1.1\r\nNo colon here\r\n\r\n",
             b"POST /v1/dealers HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
             b"POST /v1/dealers HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
             b"POST /v1/dealers HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
             b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
             b"GET /healthz\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
             os.urandom(2048) + b"\r\n\r\n"]
    problems = []
    for data in cases:
        t0 = time.monotonic()
        s = socket.create_connection((srv.host, srv.port), timeout=10)
        try:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass
            got = read_until_close(s, TIMEOUT + 5)
        finally:
            s.close()
        took = time.monotonic() - t0
        st = http_status(got)
        label = repr(data[:40])
        harness.diag("%s -> %s in %.1fs" % (label, got.split(b"\r\n", 1)[0][:60] or "(closed)", took))
        if st is not None and not 400 <= st < 500:
            problems.append("%s: answered %r" % (label, got[:120]))
        if st is None and took > TIMEOUT + 4:
            problems.append("%s: neither answered nor closed within %.0fs" % (label, took))
        try:
            srv.healthy("after %s" % label)
        except harness.TestFailure as e:
            problems.append(str(e))
            break
    check(not problems, "\n".join(problems))


def _stalled(srv, n):
    socks = []
    partials = [b"GET /hea",
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Partial: ",
                _head(srv, "POST", "/v1/dealers",
                      b"Content-Type: application/xml\r\nContent-Length: 500\r\n\r\n<Dealer")]
    for i in range(n):
        s = socket.create_connection((srv.host, srv.port), timeout=10)
        s.sendall(partials[i % len(partials)])
        socks.append(s)
    return socks


def test_stalled_clients_do_not_block_others(srv):
    socks = _stalled(srv, 12)
    try:
        time.sleep(0.5)
        t0 = time.monotonic()
        expect_status(srv.request("GET", "/healthz", timeout=3), 200, "healthz with 12 stalled clients")
        expect_status(srv.request("GET", "/v1/whoami", key=srv.admin_key, timeout=5), 200,
                      "whoami with 12 stalled clients")
        expect_status(srv.request("POST", "/v1/dealers", body=harness.dealer_xml("STALL-OK"),
                                  key=srv.admin_key, timeout=5), 201,
                      "POST /v1/dealers with 12 stalled clients")
        took = time.monotonic() - t0
        check(took < 5, "three requests took %.1fs with stalled clients around" % took)
        # The server drops them once the timeout passes.
        t0 = time.monotonic()
        open_after = []
        for i, s in enumerate(socks):
            left = max(0.5, TIMEOUT + 10 - (time.monotonic() - t0))
            got = read_until_close(s, left)
            st = http_status(got)
            if st is not None and st not in (400, 408):
                open_after.append("stalled client %d answered %r" % (i, got[:100]))
            s.settimeout(0.5)
            try:
                if s.recv(1) != b"":
                    open_after.append("stalled client %d: more data after the answer" % i)
            except socket.timeout:
                open_after.append("stalled client %d still open after %.0fs (timeout %d)" % (
                    i, time.monotonic() - t0, TIMEOUT))
            except (ConnectionResetError, OSError):
                pass
        check(not open_after, "\n".join(open_after))
    finally:
        for s in socks:
            s.close()
    srv.healthy("after stalled clients")


def test_dripping_client_is_cut(srv):
    """A client that sends one byte of headers every half second is cut off
    after about the configured timeout, and others are served meanwhile."""
    s = socket.create_connection((srv.host, srv.port), timeout=10)
    data = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Drip: " + b"d" * 400
    t0 = time.monotonic()
    closed_after = None
    served_meanwhile = False
    try:
        for i, byte in enumerate(data):
            try:
                s.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - t0
                break
            s.settimeout(0.5)
            try:
                got = s.recv(4096)
                if got == b"" or http_status(got) is not None:
                    closed_after = time.monotonic() - t0
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed_after = time.monotonic() - t0
                break
            if i == 4:
                r = srv.request("GET", "/healthz", timeout=3)
                served_meanwhile = r.status == 200
            if time.monotonic() - t0 > TIMEOUT * 3 + 5:
                break
    finally:
        s.close()
    harness.diag("dripping client cut after %s s" % (
        "%.1f" % closed_after if closed_after is not None else "never"))
    check(served_meanwhile, "another client was not served while one dripped")
    check(closed_after is not None and closed_after <= TIMEOUT * 3 + 2,
          "a client dripping headers was not cut off within %ds (timeout %d)" % (
              TIMEOUT * 3, TIMEOUT))
    srv.healthy("after a dripping client")


def test_idle_connection_closed(srv):
    s = socket.create_connection((srv.host, srv.port), timeout=10)
    t0 = time.monotonic()
    try:
        got = read_until_close(s, TIMEOUT + 10)
        took = time.monotonic() - t0
    finally:
        s.close()
    harness.diag("idle connection closed after %.1fs; got %r" % (took, got[:60]))
    check(took <= TIMEOUT + 5, "an idle connection stayed open %.1fs (timeout %d)" % (took, TIMEOUT))


def test_many_simultaneous_connections(srv):
    n = 300
    socks, problems = [], []
    try:
        for _ in range(n):
            socks.append(socket.create_connection((srv.host, srv.port), timeout=10))
        for s in socks:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        t0 = time.monotonic()
        for i, s in enumerate(socks):
            got = read_until_close(s, max(1, 30 - (time.monotonic() - t0)))
            if http_status(got) != 200:
                problems.append("connection %d: %r" % (i, got[:80]))
    finally:
        for s in socks:
            s.close()
    check(not problems, "%d of %d simultaneous requests failed, e.g.:\n%s" % (
        len(problems), n, "\n".join(problems[:5])))
    srv.healthy("after %d simultaneous connections" % n)


def test_many_concurrent_clients_on_worker_routes(srv):
    """Sixty threads against a route that needs a worker and the database."""
    errors, lock = [], threading.Lock()

    def client(t):
        for i in range(5):
            try:
                r = srv.request("GET", "/v1/whoami", key=srv.admin_key, timeout=20)
                if r.status != 200:
                    with lock:
                        errors.append("%d: %s" % (r.status, r.body[:100]))
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    errors.append(repr(e))

    threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    check(not any(t.is_alive() for t in threads), "a client thread hung")
    check(not errors, "%d of 300 requests failed, e.g. %s" % (len(errors), errors[:5]))
    srv.healthy("after 60 concurrent clients")


def test_keep_alive(srv):
    conn = srv.connection(timeout=10)
    try:
        for i in range(50):
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            eq(r.status, 200, "request %d on one keep-alive connection" % i)
    finally:
        conn.close()


def test_slow_request_then_more_on_the_same_connection(srv):
    """A request that waits on the database across several of the server's
    once-a-second connection sweeps, then more requests on the same
    keep-alive connection: the connection's deadline bookkeeping must
    survive the wait and the answer."""
    locker = threading.Thread(target=srv.sql,
                              args=("LOCK TABLES dealers WRITE; DO SLEEP(3); UNLOCK TABLES;",))
    locker.start()
    conn = srv.connection(timeout=20)
    try:
        time.sleep(0.5)
        started = time.monotonic()
        conn.request("GET", "/v1/dealers/NO-SUCH-DEALER",
                     headers={"Authorization": "Bearer " + srv.admin_key})
        r = conn.getresponse()
        r.read()
        waited = time.monotonic() - started
        eq(r.status, 404, "the slow request's answer")
        check(waited > 1.5, "the request was meant to wait on the lock (waited %.1fs)" % waited)
        for i in range(5):
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            r.read()
            eq(r.status, 200, "request %d after the slow one on the same connection" % i)
    finally:
        conn.close()
        locker.join(10)
    srv.healthy("after a slow request on a kept-alive connection")


def test_client_closes_mid_request(srv):
    """Clients that vanish mid-body or before reading the answer harm nothing."""
    for _ in range(20):
        s = socket.create_connection((srv.host, srv.port), timeout=5)
        s.sendall(_head(srv, "POST", "/v1/dealers",
                        b"Content-Type: application/xml\r\nContent-Length: 1000\r\n\r\n<Dea"))
        s.close()
        s = socket.create_connection((srv.host, srv.port), timeout=5)
        s.sendall(_head(srv, "GET", "/v1/whoami", b"\r\n"))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # a reset
    srv.healthy("after clients vanished mid-request")


if __name__ == "__main__":
    harness.main(globals())
