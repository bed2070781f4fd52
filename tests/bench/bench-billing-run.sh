#!/bin/sh
# bench-billing-run.sh — a billing run (`contractctl billing run`) over a
# month of N contracts, for several N (default 100 000 and 1 000 000):
# invoices and invoice lines per second, next to a reference measured on
# the same MariaDB in the same run (one INSERT ... SELECT writing N rows of
# invoice_lines' shape from the same contracts), and the peak resident
# memory of the run (contractctl) and of its MariaDB — the run's memory
# should not grow with N ([invoices] run_invoice_lines bounds an invoice).
# Prints figures; asserts nothing.
#
#   tests/bench/bench-billing-run.sh [-s SIZES] [-n DEALERS] [-T SECONDS]
#                                    [-i PERCENT] [-p]
#
#   -s SIZES    contracts per run, comma separated (default 100000,1000000;
#               each 1000..2000000, at most 6 sizes); each size gets a month
#               of its own (2025-01, 2025-02, ...) in the same database
#   -n DEALERS  dealers the contracts are spread over (default 200)
#   -T SECONDS  time limit of each billing run (default 3600): a run still
#               going is stopped (SIGTERM: contractctl finishes the invoice
#               in hand) and its figures are reported as PARTIAL
#   -i PERCENT  that share of the contracts (default 0) is paid in 12 monthly
#               installments: the run then also issues each of them an
#               invoice of its own (the first installment) to its buyer
#   -p          profile each run with perf (perf record on contractctl and
#               its MariaDB, 499 Hz) and print where their CPU time went
#
# CD_BUILDDIR (default /tmp/bench-build) is the build tree: configured from
# the source tree without sanitizers and built when it has no contractctl,
# else brought up to date (make contractd contractctl; a failing rebuild is
# reported and the binaries there are used). Needs python3, make, GNU time
# (/usr/bin/time), MariaDB's server package and mariadb-client. Everything
# runs on 127.0.0.1 and a Unix socket in a temporary directory that is
# removed at the end, with every process stopped. Disk: about 3 GB per
# million contracts (contracts, assets, invoices with their UBL, outbox).
set -eu

SIZES=100000,1000000
DEALERS=200
RUN_LIMIT=3600
PROFILE=0
INSTALLMENTS=0
while getopts s:n:T:i:ph opt; do
	case $opt in
	s) SIZES=$OPTARG ;;
	n) DEALERS=$OPTARG ;;
	T) RUN_LIMIT=$OPTARG ;;
	p) PROFILE=1 ;;
	i) INSTALLMENTS=$OPTARG ;;
	*) sed -n '2,34p' "$0"; exit 2 ;;
	esac
done
SIZES=$(echo "$SIZES" | tr ',' ' ')
nsizes=0
for v in $SIZES "$DEALERS" "$RUN_LIMIT"; do
	case $v in ''|*[!0-9]*|0*) echo "bench: options want whole numbers above 0" >&2; exit 2 ;; esac
done
for v in $SIZES; do
	{ [ "$v" -ge 1000 ] && [ "$v" -le 2000000 ]; } ||
		{ echo "bench: -s sizes must be 1000..2000000" >&2; exit 2; }
	nsizes=$((nsizes + 1))
