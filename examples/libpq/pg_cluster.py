"""A throwaway PostgreSQL cluster with TLS on a loopback port.

    with PgCluster(server_cert, server_key) as pg:
        pg.host, pg.port, pg.bin("pgbench"), pg.admin_env()

The cluster lives in a fresh directory under /tmp (removed by stop()):
a private temporary directory of the caller would be out of reach of the
server's user.  The server listens on 127.0.0.1 (TLS only: pg_hba.conf has
no plain "host" line) and on a Unix socket in that directory.
Authentication is "trust": these examples are about the client's
certificate verification, not passwords.

PostgreSQL refuses to run as root, so when we are root the server and the
admin commands run as the unprivileged "postgres" user (created by the
Debian package) through runuser; the workdir is handed to that user.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

PG_USER = "postgres"


def pg_bindir():
    """Newest /usr/lib/postgresql/N/bin with initdb (Debian's layout)."""
    dirs = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.path.exists(d + "/initdb")]
    if not dirs:
        raise RuntimeError("no /usr/lib/postgresql/*/bin/initdb (install postgresql)")

    def version(d):
        return tuple(int(x) for x in d.split("/")[4].split(".") if x.isdigit())
    return max(dirs, key=version)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self, server_cert, server_key, max_connections=40):
        self.workdir = tempfile.mkdtemp(prefix="tc-pg-")
        self.data = os.path.join(self.workdir, "data")
        self.log = os.path.join(self.workdir, "server.log")
        self.bindir = pg_bindir()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.max_connections = max_connections
        self._cert, self._key = server_cert, server_key
        self._as_user = os.geteuid() == 0
        self._started = False

    def bin(self, name):
        return os.path.join(self.bindir, name)

    def _admin(self, argv, **kw):
        """Run a server-side command as the cluster's owner."""
        if self._as_user:
            argv = ["runuser", "-u", PG_USER, "--"] + argv
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)

    def _check(self, proc, what):
        if proc.returncode != 0:
            tail = ""
            if os.path.exists(self.log):
                with open(self.log, encoding="utf-8", errors="replace") as f:
                    tail = f.read()[-3000:]
            raise RuntimeError("%s failed (rc=%d):\n%s%s\n%s" % (
                what, proc.returncode, proc.stdout, proc.stderr, tail))

    def _hand_over(self):
        """Give the workdir and the key pair to the server's user."""
        ssl_dir = os.path.join(self.workdir, "server-tls")
        os.makedirs(ssl_dir, exist_ok=True)
        self.cert = shutil.copy(self._cert, os.path.join(ssl_dir, "server.crt"))
        self.key = shutil.copy(self._key, os.path.join(ssl_dir, "server.key"))
        os.chmod(self.key, 0o600)  # the server refuses a key others can read
        if self._as_user:
            pw = pwd.getpwnam(PG_USER)
            for path in (self.workdir, ssl_dir, self.cert, self.key):
                os.chown(path, pw.pw_uid, pw.pw_gid)

    def start(self):
        self._hand_over()
        self._check(self._admin([self.bin("initdb"), "-D", self.data, "-U", PG_USER,
                                 "-A", "trust", "--no-sync", "-E", "UTF8"]), "initdb")
        with open(os.path.join(self.data, "pg_hba.conf"), "w", encoding="ascii") as f:
            f.write("local all all trust\nhostssl all all 127.0.0.1/32 trust\n")
        if self._as_user:
            pw = pwd.getpwnam(PG_USER)
            os.chown(os.path.join(self.data, "pg_hba.conf"), pw.pw_uid, pw.pw_gid)
        opts = " ".join([
            "-c listen_addresses=127.0.0.1", "-c port=%d" % self.port,
            "-c unix_socket_directories=%s" % self.workdir,
            "-c max_connections=%d" % self.max_connections,
            "-c ssl=on", "-c ssl_cert_file=%s" % self.cert, "-c ssl_key_file=%s" % self.key,
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
        ])
        self._check(self._admin([self.bin("pg_ctl"), "-D", self.data, "-l", self.log,
                                 "-o", opts, "-w", "-t", "60", "start"]), "pg_ctl start")
        self._started = True
        return self

    def stop(self):
        if self._started:
            self._admin([self.bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"])
            self._started = False
        shutil.rmtree(self.workdir, ignore_errors=True)

    def admin_env(self):
        """libpq environment for local (Unix socket) admin connections."""
        return {"PGHOST": self.workdir, "PGPORT": str(self.port), "PGUSER": PG_USER,
                "PGDATABASE": "postgres"}

    def tls_env(self, rootcert, sslmode="verify-full"):
        """libpq environment for a TLS connection over loopback."""
        return {"PGHOST": self.host, "PGPORT": str(self.port), "PGUSER": PG_USER,
                "PGDATABASE": "postgres", "PGSSLMODE": sslmode, "PGSSLROOTCERT": rootcert}

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
