#!/usr/bin/env python3
"""Plugins: the loaded set, contractctl plugin check on good and broken
plugins, and SIGHUP reloads that fail (old set kept) or succeed (new set)."""
import glob
import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, expect_status, parse_xml, sha256_file  # noqa: E402

SECTION = "example-flat"

FLAT_PARAMS = harness.EXAMPLE_PLUGIN_PARAMS
FLAT = (SECTION, "example-flat.so", FLAT_PARAMS)

# What the refusal of each broken test plugin (tests/plugins/NAME.c, each
# correct but for the defect it is named after) must mention, case-
# insensitively: every entry, where a tuple means any one of its words.
EXPECT = {
    "bad-abi-major": ["abi", ("major", "rebuild")],
    "newer-abi-minor": ["abi", ("minor", "newer")],
    "no-entry": ["entry"],
    "null-entry": ["entry", "null"],
    "bad-magic": ["magic"],
    "small-descriptor": ["descriptor", ("size", "bytes")],
    "bad-kind": ["kind"],
    "no-name": ["name"],
    "no-version": ["version"],
    "no-ops": [("operations", "ops")],
    "small-ops": [("operations", "ops"), ("size", "bytes", "ops_header")],
    "no-quote": ["quote"],
    "unresolved-symbol": [("cd_symbol_nobody_defines", "undefined", "symbol")],
    "init-fails": ["init", "table"],
}
# Correct plugins that live beside the broken ones.
GOOD = {"good-pricing", "slow-pricing", "lines-billing", "flat-fee"}
REQUIRED = ["bad-abi-major", "newer-abi-minor", "no-entry", "init-fails"]


def missing_words(text, words):
    text = text.lower()
    out = []
    for w in words:
        alts = w if isinstance(w, tuple) else (w,)
        if not any(a in text for a in alts):
            out.append("/".join(alts))
    return out


def local(tag):
    return tag.rsplit("}", 1)[-1]


def listed(srv):
    """[(Name, Version, Kind, Sha256)] from GET /v1/plugins."""
    r = expect_status(srv.request("GET", "/v1/plugins", key=srv.admin_key), 200, "GET /v1/plugins")
    root = parse_xml(r.body, "GET /v1/plugins")
    eq(local(root.tag), "Plugins", "GET /v1/plugins root element")
    out = []
    for p in root:
        eq(local(p.tag), "Plugin", "child of <Plugins>")
        fields = {local(c.tag): (c.text or "").strip() for c in p}
        out.append((fields.get("Name"), fields.get("Version"), fields.get("Kind"),
                    fields.get("Sha256")))
    return out


def built_test_plugins():
    found = sorted(glob.glob(os.path.join(harness.TEST_PLUGIN_DIR, "*.so")))
    check(found, "cannot run: no test plugins built in %s (they are built by make check)"
          % harness.TEST_PLUGIN_DIR)
    return {os.path.basename(p)[:-3]: p for p in found}


def broken_plugins():
    return {n: p for n, p in built_test_plugins().items() if n not in GOOD}


def setup():
    check(os.path.exists(harness.EXAMPLE_PLUGIN),
          "cannot run: %s is not built" % harness.EXAMPLE_PLUGIN)
    return harness.Server("plugins", plugins=[FLAT],
                          plugin_dir=harness.EXAMPLE_PLUGIN_DIR).start()


def test_example_listed_at_start(srv):
    got = listed(srv)
    eq(len(got), 1, "number of plugins listed: %s" % got)
    name, version, kind, sha = got[0]
    eq(name, SECTION, "<Name> of the configured plugin")
    check(version, "<Version> is empty")
    eq(kind, "pricing", "<Kind> of example-flat")
    eq(sha, sha256_file(harness.EXAMPLE_PLUGIN), "<Sha256> vs the file's SHA-256")


def test_check_good_plugin(srv):
    r = srv.ctl("plugin", "check", harness.EXAMPLE_PLUGIN, check_rc=False)
    eq(r.returncode, 0, "contractctl plugin check example-flat.so exit status (stderr: %s)"
       % r.stderr.strip())
    out = r.stdout.lower()
    check("pricing" in out, "plugin check output does not give the kind:\n" + r.stdout)
    check("flat" in out, "plugin check output does not give the name:\n" + r.stdout)


def test_check_required_broken_plugins_exist(srv):
    have = broken_plugins()
    missing = [n for n in REQUIRED if n not in have]
    check(not missing, "test plugins not built: %s (have: %s)" % (missing, sorted(have)))


def test_check_broken_plugins_refused(srv):
    problems = []
    for name, path in sorted(broken_plugins().items()):
        r = srv.ctl("plugin", "check", path, check_rc=False)
        reason = (r.stderr + r.stdout).strip()
        harness.diag("%s: exit %d: %s" % (name, r.returncode, reason.replace("\n", " | ")))
        if r.returncode != 1:
            problems.append("%s: exit status %d, expected 1" % (name, r.returncode))
        if not reason:
            problems.append("%s: no reason given" % name)
        if name not in EXPECT:
            harness.diag("note: no expectation for %s in test_plugins.py" % name)
        missing = missing_words(reason, EXPECT.get(name, []))
        if missing:
            problems.append("%s: the reason does not mention %s: %s" % (
                name, " and ".join(missing), reason))
    check(not problems, "\n".join(problems))


