#!/usr/bin/env bash
# shellcheck disable=SC2016 # single-quoted conditions are evaluated by check (lib/common.sh)
# Two OpenSSL copies in one process.
#
# A second copy of the system OpenSSL is made with new sonames
# (libssl-tc2.so.3 / libcrypto-tc2.so.3), as Python wheels vendor theirs.
# Modules linked against either copy, and a module one dependency level above
# a library that links the copy (the libpq shape), are dlopen()ed RTLD_LOCAL
# by a host that either has no OpenSSL in its global scope or links the
# system libssl itself.  Each module loads one bundle through three routes,
# inspects its stores with its own copy's functions, handshakes, and checks
# that a CA added to one context stays there.
#
# Asserted: the transcript with the shim equals the one without it (and both
# exit 0), and the shim's stats show one parse per copy actually in use, one
# cache per copy, and how the copies were found.
#
# usage: run.sh --shim SO [--preload-first SO]
#   --preload-first  a library preloaded before the shim (the ASan runtime,
#                    to run an ASan build of the shim)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

shim="" first=""
while [ $# -gt 0 ]; do
	case $1 in
	--shim) shim=$(realpath "$2"); shift 2 ;;
	--preload-first) first="$(realpath "$2") "; shift 2 ;;
	*) echo "usage: run.sh --shim SO [--preload-first SO]" >&2; exit 2 ;;
	esac
done
if [ -z "$shim" ]; then
	echo "usage: run.sh --shim SO [--preload-first SO]" >&2
	exit 2
fi
clean_env
make_tmp copies
make_fixtures "$tmp/fx"
src=$HARDENING/copies
lib=$HARDENING/lib
sys=$(dirname "$(realpath "$("$CC" -print-file-name=libssl.so.3)")")

# ---------------------------------------------------------------- the copy
# patchelf 0.14 corrupts a library when --set-soname and --replace-needed are
# given in one call, so each change is its own command.
tc2=$tmp/tc2
mkdir -p "$tc2"
cp "$sys/libcrypto.so.3" "$tc2/libcrypto-tc2.so.3"
cp "$sys/libssl.so.3" "$tc2/libssl-tc2.so.3"
patchelf --set-soname libcrypto-tc2.so.3 "$tc2/libcrypto-tc2.so.3"
patchelf --set-soname libssl-tc2.so.3 "$tc2/libssl-tc2.so.3"
patchelf --replace-needed libcrypto.so.3 libcrypto-tc2.so.3 "$tc2/libssl-tc2.so.3"
if readelf -d "$tc2/libssl-tc2.so.3" | grep -q 'NEEDED.*\[libcrypto-tc2\.so\.3\]' &&
	! readelf -d "$tc2/libssl-tc2.so.3" | grep -q 'NEEDED.*\[libcrypto\.so\.3\]'; then
	pass "second copy built" "libssl-tc2.so.3 needs libcrypto-tc2.so.3 only"
else
	fail "second copy built" "$(readelf -d "$tc2/libssl-tc2.so.3" | grep NEEDED)"
fi

# ---------------------------------------------------------------- modules
out=$tmp/bin
mkdir -p "$out"
link_sys="-lssl -lcrypto"
link_tc2="-L$tc2 -l:libssl-tc2.so.3 -l:libcrypto-tc2.so.3 -Wl,-rpath,$tc2"
entry='-DTCMOD_ENTRY=__attribute__((visibility("default")))tcmod_run'
mid_entry='-DTCMOD_ENTRY=__attribute__((visibility("default")))tcmid_run'
build() { # OUTPUT ARGS...
	local o=$1
	shift
	# shellcheck disable=SC2086 # the flag strings are word lists
	if ! $CC $TK_CFLAGS "$@" -o "$o" >"$o.log" 2>&1; then
		cat "$o.log"
		fail "build $(basename "$o")"
		finish
		exit 1
	fi
}
# shellcheck disable=SC2086
{
	build "$out/mod_sys.so" -shared -fPIC "$entry" "$src/module.c" "$lib/tk.c" $link_sys
	build "$out/mod_tc2.so" -shared -fPIC "$entry" "$src/module.c" "$lib/tk.c" $link_tc2
	build "$out/libmid_sys.so" -shared -fPIC "$mid_entry" "$src/module.c" "$lib/tk.c" $link_sys
	build "$out/libmid_tc2.so" -shared -fPIC "$mid_entry" "$src/module.c" "$lib/tk.c" $link_tc2
	build "$out/mod_deep_sys.so" -shared -fPIC -fvisibility=default "$src/deep.c" \
		-L"$out" -l:libmid_sys.so -Wl,-rpath,"$out"
	build "$out/mod_deep_tc2.so" -shared -fPIC -fvisibility=default "$src/deep.c" \
		-L"$out" -l:libmid_tc2.so -Wl,-rpath,"$out"
	build "$out/host_plain" "$src/host.c" -ldl
	build "$out/host_ssl" -DHOST_LINKS_SSL -DTCMOD_ENTRY=host_run "$src/host.c" "$src/module.c" \
		"$lib/tk.c" -Wl,--no-as-needed $link_sys -ldl
}
pass "modules built" "system, copy, and one level down for each"

