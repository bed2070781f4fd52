#!/bin/sh
# bench-documents.sh — dealer documents over HTTP with concurrent clients,
# each next to a reference measured in the same run on the same machine:
#   quotes:        QuoteRequest -> Quote on contractd, against nginx serving
#                  a static file the size of a Quote, with the same wrk load;
#   registrations: ContractRegistration -> ContractConfirmation (each with
#                  its own DocumentId and asset), against raw single-row
#                  INSERT transactions into the same MariaDB at the same
#                  concurrency (tests/bench/insert-rate.c);
# and contractd's peak RSS. Prints figures; asserts nothing.
#
#   tests/bench/bench-documents.sh [-d SECONDS] [-c CONNECTIONS] [-t THREADS]
#                                  [-w WORKERS] [-n DEALERS]
#
# Runs against a built tree: CD_BUILDDIR (default: the current directory)
# holds contractd, contractctl and the pricing plugins; insert-rate is built
# there on demand. Needs wrk, nginx, python3, make and MariaDB's server
# package. Everything runs on 127.0.0.1 in a temporary directory that is
# removed at the end, with every process stopped.
set -eu

DURATION=10
CONNECTIONS=32
THREADS=2
WORKERS=32
DEALERS=32
while getopts d:c:t:w:n:h opt; do
	case $opt in
	d) DURATION=$OPTARG ;;
	c) CONNECTIONS=$OPTARG ;;
	t) THREADS=$OPTARG ;;
	w) WORKERS=$OPTARG ;;
	n) DEALERS=$OPTARG ;;
	*) sed -n '2,20p' "$0"; exit 2 ;;
	esac
done
for v in "$DURATION" "$CONNECTIONS" "$THREADS" "$WORKERS" "$DEALERS"; do
	case $v in ''|*[!0-9]*|0) echo "bench: options want whole numbers above 0" >&2; exit 2 ;; esac
done
[ "$DURATION" -le 300 ] || { echo "bench: -d at most 300" >&2; exit 2; }
[ "$DEALERS" -le 1000 ] || { echo "bench: -n at most 1000" >&2; exit 2; }
[ "$WORKERS" -le 1024 ] || { echo "bench: -w at most 1024" >&2; exit 2; }
[ "$THREADS" -le "$CONNECTIONS" ] || { echo "bench: -t at most -c" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${CD_SRCDIR:-$(cd "$HERE/../.." && pwd)}
BUILDDIR=$(cd "${CD_BUILDDIR:-.}" && pwd)
CONTRACTD=$BUILDDIR/contractd
CONTRACTCTL=$BUILDDIR/contractctl
PERCENT_SO=$BUILDDIR/plugins/pricing-percent/.libs/pricing-percent.so
RATETABLE_SO=$BUILDDIR/plugins/pricing-ratetable/.libs/pricing-ratetable.so
INSERT_RATE=$BUILDDIR/tests/bench/insert-rate
EXAMPLES=$SRCDIR/contracts/examples
LUA=$HERE/documents.lua
for f in "$CONTRACTD" "$CONTRACTCTL" "$PERCENT_SO" "$RATETABLE_SO"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "bench: $f not built (set CD_BUILDDIR)" >&2; exit 1; }
done
for f in "$EXAMPLES/Catalog.xml" "$EXAMPLES/RateTable.xml" "$EXAMPLES/QuoteRequest.xml" \
    "$EXAMPLES/ContractRegistration.xml" "$LUA"; do
	[ -f "$f" ] || { echo "bench: $f missing (set CD_SRCDIR)" >&2; exit 1; }
done
for tool in wrk python3 timeout make; do
	command -v $tool >/dev/null 2>&1 || { echo "bench: $tool not found" >&2; exit 1; }
done
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench: nginx not found (apt-get install nginx-light)" >&2; exit 1; }
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
NGINX_PORT=$(free_port)
TODAY=$(date -u +%F)
if [ "$(id -u)" = 0 ]; then DB_USER=root; else DB_USER=$(id -un); fi
DB_SOCKET=$TMP/state/mariadb/mariadb.sock

# --- contractd -----------------------------------------------------------------
# The pricing plugin instances are named as the example catalog names them;
# the rate table is resolved against the configuration's directory.
cp "$EXAMPLES/RateTable.xml" "$TMP/RateTable.xml"
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

