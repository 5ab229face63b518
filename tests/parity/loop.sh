#!/usr/bin/env bash
# Sanitizer loop: the parity scenarios that run worker threads, over and over
# under the ASan+UBSan and the TSan builds (the harness, shims, preloads and
# options of check-parity-asan and check-parity-tsan), with busy processes
# beside them so the threads get preempted at odd places.  Races that one
# run of check-parity-asan/-tsan shows only now and then show here as a count.
#
# Scenario sets (each run: every scenario of the set, one process each):
#   threads        every scenario whose name starts with threads-
#   share-threads  the shared-template scenarios with worker threads
#   LABEL:NAME,... just these scenarios (e.g. mixed:threads-mixed-bundles)
#
# usage: loop.sh --build DIR [--runs N] [--hogs N] [--sanitizers "asan tsan"]
#                [--sets "threads share-threads"] [--threads N] [--tsan-threads N]
#                [--asan-rt SO] [--log DIR]
#   DIR           the make BUILD directory (asan/ and tsan/ shims, sanitizer
#                 harnesses)
#   --runs        runs per sanitizer and set (default 100)
#   --hogs        busy processes beside the runs (default 2), ended at exit
#   --threads     worker threads under ASan (default 8); --tsan-threads under
#                 TSan (default 16)
#   --asan-rt     the ASan runtime to preload first (default: the compiler's)
#   --log         where the output of every failing run is kept (default
#                 DIR/loop-sanitizers)
# ASAN_OPTIONS, UBSAN_OPTIONS and TSAN_OPTIONS come from the caller (the make
# target sets them as check-parity-asan and check-parity-tsan do).
#
# Prints one line per sanitizer and set with its passed and failed runs, the
# first failing run's output in full (with the harness's stderr), and ends
# with "N passed, M failed" over all runs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build="" runs=100 hogs=2 sanitizers="asan tsan" sets="threads share-threads" threads=8
tsan_threads=16 asan_rt="" log=""
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$(realpath "$2"); shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--hogs) hogs=$2; shift 2 ;;
	--sanitizers) sanitizers=$2; shift 2 ;;
	--sets) sets=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--tsan-threads) tsan_threads=$2; shift 2 ;;
	--asan-rt) asan_rt=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	*) echo "loop.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ -z "$build" ]; then
	echo "usage: loop.sh --build DIR [--runs N] [--hogs N] [--sanitizers \"asan tsan\"]" \
		"[--sets \"threads share-threads\"] [--threads N] [--tsan-threads N] [--asan-rt SO] [--log DIR]" >&2
	exit 2
fi
asan_rt=${asan_rt:-$("${CC:-cc}" -print-file-name=libasan.so)}
log=${log:-$build/loop-sanitizers}
mkdir -p "$log"
log=$(realpath "$log")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trustcache-loop.XXXXXX")
hog_pids=()
cleanup() {
	local pid
	for pid in "${hog_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! "$here/make-fixtures.sh" "$tmp/fx" >"$tmp/fixtures.log" 2>&1; then
	cat "$tmp/fixtures.log"
	echo "loop: cannot generate fixtures"
	exit 1
fi

# set_scenarios SET HARNESS: the scenario names of a set, from the harness's table.
set_scenarios() {
	local table
	table=$("$2" --list | cut -d' ' -f1)
	case $1 in
	threads) grep '^threads-' <<<"$table" | tr '\n' ' ' ;;
	# Worker threads on shared templates: sc_share_threads.c, and the
	# reference and recipe scenarios of sc_share_lifetime.c.
	share-threads)
		echo "share-mtls-two-clients share-handout-during-handshakes share-hashdir-lazy-threads" \
			"share-up-ref-free-order share-many-recipes"
		;;
	# LABEL:NAME,NAME...: these scenarios only.
	*:*) tr ',' ' ' <<<"${1#*:}" ;;
	*) return 1 ;;
	esac
}

# Each run starts one harness process per scenario of the set, as run.sh
# does (threads-first-calls must really be a process's first calls), with
# the sanitizer shim preloaded; it passes when every process exits 0 and
# prints the same transcript and the same standard error as the sanitizer
# harness printed without the shim (the baseline, made once per scenario).
# Stats checks are left to check-parity: here only races matter.

