#!/usr/bin/env bash
# shellcheck disable=SC2016 # single-quoted conditions are evaluated by check (lib/common.sh)
# Thread stress under ThreadSanitizer, and simultaneous store hand-outs.
#
#  1. stress (built with -fsanitize=thread) for SECONDS with THREADS threads,
#     the TSan build of the shim preloaded: no TSan report (OpenSSL is not
#     instrumented; tsan.supp names the one race inside OpenSSL itself that
#     this program shows without the shim too), no wrong verify result.
#     A short run without any preload first checks the program itself.
#  2. handout: threads released together ask for one context's store while
#     others handshake with it; under TSan (no report), and with the regular
#     shim ROUNDS times over (no crash, every store complete, every
#     handshake verified).
#
# usage: run.sh --shim SO --tsan-shim SO --bin DIR [--seconds N] [--threads N]
#   DIR holds stress, stress-tsan, handout and handout-tsan.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

shim="" tsan_shim="" bin="" seconds=8 threads=16
while [ $# -gt 0 ]; do
	case $1 in
	--shim) shim=$(realpath "$2"); shift 2 ;;
	--tsan-shim) tsan_shim=$(realpath "$2"); shift 2 ;;
	--bin) bin=$(realpath "$2"); shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ -z "$shim" ] || [ -z "$tsan_shim" ] || [ -z "$bin" ]; then
	echo "usage: run.sh --shim SO --tsan-shim SO --bin DIR [--seconds N] [--threads N]" >&2
	exit 2
fi
clean_env
make_tmp stress
make_fixtures "$tmp/fx"
export SSL_CERT_FILE=$tmp/fx/ab.pem SSL_CERT_DIR=$tmp/fx/hashdir
tsan_options="halt_on_error=1 report_signal_unsafe=0 suppressions=$HARDENING/stress/tsan.supp"

# tsan_run OUT CMD...: runs a TSan program; if the kernel's address layout
# is one this TSan cannot map, runs it again with randomisation off.
tsan_run() {
	local out=$1 rc=0
	shift
	TSAN_OPTIONS=$tsan_options "$@" >"$out" 2>&1 || rc=$?
	if grep -q 'unexpected memory mapping\|FATAL: ThreadSanitizer' "$out"; then
		rc=0
		TSAN_OPTIONS=$tsan_options setarch "$(uname -m)" -R "$@" >"$out" 2>&1 || rc=$?
	fi
	return "$rc"
}
result() { grep -E '^(threads|rounds)=' "$1" || echo "no result line"; }
reports() { grep -c 'WARNING: ThreadSanitizer' "$1" || true; }

rc=0
timeout 120 "$bin/stress" "$tmp/fx" 2 "$threads" >"$tmp/plain.out" 2>&1 || rc=$?
check "stress without shim" "$(result "$tmp/plain.out")" [ "$rc" = 0 ]

rc=0
LD_PRELOAD="$tsan_shim" TRUSTCACHE_STATS="$tmp/tsan.json" \
	tsan_run "$tmp/tsan.out" timeout $((seconds * 4 + 120)) "$bin/stress-tsan" "$tmp/fx" "$seconds" "$threads" || rc=$?
if [ "$rc" = 0 ] && [ "$(reports "$tmp/tsan.out")" = 0 ]; then
	pass "stress under TSan with the shim" "$(result "$tmp/tsan.out"), 0 reports"
else
	fail "stress under TSan with the shim" "exit $rc, $(reports "$tmp/tsan.out") report(s): $(result "$tmp/tsan.out")"
	grep -v '^ *$' "$tmp/tsan.out" | head -60
fi
check "stress loads were served by the shim" \
	"avoided=$(stat_of "$tmp/tsan.json" ca_loads_avoided) privatized=$(stat_of "$tmp/tsan.json" stores_privatized) invariant=$(stat_of "$tmp/tsan.json" invariant)" \
	'[ "$(stat_of "$tmp/tsan.json" ca_loads_avoided)" -gt 0 ] 2>/dev/null && [ "$(stat_of "$tmp/tsan.json" invariant)" = ok ]'

rc=0
LD_PRELOAD="$tsan_shim" tsan_run "$tmp/handout-tsan.out" timeout 120 "$bin/handout-tsan" "$tmp/fx" 200 8 || rc=$?
if [ "$rc" = 0 ] && [ "$(reports "$tmp/handout-tsan.out")" = 0 ]; then
	pass "simultaneous store hand-outs under TSan" "$(result "$tmp/handout-tsan.out"), 0 reports"
else
	fail "simultaneous store hand-outs under TSan" "exit $rc, $(reports "$tmp/handout-tsan.out") report(s)"
	grep -v '^ *$' "$tmp/handout-tsan.out" | head -40
fi

# Without TSan the race shows as a crash or a wrong store now and then: try
# it ten times.
bad=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	rc=0
	{ LD_PRELOAD="$shim" timeout 60 "$bin/handout" "$tmp/fx" 2000 8 >"$tmp/handout.$i.out" 2>&1; } 2>/dev/null || rc=$?
	if [ "$rc" != 0 ]; then
		bad=$((bad + 1))
		echo "  run $i: exit $rc$([ "$rc" -gt 128 ] && echo " (signal $((rc - 128)))"): $(result "$tmp/handout.$i.out")"
	fi
done
check "simultaneous store hand-outs, 10 x 2000 rounds" "$bad of 10 runs failed" [ "$bad" = 0 ]
finish
