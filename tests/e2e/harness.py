#!/usr/bin/env python3
"""harness — end-to-end tests against a real contractd and a private MariaDB.

Python 3 standard library only. Each test file builds one or more Server
objects (each in its own temporary directory, on a free loopback port, with
its own private MariaDB under the state directory), defines test_* functions
and hands its globals to main():

    import harness
    from harness import check, eq

    def setup():
        return harness.Server("health").start()

    def test_healthz(srv):
        status, headers, body = srv.request("GET", "/healthz")
        eq(status, 200, "GET /healthz status")

    if __name__ == "__main__":
        harness.main(globals())

main() prints TAP: "1..N", then "ok N - name" or "not ok N - name" with
diagnostics on "# " lines. A test that cannot run (setup failed, binary
missing) is "not ok", never skipped. The last test point checks that no
contractd or mariadbd started by the file is left running. Every wait and
every request has a timeout; each test has an overall alarm.

Environment:
  CD_BUILDDIR   the build tree (default: the current directory)
  CD_SRCDIR     the source tree (default: the repository holding this file)
  CD_E2E_KEEP   non-empty: keep the temporary directories
  CD_E2E_SLOW   a factor for every timeout (e.g. 3 under sanitizers)
"""

import ctypes
import hashlib
import http.client
import inspect
import os
import re
import shutil
import signal as _signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ET
from collections import namedtuple

NS = "urn:contractd:1"
HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.environ.get("CD_SRCDIR") or os.path.dirname(os.path.dirname(HERE)))


def _default_builddir():
    env = os.environ.get("CD_BUILDDIR")
    if env:
        return os.path.abspath(env)
    cwd = os.getcwd()
    if not os.path.exists(os.path.join(cwd, "contractd")) and \
            os.path.exists(os.path.join(SRCDIR, "contractd")):
        return SRCDIR
    return cwd


BUILDDIR = _default_builddir()
SLOW = float(os.environ.get("CD_E2E_SLOW") or "1")

CONTRACTD = os.path.join(BUILDDIR, "contractd")
CONTRACTCTL = os.path.join(BUILDDIR, "contractctl")
EXAMPLE_PLUGIN_DIR = os.path.join(BUILDDIR, "plugins", "example-flat", ".libs")
EXAMPLE_PLUGIN = os.path.join(EXAMPLE_PLUGIN_DIR, "example-flat.so")
# The parameters example-flat needs to initialise (plugins/example-flat).
EXAMPLE_PLUGIN_PARAMS = {"currency": "EUR", "rate": "0.08", "minimum": "29.00"}
TEST_PLUGIN_DIR = os.path.join(BUILDDIR, "tests", "plugins", ".libs")

# Timeouts in seconds (all multiplied by CD_E2E_SLOW).
T_REQUEST = 10 * SLOW      # one HTTP request
T_CTL = 120 * SLOW         # one contractctl run (may initialise a MariaDB)
T_START = 90 * SLOW        # contractd up and answering /healthz
T_STOP = 45 * SLOW         # contractd gone after SIGTERM
T_TEST = 240 * SLOW        # one test function
T_SETUP = 300 * SLOW       # setup()

KEY_RE = re.compile(r"^cdk_([0-9a-f]{12})_(\S+)$")

Response = namedtuple("Response", "status headers body")


class TestFailure(AssertionError):
    pass


class TestTimeout(TestFailure):
    pass


# ---------------------------------------------------------------------------
# Assertions
# ---------------------------------------------------------------------------

def fail(msg):
    raise TestFailure(msg)


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)
    return cond


def eq(actual, expected, what):
    if actual != expected:
        raise TestFailure("%s: expected %r, got %r" % (what, expected, actual))
    return actual


def expect_status(resp, expected, what):
    """expected: an int or a collection of ints. Shows the body on failure."""
    ok = resp.status in expected if isinstance(expected, (set, list, tuple, range)) \
        else resp.status == expected
    if not ok:
        raise TestFailure("%s: expected status %s, got %s; body: %s" % (
            what, expected, resp.status, _clip(resp.body)))
    return resp


