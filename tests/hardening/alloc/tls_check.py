#!/usr/bin/env python3
"""TLS client checks through Python's ssl module, for runs under different
preloads.  Prints a transcript that must not depend on the preloads: contexts
from create_default_context (system store, and cafile=) verify or reject an
in-process server exactly as expected, from the main thread and from worker
threads.  Handshakes run over memory BIOs, so no sockets are involved.

usage: tls_check.py FIXTURES
Exits 1 if any outcome differs from the expected one.
"""
import os
import ssl
import sys
import threading

FIX = sys.argv[1] if len(sys.argv) == 2 else sys.exit(__doc__)
SERVER = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
SERVER.load_cert_chain(os.path.join(FIX, "leafA.pem"), os.path.join(FIX, "leafA.key"))
problems = []


def handshake(client_ctx):
    """Returns 'ok' or the client's verify message."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=None)
    server = SERVER.wrap_bio(s_in, s_out, server_side=True)
    done = {"c": False, "s": False}
    for _ in range(32):
        for name, side, out, peer_in in (("c", client, c_out, s_in), ("s", server, s_out, c_in)):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
                except ssl.SSLCertVerificationError as e:
                    return e.verify_message
                except ssl.SSLError as e:
                    if name == "c":
                        return f"error {e.reason}"
                    done[name] = True  # the server fails after the client's alert
            data = out.read()
            if data:
                peer_in.write(data)
        if all(done.values()):
            return "ok"
    return "stalled"


def client_ctx(cafile=None):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False  # the fixtures name parity.test; trust is what counts here
    return ctx


def expect(label, got, want):
    print(f"{label}: {got}")
    if got != want:
        problems.append(f"{label}: got {got!r}, expected {want!r}")


def main():
    ab = os.path.join(FIX, "ab.pem")
    expect("cafile ab.pem, leafA", handshake(client_ctx(ab)), "ok")
    expect("system store, leafA", handshake(client_ctx()), "unable to get local issuer certificate")
    expect("cafile ab.pem, CA count", len(client_ctx(ab).get_ca_certs()), 2)
    ctx = client_ctx(ab)
    ctx.load_verify_locations(cadata=open(os.path.join(FIX, "caC.pem")).read())
    expect("cafile ab.pem + cadata caC, CA count", len(ctx.get_ca_certs()), 3)
    expect("a new cafile context after cadata, CA count", len(client_ctx(ab).get_ca_certs()), 2)

    results = []

    def worker():
        for _ in range(5):
            results.append(handshake(client_ctx(ab)))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expect("4 threads x 5 cafile contexts", f"{results.count('ok')} ok of {len(results)}", "20 ok of 20")
    for p in problems:
        print("PROBLEM", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
