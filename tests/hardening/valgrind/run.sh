#!/usr/bin/env bash
# Memcheck with the shim preloaded, on a representative subset: parity
# scenarios (every route kind, isolation, threads, fork) and a short run of
# the thread-stress program.  Any memcheck error fails, and so does any leak,
# reachable or not, except the shim's process-lifetime caches listed (with
# the reasons) in ../valgrind.supp.
#
# usage: run.sh --shim SO --harness PARITY_HARNESS --stress STRESS_BIN
#               [--seconds N] [--threads N]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

scenarios=(route-ctx-default-verify-paths route-ctx-load-verify-locations-file
	route-store-load-locations route-lookup-ctrl-file-load route-load-cert-file-pem bundle-crl
	bundle-corrupt isolation-add-cert isolation-free-order rotate-ca-removed threads-mixed-routes
	fork-after-load)
shim="" harness="" stress="" seconds=3 threads=4
while [ $# -gt 0 ]; do
	case $1 in
	--shim) shim=$(realpath "$2"); shift 2 ;;
	--harness) harness=$(realpath "$2"); shift 2 ;;
	--stress) stress=$(realpath "$2"); shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ -z "$shim" ] || [ -z "$harness" ] || [ -z "$stress" ]; then
	echo "usage: run.sh --shim SO --harness PARITY_HARNESS --stress STRESS_BIN" >&2
	exit 2
fi
clean_env
make_tmp valgrind
make_fixtures "$tmp/fx"
mkdir -p "$tmp/scratch"
memcheck=(valgrind --error-exitcode=97 --num-callers=60 --leak-check=full --show-leak-kinds=all
	--errors-for-leak-kinds=all --track-origins=yes --child-silent-after-fork=yes
	--suppressions="$HARDENING/valgrind.supp")

# memcheck_case NAME CMD...: CMD under memcheck with the shim; its own exit
# status must be 0 and memcheck must report nothing.
memcheck_case() {
	local name=$1 rc=0 summary
	shift
	LD_PRELOAD="$shim" TRUSTCACHE_STATS="$tmp/$name.json" \
		timeout 600 "${memcheck[@]}" --log-file="$tmp/$name.vg" "$@" >"$tmp/$name.out" 2>&1 || rc=$?
	summary=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: //p' "$tmp/$name.vg" | head -1)
	if [ "$rc" = 0 ] && [ "${summary%% *}" = 0 ]; then
		pass "memcheck $name" "${summary%% (*}, served from cache: $(stat_of "$tmp/$name.json" ca_loads_avoided)"
	else
		fail "memcheck $name" "exit $rc$([ "$rc" = 97 ] && echo ' (memcheck errors)'), ${summary:-no summary}"
		grep -v '^==[0-9]*== *$' "$tmp/$name.vg" | grep -A25 -E 'Invalid|uninitialised|lost in|reachable in|Mismatched|overlap' | head -60
		tail -5 "$tmp/$name.out"
	fi
}

memcheck_case parity-subset "$harness" --fixtures "$tmp/fx" --scratch "$tmp/scratch" --threads 4 \
	--timeout 500 "${scenarios[@]}"
SSL_CERT_FILE=$tmp/fx/ab.pem SSL_CERT_DIR=$tmp/fx/hashdir \
	memcheck_case stress "$stress" "$tmp/fx" "$seconds" "$threads"
finish
