#!/usr/bin/env bash
# The shim preloaded together with a replacement allocator, in both orders.
#
#  1. Parity under jemalloc and tcmalloc.  Interposers that call dlsym have
#     hung with these (dlsym allocates; the allocator initialises lazily), so
#     every run is bounded by a timeout, and parity must hold: a subset of the
#     parity suite (with its own without-shim baseline and stats checks) and
#     Python ssl clients whose transcript must equal the one without any
#     preload.  The stats must stay honest too: a memory estimate for the
#     loads avoided.
#  2. Concurrent first loads under glibc malloc, jemalloc, tcmalloc, mimalloc
#     and own_malloc.c (an allocator of this tree the shim cannot recognise):
#     first-loads (first_loads.c) RUNS times each, THREADS threads making the
#     process's first loads of THREADS different bundles at once, each load
#     proven by its store and by handshakes.  The preload order alternates
#     from run to run.  Any signal death, hang or wrong result fails; the
#     counts and the first failing run's output are printed.
#
# usage: run.sh --shim SO --harness PARITY_HARNESS [--allocators "NAME=SO ..."]
#               [--scenarios "NAME ..."] [--first-loads BIN --own-malloc SO]
#               [--runs N] [--threads N] [--bundle-certs N]
#               [--first-load-allocators "NAME=SO ..."]
#               [--skip-parity]
#   --first-loads   the first-loads program; without it part 2 is skipped
#   --own-malloc    own_malloc.c built as a shared library
#   --runs          runs of first-loads per allocator (default 100)
#   --threads       threads (and bundles) per run (default 8)
#   --bundle-certs  system CAs in each bundle, besides its throwaway root
#                   (default 24: enough that the parses overlap, small
#                   enough for RUNS runs per allocator in make check)
#   --first-load-allocators  "NAME=SO ..." for part 2; NAME= (empty) is glibc
#   --skip-parity   part 2 only
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

multiarch=/usr/lib/$("$CC" -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
allocators="jemalloc=$multiarch/libjemalloc.so.2 tcmalloc=$multiarch/libtcmalloc_minimal.so.4"
# Routes, isolation, threads and fork: where allocation meets the hooks.
scenarios="route-ctx-default-verify-paths route-ctx-load-verify-locations-file route-store-load-file
route-lookup-ctrl-file-load isolation-add-cert isolation-free-order threads-mixed-routes
threads-same-bundle fork-after-load rotate-ca-removed"
shim="" harness="" first_loads="" own_malloc="" runs=100 threads=8 bundle_certs=24 skip_parity=0 first_load_allocators=""
while [ $# -gt 0 ]; do
	case $1 in
	--shim) shim=$(realpath "$2"); shift 2 ;;
	--harness) harness=$(realpath "$2"); shift 2 ;;
	--allocators) allocators=$2; shift 2 ;;
	--scenarios) scenarios=$2; shift 2 ;;
	--first-loads) first_loads=$(realpath "$2"); shift 2 ;;
	--own-malloc) own_malloc=$(realpath "$2"); shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--threads) threads=$2; shift 2 ;;
	--bundle-certs) bundle_certs=$2; shift 2 ;;
	--first-load-allocators) first_load_allocators=$2; shift 2 ;;
	--skip-parity) skip_parity=1; shift ;;
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

# Part 1: parity subsets and Python clients under each allocator.
parity_part() {
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
				grep -v '^PASS' "$tmp/parity.out" | head -300
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
}

# make_bundles DIR N CERTS: bundle0.pem .. bundle<N-1>.pem in DIR, bundle I
# the root "ABCDE"[I % 5] followed by CERTS system CAs starting at the
# (I*7)th, so every file differs (its own cache entry, its own parse) and
# all take about as long to parse.
make_bundles() {
	local dir=$1 n=$2 want=$3 i roots=ABCDE system=/etc/ssl/certs/ca-certificates.crt
	if [ "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$system" 2>/dev/null || echo 0)" -lt 20 ]; then
		echo "FAIL first-load bundles: $system is missing or has fewer than 20 CAs (package ca-certificates)"
		return 1
	fi
	awk -v dir="$dir" -v n="$n" -v want="$want" '
		/-----BEGIN CERTIFICATE-----/ { inside = 1; cur = "" }
		inside { cur = cur $0 "\n" }
		/-----END CERTIFICATE-----/ { inside = 0; certs[m++] = cur }
		END {
			for (i = 0; i < n; i++) {
				f = dir "/system" i ".pem"
				for (k = 0; k < want && k < m; k++)
					printf "%s", certs[(k + i * 7) % m] > f
				close(f)
			}
		}' "$system"
	for ((i = 0; i < n; i++)); do
		cat "$dir/ca${roots:i%5:1}.pem" "$dir/system$i.pem" >"$dir/bundle$i.pem"
		rm -f "$dir/system$i.pem"
	done
}

