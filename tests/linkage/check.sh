#!/usr/bin/env bash
# Linkage check of the built shim.
#
#  - No DT_NEEDED on libssl or libcrypto: the shim finds OpenSSL at run time,
#    in whichever copy the process already has; it must never bring one in.
#    Nothing but libc (and, on glibc before 2.34, libdl and libpthread):
#    every thread-local uses the initial-exec model, so not even ld.so for
#    __tls_get_addr.
#  - The dynamic symbol table exports exactly the TC_HOOK names of
#    ossl_api.def (no internal tc_* symbol leaks), and the shim references no
#    OpenSSL symbol directly.
#  - Preloaded into programs that never use OpenSSL (sh, ls, grep) it loads no
#    OpenSSL, stays silent, writes no stats file; a bad setting costs exactly
#    one "trustcache:" line on stderr and the program runs on.
#
# usage: check.sh SHIM.so OSSL_API.def
#   PYTHON (default python3) runs the one positive control that does use
#   OpenSSL, so that "no stats file" is known to mean something.
set -u

if [ $# -ne 2 ]; then
	echo "usage: check.sh SHIM.so OSSL_API.def" >&2
	exit 2
fi
so=$(realpath "$1")
def=$2
python=${PYTHON:-python3}
passed=0
failed=0

pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}

