#!/usr/bin/env bash
# Generates the throwaway PKI the parity harness loads: five roots (A..E),
# one server leaf per root, revoked leaves with CRLs for A and C, two client
# certificates from root E for mutual TLS, and the bundle variants the scenarios need (concatenated, copied, DER, empty,
# corrupt, CRL-bearing, TRUSTED CERTIFICATE) plus a c_rehash-style directory.
# Nothing here is committed: the driver calls this in a fresh temp directory.
#
# usage: make-fixtures.sh OUTDIR
set -euo pipefail

out=${1:?usage: make-fixtures.sh OUTDIR}
mkdir -p "$out"
cd "$out"

# A private config so the host's openssl.cnf cannot change the certificates.
cat > pki.cnf <<'CNF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:parity.test
[ v3_client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ ca ]
default_ca = ca_any
[ ca_any ]
database = $ENV::PARITY_CA_DB
default_md = sha256
default_crl_days = 30
CNF
export OPENSSL_CONF="$out/pki.cnf"
# The [ca] section names its database through the environment; crl() sets it.
export PARITY_CA_DB="$out/index.txt"

# EC keys keep generation and handshakes fast.
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

root() { # root NAME
	key "ca$1.key"
	openssl req -x509 -new -config pki.cnf -key "ca$1.key" -subj "/O=Parity/CN=Parity Root $1" \
		-days 30 -extensions v3_ca -out "ca$1.pem"
}

leaf() { # leaf NAME ISSUER SERIAL [EXTENSIONS]
	key "$1.key"
	openssl req -new -config pki.cnf -key "$1.key" -subj "/O=Parity/CN=$1.parity.test" -out "$1.csr"
	openssl x509 -req -in "$1.csr" -CA "ca$2.pem" -CAkey "ca$2.key" -set_serial "$3" -days 30 \
		-extfile pki.cnf -extensions "${4:-v3_leaf}" -out "$1.pem" 2>/dev/null
	rm -f "$1.csr"
}

crl() { # crl ISSUER REVOKED_LEAF
	export PARITY_CA_DB="$out/index-$1.txt"
	: > "$PARITY_CA_DB"
	openssl ca -config pki.cnf -keyfile "ca$1.key" -cert "ca$1.pem" -revoke "$2.pem" 2>/dev/null
	openssl ca -config pki.cnf -keyfile "ca$1.key" -cert "ca$1.pem" -gencrl -out "crl$1.pem" 2>/dev/null
}

for r in A B C D E; do
	root "$r"
	leaf "leaf$r" "$r" 1
done
leaf leafArev A 2
leaf leafCrev C 2
leaf clientX E 3 v3_client
leaf clientY E 4 v3_client
crl A leafArev
crl C leafCrev

# Bundles.
cat caA.pem > a.pem
cat caB.pem > b.pem
cat caA.pem caB.pem > ab.pem
cp ab.pem ab-copy.pem
cat caA.pem caB.pem caC.pem > abc.pem
# The last add finds its object already there: it still sorts the store.
cat caC.pem caA.pem caA.pem > c-a-a.pem
cat caA.pem caB.pem caE.pem > abe.pem
openssl x509 -in caA.pem -outform DER -out a.der
: > empty.pem
printf -- '-----BEGIN CERTIFICATE-----\nthis is not base64 at all\n-----END CERTIFICATE-----\n' > corrupt.pem
{ cat caA.pem; head -c 300 caB.pem; } > a-truncated.pem
cat caA.pem crlA.pem > a-crl.pem
openssl x509 -in caA.pem -addtrust serverAuth -out a-trust-server.pem
openssl x509 -in caA.pem -addtrust clientAuth -out a-trust-client.pem
openssl x509 -in caA.pem -addreject serverAuth -out a-reject-server.pem

# A c_rehash-style directory: roots C and D and C's CRL, found lazily by hash.
mkdir -p hashdir emptydir
cp caC.pem caD.pem crlC.pem hashdir/
openssl rehash hashdir