done
[ "$nsizes" -ge 1 ] && [ "$nsizes" -le 6 ] || { echo "bench: -s takes 1 to 6 sizes" >&2; exit 2; }
[ "$DEALERS" -le 1000 ] || { echo "bench: -n at most 1000" >&2; exit 2; }
[ "$RUN_LIMIT" -le 14400 ] || { echo "bench: -T at most 14400" >&2; exit 2; }
case $INSTALLMENTS in ''|*[!0-9]*) echo "bench: -i wants 0..100" >&2; exit 2 ;; esac
[ "$INSTALLMENTS" -le 100 ] || { echo "bench: -i wants 0..100" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${CD_SRCDIR:-$(cd "$HERE/../.." && pwd)}
BUILDDIR=${CD_BUILDDIR:-/tmp/bench-build}
CATALOG=$SRCDIR/contracts/examples/Catalog.xml
[ -f "$CATALOG" ] || { echo "bench: $CATALOG missing (set CD_SRCDIR)" >&2; exit 1; }
for tool in python3 timeout make; do
	command -v $tool >/dev/null 2>&1 || { echo "bench: $tool not found" >&2; exit 1; }
done
[ "$PROFILE" = 0 ] || command -v perf >/dev/null 2>&1 || { echo "bench: -p needs perf" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) not found (apt-get install time)" >&2; exit 1; }
MARIADB_CLIENT=$(command -v mariadb 2>/dev/null || command -v mysql 2>/dev/null || true)
[ -n "$MARIADB_CLIENT" ] || { echo "bench: mariadb-client not found" >&2; exit 1; }

# --- the build -----------------------------------------------------------------
# Optimised, without sanitizers (configure's default), out of tree.
if [ ! -x "$BUILDDIR/contractctl" ] || [ ! -x "$BUILDDIR/contractd" ]; then
	[ -x "$SRCDIR/configure" ] || { echo "bench: $SRCDIR/configure missing (autoreconf -i)" >&2; exit 1; }
	mkdir -p "$BUILDDIR"
	echo "bench: building contractd and contractctl in $BUILDDIR (-O2, no sanitizers) ..."
	if [ ! -f "$BUILDDIR/Makefile" ]; then
		(cd "$BUILDDIR" && timeout 600 "$SRCDIR/configure" -q CFLAGS='-g -O2') >"$BUILDDIR/bench-configure.log" 2>&1 ||
			{ echo "bench: configure failed:" >&2; tail -20 "$BUILDDIR/bench-configure.log" >&2; exit 1; }
	fi
	timeout 1800 make -C "$BUILDDIR" -j"$(nproc)" contractd contractctl >"$BUILDDIR/bench-make.log" 2>&1 ||
		{ echo "bench: make failed:" >&2; tail -20 "$BUILDDIR/bench-make.log" >&2; exit 1; }
else
	echo "bench: make -C $BUILDDIR contractd contractctl"
	timeout 1200 make -C "$BUILDDIR" -j"$(nproc)" contractd contractctl >"$BUILDDIR/bench-make.log" 2>&1 ||
		{ echo "bench: WARNING: bringing $BUILDDIR up to date failed (the last lines below);" \
		       "measuring the binaries already there, which may be older than the tree" >&2
		  tail -5 "$BUILDDIR/bench-make.log" >&2; }
fi
if grep -q '^SANITIZER_CFLAGS = .*sanitize' "$BUILDDIR/Makefile" 2>/dev/null; then
	echo "bench: WARNING: $BUILDDIR is built with sanitizers: the figures are not comparable" >&2
fi
CONTRACTD=$BUILDDIR/contractd
CONTRACTCTL=$BUILDDIR/contractctl
if command -v git >/dev/null 2>&1 && git -C "$SRCDIR" rev-parse --short HEAD >/dev/null 2>&1; then
	echo "bench: source tree $SRCDIR at $(git -C "$SRCDIR" rev-parse --short HEAD)$(git -C "$SRCDIR" diff --quiet HEAD -- core 2>/dev/null || echo ', core/ modified')"
fi

. "$HERE/common.sh"

die() {
	echo "bench: $*" >&2
	exit 1
}

ctl() {
	timeout 300 "$CONTRACTCTL" -c "$TMP/contractd.conf" "$@" 2>"$TMP/ctl.err" || {
		echo "bench: contractctl $* failed:" >&2
		cat "$TMP/ctl.err" >&2
		exit 1
	}
}

CD_PORT=$(free_port)
if [ "$(id -u)" = 0 ]; then DB_USER=root; else DB_USER=$(id -un); fi
DB_SOCKET=$TMP/state/mariadb/mariadb.sock

# sql STATEMENTS [SECONDS]: runs statements (strict mode, UTC, as contractd
# does) and prints the result rows tab-separated; a failure ends the bench.
sql() {
	timeout "${2:-600}" "$MARIADB_CLIENT" --no-defaults -S "$DB_SOCKET" -u "$DB_USER" -N -B contractd \
		-e "SET SESSION sql_mode = 'STRICT_ALL_TABLES', time_zone = '+00:00'; $1" 2>"$TMP/sql.err" || {
		echo "bench: SQL failed: $(echo "$1" | tr -s '\t\n ' ' ' | cut -c1-300)" >&2
		cat "$TMP/sql.err" >&2
		exit 1
	}
}

now() {
	date -u +%s.%N
}

# secs START END: END - START, 3 decimals.
secs() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'
}

cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

status_kb() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

# --- contractd (for its private MariaDB) -----------------------------------------
# contractd only keeps the private MariaDB up while the bench loads data and
# contractctl runs: it serves no request. Invoicing needs a [seller] (as
# tests/e2e/dealer_docs.py SELLER) and the standard tax rate; no pricing
# plugin is loaded (the contracts are written by SQL, already priced; catalog
# import only warns about the plugins the plans name).
cat >"$TMP/contractd.conf" <<EOF
[server]
listen = 127.0.0.1:$CD_PORT
state_dir = $TMP/state
threads = 1
workers = 2
timeout = 30
log_level = warn

