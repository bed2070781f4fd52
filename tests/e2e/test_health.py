#!/usr/bin/env python3
"""Health, readiness, metrics, unknown routes, wrong methods, request ids."""
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import NS, check, eq, expect_error, expect_status, metric_sum, parse_metrics  # noqa: E402

PLUGIN_SECTION = "example-flat"


def setup():
    # The example plugin is configured when it is built, so the metrics
    # carry plugin info; test_metrics_plugin_info fails (rather than the
    # whole file) when it is not.
    plugins, plugin_dir = [], None
    if os.path.exists(harness.EXAMPLE_PLUGIN):
        plugins = [(PLUGIN_SECTION, "example-flat.so", harness.EXAMPLE_PLUGIN_PARAMS)]
        plugin_dir = harness.EXAMPLE_PLUGIN_DIR
    return harness.Server("health", plugins=plugins, plugin_dir=plugin_dir).start()


def test_healthz(srv):
    r = expect_status(srv.request("GET", "/healthz"), 200, "GET /healthz")
    check(r.headers.get("content-type", "").startswith("text/plain"),
          "GET /healthz: Content-Type %r is not text/plain" % r.headers.get("content-type"))
    eq(r.body.strip(), "ok", "GET /healthz body")
    # Health needs no key, and a key does not change the answer.
    expect_status(srv.request("GET", "/healthz", key=srv.admin_key), 200, "GET /healthz with key")


def test_healthz_head(srv):
    r = srv.request("HEAD", "/healthz")
    expect_status(r, (200, 405), "HEAD /healthz")
    eq(r.body, "", "HEAD /healthz body")


def test_readyz(srv):
    r = expect_status(srv.request("GET", "/readyz"), 200, "GET /readyz on a migrated database")
    eq(r.body.strip(), "ready", "GET /readyz body")
    check(r.headers.get("content-type", "").startswith("text/plain"),
          "GET /readyz: Content-Type %r is not text/plain" % r.headers.get("content-type"))


def _metrics(srv):
    r = expect_status(srv.request("GET", "/metrics"), 200, "GET /metrics")
    ctype = r.headers.get("content-type", "")
    check(ctype.startswith("text/plain"), "GET /metrics: Content-Type %r is not text/plain" % ctype)
    return r.body, parse_metrics(r.body)


def _healthz_200(samples):
    return metric_sum(samples, "contractd_http_requests_total",
                      route=lambda v: "healthz" in v, status="200")


def test_metrics_counter_increases(srv):
    body, before = _metrics(srv)
    check(any(n == "contractd_http_requests_total" for n, _, _ in before),
          "no contractd_http_requests_total in /metrics:\n" + harness._clip(body, 2000))
    b = _healthz_200(before) or 0.0
    for _ in range(5):
        expect_status(srv.request("GET", "/healthz"), 200, "GET /healthz")
    _, after = _metrics(srv)
    a = _healthz_200(after)
    check(a is not None, 'no contractd_http_requests_total{route=~"healthz",status="200"} '
          'after 5 requests to /healthz')
    check(a >= b + 5, "contractd_http_requests_total for /healthz 200 went from %s to %s "
          "after 5 requests" % (b, a))
    # A 404 is counted under its own status.
    expect_status(srv.request("GET", "/no/such/route", key=srv.admin_key), 404, "unknown route")
    _, after404 = _metrics(srv)
    check(metric_sum(after404, "contractd_http_requests_total", status="404"),
          'no contractd_http_requests_total{status="404"} after a 404')


def test_metrics_histogram(srv):
    expect_status(srv.request("GET", "/healthz"), 200, "GET /healthz")
    body, samples = _metrics(srv)
    name = "contractd_http_request_duration_seconds"
    buckets = [(l, v) for n, l, v in samples if n == name + "_bucket"]
    check(buckets, "no %s_bucket in /metrics" % name)
    check(all("le" in l for l, _ in buckets), "a %s_bucket has no le label" % name)
    check(any(l["le"] == "+Inf" for l, _ in buckets), 'no %s_bucket{le="+Inf"}' % name)
    check(any(n == name + "_sum" for n, _, _ in samples), "no %s_sum" % name)
    check(any(n == name + "_count" for n, _, _ in samples), "no %s_count" % name)
    # Per series: buckets are cumulative and +Inf equals _count.
    series = {}
    for l, v in buckets:
        k = tuple(sorted((a, b) for a, b in l.items() if a != "le"))
        series.setdefault(k, []).append((float(l["le"]), v))
    counts = {tuple(sorted(l.items())): v for n, l, v in samples if n == name + "_count"}
    for k, bs in series.items():
        bs.sort()
        vals = [v for _, v in bs]
        check(vals == sorted(vals), "%s buckets of %s are not cumulative: %s" % (name, dict(k), bs))
        if k in counts:
            eq(bs[-1][1], counts[k], "%s{le=+Inf} vs _count for %s" % (name, dict(k)))
    check(any(dict(k).get("route", "").find("healthz") >= 0 for k in series),
          "no %s series for the healthz route" % name)