def wait_until(pred, timeout, what, interval=0.2):
    """Calls pred until it returns something true; returns that value.
    Exceptions from pred count as false; the last one is reported."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - reported below
            last = e
        if time.monotonic() >= deadline:
            raise TestFailure("timed out after %.0fs waiting for %s%s" % (
                timeout, what, "; last error: %r" % (last,) if last else ""))
        time.sleep(interval)


def _clip(s, n=600):
    if isinstance(s, bytes):
        s = s.decode("utf-8", "replace")
    s = str(s)
    return s if len(s) <= n else s[:n] + "...(%d bytes)" % len(s)


# ---------------------------------------------------------------------------
# XML and metrics helpers
# ---------------------------------------------------------------------------

def q(tag):
    """A tag in the contractd namespace."""
    return "{%s}%s" % (NS, tag)


def parse_xml(body, what="response body"):
    try:
        return ET.fromstring(body.encode("utf-8") if isinstance(body, str) else body)
    except ET.ParseError as e:
        raise TestFailure("%s is not well-formed XML (%s): %s" % (what, e, _clip(body)))


def xml_text(el, *path):
    """Text of the namespaced child path under el, or None."""
    cur = el
    for p in path:
        cur = cur.find(q(p))
        if cur is None:
            return None
    return (cur.text or "").strip()


def expect_error(resp, status, code=None, what="error response"):
    """Asserts an XML <Error> with the given HTTP status (and Code, if given);
    returns {'code', 'message', 'path'}."""
    expect_status(resp, status, what)
    ctype = resp.headers.get("content-type", "")
    check("xml" in ctype, "%s: Content-Type %r is not XML" % (what, ctype))
    root = parse_xml(resp.body, what)
    eq(root.tag, q("Error"), "%s: root element" % what)
    err = {"code": xml_text(root, "Code"), "message": xml_text(root, "Message"),
           "path": xml_text(root, "Path")}
    check(err["code"], "%s: <Code> missing or empty: %s" % (what, _clip(resp.body)))
    check(err["message"], "%s: <Message> missing or empty: %s" % (what, _clip(resp.body)))
    if code is not None:
        eq(err["code"], code, "%s: <Code>" % what)
    return err


_METRIC_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*')


def parse_metrics(text):
    """Prometheus text format -> list of (name, {label: value}, float)."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _METRIC_RE.match(line)
        if not m:
            raise TestFailure("malformed metrics line: %r" % line)
        labels = {}
        if m.group(3):
            pos = 0
            s = m.group(3)
            while pos < len(s):
                lm = _LABEL_RE.match(s, pos)
                if not lm:
                    raise TestFailure("malformed labels in metrics line: %r" % line)
                labels[lm.group(1)] = lm.group(2).encode().decode("unicode_escape")
                pos = lm.end()
        try:
            value = float(m.group(4))
        except ValueError:
            raise TestFailure("malformed metric value in line: %r" % line)
        out.append((m.group(1), labels, value))
    return out


