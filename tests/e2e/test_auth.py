#!/usr/bin/env python3
"""API keys: 401 and 403 answers, whoami per role, revocation, hashed storage."""
import os
import secrets
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import KEY_RE, check, eq, expect_error, expect_status, parse_xml, q, xml_text  # noqa: E402

DEALER = "D-AUTH-1"


class Ctx:
    pass


def setup():
    c = Ctx()
    c.srv = harness.Server("auth").start()
    c.dealer_key = c.srv.dealer_with_key(DEALER, "Auth Test Dealer")
    c.finance_key = c.srv.create_key("finance", label="e2e finance")
    return c


def _whoami(srv, key, what, auth="bearer"):
    r = expect_status(srv.request("GET", "/v1/whoami", key=key, auth=auth), 200, what)
    check("xml" in r.headers.get("content-type", ""),
          "%s: Content-Type %r is not XML" % (what, r.headers.get("content-type")))
    root = parse_xml(r.body, what)
    eq(root.tag, q("Principal"), "%s: root element" % what)
    return root


def _key_id(key):
    return KEY_RE.match(key).group(1)


def test_no_key_401(c):
    for method, path in (("GET", "/v1/whoami"), ("GET", "/v1/plugins"), ("GET", "/v1/dealers/X"),
                         ("POST", "/v1/dealers")):
        body = harness.dealer_xml("NOKEY") if method == "POST" else None
        r = c.srv.request(method, path, body=body)
        expect_error(r, 401, code="unauthorized", what="%s %s without a key" % (method, path))


def test_malformed_key_401(c):
    srv = c.srv
    real = srv.admin_key
    bad = ["garbage", "cdk_", "cdk_xyz_abc", "cdk_%s" % _key_id(real),      # no secret part
           "cdk_%s_" % _key_id(real), real[:-1], real + "x", real.upper(),
           "cdk_%s_%s" % ("g" * 12, "x" * 20), " " + real + " extra", "\u00e9" * 10]
    for key in bad:
        r = srv.request("GET", "/v1/whoami", key=key)
        expect_error(r, 401, code="unauthorized", what="whoami with malformed key %r" % key)
    for header in ("Bearer", "Bearer ", "Basic " + real, "bearer-ish " + real, "Token " + real):
        r = srv.request("GET", "/v1/whoami", headers={"Authorization": header})
        expect_error(r, 401, code="unauthorized", what="whoami with Authorization: %r" % header)
    srv.healthy("after malformed keys")


def test_unknown_key_401(c):
    unknown = "cdk_%s_%s" % (secrets.token_hex(6), secrets.token_urlsafe(24))
    expect_error(c.srv.request("GET", "/v1/whoami", key=unknown), 401, code="unauthorized",
                 what="whoami with a well-formed unknown key")
    expect_error(c.srv.request("GET", "/v1/whoami", key=unknown, auth="x-api-key"), 401,
                 code="unauthorized", what="whoami with an unknown X-API-Key")
    # A real key id with a wrong secret is refused too.
    wrong = "cdk_%s_%s" % (_key_id(c.srv.admin_key), secrets.token_urlsafe(24))
    expect_error(c.srv.request("GET", "/v1/whoami", key=wrong), 401, code="unauthorized",
                 what="whoami with the admin key id and a wrong secret")


def test_whoami_admin(c):
    root = _whoami(c.srv, c.srv.admin_key, "whoami as admin")
    eq(xml_text(root, "Role"), "admin", "admin whoami <Role>")
    kid = xml_text(root, "KeyId")
    check(kid and _key_id(c.srv.admin_key) in kid,
          "admin whoami <KeyId> %r does not name key id %s" % (kid, _key_id(c.srv.admin_key)))
    check(xml_text(root, "DealerId") is None, "admin whoami has a <DealerId>")


def test_whoami_x_api_key(c):
    root = _whoami(c.srv, c.srv.admin_key, "whoami as admin via X-API-Key", auth="x-api-key")
    eq(xml_text(root, "Role"), "admin", "X-API-Key whoami <Role>")