[plugins]
dir = $BUILDDIR/plugins

[plugin pricing-percent]
file = pricing-percent/.libs/pricing-percent.so
currency = EUR

[plugin pricing-ratetable]
file = pricing-ratetable/.libs/pricing-ratetable.so
tables = RateTable.xml

[tax]
standard = 0.19
EOF
echo "bench: preparing the private MariaDB in $TMP/state ..."
start_contractd

# With contractd running, contractctl uses its MariaDB instead of starting one.
ctl catalog import "$EXAMPLES/Catalog.xml" >"$TMP/catalog.log"
: >"$TMP/keys.txt"
i=1
while [ $i -le "$DEALERS" ]; do
	dealer=$(printf 'BENCH-%04d' $i)
	ctl dealer add "$dealer" --name "Bench dealer $i" >/dev/null
	key=$(ctl key create --role dealer --dealer "$dealer" --label bench)
	echo "$dealer $key" >>"$TMP/keys.txt"
	i=$((i + 1))
done
echo "bench: catalog imported, $DEALERS dealers with a key each"

# --- the documents ---------------------------------------------------------------
# Templates for documents.lua: the examples, dated today, with @DOCID@,
# @DEALER@ and @SERIAL@. The registration sends the QuoteRequest's Asset and
# Plan instead of a QuoteReference (priced at registration), so that every
# registration is a new asset and a new contract without a quote first.
python3 - "$EXAMPLES" "$TMP" "$TODAY" <<'EOF'
import re, sys
examples, tmp, today = sys.argv[1:4]
def read(name):
    with open("%s/%s.xml" % (examples, name), encoding="utf-8") as f:
        return f.read()
def fill(doc):
    doc = re.sub(r"<DocumentId>[^<]*</DocumentId>", "<DocumentId>@DOCID@</DocumentId>", doc, 1)
    doc = re.sub(r"<DealerId>[^<]*</DealerId>", "<DealerId>@DEALER@</DealerId>", doc, 1)
    doc = re.sub(r"<SerialNumber>[^<]*</SerialNumber>", "<SerialNumber>@SERIAL@</SerialNumber>", doc)
    doc = re.sub(r"(<(IssueDate|PurchaseDate|SaleDate)>)[^<]*(</)", r"\g<1>%s\3" % today, doc)
    return doc
quote = read("QuoteRequest")
reg = read("ContractRegistration")
asset_plan = re.search(r"[ \t]*<Asset>.*?</Plan>\n", quote, re.S).group(0)
reg, n = re.subn(r"[ \t]*<QuoteReference>.*?</QuoteReference>\n", lambda m: asset_plan, reg, 1, re.S)
assert n == 1, "no QuoteReference in ContractRegistration.xml"
for name, doc in (("quote", quote), ("registration", reg)):
    doc = fill(doc)
    for p in ("@DOCID@", "@DEALER@", "@SERIAL@"):
        assert p in doc, "%s: %s not placed" % (name, p)
    with open("%s/%s.tmpl" % (tmp, name), "w", encoding="utf-8") as f:
        f.write(doc)
EOF

# One of each by hand first: a document that is not accepted makes every
# figure meaningless, so stop there and show the answer. The Quote answered
# here becomes nginx's static file.
probe() {
	python3 - "$1" "$2" "$3" "$4" "$5" <<'EOF'
import http.client, sys
template, keys, port, docid, out = sys.argv[1:6]
dealer, key = open(keys).readline().split()
body = open(template).read().replace("@DOCID@", docid).replace("@DEALER@", dealer) \
    .replace("@SERIAL@", "SN-" + docid)
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
c.request("POST", "/v1/documents", body=body.encode(),
          headers={"Authorization": "Bearer " + key, "Content-Type": "application/xml"})
r = c.getresponse()
data = r.read()
open(out, "wb").write(data)
if r.status != 200:
    sys.stderr.write("bench: POST %s answered %d:\n%s\n" % (template, r.status,
                     data.decode("utf-8", "replace")[:2000]))
    sys.exit(1)
EOF
}
probe "$TMP/quote.tmpl" "$TMP/keys.txt" "$CD_PORT" PROBE-Q "$TMP/quote-answer.xml" ||
	{ cd_alive || cd_died "after one QuoteRequest"; die "a QuoteRequest is not accepted; no figures"; }
