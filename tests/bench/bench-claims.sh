#!/bin/sh
# bench-claims.sh — claims decided and invoices issued per second, with one
# client and with concurrent clients, each next to two references measured
# on the same MariaDB in the same run at the same concurrency
# (tests/bench/insert-rate.c): single-row INSERT transactions, and
# transactions that first increment one shared counter row (the shape of
# gap-free invoice numbering); and contractd's peak RSS:
#   claims:      ServiceClaim -> ClaimDecision, three in four on assets with
#                a contract that covers the repair (a settlement credit note
#                to the dealer and an invoice for the deductible to the
#                customer), one in four post-warranty on an asset without a
#                contract (an invoice to the customer);
#   parts orders: PartsOrder -> PartsOrderConfirmation, one invoice each.
# Prints figures; asserts nothing.
#
#   tests/bench/bench-claims.sh [-d SECONDS] [-c CONNECTIONS] [-t THREADS]
#                               [-w WORKERS] [-n DEALERS] [-a CONTRACTS]
#
# Runs against a built tree: CD_BUILDDIR (default: the current directory)
# holds contractd, contractctl and the plugins; insert-rate is built there
# on demand. Needs wrk, python3, make and MariaDB's server package (and
# mariadb-client for the database-side figures). Everything runs on
# 127.0.0.1 and a Unix socket in a temporary directory that is removed at
# the end, with every process stopped.
set -eu

DURATION=10
CONNECTIONS=32
THREADS=2
WORKERS=32
DEALERS=32
CONTRACTS=500
while getopts d:c:t:w:n:a:h opt; do
	case $opt in
	d) DURATION=$OPTARG ;;
	c) CONNECTIONS=$OPTARG ;;
	t) THREADS=$OPTARG ;;
	w) WORKERS=$OPTARG ;;
	n) DEALERS=$OPTARG ;;
	a) CONTRACTS=$OPTARG ;;
	*) sed -n '2,24p' "$0"; exit 2 ;;
	esac
done
for v in "$DURATION" "$CONNECTIONS" "$THREADS" "$WORKERS" "$DEALERS" "$CONTRACTS"; do
	case $v in ''|*[!0-9]*|0) echo "bench: options want whole numbers above 0" >&2; exit 2 ;; esac
done
[ "$DURATION" -le 300 ] || { echo "bench: -d at most 300" >&2; exit 2; }
[ "$CONNECTIONS" -le 1000 ] || { echo "bench: -c at most 1000" >&2; exit 2; }
[ "$DEALERS" -le 1000 ] || { echo "bench: -n at most 1000" >&2; exit 2; }
[ "$WORKERS" -le 1024 ] || { echo "bench: -w at most 1024" >&2; exit 2; }
[ "$CONTRACTS" -le 20000 ] || { echo "bench: -a at most 20000" >&2; exit 2; }
[ "$THREADS" -le "$CONNECTIONS" ] || { echo "bench: -t at most -c" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${CD_SRCDIR:-$(cd "$HERE/../.." && pwd)}
BUILDDIR=$(cd "${CD_BUILDDIR:-.}" && pwd)
CONTRACTD=$BUILDDIR/contractd
CONTRACTCTL=$BUILDDIR/contractctl
FLAT_SO=$BUILDDIR/plugins/example-flat/.libs/example-flat.so
LABOR_SO=$BUILDDIR/plugins/billing-labor/.libs/billing-labor.so
PARTS_SO=$BUILDDIR/plugins/parts-pricelist/.libs/parts-pricelist.so
INSERT_RATE=$BUILDDIR/tests/bench/insert-rate
DATA=$SRCDIR/tests/data/claims
LUA=$HERE/documents.lua
for f in "$CONTRACTD" "$CONTRACTCTL" "$FLAT_SO" "$LABOR_SO" "$PARTS_SO"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "bench: $f not built (set CD_BUILDDIR)" >&2; exit 1; }
done
for f in "$DATA/catalog.xml" "$DATA/labor-rates.xml" "$DATA/parts.xml" "$LUA"; do
	[ -f "$f" ] || { echo "bench: $f missing (set CD_SRCDIR)" >&2; exit 1; }
done
for tool in wrk python3 timeout make; do
	command -v $tool >/dev/null 2>&1 || { echo "bench: $tool not found" >&2; exit 1; }