# fail NAME [DETAIL...]: each detail line is printed indented under it.
fail() {
	echo "FAIL $1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/    /'
	done
	failed=$((failed + 1))
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/tc-linkage.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Runs a command with the shim preloaded and no TRUSTCACHE_* setting other
# than the ones given as NAME=VALUE before the command.
#   preload [NAME=VALUE...] -- CMD [ARG...]
# Sets out, err (captured text) and rc.
preload() {
	local -a settings=()
	while [ "$1" != "--" ]; do
		settings+=("$1")
		shift
	done
	shift
	local -a clean=()
	local name
	for name in $(env | sed -n 's/^\(TRUSTCACHE_[A-Za-z0-9_]*\)=.*/\1/p'); do
		clean+=(-u "$name")
	done
	env "${clean[@]}" LD_PRELOAD="$so" "${settings[@]}" "$@" >"$scratch/out" 2>"$scratch/err"
	rc=$?
	out=$(cat "$scratch/out")
	err=$(cat "$scratch/err")
}

lines() {
	if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l; fi
}

# ---------------------------------------------------------------- the file
if [ ! -f "$so" ] || ! readelf -h "$so" 2>/dev/null | grep -q 'Type:[[:space:]]*DYN'; then
	fail "shared object exists: $so"
	echo "0 passed, 1 failed"
	exit 1
fi
pass "shared object exists: $1"

needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
if printf '%s\n' "$needed" | grep -Eq '^lib(ssl|crypto)[.]'; then
	fail "no DT_NEEDED on libssl/libcrypto" "NEEDED: $(echo "$needed" | tr '\n' ' ')"
else
	pass "no DT_NEEDED on libssl/libcrypto (NEEDED: $(echo "$needed" | tr '\n' ' '))"
fi
others=$(printf '%s\n' "$needed" | grep -Ev '^(libc[.]so[.]6|libdl[.]so[.]2|libpthread[.]so[.]0)$')
if [ -n "$others" ]; then
	fail "DT_NEEDED only on libc" "also: $(echo "$others" | tr '\n' ' ')"
else
	pass "DT_NEEDED only on libc"
fi

# ---------------------------------------------------------------- symbols
expected=$(sed -n 's/^TC_HOOK(\([A-Za-z0-9_]*\)).*/\1/p' "$def" | sort -u)
exported=$(nm -D --defined-only "$so" | awk '{print $NF}' | sort -u)
if [ -z "$expected" ]; then
	fail "ossl_api.def lists TC_HOOK names" "none found in $def"
else
	pass "ossl_api.def lists $(lines "$expected") TC_HOOK names"
fi
extra=$(comm -13 <(echo "$expected") <(echo "$exported"))
missing=$(comm -23 <(echo "$expected") <(echo "$exported"))
if [ -n "$extra" ] || [ -n "$missing" ]; then
	details=()
	[ -n "$extra" ] && details+=("exported but not a hook: $(echo "$extra" | tr '\n' ' ')")
	[ -n "$missing" ] && details+=("hook not exported: $(echo "$missing" | tr '\n' ' ')")
	fail "exported symbols are exactly the TC_HOOK names" "${details[@]}"
else
	pass "exported symbols are exactly the $(lines "$exported") TC_HOOK names"
fi
internal=$(echo "$exported" | grep '^tc_' || true)
if [ -n "$internal" ]; then
	fail "no internal tc_* symbol exported" "$internal"
else
	pass "no internal tc_* symbol exported"
fi
not_func=$(nm -D --defined-only "$so" | awk '$2 != "T" {print $NF " (" $2 ")"}')
if [ -n "$not_func" ]; then
	fail "every export is a function" "$not_func"
else
	pass "every export is a function"
fi
# A direct call into OpenSSL would leave an undefined reference that binds to
# whichever copy the loader finds first (or none at all).
ossl_refs=$(nm -D --undefined-only "$so" | awk '{print $NF}' |
	grep -E '^(SSL|X509|EVP|ERR|OPENSSL|CRYPTO|BIO|PEM|OSSL|ASN1|d2i|i2d)_' || true)
if [ -n "$ossl_refs" ]; then
	fail "no undefined reference to an OpenSSL symbol" "$ossl_refs"
else
	pass "no undefined reference to an OpenSSL symbol"
fi

# ---------------------------------------------------------------- preloaded, no OpenSSL
base=$(basename "$so")
preload -- grep -c "$base" /proc/self/maps
if [ "$rc" -eq 0 ] && [ "${out:-0}" -ge 1 ]; then
	pass "the shim is mapped when preloaded into grep (control)"
else
	fail "the shim is mapped when preloaded into grep (control)" "rc=$rc out=$out" "$err"
fi
for lib in libcrypto libssl; do
	preload -- grep -c "$lib" /proc/self/maps
	if [ "$out" = 0 ] && [ -z "$err" ]; then
		pass "grep with the shim preloaded maps no $lib"
	else
		fail "grep with the shim preloaded maps no $lib" "count=$out" "$err"
	fi
done

# The dynamic loader reports every object it loads, dlopen included.
for cmd in "sh -c :" "ls /"; do
	read -r -a argv <<<"$cmd"
	preload LD_DEBUG=libs -- "${argv[@]}"
	if [ "$rc" -ne 0 ]; then
		fail "$cmd runs with the shim preloaded" "rc=$rc" "$err"
		continue
	fi
	if ! printf '%s\n' "$err" | grep -q "calling init: .*$base"; then
		fail "$cmd: the shim's initializer ran (control)" "$(printf '%s\n' "$err" | tail -5)"
		continue
	fi
	loaded=$(printf '%s\n' "$err" | grep -E 'lib(ssl|crypto)[.]so' || true)
	if [ -n "$loaded" ]; then
		fail "$cmd with the shim preloaded loads no libssl/libcrypto" "$loaded"
	else
		pass "$cmd with the shim preloaded loads no libssl/libcrypto"
	fi
done

for cmd in "sh -c :" "ls /"; do
	read -r -a argv <<<"$cmd"
	preload -- "${argv[@]}"
	if [ "$rc" -eq 0 ] && [ -z "$err" ]; then
		pass "$cmd with the shim preloaded: exit 0, nothing on stderr"
	else
		fail "$cmd with the shim preloaded: exit 0, nothing on stderr" "rc=$rc" "$err"
	fi
done

# ---------------------------------------------------------------- bad settings
for setting in TRUSTCACHE_MODE=bogus TRUSTCACHE_MAX_BUNDLES=abc TRUSTCACHE_STATS_FORMAT=xml \
	TRUSTCACHE_SHARE=maybe; do
	preload "$setting" -- sh -c 'echo ran'
	if [ "$rc" -eq 0 ] && [ "$out" = ran ] && [ "$(lines "$err")" -eq 1 ] &&
		[ "${err#trustcache:}" != "$err" ]; then
		pass "$setting: one \"trustcache:\" line on stderr, program runs, exit 0"
	else
		fail "$setting: one \"trustcache:\" line on stderr, program runs, exit 0" \
			"rc=$rc stdout=$out" "stderr ($(lines "$err") lines):" "$err"
	fi
done
preload TRUSTCACHE_MODE=bogus -- true
if [ "$rc" -eq 0 ] && [ "$(lines "$err")" -eq 1 ] && [ "${err#trustcache:}" != "$err" ]; then
	pass "TRUSTCACHE_MODE=bogus with true: one \"trustcache:\" line, exit 0"
else
	fail "TRUSTCACHE_MODE=bogus with true: one \"trustcache:\" line, exit 0" "rc=$rc" "$err"
fi

# ---------------------------------------------------------------- stats without OpenSSL
mkdir "$scratch/stats"
for cmd in "sh -c :" "ls /" "grep -c x /proc/self/maps"; do
	read -r -a argv <<<"$cmd"
	preload "TRUSTCACHE_STATS=$scratch/stats/stats-%p.json" -- "${argv[@]}"
	written=$(find "$scratch/stats" -mindepth 1 | head -5)
	if [ -z "$written" ] && [ -z "$err" ]; then
		pass "TRUSTCACHE_STATS=<file>, $cmd (no OpenSSL): no file written"
	else
		fail "TRUSTCACHE_STATS=<file>, $cmd (no OpenSSL): no file written" "$written" "$err"
	fi
	rm -rf "${scratch:?}/stats/"*
done
preload TRUSTCACHE_STATS=stderr -- sh -c :
if [ "$rc" -eq 0 ] && [ -z "$err" ]; then
	pass "TRUSTCACHE_STATS=stderr, sh -c : (no OpenSSL): nothing on stderr"
else
	fail "TRUSTCACHE_STATS=stderr, sh -c : (no OpenSSL): nothing on stderr" "$err"
fi

# Control: a process that does use OpenSSL writes exactly one, valid, file.
preload "TRUSTCACHE_STATS=$scratch/stats/stats-%p.json" -- \
	"$python" -c 'import ssl; ssl.create_default_context()'
mapfile -t written < <(find "$scratch/stats" -mindepth 1)
if [ "$rc" -eq 0 ] && [ "${#written[@]}" -eq 1 ] &&
	"$python" -c 'import json, sys; json.load(open(sys.argv[1]))' "${written[0]}" 2>/dev/null; then
	pass "TRUSTCACHE_STATS=<file>, $python using ssl: one JSON file written (control)"
else
	fail "TRUSTCACHE_STATS=<file>, $python using ssl: one JSON file written (control)" \
		"rc=$rc files: ${written[*]:-none}" "$err"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
