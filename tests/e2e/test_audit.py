#!/usr/bin/env python3
"""The audit chain: every change writes a record, `contractctl audit verify`
passes on an untouched chain and names the record when one is edited
(directly in MariaDB), deleted, or the tail is cut off."""
import hashlib
import os
import pwd
import re
import sys
import threading

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import KEY_RE, check, eq, expect_error, expect_status  # noqa: E402

GENESIS = "0" * 64
COLUMNS = ("seq", "at", "actor", "action", "entity", "entity_id", "detail", "prev_hash", "hash")
INTACT_RE = re.compile(r"^audit chain intact: (\d+) records, head ([0-9a-f]{64})$", re.M)


class Ctx:
    pass


def setup():
    c = Ctx()
    c.srv = harness.Server("audit", workers=8).start()
    c.cli_actor = "cli:" + pwd.getpwuid(os.geteuid()).pw_name
    c.admin_key_id = KEY_RE.match(c.srv.admin_key).group(1)
    return c


# ---------------------------------------------------------------------------
# Reading the chain straight from MariaDB, and an independent verifier
# ---------------------------------------------------------------------------

def _unescape(field):
    """mariadb --batch escapes \\, tab, newline and NUL; NULL is NULL."""
    if field == "NULL":
        return None
    out, i = [], 0
    while i < len(field):
        ch = field[i]
        if ch == "\\" and i + 1 < len(field):
            nxt = field[i + 1]
            out.append({"t": "\t", "n": "\n", "0": "\0", "\\": "\\"}.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def rows(srv, where=""):
    out = srv.sql("SELECT seq, DATE_FORMAT(at, '%%Y-%%m-%%d %%H:%%i:%%s.%%f'), actor, action, "
                  "entity, entity_id, detail, prev_hash, hash FROM audit_log %s ORDER BY seq"
                  % where)
    result = []
    for line in out.splitlines()[1:]:
        f = [_unescape(x) for x in line.split("\t")]
        r = dict(zip(COLUMNS, f))
        r["seq"] = int(r["seq"])
        result.append(r)
    return result


def _netstring(value):
    if value is None:
        return b"-,"
    b = value.encode("utf-8")
    return str(len(b)).encode() + b":" + b + b","


def record_hash(r):
    """The canonical encoding of core/storage/audit.h, reimplemented."""
    enc = b"contractd-audit-1\n" + b"".join(_netstring(x) for x in (
        str(r["seq"]), r["at"], r["actor"], r["action"], r["entity"], r["entity_id"],
        r["detail"], r["prev_hash"]))
    return hashlib.sha256(enc).hexdigest()


def _hexlit(value):
    if value is None:
        return "NULL"
    return "CONVERT(X'%s' USING utf8mb4)" % value.encode("utf-8").hex()


def restore(srv, r):
    """Puts a record back exactly as it was."""
    srv.sql("REPLACE INTO audit_log (seq, at, actor, action, entity, entity_id, detail, "
            "prev_hash, hash) VALUES (%d, '%s', %s, %s, %s, %s, %s, '%s', '%s')" % (
                r["seq"], r["at"], _hexlit(r["actor"]), _hexlit(r["action"]),
                _hexlit(r["entity"]), _hexlit(r["entity_id"]), _hexlit(r["detail"]),
                r["prev_hash"], r["hash"]))


def verify(srv, expect_rc):
    r = srv.ctl("audit", "verify", check_rc=False)
    if r.returncode != expect_rc:
        harness.fail("audit verify exited %d, expected %d; stdout:\n%s\nstderr:\n%s" % (
            r.returncode, expect_rc, r.stdout, r.stderr))
    return r.stdout


def verify_intact(srv):
    out = verify(srv, 0)
    m = INTACT_RE.search(out)
    check(m, "audit verify said %r, not 'audit chain intact: N records, head HASH'" % out)
    return int(m.group(1)), m.group(2)


def find(records, action, entity_id):
    for r in records:
        if r["action"] == action and r["entity_id"] == entity_id:
            return r
    return None


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

def test_cli_actions_write_records(c):
    srv = c.srv
    before = len(rows(srv))
    srv.add_dealer("AUD-1", "Audit Dealer One")
    key = srv.create_key("dealer", dealer="AUD-1", label="audit test")
    key_id = KEY_RE.match(key).group(1)
    srv.ctl("dealer", "set-auth", "AUD-1", "both")
    srv.ctl("key", "revoke", key_id)
    recs = rows(srv)
    eq(len(recs), before + 4, "records written by dealer add, key create, set-auth, key revoke")
    r = find(recs, "dealer.create", "AUD-1")
    check(r, "no dealer.create record for AUD-1")
    eq(r["actor"], c.cli_actor, "actor of a contractctl change")
    eq(r["entity"], "dealer", "entity of dealer.create")
    check('name="Audit Dealer One"' in (r["detail"] or ""), "dealer.create detail: %r" % r["detail"])
    r = find(recs, "api_key.create", key_id)
    check(r, "no api_key.create record for key %s" % key_id)
    check("role=dealer" in r["detail"] and "dealer=AUD-1" in r["detail"],
          "api_key.create detail: %r" % r["detail"])
    check(key.split("_")[2] not in r["detail"], "the key's secret is in the audit trail")
    r = find(recs, "dealer.set_auth", "AUD-1")
    check(r and "from=key" in r["detail"] and "to=both" in r["detail"],
          "dealer.set_auth record: %r" % (r,))
    check(find(recs, "api_key.revoke", key_id), "no api_key.revoke record")
    # The admin key the harness made at start is there too.
    check(find(recs, "api_key.create", c.admin_key_id), "no record for the admin key")


def test_http_dealer_create_writes_record(c):
    srv = c.srv
    r = srv.request("POST", "/v1/dealers", body=harness.dealer_xml("AUD-HTTP", "Via HTTP"),
                    key=srv.admin_key, headers={"Idempotency-Key": "aud-http-1"})
    expect_status(r, 201, "POST /v1/dealers")
    rec = find(rows(srv), "dealer.create", "AUD-HTTP")
    check(rec, "no dealer.create record for a dealer created over HTTP")
    eq(rec["actor"], "key:" + c.admin_key_id, "actor of an HTTP change")
    # A replay answers from the idempotency store and writes nothing.
    n = len(rows(srv))
    r = srv.request("POST", "/v1/dealers", body=harness.dealer_xml("AUD-HTTP", "Via HTTP"),
                    key=srv.admin_key, headers={"Idempotency-Key": "aud-http-1"})
    expect_status(r, 201, "replayed POST /v1/dealers")
    eq(len(rows(srv)), n, "records after an idempotent replay")
    # A refused change writes nothing either.
    r = srv.request("POST", "/v1/dealers", body=harness.dealer_xml("AUD-HTTP", "Again"),
                    key=srv.admin_key)
    expect_error(r, 409, what="POST /v1/dealers for an existing dealer")
    eq(len(rows(srv)), n, "records after a refused change")


def test_concurrent_appends_neither_fork_nor_gap(c):
    srv = c.srv
    before = len(rows(srv))
    errors = []

    def create(i):
        try:
            r = srv.request("POST", "/v1/dealers", body=harness.dealer_xml("AUD-C%02d" % i),
                            key=srv.admin_key)
            if r.status != 201:
                errors.append("dealer %d: %d %s" % (i, r.status, r.body[:200]))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append("dealer %d: %r" % (i, e))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    check(not errors, "concurrent creates failed: %s" % errors[:5])
    recs = rows(srv)
    eq(len(recs), before + 40, "records after 40 concurrent creates")
    eq([r["seq"] for r in recs], list(range(1, len(recs) + 1)), "seq runs 1..N without gaps")


def test_chain_matches_independent_verifier(c):
    """The chain as stored checks out against a Python reimplementation of
    the canonical encoding — so the format in audit.h is what is written."""
    recs = rows(c.srv)
    check(len(recs) >= 10, "too few records to check: %d" % len(recs))
    prev = GENESIS
    for r in recs:
        eq(r["prev_hash"], prev, "prev_hash of record %d" % r["seq"])
        eq(record_hash(r), r["hash"], "hash of record %d" % r["seq"])
        prev = r["hash"]
    n, head = verify_intact(c.srv)
    eq(n, len(recs), "records counted by audit verify")
    eq(head, recs[-1]["hash"], "head printed by audit verify")
    head_row = c.srv.sql("SELECT seq, hash FROM audit_head").splitlines()[1].split("\t")
    eq((int(head_row[0]), head_row[1]), (recs[-1]["seq"], recs[-1]["hash"]), "audit_head")


def test_audit_list(c):
    srv = c.srv
    out = srv.ctl("audit", "list", "--entity", "dealer", "--id", "AUD-1").stdout
    lines = [x for x in out.splitlines() if x.strip()]
    eq(len(lines), 2, "records of dealer AUD-1 (create, set_auth): %s" % out)
    check("dealer.create" in lines[0] and "dealer.set_auth" in lines[1],
          "audit list order/content: %s" % out)
    out = srv.ctl("audit", "list", "--limit", "3").stdout
    lines = [x for x in out.splitlines() if x.strip()]
    eq(len(lines), 3, "audit list --limit 3 lines")
    seqs = [int(x.split()[0]) for x in lines]
    last = rows(srv)[-1]["seq"]
    eq(seqs, [last - 2, last - 1, last], "audit list --limit 3 shows the last three, oldest first")
    r = srv.ctl("audit", "list", "--limit", "zero", check_rc=False)
    eq(r.returncode, 2, "audit list --limit zero exit status")


def test_edited_record_is_named(c):
    srv = c.srv
    recs = rows(srv)
    victim = recs[len(recs) // 2]
    srv.sql("UPDATE audit_log SET detail = 'name=\"Forged\"' WHERE seq = %d" % victim["seq"])
    try:
        out = verify(srv, 1)
        check(re.search(r"audit record %d: altered" % victim["seq"], out),
              "audit verify does not name record %d as altered:\n%s" % (victim["seq"], out))
        check("first at seq %d" % victim["seq"] in out, "summary does not name seq %d:\n%s"
              % (victim["seq"], out))
        harness.diag(out.strip())
    finally:
        restore(srv, victim)
    verify_intact(srv)


def test_edited_and_rehashed_record_is_named(c):
    """Recomputing the edited record's hash breaks the next link instead."""
    srv = c.srv
    recs = rows(srv)
    i = len(recs) // 3
    victim, after = recs[i], recs[i + 1]
    forged = dict(victim, actor="cli:nobody")
    forged["hash"] = record_hash(forged)
    srv.sql("UPDATE audit_log SET actor = 'cli:nobody', hash = '%s' WHERE seq = %d"
            % (forged["hash"], victim["seq"]))
    try:
        out = verify(srv, 1)
        check(re.search(r"audit record %d: prev_hash does not match the hash of record %d"
                        % (after["seq"], victim["seq"]), out),
              "audit verify does not name the broken link %d->%d:\n%s"
              % (victim["seq"], after["seq"], out))
    finally:
        restore(srv, victim)
    verify_intact(srv)


def test_deleted_record_is_named(c):
    srv = c.srv
    recs = rows(srv)
    victim = recs[len(recs) // 2 + 1]
    srv.sql("DELETE FROM audit_log WHERE seq = %d" % victim["seq"])
    try:
        out = verify(srv, 1)
        check(re.search(r"audit record %d missing" % victim["seq"], out),
              "audit verify does not name the deleted record %d:\n%s" % (victim["seq"], out))
        harness.diag(out.strip())
    finally:
        restore(srv, victim)
    verify_intact(srv)


def test_deleted_tail_is_reported(c):
    srv = c.srv
    recs = rows(srv)
    tail = recs[-2:]
    srv.sql("DELETE FROM audit_log WHERE seq >= %d" % tail[0]["seq"])
    try:
        out = verify(srv, 1)
        check(re.search(r"audit records %d\.\.%d missing" % (tail[0]["seq"], tail[1]["seq"]), out),
              "audit verify does not report the cut tail %d..%d:\n%s"
              % (tail[0]["seq"], tail[1]["seq"], out))
        check(tail[1]["hash"] in out, "the report does not print the head hash:\n%s" % out)
    finally:
        for r in tail:
            restore(srv, r)
    verify_intact(srv)


def test_first_record_deleted_is_named(c):
    srv = c.srv
    first = rows(srv, "WHERE seq = 1")[0]
    srv.sql("DELETE FROM audit_log WHERE seq = 1")
    try:
        out = verify(srv, 1)
        check(re.search(r"audit record 1 missing", out),
              "audit verify does not name record 1:\n%s" % out)
    finally:
        restore(srv, first)
    verify_intact(srv)


def test_chain_continues_after_checks(c):
    srv = c.srv
    n0, _ = verify_intact(srv)
    srv.add_dealer("AUD-LAST")
    n1, head = verify_intact(srv)
    eq(n1, n0 + 1, "records after one more change")
    eq(head, rows(srv)[-1]["hash"], "head after one more change")


if __name__ == "__main__":
    harness.main(globals())