done
MARIADB_CLIENT=$(command -v mariadb 2>/dev/null || command -v mysql 2>/dev/null || true)

# --- the reference program, built on demand -----------------------------------
echo "bench: make -C $BUILDDIR tests/bench/insert-rate"
if ! timeout 600 make -C "$BUILDDIR" tests/bench/insert-rate >/tmp/cd-bench-make.$$ 2>&1; then
	echo "bench: building insert-rate failed:" >&2
	tail -20 /tmp/cd-bench-make.$$ >&2
	rm -f /tmp/cd-bench-make.$$
	exit 1
fi
rm -f /tmp/cd-bench-make.$$

. "$(dirname "$0")/common.sh"

die() {
	echo "bench: $*" >&2
	exit 1
}

ctl() {
	timeout 180 "$CONTRACTCTL" -c "$TMP/contractd.conf" "$@" 2>"$TMP/ctl.err" || {
		echo "bench: contractctl $* failed:" >&2
		cat "$TMP/ctl.err" >&2
		exit 1
	}
}

cd_alive() {
	kill -0 "$CD_PID" 2>/dev/null
}

cd_died() {
	echo "bench: contractd is no longer running ($1); the last lines of its log:" >&2
	tail -20 "$TMP/contractd.log" >&2
	wait "$CD_PID" 2>/dev/null && rc=0 || rc=$?
	[ "$rc" -gt 128 ] && echo "bench: contractd was killed by signal $((rc - 128))" >&2
	CD_PID=
	exit 1
}

CD_PORT=$(free_port)
if [ "$(id -u)" = 0 ]; then DB_USER=root; else DB_USER=$(id -un); fi
DB_SOCKET=$TMP/state/mariadb/mariadb.sock

# --- contractd -----------------------------------------------------------------
# Configured as tests/e2e/test_claims.py configures its server: the plan
# CLAIM-PT-48 of tests/data/claims/catalog.xml (priced at registration by
# the example-flat plugin under the name the catalog gives it), the
# billing-labor and parts-pricelist plugins on the claim tests' tables, a
# seller (so claims and orders are invoiced) and a 19 % standard tax rate.
cat >"$TMP/contractd.conf" <<EOF
[server]
listen = 127.0.0.1:$CD_PORT
state_dir = $TMP/state
threads = $THREADS
workers = $WORKERS
timeout = 30
log_level = warn

[database]
url =

[plugin pricing-percent]
file = $FLAT_SO
currency = EUR
rate = 0.05
minimum = 29.00

[plugin billing-labor]
file = $LABOR_SO
rates = $DATA/labor-rates.xml

[plugin parts-pricelist]
file = $PARTS_SO
pricelists = $DATA/parts.xml

[tax]
standard = 0.19

[seller]
name = Contractd Warranty GmbH
street = Friedrichstrasse 68
city = Berlin
postal_code = 10117
country = DE
vat_id = DE123456789
legal_id = HRB 123456 B
email = billing@warranty.example
iban = DE02120300000000202051
EOF
echo "bench: preparing the private MariaDB in $TMP/state ..."
start_contractd
MARIADB_PID=$(cat "$TMP/state/mariadb/mariadb.pid" 2>/dev/null || echo 0)

# With contractd running, contractctl uses its MariaDB instead of starting one.
ctl catalog import "$DATA/catalog.xml" >"$TMP/catalog.log"
: >"$TMP/keys.txt"
i=1
while [ $i -le "$DEALERS" ]; do
	dealer=$(printf 'BENCH-%04d' $i)
	ctl dealer add "$dealer" --name "Bench dealer $i" >/dev/null
	ctl dealer set-billing "$dealer" --country DE --street "Hauptstrasse $i" --city Potsdam \
		--postal-code 14467 --vat-id DE811111111 >/dev/null
	key=$(ctl key create --role dealer --dealer "$dealer" --label bench)
	echo "$dealer $key" >>"$TMP/keys.txt"
	i=$((i + 1))
done
echo "bench: claim catalog imported, $DEALERS dealers with billing details and a key each"

