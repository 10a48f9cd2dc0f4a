"""PostgreSQL and Redis for the tests: the local servers when they listen, else throwaway ones.

A throwaway server is started from the installed binaries in a temporary directory on a free
port and removed at the end. PostgreSQL refuses to run as root, so as root its commands run as
the ``postgres`` system user (the Debian package creates it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

LOCAL_POSTGRES = ("127.0.0.1", 5432)
LOCAL_REDIS = ("127.0.0.1", 6379)


def listening(address: tuple[str, int], timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(address, timeout=timeout):
        return True
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(address: tuple[str, int], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not listening(address):
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on {address} after {timeout} s")
        time.sleep(0.1)


def wait_closed(address: tuple[str, int], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while listening(address):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{address} still listens after {timeout} s")
        time.sleep(0.1)


def _postgres_bin(name: str) -> str:
    found = sorted(str(p) for p in Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    found = found or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return found[-1]


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL server in a new folder under /tmp; yields its URL (postgres, trust auth).

    The folder is made directly under /tmp (not in pytest's per-user folder, which is private)
    so that, when the tests run as root, the ``postgres`` user can reach it.
    """
    base = Path(tempfile.mkdtemp(prefix="formlens-pg-"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(base, "postgres")
    data, port = base / "pgdata", free_port()
    initdb = [_postgres_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
    options = f"-h 127.0.0.1 -p {port} -k {base} -c fsync=off -c full_page_writes=off"
    pg_ctl = [_postgres_bin("pg_ctl"), "-D", str(data)]
    try:
        _run([*as_user, *initdb, "-E", "UTF8"])
        _run([*as_user, *pg_ctl, "-o", options, "-l", str(base / "postgres.log"), "-w", "start"])
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, *pg_ctl, "-m", "immediate", "stop"], check=False, capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


@dataclass
class RedisServer:
    """A Redis server on a fixed port that a test can stop and start again."""

    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(("127.0.0.1", self.port))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        wait_closed(("127.0.0.1", self.port))


@contextlib.contextmanager
def throwaway_redis(base: Path) -> Iterator[RedisServer]:
    server = RedisServer(base, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str = "formlens_test") -> Iterator[str]:
    """A new, empty database on the server of ``server_url``; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
