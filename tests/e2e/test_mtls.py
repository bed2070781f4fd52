#!/usr/bin/env python3
"""Dealer identity over mutual TLS: a throwaway CA made here with the openssl
command (server certificate for 127.0.0.1, certificates for three dealers, an
unmapped one, an expired one, one from another CA); client certificates
mapped to dealers with contractctl; each auth mode (key, cert, both); a
dealer's certificate with another dealer's key; revocation."""
import hashlib
import http.client
import os
import re
import ssl
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, eq, expect_error, expect_status, parse_xml, xml_text  # noqa: E402

A, B, C = "MTLS-A", "MTLS-B", "MTLS-C"   # auth modes: cert, key, both

OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[v3_client]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[ca]
default_ca = e2e_ca
[e2e_ca]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = anything
unique_subject = no
[anything]
commonName = supplied
"""


class Pki:
    """A throwaway PKI in a directory, made with the openssl command."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.cnf = self.path("openssl.cnf")
        with open(self.cnf, "w") as f:
            f.write(OPENSSL_CNF)

    def path(self, name):
        return os.path.join(self.dir, name)

    def run(self, *args):
        try:
            r = subprocess.run(["openssl"] + list(args), cwd=self.dir, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=60)
        except FileNotFoundError:
            harness.fail("the openssl command is not installed")
        if r.returncode != 0:
            harness.fail("openssl %s failed: %s" % (" ".join(args), r.stdout))
        return r.stdout

    def _key_and_csr(self, name, subject):
        self.run("req", "-new", "-config", self.cnf, "-newkey", "ec", "-pkeyopt",
                 "ec_paramgen_curve:P-256", "-nodes", "-subj", subject,
                 "-keyout", name + ".key", "-out", name + ".csr")

    def make_ca(self, name, subject):
        self.run("req", "-x509", "-config", self.cnf, "-extensions", "v3_ca", "-newkey", "ec",
                 "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3", "-subj", subject,
                 "-keyout", name + ".key", "-out", name + ".pem")

    def issue(self, name, ca, subject, kind="v3_client"):
        self._key_and_csr(name, subject)
        self.run("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                 "-CAcreateserial", "-days", "2", "-sha256", "-extfile", self.cnf,
                 "-extensions", kind, "-out", name + ".pem")

    def issue_expired(self, name, ca, subject):
        """A certificate valid in January 2020 only (openssl ca sets the dates)."""
        self._key_and_csr(name, subject)
        index = self.path("index.txt")
        if not os.path.exists(index):
            open(index, "w").close()
            with open(self.path("serial"), "w") as f:
                f.write("1000\n")
        self.run("ca", "-batch", "-config", self.cnf, "-name", "e2e_ca", "-cert", ca + ".pem",
                 "-keyfile", ca + ".key", "-in", name + ".csr", "-startdate", "20200101000000Z",
                 "-enddate", "20200201000000Z", "-extfile", self.cnf, "-extensions", "v3_client",
                 "-notext", "-out", name + ".pem")

    def fingerprint(self, name):
        with open(self.path(name + ".pem")) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        return hashlib.sha256(der).hexdigest()


class Ctx:
    pass


def setup():
    c = Ctx()
    srv = harness.Server("mtls", tls=True)
    pki = Pki(os.path.join(srv.tmp, "pki"))
    pki.make_ca("ca", "/CN=contractd e2e CA")
    pki.issue("server", "ca", "/CN=127.0.0.1", kind="v3_server")
    pki.issue("a", "ca", "/O=Dealer A/CN=dealer-a")
    pki.issue("a2", "ca", "/O=Dealer A/CN=dealer-a second")
    pki.issue("b", "ca", "/O=Dealer B/CN=dealer-b")
    pki.issue("c", "ca", "/O=Dealer C/CN=dealer-c")
    pki.issue("u", "ca", "/CN=nobody we know")
    pki.issue_expired("old", "ca", "/O=Dealer A/CN=dealer-a expired")
    pki.make_ca("other", "/CN=contractd e2e CA")          # same name, other key
    pki.issue("x", "other", "/O=Dealer A/CN=dealer-a")     # looks like A's
    srv.server_opts["tls_cert"] = pki.path("server.pem")
    srv.server_opts["tls_key"] = pki.path("server.key")
    srv.server_opts["tls_client_ca"] = pki.path("ca.pem")
    srv.cert = pki.path("ca.pem")
    srv.ssl_context = ssl.create_default_context(cafile=pki.path("ca.pem"))
    srv.write_config()
    srv.start()
    c.srv, c.pki = srv, pki

    srv.ctl("dealer", "add", A, "--name", "Dealer A", "--auth", "cert")
    srv.ctl("dealer", "add", B, "--name", "Dealer B")
    srv.ctl("dealer", "add", C, "--name", "Dealer C", "--auth", "both")
    c.kb = srv.create_key("dealer", dealer=B)
    c.kc = srv.create_key("dealer", dealer=C)
    c.add_out = {}
    for name, dealer in (("a", A), ("b", B), ("c", C)):
        c.add_out[name] = srv.ctl("dealer", "cert", "add", dealer, pki.path(name + ".pem"))
    # The other CA's look-alike is mapped too: the handshake must still refuse it.
    c.add_out["x"] = srv.ctl("dealer", "cert", "add", A, pki.path("x.pem"))
    return c