# --- the documents and the contracts -------------------------------------------
# Templates for documents.lua (@DOCID@, @DEALER@, @SERIAL@, @ASSET@), and
# $CONTRACTS cars registered on CLAIM-PT-48 by the dealers in turn, 32 at a
# time: bought 800 days ago (the maker's 24 months are over), sold 60 days
# ago (the 30 waiting days are over), 30 000 km at sale. assets.txt lists
# them for documents.lua.
#
# The covered claim: 1.0 h of engine labor (100.00) and an oil filter (12.00
# net + 10 % handling), 113.20 covered, less the 100.00 deductible: the
# dealer is credited 13.20 (settlement credit note), the customer pays the
# deductible (invoice). 13.20 of the 1 500.00 limit per claim: a contract
# takes 113 such claims before it is exhausted (the bench reports any that
# were). The post-warranty claim: a car without a contract, 2.0 master
# hours and the diagnostic fee, all the customer's (invoice). The parts
# order: a water pump and two oil filters at dealer net (invoice).
echo "bench: registering $CONTRACTS contracts ..."
timeout 900 python3 - "$TMP" "$CD_PORT" "$CONTRACTS" <<'EOF' || die "registering the contracts failed; no figures"
import datetime, http.client, sys, threading
tmp, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
NS = "urn:contractd:1"
today = datetime.datetime.now(datetime.timezone.utc).date()
def days(n):
    return (today + datetime.timedelta(days=n)).isoformat()
def header(doc_id, dealer):
    return "<Header><DocumentId>%s</DocumentId><DealerId>%s</DealerId></Header>" % (doc_id, dealer)
def car(serial, purchase):
    return ("<Asset><SerialNumber>%s</SerialNumber><Model>Kombi 2.0</Model>"
            "<ProductCategory>vehicle.car</ProductCategory><PurchaseDate>%s</PurchaseDate>"
            "<PurchasePrice currency=\"EUR\">20000.00</PurchasePrice><UsageUnit>km</UsageUnit>"
            "<UsageAtSale>30000</UsageAtSale><ManufacturerWarranty><Months>24</Months>"
            "<UsageLimit>60000</UsageLimit></ManufacturerWarranty></Asset>" % (serial, purchase))
CUSTOMER = ("<Customer><Name>Jana Becker</Name><Address><Line>Kastanienallee 41</Line>"
            "<PostalCode>10435</PostalCode><City>Berlin</City><Country>DE</Country></Address>"
            "</Customer>")
def claim(ident, lines, usage, customer="", diagnostic=False):
    return ('<ServiceClaim xmlns="%s">%s<RepairOrder>RO-@DOCID@</RepairOrder>%s'
            '<ServiceDate>%s</ServiceDate><Usage>%d</Usage>%s<Currency>EUR</Currency>'
            '<Complaint>Coolant loss, engine running hot</Complaint><Maintenance>false</Maintenance>'
            '<Diagnostic>%s</Diagnostic><Lines>%s</Lines></ServiceClaim>'
            % (NS, header("@DOCID@", "@DEALER@"), ident, days(0), usage, customer,
               "true" if diagnostic else "false", lines))
labor = ("<Labor><LineNumber>1</LineNumber><OperationCode>ENG-0001</OperationCode>"
         "<ComponentCategory>engine</ComponentCategory><Hours>%s</Hours>%s</Labor>")
filt = ("<Part><LineNumber>2</LineNumber><PartNumber>OIL-FILTER</PartNumber>"
        "<ComponentCategory>engine</ComponentCategory><Quantity>1</Quantity></Part>")
templates = {
    "claim-covered": claim("<AssetRef><SerialNumber>@ASSET@</SerialNumber></AssetRef>",
                           labor % ("1.0", "") + filt, 40000),
    "claim-post": claim(car("@SERIAL@", days(-900)),
                        labor % ("2.0", "<SkillLevel>master</SkillLevel>"), 70000,
                        customer=CUSTOMER.replace("Jana Becker", "Paul Kern"), diagnostic=True),
    "order": ('<PartsOrder xmlns="%s">%s<OrderReference>REF-@DOCID@</OrderReference>'
              '<Currency>EUR</Currency><Lines><Line><LineNumber>1</LineNumber>'
              '<PartNumber>ENG-PUMP</PartNumber><Quantity>1</Quantity></Line><Line>'
              '<LineNumber>2</LineNumber><PartNumber>OIL-FILTER</PartNumber>'
              '<Quantity>2</Quantity></Line></Lines></PartsOrder>'
              % (NS, header("@DOCID@", "@DEALER@"))),
}
for name, doc in templates.items():
    with open("%s/%s.tmpl" % (tmp, name), "w", encoding="utf-8") as f:
        f.write(doc)

