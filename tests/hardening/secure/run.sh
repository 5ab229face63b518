#!/usr/bin/env bash
# shellcheck disable=SC2016 # single-quoted conditions are evaluated by check (lib/common.sh)
# Secure execution (setuid): the shim must behave like OpenSSL's own
# secure_getenv there.  A setuid-root copy of a small client is run by an
# unprivileged user (nobody) with the shim preloaded the two ways glibc
# allows for setuid programs:
#   - /etc/ld.so.preload naming the shim (a system-wide install), and
#   - LD_PRELOAD=libtrustcache-test.so, a bare name, with the library in the
#     system library directory carrying the set-user-ID bit (ld.so's rule).
# Both only ever exist inside a private mount namespace (overlay mounts on
# /etc and the library directory), so nothing outside this test sees them and
# they vanish when it ends, whatever happens.
#
# Asserted for the setuid runs: every TRUSTCACHE_* setting is ignored (mode
# off has no effect, no stats file, no stats on stderr, no warning for a bad
# value); SSL_CERT_FILE pointing at an attacker's root is not honoured, so
# the attacker is never trusted, exactly as without the shim.  Controls run
# the same client without the setuid bit to show each setting does work.
#
# usage: run.sh --shim SO --client BIN      (as root)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

multiarch=/usr/lib/$("$CC" -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
user_id=65534 # nobody

# ---------------------------------------------------------------- inside
# run.sh --inside MODE TMP: runs in the private mount namespace.  MODE is
# etc-preload or system-dir.  Writes each case's output under TMP/out.

# run_case TMP NAME BINARY [VAR=VALUE...]: runs BINARY as nobody with a clean
# environment plus the given settings; saves stdout, stderr and exit status.
run_case() {
	local t=$1 name=$2 bin=$3 rc=0
	shift 3
	timeout 60 setpriv --reuid=$user_id --regid=$user_id --clear-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@" "$bin" "$t/fx" \
		>"$t/out/$name.out" 2>"$t/out/$name.err" || rc=$?
	echo "$rc" >"$t/out/$name.rc"
}

# The settings an attacker controls in every setuid case.
attacker_env() { # TMP STATS_NAME
	echo "SSL_CERT_FILE=$1/fx/caE.pem TRUSTCACHE_MODE=off TRUSTCACHE_STATS=$1/stats/$2-%p.json TRUSTCACHE_MAX_BUNDLES=bogus"
}

overlay() { # DIR TMP NAME: a writable overlay on DIR, private to this namespace
	mkdir -p "$2/ov/$3/upper" "$2/ov/$3/work"
	mount -t overlay "tc-$3" -o "lowerdir=$1,upperdir=$2/ov/$3/upper,workdir=$2/ov/$3/work" "$1"
}

inside() {
	local mode=$1 t=$2
	# shellcheck disable=SC2046 # attacker_env is a word list on purpose
	case $mode in
	etc-preload)
		overlay /etc "$t" etc
		echo "$t/lib/libtrustcache.so" >/etc/ld.so.preload
		run_case "$t" setuid_preload "$t/bin/client-setuid" $(attacker_env "$t" setuid_preload)
		run_case "$t" setuid_preload_stderr "$t/bin/client-setuid" TRUSTCACHE_STATS=stderr
		run_case "$t" plain_preload "$t/bin/client-plain" $(attacker_env "$t" plain_preload)
		run_case "$t" plain_preload_on "$t/bin/client-plain" TRUSTCACHE_STATS="$t/stats/plain_preload_on-%p.json"
		;;
	system-dir)
		overlay "$multiarch" "$t" lib
		cp "$t/lib/libtrustcache.so" "$multiarch/libtrustcache-test.so"
		chmod 4644 "$multiarch/libtrustcache-test.so"
		run_case "$t" setuid_sysdir "$t/bin/client-setuid" LD_PRELOAD=libtrustcache-test.so \
			$(attacker_env "$t" setuid_sysdir)
		;;
	esac
}

if [ "${1:-}" = --inside ]; then
	inside "$2" "$3"
	exit 0
fi

# ---------------------------------------------------------------- outside
shim="" client=""
while [ $# -gt 0 ]; do
	case $1 in
	--shim) shim=$(realpath "$2"); shift 2 ;;
	--client) client=$(realpath "$2"); shift 2 ;;
	*) echo "usage: run.sh --shim SO --client BIN" >&2; exit 2 ;;
	esac
done
if [ -z "$shim" ] || [ -z "$client" ]; then echo "usage: run.sh --shim SO --client BIN" >&2; exit 2; fi
clean_env
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! unshare -m true 2>/dev/null; then
	fail "secure execution" "needs root, setpriv and unshare -m (mount namespaces) to run a setuid client"
	finish
	exit 1
