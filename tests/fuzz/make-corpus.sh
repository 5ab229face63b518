#!/usr/bin/env bash
# Seed inputs for the fuzz targets, generated at test time (nothing here is
# committed): throwaway CAs from the parity fixtures as PEM bundles, DER
# certificates and CRLs, TRUSTED CERTIFICATE blocks, bundles with duplicates,
# comments, CRLF line ends and other PEM types, and truncated and corrupted
# variants; TRUSTCACHE_* value sets; stats path templates and byte strings.
#
# usage: make-corpus.sh OUTDIR   (writes OUTDIR/replay, OUTDIR/config, OUTDIR/stats)
set -euo pipefail

out=${1:?usage: make-corpus.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/trustcache-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

rm -rf "$out/replay" "$out/config" "$out/stats"
mkdir -p "$out/replay" "$out/config" "$out/stats"
if ! "$here/../parity/make-fixtures.sh" "$tmp/fx" >"$tmp/fixtures.log" 2>&1; then
	cat "$tmp/fixtures.log"
	exit 1
fi
fx=$tmp/fx
r=$out/replay

# ---- bundles as OpenSSL reads them
for f in a.pem ab.pem abc.pem a-crl.pem a-trust-server.pem a-trust-client.pem \
	a-reject-server.pem a.der corrupt.pem a-truncated.pem crlA.pem leafA.pem; do
	cp "$fx/$f" "$r/$f"
done
openssl x509 -in "$fx/caB.pem" -outform DER -out "$r/b.der"
openssl crl -in "$fx/crlA.pem" -outform DER -out "$r/crl-a.der"
cat "$fx/caA.pem" "$fx/caA.pem" "$fx/caB.pem" >"$r/dup-a-a-b.pem"
cat "$fx/caC.pem" "$fx/caA.pem" "$fx/caA.pem" >"$r/dup-c-a-a.pem"
cat "$fx/crlC.pem" "$fx/crlA.pem" "$fx/crlA.pem" >"$r/dup-crl-c-a-a.pem"
cat "$fx/a-trust-server.pem" "$fx/caA.pem" >"$r/trusted-then-plain.pem"
cat "$fx/crlA.pem" "$fx/caA.pem" "$fx/crlC.pem" "$fx/caC.pem" >"$r/crls-and-certs.pem"
{ echo "# a bundle header"; cat "$fx/caA.pem"; echo "junk between blocks"; cat "$fx/caB.pem"; } >"$r/comments.pem"
cat "$fx/caA.pem" "$fx/leafA.key" "$fx/caB.pem" >"$r/with-private-key.pem"
sed 's/$/\r/' "$fx/ab.pem" >"$r/crlf.pem"
cat "$fx/caA.pem" "$fx/a.der" >"$r/pem-then-der.pem"

# ---- truncated and corrupted variants
size=$(wc -c <"$fx/ab.pem")
for cut in 1 27 64 65 100 $((size / 2)) $((size - 30)) $((size - 1)); do
	head -c "$cut" "$fx/ab.pem" >"$r/ab-cut-$cut.pem"
done
dsize=$(wc -c <"$fx/a.der")
for cut in 2 4 $((dsize / 2)) $((dsize - 1)); do
	head -c "$cut" "$fx/a.der" >"$r/a-der-cut-$cut.der"
done
# flip OFFSET SRC DST: DST is SRC with the byte at OFFSET replaced by 0x41.
flip() {
	cp "$2" "$3"
	printf 'A' | dd of="$3" bs=1 seek="$1" conv=notrunc status=none
}
flip 30 "$fx/ab.pem" "$r/ab-flip-header.pem"
flip 200 "$fx/ab.pem" "$r/ab-flip-base64.pem"
flip $((size - 10)) "$fx/ab.pem" "$r/ab-flip-footer.pem"
flip 1 "$fx/a.der" "$r/a-der-flip-length.der"
flip $((dsize / 2)) "$fx/a.der" "$r/a-der-flip-middle.der"

# ---- TRUSTCACHE_* values, NUL-separated, in the order the parser asks
c=$out/config
printf '%s\0' on stderr json 64 256 0 USR1 1 >"$c/valid-1"
printf '%s\0' observe /tmp/stats.%p.json text 1 65536 86400 sigusr2 off >"$c/valid-2"
printf '%s\0' off '' prom '' '' '' '' YES >"$c/valid-3"
printf '%s\0' ON - xml 0 65537 -1 HUP maybe >"$c/invalid-1"
printf '%s\0' ' on' $'\n' 'json ' +5 ' 5' 4294967296 SIG $'\x01\x7f' >"$c/invalid-2"
printf '%s\0' $'bad\nline' x $'\x1b[31m' 99999999999999999999 >"$c/control-chars"
printf '%s\0' on "$(head -c 5000 /dev/zero | tr '\0' p)" >"$c/long-path"

# ---- a root whose key usage bit string is malformed (0x41 unused bits),
# then the same root intact: adding the second compares the two, which caches
# both certificates' extensions, and the malformed one leaves an X509V3
# error on the queue of the load's caller.  A load that leaves an error must
# never be served from the cache (a replay would not raise it again).
python3 - "$fx/caA.pem" "$r/a-bad-keyusage-then-good.pem" <<'PY'
import base64, sys
pem = open(sys.argv[1]).read()
der = base64.b64decode("".join(pem.split("-----")[2].split()))
ku = bytes.fromhex("0603551d0f")  # the keyUsage OID, then its value
at = der.index(ku)
bits = der.index(bytes.fromhex("0302"), at)
bad = der[:bits + 2] + bytes([0x41]) + der[bits + 3:]
def block(d):
    b = base64.b64encode(d).decode()
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(b[i:i + 64] for i in range(0, len(b), 64)) + "\n-----END CERTIFICATE-----\n"
open(sys.argv[2], "w").write(block(bad) + block(der))
PY

# ---- stats: 2 bytes of buffer size, 8 of pid, then the text
s=$out/stats
printf '\x10\x00\x39\x30\x00\x00\x00\x00\x00\x00/tmp/trustcache.%%p.json' >"$s/template"
printf '\x00\x08\xff\xff\xff\xff\xff\xff\xff\xff%%p%%p%%%%%%' >"$s/small-buffer"
printf '\x10\x00\x01\x00\x00\x00\x00\x00\x00\x80%%' >"$s/lone-percent"
printf '\x04\x00\x07\x00\x00\x00\x00\x00\x00\x00caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92 \xff\xfe \xed\xa0\x80 \xc0\xaf "q" \\ \x01\x1f\x7f' >"$s/utf8-and-bytes"
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' >"$s/empty"

echo "corpus: $(find "$r" -type f | wc -l) replay, $(find "$c" -type f | wc -l) config, $(find "$s" -type f | wc -l) stats seeds in $out"