keys = [line.split() for line in open(tmp + "/keys.txt") if line.strip()]
assets = ["CAR-%05d" % i for i in range(count)]
owner = {a: keys[i % len(keys)] for i, a in enumerate(assets)}
failed, lock = [], threading.Lock()
def register(part):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for a in part:
        dealer, key = owner[a]
        body = ('<ContractRegistration xmlns="%s">%s%s<Plan><Code>CLAIM-PT-48</Code></Plan>%s'
                '<SaleDate>%s</SaleDate></ContractRegistration>'
                % (NS, header("REG-" + a, dealer), car(a, days(-800)), CUSTOMER, days(-60)))
        try:
            c.request("POST", "/v1/documents", body=body.encode(), headers={
                "Authorization": "Bearer " + key, "Content-Type": "application/xml"})
            r = c.getresponse()
            data = r.read().decode("utf-8", "replace")
        except Exception as e:  # noqa: BLE001
            with lock:
                failed.append("%s: %r" % (a, e))
            return
        if r.status != 200 or "<ContractConfirmation" not in data:
            with lock:
                failed.append("%s: %d %s" % (a, r.status, data[:1500]))
            return
threads = [threading.Thread(target=register, args=(assets[k::32],)) for k in range(32)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failed:
    sys.stderr.write("bench: %d registrations failed; the first: %s\n" % (len(failed), failed[0]))
    sys.exit(1)
with open(tmp + "/assets.txt", "w") as f:
    for a in assets:
        f.write("%s %s\n" % (a, owner[a][0]))
EOF
cd_alive || cd_died "while registering the contracts"

# One of each by hand first, from the templates: a document that is not
# answered 200, or not invoiced as described above, makes every figure
# meaningless, so stop there and show the answer.
probe() {
	python3 - "$TMP" "$CD_PORT" "$@" <<'EOF'
import http.client, re, sys
tmp, port, template, docid = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
expect = sys.argv[5:]
serial, dealer = open(tmp + "/assets.txt").readline().split()
keys = dict(line.split() for line in open(tmp + "/keys.txt") if line.strip())
body = open("%s/%s.tmpl" % (tmp, template)).read().replace("@DOCID@", docid) \
    .replace("@DEALER@", dealer).replace("@SERIAL@", "SN-" + docid).replace("@ASSET@", serial)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
c.request("POST", "/v1/documents", body=body.encode(),
          headers={"Authorization": "Bearer " + keys[dealer], "Content-Type": "application/xml"})
r = c.getresponse()
data = r.read().decode("utf-8", "replace")
missing = [e for e in expect if not re.search("<%s>[^<]+</%s>" % (e, e), data)]
if r.status != 200 or missing:
    sys.stderr.write("bench: POST %s answered %d%s:\n%s\n" % (template, r.status,
                     " without " + ", ".join(missing) if missing else "", data[:2500]))
    sys.exit(1)
EOF
}
probe claim-covered PROBE-C1 ClaimNumber CustomerInvoice SettlementNote ||
	{ cd_alive || cd_died "after one covered claim"; die "a covered claim is not decided and invoiced; no figures"; }
probe claim-post PROBE-C2 ClaimNumber CustomerInvoice ||
	{ cd_alive || cd_died "after one post-warranty claim"; die "a post-warranty claim is not decided and invoiced; no figures"; }
probe order PROBE-O1 InvoiceNumber ||
	{ cd_alive || cd_died "after one parts order"; die "a parts order is not invoiced; no figures"; }

# --- load --------------------------------------------------------------------
RUN_TAG=$(date -u +%H%M%S)
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
CLAIM_TEMPLATES=$TMP/claim-covered.tmpl,$TMP/claim-covered.tmpl,$TMP/claim-covered.tmpl,$TMP/claim-post.tmpl

sql() {
	[ -n "$MARIADB_CLIENT" ] || { echo "?"; return 0; }
	timeout 30 "$MARIADB_CLIENT" --no-defaults -S "$DB_SOCKET" -u "$DB_USER" -N -B contractd \
		-e "$1" 2>/dev/null || echo "?"
}

# cpu PID: user + system CPU time in clock ticks.
cpu() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

hwm() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

# snapshot FILE: what the database and the processes say before or after
# a run, as KEY VALUE lines.
snapshot() {
	{
		echo "claims $(sql 'SELECT COUNT(*) FROM claims')"
		echo "orders $(sql 'SELECT COUNT(*) FROM parts_orders')"
		echo "invoices $(sql 'SELECT COUNT(*) FROM invoices')"
		sql "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_row_lock_waits', 'Innodb_row_lock_time',
			'Questions')" |
			awk '{ print $1, $2 }'
		echo "cd_cpu $(cpu "$CD_PID")"
		echo "db_cpu $(cpu "$MARIADB_PID")"
	} >"$1"
}