probe "$TMP/registration.tmpl" "$TMP/keys.txt" "$CD_PORT" PROBE-R "$TMP/registration-answer.xml" ||
	{ cd_alive || cd_died "after one ContractRegistration"; die "a ContractRegistration is not accepted; no figures"; }

# --- nginx -------------------------------------------------------------------
# Serves the Quote above as a static file at /v1/documents; the static
# module refuses POST with 405, which error_page turns into the file (200),
# so wrk sends nginx exactly what it sends contractd.
mkdir -p "$TMP/www/v1" "$TMP/nginx"
cp "$TMP/quote-answer.xml" "$TMP/www/v1/documents"
STATIC_BYTES=$(wc -c <"$TMP/www/v1/documents" | tr -d ' ')
# Workers may run as nobody when started as root: let them read the files.
chmod 755 "$TMP" "$TMP/www" "$TMP/www/v1"
chmod 644 "$TMP/www/v1/documents"
start_nginx "	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $TMP/www;
		location = /v1/documents {
			default_type application/xml;
			error_page 405 =200 \$uri;
		}
	}" \
	"http://127.0.0.1:$NGINX_PORT/v1/documents"

# --- load --------------------------------------------------------------------
RUN_TAG=$(date -u +%H%M%S)

# run_wrk URL TEMPLATE TAG OUTPUT: the same settings for every server.
run_wrk() {
	timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" \
		--timeout 10s -s "$LUA" "$1" -- "$2" "$TMP/keys.txt" "$3-$RUN_TAG" "$THREADS" \
		>"$4" 2>&1 || true
}

# field FILE KEY: the value of a "result KEY VALUE" line.
field() {
	awk -v k="$2" '$1 == "result" && $2 == k { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$1"
}

hwm() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)
echo "bench: wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s --timeout 10s -s documents.lua," \
	"$DEALERS dealers; contractd threads = nginx workers = $THREADS, contractd workers = $WORKERS;" \
	"insert-rate $CONNECTIONS connections"
echo "bench: quotes: contractd ..."
run_wrk "http://127.0.0.1:$CD_PORT/v1/documents" "$TMP/quote.tmpl" Q "$TMP/wrk-quotes.txt"
cd_alive || cd_died "during the quotes"
HWM_QUOTES=$(hwm "$CD_PID")
echo "bench: quotes: nginx ..."
run_wrk "http://127.0.0.1:$NGINX_PORT/v1/documents" "$TMP/quote.tmpl" N "$TMP/wrk-nginx.txt"
echo "bench: registrations: contractd ..."
run_wrk "http://127.0.0.1:$CD_PORT/v1/documents" "$TMP/registration.tmpl" R "$TMP/wrk-registrations.txt"
cd_alive || cd_died "during the registrations"
HWM_ALL=$(hwm "$CD_PID")
echo "bench: registrations: INSERT transactions into the same MariaDB ..."
timeout $((DURATION + 120)) "$INSERT_RATE" -S "$DB_SOCKET" -u "$DB_USER" -c "$CONNECTIONS" \
	-d "$DURATION" >"$TMP/insert-rate.txt" 2>&1 || true
MARIADB_HWM=$(hwm "$(cat "$TMP/state/mariadb/mariadb.pid" 2>/dev/null || echo 0)")

# What the database holds, against what the clients were told.
stored() {
	[ -n "$MARIADB_CLIENT" ] || return 0
	timeout 30 "$MARIADB_CLIENT" --no-defaults -S "$DB_SOCKET" -u "$DB_USER" -N -B contractd \
		-e "$1" 2>/dev/null || echo "?"
}
STORED_QUOTES=$(stored "SELECT COUNT(*) FROM quotes WHERE dealer_id LIKE 'BENCH-%'")
STORED_CONTRACTS=$(stored "SELECT COUNT(*) FROM contracts WHERE dealer_id LIKE 'BENCH-%'")

