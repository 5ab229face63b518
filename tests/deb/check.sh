#!/usr/bin/env bash
# make check-deb: the Debian package on a fresh minimal Debian 12.
#
#   tests/deb/check.sh build/deb/bookworm/trustcache_..._amd64.deb
#
# A minimal Debian 12 system (debootstrap --variant=minbase plus python3 and
# ca-certificates, built once and cached by tools/debian-env) is copied
# fresh for the run; inside it, as root:
#
#   1. apt-get install ./the.deb: it installs, and depends on no libssl;
#   2. trustcache-run --check python3 says Python can benefit;
#   3. a Python client started by trustcache-run --stats FILE makes N
#      contexts with ssl.create_default_context(): the library it preloads
#      is the packaged one, and the stats say the bundle was parsed once
#      (ca_loads_performed 1) and served the other N-1 times;
#   4. apt-get purge removes every file dpkg -L listed before, and every
#      folder no other package owns.
#
# One PASS or FAIL line per check, then "N passed, M failed".
#
#   CHECK_DEB_SUITE=bookworm     the Debian suite of the system
#   CHECK_DEB_KEEP=1             keep the scratch system (its path is printed)
#   FRESH_APT_CACHE=DIR          as for make check-fresh
#   TRUSTCACHE_SCRATCH=DIR       where scratch systems go (/var/tmp/trustcache)
set -euo pipefail

if [ $# != 1 ] || [ ! -f "$1" ]; then
    echo "usage: $0 PACKAGE.deb" >&2
    exit 2
fi
deb=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
top=$(cd "$(dirname "$0")/../.." && pwd -P)
denv=$top/tools/debian-env
suite=${CHECK_DEB_SUITE:-bookworm}
apt_cache=${FRESH_APT_CACHE-/var/cache/trustcache/apt-archives}

say() { echo "check-deb: $*"; }
[ "$(id -u)" = 0 ] || { say "must run as root (debootstrap, chroot, mounts)"; exit 1; }

t0=$(date +%s)
sys=$("$denv" --suite "$suite" --cached python3 ca-certificates)
# shellcheck source=tests/lib/scratch_system.sh
. "$top/tests/lib/scratch_system.sh"
scratch_system "$denv" "$sys" deb "${CHECK_DEB_KEEP:-}"
cp "$deb" "$scratch/system/root/"
# The library's packaged folder: /usr/lib/<multiarch>/trustcache.
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
say "fresh $suite system $scratch/system ($(($(date +%s) - t0)) s), package $(basename "$deb")"

# The checks, run inside the system by /bin/sh.
# shellcheck disable=SC2016 # expanded inside the system, not here
inner='
set -u
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); [ -z "${2:-}" ] || printf "%s\n" "$2" | sed "s/^/    /"; }
deb=/root/$1
n=5

# 1. install
if out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb" 2>&1); then
    ok "apt-get install ./${deb##*/}"
else
    bad "apt-get install ./${deb##*/}" "$out"
fi
dpkg-query -L trustcache >/tmp/files.txt 2>/dev/null || true
depends=$(dpkg-query -W -f="\${Depends}" trustcache 2>/dev/null)
case $depends in
*libssl*) bad "the package does not depend on libssl (Depends: $depends)" ;;
*) ok "the package does not depend on libssl (Depends: $depends)" ;;
esac
lib=/usr/lib/$2/trustcache/libtrustcache.so
for f in "$lib" /usr/bin/trustcache-run /usr/bin/trustcache-stats \
    /usr/share/man/man1/trustcache-run.1.gz /usr/share/man/man1/trustcache-stats.1.gz \
    /usr/share/man/man7/trustcache.7.gz \
    /usr/share/doc/trustcache/README.md.gz /usr/share/doc/trustcache/copyright \
    /usr/share/doc/trustcache/changelog.Debian.gz; do
    if grep -qx "$f" /tmp/files.txt && [ -f "$f" ]; then ok "installed $f"; else bad "installed $f"; fi
done

# 2. --check
out=$(trustcache-run --check python3 2>&1); rc=$?
case $rc:$out in
0:*"can benefit"*) ok "trustcache-run --check python3: can benefit (exit 0)" ;;
*) bad "trustcache-run --check python3: can benefit (exit $rc)" "$out" ;;
esac

# 3. N contexts, one parse
client="import os, ssl
for _ in range($n):
    ssl.create_default_context()
print(os.environ.get(\"LD_PRELOAD\", \"\"))"
rm -f /tmp/stats.json
preload=$(trustcache-run --stats /tmp/stats.json --format json -- python3 -c "$client" 2>&1); rc=$?
if [ "$rc" = 0 ] && [ "$preload" = "$lib" ]; then
    ok "trustcache-run preloaded the packaged library ($preload)"
else
    bad "trustcache-run preloaded the packaged library (exit $rc, LD_PRELOAD=$preload)"
fi
counts=$(python3 -c "import json, sys
s = json.load(open(\"/tmp/stats.json\"))
print(s[\"ca_loads_requested\"], s[\"ca_loads_performed\"], s[\"ca_loads_avoided\"])" 2>&1)
if [ "$counts" = "$n 1 $((n - 1))" ]; then
    ok "$n x ssl.create_default_context(): ca_loads_requested $n, performed 1, avoided $((n - 1))"
else
    bad "$n x ssl.create_default_context(): ca_loads_requested $n, performed 1, avoided $((n - 1))" \
        "got (requested performed avoided): $counts"
fi
if out=$(trustcache-stats /tmp/stats.json 2>&1); then
    ok "trustcache-stats reads the dump"
else
    bad "trustcache-stats reads the dump" "$out"
fi

# 4. purge
if out=$(DEBIAN_FRONTEND=noninteractive apt-get purge -y -q trustcache 2>&1); then
    ok "apt-get purge trustcache"
else
    bad "apt-get purge trustcache" "$out"
fi
left=""
while read -r f; do
    [ "$f" != "/." ] || continue
    if [ -d "$f" ] && ! [ -L "$f" ]; then
        # A folder may stay only if another package owns it too.
        if dpkg-query -S "$f" >/dev/null 2>&1; then continue; fi
        left="$left $f"
    elif [ -e "$f" ] || [ -L "$f" ]; then
        left="$left $f"
    fi
done </tmp/files.txt
if [ -z "$left" ] && [ -s /tmp/files.txt ]; then
    ok "purge left none of the $(grep -c . /tmp/files.txt) paths dpkg -L listed"
else
    bad "purge left none of the paths dpkg -L listed" "left:$left"
fi
if dpkg-query -W -f="\${Status}" trustcache 2>/dev/null | grep -q "installed\|config-files"; then
    bad "dpkg has no record of trustcache after purge"
else
    ok "dpkg has no record of trustcache after purge"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
'

rc=0
"$denv" --no-src ${apt_cache:+--apt-cache "$apt_cache"} "$scratch/system" -- \
    /bin/sh -c "$inner" check-deb "$(basename "$deb")" "$multiarch" </dev/null 2>&1 || rc=$?
say "$(basename "$deb") on $suite: $([ "$rc" = 0 ] && echo passed || echo FAILED) in $(($(date +%s) - t0)) s"
exit "$rc"