[database]
url =

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
ctl catalog import "$CATALOG" >"$TMP/catalog.log"
PLAN=$(sql "SELECT CONCAT_WS(' ', code, version, pricing_plugin) FROM plans
	WHERE code = 'VEH-PT-36' AND currency = 'EUR' ORDER BY version DESC LIMIT 1")
[ -n "$PLAN" ] || die "the example catalog has no plan VEH-PT-36 in EUR"
set -- $PLAN
PLAN_CODE=$1 PLAN_VERSION=$2 PLAN_PLUGIN=$3

# The dealers, by SQL (contractctl dealer add would take a process and an
# audit record each): BENCH-0001 ... with billing details.
sql "INSERT INTO dealers (id, name, street, city, postal_code, country, vat_id, email)
	WITH RECURSIVE d(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM d WHERE n < $DEALERS)
	SELECT CONCAT('BENCH-', LPAD(n, 4, '0')), CONCAT('Bench dealer ', n),
		CONCAT('Hauptstrasse ', n), 'Potsdam', '14467', 'DE', 'DE811111111',
		CONCAT('billing@bench-', n, '.example') FROM d"
echo "bench: catalog imported (plan $PLAN_CODE v$PLAN_VERSION), $DEALERS dealers with billing details"
sql "SET GLOBAL innodb_monitor_enable = 'index_page%'"

# Number rows come from MariaDB's SEQUENCE engine (seq_1_to_N) when it is
# there, else from a recursive CTE.
if timeout 30 "$MARIADB_CLIENT" --no-defaults -S "$DB_SOCKET" -u "$DB_USER" -N -B contractd \
	-e 'SELECT COUNT(*) FROM seq_1_to_3' >/dev/null 2>&1; then
	HAVE_SEQ=1
	echo "bench: numbers from the SEQUENCE engine (seq_1_to_N)"
else
	HAVE_SEQ=0
	echo "bench: no SEQUENCE engine; numbers from a recursive CTE"
fi
numbers() {
	if [ "$HAVE_SEQ" = 1 ]; then
		echo "seq_$1_to_$2"
	else
		echo "(WITH RECURSIVE s(seq) AS (SELECT $1 UNION ALL SELECT seq + 1 FROM s WHERE seq < $2) SELECT seq FROM s) q"
	fi
}

INST_COL='' INST_VAL=''
if [ "$INSTALLMENTS" != 0 ]; then
	INST_COL=", installments"
	INST_VAL=", IF(((seq DIV $DEALERS) + 50) % 100 < $INSTALLMENTS, 12, 1)"
fi

# --- the contracts ---------------------------------------------------------------
# generate FIRST LAST PERIOD: contracts FIRST..LAST (their ids, and their
# assets'), sold in PERIOD (YYYY-MM), day by day over the month, by the
# dealers in turn (contract i: BENCH-(1 + i mod DEALERS)), so a dealer's
# contracts are interleaved with everyone else's as they would be. Each has
# its own car; the plan VEH-PT-36; a net price of 400.00..890.00, the
# dealer cost (admin fee 50.00..56.00 + claims reserve 40 % of the net), the
# dealer's margin the rest; standard rated at 19 %. One contract in 100 is
# cancelled on the last day of the month, with a commission chargeback (the
# margin's unused share; the cancelled contracts are blocks of DEALERS
# consecutive ids, so every dealer has some). With -i, that share of the
# contracts (blocks of DEALERS ids too) is paid in 12 installments and gets
# its buyer (contract_owners), whom its installment invoices go to. In
# batches of 100 000, each its own transaction.
generate() {
	first=$1 last=$2 p0="$3-01"
	lo=$first
	while [ "$lo" -le "$last" ]; do
		hi=$((lo + 99999))
		[ "$hi" -le "$last" ] || hi=$last
		sql "INSERT INTO assets (id, dealer_id, serial, model, product_category, purchase_date,
			currency, purchase_price, usage_unit, usage_at_sale, mw_months, mw_usage_limit)
		SELECT seq, CONCAT('BENCH-', LPAD(1 + seq % $DEALERS, 4, '0')), CONCAT('BRUN-', seq),
			'Kombi 2.0', 'vehicle.car', DATE_SUB('$p0', INTERVAL 400 + seq % 300 DAY), 'EUR',
			2000000 + (seq % 100) * 10000, 'km', 20000 + seq % 50000, 24, 60000
		FROM $(numbers "$lo" "$hi")" 1800
		sql "INSERT INTO contracts (id, number, dealer_id, asset_id, document_id, plan_code,
			plan_version, state, sale_date, start_date, end_date, usage_unit, start_usage,
			starts_at_usage, currency, liability_limit, deductible, net_price, tax_category,
			tax_rate, tax, total, dealer_cost, admin_fee, claims_reserve, dealer_margin,
			plugin_name, plugin_version, input_hash, explanation$INST_COL)
		SELECT seq, CONCAT('SC-', LPAD(seq, 8, '0')), dealer, seq, CONCAT('BRUN-REG-', seq),
			'$PLAN_CODE', $PLAN_VERSION, 'active', sale, sale, DATE_ADD(sale, INTERVAL 36 MONTH),
			'km', km, km, 'EUR', 500000, 10000, net, 'S', '0.19', tax, net + tax, fee + reserve,
			fee, reserve, net - fee - reserve, '$PLAN_PLUGIN', '1.0.0', SHA2(seq, 256), 'bench'$INST_VAL
		FROM (SELECT seq, CONCAT('BENCH-', LPAD(1 + seq % $DEALERS, 4, '0')) AS dealer,
			DATE_ADD('$p0', INTERVAL seq % DAY(LAST_DAY('$p0')) DAY) AS sale,
			20000 + seq % 50000 AS km, 40000 + (seq % 50) * 1000 AS net,
			ROUND((40000 + (seq % 50) * 1000) * 0.19) AS tax, 5000 + (seq % 7) * 100 AS fee,
			FLOOR((40000 + (seq % 50) * 1000) * 2 / 5) AS reserve
			FROM $(numbers "$lo" "$hi")) g" 1800
		sql "INSERT INTO cancellations (contract_id, document_id, cancellation_date, reason, basis,
			term_days, unused_days, share_num, share_den, currency, original_net, original_tax,
			original_total, tax_category, tax_rate, original_dealer_margin, unused_amount,
			cancellation_fee, claims_deducted, refund_amount, commission_chargeback)
		SELECT id, CONCAT('BRUN-CAN-', id), LAST_DAY(sale_date), 'customer', 'days', 1096,
			unused, unused, 1096, currency, net_price, tax, total, tax_category, tax_rate,
			dealer_margin, FLOOR(net_price * unused / 1096), 0, 0, FLOOR(total * unused / 1096),
			FLOOR(dealer_margin * unused / 1096)
		FROM (SELECT *, 1096 - DATEDIFF(LAST_DAY(sale_date), sale_date) AS unused FROM contracts
			WHERE id BETWEEN $lo AND $hi AND (id DIV $DEALERS) % 100 = 7) c;
		UPDATE contracts SET state = 'cancelled', cancelled_on = LAST_DAY(sale_date)
		WHERE id BETWEEN $lo AND $hi AND (id DIV $DEALERS) % 100 = 7" 1800
		[ "$INSTALLMENTS" = 0 ] ||
			sql "INSERT INTO contract_owners (contract_id, seq, effective_date, name, address_lines,
				postal_code, city, country, document_id)
			SELECT id, 1, sale_date, CONCAT('Customer ', id), CONCAT('Kastanienallee ', id % 100),
				'10435', 'Berlin', 'DE', document_id
			FROM contracts WHERE id BETWEEN $lo AND $hi AND installments > 1" 1800
		lo=$((hi + 1))
	done
	sql "ANALYZE TABLE assets, contracts, cancellations" >/dev/null
}