def context(c, name=None, tls12=False):
    ctx = ssl.create_default_context(cafile=c.pki.path("ca.pem"))
    if name:
        ctx.load_cert_chain(c.pki.path(name + ".pem"), c.pki.path(name + ".key"))
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def whoami(c, cert=None, key=None, what=None):
    return c.srv.request("GET", "/v1/whoami", key=key, context=context(c, cert))


def expect_principal(r, role, dealer, by, what):
    expect_status(r, 200, what)
    root = parse_xml(r.body, what)
    eq(xml_text(root, "Role"), role, "%s: <Role>" % what)
    eq(xml_text(root, "DealerId"), dealer, "%s: <DealerId>" % what)
    eq(xml_text(root, "AuthenticatedBy"), by, "%s: <AuthenticatedBy>" % what)
    return root


def expect_401(r, what):
    return expect_error(r, 401, code="unauthorized", what=what)


def refused(c, cert, tls12, what):
    """The handshake (or, in TLS 1.3, the first read after it) fails: no
    HTTP answer at all. Returns the client's error text."""
    try:
        r = c.srv.request("GET", "/v1/whoami", context=context(c, cert, tls12), timeout=10)
    except (ssl.SSLError, ConnectionError, http.client.RemoteDisconnected) as e:
        return str(e)
    harness.fail("%s: the server answered HTTP %d instead of refusing the handshake: %s"
                 % (what, r.status, r.body[:300]))


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

def test_cert_add_prints_fingerprint(c):
    for name in ("a", "b", "c"):
        out = c.add_out[name].stdout
        check(c.pki.fingerprint(name) in out, "cert add did not print the fingerprint: %r" % out)
        check("does not verify" not in c.add_out[name].stderr,
              "cert add warned about a good certificate: %r" % c.add_out[name].stderr)
    # The same fingerprint as openssl's own.
    out = c.pki.run("x509", "-in", "a.pem", "-noout", "-fingerprint", "-sha256")
    eq(out.split("=", 1)[1].strip().replace(":", "").lower(), c.pki.fingerprint("a"),
       "fingerprint by openssl x509")
    check("does not verify" in c.add_out["x"].stderr,
          "cert add of another CA's certificate gave no warning: %r" % c.add_out["x"].stderr)


def test_valid_cert_authenticates_its_dealer(c):
    r = whoami(c, cert="a")
    root = expect_principal(r, "dealer", A, "certificate", "whoami with A's certificate")
    eq(xml_text(root, "CertificateSha256"), c.pki.fingerprint("a"), "<CertificateSha256>")
    check(xml_text(root, "KeyId") is None, "a certificate-only principal shows a <KeyId>")
    # TLS 1.2 too.
    r = c.srv.request("GET", "/v1/whoami", context=context(c, "a", tls12=True))
    expect_principal(r, "dealer", A, "certificate", "whoami with A's certificate over TLS 1.2")


def test_unknown_ca_refused(c):
    for tls12 in (False, True):
        err = refused(c, "x", tls12, "a certificate from another CA (TLS 1.%d)" % (2 if tls12 else 3))
        harness.diag("other CA, TLS 1.%d: %s" % (2 if tls12 else 3, err))
        if tls12:
            check("unknown ca" in err.lower() or "unknown_ca" in err.lower(),
                  "TLS 1.2 refusal does not say unknown CA: %s" % err)
    c.srv.healthy("after certificates from an unknown CA")


