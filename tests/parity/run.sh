#!/usr/bin/env bash
# Parity suite driver. Runs every scenario of the harness twice, without the
# shim and with it preloaded, and fails on any difference between the two
# transcripts (printed as a unified diff). The with-shim run must also write
# stats showing the scenario's minimum of avoided loads, with
#   requested == performed + avoided + passthrough.
# Finally the whole table runs in one process each way, so cache state carried
# from scenario to scenario is compared too.
#
# usage: run.sh --harness BIN --shim SO [--preload-first SO] [--threads N]
#               [--timeout S] [NAME...]
#   --preload-first  a library to preload before the shim (the ASan runtime)
#   --threads        worker threads in the thread scenarios (default
#                    $PARITY_THREADS, else 8)
#   --timeout        seconds after which a harness process is ended, so a
#                    deadlock fails the suite instead of hanging it (default 20)
#   NAME...          run only these scenarios (and skip the one-process run)
# PARITY_KEEP=1 keeps the temp directory with fixtures, transcripts and stats.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
harness="" shim="" first="" threads=${PARITY_THREADS:-8} timeout=20
only=()
while [ $# -gt 0 ]; do
	case $1 in
	--harness) harness=$2; shift 2 ;;
	--shim) shim=$2; shift 2 ;;
	--preload-first) first=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) only+=("$1"); shift ;;
	esac
done
if [ -z "$harness" ] || [ -z "$shim" ]; then
	echo "usage: run.sh --harness BIN --shim SO [--preload-first SO] [--threads N] [--timeout S] [NAME...]" >&2
	exit 2
fi
harness=$(realpath "$harness")
shim=$(realpath "$shim")
preload="$shim"
if [ -n "$first" ]; then
	preload="$(realpath "$first") $shim"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trustcache-parity.XXXXXX")
cleanup() {
	if [ "${PARITY_KEEP:-0}" = 1 ]; then
		echo "parity: kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

# Only what a scenario sets itself may steer the loads or the shim.
unset SSL_CERT_FILE SSL_CERT_DIR TRUSTCACHE_MODE TRUSTCACHE_STATS TRUSTCACHE_STATS_FORMAT \
	TRUSTCACHE_MAX_BUNDLES

if ! "$here/make-fixtures.sh" "$tmp/fx" >"$tmp/fixtures.log" 2>&1; then
	cat "$tmp/fixtures.log"
	echo "parity: cannot generate fixtures"
	exit 1
fi
mkdir -p "$tmp/out" "$tmp/stats" "$tmp/scratch/without" "$tmp/scratch/with"

passed=0
failed=0
pass() { echo "PASS $1${2:+ ($2)}"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# run_harness MODE LABEL ARGS... : runs the harness without/with the shim,
# writing $tmp/out/LABEL.MODE.{out,err} and, with the shim, stats files named
# after the process ids. Sets rc and pid.
run_harness() {
	local mode=$1 label=$2
	shift 2
	local out="$tmp/out/$label.$mode" scratch="$tmp/scratch/$mode/$label"
	mkdir -p "$scratch"
	rc=0
	if [ "$mode" = without ]; then
		env LD_PRELOAD= "$harness" --fixtures "$tmp/fx" --scratch "$scratch" --threads "$threads" --timeout "$timeout" "$@" \
			</dev/null >"$out.out" 2>"$out.err" &
	else
		env LD_PRELOAD="$preload" TRUSTCACHE_STATS="$tmp/stats/$label.%p.json" \
			"$harness" --fixtures "$tmp/fx" --scratch "$scratch" --threads "$threads" --timeout "$timeout" "$@" \
			</dev/null >"$out.out" 2>"$out.err" &
	fi
	pid=$!
	wait "$pid" || rc=$?
}

# how RC: words for a harness exit status.
how() {
	case $1 in
	0) echo "exited 0" ;;
	142) echo "timed out (SIGALRM)" ;;
	1[3-9][0-9] | 2[0-9][0-9]) echo "died from signal $(($1 - 128))" ;;
	*) echo "exited $1" ;;
	esac
}

# compare LABEL MIN_AVOIDED ARGS... : one parity test.
compare() {
	local label=$1 min=$2
	shift 2
	local base="$tmp/out/$label" rc_without pid_with rc_with main others=() f verdict
	run_harness without "$label" "$@"
	rc_without=$rc
	run_harness with "$label" "$@"
	rc_with=$rc
	pid_with=$pid

	if [ "$rc_without" != 0 ]; then
		fail "$label" "the run without the shim $(how "$rc_without") (see the !! lines)"
		grep -h '^!!' "$base.without.out" || true
		sed 's/^/  stderr: /' "$base.without.err"
		return
	fi
	if ! diff -u --label "$label without shim" --label "$label with shim" \
		"$base.without.out" "$base.with.out" >"$base.diff" ||
		! diff -u --label "$label stderr without shim" --label "$label stderr with shim" \
			"$base.without.err" "$base.with.err" >>"$base.diff"; then
		fail "$label" "transcripts differ (with the shim the harness $(how "$rc_with"))"
		cat "$base.diff"
		return
	fi
	if [ "$rc_with" != 0 ]; then
		fail "$label" "the run with the shim $(how "$rc_with")"
		return
	fi
	main="$tmp/stats/$label.$pid_with.json"
	for f in "$tmp/stats/$label".*.json; do
		if [ -e "$f" ] && [ "$f" != "$main" ]; then
			others+=("$f")
		fi
	done
	if ! verdict=$(python3 "$here/check_stats.py" "$min" "$main" "${others[@]}" </dev/null); then
		fail "$label" "shim stats: $verdict"
		return
	fi
	pass "$label" "$verdict"
}

table=$("$harness" --list)
if [ -z "$table" ]; then
	echo "parity: the harness lists no scenarios"
	exit 1
fi
for name in "${only[@]}"; do
	if ! grep -q "^$name " <<<"$table"; then
		fail "$name" "no such scenario"
	fi
done
total_min=0
while read -r name min; do
	if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then
		continue
	fi
	compare "$name" "$min" "$name"
	total_min=$((total_min + min))
done <<<"$table"

if [ ${#only[@]} -eq 0 ]; then
	# Every scenario in one process: the cache is shared across scenarios,
	# and the minimums add up.
	compare all-in-one-process "$total_min" --all
	# A flaky transcript would look like a parity failure; rule that out.
	run_harness without determinism --all
	if [ "$rc" = 0 ] && cmp -s "$tmp/out/determinism.without.out" "$tmp/out/all-in-one-process.without.out"; then
		pass determinism "two runs without the shim print the same transcript"
	else
		fail determinism "two runs without the shim differ (the second $(how "$rc"))"
		diff -u "$tmp/out/all-in-one-process.without.out" "$tmp/out/determinism.without.out" || true
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