# plan_sql PERIOD: the remittance half of the run's planning query
# (plan_items in core/billing/runs.c, 500 contracts an invoice), for the
# period's first day and the next month's.
plan_sql() {
	echo "SELECT dealer_id, currency, part, MIN(id), MAX(id) FROM (SELECT dealer_id, currency, id,
		FLOOR((ROW_NUMBER() OVER (PARTITION BY dealer_id, currency ORDER BY id) - 1) / 500) + 1 AS part
		FROM contracts WHERE sale_date >= '$1-01' AND sale_date < DATE_ADD('$1-01', INTERVAL 1 MONTH)
		AND (NULL IS NULL OR dealer_id = NULL)) t GROUP BY dealer_id, currency, part
		ORDER BY dealer_id, currency, part"
}

# settle: lets InnoDB write out the pages the generation dirtied, so that
# the run does not pay for the bench's own writes (at most 120 s); prints
# the dirty pages before and after.
settle() {
	dirty="SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
		WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'"
	d0=$(sql "$dirty")
	pct=$(sql "SELECT @@GLOBAL.innodb_max_dirty_pages_pct")
	sql "SET GLOBAL innodb_max_dirty_pages_pct = 0"
	k=0
	d=$d0
	while [ "$d" -gt 64 ] && [ $k -lt 240 ]; do
		sleep 0.5
		d=$(sql "$dirty")
		k=$((k + 1))
	done
	sql "SET GLOBAL innodb_max_dirty_pages_pct = $pct"
	echo "$d0 $d $(awk -v k=$k 'BEGIN { print k / 2 }')"
}

