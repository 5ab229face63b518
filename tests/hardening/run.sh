#!/usr/bin/env bash
# Hardening suite driver: runs the parts in order, each its own script with
# its own PASS/FAIL lines, and closes with the total.
#
#   copies    two OpenSSL copies in one process (copies/run.sh)
#   copies-asan  the same with the ASan+UBSan build of the shim (no tail calls)
#   fork      fork() while threads load and handshake (fork/run.sh)
#   secure    setuid clients: TRUSTCACHE_* and SSL_CERT_FILE ignored (secure/run.sh)
#   alloc     with jemalloc and tcmalloc, both preload orders; concurrent first
#             loads under glibc, jemalloc, tcmalloc, mimalloc and an allocator
#             of this tree (alloc/run.sh)
#   startup   bystander programs, hooks before the constructor (startup/run.sh)
#   stress    threads under TSan, simultaneous store hand-outs (stress/run.sh)
#   valgrind  memcheck on parity scenarios and the stress program (valgrind/run.sh)
#
# usage: run.sh --build DIR [--parts "NAME ..."] [--stress-seconds N] [--forks N]
#               [--alloc-runs N]
#   --alloc-runs  runs per allocator of the concurrent first loads (100)
#   DIR is the make BUILD directory: the shim, its ASan and TSan builds, the
#   parity harness and DIR/tests/hardening (this suite's programs).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build="" parts="copies copies-asan fork secure alloc startup stress valgrind" stress_seconds=8 forks=1000 alloc_runs=100
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$(realpath "$2"); shift 2 ;;
	--parts) parts=$2; shift 2 ;;
	--stress-seconds) stress_seconds=$2; shift 2 ;;
	--forks) forks=$2; shift 2 ;;
	--alloc-runs) alloc_runs=$2; shift 2 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ -z "$build" ]; then
	echo "usage: run.sh --build DIR [--parts \"NAME ...\"] [--stress-seconds N] [--forks N] [--alloc-runs N]" >&2
	exit 2
fi
shim=$build/libtrustcache.so
bin=$build/tests/hardening
asan_rt=$("${CC:-cc}" -print-file-name=libasan.so)
# Leak checking would report OpenSSL's own process-lifetime allocations.
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

command_of() { # PART: the part's command line
	case $1 in
	copies) echo "$here/copies/run.sh --shim $shim" ;;
	copies-asan) echo "$here/copies/run.sh --shim $build/asan/libtrustcache.so --preload-first $asan_rt" ;;
	fork) echo "$here/fork/run.sh --shim $shim --forker $bin/forker --forks $forks" ;;
	secure) echo "$here/secure/run.sh --shim $shim --client $bin/secure-client" ;;
	alloc) echo "$here/alloc/run.sh --shim $shim --harness $build/tests/parity-harness --first-loads $bin/first-loads --own-malloc $bin/libown_malloc.so --runs $alloc_runs" ;;
	startup) echo "$here/startup/run.sh --shim $shim --early $bin/libearly.so --early-main $bin/early_main" ;;
	stress) echo "$here/stress/run.sh --shim $shim --tsan-shim $build/tsan/libtrustcache.so --bin $bin --seconds $stress_seconds" ;;
	valgrind) echo "$here/valgrind/run.sh --shim $shim --harness $build/tests/parity-harness --stress $bin/stress" ;;
	*) return 1 ;;
	esac
}

total_pass=0
total_fail=0
for part in $parts; do
	if ! cmd=$(command_of "$part"); then
		echo "FAIL unknown part $part"
		total_fail=$((total_fail + 1))
		continue
	fi
	echo "---- hardening: $part"
	start=$(date +%s)
	log=$(mktemp "${TMPDIR:-/tmp}/trustcache-hardening-$part.XXXXXX")
	# shellcheck disable=SC2086 # the command is a word list of plain paths
	bash $cmd 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^PASS' "$log")
	f=$(grep -c '^FAIL' "$log")
	rm -f "$log"
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL $part: the script exited $rc"
		f=1
	fi
	echo "---- hardening: $part: $p passed, $f failed, $(($(date +%s) - start)) s"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
