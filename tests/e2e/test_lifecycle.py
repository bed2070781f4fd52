#!/usr/bin/env python3
"""Lifecycle: SIGTERM under load loses no acknowledged request; the private
MariaDB is restarted when it dies; SIGINT stops everything cleanly."""
import collections
import http.client
import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, expect_error, expect_status, pid_alive  # noqa: E402

GRACE = 15
CLIENTS = 8


def setup():
    return harness.Server("lifecycle", server_opts={"shutdown_grace": GRACE}, workers=8).start()


def _stopped_mariadb(srv, pid, what, timeout=10):
    if pid is None:
        return
    harness.wait_until(lambda: not pid_alive(pid), timeout,
                       "the private mariadbd (pid %d) to be gone %s" % (pid, what))


def test_sigterm_under_load(srv):
    acked, unanswered = [], []
    outcomes = collections.Counter()
    bad = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(t):
        i = 0
        while not stop.is_set():
            dealer_id = "T%d-%d" % (t, i)
            i += 1
            try:
                r = srv.request("POST", "/v1/dealers", body=harness.dealer_xml(dealer_id),
                                key=srv.admin_key, timeout=20)
            except ConnectionRefusedError:
                with lock:
                    outcomes["refused"] += 1
                time.sleep(0.05)
                continue
            except (OSError, http.client.HTTPException) as e:
                # Sent (maybe only in part), no answer: was it executed?
                with lock:
                    outcomes[type(e).__name__] += 1
                    unanswered.append((dealer_id, repr(e)))
                continue
            with lock:
                outcomes[r.status] += 1
                if r.status == 201:
                    acked.append(dealer_id)
                elif r.status != 503:
                    bad.append("%s: %d %s" % (dealer_id, r.status, r.body[:200]))

    mariadb_pid = srv.mariadb_pid()
    threads = [threading.Thread(target=client, args=(t,), daemon=True) for t in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        harness.wait_until(lambda: len(acked) >= 50, 30, "50 dealers to be acknowledged")
        before = len(acked)
        srv.signal(signal.SIGTERM)
        srv.expected_running = False
        rc, took = srv.wait_exit(GRACE + 30)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    check(not any(t.is_alive() for t in threads), "a client thread hung")
    harness.diag("acknowledged %d before SIGTERM, %d in all; outcomes: %s; exit %s after %.1fs"
                 % (before, len(acked), dict(outcomes), rc, took))
    eq(rc, 0, "contractd exit status after SIGTERM")
    check(took <= GRACE + 5, "contractd took %.1fs to exit after SIGTERM (grace %ds)" % (took, GRACE))
    check(not bad, "answers other than 201/503 under load: %s" % bad[:5])
    _stopped_mariadb(srv, mariadb_pid, "after contractd exited")
    srv.start()
    lost = []
    for dealer_id in acked:
        r = srv.request("GET", "/v1/dealers/" + dealer_id, key=srv.admin_key)
        if r.status != 200:
            lost.append("%s: %d" % (dealer_id, r.status))
    check(not lost, "%d of %d acknowledged dealers are missing after restart: %s" % (
        len(lost), len(acked), lost[:10]))
    # A request the server executed must also have been answered: draining
    # finishes requests in flight, it does not cut them off.
    executed_unanswered = []
    for dealer_id, err in unanswered:
        r = srv.request("GET", "/v1/dealers/" + dealer_id, key=srv.admin_key)
        harness.diag("unanswered %s (%s): dealer %s" % (
            dealer_id, err, "exists" if r.status == 200 else "absent (%d)" % r.status))
        if r.status == 200:
            executed_unanswered.append(dealer_id)
    check(not executed_unanswered, "requests executed but never answered (the connection was "
          "cut during the drain): %s" % executed_unanswered)


def test_database_restart(srv):
    r = srv.request("POST", "/v1/dealers", body=harness.dealer_xml("DBR-1"), key=srv.admin_key)
    expect_status(r, (201, 409), "POST /v1/dealers before the database dies")
    old = srv.mariadb_pid()
    check(old and pid_alive(old), "cannot run: no live mariadbd pid in %s" % srv.pid_file)
    os.kill(old, signal.SIGKILL)
    t0 = time.monotonic()
    statuses, ready_statuses, problems = [], [], []
    ready = False
    deadline = t0 + 20
    while time.monotonic() < deadline:
        t1 = time.monotonic()
        try:
            r = srv.request("GET", "/v1/dealers/DBR-1", key=srv.admin_key, timeout=10)
        except (OSError, http.client.HTTPException) as e:
            problems.append("GET /v1/dealers/DBR-1 failed after %.1fs: %r" % (
                time.monotonic() - t1, e))
            check(srv.alive(), "contractd died while its database was down")
            continue
        statuses.append(r.status)
        if r.status == 503:
            expect_error(r, 503, what="GET /v1/dealers/DBR-1 while the database is down")
        elif r.status != 200:
            problems.append("GET /v1/dealers/DBR-1: %d %s" % (r.status, r.body[:200]))
        rr = srv.request("GET", "/readyz", timeout=10)
        ready_statuses.append(rr.status)
        if rr.status not in (200, 503):
            problems.append("GET /readyz: %d %s" % (rr.status, rr.body[:200]))
        if rr.status == 200 and r.status == 200:
            ready = True
            break
        time.sleep(0.2)
    took = time.monotonic() - t0
    harness.diag("statuses while down: %s; readyz: %s; back after %.1fs" % (
        _runs(statuses), _runs(ready_statuses), took))
    check(not problems, "\n".join(problems[:10]))
    check(srv.alive(), "contractd died while its database was down")
    check(503 in statuses, "no request answered 503 while the database was down: %s" % statuses)
    check(ready, "/readyz and GET /v1/dealers did not both answer 200 within 20s after "
          "kill -9 of mariadbd")
    new = srv.mariadb_pid()
    check(new and new != old and pid_alive(new),
          "no new live mariadbd after the restart (old pid %s, pid file says %s)" % (old, new))
    srv.mariadb_pids.add(new)
    # Every worker's pooled connection died with the server; none may fail
    # a request because of it once the database is back.
    for i in range(32):
        expect_status(srv.request("GET", "/v1/whoami", key=srv.admin_key), 200,
                      "whoami %d after restart" % (i + 1))
    expect_status(srv.request("POST", "/v1/dealers", body=harness.dealer_xml("DBR-2"),
                              key=srv.admin_key), 201, "POST /v1/dealers after the restart")
    expect_status(srv.request("GET", "/v1/dealers/DBR-2", key=srv.admin_key), 200,
                  "GET /v1/dealers/DBR-2 after the restart")
    srv.wait_log(r"restart", timeout=5)


def _runs(xs):
    """[503, 503, 200] -> '503x2 200'."""
    out = []
    for x in xs:
        if out and out[-1][0] == x:
            out[-1][1] += 1
        else:
            out.append([x, 1])
    return " ".join("%sx%d" % (x, n) if n > 1 else str(x) for x, n in out)


def test_idle_sigterm_is_quick(srv):
    """With nothing in flight SIGTERM does not wait for the grace period."""
    mariadb_pid = srv.mariadb_pid()
    t0 = time.monotonic()
    srv.signal(signal.SIGTERM)
    srv.expected_running = False
    rc, took = srv.wait_exit(GRACE + 30)
    harness.diag("idle SIGTERM: exit %s after %.1fs" % (rc, time.monotonic() - t0))
    eq(rc, 0, "exit status after SIGTERM when idle")
    check(took <= 10, "an idle contractd took %.1fs to stop" % took)
    _stopped_mariadb(srv, mariadb_pid, "after an idle SIGTERM")
    srv.start()


def test_sigint_stops_cleanly(srv):
    r = srv.request("POST", "/v1/dealers", body=harness.dealer_xml("SIG-1"), key=srv.admin_key)
    expect_status(r, 201, "POST /v1/dealers before SIGINT")
    mariadb_pid = srv.mariadb_pid()
    rc = srv.stop(sig=signal.SIGINT, timeout=GRACE + 30)
    eq(rc, 0, "exit status after SIGINT")
    _stopped_mariadb(srv, mariadb_pid, "after SIGINT")
    left = harness.pids_matching(srv.tmp)
    check(not left, "processes left after SIGINT: %s" % [harness.proc_cmdline(p) for p in left])
    srv.start()
    expect_status(srv.request("GET", "/v1/dealers/SIG-1", key=srv.admin_key), 200,
                  "a dealer created before SIGINT, after restart")


if __name__ == "__main__":
    harness.main(globals())
