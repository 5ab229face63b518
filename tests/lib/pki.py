"""Throwaway certificate authorities for tests, made with the openssl CLI.

Python's ssl module can verify certificates but cannot create them, so every
key and certificate here comes from `openssl req` / `openssl x509`.  The
certificates carry the extensions strict verifiers insist on (basic
constraints, key usage, subject/authority key identifiers), so the same
fixtures work with Python versions that turn on VERIFY_X509_STRICT.

Run as a script to write a complete set into a directory:
    python3 tests/lib/pki.py DIR
"""

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

# A private config so the system openssl.cnf (default extensions, policies)
# cannot change what gets generated.
_CA_CONF = """\
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = {cn}
O = trustcache tests
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

_LEAF_EXT = """\
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = {sans}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


@dataclass
class CA:
    name: str
    cert: str  # PEM path
    key: str


@dataclass
class ServerCert:
    cert: str  # PEM path
    key: str


def _openssl(*args):
    """Run the openssl CLI; raise with its stderr if it fails."""
    proc = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s failed:\n%s" % (" ".join(args), proc.stderr))


def _write(path, text):
    with open(path, "w", encoding="ascii") as f:
        f.write(text)
    return path


def _ec_key(path):
    # P-256 keys are generated in milliseconds, unlike RSA.
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", path)


def make_ca(directory, stem="ca", name=None):
    """Create a self-signed CA in DIRECTORY/STEM.{pem,key}.

    Each CA gets a random name unless NAME is given, so two CAs made in one
    run are always distinguishable by subject."""
    name = name or "trustcache test CA %s" % secrets.token_hex(4)
    key = os.path.join(directory, stem + ".key")
    cert = os.path.join(directory, stem + ".pem")
    conf = _write(os.path.join(directory, stem + ".cnf"), _CA_CONF.format(cn=name))
    _ec_key(key)
    _openssl("req", "-config", conf, "-new", "-x509", "-key", key, "-out", cert,
             "-days", "2", "-sha256", "-set_serial", "0x" + secrets.token_hex(8))
    return CA(name=name, cert=cert, key=key)


def make_server_cert(directory, ca, stem="server", sans=("DNS:localhost", "IP:127.0.0.1")):
    """Create a leaf certificate for SANS signed by CA."""
    key = os.path.join(directory, stem + ".key")
    csr = os.path.join(directory, stem + ".csr")
    cert = os.path.join(directory, stem + ".pem")
    ext = _write(os.path.join(directory, stem + ".ext"), _LEAF_EXT.format(sans=", ".join(sans)))
    _ec_key(key)
    _openssl("req", "-new", "-key", key, "-out", csr, "-subj", "/CN=localhost/O=trustcache tests")
    _openssl("x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key,
             "-set_serial", "0x" + secrets.token_hex(8), "-days", "2", "-sha256",
             "-extfile", ext, "-extensions", "v3_leaf", "-out", cert)
    return ServerCert(cert=cert, key=key)


def make_bundle(directory, extra_ca_pems, name="bundle.pem", system_bundle=SYSTEM_BUNDLE):
    """Write the system CA bundle followed by EXTRA_CA_PEMS into one file.

    Cloud SDKs and corporate setups ship bundles built exactly like this:
    the public roots plus one private CA."""
    path = os.path.join(directory, name)
    with open(path, "wb") as out:
        with open(system_bundle, "rb") as f:
            data = f.read()
        out.write(data)
        if not data.endswith(b"\n"):
            out.write(b"\n")
        for pem in extra_ca_pems:
            with open(pem, "rb") as f:
                out.write(f.read())
    return path


def count_certs(path):
    """Number of PEM certificates in a file."""
    with open(path, "rb") as f:
        return f.read().count(b"-----BEGIN CERTIFICATE-----")


@dataclass
class PKISet:
    """Everything a TLS test needs: the server's CA and key pair, an
    unrelated CA that must never validate the server, and a bundle of the
    system roots plus the server's CA."""
    ca: CA
    wrong_ca: CA
    server: ServerCert
    bundle: str


def make_test_pki(directory):
    ca = make_ca(directory, "ca")
    wrong_ca = make_ca(directory, "wrong-ca")
    server = make_server_cert(directory, ca)
    bundle = make_bundle(directory, [ca.cert])
    return PKISet(ca=ca, wrong_ca=wrong_ca, server=server, bundle=bundle)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s DIR\n" % argv[0])
        return 2
    os.makedirs(argv[1], exist_ok=True)
    pki = make_test_pki(argv[1])
    for label, path in (("ca", pki.ca.cert), ("wrong_ca", pki.wrong_ca.cert),
                        ("server_cert", pki.server.cert), ("server_key", pki.server.key),
                        ("bundle", pki.bundle)):
        print("%s=%s" % (label, path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