def test_whoami_finance(c):
    root = _whoami(c.srv, c.finance_key, "whoami as finance")
    eq(xml_text(root, "Role"), "finance", "finance whoami <Role>")
    check(_key_id(c.finance_key) in (xml_text(root, "KeyId") or ""), "finance whoami <KeyId>")
    check(xml_text(root, "DealerId") is None, "finance whoami has a <DealerId>")


def test_whoami_dealer(c):
    root = _whoami(c.srv, c.dealer_key, "whoami as dealer")
    eq(xml_text(root, "Role"), "dealer", "dealer whoami <Role>")
    eq(xml_text(root, "DealerId"), DEALER, "dealer whoami <DealerId>")
    check(_key_id(c.dealer_key) in (xml_text(root, "KeyId") or ""), "dealer whoami <KeyId>")


def test_wrong_role_403(c):
    srv = c.srv
    for role, key in (("dealer", c.dealer_key), ("finance", c.finance_key)):
        r = srv.request("GET", "/v1/plugins", key=key)
        err = expect_error(r, 403, what="GET /v1/plugins as %s" % role)
        check("forbid" in err["code"] or "denied" in err["code"] or "role" in err["code"],
              "GET /v1/plugins as %s: <Code> %r does not say forbidden" % (role, err["code"]))
        r = srv.request("POST", "/v1/dealers", body=harness.dealer_xml("BY-" + role.upper()), key=key)
        expect_error(r, 403, what="POST /v1/dealers as %s" % role)
    # ...and nothing was created by the refused calls.
    for role in ("dealer", "finance"):
        r = srv.request("GET", "/v1/dealers/BY-" + role.upper(), key=srv.admin_key)
        expect_status(r, 404, "dealer BY-%s created by a refused request" % role.upper())
    # The admin key passes the same route.
    expect_status(srv.request("GET", "/v1/plugins", key=srv.admin_key), 200, "GET /v1/plugins as admin")


def test_revoked_key_401(c):
    srv = c.srv
    key = srv.create_key("finance", label="to revoke")
    root = _whoami(srv, key, "whoami before revocation")
    kid = xml_text(root, "KeyId")
    srv.ctl("key", "revoke", kid)
    t0 = time.monotonic()
    harness.wait_until(lambda: srv.request("GET", "/v1/whoami", key=key).status == 401, 5,
                       "the revoked key to be refused")
    delay = time.monotonic() - t0
    if delay > 0.5:
        harness.diag("revocation took %.1fs to take effect" % delay)
    expect_error(srv.request("GET", "/v1/whoami", key=key), 401, code="unauthorized",
                 what="whoami with a revoked key")
    # The other keys still work.
    _whoami(srv, srv.admin_key, "admin whoami after revoking another key")


def test_key_list_shows_no_secret(c):
    r = c.srv.ctl("key", "list")
    for key in (c.srv.admin_key, c.dealer_key, c.finance_key):
        kid, secret = KEY_RE.match(key).groups()
        check(kid in r.stdout, "key list does not show key id %s:\n%s" % (kid, r.stdout))
        check(secret not in r.stdout, "key list shows the secret of key %s" % kid)


def test_keys_not_stored_in_clear(c):
    srv = c.srv
    count = srv.sql("select count(*) from api_keys").split()
    check(len(count) >= 2 and count[-1].isdigit() and int(count[-1]) >= 3,
          "api_keys holds fewer than the 3 keys created: %r" % count)
    dump = srv.sql("select * from api_keys")
    for role, key in (("admin", srv.admin_key), ("dealer", c.dealer_key),
                      ("finance", c.finance_key)):
        secret = KEY_RE.match(key).group(2)
        check(secret not in dump, "the %s key's secret is stored in clear in api_keys" % role)
        check(secret.encode().hex() not in dump.lower(),
              "the %s key's secret is stored hex-encoded in api_keys" % role)
        check(key not in dump, "the whole %s key is stored in api_keys" % role)
    # Nor anywhere else in the database.
    dump = srv.dump()
    for role, key in (("admin", srv.admin_key), ("dealer", c.dealer_key),
                      ("finance", c.finance_key)):
        secret = KEY_RE.match(key).group(2)
        check(secret not in dump, "the %s key's secret is stored in clear in the database" % role)


if __name__ == "__main__":
    harness.main(globals())
