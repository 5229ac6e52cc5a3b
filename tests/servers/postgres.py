"""A real PostgreSQL server for the store tests and the benchmark, on 127.0.0.1 only.

The store must work for an MSP whose technicians share one PostgreSQL history, so its tests run against
the real server, not an imitation: the cluster is created with `initdb` in a temporary directory, started
with `pg_ctl` on a free port of 127.0.0.1 (`listen_addresses` is loopback, the Unix socket lives in the
temporary directory), and stopped and removed at the end of the session.

PostgreSQL refuses to run as root, so when the tests run as root the cluster is owned by and run as the
`postgres` system user (or `nobody` if that does not exist) through `runuser`.  Authentication is `trust`
on loopback: the cluster is throwaway and reachable only from this machine.

Needs the Debian package `postgresql` (the binaries in /usr/lib/postgresql/<version>/bin) and the Python
driver psycopg (v3).  Without the binaries, tests marked `postgres` are skipped with a clear reason.

Fixture API: `postgres_server` (session) -> `PostgresServer` with `url(database)`, `create_database(name)`;
`postgres_url` (function) -> the URL of a fresh, empty database for one test.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl (or $AUDITOR_PG_BIN)."""
    candidates = [os.environ["AUDITOR_PG_BIN"]] if os.environ.get("AUDITOR_PG_BIN") else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                         if Path(p).parent.name.isdigit() else 0, reverse=True)
    for folder in candidates:
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> str | None:
    """The user to run PostgreSQL as: None when we are not root, else `postgres` (or `nobody`)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither the 'postgres' nor the 'nobody' user exists")


@dataclass
class PostgresServer:
    """A started throwaway cluster; `url()` gives SQLAlchemy URLs for the psycopg (v3) driver."""

    bin_dir: Path
    root: Path
    port: int
    user: str | None
    superuser: str = "auditor"
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *args] if self.user else list(args)

    def start(self) -> None:
        log = self.root / "server.log"
        subprocess.run(
            self._cmd(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", self.superuser, "-A", "trust",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
            check=True, capture_output=True, timeout=120,
        )
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
        subprocess.run(
            self._cmd(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-o", options,
                      "-w", "-t", "60", "start"),
            check=True, capture_output=True, timeout=90,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"PostgreSQL did not listen on 127.0.0.1:{self.port}: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        subprocess.run(self._cmd(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"),
                       capture_output=True, timeout=60, check=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = name or f"t{next(self._names)}_{os.getpid()}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.superuser} dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_postgres() -> PostgresServer:
    """Start a throwaway cluster (also used by bench/bench_history.py); call `.stop()` when done."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL binaries not found (Debian package 'postgresql')")
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="auditor-pg-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
        root.chmod(0o700)
    server = PostgresServer(bin_dir=bin_dir, root=root, port=free_port(), user=user)
    try:
        server.start()
    except BaseException:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = start_postgres()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh empty database on the session's server."""
    return postgres_server.create_database()
