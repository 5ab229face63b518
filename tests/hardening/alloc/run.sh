#!/usr/bin/env bash
# The shim preloaded together with a replacement allocator (jemalloc,
# tcmalloc), in both orders.  Interposers that call dlsym have hung with
# these (dlsym allocates; the allocator initialises lazily), so every run is
# bounded by a timeout, and parity must hold: a subset of the parity suite
# (with its own without-shim baseline and stats checks) and Python ssl
# clients whose transcript must equal the one without any preload.  The
# stats must stay honest too: a memory estimate for the loads avoided.
#
# usage: run.sh --shim SO --harness PARITY_HARNESS [--allocators "NAME=SO ..."]
#               [--scenarios "NAME ..."]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

multiarch=/usr/lib/$("$CC" -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
allocators="jemalloc=$multiarch/libjemalloc.so.2 tcmalloc=$multiarch/libtcmalloc_minimal.so.4"
# Routes, isolation, threads and fork: where allocation meets the hooks.
scenarios="route-ctx-default-verify-paths route-ctx-load-verify-locations-file route-store-load-file
route-lookup-ctrl-file-load isolation-add-cert isolation-free-order threads-mixed-routes
threads-same-bundle fork-after-load rotate-ca-removed"
shim="" harness=""
while [ $# -gt 0 ]; do
	case $1 in
	--shim) shim=$(realpath "$2"); shift 2 ;;
	--harness) harness=$(realpath "$2"); shift 2 ;;
	--allocators) allocators=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
if [ -z "$shim" ] || [ -z "$harness" ]; then
	echo "usage: run.sh --shim SO --harness PARITY_HARNESS [options]" >&2
	exit 2
fi
clean_env
make_tmp alloc
make_fixtures "$tmp/fx"
read -r -a scenario_list <<<"$(echo "$scenarios" | tr '\n' ' ')"

"$PYTHON" "$HARDENING/alloc/tls_check.py" "$tmp/fx" >"$tmp/python.baseline" 2>&1 ||
	fail "python baseline" "$(cat "$tmp/python.baseline")"

for spec in $allocators; do
	name=${spec%%=*}
	so=${spec#*=}
	if [ ! -e "$so" ]; then
		fail "$name present" "$so is missing"
		continue
	fi
	for order in allocator-first shim-first; do
		label="$name $order"
		# run.sh preloads "FIRST SHIM"; for the shim-first order the allocator
		# simply takes the second place.
		if [ "$order" = allocator-first ]; then
			first=$so second=$shim preload="$so $shim"
		else
			first=$shim second=$so preload="$shim $so"
		fi
		rc=0
		timeout 300 "$REPO/tests/parity/run.sh" --harness "$harness" --shim "$second" \
			--preload-first "$first" "${scenario_list[@]}" >"$tmp/parity.out" 2>&1 || rc=$?
		if [ "$rc" = 0 ]; then
			pass "$label: parity subset" "$(tail -1 "$tmp/parity.out")"
		else
			fail "$label: parity subset" "exit $rc$([ "$rc" = 124 ] && echo ' (timed out: hang)')"
			grep -v '^PASS' "$tmp/parity.out" | head -30
		fi

		rc=0
		LD_PRELOAD="$preload" TRUSTCACHE_STATS="$tmp/py.json" \
			timeout 120 "$PYTHON" "$HARDENING/alloc/tls_check.py" "$tmp/fx" >"$tmp/python.out" 2>&1 || rc=$?
		if [ "$rc" = 0 ] && cmp -s "$tmp/python.baseline" "$tmp/python.out"; then
			pass "$label: python ssl parity" "$(wc -l <"$tmp/python.out") lines as without preloads"
		else
			fail "$label: python ssl parity" "exit $rc$([ "$rc" = 124 ] && echo ' (timed out: hang)')"
			diff -u "$tmp/python.baseline" "$tmp/python.out" || true
		fi
		# The shim really served Python's loads under this allocator.
		check "$label: python loads served" \
			"avoided=$(stat_of "$tmp/py.json" ca_loads_avoided) resolution=$(stat_of "$tmp/py.json" shim.resolution)" \
			[ "$(stat_of "$tmp/py.json" ca_loads_avoided)" -gt 0 ] 2>/dev/null
		# Honest numbers: avoided loads did avoid parsed certificates in memory,
		# whichever allocator provided it.
		check "$label: memory estimate reported" \
			"bytes_avoided_estimate=$(stat_of "$tmp/py.json" bytes_avoided_estimate) for $(stat_of "$tmp/py.json" ca_loads_avoided) avoided loads" \
			[ "$(stat_of "$tmp/py.json" bytes_avoided_estimate)" -gt 0 ] 2>/dev/null
		rm -f "$tmp/py.json"
	done
done
finish
