#!/usr/bin/env bash
# quickstart.sh — the two commands of the README.
#
#   ./quickstart.sh demo   install what is missing, build, and run contractd
#                          with demo data on its own private MariaDB
#   ./quickstart.sh test   install what is missing, build (with ASan and
#                          UBSan), and run every test; the last line is
#                          "N passed, N failed"
#
# Both work as the very first command on a fresh Debian 12 machine.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

# Debian packages: build tools and libraries, the MariaDB server contractd
# runs privately, and what the tests and benchmarks drive it with.
build_packages="build-essential autoconf automake libtool pkg-config libevent-dev
  libmariadb-dev libxml2-dev libssl-dev libcmocka-dev mariadb-server"
run_packages="mariadb-client curl openssl"
test_packages="python3 libxml2-utils clang"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_missing() {
	local missing=() p
	for p in $build_packages $run_packages "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	# Debian's mariadb-server starts a system-wide server on install; we do
	# not need it (contractd runs its own), so keep it from starting.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
		$sudo chmod +x /usr/sbin/policy-rc.d
		trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# build DIR [configure options...]
build() {
	local dir="$1"; shift
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then
		say "autoreconf"
		autoreconf -fi >/dev/null 2>autoreconf.err || { cat autoreconf.err >&2; exit 1; }
		rm -f autoreconf.err
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ configure -nt "$dir/Makefile" ]; then
		say "configure $*"
		(cd "$dir" && "$here/configure" -q --enable-werror "$@" 2>configure.err) ||
			{ cat "$dir/configure.err" >&2; exit 1; }
		# configure's cleanup tries "rm -f core" and trips over our core/ folder.
		grep -v "cannot remove 'core'" "$dir/configure.err" >&2 || true
	fi
	say "make ($dir)"
	make -C "$dir" -j"$(nproc)" >/dev/null
	make -C "$dir" -j"$(nproc)" check TESTS= >/dev/null   # test plugins too
}

demo() {
	install_missing
	build build
	local port="${PORT:-8080}" dir="$here/demo"
	mkdir -p "$dir"
	cat > "$dir/contractd.conf" <<EOF
# The quick-start configuration: loopback only, a private MariaDB under
# state/, the plugins built in ../build. See contractd.conf(5).
[server]
listen = 127.0.0.1:$port
state_dir = state
log_level = info

[plugins]
dir = ../build/plugins

# The two pricing plugins the example catalog's plans name.
[plugin pricing-percent]
file = pricing-percent/.libs/pricing-percent.so
currency = EUR

[plugin pricing-ratetable]
file = pricing-ratetable/.libs/pricing-ratetable.so
tables = ../contracts/examples/RateTable.xml

# Claims: labor priced from the example labor rates, parts from the
# example price lists (euro and yen).
[plugin billing-labor]
file = billing-labor/.libs/billing-labor.so
rates = ../contracts/examples/LaborRates.xml

[plugin parts-pricelist]
file = parts-pricelist/.libs/parts-pricelist.so
pricelists = ../contracts/pricelists/EU-PARTS-2026.xml ../contracts/examples/PartsPriceList.xml

[tax]
standard = 0.19
zero = 0
exempt = 0
reverse = 0

# Who issues the invoices (docs/finance.md).
[seller]
name = Demo Warranty GmbH
street = Friedrichstrasse 68
city = Berlin
postal_code = 10117
country = DE
vat_id = DE123456789
legal_id = HRB 123456 B
email = billing@demo.example
iban = DE02120300000000202051

[invoices]
payment_days = 30
# Claims are settled in the month's billing run: one credit note per dealer.
claim_settlement = billing-run
EOF
	local ctl=("$here/build/contractctl" -c "$dir/contractd.conf")
	"${ctl[@]}" db migrate
	"${ctl[@]}" catalog import "$here/contracts/examples/Catalog.xml"
	if [ ! -f "$dir/keys.txt" ]; then
		say "creating demo dealers and API keys"
		"${ctl[@]}" dealer add DEMO-NORTH --name "North Motors (demo)" >/dev/null
		"${ctl[@]}" dealer add DEMO-SOUTH --name "South Appliances (demo)" >/dev/null
		"${ctl[@]}" dealer set-billing DEMO-NORTH --country DE --street "Nordring 4" \
		    --postal-code 20095 --city Hamburg --vat-id DE811111111 >/dev/null
		"${ctl[@]}" dealer set-billing DEMO-SOUTH --country DE --street "Suedallee 9" \
		    --postal-code 80331 --city Muenchen --vat-id DE822222222 >/dev/null
		{
			echo "admin      $("${ctl[@]}" key create --role admin --label demo-admin)"
			echo "finance    $("${ctl[@]}" key create --role finance --label demo-finance)"
			echo "DEMO-NORTH $("${ctl[@]}" key create --role dealer --dealer DEMO-NORTH --label demo)"
			echo "DEMO-SOUTH $("${ctl[@]}" key create --role dealer --dealer DEMO-SOUTH --label demo)"
		} > "$dir/keys.txt"
		chmod 600 "$dir/keys.txt"
	fi
	local admin
	admin="$(awk '$1 == "admin" { print $2 }' "$dir/keys.txt")"
	cat <<EOF

  contractd is starting at   http://127.0.0.1:$port
  admin API key:             $admin
  all demo keys:             $dir/keys.txt

  try:  curl -H "Authorization: Bearer $admin" http://127.0.0.1:$port/v1/whoami
  stop: Ctrl-C (contractd drains requests and stops its MariaDB)

EOF
	cd "$dir"
	exec "$here/build/contractd" -c "$dir/contractd.conf"
}

run_tests() {
	install_missing $test_packages
	build build-check --enable-sanitizers
	say "make check"
	local rc=0
	# ASan: report leaks of the server at exit as errors, and make UBSan fatal.
	ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
		make -C build-check -j2 check || rc=$?
	summarize build-check "$rc"
}

# Prints the failing tests' logs and the closing "N passed, N failed" line.
summarize() {
	local dir="$1" rc="$2" log="$1/test-suite.log"
	if [ ! -f "$log" ]; then
		echo "make check did not run (exit $rc)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	local pass fail error xpass skip
	pass=$(sed -n 's/^# PASS: *//p' "$log"); fail=$(sed -n 's/^# FAIL: *//p' "$log")
	error=$(sed -n 's/^# ERROR: *//p' "$log"); xpass=$(sed -n 's/^# XPASS: *//p' "$log")
	skip=$(sed -n 's/^# SKIP: *//p' "$log")
	local failed=$(( ${fail:-0} + ${error:-0} + ${xpass:-0} + ${skip:-0} ))
	if [ "$failed" -gt 0 ] || [ "$rc" -ne 0 ]; then
		cat "$log"
		[ "$failed" -gt 0 ] || failed=1   # make check failed outside any test
	fi
	# A skipped test counts as failed: nothing here may be skipped.
	echo "${pass:-0} passed, $failed failed"
	[ "$failed" -eq 0 ]
}

case "${1:-}" in
demo) demo ;;
test) run_tests ;;
*) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
