#!/usr/bin/env bash
# Runs the three fuzz targets for a fixed time each and reports executions.
#
#   fuzz_config   the TRUSTCACHE_* parser
#   fuzz_stats    the stats path expander and the JSON rendering
#   fuzz_replay   bundle bytes through OpenSSL's loader and through the shim's
#                 cached replay, with the ASan shim preloaded
#
# usage: run.sh --dir DIR --asan-rt SO [--replay-seconds N] [--parser-seconds N]
#   DIR holds the fuzzers, libtrustcache-cov.so and corpus/ (make-corpus.sh);
#   new inputs go to DIR/work/TARGET (kept between runs), anything found to
#   DIR/artifacts/.  A finding fails the target; its input and the report are
#   printed.  Reproduce with: DIR/fuzz_TARGET DIR/artifacts/FILE (fuzz_replay
#   needs LD_PRELOAD="ASAN_RT DIR/libtrustcache-cov.so").
set -uo pipefail

dir="" asan_rt="" replay_seconds=60 parser_seconds=20
while [ $# -gt 0 ]; do
	case $1 in
	--dir) dir=$2; shift 2 ;;
	--asan-rt) asan_rt=$2; shift 2 ;;
	--replay-seconds) replay_seconds=$2; shift 2 ;;
	--parser-seconds) parser_seconds=$2; shift 2 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ -z "$dir" ] || [ -z "$asan_rt" ]; then
	echo "usage: run.sh --dir DIR --asan-rt SO [--replay-seconds N] [--parser-seconds N]" >&2
	exit 2
fi

passed=0
failed=0
total_execs=0
mkdir -p "$dir/artifacts" "$dir/logs"

# fuzz TARGET SECONDS [ENV...]: one libFuzzer run; PASS with its numbers or FAIL.
fuzz() {
	local target=$1 seconds=$2 log="$dir/logs/$1.log" rc execs rate cov corpus artifact
	shift 2
	mkdir -p "$dir/work/$target"
	rm -f "$dir/artifacts/$target-"*
	env "$@" "$dir/$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=20 \
		-rss_limit_mb=4096 -max_len=8192 -artifact_prefix="$dir/artifacts/$target-" \
		"$dir/work/$target" "$dir/corpus/${target#fuzz_}" </dev/null >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	corpus=$(find "$dir/work/$target" -type f | wc -l)
	artifact=$(find "$dir/artifacts" -name "$target-*" -type f | head -1)
	if [ "$rc" = 0 ] && [ -n "$execs" ] && [ -z "$artifact" ]; then
		echo "PASS $target ($execs executions in ${seconds} s, $rate/s, $cov, $corpus inputs kept)"
		passed=$((passed + 1))
		total_execs=$((total_execs + execs))
		return
	fi
	echo "FAIL $target: libFuzzer exited $rc after ${execs:-?} executions${artifact:+; input: $artifact}"
	grep -v '^#\|^INFO:\|^MS:\|^stat::\|^Done\|^ *"' "$log" | tail -60 | sed 's/^/    /'
	if [ -n "$artifact" ]; then
		echo "    input (base64): $(head -c 3000 "$artifact" | base64 -w0)"
	fi
	failed=$((failed + 1))
}

# Leak checking stays on for the parsers; with OpenSSL loaded, allocations it
# keeps until exit would drown real reports.
fuzz fuzz_config "$parser_seconds"
fuzz fuzz_stats "$parser_seconds"
fuzz fuzz_replay "$replay_seconds" LD_PRELOAD="$asan_rt $dir/libtrustcache-cov.so" \
	ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

echo "fuzz: $total_execs executions in total"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