def test_expired_refused(c):
    for tls12 in (False, True):
        err = refused(c, "old", tls12, "an expired certificate (TLS 1.%d)" % (2 if tls12 else 3))
        harness.diag("expired, TLS 1.%d: %s" % (2 if tls12 else 3, err))
        if tls12:
            check("expired" in err.lower(), "TLS 1.2 refusal does not say expired: %s" % err)
    c.srv.healthy("after an expired certificate")


def test_cert_of_a_with_key_of_b_401(c):
    expect_401(whoami(c, cert="a", key=c.kb), "A's certificate with B's key")
    expect_401(whoami(c, cert="b", key=c.kc), "B's certificate with C's key")
    expect_401(whoami(c, cert="c", key=c.kb), "C's certificate with B's key")
    expect_401(whoami(c, cert="a", key=c.srv.admin_key), "A's certificate with the admin key")
    # ...and on a route that changes things, nothing happens.
    r = c.srv.request("POST", "/v1/dealers", body=harness.dealer_xml("MTLS-NOPE"), key=c.kb,
                      context=context(c, "a"))
    expect_401(r, "POST with A's certificate and B's key")


def test_mode_key(c):
    expect_principal(whoami(c, key=c.kb), "dealer", B, "key", "B's key alone")
    expect_principal(whoami(c, cert="b", key=c.kb), "dealer", B, "key+certificate",
                     "B's key with B's certificate")
    expect_principal(whoami(c, cert="u", key=c.kb), "dealer", B, "key",
                     "B's key with an unmapped certificate (ignored)")
    err = expect_401(whoami(c, cert="b"), "B's certificate alone (B authenticates by key)")
    check("API key" in err["message"], "message does not ask for the key: %r" % err["message"])
    expect_401(whoami(c), "no key, no certificate")


def test_mode_cert(c):
    srv = c.srv
    expect_principal(whoami(c, cert="a"), "dealer", A, "certificate", "A's certificate")
    expect_401(whoami(c), "no certificate for a cert dealer")
    r = srv.ctl("key", "create", "--role", "dealer", "--dealer", A, check_rc=False)
    eq(r.returncode, 1, "key create for a cert-only dealer: exit status")
    check("certificate" in r.stderr, "key create refusal: %r" % r.stderr)
    # Switch B to cert: its key alone no longer works, its certificate does.
    srv.ctl("dealer", "set-auth", B, "cert")
    try:
        expect_401(whoami(c, key=c.kb), "B's key alone once B is cert-only")
        expect_principal(whoami(c, cert="b"), "dealer", B, "certificate",
                         "B's certificate once B is cert-only")
        expect_401(whoami(c, cert="b", key=c.kb), "B's certificate with B's (refused) key")
    finally:
        srv.ctl("dealer", "set-auth", B, "key")
    expect_principal(whoami(c, key=c.kb), "dealer", B, "key", "B's key after set-auth key")


def test_mode_both(c):
    expect_principal(whoami(c, cert="c", key=c.kc), "dealer", C, "key+certificate",
                     "C's key with C's certificate")
    err = expect_401(whoami(c, key=c.kc), "C's key alone (C needs both)")
    check("certificate" in err["message"], "message does not ask for the certificate: %r"
          % err["message"])
    expect_401(whoami(c, cert="c"), "C's certificate alone (C needs both)")
    expect_401(whoami(c, cert="u", key=c.kc), "C's key with an unmapped certificate")
    expect_401(whoami(c, cert="a", key=c.kc), "C's key with A's certificate")


def test_unmapped_cert(c):
    err = expect_401(whoami(c, cert="u"), "a verified but unmapped certificate alone")
    check("not mapped" in err["message"], "message: %r" % err["message"])
    expect_principal(whoami(c, cert="u", key=c.srv.admin_key), "admin", None, "key",
                     "the admin key with an unmapped certificate")


def test_revocation_applies_to_open_connection(c):
    srv, pki = c.srv, c.pki
    srv.ctl("dealer", "cert", "add", A, pki.path("a2.pem"))
    conn = http.client.HTTPSConnection(srv.host, srv.port, timeout=10, context=context(c, "a2"))
    try:
        conn.request("GET", "/v1/whoami")
        r = conn.getresponse()
        body = r.read().decode()
        eq(r.status, 200, "whoami with A's second certificate")
        eq(xml_text(parse_xml(body), "DealerId"), A, "<DealerId> with A's second certificate")
        # Revoke it as openssl prints the fingerprint.
        printed = pki.run("x509", "-in", "a2.pem", "-noout", "-fingerprint", "-sha256").strip()
        out = srv.ctl("dealer", "cert", "revoke", printed).stdout
        check(pki.fingerprint("a2") in out, "cert revoke output: %r" % out)
        conn.request("GET", "/v1/whoami")
        r = conn.getresponse()
        r.read()
        eq(r.status, 401, "whoami on the same connection after revocation")
    finally:
        conn.close()
    expect_401(whoami(c, cert="a2"), "whoami with a revoked certificate")
    r = srv.ctl("dealer", "cert", "revoke", pki.fingerprint("a2"))
    check("already" in r.stdout, "revoking twice: %r" % r.stdout)
    # A's first certificate is untouched.
    expect_principal(whoami(c, cert="a"), "dealer", A, "certificate", "A's first certificate")


