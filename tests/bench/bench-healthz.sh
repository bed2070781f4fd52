#!/bin/sh
# bench-healthz.sh — GET /healthz on contractd against nginx serving a small
# static file, with the same wrk load; prints requests/s of each, their
# ratio, and contractd's peak RSS. No assertions: a measurement, not a test.
#
#   tests/bench/bench-healthz.sh [-d SECONDS] [-c CONNECTIONS] [-t THREADS]
#
# Runs against a built tree: CD_BUILDDIR (default: the current directory)
# holds contractd and contractctl. Needs wrk, nginx (nginx-light), python3
# and MariaDB's server package. Everything runs on 127.0.0.1 in a temporary
# directory that is removed at the end, with every process stopped.
set -eu

DURATION=10
CONNECTIONS=32
THREADS=2
while getopts d:c:t:h opt; do
	case $opt in
	d) DURATION=$OPTARG ;;
	c) CONNECTIONS=$OPTARG ;;
	t) THREADS=$OPTARG ;;
	*) sed -n '2,12p' "$0"; exit 2 ;;
	esac
done
case $DURATION in ''|*[!0-9]*) echo "bench: -d wants whole seconds" >&2; exit 2 ;; esac
[ "$DURATION" -le 300 ] || { echo "bench: -d at most 300" >&2; exit 2; }

BUILDDIR=${CD_BUILDDIR:-$(pwd)}
CONTRACTD=$BUILDDIR/contractd
CONTRACTCTL=$BUILDDIR/contractctl
for f in "$CONTRACTD" "$CONTRACTCTL"; do
	[ -x "$f" ] || { echo "bench: $f not built (set CD_BUILDDIR)" >&2; exit 1; }
done
for tool in wrk python3 timeout; do
	command -v $tool >/dev/null 2>&1 || { echo "bench: $tool not found" >&2; exit 1; }
done
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench: nginx not found (apt-get install nginx-light)" >&2; exit 1; }

. "$(dirname "$0")/common.sh"

CD_PORT=$(free_port)
NGINX_PORT=$(free_port)

# --- contractd ---------------------------------------------------------------
cat >"$TMP/contractd.conf" <<EOF
[server]
listen = 127.0.0.1:$CD_PORT
state_dir = $TMP/state
threads = $THREADS
log_level = warn

[database]
url =
EOF
echo "bench: preparing the private MariaDB in $TMP/state ..."
start_contractd

# --- nginx -------------------------------------------------------------------
mkdir -p "$TMP/www" "$TMP/nginx"
printf 'ok\n' >"$TMP/www/healthz"
# Workers may run as nobody when started as root: let them read the files.
chmod 755 "$TMP" "$TMP/www"
chmod 644 "$TMP/www/healthz"
start_nginx "	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $TMP/www;
		default_type text/plain;
		location = /healthz { }
	}" \
	"http://127.0.0.1:$NGINX_PORT/healthz"

# --- load --------------------------------------------------------------------
run_wrk() {
	timeout $((DURATION + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" \
		--latency "$1" >"$2" 2>&1 || true
	awk '/^Requests\/sec:/ { print $2 }' "$2"
}

echo "bench: wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s, contractd threads = nginx workers = $THREADS"
CD_RPS=$(run_wrk "http://127.0.0.1:$CD_PORT/healthz" "$TMP/wrk-contractd.txt")
NGINX_RPS=$(run_wrk "http://127.0.0.1:$NGINX_PORT/healthz" "$TMP/wrk-nginx.txt")
CD_HWM=$(awk '/^VmHWM:/ { print $2 " " $3 }' "/proc/$CD_PID/status" 2>/dev/null || echo "?")

latency() { awk '/^ +99%/ { print $2 }' "$1"; }
errors() { awk '/Non-2xx|Socket errors/ { sub(/^ +/, ""); printf "%s; ", $0 }' "$1"; }

echo
printf '%-10s %14s %12s  %s\n' server "requests/s" "p99" "errors"
printf '%-10s %14s %12s  %s\n' contractd "${CD_RPS:-?}" "$(latency "$TMP/wrk-contractd.txt")" "$(errors "$TMP/wrk-contractd.txt")"
printf '%-10s %14s %12s  %s\n' nginx "${NGINX_RPS:-?}" "$(latency "$TMP/wrk-nginx.txt")" "$(errors "$TMP/wrk-nginx.txt")"
echo
echo "contractd peak RSS (VmHWM): $CD_HWM"
if [ -n "$CD_RPS" ] && [ -n "$NGINX_RPS" ]; then
	python3 -c "import sys; print('contractd / nginx: %.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" \
		"$CD_RPS" "$NGINX_RPS"
else
	echo "bench: wrk gave no result; its output:" >&2
	cat "$TMP/wrk-contractd.txt" "$TMP/wrk-nginx.txt" >&2
fi