def test_metrics_db_pool(srv):
    _, samples = _metrics(srv)
    busy = metric_sum(samples, "contractd_db_pool_connections", state="busy")
    idle = metric_sum(samples, "contractd_db_pool_connections", state="idle")
    check(busy is not None, 'no contractd_db_pool_connections{state="busy"}')
    check(idle is not None, 'no contractd_db_pool_connections{state="idle"}')
    check(busy >= 0 and idle >= 0, "negative pool gauges: busy=%s idle=%s" % (busy, idle))


def test_metrics_plugin_info(srv):
    check(os.path.exists(harness.EXAMPLE_PLUGIN),
          "cannot run: %s is not built" % harness.EXAMPLE_PLUGIN)
    _, samples = _metrics(srv)
    loaded = metric_sum(samples, "contractd_plugins_loaded")
    eq(loaded, 1.0, "contractd_plugins_loaded with example-flat configured")
    infos = [l for n, l, _ in samples if n == "contractd_plugin_info"]
    check(infos, "no contractd_plugin_info in /metrics")
    check(any("flat" in l.get("name", "") for l in infos),
          "contractd_plugin_info names no flat plugin: %s" % infos)
    for l in infos:
        for k in ("name", "version", "kind"):
            check(l.get(k), "contractd_plugin_info without %s: %s" % (k, l))
        eq(l["kind"], "pricing", "contractd_plugin_info kind of %s" % l.get("name"))


def test_unknown_route_404(srv):
    for path in ("/v1/no-such-thing", "/nope", "/v1/dealers/x/y/z"):
        r = srv.request("GET", path, key=srv.admin_key)
        err = expect_error(r, 404, what="GET %s" % path)
        check(err["code"] == "not_found" or "found" in err["code"],
              "GET %s: <Code> %r does not say not found" % (path, err["code"]))


def test_wrong_method_405(srv):
    cases = [("POST", "/healthz", None), ("DELETE", "/readyz", None), ("PUT", "/metrics", ""),
             ("DELETE", "/v1/whoami", None), ("PUT", "/v1/plugins", "")]
    for method, path, body in cases:
        r = srv.request(method, path, body=body, key=srv.admin_key)
        expect_error(r, 405, what="%s %s" % (method, path))
        if "allow" not in r.headers:
            harness.diag("note: %s %s: 405 without an Allow header (RFC 9110 wants one)" % (
                method, path))


def test_request_id(srv):
    seen = set()
    cases = [("GET", "/healthz", None), ("GET", "/readyz", None), ("GET", "/metrics", None),
             ("GET", "/v1/whoami", srv.admin_key), ("GET", "/v1/whoami", None),
             ("GET", "/v1/nope", srv.admin_key), ("POST", "/healthz", None)]
    for method, path, key in cases:
        r = srv.request(method, path, key=key)
        rid = r.headers.get("x-request-id")
        check(rid, "%s %s (status %d): no X-Request-Id header" % (method, path, r.status))
        check(rid not in seen, "%s %s: X-Request-Id %r repeats an earlier one" % (method, path, rid))
        seen.add(rid)


def test_error_namespace(srv):
    r = srv.request("GET", "/v1/whoami")
    expect_error(r, 401, code="unauthorized", what="GET /v1/whoami without a key")
    check(('xmlns="%s"' % NS) in r.body, "error body does not declare %s: %s" % (NS, r.body))


def test_still_healthy(srv):
    srv.healthy("after all health tests")


if __name__ == "__main__":
    harness.main(globals())