def test_cert_cli_refusals(c):
    srv, pki = c.srv, c.pki
    r = srv.ctl("dealer", "cert", "add", A, pki.path("old.pem"), check_rc=False)
    eq(r.returncode, 1, "cert add of an expired certificate: exit status")
    check("expired" in r.stderr, "cert add of an expired certificate: %r" % r.stderr)
    r = srv.ctl("dealer", "cert", "add", B, pki.path("a.pem"), check_rc=False)
    eq(r.returncode, 1, "mapping A's certificate to B: exit status")
    check(A in r.stderr, "mapping A's certificate to B does not name A: %r" % r.stderr)
    r = srv.ctl("dealer", "cert", "add", A, pki.path("a2.pem"), check_rc=False)
    eq(r.returncode, 1, "mapping a revoked certificate again: exit status")
    check("revoked" in r.stderr, "mapping a revoked certificate again: %r" % r.stderr)
    r = srv.ctl("dealer", "cert", "add", "NO-SUCH", pki.path("u.pem"), check_rc=False)
    eq(r.returncode, 1, "cert add for an unknown dealer: exit status")
    r = srv.ctl("dealer", "cert", "add", A, pki.path("openssl.cnf"), check_rc=False)
    eq(r.returncode, 1, "cert add of a file that is no certificate: exit status")
    r = srv.ctl("dealer", "cert", "revoke", "ab" * 32, check_rc=False)
    eq(r.returncode, 1, "revoking an unknown fingerprint: exit status")
    r = srv.ctl("dealer", "cert", "revoke", "not-a-fingerprint", check_rc=False)
    eq(r.returncode, 2, "revoking a malformed fingerprint: exit status")
    r = srv.ctl("dealer", "set-auth", A, "sometimes", check_rc=False)
    eq(r.returncode, 2, "set-auth with an unknown mode: exit status")
    r = srv.ctl("dealer", "set-auth", "NO-SUCH", "key", check_rc=False)
    eq(r.returncode, 1, "set-auth for an unknown dealer: exit status")


def test_cert_list(c):
    srv, pki = c.srv, c.pki
    out = srv.ctl("dealer", "cert", "list", A).stdout
    for name in ("a", "a2", "x"):
        check(pki.fingerprint(name) in out, "cert list %s lacks %s:\n%s" % (A, name, out))
    check(pki.fingerprint("b") not in out, "cert list %s shows B's certificate" % A)
    line = [x for x in out.splitlines() if pki.fingerprint("a2") in x][0]
    check(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s*$", line),
          "the revoked certificate shows no revocation time: %r" % line)
    check("CN=dealer-a" in out, "cert list shows no subject:\n%s" % out)
    out = srv.ctl("dealer", "cert", "list").stdout
    for name in ("a", "b", "c"):
        check(pki.fingerprint(name) in out, "cert list lacks %s" % name)


def test_identity_changes_are_audited(c):
    srv = c.srv
    out = srv.ctl("audit", "list", "--entity", "dealer_cert", "--limit", "100").stdout
    check(out.count("dealer_cert.add") >= 5, "dealer_cert.add records:\n%s" % out)
    check("dealer_cert.revoke" in out and c.pki.fingerprint("a2") in out,
          "no dealer_cert.revoke record for a2:\n%s" % out)
    out = srv.ctl("audit", "list", "--entity", "dealer", "--id", B).stdout
    eq(out.count("dealer.set_auth"), 2, "set_auth records of %s:\n%s" % (B, out))
    out = srv.ctl("audit", "verify").stdout
    check(out.startswith("audit chain intact:"), "audit verify: %r" % out)


def test_server_still_healthy(c):
    c.srv.healthy("after every mutual TLS test")


if __name__ == "__main__":
    harness.main(globals())