# harness_of SANITIZER / preload_of SANITIZER / threads_of SANITIZER
harness_of() { echo "$build/tests/parity-harness-$1"; }
preload_of() {
	case $1 in
	asan) echo "$(realpath "$asan_rt") $build/asan/libtrustcache.so" ;;
	tsan) echo "$build/tsan/libtrustcache.so" ;;
	*) return 1 ;;
	esac
}
threads_of() { if [ "$1" = tsan ]; then echo "$tsan_threads"; else echo "$threads"; fi; }

# run_one SANITIZER NAME PRELOAD OUT: one harness process; sets rc.
run_one() {
	local scratch="$tmp/scratch/$RANDOM$RANDOM"
	mkdir -p "$scratch"
	rc=0
	env LD_PRELOAD="$3" "$(harness_of "$1")" --fixtures "$tmp/fx" --scratch "$scratch" \
		--threads "$(threads_of "$1")" --timeout 60 "$2" </dev/null >"$4.out" 2>"$4.err" || rc=$?
	rm -rf "$scratch"
}

# shellcheck source=tests/parity/exit_words.sh
. "$here/exit_words.sh"

for ((i = 0; i < hogs; i++)); do
	yes >/dev/null &
	hog_pids+=($!)
done
echo "loop: $runs runs per sanitizer and set, $hogs busy processes beside them; failing runs kept in $log"

total_pass=0 total_fail=0
for san in $sanitizers; do
	if ! preload=$(preload_of "$san") || [ ! -x "$(harness_of "$san")" ]; then
		echo "FAIL $san: no such sanitizer build (asan, tsan)"
		total_fail=$((total_fail + 1))
		continue
	fi
	for set in $sets; do
		if ! names=$(set_scenarios "$set" "$(harness_of "$san")"); then
			echo "FAIL $san $set: no such scenario set (threads, share-threads)"
			total_fail=$((total_fail + 1))
			continue
		fi
		# Baselines without the shim: they must pass, or nothing can be compared.
		for name in $names; do
			run_one "$san" "$name" "" "$tmp/base-$san-$name"
			if [ "$rc" != 0 ]; then
				echo "FAIL $san $set: $name without the shim $(how "$rc"); its stderr:"
				sed 's/^/  stderr: /' "$tmp/base-$san-$name.err"
				total_fail=$((total_fail + 1))
				continue 2
			fi
		done
		# Report files are named after the set's label.
		tag="$san-${set%%:*}"
		p=0 f=0 first="" failing=""
		start=$(date +%s)
		for ((run = 1; run <= runs; run++)); do
			bad=""
			: >"$tmp/run.report"
			for name in $names; do
				out="$tmp/run-$name"
				run_one "$san" "$name" "$preload" "$out"
				if [ "$rc" = 0 ] && cmp -s "$out.out" "$tmp/base-$san-$name.out" &&
					cmp -s "$out.err" "$tmp/base-$san-$name.err"; then
					continue
				fi
				bad="$bad $name"
				{
					echo "FAIL $name: with the shim the harness $(how "$rc")"
					diff -u --label "$name without shim" --label "$name with shim" \
						"$tmp/base-$san-$name.out" "$out.out" | head -100 || true
					echo "  ---- stderr of the harness run with the shim ($(wc -l <"$out.err") lines):"
					sed 's/^/  stderr: /' "$out.err"
				} >>"$tmp/run.report"
			done
			if [ -z "$bad" ]; then
				p=$((p + 1))
				continue
			fi
			f=$((f + 1))
			failing="$failing$bad"
			cp "$tmp/run.report" "$log/$tag-run$run.log"
			if [ -z "$first" ]; then
				first=$run
				echo "---- $san $set: run $run failed:"
				cat "$tmp/run.report"
				echo "---- end of run $run"
			fi
		done
		line="$san $set: $p passed, $f failed of $runs runs ($(wc -w <<<"$names") scenarios each), $(($(date +%s) - start)) s"
		if [ "$f" = 0 ]; then
			echo "PASS $line"
		else
			echo "FAIL $line; failing scenarios:$(tr ' ' '\n' <<<"$failing" | sed '/^$/d' | sort | uniq -c |
				awk '{printf " %s x%s", $2, $1}'); reports in $log/$tag-run*.log"
		fi
		total_pass=$((total_pass + p))
		total_fail=$((total_fail + f))
	done
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
