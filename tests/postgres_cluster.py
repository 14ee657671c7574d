"""A throw-away PostgreSQL cluster for the tests.

``initdb`` in a temporary folder, owned by an unprivileged user when the tests run
as root (PostgreSQL refuses to run as root; CI runs as root), listening on a free
port of 127.0.0.1 with its socket in that folder, password authentication only.
The password reaches the planner the way a buyer's would: through a password file
named by ``PGPASSFILE``, never in a URL. ``stop`` removes every trace.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

ADMIN = "planner"  # the cluster's superuser; the tests connect as it


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL server binaries (Debian keeps them off PATH)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_user() -> str | None:
    """Who runs the server: ourselves, or an unprivileged account when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) exists")


@dataclass
class Cluster:
    bindir: Path
    root: Path
    port: int
    password: str
    user: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{ADMIN}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.bindir / args[0]), *args[1:]], user=self.user,
                              cwd=self.root, capture_output=True, text=True, check=False)

    def admin(self, database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=ADMIN, dbname=database,
                               password=self.password, autocommit=True)

    def new_database(self) -> str:
        """A fresh, empty database of its own for one test; its URL (no password in it)."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin() as db:
            db.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def start(self) -> None:
        for _ in range(5):  # another process may take the free port before the server does
            result = self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w",
                "-t", "60", "-o", f"-p {self.port} -h 127.0.0.1 -k {self.root} -F "
                "-c max_connections=120", "start")
            if result.returncode == 0:
                return
            log = (self.root / "server.log").read_text(errors="replace")
            if not re.search(r"could not (bind|create listen)", log):
                raise RuntimeError(f"pg_ctl start failed: {result.stdout}{result.stderr}{log}")
            self.port = _free_port()
        raise RuntimeError("no free port for the PostgreSQL test cluster")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(bindir: Path) -> Cluster:
    """initdb and start a cluster in a new temporary folder; the caller must ``stop`` it."""
    user = _server_user()
    # Under /tmp when the server runs as another user: it must be able to reach the folder
    # (TMPDIR may sit under /root), and the socket's path must stay under 108 bytes.
    root = Path(tempfile.mkdtemp(prefix="planner-pg-", dir="/tmp" if user else None))
    password = secrets.token_hex(16)
    cluster = Cluster(bindir, root, _free_port(), password, user)
    try:
        (root / "pwfile").write_text(password + "\n", encoding="utf-8")
        if user is not None:
            entry = pwd.getpwnam(user)
            for path in (root, root / "pwfile"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        result = cluster._run("initdb", "-D", str(cluster.data), "-U", ADMIN, "--pwfile",
                              str(root / "pwfile"), "--auth", "scram-sha-256", "-E", "UTF8",
                              "--no-locale", "--no-sync", "--no-instructions")
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed: {result.stdout}{result.stderr}")
        (root / "pwfile").unlink()
        cluster.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return cluster


def write_password_file(cluster: Cluster, folder: Path) -> Path:
    """A libpq password file for the cluster (mode 600, or libpq ignores it)."""
    path = folder / "pgpass"
    path.write_text(f"127.0.0.1:{cluster.port}:*:{ADMIN}:{cluster.password}\n",
                    encoding="utf-8")
    path.chmod(0o600)
    return path