# --- figures -----------------------------------------------------------------
# errors FILE: non-2xx answers plus socket errors (wrk) or failed INSERTs.
errors_of() {
	python3 - "$1" <<'EOF'
import sys
r = {}
for line in open(sys.argv[1], errors="replace"):
    p = line.split(None, 2)
    if len(p) == 3 and p[0] == "result":
        r[p[1]] = p[2].strip()
if "errors" in r:
    print(r["errors"])
elif "non2xx" in r:
    print(int(r["non2xx"]) + int(r.get("socket_errors", "0")))
else:
    print("?")
EOF
}
ratio() {
	python3 -c 'import sys
try:
    print("%.3f" % (float(sys.argv[1]) / float(sys.argv[2])))
except Exception:
    print("?")' "$1" "$2"
}
ms() { [ -n "$1" ] && echo "${1}ms" || echo "?"; }

Q_RPS=$(field "$TMP/wrk-quotes.txt" rps)
N_RPS=$(field "$TMP/wrk-nginx.txt" rps)
R_RPS=$(field "$TMP/wrk-registrations.txt" rps)
I_TPS=$(field "$TMP/insert-rate.txt" tx_per_s)
Q_ERR=$(errors_of "$TMP/wrk-quotes.txt")
N_ERR=$(errors_of "$TMP/wrk-nginx.txt")
R_ERR=$(errors_of "$TMP/wrk-registrations.txt")
I_ERR=$(errors_of "$TMP/insert-rate.txt")

echo
echo "machine: $(nproc) CPUs, shared by wrk, contractd, MariaDB and nginx (all on 127.0.0.1);" \
	"load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?) at the end"
echo
fmt='%-14s %11s %10s %7s   %-28s %11s %10s %7s %7s\n'
printf "$fmt" what "requests/s" p99 errors reference "ref/s" "ref p99" "ref err" ratio
printf "$fmt" quotes "${Q_RPS:-?}" "$(ms "$(field "$TMP/wrk-quotes.txt" p99_ms)")" "$Q_ERR" \
	"nginx, static ${STATIC_BYTES} B file" "${N_RPS:-?}" "$(ms "$(field "$TMP/wrk-nginx.txt" p99_ms)")" \
	"$N_ERR" "$(ratio "$Q_RPS" "$N_RPS")"
printf "$fmt" registrations "${R_RPS:-?}" "$(ms "$(field "$TMP/wrk-registrations.txt" p99_ms)")" "$R_ERR" \
	"INSERT tx/s, $CONNECTIONS connections" "${I_TPS:-?}" "$(ms "$(field "$TMP/insert-rate.txt" p99_ms)")" \
	"$I_ERR" "$(ratio "$R_RPS" "$I_TPS")"
echo
echo "contractd peak RSS (VmHWM): ${HWM_ALL:-?} kB (${HWM_QUOTES:-?} kB after the quotes);" \
	"its MariaDB: ${MARIADB_HWM:-?} kB"
[ -n "$MARIADB_CLIENT" ] &&
	echo "stored by the dealers BENCH-*: $STORED_QUOTES quotes, $STORED_CONTRACTS contracts (one of each from the probe)"

# Every run's answers by status, and whether the figures stand.
INVALID=0
for run in quotes:wrk-quotes nginx:wrk-nginx registrations:wrk-registrations insert-rate:insert-rate; do
	name=${run%%:*}
	file=$TMP/${run#*:}.txt
	err=$(errors_of "$file")
	if [ "$name" = insert-rate ]; then
		echo "$name: $(field "$file" transactions) transactions in $(field "$file" seconds) s, errors $err"
	else
		echo "$name: $(field "$file" requests) requests in $(field "$file" seconds) s;" \
			"statuses $(field "$file" statuses); sockets $(field "$file" socket_detail)"
	fi
	if [ "$err" != 0 ]; then
		INVALID=1
		echo "  NOT A VALID FIGURE: $err errors"
		grep '^sample ' "$file" | head -1 | cut -c1-400 | sed 's/^sample /  first: /'
		[ "$err" = "?" ] && sed 's/^/  | /' "$file" | tail -15
	fi
done
if [ $INVALID = 1 ]; then
	echo
	echo "bench: some runs had errors: their figures are not valid measurements."
	[ -s "$TMP/contractd.log" ] && { echo "bench: contractd's log (last lines):"; tail -10 "$TMP/contractd.log"; }
fi
exit 0