# symbolize: copies its input; a stack line "OBJECT(+0xOFFSET)[ADDRESS]" (as
# first-loads prints on a crash) gets the function and source line of its
# call site appended, when addr2line finds them.
symbolize() {
	local line where
	while IFS= read -r line; do
		where=""
		if [[ $line =~ ^([^\(]+)\(\+(0x[0-9a-f]+)\) ]]; then
			where=$(addr2line -f -p -i -e "${BASH_REMATCH[1]}" \
				"$(printf '%#x' $((BASH_REMATCH[2] - 1)))" 2>/dev/null | tr '\n' ' ') || where=""
			[[ $where == *'??'* ]] && where=""
		fi
		echo "$line${where:+  $where}"
	done
}

# signal_name N: SIGSEGV for 11, ...
signal_name() {
	local name
	name=$(kill -l "$1" 2>/dev/null) || name=$1
	echo "SIG$name"
}

# Part 2: first-loads RUNS times under each allocator, the shim preloaded.
first_loads_part() {
	local spec name so run rc preload order crashes wrong hangs signals first_bad label detail performed avoided
	local multi=$multiarch
	if [ -z "$first_load_allocators" ]; then
		first_load_allocators="glibc= jemalloc=$multi/libjemalloc.so.2 tcmalloc=$multi/libtcmalloc_minimal.so.4
mimalloc=$multi/libmimalloc.so.2 own_malloc=$own_malloc"
	fi
	make_bundles "$tmp/fx" "$threads" "$bundle_certs" || {
		failed=$((failed + 1))
		return
	}
	# The program itself, without any preload: every result as expected.
	rc=0
	timeout 60 "$first_loads" "$tmp/fx" "$threads" >"$tmp/first.out" 2>&1 || rc=$?
	if [ "$rc" != 0 ]; then
		fail "first loads without preloads" "exit $rc"
		sed 's/^/  output: /' "$tmp/first.out" | head -40
		return
	fi
	pass "first loads without preloads" "$(tail -1 "$tmp/first.out")"
	mkdir -p "$tmp/stats"
	for spec in $first_load_allocators; do
		name=${spec%%=*}
		so=${spec#*=}
		if [ -n "$so" ] && [ ! -e "$so" ]; then
			fail "first loads under $name" "$so is missing"
			continue
		fi
		crashes=0 wrong=0 hangs=0 signals="" first_bad=""
		for ((run = 1; run <= runs; run++)); do
			if [ -z "$so" ]; then
				preload=$shim order="shim only"
			elif [ $((run % 2)) = 1 ]; then
				preload="$so $shim" order="allocator first"
			else
				preload="$shim $so" order="shim first"
			fi
			rc=0
			# The first run also writes stats, to show the shim did the loads.
			# (The braces keep bash's "Segmentation fault" notices out of the log.)
			if [ "$run" = 1 ]; then
				{ LD_PRELOAD="$preload" TRUSTCACHE_STATS="$tmp/stats/$name.json" \
					timeout 30 "$first_loads" "$tmp/fx" "$threads" >"$tmp/run.out" 2>&1; } 2>/dev/null || rc=$?
			else
				{ LD_PRELOAD="$preload" \
					timeout 30 "$first_loads" "$tmp/fx" "$threads" >"$tmp/run.out" 2>&1; } 2>/dev/null || rc=$?
			fi
			case $rc in
			0) continue ;;
			124) hangs=$((hangs + 1)) detail="hung (ended after 30 s)" ;;
			12[5-9]) wrong=$((wrong + 1)) detail="timeout(1) exited $rc" ;;
			1[3-9][0-9] | 2[0-9][0-9])
				crashes=$((crashes + 1))
				detail="died from $(signal_name $((rc - 128)))"
				signals="$signals $(signal_name $((rc - 128)))"
				;;
			*) wrong=$((wrong + 1)) detail="exited $rc (wrong results)" ;;
			esac
			if [ -z "$first_bad" ]; then
				first_bad="run $run ($order): $detail"
				cp "$tmp/run.out" "$tmp/first-bad.out"
			fi
		done
		label="first loads under $name"
		detail="$runs runs, $crashes crashes, $wrong wrong, $hangs hangs; $threads threads, $(grep -c -- '-----BEGIN CERTIFICATE-----' "$tmp/fx/bundle0.pem") certificates a bundle"
		if [ $((crashes + wrong + hangs)) = 0 ]; then
			pass "$label" "$detail"
		else
			if [ -n "$signals" ]; then
				detail="$detail;$(tr ' ' '\n' <<<"$signals" | sed '/^$/d' | sort | uniq -c | awk '{printf " %s x%s", $2, $1}')"
			fi
			fail "$label" "$detail"
			echo "  first failure: $first_bad; its output:"
			symbolize <"$tmp/first-bad.out" | sed 's/^/  output: /' | head -60
		fi
		performed=$(stat_of "$tmp/stats/$name.json" ca_loads_performed)
		avoided=$(stat_of "$tmp/stats/$name.json" ca_loads_avoided)
		detail="performed=${performed:-none} avoided=${avoided:-none} in run 1 ($threads bundles, each loaded twice)"
		if [ "${performed:-0}" -ge "$threads" ] 2>/dev/null; then
			pass "$label: the shim parsed every bundle" "$detail"
		else
			fail "$label: the shim parsed every bundle" "$detail"
		fi
	done
}

if [ "$skip_parity" = 0 ]; then
	parity_part
fi
if [ -n "$first_loads" ]; then
	if [ -z "$own_malloc" ]; then
		fail "first loads" "--own-malloc is needed with --first-loads"
	else
		first_loads_part
	fi
fi
finish
