# common.sh — what the benches share: a temporary directory that is
# removed at the end with every process started in it stopped, a free
# loopback port, waiting for a URL, and starting contractd. Sourced by the
# bench scripts.

TMP=$(mktemp -d /tmp/cd-bench.XXXXXX)
CD_PID=
NGINX_PID=

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until URL answers 200, at most $2 seconds.
wait_http() {
	python3 - "$1" "$2" <<'EOF'
import sys, time, urllib.request
url, limit = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.2)
sys.exit(1)
EOF
}

# Migrates the database of $TMP/contractd.conf (its private MariaDB comes
# up) and starts contractd on $CD_PORT in the background (CD_PID); exits
# the bench with the logs when either fails.
start_contractd() {
	timeout 180 "$CONTRACTCTL" -c "$TMP/contractd.conf" db migrate >"$TMP/migrate.log" 2>&1 || {
		echo "bench: contractctl db migrate failed:" >&2
		cat "$TMP/migrate.log" >&2
		exit 1
	}
	"$CONTRACTD" -c "$TMP/contractd.conf" </dev/null >"$TMP/contractd.log" 2>&1 &
	CD_PID=$!
	wait_http "http://127.0.0.1:$CD_PORT/healthz" 90 || {
		echo "bench: contractd did not come up:" >&2
		tail -20 "$TMP/contractd.log" >&2
		exit 1
	}
}

# Sends TERM to a pid, waits up to $2 seconds, then KILL.
stop_pid() {
	pid=$1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
	set +e
	stop_pid "$NGINX_PID" 10
	stop_pid "$CD_PID" 60
	# A private MariaDB left behind (contractd killed or crashed, or contractctl's).
	if [ -f "$TMP/state/mariadb/mariadb.pid" ]; then
		stop_pid "$(cat "$TMP/state/mariadb/mariadb.pid" 2>/dev/null)" 30
	fi
	for pid in $(pgrep -f "$TMP" 2>/dev/null); do
		[ "$pid" != $$ ] && stop_pid "$pid" 10
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Starts nginx on $NGINX_PORT with $THREADS workers and the server block $1
# (nginx syntax), and waits until the URL $2 answers.
start_nginx() {
	cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $THREADS;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
$1
}
EOF
	"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" \
		</dev/null >"$TMP/nginx/stdout.log" 2>&1 &
	NGINX_PID=$!
	wait_http "$2" 20 || {
		echo "bench: nginx did not come up:" >&2
		cat "$TMP/nginx/stdout.log" "$TMP/nginx/error.log" >&2 2>/dev/null
		exit 1
	}
}