# Samples, every 0.25 s for at most the run's length, which rows the
# transactions waiting for a row lock are waiting for (InnoDB's lock wait
# list has a line per waiter and lock ahead of it: one per waiter here).
sample_locks() {
	[ -n "$MARIADB_CLIENT" ] || return 0
	n=$((DURATION * 4))
	while [ $n -gt 0 ] && cd_alive; do
		timeout 5 "$MARIADB_CLIENT" --no-defaults -S "$DB_SOCKET" -u "$DB_USER" -N -B -e \
			"SELECT 'sample'; SELECT DISTINCT w.requesting_trx_id, l.lock_table, l.lock_data
			 FROM information_schema.INNODB_LOCK_WAITS w
			 JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id" \
			2>/dev/null || true
		sleep 0.25
		n=$((n - 1))
	done >"$1"
}

# run NAME CONNECTIONS TEMPLATES: one wrk run against contractd, with the
# snapshots around it and the lock sampler beside it.
run() {
	name=$1 conns=$2 templates=$3
	t=$THREADS
	[ "$t" -le "$conns" ] || t=$conns
	echo "bench: $name, $conns client(s) ..."
	snapshot "$TMP/$name.before"
	sample_locks "$TMP/$name.locks" &
	sampler=$!
	timeout $((DURATION + 30)) wrk -t "$t" -c "$conns" -d "${DURATION}s" --timeout 10s -s "$LUA" \
		"http://127.0.0.1:$CD_PORT/v1/documents" -- "$templates" "$TMP/keys.txt" \
		"$name-$RUN_TAG" "$t" "$TMP/assets.txt" >"$TMP/$name.txt" 2>&1 || true
	snapshot "$TMP/$name.after"
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	cd_alive || cd_died "during $name"
	echo "result hwm_kb $(hwm "$CD_PID")" >>"$TMP/$name.txt"
}

# insert_run NAME CONNECTIONS [-r]: the references, insert-rate on the
# same MariaDB: single-row INSERT transactions, or (-r) transactions that
# increment one shared counter row before their INSERT.
insert_run() {
	name=$1 conns=$2
	shift 2
	echo "bench: $name: INSERT transactions${1:+ on one hot counter row} into the same MariaDB," \
		"$conns connection(s) ..."
	timeout $((DURATION + 120)) "$INSERT_RATE" -S "$DB_SOCKET" -u "$DB_USER" -c "$conns" \
		-d "$DURATION" "$@" >"$TMP/$name.txt" 2>&1 || true
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)
echo "bench: wrk -d ${DURATION}s --timeout 10s -s documents.lua, 1 and $CONNECTIONS connections;" \
	"$DEALERS dealers, $CONTRACTS contracts; contractd threads = $THREADS, workers = $WORKERS"
# Warm-up, not measured: two seconds of each at full concurrency, so that
# every database connection of contractd has prepared its statements and
# the pages are in MariaDB's buffer pool before the first measured run.
echo "bench: warm-up (2 s of claims and 2 s of parts orders, not measured) ..."
for w in claims:"$CLAIM_TEMPLATES" orders:"$TMP/order.tmpl"; do
	timeout 60 wrk -t "$THREADS" -c "$CONNECTIONS" -d 2s --timeout 10s -s "$LUA" \
		"http://127.0.0.1:$CD_PORT/v1/documents" -- "${w#*:}" "$TMP/keys.txt" \
		"warmup-${w%%:*}-$RUN_TAG" "$THREADS" "$TMP/assets.txt" >"$TMP/warmup-${w%%:*}.txt" 2>&1 || true
done
cd_alive || cd_died "during the warm-up"