# counters: the database's counters read before and after a run, as
# NAME=VALUE words: statements, INSERTs, redo bytes, buffer pool misses, and
# (InnoDB's metrics, enabled after the catalog import) page reorganisations
# and splits.
counters() {
	sql "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_insert',
		'Innodb_os_log_written', 'Innodb_buffer_pool_reads');
	SELECT NAME, COUNT FROM information_schema.INNODB_METRICS
		WHERE NAME IN ('index_page_reorg_attempts', 'index_page_splits')" |
		awk '{ printf "%s=%s ", $1, $2 }'
}

# table_mb: the contracts table's size on disk, data and indexes, in MB
# (the page counts ANALYZE TABLE brings up to date).
table_mb() {
	sql "ANALYZE TABLE contracts" >/dev/null
	sql "SELECT ROUND((data_length + index_length) / 1048576) FROM information_schema.TABLES
		WHERE table_schema = 'contractd' AND table_name = 'contracts'"
}

# --- one size --------------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
: >"$TMP/figures"
OFFSET=0
index=0
EST_RATE=
for N in $SIZES; do
	index=$((index + 1))
	PERIOD=$(printf '2025-%02d' "$index")
	first=$((OFFSET + 1))
	last=$((OFFSET + N))
	OFFSET=$last
	echo
	echo "bench: --- $N contracts sold in $PERIOD (ids $first..$last) ---"
	t0=$(now)
	generate "$first" "$last" "$PERIOD"
	t1=$(now)
	CANCELLED=$(sql "SELECT COUNT(*) FROM cancellations WHERE contract_id BETWEEN $first AND $last")
	INST=0
	[ "$INSTALLMENTS" = 0 ] ||
		INST=$(sql "SELECT COUNT(*) FROM contracts WHERE id BETWEEN $first AND $last AND installments > 1
			AND cancelled_on IS NULL")
	echo "bench: generated $N contracts with their assets, $CANCELLED cancellations and $INST" \
		"contracts paid in installments (not cancelled) in $(secs "$t0" "$t1") s"
	echo "bench: database size now $(du -sm "$TMP/state/mariadb" | cut -f1) MB; free on $TMP: $(df -Pm "$TMP" | awk 'NR == 2 { print $4 }') MB"

	# How the run will read an invoice's contracts: the plan of item_lines'
	# query for one dealer's first 500 (runs.c), for the record.
	range=$(sql "SELECT MIN(id), MAX(id) FROM (SELECT id FROM contracts WHERE dealer_id = 'BENCH-0001'
		AND sale_date >= '$PERIOD-01' AND sale_date < DATE_ADD('$PERIOD-01', INTERVAL 1 MONTH)
		ORDER BY id LIMIT 500) t")
	set -- $range
	sql "EXPLAIN SELECT number, plan_code, dealer_cost, tax_category, tax_rate FROM contracts
		WHERE dealer_id = 'BENCH-0001' AND currency = 'EUR' AND sale_date >= '$PERIOD-01'
		AND sale_date < DATE_ADD('$PERIOD-01', INTERVAL 1 MONTH) AND id BETWEEN $1 AND $2
		ORDER BY id" | awk -F'\t' '{ printf "bench: an invoice'\''s contracts are read by: type %s, key %s, rows %s, %s\n", $4, $6, $9, $10 }'

	sql "EXPLAIN $(plan_sql "$PERIOD")" | awk -F'\t' '$3 == "contracts" {
		printf "bench: the run is planned by: type %s, key %s, rows %s, %s\n", $4, $6, $9, $10 }'

	set -- $(settle)
	echo "bench: InnoDB wrote out the generation's dirty pages ($1 -> $2) in $3 s"
	SIZE0=$(table_mb)

	if [ -n "$EST_RATE" ]; then
		est=$(python3 -c 'import sys; print("%.0f" % (float(sys.argv[1]) * 1.01 / float(sys.argv[2])))' "$N" "$EST_RATE")
		echo "bench: at the last size's rate this run takes about $est s (limit $RUN_LIMIT s)"
		[ "$est" -le "$RUN_LIMIT" ] ||
			echo "bench: it will be stopped at the limit: its figures will be PARTIAL"
	fi

	# The run, timed, its memory sampled once a second; the database's
	# counters and CPU around it.
	before=$(counters)
	db_cpu0=$(cpu_ticks "$MARIADB_PID")
	echo "bench: contractctl billing run --period $PERIOD (limit $RUN_LIMIT s) ..."
	t0=$(now)
	/usr/bin/time -v -o "$TMP/time-$N.txt" timeout -s TERM -k 120 "$RUN_LIMIT" \
		"$CONTRACTCTL" -c "$TMP/contractd.conf" billing run --period "$PERIOD" --format csv \
		>"$TMP/run-$N.csv" 2>"$TMP/run-$N.err" &
	TIME_PID=$!
	PERF_PID=
	# samples: seconds, contractctl VmRSS and VmHWM, MariaDB VmRSS (kB), items done
	: >"$TMP/samples-$N"
	i=0
	CTL_PID=
	while kill -0 "$TIME_PID" 2>/dev/null && [ $i -lt $((RUN_LIMIT + 300)) ]; do
		if [ -z "$CTL_PID" ]; then
			to=$(pgrep -P "$TIME_PID" 2>/dev/null | head -1 || true)
			[ -n "$to" ] && CTL_PID=$(pgrep -P "$to" 2>/dev/null | head -1 || true)
			if [ -n "$CTL_PID" ] && [ "$PROFILE" = 1 ]; then
				perf record -q -F 499 -p "$CTL_PID,$MARIADB_PID" -o "$TMP/perf-$N.data" \
					>"$TMP/perf-$N.log" 2>&1 &
				PERF_PID=$!
			fi
		fi
		if [ -n "$CTL_PID" ]; then
			done_items=$(timeout 10 "$MARIADB_CLIENT" --no-defaults -S "$DB_SOCKET" -u "$DB_USER" -N -B \
				contractd -e "SELECT done FROM billing_runs WHERE period = '$PERIOD' AND scope = '*'" \
				2>/dev/null || true)
			echo "$(secs "$t0" "$(now)") $(status_kb "$CTL_PID" VmRSS) $(status_kb "$CTL_PID" VmHWM)" \
				"$(status_kb "$MARIADB_PID" VmRSS) ${done_items:-0}" >>"$TMP/samples-$N"
		fi
		sleep 1
		i=$((i + 1))
	done
	wait "$TIME_PID" 2>/dev/null && rc=0 || rc=$?
	if [ -n "$PERF_PID" ]; then
		kill -INT "$PERF_PID" 2>/dev/null || true
		j=0
		while kill -0 "$PERF_PID" 2>/dev/null && [ $j -lt 300 ]; do sleep 0.2; j=$((j + 1)); done
		stop_pid "$PERF_PID" 5
	fi
	t1=$(now)
	db_cpu1=$(cpu_ticks "$MARIADB_PID")
	after=$(counters)
	kill -0 "$CD_PID" 2>/dev/null || die "contractd (and its MariaDB) died during the run"
	echo "bench: contracts table (data and indexes): $SIZE0 MB before the run, $(table_mb) MB after"
	RUN_S=$(secs "$t0" "$t1")
	run=$(sql "SELECT total, done, invoices, invoice_lines, state,
		UNIX_TIMESTAMP(created_at), COALESCE(UNIX_TIMESTAMP(finished_at), 0)
		FROM billing_runs WHERE period = '$PERIOD' AND scope = '*'")
	[ -n "$run" ] || { echo "bench: the run left no billing_runs row; contractctl said:" >&2
		tail -20 "$TMP/run-$N.err" >&2; exit 1; }
	set -- $run
	TOTAL=$1 DONE=$2 INVOICES=$3 LINES=$4 STATE=$5 CREATED=$6 FINISHED=$7
	PLAN_S=$(secs "$t0" "$CREATED")
	echo "bench: contractctl exited $rc after $RUN_S s: $DONE of $TOTAL items done, $INVOICES invoices," \
		"$LINES lines, run $STATE; planned $PLAN_S s after the start"
	[ "$rc" = 0 ] || { echo "bench: contractctl's last words:"; tail -5 "$TMP/run-$N.err" | cut -c1-300 | sed 's/^/  | /'; }
	UBL=$(sql "SELECT ROUND(AVG(LENGTH(ubl) / l)) FROM (SELECT i.ubl, COUNT(*) AS l FROM invoices i
		JOIN invoice_lines x ON x.invoice_id = i.id WHERE i.source LIKE 'run:$PERIOD:remittance:%'
		GROUP BY i.id ORDER BY i.id LIMIT 10) t")
	# The pace over the run, from the database's clock: the run's invoices
	# in ten slices by number, each with its lines and its last invoice's time.
	sql "SELECT t, COUNT(*), SUM(l), UNIX_TIMESTAMP(MAX(created_at)) FROM (SELECT i.created_at,
		NTILE(10) OVER (ORDER BY i.id) AS t,
		(SELECT COUNT(*) FROM invoice_lines x WHERE x.invoice_id = i.id) AS l
		FROM invoices i WHERE i.source LIKE 'run:$PERIOD:%') q GROUP BY t ORDER BY t" 600 \
		>"$TMP/tenths-$N"
	echo "start $CREATED" >>"$TMP/tenths-$N"
	CTL_HWM=$(awk '/Maximum resident set size/ { print $NF }' "$TMP/time-$N.txt" 2>/dev/null || true)
	CTL_CPU=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { if (u != "") printf "%.1f", u + s }' \
		"$TMP/time-$N.txt" 2>/dev/null || true)
	DB_CPU=$(python3 -c 'import sys; print("%.1f" % ((int(sys.argv[2]) - int(sys.argv[1])) / float(sys.argv[3])))' \
		"$db_cpu0" "$db_cpu1" "$CLK_TCK")

	# The reference: the same number of rows of invoice_lines' shape, written
	# by the database itself from the same contracts, one INSERT ... SELECT.
	sql "DROP TABLE IF EXISTS bench_lines; CREATE TABLE bench_lines LIKE invoice_lines"
	r0=$(now)
	sql "INSERT INTO bench_lines (invoice_id, line_no, kind, item_code, item_name, note, quantity,
		unit_code, unit_price, net, tax_category, tax_rate)
	SELECT id DIV 500, id MOD 500, 'fee', plan_code, CONCAT('Dealer cost, contract ', number), '',
		'1', 'C62', dealer_cost, dealer_cost, tax_category, tax_rate
	FROM contracts WHERE sale_date >= '$PERIOD-01' AND sale_date < DATE_ADD('$PERIOD-01', INTERVAL 1 MONTH)" 3600
	r1=$(now)
	REF_ROWS=$(sql "SELECT COUNT(*) FROM bench_lines")
	REF_S=$(secs "$r0" "$r1")
	sql "DROP TABLE bench_lines"
	echo "bench: reference: INSERT ... SELECT of $REF_ROWS rows in $REF_S s"
	DB_RSS_MAX=$(awk '$4 > m { m = $4 } END { print m + 0 }' "$TMP/samples-$N")
	echo "$N $INVOICES $LINES $RUN_S $PLAN_S $STATE $REF_ROWS $REF_S ${CTL_HWM:-?} $DB_RSS_MAX" \
		"$(status_kb "$MARIADB_PID" VmHWM) ${CTL_CPU:-?} $DB_CPU $DONE $TOTAL ${UBL:-?}" \
		"$before" "$after" >>"$TMP/figures"
	EST_RATE=$(python3 -c 'import sys; n, s = float(sys.argv[1]), float(sys.argv[2]); print(n / s if n and s else "")' \
		"$LINES" "$RUN_S")
	[ "$STATE" = done ] || echo "bench: the run of $PERIOD did not finish within $RUN_LIMIT s: PARTIAL figures"
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)