modules=(sys="$out/mod_sys.so" tc2="$out/mod_tc2.so" deep_tc2="$out/mod_deep_tc2.so"
	deep_sys="$out/mod_deep_sys.so")

# ---------------------------------------------------------------- runs
export SSL_CERT_FILE=$tmp/fx/ab.pem SSL_CERT_DIR=$tmp/fx/hashdir

# run_pair NAME HOST [VAR=VALUE...]: runs HOST without and with the shim (and
# the given settings); compares transcripts.
run_pair() {
	local name=$1 prog=$2 base=$tmp/$1 rc_without=0 rc_with=0 host=$1
	shift 2
	timeout 120 "$out/$prog" "$tmp/fx" "${modules[@]}" >"$base.without" 2>&1 || rc_without=$?
	timeout 120 env TRUSTCACHE_STATS="$base.stats.json" LD_PRELOAD="$first$shim" "$@" \
		"$out/$prog" "$tmp/fx" "${modules[@]}" >"$base.with" 2>&1 || rc_with=$?
	if [ "$rc_without" = 0 ]; then
		pass "$host without shim" "every module verified as expected"
	else
		fail "$host without shim" "exit $rc_without"
		grep -E ': NO|verify=|problems' "$base.without" | head -20
	fi
	if [ "$rc_with" = 0 ]; then
		pass "$host with shim" "no crash, every module verified as expected"
	else
		fail "$host with shim" "exit $rc_with$( [ "$rc_with" -gt 128 ] && echo " (signal $((rc_with - 128)))")"
		tail -20 "$base.with"
	fi
	if diff -u --label without --label with "$base.without" "$base.with" >"$base.diff"; then
		pass "$host parity" "$(wc -l <"$base.with") transcript lines identical"
	else
		fail "$host parity" "transcripts differ"
		cat "$base.diff"
	fi
}

# copies_used NAME: the distinct libcrypto files the modules' calls reached.
copies_used() {
	sed -n 's/^[a-z_0-9]*: copy=\([^ ]*\) .*/\1/p' "$tmp/$1.without" | sort -u
}

# runs_of NAME: how many module runs the transcript holds.
runs_of() {
	grep -c '^[a-z_0-9]*: copy=' "$tmp/$1.without"
}

# check_stats HOST RESOLUTION: the stats of the with-shim run.
check_stats() {
	local host=$1 want_res=$2 f=$tmp/$1.stats.json ncopies res ab runs
	ncopies=$(copies_used "$host" | wc -l)
	runs=$(runs_of "$host")
	if [ ! -s "$f" ]; then
		fail "$host stats" "no stats file written"
		return
	fi
	res=$(stat_of "$f" shim.resolution)
	check "$host stats invariant" "requested = performed + avoided + passthrough" \
		[ "$(stat_of "$f" invariant)" = ok ]
	# Five loads of ab.pem per module run: each copy in use has its own
	# cache entry and parses the file once; every other load is served.
	ab=$(stat_of "$f" 'sum\.ab\.pem')
	check "$host one parse and one cache per copy" "$ncopies copies in use ($(copies_used "$host" | tr '\n' ' ')), $runs runs; ab.pem: $ab" \
		[ "$ab" = "entries=$ncopies performed=$ncopies avoided=$((5 * runs - ncopies))" ]
	# The one missing file per run goes to OpenSSL.
	check "$host failed loads passed through" "passthrough=$(stat_of "$f" ca_loads_passthrough)" \
		'[ "$(stat_of "$f" ca_loads_passthrough)" = "$runs" ] &&
		[ "$(stat_of "$f" passthrough.file_unavailable)" = "$runs" ]'
	check "$host resolution" "resolution=$res, expected $want_res" [ "$res" = "$want_res" ]
}

run_pair host_plain host_plain
# Without OpenSSL in the global scope each module binds to its own copy, and
# RTLD_NEXT finds nothing: the shim must find both copies through the caller.
check "host_plain uses both copies" "$(copies_used host_plain | tr '\n' ' ')" \
	[ "$(copies_used host_plain | tr '\n' ' ')" = "libcrypto-tc2.so.3 libcrypto.so.3 " ]
check_stats host_plain caller

# Mode off: every hook forwards untouched, which must still reach the
# caller's own copy (OpenSSL functions tail-call other hooked functions).
run_pair host_plain_off host_plain TRUSTCACHE_MODE=off
check "host_plain_off nothing served" "avoided=$(stat_of "$tmp/host_plain_off.stats.json" ca_loads_avoided)" \
	[ "$(stat_of "$tmp/host_plain_off.stats.json" ca_loads_avoided)" = 0 ]

run_pair host_ssl host_ssl
# With the system libssl in the global scope the dynamic linker binds every
# module, vendored copy or not, to it (global scope first); the shim must
# follow the dynamic linker, not the module's DT_NEEDED.
check "host_ssl binds every module to the global copy" "$(copies_used host_ssl | tr '\n' ' ')" \
	[ "$(copies_used host_ssl | tr '\n' ' ')" = "libcrypto.so.3 " ]
check_stats host_ssl rtld_next

finish