fi
# What the machine looked like before: it must look the same afterwards.
state() { md5sum /etc/ld.so.preload 2>/dev/null || echo "no /etc/ld.so.preload"; stat -c "%n %a %s" "$multiarch/libtrustcache-test.so" 2>/dev/null || echo "no test library"; }
before=$(state)
make_tmp secure
make_fixtures "$tmp/fx"
mkdir -p "$tmp/bin" "$tmp/lib" "$tmp/out" "$tmp/stats"
cp "$client" "$tmp/bin/client-plain"
cp "$client" "$tmp/bin/client-setuid"
chown root:root "$tmp/bin/client-setuid"
chmod 4755 "$tmp/bin/client-setuid"
install -m 0644 "$shim" "$tmp/lib/libtrustcache.so"
# nobody must reach the programs and fixtures, and may write stats files.
chmod 0755 "$tmp" "$tmp/bin" "$tmp/lib" "$tmp/fx"
chmod -R a+rX "$tmp/fx"
chmod 1777 "$tmp/stats"

# Without the shim, and with an absolute LD_PRELOAD (which glibc drops for setuid).
# shellcheck disable=SC2046
{
	run_case "$tmp" plain "$tmp/bin/client-plain" $(attacker_env "$tmp" plain)
	run_case "$tmp" setuid "$tmp/bin/client-setuid" $(attacker_env "$tmp" setuid)
	run_case "$tmp" setuid_abs "$tmp/bin/client-setuid" LD_PRELOAD="$tmp/lib/libtrustcache.so" \
		$(attacker_env "$tmp" setuid_abs)
}
unshare -m --propagation private "$0" --inside etc-preload "$tmp"
unshare -m --propagation private "$0" --inside system-dir "$tmp"

# ---------------------------------------------------------------- checks
val() { sed -n "s/^$2=//p" "$tmp/out/$1.out"; } # CASE KEY
show() { tr '\n' ' ' <"$tmp/out/$1.out"; }
ran() { # CASE: exited 0 and printed a verify line
	[ "$(cat "$tmp/out/$1.rc")" = 0 ] && [ -n "$(val "$1" verify)" ]
}
stats_files() { find "$tmp/stats" -name "$1-*.json" | wc -l; }
sys_certs=$(val setuid certs)

check "control: SSL_CERT_FILE honoured without setuid" "$(show plain)" \
	'[ "$(val plain secure)" = 0 ] && [ "$(val plain attacker)" = 1 ] && [ "$(val plain verify)" = 0 ]'
check "setuid without shim ignores SSL_CERT_FILE" "$(show setuid)" \
	'ran setuid && [ "$(val setuid secure)" = 1 ] && [ "$(val setuid attacker)" = 0 ] &&
	[ "$(val setuid verify)" = 20 ] && [ "$sys_certs" -gt 1 ]'
check "setuid drops an absolute LD_PRELOAD" "$(show setuid_abs)" \
	'ran setuid_abs && [ "$(val setuid_abs shim)" = absent ]'

# setuid_case CASE HOW: the shim is loaded and active, and ignores everything.
setuid_case() {
	local c=$1 how=$2
	check "$how: shim loaded into the setuid client" "$(show "$c")" \
		'ran "$c" && [ "$(val "$c" secure)" = 1 ] && [ "$(val "$c" shim)" = loaded ]'
	check "$how: TRUSTCACHE_MODE=off ignored (the cache still serves)" "shared=$(val "$c" shared)" \
		[ "$(val "$c" shared)" = 1 ]
	check "$how: SSL_CERT_FILE not honoured, attacker never trusted" \
		"attacker=$(val "$c" attacker) verify=$(val "$c" verify) certs=$(val "$c" certs), without shim $sys_certs" \
		'[ "$(val "$c" attacker)" = 0 ] && [ "$(val "$c" verify)" = 20 ] && [ "$(val "$c" certs)" = "$sys_certs" ]'
	check "$how: TRUSTCACHE_STATS writes no file" "$(stats_files "$c") files" [ "$(stats_files "$c")" = 0 ]
	check "$how: nothing on stderr (no warning for a bad value)" "$(head -c 200 "$tmp/out/$c.err")" \
		[ ! -s "$tmp/out/$c.err" ]
}
setuid_case setuid_preload "ld.so.preload"
check "ld.so.preload: TRUSTCACHE_STATS=stderr ignored" "$(head -c 200 "$tmp/out/setuid_preload_stderr.err")" \
	'ran setuid_preload_stderr && [ ! -s "$tmp/out/setuid_preload_stderr.err" ]'
setuid_case setuid_sysdir "LD_PRELOAD by name from the system directory"

# Controls: the same settings do work for the same client without setuid.
check "control: TRUSTCACHE_MODE=off honoured without setuid" "$(show plain_preload)" \
	'ran plain_preload && [ "$(val plain_preload shim)" = loaded ] && [ "$(val plain_preload shared)" = 0 ] &&
	[ "$(val plain_preload attacker)" = 1 ]'
check "control: bad value warned about without setuid" "$(head -c 200 "$tmp/out/plain_preload.err")" \
	grep -q '^trustcache: TRUSTCACHE_MAX_BUNDLES=bogus' "$tmp/out/plain_preload.err"
check "control: the cache serves and writes stats without setuid" \
	"shared=$(val plain_preload_on shared), $(stats_files plain_preload_on) stats file" \
	'[ "$(val plain_preload_on shared)" = 1 ] && [ "$(stats_files plain_preload_on)" = 1 ]'
check "nothing left behind" "/etc/ld.so.preload and $multiarch as before" [ "$(state)" = "$before" ]
finish