# Planning a month should cost what the month holds, not the table: time
# each period's planning query again now that the table holds every size.
ALL=$(sql "SELECT COUNT(*) FROM contracts")
: >"$TMP/replan"
index=0
for N in $SIZES; do
	index=$((index + 1))
	PERIOD=$(printf '2025-%02d' "$index")
	p0=$(now)
	sql "$(plan_sql "$PERIOD")" 1800 >/dev/null
	echo "$PERIOD ($N contracts): $(secs "$p0" "$(now)") s" >>"$TMP/replan"
done

# --- figures ---------------------------------------------------------------------
python3 - "$TMP" <<'EOF'
import sys
tmp = sys.argv[1]
rows, notes = [], []
for line in open(tmp + "/figures"):
    p = line.split()
    (n, inv, lines, run_s, plan_s, state, ref_rows, ref_s, ctl_hwm, db_rss, db_hwm, ctl_cpu,
     db_cpu, done, total, ubl) = p[:16]
    st = {}
    for kv in p[16:]:
        k, _, v = kv.partition("=")
        st.setdefault(k, []).append(float(v))
    d = {k: v[1] - v[0] for k, v in st.items() if len(v) == 2}
    run_s, plan_s, ref_s = float(run_s), float(plan_s), float(ref_s)
    inv, lines, ref_rows = int(inv), int(lines), int(ref_rows)
    mb = lambda kb: "%.0f MB" % (int(kb) / 1024.0) if kb.isdigit() else "?"  # noqa: E731
    rows.append(("{:,}".format(int(n)).replace(",", " "), "%d" % inv, "%d" % lines,
                 "%.1f" % run_s + ("" if state == "done" else " PARTIAL"), "%.1f" % plan_s,
                 "%.1f" % (inv / run_s), "%.0f" % (lines / run_s), "%.1f" % ref_s,
                 "%.0f" % (ref_rows / ref_s), "%.3f" % ((lines / run_s) / (ref_rows / ref_s)),
                 mb(ctl_hwm), mb(db_rss)))
    issue_s = run_s - plan_s
    notes.append(
        "%s contracts: run %s (%s of %s items); planning %.1f s, issuing %.1f s (%.0f lines/s,"
        " %.2f ms per invoice); statements %.0f (%.2f per line), INSERTs %.0f; redo log"
        " written %.0f MB (%.0f bytes per line), B-tree page reorganisations %.0f and"
        " splits %.0f, buffer pool misses %.0f;"
        " UBL %s bytes per line; CPU: contractctl %s s, MariaDB %s s (of %.1f s); MariaDB"
        " VmRSS at most %s, VmHWM %s"
        % (n, state, done, total, plan_s, issue_s, lines / issue_s if issue_s > 0 else 0,
           1000.0 * issue_s / inv if inv else 0, d.get("Questions", 0),
           d.get("Questions", 0) / lines if lines else 0, d.get("Com_insert", 0),
           d.get("Innodb_os_log_written", 0) / 1e6,
           d.get("Innodb_os_log_written", 0) / lines if lines else 0,
           d.get("index_page_reorg_attempts", 0), d.get("index_page_splits", 0),
           d.get("Innodb_buffer_pool_reads", 0), ubl, ctl_cpu, db_cpu, run_s, mb(db_rss),
           mb(db_hwm)))
    # The pace over the run: lines/s of each tenth of its invoices.
    try:
        t = [l.split() for l in open("%s/tenths-%s" % (tmp, n))]
        prev = float([x for x in t if x[0] == "start"][0][1])
        pace = []
        for x in t:
            if x[0] != "start":
                end = float(x[3])
                pace.append("%.0f" % (int(x[2]) / (end - prev)) if end > prev else "?")
                prev = end
        notes.append("  lines/s of each tenth of the invoices (database clock): " + " ".join(pace))
    except (OSError, IndexError, ValueError):
        pass
    # The run's memory over its course: contractctl's VmRSS at each quarter.
    samples = [s.split() for s in open("%s/samples-%s" % (tmp, n)) if len(s.split()) == 5]
    if samples:
        marks = []
        for q in (0.1, 0.25, 0.5, 0.75, 1.0):
            s = samples[min(len(samples) - 1, int(q * (len(samples) - 1)))]
            marks.append("%.0f s %s MB (%s items)" % (float(s[0]), "%.1f" % (int(s[1]) / 1024.0)
                                                       if s[1].isdigit() else "?", s[4]))
        notes.append("  contractctl VmRSS over the run: " + "; ".join(marks))