LEVELS="1 $CONNECTIONS"
[ "$CONNECTIONS" -gt 1 ] || LEVELS=1
for conns in $LEVELS; do
	run "claims-$conns" "$conns" "$CLAIM_TEMPLATES"
	run "orders-$conns" "$conns" "$TMP/order.tmpl"
	insert_run "insert-$conns" "$conns"
	insert_run "hotrow-$conns" "$conns" -r
done
MARIADB_HWM=$(hwm "$MARIADB_PID")
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)

# --- figures -----------------------------------------------------------------
# Gap-free numbering, the claims' states and spent contracts, for the notes.
SERIES=$(sql "SELECT CONCAT(series, ': ', COUNT(*), ' issued, numbers ', MIN(seq), '..', MAX(seq))
	FROM invoices GROUP BY series ORDER BY series" | tr '\n' ';' | sed 's/;$//; s/;/; /g')
STATES=$(sql "SELECT CONCAT(state, ' ', COUNT(*)) FROM claims GROUP BY state ORDER BY state" |
	tr '\n' ',' | sed 's/,$//; s/,/, /g')
EXHAUSTED=$(sql "SELECT COUNT(*) FROM contracts WHERE state = 'exhausted' OR claims_paid >= liability_limit")

python3 - "$TMP" "$CONNECTIONS" "$CLK_TCK" <<'EOF'
import sys
tmp, conns, tck = sys.argv[1], sys.argv[2], float(sys.argv[3])
levels = ["1"] if conns == "1" else ["1", conns]

def results(name):
    r, sample = {}, None
    try:
        for line in open("%s/%s.txt" % (tmp, name), errors="replace"):
            p = line.split(None, 2)
            if len(p) == 3 and p[0] == "result":
                r[p[1]] = p[2].strip()
            elif p and p[0] == "sample" and sample is None:
                sample = line[7:].strip()
    except OSError:
        pass
    return r, sample

def snap(name, when):
    s = {}
    try:
        for line in open("%s/%s.%s" % (tmp, name, when)):
            p = line.split()
            if len(p) == 2:
                s[p[0]] = p[1]
    except OSError:
        pass
    return s

def delta(name, key):
    try:
        return float(snap(name, "after")[key]) - float(snap(name, "before")[key])
    except (KeyError, ValueError):
        return None

def errors(r):
    if "errors" in r:
        return r["errors"]
    if "non2xx" in r:
        return str(int(r["non2xx"]) + int(r.get("socket_errors", "0")))
    return "?"

def locks(name):
    """{table: mean number of transactions waiting for its rows}."""
    samples, waits = 0, {}
    try:
        for line in open("%s/%s.locks" % (tmp, name)):
            line = line.strip()
            if line == "sample":
                samples += 1
            elif line:
                # trx id, table, the row's key: rows of the series and the
                # audit head by name, the others by table.
                p = line.split("\t")
                what = p[1].replace("`contractd`.", "").replace("`", "") if len(p) > 1 else line
                if what == "invoice_series" and len(p) > 2:
                    what += " " + (p[2].strip("'") if p[2] != "NULL" else "(row not named)")
                waits[what] = waits.get(what, 0) + 1
    except OSError:
        pass
    return samples, {t: n / samples for t, n in waits.items()} if samples else {}

def f(x, fmt="%.1f"):
    return "?" if x is None else fmt % x

rows, invalid, notes = [], [], []
for kind, label, key in (("claims", "claims decided", "claims"),
                         ("orders", "parts orders invoiced", "orders")):
    for c in levels:
        name = "%s-%s" % (kind, c)
        r, sample = results(name)
        ins, _ = results("insert-%s" % c)
        hot, _ = results("hotrow-%s" % c)
        try:
            secs = float(r["seconds"])
            rps = float(r["rps"])
        except (KeyError, ValueError):
            secs = rps = None
        inv = delta(name, "invoices")
        stored = delta(name, key)
        inv_s = inv / secs if inv is not None and secs else None
        ratio = lambda ref: rps / float(ref["tx_per_s"]) if rps and float(ref.get("tx_per_s") or 0) else None  # noqa: E731
        err = errors(r)
        rows.append((label, c, f(rps), r.get("p99_ms", "?") + "ms", err, f(inv_s),
                     f(ratio(ins), "%.3f"), f(ratio(hot), "%.3f")))
        n = float(r["requests"]) if r.get("requests", "").isdigit() else None
        cd_cpu, db_cpu = delta(name, "cd_cpu"), delta(name, "db_cpu")
        waits, wait_ms = delta(name, "Innodb_row_lock_waits"), delta(name, "Innodb_row_lock_time")
        nsamples, lk = locks(name)
        per = lambda x, scale=1.0: x * scale / n if x is not None and n else None  # noqa: E731
        notes.append("%s, %s client(s): %s requests in %s s, statuses %s; stored %s, invoices +%s;"
                     " statements per document %s; CPU per document: contractd %s ms,"
                     " MariaDB %s ms; row lock waits per"
                     " document %s (mean wait %s ms); transactions waiting for a row lock, mean"
                     " of %d samples: %s; contractd VmHWM %s kB"
                     % (label, c, r.get("requests", "?"), r.get("seconds", "?"),
                        r.get("statuses", "?"), f(stored, "%d"), f(inv, "%d"),
                        f(per(delta(name, "Questions")), "%.0f"), f(per(cd_cpu, 1000.0 / tck), "%.2f"), f(per(db_cpu, 1000.0 / tck), "%.2f"),
                        f(per(waits), "%.2f"),
                        f(wait_ms / waits if waits else None, "%.1f"), nsamples,
                        ", ".join("%s %.1f" % kv for kv in sorted(lk.items(), key=lambda kv: -kv[1]))
                        or "none", r.get("hwm_kb", "?")))
        if err != "0":
            invalid.append("%s, %s client(s): NOT A VALID FIGURE: %s errors (sockets: %s)%s"
                           % (label, c, err, r.get("socket_detail", "?"),
                              "\n  first: " + sample[:400] if sample else ""))
for kind, label in (("insert", "ref: INSERT tx"), ("hotrow", "ref: hot-row tx")):
    for c in levels:
        ref, sample = results("%s-%s" % (kind, c))
        try:
            tps = float(ref["tx_per_s"])
        except (KeyError, ValueError):
            tps = None
        rows.append((label, c, f(tps), ref.get("p99_ms", "?") + "ms", errors(ref), "", "", ""))
        notes.append("%s, %s connection(s): %s transactions in %s s, errors %s"
                     % (label[5:], c, ref.get("transactions", "?"), ref.get("seconds", "?"),
                        errors(ref)))
        if errors(ref) != "0":
            invalid.append("%s, %s connection(s): NOT A VALID FIGURE: %s errors%s"
                           % (label[5:], c, errors(ref), "\n  first: " + sample[:400] if sample else ""))

fmt = "%-22s %7s %9s %10s %6s %11s %10s %10s"
print()
print(fmt % ("what", "clients", "per s", "p99", "errors", "invoices/s", "/ INSERT", "/ hot-row"))
for row in rows:
    print(fmt % row)
print()
print("per s: documents answered (wrk) or transactions committed (insert-rate) per second;")
print("invoices/s: invoices and credit notes the database gained during the run, per second of it;")
print("/ INSERT, / hot-row: per s over the reference's tx/s at the same concurrency (same MariaDB,")
print("same run). INSERT: single-row INSERT, autocommit; hot-row: UPDATE of one shared counter row,")
print("INSERT, COMMIT (the shape of gap-free numbering).")
print()
for line in notes:
    print(line)
if invalid:
    print()
    for line in invalid:
        print(line)
    print("bench: some runs had errors: their figures are not valid measurements.")
    open(tmp + "/invalid", "w").close()
EOF
echo
echo "machine: $(nproc) CPUs, shared by wrk, contractd and MariaDB (all on 127.0.0.1);" \
	"load average $LOAD_START at the start, $LOAD_END at the end"
echo "contractd peak RSS (VmHWM): $(hwm "$CD_PID") kB; its MariaDB: ${MARIADB_HWM:-?} kB"
if [ -n "$MARIADB_CLIENT" ]; then
	echo "claims by state: $STATES; contracts at their limit of liability: $EXHAUSTED of $CONTRACTS"
	echo "invoice series: $SERIES"
fi
# log_level is warn: anything contractd logged during the bench is worth a look.
if [ -s "$TMP/contractd.log" ]; then
	echo "contractd logged $(wc -l <"$TMP/contractd.log" | tr -d ' ') lines (log_level warn); the last:"
	tail -10 "$TMP/contractd.log" | cut -c1-300 | sed 's/^/  | /'
else
	echo "contractd logged nothing (log_level warn)"
fi
exit 0
