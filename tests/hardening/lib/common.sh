# shellcheck shell=bash
# Shared by the hardening scripts (sourced, not run).
#
# Provides: pass/fail counting with a final "N passed, M failed" line,
# a per-script temp directory removed on exit, throwaway fixtures (the parity
# suite's generator), and stats lookups.  A script sets its own traps through
# on_exit so that cleanups chain instead of replacing each other.

HARDENING=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$HARDENING/../.." && pwd)
CC=${CC:-cc}
PYTHON=${PYTHON:-python3}
# Warnings are errors in test code too; -fvisibility=hidden keeps the kit's
# functions private to each module, so one module never binds to another's.
export TK_CFLAGS="-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -O1 -g -fvisibility=hidden -I$HARDENING/lib"

passed=0
failed=0
pass() { echo "PASS $1${2:+ ($2)}"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }
# check NAME DETAIL CMD [ARG...]: PASS if CMD succeeds.
# check NAME DETAIL 'CONDITION': PASS if the shell condition holds; it is
# evaluated here, so a condition like '[ a ] && [ b ]' stays one check.
check() {
	local _check_name=$1 _check_detail=$2
	shift 2
	if { [ $# = 1 ] && eval "$1"; } || { [ $# -gt 1 ] && "$@"; }; then
		pass "$_check_name" "$_check_detail"
	else
		fail "$_check_name" "$_check_detail"
	fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

_exit_hooks=()
on_exit() { _exit_hooks+=("$1"); }
_run_exit_hooks() {
	local i
	for ((i = ${#_exit_hooks[@]} - 1; i >= 0; i--)); do
		eval "${_exit_hooks[$i]}" || true
	done
}
trap _run_exit_hooks EXIT

# make_tmp NAME: sets tmp to a fresh directory, removed at exit unless
# HARDENING_KEEP=1.
make_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/trustcache-$1.XXXXXX")
	if [ "${HARDENING_KEEP:-0}" = 1 ]; then
		on_exit "echo \"kept $tmp\""
	else
		on_exit "rm -rf '$tmp'"
	fi
}

# make_fixtures DIR: roots A..E with one leaf each, ab.pem (A+B) and more.
make_fixtures() {
	if ! "$REPO/tests/parity/make-fixtures.sh" "$1" >"$1.log" 2>&1; then
		cat "$1.log"
		echo "FAIL fixtures: cannot generate the throwaway PKI"
		exit 1
	fi
}

# stat_of FILE KEY: one value from a stats JSON file, as flattened by
# stats_flat.py ("ca_loads_performed", "shim.resolution", ...); empty if absent.
stat_of() {
	"$PYTHON" "$HARDENING/lib/stats_flat.py" "$1" 2>/dev/null | sed -n "s/^$2=//p"
}

# Every TRUSTCACHE_* and SSL_CERT_* setting is the test's own choice.
clean_env() {
	local name
	for name in $(env | sed -n 's/^\(TRUSTCACHE_[A-Za-z0-9_]*\)=.*/\1/p'); do
		unset "$name"
	done
	unset SSL_CERT_FILE SSL_CERT_DIR LD_PRELOAD
}