hdr = ("contracts", "invoices", "lines", "run s", "plan s", "invoices/s", "lines/s",
       "INS..SEL s", "rows/s", "ratio", "run peak RSS", "MariaDB RSS")
fmt = "%-10s %8s %8s %12s %7s %10s %8s %10s %8s %6s %12s %11s"
print()
print(fmt % hdr)
for r in rows:
    print(fmt % r)
print()
print("run s: contractctl billing run, start to exit (planning included); plan s: until the plan")
print("was stored; invoices/s, lines/s: over run s; INS..SEL s, rows/s: the reference, one")
print("INSERT ... SELECT of as many rows of invoice_lines' shape from the same contracts (one")
print("transaction, same MariaDB); ratio: lines/s over rows/s; run peak RSS: contractctl's")
print("maximum resident set (GNU time); MariaDB RSS: the largest VmRSS sampled during the run.")
print()
for line in notes:
    print(line)
EOF
echo
echo "the planning query alone (remittances), timed again with all $ALL contracts in the table:" \
	"$(paste -sd';' "$TMP/replan" | sed 's/;/; /g')"
if [ "$PROFILE" = 1 ]; then
	for N in $SIZES; do
		[ -s "$TMP/perf-$N.data" ] || continue
		echo
		echo "perf, $N contracts: CPU samples by program and library (top 12), then by symbol (top 25):"
		perf report -q -i "$TMP/perf-$N.data" --stdio --sort comm,dso 2>/dev/null | grep -v '^$' | head -12 | sed 's/[[:space:]-]*$//; s/^/  /'
		echo "  --"
		perf report -q -i "$TMP/perf-$N.data" --stdio --sort comm,dso,symbol 2>/dev/null | grep -v '^$' | head -25 | sed 's/[[:space:]-]*$//; s/^/  /'
	done
fi
echo
echo "machine: $(nproc) CPUs, shared by contractctl and MariaDB; private MariaDB with its" \
	"defaults here (256 MB buffer pool, no binary log, a log flush per commit);" \
	"load average $LOAD_START at the start, $LOAD_END at the end"
if [ -s "$TMP/contractd.log" ]; then
	echo "contractd logged (log_level warn):"
	tail -5 "$TMP/contractd.log" | cut -c1-300 | sed 's/^/  | /'
fi
exit 0