def test_check_missing_file(srv):
    r = srv.ctl("plugin", "check", os.path.join(srv.tmp, "no-such-plugin.so"), check_rc=False)
    eq(r.returncode, 1, "plugin check on a missing file: exit status")
    check("no-such-plugin.so" in r.stderr + r.stdout, "the reason does not name the file: %s"
          % (r.stderr + r.stdout))


def _reload(srv):
    mark = srv.log_size()
    srv.signal(signal.SIGHUP)
    return mark


def _set_plugins(srv, plugins):
    srv.plugins = plugins
    srv.write_config()


def test_reload_broken_keeps_old_set(srv):
    have = broken_plugins()
    before = listed(srv)
    cases = [n for n in ("bad-abi-major", "newer-abi-minor", "no-entry", "init-fails") if n in have]
    check(cases, "cannot run: none of the broken plugins are built")
    for name in cases:
        _set_plugins(srv, [FLAT, ("broken", have[name], {})])
        mark = _reload(srv)
        line = srv.wait_log(r"level=(error|warn).*" + name, since=mark, timeout=15)
        harness.diag("%s: %s" % (name, line))
        missing = missing_words(line, EXPECT[name])
        check(not missing, "reload with %s: the log line does not mention %s: %s" % (
            name, " and ".join(missing), line))
        srv.healthy("after a reload with %s" % name)
        eq(listed(srv), before, "plugins listed after a failed reload with %s" % name)
    missing = os.path.join(srv.tmp, "gone.so")
    _set_plugins(srv, [FLAT, ("gone", missing, {})])
    mark = _reload(srv)
    line = srv.wait_log(r"level=(error|warn).*gone\.so", since=mark, timeout=15)
    harness.diag("missing file: " + line)
    srv.healthy("after a reload naming a missing file")
    eq(listed(srv), before, "plugins listed after a reload naming a missing file")


def test_reload_bad_config_keeps_running(srv):
    before = listed(srv)
    with open(srv.conf, "a") as f:
        f.write("\n[server]\nthis is not a key value line\n")
    mark = _reload(srv)
    line = srv.wait_log(r"level=(error|warn).*contractd\.conf", since=mark, timeout=15)
    harness.diag(line)
    srv.healthy("after a reload with a malformed configuration")
    eq(listed(srv), before, "plugins listed after a malformed configuration")
    _set_plugins(srv, [FLAT])


def _wait_listed(srv, names, what):
    return harness.wait_until(lambda: sorted(n for n, _, _, _ in listed(srv)) == sorted(names),
                              15, what)


def test_reload_new_set(srv):
    _set_plugins(srv, [])
    _reload(srv)
    _wait_listed(srv, [], "an empty plugin set after a reload without plugins")
    srv.healthy("after reloading to no plugins")
    good = built_test_plugins()
    for n in ("good-pricing", "lines-billing"):
        check(n in good, "cannot run: tests/plugins/%s.so is not built" % n)
    _set_plugins(srv, [("flat-renamed", "example-flat.so", FLAT_PARAMS),
                       ("percent", good["good-pricing"], {"percent": "7.5"}),
                       ("labor", good["lines-billing"], {"rate": "80.00"})])
    _reload(srv)
    _wait_listed(srv, ["flat-renamed", "percent", "labor"], "the new set after a reload")
    kinds = {name: (kind, sha) for name, _, kind, sha in listed(srv)}
    eq(kinds["flat-renamed"], ("pricing", sha256_file(harness.EXAMPLE_PLUGIN)), "flat-renamed")
    eq(kinds["percent"], ("pricing", sha256_file(good["good-pricing"])), "percent")
    eq(kinds["labor"], ("billing", sha256_file(good["lines-billing"])), "labor")
    _, samples = _metrics(srv)
    eq(harness.metric_sum(samples, "contractd_plugins_loaded"), 3.0,
       "contractd_plugins_loaded after the reload")
    _set_plugins(srv, [FLAT])
    _reload(srv)
    _wait_listed(srv, [SECTION], "the original set after reloading it again")


def _metrics(srv):
    r = expect_status(srv.request("GET", "/metrics"), 200, "GET /metrics")
    return r.body, harness.parse_metrics(r.body)


def test_reload_under_load_drops_nothing(srv):
    """Requests keep being answered while the set is swapped back and forth."""
    stop = threading.Event()
    errors, counts = [], [0]
    lock = threading.Lock()

    def client():
        while not stop.is_set():
            try:
                r = srv.request("GET", "/v1/plugins", key=srv.admin_key, timeout=10)
                if r.status != 200:
                    with lock:
                        errors.append("status %d: %s" % (r.status, r.body[:200]))
            except Exception as e:  # noqa: BLE001 - recorded
                with lock:
                    errors.append(repr(e))
            with lock:
                counts[0] += 1

    threads = [threading.Thread(target=client, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        sets = [[("flat-renamed", "example-flat.so", FLAT_PARAMS)], [FLAT]]
        for i in range(6):
            _set_plugins(srv, sets[i % 2])
            _reload(srv)
            time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
    check(not any(t.is_alive() for t in threads), "a client thread hung")
    harness.diag("%d requests during 6 reloads" % counts[0])
    check(counts[0] > 10, "only %d requests were made during the reloads" % counts[0])
    check(not errors, "%d of %d requests failed during reloads, e.g. %s" % (
        len(errors), counts[0], errors[:3]))
    _wait_listed(srv, [SECTION], "the last set after the reloads")
    srv.healthy("after reloads under load")


if __name__ == "__main__":
    harness.main(globals())
