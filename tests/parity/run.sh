#!/usr/bin/env bash
# Parity suite driver. Runs every scenario of the harness twice, without the
# shim and with it preloaded, and fails on any difference between the two
# transcripts (printed as a unified diff). Standard error must match too,
# except for the template warning lines ("trustcache: ... on a shared CA
# store ...") a scenario declares: exactly that many, and nothing else. The
# with-shim run must also write stats showing the scenario's minimum of
# avoided loads and of shared contexts, with
#   requested == performed + avoided + passthrough.
# Finally the whole table runs in one process each way, so cache state carried
# from scenario to scenario is compared too, once more with TRUSTCACHE_SHARE=0.
# Every failure shows the failing run's standard error (sanitizer reports).
#
# usage: run.sh --harness BIN --shim SO [--preload-first SO] [--threads N]
#               [--timeout S] [--share 0|1] [--no-determinism] [NAME...]
#   --preload-first  a library to preload before the shim (the ASan runtime)
#   --threads        worker threads in the thread scenarios (default
#                    $PARITY_THREADS, else 8)
#   --timeout        seconds after which a harness process is ended, so a
#                    deadlock fails the suite instead of hanging it (default 20)
#   --share 0        run every with-shim process with TRUSTCACHE_SHARE=0
#                    (nothing may be shared, no template warnings)
#   --no-determinism skip the second run without the shim that shows the
#                    transcript is stable (slow harness builds)
#   NAME...          run only these scenarios (and skip the one-process runs)
# PARITY_KEEP=1 keeps the temp directory with fixtures, transcripts and stats.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
harness="" shim="" first="" threads=${PARITY_THREADS:-8} timeout=20 share=1 determinism=1 without_from=
only=()
while [ $# -gt 0 ]; do
	case $1 in
	--harness) harness=$2; shift 2 ;;
	--shim) shim=$2; shift 2 ;;
	--preload-first) first=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--share) share=$2; shift 2 ;;
	--no-determinism) determinism=0; shift ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) only+=("$1"); shift ;;
	esac
done
if [ -z "$harness" ] || [ -z "$shim" ] || [[ $share != [01] ]]; then
	echo "usage: run.sh --harness BIN --shim SO [--preload-first SO] [--threads N] [--timeout S]" \
		"[--share 0|1] [--no-determinism] [NAME...]" >&2
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
	TRUSTCACHE_MAX_BUNDLES TRUSTCACHE_SHARE

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

# start_harness MODE LABEL ARGS... : starts the harness without/with the
# shim in the background, writing $tmp/out/LABEL.MODE.{out,err} and, with the
# shim, stats files named after the process ids. With the shim,
# TRUSTCACHE_SHARE=0 when $share is 0. Sets pid.
start_harness() {
	local mode=$1 label=$2
	shift 2
	local out="$tmp/out/$label.$mode" scratch="$tmp/scratch/$mode/$label" share_env=()
	mkdir -p "$scratch"
	if [ "$share" = 0 ]; then
		share_env=(TRUSTCACHE_SHARE=0)
	fi
	if [ "$mode" = without ]; then
		env LD_PRELOAD= "$harness" --fixtures "$tmp/fx" --scratch "$scratch" --threads "$threads" --timeout "$timeout" "$@" \
			</dev/null >"$out.out" 2>"$out.err" &
	else
		env LD_PRELOAD="$preload" TRUSTCACHE_STATS="$tmp/stats/$label.%p.json" "${share_env[@]}" \
			"$harness" --fixtures "$tmp/fx" --scratch "$scratch" --threads "$threads" --timeout "$timeout" "$@" \
			</dev/null >"$out.out" 2>"$out.err" &
	fi
	pid=$!
}

# finish PID: waits for it; sets rc.
finish() {
	rc=0
	wait "$1" || rc=$?
}

# The one line the shim prints when an application changes a shared template
# (docs/DESIGN.md, "Templates reached another way").
warning_re='^trustcache: [A-Za-z0-9_]+ on a shared CA store \(verify callback\?\); contexts created from now on get a fresh copy$'

# split_warnings FILE: moves the template warning lines of FILE to
# FILE.warnings; sets nwarn to their number.
split_warnings() {
	grep -E "$warning_re" "$1" >"$1.warnings" || true
	grep -Ev "$warning_re" "$1" >"$1.rest" || true
	mv "$1.rest" "$1"
	nwarn=$(wc -l <"$1.warnings")
}

# show_stderr WHICH FILE: a failing run's standard error (sanitizer reports,
# aborts) under a header line; up to 500 lines.
show_stderr() {
	local n
	n=$(wc -l <"$2" 2>/dev/null || echo 0)
	if [ "$n" = 0 ] && [ ! -s "$2" ]; then
		echo "  ---- stderr of the harness run $1: empty"
		return
	fi
	echo "  ---- stderr of the harness run $1 ($n lines):"
	head -500 "$2" | sed 's/^/  stderr: /'
	if [ "$n" -gt 500 ]; then
		echo "  ---- $((n - 500)) more lines not shown (PARITY_KEEP=1 keeps $2)"
	fi
}

