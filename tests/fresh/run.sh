#!/usr/bin/env bash
# make check-fresh: the README's two commands on a fresh machine.
#
# A minimal Debian 12 system (debootstrap --variant=minbase, plus only make,
# git and ca-certificates) is built once and cached by tools/debian-env; each
# run takes a fresh scratch copy of it, clones the committed HEAD of this
# checkout into /root/trustcache there, and runs each command in turn, as
# root, from the clone:
#
#   tests/fresh/run.sh                      make demo, then make check
#   tests/fresh/run.sh 'make check-run'     only these commands
#
# Every line of the inner output is shown.  The run fails if any command
# fails; the last lines give each command's result and time.
#
#   FRESH_SUITE=bookworm      the Debian suite of the system
#   FRESH_KEEP=1              keep the scratch system (its path is printed)
#   FRESH_APT_CACHE=DIR       downloaded .deb files kept between runs
#                             (default /var/cache/trustcache/apt-archives;
#                             empty: download every time)
#   TRUSTCACHE_SCRATCH=DIR    where scratch systems go (/var/tmp/trustcache)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd -P)
denv=$top/tools/debian-env
suite=${FRESH_SUITE:-bookworm}
pkgs=(make git ca-certificates)
scratch_root=${TRUSTCACHE_SCRATCH:-/var/tmp/trustcache}
apt_cache=${FRESH_APT_CACHE-/var/cache/trustcache/apt-archives}
if [ $# -gt 0 ]; then cmds=("$@"); else cmds=("make demo" "make check"); fi

say() { echo "check-fresh: $*"; }
now() { date +%s; }

[ "$(id -u)" = 0 ] || { say "must run as root (debootstrap, chroot, mounts)"; exit 1; }

commit=$(git -C "$top" rev-parse HEAD)
if [ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ]; then
    say "uncommitted changes in $top are not part of this run (HEAD ${commit:0:12} is)"
fi

t0=$(now)
sys=$("$denv" --suite "$suite" --cached "${pkgs[@]}")
t_sys=$(($(now) - t0))
say "pristine $suite system: $sys (${t_sys} s)"

mkdir -p "$scratch_root"
scratch=$(mktemp -d "$scratch_root/fresh.XXXXXX")
remove_scratch() {
    if [ -n "${FRESH_KEEP:-}" ]; then
        say "kept $scratch/system"
    else
        "$denv" --remove "$scratch/system" || true
        rmdir "$scratch" 2>/dev/null || true
    fi
}
trap remove_scratch EXIT

t1=$(now)
"$denv" --copy "$sys" "$scratch/system"
git -C "$top" bundle create -q "$scratch/system/root/trustcache.bundle" HEAD
t_copy=$(($(now) - t1))
say "fresh copy in $scratch/system (${t_copy} s)"

# Runs a shell command inside the system, stdin closed, all output shown.
inside() {
    "$denv" --no-src ${apt_cache:+--apt-cache "$apt_cache"} "$scratch/system" -- \
        /bin/sh -c "$1" </dev/null 2>&1
}

inside "git -c advice.detachedHead=false clone -q /root/trustcache.bundle /root/trustcache &&
        rm /root/trustcache.bundle && git -C /root/trustcache log --oneline -1"

results=()
failed=0
last=""
for cmd in "${cmds[@]}"; do
    say "==== $cmd"
    log=$scratch/out.log
    t=$(now)
    rc=0
    inside "cd /root/trustcache && $cmd" | tee "$log" || rc=$?
    secs=$(($(now) - t))
    last=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 || true)
    rm -f "$log"
    if [ "$rc" = 0 ]; then
        results+=("$cmd: passed (${secs} s)")
    else
        results+=("$cmd: FAILED, exit $rc (${secs} s)")
        failed=$((failed + 1))
    fi
done

say "==== results on a fresh $suite system (HEAD ${commit:0:12})"
say "system: ${t_sys} s (cached or built), copy and clone: ${t_copy} s"
for r in "${results[@]}"; do say "$r"; done
say "last line of '${cmds[${#cmds[@]} - 1]}': $last"
say "$((${#cmds[@]} - failed)) passed, $failed failed"
[ "$failed" = 0 ]
