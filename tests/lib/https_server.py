"""A threaded HTTPS server on an ephemeral loopback port, for tests.

Every response carries "Connection: close", so each client request needs a
new TCP connection and a new TLS handshake: that is the pattern (one context
per connection) whose CA loads trustcache removes.

The TLS handshake runs in the per-connection thread, not in accept(), so a
client that rejects the certificate never stalls the listener.

    with HTTPSServer(cert, key) as srv:
        srv.url            # https://127.0.0.1:PORT/ (the certificate also names localhost)
        srv.stats()        # {"handshakes_ok": n, "handshakes_failed": m}

Run as a script to serve until interrupted (prints the URL first):
    python3 tests/lib/https_server.py CERT KEY
"""

import http.server
import ssl
import sys
import threading

BODY = b"trustcache test server\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (name fixed by http.server)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(BODY)
        self.close_connection = True

    def log_message(self, format, *args):  # noqa: A002 (signature fixed by http.server)
        pass  # keep test output readable


class _TLSThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, context, timeout):
        super().__init__(address, _Handler)
        self.tls_context = context
        self.io_timeout = timeout
        self.lock = threading.Lock()
        self.counts = {"handshakes_ok": 0, "handshakes_failed": 0}

    def _count(self, key):
        with self.lock:
            self.counts[key] += 1

    def finish_request(self, request, client_address):
        # Runs in the connection's own thread.
        request.settimeout(self.io_timeout)
        try:
            tls = self.tls_context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            # Expected whenever a test client refuses our certificate.
            self._count("handshakes_failed")
            return
        self._count("handshakes_ok")
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass  # client resets are normal in tests; outcomes are checked client-side


class HTTPSServer:
    """Start/stop wrapper around the threaded TLS server."""

    def __init__(self, certfile, keyfile, host="127.0.0.1", io_timeout=10.0):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certfile, keyfile)
        self._server = _TLSThreadingServer((host, 0), ctx, io_timeout)
        self.port = self._server.server_address[1]
        self.url = "https://127.0.0.1:%d/" % self.port
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def stats(self):
        with self._server.lock:
            return dict(self._server.counts)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: %s CERT KEY\n" % argv[0])
        return 2
    srv = HTTPSServer(argv[1], argv[2]).start()
    print(srv.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
