#!/usr/bin/env bash
# shellcheck disable=SC2016 # single-quoted conditions are evaluated by check (lib/common.sh)
# Start-up, functionally (timings belong to `make bench`, bench-startup):
#  - bystanders: programs that never load OpenSSL behave identically with the
#    shim preloaded (stdout, stderr, exit status, signals), and it leaves no
#    stats behind for them;
#  - hooks before the shim's constructor: a preloaded library whose own
#    constructor creates contexts, loads a bundle and handshakes, placed so
#    that its constructor runs first (checked with LD_DEBUG), works and is
#    counted, and TRUSTCACHE_MODE is already honoured at that point.
#
# usage: run.sh --shim SO --early LIB --early-main BIN
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

shim="" early="" early_main=""
while [ $# -gt 0 ]; do
	case $1 in
	--shim) shim=$(realpath "$2"); shift 2 ;;
	--early) early=$(realpath "$2"); shift 2 ;;
	--early-main) early_main=$(realpath "$2"); shift 2 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ -z "$shim" ] || [ -z "$early" ] || [ -z "$early_main" ]; then
	echo "usage: run.sh --shim SO --early LIB --early-main BIN" >&2
	exit 2
fi
clean_env
make_tmp startup
make_fixtures "$tmp/fx"

# ---------------------------------------------------------------- bystanders
# bystander NAME CMD...: runs CMD (stdin from a fixed text) without and with
# the shim; everything observable must match.
bystander() {
	local name=$1 a=$tmp/by.without b=$tmp/by.with rc_a=0 rc_b=0
	shift
	# The outer 2>/dev/null only silences bash's own "Terminated" notice.
	{ printf 'banana\napple\ncherry\n' | "$@" >"$a.out" 2>"$a.err"; } 2>/dev/null || rc_a=$?
	{ printf 'banana\napple\ncherry\n' | TRUSTCACHE_STATS="$tmp/by-%p.json" LD_PRELOAD="$shim" \
		"$@" >"$b.out" 2>"$b.err"; } 2>/dev/null || rc_b=$?
	if [ "$rc_a" = "$rc_b" ] && cmp -s "$a.out" "$b.out" && cmp -s "$a.err" "$b.err"; then
		pass "bystander $name" "exit $rc_b, $(wc -c <"$b.out") bytes out, $(wc -c <"$b.err") bytes err, as without the shim"
	else
		fail "bystander $name" "exit $rc_a without, $rc_b with the shim"
		diff -u "$a.out" "$b.out" || true
		diff -u "$a.err" "$b.err" || true
	fi
}
bystander "true" /bin/true
bystander "false" /bin/false
bystander "sh -c :" sh -c :
bystander "sh exit status and both streams" sh -c 'echo out; echo err >&2; exit 7'
bystander "sh killed by a signal" sh -c 'kill -TERM $$'
bystander "pipeline, subshell and exec" sh -c 'sort | tr a-z A-Z; (exit 3); exec cat /dev/null'
bystander "sort from stdin" sort
bystander "ls /" ls /
bystander "python without ssl" "$PYTHON" -S -c 'import sys, json; print(json.dumps(sorted(sys.argv))); sys.exit(5)'
check "bystanders leave no stats file" "they never loaded OpenSSL" \
	[ -z "$(find "$tmp" -maxdepth 1 -name 'by-*.json' -print -quit)" ]

# ---------------------------------------------------------------- early hooks
# early_run NAME PRELOAD [VAR=VALUE...]: runs early_main with the given
# preload list; output in $tmp/NAME.{out,err}, init order in $tmp/NAME.init.
early_run() {
	local name=$1 preload=$2 rc=0
	shift 2
	# timeout outside env: only early_main itself gets the preloads.
	timeout 60 env LD_PRELOAD="$preload" EARLY_FIXTURES="$tmp/fx" TRUSTCACHE_STATS="$tmp/$name.json" "$@" \
		"$early_main" "$tmp/fx" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
	echo "$rc" >"$tmp/$name.rc"
	# Which initialiser ran first, the early library's or the shim's.
	env LD_DEBUG=files LD_PRELOAD="$preload" EARLY_FIXTURES="$tmp/fx" "$@" "$early_main" "$tmp/fx" 2>&1 >/dev/null |
		sed -n 's/.*calling init: //p' | grep -E 'trustcache|early' | xargs -n1 basename >"$tmp/$name.init" || true
}
expected_out="early: loads=1,1 certs=2,2 handshake=verified
main: load=1 certs=2 handshake=verified"

early_run baseline "$early"
check "early constructor without the shim" "$(tr '\n' ' ' <"$tmp/baseline.out")" \
	[ "$(cat "$tmp/baseline.out")" = "$expected_out" ]

early_run early "$shim $early"
check "early constructor runs before the shim's" "$(tr '\n' ' ' <"$tmp/early.init")" \
	[ "$(head -1 "$tmp/early.init")" = "$(basename "$early")" ]
check "early constructor: no crash, loads and handshake work" "exit $(cat "$tmp/early.rc"): $(tr '\n' ' ' <"$tmp/early.out")" \
	'[ "$(cat "$tmp/early.rc")" = 0 ] && [ "$(cat "$tmp/early.out")" = "$expected_out" ]'
# Two loads in the constructor, one in main: one parse, two served.
check "early constructor loads are counted and served" \
	"requested=$(stat_of "$tmp/early.json" ca_loads_requested) performed=$(stat_of "$tmp/early.json" ca_loads_performed) avoided=$(stat_of "$tmp/early.json" ca_loads_avoided)" \
	'[ "$(stat_of "$tmp/early.json" ca_loads_requested)" = 3 ] &&
	[ "$(stat_of "$tmp/early.json" ca_loads_performed)" = 1 ] &&
	[ "$(stat_of "$tmp/early.json" ca_loads_avoided)" = 2 ]'

early_run early_off "$shim $early" TRUSTCACHE_MODE=off
check "early constructor honours TRUSTCACHE_MODE=off" \
	"exit $(cat "$tmp/early_off.rc"), avoided=$(stat_of "$tmp/early_off.json" ca_loads_avoided), mode=$(stat_of "$tmp/early_off.json" shim.mode)" \
	'[ "$(cat "$tmp/early_off.out")" = "$expected_out" ] &&
	[ "$(stat_of "$tmp/early_off.json" ca_loads_avoided)" = 0 ] &&
	[ "$(stat_of "$tmp/early_off.json" shim.mode)" = off ]'

early_run late "$early $shim"
check "shim constructor first, then the library's: same result" "$(tr '\n' ' ' <"$tmp/late.init")| $(tr '\n' ' ' <"$tmp/late.out")" \
	'[ "$(head -1 "$tmp/late.init")" = "$(basename "$shim")" ] && [ "$(cat "$tmp/late.out")" = "$expected_out" ] &&
	[ "$(stat_of "$tmp/late.json" ca_loads_avoided)" = 2 ]'
finish