def metric_sum(samples, name, **labels):
    """Sum of the samples of name whose labels match (a callable matches by
    predicate); None when there is no such sample."""
    total, found = 0.0, False
    for n, l, v in samples:
        if n != name:
            continue
        okay = True
        for k, want in labels.items():
            have = l.get(k)
            if callable(want):
                if have is None or not want(have):
                    okay = False
            elif have != want:
                okay = False
        if okay:
            total += v
            found = True
    return total if found else None


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pdeathsig():
    """In the child: get SIGTERM if the harness dies (best effort)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(_signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - optional safety net
        pass


def pid_alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def pids_matching(substring):
    """PIDs (other than ours) whose command line contains substring: pgrep -f
    when available, else a scan of /proc."""
    me = os.getpid()
    pids = set()
    if shutil.which("pgrep"):
        r = subprocess.run(["pgrep", "-f", re.escape(substring)], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True, timeout=10)
        pids = {int(x) for x in r.stdout.split()}
    else:
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if substring.encode() in f.read():
                        pids.add(int(d))
            except OSError:
                pass
    pids.discard(me)
    return sorted(p for p in pids if pid_alive(p))


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return "?"


def kill_and_wait(pid, timeout, sig=_signal.SIGTERM):
    """Sends sig, waits; SIGKILL after timeout. Returns True if it went on the first signal."""
    if not pid_alive(pid):
        return True
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    try:
        os.kill(pid, _signal.SIGKILL)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.1)
    return False


# ---------------------------------------------------------------------------
# The server under test
# ---------------------------------------------------------------------------

_servers = []


class Server:
    """One contractd with its private MariaDB in a fresh temporary directory.

    server_opts: extra [server] keys (e.g. {"max_body": 65536}).
    plugins: list of (section_name, file, {param: value}); plugin_dir: [plugins] dir.
    tls: True to generate a throwaway self-signed certificate and serve HTTPS.
    """

    def __init__(self, name="e2e", server_opts=None, plugins=None, plugin_dir=None,
                 tls=False, threads=2, workers=8, extra_sections=None, env=None):
        for binary in (CONTRACTD, CONTRACTCTL):
            if not os.access(binary, os.X_OK):
                raise TestFailure("%s is not built (CD_BUILDDIR=%s)" % (binary, BUILDDIR))
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="cd-e2e-%s-" % name)
        _servers.append(self)
        self.state_dir = os.path.join(self.tmp, "state")
        self.conf = os.path.join(self.tmp, "contractd.conf")
        self.log_path = os.path.join(self.tmp, "contractd.log")
        self.mariadb_dir = os.path.join(self.state_dir, "mariadb")
        self.socket_path = os.path.join(self.mariadb_dir, "mariadb.sock")
        self.pid_file = os.path.join(self.mariadb_dir, "mariadb.pid")
        self.host = "127.0.0.1"
        self.port = free_port()
        self.server_opts = {"threads": str(threads), "workers": str(workers),
                            "timeout": "10", "shutdown_grace": "15", "log_level": "info"}
        self.server_opts.update({k: str(v) for k, v in (server_opts or {}).items()})
        self.plugins = list(plugins or [])
        self.plugin_dir = plugin_dir
        self.extra_sections = dict(extra_sections or {})
        # Extra environment of the contractd process (CONTRACTD_FAULTS).
        self.env = dict(os.environ, **(env or {}))
        self.tls = tls
        self.ssl_context = None
        self.cert = self.key_file = None
        if tls:
            self._make_cert()
        self.proc = None
        self.expected_running = False
        self.migrated = False
        self.admin_key = None
        self.exit_codes = []
        self.mariadb_pids = set()
        self.write_config()

    # -- configuration ------------------------------------------------------

    def _make_cert(self):
        self.cert = os.path.join(self.tmp, "cert.pem")
        self.key_file = os.path.join(self.tmp, "key.pem")
        cmd = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
               "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
               "-keyout", self.key_file, "-out", self.cert]
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=60)
        except FileNotFoundError:
            raise TestFailure("the openssl command is not installed")
        if r.returncode != 0:
            raise TestFailure("openssl req failed: %s" % r.stdout)
        self.server_opts["tls_cert"] = self.cert
        self.server_opts["tls_key"] = self.key_file
        ctx = ssl.create_default_context(cafile=self.cert)
        self.ssl_context = ctx

    def render_config(self):
        lines = ["# written by tests/e2e/harness.py", "[server]",
                 "listen = %s:%d" % (self.host, self.port),
                 "state_dir = %s" % self.state_dir]
        for k, v in self.server_opts.items():
            lines.append("%s = %s" % (k, v))
        lines += ["", "[database]", "url ="]
        if self.plugin_dir:
            lines += ["", "[plugins]", "dir = %s" % self.plugin_dir]
        for name, file, params in self.plugins:
            lines += ["", "[plugin %s]" % name, "file = %s" % file]
            for k, v in (params or {}).items():
                lines.append("%s = %s" % (k, v))
        for section, kv in self.extra_sections.items():
            lines += ["", "[%s]" % section]
            lines += ["%s = %s" % (k, v) for k, v in kv.items()]
        return "\n".join(lines) + "\n"

    def write_config(self):
        tmp = self.conf + ".new"
        with open(tmp, "w") as f:
            f.write(self.render_config())
        os.replace(tmp, self.conf)

    # -- contractctl ----------------------------------------------------------

    def ctl(self, *args, timeout=None, check_rc=True):
        """Runs contractctl -c CONF ARGS; returns CompletedProcess (text)."""
        cmd = [CONTRACTCTL, "-c", self.conf] + [str(a) for a in args]
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               timeout=timeout or T_CTL, preexec_fn=_pdeathsig)
        except subprocess.TimeoutExpired as e:
            raise TestFailure("contractctl %s did not finish within %ss; stderr: %s" % (
                " ".join(map(str, args)), e.timeout, _clip(e.stderr or "")))
        self._note_mariadb()
        if check_rc and r.returncode != 0:
            raise TestFailure("contractctl %s exited %d; stdout: %s; stderr: %s" % (
                " ".join(map(str, args)), r.returncode, _clip(r.stdout), _clip(r.stderr, 4000)))
        return r

    def migrate(self):
        self.ctl("db", "migrate")
        self.migrated = True

    def create_key(self, role, dealer=None, label=None):
        args = ["key", "create", "--role", role]
        if dealer:
            args += ["--dealer", dealer]
        if label:
            args += ["--label", label]
        r = self.ctl(*args)
        key = r.stdout.strip()
        check(KEY_RE.match(key), "key create printed %r, not a cdk_<12hex>_<secret> key" % key)
        return key

    def add_dealer(self, dealer_id, name=None):
        self.ctl("dealer", "add", dealer_id, "--name", name or ("Dealer " + dealer_id))
        return dealer_id

    def dealer_with_key(self, dealer_id, name=None):
        self.add_dealer(dealer_id, name)
        return self.create_key("dealer", dealer=dealer_id)

    @property
    def db_user(self):
        """Who may log in to the private MariaDB through its socket: root, or
        the user running it (see core/storage/privdb.h)."""
        if os.geteuid() == 0:
            return "root"
        import pwd
        return pwd.getpwuid(os.geteuid()).pw_name

    def sql(self, query, timeout=30):
        """Runs query on the private MariaDB (as root); returns stdout."""
        cmd = ["mariadb", "--no-defaults", "-S", self.socket_path, "-u", self.db_user,
               "--batch", "contractd", "-e", query]
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=timeout)
        except FileNotFoundError:
            raise TestFailure("the mariadb client is not installed")
        except subprocess.TimeoutExpired:
            raise TestFailure("mariadb -e %r did not finish within %ss" % (query, timeout))
        if r.returncode != 0:
            raise TestFailure("mariadb -e %r exited %d: %s" % (query, r.returncode, r.stderr))
        return r.stdout

    def dump(self, timeout=60):
        """mariadb-dump of the contractd database (data included), as text."""
        tool = shutil.which("mariadb-dump") or shutil.which("mysqldump")
        check(tool, "mariadb-dump is not installed")
        cmd = [tool, "--no-defaults", "-S", self.socket_path, "-u", self.db_user,
               "--skip-extended-insert", "contractd"]
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure("mariadb-dump did not finish within %ss" % timeout)
        if r.returncode != 0:
            raise TestFailure("mariadb-dump exited %d: %s" % (r.returncode, r.stderr))
        return r.stdout

    # -- the daemon -----------------------------------------------------------

    def start(self, migrate=True, admin=True, wait=True):
        """Migrates (once), starts contractd, waits for /healthz, creates the
        admin key (once). Returns self."""
        if migrate and not self.migrated:
            self.migrate()
        check(self.proc is None or self.proc.poll() is not None,
              "start: contractd already running")
        self.log_mark_start = self.log_size()
        logf = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen([CONTRACTD, "-c", self.conf], stdin=subprocess.DEVNULL,
                                         stdout=logf, stderr=logf, preexec_fn=_pdeathsig,
                                         start_new_session=True, env=self.env)
        finally:
            logf.close()
        self.expected_running = True
        if wait:
            self.wait_healthy(T_START)
        self._note_mariadb()
        if admin and self.admin_key is None:
            self.admin_key = self.create_key("admin", label="e2e admin")
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_healthy(self, timeout=T_START):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                self.expected_running = False
                raise TestFailure("contractd exited with status %s while starting; log:\n%s" % (
                    self.proc.returncode, self.log_tail(25)))
            try:
                r = self.request("GET", "/healthz", timeout=2)
                if r.status == 200:
                    return r
                last = "status %d" % r.status
            except (OSError, http.client.HTTPException) as e:
                last = repr(e)
            time.sleep(0.2)
        raise TestFailure("contractd did not answer GET /healthz with 200 within %.0fs "
                          "(last: %s); log:\n%s" % (timeout, last, self.log_tail(25)))

    def wait_ready(self, timeout=30):
        return wait_until(lambda: self.request("GET", "/readyz", timeout=3).status == 200,
                          timeout, "GET /readyz to answer 200")

    def signal(self, sig):
        check(self.alive(), "signal: contractd is not running")
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout):
        """Waits for contractd to exit; returns (exit status, seconds) or raises."""
        t0 = time.monotonic()
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TestFailure("contractd did not exit within %.0fs; log:\n%s" % (
                timeout, self.log_tail(15)))
        self.expected_running = False
        self.exit_codes.append(rc)
        return rc, time.monotonic() - t0

    def stop(self, sig=_signal.SIGTERM, timeout=T_STOP):
        """Sends sig and waits; returns the exit status. Raises if it hangs
        (after killing it)."""
        if not self.alive():
            self.expected_running = False
            return self.proc.returncode if self.proc else None
        self.expected_running = False
        os.kill(self.proc.pid, sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise TestFailure("contractd ignored %s for %.0fs and was killed; log:\n%s" % (
                _signal.Signals(sig).name, timeout, self.log_tail(15)))
        self.exit_codes.append(rc)
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def mariadb_pid(self):
        try:
            with open(self.pid_file) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _note_mariadb(self):
        pid = self.mariadb_pid()
        if pid:
            self.mariadb_pids.add(pid)

    # -- logs -------------------------------------------------------------------

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log_text(self, since=0):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=20):
        lines = self.log_text().splitlines()
        return "\n".join(lines[-n:]) if lines else "(empty log)"

    def wait_log(self, pattern, since=0, timeout=10, flags=re.I):
        """Waits for a log line (after byte offset since) matching the regex;
        returns the line."""
        rx = re.compile(pattern, flags)

        def find():
            for line in self.log_text(since).splitlines():
                if rx.search(line):
                    return line
            return None
        try:
            return wait_until(find, timeout, "a log line matching /%s/" % pattern)
        except TestFailure as e:
            raise TestFailure("%s; log since then:\n%s" % (e, _clip(self.log_text(since), 3000)))

    # -- HTTP -------------------------------------------------------------------

    @property
    def base_url(self):
        return "%s://%s:%d" % ("https" if self.tls else "http", self.host, self.port)

    def connection(self, timeout=T_REQUEST, context=None):
        if self.tls:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                               context=context or self.ssl_context)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method, path, body=None, key=None, headers=None, timeout=T_REQUEST,
                context=None, auth="bearer"):
        """One request on a fresh connection. key: an API key sent as
        "Authorization: Bearer" (auth="bearer") or "X-API-Key" (auth="x-api-key").
        Returns Response(status, headers (lower-case names), body (str))."""
        hdrs = {}
        if key is not None:
            if auth == "bearer":
                hdrs["Authorization"] = "Bearer " + key
            else:
                hdrs["X-API-Key"] = key
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body is not None:
            hdrs["Content-Type"] = "application/xml"
        hdrs.update(headers or {})
        conn = self.connection(timeout=timeout, context=context)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read()
            rh = {}
            for k, v in resp.getheaders():
                k = k.lower()
                rh[k] = rh[k] + ", " + v if k in rh else v
            return Response(resp.status, rh, data.decode("utf-8", "replace"))
        finally:
            conn.close()

    def raw(self, data, timeout=5, read=True, shutdown_write=False):
        """Sends raw bytes on a new plain TCP connection; returns everything
        read until the server closes or timeout passes (b"" if nothing)."""
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        try:
            try:
                s.sendall(data)
                if shutdown_write:
                    s.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass
            if not read:
                return b""
            return read_until_close(s, timeout)
        finally:
            s.close()

    def healthy(self, what="server"):
        """Asserts the process runs and answers /healthz 200."""
        check(self.alive(), "%s: contractd is not running (exit status %s); log:\n%s" % (
            what, self.proc.returncode if self.proc else None, self.log_tail(20)))
        try:
            r = self.request("GET", "/healthz", timeout=5)
        except (OSError, http.client.HTTPException) as e:
            raise TestFailure("%s: GET /healthz failed: %r" % (what, e))
        expect_status(r, 200, "%s: GET /healthz" % what)

    # -- cleanup ----------------------------------------------------------------

    def cleanup(self):
        """Stops everything this server started; returns a list of problems."""
        problems = []
        if self.proc is not None and self.proc.poll() is None:
            if not kill_and_wait(self.proc.pid, T_STOP):
                problems.append("contractd %d needed SIGKILL at cleanup" % self.proc.pid)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            # mariadbd may be in contractd's process group.
            try:
                os.killpg(self.proc.pid, _signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._note_mariadb()
        for pid in sorted(self.mariadb_pids):
            if pid_alive(pid) and self.tmp in proc_cmdline(pid):
                kill_and_wait(pid, 30)
        for pid in pids_matching(self.tmp):
            problems.append("left running: pid %d: %s" % (pid, proc_cmdline(pid)))
            kill_and_wait(pid, 10)
        return problems

    def remove(self):
        if os.environ.get("CD_E2E_KEEP"):
            return
        shutil.rmtree(self.tmp, ignore_errors=True)


def read_until_close(s, timeout):
    """Reads from socket s until EOF, a reset or timeout; returns the bytes."""
    chunks = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            break
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks)


def http_status(raw_bytes):
    """The status code of the first HTTP response in raw bytes, or None."""
    m = re.match(rb"HTTP/1\.[01] (\d{3})", raw_bytes)
    return int(m.group(1)) if m else None


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def dealer_xml(dealer_id, name=None):
    return ('<Dealer xmlns="%s"><Id>%s</Id><Name>%s</Name></Dealer>' % (
        NS, dealer_id, name or ("Dealer " + dealer_id)))


# ---------------------------------------------------------------------------
# The TAP runner
# ---------------------------------------------------------------------------

def _out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def diag(text):
    for line in str(text).splitlines() or [""]:
        _out("# " + line)


class _Alarm:
    def __init__(self, seconds, what):
        self.seconds = max(1, int(seconds))
        self.what = what

    def _fire(self, signum, frame):
        raise TestTimeout("%s did not finish within %ds" % (self.what, self.seconds))

    def __enter__(self):
        self.old = _signal.signal(_signal.SIGALRM, self._fire)
        _signal.alarm(self.seconds)

    def __exit__(self, *exc):
        _signal.alarm(0)
        _signal.signal(_signal.SIGALRM, self.old)
        return False


def _describe(exc, files):
    lines = []
    if isinstance(exc, TestFailure):
        lines.append(str(exc))
    else:
        lines.append("%s: %s" % (type(exc).__name__, exc))
    tb = traceback.extract_tb(exc.__traceback__)
    where = [f for f in tb if os.path.abspath(f.filename) in files]
    for f in where[-3:]:
        lines.append("at %s:%d in %s: %s" % (os.path.basename(f.filename), f.lineno, f.name,
                                             (f.line or "").strip()))
    if not isinstance(exc, TestFailure) and not where:
        lines += traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:]
    return "\n".join(lines)


def _server_state():
    lines = []
    for s in _servers:
        if s.expected_running and not s.alive():
            lines.append("contractd (%s) died unexpectedly with status %s; log tail:" % (
                s.name, s.proc.returncode if s.proc else None))
            lines.append(s.log_tail(20))
    return lines


def _cleanup_all():
    problems = []
    for s in list(_servers):
        try:
            problems += s.cleanup()
        except Exception as e:  # noqa: BLE001 - cleanup must go on
            problems.append("cleanup of %s failed: %r" % (s.name, e))
    return problems


def _on_signal(signum, frame):
    _signal.signal(signum, _signal.SIG_DFL)
    _out("# interrupted by %s: cleaning up" % _signal.Signals(signum).name)
    _cleanup_all()
    for s in _servers:
        s.remove()
    os._exit(1)


def _log_keep_dir():
    """BUILDDIR/tests/e2e (where make check puts its logs), else a new
    temporary directory."""
    d = os.path.join(BUILDDIR, "tests", "e2e")
    try:
        os.makedirs(d, exist_ok=True)
        if os.access(d, os.W_OK):
            return d
    except OSError:
        pass
    return tempfile.mkdtemp(prefix="cd-e2e-logs-")


def main(ns):
    """Runs the test_* functions of a test file's globals as TAP. An optional
    setup() returns a context handed to each test that takes an argument;
    an optional teardown(ctx) runs at the end."""
    for sig in (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP):
        _signal.signal(sig, _on_signal)
    tests = sorted(((fn.__code__.co_firstlineno, name, fn) for name, fn in ns.items()
                    if name.startswith("test_") and inspect.isfunction(fn)))
    files = {os.path.abspath(ns.get("__file__", "")), os.path.abspath(__file__)}
    _out("1..%d" % (len(tests) + 1))
    diag("CD_BUILDDIR=%s CD_SRCDIR=%s" % (BUILDDIR, SRCDIR))
    failures = 0
    ctx, setup_err = None, None
    setup = ns.get("setup")
    if setup:
        try:
            with _Alarm(T_SETUP, "setup()"):
                ctx = setup()
        except BaseException as e:  # noqa: BLE001 - reported as not ok
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            setup_err = _describe(e, files)
    n = 0
    for _, name, fn in tests:
        n += 1
        label = name[len("test_"):].replace("_", " ")
        if setup_err:
            _out("not ok %d - %s" % (n, label))
            diag("cannot run: setup failed:\n" + setup_err if n == 1
                 else "cannot run: setup failed (see test 1)")
            failures += 1
            continue
        t0 = time.monotonic()
        try:
            with _Alarm(getattr(fn, "timeout", T_TEST), name):
                if inspect.signature(fn).parameters:
                    fn(ctx)
                else:
                    fn()
            state = _server_state()
            if state:
                raise TestFailure("\n".join(state))
            _out("ok %d - %s" % (n, label))
        except BaseException as e:  # noqa: BLE001 - reported as not ok
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            failures += 1
            _out("not ok %d - %s" % (n, label))
            diag(_describe(e, files))
            for line in _server_state():
                diag(line)
            for s in _servers:
                s.expected_running = s.alive()
        diag("%s took %.1fs" % (name, time.monotonic() - t0))
    teardown = ns.get("teardown")
    problems = []
    if teardown and not setup_err:
        try:
            with _Alarm(T_TEST, "teardown()"):
                teardown(ctx)
        except Exception as e:  # noqa: BLE001
            problems.append("teardown failed: " + _describe(e, files))
    problems += _cleanup_all()
    n += 1
    if problems:
        failures += 1
        _out("not ok %d - cleanup: every contractd and mariadbd stopped" % n)
        for p in problems:
            diag(p)
    else:
        _out("ok %d - cleanup: every contractd and mariadbd stopped" % n)
    keep_dir = _log_keep_dir() if failures and not os.environ.get("CD_E2E_KEEP") else None
    stem = os.path.splitext(os.path.basename(ns.get("__file__", "e2e")))[0]
    for s in _servers:
        if failures and not os.environ.get("CD_E2E_KEEP"):
            # Keep the logs of a failing run; the database is large.
            for src, what in ((s.log_path, "contractd"),
                              (os.path.join(s.mariadb_dir, "error.log"), "mariadb"),
                              (os.path.join(s.mariadb_dir, "install.log"), "mariadb-install")):
                if os.path.exists(src):
                    dst = os.path.join(keep_dir, "%s.%s.%s.log" % (stem, s.name, what))
                    try:
                        shutil.copy(src, dst)
                        diag("kept the %s log of %s in %s" % (what, s.name, dst))
                    except OSError as e:
                        diag("could not keep %s: %s" % (src, e))
        elif failures:
            diag("kept %s (CD_E2E_KEEP)" % s.tmp)
        s.remove()
    sys.exit(1 if failures else 0)