# shellcheck source=tests/parity/exit_words.sh
. "$here/exit_words.sh"

# compare LABEL MIN_AVOIDED MIN_SHARED WARNINGS ARGS... : one parity test.
compare() {
	local label=$1 min=$2 min_shared=$3 warnings=$4
	shift 4
	local base="$tmp/out/$label" rc_without pid_without pid_with rc_with main others=() f verdict
	if [ "$share" = 0 ]; then
		warnings=0
	fi
	# Both runs at once: they share nothing but the read-only fixtures. A
	# run without the shim already made for the same arguments is reused.
	if [ -n "${without_from:-}" ]; then
		cp "$tmp/out/$without_from.without.out" "$base.without.out"
		cp "$tmp/out/$without_from.without.err" "$base.without.err"
	else
		start_harness without "$label" "$@"
		pid_without=$pid
	fi
	start_harness with "$label" "$@"
	pid_with=$pid
	rc_without=0
	if [ -z "${without_from:-}" ]; then
		finish "$pid_without"
		rc_without=$rc
	fi
	finish "$pid_with"
	rc_with=$rc

	if [ "$rc_without" != 0 ]; then
		fail "$label" "the run without the shim $(how "$rc_without") (see the !! lines)"
		grep -h '^!!' "$base.without.out" || true
		show_stderr "without the shim" "$base.without.err"
		return
	fi
	# Kept whole for the failure reports: split_warnings edits the file.
	cp "$base.with.err" "$base.with.err.all"
	split_warnings "$base.with.err"
	if ! diff -u --label "$label without shim" --label "$label with shim" \
		"$base.without.out" "$base.with.out" >"$base.diff" ||
		! diff -u --label "$label stderr without shim" --label "$label stderr with shim (template warnings removed)" \
			"$base.without.err" "$base.with.err" >>"$base.diff"; then
		fail "$label" "transcripts differ (with the shim the harness $(how "$rc_with"))"
		cat "$base.diff"
		show_stderr "with the shim" "$base.with.err.all"
		return
	fi
	if [ "$nwarn" != "$warnings" ]; then
		fail "$label" "the shim printed $nwarn template warning line(s), expected $warnings"
		show_stderr "with the shim" "$base.with.err.all"
		return
	fi
	if [ "$rc_with" != 0 ]; then
		fail "$label" "the run with the shim $(how "$rc_with")"
		grep -h '^!!' "$base.with.out" || true
		show_stderr "with the shim" "$base.with.err.all"
		return
	fi
	main="$tmp/stats/$label.$pid_with.json"
	for f in "$tmp/stats/$label".*.json; do
		if [ -e "$f" ] && [ "$f" != "$main" ]; then
			others+=("$f")
		fi
	done
	if ! verdict=$(python3 "$here/check_stats.py" --min-avoided "$min" --min-shared "$min_shared" \
		--warnings "$warnings" --share "$share" "$main" "${others[@]}" </dev/null); then
		fail "$label" "shim stats: $verdict"
		show_stderr "with the shim" "$base.with.err.all"
		return
	fi
	pass "$label" "$verdict"
}

table=$("$harness" --list)
while read -r name why; do
	[ -n "$name" ] && echo "SKIP $name ($why)"
done < <("$harness" --skipped)
if [ -z "$table" ]; then
	echo "parity: the harness lists no scenarios"
	exit 1
fi
for name in "${only[@]}"; do
	if ! grep -q "^$name " <<<"$table"; then
		fail "$name" "no such scenario"
	fi
done
total_min=0 total_shared=0 total_warnings=0
while read -r name min min_shared warnings; do
	if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then
		continue
	fi
	compare "$name" "$min" "$min_shared" "$warnings" "$name"
	total_min=$((total_min + min))
	total_shared=$((total_shared + min_shared))
	total_warnings=$((total_warnings + warnings))
done <<<"$table"

if [ ${#only[@]} -eq 0 ]; then
	# Every scenario in one process: the cache and the templates are shared
	# across scenarios, and the minimums add up.
	compare all-in-one-process "$total_min" "$total_shared" "$total_warnings" --all
	if [ "$share" = 1 ]; then
		# The same with sharing switched off: the plain per-context cache.
		share=0 without_from=all-in-one-process
		compare all-in-one-process-share-off "$total_min" 0 0 --all
		share=1 without_from=
	fi
	if [ "$determinism" = 1 ]; then
		# A flaky transcript would look like a parity failure; rule that out.
		start_harness without determinism --all
		finish "$pid"
		if [ "$rc" = 0 ] && cmp -s "$tmp/out/determinism.without.out" "$tmp/out/all-in-one-process.without.out"; then
			pass determinism "two runs without the shim print the same transcript"
		else
			fail determinism "two runs without the shim differ (the second $(how "$rc"))"
			diff -u "$tmp/out/all-in-one-process.without.out" "$tmp/out/determinism.without.out" || true
			show_stderr "without the shim (second run)" "$tmp/out/determinism.without.err"
		fi
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
